// SPDX-License-Identifier: GPL-3.0-or-later
// heat.pet: tier A of the heat family, the Dutch standard PET regression (Koopmans, Heusinkveld &
// Steeneveld 2020) as reconstructed in ../shared/reference/heat-method.md sections A.1-A.14; the model
// card in prose is indicators/heat/README.md.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>

#include <fmt/format.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/roles.hpp"
#include "heat/comfort.hpp"
#include "heat/heat.hpp"
#include "heat/sky.hpp"
#include "heat/solar.hpp"

namespace areatwin::indicators::heat {

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
// Fractions and SVF are summed as integers in units of 2^-20, heights in cm: integer window sums are
// exact, so a cell's window mean does not depend on where its tile starts.
constexpr double kFractionScale = 1048576.0;
constexpr double kHeightScale = 100.0;

using Kind = ParameterSpec::Kind;


const IndicatorDescriptor& pet_descriptor() {
    static const IndicatorDescriptor d{
        "heat.pet",
        "1.0.0",
        "Mean PET (physiological equivalent temperature) over 12:00-18:00 local time of the standard hot day, "
        "with PET class, share of the afternoon in shade and sky view factor",
        "Dutch standard PET regression (Koopmans, Heusinkveld & Steeneveld 2020, Building and Environment), "
        "coefficients as transcribed from mariekeve/pet_plugin and the Tygron wiki (heat-method.md A.4): sun and "
        "shade formulas per hour with Stull (2011) wet-bulb temperature (A.6), the plugin's clearness-index diffuse "
        "split with sin of the elevation in radians (A.7), Bowen ratio per land cover (A.8), the Theeuwes et al. "
        "(2017) UHI term with the plugin's diurnal factor table (A.5, A.9), a DPRA/Macdonald wind reduction from "
        "frontal areas (A.10), shadows by shift-and-compare on the DSM (B.2) and the 153-patch cosine-weighted sky "
        "view factor (B.3); sun position by NREL SPA (C.1). A reconstruction of a third-party plugin, not of the "
        "official national map's production code (heat-method.md F.4).",
        "Afternoon, sunny summer conditions in the Netherlands (the regression was fitted to RayMan PET for Dutch "
        "conditions); 0.5-5 m cells (the official map uses 1 m; at coarser cells shadows and SVF are smoothed "
        "away); one sun position for the whole grid (its centre or the latitude/longitude parameters), adequate for grids of a few km "
        "(heat-method.md C.4).",
        "Weather is one station for the whole grid. Shade is binary per hour (buildings, terrain, tree crowns with "
        "the pergola rule, and cells under trees of at least min_tree_height_m); canopy_transmissivity > 0 blends "
        "sun and shade PET in tree shade. Trees are opaque for the SVF. A cell's observer stands on its solid "
        "surface (ground or roof). The sun is computed at latitude_deg/longitude_deg when given, otherwise at the "
        "grid centre converted with PROJ to WGS 84 (without a loaded grid: 52.1 N 5.18 E). The window is local time "
        "with utc_offset_h; weather-table times carry their zone and label the end of their hour. A single global radiation value is read as "
        "the value at reference_sun_elevation_deg and scaled with sin(elevation) per hour. UHI window means of SVF "
        "and vegetation are taken on a lattice of uhi_lattice_spacing_m.",
        {
            number_parameter("latitude_deg", "deg", "latitude of the sun computation (not given: the grid centre converted "
                   "with PROJ; without a loaded grid 52.1, the centre of the Netherlands)", 52.1, -90.0, 90.0),
            number_parameter("longitude_deg", "deg", "longitude of the sun computation, east positive (not given: the grid "
                   "centre; without a loaded grid 5.18)", 5.18, -180.0, 180.0),
            number_parameter("year", "", "year of the day (standard day 1 July 2015, heat-method.md A.2)", 2015, 1900, 2100),
            number_parameter("month", "", "month of the day", 7, 1, 12),
            number_parameter("day", "", "day of the month", 1, 1, 31),
            number_parameter("utc_offset_h", "h", "local time minus UTC (CEST = 2)", 2.0, -12.0, 14.0),
            number_parameter("hour_start_local", "h", "start of the averaging window, local time", 12.0, 0.0, 23.0),
            number_parameter("hour_end_local", "h", "end of the averaging window, local time", 18.0, 1.0, 24.0),
            choice_parameter("sampling", "'intervals': hourly intervals with the sun at their midpoints (default, heat-method.md "
                   "A.2); 'instants': the whole hours from start to end inclusive", "intervals", {"intervals", "instants"}),
            number_parameter("delta_t_s", "s", "TT - UT1 for the sun position", 68.0, -100.0, 200.0),
            choice_parameter("weather", "'parameters': the hourly weather parameters below (default); 'table': the rows of the "
                   "'weather' input (CSV: time, ta_c, rh_pct, wind_ms, wind_dir_deg, global_wm2; README)", "parameters",
                   {"parameters", "table"}),
            number_list_parameter("temperature_c", "degC", "station air temperature at 1.5 m per hour (one value: all hours; "
                        "default the plugin's 1 July 2015 first hour, A.2)", {28.0}, -30.0, 50.0),
            number_list_parameter("rh_pct", "%", "relative humidity per hour (Stull domain 5-99 %)", {48.0}, 5.0, 99.0),
            number_list_parameter("global_radiation_wm2", "W/m2", "global radiation per hour; one value is scaled with "
                        "sin(elevation) from reference_sun_elevation_deg", {794.444}, 0.0, 1400.0),
            number_parameter("reference_sun_elevation_deg", "deg", "sun elevation at which a single global radiation value "
                   "holds (A.2: 55.3)", 55.3, 1.0, 90.0),
            number_list_parameter("wind_speed_ms", "m/s", "station wind at 10 m per hour", {6.0}, 0.0, 40.0),
            number_list_parameter("wind_direction_deg", "deg", "wind direction per hour, meteorological 'from'", {100.0}, 0.0, 360.0),
            number_parameter("pressure_hpa", "hPa", "station pressure (refraction and air density)", 1013.25, 800.0, 1100.0),
            number_parameter("dtr_k", "K", "daily temperature range at the rural station, Tmax - Tmin (A.2: 34 - 24)", 10.0, 0.0, 30.0),
            number_parameter("daily_wind_ms", "m/s", "daily mean 10 m wind for the UHI term (A.2: U = 6)", 6.0, 0.5, 30.0),
            number_parameter("daily_mean_global_radiation_wm2", "W/m2", "24-hour mean global radiation for S of the UHI term "
                   "(default 300, the notes' worked example; not a measured 1 July 2015 value)", 300.0, 0.0, 500.0),
            number_parameter("uhi_exponent", "", "lambda of the UHI exponent 1/lambda (Theeuwes 2017: 4)", 4.0, 1.0, 10.0),
            number_parameter("uhi_upwind_m", "m", "UHI window reach upwind (A.9, Tygron/plugin: 1000)", 1000.0, 0.0, 5000.0),
            number_parameter("uhi_side_m", "m", "UHI window half-width across the wind (250)", 250.0, 0.0, 5000.0),
            number_parameter("uhi_downwind_m", "m", "UHI window reach downwind (100)", 100.0, 0.0, 5000.0),
            number_parameter("uhi_calm_half_m", "m", "UHI window half-width when the daily wind is below 1.5 m/s (350)", 350.0, 0.0, 5000.0),
            number_parameter("uhi_lattice_spacing_m", "m", "spacing of the lattice on which the UHI window means are taken", 10.0, 0.1, 100.0),
            number_parameter("wind_upwind_m", "m", "wind-reduction window reach upwind (A.10, plugin: 200)", 200.0, 0.0, 2000.0),
            number_parameter("wind_side_m", "m", "wind-reduction window half-width (75)", 75.0, 0.0, 2000.0),
            number_parameter("wind_downwind_m", "m", "wind-reduction window reach downwind (75)", 75.0, 0.0, 2000.0),
            number_parameter("wind_calm_half_m", "m", "wind-reduction window half-width in calm (< 1.5 m/s) (175)", 175.0, 0.0, 2000.0),
            number_parameter("obstacle_min_height_m", "m", "buildings and trees lower than this are ignored by the wind model (2)", 2.0, 0.0, 20.0),
            number_parameter("svf_radius_m", "m", "search radius of the sky view factor", 100.0, 1.0, 1000.0),
            choice_parameter("svf_patches", "sky patches: 153 (Wallenberg et al. 2022) or 145 (Robinson & Stone 2004)", "153", {"153", "145"}),
            choice_parameter("svf_buildings", "'yes': also write heat_svf_buildings, the sky view factor of terrain and "
                   "buildings only (trees let the sky through), from the same rays as heat_svf", "no", {"no", "yes"}),
            number_parameter("max_shadow_length_m", "m", "longest shadow cast", 300.0, 1.0, 2000.0),
            number_parameter("trunk_ratio", "", "crown base as a share of tree height (UMEP 0.25)", 0.25, 0.0, 1.0),
            number_parameter("min_tree_height_m", "m", "cells under crowns at least this tall count as shade (plugin: 2)", 2.0, 0.0, 50.0),
            number_parameter("canopy_transmissivity", "", "share of direct sun through crowns; 0 = binary tree shade (default)", 0.0, 0.0, 1.0),
            number_parameter("bowen_vegetation", "", "Bowen ratio of vegetated surfaces (A.8: 0.4)", 0.4, 0.0, 20.0),
            number_parameter("bowen_other", "", "Bowen ratio of other surfaces (A.8: 3)", 3.0, 0.0, 20.0),
            choice_parameter("bowen_mode", "'binary': vegetation >= 50 % of the cell gives bowen_vegetation (plugin); 'fractional': "
                   "weighted by the vegetation fraction", "binary", {"binary", "fractional"}),
            {"vegetation_classes", Kind::ChoiceList, "", "land-cover classes counted as vegetation (tree crowns always count)",
             {}, {"grass", "trees", "shrubs", "agriculture"}, 0.0, 0.0, landcover_classes()},
        },
    };
    return d;
}

// QGIS classes of the PET maps: the nine Western-European PET classes of heat-method.md A.13 with their Dutch
// labels (RIVM Briefrapport 2019-0008 via the BPiKA dashboard) and the English stress grade. The colours are
// ours (blue for cold stress, green for comfortable, yellow to dark red for heat stress); the Klimaateffectatlas
// legend was not read (A.13).
struct PetClassStyle {
    double lower_c;
    const char* colour;
    const char* range;
};
constexpr PetClassStyle kPetClassStyles[9] = {
    {-100.0, "#2c7bb6", "< 4"}, {4.0, "#5b9ccb", "4-8"},    {8.0, "#8fc0dd", "8-13"},
    {13.0, "#c4e2ec", "13-18"}, {18.0, "#b8e186", "18-23"}, {23.0, "#ffffbf", "23-29"},
    {29.0, "#fdae61", "29-35"}, {35.0, "#e34a33", "35-41"}, {41.0, "#a50026", "> 41"},
};
std::string pet_class_legend(int k) {
    return fmt::format("{} °C: {} ({})", kPetClassStyles[k - 1].range, pet_class_label_nl(k), pet_class_label_en(k));
}
// heat_pet in degC: class k from its lower bound (QGIS puts a value exactly on a bound into the class below).
std::vector<StyleClass> pet_style_classes() {
    std::vector<StyleClass> c;
    for (int k = 1; k <= 9; ++k) c.push_back({kPetClassStyles[k - 1].lower_c, kPetClassStyles[k - 1].colour, pet_class_legend(k)});
    return c;
}
// heat_pet_class holds the class numbers 1-9: class k covers [k - 0.5, k + 0.5) so that k is drawn as k.
std::vector<StyleClass> pet_class_number_style_classes() {
    std::vector<StyleClass> c;
    for (int k = 1; k <= 9; ++k) {
        c.push_back({k - 0.5, kPetClassStyles[k - 1].colour, fmt::format("{}: {}", k, pet_class_legend(k))});
    }
    return c;
}
// Shade shares in 20 % steps, from sun (light yellow) to shade all afternoon (dark blue).
std::vector<StyleClass> shade_style_classes() {
    return {{0.0, "#ffffcc", "0-20 % of the afternoon in shade"},
            {20.0, "#c7e9b4", "20-40 %"},
            {40.0, "#7fcdbb", "40-60 %"},
            {60.0, "#2c7fb8", "60-80 %"},
            {80.0, "#253494", "80-100 %"}};
}

enum Sector { kNorth = 0, kEast = 1, kSouth = 2, kWest = 3, kCalm = 4 };
Sector sector_of(double speed_ms, double from_deg) {
    if (speed_ms < 1.5) return kCalm;
    const double d = std::fmod(std::fmod(from_deg, 360.0) + 360.0, 360.0);
    if (d < 45.0 || d > 315.0) return kNorth;
    if (d < 135.0) return kEast;
    if (d <= 225.0) return kSouth;
    return kWest;
}
const char* sector_name(int s) {
    static const char* names[] = {"N", "E", "S", "W", "calm"};
    return names[s];
}

// A window around a cell in cell offsets: rows [r - up, r + down], cols [c - left, c + right].
struct Reach {
    std::int64_t north = 0, south = 0, west = 0, east = 0;
};
Reach window_reach(Sector s, double upwind_m, double side_m, double downwind_m, double calm_half_m, double cell) {
    const auto up = std::llround(upwind_m / cell);
    const auto side = std::llround(side_m / cell);
    const auto down = std::llround(downwind_m / cell);
    const auto calm = std::llround(calm_half_m / cell);
    switch (s) {
        case kNorth: return {up, down, side, side};
        case kSouth: return {down, up, side, side};
        case kEast: return {side, side, down, up};
        case kWest: return {side, side, up, down};
        default: return {calm, calm, calm, calm};
    }
}

struct HourState {
    double local_hour = 0.0;
    SpaResult sun;
    double elevation_deg = 0.0;  // apparent
    double ta_station_c = 0.0;
    double rh_pct = 0.0;
    double global_wm2 = 0.0;
    double diffuse_wm2 = 0.0;
    double wind10_ms = 0.0;
    double wind_from_deg = 0.0;
    Sector sector = kCalm;
    double uhi_factor = 0.0;
};

// Station weather per sample hour of the window.
struct HourlyWeather {
    std::vector<double> ta_c, rh_pct, global_wm2, wind_ms, wind_from_deg;
    bool scale_global = false;  // one global radiation value, scaled with sin(elevation)
    std::string source;         // "parameters" or the weather table's source
};

// Per-cell inputs of a window (halo window of a tile, or the window around an explained cell).
struct WindowData {
    Window window;  // grid coordinates
    SurfaceWindow surf;
    std::vector<float> canopy_m;     // canopy height, 0 where none (NaN where nodata)
    std::vector<float> f_veg;        // vegetation fraction of the cell
    std::vector<std::uint8_t> own_nodata;  // any input of the cell is NaN
    std::vector<std::uint8_t> public_outdoor;  // neither building nor water (heat_public_shade_pct)
    std::vector<std::int64_t> obstacle[2];  // building, tree heights in cm (0 below the minimum height)
};

class HeatPetModel final : public IndicatorModel {
public:
    explicit HeatPetModel(const Parameters& p)
        : p_(p),
          vegetation_classes_(p.choices("vegetation_classes")),
          patch_count_(p.choice("svf_patches") == "145" ? 145 : 153),
          svf_buildings_(p.choice("svf_buildings") == "yes") {
        const double start = p.number("hour_start_local");
        const double end = p.number("hour_end_local");
        if (!(end > start)) throw ConfigError("heat.pet: hour_end_local must be after hour_start_local");
        if (p.choice("sampling") == "intervals") {
            for (double h = start; h + 1.0 <= end + 1e-9; h += 1.0) local_hours_.push_back(h + 0.5);
        } else {
            for (double h = start; h <= end + 1e-9; h += 1.0) local_hours_.push_back(h);
        }
        const auto n = local_hours_.size();
        auto hourly = [&](const char* name) {
            const auto& v = p.numbers(name);
            if (v.size() != 1 && v.size() != n) {
                throw ConfigError(fmt::format("heat.pet: '{}' needs 1 or {} values (one per hour of the window), got {}",
                                              name, n, v.size()));
            }
            std::vector<double> out(n);
            for (std::size_t i = 0; i < n; ++i) out[i] = v.size() == 1 ? v[0] : v[i];
            return out;
        };
        parameter_weather_.ta_c = hourly("temperature_c");
        parameter_weather_.rh_pct = hourly("rh_pct");
        parameter_weather_.global_wm2 = hourly("global_radiation_wm2");
        parameter_weather_.wind_ms = hourly("wind_speed_ms");
        parameter_weather_.wind_from_deg = hourly("wind_direction_deg");
        parameter_weather_.scale_global = p.numbers("global_radiation_wm2").size() == 1;
        parameter_weather_.source = "parameters";
        // The day as far as it is known without the inputs (the position may come from the grid), so bad
        // parameters fail when the batch is planned.
        (void)make_day(nullptr);
    }

    // Everything that depends on the day, the weather and the position but not on the cell: the sun and the
    // station weather per sample hour, the UHI scale and window sector.
    struct Day {
        std::vector<HourState> hours;
        int sunrise_utc_h = 3;
        int sunset_utc_h = 20;
        Sector uhi_sector = kCalm;
        double uhi_scale_k = 0.0;
        double s_kms = 0.0;
        bool sectors_used[5] = {false, false, false, false, false};
        double latitude_deg = 0.0;
        double longitude_deg = 0.0;
        std::string position_source;
        std::string weather_source;
    };

    Day make_day(const LayerStack* stack) const {
        const Parameters& p = p_;
        Day day;
        const HourlyWeather weather = hourly_weather(stack);
        day.weather_source = weather.source;
        const auto n = local_hours_.size();
        const double sin_ref = std::sin(p.number("reference_sun_elevation_deg") * M_PI / 180.0);

        SpaInput base;
        base.year = static_cast<int>(p.number("year"));
        base.month = static_cast<int>(p.number("month"));
        base.day = static_cast<int>(p.number("day"));
        base.utc_offset_h = p.number("utc_offset_h");
        base.delta_t_s = p.number("delta_t_s");
        position(stack, day);
        base.latitude_deg = day.latitude_deg;
        base.longitude_deg = day.longitude_deg;
        base.pressure_hpa = p.number("pressure_hpa");
        const auto times = sunrise_sunset(base);
        day.sunrise_utc_h = static_cast<int>(std::lround(times.sunrise_h - base.utc_offset_h));
        day.sunset_utc_h = static_cast<int>(std::lround(times.sunset_h - base.utc_offset_h));
        if (std::isnan(times.sunrise_h) || std::isnan(times.sunset_h)) day.sunrise_utc_h = 3, day.sunset_utc_h = 20;

        double t_sum = 0.0;
        double dir_x = 0.0, dir_y = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            HourState h;
            h.local_hour = local_hours_[i];
            SpaInput s = base;
            s.hour = 0;
            s.minute = 0;
            s.second = local_hours_[i] * 3600.0;
            s.temperature_c = weather.ta_c[i];
            h.sun = sun_position(s);
            h.elevation_deg = h.sun.apparent_elevation_deg;
            h.ta_station_c = weather.ta_c[i];
            h.rh_pct = weather.rh_pct[i];
            const double sin_el = std::max(0.0, std::sin(h.elevation_deg * M_PI / 180.0));
            h.global_wm2 = weather.scale_global ? weather.global_wm2[i] * sin_el / sin_ref : weather.global_wm2[i];
            if (h.elevation_deg <= 0.0) h.global_wm2 = 0.0;
            h.diffuse_wm2 = diffuse_dpra_wm2(h.global_wm2, h.elevation_deg);
            h.wind10_ms = weather.wind_ms[i];
            h.wind_from_deg = weather.wind_from_deg[i];
            h.sector = sector_of(h.wind10_ms, h.wind_from_deg);
            // The diurnal table is keyed by the UTC hour interval holding the sample (A.5, A.14.5).
            const double utc = local_hours_[i] - base.utc_offset_h;
            h.uhi_factor = uhi_diurnal_factor(day.sunrise_utc_h, day.sunset_utc_h, static_cast<int>(std::floor(utc)));
            day.hours.push_back(h);
            t_sum += h.ta_station_c;
            dir_x += std::sin(h.wind_from_deg * M_PI / 180.0);
            dir_y += std::cos(h.wind_from_deg * M_PI / 180.0);
        }
        const double mean_t = t_sum / static_cast<double>(n);
        const double mean_dir = std::atan2(dir_x, dir_y) * 180.0 / M_PI;
        day.uhi_sector = sector_of(p.number("daily_wind_ms"), mean_dir);
        const double s_kms = uhi_s_kms(p.number("daily_mean_global_radiation_wm2"), p.number("pressure_hpa"), mean_t);
        const double dtr = p.number("dtr_k");
        day.uhi_scale_k = std::pow(s_kms * dtr * dtr * dtr / p.number("daily_wind_ms"), 1.0 / p.number("uhi_exponent"));
        day.s_kms = s_kms;
        for (const auto& h : day.hours) day.sectors_used[h.sector] = true;
        return day;
    }

    [[nodiscard]] std::vector<std::string> inputs() const override {
        std::vector<std::string> names{std::string(layer::dsm), std::string(layer::dem), std::string(layer::canopy_height),
                                       std::string(layer::canopy_fraction)};
        if (p_.choice("weather") == "table") names.emplace_back("weather");
        // The sun position follows the grid centre unless the batch gives it.
        if (!p_.was_given("latitude_deg")) names.emplace_back("grid.center_lat_deg");
        if (!p_.was_given("longitude_deg")) names.emplace_back("grid.center_lon_deg");
        for (const auto& c : landcover_classes()) names.push_back(layer::landcover_fraction(c));
        return names;
    }

    [[nodiscard]] double halo_m() const override {
        const double uhi = std::max({p_.number("uhi_upwind_m"), p_.number("uhi_side_m"), p_.number("uhi_downwind_m"),
                                     p_.number("uhi_calm_half_m")});
        const double wind = std::max({p_.number("wind_upwind_m"), p_.number("wind_side_m"), p_.number("wind_downwind_m"),
                                      p_.number("wind_calm_half_m")});
        return std::max({p_.number("max_shadow_length_m"), p_.number("svf_radius_m") + uhi, wind});
    }

    [[nodiscard]] std::vector<OutputSpec> outputs() const override {
        std::vector<OutputSpec> o{
            {"heat_pet", "degC", "mean PET over the afternoon window (DPRA regression)", {35.0, 41.0}, "heat", 20.0, 50.0,
             pet_style_classes()},
            {"heat_pet_class", "class", "PET class 1-9 (heat-method.md A.13; 7 warm / matige warmtestress, 8 heet / grote "
             "warmtestress, 9 zeer heet / extreme warmtestress)", {}, "heat", 1.0, 9.0, pet_class_number_style_classes()},
            {"heat_shade_share", "%", "share of the afternoon window in shade", {}, "diverging", 0.0, 100.0,
             shade_style_classes()},
            {"heat_svf", "1", "sky view factor (153 patches, trees opaque)", {}, "green", 0.0, 1.0},
            {"heat_public_shade_pct", "%", "share of the afternoon window in shade on public outdoor cells (land cover "
             "building and water below 50 % together, solid surface less than obstacle_min_height_m above the ground); "
             "no value elsewhere, so its per-area mean is the share of public space in shade",
             {}, "diverging", 0.0, 100.0, shade_style_classes()},
        };
        if (svf_buildings_) {
            o.push_back({"heat_svf_buildings", "1", "sky view factor of terrain and buildings only (trees transparent)", {},
                         "green", 0.0, 1.0});
        }
        return o;
    }

    [[nodiscard]] double working_bytes_per_cell() const override {
        // Surfaces and per-cell data of the halo window, window-sum tables of the wind model.
        return 40.0 + 9.0 * 8.0;
    }

    void compute(const TileContext& ctx, TileOutputs& out) const override {
        const Day day = make_day(&ctx.inputs);
        const auto& hours = day.hours;
        const WindowData wd = prepare(ctx.inputs, ctx.tile.halo);
        const Window& core = ctx.tile.core;
        const Window region{core.col0 - wd.window.col0, core.row0 - wd.window.row0, core.cols, core.rows};
        const auto n = static_cast<std::size_t>(core.cell_count());

        const SkyPatchRays sky = rays(ctx.grid.cell_size_m);
        const auto svf_tile = sky_view_factors_cached(wd, core, region, sky, ctx.grid.cell_size_m);
        const std::vector<float>& svf = svf_tile->svf;

        std::vector<std::vector<std::uint8_t>> shadow(hours.size());
        for (std::size_t h = 0; h < hours.size(); ++h) {
            cast_shadow(wd.surf, region, hours[h].sun.azimuth_deg, hours[h].elevation_deg,
                        p_.number("max_shadow_length_m"), shadow[h]);
        }

        // Wind reduction per sector used, from window sums over summed-area tables.
        std::vector<float> w[5];
        {
            const WindTables tables(wd, core, wind_reach_cells(ctx.grid.cell_size_m));
            for (int s = 0; s < 5; ++s) {
                if (!day.sectors_used[s]) continue;
                w[s].resize(n);
                const Reach reach = window_reach(static_cast<Sector>(s), p_.number("wind_upwind_m"), p_.number("wind_side_m"),
                                                 p_.number("wind_downwind_m"), p_.number("wind_calm_half_m"), ctx.grid.cell_size_m);
                for (std::int64_t r = 0; r < core.rows; ++r) {
                    for (std::int64_t c = 0; c < core.cols; ++c) {
                        w[s][static_cast<std::size_t>(r * core.cols + c)] = static_cast<float>(
                            wind_factor(tables.sums(core.col0 + c, core.row0 + r, reach), ctx.grid.cell_size_m, s));
                    }
                }
            }
        }

        const UhiLattice lattice = uhi_lattice(wd, core, ctx.grid, sky, day);

        for (std::int64_t r = 0; r < core.rows; ++r) {
            for (std::int64_t c = 0; c < core.cols; ++c) {
                const auto i = static_cast<std::size_t>(r * core.cols + c);
                const auto col = core.col0 + c;
                const auto row = core.row0 + r;
                const auto wi = wd.surf.index(col - wd.window.col0, row - wd.window.row0);
                CellResult res;
                if (!wd.own_nodata[wi]) {
                    CellInputs in;
                    in.svf = svf[i];
                    in.f_veg = wd.f_veg[wi];
                    in.canopy_m = wd.canopy_m[wi];
                    const auto means = lattice.mean(col, row);
                    in.svf_mean = means.first;
                    in.f_veg_mean = means.second;
                    for (int s = 0; s < 5; ++s) in.w[s] = day.sectors_used[s] ? w[s][i] : 1.0f;
                    for (std::size_t h = 0; h < hours.size(); ++h) in.shadow.push_back(shadow[h][i]);
                    res = evaluate(in, day, nullptr);
                }
                out.rasters[0]->at(col, row) = res.pet;
                out.rasters[1]->at(col, row) = res.pet_class;
                out.rasters[2]->at(col, row) = res.shade_pct;
                out.rasters[3]->at(col, row) = res.svf;
                out.rasters[4]->at(col, row) = wd.public_outdoor[wi] ? res.shade_pct : kNaN;
                if (svf_buildings_) out.rasters[5]->at(col, row) = wd.own_nodata[wi] ? kNaN : svf_tile->svf_buildings[i];
            }
        }
    }

    [[nodiscard]] Explanation explain(const LayerStack& stack, double x, double y) const override {
        const auto& grid = stack.grid();
        const auto col = grid.col_of(x);
        const auto row = grid.row_of(y);
        if (!grid.contains_cell(col, row)) {
            throw ConfigError(fmt::format("heat.pet: point {}, {} lies outside the grid", x, y));
        }
        const auto halo = halo_cells_for(grid, halo_m());
        const Window win = cell_halo_window(grid, col, row, halo);
        const Day day = make_day(&stack);
        const WindowData wd = prepare(stack, win);
        const auto lc = col - win.col0;
        const auto lr = row - win.row0;
        const auto wi = wd.surf.index(lc, lr);

        Explanation e;
        e.indicator = "heat.pet";
        e.output = "heat_pet";
        e.x = x;
        e.y = y;
        e.unit = "degC";
        e.terms.push_back({"cell", static_cast<double>(col), "", fmt::format("column {}, row {}", col, row)});
        if (wd.own_nodata[wi]) {
            e.notes.push_back("an input of this cell is nodata: no value");
            return e;
        }
        const SkyPatchRays sky = rays(grid.cell_size_m);
        CellInputs in;
        in.svf = sky_view_factor_reference(wd.surf, lc, lr, sky);
        in.f_veg = wd.f_veg[wi];
        in.canopy_m = wd.canopy_m[wi];
        const auto means = uhi_window_mean_reference(wd, col, row, grid, sky, day);
        in.svf_mean = means.first;
        in.f_veg_mean = means.second;
        for (int s = 0; s < 5; ++s) {
            if (!day.sectors_used[s]) {
                in.w[s] = 1.0f;
                continue;
            }
            const Reach reach = window_reach(static_cast<Sector>(s), p_.number("wind_upwind_m"), p_.number("wind_side_m"),
                                             p_.number("wind_downwind_m"), p_.number("wind_calm_half_m"), grid.cell_size_m);
            in.w[s] = static_cast<float>(wind_factor(wind_sums_reference(wd, col, row, reach), grid.cell_size_m, s));
        }
        for (const auto& h : day.hours) {
            const auto steps = ray_steps(h.sun.azimuth_deg, h.elevation_deg, grid.cell_size_m, p_.number("max_shadow_length_m"));
            in.shadow.push_back(shadow_reference(wd.surf, lc, lr, steps, h.elevation_deg));
        }
        const CellResult res = evaluate(in, day, &e);
        if (!std::isnan(res.pet)) e.value = res.pet;
        e.terms.push_back({"heat_svf_buildings", sky_view_factor_reference(wd.surf, lc, lr, sky, SkyObstacles::kBuildingsOnly),
                           "1", "sky view factor of terrain and buildings only (plain reference ray walk)"});
        e.terms.push_back({"public_outdoor", wd.public_outdoor[wi] ? 1.0 : 0.0, "",
                           "1: counted in heat_public_shade_pct (not building, not water)"});
        e.terms.push_back({"heat_pet_class", res.pet_class, "class",
                           std::isnan(res.pet) ? "" : pet_class_label_nl(static_cast<int>(res.pet_class))});
        e.terms.push_back({"heat_shade_share", res.shade_pct, "%", ""});
        e.notes.push_back(fmt::format("sun position for {}-{:02}-{:02} at {:.5f} N {:.5f} E ({}), UTC offset {} h; diurnal UHI "
                                      "column sunrise {} / sunset {} UTC; weather from {}",
                                      p_.number("year"), static_cast<int>(p_.number("month")), static_cast<int>(p_.number("day")),
                                      day.latitude_deg, day.longitude_deg, day.position_source, p_.number("utc_offset_h"),
                                      day.sunrise_utc_h, day.sunset_utc_h, day.weather_source));
        return e;
    }

private:
    struct SvfTile {
        std::vector<float> svf, svf_buildings;
    };
    using SvfKey = std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::uint64_t, std::uint64_t>;
    struct CellInputs {
        float svf = 0.0f;
        float f_veg = 0.0f;
        float canopy_m = 0.0f;
        double svf_mean = 0.0;
        double f_veg_mean = 0.0;
        float w[5] = {1, 1, 1, 1, 1};
        std::vector<std::uint8_t> shadow;
    };
    struct CellResult {
        float pet = kNaN;
        float pet_class = kNaN;
        float shade_pct = kNaN;
        float svf = kNaN;
    };

    // The per-cell model, shared by compute and explain (the only difference between the two is how
    // SVF, shadows and window sums were obtained: kernels there, plain references here).
    CellResult evaluate(const CellInputs& in, const Day& day, Explanation* e) const {
        CellResult res;
        if (std::isnan(in.svf) || std::isnan(in.svf_mean) || std::isnan(in.f_veg_mean)) return res;
        const double psi = p_.number("canopy_transmissivity");
        const double bowen = p_.choice("bowen_mode") == "binary"
                                 ? (in.f_veg >= 0.5f ? p_.number("bowen_vegetation") : p_.number("bowen_other"))
                                 : in.f_veg * p_.number("bowen_vegetation") + (1.0 - in.f_veg) * p_.number("bowen_other");
        const double uhi_max = (2.0 - in.svf_mean - in.f_veg_mean) * day.uhi_scale_k;
        const bool under_tree = in.canopy_m >= p_.number("min_tree_height_m") && in.canopy_m > 0.0f;
        double pet_sum = 0.0;
        double shade_sum = 0.0;
        if (e) {
            e->terms.push_back({"svf", in.svf, "1", "sky view factor at the cell (plain reference ray walk)"});
            e->terms.push_back({"vegetation_fraction", in.f_veg, "1", "vegetation classes and tree crowns"});
            e->terms.push_back({"bowen_ratio", bowen, "1", p_.choice("bowen_mode")});
            e->terms.push_back({"uhi_window_svf", in.svf_mean, "1", fmt::format("UHI window ({})", sector_name(day.uhi_sector))});
            e->terms.push_back({"uhi_window_vegetation", in.f_veg_mean, "1", ""});
            e->terms.push_back({"uhi_s", day.s_kms, "K m/s", "daily mean global radiation / (rho c_p)"});
            e->terms.push_back({"uhi_max", uhi_max, "K", "Theeuwes 2017: (2 - SVF - F_veg)(S DTR^3 / U)^(1/lambda)"});
        }
        for (std::size_t h = 0; h < day.hours.size(); ++h) {
            const HourState& hs = day.hours[h];
            const double ta = hs.ta_station_c + uhi_max * hs.uhi_factor;
            const auto tw = wetbulb_stull_c(ta, hs.rh_pct);
            if (!tw) return res;
            const double u = pedestrian_wind_ms(in.w[hs.sector], hs.wind10_ms);
            DpraInputs d{ta, *tw, u, in.svf, hs.global_wm2, hs.diffuse_wm2, hs.elevation_deg, bowen};
            const double shade_pet = pet_dpra_shade_c(d);
            double shade = 1.0;
            if (hs.elevation_deg > 0.0) {
                const auto code = in.shadow[h];
                shade = code == kSolidShadow ? 1.0 : (code == kVegetationShadow || under_tree ? 1.0 - psi : 0.0);
            }
            const double pet = shade >= 1.0 ? shade_pet : shade * shade_pet + (1.0 - shade) * pet_dpra_sun_c(d);
            pet_sum += pet;
            shade_sum += shade;
            if (e) {
                const char* what = in.shadow[h] == kSolidShadow ? "building/terrain shadow"
                                   : in.shadow[h] == kVegetationShadow ? "tree shadow"
                                   : under_tree ? "under a tree crown" : "sun";
                e->terms.push_back({fmt::format("hour_{:.1f}.pet", hs.local_hour), pet, "degC",
                                    fmt::format("{}; Ta {:.2f} degC, Tw {:.2f} degC, u {:.2f} m/s (w {:.3f}, sector {}), "
                                                "Q {:.1f} / Qdif {:.1f} W/m2, sun elevation {:.2f} deg azimuth {:.2f} deg",
                                                what, ta, *tw, u, in.w[hs.sector], sector_name(hs.sector), hs.global_wm2,
                                                hs.diffuse_wm2, hs.elevation_deg, hs.sun.azimuth_deg)});
            }
        }
        const double n = static_cast<double>(day.hours.size());
        res.pet = static_cast<float>(pet_sum / n);
        res.pet_class = static_cast<float>(pet_class(res.pet));
        res.shade_pct = static_cast<float>(100.0 * shade_sum / n);
        res.svf = in.svf;
        return res;
    }

    WindowData prepare(const LayerStack& stack, const Window& win) const {
        const std::string dsm_name(layer::dsm), dem_name(layer::dem), canopy_name(layer::canopy_height),
            crown_name(layer::canopy_fraction);
        if (!stack.has_raster(dsm_name)) {
            throw DataError("heat.pet needs a surface model: add a 'dsm' or 'dem' input (with buildings and trees)");
        }
        std::vector<const Raster*> veg;
        bool any_landcover = false;
        for (const auto& c : landcover_classes()) any_landcover = any_landcover || stack.has_raster(layer::landcover_fraction(c));
        if (!any_landcover) {
            throw DataError("heat.pet needs land cover for the Bowen ratio and vegetation fraction: add a 'landcover' input");
        }
        std::vector<const Raster*> all_classes;
        for (const auto& c : landcover_classes()) {
            const auto name = layer::landcover_fraction(c);
            if (!stack.has_raster(name)) continue;
            all_classes.push_back(&stack.raster(name));
            if (std::find(vegetation_classes_.begin(), vegetation_classes_.end(), c) != vegetation_classes_.end()) {
                veg.push_back(&stack.raster(name));
            }
        }
        const Raster& dsm = stack.raster(dsm_name);
        const Raster* dem = stack.has_raster(dem_name) ? &stack.raster(dem_name) : nullptr;
        const Raster* canopy = stack.has_raster(canopy_name) ? &stack.raster(canopy_name) : nullptr;
        const Raster* crowns = stack.has_raster(crown_name) ? &stack.raster(crown_name) : nullptr;
        const double trunk = p_.number("trunk_ratio");
        const double min_obstacle = p_.number("obstacle_min_height_m");
        const auto class_raster = [&](const char* cls) {
            const auto name = layer::landcover_fraction(cls);
            return stack.has_raster(name) ? &stack.raster(name) : nullptr;
        };
        const Raster* building = class_raster("building");
        const Raster* water = class_raster("water");

        WindowData wd;
        wd.window = win;
        auto& s = wd.surf;
        s.cols = win.cols;
        s.rows = win.rows;
        s.cell_size_m = stack.grid().cell_size_m;
        const auto n = static_cast<std::size_t>(win.cell_count());
        s.solid.resize(n);
        s.canopy_top.assign(n, kNaN);
        s.canopy_base.assign(n, kNaN);
        wd.canopy_m.resize(n);
        wd.f_veg.resize(n);
        wd.own_nodata.resize(n);
        wd.public_outdoor.resize(n);
        wd.obstacle[0].resize(n);
        wd.obstacle[1].resize(n);
        for (std::int64_t r = 0; r < win.rows; ++r) {
            for (std::int64_t c = 0; c < win.cols; ++c) {
                const auto gc = win.col0 + c;
                const auto gr = win.row0 + r;
                const auto i = s.index(c, r);
                const float z = dsm.at(gc, gr);
                const float g = dem ? dem->at(gc, gr) : z;
                const float ch = canopy ? canopy->at(gc, gr) : 0.0f;
                const float crown = crowns ? crowns->at(gc, gr) : 0.0f;
                s.set_cell(i, z, g, ch, trunk);
                const float solid = s.solid[i];
                const bool tree = ch > 0.0f && !std::isnan(g);
                wd.canopy_m[i] = std::isnan(ch) ? kNaN : std::max(ch, 0.0f);
                float fv = 0.0f;
                for (const Raster* v : veg) fv += v->at(gc, gr);
                fv = std::min(fv, 1.0f);
                fv += (1.0f - fv) * std::clamp(crown, 0.0f, 1.0f);
                bool nodata = std::isnan(z) || std::isnan(g) || std::isnan(ch) || std::isnan(crown) || std::isnan(fv);
                for (const Raster* a : all_classes) nodata = nodata || std::isnan(a->at(gc, gr));
                wd.f_veg[i] = nodata ? kNaN : fv;
                wd.own_nodata[i] = nodata ? 1 : 0;
                const float indoor_or_water = (building ? building->at(gc, gr) : 0.0f) + (water ? water->at(gc, gr) : 0.0f);
                wd.public_outdoor[i] = !nodata && indoor_or_water < 0.5f && !(solid - g >= min_obstacle) ? 1 : 0;
                const float hb = solid - g;
                wd.obstacle[0][i] = (!std::isnan(hb) && hb >= min_obstacle) ? std::llround(hb * kHeightScale) : 0;
                wd.obstacle[1][i] = (tree && ch >= min_obstacle) ? std::llround(ch * kHeightScale) : 0;
            }
        }
        s.finish();
        return wd;
    }

    // --- wind reduction (A.10) ---
    // Per-cell quantities summed over a window: valid cells, built cells, building height sum (cm), treed
    // cells, tree height sum (cm), frontal weights 1/2 |dh| (cm) along x and y for buildings and trees.
    static constexpr int kWindQuantities = 9;
    using WindSums = std::array<std::int64_t, kWindQuantities>;

    static void wind_cell(const WindowData& wd, std::int64_t c, std::int64_t r, WindSums& q) {
        const auto& s = wd.surf;
        const auto i = s.index(c, r);
        if (std::isnan(s.solid[i])) return;
        q[0] += 1;
        for (int k = 0; k < 2; ++k) {
            const auto h = wd.obstacle[k][static_cast<std::size_t>(i)];
            if (h > 0) {
                q[static_cast<std::size_t>(1 + 2 * k)] += 1;
                q[static_cast<std::size_t>(2 + 2 * k)] += h;
            }
            // Frontal weights with the west and north neighbours; 1/2 |dh| as a pair shares its face.
            if (c > 0 && !std::isnan(s.solid[i - 1])) {
                q[static_cast<std::size_t>(5 + 2 * k)] += std::llabs(h - wd.obstacle[k][i - 1]);
            }
            if (r > 0 && !std::isnan(s.solid[i - static_cast<std::size_t>(s.cols)])) {
                q[static_cast<std::size_t>(6 + 2 * k)] += std::llabs(h - wd.obstacle[k][i - static_cast<std::size_t>(s.cols)]);
            }
        }
    }

    struct WindTables {
        Window area;  // grid coordinates covered by the tables
        std::int64_t stride = 0;
        std::vector<WindSums> sat;
        WindTables(const WindowData& wd, const Window& core, std::int64_t reach) {
            const Window& w = wd.window;
            area.col0 = std::max(w.col0, core.col0 - reach);
            area.row0 = std::max(w.row0, core.row0 - reach);
            area.cols = std::min(w.col_end(), core.col_end() + reach) - area.col0;
            area.rows = std::min(w.row_end(), core.row_end() + reach) - area.row0;
            stride = area.cols + 1;
            sat.assign(static_cast<std::size_t>(stride * (area.rows + 1)), WindSums{});
            for (std::int64_t r = 0; r < area.rows; ++r) {
                WindSums row_sum{};
                for (std::int64_t c = 0; c < area.cols; ++c) {
                    wind_cell(wd, area.col0 - w.col0 + c, area.row0 - w.row0 + r, row_sum);
                    auto& dst = sat[static_cast<std::size_t>((r + 1) * stride + c + 1)];
                    const auto& above = sat[static_cast<std::size_t>(r * stride + c + 1)];
                    for (int k = 0; k < kWindQuantities; ++k) dst[static_cast<std::size_t>(k)] = above[static_cast<std::size_t>(k)] + row_sum[static_cast<std::size_t>(k)];
                }
            }
        }
        [[nodiscard]] WindSums sums(std::int64_t col, std::int64_t row, const Reach& reach) const {
            const auto c0 = std::clamp(col - reach.west - area.col0, std::int64_t{0}, area.cols);
            const auto c1 = std::clamp(col + reach.east + 1 - area.col0, std::int64_t{0}, area.cols);
            const auto r0 = std::clamp(row - reach.north - area.row0, std::int64_t{0}, area.rows);
            const auto r1 = std::clamp(row + reach.south + 1 - area.row0, std::int64_t{0}, area.rows);
            WindSums out{};
            const auto& a = sat[static_cast<std::size_t>(r1 * stride + c1)];
            const auto& b = sat[static_cast<std::size_t>(r0 * stride + c1)];
            const auto& c = sat[static_cast<std::size_t>(r1 * stride + c0)];
            const auto& d = sat[static_cast<std::size_t>(r0 * stride + c0)];
            for (std::size_t k = 0; k < out.size(); ++k) out[k] = a[k] - b[k] - c[k] + d[k];
            return out;
        }
    };

    std::int64_t wind_reach_cells(double cell) const {
        const double m = std::max({p_.number("wind_upwind_m"), p_.number("wind_side_m"), p_.number("wind_downwind_m"),
                                   p_.number("wind_calm_half_m")});
        return std::llround(m / cell) + 1;
    }

    WindSums wind_sums_reference(const WindowData& wd, std::int64_t col, std::int64_t row, const Reach& reach) const {
        WindSums q{};
        const Window& w = wd.window;
        for (std::int64_t r = std::max(w.row0, row - reach.north); r <= std::min(w.row_end() - 1, row + reach.south); ++r) {
            for (std::int64_t c = std::max(w.col0, col - reach.west); c <= std::min(w.col_end() - 1, col + reach.east); ++c) {
                wind_cell(wd, c - w.col0, r - w.row0, q);
            }
        }
        return q;
    }

    // Steps 5-9 of A.10 for one window: obstacle height, frontal area, frontal area index, profile.
    static double wind_factor(const WindSums& q, double cell, int sector) {
        const double n_valid = static_cast<double>(q[0]);
        if (n_valid <= 0.0 || (q[1] == 0 && q[3] == 0)) return 1.0;
        const double k = 0.27 / 0.16;
        const double a_b = static_cast<double>(q[1]) / n_valid;
        const double a_t = static_cast<double>(q[3]) / n_valid;
        const double h_b = q[1] > 0 ? static_cast<double>(q[2]) / kHeightScale / static_cast<double>(q[1]) : 0.0;
        const double h_t = q[3] > 0 ? static_cast<double>(q[4]) / kHeightScale / static_cast<double>(q[3]) : 0.0;
        const double h_t_reg = 7.721 * std::sqrt(h_t);
        const double height = std::max((h_b * a_b + h_t_reg * a_t * k) / (a_b + a_t * k), 4.0);
        // Frontal weights: 1/2 |dh| per neighbouring pair along the wind axis (E/W wind: pairs in a row;
        // N/S: in a column; calm: both), times the cell width for an area in m2 (A.10 step 3).
        auto frontal = [&](int obstacle) {
            const auto x = static_cast<double>(q[static_cast<std::size_t>(5 + 2 * obstacle)]);
            const auto y = static_cast<double>(q[static_cast<std::size_t>(6 + 2 * obstacle)]);
            const double pairs = sector == kEast || sector == kWest ? x : (sector == kCalm ? x + y : y);
            return 0.5 * pairs / kHeightScale * cell;
        };
        const double f_b = 0.16 * frontal(0);
        const double f_t = 0.27 * frontal(1);
        const double f = f_b + 45.45 * std::sqrt(f_t);
        if (f <= 25.0) return 1.0;
        const double lambda_f = std::min(f / (n_valid * cell * cell) + 0.015, 0.33);
        return wind_reduction_macdonald(lambda_f, height);
    }

    // --- UHI window means of SVF and vegetation on a lattice anchored to the grid (A.9) ---
    struct UhiLattice {
        std::int64_t step = 1;
        std::int64_t li0 = 0, lj0 = 0, ni = 0, nj = 0;  // lattice index ranges (column i, row j)
        std::vector<std::int64_t> sat[3];                // svf, vegetation, count
        Reach reach;
        [[nodiscard]] std::pair<double, double> mean(std::int64_t col, std::int64_t row) const {
            const auto i0 = std::clamp(ceil_div(col - reach.west, step) - li0, std::int64_t{0}, ni);
            const auto i1 = std::clamp(floor_div(col + reach.east, step) + 1 - li0, std::int64_t{0}, ni);
            const auto j0 = std::clamp(ceil_div(row - reach.north, step) - lj0, std::int64_t{0}, nj);
            const auto j1 = std::clamp(floor_div(row + reach.south, step) + 1 - lj0, std::int64_t{0}, nj);
            if (i0 >= i1 || j0 >= j1) return {std::nan(""), std::nan("")};
            const auto stride = ni + 1;
            auto box = [&](const std::vector<std::int64_t>& t) {
                return t[static_cast<std::size_t>(j1 * stride + i1)] - t[static_cast<std::size_t>(j0 * stride + i1)] -
                       t[static_cast<std::size_t>(j1 * stride + i0)] + t[static_cast<std::size_t>(j0 * stride + i0)];
            };
            return finish_mean(box(sat[0]), box(sat[1]), box(sat[2]));
        }
    };
    static std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
    static std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return -floor_div(-a, b); }
    static std::pair<double, double> finish_mean(std::int64_t svf, std::int64_t veg, std::int64_t count) {
        if (count == 0) return {std::nan(""), std::nan("")};
        const double n = static_cast<double>(count) * kFractionScale;
        return {static_cast<double>(svf) / n, static_cast<double>(veg) / n};
    }

    std::int64_t lattice_step(double cell) const {
        return std::max<std::int64_t>(1, std::llround(p_.number("uhi_lattice_spacing_m") / cell));
    }
    Reach uhi_reach(const Day& day, double cell) const {
        return window_reach(day.uhi_sector, p_.number("uhi_upwind_m"), p_.number("uhi_side_m"), p_.number("uhi_downwind_m"),
                            p_.number("uhi_calm_half_m"), cell);
    }
    // Quantised SVF and vegetation of one lattice point; false where either is nodata.
    static bool lattice_point(const WindowData& wd, std::int64_t col, std::int64_t row, const SkyPatchRays& rays,
                              std::int64_t& svf_q, std::int64_t& veg_q) {
        const auto c = col - wd.window.col0;
        const auto r = row - wd.window.row0;
        const float veg = wd.f_veg[wd.surf.index(c, r)];
        if (std::isnan(veg)) return false;
        const float svf = sky_view_factor_reference(wd.surf, c, r, rays);
        if (std::isnan(svf)) return false;
        svf_q = std::llround(static_cast<double>(svf) * kFractionScale);
        veg_q = std::llround(static_cast<double>(veg) * kFractionScale);
        return true;
    }

    UhiLattice uhi_lattice(const WindowData& wd, const Window& core, const GridSpec& grid, const SkyPatchRays& rays,
                           const Day& day) const {
        UhiLattice l;
        l.step = lattice_step(grid.cell_size_m);
        l.reach = uhi_reach(day, grid.cell_size_m);
        const auto c_lo = std::max<std::int64_t>(0, core.col0 - l.reach.west);
        const auto c_hi = std::min<std::int64_t>(grid.cols - 1, core.col_end() - 1 + l.reach.east);
        const auto r_lo = std::max<std::int64_t>(0, core.row0 - l.reach.north);
        const auto r_hi = std::min<std::int64_t>(grid.rows - 1, core.row_end() - 1 + l.reach.south);
        l.li0 = ceil_div(c_lo, l.step);
        l.lj0 = ceil_div(r_lo, l.step);
        l.ni = std::max<std::int64_t>(0, floor_div(c_hi, l.step) - l.li0 + 1);
        l.nj = std::max<std::int64_t>(0, floor_div(r_hi, l.step) - l.lj0 + 1);
        const auto stride = l.ni + 1;
        for (auto& t : l.sat) t.assign(static_cast<std::size_t>(stride * (l.nj + 1)), 0);
        for (std::int64_t j = 0; j < l.nj; ++j) {
            std::int64_t row_sum[3] = {0, 0, 0};
            for (std::int64_t i = 0; i < l.ni; ++i) {
                std::int64_t svf_q = 0, veg_q = 0;
                if (lattice_point(wd, (l.li0 + i) * l.step, (l.lj0 + j) * l.step, rays, svf_q, veg_q)) {
                    row_sum[0] += svf_q;
                    row_sum[1] += veg_q;
                    row_sum[2] += 1;
                }
                for (int k = 0; k < 3; ++k) {
                    l.sat[k][static_cast<std::size_t>((j + 1) * stride + i + 1)] =
                        l.sat[k][static_cast<std::size_t>(j * stride + i + 1)] + row_sum[k];
                }
            }
        }
        return l;
    }

    std::pair<double, double> uhi_window_mean_reference(const WindowData& wd, std::int64_t col, std::int64_t row,
                                                        const GridSpec& grid, const SkyPatchRays& rays,
                                                        const Day& day) const {
        const auto step = lattice_step(grid.cell_size_m);
        const Reach reach = uhi_reach(day, grid.cell_size_m);
        std::int64_t sums[3] = {0, 0, 0};
        for (std::int64_t r = std::max<std::int64_t>(0, row - reach.north); r <= std::min(grid.rows - 1, row + reach.south); ++r) {
            if (r % step != 0) continue;
            for (std::int64_t c = std::max<std::int64_t>(0, col - reach.west); c <= std::min(grid.cols - 1, col + reach.east); ++c) {
                if (c % step != 0) continue;
                std::int64_t svf_q = 0, veg_q = 0;
                if (lattice_point(wd, c, r, rays, svf_q, veg_q)) {
                    sums[0] += svf_q;
                    sums[1] += veg_q;
                    sums[2] += 1;
                }
            }
        }
        return finish_mean(sums[0], sums[1], sums[2]);
    }

    // The sky view factors of a tile's core, from the cache when the surfaces within the SVF radius of the core
    // are unchanged (the rays reach no further), computed and stored otherwise.
    std::shared_ptr<const SvfTile> sky_view_factors_cached(const WindowData& wd, const Window& core, const Window& region,
                                                           const SkyPatchRays& sky, double cell) const {
        const auto reach = std::llround(std::ceil(p_.number("svf_radius_m") / cell)) + 1;
        const auto& s = wd.surf;
        // The solid and crown heights decide the sky blocker, so these two layers decide the SVF.
        const auto [h1, h2] = surface_hash(s, region, reach, {&s.solid, &s.sky_blocker});
        const SvfKey key{core.col0, core.row0, core.cols, core.rows, h1, h2};
        {
            const std::lock_guard<std::mutex> lock(svf_mutex_);
            const auto it = svf_cache_.find(key);
            if (it != svf_cache_.end() && (!svf_buildings_ || !it->second->svf_buildings.empty())) return it->second;
        }
        auto tile = std::make_shared<SvfTile>();
        sky_view_factors(s, region, sky, tile->svf, svf_buildings_ ? &tile->svf_buildings : nullptr);
        const std::lock_guard<std::mutex> lock(svf_mutex_);
        return svf_cache_.insert_or_assign(key, std::move(tile)).first->second;
    }

    // The station weather per sample: the parameters, or the rows of the weather table. Without a stack (when the
    // batch is planned) the table is not known yet and the parameters stand in.
    HourlyWeather hourly_weather(const LayerStack* stack) const {
        if (p_.choice("weather") != "table" || !stack) return parameter_weather_;
        if (!stack->has_features("weather")) {
            throw DataError("heat.pet: weather: table reads the 'weather' input, but there is none: add a CSV with the "
                            "columns time, ta_c, rh_pct, wind_ms, global_wm2 (and optionally wind_dir_deg)");
        }
        const FeatureSet& table = stack->features("weather");
        // Rows by the instant (Julian day, UTC) their time stands for: the end of their hourly interval.
        std::vector<std::pair<double, const Feature*>> rows;
        for (const auto& f : table.features) {
            const auto text = f.text("time");
            std::string why;
            const auto t = text ? parse_iso8601(*text, &why) : std::nullopt;
            if (!t) {
                throw DataError(fmt::format("heat.pet: weather {} row {}: time '{}' {}", f.source, f.id, text.value_or(""),
                                            text ? why : "is missing (column 'time')"));
            }
            rows.emplace_back(t->julian_day_utc(), &f);
        }
        constexpr double kSecond = 1.0 / 86400.0;
        const double offset = p_.number("utc_offset_h");
        const bool intervals = p_.choice("sampling") == "intervals";
        HourlyWeather w;
        w.source = fmt::format("the weather table{}", table.features.empty() ? "" : " " + table.features.front().source);
        const auto& dd_param = p_.numbers("wind_direction_deg");
        for (std::size_t i = 0; i < local_hours_.size(); ++i) {
            // An interval's values are labelled by its end (KNMI and UMEP/SUEWS hour labels), an instant's by itself.
            const double local = intervals ? local_hours_[i] + 0.5 : local_hours_[i];
            const double jd = julian_day(static_cast<int>(p_.number("year")), static_cast<int>(p_.number("month")),
                                         static_cast<int>(p_.number("day")), 0, 0, local * 3600.0, offset);
            const Feature* row = nullptr;
            for (const auto& [t, f] : rows) {
                if (std::abs(t - jd) >= 0.5 * kSecond) continue;
                if (row) {
                    throw DataError(fmt::format("heat.pet: weather {}: rows {} and {} are both for {:.2f} h local time",
                                                f->source, row->id, f->id, local));
                }
                row = f;
            }
            if (!row) {
                const int minutes = static_cast<int>(std::lround(local * 60.0));
                throw DataError(fmt::format("heat.pet: weather {}: no row for {:04}-{:02}-{:02}T{:02}:{:02}:00{:+03}:{:02} (the {} "
                                            "of the sample at {:.1f} h local time)",
                                            w.source, static_cast<int>(p_.number("year")), static_cast<int>(p_.number("month")),
                                            static_cast<int>(p_.number("day")), minutes / 60, minutes % 60,
                                            static_cast<int>(offset), static_cast<int>(std::lround(std::abs(offset) * 60.0)) % 60,
                                            intervals ? "end of the hourly interval" : "instant", local_hours_[i]));
            }
            const auto value = [&](const char* column, double lo, double hi, std::optional<double> fallback) {
                const auto v = row->number(column);
                if (!v) {
                    if (fallback) return *fallback;
                    throw DataError(fmt::format("heat.pet: weather {} row {}: no number in column '{}'", row->source, row->id, column));
                }
                if (*v < lo || *v > hi) {
                    throw DataError(fmt::format("heat.pet: weather {} row {}: {} = {} is outside [{}, {}]", row->source, row->id,
                                                column, *v, lo, hi));
                }
                return *v;
            };
            w.ta_c.push_back(value("ta_c", -30.0, 50.0, std::nullopt));
            w.rh_pct.push_back(value("rh_pct", 5.0, 99.0, std::nullopt));
            w.wind_ms.push_back(value("wind_ms", 0.0, 40.0, std::nullopt));
            w.global_wm2.push_back(value("global_wm2", 0.0, 1400.0, std::nullopt));
            w.wind_from_deg.push_back(value("wind_dir_deg", 0.0, 360.0, dd_param.size() == 1 ? dd_param[0] : dd_param[i]));
        }
        return w;
    }

    // The position of the sun computation: latitude_deg / longitude_deg when given, else the grid centre.
    // Each coordinate separately: the parameter when the batch gives it, else the grid centre the loader
    // converted with PROJ (stack scalars), else the parameter's default (stacks built without the loader).
    void position(const LayerStack* stack, Day& day) const {
        std::string sources[2];
        double* values[2] = {&day.latitude_deg, &day.longitude_deg};
        const char* params[2] = {"latitude_deg", "longitude_deg"};
        const char* scalars[2] = {"grid.center_lat_deg", "grid.center_lon_deg"};
        for (int k = 0; k < 2; ++k) {
            if (!p_.was_given(params[k]) && stack && stack->has_scalar(scalars[k])) {
                *values[k] = stack->scalar(scalars[k]);
                sources[k] = "grid centre";
            } else {
                *values[k] = p_.number(params[k]);
                sources[k] = p_.was_given(params[k]) ? "parameter" : "default";
            }
        }
        day.position_source = sources[0] == sources[1] ? sources[0] : fmt::format("latitude: {}, longitude: {}", sources[0], sources[1]);
    }

    SkyPatchRays rays(double cell) const { return sky_patch_rays(patch_count_, cell, p_.number("svf_radius_m")); }

    Parameters p_;
    std::vector<std::string> vegetation_classes_;
    int patch_count_ = 153;
    bool svf_buildings_ = false;
    // Sky view factors per tile, keyed by the tile's core and a hash of the surfaces within the SVF radius
    // around it: computed once per geometry and reused by every scenario (the same model runs all of them)
    // whose geometry near the tile is unchanged. Bitwise the same as recomputing.
    mutable std::mutex svf_mutex_;
    mutable std::map<SvfKey, std::shared_ptr<const SvfTile>> svf_cache_;
    std::vector<double> local_hours_;  // sample times of the window, local hours of the day
    HourlyWeather parameter_weather_;  // the weather parameters, one value per sample
};

}  // namespace

const IndicatorDescriptor& HeatPet::descriptor() const { return pet_descriptor(); }

std::unique_ptr<IndicatorModel> HeatPet::build(const Parameters& params) const {
    return std::make_unique<HeatPetModel>(params);
}

}  // namespace areatwin::indicators::heat
