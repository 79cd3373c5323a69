// Chips, links and routes of a platform, as plain data: what the bound
// engine reasons about and what the SimGrid replay is built from.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "moesim/enum_table.hpp"

namespace moesim {

using ChipId = std::uint32_t;
using LinkId = std::uint32_t;

enum class Sharing {
  kShared,   // one resource shared by every flow crossing it (max-min)
  kFatpipe,  // every flow gets the whole bandwidth
};

// One direction of a link: a network resource of SimGrid. A split-duplex
// physical link is two of these, named "<duplex>_UP" and "<duplex>_DOWN".
struct Link {
  std::string name;
  double bandwidth_Bps = 0;
  double latency_s = 0;
  Sharing sharing = Sharing::kShared;
  std::string duplex;  // physical split-duplex link this is one side of; empty if none
  bool up = true;      // which side of `duplex`
  std::string link_class;  // "ici", "c2c", "b2b", ... (empty when unknown)
  // The nodes (chips or switches) this direction goes from and to; empty
  // when unknown (a SimGrid XML platform).
  std::string from, to;
  bool down = false;  // dead (a scenario's fault): no route crosses it
};

// A cost in microseconds that each message (or each peer) pays: `all_us`
// for every one, plus class_us[c] when its route crosses a link of class c
// (once a class, however many of its links the route has).
struct SendCosts {
  double all_us = 0;
  std::map<std::string, double> class_us;
  bool empty() const;
  bool operator==(const SendCosts& o) const { return all_us == o.all_us && class_us == o.class_us; }
  // "0.03 us", "0.01 us, nic 0.5 us" (every one, then by class), "0 us" when empty
  std::string describe() const;
};

class Topology {
 public:
  std::string name;
  std::string routing;             // how routes were made, for reports
  std::vector<std::string> chips;  // chip order: the order groups are taken in
  std::vector<Link> links;
  // Nodes that are not chips: switches, routers, the port blocks of tiers.
  std::vector<std::string> switches;
  // (member, group): a chip or group that reaches the group's links without
  // crossing a link (tiers' direct uplinks). Pictures draw them dashed.
  std::vector<std::pair<std::string, std::string>> members;

  std::size_t num_chips() const { return chips.size(); }
  // Physical links: split-duplex pairs count once.
  std::size_t num_physical_links() const;

  // Adds a split-duplex link between two nodes, "<name>_UP" from `from` to
  // `to` and "<name>_DOWN" back; returns the id of UP (DOWN is UP + 1).
  LinkId add_duplex(const std::string& name, const std::string& from, const std::string& to, double bandwidth_Bps,
                    double latency_s, const std::string& link_class);

  // Routes are added for every ordered pair of distinct chips, in order
  // (src-major, then dst), before any is read.
  void add_route(ChipId src, ChipId dst, const std::vector<LinkId>& route);

  // A route's links: up to kMaxRuns runs of consecutive entries of a table.
  class Route {
   public:
    static constexpr int kMaxRuns = 4;
    class iterator {
     public:
      using value_type = LinkId;
      using difference_type = std::ptrdiff_t;
      using reference = const LinkId&;
      using pointer = const LinkId*;
      using iterator_category = std::forward_iterator_tag;
      iterator() = default;
      iterator(const Route* r, int run, const LinkId* at) : r_(r), run_(run), at_(at) {}
      const LinkId& operator*() const { return *at_; }
      iterator& operator++() {
        if (++at_ == r_->end_[run_] && run_ + 1 < r_->runs_) at_ = r_->begin_[++run_];
        return *this;
      }
      iterator operator++(int) {
        iterator old = *this;
        ++*this;
        return old;
      }
      bool operator==(const iterator& o) const { return at_ == o.at_ && run_ == o.run_; }
      bool operator!=(const iterator& o) const { return !(*this == o); }

     private:
      const Route* r_ = nullptr;
      int run_ = 0;
      const LinkId* at_ = nullptr;
    };
    Route() = default;
    Route(const LinkId* begin, const LinkId* end) { add(begin, end); }
    // Appends a run; empty runs are dropped.
    void add(const LinkId* begin, const LinkId* end) {
      if (begin == end) return;
      begin_[runs_] = begin;
      end_[runs_++] = end;
      size_ += static_cast<std::size_t>(end - begin);
    }
    iterator begin() const { return runs_ ? iterator(this, 0, begin_[0]) : iterator(); }
    iterator end() const { return runs_ ? iterator(this, runs_ - 1, end_[runs_ - 1]) : iterator(); }
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    // The i-th link (i < size()).
    LinkId operator[](std::size_t i) const {
      int run = 0;
      for (auto len = static_cast<std::size_t>(end_[0] - begin_[0]); i >= len;
           len = static_cast<std::size_t>(end_[run] - begin_[run])) {
        i -= len;
        ++run;
      }
      return begin_[run][i];
    }

   private:
    const LinkId* begin_[kMaxRuns] = {};
    const LinkId* end_[kMaxRuns] = {};
    int runs_ = 0;
    std::size_t size_ = 0;
  };
  Route route(ChipId src, ChipId dst) const;
  double route_latency_s(ChipId src, ChipId dst) const;

  // Index of a chip by name, or -1.
  long chip_index(const std::string& name) const;

  // Dimension-order routes of a torus, computed when asked instead of
  // stored for every pair: chip c sits at c / stride[d] % dims[d]; the route
  // from s to d is, for each dimension in turn where they differ, the run
  // of links from the chip reached so far to d's coordinate, which starts
  // at links[begin[(chip * dims + dim) * kmax + coordinate]] and ends at the
  // next entry's start.
  struct DimensionRoutes {
    std::vector<std::uint64_t> dims, stride;
    std::vector<std::uint32_t> coord;  // [chip * dims + dim]
    std::size_t kmax = 0;
    std::vector<std::uint32_t> begin;
    std::vector<LinkId> links;
  };
  // Instead of add_route: every pair's route from the table.
  void set_dimension_routes(std::shared_ptr<const DimensionRoutes> routes);
  // The table of a dimension-order torus, null for stored routes.
  const DimensionRoutes* dimension_routes() const { return dimension_routes_.get(); }

  // A route around faults: replaces the pair's route from the table (or the
  // stored one) for every reader of route(). An empty route marks the pair
  // cut off (cut_pair() then says so).
  void override_route(ChipId src, ChipId dst, std::vector<LinkId> route);
  std::size_t num_overridden_routes() const { return overrides_.size(); }
  // Whether faults left the pair no route.
  bool cut_pair(ChipId src, ChipId dst) const;
  // Every pair faults left no route, in (src, dst) order.
  std::vector<std::pair<ChipId, ChipId>> cut_pairs() const;

 private:
  std::shared_ptr<const DimensionRoutes> dimension_routes_;
  std::unordered_map<std::uint64_t, std::vector<LinkId>> overrides_;  // by src << 32 | dst
  // Whether a chip is the source (destination) of an override: route() looks
  // the map up only where both are, so the pairs faults leave alone pay two loads.
  std::vector<char> overridden_src_, overridden_dst_;
  std::vector<std::uint64_t> route_offset_;  // n*n+1 entries once complete
  std::vector<LinkId> route_links_;
  std::size_t next_pair_ = 0;
};

// A torus: dims [x], [x, y] or [x, y, z], wraparound in every dimension
// (or none: a mesh). Chip i sits at coordinates (i % x, i / x % y, i / (x*y)).
// Each chip owns one split-duplex link to its successor in every dimension of
// size > 2 (one link joins the pair in a dimension of size 2). Routing is
// dimension order (x, then y, then z), the shorter way round. A tie (the
// antipodal hop of an even ring) goes the positive way (kPositive), or, with
// kSplit, the positive way from an even coordinate and the negative way from
// an odd one, which halves the load that ties put on one direction.
struct TorusSpec {
  TorusSpec() = default;
  TorusSpec(std::vector<std::uint64_t> dims_, double bandwidth, double latency)
      : dims(std::move(dims_)), bandwidth_Bps(bandwidth), latency_s(latency) {}
  std::vector<std::uint64_t> dims;
  double bandwidth_Bps = 0;
  double latency_s = 0;
  // Per dimension, overriding the two above when given.
  std::vector<double> dim_bandwidth_Bps;
  std::vector<double> dim_latency_s;
  bool wraparound = true;
  enum class Antipodal { kPositive, kSplit } antipodal = Antipodal::kPositive;
  // Twisted (TPU v4's n x n x 2n and n x 2n x 2n slices): the wraparound
  // link of every dimension of size n lands n further along every dimension
  // of size 2n. Dimension order then runs along a shortest displacement
  // (route_twisted_dimension_order), its ties as `antipodal` says.
  // kShortestPath (any torus) routes by Dijkstra instead.
  bool twisted = false;
  enum class Routing { kDimensionOrder, kShortestPath } routing = Routing::kDimensionOrder;
};
inline constexpr EnumTable<TorusSpec::Antipodal, 2> kAntipodalNames{
    {{TorusSpec::Antipodal::kPositive, "positive"}, {TorusSpec::Antipodal::kSplit, "split"}}};
inline constexpr EnumTable<TorusSpec::Routing, 2> kTorusRoutingNames{
    {{TorusSpec::Routing::kDimensionOrder, "dimension_order"}, {TorusSpec::Routing::kShortestPath, "shortest_path"}}};

// What routing a generated topology uses, in words, for reports.
std::string torus_routing_name(const TorusSpec& spec);
Topology make_torus(const std::string& name, const TorusSpec& spec);

// A Tier6-style hierarchy: level 0 joins `count` chips (a board), level 1
// joins `count` level-0 groups (a rack of boards), and so on up.
struct TierLevel {
  std::string name;        // "board", "rack", "pod", ...
  std::string link_class;  // "c2c", "b2b", "r2r", "p2p"
  std::uint64_t count = 1;
  enum class Fabric { kFullMesh, kSwitch } fabric = Fabric::kFullMesh;
  // How a chip reaches this level's links (levels above 0): kDirect, the
  // group's links are ports of every chip of the group, shared by them and
  // reached without crossing a lower link; kGateway, traffic first crosses
  // the lower levels to the group's first chip, which holds the ports.
  enum class Uplink { kDirect, kGateway } uplink = Uplink::kDirect;
  double bandwidth_Bps = 0;
  double latency_s = 0;
  // Ports of one switch (kSwitch; 0 = as many as needed). A group with more
  // members than ports gets a two-layer leaf/spine of such switches: leaves
  // of ports/2 members, each with one link to every one of ports/2 spines;
  // traffic between leaves crosses spine (a + b) mod (ports/2).
  std::uint64_t switch_ports = 0;
};
inline constexpr EnumTable<TierLevel::Fabric, 2> kTierFabricNames{
    {{TierLevel::Fabric::kFullMesh, "full_mesh"}, {TierLevel::Fabric::kSwitch, "switch"}}};
inline constexpr EnumTable<TierLevel::Uplink, 2> kTierUplinkNames{
    {{TierLevel::Uplink::kDirect, "direct"}, {TierLevel::Uplink::kGateway, "gateway"}}};
struct TiersSpec {
  std::vector<TierLevel> levels;
};
Topology make_tiers(const std::string& name, const TiersSpec& spec);
// Whether a level's switch has too few ports and becomes a leaf/spine.
bool leaf_spine(const TierLevel& level);

// A GPU cluster: `nodes` of `gpus` chips, each chip with a link to its
// node's switch (NVLink) and a NIC link to the leaf switch of its rail (rail
// i joins chip i of every node: rail-optimised). Within a node: NVLink up,
// NVLink down. Between nodes on the same rail: NIC up, NIC down. Between
// nodes and rails (as NCCL's PXN does): NVLink to the chip of the
// destination's rail in the source node, then that chip's NIC. Switches are
// non-blocking, so no spine carries all-to-all traffic. One node may have no
// NICs (nic_Bps 0): then there are no rails and no NIC links.
struct GpuClusterSpec {
  std::uint64_t nodes = 1;
  std::uint64_t gpus = 8;
  double nvlink_Bps = 0, nvlink_latency_s = 0;
  double nic_Bps = 0, nic_latency_s = 0;
};
Topology make_gpu_cluster(const std::string& name, const GpuClusterSpec& spec);

}  // namespace moesim
