// SPDX-License-Identifier: GPL-3.0-or-later
// green.ndvi: NDVI from Sentinel-2 L2A digital numbers with the BOA offset (green-method.md section 5),
// by hand values, and through the loader from synthetic GeoTIFFs written here with GDAL.
#include <cmath>
#include <filesystem>
#include <vector>

#include <gdal_priv.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/executor.hpp"
#include "areatwin/indicators/all.hpp"
#include "areatwin/io/load.hpp"
#include "green/green_ndvi.hpp"
#include "support/synthetic.hpp"

namespace areatwin::indicators::green {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const Indicator& ndvi() { return builtin_registry().get("green.ndvi"); }

// Section 5, "effect if the offset is ignored": dense vegetation with reflectance B8 0.30, B4 0.03 is
// DN 4000 / 1300 after baseline 04.00 (DN = 10000 x reflectance + 1000). With the offset:
// NDVI = (0.30 - 0.03) / 0.33 = 0.818181...; raw DN: (4000 - 1300) / 5300 = 0.509434 (the notes' 0.51).
// Grass 0.25 / 0.15 -> DN 3500 / 2500: 0.25 with the offset, 1000 / 6000 = 0.1667 raw (the notes' 0.17).
TEST(GreenNdvi, OffsetAsInTheNotes) {
    EXPECT_NEAR(ndvi_from_dn(1300, 4000, -1000, 10000), 0.27 / 0.33, 1e-12);
    EXPECT_NEAR(ndvi_from_dn(1300, 4000, 0, 10000), 2700.0 / 5300.0, 1e-12);
    EXPECT_NEAR(ndvi_from_dn(2500, 3500, -1000, 10000), 0.25, 1e-12);
    EXPECT_NEAR(ndvi_from_dn(2500, 3500, 0, 10000), 1000.0 / 6000.0, 1e-12);
    // Water darker than the offset: red DN 1100 -> 0.01, NIR DN 900 -> -0.01 taken as 0: NDVI = -1.
    EXPECT_DOUBLE_EQ(ndvi_from_dn(1100, 900, -1000, 10000), -1.0);
    // Both at or below the offset: undefined.
    EXPECT_TRUE(std::isnan(ndvi_from_dn(1000, 800, -1000, 10000)));
    EXPECT_TRUE(std::isnan(ndvi_from_dn(std::nan(""), 800, -1000, 10000)));
}

// The offset is declared per band: B4 at -1000 and B8 already corrected (0) must give the NDVI of the
// reflectances 0.03 and 0.30 from DN 1300 and 3000.
TEST(GreenNdvi, OffsetPerBand) {
    EXPECT_NEAR(ndvi_from_dn(1300, 3000, -1000, 0, 10000), 0.27 / 0.33, 1e-12);
    EXPECT_NEAR(ndvi_from_dn(1300, 4000, -1000, -1000, 10000), ndvi_from_dn(1300, 4000, -1000, 10000), 0.0);
}

TEST(GreenNdvi, ClassesAtTheThresholds) {
    // ANK (section 5): < 0 water, 0-0.1 none, 0.1-0.2 sparse, 0.2-0.4 grass/shrub, > 0.4 forest.
    EXPECT_EQ(ndvi_class(-0.05, false), 0.0);
    EXPECT_EQ(ndvi_class(0.0, false), 1.0);
    EXPECT_EQ(ndvi_class(0.099, false), 1.0);
    EXPECT_EQ(ndvi_class(0.1, false), 2.0);
    EXPECT_EQ(ndvi_class(0.2, false), 3.0);
    EXPECT_EQ(ndvi_class(0.4, false), 3.0);
    EXPECT_EQ(ndvi_class(0.41, false), 4.0);
    // Hashim et al. 2019: < 0.2 non-vegetation, 0.2-0.5 shrub/grass, 0.5-1 trees.
    EXPECT_EQ(ndvi_class(0.19, true), 1.0);
    EXPECT_EQ(ndvi_class(0.2, true), 3.0);
    EXPECT_EQ(ndvi_class(0.5, true), 4.0);
    EXPECT_TRUE(std::isnan(ndvi_class(std::nan(""), false)));
}

void write_band(const fs::path& path, double origin_x, double origin_y, double pixel_m, int cols, int rows,
                const std::vector<double>& values) {
    GDALAllRegister();
    GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GTiff");
    GDALDataset* ds = driver->Create(path.string().c_str(), cols, rows, 1, GDT_UInt16, nullptr);
    ASSERT_NE(ds, nullptr);
    double gt[6] = {origin_x, pixel_m, 0.0, origin_y, 0.0, -pixel_m};
    ds->SetGeoTransform(gt);
    OGRSpatialReference srs;
    srs.importFromEPSG(28992);
    ds->SetSpatialRef(&srs);
    GDALRasterBand* band = ds->GetRasterBand(1);
    band->SetNoDataValue(0.0);  // L2A NODATA
    ASSERT_EQ(band->RasterIO(GF_Write, 0, 0, cols, rows, const_cast<double*>(values.data()), cols, rows, GDT_Float64, 0, 0),
              CE_None);
    GDALClose(ds);
}

struct Bands {
    test::TempDir dir{"green_ndvi"};
    std::vector<io::SourceSpec> sources;
    // 10 m pixels, 4 x 2, from (85000, 447020) down; rows from the top:
    //   dense vegetation, grass, water, nodata
    //   bare (0.12 / 0.10), dense, grass, dense
    Bands() {
        write_band(dir.path / "b4.tif", 85000, 447020, 10, 4, 2, {1300, 2500, 1100, 0, 2200, 1300, 2500, 1300});
        write_band(dir.path / "b8.tif", 85000, 447020, 10, 4, 2, {4000, 3500, 900, 3000, 2000, 4000, 3500, 4000});
        for (const char* role : {"s2_red", "s2_nir"}) {
            io::SourceSpec s;
            s.role = role;
            s.path = dir.path / (std::string(role) == "s2_red" ? "b4.tif" : "b8.tif");
            s.declared_at = "batch.yaml:3";
            sources.push_back(s);
        }
    }
};

std::vector<Raster> run(const LayerStack& stack, std::map<std::string, RawValue> params = {}) {
    const auto model = ndvi().configure(params);
    return run_indicator(*model, stack, {1, 2, {}});
}

TEST(GreenNdvi, FromGeoTiffOnTheSameGrid) {
    Bands b;
    const GridSpec grid = GridSpec::covering({85000, 447000, 85040, 447020}, 10.0, "EPSG:28992");
    ASSERT_EQ(grid.cols, 4);
    ASSERT_EQ(grid.rows, 2);
    io::LoadReport report;
    const LayerStack stack = io::load_inputs(b.sources, grid, report);
    const auto out = run(stack);
    ASSERT_EQ(out.size(), 2u);
    const Raster& v = out[0];
    const Raster& cls = out[1];
    // Row 0 is the top row of the grid (north-up, as the rasters).
    const auto at = [&](const Raster& r, int col, int row) { return static_cast<double>(r.at(col, row)); };
    const double dense = 0.27 / 0.33, grass = 0.25, bare = (0.10 - 0.12) / 0.22;
    EXPECT_NEAR(at(v, 0, 0), dense, 1e-6);
    EXPECT_NEAR(at(v, 1, 0), grass, 1e-6);
    EXPECT_NEAR(at(v, 2, 0), -1.0, 1e-6);
    EXPECT_TRUE(std::isnan(at(v, 3, 0))) << "DN 0 is L2A nodata";
    EXPECT_NEAR(at(v, 0, 1), bare, 1e-6);
    EXPECT_EQ(at(cls, 0, 0), 4.0);
    EXPECT_EQ(at(cls, 1, 0), 3.0);
    EXPECT_EQ(at(cls, 2, 0), 0.0);
    EXPECT_TRUE(std::isnan(at(cls, 3, 0)));
    EXPECT_EQ(at(cls, 0, 1), 0.0);  // -0.0909: below 0

    // The offset of a pre-04.00 or harmonised product: the raw DN ratio.
    const auto raw = run(stack, {{"boa_add_offset", RawValue{0.0, "test"}}});
    EXPECT_NEAR(raw[0].at(0, 0), 2700.0 / 5300.0, 1e-6);
    EXPECT_EQ(raw[1].at(0, 0), 4.0);
    EXPECT_NEAR(raw[0].at(1, 0), 1000.0 / 6000.0, 1e-6);
    EXPECT_EQ(raw[1].at(1, 0), 2.0) << "ignoring the offset moves grass to sparse vegetation";

    // Per band: B8 already corrected by the distributor (0), B4 not (-1000). Dense: (4000 - 0) and
    // (1300 - 1000): reflectances 0.40 and 0.03, NDVI 0.37 / 0.43.
    const auto per_band = run(stack, {{"boa_add_offset_b8", RawValue{0.0, "test"}}});
    EXPECT_NEAR(per_band[0].at(0, 0), 0.37 / 0.43, 1e-6);
    // A band offset not given follows boa_add_offset; one given wins over it.
    const auto both = run(stack, {{"boa_add_offset", RawValue{0.0, "test"}}, {"boa_add_offset_b4", RawValue{-1000.0, "test"}}});
    EXPECT_NEAR(both[0].at(0, 0), 0.37 / 0.43, 1e-6);
    const auto in_effect = ndvi().resolve(validate_parameters("green.ndvi", ndvi().descriptor().parameters,
                                                              {{"boa_add_offset", RawValue{0.0, "test"}}}));
    EXPECT_EQ(in_effect.number("boa_add_offset_b4"), 0.0);
    EXPECT_EQ(in_effect.number("boa_add_offset_b8"), 0.0);
    try {
        (void)run(stack, {{"boa_add_offset_b4", RawValue{-20000.0, "test"}}});
        FAIL() << "an offset out of range";
    } catch (const ConfigError& e) {
        EXPECT_THAT(e.what(), ::testing::HasSubstr("boa_add_offset_b4"));
    }
}

TEST(GreenNdvi, CoarserGridAveragesTheDigitalNumbers) {
    Bands b;
    // 20 m cells: the left cell averages pixels (0,0), (1,0), (0,1), (1,1) of each band:
    // red (1300 + 2500 + 2200 + 1300) / 4 = 1825, NIR (4000 + 3500 + 2000 + 4000) / 4 = 3375;
    // reflectances 0.0825 and 0.2375: NDVI = 0.155 / 0.32 = 0.484375.
    const GridSpec grid = GridSpec::covering({85000, 447000, 85040, 447020}, 20.0, "EPSG:28992");
    io::LoadReport report;
    const LayerStack stack = io::load_inputs(b.sources, grid, report);
    const auto out = run(stack);
    EXPECT_NEAR(out[0].at(0, 0), 0.155 / 0.32, 1e-6);
}

TEST(GreenNdvi, MissingBandIsADataErrorNamingTheRole) {
    const GridSpec grid = GridSpec::covering({0, 0, 20, 20}, 10.0, "EPSG:28992");
    LayerStack stack(grid);
    stack.set_raster("s2_nir", std::make_shared<const Raster>(grid.cols, grid.rows, 3000.0f));
    const auto model = ndvi().configure({});
    try {
        (void)run_indicator(*model, stack, {1, 256, {}});
        FAIL() << "expected a DataError";
    } catch (const DataError& e) {
        EXPECT_THAT(e.what(), HasSubstr("s2_red"));
        EXPECT_THAT(e.what(), HasSubstr("B4"));
    }
}

TEST(GreenNdvi, ExplainShowsTheReflectances) {
    const GridSpec grid = GridSpec::covering({0, 0, 20, 20}, 10.0, "EPSG:28992");
    LayerStack stack(grid);
    stack.set_raster("s2_red", std::make_shared<const Raster>(grid.cols, grid.rows, 1300.0f));
    stack.set_raster("s2_nir", std::make_shared<const Raster>(grid.cols, grid.rows, 4000.0f));
    const auto e = ndvi().configure({})->explain(stack, 5, 5);
    ASSERT_TRUE(e.value.has_value());
    EXPECT_NEAR(*e.value, 0.27 / 0.33, 1e-9);
    ASSERT_GE(e.terms.size(), 4u);
    EXPECT_NEAR(e.terms[2].value, 0.03, 1e-12);
    EXPECT_NEAR(e.terms[3].value, 0.30, 1e-12);
}

}  // namespace
}  // namespace areatwin::indicators::green
