// Traffic matrices and flows of one MoE layer.
#include "moesim/traffic.hpp"

#include <algorithm>
#include <cassert>

#include "moesim/comm.hpp"
#include "moesim/error.hpp"
#include "moesim/routing.hpp"

namespace moesim {

std::uint64_t TrafficMatrix::received_by(std::size_t dst) const {
  std::uint64_t sum = 0;
  for (std::size_t s = 0; s < n; ++s) sum += at(s, dst);
  return sum;
}

TrafficMatrix TrafficMatrix::transposed() const {
  TrafficMatrix t{n, std::vector<std::uint64_t>(n * n)};
  for (std::size_t s = 0; s < n; ++s)
    for (std::size_t d = 0; d < n; ++d) t.bytes[d * n + s] = at(s, d);
  return t;
}

TrafficMatrix uniform_matrix(std::size_t n, std::uint64_t bytes_per_receiver) {
  assert(n > 0);
  TrafficMatrix m{n, std::vector<std::uint64_t>(n * n)};
  const std::uint64_t share = bytes_per_receiver / n, extra = bytes_per_receiver % n;
  for (std::size_t s = 0; s < n; ++s)
    for (std::size_t d = 0; d < n; ++d) m.bytes[s * n + d] = share + (s < extra ? 1 : 0);
  return m;
}

TrafficMatrix allgather_matrix(std::size_t n, std::size_t moe_tp, std::uint64_t bytes) {
  assert(moe_tp > 0 && n % moe_tp == 0);
  TrafficMatrix m{n, std::vector<std::uint64_t>(n * n)};
  for (std::size_t s = 0; s < n; ++s)
    for (std::size_t d = 0; d < n; ++d)
      if (s != d && s / moe_tp == d / moe_tp) m.bytes[s * n + d] = bytes;
  return m;
}

Phase make_phase(PhaseKind kind, const TrafficMatrix& m, const std::vector<ChipId>& group,
                 std::uint32_t group_id, std::uint64_t message_bytes) {
  assert(group.size() == m.n);
  Phase p;
  p.kind = kind;
  std::size_t flows = 0;
  for (std::size_t s = 0; s < m.n; ++s)
    for (std::size_t d = 0; d < m.n; ++d) flows += s != d && m.at(s, d) != 0;
  p.flows.reserve(flows);
  for (std::size_t s = 0; s < m.n; ++s)
    for (std::size_t d = 0; d < m.n; ++d) {
      const std::uint64_t b = m.at(s, d);
      if (b == 0) continue;
      if (s == d) {
        p.local_bytes += b;
      } else {
        const std::uint64_t messages = message_bytes ? (b + message_bytes - 1) / message_bytes : 1;
        if (messages > UINT32_MAX)
          fail("", "comm.message_bytes",
               std::to_string(message_bytes) + " makes a flow of " + std::to_string(b) + " B more than 2^32 messages");
        p.flows.push_back(Flow{group[s], group[d], b, group_id, static_cast<std::uint32_t>(messages)});
        p.network_bytes += b;
      }
    }
  return p;
}

std::vector<double> sender_busy_s(const Phase& phase, double per_message_s, std::size_t chips) {
  std::vector<double> busy;
  if (per_message_s <= 0) return busy;
  busy.assign(chips, 0.0);
  for (const Flow& f : phase.flows) busy[f.src] += f.messages * per_message_s;
  return busy;
}

std::uint64_t fingerprint(const std::vector<Phase>& phases) {
  // A word at a time (FNV-1a's structure with a 64-bit multiply-rotate step).
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&h](std::uint64_t v) {
    h = (h ^ v) * 0x100000001b3ull;
    h ^= h >> 29;
  };
  for (const auto& p : phases) {
    mix(static_cast<std::uint64_t>(p.kind));
    mix(p.stage_index);
    mix(p.flows.size());
    for (const auto& f : p.flows) {
      mix((static_cast<std::uint64_t>(f.src) << 32) | f.dst);
      mix(f.bytes);
      mix(f.group);
      mix(f.messages);
    }
  }
  return h;
}

namespace {

TrafficMatrix scaled(const TrafficMatrix& tokens, std::uint64_t bytes_per_token) {
  TrafficMatrix m = tokens;
  for (auto& b : m.bytes) b *= bytes_per_token;
  return m;
}

// A layer's dispatch and combine, from their dispatch-shaped matrices (the
// combine's before it is reversed), moved by `comm` (null: direct). token:
// one token's bytes, per_expert's message.
void add_exchange(LayerTraffic& t, const TrafficMatrix& dispatch, const TrafficMatrix& combine, const TokenBytes& token,
                  const std::vector<ChipId>& group, std::uint32_t group_id, const GroupComm* comm) {
  const CommAlgorithm algorithm = comm ? comm->algorithm : CommAlgorithm::kDirect;
  const std::uint64_t message = comm ? comm->message_bytes : 0;
  auto append = [&t](std::vector<Phase> phases) {
    for (auto& p : phases) t.phases.push_back(std::move(p));
  };
  switch (algorithm) {
    case CommAlgorithm::kDimensionOrdered:
      append(stage_phases(PhaseKind::kDispatch, dimension_ordered_stages(dispatch, comm->dims, comm->coord), group,
                          group_id, message));
      append(stage_phases(PhaseKind::kCombine, dimension_ordered_stages(combine, comm->dims, comm->coord), group,
                          group_id, message));
      return;
    case CommAlgorithm::kPerExpert:
      t.phases.push_back(make_phase(PhaseKind::kDispatch, dispatch, group, group_id, message ? message : token.dispatch));
      t.phases.push_back(
          make_phase(PhaseKind::kCombine, combine.transposed(), group, group_id, message ? message : token.combine));
      return;
    case CommAlgorithm::kNodeDedup:  // needs the routing's tokens: routed_layer
    case CommAlgorithm::kDirect:
      break;
  }
  t.phases.push_back(make_phase(PhaseKind::kDispatch, dispatch, group, group_id, message));
  t.phases.push_back(make_phase(PhaseKind::kCombine, combine.transposed(), group, group_id, message));
}

}  // namespace

LayerTraffic uniform_layer(const LayerBytes& bytes, const std::vector<ChipId>& group, std::uint64_t moe_tp,
                           std::uint32_t group_id, const GroupComm* comm) {
  const std::size_t n = group.size();
  if (comm && comm->algorithm == CommAlgorithm::kNodeDedup)
    fail("", "comm.algorithm", "node_dedup needs each token's experts: set traffic.routing (random, zipf, hotspot or trace)");
  LayerTraffic t;
  const std::uint64_t tokens = std::max<std::uint64_t>(1, bytes.tokens_per_ep_group);
  add_exchange(t, uniform_matrix(n, bytes.dispatch_bytes), uniform_matrix(n, bytes.combine_bytes),
               TokenBytes{bytes.dispatch_bytes / tokens, bytes.combine_bytes / tokens}, group, group_id, comm);
  if (moe_tp > 1)
    t.phases.push_back(
        make_phase(PhaseKind::kAllgather, allgather_matrix(n, moe_tp, bytes.combine_bytes), group, group_id));
  t.fingerprint = fingerprint(t.phases);
  return t;
}

namespace {

// Network bytes of a token-count matrix [src chip * ep + rank].
std::uint64_t network_bytes(const std::vector<std::uint64_t>& counts, std::size_t n, std::uint64_t ep,
                            std::uint64_t tp, std::uint64_t token_bytes) {
  std::uint64_t sum = 0;
  for (std::size_t c = 0; c < n; ++c)
    for (std::uint64_t r = 0; r < ep; ++r)
      for (std::uint64_t j = r * tp; j < (r + 1) * tp; ++j)
        if (j != c) sum += counts[c * ep + r] * token_bytes;
  return sum;
}

}  // namespace

LayerTraffic routed_layer(const LayerRouting& routing, const TokenBytes& token, bool dedup,
                          const std::vector<ChipId>& group, std::uint64_t moe_tp,
                          std::uint64_t allgather_bytes, std::uint32_t group_id, LayerStats* stats,
                          const GroupComm* comm) {
  const std::size_t n = group.size();
  const std::uint64_t tp = moe_tp, ep = n / tp;
  const CommAlgorithm algorithm = comm ? comm->algorithm : CommAlgorithm::kDirect;
  // per_expert sends every copy: no rank-level dedup.
  const bool once_per_rank = dedup && algorithm != CommAlgorithm::kPerExpert;
  const std::vector<std::uint64_t>& counts = once_per_rank ? routing.counts_dedup : routing.counts_all;
  TrafficMatrix tokens{n, std::vector<std::uint64_t>(n * n, 0)};  // token slices from chip to chip
  for (std::size_t c = 0; c < n; ++c)
    for (std::uint64_t r = 0; r < ep; ++r)
      for (std::uint64_t j = r * tp; j < (r + 1) * tp; ++j) tokens.bytes[c * n + j] += counts[c * ep + r];
  const TrafficMatrix d = scaled(tokens, token.dispatch);
  LayerTraffic t;
  if (algorithm == CommAlgorithm::kNodeDedup) {
    const std::vector<Stage> st = node_dedup_stages(routing.counts_dedup, routing.counts_node, comm->node, tp);
    std::vector<Stage> out = st, back = st;
    for (auto& s : out) s.m = scaled(s.m, token.dispatch);
    for (auto& s : back) s.m = scaled(s.m, token.combine);
    for (auto& p : stage_phases(PhaseKind::kDispatch, out, group, group_id, comm->message_bytes))
      t.phases.push_back(std::move(p));
    for (auto& p : stage_phases(PhaseKind::kCombine, back, group, group_id, comm->message_bytes))
      t.phases.push_back(std::move(p));
  } else {
    add_exchange(t, d, scaled(tokens, token.combine), token, group, group_id, comm);
  }
  if (tp > 1)
    t.phases.push_back(make_phase(PhaseKind::kAllgather, allgather_matrix(n, tp, allgather_bytes), group, group_id));
  t.fingerprint = fingerprint(t.phases);

  if (stats) {
    LayerStats s;
    s.routed = true;
    double sum = 0;
    for (std::size_t j = 0; j < n; ++j) {
      const std::uint64_t got = d.received_by(j);
      sum += static_cast<double>(got);
      if (j == 0 || got > s.busiest_bytes) {
        s.busiest_bytes = got;
        s.busiest_chip = group[j];
        s.busiest_experts = routing.distinct_experts[j / tp];
      }
    }
    const double mean = sum / static_cast<double>(n);
    s.imbalance = mean > 0 ? static_cast<double>(s.busiest_bytes) / mean : 1.0;
    for (auto x : routing.distinct_experts) s.max_experts = std::max(s.max_experts, x);
    double tokens = 0;
    for (auto x : routing.rank_tokens) tokens += static_cast<double>(x);
    s.mean_rank_tokens = tokens / static_cast<double>(ep);
    s.dispatch_bytes_dedup = network_bytes(routing.counts_dedup, n, ep, tp, token.dispatch);
    s.dispatch_bytes_all = network_bytes(routing.counts_all, n, ep, tp, token.dispatch);
    *stats = s;
  }
  return t;
}

LayerStats uniform_stats(const LayerBytes& bytes, const std::vector<ChipId>& group, std::uint64_t network) {
  LayerStats s;
  s.busiest_chip = group.front();
  s.busiest_bytes = bytes.dispatch_bytes;
  s.imbalance = 1.0;
  s.mean_rank_tokens = static_cast<double>(bytes.tokens_per_ep_group);
  s.dispatch_bytes_dedup = s.dispatch_bytes_all = network;
  return s;
}

void merge_stats(LayerStats& into, const LayerStats& more, std::size_t groups_so_far) {
  // The imbalance over all chips: every group has the same number of chips.
  const double mean_into = static_cast<double>(into.busiest_bytes) / into.imbalance;
  const double mean_more = static_cast<double>(more.busiest_bytes) / more.imbalance;
  const double k = static_cast<double>(groups_so_far);
  const double mean = (mean_into * k + mean_more) / (k + 1);
  if (more.busiest_bytes > into.busiest_bytes) {
    into.busiest_bytes = more.busiest_bytes;
    into.busiest_chip = more.busiest_chip;
    into.busiest_experts = more.busiest_experts;
  }
  into.imbalance = mean > 0 ? static_cast<double>(into.busiest_bytes) / mean : 1.0;
  into.max_experts = std::max(into.max_experts, more.max_experts);
  into.mean_rank_tokens = (into.mean_rank_tokens * k + more.mean_rank_tokens) / (k + 1);
  into.dispatch_bytes_dedup += more.dispatch_bytes_dedup;
  into.dispatch_bytes_all += more.dispatch_bytes_all;
}

LayerTraffic join_groups(std::vector<LayerTraffic> per_group) {
  LayerTraffic t = std::move(per_group.front());
  for (std::size_t g = 1; g < per_group.size(); ++g)
    for (std::size_t p = 0; p < t.phases.size(); ++p) {
      Phase& into = t.phases[p];
      const Phase& more = per_group[g].phases[p];
      into.flows.insert(into.flows.end(), more.flows.begin(), more.flows.end());
      into.network_bytes += more.network_bytes;
      into.local_bytes += more.local_bytes;
    }
  t.fingerprint = fingerprint(t.phases);
  return t;
}

}  // namespace moesim
