// The only code that includes SimGrid (3.32, S4U API): platform loading
// (load_xml) and building (build), and the replay: one actor per chip with
// mailbox comms (FlowReplay), or one driver actor starting parallel tasks
// (PtaskReplay).
#include "moesim/simulator.hpp"

#include "moesim/graph.hpp"

#include <simgrid/Exception.hpp>
#include <simgrid/plugins/load.h>
#include <simgrid/s4u.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <tuple>
#include <unordered_map>

#include "engine/replay_codec.hpp"
#include "model/unused_settings.hpp"
#include "moesim/error.hpp"
#include "util/natural_sort.hpp"
#include "util/process.hpp"
#include "util/progress.hpp"
#include "util/stop.hpp"

namespace sg4 = simgrid::s4u;

// GCC marks AddressSanitizer with __SANITIZE_ADDRESS__, clang 14 only through
// __has_feature.
#if defined(__has_feature)
#define MOESIM_HAS_FEATURE(x) __has_feature(x)
#else
#define MOESIM_HAS_FEATURE(x) 0
#endif

namespace moesim {

std::vector<std::string> simgrid_options(const SimgridSpec& config) {
  // surf/precision is an absolute time precision (SimGrid's default 1e-9 s),
  // too coarse for phases of about 100 us: one could end before its lower
  // bound. 1e-12 s costs no measurable time.
  if (config.fidelity == Fidelity::kPtask) {
    std::vector<std::string> opts = {"surf/precision:1e-12", "host/model:ptask_L07"};
    opts.insert(opts.end(), config.cfg.begin(), config.cfg.end());
    return opts;
  }
  std::vector<std::string> opts = {"surf/precision:1e-12", "network/model:" + config.network_model};
  if (config.network_model == "CM02") {
    opts.push_back("network/crosstraffic:0");
    opts.push_back("network/TCP-gamma:0");
  }
  opts.insert(opts.end(), config.cfg.begin(), config.cfg.end());
  return opts;
}

namespace {

// Whether the flow fidelity re-solves every flow at every event
// (network/optim:Full, the last such option winning) rather than SimGrid's
// lazy, selective update.
bool full_update(const SimgridSpec& config) {
  bool full = false;
  const std::string key = "network/optim:";
  for (const std::string& o : simgrid_options(config))
    if (o.compare(0, key.size(), key) == 0) full = o.substr(key.size()) == "Full";
  return full;
}

}  // namespace

constexpr std::uint32_t kNoGroup = UINT32_MAX;  // a chip in no EP group
constexpr std::size_t kAllStages = SIZE_MAX;     // every stage of a layer replayed

struct Simulator::Impl {
  SimgridSpec spec;
  bool platform_ready = false;  // loaded from XML or built
  Fidelity fidelity = Fidelity::kFlow;
  std::size_t ptask_max_links = 1;
  std::size_t jobs = 1;  // replay workers at once
  bool progress = false;  // the flow replay's progress on stderr
  std::size_t only_stage = kAllStages;  // the flow replay's one stage of each layer, or all
  std::vector<std::string> args;
  std::vector<char*> argv;
  int argc = 0;
  std::unique_ptr<sg4::Engine> engine;
  std::vector<sg4::Host*> hosts;  // by ChipId
  std::vector<const sg4::Link*> links;  // by LinkId; tracked by the link_load plugin under kFlow
  bool link_load = false;  // the link_load plugin is on
  void track_links() {
    if (!link_load) links.clear();
    for (const sg4::Link* l : links) sg_link_load_track(l);
  }
  // ptask fidelity on a generated platform: every directed link as a pair of
  // port hosts whose route is that link alone, so a task can load each link
  // with its bytes directly.
  const Topology* topology = nullptr;
  std::vector<std::pair<sg4::Host*, sg4::Host*>> link_hosts;  // by LinkId
  // Flow fidelity: each chip's EP group (by ChipId; kNoGroup outside every
  // group), known when the first workload builds the platform; empty: one group.
  std::vector<std::uint32_t> group_of;
};

Simulator::Simulator(const SimgridSpec& config, bool quiet) : impl_(std::make_unique<Impl>()) {
  impl_->spec = config;
  impl_->fidelity = config.fidelity;
  impl_->ptask_max_links = std::max<std::size_t>(1, config.ptask_max_links);
  impl_->args.push_back("moesim");
  if (quiet) impl_->args.push_back("--log=root.thres:warning");
#if defined(__SANITIZE_ADDRESS__) || MOESIM_HAS_FEATURE(address_sanitizer)
  // Under AddressSanitizer, actors run on threads: ASan cannot follow the
  // stack switches of the raw contexts of a SimGrid built without it. The
  // factory is chosen when the engine starts, so it goes on its command line.
  impl_->args.push_back("--cfg=contexts/factory:thread");
#endif
  for (auto& a : impl_->args) impl_->argv.push_back(a.data());
  impl_->argv.push_back(nullptr);
  impl_->argc = static_cast<int>(impl_->args.size());
  impl_->engine = std::make_unique<sg4::Engine>(&impl_->argc, impl_->argv.data());
  exit_cleanly_on_stop_signals();  // over SimGrid's own SIGINT handler (exit 1, no word)
  // SimGrid's own per-link byte counts, for the one-comm-per-flow replay
  // (the plugin follows comms, not the ptask model's tasks).
  impl_->link_load = config.fidelity == Fidelity::kFlow && config.link_load;
  if (impl_->link_load) sg_link_load_plugin_init();
  // One option at a time, so that an error names the option SimGrid refused.
  for (const auto& option : simgrid_options(config)) {
    try {
      sg4::Engine::set_config(option);
    } catch (const std::exception& e) {
      std::string what = e.what();
      what = what.substr(0, what.find('\n'));  // SimGrid appends the list of every key
      fail("", "", "SimGrid option '" + option + "' refused: " + what);
    }
  }
}

Simulator::~Simulator() = default;

namespace {

// Natural order of SimGrid names (chip-2 before chip-10).
template <typename T>
bool name_less(const T* a, const T* b) {
  return natural_less(a->get_name(), b->get_name());
}

// A platform file's base name without its extension.
std::string platform_name(const std::string& path) {
  auto slash = path.find_last_of('/');
  std::string name = path.substr(slash == std::string::npos ? 0 : slash + 1);
  return name.substr(0, name.find_last_of('.'));
}

// A SimGrid link as a topology link.
Link link_of(const sg4::Link& l) {
  Link link;
  link.name = l.get_name();
  link.bandwidth_Bps = l.get_bandwidth();
  link.latency_s = l.get_latency();
  link.sharing = l.get_sharing_policy() == sg4::Link::SharingPolicy::FATPIPE ? Sharing::kFatpipe : Sharing::kShared;
  // SimGrid names the two sides of a split-duplex link <name>_UP and <name>_DOWN.
  for (const char* side : {"_UP", "_DOWN"}) {
    const std::string suffix = side;
    if (link.name.size() > suffix.size() &&
        link.name.compare(link.name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      link.duplex = link.name.substr(0, link.name.size() - suffix.size());
      link.up = suffix == "_UP";
    }
  }
  return link;
}

// The LinkId of each SimGrid link of a loaded platform: the next free one,
// and a new topology link, the first time a link is seen.
class LinkIds {
 public:
  explicit LinkIds(Topology& topology) : topology_(topology) {}
  LinkId operator()(const sg4::Link* l) {
    auto [it, fresh] = id_.emplace(l, static_cast<LinkId>(topology_.links.size()));
    if (fresh) topology_.links.push_back(link_of(*l));
    return it->second;
  }

 private:
  Topology& topology_;
  std::unordered_map<const sg4::Link*, LinkId> id_;
};

// SimGrid's route between every ordered pair of distinct hosts (index:
// ChipId) as the topology's routes. Fails naming the first pair without one.
void read_routes(const std::string& path, const std::vector<sg4::Host*>& hosts, LinkIds& id_of, Topology& t) {
  std::vector<sg4::Link*> route;
  std::vector<LinkId> ids;
  for (std::size_t s = 0; s < hosts.size(); ++s)
    for (std::size_t d = 0; d < hosts.size(); ++d) {
      if (s == d) continue;
      route.clear();
      double latency = 0;
      try {
        hosts[s]->route_to(hosts[d], route, &latency);
      } catch (const std::exception& e) {
        fail(path, "", "no route from " + t.chips[s] + " to " + t.chips[d] + ": " + e.what());
      }
      if (route.empty())
        fail(path, "", "chip " + t.chips[d] + " is unreachable from " + t.chips[s] +
                           " (no route between them; every pair of hosts needs one)");
      ids.clear();
      for (const auto* l : route) ids.push_back(id_of(l));
      t.add_route(static_cast<ChipId>(s), static_cast<ChipId>(d), ids);
    }
}

}  // namespace

Topology Simulator::load_xml(const std::string& path) {
  try {
    impl_->engine->load_platform(path);
  } catch (const simgrid::ParseError& e) {
    fail(path, "", std::string("invalid SimGrid platform: ") + e.what());
  } catch (const std::exception& e) {
    fail(path, "", std::string("cannot load SimGrid platform: ") + e.what());
  }
  Topology t;
  t.name = platform_name(path);
  std::vector<sg4::Host*> hosts = impl_->engine->get_all_hosts();
  if (hosts.empty()) fail(path, "", "the platform has no hosts");
  std::sort(hosts.begin(), hosts.end(), name_less<sg4::Host>);
  for (const auto* h : hosts) t.chips.push_back(h->get_name());

  // Every link, in name order, then the routes.
  LinkIds id_of(t);
  std::vector<sg4::Link*> all = impl_->engine->get_all_links();
  std::sort(all.begin(), all.end(), name_less<sg4::Link>);
  for (const auto* l : all)
    if (l->get_name() != "__loopback__") id_of(l);  // SimGrid's own, for comms to self
  read_routes(path, hosts, id_of, t);
  impl_->hosts = hosts;
  infer_endpoints(t);
  // SimGrid's link_load plugin segfaults tracking the links of a loaded XML
  // platform (3.32, in LinkLoad::track), so its byte counts are for
  // generated platforms only.
  impl_->links.clear();
  impl_->platform_ready = true;
  return t;
}

namespace {

// A generated topology's links in SimGrid: each as it enters a route, and
// the SimGrid link itself (one side of a split-duplex one); index: LinkId.
struct SimgridLinks {
  std::vector<sg4::LinkInRoute> in_route;
  std::vector<const sg4::Link*> links;
};

SimgridLinks create_links(sg4::NetZone* zone, const Topology& t) {
  SimgridLinks out;
  out.in_route.reserve(t.links.size());
  std::map<std::string, sg4::SplitDuplexLink*> duplex;
  for (const Link& l : t.links) {
    if (l.duplex.empty()) {
      sg4::Link* link = zone->create_link(l.name, l.bandwidth_Bps)->set_latency(l.latency_s);
      if (l.sharing == Sharing::kFatpipe) link->set_sharing_policy(sg4::Link::SharingPolicy::FATPIPE);
      out.in_route.emplace_back(link->seal());
      out.links.push_back(link);
      continue;
    }
    auto it = duplex.find(l.duplex);
    if (it == duplex.end())
      it = duplex
               .emplace(l.duplex,
                        static_cast<sg4::SplitDuplexLink*>(
                            zone->create_split_duplex_link(l.duplex, l.bandwidth_Bps)->set_latency(l.latency_s)->seal()))
               .first;
    out.in_route.emplace_back(it->second, l.up ? sg4::LinkInRoute::Direction::UP : sg4::LinkInRoute::Direction::DOWN);
    out.links.push_back(l.up ? it->second->get_link_up() : it->second->get_link_down());
  }
  return out;
}

// The ptask fidelity's port hosts and their routes; returns the pair of
// ports of each link (index: LinkId). P port hosts give P (P - 1) ordered
// pairs: one per directed link, whose route is that link alone. A task loads
// its links through these pairs, so its byte matrix is P x P (P ~ sqrt(links))
// whatever the chip count.
std::vector<std::pair<sg4::Host*, sg4::Host*>> create_port_routes(sg4::NetZone* zone,
                                                                  const std::vector<sg4::LinkInRoute>& in_route) {
  std::size_t ports = 2;
  while (ports * (ports - 1) < in_route.size()) ++ports;
  std::vector<sg4::Host*> port(ports);
  for (std::size_t p = 0; p < ports; ++p) port[p] = zone->create_host("port:" + std::to_string(p), 1e9)->seal();
  std::vector<std::pair<sg4::Host*, sg4::Host*>> link_hosts;
  for (std::size_t l = 0, a = 0, b = 1; l < in_route.size(); ++l) {
    link_hosts.emplace_back(port[a], port[b]);
    zone->add_route(port[a]->get_netpoint(), port[b]->get_netpoint(), nullptr, nullptr, {in_route[l]}, false);
    if (++b == a) ++b;
    if (b == ports) {
      ++a;
      b = a == 0 ? 1 : 0;
    }
  }
  return link_hosts;
}

// A link of its own at the head of a route, which loads nothing (no latency,
// a bandwidth no flow reaches). When a flow starts taking bandwidth or ends,
// SimGrid 3.32's lazy update queues for re-solving the flow's first link and
// every link it reaches through running flows
// (lmm::System::update_modified_cnst_set_from_variable); when that first
// link is already queued in the same step, the flow's other links are not,
// and its share can exceed their bandwidth (below the bound) or stay stale
// (docs/design.md: "SimGrid's lazy update under the bound"). A route's own
// first link is queued only with the whole route. The zone seals it: each
// seal fires a link's creation signal, and SimGrid's tracing fails on the
// second.
sg4::LinkInRoute route_head(sg4::NetZone* zone, std::size_t s, std::size_t d) {
  return sg4::LinkInRoute(zone->create_link("(route " + std::to_string(s) + ">" + std::to_string(d) + ")", 1e30));
}

// An explicit route for every ordered pair of distinct chips; under the lazy
// update (`heads`), a route that can carry a flow (both chips in one EP
// group: group_of, empty for one group of every chip) is headed by a link of
// its own (route_head).
void add_chip_routes(sg4::NetZone* zone, const Topology& t, const std::vector<sg4::Host*>& hosts,
                     const std::vector<sg4::LinkInRoute>& in_route, const std::vector<std::uint32_t>& group_of,
                     bool heads) {
  std::vector<sg4::LinkInRoute> links;
  for (std::size_t s = 0; s < t.num_chips(); ++s)
    for (std::size_t d = 0; d < t.num_chips(); ++d) {
      if (s == d) continue;
      links.clear();
      if (heads && (group_of.empty() || (group_of[s] != kNoGroup && group_of[s] == group_of[d])))
        links.push_back(route_head(zone, s, d));
      for (LinkId id : t.route(static_cast<ChipId>(s), static_cast<ChipId>(d))) links.push_back(in_route[id]);
      zone->add_route(hosts[s]->get_netpoint(), hosts[d]->get_netpoint(), nullptr, nullptr, links, false);
    }
}

}  // namespace

void Simulator::build(const Topology& t) {
  sg4::NetZone* zone = sg4::create_full_zone(t.name);
  impl_->hosts.clear();
  for (const auto& c : t.chips) impl_->hosts.push_back(zone->create_host(c, 1e9)->seal());
  SimgridLinks links = create_links(zone, t);
  impl_->links = std::move(links.links);
  if (impl_->fidelity == Fidelity::kPtask) {
    impl_->link_hosts = create_port_routes(zone, links.in_route);
    impl_->topology = &t;
  }
  if (impl_->topology == nullptr)  // ptask tasks use the port routes only
    add_chip_routes(zone, t, impl_->hosts, links.in_route, impl_->group_of, !full_update(impl_->spec));
  zone->seal();
  impl_->platform_ready = true;
  impl_->track_links();
}

namespace {

// A stage's result before its replay: which it is, and a time per group.
PhaseResult replay_result(const Stage& ph, std::uint32_t groups) {
  PhaseResult r;
  r.kind = ph.kind;
  r.stage = ph.name;
  r.stage_index = ph.index;
  if (groups > 1) r.group_us.assign(groups, 0.0);
  return r;
}

// The flow fidelity: one actor per chip of the groups, one mailbox comm per
// flow, phases separated by a barrier.

using GroupFilter = Simulator::GroupFilter;

// What one chip does in one phase: its outgoing flows, how many come in,
// and how long it issues its messages before its flows start.
struct ChipPhase {
  std::vector<std::pair<std::size_t, const Flow*>> out;  // (receiver's actor index, flow)
  std::size_t incoming = 0;
  double busy_s = 0;
};

// Each chip's part of a phase (index: actor).
// Only the flows of the groups `only` marks (all without it).
std::vector<ChipPhase> chip_phases(const Stage& ph, const std::unordered_map<ChipId, std::size_t>& actor_of,
                                   std::size_t actors, const SenderCosts& costs, const GroupFilter& only) {
  std::vector<ChipPhase> per(actors);
  for (const Flow& f : ph.flows) {
    if (!only.empty() && !only[f.group]) continue;
    const std::size_t s = actor_of.at(f.src), d = actor_of.at(f.dst);
    per[s].out.emplace_back(d, &f);
    if (!costs.empty()) per[s].busy_s += costs.flow_s(f);
    per[d].incoming++;
  }
  return per;
}

// Keeps the flows that finished last, at most kMaxFlowSpans, latest first.
void keep_latest_spans(std::vector<PhaseResult::FlowSpan>& spans) {
  auto later = [](const PhaseResult::FlowSpan& x, const PhaseResult::FlowSpan& y) {
    return x.finish_us > y.finish_us;
  };
  if (spans.size() > PhaseResult::kMaxFlowSpans) {
    std::nth_element(spans.begin(), spans.begin() + PhaseResult::kMaxFlowSpans, spans.end(), later);
    spans.resize(PhaseResult::kMaxFlowSpans);
  }
  std::sort(spans.begin(), spans.end(), later);
}

// How many times SimGrid's clock advanced in this process (each a solve of
// the max-min system), for the debug log; counted from the first FlowReplay.
std::size_t time_steps() {
  static std::size_t steps = 0;
  static const bool counting = (sg4::Engine::on_time_advance_cb([](double) { ++steps; }), true);
  (void)counting;
  return steps;
}

// One chip's comms of a phase; kept from phase to phase to reuse their memory.
struct ChipComms {
  std::vector<sg4::CommPtr> all, sends, pending;
  std::vector<void*> sink;  // where the receives put their (unused) payloads
};

class FlowReplay {
 public:
  // Plans every phase of every layer (plan_[layer][phase][actor]) and its
  // result; the chips' actors run in `group` order.
  FlowReplay(const std::vector<const LayerTraffic*>& layers, const std::vector<ChipId>& group, double expert_us,
             std::uint32_t groups, const SenderCosts& costs, std::size_t num_hosts,
             const std::vector<const sg4::Link*>& links, const GroupFilter& only, bool progress,
             std::size_t only_stage)
      : group_(group), expert_us_(expert_us), groups_(groups), links_(links), only_stage_(only_stage),
        plan_(layers.size()), results_(layers.size()) {
    std::unordered_map<ChipId, std::size_t> actor_of;
    for (std::size_t i = 0; i < group.size(); ++i) actor_of[group[i]] = i;
    for (std::size_t l = 0; l < layers.size(); ++l) {
      stages_.push_back(layers[l]->stages());
      for (const Stage* st : stages_.back()) {
        const Stage& ph = *st;
        plan_[l].push_back(chip_phases(ph, actor_of, group.size(), costs, only));
        PhaseResult r = replay_result(ph, groups);
        r.chip_done_us.assign(num_hosts, -1.0);
        results_[l].phases.push_back(std::move(r));
      }
      results_[l].expert_us = expert_us;
    }
    time_steps();  // counting from here
    if (!progress) return;
    std::size_t flows = 0;
    for (const auto& layer : plan_)
      for (std::size_t p = 0; p < layer.size(); ++p)
        if (replays(p))
          for (const ChipPhase& chip : layer[p]) flows += chip.out.size();
    // Off a terminal, a line every 10 s, unless the log is quieter than warn.
    const double every_s = log_ && log_->should_log(spdlog::level::warn) ? 10.0 : 0.0;
    const std::string what = only_stage_ == kAllStages ? "" : " of stage " + std::to_string(only_stage_);
    // One stage: each flow's end re-solves the flows left, so a flow costs
    // less as they end; several stages each start afresh.
    const Pace pace = only_stage_ == kAllStages ? Pace::kEven : Pace::kShrinking;
    progress_ = std::make_unique<ProgressLine>("flow replay" + what + ": flows done", flows, 2.0, false, every_s, pace);
  }

  // Creates the chips' mailboxes, the barrier and the chips' actors; hosts:
  // by ChipId.
  void spawn(const std::vector<sg4::Host*>& hosts) {
    const std::size_t n = group_.size();
    mailbox_.resize(n);
    for (std::size_t i = 0; i < n; ++i) mailbox_[i] = sg4::Mailbox::by_name("chip-in-" + std::to_string(i));
    barrier_ = sg4::Barrier::create(static_cast<unsigned>(n));
    for (std::size_t a = 0; a < n; ++a)
      sg4::Actor::create("chip-" + std::to_string(group_[a]), hosts[group_[a]], [this, a]() { run_chip(a); });
  }

  std::vector<LayerResult> take_results() { return std::move(results_); }

 private:
  // The actor of chip group_[a]. Actor 0 also resets SimGrid's link counts
  // before each phase and closes the phase after the barrier.
  void run_chip(std::size_t a) {
    ChipComms comms;
    for (std::size_t l = 0; l < plan_.size(); ++l) {
      for (std::size_t p = 0; p < plan_[l].size(); ++p) {
        if (!replays(p)) continue;  // every actor alike
        const Stage& ph = *stages_[l][p];
        if (ph.kind == PhaseKind::kCombine && ph.index == 0 && expert_us_ > 0)
          sg4::this_actor::sleep_for(expert_us_ * 1e-6);
        const double t0 = sg4::Engine::get_clock();
        if (a == 0)
          for (const sg4::Link* link : links_) sg_link_load_reset(link);
        PhaseResult& r = results_[l].phases[p];
        exchange(a, plan_[l][p][a], comms);
        r.chip_done_us[group_[a]] = (sg4::Engine::get_clock() - t0) * 1e6;
        record_sends(plan_[l][p][a], comms.sends, t0, l == 0, r);
        barrier_->wait();
        if (a == 0) close_phase(l, t0, r);
      }
    }
  }

  // Posts every receive of actor a's chip, issues its messages, then starts
  // its sends, and waits for all.
  void exchange(std::size_t a, const ChipPhase& mine, ChipComms& c) {
    c.all.clear();
    c.sends.clear();
    c.sink.assign(mine.incoming, nullptr);
    for (std::size_t i = 0; i < mine.incoming; ++i) c.all.push_back(mailbox_[a]->get_async<void>(&c.sink[i]));
    if (mine.busy_s > 0) sg4::this_actor::sleep_for(mine.busy_s);
    for (const auto& [d, flow] : mine.out) {
      c.sends.push_back(mailbox_[d]->put_async(const_cast<Flow*>(flow), flow->bytes));
      c.all.push_back(c.sends.back());
    }
    wait_counting(c);
  }

  bool replays(std::size_t stage) const { return only_stage_ == kAllStages || stage == only_stage_; }

  // Waits for the sends one at a time, each counted as a flow done for the
  // progress line, then for the rest.
  void wait_counting(ChipComms& c) {
    if (progress_) {
      c.pending = c.sends;
      while (!c.pending.empty()) {
        const auto i = static_cast<std::size_t>(sg4::Comm::wait_any(c.pending));
        c.pending[i] = c.pending.back();
        c.pending.pop_back();
        char note[64];
        std::snprintf(note, sizeof note, "simulated %.3f us", sg4::Engine::get_clock() * 1e6);
        progress_->update(++flows_done_, note);
      }
    }
    sg4::Comm::wait_all(c.all);
  }

  // When each of a chip's flows finished (us from the phase start t0): per
  // group, the slowest, and every one in the first layer.
  void record_sends(const ChipPhase& mine, const std::vector<sg4::CommPtr>& sends, double t0, bool keep_spans,
                    PhaseResult& r) const {
    for (std::size_t i = 0; i < sends.size(); ++i) {
      const double finish_us = (sends[i]->get_finish_time() - t0) * 1e6;
      const Flow& flow = *mine.out[i].second;
      if (keep_spans) r.flow_spans.push_back({flow, finish_us});
      if (groups_ > 1) {
        double& g = r.group_us[flow.group];
        g = std::max(g, finish_us);
      }
      if (!r.has_slowest || finish_us > r.slowest_finish_us) {
        r.has_slowest = true;
        r.slowest = flow;
        r.slowest_finish_us = finish_us;
      }
    }
  }

  // After the barrier, in actor 0: the phase's latency and SimGrid's link counts.
  void close_phase(std::size_t l, double t0, PhaseResult& r) const {
    r.latency_us = (sg4::Engine::get_clock() - t0) * 1e6;
    r.simgrid_link_bytes.resize(links_.size());
    for (std::size_t id = 0; id < links_.size(); ++id) r.simgrid_link_bytes[id] = sg_link_get_cum_load(links_[id]);
    keep_latest_spans(r.flow_spans);
    if (log_)
      log_->debug("layer {} {}: {:.3f} us, {} time steps so far", l, phase_name(r.kind), r.latency_us, time_steps());
  }

  const std::vector<ChipId>& group_;  // index: actor
  const double expert_us_;
  const std::uint32_t groups_;
  const std::vector<const sg4::Link*>& links_;  // tracked by the link_load plugin, else empty
  const std::size_t only_stage_;  // index in a layer's stages, or kAllStages
  std::vector<std::vector<const Stage*>> stages_;  // [layer][stage], in the order they run
  std::vector<std::vector<std::vector<ChipPhase>>> plan_;  // [layer][stage][actor]
  std::vector<LayerResult> results_;
  std::vector<sg4::Mailbox*> mailbox_;  // index: actor
  sg4::BarrierPtr barrier_;
  std::unique_ptr<ProgressLine> progress_;  // null unless asked for
  std::size_t flows_done_ = 0;
  std::shared_ptr<spdlog::logger> log_ = spdlog::get("replay");
};

}  // namespace

std::vector<LayerResult> Simulator::replay_groups(const std::vector<const LayerTraffic*>& layers,
                                                  const std::vector<ChipId>& chips, double expert_us,
                                                  std::uint32_t groups, const SenderCosts& costs, const GroupFilter& only) {
  if (impl_->fidelity == Fidelity::kPtask) return replay_ptask(layers, expert_us, groups, costs, only);
  FlowReplay flow(layers, chips, expert_us, groups, costs, impl_->hosts.size(), impl_->links, only, impl_->progress,
                  impl_->only_stage);
  flow.spawn(impl_->hosts);
  impl_->engine->run();
  return flow.take_results();
}

namespace {

// The ptask fidelity: one driver actor runs each phase as SimGrid parallel
// tasks (ptask_L07), one per (EP group, route latency) of its flows.

// One task: its flows, and what they load. On a generated platform, the
// bytes of each link; on a loaded XML platform, the bytes between its chips.
struct Task {
  std::vector<ChipId> chips;
  std::unordered_map<ChipId, std::size_t> index;  // of chips
  std::vector<const Flow*> flows;
  std::uint32_t group = 0;
  double latency_s = 0;  // route latency
  double busy_s = 0;     // the sender's time issuing its messages, before the flows start
  std::vector<double> link_bytes;  // by the phase's link index (PtaskReplay::used_), when links are host pairs
};
using Tasks = std::map<std::tuple<std::uint32_t, double, double>, Task>;  // by (group, route latency, busy)

// On a generated platform, each task's links in blocks of at most
// ptask_max_links consecutive links, each block its own SimGrid task (same
// start, same latency): SimGrid's selective update costs the square of a
// task's link count at every event. A block's links progress together;
// blocks, like tasks, share links max-min.
struct Block {
  const Task* task;
  std::size_t lo, hi;  // its links [lo, hi)
};

// A task's bytes on one link, from when they start crossing it (s after the
// phase starts).
struct Arrival {
  double start_s = 0, bytes = 0;
  std::uint32_t group = 0;
};

// The tasks loading one link, and whether they are of several EP groups.
struct LinkLoad {
  std::vector<Arrival> arrivals;
  bool several = false;
};

// A link that may decide a time (PtaskReplay::deciding_links): its place in
// the phase's links, and the latest any group's tasks on it may end (s).
struct LinkCandidate {
  std::size_t k;
  std::vector<std::pair<std::uint32_t, double>> most_s;  // (group, latest end)
  double latest() const {
    double m = 0;
    for (const auto& [g, s] : most_s) m = std::max(m, s);
    return m;
  }
};

// What a SimGrid task loads: its hosts, bytes from host to host (row:
// sender), and how long after the phase starts it starts.
struct TaskLoad {
  std::vector<sg4::Host*> hosts;
  std::vector<double> bytes;
  double delay_s = 0;
};

// The largest flow of a task, to name its flows (they all finish with it).
const Flow& largest_flow(const Task& t) {
  const Flow* big = t.flows.front();
  for (const Flow* f : t.flows)
    if (f->bytes > big->bytes) big = f;
  return *big;
}

// Starts each task at t0 + its delay (s), in order of delay (tasks of equal
// delay in order), sleeping until then; returns them in the order of loads.
// A task is made when it starts: SimGrid 3.32 lists an actor's activities
// from their creation and scans that list as each one ends.
std::vector<sg4::ExecPtr> start_by_delay(const std::vector<TaskLoad>& loads, const std::vector<double>& delays,
                                         double t0) {
  std::vector<std::size_t> by_delay(loads.size());
  for (std::size_t i = 0; i < by_delay.size(); ++i) by_delay[i] = i;
  std::stable_sort(by_delay.begin(), by_delay.end(), [&](std::size_t a, std::size_t b) { return delays[a] < delays[b]; });
  std::vector<sg4::ExecPtr> execs(loads.size());
  for (std::size_t i : by_delay) {
    const double at = t0 + delays[i];
    if (at > sg4::Engine::get_clock()) sg4::this_actor::sleep_until(at);
    execs[i] = sg4::Exec::init()
                   ->set_hosts(loads[i].hosts)
                   ->set_flops_amounts(std::vector<double>(loads[i].hosts.size(), 0.0))
                   ->set_bytes_amounts(loads[i].bytes);
    execs[i]->start();
  }
  return execs;
}

class PtaskReplay {
 public:
  // hosts: by ChipId. topology and link_hosts (by LinkId): the generated
  // platform's links and their port pairs; null and empty on an XML platform.
  PtaskReplay(const std::vector<const LayerTraffic*>& layers, double expert_us, std::uint32_t groups,
              const SenderCosts& costs, const std::vector<sg4::Host*>& hosts, const Topology* topology,
              const std::vector<std::pair<sg4::Host*, sg4::Host*>>& link_hosts, std::size_t max_links,
              const GroupFilter& only)
      : layers_(layers), expert_us_(expert_us), groups_(groups), costs_(costs), hosts_(hosts),
        topology_(topology), link_hosts_(link_hosts), max_links_(max_links), only_(only), results_(layers.size()) {
    // Dense, for the per-flow loop (a Link is a few cache lines).
    if (topology_) {
      for (const Link& l : topology_->links) link_latency_s_.push_back(l.latency_s);
      index_of_.assign(topology_->links.size(), kUnused);
    }
  }

  // The driver actor: every phase of every layer in turn, the expert phase
  // before each combine.
  void drive() {
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      results_[l].expert_us = expert_us_;
      for (const Stage* st : layers_[l]->stages()) {
        const Stage& ph = *st;
        if (ph.kind == PhaseKind::kCombine && ph.index == 0 && expert_us_ > 0)
          sg4::this_actor::sleep_for(expert_us_ * 1e-6);
        results_[l].phases.push_back(replay_phase(l, ph));
      }
    }
  }

  std::vector<LayerResult> take_results() { return std::move(results_); }

 private:
  PhaseResult replay_phase(std::size_t l, const Stage& ph) {
    PhaseResult r = replay_result(ph, groups_);
    const Tasks tasks = group_flows(ph);
    const std::size_t replayed = topology_ && max_links_ == 1 ? replay_links(ph, tasks, r) : replay_blocks(tasks, r);
    if (log_)
      log_->debug("layer {} {}: {:.3f} us, {} tasks, {} SimGrid tasks", l, phase_name(ph.kind), r.latency_us,
                  tasks.size(), replayed);
    return r;
  }

  // Replays blocks of tasks together from the clock's time; each one's end
  // into r. Returns how many SimGrid tasks ran.
  std::size_t replay_together(const std::vector<Block>& blocks, PhaseResult& r) {
    const double t0 = sg4::Engine::get_clock();
    std::vector<TaskLoad> loads;
    std::vector<double> delays;  // of each load
    std::vector<const Task*> of_exec;
    for (const Block& block : blocks) {
      std::optional<TaskLoad> load = topology_ ? port_load(block) : chip_load(*block.task);
      if (!load) continue;
      delays.push_back(load->delay_s);
      of_exec.push_back(block.task);
      loads.push_back(std::move(*load));
    }
    const std::vector<sg4::ExecPtr> execs = start_by_delay(loads, delays, t0);
    for (std::size_t i = 0; i < execs.size(); ++i) {
      execs[i]->wait();
      const double finish_us = (execs[i]->get_finish_time() - t0) * 1e6;
      const Task& t = *of_exec[i];
      if (groups_ > 1) r.group_us[t.group] = std::max(r.group_us[t.group], finish_us);
      if (!r.has_slowest || finish_us > r.slowest_finish_us) {
        r.has_slowest = true;
        r.slowest = largest_flow(t);
        r.slowest_finish_us = finish_us;
      }
    }
    r.latency_us = r.has_slowest ? r.slowest_finish_us : 0;
    return execs.size();
  }

  // Every block at once.
  std::size_t replay_blocks(const Tasks& tasks, PhaseResult& r) { return replay_together(blocks_of(tasks), r); }

  // One link a task: each link that may decide a time (deciding_links), the
  // latest first, alone from the clock's time: tasks of different links share
  // nothing, so a link replayed alone ends as it would among all. A link is
  // skipped when no group on it can end there later than the replays before
  // have shown it does.
  std::size_t replay_links(const Stage& ph, const Tasks& tasks, PhaseResult& r) {
    std::size_t replayed = 0;
    std::unordered_map<std::uint32_t, double> seen;  // group: latest end replayed, us
    for (const LinkCandidate& c : deciding_links(tasks)) {
      bool later = false;
      for (const auto& [g, most_s] : c.most_s) {
        auto it = seen.find(g);
        later = later || it == seen.end() || most_s * 1e6 > it->second * (1 + 1e-9);
      }
      if (!later) continue;
      std::vector<Block> blocks;
      for (const auto& [key, t] : tasks)
        if (t.link_bytes[c.k] > 0) blocks.push_back({&t, c.k, c.k + 1});
      PhaseResult one = replay_result(ph, groups_);
      replayed += replay_together(blocks, one);
      merge(one, r, seen, blocks);
    }
    return replayed;
  }

  // One link's replay into the phase's result (the slowest task: the first
  // replayed of the latest end).
  void merge(const PhaseResult& one, PhaseResult& r, std::unordered_map<std::uint32_t, double>& seen,
             const std::vector<Block>& blocks) const {
    for (const Block& b : blocks) {
      double& s = seen[b.task->group];
      s = std::max(s, groups_ > 1 ? one.group_us[b.task->group] : one.latency_us);
    }
    if (groups_ > 1)
      for (std::size_t g = 0; g < r.group_us.size(); ++g) r.group_us[g] = std::max(r.group_us[g], one.group_us[g]);
    if (one.has_slowest && (!r.has_slowest || one.slowest_finish_us > r.slowest_finish_us)) {
      r.has_slowest = true;
      r.slowest = one.slowest;
      r.slowest_finish_us = one.slowest_finish_us;
    }
    r.latency_us = r.has_slowest ? r.slowest_finish_us : 0;
  }

  // The stage's flows of the groups replayed (only_), in order.
  std::vector<std::reference_wrapper<const Flow>> flows_of_groups(const Stage& ph) const {
    std::vector<std::reference_wrapper<const Flow>> out;
    auto keep = [&out](const Flow& f) { out.emplace_back(f); };
    if (only_.empty())
      for (const Flow& f : ph.flows) keep(f);
    else
      for_flows_of_groups(ph, [this](std::uint32_t g) { return g < only_.size() && only_[g]; }, keep);
    return out;
  }

  // The phase's flows by (group, route latency, sender's busy time).
  Tasks group_flows(const Stage& ph) {
    Tasks tasks;
    used_.clear();
    const std::vector<double> busy = costs_.busy_s(ph, hosts_.size());
    Task* last = nullptr;  // consecutive flows often share a task: no lookup then
    for (const Flow& f : flows_of_groups(ph)) {
      Topology::Route route;
      double lat = 0;
      if (topology_) {
        route = topology_->route(f.src, f.dst);
        for (LinkId id : route) lat += link_latency_s_[id];
      } else {
        lat = simgrid_latency_s(f.src, f.dst);
      }
      const double wait = busy.empty() ? 0.0 : busy[f.src];
      if (!last || last->group != f.group || last->latency_s != lat || last->busy_s != wait) {
        last = &tasks[{f.group, lat, wait}];
        last->group = f.group;
        last->latency_s = lat;
        last->busy_s = wait;
      }
      Task& t = *last;
      t.flows.push_back(&f);
      if (topology_) {
        for (LinkId id : route) {
          if (index_of_[id] == kUnused) {
            index_of_[id] = static_cast<std::uint32_t>(used_.size());
            used_.push_back(id);
          }
          const std::uint32_t k = index_of_[id];
          if (t.link_bytes.size() <= k) t.link_bytes.resize(used_.size(), 0.0);
          t.link_bytes[k] += static_cast<double>(f.bytes);
        }
        continue;
      }
      for (ChipId c : {f.src, f.dst})
        if (t.index.emplace(c, t.chips.size()).second) t.chips.push_back(c);
    }
    if (topology_) number_used_links(tasks);
    return tasks;
  }

  // The phase's links in LinkId order, and each task's bytes by that order.
  void number_used_links(Tasks& tasks) {
    std::vector<std::uint32_t> order(used_.size());
    for (std::uint32_t k = 0; k < order.size(); ++k) order[k] = k;
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return used_[a] < used_[b]; });
    std::vector<LinkId> sorted(used_.size());
    for (std::size_t k = 0; k < order.size(); ++k) sorted[k] = used_[order[k]];
    for (auto& [key, t] : tasks) {
      std::vector<double> bytes(used_.size(), 0.0);
      for (std::size_t k = 0; k < order.size(); ++k)
        if (order[k] < t.link_bytes.size()) bytes[k] = t.link_bytes[order[k]];
      t.link_bytes = std::move(bytes);
    }
    for (LinkId id : used_) index_of_[id] = kUnused;  // ready for the next phase
    used_ = std::move(sorted);
  }

  // Every task whole on an XML platform, in blocks of links on a generated
  // one: links [0, max), [max, 2 max)... by LinkId.
  std::vector<Block> blocks_of(const Tasks& tasks) const {
    std::vector<Block> blocks;
    for (const auto& [key, t] : tasks) {
      if (!topology_) blocks.push_back({&t, 0, 0});
      for (std::size_t lo = 0, hi = 0; lo < used_.size(); lo = hi) {
        while (hi < used_.size() && used_[hi] / max_links_ == used_[lo] / max_links_) ++hi;
        blocks.push_back({&t, lo, hi});
      }
    }
    return blocks;
  }

  // One link a task (ptask_max_links 1): tasks of different links share
  // nothing, so each link is a work-conserving server of its own, whose last
  // byte leaves at a time known before the replay (makespan), whatever the
  // order it serves its tasks in. A link that only one EP group loads ends
  // that group's phase no earlier than its makespan; a link whose tasks of a
  // group all end, at the latest, before that group's surest end elsewhere can
  // decide nothing the replay reports (phase time, group times, slowest task).
  // Candidates: for each group, its first link of largest makespan among those
  // it loads alone, and every link of several groups that could end one of
  // them later; latest first (by the latest end any group may have there).
  std::vector<LinkCandidate> deciding_links(const Tasks& tasks) const {
    std::vector<LinkLoad> on(used_.size());
    for (const auto& [key, t] : tasks)
      for (std::size_t k = 0; k < on.size(); ++k) {
        if (t.link_bytes[k] <= 0) continue;
        LinkLoad& load = on[k];
        if (!load.arrivals.empty() && load.arrivals.back().group != t.group) load.several = true;
        load.arrivals.push_back({t.busy_s + std::max(t.latency_s, link_latency_s_[used_[k]]), t.link_bytes[k], t.group});
      }
    std::vector<double> end(on.size(), -1);
    for (std::size_t k = 0; k < on.size(); ++k)
      if (!on[k].arrivals.empty()) end[k] = makespan_s(topology_->links[used_[k]], on[k].arrivals);
    // Each group's surest end, and a link that shows it: the largest makespan
    // of its links alone, or a lower bound on its end at a link of several.
    std::map<std::uint32_t, std::pair<double, std::size_t>> sure;
    auto at_least = [&](std::uint32_t g, double t, std::size_t k) {
      auto [it, fresh] = sure.emplace(g, std::make_pair(t, k));
      if (!fresh && t > it->second.first) it->second = {t, k};
    };
    std::vector<LinkCandidate> all;
    std::vector<std::pair<double, double>> bounds;  // of each task's end, at a link of several groups
    for (std::size_t k = 0; k < on.size(); ++k) {
      if (on[k].arrivals.empty()) continue;
      bounds.clear();
      for (std::size_t i = 0; on[k].several && i < on[k].arrivals.size(); ++i)
        bounds.push_back(shared_end_bounds(topology_->links[used_[k]], on[k].arrivals, i));
      all.push_back(candidate(k, on[k], end[k], bounds));
      if (!on[k].several) {
        at_least(on[k].arrivals.front().group, end[k], k);
        continue;
      }
      for (std::size_t i = 0; i < on[k].arrivals.size(); ++i) at_least(on[k].arrivals[i].group, bounds[i].first, k);
    }
    std::vector<LinkCandidate> out;
    for (LinkCandidate& c : all) {
      bool kept = every_link_;  // MOESIM_PTASK_EVERY_LINK: the check that skipping changes nothing
      for (const auto& [g, most] : c.most_s) {
        const auto& [least, shows] = sure.at(g);
        kept = kept || shows == c.k || most > least * (1 + 1e-9);
      }
      if (every_link_)
        for (auto& gm : c.most_s) gm.second = HUGE_VAL;
      if (kept) out.push_back(std::move(c));
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const LinkCandidate& a, const LinkCandidate& b) { return a.latest() > b.latest(); });
    return out;
  }

  // A link's latest end for each group on it: its makespan for a group alone
  // there, else the upper bound on each task's end (bounds, by arrival).
  static LinkCandidate candidate(std::size_t k, const LinkLoad& load, double end,
                                 const std::vector<std::pair<double, double>>& bounds) {
    LinkCandidate c{k, {}};
    for (std::size_t i = 0; i < load.arrivals.size(); ++i) {
      const std::uint32_t g = load.arrivals[i].group;
      const double most = load.several ? std::min(end, bounds[i].second) : end;
      auto it = std::find_if(c.most_s.begin(), c.most_s.end(), [&](const auto& e) { return e.first == g; });
      if (it == c.most_s.end())
        c.most_s.emplace_back(g, most);
      else
        it->second = std::max(it->second, most);
    }
    return c;
  }

  // Bounds on when task i of a link's arrivals ends, the link serving its
  // tasks alike (processor sharing). While i is served, another task j is
  // served as fast: it gets min(what it has left, i's bytes) in that time if
  // it came first, at most min(its bytes, i's bytes) in any case; and the
  // link is busy throughout.
  static std::pair<double, double> shared_end_bounds(const Link& link, const std::vector<Arrival>& arrivals,
                                                     std::size_t i) {
    const Arrival& a = arrivals[i];
    double least = a.bytes, most = a.bytes;
    for (std::size_t j = 0; j < arrivals.size(); ++j) {
      if (j == i) continue;
      const Arrival& b = arrivals[j];
      most += std::min(b.bytes, a.bytes);
      if (b.start_s <= a.start_s)
        least += std::min(std::max(0.0, b.bytes - link.bandwidth_Bps * (a.start_s - b.start_s)), a.bytes);
    }
    if (link.sharing == Sharing::kFatpipe) least = most = a.bytes;
    return {a.start_s + least / link.bandwidth_Bps, a.start_s + most / link.bandwidth_Bps};
  }

  // When a link's last byte leaves, serving tasks that arrive at (start s,
  // bytes): busy from each arrival it is idle at, at its bandwidth; under a
  // fat pipe, every task at the whole bandwidth.
  static double makespan_s(const Link& link, std::vector<Arrival> arrivals) {
    std::sort(arrivals.begin(), arrivals.end(),
              [](const Arrival& a, const Arrival& b) { return a.start_s < b.start_s; });
    double end = 0;
    for (const auto& [at, bytes, group] : arrivals) {
      const double busy = bytes / link.bandwidth_Bps;
      end = link.sharing == Sharing::kFatpipe ? std::max(end, at + busy) : std::max(end, at) + busy;
    }
    return end;
  }

  // Generated platform: each link of the block loaded with its bytes through
  // its own port pair. L07 applies the largest latency of a task's pairs,
  // here the slowest link's; the rest of the flows' route latency is waited
  // first. Nothing when the block loads no link.
  std::optional<TaskLoad> port_load(const Block& block) const {
    const Task& t = *block.task;
    TaskLoad load;
    std::unordered_map<sg4::Host*, std::size_t> index;
    std::vector<std::tuple<std::size_t, std::size_t, double>> cells;
    double link_latency = 0;
    for (std::size_t k = block.lo; k < block.hi; ++k) {
      if (t.link_bytes[k] <= 0) continue;
      const LinkId id = used_[k];
      std::size_t ends[2];
      int e = 0;
      for (sg4::Host* h : {link_hosts_[id].first, link_hosts_[id].second}) {
        auto [it, fresh] = index.emplace(h, load.hosts.size());
        if (fresh) load.hosts.push_back(h);
        ends[e++] = it->second;
      }
      cells.emplace_back(ends[0], ends[1], t.link_bytes[k]);
      link_latency = std::max(link_latency, topology_->links[id].latency_s);
    }
    if (cells.empty()) return std::nullopt;
    const std::size_t m = load.hosts.size();
    load.bytes.assign(m * m, 0.0);
    for (const auto& [a, b, v] : cells) load.bytes[a * m + b] += v;
    load.delay_s = t.busy_s + std::max(0.0, t.latency_s - link_latency);
    return load;
  }

  // XML platform: the task's flows between its chips, with their route latency.
  TaskLoad chip_load(const Task& t) const {
    TaskLoad load;
    const std::size_t m = t.chips.size();
    for (ChipId c : t.chips) load.hosts.push_back(hosts_[c]);
    load.bytes.assign(m * m, 0.0);
    for (const Flow* f : t.flows)
      load.bytes[t.index.at(f->src) * m + t.index.at(f->dst)] += static_cast<double>(f->bytes);
    load.delay_s = t.busy_s;
    return load;
  }

  // A route's latency, asked of SimGrid once per chip pair a flow uses.
  double simgrid_latency_s(ChipId s, ChipId d) {
    const std::uint64_t key = static_cast<std::uint64_t>(s) << 32 | d;
    auto it = latency_of_.find(key);
    if (it != latency_of_.end()) return it->second;
    std::vector<sg4::Link*> route;
    double lat = 0;
    hosts_[s]->route_to(hosts_[d], route, &lat);
    return latency_of_.emplace(key, lat).first->second;
  }

  const std::vector<const LayerTraffic*>& layers_;
  const double expert_us_;
  const std::uint32_t groups_;
  const SenderCosts& costs_;
  const std::vector<sg4::Host*>& hosts_;
  const Topology* topology_;
  const std::vector<std::pair<sg4::Host*, sg4::Host*>>& link_hosts_;
  const std::size_t max_links_;
  const GroupFilter& only_;
  // MOESIM_PTASK_EVERY_LINK set: replay_links replays every link, none
  // skipped (tests compare both).
  const bool every_link_ = std::getenv("MOESIM_PTASK_EVERY_LINK") != nullptr;
  std::vector<double> link_latency_s_;  // by LinkId, on a generated platform
  // The links the phase's tasks load, by LinkId (Task::link_bytes's order),
  // and each one's place there (kUnused: none), on a generated platform.
  static constexpr std::uint32_t kUnused = UINT32_MAX;
  std::vector<LinkId> used_;
  std::vector<std::uint32_t> index_of_;
  std::vector<LayerResult> results_;
  std::unordered_map<std::uint64_t, double> latency_of_;  // by (src << 32 | dst)
  std::shared_ptr<spdlog::logger> log_ = spdlog::get("replay");
};

}  // namespace

std::vector<LayerResult> Simulator::replay_ptask(const std::vector<const LayerTraffic*>& layers, double expert_us,
                                                 std::uint32_t groups, const SenderCosts& costs, const GroupFilter& only) {
  PtaskReplay ptask(layers, expert_us, groups, costs, impl_->hosts, impl_->topology, impl_->link_hosts,
                    impl_->ptask_max_links, only);
  sg4::Actor::create("ptask-driver", impl_->hosts.front(), [&ptask]() { ptask.drive(); });
  impl_->engine->run();
  return ptask.take_results();
}

EngineInfo Simulator::info() const {
  const bool ptask = impl_->spec.fidelity == Fidelity::kPtask;
  return EngineInfo{"simgrid", ptask ? "ptask_L07" : impl_->spec.network_model, fidelity_name(impl_->spec.fidelity),
                    simgrid_options(impl_->spec)};
}

namespace {

// A layer's phase results before any replay: what its traffic says (latencies
// 0, no slowest flow), and a time per group.
LayerResult unreplayed(const LayerTraffic& t, std::uint32_t groups) {
  LayerResult r;
  for (const Stage* st : t.stages()) {
    r.phases.push_back(traffic_result(*st));
    if (groups > 1) r.phases.back().group_us.assign(groups, 0.0);
  }
  return r;
}

// A replay worker's unit: of some consecutive layers, the flows of some sets
// of independent groups.
struct Unit {
  std::size_t first = 0, count = 1;  // consecutive layers [first, first + count)
  std::vector<std::size_t> parts;
  std::size_t stage = kAllStages;  // the flow replay's one stage, or all
};

// Each run of `per_unit` consecutive layers a unit, its sets of groups
// replayed in turn; the sets of a single layer their own units, to be
// replayed at once, and with `stages` > 1 (the flow fidelity: a stage starts
// with no flow in flight, so it replays alone from time 0 just the same)
// each stage of each set its own unit.
std::vector<Unit> units_of(std::size_t layers, std::size_t parts, std::size_t per_unit, std::size_t stages) {
  std::vector<Unit> units;
  if (layers == 1) {
    for (std::size_t p = 0; p < parts; ++p) {
      if (stages <= 1) units.push_back({0, 1, {p}});
      for (std::size_t k = 0; stages > 1 && k < stages; ++k) units.push_back({0, 1, {p}, k});
    }
    return units;
  }
  std::vector<std::size_t> every(parts);
  for (std::size_t p = 0; p < parts; ++p) every[p] = p;
  per_unit = std::max<std::size_t>(1, per_unit);
  for (std::size_t l = 0; l < layers; l += per_unit) units.push_back({l, std::min(per_unit, layers - l), every});
  return units;
}

}  // namespace

void Simulator::set_jobs(std::size_t jobs) { impl_->jobs = std::max<std::size_t>(1, jobs); }

bool Simulator::in_process() const {
  // SimGrid writes its Paje trace as the simulation ends: one simulation, here.
  const auto& cfg = impl_->spec.cfg;
  return std::find(cfg.begin(), cfg.end(), "tracing:yes") != cfg.end();
}

std::vector<LayerResult> Simulator::compute(const Topology& topology, const Workload& workload) {
  if (!impl_->platform_ready) {
    impl_->group_of.assign(topology.num_chips(), kNoGroup);
    for (std::uint32_t g = 0; g < workload.groups.size(); ++g)
      for (ChipId c : workload.groups[g]) impl_->group_of[c] = g;
    build(topology);
  }
  impl_->progress = static_cast<bool>(workload.progress);
  const auto groups = static_cast<std::uint32_t>(workload.groups.size());
  std::vector<std::vector<std::uint32_t>> parts = workload.independent;
  if (parts.empty() || in_process()) {
    parts.assign(1, {});
    for (std::uint32_t g = 0; g < groups; ++g) parts[0].push_back(g);
  }
  const SenderCosts costs(workload.per_message, workload.per_peer, topology);
  // The replay of some layers, the flows of one set of groups.
  auto replay_part = [&](const std::vector<const LayerTraffic*>& layers, const std::vector<std::uint32_t>& part) {
    std::vector<ChipId> chips;
    GroupFilter only;
    if (parts.size() > 1) only.assign(groups, 0);
    for (std::uint32_t g : part) {
      chips.insert(chips.end(), workload.groups[g].begin(), workload.groups[g].end());
      if (!only.empty()) only[g] = 1;
    }
    return replay_groups(layers, chips, workload.expert_us, groups, costs, only);
  };
  std::vector<LayerResult> out;
  for (const auto& t : workload.layers) out.push_back(unreplayed(t, groups));
  auto add = [](LayerResult& into, const LayerResult& part) {
    into.expert_us = part.expert_us;
    merge_replayed(into, part);
  };
  if (in_process()) {
    std::vector<const LayerTraffic*> layers;
    for (const auto& t : workload.layers) layers.push_back(&t);
    const std::vector<LayerResult> replayed = replay_part(layers, parts[0]);
    for (std::size_t l = 0; l < out.size(); ++l) add(out[l], replayed[l]);
    return out;
  }
  // Every unit in a worker forked from the built, never-run engine: each
  // starts at simulated time 0, so its result is the same whatever the
  // number of workers or the order they finish in.
  // Stage units whatever the number of workers: the report is the same for every -j.
  const bool by_stage = impl_->fidelity == Fidelity::kFlow && workload.layers.size() == 1;
  const std::vector<Unit> units = units_of(workload.layers.size(), parts.size(), workload.layers_per_worker,
                                           by_stage ? workload.layers[0].stages().size() : 1);
  std::vector<std::string> got(units.size());
  std::size_t done = 0;
  run_forked(
      units.size(), impl_->jobs,
      [&](std::size_t u) {
        const Unit& unit = units[u];
        impl_->only_stage = unit.stage;
        std::vector<const LayerTraffic*> layers;
        for (std::size_t l = unit.first; l < unit.first + unit.count; ++l) layers.push_back(&workload.layers[l]);
        std::vector<LayerResult> merged(unit.count);
        for (std::size_t p : unit.parts) {
          const std::vector<LayerResult> replayed = replay_part(layers, parts[p]);
          for (std::size_t i = 0; i < unit.count; ++i) add(merged[i], replayed[i]);
        }
        return encode_replayed(merged);
      },
      [&](std::size_t u, std::string&& bytes) {
        got[u] = std::move(bytes);
        if (workload.progress) workload.progress(++done, units.size());
      },
      "layer replay");
  for (std::size_t u = 0; u < units.size(); ++u) {
    std::vector<LayerResult> some(units[u].count);
    for (std::size_t i = 0; i < units[u].count; ++i)
      some[i].phases.resize(workload.layers[units[u].first + i].stages().size());
    decode_replayed(got[u], some);
    for (std::size_t i = 0; i < units[u].count; ++i) add(out[units[u].first + i], some[i]);
  }
  return out;
}

namespace {

bool debug_logging() {
  auto log = spdlog::get("run");
  return log && log->should_log(spdlog::level::debug);
}

// The scenario's SimGrid settings for its platform and traffic. The flow
// fidelity re-solves every flow at every event (network/optim:Full, before
// the scenario's own cfg, which can override it) on an XML platform, whose
// routes are SimGrid's and have no head of their own (route_head), and on
// skewed routing: flows of many sizes end one at a time, each end re-solves
// every flow anyway, and Full needs no head links (a third of the time at 64
// chips). Uniform routing keeps the lazy update: its flows end together,
// which Full splits into an event each.
SimgridSpec simgrid_spec_for(const Scenario& s) {
  SimgridSpec spec = s.simgrid;
  const bool skewed = s.routing.model != RoutingSpec::Model::kUniform;
  if (spec.fidelity == Fidelity::kFlow && (s.platform.kind == PlatformSpec::Kind::kXml || skewed))
    spec.cfg.insert(spec.cfg.begin(), "network/optim:Full");
  return spec;
}

}  // namespace

namespace {

RunReport run_alone(const Scenario& s, const RunControl& control);

// The faulty scenario's healthy twin, run first as encode_baseline's text:
// under SimGrid in a child process (one engine a process, and this one's is
// not built yet), the core engines here.
std::string healthy_baseline(const Scenario& s, const RunControl& control) {
  auto log = spdlog::get("run");
  if (log) log->info("faults: the same run on the healthy platform first, for what they cost");
  const Scenario healthy = healthy_scenario(s);
  const RunControl quiet{control.jobs, false};
  if (s.engine != Engine::kSimgrid) return encode_baseline(run_alone(healthy, quiet));
  std::string baseline;
  run_forked(
      1, 1, [&](std::size_t) { return encode_baseline(run_alone(healthy, quiet)); },
      [&](std::size_t, std::string&& text) { baseline = std::move(text); }, "healthy run");
  return baseline;
}

}  // namespace

namespace {

RunReport run_alone(const Scenario& s, const RunControl& control) {
  auto log = spdlog::get("run");
  // Before anything is built: refused if it cannot fit, told if it is long.
  const RunEstimate estimate = estimate_run(s, std::nullopt, control.jobs);
  check_run_memory(s, estimate);
  if (log) log->debug("estimate: this run needs {}", estimate.describe());
  if (log && estimate.seconds > 60) log->warn("this run needs {} (an estimate)", estimate.describe());
  if (log)
    for (const std::string& line : unused_settings(s)) log->warn("{}", line);
  const bool xml = s.platform.kind == PlatformSpec::Kind::kXml;
  std::unique_ptr<Simulator> sim;
  if (xml || s.engine == Engine::kSimgrid) {
    try {
      sim = std::make_unique<Simulator>(simgrid_spec_for(s), !debug_logging());
    } catch (const InputError& e) {
      throw InputError(s.where_simgrid + ": simgrid: " + e.what());
    }
  }
  Topology topo;
  try {
    topo = load_topology(s.platform, [&](const std::string& path) { return sim->load_xml(path); });
  } catch (const InputError& e) {
    if (!xml) throw;
    throw InputError(std::string(e.what()) + " (platform of " + s.where_platform + ")");
  }
  if (s.engine == Engine::kSimgrid) {
    sim->set_jobs(control.jobs);
    return run_scenario(s, topo, *sim, control);
  }
  return run_scenario(s, topo, *make_core_engine(s, topo), control);
}

}  // namespace

RunReport run_scenario_with_simgrid(const Scenario& s, const RunControl& control) {
  if (!has_faults(s)) return run_alone(s, control);
  const std::string baseline = healthy_baseline(s, control);
  RunReport faulty = run_alone(s, control);
  faulty.fault_cost = fault_cost(faulty, baseline);
  return faulty;
}

Topology load_any_topology(const PlatformSpec& spec) {
  if (spec.kind != PlatformSpec::Kind::kXml) return load_topology(spec, nullptr);
  Simulator sim(SimgridSpec{}, true);
  return load_topology(spec, [&](const std::string& path) { return sim.load_xml(path); });
}

}  // namespace moesim
