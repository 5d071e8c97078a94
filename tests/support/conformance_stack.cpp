// SPDX-License-Identifier: GPL-3.0-or-later
#include "support/conformance_stack.hpp"

#include <memory>
#include <stdexcept>

#include "areatwin/engine/roles.hpp"
#include "support/synthetic.hpp"

namespace areatwin::test {

LayerStack synthetic_stack_for(const IndicatorModel& model, const GridSpec& grid, std::uint32_t seed,
                               double nodata_share) {
    LayerStack stack(grid);
    std::uint32_t s = seed;
    for (const auto& name : model.inputs()) {
        if (find_role(name)) {
            // Feature roles: indicators that read them add their synthetic generator here.
            throw std::runtime_error("no synthetic features for role '" + name + "' yet");
        }
        float lo = 0.0f, hi = 1.0f;
        if (name == layer::dem || name == layer::dsm) hi = 5.0f;
        if (name == layer::building_height || name == layer::canopy_height) hi = 25.0f;
        if (name == layer::residents || name == layer::dwellings) hi = 10.0f;
        auto r = random_raster(grid, ++s, lo, hi);
        if (nodata_share > 0.0) add_nodata(r, ++s, nodata_share);
        stack.set_raster(name, std::make_shared<const Raster>(std::move(r)));
    }
    return stack;
}

}  // namespace areatwin::test
