// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <memory>
#include <vector>

#include "areatwin/engine/indicator.hpp"

namespace areatwin::indicators::noise {

// noise.cnossos: CNOSSOS-EU road traffic noise on grid receivers (Lden, Lnight). Model card:
// indicators/noise/README.md.
class NoiseCnossos final : public Indicator {
public:
    [[nodiscard]] const IndicatorDescriptor& descriptor() const override;
    [[nodiscard]] std::unique_ptr<IndicatorModel> build(const Parameters& params) const override;
    [[nodiscard]] std::vector<Formula> formulas() const override;
};

// Per-period A-weighted levels at one point by the plain reference (every source point, no
// preselection): the oracle of the tiled kernel. NaN where the model gives nodata.
struct NoiseLevels {
    double lday_dba = 0.0;
    double levening_dba = 0.0;
    double lnight_dba = 0.0;
    double lden_dba = 0.0;
};
NoiseLevels noise_levels_reference(const IndicatorModel& model, const LayerStack& stack, double x, double y);

}  // namespace areatwin::indicators::noise
