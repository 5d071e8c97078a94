// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The coefficient tables of indicators/noise/data/, embedded verbatim at build time (noise.cmake).
namespace areatwin::indicators::noise::tables {

extern const char* const road_coefficients_eu2021_csv;    // Table F-1 as replaced by 2021/1226
extern const char* const road_coefficients_eu2015_csv;    // Table F-1 as first published in 2015/996 (legacy)
extern const char* const road_coefficients_nl_draft_csv;  // DRAFT Dutch national set
extern const char* const road_surface_coefficients_csv;   // Table F-4 plus FR_R2

}  // namespace areatwin::indicators::noise::tables
