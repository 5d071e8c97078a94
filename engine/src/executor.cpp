// SPDX-License-Identifier: GPL-3.0-or-later
#include "areatwin/engine/executor.hpp"

#include <atomic>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "areatwin/engine/errors.hpp"

namespace areatwin {

void parallel_for_each(std::size_t n, int threads, const std::function<void(std::size_t)>& fn) {
    tbb::task_arena arena(threads > 0 ? threads : tbb::task_arena::automatic);
    arena.execute([&] {
        // One task per item: items are tiles, large enough that scheduling cost does not matter,
        // and every item writes its own cells so the order of execution cannot change a result.
        tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, 1), [&](const tbb::blocked_range<std::size_t>& r) {
            for (std::size_t i = r.begin(); i != r.end(); ++i) fn(i);
        }, tbb::simple_partitioner());
    });
}

std::vector<Raster> run_indicator(const IndicatorModel& model, const LayerStack& inputs,
                                  const ExecutorOptions& options) {
    const auto& grid = inputs.grid();
    const auto outputs = model.outputs();
    std::vector<Raster> rasters;
    rasters.reserve(outputs.size());
    for (std::size_t i = 0; i < outputs.size(); ++i) rasters.emplace_back(grid.cols, grid.rows);

    const auto tiles = make_tiles(grid, options.tile_size, halo_cells_for(grid, model.halo_m()));
    std::atomic<std::size_t> done{0};
    model.prepare(inputs, options.threads);
    parallel_for_each(tiles.size(), options.threads, [&](std::size_t i) {
        TileContext ctx{inputs, grid, tiles[i]};
        TileOutputs out;
        for (auto& r : rasters) out.rasters.push_back(&r);
        model.compute(ctx, out);
        const auto n = ++done;
        if (options.progress) options.progress(n, tiles.size());
    });
    return rasters;
}

}  // namespace areatwin
