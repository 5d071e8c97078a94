// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cmath>

#include "areatwin/engine/indicator.hpp"

namespace areatwin::indicators::green {

// NDVI of one cell from Sentinel-2 L2A digital numbers (green-method.md section 5):
// reflectance = (DN + boa_add_offset) / quantification_value, NDVI = (NIR - red) / (NIR + red).
// A negative reflectance (dark pixels after the offset) is taken as 0 [inference]; NaN when a DN is
// NaN or both reflectances are 0 (NDVI undefined).
double ndvi_from_dn(double red_dn, double nir_dn, double boa_add_offset, double quantification_value);
// The same with each band's own offset (the metadata declares BOA_ADD_OFFSET per band).
double ndvi_from_dn(double red_dn, double nir_dn, double red_offset, double nir_offset, double quantification_value);

// The vegetation class of an NDVI value: ANK thresholds (section 5): 0 water (< 0), 1 no vegetation
// [0, 0.1), 2 sparse vegetation [0.1, 0.2), 3 grassland or shrub [0.2, 0.4], 4 forest or productive
// crops (> 0.4); "hashim-2019": 0 water (< 0), 1 non-vegetation [0, 0.2), 3 shrub or grass [0.2, 0.5),
// 4 trees [0.5, 1]. NaN stays NaN.
double ndvi_class(double ndvi, bool hashim);

class GreenNdvi final : public Indicator {
public:
    [[nodiscard]] const IndicatorDescriptor& descriptor() const override;
    [[nodiscard]] std::unique_ptr<IndicatorModel> build(const Parameters& params) const override;
    [[nodiscard]] Parameters resolve(const Parameters& validated) const override;
};

}  // namespace areatwin::indicators::green
