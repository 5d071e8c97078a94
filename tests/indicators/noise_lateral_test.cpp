// SPDX-License-Identifier: GPL-3.0-or-later
// Lateral diffraction around vertical edges (Directive 2015/996 Annex II 2.5.7; noise-method.md 8.2, 8.3).
// Reference values are hand computations shown next to each assertion.
#include <algorithm>
#include <cmath>
#include <cstdio>
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
    // 8 kHz 10 lg(3 + 820) = 29.15 dB (no 25 dB cap on lateral paths).
    const Bands dif = lateral_delta_dif_db(*left);
    EXPECT_NEAR(dif[0], 10.0 * std::log10(3.0 + 40.0 * 63.0 / 340.0 * left->path_difference_m), 1e-12);
    EXPECT_NEAR(dif[0], 9.76, 0.01);
    EXPECT_NEAR(dif[7], 10.0 * std::log10(3.0 + 40.0 * 8000.0 / 340.0 * left->path_difference_m), 1e-12);
    EXPECT_NEAR(dif[7], 29.15, 0.01);
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
    EXPECT_NEAR(lateral_delta_dif_db(*down)[4], 10.0 * std::log10(3.0 + 40.0 / 0.34 * c2 * down->path_difference_m), 1e-9);
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


// ISO/TR 17534-4 TC08, short barrier with lateral paths. Reference values as transcribed in
// Universite-Gustave-Eiffel/NoiseModelling noisemodelling-propagation/src/test/java/.../
// AttenuationComputeOutputCnossosTest.java (test TC08); geometry from the test_cases TC08_Left.json and
// TC08_Right.json of noisemodelling-pathfinder: S (10, 10, 1 m), R (200, 50, 4 m), flat ground, G = 0.9 / 0.5 /
// 0.2 split at plan x = 50 and 150 (G_s = 0.9), a thin barrier from (175, 50) to (190, 10), 6 m high.
// Conditions as TC01 (10 degC, 70 %, p = 0.5, 93 dB per band).
double tc08_g(double x) { return x < 50.0 ? 0.9 : (x < 150.0 ? 0.5 : 0.2); }

// A flat leg with the G zones cut where the leg crosses plan x = 50 and x = 150.
void tc08_leg(const LegRequest& req, PathProfile& leg) {
    leg.terrain = {{0.0, 0.0}, {leg.length_m, 0.0}};
    std::vector<double> ts{0.0, 1.0};
    for (const double xc : {50.0, 150.0}) {
        const double dx = req.to.x - req.from.x;
        if (dx != 0.0) {
            const double t = (xc - req.from.x) / dx;
            if (t > 0.0 && t < 1.0) ts.push_back(t);
        }
    }
    std::sort(ts.begin(), ts.end());
    for (std::size_t k = 0; k + 1 < ts.size(); ++k) {
        const double xm = req.from.x + (req.to.x - req.from.x) * (ts[k] + ts[k + 1]) / 2.0;
        leg.ground.push_back({ts[k] * leg.length_m, ts[k + 1] * leg.length_m, tc08_g(xm)});
    }
}

void expect_near_bands(const char* what, const Bands& actual, const Bands& expected, double tol) {
    for (std::size_t i = 0; i < kBandCount; ++i) EXPECT_NEAR(actual[i], expected[i], tol) << what << " " << kNominalHz[i] << " Hz";
}

TEST(NoiseLateral, IsoTr17534Tc08ShortBarrier) {
    const Point2 s{10, 10}, r{200, 50};
    const std::vector<LateralObstacle> barrier{{{{175, 50}, {190, 10}}, 6.0}};
    LateralWorkspace work;
    std::vector<LateralPath> paths;
    lateral_paths(barrier, s, 1.0, r, 4.0, work, paths);
    ASSERT_EQ(paths.size(), 2u);
    const auto* right = side(paths, -1);
    const auto* left = side(paths, 1);
    ASSERT_NE(right, nullptr);
    ASSERT_NE(left, nullptr);
    EXPECT_EQ(right->plan[1], (Point2{190, 10}));
    EXPECT_EQ(left->plan[1], (Point2{175, 50}));
    // Path differences 27.07 and 0.61 m (the reference puts the edges 1.5 cm outside the barrier ends).
    EXPECT_NEAR(right->path_difference_m, 27.07, 0.01);
    EXPECT_NEAR(left->path_difference_m, 0.61, 0.01);
    EXPECT_NEAR(right->plan_length_m, 221.23, 0.01);  // d_p of the right path (Table 43)
    EXPECT_NEAR(left->plan_length_m, 194.78, 0.01);

    const Bands alpha = atmospheric_absorption_db_per_km({10.0, 70.0, 101.325});
    const double tol = 0.1;  // ISO/TR 17534-4 conformity per band
    const auto lateral = [&](const LateralPath& path) {
        PathProfile leg, unfolded;
        unfold_polyline(path.plan, 1.0, 4.0, 0.9, tc08_leg, leg, unfolded);
        return cnossos_lateral_path(unfolded, path, alpha, 0.5);
    };
    const auto tr = lateral(*right);
    EXPECT_NEAR(tr.g_path, 0.46, 0.005);
    expect_near_bands("A_atm right", tr.a_atm_db, {0.03, 0.09, 0.23, 0.43, 0.81, 2.14, 7.25, 25.86}, 0.01);
    EXPECT_NEAR(tr.a_div_db, 56.76, 0.005);
    expect_near_bands("A_ground,H right", tr.homogeneous.a_ground, {-1.61, -1.61, -1.61, 0.75, 6.25, -0.39, -1.61, -1.61}, tol);
    expect_near_bands("A_ground,F right", tr.favourable.a_ground, {-2.65, -2.65, -2.65, -2.65, -1.30, -2.65, -2.65, -2.65}, tol);
    expect_near_bands("Delta_dif right", tr.homogeneous.delta_dif_sr, {23.09, 26.03, 29.03, 32.03, 35.03, 38.04, 41.05, 44.06}, tol);
    EXPECT_EQ(tr.favourable.delta_dif_sr, tr.homogeneous.delta_dif_sr);
    Bands lh{}, lf{};
    for (std::size_t i = 0; i < kBandCount; ++i) {
        lh[i] = 93.0 - tr.homogeneous.attenuation_db[i];
        lf[i] = 93.0 - tr.favourable.attenuation_db[i];
    }
    expect_near_bands("L_H right", lh, {14.73, 11.73, 8.59, 3.03, -5.86, -3.56, -10.45, -32.07}, tol);
    expect_near_bands("L_F right", lf, {15.77, 12.77, 9.63, 6.43, 1.69, -1.29, -9.41, -31.03}, tol);

    const auto tl = lateral(*left);
    EXPECT_NEAR(tl.g_path, 0.51, 0.005);
    expect_near_bands("A_atm left", tl.a_atm_db, {0.02, 0.08, 0.20, 0.38, 0.71, 1.88, 6.38, 22.77}, 0.01);
    expect_near_bands("A_ground,H left", tl.homogeneous.a_ground, {-1.48, -1.48, -1.48, 1.01, 5.84, -1.48, -1.48, -1.48}, tol);
    expect_near_bands("A_ground,F left", tl.favourable.a_ground, {-2.16, -2.16, -2.16, -2.16, -0.92, -2.16, -2.16, -2.16}, tol);
    expect_near_bands("Delta_dif left", tl.homogeneous.delta_dif_sr, {8.78, 10.81, 13.24, 15.93, 18.77, 21.69, 24.66, 27.64}, tol);
    for (std::size_t i = 0; i < kBandCount; ++i) {
        lh[i] = 93.0 - tl.homogeneous.attenuation_db[i];
        lf[i] = 93.0 - tl.favourable.attenuation_db[i];
    }
    expect_near_bands("L_H left", lh, {28.91, 26.83, 24.28, 18.92, 10.92, 14.14, 6.68, -12.70}, tol);
    expect_near_bands("L_F left", lf, {29.59, 27.51, 24.96, 22.09, 17.68, 14.82, 7.36, -12.02}, tol);

    // The vertical plane: the barrier crosses S-R at 170.49 m from S (Table 41).
    PathProfile direct;
    const double length = std::hypot(190.0, 40.0);
    direct.length_m = length;
    direct.source_z_m = 1.0;
    direct.receiver_z_m = 4.0;
    direct.source_g = 0.9;
    direct.terrain = {{0.0, 0.0}, {length, 0.0}};
    const double x50 = length * 40.0 / 190.0, x150 = length * 140.0 / 190.0;
    direct.ground = {{0.0, x50, 0.9}, {x50, x150, 0.5}, {x150, length, 0.2}};
    // Plan crossing of S-R with the barrier.
    const double rx = 190.0, ry = 40.0, bx = 15.0, by = -40.0;
    const double t_cross = ((175.0 - 10.0) * by - (50.0 - 10.0) * bx) / (rx * by - ry * bx);
    EXPECT_NEAR(t_cross * length, 170.49, 0.01);
    direct.tops = {{t_cross * length, 6.0}};
    const auto td = cnossos_path(direct, alpha, 0.5);
    expect_near_bands("A_dif,H direct", td.homogeneous.a_boundary, {3.68, 4.84, 6.45, 8.51, 13.34, 13.62, 16.43, 19.38}, tol);
    expect_near_bands("A_dif,F direct", td.favourable.a_boundary, {3.37, 4.34, 5.71, 7.53, 9.78, 12.34, 15.11, 17.99}, tol);
    Bands ld{};
    for (std::size_t i = 0; i < kBandCount; ++i) ld[i] = 93.0 - td.attenuation_db[i];
    expect_near_bands("L direct", ld, {32.69, 31.57, 29.97, 27.87, 24.32, 21.42, 14.14, -5.09}, tol);

    // All three paths summed energetically, A-weighted per band: 8.17, 16.86, 22.51, 25.46, 24.87, 23.44,
    // 15.93, -5.43 dB(A) (the final assertion of the reference test).
    const Bands total = combine_paths_attenuation_db({td.attenuation_db, tr.attenuation_db, tl.attenuation_db});
    Bands la{};
    for (std::size_t i = 0; i < kBandCount; ++i) la[i] = 93.0 + kAWeightingDb[i] - total[i];
    expect_near_bands("L_A total", la, {8.17, 16.86, 22.51, 25.46, 24.87, 23.44, 15.93, -5.43}, tol);
    double worst = 0.0;
    const Bands ref{8.17, 16.86, 22.51, 25.46, 24.87, 23.44, 15.93, -5.43};
    for (std::size_t i = 0; i < kBandCount; ++i) worst = std::max(worst, std::abs(la[i] - ref[i]));
    std::printf("TC08: max |delta| of the total per band %.3f dB\n", worst);
}

}  // namespace
}  // namespace areatwin::indicators::noise
