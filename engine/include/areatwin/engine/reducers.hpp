// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "areatwin/engine/grid.hpp"
#include "areatwin/engine/raster.hpp"

namespace areatwin {

// Partial statistics of one output over one area. Partials are built per block of rows and
// merged in block order, so the result does not depend on threads or compute tile size.
class AreaAccumulator {
public:
    explicit AreaAccumulator(std::vector<double> thresholds = {});

    // One cell: its value (NaN cells count toward area_nodata_m2 only), cell area and residents.
    void add(double value, double cell_area_m2, double residents);
    void merge(const AreaAccumulator& other);  // appends other after this

    struct Result {
        std::int64_t cells = 0;             // cells with a value
        double area_m2 = 0.0;               // area of cells with a value
        double area_nodata_m2 = 0.0;        // area of cells without a value
        double residents = 0.0;             // residents in cells with a value
        std::optional<double> mean, min, max, p10, p50, p90;
        std::optional<double> mean_pop_weighted;          // none when no residents
        std::vector<double> thresholds;
        std::vector<double> residents_above;              // residents with value > threshold
        std::vector<std::optional<double>> share_residents_above;  // in [0, 1]
    };
    [[nodiscard]] Result result() const;

private:
    std::vector<double> thresholds_;
    std::vector<float> values_;       // for exact percentiles, in merge order
    std::int64_t cells_ = 0;
    double area_m2_ = 0.0, area_nodata_m2_ = 0.0, residents_ = 0.0;
    double sum_ = 0.0, sum_pop_ = 0.0;
    double min_ = 0.0, max_ = 0.0;
    std::vector<double> residents_above_;
};

// Percentile with linear interpolation between closest ranks (as numpy's default), q in [0, 1].
double percentile(std::vector<float> values, double q);

// Statistics of `values` for each area. area_index holds the 0-based area of each cell (NaN
// outside every area, cells assigned by their centre); residents may be null (no population).
std::vector<AreaAccumulator::Result> reduce_by_area(const GridSpec& grid, const Raster& values,
                                                    const Raster& area_index, const Raster* residents,
                                                    std::size_t area_count,
                                                    const std::vector<double>& thresholds,
                                                    int threads = 0);

}  // namespace areatwin
