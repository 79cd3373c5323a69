// Formatting of user-facing error messages.
#include "moesim/error.hpp"

namespace moesim {

std::string format_error(const std::string& where, const std::string& key, const std::string& what) {
  std::string out;
  if (!where.empty()) out += where + ": ";
  if (!key.empty()) out += key + ": ";
  return out + what;
}

void fail(const std::string& where, const std::string& key, const std::string& what) {
  throw InputError(format_error(where, key, what));
}

}  // namespace moesim
