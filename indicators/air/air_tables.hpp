// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The emission-factor tables of indicators/air/data/, embedded at build time (air.cmake).
namespace areatwin::indicators::air::tables {
extern const char* const emission_factors_mobiliteitsscan_csv;
extern const char* const emission_factors_rbl2007_csv;
}  // namespace areatwin::indicators::air::tables
