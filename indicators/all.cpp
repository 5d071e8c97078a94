// SPDX-License-Identifier: GPL-3.0-or-later
#include "areatwin/indicators/all.hpp"

#include "green/green_share.hpp"

namespace areatwin::indicators {

void register_all(IndicatorRegistry& registry) {
    registry.add(std::make_unique<green::GreenShare>());
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
