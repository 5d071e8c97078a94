// SPDX-License-Identifier: GPL-3.0-or-later
#include "areatwin/scenarios/edits.hpp"

#include <unistd.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gdal_priv.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <ogrsf_frmts.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/rasterize.hpp"
#include "areatwin/engine/roles.hpp"

namespace areatwin::scenarios {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// 10 x 10 cells of 10 m: x 120000..120100, y 480900..481000 (row 0 is the northern row).
GridSpec test_grid() {
    GridSpec grid;
    grid.origin_x = 120000.0;
    grid.origin_y = 481000.0;
    grid.cell_size_m = 10.0;
    grid.cols = 10;
    grid.rows = 10;
    return grid;
}

Geometry rectangle(double x0, double y0, double x1, double y1) {
    Geometry g;
    g.kind = Geometry::Kind::Polygon;
    g.polygons.push_back({{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}});
    return g;
}

Geometry line(std::vector<Point2> points) {
    Geometry g;
    g.kind = Geometry::Kind::Line;
    g.lines.push_back(std::move(points));
    return g;
}

Geometry point(double x, double y) {
    Geometry g;
    g.kind = Geometry::Kind::Point;
    g.points.push_back({x, y});
    return g;
}

Feature feature(std::int64_t id, Geometry geometry, std::map<std::string, AttributeValue> attributes) {
    Feature f;
    f.id = id;
    f.source = "test";
    f.geometry = std::move(geometry);
    f.attributes = std::move(attributes);
    return f;
}

std::vector<std::int64_t> ids_of(const FeatureSet& set) {
    std::vector<std::int64_t> ids;
    for (const auto& f : set.features) ids.push_back(f.id);
    return ids;
}

const Feature& by_id(const FeatureSet& set, std::int64_t id) {
    for (const auto& f : set.features) {
        if (f.id == id) return f;
    }
    throw std::runtime_error("no feature " + std::to_string(id));
}

// Paved falls and grass rises from west to east; they sum to 1 except in two cells without data.
constexpr std::int64_t nodata_partial_col = 1, nodata_partial_row = 7;  // 80 % inside the park
constexpr std::int64_t nodata_full_col = 2, nodata_full_row = 7;        // wholly inside the park

LayerStack make_stack(bool with_landcover = true) {
    LayerStack stack(test_grid());
    auto buildings = std::make_shared<FeatureSet>();
    buildings->role = "buildings";
    buildings->features = {
        feature(1, rectangle(120005, 480905, 120015, 480915), {{"use", std::string("woon")}, {"height_m", 9.0}}),
        feature(2, rectangle(120025, 480905, 120035, 480915), {{"use", std::string("garage")}, {"height_m", 3.0}}),
        feature(3, rectangle(120065, 480965, 120075, 480975), {{"use", std::string("garage")}, {"height_m", 3.5}}),
        feature(7, rectangle(120085, 480985, 120095, 480995), {{"use", std::string("woon")}, {"height_m", 12.0}}),
    };
    stack.set_features("buildings", buildings);

    auto roads = std::make_shared<FeatureSet>();
    roads->role = "roads";
    roads->features = {
        feature(10, line({{120000, 480950}, {120100, 480950}}),
                {{"name", std::string("Hoofdstraat")}, {"q_cat1_day_veh_per_h", 1000.0},
                 {"q_cat1_evening_veh_per_h", 500.0}, {"v_cat1_kmh", 50.0}}),
        feature(11, line({{120050, 480900}, {120050, 481000}}),
                {{"name", std::string("Hoofdstraat")}, {"q_cat1_day_veh_per_h", 200.0}, {"v_cat1_kmh", 50.0}}),
        feature(12, line({{120000, 480990}, {120100, 480990}}),
                {{"name", std::string("Kerkweg")}, {"q_cat1_day_veh_per_h", 300.0},
                 {"q_cat1_evening_veh_per_h", 100.0}, {"v_cat1_kmh", 30.0}}),
        // Crosses the housing site, but its midpoint (120050, 480950) lies outside it.
        feature(13, line({{120010, 480910}, {120090, 480990}}), {{"name", std::string("Dwarsweg")}}),
        // A bent lane whose midpoint along its length, (120020, 480906), lies inside the site.
        feature(14, line({{120002, 480902}, {120020, 480902}, {120020, 480918}, {120030, 480918}}),
                {{"name", std::string("Steeg")}}),
    };
    stack.set_features("roads", roads);

    auto trees = std::make_shared<FeatureSet>();
    trees->role = "trees";
    trees->features = {feature(1, point(120010, 480930), {{"height_m", 8.0}}),
                       feature(2, point(120080, 480930), {{"height_m", 12.0}})};
    stack.set_features("trees", trees);

    if (with_landcover) {
        const GridSpec grid = test_grid();
        auto paved = std::make_shared<Raster>(grid.cols, grid.rows, 0.0F);
        auto grass = std::make_shared<Raster>(grid.cols, grid.rows, 0.0F);
        for (std::int64_t row = 0; row < grid.rows; ++row) {
            for (std::int64_t col = 0; col < grid.cols; ++col) {
                paved->at(col, row) = static_cast<float>(col) / 10.0F;
                grass->at(col, row) = 1.0F - paved->at(col, row);
            }
        }
        for (auto* r : {paved.get(), grass.get()}) {
            r->at(nodata_partial_col, nodata_partial_row) = Raster::nodata;
            r->at(nodata_full_col, nodata_full_row) = Raster::nodata;
        }
        stack.set_raster(layer::landcover_fraction("paved"), paved);
        stack.set_raster(layer::landcover_fraction("grass"), grass);
    }
    return stack;
}

// A plan GeoPackage in EPSG:28992 with the layers the edits read.
class PlanFile {
public:
    explicit PlanFile(const fs::path& path) : path_(path) {
        GDALAllRegister();
        fs::create_directories(path.parent_path());
        fs::remove(path);
        GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GPKG");
        dataset_.reset(driver->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
        if (!dataset_) throw std::runtime_error("cannot create " + path.string());
        srs_.importFromEPSG(28992);
    }

    void add_layer(const std::string& name, OGRwkbGeometryType type,
                   const std::vector<std::pair<std::string, std::map<std::string, double>>>& rows) {
        OGRLayer* layer = dataset_->CreateLayer(name.c_str(), &srs_, type, nullptr);
        if (layer == nullptr) throw std::runtime_error("cannot create layer " + name);
        if (!rows.empty()) {
            for (const auto& [field, value] : rows.front().second) {
                OGRFieldDefn defn(field.c_str(), OFTReal);
                layer->CreateField(&defn);
            }
        }
        for (const auto& [wkt, values] : rows) {
            OGRFeature f(layer->GetLayerDefn());
            OGRGeometry* geometry = nullptr;
            if (OGRGeometryFactory::createFromWkt(wkt.c_str(), &srs_, &geometry) != OGRERR_NONE) {
                throw std::runtime_error("bad WKT " + wkt);
            }
            f.SetGeometryDirectly(geometry);
            for (const auto& [field, value] : values) f.SetField(field.c_str(), value);
            if (layer->CreateFeature(&f) != OGRERR_NONE) throw std::runtime_error("cannot write to " + name);
        }
    }

    // Closes the file so that readers see everything.
    const fs::path& close() {
        dataset_.reset();
        return path_;
    }

private:
    fs::path path_;
    std::unique_ptr<GDALDataset> dataset_;
    OGRSpatialReference srs_;
};

const std::string site_wkt = "POLYGON((120000 480900,120040 480900,120040 480920,120000 480920,120000 480900))";
const std::string park_wkt = "POLYGON((120012 480903,120047 480903,120047 480938,120012 480938,120012 480903))";

class EditsTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        // CTest runs every test in its own process, several at once: one folder per process.
        PlanFile plan(fs::path(AREATWIN_TEST_TMP) / ("scenarios_edits_" + std::to_string(::getpid())) / "plans.gpkg");
        plan.add_layer("site", wkbPolygon, {{site_wkt, {}}});
        plan.add_layer("new_park", wkbPolygon, {{park_wkt, {}}});
        plan.add_layer("far_away", wkbPolygon,
                       {{"POLYGON((130000 490000,130010 490000,130010 490010,130000 490000))", {}}});
        plan.add_layer("new_buildings", wkbPolygon,
                       {{"POLYGON((120045 480925,120055 480925,120055 480935,120045 480935,120045 480925))",
                         {{"hoogte", 15.0}}},
                        {"POLYGON((120060 480925,120070 480925,120070 480935,120060 480935,120060 480925))",
                         {{"hoogte", 21.0}}}});
        plan_path_ = plan.close();
    }

    static io::SourceSpec plan_layer(const std::string& layer) {
        io::SourceSpec source;
        source.path = plan_path_;
        source.layer = layer;
        source.declared_at = "batch.yaml:41";
        return source;
    }

    static Edit make_edit(Edit::Kind kind, const std::string& role) {
        Edit edit;
        edit.kind = kind;
        edit.role = role;
        edit.declared_at = "batch.yaml:40";
        return edit;
    }

    static fs::path plan_path_;
    io::LoadReport report_;
};

fs::path EditsTest::plan_path_;

TEST_F(EditsTest, RemoveInsidePolygonUsesTheCentroid) {
    LayerStack stack = make_stack();
    Edit edit = make_edit(Edit::Kind::Remove, "buildings");
    edit.filter.inside = plan_layer("site");

    const EditOutcome outcome = apply_edit(edit, stack, report_);
    EXPECT_THAT(ids_of(stack.features("buildings")), ElementsAre(3, 7));
    EXPECT_THAT(outcome.roles, ElementsAre("buildings"));
    EXPECT_TRUE(outcome.rasters.empty());
    EXPECT_THAT(outcome.summary, HasSubstr("remove buildings: 2 features matched inside plans.gpkg:site"));
}

TEST_F(EditsTest, RemoveInsidePolygonUsesTheMidpointOfLines) {
    LayerStack stack = make_stack();
    Edit edit = make_edit(Edit::Kind::Remove, "roads");
    edit.filter.inside = plan_layer("site");

    (void)apply_edit(edit, stack, report_);
    // Only the lane whose midpoint lies in the site goes; the diagonal road merely crosses it.
    EXPECT_THAT(ids_of(stack.features("roads")), ElementsAre(10, 11, 12, 13));
}

TEST_F(EditsTest, RemoveByAttribute) {
    LayerStack stack = make_stack();
    Edit edit = make_edit(Edit::Kind::Remove, "buildings");
    edit.filter.where["use"] = {std::string("garage"), std::string("schuur")};

    const EditOutcome outcome = apply_edit(edit, stack, report_);
    EXPECT_THAT(ids_of(stack.features("buildings")), ElementsAre(1, 7));
    EXPECT_THAT(outcome.summary, HasSubstr("where use in [garage, schuur]"));
}

TEST_F(EditsTest, RemoveByInsideAndAttributeNeedsBoth) {
    LayerStack stack = make_stack();
    Edit edit = make_edit(Edit::Kind::Remove, "buildings");
    edit.filter.inside = plan_layer("site");
    edit.filter.where["use"] = {std::string("garage")};

    (void)apply_edit(edit, stack, report_);
    EXPECT_THAT(ids_of(stack.features("buildings")), ElementsAre(1, 3, 7));
}

TEST_F(EditsTest, NumbersCompareExactly) {
    LayerStack stack = make_stack();
    Edit edit = make_edit(Edit::Kind::Remove, "buildings");
    edit.filter.where["height_m"] = {3.5};

    (void)apply_edit(edit, stack, report_);
    EXPECT_THAT(ids_of(stack.features("buildings")), ElementsAre(1, 2, 7));
}

TEST_F(EditsTest, SetReplacesAndCreatesAttributes) {
    LayerStack stack = make_stack();
    Edit edit = make_edit(Edit::Kind::Set, "roads");
    edit.filter.where["name"] = {std::string("Hoofdstraat")};
    edit.values["v_cat1_kmh"] = 30.0;
    edit.values["surface"] = std::string("NL05");

    const EditOutcome outcome = apply_edit(edit, stack, report_);
    const FeatureSet& roads = stack.features("roads");
    for (std::int64_t id : {10, 11}) {
        EXPECT_EQ(by_id(roads, id).number("v_cat1_kmh"), 30.0) << id;
        EXPECT_EQ(by_id(roads, id).text("surface"), "NL05") << id;
    }
    EXPECT_EQ(by_id(roads, 12).number("v_cat1_kmh"), 30.0);  // was 30 already
    EXPECT_EQ(by_id(roads, 12).text("surface"), std::nullopt);
    EXPECT_EQ(roads.features.size(), 5U);
    EXPECT_THAT(outcome.summary, AllOf(HasSubstr("set roads: 2 features matched where name in [Hoofdstraat]"),
                                       HasSubstr("v_cat1_kmh = 30")));
}

TEST_F(EditsTest, ScaleMultipliesAndCountsAbsentValues) {
    LayerStack stack = make_stack();
    Edit edit = make_edit(Edit::Kind::Scale, "roads");
    edit.filter.where["name"] = {std::string("Hoofdstraat")};
    edit.factors["q_cat1_day_veh_per_h"] = 0.7;
    edit.factors["q_cat1_evening_veh_per_h"] = 0.5;

    const EditOutcome outcome = apply_edit(edit, stack, report_);
    const FeatureSet& roads = stack.features("roads");
    EXPECT_DOUBLE_EQ(*by_id(roads, 10).number("q_cat1_day_veh_per_h"), 700.0);
    EXPECT_DOUBLE_EQ(*by_id(roads, 10).number("q_cat1_evening_veh_per_h"), 250.0);
    EXPECT_DOUBLE_EQ(*by_id(roads, 11).number("q_cat1_day_veh_per_h"), 140.0);
    EXPECT_EQ(by_id(roads, 11).attributes.count("q_cat1_evening_veh_per_h"), 0U) << "absent stays absent";
    EXPECT_DOUBLE_EQ(*by_id(roads, 12).number("q_cat1_day_veh_per_h"), 300.0) << "Kerkweg is not matched";
    EXPECT_THAT(outcome.summary,
                AllOf(HasSubstr("scale roads: 2 features matched where name in [Hoofdstraat]"),
                      HasSubstr("q_cat1_day_veh_per_h x 0.7"),
                      HasSubstr("q_cat1_evening_veh_per_h x 0.5 (1 without a value, left unchanged)")));
}

TEST_F(EditsTest, AddAppendsFeaturesWithIdsAfterTheLargest) {
    LayerStack stack = make_stack();
    Edit edit = make_edit(Edit::Kind::Add, "buildings");
    io::SourceSpec source = plan_layer("new_buildings");
    source.role = "buildings";
    source.fields["height_m"] = io::FieldMapping{"hoogte", "m", std::nullopt};
    edit.source = source;

    const EditOutcome outcome = apply_edit(edit, stack, report_);
    const FeatureSet& buildings = stack.features("buildings");
    EXPECT_THAT(ids_of(buildings), ElementsAre(1, 2, 3, 7, 8, 9));
    std::vector<double> heights{*by_id(buildings, 8).number("height_m"), *by_id(buildings, 9).number("height_m")};
    std::sort(heights.begin(), heights.end());
    EXPECT_THAT(heights, ElementsAre(15.0, 21.0));
    EXPECT_THAT(outcome.roles, ElementsAre("buildings"));
    EXPECT_THAT(outcome.summary, HasSubstr("add buildings: 2 features from plans.gpkg:new_buildings (ids 8-9)"));
}

TEST_F(EditsTest, PaintSharesTheCellsAndKeepsTheSumOfFractions) {
    LayerStack stack = make_stack();
    const LayerStack before = stack;
    Edit edit = make_edit(Edit::Kind::Paint, "");
    edit.landcover_class = "grass";
    edit.filter.inside = plan_layer("new_park");

    const EditOutcome outcome = apply_edit(edit, stack, report_);
    EXPECT_THAT(outcome.rasters, ElementsAre("landcover.paved", "landcover.grass"));
    EXPECT_TRUE(outcome.roles.empty());

    const GridSpec grid = test_grid();
    std::vector<double> exact(static_cast<std::size_t>(grid.cell_count()), 0.0);
    accumulate_coverage(grid, rectangle(120012, 480903, 120047, 480938), exact);

    const Raster& paved_old = before.raster("landcover.paved");
    const Raster& grass_old = before.raster("landcover.grass");
    const Raster& paved = stack.raster("landcover.paved");
    const Raster& grass = stack.raster("landcover.grass");
    int painted_cells = 0;
    for (std::int64_t row = 0; row < grid.rows; ++row) {
        for (std::int64_t col = 0; col < grid.cols; ++col) {
            const double f = exact[static_cast<std::size_t>(row * grid.cols + col)];
            if (Raster::is_nodata(grass_old.at(col, row))) continue;
            if (f > 0.0) ++painted_cells;
            EXPECT_NEAR(paved.at(col, row) + grass.at(col, row), 1.0, 1e-6) << col << "," << row;
            EXPECT_NEAR(paved.at(col, row), paved_old.at(col, row) * (1.0 - f), 1e-6) << col << "," << row;
            EXPECT_NEAR(grass.at(col, row), grass_old.at(col, row) * (1.0 - f) + f, 1e-6) << col << "," << row;
        }
    }
    EXPECT_EQ(painted_cells, 14);  // 4 x 4 cells touched, minus the two without data
    // Cell (3, 8) lies wholly inside the park.
    EXPECT_FLOAT_EQ(grass.at(3, 8), 1.0F);
    EXPECT_FLOAT_EQ(paved.at(3, 8), 0.0F);
    // Without data before: a partly painted cell stays unknown, a wholly painted one becomes known.
    EXPECT_TRUE(Raster::is_nodata(grass.at(nodata_partial_col, nodata_partial_row)));
    EXPECT_TRUE(Raster::is_nodata(paved.at(nodata_partial_col, nodata_partial_row)));
    EXPECT_FLOAT_EQ(grass.at(nodata_full_col, nodata_full_row), 1.0F);
    EXPECT_FLOAT_EQ(paved.at(nodata_full_col, nodata_full_row), 0.0F);
    EXPECT_THAT(outcome.summary, AllOf(HasSubstr("paint grass: 1 polygon from plans.gpkg:new_park"),
                                       HasSubstr("1225.0 m2")));
}

TEST_F(EditsTest, PaintCreatesAnAbsentClass) {
    LayerStack stack = make_stack();
    ASSERT_FALSE(stack.has_raster("landcover.water"));
    Edit edit = make_edit(Edit::Kind::Paint, "");
    edit.landcover_class = "water";
    edit.filter.inside = plan_layer("new_park");

    const EditOutcome outcome = apply_edit(edit, stack, report_);
    EXPECT_THAT(outcome.rasters, ElementsAre("landcover.paved", "landcover.grass", "landcover.water"));
    const GridSpec grid = test_grid();
    std::vector<double> exact(static_cast<std::size_t>(grid.cell_count()), 0.0);
    accumulate_coverage(grid, rectangle(120012, 480903, 120047, 480938), exact);
    const Raster& water = stack.raster("landcover.water");
    for (std::int64_t row = 0; row < grid.rows; ++row) {
        for (std::int64_t col = 0; col < grid.cols; ++col) {
            const double f = exact[static_cast<std::size_t>(row * grid.cols + col)];
            if (Raster::is_nodata(stack.raster("landcover.paved").at(col, row))) {
                EXPECT_TRUE(Raster::is_nodata(water.at(col, row))) << col << "," << row;
                continue;
            }
            EXPECT_NEAR(water.at(col, row), f, 1e-6) << col << "," << row;
            const double sum = water.at(col, row) + stack.raster("landcover.paved").at(col, row) +
                               stack.raster("landcover.grass").at(col, row);
            EXPECT_NEAR(sum, 1.0, 1e-6) << col << "," << row;
        }
    }
}

TEST_F(EditsTest, PaintWithoutLandcoverIsADataError) {
    LayerStack stack = make_stack(false);
    Edit edit = make_edit(Edit::Kind::Paint, "");
    edit.landcover_class = "grass";
    edit.filter.inside = plan_layer("new_park");
    try {
        (void)apply_edit(edit, stack, report_);
        FAIL() << "expected a DataError";
    } catch (const DataError& error) {
        EXPECT_THAT(error.what(), AllOf(HasSubstr("batch.yaml:40"), HasSubstr("no land-cover rasters")));
    }
}

TEST_F(EditsTest, PaintOutsideTheGridIsADataError) {
    LayerStack stack = make_stack();
    Edit edit = make_edit(Edit::Kind::Paint, "");
    edit.landcover_class = "grass";
    edit.filter.inside = plan_layer("far_away");
    EXPECT_THROW((void)apply_edit(edit, stack, report_), DataError);
}

TEST_F(EditsTest, NoMatchIsADataErrorNamingThePlaceAndTheFilter) {
    LayerStack stack = make_stack();
    Edit edit = make_edit(Edit::Kind::Scale, "roads");
    edit.filter.where["name"] = {std::string("Nowhere")};
    edit.factors["q_cat1_day_veh_per_h"] = 0.5;
    try {
        (void)apply_edit(edit, stack, report_);
        FAIL() << "expected a DataError";
    } catch (const DataError& error) {
        EXPECT_THAT(error.what(), AllOf(HasSubstr("batch.yaml:40"), HasSubstr("scale roads"),
                                        HasSubstr("no feature matched where name in [Nowhere]"),
                                        HasSubstr("5 features checked")));
    }
    EXPECT_DOUBLE_EQ(*by_id(stack.features("roads"), 10).number("q_cat1_day_veh_per_h"), 1000.0);
}

TEST_F(EditsTest, AbsentAttributeNeverMatches) {
    LayerStack stack = make_stack();
    Edit edit = make_edit(Edit::Kind::Remove, "trees");
    edit.filter.where["species"] = {std::string("")};
    EXPECT_THROW((void)apply_edit(edit, stack, report_), DataError);
}

TEST_F(EditsTest, EditOfAnAbsentRoleIsADataError) {
    LayerStack stack = make_stack();
    Edit edit = make_edit(Edit::Kind::Remove, "barriers");
    edit.filter.where["height_m"] = {2.0};
    try {
        (void)apply_edit(edit, stack, report_);
        FAIL() << "expected a DataError";
    } catch (const DataError& error) {
        EXPECT_THAT(error.what(), AllOf(HasSubstr("batch.yaml:40"), HasSubstr("no 'barriers' features")));
    }
}

TEST_F(EditsTest, EditsAreCopyOnWrite) {
    LayerStack stack = make_stack();
    const LayerStack baseline = stack;
    const auto buildings_before = stack.features_ptr("buildings");
    const auto roads_before = stack.features_ptr("roads");
    const auto grass_before = stack.raster_ptr("landcover.grass");
    const Raster grass_copy = *grass_before;

    Edit remove = make_edit(Edit::Kind::Remove, "buildings");
    remove.filter.where["use"] = {std::string("garage")};
    (void)apply_edit(remove, stack, report_);
    Edit set = make_edit(Edit::Kind::Set, "roads");
    set.filter.where["name"] = {std::string("Kerkweg")};
    set.values["v_cat1_kmh"] = 15.0;
    (void)apply_edit(set, stack, report_);
    Edit paint = make_edit(Edit::Kind::Paint, "");
    paint.landcover_class = "grass";
    paint.filter.inside = plan_layer("new_park");
    (void)apply_edit(paint, stack, report_);

    // The baseline still sees the very same layers, unchanged.
    EXPECT_EQ(baseline.features_ptr("buildings"), buildings_before);
    EXPECT_EQ(baseline.features_ptr("roads"), roads_before);
    EXPECT_EQ(baseline.raster_ptr("landcover.grass"), grass_before);
    EXPECT_THAT(ids_of(*buildings_before), ElementsAre(1, 2, 3, 7));
    EXPECT_DOUBLE_EQ(*by_id(*roads_before, 12).number("v_cat1_kmh"), 30.0);
    EXPECT_TRUE(*grass_before == grass_copy);
    // The edited stack has new layers, and shares what no edit touched.
    EXPECT_NE(stack.features_ptr("buildings"), buildings_before);
    EXPECT_NE(stack.features_ptr("roads"), roads_before);
    EXPECT_NE(stack.raster_ptr("landcover.grass"), grass_before);
    EXPECT_EQ(stack.features_ptr("trees"), baseline.features_ptr("trees"));
    EXPECT_DOUBLE_EQ(*by_id(stack.features("roads"), 12).number("v_cat1_kmh"), 15.0);
    EXPECT_NE(stack.hash_of("roads"), baseline.hash_of("roads"));
    EXPECT_EQ(stack.hash_of("trees"), baseline.hash_of("trees"));
}

}  // namespace
}  // namespace areatwin::scenarios
