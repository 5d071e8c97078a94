// SPDX-License-Identifier: GPL-3.0-or-later
// Shadow casting and sky view factor: property tests of heat-method.md section E and the kernels
// against their plain per-cell references.
#include <cmath>
#include <cstring>
#include <random>

#include <gtest/gtest.h>

#include "heat/sky.hpp"

namespace areatwin::indicators::heat {
namespace {

SurfaceWindow flat(std::int64_t cols, std::int64_t rows, float z, double cell = 1.0) {
    SurfaceWindow s;
    s.cols = cols;
    s.rows = rows;
    s.cell_size_m = cell;
    s.solid.assign(static_cast<std::size_t>(cols * rows), z);
    return s;
}

void block(SurfaceWindow& s, std::int64_t c0, std::int64_t r0, std::int64_t w, std::int64_t h, float top) {
    for (std::int64_t r = r0; r < r0 + h; ++r)
        for (std::int64_t c = c0; c < c0 + w; ++c) s.solid[s.index(c, r)] = top;
}

Window all(const SurfaceWindow& s) { return {0, 0, s.cols, s.rows}; }

TEST(SkyPatches, WeightsSumToOneAndMatchTheBandTable) {
    for (int count : {153, 145}) {
        const auto p = sky_patches(count);
        ASSERT_EQ(p.size(), static_cast<std::size_t>(count));
        double sum = 0.0;
        for (const auto& x : p) sum += x.weight;
        EXPECT_NEAR(sum, 1.0, 1e-12);
    }
    // heat-method.md B.3 weight per patch by band (153 patches), rounded to 5 decimals.
    const auto p = sky_patches(153);
    EXPECT_NEAR(p[0].weight, 0.00139, 5e-6);
    EXPECT_NEAR(p[31].weight, 0.00407, 5e-6);
    EXPECT_NEAR(p[152].weight, 0.01093, 5e-6);
}

TEST(Shadow, FlatSurfaceHasNoShadowAndSvfOne) {
    auto s = flat(60, 50, 3.0f);
    s.finish();
    std::vector<std::uint8_t> sh;
    for (double el : {5.0, 30.0, 60.0}) {
        cast_shadow(s, all(s), 135.0, el, 200.0, sh);
        for (auto v : sh) ASSERT_EQ(v, kSunlit);
    }
    std::vector<float> svf;
    sky_view_factor(s, all(s), sky_patch_rays(153, 1.0, 100.0), svf);
    for (float v : svf) ASSERT_NEAR(v, 1.0f, 1e-6f);
}

// Shadow of a block of height h at elevation e is h / tan(e) long, to within a cell (pixel discretisation).
TEST(Shadow, LengthIsHeightOverTanElevation) {
    for (double el : {15.0, 30.0, 45.0, 60.0}) {
        auto s = flat(40, 120, 0.0f);
        block(s, 15, 100, 10, 10, 10.0f);  // a 10 m block near the south edge
        s.finish();
        std::vector<std::uint8_t> sh;
        cast_shadow(s, all(s), 180.0, el, 500.0, sh);  // sun due south: the shadow points north
        std::int64_t length = 0;
        for (std::int64_t r = 99; r >= 0 && sh[static_cast<std::size_t>(r * 40 + 20)] == kSolidShadow; --r) ++length;
        const double expected = 10.0 / std::tan(el * M_PI / 180.0);
        EXPECT_NEAR(static_cast<double>(length), expected, 1.0 + 1e-9) << "elevation " << el;  // within a cell
        // Nothing south of the block is shaded, and the roof is sunlit (heat-method.md E shadows 3, 6).
        for (std::int64_t r = 100; r < 120; ++r) EXPECT_NE(sh[static_cast<std::size_t>(r * 40 + 20)], kSolidShadow);
    }
}

TEST(Shadow, PointsAwayFromTheSunAndGrowsAsTheSunSinks) {
    auto s = flat(80, 80, 0.0f);
    block(s, 35, 35, 10, 10, 12.0f);
    s.finish();
    std::vector<std::uint8_t> sh;
    cast_shadow(s, all(s), 90.0, 30.0, 500.0, sh);  // sun in the east: shadow to the west
    EXPECT_EQ(sh[static_cast<std::size_t>(40 * 80 + 30)], kSolidShadow);
    EXPECT_EQ(sh[static_cast<std::size_t>(40 * 80 + 50)], kSunlit);
    std::int64_t previous = 0;
    for (double el : {70.0, 50.0, 30.0, 15.0}) {
        cast_shadow(s, all(s), 200.0, el, 500.0, sh);
        std::int64_t area = 0;
        for (auto v : sh) area += v == kSolidShadow;
        EXPECT_GT(area, previous) << el;
        previous = area;
    }
}

TEST(Shadow, NothingIsShadedAtZenithAndEverythingBelowTheHorizon) {
    auto s = flat(30, 30, 0.0f);
    block(s, 10, 10, 5, 5, 30.0f);
    s.finish();
    std::vector<std::uint8_t> sh;
    cast_shadow(s, all(s), 180.0, 89.5, 500.0, sh);
    for (auto v : sh) EXPECT_EQ(v, kSunlit);
    cast_shadow(s, all(s), 180.0, -1.0, 500.0, sh);
    for (auto v : sh) EXPECT_EQ(v, kSolidShadow);
}

TEST(Shadow, TreeCrownShadesButARayUnderTheCrownPasses) {
    auto s = flat(60, 60, 0.0f);
    s.canopy_top.assign(s.solid.size(), NAN);
    s.canopy_base.assign(s.solid.size(), NAN);
    // A crown from 4 m to 10 m over cells (30..33, 30..33).
    for (std::int64_t r = 30; r < 34; ++r)
        for (std::int64_t c = 30; c < 34; ++c) {
            s.canopy_top[s.index(c, r)] = 10.0f;
            s.canopy_base[s.index(c, r)] = 4.0f;
        }
    s.finish();
    std::vector<std::uint8_t> sh;
    cast_shadow(s, all(s), 180.0, 45.0, 200.0, sh);
    // At 45 deg a ground cell d cells north of the crown sees the sun ray at height d + ... : cells 5-9 m
    // north of the crown's north edge see the ray pass through the crown (between 4 and 10 m) -> shade; cells
    // right under the crown's north edge see the ray under the crown base only if d < 4.
    EXPECT_EQ(sh[static_cast<std::size_t>(23 * 60 + 31)], kVegetationShadow);  // 7 m north: ray at 7-10 m
    EXPECT_EQ(sh[static_cast<std::size_t>(10 * 60 + 31)], kSunlit);            // far north: ray above the crown
    // Directly under the crown (the ray from (31, 31) walks south under the crown base): the pergola rule
    // lets it pass; the model adds under-tree shade separately.
    EXPECT_EQ(sh[static_cast<std::size_t>(33 * 60 + 31)], kSunlit);
}

TEST(Svf, SymmetricCourtyardGivesSymmetricSvfAndDeepCanyonsAreDark) {
    auto s = flat(101, 101, 0.0f);
    // A courtyard 21 x 21 m inside 20 m high walls 10 m thick.
    block(s, 30, 30, 41, 41, 20.0f);
    block(s, 40, 40, 21, 21, 0.0f);
    s.finish();
    const auto rays = sky_patch_rays(153, 1.0, 100.0);
    const float centre = sky_view_factor_reference(s, 50, 50, rays);
    const float north = sky_view_factor_reference(s, 50, 45, rays);
    const float south = sky_view_factor_reference(s, 50, 55, rays);
    const float west = sky_view_factor_reference(s, 45, 50, rays);
    const float east = sky_view_factor_reference(s, 55, 50, rays);
    EXPECT_NEAR(north, south, 0.01f);
    EXPECT_NEAR(west, east, 0.01f);
    EXPECT_NEAR(north, west, 0.01f);
    EXPECT_GT(centre, north);
    // Analytic check: a circular well of radius R and depth H has SVF = R^2 / (R^2 + H^2); a 21 m square
    // court 20 m deep lies between the inscribed (10.5 m) and circumscribed (14.8 m) circles.
    EXPECT_GT(centre, 10.5 * 10.5 / (10.5 * 10.5 + 400.0) - 0.02);
    EXPECT_LT(centre, 14.85 * 14.85 / (14.85 * 14.85 + 400.0) + 0.02);
    // A roof has SVF 1 (E SVF 7).
    EXPECT_NEAR(sky_view_factor_reference(s, 35, 35, rays), 1.0f, 1e-6f);
    // Monotone in obstacle height (E SVF 5).
    auto taller = s;
    block(taller, 30, 30, 41, 10, 30.0f);
    taller.finish();
    EXPECT_LT(sky_view_factor_reference(taller, 50, 50, rays), centre);
}

TEST(Kernels, EqualTheirPlainReferencesBitwiseOnARandomCity) {
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> ground(0.0f, 2.0f);
    std::uniform_int_distribution<int> pick(0, 9);
    auto s = flat(90, 70, 0.0f, 2.0);
    s.canopy_top.assign(s.solid.size(), NAN);
    s.canopy_base.assign(s.solid.size(), NAN);
    for (std::size_t i = 0; i < s.solid.size(); ++i) {
        s.solid[i] = ground(rng);
        const int k = pick(rng);
        if (k == 0) s.solid[i] += 15.0f;
        if (k == 1) {
            s.canopy_top[i] = s.solid[i] + 9.0f;
            s.canopy_base[i] = s.solid[i] + 3.0f;
        }
        if (k == 2 && i % 13 == 0) s.solid[i] = NAN;
    }
    s.finish();
    const Window region{7, 5, 70, 55};
    for (const auto& [az, el] : std::vector<std::pair<double, double>>{{100.0, 20.0}, {181.0, 55.0}, {260.0, 8.0}, {30.0, 40.0}}) {
        std::vector<std::uint8_t> sh;
        cast_shadow(s, region, az, el, 150.0, sh);
        const auto steps = ray_steps(az, el, s.cell_size_m, 150.0);
        for (std::int64_t r = 0; r < region.rows; ++r)
            for (std::int64_t c = 0; c < region.cols; ++c)
                ASSERT_EQ(sh[static_cast<std::size_t>(r * region.cols + c)],
                          shadow_reference(s, region.col0 + c, region.row0 + r, steps, el))
                    << az << " " << el << " at " << c << "," << r;
    }
    const auto rays = sky_patch_rays(153, s.cell_size_m, 60.0);
    std::vector<float> svf;
    sky_view_factor(s, region, rays, svf);
    for (std::int64_t r = 0; r < region.rows; ++r)
        for (std::int64_t c = 0; c < region.cols; ++c) {
            const float ref = sky_view_factor_reference(s, region.col0 + c, region.row0 + r, rays);
            const float got = svf[static_cast<std::size_t>(r * region.cols + c)];
            if (std::isnan(ref)) {
                ASSERT_TRUE(std::isnan(got));
            } else {
                ASSERT_EQ(got, ref) << c << "," << r;
                ASSERT_GE(got, 0.0f);
                ASSERT_LE(got, 1.0f + 1e-6f);
            }
        }
}


// The buildings-only SVF lets the sky through crowns; both SVFs of the one-pass kernel equal their plain
// references bitwise, and the with-vegetation one equals sky_view_factor.
TEST(Svf, BuildingsOnlyAndWithVegetationEqualTheirReferencesBitwise) {
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> ground(0.0f, 2.0f);
    std::uniform_int_distribution<int> pick(0, 9);
    auto s = flat(80, 60, 0.0f, 2.0);
    s.canopy_top.assign(s.solid.size(), NAN);
    s.canopy_base.assign(s.solid.size(), NAN);
    for (std::size_t i = 0; i < s.solid.size(); ++i) {
        s.solid[i] = ground(rng);
        const int k = pick(rng);
        if (k == 0) s.solid[i] += 12.0f;
        if (k == 1 || k == 2) {
            s.canopy_top[i] = s.solid[i] + 11.0f;
            s.canopy_base[i] = s.solid[i] + 3.0f;
        }
        if (k == 3 && i % 17 == 0) s.solid[i] = NAN;
    }
    s.finish();
    const Window region{5, 4, 66, 50};
    const auto rays = sky_patch_rays(153, s.cell_size_m, 50.0);
    std::vector<float> plain, veg, bld;
    sky_view_factor(s, region, rays, plain);
    sky_view_factors(s, region, rays, veg, &bld);
    ASSERT_EQ(veg.size(), plain.size());
    ASSERT_EQ(bld.size(), plain.size());
    int more_sky = 0;
    for (std::int64_t r = 0; r < region.rows; ++r)
        for (std::int64_t c = 0; c < region.cols; ++c) {
            const auto i = static_cast<std::size_t>(r * region.cols + c);
            const float ref_b = sky_view_factor_reference(s, region.col0 + c, region.row0 + r, rays, SkyObstacles::kBuildingsOnly);
            const float ref_v = sky_view_factor_reference(s, region.col0 + c, region.row0 + r, rays, SkyObstacles::kWithVegetation);
            if (std::isnan(ref_b)) {
                ASSERT_TRUE(std::isnan(bld[i]) && std::isnan(veg[i]) && std::isnan(plain[i]));
                continue;
            }
            ASSERT_EQ(std::memcmp(&veg[i], &plain[i], sizeof(float)), 0) << c << "," << r;
            ASSERT_EQ(veg[i], ref_v) << c << "," << r;
            ASSERT_EQ(bld[i], ref_b) << c << "," << r;
            ASSERT_GE(bld[i], veg[i]);  // removing obstacles never hides sky
            ASSERT_LE(bld[i], 1.0f + 1e-6f);
            more_sky += bld[i] > veg[i];
        }
    EXPECT_GT(more_sky, 1000);  // crowns hide sky from most cells here
}

// A long row of 10 m crowns 10 m south of a ground cell: buildings-only the sky is open (SVF 1); with the
// crowns opaque the view factor of a horizontal element beside an infinite wall whose top is seen at
// elevation b is (1 + cos b) / 2 (the wall hides (1 - cos b) / 2; b = 45 deg gives 0.854). The finite
// radius and the 153 patches (12 deg bands) leave a few hundredths.
TEST(Svf, CrownRowHidesSkyOnlyWithVegetation) {
    auto s = flat(241, 60, 0.0f);
    s.canopy_top.assign(s.solid.size(), NAN);
    s.canopy_base.assign(s.solid.size(), NAN);
    for (std::int64_t r = 40; r < 44; ++r)
        for (std::int64_t c = 0; c < s.cols; ++c) {
            s.canopy_top[s.index(c, r)] = 10.0f;
            s.canopy_base[s.index(c, r)] = 3.0f;
        }
    s.finish();
    const auto rays = sky_patch_rays(153, 1.0, 100.0);
    EXPECT_NEAR(sky_view_factor_reference(s, 120, 30, rays, SkyObstacles::kBuildingsOnly), 1.0f, 1e-6f);
    const double expected = (1.0 + std::cos(45.0 * M_PI / 180.0)) / 2.0;
    EXPECT_NEAR(sky_view_factor_reference(s, 120, 30, rays, SkyObstacles::kWithVegetation), expected, 0.03);
}

TEST(Svf, ScratchMemoryIsOneRowOfSumsAndMasks) {
    // 1000 columns: 1000 doubles and 1000 bytes per SVF (9 kB), twice with the buildings-only SVF.
    EXPECT_EQ(sky_view_factor_scratch_bytes(1000, false), 9000u);
    EXPECT_EQ(sky_view_factor_scratch_bytes(1000, true), 18000u);
}

}  // namespace
}  // namespace areatwin::indicators::heat
