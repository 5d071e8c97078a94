// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <string>
#include <vector>

namespace areatwin {

// One class of a discrete map style: values from `lower` up to the next class's `lower` take `colour`.
// Classes are listed in increasing order of `lower`; values below the first class take its colour, the
// last class is open-ended. QGIS's discrete shader puts a value equal to a break into the lower class.
struct StyleClass {
    double lower = 0.0;
    std::string colour;  // "#rrggbb"
    std::string label;   // legend text, e.g. "55-60 dB" or "matige warmtestress"
};

}  // namespace areatwin
