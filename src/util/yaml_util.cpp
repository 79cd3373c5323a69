// Checked YAML reading with file:line error messages.
#include "util/yaml_util.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "moesim/error.hpp"
#include "util/units.hpp"

namespace moesim {

std::string quote(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "(empty)";
  if (node.IsScalar()) return "'" + node.Scalar() + "'";
  YAML::Emitter out;
  out << YAML::Flow << node;
  std::string text = out.c_str();
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

YamlDoc YamlDoc::load_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail(path, "", "cannot open file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return load_string(buffer.str(), path);
}

YamlDoc YamlDoc::load_string(const std::string& text, const std::string& origin) {
  YamlDoc doc;
  doc.origin_ = origin;
  try {
    doc.root_ = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    fail(origin + ":" + std::to_string(e.mark.line + 1), "", "invalid YAML: " + e.msg);
  }
  if (!doc.root_.IsDefined() || doc.root_.IsNull()) doc.root_ = YAML::Node(YAML::NodeType::Map);
  if (!doc.root_.IsMap()) fail(origin, "", "expected a mapping of keys at the top level");
  return doc;
}

void YamlDoc::set(const std::string& assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    fail("--set", assignment, "expected key=value, e.g. deployment.ep=64");
  std::string key = assignment.substr(0, eq);
  std::string text = assignment.substr(eq + 1);
  YAML::Node value;
  try {
    value = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    fail("--set " + key, key, "value '" + text + "' is not valid YAML: " + e.msg);
  }
  std::vector<std::string> parts;
  std::stringstream ss(key);
  for (std::string part; std::getline(ss, part, '.');) {
    if (part.empty()) fail("--set", key, "empty component in dotted key");
    parts.push_back(part);
  }
  YAML::Node cur = root_;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (!cur[parts[i]] || !cur[parts[i]].IsMap()) cur[parts[i]] = YAML::Node(YAML::NodeType::Map);
    YAML::Node next = cur[parts[i]];
    cur.reset(next);
  }
  cur[parts.back()] = value;
  overridden_.insert(key);
}

bool YamlDoc::overridden(const std::string& key) const {
  for (const auto& o : overridden_)
    if (key == o || key.rfind(o + ".", 0) == 0 || o.rfind(key + ".", 0) == 0) return true;
  return false;
}

std::string YamlDoc::where(const YAML::Node& node, const std::string& key) const {
  for (const auto& o : overridden_)
    if (key == o || key.rfind(o + ".", 0) == 0 || key.rfind(o + "[", 0) == 0 || o.rfind(key + ".", 0) == 0)
      return "--set " + o;
  if (node.IsDefined() && node.Mark().line >= 0)
    return origin_ + ":" + std::to_string(node.Mark().line + 1);
  return origin_;
}

YamlMap::YamlMap(const YamlDoc& doc, YAML::Node node, std::string path)
    : doc_(&doc), node_(std::move(node)), path_(std::move(path)) {
  // yaml-cpp throws its own error for a key looked up in a list or a scalar.
  if (node_.IsDefined() && !node_.IsMap() && !node_.IsNull())
    fail(doc.where(node_, path_), path_, "expected a mapping of keys, got " + quote(node_));
}

std::string YamlMap::key_path(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

std::string YamlMap::where(const std::string& key) const {
  YAML::Node n = node_[key];
  return doc_->where(n.IsDefined() ? n : node_, key_path(key));
}

void YamlMap::fail_at(const std::string& key, const std::string& what) const {
  fail(where(key), key_path(key), what);
}

void YamlMap::allow_only(std::initializer_list<const char*> allowed) const {
  std::vector<std::string> seen;
  for (const auto& kv : node_) {
    std::string k = kv.first.Scalar();
    // YAML allows a key twice and yaml-cpp reads the first: refuse it, or the second is lost in silence.
    if (std::find(seen.begin(), seen.end(), k) != seen.end())
      fail(doc_->where(kv.first, key_path(k)), key_path(k), "is given twice");
    seen.push_back(k);
    bool ok = false;
    for (const char* a : allowed) ok = ok || k == a;
    if (!ok) {
      std::string list;
      for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
      fail(doc_->where(kv.first, key_path(k)), key_path(k), "unknown key (allowed here: " + list + ")");
    }
  }
}

std::vector<std::string> YamlMap::keys() const {
  std::vector<std::string> out;
  for (const auto& kv : node_) {
    const std::string k = kv.first.IsScalar() ? kv.first.Scalar() : "";
    if (k.empty())
      fail(doc_->where(kv.first, path_), path_, "a key must be a name, got " + quote(kv.first));
    for (const auto& seen : out)
      if (seen == k) fail(doc_->where(kv.first, key_path(k)), key_path(k), "is given twice");
    out.push_back(k);
  }
  return out;
}

bool YamlMap::has(const std::string& key) const {
  YAML::Node n = node_[key];
  return n.IsDefined() && !n.IsNull();
}

YAML::Node YamlMap::require(const std::string& key) const {
  if (!has(key)) fail(where(key), key_path(key), "missing key");
  return node_[key];
}

std::string YamlMap::scalar(const std::string& key, const char* kind) const {
  YAML::Node n = require(key);
  if (!n.IsScalar()) fail_at(key, std::string("expected ") + kind + ", got " + quote(n));
  return n.Scalar();
}

std::string YamlMap::str(const std::string& key) const { return scalar(key, "a string"); }

std::string YamlMap::str_or(const std::string& key, const std::string& fallback) const {
  return has(key) ? str(key) : fallback;
}

bool YamlMap::boolean_or(const std::string& key, bool fallback) const {
  if (!has(key)) return fallback;
  const std::string text = scalar(key, "true or false");
  if (text == "true") return true;
  if (text == "false") return false;
  fail_at(key, "'" + text + "' is not true or false");
}

std::uint64_t YamlMap::positive(const std::string& key) const {
  std::string text = scalar(key, "a positive integer");
  auto v = parse_uint(text);
  if (!v || *v == 0) fail_at(key, "'" + text + "' is not a positive integer");
  return *v;
}

std::uint64_t YamlMap::positive_or(const std::string& key, std::uint64_t fallback) const {
  return has(key) ? positive(key) : fallback;
}

double YamlMap::number(const std::string& key) const {
  std::string text = scalar(key, "a number");
  try {
    size_t used = 0;
    double v = std::stod(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  fail_at(key, "'" + text + "' is not a number");
}

double YamlMap::number_or(const std::string& key, double fallback) const {
  return has(key) ? number(key) : fallback;
}

double YamlMap::non_negative_or(const std::string& key, double fallback) const {
  double v = number_or(key, fallback);
  if (!(v >= 0)) fail_at(key, quote(node_[key]) + " must be zero or more");
  return v;
}

double YamlMap::bandwidth_Bps(const std::string& key) const {
  std::string text = scalar(key, "a bandwidth such as '45GBps'");
  auto v = parse_bandwidth_Bps(text);
  if (!v && !unit_hint(text, true).empty()) fail_at(key, unit_hint(text, true));
  if (!v) fail_at(key, "'" + text + "' is not a bandwidth (a number with one of " + kBandwidthUnits + ")");
  if (!(*v > 0)) fail_at(key, "'" + text + "' must be a positive bandwidth");
  return *v;
}

double YamlMap::time_s(const std::string& key) const {
  std::string text = scalar(key, "a time such as '1us'");
  auto v = parse_time_s(text);
  if (!v && !unit_hint(text, false).empty()) fail_at(key, unit_hint(text, false));
  if (!v) fail_at(key, "'" + text + "' is not a time (a number with one of " + kTimeUnits + ")");
  if (!(*v >= 0)) fail_at(key, "'" + text + "' must not be negative");
  return *v;
}

double YamlMap::time_s_or(const std::string& key, double fallback) const {
  return has(key) ? time_s(key) : fallback;
}

std::vector<std::string> YamlMap::str_list(const std::string& key) const {
  YAML::Node n = require(key);
  if (!n.IsSequence()) fail_at(key, "expected a list, got " + quote(n));
  std::vector<std::string> out;
  for (const auto& item : n) {
    if (!item.IsScalar()) fail_at(key, "expected a list of strings, got an item " + quote(item));
    out.push_back(item.Scalar());
  }
  return out;
}

std::vector<std::uint64_t> YamlMap::positive_list(const std::string& key) const {
  std::vector<std::uint64_t> out;
  for (const auto& text : str_list(key)) {
    auto v = parse_uint(text);
    if (!v || *v == 0) fail_at(key, "item '" + text + "' is not a positive integer");
    out.push_back(*v);
  }
  return out;
}

YamlMap YamlMap::map(const std::string& key) const {
  YAML::Node n = require(key);
  if (!n.IsMap()) fail_at(key, "expected a mapping, got " + quote(n));
  return YamlMap(*doc_, n, key_path(key));
}

std::optional<YamlMap> YamlMap::map_if(const std::string& key) const {
  if (!has(key)) return std::nullopt;
  return map(key);
}

}  // namespace moesim
