// SPDX-License-Identifier: GPL-3.0-or-later
//
// noise.cnossos: CNOSSOS-EU road traffic noise (Directive 2015/996 Annex II as amended by 2021/1226) on
// grid receivers. Method notes: ../shared/reference/noise-method.md; model card: indicators/noise/README.md.
#include "noise/noise_cnossos.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <atomic>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <variant>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/executor.hpp"
#include "areatwin/engine/rasterize.hpp"
#include "areatwin/engine/roles.hpp"
#include "noise/cnossos_emission.hpp"
#include "noise/cnossos_path.hpp"
#include "noise/cnossos_lateral.hpp"
#include "noise/cnossos_reflection.hpp"

namespace areatwin::indicators::noise {

namespace {

constexpr double kRoadSourceHeightM = 0.05;  // source line above the road surface (2.2.1)
constexpr std::size_t kPeriods = 3;          // day, evening, night (roles.hpp traffic_periods())
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// A-weighting as energy factors 10^(A_i/10).
const Bands kAWeightEnergy = [] {
    Bands w{};
    for (std::size_t i = 0; i < kBandCount; ++i) w[i] = std::pow(10.0, kAWeightingDb[i] / 10.0);
    return w;
}();

const IndicatorDescriptor& noise_descriptor() {
    static const IndicatorDescriptor descriptor{
        "noise.cnossos",
        "0.2.0",
        "Road traffic and generic-source noise Lden and Lnight in dB(A) on grid, point and facade receivers (CNOSSOS-EU)",
        "CNOSSOS-EU, Directive (EU) 2015/996 Annex II as amended by Delegated Directive (EU) 2021/1226: road "
        "emission 2.2 (Table F-1 2021 coefficients, surfaces F-4, temperature, junctions, gradients, studded "
        "tyres), propagation 2.5 per octave band 63-8000 Hz (divergence, ISO 9613-1 absorption, ground effect "
        "under homogeneous and favourable conditions with G'path, diffraction over roofs and barriers with the "
        "Delta_dif ground terms), long-term level from the probability of favourable conditions; interpretations of "
        "ISO/TR 17534-4:2020, reproduced for TC01-TC04 and TC07 (noise-method.md sections 4-12)",
        "Receivers higher than 2 m above ground, propagation under 800 m, no tunnel mouths, not over water bodies "
        "(JRC CNOSSOS report 2012 p. 75). Road speeds 20-130 km/h. Buildings and terrain enter as grid cells: "
        "obstacles narrower than a cell are smoothed out, and cells whose centre lies inside a building are nodata.",
        "Each road line carries both directions; a gradient splits its flow 50/50 uphill/downhill. Road sources are "
        "points at 0.05 m above the road; each road polyline is halved by arc length until its parts are shorter than "
        "source_spacing_ratio times their distance to the receiver (at least min_source_spacing_m), G_s = source_ground_g; "
        "generic sources (noise_sources) at height_m with the local G_s. Reflections by image sources on building facades "
        "and barriers within reflection_distance_m of the receiver, facade absorption facade_absorption in every band; "
        "lateral diffraction only with lateral_diffraction: yes; one probability of favourable conditions for every "
        "direction and period. "
        "The junction correction uses the road's junction_distance_m for all of its points. A source farther than "
        "max_distance_m is ignored. Cells without any source within range are nodata.",
        {
            {"receiver_height_m", ParameterSpec::Kind::Number, "m", "grid receiver height above ground (default 4, END maps)",
             {4.0}, {}, 1.0, 50.0, {}},
            {"max_distance_m", ParameterSpec::Kind::Number, "m",
             "largest source-receiver distance; also the halo (default 500)", {500.0}, {}, 20.0, 2000.0, {}},
            {"min_source_spacing_m", ParameterSpec::Kind::Number, "m",
             "shortest road piece represented by one point source (default 2)", {2.0}, {}, 0.5, 100.0, {}},
            {"source_spacing_ratio", ParameterSpec::Kind::Number, "",
             "road pieces are halved until shorter than this ratio times their distance to the receiver (default 0.5, "
             "NoiseModelling's spacing ratio 2)", {0.5}, {}, 0.01, 2.0, {}},
            {"ground_g_source", ParameterSpec::Kind::Choice, "",
             "ground factor from the 'ground_g' raster ('layer') or everywhere ground_g ('parameter', default)", {},
             {"parameter"}, 0.0, 0.0, {"parameter", "layer"}},
            {"ground_g", ParameterSpec::Kind::Number, "",
             "ground factor G where no ground_g layer value is given (default 0.5); buildings are always 0", {0.5}, {},
             0.0, 1.0, {}},
            {"source_ground_g", ParameterSpec::Kind::Number, "",
             "G_s under road sources in the G'path rule (default 0, the road platform)", {0.0}, {}, 0.0, 1.0, {}},
            {"favourable_probability", ParameterSpec::Kind::NumberList, "",
             "probability p of favourable propagation conditions: one value for every direction (default 0.5), or one per "
             "direction sector of equal width, sector 0 centred on grid north, clockwise, by the direction source -> "
             "receiver (e.g. 16 values as NoiseModelling)", {0.5}, {}, 0.0, 1.0, {}},
            {"temperature_c", ParameterSpec::Kind::Number, "degC",
             "air temperature for absorption and the rolling-noise correction (default 10, Dutch annual mean)", {10.0},
             {}, -30.0, 45.0, {}},
            {"humidity_pct", ParameterSpec::Kind::Number, "%", "relative humidity for absorption (default 70)", {70.0}, {},
             5.0, 100.0, {}},
            {"pressure_kpa", ParameterSpec::Kind::Number, "kPa", "air pressure for absorption (default 101.325)",
             {101.325}, {}, 80.0, 110.0, {}},
            {"coefficients", ParameterSpec::Kind::Choice, "",
             "road emission coefficient set: EU-2021 (default, Table F-1 as replaced by 2021/1226), EU-2015 (the legacy table "
             "first published in 2015/996) or NL-draft (DRAFT, unverified Dutch set)", {},
             {"EU-2021"}, 0.0, 0.0, coefficient_set_names()},
            {"default_surface", ParameterSpec::Kind::Choice, "",
             "road surface of roads without a 'surface' attribute (default DEF, the reference surface)", {}, {"DEF"},
             0.0, 0.0, road_surface_ids()},
            {"default_speed_kmh", ParameterSpec::Kind::Number, "km/h",
             "speed of a vehicle category with flow but no speed attribute (default 50)", {50.0}, {}, 20.0, 130.0, {}},
            {"day_hours", ParameterSpec::Kind::Number, "h", "length of the day period (default 12, 07-19)", {12.0}, {},
             1.0, 22.0, {}},
            {"evening_hours", ParameterSpec::Kind::Number, "h", "length of the evening period (default 4, 19-23)", {4.0},
             {}, 1.0, 22.0, {}},
            {"night_hours", ParameterSpec::Kind::Number, "h", "length of the night period (default 8, 23-07)", {8.0}, {},
             1.0, 22.0, {}},
            {"all_periods", ParameterSpec::Kind::Choice, "",
             "also write noise_lday and noise_levening ('yes'); default 'no'", {}, {"no"}, 0.0, 0.0, {"no", "yes"}},
            {"sources", ParameterSpec::Kind::Choice, "",
             "sources mapped: 'roads' (default), 'noise_sources' (generic point and line sources with lw_<period>_<band>) "
             "or 'roads+noise_sources'", {}, {"roads"}, 0.0, 0.0, {"roads", "noise_sources", "roads+noise_sources"}},
            {"barriers", ParameterSpec::Kind::Choice, "",
             "read the 'barriers' role (lines with height_m; their tops diffract every path crossing them): 'yes' or "
             "'no' (default)", {}, {"no"}, 0.0, 0.0, {"no", "yes"}},
            {"reflection_order", ParameterSpec::Kind::Number, "",
             "order of specular reflections on building facades and barriers (image sources, Annex II 2.5.8; default 1, "
             "0 = none, at most 4)", {1.0}, {}, 0.0, 4.0, {}},
            {"reflection_distance_m", ParameterSpec::Kind::Number, "m",
             "facades and barriers reflect when their extent comes within this distance of the receiver (default 50)",
             {50.0}, {}, 1.0, 2000.0, {}},
            {"facade_absorption", ParameterSpec::Kind::Number, "",
             "absorption coefficient alpha of facades and barriers in every band (default 0.1, NoiseModelling's default; "
             "notes 8.4)", {0.1}, {}, 0.0, 1.0, {}},
            {"propagation_cache_mb", ParameterSpec::Kind::Number, "MB",
             "memory for the propagation kept between scenarios (per grid cell the float transfer of each source in "
             "reach, for the baseline geometry and the latest other one; a traffic-only scenario then costs emission x "
             "transfer, and a scenario with other geometry recomputes only the cells within reach of its changes); "
             "0 = off (default 2048)", {2048.0}, {}, 0.0,
             65536.0, {}},
            {"energy_cutoff_db", ParameterSpec::Kind::Number, "dB",
             "energy-based cut-off: a receiver evaluates its source points from the largest free-field estimate down and "
             "stops when the estimates of the rest add up to less than the energy that raises each period's level by this "
             "much (the levels are then at most this much low; see the README for the bound's assumptions); 0 = every "
             "point within max_distance_m (default). With a cut-off every scenario selects its own paths, so the "
             "propagation is not kept between scenarios", {0.0}, {}, 0.0, 3.0, {}},
            {"lateral_diffraction", ParameterSpec::Kind::Choice, "",
             "lateral paths around the vertical edges of buildings and barriers for screened paths (Annex II 2.5.7): "
             "'no' (default, as in common practice) or 'yes'", {}, {"no"}, 0.0, 0.0, {"no", "yes"}},
            {"facade_receivers", ParameterSpec::Kind::Choice, "",
             "generate facade receivers 2 m in front of every building facade (layer noise_facades, weighted by the "
             "building's dwellings): 'no' (default), '4m' (one row at 4 m) or 'floors' (one per floor)", {}, {"no"}, 0.0,
             0.0, {"no", "4m", "floors"}},
            {"facade_spacing_m", ParameterSpec::Kind::Number, "m",
             "distance between facade receivers along a facade (default 10; a shorter facade gets one at its middle)",
             {10.0}, {}, 1.0, 100.0, {}},
            {"floor_height_m", ParameterSpec::Kind::Number, "m",
             "storey height for facade_receivers 'floors': receivers at (k + 0.5) x floor_height_m below the roof (default 3)",
             {3.0}, {}, 2.0, 10.0, {}},
            {"point_receivers", ParameterSpec::Kind::Choice, "",
             "also compute the 'receivers' role points (layer noise_receivers, per-band levels): 'yes' or 'no' (default)",
             {}, {"no"}, 0.0, 0.0, {"no", "yes"}},
        },
    };
    return descriptor;
}


// A source: one polyline part of a road or generic line (power per metre), or a point source. Receivers
// split lines into point sources by arc length (notes 4.7).
struct Source {
    Point2 a, b;                                      // a point source: a == b; a line: its first and last vertex
    std::vector<Point2> vertices;                     // a line: its vertices (no zero-length segments)
    std::vector<double> arc_m;                        // a line: arc length at each vertex from the first
    bool point = false;
    bool road = true;                                 // road (G_s = source_ground_g) or noise_sources feature
    std::int64_t feature_id = 0;
    double height_m = kRoadSourceHeightM;             // above the ground
    std::array<Bands, kPeriods> power_db{};           // L'W (dB re 1 pW/m) or L_W (dB re 1 pW) per period and band
    std::array<Bands, kPeriods> power{};              // the same as energy 10^(L/10)
    Box2 box{};
};

struct SourcePoint {
    double x = 0.0;
    double y = 0.0;
    double length_m = 0.0;  // metres of line carried by the point; 1 for point sources
    const Source* src = nullptr;
};

// A thin noise barrier piece (barriers role): its top is a diffracting edge of every path crossing it.
struct Barrier {
    Point2 a, b;
    double height_m = 0.0;
    std::int64_t feature_id = 0;
    Box2 box{};
};

// A ground_g polygon with its G, for exact ground spans along paths to point receivers.
struct GroundZone {
    const Geometry* geometry = nullptr;
    Box2 box{};
    double g = 0.0;
};

struct PointReceiver {
    Point2 p;
    double height_m = 4.0;
    std::string name;
    std::int64_t feature_id = 0;
};

struct Settings {
    double receiver_height_m;
    double max_distance_m;
    double min_spacing_m;
    double spacing_ratio;
    bool ground_from_layer;
    double ground_g;
    double source_g;
    FavourableProbability p_sectors;
    Atmosphere air;
    std::string coefficients;
    std::string default_surface;
    double default_speed_kmh;
    std::array<double, kPeriods> hours;
    bool all_periods;
    bool use_roads;
    bool use_generic;
    bool use_barriers;
    bool point_receivers;
    std::size_t reflection_order;
    std::string facade_receivers;
    double facade_spacing_m;
    double floor_height_m;
    double reflection_distance_m;
    double facade_absorption;
    bool lateral;
    std::size_t cache_bytes;
    double cutoff_db;
};

// Rasters read along the paths; absent layers mean flat ground at 0 m, no buildings, G = ground_g.
struct GridLayers {
    const GridSpec* grid = nullptr;
    const Raster* dem = nullptr;
    const Raster* building_height = nullptr;
    const Raster* ground_g = nullptr;
    bool ground_nodata = true;  // NaN in ground_g makes the cell nodata (a raster input, not burnt zones)
    double default_g = 0.5;

    [[nodiscard]] bool inside(std::int64_t c, std::int64_t r) const { return grid->contains_cell(c, r); }
    [[nodiscard]] double terrain(std::int64_t c, std::int64_t r) const {
        if (!dem || !inside(c, r)) return kNaN;
        return dem->at(c, r);
    }
    [[nodiscard]] double building(std::int64_t c, std::int64_t r) const {
        if (!building_height || !inside(c, r)) return 0.0;
        const float h = building_height->at(c, r);
        return std::isnan(h) ? 0.0 : h;
    }
    [[nodiscard]] double g(std::int64_t c, std::int64_t r) const {
        if (!ground_g || !inside(c, r)) return default_g;
        const float v = ground_g->at(c, r);
        return std::isnan(v) ? default_g : std::clamp(static_cast<double>(v), 0.0, 1.0);
    }
};

double energy_to_db(double e) { return e > 0.0 ? 10.0 * std::log10(e) : kNaN; }

Box2 segment_box(const Point2& a, const Point2& b) {
    return {std::min(a.x, b.x), std::min(a.y, b.y), std::max(a.x, b.x), std::max(a.y, b.y)};
}

bool boxes_overlap(const Box2& a, const Box2& b) {
    return a.min_x <= b.max_x && b.min_x <= a.max_x && a.min_y <= b.max_y && b.min_y <= a.max_y;
}

// Sets a line source's vertices (dropping zero-length segments), arc lengths and box; false when the line
// has no length.
bool set_polyline(Source& src, const std::vector<Point2>& line) {
    src.vertices.clear();
    src.arc_m.clear();
    for (const Point2& p : line) {
        if (!src.vertices.empty() && src.vertices.back().x == p.x && src.vertices.back().y == p.y) continue;
        const double arc = src.vertices.empty() ? 0.0
                                                : src.arc_m.back() + std::hypot(p.x - src.vertices.back().x, p.y - src.vertices.back().y);
        src.vertices.push_back(p);
        src.arc_m.push_back(arc);
    }
    if (src.vertices.size() < 2) return false;
    src.point = false;
    src.a = src.vertices.front();
    src.b = src.vertices.back();
    src.box = segment_box(src.a, src.a);
    for (const Point2& p : src.vertices) {
        src.box.min_x = std::min(src.box.min_x, p.x);
        src.box.min_y = std::min(src.box.min_y, p.y);
        src.box.max_x = std::max(src.box.max_x, p.x);
        src.box.max_y = std::max(src.box.max_y, p.y);
    }
    return true;
}

// The point at arc length `arc` along a line source.
Point2 point_at_arc(const Source& src, double arc) {
    const auto it = std::upper_bound(src.arc_m.begin(), src.arc_m.end(), arc);
    std::size_t j = static_cast<std::size_t>(std::distance(src.arc_m.begin(), it));
    j = std::clamp<std::size_t>(j, 1, src.vertices.size() - 1);
    const double a0 = src.arc_m[j - 1], a1 = src.arc_m[j];
    const double w = a1 > a0 ? std::clamp((arc - a0) / (a1 - a0), 0.0, 1.0) : 0.0;
    const Point2& p = src.vertices[j - 1];
    const Point2& q = src.vertices[j];
    return {p.x + w * (q.x - p.x), p.y + w * (q.y - p.y)};
}

// Parameters t (along p->q) and u (along a->b) of the intersection of two segments in plan; false when
// parallel.
bool segment_intersection(const Point2& p, const Point2& q, const Point2& a, const Point2& b, double& t, double& u) {
    const double rx = q.x - p.x, ry = q.y - p.y, sx = b.x - a.x, sy = b.y - a.y;
    const double den = rx * sy - ry * sx;
    if (den == 0.0) return false;
    t = ((a.x - p.x) * sy - (a.y - p.y) * sx) / den;
    u = ((a.x - p.x) * ry - (a.y - p.y) * rx) / den;
    return true;
}

// A numeric attribute that may be absent; present but not a finite number is a DataError.
std::optional<double> optional_number(const Feature& f, const std::string& key, const std::string& where) {
    const auto it = f.attributes.find(key);
    if (it == f.attributes.end() || std::holds_alternative<std::monostate>(it->second)) return std::nullopt;
    const auto v = f.number(key);
    if (!v) {
        const auto* text = std::get_if<std::string>(&it->second);
        if (text && text->find_first_not_of(" \t") == std::string::npos) return std::nullopt;  // empty text is null
        throw DataError(fmt::format("{}: attribute '{}' is not a finite number ({})", where, key,
                                    text ? "'" + *text + "'" : std::string("NaN or infinite")));
    }
    return v;
}

std::string band_label(std::size_t i) { return fmt::format("{}", static_cast<int>(kNominalHz[i])); }

// The road attribute q_<cat>_<period>_veh_per_h etc. of roles.hpp.
std::vector<Source> road_sources(const FeatureSet& roads, const Settings& s) {
    const auto& set = coefficient_set(s.coefficients);
    const auto& cats = vehicle_categories();
    const auto& periods = traffic_periods();
    std::vector<Source> out;
    for (const Feature& f : roads.features) {
        const auto where = [&] { return fmt::format("roads feature {} ({})", f.id, f.source); };
        EmissionConditions cond;
        cond.surface = f.text("surface").value_or(s.default_surface);
        if (cond.surface.empty()) cond.surface = s.default_surface;
        try {
            (void)road_surface(cond.surface);
        } catch (const ConfigError& e) {
            throw DataError(fmt::format("{}: {}", where(), e.what()));
        }
        cond.temperature_c = s.air.temperature_c;
        const double gradient = f.number_or("gradient_pct", 0.0);
        cond.junction_type = static_cast<int>(f.number_or("junction_type", 0.0));
        if (cond.junction_type < 0 || cond.junction_type > 2) {
            throw DataError(fmt::format("{}: junction_type must be 0, 1 (traffic lights) or 2 (roundabout)", where()));
        }
        cond.junction_distance_m = f.number_or("junction_distance_m", 1e9);

        std::array<Bands, kPeriods> line_db{};
        bool any = false;
        for (std::size_t p = 0; p < kPeriods; ++p) {
            TrafficFlow flow;
            for (std::size_t m = 0; m < kCategoryCount; ++m) {
                const double q = f.number_or("q_" + cats[m] + "_" + periods[p] + "_veh_per_h", 0.0);
                const double v = f.number_or("v_" + cats[m] + "_kmh", s.default_speed_kmh);
                if (q < 0.0 || (q > 0.0 && !(v > 0.0))) {
                    throw DataError(fmt::format("{}: {} needs a flow >= 0 and a speed > 0 km/h (flow {}, speed {})",
                                                where(), cats[m], q, v));
                }
                flow.q_veh_per_h[m] = q;
                flow.v_kmh[m] = v;
            }
            if (gradient == 0.0) {
                line_db[p] = line_sound_power_per_m_db(set, flow, cond);
            } else {
                // One line carries both directions: half the flow climbs, half descends.
                TrafficFlow half = flow;
                for (auto& q : half.q_veh_per_h) q *= 0.5;
                EmissionConditions up = cond, down = cond;
                up.gradient_pct = gradient;
                down.gradient_pct = -gradient;
                line_db[p] = energy_sum_db(line_sound_power_per_m_db(set, half, up), line_sound_power_per_m_db(set, half, down));
            }
            for (double v : line_db[p]) any = any || std::isfinite(v);
        }
        if (!any) continue;
        for (const auto& line : f.geometry.lines) {
            Source rl;
            if (!set_polyline(rl, line)) continue;
            rl.feature_id = f.id;
            for (std::size_t p = 0; p < kPeriods; ++p) {
                for (std::size_t i = 0; i < kBandCount; ++i) {
                    rl.power_db[p][i] = line_db[p][i];
                    rl.power[p][i] = std::isfinite(line_db[p][i]) ? std::pow(10.0, line_db[p][i] / 10.0) : 0.0;
                }
            }
            out.push_back(std::move(rl));
        }
    }
    return out;
}

}  // namespace

// Generic sources (noise_sources role): README "Generic sources". Per period and band lw_<period>_<band>,
// else the period-independent lw_<band>; every band of a period from one of the two forms.
std::vector<GenericSourcePower> generic_source_powers(const FeatureSet& features) {
    const auto& periods = traffic_periods();
    std::vector<GenericSourcePower> out;
    for (const Feature& f : features.features) {
        const std::string where = fmt::format("noise_sources feature {} ({})", f.id, f.source);
        GenericSourcePower g;
        g.feature_id = f.id;
        if (f.geometry.kind == Geometry::Kind::Polygon) {
            throw DataError(fmt::format("{}: a noise source must be a point or a line, not a polygon", where));
        }
        g.line = f.geometry.kind == Geometry::Kind::Line;
        const auto h = optional_number(f, "height_m", where);
        if (!h) throw DataError(fmt::format("{}: attribute 'height_m' (source height above ground, m) is missing", where));
        if (*h < 0.0) throw DataError(fmt::format("{}: height_m must be >= 0, not {}", where, *h));
        g.height_m = *h;
        for (std::size_t p = 0; p < kPeriods; ++p) {
            std::size_t given = 0;
            Bands per_period{};
            for (std::size_t i = 0; i < kBandCount; ++i) {
                const auto v = optional_number(f, fmt::format("lw_{}_{}", periods[p], band_label(i)), where);
                if (v) {
                    per_period[i] = *v;
                    ++given;
                }
            }
            if (given == kBandCount) {
                g.lw_db[p] = per_period;
                continue;
            }
            if (given > 0) {
                std::vector<std::string> missing;
                for (std::size_t i = 0; i < kBandCount; ++i) {
                    const std::string key = fmt::format("lw_{}_{}", periods[p], band_label(i));
                    if (!optional_number(f, key, where)) missing.push_back(key);
                }
                throw DataError(fmt::format("{}: the {} period gives only some bands; missing {}", where, periods[p],
                                            fmt::join(missing, ", ")));
            }
            std::vector<std::string> missing;
            for (std::size_t i = 0; i < kBandCount; ++i) {
                const std::string key = fmt::format("lw_{}", band_label(i));
                const auto v = optional_number(f, key, where);
                if (v) {
                    g.lw_db[p][i] = *v;
                } else {
                    missing.push_back(key);
                }
            }
            if (!missing.empty()) {
                throw DataError(fmt::format("{}: no sound power for the {} period: give lw_{}_63 ... lw_{}_8000 or lw_63 ... "
                                            "lw_8000 (dB re 1 pW{}); missing {}",
                                            where, periods[p], periods[p], periods[p], g.line ? " per metre" : "",
                                            fmt::join(missing, ", ")));
            }
        }
        for (const auto& b : g.lw_db) {
            for (double v : b) {
                if (v < -100.0 || v > 250.0) {
                    throw DataError(fmt::format("{}: sound power {} dB lies outside -100..250 dB", where, v));
                }
            }
        }
        out.push_back(g);
    }
    return out;
}

namespace {

std::vector<Source> generic_sources(const FeatureSet& features) {
    const auto powers = generic_source_powers(features);
    std::vector<Source> out;
    for (std::size_t k = 0; k < powers.size(); ++k) {
        const Feature& f = features.features[k];
        const GenericSourcePower& g = powers[k];
        Source s;
        s.road = false;
        s.feature_id = f.id;
        s.height_m = g.height_m;
        for (std::size_t p = 0; p < kPeriods; ++p) {
            for (std::size_t i = 0; i < kBandCount; ++i) {
                s.power_db[p][i] = g.lw_db[p][i];
                s.power[p][i] = std::pow(10.0, g.lw_db[p][i] / 10.0);
            }
        }
        if (!g.line) {
            for (const Point2& pt : f.geometry.points) {
                s.a = s.b = pt;
                s.point = true;
                s.box = segment_box(pt, pt);
                out.push_back(s);
            }
            continue;
        }
        for (const auto& line : f.geometry.lines) {
            if (set_polyline(s, line)) out.push_back(s);
        }
    }
    return out;
}

std::vector<Barrier> barriers_of(const FeatureSet& features) {
    std::vector<Barrier> out;
    for (const Feature& f : features.features) {
        const std::string where = fmt::format("barriers feature {} ({})", f.id, f.source);
        if (f.geometry.kind != Geometry::Kind::Line) throw DataError(fmt::format("{}: a barrier must be a line", where));
        const auto h = optional_number(f, "height_m", where);
        if (!h) throw DataError(fmt::format("{}: attribute 'height_m' (barrier height above ground, m) is missing", where));
        if (!(*h > 0.0)) throw DataError(fmt::format("{}: height_m must be > 0, not {}", where, *h));
        for (const auto& line : f.geometry.lines) {
            for (std::size_t j = 0; j + 1 < line.size(); ++j) {
                if (line[j].x == line[j + 1].x && line[j].y == line[j + 1].y) continue;
                out.push_back({line[j], line[j + 1], *h, f.id, segment_box(line[j], line[j + 1])});
            }
        }
    }
    return out;
}

std::vector<PointReceiver> receivers_of(const FeatureSet& features, double default_height_m) {
    std::vector<PointReceiver> out;
    for (const Feature& f : features.features) {
        const std::string where = fmt::format("receivers feature {} ({})", f.id, f.source);
        if (f.geometry.kind != Geometry::Kind::Point) throw DataError(fmt::format("{}: a receiver must be a point", where));
        const auto h = optional_number(f, "height_m", where);
        const double height = h.value_or(default_height_m);
        if (!(height >= 0.0)) throw DataError(fmt::format("{}: height_m must be >= 0, not {}", where, height));
        const std::string name = f.text("name").value_or(fmt::format("{}", f.id));
        for (const Point2& p : f.geometry.points) out.push_back({p, height, name, f.id});
    }
    return out;
}

// Everything the paths of one stack read, built once per stack (cached by the hash of the inputs).
struct Scene {
    std::vector<Source> sources;
    std::vector<Barrier> barriers;
    std::shared_ptr<const FeatureSet> ground_features;  // keeps the zone geometries alive
    std::vector<GroundZone> zones;                      // ground_g polygons, in feature order (the first wins)
    std::shared_ptr<const Raster> dem, building_height, ground_g;
    bool ground_nodata = true;
    GridSpec grid;
    std::shared_ptr<FacadeIndex> facades;  // building facades and barriers, when reflections are on
    std::vector<LateralObstacle> obstacles;  // building footprints and barriers, when lateral paths are on
    std::vector<Box2> obstacle_boxes;

    [[nodiscard]] GridLayers layers(double default_g) const {
        GridLayers l;
        l.grid = &grid;
        l.dem = dem.get();
        l.building_height = building_height.get();
        l.ground_g = ground_g.get();
        l.ground_nodata = ground_nodata;
        l.default_g = default_g;
        return l;
    }
    // G of the first zone containing p; nullopt outside every zone.
    [[nodiscard]] std::optional<double> zone_g(const Point2& p) const {
        for (const auto& z : zones) {
            if (p.x >= z.box.min_x && p.x <= z.box.max_x && p.y >= z.box.min_y && p.y <= z.box.max_y && z.geometry->contains(p)) {
                return z.g;
            }
        }
        return std::nullopt;
    }
};

// What one path sees besides the scene: the barriers near the receiver(s) and whether the ground comes
// from the exact zone polygons.
struct PathContext {
    const Scene* scene = nullptr;
    GridLayers layers;
    std::vector<const Barrier*> barriers;
    bool exact_ground = false;
    double source_g = 0.0;  // G_s of road sources
};

// G along S->R from the zone polygons, exactly: every crossing of the segment with a zone boundary is a
// break point; each elementary interval takes the first zone containing its middle, else the default G.
void zone_spans(const Scene& scene, double default_g, const Point2& s, const Point2& r,
                std::vector<std::pair<double, double>>& breaks, std::vector<GroundSpan>& out, double length) {
    breaks.clear();
    const Box2 path_box = segment_box(s, r);
    std::vector<double> ts{0.0, 1.0};
    for (const auto& z : scene.zones) {
        if (!boxes_overlap(path_box, z.box)) continue;
        for (const Polygon& poly : z.geometry->polygons) {
            for (const Ring& ring : poly.rings) {
                for (std::size_t k = 0; k + 1 < ring.size(); ++k) {
                    double t = 0.0, u = 0.0;
                    if (!segment_intersection(s, r, ring[k], ring[k + 1], t, u)) continue;
                    if (t > 0.0 && t < 1.0 && u >= 0.0 && u <= 1.0) ts.push_back(t);
                }
            }
        }
    }
    std::sort(ts.begin(), ts.end());
    ts.erase(std::unique(ts.begin(), ts.end()), ts.end());
    out.clear();
    for (std::size_t k = 0; k + 1 < ts.size(); ++k) {
        const double tm = 0.5 * (ts[k] + ts[k + 1]);
        const Point2 m{s.x + tm * (r.x - s.x), s.y + tm * (r.y - s.y)};
        const double g = scene.zone_g(m).value_or(default_g);
        const double x0 = ts[k] * length, x1 = ts[k + 1] * length;
        if (!out.empty() && out.back().g == g) {
            out.back().x1_m = x1;
        } else {
            out.push_back({x0, x1, g});
        }
    }
}

void append_span(std::vector<GroundSpan>& ground, double x0, double x1, double g) {
    if (!(x1 > x0)) return;
    if (!ground.empty() && ground.back().g == g && ground.back().x1_m == x0) {
        ground.back().x1_m = x1;
    } else {
        ground.push_back({x0, x1, g});
    }
}

// The vertical cut from S to R through the grid cells (exact cell traversal): terrain at the middle of
// each crossed cell, G per crossed cell (0 on buildings) or from the exact zone polygons, roof corners of
// crossed building cells, and the top of every barrier the segment crosses (exact intersection in plan,
// top = ground + height_m).
// One straight cut from (xs, ys) to (xr, yr) into `profile` (terrain, ground, tops, length_m; x from 0 at
// the start). Returns the ground altitudes at both ends and G in the first cell.
struct SegmentEnds {
    double z_start = 0.0, z_end = 0.0, g_start = 0.0;
};

SegmentEnds cut_segment(const PathContext& ctx, double xs, double ys, double xr, double yr, PathProfile& profile) {
    const GridLayers& layers = ctx.layers;
    const GridSpec& grid = *layers.grid;
    profile.terrain.clear();
    profile.ground.clear();
    profile.tops.clear();
    const double dx = xr - xs, dy = yr - ys;
    const double length = std::hypot(dx, dy);
    profile.length_m = length;

    struct Crossing {
        std::int64_t col, row;
        double t0, t1;
    };
    thread_local std::vector<Crossing> cells;
    cells.clear();
    std::int64_t col = grid.col_of(xs), row = grid.row_of(ys);
    const std::int64_t col_end = grid.col_of(xr), row_end = grid.row_of(yr);
    const double cs = grid.cell_size_m;
    const double inf = std::numeric_limits<double>::infinity();
    const std::int64_t step_c = dx > 0 ? 1 : -1;
    const std::int64_t step_r = dy > 0 ? -1 : 1;
    double t_max_x = inf, t_max_y = inf, t_dx = inf, t_dy = inf;
    if (dx != 0.0) {
        const double xb = grid.origin_x + static_cast<double>(col + (dx > 0 ? 1 : 0)) * cs;
        t_max_x = (xb - xs) / dx;
        t_dx = cs / std::abs(dx);
    }
    if (dy != 0.0) {
        const double yb = grid.origin_y - static_cast<double>(row + (dy < 0 ? 1 : 0)) * cs;
        t_max_y = (yb - ys) / dy;
        t_dy = cs / std::abs(dy);
    }
    double t = 0.0;
    const std::int64_t max_steps = std::abs(col_end - col) + std::abs(row_end - row) + 2;
    for (std::int64_t k = 0; k <= max_steps; ++k) {
        const double t_next = std::min({t_max_x, t_max_y, 1.0});
        if (t_next > t) cells.push_back({col, row, t, t_next});
        if (t_next >= 1.0 || (col == col_end && row == row_end)) {
            if (t_next < 1.0) cells.push_back({col, row, t_next, 1.0});
            break;
        }
        t = t_next;
        if (t_max_x <= t_max_y) {
            col += step_c;
            t_max_x += t_dx;
        } else {
            row += step_r;
            t_max_y += t_dy;
        }
    }
    if (cells.empty()) cells.push_back({col_end, row_end, 0.0, 1.0});

    // Exact ground spans from the zones, overlaid below with G = 0 on building cells.
    thread_local std::vector<GroundSpan> zone;
    thread_local std::vector<std::pair<double, double>> breaks;
    if (ctx.exact_ground) zone_spans(*ctx.scene, layers.default_g, {xs, ys}, {xr, yr}, breaks, zone, length);
    std::size_t zone_k = 0;

    // Terrain: NaN cells (and cells outside the grid) take the last valid value, starting from the receiver's.
    const double z_receiver_ground = layers.dem ? layers.terrain(col_end, row_end) : 0.0;
    double z_last = std::isnan(z_receiver_ground) ? 0.0 : z_receiver_ground;
    {
        const double z0 = layers.dem ? layers.terrain(cells.front().col, cells.front().row) : 0.0;
        if (!std::isnan(z0)) z_last = z0;
    }
    const double z_source_ground = z_last;
    profile.terrain.reserve(cells.size() + 2);
    profile.terrain.push_back({0.0, z_source_ground});
    for (std::size_t k = 0; k < cells.size(); ++k) {
        const auto& c = cells[k];
        double z = layers.dem ? layers.terrain(c.col, c.row) : 0.0;
        if (std::isnan(z)) z = z_last;
        z_last = z;
        const double x0 = c.t0 * length, x1 = c.t1 * length;
        if (layers.dem) profile.terrain.push_back({0.5 * (x0 + x1), z});
        const double h = layers.building(c.col, c.row);
        // The source's and the receiver's own cells do not screen them.
        const bool obstacle = h > 0.0 && k != 0 && k + 1 != cells.size();
        if (h > 0.0) {
            append_span(profile.ground, x0, x1, 0.0);
        } else if (ctx.exact_ground) {
            while (zone_k < zone.size() && zone[zone_k].x1_m <= x0) ++zone_k;
            for (std::size_t j = zone_k; j < zone.size() && zone[j].x0_m < x1; ++j) {
                append_span(profile.ground, std::max(x0, zone[j].x0_m), std::min(x1, zone[j].x1_m), zone[j].g);
            }
        } else {
            append_span(profile.ground, x0, x1, layers.g(c.col, c.row));
        }
        if (obstacle) {
            // A run of crossed cells with one roof altitude is one flat top: its two ends are the candidate
            // edges (the corners in between lie on the segment joining them).
            auto& tops = profile.tops;
            if (tops.size() >= 2 && tops.back().z_m == z + h && tops.back().x_m == x0 && tops[tops.size() - 2].z_m == z + h) {
                tops.back().x_m = x1;
            } else {
                tops.push_back({x0, z + h});
                tops.push_back({x1, z + h});
            }
        }
    }
    const double z_r_ground = std::isnan(z_receiver_ground) ? z_last : z_receiver_ground;
    profile.terrain.push_back({length, z_r_ground});
    // Interior vertices inside a run of equal altitudes add nothing to the piecewise-linear terrain (mean plane,
    // hull): drop them, keeping the ends of each run.
    {
        auto& tr = profile.terrain;
        std::size_t w = 1;
        for (std::size_t k = 1; k + 1 < tr.size(); ++k) {
            if (tr[k].z_m == tr[w - 1].z_m && tr[k].z_m == tr[k + 1].z_m) continue;
            tr[w++] = tr[k];
        }
        if (tr.size() > 1) tr[w++] = tr.back();
        tr.resize(w);
    }

    if (!ctx.barriers.empty()) {
        const Point2 s{xs, ys}, r{xr, yr};
        const Box2 path_box = segment_box(s, r);
        for (const Barrier* b : ctx.barriers) {
            if (!boxes_overlap(path_box, b->box)) continue;
            double tb = 0.0, ub = 0.0;
            if (!segment_intersection(s, r, b->a, b->b, tb, ub)) continue;
            if (!(ub >= 0.0 && ub <= 1.0)) continue;
            const double x = tb * length;
            // A crossing within 1 mm of an end is the wall a reflected leg starts or ends on, not a screen.
            if (!(x > 1e-3 && x < length - 1e-3)) continue;
            // Ground under the barrier: the crossed cell's terrain (the profile's value at x).
            double zg = 0.0;
            if (layers.dem) {
                const auto it = std::lower_bound(cells.begin(), cells.end(), tb,
                                                 [](const Crossing& c, double v) { return c.t1 < v; });
                const auto& c = it == cells.end() ? cells.back() : *it;
                zg = layers.terrain(c.col, c.row);
                if (std::isnan(zg)) {
                    // Interpolate the profile's terrain.
                    const auto& tr = profile.terrain;
                    zg = tr.back().z_m;
                    for (std::size_t k = 1; k < tr.size(); ++k) {
                        if (tr[k].x_m >= x) {
                            const double w = tr[k].x_m > tr[k - 1].x_m ? (x - tr[k - 1].x_m) / (tr[k].x_m - tr[k - 1].x_m) : 0.0;
                            zg = tr[k - 1].z_m + w * (tr[k].z_m - tr[k - 1].z_m);
                            break;
                        }
                    }
                }
            }
            profile.tops.push_back({x, zg + b->height_m});
        }
    }

    return {z_source_ground, z_r_ground, layers.g(cells.front().col, cells.front().row)};
}

PathProfile cut_profile(const PathContext& ctx, const SourcePoint& sp, double xr, double yr, double receiver_height_m) {
    PathProfile profile;
    const SegmentEnds ends = cut_segment(ctx, sp.x, sp.y, xr, yr, profile);
    profile.source_z_m = ends.z_start + sp.src->height_m;
    profile.receiver_z_m = ends.z_end + receiver_height_m;
    if (sp.src->road) {
        profile.source_g = ctx.source_g;
    } else if (ctx.exact_ground) {
        // ISO/TR 17534-4 convention: the local G under the source (notes 12.1).
        profile.source_g = ctx.scene->zone_g({sp.x, sp.y}).value_or(ctx.layers.default_g);
    } else {
        profile.source_g = ends.g_start;
    }
    return profile;
}

// 5 dB classes in the DIN 45682 noise-map colours (the palette of io/src/styles.cpp): below 40, 40-45, ...,
// from 80 dB up.
// ---- What a geometry change reaches (the propagation kept across scenarios) ----------------------------
//
// Two scenes on the same grid are compared item by item: sources, barriers, facades and lateral obstacles by
// a hash of everything a path reads from them, the DEM, building-height and ground rasters cell by cell. An
// item of one scene is matched to an equal item of the other in order (each takes the earliest equal item
// after the previous match), so the matched items keep their relative order and every sum over them runs in
// the same order in both scenes. What is left unmatched, and every raster cell that differs, is a change.
// A receiver farther than `reach` from every change sees exactly the same paths in both scenes.

std::uint64_t mix_hash(std::uint64_t h, double v) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    return (h ^ bits) * 0x100000001b3ULL + 0x9e3779b97f4a7c15ULL;
}

std::uint64_t source_hash(const Source& s) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (double v : {s.point ? 1.0 : 0.0, s.road ? 1.0 : 0.0, s.height_m, s.a.x, s.a.y, s.b.x, s.b.y}) h = mix_hash(h, v);
    for (const Point2& p : s.vertices) h = mix_hash(mix_hash(h, p.x), p.y);
    return h;
}

// Greedy in-order matching of b's items to a's (equal hashes): match[i] is the index in b of a's item i,
// or -1. Matched indices increase with i.
std::vector<std::int64_t> match_in_order(const std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b) {
    std::unordered_map<std::uint64_t, std::vector<std::int64_t>> where;  // hash -> ascending indices in a
    for (std::size_t i = 0; i < a.size(); ++i) where[a[i]].push_back(static_cast<std::int64_t>(i));
    std::vector<std::int64_t> match(a.size(), -1);
    std::int64_t last = -1;
    for (std::size_t j = 0; j < b.size(); ++j) {
        const auto it = where.find(b[j]);
        if (it == where.end()) continue;
        const auto pos = std::upper_bound(it->second.begin(), it->second.end(), last);
        if (pos == it->second.end()) continue;
        last = *pos;
        match[static_cast<std::size_t>(last)] = static_cast<std::int64_t>(j);
    }
    return match;
}

struct SceneChange {
    bool comparable = false;                 // same grid: cells can be taken from the other scene
    std::int64_t block = 16;                 // cells per side of a block of the reach mask (set by scene_change)
    std::int64_t block_cols = 0, block_rows = 0;
    std::vector<std::uint8_t> recompute;     // per block: within reach of a change
    std::vector<std::uint32_t> source_of;    // other scene's source index -> this scene's (UINT32_MAX: changed)
    std::size_t changed_items = 0, changed_cells = 0;

    [[nodiscard]] bool reusable(std::int64_t col, std::int64_t row) const {
        return comparable && recompute[static_cast<std::size_t>((row / block) * block_cols + col / block)] == 0;
    }
};

SceneChange scene_change(const Scene& from, const Scene& to, double reach_m) {
    SceneChange ch;
    const GridSpec& g = to.grid;
    const GridSpec& f = from.grid;
    if (g.cols != f.cols || g.rows != f.rows || g.origin_x != f.origin_x || g.origin_y != f.origin_y ||
        g.cell_size_m != f.cell_size_m || g.cols <= 0 || g.rows <= 0) {
        return ch;
    }
    ch.comparable = true;
    // Blocks of at most a quarter of the reach (and at most 16 cells) keep the mask close to the true reach.
    ch.block = std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor(reach_m / (4.0 * g.cell_size_m))), 1, 16);
    ch.block_cols = (g.cols + ch.block - 1) / ch.block;
    ch.block_rows = (g.rows + ch.block - 1) / ch.block;
    std::vector<std::uint8_t> dirty(static_cast<std::size_t>(ch.block_cols * ch.block_rows), 0);
    // A changed box marks the blocks it meets after clamping it to the grid: the distance from a cell to the
    // clamped box is never larger than to the box itself.
    const double x0 = g.origin_x, y1 = g.origin_y, size = g.cell_size_m;
    const double x1 = x0 + static_cast<double>(g.cols) * size, y0 = y1 - static_cast<double>(g.rows) * size;
    const auto mark_box = [&](const Box2& b) {
        ++ch.changed_items;
        if (b.min_x > x1 + reach_m || b.max_x < x0 - reach_m || b.min_y > y1 + reach_m || b.max_y < y0 - reach_m) return;
        const auto col = [&](double x) { return std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor((x - x0) / size)), 0, g.cols - 1); };
        const auto row = [&](double y) { return std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor((y1 - y) / size)), 0, g.rows - 1); };
        for (auto r = row(b.max_y) / ch.block; r <= row(b.min_y) / ch.block; ++r) {
            for (auto c = col(b.min_x) / ch.block; c <= col(b.max_x) / ch.block; ++c) dirty[static_cast<std::size_t>(r * ch.block_cols + c)] = 1;
        }
    };
    const auto mark_all = [&] { std::fill(dirty.begin(), dirty.end(), std::uint8_t{1}); };

    // Sources: the other scene's index of every source of this scene, in order.
    {
        std::vector<std::uint64_t> ha, hb;
        for (const auto& s : from.sources) ha.push_back(source_hash(s));
        for (const auto& s : to.sources) hb.push_back(source_hash(s));
        const auto m = match_in_order(ha, hb);
        ch.source_of.assign(from.sources.size(), std::numeric_limits<std::uint32_t>::max());
        std::vector<std::uint8_t> matched(to.sources.size(), 0);
        for (std::size_t i = 0; i < m.size(); ++i) {
            if (m[i] < 0) {
                mark_box(from.sources[i].box);
                continue;
            }
            ch.source_of[i] = static_cast<std::uint32_t>(m[i]);
            matched[static_cast<std::size_t>(m[i])] = 1;
        }
        for (std::size_t j = 0; j < to.sources.size(); ++j) {
            if (!matched[j]) mark_box(to.sources[j].box);
        }
    }
    // Barriers, facades and lateral obstacles: unmatched items on either side are changes.
    const auto compare = [&](const std::vector<std::uint64_t>& ha, const std::vector<Box2>& ba,
                             const std::vector<std::uint64_t>& hb, const std::vector<Box2>& bb) {
        const auto m = match_in_order(ha, hb);
        std::vector<std::uint8_t> matched(hb.size(), 0);
        for (std::size_t i = 0; i < m.size(); ++i) {
            if (m[i] < 0) {
                mark_box(ba[i]);
            } else {
                matched[static_cast<std::size_t>(m[i])] = 1;
            }
        }
        for (std::size_t j = 0; j < hb.size(); ++j) {
            if (!matched[j]) mark_box(bb[j]);
        }
    };
    const auto barriers = [](const Scene& s, std::vector<std::uint64_t>& h, std::vector<Box2>& b) {
        for (const Barrier& x : s.barriers) {
            std::uint64_t k = 0x84222325cbf29ce4ULL;
            for (double v : {x.a.x, x.a.y, x.b.x, x.b.y, x.height_m}) k = mix_hash(k, v);
            h.push_back(k);
            b.push_back(x.box);
        }
    };
    // A facade's hash includes the signature of its whole building (all facades of its owner), since a
    // reflected leg is screened by the other facades of the reflecting building.
    const auto facades = [](const Scene& s, std::vector<std::uint64_t>& h, std::vector<Box2>& b) {
        if (!s.facades) return;
        const auto& fs = s.facades->facades();
        const auto own = [](const Facade& x) {
            std::uint64_t k = 0x9e3779b97f4a7c15ULL;
            for (double v : {x.a.x, x.a.y, x.b.x, x.b.y, x.base_z_m, x.top_z_m, static_cast<double>(x.side)}) k = mix_hash(k, v);
            for (double v : x.absorption) k = mix_hash(k, v);
            return k;
        };
        std::unordered_map<std::int64_t, std::uint64_t> building;
        for (const Facade& x : fs) {
            if (x.owner >= 0) building[x.owner] = mix_hash(building[x.owner] + 0x51ULL, static_cast<double>(own(x)));
        }
        for (const Facade& x : fs) {
            std::uint64_t k = own(x);
            if (x.owner >= 0) k = mix_hash(k, static_cast<double>(building[x.owner]));
            h.push_back(k);
            b.push_back(segment_box(x.a, x.b));
        }
    };
    const auto obstacles = [](const Scene& s, std::vector<std::uint64_t>& h, std::vector<Box2>& b) {
        for (std::size_t k = 0; k < s.obstacles.size(); ++k) {
            std::uint64_t v = mix_hash(0x2545f4914f6cdd1dULL, s.obstacles[k].top_z_m);
            for (const Point2& p : s.obstacles[k].ring) v = mix_hash(mix_hash(v, p.x), p.y);
            h.push_back(v);
            b.push_back(s.obstacle_boxes[k]);
        }
    };
    for (const auto& items : {+barriers, +facades, +obstacles}) {
        std::vector<std::uint64_t> ha, hb;
        std::vector<Box2> ba, bb;
        items(from, ha, ba);
        items(to, hb, bb);
        compare(ha, ba, hb, bb);
    }
    // Rasters, cell by cell (bit patterns, so NaN equals NaN).
    const auto rasters = [&](const std::shared_ptr<const Raster>& a, const std::shared_ptr<const Raster>& b) {
        if (a == b) return;
        if (!a || !b || a->cols() != b->cols() || a->rows() != b->rows()) {
            mark_all();
            ++ch.changed_items;
            return;
        }
        for (std::int64_t r = 0; r < g.rows; ++r) {
            for (std::int64_t c = 0; c < g.cols; ++c) {
                const float va = a->at(c, r), vb = b->at(c, r);
                if (std::memcmp(&va, &vb, sizeof va) == 0) continue;
                ++ch.changed_cells;
                dirty[static_cast<std::size_t>((r / ch.block) * ch.block_cols + c / ch.block)] = 1;
            }
        }
    };
    rasters(from.dem, to.dem);
    rasters(from.building_height, to.building_height);
    rasters(from.ground_g, to.ground_g);
    if (from.ground_nodata != to.ground_nodata) mark_all();

    // Blocks within reach of a dirty block (the closest points of the two blocks).
    const double block_m = static_cast<double>(ch.block) * size;
    const auto span = static_cast<std::int64_t>(std::ceil(reach_m / block_m)) + 1;
    std::vector<std::pair<std::int64_t, std::int64_t>> offsets;
    for (std::int64_t dr = -span; dr <= span; ++dr) {
        for (std::int64_t dc = -span; dc <= span; ++dc) {
            const double gx = static_cast<double>(std::max<std::int64_t>(0, std::abs(dc) - 1)) * block_m;
            const double gy = static_cast<double>(std::max<std::int64_t>(0, std::abs(dr) - 1)) * block_m;
            if (gx * gx + gy * gy <= reach_m * reach_m) offsets.emplace_back(dr, dc);
        }
    }
    ch.recompute.assign(dirty.size(), 0);
    for (std::int64_t r = 0; r < ch.block_rows; ++r) {
        for (std::int64_t c = 0; c < ch.block_cols; ++c) {
            if (!dirty[static_cast<std::size_t>(r * ch.block_cols + c)]) continue;
            for (const auto& [dr, dc] : offsets) {
                const auto rr = r + dr, cc = c + dc;
                if (rr >= 0 && rr < ch.block_rows && cc >= 0 && cc < ch.block_cols) {
                    ch.recompute[static_cast<std::size_t>(rr * ch.block_cols + cc)] = 1;
                }
            }
        }
    }
    return ch;
}

std::vector<StyleClass> noise_classes() {
    static const char* colours[] = {"#a0babf", "#b8d6d1", "#cee4cc", "#e2f2bf", "#f3c683",
                                    "#e87e4d", "#cd463e", "#a11a4d", "#75085c", "#430a4a"};
    std::vector<StyleClass> out;
    for (int k = 0; k < 10; ++k) {
        const int lower = 35 + 5 * k;
        const std::string label = k == 0 ? "< 40 dB" : (k == 9 ? ">= 80 dB" : fmt::format("{}-{} dB", lower, lower + 5));
        out.push_back({static_cast<double>(lower), colours[k], label});
    }
    return out;
}

const std::vector<double> kLdenThresholds{55, 60, 65, 70, 75};    // EU reporting (END Annex VI), 5 dB classes
const std::vector<double> kLnightThresholds{50, 55, 60, 65, 70};

// Per-period, per-band energies at one receiver: long-term, homogeneous and favourable.
struct Energies {
    std::array<Bands, kPeriods> e{}, e_h{}, e_f{};
    bool any = false;
    Bands t{}, t_h{}, t_f{};  // the current source's transfer sum_points len 10^(-A/10): long-term, H, F
};

// One source's long-term transfer to one receiver, in float (the propagation reused by traffic-only scenarios).
struct CellTransfer {
    std::uint32_t source = 0;
    std::array<float, kBandCount> t{};
};

class NoiseModel final : public IndicatorModel {
public:
    explicit NoiseModel(const Parameters& p) {
        s_.receiver_height_m = p.number("receiver_height_m");
        s_.max_distance_m = p.number("max_distance_m");
        s_.min_spacing_m = p.number("min_source_spacing_m");
        s_.spacing_ratio = p.number("source_spacing_ratio");
        s_.ground_from_layer = p.choice("ground_g_source") == "layer";
        s_.ground_g = p.number("ground_g");
        s_.source_g = p.number("source_ground_g");
        s_.p_sectors.sector_p = p.numbers("favourable_probability");
        s_.p_sectors.validate("noise.cnossos: favourable_probability");
        s_.air = {p.number("temperature_c"), p.number("humidity_pct"), p.number("pressure_kpa")};
        s_.coefficients = p.choice("coefficients");
        s_.default_surface = p.choice("default_surface");
        s_.default_speed_kmh = p.number("default_speed_kmh");
        s_.hours = {p.number("day_hours"), p.number("evening_hours"), p.number("night_hours")};
        s_.all_periods = p.choice("all_periods") == "yes";
        const std::string sources = p.choice("sources");
        s_.use_roads = sources != "noise_sources";
        s_.use_generic = sources != "roads";
        s_.use_barriers = p.choice("barriers") == "yes";
        s_.point_receivers = p.choice("point_receivers") == "yes";
        const double order = p.number("reflection_order");
        if (order != std::floor(order)) throw ConfigError(fmt::format("noise.cnossos: reflection_order must be a whole number, not {}", order));
        s_.reflection_order = static_cast<std::size_t>(order);
        s_.facade_absorption = p.number("facade_absorption");
        s_.reflection_distance_m = p.number("reflection_distance_m");
        s_.facade_receivers = p.choice("facade_receivers");
        s_.lateral = p.choice("lateral_diffraction") == "yes";
        s_.cache_bytes = static_cast<std::size_t>(p.number("propagation_cache_mb") * 1024.0 * 1024.0);
        s_.cutoff_db = p.number("energy_cutoff_db");
        s_.facade_spacing_m = p.number("facade_spacing_m");
        s_.floor_height_m = p.number("floor_height_m");
        if (std::abs(s_.hours[0] + s_.hours[1] + s_.hours[2] - 24.0) > 1e-9) {
            throw ConfigError(fmt::format("noise.cnossos: day_hours + evening_hours + night_hours must be 24, not {}",
                                          s_.hours[0] + s_.hours[1] + s_.hours[2]));
        }
        alpha_ = atmospheric_absorption_db_per_km(s_.air);
    }

    [[nodiscard]] std::vector<std::string> inputs() const override {
        // The buildings role comes before its derived height layer: diffraction over roofs reads the layer,
        // and a batch without buildings would silently compute a free-field map.
        std::vector<std::string> in;
        if (s_.use_roads) in.emplace_back("roads");
        in.insert(in.end(), {"buildings", std::string(layer::building_height), std::string(layer::dem)});
        if (s_.ground_from_layer) in.emplace_back("ground_g");
        if (s_.use_generic) in.emplace_back("noise_sources");
        if (s_.use_barriers) in.emplace_back("barriers");
        if (s_.point_receivers) in.emplace_back("receivers");
        return in;
    }
    [[nodiscard]] double halo_m() const override { return s_.max_distance_m; }
    [[nodiscard]] double working_bytes_per_cell() const override { return 64.0; }

    [[nodiscard]] std::vector<OutputSpec> outputs() const override {
        std::vector<OutputSpec> out{
            {"noise_lden", "dB(A)", "Lden (CNOSSOS-EU), receivers at grid height", kLdenThresholds, "noise", 40.0, 80.0,
             noise_classes()},
            {"noise_lnight", "dB(A)", "Lnight (CNOSSOS-EU), receivers at grid height", kLnightThresholds, "noise", 30.0,
             70.0, noise_classes()},
        };
        if (s_.all_periods) {
            out.push_back({"noise_lday", "dB(A)", "Lday (CNOSSOS-EU)", kLdenThresholds, "noise", 40.0, 80.0, noise_classes()});
            out.push_back({"noise_levening", "dB(A)", "Levening (CNOSSOS-EU)", kLnightThresholds, "noise", 35.0, 75.0,
                           noise_classes()});
        }
        return out;
    }

    [[nodiscard]] std::vector<PointLayer> compute_points(const LayerStack& stack, int threads) const override {
        std::vector<PointLayer> layers;
        if (s_.facade_receivers != "no") layers.push_back(facade_layer(stack, threads));
        if (!s_.point_receivers) return layers;
        const auto rs = receivers(stack);
        std::vector<Point2> pts;
        std::vector<double> heights;
        for (const auto& r : rs) {
            pts.push_back(r.p);
            heights.push_back(r.height_m);
        }
        const auto levels = points(stack, pts, heights, threads);
        PointLayer layer;
        layer.name = "noise_receivers";
        layer.description = "CNOSSOS-EU levels at the receivers role points (exact ground zones and barriers), per period "
                            "and octave band; L_H / L_F: homogeneous / favourable conditions only";
        layer.points = pts;
        PointColumn name{"name", "", "receiver name", true, {}, {}, {}};
        PointColumn height{"height_m", "m", "receiver height above ground", false, heights, {}, {}};
        for (const auto& r : rs) name.texts.push_back(r.name);
        layer.columns.push_back(std::move(name));
        layer.columns.push_back(std::move(height));
        const auto column = [&](std::string col, std::string unit, std::string description, auto value,
                                std::vector<double> thresholds = {}) {
            PointColumn c{std::move(col), std::move(unit), std::move(description), false, {}, {}, std::move(thresholds)};
            for (const auto& l : levels) c.values.push_back(value(l));
            layer.columns.push_back(std::move(c));
        };
        const auto& periods = traffic_periods();
        column("lden_dba", "dB(A)", "Lden", [](const PointLevels& l) { return l.lden_dba; }, kLdenThresholds);
        for (std::size_t p = 0; p < kPeriods; ++p) {
            column(fmt::format("l{}_dba", periods[p]), "dB(A)", fmt::format("L{}", periods[p]),
                   [p](const PointLevels& l) { return l.l_dba[p]; },
                   p == 2 ? kLnightThresholds : std::vector<double>{});
        }
        column("lh_day_dba", "dB(A)", "Lday under homogeneous conditions only", [](const PointLevels& l) { return l.l_h_dba[0]; });
        column("lf_day_dba", "dB(A)", "Lday under favourable conditions only", [](const PointLevels& l) { return l.l_f_dba[0]; });
        for (std::size_t p = 0; p < kPeriods; ++p) {
            for (std::size_t i = 0; i < kBandCount; ++i) {
                column(fmt::format("l_{}_{}_db", periods[p], band_label(i)), "dB",
                       fmt::format("long-term level, {} period, {} Hz octave band", periods[p], band_label(i)),
                       [p, i](const PointLevels& l) { return l.l_db[p][i]; });
            }
        }
        for (std::size_t i = 0; i < kBandCount; ++i) {
            column(fmt::format("lh_day_{}_db", band_label(i)), "dB", fmt::format("L_H, day period, {} Hz", band_label(i)),
                   [i](const PointLevels& l) { return l.l_h_db[0][i]; });
            column(fmt::format("lf_day_{}_db", band_label(i)), "dB", fmt::format("L_F, day period, {} Hz", band_label(i)),
                   [i](const PointLevels& l) { return l.l_f_db[0][i]; });
        }
        layer.style_column = "lden_dba";
        layer.style = "noise";
        layer.style_min = 40.0;
        layer.style_max = 80.0;
        layer.classes = noise_classes();
        layers.push_back(std::move(layer));
        return layers;
    }

    // Facade receivers (notes 11): along every exterior ring edge of every building with height_m, one point
    // per facade_spacing_m (at the middles of equal pieces), 2 m in front of the facade, at 4 m or at every
    // floor below the roof; points inside another building are dropped. The building's dwellings are spread
    // equally over its points as weights. The receiver's own facade does not reflect (incident sound).
    [[nodiscard]] PointLayer facade_layer(const LayerStack& stack, int threads) const {
        struct FacadePoint {
            Point2 p;
            double height_m;
            std::int64_t building;
            double weight;
        };
        std::vector<FacadePoint> fps;
        if (stack.has_features("buildings")) {
            const auto& bs = stack.features("buildings").features;
            std::vector<Box2> boxes;
            for (const auto& b : bs) boxes.push_back(b.geometry.bounds());
            for (std::size_t k = 0; k < bs.size(); ++k) {
                const Feature& b = bs[k];
                const auto h = b.number("height_m");
                if (!h || !(*h > 0.0) || b.geometry.kind != Geometry::Kind::Polygon) continue;
                std::vector<double> heights;
                if (s_.facade_receivers == "4m") {
                    heights.push_back(4.0);
                } else {
                    for (int f = 0; (f + 0.5) * s_.floor_height_m < *h; ++f) heights.push_back((f + 0.5) * s_.floor_height_m);
                }
                const std::size_t first = fps.size();
                for (const Polygon& poly : b.geometry.polygons) {
                    if (poly.rings.empty()) continue;
                    const Ring& ring = poly.rings[0];
                    double area2 = 0.0;
                    for (std::size_t j = 0; j + 1 < ring.size(); ++j) area2 += ring[j].x * ring[j + 1].y - ring[j + 1].x * ring[j].y;
                    const double out_sign = area2 > 0.0 ? 1.0 : -1.0;  // counter-clockwise: outside is to the right
                    for (std::size_t j = 0; j + 1 < ring.size(); ++j) {
                        const Point2 a = ring[j], c = ring[j + 1];
                        const double len = std::hypot(c.x - a.x, c.y - a.y);
                        if (!(len > 0.0)) continue;
                        const double nx = out_sign * (c.y - a.y) / len, ny = -out_sign * (c.x - a.x) / len;
                        const auto n = std::max<std::int64_t>(1, std::llround(len / s_.facade_spacing_m));
                        for (std::int64_t q = 0; q < n; ++q) {
                            const double t = (static_cast<double>(q) + 0.5) / static_cast<double>(n);
                            const Point2 p{a.x + t * (c.x - a.x) + 2.0 * nx, a.y + t * (c.y - a.y) + 2.0 * ny};
                            bool inside = false;
                            for (std::size_t o = 0; o < bs.size() && !inside; ++o) {
                                const Box2& bb = boxes[o];
                                inside = p.x >= bb.min_x && p.x <= bb.max_x && p.y >= bb.min_y && p.y <= bb.max_y &&
                                         bs[o].geometry.kind == Geometry::Kind::Polygon && bs[o].geometry.contains(p);
                            }
                            if (inside) continue;
                            for (double z : heights) fps.push_back({p, z, b.id, 0.0});
                        }
                    }
                }
                const double dwellings = b.number_or("dwellings", 0.0);
                const std::size_t count = fps.size() - first;
                for (std::size_t q = first; q < fps.size(); ++q) fps[q].weight = dwellings / static_cast<double>(count);
            }
        }
        std::vector<Point2> pts;
        std::vector<double> heights;
        for (const auto& f : fps) {
            pts.push_back(f.p);
            heights.push_back(f.height_m);
        }
        const auto levels = points(stack, pts, heights, threads, 2.5);
        PointLayer layer;
        layer.name = "noise_facades";
        layer.description = "CNOSSOS-EU levels at generated facade receivers, 2 m in front of the facades, incident sound";
        layer.points = pts;
        PointColumn building{"building_fid", "", "FID of the building", false, {}, {}, {}};
        for (const auto& f : fps) building.values.push_back(static_cast<double>(f.building));
        layer.columns.push_back(std::move(building));
        layer.columns.push_back({"height_m", "m", "receiver height above ground", false, heights, {}, {}});
        const auto column = [&](std::string name, std::string description, auto value, std::vector<double> thresholds) {
            PointColumn c{std::move(name), "dB(A)", std::move(description), false, {}, {}, std::move(thresholds)};
            for (const auto& l : levels) c.values.push_back(value(l));
            layer.columns.push_back(std::move(c));
        };
        column("lden_dba", "Lden at the facade", [](const PointLevels& l) { return l.lden_dba; }, kLdenThresholds);
        column("lnight_dba", "Lnight at the facade", [](const PointLevels& l) { return l.l_dba[2]; }, kLnightThresholds);
        column("lday_dba", "Lday at the facade", [](const PointLevels& l) { return l.l_dba[0]; }, {});
        column("levening_dba", "Levening at the facade", [](const PointLevels& l) { return l.l_dba[1]; }, {});
        for (const auto& f : fps) layer.residents.push_back(f.weight);
        layer.weight_name = "dwellings";
        layer.style_column = "lden_dba";
        layer.style = "noise";
        layer.style_min = 40.0;
        layer.style_max = 80.0;
        layer.classes = noise_classes();
        return layer;
    }

    void compute(const TileContext& ctx, TileOutputs& out) const override {
        const auto scene = scene_of(ctx.inputs);
        const GridSpec& grid = ctx.grid;
        const Window& core = ctx.tile.core;
        // Sources within reach of the tile, kept in source order so every cell sums in the same order
        // whichever tile computes it.
        const Box2 reach{grid.origin_x + static_cast<double>(core.col0) * grid.cell_size_m - s_.max_distance_m,
                         grid.origin_y - static_cast<double>(core.row_end()) * grid.cell_size_m - s_.max_distance_m,
                         grid.origin_x + static_cast<double>(core.col_end()) * grid.cell_size_m + s_.max_distance_m,
                         grid.origin_y - static_cast<double>(core.row0) * grid.cell_size_m + s_.max_distance_m};
        std::vector<const Source*> near;
        for (const auto& src : scene->sources) {
            if (boxes_overlap(src.box, reach)) near.push_back(&src);
        }
        PathContext pc = path_context(*scene, reach, false);
        const auto store = store_for(geometry_key(ctx.inputs, *scene), scene);
        std::vector<CellTransfer> record;
        std::size_t reused = 0, lent = 0;
        for (std::int64_t row = core.row0; row < core.row_end(); ++row) {
            for (std::int64_t col = core.col0; col < core.col_end(); ++col) {
                const auto idx = static_cast<std::size_t>(row * grid.cols + col);
                if (store && store->state[idx].load(std::memory_order_acquire) == 1) {
                    write(out, col, row, cell_levels_reused(*scene, store->cells[idx], store->any[idx] != 0, nullptr));
                    ++reused;
                    continue;
                }
                // Beyond reach of every change from the baseline geometry: the baseline's transfers.
                if (store && store->base && store->change.reusable(col, row) &&
                    store->base->state[idx].load(std::memory_order_acquire) == 1) {
                    write(out, col, row,
                          cell_levels_reused(*scene, store->base->cells[idx], store->base->any[idx] != 0, &store->change.source_of));
                    ++lent;
                    continue;
                }
                record.clear();
                bool any = false;
                write(out, col, row, cell_levels(pc, near, col, row, nullptr, store ? &record : nullptr, &any));
                if (!store) continue;
                const std::size_t bytes = record.size() * sizeof(CellTransfer) + sizeof(std::vector<CellTransfer>);
                if (store_bytes_.fetch_add(bytes, std::memory_order_relaxed) + bytes > s_.cache_bytes) {
                    store_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
                    continue;
                }
                store->bytes.fetch_add(bytes, std::memory_order_relaxed);
                store->cells[idx] = record;
                store->any[idx] = any ? 1 : 0;
                store->state[idx].store(1, std::memory_order_release);
            }
        }
        reused_cells_.fetch_add(reused + lent, std::memory_order_relaxed);
        lent_cells_.fetch_add(lent, std::memory_order_relaxed);
    }

    [[nodiscard]] Explanation explain(const LayerStack& stack, double x, double y) const override {
        const auto& grid = stack.grid();
        const auto col = grid.col_of(x), row = grid.row_of(y);
        if (!grid.contains_cell(col, row)) {
            throw ConfigError(fmt::format("noise.cnossos: point {}, {} lies outside the grid", x, y));
        }
        const auto scene = scene_of(stack);
        std::vector<const Source*> all;
        for (const auto& src : scene->sources) all.push_back(&src);
        std::vector<Contribution> contributions;
        const PathContext pc = path_context(*scene, grid.extent(), false);
        const auto levels = cell_levels(pc, all, col, row, &contributions);
        Explanation e;
        e.indicator = "noise.cnossos";
        e.output = "noise_lden";
        e.x = x;
        e.y = y;
        e.unit = "dB(A)";
        if (!std::isnan(levels.lden_dba)) e.value = levels.lden_dba;
        e.terms.push_back({"receiver_cell", static_cast<double>(col), "",
                           fmt::format("column {}, row {}, receiver {} m above ground", col, row, s_.receiver_height_m)});
        e.terms.push_back({"noise_lday", levels.lday_dba, "dB(A)", fmt::format("{} h", s_.hours[0])});
        e.terms.push_back({"noise_levening", levels.levening_dba, "dB(A)", fmt::format("{} h, +5 dB in Lden", s_.hours[1])});
        e.terms.push_back({"noise_lnight", levels.lnight_dba, "dB(A)", fmt::format("{} h, +10 dB in Lden", s_.hours[2])});
        e.terms.push_back({"noise_lden", levels.lden_dba, "dB(A)", "energetic day-evening-night average"});
        e.terms.push_back({"source_points_in_range", static_cast<double>(contributions.size()), "",
                           fmt::format("within {} m; pieces shorter than {} x distance, at least {} m", s_.max_distance_m,
                                       s_.spacing_ratio, s_.min_spacing_m)});
        std::stable_sort(contributions.begin(), contributions.end(),
                         [](const Contribution& a, const Contribution& b) { return a.lden_dba > b.lden_dba; });
        const auto bands = [](const Bands& b) { return fmt::format("[{:.2f}]", fmt::join(b, ", ")); };
        for (std::size_t k = 0; k < std::min<std::size_t>(10, contributions.size()); ++k) {
            const auto& c = contributions[k];
            const auto& t = c.terms;
            const Source& src = *c.source.src;
            const std::string what =
                src.road ? fmt::format("road feature {} point at ({:.1f}, {:.1f}) for {:.1f} m of road; L'W day {} dB/m",
                                       src.feature_id, c.source.x, c.source.y, c.source.length_m, bands(src.power_db[0]))
                : src.point ? fmt::format("noise_sources feature {} point at ({:.1f}, {:.1f}), {} m high; L_W day {} dB",
                                          src.feature_id, c.source.x, c.source.y, src.height_m, bands(src.power_db[0]))
                            : fmt::format("noise_sources feature {} line point at ({:.1f}, {:.1f}) for {:.1f} m, {} m high; "
                                          "L'W day {} dB/m",
                                          src.feature_id, c.source.x, c.source.y, c.source.length_m, src.height_m,
                                          bands(src.power_db[0]));
            e.terms.push_back(
                {fmt::format("source_{}", k + 1), c.lden_dba, "dB(A)",
                 fmt::format("Lden share of {}{}; bands 63-8000 Hz: d = {:.1f} m; A_div = {:.2f} dB; A_atm {} dB; "
                             "A_boundary,H {} dB ({}); A_boundary,F {} dB ({}); A (p = {}) {} dB",
                             what,
                             c.reflections ? fmt::format(", reflected {} time(s) (unfolded path; A includes the facade absorption)", c.reflections)
                             : c.lateral_side ? fmt::format(", lateral path on the {} (A_boundary = A_dif around vertical edges)",
                                                            c.lateral_side > 0 ? "left" : "right")
                                              : std::string(),
                             t.distance_m, t.a_div_db, bands(t.a_atm_db), bands(t.homogeneous.a_boundary),
                             condition_text(t.homogeneous, t.edge_count_h), bands(t.favourable.a_boundary),
                             condition_text(t.favourable, t.edge_count_f), s_.p_sectors.for_path(c.source.x, c.source.y, grid.cell_center_x(col), grid.cell_center_y(row)),
                             bands(t.attenuation_db))});
        }
        e.notes.push_back("computed with the plain reference: every source point of every source, no preselection");
        return e;
    }

    NoiseLevels reference(const LayerStack& stack, double x, double y) const {
        const auto& grid = stack.grid();
        const auto scene = scene_of(stack);
        std::vector<const Source*> all;
        for (const auto& src : scene->sources) all.push_back(&src);
        const PathContext pc = path_context(*scene, grid.extent(), false);
        return cell_levels(pc, all, grid.col_of(x), grid.row_of(y), nullptr);
    }

    // Point receivers with exact vector geometry (ground zones, barriers); every source, no preselection.
    std::vector<PointLevels> points(const LayerStack& stack, const std::vector<Point2>& pts,
                                    const std::vector<double>& heights, int threads = 1,
                                    double min_wall_distance_m = 0.0) const {
        const auto scene = scene_of(stack);
        std::vector<const Source*> all;
        for (const auto& src : scene->sources) all.push_back(&src);
        std::vector<PointLevels> out(pts.size());
        const GridSpec& grid = stack.grid();
        // Each point on its own: the result does not depend on the thread count.
        parallel_for_each(pts.size(), threads, [&](std::size_t k) {
            const Box2 reach{pts[k].x - s_.max_distance_m, pts[k].y - s_.max_distance_m, pts[k].x + s_.max_distance_m,
                             pts[k].y + s_.max_distance_m};
            const PathContext pc = path_context(*scene, reach, !scene->zones.empty());
            Energies en;
            if (grid.contains_cell(grid.col_of(pts[k].x), grid.row_of(pts[k].y))) {
                accumulate(pc, all, pts[k].x, pts[k].y, heights[k], true, en, nullptr, min_wall_distance_m);
            }
            out[k] = point_levels_of(en);
        });
        return out;
    }

    [[nodiscard]] std::vector<PointReceiver> receivers(const LayerStack& stack) const {
        if (!stack.has_features("receivers")) return {};
        return receivers_of(stack.features("receivers"), s_.receiver_height_m);
    }

private:
    struct Contribution {
        SourcePoint source;
        PathTerms terms;
        double lden_dba;
        std::size_t reflections = 0;  // 0: the direct path
        int lateral_side = 0;         // +1 / -1: a lateral path left / right of S-R
    };

    static std::string condition_text(const ConditionTerms& c, std::size_t edges) {
        return c.diffracted ? fmt::format("A_dif, {} edges", edges) : "A_ground";
    }

    struct CacheEntry {
        std::once_flag once;
        std::shared_ptr<const Scene> scene;
    };

    // The scene of a stack, built once per distinct input (the hash of every input layer and the grid).
    [[nodiscard]] std::shared_ptr<const Scene> scene_of(const LayerStack& stack) const {
        const GridSpec& grid = stack.grid();
        std::uint64_t key = stack.hash_of(inputs());
        for (const double v : {grid.origin_x, grid.origin_y, grid.cell_size_m, static_cast<double>(grid.cols),
                               static_cast<double>(grid.rows)}) {
            std::uint64_t bits = 0;
            std::memcpy(&bits, &v, sizeof bits);
            key = (key ^ bits) * 0x100000001b3ULL + 0x9e3779b97f4a7c15ULL;
        }
        std::shared_ptr<CacheEntry> entry;
        {
            std::lock_guard lock(cache_mutex_);
            for (const auto& [k, e] : cache_) {
                if (k == key) entry = e;
            }
            if (!entry) {
                entry = std::make_shared<CacheEntry>();
                if (cache_.size() >= 2) cache_.erase(cache_.begin());
                cache_.emplace_back(key, entry);
            }
        }
        std::call_once(entry->once, [&] { entry->scene = build_scene(stack); });
        return entry->scene;
    }

    [[nodiscard]] std::shared_ptr<const Scene> build_scene(const LayerStack& stack) const {
        auto scene = std::make_shared<Scene>();
        scene->grid = stack.grid();
        if (s_.use_roads && stack.has_features("roads")) scene->sources = road_sources(stack.features("roads"), s_);
        if (s_.use_generic && stack.has_features("noise_sources")) {
            auto generic = generic_sources(stack.features("noise_sources"));
            scene->sources.insert(scene->sources.end(), generic.begin(), generic.end());
        }
        if (s_.use_barriers && stack.has_features("barriers")) scene->barriers = barriers_of(stack.features("barriers"));
        const std::string dem(layer::dem), bh(layer::building_height);
        if (stack.has_raster(dem)) scene->dem = stack.raster_ptr(dem);
        if (stack.has_raster(bh)) scene->building_height = stack.raster_ptr(bh);
        if (s_.reflection_order > 0) build_facades(stack, *scene);
        if (s_.lateral) build_obstacles(stack, *scene);
        if (s_.ground_from_layer) {
            if (stack.has_raster("ground_g")) {
                scene->ground_g = stack.raster_ptr("ground_g");
            } else if (stack.has_features("ground_g")) {
                // Ground zones: exact polygons for point receivers; for grid receivers the G of the first zone
                // containing the cell centre (burnt in reverse order so the first wins), else ground_g.
                scene->ground_features = stack.features_ptr("ground_g");
                const auto& fs = *scene->ground_features;
                for (const Feature& f : fs.features) {
                    const std::string where = fmt::format("ground_g feature {} ({})", f.id, f.source);
                    if (f.geometry.kind != Geometry::Kind::Polygon) {
                        throw DataError(fmt::format("{}: ground zones must be polygons", where));
                    }
                    const auto g = optional_number(f, "g", where);
                    if (!g) throw DataError(fmt::format("{}: attribute 'g' (ground factor G, 0-1) is missing", where));
                    if (*g < 0.0 || *g > 1.0) throw DataError(fmt::format("{}: g must lie in 0..1, not {}", where, *g));
                    scene->zones.push_back({&f.geometry, f.geometry.bounds(), *g});
                }
                const GridSpec& grid = stack.grid();
                auto burnt = std::make_shared<Raster>(grid.cols, grid.rows, static_cast<float>(s_.ground_g));
                for (auto it = scene->zones.rbegin(); it != scene->zones.rend(); ++it) {
                    burn_polygon(grid, *it->geometry, static_cast<float>(it->g), *burnt);
                }
                scene->ground_g = burnt;
                scene->ground_nodata = false;
            } else {
                throw DataError("noise.cnossos: ground_g_source is 'layer' but the batch has no 'ground_g' raster or polygons");
            }
        }
        return scene;
    }

    // Facades for the image sources: every exterior ring edge of every building (foot at the DEM of the
    // building's centre cell, top = foot + height_m, reflecting outwards) and both sides of every barrier.
    void build_facades(const LayerStack& stack, Scene& scene) const {
        auto index = std::make_shared<FacadeIndex>(50.0);
        Bands alpha{};
        alpha.fill(s_.facade_absorption);
        const GridSpec& grid = stack.grid();
        const auto ground_at = [&](const Point2& p) {
            if (!scene.dem) return 0.0;
            const auto c = grid.col_of(p.x), r = grid.row_of(p.y);
            if (!grid.contains_cell(c, r)) return 0.0;
            const float z = scene.dem->at(c, r);
            return std::isnan(z) ? 0.0 : static_cast<double>(z);
        };
        if (stack.has_features("buildings")) {
            std::int64_t owner = 0;
            for (const Feature& f : stack.features("buildings").features) {
                ++owner;
                const auto h = f.number("height_m");
                if (!h || !(*h > 0.0) || f.geometry.kind != Geometry::Kind::Polygon) continue;
                const Box2 b = f.geometry.bounds();
                const double base = ground_at({0.5 * (b.min_x + b.max_x), 0.5 * (b.min_y + b.max_y)});
                for (const Polygon& poly : f.geometry.polygons) {
                    if (!poly.rings.empty()) index->add_building(poly.rings[0], base, base + *h, alpha, owner);
                }
            }
        }
        for (const Barrier& b : scene.barriers) {
            Facade fa;
            fa.a = b.a;
            fa.b = b.b;
            fa.base_z_m = ground_at({0.5 * (b.a.x + b.b.x), 0.5 * (b.a.y + b.b.y)});
            fa.top_z_m = fa.base_z_m + b.height_m;
            fa.absorption = alpha;
            fa.side = 0;
            (void)index->add(fa);
        }
        index->finish();
        scene.facades = index;
    }

    void build_obstacles(const LayerStack& stack, Scene& scene) const {
        const GridSpec& grid = stack.grid();
        const auto ground_at = [&](const Point2& p) {
            if (!scene.dem) return 0.0;
            const auto c = grid.col_of(p.x), r = grid.row_of(p.y);
            if (!grid.contains_cell(c, r)) return 0.0;
            const float z = scene.dem->at(c, r);
            return std::isnan(z) ? 0.0 : static_cast<double>(z);
        };
        const auto add = [&](std::vector<Point2> ring, double top) {
            Box2 b = segment_box(ring.front(), ring.front());
            for (const auto& p : ring) b = {std::min(b.min_x, p.x), std::min(b.min_y, p.y), std::max(b.max_x, p.x), std::max(b.max_y, p.y)};
            scene.obstacles.push_back({std::move(ring), top});
            scene.obstacle_boxes.push_back(b);
        };
        if (stack.has_features("buildings")) {
            for (const Feature& f : stack.features("buildings").features) {
                const auto h = f.number("height_m");
                if (!h || !(*h > 0.0) || f.geometry.kind != Geometry::Kind::Polygon) continue;
                const Box2 b = f.geometry.bounds();
                const double base = ground_at({0.5 * (b.min_x + b.max_x), 0.5 * (b.min_y + b.max_y)});
                for (const Polygon& poly : f.geometry.polygons) {
                    if (!poly.rings.empty()) add(poly.rings[0], base + *h);
                }
            }
        }
        for (const Barrier& b : scene.barriers) {
            add({b.a, b.b}, ground_at({0.5 * (b.a.x + b.b.x), 0.5 * (b.a.y + b.b.y)}) + b.height_m);
        }
    }

    [[nodiscard]] PathContext path_context(const Scene& scene, const Box2& reach, bool exact) const {
        PathContext pc;
        pc.scene = &scene;
        pc.layers = scene.layers(s_.ground_g);
        pc.exact_ground = exact;
        pc.source_g = s_.source_g;
        for (const auto& b : scene.barriers) {
            if (boxes_overlap(b.box, reach)) pc.barriers.push_back(&b);
        }
        return pc;
    }

    // One grid receiver from the given sources, in their order (the energetic sums are in source order).
    NoiseLevels cell_levels(const PathContext& pc, const std::vector<const Source*>& sources, std::int64_t col,
                            std::int64_t row, std::vector<Contribution>* contributions,
                            std::vector<CellTransfer>* record = nullptr, bool* any = nullptr) const {
        NoiseLevels nodata{kNaN, kNaN, kNaN, kNaN};
        const GridLayers& layers = pc.layers;
        const GridSpec& grid = *layers.grid;
        if (any) *any = false;
        if (layers.dem && std::isnan(layers.dem->at(col, row))) return nodata;
        if (layers.building_height) {
            const float h = layers.building_height->at(col, row);
            if (std::isnan(h) || h > 0.0f) return nodata;
        }
        if (layers.ground_g && layers.ground_nodata && std::isnan(layers.ground_g->at(col, row))) return nodata;
        Energies en;
        accumulate(pc, sources, grid.cell_center_x(col), grid.cell_center_y(row), s_.receiver_height_m, false, en,
                   contributions, 0.0, record);
        if (any) *any = en.any;
        return levels_of(en);
    }

    // A grid cell from stored transfers (a traffic-only scenario): the same sums as cell_levels.
    // With `source_of`, the transfers are another scene's and their source numbers are translated (every
    // source of a cell lent from the baseline has its match in this scene: a changed source is a change
    // within reach).
    [[nodiscard]] NoiseLevels cell_levels_reused(const Scene& scene, const std::vector<CellTransfer>& transfers, bool any,
                                                 const std::vector<std::uint32_t>* source_of) const {
        Energies en;
        en.any = any;
        for (const auto& ct : transfers) {
            std::uint32_t k = ct.source;
            if (source_of) {
                k = (*source_of)[k];
                if (k >= scene.sources.size()) throw InternalError("noise.cnossos: a lent cell refers to a changed source");
            }
            add_transfer(scene.sources[k], ct, en);
        }
        return levels_of(en);
    }

    [[nodiscard]] NoiseLevels levels_of(const Energies& en) const {
        if (!en.any) return {kNaN, kNaN, kNaN, kNaN};
        std::array<double, kPeriods> a_energy{};
        for (std::size_t p = 0; p < kPeriods; ++p) {
            for (std::size_t i = 0; i < kBandCount; ++i) a_energy[p] += en.e[p][i] * kAWeightEnergy[i];
        }
        return {energy_to_db(a_energy[0]), energy_to_db(a_energy[1]), energy_to_db(a_energy[2]),
                energy_to_db(den_energy(a_energy))};
    }

    // The propagation kept between runs: per grid cell the float transfer of every source within reach, keyed
    // by the hash of everything but the emission (geometry layers, ground, barriers, source geometry, grid).
    // A store for another geometry also lends the first (baseline) store's cells beyond reach of every
    // change between the two scenes (`change`), with the baseline's source numbers translated.
    struct TransferStore {
        std::uint64_t key = 0;
        std::shared_ptr<const Scene> scene;  // the scene the transfers belong to
        std::vector<std::vector<CellTransfer>> cells;
        std::vector<std::uint8_t> any;
        std::unique_ptr<std::atomic<std::uint8_t>[]> state;  // 1: cells[i] and any[i] are complete
        std::atomic<std::size_t> bytes{0};
        std::shared_ptr<const TransferStore> base;
        SceneChange change;
    };

    // How far a change of geometry can reach a grid receiver: the farthest point of a direct path (the
    // maximum distance), of the facades searched for reflections (a square of half side
    // reflection_distance_m) and, with lateral paths, of the obstacles near the S-R line (its box widened by
    // a quarter of its length plus 10 m), plus two cell diagonals for the cells a cut reads.
    [[nodiscard]] double change_reach_m(const GridSpec& grid) const {
        double reach = s_.max_distance_m;
        if (s_.reflection_order > 0) reach = std::max(reach, std::sqrt(2.0) * s_.reflection_distance_m);
        if (s_.lateral) reach = s_.max_distance_m + std::sqrt(2.0) * (0.25 * s_.max_distance_m + 10.0);
        return reach + 2.0 * std::sqrt(2.0) * grid.cell_size_m;
    }

    [[nodiscard]] std::uint64_t geometry_key(const LayerStack& stack, const Scene& scene) const {
        std::vector<std::string> names;
        for (const auto& n : inputs()) {
            if (n != "roads" && n != "noise_sources" && n != "receivers") names.push_back(n);
        }
        std::uint64_t key = stack.hash_of(names);
        const auto mix = [&key](double v) {
            std::uint64_t bits = 0;
            std::memcpy(&bits, &v, sizeof bits);
            key = (key ^ bits) * 0x100000001b3ULL + 0x9e3779b97f4a7c15ULL;
        };
        const GridSpec& g = stack.grid();
        for (double v : {g.origin_x, g.origin_y, g.cell_size_m, static_cast<double>(g.cols), static_cast<double>(g.rows),
                         static_cast<double>(scene.sources.size())}) {
            mix(v);
        }
        for (const Source& src : scene.sources) {
            mix(src.point ? 1.0 : 0.0);
            mix(src.road ? 1.0 : 0.0);
            mix(src.height_m);
            mix(src.a.x);
            mix(src.a.y);
            for (const Point2& p : src.vertices) {
                mix(p.x);
                mix(p.y);
            }
        }
        return key;
    }

    [[nodiscard]] std::shared_ptr<TransferStore> store_for(std::uint64_t key, const std::shared_ptr<const Scene>& scene) const {
        if (s_.cache_bytes == 0 || s_.cutoff_db > 0.0) return nullptr;
        const GridSpec& grid = scene->grid;
        std::lock_guard lock(store_mutex_);
        for (const auto& kept : stores_) {
            if (kept->key == key) return kept;
        }
        auto st = std::make_shared<TransferStore>();
        st->key = key;
        st->scene = scene;
        if (!stores_.empty()) {
            st->change = scene_change(*stores_.front()->scene, *scene, change_reach_m(grid));
            if (st->change.comparable) st->base = stores_.front();
        }
        const auto n = static_cast<std::size_t>(grid.cell_count());
        st->cells.resize(n);
        st->any.assign(n, 0);
        st->state = std::make_unique<std::atomic<std::uint8_t>[]>(n);
        for (std::size_t i = 0; i < n; ++i) st->state[i].store(0, std::memory_order_relaxed);
        // The first geometry keeps its place (the baseline's, which most scenarios share); the latest other
        // geometry takes the second. The byte budget covers both.
        if (stores_.size() >= 2) {
            store_bytes_.fetch_sub(stores_.back()->bytes.load(std::memory_order_relaxed), std::memory_order_relaxed);
            stores_.back() = st;
        } else {
            stores_.push_back(st);
        }
        return st;
    }

    // Adds every source point within reach of the receiver at (xr, yr), height_m above its ground (with
    // energy_cutoff_db, the loudest ones until the rest cannot matter: accumulate_cutoff).
    void accumulate(const PathContext& pc, const std::vector<const Source*>& sources, double xr, double yr,
                    double height_m, bool conditions, Energies& en, std::vector<Contribution>* contributions,
                    double min_wall_distance_m = 0.0, std::vector<CellTransfer>* record = nullptr) const {
        const double max_d2 = s_.max_distance_m * s_.max_distance_m;
        thread_local std::vector<SourcePoint> points;
        // The facades that may reflect towards this receiver (within reflection_distance_m of it): first order
        // through the per-receiver preparation (R's image in each facade), higher orders through a local index
        // of the facades whose box meets the square of half side reflection_distance_m around it.
        thread_local ReceiverReflections first_order;
        Reflectors refl{&first_order, nullptr, false};
        std::shared_ptr<FacadeIndex> local;
        if (pc.scene->facades && s_.reflection_order > 1) {
            thread_local std::vector<std::uint32_t> ids;
            const double rd = s_.reflection_distance_m;
            pc.scene->facades->query({xr - rd, yr - rd, xr + rd, yr + rd}, ids);
            local = std::make_shared<FacadeIndex>(25.0);
            for (const auto id : ids) (void)local->add(pc.scene->facades->facades()[id]);
            local->finish();
            refl.local = local.get();
        }
        if (s_.cutoff_db > 0.0) {
            accumulate_cutoff(pc, sources, xr, yr, height_m, conditions, en, contributions, min_wall_distance_m, record, refl);
            return;
        }
        for (const Source* src : sources) {
            points.clear();
            split_source(*src, xr, yr, points);
            en.t = {};
            en.t_h = {};
            en.t_f = {};
            bool in_range = false;
            for (const SourcePoint& sp : points) {
                const double d2 = (sp.x - xr) * (sp.x - xr) + (sp.y - yr) * (sp.y - yr);
                if (d2 > max_d2) continue;
                en.any = true;
                in_range = true;
                add_point(pc, sp, xr, yr, height_m, conditions, en, contributions, min_wall_distance_m, refl);
            }
            if (in_range) finish_source(pc, *src, conditions, en, record);
        }
    }

    // Where the reflected paths of one receiver come from: the first-order preparation (made on the first
    // source point) or the local facade index of higher orders.
    struct Reflectors {
        ReceiverReflections* first_order = nullptr;
        const FacadeIndex* local = nullptr;
        bool prepared = false;
    };

    void prepare_reflections(const PathContext& pc, double xr, double yr, double receiver_z_m, double min_wall_distance_m,
                             Reflectors& refl) const {
        if (refl.prepared || !pc.scene->facades || s_.reflection_order != 1) return;
        ReflectionOptions opt;
        opt.max_order = 1;
        opt.max_path_length_m = s_.max_distance_m;
        opt.min_receiver_wall_distance_m = min_wall_distance_m;
        refl.first_order->prepare(*pc.scene->facades, {xr, yr}, receiver_z_m, s_.reflection_distance_m, opt);
        refl.prepared = true;
    }

    // The paths of one source point (direct, reflected, lateral), added to en.t, en.t_h and en.t_f.
    void add_point(const PathContext& pc, const SourcePoint& sp, double xr, double yr, double height_m, bool conditions,
                   Energies& en, std::vector<Contribution>* contributions, double min_wall_distance_m, Reflectors& refl) const {
        thread_local PathWorkspace work;
        thread_local PathTerms terms;
        const Source* src = sp.src;
        const PathProfile profile = cut_profile(pc, sp, xr, yr, height_m);
        cnossos_path(profile, alpha_, s_.p_sectors.for_path(sp.x, sp.y, xr, yr), work, terms);
        std::array<double, kPeriods> a_energy{};
        for (std::size_t i = 0; i < kBandCount; ++i) {
            const double transfer = sp.length_m * terms.transfer[i];
            double transfer_h = 0.0, transfer_f = 0.0;
            if (conditions) {
                transfer_h = sp.length_m * std::pow(10.0, -terms.homogeneous.attenuation_db[i] / 10.0);
                transfer_f = sp.length_m * std::pow(10.0, -terms.favourable.attenuation_db[i] / 10.0);
            }
            en.t[i] += transfer;
            en.t_h[i] += transfer_h;
            en.t_f[i] += transfer_f;
            for (std::size_t p = 0; p < kPeriods; ++p) a_energy[p] += src->power[p][i] * transfer * kAWeightEnergy[i];
        }
        if (contributions) contributions->push_back({sp, terms, energy_to_db(den_energy(a_energy))});
        if (pc.scene->facades && s_.reflection_order == 1) {
            prepare_reflections(pc, xr, yr, profile.receiver_z_m, min_wall_distance_m, refl);
            if (refl.first_order->facade_count() > 0) {
                add_reflections(pc, nullptr, refl.first_order, sp, profile, xr, yr, conditions, min_wall_distance_m, en,
                                contributions);
            }
        } else if (refl.local && !refl.local->facades().empty()) {
            add_reflections(pc, refl.local, nullptr, sp, profile, xr, yr, conditions, min_wall_distance_m, en, contributions);
        }
        if (s_.lateral && (terms.homogeneous.diffracted || terms.favourable.diffracted)) {
            add_lateral(pc, sp, profile, xr, yr, conditions, en, contributions);
        }
    }

    // One source's transfer (en.t, en.t_h, en.t_f) into the receiver's energies.
    void finish_source(const PathContext& pc, const Source& src, bool conditions, Energies& en,
                       std::vector<CellTransfer>* record) const {
        // The source's transfer is kept in float so that a traffic-only scenario, which multiplies the stored
        // transfer by its own emission, gives the same bits as this computation.
        CellTransfer ct;
        ct.source = static_cast<std::uint32_t>(&src - pc.scene->sources.data());
        for (std::size_t i = 0; i < kBandCount; ++i) ct.t[i] = static_cast<float>(en.t[i]);
        add_transfer(src, ct, en);
        if (conditions) {
            for (std::size_t p = 0; p < kPeriods; ++p) {
                for (std::size_t i = 0; i < kBandCount; ++i) {
                    en.e_h[p][i] += src.power[p][i] * en.t_h[i];
                    en.e_f[p][i] += src.power[p][i] * en.t_f[i];
                }
            }
        }
        if (record) record->push_back(ct);
    }

    // The energy-based cut-off (energy_cutoff_db = e > 0). Every source point within max_distance_m gets an
    // upper estimate of its A-weighted energy at the receiver per period: its sound power times its length
    // over 4 pi d^2 (geometric divergence at the horizontal distance d, no absorption, no screening), times 2
    // (+3 dB, the largest ground gain of homogeneous conditions, notes 6), times 1 + sum over orders k of
    // ((1 - alpha) n)^k for the image sources of the n facades within reflection_distance_m, times 3 with
    // lateral paths. The points are evaluated from the largest estimate down; the receiver stops once, in each
    // period, the estimates of the points left add up to at most (10^(e/10) - 1) of the energy computed. Under
    // that bound the levels of every period, and so Lden, are at most e dB low. The sums keep source order.
    void accumulate_cutoff(const PathContext& pc, const std::vector<const Source*>& sources, double xr, double yr,
                           double height_m, bool conditions, Energies& en, std::vector<Contribution>* contributions,
                           double min_wall_distance_m, std::vector<CellTransfer>* record, Reflectors& refl) const {
        struct Candidate {
            double ub_den;
            std::array<double, kPeriods> ub;
            std::uint32_t source, order, slot;
            SourcePoint sp;
        };
        struct Slot {
            const Source* src;
            Bands t{}, t_h{}, t_f{};
            std::array<Bands, kPeriods> w{};  // A-weighted power per period and band
            bool used = false;
        };
        thread_local std::vector<SourcePoint> points;
        thread_local std::vector<Candidate> cand;
        thread_local std::vector<Slot> slots;
        thread_local std::vector<std::array<double, kPeriods>> rest;
        cand.clear();
        slots.clear();
        double allowance = 2.0;
        if (pc.scene->facades && s_.reflection_order > 0) {
            std::size_t n = 0;
            if (s_.reflection_order == 1) {
                const double zr = layers_z(pc, xr, yr) + height_m;
                prepare_reflections(pc, xr, yr, zr, min_wall_distance_m, refl);
                n = refl.first_order->facade_count();
            } else if (refl.local) {
                n = refl.local->facades().size();
            }
            const double per = (1.0 - s_.facade_absorption) * static_cast<double>(n);
            double images = 0.0, term = 1.0;
            for (std::size_t k = 0; k < s_.reflection_order; ++k) images += (term *= per);
            allowance *= 1.0 + images;
        }
        if (s_.lateral) allowance *= 3.0;
        const double max_d2 = s_.max_distance_m * s_.max_distance_m;
        constexpr double kFourPi = 4.0 * 3.14159265358979323846;
        for (const Source* src : sources) {
            points.clear();
            split_source(*src, xr, yr, points);
            std::uint32_t slot = std::numeric_limits<std::uint32_t>::max();
            for (std::size_t k = 0; k < points.size(); ++k) {
                const SourcePoint& sp = points[k];
                const double d2 = (sp.x - xr) * (sp.x - xr) + (sp.y - yr) * (sp.y - yr);
                if (d2 > max_d2) continue;
                if (slot == std::numeric_limits<std::uint32_t>::max()) {
                    slot = static_cast<std::uint32_t>(slots.size());
                    Slot sl{src};
                    for (std::size_t p = 0; p < kPeriods; ++p) {
                        for (std::size_t i = 0; i < kBandCount; ++i) sl.w[p][i] = src->power[p][i] * kAWeightEnergy[i];
                    }
                    slots.push_back(sl);
                }
                const double geometric = allowance * sp.length_m / (kFourPi * std::max(d2, 0.01));
                Candidate c{0.0, {}, static_cast<std::uint32_t>(src - pc.scene->sources.data()), static_cast<std::uint32_t>(k), slot, sp};
                for (std::size_t p = 0; p < kPeriods; ++p) {
                    double w = 0.0;
                    for (std::size_t i = 0; i < kBandCount; ++i) w += slots[slot].w[p][i];
                    c.ub[p] = w * geometric;
                }
                c.ub_den = den_energy(c.ub);
                cand.push_back(c);
            }
        }
        if (cand.empty()) return;
        en.any = true;
        std::sort(cand.begin(), cand.end(), [](const Candidate& a, const Candidate& b) {
            if (a.ub_den != b.ub_den) return a.ub_den > b.ub_den;
            if (a.source != b.source) return a.source < b.source;
            return a.order < b.order;
        });
        rest.assign(cand.size() + 1, {});
        for (std::size_t j = cand.size(); j-- > 0;) {
            for (std::size_t p = 0; p < kPeriods; ++p) rest[j][p] = rest[j + 1][p] + cand[j].ub[p];
        }
        const double eta = std::pow(10.0, s_.cutoff_db / 10.0) - 1.0;
        std::array<double, kPeriods> done{};
        for (std::size_t j = 0; j < cand.size(); ++j) {
            Slot& sl = slots[cand[j].slot];
            en.t = sl.t;
            en.t_h = sl.t_h;
            en.t_f = sl.t_f;
            add_point(pc, cand[j].sp, xr, yr, height_m, conditions, en, contributions, min_wall_distance_m, refl);
            for (std::size_t p = 0; p < kPeriods; ++p) {
                for (std::size_t i = 0; i < kBandCount; ++i) done[p] += sl.w[p][i] * (en.t[i] - sl.t[i]);
            }
            sl.t = en.t;
            sl.t_h = en.t_h;
            sl.t_f = en.t_f;
            sl.used = true;
            bool enough = true;
            for (std::size_t p = 0; p < kPeriods; ++p) enough = enough && rest[j + 1][p] <= eta * done[p];
            if (enough) break;
        }
        for (const Slot& sl : slots) {
            if (!sl.used) continue;
            en.t = sl.t;
            en.t_h = sl.t_h;
            en.t_f = sl.t_f;
            finish_source(pc, *sl.src, conditions, en, record);
        }
    }

    // Ground altitude at (x, y) from the DEM (0 without one), as the receiver's profile takes it.
    [[nodiscard]] static double layers_z(const PathContext& pc, double x, double y) {
        const GridLayers& l = pc.layers;
        const auto c = l.grid->col_of(x), r = l.grid->row_of(y);
        const double z = l.terrain(c, r);
        return std::isnan(z) ? 0.0 : z;
    }

    static void add_transfer(const Source& src, const CellTransfer& ct, Energies& en) {
        for (std::size_t p = 0; p < kPeriods; ++p) {
            for (std::size_t i = 0; i < kBandCount; ++i) en.e[p][i] += src.power[p][i] * static_cast<double>(ct.t[i]);
        }
    }

    // The image-source paths of one source point (notes 8.4): each reflected path's unfolded profile is cut
    // leg by leg through the same grid and barriers, evaluated as a direct path, and loses the facade
    // absorption; a condition in which the ray misses a facade contributes nothing.
    void add_reflections(const PathContext& pc, const FacadeIndex* facades, const ReceiverReflections* first_order,
                         const SourcePoint& sp, const PathProfile& direct, double xr, double yr, bool conditions,
                         double min_wall_distance_m, Energies& en, std::vector<Contribution>* contributions) const {
        thread_local ReflectionWorkspace work;
        thread_local std::vector<ReflectionPath> paths;
        thread_local PathProfile leg, unfolded;
        const Point2 s{sp.x, sp.y}, r{xr, yr};
        if (first_order) {
            first_order->paths_from(s, direct.source_z_m, paths);
        } else {
            ReflectionOptions opt;
            opt.max_order = s_.reflection_order;
            opt.max_path_length_m = s_.max_distance_m;
            opt.min_receiver_wall_distance_m = min_wall_distance_m;
            find_reflections(*facades, s, direct.source_z_m, r, direct.receiver_z_m, opt, work, paths);
        }
        for (const ReflectionPath& path : paths) {
            unfold_profile(
                path, s, direct.source_z_m, r, direct.receiver_z_m, direct.source_g,
                [&](const LegRequest& req, PathProfile& out) { (void)cut_segment(pc, req.from.x, req.from.y, req.to.x, req.to.y, out); },
                leg, unfolded);
            // p of the direction source -> receiver (notes 9).
            const double p_f = s_.p_sectors.for_path(sp.x, sp.y, xr, yr);
            const PathTerms terms = cnossos_path(unfolded, alpha_, p_f);
            const Bands a = reflected_attenuation_db(terms, path, p_f);
            std::array<double, kPeriods> a_energy{};
            for (std::size_t i = 0; i < kBandCount; ++i) {
                const double transfer = std::isfinite(a[i]) ? sp.length_m * std::pow(10.0, -a[i] / 10.0) : 0.0;
                double transfer_h = 0.0, transfer_f = 0.0;
                if (conditions) {
                    if (path.valid_homogeneous) {
                        transfer_h = sp.length_m * std::pow(10.0, -(terms.homogeneous.attenuation_db[i] + path.absorption_db[i]) / 10.0);
                    }
                    if (path.valid_favourable) {
                        transfer_f = sp.length_m * std::pow(10.0, -(terms.favourable.attenuation_db[i] + path.absorption_db[i]) / 10.0);
                    }
                }
                en.t[i] += transfer;
                en.t_h[i] += transfer_h;
                en.t_f[i] += transfer_f;
                for (std::size_t p = 0; p < kPeriods; ++p) a_energy[p] += sp.src->power[p][i] * transfer * kAWeightEnergy[i];
            }
            if (contributions) {
                PathTerms shown = terms;
                shown.attenuation_db = a;
                contributions->push_back({sp, shown, energy_to_db(den_energy(a_energy)), path.order});
            }
        }
    }

    // Lateral paths around the vertical edges of the obstacles (buildings and barriers) near the S-R segment
    // (cnossos_lateral.cpp, Annex II 2.5.7): each side's unfolded profile through the same grid and ground.
    void add_lateral(const PathContext& pc, const SourcePoint& sp, const PathProfile& direct, double xr, double yr,
                     bool conditions, Energies& en, std::vector<Contribution>* contributions) const {
        thread_local std::vector<LateralObstacle> near;
        thread_local LateralWorkspace work;
        thread_local std::vector<LateralPath> paths;
        thread_local PathProfile leg, unfolded;
        const Point2 s{sp.x, sp.y}, r{xr, yr};
        const double margin = 0.25 * direct.length_m + 10.0;  // obstacles near the straight path
        const Box2 box{std::min(s.x, r.x) - margin, std::min(s.y, r.y) - margin, std::max(s.x, r.x) + margin,
                       std::max(s.y, r.y) + margin};
        near.clear();
        for (std::size_t k = 0; k < pc.scene->obstacles.size(); ++k) {
            if (boxes_overlap(pc.scene->obstacle_boxes[k], box)) near.push_back(pc.scene->obstacles[k]);
        }
        lateral_paths(near, s, direct.source_z_m, r, direct.receiver_z_m, work, paths);
        for (const LateralPath& path : paths) {
            unfold_polyline(
                path.plan, direct.source_z_m, direct.receiver_z_m, direct.source_g,
                [&](const LegRequest& req, PathProfile& out) { (void)cut_segment(pc, req.from.x, req.from.y, req.to.x, req.to.y, out); },
                leg, unfolded);
            const PathTerms terms = cnossos_lateral_path(unfolded, path, alpha_, s_.p_sectors.for_path(sp.x, sp.y, xr, yr));
            std::array<double, kPeriods> a_energy{};
            for (std::size_t i = 0; i < kBandCount; ++i) {
                const double transfer = sp.length_m * std::pow(10.0, -terms.attenuation_db[i] / 10.0);
                const double transfer_h = conditions ? sp.length_m * std::pow(10.0, -terms.homogeneous.attenuation_db[i] / 10.0) : 0.0;
                const double transfer_f = conditions ? sp.length_m * std::pow(10.0, -terms.favourable.attenuation_db[i] / 10.0) : 0.0;
                en.t[i] += transfer;
                en.t_h[i] += transfer_h;
                en.t_f[i] += transfer_f;
                for (std::size_t p = 0; p < kPeriods; ++p) a_energy[p] += sp.src->power[p][i] * transfer * kAWeightEnergy[i];
            }
            if (contributions) contributions->push_back({sp, terms, energy_to_db(den_energy(a_energy)), 0, path.side});
        }
    }

    [[nodiscard]] PointLevels point_levels_of(const Energies& en) const {
        PointLevels l;
        std::array<double, kPeriods> a{}, ah{}, af{};
        for (std::size_t p = 0; p < kPeriods; ++p) {
            for (std::size_t i = 0; i < kBandCount; ++i) {
                l.l_db[p][i] = en.any ? energy_to_db(en.e[p][i]) : kNaN;
                l.l_h_db[p][i] = en.any ? energy_to_db(en.e_h[p][i]) : kNaN;
                l.l_f_db[p][i] = en.any ? energy_to_db(en.e_f[p][i]) : kNaN;
                a[p] += en.e[p][i] * kAWeightEnergy[i];
                ah[p] += en.e_h[p][i] * kAWeightEnergy[i];
                af[p] += en.e_f[p][i] * kAWeightEnergy[i];
            }
            l.l_dba[p] = en.any ? energy_to_db(a[p]) : kNaN;
            l.l_h_dba[p] = en.any ? energy_to_db(ah[p]) : kNaN;
            l.l_f_dba[p] = en.any ? energy_to_db(af[p]) : kNaN;
        }
        l.lden_dba = en.any ? energy_to_db(den_energy(a)) : kNaN;
        return l;
    }

    // Point sources of one source for a receiver at (xr, yr): a line is halved by arc length until each part
    // is shorter than spacing_ratio times its distance to the receiver (at least min_spacing_m), in line
    // order, each part a point at its middle arc length; a point source is itself.
    void split_source(const Source& src, double xr, double yr, std::vector<SourcePoint>& points) const {
        if (src.point) {
            points.push_back({src.a.x, src.a.y, 1.0, &src});
            return;
        }
        // Arc-length intervals: the part [s0, s1] is represented by the point at its middle arc length.
        struct Part {
            double s0, s1;
        };
        thread_local std::vector<Part> stack;
        stack.clear();
        stack.push_back({0.0, src.arc_m.back()});
        while (!stack.empty()) {
            const Part part = stack.back();
            stack.pop_back();
            const double len = part.s1 - part.s0;
            const double s_mid = 0.5 * (part.s0 + part.s1);
            const Point2 mid = point_at_arc(src, s_mid);
            const double d = std::hypot(mid.x - xr, mid.y - yr);
            // A part wholly beyond reach (every point within len/2 of the middle) is dropped unsplit.
            if (d - 0.5 * len > s_.max_distance_m) continue;
            if (len <= std::max(s_.min_spacing_m, s_.spacing_ratio * d)) {
                points.push_back({mid.x, mid.y, len, &src});
                continue;
            }
            stack.push_back({s_mid, part.s1});  // second half below the first: popped after it
            stack.push_back({part.s0, s_mid});
        }
    }

    [[nodiscard]] double den_energy(const std::array<double, kPeriods>& a_energy) const {
        return (s_.hours[0] * a_energy[0] + s_.hours[1] * a_energy[1] * std::pow(10.0, 0.5) +
                s_.hours[2] * a_energy[2] * 10.0) /
               24.0;
    }

    void write(TileOutputs& out, std::int64_t col, std::int64_t row, const NoiseLevels& l) const {
        out.rasters[0]->at(col, row) = static_cast<float>(l.lden_dba);
        out.rasters[1]->at(col, row) = static_cast<float>(l.lnight_dba);
        if (s_.all_periods) {
            out.rasters[2]->at(col, row) = static_cast<float>(l.lday_dba);
            out.rasters[3]->at(col, row) = static_cast<float>(l.levening_dba);
        }
    }

    Settings s_{};
    Bands alpha_{};
    mutable std::mutex cache_mutex_;
    mutable std::mutex store_mutex_;
    mutable std::vector<std::shared_ptr<TransferStore>> stores_;
    mutable std::atomic<std::size_t> store_bytes_{0};

public:
    mutable std::atomic<std::size_t> reused_cells_{0};
    mutable std::atomic<std::size_t> lent_cells_{0};  // of which taken from the baseline store (geometry changed)

private:
    mutable std::vector<std::pair<std::uint64_t, std::shared_ptr<CacheEntry>>> cache_;
};

// --- formulas -------------------------------------------------------------------------------------


Formula road_emission_formula() {
    Formula f;
    f.name = "cnossos_road_emission";
    f.summary = "CNOSSOS-EU road line sound power per metre per octave band (Annex II 2.2, 2021/1226); the gradient "
                "applies to all traffic in its driving direction";
    for (const auto& c : vehicle_categories()) {
        f.inputs.push_back(number_parameter("q_" + c + "_veh_per_h", "veh/h", "hourly flow of " + c, 0.0, 0.0, 100000.0));
    }
    for (const auto& c : vehicle_categories()) {
        f.inputs.push_back(number_parameter("v_" + c + "_kmh", "km/h", "mean speed of " + c + " (validity 20-130)", 50.0, 1.0, 250.0));
    }
    f.inputs.push_back({"surface", ParameterSpec::Kind::Choice, "", "road surface (Table F-4 id)", {}, {"DEF"}, 0.0, 0.0,
                        road_surface_ids()});
    f.inputs.push_back(number_parameter("temperature_c", "degC", "air temperature (20 = no correction)", 20.0, -30.0, 45.0));
    f.inputs.push_back(number_parameter("gradient_pct", "%", "road gradient in the driving direction", 0.0, -30.0, 30.0));
    f.inputs.push_back(number_parameter("junction_type", "", "0 none, 1 traffic lights, 2 roundabout", 0.0, 0.0, 2.0));
    f.inputs.push_back(number_parameter("junction_distance_m", "m", "distance to the junction", 1000.0, 0.0, 100000.0));
    f.inputs.push_back(number_parameter("studded_share", "", "share of light vehicles with studded tyres", 0.0, 0.0, 1.0));
    f.inputs.push_back(number_parameter("studded_months", "", "months per year with studded tyres", 0.0, 0.0, 12.0));
    f.inputs.push_back({"coefficients", ParameterSpec::Kind::Choice, "", "coefficient set", {}, {"EU-2021"}, 0.0, 0.0,
                        coefficient_set_names()});
    f.results = {"lw_per_m_db", "lw_per_m_dba"};
    f.evaluate = [](const Parameters& p) {
        FormulaResult r;
        const auto& set = coefficient_set(p.choice("coefficients"));
        if (set.draft) r.warnings.push_back("coefficient set " + set.name + " is a DRAFT, not checked against the Dutch legal text");
        TrafficFlow flow;
        bool valid = true, any = false;
        const auto& cats = vehicle_categories();
        for (std::size_t m = 0; m < kCategoryCount; ++m) {
            flow.q_veh_per_h[m] = p.number("q_" + cats[m] + "_veh_per_h");
            flow.v_kmh[m] = p.number("v_" + cats[m] + "_kmh");
            if (flow.q_veh_per_h[m] > 0.0) {
                any = true;
                if (flow.v_kmh[m] < 20.0 || flow.v_kmh[m] > 130.0) {
                    valid = false;
                    r.warnings.push_back(fmt::format("v_{}_kmh = {} lies outside the validity of the emission model, 20-130 km/h",
                                                     cats[m], flow.v_kmh[m]));
                }
            }
        }
        EmissionConditions cond;
        cond.surface = p.choice("surface");
        cond.temperature_c = p.number("temperature_c");
        cond.gradient_pct = p.number("gradient_pct");
        const double jt = p.number("junction_type");
        if (jt != 0.0 && jt != 1.0 && jt != 2.0) {
            valid = false;
            r.warnings.push_back("junction_type must be 0, 1 or 2");
        }
        cond.junction_type = static_cast<int>(jt);
        cond.junction_distance_m = p.number("junction_distance_m");
        cond.studded_share = p.number("studded_share");
        cond.studded_months = p.number("studded_months");
        const auto& surface = road_surface(cond.surface);
        for (std::size_t m = 0; m < 3; ++m) {
            if (flow.q_veh_per_h[m] > 0.0 && (flow.v_kmh[m] < surface.v_min_kmh || flow.v_kmh[m] > surface.v_max_kmh)) {
                r.warnings.push_back(fmt::format("v_{}_kmh = {} outside the range of surface {} ({}-{} km/h): the surface "
                                                 "term uses the nearest limit", cats[m], flow.v_kmh[m], surface.id,
                                                 surface.v_min_kmh, surface.v_max_kmh));
            }
        }
        if (!any) {
            r.warnings.push_back("no traffic: every flow is 0");
            valid = false;
        }
        if (!valid) {
            r.values["lw_per_m_dba"] = std::nullopt;
            r.arrays["lw_per_m_db"] = {};
            return r;
        }
        const auto lw = line_sound_power_per_m_db(set, flow, cond);
        r.arrays["lw_per_m_db"] = {lw.begin(), lw.end()};
        r.values["lw_per_m_dba"] = a_weighted_total_db(lw);
        return r;
    };
    return f;
}

// Two flat-ground points with a uniform G and an optional thin barrier, as in ISO/TR 17534-4 TC01-TC03
// (and TC07 with uniform G).
Formula path_formula() {
    Formula f;
    f.name = "cnossos_path";
    f.summary = "CNOSSOS-EU attenuation of one point-to-point path over flat ground with uniform G and an optional "
                "thin barrier; levels for a source of lw_db in every band";
    f.inputs = {
        number_parameter("source_x_m", "m", "source x", 10.0, -1e7, 1e7),
        number_parameter("source_y_m", "m", "source y", 10.0, -1e7, 1e7),
        number_parameter("source_height_m", "m", "source height above ground", 1.0, 0.0, 100.0),
        number_parameter("receiver_x_m", "m", "receiver x", 200.0, -1e7, 1e7),
        number_parameter("receiver_y_m", "m", "receiver y", 50.0, -1e7, 1e7),
        number_parameter("receiver_height_m", "m", "receiver height above ground", 4.0, 0.0, 100.0),
        number_parameter("ground_g", "", "ground factor G along the path", 0.0, 0.0, 1.0),
        number_parameter("barrier_x0_m", "m", "barrier start x", 0.0, -1e7, 1e7),
        number_parameter("barrier_y0_m", "m", "barrier start y", 0.0, -1e7, 1e7),
        number_parameter("barrier_x1_m", "m", "barrier end x", 0.0, -1e7, 1e7),
        number_parameter("barrier_y1_m", "m", "barrier end y", 0.0, -1e7, 1e7),
        number_parameter("barrier_height_m", "m", "barrier height above ground (0 = no barrier)", 0.0, 0.0, 100.0),
        number_parameter("temperature_c", "degC", "air temperature", 10.0, -30.0, 45.0),
        number_parameter("humidity_pct", "%", "relative humidity", 70.0, 5.0, 100.0),
        number_parameter("favourable_probability", "", "probability of favourable conditions", 0.5, 0.0, 1.0),
        number_parameter("lw_db", "dB", "source sound power in every band", 93.0, -100.0, 200.0),
    };
    f.results = {"l_h_db", "l_f_db", "l_db", "l_dba", "a_div_db", "distance_m"};
    f.evaluate = [](const Parameters& p) {
        FormulaResult r;
        const double xs = p.number("source_x_m"), ys = p.number("source_y_m");
        const double xr = p.number("receiver_x_m"), yr = p.number("receiver_y_m");
        const double length = std::hypot(xr - xs, yr - ys);
        if (!(length > 0.0)) {
            r.warnings.push_back("source and receiver coincide");
            for (const auto& k : {"l_dba", "a_div_db", "distance_m"}) r.values[k] = std::nullopt;
            for (const auto& k : {"l_h_db", "l_f_db", "l_db"}) r.arrays[k] = {};
            return r;
        }
        PathProfile profile;
        profile.length_m = length;
        profile.source_z_m = p.number("source_height_m");
        profile.receiver_z_m = p.number("receiver_height_m");
        profile.source_g = p.number("ground_g");
        profile.terrain = {{0.0, 0.0}, {length, 0.0}};
        profile.ground = {{0.0, length, p.number("ground_g")}};
        if (p.number("barrier_height_m") > 0.0) {
            // Intersection of S->R with the barrier line in plan.
            const double bx0 = p.number("barrier_x0_m"), by0 = p.number("barrier_y0_m");
            const double bx1 = p.number("barrier_x1_m"), by1 = p.number("barrier_y1_m");
            const double rx = xr - xs, ry = yr - ys, sx = bx1 - bx0, sy = by1 - by0;
            const double den = rx * sy - ry * sx;
            if (den != 0.0) {
                const double t = ((bx0 - xs) * sy - (by0 - ys) * sx) / den;
                const double u = ((bx0 - xs) * ry - (by0 - ys) * rx) / den;
                if (t > 0.0 && t < 1.0 && u >= 0.0 && u <= 1.0) profile.tops.push_back({t * length, p.number("barrier_height_m")});
            }
            if (profile.tops.empty()) r.warnings.push_back("the barrier does not cross the path");
        }
        Atmosphere air{p.number("temperature_c"), p.number("humidity_pct"), 101.325};
        const auto terms = cnossos_path(profile, atmospheric_absorption_db_per_km(air), p.number("favourable_probability"));
        const double lw = p.number("lw_db");
        std::vector<double> lh, lf, l;
        Bands l_bands{};
        for (std::size_t i = 0; i < kBandCount; ++i) {
            lh.push_back(lw - terms.homogeneous.attenuation_db[i]);
            lf.push_back(lw - terms.favourable.attenuation_db[i]);
            l_bands[i] = lw - terms.attenuation_db[i];
            l.push_back(l_bands[i]);
        }
        r.arrays["l_h_db"] = lh;
        r.arrays["l_f_db"] = lf;
        r.arrays["l_db"] = l;
        r.arrays["a_atm_db"] = {terms.a_atm_db.begin(), terms.a_atm_db.end()};
        r.arrays["a_boundary_h_db"] = {terms.homogeneous.a_boundary.begin(), terms.homogeneous.a_boundary.end()};
        r.arrays["a_boundary_f_db"] = {terms.favourable.a_boundary.begin(), terms.favourable.a_boundary.end()};
        r.values["l_dba"] = a_weighted_total_db(l_bands);
        r.values["a_div_db"] = terms.a_div_db;
        r.values["distance_m"] = terms.distance_m;
        r.texts["condition_h"] = terms.homogeneous.diffracted ? "diffracted" : "ground";
        r.texts["condition_f"] = terms.favourable.diffracted ? "diffracted" : "ground";
        if (profile.source_z_m + profile.receiver_z_m <= 0.0) r.warnings.push_back("source and receiver on the ground");
        return r;
    };
    return f;
}

}  // namespace

const IndicatorDescriptor& NoiseCnossos::descriptor() const { return noise_descriptor(); }

std::unique_ptr<IndicatorModel> NoiseCnossos::build(const Parameters& params) const {
    return std::make_unique<NoiseModel>(params);
}

std::vector<Formula> NoiseCnossos::formulas() const { return {road_emission_formula(), path_formula()}; }

NoiseLevels noise_levels_reference(const IndicatorModel& model, const LayerStack& stack, double x, double y) {
    const auto* m = dynamic_cast<const NoiseModel*>(&model);
    if (!m) throw InternalError("noise_levels_reference needs a noise.cnossos model");
    return m->reference(stack, x, y);
}

std::size_t noise_reused_cells(const IndicatorModel& model) {
    const auto* m = dynamic_cast<const NoiseModel*>(&model);
    if (!m) throw InternalError("noise_reused_cells needs a noise.cnossos model");
    return m->reused_cells_.load();
}

std::size_t noise_lent_cells(const IndicatorModel& model) {
    const auto* m = dynamic_cast<const NoiseModel*>(&model);
    if (!m) throw InternalError("noise_lent_cells needs a noise.cnossos model");
    return m->lent_cells_.load();
}

std::vector<PointLevels> noise_point_levels(const IndicatorModel& model, const LayerStack& stack,
                                            const std::vector<Point2>& points, const std::vector<double>& heights_m) {
    const auto* m = dynamic_cast<const NoiseModel*>(&model);
    if (!m) throw InternalError("noise_point_levels needs a noise.cnossos model");
    if (heights_m.size() != points.size()) throw InternalError("noise_point_levels: one height per point");
    return m->points(stack, points, heights_m);
}

}  // namespace areatwin::indicators::noise
