#ifndef CMALLOC_SHIM_H
#define CMALLOC_SHIM_H

#if defined(__GLIBC__) || defined(__linux__)
#include <malloc.h>
#endif

/// Sets glibc's mmap threshold (M_MMAP_THRESHOLD): allocations of `bytes` or more are mapped on
/// their own and unmapped when freed, and the threshold no longer follows the largest block freed.
/// Returns 1 on success, 0 on failure or where the C library is not glibc.
static inline int CMalloc_setMmapThreshold(int bytes) {
#if defined(__GLIBC__)
    return mallopt(M_MMAP_THRESHOLD, bytes);
#else
    (void)bytes;
    return 0;
#endif
}

#endif
