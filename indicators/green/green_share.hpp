// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cmath>

#include <cstdint>
#include <vector>

#include "areatwin/engine/indicator.hpp"

namespace areatwin::indicators::green {

// The discretised disc of a radius: cells whose centre lies within radius_m of the centre cell's
// centre, as rectangles of rows with the same half-width (so a summed-area table sums it in
// 4 lookups per rectangle).
struct DiscRectangle {
    std::int64_t row_begin;   // offset from the centre row, inclusive
    std::int64_t row_end;     // exclusive
    std::int64_t half_width;  // columns -half_width .. +half_width
};
struct Disc {
    std::int64_t radius_cells = 0;          // largest row offset
    std::vector<std::int64_t> half_widths;  // per row offset -radius_cells .. +radius_cells
    std::vector<DiscRectangle> rectangles;
    [[nodiscard]] std::int64_t cell_count() const;
};
Disc make_disc(double radius_m, double cell_size_m);

// Disc sums over a summed-area table of a window of rows x cols cells (stride cols + 1, a zero first
// row and column): adds to acc[0 .. n) the sum over the disc around the window cells (row, col0 + i),
// the disc clipped to the window. Integer sums: exact in any order, so any tiling and any instruction
// set give the same bits. The unclipped middle of each rectangle is a branch-free loop that the
// compiler vectorises (an AVX2 clone is chosen at run time where the CPU has it).
void add_disc_sums(const Disc& disc, const std::int64_t* sat, std::int64_t rows, std::int64_t cols, std::int64_t row,
                   std::int64_t col0, std::int64_t n, std::int64_t* acc);
// The same with every lookup clamped (the loop before the split into clipped edges and a vectorised
// middle): the benchmark baseline of add_disc_sums.
void add_disc_sums_plain(const Disc& disc, const std::int64_t* sat, std::int64_t rows, std::int64_t cols,
                         std::int64_t row, std::int64_t col0, std::int64_t n, std::int64_t* acc);
// The number of disc cells around window cell (row, col) that lie inside the window.
std::int64_t disc_cells_in_window(const Disc& disc, std::int64_t rows, std::int64_t cols, std::int64_t row,
                                  std::int64_t col);
// The same for the window cells (row, col0 + i), i < n, into count[i]: the disc's cell count where the
// whole disc lies inside the window, disc_cells_in_window at the window's edges.
void disc_cells_in_window_row(const Disc& disc, std::int64_t rows, std::int64_t cols, std::int64_t row,
                              std::int64_t col0, std::int64_t n, std::int64_t* count);
// A green fraction (0..1) in integer units of 2^-scale_bits of a cell, rounded half away from zero as
// std::lround, without the library call.
inline std::int64_t fraction_units(float g, double scale) {
    const double x = static_cast<double>(g) * scale;
    return static_cast<std::int64_t>(x >= 0.0 ? std::floor(x + 0.5) : -std::floor(0.5 - x));
}

// Green fraction of one cell from the stack (NaN where any input is nodata).
struct GreenInputs {
    std::vector<const Raster*> class_fractions;  // the green land-cover classes present in the stack
    const Raster* canopy_fraction = nullptr;     // tree crowns, when counted
    [[nodiscard]] float green_fraction(std::int64_t col, std::int64_t row) const;
    // green_fraction of the cells (col0 + i, row), i < n, into out[i]: the same values, row by row.
    void green_fraction_row(std::int64_t col0, std::int64_t row, std::int64_t n, float* out) const;
};

// Plain reference: the share in percent at one cell by direct summation over the disc (the test
// oracle, the benchmark baseline and the explain path). NaN when the cell itself has no value.
struct DiscSum {
    double green_cells = 0.0;      // sum of green fractions over counted cells
    std::int64_t counted_cells = 0;
    std::int64_t nodata_cells = 0;
    std::int64_t disc_cells_in_grid = 0;
};
DiscSum green_disc_sum_reference(const GridSpec& grid, const GreenInputs& inputs, const Disc& disc,
                                 std::int64_t col, std::int64_t row, bool nodata_as_zero);

class GreenShare final : public Indicator {
public:
    [[nodiscard]] const IndicatorDescriptor& descriptor() const override;
    [[nodiscard]] std::unique_ptr<IndicatorModel> build(const Parameters& params) const override;
    [[nodiscard]] std::vector<Formula> formulas() const override;
};

}  // namespace areatwin::indicators::green
