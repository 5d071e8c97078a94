// SPDX-License-Identifier: GPL-3.0-or-later
// green.access on the real Delft BGT extract (../shared/data-real/delft-bgt-3dfier): land cover from
// the BGT layers through the 'bgt' preset, buildings from bgt_pand. The extract has no trees, no
// addresses and no neighbourhoods: every building's representative point stands for one home (one
// dwelling, two residents) and the whole grid is one area. Reference areas: the README of the data
// set (GDAL OGR_GEOM_AREA): vegetation 3526 m2, water 16066 m2.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include <gtest/gtest.h>

#include "areatwin/engine/executor.hpp"
#include "areatwin/engine/reducers.hpp"
#include "areatwin/engine/roles.hpp"
#include "areatwin/indicators/all.hpp"
#include "areatwin/io/load.hpp"
#include "support/synthetic.hpp"

namespace areatwin::indicators::green {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kCanopyShare = 0, kDistPark = 2, kDistParkHome = 3, kRule300 = 7;

fs::path delft(const std::string& file) { return test::shared_data_dir() / "delft-bgt-3dfier" / file; }

TEST(GreenAccessRealDelft, GreenAndCanopySharesAndParkAccess) {
    if (!test::shared_data_present() || !fs::exists(delft("bgt_begroeidterreindeel.sqlite"))) {
        GTEST_SKIP() << "../shared/data-real/delft-bgt-3dfier not present: the Delft green.access run needs it";
    }
    const GridSpec grid = GridSpec::covering({84600, 447400, 85150, 447760}, 1.0, "EPSG:28992");
    std::vector<io::SourceSpec> sources;
    for (const char* file : {"bgt_begroeidterreindeel.sqlite", "bgt_onbegroeidterreindeel.sqlite", "bgt_wegdeel.sqlite",
                             "bgt_waterdeel.sqlite", "bgt_pand.sqlite"}) {
        io::SourceSpec s;
        s.role = "landcover";
        s.path = delft(file);
        s.preset = "bgt";
        sources.push_back(s);
    }
    io::SourceSpec pand;
    pand.role = "buildings";
    pand.path = delft("bgt_pand.sqlite");
    pand.preset = "bgt";
    sources.push_back(pand);
    io::LoadReport report;
    LayerStack stack = io::load_inputs(sources, grid, report);

    auto homes = std::make_shared<FeatureSet>();
    homes->role = "population";
    for (const Feature& b : stack.features("buildings").features) {
        Feature h;
        h.id = b.id;
        h.geometry = b.geometry;  // the loader assigns a polygon by its representative point
        h.attributes["dwellings"] = 1.0;
        h.attributes["residents"] = 2.0;
        homes->features.push_back(std::move(h));
    }
    stack.set_features("population", homes);
    auto trees = std::make_shared<FeatureSet>();
    trees->role = "trees";
    stack.set_features("trees", trees);
    io::derive_grid_layers(stack, {"population"});
    stack.set_raster(std::string(layer::area_index), std::make_shared<const Raster>(grid.cols, grid.rows, 0.0f));

    double vegetation_m2 = 0.0, water_m2 = 0.0;
    for (const char* cls : {"grass", "shrubs", "trees"}) {
        const auto name = layer::landcover_fraction(cls);
        if (!stack.has_raster(name)) continue;
        for (float v : stack.raster(name).values()) vegetation_m2 += std::isnan(v) ? 0.0 : v;
    }
    for (float v : stack.raster(layer::landcover_fraction("water")).values()) water_m2 += std::isnan(v) ? 0.0 : v;
    // Exact coverage: the rasterised areas equal the polygon areas (README) up to overlaps between layers.
    EXPECT_NEAR(vegetation_m2, 3526.0, 0.01 * 3526.0);

    // Green and canopy shares of the mapped area. README (GDAL OGR_GEOM_AREA) of the five layers read:
    // buildings 8654 + unvegetated 7652 + road surfaces 7748 + vegetation 3526 + water 16066 = 43,646 m2,
    // land 27,580 m2: green share of the land 3526 / 27,580 = 12.78 %, of the mapped area 8.08 %.
    double mapped_m2 = 0.0, trees_m2 = 0.0;
    for (const auto& cls : landcover_classes()) {
        const auto name = layer::landcover_fraction(cls);
        if (!stack.has_raster(name)) continue;
        for (float v : stack.raster(name).values()) {
            mapped_m2 += std::isnan(v) ? 0.0 : v;
            if (cls == "trees") trees_m2 += std::isnan(v) ? 0.0 : v;
        }
    }
    const double green_of_land_pct = 100.0 * vegetation_m2 / (mapped_m2 - water_m2);
    EXPECT_NEAR(mapped_m2, 43646.0, 0.01 * 43646.0);
    EXPECT_NEAR(green_of_land_pct, 100.0 * 3526.0 / 27580.0, 0.2);
    // green.share within 100 m at the centre of the built-up part, by the indicator.
    const auto share_model = builtin_registry().get("green.share").configure(
        {{"radius_m", {std::vector<double>{100.0}, "test"}}});
    const auto share = run_indicator(*share_model, stack, {2, 128, {}});
    std::printf("Delft BGT shares: mapped %.0f m2 (README 43646), land %.0f m2, vegetation %.0f m2: green share of the "
                "land %.2f %% (README areas 12.78 %%), of the mapped area %.2f %%; tree crowns (landcover.trees) %.0f m2: "
                "canopy 0 %% (BGT has no crown layer; BKB or tree points are needed); green.share r100 at the centre "
                "(col 300, row 150) %.2f %%\n",
                mapped_m2, mapped_m2 - water_m2, vegetation_m2, green_of_land_pct, 100.0 * vegetation_m2 / mapped_m2,
                trees_m2, share[0].at(300, 150));
    EXPECT_EQ(trees_m2, 0.0);

    const auto& registry = builtin_registry();
    for (const char* preset : {"rivm-2025", "konijnendijk-2021", "zh-open"}) {
        const auto model = registry.get("green.access").configure(
            {{"preset", {std::string(preset), "test"}}, {"canopy_source", {std::string("landcover"), "test"}}});
        const auto out = run_indicator(*model, stack, {2, 128, {}});
        const auto share300 = reduce_by_area(grid, out[kRule300], stack.raster(std::string(layer::area_index)),
                                             &stack.raster(std::string(layer::residents)), 1, {0.5}, 1);
        const auto dist = reduce_by_area(grid, out[kDistParkHome], stack.raster(std::string(layer::area_index)),
                                         &stack.raster(std::string(layer::residents)), 1, {}, 1);
        const auto expl = model->explain(stack, grid.cell_center_x(300), grid.cell_center_y(150));
        std::string parks;
        for (const auto& t : expl.terms) {
            if (t.name == "green_dist_park_m") parks = t.note;
        }
        std::printf("Delft BGT, preset %s: vegetation %.0f m2 (README 3526), water %.0f m2 (README 16066); %s; "
                    "canopy share (landcover.trees) at the centre %.2f %%; homes %lld, share within the distance %s, "
                    "home distance p10/p50/p90 %s/%s/%s m\n",
                    preset, vegetation_m2, water_m2, parks.c_str(), out[kCanopyShare].at(300, 150),
                    static_cast<long long>(share300[0].cells),
                    share300[0].share_residents_above[0] ? std::to_string(*share300[0].share_residents_above[0]).c_str() : "-",
                    dist[0].p10 ? std::to_string(*dist[0].p10).c_str() : "-",
                    dist[0].p50 ? std::to_string(*dist[0].p50).c_str() : "-",
                    dist[0].p90 ? std::to_string(*dist[0].p90).c_str() : "-");
        EXPECT_GT(share300[0].cells, 100);
        // The dwelling point layer: one point per building (its representative point as the loader puts
        // it, approximated by the bounds centre or the ring mean), weighted by dwellings.
        const auto points = model->compute_points(stack, 2);
        ASSERT_EQ(points.size(), 1u);
        const PointLayer& L = points[0];
        const auto weighted_share = [&](const char* column) {
            double met = 0.0, all = 0.0;
            for (const auto& c : L.columns) {
                if (c.name != column) continue;
                for (std::size_t i = 0; i < c.values.size(); ++i) {
                    if (std::isnan(c.values[i])) continue;
                    all += L.residents[i];
                    met += L.residents[i] * c.values[i];
                }
            }
            return all > 0.0 ? met / all : std::nan("");
        };
        std::printf("Delft BGT, preset %s, green_dwellings: %zu addresses; share of dwellings meeting 3 %.3f, 30 %.3f, "
                    "300 %.3f, all three %.3f\n",
                    preset, L.points.size(), weighted_share("meets_3"), weighted_share("meets_30"),
                    weighted_share("meets_300"), weighted_share("meets_all"));
        EXPECT_GE(L.points.size(), 150u);
        // No trees in the BGT: nobody sees 3 trees or has 30 % canopy.
        EXPECT_EQ(weighted_share("meets_3"), 0.0);
        EXPECT_EQ(weighted_share("meets_30"), 0.0);
        if (std::string(preset) == "zh-open") EXPECT_GT(weighted_share("meets_300"), 0.9);
        // Delft's extract holds about 0.35 ha of scattered vegetation: no contiguous green reaches 1 ha.
        if (std::string(preset) != "zh-open") EXPECT_TRUE(std::isnan(out[kDistPark].at(300, 150)));
    }
}

}  // namespace
}  // namespace areatwin::indicators::green
