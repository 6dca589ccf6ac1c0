// libFuzzer's driver, which a program with its own main calls (LLVM's LibFuzzer.rst,
// "Using libFuzzer as a library"). SwiftPM gives every executable a main of its own.
#ifndef CLIBFUZZER_H
#define CLIBFUZZER_H
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
#endif
