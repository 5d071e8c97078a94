// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "areatwin/engine/indicator.hpp"

namespace areatwin::indicators {

// Adds every indicator of this folder to the registry, in a fixed order.
void register_all(IndicatorRegistry& registry);

// The registry with every built-in indicator; built once, read-only afterwards.
const IndicatorRegistry& builtin_registry();

}  // namespace areatwin::indicators
