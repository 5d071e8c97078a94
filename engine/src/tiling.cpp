// SPDX-License-Identifier: GPL-3.0-or-later
#include "areatwin/engine/tiling.hpp"

#include <algorithm>
#include <cmath>

#include "areatwin/engine/errors.hpp"

namespace areatwin {

std::vector<Tile> make_tiles(const GridSpec& grid, std::int64_t tile_size, std::int64_t halo_cells) {
    if (tile_size < 1) throw ConfigError("tile size must be at least 1 cell");
    if (halo_cells < 0) throw InternalError("negative halo");
    std::vector<Tile> tiles;
    for (std::int64_t row0 = 0; row0 < grid.rows; row0 += tile_size) {
        for (std::int64_t col0 = 0; col0 < grid.cols; col0 += tile_size) {
            Tile t;
            t.index = tiles.size();
            t.core = {col0, row0, std::min(tile_size, grid.cols - col0), std::min(tile_size, grid.rows - row0)};
            const auto hc0 = std::max<std::int64_t>(0, col0 - halo_cells);
            const auto hr0 = std::max<std::int64_t>(0, row0 - halo_cells);
            const auto hc1 = std::min(grid.cols, t.core.col_end() + halo_cells);
            const auto hr1 = std::min(grid.rows, t.core.row_end() + halo_cells);
            t.halo = {hc0, hr0, hc1 - hc0, hr1 - hr0};
            tiles.push_back(t);
        }
    }
    return tiles;
}

std::int64_t halo_cells_for(const GridSpec& grid, double halo_m) {
    if (!(halo_m >= 0.0)) throw InternalError("negative or NaN halo");
    return static_cast<std::int64_t>(std::ceil(halo_m / grid.cell_size_m));
}

Window cell_halo_window(const GridSpec& grid, std::int64_t col, std::int64_t row, std::int64_t halo_cells) {
    Window win;
    win.col0 = std::max<std::int64_t>(0, col - halo_cells);
    win.row0 = std::max<std::int64_t>(0, row - halo_cells);
    win.cols = std::min(grid.cols, col + halo_cells + 1) - win.col0;
    win.rows = std::min(grid.rows, row + halo_cells + 1) - win.row0;
    return win;
}

}  // namespace areatwin
