// Running other programs: helpers (Graphviz, gnuplot, sbatch) with text on
// their standard input, and children of the moesim binary itself.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

namespace moesim {

// Where a child's standard streams go: files, opened by the child (stdout
// and stderr created or truncated).
struct ChildFiles {
  std::string in = "/dev/null";
  std::string out = "/dev/null";
  std::string err = "/dev/null";
};

// Starts argv (argv[0] a path, or a name looked up in PATH) without
// waiting. The child gets the default handling of SIGINT and SIGTERM,
// whatever handlers the parent installed, so a stop reaches it. Throws
// InputError naming `where` if it cannot start ("cannot run X (why)", then
// `hint` when not empty, e.g. "install it with apt-get install gnuplot-nox").
pid_t spawn_child(const std::vector<std::string>& argv, const ChildFiles& files, const std::string& where,
                  const std::string& hint = "");

// Waits for a child (through EINTR); its wait status.
int wait_child(pid_t pid);

// The last line of `text` that has more than blanks and carets (compilers'
// and gnuplot's markers under an error), "" if none.
std::string last_line(const std::string& text);

// Runs argv (argv[0] looked up in PATH) with `input` on its standard input
// and waits for it. Throws InputError naming `flag` if it cannot start (with
// `install_hint`) or does not exit 0 (with the last line it wrote to stderr).
void pipe_to_program(const std::vector<std::string>& argv, const std::string& input, const std::string& flag,
                     const std::string& install_hint);

// The same, returning what the program wrote to its standard output.
std::string run_program(const std::vector<std::string>& argv, const std::string& input, const std::string& flag,
                        const std::string& install_hint);

// The path of the running executable (/proc/self/exe), to start children
// of the same binary. Throws InputError if it cannot be read.
std::string self_executable();

// When `need_bytes` is more than this machine's physical memory: "about N
// GB, more than this machine's M GB of memory"; empty when it fits (or the
// memory cannot be read).
std::string beyond_memory(double need_bytes);

// This machine's physical memory in bytes (0 if unknown).
double machine_memory_bytes();

// Runs work(i) for every i in [0, units) in forked children of this process,
// at most `jobs` at once (at least one), and hands what each returned to
// done(i, bytes) in the parent, as the children finish. A child starts
// from this process's state at the fork, so units never see each other's.
// A child's InputError is rethrown in the parent as an InputError, any other
// exception or a child's death as a std::runtime_error naming the unit
// (`unit_name`, e.g. "layer"), once the running children are reaped.
void run_forked(std::size_t units, std::size_t jobs, const std::function<std::string(std::size_t)>& work,
                const std::function<void(std::size_t, std::string&&)>& done, const std::string& unit_name);

}  // namespace moesim
