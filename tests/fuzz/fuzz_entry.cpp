// The libFuzzer entry points of one target, named by MOESIM_FUZZ_TARGET.
#include <cstddef>
#include <cstdint>

#include "targets.hpp"

#ifndef MOESIM_FUZZ_TARGET
#error "define MOESIM_FUZZ_TARGET, one of moesim::fuzz::target_names()"
#endif

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  moesim::fuzz::initialize();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)moesim::fuzz::run_one(MOESIM_FUZZ_TARGET, data, size);
  return 0;
}
