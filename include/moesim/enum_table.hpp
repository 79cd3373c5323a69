// One table per enum: its names, parsing, and the "allowed:" list of errors.
//
//   inline constexpr EnumTable<Engine, 3> kEngineNames{{
//       {Engine::kSimgrid, "simgrid"}, {Engine::kAnalytic, "analytic"}, {Engine::kBound, "bound"}}};
//   enum_parse(kEngineNames, "bound")  -> Engine::kBound
//   not_one_of(kEngineNames, "x", "an engine") -> "'x' is not an engine (allowed: simgrid, analytic, bound)"
#pragma once

#include <array>
#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace moesim {

template <typename E, std::size_t N>
using EnumTable = std::array<std::pair<E, const char*>, N>;

template <typename E, std::size_t N>
std::optional<E> enum_parse(const EnumTable<E, N>& table, std::string_view name) {
  for (const auto& [value, text] : table)
    if (name == text) return value;
  return std::nullopt;
}

template <typename E, std::size_t N>
std::string enum_name(const EnumTable<E, N>& table, E value) {
  for (const auto& [v, text] : table)
    if (v == value) return text;
  assert(false && "an enum value missing from its table");
  return "?";
}

// "a, b, c": the names in table order.
template <typename E, std::size_t N>
std::string enum_allowed(const EnumTable<E, N>& table) {
  std::string out;
  for (const auto& entry : table) out += (out.empty() ? "" : ", ") + std::string(entry.second);
  return out;
}

// "'text' is not <what> (allowed: a, b, c)".
template <typename E, std::size_t N>
std::string not_one_of(const EnumTable<E, N>& table, std::string_view text, std::string_view what) {
  return "'" + std::string(text) + "' is not " + std::string(what) + " (allowed: " + enum_allowed(table) + ")";
}

}  // namespace moesim
