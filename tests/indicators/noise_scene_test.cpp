// SPDX-License-Identifier: GPL-3.0-or-later
// noise.cnossos through the engine's normal inputs: ISO/TR 17534-4 TC01-TC04 and TC07 built as a LayerStack
// (a noise_sources point of 93 dB per band, a receivers point, ground_g zones as polygons, the barrier as a
// barriers line with height_m), generic sources and barriers on grid maps, and the bad-input errors.
//
// Expected values: ISO/TR 17534-4:2020 TC01-TC04 and TC07 as transcribed in
// ../shared/reference/noise-method.md section 12.3/12.4 (from Universite-Gustave-Eiffel/NoiseModelling
// AttenuationComputeOutputCnossosTest.java, commit 35d2da1b). Conditions of section 12.1: 10 degC, 70 % RH,
// p = 0.5, c = 340 m/s, G_s = local G.
#include <cmath>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/executor.hpp"
#include "areatwin/engine/rasterize.hpp"
#include "areatwin/engine/roles.hpp"
#include "areatwin/indicators/all.hpp"
#include "noise/cnossos_path.hpp"
#include "noise/noise_cnossos.hpp"
#include "support/synthetic.hpp"

namespace areatwin::indicators::noise {
namespace {

constexpr double kTolDb = 0.1;  // ISO/TR 17534-4 conformity, per band

Feature point_feature(std::int64_t id, Point2 p) {
    Feature f;
    f.id = id;
    f.source = "test";
    f.geometry.kind = Geometry::Kind::Point;
    f.geometry.points.push_back(p);
    return f;
}

Feature line_feature(std::int64_t id, std::vector<Point2> pts) {
    Feature f;
    f.id = id;
    f.source = "test";
    f.geometry.kind = Geometry::Kind::Line;
    f.geometry.lines.push_back(std::move(pts));
    return f;
}

Feature zone(std::int64_t id, double x0, double y0, double x1, double y1, double g) {
    Feature f;
    f.id = id;
    f.source = "test";
    f.geometry.kind = Geometry::Kind::Polygon;
    f.geometry.polygons.push_back(Polygon{{Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}});
    f.attributes["g"] = g;
    return f;
}

std::shared_ptr<FeatureSet> features(const std::string& role, std::vector<Feature> fs) {
    auto set = std::make_shared<FeatureSet>();
    set->role = role;
    set->features = std::move(fs);
    return set;
}

// The ISO test source: S = (10, 10), 1 m above ground, 93 dB in every band (period-independent lw_<band>).
Feature iso_source() {
    Feature s = point_feature(1, {10.0, 10.0});
    s.attributes["height_m"] = 1.0;
    for (const char* band : {"63", "125", "250", "500", "1000", "2000", "4000", "8000"}) {
        s.attributes[std::string("lw_") + band] = 93.0;
    }
    return s;
}

std::unique_ptr<IndicatorModel> iso_model() {
    return builtin_registry().get("noise.cnossos").configure({
        {"sources", RawValue{std::string("noise_sources"), ""}},
        {"ground_g_source", RawValue{std::string("layer"), ""}},
        {"barriers", RawValue{std::string("yes"), ""}},
        {"point_receivers", RawValue{std::string("yes"), ""}},
        {"temperature_c", RawValue{10.0, ""}},
        {"humidity_pct", RawValue{70.0, ""}},
        {"favourable_probability", RawValue{0.5, ""}},
    });
}

// Flat ground at 0 m (no dem), no buildings; 5 m cells over x -50..300, y -300..300.
LayerStack iso_stack(std::vector<Feature> zones, std::vector<Feature> barriers = {}) {
    const auto grid = test::make_grid(70, 120, 5.0, -50.0, 300.0);
    LayerStack stack(grid);
    stack.set_features("noise_sources", features("noise_sources", {iso_source()}));
    Feature r = point_feature(1, {200.0, 50.0});
    r.attributes["height_m"] = 4.0;
    r.attributes["name"] = std::string("R");
    stack.set_features("receivers", features("receivers", {r}));
    stack.set_features("ground_g", features("ground_g", std::move(zones)));
    stack.set_features("barriers", features("barriers", std::move(barriers)));
    return stack;
}

struct Expected {
    Bands l_h, l_f, l;
};

void expect_case(const std::string& name, const LayerStack& stack, const Expected& e) {
    const auto m = iso_model();
    const auto levels = noise_point_levels(*m, stack, {{200.0, 50.0}}, {4.0});
    ASSERT_EQ(levels.size(), 1u);
    const auto& l = levels[0];
    double max_h = 0.0, max_f = 0.0, max_l = 0.0;
    for (std::size_t p = 0; p < 3; ++p) {
        for (std::size_t i = 0; i < kBandCount; ++i) {
            SCOPED_TRACE(testing::Message() << name << " period " << p << " band " << kNominalHz[i] << " Hz");
            EXPECT_NEAR(l.l_h_db[p][i], e.l_h[i], kTolDb);
            EXPECT_NEAR(l.l_f_db[p][i], e.l_f[i], kTolDb);
            EXPECT_NEAR(l.l_db[p][i], e.l[i], kTolDb);
            max_h = std::max(max_h, std::abs(l.l_h_db[p][i] - e.l_h[i]));
            max_f = std::max(max_f, std::abs(l.l_f_db[p][i] - e.l_f[i]));
            max_l = std::max(max_l, std::abs(l.l_db[p][i] - e.l[i]));
        }
    }
    std::printf("%s (engine inputs): max |delta| L_H %.3f dB, L_F %.3f dB, L %.3f dB\n", name.c_str(), max_h, max_f, max_l);
}

TEST(NoiseIsoScene, Tc01ReflectingGround) {
    expect_case("TC01", iso_stack({zone(1, -50, -300, 300, 300, 0.0)}),
                {{39.21, 39.16, 39.03, 38.86, 38.53, 37.36, 32.87, 16.54},
                 {40.58, 40.52, 40.40, 40.23, 39.89, 38.72, 34.24, 17.90},
                 {39.95, 39.89, 39.77, 39.60, 39.26, 38.09, 33.61, 17.27}});
}

TEST(NoiseIsoScene, Tc02MixedGround) {
    expect_case("TC02", iso_stack({zone(1, -50, -300, 300, 300, 0.5)}),
                {{37.71, 37.66, 37.53, 35.01, 29.82, 35.86, 31.37, 15.04},
                 {38.39, 38.34, 38.22, 38.04, 36.45, 36.54, 32.05, 15.72},
                 {38.07, 38.01, 37.89, 36.79, 34.29, 36.21, 31.73, 15.39}});
}

TEST(NoiseIsoScene, Tc03PorousGround) {
    expect_case("TC03", iso_stack({zone(1, -50, -300, 300, 300, 1.0)}),
                {{36.21, 36.16, 34.45, 26.19, 30.49, 34.36, 29.87, 13.54},
                 {36.21, 36.16, 36.03, 31.63, 35.53, 34.36, 29.87, 13.54},
                 {36.21, 36.16, 35.31, 29.71, 33.70, 34.36, 29.87, 13.54}});
}

TEST(NoiseIsoScene, Tc04SpatiallyVaryingGround) {
    // Section 12.2: x in [0, 50] G = 0.2, [50, 150] 0.5, [150, 225] 0.9, y in [-20, 80].
    expect_case("TC04",
                iso_stack({zone(1, 0, -20, 50, 80, 0.2), zone(2, 50, -20, 150, 80, 0.5), zone(3, 150, -20, 225, 80, 0.9)}),
                {{37.59, 37.53, 37.41, 34.10, 29.29, 35.73, 31.25, 14.91},
                 {38.21, 38.15, 38.03, 37.86, 36.48, 36.36, 31.87, 15.54},
                 {37.91, 37.85, 37.73, 36.37, 34.23, 36.06, 31.57, 15.24}});
}

TEST(NoiseIsoScene, Tc07LongThinBarrier) {
    // Section 12.2/12.4: G 0.9 / 0.5 / 0.2 over x in [0, 50] / [50, 150] / [150, 225], y in [-250, 250]; a wall
    // from (100, 240) to (265, -180), 6 m high, given as a barriers line.
    Feature wall = line_feature(7, {{100.0, 240.0}, {265.0, -180.0}});
    wall.attributes["height_m"] = 6.0;
    expect_case("TC07",
                iso_stack({zone(1, 0, -250, 50, 250, 0.9), zone(2, 50, -250, 150, 250, 0.5), zone(3, 150, -250, 225, 250, 0.2)},
                          {wall}),
                {{32.54, 31.32, 29.60, 27.37, 22.22, 20.76, 13.44, -5.81},
                 {32.85, 31.83, 30.35, 28.36, 25.78, 22.06, 14.81, -4.41},
                 {32.70, 31.58, 29.99, 27.89, 24.36, 21.46, 14.18, -5.05}});
}

// The receivers role through compute_points: the noise_receivers layer carries the TC07 levels per band
// (section 12.4, L at 1000 Hz 24.36 dB, L_H 22.22, L_F 25.78), the receiver's name, EU thresholds on Lden and
// Lnight and the DIN 45682 classes.
TEST(NoisePointReceivers, ComputePointsWritesTheReceiverLayer) {
    Feature wall = line_feature(7, {{100.0, 240.0}, {265.0, -180.0}});
    wall.attributes["height_m"] = 6.0;
    const auto stack = iso_stack(
        {zone(1, 0, -250, 50, 250, 0.9), zone(2, 50, -250, 150, 250, 0.5), zone(3, 150, -250, 225, 250, 0.2)}, {wall});
    const auto layers = iso_model()->compute_points(stack, 2);
    ASSERT_EQ(layers.size(), 1u);
    const auto& l = layers[0];
    EXPECT_EQ(l.name, "noise_receivers");
    ASSERT_EQ(l.points.size(), 1u);
    EXPECT_EQ(l.points[0].x, 200.0);
    const auto col = [&](const std::string& name) -> const PointColumn& {
        for (const auto& c : l.columns) {
            if (c.name == name) return c;
        }
        throw std::runtime_error("no column " + name);
    };
    EXPECT_EQ(col("name").texts.at(0), "R");
    EXPECT_NEAR(col("l_day_1000_db").values.at(0), 24.36, kTolDb);
    EXPECT_NEAR(col("l_night_8000_db").values.at(0), -5.05, kTolDb);
    EXPECT_NEAR(col("lh_day_1000_db").values.at(0), 22.22, kTolDb);
    EXPECT_NEAR(col("lf_day_1000_db").values.at(0), 25.78, kTolDb);
    EXPECT_EQ(col("lden_dba").thresholds, (std::vector<double>{55, 60, 65, 70, 75}));
    EXPECT_EQ(col("lnight_dba").thresholds, (std::vector<double>{50, 55, 60, 65, 70}));
    // Same source power in every period: Lden = Lday + 10 lg((12 + 4 x 10^0.5 + 8 x 10)/24) (section 10).
    EXPECT_NEAR(col("lden_dba").values.at(0) - col("lday_dba").values.at(0),
                10.0 * std::log10((12.0 + 4.0 * std::sqrt(10.0) + 80.0) / 24.0), 1e-9);
    EXPECT_EQ(l.style_column, "lden_dba");
    ASSERT_EQ(l.classes.size(), 10u);
    EXPECT_EQ(l.classes[4].lower, 55.0);
    EXPECT_EQ(l.classes[4].colour, "#f3c683");
}

// Facade receivers at 4 m, every 10 m: a 20 m x 10 m building gets 2 points on each long facade and 1 on each
// short one, 2 m in front of the facade middles of equal pieces; its 12 dwellings are spread as 2 per point. The
// facade facing a line source south of the building is louder than the screened north facade.
TEST(NoiseFacades, FacadeReceiversCarryTheDwellingsAndSeeScreening) {
    const auto grid = test::make_grid(40, 40, 5.0, 0.0, 200.0);
    LayerStack stack(grid);
    Feature line = line_feature(1, {{-100.0, 60.0}, {300.0, 60.0}});
    line.attributes["height_m"] = 0.5;
    for (const char* band : {"63", "125", "250", "500", "1000", "2000", "4000", "8000"}) {
        line.attributes[std::string("lw_") + band] = 80.0;
    }
    stack.set_features("noise_sources", features("noise_sources", {line}));
    Feature b = zone(5, 90, 100, 110, 110, 0.0);  // counter-clockwise ring
    b.attributes.clear();
    b.attributes["height_m"] = 9.0;
    b.attributes["dwellings"] = 12.0;
    stack.set_features("buildings", features("buildings", {b}));
    Raster height(grid.cols, grid.rows, 0.0f);
    for (std::int64_t r = 0; r < grid.rows; ++r) {
        for (std::int64_t c = 0; c < grid.cols; ++c) {
            if (b.geometry.contains({grid.cell_center_x(c), grid.cell_center_y(r)})) height.at(c, r) = 9.0f;
        }
    }
    stack.set_raster(std::string(layer::building_height), std::make_shared<const Raster>(std::move(height)));
    const auto m = builtin_registry().get("noise.cnossos").configure({
        {"sources", RawValue{std::string("noise_sources"), ""}},
        {"facade_receivers", RawValue{std::string("4m"), ""}},
    });
    const auto layers = m->compute_points(stack, 2);
    ASSERT_EQ(layers.size(), 1u);
    const auto& l = layers[0];
    EXPECT_EQ(l.name, "noise_facades");
    ASSERT_EQ(l.points.size(), 6u);
    ASSERT_EQ(l.residents.size(), 6u);
    for (double w : l.residents) EXPECT_DOUBLE_EQ(w, 2.0);
    // South facade y = 100: points at x = 95 and 105, y = 98; north facade y = 110: y = 112.
    double south = 0.0, north = 0.0;
    int n_south = 0, n_north = 0;
    const auto& lden = l.columns[2];
    ASSERT_EQ(lden.name, "lden_dba");
    for (std::size_t k = 0; k < l.points.size(); ++k) {
        if (l.points[k].y == 98.0) {
            EXPECT_TRUE(l.points[k].x == 95.0 || l.points[k].x == 105.0) << l.points[k].x;
            south = lden.values[k];
            ++n_south;
        }
        if (l.points[k].y == 112.0) {
            north = lden.values[k];
            ++n_north;
        }
    }
    EXPECT_EQ(n_south, 2);
    EXPECT_EQ(n_north, 2);
    EXPECT_GT(south, north + 10.0);  // a 9 m building screens the north facade (> 10 dB)
}

// A receiver with a negative height, or a line as a receiver, is a DataError naming the feature.
TEST(NoisePointReceivers, BadReceiversAreDataErrors) {
    auto stack = iso_stack({zone(1, -50, -300, 300, 300, 0.5)});
    Feature r = point_feature(21, {200.0, 50.0});
    r.attributes["height_m"] = -2.0;
    stack.set_features("receivers", features("receivers", {r}));
    try {
        (void)iso_model()->compute_points(stack, 1);
        ADD_FAILURE() << "no DataError";
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("receivers feature 21 (test): height_m must be >= 0"), std::string::npos) << e.what();
    }
    stack.set_features("receivers", features("receivers", {line_feature(22, {{0.0, 0.0}, {1.0, 1.0}})}));
    EXPECT_THROW((void)iso_model()->compute_points(stack, 1), DataError);
}

// Per-period sound powers: lw_<period>_<band> take precedence over lw_<band>; a source 10 dB quieter at
// night lowers only the night level, by 10 dB in every band.
TEST(NoiseGenericSources, PerPeriodPowerOverridesTheFallback) {
    Feature s = iso_source();
    for (const char* band : {"63", "125", "250", "500", "1000", "2000", "4000", "8000"}) {
        s.attributes[std::string("lw_night_") + band] = 83.0;
    }
    auto stack = iso_stack({zone(1, -50, -300, 300, 300, 0.5)});
    const auto base = noise_point_levels(*iso_model(), stack, {{200.0, 50.0}}, {4.0})[0];
    stack.set_features("noise_sources", features("noise_sources", {s}));
    const auto night = noise_point_levels(*iso_model(), stack, {{200.0, 50.0}}, {4.0})[0];
    for (std::size_t i = 0; i < kBandCount; ++i) {
        EXPECT_DOUBLE_EQ(night.l_db[0][i], base.l_db[0][i]);
        EXPECT_NEAR(night.l_db[2][i], base.l_db[2][i] - 10.0, 1e-9);
    }
    // Lden with 12/4/8 h: 10 lg((12 x + 4 x 10^0.5 + 8 x 10 y)/24) with y = x/10 at night (section 10).
    const double x = std::pow(10.0, base.l_dba[0] / 10.0);
    EXPECT_NEAR(night.lden_dba, 10.0 * std::log10((12.0 * x + 4.0 * x * std::sqrt(10.0) + 8.0 * x) / 24.0), 1e-9);
}

// A generic line source of L'W per metre: with a short line (2 m, one piece) it equals a point of
// L'W + 10 lg 2 at its middle.
TEST(NoiseGenericSources, ShortLineEqualsPointOfItsTotalPower) {
    Feature line = line_feature(2, {{9.0, 10.0}, {11.0, 10.0}});
    line.attributes["height_m"] = 1.0;
    for (const char* band : {"63", "125", "250", "500", "1000", "2000", "4000", "8000"}) {
        line.attributes[std::string("lw_") + band] = 90.0;
    }
    auto stack = iso_stack({zone(1, -50, -300, 300, 300, 0.5)});
    const auto point = noise_point_levels(*iso_model(), stack, {{200.0, 50.0}}, {4.0})[0];
    stack.set_features("noise_sources", features("noise_sources", {line}));
    const auto from_line = noise_point_levels(*iso_model(), stack, {{200.0, 50.0}}, {4.0})[0];
    for (std::size_t i = 0; i < kBandCount; ++i) {
        EXPECT_NEAR(from_line.l_db[0][i], point.l_db[0][i] - 93.0 + 90.0 + 10.0 * std::log10(2.0), 1e-9);
    }
}

void expect_data_error(const Feature& f, const std::string& role, const std::string& fragment) {
    auto stack = iso_stack({zone(1, -50, -300, 300, 300, 0.5)});
    stack.set_features(role, features(role, {f}));
    try {
        (void)noise_point_levels(*iso_model(), stack, {{200.0, 50.0}}, {4.0});
        ADD_FAILURE() << "no DataError for " << fragment;
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("feature"), std::string::npos) << e.what();
    }
}

TEST(NoiseGenericSources, BadAttributesAreDataErrorsNamingTheFeature) {
    Feature no_height = iso_source();
    no_height.id = 11;
    no_height.attributes.erase("height_m");
    expect_data_error(no_height, "noise_sources", "noise_sources feature 11 (test): attribute 'height_m'");

    Feature partial = iso_source();
    partial.id = 12;
    partial.attributes["lw_day_63"] = 80.0;
    expect_data_error(partial, "noise_sources", "missing lw_day_125");

    Feature none = point_feature(13, {10.0, 10.0});
    none.attributes["height_m"] = 1.0;
    expect_data_error(none, "noise_sources", "no sound power for the day period");

    Feature text = iso_source();
    text.id = 14;
    text.attributes["lw_500"] = std::string("loud");
    expect_data_error(text, "noise_sources", "attribute 'lw_500' is not a finite number ('loud')");

    Feature polygon = zone(15, 0, 0, 1, 1, 0.0);
    expect_data_error(polygon, "noise_sources", "point or a line, not a polygon");

    Feature wall = line_feature(16, {{100.0, 240.0}, {265.0, -180.0}});
    expect_data_error(wall, "barriers", "barriers feature 16 (test): attribute 'height_m'");
    wall.attributes["height_m"] = -1.0;
    expect_data_error(wall, "barriers", "height_m must be > 0");

    Feature bad_zone = zone(17, 0, 0, 10, 10, 1.5);
    expect_data_error(bad_zone, "ground_g", "ground_g feature 17 (test): g must lie in 0..1");
}

// On a grid map, a long barrier between a road-like generic line source and the receivers lowers every
// cell behind it; cells in front are unchanged (paths that do not cross the barrier).
TEST(NoiseBarriers, LongBarrierLowersEveryCellBehindIt) {
    const auto grid = test::make_grid(30, 30, 5.0, 0.0, 150.0);
    LayerStack stack(grid);
    Feature line = line_feature(1, {{-200.0, 140.0}, {350.0, 140.0}});
    line.attributes["height_m"] = 0.5;
    for (const char* band : {"63", "125", "250", "500", "1000", "2000", "4000", "8000"}) {
        line.attributes[std::string("lw_") + band] = 80.0;
    }
    stack.set_features("noise_sources", features("noise_sources", {line}));
    stack.set_raster(std::string(layer::dem), std::make_shared<const Raster>(test::constant_raster(grid, 0.0f)));
    stack.set_raster(std::string(layer::building_height), std::make_shared<const Raster>(test::constant_raster(grid, 0.0f)));
    const auto m = builtin_registry().get("noise.cnossos").configure({
        {"sources", RawValue{std::string("noise_sources"), ""}},
        {"barriers", RawValue{std::string("yes"), ""}},
        {"max_distance_m", RawValue{300.0, ""}},
        {"reflection_order", RawValue{0.0, ""}},  // screening only: the wall's reflection is tested below
    });
    const auto free = run_indicator(*m, stack, {2, 16, {}});
    Feature wall = line_feature(1, {{-300.0, 130.0}, {450.0, 130.0}});
    wall.attributes["height_m"] = 4.0;
    stack.set_features("barriers", features("barriers", {wall}));
    const auto screened = run_indicator(*m, stack, {2, 16, {}});
    const auto tiled_other = run_indicator(*m, stack, {1, 7, {}});
    for (std::int64_t row = 0; row < grid.rows; ++row) {
        for (std::int64_t col = 0; col < grid.cols; ++col) {
            const double before = free[0].at(col, row), after = screened[0].at(col, row);
            ASSERT_FALSE(std::isnan(before));
            EXPECT_EQ(after, tiled_other[0].at(col, row));  // bitwise for any tile size and thread count
            if (grid.cell_center_y(row) < 125.0) {
                EXPECT_LT(after, before - 3.0) << col << "," << row;  // behind the wall (y < 130), >= 5 m away
            }
            if (grid.cell_center_y(row) > 130.0) EXPECT_EQ(after, before) << col << "," << row;
        }
    }
}

// First-order reflection on a long 10 m wall (a barriers line along y = 0) over hard flat ground: S = (0, 10)
// 1 m high, R = (50, 10) 4 m high. Image source S' = (0, -10): the reflected path is the direct path of
// horizontal length |S'R| = sqrt(50^2 + 20^2) over the same ground, less 10 lg(1 - alpha) with alpha = 0.1
// (Annex II 2.5.8, notes 8.4). Expected per band: L_W + 10 lg(10^(-A(50)/10) + 0.9 x 10^(-A(53.85)/10)) with
// A from cnossos_path on flat hard profiles; both rays pass the wall between its foot and top.
TEST(NoiseReflections, ImageSourceOnALongWallAddsTheReflectedPath) {
    const auto grid = test::make_grid(40, 20, 5.0, -50.0, 60.0);
    LayerStack stack(grid);
    Feature src = iso_source();
    src.geometry.points = {{0.0, 10.0}};
    stack.set_features("noise_sources", features("noise_sources", {src}));
    Feature wall = line_feature(3, {{-100.0, 0.0}, {150.0, 0.0}});
    wall.attributes["height_m"] = 10.0;
    stack.set_features("barriers", features("barriers", {wall}));
    const auto configure = [](double order) {
        return builtin_registry().get("noise.cnossos").configure({
            {"sources", RawValue{std::string("noise_sources"), ""}},
            {"barriers", RawValue{std::string("yes"), ""}},
            {"ground_g", RawValue{0.0, ""}},
            {"reflection_order", RawValue{order, ""}},
            {"temperature_c", RawValue{10.0, ""}},
            {"humidity_pct", RawValue{70.0, ""}},
        });
    };
    const auto with = noise_point_levels(*configure(1.0), stack, {{50.0, 10.0}}, {4.0})[0];
    const auto without = noise_point_levels(*configure(0.0), stack, {{50.0, 10.0}}, {4.0})[0];
    const auto alpha = atmospheric_absorption_db_per_km({10.0, 70.0, 101.325});
    const auto flat = [&](double length) {
        PathProfile p;
        p.length_m = length;
        p.source_z_m = 1.0;
        p.receiver_z_m = 4.0;
        p.terrain = {{0.0, 0.0}, {length, 0.0}};
        p.ground = {{0.0, length, 0.0}};
        return cnossos_path(p, alpha, 0.5);
    };
    const auto direct = flat(50.0);
    const auto image = flat(std::hypot(50.0, 20.0));
    for (std::size_t i = 0; i < kBandCount; ++i) {
        // 1e-6 dB: each source's transfer is kept in float (relative 6e-8, 2.6e-7 dB).
        EXPECT_NEAR(without.l_db[0][i], 93.0 - direct.attenuation_db[i], 1e-6);
        const double e = std::pow(10.0, -direct.attenuation_db[i] / 10.0) + 0.9 * std::pow(10.0, -image.attenuation_db[i] / 10.0);
        EXPECT_NEAR(with.l_db[0][i], 93.0 + 10.0 * std::log10(e), 2e-6) << kNominalHz[i] << " Hz";
    }
}

// Lateral diffraction (parameter, default off): a short 10 m high, 10 m wide wall across the S-R path adds the
// energy of the two paths around its ends, so the level rises; for a wall 400 m wide the lateral paths are long
// and screened by nothing, but their path difference is so large that they add less than 0.1 dB.
TEST(NoiseLateral, PathsAroundAShortWallRaiseTheLevel) {
    const auto run = [](double half_width, const std::string& lateral) {
        const auto grid = test::make_grid(60, 60, 5.0, -100.0, 150.0);
        LayerStack stack(grid);
        Feature src = iso_source();
        src.geometry.points = {{0.0, 0.0}};
        stack.set_features("noise_sources", features("noise_sources", {src}));
        Feature wall = line_feature(3, {{25.0, -half_width}, {25.0, half_width}});
        wall.attributes["height_m"] = 10.0;
        stack.set_features("barriers", features("barriers", {wall}));
        const auto m = builtin_registry().get("noise.cnossos").configure({
            {"sources", RawValue{std::string("noise_sources"), ""}},
            {"barriers", RawValue{std::string("yes"), ""}},
            {"reflection_order", RawValue{0.0, ""}},
            {"lateral_diffraction", RawValue{lateral, ""}},
        });
        return noise_point_levels(*m, stack, {{50.0, 0.0}}, {4.0})[0];
    };
    const auto off = run(5.0, "no"), on = run(5.0, "yes");
    for (std::size_t i = 0; i < kBandCount; ++i) EXPECT_GT(on.l_db[0][i], off.l_db[0][i] + 0.5) << kNominalHz[i];
    const auto wide_off = run(200.0, "no"), wide_on = run(200.0, "yes");
    for (std::size_t i = 0; i < kBandCount; ++i) {
        EXPECT_GE(wide_on.l_db[0][i], wide_off.l_db[0][i]);
        EXPECT_LT(wide_on.l_db[0][i], wide_off.l_db[0][i] + 0.1) << kNominalHz[i];
    }
}

// explain lists the largest contributions with every attenuation term per band; behind the long barrier the
// direct path of the strongest source point is diffracted (A_dif) in both conditions, and the value is the map's.
TEST(NoiseExplain, LargestContributionsWithTermsPerBand) {
    const auto grid = test::make_grid(30, 30, 5.0, 0.0, 150.0);
    LayerStack stack(grid);
    Feature line = line_feature(1, {{-200.0, 140.0}, {350.0, 140.0}});
    line.attributes["height_m"] = 0.5;
    for (const char* band : {"63", "125", "250", "500", "1000", "2000", "4000", "8000"}) {
        line.attributes[std::string("lw_") + band] = 80.0;
    }
    stack.set_features("noise_sources", features("noise_sources", {line}));
    Feature wall = line_feature(2, {{-300.0, 130.0}, {450.0, 130.0}});
    wall.attributes["height_m"] = 4.0;
    stack.set_features("barriers", features("barriers", {wall}));
    const auto m = builtin_registry().get("noise.cnossos").configure({
        {"sources", RawValue{std::string("noise_sources"), ""}},
        {"barriers", RawValue{std::string("yes"), ""}},
        {"max_distance_m", RawValue{300.0, ""}},
    });
    const auto map = run_indicator(*m, stack, {2, 16, {}});
    const double x = grid.cell_center_x(15), y = grid.cell_center_y(10);
    const auto e = m->explain(stack, x, y);
    ASSERT_TRUE(e.value.has_value());
    EXPECT_EQ(static_cast<float>(*e.value), map[0].at(15, 10));
    const Explanation::Term* first = nullptr;
    for (const auto& t : e.terms) {
        if (t.name == "source_1") first = &t;
    }
    ASSERT_NE(first, nullptr);
    for (const char* part : {"noise_sources feature 1", "A_div", "A_atm", "A_boundary,H", "A_dif", "A_boundary,F"}) {
        EXPECT_NE(first->note.find(part), std::string::npos) << part << " in " << first->note;
    }
    EXPECT_LT(first->value, *e.value + 1e-9);  // one contribution is at most the total
}

// Scenario reuse: a traffic-only scenario (flows, speeds and surfaces change, geometry does not) takes every
// cell's propagation from the baseline run and is bitwise identical to a fresh computation; a change of the
// buildings layer is computed afresh.
TEST(NoiseReuse, TrafficOnlyScenarioReusesPropagationBitwise) {
    const auto grid = test::make_grid(24, 20, 5.0, 0.0, 100.0);
    const auto roads = [&](double scale, double speed, const std::string& surface) {
        std::vector<Feature> fs;
        for (int k = 0; k < 2; ++k) {
            Feature f = line_feature(k + 1, {{-50.0, 20.0 + 55.0 * k}, {40.0, 25.0 + 50.0 * k}, {170.0, 22.0 + 52.0 * k}});
            f.attributes["q_cat1_day_veh_per_h"] = 900.0 * scale;
            f.attributes["q_cat1_evening_veh_per_h"] = 300.0 * scale;
            f.attributes["q_cat1_night_veh_per_h"] = 80.0 * scale * (k + 1);
            f.attributes["q_cat3_day_veh_per_h"] = 40.0;
            f.attributes["v_cat1_kmh"] = speed;
            f.attributes["v_cat3_kmh"] = 50.0;
            f.attributes["surface"] = surface;
            fs.push_back(std::move(f));
        }
        return features("roads", std::move(fs));
    };
    LayerStack base(grid);
    base.set_features("roads", roads(1.0, 50.0, "DEF"));
    base.set_raster(std::string(layer::dem), std::make_shared<const Raster>(test::ramp_raster(grid, 0.0f, 0.05f, 0.02f)));
    Raster h(grid.cols, grid.rows, 0.0f);
    for (std::int64_t c = 8; c < 12; ++c) h.at(c, 9) = 12.0f;
    base.set_raster(std::string(layer::building_height), std::make_shared<const Raster>(h));
    const auto m = builtin_registry().get("noise.cnossos").configure({{"max_distance_m", RawValue{200.0, ""}}});
    (void)run_indicator(*m, base, {2, 8, {}});
    EXPECT_EQ(noise_reused_cells(*m), 0u);

    LayerStack traffic = base;
    traffic.set_features("roads", roads(3.0, 30.0, "NL05"));
    const auto reused = run_indicator(*m, traffic, {2, 8, {}});
    EXPECT_EQ(noise_reused_cells(*m), static_cast<std::size_t>(grid.cell_count()));
    const auto fresh = run_indicator(*builtin_registry().get("noise.cnossos").configure({{"max_distance_m", RawValue{200.0, ""}}}),
                                     traffic, {1, 5, {}});
    ASSERT_EQ(reused.size(), fresh.size());
    for (std::size_t k = 0; k < reused.size(); ++k) EXPECT_TRUE(reused[k] == fresh[k]) << "output " << k;
    const auto base_map = run_indicator(*m, base, {2, 8, {}});
    EXPECT_NE(base_map[0].at(3, 3), reused[0].at(3, 3));  // the traffic did change the levels

    LayerStack taller = traffic;
    Raster h2 = h;
    h2.at(8, 9) = 20.0f;
    taller.set_raster(std::string(layer::building_height), std::make_shared<const Raster>(h2));
    const std::size_t before = noise_reused_cells(*m);
    const auto changed = run_indicator(*m, taller, {2, 8, {}});
    EXPECT_EQ(noise_reused_cells(*m), before);  // geometry changed: nothing reused
    const auto changed_fresh =
        run_indicator(*builtin_registry().get("noise.cnossos").configure({{"max_distance_m", RawValue{200.0, ""}}}), taller,
                      {2, 8, {}});
    for (std::size_t k = 0; k < changed.size(); ++k) EXPECT_TRUE(changed[k] == changed_fresh[k]) << "output " << k;

    // A batch's order: baseline, a plan with other buildings, then a traffic-only plan. The baseline's
    // propagation is kept through the building plan, so the traffic-only plan still reuses every cell.
    LayerStack traffic_again = base;
    traffic_again.set_features("roads", roads(0.5, 30.0, "DEF"));
    const std::size_t before_again = noise_reused_cells(*m);
    const auto again = run_indicator(*m, traffic_again, {2, 8, {}});
    EXPECT_EQ(noise_reused_cells(*m) - before_again, static_cast<std::size_t>(grid.cell_count()));
    const auto again_fresh =
        run_indicator(*builtin_registry().get("noise.cnossos").configure({{"max_distance_m", RawValue{200.0, ""}}}),
                      traffic_again, {1, 7, {}});
    for (std::size_t k = 0; k < again.size(); ++k) EXPECT_TRUE(again[k] == again_fresh[k]) << "output " << k;
}

// A road with q light vehicles/h by day, evening_share of it in the evening, a tenth at night and 5 %
// heavy vehicles by day.
Feature light_traffic_road(std::int64_t id, std::vector<Point2> pts, double q, double evening_share) {
    Feature f = line_feature(id, std::move(pts));
    f.attributes["q_cat1_day_veh_per_h"] = q;
    f.attributes["q_cat1_evening_veh_per_h"] = evening_share * q;
    f.attributes["q_cat1_night_veh_per_h"] = 0.1 * q;
    f.attributes["q_cat3_day_veh_per_h"] = 0.05 * q;
    return f;
}

// Scenario reuse across a change of geometry: a plan that adds a building, a road and a barrier in the
// north-east corner of a 400 m x 300 m area recomputes only the cells within reach of those changes (the
// 80 m maximum distance plus the reflection search and two cell diagonals); every other cell takes the
// baseline's transfers and the whole map is bitwise identical to a fresh computation of the plan, with
// reflections on and with lateral paths on.
TEST(NoiseReuse, GeometryChangeRecomputesOnlyCellsWithinReach) {
    const auto grid = test::make_grid(80, 60, 5.0, 0.0, 300.0);
    const auto road = [](std::int64_t id, std::vector<Point2> pts, double q) {
        Feature f = light_traffic_road(id, std::move(pts), q, 0.4);
        f.attributes["v_cat1_kmh"] = 50.0;
        f.attributes["v_cat3_kmh"] = 50.0;
        return f;
    };
    const auto building = [](std::int64_t id, double x0, double y0, double x1, double y1, double h) {
        Feature b = zone(id, x0, y0, x1, y1, 0.0);
        b.attributes.clear();
        b.attributes["height_m"] = h;
        return b;
    };
    const auto stack_of = [&](std::vector<Feature> roads, std::vector<Feature> buildings, std::vector<Feature> walls) {
        LayerStack st(grid);
        Raster height(grid.cols, grid.rows, 0.0f);
        for (const auto& b : buildings) burn_polygon(grid, b.geometry, static_cast<float>(*b.number("height_m")), height);
        st.set_features("roads", features("roads", std::move(roads)));
        st.set_features("buildings", features("buildings", std::move(buildings)));
        st.set_features("barriers", features("barriers", std::move(walls)));
        st.set_raster(std::string(layer::building_height), std::make_shared<const Raster>(std::move(height)));
        return st;
    };
    const std::vector<Feature> roads{road(1, {{-20.0, 40.0}, {420.0, 45.0}}, 1200.0), road(2, {{60.0, -10.0}, {70.0, 310.0}}, 600.0)};
    const std::vector<Feature> buildings{building(11, 100, 60, 130, 80, 12.0), building(12, 30, 100, 50, 140, 9.0),
                                         building(13, 200, 20, 240, 30, 15.0)};
    Feature wall = line_feature(21, {{150.0, 50.0}, {190.0, 50.0}});
    wall.attributes["height_m"] = 3.0;
    const LayerStack base = stack_of(roads, buildings, {wall});

    // The plan: a building and a barrier added, a road added, all at x >= 330 m, y >= 230 m.
    auto plan_roads = roads;
    plan_roads.push_back(road(3, {{330.0, 240.0}, {400.0, 245.0}}, 900.0));
    auto plan_buildings = buildings;
    plan_buildings.insert(plan_buildings.begin() + 1, building(14, 350, 255, 380, 275, 18.0));
    Feature plan_wall = line_feature(22, {{335.0, 250.0}, {360.0, 250.0}});
    plan_wall.attributes["height_m"] = 4.0;
    const LayerStack plan = stack_of(plan_roads, plan_buildings, {plan_wall, wall});

    for (const char* lateral : {"no", "yes"}) {
        SCOPED_TRACE(std::string("lateral_diffraction ") + lateral);
        const std::map<std::string, RawValue> params{{"max_distance_m", RawValue{80.0, ""}},
                                {"barriers", RawValue{std::string("yes"), ""}},
                                {"lateral_diffraction", RawValue{std::string(lateral), ""}}};
        const auto m = builtin_registry().get("noise.cnossos").configure(params);
        (void)run_indicator(*m, base, {2, 16, {}});
        ASSERT_EQ(noise_lent_cells(*m), 0u);
        const auto kept = run_indicator(*m, plan, {2, 16, {}});
        const std::size_t lent = noise_lent_cells(*m);
        const auto fresh = run_indicator(*builtin_registry().get("noise.cnossos").configure(params), plan, {1, 23, {}});
        ASSERT_EQ(kept.size(), fresh.size());
        for (std::size_t k = 0; k < kept.size(); ++k) EXPECT_TRUE(kept[k] == fresh[k]) << "output " << k;

        // Reach: 80 m (no lateral) or 80 + 1.414 (20 + 10) = 122.4 m (lateral), + 2 x 7.07 m. The changes lie
        // in x >= 330, y >= 240, so a cell west of x = 330 - reach - 2 blocks (the reach mask has blocks of
        // floor(reach / 20 m) cells, at most 16: 4 or 6 cells here) or south of y = 240 - reach - 2 blocks is
        // lent for sure, and every cell within reach is recomputed.
        const double reach = (std::string(lateral) == "yes" ? 80.0 + std::sqrt(2.0) * 30.0 : 80.0) + 2.0 * std::sqrt(2.0) * 5.0;
        std::size_t far = 0, near_changes = 0;
        for (std::int64_t r = 0; r < grid.rows; ++r) {
            for (std::int64_t c = 0; c < grid.cols; ++c) {
                const double x = grid.cell_center_x(c), y = grid.cell_center_y(r);
                const double block_m = 5.0 * std::floor(reach / 20.0);
                if (x < 330.0 - reach - 2.0 * block_m || y < 240.0 - reach - 2.0 * block_m) ++far;
                const double dx = std::max(0.0, 330.0 - x), dy = std::max(0.0, 240.0 - y);
                if (std::hypot(dx, dy) <= reach) ++near_changes;
            }
        }
        EXPECT_GE(lent, far);
        EXPECT_LE(lent, static_cast<std::size_t>(grid.cell_count()) - near_changes);
        EXPECT_GT(lent, static_cast<std::size_t>(grid.cell_count()) / 3);
        // The plan did change levels near its changes.
        const auto base_fresh = run_indicator(*builtin_registry().get("noise.cnossos").configure(params), base, {2, 16, {}});
        EXPECT_NE(base_fresh[0].at(grid.col_of(340.0), grid.row_of(235.0)), kept[0].at(grid.col_of(340.0), grid.row_of(235.0)));
    }
}

// A plan with other buildings whose every cell lies within reach recomputes them all (nothing is lent).
TEST(NoiseReuse, GeometryChangeEverywhereLendsNothing) {
    const auto grid = test::make_grid(20, 16, 5.0, 0.0, 80.0);
    LayerStack base(grid);
    Feature f = line_feature(1, {{-20.0, 30.0}, {120.0, 35.0}});
    f.attributes["q_cat1_day_veh_per_h"] = 800.0;
    base.set_features("roads", features("roads", {f}));
    Raster h(grid.cols, grid.rows, 0.0f);
    base.set_raster(std::string(layer::building_height), std::make_shared<const Raster>(h));
    LayerStack plan = base;
    h.at(10, 3) = 10.0f;
    plan.set_raster(std::string(layer::building_height), std::make_shared<const Raster>(h));
    const auto m = builtin_registry().get("noise.cnossos").configure({{"max_distance_m", RawValue{200.0, ""}}});
    (void)run_indicator(*m, base, {2, 8, {}});
    (void)run_indicator(*m, plan, {2, 8, {}});
    EXPECT_EQ(noise_lent_cells(*m), 0u);
    EXPECT_EQ(noise_reused_cells(*m), 0u);
}

// The energy-based cut-off (energy_cutoff_db): a near street, a far street 700 m away and two buildings with
// reflections on. With e = 1 dB every cell is at most 1 dB below the full computation and never above it
// (the bound of the README, under its +3 dB ground allowance), the far street is left out where the near one
// dominates (some cells differ), and the map is bitwise the same for any thread count and tile size.
TEST(NoiseCutoff, LevelsStayWithinTheStatedErrorAndAreTileInvariant) {
    const auto grid = test::make_grid(40, 30, 5.0, 0.0, 150.0);
    LayerStack stack(grid);
    const auto road = [](std::int64_t id, std::vector<Point2> pts, double q) {
        return light_traffic_road(id, std::move(pts), q, 0.3);
    };
    stack.set_features("roads", features("roads", {road(1, {{-100.0, 20.0}, {300.0, 22.0}}, 1500.0),
                                                   road(2, {{-400.0, 850.0}, {600.0, 850.0}}, 800.0)}));
    Feature b1 = zone(5, 40, 60, 80, 75, 0.0), b2 = zone(6, 120, 90, 150, 120, 0.0);
    std::vector<Feature> bs;
    Raster height(grid.cols, grid.rows, 0.0f);
    for (Feature b : {b1, b2}) {
        b.attributes.clear();
        b.attributes["height_m"] = 10.0;
        burn_polygon(grid, b.geometry, 10.0f, height);
        bs.push_back(b);
    }
    stack.set_features("buildings", features("buildings", bs));
    stack.set_raster(std::string(layer::building_height), std::make_shared<const Raster>(std::move(height)));
    const auto model = [](double cutoff) {
        return builtin_registry().get("noise.cnossos").configure({{"max_distance_m", RawValue{1000.0, ""}},
                                                                   {"energy_cutoff_db", RawValue{cutoff, ""}}});
    };
    const auto exact = run_indicator(*model(0.0), stack, {2, 16, {}});
    const auto cut = run_indicator(*model(1.0), stack, {2, 16, {}});
    std::size_t differ = 0, compared = 0;
    for (std::size_t k = 0; k < 2; ++k) {  // Lden, Lnight
        for (std::int64_t r = 0; r < grid.rows; ++r) {
            for (std::int64_t c = 0; c < grid.cols; ++c) {
                const float e = exact[k].at(c, r), v = cut[k].at(c, r);
                ASSERT_EQ(std::isnan(e), std::isnan(v));
                if (std::isnan(e)) continue;
                ++compared;
                EXPECT_LE(v, e + 1e-4f) << c << "," << r;
                EXPECT_GE(v, e - 1.0f - 1e-4f) << c << "," << r;
                if (v != e) ++differ;
            }
        }
    }
    EXPECT_GT(differ, compared / 4);  // the far street is left out near the near one
    for (const auto& [threads, tile] : std::vector<std::pair<int, int>>{{1, 7}, {2, 64}}) {
        const auto again = run_indicator(*model(1.0), stack, {threads, tile, {}});
        for (std::size_t k = 0; k < cut.size(); ++k) EXPECT_TRUE(again[k] == cut[k]) << threads << " threads, tile " << tile;
    }
    EXPECT_THROW((void)model(-0.5), ConfigError);
}

// Per-direction probability of favourable conditions: 4 sectors (north, east, south, west). The ISO path runs
// from S = (10, 10) to R = (200, 50), azimuth 78 degrees (east sector); p = 1 there gives L = L_F and p = 0
// elsewhere changes nothing, so the TC01 receiver sees L_F in every band (notes 12.3).
TEST(NoiseFavourable, SectorOfTheSourceReceiverDirectionIsUsed) {
    const auto m = builtin_registry().get("noise.cnossos").configure({
        {"sources", RawValue{std::string("noise_sources"), ""}},
        {"ground_g_source", RawValue{std::string("layer"), ""}},
        {"favourable_probability", RawValue{std::vector<double>{0.0, 1.0, 0.0, 0.0}, ""}},
    });
    const auto l = noise_point_levels(*m, iso_stack({zone(1, -50, -300, 300, 300, 0.0)}), {{200.0, 50.0}}, {4.0})[0];
    const Bands l_f{40.58, 40.52, 40.40, 40.23, 39.89, 38.72, 34.24, 17.90};
    for (std::size_t i = 0; i < kBandCount; ++i) {
        EXPECT_NEAR(l.l_db[0][i], l_f[i], kTolDb);
        EXPECT_NEAR(l.l_db[0][i], l.l_f_db[0][i], 1e-6);
    }
}

// Without ground zones, a point receiver at a cell centre at the grid height equals the map's cell.
TEST(NoisePointReceivers, PointAtCellCentreEqualsTheMap) {
    const auto grid = test::make_grid(20, 20, 5.0, 0.0, 100.0);
    LayerStack stack(grid);
    Feature line = line_feature(1, {{-50.0, 52.0}, {150.0, 47.0}});
    line.attributes["height_m"] = 0.5;
    for (const char* band : {"63", "125", "250", "500", "1000", "2000", "4000", "8000"}) {
        line.attributes[std::string("lw_") + band] = 80.0;
    }
    stack.set_features("noise_sources", features("noise_sources", {line}));
    stack.set_raster(std::string(layer::dem), std::make_shared<const Raster>(test::ramp_raster(grid, 0.0f, 0.1f, 0.05f)));
    stack.set_raster(std::string(layer::building_height), std::make_shared<const Raster>(test::constant_raster(grid, 0.0f)));
    const auto m = builtin_registry().get("noise.cnossos").configure({{"sources", RawValue{std::string("noise_sources"), ""}}});
    const auto map = run_indicator(*m, stack, {2, 8, {}});
    for (const auto& [col, row] : std::vector<std::pair<int, int>>{{3, 4}, {10, 18}, {19, 0}}) {
        const Point2 p{grid.cell_center_x(col), grid.cell_center_y(row)};
        const auto l = noise_point_levels(*m, stack, {p}, {4.0})[0];
        EXPECT_EQ(static_cast<float>(l.lden_dba), map[0].at(col, row));
        EXPECT_EQ(static_cast<float>(l.l_dba[2]), map[1].at(col, row));
    }
}

}  // namespace
}  // namespace areatwin::indicators::noise
