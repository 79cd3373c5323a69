// Work on threads of this process: independent pieces of one computation
// (layers of traffic, their explanations) on every core. Replays run in
// forked workers instead (util/process.hpp), since SimGrid is one engine a
// process; every thread here has ended before such a fork.
#pragma once

#include <cstddef>
#include <functional>

namespace moesim {

// Calls f(0) .. f(n - 1), each once, on up to `threads` threads (the
// calling one among them), taking the next index as a thread frees up; f
// must not touch what another index writes. Returns once every call has
// ended. The first exception a call throws is rethrown here, after the
// others have ended; the indices not yet taken are then skipped.
void parallel_for(std::size_t n, std::size_t threads, const std::function<void(std::size_t)>& f);

}  // namespace moesim
