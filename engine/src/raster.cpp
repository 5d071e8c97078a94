// SPDX-License-Identifier: GPL-3.0-or-later
#include "areatwin/engine/raster.hpp"

#include <cstring>

namespace areatwin {

bool operator==(const Raster& a, const Raster& b) {
    if (a.cols_ != b.cols_ || a.rows_ != b.rows_) return false;
    // Bitwise, so -0.0 differs from 0.0 and NaN payloads are compared too: the determinism
    // guarantee is about bits, not about values.
    return a.data_.empty() ||
           std::memcmp(a.data_.data(), b.data_.data(), a.data_.size() * sizeof(float)) == 0;
}

}  // namespace areatwin
