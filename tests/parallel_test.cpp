#include "util/parallel.hpp"

#include <atomic>
#include <chrono>
#include <catch2/catch.hpp>
#include <stdexcept>
#include <thread>
#include <vector>

using moesim::parallel_for;

TEST_CASE("parallel_for calls every index once, whatever the threads", "[util]") {
  for (std::size_t threads : {1, 2, 3, 64}) {
    for (std::size_t n : {0, 1, 5, 1000}) {
      INFO(threads << " threads, " << n << " indices");
      std::vector<std::atomic<int>> calls(n);
      std::vector<std::uint64_t> out(n, 0);
      parallel_for(n, threads, [&](std::size_t i) {
        ++calls[i];
        out[i] = i * i;
      });
      for (std::size_t i = 0; i < n; ++i) {
        CHECK(calls[i] == 1);
        CHECK(out[i] == i * i);
      }
    }
  }
}

TEST_CASE("parallel_for runs on several threads when asked", "[util]") {
  // Each of two calls waits for the other to start: both see it only if
  // they run at once (a run on one thread gives up waiting instead of hanging).
  std::atomic<int> started{0}, saw_other{0};
  parallel_for(2, 2, [&](std::size_t) {
    ++started;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (started < 2 && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
    if (started == 2) ++saw_other;
  });
  CHECK(saw_other == 2);
}

TEST_CASE("parallel_for rethrows the lowest failing index's exception once every call has ended", "[util]") {
  // Index 5 fails at once, index 3 only after a while: 3's exception is the
  // one rethrown, and only once every running call has ended.
  for (std::size_t threads : {1, 2, 4}) {
    INFO(threads << " threads");
    std::atomic<int> ended{0};
    std::atomic<bool> slow_done{false};
    auto f = [&](std::size_t i) {
      if (i == 3) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        slow_done = true;
        throw std::runtime_error("index 3");
      }
      if (i == 5) throw std::runtime_error("index 5");
      ++ended;
    };
    CHECK_THROWS_WITH(parallel_for(100, threads, f), "index 3");
    CHECK(slow_done);
    CHECK(ended >= 3);  // 0, 1 and 2 ran
    if (threads == 1) CHECK(ended == 3);  // nothing after index 3 was taken
  }
}
