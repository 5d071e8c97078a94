// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <vector>

#include "areatwin/engine/features.hpp"
#include "areatwin/engine/grid.hpp"
#include "areatwin/engine/raster.hpp"

namespace areatwin {

// Exact share of each cell covered by the polygons of `geometry`, added into `coverage`
// (so several features accumulate; clamp afterwards when they may overlap). Rings may have either
// orientation; holes are subtracted. Cost is proportional to the boundary cells plus the rows spanned.
void accumulate_coverage(const GridSpec& grid, const Geometry& geometry, Raster& coverage);
// The same into a row-major buffer of grid.cols x grid.rows doubles, for callers that need more than
// float precision (area balances over many cells).
void accumulate_coverage(const GridSpec& grid, const Geometry& geometry, std::vector<double>& coverage);

// Plain reference: coverage by s x s point sampling of every cell in the bounding box (test oracle).
void accumulate_coverage_reference(const GridSpec& grid, const Geometry& geometry, Raster& coverage,
                                   int samples_per_side);

// Sets `value` in every cell whose centre lies inside the polygons (burn-in, GDAL's default rule).
void burn_polygon(const GridSpec& grid, const Geometry& geometry, float value, Raster& target);

// Runs of cells whose centre lies inside the polygons (even-odd rule), clipped to the grid.
struct RowSpan { std::int64_t row; std::int64_t col_begin; std::int64_t col_end; };
std::vector<RowSpan> cell_center_spans(const GridSpec& grid, const Geometry& geometry);

// Cells a line geometry passes through, each once per part (supercover), as (col, row, length_m).
struct LineCell { std::int64_t col; std::int64_t row; double length_m; };
std::vector<LineCell> line_cells(const GridSpec& grid, const Geometry& geometry);

}  // namespace areatwin
