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

// Pollutants the model carries; NO2 is derived from NOx.
enum Pollutant : std::size_t { kNox = 0, kPm10 = 1, kPm25 = 2 };
inline constexpr std::size_t kPollutantCount = 3;

// Emission factors in g/km per vehicle for the vehicle categories cat1, cat2, cat3 and cat4 (two-wheelers,
// cat4a and cat4b); a negative value means "not available".
struct EmissionFactors {
    std::array<std::array<double, 4>, kPollutantCount> g_per_km{};  // [pollutant][category]
};
// The named tables of air-method.md section 9.1 (see the model card for their caveats); throws
// ConfigError for an unknown name.
EmissionFactors emission_factor_table(const std::string& name);
std::vector<std::string> emission_factor_table_names();

// Annual-average hourly flow of a road for one CNOSSOS category from its day, evening and night flows
// (Dutch periods 12, 4 and 8 hours); absent attributes count as 0.
double annual_mean_flow_veh_per_h(const Feature& road, const std::string& category);

// Joint-frequency rows from the "meteo" feature set: direction_deg, speed_m_s, stability (A-F),
// optional sector_width_deg and frequency (all rows without frequency: hourly records of equal weight).
std::vector<FrequencyRow> frequency_rows_from_features(const FeatureSet& meteo);

class AirTraffic final : public Indicator {
public:
    [[nodiscard]] const IndicatorDescriptor& descriptor() const override;
    [[nodiscard]] std::unique_ptr<IndicatorModel> build(const Parameters& params) const override;
    [[nodiscard]] std::vector<Formula> formulas() const override;
};

}  // namespace areatwin::indicators::air
