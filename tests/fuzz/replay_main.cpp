// Runs saved inputs through a fuzz target without libFuzzer, in any build
// (and under the sanitizers in the sanitized one): the seeds and every
// finding kept as a regression case stay tested.
//
//   moesim_fuzz_replay TARGET PATH...   (a PATH that is a folder: its files;
//                                        MOESIM_FUZZ_VERBOSE=1: each file, loaded or refused)
#include <algorithm>
#include <cstdlib>
#include <cstdint>
#include <filesystem>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "targets.hpp"
#include "util/files.hpp"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  const std::vector<std::string>& names = moesim::fuzz::target_names();
  if (argc < 3 || std::find(names.begin(), names.end(), argv[1]) == names.end()) {
    std::cerr << "usage: moesim_fuzz_replay TARGET PATH... (TARGET one of:";
    for (const std::string& n : names) std::cerr << " " << n;
    std::cerr << ")\n";
    return 2;
  }
  std::vector<std::string> files;
  for (int i = 2; i < argc; ++i) {
    if (fs::is_directory(argv[i])) {
      for (const fs::directory_entry& e : fs::directory_iterator(argv[i]))
        if (e.is_regular_file()) files.push_back(e.path().string());
    } else {
      files.push_back(argv[i]);
    }
  }
  std::sort(files.begin(), files.end());
  const char* env = std::getenv("MOESIM_FUZZ_VERBOSE");
  const bool verbose = env != nullptr && *env != '\0';
  moesim::fuzz::initialize();
  std::size_t loaded = 0;
  for (const std::string& f : files) {
    std::string data = moesim::read_file(f);
    try {
      bool ok = moesim::fuzz::run_one(argv[1], reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
      loaded += ok ? 1 : 0;
      if (verbose) std::cerr << f << ": " << (ok ? "loaded" : "refused") << "\n";
    } catch (const std::exception& e) {
      std::cerr << f << ": a finding: not refused with an input error but " << e.what() << "\n";
      return 1;
    }
  }
  std::cerr << argv[1] << ": " << files.size() << " inputs replayed, " << loaded << " loaded, "
            << files.size() - loaded << " refused with an input error, none a finding\n";
  return files.empty() ? 1 : 0;
}
