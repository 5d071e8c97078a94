// SPDX-License-Identifier: GPL-3.0-or-later
// heat.tmrt: tier B of the heat family, SOLWEIG-style mean radiant temperature (Lindberg, Holmer & Thorsson
// 2008) with UTCI (Broede et al. 2012) and PET (Hoeppe's MEMI) as post-processing, following
// ../shared/reference/heat-method.md sections B.1-B.7; the model card in prose is indicators/heat/README.md.
#include "heat/heat_tmrt.hpp"

#include <algorithm>
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
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/roles.hpp"
#include "heat/comfort.hpp"
#include "heat/pet_memi.hpp"
#include "heat/sky.hpp"
#include "heat/solar.hpp"
#include "heat/solweig.hpp"

namespace areatwin::indicators::heat {

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
// PET is evaluated at the hour's Tmrt rounded to this step (K): PET then depends on the cell's Tmrt only
// through the rounded value, so it can be memoised per hour exactly (0.01 K moves PET by < 0.01 K).
constexpr double kPetTmrtStep = 0.01;

using Kind = ParameterSpec::Kind;

const IndicatorDescriptor& tmrt_descriptor() {
    static const IndicatorDescriptor d{
        "heat.tmrt",
        "1.0.0",
        "SOLWEIG-style mean radiant temperature with UTCI, UTCI stress class and PET (MEMI) for a chosen hour or "
        "averaged over chosen hours of a day",
        "Mean radiant temperature of a standing person from shortwave and longwave fluxes from six directions "
        "(SOLWEIG, Lindberg, Holmer & Thorsson 2008; UMEP SOLWEIGpython as described in heat-method.md B.1-B.5): "
        "sky view factors over 153 patches split into buildings and vegetation, with directional (N/E/S/W) "
        "half-hemisphere factors (B.3); shadows by shift-and-compare with the pergola rule and crown "
        "transmissivity (B.2); Crawford & Duchon (1999) clearness index (B.4.2); Reindl et al. (1990) diffuse split "
        "(B.4.3); sky emissivity after Prata (1996) (B.4.1); the four-term Jonsson et al. (2006) longwave with "
        "cloud blend; ground and wall temperature waves of UMEP's parameter table (B.4.5, B.5); Tmrt of the "
        "cylinder (B.4.6). UTCI by the operational polynomial (Broede et al. 2012, B.6), nodata outside its domain. "
        "PET by Hoeppe's MEMI as ported in UMEP (B.7.2).",
        "Clear to partly cloudy daytime hours; 0.5-5 m cells; grids of a few km (one sun position and one weather "
        "station for the whole grid, heat-method.md C.4). Tmrt error bars of SOLWEIG against Gothenburg field data "
        "are several degC (heat-method.md D).",
        "Isotropic sky. The ground the person stands on is the cell itself (no ground view factor, heat-method.md "
        "F.1): Kup = albedo Kdown and Lup from the cell's ground temperature. Lateral fluxes: half from the upper "
        "quarter-sphere with the directional SVFs, half from the ground. The wall shadow fraction uses a round-basin "
        "approximation instead of UMEP's cylindric wedge. The ground/wall temperature wave is scaled by the "
        "clearness index in place of UMEP's CI_TgG and has no thermal delay (steady state, the first time step of "
        "UMEP). Clearness season constants of 50-60 deg N are used at every latitude. Wind for UTCI and PET is "
        "the station wind converted with the power law (10/z)^0.2 and (1.1/z)^0.2, uniform over the grid "
        "(heat-method.md F.6). Land-cover classes map to UMEP materials (paved: dark asphalt or cobble stone; "
        "building: roofs; grass, trees, shrubs, agriculture: grass; bare: bare soil; water: water), weighted by "
        "the cell fractions. A cell's observer stands on its solid surface (ground or roof). PET uses the hour's "
        "Tmrt rounded to 0.01 K. Means over hours are nodata when any hour is nodata.",
        {
            number_parameter("latitude_deg", "deg", "latitude of the grid centre (default: centre of the Netherlands)", 52.1, -90.0, 90.0),
            number_parameter("longitude_deg", "deg", "longitude of the grid centre, east positive", 5.18, -180.0, 180.0),
            number_parameter("year", "", "year of the day (standard day 1 July 2015, heat-method.md A.2)", 2015, 1900, 2100),
            number_parameter("month", "", "month of the day", 7, 1, 12),
            number_parameter("day", "", "day of the month", 1, 1, 31),
            number_parameter("utc_offset_h", "h", "local time minus UTC (CEST = 2)", 2.0, -12.0, 14.0),
            number_parameter("hour_start_local", "h", "start of the window, local time (one hour: end = start + 1)", 12.0, 0.0, 23.0),
            number_parameter("hour_end_local", "h", "end of the window, local time", 18.0, 1.0, 24.0),
            choice_parameter("sampling", "'intervals': hourly intervals with the sun at their midpoints; 'instants': the "
                   "whole hours from start to end inclusive", "intervals", {"intervals", "instants"}),
            number_parameter("delta_t_s", "s", "TT - UT1 for the sun position", 68.0, -100.0, 200.0),
            number_list_parameter("temperature_c", "degC", "air temperature per hour (one value: all hours; default the "
                        "standard day of heat.pet, A.2)", {28.0}, -50.0, 60.0),
            number_list_parameter("rh_pct", "%", "relative humidity per hour", {48.0}, 1.0, 100.0),
            number_list_parameter("global_radiation_wm2", "W/m2", "global radiation per hour; one value is scaled with "
                        "sin(elevation) from reference_sun_elevation_deg", {794.444}, 0.0, 1400.0),
            number_list_parameter("diffuse_radiation_wm2", "W/m2", "diffuse radiation per hour; a negative value: the Reindl "
                        "split (B.4.3)", {-1.0}, -1.0, 1400.0),
            number_parameter("reference_sun_elevation_deg", "deg", "sun elevation at which a single global radiation value "
                   "holds (A.2: 55.3)", 55.3, 1.0, 90.0),
            number_list_parameter("wind_speed_ms", "m/s", "station wind per hour at wind_sensor_height_m", {6.0}, 0.0, 40.0),
            number_parameter("wind_sensor_height_m", "m", "height of the wind measurement (UMEP default 10)", 10.0, 1.0, 200.0),
            number_parameter("pressure_hpa", "hPa", "station pressure (refraction, clearness index)", 1013.25, 800.0, 1100.0),
            choice_parameter("posture", "'standing' (F_side 0.22, F_up 0.06, F_cyl 0.28) or 'sitting' (B.4.6)", "standing",
                   {"standing", "sitting"}),
            number_parameter("absorption_shortwave", "", "shortwave absorptivity of the person (B.4.6: 0.70)", 0.70, 0.1, 1.0),
            number_parameter("absorption_longwave", "", "longwave absorptivity (B.4.6: UMEP 0.95; ISO 7726 0.97)", 0.95, 0.5, 1.0),
            number_parameter("transmissivity", "", "share of direct sun through tree crowns with leaves (B.2: 0.03)", 0.03, 0.0, 1.0),
            number_parameter("transmissivity_leaf_off", "", "transmissivity outside the leaf-on days (B.2: 0.5)", 0.5, 0.0, 1.0),
            number_parameter("leaf_on_first_day", "", "first day of the year with leaves (UMEP 97)", 97, 1, 366),
            number_parameter("leaf_on_last_day", "", "last day of the year with leaves (UMEP 300)", 300, 1, 366),
            number_parameter("trunk_ratio", "", "crown base as a share of tree height (UMEP 0.25)", 0.25, 0.0, 1.0),
            choice_parameter("paved_material", "UMEP material of paved land cover: 'asphalt' (Dark_asphalt, UMEP land-cover "
                   "class 1 'paved') or 'cobble' (Cobble_stone_2014a)", "asphalt", {"asphalt", "cobble"}),
            number_parameter("svf_radius_m", "m", "search radius of the sky view factors", 100.0, 1.0, 1000.0),
            choice_parameter("svf_patches", "sky patches: 153 (Wallenberg et al. 2022) or 145 (Robinson & Stone 2004)", "153", {"153", "145"}),
            number_parameter("max_shadow_length_m", "m", "longest shadow cast", 300.0, 1.0, 2000.0),
            number_parameter("pet_age_y", "y", "PET reference person: age (B.7.1: 35)", 35.0, 1.0, 110.0),
            number_parameter("pet_weight_kg", "kg", "PET reference person: body mass (75)", 75.0, 10.0, 250.0),
            number_parameter("pet_height_m", "m", "PET reference person: height (1.80)", 1.80, 0.5, 2.5),
            choice_parameter("pet_sex", "PET reference person: 'male' (B.7.1) or 'female'", "male", {"male", "female"}),
            number_parameter("pet_work_w", "W", "PET reference person: activity added to the basal metabolism (80 W)", 80.0, 0.0, 1000.0),
            number_parameter("pet_clo", "clo", "PET reference person: clothing (0.9 clo)", 0.9, 0.05, 4.0),
        },
    };
    return d;
}

// The 10 UTCI assessment categories (Broede et al. 2012; the utci.org scale; heat-method.md B.6) with the
// scale's colour order: blues for cold stress, green for no thermal stress, yellow to dark red for heat
// stress (hex values chosen here to follow that chart). `lower` in degC; values equal to a bound fall in
// the lower class, matching the upper-inclusive bins of utci_class.
struct UtciCategory {
    double lower_c;
    const char* colour;
    const char* label;
};
constexpr UtciCategory kUtciCategories[10] = {
    {-50.0, "#000080", "extreme cold stress (< -40)"},
    {-40.0, "#0000c0", "very strong cold stress (-40 to -27)"},
    {-27.0, "#0040ff", "strong cold stress (-27 to -13)"},
    {-13.0, "#0080ff", "moderate cold stress (-13 to 0)"},
    {0.0, "#80c0ff", "slight cold stress (0 to 9)"},
    {9.0, "#00a040", "no thermal stress (9 to 26)"},
    {26.0, "#ffc000", "moderate heat stress (26 to 32)"},
    {32.0, "#ff6000", "strong heat stress (32 to 38)"},
    {38.0, "#e00000", "very strong heat stress (38 to 46)"},
    {46.0, "#800000", "extreme heat stress (> 46)"},
};
std::vector<StyleClass> utci_value_classes() {
    std::vector<StyleClass> out;
    for (const auto& c : kUtciCategories) out.push_back({c.lower_c, c.colour, c.label});
    return out;
}
// The class raster holds 1..10: class i covers [i - 0.5, i + 0.5).
std::vector<StyleClass> utci_index_classes() {
    std::vector<StyleClass> out;
    for (int i = 0; i < 10; ++i) {
        out.push_back({i + 0.5, kUtciCategories[i].colour, fmt::format("{} {}", i + 1, kUtciCategories[i].label)});
    }
    return out;
}

MemiPerson person_of(const Parameters& p) {
    MemiPerson m;
    m.age_y = p.number("pet_age_y");
    m.weight_kg = p.number("pet_weight_kg");
    m.height_m = p.number("pet_height_m");
    m.male = p.choice("pet_sex") == "male";
    m.work_w = p.number("pet_work_w");
    m.clo = p.number("pet_clo");
    return m;
}

int day_of_year(int year, int month, int day) {
    static const int before[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return before[month - 1] + day + (leap && month > 2 ? 1 : 0);
}

struct Hour {
    double local_hour = 0.0;
    SpaResult sun;
    double elevation_deg = 0.0;  // apparent
    SolweigHour rad;
    double wind10_ms = 0.0;   // for UTCI
    double wind11_ms = 0.0;   // for PET, 1.1 m
    double vapour_pressure_hpa = 0.0;  // Hardy, as UTCI
};

// The surfaces and per-cell ground of a window (a tile's halo window, or the window of an explained cell).
struct WindowData {
    Window window;
    SurfaceWindow surf;
    std::vector<std::uint8_t> nodata;
    std::vector<std::array<float, kMaterialCount>> material;  // fraction weights, normalised
};

// Everything of the window's hours that depends on the day and the position only.
struct Day {
    double latitude_deg = 0.0;
    double longitude_deg = 0.0;
    std::string position_source;
    int doy = 182;
    double sunrise_local_h = 0.0;
    double max_elevation_deg = -90.0;
    bool leaf_on = true;
    TmrtParameters tmrt;
    std::vector<Hour> hours;
};

class HeatTmrtModel final : public IndicatorModel {
public:
    explicit HeatTmrtModel(const Parameters& p) : p_(p), person_(person_of(p)), patch_count_(p.choice("svf_patches") == "145" ? 145 : 153) {
        // The day at the parameters' position: checks the window and the hourly lists when the model is
        // built; compute() uses the day at the stack's position (day_for).
        default_day_ = std::make_shared<const Day>(build_day(p, p.number("latitude_deg"), p.number("longitude_deg"), "parameter"));
        paved_ = p.choice("paved_material") == "cobble" ? kCobble : kAsphalt;
    }

    [[nodiscard]] std::vector<std::string> inputs() const override {
        std::vector<std::string> names{std::string(layer::dsm), std::string(layer::dem), std::string(layer::canopy_height)};
        // The sun position follows the grid centre unless the batch gives it.
        if (!p_.was_given("latitude_deg")) names.emplace_back("grid.center_lat_deg");
        if (!p_.was_given("longitude_deg")) names.emplace_back("grid.center_lon_deg");
        for (const auto& c : landcover_classes()) names.push_back(layer::landcover_fraction(c));
        return names;
    }

    [[nodiscard]] double halo_m() const override {
        return std::max(p_.number("max_shadow_length_m"), p_.number("svf_radius_m"));
    }

    [[nodiscard]] std::vector<OutputSpec> outputs() const override {
        return {
            {"heat_tmrt", "degC", "mean radiant temperature of a standing person (SOLWEIG-style), mean over the window hours",
             {}, "heat", 20.0, 70.0},
            {"heat_utci", "degC", "UTCI (Broede et al. 2012 polynomial), mean over the hours; nodata when an hour is outside "
             "the validity domain", {32.0, 38.0}, "heat", 20.0, 50.0, utci_value_classes()},
            {"heat_utci_class", "class", "UTCI stress category of the mean UTCI, upper-inclusive bins: 1 extreme cold, 2 very "
             "strong cold, 3 strong cold, 4 moderate cold, 5 slight cold stress, 6 no thermal stress, 7 moderate, 8 strong, "
             "9 very strong, 10 extreme heat stress", {}, "heat", 1.0, 10.0, utci_index_classes()},
            {"heat_pet_memi", "degC", "PET by the MEMI model for the reference person, mean over the hours", {35.0, 41.0},
             "heat", 20.0, 50.0},
            {"heat_utci_out_of_domain_h", "h", "hours of the window whose UTCI inputs leave the validity domain (Ta, "
             "Tmrt - Ta, wind, vapour pressure > 50 hPa) and are nodata", {}, "diverging", 0.0, static_cast<double>(default_day_->hours.size())},
        };
    }

    [[nodiscard]] double working_bytes_per_cell() const override {
        // Surfaces of the halo window and 15 sky factors plus a shadow code per hour of the core.
        return 20.0 + 60.0 + static_cast<double>(default_day_->hours.size());
    }

    void compute(const TileContext& ctx, TileOutputs& out) const override {
        const Day& day = day_for(ctx.inputs);
        const auto& hours = day.hours;
        const WindowData wd = prepare(ctx.inputs, ctx.tile.halo);
        const Window& core = ctx.tile.core;
        const Window region{core.col0 - wd.window.col0, core.row0 - wd.window.row0, core.cols, core.rows};
        const SkyFactorRays rays = sky_factor_rays(patch_count_, ctx.grid.cell_size_m, p_.number("svf_radius_m"));
        const auto sky_ptr = sky_factors_cached(wd.surf, core, region, rays, ctx.grid.cell_size_m);
        const std::vector<SkyFactors>& sky = *sky_ptr;
        std::vector<std::vector<std::uint8_t>> shadow(hours.size());
        for (std::size_t h = 0; h < hours.size(); ++h) {
            cast_shadow(wd.surf, region, hours[h].sun.azimuth_deg, hours[h].elevation_deg, p_.number("max_shadow_length_m"),
                        shadow[h]);
        }
        PetCache cache(hours.size());
        std::vector<std::uint8_t> codes(hours.size());
        for (std::int64_t r = 0; r < core.rows; ++r) {
            for (std::int64_t c = 0; c < core.cols; ++c) {
                const auto i = static_cast<std::size_t>(r * core.cols + c);
                const auto col = core.col0 + c;
                const auto row = core.row0 + r;
                const auto wi = wd.surf.index(col - wd.window.col0, row - wd.window.row0);
                CellResult res;
                if (!wd.nodata[wi]) {
                    for (std::size_t h = 0; h < hours.size(); ++h) codes[h] = shadow[h][i];
                    res = evaluate(day, sky[i], wd.material[wi], codes, cache, nullptr);
                }
                out.rasters[0]->at(col, row) = res.tmrt;
                out.rasters[1]->at(col, row) = res.utci;
                out.rasters[2]->at(col, row) = res.utci_class;
                out.rasters[3]->at(col, row) = res.pet;
                out.rasters[4]->at(col, row) = res.out_of_domain;
            }
        }
    }

    [[nodiscard]] Explanation explain(const LayerStack& stack, double x, double y) const override {
        const auto& grid = stack.grid();
        const auto col = grid.col_of(x);
        const auto row = grid.row_of(y);
        if (!grid.contains_cell(col, row)) throw ConfigError(fmt::format("heat.tmrt: point {}, {} lies outside the grid", x, y));
        const auto halo = halo_cells_for(grid, halo_m());
        const Window win = cell_halo_window(grid, col, row, halo);
        const WindowData wd = prepare(stack, win);
        const auto lc = col - win.col0;
        const auto lr = row - win.row0;
        const auto wi = wd.surf.index(lc, lr);
        Explanation e;
        e.indicator = "heat.tmrt";
        e.output = "heat_tmrt";
        e.x = x;
        e.y = y;
        e.unit = "degC";
        e.terms.push_back({"cell", static_cast<double>(col), "", fmt::format("column {}, row {}", col, row)});
        if (wd.nodata[wi]) {
            e.notes.push_back("an input of this cell is nodata: no value");
            return e;
        }
        const SkyFactorRays rays = sky_factor_rays(patch_count_, grid.cell_size_m, p_.number("svf_radius_m"));
        const SkyFactors sky = sky_factors_reference(wd.surf, lc, lr, rays);
        const Day& day = day_for(stack);
        const auto& hours = day.hours;
        std::vector<std::uint8_t> codes;
        for (const auto& h : hours) {
            const auto steps = ray_steps(h.sun.azimuth_deg, h.elevation_deg, grid.cell_size_m, p_.number("max_shadow_length_m"));
            codes.push_back(shadow_reference(wd.surf, lc, lr, steps, h.elevation_deg));
        }
        PetCache cache(hours.size());
        const CellResult res = evaluate(day, sky, wd.material[wi], codes, cache, &e);
        if (!std::isnan(res.tmrt)) e.value = res.tmrt;
        e.terms.push_back({"heat_utci", res.utci, "degC", std::isnan(res.utci) ? "nodata" : utci_category(res.utci)});
        e.terms.push_back({"heat_utci_class", res.utci_class, "class", ""});
        e.terms.push_back({"heat_pet_memi", res.pet, "degC", person_note()});
        e.terms.push_back({"heat_utci_out_of_domain_h", res.out_of_domain, "h", ""});
        e.notes.push_back(fmt::format("day of year {}, sunrise {:.2f} h local, highest sun {:.2f} deg, leaves {} (transmissivity {}); "
                                      "sun at {:.4f} N {:.4f} E ({})",
                                      day.doy, day.sunrise_local_h, day.max_elevation_deg, day.leaf_on ? "on" : "off",
                                      day.tmrt.transmissivity, day.latitude_deg, day.longitude_deg, day.position_source));
        return e;
    }

private:
    // The sky factors of a tile's core, from the cache when the surfaces within the SVF radius of the core
    // are unchanged (the rays reach no further), computed and stored otherwise: once per geometry, reused by
    // every hour and by every scenario whose geometry near the tile is unchanged. Bitwise the same as
    // recomputing (the same kernel on the same surfaces).
    std::shared_ptr<const std::vector<SkyFactors>> sky_factors_cached(const SurfaceWindow& s, const Window& core,
                                                                      const Window& region, const SkyFactorRays& rays,
                                                                      double cell) const {
        const auto reach = std::llround(std::ceil(p_.number("svf_radius_m") / cell)) + 1;
        const auto [h1, h2] = surface_hash(s, region, reach, {&s.solid, &s.canopy_top, &s.canopy_base});
        const SkyKey key{core.col0, core.row0, core.cols, core.rows, h1, h2};
        {
            const std::lock_guard<std::mutex> lock(sky_mutex_);
            if (const auto it = sky_cache_.find(key); it != sky_cache_.end()) return it->second;
        }
        auto factors = std::make_shared<std::vector<SkyFactors>>();
        sky_factors(s, region, rays, *factors);
        const std::lock_guard<std::mutex> lock(sky_mutex_);
        return sky_cache_.insert_or_assign(key, std::move(factors)).first->second;
    }

    // Sun, weather and radiation of every hour of the window at one position.
    static Day build_day(const Parameters& p, double latitude_deg, double longitude_deg, const std::string& source) {
        Day d;
        d.latitude_deg = latitude_deg;
        d.longitude_deg = longitude_deg;
        d.position_source = source;
        const double start = p.number("hour_start_local");
        const double end = p.number("hour_end_local");
        if (!(end > start)) throw ConfigError("heat.tmrt: hour_end_local must be after hour_start_local");
        std::vector<double> local_hours;
        if (p.choice("sampling") == "intervals") {
            for (double h = start; h + 1.0 <= end + 1e-9; h += 1.0) local_hours.push_back(h + 0.5);
        } else {
            for (double h = start; h <= end + 1e-9; h += 1.0) local_hours.push_back(h);
        }
        if (local_hours.empty()) throw ConfigError("heat.tmrt: the window from hour_start_local to hour_end_local holds no hour");
        const auto n = local_hours.size();
        auto hourly = [&](const char* name) {
            const auto& v = p.numbers(name);
            if (v.size() != 1 && v.size() != n) {
                throw ConfigError(fmt::format("heat.tmrt: '{}' needs 1 or {} values (one per hour of the window), got {}",
                                              name, n, v.size()));
            }
            return [v](std::size_t i) { return v.size() == 1 ? v[0] : v[i]; };
        };
        const auto ta = hourly("temperature_c");
        const auto rh = hourly("rh_pct");
        const auto q = hourly("global_radiation_wm2");
        const auto qd = hourly("diffuse_radiation_wm2");
        const auto ws = hourly("wind_speed_ms");
        const bool scale_q = p.numbers("global_radiation_wm2").size() == 1;
        const double sin_ref = std::sin(p.number("reference_sun_elevation_deg") * M_PI / 180.0);

        SpaInput base;
        base.year = static_cast<int>(p.number("year"));
        base.month = static_cast<int>(p.number("month"));
        base.day = static_cast<int>(p.number("day"));
        base.utc_offset_h = p.number("utc_offset_h");
        base.delta_t_s = p.number("delta_t_s");
        base.latitude_deg = latitude_deg;
        base.longitude_deg = longitude_deg;
        base.pressure_hpa = p.number("pressure_hpa");
        d.doy = day_of_year(base.year, base.month, base.day);
        const auto times = sunrise_sunset(base);
        d.sunrise_local_h = std::isnan(times.sunrise_h) ? 0.0 : times.sunrise_h;
        // The day's highest sun, sampled every 5 minutes of the local day.
        for (int k = 0; k < 24 * 12; ++k) {
            SpaInput s = base;
            s.hour = 0;
            s.minute = 0;
            s.second = k * 300.0;
            d.max_elevation_deg = std::max(d.max_elevation_deg, sun_position(s).apparent_elevation_deg);
        }
        const double first = p.number("leaf_on_first_day");
        const double last = p.number("leaf_on_last_day");
        d.leaf_on = d.doy >= first && d.doy <= last;
        const double z = p.number("wind_sensor_height_m");
        for (std::size_t i = 0; i < n; ++i) {
            Hour h;
            h.local_hour = local_hours[i];
            SpaInput s = base;
            s.hour = 0;
            s.minute = 0;
            s.second = local_hours[i] * 3600.0;
            s.temperature_c = ta(i);
            h.sun = sun_position(s);
            h.elevation_deg = h.sun.apparent_elevation_deg;
            const double sin_el = std::max(0.0, std::sin(h.elevation_deg * M_PI / 180.0));
            SolweigWeather w;
            w.day_of_year = d.doy;
            w.latitude_deg = base.latitude_deg;
            w.ta_c = ta(i);
            w.rh_pct = rh(i);
            w.pressure_hpa = base.pressure_hpa;
            w.global_wm2 = h.elevation_deg > 0.0 ? (scale_q ? q(i) * sin_el / sin_ref : q(i)) : 0.0;
            w.diffuse_wm2 = qd(i);
            w.elevation_deg = h.elevation_deg;
            w.azimuth_deg = h.sun.azimuth_deg;
            w.local_hour = local_hours[i];
            w.sunrise_local_h = d.sunrise_local_h;
            w.max_elevation_deg = d.max_elevation_deg;
            h.rad = solweig_hour(w);
            // Power-law wind conversion of UMEP (B.6).
            h.wind10_ms = std::pow(10.0 / z, 0.2) * ws(i);
            h.wind11_ms = std::pow(1.1 / z, 0.2) * ws(i);
            h.vapour_pressure_hpa = utci_saturation_vapour_pressure_hpa(ta(i)) * rh(i) / 100.0;
            d.hours.push_back(h);
        }
        d.tmrt.transmissivity = d.leaf_on ? p.number("transmissivity") : p.number("transmissivity_leaf_off");
        d.tmrt.absorption_k = p.number("absorption_shortwave");
        d.tmrt.absorption_l = p.number("absorption_longwave");
        if (p.choice("posture") == "sitting") {
            d.tmrt.f_up = 0.1667;
            d.tmrt.f_side = 0.1667;
            d.tmrt.f_cyl = 0.20;
        }
        const auto& wall = surface_material(kWall);
        d.tmrt.wall_albedo = wall.albedo;
        d.tmrt.wall_emissivity = wall.emissivity;
        return d;
    }

    // The position rule of heat.pet: each coordinate from the parameter when the batch gives it, else the
    // grid centre the loader converted with PROJ (stack scalars), else the parameter's default. Days are
    // kept per position, so every tile of a run shares one.
    const Day& day_for(const LayerStack& stack) const {
        double values[2];
        std::string sources[2];
        const char* params[2] = {"latitude_deg", "longitude_deg"};
        const char* scalars[2] = {"grid.center_lat_deg", "grid.center_lon_deg"};
        for (int k = 0; k < 2; ++k) {
            if (!p_.was_given(params[k]) && stack.has_scalar(scalars[k])) {
                values[k] = stack.scalar(scalars[k]);
                sources[k] = "grid centre";
            } else {
                values[k] = p_.number(params[k]);
                sources[k] = p_.was_given(params[k]) ? "parameter" : "default";
            }
        }
        if (values[0] == default_day_->latitude_deg && values[1] == default_day_->longitude_deg) return *default_day_;
        const std::lock_guard<std::mutex> lock(days_mutex_);
        const auto key = std::make_pair(values[0], values[1]);
        auto it = days_.find(key);
        if (it == days_.end()) {
            const std::string source = sources[0] == sources[1] ? sources[0]
                                                                : fmt::format("latitude: {}, longitude: {}", sources[0], sources[1]);
            it = days_.emplace(key, std::make_shared<const Day>(build_day(p_, values[0], values[1], source))).first;
        }
        return *it->second;
    }

    struct CellResult {
        float tmrt = kNaN, utci = kNaN, utci_class = kNaN, pet = kNaN, out_of_domain = kNaN;
    };
    using PetCache = std::vector<std::unordered_map<std::int64_t, double>>;

    std::string person_note() const {
        return fmt::format("MEMI (UMEP port), person {} y / {} kg / {} m / {} / {} W / {} clo", person_.age_y, person_.weight_kg,
                           person_.height_m, person_.male ? "male" : "female", person_.work_w, person_.clo);
    }

    // PET of hour h at a Tmrt rounded to kPetTmrtStep: a pure function of the rounded value, memoised.
    double pet_at(const Day& day, std::size_t h, double tmrt_c, PetCache& cache) const {
        const auto key = static_cast<std::int64_t>(std::llround(tmrt_c / kPetTmrtStep));
        auto& memo = cache[h];
        if (const auto it = memo.find(key); it != memo.end()) return it->second;
        const Hour& hs = day.hours[h];
        const auto r = pet_memi(hs.rad.ta_c, hs.rad.rh_pct, static_cast<double>(key) * kPetTmrtStep, hs.wind11_ms, person_);
        const double v = r ? r->pet_c : std::nan("");
        memo.emplace(key, v);
        return v;
    }

    // The per-cell model shared by compute and explain (they differ only in how sky factors and shadows
    // were obtained: kernels there, plain references here).
    CellResult evaluate(const Day& day, const SkyFactors& sky, const std::array<float, kMaterialCount>& mat, const std::vector<std::uint8_t>& codes,
                        PetCache& cache, Explanation* e) const {
        CellResult res;
        if (std::isnan(sky.svf)) return res;
        SurfaceCell cell;
        cell.sky = sky;
        cell.albedo = 0.0;
        cell.emissivity = 0.0;
        for (int m = 0; m < kMaterialCount; ++m) {
            cell.albedo += mat[static_cast<std::size_t>(m)] * surface_material(static_cast<Material>(m)).albedo;
            cell.emissivity += mat[static_cast<std::size_t>(m)] * surface_material(static_cast<Material>(m)).emissivity;
        }
        if (e) {
            e->terms.push_back({"svf", sky.svf, "1", "sky view factor, buildings (plain reference ray walk)"});
            e->terms.push_back({"svf_veg", sky.svf_veg, "1", "sky view factor, vegetation"});
            e->terms.push_back({"svf_aveg", sky.svf_aveg, "1", "1 - crowns in front of buildings"});
            e->terms.push_back({"svf_n_e_s_w", sky.dir[0], "1",
                                fmt::format("directional: {:.4f} {:.4f} {:.4f} {:.4f}", sky.dir[0], sky.dir[1], sky.dir[2], sky.dir[3])});
            e->terms.push_back({"ground_albedo", cell.albedo, "1", "land-cover weighted UMEP materials (B.5)"});
            e->terms.push_back({"ground_emissivity", cell.emissivity, "1", ""});
        }
        double tmrt_sum = 0.0, utci_sum = 0.0, pet_sum = 0.0;
        int out_of_domain = 0;
        bool pet_missing = false;
        const double psi = day.tmrt.transmissivity;
        for (std::size_t h = 0; h < day.hours.size(); ++h) {
            const Hour& hs = day.hours[h];
            cell.sunlit = codes[h] == kSunlit ? 1.0 : (codes[h] == kVegetationShadow ? psi : 0.0);
            cell.excess_k = 0.0;
            for (int m = 0; m < kMaterialCount; ++m) {
                cell.excess_k += mat[static_cast<std::size_t>(m)] * hs.rad.surface_excess_k[static_cast<std::size_t>(m)];
            }
            const Fluxes f = solweig_fluxes(hs.rad, cell, day.tmrt);
            tmrt_sum += f.tmrt_c;
            const UtciResult u = utci(hs.rad.ta_c, f.tmrt_c, hs.wind10_ms, hs.rad.rh_pct);
            if (u.utci_c) utci_sum += *u.utci_c;
            else ++out_of_domain;
            const double pet = pet_at(day, h, f.tmrt_c, cache);
            if (std::isnan(pet)) pet_missing = true;
            else pet_sum += pet;
            if (e) {
                const char* what = codes[h] == kSolidShadow ? "building/terrain shadow" : codes[h] == kVegetationShadow ? "tree shadow" : "sun";
                e->terms.push_back({fmt::format("hour_{:.1f}.tmrt", hs.local_hour), f.tmrt_c, "degC",
                                    fmt::format("{}; sun {:.2f} deg at {:.2f} deg; G {:.1f} D {:.1f} I {:.1f} W/m2, CI {:.3f}, esky "
                                                "{:.3f}; Kdown {:.1f} Kup {:.1f} Kside_I {:.1f} K N/E/S/W {:.1f} {:.1f} {:.1f} {:.1f}; "
                                                "Ldown {:.1f} Lup {:.1f} L N/E/S/W {:.1f} {:.1f} {:.1f} {:.1f}; F_sh {:.3f}; Tg-Ta {:.2f} K",
                                                what, hs.elevation_deg, hs.sun.azimuth_deg, hs.rad.global_wm2, hs.rad.diffuse_wm2,
                                                hs.rad.direct_normal_wm2, hs.rad.clearness_ci, hs.rad.sky_emissivity, f.kdown, f.kup,
                                                f.kside_direct, f.kside[0], f.kside[1], f.kside[2], f.kside[3], f.ldown, f.lup,
                                                f.lside[0], f.lside[1], f.lside[2], f.lside[3], f.wall_shadow_fraction,
                                                cell.excess_k * cell.sunlit)});
                e->terms.push_back({fmt::format("hour_{:.1f}.utci", hs.local_hour), u.utci_c ? *u.utci_c : std::nan(""), "degC",
                                    u.utci_c ? fmt::format("Ta {:.2f} degC, va10 {:.2f} m/s, e {:.2f} hPa", hs.rad.ta_c,
                                                           hs.wind10_ms, hs.vapour_pressure_hpa)
                                             : "outside the UTCI domain: " + u.out_of_domain});
                e->terms.push_back({fmt::format("hour_{:.1f}.pet", hs.local_hour), pet, "degC",
                                    fmt::format("v(1.1 m) {:.2f} m/s", hs.wind11_ms)});
            }
        }
        const double n = static_cast<double>(day.hours.size());
        res.tmrt = static_cast<float>(tmrt_sum / n);
        res.out_of_domain = static_cast<float>(out_of_domain);
        if (out_of_domain == 0) {
            res.utci = static_cast<float>(utci_sum / n);
            res.utci_class = static_cast<float>(utci_class(res.utci));
        }
        if (!pet_missing) res.pet = static_cast<float>(pet_sum / n);
        return res;
    }

    WindowData prepare(const LayerStack& stack, const Window& win) const {
        const std::string dsm_name(layer::dsm), dem_name(layer::dem), canopy_name(layer::canopy_height);
        if (!stack.has_raster(dsm_name)) {
            throw DataError("heat.tmrt needs a surface model: add a 'dsm' or 'dem' input (with buildings and trees)");
        }
        std::vector<std::pair<const Raster*, Material>> classes;
        for (const auto& c : landcover_classes()) {
            const auto name = layer::landcover_fraction(c);
            if (!stack.has_raster(name)) continue;
            Material m = kGrass;
            if (c == "paved") m = paved_;
            else if (c == "building") m = kRoof;
            else if (c == "water") m = kWater;
            else if (c == "bare") m = kBareSoil;
            classes.emplace_back(&stack.raster(name), m);
        }
        if (classes.empty()) {
            throw DataError("heat.tmrt needs land cover for the ground albedo, emissivity and temperature: add a 'landcover' input");
        }
        const Raster& dsm = stack.raster(dsm_name);
        const Raster* dem = stack.has_raster(dem_name) ? &stack.raster(dem_name) : nullptr;
        const Raster* canopy = stack.has_raster(canopy_name) ? &stack.raster(canopy_name) : nullptr;
        const double trunk = p_.number("trunk_ratio");
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
        wd.nodata.resize(n);
        wd.material.resize(n);
        for (std::int64_t r = 0; r < win.rows; ++r) {
            for (std::int64_t c = 0; c < win.cols; ++c) {
                const auto gc = win.col0 + c;
                const auto gr = win.row0 + r;
                const auto i = s.index(c, r);
                const float z = dsm.at(gc, gr);
                const float g = dem ? dem->at(gc, gr) : z;
                const float ch = canopy ? canopy->at(gc, gr) : 0.0f;
                s.set_cell(i, z, g, ch, trunk);
                bool nodata = std::isnan(z) || std::isnan(g) || std::isnan(ch);
                std::array<float, kMaterialCount> w{};
                float total = 0.0f;
                for (const auto& [raster, m] : classes) {
                    const float f = raster->at(gc, gr);
                    if (std::isnan(f)) {
                        nodata = true;
                        continue;
                    }
                    w[m] += f;
                    total += f;
                }
                if (total > 0.0f) {
                    for (auto& v : w) v /= total;
                } else {
                    w[paved_] = 1.0f;  // no class covers the cell: paved (UMEP's default surface)
                }
                wd.material[i] = w;
                wd.nodata[i] = nodata ? 1 : 0;
            }
        }
        s.finish();
        return wd;
    }

    Parameters p_;
    MemiPerson person_;
    int patch_count_ = 153;
    Material paved_ = kAsphalt;
    std::shared_ptr<const Day> default_day_;
    using SkyKey = std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::uint64_t, std::uint64_t>;
    mutable std::mutex sky_mutex_;
    mutable std::map<SkyKey, std::shared_ptr<const std::vector<SkyFactors>>> sky_cache_;
    mutable std::mutex days_mutex_;
    mutable std::map<std::pair<double, double>, std::shared_ptr<const Day>> days_;
};

Formula pet_formula() {
    Formula f;
    f.name = "pet";
    f.summary = "PET by Hoeppe's MEMI as ported in UMEP (heat-method.md B.7.2) for the pinned reference person (35 y, "
                "75 kg, 1.80 m, male, 80 W, 0.9 clo; B.7.1), overridable";
    f.inputs = {
        required_number("ta_c", "degC", "air temperature", -60, 60),
        required_number("tmrt_c", "degC", "mean radiant temperature", -80, 120),
        required_number("v_ms", "m/s", "wind speed at 1.1 m", 0, 60),
        required_number("rh_pct", "%", "relative humidity", 0, 100),
        number_parameter("age_y", "y", "age", 35, 1, 110),
        number_parameter("weight_kg", "kg", "body mass", 75, 10, 250),
        number_parameter("height_m", "m", "height", 1.80, 0.5, 2.5),
        number_parameter("work_w", "W", "activity added to the basal metabolism", 80, 0, 1000),
        number_parameter("clo", "clo", "clothing insulation", 0.9, 0.05, 4),
        choice_parameter("sex", "'male' or 'female'", "male", {"male", "female"}),
    };
    f.results = {"pet_c", "skin_c", "core_c", "mode", "metabolism_w", "dubois_area_m2"};
    f.evaluate = [](const Parameters& p) {
        MemiPerson person;
        person.age_y = p.number("age_y");
        person.weight_kg = p.number("weight_kg");
        person.height_m = p.number("height_m");
        person.work_w = p.number("work_w");
        person.clo = p.number("clo");
        person.male = p.choice("sex") == "male";
        FormulaResult r;
        const auto body = memi_body(person);
        r.values["metabolism_w"] = body.metabolism_w;
        r.values["dubois_area_m2"] = body.dubois_area_m2;
        const auto res = pet_memi(p.number("ta_c"), p.number("rh_pct"), p.number("tmrt_c"), p.number("v_ms"), person);
        if (res) {
            r.values["pet_c"] = res->pet_c;
            r.values["skin_c"] = res->skin_c;
            r.values["core_c"] = res->core_c;
            r.values["mode"] = res->mode;
        } else {
            for (const char* k : {"pet_c", "skin_c", "core_c", "mode"}) r.values[k] = std::nullopt;
            r.warnings.push_back(p.number("v_ms") <= 0.0 ? "wind speed must be above 0 m/s for MEMI (heat-method.md B.7.2)"
                                                          : "MEMI found no thermoregulation state for these inputs");
        }
        return r;
    };
    return f;
}

}  // namespace

const IndicatorDescriptor& HeatTmrt::descriptor() const { return tmrt_descriptor(); }

std::unique_ptr<IndicatorModel> HeatTmrt::build(const Parameters& params) const {
    return std::make_unique<HeatTmrtModel>(params);
}

std::vector<Formula> HeatTmrt::formulas() const { return {pet_formula()}; }

}  // namespace areatwin::indicators::heat
