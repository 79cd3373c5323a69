#include "engine/replay_codec.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <type_traits>

namespace moesim {
namespace {

class Writer {
 public:
  template <typename T>
  void put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    out_.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  template <typename T>
  void put_all(const std::vector<T>& v) {
    put<std::uint64_t>(v.size());
    if (!v.empty()) out_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(const std::string& in) : in_(in) {}
  template <typename T>
  T get() {
    T v;
    need(sizeof v);
    std::memcpy(&v, in_.data() + at_, sizeof v);
    at_ += sizeof v;
    return v;
  }
  template <typename T>
  std::vector<T> get_all() {
    const auto n = get<std::uint64_t>();
    if (n > (in_.size() - at_) / sizeof(T)) bad();
    std::vector<T> v(n);
    if (n) std::memcpy(v.data(), in_.data() + at_, n * sizeof(T));
    at_ += n * sizeof(T);
    return v;
  }
  bool at_end() const { return at_ == in_.size(); }
  [[noreturn]] static void bad() { throw std::runtime_error("a replay worker's result is garbled"); }

 private:
  void need(std::size_t n) const {
    if (in_.size() - at_ < n) bad();
  }
  const std::string& in_;
  std::size_t at_ = 0;
};

}  // namespace

std::string encode_replayed(const std::vector<LayerResult>& layers) {
  Writer w;
  w.put<std::uint64_t>(layers.size());
  for (const LayerResult& l : layers) {
    w.put(l.expert_us);
    w.put<std::uint64_t>(l.phases.size());
    for (const PhaseResult& p : l.phases) {
      w.put(p.latency_us);
      w.put(p.has_slowest);
      w.put(p.slowest);
      w.put(p.slowest_finish_us);
      w.put_all(p.group_us);
      w.put_all(p.chip_done_us);
      w.put_all(p.flow_spans);
      w.put_all(p.simgrid_link_bytes);
    }
  }
  return w.take();
}

void decode_replayed(const std::string& bytes, std::vector<LayerResult>& layers) {
  Reader r(bytes);
  if (r.get<std::uint64_t>() != layers.size()) Reader::bad();
  for (LayerResult& l : layers) {
    l.expert_us = r.get<double>();
    if (r.get<std::uint64_t>() != l.phases.size()) Reader::bad();
    for (PhaseResult& p : l.phases) {
      p.latency_us = r.get<double>();
      p.has_slowest = r.get<bool>();
      p.slowest = r.get<Flow>();
      p.slowest_finish_us = r.get<double>();
      p.group_us = r.get_all<double>();
      p.chip_done_us = r.get_all<double>();
      p.flow_spans = r.get_all<PhaseResult::FlowSpan>();
      p.simgrid_link_bytes = r.get_all<double>();
    }
  }
  if (!r.at_end()) Reader::bad();
}

namespace {

// Elementwise maximum, the shorter one grown.
void max_into(std::vector<double>& into, const std::vector<double>& part, double fill) {
  if (into.size() < part.size()) into.resize(part.size(), fill);
  for (std::size_t i = 0; i < part.size(); ++i) into[i] = std::max(into[i], part[i]);
}

}  // namespace

void merge_replayed(LayerResult& into, const LayerResult& part) {
  if (into.phases.size() < part.phases.size()) into.phases.resize(part.phases.size());
  for (std::size_t k = 0; k < part.phases.size(); ++k) {
    PhaseResult& p = into.phases[k];
    const PhaseResult& q = part.phases[k];
    p.latency_us = std::max(p.latency_us, q.latency_us);
    if (q.has_slowest && (!p.has_slowest || q.slowest_finish_us > p.slowest_finish_us)) {
      p.has_slowest = true;
      p.slowest = q.slowest;
      p.slowest_finish_us = q.slowest_finish_us;
    }
    max_into(p.group_us, q.group_us, 0.0);
    max_into(p.chip_done_us, q.chip_done_us, -1.0);
    if (p.simgrid_link_bytes.size() < q.simgrid_link_bytes.size()) p.simgrid_link_bytes.resize(q.simgrid_link_bytes.size());
    for (std::size_t i = 0; i < q.simgrid_link_bytes.size(); ++i) p.simgrid_link_bytes[i] += q.simgrid_link_bytes[i];
    p.flow_spans.insert(p.flow_spans.end(), q.flow_spans.begin(), q.flow_spans.end());
    auto later = [](const PhaseResult::FlowSpan& x, const PhaseResult::FlowSpan& y) { return x.finish_us > y.finish_us; };
    std::stable_sort(p.flow_spans.begin(), p.flow_spans.end(), later);
    if (p.flow_spans.size() > PhaseResult::kMaxFlowSpans) p.flow_spans.resize(PhaseResult::kMaxFlowSpans);
  }
}

}  // namespace moesim
