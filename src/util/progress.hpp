// Progress of long work on stderr: a line redrawn on a terminal, elsewhere
// nothing or (every_s) a whole line now and then, and nothing for work done
// in the first seconds.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <utility>

namespace moesim {

// "m:ss" or "h:mm:ss"; "?" for a negative or unknown time.
std::string duration(double seconds);
// A steady clock, in seconds.
double seconds_now();

// How the cost of a unit of work moves as the work goes on.
enum class Pace {
  kEven,       // every unit alike: the time left is the units left at the mean rate so far
  kShrinking,  // a unit costs in proportion to the units still to do (each flow's end in a
               // flow replay re-solves the flows left): the time left is half the units
               // left at the rate of the last half minute
};

// Seconds left for `total - done` units at `units_per_s`; NaN when the rate
// is not positive.
double seconds_left(Pace pace, std::size_t done, std::size_t total, double units_per_s);

// "<what> k of N, <note>, m:ss elapsed, m:ss left", redrawn at most ten times
// a second on stderr once `delay_s` have passed, when stderr is a terminal
// (or `force`); cleared by finish or the destructor. With `every_s` > 0, when
// stderr is not a terminal, the same as a whole line every `every_s` seconds.
class ProgressLine {
 public:
  ProgressLine(std::string what, std::size_t total, double delay_s = 2.0, bool force = false, double every_s = 0,
               Pace pace = Pace::kEven);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  void update(std::size_t done, const std::string& note = "");
  void finish();

 private:
  std::string what_;
  std::size_t total_;
  double delay_s_, start_, last_ = -1;
  double every_s_;  // between whole lines off a terminal; 0: none
  Pace pace_;
  std::deque<std::pair<double, std::size_t>> seen_;  // (elapsed, done) of the last half minute's lines
  bool on_, tty_;
  bool drawn_ = false;
};

}  // namespace moesim
