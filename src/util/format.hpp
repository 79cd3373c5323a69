// printf into a std::string, for fixed-width text tables.
#pragma once

#include <cstdio>
#include <string>

namespace moesim {

template <typename... Args>
std::string format(const char* fmt, Args... args) {
  const int n = std::snprintf(nullptr, 0, fmt, args...);
  std::string out(static_cast<std::size_t>(n) + 1, '\0');
  std::snprintf(out.data(), out.size(), fmt, args...);
  out.pop_back();
  return out;
}

}  // namespace moesim

namespace moesim {

// "1 layer", "58 layers": a count and its noun, plural when it is not 1
// (the noun's plural is noun + "s" unless given).
inline std::string plural(std::size_t n, const std::string& noun, const std::string& nouns = "") {
  return std::to_string(n) + " " + (n == 1 ? noun : nouns.empty() ? noun + "s" : nouns);
}

// A size in decimal units, 3 significant digits: "0 B", "512 B", "4.1 kB", "3.02 GB".
inline std::string byte_size(double bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  int u = 0;
  while (bytes >= 1000 && u < 5) bytes /= 1000, ++u;
  return u == 0 ? format("%.0f B", bytes) : format("%.3g %s", bytes, units[u]);
}

}  // namespace moesim
