// Fuzz targets: every parser a user's file or option reaches, through the
// same entry point the command line uses (tests/fuzz/targets.hpp).
//
// The contract checked is the command line's: an input either loads or is
// refused with an InputError (one line, exit 2). Any other exception, a
// crash, a hang, a leak or a sanitizer report is a finding. An input that
// loads and is small is also run through the core engines, so the byte
// model, routing and traffic see it too.
//
// Inputs are written to files in a work folder laid out like the
// repository: platforms/, traces/, examples/ and tests/ are links to the
// source tree's, scenarios/ holds links to the shipped scenarios (a scenario
// input is written beside them) and input/ the inputs of the other kinds,
// one level down as the shipped files are, so "../platforms/x.yaml" in a
// seed resolves as it does in the repository.
#include <spdlog/spdlog.h>

#if defined(MOESIM_ASSERTS_REQUIRED) && defined(NDEBUG)
#error "the fuzz and sanitized builds check assertions: NDEBUG must not be defined"
#endif

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "campaign/measurements.hpp"
#include "campaign/sweep.hpp"
#include "moesim/bytes.hpp"
#include "moesim/engine.hpp"
#include "moesim/error.hpp"
#include "moesim/platform.hpp"
#include "moesim/routing.hpp"
#include "moesim/run.hpp"
#include "moesim/scenario.hpp"
#include "util/files.hpp"
#include "targets.hpp"

#ifndef MOESIM_SOURCE_DIR
#error "define MOESIM_SOURCE_DIR: the repository, for the shipped files the seeds refer to"
#endif

namespace {

using namespace moesim;

// Sizes above which a loaded input is not run: a fuzzer wants many small
// inputs a second, and the limits moesim itself checks before a run are
// exercised by loading, not by running to them.
constexpr std::uint64_t kMaxRunChips = 64;
constexpr std::uint64_t kMaxRunLayers = 8;
constexpr std::uint64_t kMaxRunTokens = 4096;
constexpr std::uint64_t kMaxBuildChips = 128;

struct WorkDir {
  std::unique_ptr<TempDir> dir;
  WorkDir() {
    namespace fs = std::filesystem;
    dir = std::make_unique<TempDir>("moesim-fuzz");
    const fs::path source = MOESIM_SOURCE_DIR;
    for (const char* sub : {"platforms", "traces", "examples", "tests"})
      fs::create_directory_symlink(source / sub, dir->file(sub));
    // Scenarios are linked one by one: the inputs are written beside them.
    // Inputs of the other kinds go in folders of their own, one level down
    // as the shipped files are, so "../platforms/x.yaml" resolves.
    for (const char* sub : {"scenarios", "input"}) fs::create_directory(dir->file(sub));
    for (const fs::directory_entry& e : fs::directory_iterator(source / "scenarios"))
      fs::create_symlink(e.path(), fs::path(dir->file("scenarios")) / e.path().filename());
  }
};

const WorkDir& work() {
  static const WorkDir w;
  return w;
}

// Writes the input to `name` inside the work folder and returns its path.
std::string write_input(const std::uint8_t* data, std::size_t size, const std::string& name) {
  std::string path = work().dir->file(name);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

bool small_enough_to_run(const Scenario& s) {
  std::optional<std::uint64_t> chips = platform_chips(s.platform);
  if (!chips || *chips > kMaxRunChips) return false;
  std::uint64_t tokens = s.deployment.global_batch * s.deployment.seq_len;
  return s.model.moe_layers * s.samples <= kMaxRunLayers && tokens <= kMaxRunTokens &&
         s.deployment.global_batch <= kMaxRunTokens && s.deployment.seq_len <= kMaxRunTokens;
}

// The byte model and the run's estimate; then, when it is small, loads the
// scenario's platform and runs it on a core engine (the bound one for a
// simgrid scenario).
void run_if_small(const Scenario& s) {
  (void)layer_bytes(s.byte_model_input());
  check_run_memory(s, estimate_run(s));  // the limits, on every scenario that loads
  if (!small_enough_to_run(s)) return;
  Topology topology = load_topology(s.platform, nullptr);
  std::unique_ptr<LayerEngine> engine =
      s.engine == Engine::kSimgrid ? make_bound_engine() : make_core_engine(s, topology);
  (void)run_scenario(s, topology, *engine);
}

void build_if_small(const PlatformSpec& spec) {
  std::optional<std::uint64_t> chips = platform_chips(spec);
  if (chips && *chips <= kMaxBuildChips) (void)build_topology(spec);
}

void fuzz_scenario(const std::uint8_t* data, std::size_t size) {
  run_if_small(load_scenario(write_input(data, size, "scenarios/fuzz-input.yaml")));
}

// Each line of the input is one --set KEY=VALUE, applied to a shipped scenario.
void fuzz_set(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  std::vector<std::string> sets;
  for (std::string line; std::getline(in, line);) sets.push_back(line);
  run_if_small(load_scenario(work().dir->file("scenarios/trace-example-v4.yaml"), sets));
}

void fuzz_platform(const std::uint8_t* data, std::size_t size, const std::string& name) {
  build_if_small(load_platform_spec(write_input(data, size, name)));
}

// The trace of the shipped trace scenario, replaced by the input.
void fuzz_trace(const std::uint8_t* data, std::size_t size) {
  static const Scenario base = load_scenario(work().dir->file("scenarios/trace-example-v4.yaml"));
  std::string path = write_input(data, size, "input/trace.csv");
  (void)load_trace(path, base.model.moe_layers, base.deployment.global_batch * base.deployment.seq_len,
                   base.model.num_experts, base.model.topk);
}

void fuzz_measurements(const std::uint8_t* data, std::size_t size) {
  std::string path = write_input(data, size, "input/measurements.csv");
  (void)load_measurements(path, work().dir->file("examples/deepseek-v3-decode-h800.yaml"));
}

void fuzz_sweep(const std::uint8_t* data, std::size_t size) {
  (void)load_sweep(write_input(data, size, "input/sweep.yaml"));
}

}  // namespace

namespace moesim::fuzz {

const std::vector<std::string>& target_names() {
  static const std::vector<std::string> names{"scenario", "set",   "platform",     "tier6", "dot",
                                              "graphml",  "trace", "measurements", "sweep"};
  return names;
}

void initialize() {
  spdlog::set_level(spdlog::level::off);
  (void)work();
}

bool run_one(const std::string& target, const std::uint8_t* data, std::size_t size) {
  try {
    if (target == "scenario") fuzz_scenario(data, size);
    else if (target == "set") fuzz_set(data, size);
    else if (target == "platform" || target == "tier6") fuzz_platform(data, size, "input/platform.yaml");
    else if (target == "dot") fuzz_platform(data, size, "input/platform.dot");
    else if (target == "graphml") fuzz_platform(data, size, "input/platform.graphml");
    else if (target == "trace") fuzz_trace(data, size);
    else if (target == "measurements") fuzz_measurements(data, size);
    else if (target == "sweep") fuzz_sweep(data, size);
    else std::abort();
  } catch (const InputError&) {
    return false;  // refused in one line, as the command line does: not a finding
  }
  return true;
}

}  // namespace moesim::fuzz
