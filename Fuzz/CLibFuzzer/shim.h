// libFuzzer's driver (compiler-rt, LLVM ≥ 13), linked by `-sanitize=fuzzer`. SwiftPM gives every
// executable its own `main`, so the fuzz targets' main hands control to libFuzzer through this.
#ifndef CLIBFUZZER_SHIM_H
#define CLIBFUZZER_SHIM_H
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));

#endif
