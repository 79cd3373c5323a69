// Sweep files: a base scenario and the axes a campaign sweeps it along.
//
//   name: deepseek-v3-decode
//   base: ../scenarios/deepseek-v3-decode-v5e-16x16.yaml   # relative to this file
//   set: {model.moe_layers: 4}          # every run
//   grid:                               # every combination
//     deployment.ep: [32, 64, 128, 256]
//     deployment.tokens_per_chip: {from: 16, to: 256, factor: 2}
//     platform: [../platforms/tpu-v5e-16x16.yaml, ../platforms/tpu-v5p-8x8x8.yaml]
//   zip:                                # lists of one length, walked together
//     seed: [1, 2, 3]
//     traffic.routing: [random, zipf, uniform]
//   unfit: skip                         # or fail: runs whose EP group is larger than the platform
//
// Runs are the grid's combinations crossed with the zip's rows, in file
// order (the last grid axis varies fastest). Each is named by its
// parameters, "ep=32,tokens_per_chip=16,platform=tpu-v5e-16x16".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace moesim {

struct SweepParam {
  std::string key;    // dotted scenario key, e.g. "deployment.ep"
  std::string value;  // as YAML (flow style), what --set receives
  std::string label;  // for the run's name: the value, a platform's file stem
};

struct SweepRun {
  std::size_t index = 0;  // position in the campaign, from 0
  std::string name;
  std::vector<SweepParam> params;  // one per axis, in axis order
  // Everything load_scenario applies: the sweep's `set`, then the params.
  std::vector<std::string> overrides() const;
  std::vector<std::string> set;
};

// A key the sweep edits, where it is written and a value it takes: what
// load_sweep checks against the base scenario before any run.
struct SweepKey {
  std::string key, value, where;  // where: "file:line"
  std::string section;             // set, grid or zip
};

struct Sweep {
  std::string path;  // the sweep file
  std::string name;
  std::string base;  // the base scenario, resolved against the sweep's folder
  std::string where_base;  // "file:line" of the base key, for errors
  std::vector<std::string> axes;  // parameter keys, in order
  bool skip_unfit = false;
  std::vector<SweepRun> runs;
  std::vector<SweepKey> keys;  // of set, grid and zip, in file order
};

// Parses and expands a sweep file, and checks that every key of its set,
// grid and zip is a key of the base scenario (by loading the base with the
// key's first value): a misspelt key fails here, naming the sweep file's
// line, not in every run. Throws InputError naming the file, the line, the
// key and the bad value.
Sweep load_sweep(const std::string& path);

// "i/N" (0 <= i < N): the runs with index % N == i. Throws InputError.
struct Shard {
  std::size_t index = 0, count = 1;
};
Shard parse_shard(const std::string& text);
std::vector<SweepRun> shard_runs(const Sweep& sweep, const Shard& shard);

}  // namespace moesim
