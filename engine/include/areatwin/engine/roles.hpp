// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace areatwin {

// The data model: every input role, the canonical attributes its features carry after field
// mapping, and the grid layers the loader derives from it. Indicators read these names only.
struct AttributeSpec {
    std::string name;         // canonical name, unit in the name where it has one
    std::string unit;         // "m", "km/h", "veh/h", "" for counts and text
    bool text = false;        // a string attribute (class, surface code, name)
    bool required = false;    // a source without it (and without a default) is a DataError
    std::string description;
};

struct RoleSpec {
    std::string name;
    std::string geometry;     // "polygon", "line", "point", "raster", "point|raster", "table"
    std::vector<AttributeSpec> attributes;
    bool open_attributes = false;  // generic sources: any mapped attribute name is accepted
    std::string description;
};

// All roles of the data model in a fixed order.
const std::vector<RoleSpec>& input_roles();
const RoleSpec* find_role(std::string_view name);

// Vehicle categories of CNOSSOS-EU and the default Dutch assessment periods.
const std::vector<std::string>& vehicle_categories();  // cat1, cat2, cat3, cat4a, cat4b
const std::vector<std::string>& traffic_periods();     // day, evening, night

// Land-cover classes a batch maps its source codes onto.
const std::vector<std::string>& landcover_classes();

// Names of the grid layers the loader puts into a LayerStack.
namespace layer {
inline constexpr std::string_view dem = "dem";                           // m above datum
inline constexpr std::string_view dsm = "dsm";                           // m above datum
inline constexpr std::string_view building_height = "building.height_m"; // m above ground, 0 outside
inline constexpr std::string_view building_fraction = "building.fraction";
inline constexpr std::string_view canopy_height = "canopy.height_m";     // m above ground, 0 where none
inline constexpr std::string_view canopy_fraction = "canopy.fraction";   // share of the cell under tree crowns
inline constexpr std::string_view residents = "population.residents";   // residents per cell
inline constexpr std::string_view dwellings = "population.dwellings";   // dwellings per cell
inline constexpr std::string_view area_index = "areas.index";           // 0-based area number, NaN outside
// Land-cover fractions: "landcover.<class>", a share in [0, 1] of each cell, NaN outside coverage.
std::string landcover_fraction(std::string_view cls);
}  // namespace layer

}  // namespace areatwin
