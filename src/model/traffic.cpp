// Traffic matrices and flows of one MoE layer.
#include "moesim/traffic.hpp"

#include <algorithm>
#include <cassert>
#include <map>
#include <stdexcept>

#include "moesim/comm.hpp"
#include "moesim/error.hpp"
#include "moesim/routing.hpp"
#include "util/checked.hpp"

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

Stage make_stage(const TrafficMatrix& m, const std::vector<ChipId>& group, std::uint32_t group_id,
                 std::uint64_t message_bytes) {
  assert(group.size() == m.n);
  Stage p;
  std::size_t flows = 0;
  for (std::size_t s = 0; s < m.n; ++s)
    for (std::size_t d = 0; d < m.n; ++d) flows += s != d && m.at(s, d) != 0;
  p.flows.reserve(flows);
  for (std::size_t s = 0; s < m.n; ++s)
    for (std::size_t d = 0; d < m.n; ++d) {
      const std::uint64_t b = m.at(s, d);
      if (b == 0) continue;
      if (s == d) {
        p.kept.push_back(Flow{group[s], group[d], b, group_id, 1});
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

Phase make_phase(PhaseKind kind, const TrafficMatrix& m, const std::vector<ChipId>& group, std::uint32_t group_id,
                 std::uint64_t message_bytes) {
  Phase p(kind);
  p.add_stage(make_stage(m, group, group_id, message_bytes));
  return p;
}

Stage& Phase::add_stage(Stage s) {
  s.kind = kind_;
  s.index = static_cast<std::uint32_t>(stages_.size());
  stages_.push_back(std::move(s));
  return stages_.back();
}

std::uint64_t Phase::network_bytes() const {
  std::uint64_t sum = 0;
  for (const Stage& s : stages_) sum += s.network_bytes;
  return sum;
}

std::uint64_t Phase::local_bytes() const {
  std::uint64_t sum = 0;
  for (const Stage& s : stages_) sum += s.local_bytes;
  return sum;
}

std::size_t Phase::flow_count() const {
  std::size_t sum = 0;
  for (const Stage& s : stages_) sum += s.flows.size();
  return sum;
}

const Phase* LayerTraffic::phase(PhaseKind k) const {
  for (const Phase& p : phases)
    if (p.kind() == k) return &p;
  return nullptr;
}

std::vector<const Stage*> LayerTraffic::stages() const {
  std::vector<const Stage*> out;
  for (const Phase& p : phases)
    for (const Stage& s : p.stages()) out.push_back(&s);
  return out;
}

SenderCosts::SenderCosts(double per_message_s) : empty_(per_message_s <= 0), message_s_(per_message_s) {}

SenderCosts::SenderCosts(const SendCosts& per_message, const SendCosts& per_peer, const Topology& topology)
    : message_s_(per_message.all_us * 1e-6), peer_s_(per_peer.all_us * 1e-6) {
  empty_ = per_message.empty() && per_peer.empty();
  if (per_message.class_us.empty() && per_peer.class_us.empty()) return;
  // Link classes as small indices, for a bit mask of the classes a route crosses.
  std::map<std::string, std::uint8_t> index;
  class_of_link_.reserve(topology.links.size());
  for (const Link& l : topology.links) {
    auto [it, fresh] = index.emplace(l.link_class, static_cast<std::uint8_t>(index.size()));
    if (index.size() > 64) throw std::logic_error("more than 64 link classes");
    class_of_link_.push_back(it->second);
  }
  class_message_s_.assign(index.size(), 0.0);
  class_peer_s_.assign(index.size(), 0.0);
  for (const auto& [cls, us] : per_message.class_us)
    if (auto it = index.find(cls); it != index.end()) class_message_s_[it->second] = us * 1e-6;
  for (const auto& [cls, us] : per_peer.class_us)
    if (auto it = index.find(cls); it != index.end()) class_peer_s_[it->second] = us * 1e-6;
  topology_ = &topology;
}

double SenderCosts::flow_s(const Flow& f) const {
  double message = message_s_, peer = peer_s_;
  if (topology_) {
    std::uint64_t crossed = 0;
    for (LinkId id : topology_->route(f.src, f.dst)) crossed |= std::uint64_t{1} << class_of_link_[id];
    for (std::size_t c = 0; c < class_message_s_.size(); ++c)
      if (crossed >> c & 1) {
        message += class_message_s_[c];
        peer += class_peer_s_[c];
      }
  }
  return f.messages * message + peer;
}

std::vector<double> SenderCosts::busy_s(const Stage& stage, std::size_t chips) const {
  std::vector<double> busy;
  if (empty_) return busy;
  busy.assign(chips, 0.0);
  for (const Flow& f : stage.flows) busy[f.src] += flow_s(f);
  return busy;
}

std::vector<double> sender_busy_s(const Stage& stage, double per_message_s, std::size_t chips) {
  return SenderCosts(per_message_s).busy_s(stage, chips);
}

std::uint64_t fingerprint(const std::vector<Phase>& phases) {
  // A word at a time (FNV-1a's structure with a 64-bit multiply-rotate step).
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&h](std::uint64_t v) {
    h = (h ^ v) * 0x100000001b3ull;
    h ^= h >> 29;
  };
  for (const Phase& ph : phases) {
    mix(static_cast<std::uint64_t>(ph.kind()));
    mix(ph.stages().size());
    for (const Stage& p : ph.stages()) {
      mix(p.index);
      for (char c : p.name) mix(static_cast<unsigned char>(c));
      mix(p.flows.size());
      for (const auto& f : p.flows) {
        mix((static_cast<std::uint64_t>(f.src) << 32) | f.dst);
        mix(f.bytes);
        mix(f.group);
        mix(f.messages);
      }
    }
  }
  return h;
}

namespace {

TrafficMatrix scaled(const TrafficMatrix& tokens, std::uint64_t bytes_per_token) {
  TrafficMatrix m = tokens;
  for (auto& b : m.bytes) b = checked_mul(b, bytes_per_token, "comm", "tokens x bytes per token of a flow");
  return m;
}

// A layer's dispatch and combine, from their dispatch-shaped matrices (the
// combine's before it is reversed), moved by `comm` (null: direct). token:
// one token's bytes, per_expert's message.
void add_exchange(LayerTraffic& t, const TrafficMatrix& dispatch, const TrafficMatrix& combine, const TokenBytes& token,
                  const std::vector<ChipId>& group, std::uint32_t group_id, const GroupComm* comm) {
  const CommAlgorithm algorithm = comm ? comm->algorithm : CommAlgorithm::kDirect;
  const std::uint64_t message = comm ? comm->message_bytes : 0;
  switch (algorithm) {
    case CommAlgorithm::kDimensionOrdered:
      t.phases.push_back(staged_phase(PhaseKind::kDispatch,
                                      dimension_ordered_stages(dispatch, comm->dims, comm->coord), group, group_id,
                                      message));
      t.phases.push_back(staged_phase(PhaseKind::kCombine, dimension_ordered_stages(combine, comm->dims, comm->coord),
                                      group, group_id, message));
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
    const std::vector<StageMatrix> st =
        node_dedup_stages(routing.counts_dedup, routing.counts_node, comm->node, tp);
    std::vector<StageMatrix> out = st, back = st;
    for (auto& s : out) s.m = scaled(s.m, token.dispatch);
    for (auto& s : back) s.m = scaled(s.m, token.combine);
    t.phases.push_back(staged_phase(PhaseKind::kDispatch, out, group, group_id, comm->message_bytes));
    t.phases.push_back(staged_phase(PhaseKind::kCombine, back, group, group_id, comm->message_bytes));
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

namespace {

// Each group's run of flows, or nothing when a group's flows are not
// consecutive.
std::vector<std::pair<std::size_t, std::size_t>> group_spans(const std::vector<Flow>& flows) {
  std::vector<std::pair<std::size_t, std::size_t>> span;
  for (std::size_t i = 0, j = 0; i < flows.size(); i = j) {
    const std::uint32_t g = flows[i].group;
    while (j < flows.size() && flows[j].group == g) ++j;
    if (g >= span.size()) span.resize(g + 1, {0, 0});
    if (span[g].second > 0) return {};  // a second run
    span[g] = {i, j};
  }
  return span;
}

}  // namespace

LayerTraffic join_groups(std::vector<LayerTraffic> per_group) {
  LayerTraffic t = std::move(per_group.front());
  for (Phase& p : t.phases)  // room for every group's flows at once: no copy as the vectors grow
    for (std::size_t i = 0; i < p.stages().size(); ++i) {
      Stage& st = p.stage(i);
      st.flows.reserve(st.flows.size() * per_group.size());
      st.kept.reserve(st.kept.size() * per_group.size());
    }
  for (std::size_t g = 1; g < per_group.size(); ++g)
    for (const Phase& more : per_group[g].phases) {
      auto into = std::find_if(t.phases.begin(), t.phases.end(), [&](const Phase& p) { return p.kind() == more.kind(); });
      if (into == t.phases.end()) {
        t.phases.push_back(more);
        continue;
      }
      for (const Stage& m : more.stages()) {
        if (m.index >= into->stages().size()) into->add_stage(Stage{}).name = m.name;
        Stage& st = into->stage(m.index);
        if (st.name != m.name) st.name = st.name.empty() || m.name.empty() ? st.name + m.name : st.name + "+" + m.name;
        st.flows.insert(st.flows.end(), m.flows.begin(), m.flows.end());
        st.kept.insert(st.kept.end(), m.kept.begin(), m.kept.end());
        st.network_bytes += m.network_bytes;
        st.local_bytes += m.local_bytes;
      }
    }
  for (Phase& p : t.phases)
    for (std::size_t i = 0; i < p.stages().size(); ++i) p.stage(i).group_span = group_spans(p.stages()[i].flows);
  // Phases run dispatch, combine, all-gather, whichever group brought them.
  std::stable_sort(t.phases.begin(), t.phases.end(),
                   [](const Phase& a, const Phase& b) { return a.kind() < b.kind(); });
  t.fingerprint = fingerprint(t.phases);
  return t;
}

}  // namespace moesim
