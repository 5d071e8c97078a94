// SPDX-License-Identifier: GPL-3.0-or-later
// Reading and reprojecting point layers through areatwin::io::read_vector, against the same layer
// already in the grid CRS (the difference is the reprojection) and against PROJ called directly on
// coordinate arrays (the floor for any reprojection).
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <proj.h>
#include <unistd.h>

#include "areatwin/io/gpkg_writer.hpp"
#include "areatwin/io/load.hpp"

namespace {

namespace fs = std::filesystem;

struct PointCloud {
    std::vector<double> x;
    std::vector<double> y;
};

// Seeded points spread over a box of the source CRS.
PointCloud random_points(std::size_t count, double min_x, double min_y, double max_x, double max_y) {
    std::mt19937_64 rng(31337);
    std::uniform_real_distribution<double> ux(min_x, max_x);
    std::uniform_real_distribution<double> uy(min_y, max_y);
    PointCloud cloud;
    for (std::size_t i = 0; i < count; ++i) {
        cloud.x.push_back(ux(rng));
        cloud.y.push_back(uy(rng));
    }
    return cloud;
}

// A GeoPackage point layer, written through the io writer (the benchmark itself stays out of GDAL).
// GeoPackage rather than GeoJSON: a GeoJSON reader spends nearly all its time parsing text, which
// would hide the reprojection.
fs::path write_points(const PointCloud& cloud, const std::string& crs, const std::string& stem) {
    const fs::path path = fs::temp_directory_path() / fmt::format("areatwin_bench_{}_{}.gpkg", stem, ::getpid());
    areatwin::GridSpec layer_grid;  // only its CRS matters for a vector layer
    layer_grid.cols = 1;
    layer_grid.rows = 1;
    layer_grid.crs = crs;
    areatwin::io::VectorLayerOut layer;
    layer.table = "receivers";
    layer.description = "synthetic receiver points";
    areatwin::io::VectorColumn name{"name", "receiver name", true, {}, {}};
    for (std::size_t i = 0; i < cloud.x.size(); ++i) {
        areatwin::Geometry g;
        g.kind = areatwin::Geometry::Kind::Point;
        g.points.push_back({cloud.x[i], cloud.y[i]});
        layer.geometries.push_back(std::move(g));
        name.texts.push_back(fmt::format("r{}", i));
    }
    layer.columns.push_back(std::move(name));
    areatwin::io::GeoPackageWriter writer(path, layer_grid);
    writer.add_vector(layer);
    writer.commit();
    return path;
}

areatwin::GridSpec rd_new_grid() {
    areatwin::GridSpec grid;
    grid.origin_x = 0.0;
    grid.origin_y = 650000.0;
    grid.cell_size_m = 100.0;
    grid.cols = 3000;
    grid.rows = 3500;
    grid.crs = "EPSG:28992";
    return grid;
}

// The same 100 000 receiver points around Utrecht, stored in RD New (no reprojection) or WGS 84.
void read_receivers(benchmark::State& state, int epsg) {
    const auto count = static_cast<std::size_t>(state.range(0));
    const PointCloud cloud = epsg == 4326 ? random_points(count, 4.9, 51.9, 5.3, 52.2)
                                          : random_points(count, 120000.0, 440000.0, 160000.0, 470000.0);
    const fs::path path = write_points(cloud, fmt::format("EPSG:{}", epsg), fmt::format("epsg{}", epsg));
    areatwin::io::SourceSpec source;
    source.role = "receivers";
    source.path = path;
    source.layer = "receivers";
    source.declared_at = "benchmark";
    const areatwin::GridSpec grid = rd_new_grid();
    for (auto _ : state) {
        areatwin::io::LoadReport report;
        const auto features = areatwin::io::read_vector(source, grid, grid.extent(), report);
        if (features.features.size() != count) state.SkipWithError("read_vector dropped points");
        benchmark::DoNotOptimize(features.features.data());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(count));
    fs::remove(path);
}

void BM_ReadVectorPointsRdNew(benchmark::State& state) { read_receivers(state, 28992); }
void BM_ReadVectorPointsWgs84ToRdNew(benchmark::State& state) { read_receivers(state, 4326); }
BENCHMARK(BM_ReadVectorPointsRdNew)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReadVectorPointsWgs84ToRdNew)->Arg(100000)->Unit(benchmark::kMillisecond);

// PROJ on coordinate arrays: the cost of the transformation alone.
void BM_ProjTransGeneric(benchmark::State& state, const char* source_crs, double min_x, double min_y, double max_x,
                         double max_y) {
    const auto count = static_cast<std::size_t>(state.range(0));
    PJ_CONTEXT* ctx = proj_context_create();
    PJ* raw = proj_create_crs_to_crs(ctx, source_crs, "EPSG:28992", nullptr);
    PJ* transform = raw != nullptr ? proj_normalize_for_visualization(ctx, raw) : nullptr;
    if (transform == nullptr) {
        state.SkipWithError("PROJ cannot build the transformation");
        if (raw != nullptr) proj_destroy(raw);
        proj_context_destroy(ctx);
        return;
    }
    const PointCloud cloud = random_points(count, min_x, min_y, max_x, max_y);
    PointCloud work = cloud;
    for (auto _ : state) {
        // In-place transformation: restore the inputs each time (a copy of 1.6 MB, <1% of the time).
        work = cloud;
        proj_trans_generic(transform, PJ_FWD, work.x.data(), sizeof(double), count, work.y.data(), sizeof(double),
                           count, nullptr, 0, 0, nullptr, 0, 0);
        benchmark::DoNotOptimize(work.x.data());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(count));
    proj_destroy(transform);
    proj_destroy(raw);
    proj_context_destroy(ctx);
}
BENCHMARK_CAPTURE(BM_ProjTransGeneric, wgs84_to_rd_new, "EPSG:4326", 4.9, 51.9, 5.3, 52.2)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond);
// Lambert-93 (France) to RD New: projected to projected through a datum change.
BENCHMARK_CAPTURE(BM_ProjTransGeneric, lambert93_to_rd_new, "EPSG:2154", 650000.0, 7000000.0, 750000.0, 7100000.0)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond);

}  // namespace
