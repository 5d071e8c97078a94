// SPDX-License-Identifier: GPL-3.0-or-later
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <memory>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench_random.hpp"
#include "areatwin/engine/executor.hpp"
#include "areatwin/engine/indicator.hpp"
#include "areatwin/engine/layer_stack.hpp"
#include "areatwin/engine/roles.hpp"
#include "areatwin/indicators/all.hpp"
#include "areatwin/io/load.hpp"
#include "green/green_access_kernels.hpp"
#include "green/green_share.hpp"

namespace {

using areatwin::GridSpec;
using areatwin::LayerStack;
using areatwin::Raster;

using SplitMix64 = areatwin::bench::SplitMix64<double>;

// A synthetic town on 2 m cells: rectangular green patches from 0.02 to 4 ha, buildings, canopy,
// tree points and `homes` home cells (random cells; one inside a building is scored on the ring of cells
// outside its facade), one area per 500 m block.
LayerStack town(std::int64_t side, std::int64_t homes, std::int64_t trees) {
    GridSpec grid;
    grid.origin_x = 80000.0;
    grid.origin_y = 460000.0;
    grid.cell_size_m = 2.0;
    grid.cols = side;
    grid.rows = side;
    LayerStack stack(grid);
    const auto n = static_cast<std::size_t>(grid.cell_count());
    std::vector<float> grass(n, 0.0f), paved(n, 1.0f), water(n, 0.0f), canopy(n, 0.0f), canopy_h(n, 0.0f), building(n, 0.0f),
        dsm(n, 0.0f), dwellings(n, 0.0f), residents(n, 0.0f), area(n, 0.0f);
    SplitMix64 rng{static_cast<std::uint64_t>(side)};
    const auto rect = [&](std::vector<float>& v, std::int64_t c0, std::int64_t r0, std::int64_t w, std::int64_t h, float value) {
        for (auto r = std::max<std::int64_t>(0, r0); r < std::min(side, r0 + h); ++r) {
            for (auto c = std::max<std::int64_t>(0, c0); c < std::min(side, c0 + w); ++c) v[static_cast<std::size_t>(r * side + c)] = value;
        }
    };
    const auto cells = grid.cell_count();
    for (std::int64_t k = 0; k < cells / 20000; ++k) {  // green patches cover about a fifth of the area
        const auto w = 7 + static_cast<std::int64_t>(rng.unit() * 93.0), h = 7 + static_cast<std::int64_t>(rng.unit() * 93.0);
        const auto c0 = static_cast<std::int64_t>(rng.unit() * static_cast<double>(side)), r0 = static_cast<std::int64_t>(rng.unit() * static_cast<double>(side));
        rect(grass, c0, r0, w, h, 1.0f);
        rect(paved, c0, r0, w, h, 0.0f);
    }
    for (std::int64_t k = 0; k < cells / 400; ++k) {  // buildings 8-30 m
        const auto w = 4 + static_cast<std::int64_t>(rng.unit() * 11.0), h = 4 + static_cast<std::int64_t>(rng.unit() * 11.0);
        const auto c0 = static_cast<std::int64_t>(rng.unit() * static_cast<double>(side)), r0 = static_cast<std::int64_t>(rng.unit() * static_cast<double>(side));
        const auto height = static_cast<float>(6.0 + 20.0 * rng.unit());
        rect(building, c0, r0, w, h, height);
        rect(dsm, c0, r0, w, h, height);
    }
    auto tree_set = std::make_shared<areatwin::FeatureSet>();
    tree_set->role = "trees";
    for (std::int64_t k = 0; k < trees; ++k) {
        areatwin::Feature f;
        f.id = k + 1;
        f.geometry.kind = areatwin::Geometry::Kind::Point;
        const double x = grid.origin_x + rng.unit() * static_cast<double>(side) * 2.0, y = grid.origin_y - rng.unit() * static_cast<double>(side) * 2.0;
        f.geometry.points.push_back({x, y});
        const double h = 5.0 + 15.0 * rng.unit(), d = 3.0 + 9.0 * rng.unit();
        f.attributes["height_m"] = h;
        f.attributes["crown_diameter_m"] = d;
        const auto c = grid.col_of(x), r = grid.row_of(y);
        const auto reach = static_cast<std::int64_t>(d / 4.0);
        for (auto rr = r - reach; rr <= r + reach; ++rr) {
            for (auto cc = c - reach; cc <= c + reach; ++cc) {
                if (!grid.contains_cell(cc, rr)) continue;
                const auto i = static_cast<std::size_t>(rr * side + cc);
                canopy[i] = 1.0f;
                canopy_h[i] = static_cast<float>(h);
                if (building[i] == 0.0f) dsm[i] = static_cast<float>(h);
            }
        }
        tree_set->features.push_back(std::move(f));
    }
    for (std::int64_t k = 0; k < homes; ++k) {
        const auto i = static_cast<std::size_t>(rng.next() % static_cast<std::uint64_t>(cells));
        dwellings[i] += 1.0f;
        residents[i] += 2.0f;
    }
    const std::int64_t block = 250;  // 500 m areas
    for (std::int64_t r = 0; r < side; ++r) {
        for (std::int64_t c = 0; c < side; ++c) {
            area[static_cast<std::size_t>(r * side + c)] = static_cast<float>((r / block) * ((side + block - 1) / block) + c / block);
        }
    }
    const auto put = [&](const std::string& name, std::vector<float>& v) {
        auto raster = std::make_shared<Raster>(side, side, 0.0f);
        raster->values() = std::move(v);
        stack.set_raster(name, std::move(raster));
    };
    put(areatwin::layer::landcover_fraction("grass"), grass);
    put(areatwin::layer::landcover_fraction("paved"), paved);
    put(areatwin::layer::landcover_fraction("water"), water);
    put(std::string(areatwin::layer::canopy_fraction), canopy);
    put(std::string(areatwin::layer::canopy_height), canopy_h);
    put(std::string(areatwin::layer::building_height), building);
    put(std::string(areatwin::layer::dsm), dsm);
    put(std::string(areatwin::layer::dwellings), dwellings);
    put(std::string(areatwin::layer::residents), residents);
    put(std::string(areatwin::layer::area_index), area);
    stack.set_features("trees", tree_set);
    return stack;
}

const LayerStack& cached_town(std::int64_t side, std::int64_t homes, std::int64_t trees) {
    static std::map<std::tuple<std::int64_t, std::int64_t, std::int64_t>, LayerStack> towns;
    const auto key = std::make_tuple(side, homes, trees);
    auto it = towns.find(key);
    if (it == towns.end()) it = towns.emplace(key, town(side, homes, trees)).first;
    return it->second;
}

areatwin::RawValue text(const char* s) { return {std::string(s), "benchmark"}; }
areatwin::RawValue number(double v) { return {v, "benchmark"}; }

// Parks (connected components + exact distance transform) and canopy share in a disc, no homes:
// range(0) grid side in 2 m cells (5000 = 10 km x 10 km, 25 Mcells), range(1) canopy radius in m,
// range(2) threads. Items are grid cells. A fresh model per iteration: the park pre-pass is cached
// per model and scenario, so it is timed every time.
void BM_GreenAccessParksAndCanopy(benchmark::State& state) {
    const LayerStack& stack = cached_town(state.range(0), 0, 1000);
    areatwin::IndicatorRegistry registry;
    areatwin::indicators::register_all(registry);
    areatwin::ExecutorOptions options;
    options.threads = static_cast<int>(state.range(2));
    options.tile_size = 1024;
    for (auto _ : state) {
        const auto model = registry.get("green.access").configure(
            {{"canopy_unit", text("buffer")}, {"canopy_radius_m", number(static_cast<double>(state.range(1)))},
             {"park_classes", areatwin::RawValue{std::vector<std::string>{"grass"}, "benchmark"}}});
        auto outputs = areatwin::run_indicator(*model, stack, options);
        benchmark::DoNotOptimize(outputs.front().values().data());
    }
    state.SetItemsProcessed(state.iterations() * state.range(0) * state.range(0));
}
BENCHMARK(BM_GreenAccessParksAndCanopy)->Args({5000, 250, 0})->Args({5000, 50, 0})->Unit(benchmark::kMillisecond)->UseRealTime();

// The distance transform kernel alone on the same park mask (one thread).
void BM_GreenAccessDistanceTransform(benchmark::State& state) {
    const auto side = state.range(0);
    const LayerStack& stack = cached_town(side, 0, 1000);
    const auto& grass = stack.raster(areatwin::layer::landcover_fraction("grass")).values();
    std::vector<std::uint8_t> mask(grass.size());
    for (std::size_t i = 0; i < grass.size(); ++i) mask[i] = grass[i] >= 0.5f ? 1 : 0;
    for (auto _ : state) {
        auto d = areatwin::indicators::green::squared_distance_transform(mask, side, side);
        benchmark::DoNotOptimize(d.data());
    }
    state.SetItemsProcessed(state.iterations() * side * side);
}
BENCHMARK(BM_GreenAccessDistanceTransform)->Arg(5000)->Unit(benchmark::kMillisecond);

// Trees visible with line of sight within 30 m for 50,000 homes on a 4 km x 4 km town at 2 m with
// 60,000 trees: range(0) threads. Items are homes; the canopy radius is kept at 10 m so the disc
// sums do not dominate (BM_GreenAccessParksAndCanopy times those).
void BM_GreenAccessTreesVisible(benchmark::State& state) {
    const LayerStack& stack = cached_town(2000, 50000, 60000);
    areatwin::IndicatorRegistry registry;
    areatwin::indicators::register_all(registry);
    areatwin::ExecutorOptions options;
    options.threads = static_cast<int>(state.range(0));
    for (auto _ : state) {
        const auto model = registry.get("green.access").configure(
            {{"canopy_unit", text("buffer")}, {"canopy_radius_m", number(10.0)}});
        auto outputs = areatwin::run_indicator(*model, stack, options);
        benchmark::DoNotOptimize(outputs.front().values().data());
    }
    state.SetItemsProcessed(state.iterations() * 50000);
}
BENCHMARK(BM_GreenAccessTreesVisible)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();

// ---- side by side with GDAL and GRASS (bench/green_vs_gdal_grass.py) ------------------------------
// The script writes one green mask (0/1, Byte GeoTIFF) and runs these on it, each in its own process
// under /usr/bin/time for the peak memory: AREATWIN_GREEN_MASK names the file, AREATWIN_GREEN_GRID its
// grid as "origin_x,origin_y,cell_size_m,cols,rows" (EPSG:28992); with AREATWIN_GREEN_OUT the result
// of the last iteration is written there as raw float32 for the script to compare. Reading the file is
// not timed. Without the variables the benchmarks skip.
struct MaskFile {
    GridSpec grid;
    Raster mask;
    std::string out;
};

const MaskFile* mask_file() {
    static const std::unique_ptr<MaskFile> file = []() -> std::unique_ptr<MaskFile> {
        const char* path = std::getenv("AREATWIN_GREEN_MASK");
        const char* grid_text = std::getenv("AREATWIN_GREEN_GRID");
        if (path == nullptr || grid_text == nullptr) return nullptr;
        GridSpec grid;
        grid.crs = "EPSG:28992";
        char comma = 0;
        std::istringstream in(grid_text);
        in >> grid.origin_x >> comma >> grid.origin_y >> comma >> grid.cell_size_m >> comma >> grid.cols >> comma >> grid.rows;
        areatwin::io::SourceSpec source;
        source.role = "landcover";
        source.path = path;
        areatwin::io::LoadReport report;
        auto f = std::make_unique<MaskFile>(MaskFile{grid, areatwin::io::read_raster(source, grid, areatwin::io::Resampling::Average, report), ""});
        if (const char* out = std::getenv("AREATWIN_GREEN_OUT")) f->out = out;
        return f;
    }();
    return file.get();
}

void write_raw(const std::string& path, const float* data, std::size_t n) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(n * sizeof(float)));
}

// Distance in metres from every cell centre to the nearest mask cell (what gdal_proximity.py
// -distunits GEO computes): threshold, exact squared distance transform, square root.
void BM_GreenFileDistance(benchmark::State& state) {
    const MaskFile* f = mask_file();
    if (f == nullptr) {
        state.SkipWithError("set AREATWIN_GREEN_MASK and AREATWIN_GREEN_GRID (bench/green_vs_gdal_grass.py)");
        return;
    }
    const auto& v = f->mask.values();
    std::unique_ptr<float[]> distance;
    const int threads = static_cast<int>(state.range(0));
    for (auto _ : state) {
        // The result is allocated in the timed region, as in a run; the transform writes every value, so
        // it is not zeroed first (its pages are first touched by the parallel column pass).
        auto result = std::make_unique_for_overwrite<float[]>(v.size());
        std::vector<std::uint8_t> mask(v.size());
        constexpr std::size_t kChunk = 1 << 20;
        areatwin::parallel_for_each((v.size() + kChunk - 1) / kChunk, threads, [&](std::size_t b) {
            const float* __restrict src = v.data();
            std::uint8_t* __restrict dst = mask.data();
            const std::size_t end = std::min(v.size(), (b + 1) * kChunk);
            for (std::size_t i = b * kChunk; i < end; ++i) dst[i] = src[i] >= 0.5f ? 1 : 0;
        });
        areatwin::indicators::green::distance_transform_m(mask, f->grid.cols, f->grid.rows, f->grid.cell_size_m, threads,
                                                          result.get());
        benchmark::DoNotOptimize(result.get());
        distance = std::move(result);
    }
    state.SetItemsProcessed(state.iterations() * f->grid.cell_count());
    if (!f->out.empty()) write_raw(f->out, distance.get(), v.size());
}
BENCHMARK(BM_GreenFileDistance)->Arg(1)->Arg(2)->ArgName("threads")->Unit(benchmark::kMillisecond)->UseRealTime();

// Share of the mask within a radius (green.share on landcover.grass = mask, the exact disc of cells whose
// centre lies within the radius, what r.neighbors -c method=average with size 2r+1 computes):
// range(0) radius in m, range(1) threads.
void BM_GreenFileShare(benchmark::State& state) {
    const MaskFile* f = mask_file();
    if (f == nullptr) {
        state.SkipWithError("set AREATWIN_GREEN_MASK and AREATWIN_GREEN_GRID (bench/green_vs_gdal_grass.py)");
        return;
    }
    LayerStack stack(f->grid);
    stack.set_raster(areatwin::layer::landcover_fraction("grass"), std::make_shared<const Raster>(f->mask));
    areatwin::IndicatorRegistry registry;
    areatwin::indicators::register_all(registry);
    const auto model = registry.get("green.share").configure(
        {{"radius_m", areatwin::RawValue{std::vector<double>{static_cast<double>(state.range(0))}, "benchmark"}},
         {"green_classes", areatwin::RawValue{std::vector<std::string>{"grass"}, "benchmark"}}});
    areatwin::ExecutorOptions options;
    options.threads = static_cast<int>(state.range(1));
    options.tile_size = 1024;
    std::vector<Raster> outputs;
    for (auto _ : state) {
        outputs = areatwin::run_indicator(*model, stack, options);
        benchmark::DoNotOptimize(outputs.front().values().data());
    }
    state.SetItemsProcessed(state.iterations() * f->grid.cell_count());
    if (!f->out.empty()) write_raw(f->out, outputs.front().values().data(), outputs.front().values().size());
}
BENCHMARK(BM_GreenFileShare)->ArgsProduct({{50, 250}, {1, 2}})->ArgNames({"radius_m", "threads"})->Unit(benchmark::kMillisecond)->UseRealTime();

// The disc-sum kernel alone, over one summed-area table of a 1280 x 1280 window (a 1024-cell tile with
// a 128-cell halo) at a radius of range(0) cells: range(1) = 0 the plain clamped loop, 1 the split loop
// with its vectorised middle. Items are output cells; both give the same integers (green_share_test).
void BM_GreenDiscSums(benchmark::State& state) {
    const std::int64_t side = 1280, halo = 128, core = side - 2 * halo;
    std::vector<std::int64_t> sat(static_cast<std::size_t>((side + 1) * (side + 1)), 0);
    SplitMix64 rng{3};
    for (std::int64_t r = 0; r < side; ++r) {
        std::int64_t run = 0;
        for (std::int64_t c = 0; c < side; ++c) {
            run += static_cast<std::int64_t>(rng.unit() * 1048576.0);
            sat[static_cast<std::size_t>((r + 1) * (side + 1) + c + 1)] = sat[static_cast<std::size_t>(r * (side + 1) + c + 1)] + run;
        }
    }
    const auto disc = areatwin::indicators::green::make_disc(static_cast<double>(state.range(0)), 1.0);
    std::vector<std::int64_t> acc(static_cast<std::size_t>(core));
    for (auto _ : state) {
        for (std::int64_t row = halo; row < halo + core; ++row) {
            std::fill(acc.begin(), acc.end(), 0);
            if (state.range(1) == 0) {
                areatwin::indicators::green::add_disc_sums_plain(disc, sat.data(), side, side, row, halo, core, acc.data());
            } else {
                areatwin::indicators::green::add_disc_sums(disc, sat.data(), side, side, row, halo, core, acc.data());
            }
            benchmark::DoNotOptimize(acc.data());
        }
    }
    state.SetItemsProcessed(state.iterations() * core * core);
    state.counters["rectangles"] = static_cast<double>(disc.rectangles.size());
}
BENCHMARK(BM_GreenDiscSums)->ArgsProduct({{25, 125}, {0, 1}})->ArgNames({"radius_cells", "split"})->Unit(benchmark::kMillisecond);

}  // namespace
