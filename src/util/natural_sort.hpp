// Natural order of names: "chip-2" before "chip-10".
#pragma once

#include <string>

namespace moesim {

bool natural_less(const std::string& a, const std::string& b);

}  // namespace moesim
