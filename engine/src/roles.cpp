// SPDX-License-Identifier: GPL-3.0-or-later
#include "areatwin/engine/roles.hpp"

namespace areatwin {

const std::vector<std::string>& vehicle_categories() {
    static const std::vector<std::string> categories{"cat1", "cat2", "cat3", "cat4a", "cat4b"};
    return categories;
}

const std::vector<std::string>& traffic_periods() {
    static const std::vector<std::string> periods{"day", "evening", "night"};
    return periods;
}

const std::vector<std::string>& landcover_classes() {
    static const std::vector<std::string> classes{"paved", "building", "grass", "trees",
                                                  "shrubs", "water", "bare", "agriculture"};
    return classes;
}

namespace {

std::vector<AttributeSpec> road_attributes() {
    std::vector<AttributeSpec> attributes;
    for (const auto& cat : vehicle_categories()) {
        for (const auto& period : traffic_periods()) {
            attributes.push_back({"q_" + cat + "_" + period + "_veh_per_h", "veh/h", false, false,
                                  "hourly flow of vehicle category " + cat + " in the " + period + " period"});
        }
    }
    for (const auto& cat : vehicle_categories()) {
        attributes.push_back({"v_" + cat + "_kmh", "km/h", false, false, "speed of vehicle category " + cat});
    }
    attributes.push_back({"surface", "", true, false, "CNOSSOS-EU road surface code, e.g. NL05"});
    attributes.push_back({"street_type", "", true, false, "'canyon' or 'open' (SRM1 street type)"});
    attributes.push_back({"speed_type", "", true, false,
                          "Dutch emission-factor speed type: urban_normal, urban_stagnating, urban_free_flow, buitenweg, "
                          "motorway (or the IMAER codes C, D, E, B)"});
    attributes.push_back({"stagnation_share", "", false, false, "share of the traffic in stagnation, 0-1 (SRM1 f_s)"});
    attributes.push_back({"gradient_pct", "%", false, false, "road gradient, positive uphill in line direction"});
    attributes.push_back({"junction_type", "", false, false, "1 traffic lights, 2 roundabout (CNOSSOS-EU)"});
    attributes.push_back({"junction_distance_m", "m", false, false, "distance to the nearest junction"});
    attributes.push_back({"name", "", true, false, "street name"});
    return attributes;
}

std::vector<RoleSpec> make_roles() {
    return {
        {"buildings", "polygon",
         {{"height_m", "m", false, true, "building height above ground"},
          {"ground_m", "m", false, false, "ground level above datum"},
          {"dwellings", "", false, false, "number of dwellings"},
          {"use", "", true, false, "use class (e.g. woon, winkel, garage)"},
          {"name", "", true, false, "identifier or name"}},
         false, "building footprints"},
        {"roads", "line", road_attributes(), false, "road centrelines with traffic"},
        {"trees", "point|raster",
         {{"height_m", "m", false, false, "tree height"},
          {"crown_diameter_m", "m", false, false, "crown diameter"},
          {"species", "", true, false, "species"}},
         false, "tree points, or a canopy-height raster (m above ground)"},
        {"landcover", "polygon|raster",
         {{"class", "", true, true, "land-cover class after the batch file's class table"}},
         false, "land-cover polygons or class raster"},
        {"ground_g", "polygon|raster",
         {{"g", "", false, true, "acoustic ground factor G, 0 hard to 1 soft"}},
         false, "acoustic ground factor; derived from land cover when absent"},
        {"dem", "raster", {}, false, "terrain elevation (m above datum)"},
        {"dsm", "raster", {}, false, "surface elevation (m above datum); built from DEM + buildings + trees when absent"},
        {"s2_red", "raster", {}, false, "Sentinel-2 L2A band B4 (red, 665 nm) digital numbers"},
        {"s2_nir", "raster", {}, false, "Sentinel-2 L2A band B8 (near infrared, 842 nm) digital numbers"},
        {"population", "point|raster",
         {{"residents", "", false, false, "residents"}, {"dwellings", "", false, false, "dwellings"}},
         false, "address points with residents and dwellings, or a residents raster"},
        {"areas", "polygon",
         {{"code", "", true, false, "area code (e.g. CBS buurtcode)"},
          {"name", "", true, false, "area name"},
          {"residents", "", false, false, "residents reported for the area"}},
         false, "polygons for per-area statistics"},
        {"noise_sources", "point|line", {}, true, "generic noise sources with sound power per band and period"},
        {"air_sources", "point|line|polygon", {}, true, "generic air-pollution sources with emission rates"},
        {"receivers", "point", {{"name", "", true, false, "receiver name"},
                                {"height_m", "m", false, false, "receiver height above ground"}},
         false, "receiver points"},
        {"barriers", "line", {{"height_m", "m", false, true, "barrier height above ground"}}, false,
         "noise barriers"},
        {"paths", "line", {{"name", "", true, false, "path name"}}, false,
         "walkable paths (footways, cycle paths, park paths) for network distances"},
        {"meteo", "table", {}, true, "meteorological tables"},
        {"weather", "table", {}, true, "hourly weather records (temperature, humidity, wind, radiation)"},
        {"air_emission_factors", "table", {}, true, "road emission factors (g/km per vehicle) per vehicle category"},
        {"background_no2", "raster", {}, false, "background NO2 annual mean (ug/m3), e.g. the GCN map"},
        {"background_pm10", "raster", {}, false, "background PM10 annual mean (ug/m3), e.g. the GCN map"},
        {"background_pm25", "raster", {}, false, "background PM2.5 annual mean (ug/m3), e.g. the GCN map"},
        {"background_o3", "raster", {}, false, "background ozone annual mean (ug/m3), e.g. the GCN map"},
        {"double_counting_no2", "raster", {}, false, "NO2 double-counting correction (ug/m3), subtracted from the background"},
        {"double_counting_pm10", "raster", {}, false, "PM10 double-counting correction (ug/m3), subtracted from the background"},
        {"double_counting_pm25", "raster", {}, false, "PM2.5 double-counting correction (ug/m3), subtracted from the background"},
    };
}

}  // namespace

const std::vector<RoleSpec>& input_roles() {
    static const std::vector<RoleSpec> roles = make_roles();
    return roles;
}

const RoleSpec* find_role(std::string_view name) {
    for (const auto& role : input_roles()) {
        if (role.name == name) return &role;
    }
    return nullptr;
}

namespace layer {
std::string landcover_fraction(std::string_view cls) { return "landcover." + std::string(cls); }
}  // namespace layer

}  // namespace areatwin
