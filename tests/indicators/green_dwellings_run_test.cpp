// SPDX-License-Identifier: GPL-3.0-or-later
// green.access through a whole run on the synthetic sample area (data-samples): the green_dwellings point
// layer is written per scenario with its red/green style, and the per-area layer holds the share of
// dwellings meeting each rule, equal to the share recomputed here from the written points.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gdal_priv.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <ogrsf_frmts.h>

#include "areatwin/engine/roles.hpp"
#include "areatwin/indicators/all.hpp"
#include "areatwin/io/load.hpp"
#include "areatwin/scenarios/batch.hpp"
#include "areatwin/scenarios/run.hpp"
#include "support/synthetic.hpp"

namespace areatwin::scenarios {
namespace {

namespace fs = std::filesystem;

TEST(GreenDwellingsRun, SharesOfDwellingsPerAreaFromThePointLayer) {
    const fs::path samples = fs::path(AREATWIN_SOURCE_DIR) / "data-samples";
    test::TempDir dir("green_dwellings_run");
    const auto gpkg = (samples / "sample.gpkg").string();
    const auto batch_file = dir.path / "green.yaml";
    std::ofstream(batch_file)
        << "area: {crs: EPSG:28992, cell_size_m: 10, bbox: [136000, 455000, 137500, 456500]}\n"
        << "inputs:\n"
        << "  buildings: [{source: " << gpkg << ", layer: buildings, fields: {height_m: {field: hoogte, unit: m, default: 9}}}]\n"
        << "  landcover: [{source: " << gpkg << ", layer: landcover, class_field: klasse, classes: {verhard: paved, "
        << "gebouw: building, gras: grass, bomen: trees, struiken: shrubs, water: water, kaal: bare, landbouw: agriculture}}]\n"
        << "  trees: [{source: " << gpkg << ", layer: trees, fields: {height_m: boomhoogte, crown_diameter_m: kroondiameter}}]\n"
        << "  population: [{source: " << gpkg << ", layer: addresses, fields: {residents: inwoners, dwellings: woningen}}]\n"
        << "  areas: [{source: " << gpkg << ", layer: buurten, fields: {code: buurtcode, name: buurtnaam}}]\n"
        << "indicators: {green.access: {park_min_area_m2: 5000}}\n"
        << "scenarios: [{name: baseline}]\n"
        << "outputs: {path: out.gpkg}\n";
    const Batch batch = parse_batch(batch_file);
    RunOptions options;
    options.threads = 2;
    const Plan plan = make_plan(batch, indicators::builtin_registry(), options);
    (void)run_plan(plan, options);

    GDALAllRegister();
    std::unique_ptr<GDALDataset> ds(GDALDataset::Open((dir.path / "out.gpkg").string().c_str(), GDAL_OF_VECTOR));
    ASSERT_NE(ds, nullptr);
    OGRLayer* points = ds->GetLayerByName("baseline__green_dwellings");
    ASSERT_NE(points, nullptr);
    ASSERT_GT(points->GetFeatureCount(), 10);

    // Recompute the per-area shares from the written points: each point in the area of its cell.
    io::LoadReport report;
    const LayerStack stack = io::load_inputs(batch.inputs, batch.grid, report);
    const auto& index = stack.raster(std::string(layer::area_index));
    const std::size_t areas = stack.features("areas").features.size();
    const std::vector<std::string> rules{"meets_3", "meets_30", "meets_300", "meets_all"};
    std::map<std::string, std::vector<double>> met;
    for (const auto& r : rules) met[r].assign(areas, 0.0);
    std::vector<double> weight(areas, 0.0);
    std::vector<std::vector<std::pair<double, double>>> dist(areas);  // (distance, dwellings); inf: no park
    double all_met = 0.0;
    points->ResetReading();
    while (std::unique_ptr<OGRFeature> f{points->GetNextFeature()}) {
        const auto* p = f->GetGeometryRef()->toPoint();
        const auto col = batch.grid.col_of(p->getX()), row = batch.grid.row_of(p->getY());
        const float a = index.at(col, row);
        if (std::isnan(a) || !f->IsFieldSetAndNotNull(f->GetFieldIndex("meets_all"))) continue;
        const double w = f->GetFieldAsDouble("dwellings");
        weight[static_cast<std::size_t>(a)] += w;
        for (const auto& r : rules) met[r][static_cast<std::size_t>(a)] += w * f->GetFieldAsDouble(r.c_str());
        all_met += w * f->GetFieldAsDouble("meets_all");
        const int d = f->GetFieldIndex("dist_park_m");
        dist[static_cast<std::size_t>(a)].emplace_back(
            f->IsFieldSetAndNotNull(d) ? f->GetFieldAsDouble(d) : std::numeric_limits<double>::infinity(), w);
    }
    // The weighted percentile by its definition: the smallest distance whose cumulative dwellings reach
    // p of the area's dwellings; none (NULL) when that falls among homes without a park.
    const auto percentile = [](std::vector<std::pair<double, double>> v, double p) -> std::optional<double> {
        std::stable_sort(v.begin(), v.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
        double total = 0.0, cum = 0.0;
        for (const auto& e : v) total += e.second;
        if (total <= 0.0) return std::nullopt;
        for (const auto& e : v) {
            cum += e.second;
            if (cum >= p * total) return std::isinf(e.first) ? std::nullopt : std::optional<double>(e.first);
        }
        return std::nullopt;
    };
    std::size_t percentiles_with_value = 0;
    OGRLayer* table = ds->GetLayerByName("areas__baseline");
    ASSERT_NE(table, nullptr);
    std::size_t a = 0, with_homes = 0;
    table->ResetReading();
    while (std::unique_ptr<OGRFeature> f{table->GetNextFeature()}) {
        ASSERT_LT(a, areas);
        EXPECT_NEAR(f->GetFieldAsDouble("green_dwellings_dwellings"), weight[a], 1e-9) << a;
        for (const auto& r : rules) {
            const auto name = "green_dwellings_" + r + "_share_above_0p5";
            ASSERT_GE(f->GetFieldIndex(name.c_str()), 0) << name;
            if (weight[a] > 0.0) {
                EXPECT_NEAR(f->GetFieldAsDouble(name.c_str()), met[r][a] / weight[a], 1e-12) << name << " area " << a;
            }
        }
        if (weight[a] > 0.0) {
            // Homes beyond 300 m or without a park are exactly those that fail the 300 rule.
            EXPECT_NEAR(f->GetFieldAsDouble("green_dwellings_dist_park_m_share_above_300"),
                        1.0 - met["meets_300"][a] / weight[a], 1e-12) << "area " << a;
            for (const auto& [name, p] : {std::pair{"green_dwellings_dist_park_m_pop_p10", 0.1},
                                          std::pair{"green_dwellings_dist_park_m_pop_p50", 0.5},
                                          std::pair{"green_dwellings_dist_park_m_pop_p90", 0.9}}) {
                const int field = f->GetFieldIndex(name);
                ASSERT_GE(field, 0) << name;
                const auto expected = percentile(dist[a], p);
                if (expected) {
                    EXPECT_NEAR(f->GetFieldAsDouble(field), *expected, 1e-4) << name << " area " << a;  // float column
                    ++percentiles_with_value;
                } else {
                    EXPECT_FALSE(f->IsFieldSetAndNotNull(field)) << name << " area " << a;
                }
            }
        }
        with_homes += weight[a] > 0.0;
        ++a;
    }
    EXPECT_GT(with_homes, 0u) << "the sample's addresses lie in its neighbourhoods";
    EXPECT_GT(percentiles_with_value, 0u);

    // The QGIS style stored for a table ("" when there is none).
    const auto style_of = [&](const std::string& table) {
        OGRLayer* styles = ds->ExecuteSQL(
            ("SELECT styleQML FROM layer_styles WHERE f_table_name = '" + table + "'").c_str(), nullptr, nullptr);
        if (styles == nullptr) return std::string();
        std::unique_ptr<OGRFeature> style{styles->GetNextFeature()};
        std::string qml = style ? style->GetFieldAsString(0) : "";
        ds->ReleaseResultSet(styles);
        return qml;
    };
    // The point layer's style: graduated by meets_all, red below and green above the 0.5 break.
    const std::string qml = style_of("baseline__green_dwellings");
    ASSERT_FALSE(qml.empty());
    EXPECT_THAT(qml, ::testing::HasSubstr("attr=\"meets_all\""));
    EXPECT_THAT(qml, ::testing::HasSubstr("meets 3, 30 and 300"));
    double total = 0.0;
    for (double w : weight) total += w;
    ASSERT_GT(total, 0.0);
    const auto overall = [&](const std::string& r) {
        double m = 0.0;
        for (double v : met[r]) m += v;
        return m / total;
    };
    std::printf("sample area: %lld dwelling points, %.0f dwellings in areas; share of dwellings meeting 3 %.3f, 30 %.3f, "
                "300 %.3f, all three %.3f\n",
                static_cast<long long>(points->GetFeatureCount()), total, overall("meets_3"), overall("meets_30"),
                overall("meets_300"), overall("meets_all"));
    (void)all_met;

    // The per-area layer's style: filled areas graduated by the share of dwellings meeting all three
    // rules, red under 25 %, green from 75 %.
    const std::string area_qml = style_of("areas__baseline");
    ASSERT_FALSE(area_qml.empty());
    EXPECT_THAT(area_qml, ::testing::HasSubstr("type=\"graduatedSymbol\" attr=\"green_dwellings_meets_all_share_above_0p5\""));
    EXPECT_THAT(area_qml, ::testing::HasSubstr("<symbol type=\"fill\""));
    EXPECT_THAT(area_qml, ::testing::HasSubstr("215,25,28,255"));   // #d7191c
    EXPECT_THAT(area_qml, ::testing::HasSubstr("26,150,65,255"));   // #1a9641
}

}  // namespace
}  // namespace areatwin::scenarios
