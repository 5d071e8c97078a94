// SPDX-License-Identifier: GPL-3.0-or-later
#include "areatwin/indicators/all.hpp"

#include "air/air_traffic.hpp"
#include "green/green_access.hpp"
#include "green/green_ndvi.hpp"
#include "green/green_share.hpp"
#include "heat/heat.hpp"
#include "heat/heat_tmrt.hpp"
#include "noise/noise_cnossos.hpp"

namespace areatwin::indicators {

void register_all(IndicatorRegistry& registry) {
    registry.add(std::make_unique<green::GreenShare>());
    registry.add(std::make_unique<green::GreenAccess>());
    registry.add(std::make_unique<green::GreenNdvi>());
    registry.add(std::make_unique<noise::NoiseCnossos>());
    registry.add(std::make_unique<air::AirTraffic>());
    registry.add(std::make_unique<heat::HeatPet>());
    registry.add(std::make_unique<heat::HeatTmrt>());
}

const IndicatorRegistry& builtin_registry() {
    static const IndicatorRegistry registry = [] {
        IndicatorRegistry r;
        register_all(r);
        return r;
    }();
    return registry;
}

}  // namespace areatwin::indicators
