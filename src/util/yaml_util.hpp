// Checked reading of YAML documents: every error names the file, the line,
// the dotted key and the bad value. Shared by scenario and platform files.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "moesim/enum_table.hpp"

namespace moesim {

// A YAML document with its origin, so that errors can point into it.
class YamlDoc {
 public:
  // Loads a file; throws InputError for a missing file or broken YAML.
  static YamlDoc load_file(const std::string& path);
  static YamlDoc load_string(const std::string& text, const std::string& origin);

  const YAML::Node& root() const { return root_; }
  YAML::Node& root() { return root_; }
  const std::string& origin() const { return origin_; }

  // Applies "a.b.c=value" (value parsed as YAML) before validation; remembers
  // the key so that errors about it point at the command line.
  void set(const std::string& assignment);

  // Whether set() gave this key (or a key above or below it).
  bool overridden(const std::string& key) const;

  // "file:line" of a node, or "--set key" for a value that came from set().
  std::string where(const YAML::Node& node, const std::string& key) const;

 private:
  YAML::Node root_;
  std::string origin_;
  std::set<std::string> overridden_;
};

// A view of one mapping inside a document, with its dotted path.
class YamlMap {
 public:
  YamlMap(const YamlDoc& doc, YAML::Node node, std::string path);

  // Throws if a key is not one of `allowed` (catches typos).
  void allow_only(std::initializer_list<const char*> allowed) const;

  // The keys in file order, for a map whose keys are the user's (a sweep's
  // axes, a map of link classes). Throws if a key is not a name (empty, null
  // or a list) or is given twice.
  std::vector<std::string> keys() const;

  bool has(const std::string& key) const;
  std::string key_path(const std::string& key) const;
  std::string where(const std::string& key) const;
  [[noreturn]] void fail_at(const std::string& key, const std::string& what) const;

  std::string str(const std::string& key) const;
  std::string str_or(const std::string& key, const std::string& fallback) const;
  bool boolean_or(const std::string& key, bool fallback) const;
  // A positive integer (> 0).
  std::uint64_t positive(const std::string& key) const;
  std::uint64_t positive_or(const std::string& key, std::uint64_t fallback) const;
  double number(const std::string& key) const;
  double number_or(const std::string& key, double fallback) const;
  double non_negative_or(const std::string& key, double fallback) const;
  double bandwidth_Bps(const std::string& key) const;
  double time_s(const std::string& key) const;
  double time_s_or(const std::string& key, double fallback) const;
  std::vector<std::string> str_list(const std::string& key) const;
  std::vector<std::uint64_t> positive_list(const std::string& key) const;
  // One of the table's names; `what` names the kind in the error ("an engine").
  template <typename E, std::size_t N>
  E enum_value(const std::string& key, const EnumTable<E, N>& table, const std::string& what) const {
    const std::string text = str(key);
    if (auto value = enum_parse(table, text)) return *value;
    fail_at(key, not_one_of(table, text, what));
  }
  template <typename E, std::size_t N>
  E enum_or(const std::string& key, const EnumTable<E, N>& table, E fallback, const std::string& what) const {
    return has(key) ? enum_value(key, table, what) : fallback;
  }

  YamlMap map(const std::string& key) const;
  std::optional<YamlMap> map_if(const std::string& key) const;
  YAML::Node node(const std::string& key) const { return node_[key]; }
  const YAML::Node& self() const { return node_; }
  const YamlDoc& doc() const { return *doc_; }
  const std::string& path() const { return path_; }

 private:
  YAML::Node require(const std::string& key) const;
  std::string scalar(const std::string& key, const char* kind) const;

  const YamlDoc* doc_;
  YAML::Node node_;
  std::string path_;
};

// "'abc'" with the value as the user wrote it (a scalar or a short dump).
std::string quote(const YAML::Node& node);

}  // namespace moesim
