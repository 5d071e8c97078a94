// SPDX-License-Identifier: GPL-3.0-or-later
// Loading from small fixtures written with OGR/GDAL at test time: field mapping, units, errors with
// their messages, presets, priority between sources and the derived grid layers.
#include "areatwin/io/load.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <numeric>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <gdal_priv.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <ogrsf_frmts.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/roles.hpp"
#include "support/synthetic.hpp"

namespace areatwin::io {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;

struct FieldDef {
    std::string name;
    OGRFieldType type;
};

struct FeatureDef {
    std::string wkt;
    std::vector<std::optional<std::string>> values;  // one per field; nullopt writes NULL
};

// Writes one layer with OGR; epsg 0 writes no CRS.
void write_vector(const fs::path& path, const std::string& driver_name, const std::string& layer_name, int epsg,
                  OGRwkbGeometryType type, const std::vector<FieldDef>& fields, const std::vector<FeatureDef>& features) {
    GDALAllRegister();
    GDALDriver* driver = GetGDALDriverManager()->GetDriverByName(driver_name.c_str());
    ASSERT_NE(driver, nullptr);
    GDALDataset* dataset = nullptr;
    if (fs::exists(path)) {
        dataset = GDALDataset::Open(path.string().c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE);
    } else {
        dataset = driver->Create(path.string().c_str(), 0, 0, 0, GDT_Unknown, nullptr);
    }
    ASSERT_NE(dataset, nullptr);
    OGRSpatialReference srs;
    if (epsg != 0) srs.importFromEPSG(epsg);
    OGRLayer* layer = dataset->CreateLayer(layer_name.c_str(), epsg != 0 ? &srs : nullptr, type, nullptr);
    ASSERT_NE(layer, nullptr);
    for (const FieldDef& field : fields) {
        OGRFieldDefn defn(field.name.c_str(), field.type);
        ASSERT_EQ(layer->CreateField(&defn), OGRERR_NONE);
    }
    for (const FeatureDef& def : features) {
        OGRFeature feature(layer->GetLayerDefn());
        OGRGeometry* geometry = nullptr;
        ASSERT_EQ(OGRGeometryFactory::createFromWkt(def.wkt.c_str(), nullptr, &geometry), OGRERR_NONE) << def.wkt;
        feature.SetGeometryDirectly(geometry);
        for (std::size_t i = 0; i < def.values.size(); ++i) {
            if (def.values[i]) {
                feature.SetField(static_cast<int>(i), def.values[i]->c_str());
            } else {
                feature.SetFieldNull(static_cast<int>(i));
            }
        }
        ASSERT_EQ(layer->CreateFeature(&feature), OGRERR_NONE);
    }
    GDALClose(dataset);
}

// Writes a one-band GeoTIFF, north-up, rows from the top.
void write_geotiff(const fs::path& path, int epsg, double origin_x, double origin_y, double pixel_m, int cols, int rows,
                   const std::vector<double>& values, std::optional<double> nodata, GDALDataType type = GDT_Float32) {
    GDALAllRegister();
    GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GTiff");
    GDALDataset* dataset = driver->Create(path.string().c_str(), cols, rows, 1, type, nullptr);
    ASSERT_NE(dataset, nullptr);
    double gt[6] = {origin_x, pixel_m, 0.0, origin_y, 0.0, -pixel_m};
    dataset->SetGeoTransform(gt);
    if (epsg != 0) {
        OGRSpatialReference srs;
        srs.importFromEPSG(epsg);
        dataset->SetSpatialRef(&srs);
    }
    GDALRasterBand* band = dataset->GetRasterBand(1);
    if (nodata) band->SetNoDataValue(*nodata);
    ASSERT_EQ(band->RasterIO(GF_Write, 0, 0, cols, rows, const_cast<double*>(values.data()), cols, rows, GDT_Float64, 0, 0),
              CE_None);
    GDALClose(dataset);
}

// A 100 m x 100 m grid of 10 m cells in RD New.
GridSpec rd_grid(double cell_m = 10.0, std::int64_t n = 10) {
    GridSpec grid;
    grid.origin_x = 100000.0;
    grid.origin_y = 400100.0;
    grid.cell_size_m = cell_m;
    grid.cols = n;
    grid.rows = n;
    grid.crs = "EPSG:28992";
    return grid;
}

std::string square(double x0, double y0, double size) {
    return "POLYGON((" + std::to_string(x0) + " " + std::to_string(y0) + "," + std::to_string(x0 + size) + " " +
           std::to_string(y0) + "," + std::to_string(x0 + size) + " " + std::to_string(y0 + size) + "," +
           std::to_string(x0) + " " + std::to_string(y0 + size) + "," + std::to_string(x0) + " " + std::to_string(y0) + "))";
}

SourceSpec buildings_source(const fs::path& path, const std::string& field = "hoogte", const std::string& unit = "m") {
    SourceSpec source;
    source.role = "buildings";
    source.path = path;
    source.fields["height_m"] = FieldMapping{field, unit, std::nullopt};
    source.declared_at = "batch.yaml:7";
    return source;
}

fs::path three_buildings(const fs::path& dir) {
    const fs::path path = dir / "buildings.gpkg";
    write_vector(path, "GPKG", "buildings", 28992, wkbPolygon,
                 {{"hoogte", OFTReal}, {"hoogte_cm", OFTReal}, {"naam", OFTString}, {"hoogte_txt", OFTString}},
                 {{square(100010, 400010, 20), {"12.5", "1250", "A", "12.5"}},
                  {square(100050, 400050, 10), {"6", "600", "B", "6"}},
                  {square(100070, 400020, 10), {std::nullopt, std::nullopt, std::nullopt, std::nullopt}}});
    return path;
}

template <typename E, typename F>
std::string message_of(F&& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    }
    ADD_FAILURE() << "expected an exception";
    return {};
}

TEST(Sha256, MatchesPublishedVectors) {
    const fs::path dir = test::test_tmp_dir("io_sha256");
    // FIPS 180-2 appendix B examples: "abc" and one million 'a'.
    std::ofstream(dir / "abc.txt", std::ios::binary) << "abc";
    EXPECT_EQ(sha256_file(dir / "abc.txt"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    std::ofstream(dir / "empty.txt", std::ios::binary).flush();
    EXPECT_EQ(sha256_file(dir / "empty.txt"), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    std::ofstream(dir / "million_a.txt", std::ios::binary) << std::string(1000000, 'a');
    EXPECT_EQ(sha256_file(dir / "million_a.txt"), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    // Larger than one read chunk (1 MiB); reference from GNU coreutils sha256sum 9.1.
    std::ofstream(dir / "three_million_a.txt", std::ios::binary) << std::string(3000000, 'a');
    EXPECT_EQ(sha256_file(dir / "three_million_a.txt"), "2a152c894398719c0570f83fac34ac03a0f6e8e474b995c2403aa5434f7b9dd4");
    EXPECT_THROW(sha256_file(dir / "missing.txt"), DataError);
}

TEST(ReadVector, MapsFieldsConvertsUnitsAndKeepsIds) {
    const fs::path dir = test::test_tmp_dir("io_read_vector_basic");
    const fs::path path = three_buildings(dir);
    SourceSpec source = buildings_source(path, "hoogte_cm", "cm");
    source.fields["name"] = FieldMapping{"naam", "", std::nullopt};
    source.fields["height_m"].default_value = 9.0;
    LoadReport report;
    const FeatureSet set = read_vector(source, rd_grid(), Box2{}, report);
    ASSERT_EQ(set.features.size(), 3U);
    EXPECT_EQ(set.role, "buildings");
    EXPECT_EQ(set.features[0].id, 1);  // GeoPackage FIDs start at 1
    EXPECT_EQ(set.features[0].source, "buildings.gpkg:buildings");
    EXPECT_DOUBLE_EQ(*set.features[0].number("height_m"), 12.5);  // 1250 cm
    EXPECT_DOUBLE_EQ(*set.features[1].number("height_m"), 6.0);
    EXPECT_EQ(*set.features[0].text("name"), "A");
    // The null height takes the default; the null name stays absent.
    EXPECT_DOUBLE_EQ(*set.features[2].number("height_m"), 9.0);
    EXPECT_FALSE(set.features[2].text("name").has_value());
    EXPECT_DOUBLE_EQ(set.features[0].geometry.area_m2(), 400.0);
    ASSERT_EQ(report.warnings.size(), 1U);
    EXPECT_THAT(report.warnings[0], AllOf(HasSubstr("1 features"), HasSubstr("no height_m"), HasSubstr("default 9")));
}

TEST(ReadVector, ConvertsSpeedAndDailyFlow) {
    const fs::path dir = test::test_tmp_dir("io_read_vector_units");
    const fs::path path = dir / "roads.gpkg";
    write_vector(path, "GPKG", "roads", 28992, wkbLineString, {{"aadt", OFTInteger}, {"speed_ms", OFTReal}, {"len_km", OFTReal}},
                 {{"LINESTRING(100000 400050,100100 400050)", {"2400", "12.5", "0.1"}}});
    SourceSpec source;
    source.role = "roads";
    source.path = path;
    source.fields["q_cat1_day_veh_per_h"] = FieldMapping{"aadt", "veh/day", std::nullopt};
    source.fields["v_cat1_kmh"] = FieldMapping{"speed_ms", "m/s", std::nullopt};
    source.fields["junction_distance_m"] = FieldMapping{"len_km", "km", std::nullopt};
    LoadReport report;
    const FeatureSet set = read_vector(source, rd_grid(), Box2{}, report);
    ASSERT_EQ(set.features.size(), 1U);
    EXPECT_DOUBLE_EQ(*set.features[0].number("q_cat1_day_veh_per_h"), 100.0);  // 2400 / 24
    EXPECT_DOUBLE_EQ(*set.features[0].number("v_cat1_kmh"), 45.0);             // 12.5 * 3.6
    EXPECT_DOUBLE_EQ(*set.features[0].number("junction_distance_m"), 100.0);
    EXPECT_EQ(set.features[0].geometry.kind, Geometry::Kind::Line);
}

TEST(ReadVector, ErrorsNameWhatFailed) {
    const fs::path dir = test::test_tmp_dir("io_read_vector_errors");
    const fs::path path = three_buildings(dir);
    LoadReport report;
    const GridSpec grid = rd_grid();

    EXPECT_THAT(message_of<DataError>([&] { read_vector(buildings_source(dir / "nope.gpkg"), grid, Box2{}, report); }),
                AllOf(HasSubstr("nope.gpkg"), HasSubstr("does not exist")));

    SourceSpec missing_layer = buildings_source(path);
    missing_layer.layer = "panden";
    EXPECT_THAT(message_of<DataError>([&] { read_vector(missing_layer, grid, Box2{}, report); }),
                AllOf(HasSubstr("layer 'panden' not found"), HasSubstr("layers present: buildings")));

    EXPECT_THAT(message_of<DataError>([&] { read_vector(buildings_source(path, "HOOGTE_M"), grid, Box2{}, report); }),
                AllOf(HasSubstr("field 'HOOGTE_M'"), HasSubstr("height_m"), HasSubstr("buildings.gpkg:buildings"),
                      HasSubstr("naam")));

    SourceSpec no_height = buildings_source(path);
    no_height.fields.clear();
    EXPECT_THAT(message_of<DataError>([&] { read_vector(no_height, grid, Box2{}, report); }),
                AllOf(HasSubstr("required attribute height_m"), HasSubstr("batch.yaml:7")));

    EXPECT_THAT(message_of<ConfigError>([&] { read_vector(buildings_source(path, "hoogte", "furlong"), grid, Box2{}, report); }),
                AllOf(HasSubstr("unknown unit 'furlong'"), HasSubstr("buildings.height_m"), HasSubstr("batch.yaml:7")));
    EXPECT_THAT(message_of<ConfigError>([&] { read_vector(buildings_source(path, "hoogte", "km/h"), grid, Box2{}, report); }),
                HasSubstr("cannot be converted"));

    SourceSpec bad_where = buildings_source(path);
    bad_where.where = "naam = = 'A'";
    EXPECT_THAT(message_of<DataError>([&] { read_vector(bad_where, grid, Box2{}, report); }),
                AllOf(HasSubstr("naam = = 'A'"), HasSubstr("not valid")));

    // A null height with no default names the feature.
    EXPECT_THAT(message_of<DataError>([&] { read_vector(buildings_source(path), grid, Box2{}, report); }),
                AllOf(HasSubstr("feature 3"), HasSubstr("height_m is null")));
}

TEST(ReadVector, WhereFilterSelectsFeatures) {
    const fs::path dir = test::test_tmp_dir("io_read_vector_where");
    SourceSpec source = buildings_source(three_buildings(dir));
    source.where = "naam = 'B'";
    LoadReport report;
    const FeatureSet set = read_vector(source, rd_grid(), Box2{}, report);
    ASSERT_EQ(set.features.size(), 1U);
    EXPECT_EQ(set.features[0].id, 2);
}

TEST(ReadVector, NanAndNegativeHeightsAreDataErrors) {
    const fs::path dir = test::test_tmp_dir("io_read_vector_heights");
    const fs::path path = dir / "heights.gpkg";
    write_vector(path, "GPKG", "b", 28992, wkbPolygon, {{"h", OFTString}, {"crown", OFTReal}},
                 {{square(100010, 400010, 10), {"nan", "3"}}, {square(100030, 400010, 10), {"-3", "-2"}}});
    LoadReport report;
    SourceSpec nan_source = buildings_source(path, "h");
    nan_source.where = "fid = 1";
    EXPECT_THAT(message_of<DataError>([&] { read_vector(nan_source, rd_grid(), Box2{}, report); }),
                AllOf(HasSubstr("feature 1"), HasSubstr("heights.gpkg:b"), HasSubstr("height_m is nan")));
    SourceSpec negative = buildings_source(path, "h");
    negative.where = "fid = 2";
    EXPECT_THAT(message_of<DataError>([&] { read_vector(negative, rd_grid(), Box2{}, report); }),
                AllOf(HasSubstr("feature 2"), HasSubstr("height_m is -3")));

    const fs::path trees = dir / "trees.gpkg";
    write_vector(trees, "GPKG", "trees", 28992, wkbPoint, {{"crown", OFTReal}}, {{"POINT(100050 400050)", {"-2"}}});
    SourceSpec tree_source;
    tree_source.role = "trees";
    tree_source.path = trees;
    tree_source.fields["crown_diameter_m"] = FieldMapping{"crown", "m", std::nullopt};
    EXPECT_THAT(message_of<DataError>([&] { read_vector(tree_source, rd_grid(), Box2{}, report); }),
                AllOf(HasSubstr("feature 1"), HasSubstr("crown_diameter_m is -2")));
}

TEST(ReadVector, SourceWithoutCrsNeedsAssignCrs) {
    const fs::path dir = test::test_tmp_dir("io_read_vector_no_crs");
    const fs::path path = dir / "no_crs.shp";
    write_vector(path, "ESRI Shapefile", "no_crs", 0, wkbPolygon, {{"hoogte", OFTReal}}, {{square(100010, 400010, 10), {"5"}}});
    LoadReport report;
    EXPECT_THAT(message_of<DataError>([&] { read_vector(buildings_source(path), rd_grid(), Box2{}, report); }),
                AllOf(HasSubstr("no_crs.shp:no_crs"), HasSubstr("has no CRS"), HasSubstr("assign_crs")));
    SourceSpec assigned = buildings_source(path);
    assigned.assign_crs = "EPSG:28992";
    const FeatureSet set = read_vector(assigned, rd_grid(), Box2{}, report);
    ASSERT_EQ(set.features.size(), 1U);
    EXPECT_EQ(set.features[0].id, 0);  // shapefile FIDs start at 0
    EXPECT_DOUBLE_EQ(set.features[0].geometry.area_m2(), 100.0);
}

TEST(ReadVector, InvalidPolygonsAreRepairedAndCountedOnce) {
    const fs::path dir = test::test_tmp_dir("io_read_vector_bowtie");
    const fs::path path = dir / "bowtie.gpkg";
    // Two bow-ties (each two 25 m2 triangles once repaired) and one valid square.
    write_vector(path, "GPKG", "b", 28992, wkbPolygon, {{"hoogte", OFTReal}},
                 {{"POLYGON((100000 400000,100010 400010,100010 400000,100000 400010,100000 400000))", {"5"}},
                  {"POLYGON((100020 400000,100030 400010,100030 400000,100020 400010,100020 400000))", {"5"}},
                  {square(100050, 400050, 10), {"5"}}});
    LoadReport report;
    const FeatureSet set = read_vector(buildings_source(path), rd_grid(), Box2{}, report);
    ASSERT_EQ(set.features.size(), 3U);
    // MakeValid splits the bow-tie at its crossing: two triangles of 10 x 5 / 2 = 25 m2 each.
    EXPECT_EQ(set.features[0].geometry.polygons.size(), 2U);
    EXPECT_NEAR(set.features[0].geometry.area_m2(), 50.0, 1e-9);
    ASSERT_EQ(report.warnings.size(), 1U);
    EXPECT_THAT(report.warnings[0], AllOf(HasSubstr("buildings: 2 invalid geometries in bowtie.gpkg:b repaired with MakeValid")));
}

TEST(ReadVector, EmptyAndFarAwayLayersWarn) {
    const fs::path dir = test::test_tmp_dir("io_read_vector_warnings");
    const fs::path path = dir / "layers.gpkg";
    write_vector(path, "GPKG", "empty", 28992, wkbPolygon, {{"hoogte", OFTReal}}, {});
    write_vector(path, "GPKG", "far", 28992, wkbPolygon, {{"hoogte", OFTReal}}, {{square(200000, 500000, 10), {"5"}}});
    const GridSpec grid = rd_grid();
    LoadReport report;
    SourceSpec empty = buildings_source(path);
    empty.layer = "empty";
    EXPECT_TRUE(read_vector(empty, grid, grid.extent(), report).features.empty());
    ASSERT_EQ(report.warnings.size(), 1U);
    EXPECT_THAT(report.warnings[0], HasSubstr("layers.gpkg:empty has no features"));

    SourceSpec far = buildings_source(path);
    far.layer = "far";
    EXPECT_TRUE(read_vector(far, grid, grid.extent(), report).features.empty());
    ASSERT_EQ(report.warnings.size(), 2U);
    EXPECT_THAT(report.warnings[1], AllOf(HasSubstr("layers.gpkg:far"), HasSubstr("does not overlap the area")));
}

TEST(ReadVector, ClipKeepsFeaturesWhoseBoundsIntersect) {
    const fs::path dir = test::test_tmp_dir("io_read_vector_clip");
    const fs::path path = dir / "b.gpkg";
    write_vector(path, "GPKG", "b", 28992, wkbPolygon, {{"hoogte", OFTReal}},
                 {{square(100010, 400010, 10), {"5"}}, {square(100095, 400010, 10), {"5"}}, {square(100200, 400010, 10), {"5"}}});
    LoadReport report;
    const FeatureSet set = read_vector(buildings_source(path), rd_grid(), rd_grid().extent(), report);
    ASSERT_EQ(set.features.size(), 2U);  // the third lies 100 m east of the area
    EXPECT_EQ(set.features[1].id, 2);
}

TEST(ReadVector, LandcoverClassTable) {
    const fs::path dir = test::test_tmp_dir("io_read_vector_classes");
    const fs::path path = dir / "lc.gpkg";
    write_vector(path, "GPKG", "lc", 28992, wkbPolygon, {{"code", OFTInteger}},
                 {{square(100000, 400000, 10), {"1"}}, {square(100010, 400000, 10), {"2"}}, {square(100020, 400000, 10), {"9"}}});
    SourceSpec source;
    source.role = "landcover";
    source.path = path;
    source.class_field = "code";
    source.classes = {{"1", "grass"}, {"2", "paved"}};
    LoadReport report;
    EXPECT_THAT(message_of<DataError>([&] { read_vector(source, rd_grid(), Box2{}, report); }),
                AllOf(HasSubstr("feature 3"), HasSubstr("code='9'"), HasSubstr("no default_class")));
    source.default_class = "bare";
    const FeatureSet set = read_vector(source, rd_grid(), Box2{}, report);
    ASSERT_EQ(set.features.size(), 3U);
    EXPECT_EQ(*set.features[0].text("class"), "grass");
    EXPECT_EQ(*set.features[1].text("class"), "paved");
    EXPECT_EQ(*set.features[2].text("class"), "bare");
    source.classes["2"] = "forest";
    EXPECT_THAT(message_of<ConfigError>([&] { read_vector(source, rd_grid(), Box2{}, report); }),
                AllOf(HasSubstr("'forest'"), HasSubstr("not a class")));
}

TEST(ReadVector, ReprojectsToTheGridCrs) {
    const fs::path dir = test::test_tmp_dir("io_read_vector_reproject");
    const fs::path path = dir / "wgs84.gpkg";
    // Onze Lieve Vrouwetoren, Amersfoort: the origin of RD New at (155000, 463000).
    write_vector(path, "GPKG", "p", 4326, wkbPoint, {}, {{"POINT(5.38720621 52.15517440)", {}}});
    SourceSpec source;
    source.role = "receivers";
    source.path = path;
    LoadReport report;
    GridSpec grid = rd_grid();
    const FeatureSet set = read_vector(source, grid, Box2{}, report);
    ASSERT_EQ(set.features.size(), 1U);
    ASSERT_EQ(set.features[0].geometry.points.size(), 1U);
    // EPSG:28992 defines the false origin at this point; PROJ's default transformation is good to 1 m.
    EXPECT_NEAR(set.features[0].geometry.points[0].x, 155000.0, 1.0);
    EXPECT_NEAR(set.features[0].geometry.points[0].y, 463000.0, 1.0);
}

TEST(Presets, CbsNegativeSentinelsBecomeNull) {
    const fs::path dir = test::test_tmp_dir("io_preset_cbs");
    const fs::path path = dir / "buurten.gpkg";
    write_vector(path, "GPKG", "buurten", 28992, wkbPolygon,
                 {{"buurtcode", OFTString}, {"buurtnaam", OFTString}, {"aantal_inwoners", OFTInteger}},
                 {{square(100000, 400000, 50), {"BU03440101", "Binnenstad", "1234"}},
                  {square(100050, 400000, 50), {"BU03440102", "Geheim", "-99997"}}});
    SourceSpec source;
    source.role = "areas";
    source.path = path;
    source.preset = "cbs-buurten";
    LoadReport report;
    const FeatureSet set = read_vector(source, rd_grid(), Box2{}, report);
    ASSERT_EQ(set.features.size(), 2U);
    EXPECT_EQ(*set.features[0].text("code"), "BU03440101");
    EXPECT_EQ(*set.features[0].text("name"), "Binnenstad");
    EXPECT_DOUBLE_EQ(*set.features[0].number("residents"), 1234.0);
    EXPECT_FALSE(set.features[1].number("residents").has_value());
}

TEST(Presets, ThreeDBagHeightIsRoofMinusGround) {
    const fs::path dir = test::test_tmp_dir("io_preset_3dbag");
    const fs::path path = dir / "3dbag.gpkg";
    write_vector(path, "GPKG", "pand", 28992, wkbPolygon,
                 {{"identificatie", OFTString}, {"b3_h_dak_70p", OFTReal}, {"b3_h_maaiveld", OFTReal}},
                 {{square(100000, 400000, 10), {"NL.IMBAG.Pand.1", "8.5", "-1.5"}},
                  {square(100020, 400000, 10), {"NL.IMBAG.Pand.2", std::nullopt, "0.5"}}});
    SourceSpec source;
    source.role = "buildings";
    source.path = path;
    source.preset = "3dbag";
    LoadReport report;
    const FeatureSet set = read_vector(source, rd_grid(), Box2{}, report);
    ASSERT_EQ(set.features.size(), 2U);
    EXPECT_DOUBLE_EQ(*set.features[0].number("height_m"), 10.0);  // 8.5 - (-1.5)
    EXPECT_DOUBLE_EQ(*set.features[0].number("ground_m"), -1.5);
    EXPECT_EQ(*set.features[0].text("name"), "NL.IMBAG.Pand.1");
    EXPECT_DOUBLE_EQ(*set.features[1].number("height_m"), 9.0);  // not reconstructed: assumed height
    ASSERT_EQ(report.warnings.size(), 1U);
    EXPECT_THAT(report.warnings[0], AllOf(HasSubstr("1 features"), HasSubstr("b3_h_dak_70p")));
}

TEST(Presets, NwbHasNoTrafficAndBagNoHeight) {
    const fs::path dir = test::test_tmp_dir("io_preset_nwb_bag");
    const fs::path roads = dir / "wegvakken.gpkg";
    write_vector(roads, "GPKG", "wegvakken", 28992, wkbLineString, {{"stt_naam", OFTString}, {"wegbehsrt", OFTString}},
                 {{"LINESTRING(100000 400050,100100 400050)", {"Stationsweg", "G"}}});
    SourceSpec nwb;
    nwb.role = "roads";
    nwb.path = roads;
    nwb.preset = "nwb";
    LoadReport report;
    const FeatureSet set = read_vector(nwb, rd_grid(), Box2{}, report);
    ASSERT_EQ(set.features.size(), 1U);
    EXPECT_EQ(*set.features[0].text("name"), "Stationsweg");
    EXPECT_DOUBLE_EQ(*set.features[0].number("q_cat1_day_veh_per_h"), 0.0);
    EXPECT_DOUBLE_EQ(*set.features[0].number("q_cat4b_night_veh_per_h"), 0.0);
    ASSERT_EQ(report.warnings.size(), 1U);
    EXPECT_THAT(report.warnings[0], HasSubstr("NWB has no traffic"));

    const fs::path panden = dir / "bag.gpkg";
    write_vector(panden, "GPKG", "pand", 28992, wkbPolygon, {{"identificatie", OFTString}, {"gebruiksdoel", OFTString}},
                 {{square(100000, 400000, 10), {"0344100000000001", "woonfunctie"}}});
    SourceSpec bag;
    bag.role = "buildings";
    bag.path = panden;
    bag.preset = "bag";
    LoadReport bag_report;
    const FeatureSet buildings = read_vector(bag, rd_grid(), Box2{}, bag_report);
    ASSERT_EQ(buildings.features.size(), 1U);
    EXPECT_DOUBLE_EQ(*buildings.features[0].number("height_m"), 9.0);
    EXPECT_EQ(*buildings.features[0].text("use"), "woonfunctie");
    ASSERT_EQ(bag_report.warnings.size(), 1U);
    EXPECT_THAT(bag_report.warnings[0], HasSubstr("assumed height 9 m"));

    SourceSpec wrong = bag;
    wrong.role = "roads";
    EXPECT_THAT(message_of<ConfigError>([&] { read_vector(wrong, rd_grid(), Box2{}, bag_report); }),
                HasSubstr("preset 'bag' does not describe this role"));
}

TEST(ReadRaster, IdentityAverageNodataAndNoOverlap) {
    const fs::path dir = test::test_tmp_dir("io_read_raster");
    const fs::path path = dir / "dem.tif";
    // 4 x 4 pixels of 5 m from (100000, 400020); one nodata pixel.
    std::vector<double> values(16);
    std::iota(values.begin(), values.end(), 1.0);
    values[5] = -9999.0;
    write_geotiff(path, 28992, 100000.0, 400020.0, 5.0, 4, 4, values, -9999.0);
    SourceSpec source;
    source.role = "dem";
    source.path = path;
    LoadReport report;

    GridSpec same = rd_grid(5.0, 4);
    same.origin_y = 400020.0;
    const Raster copy = read_raster(source, same, Resampling::Bilinear, report);
    for (int i = 0; i < 16; ++i) {
        if (i == 5) {
            EXPECT_TRUE(std::isnan(copy.values()[5]));
        } else {
            EXPECT_EQ(copy.values()[static_cast<std::size_t>(i)], static_cast<float>(values[static_cast<std::size_t>(i)]));
        }
    }

    GridSpec coarse = rd_grid(10.0, 2);
    coarse.origin_y = 400020.0;
    const Raster average = read_raster(source, coarse, Resampling::Average, report);
    // Top-left cell: pixels 1, 2, 5 and the nodata pixel -> mean of the three valid ones.
    EXPECT_NEAR(average.at(0, 0), (1.0 + 2.0 + 5.0) / 3.0, 1e-6);
    EXPECT_NEAR(average.at(1, 0), (3.0 + 4.0 + 7.0 + 8.0) / 4.0, 1e-6);
    EXPECT_NEAR(average.at(1, 1), (11.0 + 12.0 + 15.0 + 16.0) / 4.0, 1e-6);

    GridSpec far = rd_grid();
    far.origin_x = 150000.0;
    const Raster none = read_raster(source, far, Resampling::Bilinear, report);
    EXPECT_TRUE(std::all_of(none.values().begin(), none.values().end(), [](float v) { return std::isnan(v); }));
    ASSERT_EQ(report.warnings.size(), 1U);
    EXPECT_THAT(report.warnings[0], AllOf(HasSubstr("dem.tif band 1"), HasSubstr("does not overlap")));

    const fs::path no_crs = dir / "no_crs.tif";
    write_geotiff(no_crs, 0, 100000.0, 400020.0, 5.0, 4, 4, values, -9999.0);
    SourceSpec unassigned = source;
    unassigned.path = no_crs;
    EXPECT_THAT(message_of<DataError>([&] { read_raster(unassigned, same, Resampling::Bilinear, report); }),
                AllOf(HasSubstr("no_crs.tif"), HasSubstr("has no CRS")));
    unassigned.assign_crs = "EPSG:28992";
    EXPECT_EQ(read_raster(unassigned, same, Resampling::Bilinear, report).at(0, 0), 1.0f);
}

TEST(ReadRaster, LandcoverFractionsCountSourcePixels) {
    const fs::path dir = test::test_tmp_dir("io_read_landcover_raster");
    const fs::path path = dir / "lc.tif";
    // 4 x 2 pixels of 5 m; codes per 10 m cell: {1,1,2,2} and {1,5,5,nodata}.
    write_geotiff(path, 28992, 100000.0, 400010.0, 5.0, 4, 2, {1, 1, 1, 5, 2, 2, 5, -9999}, -9999.0);
    SourceSpec source;
    source.role = "landcover";
    source.path = path;
    source.classes = {{"1", "paved"}, {"2", "building"}, {"5", "grass"}};
    GridSpec grid = rd_grid(10.0, 2);
    grid.rows = 1;
    grid.origin_y = 400010.0;
    LoadReport report;
    const auto fractions = read_landcover_raster(source, grid, report);
    EXPECT_FLOAT_EQ(fractions.at("paved").at(0, 0), 0.5f);
    EXPECT_FLOAT_EQ(fractions.at("building").at(0, 0), 0.5f);
    EXPECT_FLOAT_EQ(fractions.at("paved").at(1, 0), 1.0f / 3.0f);
    EXPECT_FLOAT_EQ(fractions.at("grass").at(1, 0), 2.0f / 3.0f);
    EXPECT_FLOAT_EQ(fractions.at("water").at(1, 0), 0.0f);

    source.classes.erase("5");
    EXPECT_THAT(message_of<DataError>([&] { read_landcover_raster(source, grid, report); }),
                AllOf(HasSubstr("code 5"), HasSubstr("lc.tif"), HasSubstr("no default_class")));
}

TEST(DeriveGridLayers, LandcoverFractionsAreExactAndClamped) {
    GridSpec grid = rd_grid();
    LayerStack stack(grid);
    auto set = std::make_shared<FeatureSet>();
    set->role = "landcover";
    const auto polygon = [](double x0, double y0, double w, double h, const std::string& cls) {
        Feature f;
        f.geometry.kind = Geometry::Kind::Polygon;
        f.geometry.polygons.push_back(Polygon{{Ring{{x0, y0}, {x0 + w, y0}, {x0 + w, y0 + h}, {x0, y0 + h}, {x0, y0}}}});
        f.attributes["class"] = cls;
        return f;
    };
    set->features.push_back(polygon(100000, 400095, 15, 5, "grass"));   // cell (0,0) half, (1,0) quarter
    set->features.push_back(polygon(100000, 400090, 10, 10, "paved"));  // overlaps grass in cell (0,0)
    stack.set_features("landcover", set);
    derive_grid_layers(stack, {"landcover"});
    const Raster& grass = stack.raster("landcover.grass");
    const Raster& paved = stack.raster("landcover.paved");
    // Cell (0,0) is covered 1.5 times: both classes scaled by 1/1.5.
    EXPECT_NEAR(grass.at(0, 0), 0.5 / 1.5, 1e-6);
    EXPECT_NEAR(paved.at(0, 0), 1.0 / 1.5, 1e-6);
    EXPECT_NEAR(grass.at(1, 0), 0.25, 1e-6);
    EXPECT_EQ(stack.raster("landcover.water").at(5, 5), 0.0f);  // no polygon: 0, never NaN
    EXPECT_EQ(grass.at(5, 5), 0.0f);
}

TEST(DeriveGridLayers, PopulationAreasAndCanopy) {
    GridSpec grid = rd_grid();
    LayerStack stack(grid);
    auto population = std::make_shared<FeatureSet>();
    population->role = "population";
    for (double residents : {2.0, 3.0}) {
        Feature f;
        f.geometry.points.push_back({100015.0, 400085.0});  // cell (1, 1)
        f.attributes["residents"] = residents;
        f.attributes["dwellings"] = 1.0;
        population->features.push_back(f);
    }
    stack.set_features("population", population);
    auto areas = std::make_shared<FeatureSet>();
    areas->role = "areas";
    for (double x0 : {100000.0, 100040.0}) {  // overlapping 60 m squares: the first wins
        Feature f;
        f.geometry.kind = Geometry::Kind::Polygon;
        f.geometry.polygons.push_back(Polygon{{Ring{{x0, 400000}, {x0 + 60, 400000}, {x0 + 60, 400100}, {x0, 400100}, {x0, 400000}}}});
        areas->features.push_back(f);
    }
    stack.set_features("areas", areas);
    auto trees = std::make_shared<FeatureSet>();
    trees->role = "trees";
    Feature tree;
    tree.geometry.points.push_back({100055.0, 400055.0});  // centre of cell (5, 4)
    tree.attributes["height_m"] = 12.0;
    tree.attributes["crown_diameter_m"] = 8.0;
    trees->features.push_back(tree);
    stack.set_features("trees", trees);

    derive_grid_layers(stack, {"population", "areas", "trees"});
    EXPECT_EQ(stack.raster("population.residents").at(1, 1), 5.0f);
    EXPECT_EQ(stack.raster("population.dwellings").at(1, 1), 2.0f);
    EXPECT_EQ(stack.raster("population.residents").at(2, 2), 0.0f);
    EXPECT_EQ(stack.raster("areas.index").at(0, 0), 0.0f);
    EXPECT_EQ(stack.raster("areas.index").at(5, 0), 0.0f);  // in both: the first area
    EXPECT_EQ(stack.raster("areas.index").at(7, 0), 1.0f);
    EXPECT_EQ(stack.raster("areas.index").at(9, 0), 1.0f);
    EXPECT_EQ(stack.raster("canopy.height_m").at(5, 4), 12.0f);
    EXPECT_EQ(stack.raster("canopy.height_m").at(0, 0), 0.0f);
    // The crown polygon has the area of the 4 m-radius disc, pi r^2, and lies inside cell (5, 4)
    // (circumradius 4.013 m < 5 m).
    const double crown_area = M_PI * 4.0 * 4.0;
    EXPECT_NEAR(stack.raster("canopy.fraction").at(5, 4), crown_area / 100.0, 1e-6);
    // No DEM: the surface model stands on 0 m.
    EXPECT_EQ(stack.raster("dsm").at(5, 4), 12.0f);
}

TEST(LoadInputs, DsmFromDemBuildingsAndCanopy) {
    const fs::path dir = test::test_tmp_dir("io_load_dsm");
    const GridSpec grid = rd_grid();
    // DEM: 2 m everywhere, 10 m pixels on the grid.
    write_geotiff(dir / "dem.tif", 28992, grid.origin_x, grid.origin_y, 10.0, 10, 10, std::vector<double>(100, 2.0), -9999.0);
    write_vector(dir / "buildings.gpkg", "GPKG", "b", 28992, wkbPolygon, {{"hoogte", OFTReal}},
                 {{square(100000, 400080, 20), {"10"}}});  // cells (0..1, 0..1)
    write_vector(dir / "trees.gpkg", "GPKG", "t", 28992, wkbPoint, {{"h", OFTReal}, {"kroon", OFTReal}},
                 {{"POINT(100015 400085)", {"15", "4"}},    // over the building at cell (1, 1): taller
                  {"POINT(100075 400025)", {"6", "3"}}});   // cell (7, 7)
    SourceSpec dem;
    dem.role = "dem";
    dem.path = dir / "dem.tif";
    SourceSpec buildings = buildings_source(dir / "buildings.gpkg");
    SourceSpec trees;
    trees.role = "trees";
    trees.path = dir / "trees.gpkg";
    trees.fields["height_m"] = FieldMapping{"h", "m", std::nullopt};
    trees.fields["crown_diameter_m"] = FieldMapping{"kroon", "m", std::nullopt};
    LoadReport report;
    const LayerStack stack = load_inputs({dem, buildings, trees}, grid, report);
    const Raster& dsm = stack.raster("dsm");
    EXPECT_EQ(dsm.at(0, 0), 12.0f);  // 2 + building 10
    EXPECT_EQ(dsm.at(1, 1), 17.0f);  // 2 + max(building 10, tree 15)
    EXPECT_EQ(dsm.at(7, 7), 8.0f);   // 2 + tree 6
    EXPECT_EQ(dsm.at(5, 5), 2.0f);   // bare ground
    EXPECT_EQ(stack.raster("building.height_m").at(1, 1), 10.0f);
    EXPECT_EQ(stack.raster("building.fraction").at(0, 1), 1.0f);
    EXPECT_EQ(report.feature_counts.at("buildings"), 1);
    EXPECT_EQ(report.feature_counts.at("trees"), 2);
    // Every file once: the GeoTIFF and the two GeoPackages.
    ASSERT_EQ(report.files.size(), 3U);
    EXPECT_EQ(report.files[0].role, "dem");
    EXPECT_EQ(report.files[0].sha256, sha256_file(dir / "dem.tif"));
    EXPECT_EQ(report.files[0].size_bytes, fs::file_size(dir / "dem.tif"));

    // After an edit raises the building, the DSM follows.
    LayerStack edited = stack;
    auto raised = std::make_shared<FeatureSet>(stack.features("buildings"));
    raised->features[0].attributes["height_m"] = 20.0;
    edited.set_features("buildings", raised);
    derive_grid_layers(edited, {"buildings"});
    EXPECT_EQ(edited.raster("dsm").at(1, 1), 22.0f);
    EXPECT_EQ(stack.raster("dsm").at(1, 1), 17.0f);  // the baseline is untouched
}

TEST(LoadInputs, LocalSourceReplacesNationalInsideItsCoverage) {
    const fs::path dir = test::test_tmp_dir("io_load_priority");
    const GridSpec grid = rd_grid();
    // National: four buildings, one per quadrant. Local: one new building in the west half, with a
    // coverage polygon of the whole west half.
    write_vector(dir / "national.gpkg", "GPKG", "b", 28992, wkbPolygon, {{"hoogte", OFTReal}},
                 {{square(100010, 400010, 10), {"5"}}, {square(100010, 400070, 10), {"5"}},
                  {square(100070, 400010, 10), {"5"}}, {square(100070, 400070, 10), {"5"}}});
    write_vector(dir / "local.gpkg", "GPKG", "b", 28992, wkbPolygon, {{"hoogte", OFTReal}},
                 {{square(100020, 400040, 10), {"8"}}});
    write_vector(dir / "plan_area.gpkg", "GPKG", "area", 28992, wkbPolygon, {}, {{"POLYGON((100000 400000,100050 400000,100050 400100,100000 400100,100000 400000))", {}}});
    SourceSpec local = buildings_source(dir / "local.gpkg");
    local.coverage = dir / "plan_area.gpkg";
    SourceSpec national = buildings_source(dir / "national.gpkg");
    LoadReport report;
    const LayerStack stack = load_inputs({local, national}, grid, report);
    const auto& features = stack.features("buildings").features;
    ASSERT_EQ(features.size(), 3U);
    EXPECT_EQ(features[0].source, "local.gpkg:b");
    EXPECT_EQ(features[1].source, "national.gpkg:b");
    EXPECT_EQ(features[1].id, 3);  // the two western national buildings are replaced
    EXPECT_EQ(features[2].id, 4);
    EXPECT_EQ(report.feature_counts.at("buildings"), 3);

    // Without a coverage file the local source covers its extent only (the one building).
    local.coverage.clear();
    LoadReport report2;
    const LayerStack by_extent = load_inputs({local, national}, grid, report2);
    EXPECT_EQ(by_extent.features("buildings").features.size(), 5U);
}

TEST(LoadInputs, RasterPriorityFillsCellsTheHigherSourceLacks) {
    const fs::path dir = test::test_tmp_dir("io_load_raster_priority");
    const GridSpec grid = rd_grid();
    // Local DEM covers the west half only; national DEM everywhere.
    write_geotiff(dir / "local.tif", 28992, grid.origin_x, grid.origin_y, 10.0, 5, 10, std::vector<double>(50, 1.0), -9999.0);
    write_geotiff(dir / "national.tif", 28992, grid.origin_x, grid.origin_y, 10.0, 10, 10, std::vector<double>(100, 3.0), -9999.0);
    SourceSpec local;
    local.role = "dem";
    local.path = dir / "local.tif";
    SourceSpec national = local;
    national.path = dir / "national.tif";
    LoadReport report;
    const LayerStack stack = load_inputs({local, national}, grid, report);
    EXPECT_EQ(stack.raster("dem").at(0, 0), 1.0f);
    EXPECT_EQ(stack.raster("dem").at(4, 9), 1.0f);
    EXPECT_EQ(stack.raster("dem").at(5, 0), 3.0f);
    EXPECT_EQ(stack.raster("dsm").at(5, 0), 3.0f);  // no buildings or trees: the DSM is the DEM
}

// Area of the intersection of two discs of radii a and b whose centres are d apart.
double disc_intersection_area(double a, double b, double d) {
    if (a <= 0.0 || b <= 0.0 || d >= a + b) return 0.0;
    if (d <= std::abs(a - b)) return M_PI * std::min(a, b) * std::min(a, b);
    const double alpha = std::acos(std::clamp((d * d + a * a - b * b) / (2.0 * d * a), -1.0, 1.0));
    const double beta = std::acos(std::clamp((d * d + b * b - a * a) / (2.0 * d * b), -1.0, 1.0));
    const double kite = 0.5 * std::sqrt(std::max(0.0, (-d + a + b) * (d + a - b) * (d - a + b) * (d + a + b)));
    return a * a * alpha + b * b * beta - kite;
}

// The loader turns a crown point into a regular 32-gon with the disc's area; it lies inside the circle
// of this radius (area-preserving circumradius; more vertices would only make it smaller).
double crown_circumradius(double crown_radius_m) {
    const double n = 32.0;
    return crown_radius_m * std::sqrt(M_PI / (0.5 * n * std::sin(2.0 * M_PI / n)));
}

std::string exact_text(double value) {
    std::ostringstream out;
    out << std::setprecision(17) << value;
    return out.str();
}

struct TreeDef {
    double x, y, height_m, crown_diameter_m;
};

SourceSpec tree_points(const fs::path& path, const std::vector<TreeDef>& trees) {
    std::vector<FeatureDef> features;
    for (const TreeDef& t : trees) {
        features.push_back({"POINT(" + exact_text(t.x) + " " + exact_text(t.y) + ")",
                            {exact_text(t.height_m), exact_text(t.crown_diameter_m)}});
    }
    write_vector(path, "GPKG", "trees", 28992, wkbPoint, {{"boomhoogte", OFTReal}, {"kroon", OFTReal}}, features);
    SourceSpec source;
    source.role = "trees";
    source.path = path;
    source.fields["height_m"] = FieldMapping{"boomhoogte", "m", std::nullopt};
    source.fields["crown_diameter_m"] = FieldMapping{"kroon", "m", std::nullopt};
    source.declared_at = "batch.yaml:9";
    return source;
}

TEST(LoadInputs, TreePointCrownAreaIsTheDiscArea) {
    const test::TempDir dir("io_load_crown_area");
    // 20 m x 20 m of 0.25 m cells. A 10 m crown off the cell lattice, and a 0.1 m crown that holds
    // no cell centre (the nearest is 0.09 m from its trunk) and lies inside one cell.
    const GridSpec grid = rd_grid(0.25, 80);
    const std::vector<TreeDef> trees{{100010.13, 400089.71, 9.0, 10.0}, {100002.06, 400082.06, 4.0, 0.1}};
    const SourceSpec source = tree_points(dir.path / "trees.gpkg", trees);
    LoadReport report;
    const LayerStack stack = load_inputs({source}, grid, report);
    const Raster& fraction = stack.raster(std::string(layer::canopy_fraction));
    const Raster& height = stack.raster(std::string(layer::canopy_height));

    // Exact coverage of a polygon whose area is pi r^2: the cell shares times the cell area add up to
    // the two disc areas, up to the float storage of each share (relative 6e-8).
    double crown_m2 = 0.0;
    float highest_share = 0.0f;
    for (float f : fraction.values()) {
        crown_m2 += static_cast<double>(f) * grid.cell_area_m2();
        highest_share = std::max(highest_share, f);
    }
    const double discs_m2 = M_PI * 5.0 * 5.0 + M_PI * 0.05 * 0.05;
    EXPECT_NEAR(crown_m2, discs_m2, 1e-6 * discs_m2);
    EXPECT_FLOAT_EQ(highest_share, 1.0f);

    // Heights: every cell centre under the big crown carries 9 m; the trunk cell of the small crown
    // carries 4 m although its polygon holds no cell centre.
    EXPECT_EQ(height.at(grid.col_of(trees[0].x), grid.row_of(trees[0].y)), 9.0f);
    EXPECT_EQ(height.at(grid.col_of(trees[0].x + 4.5), grid.row_of(trees[0].y)), 9.0f);
    EXPECT_EQ(height.at(grid.col_of(trees[0].x + 5.2), grid.row_of(trees[0].y)), 0.0f);
    EXPECT_EQ(height.at(grid.col_of(trees[1].x), grid.row_of(trees[1].y)), 4.0f);
    EXPECT_NEAR(fraction.at(grid.col_of(trees[1].x), grid.row_of(trees[1].y)) * grid.cell_area_m2(),
                M_PI * 0.05 * 0.05, 1e-9);
}

TEST(LoadInputs, TreePointCrownsInARadiusMatchTheCircleIntersections) {
    const test::TempDir dir("io_load_crowns_in_radius");
    // 80 m x 80 m of h = 0.25 m cells; the canopy disc of R = 25 m is centred on the centre of cell
    // (160, 160), and holds the cells whose centre lies within R of it, as green.access's canopy
    // share does (its crown numerator, the explain term canopy_crown_area, is this sum).
    const double h = 0.25;
    const GridSpec grid = rd_grid(h, 320);
    const double cx = grid.origin_x + 160.5 * h;
    const double cy = grid.origin_y - 160.5 * h;
    const double radius_m = 25.0;
    // Two crowns inside the disc, three cut by its edge, one outside it; no two crowns within 5 m.
    const std::vector<TreeDef> trees{{cx - 10.0, cy + 3.0, 10.0, 10.0}, {cx + 8.0, cy - 9.0, 7.0, 6.0},
                                     {cx + 22.0, cy + 6.0, 12.0, 10.0}, {cx - 5.0, cy - 24.5, 9.0, 8.0},
                                     {cx - 17.5, cy + 17.5, 15.0, 12.0}, {cx + 28.0, cy - 14.0, 6.0, 6.0}};
    LoadReport report;
    const LayerStack stack = load_inputs({tree_points(dir.path / "trees.gpkg", trees)}, grid, report);
    const Raster& fraction = stack.raster(std::string(layer::canopy_fraction));

    // Error bound per crown of radius r (circumradius r' of its polygon P, circle C) at distance d:
    // - shape: |A(P n D) - A(C n D)| <= A(P \ C) = A(C \ P) <= pi (r'^2 - r^2), for a crown the edge cuts;
    // - cells: the union U of the disc cells differs from the disc D only within delta = h / sqrt(2)
    //   of its edge (a point of U \ D is within delta of a centre inside R; a point of D \ U within
    //   delta of a centre outside R), so |A(P n U) - A(P n D)| <= A(C' n annulus(R - delta, R + delta))
    //   = lens(r', R + delta, d) - lens(r', R - delta, d), with C' the circle of radius r' around P;
    // - float storage of the shares: 1e-6 of the crown area.
    // Crowns wholly inside or outside the annulus have only the last term: they must be exact.
    const double delta = h / std::sqrt(2.0);
    double model_total_m2 = 0.0, circle_total_m2 = 0.0, bound_total_m2 = 0.0;
    for (const TreeDef& t : trees) {
        SCOPED_TRACE("tree at " + std::to_string(t.x - cx) + ", " + std::to_string(t.y - cy));
        const double r = 0.5 * t.crown_diameter_m;
        const double r_out = crown_circumradius(r);
        const double d = std::hypot(t.x - cx, t.y - cy);
        double model_m2 = 0.0;
        for (std::int64_t row = 0; row < grid.rows; ++row) {
            for (std::int64_t col = 0; col < grid.cols; ++col) {
                const double x = grid.origin_x + (static_cast<double>(col) + 0.5) * h;
                const double y = grid.origin_y - (static_cast<double>(row) + 0.5) * h;
                if (std::hypot(x - cx, y - cy) > radius_m || std::hypot(x - t.x, y - t.y) > r_out + h) continue;
                model_m2 += static_cast<double>(fraction.at(col, row)) * grid.cell_area_m2();
            }
        }
        const double circle_m2 = disc_intersection_area(r, radius_m, d);
        const bool cut = std::abs(d - radius_m) < r_out;
        const double shape_m2 = cut ? M_PI * (r_out * r_out - r * r) : 0.0;
        const double cells_m2 =
            disc_intersection_area(r_out, radius_m + delta, d) - disc_intersection_area(r_out, radius_m - delta, d);
        const double bound_m2 = shape_m2 + cells_m2 + 1e-6 * M_PI * r * r;
        EXPECT_NEAR(model_m2, circle_m2, bound_m2) << "bound " << bound_m2 << " m2";
        model_total_m2 += model_m2;
        circle_total_m2 += circle_m2;
        bound_total_m2 += bound_m2;
    }
    // The crown windows cover every crown cell of the disc: the disc's whole crown sum is their sum.
    double disc_crown_m2 = 0.0;
    for (std::int64_t row = 0; row < grid.rows; ++row) {
        for (std::int64_t col = 0; col < grid.cols; ++col) {
            const double x = grid.origin_x + (static_cast<double>(col) + 0.5) * h;
            const double y = grid.origin_y - (static_cast<double>(row) + 0.5) * h;
            if (std::hypot(x - cx, y - cy) <= radius_m) disc_crown_m2 += static_cast<double>(fraction.at(col, row)) * grid.cell_area_m2();
        }
    }
    EXPECT_NEAR(disc_crown_m2, model_total_m2, 1e-9 * model_total_m2);
    EXPECT_NEAR(model_total_m2, circle_total_m2, bound_total_m2);
}

TEST(LoadInputs, CanopyHeightRasterCountsSamplesAboveTheThreshold) {
    const test::TempDir dir("io_load_chm_threshold");
    // Three 1 m cells, 0.5 m pixels: k = 2, four samples per cell.
    //   cell 0: 1, 2, 3, 10 m      cell 1: 0, 0, 2.5, 2.6 m      cell 2: 1, nodata, 3, 10 m
    const fs::path path = dir.path / "chm.tif";
    write_geotiff(path, 28992, 100000.0, 400001.0, 0.5, 6, 2, {1, 2, 0, 0, 1, -9999, 3, 10, 2.5, 2.6, 3, 10}, -9999.0);
    GridSpec grid = rd_grid(1.0, 3);
    grid.rows = 1;
    grid.origin_y = 400001.0;
    SourceSpec source;
    source.role = "trees";
    source.path = path;
    source.declared_at = "batch.yaml:12";
    const auto load = [&](std::optional<double> threshold_m) {
        SourceSpec s = source;
        s.min_canopy_height_m = threshold_m;
        LoadReport report;
        return load_inputs({s}, grid, report);
    };
    const auto expect_fractions = [&](const LayerStack& stack, std::vector<float> expected) {
        const Raster& fraction = stack.raster(std::string(layer::canopy_fraction));
        const Raster& height = stack.raster(std::string(layer::canopy_height));
        for (std::int64_t col = 0; col < 3; ++col) {
            EXPECT_FLOAT_EQ(fraction.at(col, 0), expected[static_cast<std::size_t>(col)]) << "cell " << col;
        }
        // The height is the highest sample whatever the threshold.
        EXPECT_EQ(height.at(0, 0), 10.0f);
        EXPECT_EQ(height.at(1, 0), 2.6f);
        EXPECT_EQ(height.at(2, 0), 10.0f);
    };
    // Default 2.5 m (green-method.md 4): strictly higher, so the 2.5 m sample is not crown.
    expect_fractions(load(std::nullopt), {2.0f / 4.0f, 1.0f / 4.0f, 2.0f / 3.0f});
    expect_fractions(load(default_min_canopy_height_m), {2.0f / 4.0f, 1.0f / 4.0f, 2.0f / 3.0f});
    expect_fractions(load(0.0), {1.0f, 2.0f / 4.0f, 1.0f});  // every sample above the ground
    expect_fractions(load(1.5), {3.0f / 4.0f, 2.0f / 4.0f, 2.0f / 3.0f});
    expect_fractions(load(3.0), {1.0f / 4.0f, 0.0f, 1.0f / 3.0f});
}

TEST(LoadInputs, BadCanopyThresholdIsAConfigErrorNamingSourceAndKey) {
    const test::TempDir dir("io_load_chm_bad_threshold");
    const fs::path path = dir.path / "chm.tif";
    write_geotiff(path, 28992, 100000.0, 400100.0, 10.0, 10, 10, std::vector<double>(100, 5.0), -9999.0);
    SourceSpec source;
    source.role = "trees";
    source.path = path;
    source.declared_at = "batch.yaml:12";
    const GridSpec grid = rd_grid();
    for (double bad : {-0.5, std::nan("")}) {
        source.min_canopy_height_m = bad;
        LoadReport report;
        EXPECT_THAT(message_of<ConfigError>([&] { load_inputs({source}, grid, report); }),
                    AllOf(HasSubstr("trees"), HasSubstr("chm.tif"), HasSubstr("min_canopy_height_m"),
                          HasSubstr(">= 0"), HasSubstr("batch.yaml:12")));
    }
    // The key means nothing for tree points: an error rather than silently ignored.
    SourceSpec points = tree_points(dir.path / "trees.gpkg", {{100050.0, 400050.0, 8.0, 5.0}});
    points.min_canopy_height_m = 2.5;
    LoadReport report;
    EXPECT_THAT(message_of<ConfigError>([&] { load_inputs({points}, grid, report); }),
                AllOf(HasSubstr("min_canopy_height_m applies to canopy-height rasters"), HasSubstr("trees.gpkg"),
                      HasSubstr("batch.yaml:9")));
}

TEST(VectorExtent, ReprojectsFeatureBounds) {
    const fs::path dir = test::test_tmp_dir("io_vector_extent");
    const fs::path path = three_buildings(dir);
    SourceSpec source;
    source.path = path;
    const Box2 box = vector_extent(source, "EPSG:28992");
    EXPECT_DOUBLE_EQ(box.min_x, 100010.0);
    EXPECT_DOUBLE_EQ(box.min_y, 400010.0);
    EXPECT_DOUBLE_EQ(box.max_x, 100080.0);
    EXPECT_DOUBLE_EQ(box.max_y, 400060.0);
}

TEST(ReadTable, CsvRowsBecomeFeaturesWithNumbersAndTexts) {
    test::TempDir dir("read_table");
    const fs::path csv = dir.path / "climate.csv";
    std::ofstream(csv) << "Direction_deg,speed_m_s,Stability,frequency,note\n"
                       << "0,3.5,D,0.25,north\n"
                       << "90,1e1,c,0.75,\n";
    SourceSpec source;
    source.role = "meteo";
    source.path = csv;
    source.declared_at = "batch.yaml:7";
    source.fields["speed_ms"] = FieldMapping{"SPEED_M_S", "", std::nullopt};
    source.fields["height_m"] = FieldMapping{"", "", AttributeValue{10.0}};
    LoadReport report;
    const FeatureSet set = read_table(source, report);
    ASSERT_EQ(set.features.size(), 2u);
    const Feature& first = set.features[0];
    EXPECT_TRUE(first.geometry.empty());
    EXPECT_EQ(first.number("direction_deg"), 0.0) << "column names are lower-cased";
    EXPECT_EQ(first.number("speed_ms"), 3.5) << "the fields mapping renames";
    EXPECT_FALSE(first.number("speed_m_s").has_value());
    EXPECT_EQ(first.text("stability"), "D");
    EXPECT_EQ(first.text("note"), "north");
    EXPECT_EQ(first.number("height_m"), 10.0) << "a default fills a column the table lacks";
    EXPECT_EQ(set.features[1].number("speed_ms"), 10.0);
    EXPECT_FALSE(set.features[1].attributes.count("note")) << "empty cells are absent";
    ASSERT_EQ(report.files.size(), 1u);
    EXPECT_EQ(report.files[0].role, "meteo");

    source.fields["speed_ms"] = FieldMapping{"wind", "", std::nullopt};
    try {
        (void)read_table(source, report);
        FAIL();
    } catch (const DataError& e) {
        EXPECT_THAT(e.what(), AllOf(HasSubstr("batch.yaml:7"), HasSubstr("climate.csv"), HasSubstr("'wind'"),
                                    HasSubstr("direction_deg")));
    }
}

TEST(ReadTable, LoadInputsPutsTablesAndTheGridCentreIntoTheStack) {
    test::TempDir dir("load_table");
    const fs::path csv = dir.path / "weather.csv";
    std::ofstream(csv) << "hour,ta_c\n12,28\n13,29\n";
    SourceSpec source;
    source.role = "weather";
    source.path = csv;
    // The RD New grid centred on its own origin, the Onze Lieve Vrouwetoren in Amersfoort:
    // x = 155000, y = 463000 is 52.15517440 N, 5.38720621 E in WGS 84 (the reference point of the
    // approximation formulas of Schreutelkamp & Strang van Hees, "Benaderingsformules voor de
    // transformatie tussen RD- en WGS84-kaartcoordinaten", 2001; on the Bessel ellipsoid of RD itself it is
    // 52 deg 09' 22.178" N, 5 deg 23' 15.500" E, about 110 m away).
    GridSpec grid;
    grid.origin_x = 154000.0;
    grid.origin_y = 464000.0;
    grid.cell_size_m = 100.0;
    grid.cols = 20;
    grid.rows = 20;
    LoadReport report;
    const LayerStack stack = load_inputs({source}, grid, report);
    ASSERT_TRUE(stack.has_features("weather"));
    EXPECT_EQ(stack.features("weather").features.size(), 2u);
    EXPECT_EQ(stack.features("weather").features[1].number("ta_c"), 29.0);
    EXPECT_EQ(report.feature_counts.at("weather"), 2);
    // PROJ's EPSG:28992 -> 4326 uses the published 7-parameter datum shift (about 1 m accurate), so
    // allow 1e-4 degrees (about 10 m).
    EXPECT_NEAR(stack.scalar("grid.center_lat_deg"), 52.15517440, 1e-4);
    EXPECT_NEAR(stack.scalar("grid.center_lon_deg"), 5.38720621, 1e-4);
}

}  // namespace
}  // namespace areatwin::io
