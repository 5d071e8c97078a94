// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "areatwin/engine/indicator.hpp"
#include "areatwin/engine/layer_stack.hpp"
#include "areatwin/engine/raster.hpp"

namespace areatwin {

struct ExecutorOptions {
    int threads = 0;                 // 0: all hardware threads
    std::int64_t tile_size = 256;    // cells per tile side; results do not depend on it
    // Called after each finished tile with (tiles done, tiles total); may be called from any thread.
    std::function<void(std::size_t, std::size_t)> progress;
};

// Runs an indicator model over every tile of the stack's grid as TBB tasks and returns one
// full-grid raster per output. Tiles write disjoint cells, so the result is bitwise the same
// for every thread count and tile size.
std::vector<Raster> run_indicator(const IndicatorModel& model, const LayerStack& inputs,
                                  const ExecutorOptions& options);

// Runs fn(i) for i in [0, n) on the TBB arena limited to `threads` (0: all).
void parallel_for_each(std::size_t n, int threads, const std::function<void(std::size_t)>& fn);

}  // namespace areatwin
