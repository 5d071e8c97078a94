// SPDX-License-Identifier: GPL-3.0-or-later
// The R-LINE v1.2 formulation of air.traffic (air-method.md sections 6.3-6.5): surface layer, sigmas and
// meander by hand, the limits a line source must reach, and the tabulated kernel against the reference.
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "air/air_kernels.hpp"
#include "areatwin/engine/errors.hpp"

namespace areatwin::indicators::air {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

MetCondition condition(double speed, double L, double z0 = 0.1, double u_star = 0.0) {
    MetCondition m;
    m.direction_from_deg = 270.0;
    m.speed_m_s = speed;
    m.obukhov_length_m = L;
    m.roughness_m = z0;
    m.reference_height_m = 10.0;
    m.friction_velocity_m_s = u_star;
    return m;
}

PlumeSetup rline_setup(bool meander) {
    PlumeSetup s;
    s.dispersion = Dispersion::Rline;
    s.meander = meander;
    s.sigma_z0_m = 0.0;
    s.receptor_height_m = 0.0;
    s.source_height_m = 0.0;
    return s;
}

TEST(AirRline, FrictionVelocityFromTheMoninObukhovProfileByHand) {
    // Section 6.5 with kappa 0.4, z0 0.1 m, displacement 5 z0 = 0.5 m, 5 m/s at 10 m.
    // Neutral: u* = 0.4 * 5 / ln(9.5 / 0.1) = 2 / ln 95 = 0.4391862.
    EXPECT_NEAR(surface_layer(condition(5.0, kInf)).u_star_m_s, 2.0 / std::log(95.0), 1e-12);
    EXPECT_NEAR(surface_layer(condition(5.0, kInf)).u_star_m_s, 0.4391862, 1e-7);
    // Stable L = 50: ln 95 - psi(9.5/50) + psi(0.1/50), psi = -17 (1 - exp(-0.29 zeta)):
    // 4.5538769 + 17 (1 - e^-0.0551) - 17 (1 - e^-0.00058) = 5.4553812, u* = 2 / 5.4553812 = 0.3666105.
    EXPECT_NEAR(surface_layer(condition(5.0, 50.0)).u_star_m_s, 0.3666105, 1e-7);
    // Unstable L = -30 (Paulson psi): u* = 0.5059318.
    EXPECT_NEAR(surface_layer(condition(5.0, -30.0)).u_star_m_s, 0.5059318, 1e-7);
    // sigma_v = max(sqrt((0.6 w*)^2 + (1.9 u*)^2), 0.2).
    auto m = condition(5.0, -30.0);
    m.convective_velocity_m_s = 1.5;
    EXPECT_NEAR(surface_layer(m).sigma_v_m_s, std::hypot(0.9, 1.9 * 0.5059318), 1e-6);
    EXPECT_NEAR(surface_layer(condition(0.3, kInf)).sigma_v_m_s, 0.2, 1e-12);  // 1.9 u* = 0.05: the floor
    // u* given with the wind: the profile is scaled to the measured wind at the reference height.
    const auto given = surface_layer(condition(5.0, kInf, 0.1, 0.3));
    EXPECT_DOUBLE_EQ(given.u_star_m_s, 0.3);
    EXPECT_NEAR(given.profile_scale, 5.0 / (0.3 / 0.4 * std::log(95.0)), 1e-12);
    EXPECT_NEAR(given.wind_at(10.0), 5.0, 1e-12);
    // Lower bound max(4.47 u*, sqrt2 sigma_v, 0.2828) below z0 + d.
    const auto neutral = surface_layer(condition(5.0, kInf));
    EXPECT_NEAR(neutral.wind_at(0.0), 4.47 * neutral.u_star_m_s, 1e-12);
    // Reference height inside the displacement layer, or |L| < 1 m: errors that say why.
    EXPECT_THROW((void)surface_layer(condition(5.0, kInf, 2.0)), DataError);
    EXPECT_THROW((void)surface_layer(condition(5.0, 0.5)), DataError);
}

TEST(AirRline, SigmasByHand) {
    // Section 6.4 (v1.2): sigma_zt = 0.57 (u*/U) x [/(1 + 3 (u*/U)(x/L)^(2/3)) stable; (1 + 1.5 (u*/U) x/|L|)
    // unstable]; sigma_y = 1.6 (sigma_v/u*) sigma_z' [(1 + 2.5 sigma_z'/L) stable; (1 + sigma_z'/|L|)^-1/2
    // unstable]. U = 3 m/s, x = 100 m.
    const auto neutral = surface_layer(condition(5.0, kInf));
    // Neutral: 0.57 * 0.4391862 / 3 * 100 = 8.3445383; sigma_y = 1.6 * 1.9 * 8.3445383 = 25.3673963.
    auto s = rline_sigmas(neutral, 3.0, 100.0, 0.0, 0.0);
    EXPECT_NEAR(s.z_m, 8.3445383, 1e-6);
    EXPECT_NEAR(s.y_m, 25.3673963, 1e-6);
    // Initial spreads in quadrature: sigma_z = sqrt(8.3445383^2 + 1.8^2) = 8.5364699; sigma_z' = 8.3445383,
    // sigma_y = sqrt(25.3673963^2 + 2^2) = 25.4461156.
    s = rline_sigmas(neutral, 3.0, 100.0, 2.0, 1.8);
    EXPECT_NEAR(s.z_m, 8.5364699, 1e-6);
    EXPECT_NEAR(s.y_m, 25.4461156, 1e-6);
    // Stable L = 50 (u* 0.3666105): 0.57 * 0.1222035 * 100 / (1 + 3 * 0.1222035 * 2^(2/3)) = 4.4031510;
    // sigma_y = 1.6 * 1.9 * 4.4031510 * (1 + 2.5 * 4.4031510 / 50) = 16.3325152.
    s = rline_sigmas(surface_layer(condition(5.0, 50.0)), 3.0, 100.0, 0.0, 0.0);
    EXPECT_NEAR(s.z_m, 4.4031510, 1e-6);
    EXPECT_NEAR(s.y_m, 16.3325152, 1e-6);
    // Unstable L = -30, w* = 1.5 m/s (sigma_v 1.3168298): 17.7183231 and 58.5057215.
    auto m = condition(5.0, -30.0);
    m.convective_velocity_m_s = 1.5;
    s = rline_sigmas(surface_layer(m), 3.0, 100.0, 0.0, 0.0);
    EXPECT_NEAR(s.z_m, 17.7183231, 1e-6);
    EXPECT_NEAR(s.y_m, 58.5057215, 1e-6);
    // Mixing-height cap sqrt(2/pi) z_i.
    auto capped = neutral;
    capped.mixing_height_m = 5.0;
    EXPECT_NEAR(rline_sigmas(capped, 3.0, 100.0, 0.0, 0.0).z_m, std::sqrt(2.0 / M_PI) * 5.0, 1e-12);
}

TEST(AirRline, MeanderFractionAndEffectiveWindByHand) {
    const auto sl = surface_layer(condition(5.0, kInf));
    // f_ran = (2 sv^2 + (u^2 - 2 sv^2)(1 - exp(-r/u/T_r))) / u^2, sv = 1.9 * 0.4391862, u = 3, r = 100 m,
    // T_r = 86400 s: 0.1550623.
    EXPECT_NEAR(rline_meander_fraction(sl, 3.0, 100.0), 0.1550623, 1e-7);
    // A wind below sqrt2 sigma_v: all meander.
    EXPECT_DOUBLE_EQ(rline_meander_fraction(sl, 1.0, 100.0), 1.0);
    // Effective wind: the wind at the mean plume height sqrt(2/pi) sigma_z (h = 0), iterated until sigma_z
    // changes by less than 1 %: the returned pair is consistent within that tolerance.
    PlumeSetup setup = rline_setup(true);
    setup.sigma_z0_m = 1.8;
    double prev = 0.0;
    for (double x : {5.0, 50.0, 500.0}) {
        const auto p = rline_plume(sl, setup, x);
        const double again = rline_sigmas(sl, sl.wind_at(std::sqrt(2.0 / M_PI) * p.sigma_z_m), x, 0.0, 1.8).z_m;
        EXPECT_NEAR(again, p.sigma_z_m, 0.01 * p.sigma_z_m) << x;
        EXPECT_GE(p.u_eff_m_s, sl.min_wind_m_s);
        EXPECT_GT(p.u_eff_m_s, prev) << x;  // the growing plume reaches faster wind
        prev = p.u_eff_m_s;
    }
}

// Neutral infinite line, wind perpendicular, h = z = 0, sigma_z0 = 0, no meander. With the direct plume of
// section 6.3 the line integral over y' of exp(-(y-y')^2/2sy^2)/(sqrt(2pi) sy) is 1 (as in section 8), so
// C = q * 2 / (sqrt(2pi) sigma_z u_eff), and with sigma_z = 0.57 (u*/u_eff) x the effective wind cancels:
// C = 2 q / (sqrt(2pi) * 0.57 u* x). In neutral air u* is proportional to the wind, so C u is the same for
// every wind speed: the Gaussian form with sigma_z linear in x.
TEST(AirRline, NeutralInfiniteLineHasTheClosedForm) {
    const PlumeSetup setup = rline_setup(false);
    const double q = 1e-5;
    for (double speed : {3.0, 8.0, 15.0}) {
        const auto met = std::vector<MetCondition>{condition(speed, kInf)};
        const double u_star = surface_layer(met[0]).u_star_m_s;
        for (double x : {20.0, 80.0, 300.0}) {
            const double exact = 1e6 * 2.0 * q / (std::sqrt(2.0 * M_PI) * 0.57 * u_star * x);
            const double numeric =
                line_increment_reference_ug_m3(setup, met, {0.0, -40000.0}, {0.0, 40000.0}, {x, 0.0}, q, 0.01);
            EXPECT_NEAR(numeric, exact, 5e-4 * exact) << speed << " " << x;
            EXPECT_NEAR(numeric * speed, exact * speed, 5e-4 * exact * speed);
        }
    }
    // C u at 80 m is the same at 3 and 15 m/s.
    const auto at = [&](double speed) {
        const auto met = std::vector<MetCondition>{condition(speed, kInf)};
        return speed * line_increment_reference_ug_m3(setup, met, {0.0, -40000.0}, {0.0, 40000.0}, {80.0, 0.0}, q, 0.01);
    };
    EXPECT_NEAR(at(3.0), at(15.0), 1e-3 * at(3.0));
}

// Upwind of a road only meander contributes, and meander is isotropic: the value at distance x upwind is
// the meander part of the value at x downwind, so downwind - upwind = the direct part of section 6.3.
TEST(AirRline, UpwindContributionComesOnlyFromMeander) {
    const auto met = std::vector<MetCondition>{condition(4.0, kInf)};
    const Point2 a{0.0, -500.0}, b{0.0, 500.0};
    const double q = 1e-5;
    EXPECT_EQ(line_increment_reference_ug_m3(rline_setup(false), met, a, b, {-40.0, 0.0}, q), 0.0);
    const PlumeSetup with = rline_setup(true);
    const double up = line_increment_reference_ug_m3(with, met, a, b, {-40.0, 0.0}, q, 0.05);
    const double down = line_increment_reference_ug_m3(with, met, a, b, {40.0, 0.0}, q, 0.05);
    EXPECT_GT(up, 0.0);
    EXPECT_GT(down, up);
    const auto sl = surface_layer(met[0]);
    const double direct = 1e6 * q * integrate_segment_by_angle(a, b, {40.0, 0.0}, 0.05, [&](double r, double dx, double dy) {
        const auto p = rline_point(sl, with, dx, dy);
        return r * r * (1.0 - p.meander_fraction) * p.direct;
    });
    EXPECT_NEAR(down - up, direct, 1e-9 * down);
    // The meander share is what f_ran says: upwind value = integral of f_ran C_m.
    const double meander = 1e6 * q * integrate_segment_by_angle(a, b, {-40.0, 0.0}, 0.05, [&](double r, double dx, double dy) {
        const auto p = rline_point(sl, with, dx, dy);
        return r * r * p.meander_fraction * p.meander;
    });
    EXPECT_NEAR(up, meander, 1e-12 * up);
}

TEST(AirRline, LinearInEmissionAndFallsWithDistance) {
    const auto met = std::vector<MetCondition>{condition(4.0, 200.0)};
    PlumeSetup setup = rline_setup(true);
    setup.sigma_z0_m = 1.8;
    setup.receptor_height_m = 1.5;
    const Point2 a{0.0, -300.0}, b{0.0, 300.0};
    const double c1 = line_increment_reference_ug_m3(setup, met, a, b, {30.0, 0.0}, 1e-5);
    const double c4 = line_increment_reference_ug_m3(setup, met, a, b, {30.0, 0.0}, 4e-5);
    EXPECT_NEAR(c4, 4.0 * c1, 1e-12 * c4);
    double prev = kInf;
    for (double x : {5.0, 15.0, 40.0, 100.0, 250.0}) {
        const double c = line_increment_reference_ug_m3(setup, met, a, b, {x, 0.0}, 1e-5);
        EXPECT_LT(c, prev) << x;
        prev = c;
    }
    // Stable air dilutes less than unstable air at the same wind.
    const auto stable = std::vector<MetCondition>{condition(4.0, 30.0)};
    const auto unstable = std::vector<MetCondition>{condition(4.0, -30.0)};
    EXPECT_GT(line_increment_reference_ug_m3(setup, stable, a, b, {60.0, 0.0}, 1e-5),
              line_increment_reference_ug_m3(setup, unstable, a, b, {60.0, 0.0}, 1e-5));
}

// The tabulated climatology kernel (one plume per distinct condition, meander added isotropically)
// against the plain reference that evaluates every condition's point kernel directly.
TEST(AirRline, ClimatologyKernelAgreesWithTheReference) {
    PlumeSetup setup = rline_setup(true);
    setup.sigma_z0_m = 1.8;
    setup.receptor_height_m = 1.5;
    std::vector<FrequencyRow> rows;
    const double lengths[3] = {-40.0, kInf, 80.0};
    const double speeds[2] = {2.5, 6.0};
    double sum = 0.0;
    for (int s = 0; s < 12; ++s) {
        for (int v = 0; v < 2; ++v) {
            for (int c = 0; c < 3; ++c) {
                FrequencyRow r;
                r.direction_from_deg = s * 30.0 + 7.3;  // single directions (each split over two bins)
                r.speed_m_s = speeds[v];
                r.obukhov_length_m = lengths[c];
                r.roughness_m = 0.2;
                r.frequency = 1.0 + 0.5 * std::sin(s * 0.4 + v + c);
                sum += r.frequency;
                rows.push_back(r);
            }
        }
    }
    for (auto& r : rows) r.frequency /= sum;
    const auto met = expand_to_direction_bins(rows);
    const ClimateKernel kernel(setup, met, 1000.0);
    EXPECT_EQ(kernel.plume_count(), 6u);  // 2 speeds x 3 Obukhov lengths
    const Point2 a{-35.0, 10.0}, b{40.0, -25.0};
    for (const Point2 p : {Point2{0.0, 20.0}, Point2{5.0, -60.0}, Point2{150.0, 80.0}, Point2{2.0, -4.0}}) {
        const double ref = line_increment_reference_ug_m3(setup, met, a, b, p, 1e-5, 0.5);
        const double fast = line_increment_fast_ug_m3(kernel, a, b, p, 1e-5, 1.0);
        EXPECT_NEAR(fast, ref, 0.01 * ref) << p.x << "," << p.y;
    }
}

}  // namespace
}  // namespace areatwin::indicators::air
