// A reproducible random stream: std::mt19937_64's output sequence is fixed by
// the C++ standard, but the standard distributions are not, so the
// distributions here are written out. Same seed, same numbers, everywhere.
#pragma once

#include <cstdint>
#include <random>

namespace moesim {

class Rng {
 public:
  // Independent streams for (seed, layer, group, ...) via splitmix64 mixing.
  explicit Rng(std::uint64_t seed, std::uint64_t a = 0, std::uint64_t b = 0, std::uint64_t c = 0)
      : engine_(mix(mix(mix(mix(seed) ^ a) ^ b) ^ c)) {}

  std::uint64_t next() { return engine_(); }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, n), n > 0, without modulo bias.
  std::uint64_t below(std::uint64_t n) {
    const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % n);
    std::uint64_t x;
    do x = next();
    while (x >= limit);
    return x % n;
  }

  static std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace moesim
