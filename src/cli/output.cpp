// Option validators and output files shared by the commands.
#include "cli/output.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "moesim/error.hpp"
#include "util/units.hpp"

namespace moesim::cli {

const CLI::Validator kPositive(
    [](std::string& text) -> std::string {
      auto v = parse_uint(text);
      if (v && *v > 0) return "";
      return "'" + text + "' is not a positive integer";
    },
    "POSITIVE");

const char* const kPlatformFiles =
    "Platform: moesim YAML, Tier6 topology YAML, SimGrid XML, DOT (.dot, .gv) or GraphML file, or a torus, mesh or "
    "ring written KIND:XxYxZ:BANDWIDTH[:LATENCY] (e.g. torus:8x8x16:90GBps:1us)";

void write_output(const std::string& path, const std::string& text, const std::string& flag) {
  if (path == "-") {
    std::cout << text << std::flush;
    return;
  }
  // Whole or not at all: written beside it, then renamed over it (a device
  // such as /dev/null is written in place).
  struct stat st {};
  const bool in_place = stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode);
  const std::string temp = in_place ? path : path + ".part-" + std::to_string(getpid());
  {
    std::ofstream out(temp);
    if (!out) fail(flag, "", "cannot write '" + path + "'");
    out << text;
    out.close();
    if (!out) {
      if (!in_place) std::remove(temp.c_str());
      fail(flag, "", "error writing '" + path + "' (is the disk full?)");
    }
  }
  if (!in_place && std::rename(temp.c_str(), path.c_str()) != 0) {
    std::remove(temp.c_str());
    fail(flag, "", "cannot write '" + path + "'");
  }
}

bool claims_stdout(const std::vector<std::pair<std::string, std::string>>& outputs) {
  std::string first;
  for (const auto& [flag, path] : outputs) {
    if (path != "-") continue;
    if (!first.empty()) fail(flag, "", "only one export can go to stdout ('-'); " + first + " already does");
    first = flag;
  }
  return !first.empty();
}

}  // namespace moesim::cli
