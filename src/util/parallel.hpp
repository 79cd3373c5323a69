// Work on threads of this process: independent pieces of one computation
// (layers of traffic, their explanations) on every core. Replays run in
// forked workers instead (util/process.hpp), since SimGrid is one engine a
// process; every thread here has ended before such a fork.
#pragma once

#include <cstddef>
#include <functional>

namespace moesim {

// Calls f(0) .. f(n - 1), each once, on up to `threads` threads (the
// calling one among them, fewer if the system has no more), taking the
// next index as a thread frees up; f must not touch what another index
// writes. Returns once every call has ended. When calls throw, the indices
// above the lowest failing one are skipped once it has failed, and its
// exception is rethrown here: the same for any number of threads.
void parallel_for(std::size_t n, std::size_t threads, const std::function<void(std::size_t)>& f);

}  // namespace moesim
