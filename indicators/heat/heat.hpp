// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <memory>
#include <vector>

#include "areatwin/engine/indicator.hpp"

namespace areatwin::indicators::heat {

// heat.pet: the Dutch standard PET regression (tier A), averaged over the afternoon of a standard day.
class HeatPet final : public Indicator {
public:
    [[nodiscard]] const IndicatorDescriptor& descriptor() const override;
    [[nodiscard]] std::unique_ptr<IndicatorModel> build(const Parameters& params) const override;
    // sun_position, utci, wetbulb_stull, uhi_max, pet_dpra, wind_reduction.
    [[nodiscard]] std::vector<Formula> formulas() const override;
};

}  // namespace areatwin::indicators::heat
