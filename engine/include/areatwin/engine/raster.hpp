// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace areatwin {

// A float raster in row-major order. Nodata is NaN inside the engine; the GeoPackage writer
// maps it to -9999 because NaN cannot be a GeoPackage nodata value.
class Raster {
public:
    static constexpr float nodata = std::numeric_limits<float>::quiet_NaN();

    Raster() = default;
    Raster(std::int64_t cols, std::int64_t rows, float fill = nodata)
        : cols_(cols), rows_(rows), data_(static_cast<std::size_t>(cols * rows), fill) {}

    [[nodiscard]] std::int64_t cols() const { return cols_; }
    [[nodiscard]] std::int64_t rows() const { return rows_; }
    [[nodiscard]] std::int64_t size() const { return cols_ * rows_; }

    [[nodiscard]] float at(std::int64_t col, std::int64_t row) const {
        return data_[static_cast<std::size_t>(row * cols_ + col)];
    }
    float& at(std::int64_t col, std::int64_t row) {
        return data_[static_cast<std::size_t>(row * cols_ + col)];
    }
    [[nodiscard]] const float* row_ptr(std::int64_t row) const { return data_.data() + row * cols_; }
    float* row_ptr(std::int64_t row) { return data_.data() + row * cols_; }
    [[nodiscard]] const std::vector<float>& values() const { return data_; }
    std::vector<float>& values() { return data_; }

    static bool is_nodata(float v) { return std::isnan(v); }

    friend bool operator==(const Raster& a, const Raster& b);  // bitwise, NaN equal to NaN

private:
    std::int64_t cols_ = 0;
    std::int64_t rows_ = 0;
    std::vector<float> data_;
};

}  // namespace areatwin
