#include "util/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace moesim {

void parallel_for(std::size_t n, std::size_t threads, const std::function<void(std::size_t)>& f) {
  threads = std::max<std::size_t>(1, std::min(threads, n));
  std::atomic<std::size_t> next{0};
  // Indices are taken in order, so every index below a failed one has been
  // taken and runs to its end: the lowest failing index's exception is the
  // one rethrown, whatever the threads.
  std::atomic<std::size_t> failed_at{n};
  std::exception_ptr first;
  std::mutex first_mutex;
  auto work = [&] {
    for (std::size_t i = next++; i < n && i < failed_at; i = next++) {
      try {
        f(i);
      } catch (...) {
        const std::lock_guard<std::mutex> lock(first_mutex);
        if (i < failed_at) {
          first = std::current_exception();
          failed_at = i;
        }
      }
    }
  };
  std::vector<std::thread> others;
  for (std::size_t t = 1; t < threads; ++t) {
    try {
      others.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // no more threads to be had: the ones started do the work
    }
  }
  work();
  for (auto& t : others) t.join();
  if (first) std::rethrow_exception(first);
}

}  // namespace moesim
