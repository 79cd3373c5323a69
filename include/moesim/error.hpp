// User-facing input errors: one exception type whose message names the
// file, the line, the key and the bad value. Only main catches it.
#pragma once

#include <stdexcept>
#include <string>

namespace moesim {

class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& message) : std::runtime_error(message) {}
};

// "where: key: what" with the empty parts left out.
std::string format_error(const std::string& where, const std::string& key, const std::string& what);

[[noreturn]] void fail(const std::string& where, const std::string& key, const std::string& what);

}  // namespace moesim
