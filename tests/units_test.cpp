// Bandwidth and time strings as SimGrid writes them.
#include "util/units.hpp"
#include "util/format.hpp"

#include <catch2/catch.hpp>

using namespace moesim;

TEST_CASE("bandwidths", "[units]") {
  CHECK(*parse_bandwidth_Bps("45GBps") == Approx(45e9));
  CHECK(*parse_bandwidth_Bps("400Gbps") == Approx(50e9));
  CHECK(*parse_bandwidth_Bps("1GiBps") == Approx(1073741824.0));
  CHECK(*parse_bandwidth_Bps("12.5MBps") == Approx(12.5e6));
  CHECK_FALSE(parse_bandwidth_Bps("1000"));  // no unit: refused, not 1000 B/s
  CHECK(unit_hint("45", true).find("'45' has no unit: write 45GBps (bytes per second) or 45Gbps") == 0);
  CHECK(unit_hint("45GB", true).empty());
  CHECK_FALSE(parse_bandwidth_Bps("45GB"));
  CHECK_FALSE(parse_bandwidth_Bps("fast"));
  CHECK_FALSE(parse_bandwidth_Bps(""));
  CHECK(*parse_bandwidth_Bps(format_bandwidth(45e9)) == Approx(45e9));
}

TEST_CASE("times", "[units]") {
  CHECK(*parse_time_s("1us") == Approx(1e-6));
  CHECK(*parse_time_s("0.35us") == Approx(0.35e-6));
  CHECK(*parse_time_s("2ms") == Approx(2e-3));
  CHECK(*parse_time_s("5ns") == Approx(5e-9));
  CHECK_FALSE(parse_time_s("3"));  // no unit: refused, not 3 s
  CHECK(*parse_time_s("0") == 0.0);  // zero in any unit
  CHECK(*parse_time_s("0.0") == 0.0);
  CHECK_FALSE(parse_time_s("0.5"));
  CHECK(unit_hint("1", false).find("'1' has no unit: write 1us, 1ms or 1s") == 0);
  CHECK_FALSE(parse_time_s("1 hour"));
  CHECK_FALSE(parse_time_s("us"));
  CHECK(*parse_time_s(format_time(0.35e-6)) == Approx(0.35e-6));
}

TEST_CASE("byte sizes in decimal units", "[units]") {
  CHECK(byte_size(0) == "0 B");
  CHECK(byte_size(999) == "999 B");
  CHECK(byte_size(4096) == "4.1 kB");
  CHECK(byte_size(3.02e9) == "3.02 GB");
  CHECK(byte_size(2e18) == "2e+03 PB");
}
