// Traffic matrices and flows of one MoE layer.
#include "moesim/traffic.hpp"

#include <cassert>

namespace moesim {

std::uint64_t TrafficMatrix::received_by(std::size_t dst) const {
  std::uint64_t sum = 0;
  for (std::size_t s = 0; s < n; ++s) sum += at(s, dst);
  return sum;
}

std::uint64_t TrafficMatrix::sent_by(std::size_t src) const {
  std::uint64_t sum = 0;
  for (std::size_t d = 0; d < n; ++d) sum += at(src, d);
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

std::string phase_name(PhaseKind k) {
  switch (k) {
    case PhaseKind::kDispatch: return "dispatch";
    case PhaseKind::kCombine: return "combine";
    case PhaseKind::kAllgather: return "allgather";
  }
  return "?";
}

Phase make_phase(PhaseKind kind, const TrafficMatrix& m, const std::vector<ChipId>& group) {
  assert(group.size() == m.n);
  Phase p;
  p.kind = kind;
  for (std::size_t s = 0; s < m.n; ++s)
    for (std::size_t d = 0; d < m.n; ++d) {
      const std::uint64_t b = m.at(s, d);
      if (b == 0) continue;
      if (s == d) {
        p.local_bytes += b;
      } else {
        p.flows.push_back(Flow{group[s], group[d], b});
        p.network_bytes += b;
      }
    }
  return p;
}

std::uint64_t fingerprint(const std::vector<Phase>& phases) {
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&h](std::uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= (v >> (8 * i)) & 0xff;
      h *= 1099511628211ull;
    }
  };
  for (const auto& p : phases) {
    mix(static_cast<std::uint64_t>(p.kind));
    mix(p.flows.size());
    for (const auto& f : p.flows) {
      mix(f.src);
      mix(f.dst);
      mix(f.bytes);
    }
  }
  return h;
}

LayerTraffic uniform_layer(const LayerBytes& bytes, const std::vector<ChipId>& group, std::uint64_t moe_tp) {
  const std::size_t n = group.size();
  LayerTraffic t;
  t.phases.push_back(make_phase(PhaseKind::kDispatch, uniform_matrix(n, bytes.dispatch_bytes), group));
  t.phases.push_back(
      make_phase(PhaseKind::kCombine, uniform_matrix(n, bytes.combine_bytes).transposed(), group));
  if (moe_tp > 1)
    t.phases.push_back(
        make_phase(PhaseKind::kAllgather, allgather_matrix(n, moe_tp, bytes.combine_bytes), group));
  t.fingerprint = fingerprint(t.phases);
  return t;
}

}  // namespace moesim
