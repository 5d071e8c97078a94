// SPDX-License-Identifier: GPL-3.0-or-later
//
// air.traffic: annual-mean NO2, PM10 and PM2.5 from road traffic on a background. Method:
// ../shared/reference/air-method.md (section numbers below); model card: indicators/air/README.md.
#include "air/air_traffic.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <set>

#include <fmt/format.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/roles.hpp"

namespace areatwin::indicators::air {

namespace {

const std::array<const char*, kPollutantCount> kPollutantKey{"nox", "pm10", "pm25"};
const std::array<const char*, 4> kCategoryKey{"cat1", "cat2", "cat3", "cat4"};

// Thresholds for the per-area "residents above" statistics: EU limit values, the 2030 EU values and the
// WHO 2021 guidelines (issue 4; annual means, ug/m3).
const std::vector<double> kNo2Thresholds{40.0, 20.0, 10.0};
const std::vector<double> kPm10Thresholds{40.0, 20.0, 15.0};
const std::vector<double> kPm25Thresholds{25.0, 10.0, 5.0};

std::vector<ParameterSpec> make_parameters() {
    using K = ParameterSpec::Kind;
    std::vector<ParameterSpec> p{
        {"pollutants", K::ChoiceList, "",
         "pollutants to map (default no2, pm10; pm25 needs PM2.5 emission factors, which the method notes lack)",
         {}, {"no2", "pm10"}, 0.0, 0.0, {"no2", "pm10", "pm25"}},
        {"meteorology", K::Choice, "",
         "'single' condition from the wind_* parameters (default), or 'table': joint-frequency rows or hourly "
         "records from the 'meteo' input (no default climatology is shipped: no named source was available)",
         {}, {"single"}, 0.0, 0.0, {"single", "table"}},
        {"wind_direction_deg", K::Number, "deg",
         "single condition: direction the wind comes from, clockwise from grid north (default 270, a study value)",
         {270.0}, {}, 0.0, 360.0, {}},
        {"wind_speed_m_s", K::Number, "m/s",
         "single condition: wind speed at 10 m (default 5; at least 1 m/s, the CALINE3 validity, section 7.5)",
         {5.0}, {}, 1.0, 30.0, {}},
        {"stability_class", K::Choice, "", "single condition: Pasquill stability class (default D, neutral)", {},
         {"D"}, 0.0, 0.0, {"A", "B", "C", "D", "E", "F"}},
        {"sigma_scheme", K::Choice, "",
         "dispersion parameters of the Gaussian line source (section 7): briggs_rural (default, open roads), "
         "briggs_urban, pasquill_gifford",
         {}, {"briggs_rural"}, 0.0, 0.0, {"briggs_rural", "briggs_urban", "pasquill_gifford"}},
        {"receptor_height_m", K::Number, "m", "receptor height above ground (default 1.5, Rbl 2007 Bijlage 4)", {1.5},
         {}, 0.0, 50.0, {}},
        {"source_height_m", K::Number, "m", "release height of road traffic (default 0, near-surface source)", {0.0},
         {}, 0.0, 20.0, {}},
        {"sigma_z0_m", K::Number, "m",
         "initial vertical spread by traffic, added in quadrature (default 1.8, CALINE3 mixing-zone sigma_z for a "
         "short residence time, section 7.5)",
         {1.8}, {}, 0.0, 10.0, {}},
        {"sigma_y0_m", K::Number, "m", "initial lateral spread, added in quadrature (default 0)", {0.0}, {}, 0.0, 50.0,
         {}},
        {"cutoff_m", K::Number, "m",
         "Gaussian road parts farther than this from a receptor are left out (default 2000: on a dense street "
         "network 500 m misses about a quarter of the increment; also the tile halo)",
         {2000.0},
         {}, 60.0, 5000.0, {}},
        {"integration_step_deg", K::Number, "deg",
         "angular step of the integration along a segment, as seen from the receptor (default 1)", {1.0}, {}, 0.05,
         10.0, {}},
        {"default_dispersion", K::Choice, "",
         "roads without street_type: 'gaussian' line source (default) or 'srm1' with street type 4", {},
         {"gaussian"}, 0.0, 0.0, {"gaussian", "srm1"}},
        {"canyon_street_type", K::Number, "",
         "SRM1 street type for street_type 'canyon' (default 1, wide street canyon; section 2.3)", {1.0}, {}, 1.0, 4.0,
         {}},
        {"srm1_tree_factor", K::Number, "", "SRM1 tree factor Fb: 1, 1.25 or 1.5 (default 1, section 2.4)", {1.0}, {},
         1.0, 1.5, {}},
        {"srm1_min_distance_m", K::Number, "m",
         "SRM1 distances to the road axis below this are raised to it (default 3.5, section 2.3, not verified)", {3.5},
         {}, 0.0, 30.0, {}},
        {"regional_wind_speed_m_s", K::Number, "m/s",
         "regional mean wind speed of the SRM1 factor Fregio = 5/u (default 5, i.e. Fregio = 1; section 2.2)", {5.0},
         {}, 1.0, 20.0, {}},
        {"emission_factors", K::Choice, "",
         "emission-factor table (section 9.1; default mobiliteitsscan_2021_urban_normal); ef_* parameters "
         "override single values",
         {}, {"mobiliteitsscan_2021_urban_normal"}, 0.0, 0.0, emission_factor_table_names()},
        {"direct_no2_fraction", K::Number, "",
         "direct NO2 share of the NOx emission (default 0.05, Rbl 2007 Bijlage 4; section 3.3)", {0.05}, {}, 0.0, 1.0,
         {}},
        {"background_o3_ug_m3", K::Number, "ug/m3",
         "background ozone for the NO2 conversion (default 0 = none given: only the direct NO2 share counts)", {0.0},
         {}, 0.0, 500.0, {}},
        {"building_mask_fraction", K::Number, "",
         "cells with at least this building fraction get no value (no outdoor receptor); 1 keeps only "
         "completely covered cells out (default 0.99)",
         {0.99}, {}, 0.01, 1.0, {}},
    };
    for (const char* pol : {"no2", "pm10", "pm25"}) {
        p.push_back({fmt::format("background_{}_ug_m3", pol), K::Number, "ug/m3",
                     fmt::format("background {} annual mean, e.g. the GCN value (default 0 = none given: totals equal "
                                 "the traffic increment)",
                                 pol),
                     {0.0}, {}, 0.0, 500.0, {}});
        p.push_back({fmt::format("double_counting_{}_ug_m3", pol), K::Number, "ug/m3",
                     fmt::format("double-counting correction subtracted from the {} background (default 0; section 4)",
                                 pol),
                     {0.0}, {}, 0.0, 100.0, {}});
    }
    for (std::size_t k = 0; k < kPollutantCount; ++k) {
        for (const char* cat : kCategoryKey) {
            p.push_back({fmt::format("ef_{}_{}_g_per_km", kPollutantKey[k], cat), K::Number, "g/km",
                         fmt::format("{} emission factor per vehicle of {} (default -1 = from emission_factors)",
                                     kPollutantKey[k], cat),
                         {-1.0}, {}, -1.0, 1000.0, {}});
        }
    }
    return p;
}

const IndicatorDescriptor& air_traffic_descriptor() {
    static const IndicatorDescriptor descriptor{
        "air.traffic",
        "0.1.0",
        "Annual-mean NO2, PM10 and PM2.5 (ug/m3) from road traffic on a background, with the traffic increments",
        "Dutch standard practice as in air-method.md: C = background - double-counting correction + increments "
        "(section 1); SRM1 for urban streets (sections 2.1-2.3: C = 0.62 E theta(x) Fb Fregio, street types 1-4); a "
        "Gaussian line source integrated numerically along each segment (R-LINE style, section 6.2) with Briggs "
        "open-country/urban or Pasquill-Gifford sigmas (section 7) as the stand-in for SRM2 (section 5); annual "
        "mean as the frequency-weighted sum over meteorological conditions; NO2 from NOx by the ozone-limited "
        "conversion with B = 0.6, K = 100 ug/m3 (section 3.1)",
        "Annual means only. SRM1 within 30 m (street types 2, 3) or 60 m (types 1, 4) of the road axis, flat "
        "terrain, no screens; the Gaussian model for open roads in flat terrain with wind speeds of at least "
        "1 m/s; receptors closer than 1 m to a road axis are moved out to 1 m. Not an approved equivalent "
        "method under Rbl 2007 art. 72 (not tested against the reference values).",
        "Emission per road = annual-average hourly flow per vehicle category x emission factor; two-wheelers "
        "(cat4a, cat4b) take the light-vehicle factor of the named tables; the truck factors of the Mobiliteitsscan "
        "table apply to cat2 and cat3. Each receptor takes the nearest SRM1 street within its reach (one street per "
        "receptor, section 2.5) plus every Gaussian road within cutoff_m; SRM1 streets do not add a Gaussian "
        "contribution. No meander term: a receptor upwind of every road gets no increment. Directions are resolved "
        "to 0.5 degrees; a sector of a frequency table is spread evenly over its width.",
        make_parameters(),
    };
    return descriptor;
}

// How a road disperses: 0 = Gaussian line source, 1-4 = SRM1 street type.
int dispersion_of(const Feature& road, int default_type, int canyon_type) {
    const auto t = road.text("street_type");
    if (!t || t->empty()) return default_type;
    const std::string& s = *t;
    if (s == "open" || s == "gaussian") return 0;
    if (s == "canyon") return canyon_type;
    if (s == "1" || s == "wide_canyon") return 1;
    if (s == "2" || s == "narrow_canyon") return 2;
    if (s == "3" || s == "one_sided") return 3;
    if (s == "4" || s == "urban_other") return 4;
    throw DataError(fmt::format("air.traffic: road feature {} ({}): street_type '{}' is not one of open, canyon, "
                                "wide_canyon, narrow_canyon, one_sided, urban_other, 1-4",
                                road.id, road.source, s));
}

struct Road {
    std::size_t feature = 0;
    int dispersion = 0;                               // 0 Gaussian, 1-4 SRM1 type
    std::array<double, kPollutantCount> q_g_per_m_s{};  // line emission
};

struct Segment {
    Point2 a;
    Point2 b;
    std::uint32_t road = 0;
};

// Segments in a uniform bucket grid over their bounding boxes; each bucket lists segment ids in
// ascending order (they are appended in id order).
struct SegmentIndex {
    double x0 = 0.0, y0 = 0.0, cell = 100.0;
    std::int64_t nx = 0, ny = 0;
    std::vector<std::vector<std::uint32_t>> buckets;

    void build(const std::vector<Segment>& segs, double cell_m) {
        cell = cell_m;
        if (segs.empty()) return;
        double x1 = -std::numeric_limits<double>::infinity(), y1 = x1;
        x0 = std::numeric_limits<double>::infinity();
        y0 = x0;
        for (const auto& s : segs) {
            x0 = std::min({x0, s.a.x, s.b.x});
            y0 = std::min({y0, s.a.y, s.b.y});
            x1 = std::max({x1, s.a.x, s.b.x});
            y1 = std::max({y1, s.a.y, s.b.y});
        }
        nx = static_cast<std::int64_t>((x1 - x0) / cell) + 1;
        ny = static_cast<std::int64_t>((y1 - y0) / cell) + 1;
        buckets.assign(static_cast<std::size_t>(nx * ny), {});
        for (std::size_t i = 0; i < segs.size(); ++i) {
            const auto& s = segs[i];
            const std::int64_t ca = col(s.a.x), cb = col(s.b.x), ra = row(s.a.y), rb = row(s.b.y);
            const std::int64_t c0 = std::min(ca, cb), c1 = std::max(ca, cb);
            const std::int64_t r0 = std::min(ra, rb), r1 = std::max(ra, rb);
            for (auto r = r0; r <= r1; ++r) {
                for (auto c = c0; c <= c1; ++c) buckets[static_cast<std::size_t>(r * nx + c)].push_back(static_cast<std::uint32_t>(i));
            }
        }
    }
    [[nodiscard]] std::int64_t col(double x) const {
        return std::clamp(static_cast<std::int64_t>(std::floor((x - x0) / cell)), std::int64_t{0}, nx - 1);
    }
    [[nodiscard]] std::int64_t row(double y) const {
        return std::clamp(static_cast<std::int64_t>(std::floor((y - y0) / cell)), std::int64_t{0}, ny - 1);
    }
    // Ids of the segments whose bucket overlaps the box, sorted and unique.
    void query(const Box2& box, std::vector<std::uint32_t>& out) const {
        out.clear();
        if (buckets.empty()) return;
        if (box.max_x < x0 || box.max_y < y0 || box.min_x > x0 + static_cast<double>(nx) * cell ||
            box.min_y > y0 + static_cast<double>(ny) * cell) {
            return;
        }
        for (auto r = row(box.min_y); r <= row(box.max_y); ++r) {
            for (auto c = col(box.min_x); c <= col(box.max_x); ++c) {
                const auto& b = buckets[static_cast<std::size_t>(r * nx + c)];
                out.insert(out.end(), b.begin(), b.end());
            }
        }
        std::sort(out.begin(), out.end());
        out.erase(std::unique(out.begin(), out.end()), out.end());
    }
};

struct Prepared {
    std::vector<Road> roads;
    std::vector<Segment> segments;
    SegmentIndex index;
    std::vector<MetCondition> met;
    std::shared_ptr<const ClimateKernel> kernel;
};

struct Increments {
    std::array<double, kPollutantCount> gaussian_ug_m3{};
    std::array<double, kPollutantCount> srm1_ug_m3{};
    long srm1_road = -1;  // index into Prepared::roads
    double srm1_distance_m = 0.0;
    double srm1_theta = 0.0;
    [[nodiscard]] double total(std::size_t k) const { return gaussian_ug_m3[k] + srm1_ug_m3[k]; }
};

class AirTrafficModel final : public IndicatorModel {
public:
    explicit AirTrafficModel(const Parameters& p) {
        const auto& pols = p.choices("pollutants");
        for (std::size_t k = 0; k < 3; ++k) {
            const char* name = k == 0 ? "no2" : (k == 1 ? "pm10" : "pm25");
            mapped_[k] = std::find(pols.begin(), pols.end(), name) != pols.end();
        }
        table_meteo_ = p.choice("meteorology") == "table";
        setup_.scheme = *parse_sigma_scheme(p.choice("sigma_scheme"));
        setup_.receptor_height_m = p.number("receptor_height_m");
        setup_.source_height_m = p.number("source_height_m");
        setup_.sigma_z0_m = p.number("sigma_z0_m");
        setup_.sigma_y0_m = p.number("sigma_y0_m");
        cutoff_m_ = p.number("cutoff_m");
        step_deg_ = p.number("integration_step_deg");
        default_type_ = p.choice("default_dispersion") == "srm1" ? 4 : 0;
        canyon_type_ = static_cast<int>(std::lround(p.number("canyon_street_type")));
        tree_factor_ = p.number("srm1_tree_factor");
        srm1_min_m_ = p.number("srm1_min_distance_m");
        regional_wind_ = p.number("regional_wind_speed_m_s");
        direct_no2_ = p.number("direct_no2_fraction");
        o3_ = p.number("background_o3_ug_m3");
        mask_fraction_ = p.number("building_mask_fraction");
        const char* bg_keys[3] = {"no2", "pm10", "pm25"};
        for (std::size_t k = 0; k < 3; ++k) {
            background_[k] = p.number(fmt::format("background_{}_ug_m3", bg_keys[k]));
            double_counting_[k] = p.number(fmt::format("double_counting_{}_ug_m3", bg_keys[k]));
        }
        factors_ = emission_factor_table(p.choice("emission_factors"));
        for (std::size_t k = 0; k < kPollutantCount; ++k) {
            for (std::size_t c = 0; c < 4; ++c) {
                const double v = p.number(fmt::format("ef_{}_{}_g_per_km", kPollutantKey[k], kCategoryKey[c]));
                if (v >= 0.0) factors_.g_per_km[k][c] = v;
            }
        }
        // A pollutant that is mapped needs every factor; NO2 needs NOx.
        for (std::size_t k = 0; k < kPollutantCount; ++k) {
            if (!mapped_[k]) continue;
            for (std::size_t c = 0; c < 4; ++c) {
                if (factors_.g_per_km[k][c] < 0.0) {
                    throw ConfigError(fmt::format(
                        "air.traffic: the emission-factor table '{}' has no {} factor for {} (air-method.md section "
                        "9.1 lists none); give ef_{}_{}_g_per_km from the yearly IenW tables, or leave {} out of "
                        "'pollutants'",
                        p.choice("emission_factors"), kPollutantKey[k], kCategoryKey[c], kPollutantKey[k],
                        kCategoryKey[c], k == 0 ? "no2" : bg_keys[k]));
                }
            }
        }
        if (!table_meteo_) {
            const auto stab = *parse_stability(p.choice("stability_class"));
            single_met_ = expand_to_direction_bins(
                {{p.number("wind_direction_deg"), 0.0, p.number("wind_speed_m_s"), stab, 1.0}});
            single_kernel_ = std::make_shared<const ClimateKernel>(setup_, single_met_, cutoff_m_);
        }
    }

    [[nodiscard]] std::vector<std::string> inputs() const override {
        std::vector<std::string> in{"roads", std::string(layer::building_fraction)};
        if (table_meteo_) in.emplace_back("meteo");
        return in;
    }

    [[nodiscard]] double halo_m() const override { return cutoff_m_; }

    [[nodiscard]] std::vector<OutputSpec> outputs() const override {
        std::vector<OutputSpec> out;
        if (mapped_[0]) out.push_back({"air_no2", "ug/m3", "annual-mean NO2: background + traffic", kNo2Thresholds, "viridis", 0.0, 60.0});
        if (mapped_[1]) out.push_back({"air_pm10", "ug/m3", "annual-mean PM10: background + traffic", kPm10Thresholds, "viridis", 0.0, 50.0});
        if (mapped_[2]) out.push_back({"air_pm25", "ug/m3", "annual-mean PM2.5: background + traffic", kPm25Thresholds, "viridis", 0.0, 30.0});
        if (mapped_[0]) out.push_back({"air_no2_traffic", "ug/m3", "annual-mean NO2 increment from road traffic", {}, "viridis", 0.0, 30.0});
        if (mapped_[1]) out.push_back({"air_pm10_traffic", "ug/m3", "annual-mean PM10 increment from road traffic", {}, "viridis", 0.0, 5.0});
        if (mapped_[2]) out.push_back({"air_pm25_traffic", "ug/m3", "annual-mean PM2.5 increment from road traffic", {}, "viridis", 0.0, 3.0});
        if (mapped_[0]) out.push_back({"air_nox_traffic", "ug/m3", "annual-mean NOx increment from road traffic (as NO2)", {}, "viridis", 0.0, 60.0});
        return out;
    }

    [[nodiscard]] double working_bytes_per_cell() const override { return 1.0; }

    void compute(const TileContext& ctx, TileOutputs& out) const override {
        const auto prep = prepared(ctx.inputs);
        const Raster& buildings = building_fraction(ctx.inputs);
        const GridSpec& grid = ctx.grid;
        const Window& core = ctx.tile.core;
        constexpr std::int64_t kBlock = 16;
        std::vector<std::uint32_t> candidates;
        for (std::int64_t br = core.row0; br < core.row_end(); br += kBlock) {
            for (std::int64_t bc = core.col0; bc < core.col_end(); bc += kBlock) {
                const auto r1 = std::min(br + kBlock, core.row_end());
                const auto c1 = std::min(bc + kBlock, core.col_end());
                // Candidate segments near the block; each cell then applies the exact cut-off test, so the
                // sum does not depend on how the grid is cut into tiles and blocks.
                const Box2 box{grid.cell_center_x(bc) - cutoff_m_ - 1.0, grid.cell_center_y(r1 - 1) - cutoff_m_ - 1.0,
                               grid.cell_center_x(c1 - 1) + cutoff_m_ + 1.0, grid.cell_center_y(br) + cutoff_m_ + 1.0};
                prep->index.query(box, candidates);
                for (std::int64_t row = br; row < r1; ++row) {
                    for (std::int64_t col = bc; col < c1; ++col) {
                        const float bf = buildings.at(col, row);
                        if (std::isnan(bf) || bf >= mask_fraction_) {
                            for (auto* r : out.rasters) r->at(col, row) = Raster::nodata;
                            continue;
                        }
                        const Point2 p{grid.cell_center_x(col), grid.cell_center_y(row)};
                        const auto inc = increments(*prep, candidates, p, nullptr);
                        write_cell(inc, out, col, row);
                    }
                }
            }
        }
    }

    [[nodiscard]] Explanation explain(const LayerStack& stack, double x, double y) const override {
        const auto& grid = stack.grid();
        const auto col = grid.col_of(x);
        const auto row = grid.row_of(y);
        if (!grid.contains_cell(col, row)) {
            throw ConfigError(fmt::format("air.traffic: point {}, {} lies outside the grid", x, y));
        }
        const auto prep = prepared(stack);
        Explanation e;
        e.indicator = "air.traffic";
        e.x = x;
        e.y = y;
        e.unit = "ug/m3";
        const auto outs = outputs();
        e.output = outs.front().name;
        const Point2 p{grid.cell_center_x(col), grid.cell_center_y(row)};
        e.terms.push_back({"cell", static_cast<double>(col), "", fmt::format("column {}, row {}; receptor at the cell "
                                                                              "centre {:.1f}, {:.1f}, {} m high",
                                                                              col, row, p.x, p.y,
                                                                              setup_.receptor_height_m)});
        const float bf = building_fraction(stack).at(col, row);
        e.terms.push_back({"building_fraction", static_cast<double>(bf), "", fmt::format("cells with at least {} get no value", mask_fraction_)});
        if (std::isnan(bf) || bf >= mask_fraction_) {
            e.notes.push_back("the cell is (almost) entirely inside buildings or has no building data: no receptor");
            return e;
        }
        std::vector<std::uint32_t> all(prep->segments.size());
        for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint32_t>(i);
        std::vector<std::array<double, kPollutantCount>> per_road(prep->roads.size(), {0.0, 0.0, 0.0});
        const auto inc = increments(*prep, all, p, &per_road);

        e.notes.push_back(fmt::format("meteorology: {} condition(s) after spreading over {} degree direction bins",
                                      prep->met.size(), kDirectionBinDeg));
        for (std::size_t k = 0; k < 3; ++k) {
            if (!mapped_[k]) continue;
            const char* name = k == 0 ? "no2" : (k == 1 ? "pm10" : "pm25");
            e.terms.push_back({fmt::format("background_{}", name), background_[k], "ug/m3",
                               background_[k] == 0.0 ? "none given (parameter)" : "parameter"});
            e.terms.push_back({fmt::format("double_counting_{}", name), double_counting_[k], "ug/m3",
                               "subtracted from the background (section 4)"});
        }
        // Each contributing road, in road order.
        for (std::size_t i = 0; i < prep->roads.size(); ++i) {
            const auto& v = per_road[i];
            if (v[0] == 0.0 && v[1] == 0.0 && v[2] == 0.0) continue;
            const auto& road = prep->roads[i];
            const auto& f = stack.features("roads").features[road.feature];
            const auto name = f.text("name").value_or("");
            const std::string method = road.dispersion == 0 ? "Gaussian line source"
                                                            : fmt::format("SRM1 street type {}", road.dispersion);
            e.terms.push_back({fmt::format("road_{}.nox", f.id), v[kNox], "ug/m3",
                               fmt::format("{}{}; emission NOx {:.4g} ug/m/s, PM10 {:.4g}, PM2.5 {:.4g}", method,
                                           name.empty() ? "" : " (" + name + ")", road.q_g_per_m_s[kNox] * 1e6,
                                           road.q_g_per_m_s[kPm10] * 1e6, road.q_g_per_m_s[kPm25] * 1e6)});
            if (mapped_[1]) e.terms.push_back({fmt::format("road_{}.pm10", f.id), v[kPm10], "ug/m3", ""});
            if (mapped_[2]) e.terms.push_back({fmt::format("road_{}.pm25", f.id), v[kPm25], "ug/m3", ""});
        }
        if (inc.srm1_road >= 0) {
            e.terms.push_back({"srm1_distance_to_axis", inc.srm1_distance_m, "m", "nearest SRM1 street within its reach"});
            e.terms.push_back({"srm1_theta", inc.srm1_theta, "", "dilution factor theta(x), section 2.3"});
        } else {
            e.notes.push_back("no SRM1 street within 30/60 m");
        }
        // The plain reference (every condition summed directly) for the Gaussian roads within the cut-off,
        // as a check of the tabulated climatology kernel.
        double reference_nox = 0.0;
        for (const auto& s : prep->segments) {
            const auto& road = prep->roads[s.road];
            if (road.dispersion != 0 || distance_to_segment_m(s.a, s.b, p) > cutoff_m_) continue;
            reference_nox += line_increment_reference_ug_m3(setup_, prep->met, s.a, s.b, p, road.q_g_per_m_s[kNox],
                                                            step_deg_, cutoff_m_);
        }
        e.terms.push_back({"nox_gaussian", inc.gaussian_ug_m3[kNox], "ug/m3", "Gaussian roads, climatology kernel"});
        e.terms.push_back({"nox_gaussian_reference", reference_nox, "ug/m3",
                           "the same by the plain reference (each condition's plume summed directly)"});
        e.terms.push_back({"nox_srm1", inc.srm1_ug_m3[kNox], "ug/m3", "0.62 E theta Fb Fregio, section 2.2"});
        const double nox = inc.total(kNox);
        e.terms.push_back({"nox_traffic", nox, "ug/m3", "NOx increment"});
        std::optional<double> first;
        if (mapped_[0]) {
            const auto c = no2_from_nox(nox, o3_, direct_no2_);
            e.terms.push_back({"no2_direct", c.direct_ug_m3, "ug/m3", fmt::format("f NOx, f = {}", direct_no2_)});
            e.terms.push_back({"no2_ozone_limited", c.ozone_limited_ug_m3, "ug/m3",
                               fmt::format("B O3 (1 - f) NOx / ((1 - f) NOx + K), B = {}, K = {} ug/m3, O3 = {} ug/m3",
                                           kNo2OzoneB, kNo2OzoneK_ug_m3, o3_)});
            e.terms.push_back({"no2_traffic", c.increment_ug_m3, "ug/m3", "section 3.1"});
            const double total = background_[0] - double_counting_[0] + c.increment_ug_m3;
            e.terms.push_back({"air_no2", total, "ug/m3", "background - correction + increment"});
            first = total;
        }
        for (std::size_t k = 1; k < 3; ++k) {
            if (!mapped_[k]) continue;
            const double total = background_[k] - double_counting_[k] + inc.total(k);
            e.terms.push_back({k == 1 ? "air_pm10" : "air_pm25", total, "ug/m3", "background - correction + increment"});
            if (!first) first = total;
        }
        // Stored as float in the map: report the same rounding.
        if (first) e.value = static_cast<double>(static_cast<float>(*first));
        return e;
    }

private:
    const Raster& building_fraction(const LayerStack& stack) const {
        const std::string name(layer::building_fraction);
        if (!stack.has_raster(name)) {
            throw DataError("air.traffic leaves receptors inside buildings out and needs 'building.fraction': add a "
                            "'buildings' input");
        }
        return stack.raster(name);
    }

    void write_cell(const Increments& inc, TileOutputs& out, std::int64_t col, std::int64_t row) const {
        std::size_t i = 0;
        std::array<double, 3> traffic{};
        if (mapped_[0]) traffic[0] = no2_from_nox(inc.total(kNox), o3_, direct_no2_).increment_ug_m3;
        traffic[1] = inc.total(kPm10);
        traffic[2] = inc.total(kPm25);
        for (std::size_t k = 0; k < 3; ++k) {
            if (mapped_[k]) out.rasters[i++]->at(col, row) = static_cast<float>(background_[k] - double_counting_[k] + traffic[k]);
        }
        for (std::size_t k = 0; k < 3; ++k) {
            if (mapped_[k]) out.rasters[i++]->at(col, row) = static_cast<float>(traffic[k]);
        }
        if (mapped_[0]) out.rasters[i++]->at(col, row) = static_cast<float>(inc.total(kNox));
    }

    // The increments at one receptor from the candidate segments (ascending ids): Gaussian roads summed in
    // segment order, then the nearest SRM1 street within its reach.
    Increments increments(const Prepared& prep, const std::vector<std::uint32_t>& candidates, Point2 p,
                          std::vector<std::array<double, kPollutantCount>>* per_road) const {
        Increments inc;
        double best = std::numeric_limits<double>::infinity();
        for (const auto id : candidates) {
            const auto& s = prep.segments[id];
            const auto& road = prep.roads[s.road];
            const double d = distance_to_segment_m(s.a, s.b, p);
            if (road.dispersion != 0) {
                if (d <= srm1_max_distance_m(road.dispersion) && d < best) {
                    best = d;
                    inc.srm1_road = static_cast<long>(s.road);
                }
                continue;
            }
            if (d > cutoff_m_) continue;
            const double unit = line_increment_fast_ug_m3(*prep.kernel, s.a, s.b, p, 1.0, step_deg_);
            for (std::size_t k = 0; k < kPollutantCount; ++k) {
                const double c = road.q_g_per_m_s[k] * unit;
                inc.gaussian_ug_m3[k] += c;
                if (per_road) (*per_road)[s.road][k] += c;
            }
        }
        if (inc.srm1_road >= 0) {
            const auto& road = prep.roads[static_cast<std::size_t>(inc.srm1_road)];
            inc.srm1_distance_m = best;
            inc.srm1_theta = srm1_theta(road.dispersion, best, srm1_min_m_).value_or(0.0);
            for (std::size_t k = 0; k < kPollutantCount; ++k) {
                inc.srm1_ug_m3[k] = srm1_increment_ug_m3(road.q_g_per_m_s[k] * 1e6, inc.srm1_theta, tree_factor_, regional_wind_);
                if (per_road) (*per_road)[static_cast<std::size_t>(inc.srm1_road)][k] += inc.srm1_ug_m3[k];
            }
        }
        return inc;
    }

    std::shared_ptr<const Prepared> prepared(const LayerStack& stack) const {
        const auto roads = stack.has_features("roads") ? stack.features_ptr("roads") : nullptr;
        if (!roads) throw DataError("air.traffic needs a 'roads' input (road centre lines with traffic)");
        std::shared_ptr<const FeatureSet> meteo;
        if (table_meteo_) {
            if (stack.has_features("meteo")) meteo = stack.features_ptr("meteo");
            if (!meteo) {
                throw DataError("air.traffic with meteorology 'table' needs a 'meteo' input: joint-frequency rows "
                                "(direction_deg, speed_m_s, stability, frequency) or hourly records; areatwin ships "
                                "no default climatology because no named source for one was available");
            }
        }
        std::lock_guard<std::mutex> lock(cache_mutex_);
        // Keyed by the feature sets themselves (weak pointers), so a freed set whose address is reused
        // never matches.
        if (cache_ && cache_roads_.lock() == roads && cache_meteo_.lock() == meteo) return cache_;
        auto prep = std::make_shared<Prepared>();
        build_roads(*roads, *prep);
        if (table_meteo_) {
            prep->met = expand_to_direction_bins(frequency_rows_from_features(*meteo));
            prep->kernel = std::make_shared<const ClimateKernel>(setup_, prep->met, cutoff_m_);
        } else {
            prep->met = single_met_;
            prep->kernel = single_kernel_;
        }
        cache_ = prep;
        cache_roads_ = roads;
        cache_meteo_ = meteo;
        return cache_;
    }

    void build_roads(const FeatureSet& set, Prepared& prep) const {
        for (std::size_t i = 0; i < set.features.size(); ++i) {
            const Feature& f = set.features[i];
            if (f.geometry.kind != Geometry::Kind::Line) {
                throw DataError(fmt::format("air.traffic: road feature {} ({}) is not a line", f.id, f.source));
            }
            Road road;
            road.feature = i;
            road.dispersion = dispersion_of(f, default_type_, canyon_type_);
            for (std::size_t c = 0; c < 5; ++c) {
                const auto& cat = vehicle_categories()[c];
                const double flow = annual_mean_flow_veh_per_h(f, cat);
                const std::size_t fc = std::min<std::size_t>(c, 3);  // cat4a, cat4b -> cat4
                for (std::size_t k = 0; k < kPollutantCount; ++k) {
                    const double ef = std::max(0.0, factors_.g_per_km[k][fc]);
                    // q (g/m/s) = N (veh/h) EF (g/km) / (1000 * 3600), section 8.
                    road.q_g_per_m_s[k] += flow * ef / 3.6e6;
                }
            }
            const auto road_index = static_cast<std::uint32_t>(prep.roads.size());
            prep.roads.push_back(road);
            for (const auto& part : f.geometry.lines) {
                for (std::size_t j = 1; j < part.size(); ++j) {
                    if (part[j - 1] == part[j]) continue;
                    prep.segments.push_back({part[j - 1], part[j], road_index});
                }
            }
        }
        prep.index.build(prep.segments, std::max(50.0, cutoff_m_ / 4.0));
    }

    std::array<bool, 3> mapped_{};
    bool table_meteo_ = false;
    PlumeSetup setup_;
    double cutoff_m_ = 2000.0;
    double step_deg_ = 1.0;
    int default_type_ = 0;
    int canyon_type_ = 1;
    double tree_factor_ = 1.0;
    double srm1_min_m_ = 3.5;
    double regional_wind_ = 5.0;
    double direct_no2_ = 0.05;
    double o3_ = 0.0;
    double mask_fraction_ = 0.99;
    std::array<double, 3> background_{};
    std::array<double, 3> double_counting_{};
    EmissionFactors factors_;
    std::vector<MetCondition> single_met_;
    std::shared_ptr<const ClimateKernel> single_kernel_;

    mutable std::mutex cache_mutex_;
    mutable std::shared_ptr<const Prepared> cache_;
    mutable std::weak_ptr<const FeatureSet> cache_roads_;
    mutable std::weak_ptr<const FeatureSet> cache_meteo_;
};


}  // namespace

std::vector<std::string> emission_factor_table_names() {
    return {"mobiliteitsscan_2021_urban_normal", "mobiliteitsscan_2021_urban_stagnating",
            "mobiliteitsscan_2021_urban_free_flow", "mobiliteitsscan_2021_buitenweg", "rbl2007_urban",
            "rbl2007_motorway", "none"};
}

EmissionFactors emission_factor_table(const std::string& name) {
    // [pollutant][cat1, cat2, cat3, cat4]; cat4 (two-wheelers) takes the light-vehicle value, -1 = not in
    // the source.
    auto table = [](double nox_light, double nox_truck2, double nox_truck3, double pm10_light, double pm10_truck2,
                    double pm10_truck3) {
        EmissionFactors f;
        f.g_per_km[kNox] = {nox_light, nox_truck2, nox_truck3, nox_light};
        f.g_per_km[kPm10] = {pm10_light, pm10_truck2, pm10_truck3, pm10_light};
        f.g_per_km[kPm25] = {-1.0, -1.0, -1.0, -1.0};
        return f;
    };
    // Mobiliteitsscan republication of "Emissiefactoren 2022" (reference year 2021), car and truck
    // (section 9.1); the truck blend of medium and heavy is ambiguous there, so both take it.
    if (name == "mobiliteitsscan_2021_urban_normal") return table(0.272, 4.532, 4.532, 0.031, 0.1567, 0.1567);
    if (name == "mobiliteitsscan_2021_urban_stagnating") return table(0.377, 7.277, 7.277, 0.033, 0.1853, 0.1853);
    if (name == "mobiliteitsscan_2021_urban_free_flow") return table(0.255, 3.089, 3.089, 0.032, 0.1427, 0.1427);
    if (name == "mobiliteitsscan_2021_buitenweg") return table(0.205, 2.732, 2.732, 0.016, 0.0893, 0.0893);
    // Rbl 2007 Bijlage 4 reference situations (2003/2004 fleets), light / medium / heavy (section 9.1).
    if (name == "rbl2007_urban") return table(0.62, 10.46, 15.25, 0.065, 0.419, 0.515);
    if (name == "rbl2007_motorway") return table(0.76, 7.01, 9.64, 0.055, 0.195, 0.266);
    if (name == "none") {
        EmissionFactors f;
        for (auto& row : f.g_per_km) row = {-1.0, -1.0, -1.0, -1.0};
        return f;
    }
    throw ConfigError(fmt::format("air.traffic: unknown emission-factor table '{}'", name));
}

double annual_mean_flow_veh_per_h(const Feature& road, const std::string& category) {
    // Dutch periods 07-19, 19-23, 23-07 (noise-method.md section 10): 12, 4 and 8 hours of the day.
    static const std::array<std::pair<const char*, double>, 3> periods{{{"day", 12.0}, {"evening", 4.0}, {"night", 8.0}}};
    double sum = 0.0;
    for (const auto& [period, hours] : periods) {
        const double q = road.number_or(fmt::format("q_{}_{}_veh_per_h", category, period), 0.0);
        if (!(q >= 0.0)) {
            throw DataError(fmt::format("air.traffic: road feature {} ({}): q_{}_{}_veh_per_h = {} is not a flow",
                                        road.id, road.source, category, period, q));
        }
        sum += q * hours;
    }
    return sum / 24.0;
}

std::vector<FrequencyRow> frequency_rows_from_features(const FeatureSet& meteo) {
    std::vector<FrequencyRow> rows;
    std::set<double> directions;
    bool any_frequency = false;
    bool all_frequency = true;
    for (const auto& f : meteo.features) {
        auto where = [&](const std::string& what) {
            return DataError(fmt::format("air.traffic: meteo row {} ({}): {}", f.id, f.source, what));
        };
        FrequencyRow row;
        const auto dir = f.number("direction_deg");
        const auto speed = f.number("speed_m_s");
        const auto stab_text = f.text("stability");
        if (!dir || *dir < 0.0 || *dir > 360.0) throw where("direction_deg missing or outside 0-360");
        if (!speed || !(*speed >= 0.0)) throw where("speed_m_s missing or negative");
        const auto stab = stab_text ? parse_stability(*stab_text) : std::nullopt;
        if (!stab) throw where("stability must be a Pasquill class A-F");
        row.direction_from_deg = *dir;
        // Below 1 m/s the Gaussian model is outside its validity (CALINE3, section 7.5): such hours count at 1 m/s.
        row.speed_m_s = std::max(*speed, 1.0);
        row.stability = *stab;
        row.sector_width_deg = f.number_or("sector_width_deg", -1.0);
        const auto freq = f.number("frequency");
        if (freq) {
            if (!(*freq >= 0.0)) throw where("frequency must not be negative");
            row.frequency = *freq;
            any_frequency = true;
        } else {
            all_frequency = false;
        }
        directions.insert(*dir);
        rows.push_back(row);
    }
    if (rows.empty()) throw DataError("air.traffic: the 'meteo' input has no rows");
    if (any_frequency && !all_frequency) {
        throw DataError("air.traffic: the 'meteo' input mixes rows with and without frequency");
    }
    const bool hourly = !any_frequency;
    // A frequency table without sector widths: the sectors are the distinct directions, evenly spaced.
    const double default_width = hourly ? 0.0 : 360.0 / static_cast<double>(directions.size());
    double total = 0.0;
    for (auto& r : rows) {
        if (r.sector_width_deg < 0.0) r.sector_width_deg = default_width;
        total += r.frequency;
    }
    if (!(total > 0.0)) throw DataError("air.traffic: the frequencies of the 'meteo' input sum to 0");
    if (!hourly && std::abs(total - 1.0) > 0.01 && std::abs(total - 100.0) > 1.0) {
        throw DataError(fmt::format("air.traffic: the frequencies of the 'meteo' input sum to {}, expected 1 or 100", total));
    }
    for (auto& r : rows) r.frequency /= total;
    return rows;
}

const IndicatorDescriptor& AirTraffic::descriptor() const { return air_traffic_descriptor(); }

std::unique_ptr<IndicatorModel> AirTraffic::build(const Parameters& params) const {
    return std::make_unique<AirTrafficModel>(params);
}

std::vector<Formula> AirTraffic::formulas() const {
    const std::vector<std::string> classes{"A", "B", "C", "D", "E", "F"};
    const std::vector<std::string> schemes{"briggs_rural", "briggs_urban", "pasquill_gifford"};

    Formula sig;
    sig.name = "sigma";
    sig.summary = "Gaussian dispersion parameters sigma_y, sigma_z at a downwind distance (air-method.md section 7)";
    sig.inputs = {number_parameter("x_m", "m", "downwind distance", 100.0, 1.0, 100000.0),
                  choice_parameter("stability_class", "Pasquill stability class", "D", classes),
                  choice_parameter("sigma_scheme", "briggs_rural, briggs_urban or pasquill_gifford", "briggs_rural", schemes)};
    sig.results = {"sigma_y_m", "sigma_z_m"};
    sig.evaluate = [](const Parameters& p) {
        FormulaResult r;
        const double x = p.number("x_m");
        const auto s = sigma(*parse_sigma_scheme(p.choice("sigma_scheme")), *parse_stability(p.choice("stability_class")), x);
        r.values["sigma_y_m"] = s.y_m;
        r.values["sigma_z_m"] = s.z_m;
        if (x > 10000.0 && p.choice("sigma_scheme") != "pasquill_gifford") {
            r.warnings.push_back("the Briggs fits are meant for distances up to about 10 km");
        }
        return r;
    };

    Formula line;
    line.name = "gaussian_line";
    line.summary = "Gaussian line source with the wind perpendicular to it: closed form (section 8) and the model's "
                   "numerical integration along the line";
    line.inputs = {number_parameter("q_g_per_m_s", "g/m/s", "line emission", 1e-5, 0.0, 1.0),
                   number_parameter("wind_speed_m_s", "m/s", "wind speed", 5.0, 1.0, 30.0),
                   number_parameter("x_m", "m", "downwind distance from the line", 50.0, 1.0, 10000.0),
                   number_parameter("offset_m", "m", "crosswind offset of the receptor from the line's centre", 0.0, -100000.0, 100000.0),
                   number_parameter("length_m", "m", "line length (0 = infinite)", 0.0, 0.0, 100000.0),
                   number_parameter("receptor_height_m", "m", "receptor height", 1.5, 0.0, 100.0),
                   number_parameter("source_height_m", "m", "release height", 0.0, 0.0, 100.0),
                   number_parameter("sigma_z0_m", "m", "initial vertical spread", 0.0, 0.0, 10.0),
                   choice_parameter("stability_class", "Pasquill stability class", "D", classes),
                   choice_parameter("sigma_scheme", "briggs_rural, briggs_urban or pasquill_gifford", "briggs_rural", schemes)};
    line.results = {"conc_ug_m3", "conc_numerical_ug_m3", "sigma_y_m", "sigma_z_m"};
    line.evaluate = [](const Parameters& p) {
        FormulaResult r;
        PlumeSetup setup;
        setup.scheme = *parse_sigma_scheme(p.choice("sigma_scheme"));
        setup.receptor_height_m = p.number("receptor_height_m");
        setup.source_height_m = p.number("source_height_m");
        setup.sigma_z0_m = p.number("sigma_z0_m");
        const int stab = *parse_stability(p.choice("stability_class"));
        const double q = p.number("q_g_per_m_s");
        const double u = p.number("wind_speed_m_s");
        const double x = p.number("x_m");
        const double offset = p.number("offset_m");
        const double length = p.number("length_m");
        const auto s = sigma(setup.scheme, stab, x);
        r.values["sigma_y_m"] = s.y_m;
        r.values["sigma_z_m"] = s.z_m;
        // The line runs along y (north) through x = 0; wind from the west.
        const double half = length > 0.0 ? length / 2.0 : 50.0 * x + 1e5;
        r.values["conc_ug_m3"] = length > 0.0 ? finite_line_perpendicular_ug_m3(setup, stab, q, u, x, offset, length)
                                              : infinite_line_perpendicular_ug_m3(setup, stab, q, u, x);
        const std::vector<MetCondition> met{{270.0, u, stab, 1.0}};
        r.values["conc_numerical_ug_m3"] =
            line_increment_reference_ug_m3(setup, met, {0.0, -half}, {0.0, half}, {x, offset}, q, 0.01);
        if (length == 0.0) r.warnings.push_back("the numerical value integrates a finite line of length 2 (50 x + 100 km) in place of the infinite one");
        return r;
    };

    Formula srm1;
    srm1.name = "srm1_increment";
    srm1.summary = "SRM1 traffic increment C = 0.62 E theta(x) Fb (5/u) for an urban street (air-method.md section 2)";
    srm1.inputs = {number_parameter("emission_ug_per_m_s", "ug/m/s", "line emission E", 10.0, 0.0, 1e6),
                   number_parameter("distance_m", "m", "distance x from the road axis", 10.0, 0.0, 1000.0),
                   number_parameter("street_type", "", "1 wide canyon, 2 narrow canyon, 3 one-sided, 4 other", 1.0, 1.0, 4.0),
                   number_parameter("tree_factor", "", "Fb: 1, 1.25 or 1.5", 1.0, 1.0, 1.5),
                   number_parameter("regional_wind_speed_m_s", "m/s", "regional mean wind speed", 5.0, 1.0, 20.0),
                   number_parameter("min_distance_m", "m", "distances below this are raised to it", 3.5, 0.0, 30.0)};
    srm1.results = {"theta", "increment_ug_m3", "x_max_m"};
    srm1.evaluate = [](const Parameters& p) {
        FormulaResult r;
        const double type_value = p.number("street_type");
        const int type = static_cast<int>(std::lround(type_value));
        if (std::abs(type_value - type) > 1e-9) {
            r.values["theta"] = std::nullopt;
            r.values["increment_ug_m3"] = std::nullopt;
            r.values["x_max_m"] = std::nullopt;
            r.warnings.push_back("street_type must be a whole number 1-4");
            return r;
        }
        r.values["x_max_m"] = srm1_max_distance_m(type);
        const auto theta = srm1_theta(type, p.number("distance_m"), p.number("min_distance_m"));
        r.values["theta"] = theta;
        if (!theta) {
            r.values["increment_ug_m3"] = std::nullopt;
            r.warnings.push_back(fmt::format("distance beyond the {} m reach of street type {}", srm1_max_distance_m(type), type));
            return r;
        }
        r.values["increment_ug_m3"] = srm1_increment_ug_m3(p.number("emission_ug_per_m_s"), *theta,
                                                           p.number("tree_factor"), p.number("regional_wind_speed_m_s"));
        return r;
    };

    Formula no2;
    no2.name = "no2_conversion";
    no2.summary = "NO2 from a NOx increment, ozone-limited: f NOx + B O3 (1-f) NOx / ((1-f) NOx + K), B = 0.6, "
                  "K = 100 ug/m3 (air-method.md section 3.1)";
    no2.inputs = {number_parameter("nox_increment_ug_m3", "ug/m3", "NOx increment (as NO2)", 20.0, 0.0, 10000.0),
                  number_parameter("o3_background_ug_m3", "ug/m3", "background ozone", 50.0, 0.0, 500.0),
                  number_parameter("direct_no2_fraction", "", "direct NO2 share of the NOx emission", 0.05, 0.0, 1.0),
                  number_parameter("no2_background_ug_m3", "ug/m3", "background NO2", 0.0, 0.0, 500.0)};
    no2.results = {"no2_direct_ug_m3", "no2_ozone_limited_ug_m3", "no2_increment_ug_m3", "no2_total_ug_m3"};
    no2.evaluate = [](const Parameters& p) {
        FormulaResult r;
        const auto c = no2_from_nox(p.number("nox_increment_ug_m3"), p.number("o3_background_ug_m3"),
                                    p.number("direct_no2_fraction"));
        r.values["no2_direct_ug_m3"] = c.direct_ug_m3;
        r.values["no2_ozone_limited_ug_m3"] = c.ozone_limited_ug_m3;
        r.values["no2_increment_ug_m3"] = c.increment_ug_m3;
        r.values["no2_total_ug_m3"] = p.number("no2_background_ug_m3") + c.increment_ug_m3;
        return r;
    };
    return {sig, line, srm1, no2};
}

}  // namespace areatwin::indicators::air
