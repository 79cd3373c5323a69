// The Tier6 / DS_TPU closed form of dispatch and combine latency.
#pragma once

#include "moesim/bytes.hpp"
#include "moesim/platform.hpp"
#include "moesim/result.hpp"

namespace moesim {

// Tier6: start_lat = 2*c2c_latency + memory_read_latency + memory_write_latency
//                    + noc_latency + 2*die_to_die_latency (us), c2c_latency
// being the c2c link's latency unless comm_params overrides it (p resolved).
double start_latency_us(const CommParams& p);
// Tier6: dispatch_start_lat = start_lat + 2*switch_latency + 2*cable_latency (us)
double dispatch_start_latency_us(const CommParams& p);
// Tier6: T_us = bytes / inter_bw / bandwidth_utilization * 1e6 + dispatch_start_lat + cpu_fetch_delay
double alltoall_us(std::uint64_t bytes, const CommParams& p);
// (moe_tp - 1) * bytes / c2c_bw / bandwidth_utilization * 1e6 + (moe_tp - 1) * start_lat
double allgather_us(std::uint64_t bytes, std::uint64_t moe_tp, const CommParams& p);

// One layer under the closed form; `comm` must be resolved (bandwidths set).
LayerResult analytic_layer(const LayerBytes& bytes, const LayerTraffic& traffic, std::uint64_t moe_tp,
                           const CommParams& comm);

}  // namespace moesim
