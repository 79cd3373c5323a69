// Arithmetic on byte and token counts that refuses to wrap: an overflow is an
// InputError naming what was multiplied, never a wrapped number (unsigned
// wrap is defined behaviour, so neither UBSan nor a fuzzer would see it).
#pragma once

#include <cstdint>
#include <string>

#include "moesim/error.hpp"

namespace moesim {

// a x b, or InputError "key: what: a x b is more than 2^64 - 1".
inline std::uint64_t checked_mul(std::uint64_t a, std::uint64_t b, const std::string& key, const std::string& what) {
  std::uint64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r))
    fail("", key, what + ": " + std::to_string(a) + " x " + std::to_string(b) + " is more than 2^64 - 1");
  return r;
}

// a + b, or InputError as checked_mul.
inline std::uint64_t checked_add(std::uint64_t a, std::uint64_t b, const std::string& key, const std::string& what) {
  std::uint64_t r = 0;
  if (__builtin_add_overflow(a, b, &r))
    fail("", key, what + ": " + std::to_string(a) + " + " + std::to_string(b) + " is more than 2^64 - 1");
  return r;
}

}  // namespace moesim
