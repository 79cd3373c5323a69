#include "util/progress.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <utility>

namespace moesim {

std::string duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const long t = std::lround(s);
  char buf[32];
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%ld:%02ld", t / 60, t % 60);
  return buf;
}

double seconds_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

ProgressLine::ProgressLine(std::string what, std::size_t total, double delay_s, bool force)
    : what_(std::move(what)), total_(total), delay_s_(delay_s), start_(seconds_now()),
      on_(force || isatty(STDERR_FILENO) == 1) {}

ProgressLine::~ProgressLine() { finish(); }

void ProgressLine::update(std::size_t done) {
  if (!on_) return;
  const double elapsed = seconds_now() - start_;
  if (elapsed < delay_s_ || (elapsed - last_ < 0.1 && done < total_)) return;
  last_ = elapsed;
  const double left = done ? elapsed / static_cast<double>(done) * static_cast<double>(total_ - done) : NAN;
  char line[256];
  std::snprintf(line, sizeof line, "\r%s %zu of %zu, %s elapsed, %s left  ", what_.c_str(), done, total_,
                duration(elapsed).c_str(), duration(left).c_str());
  std::cerr << line << std::flush;
  drawn_ = true;
}

void ProgressLine::finish() {
  if (drawn_) std::cerr << "\r\033[K" << std::flush;  // the line erased: the results follow
  drawn_ = false;
}

}  // namespace moesim
