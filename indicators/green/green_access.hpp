// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "areatwin/engine/indicator.hpp"

namespace areatwin::indicators::green {

// The parameters of green.access after the preset is applied: a parameter left at its declared
// default takes the preset's value, a parameter given with another value wins over the preset.
struct AccessSettings {
    std::string preset;
    // rule 30: canopy
    std::string canopy_unit;          // "area" (per area polygon) or "buffer" (disc around the home)
    double canopy_radius_m = 250.0;
    std::string canopy_source;        // "fraction", "height", "landcover"
    double canopy_min_height_m = 2.5;
    std::string canopy_denominator;   // "land" or "total"
    double canopy_pass_pct = 30.0;
    // rule 300: parks
    std::vector<std::string> park_classes;
    double park_cell_min_fraction = 0.5;
    double park_min_area_m2 = 10000.0;
    int park_connectivity = 4;
    double park_max_perimeter_per_area = 0.0;  // 1/m; 0: no shape filter
    double park_pass_distance_m = 300.0;
    std::string park_distance;        // "euclidean" or "network" (walking network of roads and paths)
    double network_snap_max_m = 100.0;
    std::string network_junctions = "endpoints";  // "shared_vertices", "endpoints" or "crossings"
    double network_snap_tolerance_m = 0.5;
    // rule 3: trees
    std::string trees_visibility;     // "line_of_sight" or "buffer"
    double trees_radius_m = 30.0;
    std::string trees_distance_to;    // "trunk" or "crown_edge"
    double tree_min_crown_area_m2 = 0.0;
    double tree_min_height_m = 0.0;
    double trees_pass_count = 3.0;
    double crown_top_search_m = 1.5;
    double target_height_m = 1.8;
    std::string los_blockers;         // "buildings" or "surface"
    std::string home_score;           // "facade_ring" or "address_cell"
    double facade_ring_m = 1.5;
    double facade_search_max_m = 50.0;
    std::string trees_at;             // "homes" or "all_cells"
    std::string homes;                // "dwellings" or "residents"
    std::string point_weight;         // dwelling point layer weighted by "dwellings" or "residents"

    // Every value in effect, "name=value" joined by ", " in declaration order.
    [[nodiscard]] std::string describe() const;
};

// Applies the preset (see GreenAccess::resolve), then reads every value.
AccessSettings resolve_access_settings(const Parameters& params);
Parameters apply_access_preset(const Parameters& given);

// Preset names in declaration order, and the parameters each sets (name, value as text) where it
// differs from the declared default.
const std::vector<std::string>& green_access_presets();
std::vector<std::pair<std::string, std::string>> green_access_preset_overrides(const std::string& preset);

class GreenAccess final : public Indicator {
public:
    [[nodiscard]] const IndicatorDescriptor& descriptor() const override;
    [[nodiscard]] std::unique_ptr<IndicatorModel> build(const Parameters& params) const override;
    [[nodiscard]] std::vector<Formula> formulas() const override;
    // The preset's values for every parameter left at its declared default.
    [[nodiscard]] Parameters resolve(const Parameters& validated) const override;
};

}  // namespace areatwin::indicators::green
