// SPDX-License-Identifier: GPL-3.0-or-later
// Point formulas and kernels of air.traffic against closed forms and hand-computed values.
// Section numbers refer to ../shared/reference/air-method.md.
#include <cmath>
#include <numeric>

#include <gtest/gtest.h>

#include "air/air_kernels.hpp"

namespace areatwin::indicators::air {
namespace {

constexpr int kA = 0, kD = 3, kE = 4, kF = 5;

TEST(AirSigma, BriggsAndPasquillGiffordAtHandComputedPoints) {
    // Values evaluated by hand from the table expressions of sections 7.1-7.3.
    // Briggs open country D at 100 m: 0.08 x / sqrt(1.01), 0.06 x / sqrt(1.15).
    auto s = sigma(SigmaScheme::BriggsRural, kD, 100.0);
    EXPECT_NEAR(s.y_m, 7.9602975, 1e-6);
    EXPECT_NEAR(s.z_m, 5.5950288, 1e-6);
    // Briggs urban E at 100 m: 0.11 x / sqrt(1.04), 0.08 x / sqrt(1.15) (the 0.0015 of section 7.2).
    s = sigma(SigmaScheme::BriggsUrban, kE, 100.0);
    EXPECT_NEAR(s.y_m, 10.7863874, 1e-6);
    EXPECT_NEAR(s.z_m, 7.4600385, 1e-6);
    // ISC3 D at 0.1 km: 465.11628 * 0.1 * tan(0.017453293 (8.333 - 0.72382 ln 0.1)); 34.459 * 0.1^0.86974.
    s = sigma(SigmaScheme::PasquillGifford, kD, 100.0);
    EXPECT_NEAR(s.y_m, 8.2009682, 1e-6);
    EXPECT_NEAR(s.z_m, 4.6511749, 1e-6);
    // ISC3 F at 1.5 km (bin 1-2 km: 13.953, 0.63227).
    s = sigma(SigmaScheme::PasquillGifford, kF, 1500.0);
    EXPECT_NEAR(s.y_m, 49.0303680, 1e-6);
    EXPECT_NEAR(s.z_m, 18.0303773, 1e-6);
    // Turner's workbook figures read at 100 m, class D: sigma_y about 8 m, sigma_z about 4.6 m (ISC3 fits them).
    EXPECT_NEAR(sigma(SigmaScheme::PasquillGifford, kD, 100.0).y_m, 8.0, 0.5);
}

TEST(AirSigma, GrowsWithDistanceAndFallsWithStability) {
    for (auto scheme : {SigmaScheme::BriggsRural, SigmaScheme::BriggsUrban, SigmaScheme::PasquillGifford}) {
        for (int c = 0; c < 6; ++c) {
            double prev = 0.0;
            for (double x : {10.0, 50.0, 200.0, 1000.0, 5000.0}) {
                const auto s = sigma(scheme, c, x);
                EXPECT_GT(s.z_m, prev);
                prev = s.z_m;
            }
        }
        EXPECT_GT(sigma(scheme, kA, 300.0).y_m, sigma(scheme, kF, 300.0).y_m);
        EXPECT_GT(sigma(scheme, kA, 300.0).z_m, sigma(scheme, kF, 300.0).z_m);
    }
}

// The analytic cases. A straight line source along y with the wind along +x (perpendicular): every point
// of the line has the same downwind distance x, so the sigmas are constant along it and the line integral
// of the point kernel (section 8)
//   C = int q / (2 pi u sy sz) exp(-(y - y')^2 / (2 sy^2)) V dy',  V = exp(-(z-h)^2/2sz^2) + exp(-(z+h)^2/2sz^2)
// is q V / (2 pi u sy sz) times int exp(-(y - y')^2 / (2 sy^2)) dy'. Over the whole line that integral is
// sqrt(2 pi) sy, giving the infinite-line form q V / (sqrt(2 pi) sz u); over y' in [-L/2, L/2] it is
// sqrt(2 pi) sy * 1/2 [erf((y + L/2)/(sqrt2 sy)) - erf((y - L/2)/(sqrt2 sy))], the finite-line form.
// At z = h = 0: C = 2 q / (sqrt(2 pi) sz u).
TEST(AirLine, InfiniteLineClosedFormAtGroundLevel) {
    PlumeSetup setup;
    setup.receptor_height_m = 0.0;
    const double q = 1e-4, u = 4.0, x = 80.0;
    const double sz = sigma(SigmaScheme::BriggsRural, kD, x).z_m;
    const double expected = 1e6 * 2.0 * q / (std::sqrt(2.0 * M_PI) * sz * u);
    EXPECT_NEAR(infinite_line_perpendicular_ug_m3(setup, kD, q, u, x), expected, 1e-12 * expected);
}

TEST(AirLine, NumericalIntegrationMatchesTheInfiniteLine) {
    for (auto scheme : {SigmaScheme::BriggsRural, SigmaScheme::BriggsUrban, SigmaScheme::PasquillGifford}) {
        for (int c : {1, kD, kF}) {
            PlumeSetup setup;
            setup.scheme = scheme;
            setup.sigma_z0_m = 1.0;
            const double q = 2e-5, u = 3.0, x = 60.0;
            const std::vector<MetCondition> met{{270.0, u, c, 1.0}};
            // 40 km long: the cut ends hold a negligible part of exp(-y^2 / 2 sy^2).
            const double numeric =
                line_increment_reference_ug_m3(setup, met, {0.0, -20000.0}, {0.0, 20000.0}, {x, 0.0}, q, 0.01);
            const double exact = infinite_line_perpendicular_ug_m3(setup, c, q, u, x);
            EXPECT_NEAR(numeric, exact, 2e-4 * exact) << static_cast<int>(scheme) << " " << c;
        }
    }
}

TEST(AirLine, NumericalIntegrationMatchesTheFiniteLine) {
    PlumeSetup setup;
    setup.scheme = SigmaScheme::PasquillGifford;
    const double q = 1e-5, u = 2.0, x = 150.0, length = 100.0;
    const std::vector<MetCondition> met{{270.0, u, kD, 1.0}};
    for (double offset : {0.0, 30.0, 50.0, 70.0, 120.0}) {
        const double numeric = line_increment_reference_ug_m3(setup, met, {0.0, -length / 2}, {0.0, length / 2},
                                                              {x, offset}, q, 0.01);
        const double exact = finite_line_perpendicular_ug_m3(setup, kD, q, u, x, offset, length);
        EXPECT_NEAR(numeric, exact, 2e-4 * exact + 1e-9) << offset;
    }
    // At the end of the line (offset L/2) half of the infinite-line value is reached for L >> sigma_y.
    const double half = finite_line_perpendicular_ug_m3(setup, kD, q, u, x, 5000.0, 10000.0);
    EXPECT_NEAR(half, 0.5 * infinite_line_perpendicular_ug_m3(setup, kD, q, u, x), 1e-9);
}

TEST(AirLine, LinearInEmissionFallsDownwindAndZeroUpwind) {
    PlumeSetup setup;
    // With an initial spread above the receptor height the level at 1.5 m only falls downwind (without
    // it a ground-level plume first has to grow up to the receptor).
    setup.sigma_z0_m = 1.8;
    const std::vector<MetCondition> met{{270.0, 5.0, kD, 1.0}};
    const Point2 a{0.0, -200.0}, b{0.0, 200.0};
    const double c1 = line_increment_reference_ug_m3(setup, met, a, b, {40.0, 0.0}, 1e-5);
    const double c3 = line_increment_reference_ug_m3(setup, met, a, b, {40.0, 0.0}, 3e-5);
    EXPECT_NEAR(c3, 3.0 * c1, 1e-12 * c3);
    double prev = std::numeric_limits<double>::infinity();
    for (double x : {5.0, 10.0, 20.0, 50.0, 100.0, 300.0}) {
        const double c = line_increment_reference_ug_m3(setup, met, a, b, {x, 0.0}, 1e-5);
        EXPECT_LT(c, prev) << x;
        prev = c;
    }
    // Upwind (west of a road with a west wind): no meander term, so nothing at all.
    EXPECT_EQ(line_increment_reference_ug_m3(setup, met, a, b, {-30.0, 0.0}, 1e-5), 0.0);
    // Wind parallel to the road, receptor beside it: no downwind component towards the receptor from
    // any source point except those upwind along the road, so a small but positive value.
    const std::vector<MetCondition> parallel{{180.0, 5.0, kD, 1.0}};
    EXPECT_GT(line_increment_reference_ug_m3(setup, parallel, a, b, {20.0, 0.0}, 1e-5), 0.0);
    EXPECT_EQ(line_increment_reference_ug_m3(setup, parallel, a, b, {20.0, -250.0}, 1e-5), 0.0);
}

TEST(AirMet, SectorsSpreadOverDirectionBinsKeepTheirFrequency) {
    const std::vector<FrequencyRow> rows{{0.0, 10.0, 3.0, kD, 0.25}, {95.0, 10.0, 5.0, kF, 0.5}, {200.2, 0.0, 4.0, kA, 0.25}};
    const auto met = expand_to_direction_bins(rows);
    const double total = std::accumulate(met.begin(), met.end(), 0.0, [](double s, const auto& m) { return s + m.weight; });
    EXPECT_NEAR(total, 1.0, 1e-12);
    double north = 0.0;
    for (const auto& m : met) {
        EXPECT_NEAR(std::fmod(m.direction_from_deg, kDirectionBinDeg), 0.0, 1e-9);
        if (m.speed_m_s == 3.0) {
            north += m.weight;
            EXPECT_TRUE(m.direction_from_deg >= 355.0 || m.direction_from_deg <= 5.0) << m.direction_from_deg;
        }
    }
    EXPECT_NEAR(north, 0.25, 1e-12);
    // A single direction of 200.2 degrees splits 0.6 / 0.4 between the bins at 200.0 and 200.5.
    int single = 0;
    for (const auto& m : met) {
        if (m.speed_m_s != 4.0) continue;
        ++single;
        EXPECT_NEAR(m.weight, m.direction_from_deg == 200.0 ? 0.25 * 0.6 : 0.25 * 0.4, 1e-12);
    }
    EXPECT_EQ(single, 2);
}

// The optimised path (tabulated climatology kernel) against the plain reference, same conditions.
TEST(AirKernel, ClimatologyKernelAgreesWithTheReference) {
    PlumeSetup setup;
    setup.sigma_z0_m = 1.8;
    std::vector<FrequencyRow> rows;
    int stabs[3] = {1, kD, kF};
    double speeds[3] = {2.0, 4.5, 8.0};
    double weight_sum = 0.0;
    for (int s = 0; s < 36; ++s) {
        for (int v = 0; v < 3; ++v) {
            for (int c = 0; c < 3; ++c) {
                const double w = 1.0 + 0.5 * std::sin(s * 0.3 + v + c);
                rows.push_back({s * 10.0, 10.0, speeds[v], stabs[c], w});
                weight_sum += w;
            }
        }
    }
    for (auto& r : rows) r.frequency /= weight_sum;
    const auto met = expand_to_direction_bins(rows);
    const ClimateKernel kernel(setup, met, 2000.0);
    const Point2 a{-35.0, 10.0}, b{40.0, -25.0};
    for (const Point2 p : {Point2{0.0, 20.0}, Point2{5.0, -60.0}, Point2{150.0, 80.0}, Point2{-400.0, 300.0},
                           Point2{2.0, -4.0}}) {
        const double ref = line_increment_reference_ug_m3(setup, met, a, b, p, 1e-5, 0.25);
        const double fast = line_increment_fast_ug_m3(kernel, a, b, p, 1e-5, 1.0);
        EXPECT_NEAR(fast, ref, 0.01 * ref) << p.x << "," << p.y;
    }
}

TEST(AirKernel, SingleConditionKernelAgreesWithTheReference) {
    PlumeSetup setup;
    for (int c : {kA, kD, kF}) {
        const auto met = expand_to_direction_bins({{250.0, 0.0, 3.0, c, 1.0}});
        const ClimateKernel kernel(setup, met, 1000.0);
        const Point2 a{0.0, -300.0}, b{20.0, 300.0};
        for (const Point2 p : {Point2{30.0, 0.0}, Point2{100.0, 50.0}, Point2{400.0, -80.0}}) {
            const double ref = line_increment_reference_ug_m3(setup, met, a, b, p, 1e-5, 0.1);
            const double fast = line_increment_fast_ug_m3(kernel, a, b, p, 1e-5, 1.0);
            EXPECT_NEAR(fast, ref, 0.02 * ref) << c << " " << p.x;
        }
    }
}

TEST(AirSrm1, ThetaIsContinuousAt30mWithThePowerLawTail) {
    // Section 2.3: quadratic 0.0675 vs power law 0.06746 (type 1), 0.0630 vs 0.06297 (type 4).
    for (int type : {1, 4}) {
        const double below = *srm1_theta(type, 30.0);
        const double above = *srm1_theta(type, 30.0 + 1e-9);
        EXPECT_NEAR(above, below, 0.001 * below) << type;
        EXPECT_TRUE(srm1_theta(type, 60.0).has_value());
        EXPECT_FALSE(srm1_theta(type, 60.1).has_value());
    }
    EXPECT_NEAR(*srm1_theta(1, 30.0), 0.0675, 1e-12);
    EXPECT_NEAR(*srm1_theta(4, 30.0), 0.0630, 1e-12);
    EXPECT_NEAR(*srm1_theta(1, 45.0), 0.856 * std::pow(45.0, -0.747), 1e-12);
    // Types 2 and 3 stop at 30 m (their quadratic turns upward beyond about 32 m).
    for (int type : {2, 3}) {
        EXPECT_TRUE(srm1_theta(type, 30.0).has_value());
        EXPECT_FALSE(srm1_theta(type, 30.5).has_value());
    }
    // Below 3.5 m the distance is raised to 3.5 m: theta(1 m) = theta(3.5 m).
    EXPECT_EQ(*srm1_theta(2, 1.0), *srm1_theta(2, 3.5));
    // Type 2 at 10 m: 0.000488*100 - 0.308 + 0.59 = 0.3308; increment 0.62 * 20 * 0.3308 * 1.25 * 5/4.
    EXPECT_NEAR(*srm1_theta(2, 10.0), 0.3308, 1e-12);
    EXPECT_NEAR(srm1_increment_ug_m3(20.0, 0.3308, 1.25, 4.0), 0.62 * 20.0 * 0.3308 * 1.25 * 1.25, 1e-12);
}

TEST(AirNo2, OzoneLimitedConversionByHand) {
    // NOx 20, O3 50, f 0.05: direct 1; ozone-limited 0.6*50*0.95*20 / (0.95*20 + 100) = 570 / 119.
    auto c = no2_from_nox(20.0, 50.0, 0.05);
    EXPECT_NEAR(c.direct_ug_m3, 1.0, 1e-12);
    EXPECT_NEAR(c.ozone_limited_ug_m3, 570.0 / 119.0, 1e-12);
    EXPECT_NEAR(c.increment_ug_m3, 1.0 + 570.0 / 119.0, 1e-12);
    // NOx 100, O3 40, f 0.15: 15 + 0.6*40*85 / 185 = 15 + 2040/185.
    c = no2_from_nox(100.0, 40.0, 0.15);
    EXPECT_NEAR(c.increment_ug_m3, 15.0 + 2040.0 / 185.0, 1e-12);
    // Large NOx: the ozone-limited part tends to B * O3 = 30.
    c = no2_from_nox(1e7, 50.0, 0.0);
    EXPECT_NEAR(c.ozone_limited_ug_m3, 30.0, 1e-3);
    EXPECT_EQ(no2_from_nox(0.0, 50.0, 0.05).increment_ug_m3, 0.0);
}

}  // namespace
}  // namespace areatwin::indicators::air
