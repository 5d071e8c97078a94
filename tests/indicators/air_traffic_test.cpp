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

TEST(AirTraffic, EmissionFactorTablesAreShippedAsDataWithTheirSource) {
    // indicators/air/data/emission_factors_mobiliteitsscan.csv, "Emissiefactoren 2022" (reference year
    // 2021), urban normal: car NOx 0.272, truck PM10 0.1567 (air-method.md section 9.1).
    const auto t = emission_factor_table("mobiliteitsscan_2021_urban_normal");
    EXPECT_DOUBLE_EQ(t.g_per_km[kNox][0], 0.272);
    EXPECT_DOUBLE_EQ(t.g_per_km[kPm10][2], 0.1567);
    EXPECT_DOUBLE_EQ(t.g_per_km[kNox][4], 0.272);  // cat4b takes the car factor
    EXPECT_LT(t.g_per_km[kPm25][0], 0.0);
    EXPECT_THAT(t.source, HasSubstr("emission_factors_mobiliteitsscan.csv"));
    EXPECT_THAT(t.source, HasSubstr("Reference years"));
    const auto names = emission_factor_table_names();
    for (const char* n : {"mobiliteitsscan_2016_motorway", "mobiliteitsscan_2019_urban_stagnating",
                          "mobiliteitsscan_2021_motorway", "rbl2007_urban", "rbl2007_motorway", "none"}) {
        EXPECT_THAT(names, ::testing::Contains(std::string(n)));
    }
    // The 2021 motorway truck PM10, printed 0.897, read as 0.0897 (section 9.1 caveat).
    EXPECT_DOUBLE_EQ(emission_factor_table("mobiliteitsscan_2021_motorway").g_per_km[kPm10][1], 0.0897);
    EXPECT_DOUBLE_EQ(emission_factor_table("rbl2007_motorway").g_per_km[kNox][1], 7.01);
    EXPECT_THROW((void)emission_factor_table("mobiliteitsscan_1999"), ConfigError);
}

std::shared_ptr<FeatureSet> factor_table(std::vector<std::map<std::string, AttributeValue>> rows) {
    auto set = std::make_shared<FeatureSet>();
    set->role = "air_emission_factors";
    std::int64_t id = 0;
    for (auto& r : rows) {
        Feature f;
        f.id = ++id;
        f.source = "factors_2024.csv (factors_2024)";
        f.attributes = std::move(r);
        set->features.push_back(std::move(f));
    }
    return set;
}

TEST(AirTraffic, UserEmissionFactorTableFromTheInput) {
    const auto grid = test_grid();
    auto stack = scene(grid, {road(1, {{250.0, -2000.0}, {250.0, 2300.0}}, 1500.0, 60.0, "open")});
    // Categories as text or number; cat4a/cat4b absent: they take cat1.
    stack.set_features("air_emission_factors",
                       factor_table({{{"category", std::string("cat1")}, {"nox_g_per_km", 0.25}, {"pm10_g_per_km", 0.03},
                                      {"pm25_g_per_km", 0.015}, {"no2_g_per_km", 0.05}},
                                     {{"category", 2.0}, {"nox_g_per_km", 2.0}, {"pm10_g_per_km", 0.08}, {"pm25_g_per_km", 0.04}},
                                     {{"category", std::string("3")}, {"nox_g_per_km", 4.0}, {"pm10_g_per_km", 0.15},
                                      {"pm25_g_per_km", 0.07}, {"no2_g_per_km", 0.4}}}));
    const std::map<std::string, RawValue> common{{"pollutants", {std::vector<std::string>{"no2", "pm10", "pm25"}, ""}},
                                                 {"dispersion", {std::string("gaussian"), ""}}};
    auto raw = common;
    raw["emission_factors"] = {std::string("file"), ""};
    const auto m = model(raw);
    EXPECT_THAT(m->inputs(), ::testing::Contains("air_emission_factors"));
    const auto out = run_indicator(*m, stack, {2, 32, {}});
    // The same factors as parameters give the same map.
    auto by_parameter = common;
    by_parameter["emission_factors"] = {std::string("none"), ""};
    const double nox[4] = {0.25, 2.0, 4.0, 0.25}, pm10[4] = {0.03, 0.08, 0.15, 0.03}, pm25[4] = {0.015, 0.04, 0.07, 0.015};
    for (int c = 0; c < 4; ++c) {
        by_parameter[fmt::format("ef_nox_cat{}_g_per_km", c + 1)] = {nox[c], ""};
        by_parameter[fmt::format("ef_pm10_cat{}_g_per_km", c + 1)] = {pm10[c], ""};
        by_parameter[fmt::format("ef_pm25_cat{}_g_per_km", c + 1)] = {pm25[c], ""};
    }
    const auto m2 = model(by_parameter);
    const auto out2 = run_indicator(*m2, stack, {2, 32, {}});
    const auto k_nox = output_index(*m, "air_nox_traffic");
    const auto k_pm25 = output_index(*m, "air_pm25_traffic");
    EXPECT_TRUE(out[k_nox] == out2[k_nox]);
    EXPECT_TRUE(out[k_pm25] == out2[k_pm25]);
    // Direct NO2 from the table (O3 = 0, so NO2 = f NOx): f = (1500 * 0.05 + 60 * 0.4) / (1500 * 0.25 + 60 * 4)
    // = 99 / 615; the parameter route uses the default f = 0.05.
    const double x = out[k_nox].at(60, 30);
    ASSERT_GT(x, 0.1);
    EXPECT_NEAR(out[output_index(*m, "air_no2_traffic")].at(60, 30), 99.0 / 615.0 * x, 1e-5 * x);
    EXPECT_NEAR(out2[output_index(*m2, "air_no2_traffic")].at(60, 30), 0.05 * x, 1e-5 * x);
}

TEST(AirTraffic, BadEmissionFactorTablesNameTheFileRowAndColumn) {
    const auto grid = test_grid();
    auto stack = scene(grid, {road(1, {{250.0, 0.0}, {250.0, 300.0}}, 1000.0, 40.0)});
    const auto m = model({{"emission_factors", {std::string("file"), ""}}});
    auto message = [&](std::shared_ptr<FeatureSet> table) -> std::string {
        auto s = stack;
        if (table) s.set_features("air_emission_factors", table);
        try {
            (void)run_indicator(*m, s, {1, 1024, {}});
        } catch (const DataError& e) {
            return e.what();
        }
        return "no error";
    };
    const std::map<std::string, AttributeValue> cat1{{"category", std::string("cat1")}, {"nox_g_per_km", 0.3}, {"pm10_g_per_km", 0.02}};
    const std::map<std::string, AttributeValue> cat3{{"category", std::string("cat3")}, {"nox_g_per_km", 4.0}, {"pm10_g_per_km", 0.1}};
    auto bad = message(factor_table({cat1, {{"category", std::string("cat2")}, {"nox_g_per_km", std::string("lots")}}, cat3}));
    EXPECT_THAT(bad, HasSubstr("factors_2024.csv"));
    EXPECT_THAT(bad, HasSubstr("row 2"));
    EXPECT_THAT(bad, HasSubstr("nox_g_per_km"));
    EXPECT_THAT(message(factor_table({cat1, cat3})), HasSubstr("no row for category cat2"));
    EXPECT_THAT(message(factor_table({cat1, {{"category", std::string("van")}}, cat3})), HasSubstr("'van'"));
    // cat2 without PM10 while PM10 is mapped.
    EXPECT_THAT(message(factor_table({cat1, {{"category", std::string("cat2")}, {"nox_g_per_km", 2.0}}, cat3})),
                HasSubstr("pm10_g_per_km"));
    EXPECT_THAT(message(nullptr), HasSubstr("air_emission_factors"));
}

std::shared_ptr<FeatureSet> sources(std::vector<Feature> features) {
    auto set = std::make_shared<FeatureSet>();
    set->role = "air_sources";
    set->features = std::move(features);
    return set;
}

Feature point_source(std::int64_t id, Point2 p, double nox_g_s, double height_m) {
    Feature f;
    f.id = id;
    f.source = "stacks.gpkg (stacks)";
    f.geometry.kind = Geometry::Kind::Point;
    f.geometry.points = {p};
    f.attributes["emission_nox_g_s"] = nox_g_s;
    f.attributes["height_m"] = height_m;
    return f;
}

// A validation scene of generic sources: a point source against the point formula of section 8, a line
// source against a road of the same emission, an area source against a point source far downwind.
TEST(AirTraffic, GenericSourcesMatchTheirFormulas) {
    const auto grid = test_grid();  // x 0-500, y 0-300
    auto stack = scene(grid, {});
    stack.set_features("air_sources", sources({point_source(7, {102.5, 152.5}, 2.0, 10.0)}));
    std::map<std::string, RawValue> raw{{"sources", {std::string("air_sources"), ""}},
                                        {"dispersion", {std::string("gaussian"), ""}},
                                        {"pollutants", {std::vector<std::string>{"no2"}, ""}},
                                        {"sigma_z0_m", {0.0, ""}},
                                        {"wind_speed_m_s", {4.0, ""}}};
    const auto m = model(raw);
    EXPECT_THAT(m->inputs(), ::testing::Not(::testing::Contains("roads")));
    const auto out = run_indicator(*m, stack, {2, 32, {}});
    const auto nox = output_index(*m, "air_nox_traffic");
    // C = 1e6 Q / (2 pi u sy sz) exp(-y^2/2sy^2) [exp(-(z-H)^2/2sz^2) + exp(-(z+H)^2/2sz^2)], Briggs rural D,
    // H = 10 m, z = 1.5 m, wind from the west.
    for (const auto& [col, row] : std::vector<std::pair<std::int64_t, std::int64_t>>{{40, 30}, {60, 30}, {60, 33}, {90, 28}}) {
        const double x = grid.cell_center_x(col) - 102.5, y = grid.cell_center_y(row) - 152.5;
        const auto sg = sigma(SigmaScheme::BriggsRural, 3, x);
        const double v = std::exp(-std::pow(1.5 - 10.0, 2) / (2 * sg.z_m * sg.z_m)) + std::exp(-std::pow(11.5, 2) / (2 * sg.z_m * sg.z_m));
        const double expected = 1e6 * 2.0 / (2 * M_PI * 4.0 * sg.y_m * sg.z_m) * std::exp(-y * y / (2 * sg.y_m * sg.y_m)) * v;
        EXPECT_NEAR(out[nox].at(col, row), expected, 0.01 * expected) << col << "," << row;
    }
    EXPECT_EQ(out[nox].at(10, 30), 0.0f);  // upwind

    // A line source with q = road emission gives the road's map (same kernel at height 0).
    Feature line;
    line.id = 3;
    line.source = "lines";
    line.geometry.kind = Geometry::Kind::Line;
    line.geometry.lines = {{{250.0, 0.0}, {260.0, 300.0}}};
    const auto road_feature = road(1, {{250.0, 0.0}, {260.0, 300.0}}, 1000.0, 40.0, "open");
    const double q_nox = (1000.0 * 0.62 + 40.0 * 15.25) / 3.6e6;  // rbl2007_urban
    line.attributes["emission_nox_g_m_s"] = q_nox;
    line.attributes["height_m"] = 0.0;
    auto line_stack = scene(grid, {});
    line_stack.set_features("air_sources", sources({line}));
    const auto from_line = run_indicator(*m, line_stack, {1, 64, {}});
    auto road_raw = raw;
    road_raw["sources"] = {std::string("roads"), ""};
    road_raw["emission_factors"] = {std::string("rbl2007_urban"), ""};
    const auto road_model = model(road_raw);
    const auto from_road = run_indicator(*road_model, scene(grid, {road_feature}), {1, 64, {}});
    for (std::int64_t col : {52, 60, 80}) {
        EXPECT_NEAR(from_line[nox].at(col, 30), from_road[nox].at(col, 30), 1e-5 * from_road[nox].at(col, 30)) << col;
    }

    // A 20 m x 20 m area source of 2 g/s in total (g/m2/s) against the area integral of the same point
    // formula, by a midpoint rule on 0.5 m squares (independent of the model's 2 m lattice).
    Feature area;
    area.id = 4;
    area.source = "yards";
    area.geometry.kind = Geometry::Kind::Polygon;
    area.geometry.polygons = {Polygon{{{{92.5, 142.5}, {112.5, 142.5}, {112.5, 162.5}, {92.5, 162.5}, {92.5, 142.5}}}}};
    area.attributes["emission_nox_g_m2_s"] = 2.0 / 400.0;
    area.attributes["height_m"] = 10.0;
    auto area_stack = scene(grid, {});
    area_stack.set_features("air_sources", sources({area}));
    const auto from_area = run_indicator(*m, area_stack, {2, 32, {}});
    for (std::int64_t col : {60, 80, 95}) {
        double expected = 0.0;
        for (int i = 0; i < 40; ++i) {
            for (int j = 0; j < 40; ++j) {
                const double x = grid.cell_center_x(col) - (92.75 + 0.5 * i), y = grid.cell_center_y(30) - (142.75 + 0.5 * j);
                const auto sg = sigma(SigmaScheme::BriggsRural, 3, x);
                const double v = std::exp(-std::pow(8.5, 2) / (2 * sg.z_m * sg.z_m)) + std::exp(-std::pow(11.5, 2) / (2 * sg.z_m * sg.z_m));
                expected += 1e6 * (2.0 / 1600.0) / (2 * M_PI * 4.0 * sg.y_m * sg.z_m) * std::exp(-y * y / (2 * sg.y_m * sg.y_m)) * v;
            }
        }
        EXPECT_NEAR(from_area[nox].at(col, 30), expected, 0.015 * expected) << col;
    }
}

TEST(AirTraffic, BadGenericSourcesAreNamed) {
    const auto grid = test_grid();
    const auto m = model({{"sources", {std::string("roads_and_air_sources"), ""}}});
    auto message = [&](std::vector<Feature> features) -> std::string {
        auto stack = scene(grid, {road(1, {{250.0, 0.0}, {250.0, 300.0}}, 1000.0, 40.0)});
        stack.set_features("air_sources", sources(std::move(features)));
        try {
            (void)run_indicator(*m, stack, {1, 1024, {}});
        } catch (const DataError& e) {
            return e.what();
        }
        return "no error";
    };
    auto silent = point_source(11, {100.0, 100.0}, 1.0, 5.0);
    silent.attributes.erase("emission_nox_g_s");
    EXPECT_THAT(message({silent}), HasSubstr("air_sources feature 11 (stacks.gpkg (stacks)): no emission"));
    auto wrong = point_source(12, {100.0, 100.0}, 1.0, 5.0);
    wrong.attributes["emission_pm10_g_m_s"] = 0.1;  // a line rate on a point
    EXPECT_THAT(message({wrong}), HasSubstr("feature 12"));
    auto negative = point_source(13, {100.0, 100.0}, -1.0, 5.0);
    EXPECT_THAT(message({negative}), HasSubstr("emission_nox_g_s must be a non-negative number"));
    EXPECT_THAT(message({point_source(14, {100.0, 100.0}, 1.0, -3.0)}), HasSubstr("height_m"));
    // The role is required when sources include air_sources.
    try {
        (void)run_indicator(*m, scene(grid, {}), {1, 1024, {}});
        FAIL();
    } catch (const DataError& e) {
        EXPECT_THAT(e.what(), HasSubstr("'air_sources' input"));
    }
}

TEST(AirTraffic, BackgroundRastersWithTheConstantAsFallback) {
    const auto grid = test_grid();
    auto stack = scene(grid, {road(1, {{250.0, -2000.0}, {250.0, 2300.0}}, 1500.0, 50.0, "wide_canyon")});
    auto no2 = test::constant_raster(grid, 21.0f);
    no2.at(52, 10) = 25.0f;
    no2.at(0, 10) = Raster::nodata;  // outside the map's coverage: the parameter
    stack.set_raster("background_no2", std::make_shared<const Raster>(std::move(no2)));
    stack.set_raster("background_pm10", std::make_shared<const Raster>(test::constant_raster(grid, 17.0f)));
    auto o3 = test::constant_raster(grid, 40.0f);
    o3.at(52, 10) = 50.0f;
    stack.set_raster("background_o3", std::make_shared<const Raster>(std::move(o3)));
    stack.set_raster("double_counting_no2", std::make_shared<const Raster>(test::constant_raster(grid, 1.5f)));
    stack.set_raster("double_counting_pm10", std::make_shared<const Raster>(test::constant_raster(grid, 0.5f)));
    const auto m = model({{"background", {std::string("raster"), ""}},
                          {"double_counting", {std::string("raster"), ""}},
                          {"background_no2_ug_m3", {19.0, ""}},
                          {"background_o3_ug_m3", {30.0, ""}}});
    EXPECT_THAT(m->inputs(), ::testing::IsSupersetOf({"background_no2", "background_pm10", "background_o3",
                                                      "double_counting_no2", "double_counting_pm10"}));
    const auto out = run_indicator(*m, stack, {2, 16, {}});
    const double nox = out[output_index(*m, "air_nox_traffic")].at(52, 10);
    ASSERT_GT(nox, 1.0);
    // O3 from the raster (50) at this cell; f = 0.05 (the default table has no direct-NO2 factors).
    const double no2_incr = 0.05 * nox + 0.6 * 50.0 * 0.95 * nox / (0.95 * nox + 100.0);
    EXPECT_NEAR(out[output_index(*m, "air_no2_traffic")].at(52, 10), no2_incr, 1e-4);
    EXPECT_NEAR(out[output_index(*m, "air_no2")].at(52, 10), 25.0 - 1.5 + no2_incr, 1e-4);
    EXPECT_NEAR(out[output_index(*m, "air_pm10")].at(52, 10), 17.0 - 0.5 + out[output_index(*m, "air_pm10_traffic")].at(52, 10), 1e-4);
    EXPECT_FLOAT_EQ(out[output_index(*m, "air_no2")].at(0, 10), 19.0f - 1.5f);  // fallback, far from the street
    EXPECT_FLOAT_EQ(out[output_index(*m, "air_no2")].at(1, 10), 21.0f - 1.5f);
    // A missing raster is named.
    stack.remove_raster("background_pm10");
    try {
        (void)run_indicator(*m, stack, {1, 1024, {}});
        FAIL();
    } catch (const DataError& e) {
        EXPECT_THAT(e.what(), HasSubstr("'background_pm10'"));
    }
}

TEST(AirTraffic, ExplainListsRoadsLargestFirstWithTheNo2Steps) {
    const auto grid = test_grid();
    const auto stack = scene(grid, {road(1, {{100.0, -500.0}, {100.0, 800.0}}, 800.0, 10.0, "open"),
                                    road(2, {{240.0, -500.0}, {240.0, 800.0}}, 900.0, 20.0, "open"),
                                    road(3, {{150.0, -500.0}, {150.0, 800.0}}, 300.0, 5.0, "open")});
    const auto m = model({{"background_no2_ug_m3", {20.0, ""}}, {"background_o3_ug_m3", {45.0, ""}}});
    const auto e = m->explain(stack, 262.5, 152.5);
    std::vector<std::pair<std::string, double>> roads;
    for (const auto& t : e.terms) {
        if (t.name.rfind("road_", 0) == 0 && t.name.find(".nox") != std::string::npos) roads.emplace_back(t.name, t.value);
    }
    ASSERT_EQ(roads.size(), 3u);
    EXPECT_EQ(roads[0].first, "road_2.nox");  // 22.5 m downwind
    for (std::size_t i = 1; i < roads.size(); ++i) EXPECT_GE(roads[i - 1].second, roads[i].second);
    double sum = 0.0, nox = -1.0, no2 = -1.0, direct = -1.0, limited = -1.0, total = -1.0;
    for (const auto& [n, v] : roads) sum += v;
    for (const auto& t : e.terms) {
        if (t.name == "nox_traffic") nox = t.value;
        if (t.name == "no2_traffic") no2 = t.value;
        if (t.name == "no2_direct") direct = t.value;
        if (t.name == "no2_ozone_limited") limited = t.value;
        if (t.name == "air_no2") total = t.value;
    }
    EXPECT_NEAR(sum, nox, 1e-9 * nox);
    EXPECT_NEAR(direct, 0.05 * nox, 1e-9);
    EXPECT_NEAR(limited, 0.6 * 45.0 * 0.95 * nox / (0.95 * nox + 100.0), 1e-9);
    EXPECT_NEAR(no2, direct + limited, 1e-12);
    EXPECT_NEAR(total, 20.0 + no2, 1e-12);
}

std::shared_ptr<FeatureSet> rline_climatology(bool with_length) {
    auto meteo = std::make_shared<FeatureSet>();
    meteo->role = "meteo";
    std::int64_t id = 0;
    const double lengths[3] = {-50.0, 0.0, 60.0};
    for (int s = 0; s < 8; ++s) {
        for (int c = 0; c < 3; ++c) {
            Feature f;
            f.id = ++id;
            f.source = "met.csv (met)";
            f.attributes["direction_deg"] = s * 45.0;
            f.attributes["speed_m_s"] = 2.0 + s % 3;
            if (with_length) f.attributes["obukhov_length_m"] = lengths[c];
            f.attributes["frequency"] = 1.0 / 24.0;
            meteo->features.push_back(std::move(f));
        }
    }
    return meteo;
}

TEST(AirTraffic, RlineTableResultsDoNotDependOnTilesOrThreads) {
    const auto grid = test::make_grid(60, 50, 5.0, 0.0, 250.0);
    auto stack = scene(grid, {road(1, {{20.0, 20.0}, {150.0, 140.0}, {300.0, 150.0}}, 1200.0, 60.0),
                              road(2, {{200.0, 0.0}, {210.0, 250.0}}, 600.0, 10.0, "wide_canyon")});
    stack.set_features("meteo", rline_climatology(true));
    const auto m = model({{"meteorology", {std::string("table"), ""}}, {"cutoff_m", {120.0, ""}}});
    const auto reference = run_indicator(*m, stack, {1, 1024, {}});
    for (const auto& [threads, tile] : std::vector<std::pair<int, std::int64_t>>{{2, 13}, {2, 40}}) {
        const auto other = run_indicator(*m, stack, {threads, tile, {}});
        for (std::size_t i = 0; i < other.size(); ++i) EXPECT_TRUE(other[i] == reference[i]) << threads << " " << tile;
    }
    // Upwind of everything there is still meander: no cell of the map is zero.
    const auto nox = output_index(*m, "air_nox_traffic");
    EXPECT_GT(reference[nox].at(0, 49), 0.0f);
    // Rows without an Obukhov length: the error says what rline needs.
    stack.set_features("meteo", rline_climatology(false));
    const auto again = model({{"meteorology", {std::string("table"), ""}}, {"cutoff_m", {120.0, ""}}});
    try {
        (void)run_indicator(*again, stack, {1, 1024, {}});
        FAIL();
    } catch (const DataError& e) {
        EXPECT_THAT(e.what(), HasSubstr("meteo row 1 (met.csv (met)): obukhov_length_m missing"));
    }
}

TEST(AirTraffic, PointReceptorsMatchTheMapAtCellCentres) {
    const auto grid = test_grid();
    auto stack = scene(grid, {road(1, {{250.0, -2000.0}, {250.0, 2300.0}}, 1500.0, 50.0, "open"),
                              road(2, {{0.0, 120.0}, {500.0, 130.0}}, 700.0, 20.0, "wide_canyon")});
    auto receivers = std::make_shared<FeatureSet>();
    receivers->role = "receivers";
    // Two receivers at cell centres (columns 55 and 70 of row 30) and one outside the grid.
    for (const auto& [id, p] : std::vector<std::pair<std::int64_t, Point2>>{
             {1, {grid.cell_center_x(55), grid.cell_center_y(30)}}, {2, {grid.cell_center_x(70), grid.cell_center_y(34)}},
             {3, {600.0, 150.0}}}) {
        Feature f;
        f.id = id;
        f.source = "receivers.gpkg";
        f.geometry.kind = Geometry::Kind::Point;
        f.geometry.points = {p};
        if (id == 1) f.attributes["name"] = std::string("school");
        receivers->features.push_back(std::move(f));
    }
    stack.set_features("receivers", receivers);
    const auto m = model({{"point_receptors", {std::string("receivers"), ""}},
                          {"dispersion", {std::string("gaussian"), ""}},
                          {"background_no2_ug_m3", {20.0, ""}},
                          {"background_o3_ug_m3", {40.0, ""}}});
    EXPECT_THAT(m->inputs(), ::testing::Contains("receivers"));
    const auto maps = run_indicator(*m, stack, {2, 32, {}});
    const auto layers = m->compute_points(stack, 2);
    ASSERT_EQ(layers.size(), 1u);
    const auto& layer = layers[0];
    EXPECT_EQ(layer.name, "air_receptors");
    ASSERT_EQ(layer.points.size(), 3u);
    auto column = [&](const std::string& n) -> const PointColumn& {
        for (const auto& c : layer.columns) {
            if (c.name == n) return c;
        }
        throw std::runtime_error("no column " + n);
    };
    EXPECT_EQ(column("name").texts[0], "school");
    EXPECT_EQ(column("name").texts[1], "2");
    EXPECT_EQ(column("no2_ug_m3").thresholds, (std::vector<double>{40.0, 20.0, 10.0}));
    // The map stores floats: the points agree with it to float precision.
    const std::array<std::pair<std::int64_t, std::int64_t>, 2> cells{{{55, 30}, {70, 34}}};
    for (std::size_t i = 0; i < 2; ++i) {
        const auto [col, row] = cells[i];
        EXPECT_NEAR(column("no2_ug_m3").values[i], maps[output_index(*m, "air_no2")].at(col, row), 1e-4);
        EXPECT_NEAR(column("pm10_traffic_ug_m3").values[i], maps[output_index(*m, "air_pm10_traffic")].at(col, row), 1e-6);
        EXPECT_NEAR(column("nox_traffic_ug_m3").values[i], maps[output_index(*m, "air_nox_traffic")].at(col, row), 1e-4);
    }
    // 100 m east of the grid, the east-west street is out of its reach, the north-south road 350 m upwind
    // is not: a small increment on the constant background.
    EXPECT_GT(column("no2_ug_m3").values[2], 20.0);
    EXPECT_LT(column("no2_ug_m3").values[2], column("no2_ug_m3").values[0]);
    EXPECT_EQ(layer.style_column, "no2_ug_m3");
    EXPECT_EQ(layer.classes.size(), 4u);
    // Without the parameter: no point layer and no receivers input.
    EXPECT_TRUE(model({})->compute_points(stack, 1).empty());
}

TEST(AirTraffic, StylesHaveTheLimitValueClassBreaks) {
    const auto m = model({{"pollutants", {std::vector<std::string>{"no2", "pm10", "pm25"}, ""}},
                          {"ef_pm25_cat1_g_per_km", {0.01, ""}},
                          {"ef_pm25_cat2_g_per_km", {0.05, ""}},
                          {"ef_pm25_cat3_g_per_km", {0.05, ""}},
                          {"ef_pm25_cat4_g_per_km", {0.01, ""}}});
    auto breaks = [&](const std::string& name) {
        std::vector<double> out;
        const auto outs = m->outputs();
        for (const auto& c : outs[output_index(*m, name)].classes) out.push_back(c.lower);
        return out;
    };
    // WHO 2021, EU 2030, EU 2008 limit values (issue 4).
    EXPECT_EQ(breaks("air_no2"), (std::vector<double>{0, 10, 20, 40}));
    EXPECT_EQ(breaks("air_pm10"), (std::vector<double>{0, 15, 20, 40}));
    EXPECT_EQ(breaks("air_pm25"), (std::vector<double>{0, 5, 10, 25}));
    EXPECT_EQ(breaks("air_pm10_traffic").size(), 6u);
    for (const auto& o : m->outputs()) {
        ASSERT_FALSE(o.classes.empty()) << o.name;
        for (std::size_t i = 1; i < o.classes.size(); ++i) EXPECT_GT(o.classes[i].lower, o.classes[i - 1].lower) << o.name;
        for (const auto& c : o.classes) EXPECT_EQ(c.colour.size(), 7u) << o.name;
    }
}

// Per-road speed type and stagnation share (air-method.md section 2.1: E = N {(1 - f_s) EF_speed type +
// f_s EF_stagnating}). A road of speed type urban_stagnating under the default table emits exactly what the
// same road emits under the stagnating table; a stagnation share mixes the increments linearly (the model is
// linear in emission); bad values name the feature.
TEST(AirTraffic, SpeedTypeAndStagnationSharePerRoad) {
    const auto grid = test_grid();
    const std::vector<Point2> line{{250.0, -2000.0}, {250.0, 2300.0}};
    auto with = [&](std::map<std::string, AttributeValue> extra) {
        Feature f = road(1, line, 1500.0, 60.0, "open");
        for (auto& [k, v] : extra) f.attributes[k] = v;
        return scene(grid, {f});
    };
    const std::map<std::string, RawValue> base{{"pollutants", {std::vector<std::string>{"pm10"}, ""}}};
    auto stagnating_table = base;
    stagnating_table["emission_factors"] = {std::string("mobiliteitsscan_2021_urban_stagnating"), ""};
    const auto m = model(base);
    const auto k = output_index(*m, "air_pm10_traffic");
    const auto normal = run_indicator(*m, with({}), {2, 32, {}});
    const auto stagnating = run_indicator(*model(stagnating_table), with({}), {2, 32, {}});
    const auto typed = run_indicator(*m, with({{"speed_type", std::string("urban_stagnating")}}), {2, 32, {}});
    EXPECT_TRUE(typed[k] == stagnating[k]) << "the road's speed type selects the stagnating factors";
    const auto imaer = run_indicator(*m, with({{"speed_type", std::string("D")}}), {2, 32, {}});
    EXPECT_TRUE(imaer[k] == stagnating[k]) << "IMAER code D is urban stagnating";
    const auto mixed = run_indicator(*m, with({{"stagnation_share", 0.25}}), {2, 32, {}});
    for (std::int64_t col : {52, 56, 64}) {
        const double expected = 0.75 * normal[k].at(col, 30) + 0.25 * stagnating[k].at(col, 30);
        ASSERT_GT(expected, 0.0);
        EXPECT_NEAR(mixed[k].at(col, 30), expected, 1e-5 * expected) << col;
    }
    EXPECT_GT(stagnating[k].at(52, 30), normal[k].at(52, 30)) << "stagnating traffic emits more PM10 per km (2021 table)";

    auto expect_error = [&](const std::map<std::string, RawValue>& params, std::map<std::string, AttributeValue> extra,
                            const std::string& text) {
        try {
            (void)run_indicator(*model(params), with(std::move(extra)), {1, 64, {}});
            ADD_FAILURE() << "no error for " << text;
        } catch (const DataError& e) {
            EXPECT_THAT(e.what(), HasSubstr("road feature 1"));
            EXPECT_THAT(e.what(), HasSubstr(text));
        }
    };
    expect_error(base, {{"speed_type", std::string("rush_hour")}}, "speed_type 'rush_hour'");
    expect_error(base, {{"stagnation_share", 1.5}}, "stagnation_share 1.5");
    auto rbl = base;
    rbl["emission_factors"] = {std::string("rbl2007_urban"), ""};
    expect_error(rbl, {{"speed_type", std::string("urban_normal")}}, "no speed types");
}

}  // namespace
}  // namespace areatwin::indicators::air
