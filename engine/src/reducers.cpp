// SPDX-License-Identifier: GPL-3.0-or-later
#include "areatwin/engine/reducers.hpp"

#include <algorithm>
#include <cmath>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/executor.hpp"

namespace areatwin {

AreaAccumulator::AreaAccumulator(std::vector<double> thresholds)
    : thresholds_(std::move(thresholds)), residents_above_(thresholds_.size(), 0.0) {}

void AreaAccumulator::add(double value, double cell_area_m2, double residents) {
    if (std::isnan(value)) {
        area_nodata_m2_ += cell_area_m2;
        return;
    }
    if (!(residents > 0.0)) residents = 0.0;
    if (cells_ == 0) {
        min_ = max_ = value;
    } else {
        min_ = std::min(min_, value);
        max_ = std::max(max_, value);
    }
    ++cells_;
    values_.push_back(static_cast<float>(value));
    area_m2_ += cell_area_m2;
    sum_ += value;
    residents_ += residents;
    sum_pop_ += value * residents;
    for (std::size_t i = 0; i < thresholds_.size(); ++i) {
        if (value > thresholds_[i]) residents_above_[i] += residents;
    }
}

void AreaAccumulator::merge(const AreaAccumulator& other) {
    if (other.thresholds_ != thresholds_) throw InternalError("merging area statistics with different thresholds");
    if (other.cells_ > 0) {
        if (cells_ == 0) {
            min_ = other.min_;
            max_ = other.max_;
        } else {
            min_ = std::min(min_, other.min_);
            max_ = std::max(max_, other.max_);
        }
    }
    cells_ += other.cells_;
    values_.insert(values_.end(), other.values_.begin(), other.values_.end());
    area_m2_ += other.area_m2_;
    area_nodata_m2_ += other.area_nodata_m2_;
    sum_ += other.sum_;
    residents_ += other.residents_;
    sum_pop_ += other.sum_pop_;
    for (std::size_t i = 0; i < thresholds_.size(); ++i) residents_above_[i] += other.residents_above_[i];
}

namespace {
double percentile_of_sorted(const std::vector<float>& values, double q) {
    const double pos = q * static_cast<double>(values.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const auto hi = std::min(lo + 1, values.size() - 1);
    const double frac = pos - static_cast<double>(lo);
    return static_cast<double>(values[lo]) + frac * (static_cast<double>(values[hi]) - static_cast<double>(values[lo]));
}
}  // namespace

double percentile(std::vector<float> values, double q) {
    if (values.empty()) throw InternalError("percentile of no values");
    std::sort(values.begin(), values.end());
    return percentile_of_sorted(values, q);
}

AreaAccumulator::Result AreaAccumulator::result() const {
    Result r;
    r.cells = cells_;
    r.area_m2 = area_m2_;
    r.area_nodata_m2 = area_nodata_m2_;
    r.residents = residents_;
    r.thresholds = thresholds_;
    r.residents_above = residents_above_;
    if (cells_ > 0) {
        r.mean = sum_ / static_cast<double>(cells_);
        r.min = min_;
        r.max = max_;
        auto sorted = values_;
        std::sort(sorted.begin(), sorted.end());
        r.p10 = percentile_of_sorted(sorted, 0.10);
        r.p50 = percentile_of_sorted(sorted, 0.50);
        r.p90 = percentile_of_sorted(sorted, 0.90);
    }
    if (residents_ > 0.0) r.mean_pop_weighted = sum_pop_ / residents_;
    for (std::size_t i = 0; i < thresholds_.size(); ++i) {
        r.share_residents_above.push_back(residents_ > 0.0 ? std::optional<double>(residents_above_[i] / residents_)
                                                           : std::nullopt);
    }
    return r;
}

std::vector<AreaAccumulator::Result> reduce_by_area(const GridSpec& grid, const Raster& values,
                                                    const Raster& area_index, const Raster* residents,
                                                    std::size_t area_count,
                                                    const std::vector<double>& thresholds, int threads) {
    // Row blocks are fixed (not the compute tiles), and partials merge in block order, so the
    // floating-point sums are the same for any thread count and any compute tile size.
    constexpr std::int64_t block_rows = 64;
    const auto blocks = static_cast<std::size_t>((grid.rows + block_rows - 1) / block_rows);
    std::vector<std::vector<AreaAccumulator>> partials(blocks);
    const double cell_area = grid.cell_area_m2();
    parallel_for_each(blocks, threads, [&](std::size_t b) {
        auto& acc = partials[b];
        acc.assign(area_count, AreaAccumulator(thresholds));
        const auto r0 = static_cast<std::int64_t>(b) * block_rows;
        const auto r1 = std::min(grid.rows, r0 + block_rows);
        for (std::int64_t row = r0; row < r1; ++row) {
            for (std::int64_t col = 0; col < grid.cols; ++col) {
                const float a = area_index.at(col, row);
                if (std::isnan(a)) continue;
                const auto idx = static_cast<std::size_t>(a);
                if (idx >= area_count) continue;
                const double pop = residents ? static_cast<double>(residents->at(col, row)) : 0.0;
                acc[idx].add(values.at(col, row), cell_area, std::isnan(pop) ? 0.0 : pop);
            }
        }
    });
    std::vector<AreaAccumulator> total(area_count, AreaAccumulator(thresholds));
    for (const auto& block : partials) {
        for (std::size_t i = 0; i < area_count; ++i) total[i].merge(block[i]);
    }
    std::vector<AreaAccumulator::Result> results;
    results.reserve(area_count);
    for (const auto& t : total) results.push_back(t.result());
    return results;
}

}  // namespace areatwin
