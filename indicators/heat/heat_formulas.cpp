// SPDX-License-Identifier: GPL-3.0-or-later
// Named point formulas of the heat family (`areatwin formula NAME key=value ...`).
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "areatwin/engine/errors.hpp"
#include "heat/comfort.hpp"
#include "heat/heat.hpp"
#include "heat/solar.hpp"

namespace areatwin::indicators::heat {

namespace {

using Kind = ParameterSpec::Kind;


ClockTime parse_utc_parameter(const std::string& text) {
    std::string why;
    const auto t = parse_iso8601(text, &why);
    if (!t) throw ConfigError(fmt::format("sun_position: utc '{}' {}", text, why));
    return *t;
}

Formula sun_position_formula() {
    Formula f;
    f.name = "sun_position";
    f.summary = "NREL SPA sun position (Reda & Andreas 2004/2008) for a time and place: utc=YYYY-MM-DDTHH:MM:SSZ "
                "(or with an offset such as +02:00), or year, month, day, hour, minute, second of the clock time "
                "with utc_offset_h (0 = UTC)";
    const double not_given = std::nan("");
    f.inputs = {
        {"utc", Kind::Choice, "", "ISO 8601 time, e.g. 2019-07-25T12:00:00Z; replaces year ... utc_offset_h", {}, {""}, 0, 0, {}},
        number_parameter("year", "", "year (when utc is not given)", not_given, -2000, 6000),
        number_parameter("month", "", "month (when utc is not given)", not_given, 1, 12),
        number_parameter("day", "", "day of the month (when utc is not given)", not_given, 1, 31),
        number_parameter("hour", "h", "hour of the clock time", 12, 0, 24),
        number_parameter("minute", "min", "minute", 0, 0, 59),
        number_parameter("second", "s", "second", 0, 0, 60),
        number_parameter("utc_offset_h", "h", "clock time minus UTC (0: the time is UTC; CEST = 2)", 0, -18, 18),
        required_number("lat_deg", "deg", "latitude", -90, 90),
        required_number("lon_deg", "deg", "longitude, east positive", -180, 180),
        number_parameter("elevation_m", "m", "observer elevation", 0, -1000, 9000),
        number_parameter("pressure_hpa", "hPa", "annual mean pressure (refraction)", 1013.25, 500, 1100),
        number_parameter("temperature_c", "degC", "annual mean temperature (refraction)", 12, -60, 60),
        number_parameter("delta_t_s", "s", "TT - UT1 (about 69 s in 2019)", 69, -8000, 8000),
        number_parameter("slope_deg", "deg", "surface slope for the incidence angle", 0, -360, 360),
        number_parameter("azimuth_rotation_deg", "deg", "surface azimuth rotation from south, west positive", 0, -360, 360),
        number_parameter("atmos_refract_deg", "deg", "refraction at sunrise and sunset", 0.5667, -5, 5),
    };
    f.results = {"azimuth_deg", "zenith_deg", "elevation_deg", "apparent_elevation_deg", "incidence_deg", "julian_day",
                 "sunrise_local_h", "sunset_local_h"};
    f.evaluate = [](const Parameters& p) {
        SpaInput in;
        in.hour = 0;
        in.minute = 0;
        if (const auto& utc = p.choice("utc"); !utc.empty()) {
            const auto t = parse_utc_parameter(utc);
            in.year = t.year;
            in.month = t.month;
            in.day = t.day;
            in.second = t.hour * 3600.0 + t.minute * 60.0 + t.second;
            in.utc_offset_h = t.utc_offset_h;
        } else {
            if (std::isnan(p.number("year")) || std::isnan(p.number("month")) || std::isnan(p.number("day"))) {
                throw ConfigError("sun_position: give utc=YYYY-MM-DDTHH:MM:SSZ, or year, month and day");
            }
            in.year = static_cast<int>(std::floor(p.number("year")));
            in.month = static_cast<int>(std::floor(p.number("month")));
            in.day = static_cast<int>(std::floor(p.number("day")));
            in.second = p.number("hour") * 3600.0 + p.number("minute") * 60.0 + p.number("second");
            in.utc_offset_h = p.number("utc_offset_h");
        }
        in.latitude_deg = p.number("lat_deg");
        in.longitude_deg = p.number("lon_deg");
        in.elevation_m = p.number("elevation_m");
        in.pressure_hpa = p.number("pressure_hpa");
        in.temperature_c = p.number("temperature_c");
        in.delta_t_s = p.number("delta_t_s");
        in.slope_deg = p.number("slope_deg");
        in.azimuth_rotation_deg = p.number("azimuth_rotation_deg");
        in.atmos_refract_deg = p.number("atmos_refract_deg");
        const auto s = sun_position(in);
        const auto t = sunrise_sunset(in);
        FormulaResult r;
        r.values["azimuth_deg"] = s.azimuth_deg;
        r.values["zenith_deg"] = s.zenith_deg;
        r.values["elevation_deg"] = s.elevation_deg;
        r.values["apparent_elevation_deg"] = s.apparent_elevation_deg;
        r.values["incidence_deg"] = s.incidence_deg;
        r.values["julian_day"] = s.julian_day;
        r.values["sunrise_local_h"] = std::isnan(t.sunrise_h) ? std::nullopt : std::optional<double>(t.sunrise_h);
        r.values["sunset_local_h"] = std::isnan(t.sunset_h) ? std::nullopt : std::optional<double>(t.sunset_h);
        if (std::isnan(t.sunrise_h)) r.warnings.push_back("the sun does not rise or set on this day");
        return r;
    };
    return f;
}

Formula utci_formula() {
    Formula f;
    f.name = "utci";
    f.summary = "UTCI by the operational 6th-order polynomial (Broede et al. 2012, UTCI_a002), Hardy ITS-90 vapour "
                "pressure with ln(T); null with a warning outside the validity domain";
    f.inputs = {
        required_number("ta_c", "degC", "air temperature", -100, 100),
        required_number("tmrt_c", "degC", "mean radiant temperature", -150, 200),
        required_number("va10_ms", "m/s", "wind speed at 10 m", 0, 100),
        required_number("rh_pct", "%", "relative humidity", 0, 100),
    };
    f.results = {"utci_c", "category", "utci_class", "vapour_pressure_hpa"};
    f.evaluate = [](const Parameters& p) {
        FormulaResult r;
        const double ta = p.number("ta_c");
        const double rh = p.number("rh_pct");
        const auto u = utci(ta, p.number("tmrt_c"), p.number("va10_ms"), rh);
        r.values["vapour_pressure_hpa"] = utci_saturation_vapour_pressure_hpa(ta) * rh / 100.0;
        r.values["utci_c"] = u.utci_c;
        if (u.utci_c) {
            r.texts["category"] = utci_category(*u.utci_c);
            r.values["utci_class"] = utci_class(*u.utci_c);
        } else {
            r.values["utci_class"] = std::nullopt;
            r.warnings.push_back("outside the UTCI validity domain: " + u.out_of_domain);
        }
        return r;
    };
    return f;
}

Formula wetbulb_formula() {
    Formula f;
    f.name = "wetbulb_stull";
    f.summary = "Stull (2011) wet-bulb temperature from air temperature and relative humidity (heat-method.md A.6)";
    f.inputs = {required_number("ta_c", "degC", "air temperature", -100, 100), required_number("rh_pct", "%", "relative humidity", 0, 100)};
    f.results = {"tw_c"};
    f.evaluate = [](const Parameters& p) {
        FormulaResult r;
        r.values["tw_c"] = wetbulb_stull_c(p.number("ta_c"), p.number("rh_pct"));
        if (!r.values["tw_c"]) r.warnings.push_back("outside Stull's domain (RH 5-99 %, Ta -20..50 degC)");
        return r;
    };
    return f;
}

Formula uhi_formula() {
    Formula f;
    f.name = "uhi_max";
    f.summary = "Theeuwes et al. (2017) maximum urban heat island (2 - SVF - F_veg)(S DTR^3 / U)^(1/lambda), "
                "S = mean global radiation / (rho c_p) (heat-method.md A.9)";
    f.inputs = {
        required_number("svf", "", "sky view factor averaged around the location", 0, 1),
        required_number("f_veg", "", "vegetation fraction averaged around the location", 0, 1),
        required_number("dtr_k", "K", "daily temperature range at the rural station", 0, 40),
        required_number("u_ms", "m/s", "daily mean 10 m wind", 0, 40),
        number_parameter("mean_global_wm2", "W/m2", "24-hour mean global radiation", 300, 0, 1400),
        number_parameter("pressure_hpa", "hPa", "pressure for the air density", 1013.25, 500, 1100),
        number_parameter("temperature_c", "degC", "temperature for the air density", 20, -50, 50),
        number_parameter("lambda", "", "exponent 1/lambda (Theeuwes 2017: 4; uhi_max R package: 3.6)", 4, 1, 10),
    };
    f.results = {"uhi_max_k", "s_kms"};
    f.evaluate = [](const Parameters& p) {
        FormulaResult r;
        const double s = uhi_s_kms(p.number("mean_global_wm2"), p.number("pressure_hpa"), p.number("temperature_c"));
        r.values["s_kms"] = s;
        if (p.number("u_ms") < 0.5) {
            r.values["uhi_max_k"] = std::nullopt;
            r.warnings.push_back("mean wind below 0.5 m/s is outside the formula's scope (heat-method.md A.9)");
        } else {
            r.values["uhi_max_k"] =
                uhi_max_k(p.number("svf"), p.number("f_veg"), s, p.number("dtr_k"), p.number("u_ms"), p.number("lambda"));
        }
        return r;
    };
    return f;
}

Formula pet_dpra_formula() {
    Formula f;
    f.name = "pet_dpra";
    f.summary = "Dutch standard PET regression (Koopmans et al. 2020; heat-method.md A.4) for a cell in sun and in shade";
    f.inputs = {
        required_number("ta_c", "degC", "local air temperature", -20, 50),
        required_number("rh_pct", "%", "relative humidity", 5, 99),
        required_number("u_ms", "m/s", "pedestrian (1.2 m) wind; floored at 0.5", 0, 40),
        required_number("svf", "", "sky view factor", 0, 1),
        required_number("global_wm2", "W/m2", "global radiation Q", 0, 1400),
        required_number("sun_elevation_deg", "deg", "sun elevation", -90, 90),
        number_parameter("bowen", "", "Bowen ratio (0.4 vegetated, 3 other)", 3, 0, 20),
        number_parameter("diffuse_wm2", "W/m2", "diffuse radiation; negative: the clearness rule of A.7", -1, -1, 1400),
    };
    f.results = {"pet_sun_c", "pet_shade_c", "tw_c", "diffuse_wm2", "u_ms", "class_sun", "class_shade"};
    f.evaluate = [](const Parameters& p) {
        FormulaResult r;
        const auto tw = wetbulb_stull_c(p.number("ta_c"), p.number("rh_pct"));
        const double q = p.number("global_wm2");
        const double el = p.number("sun_elevation_deg");
        const double qd = p.number("diffuse_wm2") < 0 ? diffuse_dpra_wm2(q, el) : p.number("diffuse_wm2");
        const double u = std::max(p.number("u_ms"), 0.5);
        r.values["tw_c"] = tw;
        r.values["diffuse_wm2"] = qd;
        r.values["u_ms"] = u;
        if (!tw) {
            r.values["pet_sun_c"] = std::nullopt;
            r.values["pet_shade_c"] = std::nullopt;
            r.texts["class_sun"] = r.texts["class_shade"] = "";
            r.warnings.push_back("outside Stull's domain (RH 5-99 %, Ta -20..50 degC)");
            return r;
        }
        const DpraInputs in{p.number("ta_c"), *tw, u, p.number("svf"), q, qd, el, p.number("bowen")};
        const double shade = pet_dpra_shade_c(in);
        r.values["pet_shade_c"] = shade;
        r.texts["class_shade"] = pet_class_label_nl(pet_class(shade));
        if (el > 0.0) {
            const double sun = pet_dpra_sun_c(in);
            r.values["pet_sun_c"] = sun;
            r.texts["class_sun"] = pet_class_label_nl(pet_class(sun));
        } else {
            r.values["pet_sun_c"] = std::nullopt;
            r.texts["class_sun"] = "";
            r.warnings.push_back("sun below the horizon: only the shade formula applies");
        }
        if (p.number("u_ms") < 0.5) r.warnings.push_back("wind floored at 0.5 m/s (heat-method.md A.14.6)");
        return r;
    };
    return f;
}

Formula wind_formula() {
    Formula f;
    f.name = "wind_reduction";
    f.summary = "DPRA/Macdonald pedestrian wind reduction from the frontal area index and obstacle height "
                "(heat-method.md A.10 steps 8-9), and the 1.2 m wind for a 10 m station wind";
    f.inputs = {
        required_number("lambda_f", "", "frontal area index (capped at 0.33)", 0, 1),
        required_number("height_m", "m", "combined obstacle height (at least 4 m)", 0, 500),
        number_parameter("wind10_ms", "m/s", "station wind at 10 m", 1, 0, 60),
    };
    f.results = {"w", "u_ms", "u_open_grass_ms"};
    f.evaluate = [](const Parameters& p) {
        FormulaResult r;
        const double lf = std::min(p.number("lambda_f"), 0.33);
        const double w = wind_reduction_macdonald(lf, std::max(p.number("height_m"), 4.0));
        r.values["w"] = w;
        r.values["u_ms"] = pedestrian_wind_ms(w, p.number("wind10_ms"));
        r.values["u_open_grass_ms"] = pedestrian_wind_ms(1.0, p.number("wind10_ms"));
        return r;
    };
    return f;
}

}  // namespace

std::vector<Formula> HeatPet::formulas() const {
    return {sun_position_formula(), utci_formula(), wetbulb_formula(), uhi_formula(), pet_dpra_formula(), wind_formula()};
}

}  // namespace areatwin::indicators::heat
