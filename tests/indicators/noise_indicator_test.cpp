// SPDX-License-Identifier: GPL-3.0-or-later
// noise.cnossos on synthetic scenes: invariants (louder source, distance doubling, screening), the tiled
// kernel against the plain reference, nodata in buildings, Lden arithmetic.
#include <cmath>
#include <memory>

#include <gtest/gtest.h>

#include "areatwin/engine/executor.hpp"
#include "areatwin/engine/roles.hpp"
#include "areatwin/indicators/all.hpp"
#include "noise/cnossos_path.hpp"
#include "noise/noise_cnossos.hpp"
#include "support/synthetic.hpp"

namespace areatwin::indicators::noise {
namespace {

// A straight east-west road through the grid at the given row centre, with light and heavy traffic.
std::shared_ptr<FeatureSet> one_road(const GridSpec& grid, double y, double flow_scale = 1.0) {
    auto roads = std::make_shared<FeatureSet>();
    roads->role = "roads";
    Feature f;
    f.id = 1;
    f.source = "test";
    f.geometry.kind = Geometry::Kind::Line;
    const Box2 ext = grid.extent();
    f.geometry.lines.push_back({{ext.min_x - 100.0, y}, {ext.max_x + 100.0, y}});
    f.attributes["q_cat1_day_veh_per_h"] = 1000.0 * flow_scale;
    f.attributes["q_cat1_evening_veh_per_h"] = 400.0 * flow_scale;
    f.attributes["q_cat1_night_veh_per_h"] = 100.0 * flow_scale;
    f.attributes["q_cat3_day_veh_per_h"] = 50.0 * flow_scale;
    f.attributes["v_cat1_kmh"] = 50.0;
    f.attributes["v_cat3_kmh"] = 50.0;
    roads->features.push_back(std::move(f));
    return roads;
}

std::unique_ptr<IndicatorModel> model(std::map<std::string, RawValue> raw = {}) {
    raw.emplace("max_distance_m", RawValue{300.0, ""});
    raw.emplace("all_periods", RawValue{std::string("yes"), ""});
    return builtin_registry().get("noise.cnossos").configure(raw);
}

LayerStack scene(const GridSpec& grid, double road_y, double flow_scale = 1.0) {
    LayerStack stack(grid);
    stack.set_features("roads", one_road(grid, road_y, flow_scale));
    stack.set_raster(std::string(layer::dem), std::make_shared<const Raster>(test::constant_raster(grid, 2.0f)));
    stack.set_raster(std::string(layer::building_height), std::make_shared<const Raster>(test::constant_raster(grid, 0.0f)));
    return stack;
}

TEST(NoiseIndicator, LouderSourceRaisesEveryReceiverEqually) {
    const auto grid = test::make_grid(30, 24, 10.0);
    const double road_y = grid.cell_center_y(12) + 3.0;
    const auto m = model();
    const auto base = run_indicator(*m, scene(grid, road_y), {2, 16, {}});
    const auto loud = run_indicator(*m, scene(grid, road_y, 10.0), {2, 16, {}});
    for (std::size_t k = 0; k < base.size(); ++k) {
        for (std::int64_t i = 0; i < grid.cell_count(); ++i) {
            const auto idx = static_cast<std::size_t>(i);
            ASSERT_FALSE(std::isnan(base[k].values()[idx]));
            // Ten times the flow is +10 dB in every band, hence in every A-weighted period level.
            EXPECT_NEAR(loud[k].values()[idx] - base[k].values()[idx], 10.0, 1e-4);
        }
    }
}

TEST(NoiseIndicator, DoublingDistanceOverHardGroundLoses6dBPlusAbsorption) {
    const auto alpha = atmospheric_absorption_db_per_km({10.0, 70.0, 101.325});
    for (double d : {25.0, 50.0, 100.0, 200.0}) {
        const auto path = [&](double length) {
            PathProfile p;
            p.length_m = length;
            p.source_z_m = 2.0;  // equal heights: the 3D distance doubles with the horizontal one
            p.receiver_z_m = 2.0;
            p.terrain = {{0, 0}, {length, 0}};
            p.ground = {{0, length, 0.0}};
            return cnossos_path(p, alpha, 0.0);  // homogeneous: hard ground is -3 dB at any distance
        };
        const auto near = path(d), far = path(2.0 * d);
        for (std::size_t i = 0; i < kBandCount; ++i) {
            const double expected = 20.0 * std::log10(2.0) + alpha[i] * d / 1000.0;
            EXPECT_NEAR(far.attenuation_db[i] - near.attenuation_db[i], expected, 1e-9) << d << " m, " << kNominalHz[i];
        }
    }
}

TEST(NoiseIndicator, ReceiverBehindALongWallIsQuieter) {
    const auto grid = test::make_grid(30, 30, 10.0);
    const double road_y = grid.cell_center_y(5);
    const auto m = model();
    auto open = scene(grid, road_y);
    auto walled = open;
    // A 6 m wall of building cells along row 9, across the whole grid.
    Raster wall = test::constant_raster(grid, 0.0f);
    for (std::int64_t c = 0; c < grid.cols; ++c) wall.at(c, 9) = 6.0f;
    walled.set_raster(std::string(layer::building_height), std::make_shared<const Raster>(std::move(wall)));
    const auto a = run_indicator(*m, open, {1, 64, {}});
    const auto b = run_indicator(*m, walled, {1, 64, {}});
    for (std::int64_t row = 11; row < 20; ++row) {
        for (std::int64_t col = 5; col < 25; ++col) {
            EXPECT_LT(b[0].at(col, row), a[0].at(col, row) - 3.0) << col << "," << row;
        }
    }
    for (std::int64_t col = 0; col < grid.cols; ++col) EXPECT_TRUE(std::isnan(b[0].at(col, 9)));  // inside the wall
    // In front of the wall nothing is screened (no reflections are modelled).
    EXPECT_FLOAT_EQ(b[0].at(15, 3), a[0].at(15, 3));
}

TEST(NoiseIndicator, TiledKernelEqualsThePlainReference) {
    const auto grid = test::make_grid(25, 20, 10.0);
    LayerStack stack = scene(grid, grid.cell_center_y(10) + 4.0);
    Raster buildings = test::constant_raster(grid, 0.0f);
    for (std::int64_t r = 3; r < 7; ++r) {
        for (std::int64_t c = 4; c < 9; ++c) buildings.at(c, r) = 12.0f;
    }
    stack.set_raster(std::string(layer::building_height), std::make_shared<const Raster>(std::move(buildings)));
    stack.set_raster(std::string(layer::dem), std::make_shared<const Raster>(test::ramp_raster(grid, 0.0f, 0.05f, 0.1f)));
    const auto m = model();
    const auto out = run_indicator(*m, stack, {2, 7, {}});
    for (std::int64_t row = 0; row < grid.rows; row += 3) {
        for (std::int64_t col = 0; col < grid.cols; col += 2) {
            const auto ref = noise_levels_reference(*m, stack, grid.cell_center_x(col), grid.cell_center_y(row));
            if (std::isnan(ref.lden_dba)) {
                EXPECT_TRUE(std::isnan(out[0].at(col, row)));
                continue;
            }
            EXPECT_EQ(out[0].at(col, row), static_cast<float>(ref.lden_dba));
            EXPECT_EQ(out[1].at(col, row), static_cast<float>(ref.lnight_dba));
        }
    }
}

TEST(NoiseIndicator, LdenWeightsThePeriods) {
    // noise-method.md 13: L_den = L_day when L_day = L_evening + 5 = L_night + 10. Here from the outputs:
    // recompute Lden from Lday, Levening, Lnight of the same cell.
    const auto grid = test::make_grid(10, 10, 10.0);
    const auto m = model();
    const auto out = run_indicator(*m, scene(grid, grid.cell_center_y(2)), {1, 64, {}});
    const double ld = out[2].at(5, 7), le = out[3].at(5, 7), ln = out[1].at(5, 7);
    const double lden = 10.0 * std::log10((12.0 * std::pow(10.0, ld / 10.0) + 4.0 * std::pow(10.0, (le + 5.0) / 10.0) +
                                           8.0 * std::pow(10.0, (ln + 10.0) / 10.0)) / 24.0);
    EXPECT_NEAR(out[0].at(5, 7), lden, 1e-4);
}

}  // namespace
}  // namespace areatwin::indicators::noise
