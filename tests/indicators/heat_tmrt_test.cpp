// SPDX-License-Identifier: GPL-3.0-or-later
// heat.tmrt (tier B): MEMI PET against Hoeppe's published values, the radiation kernels against hand
// computations, and the indicator's physical properties (section numbers: ../shared/reference/heat-method.md).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/executor.hpp"
#include "areatwin/engine/roles.hpp"
#include "areatwin/indicators/all.hpp"
#include "heat/comfort.hpp"
#include "heat/pet_memi.hpp"
#include "heat/sky.hpp"
#include "heat/solar.hpp"
#include "heat/solweig.hpp"
#include "support/synthetic.hpp"

namespace areatwin {
namespace {

using namespace indicators::heat;

// Relative humidity that gives vapour pressure vp_hpa with the MEMI port's Magnus form (B.7.2 step 1), so
// the model sees exactly the published vapour pressure.
double rh_for_vapour_pressure(double ta_c, double vp_hpa) {
    return 100.0 * vp_hpa / (6.107 * std::pow(10.0, 7.5 * ta_c / (238.0 + ta_c)));
}

// Hoeppe (1999), "The physiological equivalent temperature - a universal index for the biometeorological
// assessment of the thermal environment", Int. J. Biometeorol. 43, 71-75, Table 2: PET of typical indoor and
// outdoor situations for his reference person (35 y, 75 kg, 1.75 m, 80 W, 0.9 clo), printed to 1 degC.
// Tolerance 0.6 K: the table's rounding (0.5 K) plus the person's height (1.80 m here, <= 0.03 K, B.7.1).
TEST(MemiPet, ReproducesHoeppesTable) {
    struct Case {
        const char* what;
        double ta, tmrt, v, vp, pet;
    };
    const Case cases[] = {
        {"typical room", 21, 21, 0.1, 12, 21},
        {"winter, sunny", -5, 40, 0.5, 2, 10},
        {"winter, shade", -5, -5, 5.0, 2, -13},
        {"summer, sunny", 30, 60, 1.0, 21, 43},
        {"summer, shade", 30, 30, 1.0, 21, 29},
    };
    for (const auto& c : cases) {
        const auto r = pet_memi(c.ta, rh_for_vapour_pressure(c.ta, c.vp), c.tmrt, c.v);
        ASSERT_TRUE(r.has_value()) << c.what;
        EXPECT_NEAR(r->pet_c, c.pet, 0.6) << c.what;
        EXPECT_LT(r->evaluations, 1000) << c.what;  // the searches end well inside their caps (E PET 2)
    }
}

TEST(MemiPet, PinnedPersonHasTheNotesMetabolismAndArea) {
    // heat-method.md E PET 3 and B.7.2 step 4 [arith]: M = 165.5 W, A_Du = 1.947 m2, f_acl = 0.862 at 0.9 clo.
    const auto b = memi_body({});
    EXPECT_NEAR(b.metabolism_w, 165.5, 0.1);
    EXPECT_NEAR(b.dubois_area_m2, 1.947, 0.001);
    EXPECT_NEAR(b.covered_fraction, 0.862, 0.001);
    EXPECT_NEAR(b.basal_w, 85.5, 0.1);
}

TEST(MemiPet, TheReferenceRoomGivesItsOwnAirTemperature) {
    // By definition PET is the air temperature of the reference room (Tmrt = Ta, v = 0.1 m/s, 12 hPa) with
    // the same body state (B.7.1): in that room PET = Ta, up to the 0.001 K steps of the two searches.
    for (double ta : {10.0, 15.0, 21.0, 25.0, 30.0}) {
        const auto r = pet_memi(ta, rh_for_vapour_pressure(ta, 12.0), ta, 0.1);
        ASSERT_TRUE(r.has_value());
        EXPECT_NEAR(r->pet_c, ta, 0.02) << ta;
    }
}

TEST(MemiPet, RisesWithTmrtAndWithAirTemperature) {
    double previous = -1e9;
    for (double tmrt = 10.0; tmrt <= 80.0; tmrt += 2.0) {  // E PET 1: monotone in Tmrt
        const auto r = pet_memi(25.0, 50.0, tmrt, 1.0);
        ASSERT_TRUE(r.has_value()) << tmrt;
        EXPECT_GT(r->pet_c, previous) << tmrt;
        previous = r->pet_c;
    }
    previous = -1e9;
    for (double ta = 0.0; ta <= 40.0; ta += 2.0) {
        const auto r = pet_memi(ta, 40.0, 50.0, 1.0);
        ASSERT_TRUE(r.has_value()) << ta;
        EXPECT_GT(r->pet_c, previous) << ta;
        previous = r->pet_c;
    }
    EXPECT_FALSE(pet_memi(25.0, 50.0, 40.0, 0.0).has_value());  // no wind: no value (UMEP writes 0, B.7.2)
}

TEST(MemiPet, FormulaPrintsPetForThePinnedPersonAndTakesOverrides) {
    const auto f = indicators::builtin_registry().formula("pet");
    auto eval = [&](std::map<std::string, RawValue> raw) { return f.evaluate(validate_parameters("pet", f.inputs, raw)); };
    const std::map<std::string, RawValue> summer{
        {"ta_c", {30.0, "test"}}, {"tmrt_c", {60.0, "test"}}, {"v_ms", {1.0, "test"}}, {"rh_pct", {rh_for_vapour_pressure(30, 21), "test"}}};
    const auto r = eval(summer);
    ASSERT_TRUE(r.values.at("pet_c").has_value());
    EXPECT_EQ(*r.values.at("pet_c"), pet_memi(30, rh_for_vapour_pressure(30, 21), 60, 1.0)->pet_c);
    EXPECT_NEAR(*r.values.at("pet_c"), 43.0, 0.6);  // Hoeppe (1999) Table 2, summer sunny
    EXPECT_NEAR(*r.values.at("metabolism_w"), 165.5, 0.1);
    // The person is overridable: the formula evaluates MEMI for the person given (here 2 clo in winter shade).
    auto cold = summer;
    cold["ta_c"] = {-5.0, "test"};
    cold["tmrt_c"] = {-5.0, "test"};
    cold["rh_pct"] = {50.0, "test"};
    cold["clo"] = {2.0, "test"};
    MemiPerson warm;
    warm.clo = 2.0;
    EXPECT_EQ(*eval(cold).values.at("pet_c"), pet_memi(-5.0, 50.0, -5.0, 1.0, warm)->pet_c);
    EXPECT_NE(*eval(cold).values.at("pet_c"), pet_memi(-5.0, 50.0, -5.0, 1.0)->pet_c);
    // A heavier, older person has another basal metabolism (B.7.2 step 2).
    auto other = summer;
    other["weight_kg"] = {90.0, "test"};
    other["age_y"] = {60.0, "test"};
    EXPECT_NE(*eval(other).values.at("metabolism_w"), 165.5);
    // No wind: null with a warning, never a made-up number.
    auto calm = summer;
    calm["v_ms"] = {0.0, "test"};
    const auto c = eval(calm);
    EXPECT_FALSE(c.values.at("pet_c").has_value());
    EXPECT_FALSE(c.warnings.empty());
    // A missing key is a ConfigError naming it.
    try {
        (void)eval({{"ta_c", {30.0, "test"}}});
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("tmrt_c"), std::string::npos) << e.what();
    }
}

// --- radiation kernels (B.4) ---

TEST(SolweigRadiation, SkyEmissivityClearnessAndReindlMatchHandComputations) {
    // B.4.1 at 20 degC, 50 %: e_a = 6.107 * 10^(150/257.3) * 0.5 = 11.689 hPa, m = 46.5 * 11.689 / 293.15 = 1.8542,
    // eps = 1 - 2.8542 exp(-sqrt(1.2 + 5.5625)) = 0.78811.
    EXPECT_NEAR(sky_emissivity(20.0, 50.0), 0.78811, 2e-5);
    // B.4.2 with the sun in the zenith on day 182, 20 degC, 50 %, 1013.25 hPa: m = 35 / sqrt(1225) = 1,
    // T_rpg = 1.021 - 0.084 sqrt(1.01259) = 0.936473; Td = 9.254 degC (48.658 F), G = 2.67, u_w = 2.0656,
    // T_w = 1 - 0.077 * 2.0656^0.3 = 0.90426; T_a = 0.935; D = sqrt(0.966618) = 0.983167;
    // I0 = 1370 * 0.936473 * 0.90426 * 0.983167 * 0.935 = 1066.5 W/m2; corr = 0.1473 ln 90 + 0.3454 = 1.00822;
    // for G = 800: CI = 800/1066.5 - 0.00822 = 0.7419, Kt = 800 / (1370 * 0.983167) = 0.59394.
    const auto c = clearness_index(800.0, 0.0, 20.0, 50.0, 1013.25, 182, 52.1);
    EXPECT_NEAR(sun_distance_factor(182), 0.983167, 2e-6);
    EXPECT_NEAR(c.i0_wm2, 1066.5, 0.1);
    EXPECT_NEAR(c.ci, 0.7419, 2e-4);
    EXPECT_NEAR(c.kt, 0.59394, 2e-5);
    EXPECT_DOUBLE_EQ(clearness_index(2000.0, 0.0, 20.0, 50.0, 1013.25, 182, 52.1).ci, 1.0);  // capped at 1
    // B.4.3, middle branch: 1.329 - 1.716 * 0.59394 + 0.267 - 0.00357 * 20 + 0.106 * 0.5 = 0.55840 -> D = 446.72.
    EXPECT_NEAR(reindl_diffuse_wm2(800.0, c.kt, 90.0, 20.0, 50.0), 446.72, 0.01);
    // Low branch (Kt 0.2, sun at 30 deg): 1 - 0.0464 + 0.01195 - 0.01364 + 0.00975 = 0.96166 of G.
    EXPECT_NEAR(reindl_diffuse_wm2(100.0, 0.2, 30.0, 20.0, 50.0), 96.166, 1e-3);
    // High branch (Kt 0.8, sun at 60 deg): 0.3408 - 0.221703 + 0.0698 + 0.0367 = 0.225597 of G.
    EXPECT_NEAR(reindl_diffuse_wm2(900.0, 0.8, 60.0, 20.0, 50.0), 203.037, 1e-2);
}

TEST(SolweigRadiation, NightHasNoShortwaveAndGroundAtAirTemperature) {
    SolweigWeather w;
    w.ta_c = 18.0;
    w.rh_pct = 70.0;
    w.global_wm2 = 0.0;
    w.elevation_deg = -10.0;
    const auto h = solweig_hour(w);
    SurfaceCell open;
    const auto f = solweig_fluxes(h, open, TmrtParameters{});
    EXPECT_EQ(f.kdown, 0.0);
    EXPECT_EQ(f.kside_direct, 0.0);
    // E radiation 3: at night Lup = eps sigma (Ta + 273.15)^4.
    EXPECT_NEAR(f.lup, 0.95 * 5.67051e-8 * std::pow(291.15, 4), 1e-9);
}

// --- split sky view factors (B.3) ---

SurfaceWindow flat_window(std::int64_t n, float z = 0.0f) {
    SurfaceWindow s;
    s.cols = s.rows = n;
    s.cell_size_m = 1.0;
    s.solid.assign(static_cast<std::size_t>(n * n), z);
    s.finish();
    return s;
}

void add_tree(SurfaceWindow& s, std::int64_t c0, std::int64_t r0, std::int64_t size, float top, float base) {
    for (std::int64_t r = r0; r < r0 + size; ++r)
        for (std::int64_t c = c0; c < c0 + size; ++c) {
            s.canopy_top[s.index(c, r)] = top;
            s.canopy_base[s.index(c, r)] = base;
        }
}

TEST(SolweigSky, DirectionalWeightsSumToOnePerHalfAndFlatGroundSeesTheWholeSky) {
    const auto rays = sky_factor_rays(153, 1.0, 30.0);
    for (std::size_t d = 0; d < 4; ++d) {
        double sum = 0.0;
        for (const auto& w : rays.directional) sum += w[d];
        EXPECT_NEAR(sum, 1.0, 1e-12);
    }
    const auto s = flat_window(20);
    std::vector<SkyFactors> out;
    sky_factors(s, {0, 0, 20, 20}, rays, out);
    for (const auto& f : out) {
        ASSERT_NEAR(f.svf, 1.0f, 1e-6f);  // E SVF 1: the 153 weights sum to 1
        ASSERT_NEAR(f.svf_veg, 1.0f, 1e-6f);
        ASSERT_NEAR(f.svf_aveg, 1.0f, 1e-6f);
        for (std::size_t d = 0; d < 4; ++d) ASSERT_NEAR(f.dir[d], 1.0f, 1e-6f);
    }
}

TEST(SolweigSky, BuildingsAndTreesAreSeparatedAndTheKernelEqualsItsReference) {
    auto s = flat_window(40);
    for (std::int64_t r = 10; r < 30; ++r) s.solid[s.index(25, r)] = 10.0f;  // a 10 m wall, one cell thick
    add_tree(s, 18, 18, 3, 8.0f, 2.0f);  // a crown 2-8 m between the observer at (15, 19) and the wall
    s.finish();
    const auto rays = sky_factor_rays(153, 1.0, 40.0);
    std::vector<SkyFactors> out;
    sky_factors(s, {0, 0, 40, 40}, rays, out);
    for (std::int64_t r = 0; r < 40; ++r)
        for (std::int64_t c = 0; c < 40; ++c) {
            const auto ref = sky_factors_reference(s, c, r, rays);
            const auto& k = out[static_cast<std::size_t>(r * 40 + c)];
            ASSERT_EQ(k.svf, ref.svf);
            ASSERT_EQ(k.svf_veg, ref.svf_veg);
            ASSERT_EQ(k.svf_aveg, ref.svf_aveg);
            for (std::size_t d = 0; d < 4; ++d) ASSERT_EQ(k.dir_aveg[d], ref.dir_aveg[d]);
        }
    const auto at = [&](std::int64_t c, std::int64_t r) { return out[static_cast<std::size_t>(r * 40 + c)]; };
    // The split: svf is the SVF of the scene without trees, svf_veg that of the scene without the wall.
    auto wall_only = s;
    wall_only.canopy_top.assign(wall_only.canopy_top.size(), std::nanf(""));
    wall_only.canopy_base = wall_only.canopy_top;
    wall_only.finish();
    auto tree_only = flat_window(40);
    add_tree(tree_only, 18, 18, 3, 8.0f, 2.0f);
    tree_only.finish();
    std::vector<SkyFactors> walls, trees;
    sky_factors(wall_only, {0, 0, 40, 40}, rays, walls);
    sky_factors(tree_only, {0, 0, 40, 40}, rays, trees);
    for (std::size_t i = 0; i < out.size(); ++i) {
        ASSERT_EQ(out[i].svf, walls[i].svf);
        if (s.solid[i] == 0.0f) ASSERT_EQ(out[i].svf_veg, trees[i].svf_veg);  // same observer height
        ASSERT_EQ(walls[i].svf_veg, 1.0f);
        ASSERT_EQ(walls[i].svf_aveg, 1.0f);  // no crowns: nothing stands in front of the wall
        ASSERT_EQ(trees[i].svf, 1.0f);
        ASSERT_EQ(trees[i].svf_aveg, 1.0f);  // no wall: a crown hides only sky
    }
    // West of the wall, with the tree to the south-west: the wall hides sky, the crown does not stand in front of it.
    EXPECT_LT(at(23, 12).svf, 0.8f);
    EXPECT_EQ(at(23, 12).svf_aveg, 1.0f);
    // The wall lies east: the eastern half-hemisphere loses more sky than the western one.
    EXPECT_LT(at(23, 12).dir[kDirEast], at(23, 12).dir[kDirWest]);
    // West of the tree: the crown hides sky, and part of the wall behind it.
    EXPECT_LT(at(15, 19).svf_veg, 0.95f);
    EXPECT_LT(at(15, 19).svf_aveg, 1.0f);
    EXPECT_GT(at(15, 19).svf_aveg, at(15, 19).svf);  // the crown hides only part of the wall
    // Every factor lies in [0, 1] (E SVF 2).
    for (const auto& f : out) {
        for (float v : {f.svf, f.svf_veg, f.svf_aveg, f.dir[0], f.dir[1], f.dir[2], f.dir[3]}) {
            ASSERT_GE(v, 0.0f);
            ASSERT_LE(v, 1.0f);
        }
    }
}

TEST(SolweigSky, SymmetricCourtyardGivesNearlyEqualOppositeDirections) {
    auto s = flat_window(41);
    for (std::int64_t r = 0; r < 41; ++r)
        for (std::int64_t c = 0; c < 41; ++c) {
            const bool ring = (std::abs(c - 20) >= 8 && std::abs(c - 20) <= 12 && std::abs(r - 20) <= 12) ||
                              (std::abs(r - 20) >= 8 && std::abs(r - 20) <= 12 && std::abs(c - 20) <= 12);
            if (ring) s.solid[s.index(c, r)] = 12.0f;
        }
    s.finish();
    const auto f = sky_factors_reference(s, 20, 20, sky_factor_rays(153, 1.0, 30.0));
    // E SVF 6. The 153 patch azimuths carry per-band offsets (B.3), so the halves are equal only to within
    // the width of a patch; 0.03 covers it.
    EXPECT_NEAR(f.dir[kDirNorth], f.dir[kDirSouth], 0.03f);
    EXPECT_NEAR(f.dir[kDirEast], f.dir[kDirWest], 0.03f);
    EXPECT_NEAR(f.dir[kDirNorth], f.dir[kDirEast], 0.03f);
    EXPECT_LT(f.svf, 0.5f);  // walls 12 m high, 8 m away: a deep courtyard
}

// --- the indicator ---

struct Scene {
    GridSpec grid;
    Raster dem, dsm, canopy, paved, grass;
    LayerStack stack() const {
        LayerStack st(grid);
        auto set = [&](std::string_view name, const Raster& r) { st.set_raster(std::string(name), std::make_shared<const Raster>(r)); };
        set(layer::dem, dem);
        set(layer::dsm, dsm);
        set(layer::canopy_height, canopy);
        set(layer::landcover_fraction("paved"), paved);
        set(layer::landcover_fraction("grass"), grass);
        return st;
    }
};

Scene open_scene(std::int64_t n, double cell) {
    const auto grid = test::make_grid(n, n, cell);
    return {grid, test::constant_raster(grid, 1.0f), test::constant_raster(grid, 1.0f), test::constant_raster(grid, 0.0f),
            test::constant_raster(grid, 1.0f), test::constant_raster(grid, 0.0f)};
}

std::vector<Raster> run(const LayerStack& st, std::map<std::string, RawValue> params = {}) {
    const auto model = indicators::builtin_registry().get("heat.tmrt").configure(params);
    return run_indicator(*model, st, {2, 32, {}});
}

std::map<std::string, RawValue> one_hour(double start_local) {
    return {{"hour_start_local", {start_local, "test"}}, {"hour_end_local", {start_local + 1.0, "test"}}};
}

TEST(HeatTmrt, FlatOpenGroundGivesTheOpenFieldTmrtComputedByHand) {
    const auto s = open_scene(12, 2.0);
    auto params = one_hour(14.0);
    params["diffuse_radiation_wm2"] = {150.0, "test"};
    const auto out = run(s.stack(), params);
    ASSERT_EQ(out.size(), 5u);
    // The hour: 1 July 2015, 14:30 CEST at 52.1 N 5.18 E (the defaults), Ta 28 degC, RH 48 %, wind 6 m/s.
    SpaInput in;
    in.utc_offset_h = 2.0;
    in.hour = 0;
    in.minute = 0;
    in.second = 14.5 * 3600.0;
    in.temperature_c = 28.0;
    in.pressure_hpa = 1013.25;
    const auto sun = sun_position(in);
    const double el = sun.apparent_elevation_deg * M_PI / 180.0;
    const double g = 794.444 * std::sin(el) / std::sin(55.3 * M_PI / 180.0);  // the single value scaled with sin(el)
    const double d = 150.0;
    const double i = (g - d) / std::sin(el);
    double max_el = -90.0;
    for (int k = 0; k < 288; ++k) {
        SpaInput t = in;
        t.second = k * 300.0;
        max_el = std::max(max_el, sun_position(t).apparent_elevation_deg);
    }
    const double sunrise = sunrise_sunset(in).sunrise_h;
    const double ci = clearness_index(g, 90.0 - sun.apparent_elevation_deg, 28.0, 48.0, 1013.25, 182, 52.1).ci;
    // Dark asphalt (paved, B.5): albedo 0.18, emissivity 0.95, Tg = (0.58 max_el - 9.78) sin(pi/2 (t - t_sr)/(15 - t_sr)) CI.
    const double tg = (0.58 * max_el - 9.78) * std::sin(M_PI / 2.0 * (14.5 - sunrise) / (15.0 - sunrise)) * ci;
    const double sigma = 5.67051e-8, tk = 28.0 + 273.15;
    const double ea = 6.107 * std::pow(10.0, 7.5 * 28.0 / (237.3 + 28.0)) * 0.48;
    const double m = 46.5 * ea / tk;
    const double esky = 1.0 - (1.0 + m) * std::exp(-std::sqrt(1.2 + 3.0 * m));
    // Open field: every SVF is 1, so Ldown is the sky term alone, blended towards eps = 1 by 1 - CI below 0.95.
    double ldown = esky * sigma * std::pow(tk, 4);
    if (ci < 0.95) ldown = ci * ldown + (1.0 - ci) * sigma * std::pow(tk, 4);
    const double lup = 0.95 * sigma * std::pow(tk + tg, 4);
    const double kdown = i * std::sin(el) + d;  // = G
    const double kup = 0.18 * kdown;
    const double kside = 0.5 * d + 0.5 * kup;  // each side: half sky diffuse, half ground reflection
    const double lside = 0.5 * ldown + 0.5 * lup;
    const double absorbed = 0.70 * (i * std::cos(el) * 0.28 + (kdown + kup) * 0.06 + 4.0 * kside * 0.22) +
                            0.95 * ((ldown + lup) * 0.06 + 4.0 * lside * 0.22);
    const double tmrt = std::pow(absorbed / (0.95 * sigma), 0.25) - 273.15;
    EXPECT_NEAR(out[0].at(6, 6), tmrt, 0.01);
    std::printf("open field 14:30 CEST: Tmrt %.3f degC (hand %.3f), UTCI %.2f, PET %.2f\n", out[0].at(6, 6), tmrt, out[1].at(6, 6),
                out[3].at(6, 6));
    EXPECT_GT(tmrt, 50.0);  // sunlit asphalt on a hot afternoon
    EXPECT_LT(tmrt, 70.0);
    // UTCI and PET of the cell are the point formulas at that Tmrt (float output: 1e-3 K).
    const auto u = utci(28.0, out[0].at(6, 6), 6.0, 48.0);
    ASSERT_TRUE(u.utci_c.has_value());
    EXPECT_NEAR(out[1].at(6, 6), *u.utci_c, 2e-3);
    EXPECT_EQ(out[2].at(6, 6), static_cast<float>(utci_class(out[1].at(6, 6))));
    const auto p = pet_memi(28.0, 48.0, std::round(out[0].at(6, 6) * 100.0) / 100.0, 6.0 * std::pow(0.11, 0.2));
    ASSERT_TRUE(p.has_value());
    EXPECT_NEAR(out[3].at(6, 6), p->pet_c, 0.01);
    EXPECT_EQ(out[4].at(6, 6), 0.0f);
    for (std::int64_t r = 0; r < 12; ++r)
        for (std::int64_t c = 0; c < 12; ++c) ASSERT_EQ(out[0].at(c, r), out[0].at(6, 6));  // uniform scene, uniform map
}

TEST(HeatTmrt, TmrtRisesWithIncomingShortwave) {
    // E radiation 1, on the map: open ground in sun, global radiation raised with the Reindl split.
    const auto s = open_scene(10, 2.0);
    float previous = -100.0f;
    for (double g : {200.0, 400.0, 600.0, 800.0, 1000.0}) {
        auto params = one_hour(13.0);
        params["global_radiation_wm2"] = {g, "test"};
        const float tmrt = run(s.stack(), params)[0].at(5, 5);
        EXPECT_GT(tmrt, previous) << g;
        previous = tmrt;
    }
}

// The sun follows the grid centre the loader converted with PROJ (stack scalars) unless the batch gives
// the position, as in heat.pet: the same stack at Gothenburg's latitude (57.7 N) has a lower afternoon
// sun than at the default 52.1 N, so open ground gets a lower Tmrt; the explicit parameter wins.
TEST(HeatTmrt, PositionComesFromTheGridCentreUnlessGiven) {
    const auto s = open_scene(10, 2.0);
    LayerStack at_default = s.stack();
    LayerStack north = s.stack();
    north.set_scalar("grid.center_lat_deg", 57.7);
    north.set_scalar("grid.center_lon_deg", 11.97);
    const float tmrt_default = run(at_default, one_hour(14.0))[0].at(5, 5);
    const float tmrt_north = run(north, one_hour(14.0))[0].at(5, 5);
    EXPECT_LT(tmrt_north, tmrt_default - 0.5f) << "a lower sun at 57.7 N";
    auto given = one_hour(14.0);
    given["latitude_deg"] = {52.1, "test"};
    given["longitude_deg"] = {5.18, "test"};
    EXPECT_EQ(run(north, given)[0].at(5, 5), tmrt_default) << "the batch's position wins over the grid centre";

    const auto model = indicators::builtin_registry().get("heat.tmrt").configure(one_hour(14.0));
    const auto inputs = model->inputs();
    EXPECT_NE(std::find(inputs.begin(), inputs.end(), "grid.center_lat_deg"), inputs.end()) << "the position keys reuse";
    const auto e = model->explain(north, north.grid().cell_center_x(5), north.grid().cell_center_y(5));
    bool named = false;
    for (const auto& n : e.notes) named = named || n.find("57.7000 N 11.9700 E (grid centre)") != std::string::npos;
    EXPECT_TRUE(named) << "explain names where the position came from";
}

TEST(SolweigRadiation, TmrtRisesWithKdownOtherThingsEqualInSunAndShade) {
    // E radiation 1 with everything else held: the hour's clearness (longwave cloud blend, ground wave) is
    // kept, global, diffuse and direct radiation are scaled together. In shade only diffuse and wall
    // reflection reach the person (E radiation 2), and they rise too. (On the map, a clearer sky also
    // lowers the diffuse share and the sky's longwave, so shade can cool while the sun heats.)
    SolweigWeather w;
    w.ta_c = 25.0;
    w.rh_pct = 50.0;
    w.global_wm2 = 700.0;
    w.elevation_deg = 50.0;
    w.local_hour = 14.0;
    w.sunrise_local_h = 5.5;
    const auto base = solweig_hour(w);
    SurfaceCell sun, shade;
    shade.sunlit = 0.0;
    for (auto* c : {&sun, &shade}) {
        c->sky.svf = 0.6f;
        c->sky.dir = {0.5f, 0.6f, 0.7f, 0.6f};
        c->excess_k = 10.0;
    }
    double prev_sun = -1e9, prev_shade = -1e9;
    for (double scale : {0.2, 0.4, 0.6, 0.8, 1.0, 1.2}) {
        SolweigHour h = base;
        h.global_wm2 *= scale;
        h.diffuse_wm2 *= scale;
        h.direct_normal_wm2 *= scale;
        const double t_sun = solweig_fluxes(h, sun, TmrtParameters{}).tmrt_c;
        const double t_shade = solweig_fluxes(h, shade, TmrtParameters{}).tmrt_c;
        EXPECT_GT(t_sun, prev_sun) << scale;
        EXPECT_GT(t_shade, prev_shade) << scale;
        EXPECT_LT(t_shade, t_sun) << scale;
        prev_sun = t_sun;
        prev_shade = t_shade;
    }
}

TEST(HeatTmrt, ShadeLowersTmrtUtciAndPet) {
    auto s = open_scene(50, 2.0);
    for (std::int64_t r = 25; r < 30; ++r)
        for (std::int64_t c = 15; c < 35; ++c) s.dsm.at(c, r) = 21.0f;  // a 20 m block
    const auto out = run(s.stack());  // the default afternoon 12-18 h
    // North-east of the block (the afternoon sun is in the south-west) versus open ground far away.
    const std::int64_t shaded_c = 33, shaded_r = 23, open_c = 5, open_r = 45;
    EXPECT_LT(out[0].at(shaded_c, shaded_r), out[0].at(open_c, open_r) - 5.0f);
    EXPECT_LT(out[1].at(shaded_c, shaded_r), out[1].at(open_c, open_r));
    EXPECT_LT(out[3].at(shaded_c, shaded_r), out[3].at(open_c, open_r));
}

TEST(HeatTmrt, MoreTreesNeverRaiseAfternoonValuesInTheirShade) {
    auto s = open_scene(50, 2.0);
    const auto before = run(s.stack(), one_hour(15.0));
    for (std::int64_t r = 20; r < 30; ++r)
        for (std::int64_t c = 20; c < 30; ++c) {
            s.canopy.at(c, r) = 8.0f;
            s.dsm.at(c, r) = 9.0f;  // the derived DSM: ground + crown
        }
    const auto after = run(s.stack(), one_hour(15.0));
    // Which cells the trees shade at 15:30 CEST: the shadow kernel on the same surfaces.
    SurfaceWindow w;
    w.cols = w.rows = 50;
    w.cell_size_m = 2.0;
    w.solid.assign(2500, 1.0f);
    w.canopy_top.assign(2500, std::nanf(""));
    w.canopy_base.assign(2500, std::nanf(""));
    for (std::int64_t r = 20; r < 30; ++r)
        for (std::int64_t c = 20; c < 30; ++c) {
            w.canopy_top[w.index(c, r)] = 9.0f;
            w.canopy_base[w.index(c, r)] = 1.0f + 0.25f * 8.0f;
        }
    w.finish();
    SpaInput in;
    in.utc_offset_h = 2.0;
    in.hour = 15;
    in.minute = 30;
    in.temperature_c = 28.0;
    in.pressure_hpa = 1013.25;
    const auto sun = sun_position(in);
    std::vector<std::uint8_t> codes;
    cast_shadow(w, {0, 0, 50, 50}, sun.azimuth_deg, sun.apparent_elevation_deg, 300.0, codes);
    int shaded = 0;
    for (std::int64_t r = 0; r < 50; ++r)
        for (std::int64_t c = 0; c < 50; ++c) {
            if (codes[static_cast<std::size_t>(r * 50 + c)] != kVegetationShadow) continue;
            ++shaded;
            for (std::size_t o : {0u, 1u, 3u}) EXPECT_LE(after[o].at(c, r), before[o].at(c, r)) << o << " at " << c << "," << r;
        }
    EXPECT_GE(shaded, 50);
}

TEST(HeatTmrt, UtciOutsideItsDomainIsNodataAndCounted) {
    const auto s = open_scene(10, 2.0);
    // 40 degC at 90 %: e = 0.9 es(40) = 66 hPa > 50 hPa (B.6, pythermalcomfort #410).
    const auto out = run(s.stack(), {{"temperature_c", {40.0, "test"}}, {"rh_pct", {90.0, "test"}}});
    EXPECT_TRUE(std::isnan(out[1].at(3, 3)));
    EXPECT_TRUE(std::isnan(out[2].at(3, 3)));
    EXPECT_EQ(out[4].at(3, 3), 6.0f);  // all six hours of the default window
    EXPECT_FALSE(std::isnan(out[0].at(3, 3)));  // Tmrt and PET do not depend on the UTCI domain
    EXPECT_FALSE(std::isnan(out[3].at(3, 3)));
}

TEST(HeatTmrt, TheWindowMeanIsTheMeanOfItsHours) {
    auto s = open_scene(30, 2.0);
    for (std::int64_t r = 12; r < 18; ++r)
        for (std::int64_t c = 12; c < 18; ++c) s.dsm.at(c, r) = 13.0f;
    const auto both = run(s.stack(), {{"hour_start_local", {14.0, "test"}}, {"hour_end_local", {16.0, "test"}}});
    const auto first = run(s.stack(), one_hour(14.0));
    const auto second = run(s.stack(), one_hour(15.0));
    for (std::int64_t r = 0; r < 30; r += 3)
        for (std::int64_t c = 0; c < 30; c += 3) {
            if (std::isnan(both[0].at(c, r))) continue;
            EXPECT_NEAR(both[0].at(c, r), 0.5f * (first[0].at(c, r) + second[0].at(c, r)), 1e-4f);
            EXPECT_NEAR(both[3].at(c, r), 0.5f * (first[3].at(c, r) + second[3].at(c, r)), 1e-4f);
        }
}

// One model runs every scenario of a batch and keeps the sky factors per tile and geometry: a scenario that
// paints land cover (geometry unchanged) and one that raises a building must both equal a fresh model.
TEST(HeatTmrt, SkyFactorsKeptPerGeometryGiveTheFreshResultInEveryScenario) {
    auto s = open_scene(40, 2.0);
    for (std::int64_t r = 10; r < 16; ++r)
        for (std::int64_t c = 10; c < 16; ++c) s.dsm.at(c, r) = 13.0f;
    const auto params = one_hour(15.0);
    const auto shared = indicators::builtin_registry().get("heat.tmrt").configure(params);
    auto fresh = [&](const LayerStack& st) {
        return run_indicator(*indicators::builtin_registry().get("heat.tmrt").configure(params), st, {1, 16, {}});
    };
    const LayerStack baseline = s.stack();
    (void)run_indicator(*shared, baseline, {2, 16, {}});
    Scene painted = s;
    for (std::int64_t r = 0; r < 40; ++r)
        for (std::int64_t c = 20; c < 40; ++c) {
            painted.paved.at(c, r) = 0.0f;
            painted.grass.at(c, r) = 1.0f;
        }
    Scene raised = s;
    for (std::int64_t r = 30; r < 34; ++r)
        for (std::int64_t c = 30; c < 34; ++c) raised.dsm.at(c, r) = 19.0f;
    for (const Scene* scenario : {&painted, &raised, &s}) {
        const LayerStack st = scenario->stack();
        const auto again = run_indicator(*shared, st, {2, 16, {}});
        const auto expected = fresh(st);
        ASSERT_EQ(again.size(), expected.size());
        for (std::size_t k = 0; k < again.size(); ++k) EXPECT_TRUE(again[k] == expected[k]) << "output " << k;
    }
}

TEST(HeatTmrt, BuildingsAndTreesGiveBitwiseTheSameMapForAnyTileAndThreads) {
    auto s = open_scene(48, 2.0);
    for (std::int64_t r = 0; r < 48; ++r)
        for (std::int64_t c = 0; c < 48; ++c) {
            if ((c / 12 + r / 12) % 3 == 0 && c % 12 < 8 && r % 12 < 8) s.dsm.at(c, r) = 1.0f + static_cast<float>(6 + (c * 7 + r) % 15);
            if ((c / 12 + r / 12) % 3 == 1 && c % 12 < 4 && r % 12 < 4) {
                s.canopy.at(c, r) = 9.0f;
                s.dsm.at(c, r) = 10.0f;
            }
            if ((c + r) % 5 == 0) {
                s.grass.at(c, r) = 0.6f;
                s.paved.at(c, r) = 0.4f;
            }
        }
    const auto model = indicators::builtin_registry().get("heat.tmrt").configure(
        {{"hour_start_local", {13.0, "test"}}, {"hour_end_local", {16.0, "test"}}});
    const auto st = s.stack();
    const auto reference = run_indicator(*model, st, {1, 1024, {}});
    for (const auto& [threads, tile] : std::vector<std::pair<int, std::int64_t>>{{2, 7}, {2, 16}, {1, 33}}) {
        const auto other = run_indicator(*model, st, {threads, tile, {}});
        for (std::size_t o = 0; o < reference.size(); ++o) {
            for (std::size_t i = 0; i < reference[o].values().size(); ++i) {
                const float a = reference[o].values()[i], b = other[o].values()[i];
                ASSERT_TRUE((std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0)
                    << "output " << o << " cell " << i << " tile " << tile;
            }
        }
    }
}

TEST(HeatTmrt, UtciStylesFollowTheCategoriesOfTheClassRaster) {
    const auto model = indicators::builtin_registry().get("heat.tmrt").configure({});
    const auto outs = model->outputs();
    ASSERT_EQ(outs[1].name, "heat_utci");
    ASSERT_EQ(outs[2].name, "heat_utci_class");
    ASSERT_EQ(outs[1].classes.size(), 10u);
    ASSERT_EQ(outs[2].classes.size(), 10u);
    // QGIS's discrete shader puts a value equal to a break into the lower class (engine/style.hpp), as the
    // upper-inclusive bins of utci_class do (B.6): 26.0 is no thermal stress, 26.1 moderate heat stress.
    auto class_of = [](const std::vector<StyleClass>& classes, double v) {
        std::size_t k = 0;
        while (k + 1 < classes.size() && v > classes[k + 1].lower) ++k;
        return k;
    };
    for (double u : {-45.0, -40.0, -30.0, -13.0, -5.0, 0.0, 5.0, 9.0, 20.0, 26.0, 26.1, 32.0, 35.0, 38.0, 40.0, 46.0, 47.0}) {
        const int cls = utci_class(u);
        const auto& by_value = outs[1].classes[class_of(outs[1].classes, u)];
        const auto& by_index = outs[2].classes[class_of(outs[2].classes, cls)];
        EXPECT_EQ(by_value.label.rfind(utci_category(u), 0), 0u) << u << ": " << by_value.label;
        EXPECT_NE(by_index.label.find(utci_category(u)), std::string::npos) << u << ": " << by_index.label;
        EXPECT_EQ(by_value.colour, by_index.colour) << u;
    }
}

TEST(HeatTmrt, BadParametersAndInputsNameTheKey) {
    const auto& tmrt = indicators::builtin_registry().get("heat.tmrt");
    try {
        (void)tmrt.configure({{"temperature_c", {std::vector<double>{28, 29}, "test"}}});
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("temperature_c"), std::string::npos);
    }
    EXPECT_THROW((void)tmrt.configure({{"hour_start_local", {15.0, "test"}}, {"hour_end_local", {15.0, "test"}}}), ConfigError);
    const auto s = open_scene(10, 2.0);
    LayerStack st(s.grid);
    st.set_raster(std::string(layer::dsm), std::make_shared<const Raster>(s.dsm));
    try {
        (void)run(st);
        FAIL();
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("landcover"), std::string::npos);
    }
}

}  // namespace
}  // namespace areatwin
