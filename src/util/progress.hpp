// Progress of long work on stderr: a line redrawn on a terminal, elsewhere
// nothing or (every_s) a whole line now and then, and nothing for work done
// in the first seconds.
#pragma once

#include <cstddef>
#include <string>

namespace moesim {

// "m:ss" or "h:mm:ss"; "?" for a negative or unknown time.
std::string duration(double seconds);
// A steady clock, in seconds.
double seconds_now();

// "<what> k of N, <note>, m:ss elapsed, m:ss left", redrawn at most ten times
// a second on stderr once `delay_s` have passed, when stderr is a terminal
// (or `force`); cleared by finish or the destructor. With `every_s` > 0, when
// stderr is not a terminal, the same as a whole line every `every_s` seconds.
class ProgressLine {
 public:
  ProgressLine(std::string what, std::size_t total, double delay_s = 2.0, bool force = false, double every_s = 0);
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
  bool on_, tty_;
  bool drawn_ = false;
};

}  // namespace moesim
