// SPDX-License-Identifier: GPL-3.0-or-later
// The air.traffic model on small synthetic scenes: emission from flows and factors, the Gaussian and SRM1
// paths against the point formulas, NO2 conversion and background, invariants, meteorology tables.
#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <fmt/format.h>

#include "air/air_traffic.hpp"
#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/executor.hpp"
#include "areatwin/engine/roles.hpp"
#include "areatwin/indicators/all.hpp"
#include "support/synthetic.hpp"

namespace areatwin::indicators::air {
namespace {

using ::testing::HasSubstr;

Feature road(std::int64_t id, std::vector<Point2> line, double light_veh_per_h, double heavy_veh_per_h,
             const std::string& street_type = "") {
    Feature f;
    f.id = id;
    f.source = "test";
    f.geometry.kind = Geometry::Kind::Line;
    f.geometry.lines.push_back(std::move(line));
    for (const auto& period : traffic_periods()) {
        f.attributes["q_cat1_" + period + "_veh_per_h"] = light_veh_per_h;
        f.attributes["q_cat3_" + period + "_veh_per_h"] = heavy_veh_per_h;
    }
    if (!street_type.empty()) f.attributes["street_type"] = street_type;
    return f;
}

LayerStack scene(const GridSpec& grid, std::vector<Feature> roads) {
    LayerStack stack(grid);
    auto set = std::make_shared<FeatureSet>();
    set->role = "roads";
    set->features = std::move(roads);
    stack.set_features("roads", set);
    stack.set_raster(std::string(layer::building_fraction), std::make_shared<const Raster>(test::constant_raster(grid, 0.0f)));
    return stack;
}

std::unique_ptr<IndicatorModel> model(std::map<std::string, RawValue> raw) {
    return indicators::builtin_registry().get("air.traffic").configure(raw);
}

std::size_t output_index(const IndicatorModel& m, const std::string& name) {
    const auto outs = m.outputs();
    for (std::size_t i = 0; i < outs.size(); ++i) {
        if (outs[i].name == name) return i;
    }
    throw std::runtime_error("no output " + name);
}

// A north-south road through the middle of a 100 x 60 grid of 5 m cells; the grid origin is chosen so the
// road is at x = 250 m from the west edge.
GridSpec test_grid() { return test::make_grid(100, 60, 5.0, 0.0, 300.0); }

TEST(AirTraffic, EmissionFromFlowsAndFactors) {
    // 1000 light veh/h in every period and the Rbl 2007 urban factors (0.62 g/km NOx, 0.065 g/km PM10):
    // q = 1000 * 0.62 / 3.6e6 g/m/s (section 8).
    const auto f = road(1, {{0, 0}, {0, 1}}, 1000.0, 0.0);
    EXPECT_DOUBLE_EQ(annual_mean_flow_veh_per_h(f, "cat1"), 1000.0);
    Feature mixed = f;
    mixed.attributes["q_cat1_night_veh_per_h"] = 100.0;  // (12*1000 + 4*1000 + 8*100) / 24 = 700
    EXPECT_DOUBLE_EQ(annual_mean_flow_veh_per_h(mixed, "cat1"), 700.0);
    const auto t = emission_factor_table("rbl2007_urban");
    EXPECT_DOUBLE_EQ(t.g_per_km[kNox][0], 0.62);
    EXPECT_DOUBLE_EQ(t.g_per_km[kPm10][2], 0.515);
    EXPECT_LT(t.g_per_km[kPm25][0], 0.0);  // not in the notes
}

TEST(AirTraffic, GaussianRoadMatchesThePointFormulaOnTheMap) {
    const auto grid = test_grid();
    const auto stack = scene(grid, {road(1, {{250.0, -2000.0}, {250.0, 2300.0}}, 2000.0, 100.0, "open")});
    const auto m = model({{"emission_factors", {std::string("rbl2007_urban"), ""}},
                          {"dispersion", {std::string("gaussian"), ""}},
                          {"sigma_z0_m", {0.0, ""}},
                          {"wind_direction_deg", {270.0, ""}},
                          {"wind_speed_m_s", {4.0, ""}}});
    const auto out = run_indicator(*m, stack, {2, 32, {}});
    const double q_nox = (2000.0 * 0.62 + 100.0 * 15.25) / 3.6e6;
    PlumeSetup setup;  // receptor 1.5 m, source 0 m, Briggs rural, sigma_z0 0
    const auto nox = output_index(*m, "air_nox_traffic");
    for (std::int64_t col : {55, 60, 70, 90}) {
        const double x = grid.cell_center_x(col) - 250.0;
        // Long road, perpendicular wind: the infinite-line form (the road's ends are > 2 km away).
        const double expected = infinite_line_perpendicular_ug_m3(setup, 3, q_nox, 4.0, x);
        EXPECT_NEAR(out[nox].at(col, 30), expected, 0.01 * expected) << col;
    }
    // Upwind: zero.
    EXPECT_EQ(out[nox].at(20, 30), 0.0f);
    // Falls with distance downwind.
    EXPECT_GT(out[nox].at(60, 30), out[nox].at(80, 30));
}

TEST(AirTraffic, Srm1StreetFollowsTheClosedForm) {
    const auto grid = test_grid();
    const auto stack = scene(grid, {road(1, {{250.0, -2000.0}, {250.0, 2300.0}}, 800.0, 0.0, "narrow_canyon")});
    const auto m = model({{"emission_factors", {std::string("rbl2007_urban"), ""}}});
    const auto out = run_indicator(*m, stack, {1, 1024, {}});
    const double e_ug_per_m_s = 800.0 * 0.62 / 3.6e6 * 1e6;
    const auto nox = output_index(*m, "air_nox_traffic");
    for (std::int64_t col : {50, 52, 54}) {  // 2.5, 12.5, 22.5 m from the axis
        const double x = std::abs(grid.cell_center_x(col) - 250.0);
        const double expected = 0.62 * e_ug_per_m_s * *srm1_theta(2, x);
        EXPECT_NEAR(out[nox].at(col, 30), expected, 1e-5 * expected) << col;
    }
    EXPECT_EQ(out[nox].at(60, 30), 0.0f);  // 52.5 m: beyond the 30 m of a narrow canyon
}

TEST(AirTraffic, No2ConversionAndBackgroundMakeTheTotals) {
    const auto grid = test_grid();
    const auto stack = scene(grid, {road(1, {{250.0, -2000.0}, {250.0, 2300.0}}, 1500.0, 50.0, "wide_canyon")});
    const auto m = model({{"background_no2_ug_m3", {22.0, ""}},
                          {"background_pm10_ug_m3", {18.0, ""}},
                          {"background_o3_ug_m3", {45.0, ""}},
                          {"double_counting_no2_ug_m3", {0.5, ""}},
                          {"direct_no2_fraction", {0.1, ""}}});
    const auto out = run_indicator(*m, stack, {2, 16, {}});
    const double nox = out[output_index(*m, "air_nox_traffic")].at(52, 10);
    ASSERT_GT(nox, 1.0);
    const double no2_incr = 0.1 * nox + 0.6 * 45.0 * 0.9 * nox / (0.9 * nox + 100.0);
    EXPECT_NEAR(out[output_index(*m, "air_no2_traffic")].at(52, 10), no2_incr, 1e-4);
    EXPECT_NEAR(out[output_index(*m, "air_no2")].at(52, 10), 22.0 - 0.5 + no2_incr, 1e-4);
    EXPECT_NEAR(out[output_index(*m, "air_pm10")].at(52, 10), 18.0 + out[output_index(*m, "air_pm10_traffic")].at(52, 10), 1e-4);
    // Far from the street only the background remains.
    EXPECT_FLOAT_EQ(out[output_index(*m, "air_no2")].at(0, 10), 21.5f);
}

TEST(AirTraffic, ConcentrationIsLinearInEmission) {
    const auto grid = test_grid();
    const auto m = model({{"pollutants", {std::vector<std::string>{"pm10"}, ""}}});
    const auto one = run_indicator(*m, scene(grid, {road(1, {{250.0, 0.0}, {260.0, 300.0}}, 1000.0, 40.0)}), {2, 32, {}});
    const auto two = run_indicator(*m, scene(grid, {road(1, {{250.0, 0.0}, {260.0, 300.0}}, 2000.0, 80.0)}), {2, 32, {}});
    const auto k = output_index(*m, "air_pm10_traffic");
    for (std::int64_t col : {52, 60, 75, 99}) {
        EXPECT_NEAR(two[k].at(col, 30), 2.0 * one[k].at(col, 30), 1e-6 * two[k].at(col, 30) + 1e-9) << col;
    }
}

TEST(AirTraffic, ReceptorsInsideBuildingsGetNoValue) {
    const auto grid = test_grid();
    auto stack = scene(grid, {road(1, {{250.0, 0.0}, {250.0, 300.0}}, 1000.0, 40.0)});
    auto b = test::constant_raster(grid, 0.2f);
    b.at(10, 10) = 1.0f;
    b.at(11, 10) = Raster::nodata;
    stack.set_raster(std::string(layer::building_fraction), std::make_shared<const Raster>(std::move(b)));
    const auto m = model({});
    const auto out = run_indicator(*m, stack, {1, 64, {}});
    for (const auto& r : out) {
        EXPECT_TRUE(std::isnan(r.at(10, 10)));
        EXPECT_TRUE(std::isnan(r.at(11, 10)));
        EXPECT_FALSE(std::isnan(r.at(12, 10)));
    }
}

std::shared_ptr<FeatureSet> climatology() {
    auto meteo = std::make_shared<FeatureSet>();
    meteo->role = "meteo";
    std::int64_t id = 0;
    const char* classes[3] = {"B", "D", "F"};
    const double speeds[3] = {1.5, 4.0, 8.0};
    for (int s = 0; s < 12; ++s) {
        for (int v = 0; v < 3; ++v) {
            for (int c = 0; c < 3; ++c) {
                Feature f;
                f.id = ++id;
                f.source = "test climatology";
                f.attributes["direction_deg"] = s * 30.0;
                f.attributes["speed_m_s"] = speeds[v];
                f.attributes["stability"] = std::string(classes[c]);
                f.attributes["frequency"] = 100.0 * (s == 8 ? 3.0 : 1.0) / 126.0;  // percent; sums to 100
                meteo->features.push_back(std::move(f));
            }
        }
    }
    return meteo;
}

TEST(AirTraffic, FrequencyTableRowsAreReadAndNormalised) {
    const auto rows = frequency_rows_from_features(*climatology());
    ASSERT_EQ(rows.size(), 108u);
    double total = 0.0;
    for (const auto& r : rows) total += r.frequency;
    EXPECT_NEAR(total, 1.0, 1e-12);
    EXPECT_DOUBLE_EQ(rows.front().sector_width_deg, 30.0);  // 12 distinct directions
    FeatureSet bad = *climatology();
    bad.features[3].attributes["stability"] = std::string("G");
    EXPECT_THROW((void)frequency_rows_from_features(bad), DataError);
}

TEST(AirTraffic, JointFrequencyResultsDoNotDependOnTilesOrThreads) {
    const auto grid = test::make_grid(90, 70, 5.0, 0.0, 350.0);
    auto stack = scene(grid, {road(1, {{40.0, 20.0}, {200.0, 180.0}, {420.0, 190.0}}, 1200.0, 60.0),
                              road(2, {{300.0, 0.0}, {310.0, 350.0}}, 600.0, 10.0, "wide_canyon"),
                              road(3, {{0.0, 300.0}, {450.0, 320.0}}, 900.0, 30.0)});
    stack.set_features("meteo", climatology());
    const auto m = model({{"meteorology", {std::string("table"), ""}},
                          {"dispersion", {std::string("gaussian"), ""}},
                          {"cutoff_m", {150.0, ""}}});
    EXPECT_THAT(m->inputs(), ::testing::Contains("meteo"));
    const auto reference = run_indicator(*m, stack, {1, 1024, {}});
    for (const auto& [threads, tile] : std::vector<std::pair<int, std::int64_t>>{{2, 13}, {2, 64}, {1, 37}}) {
        const auto other = run_indicator(*m, stack, {threads, tile, {}});
        for (std::size_t i = 0; i < other.size(); ++i) EXPECT_TRUE(other[i] == reference[i]) << threads << " " << tile;
    }
    // Explain agrees with the map and its plain-reference check agrees with the kernel.
    const auto e = m->explain(stack, grid.cell_center_x(40), grid.cell_center_y(35));
    ASSERT_TRUE(e.value.has_value());
    EXPECT_NEAR(*e.value, reference[0].at(40, 35), 1e-4);
    double kernel = -1.0, plain = -2.0;
    for (const auto& t : e.terms) {
        if (t.name == "nox_line") kernel = t.value;
        if (t.name == "nox_line_reference") plain = t.value;
    }
    EXPECT_GT(kernel, 0.0);
    EXPECT_NEAR(kernel, plain, 0.01 * plain);
}

TEST(AirTraffic, MissingInputsAndFactorsAreNamed) {
    try {
        (void)model({{"pollutants", {std::vector<std::string>{"no2", "pm25"}, ""}}});
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_THAT(e.what(), HasSubstr("ef_pm25_cat1_g_per_km"));
    }
    // PM2.5 factors given by the user: accepted.
    std::map<std::string, RawValue> raw{{"pollutants", {std::vector<std::string>{"pm25"}, ""}}};
    for (const char* cat : {"cat1", "cat2", "cat3", "cat4"}) raw[fmt::format("ef_pm25_{}_g_per_km", cat)] = {0.01, ""};
    EXPECT_EQ(model(raw)->outputs().front().name, "air_pm25");

    const auto grid = test_grid();
    auto stack = scene(grid, {road(1, {{250.0, 0.0}, {250.0, 300.0}}, 1000.0, 40.0)});
    const auto table = model({{"meteorology", {std::string("table"), ""}}});
    try {
        (void)run_indicator(*table, stack, {1, 64, {}});
        FAIL();
    } catch (const DataError& e) {
        EXPECT_THAT(e.what(), HasSubstr("no default climatology"));
    }
}

TEST(AirTraffic, ThresholdsAreTheEuAndWhoValues) {
    const auto m = model({{"pollutants", {std::vector<std::string>{"no2", "pm10"}, ""}}});
    const auto outs = m->outputs();
    EXPECT_EQ(outs[0].name, "air_no2");
    EXPECT_EQ(outs[0].thresholds, (std::vector<double>{40.0, 20.0, 10.0}));
    EXPECT_EQ(outs[1].thresholds, (std::vector<double>{40.0, 20.0, 15.0}));
}

}  // namespace
}  // namespace areatwin::indicators::air
