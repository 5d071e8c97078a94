// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>

#include "areatwin/engine/indicator.hpp"
#include "areatwin/engine/layer_stack.hpp"

namespace areatwin::test {

// A synthetic stack holding every input the model declares, with plausible random values
// (fractions in [0, 1], heights in metres, elevations around 0-5 m) and, when nodata_share > 0,
// NaN in that share of each raster's cells. Feature roles get a small random set.
LayerStack synthetic_stack_for(const IndicatorModel& model, const GridSpec& grid, std::uint32_t seed,
                               double nodata_share);

}  // namespace areatwin::test
