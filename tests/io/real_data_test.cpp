// SPDX-License-Identifier: GPL-3.0-or-later
// Loading the real public data sets in ../shared/data-real. Reference counts, extents and areas come
// from the README of each data set (GDAL 3.6.2 ogrinfo/gdalinfo), or are computed here with GDAL/OGR
// directly, independently of the loader.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gdal_priv.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/io/load.hpp"
#include "support/synthetic.hpp"

namespace areatwin::io {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;

#define REQUIRE_REAL_DATA()                                                                          \
    if (!test::shared_data_present()) {                                                              \
        GTEST_SKIP() << "../shared/data-real not present: the real-data loading tests need it";      \
    }

fs::path lorient(const std::string& file) { return test::shared_data_dir() / "lorient-noisemodelling" / file; }
fs::path delft(const std::string& file) { return test::shared_data_dir() / "delft-bgt-3dfier" / file; }
fs::path gothenburg(const std::string& file) { return test::shared_data_dir() / "gothenburg-umep" / file; }

// Lorient README: the extent of buildings.shp, ROADS2.shp and receivers.shp together is within
// 222509.97..225100.62 x 6756902.59..6758964.68 (EPSG:2154). The grid covers all of it.
GridSpec lorient_grid() { return GridSpec::covering({222500, 6756900, 225110, 6758970}, 10.0, "EPSG:2154"); }

Box2 bounds_of(const FeatureSet& set) {
    Box2 box = set.features.front().geometry.bounds();
    for (const Feature& f : set.features) {
        const Box2 b = f.geometry.bounds();
        box = {std::min(box.min_x, b.min_x), std::min(box.min_y, b.min_y), std::max(box.max_x, b.max_x),
               std::max(box.max_y, b.max_y)};
    }
    return box;
}

TEST(RealLorient, BuildingsRoadsAndReceiversCounts) {
    REQUIRE_REAL_DATA();
    const GridSpec grid = lorient_grid();
    LoadReport report;

    SourceSpec buildings;
    buildings.role = "buildings";
    buildings.path = lorient("buildings.shp");
    buildings.fields["height_m"] = FieldMapping{"HEIGHT", "m", std::nullopt};
    const FeatureSet b = read_vector(buildings, grid, grid.extent(), report);
    EXPECT_EQ(b.features.size(), 1701U);
    double min_h = 1e9, max_h = 0.0;
    for (const Feature& f : b.features) {
        min_h = std::min(min_h, *f.number("height_m"));
        max_h = std::max(max_h, *f.number("height_m"));
    }
    EXPECT_NEAR(min_h, 3.0, 0.05);   // README: HEIGHT 3.0 to 49.2 m
    EXPECT_NEAR(max_h, 49.2, 0.05);
    const Box2 extent = bounds_of(b);
    EXPECT_NEAR(extent.min_x, 223470.99, 0.01);
    EXPECT_NEAR(extent.max_y, 6758681.30, 0.01);

    SourceSpec roads;
    roads.role = "roads";
    roads.path = lorient("ROADS2.shp");
    roads.fields["q_cat1_day_veh_per_h"] = FieldMapping{"TV_D", "veh/h", std::nullopt};
    roads.fields["v_cat1_kmh"] = FieldMapping{"LV_SPD_D", "km/h", std::nullopt};
    roads.fields["surface"] = FieldMapping{"PVMT", "", std::nullopt};
    const FeatureSet r = read_vector(roads, grid, grid.extent(), report);
    EXPECT_EQ(r.features.size(), 549U);
    double max_flow = 0.0;
    for (const Feature& f : r.features) {
        EXPECT_EQ(f.geometry.kind, Geometry::Kind::Line);
        max_flow = std::max(max_flow, *f.number("q_cat1_day_veh_per_h"));
    }
    EXPECT_NEAR(max_flow, 9028.6, 0.05);  // README: TV_D up to 9028.6 veh/h

    SourceSpec receivers;
    receivers.role = "receivers";
    receivers.path = lorient("receivers.shp");
    const FeatureSet rc = read_vector(receivers, grid, grid.extent(), report);
    // The README's 830 is the record count in the file header (ogrinfo "Feature Count"). Record 0 of
    // receivers.dbf is marked deleted ('*'), and GDAL, like QGIS, skips it: 829 live receivers.
    EXPECT_EQ(rc.features.size(), 829U);
    EXPECT_EQ(rc.features.front().id, 1);
    EXPECT_TRUE(report.warnings.empty()) << report.warnings.front();
}

TEST(RealLorient, ReprojectionToRdNewMatchesProj) {
    REQUIRE_REAL_DATA();
    SourceSpec buildings;
    buildings.role = "buildings";
    buildings.path = lorient("buildings.shp");
    const Box2 ours = vector_extent(buildings, "EPSG:28992");

    // Independently: the layer envelope transformed with OGR/PROJ (densified edges).
    GDALAllRegister();
    std::unique_ptr<GDALDataset> dataset(GDALDataset::Open(buildings.path.string().c_str(), GDAL_OF_VECTOR));
    ASSERT_TRUE(dataset);
    OGRLayer* layer = dataset->GetLayer(0);
    OGREnvelope envelope;
    ASSERT_EQ(layer->GetExtent(&envelope, TRUE), OGRERR_NONE);
    OGRSpatialReference source(*layer->GetSpatialRef());
    source.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    OGRSpatialReference rd;
    rd.importFromEPSG(28992);
    rd.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    std::unique_ptr<OGRCoordinateTransformation> ct(OGRCreateCoordinateTransformation(&source, &rd));
    ASSERT_TRUE(ct);
    Box2 proj;
    ASSERT_TRUE(ct->TransformBounds(envelope.MinX, envelope.MinY, envelope.MaxX, envelope.MaxY, &proj.min_x, &proj.min_y,
                                    &proj.max_x, &proj.max_y, 21));
    // Lorient lies far west-south-west of the RD New domain; the envelope of the features lies
    // inside the transformed layer envelope and reaches it within the curvature of its edges.
    EXPECT_GE(ours.min_x, proj.min_x - 0.01);
    EXPECT_GE(ours.min_y, proj.min_y - 0.01);
    EXPECT_LE(ours.max_x, proj.max_x + 0.01);
    EXPECT_LE(ours.max_y, proj.max_y + 0.01);
    EXPECT_NEAR(ours.min_x, proj.min_x, 50.0);
    EXPECT_NEAR(ours.max_x, proj.max_x, 50.0);
    EXPECT_NEAR(ours.min_y, proj.min_y, 50.0);
    EXPECT_NEAR(ours.max_y, proj.max_y, 50.0);
    // A size check: the 1.63 km x 1.54 km extent (README) grows by a few % as the grids are rotated
    // against each other by about 2 degrees this far from the RD New domain.
    EXPECT_NEAR(ours.max_x - ours.min_x, 1629.6, 0.05 * 1629.6);
    EXPECT_NEAR(ours.max_y - ours.min_y, 1538.3, 0.05 * 1538.3);
    // Reference: `ogr2ogr -t_srs EPSG:28992` then `ogrinfo -so` (GDAL 3.6.2, PROJ 9.1.1) reports the extent
    // (-501303.759169, 10271.364313) - (-499635.177350, 11864.729377). 1 m allows for other PROJ
    // datum-shift choices.
    EXPECT_NEAR(ours.min_x, -501303.759169, 1.0);
    EXPECT_NEAR(ours.min_y, 10271.364313, 1.0);
    EXPECT_NEAR(ours.max_x, -499635.177350, 1.0);
    EXPECT_NEAR(ours.max_y, 11864.729377, 1.0);

    // Read onto an RD New grid around the reprojected extent: every building arrives.
    const GridSpec grid = GridSpec::covering(ours, 10.0, "EPSG:28992");
    buildings.fields["height_m"] = FieldMapping{"HEIGHT", "m", std::nullopt};
    LoadReport report;
    const FeatureSet set = read_vector(buildings, grid, grid.extent(), report);
    EXPECT_EQ(set.features.size(), 1701U);
    const Box2 read_box = bounds_of(set);
    EXPECT_NEAR(read_box.min_x, ours.min_x, 1e-6);
    EXPECT_NEAR(read_box.max_y, ours.max_y, 1e-6);
}

GridSpec delft_grid() { return GridSpec::covering({84600, 447400, 85150, 447760}, 1.0, "EPSG:28992"); }

TEST(RealDelft, PandCountAndExtent) {
    REQUIRE_REAL_DATA();
    SourceSpec pand;
    pand.role = "buildings";
    pand.path = delft("bgt_pand.sqlite");
    pand.preset = "bgt";
    LoadReport report;
    const GridSpec grid = delft_grid();
    const FeatureSet set = read_vector(pand, grid, grid.extent(), report);
    ASSERT_EQ(set.features.size(), 160U);
    const Box2 box = bounds_of(set);
    // README: extent 84825.87, 447456.72, 85056.51, 447624.07 (ogrinfo, 2 decimals).
    EXPECT_NEAR(box.min_x, 84825.87, 0.01);
    EXPECT_NEAR(box.min_y, 447456.72, 0.01);
    EXPECT_NEAR(box.max_x, 85056.51, 0.01);
    EXPECT_NEAR(box.max_y, 447624.07, 0.01);
    EXPECT_EQ(set.features[0].source, "bgt_pand.sqlite:buildingpart");
    EXPECT_TRUE(set.features[0].text("name").has_value());  // identificatiebagpnd
    EXPECT_DOUBLE_EQ(*set.features[0].number("height_m"), 9.0);
    ASSERT_EQ(report.warnings.size(), 1U);
    EXPECT_THAT(report.warnings[0], HasSubstr("BGT buildings have no height"));
}

TEST(RealDelft, EmptyLayersWarn) {
    REQUIRE_REAL_DATA();
    const GridSpec grid = delft_grid();
    for (const char* file : {"bgt_ondersteunendwaterdeel.sqlite", "bgt_ondersteunendwegdeel.sqlite",
                             "bgt_overigbouwwerk.sqlite", "bgt_tunneldeel.sqlite"}) {
        SourceSpec source;
        source.role = "landcover";
        source.path = delft(file);
        source.preset = "bgt";
        LoadReport report;
        EXPECT_TRUE(read_vector(source, grid, grid.extent(), report).features.empty()) << file;
        ASSERT_EQ(report.warnings.size(), 1U) << file;
        EXPECT_THAT(report.warnings[0], AllOf(HasSubstr(file), HasSubstr("has no features")));
    }
}

// Rasterised class areas equal the polygon areas: README "mapped areas (from GDAL OGR_GEOM_AREA)".
TEST(RealDelft, BgtPresetLandcoverAreas) {
    REQUIRE_REAL_DATA();
    const GridSpec grid = delft_grid();
    struct Case {
        const char* file;
        std::vector<std::string> classes;
        double readme_area_m2;
    };
    const std::vector<Case> cases = {
        {"bgt_begroeidterreindeel.sqlite", {"grass", "shrubs"}, 3526.0},
        {"bgt_pand.sqlite", {"building"}, 8654.0},
        {"bgt_onbegroeidterreindeel.sqlite", {"paved", "bare"}, 7652.0},
        {"bgt_wegdeel.sqlite", {"paved"}, 7748.0},
        {"bgt_waterdeel.sqlite", {"water"}, 16066.0},
    };
    for (const Case& c : cases) {
        SourceSpec source;
        source.role = "landcover";
        source.path = delft(c.file);
        source.preset = "bgt";
        LoadReport report;
        const LayerStack stack = load_inputs({source}, grid, report);
        double polygon_area = 0.0;
        for (const Feature& f : stack.features("landcover").features) polygon_area += f.geometry.area_m2();
        double raster_area = 0.0;
        for (const std::string& cls : c.classes) {
            for (float v : stack.raster("landcover." + cls).values()) raster_area += v * grid.cell_area_m2();
        }
        EXPECT_NEAR(polygon_area, c.readme_area_m2, 0.005 * c.readme_area_m2) << c.file;
        // Within one layer BGT polygons do not overlap, so no clamping: exact coverage to float precision.
        EXPECT_NEAR(raster_area, polygon_area, 1e-4 * polygon_area) << c.file;
    }

    // The plant cover splits into shrubs (heesters) and grass.
    SourceSpec plants;
    plants.role = "landcover";
    plants.path = delft("bgt_begroeidterreindeel.sqlite");
    plants.preset = "bgt";
    LoadReport report;
    const FeatureSet set = read_vector(plants, grid, grid.extent(), report);
    const auto shrubs = std::count_if(set.features.begin(), set.features.end(),
                                      [](const Feature& f) { return f.text("class") == "shrubs"; });
    EXPECT_EQ(shrubs, 28);  // README: plus_fysiekvoorkomen = heesters on 28 polygons
    EXPECT_EQ(set.features.size(), 126U);
}

TEST(RealDelft, AllBgtLayersTogetherFormOnePriorityLevel) {
    REQUIRE_REAL_DATA();
    const GridSpec grid = delft_grid();
    std::vector<SourceSpec> sources;
    for (const char* file : {"bgt_pand.sqlite", "bgt_begroeidterreindeel.sqlite", "bgt_onbegroeidterreindeel.sqlite",
                             "bgt_wegdeel.sqlite", "bgt_waterdeel.sqlite"}) {
        SourceSpec source;
        source.role = "landcover";
        source.path = delft(file);
        source.preset = "bgt";
        sources.push_back(source);
    }
    LoadReport report;
    const LayerStack stack = load_inputs(sources, grid, report);
    // README counts: 160 + 126 + 81 + 151 + 3.
    EXPECT_EQ(report.feature_counts.at("landcover"), 521);
    // Every class fraction lies in [0, 1] and per cell they sum to at most 1.
    std::vector<double> total(static_cast<std::size_t>(grid.cell_count()), 0.0);
    for (const std::string& name : stack.raster_names()) {
        if (name.rfind("landcover.", 0) != 0) continue;
        const auto& values = stack.raster(name).values();
        for (std::size_t i = 0; i < values.size(); ++i) {
            ASSERT_GE(values[i], 0.0f) << name;
            total[i] += values[i];
        }
    }
    EXPECT_LE(*std::max_element(total.begin(), total.end()), 1.0 + 1e-5);
    EXPECT_EQ(report.files.size(), 5U);
}

// Gothenburg README: all rasters on one grid, EPSG:3007, 234 x 223 pixels of 1 m from (147720, 6398780).
GridSpec gothenburg_grid(double cell_m) {
    GridSpec grid;
    grid.origin_x = 147720.0;
    grid.origin_y = 6398780.0;
    grid.cell_size_m = cell_m;
    grid.cols = static_cast<std::int64_t>(std::floor(234 / cell_m));
    grid.rows = static_cast<std::int64_t>(std::floor(223 / cell_m));
    grid.crs = "EPSG:3007";
    return grid;
}

// The source pixels as the loader should deliver them: nodata -> NaN, read straight with GDAL.
std::vector<double> source_pixels(const fs::path& path) {
    GDALAllRegister();
    std::unique_ptr<GDALDataset> dataset(GDALDataset::Open(path.string().c_str(), GDAL_OF_RASTER));
    EXPECT_TRUE(dataset);
    GDALRasterBand* band = dataset->GetRasterBand(1);
    std::vector<double> values(234 * 223);
    EXPECT_EQ(band->RasterIO(GF_Read, 0, 0, 234, 223, values.data(), 234, 223, GDT_Float64, 0, 0), CE_None);
    int has_nodata = 0;
    const double nodata = band->GetNoDataValue(&has_nodata);
    for (double& v : values) {
        if (has_nodata && v == nodata) v = std::nan("");
    }
    return values;
}

TEST(RealGothenburg, RastersOnTheirOwnGridAreExact) {
    REQUIRE_REAL_DATA();
    const GridSpec grid = gothenburg_grid(1.0);
    ASSERT_EQ(grid.cols, 234);
    ASSERT_EQ(grid.rows, 223);
    for (const char* file : {"DSM_KRbig.tif", "DEM_KRbig.tif", "CDSM_KRbig.tif", "landcover.tif"}) {
        SourceSpec source;
        source.role = "dsm";
        source.path = gothenburg(file);
        LoadReport report;
        const Raster raster = read_raster(source, grid, Resampling::Bilinear, report);
        const std::vector<double> expected = source_pixels(source.path);
        std::int64_t mismatches = 0;
        for (std::size_t i = 0; i < expected.size(); ++i) {
            const float want = static_cast<float>(expected[i]);
            const float got = raster.values()[i];
            if (!(got == want || (std::isnan(got) && std::isnan(want)))) ++mismatches;
        }
        EXPECT_EQ(mismatches, 0) << file;
        EXPECT_TRUE(report.warnings.empty());
    }
}

TEST(RealGothenburg, TwoMetreGridAveragesFourPixels) {
    REQUIRE_REAL_DATA();
    const GridSpec grid = gothenburg_grid(2.0);
    for (const char* file : {"DSM_KRbig.tif", "CDSM_KRbig.tif"}) {
        SourceSpec source;
        source.role = "dsm";
        source.path = gothenburg(file);
        LoadReport report;
        const Raster raster = read_raster(source, grid, Resampling::Average, report);
        const std::vector<double> pixels = source_pixels(source.path);
        double worst = 0.0;
        for (std::int64_t row = 0; row < grid.rows; ++row) {
            for (std::int64_t col = 0; col < grid.cols; ++col) {
                double sum = 0.0;
                int n = 0;
                for (int dy = 0; dy < 2; ++dy) {
                    for (int dx = 0; dx < 2; ++dx) {
                        const double v = pixels[static_cast<std::size_t>((2 * row + dy) * 234 + 2 * col + dx)];
                        if (!std::isnan(v)) {
                            sum += v;
                            ++n;
                        }
                    }
                }
                const float got = raster.at(col, row);
                if (n == 0) {
                    EXPECT_TRUE(std::isnan(got));
                    continue;
                }
                worst = std::max(worst, std::abs(got - sum / n));
            }
        }
        // Float32 output of values up to 58 m: a few ulps.
        EXPECT_LT(worst, 1e-5) << file;
    }
}

TEST(RealGothenburg, LandcoverClassFractions) {
    REQUIRE_REAL_DATA();
    SourceSpec source;
    source.role = "landcover";
    source.path = gothenburg("landcover.tif");
    // UMEP classes (README): 1 paved, 2 buildings, 3/4 trees, 5 grass, 6 bare soil, 7 water.
    source.classes = {{"1", "paved"}, {"2", "building"}, {"3", "trees"}, {"4", "trees"},
                      {"5", "grass"}, {"6", "bare"},     {"7", "water"}};
    LoadReport report;
    const auto one_metre = read_landcover_raster(source, gothenburg_grid(1.0), report);
    double building_cells = 0.0, grass_cells = 0.0, water_cells = 0.0, paved_cells = 0.0;
    for (float v : one_metre.at("building").values()) building_cells += v;
    for (float v : one_metre.at("grass").values()) grass_cells += v;
    for (float v : one_metre.at("water").values()) water_cells += v;
    for (float v : one_metre.at("paved").values()) paved_cells += v;
    // README pixel counts: paved 18,832, buildings 25,867, grass 4,649, water 2,834.
    EXPECT_DOUBLE_EQ(paved_cells, 18832.0);
    EXPECT_DOUBLE_EQ(building_cells, 25867.0);
    EXPECT_DOUBLE_EQ(grass_cells, 4649.0);
    EXPECT_DOUBLE_EQ(water_cells, 2834.0);

    // On 2 m cells: fractions are quarters, and the class areas are kept (234 x 223 has no partial
    // 2 m cells only along the last row: 223 is odd, so compare against the pixels the grid covers).
    const GridSpec two = gothenburg_grid(2.0);
    const auto two_metre = read_landcover_raster(source, two, report);
    const std::vector<double> pixels = source_pixels(source.path);
    double building_pixels_covered = 0.0;
    for (std::int64_t row = 0; row < two.rows * 2; ++row) {
        for (std::int64_t col = 0; col < two.cols * 2; ++col) {
            if (pixels[static_cast<std::size_t>(row * 234 + col)] == 2.0) building_pixels_covered += 1.0;
        }
    }
    double building_area = 0.0;
    for (float v : two_metre.at("building").values()) {
        EXPECT_EQ(v * 4.0f, std::round(v * 4.0f));
        building_area += v * 4.0;
    }
    EXPECT_DOUBLE_EQ(building_area, building_pixels_covered);
}

TEST(RealGothenburg, LegacyEncodedBuildingsShapefile) {
    REQUIRE_REAL_DATA();
    // The footprints reach beyond the rasters (README extent 147530.27..148144.11 x 6398370.91..6398914.35).
    const GridSpec grid = GridSpec::covering({147530, 6398370, 148145, 6398915}, 1.0, "EPSG:3007");
    SourceSpec buildings;
    buildings.role = "buildings";
    buildings.path = gothenburg("buildings.shp");
    buildings.fields["height_m"] = FieldMapping{"", "", 10.0};
    buildings.fields["use"] = FieldMapping{"TYP", "", std::nullopt};
    LoadReport report;
    const FeatureSet set = read_vector(buildings, grid, grid.extent(), report);
    EXPECT_EQ(set.features.size(), 137U);
    const auto houses = std::count_if(set.features.begin(), set.features.end(),
                                      [](const Feature& f) { return f.text("use") == "H"; });
    EXPECT_EQ(houses, 53);  // README: TYP H on 53 footprints
    // A missing field lists the fields present, including the 8-bit OPERATÖR, without failing.
    buildings.fields["name"] = FieldMapping{"NAMN", "", std::nullopt};
    try {
        read_vector(buildings, grid, grid.extent(), report);
        ADD_FAILURE() << "expected a DataError";
    } catch (const DataError& e) {
        EXPECT_THAT(std::string(e.what()), AllOf(HasSubstr("field 'NAMN'"), HasSubstr("OPERAT"), HasSubstr("MI_PRINX")));
    }
}

TEST(RealGothenburg, CanopyRasterDrivesTheSurfaceModel) {
    REQUIRE_REAL_DATA();
    const GridSpec grid = gothenburg_grid(1.0);
    SourceSpec dem;
    dem.role = "dem";
    dem.path = gothenburg("DEM_KRbig.tif");
    SourceSpec canopy;
    canopy.role = "trees";
    canopy.path = gothenburg("CDSM_KRbig.tif");
    LoadReport report;
    const LayerStack stack = load_inputs({dem, canopy}, grid, report);
    const std::vector<double> dem_pixels = source_pixels(dem.path);
    const std::vector<double> cdsm_pixels = source_pixels(canopy.path);
    std::int64_t canopy_cells = 0, counted_above_threshold = 0;
    for (std::size_t i = 0; i < dem_pixels.size(); ++i) {
        const float expected = static_cast<float>(dem_pixels[i]) + static_cast<float>(cdsm_pixels[i]);
        ASSERT_EQ(stack.raster("dsm").values()[i], expected) << i;
        if (stack.raster("canopy.fraction").values()[i] == 1.0f) ++canopy_cells;
        if (cdsm_pixels[i] > default_min_canopy_height_m) ++counted_above_threshold;
    }
    // Crown where the CDSM exceeds the default 2.5 m: 2,778 cells (counted independently with
    // gdal_translate -of XYZ and awk '$3 > 2.5'); the other 188 vegetated cells are 1.03 to 2.5 m.
    EXPECT_EQ(canopy_cells, counted_above_threshold);
    EXPECT_EQ(canopy_cells, 2778);

    // With the threshold at 0 every vegetated cell is crown, as in UMEP.
    canopy.min_canopy_height_m = 0.0;
    LoadReport report_at_zero;
    const LayerStack at_zero = load_inputs({dem, canopy}, grid, report_at_zero);
    const auto& fractions = at_zero.raster("canopy.fraction").values();
    EXPECT_EQ(std::count(fractions.begin(), fractions.end(), 1.0f), 2966);  // README: 2,966 cells above 0
}

}  // namespace
}  // namespace areatwin::io
