// SPDX-License-Identifier: GPL-3.0-or-later
#include "areatwin/engine/rasterize.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

#include <fmt/format.h>

#include "areatwin/engine/errors.hpp"

namespace areatwin {

namespace {

// Position in cell units: u grows east from the grid's west edge, v grows south from its north edge,
// so cell (col, row) is the unit square [col, col+1) x [row, row+1).
struct CellPoint {
    double u = 0.0;
    double v = 0.0;
};

CellPoint to_cells(const GridSpec& grid, const Point2& p) {
    return {(p.x - grid.origin_x) / grid.cell_size_m, (grid.origin_y - p.y) / grid.cell_size_m};
}

// Integer borders are only ever needed inside the grid; clamping before the cast keeps wild
// coordinates from overflowing the conversion.
std::int64_t clamped_floor(double value, std::int64_t lo, std::int64_t hi) {
    if (std::isnan(value)) return lo;
    const double clamped = std::clamp(std::floor(value), static_cast<double>(lo), static_cast<double>(hi));
    return static_cast<std::int64_t>(clamped);
}
std::int64_t clamped_ceil(double value, std::int64_t lo, std::int64_t hi) {
    if (std::isnan(value)) return lo;
    const double clamped = std::clamp(std::ceil(value), static_cast<double>(lo), static_cast<double>(hi));
    return static_cast<std::int64_t>(clamped);
}

// Splits the segment a -> b at every integer u in [u_lo, u_hi] and every integer v in [v_lo, v_hi]
// that lies strictly between its end points and calls piece(p, q) for each piece in order.
// Crossing points are interpolated from the segment's own end points, not from the previous piece,
// so rounding does not accumulate along long edges; the crossed coordinate is set exactly.
template <class PieceFn>
void split_at_cell_borders(CellPoint a, CellPoint b, std::int64_t u_lo, std::int64_t u_hi, std::int64_t v_lo,
                           std::int64_t v_hi, PieceFn&& piece) {
    const double du = b.u - a.u;
    const double dv = b.v - a.v;
    constexpr double none = std::numeric_limits<double>::infinity();

    std::int64_t k = 0;
    std::int64_t k_last = 0;
    std::int64_t k_step = 0;
    if (du > 0.0) {
        k = clamped_floor(a.u, u_lo - 1, u_hi) + 1;
        k_last = clamped_ceil(b.u, u_lo, u_hi + 1) - 1;
        k_step = 1;
    } else if (du < 0.0) {
        k = clamped_ceil(a.u, u_lo, u_hi + 1) - 1;
        k_last = clamped_floor(b.u, u_lo - 1, u_hi) + 1;
        k_step = -1;
    }
    std::int64_t m = 0;
    std::int64_t m_last = 0;
    std::int64_t m_step = 0;
    if (dv > 0.0) {
        m = clamped_floor(a.v, v_lo - 1, v_hi) + 1;
        m_last = clamped_ceil(b.v, v_lo, v_hi + 1) - 1;
        m_step = 1;
    } else if (dv < 0.0) {
        m = clamped_ceil(a.v, v_lo, v_hi + 1) - 1;
        m_last = clamped_floor(b.v, v_lo - 1, v_hi) + 1;
        m_step = -1;
    }
    auto k_left = [&] { return k_step != 0 && (k - k_last) * k_step <= 0; };
    auto m_left = [&] { return m_step != 0 && (m - m_last) * m_step <= 0; };

    CellPoint current = a;
    while (true) {
        const double t_u = k_left() ? (static_cast<double>(k) - a.u) / du : none;
        const double t_v = m_left() ? (static_cast<double>(m) - a.v) / dv : none;
        if (t_u == none && t_v == none) break;
        CellPoint next;
        if (t_u < t_v) {
            next = {static_cast<double>(k), a.v + t_u * dv};
            k += k_step;
        } else if (t_v < t_u) {
            next = {a.u + t_v * du, static_cast<double>(m)};
            m += m_step;
        } else {
            next = {static_cast<double>(k), static_cast<double>(m)};
            k += k_step;
            m += m_step;
        }
        piece(current, next);
        current = next;
    }
    piece(current, b);
}

// Clips a segment to lo <= v <= hi; returns false when nothing remains.
bool clip_v(CellPoint& a, CellPoint& b, double lo, double hi) {
    if ((a.v < lo && b.v < lo) || (a.v > hi && b.v > hi)) return false;
    const CellPoint a0 = a;
    const CellPoint b0 = b;
    const auto at_v = [&](double v) {
        const double t = (v - a0.v) / (b0.v - a0.v);
        return CellPoint{a0.u + t * (b0.u - a0.u), v};
    };
    if (a0.v < lo) a = at_v(lo);
    if (a0.v > hi) a = at_v(hi);
    if (b0.v < lo) b = at_v(lo);
    if (b0.v > hi) b = at_v(hi);
    return true;
}

// Clips a segment to the box [0, cols] x [0, rows] (Liang-Barsky); returns false when nothing remains.
bool clip_box(CellPoint& a, CellPoint& b, double cols, double rows) {
    const double du = b.u - a.u;
    const double dv = b.v - a.v;
    double t0 = 0.0;
    double t1 = 1.0;
    const double p[4] = {-du, du, -dv, dv};
    const double q[4] = {a.u, cols - a.u, a.v, rows - a.v};
    for (int i = 0; i < 4; ++i) {
        if (p[i] == 0.0) {
            if (q[i] < 0.0) return false;
            continue;
        }
        const double t = q[i] / p[i];
        if (p[i] < 0.0) t0 = std::max(t0, t);
        else t1 = std::min(t1, t);
    }
    if (t0 > t1) return false;
    const CellPoint a0 = a;
    if (t0 > 0.0) a = {a0.u + t0 * du, a0.v + t0 * dv};
    if (t1 < 1.0) b = {a0.u + t1 * du, a0.v + t1 * dv};
    // Interpolation can land a hair outside; the walk below expects the box.
    a = {std::clamp(a.u, 0.0, cols), std::clamp(a.v, 0.0, rows)};
    b = {std::clamp(b.u, 0.0, cols), std::clamp(b.v, 0.0, rows)};
    return true;
}

// A contribution of one boundary piece: `area` stays in its own cell, `cover` applies to every cell
// east of it in the row (the font rasteriser / exactextract decomposition).
struct CoverageRecord {
    std::int64_t row;
    std::int64_t col;
    double area;
    double cover;
};

double shoelace_xy(const Ring& ring) {
    const std::size_t n = ring.size();
    if (n < 3) return 0.0;
    const Point2 o = ring.front();
    double twice_area = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const Point2& a = ring[i];
        const Point2& b = ring[(i + 1) % n];
        twice_area += (a.x - o.x) * (b.y - o.y) - (b.x - o.x) * (a.y - o.y);
    }
    return twice_area;
}

void add_ring_records(const GridSpec& grid, const Ring& ring, double weight, std::vector<CoverageRecord>& records) {
    const auto cols = grid.cols;
    const auto rows = grid.rows;
    const double cols_d = static_cast<double>(cols);
    const double rows_d = static_cast<double>(rows);
    const std::size_t n = ring.size();
    for (std::size_t i = 0; i < n; ++i) {
        CellPoint a = to_cells(grid, ring[i]);
        CellPoint b = to_cells(grid, ring[(i + 1) % n]);
        // Horizontal edges change no row's cover and so contribute nothing.
        if (a.v == b.v) continue;
        if (!clip_v(a, b, 0.0, rows_d)) continue;
        // Everything east of the grid covers only cells east of the grid.
        if (a.u >= cols_d && b.u >= cols_d) continue;
        split_at_cell_borders(a, b, 0, cols, 0, rows, [&](const CellPoint& p, const CellPoint& q) {
            const double dv = q.v - p.v;
            if (dv == 0.0) return;
            const double u_mid = 0.5 * (p.u + q.u);
            if (u_mid >= cols_d) return;
            const std::int64_t row = clamped_floor(0.5 * (p.v + q.v), 0, rows - 1);
            if (u_mid <= 0.0) {
                // West of the grid: the whole strip of every cell in the row lies east of the piece.
                records.push_back({row, 0, weight * dv, weight * dv});
                return;
            }
            const std::int64_t col = clamped_floor(u_mid, 0, cols - 1);
            const double area = dv * (static_cast<double>(col + 1) - u_mid);
            records.push_back({row, col, weight * area, weight * dv});
        });
    }
}

// A NaN or infinite coordinate would poison every cell of its rows; readers should never produce
// one, so meeting it is a data error rather than something to skip silently.
void check_finite(const Geometry& geometry, const char* what) {
    const auto finite = [](const Point2& p) { return std::isfinite(p.x) && std::isfinite(p.y); };
    bool ok = true;
    for (const Polygon& polygon : geometry.polygons) {
        for (const Ring& ring : polygon.rings) ok = ok && std::all_of(ring.begin(), ring.end(), finite);
    }
    for (const auto& part : geometry.lines) ok = ok && std::all_of(part.begin(), part.end(), finite);
    if (!ok) throw DataError(fmt::format("{}: geometry has a NaN or infinite coordinate", what));
}

void check_grid(const GridSpec& grid, const char* what) {
    if (!(grid.cell_size_m > 0.0) || !std::isfinite(grid.origin_x) || !std::isfinite(grid.origin_y)) {
        throw InternalError(fmt::format("{}: grid has cell size {} m and origin {}, {}", what, grid.cell_size_m,
                                        grid.origin_x, grid.origin_y));
    }
}

void check_raster_matches(const GridSpec& grid, std::int64_t cols, std::int64_t rows, const char* what) {
    if (cols != grid.cols || rows != grid.rows) {
        throw InternalError(fmt::format("{}: raster is {}x{} cells but the grid is {}x{}", what, cols, rows,
                                        grid.cols, grid.rows));
    }
}

// Accumulation shared by the float raster and the double buffer; add(col, row, value) adds one cell.
template <class AddFn>
void accumulate_coverage_impl(const GridSpec& grid, const Geometry& geometry, AddFn&& add) {
    check_grid(grid, "accumulate_coverage");
    check_finite(geometry, "accumulate_coverage");
    if (grid.cols <= 0 || grid.rows <= 0) return;
    std::vector<CoverageRecord> records;
    for (const Polygon& polygon : geometry.polygons) {
        for (std::size_t r = 0; r < polygon.rings.size(); ++r) {
            const Ring& ring = polygon.rings[r];
            const double orientation = shoelace_xy(ring);
            if (orientation == 0.0) continue;
            // Walking a ring anticlockwise in x/y (positive shoelace) runs south along its west side,
            // which the records count as positive cover. Holes take the opposite sign.
            const double exterior_sign = r == 0 ? 1.0 : -1.0;
            const double weight = orientation > 0.0 ? exterior_sign : -exterior_sign;
            add_ring_records(grid, ring, weight, records);
        }
    }
    if (records.empty()) return;
    std::sort(records.begin(), records.end(), [](const CoverageRecord& l, const CoverageRecord& r) {
        return l.row != r.row ? l.row < r.row : l.col < r.col;
    });

    // Cover left over from round-off in a closed ring is ~1e-16; anything below this is not coverage.
    constexpr double negligible_cover = 1e-12;
    std::size_t i = 0;
    while (i < records.size()) {
        const std::int64_t row = records[i].row;
        double running_cover = 0.0;
        while (i < records.size() && records[i].row == row) {
            const std::int64_t col = records[i].col;
            double area = 0.0;
            double cover = 0.0;
            for (; i < records.size() && records[i].row == row && records[i].col == col; ++i) {
                area += records[i].area;
                cover += records[i].cover;
            }
            add(col, row, running_cover + area);
            running_cover += cover;
            // Interior cells up to the next boundary cell, or to the grid's east edge when the
            // polygon's east side lies outside the grid.
            const bool row_continues = i < records.size() && records[i].row == row;
            const std::int64_t fill_end = row_continues ? records[i].col : grid.cols;
            if (std::abs(running_cover) > negligible_cover) {
                for (std::int64_t c = col + 1; c < fill_end; ++c) add(c, row, running_cover);
            }
        }
    }
}

struct CenterCrossing {
    std::int64_t row;
    double x;
};

}  // namespace

void accumulate_coverage(const GridSpec& grid, const Geometry& geometry, Raster& coverage) {
    check_raster_matches(grid, coverage.cols(), coverage.rows(), "accumulate_coverage");
    accumulate_coverage_impl(grid, geometry, [&](std::int64_t col, std::int64_t row, double value) {
        float& cell = coverage.at(col, row);
        cell = static_cast<float>(static_cast<double>(cell) + value);
    });
}

void accumulate_coverage(const GridSpec& grid, const Geometry& geometry, std::vector<double>& coverage) {
    if (static_cast<std::int64_t>(coverage.size()) != grid.cell_count()) {
        throw InternalError(fmt::format("accumulate_coverage: buffer holds {} cells but the grid has {}",
                                        coverage.size(), grid.cell_count()));
    }
    accumulate_coverage_impl(grid, geometry, [&](std::int64_t col, std::int64_t row, double value) {
        coverage[static_cast<std::size_t>(row * grid.cols + col)] += value;
    });
}

void accumulate_coverage_reference(const GridSpec& grid, const Geometry& geometry, Raster& coverage,
                                   int samples_per_side) {
    check_raster_matches(grid, coverage.cols(), coverage.rows(), "accumulate_coverage_reference");
    if (samples_per_side < 1) {
        throw InternalError(fmt::format("accumulate_coverage_reference: samples_per_side must be at least 1, got {}",
                                        samples_per_side));
    }
    check_grid(grid, "accumulate_coverage_reference");
    check_finite(geometry, "accumulate_coverage_reference");
    if (geometry.polygons.empty() || grid.cols <= 0 || grid.rows <= 0) return;
    const Box2 box = geometry.bounds();
    const std::int64_t col_begin = clamped_floor((box.min_x - grid.origin_x) / grid.cell_size_m, 0, grid.cols);
    const std::int64_t col_end = clamped_floor((box.max_x - grid.origin_x) / grid.cell_size_m, -1, grid.cols - 1) + 1;
    const std::int64_t row_begin = clamped_floor((grid.origin_y - box.max_y) / grid.cell_size_m, 0, grid.rows);
    const std::int64_t row_end = clamped_floor((grid.origin_y - box.min_y) / grid.cell_size_m, -1, grid.rows - 1) + 1;
    const double s = static_cast<double>(samples_per_side);
    const double weight = 1.0 / (s * s);
    for (std::int64_t row = row_begin; row < row_end; ++row) {
        for (std::int64_t col = col_begin; col < col_end; ++col) {
            int inside = 0;
            for (int j = 0; j < samples_per_side; ++j) {
                const double y = grid.origin_y - (static_cast<double>(row) + (j + 0.5) / s) * grid.cell_size_m;
                for (int i = 0; i < samples_per_side; ++i) {
                    const double x = grid.origin_x + (static_cast<double>(col) + (i + 0.5) / s) * grid.cell_size_m;
                    if (geometry.contains({x, y})) ++inside;
                }
            }
            if (inside > 0) {
                float& cell = coverage.at(col, row);
                cell = static_cast<float>(static_cast<double>(cell) + inside * weight);
            }
        }
    }
}

std::vector<RowSpan> cell_center_spans(const GridSpec& grid, const Geometry& geometry) {
    check_grid(grid, "cell_center_spans");
    check_finite(geometry, "cell_center_spans");
    std::vector<RowSpan> spans;
    if (grid.cols <= 0 || grid.rows <= 0) return spans;
    std::vector<CenterCrossing> crossings;
    for (const Polygon& polygon : geometry.polygons) {
        for (const Ring& ring : polygon.rings) {
            const std::size_t n = ring.size();
            for (std::size_t i = 0, j = n - 1; i < n; j = i++) {
                // Same endpoint order and predicate as Geometry::contains, so a cell centre is in a
                // span exactly when contains() says so.
                const Point2& a = ring[i];
                const Point2& b = ring[j];
                if (a.y == b.y) continue;
                const double v_min = (grid.origin_y - std::max(a.y, b.y)) / grid.cell_size_m;
                const double v_max = (grid.origin_y - std::min(a.y, b.y)) / grid.cell_size_m;
                const std::int64_t row_first = clamped_floor(v_min - 0.5, 0, grid.rows);
                const std::int64_t row_last = clamped_floor(v_max - 0.5, -1, grid.rows - 1) + 1;
                for (std::int64_t row = std::max<std::int64_t>(0, row_first - 1);
                     row <= std::min(grid.rows - 1, row_last); ++row) {
                    const double y = grid.cell_center_y(row);
                    if ((a.y > y) != (b.y > y)) {
                        crossings.push_back({row, a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y)});
                    }
                }
            }
        }
    }
    std::sort(crossings.begin(), crossings.end(), [](const CenterCrossing& l, const CenterCrossing& r) {
        return l.row != r.row ? l.row < r.row : l.x < r.x;
    });

    // First column whose centre is at or east of x; centres west of the crossing are outside.
    const auto first_col_at_or_after = [&](double x) {
        std::int64_t c = clamped_floor((x - grid.origin_x) / grid.cell_size_m - 0.5, -1, grid.cols - 1) + 1;
        while (c < grid.cols && grid.cell_center_x(c) < x) ++c;
        while (c > 0 && grid.cell_center_x(c - 1) >= x) --c;
        return c;
    };
    for (std::size_t i = 0; i + 1 < crossings.size();) {
        const std::int64_t row = crossings[i].row;
        if (crossings[i + 1].row != row) {  // odd count only through degenerate rings
            ++i;
            continue;
        }
        const std::int64_t begin = first_col_at_or_after(crossings[i].x);
        const std::int64_t end = first_col_at_or_after(crossings[i + 1].x);
        if (begin < end) {
            if (!spans.empty() && spans.back().row == row && spans.back().col_end == begin) {
                spans.back().col_end = end;
            } else {
                spans.push_back({row, begin, end});
            }
        }
        i += 2;
    }
    return spans;
}

void burn_polygon(const GridSpec& grid, const Geometry& geometry, float value, Raster& target) {
    check_raster_matches(grid, target.cols(), target.rows(), "burn_polygon");
    for (const RowSpan& span : cell_center_spans(grid, geometry)) {
        float* row = target.row_ptr(span.row);
        std::fill(row + span.col_begin, row + span.col_end, value);
    }
}

std::vector<LineCell> line_cells(const GridSpec& grid, const Geometry& geometry) {
    check_grid(grid, "line_cells");
    check_finite(geometry, "line_cells");
    std::vector<LineCell> cells;
    if (grid.cols <= 0 || grid.rows <= 0) return cells;
    const double cols_d = static_cast<double>(grid.cols);
    const double rows_d = static_cast<double>(grid.rows);
    std::unordered_map<std::int64_t, std::size_t> index_of_cell;
    for (const auto& part : geometry.lines) {
        index_of_cell.clear();
        for (std::size_t i = 1; i < part.size(); ++i) {
            CellPoint a = to_cells(grid, part[i - 1]);
            CellPoint b = to_cells(grid, part[i]);
            if (a.u == b.u && a.v == b.v) continue;
            if (!clip_box(a, b, cols_d, rows_d)) continue;
            split_at_cell_borders(a, b, 0, grid.cols, 0, grid.rows, [&](const CellPoint& p, const CellPoint& q) {
                const double length_m = std::hypot(q.u - p.u, q.v - p.v) * grid.cell_size_m;
                if (length_m == 0.0) return;
                // A piece on a cell border goes to the cell east of a north-south border and south of
                // an east-west border (the half-open cell rule); on the grid's own east or south edge
                // that cell is outside.
                const double u_mid = 0.5 * (p.u + q.u);
                const double v_mid = 0.5 * (p.v + q.v);
                if (u_mid >= cols_d || v_mid >= rows_d) return;
                const std::int64_t col = clamped_floor(u_mid, 0, grid.cols - 1);
                const std::int64_t row = clamped_floor(v_mid, 0, grid.rows - 1);
                const std::int64_t key = row * grid.cols + col;
                const auto [it, inserted] = index_of_cell.try_emplace(key, cells.size());
                if (inserted) cells.push_back({col, row, length_m});
                else cells[it->second].length_m += length_m;
            });
        }
    }
    return cells;
}

}  // namespace areatwin
