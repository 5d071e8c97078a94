// SPDX-License-Identifier: GPL-3.0-or-later
#include "green/green_access_kernels.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace areatwin::indicators::green {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// One-dimensional squared distance transform of f (finite values only enter the envelope) into d.
void distance_1d(const double* f, std::int64_t n, std::int64_t stride, double* d, std::vector<std::int64_t>& v,
                 std::vector<double>& z) {
    std::int64_t k = -1;
    for (std::int64_t q = 0; q < n; ++q) {
        const double fq = f[q * stride];
        if (!std::isfinite(fq)) continue;
        const auto qd = static_cast<double>(q);
        while (k >= 0) {
            const auto p = v[static_cast<std::size_t>(k)];
            const auto pd = static_cast<double>(p);
            const double s = ((fq + qd * qd) - (f[p * stride] + pd * pd)) / (2.0 * qd - 2.0 * pd);
            if (s <= z[static_cast<std::size_t>(k)]) {
                --k;
            } else {
                break;
            }
        }
        ++k;
        v[static_cast<std::size_t>(k)] = q;
        if (k == 0) {
            z[0] = -kInf;
        } else {
            const auto p = v[static_cast<std::size_t>(k - 1)];
            const auto pd = static_cast<double>(p);
            z[static_cast<std::size_t>(k)] = ((fq + qd * qd) - (f[p * stride] + pd * pd)) / (2.0 * qd - 2.0 * pd);
        }
        z[static_cast<std::size_t>(k + 1)] = kInf;
    }
    if (k < 0) {
        for (std::int64_t q = 0; q < n; ++q) d[q * stride] = kInf;
        return;
    }
    std::int64_t j = 0;
    for (std::int64_t q = 0; q < n; ++q) {
        const auto qd = static_cast<double>(q);
        while (z[static_cast<std::size_t>(j + 1)] < qd) ++j;
        const auto p = v[static_cast<std::size_t>(j)];
        const double dq = qd - static_cast<double>(p);
        d[q * stride] = dq * dq + f[p * stride];
    }
}

}  // namespace

std::vector<double> squared_distance_transform(const std::vector<std::uint8_t>& mask, std::int64_t cols,
                                               std::int64_t rows) {
    const auto n = static_cast<std::size_t>(cols * rows);
    std::vector<double> f(n);
    for (std::size_t i = 0; i < n; ++i) f[i] = mask[i] != 0 ? 0.0 : kInf;
    std::vector<double> tmp(n);
    const auto longest = static_cast<std::size_t>(std::max(cols, rows));
    std::vector<std::int64_t> v(longest + 1);
    std::vector<double> z(longest + 2);
    // Columns first, then rows: both passes are exact, the order only changes the memory walk.
    for (std::int64_t c = 0; c < cols; ++c) distance_1d(f.data() + c, rows, cols, tmp.data() + c, v, z);
    for (std::int64_t r = 0; r < rows; ++r) distance_1d(tmp.data() + r * cols, cols, 1, f.data() + r * cols, v, z);
    return f;
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
                    double cell_area_m2, double cell_min_fraction, double min_area_m2, int connectivity) {
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
        if (area >= min_area_m2) {
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

}  // namespace areatwin::indicators::green
