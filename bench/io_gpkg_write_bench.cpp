// SPDX-License-Identifier: GPL-3.0-or-later
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <unistd.h>

#include "areatwin/io/gpkg_writer.hpp"

namespace {

namespace fs = std::filesystem;

// A smooth field with fine texture, like an indicator output; the TIFF tiles store it verbatim, so
// the values matter only in that they are not all equal.
areatwin::Raster indicator_like_raster(std::int64_t side) {
    areatwin::Raster raster(side, side, 0.0f);
    for (std::int64_t row = 0; row < side; ++row) {
        for (std::int64_t col = 0; col < side; ++col) {
            const auto x = static_cast<double>(col);
            const auto y = static_cast<double>(row);
            raster.at(col, row) = static_cast<float>(50.0 + 30.0 * std::sin(x * 0.013) * std::cos(y * 0.017) +
                                                     static_cast<double>((col * 7919 + row * 104729) % 1000) * 0.001);
        }
    }
    return raster;
}

// range(0): raster side in cells. Bytes are the Float32 payload (side^2 x 4); each iteration writes
// a new GeoPackage with one raster table and commits it (rename into place), then removes it.
void BM_GeoPackageWriteRaster(benchmark::State& state) {
    const std::int64_t side = state.range(0);
    areatwin::GridSpec grid;
    grid.origin_x = 150000.0;
    grid.origin_y = 470000.0;
    grid.cell_size_m = 10.0;
    grid.cols = side;
    grid.rows = side;
    const areatwin::Raster raster = indicator_like_raster(side);
    const fs::path destination = fs::temp_directory_path() / fmt::format("areatwin_bench_write_{}.gpkg", ::getpid());
    areatwin::io::RasterLayerOut layer;
    layer.table = "baseline__green_share_r300";
    layer.description = "share of green land cover within 300 m";
    layer.unit = "%";
    layer.raster = &raster;
    layer.style = {"green", 0.0, 100.0};
    std::int64_t file_bytes = 0;
    for (auto _ : state) {
        {
            areatwin::io::GeoPackageWriter writer(destination, grid);
            writer.add_raster(layer);
            writer.commit();
        }
        file_bytes = static_cast<std::int64_t>(fs::file_size(destination));
        fs::remove(destination);
    }
    state.SetBytesProcessed(state.iterations() * side * side * static_cast<std::int64_t>(sizeof(float)));
    state.SetItemsProcessed(state.iterations() * side * side);
    state.counters["file_MB"] = static_cast<double>(file_bytes) / 1e6;
}
BENCHMARK(BM_GeoPackageWriteRaster)->Arg(2000)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
