// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "air/air_kernels.hpp"
#include "areatwin/engine/features.hpp"
#include "areatwin/engine/indicator.hpp"

namespace areatwin::indicators::air {

// Quantities the model carries: NOx, PM10, PM2.5 and the directly emitted NO2 (which sets the direct
// share f of the NO2 conversion at each receptor); NO2 is derived from NOx and direct NO2.
enum Pollutant : std::size_t { kNox = 0, kPm10 = 1, kPm25 = 2, kNo2Direct = 3 };
inline constexpr std::size_t kPollutantCount = 4;
inline constexpr std::size_t kCategoryCount = 5;  // cat1, cat2, cat3, cat4a, cat4b (roles.hpp)

// Emission factors in g/km per vehicle per pollutant and vehicle category; a negative value means "not
// available". source names where they come from (the table's header lines or the user's file).
struct EmissionFactors {
    std::array<std::array<double, kCategoryCount>, kPollutantCount> g_per_km{};  // [pollutant][category]
    std::string source;
};
// The named tables shipped in indicators/air/data/ (air-method.md section 9.1; see the model card for
// their caveats); throws ConfigError for an unknown name.
EmissionFactors emission_factor_table(const std::string& name);
std::vector<std::string> emission_factor_table_names();
// A user's table from the "air_emission_factors" input: one row per category (cat1 ... cat4b, or 1, 2, 3,
// 4a, 4b) with nox_g_per_km, pm10_g_per_km, pm25_g_per_km, no2_g_per_km (any may be absent); rows for
// cat4a/cat4b may be left out (they take cat1). DataError naming the file, row and column.
EmissionFactors emission_factors_from_features(const FeatureSet& table);

// Annual-average hourly flow of a road for one CNOSSOS category from its day, evening and night flows
// (Dutch periods 12, 4 and 8 hours); absent attributes count as 0.
double annual_mean_flow_veh_per_h(const Feature& road, const std::string& category);

// Joint-frequency rows from the "meteo" feature set: direction_deg, speed_m_s, optional sector_width_deg
// and frequency (all rows without frequency: hourly records of equal weight), and for the Gaussian model
// stability (A-F), for R-LINE obukhov_length_m (0 = neutral) with optional friction_velocity_m_s,
// roughness_length_m, reference_height_m, convective_velocity_m_s, mixing_height_m (absent: from
// defaults).
std::vector<FrequencyRow> frequency_rows_from_features(const FeatureSet& meteo,
                                                       Dispersion dispersion = Dispersion::Gaussian,
                                                       const MetCondition& defaults = {});

class AirTraffic final : public Indicator {
public:
    [[nodiscard]] const IndicatorDescriptor& descriptor() const override;
    [[nodiscard]] std::unique_ptr<IndicatorModel> build(const Parameters& params) const override;
    [[nodiscard]] std::vector<Formula> formulas() const override;
};

}  // namespace areatwin::indicators::air
