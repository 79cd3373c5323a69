// Measurement files for calibration: rows, names, and one clear error each.
#include "campaign/measurements.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "moesim/error.hpp"
#include "util/files.hpp"

using namespace moesim;

namespace {

const std::string kScenario = std::string(MOESIM_SOURCE_DIR) + "/scenarios/reference-ep32.yaml";  // 32 chips

std::string temp_csv(const std::string& text) {
  static const TempDir dir("moesim-measurements-test");
  const std::string path = dir.file("points.csv");
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("a measurement file: rows, names, overrides and comments", "[measurements]") {
  const std::string path = temp_csv(
      "# two points, measured by hand\n"
      "name,deployment.ep,precision,phase,measured_us\n"
      "ep16-d,16,W8A8,dispatch,12.5\n"
      "\n"
      ",32,\"W16A16\",combine,30\n"
      "ep32-d,32,,dispatch,20\n");
  const auto pts = load_measurements(path, kScenario);
  REQUIRE(pts.size() == 3);
  CHECK(pts[0].name == "ep16-d");
  CHECK(pts[0].line == 3);
  CHECK(pts[0].overrides == std::vector<std::string>{"deployment.ep=16", "precision=W8A8"});
  CHECK(pts[0].phase == PhaseKind::kDispatch);
  CHECK(pts[0].measured_us == 12.5);
  CHECK(pts[1].name == "row 2");
  CHECK(pts[1].phase == PhaseKind::kCombine);
  CHECK(pts[1].overrides == std::vector<std::string>{"deployment.ep=32", "precision=W16A16"});
  CHECK(pts[2].overrides == std::vector<std::string>{"deployment.ep=32"});  // an empty cell is not set
  std::remove(path.c_str());
}

TEST_CASE("bad measurement files get one clear line each", "[measurements]") {
  struct Case {
    const char* text;
    const char* message;
  };
  for (const Case& c : {
           Case{"deployment.ep,measured_us\n16,3\n", ":1: phase: missing column"},
           Case{"deployment.ep,phase\n16,dispatch\n", ":1: measured_us: missing column"},
           Case{"deployment.ep,phase,measured_us\n16,dispatch,fast\n", ":2: measured_us: 'fast' is not a positive number"},
           Case{"deployment.ep,phase,measured_us\n16,dispatch,-1\n", ":2: measured_us: '-1' is not a positive number"},
           Case{"deployment.ep,phase,measured_us\n16,expert,3\n", ":2: phase: 'expert' is not a phase"},
           Case{"deployment.ep,phase,measured_us\n16,dispatch\n", ":2: 2 fields where the header has 3"},
           Case{"deployment.epp,phase,measured_us\n16,dispatch,3\n", ":2: point 'row 1': --set deployment.epp: deployment.epp: unknown key"},
           Case{"deployment.ep,phase,measured_us\nsixteen,dispatch,3\n", ":2: point 'row 1': --set deployment.ep"},
           Case{"deployment.ep,phase,measured_us\n64,dispatch,3\n", ":2: point 'row 1' needs 64 chips, the platform has 32"},
           Case{"deployment.ep,phase,measured_us\n16,allgather,3\n", ":2: phase: point 'row 1' is an allgather, but its moe_tp is 1"},
           Case{"name,deployment.ep,phase,measured_us\na,16,dispatch,3\na,32,dispatch,4\n", ":3: name: 'a' names two rows"},
           Case{"# only a comment\n", "no header line"},
           Case{"deployment.ep,phase,measured_us\n", "no measured points"},
       }) {
    INFO(c.text);
    const std::string path = temp_csv(c.text);
    CHECK_THROWS_WITH(load_measurements(path, kScenario), Catch::Contains(path) && Catch::Contains(c.message));
    std::remove(path.c_str());
  }
  CHECK_THROWS_WITH(load_measurements("/nonexistent.csv", kScenario), Catch::Contains("/nonexistent.csv: cannot open file"));
}
