// SPDX-License-Identifier: GPL-3.0-or-later
//
// air.traffic: annual-mean NO2, PM10 and PM2.5 from road traffic on a background. Method:
// ../shared/reference/air-method.md (section numbers below); model card: indicators/air/README.md.
#include "air/air_traffic.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <numeric>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/roles.hpp"
#include "air/air_tables.hpp"

namespace areatwin::indicators::air {

namespace {

const std::array<const char*, kPollutantCount> kPollutantKey{"nox", "pm10", "pm25", "no2"};
// Keys of the ef_* parameters: cat4 sets both two-wheeler categories.
const std::array<const char*, 4> kCategoryKey{"cat1", "cat2", "cat3", "cat4"};
// The three mapped pollutants (NO2 from NOx) and their background / correction raster roles.
const std::array<const char*, 3> kMappedKey{"no2", "pm10", "pm25"};

// Thresholds for the per-area "residents above" statistics: EU limit values, the 2030 EU values and the
// WHO 2021 guidelines (issue 4; annual means, ug/m3).
const std::vector<double> kNo2Thresholds{40.0, 20.0, 10.0};
const std::vector<double> kPm10Thresholds{40.0, 20.0, 15.0};
const std::vector<double> kPm25Thresholds{25.0, 10.0, 5.0};

// Discrete styles of the totals at the three threshold sets: below the WHO 2021 guideline, up to the EU
// 2030 value, up to the EU 2008 limit value, above it (a colour-blind-safe green, yellow, orange, purple).
std::vector<StyleClass> limit_classes(double who, double eu2030, double eu_limit) {
    return {{0.0, "#1a9641", fmt::format("below {:g} (WHO 2021 guideline)", who)},
            {who, "#ffffbf", fmt::format("{:g}-{:g} (above WHO 2021)", who, eu2030)},
            {eu2030, "#fdae61", fmt::format("{:g}-{:g} (above EU 2030 value)", eu2030, eu_limit)},
            {eu_limit, "#7b3294", fmt::format("above {:g} (EU limit value)", eu_limit)}};
}
// The increments: a lighter sequential set (yellow to blue) with breaks suited to each pollutant.
std::vector<StyleClass> increment_classes(const std::vector<double>& breaks) {
    static const std::array<const char*, 6> colours{"#ffffcc", "#d9f0a3", "#addd8e", "#78c679", "#41ab5d", "#238443"};
    std::vector<StyleClass> out;
    for (std::size_t i = 0; i < breaks.size() && i < colours.size(); ++i) {
        const std::string label = i + 1 < breaks.size() ? fmt::format("{:g}-{:g}", breaks[i], breaks[i + 1])
                                                        : fmt::format("above {:g}", breaks[i]);
        out.push_back({breaks[i], colours[i], label + " ug/m3"});
    }
    return out;
}

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
         "single condition: wind speed at the reference height (default 5; gaussian: at least 1 m/s, the CALINE3 "
         "validity, section 7.5)",
         {5.0}, {}, 0.0, 30.0, {}},
        {"stability_class", K::Choice, "", "gaussian, single condition: Pasquill stability class (default D, neutral)", {},
         {"D"}, 0.0, 0.0, {"A", "B", "C", "D", "E", "F"}},
        {"dispersion", K::Choice, "",
         "line-source model of roads that are not SRM1 streets and of generic sources: 'rline' (default; R-LINE "
         "v1.2 plume spread from u*, L and z0 with effective wind and meander, sections 6.3-6.5) or 'gaussian' "
         "(screening: stability-class sigmas of sigma_scheme, section 7)",
         {}, {"rline"}, 0.0, 0.0, {"rline", "gaussian"}},
        {"meander", K::Choice, "", "rline: include the meander share of section 6.3 (default yes)", {}, {"yes"}, 0.0,
         0.0, {"yes", "no"}},
        {"obukhov_length_m", K::Number, "m",
         "rline, single condition: Monin-Obukhov length L (default 0 = neutral, infinite L; |L| >= 1 m otherwise)",
         {0.0}, {}, -100000.0, 100000.0, {}},
        {"friction_velocity_m_s", K::Number, "m/s",
         "rline, single condition: friction velocity u* (default 0 = derived from the wind through the "
         "Monin-Obukhov profile, section 6.5)",
         {0.0}, {}, 0.0, 5.0, {}},
        {"roughness_length_m", K::Number, "m",
         "rline: roughness length z0 (default 0.3, the Rbl 2007 Bijlage 4 motorway case, section 10); table rows "
         "may give their own",
         {0.3}, {}, 0.0001, 3.0, {}},
        {"reference_height_m", K::Number, "m", "rline: height of the wind speed (default 10)", {10.0}, {}, 1.0, 200.0,
         {}},
        {"convective_velocity_m_s", K::Number, "m/s",
         "rline, single condition: convective velocity w* for sigma_v (default 0)", {0.0}, {}, 0.0, 10.0, {}},
        {"mixing_height_m", K::Number, "m",
         "rline, single condition: mixing height z_i capping sigma_z at sqrt(2/pi) z_i (default 0 = no cap)", {0.0},
         {}, 0.0, 5000.0, {}},
        {"sources", K::Choice, "",
         "what emits: 'roads' (default), 'roads_and_air_sources', or 'air_sources' only (generic point, line and "
         "area sources with emission_<pollutant>_g_s, _g_m_s or _g_m2_s and height_m)",
         {}, {"roads"}, 0.0, 0.0, {"roads", "roads_and_air_sources", "air_sources"}},
        {"point_receptors", K::Choice, "",
         "'none' (default) or 'receivers': also evaluate the points of the 'receivers' input (at receptor_height_m) "
         "into the point layer air_receptors with totals and increments per pollutant",
         {}, {"none"}, 0.0, 0.0, {"none", "receivers"}},
        {"background", K::Choice, "",
         "'constant' backgrounds from the background_*_ug_m3 parameters (default), or 'raster': the "
         "background_no2/_pm10/_pm25/_o3 inputs (e.g. the GCN maps), the constants where a raster has no value",
         {}, {"constant"}, 0.0, 0.0, {"constant", "raster"}},
        {"double_counting", K::Choice, "",
         "'constant' corrections from the double_counting_*_ug_m3 parameters (default), or 'raster': the "
         "double_counting_no2/_pm10/_pm25 inputs (section 4), the constants where a raster has no value",
         {}, {"constant"}, 0.0, 0.0, {"constant", "raster"}},
        {"sigma_scheme", K::Choice, "",
         "gaussian: dispersion parameters (section 7): briggs_rural (default, open roads), briggs_urban, "
         "pasquill_gifford",
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
         "line and point sources farther than this from a receptor are left out (default 2000: on a dense street "
         "network 500 m misses about a quarter of the increment; also the tile halo)",
         {2000.0},
         {}, 60.0, 5000.0, {}},
        {"integration_step_deg", K::Number, "deg",
         "angular step of the integration along a segment, as seen from the receptor (default 1)", {1.0}, {}, 0.05,
         10.0, {}},
        {"default_dispersion", K::Choice, "",
         "roads without street_type: 'line' source of the dispersion model (default) or 'srm1' with street type 4",
         {}, {"line"}, 0.0, 0.0, {"line", "srm1"}},
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
         "emission-factor table shipped in indicators/air/data (section 9.1; default "
         "mobiliteitsscan_2021_urban_normal), 'file' for the 'air_emission_factors' input (e.g. the yearly "
         "IenW factors), or 'none'; ef_* parameters override single values",
         {}, {"mobiliteitsscan_2021_urban_normal"}, 0.0, 0.0, [] {
             auto names = emission_factor_table_names();
             names.emplace_back("file");
             return names;
         }()},
        {"direct_no2_fraction", K::Number, "",
         "direct NO2 share of the NOx emission where the factor table has no no2_g_per_km (default 0.05, Rbl 2007 "
         "Bijlage 4; section 3.3); when given, it applies to every category",
         {0.05}, {}, 0.0, 1.0, {}},
        {"background_o3_ug_m3", K::Number, "ug/m3",
         "background ozone for the NO2 conversion (default 0 = none given: only the direct NO2 share counts; the "
         "fallback of background: raster)", {0.0},
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
    for (std::size_t k = 0; k < 3; ++k) {
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
        "0.2.0",
        "Annual-mean NO2, PM10 and PM2.5 (ug/m3) from road traffic on a background, with the traffic increments",
        "Dutch standard practice as in air-method.md: C = background - double-counting correction + increments "
        "(section 1); SRM1 for urban streets (sections 2.1-2.3: C = 0.62 E theta(x) Fb Fregio, street types 1-4); "
        "other roads and generic sources as Gaussian line (and point) sources integrated numerically along each "
        "segment (section 6.2) with the R-LINE v1.2 plume spread, effective wind and meander (sections 6.3-6.5) "
        "as the stand-in for SRM2 (section 5), or as a screening option Briggs open-country/urban or "
        "Pasquill-Gifford sigmas (section 7); annual mean as the frequency-weighted sum over meteorological "
        "conditions; NO2 from NOx by the ozone-limited conversion with B = 0.6, K = 100 ug/m3 (section 3.1)",
        "Annual means only. SRM1 within 30 m (street types 2, 3) or 60 m (types 1, 4) of the road axis, flat "
        "terrain, no screens; the Gaussian model for open roads in flat terrain with wind speeds of at least "
        "1 m/s; R-LINE near-surface releases in flat terrain without barriers or depressions; receptors closer "
        "than 1 m to a road axis are moved out to 1 m. Not an approved equivalent "
        "method under Rbl 2007 art. 72 (not tested against the reference values).",
        "Emission per road = annual-average hourly flow per vehicle category x emission factor; two-wheelers "
        "(cat4a, cat4b) take the light-vehicle factor of the named tables; the truck factors of the Mobiliteitsscan "
        "table apply to cat2 and cat3. Each receptor takes the nearest SRM1 street within its reach (one street per "
        "receptor, section 2.5) plus every Gaussian road within cutoff_m; SRM1 streets do not add a Gaussian "
        "contribution. The Gaussian option has no meander term (a receptor upwind of every road gets no increment); "
        "R-LINE reaches upwind receptors only through meander. Directions are resolved to 0.5 degrees; a sector "
        "of a frequency table is spread evenly over its width. Area sources are a lattice of point sources.",
        make_parameters(),
    };
    return descriptor;
}

// How a road disperses: 0 = Gaussian line source, 1-4 = SRM1 street type.
int dispersion_of(const Feature& road, int default_type, int canyon_type) {
    const auto t = road.text("street_type");
    if (!t || t->empty()) return default_type;
    const std::string& s = *t;
    if (s == "open" || s == "gaussian" || s == "rline" || s == "line") return 0;
    if (s == "canyon") return canyon_type;
    if (s == "1" || s == "wide_canyon") return 1;
    if (s == "2" || s == "narrow_canyon") return 2;
    if (s == "3" || s == "one_sided") return 3;
    if (s == "4" || s == "urban_other") return 4;
    throw DataError(fmt::format("air.traffic: road feature {} ({}): street_type '{}' is not one of open, line, canyon, "
                                "wide_canyon, narrow_canyon, one_sided, urban_other, 1-4",
                                road.id, road.source, s));
}

// A road or a generic source.
struct Emitter {
    bool generic = false;       // from air_sources (else a road)
    std::size_t feature = 0;    // index into its feature set
    int dispersion = 0;         // 0 line-source model, 1-4 SRM1 street type
    Geometry::Kind kind = Geometry::Kind::Line;
    std::array<double, kPollutantCount> q{};  // g/m/s (lines), g/s (points), g/m2/s (areas)
};

// A straight piece of a line source, or (a == b) a point source; its emission is the emitter's q times
// scale (1 for lines and points, the lattice cell area of an area source's point).
struct Segment {
    Point2 a;
    Point2 b;
    std::uint32_t emitter = 0;
    std::uint32_t kernel = 0;
    double scale = 1.0;
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
    std::vector<Emitter> emitters;
    std::vector<Segment> segments;
    SegmentIndex index;
    std::vector<MetCondition> met;
    std::vector<double> kernel_heights;  // release height of each kernel
    std::vector<std::shared_ptr<const ClimateKernel>> kernels;
    EmissionFactors factors;
};

struct Increments {
    std::array<double, kPollutantCount> line_ug_m3{};  // line-source model: roads and generic sources
    std::array<double, kPollutantCount> srm1_ug_m3{};
    long srm1_emitter = -1;  // index into Prepared::emitters
    double srm1_distance_m = 0.0;
    double srm1_theta = 0.0;
    [[nodiscard]] double total(std::size_t k) const { return line_ug_m3[k] + srm1_ug_m3[k]; }
};

// Background and double-counting correction at one receptor: [no2, pm10, pm25], and ozone.
struct Background {
    std::array<double, 3> background{};
    std::array<double, 3> correction{};
    double o3 = 0.0;
};

// The NO2 increment at a receptor: the ozone-limited conversion (section 3.1) with the direct share f of
// the receptor's own mix of sources (direct NO2 increment / NOx increment).
No2Conversion no2_at_receptor(double nox, double no2_direct, double o3, double default_fraction) {
    const double f = nox > 0.0 ? std::clamp(no2_direct / nox, 0.0, 1.0) : default_fraction;
    return no2_from_nox(nox, o3, f);
}

class AirTrafficModel final : public IndicatorModel {
public:
    explicit AirTrafficModel(const Parameters& p) {
        const auto& pols = p.choices("pollutants");
        for (std::size_t k = 0; k < 3; ++k) {
            mapped_[k] = std::find(pols.begin(), pols.end(), kMappedKey[k]) != pols.end();
        }
        table_meteo_ = p.choice("meteorology") == "table";
        setup_.dispersion = *parse_dispersion(p.choice("dispersion"));
        setup_.meander = p.choice("meander") == "yes";
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
        direct_no2_given_ = p.was_given("direct_no2_fraction");
        o3_ = p.number("background_o3_ug_m3");
        mask_fraction_ = p.number("building_mask_fraction");
        const auto& src = p.choice("sources");
        use_roads_ = src != "air_sources";
        use_generic_ = src != "roads";
        background_raster_ = p.choice("background") == "raster";
        point_receptors_ = p.choice("point_receptors") == "receivers";
        correction_raster_ = p.choice("double_counting") == "raster";
        for (std::size_t k = 0; k < 3; ++k) {
            background_[k] = p.number(fmt::format("background_{}_ug_m3", kMappedKey[k]));
            double_counting_[k] = p.number(fmt::format("double_counting_{}_ug_m3", kMappedKey[k]));
        }
        factor_name_ = p.choice("emission_factors");
        factors_from_file_ = factor_name_ == "file";
        for (auto& row : overrides_) row.fill(-1.0);
        for (std::size_t k = 0; k < 3; ++k) {
            for (std::size_t c = 0; c < 4; ++c) {
                overrides_[k][c] = p.number(fmt::format("ef_{}_{}_g_per_km", kPollutantKey[k], kCategoryKey[c]));
            }
        }
        // The meteorological condition of 'single' (and the defaults of table rows).
        met_defaults_.direction_from_deg = p.number("wind_direction_deg");
        met_defaults_.speed_m_s = p.number("wind_speed_m_s");
        met_defaults_.stability = *parse_stability(p.choice("stability_class"));
        const double L = p.number("obukhov_length_m");
        met_defaults_.obukhov_length_m = L == 0.0 ? std::numeric_limits<double>::infinity() : L;
        met_defaults_.friction_velocity_m_s = p.number("friction_velocity_m_s");
        met_defaults_.roughness_m = p.number("roughness_length_m");
        met_defaults_.reference_height_m = p.number("reference_height_m");
        met_defaults_.convective_velocity_m_s = p.number("convective_velocity_m_s");
        met_defaults_.mixing_height_m = p.number("mixing_height_m");
        if (!table_meteo_) {
            if (setup_.dispersion == Dispersion::Gaussian && met_defaults_.speed_m_s < 1.0) {
                throw ConfigError("air.traffic: wind_speed_m_s must be at least 1 m/s for the gaussian model (CALINE3 "
                                  "validity, air-method.md section 7.5)");
            }
            try {
                if (setup_.dispersion == Dispersion::Rline) (void)surface_layer(met_defaults_);
            } catch (const DataError& e) {
                throw ConfigError(fmt::format("{} (single condition from the parameters)", e.what()));
            }
            single_met_ = expand_to_direction_bins({frequency_row_of(met_defaults_)});
        }
        if (!factors_from_file_) {
            factors_ = emission_factor_table(factor_name_);
            apply_overrides(factors_);
            check_factors(factors_, [&](std::size_t k, std::size_t c) {
                return ConfigError(fmt::format(
                    "air.traffic: the emission-factor table '{}' has no {} factor for {} (air-method.md section "
                    "9.1 lists none); give ef_{}_{}_g_per_km from the yearly IenW tables, use emission_factors: file, "
                    "or leave {} out of 'pollutants'",
                    factor_name_, kPollutantKey[k], vehicle_categories()[c], kPollutantKey[k],
                    kCategoryKey[std::min<std::size_t>(c, 3)], k == 0 ? "no2" : kMappedKey[k]));
            });
        }
    }

    [[nodiscard]] std::vector<std::string> inputs() const override {
        std::vector<std::string> in{std::string(layer::building_fraction)};
        if (use_roads_) in.emplace_back("roads");
        if (use_generic_) in.emplace_back("air_sources");
        if (table_meteo_) in.emplace_back("meteo");
        if (factors_from_file_ && use_roads_) in.emplace_back("air_emission_factors");
        for (std::size_t k = 0; k < 3; ++k) {
            if (!mapped_[k]) continue;
            if (background_raster_) in.push_back(fmt::format("background_{}", kMappedKey[k]));
            if (correction_raster_) in.push_back(fmt::format("double_counting_{}", kMappedKey[k]));
        }
        if (background_raster_ && mapped_[0]) in.emplace_back("background_o3");
        if (point_receptors_) in.emplace_back("receivers");
        return in;
    }

    [[nodiscard]] double halo_m() const override { return cutoff_m_; }

    [[nodiscard]] std::vector<OutputSpec> outputs() const override {
        std::vector<OutputSpec> out;
        auto add = [&](const char* name, const char* description, std::vector<double> thresholds, double max,
                       std::vector<StyleClass> classes) {
            OutputSpec o{name, "ug/m3", description, std::move(thresholds), "viridis", 0.0, max};
            o.classes = std::move(classes);
            out.push_back(std::move(o));
        };
        if (mapped_[0]) add("air_no2", "annual-mean NO2: background + traffic", kNo2Thresholds, 60.0, limit_classes(10, 20, 40));
        if (mapped_[1]) add("air_pm10", "annual-mean PM10: background + traffic", kPm10Thresholds, 50.0, limit_classes(15, 20, 40));
        if (mapped_[2]) add("air_pm25", "annual-mean PM2.5: background + traffic", kPm25Thresholds, 30.0, limit_classes(5, 10, 25));
        if (mapped_[0]) add("air_no2_traffic", "annual-mean NO2 increment from road traffic", {}, 30.0, increment_classes({0, 1, 2, 5, 10, 20}));
        if (mapped_[1]) add("air_pm10_traffic", "annual-mean PM10 increment from road traffic", {}, 5.0, increment_classes({0, 0.2, 0.5, 1, 2, 4}));
        if (mapped_[2]) add("air_pm25_traffic", "annual-mean PM2.5 increment from road traffic", {}, 3.0, increment_classes({0, 0.1, 0.25, 0.5, 1, 2}));
        if (mapped_[0]) add("air_nox_traffic", "annual-mean NOx increment from road traffic (as NO2)", {}, 60.0, increment_classes({0, 2, 5, 10, 20, 40}));
        return out;
    }

    // Point receptors of the 'receivers' input (point_receptors: receivers), at receptor_height_m: the
    // totals and increments of the map's formulas at each point, serially in feature order.
    [[nodiscard]] std::vector<PointLayer> compute_points(const LayerStack& stack, int threads) const override {
        (void)threads;
        if (!point_receptors_) return {};
        if (!stack.has_features("receivers")) {
            throw DataError("air.traffic with point_receptors 'receivers' needs a 'receivers' input (points)");
        }
        const auto prep = prepared(stack);
        const auto bg_layers = background_layers(stack);
        const auto& grid = stack.grid();
        PointLayer layer;
        layer.name = "air_receptors";
        layer.description = fmt::format("air.traffic at the points of the receivers input, {} m above ground: totals and "
                                        "traffic increments (ug/m3)",
                                        setup_.receptor_height_m);
        PointColumn name{"name", "", "receiver name", true, {}, {}, {}};
        std::vector<PointColumn> totals, traffic;
        const std::array<std::vector<double>, 3> thresholds{kNo2Thresholds, kPm10Thresholds, kPm25Thresholds};
        for (std::size_t k = 0; k < 3; ++k) {
            if (!mapped_[k]) continue;
            totals.push_back({fmt::format("{}_ug_m3", kMappedKey[k]), "ug/m3",
                              fmt::format("annual-mean {}: background + traffic", kMappedKey[k]), false, {}, {}, thresholds[k]});
            traffic.push_back({fmt::format("{}_traffic_ug_m3", kMappedKey[k]), "ug/m3",
                               fmt::format("annual-mean {} increment from traffic and sources", kMappedKey[k]), false, {}, {}, {}});
        }
        PointColumn nox{"nox_traffic_ug_m3", "ug/m3", "annual-mean NOx increment (as NO2)", false, {}, {}, {}};
        std::vector<std::uint32_t> candidates;
        for (const auto& f : stack.features("receivers").features) {
            if (f.geometry.kind != Geometry::Kind::Point) {
                throw DataError(fmt::format("air.traffic: receivers feature {} ({}) is not a point", f.id, f.source));
            }
            for (const auto& p : f.geometry.points) {
                const Box2 box{p.x - cutoff_m_ - 1.0, p.y - cutoff_m_ - 1.0, p.x + cutoff_m_ + 1.0, p.y + cutoff_m_ + 1.0};
                prep->index.query(box, candidates);
                const auto inc = increments(*prep, candidates, p, nullptr);
                const auto col = grid.col_of(p.x);
                const auto row = grid.row_of(p.y);
                // Outside the grid the rasters have no value: the constants apply.
                const Background bg = grid.contains_cell(col, row) ? background_at(bg_layers, col, row) : background_at({}, 0, 0);
                std::size_t i = 0;
                for (std::size_t k = 0; k < 3; ++k) {
                    if (!mapped_[k]) continue;
                    const double t = k == 0 ? no2_at_receptor(inc.total(kNox), inc.total(kNo2Direct), bg.o3, direct_no2_).increment_ug_m3
                                            : inc.total(k);
                    totals[i].values.push_back(bg.background[k] - bg.correction[k] + t);
                    traffic[i].values.push_back(t);
                    ++i;
                }
                nox.values.push_back(inc.total(kNox));
                name.texts.push_back(f.text("name").value_or(std::to_string(f.id)));
                layer.points.push_back(p);
            }
        }
        layer.columns.push_back(std::move(name));
        for (auto& c : totals) layer.columns.push_back(std::move(c));
        for (auto& c : traffic) layer.columns.push_back(std::move(c));
        if (mapped_[0]) layer.columns.push_back(std::move(nox));
        const std::size_t first = mapped_[0] ? 0 : (mapped_[1] ? 1 : 2);
        layer.style_column = fmt::format("{}_ug_m3", kMappedKey[first]);
        const std::array<std::vector<StyleClass>, 3> classes{limit_classes(10, 20, 40), limit_classes(15, 20, 40), limit_classes(5, 10, 25)};
        layer.classes = classes[first];
        return {layer};
    }

    [[nodiscard]] double working_bytes_per_cell() const override { return 1.0; }

    void compute(const TileContext& ctx, TileOutputs& out) const override {
        const auto prep = prepared(ctx.inputs);
        const Raster& buildings = building_fraction(ctx.inputs);
        const auto bg = background_layers(ctx.inputs);
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
                        write_cell(inc, background_at(bg, col, row), out, col, row);
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
        std::vector<std::array<double, kPollutantCount>> per_emitter(prep->emitters.size());
        for (auto& v : per_emitter) v.fill(0.0);
        const auto inc = increments(*prep, all, p, &per_emitter);
        const auto bg = background_at(background_layers(stack), col, row);

        e.notes.push_back(fmt::format("dispersion {} ({}); meteorology: {} condition(s) after spreading over {} degree "
                                      "direction bins, {} plume table(s)",
                                      setup_.dispersion == Dispersion::Rline ? "rline" : "gaussian",
                                      setup_.dispersion == Dispersion::Rline
                                          ? (setup_.meander ? "R-LINE v1.2 sigmas, effective wind, meander"
                                                            : "R-LINE v1.2 sigmas, effective wind, no meander")
                                          : "stability-class sigmas",
                                      prep->met.size(), kDirectionBinDeg, prep->kernels.empty() ? 0 : prep->kernels.front()->plume_count()));
        e.notes.push_back(fmt::format("emission factors: {}", prep->factors.source));
        for (std::size_t k = 0; k < 3; ++k) {
            if (!mapped_[k]) continue;
            e.terms.push_back({fmt::format("background_{}", kMappedKey[k]), bg.background[k], "ug/m3",
                               background_raster_ ? fmt::format("raster background_{} (the parameter where it has no value)", kMappedKey[k])
                                                  : (bg.background[k] == 0.0 ? "none given (parameter)" : "parameter")});
            e.terms.push_back({fmt::format("double_counting_{}", kMappedKey[k]), bg.correction[k], "ug/m3",
                               "subtracted from the background (section 4)"});
        }
        // Each contributing road and source with its increment, largest first (ties in feature order).
        const std::size_t lead = mapped_[0] ? kNox : (mapped_[1] ? kPm10 : kPm25);
        std::vector<std::size_t> order;
        for (std::size_t i = 0; i < prep->emitters.size(); ++i) {
            const auto& v = per_emitter[i];
            if (v[kNox] != 0.0 || v[kPm10] != 0.0 || v[kPm25] != 0.0) order.push_back(i);
        }
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            return per_emitter[a][lead] > per_emitter[b][lead];
        });
        for (const std::size_t i : order) {
            const auto& v = per_emitter[i];
            const auto& em = prep->emitters[i];
            const auto& f = stack.features(em.generic ? "air_sources" : "roads").features[em.feature];
            const auto name = f.text("name").value_or("");
            const std::string what = em.generic ? "source" : "road";
            const std::string method = em.dispersion != 0 ? fmt::format("SRM1 street type {}", em.dispersion)
                                       : setup_.dispersion == Dispersion::Rline ? "R-LINE line source"
                                                                                : "Gaussian line source";
            const std::string unit = em.kind == Geometry::Kind::Point ? "g/s" : (em.kind == Geometry::Kind::Polygon ? "ug/m2/s" : "ug/m/s");
            const double to_unit = em.kind == Geometry::Kind::Point ? 1.0 : 1e6;
            e.terms.push_back({fmt::format("{}_{}.{}", what, f.id, kPollutantKey[lead]), v[lead], "ug/m3",
                               fmt::format("{}{}; emission NOx {:.4g} {}, PM10 {:.4g}, PM2.5 {:.4g}", method,
                                           name.empty() ? "" : " (" + name + ")", em.q[kNox] * to_unit, unit,
                                           em.q[kPm10] * to_unit, em.q[kPm25] * to_unit)});
            for (std::size_t k : {kNox, kPm10, kPm25}) {
                if (k == lead || !mapped_[k == kNox ? 0 : k]) continue;
                e.terms.push_back({fmt::format("{}_{}.{}", what, f.id, kPollutantKey[k]), v[k], "ug/m3", ""});
            }
        }
        if (inc.srm1_emitter >= 0) {
            e.terms.push_back({"srm1_distance_to_axis", inc.srm1_distance_m, "m", "nearest SRM1 street within its reach"});
            e.terms.push_back({"srm1_theta", inc.srm1_theta, "", "dilution factor theta(x), section 2.3"});
        } else {
            e.notes.push_back("no SRM1 street within 30/60 m");
        }
        // The plain reference (every condition summed directly) for the line sources within the cut-off,
        // as a check of the tabulated climatology kernel; skipped when it would take long.
        std::size_t work = 0;
        for (const auto& s : prep->segments) {
            if (prep->emitters[s.emitter].dispersion == 0 && distance_to_segment_m(s.a, s.b, p) <= cutoff_m_) ++work;
        }
        const double budget = setup_.dispersion == Dispersion::Rline ? 2e5 : 5e6;
        if (static_cast<double>(work) * static_cast<double>(prep->met.size()) <= budget) {
            double reference_nox = 0.0;
            for (const auto& s : prep->segments) {
                const auto& em = prep->emitters[s.emitter];
                if (em.dispersion != 0 || distance_to_segment_m(s.a, s.b, p) > cutoff_m_) continue;
                PlumeSetup setup = setup_;
                setup.source_height_m = prep->kernel_heights[s.kernel];
                const double q = em.q[kNox] * s.scale;
                if (s.a == s.b) {
                    const double dx = p.x - s.a.x, dy = p.y - s.a.y;
                    double k = 0.0;
                    for (const auto& m : prep->met) k += m.weight * point_kernel(setup, m, dx, dy);
                    reference_nox += 1e6 * q * k;
                } else {
                    reference_nox += line_increment_reference_ug_m3(setup, prep->met, s.a, s.b, p, q, step_deg_, cutoff_m_);
                }
            }
            e.terms.push_back({"nox_line_reference", reference_nox, "ug/m3",
                               "the line sources by the plain reference (each condition's plume summed directly)"});
        } else {
            e.notes.push_back("the plain-reference check of the line sources is skipped at this size");
        }
        e.terms.push_back({"nox_line", inc.line_ug_m3[kNox], "ug/m3", "line and point sources, climatology kernel"});
        e.terms.push_back({"nox_srm1", inc.srm1_ug_m3[kNox], "ug/m3", "0.62 E theta Fb Fregio, section 2.2"});
        const double nox = inc.total(kNox);
        e.terms.push_back({"nox_traffic", nox, "ug/m3", "NOx increment"});
        std::optional<double> first;
        if (mapped_[0]) {
            const double f = nox > 0.0 ? std::clamp(inc.total(kNo2Direct) / nox, 0.0, 1.0) : direct_no2_;
            const auto c = no2_from_nox(nox, bg.o3, f);
            e.terms.push_back({"direct_no2_fraction", f, "", "direct NO2 increment / NOx increment at this receptor"});
            e.terms.push_back({"no2_direct", c.direct_ug_m3, "ug/m3", "f NOx"});
            e.terms.push_back({"no2_ozone_limited", c.ozone_limited_ug_m3, "ug/m3",
                               fmt::format("B O3 (1 - f) NOx / ((1 - f) NOx + K), B = {}, K = {} ug/m3, O3 = {} ug/m3",
                                           kNo2OzoneB, kNo2OzoneK_ug_m3, bg.o3)});
            e.terms.push_back({"no2_traffic", c.increment_ug_m3, "ug/m3", "section 3.1"});
            const double total = bg.background[0] - bg.correction[0] + c.increment_ug_m3;
            e.terms.push_back({"air_no2", total, "ug/m3", "background - correction + increment"});
            first = total;
        }
        for (std::size_t k = 1; k < 3; ++k) {
            if (!mapped_[k]) continue;
            const double total = bg.background[k] - bg.correction[k] + inc.total(k);
            e.terms.push_back({k == 1 ? "air_pm10" : "air_pm25", total, "ug/m3", "background - correction + increment"});
            if (!first) first = total;
        }
        // Stored as float in the map: report the same rounding.
        if (first) e.value = static_cast<double>(static_cast<float>(*first));
        return e;
    }

private:
    struct BackgroundLayers {
        std::array<const Raster*, 3> background{};
        std::array<const Raster*, 3> correction{};
        const Raster* o3 = nullptr;
    };

    BackgroundLayers background_layers(const LayerStack& stack) const {
        BackgroundLayers b;
        auto get = [&](const std::string& name) -> const Raster* {
            if (!stack.has_raster(name)) {
                throw DataError(fmt::format("air.traffic with background/double_counting 'raster' needs the '{}' input "
                                            "(a raster in ug/m3)",
                                            name));
            }
            return &stack.raster(name);
        };
        for (std::size_t k = 0; k < 3; ++k) {
            if (!mapped_[k]) continue;
            if (background_raster_) b.background[k] = get(fmt::format("background_{}", kMappedKey[k]));
            if (correction_raster_) b.correction[k] = get(fmt::format("double_counting_{}", kMappedKey[k]));
        }
        if (background_raster_ && mapped_[0]) b.o3 = get("background_o3");
        return b;
    }

    // The raster value where it has one, else the constant parameter.
    Background background_at(const BackgroundLayers& b, std::int64_t col, std::int64_t row) const {
        auto pick = [&](const Raster* r, double fallback) {
            if (r == nullptr) return fallback;
            const float v = r->at(col, row);
            return std::isnan(v) ? fallback : static_cast<double>(v);
        };
        Background out;
        for (std::size_t k = 0; k < 3; ++k) {
            out.background[k] = pick(b.background[k], background_[k]);
            out.correction[k] = pick(b.correction[k], double_counting_[k]);
        }
        out.o3 = pick(b.o3, o3_);
        return out;
    }

    const Raster& building_fraction(const LayerStack& stack) const {
        const std::string name(layer::building_fraction);
        if (!stack.has_raster(name)) {
            throw DataError("air.traffic leaves receptors inside buildings out and needs 'building.fraction': add a "
                            "'buildings' input");
        }
        return stack.raster(name);
    }

    void write_cell(const Increments& inc, const Background& bg, TileOutputs& out, std::int64_t col, std::int64_t row) const {
        std::size_t i = 0;
        std::array<double, 3> traffic{};
        if (mapped_[0]) traffic[0] = no2_at_receptor(inc.total(kNox), inc.total(kNo2Direct), bg.o3, direct_no2_).increment_ug_m3;
        traffic[1] = inc.total(kPm10);
        traffic[2] = inc.total(kPm25);
        for (std::size_t k = 0; k < 3; ++k) {
            if (mapped_[k]) out.rasters[i++]->at(col, row) = static_cast<float>(bg.background[k] - bg.correction[k] + traffic[k]);
        }
        for (std::size_t k = 0; k < 3; ++k) {
            if (mapped_[k]) out.rasters[i++]->at(col, row) = static_cast<float>(traffic[k]);
        }
        if (mapped_[0]) out.rasters[i++]->at(col, row) = static_cast<float>(inc.total(kNox));
    }

    // The increments at one receptor from the candidate segments (ascending ids): line and point sources
    // summed in segment order, then the nearest SRM1 street within its reach.
    Increments increments(const Prepared& prep, const std::vector<std::uint32_t>& candidates, Point2 p,
                          std::vector<std::array<double, kPollutantCount>>* per_emitter) const {
        Increments inc;
        double best = std::numeric_limits<double>::infinity();
        for (const auto id : candidates) {
            const auto& s = prep.segments[id];
            const auto& em = prep.emitters[s.emitter];
            const double d = distance_to_segment_m(s.a, s.b, p);
            if (em.dispersion != 0) {
                if (d <= srm1_max_distance_m(em.dispersion) && d < best) {
                    best = d;
                    inc.srm1_emitter = static_cast<long>(s.emitter);
                }
                continue;
            }
            if (d > cutoff_m_) continue;
            const ClimateKernel& kernel = *prep.kernels[s.kernel];
            double unit = 0.0;
            if (s.a == s.b) {
                // Point source: C = 1e6 Q K; the kernel table holds r^2 K (r at least 1 m).
                const double dx = p.x - s.a.x, dy = p.y - s.a.y;
                const double r = std::max(d, kMinLineDistanceM);
                unit = 1e6 * kernel.r2_kernel(r, dx, dy) / (r * r);
            } else {
                unit = line_increment_fast_ug_m3(kernel, s.a, s.b, p, 1.0, step_deg_);
            }
            unit *= s.scale;
            for (std::size_t k = 0; k < kPollutantCount; ++k) {
                const double c = em.q[k] * unit;
                inc.line_ug_m3[k] += c;
                if (per_emitter) (*per_emitter)[s.emitter][k] += c;
            }
        }
        if (inc.srm1_emitter >= 0) {
            const auto& em = prep.emitters[static_cast<std::size_t>(inc.srm1_emitter)];
            inc.srm1_distance_m = best;
            inc.srm1_theta = srm1_theta(em.dispersion, best, srm1_min_m_).value_or(0.0);
            for (std::size_t k = 0; k < kPollutantCount; ++k) {
                inc.srm1_ug_m3[k] = srm1_increment_ug_m3(em.q[k] * 1e6, inc.srm1_theta, tree_factor_, regional_wind_);
                if (per_emitter) (*per_emitter)[static_cast<std::size_t>(inc.srm1_emitter)][k] += inc.srm1_ug_m3[k];
            }
        }
        return inc;
    }

    void apply_overrides(EmissionFactors& f) const {
        for (std::size_t k = 0; k < 3; ++k) {
            for (std::size_t c = 0; c < kCategoryCount; ++c) {
                const double v = overrides_[k][std::min<std::size_t>(c, 3)];
                if (v >= 0.0) f.g_per_km[k][c] = v;
            }
        }
        // Direct NO2: the table's no2_g_per_km where given, else direct_no2_fraction x NOx; a given
        // direct_no2_fraction applies to every category.
        for (std::size_t c = 0; c < kCategoryCount; ++c) {
            if (direct_no2_given_ || f.g_per_km[kNo2Direct][c] < 0.0) {
                f.g_per_km[kNo2Direct][c] = f.g_per_km[kNox][c] >= 0.0 ? direct_no2_ * f.g_per_km[kNox][c] : -1.0;
            }
        }
    }

    template <class MakeError>
    void check_factors(const EmissionFactors& f, const MakeError& error) const {
        // A pollutant that is mapped needs every factor; NO2 needs NOx.
        for (std::size_t k = 0; k < 3; ++k) {
            if (!mapped_[k]) continue;
            for (std::size_t c = 0; c < kCategoryCount; ++c) {
                if (f.g_per_km[k][c] < 0.0) throw error(k, c);
            }
        }
    }

    std::shared_ptr<const Prepared> prepared(const LayerStack& stack) const {
        auto optional_set = [&](const char* role) -> std::shared_ptr<const FeatureSet> {
            return stack.has_features(role) ? stack.features_ptr(role) : nullptr;
        };
        std::shared_ptr<const FeatureSet> roads, generic, meteo, factor_table;
        if (use_roads_) {
            roads = optional_set("roads");
            if (!roads) throw DataError("air.traffic needs a 'roads' input (road centre lines with traffic)");
        }
        if (use_generic_) {
            generic = optional_set("air_sources");
            if (!generic) {
                throw DataError("air.traffic with sources 'air_sources' or 'roads_and_air_sources' needs an "
                                "'air_sources' input (points, lines or polygons with emission_<pollutant>_g_s, "
                                "_g_m_s or _g_m2_s)");
            }
        }
        if (table_meteo_) {
            meteo = optional_set("meteo");
            if (!meteo) {
                throw DataError("air.traffic with meteorology 'table' needs a 'meteo' input: joint-frequency rows "
                                "(direction_deg, speed_m_s, frequency and stability for gaussian or "
                                "obukhov_length_m for rline) or hourly records; areatwin ships no default "
                                "climatology because no named source for one was available");
            }
        }
        if (factors_from_file_ && use_roads_) {
            factor_table = optional_set("air_emission_factors");
            if (!factor_table) {
                throw DataError("air.traffic with emission_factors 'file' needs an 'air_emission_factors' input: a "
                                "table with category, nox_g_per_km, pm10_g_per_km, pm25_g_per_km, no2_g_per_km");
            }
        }
        std::lock_guard<std::mutex> lock(cache_mutex_);
        // Keyed by the feature sets themselves (weak pointers), so a freed set whose address is reused
        // never matches.
        if (cache_ && cache_roads_.lock() == roads && cache_generic_.lock() == generic && cache_meteo_.lock() == meteo &&
            cache_factors_.lock() == factor_table) {
            return cache_;
        }
        auto prep = std::make_shared<Prepared>();
        if (factor_table) {
            prep->factors = emission_factors_from_features(*factor_table);
            apply_overrides(prep->factors);
            check_factors(prep->factors, [&](std::size_t k, std::size_t c) {
                return DataError(fmt::format("air.traffic: emission-factor table {}: no {} factor (column {}_g_per_km) "
                                             "for category {}; add it, give ef_{}_{}_g_per_km, or leave {} out of "
                                             "'pollutants'",
                                             prep->factors.source, kPollutantKey[k], kPollutantKey[k],
                                             vehicle_categories()[c], kPollutantKey[k],
                                             kCategoryKey[std::min<std::size_t>(c, 3)], k == 0 ? "no2" : kMappedKey[k]));
            });
        } else {
            prep->factors = factors_;
        }
        prep->kernel_heights.push_back(setup_.source_height_m);
        if (roads) build_roads(*roads, *prep);
        if (generic) build_generic(*generic, *prep);
        prep->index.build(prep->segments, std::max(50.0, cutoff_m_ / 4.0));
        prep->met = table_meteo_ ? expand_to_direction_bins(frequency_rows_from_features(*meteo, setup_.dispersion, met_defaults_))
                                 : single_met_;
        // The kernels depend on the meteorology and the release height only: kept across road and source
        // changes (scenarios), rebuilt when the meteo table changes.
        if (kernel_meteo_.lock() != meteo) kernel_cache_.clear();
        kernel_meteo_ = meteo;
        for (const double h : prep->kernel_heights) {
            auto& kernel = kernel_cache_[h];
            if (!kernel) {
                PlumeSetup setup = setup_;
                setup.source_height_m = h;
                kernel = std::make_shared<const ClimateKernel>(setup, prep->met, cutoff_m_);
            }
            prep->kernels.push_back(kernel);
        }
        cache_ = prep;
        cache_roads_ = roads;
        cache_generic_ = generic;
        cache_meteo_ = meteo;
        cache_factors_ = factor_table;
        return cache_;
    }

    void build_roads(const FeatureSet& set, Prepared& prep) const {
        for (std::size_t i = 0; i < set.features.size(); ++i) {
            const Feature& f = set.features[i];
            if (f.geometry.kind != Geometry::Kind::Line) {
                throw DataError(fmt::format("air.traffic: road feature {} ({}) is not a line", f.id, f.source));
            }
            Emitter road;
            road.feature = i;
            road.dispersion = dispersion_of(f, default_type_, canyon_type_);
            EmissionFactors own;
            const bool per_road = road_factors(f, prep, own);
            const EmissionFactors& factors = per_road ? own : prep.factors;
            for (std::size_t c = 0; c < kCategoryCount; ++c) {
                const double flow = annual_mean_flow_veh_per_h(f, vehicle_categories()[c]);
                for (std::size_t k = 0; k < kPollutantCount; ++k) {
                    const double ef = std::max(0.0, factors.g_per_km[k][c]);
                    // q (g/m/s) = N (veh/h) EF (g/km) / (1000 * 3600), section 8.
                    road.q[k] += flow * ef / 3.6e6;
                }
            }
            const auto index = static_cast<std::uint32_t>(prep.emitters.size());
            prep.emitters.push_back(road);
            for (const auto& part : f.geometry.lines) {
                for (std::size_t j = 1; j < part.size(); ++j) {
                    if (part[j - 1] == part[j]) continue;
                    prep.segments.push_back({part[j - 1], part[j], index, 0, 1.0});
                }
            }
        }
    }

    // A road's own factors when it gives a speed type or a stagnation share (air-method.md section 2.1:
    // E = N {(1 - f_s) EF_speed type + f_s EF_stagnating}, speed types of section 2.6), from the shipped
    // Mobiliteitsscan tables of the chosen reference year. False when the road gives neither.
    bool road_factors(const Feature& f, const Prepared& prep, EmissionFactors& out) const {
        const auto speed_type = f.text("speed_type");
        const auto stagnation = f.number("stagnation_share");
        if (!speed_type && !stagnation) return false;
        auto fail = [&](const std::string& what) {
            return DataError(fmt::format("air.traffic: road feature {} ({}): {}", f.id, f.source, what));
        };
        const std::string prefix = "mobiliteitsscan_";
        const auto year_end = factor_name_.find('_', prefix.size());
        if (factor_name_.rfind(prefix, 0) != 0 || year_end == std::string::npos) {
            throw fail(fmt::format("speed_type and stagnation_share select factors among the shipped Mobiliteitsscan tables "
                                   "of one reference year; emission_factors '{}' has no speed types (choose e.g. "
                                   "mobiliteitsscan_2021_urban_normal, or leave the attributes out)",
                                   factor_name_));
        }
        const std::string family = factor_name_.substr(0, year_end + 1);  // "mobiliteitsscan_2021_"
        auto table = [&](std::string type) {
            static const std::map<std::string, std::string> imaer{
                {"B", "buitenweg"}, {"C", "urban_normal"}, {"D", "urban_stagnating"}, {"E", "urban_free_flow"}};
            if (const auto it = imaer.find(type); it != imaer.end()) type = it->second;
            const auto names = emission_factor_table_names();
            if (std::find(names.begin(), names.end(), family + type) == names.end()) {
                std::vector<std::string> types;
                for (const auto& n : names) {
                    if (n.rfind(family, 0) == 0) types.push_back(n.substr(family.size()));
                }
                throw fail(fmt::format("speed_type '{}' has no table {} (speed types of {}: {})", type, family + type,
                                       family.substr(0, family.size() - 1), fmt::join(types, ", ")));
            }
            EmissionFactors t = emission_factor_table(family + type);
            apply_overrides(t);
            return t;
        };
        out = speed_type ? table(*speed_type) : prep.factors;
        if (stagnation) {
            const double fs = *stagnation;
            if (!(fs >= 0.0 && fs <= 1.0)) throw fail(fmt::format("stagnation_share {} is not between 0 and 1", fs));
            if (fs > 0.0) {
                const EmissionFactors stagnating = table("urban_stagnating");
                for (std::size_t k = 0; k < kPollutantCount; ++k) {
                    for (std::size_t c = 0; c < kCategoryCount; ++c) {
                        const double a = out.g_per_km[k][c];
                        const double b = stagnating.g_per_km[k][c];
                        out.g_per_km[k][c] = (a < 0.0 || b < 0.0) ? -1.0 : (1.0 - fs) * a + fs * b;
                    }
                }
            }
        }
        check_factors(out, [&](std::size_t k, std::size_t c) {
            return fail(fmt::format("its speed type's table has no {} factor for {}; give ef_{}_{}_g_per_km or leave {} out "
                                    "of 'pollutants'",
                                    kPollutantKey[k], vehicle_categories()[c], kPollutantKey[k],
                                    kCategoryKey[std::min<std::size_t>(c, 3)], k == 0 ? "no2" : kMappedKey[k]));
        });
        return true;
    }

    std::uint32_t kernel_for_height(Prepared& prep, double h) const {
        for (std::size_t i = 0; i < prep.kernel_heights.size(); ++i) {
            if (prep.kernel_heights[i] == h) return static_cast<std::uint32_t>(i);
        }
        prep.kernel_heights.push_back(h);
        return static_cast<std::uint32_t>(prep.kernel_heights.size() - 1);
    }

    // Generic sources (air_sources): points in g/s, lines in g/m/s, polygons in g/m2/s, per pollutant;
    // release height height_m (default source_height_m).
    void build_generic(const FeatureSet& set, Prepared& prep) const {
        for (std::size_t i = 0; i < set.features.size(); ++i) {
            const Feature& f = set.features[i];
            auto where = [&](const std::string& what) {
                return DataError(fmt::format("air.traffic: air_sources feature {} ({}): {}", f.id, f.source, what));
            };
            Emitter em;
            em.generic = true;
            em.feature = i;
            em.kind = f.geometry.kind;
            const char* suffix = f.geometry.kind == Geometry::Kind::Point ? "g_s"
                                 : f.geometry.kind == Geometry::Kind::Line ? "g_m_s"
                                                                           : "g_m2_s";
            bool any = false;
            bool direct_given = false;
            for (std::size_t k = 0; k < kPollutantCount; ++k) {
                const std::string key = fmt::format("emission_{}_{}", kPollutantKey[k], suffix);
                const auto it = f.attributes.find(key);
                if (it == f.attributes.end() || std::holds_alternative<std::monostate>(it->second)) continue;
                const auto v = f.number(key);
                if (!v || *v < 0.0) throw where(fmt::format("{} must be a non-negative number", key));
                em.q[k] = *v;
                any = true;
                if (k == kNo2Direct) direct_given = true;
            }
            if (!any) {
                throw where(fmt::format("no emission: give emission_<pollutant>_{} for nox, pm10, pm25 (and no2 for the "
                                        "direct NO2 share)",
                                        suffix));
            }
            for (const auto& [key, value] : f.attributes) {
                if (key.rfind("emission_", 0) == 0 && key.find(suffix) == std::string::npos) {
                    throw where(fmt::format("'{}' does not fit a {} source: its emissions are emission_<pollutant>_{}", key,
                                            f.geometry.kind == Geometry::Kind::Point ? "point"
                                            : f.geometry.kind == Geometry::Kind::Line ? "line" : "polygon",
                                            suffix));
                }
            }
            if (!direct_given) em.q[kNo2Direct] = direct_no2_ * em.q[kNox];
            const double h = f.number_or("height_m", setup_.source_height_m);
            if (!(h >= 0.0 && h <= 500.0)) throw where(fmt::format("height_m = {} is outside 0-500 m", h));
            const std::uint32_t kernel = kernel_for_height(prep, h);
            const auto index = static_cast<std::uint32_t>(prep.emitters.size());
            prep.emitters.push_back(em);
            if (f.geometry.kind == Geometry::Kind::Point) {
                for (const auto& pt : f.geometry.points) prep.segments.push_back({pt, pt, index, kernel, 1.0});
            } else if (f.geometry.kind == Geometry::Kind::Line) {
                for (const auto& part : f.geometry.lines) {
                    for (std::size_t j = 1; j < part.size(); ++j) {
                        if (part[j - 1] == part[j]) continue;
                        prep.segments.push_back({part[j - 1], part[j], index, kernel, 1.0});
                    }
                }
            } else {
                add_area_source(f, index, kernel, prep, where);
            }
        }
    }

    // An area source as a lattice of point sources (spacing sqrt(area)/10 within 1-10 m), each carrying
    // its share of the polygon's area, so the total emission is exact.
    template <class Where>
    void add_area_source(const Feature& f, std::uint32_t index, std::uint32_t kernel, Prepared& prep, const Where& where) const {
        const double area = f.geometry.area_m2();
        if (!(area > 0.0)) throw where("the polygon has no area");
        const double spacing = std::clamp(std::sqrt(area) / 10.0, 1.0, 10.0);
        const Box2 box = f.geometry.bounds();
        std::vector<Point2> lattice;
        for (double y = box.min_y + spacing / 2.0; y < box.max_y; y += spacing) {
            for (double x = box.min_x + spacing / 2.0; x < box.max_x; x += spacing) {
                if (f.geometry.contains({x, y})) lattice.push_back({x, y});
            }
        }
        if (lattice.empty()) lattice.push_back({(box.min_x + box.max_x) / 2.0, (box.min_y + box.max_y) / 2.0});
        const double share = area / static_cast<double>(lattice.size());
        for (const auto& pt : lattice) prep.segments.push_back({pt, pt, index, kernel, share});
    }

    std::array<bool, 3> mapped_{};
    bool table_meteo_ = false;
    bool use_roads_ = true;
    bool use_generic_ = false;
    bool background_raster_ = false;
    bool correction_raster_ = false;
    bool point_receptors_ = false;
    PlumeSetup setup_;
    MetCondition met_defaults_;
    double cutoff_m_ = 2000.0;
    double step_deg_ = 1.0;
    int default_type_ = 0;
    int canyon_type_ = 1;
    double tree_factor_ = 1.0;
    double srm1_min_m_ = 3.5;
    double regional_wind_ = 5.0;
    double direct_no2_ = 0.05;
    bool direct_no2_given_ = false;
    double o3_ = 0.0;
    double mask_fraction_ = 0.99;
    std::array<double, 3> background_{};
    std::array<double, 3> double_counting_{};
    std::string factor_name_;
    bool factors_from_file_ = false;
    std::array<std::array<double, 4>, 3> overrides_{};
    EmissionFactors factors_;
    std::vector<MetCondition> single_met_;

    mutable std::mutex cache_mutex_;
    mutable std::shared_ptr<const Prepared> cache_;
    mutable std::weak_ptr<const FeatureSet> cache_roads_;
    mutable std::weak_ptr<const FeatureSet> cache_generic_;
    mutable std::weak_ptr<const FeatureSet> cache_meteo_;
    mutable std::weak_ptr<const FeatureSet> cache_factors_;
    mutable std::map<double, std::shared_ptr<const ClimateKernel>> kernel_cache_;
    mutable std::weak_ptr<const FeatureSet> kernel_meteo_;
};

}  // namespace

namespace {

// The embedded CSV tables as feature sets (one feature per row, empty cells absent), so the shipped tables
// and a user's table go through the same reader.
FeatureSet csv_rows(const char* text, const std::string& file, std::string& header) {
    FeatureSet set;
    set.role = "air_emission_factors";
    std::istringstream in(text);
    std::string line;
    std::vector<std::string> columns;
    std::int64_t row = 0;
    auto split = [](const std::string& l) {
        std::vector<std::string> cells;
        std::string cell;
        for (char c : l) {
            if (c == ',') {
                cells.push_back(cell);
                cell.clear();
            } else if (c != '\r') {
                cell.push_back(c);
            }
        }
        cells.push_back(cell);
        return cells;
    };
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        if (line[0] == '#') {
            header += (header.empty() ? "" : " ") + line.substr(line.find_first_not_of("# "));
            continue;
        }
        auto cells = split(line);
        if (columns.empty()) {
            columns = std::move(cells);
            continue;
        }
        if (cells.size() != columns.size()) {
            throw InternalError(fmt::format("embedded table {}: row '{}' has {} cells, expected {}", file, line,
                                            cells.size(), columns.size()));
        }
        Feature f;
        f.id = ++row;
        f.source = file;
        for (std::size_t i = 0; i < cells.size(); ++i) {
            if (!cells[i].empty()) f.attributes[columns[i]] = cells[i];
        }
        set.features.push_back(std::move(f));
    }
    return set;
}

struct ShippedTables {
    std::vector<std::string> names;
    std::map<std::string, EmissionFactors> tables;
};

const ShippedTables& shipped_tables() {
    static const ShippedTables shipped = [] {
        ShippedTables s;
        const std::array<std::pair<const char*, const char*>, 2> files{{
            {"indicators/air/data/emission_factors_mobiliteitsscan.csv", tables::emission_factors_mobiliteitsscan_csv},
            {"indicators/air/data/emission_factors_rbl2007.csv", tables::emission_factors_rbl2007_csv},
        }};
        for (const auto& [file, text] : files) {
            std::string header;
            const FeatureSet rows = csv_rows(text, file, header);
            std::map<std::string, FeatureSet> by_table;
            for (const auto& f : rows.features) {
                const auto name = f.text("table").value_or("");
                if (by_table.count(name) == 0) s.names.push_back(name);
                by_table[name].features.push_back(f);
            }
            for (auto& [name, set] : by_table) {
                set.role = "air_emission_factors";
                EmissionFactors ef = emission_factors_from_features(set);
                ef.source = fmt::format("{} (table {}): {}", file, name, header);
                s.tables.emplace(name, std::move(ef));
            }
        }
        return s;
    }();
    return shipped;
}

}  // namespace

std::vector<std::string> emission_factor_table_names() {
    auto names = shipped_tables().names;
    names.emplace_back("none");
    return names;
}

EmissionFactors emission_factor_table(const std::string& name) {
    if (name == "none") {
        EmissionFactors f;
        for (auto& row : f.g_per_km) row.fill(-1.0);
        f.source = "none: every factor from the ef_* parameters";
        return f;
    }
    const auto& shipped = shipped_tables();
    const auto it = shipped.tables.find(name);
    if (it == shipped.tables.end()) throw ConfigError(fmt::format("air.traffic: unknown emission-factor table '{}'", name));
    return it->second;
}

EmissionFactors emission_factors_from_features(const FeatureSet& table) {
    EmissionFactors out;
    for (auto& row : out.g_per_km) row.fill(-1.0);
    std::array<bool, kCategoryCount> seen{};
    std::string source;
    for (const auto& f : table.features) {
        if (source.empty()) source = f.source;
        auto where = [&](const std::string& column, const std::string& what) {
            return DataError(fmt::format("air.traffic: emission-factor table {}, row {}, column '{}': {}", f.source, f.id,
                                         column, what));
        };
        auto cat_text = f.text("category");
        if (!cat_text || cat_text->empty()) throw where("category", "missing (cat1, cat2, cat3, cat4a or cat4b)");
        std::string cat = *cat_text;
        std::transform(cat.begin(), cat.end(), cat.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (cat.rfind("cat", 0) != 0) cat = "cat" + cat;
        const auto& cats = vehicle_categories();
        const auto pos = std::find(cats.begin(), cats.end(), cat);
        if (pos == cats.end()) {
            throw where("category", fmt::format("'{}' is not one of cat1, cat2, cat3, cat4a, cat4b (or 1, 2, 3, 4a, 4b)", *cat_text));
        }
        const auto c = static_cast<std::size_t>(pos - cats.begin());
        if (seen[c]) throw where("category", fmt::format("{} is given twice", cat));
        seen[c] = true;
        for (std::size_t k = 0; k < kPollutantCount; ++k) {
            const std::string column = fmt::format("{}_g_per_km", kPollutantKey[k]);
            const auto it = f.attributes.find(column);
            if (it == f.attributes.end() || std::holds_alternative<std::monostate>(it->second)) continue;
            if (const auto* t = std::get_if<std::string>(&it->second); t && t->empty()) continue;
            const auto v = f.number(column);
            if (!v || *v < 0.0 || *v > 1000.0) throw where(column, "must be a number of g/km between 0 and 1000");
            out.g_per_km[k][c] = *v;
        }
    }
    for (std::size_t c = 0; c < 3; ++c) {
        if (!seen[c]) {
            throw DataError(fmt::format("air.traffic: emission-factor table {}: no row for category {} (cat1, cat2 and "
                                        "cat3 are required; cat4a and cat4b take cat1 when absent)",
                                        source.empty() ? table.role : source, vehicle_categories()[c]));
        }
    }
    for (std::size_t c = 3; c < kCategoryCount; ++c) {
        if (seen[c]) continue;
        for (auto& row : out.g_per_km) row[c] = row[0];
    }
    out.source = source;
    return out;
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

std::vector<FrequencyRow> frequency_rows_from_features(const FeatureSet& meteo, Dispersion dispersion,
                                                       const MetCondition& defaults) {
    std::vector<FrequencyRow> rows;
    std::set<double> directions;
    bool any_frequency = false;
    bool all_frequency = true;
    const bool rline = dispersion == Dispersion::Rline;
    for (const auto& f : meteo.features) {
        auto where = [&](const std::string& what) {
            return DataError(fmt::format("air.traffic: meteo row {} ({}): {}", f.id, f.source, what));
        };
        FrequencyRow row;
        const auto dir = f.number("direction_deg");
        const auto speed = f.number("speed_m_s");
        if (!dir || *dir < 0.0 || *dir > 360.0) throw where("direction_deg missing or outside 0-360");
        if (!speed || !(*speed >= 0.0)) throw where("speed_m_s missing or negative");
        row.direction_from_deg = *dir;
        if (rline) {
            const auto L = f.number("obukhov_length_m");
            if (!L) {
                throw where("obukhov_length_m missing: the rline model needs the Monin-Obukhov length of each row (0 = "
                            "neutral); Pasquill classes are read by dispersion: gaussian only");
            }
            row.speed_m_s = *speed;
            row.obukhov_length_m = *L == 0.0 ? std::numeric_limits<double>::infinity() : *L;
            row.friction_velocity_m_s = f.number_or("friction_velocity_m_s", 0.0);
            row.roughness_m = f.number_or("roughness_length_m", defaults.roughness_m);
            row.reference_height_m = f.number_or("reference_height_m", defaults.reference_height_m);
            row.convective_velocity_m_s = f.number_or("convective_velocity_m_s", 0.0);
            row.mixing_height_m = f.number_or("mixing_height_m", 0.0);
            if (row.friction_velocity_m_s < 0.0) throw where("friction_velocity_m_s must not be negative");
            try {
                (void)surface_layer(met_condition_of(row));
            } catch (const DataError& e) {
                throw where(e.what());
            }
        } else {
            const auto stab_text = f.text("stability");
            const auto stab = stab_text ? parse_stability(*stab_text) : std::nullopt;
            if (!stab) throw where("stability must be a Pasquill class A-F");
            // Below 1 m/s the Gaussian model is outside its validity (CALINE3, section 7.5): such hours count at 1 m/s.
            row.speed_m_s = std::max(*speed, 1.0);
            row.stability = *stab;
        }
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

namespace {
std::vector<std::string> rl_results() {
    return {"u_star_m_s", "sigma_v_m_s", "u_eff_m_s", "sigma_y_m", "sigma_z_m", "meander_fraction"};
}
}  // namespace

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
    Formula rl;
    rl.name = "rline_plume";
    rl.summary = "R-LINE v1.2 surface layer and plume at a downwind distance: u* from the Monin-Obukhov profile, "
                 "sigma_v, effective wind, sigma_y, sigma_z and the meander share (air-method.md sections 6.3-6.5)";
    rl.inputs = {number_parameter("x_m", "m", "downwind distance", 100.0, 1.0, 100000.0),
                 number_parameter("wind_speed_m_s", "m/s", "wind speed at the reference height", 5.0, 0.0, 30.0),
                 number_parameter("reference_height_m", "m", "height of the wind speed", 10.0, 1.0, 200.0),
                 number_parameter("roughness_length_m", "m", "roughness length z0", 0.3, 0.0001, 3.0),
                 number_parameter("obukhov_length_m", "m", "Monin-Obukhov length (0 = neutral)", 0.0, -100000.0, 100000.0),
                 number_parameter("friction_velocity_m_s", "m/s", "friction velocity (0 = from the wind)", 0.0, 0.0, 5.0),
                 number_parameter("convective_velocity_m_s", "m/s", "convective velocity w*", 0.0, 0.0, 10.0),
                 number_parameter("mixing_height_m", "m", "mixing height (0 = no cap)", 0.0, 0.0, 5000.0),
                 number_parameter("sigma_z0_m", "m", "initial vertical spread", 1.8, 0.0, 10.0),
                 number_parameter("sigma_y0_m", "m", "initial lateral spread", 0.0, 0.0, 50.0),
                 number_parameter("source_height_m", "m", "release height", 0.0, 0.0, 100.0)};
    rl.results = rl_results();
    rl.evaluate = [](const Parameters& p) {
        FormulaResult r;
        MetCondition m;
        m.speed_m_s = p.number("wind_speed_m_s");
        m.reference_height_m = p.number("reference_height_m");
        m.roughness_m = p.number("roughness_length_m");
        const double L = p.number("obukhov_length_m");
        m.obukhov_length_m = L == 0.0 ? std::numeric_limits<double>::infinity() : L;
        m.friction_velocity_m_s = p.number("friction_velocity_m_s");
        m.convective_velocity_m_s = p.number("convective_velocity_m_s");
        m.mixing_height_m = p.number("mixing_height_m");
        PlumeSetup setup;
        setup.dispersion = Dispersion::Rline;
        setup.sigma_z0_m = p.number("sigma_z0_m");
        setup.sigma_y0_m = p.number("sigma_y0_m");
        setup.source_height_m = p.number("source_height_m");
        SurfaceLayer sl;
        try {
            sl = surface_layer(m);
        } catch (const DataError& e) {
            for (const auto& name : rl_results()) r.values[name] = std::nullopt;
            r.warnings.push_back(e.what());
            return r;
        }
        const double x = p.number("x_m");
        const auto plume = rline_plume(sl, setup, x);
        r.values["u_star_m_s"] = sl.u_star_m_s;
        r.values["sigma_v_m_s"] = sl.sigma_v_m_s;
        r.values["u_eff_m_s"] = plume.u_eff_m_s;
        r.values["sigma_y_m"] = plume.sigma_y_m;
        r.values["sigma_z_m"] = plume.sigma_z_m;
        r.values["meander_fraction"] = rline_meander_fraction(sl, plume.u_eff_m_s, x);
        return r;
    };
    return {sig, line, srm1, no2, rl};
}

}  // namespace areatwin::indicators::air
