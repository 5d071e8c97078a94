// SPDX-License-Identifier: GPL-3.0-or-later
//
// noise.cnossos: CNOSSOS-EU road traffic noise (Directive 2015/996 Annex II as amended by 2021/1226) on
// grid receivers. Method notes: ../shared/reference/noise-method.md; model card: indicators/noise/README.md.
#include "noise/noise_cnossos.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/roles.hpp"
#include "noise/cnossos_emission.hpp"
#include "noise/cnossos_path.hpp"

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
        "0.1.0",
        "Road traffic noise Lden and Lnight in dB(A) on grid receivers (CNOSSOS-EU)",
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
        "points at 0.05 m above the road, one per road piece; pieces are halved until shorter than source_spacing_ratio times their distance to the receiver (at least min_source_spacing_m), G_s = source_ground_g. No reflections, no lateral "
        "(vertical-edge) diffraction, one probability of favourable conditions for every direction and period. "
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
            {"favourable_probability", ParameterSpec::Kind::Number, "",
             "probability p of favourable propagation conditions, every direction and period (default 0.5)", {0.5}, {},
             0.0, 1.0, {}},
            {"temperature_c", ParameterSpec::Kind::Number, "degC",
             "air temperature for absorption and the rolling-noise correction (default 10, Dutch annual mean)", {10.0},
             {}, -30.0, 45.0, {}},
            {"humidity_pct", ParameterSpec::Kind::Number, "%", "relative humidity for absorption (default 70)", {70.0}, {},
             5.0, 100.0, {}},
            {"pressure_kpa", ParameterSpec::Kind::Number, "kPa", "air pressure for absorption (default 101.325)",
             {101.325}, {}, 80.0, 110.0, {}},
            {"coefficients", ParameterSpec::Kind::Choice, "",
             "road emission coefficient set: EU-2021 (default) or NL-draft (DRAFT, unverified Dutch set)", {},
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
        },
    };
    return descriptor;
}

// A straight piece of a road line with its emission per metre; receivers split it into point sources.
struct RoadLine {
    Point2 a, b;
    std::int64_t feature_id = 0;
    std::array<Bands, kPeriods> power_db_per_m{};  // L'W per period and band, dB re 1 pW/m
    std::array<Bands, kPeriods> power_per_m{};     // the same as energy 10^(L'W/10)
};

struct SourcePoint {
    double x = 0.0;
    double y = 0.0;
    double length_m = 0.0;
    const RoadLine* line = nullptr;
};

struct Settings {
    double receiver_height_m;
    double max_distance_m;
    double min_spacing_m;
    double spacing_ratio;
    bool ground_from_layer;
    double ground_g;
    double source_g;
    double p_favourable;
    Atmosphere air;
    std::string coefficients;
    std::string default_surface;
    double default_speed_kmh;
    std::array<double, kPeriods> hours;
    bool all_periods;
};

// Rasters read along the paths; absent layers mean flat ground at 0 m, no buildings, G = ground_g.
struct GridLayers {
    const GridSpec* grid = nullptr;
    const Raster* dem = nullptr;
    const Raster* building_height = nullptr;
    const Raster* ground_g = nullptr;
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

// The road attribute q_<cat>_<period>_veh_per_h etc. of roles.hpp.
std::vector<RoadLine> road_lines(const FeatureSet& roads, const Settings& s) {
    const auto& set = coefficient_set(s.coefficients);
    const auto& cats = vehicle_categories();
    const auto& periods = traffic_periods();
    std::vector<RoadLine> out;
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
            for (std::size_t k = 0; k + 1 < line.size(); ++k) {
                RoadLine rl;
                rl.a = line[k];
                rl.b = line[k + 1];
                if (!(std::hypot(rl.b.x - rl.a.x, rl.b.y - rl.a.y) > 0.0)) continue;
                rl.feature_id = f.id;
                for (std::size_t p = 0; p < kPeriods; ++p) {
                    for (std::size_t i = 0; i < kBandCount; ++i) {
                        rl.power_db_per_m[p][i] = line_db[p][i];
                        rl.power_per_m[p][i] = std::isfinite(line_db[p][i]) ? std::pow(10.0, line_db[p][i] / 10.0) : 0.0;
                    }
                }
                out.push_back(rl);
            }
        }
    }
    return out;
}

// The vertical cut from S to R through the grid cells (exact cell traversal): terrain at the middle of
// each crossed cell, G per crossed cell (0 on buildings), roof corners of crossed building cells.
PathProfile cut_profile(const GridLayers& layers, double xs, double ys, double xr, double yr, double receiver_height_m,
                        double source_g) {
    const GridSpec& grid = *layers.grid;
    PathProfile profile;
    const double dx = xr - xs, dy = yr - ys;
    const double length = std::hypot(dx, dy);
    profile.length_m = length;
    profile.source_g = source_g;

    struct Crossing {
        std::int64_t col, row;
        double t0, t1;
    };
    std::vector<Crossing> cells;
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

    // Terrain: NaN cells (and cells outside the grid) take the last valid value, starting from the receiver's.
    const double z_receiver_ground = layers.dem ? layers.terrain(col_end, row_end) : 0.0;
    double z_last = std::isnan(z_receiver_ground) ? 0.0 : z_receiver_ground;
    {
        const double z0 = layers.dem ? layers.terrain(cells.front().col, cells.front().row) : 0.0;
        if (!std::isnan(z0)) z_last = z0;
    }
    const double z_source_ground = z_last;
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
        const double g = h > 0.0 ? 0.0 : layers.g(c.col, c.row);
        if (!profile.ground.empty() && profile.ground.back().g == g && profile.ground.back().x1_m == x0) {
            profile.ground.back().x1_m = x1;
        } else {
            profile.ground.push_back({x0, x1, g});
        }
        if (obstacle) {
            profile.tops.push_back({x0, z + h});
            profile.tops.push_back({x1, z + h});
        }
    }
    const double z_r_ground = std::isnan(z_receiver_ground) ? z_last : z_receiver_ground;
    profile.terrain.push_back({length, z_r_ground});
    profile.source_z_m = z_source_ground + kRoadSourceHeightM;
    profile.receiver_z_m = z_r_ground + receiver_height_m;
    return profile;
}

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
        s_.p_favourable = p.number("favourable_probability");
        s_.air = {p.number("temperature_c"), p.number("humidity_pct"), p.number("pressure_kpa")};
        s_.coefficients = p.choice("coefficients");
        s_.default_surface = p.choice("default_surface");
        s_.default_speed_kmh = p.number("default_speed_kmh");
        s_.hours = {p.number("day_hours"), p.number("evening_hours"), p.number("night_hours")};
        s_.all_periods = p.choice("all_periods") == "yes";
        if (std::abs(s_.hours[0] + s_.hours[1] + s_.hours[2] - 24.0) > 1e-9) {
            throw ConfigError(fmt::format("noise.cnossos: day_hours + evening_hours + night_hours must be 24, not {}",
                                          s_.hours[0] + s_.hours[1] + s_.hours[2]));
        }
        alpha_ = atmospheric_absorption_db_per_km(s_.air);
    }

    [[nodiscard]] std::vector<std::string> inputs() const override {
        // The buildings role comes before its derived height layer: diffraction over roofs reads the layer,
        // and a batch without buildings would silently compute a free-field map.
        std::vector<std::string> in{"roads", "buildings", std::string(layer::building_height), std::string(layer::dem)};
        if (s_.ground_from_layer) in.emplace_back("ground_g");
        return in;
    }
    [[nodiscard]] double halo_m() const override { return s_.max_distance_m; }
    [[nodiscard]] double working_bytes_per_cell() const override { return 64.0; }

    [[nodiscard]] std::vector<OutputSpec> outputs() const override {
        std::vector<OutputSpec> out{
            {"noise_lden", "dB(A)", "road traffic Lden (CNOSSOS-EU), receivers at grid height", {55, 60, 65, 70, 75},
             "noise", 40.0, 80.0},
            {"noise_lnight", "dB(A)", "road traffic Lnight (CNOSSOS-EU), receivers at grid height", {50, 55, 60, 65, 70},
             "noise", 30.0, 70.0},
        };
        if (s_.all_periods) {
            out.push_back({"noise_lday", "dB(A)", "road traffic Lday (CNOSSOS-EU)", {55, 60, 65, 70, 75}, "noise", 40.0, 80.0});
            out.push_back({"noise_levening", "dB(A)", "road traffic Levening (CNOSSOS-EU)", {50, 55, 60, 65, 70}, "noise",
                           35.0, 75.0});
        }
        return out;
    }

    void compute(const TileContext& ctx, TileOutputs& out) const override {
        const auto sources = sources_of(ctx.inputs);
        const GridLayers layers = layers_of(ctx.inputs);
        const GridSpec& grid = ctx.grid;
        const Window& core = ctx.tile.core;
        // Sources within reach of the tile, kept in source order so every cell sums in the same order
        // whichever tile computes it.
        const double x_min = grid.origin_x + static_cast<double>(core.col0) * grid.cell_size_m - s_.max_distance_m;
        const double x_max = grid.origin_x + static_cast<double>(core.col_end()) * grid.cell_size_m + s_.max_distance_m;
        const double y_max = grid.origin_y - static_cast<double>(core.row0) * grid.cell_size_m + s_.max_distance_m;
        const double y_min = grid.origin_y - static_cast<double>(core.row_end()) * grid.cell_size_m - s_.max_distance_m;
        std::vector<const RoadLine*> near;
        for (const auto& rl : sources) {
            if (std::max(rl.a.x, rl.b.x) >= x_min && std::min(rl.a.x, rl.b.x) <= x_max && std::max(rl.a.y, rl.b.y) >= y_min &&
                std::min(rl.a.y, rl.b.y) <= y_max) {
                near.push_back(&rl);
            }
        }
        for (std::int64_t row = core.row0; row < core.row_end(); ++row) {
            for (std::int64_t col = core.col0; col < core.col_end(); ++col) {
                const auto levels = receiver_levels(layers, near, col, row, nullptr);
                write(out, col, row, levels);
            }
        }
    }

    [[nodiscard]] Explanation explain(const LayerStack& stack, double x, double y) const override {
        const auto& grid = stack.grid();
        const auto col = grid.col_of(x), row = grid.row_of(y);
        if (!grid.contains_cell(col, row)) {
            throw ConfigError(fmt::format("noise.cnossos: point {}, {} lies outside the grid", x, y));
        }
        const auto sources = sources_of(stack);
        std::vector<const RoadLine*> all;
        for (const auto& rl : sources) all.push_back(&rl);
        std::vector<Contribution> contributions;
        const auto levels = receiver_levels(layers_of(stack), all, col, row, &contributions);
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
            e.terms.push_back(
                {fmt::format("source_{}", k + 1), c.lden_dba, "dB(A)",
                 fmt::format("Lden share of road feature {} point at ({:.1f}, {:.1f}) for {:.1f} m of road; bands 63-8000 Hz: "
                             "L'W day {} dB/m; "
                             "d = {:.1f} m; A_div = {:.2f} dB; A_atm {} dB; A_boundary,H {} dB ({}); A_boundary,F {} dB "
                             "({}); A (p = {}) {} dB",
                             c.source.line->feature_id, c.source.x, c.source.y, c.source.length_m,
                             bands(c.source.line->power_db_per_m[0]), t.distance_m,
                             t.a_div_db, bands(t.a_atm_db), bands(t.homogeneous.a_boundary),
                             t.homogeneous.diffracted ? fmt::format("diffraction, {} edges", t.edge_count_h) : "ground",
                             bands(t.favourable.a_boundary),
                             t.favourable.diffracted ? fmt::format("diffraction, {} edges", t.edge_count_f) : "ground",
                             s_.p_favourable, bands(t.attenuation_db))});
        }
        e.notes.push_back("computed with the plain reference: every source point of every road, no preselection");
        return e;
    }

    NoiseLevels reference(const LayerStack& stack, double x, double y) const {
        const auto& grid = stack.grid();
        const auto sources = sources_of(stack);
        std::vector<const RoadLine*> all;
        for (const auto& rl : sources) all.push_back(&rl);
        return receiver_levels(layers_of(stack), all, grid.col_of(x), grid.row_of(y), nullptr);
    }

private:
    struct Contribution {
        SourcePoint source;
        PathTerms terms;
        double lden_dba;
    };

    [[nodiscard]] std::vector<RoadLine> sources_of(const LayerStack& stack) const {
        if (!stack.has_features("roads")) return {};
        return road_lines(stack.features("roads"), s_);
    }

    [[nodiscard]] GridLayers layers_of(const LayerStack& stack) const {
        GridLayers l;
        l.grid = &stack.grid();
        const std::string dem(layer::dem), bh(layer::building_height);
        if (stack.has_raster(dem)) l.dem = &stack.raster(dem);
        if (stack.has_raster(bh)) l.building_height = &stack.raster(bh);
        if (s_.ground_from_layer) {
            if (!stack.has_raster("ground_g")) {
                throw DataError("noise.cnossos: ground_g_source is 'layer' but the batch has no 'ground_g' raster");
            }
            l.ground_g = &stack.raster("ground_g");
        }
        l.default_g = s_.ground_g;
        return l;
    }

    // One receiver from the given sources, in their order (the energetic sums are in source order).
    NoiseLevels receiver_levels(const GridLayers& layers, const std::vector<const RoadLine*>& sources, std::int64_t col,
                                std::int64_t row, std::vector<Contribution>* contributions) const {
        NoiseLevels nodata{kNaN, kNaN, kNaN, kNaN};
        const GridSpec& grid = *layers.grid;
        if (layers.dem && std::isnan(layers.dem->at(col, row))) return nodata;
        if (layers.building_height) {
            const float h = layers.building_height->at(col, row);
            if (std::isnan(h) || h > 0.0f) return nodata;
        }
        if (layers.ground_g && std::isnan(layers.ground_g->at(col, row))) return nodata;
        const double xr = grid.cell_center_x(col), yr = grid.cell_center_y(row);
        const double max_d2 = s_.max_distance_m * s_.max_distance_m;
        std::array<Bands, kPeriods> energy{};
        bool any = false;
        std::vector<SourcePoint> points;
        for (const RoadLine* rl : sources) {
            points.clear();
            split_line(*rl, xr, yr, points);
            for (const SourcePoint& sp : points) {
                const double d2 = (sp.x - xr) * (sp.x - xr) + (sp.y - yr) * (sp.y - yr);
                if (d2 > max_d2) continue;
                any = true;
                const PathProfile profile = cut_profile(layers, sp.x, sp.y, xr, yr, s_.receiver_height_m, s_.source_g);
                const PathTerms terms = cnossos_path(profile, alpha_, s_.p_favourable);
                std::array<double, kPeriods> a_energy{};
                for (std::size_t i = 0; i < kBandCount; ++i) {
                    const double transfer = sp.length_m * std::pow(10.0, -terms.attenuation_db[i] / 10.0);
                    for (std::size_t p = 0; p < kPeriods; ++p) {
                        const double e = rl->power_per_m[p][i] * transfer;
                        energy[p][i] += e;
                        a_energy[p] += e * kAWeightEnergy[i];
                    }
                }
                if (contributions) contributions->push_back({sp, terms, energy_to_db(den_energy(a_energy))});
            }
        }
        if (!any) return nodata;
        std::array<double, kPeriods> a_energy{};
        for (std::size_t p = 0; p < kPeriods; ++p) {
            for (std::size_t i = 0; i < kBandCount; ++i) a_energy[p] += energy[p][i] * kAWeightEnergy[i];
        }
        return {energy_to_db(a_energy[0]), energy_to_db(a_energy[1]), energy_to_db(a_energy[2]),
                energy_to_db(den_energy(a_energy))};
    }

    // Point sources of one road piece for a receiver at (xr, yr): the piece is halved until each part is
    // shorter than spacing_ratio times its distance to the receiver (at least min_spacing_m), in line order.
    void split_line(const RoadLine& rl, double xr, double yr, std::vector<SourcePoint>& points) const {
        struct Part {
            Point2 a, b;
        };
        std::vector<Part> stack{{rl.a, rl.b}};
        while (!stack.empty()) {
            const Part part = stack.back();
            stack.pop_back();
            const double len = std::hypot(part.b.x - part.a.x, part.b.y - part.a.y);
            const Point2 mid{0.5 * (part.a.x + part.b.x), 0.5 * (part.a.y + part.b.y)};
            const double d = std::hypot(mid.x - xr, mid.y - yr);
            // A part wholly beyond reach is dropped without splitting it further.
            if (d - 0.5 * len > s_.max_distance_m) continue;
            if (len <= std::max(s_.min_spacing_m, s_.spacing_ratio * d)) {
                points.push_back({mid.x, mid.y, len, &rl});
                continue;
            }
            stack.push_back({mid, part.b});  // second half below the first: popped after it
            stack.push_back({part.a, mid});
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

}  // namespace areatwin::indicators::noise
