// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <vector>

#include "areatwin/engine/grid.hpp"

namespace areatwin {

// A rectangular window of cells [col0, col0 + cols) x [row0, row0 + rows).
struct Window {
    std::int64_t col0 = 0;
    std::int64_t row0 = 0;
    std::int64_t cols = 0;
    std::int64_t rows = 0;
    [[nodiscard]] std::int64_t cell_count() const { return cols * rows; }
    [[nodiscard]] std::int64_t col_end() const { return col0 + cols; }
    [[nodiscard]] std::int64_t row_end() const { return row0 + rows; }
    friend bool operator==(const Window&, const Window&) = default;
};

// A tile: the core window it writes, and the halo window (core grown by the halo, clipped to
// the grid) it may read.
struct Tile {
    std::size_t index = 0;
    Window core;
    Window halo;
};

// Tiles of at most tile_size x tile_size cells in row-major order, with a halo of halo_cells.
std::vector<Tile> make_tiles(const GridSpec& grid, std::int64_t tile_size, std::int64_t halo_cells);

// The window of the cells within halo_cells of one cell, clipped to the grid (what explain reads for that
// cell, as a tile's halo window is for its core).
Window cell_halo_window(const GridSpec& grid, std::int64_t col, std::int64_t row, std::int64_t halo_cells);

// Halo in whole cells for a halo in metres.
std::int64_t halo_cells_for(const GridSpec& grid, double halo_m);

}  // namespace areatwin
