// Quantities with units as SimGrid writes them: "45GBps", "400Gbps", "1us".
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace moesim {

// Bytes per second from "45GBps" (decimal bytes), "400Gbps" (bits) or
// "1GiBps" (binary bytes). Nullopt if malformed or without a unit: a bare
// "45" is nearly always a mistake (45 B/s), so it is refused.
std::optional<double> parse_bandwidth_Bps(const std::string& text);

// Seconds from "1us", "0.35us", "2ms", "5ns", "1ps", "3s"; a bare "0" (zero
// in any unit). Nullopt if malformed or a bare non-zero number.
std::optional<double> parse_time_s(const std::string& text);

// For a bare number ("45"), what to write instead, as an error's text;
// empty for anything else.
std::string unit_hint(const std::string& text, bool bandwidth);

// A non-negative decimal integer of at most 18 digits ("0", "42"); nullopt
// for anything else ("-1", "1.5", "abc", "").
std::optional<std::uint64_t> parse_uint(const std::string& text);

// The reverse, for writing platforms back out: "45GBps", "0.35us".
std::string format_bandwidth(double bandwidth_Bps);
std::string format_time(double time_s);

inline const char* kBandwidthUnits = "Bps, kBps, MBps, GBps, TBps, KiBps, MiBps, GiBps, TiBps, bps, kbps, Mbps, Gbps, Tbps";
inline const char* kTimeUnits = "s, ms, us, ns, ps";

}  // namespace moesim
