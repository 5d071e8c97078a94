// SPDX-License-Identifier: GPL-3.0-or-later
#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "areatwin/engine/rasterize.hpp"

namespace {

using areatwin::Geometry;
using areatwin::GridSpec;
using areatwin::Point2;
using areatwin::Raster;

// 10 km x 10 km at 10 m, placed at Dutch RD New coordinates.
GridSpec bench_grid() {
    GridSpec grid;
    grid.origin_x = 150000.0;
    grid.origin_y = 470000.0;
    grid.cell_size_m = 10.0;
    grid.cols = 1000;
    grid.rows = 1000;
    return grid;
}

// Building footprints as they come from BAG: rectangles of 6-30 m by 6-25 m at any rotation, every
// third one an L-shape (6 vertices); seeded so every run rasterises the same set.
std::vector<Geometry> building_like_polygons(const GridSpec& grid, std::size_t count) {
    std::mt19937_64 rng(1234567);
    const areatwin::Box2 extent = grid.extent();
    std::uniform_real_distribution<double> x(extent.min_x + 50.0, extent.max_x - 50.0);
    std::uniform_real_distribution<double> y(extent.min_y + 50.0, extent.max_y - 50.0);
    std::uniform_real_distribution<double> length_m(6.0, 30.0);
    std::uniform_real_distribution<double> width_m(6.0, 25.0);
    std::uniform_real_distribution<double> angle(0.0, std::numbers::pi);
    std::vector<Geometry> polygons;
    polygons.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        const double cx = x(rng);
        const double cy = y(rng);
        const double l = length_m(rng);
        const double w = width_m(rng);
        const double a = angle(rng);
        std::vector<std::pair<double, double>> local;
        if (i % 3 == 2) {
            local = {{0, 0}, {l, 0}, {l, 0.4 * w}, {0.45 * l, 0.4 * w}, {0.45 * l, w}, {0, w}};
        } else {
            local = {{0, 0}, {l, 0}, {l, w}, {0, w}};
        }
        areatwin::Ring ring;
        for (const auto& [lx, ly] : local) {
            const double dx = lx - 0.5 * l;
            const double dy = ly - 0.5 * w;
            ring.push_back({cx + dx * std::cos(a) - dy * std::sin(a), cy + dx * std::sin(a) + dy * std::cos(a)});
        }
        ring.push_back(ring.front());
        Geometry g;
        g.kind = Geometry::Kind::Polygon;
        g.polygons.push_back({{ring}});
        polygons.push_back(std::move(g));
    }
    return polygons;
}

void BM_AccumulateCoverage(benchmark::State& state) {
    const GridSpec grid = bench_grid();
    const auto polygons = building_like_polygons(grid, static_cast<std::size_t>(state.range(0)));
    Raster coverage(grid.cols, grid.rows, 0.0f);
    for (auto _ : state) {
        for (const Geometry& g : polygons) areatwin::accumulate_coverage(grid, g, coverage);
        benchmark::DoNotOptimize(coverage.values().data());
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
    state.SetLabel("polygons");
}
BENCHMARK(BM_AccumulateCoverage)->Arg(10000)->Unit(benchmark::kMillisecond);

// The point-sampling oracle with 16 x 16 samples per cell (error up to ~1/16 of a cell per edge),
// the baseline the exact kernel replaces.
void BM_AccumulateCoverageReference(benchmark::State& state) {
    const GridSpec grid = bench_grid();
    const auto polygons = building_like_polygons(grid, static_cast<std::size_t>(state.range(0)));
    const int samples_per_side = static_cast<int>(state.range(1));
    Raster coverage(grid.cols, grid.rows, 0.0f);
    for (auto _ : state) {
        for (const Geometry& g : polygons) {
            areatwin::accumulate_coverage_reference(grid, g, coverage, samples_per_side);
        }
        benchmark::DoNotOptimize(coverage.values().data());
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
    state.SetLabel("polygons");
}
BENCHMARK(BM_AccumulateCoverageReference)->Args({10000, 16})->Unit(benchmark::kMillisecond);

// Cell-centre burn-in (GDAL's default rule), for comparison with exact coverage.
void BM_BurnPolygon(benchmark::State& state) {
    const GridSpec grid = bench_grid();
    const auto polygons = building_like_polygons(grid, static_cast<std::size_t>(state.range(0)));
    Raster target(grid.cols, grid.rows, 0.0f);
    for (auto _ : state) {
        for (const Geometry& g : polygons) areatwin::burn_polygon(grid, g, 1.0f, target);
        benchmark::DoNotOptimize(target.values().data());
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
    state.SetLabel("polygons");
}
BENCHMARK(BM_BurnPolygon)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace
