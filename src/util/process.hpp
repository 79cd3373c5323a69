// Running other programs: helpers (Graphviz, gnuplot) with text on their
// standard input, and the moesim binary itself.
#pragma once

#include <string>
#include <vector>

namespace moesim {

// Runs argv (argv[0] looked up in PATH) with `input` on its standard input
// and waits for it. Throws InputError naming `flag` if it cannot start (with
// `install_hint`, e.g. "install it with apt-get install gnuplot-nox") or
// does not exit 0 (with the last line it wrote to stderr).
void pipe_to_program(const std::vector<std::string>& argv, const std::string& input, const std::string& flag,
                     const std::string& install_hint);

// The same, returning what the program wrote to its standard output.
std::string run_program(const std::vector<std::string>& argv, const std::string& input, const std::string& flag,
                        const std::string& install_hint);

// The path of the running executable (/proc/self/exe), to start children
// of the same binary. Throws InputError if it cannot be read.
std::string self_executable();

}  // namespace moesim
