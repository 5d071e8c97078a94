// SPDX-License-Identifier: GPL-3.0-or-later
#include "areatwin/engine/executor.hpp"

#include <atomic>
#include <optional>

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
    // The output rasters are allocated and filled on the workers, one per task: on large grids the
    // first touch of their pages (the kernel zeroing them, then the nodata fill) is a large part of a
    // cheap indicator's time.
    std::vector<std::optional<Raster>> made(outputs.size());
    parallel_for_each(outputs.size(), options.threads, [&](std::size_t i) { made[i].emplace(grid.cols, grid.rows); });
    std::vector<Raster> rasters;
    rasters.reserve(outputs.size());
    for (auto& r : made) rasters.push_back(std::move(*r));

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
