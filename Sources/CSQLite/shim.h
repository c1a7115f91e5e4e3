#ifndef LGK_CSQLITE_SHIM_H
#define LGK_CSQLITE_SHIM_H
#include <sqlite3.h>

/* SQLITE_TRANSIENT is a macro casting -1 to a function pointer, which Swift cannot import. */
static inline sqlite3_destructor_type CSQLite_TRANSIENT(void) {
    return SQLITE_TRANSIENT;
}
/* Extended result codes are macros built with `|` and `<<`, which Swift does not import. */
static inline int CSQLite_CONSTRAINT_UNIQUE(void) { return SQLITE_CONSTRAINT_UNIQUE; }
static inline int CSQLite_CONSTRAINT_PRIMARYKEY(void) { return SQLITE_CONSTRAINT_PRIMARYKEY; }
#endif
