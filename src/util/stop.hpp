// Ctrl-C and SIGTERM while a command computes.
#pragma once

namespace moesim {

// From here on, SIGINT, SIGTERM and SIGHUP end the process from any loop
// (routing, the engines, SimGrid's replay) with one line on stderr, "moesim:
// interrupted (SIGINT); no output written", and exit status 128 + the signal.
// Outputs are written whole or not at all (cli/output.cpp), so an interrupted
// run leaves none half-written. Forked workers end silently. Call it again
// after starting SimGrid, which installs its own SIGINT handler.
void exit_cleanly_on_stop_signals();

}  // namespace moesim
