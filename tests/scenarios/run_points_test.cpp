// SPDX-License-Identifier: GPL-3.0-or-later
// Point layers of indicators through a whole run: written per scenario with their style, and the
// per-area statistics weighted by the points' residents.
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

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/indicator.hpp"
#include "areatwin/engine/roles.hpp"
#include "areatwin/io/load.hpp"
#include "areatwin/scenarios/batch.hpp"
#include "areatwin/scenarios/run.hpp"
#include "support/synthetic.hpp"

namespace areatwin::scenarios {
namespace {

namespace fs = std::filesystem;

// One raster (constant 1) and one point layer: every address point, with value = FID mod 3 and the
// address's residents as weights.
class PointsModel final : public IndicatorModel {
public:
    [[nodiscard]] std::vector<std::string> inputs() const override { return {"population"}; }
    [[nodiscard]] double halo_m() const override { return 0.0; }
    [[nodiscard]] std::vector<OutputSpec> outputs() const override {
        return {{"test_one", "1", "constant one", {}, "viridis", 0.0, 1.0}};
    }
    void compute(const TileContext& ctx, TileOutputs& out) const override {
        for (auto row = ctx.tile.core.row0; row < ctx.tile.core.row_end(); ++row)
            for (auto col = ctx.tile.core.col0; col < ctx.tile.core.col_end(); ++col) out.rasters[0]->at(col, row) = 1.0f;
    }
    [[nodiscard]] std::vector<PointLayer> compute_points(const LayerStack& stack, int /*threads*/) const override {
        PointLayer layer;
        layer.name = "test_points";
        layer.description = "address points";
        PointColumn value{"value", "1", "FID mod 3", false, {}, {}, {0.5, 1.5}};
        PointColumn label{"label", "", "text", true, {}, {}, {}};
        PointColumn dist;
        dist.name = "dist";
        dist.unit = "m";
        dist.description = "10 x (FID mod 7) m, none where FID mod 5 = 0";
        dist.thresholds = {25.0};
        dist.area_percentiles = true;
        dist.missing_means = "nothing in reach";
        for (const auto& f : stack.features("population").features) {
            layer.points.push_back(f.geometry.points.front());
            value.values.push_back(static_cast<double>(f.id % 3));
            dist.values.push_back(f.id % 5 == 0 ? std::nan("") : 10.0 * static_cast<double>(f.id % 7));
            label.texts.push_back(fmt_label(f.id));
            layer.residents.push_back(f.number_or("residents", 0.0));
        }
        layer.columns = {value, label, dist};
        layer.style_column = "value";
        layer.classes = {{0.0, "#1a9641", "zero"}, {0.5, "#ffffbf", "one"}, {1.5, "#d7191c", "two"}};
        return {layer};
    }
    [[nodiscard]] Explanation explain(const LayerStack& /*stack*/, double x, double y) const override {
        Explanation e;
        e.indicator = "test.points";
        e.x = x;
        e.y = y;
        return e;
    }

private:
    static std::string fmt_label(std::int64_t id) { return "p" + std::to_string(id); }
};

class PointsIndicator final : public Indicator {
public:
    [[nodiscard]] const IndicatorDescriptor& descriptor() const override {
        static const IndicatorDescriptor d{"test.points", "1", "points", "test", "test", "test", {}};
        return d;
    }
    [[nodiscard]] std::unique_ptr<IndicatorModel> build(const Parameters& /*params*/) const override {
        return std::make_unique<PointsModel>();
    }
};

fs::path samples_dir() { return fs::path(AREATWIN_SOURCE_DIR) / "data-samples"; }

TEST(RunPoints, PointLayerAndPerAreaWeightsAreWritten) {
    test::TempDir dir("run_points");
    const auto batch_file = dir.path / "points.yaml";
    std::ofstream(batch_file) << "area: {crs: EPSG:28992, cell_size_m: 10, bbox: [136000, 455000, 137500, 456500]}\n"
                              << "inputs:\n"
                              << "  population: [{source: " << (samples_dir() / "sample.gpkg").string()
                              << ", layer: addresses, fields: {residents: inwoners, dwellings: woningen}}]\n"
                              << "  areas: [{source: " << (samples_dir() / "sample.gpkg").string()
                              << ", layer: buurten, fields: {code: buurtcode, name: buurtnaam}}]\n"
                              << "indicators: {test.points: {}}\n"
                              << "scenarios: [{name: baseline}]\n"
                              << "outputs: {path: out.gpkg}\n";
    IndicatorRegistry registry;
    registry.add(std::make_unique<PointsIndicator>());
    const Batch batch = parse_batch(batch_file);
    RunOptions options;
    options.threads = 1;
    const Plan plan = make_plan(batch, registry, options);
    (void)run_plan(plan, options);

    // The expectation, computed here from the loaded inputs: each point's area is the area index of the
    // cell it lies in.
    io::LoadReport report;
    const LayerStack stack = io::load_inputs(batch.inputs, batch.grid, report);
    const auto& grid = batch.grid;
    const auto& index = stack.raster(std::string(layer::area_index));
    const auto& points = stack.features("population").features;
    const std::size_t areas = stack.features("areas").features.size();
    std::vector<double> total(areas, 0.0), above_half(areas, 0.0), above_1p5(areas, 0.0), weighted(areas, 0.0);
    // The dist column: points without a value are in the denominator and above the threshold, out of the mean.
    std::vector<double> dist_valued(areas, 0.0), dist_weighted(areas, 0.0), dist_missing(areas, 0.0),
        dist_above(areas, 0.0);
    std::vector<std::map<double, double>> dist_weight_at(areas);  // value (inf: missing) -> weight
    for (const auto& f : points) {
        const auto& p = f.geometry.points.front();
        const auto col = grid.col_of(p.x);
        const auto row = grid.row_of(p.y);
        if (col < 0 || row < 0 || col >= grid.cols || row >= grid.rows || std::isnan(index.at(col, row))) continue;
        const auto a = static_cast<std::size_t>(index.at(col, row));
        const double w = f.number_or("residents", 0.0);
        const double v = static_cast<double>(f.id % 3);
        total[a] += w;
        weighted[a] += w * v;
        if (v > 0.5) above_half[a] += w;
        if (v > 1.5) above_1p5[a] += w;
        if (f.id % 5 == 0) {
            dist_missing[a] += w;
            dist_above[a] += w;
            dist_weight_at[a][std::numeric_limits<double>::infinity()] += w;
        } else {
            const double d = 10.0 * static_cast<double>(f.id % 7);
            dist_valued[a] += w;
            dist_weighted[a] += w * d;
            if (d > 25.0) dist_above[a] += w;
            dist_weight_at[a][d] += w;
        }
    }
    // Weighted percentile by definition: the smallest value whose cumulative weight reaches p of the total.
    const auto percentile = [](const std::map<double, double>& at, double p) -> std::optional<double> {
        double total_w = 0.0;
        for (const auto& [v, w] : at) total_w += w;
        if (total_w <= 0.0) return std::nullopt;
        double cum = 0.0;
        for (const auto& [v, w] : at) {
            cum += w;
            if (cum >= p * total_w - 1e-9) return std::isinf(v) ? std::nullopt : std::optional<double>(v);
        }
        return std::nullopt;
    };
    std::size_t percentiles_checked = 0, missing_percentiles = 0;
    ASSERT_GT(points.size(), 10u);

    GDALAllRegister();
    std::unique_ptr<GDALDataset> ds(GDALDataset::Open((dir.path / "out.gpkg").string().c_str(), GDAL_OF_VECTOR));
    ASSERT_NE(ds, nullptr);
    OGRLayer* layer = ds->GetLayerByName("baseline__test_points");
    ASSERT_NE(layer, nullptr);
    EXPECT_EQ(layer->GetFeatureCount(), static_cast<GIntBig>(points.size()));
    OGRLayer* table = ds->GetLayerByName("areas__baseline");
    ASSERT_NE(table, nullptr);
    ASSERT_EQ(table->GetFeatureCount(), static_cast<GIntBig>(areas));
    std::size_t a = 0;
    table->ResetReading();
    double seen_weight = 0.0;
    while (std::unique_ptr<OGRFeature> f{table->GetNextFeature()}) {
        ASSERT_LT(a, areas);
        EXPECT_NEAR(f->GetFieldAsDouble("test_points_residents"), total[a], 1e-9) << "area " << a;
        EXPECT_NEAR(f->GetFieldAsDouble("test_points_value_res_above_0p5"), above_half[a], 1e-9) << "area " << a;
        EXPECT_NEAR(f->GetFieldAsDouble("test_points_value_res_above_1p5"), above_1p5[a], 1e-9) << "area " << a;
        if (total[a] > 0.0) {
            EXPECT_NEAR(f->GetFieldAsDouble("test_points_value_share_above_0p5"), above_half[a] / total[a], 1e-12);
            EXPECT_NEAR(f->GetFieldAsDouble("test_points_value_popmean"), weighted[a] / total[a], 1e-12);
        } else {
            EXPECT_FALSE(f->IsFieldSetAndNotNull(f->GetFieldIndex("test_points_value_popmean")));
        }
        EXPECT_NEAR(f->GetFieldAsDouble("test_points_dist_res_missing"), dist_missing[a], 1e-9) << "area " << a;
        EXPECT_NEAR(f->GetFieldAsDouble("test_points_dist_res_above_25"), dist_above[a], 1e-9) << "area " << a;
        if (total[a] > 0.0) {
            EXPECT_NEAR(f->GetFieldAsDouble("test_points_dist_share_above_25"), dist_above[a] / total[a], 1e-12);
            EXPECT_NEAR(f->GetFieldAsDouble("test_points_dist_share_missing"), dist_missing[a] / total[a], 1e-12);
        }
        if (dist_valued[a] > 0.0) {
            EXPECT_NEAR(f->GetFieldAsDouble("test_points_dist_popmean"), dist_weighted[a] / dist_valued[a], 1e-12);
        }
        for (const auto& [name, p] : {std::pair{"test_points_dist_pop_p10", 0.1}, std::pair{"test_points_dist_pop_p50", 0.5},
                                      std::pair{"test_points_dist_pop_p90", 0.9}}) {
            const auto expected = percentile(dist_weight_at[a], p);
            const int field = f->GetFieldIndex(name);
            ASSERT_GE(field, 0) << name;
            if (expected) {
                EXPECT_EQ(f->GetFieldAsDouble(field), *expected) << name << ", area " << a;
                ++percentiles_checked;
            } else {
                EXPECT_FALSE(f->IsFieldSetAndNotNull(field)) << name << ", area " << a;
                if (total[a] > 0.0) ++missing_percentiles;
            }
        }
        seen_weight += total[a];
        ++a;
    }
    EXPECT_GT(seen_weight, 0.0) << "the sample's addresses lie in its neighbourhoods";
    EXPECT_GT(percentiles_checked, 3u) << "percentiles with a value";
    (void)missing_percentiles;  // p90 falls among the missing points where they hold over a tenth of the weight

    // The style QGIS applies: graduated by the value column with the three classes.
    OGRLayer* styles = ds->ExecuteSQL("SELECT styleQML FROM layer_styles WHERE f_table_name = 'baseline__test_points'",
                                      nullptr, nullptr);
    ASSERT_NE(styles, nullptr);
    std::unique_ptr<OGRFeature> style{styles->GetNextFeature()};
    ASSERT_NE(style, nullptr);
    const std::string qml = style->GetFieldAsString(0);
    ds->ReleaseResultSet(styles);
    EXPECT_THAT(qml, ::testing::HasSubstr("graduatedSymbol"));
    EXPECT_THAT(qml, ::testing::HasSubstr("attr=\"value\""));
    EXPECT_THAT(qml, ::testing::HasSubstr("lower=\"0.5\" upper=\"1.5\" symbol=\"1\" label=\"one\""));
}

}  // namespace
}  // namespace areatwin::scenarios
