// Shared by the libFuzzer targets in fuzz/: a property check that stops the
// run (libFuzzer then saves the input as a crash) with the property's name.
#ifndef RCL_FUZZ_FUZZ_CHECK_H_
#define RCL_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

// Not an assert(): it must hold in every build type, and names what broke.
#define RCL_FUZZ_REQUIRE(condition)                                                                \
  do {                                                                                             \
    if (!(condition)) {                                                                            \
      std::fprintf(stderr, "fuzz property failed at %s:%d: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                                \
    }                                                                                              \
  } while (0)

#endif  // RCL_FUZZ_FUZZ_CHECK_H_
