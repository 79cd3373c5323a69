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
  // Uniform integer in [0, n), n > 0, without bias: Lemire's multiply-shift,
  // which divides only on the rare rejection path.
  std::uint64_t below(std::uint64_t n) {
    __extension__ typedef unsigned __int128 u128;
    u128 m = static_cast<u128>(next()) * n;
    std::uint64_t low = static_cast<std::uint64_t>(m);
    if (low < n) {
      const std::uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<u128>(next()) * n;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
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
