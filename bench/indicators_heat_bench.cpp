// SPDX-License-Identifier: GPL-3.0-or-later
// heat family: sky view factor (153 patches) and shadow casting on a 1000 x 1000 synthetic city at 1 m,
// and heat.pet (tier A) over 4 Mcells through the executor.
#include <cstdint>
#include <memory>
#include <vector>

#include <benchmark/benchmark.h>
#include <tbb/parallel_for.h>

#include "areatwin/engine/executor.hpp"
#include "areatwin/engine/layer_stack.hpp"
#include "areatwin/engine/roles.hpp"
#include "areatwin/indicators/all.hpp"
#include "heat/sky.hpp"

namespace {

using namespace areatwin;
using namespace areatwin::indicators::heat;

// A city of 40 x 40 m blocks holding 24 x 24 m buildings 6-30 m tall, 1 m cells, on flat ground at 1 m.
float building_height(std::int64_t col, std::int64_t row) {
    const auto bc = col / 40, br = row / 40;
    if (col % 40 < 8 || col % 40 >= 32 || row % 40 < 8 || row % 40 >= 32) return 0.0f;
    return 6.0f + static_cast<float>((bc * 7 + br * 13) % 25);
}

SurfaceWindow city_surface(std::int64_t side) {
    SurfaceWindow s;
    s.cols = side;
    s.rows = side;
    s.cell_size_m = 1.0;
    s.solid.resize(static_cast<std::size_t>(side * side));
    for (std::int64_t r = 0; r < side; ++r)
        for (std::int64_t c = 0; c < side; ++c) s.solid[s.index(c, r)] = 1.0f + building_height(c, r);
    s.finish();
    return s;
}

// SVF over the whole grid, rows split over the available threads (the kernel is per row).
void BM_HeatSvf153(benchmark::State& state) {
    const auto side = state.range(0);
    const auto s = city_surface(side);
    const auto rays = sky_patch_rays(153, 1.0, 100.0);
    std::vector<float> out(static_cast<std::size_t>(side * side));
    for (auto _ : state) {
        tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, side, 50), [&](const tbb::blocked_range<std::int64_t>& rr) {
            std::vector<float> part;
            const Window region{0, rr.begin(), side, rr.end() - rr.begin()};
            sky_view_factor(s, region, rays, part);
            std::copy(part.begin(), part.end(), out.begin() + rr.begin() * side);
        });
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["Mcells/s"] = benchmark::Counter(static_cast<double>(side * side) / 1e6, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_HeatSvf153)->Arg(1000)->Unit(benchmark::kSecond)->UseRealTime();

void BM_HeatShadow(benchmark::State& state) {
    const auto s = city_surface(1000);
    std::vector<std::uint8_t> out;
    const double elevation = static_cast<double>(state.range(0));
    for (auto _ : state) {
        cast_shadow(s, {0, 0, 1000, 1000}, 225.0, elevation, 500.0, out);
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK(BM_HeatShadow)->Arg(60)->Arg(30)->Arg(15)->Unit(benchmark::kMillisecond);

const LayerStack& pet_stack(std::int64_t side) {
    static std::map<std::int64_t, LayerStack> cache;
    auto it = cache.find(side);
    if (it != cache.end()) return it->second;
    GridSpec grid;
    grid.origin_x = 136000.0;
    grid.origin_y = 457000.0;
    grid.cell_size_m = 1.0;
    grid.cols = side;
    grid.rows = side;
    LayerStack st(grid);
    auto dem = std::make_shared<Raster>(side, side, 1.0f);
    auto dsm = std::make_shared<Raster>(side, side, 1.0f);
    auto canopy = std::make_shared<Raster>(side, side, 0.0f);
    auto crowns = std::make_shared<Raster>(side, side, 0.0f);
    auto grass = std::make_shared<Raster>(side, side, 0.0f);
    auto paved = std::make_shared<Raster>(side, side, 1.0f);
    for (std::int64_t r = 0; r < side; ++r)
        for (std::int64_t c = 0; c < side; ++c) {
            const float h = building_height(c, r);
            dsm->at(c, r) = 1.0f + h;
            // Street trees along every other street, grass in the courtyard-free block corners.
            if (h == 0.0f && (c % 40) >= 2 && (c % 40) < 6 && (r / 40) % 2 == 0) {
                canopy->at(c, r) = 10.0f;
                crowns->at(c, r) = 1.0f;
                dsm->at(c, r) = 11.0f;
            }
            if (h == 0.0f && (r % 40) >= 34) {
                grass->at(c, r) = 1.0f;
                paved->at(c, r) = 0.0f;
            }
        }
    st.set_raster(std::string(layer::dem), dem);
    st.set_raster(std::string(layer::dsm), dsm);
    st.set_raster(std::string(layer::canopy_height), canopy);
    st.set_raster(std::string(layer::canopy_fraction), crowns);
    st.set_raster(layer::landcover_fraction("grass"), grass);
    st.set_raster(layer::landcover_fraction("paved"), paved);
    return cache.emplace(side, std::move(st)).first->second;
}

void BM_HeatPetTierA(benchmark::State& state) {
    const auto side = state.range(0);
    const auto& st = pet_stack(side);
    const auto model = indicators::builtin_registry().get("heat.pet").configure({});
    for (auto _ : state) {
        auto out = run_indicator(*model, st, {2, 1024, {}});
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["Mcells"] = static_cast<double>(side * side) / 1e6;
}
BENCHMARK(BM_HeatPetTierA)->Arg(2000)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

}  // namespace

// heat.tmrt (tier B): the split sky view factors (buildings, vegetation, vegetation in front of buildings,
// each also per N/E/S/W half) on the 1000 x 1000 city, and the whole indicator for one hour on 1 Mcells.
#include "heat/solweig.hpp"

namespace {

void BM_HeatTmrtSkyFactors153(benchmark::State& state) {
    const auto side = state.range(0);
    auto s = city_surface(side);
    const auto rays = sky_factor_rays(153, 1.0, 100.0);
    std::vector<SkyFactors> out(static_cast<std::size_t>(side * side));
    for (auto _ : state) {
        tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, side, 50), [&](const tbb::blocked_range<std::int64_t>& rr) {
            std::vector<SkyFactors> part;
            const Window region{0, rr.begin(), side, rr.end() - rr.begin()};
            sky_factors(s, region, rays, part);
            std::copy(part.begin(), part.end(), out.begin() + rr.begin() * side);
        });
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["Mcells/s"] = benchmark::Counter(static_cast<double>(side * side) / 1e6, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_HeatTmrtSkyFactors153)->Arg(1000)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

void BM_HeatTmrtTierBOneHour(benchmark::State& state) {
    const auto side = state.range(0);
    const auto& st = pet_stack(side);
    const auto model = indicators::builtin_registry().get("heat.tmrt").configure(
        {{"hour_start_local", {14.0, "bench"}}, {"hour_end_local", {15.0, "bench"}}});
    for (auto _ : state) {
        auto out = run_indicator(*model, st, {2, 512, {}});  // 2 x 2 tiles for the 2 threads
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["Mcells"] = static_cast<double>(side * side) / 1e6;
}
BENCHMARK(BM_HeatTmrtTierBOneHour)->Arg(1000)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

}  // namespace
