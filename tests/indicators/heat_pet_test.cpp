// SPDX-License-Identifier: GPL-3.0-or-later
// heat.pet on synthetic scenes: invariants and physical properties (heat-method.md sections A and E).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/executor.hpp"
#include "areatwin/engine/roles.hpp"
#include "areatwin/indicators/all.hpp"
#include "heat/comfort.hpp"
#include "support/synthetic.hpp"

namespace areatwin {
namespace {

struct Scene {
    GridSpec grid;
    Raster dem, dsm, canopy, crowns, grass, paved;
    std::optional<Raster> building, water;
    LayerStack stack() const {
        LayerStack st(grid);
        auto set = [&](std::string_view name, const Raster& r) {
            st.set_raster(std::string(name), std::make_shared<const Raster>(r));
        };
        set(layer::dem, dem);
        set(layer::dsm, dsm);
        set(layer::canopy_height, canopy);
        set(layer::canopy_fraction, crowns);
        set(layer::landcover_fraction("grass"), grass);
        set(layer::landcover_fraction("paved"), paved);
        if (building) set(layer::landcover_fraction("building"), *building);
        if (water) set(layer::landcover_fraction("water"), *water);
        return st;
    }
};

Scene open_scene(std::int64_t cols, std::int64_t rows, double cell, float grass) {
    const auto grid = test::make_grid(cols, rows, cell);
    return {grid,
            test::constant_raster(grid, 1.0f),
            test::constant_raster(grid, 1.0f),
            test::constant_raster(grid, 0.0f),
            test::constant_raster(grid, 0.0f),
            test::constant_raster(grid, grass),
            test::constant_raster(grid, 1.0f - grass)};
}

std::vector<Raster> run(const LayerStack& st, std::map<std::string, RawValue> params = {}) {
    const auto model = indicators::builtin_registry().get("heat.pet").configure(params);
    return run_indicator(*model, st, {2, 64, {}});
}

TEST(HeatPet, OpenPavedSquareIsSunlitWithSvfOne) {
    const auto s = open_scene(40, 30, 2.0, 0.0f);
    const auto out = run(s.stack());
    ASSERT_EQ(out.size(), 5u);  // pet, class, shade share, svf, public shade
    const float pet = out[0].at(0, 0);
    // Hand check of the order of magnitude: hour 1 (12:30 CEST) with the plugin inputs Ta 28 degC, RH 48 %,
    // FF 6 m/s on open grass-like wind (u = 0.635 FF = 3.8 m/s), SVF 1, B 3, Q about 790 W/m2 gives
    // PET_sun near 36 degC; the afternoon sinks the sun and Q, so the mean lies in the low to mid 30s.
    EXPECT_GT(pet, 28.0f);
    EXPECT_LT(pet, 40.0f);
    for (std::int64_t r = 0; r < s.grid.rows; ++r)
        for (std::int64_t c = 0; c < s.grid.cols; ++c) {
            ASSERT_NEAR(out[3].at(c, r), 1.0f, 1e-6f);
            ASSERT_EQ(out[2].at(c, r), 0.0f);
            ASSERT_EQ(out[4].at(c, r), 0.0f);  // all paved: public outdoor space, never in shade
            ASSERT_EQ(out[0].at(c, r), pet);  // a uniform scene gives a uniform map
            ASSERT_EQ(out[1].at(c, r), static_cast<float>(indicators::heat::pet_class(pet)));
        }
}

TEST(HeatPet, GrassIsCoolerThanPavingInTheSun) {
    const auto paved = run(open_scene(20, 20, 2.0, 0.0f).stack());
    const auto grass = run(open_scene(20, 20, 2.0, 1.0f).stack());
    // Bowen 3 -> 0.4 lowers PET_sun by 0.546 * 2.6 = 1.42 K; more vegetation in the UHI window lowers Ta too.
    EXPECT_LT(grass[0].at(10, 10), paved[0].at(10, 10) - 1.4f);
}

TEST(HeatPet, BuildingShadeCoolsTheStreetNorthOfIt) {
    auto s = open_scene(60, 60, 2.0, 0.0f);
    for (std::int64_t r = 30; r < 40; ++r)
        for (std::int64_t c = 20; c < 40; ++c) s.dsm.at(c, r) = 21.0f;  // a 20 m block
    const auto out = run(s.stack());
    // North-east of the block (the afternoon sun is in the south-west): shaded part of the afternoon.
    EXPECT_GT(out[2].at(38, 27), 0.0f);
    EXPECT_LT(out[0].at(38, 27), out[0].at(5, 5));
    // The SVF next to the wall is about one half or more (a half-plane wall of infinite length gives 0.5).
    EXPECT_LT(out[3].at(30, 29), 0.8f);
    EXPECT_GT(out[3].at(30, 29), 0.4f);
    EXPECT_NEAR(out[3].at(30, 35), 1.0f, 1e-6f);  // roof
}

TEST(HeatPet, MoreTreesNeverRaiseAfternoonPetInTheirShade) {
    auto s = open_scene(50, 50, 2.0, 0.0f);
    const auto before = run(s.stack());
    for (std::int64_t r = 20; r < 30; ++r)
        for (std::int64_t c = 20; c < 30; ++c) {
            s.canopy.at(c, r) = 8.0f;
            s.crowns.at(c, r) = 1.0f;
            s.dsm.at(c, r) = 9.0f;  // the derived DSM: ground + crown
        }
    const auto after = run(s.stack());
    int shaded_cells = 0;
    for (std::int64_t r = 0; r < 50; ++r)
        for (std::int64_t c = 0; c < 50; ++c) {
            if (after[2].at(c, r) < 100.0f) continue;  // cells in tree shade all afternoon
            ++shaded_cells;
            EXPECT_LE(after[0].at(c, r), before[0].at(c, r)) << c << "," << r;
        }
    EXPECT_GE(shaded_cells, 100);
}

TEST(HeatPet, TransmissivityBlendsSunAndShadeUnderTrees) {
    auto s = open_scene(30, 30, 2.0, 0.0f);
    for (std::int64_t r = 10; r < 20; ++r)
        for (std::int64_t c = 10; c < 20; ++c) {
            s.canopy.at(c, r) = 8.0f;
            s.dsm.at(c, r) = 9.0f;
        }
    const auto binary = run(s.stack());
    const auto leaky = run(s.stack(), {{"canopy_transmissivity", {0.5, "test"}}});
    EXPECT_EQ(binary[2].at(15, 15), 100.0f);
    EXPECT_EQ(leaky[2].at(15, 15), 50.0f);
    EXPECT_GT(leaky[0].at(15, 15), binary[0].at(15, 15));
}

TEST(HeatPet, HourlyWeatherListsMustMatchTheWindow) {
    const auto& heat = indicators::builtin_registry().get("heat.pet");
    EXPECT_THROW((void)heat.configure({{"temperature_c", {std::vector<double>{28, 29}, "test"}}}), ConfigError);
    EXPECT_NO_THROW((void)heat.configure({{"temperature_c", {std::vector<double>{28, 29, 30, 31, 32, 33}, "test"}}}));
    EXPECT_NO_THROW((void)heat.configure({{"sampling", {std::string("instants"), "test"}},
                                          {"temperature_c", {std::vector<double>{28, 29, 30, 31, 32, 33, 32.5}, "test"}}}));
}

TEST(HeatPet, WithoutLandCoverTheErrorNamesTheInput) {
    const auto s = open_scene(10, 10, 2.0, 0.0f);
    LayerStack st(s.grid);
    st.set_raster(std::string(layer::dsm), std::make_shared<const Raster>(s.dsm));
    try {
        (void)run(st);
        FAIL();
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("landcover"), std::string::npos);
    }
}


// heat_public_shade_pct is heat_shade_share on public outdoor cells and no value on buildings (land cover or a
// raised solid surface) and water; its mean over an area is then the share of public space in shade.
TEST(HeatPet, PublicShadeIsTheShadeShareOutsideBuildingsAndWater) {
    auto s = open_scene(60, 60, 2.0, 0.0f);
    s.building = test::constant_raster(s.grid, 0.0f);
    s.water = test::constant_raster(s.grid, 0.0f);
    for (std::int64_t r = 30; r < 40; ++r)
        for (std::int64_t c = 20; c < 40; ++c) {
            s.dsm.at(c, r) = 21.0f;  // a 20 m block, also marked in land cover
            s.building->at(c, r) = 1.0f;
            s.paved.at(c, r) = 0.0f;
        }
    for (std::int64_t r = 0; r < 10; ++r)
        for (std::int64_t c = 50; c < 60; ++c) {
            s.water->at(c, r) = 1.0f;
            s.paved.at(c, r) = 0.0f;
        }
    s.dsm.at(5, 50) = 4.0f;  // a 3 m shed without a land-cover building: raised solid surface, not public
    const auto out = run(s.stack());
    int public_cells = 0, shaded_public = 0;
    for (std::int64_t r = 0; r < 60; ++r)
        for (std::int64_t c = 0; c < 60; ++c) {
            const bool building = r >= 30 && r < 40 && c >= 20 && c < 40;
            const bool water = r < 10 && c >= 50;
            const bool shed = c == 5 && r == 50;
            if (building || water || shed) {
                ASSERT_TRUE(std::isnan(out[4].at(c, r))) << c << "," << r;
                continue;
            }
            ASSERT_EQ(out[4].at(c, r), out[2].at(c, r)) << c << "," << r;
            ++public_cells;
            shaded_public += out[4].at(c, r) > 0.0f;
        }
    EXPECT_EQ(public_cells, 3600 - 200 - 100 - 1);
    EXPECT_GT(shaded_public, 20);  // the block's afternoon shadow falls on public space north-east of it
}

// heat_svf_buildings (optional) ignores the crowns that heat_svf counts as opaque.
TEST(HeatPet, BuildingsOnlySvfIsOptionalAndSeesThroughTrees) {
    auto s = open_scene(40, 40, 2.0, 0.0f);
    for (std::int64_t r = 15; r < 25; ++r)
        for (std::int64_t c = 15; c < 25; ++c) {
            s.canopy.at(c, r) = 10.0f;
            s.crowns.at(c, r) = 1.0f;
            s.dsm.at(c, r) = 11.0f;
        }
    EXPECT_EQ(run(s.stack()).size(), 5u);
    const auto out = run(s.stack(), {{"svf_buildings", {std::string("yes"), "test"}}});
    ASSERT_EQ(out.size(), 6u);
    for (std::int64_t r = 0; r < 40; ++r)
        for (std::int64_t c = 0; c < 40; ++c) {
            ASSERT_NEAR(out[5].at(c, r), 1.0f, 1e-6f) << c << "," << r;  // flat ground: open sky without trees
            ASSERT_LE(out[3].at(c, r), out[5].at(c, r));
        }
    EXPECT_LT(out[3].at(14, 20), 0.8f);  // beside the crowns
}

// The sky view factors kept per tile geometry are reused only where the geometry near the tile is unchanged:
// one model run on a baseline, then on a scenario with a new building and one with only more grass, gives
// exactly what fresh models give.
TEST(HeatPet, SvfReuseAcrossScenariosEqualsFreshComputation) {
    const auto model = indicators::builtin_registry().get("heat.pet").configure({{"svf_buildings", {std::string("yes"), "t"}}});
    auto fresh = [](const LayerStack& st) {
        const auto m = indicators::builtin_registry().get("heat.pet").configure({{"svf_buildings", {std::string("yes"), "t"}}});
        return run_indicator(*m, st, {2, 16, {}});
    };
    auto base = open_scene(48, 40, 2.0, 0.0f);
    auto built = base;
    for (std::int64_t r = 5; r < 9; ++r)
        for (std::int64_t c = 5; c < 9; ++c) built.dsm.at(c, r) = 15.0f;
    auto greener = base;
    for (std::int64_t r = 20; r < 40; ++r)
        for (std::int64_t c = 0; c < 48; ++c) {
            greener.grass.at(c, r) = 1.0f;
            greener.paved.at(c, r) = 0.0f;
        }
    for (const Scene* sc : {&base, &built, &greener, &base}) {
        const auto st = sc->stack();
        const auto shared = run_indicator(*model, st, {2, 16, {}});
        const auto own = fresh(st);
        for (std::size_t k = 0; k < own.size(); ++k) {
            ASSERT_EQ(std::memcmp(shared[k].values().data(), own[k].values().data(), own[k].values().size() * sizeof(float)), 0)
                << "output " << k;
        }
    }
}


// A weather table: one row per hour, labelled by the end of the hourly interval, in the given zone.
std::shared_ptr<const FeatureSet> weather_table(const std::vector<std::string>& times, const std::vector<double>& ta,
                                                const std::vector<double>& rh, const std::vector<double>& ff,
                                                const std::vector<double>& dd, const std::vector<double>& q) {
    auto t = std::make_shared<FeatureSet>();
    t->role = "weather";
    for (std::size_t i = 0; i < times.size(); ++i) {
        Feature f;
        f.id = static_cast<std::int64_t>(i + 1);
        f.source = "weather.csv:weather";
        f.attributes["time"] = times[i];
        f.attributes["ta_c"] = ta[i];
        f.attributes["rh_pct"] = rh[i];
        f.attributes["wind_ms"] = ff[i];
        if (!dd.empty()) f.attributes["wind_dir_deg"] = dd[i];
        f.attributes["global_wm2"] = std::to_string(q[i]);  // numbers may also arrive as text from a CSV
        t->features.push_back(std::move(f));
    }
    return t;
}

// The weather table gives exactly the result of the same values as hourly parameter lists (repeated values
// included), whichever zone its times are written in; rows outside the window are ignored.
TEST(HeatPet, WeatherTableEqualsHourlyParameterLists) {
    auto s = open_scene(40, 40, 2.0, 0.0f);
    for (std::int64_t r = 20; r < 26; ++r)
        for (std::int64_t c = 10; c < 20; ++c) s.dsm.at(c, r) = 13.0f;
    const std::vector<double> ta{28, 28, 29, 30, 30, 29}, rh{48, 48, 45, 40, 40, 42}, ff{6, 6, 5, 1, 4, 4},
        dd{100, 100, 180, 180, 270, 270}, q{794, 760, 700, 600, 480, 340};
    std::map<std::string, RawValue> lists{{"temperature_c", {ta, "t"}}, {"rh_pct", {rh, "t"}}, {"wind_speed_ms", {ff, "t"}},
                                          {"wind_direction_deg", {dd, "t"}}, {"global_radiation_wm2", {q, "t"}}};
    const auto by_parameters = run(s.stack(), lists);
    // Intervals 12-13 ... 17-18 CEST end at 13 ... 18 CEST = 11 ... 16 UTC.
    std::vector<std::string> utc, cest;
    for (int h = 11; h <= 16; ++h) utc.push_back(fmt::format("2015-07-01T{:02}:00:00Z", h));
    for (int h = 13; h <= 18; ++h) cest.push_back(fmt::format("2015-07-01T{:02}:00+02:00", h));
    auto with_extra = [](std::vector<std::string> t, std::vector<double> v, double extra) {
        t.insert(t.begin(), "2015-07-01T10:00:00Z");  // the interval before the window: not read
        v.insert(v.begin(), extra);
        return std::make_pair(t, v);
    };
    for (const auto* times : {&utc, &cest}) {
        auto st = s.stack();
        const auto [t, ta2] = with_extra(*times, ta, 45.0);
        const auto pad = [](std::vector<double> v) { v.insert(v.begin(), v.front()); return v; };
        st.set_features("weather", weather_table(t, ta2, pad(rh), pad(ff), pad(dd), pad(q)));
        const auto by_table = run(st, {{"weather", {std::string("table"), "t"}}});
        for (std::size_t k = 0; k < by_table.size(); ++k) {
            ASSERT_EQ(std::memcmp(by_table[k].values().data(), by_parameters[k].values().data(),
                                  by_table[k].values().size() * sizeof(float)), 0) << "output " << k;
        }
    }
    // Without wind_dir_deg the direction parameter stands in.
    auto st = s.stack();
    st.set_features("weather", weather_table(utc, ta, rh, ff, {}, q));
    const auto no_dir = run(st, {{"weather", {std::string("table"), "t"}}, {"wind_direction_deg", {dd, "t"}}});
    EXPECT_EQ(std::memcmp(no_dir[0].values().data(), by_parameters[0].values().data(), no_dir[0].values().size() * sizeof(float)), 0);
}

TEST(HeatPet, WeatherTableErrorsNameTheRowAndTheTime) {
    const auto s = open_scene(10, 10, 2.0, 0.0f);
    const std::vector<double> v6(6, 28.0), rh(6, 50.0), ff(6, 3.0), q(6, 500.0);
    std::vector<std::string> utc;
    for (int h = 11; h <= 16; ++h) utc.push_back(fmt::format("2015-07-01T{:02}:00:00Z", h));
    const auto error_of = [&](std::shared_ptr<const FeatureSet> table) {
        auto st = s.stack();
        if (table) st.set_features("weather", std::move(table));
        try {
            (void)run(st, {{"weather", {std::string("table"), "t"}}});
        } catch (const DataError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_THAT(error_of(nullptr), testing::HasSubstr("'weather' input"));
    auto missing = utc;
    missing[3] = "2015-07-02T14:00:00Z";
    EXPECT_THAT(error_of(weather_table(missing, v6, rh, ff, {}, q)), testing::HasSubstr("no row for 2015-07-01T16:00:00+02:00"));
    auto no_zone = utc;
    no_zone[2] = "2015-07-01T13:00:00";
    EXPECT_THAT(error_of(weather_table(no_zone, v6, rh, ff, {}, q)), testing::HasSubstr("row 3: time '2015-07-01T13:00:00' needs a time zone"));
    auto hot = v6;
    hot[1] = 61.0;
    EXPECT_THAT(error_of(weather_table(utc, hot, rh, ff, {}, q)), testing::HasSubstr("row 2: ta_c = 61 is outside [-30, 50]"));
    auto twice = utc;
    twice[1] = twice[0];
    twice[0] = "2015-07-01T13:00:00+02:00";  // the same instant as row 2
    EXPECT_THAT(error_of(weather_table(twice, v6, rh, ff, {}, q)), testing::HasSubstr("rows 1 and 2 are both"));
}


// Without latitude_deg / longitude_deg the sun is computed at the grid centre the loader put into the stack
// (grid.center_lat_deg / grid.center_lon_deg); a parameter the batch gives wins, coordinate by coordinate.
TEST(HeatPet, SunPositionFollowsTheGridCentreUnlessGiven) {
    auto s = open_scene(40, 40, 2.0, 0.0f);
    for (std::int64_t r = 15; r < 25; ++r)
        for (std::int64_t c = 15; c < 25; ++c) s.dsm.at(c, r) = 21.0f;
    auto at_centre = s.stack();
    at_centre.set_scalar("grid.center_lat_deg", 57.70);
    at_centre.set_scalar("grid.center_lon_deg", 11.96);
    const auto from_grid = run(at_centre);
    const auto explicit_same = run(s.stack(), {{"latitude_deg", {57.70, "t"}}, {"longitude_deg", {11.96, "t"}}});
    const auto defaults = run(s.stack());
    const auto explicit_wins = run(at_centre, {{"latitude_deg", {52.1, "t"}}, {"longitude_deg", {5.18, "t"}}});
    const auto lat_only = run(at_centre, {{"latitude_deg", {52.1, "t"}}});
    const auto lat_only_ref = run(s.stack(), {{"latitude_deg", {52.1, "t"}}, {"longitude_deg", {11.96, "t"}}});
    const auto same = [](const Raster& a, const Raster& b) {
        return std::memcmp(a.values().data(), b.values().data(), a.values().size() * sizeof(float)) == 0;
    };
    EXPECT_TRUE(same(from_grid[0], explicit_same[0]));
    EXPECT_TRUE(same(explicit_wins[0], defaults[0]));
    EXPECT_TRUE(same(lat_only[0], lat_only_ref[0]));
    EXPECT_FALSE(same(from_grid[0], defaults[0]));  // 5.6 deg further north: a longer shadow, another PET map
    // The reuse key of a run includes the grid centre only when it is used.
    const auto& heat = indicators::builtin_registry().get("heat.pet");
    const auto uses = [](const std::vector<std::string>& v, const char* n) { return std::find(v.begin(), v.end(), n) != v.end(); };
    EXPECT_TRUE(uses(heat.configure({})->inputs(), "grid.center_lat_deg"));
    EXPECT_FALSE(uses(heat.configure({{"latitude_deg", {52.0, "t"}}})->inputs(), "grid.center_lat_deg"));
    EXPECT_TRUE(uses(heat.configure({{"weather", {std::string("table"), "t"}}})->inputs(), "weather"));
}

// QGIS styles: the nine PET classes of heat-method.md A.13 with their Dutch labels on heat_pet (bounds in degC)
// and on heat_pet_class (k drawn as class k), the 20 % shade classes on both shade outputs.
TEST(HeatPet, StylesUseThePetClassesWithDutchLabels) {
    const auto outputs = indicators::builtin_registry().get("heat.pet").configure({})->outputs();
    ASSERT_EQ(outputs.size(), 5u);
    const auto& pet = outputs[0].classes;
    ASSERT_EQ(pet.size(), 9u);
    const double bounds[8] = {4, 8, 13, 18, 23, 29, 35, 41};
    for (int k = 1; k < 9; ++k) EXPECT_EQ(pet[static_cast<std::size_t>(k)].lower, bounds[k - 1]);
    EXPECT_THAT(pet[6].label, testing::HasSubstr("29-35 °C: warm / matige warmtestress"));
    EXPECT_THAT(pet[7].label, testing::HasSubstr("heet / grote warmtestress"));
    EXPECT_THAT(pet[8].label, testing::HasSubstr("zeer heet / extreme warmtestress"));
    const auto& cls = outputs[1].classes;
    ASSERT_EQ(cls.size(), 9u);
    for (int k = 1; k <= 9; ++k) {
        EXPECT_EQ(cls[static_cast<std::size_t>(k - 1)].lower, k - 0.5);
        EXPECT_EQ(cls[static_cast<std::size_t>(k - 1)].colour, pet[static_cast<std::size_t>(k - 1)].colour);
    }
    for (std::size_t o : {2u, 4u}) {
        ASSERT_EQ(outputs[o].classes.size(), 5u) << outputs[o].name;
        EXPECT_EQ(outputs[o].classes[0].lower, 0.0);
        EXPECT_EQ(outputs[o].classes[4].lower, 80.0);
    }
}


// The optional outputs and the weather table keep the results bitwise the same for any tile size and thread
// count (the conformance suite covers the defaults).
TEST(HeatPet, OptionalOutputsAreBitwiseIdenticalForAnyTileAndThreads) {
    auto s = open_scene(50, 44, 2.0, 0.0f);
    for (std::int64_t r = 10; r < 18; ++r)
        for (std::int64_t c = 12; c < 30; ++c) s.dsm.at(c, r) = 17.0f;
    for (std::int64_t r = 25; r < 31; ++r)
        for (std::int64_t c = 20; c < 26; ++c) {
            s.canopy.at(c, r) = 9.0f;
            s.crowns.at(c, r) = 1.0f;
            s.dsm.at(c, r) = 10.0f;
        }
    auto st = s.stack();
    std::vector<std::string> utc;
    for (int h = 11; h <= 16; ++h) utc.push_back(fmt::format("2015-07-01T{:02}:00:00Z", h));
    st.set_features("weather", weather_table(utc, {28, 29, 30, 30, 29, 28}, {50, 48, 45, 45, 47, 50}, {3, 3, 1, 1, 4, 4},
                                             {200, 200, 220, 240, 250, 260}, {780, 760, 700, 600, 480, 340}));
    const auto model = indicators::builtin_registry().get("heat.pet").configure(
        {{"svf_buildings", {std::string("yes"), "t"}}, {"weather", {std::string("table"), "t"}}});
    const auto ref = run_indicator(*model, st, {1, 1024, {}});
    ASSERT_EQ(ref.size(), 6u);
    for (const auto& [threads, tile] : std::vector<std::pair<int, std::int64_t>>{{2, 7}, {2, 16}, {1, 23}}) {
        const auto out = run_indicator(*model, st, {threads, tile, {}});
        for (std::size_t k = 0; k < ref.size(); ++k) {
            ASSERT_EQ(std::memcmp(out[k].values().data(), ref[k].values().data(), ref[k].values().size() * sizeof(float)), 0)
                << "output " << k << " threads " << threads << " tile " << tile;
        }
    }
}

}  // namespace
}  // namespace areatwin
