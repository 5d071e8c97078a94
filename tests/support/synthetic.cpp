// SPDX-License-Identifier: GPL-3.0-or-later
#include "support/synthetic.hpp"

#include <unistd.h>

#include <cmath>
#include <memory>
#include <random>

#include "areatwin/engine/roles.hpp"

namespace areatwin::test {

GridSpec make_grid(std::int64_t cols, std::int64_t rows, double cell_size_m, double origin_x, double origin_y) {
    GridSpec g;
    g.cols = cols;
    g.rows = rows;
    g.cell_size_m = cell_size_m;
    g.origin_x = origin_x;
    g.origin_y = origin_y;
    g.crs = "EPSG:28992";
    return g;
}

Raster constant_raster(const GridSpec& grid, float value) { return Raster(grid.cols, grid.rows, value); }

Raster ramp_raster(const GridSpec& grid, float start, float step_per_col, float step_per_row) {
    Raster r(grid.cols, grid.rows);
    for (std::int64_t row = 0; row < grid.rows; ++row) {
        for (std::int64_t col = 0; col < grid.cols; ++col) {
            r.at(col, row) = start + step_per_col * static_cast<float>(col) + step_per_row * static_cast<float>(row);
        }
    }
    return r;
}

Raster random_raster(const GridSpec& grid, std::uint32_t seed, float lo, float hi) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(lo, hi);
    Raster r(grid.cols, grid.rows);
    for (auto& v : r.values()) v = dist(rng);
    return r;
}

Raster checkerboard_raster(const GridSpec& grid, std::int64_t square_cells, float a, float b) {
    Raster r(grid.cols, grid.rows);
    for (std::int64_t row = 0; row < grid.rows; ++row) {
        for (std::int64_t col = 0; col < grid.cols; ++col) {
            r.at(col, row) = ((col / square_cells + row / square_cells) % 2 == 0) ? a : b;
        }
    }
    return r;
}

void add_nodata(Raster& raster, std::uint32_t seed, double share) {
    std::mt19937 rng(seed);
    std::bernoulli_distribution pick(share);
    for (auto& v : raster.values()) {
        if (pick(rng)) v = Raster::nodata;
    }
}

LayerStack random_landcover_stack(const GridSpec& grid, std::uint32_t seed) {
    LayerStack stack(grid);
    const auto& classes = landcover_classes();
    std::vector<Raster> fractions;
    for (std::size_t i = 0; i < classes.size(); ++i) {
        fractions.push_back(random_raster(grid, seed + static_cast<std::uint32_t>(i), 0.0f, 1.0f));
    }
    for (std::int64_t k = 0; k < grid.cell_count(); ++k) {
        float total = 0.0f;
        for (auto& f : fractions) total += f.values()[static_cast<std::size_t>(k)];
        for (auto& f : fractions) f.values()[static_cast<std::size_t>(k)] /= total;
    }
    for (std::size_t i = 0; i < classes.size(); ++i) {
        stack.set_raster(layer::landcover_fraction(classes[i]), std::make_shared<const Raster>(std::move(fractions[i])));
    }
    return stack;
}

std::filesystem::path shared_data_dir() { return std::filesystem::path(AREATWIN_SHARED_DIR) / "data-real"; }

bool shared_data_present() { return std::filesystem::is_directory(shared_data_dir()); }

std::filesystem::path test_tmp_dir(const std::string& name) {
    // CTest runs tests as separate processes in parallel: keep each process in its own folder.
    const auto dir = std::filesystem::path(AREATWIN_TEST_TMP) / (name + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

}  // namespace areatwin::test
