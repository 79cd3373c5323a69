// Runs Graphviz on a topology's DOT.
#include "moesim/picture.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "moesim/error.hpp"
#include "moesim/graph_io.hpp"

extern char** environ;

namespace moesim {

void render_picture(const Topology& t, const std::string& path) {
  const auto dot = path.find_last_of('.');
  const std::string format = dot == std::string::npos ? "" : path.substr(dot + 1);
  if (format != "svg" && format != "png" && format != "pdf")
    fail("--picture", "", "'" + path + "' does not end in .svg, .png or .pdf");
  const std::string text = picture_dot(t);
  const std::string layout = t.switches.empty() ? "-Kneato" : "-Kdot";
  const std::string type = "-T" + format, out = "-o" + path;
  std::vector<char*> argv = {const_cast<char*>("dot"), const_cast<char*>(layout.c_str()),
                             const_cast<char*>(type.c_str()), const_cast<char*>(out.c_str()), nullptr};
  int in[2];
  if (pipe(in) != 0) fail("--picture", "", std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_addclose(&actions, in[1]);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, "dot", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  if (rc != 0) {
    close(in[1]);
    fail("--picture", "", "cannot run Graphviz's dot (" + std::string(std::strerror(rc)) +
                              "); install it with apt-get install graphviz");
  }
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = write(in[1], text.data() + written, text.size() - written);
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  close(in[1]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (written < text.size() || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fail("--picture", "", "Graphviz's dot failed to write '" + path + "'");
}

}  // namespace moesim
