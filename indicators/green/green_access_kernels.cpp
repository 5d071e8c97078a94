// SPDX-License-Identifier: GPL-3.0-or-later
#include "green/green_access_kernels.hpp"

#include "areatwin/engine/executor.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <queue>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace areatwin::indicators::green {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// One row of the separable transform: f[q] is the squared column distance of cell q (-1: no site in
// its column), d[q] receives the squared distance to the nearest site (an exact integer in double:
// below 2^42), -1 where the row has none.
// The lower envelope of the parabolas f[p] + (q - p)^2 (Felzenszwalb & Huttenlocher 2012) with the
// breakpoints kept as fractions num / den (den > 0) and compared by cross-multiplication: integer
// arithmetic only, exact and without a division in the loop. Magnitudes stay below 2^63 for grids
// of up to 2^20 cells a side (num < 2^42, den < 2^21).
void envelope_row(const std::int64_t* f, std::int64_t n, double* d, std::int64_t* v, std::int64_t* h,
                  std::int64_t* num, std::int64_t* den) {
    // v[0..k] are the sites of the envelope, h[k] = f[v[k]] + v[k]^2; breakpoint k lies between v[k-1] and v[k]
    std::int64_t k = -1;
    for (std::int64_t q = 0; q < n; ++q) {
        const std::int64_t fq = f[q];
        if (fq < 0) continue;
        const std::int64_t hq = fq + q * q;
        std::int64_t s_num = 0, s_den = 1;
        while (k >= 0) {
            s_num = hq - h[k];
            s_den = 2 * (q - v[k]);
            // Drop site p while the new parabola overtakes it at or before p's own breakpoint.
            if (k > 0 && s_num * den[k] <= num[k] * s_den) {
                --k;
            } else {
                break;
            }
        }
        ++k;
        v[k] = q;
        h[k] = hq;
        num[k] = s_num;
        den[k] = s_den;
    }
    if (k < 0) {
        std::fill(d, d + n, -1.0);
        return;
    }
    // A last breakpoint at +infinity ends the search below without a bound check (num and den hold n + 1).
    num[k + 1] = std::numeric_limits<std::int64_t>::max();
    den[k + 1] = 1;
    std::int64_t j = 0;
    for (std::int64_t q = 0; q < n; ++q) {
        // Move on while breakpoint j + 1 lies before q.
        while (num[j + 1] < q * den[j + 1]) ++j;
        // (q - p)^2 + f[p] = q^2 - 2 q p + h[j]
        d[q] = static_cast<double>(q * q - 2 * q * v[j] + h[j]);
    }
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define AREATWIN_EDT_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define AREATWIN_EDT_CLONES
#endif

// Distances in metres of one row from its squared distances in cells (-1: none, +inf): a branch-free
// loop the compiler vectorises (the file is built without errno and FP traps, which change no value;
// an AVX2 clone where the CPU has it; the same bits either way, as square root and products are
// correctly rounded).
AREATWIN_EDT_CLONES void metres_row(const double* __restrict d2, std::int64_t n, double cell_size_m,
                                    float* __restrict out) {
    constexpr float inf = std::numeric_limits<float>::infinity();
    for (std::int64_t i = 0; i < n; ++i) {
        const double x = d2[i];
        const double m = std::sqrt(x > 0.0 ? x : 0.0) * cell_size_m;
        out[i] = x < 0.0 ? inf : static_cast<float>(m);
    }
}

// The squared column distances of one row of the column pass (as float; +inf or rows and more: no site
// in the column, -1), vectorised as metres_row (rows < 2^20, so the distances fit in int32).
AREATWIN_EDT_CLONES void squares_row(const float* __restrict row, std::int64_t n, std::int32_t rows,
                                     std::int64_t* __restrict f) {
    const float cap = static_cast<float>(rows);
    for (std::int64_t i = 0; i < n; ++i) {
        const float x = row[i] < cap ? row[i] : cap;
        const auto g = static_cast<std::int32_t>(x);
        f[i] = g >= rows ? std::int64_t{-1} : static_cast<std::int64_t>(g) * g;
    }
}

// The column sweeps over one row of a block of columns: downward, out = 0 at a site, else the row above
// + 1; upward, out = min(out, the row below + 1). Separate functions with restrict pointers, so that the
// byte mask (which may alias anything) does not keep the loops from vectorising.
template <class T>
AREATWIN_EDT_CLONES void sweep_down(const std::uint8_t* __restrict mask, const T* __restrict above, std::size_t n,
                                    T* __restrict out) {
    for (std::size_t c = 0; c < n; ++c) out[c] = mask[c] != 0 ? T{0} : above[c] + T{1};
}
template <class T>
AREATWIN_EDT_CLONES void sweep_up(const T* __restrict below, std::size_t n, T* __restrict out) {
    for (std::size_t c = 0; c < n; ++c) out[c] = std::min(out[c], below[c] + T{1});
}

// The transform of the mask into out (row-major, cols x rows); emit(d2, n, row) writes a row from its
// squared distances (-1 for none). The column pass stores the column distance in out itself as T
// (exact integers up to 2^24 in float), the row pass reads a row back into integer buffers and
// overwrites it.
template <class T, class Emit>
void distance_transform_into(const std::vector<std::uint8_t>& mask, std::int64_t cols, std::int64_t rows,
                             int threads, T* out, Emit emit) {
    const auto n = static_cast<std::size_t>(cols * rows);
    const auto w = static_cast<std::size_t>(cols);
    if (n == 0) return;
    if (cols >= (std::int64_t{1} << 20) || rows >= (std::int64_t{1} << 20)) {
        throw std::invalid_argument("distance transform: grids are limited to 2^20 cells a side");
    }
    constexpr T none = std::numeric_limits<T>::infinity();
    // Column pass: on a 0/inf input the lower envelope of a column is the distance to the nearest
    // site in that column, so a downward and an upward sweep over the rows give it exactly, with
    // contiguous access. Blocks of columns are independent, so they run in parallel.
    constexpr std::size_t kBlockCols = 512;
    const auto col_blocks = (w + kBlockCols - 1) / kBlockCols;
    parallel_for_each(col_blocks, threads, [&](std::size_t b) {
        const auto c0 = b * kBlockCols, c1 = std::min(w, c0 + kBlockCols);
        for (auto c = c0; c < c1; ++c) out[c] = mask[c] != 0 ? T{0} : none;
        for (std::size_t i = w; i < n; i += w) sweep_down(mask.data() + i + c0, out + i + c0 - w, c1 - c0, out + i + c0);
        for (auto r = static_cast<std::size_t>(rows) - 1; r-- > 0;) {
            const auto i = r * w;
            sweep_up(out + i + c0 + w, c1 - c0, out + i + c0);
        }
    });
    // Row pass: rows in parallel blocks, each block with its own work buffers.
    constexpr std::int64_t kBlockRows = 32;
    const auto row_blocks = static_cast<std::size_t>((rows + kBlockRows - 1) / kBlockRows);
    parallel_for_each(row_blocks, threads, [&](std::size_t b) {
        std::vector<std::int64_t> buffers(5 * w + 2);
        std::vector<double> d2(w);
        std::int64_t* f = buffers.data();
        double* d = d2.data();
        std::int64_t* v = f + w;
        std::int64_t* h = v + w;
        std::int64_t* num = h + w;
        std::int64_t* den = num + w + 1;
        const auto r0 = static_cast<std::int64_t>(b) * kBlockRows, r1 = std::min(rows, r0 + kBlockRows);
        for (std::int64_t r = r0; r < r1; ++r) {
            T* row = out + r * cols;
            if constexpr (std::is_same_v<T, float>) {
                squares_row(row, cols, static_cast<std::int32_t>(rows), f);
            } else {
                for (std::size_t c = 0; c < w; ++c) {
                    const auto g = static_cast<std::int64_t>(std::min(row[c], static_cast<T>(rows)));
                    f[c] = g >= rows ? -1 : g * g;
                }
            }
            envelope_row(f, cols, d, v, h, num, den);
            emit(d, cols, row);
        }
    });
}

}  // namespace

std::vector<double> squared_distance_transform(const std::vector<std::uint8_t>& mask, std::int64_t cols,
                                               std::int64_t rows, int threads) {
    std::vector<double> d(static_cast<std::size_t>(std::max<std::int64_t>(0, cols * rows)));
    distance_transform_into(mask, cols, rows, threads, d.data(), [](const double* d2, std::int64_t n, double* row) {
        for (std::int64_t i = 0; i < n; ++i) row[i] = d2[i] < 0.0 ? kInf : d2[i];
    });
    return d;
}

void distance_transform_m(const std::vector<std::uint8_t>& mask, std::int64_t cols, std::int64_t rows,
                          double cell_size_m, int threads, float* out) {
    distance_transform_into(mask, cols, rows, threads, out, [cell_size_m](const double* d2, std::int64_t n, float* row) {
        metres_row(d2, n, cell_size_m, row);
    });
}

std::vector<double> squared_distance_transform_reference(const std::vector<std::uint8_t>& mask, std::int64_t cols,
                                                         std::int64_t rows) {
    std::vector<std::pair<std::int64_t, std::int64_t>> sites;
    for (std::int64_t r = 0; r < rows; ++r) {
        for (std::int64_t c = 0; c < cols; ++c) {
            if (mask[static_cast<std::size_t>(r * cols + c)] != 0) sites.emplace_back(c, r);
        }
    }
    std::vector<double> d(static_cast<std::size_t>(cols * rows), kInf);
    for (std::int64_t r = 0; r < rows; ++r) {
        for (std::int64_t c = 0; c < cols; ++c) {
            double best = kInf;
            for (const auto& [sc, sr] : sites) {
                const auto dc = static_cast<double>(sc - c), dr = static_cast<double>(sr - r);
                best = std::min(best, dc * dc + dr * dr);
            }
            d[static_cast<std::size_t>(r * cols + c)] = best;
        }
    }
    return d;
}

ParkMask find_parks(const std::vector<float>& green_fraction, std::int64_t cols, std::int64_t rows,
                    double cell_area_m2, double cell_min_fraction, double min_area_m2, int connectivity,
                    double max_perimeter_per_area) {
    ParkMask out;
    const auto n = static_cast<std::size_t>(cols * rows);
    out.qualifying.assign(n, 0);
    std::vector<std::uint8_t> seen(n, 0);
    const auto is_green = [&](std::size_t i) {
        const float g = green_fraction[i];
        return !std::isnan(g) && static_cast<double>(g) >= cell_min_fraction;
    };
    std::vector<std::int64_t> stack;
    std::vector<std::int64_t> component;
    static constexpr std::int64_t dc4[] = {1, -1, 0, 0}, dr4[] = {0, 0, 1, -1};
    static constexpr std::int64_t dc8[] = {1, -1, 0, 0, 1, 1, -1, -1}, dr8[] = {0, 0, 1, -1, 1, -1, 1, -1};
    const int neighbours = connectivity == 8 ? 8 : 4;
    const std::int64_t* dc = connectivity == 8 ? dc8 : dc4;
    const std::int64_t* dr = connectivity == 8 ? dr8 : dr4;
    // Serial flood fill in row-major order of seeds: the components and the order of the area sums do
    // not depend on tiles or threads.
    for (std::size_t seed = 0; seed < n; ++seed) {
        if (seen[seed] != 0 || !is_green(seed)) continue;
        ++out.parks_found;
        component.clear();
        stack.assign(1, static_cast<std::int64_t>(seed));
        seen[seed] = 1;
        double area = 0.0;
        while (!stack.empty()) {
            const auto i = stack.back();
            stack.pop_back();
            component.push_back(i);
            area += std::min(1.0, static_cast<double>(green_fraction[static_cast<std::size_t>(i)])) * cell_area_m2;
            const auto c = i % cols, r = i / cols;
            for (int k = 0; k < neighbours; ++k) {
                const auto nc = c + dc[k], nr = r + dr[k];
                if (nc < 0 || nr < 0 || nc >= cols || nr >= rows) continue;
                const auto j = static_cast<std::size_t>(nr * cols + nc);
                if (seen[j] != 0 || !is_green(j)) continue;
                seen[j] = 1;
                stack.push_back(static_cast<std::int64_t>(j));
            }
        }
        bool shape_ok = true;
        if (max_perimeter_per_area > 0.0) {
            // Perimeter: the cell sides between the component and cells outside it; sides on the grid
            // boundary are not counted (the green may go on beyond it).
            std::int64_t sides = 0;
            for (const auto i : component) {
                const auto c = i % cols, r = i / cols;
                for (int k = 0; k < 4; ++k) {
                    const auto nc = c + dc4[k], nr = r + dr4[k];
                    if (nc < 0 || nr < 0 || nc >= cols || nr >= rows) continue;
                    const auto j = static_cast<std::size_t>(nr * cols + nc);
                    // A green neighbour along an edge is in the same component (4 and 8 connectivity).
                    if (!is_green(j)) ++sides;
                }
            }
            const double perimeter = static_cast<double>(sides) * std::sqrt(cell_area_m2);
            shape_ok = area > 0.0 && perimeter / area <= max_perimeter_per_area;
        }
        if (shape_ok && area >= min_area_m2) {
            ++out.parks_qualifying;
            out.qualifying_areas_m2.push_back(area);
            for (const auto i : component) out.qualifying[static_cast<std::size_t>(i)] = 1;
        }
    }
    return out;
}

bool line_of_sight(const SightSurface& surface, const TreeObserver& tree, double target_x, double target_y,
                   double target_z_m) {
    const GridSpec& grid = *surface.grid;
    const double dx = target_x - tree.x, dy = target_y - tree.y;
    const double length = std::sqrt(dx * dx + dy * dy);
    const double step = 0.5 * grid.cell_size_m;
    const auto samples = static_cast<std::int64_t>(std::ceil(length / step));
    if (samples < 2) return true;
    const std::int64_t target_col = grid.col_of(target_x), target_row = grid.row_of(target_y);
    // A crown rasterised by cell centres reaches half a cell diagonal beyond its radius.
    const double own_crown_m = tree.crown_radius_m + 0.7072 * grid.cell_size_m;
    for (std::int64_t i = 1; i < samples; ++i) {
        const double t = static_cast<double>(i) / static_cast<double>(samples);
        if (t * length < own_crown_m) continue;
        const double px = tree.x + t * dx, py = tree.y + t * dy;
        const auto col = grid.col_of(px), row = grid.row_of(py);
        if (!grid.contains_cell(col, row) || (col == target_col && row == target_row)) continue;
        if (surface.buildings_only) {
            const float b = surface.building_height != nullptr ? surface.building_height->at(col, row) : 0.0f;
            if (!(b > 0.0f)) continue;
        }
        const float h = surface.dsm->at(col, row);
        if (std::isnan(h)) continue;
        const double line_z = tree.z_m + (target_z_m - tree.z_m) * t;
        if (static_cast<double>(h) > line_z) return false;
    }
    return true;
}

TreeIndex::TreeIndex(std::vector<TreeObserver> trees, const Box2& extent, double bucket_size_m)
    : trees_(std::move(trees)), min_x_(extent.min_x), min_y_(extent.min_y), bucket_m_(std::max(bucket_size_m, 1e-6)) {
    bucket_cols_ = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil((extent.max_x - extent.min_x) / bucket_m_)));
    bucket_rows_ = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil((extent.max_y - extent.min_y) / bucket_m_)));
    const auto buckets = static_cast<std::size_t>(bucket_cols_ * bucket_rows_);
    std::vector<std::int64_t> bucket_of(trees_.size());
    start_.assign(buckets + 1, 0);
    for (std::size_t t = 0; t < trees_.size(); ++t) {
        const auto bc = std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor((trees_[t].x - min_x_) / bucket_m_)), 0, bucket_cols_ - 1);
        const auto br = std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor((trees_[t].y - min_y_) / bucket_m_)), 0, bucket_rows_ - 1);
        bucket_of[t] = br * bucket_cols_ + bc;
        ++start_[static_cast<std::size_t>(bucket_of[t]) + 1];
    }
    for (std::size_t b = 0; b < buckets; ++b) start_[b + 1] += start_[b];
    order_.assign(trees_.size(), 0);
    std::vector<std::int64_t> fill(start_.begin(), start_.end() - 1);
    for (std::size_t t = 0; t < trees_.size(); ++t) {
        order_[static_cast<std::size_t>(fill[static_cast<std::size_t>(bucket_of[t])]++)] = static_cast<std::int64_t>(t);
    }
}

namespace {

Box2 bounds_of(const std::vector<Point2>& points) {
    Box2 box{kInf, kInf, -kInf, -kInf};
    for (const Point2& p : points) {
        box.min_x = std::min(box.min_x, p.x);
        box.min_y = std::min(box.min_y, p.y);
        box.max_x = std::max(box.max_x, p.x);
        box.max_y = std::max(box.max_y, p.y);
    }
    return box;
}

// Segments bucketed by their bounding box on a square grid; the candidate search of the noding.
class SegmentBuckets {
public:
    SegmentBuckets(const std::vector<Point2>& nodes, const std::vector<std::pair<std::int64_t, std::int64_t>>& segs,
                   double bucket_m)
        : nodes_(nodes), segs_(segs), size_(bucket_m) {
        if (nodes.empty()) return;
        const Box2 box = bounds_of(nodes);
        min_x_ = box.min_x;
        min_y_ = box.min_y;
        cols_ = static_cast<std::int64_t>(std::floor((box.max_x - box.min_x) / size_)) + 1;
        rows_ = static_cast<std::int64_t>(std::floor((box.max_y - box.min_y) / size_)) + 1;
        std::vector<std::int64_t> count(static_cast<std::size_t>(cols_ * rows_) + 1, 0);
        for (int pass = 0; pass < 2; ++pass) {
            for (std::size_t k = 0; k < segs_.size(); ++k) {
                const auto [c0, r0, c1, r1] = range_of(static_cast<std::int64_t>(k));
                for (auto r = r0; r <= r1; ++r) {
                    for (auto c = c0; c <= c1; ++c) {
                        const auto b = static_cast<std::size_t>(r * cols_ + c);
                        if (pass == 0) {
                            ++count[b + 1];
                        } else {
                            items_[static_cast<std::size_t>(fill_[b]++)] = static_cast<std::int64_t>(k);
                        }
                    }
                }
            }
            if (pass == 0) {
                for (std::size_t b = 1; b < count.size(); ++b) count[b] += count[b - 1];
                start_ = count;
                fill_.assign(count.begin(), count.end() - 1);
                items_.assign(static_cast<std::size_t>(count.back()), 0);
            }
        }
    }

    struct Range {
        std::int64_t c0, r0, c1, r1;
    };
    [[nodiscard]] Range range_of(std::int64_t k) const {
        const Point2& a = nodes_[static_cast<std::size_t>(segs_[static_cast<std::size_t>(k)].first)];
        const Point2& b = nodes_[static_cast<std::size_t>(segs_[static_cast<std::size_t>(k)].second)];
        return box_range(std::min(a.x, b.x), std::min(a.y, b.y), std::max(a.x, b.x), std::max(a.y, b.y));
    }
    [[nodiscard]] Range box_range(double x0, double y0, double x1, double y1) const {
        const auto clamp_to = [](double v, std::int64_t n) {
            return std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor(v)), 0, n - 1);
        };
        return {clamp_to((x0 - min_x_) / size_, cols_), clamp_to((y0 - min_y_) / size_, rows_),
                clamp_to((x1 - min_x_) / size_, cols_), clamp_to((y1 - min_y_) / size_, rows_)};
    }
    [[nodiscard]] std::int64_t buckets() const { return cols_ * rows_; }
    [[nodiscard]] std::int64_t cols() const { return cols_; }
    // The segments of bucket b, in segment order.
    template <class Fn>
    void each_in(std::int64_t b, Fn&& fn) const {
        for (auto i = start_[static_cast<std::size_t>(b)]; i < start_[static_cast<std::size_t>(b) + 1]; ++i) {
            fn(items_[static_cast<std::size_t>(i)]);
        }
    }

private:
    const std::vector<Point2>& nodes_;
    const std::vector<std::pair<std::int64_t, std::int64_t>>& segs_;
    double size_ = 50.0, min_x_ = 0.0, min_y_ = 0.0;
    std::int64_t cols_ = 0, rows_ = 0;
    std::vector<std::int64_t> start_, fill_, items_;
};

double cross(double ax, double ay, double bx, double by) { return ax * by - ay * bx; }

}  // namespace

WalkNetwork::WalkNetwork(const std::vector<std::vector<Point2>>& lines, const GridSpec& grid,
                         const std::vector<std::uint8_t>& park_mask, const NetworkNoding& noding) {
    // Vertices within 1 mm are one node (integer keys in millimetres, numbered in input order).
    std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t> node_of;
    const auto node = [&](const Point2& p) {
        const std::pair<std::int64_t, std::int64_t> key{std::llround(p.x * 1000.0), std::llround(p.y * 1000.0)};
        const auto [it, added] = node_of.emplace(key, static_cast<std::int64_t>(nodes_.size()));
        if (added) nodes_.push_back(p);
        return it->second;
    };
    // The segments of the lines as drawn, and the nodes where they are to be split.
    std::vector<std::pair<std::int64_t, std::int64_t>> raw;
    std::vector<std::int64_t> line_ends;
    for (const auto& line : lines) {
        const auto first = raw.size();
        for (std::size_t i = 1; i < line.size(); ++i) {
            const auto a = node(line[i - 1]), b = node(line[i]);
            if (a != b) raw.emplace_back(a, b);
        }
        if (raw.size() > first) {
            line_ends.push_back(raw[first].first);
            line_ends.push_back(raw.back().second);
        }
    }
    std::vector<std::vector<std::pair<double, std::int64_t>>> splits(raw.size());
    std::vector<std::pair<std::int64_t, std::int64_t>> joins;  // dead end -> its point on another line
    const auto point_of = [&](std::int64_t k, double t) {
        const Point2& a = nodes_[static_cast<std::size_t>(raw[static_cast<std::size_t>(k)].first)];
        const Point2& b = nodes_[static_cast<std::size_t>(raw[static_cast<std::size_t>(k)].second)];
        return Point2{a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)};
    };
    const auto split = [&](std::int64_t k, double t, std::int64_t id) {
        const auto& [a, b] = raw[static_cast<std::size_t>(k)];
        if (id != a && id != b) splits[static_cast<std::size_t>(k)].emplace_back(t, id);
    };

    if (noding.mode != NetworkNoding::Mode::SharedVertices && !raw.empty()) {
        const double tol = noding.tolerance_m;
        const SegmentBuckets index(nodes_, raw, std::max(50.0, 4.0 * tol));
        if (noding.mode == NetworkNoding::Mode::Crossings) {
            // Every pair of segments in a bucket, tested in the first bucket both cover.
            std::vector<std::pair<double, double>> found;
            for (std::int64_t b = 0; b < index.buckets(); ++b) {
                const auto bc = b % index.cols(), br = b / index.cols();
                std::vector<std::int64_t> here;
                index.each_in(b, [&](std::int64_t k) { here.push_back(k); });
                for (std::size_t i = 0; i < here.size(); ++i) {
                    const auto ri = index.range_of(here[i]);
                    const auto& [a1, b1] = raw[static_cast<std::size_t>(here[i])];
                    const Point2 p = nodes_[static_cast<std::size_t>(a1)], q = nodes_[static_cast<std::size_t>(b1)];
                    for (std::size_t j = i + 1; j < here.size(); ++j) {
                        const auto rj = index.range_of(here[j]);
                        if (std::max(ri.c0, rj.c0) != bc || std::max(ri.r0, rj.r0) != br) continue;
                        const auto& [a2, b2] = raw[static_cast<std::size_t>(here[j])];
                        if (a1 == a2 || a1 == b2 || b1 == a2 || b1 == b2) continue;
                        const Point2 r = nodes_[static_cast<std::size_t>(a2)], s2 = nodes_[static_cast<std::size_t>(b2)];
                        const double ex = q.x - p.x, ey = q.y - p.y, fx = s2.x - r.x, fy = s2.y - r.y;
                        const double denom = cross(ex, ey, fx, fy);
                        if (denom == 0.0) continue;  // parallel or collinear
                        const double t = cross(r.x - p.x, r.y - p.y, fx, fy) / denom;
                        const double u = cross(r.x - p.x, r.y - p.y, ex, ey) / denom;
                        if (t < 0.0 || t > 1.0 || u < 0.0 || u > 1.0) continue;
                        const auto id = node(point_of(here[i], t));
                        const auto before = splits[static_cast<std::size_t>(here[i])].size() +
                                            splits[static_cast<std::size_t>(here[j])].size();
                        split(here[i], t, id);
                        split(here[j], u, id);
                        if (splits[static_cast<std::size_t>(here[i])].size() + splits[static_cast<std::size_t>(here[j])].size() >
                            before) {
                            ++joined_crossings_;
                        }
                    }
                }
            }
        }
        // Dead ends: line ends that only one segment meets.
        std::vector<std::int64_t> degree(nodes_.size(), 0);
        for (const auto& [a, b] : raw) ++degree[static_cast<std::size_t>(a)], ++degree[static_cast<std::size_t>(b)];
        std::sort(line_ends.begin(), line_ends.end());
        line_ends.erase(std::unique(line_ends.begin(), line_ends.end()), line_ends.end());
        for (const auto e : line_ends) {
            if (degree[static_cast<std::size_t>(e)] != 1) continue;
            const Point2 pe = nodes_[static_cast<std::size_t>(e)];
            const auto box = index.box_range(pe.x - tol, pe.y - tol, pe.x + tol, pe.y + tol);
            std::int64_t best = -1;
            double best_d = kInf, best_t = 0.0;
            for (auto r = box.r0; r <= box.r1; ++r) {
                for (auto c = box.c0; c <= box.c1; ++c) {
                    index.each_in(r * index.cols() + c, [&](std::int64_t k) {
                        const auto& [a, b] = raw[static_cast<std::size_t>(k)];
                        if (a == e || b == e) return;
                        const Point2& pa = nodes_[static_cast<std::size_t>(a)];
                        const Point2& pb = nodes_[static_cast<std::size_t>(b)];
                        const double dx = pb.x - pa.x, dy = pb.y - pa.y;
                        const double t = std::clamp(((pe.x - pa.x) * dx + (pe.y - pa.y) * dy) / (dx * dx + dy * dy), 0.0, 1.0);
                        const double d = std::hypot(pa.x + t * dx - pe.x, pa.y + t * dy - pe.y);
                        if (d <= tol && (d < best_d || (d == best_d && k < best))) best = k, best_d = d, best_t = t;
                    });
                }
            }
            if (best < 0) continue;
            // The line is split at the dead end's nearest point; a gap becomes an edge of its length.
            const auto id = node(point_of(best, best_t));
            split(best, best_t, id);
            if (id != e) joins.emplace_back(e, id);
            ++joined_dead_ends_;
        }
    }

    // Edges: each drawn segment cut at its splits, then the joins of dead ends.
    const auto add_edge = [&](std::int64_t a, std::int64_t b) {
        if (a == b) return;
        const Point2 p = nodes_[static_cast<std::size_t>(a)], q = nodes_[static_cast<std::size_t>(b)];
        Segment seg;
        seg.a = a;
        seg.b = b;
        seg.length_m = std::hypot(q.x - p.x, q.y - p.y);
        // Parameters where the edge crosses a cell edge; between two of them it lies in one cell.
        std::vector<double> ts{0.0, 1.0};
        const auto crossings = [&](double from, double to, double origin, double step) {
            if (from == to) return;
            const double lo = std::min(from, to), hi = std::max(from, to);
            for (auto k = static_cast<std::int64_t>(std::ceil((lo - origin) / step));
                 origin + static_cast<double>(k) * step <= hi; ++k) {
                const double t = (origin + static_cast<double>(k) * step - from) / (to - from);
                if (t > 0.0 && t < 1.0) ts.push_back(t);
            }
        };
        crossings(p.x, q.x, grid.origin_x, grid.cell_size_m);
        // Rows count down from origin_y; the lines y = origin_y - k * size are the same set.
        crossings(p.y, q.y, grid.origin_y, grid.cell_size_m);
        std::sort(ts.begin(), ts.end());
        for (std::size_t k = 1; k < ts.size(); ++k) {
            const double t0 = ts[k - 1], t1 = ts[k];
            if (t1 <= t0) continue;
            const double tm = 0.5 * (t0 + t1);
            const double x = p.x + tm * (q.x - p.x), y = p.y + tm * (q.y - p.y);
            const auto c = grid.col_of(x), r = grid.row_of(y);
            if (!grid.contains_cell(c, r) || park_mask[static_cast<std::size_t>(r * grid.cols + c)] == 0) continue;
            if (!seg.in_park.empty() && seg.in_park.back().second == t0) {
                seg.in_park.back().second = t1;
            } else {
                seg.in_park.emplace_back(t0, t1);
            }
        }
        segments_.push_back(std::move(seg));
    };
    for (std::size_t k = 0; k < raw.size(); ++k) {
        auto& cuts = splits[k];
        std::sort(cuts.begin(), cuts.end());
        std::int64_t from = raw[k].first;
        for (const auto& [t, id] : cuts) {
            if (id == from) continue;
            add_edge(from, id);
            from = id;
        }
        add_edge(from, raw[k].second);
    }
    for (const auto& [e, id] : joins) add_edge(e, id);

    // Multi-source Dijkstra: a node starts at its distance along an incident segment to that
    // segment's nearest park part.
    const auto n = nodes_.size();
    node_distance_.assign(n, kInf);
    std::vector<std::vector<std::pair<std::int64_t, double>>> adjacent(n);
    for (const Segment& seg : segments_) {
        adjacent[static_cast<std::size_t>(seg.a)].emplace_back(seg.b, seg.length_m);
        adjacent[static_cast<std::size_t>(seg.b)].emplace_back(seg.a, seg.length_m);
        if (seg.in_park.empty()) continue;
        entrances_ += static_cast<std::int64_t>(seg.in_park.size());
        auto& da = node_distance_[static_cast<std::size_t>(seg.a)];
        auto& db = node_distance_[static_cast<std::size_t>(seg.b)];
        da = std::min(da, seg.in_park.front().first * seg.length_m);
        db = std::min(db, (1.0 - seg.in_park.back().second) * seg.length_m);
    }
    using Item = std::pair<double, std::int64_t>;
    std::priority_queue<Item, std::vector<Item>, std::greater<>> heap;
    for (std::size_t i = 0; i < n; ++i) {
        if (std::isfinite(node_distance_[i])) heap.emplace(node_distance_[i], static_cast<std::int64_t>(i));
    }
    while (!heap.empty()) {
        const auto [d, u] = heap.top();
        heap.pop();
        if (d > node_distance_[static_cast<std::size_t>(u)]) continue;
        for (const auto& [v, w] : adjacent[static_cast<std::size_t>(u)]) {
            const double dv = d + w;
            if (dv < node_distance_[static_cast<std::size_t>(v)]) {
                node_distance_[static_cast<std::size_t>(v)] = dv;
                heap.emplace(dv, v);
            }
        }
    }

    // Segment buckets.
    if (segments_.empty()) return;
    const Box2 box = bounds_of(nodes_);
    min_x_ = box.min_x;
    min_y_ = box.min_y;
    bucket_m_ = std::max(50.0, grid.cell_size_m);
    bucket_cols_ = static_cast<std::int64_t>(std::floor((box.max_x - box.min_x) / bucket_m_)) + 1;
    bucket_rows_ = static_cast<std::int64_t>(std::floor((box.max_y - box.min_y) / bucket_m_)) + 1;
    std::vector<std::vector<std::int64_t>> buckets(static_cast<std::size_t>(bucket_cols_ * bucket_rows_));
    for (std::size_t k = 0; k < segments_.size(); ++k) {
        const Point2& a = nodes_[static_cast<std::size_t>(segments_[k].a)];
        const Point2& b = nodes_[static_cast<std::size_t>(segments_[k].b)];
        const auto c0 = static_cast<std::int64_t>(std::floor((std::min(a.x, b.x) - min_x_) / bucket_m_));
        const auto c1 = static_cast<std::int64_t>(std::floor((std::max(a.x, b.x) - min_x_) / bucket_m_));
        const auto r0 = static_cast<std::int64_t>(std::floor((std::min(a.y, b.y) - min_y_) / bucket_m_));
        const auto r1 = static_cast<std::int64_t>(std::floor((std::max(a.y, b.y) - min_y_) / bucket_m_));
        for (auto r = r0; r <= r1; ++r) {
            for (auto c = c0; c <= c1; ++c) buckets[static_cast<std::size_t>(r * bucket_cols_ + c)].push_back(static_cast<std::int64_t>(k));
        }
    }
    bucket_start_.assign(buckets.size() + 1, 0);
    for (std::size_t b = 0; b < buckets.size(); ++b) {
        bucket_start_[b + 1] = bucket_start_[b] + static_cast<std::int64_t>(buckets[b].size());
        bucket_items_.insert(bucket_items_.end(), buckets[b].begin(), buckets[b].end());
    }
}

WalkNetwork::Snap WalkNetwork::snap_to(std::int64_t segment, double x, double y) const {
    const Segment& seg = segments_[static_cast<std::size_t>(segment)];
    const Point2& a = nodes_[static_cast<std::size_t>(seg.a)];
    const Point2& b = nodes_[static_cast<std::size_t>(seg.b)];
    const double dx = b.x - a.x, dy = b.y - a.y;
    const double t = std::clamp(((x - a.x) * dx + (y - a.y) * dy) / (dx * dx + dy * dy), 0.0, 1.0);
    return {segment, std::hypot(a.x + t * dx - x, a.y + t * dy - y), t};
}

WalkNetwork::Snap WalkNetwork::snap(double x, double y, double snap_max_m, bool reference) const {
    Snap best;
    best.distance_m = kInf;
    const auto consider = [&](std::int64_t k) {
        const Snap s = snap_to(k, x, y);
        if (s.distance_m > snap_max_m) return;
        if (s.distance_m < best.distance_m || (s.distance_m == best.distance_m && k < best.segment)) best = s;
    };
    if (reference) {
        for (std::int64_t k = 0; k < segment_count(); ++k) consider(k);
        return best;
    }
    if (segments_.empty()) return best;
    const auto clamp_to = [](double v, std::int64_t n) {
        return std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor(v)), 0, n - 1);
    };
    if (x + snap_max_m < min_x_ || y + snap_max_m < min_y_) return best;
    const auto c0 = clamp_to((x - snap_max_m - min_x_) / bucket_m_, bucket_cols_);
    const auto c1 = clamp_to((x + snap_max_m - min_x_) / bucket_m_, bucket_cols_);
    const auto r0 = clamp_to((y - snap_max_m - min_y_) / bucket_m_, bucket_rows_);
    const auto r1 = clamp_to((y + snap_max_m - min_y_) / bucket_m_, bucket_rows_);
    for (auto r = r0; r <= r1; ++r) {
        for (auto c = c0; c <= c1; ++c) {
            const auto b = static_cast<std::size_t>(r * bucket_cols_ + c);
            for (auto i = bucket_start_[b]; i < bucket_start_[b + 1]; ++i) consider(bucket_items_[static_cast<std::size_t>(i)]);
        }
    }
    return best;
}

double WalkNetwork::from_snap(const Snap& s, const std::vector<double>& node_distance) const {
    if (s.segment < 0) return kInf;
    const Segment& seg = segments_[static_cast<std::size_t>(s.segment)];
    double best = std::min(s.t * seg.length_m + node_distance[static_cast<std::size_t>(seg.a)],
                           (1.0 - s.t) * seg.length_m + node_distance[static_cast<std::size_t>(seg.b)]);
    for (const auto& [t0, t1] : seg.in_park) {
        const double along = s.t < t0 ? t0 - s.t : s.t > t1 ? s.t - t1 : 0.0;
        best = std::min(best, along * seg.length_m);
    }
    return s.distance_m + best;
}

double WalkNetwork::distance_from(double x, double y, double snap_max_m) const {
    return from_snap(snap(x, y, snap_max_m, false), node_distance_);
}

double WalkNetwork::distance_from_reference(double x, double y, double snap_max_m) const {
    const Snap s = snap(x, y, snap_max_m, true);
    if (s.segment < 0) return kInf;
    // Bellman-Ford from the snapped point over every segment until nothing changes.
    std::vector<double> d(nodes_.size(), kInf);
    const Segment& start = segments_[static_cast<std::size_t>(s.segment)];
    d[static_cast<std::size_t>(start.a)] = s.t * start.length_m;
    d[static_cast<std::size_t>(start.b)] = std::min(d[static_cast<std::size_t>(start.b)], (1.0 - s.t) * start.length_m);
    for (bool changed = true; changed;) {
        changed = false;
        for (const Segment& seg : segments_) {
            auto& da = d[static_cast<std::size_t>(seg.a)];
            auto& db = d[static_cast<std::size_t>(seg.b)];
            if (da + seg.length_m < db) db = da + seg.length_m, changed = true;
            if (db + seg.length_m < da) da = db + seg.length_m, changed = true;
        }
    }
    double best = kInf;
    for (const auto& [t0, t1] : start.in_park) {
        best = std::min(best, (s.t < t0 ? t0 - s.t : s.t > t1 ? s.t - t1 : 0.0) * start.length_m);
    }
    for (const Segment& seg : segments_) {
        if (seg.in_park.empty()) continue;
        best = std::min(best, d[static_cast<std::size_t>(seg.a)] + seg.in_park.front().first * seg.length_m);
        best = std::min(best, d[static_cast<std::size_t>(seg.b)] + (1.0 - seg.in_park.back().second) * seg.length_m);
    }
    return s.distance_m + best;
}

}  // namespace areatwin::indicators::green
