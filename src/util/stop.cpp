#include "util/stop.hpp"

#include <unistd.h>

#include <csignal>
#include <cstring>
#include <initializer_list>

namespace moesim {
namespace {

pid_t g_main_pid = 0;

extern "C" void moesim_exit_on_stop_signal(int sig) {
  if (getpid() == g_main_pid) {  // only async-signal-safe calls from here
    const char* name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP";
    const char head[] = "moesim: interrupted (";
    const char tail[] = "); no output written\n";
    ssize_t ignored = write(STDERR_FILENO, head, sizeof head - 1);
    ignored = write(STDERR_FILENO, name, std::strlen(name));
    ignored = write(STDERR_FILENO, tail, sizeof tail - 1);
    (void)ignored;
  }
  _exit(128 + sig);
}

}  // namespace

void exit_cleanly_on_stop_signals() {
  if (g_main_pid == 0) g_main_pid = getpid();
  struct sigaction sa {};
  sa.sa_handler = moesim_exit_on_stop_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
}

}  // namespace moesim
