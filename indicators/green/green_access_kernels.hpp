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
// envelope of parabolas, in integer arithmetic), in cells squared, from every cell centre to the
// nearest cell with mask != 0. Cells with no mask cell anywhere get +infinity. Every result is an
// exact integer. Grids up to 2^20 cells a side (std::invalid_argument beyond).
// Column and row blocks run on up to `threads` threads (0: all); the result is the same for any count.
std::vector<double> squared_distance_transform(const std::vector<std::uint8_t>& mask, std::int64_t cols,
                                               std::int64_t rows, int threads = 1);
// The same transform as distances in metres, float(sqrt(squared distance) x cell_size_m), written to
// out[0 .. cols x rows) (which holds the column pass in between: no second grid-sized buffer).
void distance_transform_m(const std::vector<std::uint8_t>& mask, std::int64_t cols, std::int64_t rows,
                          double cell_size_m, int threads, float* out);
// Plain reference: brute force over every mask cell (O(cells x mask cells)); the test oracle.
std::vector<double> squared_distance_transform_reference(const std::vector<std::uint8_t>& mask, std::int64_t cols,
                                                         std::int64_t rows);

// Contiguous green merged into parks, parks of at least min_area_m2 kept. A cell is green when its
// green fraction is at least cell_min_fraction (NaN is never green); a park's area is the sum of the
// green fractions of its cells times the cell area. connectivity is 4 or 8. With max_perimeter_per_area
// > 0 (1/m) a park also needs perimeter / area at most that (zh_open's strip filter, 0.35: strips of
// about 6 m and wider); the perimeter counts the cell sides between the park and other cells, so a
// diagonal edge counts as its staircase (up to sqrt(2) times its length), sides on the grid edge not.
struct ParkMask {
    std::vector<std::uint8_t> qualifying;  // 1 for cells of a park of at least the minimum area
    std::int64_t parks_found = 0;           // contiguous green components
    std::int64_t parks_qualifying = 0;
    std::vector<double> qualifying_areas_m2;  // in the order the components were found (row-major)
};
ParkMask find_parks(const std::vector<float>& green_fraction, std::int64_t cols, std::int64_t rows,
                    double cell_area_m2, double cell_min_fraction, double min_area_m2, int connectivity,
                    double max_perimeter_per_area = 0.0);

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

// How the lines of the walking network are joined into one graph (green-method.md section 1.3
// network_to_entrance needs a connected network; real road and path layers are often not noded).
//  - shared_vertices: lines meet only where they share a vertex (within 1 mm), as OSM ways at junctions;
//  - endpoints: also a dead end (a line end that no other line shares) within tolerance_m of another
//    line is joined to its nearest point on that line (an undershoot of a T-junction), by an edge of the
//    gap's length; the line it meets is split there;
//  - crossings: also every point where two segments cross or touch becomes a node of both (a layer
//    drawn without noding, footpaths over a square); collinear overlaps are not joined.
struct NetworkNoding {
    enum class Mode { SharedVertices, Endpoints, Crossings };
    Mode mode = Mode::Endpoints;
    double tolerance_m = 0.5;
};

// The walking network for park_distance: network (green-method.md section 1.3
// g300.distance_mode network_to_entrance, g300.entrances "walkable way x green-edge intersections").
// Lines become edges between consecutive vertices, joined as NetworkNoding says; vertices closer than
// 1 mm are one node. Each edge knows the exact parts of it that run through qualifying park cells (from
// the crossings of its cell edges); an entrance is where an edge enters such a part. Node distances are
// network distances to the nearest entrance (multi-source Dijkstra, ties broken by node number).
class WalkNetwork {
public:
    WalkNetwork() = default;
    WalkNetwork(const std::vector<std::vector<Point2>>& lines, const GridSpec& grid,
                const std::vector<std::uint8_t>& park_mask, const NetworkNoding& noding = {});

    // Distance from (x, y) along the network to the nearest entrance: the Euclidean distance to the
    // nearest point of the network (within snap_max_m; ties: the lower segment number) plus the
    // network distance from there. +inf when no segment lies within snap_max_m or no entrance is
    // reachable.
    [[nodiscard]] double distance_from(double x, double y, double snap_max_m) const;
    // Plain reference: the nearest segment by scanning every segment, the network distances by
    // Bellman-Ford relaxation from the snapped point (no heap, no index); the test oracle.
    [[nodiscard]] double distance_from_reference(double x, double y, double snap_max_m) const;

    [[nodiscard]] std::int64_t node_count() const { return static_cast<std::int64_t>(nodes_.size()); }
    [[nodiscard]] std::int64_t segment_count() const { return static_cast<std::int64_t>(segments_.size()); }
    [[nodiscard]] std::int64_t entrance_count() const { return entrances_; }
    // Joins made by the noding: dead ends joined to another line, crossings made nodes.
    [[nodiscard]] std::int64_t joined_dead_ends() const { return joined_dead_ends_; }
    [[nodiscard]] std::int64_t joined_crossings() const { return joined_crossings_; }
    [[nodiscard]] double node_distance(std::int64_t node) const { return node_distance_[static_cast<std::size_t>(node)]; }

    struct Segment {
        std::int64_t a = 0, b = 0;  // node numbers
        double length_m = 0.0;
        // Parameter ranges [t0, t1] of 0..1 (a to b) inside qualifying park cells, ascending, merged.
        std::vector<std::pair<double, double>> in_park;
    };

private:
    struct Snap {
        std::int64_t segment = -1;
        double distance_m = 0.0;
        double t = 0.0;  // position on the segment, 0 at a, 1 at b
    };
    [[nodiscard]] Snap snap(double x, double y, double snap_max_m, bool reference) const;
    [[nodiscard]] double from_snap(const Snap& s, const std::vector<double>& node_distance) const;
    [[nodiscard]] Snap snap_to(std::int64_t segment, double x, double y) const;

    std::vector<Point2> nodes_;
    std::vector<Segment> segments_;
    std::vector<double> node_distance_;
    std::int64_t entrances_ = 0;
    std::int64_t joined_dead_ends_ = 0, joined_crossings_ = 0;
    // Segments bucketed by bounding box on a coarse grid.
    double min_x_ = 0.0, min_y_ = 0.0, bucket_m_ = 50.0;
    std::int64_t bucket_cols_ = 0, bucket_rows_ = 0;
    std::vector<std::int64_t> bucket_start_, bucket_items_;
};

}  // namespace areatwin::indicators::green
