// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "areatwin/engine/grid.hpp"
#include "areatwin/engine/raster.hpp"

// Kernels of green.access, each with the plain reference implementation it is tested against.
namespace areatwin::indicators::green {

// Exact squared Euclidean distance transform (Felzenszwalb & Huttenlocher 2012, separable lower
// envelope of parabolas), in cells squared, from every cell centre to the nearest cell with
// mask != 0. Cells with no mask cell anywhere get +infinity. Integer inputs make every result an
// exact integer in double precision.
std::vector<double> squared_distance_transform(const std::vector<std::uint8_t>& mask, std::int64_t cols,
                                               std::int64_t rows);
// Plain reference: brute force over every mask cell (O(cells x mask cells)); the test oracle.
std::vector<double> squared_distance_transform_reference(const std::vector<std::uint8_t>& mask, std::int64_t cols,
                                                         std::int64_t rows);

// Contiguous green merged into parks, parks of at least min_area_m2 kept. A cell is green when its
// green fraction is at least cell_min_fraction (NaN is never green); a park's area is the sum of the
// green fractions of its cells times the cell area. connectivity is 4 or 8.
struct ParkMask {
    std::vector<std::uint8_t> qualifying;  // 1 for cells of a park of at least the minimum area
    std::int64_t parks_found = 0;           // contiguous green components
    std::int64_t parks_qualifying = 0;
    std::vector<double> qualifying_areas_m2;  // in the order the components were found (row-major)
};
ParkMask find_parks(const std::vector<float>& green_fraction, std::int64_t cols, std::int64_t rows,
                    double cell_area_m2, double cell_min_fraction, double min_area_m2, int connectivity);

// A tree as an observer of the reverse viewshed: the crown top (x, y, z above datum) and its crown.
struct TreeObserver {
    double x = 0.0;
    double y = 0.0;
    double z_m = 0.0;             // observer height above datum (crown top)
    double crown_radius_m = 0.0;  // samples inside the own crown are not tested
    double height_m = 0.0;        // tree height above ground (for the minimum-height filter)
    bool crown_known = false;     // crown diameter given in the data
};

// What blocks a line of sight: the DSM where a building stands ('buildings'), or the whole DSM
// ('surface': buildings, other crowns and terrain).
struct SightSurface {
    const GridSpec* grid = nullptr;
    const Raster* dsm = nullptr;
    const Raster* building_height = nullptr;  // may be null: no buildings
    bool buildings_only = true;
};

// Line of sight from the observer to a target point at height target_z_m above datum: the segment
// is sampled every half cell; it is blocked when a sampled cell's blocking surface lies above the
// segment. Samples inside the observer's own crown (radius plus half a cell diagonal) and in the
// target's cell are skipped; cells outside the grid or without data do not block.
bool line_of_sight(const SightSurface& surface, const TreeObserver& tree, double target_x, double target_y,
                   double target_z_m);

// Trees bucketed on a coarse grid so a target finds the trees within a radius in a few buckets.
class TreeIndex {
public:
    TreeIndex() = default;
    TreeIndex(std::vector<TreeObserver> trees, const Box2& extent, double bucket_size_m);
    // Calls fn(tree index) for every tree whose point lies within radius_m of (x, y), in a fixed order.
    template <typename Fn>
    void for_each_within(double x, double y, double radius_m, Fn&& fn) const;
    [[nodiscard]] const std::vector<TreeObserver>& trees() const { return trees_; }

private:
    std::vector<TreeObserver> trees_;
    double min_x_ = 0.0, min_y_ = 0.0, bucket_m_ = 1.0;
    std::int64_t bucket_cols_ = 0, bucket_rows_ = 0;
    std::vector<std::int64_t> start_;  // CSR: trees of bucket b are order_[start_[b] .. start_[b + 1])
    std::vector<std::int64_t> order_;
};

template <typename Fn>
void TreeIndex::for_each_within(double x, double y, double radius_m, Fn&& fn) const {
    if (trees_.empty()) return;
    const auto clamp_col = [&](double v) {
        return std::max<std::int64_t>(0, std::min<std::int64_t>(bucket_cols_ - 1, static_cast<std::int64_t>(std::floor((v - min_x_) / bucket_m_))));
    };
    const auto clamp_row = [&](double v) {
        return std::max<std::int64_t>(0, std::min<std::int64_t>(bucket_rows_ - 1, static_cast<std::int64_t>(std::floor((v - min_y_) / bucket_m_))));
    };
    const double r2 = radius_m * radius_m;
    for (std::int64_t br = clamp_row(y - radius_m); br <= clamp_row(y + radius_m); ++br) {
        for (std::int64_t bc = clamp_col(x - radius_m); bc <= clamp_col(x + radius_m); ++bc) {
            const auto b = static_cast<std::size_t>(br * bucket_cols_ + bc);
            for (auto k = start_[b]; k < start_[b + 1]; ++k) {
                const auto t = static_cast<std::size_t>(order_[static_cast<std::size_t>(k)]);
                const double dx = trees_[t].x - x, dy = trees_[t].y - y;
                if (dx * dx + dy * dy <= r2) fn(t);
            }
        }
    }
}

}  // namespace areatwin::indicators::green
