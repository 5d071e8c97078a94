// SPDX-License-Identifier: GPL-3.0-or-later
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench_random.hpp"
#include "areatwin/engine/executor.hpp"
#include "areatwin/engine/indicator.hpp"
#include "areatwin/engine/layer_stack.hpp"
#include "areatwin/engine/roles.hpp"
#include "areatwin/indicators/all.hpp"

namespace {

using areatwin::GridSpec;
using areatwin::LayerStack;
using areatwin::Raster;

using SplitMix64 = areatwin::bench::SplitMix64<float>;

// Grass, trees and shrubs fractions of each cell, random with a sum of at most 1.
LayerStack landcover_stack(std::int64_t side) {
    GridSpec grid;
    grid.origin_x = 150000.0;
    grid.origin_y = 470000.0;
    grid.cell_size_m = 10.0;
    grid.cols = side;
    grid.rows = side;
    LayerStack stack(grid);
    auto grass = std::make_shared<Raster>(side, side, 0.0f);
    auto trees = std::make_shared<Raster>(side, side, 0.0f);
    auto shrubs = std::make_shared<Raster>(side, side, 0.0f);
    SplitMix64 rng{static_cast<std::uint64_t>(side)};
    for (std::int64_t i = 0; i < grid.cell_count(); ++i) {
        const float g = rng.unit();
        const float t = rng.unit() * (1.0f - g);
        const float s = rng.unit() * (1.0f - g - t);
        grass->values()[static_cast<std::size_t>(i)] = g;
        trees->values()[static_cast<std::size_t>(i)] = t;
        shrubs->values()[static_cast<std::size_t>(i)] = s;
    }
    stack.set_raster(areatwin::layer::landcover_fraction("grass"), std::move(grass));
    stack.set_raster(areatwin::layer::landcover_fraction("trees"), std::move(trees));
    stack.set_raster(areatwin::layer::landcover_fraction("shrubs"), std::move(shrubs));
    return stack;
}

// Google Benchmark calls the function again for each repetition; build each size once.
const LayerStack& cached_stack(std::int64_t side) {
    static std::map<std::int64_t, LayerStack> stacks;
    auto it = stacks.find(side);
    if (it == stacks.end()) it = stacks.emplace(side, landcover_stack(side)).first;
    return it->second;
}

// range(0): grid side in cells (10 m); range(1): radius in m; range(2): threads (0: all cores).
// Items are grid cells; output allocation is inside the timed region as it is in a run.
void BM_GreenShare(benchmark::State& state) {
    const LayerStack& stack = cached_stack(state.range(0));
    areatwin::IndicatorRegistry registry;
    areatwin::indicators::register_all(registry);
    const auto model = registry.get("green.share").configure(
        {{"radius_m", areatwin::RawValue{std::vector<double>{static_cast<double>(state.range(1))}, "benchmark"}}});
    areatwin::ExecutorOptions options;
    options.threads = static_cast<int>(state.range(2));
    for (auto _ : state) {
        auto outputs = areatwin::run_indicator(*model, stack, options);
        benchmark::DoNotOptimize(outputs.front().values().data());
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations() * stack.grid().cell_count());
}
BENCHMARK(BM_GreenShare)
    ->ArgsProduct({{1000, 2000, 4000}, {100, 300}, {1, 0}})
    ->ArgNames({"side", "radius_m", "threads"})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
