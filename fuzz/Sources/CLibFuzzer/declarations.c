// A C target needs a source file; the declaration in include/ is all this target provides.
#include "CLibFuzzer.h"
