// A run under an overlap schedule: the batch cut into micro-batches, each
// with its own routing draw and flows; each step's communication rounds
// computed by the engine (a round's flows of every micro-batch at once,
// sharing the links), its compute priced on the chip, and the layer's time
// from the schedule (moesim/schedule.hpp).
#pragma once

#include "moesim/engine.hpp"
#include "moesim/run.hpp"
#include "moesim/scenario.hpp"

namespace moesim {

RunReport run_overlapped(const Scenario& s, const Topology& topo, LayerEngine& engine, const RunControl& control);

}  // namespace moesim
