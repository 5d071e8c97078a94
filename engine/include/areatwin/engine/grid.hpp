// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

namespace areatwin {

struct Point2 {
    double x = 0.0;
    double y = 0.0;
    friend bool operator==(const Point2&, const Point2&) = default;
};

struct Box2 {
    double min_x = 0.0;
    double min_y = 0.0;
    double max_x = 0.0;
    double max_y = 0.0;

    [[nodiscard]] bool intersects(const Box2& o) const {
        return min_x <= o.max_x && o.min_x <= max_x && min_y <= o.max_y && o.min_y <= max_y;
    }
    [[nodiscard]] bool empty() const { return !(max_x > min_x && max_y > min_y); }
};

// A north-up grid. The origin is the top-left corner (minimum x, maximum y) as in GDAL;
// row 0 is the northernmost row and column 0 the westernmost column.
struct GridSpec {
    double origin_x = 0.0;
    double origin_y = 0.0;
    double cell_size_m = 10.0;
    std::int64_t cols = 0;
    std::int64_t rows = 0;
    std::string crs = "EPSG:28992";  // any definition PROJ accepts (EPSG code, WKT)

    [[nodiscard]] std::int64_t cell_count() const { return cols * rows; }
    [[nodiscard]] double cell_area_m2() const { return cell_size_m * cell_size_m; }
    [[nodiscard]] double cell_center_x(std::int64_t col) const {
        return origin_x + (static_cast<double>(col) + 0.5) * cell_size_m;
    }
    [[nodiscard]] double cell_center_y(std::int64_t row) const {
        return origin_y - (static_cast<double>(row) + 0.5) * cell_size_m;
    }
    [[nodiscard]] Box2 extent() const {
        return {origin_x, origin_y - static_cast<double>(rows) * cell_size_m,
                origin_x + static_cast<double>(cols) * cell_size_m, origin_y};
    }
    // Column and row of the cell containing (x, y); may lie outside the grid.
    [[nodiscard]] std::int64_t col_of(double x) const {
        return static_cast<std::int64_t>(std::floor((x - origin_x) / cell_size_m));
    }
    [[nodiscard]] std::int64_t row_of(double y) const {
        return static_cast<std::int64_t>(std::floor((origin_y - y) / cell_size_m));
    }
    [[nodiscard]] bool contains_cell(std::int64_t col, std::int64_t row) const {
        return col >= 0 && row >= 0 && col < cols && row < rows;
    }
    // Grid covering a box, snapped outward to whole cells from the box's minimum corner.
    static GridSpec covering(const Box2& box, double cell_size_m, std::string crs);

    friend bool operator==(const GridSpec&, const GridSpec&) = default;
};

}  // namespace areatwin
