// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <memory>
#include <vector>

#include "areatwin/engine/indicator.hpp"

namespace areatwin::indicators::heat {

// heat.tmrt: SOLWEIG-style mean radiant temperature with UTCI and PET (MEMI) (tier B).
class HeatTmrt final : public Indicator {
public:
    [[nodiscard]] const IndicatorDescriptor& descriptor() const override;
    [[nodiscard]] std::unique_ptr<IndicatorModel> build(const Parameters& params) const override;
    // pet (MEMI, the pinned reference person by default).
    [[nodiscard]] std::vector<Formula> formulas() const override;
};

}  // namespace areatwin::indicators::heat
