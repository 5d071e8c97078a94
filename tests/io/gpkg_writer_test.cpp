// SPDX-License-Identifier: GPL-3.0-or-later
#include "areatwin/io/gpkg_writer.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gdal.h>
#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <ogrsf_frmts.h>

#include "areatwin/engine/errors.hpp"
#include "support/synthetic.hpp"

namespace areatwin::io {
namespace {
namespace fs = std::filesystem;

// 300 x 200 cells: neither side is a multiple of the 256-pixel tiles, so partial tiles are exercised.
GridSpec test_grid() {
    GridSpec g;
    g.origin_x = 155000.0;
    g.origin_y = 463000.0;
    g.cell_size_m = 10.0;
    g.cols = 300;
    g.rows = 200;
    g.crs = "EPSG:28992";
    return g;
}

using test::TempDir;

fs::path fresh_dir(const std::string& name) { return test::test_tmp_dir("gpkg_" + name); }

// NaN, the nodata sentinel itself, and values a lossy or integer tile encoding would change.
Raster raster_with_nodata(const GridSpec& g) {
    Raster r(g.cols, g.rows, 0.0f);
    for (std::int64_t row = 0; row < g.rows; ++row)
        for (std::int64_t col = 0; col < g.cols; ++col)
            r.at(col, row) = static_cast<float>(col) * 0.25f - static_cast<float>(row) * 0.125f;
    for (std::int64_t row = 40; row < 90; ++row)
        for (std::int64_t col = 250; col < 300; ++col) r.at(col, row) = Raster::nodata;  // crosses a tile edge
    r.at(0, 0) = Raster::nodata;
    r.at(299, 199) = Raster::nodata;
    r.at(1, 0) = 1e-30f;
    r.at(2, 0) = -0.0f;
    r.at(3, 0) = std::numeric_limits<float>::denorm_min();
    r.at(4, 0) = std::numeric_limits<float>::max();
    r.at(5, 0) = std::numeric_limits<float>::lowest();
    r.at(6, 0) = -9999.0f;  // the sentinel: comes back as nodata
    return r;
}

Raster random_raster(const GridSpec& g) {
    std::mt19937 rng(20240611u);
    std::uniform_real_distribution<float> dist(-50.0f, 150.0f);
    Raster r(g.cols, g.rows, 0.0f);
    for (float& v : r.values()) v = dist(rng);
    return r;
}

Raster ramp_raster(const GridSpec& g) {
    Raster r(g.cols, g.rows, 0.0f);
    for (std::int64_t row = 0; row < g.rows; ++row)
        for (std::int64_t col = 0; col < g.cols; ++col) r.at(col, row) = static_cast<float>(col + 1000 * row);
    return r;
}

Polygon square(double x0, double y0, double size) {
    return Polygon{{Ring{{x0, y0}, {x0 + size, y0}, {x0 + size, y0 + size}, {x0, y0 + size}, {x0, y0}}}};
}

VectorLayerOut areas_layer() {
    VectorLayerOut v;
    v.table = "areas__baseline";
    v.description = "Per-area statistics, baseline";
    for (int i = 0; i < 3; ++i) {
        Geometry g;
        g.kind = Geometry::Kind::Polygon;
        g.polygons.push_back(square(155000.0 + 1000.0 * i, 461000.0, 800.0));
        v.geometries.push_back(g);
    }
    VectorColumn name{"name", "Neighbourhood name", true, {}, {"Centrum", "Oost", "West"}};
    VectorColumn mean{"lden_mean_db", "Mean Lden over the area (dB)", false, {55.5, std::nullopt, 61.25}, {}};
    VectorColumn share{"share_above_55", "", false, {std::nullopt, std::nullopt, 0.75}, {}};
    v.columns = {name, mean, share};
    return v;
}

nlohmann::json test_manifest() {
    return nlohmann::json{{"engine", {{"version", "0.1.0"}, {"commit", "abc123def456"}}},
                          {"batch_file", "batch.yaml"},
                          {"inputs", {{{"path", "roads.gpkg"}, {"size", 1234}, {"sha256", std::string(64, 'a')}}}},
                          {"quote", "it's \"quoted\""},
                          {"timings_s", {{"load", 1.5}}}};
}

// Canonical NaN so memcmp compares values, not NaN payloads.
std::vector<float> canonical(const Raster& r) {
    std::vector<float> v = r.values();
    for (float& x : v)
        if (std::isnan(x)) x = std::numeric_limits<float>::quiet_NaN();
    return v;
}

void expect_bit_exact(const Raster& expected, const Raster& actual, const std::string& table) {
    ASSERT_EQ(actual.cols(), expected.cols()) << table;
    ASSERT_EQ(actual.rows(), expected.rows()) << table;
    const std::vector<float> a = canonical(expected);
    const std::vector<float> b = canonical(actual);
    if (std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) != 0) {
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0) {
                ADD_FAILURE() << table << ": first difference at cell " << i << ": wrote " << a[i] << ", read "
                              << b[i];
                return;
            }
        }
    }
}

struct Run {
    int exit_code = -1;
    std::string output;
};

Run run_command(const std::string& command) {
    Run run;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) return run;
    std::array<char, 4096> buffer{};
    std::size_t n = 0;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) run.output.append(buffer.data(), n);
    const int status = ::pclose(pipe);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return run;
}

void expect_valid_geopackage(const fs::path& file) {
    const Run probe = run_command("/usr/bin/python3 -c 'import osgeo_utils.samples.validate_gpkg'");
    ASSERT_EQ(probe.exit_code, 0) << "GDAL's GeoPackage validator is missing: install the Debian package "
                                     "python3-gdal (/usr/bin/python3 -m osgeo_utils.samples.validate_gpkg)\n"
                                  << probe.output;
    const Run run = run_command("/usr/bin/python3 -m osgeo_utils.samples.validate_gpkg '" + file.string() + "'");
    EXPECT_EQ(run.exit_code, 0) << "validate_gpkg rejected " << file << ":\n" << run.output;
}

struct DatasetCloser {
    void operator()(GDALDataset* ds) const { GDALClose(GDALDataset::ToHandle(ds)); }
};
using DatasetPtr = std::unique_ptr<GDALDataset, DatasetCloser>;

DatasetPtr open_vector(const fs::path& file) {
    GDALAllRegister();
    return DatasetPtr(
        GDALDataset::FromHandle(GDALOpenEx(file.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr)));
}

// Rows of a SQL query as strings (NULL as "<null>").
std::vector<std::vector<std::string>> query(GDALDataset& ds, const std::string& sql) {
    std::vector<std::vector<std::string>> rows;
    OGRLayer* result = ds.ExecuteSQL(sql.c_str(), nullptr, nullptr);
    if (result == nullptr) return rows;
    while (OGRFeature* f = result->GetNextFeature()) {
        std::vector<std::string> row;
        for (int i = 0; i < f->GetFieldCount(); ++i)
            row.emplace_back(f->IsFieldSetAndNotNull(i) ? f->GetFieldAsString(i) : "<null>");
        rows.push_back(row);
        OGRFeature::DestroyFeature(f);
    }
    ds.ReleaseResultSet(result);
    return rows;
}

class GeoPackageWriterFull : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = fresh_dir("full");
        file_ = dir_ / "batch.gpkg";
        grid_ = test_grid();
        nodata_ = raster_with_nodata(grid_);
        random_ = random_raster(grid_);
        ramp_ = ramp_raster(grid_);
        GeoPackageWriter writer(file_, grid_);
        writer.add_raster({"baseline__green_share_r300", "Share of green within 300 m", "%", &nodata_,
                           RasterStyle{"green", 0.0, 100.0}});
        writer.add_raster({"diff__plan_a__green_share_r300", "Plan A minus baseline", "%", &random_,
                           RasterStyle{"diverging", -50.0, 150.0}});
        writer.add_raster({"baseline__lden", "Lden (dB(A)), scenario 'baseline'", "dB(A)", &ramp_,
                           RasterStyle{"noise", 40.0, 75.0}});
        writer.add_vector(areas_layer());
        writer.set_manifest(test_manifest());
        ASSERT_TRUE(fs::exists(writer.temporary_path()));
        ASSERT_FALSE(fs::exists(file_)) << "the destination must not appear before commit";
        writer.commit();
        temp_ = writer.temporary_path();
    }

    static void TearDownTestSuite() {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    static inline fs::path dir_;
    static inline fs::path file_;
    static inline fs::path temp_;
    static inline GridSpec grid_;
    static inline Raster nodata_;
    static inline Raster random_;
    static inline Raster ramp_;
};

TEST_F(GeoPackageWriterFull, CommitMovesTheTemporaryFileIntoPlace) {
    EXPECT_TRUE(fs::is_regular_file(file_));
    EXPECT_FALSE(fs::exists(temp_));
    EXPECT_EQ(temp_.parent_path(), file_.parent_path()) << "the temporary file must be beside the destination";
    for (const auto& entry : fs::directory_iterator(dir_))
        EXPECT_EQ(entry.path().filename(), "batch.gpkg") << "leftover file " << entry.path();
}

TEST_F(GeoPackageWriterFull, RastersReadBackBitExact) {
    Raster expected_nodata = nodata_;
    expected_nodata.at(6, 0) = Raster::nodata;  // the sentinel value is indistinguishable from nodata
    expect_bit_exact(expected_nodata, read_gpkg_raster(file_, "baseline__green_share_r300"), "nodata raster");
    expect_bit_exact(random_, read_gpkg_raster(file_, "diff__plan_a__green_share_r300"), "random raster");
    expect_bit_exact(ramp_, read_gpkg_raster(file_, "baseline__lden"), "ramp raster");
}

TEST_F(GeoPackageWriterFull, SpecialValuesSurvive) {
    const Raster back = read_gpkg_raster(file_, "baseline__green_share_r300");
    EXPECT_EQ(back.at(1, 0), 1e-30f);
    EXPECT_EQ(back.at(2, 0), 0.0f);
    EXPECT_TRUE(std::signbit(back.at(2, 0))) << "TIFF tiles keep the sign of -0.0";
    EXPECT_EQ(back.at(3, 0), std::numeric_limits<float>::denorm_min());
    EXPECT_EQ(back.at(4, 0), std::numeric_limits<float>::max());
    EXPECT_EQ(back.at(5, 0), std::numeric_limits<float>::lowest());
    EXPECT_TRUE(std::isnan(back.at(6, 0))) << "-9999 is the nodata sentinel";
    std::int64_t nan_count = 0;
    for (float v : back.values()) nan_count += std::isnan(v) ? 1 : 0;
    EXPECT_EQ(nan_count, 50 * 50 + 2 + 1);
}

TEST_F(GeoPackageWriterFull, GeoreferencingRoundTrips) {
    for (const char* table : {"baseline__green_share_r300", "diff__plan_a__green_share_r300", "baseline__lden"}) {
        GridSpec back;
        read_gpkg_raster(file_, table, &back);
        EXPECT_EQ(back.origin_x, grid_.origin_x) << table;
        EXPECT_EQ(back.origin_y, grid_.origin_y) << table;
        EXPECT_EQ(back.cell_size_m, grid_.cell_size_m) << table;
        EXPECT_EQ(back.cols, grid_.cols) << table;
        EXPECT_EQ(back.rows, grid_.rows) << table;
        EXPECT_EQ(back.crs, "EPSG:28992") << table;
    }
}

TEST_F(GeoPackageWriterFull, RasterBandCarriesNodataUnitAndDescription) {
    GDALAllRegister();
    const std::string name = "GPKG:" + file_.string() + ":baseline__lden";
    DatasetPtr ds(GDALDataset::FromHandle(GDALOpenEx(name.c_str(), GDAL_OF_RASTER, nullptr, nullptr, nullptr)));
    ASSERT_TRUE(ds);
    GDALRasterBand* band = ds->GetRasterBand(1);
    EXPECT_EQ(band->GetRasterDataType(), GDT_Float32);
    int has_nodata = 0;
    EXPECT_EQ(band->GetNoDataValue(&has_nodata), -9999.0);
    EXPECT_EQ(has_nodata, 1);
    EXPECT_STREQ(band->GetUnitType(), "dB(A)");
    const char* description = ds->GetMetadataItem("DESCRIPTION");
    ASSERT_NE(description, nullptr);
    EXPECT_STREQ(description, "Lden (dB(A)), scenario 'baseline'");

    DatasetPtr v = open_vector(file_);
    ASSERT_TRUE(v);
    const auto rows = query(*v, "SELECT datatype, uom, grid_cell_encoding FROM gpkg_2d_gridded_coverage_ancillary "
                                "WHERE tile_matrix_set_name = 'baseline__lden'");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0][0], "float");
    EXPECT_EQ(rows[0][1], "dB(A)");
    EXPECT_EQ(rows[0][2], "grid-value-is-area");
    // 300 x 200 cells in 256 x 256 tiles: two tiles, both little-endian TIFF ("II*\0").
    const auto tiles = query(*v, "SELECT hex(substr(tile_data, 1, 4)), zoom_level FROM baseline__lden");
    ASSERT_EQ(tiles.size(), 2u);
    for (const auto& t : tiles) EXPECT_EQ(t[0], "49492A00");
}

TEST_F(GeoPackageWriterFull, PassesGdalValidator) { expect_valid_geopackage(file_); }

TEST_F(GeoPackageWriterFull, VectorLayerKeepsGeometryNullsAndDescriptions) {
    DatasetPtr ds = open_vector(file_);
    ASSERT_TRUE(ds);
    OGRLayer* layer = ds->GetLayerByName("areas__baseline");
    ASSERT_NE(layer, nullptr);
    EXPECT_EQ(wkbFlatten(layer->GetGeomType()), wkbMultiPolygon);
    EXPECT_EQ(layer->GetFeatureCount(), 3);
    const OGRSpatialReference* srs = layer->GetSpatialRef();
    ASSERT_NE(srs, nullptr);
    EXPECT_STREQ(srs->GetAuthorityCode(nullptr), "28992");
    OGRFeatureDefn* defn = layer->GetLayerDefn();
    EXPECT_EQ(defn->GetFieldDefn(defn->GetFieldIndex("lden_mean_db"))->GetType(), OFTReal);
    EXPECT_EQ(defn->GetFieldDefn(defn->GetFieldIndex("name"))->GetType(), OFTString);

    std::vector<OGRFeature*> features;
    layer->ResetReading();
    while (OGRFeature* f = layer->GetNextFeature()) features.push_back(f);
    ASSERT_EQ(features.size(), 3u);
    EXPECT_STREQ(features[1]->GetFieldAsString("name"), "Oost");
    EXPECT_DOUBLE_EQ(features[0]->GetFieldAsDouble("lden_mean_db"), 55.5);
    EXPECT_TRUE(features[1]->IsFieldNull(defn->GetFieldIndex("lden_mean_db")));
    EXPECT_DOUBLE_EQ(features[2]->GetFieldAsDouble("lden_mean_db"), 61.25);
    EXPECT_TRUE(features[0]->IsFieldNull(defn->GetFieldIndex("share_above_55")));
    OGRGeometry* geom = features[2]->GetGeometryRef();
    ASSERT_NE(geom, nullptr);
    EXPECT_NEAR(geom->toMultiPolygon()->get_Area(), 800.0 * 800.0, 1e-6);
    OGREnvelope env;
    geom->getEnvelope(&env);
    EXPECT_EQ(env.MinX, 157000.0);
    EXPECT_EQ(env.MaxY, 461800.0);
    for (OGRFeature* f : features) OGRFeature::DestroyFeature(f);

    const auto columns = query(*ds, "SELECT column_name, title, description FROM gpkg_data_columns WHERE "
                                    "table_name = 'areas__baseline' ORDER BY column_name");
    ASSERT_EQ(columns.size(), 2u) << "only columns with a description get a row";
    EXPECT_EQ(columns[0], (std::vector<std::string>{"lden_mean_db", "lden_mean_db", "Mean Lden over the area (dB)"}));
    EXPECT_EQ(columns[1], (std::vector<std::string>{"name", "name", "Neighbourhood name"}));
}

TEST_F(GeoPackageWriterFull, LayerStylesHoldOneDefaultStylePerLayer) {
    DatasetPtr ds = open_vector(file_);
    ASSERT_TRUE(ds);
    const auto rows = query(*ds, "SELECT f_table_name, f_geometry_column, useAsDefault, f_table_schema, styleQML "
                                 "FROM layer_styles ORDER BY f_table_name");
    ASSERT_EQ(rows.size(), 4u);
    std::map<std::string, std::vector<std::string>> by_table;
    for (const auto& r : rows) by_table[r[0]] = r;
    ASSERT_EQ(by_table.size(), 4u);
    EXPECT_EQ(by_table["areas__baseline"][1], "geom");
    EXPECT_NE(by_table["areas__baseline"][4].find("renderer-v2"), std::string::npos);
    for (const char* raster : {"baseline__green_share_r300", "diff__plan_a__green_share_r300", "baseline__lden"}) {
        ASSERT_TRUE(by_table.contains(raster)) << raster;
        EXPECT_EQ(by_table[raster][1], "") << raster;
        EXPECT_NE(by_table[raster][4].find("singlebandpseudocolor"), std::string::npos) << raster;
    }
    for (const auto& r : rows) {
        EXPECT_EQ(r[2], "1") << r[0];
        EXPECT_EQ(r[3], "") << r[0];
    }
    // Diverging ramp: white exactly at zero even though the range is asymmetric.
    EXPECT_NE(by_table["diff__plan_a__green_share_r300"][4].find("value=\"0\" label=\"0\" color=\"#ffffff\""),
              std::string::npos);
    // Noise: 5 dB classes from 40 to 75, the 55-60 class in DIN 45682 light orange.
    const std::string& noise = by_table["baseline__lden"][4];
    EXPECT_NE(noise.find("colorRampType=\"DISCRETE\""), std::string::npos);
    EXPECT_NE(noise.find("value=\"60\" label=\"55 - 60\" color=\"#f3c683\""), std::string::npos);
    EXPECT_NE(noise.find("value=\"inf\" label=\"&gt;= 70\""), std::string::npos);

    const auto contents = query(*ds, "SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'");
    ASSERT_EQ(contents.size(), 1u);
    EXPECT_EQ(contents[0][0], "attributes");
}

TEST_F(GeoPackageWriterFull, ManifestRoundTrips) {
    EXPECT_EQ(read_gpkg_manifest(file_), test_manifest());

    DatasetPtr ds = open_vector(file_);
    ASSERT_TRUE(ds);
    const auto md = query(*ds, "SELECT md_scope, mime_type, metadata, id FROM gpkg_metadata WHERE "
                               "md_standard_uri = 'https://areatwin.org/manifest'");
    ASSERT_EQ(md.size(), 1u);
    EXPECT_EQ(md[0][0], "dataset");
    EXPECT_EQ(md[0][1], "application/json");
    EXPECT_EQ(nlohmann::json::parse(md[0][2]), test_manifest());
    const auto ref = query(*ds, "SELECT reference_scope, table_name, md_file_id FROM gpkg_metadata_reference");
    ASSERT_EQ(ref.size(), 1u);
    EXPECT_EQ(ref[0], (std::vector<std::string>{"geopackage", "<null>", md[0][3]}));
    const auto ext = query(*ds, "SELECT COUNT(*) FROM gpkg_extensions WHERE extension_name = 'gpkg_metadata'");
    EXPECT_EQ(ext[0][0], "2");
    const auto contents = query(*ds, "SELECT data_type FROM gpkg_contents WHERE table_name = 'areatwin_manifest'");
    ASSERT_EQ(contents.size(), 1u);
    EXPECT_EQ(contents[0][0], "attributes");
}

TEST(GeoPackageWriter, DestroyedWithoutCommitLeavesNothing) {
    const TempDir tmp("no_commit");
    const fs::path& dir = tmp.path;
    const fs::path file = dir / "out.gpkg";
    const GridSpec grid = test_grid();
    const Raster ramp = ramp_raster(grid);
    fs::path temp;
    {
        GeoPackageWriter writer(file, grid);
        temp = writer.temporary_path();
        writer.add_raster({"baseline__x", "x", "1", &ramp, {}});
        writer.add_vector(areas_layer());
        EXPECT_TRUE(fs::exists(temp));
    }
    EXPECT_FALSE(fs::exists(file));
    EXPECT_FALSE(fs::exists(temp));
    EXPECT_TRUE(fs::is_empty(dir)) << "no temporary, journal or probe file may remain";
}

TEST(GeoPackageWriter, FailedLayerThenDestroyLeavesNothing) {
    const TempDir tmp("failed_layer");
    const fs::path& dir = tmp.path;
    const fs::path file = dir / "out.gpkg";
    const GridSpec grid = test_grid();
    const Raster ramp = ramp_raster(grid);
    {
        GeoPackageWriter writer(file, grid);
        writer.add_raster({"baseline__x", "x", "1", &ramp, {}});
        EXPECT_THROW(writer.add_raster({"baseline__y", "y", "1", &ramp, RasterStyle{"rainbow", 0, 1}}), ConfigError);
        EXPECT_THROW(writer.add_raster({"baseline__x", "x again", "1", &ramp, {}}), InternalError);
        EXPECT_THROW(writer.add_raster({"bad name", "x", "1", &ramp, {}}), ConfigError);
        const Raster wrong(10, 10, 1.0f);
        EXPECT_THROW(writer.add_raster({"baseline__z", "z", "1", &wrong, {}}), InternalError);
    }
    EXPECT_TRUE(fs::is_empty(dir));
}

TEST(GeoPackageWriter, CommitReplacesExistingDestinationOnlyAtCommit) {
    const TempDir tmp("replace");
    const fs::path& dir = tmp.path;
    const fs::path file = dir / "out.gpkg";
    { std::ofstream(file) << "previous run"; }
    const GridSpec grid = test_grid();
    const Raster ramp = ramp_raster(grid);
    GeoPackageWriter writer(file, grid);
    writer.add_raster({"baseline__x", "x", "1", &ramp, {}});
    writer.set_manifest(nlohmann::json{{"run", 1}});
    writer.set_manifest(nlohmann::json{{"run", 2}});  // the last one wins
    {
        std::ifstream in(file);
        std::string content;
        std::getline(in, content);
        EXPECT_EQ(content, "previous run") << "the old file must stay until commit";
    }
    writer.commit();
    expect_bit_exact(ramp, read_gpkg_raster(file, "baseline__x"), "replacement raster");
    EXPECT_EQ(read_gpkg_manifest(file), (nlohmann::json{{"run", 2}}));
    EXPECT_FALSE(fs::exists(writer.temporary_path()));
}

TEST(GeoPackageWriter, VectorFirstThenRastersAndPointsAndLines) {
    const TempDir tmp("vector_first");
    const fs::path& dir = tmp.path;
    const fs::path file = dir / "out.gpkg";
    const GridSpec grid = test_grid();
    const Raster random = random_raster(grid);
    const Raster ramp = ramp_raster(grid);
    {
        GeoPackageWriter writer(file, grid);
        VectorLayerOut points;
        points.table = "receivers__baseline";
        for (int i = 0; i < 4; ++i) {
            Geometry g;
            g.kind = Geometry::Kind::Point;
            g.points.push_back({155005.0 + 10.0 * i, 462995.0});
            points.geometries.push_back(g);
        }
        points.columns.push_back({"lden_db", "", false, {50.0, 51.0, std::nullopt, 53.0}, {}});
        writer.add_vector(points);
        VectorLayerOut lines;
        lines.table = "roads__plan_a";
        Geometry road;
        road.kind = Geometry::Kind::Line;
        road.lines.push_back({{155000.0, 462000.0}, {156000.0, 462500.0}});
        road.lines.push_back({{156000.0, 462500.0}, {157000.0, 462500.0}});
        lines.geometries.push_back(road);
        lines.style_qml = "<qgis version=\"3.22.0\"><renderer-v2 type=\"singleSymbol\"/></qgis>";
        writer.add_vector(lines);
        VectorLayerOut no_points;  // a receiver layer with no receiver in the area is still a point layer
        no_points.table = "facades__baseline";
        no_points.kind = Geometry::Kind::Point;
        no_points.columns.push_back({"lden_db", "", false, {}, {}});
        writer.add_vector(no_points);
        for (const char* ramp_name : {"heat", "viridis"}) {
            writer.add_raster({std::string("plan_a__") + ramp_name, ramp_name, "degC",
                               ramp_name == std::string("heat") ? &random : &ramp, RasterStyle{ramp_name, 20, 40}});
        }
        writer.commit();
    }
    expect_bit_exact(random, read_gpkg_raster(file, "plan_a__heat"), "heat raster");
    expect_bit_exact(ramp, read_gpkg_raster(file, "plan_a__viridis"), "viridis raster");
    expect_valid_geopackage(file);  // vector tables first, no manifest, no data column descriptions

    DatasetPtr ds = open_vector(file);
    ASSERT_TRUE(ds);
    EXPECT_EQ(wkbFlatten(ds->GetLayerByName("receivers__baseline")->GetGeomType()), wkbPoint);
    EXPECT_EQ(wkbFlatten(ds->GetLayerByName("roads__plan_a")->GetGeomType()), wkbMultiLineString);
    EXPECT_EQ(wkbFlatten(ds->GetLayerByName("facades__baseline")->GetGeomType()), wkbPoint);
    EXPECT_EQ(ds->GetLayerByName("facades__baseline")->GetFeatureCount(), 0);
    const auto styles = query(*ds, "SELECT styleQML FROM layer_styles WHERE f_table_name = 'roads__plan_a'");
    ASSERT_EQ(styles.size(), 1u);
    EXPECT_EQ(styles[0][0], "<qgis version=\"3.22.0\"><renderer-v2 type=\"singleSymbol\"/></qgis>");
    EXPECT_EQ(query(*ds, "SELECT COUNT(*) FROM layer_styles")[0][0], "5");
    EXPECT_THROW(read_gpkg_manifest(file), DataError);
}

TEST(GeoPackageWriter, AllNodataRasterReadsBackAsNodata) {
    const TempDir tmp("all_nodata");
    const fs::path& dir = tmp.path;
    const fs::path file = dir / "out.gpkg";
    const GridSpec grid = test_grid();
    const Raster empty(grid.cols, grid.rows);  // NaN everywhere: GDAL writes no tiles at all
    {
        GeoPackageWriter writer(file, grid);
        writer.add_raster({"baseline__empty", "nothing computed", "1", &empty, {}});
        writer.commit();
    }
    GridSpec back_grid;
    const Raster back = read_gpkg_raster(file, "baseline__empty", &back_grid);
    EXPECT_EQ(back_grid, grid);
    EXPECT_TRUE(std::all_of(back.values().begin(), back.values().end(), [](float v) { return std::isnan(v); }));
    expect_valid_geopackage(file);
}

TEST(GeoPackageWriter, ReadingAMissingTableIsADataError) {
    const TempDir tmp("missing_table");
    const fs::path& dir = tmp.path;
    const fs::path file = dir / "out.gpkg";
    const GridSpec grid = test_grid();
    const Raster ramp = ramp_raster(grid);
    GeoPackageWriter writer(file, grid);
    writer.add_raster({"baseline__x", "x", "1", &ramp, {}});
    writer.commit();
    try {
        read_gpkg_raster(file, "baseline__nope");
        FAIL() << "expected DataError";
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("baseline__nope"), std::string::npos) << e.what();
    }
    EXPECT_THROW(read_gpkg_raster(dir / "absent.gpkg", "baseline__x"), DataError);
}

TEST(CheckOutputWritable, MissingFolderNamesThePath) {
    const TempDir tmp("writable");
    const fs::path& dir = tmp.path;
    const fs::path missing = dir / "no_such_folder" / "out.gpkg";
    try {
        check_output_writable(missing);
        FAIL() << "expected ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find((dir / "no_such_folder").string()), std::string::npos) << e.what();
    }
    EXPECT_THROW(GeoPackageWriter(missing, test_grid()), ConfigError);
}

TEST(CheckOutputWritable, DirectoryAsDestinationIsRefused) {
    const TempDir tmp("writable_dir");
    const fs::path& dir = tmp.path;
    fs::create_directories(dir / "out.gpkg");
    EXPECT_THROW(check_output_writable(dir / "out.gpkg"), ConfigError);
    EXPECT_NO_THROW(check_output_writable(dir / "other.gpkg"));
    EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}), 1) << "the probe file must go";
}

TEST(CheckOutputWritable, ReadOnlyFolderIsRefused) {
    if (::geteuid() == 0) GTEST_SKIP() << "running as root: permission bits are not enforced, cannot test 0555";
    const TempDir tmp("read_only");
    const fs::path& dir = tmp.path;
    ASSERT_EQ(::chmod(dir.c_str(), 0555), 0);
    EXPECT_THROW(check_output_writable(dir / "out.gpkg"), ConfigError);
    ::chmod(dir.c_str(), 0755);
}

}  // namespace
}  // namespace areatwin::io
