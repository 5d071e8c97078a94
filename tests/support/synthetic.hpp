// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "areatwin/engine/grid.hpp"
#include "areatwin/engine/layer_stack.hpp"
#include "areatwin/engine/raster.hpp"

namespace areatwin::test {

// Synthetic layers (as PDAL's FauxReader) so most tests need no files.
GridSpec make_grid(std::int64_t cols, std::int64_t rows, double cell_size_m = 10.0,
                   double origin_x = 120000.0, double origin_y = 481000.0);
Raster constant_raster(const GridSpec& grid, float value);
Raster ramp_raster(const GridSpec& grid, float start, float step_per_col, float step_per_row);
Raster random_raster(const GridSpec& grid, std::uint32_t seed, float lo, float hi);
Raster checkerboard_raster(const GridSpec& grid, std::int64_t square_cells, float a, float b);
// Sprinkles NaN into a share of the cells (deterministic for a seed).
void add_nodata(Raster& raster, std::uint32_t seed, double share);

// A stack with random land-cover fractions per class that sum to 1 in every cell.
LayerStack random_landcover_stack(const GridSpec& grid, std::uint32_t seed);

// Paths for tests.
std::filesystem::path shared_data_dir();     // ../shared/data-real
bool shared_data_present();
std::filesystem::path test_tmp_dir(const std::string& name);  // fresh, empty folder per name and process

// A fresh folder (test_tmp_dir) removed again when the test ends.
struct TempDir {
    explicit TempDir(const std::string& name) : path(test_tmp_dir(name)) {}
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::filesystem::path path;
};

}  // namespace areatwin::test
