// Tier6-Model topology files: pods / racks / boards / chips with counts,
// `connections`, `interconnect.links` and comm params, read as a tiers platform.
#include "platform/tier6.hpp"

#include <array>
#include <map>
#include <set>

#include "moesim/error.hpp"
#include "util/units.hpp"
#include "util/yaml_util.hpp"

namespace moesim {
namespace {

// The one entry of a list of uniform groups ("count: N" of the same thing).
YamlMap only_entry(const YamlMap& parent, const std::string& key) {
  YAML::Node list = parent.node(key);
  if (!list.IsDefined() || !list.IsSequence() || list.size() == 0)
    parent.fail_at(key, "expected a list with one entry (a count of identical " + key + ")");
  if (list.size() > 1)
    parent.fail_at(key, "has " + std::to_string(list.size()) +
                            " kinds; moesim imports hierarchies whose groups are alike (one entry with a count)");
  if (!list[0].IsMap()) parent.fail_at(key, "entry 0 is not a mapping");
  return YamlMap(parent.doc(), list[0], parent.key_path(key + "[0]"));
}

// Tier6's connection types: the links of each level.
enum class Connection { kC2c, kB2b, kR2r, kP2p };
constexpr EnumTable<Connection, 4> kConnectionNames{
    {{Connection::kC2c, "c2c"}, {Connection::kB2b, "b2b"}, {Connection::kR2r, "r2r"}, {Connection::kP2p, "p2p"}}};

struct Level {
  Connection connection;   // Tier6's connection type at that level
  const char* name;        // moesim's level name
  const char* path_part;   // the component in connection paths ("board" of board_3)
  const char* switch_key;  // switch_config entry
  std::uint64_t count = 1;
  std::string link_class() const { return enum_name(kConnectionNames, connection); }
};

// "pod_0/rack_1/board_2/chip_3" -> {0, 1, 2, 3}; nullopt if malformed.
std::optional<std::vector<std::uint64_t>> parse_path(const std::string& path) {
  static const char* kParts[] = {"pod_", "rack_", "board_", "chip_"};
  std::vector<std::uint64_t> out;
  std::size_t at = 0;
  for (int i = 0; i < 4 && at <= path.size(); ++i) {
    const std::size_t slash = path.find('/', at);
    const std::string part = path.substr(at, slash == std::string::npos ? std::string::npos : slash - at);
    const std::string prefix = kParts[i];
    if (part.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
    auto v = parse_uint(part.substr(prefix.size()));
    if (!v) return std::nullopt;
    out.push_back(*v);
    if (slash == std::string::npos) return out;
    at = slash + 1;
  }
  return std::nullopt;
}

// Levels bottom up: chips of a board (c2c), boards of a rack (b2b), racks of
// a pod (r2r), pods (p2p).
using Levels = std::array<Level, 4>;
// Members joined by connections: type -> group ("0/1/") -> pairs (a, b), a < b.
using Pairs = std::map<std::string, std::map<std::string, std::set<std::pair<std::uint64_t, std::uint64_t>>>>;

// The member count of every level, from the pods / racks / boards / chips lists.
void read_hierarchy(const YamlMap& root, Levels& levels) {
  // The keys of Tier6's grouped pods; ids, names and rack units are not modelled.
  YamlMap pods = only_entry(root, "pods");
  pods.allow_only({"count", "racks"});
  levels[3].count = pods.positive_or("count", levels[3].count);
  YamlMap racks = only_entry(pods, "racks");
  racks.allow_only({"count", "total_u", "boards"});
  levels[2].count = racks.positive_or("count", levels[2].count);
  YamlMap boards = only_entry(racks, "boards");
  boards.allow_only({"id", "name", "u_height", "count", "chips"});
  levels[1].count = boards.positive_or("count", levels[1].count);
  YAML::Node chips = boards.node("chips");
  if (!chips.IsDefined() || !chips.IsSequence() || chips.size() == 0)
    boards.fail_at("chips", "expected a list of chips with counts");
  for (std::size_t i = 0; i < chips.size(); ++i) {
    if (!chips[i].IsMap()) boards.fail_at("chips", "entry " + std::to_string(i) + " is not a mapping");
    YamlMap c(root.doc(), chips[i], boards.key_path("chips[" + std::to_string(i) + "]"));
    c.allow_only({"name", "preset_id", "count"});
    // A chip entry without a count is one chip.
    levels[0].count = (i == 0 ? 0 : levels[0].count) + c.positive_or("count", 1);
  }
  double total = 1;
  for (const Level& l : levels) total *= static_cast<double>(l.count);
  if (total > 65536) root.fail_at("pods", "more than 65536 chips");
}

// Connections, checked and grouped by the group they join.
Pairs read_connections(const YamlMap& root, const Levels& levels) {
  Pairs pairs;
  YAML::Node conns = root.node("connections");
  if (conns.IsDefined() && !conns.IsSequence()) root.fail_at("connections", "expected a list of connections");
  for (std::size_t i = 0; conns.IsDefined() && i < conns.size(); ++i) {
    YamlMap c(root.doc(), conns[i], "connections[" + std::to_string(i) + "]");
    // A typed link's bandwidth and latency are interconnect.links.<type>'s; Tier6
    // writes its own only for 'custom' links.
    c.allow_only({"source", "target", "type", "bandwidth", "latency", "connection_role", "is_manual"});
    // A switch's links: the switch itself comes from switch_config.
    if (c.str("type") == "switch") continue;
    if (c.str("type") == "custom")
      c.fail_at("type", "'custom' (a link with its own bandwidth) is not imported; moesim imports levels whose "
                        "links are alike (c2c, b2b, r2r, p2p)");
    const Connection connection = c.enum_value("type", kConnectionNames, "a connection type");
    const std::string type = enum_name(kConnectionNames, connection);
    int level = 0;
    while (levels[level].connection != connection) ++level;
    auto a = parse_path(c.str("source")), b = parse_path(c.str("target"));
    const std::size_t depth = 4 - static_cast<std::size_t>(level);  // path components of the members
    static const char* kExample[] = {"pod_0/rack_0/board_0/chip_1", "pod_0/rack_0/board_1", "pod_0/rack_1", "pod_1"};
    for (auto [key, p] : {std::pair{"source", &a}, std::pair{"target", &b}}) {
      if (!*p || (*p)->size() != depth)
        c.fail_at(key, "'" + c.str(key) + "' is not a " + levels[level].path_part + " path (like '" +
                           kExample[level] + "') for a " + type + " connection");
      const std::uint64_t limits[] = {levels[3].count, levels[2].count, levels[1].count, levels[0].count};
      for (std::size_t d = 0; d < depth; ++d)
        if ((**p)[d] >= limits[d]) c.fail_at(key, "'" + c.str(key) + "' is outside the hierarchy");
    }
    std::vector<std::uint64_t> ga(a->begin(), a->end() - 1), gb(b->begin(), b->end() - 1);
    if (ga != gb) c.fail_at("target", "joins two different groups; a " + type + " link joins members of one group");
    if (a->back() == b->back()) c.fail_at("target", "joins '" + c.str("source") + "' to itself");
    std::string group;
    for (auto v : ga) group += std::to_string(v) + "/";
    pairs[type][group].insert({std::min(a->back(), b->back()), std::max(a->back(), b->back())});
  }
  return pairs;
}

// Level l's fabric: a switch if switch_config enables one at this level;
// else the connections, which must be a full mesh of every group (or absent:
// a full mesh, Tier6's default direct topology).
void read_fabric(const YamlMap& root, const std::optional<YamlMap>& switches, const Pairs& pairs,
                 const Levels& levels, int l, TierLevel& t) {
  const Level& lv = levels[l];
  bool switched = false;
  if (switches) {
    if (auto sw = switches->map_if(lv.switch_key)) switched = sw->boolean_or("enabled", false);
  }
  const auto found = pairs.find(lv.link_class());
  const std::map<std::string, std::set<std::pair<std::uint64_t, std::uint64_t>>> none;
  const auto& groups = found == pairs.end() ? none : found->second;
  if (switched) {
    t.fabric = TierLevel::Fabric::kSwitch;
    // The port count of the first switch type Tier6 lists.
    YAML::Node types = switches->node("switch_types");
    if (types.IsSequence() && types.size() > 0 && types[0].IsMap()) {
      YamlMap type(root.doc(), types[0], switches->key_path("switch_types[0]"));
      t.switch_ports = type.positive_or("port_count", t.switch_ports);
      check_switch_ports(t, [&](const std::string& what) { type.fail_at("port_count", what); });
    }
  } else if (!groups.empty() && t.count > 1) {
    std::size_t group_count = 1;
    for (int up = l + 1; up < 4; ++up) group_count *= levels[up].count;
    const std::size_t want = t.count * (t.count - 1) / 2;
    if (groups.size() != group_count)
      root.fail_at("connections", "has " + lv.link_class() + " links in " + std::to_string(groups.size()) +
                                      " of the " + std::to_string(group_count) + " " + lv.name +
                                      "s; moesim imports levels that are alike");
    for (const auto& [group, members] : groups)
      if (members.size() != want)
        root.fail_at("connections", "the " + lv.link_class() + " links of " + lv.name + " " + group + " join " +
                                        std::to_string(members.size()) + " of its " + std::to_string(want) +
                                        " pairs; moesim imports full meshes (or a switch, from switch_config)");
  }
}

// The keys of Tier6's interconnect, its links and its switch_config. Of the
// switches moesim reads whether a level has one and the first type's ports;
// layers, redundancy and rack placement are not modelled.
void check_tier6_keys(const YamlMap& interconnect, const std::optional<YamlMap>& links,
                      const std::optional<YamlMap>& switches) {
  interconnect.allow_only({"links", "comm_params"});
  if (links) {
    links->allow_only({"c2c", "b2b", "r2r", "p2p"});
    for (const char* type : {"c2c", "b2b", "r2r", "p2p"})
      if (auto link = links->map_if(type)) link->allow_only({"bandwidth_gbps", "latency_us"});
  }
  if (!switches) return;
  switches->allow_only({"switch_types", "inter_pod", "inter_rack", "inter_board", "inter_chip"});
  for (const char* level : {"inter_pod", "inter_rack", "inter_board", "inter_chip"})
    if (auto sw = switches->map_if(level))
      sw->allow_only({"enabled", "layers", "downlink_redundancy", "connect_to_upper_level", "direct_topology",
                      "keep_direct_topology", "connection_mode", "custom_connections", "switch_position",
                      "switch_u_height"});
  YAML::Node types = switches->node("switch_types");
  for (std::size_t i = 0; types.IsSequence() && i < types.size(); ++i)
    if (types[i].IsMap())
      YamlMap(switches->doc(), types[i], switches->key_path("switch_types[" + std::to_string(i) + "]"))
          .allow_only({"id", "name", "port_count"});
}

// A level's link parameters: interconnect.links.<type> (Tier6 writes GB/s as bandwidth_gbps).
void read_link(const YamlMap& interconnect, const std::optional<YamlMap>& links, const Level& lv, TierLevel& t) {
  if (!links || !links->has(lv.link_class()))
    interconnect.fail_at("links", "missing " + lv.link_class() + " (the " + lv.name +
                                      "'s links: bandwidth_gbps and latency_us)");
  YamlMap link = links->map(lv.link_class());
  const double gbps = link.number("bandwidth_gbps");
  if (!(gbps > 0)) link.fail_at("bandwidth_gbps", "must be positive, got " + quote(link.node("bandwidth_gbps")));
  t.bandwidth_Bps = gbps * 1e9;
  t.latency_s = link.non_negative_or("latency_us", 0) * 1e-6;
}

}  // namespace

bool is_tier6_topology(const YAML::Node& root) {
  return root.IsMap() && root["pods"].IsDefined() && !root["topology"].IsDefined();
}

void read_tier6_topology(const YamlDoc& doc, PlatformSpec& spec) {
  YamlMap root(doc, doc.root(), "");
  // Every key Tier6 writes at the top. Not modelled: the chips' compute,
  // memory and DMA (`chips`), and the editor's manual_connections and
  // generated_topology (the connections already hold what they add).
  root.allow_only({"name", "description", "pods", "chips", "interconnect", "switch_config", "connections",
                   "manual_connections", "generated_topology", "comm_params"});
  Levels levels = {{{Connection::kC2c, "board", "chip", "inter_chip"},
                    {Connection::kB2b, "rack", "board", "inter_board"},
                    {Connection::kR2r, "pod", "rack", "inter_rack"},
                    {Connection::kP2p, "cluster", "pod", "inter_pod"}}};
  read_hierarchy(root, levels);
  YamlMap interconnect = root.map("interconnect");
  std::optional<YamlMap> links = interconnect.map_if("links");
  std::optional<YamlMap> switches = root.map_if("switch_config");
  check_tier6_keys(interconnect, links, switches);
  const Pairs pairs = read_connections(root, levels);

  // The highest level with more than one member ends the hierarchy.
  int top = 0;
  for (int l = 0; l < 4; ++l)
    if (levels[l].count > 1) top = l;
  spec.kind = PlatformSpec::Kind::kTiers;
  spec.tiers.levels.clear();
  for (int l = 0; l <= top; ++l) {
    const Level& lv = levels[l];
    TierLevel t;
    t.name = lv.name;
    t.link_class = lv.link_class();
    t.count = lv.count;
    t.uplink = TierLevel::Uplink::kDirect;
    read_fabric(root, switches, pairs, levels, l, t);
    if (t.count > 1) read_link(interconnect, links, lv, t);
    spec.tiers.levels.push_back(t);
  }

  // comm_params: under interconnect (as Tier6 writes them) or at the top.
  std::optional<YamlMap> comm = interconnect.map_if("comm_params");
  if (!comm) comm = root.map_if("comm_params");
  if (comm) read_comm_params(*comm, spec.comm);
  // Tier6's start latency takes its c2c term from links.c2c.latency_us, even
  // where a board has one chip and so no c2c link; comm_params may override it.
  if (!spec.comm.c2c_latency_us && links && links->has("c2c"))
    spec.comm.c2c_latency_us = links->map("c2c").non_negative_or("latency_us", 0);
}

}  // namespace moesim
