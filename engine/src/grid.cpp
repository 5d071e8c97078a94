// SPDX-License-Identifier: GPL-3.0-or-later
#include "areatwin/engine/grid.hpp"

#include <cmath>

#include "areatwin/engine/errors.hpp"

namespace areatwin {

GridSpec GridSpec::covering(const Box2& box, double cell_size_m, std::string crs) {
    if (!(cell_size_m > 0.0) || !std::isfinite(cell_size_m)) {
        throw ConfigError("cell size must be a positive number of metres");
    }
    if (box.empty()) throw ConfigError("the area is empty (its bounding box has no extent)");
    GridSpec grid;
    grid.cell_size_m = cell_size_m;
    grid.crs = std::move(crs);
    // Snap outward to whole multiples of the cell size so grids of the same cell size align.
    grid.origin_x = std::floor(box.min_x / cell_size_m) * cell_size_m;
    grid.origin_y = std::ceil(box.max_y / cell_size_m) * cell_size_m;
    const double max_x = std::ceil(box.max_x / cell_size_m) * cell_size_m;
    const double min_y = std::floor(box.min_y / cell_size_m) * cell_size_m;
    grid.cols = static_cast<std::int64_t>(std::llround((max_x - grid.origin_x) / cell_size_m));
    grid.rows = static_cast<std::int64_t>(std::llround((grid.origin_y - min_y) / cell_size_m));
    return grid;
}

}  // namespace areatwin
