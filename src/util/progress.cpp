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

double seconds_left(Pace pace, std::size_t done, std::size_t total, double units_per_s) {
  if (!(units_per_s > 0)) return NAN;
  const double left = static_cast<double>(total > done ? total - done : 0) / units_per_s;
  // A unit's cost falls in step with the units left: the last one costs
  // next to nothing, the sum is half the units left at today's cost.
  return pace == Pace::kShrinking ? left / 2 : left;
}

ProgressLine::ProgressLine(std::string what, std::size_t total, double delay_s, bool force, double every_s, Pace pace)
    : what_(std::move(what)), total_(total), delay_s_(delay_s), start_(seconds_now()), every_s_(every_s), pace_(pace),
      tty_(force || isatty(STDERR_FILENO) == 1) {
  on_ = tty_ || every_s_ > 0;
}

ProgressLine::~ProgressLine() { finish(); }

void ProgressLine::update(std::size_t done, const std::string& note) {
  if (!on_) return;
  const double elapsed = seconds_now() - start_;
  if (tty_ && (elapsed < delay_s_ || (elapsed - last_ < 0.1 && done < total_))) return;
  if (!tty_ && (elapsed < every_s_ || elapsed - last_ < every_s_)) return;
  last_ = elapsed;
  double rate = static_cast<double>(done) / elapsed;  // the mean so far
  if (pace_ == Pace::kShrinking) {
    // The rate of about the last half minute: the first units can come
    // in bursts (many small flows ending at once) and the pace changes.
    seen_.emplace_back(elapsed, done);
    while (seen_.size() > 2 && elapsed - seen_[1].first >= 30) seen_.pop_front();
    if (seen_.size() > 1 && elapsed > seen_.front().first && done >= seen_.front().second)
      rate = static_cast<double>(done - seen_.front().second) / (elapsed - seen_.front().first);
  }
  const double left = done ? seconds_left(pace_, done, total_, rate) : NAN;
  char line[320];
  std::snprintf(line, sizeof line, "%s %zu of %zu%s%s, %s elapsed, %s left", what_.c_str(), done, total_,
                note.empty() ? "" : ", ", note.c_str(), duration(elapsed).c_str(), duration(left).c_str());
  if (!tty_) {
    std::cerr << line << std::endl;
    return;
  }
  std::cerr << '\r' << line << "  " << std::flush;
  drawn_ = true;
}

void ProgressLine::finish() {
  if (drawn_) std::cerr << "\r\033[K" << std::flush;  // the line erased: the results follow
  drawn_ = false;
}

}  // namespace moesim
