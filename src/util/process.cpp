#include "util/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "moesim/error.hpp"
#include "util/files.hpp"

extern char** environ;

namespace moesim {

pid_t spawn_child(const std::vector<std::string>& args, const ChildFiles& files, const std::string& where,
                  const std::string& hint) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, files.in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, files.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, files.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0)
    fail(where, "", "cannot run " + args[0] + " (" + std::strerror(rc) + ")" + (hint.empty() ? "" : "; " + hint));
  return pid;
}

int wait_child(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return status;
}

std::string last_line(const std::string& text) {
  std::string last;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    if (line.find_first_not_of(" \t\r^") != std::string::npos) last = line;
    start = end + 1;
  }
  while (!last.empty() && last.back() == '\r') last.pop_back();
  return last;
}

std::string run_program(const std::vector<std::string>& args, const std::string& input, const std::string& flag,
                        const std::string& install_hint) {
  // The input from a file, not a pipe: a helper that stops reading early
  // cannot block us or kill us with SIGPIPE.
  const TempDir work("moesim-helper");
  {
    std::ofstream in(work.file("in"), std::ios::binary);
    in << input;
    if (!in) fail(flag, "", "cannot write '" + work.file("in") + "'");
  }
  const pid_t pid = spawn_child(args, {work.file("in"), work.file("out"), work.file("err")}, flag, install_hint);
  const int status = wait_child(pid);
  const std::string last = last_line(read_file(work.file("err")));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fail(flag, "", args[0] + " failed" + (last.empty() ? std::string() : ": " + last));
  return read_file(work.file("out"));
}

void pipe_to_program(const std::vector<std::string>& args, const std::string& input, const std::string& flag,
                     const std::string& install_hint) {
  run_program(args, input, flag, install_hint);
}

std::string self_executable() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) fail("/proc/self/exe", "", "cannot find the moesim binary to start runs with");
  return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace moesim
