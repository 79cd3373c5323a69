// The stages of the multi-stage all-to-all algorithms.
#include "moesim/comm.hpp"

#include <algorithm>
#include <cassert>

#include "moesim/error.hpp"

namespace moesim {

namespace {

// The name of torus dimension d, as its links are named (ici-x-...).
std::string dimension_name(std::size_t d) {
  static const char* const kLetters = "xyzw";
  return "dimension " + (d < 4 ? std::string(1, kLetters[d]) : std::to_string(d));
}

}  // namespace

std::vector<StageMatrix> dimension_ordered_stages(const TrafficMatrix& m, const std::vector<std::uint64_t>& dims,
                                            const std::vector<std::uint64_t>& coord) {
  const std::size_t n = m.n, nd = dims.size();
  assert(coord.size() == n * nd);
  // Group index of every torus position (mixed radix, dimension 0 fastest).
  std::vector<std::uint64_t> stride(nd, 1);
  for (std::size_t d = 1; d < nd; ++d) stride[d] = stride[d - 1] * dims[d - 1];
  const std::uint64_t positions = nd ? stride[nd - 1] * dims[nd - 1] : 1;
  constexpr std::size_t kAbsent = ~std::size_t{0};
  std::vector<std::size_t> at(positions, kAbsent);
  std::vector<std::uint64_t> pos(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t d = 0; d < nd; ++d) pos[i] += coord[i * nd + d] * stride[d];
    at[pos[i]] = i;
  }
  std::vector<StageMatrix> stages(nd);
  for (std::size_t d = 0; d < nd; ++d) stages[d] = {dimension_name(d), {n, std::vector<std::uint64_t>(n * n, 0)}};
  std::vector<std::uint64_t> kept(n, 0);  // bytes a chip sends itself: no stage moves them
  std::vector<bool> crossed(nd, false);
  for (std::size_t s = 0; s < n; ++s)
    for (std::size_t t = 0; t < n; ++t) {
      const std::uint64_t b = m.at(s, t);
      if (b == 0) continue;
      if (s == t) kept[s] += b;
      std::size_t cur = s;
      for (std::size_t d = 0; d < nd && s != t; ++d) {
        const std::uint64_t a = coord[cur * nd + d], want = coord[t * nd + d];
        if (a == want) continue;
        const std::size_t next = at[pos[cur] - a * stride[d] + want * stride[d]];
        if (next == kAbsent)
          fail("", "comm.algorithm",
               "dimension_ordered passes bytes through a chip outside the EP group: the group must be a "
               "sub-grid of the torus (every mix of its chips' coordinates one of its chips)");
        stages[d].m.bytes[cur * n + next] += b;
        crossed[d] = true;
        cur = next;
      }
    }
  // Dimensions no byte crosses have no stage; a phase keeps at least one,
  // and its first stage counts the bytes kept on their chip.
  std::vector<StageMatrix> used;
  for (std::size_t d = 0; d < nd; ++d)
    if (crossed[d]) used.push_back(std::move(stages[d]));
  if (used.empty()) used.push_back(StageMatrix{"", {n, std::vector<std::uint64_t>(n * n, 0)}});
  for (std::size_t i = 0; i < n; ++i) used.front().m.bytes[i * n + i] += kept[i];
  return used;
}

std::vector<StageMatrix> node_dedup_stages(const std::vector<std::uint64_t>& counts_dedup,
                                     const std::vector<std::uint64_t>& counts_node,
                                     const std::vector<std::uint32_t>& node, std::uint64_t moe_tp) {
  const std::size_t n = node.size();
  const std::uint64_t ep = n / moe_tp;
  const std::size_t nodes = n ? counts_node.size() / n : 0;
  // The chips of each node in group order, and each chip's place among them.
  std::vector<std::vector<std::size_t>> members(nodes);
  std::vector<std::size_t> local(n);
  for (std::size_t i = 0; i < n; ++i) {
    local[i] = members[node[i]].size();
    members[node[i]].push_back(i);
  }
  // The chip of node b that chip c's tokens cross to: the same local index (its rail).
  auto peer = [&](std::size_t c, std::size_t b) { return members[b][local[c] % members[b].size()]; };
  StageMatrix inter{"inter-node", {n, std::vector<std::uint64_t>(n * n, 0)}};
  StageMatrix intra{"intra-node", {n, std::vector<std::uint64_t>(n * n, 0)}};
  for (std::size_t c = 0; c < n; ++c)
    for (std::size_t b = 0; b < nodes; ++b)
      if (b != node[c] && counts_node[c * nodes + b] > 0)
        inter.m.bytes[c * n + peer(c, b)] += counts_node[c * nodes + b] * moe_tp;
  for (std::size_t c = 0; c < n; ++c)
    for (std::uint64_t r = 0; r < ep; ++r) {
      const std::uint64_t tokens = counts_dedup[c * ep + r];
      if (tokens == 0) continue;
      for (std::uint64_t j = r * moe_tp; j < (r + 1) * moe_tp; ++j) {
        const std::size_t from = node[j] == node[c] ? c : peer(c, node[j]);
        intra.m.bytes[from * n + j] += tokens;
      }
    }
  return {std::move(inter), std::move(intra)};
}

Phase staged_phase(PhaseKind kind, const std::vector<StageMatrix>& stages, const std::vector<ChipId>& group,
                   std::uint32_t group_id, std::uint64_t message_bytes) {
  Phase out(kind);
  const bool mirror = kind == PhaseKind::kCombine;
  for (std::size_t i = 0; i < stages.size(); ++i) {
    const StageMatrix& st = stages[mirror ? stages.size() - 1 - i : i];
    Stage& added = out.add_stage(make_stage(mirror ? st.m.transposed() : st.m, group, group_id, message_bytes));
    added.name = stages.size() > 1 ? st.name : "";
  }
  return out;
}

}  // namespace moesim
