// What a replay worker hands back to its parent: the times a SimGrid replay
// puts in its layers' phase results, as bytes (doubles bit for bit), and the
// merge of the results of groups replayed apart.
#pragma once

#include <string>
#include <vector>

#include "moesim/result.hpp"

namespace moesim {

// The replay's own fields of each layer: expert_us, and per phase
// latency_us, the slowest flow, group_us, chip_done_us, flow_spans and
// simgrid_link_bytes. The rest of a phase result comes from its traffic.
std::string encode_replayed(const std::vector<LayerResult>& layers);
// Into `layers`, which must have the encoded layers' phases; throws
// std::runtime_error on bytes that encode_replayed did not write.
void decode_replayed(const std::string& bytes, std::vector<LayerResult>& layers);

// Adds the replay of other groups of the same layer (which loaded no link of
// `into`'s groups): the phase's latency is the later one, the slowest flow
// the later one, per-group and per-chip times and the latest flow spans
// taken from both, SimGrid's link counts added. `into` gets part's phases
// when it has fewer.
void merge_replayed(LayerResult& into, const LayerResult& part);

}  // namespace moesim
