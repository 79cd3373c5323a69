// The command table of the moesim binary: each subcommand is a name, a line
// of help and a setup that adds its options to its CLI11 subcommand and
// returns its body, run once the command line is parsed. One file a command
// (cmd_<name>.cpp); main() only parses, dispatches and maps errors to exit codes.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace moesim::cli {

// A command's body: its exit code. User errors throw InputError.
using Body = std::function<int()>;

struct Command {
  const char* name;
  const char* help;
  Body (*setup)(CLI::App& command);
};

Body setup_run(CLI::App& command);
Body setup_bytes(CLI::App& command);
Body setup_platform(CLI::App& command);
Body setup_topo(CLI::App& command);
Body setup_compare(CLI::App& command);
Body setup_sweep(CLI::App& command);
Body setup_results(CLI::App& command);
Body setup_merge(CLI::App& command);
Body setup_plot(CLI::App& command);
Body setup_calibrate(CLI::App& command);
Body setup_check(CLI::App& command);
Body setup_traffic(CLI::App& command);

// In the order `moesim --help` lists them.
inline const Command kCommands[] = {
    {"run", "Run a scenario file and print per-layer latency", setup_run},
    {"bytes", "Print the byte-count model of one MoE layer", setup_bytes},
    {"platform", "Describe a platform, or write it as SimGrid XML, DOT, GraphML or a picture", setup_platform},
    {"topo", "Analyse a platform without simulating (and a scenario's link load)", setup_topo},
    {"compare", "One scenario on several platforms or variants, side by side", setup_compare},
    {"sweep", "Run a campaign: every run of a sweep file, in parallel, into a results database", setup_sweep},
    {"results", "Print or export a results database", setup_results},
    {"merge", "Merge results databases (e.g. Slurm shards) into one", setup_merge},
    {"plot", "Plot a results database with gnuplot (PNG, SVG)", setup_plot},
    {"calibrate", "Fit a platform's calibration knobs to measured latencies", setup_calibrate},
    {"check", "A scenario against measured latencies, nothing fitted: the error of each point", setup_check},
    {"traffic", "Write a scenario's traffic (bytes chip to chip, per layer, phase and stage) for the replay harness",
     setup_traffic},
};

}  // namespace moesim::cli
