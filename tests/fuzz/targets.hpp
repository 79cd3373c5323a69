// The fuzz targets, shared by the libFuzzer executables (fuzz_entry.cpp, one
// per target) and the replay program that runs saved inputs in every build
// (replay_main.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace moesim::fuzz {

// scenario, set, platform, tier6, dot, graphml, trace, measurements, sweep.
const std::vector<std::string>& target_names();

// Silences the logs and makes the work folder; call once before run_one.
void initialize();

// Feeds one input to a target: true if it loaded (and ran, when small),
// false if it was refused with an InputError. Anything else (another
// exception, a crash) is a finding.
bool run_one(const std::string& target, const std::uint8_t* data, std::size_t size);

}  // namespace moesim::fuzz
