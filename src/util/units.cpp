// Parsing of SimGrid-style bandwidth and time strings.
#include "util/units.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

namespace moesim {
namespace {

std::optional<double> parse_with(const std::string& text,
                                 const std::vector<std::pair<const char*, double>>& units,
                                 bool bare_allowed) {
  if (text.empty()) return std::nullopt;
  const char* begin = text.c_str();
  char* end = nullptr;
  double value = std::strtod(begin, &end);
  if (end == begin || !std::isfinite(value)) return std::nullopt;
  std::string unit(end);
  if (unit.empty()) return bare_allowed ? std::optional<double>(value) : std::nullopt;
  for (const auto& [name, factor] : units)
    if (unit == name) return value * factor;
  return std::nullopt;
}

}  // namespace

std::optional<double> parse_bandwidth_Bps(const std::string& text) {
  static const std::vector<std::pair<const char*, double>> units = {
      {"Bps", 1.0},          {"kBps", 1e3},          {"KBps", 1e3},          {"MBps", 1e6},
      {"GBps", 1e9},         {"TBps", 1e12},         {"KiBps", 1024.0},      {"MiBps", 1048576.0},
      {"GiBps", 1073741824.0}, {"TiBps", 1099511627776.0}, {"bps", 0.125},  {"kbps", 125.0},
      {"Kbps", 125.0},       {"Mbps", 1.25e5},       {"Gbps", 1.25e8},       {"Tbps", 1.25e11}};
  return parse_with(text, units, false);
}

std::optional<double> parse_time_s(const std::string& text) {
  static const std::vector<std::pair<const char*, double>> units = {
      {"s", 1.0}, {"ms", 1e-3}, {"us", 1e-6}, {"ns", 1e-9}, {"ps", 1e-12}};
  const auto bare = parse_with(text, {}, true);  // only zero means the same in every unit
  if (bare) return *bare == 0 ? bare : std::nullopt;
  return parse_with(text, units, false);
}

std::string unit_hint(const std::string& text, bool bandwidth) {
  if (!parse_with(text, {}, true)) return "";  // not a bare number
  return bandwidth ? "'" + text + "' has no unit: write " + text + "GBps (bytes per second) or " + text +
                         "Gbps (bits per second); a bare number is refused, not read as bytes per second"
                   : "'" + text + "' has no unit: write " + text + "us, " + text + "ms or " + text +
                         "s; a bare number is refused, not read as seconds (only 0 may go without one)";
}

std::optional<std::uint64_t> parse_uint(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  for (char c : text)
    if (c < '0' || c > '9') return std::nullopt;
  return std::stoull(text);
}

std::string format_bandwidth(double bandwidth_Bps) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15gBps", bandwidth_Bps);
  return buf;
}

std::string format_time(double time_s) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15gs", time_s);
  return buf;
}

}  // namespace moesim
