// SPDX-License-Identifier: GPL-3.0-or-later
// The areatwin command end to end: exit codes, messages, and that a failed run leaves nothing at
// the output path. Runs the real binary on batches that use the committed sample data.
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "areatwin/io/gpkg_writer.hpp"
#include "support/synthetic.hpp"

namespace areatwin {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

struct Outcome {
    int exit_code = -1;
    std::string out;
    std::string err;
};

Outcome run(const std::string& args, const fs::path& dir) {
    const auto out_file = dir / "stdout.txt";
    const auto err_file = dir / "stderr.txt";
    const std::string cmd = std::string(AREATWIN_BINARY) + " " + args + " >" + out_file.string() + " 2>" + err_file.string();
    const int status = std::system(cmd.c_str());
    Outcome o;
    o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    auto slurp = [](const fs::path& p) {
        std::ifstream in(p);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    };
    o.out = slurp(out_file);
    o.err = slurp(err_file);
    return o;
}

fs::path samples() { return fs::path(AREATWIN_SOURCE_DIR) / "data-samples"; }

// A small batch on a 500 m x 400 m corner of the sample area; `replace` swaps text to make bad cases.
std::string base_batch() {
    const auto s = samples().string();
    return "area:\n"
           "  crs: EPSG:28992\n"
           "  cell_size_m: 10\n"
           "  bbox: [136900, 456000, 137400, 456400]\n"
           "inputs:\n"
           "  buildings:\n"
           "    - source: " + s + "/sample.gpkg\n"
           "      layer: buildings\n"
           "      fields: {height_m: {field: hoogte, unit: m}, dwellings: woningen}\n"
           "  landcover:\n"
           "    - source: " + s + "/sample.gpkg\n"
           "      layer: landcover\n"
           "      class_field: klasse\n"
           "      classes: {verhard: paved, gebouw: building, gras: grass, bomen: trees, struiken: shrubs,\n"
           "                water: water, kaal: bare, landbouw: agriculture}\n"
           "  population: [{source: " + s + "/sample.gpkg, layer: addresses, fields: {residents: inwoners}}]\n"
           "  areas: [{source: " + s + "/sample.gpkg, layer: buurten, fields: {code: buurtcode, name: buurtnaam}}]\n"
           "indicators:\n"
           "  green.share: {radius_m: [100]}\n"
           "scenarios:\n"
           "  - name: baseline\n"
           "  - name: park\n"
           "    edits:\n"
           "      - paint: {class: grass, inside: {source: " + s + "/plans.gpkg, layer: new_park}}\n"
           "  - name: traffic_only\n"
           "    edits:\n"
           "      - scale: {role: buildings, where: {dwellings: [0]}, factors: {height_m: 1.0}}\n"
           "outputs:\n"
           "  path: out/result.gpkg\n";
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    const auto pos = text.find(from);
    EXPECT_NE(pos, std::string::npos) << "fixture text not found: " << from;
    if (pos != std::string::npos) text.replace(pos, from.size(), to);
    return text;
}

fs::path write_batch(const fs::path& dir, const std::string& text) {
    fs::create_directories(dir / "out");
    const auto path = dir / "batch.yaml";
    std::ofstream(path) << text;
    return path;
}

class Cli : public ::testing::Test {
protected:
    void SetUp() override {
        if (!fs::exists(samples() / "sample.gpkg")) GTEST_SKIP() << "data-samples/sample.gpkg missing";
        dir_ = test::test_tmp_dir(std::string("cli_") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    }
    // Runs a bad batch: exit code 2, the message contains every needle, and nothing at the output path.
    void expect_bad(const std::string& batch_text, const std::vector<std::string>& needles, const std::string& extra = "") {
        const auto batch = write_batch(dir_, batch_text);
        const auto o = run("run " + batch.string() + " " + extra, dir_);
        EXPECT_EQ(o.exit_code, 2) << o.err;
        for (const auto& n : needles) EXPECT_THAT(o.err, HasSubstr(n));
        EXPECT_FALSE(fs::exists(dir_ / "out" / "result.gpkg"));
        for (const auto& entry : fs::directory_iterator(dir_ / "out")) ADD_FAILURE() << "left behind: " << entry.path();
    }
    fs::path dir_;
};

TEST_F(Cli, RunWritesTheGeoPackageAndPrintsTheSummary) {
    const auto batch = write_batch(dir_, base_batch());
    const auto o = run("run " + batch.string() + " --threads 2", dir_);
    ASSERT_EQ(o.exit_code, 0) << o.err;
    const auto gpkg = dir_ / "out" / "result.gpkg";
    ASSERT_TRUE(fs::exists(gpkg));
    EXPECT_THAT(o.out, HasSubstr("GeoPackage: " + gpkg.string()));
    EXPECT_THAT(o.out, HasSubstr("green_share_r100 (%)"));
    // The scale by 1.0 leaves the buildings as they were: green.share reads no buildings anyway, so the
    // scenario reuses the baseline's result.
    EXPECT_THAT(o.out, HasSubstr("reused from baseline"));
    EXPECT_THAT(o.err, HasSubstr("green.share reused from 'baseline'"));
    GridSpec grid;
    const auto base = io::read_gpkg_raster(gpkg, "baseline__green_share_r100", &grid);
    EXPECT_EQ(grid.cols, 50);
    EXPECT_EQ(grid.rows, 40);
    const auto park = io::read_gpkg_raster(gpkg, "park__green_share_r100");
    const auto diff = io::read_gpkg_raster(gpkg, "diff__park__green_share_r100");
    const auto same = io::read_gpkg_raster(gpkg, "diff__traffic_only__green_share_r100");
    for (std::int64_t i = 0; i < base.size(); ++i) {
        const auto k = static_cast<std::size_t>(i);
        if (std::isnan(base.values()[k])) continue;
        EXPECT_FLOAT_EQ(diff.values()[k], park.values()[k] - base.values()[k]);
        EXPECT_EQ(same.values()[k], 0.0f);
    }
    const auto manifest = io::read_gpkg_manifest(gpkg);
    EXPECT_EQ(manifest["indicators"][0]["id"], "green.share");
    EXPECT_FALSE(manifest["inputs"].empty());
    for (const auto& f : manifest["inputs"]) EXPECT_EQ(f["sha256"].get<std::string>().size(), 64u);
}

TEST_F(Cli, PerAreaTablesAreWrittenAsCsvBesideTheGeoPackage) {
    const auto batch = write_batch(dir_, base_batch());
    const auto o = run("run -q " + batch.string(), dir_);
    ASSERT_EQ(o.exit_code, 0) << o.err;
    for (const auto* scenario : {"baseline", "park", "traffic_only"}) {
        const auto csv = dir_ / "out" / (std::string("result__areas__") + scenario + ".csv");
        ASSERT_TRUE(fs::exists(csv)) << csv;
        EXPECT_THAT(o.out, HasSubstr("Per-area table: " + csv.string()));
        std::ifstream in(csv);
        std::string header;
        std::getline(in, header);
        EXPECT_THAT(header, HasSubstr("code,name,residents,area_m2,green_share_r100_mean [%]"));
        if (std::string(scenario) != "baseline") EXPECT_THAT(header, HasSubstr("green_share_r100_mean_change [%]"));
    }
    // The change column is the scenario's area mean minus the baseline's, area by area.
    auto read_table = [&](const std::string& scenario) {
        std::ifstream in(dir_ / "out" / ("result__areas__" + scenario + ".csv"));
        std::string line;
        std::getline(in, line);
        std::vector<std::vector<std::string>> rows;
        while (std::getline(in, line)) {
            std::vector<std::string> cells;
            std::stringstream ss(line);
            for (std::string cell; std::getline(ss, cell, ',');) cells.push_back(cell);
            rows.push_back(cells);
        }
        return rows;
    };
    const auto base = read_table("baseline");
    const auto park = read_table("park");
    ASSERT_EQ(base.size(), park.size());
    ASSERT_FALSE(base.empty());
    // Columns: code, name, residents, area_m2, mean (4), min, max, p10, p50, p90, popmean, mean_change (11).
    std::int64_t compared = 0;
    for (std::size_t i = 0; i < base.size(); ++i) {
        if (park[i].size() < 12 || park[i][4].empty() || base[i][4].empty()) continue;
        EXPECT_NEAR(std::stod(park[i][11]), std::stod(park[i][4]) - std::stod(base[i][4]), 1e-6) << park[i][0];
        ++compared;
    }
    EXPECT_GT(compared, 0);
}

TEST_F(Cli, VerifyReportsChangedAndMissingInputs) {
    fs::copy_file(samples() / "plans.gpkg", dir_ / "plans.gpkg");
    const auto batch = write_batch(dir_, replaced(base_batch(), samples().string() + "/plans.gpkg", (dir_ / "plans.gpkg").string()));
    ASSERT_EQ(run("run -q " + batch.string(), dir_).exit_code, 0);
    const auto gpkg = (dir_ / "out" / "result.gpkg").string();
    const auto same = run("verify " + gpkg, dir_);
    EXPECT_EQ(same.exit_code, 0) << same.out << same.err;
    EXPECT_THAT(same.out, HasSubstr("unchanged  batch"));
    EXPECT_THAT(same.out, HasSubstr((dir_ / "plans.gpkg").string()));  // edit files are recorded too
    std::ofstream(dir_ / "plans.gpkg", std::ios::app) << "x";
    const auto changed = run("verify " + gpkg, dir_);
    EXPECT_EQ(changed.exit_code, 2);
    EXPECT_THAT(changed.out, HasSubstr("CHANGED"));
    fs::remove(dir_ / "plans.gpkg");
    const auto missing = run("verify " + gpkg, dir_);
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_THAT(missing.out, HasSubstr("MISSING"));
    const auto not_a_gpkg = run("verify " + (dir_ / "nothing.gpkg").string(), dir_);
    EXPECT_EQ(not_a_gpkg.exit_code, 2);
}

TEST_F(Cli, ComparedPairsGetTheirOwnDifferenceLayers) {
    const auto batch = write_batch(dir_, replaced(base_batch(), "  path: out/result.gpkg\n",
                                                  "  path: out/result.gpkg\n  compare: [[park, traffic_only]]\n"));
    const auto o = run("run -q " + batch.string() + " --scenario park", dir_);
    ASSERT_EQ(o.exit_code, 0) << o.err;
    const auto gpkg = dir_ / "out" / "result.gpkg";
    const auto park = io::read_gpkg_raster(gpkg, "park__green_share_r100");
    const auto other = io::read_gpkg_raster(gpkg, "traffic_only__green_share_r100");  // pulled in by the pair
    const auto diff = io::read_gpkg_raster(gpkg, "diff__park__traffic_only__green_share_r100");
    std::int64_t nonzero = 0;
    for (std::size_t i = 0; i < diff.values().size(); ++i) {
        if (std::isnan(park.values()[i])) continue;
        EXPECT_EQ(diff.values()[i], park.values()[i] - other.values()[i]);
        nonzero += diff.values()[i] != 0.0f;
    }
    EXPECT_GT(nonzero, 0);  // the park changes green shares around it

    fs::remove_all(dir_ / "out");
    expect_bad(replaced(base_batch(), "  path: out/result.gpkg\n", "  path: out/result.gpkg\n  compare: [[park, plan_b]]\n"),
               {"batch.yaml:", "compare", "plan_b"});
}

TEST_F(Cli, VariantsWriteAMapPerValueAndReportTheSpread) {
    const auto batch = write_batch(dir_, replaced(base_batch(), "scenarios:\n",
                                                  "variants:\n  - {indicator: green.share, parameter: nodata_mode, values: [exclude, zero]}\n"
                                                  "  - {indicator: green.share, parameter: radius_m, values: [50, 100]}\n"
                                                  "scenarios:\n"));
    const auto o = run("run -q --no-report " + batch.string(), dir_);
    ASSERT_EQ(o.exit_code, 0) << o.err;
    EXPECT_THAT(o.out, HasSubstr("Parameter variants"));
    EXPECT_THAT(o.out, HasSubstr("radius_m: 50="));
    const auto gpkg = dir_ / "out" / "result.gpkg";
    // The sample land cover covers every cell, so the nodata mode cannot change a value: spread 0.
    EXPECT_TRUE(io::read_gpkg_raster(gpkg, "park__green_share_r100__nodata_mode_zero") ==
                io::read_gpkg_raster(gpkg, "park__green_share_r100__nodata_mode_exclude"));
    // The radius variant with the configured radius equals the main run; the other is a different map.
    EXPECT_TRUE(io::read_gpkg_raster(gpkg, "park__green_share_r100__radius_m_100") ==
                io::read_gpkg_raster(gpkg, "park__green_share_r100"));
    const auto r50 = io::read_gpkg_raster(gpkg, "park__green_share_r50__radius_m_50");
    EXPECT_FALSE(r50 == io::read_gpkg_raster(gpkg, "park__green_share_r100"));
    const auto manifest = io::read_gpkg_manifest(gpkg);
    bool found = false;
    for (const auto& sp : manifest["variant_spread"]) {
        if (sp["parameter"] == "nodata_mode" && sp["scenario"] == "baseline") {
            found = true;
            EXPECT_EQ(sp["spread"], 0.0);
        }
    }
    EXPECT_TRUE(found);

    fs::remove_all(dir_ / "out");
    expect_bad(replaced(base_batch(), "scenarios:\n",
                        "variants:\n  - {indicator: green.share, parameter: radius_m, values: [100, 99999]}\nscenarios:\n"),
               {"green.share", "radius_m", "99999"});
    expect_bad(replaced(base_batch(), "scenarios:\n",
                        "variants:\n  - {indicator: heat.pet, parameter: x, values: [1, 2]}\nscenarios:\n"),
               {"batch.yaml:", "heat.pet", "not listed"});
}

TEST_F(Cli, ScenarioInheritsTheEditsOfItsBase) {
    // park_and_more builds on park and adds a second paint: it must contain park's edit (its park cells
    // equal park's) and differ from park only where its own edit reaches.
    std::ofstream(dir_ / "pond.csv") << "WKT,id\n"
                                        "\"POLYGON((136950 456050,137050 456050,137050 456150,136950 456150,136950 456050))\",1\n";
    const auto batch = write_batch(dir_, replaced(base_batch(), "  - name: traffic_only\n",
                                                  "  - name: park_and_more\n"
                                                  "    base: park\n"
                                                  "    edits:\n"
                                                  "      - paint: {class: water, inside: {source: " + (dir_ / "pond.csv").string() +
                                                      ", layer: pond, assign_crs: 'EPSG:28992'}}\n"
                                                  "  - name: traffic_only\n"));
    const auto o = run("run -q --no-report " + batch.string(), dir_);
    ASSERT_EQ(o.exit_code, 0) << o.err;
    const auto gpkg = dir_ / "out" / "result.gpkg";
    GridSpec grid;
    const auto base = io::read_gpkg_raster(gpkg, "baseline__green_share_r100", &grid);
    const auto park = io::read_gpkg_raster(gpkg, "park__green_share_r100");
    const auto more = io::read_gpkg_raster(gpkg, "park_and_more__green_share_r100");
    std::int64_t inherited_park_cells = 0, pond_cells_changed = 0;
    for (std::int64_t row = 0; row < grid.rows; ++row) {
        for (std::int64_t col = 0; col < grid.cols; ++col) {
            const double x = grid.cell_center_x(col), y = grid.cell_center_y(row);
            // Distance from the cell centre to the pond square; beyond 100 m + one cell the pond cannot reach.
            const double dx = std::max({136950.0 - x, 0.0, x - 137050.0});
            const double dy = std::max({456050.0 - y, 0.0, y - 456150.0});
            const bool pond_reach = std::hypot(dx, dy) <= 110.0;
            if (!pond_reach) {
                EXPECT_EQ(more.at(col, row), park.at(col, row)) << col << "," << row;
                inherited_park_cells += park.at(col, row) != base.at(col, row);
            } else {
                pond_cells_changed += more.at(col, row) != park.at(col, row);
            }
        }
    }
    EXPECT_GT(inherited_park_cells, 0);  // park's edit is present in park_and_more
    EXPECT_GT(pond_cells_changed, 0);    // and its own edit on top
    const auto manifest = io::read_gpkg_manifest(gpkg);
    bool found = false;
    for (const auto& sc : manifest["scenarios"]) {
        if (sc["name"] == "park_and_more") {
            found = true;
            EXPECT_EQ(sc["base"], "park");
        }
    }
    EXPECT_TRUE(found);
}

TEST_F(Cli, ModelCardShowsThePresetValuesInEffect) {
    // green.access preset handbook-2025 (green-method.md 1.1): 500 m canopy buffer, 0.5 ha parks, crowns >= 28 m2.
    auto text = replaced(base_batch(), "green.share: {radius_m: [100]}",
                         "green.share: {radius_m: [100]}\n  green.access: {preset: handbook-2025, canopy_unit: area}");
    text = replaced(text, "  population:", "  trees: [{source: " + samples().string() +
                                               "/sample.gpkg, layer: trees, fields: {height_m: boomhoogte, "
                                               "crown_diameter_m: kroondiameter}}]\n  population:");
    const auto batch = write_batch(dir_, text);
    const auto o = run("run -q --no-report " + batch.string(), dir_);
    ASSERT_EQ(o.exit_code, 0) << o.err;
    const auto manifest = io::read_gpkg_manifest(dir_ / "out" / "result.gpkg");
    bool found = false;
    for (const auto& card : manifest["indicators"]) {
        if (card["id"] != "green.access") continue;
        found = true;
        const auto& p = card["parameters_in_effect"];
        EXPECT_EQ(p["preset"], "handbook-2025");
        EXPECT_EQ(p["canopy_radius_m"], 500.0);
        EXPECT_EQ(p["park_min_area_m2"], 5000.0);
        EXPECT_EQ(p["tree_min_crown_area_m2"], 28.0);
        EXPECT_EQ(p["canopy_unit"], "area");  // given explicitly: the user's value wins over the preset's
    }
    EXPECT_TRUE(found);
}

TEST_F(Cli, ResultsAreBitwiseIdenticalForThreadsAndTileSizes) {
    const auto batch = write_batch(dir_, base_batch());
    ASSERT_EQ(run("run " + batch.string() + " -q --threads 1 --tile-size 256 -o " + (dir_ / "a.gpkg").string(), dir_).exit_code, 0);
    ASSERT_EQ(run("run " + batch.string() + " -q --threads 2 --tile-size 16 -o " + (dir_ / "b.gpkg").string(), dir_).exit_code, 0);
    for (const auto* table : {"baseline__green_share_r100", "park__green_share_r100", "diff__park__green_share_r100"}) {
        EXPECT_TRUE(io::read_gpkg_raster(dir_ / "a.gpkg", table) == io::read_gpkg_raster(dir_ / "b.gpkg", table)) << table;
    }
}

TEST_F(Cli, ValidateChecksWithoutWriting) {
    const auto batch = write_batch(dir_, base_batch());
    const auto o = run("validate " + batch.string(), dir_);
    EXPECT_EQ(o.exit_code, 0) << o.err;
    EXPECT_THAT(o.out, HasSubstr("valid (3 scenario(s), 1 indicator(s), grid 50 x 40 cells"));
    EXPECT_FALSE(fs::exists(dir_ / "out" / "result.gpkg"));
    const auto bad = write_batch(dir_, replaced(base_batch(), "layer: addresses", "layer: adresses"));
    const auto b = run("validate " + bad.string(), dir_);
    EXPECT_EQ(b.exit_code, 2);
    EXPECT_THAT(b.err, HasSubstr("adresses"));
}

TEST_F(Cli, BadMissingBatchFile) {
    const auto o = run("run " + (dir_ / "nope.yaml").string(), dir_);
    EXPECT_EQ(o.exit_code, 2);
    EXPECT_THAT(o.err, HasSubstr("nope.yaml"));
}

TEST_F(Cli, BadMissingInputFile) {
    expect_bad(replaced(base_batch(), "sample.gpkg, layer: addresses", "missing.gpkg, layer: addresses"),
               {"missing.gpkg", "population"});
}

TEST_F(Cli, BadMissingLayer) { expect_bad(replaced(base_batch(), "layer: buurten", "layer: wijken"), {"wijken", "buurten"}); }

TEST_F(Cli, BadMissingField) {
    expect_bad(replaced(base_batch(), "field: hoogte", "field: hoogte_m"), {"hoogte_m", "height_m", "buildings"});
}

TEST_F(Cli, BadSourceWithoutCrs) {
    // A CSV with a WKT column has no CRS.
    std::ofstream(dir_ / "areas.csv") << "WKT,buurtcode,buurtnaam\n"
                                         "\"POLYGON((136900 456000,137400 456000,137400 456400,136900 456400,136900 456000))\",BU1,Een\n";
    expect_bad(replaced(base_batch(), "source: " + samples().string() + "/sample.gpkg, layer: buurten",
                        "source: " + (dir_ / "areas.csv").string() + ", layer: areas"),
               {"areas.csv", "CRS"});
}

TEST_F(Cli, BadUnknownKeyNamesFileLineAndKey) {
    expect_bad(replaced(base_batch(), "  cell_size_m: 10\n", "  cell_size_m: 10\n  cellsize: 5\n"),
               {"batch.yaml:4", "cellsize"});
}

TEST_F(Cli, BadUnknownIndicator) {
    expect_bad(replaced(base_batch(), "green.share: {radius_m: [100]}", "green.shares: {radius_m: [100]}"),
               {"unknown indicator 'green.shares'", "green.share"});
}

TEST_F(Cli, BadOutOfRangeParameter) {
    expect_bad(replaced(base_batch(), "radius_m: [100]", "radius_m: [100, 9000]"),
               {"green.share", "radius_m", "9000", "out of range"});
}

TEST_F(Cli, BadUnknownParameter) {
    expect_bad(replaced(base_batch(), "radius_m: [100]", "radius: 100"), {"green.share", "unknown parameter 'radius'"});
}

TEST_F(Cli, InvalidGeometryIsRepairedWithACountedWarning) {
    // A self-intersecting (bow-tie) neighbourhood: MakeValid repairs it and the run goes on.
    std::ofstream(dir_ / "bowtie.csv") << "WKT,buurtcode,buurtnaam\n"
                                          "\"POLYGON((136900 456000,137400 456400,137400 456000,136900 456400,136900 456000))\",BU1,Strik\n";
    const auto batch = write_batch(
        dir_, replaced(base_batch(), "source: " + samples().string() + "/sample.gpkg, layer: buurten",
                       "source: " + (dir_ / "bowtie.csv").string() + ", layer: bowtie, assign_crs: EPSG:28992"));
    const auto o = run("run " + batch.string(), dir_);
    EXPECT_EQ(o.exit_code, 0) << o.err;
    EXPECT_THAT(o.err, HasSubstr("1 invalid"));
    EXPECT_THAT(o.err, HasSubstr("MakeValid"));
}

TEST_F(Cli, BadNegativeHeight) {
    std::ofstream(dir_ / "b.csv") << "WKT,hoogte,woningen\n"
                                     "\"POLYGON((137100 456100,137120 456100,137120 456120,137100 456120,137100 456100))\",-3,1\n";
    expect_bad(replaced(base_batch(), "source: " + samples().string() + "/sample.gpkg\n      layer: buildings",
                        "source: " + (dir_ / "b.csv").string() + "\n      layer: b\n      assign_crs: EPSG:28992"),
               {"b.csv", "-3", "height_m"});
}

TEST_F(Cli, BadEmptyArea) {
    expect_bad(replaced(base_batch(), "bbox: [136900, 456000, 137400, 456400]", "bbox: [136900, 456000, 136900, 456400]"),
               {"bbox"});
}

TEST_F(Cli, BadUnwritableOutput) {
    expect_bad(base_batch(), {"no_such_folder"}, "-o " + (dir_ / "no_such_folder" / "x.gpkg").string());
}

TEST_F(Cli, BadIndicatorInputWithoutSource) {
    // noise.cnossos reads the roads role, which this batch has no source for: refused before computing.
    expect_bad(replaced(base_batch(), "green.share: {radius_m: [100]}", "noise.cnossos: {}"),
               {"noise.cnossos", "'roads'", "no source"});
}

TEST_F(Cli, BadEditFileMissing) {
    expect_bad(replaced(base_batch(), "plans.gpkg, layer: new_park", "plan.gpkg, layer: new_park"),
               {"plan.gpkg", "park"});
}

TEST_F(Cli, BadMemoryBudgetRefusesBeforeLoading) {
    expect_bad(base_batch(), {"estimated", "budget is 1.0 KiB"}, "--memory-budget 1K");
}

TEST_F(Cli, BadThreadsArgument) {
    const auto batch = write_batch(dir_, base_batch());
    const auto o = run("run " + batch.string() + " --threads 0", dir_);
    EXPECT_EQ(o.exit_code, 2);
    EXPECT_THAT(o.err, HasSubstr("threads"));
    EXPECT_FALSE(fs::exists(dir_ / "out" / "result.gpkg"));
}

TEST_F(Cli, IndicatorsJsonListsModelCards) {
    const auto o = run("indicators --json", dir_);
    ASSERT_EQ(o.exit_code, 0);
    const auto cards = nlohmann::json::parse(o.out);
    ASSERT_FALSE(cards.empty());
    EXPECT_EQ(cards[0]["id"], "green.share");
    EXPECT_EQ(cards[0]["parameters"][0]["name"], "radius_m");
    EXPECT_EQ(cards[0]["parameters"][0]["unit"], "m");
    EXPECT_EQ(cards[0]["outputs"][0]["unit"], "%");
    // Indicators with named presets list every value each preset puts in effect (green-method.md 1.4).
    const auto access = std::find_if(cards.begin(), cards.end(), [](const auto& c) { return c["id"] == "green.access"; });
    ASSERT_NE(access, cards.end());
    const auto& presets = (*access)["presets"];
    ASSERT_TRUE(presets.contains("rivm-2025"));
    EXPECT_EQ(presets["rivm-2025"]["park_min_area_m2"], 10000.0);
    EXPECT_EQ(presets["cobra"]["trees_radius_m"], 25.0);
    EXPECT_EQ(presets["cobra"]["canopy_radius_m"], 500.0);
    EXPECT_EQ(presets["cobra"]["target_height_m"], 1.8) << "values the preset leaves at the default are listed too";
    EXPECT_EQ(presets["zh-open-network"]["park_distance"], "network");
    EXPECT_EQ(presets["zh-open-network"]["park_pass_distance_m"], 425.0);
    EXPECT_EQ(presets["zh-open"]["park_max_perimeter_per_area"], 0.35);
    EXPECT_FALSE(cards[0].contains("presets")) << "green.share has no presets";
}

TEST_F(Cli, FormulaPrintsOneJsonObject) {
    const auto o = run("formula green_disc radius_m=100 cell_size_m=10", dir_);
    ASSERT_EQ(o.exit_code, 0) << o.err;
    const auto j = nlohmann::json::parse(o.out);
    EXPECT_EQ(j["cells"], 317.0);  // Gauss circle N(10), OEIS A000328
    EXPECT_EQ(j["area_m2"], 31700.0);
    EXPECT_TRUE(j["warnings"].empty());
    const auto list = run("formula --list --json", dir_);
    ASSERT_EQ(list.exit_code, 0);
    const auto l = nlohmann::json::parse(list.out);
    EXPECT_EQ(l[0]["name"], "green_disc");
    EXPECT_EQ(l[0]["parameters"][0]["name"], "radius_m");
}

TEST_F(Cli, FormulaOutsideItsDomainGivesNullAndAWarning) {
    // 35 degC at 100 % RH: vapour pressure 56.3 hPa (Hardy ITS-90), above the 50 hPa UTCI validity limit.
    const auto o = run("formula utci ta_c=35 tmrt_c=40 va10_ms=1 rh_pct=100", dir_);
    ASSERT_EQ(o.exit_code, 0) << o.err;
    const auto j = nlohmann::json::parse(o.out);
    EXPECT_TRUE(j["utci_c"].is_null());
    EXPECT_TRUE(j["category"].is_null());
    ASSERT_EQ(j["warnings"].size(), 1u);
    EXPECT_THAT(j["warnings"][0].get<std::string>(), HasSubstr("50 hPa"));
    // The example call: text time, degrees in the names.
    const auto sun = run("formula sun_position utc=2019-07-25T12:00:00Z lat_deg=52.1 lon_deg=5.18", dir_);
    ASSERT_EQ(sun.exit_code, 0) << sun.err;
    const auto s = nlohmann::json::parse(sun.out);
    // At 12:00 UTC on 25 July the sun over 5.18 E is just past due south (solar noon about 11:47 UTC)
    // and about 57.4 deg high (NREL SPA, this build's own golden cases pin the algorithm to its example).
    EXPECT_GT(s["azimuth_deg"].get<double>(), 180.0);
    EXPECT_LT(s["azimuth_deg"].get<double>(), 195.0);
    // SPA's topocentric zenith is measured from the refraction-corrected (apparent) elevation.
    EXPECT_NEAR(s["apparent_elevation_deg"].get<double>() + s["zenith_deg"].get<double>(), 90.0, 1e-9);
    EXPECT_GT(s["apparent_elevation_deg"].get<double>(), s["elevation_deg"].get<double>());
}

TEST_F(Cli, FormulaMissingOrUnknownParameterExitsTwoNamingIt) {
    const auto missing = run("formula green_disc radius_m=100", dir_);
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_THAT(missing.err, HasSubstr("cell_size_m"));
    const auto unknown = run("formula green_disc radius_m=100 cell_size_m=10 colour=red", dir_);
    EXPECT_EQ(unknown.exit_code, 2);
    EXPECT_THAT(unknown.err, HasSubstr("colour"));
    const auto no_formula = run("formula utcii ta_c=30", dir_);
    EXPECT_EQ(no_formula.exit_code, 2);
    EXPECT_THAT(no_formula.err, HasSubstr("unknown formula 'utcii'"));
}

TEST_F(Cli, ExplainGivesTheValueOfTheMap) {
    const auto batch = write_batch(dir_, base_batch());
    ASSERT_EQ(run("run -q " + batch.string(), dir_).exit_code, 0);
    const auto o = run("explain " + batch.string() + " --scenario park --at 137155,456195 --json", dir_);
    ASSERT_EQ(o.exit_code, 0) << o.err;
    const auto j = nlohmann::json::parse(o.out);
    ASSERT_EQ(j.size(), 1u);
    const auto map = io::read_gpkg_raster(dir_ / "out" / "result.gpkg", "park__green_share_r100");
    // (137155, 456195) lies in column 25, row 20 of the 10 m grid with origin (136900, 456400).
    EXPECT_NEAR(j[0]["value"].get<double>(), map.at(25, 20), 1e-3);
    const auto bad = run("explain " + batch.string() + " --scenario nope --at 137155,456195", dir_);
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_THAT(bad.err, HasSubstr("nope"));
}

}  // namespace
}  // namespace areatwin
