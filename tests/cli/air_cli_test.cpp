// SPDX-License-Identifier: GPL-3.0-or-later
// air.traffic through a batch file: the meteo and air_emission_factors table roles read from CSV files in
// tests/data/air/, against the same run with the values given as parameters or a shipped table.
#include <sys/wait.h>

#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "areatwin/io/gpkg_writer.hpp"
#include "support/synthetic.hpp"

namespace areatwin {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

struct Outcome {
    int exit_code = -1;
    std::string err;
};

Outcome run(const std::string& args, const fs::path& dir) {
    const auto err_file = dir / "stderr.txt";
    const std::string cmd = std::string(AREATWIN_BINARY) + " " + args + " >" + (dir / "stdout.txt").string() + " 2>" +
                            err_file.string();
    const int status = std::system(cmd.c_str());
    Outcome o;
    o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream in(err_file);
    std::stringstream ss;
    ss << in.rdbuf();
    o.err = ss.str();
    return o;
}

fs::path samples() { return fs::path(AREATWIN_SOURCE_DIR) / "data-samples"; }
fs::path air_data() { return fs::path(AREATWIN_SOURCE_DIR) / "tests" / "data" / "air"; }

// A 300 m x 300 m corner of the sample area at 10 m with its buildings and roads; `inputs` and
// `parameters` add to it.
std::string batch(const std::string& inputs, const std::string& parameters) {
    const auto s = samples().string();
    return "area:\n"
           "  crs: EPSG:28992\n"
           "  cell_size_m: 10\n"
           "  bbox: [136900, 456000, 137200, 456300]\n"
           "inputs:\n"
           "  buildings: [{source: " + s + "/sample.gpkg, layer: buildings, fields: {height_m: {field: hoogte, unit: m, default: 9}}}]\n"
           "  roads:\n"
           "    - source: " + s + "/sample.gpkg\n"
           "      layer: roads\n"
           "      fields: {q_cat1_day_veh_per_h: q1_d, q_cat1_evening_veh_per_h: q1_e, q_cat1_night_veh_per_h: q1_n,\n"
           "               q_cat2_day_veh_per_h: q2_d, q_cat2_evening_veh_per_h: q2_e, q_cat2_night_veh_per_h: q2_n,\n"
           "               q_cat3_day_veh_per_h: q3_d, q_cat3_evening_veh_per_h: q3_e, q_cat3_night_veh_per_h: q3_n}\n" +
           inputs +
           "indicators:\n"
           "  air.traffic: {cutoff_m: 300, background_no2_ug_m3: 18" + parameters + "}\n"
           "scenarios:\n"
           "  - name: baseline\n"
           "outputs:\n"
           "  path: out/result.gpkg\n";
}

class AirCli : public ::testing::Test {
protected:
    void SetUp() override {
        if (!fs::exists(samples() / "sample.gpkg")) GTEST_SKIP() << "data-samples/sample.gpkg missing";
        dir_ = test::test_tmp_dir(std::string("cli_air_") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    }
    // Runs a batch into its own folder; returns the exit code and stderr.
    Outcome run_batch(const std::string& name, const std::string& text) {
        const auto d = dir_ / name;
        fs::create_directories(d / "out");
        std::ofstream(d / "batch.yaml") << text;
        return run("run -q " + (d / "batch.yaml").string() + " --threads 2", d);
    }
    Raster map(const std::string& name, const std::string& layer) {
        return io::read_gpkg_raster(dir_ / name / "out" / "result.gpkg", layer);
    }
    fs::path dir_;
};

// One meteo row (250 degrees, sector width 0, 4 m/s, neutral, frequency 1) read from CSV gives the map of the same
// condition as parameters: the table role reaches the model unchanged.
TEST_F(AirCli, MeteoTableFromACsvFileMatchesTheSameConditionAsParameters) {
    const std::string meteo = "  meteo: [{source: " + (air_data() / "meteo_single_condition.csv").string() + "}]\n";
    const auto table = run_batch("table", batch(meteo, ", meteorology: table"));
    ASSERT_EQ(table.exit_code, 0) << table.err;
    const auto single = run_batch("single", batch("", ", wind_direction_deg: 250, wind_speed_m_s: 4"));
    ASSERT_EQ(single.exit_code, 0) << single.err;
    const auto a = map("table", "baseline__air_nox_traffic");
    const auto b = map("single", "baseline__air_nox_traffic");
    EXPECT_TRUE(a == b);
    float peak = 0.0f;
    for (const float v : a.values()) {
        if (!std::isnan(v)) peak = std::max(peak, v);
    }
    EXPECT_GT(peak, 1.0f);  // the roads of the sample area give a visible increment

    // A climatology of several rows runs too and differs from the single condition.
    const std::string clim = "  meteo: [{source: " + (air_data() / "meteo_rline_climatology.csv").string() + "}]\n";
    const auto several = run_batch("climatology", batch(clim, ", meteorology: table"));
    ASSERT_EQ(several.exit_code, 0) << several.err;
    EXPECT_FALSE(map("climatology", "baseline__air_nox_traffic") == a);
}

TEST_F(AirCli, EmissionFactorFileMatchesTheShippedTable) {
    const std::string factors =
        "  air_emission_factors: [{source: " + (air_data() / "emission_factors_rbl2007_urban.csv").string() + "}]\n";
    const auto file = run_batch("file", batch(factors, ", emission_factors: file"));
    ASSERT_EQ(file.exit_code, 0) << file.err;
    const auto shipped = run_batch("shipped", batch("", ", emission_factors: rbl2007_urban"));
    ASSERT_EQ(shipped.exit_code, 0) << shipped.err;
    EXPECT_TRUE(map("file", "baseline__air_pm10_traffic") == map("shipped", "baseline__air_pm10_traffic"));
    EXPECT_TRUE(map("file", "baseline__air_no2") == map("shipped", "baseline__air_no2"));
}

TEST_F(AirCli, BadTablesAndMissingClimatologyExitTwoNamingTheCause) {
    // No meteo input with meteorology: table.
    auto o = run_batch("none", batch("", ", meteorology: table"));
    EXPECT_EQ(o.exit_code, 2);
    EXPECT_THAT(o.err, HasSubstr("meteo"));
    // A row outside 0-360 degrees: the file and the row are named.
    const std::string bad_meteo = "  meteo: [{source: " + (air_data() / "meteo_bad_row.csv").string() + "}]\n";
    o = run_batch("bad_meteo", batch(bad_meteo, ", meteorology: table"));
    EXPECT_EQ(o.exit_code, 2);
    EXPECT_THAT(o.err, HasSubstr("meteo_bad_row.csv"));
    EXPECT_THAT(o.err, HasSubstr("direction_deg"));
    // A negative factor: the file, row and column are named.
    const std::string bad_factors =
        "  air_emission_factors: [{source: " + (air_data() / "emission_factors_bad.csv").string() + "}]\n";
    o = run_batch("bad_factors", batch(bad_factors, ", emission_factors: file"));
    EXPECT_EQ(o.exit_code, 2);
    EXPECT_THAT(o.err, HasSubstr("emission_factors_bad.csv"));
    EXPECT_THAT(o.err, HasSubstr("nox_g_per_km"));
    EXPECT_FALSE(fs::exists(dir_ / "bad_factors" / "out" / "result.gpkg"));
}

}  // namespace
}  // namespace areatwin
