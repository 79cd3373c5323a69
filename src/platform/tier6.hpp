// Tier6-Model topology files, read as a tiers platform.
//
// Tier6 writes a hierarchy `pods: [{count, racks: [{count, boards: [{count,
// chips: [{name, count}]}]}]}]`, the links between its members as
// `connections` (source and target paths such as pod_0/rack_0/board_1/chip_2
// or pod_0/rack_0/board_1, type c2c / b2b / r2r / p2p), link parameters as
// `interconnect.links.<type>.{bandwidth_gbps, latency_us}` (GB/s, as Tier6's
// own SG2262 figures read), and `interconnect.comm_params`. moesim reads
// it as levels board (c2c), rack (b2b), pod (r2r) and cluster (p2p), up to
// the highest level with more than one member. A level is a full mesh when
// its connections join every pair of every group (or when it lists none:
// Tier6's default direct topology), a switch when `switch_config.inter_*`
// enables one. Board-to-board links are ports every chip of the board
// reaches directly (tiers' `uplink: direct`). Groups must be alike: one
// entry with a count in each list. Every key Tier6 writes is accepted, any
// other is an error; what moesim does not model is ignored: the `chips`
// section (compute, memory, DMA), ids, names and rack units, switch layers,
// `switch` connections (the switch comes from switch_config). The analytic
// engine's c2c latency is links.c2c.latency_us, as in Tier6's cost model.
#pragma once

#include <yaml-cpp/yaml.h>

#include "moesim/platform.hpp"

namespace moesim {

class YamlDoc;

// A Tier6 topology has `pods` and no moesim `topology`.
bool is_tier6_topology(const YAML::Node& root);
// Fills spec.kind, spec.tiers and spec.comm; throws InputError naming the key.
void read_tier6_topology(const YamlDoc& doc, PlatformSpec& spec);

}  // namespace moesim
