#include "util/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

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

double machine_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return 0;
  return static_cast<double>(pages) * static_cast<double>(page);
}

std::string beyond_memory(double need) {
  const double have = machine_memory_bytes();
  if (have <= 0 || need <= have) return "";
  std::ostringstream why;
  why.precision(3);
  why << "about " << need / 1e9 << " GB, more than this machine's " << have / 1e9 << " GB of memory";
  return why.str();
}

namespace {

// A forked child running one unit, and what it has written so far.
struct Worker {
  pid_t pid = -1;
  int fd = -1;
  std::size_t unit = 0;
  std::string out;
};

void write_all(int fd, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(3);
    done += static_cast<std::size_t>(n);
  }
}

// In the child: the unit's bytes after a tag ('o' done, 'i' an InputError,
// 'x' another error), written whole to fd; never returns.
[[noreturn]] void child_main(int fd, std::size_t unit, const std::function<std::string(std::size_t)>& work) {
  char tag = 'o';
  std::string bytes;
  try {
    bytes = work(unit);
  } catch (const InputError& e) {
    tag = 'i';
    bytes = e.what();
  } catch (const std::exception& e) {
    tag = 'x';
    bytes = e.what();
  }
  bytes.insert(bytes.begin(), tag);
  write_all(fd, bytes);
  close(fd);
  _exit(0);
}

Worker start_worker(std::size_t unit, const std::function<std::string(std::size_t)>& work,
                    const std::string& unit_name) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("cannot make a pipe for a " + unit_name + " worker: " + std::strerror(errno));
  std::fflush(nullptr);  // nothing buffered is written twice
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    throw std::runtime_error("cannot start a " + unit_name + " worker: " + std::strerror(errno));
  }
  if (pid == 0) {
    // A worker ends with its parent (interrupted, killed): no orphan goes on computing.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    close(fds[0]);
    child_main(fds[1], unit, work);
  }
  close(fds[1]);
  return Worker{pid, fds[0], unit, {}};
}

// Reads what a worker has written; true at its end (the pipe closed).
bool read_some(Worker& w) {
  char buffer[1 << 16];
  const ssize_t n = read(w.fd, buffer, sizeof buffer);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return false;
  if (n <= 0) return true;
  w.out.append(buffer, static_cast<std::size_t>(n));
  return false;
}

}  // namespace

void run_forked(std::size_t units, std::size_t jobs, const std::function<std::string(std::size_t)>& work,
                const std::function<void(std::size_t, std::string&&)>& done, const std::string& unit_name) {
  jobs = std::max<std::size_t>(jobs, 1);
  std::vector<Worker> running;
  std::optional<std::string> error;  // the first failure
  bool input_error = false;
  std::size_t next = 0;
  auto fail_with = [&](bool input, std::string what) {
    if (error) return;
    error = std::move(what);
    input_error = input;
  };
  while ((!error && next < units) || !running.empty()) {
    while (!error && running.size() < jobs && next < units) running.push_back(start_worker(next++, work, unit_name));
    std::vector<pollfd> fds;
    for (const Worker& w : running) fds.push_back({w.fd, POLLIN, 0});
    if (poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR)
      fail_with(false, std::string("waiting for the ") + unit_name + " workers: " + std::strerror(errno));
    for (std::size_t i = running.size(); i-- > 0;) {
      if (fds[i].revents == 0 && !error) continue;
      Worker& w = running[i];
      if (!read_some(w)) continue;
      close(w.fd);
      const int status = wait_child(w.pid);
      const std::string name = unit_name + " " + std::to_string(w.unit);
      if (w.out.empty() || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fail_with(false, "the worker of " + name + " died" +
                             (WIFSIGNALED(status) ? " (signal " + std::to_string(WTERMSIG(status)) + ")" : ""));
      } else if (w.out[0] != 'o') {
        fail_with(w.out[0] == 'i', w.out.substr(1) + " (" + name + ")");
      } else if (!error) {
        try {
          done(w.unit, w.out.substr(1));
        } catch (const std::exception& e) {
          fail_with(false, e.what());
        }
      }
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }
  if (error && input_error) throw InputError(*error);
  if (error) throw std::runtime_error(*error);
}

}  // namespace moesim
