// SPDX-License-Identifier: GPL-3.0-or-later
// heat.pet on the real Gothenburg (Kronenhuset) 1 m rasters of UMEP (EPSG:3007), read through io::read_raster.
#include <cmath>

#include <gtest/gtest.h>

#include "areatwin/engine/executor.hpp"
#include "areatwin/engine/roles.hpp"
#include "areatwin/indicators/all.hpp"
#include "areatwin/io/load.hpp"
#include "support/synthetic.hpp"

namespace areatwin {
namespace {

TEST(HeatPetGothenburg, RangesAndTheShadeSunPattern) {
    const auto dir = test::shared_data_dir() / "gothenburg-umep";
    if (!std::filesystem::exists(dir / "DSM_KRbig.tif")) GTEST_SKIP() << "Gothenburg data absent: " << dir;
    GridSpec grid;
    grid.origin_x = 147720;
    grid.origin_y = 6398780;
    grid.cell_size_m = 1.0;
    grid.cols = 234;
    grid.rows = 223;
    grid.crs = "EPSG:3007";
    io::LoadReport report;
    auto read = [&](const char* file, const char* role) {
        io::SourceSpec src;
        src.role = role;
        src.path = dir / file;
        return io::read_raster(src, grid, io::Resampling::Bilinear, report);
    };
    LayerStack st(grid);
    const Raster dsm = read("DSM_KRbig.tif", "dsm");
    const Raster dem = read("DEM_KRbig.tif", "dem");
    const Raster cdsm = read("CDSM_KRbig.tif", "canopy");
    st.set_raster(std::string(layer::dsm), std::make_shared<const Raster>(dsm));
    st.set_raster(std::string(layer::dem), std::make_shared<const Raster>(dem));
    st.set_raster(std::string(layer::canopy_height), std::make_shared<const Raster>(cdsm));
    Raster crowns(grid.cols, grid.rows, 0.0f);
    for (std::size_t i = 0; i < crowns.values().size(); ++i) crowns.values()[i] = cdsm.values()[i] > 0.0f ? 1.0f : 0.0f;
    st.set_raster(std::string(layer::canopy_fraction), std::make_shared<const Raster>(crowns));
    // UMEP classes: 1 paved, 2 buildings, 5 grass, 7 water (README of the data set).
    io::SourceSpec lc;
    lc.role = "landcover";
    lc.path = dir / "landcover.tif";
    lc.classes = {{"1", "paved"}, {"2", "building"}, {"3", "trees"}, {"4", "trees"}, {"5", "grass"}, {"6", "bare"}, {"7", "water"}};
    for (auto& [cls, r] : io::read_landcover_raster(lc, grid, report)) {
        st.set_raster(layer::landcover_fraction(cls), std::make_shared<const Raster>(std::move(r)));
    }
    // Gothenburg, 57.70 N 11.97 E, on a hot day; the city is on CEST like the Netherlands.
    const auto model = indicators::builtin_registry().get("heat.pet").configure(
        {{"latitude_deg", {57.70, "test"}}, {"longitude_deg", {11.97, "test"}}});
    const auto out = run_indicator(*model, st, {2, 128, {}});
    const Raster& pet = out[0];
    const Raster& shade = out[2];
    const Raster& svf = out[3];
    double roof_svf = 0, street_svf = 0, pet_sun = 0, pet_shade = 0;
    int roofs = 0, streets = 0, sunny = 0, shady = 0, valid = 0;
    for (std::int64_t r = 0; r < grid.rows; ++r)
        for (std::int64_t c = 0; c < grid.cols; ++c) {
            const float p = pet.at(c, r);
            if (std::isnan(p)) continue;
            ++valid;
            ASSERT_GE(p, 15.0f);
            ASSERT_LE(p, 50.0f);
            ASSERT_GE(svf.at(c, r), 0.0f);
            ASSERT_LE(svf.at(c, r), 1.0f + 1e-6f);
            const float height = dsm.at(c, r) - dem.at(c, r);
            if (height > 10.0f) {
                roof_svf += svf.at(c, r);
                ++roofs;
            } else if (height < 0.5f && cdsm.at(c, r) <= 0.0f) {
                street_svf += svf.at(c, r);
                ++streets;
                if (shade.at(c, r) == 0.0f) {
                    pet_sun += p;
                    ++sunny;
                } else if (shade.at(c, r) == 100.0f) {
                    pet_shade += p;
                    ++shady;
                }
            }
        }
    ASSERT_GT(valid, 40000);
    ASSERT_GT(roofs, 1000);
    ASSERT_GT(streets, 1000);
    ASSERT_GT(sunny, 100);
    ASSERT_GT(shady, 100);
    // Roofs see more sky than ground between the buildings; the courtyards and streets in shade all afternoon
    // are several degrees cooler than the open ground in sun (the regression's sun-shade gap is about 10 K).
    EXPECT_GT(roof_svf / roofs, street_svf / streets + 0.1);
    EXPECT_GT(pet_sun / sunny, pet_shade / shady + 5.0);
    RecordProperty("mean_pet_sun", std::to_string(pet_sun / sunny));
    RecordProperty("mean_pet_shade", std::to_string(pet_shade / shady));
    std::printf("Gothenburg: %d cells, roof SVF %.3f, ground SVF %.3f, PET sun %.2f (n %d), shade %.2f (n %d)\n", valid,
                roof_svf / roofs, street_svf / streets, pet_sun / sunny, sunny, pet_shade / shady, shady);
}

}  // namespace
}  // namespace areatwin
