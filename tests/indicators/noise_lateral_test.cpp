// SPDX-License-Identifier: GPL-3.0-or-later
// Lateral diffraction around vertical edges (Directive 2015/996 Annex II 2.5.7; noise-method.md 8.2, 8.3).
// Reference values are hand computations shown next to each assertion.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "noise/cnossos_lateral.hpp"

namespace areatwin::indicators::noise {
namespace {

const LateralPath* side(const std::vector<LateralPath>& paths, int s) {
    for (const auto& p : paths) {
        if (p.side == s) return &p;
    }
    return nullptr;
}

LateralObstacle box(double x0, double y0, double x1, double y1, double top) {
    return {{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}, top};
}

TEST(NoiseLateral, ThinWallPathDifferenceByHand) {
    // S (0, 0) at 1 m, R (20, 0) at 4 m, a thin wall from (10, -5) to (10, 3), 10 m high.
    // Left (y > 0): S -> (10, 3) -> R, L = 2 hypot(10, 3) = 20.881 m; right: S -> (10, -5) -> R,
    // L = 2 hypot(10, 5) = 22.361 m. delta = hypot(L, 3) - hypot(20, 3).
    const std::vector<LateralObstacle> wall{{{{10, -5}, {10, 3}}, 10.0}};
    LateralWorkspace work;
    std::vector<LateralPath> paths;
    lateral_paths(wall, {0, 0}, 1.0, {20, 0}, 4.0, work, paths);
    ASSERT_EQ(paths.size(), 2u);
    const auto* left = side(paths, 1);
    const auto* right = side(paths, -1);
    ASSERT_NE(left, nullptr);
    ASSERT_NE(right, nullptr);
    ASSERT_EQ(left->plan.size(), 3u);
    EXPECT_EQ(left->plan[1], (Point2{10, 3}));
    EXPECT_EQ(right->plan[1], (Point2{10, -5}));
    const double l_left = 2.0 * std::hypot(10.0, 3.0), l_right = 2.0 * std::hypot(10.0, 5.0);
    EXPECT_NEAR(left->plan_length_m, l_left, 1e-12);
    EXPECT_NEAR(left->plan_length_m, 20.881, 1e-3);
    EXPECT_NEAR(right->plan_length_m, 22.361, 1e-3);
    const double direct = std::hypot(20.0, 3.0);
    EXPECT_NEAR(left->path_difference_m, std::hypot(l_left, 3.0) - direct, 1e-12);
    EXPECT_NEAR(right->path_difference_m, std::hypot(l_right, 3.0) - direct, 1e-12);
    EXPECT_NEAR(left->path_difference_m, 0.8713, 1e-4);  // sqrt(445) - sqrt(409) = 21.0950 - 20.2237
    EXPECT_EQ(left->edge_count(), 1u);
    // Delta_dif = 10 lg(3 + 40 delta f / 340), one edge (C'' = 1): 63 Hz 10 lg(3 + 6.458) = 9.76 dB;
    // 8 kHz 10 lg(3 + 820) = 29.2 dB, capped at 25.
    const Bands dif = lateral_delta_dif_db(*left);
    EXPECT_NEAR(dif[0], 10.0 * std::log10(3.0 + 40.0 * 63.0 / 340.0 * left->path_difference_m), 1e-12);
    EXPECT_NEAR(dif[0], 9.76, 0.01);
    EXPECT_EQ(dif[7], 25.0);
}

TEST(NoiseLateral, NoPathWithoutABlockingObstacle) {
    LateralWorkspace work;
    std::vector<LateralPath> paths;
    // Beside the line: nothing to go around.
    lateral_paths({box(5, 2, 15, 6, 10.0)}, {0, 0}, 1.0, {20, 0}, 4.0, work, paths);
    EXPECT_TRUE(paths.empty());
    // Across the line but lower than the ray (2.5 m at the middle): the path passes over it.
    lateral_paths({box(8, -3, 12, 3, 2.0)}, {0, 0}, 1.0, {20, 0}, 4.0, work, paths);
    EXPECT_TRUE(paths.empty());
    // Higher than the ray: two lateral paths.
    lateral_paths({box(8, -3, 12, 3, 3.0)}, {0, 0}, 1.0, {20, 0}, 4.0, work, paths);
    EXPECT_EQ(paths.size(), 2u);
}

TEST(NoiseLateral, TwoBuildingsConvexHullByHand) {
    // S (0, 0), R (100, 0); A = [20, 30] x [-5, 5], B = [60, 70] x [-2, 20], both crossing S-R, 10 m high.
    // Upper chain: S -> (60, 20) -> (70, 20) -> R ((20, 5) lies under the line S-(60, 20)):
    // L = hypot(60, 20) + 10 + hypot(30, 20) = 109.302 m. Lower chain: S -> (20, -5) -> (30, -5) -> R
    // ((70, -2) lies above the line (30, -5)-R): L = hypot(20, 5) + 10 + hypot(70, 5) = 100.794 m.
    const std::vector<LateralObstacle> obs{box(20, -5, 30, 5, 10.0), box(60, -2, 70, 20, 10.0)};
    LateralWorkspace work;
    std::vector<LateralPath> paths;
    lateral_paths(obs, {0, 0}, 2.0, {100, 0}, 2.0, work, paths);
    ASSERT_EQ(paths.size(), 2u);
    const auto* up = side(paths, 1);
    const auto* down = side(paths, -1);
    ASSERT_NE(up, nullptr);
    ASSERT_NE(down, nullptr);
    EXPECT_NEAR(up->plan_length_m, std::hypot(60.0, 20.0) + 10.0 + std::hypot(30.0, 20.0), 1e-9);
    EXPECT_NEAR(down->plan_length_m, std::hypot(20.0, 5.0) + 10.0 + std::hypot(70.0, 5.0), 1e-9);
    EXPECT_EQ(up->edge_count(), 2u);
    EXPECT_NEAR(up->edge_span_m, 10.0, 1e-9);  // equal heights: e is the plan distance between the edges
    EXPECT_NEAR(down->path_difference_m, 0.794, 1e-3);
    // Two edges, e = 10 m: C'' = (1 + (5 lambda/e)^2) / (1/3 + (5 lambda/e)^2); at 1 kHz lambda = 0.34,
    // 5 lambda / e = 0.17, C'' = 1.0289 / 0.36223 = 2.8404.
    const double x = 5.0 * 0.34 / 10.0;
    const double c2 = (1.0 + x * x) / (1.0 / 3.0 + x * x);
    EXPECT_NEAR(c2, 2.8404, 1e-4);
    EXPECT_NEAR(lateral_delta_dif_db(*down)[4], std::min(25.0, 10.0 * std::log10(3.0 + 40.0 / 0.34 * c2 * down->path_difference_m)), 1e-9);
}

TEST(NoiseLateral, HullGrowsOverAnObstacleOnALeg) {
    // Only A = [20, 30] x [-4, 4] crosses S (0, 0) - R (100, 0); the first upper leg (30, 4) -> R passes
    // (40, 3.43) .. (50, 2.86), through C = [40, 50] x [3, 10], which joins the hull: the upper chain becomes
    // S -> (40, 10) -> (50, 10) -> R ((20, 4) lies under S-(40, 10)), L = hypot(40, 10) + 10 + hypot(50, 10).
    const std::vector<LateralObstacle> obs{box(20, -4, 30, 4, 10.0), box(40, 3, 50, 10, 10.0)};
    LateralWorkspace work;
    std::vector<LateralPath> paths;
    lateral_paths(obs, {0, 0}, 2.0, {100, 0}, 2.0, work, paths);
    const auto* up = side(paths, 1);
    ASSERT_NE(up, nullptr);
    EXPECT_NEAR(up->plan_length_m, std::hypot(40.0, 10.0) + 10.0 + std::hypot(50.0, 10.0), 1e-9);
    const auto* down = side(paths, -1);
    ASSERT_NE(down, nullptr);
    EXPECT_NEAR(down->plan_length_m, std::hypot(20.0, 4.0) + 10.0 + std::hypot(70.0, 4.0), 1e-9);
}

TEST(NoiseLateral, SourceInsideTheHullHasNoLateralPath) {
    // S in the courtyard of a U-shaped building open to the west: S-R crosses the east wing, and S lies
    // inside the hull of the footprint, so no path runs around it on either side.
    const std::vector<LateralObstacle> obs{
        {{{-5, -5}, {5, -5}, {5, 5}, {-5, 5}, {-5, 4}, {4, 4}, {4, -4}, {-5, -4}, {-5, -5}}, 10.0}};
    LateralWorkspace work;
    std::vector<LateralPath> paths;
    lateral_paths(obs, {0, 0}, 1.0, {50, 0}, 4.0, work, paths);
    EXPECT_TRUE(paths.empty());
    // From outside (west of the building) both paths exist.
    lateral_paths(obs, {-20, 0.5}, 1.0, {50, 0.5}, 4.0, work, paths);
    EXPECT_EQ(paths.size(), 2u);
}

TEST(NoiseLateral, AttenuationTermsAndEnergeticSum) {
    const std::vector<LateralObstacle> wall{{{{10, -5}, {10, 3}}, 10.0}};
    LateralWorkspace work;
    std::vector<LateralPath> paths;
    lateral_paths(wall, {0, 0}, 1.0, {20, 0}, 4.0, work, paths);
    const auto* left = side(paths, 1);
    ASSERT_NE(left, nullptr);
    PathProfile leg, unfolded;
    unfold_polyline(left->plan, 1.0, 4.0, 0.0,
                    [](const LegRequest&, PathProfile& l) {
                        l.terrain = {{0.0, 0.0}, {l.length_m, 0.0}};
                        l.ground = {{0.0, l.length_m, 0.0}};
                    },
                    leg, unfolded);
    EXPECT_NEAR(unfolded.length_m, left->plan_length_m, 1e-12);
    const Bands alpha = atmospheric_absorption_db_per_km({10.0, 70.0, 101.325});
    const auto t = cnossos_lateral_path(unfolded, *left, alpha, 0.5);
    // A_div over the direct distance: 20 lg(hypot(20, 3)) + 11 = 37.118 dB; A_atm over the path length.
    EXPECT_NEAR(t.a_div_db, 20.0 * std::log10(std::hypot(20.0, 3.0)) + 11.0, 1e-12);
    EXPECT_NEAR(t.a_div_db, 37.118, 1e-3);
    EXPECT_NEAR(t.a_atm_db[7], alpha[7] * left->length_3d_m / 1000.0, 1e-12);
    const Bands dif = lateral_delta_dif_db(*left);
    for (std::size_t i = 0; i < kBandCount; ++i) {
        // G = 0: A_ground,H = -3 dB (7.2); A_boundary = A_ground + Delta_dif, no Delta_ground terms.
        EXPECT_NEAR(t.homogeneous.a_boundary[i], -3.0 + dif[i], 1e-12);
        EXPECT_NEAR(t.homogeneous.attenuation_db[i], t.a_div_db + t.a_atm_db[i] - 3.0 + dif[i], 1e-12);
    }
    // Two equal paths sum to 3.01 dB less attenuation.
    Bands a{};
    a.fill(60.0);
    EXPECT_NEAR(combine_paths_attenuation_db({a, a})[2], 60.0 - 10.0 * std::log10(2.0), 1e-12);
    // The lateral paths raise the level behind the wall relative to the direct (over-top) path alone.
    Bands direct{};
    direct.fill(70.0);
    const auto total = combine_paths_attenuation_db({direct, t.attenuation_db});
    for (std::size_t i = 0; i < kBandCount; ++i) EXPECT_LT(total[i], direct[i]);
}

}  // namespace
}  // namespace areatwin::indicators::noise
