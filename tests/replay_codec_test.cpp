// What replay workers hand back: bit for bit, and merged across independent groups.
#include "engine/replay_codec.hpp"

#include <catch2/catch.hpp>

#include <cstring>

using namespace moesim;

namespace {

PhaseResult replayed(double latency, std::vector<double> groups, std::vector<double> chips, double span) {
  PhaseResult p;
  p.latency_us = latency;
  p.has_slowest = true;
  p.slowest = Flow{1, 2, 300, 1, 4};
  p.slowest_finish_us = latency;
  p.group_us = std::move(groups);
  p.chip_done_us = std::move(chips);
  p.flow_spans.push_back({Flow{3, 4, 5, 0, 1}, span});
  p.simgrid_link_bytes = {1.5, 0, 2};
  return p;
}

}  // namespace

TEST_CASE("a replay's times survive encoding bit for bit", "[codec]") {
  std::vector<LayerResult> in(2);
  in[0].expert_us = 12.5;
  in[0].phases = {replayed(0.1 + 0.2, {0.3, 1.0 / 3}, {-1, 4}, 7), replayed(9, {}, {}, 1)};
  in[1].phases = {replayed(1e-300, {5e300}, {2}, 3)};
  std::vector<LayerResult> out(2);
  out[0].phases.resize(2);
  out[1].phases.resize(1);
  decode_replayed(encode_replayed(in), out);
  CHECK(out[0].expert_us == 12.5);
  for (std::size_t l = 0; l < 2; ++l)
    for (std::size_t k = 0; k < in[l].phases.size(); ++k) {
      const PhaseResult &a = in[l].phases[k], &b = out[l].phases[k];
      CHECK(std::memcmp(&a.latency_us, &b.latency_us, sizeof(double)) == 0);
      CHECK(a.group_us == b.group_us);
      CHECK(a.chip_done_us == b.chip_done_us);
      CHECK(a.simgrid_link_bytes == b.simgrid_link_bytes);
      REQUIRE(b.flow_spans.size() == 1);
      CHECK(b.flow_spans[0].finish_us == a.flow_spans[0].finish_us);
      CHECK(b.slowest.bytes == 300);
      CHECK(b.slowest.messages == 4);
    }
  // Bytes it did not write, or for other layers, are refused.
  std::string bytes = encode_replayed(in);
  CHECK_THROWS_AS(decode_replayed(bytes.substr(0, bytes.size() - 1), out), std::runtime_error);
  std::vector<LayerResult> wrong(1);
  wrong[0].phases.resize(2);
  CHECK_THROWS_AS(decode_replayed(bytes, wrong), std::runtime_error);
}

TEST_CASE("independent groups' replays merge into the layer's", "[codec]") {
  LayerResult layer;
  layer.phases.resize(1);
  layer.phases[0].group_us.assign(2, 0.0);
  merge_replayed(layer, LayerResult{0, {replayed(10, {10, 0}, {8, -1, -1}, 10)}, 0, 0, {}, false, {}});
  const LayerResult once = layer;
  merge_replayed(layer, LayerResult{0, {replayed(12, {0, 12}, {-1, -1, 12}, 12)}, 0, 0, {}, false, {}});
  const PhaseResult& p = layer.phases[0];
  CHECK(once.phases[0].latency_us == 10);  // one part: its own times
  CHECK(p.latency_us == 12);
  CHECK(p.slowest_finish_us == 12);
  CHECK(p.group_us == std::vector<double>{10, 12});
  CHECK(p.chip_done_us == std::vector<double>{8, -1, 12});
  CHECK(p.simgrid_link_bytes == std::vector<double>{3, 0, 4});
  REQUIRE(p.flow_spans.size() == 2);
  CHECK(p.flow_spans[0].finish_us == 12);  // latest first
}
