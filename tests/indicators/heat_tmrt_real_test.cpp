// SPDX-License-Identifier: GPL-3.0-or-later
// heat.tmrt on the real Gothenburg (Kronenhuset) 1 m rasters of UMEP (EPSG:3007) with the site's June 1997
// forcing (../shared/data-real/gothenburg-umep/README.md), read through io::read_raster.
#include <cmath>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "areatwin/engine/executor.hpp"
#include "areatwin/engine/roles.hpp"
#include "areatwin/indicators/all.hpp"
#include "areatwin/io/load.hpp"
#include "heat/sky.hpp"
#include "heat/solar.hpp"
#include "support/synthetic.hpp"

namespace areatwin {
namespace {

// One row of the UMEP/SUEWS met file: hour, wind (m/s), RH (%), air temperature (Td column), Kdn, Kdiff.
struct MetHour {
    int hour = 0;
    double wind = 0, rh = 0, ta = 0, kdn = 0, kdiff = 0;
};
std::vector<MetHour> read_met(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::string line;
    std::vector<MetHour> rows;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        std::istringstream ss(line);
        std::vector<double> v;
        double x = 0;
        while (ss >> x) v.push_back(x);
        if (v.size() < 24) continue;
        // Columns (README): iy id it imin Q* QH QE Qs Qf Wind RH Td press rain Kdn snow ldown fcld wuh xsmd lai_hr Kdiff Kdir Wd
        rows.push_back({static_cast<int>(v[2]), v[9], v[10], v[11], v[14], v[21]});
    }
    return rows;
}

TEST(HeatTmrtGothenburg, RangesAndTheShadeSunPattern) {
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
    io::SourceSpec lc;
    lc.role = "landcover";
    lc.path = dir / "landcover.tif";
    lc.classes = {{"1", "paved"}, {"2", "building"}, {"3", "trees"}, {"4", "trees"}, {"5", "grass"}, {"6", "bare"}, {"7", "water"}};
    for (auto& [cls, r] : io::read_landcover_raster(lc, grid, report)) {
        st.set_raster(layer::landcover_fraction(cls), std::make_shared<const Raster>(std::move(r)));
    }
    const Raster& paved = st.raster(layer::landcover_fraction("paved"));

    // 6 June 1997 (day 157) at 13:00 CEST: the met file's hour of highest Kdn (821.7 W/m2, the sun's transit
    // in Gothenburg is near 13:14 CEST), given as Kdn and Kdiff; Ta 23.2 degC, RH 35 %, wind 2.7 m/s.
    const auto met = read_met(dir / "gbg19970606_2015a.txt");
    ASSERT_EQ(met.size(), 24u);
    const MetHour& h = met[13];
    ASSERT_EQ(h.hour, 13);
    // Instants 13:00 and 14:00 CEST with the two met rows (the "instants" window [13, 14] holds both).
    const MetHour& h2 = met[14];
    const auto model = indicators::builtin_registry().get("heat.tmrt").configure({
        {"latitude_deg", {57.70, "test"}},
        {"longitude_deg", {11.97, "test"}},
        {"year", {1997.0, "test"}},
        {"month", {6.0, "test"}},
        {"day", {6.0, "test"}},
        {"sampling", {std::string("instants"), "test"}},
        {"hour_start_local", {13.0, "test"}},
        {"hour_end_local", {14.0, "test"}},
        {"temperature_c", {std::vector<double>{h.ta, h2.ta}, "test"}},
        {"rh_pct", {std::vector<double>{h.rh, h2.rh}, "test"}},
        {"global_radiation_wm2", {std::vector<double>{h.kdn, h2.kdn}, "test"}},
        {"diffuse_radiation_wm2", {std::vector<double>{h.kdiff, h2.kdiff}, "test"}},
        {"wind_speed_ms", {std::vector<double>{h.wind, h2.wind}, "test"}},
    });
    const auto out = run_indicator(*model, st, {2, 128, {}});
    const Raster& tmrt = out[0];
    const Raster& utci = out[1];
    const Raster& pet = out[3];

    // Which ground cells are sunlit or in building shade at both instants: the shadow kernel on the same
    // surfaces (solid = DSM, crowns = DEM + CDSM above it, trunk 25 %).
    indicators::heat::SurfaceWindow s;
    s.cols = grid.cols;
    s.rows = grid.rows;
    s.cell_size_m = 1.0;
    const auto n = static_cast<std::size_t>(grid.cols * grid.rows);
    s.solid = dsm.values();
    s.canopy_top.assign(n, std::nanf(""));
    s.canopy_base.assign(n, std::nanf(""));
    for (std::size_t i = 0; i < n; ++i) {
        const float ch = cdsm.values()[i];
        if (ch > 0.0f && dem.values()[i] + ch > dsm.values()[i]) {
            s.canopy_top[i] = dem.values()[i] + ch;
            s.canopy_base[i] = std::max(dsm.values()[i], dem.values()[i] + 0.25f * ch);
        }
    }
    s.finish();
    std::vector<std::vector<std::uint8_t>> shadow;
    for (int hour : {13, 14}) {
        indicators::heat::SpaInput in;
        in.year = 1997;
        in.month = 6;
        in.day = 6;
        in.hour = hour;
        in.minute = 0;
        in.utc_offset_h = 2.0;
        in.latitude_deg = 57.70;
        in.longitude_deg = 11.97;
        in.pressure_hpa = 1013.25;
        in.temperature_c = h.ta;
        const auto sun = indicators::heat::sun_position(in);
        shadow.emplace_back();
        indicators::heat::cast_shadow(s, {0, 0, grid.cols, grid.rows}, sun.azimuth_deg, sun.apparent_elevation_deg, 300.0,
                                      shadow.back());
    }
    double sun_sum = 0, shade_sum = 0, min_t = 1e9, max_t = -1e9;
    int sunny = 0, shady = 0, valid = 0;
    for (std::int64_t r = 0; r < grid.rows; ++r)
        for (std::int64_t c = 0; c < grid.cols; ++c) {
            const float t = tmrt.at(c, r);
            if (std::isnan(t)) continue;
            ++valid;
            min_t = std::min<double>(min_t, t);
            max_t = std::max<double>(max_t, t);
            ASSERT_FALSE(std::isnan(utci.at(c, r)));  // Ta 23 degC, e about 10 hPa, wind 2.7-3.4 m/s: inside the domain
            ASSERT_FALSE(std::isnan(pet.at(c, r)));
            const auto i = static_cast<std::size_t>(r * grid.cols + c);
            const bool ground = dsm.at(c, r) - dem.at(c, r) < 0.5f && cdsm.at(c, r) <= 0.0f && paved.at(c, r) > 0.99f;
            if (!ground) continue;
            if (shadow[0][i] == indicators::heat::kSunlit && shadow[1][i] == indicators::heat::kSunlit) {
                sun_sum += t;
                ++sunny;
            } else if (shadow[0][i] == indicators::heat::kSolidShadow && shadow[1][i] == indicators::heat::kSolidShadow) {
                shade_sum += t;
                ++shady;
            }
        }
    ASSERT_GT(valid, 50000);
    ASSERT_GT(sunny, 1000);
    ASSERT_GT(shady, 1000);
    const double mean_sun = sun_sum / sunny, mean_shade = shade_sum / shady;
    std::printf("Gothenburg 6 June 1997 13-14 h: Tmrt %.1f..%.1f degC; paved ground in sun %.2f (n %d), in building shade %.2f "
                "(n %d)\n", min_t, max_t, mean_sun, sunny, mean_shade, shady);
    // Ranges. heat-method.md gives no published SOLWEIG Tmrt map values for the site, only its error against
    // Gothenburg field data (Tmrt RMSE 6.7-17.6 degC, section D), so the bounds are physical and wide: the
    // direct beam on the cylinder alone adds 0.70 * 0.28 * I cos(el) (about 85 W/m2 here) plus the sunlit
    // ground's heat, which puts sunlit paving near noon in the 50s-60s degC and shade in the 30s:
    // 45-70 in sun, 25-45 in shade, nothing below Ta - 5 or above 80.
    EXPECT_GT(mean_sun, 45.0);
    EXPECT_LT(mean_sun, 70.0);
    EXPECT_GT(mean_shade, 25.0);
    EXPECT_LT(mean_shade, 45.0);
    EXPECT_GT(mean_sun, mean_shade + 15.0);
    EXPECT_GT(min_t, h.ta - 5.0);
    EXPECT_LT(max_t, 80.0);
}

}  // namespace
}  // namespace areatwin
