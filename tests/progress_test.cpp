#include "util/progress.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace moesim;

TEST_CASE("time left: even units at the rate, shrinking ones half of it", "[util]") {
  // 900 units left at 10 a second.
  CHECK(seconds_left(Pace::kEven, 100, 1000, 10.0) == Approx(90.0));
  // Each unit costing in step with the units left: 1/10 s now, nothing for
  // the last; their sum is half.
  CHECK(seconds_left(Pace::kShrinking, 100, 1000, 10.0) == Approx(45.0));
  CHECK(seconds_left(Pace::kEven, 1000, 1000, 10.0) == 0.0);
  CHECK(seconds_left(Pace::kShrinking, 1200, 1000, 10.0) == 0.0);  // more done than planned: nothing left
  CHECK(std::isnan(seconds_left(Pace::kEven, 0, 1000, 0.0)));     // no rate yet: unknown ("?")
  CHECK(std::isnan(seconds_left(Pace::kShrinking, 5, 1000, -1.0)));
  CHECK(duration(seconds_left(Pace::kEven, 0, 1000, 0.0)) == "?");
  CHECK(duration(3725.0) == "1:02:05");
}
