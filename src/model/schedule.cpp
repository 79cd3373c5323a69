// The shipped overlap schedules, reading one from text, checking it, and a
// layer's times under it.
#include "moesim/schedule.hpp"

#include <map>
#include <sstream>

#include "moesim/error.hpp"

namespace moesim {

std::string op_text(const Op& op, std::uint32_t micro_batches) {
  std::string out = enum_name(kOpNames, op.kind);
  if (micro_batches > 1) out += "." + std::string(1, static_cast<char>('a' + op.micro_batch));
  return out;
}

Lane parse_lane(const std::string& text, std::uint32_t micro_batches, const std::string& what) {
  Lane lane;
  std::istringstream words(text);
  for (std::string word; words >> word;) {
    Op op;
    std::string name = word;
    if (const auto dot = word.find('.'); dot != std::string::npos) {
      name = word.substr(0, dot);
      const std::string mb = word.substr(dot + 1);
      if (mb.size() != 1 || mb[0] < 'a' || static_cast<std::uint32_t>(mb[0] - 'a') >= micro_batches)
        fail(what, "",
             "'" + word + "': the micro-batch after the dot is one of " +
                 (micro_batches == 1 ? std::string("a") : "a to " + std::string(1, static_cast<char>('a' + micro_batches - 1))));
      op.micro_batch = static_cast<std::uint32_t>(mb[0] - 'a');
    }
    const auto kind = enum_parse(kOpNames, name);
    if (!kind) fail(what, "", not_one_of(kOpNames, name, "an operation"));
    op.kind = *kind;
    lane.push_back(op);
  }
  if (lane.empty()) fail(what, "", "an empty lane: give one or more operations, e.g. 'dispatch.a experts.a'");
  return lane;
}

namespace {

Schedule make(const std::string& name, std::uint32_t micro_batches,
              const std::vector<std::vector<std::string>>& steps) {
  Schedule s;
  s.name = name;
  s.micro_batches = micro_batches;
  for (const auto& lanes : steps) {
    Step step;
    for (const auto& lane : lanes) step.lanes.push_back(parse_lane(lane, micro_batches, "schedule " + name));
    s.steps.push_back(std::move(step));
  }
  return s;
}

}  // namespace

std::vector<std::string> schedule_names() { return {"none", "sbo", "tbo", "tbo-decode", "tbo-prefill", "tbo-decode-sglang"}; }

bool shipped_schedule(const std::string& name, bool decode, Schedule& out) {
  if (name == "none") {
    out = make(name, 1, {{"attn_pre attn_core gate dispatch shared experts combine output"}});
  } else if (name == "sbo") {
    // The shared expert under the dispatch; the down GEMM under the combine
    // (the combine sends each token as its down GEMM finishes).
    out = make(name, 1,
               {{"attn_pre attn_core gate"}, {"dispatch", "shared"}, {"experts_up"}, {"experts_down", "combine"},
                {"output"}});
  } else if (name == "tbo-prefill" || (name == "tbo" && !decode)) {
    // DeepSeek's prefill overlap (deepseek-ai/profile-data, prefill.jpg): each
    // micro-batch's attention, gate and shared expert under the other's
    // combine or dispatch, its experts under the other's dispatch or combine.
    // SGLang cuts the same stages: [attn, gate, select, dispatch_a] |
    // [dispatch_b, experts, combine_a] | [shared, combine_b, output].
    out = make("tbo-prefill", 2,
               {{"output.b attn_pre.b attn_core.b gate.b shared.a", "combine.a"},
                {"output.a attn_pre.a attn_core.a gate.a", "dispatch.b"},
                {"experts.b", "dispatch.a"},
                {"experts.a shared.b", "combine.b"}});
  } else if (name == "tbo-decode" || (name == "tbo" && decode)) {
    // DeepSeek's decode overlap (deepseek-ai/profile-data, decode.jpg), the
    // five stages [attn_0] | [attn_1, gate, select] | [dispatch_a, shared] |
    // [dispatch_b, experts, combine_a] | [combine_b, output]: a's dispatch
    // under a's shared expert and b's attention projections, a's combine
    // under b's core attention, and the same for b.
    out = make("tbo-decode", 2,
               {{"shared.a output.b attn_pre.b", "dispatch.a"},
                {"experts.a"},
                {"attn_core.b gate.b", "combine.a"},
                {"shared.b output.a attn_pre.a", "dispatch.b"},
                {"experts.b"},
                {"attn_core.a gate.a", "combine.b"}});
  } else if (name == "tbo-decode-sglang") {
    // The same five stages as SGLang runs them, b two stages behind a and the
    // micro-batches' stages strictly in turn: b's combine and a's dispatch
    // leave together and share the links; a's dispatch also hides b's output
    // and projections, b's only b's (docs/overlap.md).
    out = make(name, 2,
               {{"shared.a", "combine.b", "dispatch.a"},
                {"output.b attn_pre.b"},
                {"experts.a"},
                {"attn_core.b gate.b", "combine.a"},
                {"output.a attn_pre.a"},
                {"shared.b attn_core.a gate.a", "dispatch.b"},
                {"experts.b"}});
  } else {
    return false;
  }
  return true;
}

std::vector<std::vector<Op>> comm_rounds(const Step& step) {
  std::vector<std::vector<Op>> rounds;
  for (const Lane& lane : step.lanes) {
    std::size_t r = 0;
    for (const Op& op : lane)
      if (is_comm(op.kind)) {
        if (rounds.size() <= r) rounds.emplace_back();
        rounds[r++].push_back(op);
      }
  }
  return rounds;
}

namespace {

// Where an operation sits: its step, lane and place in the lane.
struct Place {
  std::size_t step = 0, lane = 0, pos = 0;
};

// Whether `later` runs after `first` in a layer that starts at step
// `origin` (the steady state wraps round: a step before the origin is the
// next layer's). Different lanes of one step run at once: `concurrent_ok`
// says whether that counts as after (a combine streaming its experts' output).
bool after(const Place& first, const Place& later, std::size_t origin, std::size_t steps, bool concurrent_ok) {
  auto rank = [&](const Place& p) { return (p.step + steps - origin) % steps; };
  if (rank(later) != rank(first)) return rank(later) > rank(first);
  if (later.lane != first.lane) return concurrent_ok;
  return later.pos > first.pos;
}

}  // namespace

void check_schedule(const Schedule& s, const std::string& where) {
  if (s.steps.empty()) fail(where, "overlap.steps", "no steps: give one or more, each a list of lanes");
  std::map<std::pair<OpKind, std::uint32_t>, Place> seen;
  for (std::size_t i = 0; i < s.steps.size(); ++i)
    for (std::size_t j = 0; j < s.steps[i].lanes.size(); ++j)
      for (std::size_t k = 0; k < s.steps[i].lanes[j].size(); ++k) {
        const Op& op = s.steps[i].lanes[j][k];
        if (!seen.emplace(std::make_pair(op.kind, op.micro_batch), Place{i, j, k}).second)
          fail(where, "overlap.steps", op_text(op, s.micro_batches) + " runs twice in a layer");
      }
  for (std::uint32_t mb = 0; mb < s.micro_batches; ++mb) {
    auto place = [&](OpKind k) { return seen.find({k, mb}); };
    auto name = [&](OpKind k) { return op_text({k, mb}, s.micro_batches); };
    const auto d = place(OpKind::kDispatch), c = place(OpKind::kCombine), e = place(OpKind::kExperts);
    const auto up = place(OpKind::kExpertsUp), down = place(OpKind::kExpertsDown);
    if (d == seen.end()) fail(where, "overlap.steps", "micro-batch " + name(OpKind::kDispatch) + " is missing");
    if (c == seen.end()) fail(where, "overlap.steps", "micro-batch " + name(OpKind::kCombine) + " is missing");
    const bool whole = e != seen.end(), split = up != seen.end() || down != seen.end();
    if (whole == split || (split && (up == seen.end() || down == seen.end())))
      fail(where, "overlap.steps",
           "micro-batch " + std::string(1, static_cast<char>('a' + mb)) +
               " runs its experts as experts, or as experts_up then experts_down, once");
    const Place first = whole ? e->second : up->second, last = whole ? e->second : down->second;
    const std::size_t origin = d->second.step, n = s.steps.size();
    if (!after(d->second, first, origin, n, false))
      fail(where, "overlap.steps", name(whole ? OpKind::kExperts : OpKind::kExpertsUp) + " runs before " +
                                       name(OpKind::kDispatch) + " has brought its tokens");
    if (split && !after(up->second, down->second, origin, n, false))
      fail(where, "overlap.steps", name(OpKind::kExpertsDown) + " runs before " + name(OpKind::kExpertsUp));
    if (!after(last, c->second, origin, n, true) || !after(d->second, c->second, origin, n, false))
      fail(where, "overlap.steps", name(OpKind::kCombine) + " runs before its experts");
  }
}

LayerTimeline evaluate_schedule(const Schedule& s, const std::function<std::vector<double>(const Op&)>& compute,
                                const std::vector<std::vector<double>>& round_us) {
  LayerTimeline t;
  std::vector<double> chip_total;
  auto add = [](std::vector<double>& into, const std::vector<double>& more) {
    if (into.size() < more.size()) into.resize(more.size(), 0.0);
    for (std::size_t c = 0; c < more.size(); ++c) into[c] += more[c];
  };
  // Each operation's time on every chip ([step][lane][pos]; a transfer: its round's).
  std::vector<std::vector<std::vector<std::vector<double>>>> us(s.steps.size());
  for (std::size_t i = 0; i < s.steps.size(); ++i) {
    const Step& step = s.steps[i];
    double step_us = 0;
    std::size_t critical = 0;
    for (std::size_t j = 0; j < step.lanes.size(); ++j) {
      std::vector<double> chip;  // the lane's compute on each chip
      double comm = 0;
      std::size_t r = 0;
      us[i].emplace_back();
      for (const Op& op : step.lanes[j]) {
        if (is_comm(op.kind)) {
          const double round = round_us.at(i).at(r++);
          comm += round;
          us[i][j].push_back({round});
          continue;
        }
        us[i][j].push_back(compute(op));
        add(chip, us[i][j].back());
        add(chip_total, us[i][j].back());
      }
      double busiest = 0;
      for (double c : chip) busiest = std::max(busiest, c);
      if (busiest + comm > step_us) {
        step_us = busiest + comm;
        critical = j;
      }
    }
    for (double r : i < round_us.size() ? round_us[i] : std::vector<double>{}) t.comm_us += r;
    t.step_us.push_back(step_us);
    t.critical_lane.push_back(critical);
    t.layer_us += step_us;
  }
  for (std::size_t c = 0; c < chip_total.size(); ++c)
    if (chip_total[c] > t.compute_us) {
      t.compute_us = chip_total[c];
      t.busiest_chip = c;
    }
  double start = 0;
  for (std::size_t i = 0; i < s.steps.size(); ++i) {
    for (std::size_t j = 0; j < s.steps[i].lanes.size(); ++j) {
      double at = start;
      for (std::size_t k = 0; k < s.steps[i].lanes[j].size(); ++k) {
        const Op& op = s.steps[i].lanes[j][k];
        const std::vector<double>& v = us[i][j][k];
        const double dur = is_comm(op.kind) ? v.front() : t.busiest_chip < v.size() ? v[t.busiest_chip] : 0.0;
        t.spans.push_back({op, i, j, at, dur});
        at += dur;
      }
    }
    start += t.step_us[i];
  }
  return t;
}

}  // namespace moesim
