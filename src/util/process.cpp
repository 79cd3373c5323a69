#include "util/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "moesim/error.hpp"

extern char** environ;

namespace moesim {

std::string run_program(const std::vector<std::string>& args, const std::string& input, const std::string& flag,
                        const std::string& install_hint) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  char err_path[] = "/tmp/moesim-helper.XXXXXX", out_path[] = "/tmp/moesim-helper.XXXXXX";
  const int err_fd = mkstemp(err_path);
  if (err_fd < 0) fail(flag, "", std::string("cannot make a temporary file: ") + std::strerror(errno));
  const int out_fd = mkstemp(out_path);
  if (out_fd < 0) {
    close(err_fd);
    unlink(err_path);
    fail(flag, "", std::string("cannot make a temporary file: ") + std::strerror(errno));
  }
  auto cleanup = [&] {
    unlink(err_path);
    unlink(out_path);
  };
  int in[2];
  if (pipe(in) != 0) {
    close(err_fd);
    close(out_fd);
    cleanup();
    fail(flag, "", std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_addclose(&actions, in[1]);
  posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  close(err_fd);
  close(out_fd);
  if (rc != 0) {
    close(in[1]);
    cleanup();
    fail(flag, "", "cannot run " + args[0] + " (" + std::strerror(rc) + "); " + install_hint);
  }
  // A helper that exits early must not kill us with SIGPIPE.
  struct sigaction ignore {}, old {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &old);
  std::size_t written = 0;
  while (written < input.size()) {
    const ssize_t n = write(in[1], input.data() + written, input.size() - written);
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  close(in[1]);
  int status = 0;
  waitpid(pid, &status, 0);
  sigaction(SIGPIPE, &old, nullptr);
  std::ifstream err_in(err_path);
  std::string line, last;
  while (std::getline(err_in, line))
    if (line.find_first_not_of(" \t\r^") != std::string::npos) last = line;
  std::ifstream out_in(out_path);
  std::ostringstream out;
  out << out_in.rdbuf();
  cleanup();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || written < input.size())
    fail(flag, "", args[0] + " failed" + (last.empty() ? std::string() : ": " + last));
  return out.str();
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
