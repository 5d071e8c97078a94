// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <memory>
#include <vector>

#include "areatwin/engine/indicator.hpp"
#include "noise/cnossos_emission.hpp"

namespace areatwin::indicators::noise {

// noise.cnossos: CNOSSOS-EU road traffic noise on grid receivers (Lden, Lnight). Model card:
// indicators/noise/README.md.
class NoiseCnossos final : public Indicator {
public:
    [[nodiscard]] const IndicatorDescriptor& descriptor() const override;
    [[nodiscard]] std::unique_ptr<IndicatorModel> build(const Parameters& params) const override;
    [[nodiscard]] std::vector<Formula> formulas() const override;
};

// Per-period A-weighted levels at one point by the plain reference (every source point, no
// preselection): the oracle of the tiled kernel. NaN where the model gives nodata.
struct NoiseLevels {
    double lday_dba = 0.0;
    double levening_dba = 0.0;
    double lnight_dba = 0.0;
    double lden_dba = 0.0;
};
NoiseLevels noise_levels_reference(const IndicatorModel& model, const LayerStack& stack, double x, double y);

// Levels at point receivers (height above ground each) with exact vector geometry: ground spans from the
// exact intersection of S-R with the ground_g polygons (when the ground comes as polygons), barrier tops
// at the exact crossing; every source point of every source. Periods in the order day, evening, night.
struct PointLevels {
    std::array<Bands, 3> l_db{}, l_h_db{}, l_f_db{};  // per period and band: long-term, homogeneous, favourable
    std::array<double, 3> l_dba{}, l_h_dba{}, l_f_dba{};
    double lden_dba = 0.0;
};
std::vector<PointLevels> noise_point_levels(const IndicatorModel& model, const LayerStack& stack,
                                            const std::vector<Point2>& points, const std::vector<double>& heights_m);

// Grid cells this model has taken from its propagation store since it was built: traffic-only reuse, and
// cells of a scenario with other geometry that lie beyond reach of every change from the baseline's.
std::size_t noise_reused_cells(const IndicatorModel& model);
// Of those, the cells taken from the baseline's store for a scenario whose geometry differs.
std::size_t noise_lent_cells(const IndicatorModel& model);

// Sound power of a noise_sources feature per period (day, evening, night) and band, dB re 1 pW (points)
// or dB re 1 pW/m (lines), from lw_<period>_<band> or the period-independent lw_<band>; DataError naming the
// feature for a missing or bad attribute.
struct GenericSourcePower {
    std::int64_t feature_id = 0;
    bool line = false;
    double height_m = 0.0;
    std::array<Bands, 3> lw_db{};
};
std::vector<GenericSourcePower> generic_source_powers(const FeatureSet& features);

}  // namespace areatwin::indicators::noise
