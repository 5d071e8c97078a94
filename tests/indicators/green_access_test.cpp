// SPDX-License-Identifier: GPL-3.0-or-later
// green.access: hand-made scenes with known answers, the kernels against their plain references,
// presets, and per-area shares of homes through the engine's reducer.
#include <cmath>
#include <numbers>
#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/executor.hpp"
#include "areatwin/engine/rasterize.hpp"
#include "areatwin/engine/reducers.hpp"
#include "areatwin/engine/roles.hpp"
#include "areatwin/indicators/all.hpp"
#include "green/green_access.hpp"
#include "green/green_access_kernels.hpp"
#include "green/green_share.hpp"
#include "support/synthetic.hpp"

namespace areatwin::indicators::green {
namespace {

using ::testing::HasSubstr;

// Output indices in the order of GreenAccessModel::outputs().
constexpr std::size_t kCanopyShare = 0, kCanopyCell = 1, kDistPark = 2, kDistParkHome = 3, kTreesVisible = 4,
                      kRule3 = 5, kRule30 = 6, kRule300 = 7, kRuleAll = 8, kRulesMet = 9, kCanopyArea = 10;

const Indicator& access() { return builtin_registry().get("green.access"); }

std::map<std::string, RawValue> params(std::initializer_list<std::pair<const char*, RawValue>> list) {
    std::map<std::string, RawValue> out;
    for (const auto& [k, v] : list) out[k] = v;
    return out;
}
RawValue text(const char* s) { return {std::string(s), "test"}; }
RawValue number(double v) { return {v, "test"}; }

// A flat scene: every layer green.access reads, constant, plus tree points.
struct Scene {
    GridSpec grid;
    std::map<std::string, Raster> rasters;
    std::vector<Feature> trees;
    std::vector<Feature> roads;
    std::vector<Feature> addresses;

    explicit Scene(GridSpec g) : grid(std::move(g)) {
        for (const char* name : {"canopy.fraction", "canopy.height_m", "building.height_m", "dsm", "population.dwellings",
                                 "population.residents", "landcover.grass", "landcover.trees", "landcover.water",
                                 "landcover.paved"}) {
            rasters.emplace(name, Raster(grid.cols, grid.rows, 0.0f));
        }
        rasters.emplace("areas.index", Raster(grid.cols, grid.rows, 0.0f));
    }
    Raster& r(const char* name) { return rasters.at(name); }
    void fill(const char* name, std::int64_t c0, std::int64_t r0, std::int64_t cols, std::int64_t rows, float v) {
        for (auto row = r0; row < r0 + rows; ++row) {
            for (auto col = c0; col < c0 + cols; ++col) r(name).at(col, row) = v;
        }
    }
    void building(std::int64_t c0, std::int64_t r0, std::int64_t cols, std::int64_t rows, float height_m) {
        fill("building.height_m", c0, r0, cols, rows, height_m);
        fill("dsm", c0, r0, cols, rows, height_m);
    }
    void home(std::int64_t col, std::int64_t row, float dwellings = 1.0f) {
        r("population.dwellings").at(col, row) = dwellings;
        r("population.residents").at(col, row) = 2.0f * dwellings;
    }
    // An address point; its cell's dwellings and residents grow by its numbers (as the loader sums them).
    void address(double x, double y, double dwellings, double residents) {
        Feature f;
        f.id = static_cast<std::int64_t>(addresses.size()) + 1;
        f.geometry.kind = Geometry::Kind::Point;
        f.geometry.points.push_back({x, y});
        f.attributes["dwellings"] = dwellings;
        f.attributes["residents"] = residents;
        addresses.push_back(std::move(f));
        const auto col = grid.col_of(x), row = grid.row_of(y);
        r("population.dwellings").at(col, row) += static_cast<float>(dwellings);
        r("population.residents").at(col, row) += static_cast<float>(residents);
    }
    std::vector<PointLayer> points(const std::map<std::string, RawValue>& p, int threads = 2) const {
        return access().configure(p)->compute_points(stack(), threads);
    }
    void road(std::vector<Point2> vertices) {
        Feature f;
        f.id = static_cast<std::int64_t>(roads.size()) + 1;
        f.geometry.kind = Geometry::Kind::Line;
        f.geometry.lines.push_back(std::move(vertices));
        roads.push_back(std::move(f));
    }
    void tree(double x, double y, double height_m, double crown_diameter_m) {
        Feature f;
        f.id = static_cast<std::int64_t>(trees.size()) + 1;
        f.geometry.kind = Geometry::Kind::Point;
        f.geometry.points.push_back({x, y});
        f.attributes["height_m"] = height_m;
        f.attributes["crown_diameter_m"] = crown_diameter_m;
        trees.push_back(std::move(f));
    }
    LayerStack stack() const {
        LayerStack s(grid);
        for (const auto& [k, v] : rasters) s.set_raster(k, std::make_shared<const Raster>(v));
        auto set = std::make_shared<FeatureSet>();
        set->role = "trees";
        set->features = trees;
        s.set_features("trees", set);
        if (!addresses.empty()) {
            auto a = std::make_shared<FeatureSet>();
            a->role = "population";
            a->features = addresses;
            s.set_features("population", a);
        }
        if (!roads.empty()) {
            auto r = std::make_shared<FeatureSet>();
            r->role = "roads";
            r->features = roads;
            s.set_features("roads", r);
        }
        return s;
    }
    std::vector<Raster> run(const std::map<std::string, RawValue>& p, int threads = 2, std::int64_t tile = 32) const {
        const auto model = access().configure(p);
        return run_indicator(*model, stack(), {threads, tile, {}});
    }
};

// ---- distance transform ------------------------------------------------------------------------

TEST(GreenAccessDistance, ExactAgainstBruteForceOnRandomScenes) {
    std::mt19937 rng(7);
    for (int scene = 0; scene < 12; ++scene) {
        const std::int64_t cols = 20 + scene * 7, rows = 15 + scene * 5;
        const double density = std::array{0.001, 0.01, 0.05, 0.3}[static_cast<std::size_t>(scene % 4)];
        std::bernoulli_distribution site(density);
        std::vector<std::uint8_t> mask(static_cast<std::size_t>(cols * rows));
        for (auto& m : mask) m = site(rng) ? 1 : 0;
        mask[static_cast<std::size_t>(scene)] = 1;  // at least one site
        const auto fast = squared_distance_transform(mask, cols, rows);
        const auto brute = squared_distance_transform_reference(mask, cols, rows);
        ASSERT_EQ(fast.size(), brute.size());
        for (std::size_t i = 0; i < fast.size(); ++i) ASSERT_EQ(fast[i], brute[i]) << "scene " << scene << " cell " << i;
    }
}

// Wider than one column block (512) and taller than one row block (32): the blocks run in parallel
// and must meet exactly, for any thread count.
// A mask of cols x rows with each cell a site with the given probability (seeded).
std::vector<std::uint8_t> random_sites(std::int64_t cols, std::int64_t rows, double density, unsigned seed) {
    std::mt19937 rng(seed);
    std::bernoulli_distribution site(density);
    std::vector<std::uint8_t> mask(static_cast<std::size_t>(cols * rows));
    for (auto& m : mask) m = site(rng) ? 1 : 0;
    return mask;
}

TEST(GreenAccessDistance, ParallelBlocksEqualBruteForce) {
    const std::int64_t cols = 1100, rows = 70;
    auto mask = random_sites(cols, rows, 0.0008, 17);
    mask[static_cast<std::size_t>(40 * cols + 515)] = 1;  // a site next to the block edge
    const auto brute = squared_distance_transform_reference(mask, cols, rows);
    for (const int threads : {1, 2, 3}) {
        const auto fast = squared_distance_transform(mask, cols, rows, threads);
        ASSERT_EQ(fast, brute) << threads << " threads";
    }
}

// The metres variant writes float(sqrt(d2) x cell) of the same transform into the caller's buffer, which
// also holds the column pass: the same values as converting the brute-force reference, for any thread count.
TEST(GreenAccessDistance, MetresEqualTheConvertedBruteForce) {
    const std::int64_t cols = 600, rows = 90;
    auto mask = random_sites(cols, rows, 0.002, 23);
    mask.back() = 1;
    const double cell = 2.5;
    const auto brute = squared_distance_transform_reference(mask, cols, rows);
    for (const int threads : {1, 2, 3}) {
        std::vector<float> metres(mask.size(), -7.0f);
        distance_transform_m(mask, cols, rows, cell, threads, metres.data());
        for (std::size_t i = 0; i < mask.size(); ++i) {
            ASSERT_EQ(metres[i], static_cast<float>(std::sqrt(brute[i]) * cell)) << threads << " threads, cell " << i;
        }
    }
    std::vector<float> none(mask.size());
    distance_transform_m(std::vector<std::uint8_t>(mask.size(), 0), cols, rows, cell, 2, none.data());
    for (float d : none) ASSERT_TRUE(std::isinf(d));
}

// A single row and a single column: the envelope and the column sweeps at their degenerate sizes.
TEST(GreenAccessDistance, OneRowAndOneColumnGrids) {
    std::vector<std::uint8_t> line(9, 0);
    line[2] = 1;
    line[7] = 1;
    const std::vector<double> expected{4, 1, 0, 1, 4, 4, 1, 0, 1};
    EXPECT_EQ(squared_distance_transform(line, 9, 1), expected);
    EXPECT_EQ(squared_distance_transform(line, 1, 9), expected);
}

TEST(GreenAccessDistance, NoSiteGivesInfinityAndOneSiteGivesTheEuclideanDistance) {
    std::vector<std::uint8_t> mask(30 * 20, 0);
    for (double d : squared_distance_transform(mask, 30, 20)) EXPECT_TRUE(std::isinf(d));
    mask[5 * 30 + 7] = 1;
    const auto d = squared_distance_transform(mask, 30, 20);
    EXPECT_EQ(d[5 * 30 + 7], 0.0);
    EXPECT_EQ(d[9 * 30 + 10], 3.0 * 3.0 + 4.0 * 4.0);  // the 3-4-5 triangle
}

// ---- network distance --------------------------------------------------------------------------

// A park behind a block (10 m cells, origin (0, 300)): grass at x 200-300, y 100-200 (cols 20-29, rows
// 10-19: 100 cells = 1 ha). The home at col 10, row 14 (centre 105, 155) lies 100 m from the nearest park
// cell centre (205, 155). Roads: x = 100 from y = 50 to 230, then east along y = 230 to x = 255, then a
// path south into the park to y = 150 (it enters at y = 200); and a southern loop (100, 50) -> (255, 50)
// -> (255, 120), entering at y = 100. By hand, from the home: snap 5 m to (100, 155); north 75 + east 155
// + south 30 to the entrance = 265 m (total 265); the southern loop gives 5 + 105 + 155 + 50 = 315.
Scene park_behind_a_block() {
    Scene scene(GridSpec::covering({0, 0, 400, 300}, 10.0, "EPSG:28992"));
    scene.fill("landcover.grass", 20, 10, 10, 10, 1.0f);
    scene.home(10, 14);
    scene.road({{100, 50}, {100, 230}});
    scene.road({{100, 230}, {255, 230}});
    scene.road({{255, 230}, {255, 150}});
    scene.road({{100, 50}, {255, 50}, {255, 120}});
    return scene;
}

TEST(GreenAccessNetwork, ParkBehindABlockHandComputedShortestPath) {
    const Scene scene = park_behind_a_block();
    const auto p = params({{"canopy_unit", text("buffer")}, {"park_distance", text("network")}});
    const auto net = scene.run(p);
    const auto euclid = scene.run(params({{"canopy_unit", text("buffer")}}));
    EXPECT_FLOAT_EQ(euclid[kDistPark].at(10, 14), 100.0f);
    EXPECT_FLOAT_EQ(net[kDistPark].at(10, 14), 265.0f);
    EXPECT_FLOAT_EQ(net[kDistParkHome].at(10, 14), 265.0f);
    EXPECT_EQ(net[kRule300].at(10, 14), 1.0f);
    EXPECT_EQ(net[kDistPark].at(25, 15), 0.0f) << "inside the park";
    // Cell centre (245, 245): 15 m to (245, 230), 10 m east, 30 m south = 55 m.
    EXPECT_FLOAT_EQ(net[kDistPark].at(24, 5), 55.0f);
    // Centre (395, 295) is hypot(140, 65) = 154.4 m from the nearest network point (255, 230): beyond the
    // default 100 m snap, so no distance; with 200 m it is 154.4 + 30.
    EXPECT_TRUE(std::isnan(net[kDistPark].at(39, 0)));
    auto p200 = p;
    p200["network_snap_max_m"] = number(200);
    EXPECT_NEAR(scene.run(p200)[kDistPark].at(39, 0), std::hypot(140.0, 65.0) + 30.0, 1e-4);
    // A 250 m rule passes with the Euclidean 100 m and fails with the 265 m walk.
    auto p250 = p;
    p250["park_pass_distance_m"] = number(250);
    EXPECT_EQ(scene.run(p250)[kRule300].at(10, 14), 0.0f);
    auto e250 = params({{"canopy_unit", text("buffer")}, {"park_pass_distance_m", number(250)}});
    EXPECT_EQ(scene.run(e250)[kRule300].at(10, 14), 1.0f);
    // Without the northern street the southern loop is the way: 315 m.
    Scene south = scene;
    south.roads.erase(south.roads.begin() + 1);
    EXPECT_FLOAT_EQ(south.run(p)[kDistPark].at(10, 14), 315.0f);
}

TEST(GreenAccessNetwork, SameResultForAnyTileSizeAndThreadCount) {
    const Scene scene = park_behind_a_block();
    const auto p = params({{"canopy_unit", text("buffer")}, {"park_distance", text("network")}});
    const auto a = scene.run(p, 1, 7);
    const auto b = scene.run(p, 2, 64);
    ASSERT_EQ(a[kDistPark].values().size(), b[kDistPark].values().size());
    for (std::size_t i = 0; i < a[kDistPark].values().size(); ++i) {
        const float x = a[kDistPark].values()[i], y = b[kDistPark].values()[i];
        ASSERT_TRUE((std::isnan(x) && std::isnan(y)) || x == y) << i;
    }
}

TEST(GreenAccessNetwork, EntrancesAndNodeDistances) {
    const Scene scene = park_behind_a_block();
    std::vector<std::uint8_t> mask(static_cast<std::size_t>(scene.grid.cell_count()), 0);
    for (std::int64_t r = 10; r < 20; ++r) {
        for (std::int64_t c = 20; c < 30; ++c) mask[static_cast<std::size_t>(r * scene.grid.cols + c)] = 1;
    }
    std::vector<std::vector<Point2>> lines;
    for (const Feature& f : scene.roads) lines.push_back(f.geometry.lines[0]);
    const WalkNetwork net(lines, scene.grid, mask);
    // Nodes (100,50), (100,230), (255,230), (255,150), (255,50), (255,120); two entrances.
    EXPECT_EQ(net.node_count(), 6);
    EXPECT_EQ(net.segment_count(), 5);
    EXPECT_EQ(net.entrance_count(), 2);
    EXPECT_DOUBLE_EQ(net.node_distance(2), 30.0);         // (255, 230): 30 m south to y = 200
    EXPECT_DOUBLE_EQ(net.node_distance(1), 155.0 + 30.0);  // (100, 230)
    EXPECT_DOUBLE_EQ(net.node_distance(0), 155.0 + 50.0);  // (100, 50): the southern loop, 205 < 180 + 185
    EXPECT_DOUBLE_EQ(net.node_distance(3), 0.0);          // (255, 150) lies in the park
    EXPECT_DOUBLE_EQ(net.distance_from(105, 155, 100), 265.0);
    EXPECT_DOUBLE_EQ(net.distance_from_reference(105, 155, 100), 265.0);
    EXPECT_TRUE(std::isinf(net.distance_from(395, 295, 100)));
}

TEST(GreenAccessNetwork, DijkstraEqualsBellmanFordOnRandomNetworks) {
    std::mt19937 rng(11);
    std::uniform_real_distribution<double> u01(0.0, 1.0);
    for (int scene = 0; scene < 8; ++scene) {
        const GridSpec grid = GridSpec::covering({0, 0, 500, 400}, 5.0, "EPSG:28992");
        std::vector<std::uint8_t> mask(static_cast<std::size_t>(grid.cell_count()), 0);
        for (int park = 0; park < 3; ++park) {
            const auto c0 = static_cast<std::int64_t>(u01(rng) * 80), r0 = static_cast<std::int64_t>(u01(rng) * 60);
            for (auto r = r0; r < r0 + 15; ++r) {
                for (auto c = c0; c < c0 + 15; ++c) mask[static_cast<std::size_t>(r * grid.cols + c)] = 1;
            }
        }
        // A jittered street lattice with some streets missing, lines of 2-4 vertices.
        std::vector<Point2> nodes;
        const int n = 8;
        for (int j = 0; j < n; ++j) {
            for (int i = 0; i < n; ++i) nodes.push_back({20 + i * 60 + 20 * u01(rng), 20 + j * 48 + 15 * u01(rng)});
        }
        std::vector<std::vector<Point2>> lines;
        for (int j = 0; j < n; ++j) {
            for (int i = 0; i + 1 < n; ++i) {
                if (u01(rng) < 0.8) lines.push_back({nodes[static_cast<std::size_t>(j * n + i)], nodes[static_cast<std::size_t>(j * n + i + 1)]});
                if (u01(rng) < 0.8) lines.push_back({nodes[static_cast<std::size_t>(i * n + j)], nodes[static_cast<std::size_t>((i + 1) * n + j)]});
            }
        }
        const WalkNetwork net(lines, grid, mask);
        for (int k = 0; k < 200; ++k) {
            const double x = 500 * u01(rng), y = 400 * u01(rng);
            const double fast = net.distance_from(x, y, 80), ref = net.distance_from_reference(x, y, 80);
            if (std::isinf(ref)) {
                ASSERT_TRUE(std::isinf(fast)) << scene << " " << x << " " << y;
            } else {
                ASSERT_NEAR(fast, ref, 1e-9 * ref) << scene << " " << x << " " << y;
            }
        }
    }
}

// Joining lines that are not noded. A 10 m grid over (0, 0)-(400, 300) with a park at x 200-300,
// y 100-200 (as park_behind_a_block); a street along y = 250 and a path that runs south from near the
// street into the park (it enters at y = 200). The home point (50, 255) snaps 5 m to the street.
struct JunctionScene {
    GridSpec grid = GridSpec::covering({0, 0, 400, 300}, 10.0, "EPSG:28992");
    std::vector<std::uint8_t> mask;
    JunctionScene() : mask(static_cast<std::size_t>(grid.cell_count()), 0) {
        for (std::int64_t r = 10; r < 20; ++r) {
            for (std::int64_t c = 20; c < 30; ++c) mask[static_cast<std::size_t>(r * grid.cols + c)] = 1;
        }
    }
    [[nodiscard]] double walk(const std::vector<std::vector<Point2>>& lines, NetworkNoding::Mode mode,
                              double tolerance_m = 0.5) const {
        const WalkNetwork net(lines, grid, mask, {mode, tolerance_m});
        const double fast = net.distance_from(50, 255, 100);
        const double ref = net.distance_from_reference(50, 255, 100);
        EXPECT_TRUE((std::isinf(fast) && std::isinf(ref)) || std::abs(fast - ref) < 1e-9) << fast << " " << ref;
        return fast;
    }
};

TEST(GreenAccessNetwork, UndershotTJunctionIsJoinedWithinTheTolerance) {
    using Mode = NetworkNoding::Mode;
    const JunctionScene scene;
    // The path stops 0.3 m short of the street (its end at y = 249.7): by hand 5 (snap) + 200 (east) +
    // 0.3 (the gap) + 49.7 (south to y = 200) = 255 m once joined; never reached when lines meet only at
    // shared vertices, nor with a tolerance below the gap.
    const std::vector<std::vector<Point2>> gap03{{{0, 250}, {400, 250}}, {{250, 249.7}, {250, 150}}};
    EXPECT_NEAR(scene.walk(gap03, Mode::Endpoints), 255.0, 1e-9);
    EXPECT_NEAR(scene.walk(gap03, Mode::Crossings), 255.0, 1e-9);
    EXPECT_TRUE(std::isinf(scene.walk(gap03, Mode::SharedVertices)));
    EXPECT_TRUE(std::isinf(scene.walk(gap03, Mode::Endpoints, 0.2)));
    // 0.8 m short: beyond the default 0.5 m, joined with a 1 m tolerance.
    const std::vector<std::vector<Point2>> gap08{{{0, 250}, {400, 250}}, {{250, 249.2}, {250, 150}}};
    EXPECT_TRUE(std::isinf(scene.walk(gap08, Mode::Endpoints)));
    EXPECT_NEAR(scene.walk(gap08, Mode::Endpoints, 1.0), 255.0, 1e-9);
    // Overshot by 0.3 m (the path starts at y = 250.3 and crosses the street): the end is joined by its
    // 0.3 m gap, so the walk is 5 + 200 + 0.3 + 50.3 = 255.6 m; as a crossing it is 255 m.
    const std::vector<std::vector<Point2>> over03{{{0, 250}, {400, 250}}, {{250, 250.3}, {250, 150}}};
    EXPECT_NEAR(scene.walk(over03, Mode::Endpoints), 255.6, 1e-9);
    EXPECT_NEAR(scene.walk(over03, Mode::Crossings), 255.0, 1e-9);
    // The street is split at the foot of the gap: 3 drawn segments become 3 + 1 edges and 5 nodes.
    const WalkNetwork net(gap03, scene.grid, scene.mask);
    EXPECT_EQ(net.joined_dead_ends(), 1);
    EXPECT_EQ(net.joined_crossings(), 0);
    EXPECT_EQ(net.node_count(), 5);
    EXPECT_EQ(net.segment_count(), 4);
    // A path that ends exactly on the street (a T-junction without a shared vertex) is joined by a
    // zero-length gap: 5 + 200 + 50.
    const std::vector<std::vector<Point2>> touching{{{0, 250}, {400, 250}}, {{250, 250}, {250, 150}}};
    EXPECT_NEAR(scene.walk(touching, Mode::Endpoints), 255.0, 1e-9);
    // A line end shared by two lines is a junction, not a dead end: the corner (250, 249.7) of a
    // two-line bend next to the street is not joined to it.
    const std::vector<std::vector<Point2>> corner{{{0, 250}, {400, 250}}, {{100, 249.7}, {250, 249.7}},
                                                  {{250, 249.7}, {250, 150}}};
    EXPECT_EQ(WalkNetwork(corner, scene.grid, scene.mask).joined_dead_ends(), 1) << "only the end at (100, 249.7)";
}

TEST(GreenAccessNetwork, CrossingLinesMeetOnlyWhenCrossingsAreJunctions) {
    using Mode = NetworkNoding::Mode;
    const JunctionScene scene;
    // The path crosses the street at (250, 250) without a vertex there; its northern end is 40 m away.
    const std::vector<std::vector<Point2>> crossing{{{0, 250}, {400, 250}}, {{250, 290}, {250, 150}}};
    EXPECT_TRUE(std::isinf(scene.walk(crossing, Mode::SharedVertices)));
    EXPECT_TRUE(std::isinf(scene.walk(crossing, Mode::Endpoints)));
    EXPECT_NEAR(scene.walk(crossing, Mode::Crossings), 5.0 + 200.0 + 50.0, 1e-9);
    const WalkNetwork net(crossing, scene.grid, scene.mask, {Mode::Crossings, 0.5});
    EXPECT_EQ(net.joined_crossings(), 1);
    EXPECT_EQ(net.node_count(), 5);
    EXPECT_EQ(net.segment_count(), 4);
}

// Crossings against a plain reference: every pair of segments intersected by brute force (O(n^2)), the
// lines cut at the crossings by hand, then joined only at shared vertices; on random unnoded scenes
// both give the same distances from random points.
TEST(GreenAccessNetwork, CrossingNodingEqualsBruteForceIntersection) {
    std::mt19937 rng(23);
    std::uniform_real_distribution<double> u01(0.0, 1.0);
    const GridSpec grid = GridSpec::covering({0, 0, 600, 500}, 5.0, "EPSG:28992");
    int total_reached = 0;
    for (int scene = 0; scene < 6; ++scene) {
        std::vector<std::uint8_t> mask(static_cast<std::size_t>(grid.cell_count()), 0);
        for (int park = 0; park < 3; ++park) {
            const auto c0 = static_cast<std::int64_t>(u01(rng) * 100), r0 = static_cast<std::int64_t>(u01(rng) * 80);
            for (auto r = r0; r < r0 + 12; ++r) {
                for (auto c = c0; c < c0 + 12; ++c) mask[static_cast<std::size_t>(r * grid.cols + c)] = 1;
            }
        }
        std::vector<std::pair<Point2, Point2>> segs;
        for (int k = 0; k < 120; ++k) {
            const Point2 a{600 * u01(rng), 500 * u01(rng)};
            const double angle = 2 * std::numbers::pi * u01(rng), len = 40 + 160 * u01(rng);
            segs.push_back({a, {a.x + len * std::cos(angle), a.y + len * std::sin(angle)}});
        }
        std::vector<std::vector<Point2>> drawn;
        for (const auto& [a, b] : segs) drawn.push_back({a, b});
        std::vector<std::vector<std::pair<double, Point2>>> cuts(segs.size());
        for (std::size_t i = 0; i < segs.size(); ++i) {
            for (std::size_t j = i + 1; j < segs.size(); ++j) {
                const auto [p, q] = segs[i];
                const auto [r, s] = segs[j];
                const double ex = q.x - p.x, ey = q.y - p.y, fx = s.x - r.x, fy = s.y - r.y;
                const double den = ex * fy - ey * fx;
                if (den == 0.0) continue;
                const double t = ((r.x - p.x) * fy - (r.y - p.y) * fx) / den;
                const double u = ((r.x - p.x) * ey - (r.y - p.y) * ex) / den;
                if (t < 0 || t > 1 || u < 0 || u > 1) continue;
                const Point2 x{p.x + t * ex, p.y + t * ey};
                cuts[i].emplace_back(t, x);
                cuts[j].emplace_back(u, x);
            }
        }
        std::vector<std::vector<Point2>> noded;
        std::size_t crossings = 0;
        for (std::size_t i = 0; i < segs.size(); ++i) {
            std::sort(cuts[i].begin(), cuts[i].end(), [](const auto& a, const auto& b) { return a.first < b.first; });
            crossings += cuts[i].size();
            std::vector<Point2> line{segs[i].first};
            for (const auto& c : cuts[i]) line.push_back(c.second);
            line.push_back(segs[i].second);
            noded.push_back(line);
        }
        ASSERT_GT(crossings, 20u) << "the scene must have crossings to test";
        const WalkNetwork fast(drawn, grid, mask, {NetworkNoding::Mode::Crossings, 0.0});
        const WalkNetwork ref(noded, grid, mask, {NetworkNoding::Mode::SharedVertices, 0.0});
        EXPECT_EQ(fast.node_count(), ref.node_count()) << scene;
        EXPECT_EQ(fast.joined_crossings() * 2, static_cast<std::int64_t>(crossings)) << scene;
        int reached = 0;
        for (int k = 0; k < 200; ++k) {
            const double x = 600 * u01(rng), y = 500 * u01(rng);
            const double a = fast.distance_from(x, y, 60), b = ref.distance_from_reference(x, y, 60);
            if (std::isinf(b)) {
                ASSERT_TRUE(std::isinf(a)) << scene << " " << x << " " << y;
            } else {
                ++reached;
                ASSERT_NEAR(a, b, 1e-9 * std::max(1.0, b)) << scene << " " << x << " " << y;
            }
        }
        total_reached += reached;
    }
    EXPECT_GT(total_reached, 400) << "of 1200 points";
}

TEST(GreenAccessNetwork, JunctionParametersReachTheModelAndAreChecked) {
    // Through the indicator: the overshot path of UndershotTJunctionIsJoinedWithinTheTolerance and the
    // home at col 5, row 4 (centre (55, 255)): by hand 5 m snap to (55, 250), 195 m east, 0.3 + 50.3 m
    // south = 250.6 m.
    Scene scene(GridSpec::covering({0, 0, 400, 300}, 10.0, "EPSG:28992"));
    scene.fill("landcover.grass", 20, 10, 10, 10, 1.0f);
    scene.home(5, 4);
    scene.road({{0, 250}, {400, 250}});
    scene.road({{250, 250.3}, {250, 150}});
    auto p = params({{"canopy_unit", text("buffer")}, {"park_distance", text("network")}});
    EXPECT_NEAR(scene.run(p)[kDistPark].at(5, 4), 250.6, 1e-4);
    p["network_junctions"] = text("shared_vertices");
    EXPECT_TRUE(std::isnan(scene.run(p)[kDistPark].at(5, 4)) || std::isinf(scene.run(p)[kDistPark].at(5, 4)));
    p["network_junctions"] = text("endpoints");
    p["network_snap_tolerance_m"] = number(0.2);
    const float far = scene.run(p)[kDistPark].at(5, 4);
    EXPECT_TRUE(std::isnan(far) || std::isinf(far));
    for (const auto& [key, value] : {std::pair{"network_junctions", text("nodes")},
                                     std::pair{"network_snap_tolerance_m", number(25)}}) {
        auto bad = params({{"park_distance", text("network")}});
        bad[key] = value;
        try {
            (void)access().configure(bad);
            FAIL() << key;
        } catch (const ConfigError& e) {
            EXPECT_THAT(e.what(), HasSubstr(key));
        }
    }
}

TEST(GreenAccessNetwork, NetworkModeWithoutLinesIsADataError) {
    Scene scene = park_behind_a_block();
    scene.roads.clear();
    try {
        (void)scene.run(params({{"canopy_unit", text("buffer")}, {"park_distance", text("network")}}));
        FAIL() << "expected a DataError";
    } catch (const DataError& e) {
        EXPECT_THAT(e.what(), HasSubstr("'roads' or 'paths'"));
    }
}

// ---- parks -------------------------------------------------------------------------------------

TEST(GreenAccessParks, ParkOf09HectareFailsOneHectareAndPassesHalfHectare) {
    // 10 m cells: 9 x 10 cells of grass = 90 cells x 100 m2 = 9000 m2 = 0.9 ha (hand count).
    const std::int64_t cols = 40, rows = 30;
    std::vector<float> green(static_cast<std::size_t>(cols * rows), 0.0f);
    for (std::int64_t r = 10; r < 20; ++r) {
        for (std::int64_t c = 5; c < 14; ++c) green[static_cast<std::size_t>(r * cols + c)] = 1.0f;
    }
    const auto one_ha = find_parks(green, cols, rows, 100.0, 0.5, 10000.0, 4);
    EXPECT_EQ(one_ha.parks_found, 1);
    EXPECT_EQ(one_ha.parks_qualifying, 0);
    const auto half_ha = find_parks(green, cols, rows, 100.0, 0.5, 5000.0, 4);
    ASSERT_EQ(half_ha.parks_qualifying, 1);
    EXPECT_DOUBLE_EQ(half_ha.qualifying_areas_m2[0], 9000.0);
}

TEST(GreenAccessParks, ShapeFilterDropsNarrowStrips) {
    // green-method.md section 1.3 (zh_open): perimeter / area <= 0.35 keeps strips of about 6 m and wider.
    // 2 m cells. A strip 3 x 100 cells (6 m x 200 m): perimeter 2 x (6 + 200) = 412 m, area 1200 m2,
    // 0.343 /m (passes); 2 x 100 cells (4 m x 200 m): 408 m / 800 m2 = 0.51 /m (fails); 3 x 50 cells:
    // 212 m / 600 m2 = 0.353 /m (fails, by the strip's ends). Hand-computed.
    const std::int64_t cols = 120, rows = 20;
    const auto strip = [&](std::int64_t width, std::int64_t length) {
        std::vector<float> green(static_cast<std::size_t>(cols * rows), 0.0f);
        for (std::int64_t r = 5; r < 5 + width; ++r) {
            for (std::int64_t c = 5; c < 5 + length; ++c) green[static_cast<std::size_t>(r * cols + c)] = 1.0f;
        }
        return green;
    };
    EXPECT_EQ(find_parks(strip(3, 100), cols, rows, 4.0, 0.5, 300.0, 4, 0.35).parks_qualifying, 1);
    EXPECT_EQ(find_parks(strip(2, 100), cols, rows, 4.0, 0.5, 300.0, 4, 0.35).parks_qualifying, 0);
    EXPECT_EQ(find_parks(strip(3, 50), cols, rows, 4.0, 0.5, 300.0, 4, 0.35).parks_qualifying, 0);
    EXPECT_EQ(find_parks(strip(3, 50), cols, rows, 4.0, 0.5, 300.0, 4, 0.354).parks_qualifying, 1);
    // Off (0): every strip of at least 300 m2 counts.
    EXPECT_EQ(find_parks(strip(2, 100), cols, rows, 4.0, 0.5, 300.0, 4).parks_qualifying, 1);
    // Sides on the grid edge are not counted: the 2-cell strip against the top edge has 2 x 200 + 2 x 4 = 408
    // minus 200 = 208 m of outline, 0.26 /m.
    std::vector<float> edge(static_cast<std::size_t>(cols * rows), 0.0f);
    for (std::int64_t r = 0; r < 2; ++r) {
        for (std::int64_t c = 5; c < 105; ++c) edge[static_cast<std::size_t>(r * cols + c)] = 1.0f;
    }
    EXPECT_EQ(find_parks(edge, cols, rows, 4.0, 0.5, 300.0, 4, 0.27).parks_qualifying, 1);
    EXPECT_EQ(find_parks(edge, cols, rows, 4.0, 0.5, 300.0, 4, 0.25).parks_qualifying, 0);
}

TEST(GreenAccessParks, TouchingParcelsMergeDiagonalOnlyWith8Connectivity) {
    // green-method.md section 10 test 6: two touching 0.6 ha parcels pass the 1 ha test when merged.
    const std::int64_t cols = 40, rows = 30;
    std::vector<float> green(static_cast<std::size_t>(cols * rows), 0.0f);
    const auto block = [&](std::int64_t c0, std::int64_t r0) {
        for (std::int64_t r = r0; r < r0 + 6; ++r) {
            for (std::int64_t c = c0; c < c0 + 10; ++c) green[static_cast<std::size_t>(r * cols + c)] = 1.0f;
        }
    };
    block(2, 2);
    block(2, 8);  // shares an edge: one park of 1.2 ha
    EXPECT_EQ(find_parks(green, cols, rows, 100.0, 0.5, 10000.0, 4).parks_qualifying, 1);
    std::fill(green.begin(), green.end(), 0.0f);
    block(2, 2);
    block(12, 8);  // touches only at a corner
    EXPECT_EQ(find_parks(green, cols, rows, 100.0, 0.5, 10000.0, 4).parks_qualifying, 0);
    EXPECT_EQ(find_parks(green, cols, rows, 100.0, 0.5, 10000.0, 8).parks_qualifying, 1);
}

TEST(GreenAccessModel, ParkSizeRuleThroughTheModel) {
    Scene scene(test::make_grid(60, 40, 10.0));
    scene.fill("landcover.paved", 0, 0, 60, 40, 1.0f);
    scene.fill("landcover.paved", 5, 10, 9, 10, 0.0f);
    scene.fill("landcover.grass", 5, 10, 9, 10, 1.0f);  // 0.9 ha
    scene.home(33, 15);                                 // 20 cells east of the park's last column (13)
    const auto rivm = scene.run(params({{"canopy_unit", text("buffer")}}));
    EXPECT_TRUE(std::isnan(rivm[kDistPark].at(33, 15))) << "no park of 1 ha: no distance";
    EXPECT_EQ(rivm[kRule300].at(33, 15), 0.0f);
    const auto half = scene.run(params({{"canopy_unit", text("buffer")}, {"park_min_area_m2", number(5000)}}));
    EXPECT_FLOAT_EQ(half[kDistPark].at(33, 15), 200.0f);  // 20 cells x 10 m
    EXPECT_EQ(half[kRule300].at(33, 15), 1.0f);
    EXPECT_FLOAT_EQ(half[kDistPark].at(8, 12), 0.0f);     // inside the park
    EXPECT_FLOAT_EQ(half[kDistParkHome].at(33, 15), 200.0f);
    EXPECT_TRUE(std::isnan(half[kDistParkHome].at(34, 15))) << "not a home";
    // The handbook-2025 preset takes 0.5 ha (green-method.md section 1.1).
    const auto handbook = scene.run(params({{"preset", text("handbook-2025")}}));
    EXPECT_FLOAT_EQ(handbook[kDistPark].at(33, 15), 200.0f);
}

// ---- trees visible -----------------------------------------------------------------------------

// 1 m cells, flat ground at 0. A tree 10 m west of the home; a 6 m building between them hides it.
TEST(GreenAccessTrees, TreeBehindABuildingIsNotVisibleTheSameTreeInTheOpenIs) {
    Scene scene(test::make_grid(60, 40, 1.0));
    const auto& g = scene.grid;
    scene.fill("landcover.paved", 0, 0, 60, 40, 1.0f);
    scene.home(30, 20);
    scene.tree(g.cell_center_x(20), g.cell_center_y(20), 8.0, 4.0);
    // The crown as the DSM would carry it (the observer's crown top is found from it).
    scene.fill("canopy.height_m", 19, 19, 3, 3, 8.0f);
    scene.fill("dsm", 19, 19, 3, 3, 8.0f);
    const auto p = params({{"canopy_unit", text("buffer")}, {"home_score", text("address_cell")}});
    const auto open = scene.run(p);
    EXPECT_EQ(open[kTreesVisible].at(30, 20), 1.0f);
    EXPECT_TRUE(std::isnan(open[kTreesVisible].at(31, 20))) << "not a home";
    scene.building(25, 10, 2, 20, 12.0f);  // a 12 m wall at columns 25-26, higher than the crown top
    const auto hidden = scene.run(p);
    EXPECT_EQ(hidden[kTreesVisible].at(30, 20), 0.0f);
    // A low wall (1 m) does not hide it: the sight line from the 8 m crown top to 1.8 m passes above.
    scene.building(25, 10, 2, 20, 1.0f);
    EXPECT_EQ(scene.run(p)[kTreesVisible].at(30, 20), 1.0f);
    // Buffer count ignores buildings (cobra, handbook).
    scene.building(25, 10, 2, 20, 12.0f);
    const auto buffer = scene.run(params({{"canopy_unit", text("buffer")}, {"trees_visibility", text("buffer")},
                                          {"home_score", text("address_cell")}}));
    EXPECT_EQ(buffer[kTreesVisible].at(30, 20), 1.0f);
}

TEST(GreenAccessTrees, RadiusCrownSizeAndCrownEdgeFilters) {
    Scene scene(test::make_grid(80, 20, 1.0));
    const auto& g = scene.grid;
    scene.fill("landcover.paved", 0, 0, 80, 20, 1.0f);
    scene.home(40, 10);
    const double y = g.cell_center_y(10);
    scene.tree(g.cell_center_x(40) - 20.0, y, 10.0, 8.0);  // 20 m, crown 50.3 m2
    scene.tree(g.cell_center_x(40) + 28.0, y, 10.0, 4.0);  // 28 m, crown 12.6 m2
    scene.tree(g.cell_center_x(40) - 33.0, y, 10.0, 8.0);  // 33 m: the crown edge is at 29 m
    const auto base = params({{"canopy_unit", text("buffer")}, {"trees_visibility", text("buffer")},
                              {"home_score", text("address_cell")}});
    EXPECT_EQ(scene.run(base)[kTreesVisible].at(40, 10), 2.0f);
    auto p = base;
    p["tree_min_crown_area_m2"] = number(28.0);
    EXPECT_EQ(scene.run(p)[kTreesVisible].at(40, 10), 1.0f);
    p = base;
    p["trees_distance_to"] = text("crown_edge");
    EXPECT_EQ(scene.run(p)[kTreesVisible].at(40, 10), 3.0f);
    p = base;
    p["trees_radius_m"] = number(15.0);
    EXPECT_EQ(scene.run(p)[kTreesVisible].at(40, 10), 0.0f);
}

TEST(GreenAccessTrees, HomeInsideABuildingSeesFromTheFacadeRing) {
    // The address cell is inside a 10 x 10 m building; a tree 8 m east of its east facade is hidden
    // from the address cell by the building itself but seen from the ring outside the facade.
    Scene scene(test::make_grid(60, 40, 1.0));
    const auto& g = scene.grid;
    scene.fill("landcover.paved", 0, 0, 60, 40, 1.0f);
    scene.building(20, 15, 10, 10, 9.0f);
    scene.home(24, 19);
    scene.tree(g.cell_center_x(37), g.cell_center_y(19), 8.0, 3.0);
    EXPECT_EQ(scene.run(params({{"canopy_unit", text("buffer")}}))[kTreesVisible].at(24, 19), 1.0f);
    EXPECT_EQ(scene.run(params({{"canopy_unit", text("buffer")}, {"home_score", text("address_cell")}}))[kTreesVisible].at(24, 19),
              0.0f);
}

TEST(GreenAccessTrees, IndexedCountsEqualTheReferenceOverEveryTree) {
    // Random city: buildings, trees, homes; explain() counts with the plain reference (every tree).
    Scene scene(test::make_grid(70, 50, 2.0));
    std::mt19937 rng(3);
    std::uniform_int_distribution<std::int64_t> col(0, 69), row(0, 49);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    scene.fill("landcover.paved", 0, 0, 70, 50, 1.0f);
    for (int b = 0; b < 25; ++b) {
        const auto c = col(rng) % 64, r = row(rng) % 44;
        scene.building(c, r, 3 + c % 4, 3 + r % 3, static_cast<float>(4.0 + 20.0 * u(rng)));
    }
    for (int t = 0; t < 120; ++t) {
        scene.tree(scene.grid.origin_x + 140.0 * u(rng), scene.grid.origin_y - 100.0 * u(rng), 3.0 + 15.0 * u(rng),
                   1.0 + 9.0 * u(rng));
    }
    for (int h = 0; h < 60; ++h) scene.home(col(rng), row(rng));
    for (const char* mode : {"line_of_sight", "buffer"}) {
        SCOPED_TRACE(mode);
        const auto p = params({{"canopy_unit", text("buffer")}, {"trees_visibility", text(mode)}, {"los_blockers", text("surface")}});
        const auto model = access().configure(p);
        const auto stack = scene.stack();
        const auto out = run_indicator(*model, stack, {2, 16, {}});
        int homes = 0;
        for (std::int64_t r = 0; r < 50; ++r) {
            for (std::int64_t c = 0; c < 70; ++c) {
                if (!(stack.raster("population.dwellings").at(c, r) > 0.0f)) continue;
                ++homes;
                const auto e = model->explain(stack, scene.grid.cell_center_x(c), scene.grid.cell_center_y(r));
                const auto it = std::find_if(e.terms.begin(), e.terms.end(), [](const auto& t) { return t.name == "green_trees_visible"; });
                ASSERT_NE(it, e.terms.end());
                EXPECT_EQ(it->value, out[kTreesVisible].at(c, r)) << c << "," << r;
            }
        }
        EXPECT_GT(homes, 40);
    }
}

// ---- dwelling point layer ----------------------------------------------------------------------

const PointColumn& column_of(const PointLayer& layer, const std::string& name) {
    for (const auto& c : layer.columns) {
        if (c.name == name) return c;
    }
    throw std::runtime_error("no column " + name);
}

// green-method.md section 1.3: with the default minimum crown of 0 the dwelling layer also reports the
// trees with a known crown of at least 28 m2. Trees 20 m (crown 50.3 m2), 25 m (12.6 m2) and 10 m (no
// crown diameter: counted with minimum 0, never as 28 m2) from the address, in the open.
TEST(GreenAccessTrees, DwellingsReportTheTwentyEightSquareMetreCount) {
    Scene scene(test::make_grid(80, 20, 1.0));
    const auto& g = scene.grid;
    scene.fill("landcover.paved", 0, 0, 80, 20, 1.0f);
    const double x = g.cell_center_x(40), y = g.cell_center_y(10);
    scene.address(x, y, 1.0, 2.0);
    scene.tree(x - 20.0, y, 10.0, 8.0);
    scene.tree(x + 25.0, y, 10.0, 4.0);
    scene.tree(x + 10.0, y, 10.0, 0.0);
    scene.trees.back().attributes.erase("crown_diameter_m");
    const auto layers = scene.points(params({{"canopy_unit", text("buffer")}}));
    ASSERT_EQ(layers.size(), 1u);
    EXPECT_EQ(column_of(layers[0], "trees_visible").values.at(0), 3.0);
    const auto& large = column_of(layers[0], "trees_visible_28m2");
    EXPECT_EQ(large.values.at(0), 1.0);
    EXPECT_EQ(large.thresholds, std::vector<double>{2.5});
    // With the minimum at 28 m2 the rule's own count is that number, and the extra column is not written.
    const auto at_28 = scene.points(params({{"canopy_unit", text("buffer")}, {"tree_min_crown_area_m2", number(28.0)}}));
    EXPECT_EQ(column_of(at_28[0], "trees_visible").values.at(0), 1.0);
    EXPECT_THROW((void)column_of(at_28[0], "trees_visible_28m2"), std::runtime_error);
}

// Every address's values equal the rasters at its cell (same integer disc sums, same tree counts, the
// same flags) on a random town, for buffer and area canopy and both sight modes; 1 and 2 threads agree.
TEST(GreenAccessDwellings, PointValuesEqualTheRastersAtTheirCells) {
    Scene scene(test::make_grid(90, 70, 2.0));
    std::mt19937 rng(17);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    scene.fill("landcover.paved", 0, 0, 90, 70, 1.0f);
    scene.fill("landcover.grass", 50, 10, 35, 40, 1.0f);  // 1400 cells x 4 m2 = 5600 m2
    scene.fill("landcover.paved", 50, 10, 35, 40, 0.0f);
    scene.fill("landcover.water", 0, 60, 90, 10, 1.0f);
    for (int b = 0; b < 20; ++b) {
        const auto c = static_cast<std::int64_t>(u(rng) * 40), r = static_cast<std::int64_t>(u(rng) * 55);
        scene.building(c, r, 3 + c % 4, 3 + r % 3, static_cast<float>(4.0 + 20.0 * u(rng)));
    }
    for (int t = 0; t < 80; ++t) {
        const double x = scene.grid.origin_x + 180.0 * u(rng), y = scene.grid.origin_y - 140.0 * u(rng);
        scene.tree(x, y, 3.0 + 15.0 * u(rng), 1.0 + 9.0 * u(rng));
        scene.r("canopy.fraction").at(scene.grid.col_of(x), scene.grid.row_of(y)) = 1.0f;
    }
    for (int h = 0; h < 50; ++h) {
        scene.address(scene.grid.origin_x + 180.0 * u(rng), scene.grid.origin_y - 120.0 * u(rng), 1.0 + (h % 3), 2.0 + (h % 5));
    }
    for (const char* unit : {"buffer", "area"}) {
        for (const char* mode : {"line_of_sight", "buffer"}) {
            SCOPED_TRACE(std::string(unit) + " " + mode);
            const auto p = params({{"canopy_unit", text(unit)}, {"canopy_radius_m", number(20)}, {"trees_visibility", text(mode)},
                                   {"park_min_area_m2", number(5000)}, {"park_pass_distance_m", number(60)}});
            const auto raster = scene.run(p, 2, 32);
            const auto layers = scene.points(p, 2);
            ASSERT_EQ(layers.size(), 1u);
            const PointLayer& L = layers[0];
            EXPECT_EQ(L.name, "green_dwellings");
            ASSERT_EQ(L.points.size(), 50u);
            const auto canopy_out = std::string(unit) == "area" ? kCanopyArea : kCanopyShare;
            int met = 0;
            for (std::size_t i = 0; i < L.points.size(); ++i) {
                const auto col = scene.grid.col_of(L.points[i].x), row = scene.grid.row_of(L.points[i].y);
                EXPECT_EQ(static_cast<float>(column_of(L, "trees_visible").values[i]), raster[kTreesVisible].at(col, row)) << i;
                EXPECT_EQ(static_cast<float>(column_of(L, "canopy_pct").values[i]), raster[canopy_out].at(col, row)) << i;
                EXPECT_EQ(static_cast<float>(column_of(L, "dist_park_m").values[i]), raster[kDistParkHome].at(col, row)) << i;
                EXPECT_EQ(static_cast<float>(column_of(L, "meets_3").values[i]), raster[kRule3].at(col, row)) << i;
                EXPECT_EQ(static_cast<float>(column_of(L, "meets_30").values[i]), raster[kRule30].at(col, row)) << i;
                EXPECT_EQ(static_cast<float>(column_of(L, "meets_300").values[i]), raster[kRule300].at(col, row)) << i;
                EXPECT_EQ(static_cast<float>(column_of(L, "meets_all").values[i]), raster[kRuleAll].at(col, row)) << i;
                EXPECT_EQ(static_cast<float>(column_of(L, "rules_met").values[i]), raster[kRulesMet].at(col, row)) << i;
                met += column_of(L, "meets_300").values[i] == 1.0;
            }
            EXPECT_GT(met, 0);
            EXPECT_LT(met, 50);
            // The dwellings are the weights (default point_weight), the residents a column.
            EXPECT_EQ(L.weight_name, "dwellings");
            EXPECT_EQ(L.residents[4], 1.0 + 4 % 3);
            EXPECT_EQ(column_of(L, "residents").values[4], 2.0 + 4 % 5);
            const auto one = scene.points(p, 1);
            for (const auto& c : L.columns) {
                const auto& other = column_of(one[0], c.name).values;
                for (std::size_t i = 0; i < c.values.size(); ++i) {
                    ASSERT_TRUE((std::isnan(c.values[i]) && std::isnan(other[i])) || c.values[i] == other[i]) << c.name << i;
                }
            }
        }
    }
}

// The park behind a block (see GreenAccessNetwork): an address at (103, 152) is 3 m from the street at
// x = 100, then 78 m north, 155 m east and 30 m south: 266 m along the network from the address itself
// (the raster's 265 m is from the cell centre). An address at (395, 15) is 144 m from the nearest street
// point (255, 50), beyond the 100 m snap: no distance, rule 300 fails. Shares of dwellings meeting 300:
// 3 of 3 + 1 = 0.75 with dwellings weights, 5 of 5 + 1 = 0.833 with residents weights.
TEST(GreenAccessDwellings, NetworkDistanceFromTheAddressAndWeightedShares) {
    Scene scene = park_behind_a_block();
    scene.r("population.dwellings").at(10, 14) = 0.0f;  // the block scene's cell home is replaced by addresses
    scene.r("population.residents").at(10, 14) = 0.0f;
    scene.address(103, 152, 3, 5);
    scene.address(395, 15, 1, 1);
    scene.address(200, 290, 0, 4);  // no dwellings: not a home
    auto p = params({{"canopy_unit", text("buffer")}, {"park_distance", text("network")}});
    const auto layers = scene.points(p);
    ASSERT_EQ(layers.size(), 1u);
    const PointLayer& L = layers[0];
    ASSERT_EQ(L.points.size(), 2u);
    EXPECT_DOUBLE_EQ(column_of(L, "dist_park_m").values[0], 266.0);
    EXPECT_TRUE(std::isnan(column_of(L, "dist_park_m").values[1]));
    const auto& m300 = column_of(L, "meets_300").values;
    EXPECT_EQ(m300[0], 1.0);
    EXPECT_EQ(m300[1], 0.0);
    const auto share = [&](const std::vector<double>& w) { return (w[0] * m300[0] + w[1] * m300[1]) / (w[0] + w[1]); };
    EXPECT_DOUBLE_EQ(share(L.residents), 0.75);
    p["point_weight"] = text("residents");
    const auto by_residents = scene.points(p);
    EXPECT_EQ(by_residents[0].weight_name, "residents");
    EXPECT_NEAR(share(by_residents[0].residents), 5.0 / 6.0, 1e-15);
    // No trees in the scene: nobody meets 3, so nobody meets all three.
    EXPECT_EQ(column_of(L, "meets_3").values[0], 0.0);
    EXPECT_EQ(column_of(L, "meets_all").values[0], 0.0);
    EXPECT_EQ(column_of(L, "rules_met").values[0], 1.0);
    // Thresholds for the per-area shares, and the red/green style on meets_all.
    EXPECT_EQ(column_of(L, "meets_all").thresholds, std::vector<double>{0.5});
    EXPECT_EQ(column_of(L, "dist_park_m").thresholds, std::vector<double>{300.0});
    EXPECT_EQ(L.style_column, "meets_all");
    ASSERT_EQ(L.classes.size(), 2u);
    EXPECT_EQ(L.classes[0].colour, "#d7191c");
    EXPECT_EQ(L.classes[1].colour, "#1a9641");
    // Euclidean: the address's cell centre (105, 155) is 100 m from the park.
    EXPECT_DOUBLE_EQ(column_of(scene.points(params({{"canopy_unit", text("buffer")}}))[0], "dist_park_m").values[0], 100.0);
}

TEST(GreenAccessDwellings, NoAddressPointsNoLayer) {
    Scene scene = park_behind_a_block();
    EXPECT_TRUE(scene.points(params({{"canopy_unit", text("buffer")}})).empty());
}

// ---- canopy ------------------------------------------------------------------------------------

Geometry disc_polygon(double cx, double cy, double radius, int vertices) {
    Geometry g;
    g.kind = Geometry::Kind::Polygon;
    Ring ring;
    for (int i = 0; i < vertices; ++i) {
        const double a = 2.0 * std::numbers::pi * i / vertices;
        ring.push_back({cx + radius * std::cos(a), cy + radius * std::sin(a)});
    }
    ring.push_back(ring.front());
    g.polygons.push_back(Polygon{{ring}});
    return g;
}

TEST(GreenAccessCanopy, KnownCrownDiscsMatchTheAnalyticArea) {
    // Crowns of radius 6 m and 9 m, exact coverage on 1 m cells, wholly inside the 50 m disc of the
    // centre cell. Analytic share = pi (6^2 + 9^2) / (disc cells x 1 m2); the disc holds 7845 cells
    // (make_disc, the Gauss circle count for r = 50, OEIS A000328). Tolerance: the 720-gon misses
    // 1 - sin(2 pi / 720) / (2 pi / 720) = 1.3e-5 of each crown's area, far below 1e-3 percentage points.
    Scene scene(test::make_grid(121, 121, 1.0));
    const auto& g = scene.grid;
    scene.fill("landcover.paved", 0, 0, 121, 121, 1.0f);
    Raster& canopy = scene.r("canopy.fraction");
    accumulate_coverage(g, disc_polygon(g.cell_center_x(60) + 15.0, g.cell_center_y(60) + 10.0, 6.0, 720), canopy);
    accumulate_coverage(g, disc_polygon(g.cell_center_x(60) - 20.0, g.cell_center_y(60) - 5.0, 9.0, 720), canopy);
    const auto out = scene.run(params({{"canopy_unit", text("buffer")}, {"canopy_radius_m", number(50.0)}}));
    const Disc disc = make_disc(50.0, 1.0);
    ASSERT_EQ(disc.cell_count(), 7845);
    const double analytic = 100.0 * std::numbers::pi * (36.0 + 81.0) / 7845.0;
    EXPECT_NEAR(out[kCanopyShare].at(60, 60), analytic, 1e-3);
}

TEST(GreenAccessCanopy, WaterLeavesTheDenominatorAndAreaModeSumsNumeratorsAndDenominators) {
    Scene scene(test::make_grid(40, 20, 10.0));
    scene.fill("landcover.paved", 0, 0, 20, 20, 1.0f);
    scene.fill("canopy.fraction", 0, 0, 10, 20, 1.0f);    // 200 cells of crown in area 0
    scene.fill("landcover.water", 20, 0, 20, 20, 1.0f);  // area 1 is all water
    scene.fill("landcover.water", 15, 0, 5, 20, 0.5f);   // half water in area 0
    scene.fill("areas.index", 20, 0, 20, 20, 1.0f);
    scene.home(2, 2);
    const auto out = scene.run({});  // rivm-2025: canopy per area, land denominator
    // Area 0: crown 200 cells, land 300 + 100 x 0.5 = 350 cells: 57.142857 %.
    EXPECT_NEAR(out[kCanopyArea].at(2, 2), 100.0 * 200.0 / 350.0, 1e-4);
    EXPECT_EQ(out[kRule30].at(2, 2), 1.0f);
    EXPECT_TRUE(std::isnan(out[kCanopyArea].at(30, 2))) << "an area without land has no canopy share";
    EXPECT_TRUE(std::isnan(out[kCanopyCell].at(30, 2)));
    EXPECT_NEAR(out[kCanopyCell].at(2, 2), 100.0, 1e-6);
    // Total denominator: 200 / 400 cells.
    EXPECT_NEAR(scene.run(params({{"canopy_denominator", text("total")}}))[kCanopyArea].at(2, 2), 50.0, 1e-4);
}

// Buffer mode judges rule 30 in the buffer, but the areas still get their canopy cover as one ratio of
// sums (green-method.md section 4: never a mean of cell ratios); without areas the layer is NaN.
TEST(GreenAccessCanopy, BufferModeStillReportsTheAreaRatio) {
    Scene scene(test::make_grid(40, 20, 10.0));
    scene.fill("landcover.paved", 0, 0, 20, 20, 1.0f);
    scene.fill("canopy.fraction", 0, 0, 10, 20, 1.0f);
    scene.fill("landcover.water", 20, 0, 20, 20, 1.0f);
    scene.fill("landcover.water", 15, 0, 5, 20, 0.5f);
    scene.fill("areas.index", 20, 0, 20, 20, 1.0f);
    scene.home(2, 2);
    const auto out = scene.run(params({{"canopy_unit", text("buffer")}, {"canopy_radius_m", number(30)}}));
    EXPECT_NEAR(out[kCanopyArea].at(2, 2), 100.0 * 200.0 / 350.0, 1e-4);  // as in area mode, by hand
    EXPECT_NEAR(out[kCanopyArea].at(17, 19), 100.0 * 200.0 / 350.0, 1e-4);
    EXPECT_NEAR(out[kCanopyShare].at(2, 2), 100.0, 1e-4) << "rule 30 looks at the buffer, all crown near (2, 2)";
    scene.rasters.erase("areas.index");
    const auto no_areas = scene.run(params({{"canopy_unit", text("buffer")}, {"canopy_radius_m", number(30)}}));
    EXPECT_TRUE(std::isnan(no_areas[kCanopyArea].at(2, 2)));
    EXPECT_NEAR(no_areas[kCanopyShare].at(2, 2), 100.0, 1e-4);
}

TEST(GreenAccessCanopy, HeightSourceCountsCellsAboveTheThreshold) {
    Scene scene(test::make_grid(30, 30, 10.0));
    scene.fill("landcover.paved", 0, 0, 30, 30, 1.0f);
    scene.fill("canopy.height_m", 0, 0, 30, 15, 2.0f);   // below 2.5 m: not crown
    scene.fill("canopy.height_m", 0, 15, 30, 15, 6.0f);  // crown
    const auto out = scene.run(params({{"canopy_source", text("height")}}));
    EXPECT_NEAR(out[kCanopyArea].at(0, 0), 50.0, 1e-4);
}

// ---- flags, presets, per-area shares -----------------------------------------------------------

TEST(GreenAccessFlags, FlagsAtHomesOnlyAndRulesMetCounts) {
    Scene scene(test::make_grid(60, 40, 10.0));
    scene.fill("landcover.grass", 0, 0, 12, 12, 1.0f);   // 1.44 ha park in the corner
    scene.fill("canopy.fraction", 0, 0, 60, 40, 0.4f);  // 40 % canopy everywhere
    scene.home(15, 5);                                   // 4 cells from the park: 40 m
    scene.home(50, 35);                                  // far from the park
    const auto& g = scene.grid;
    for (int k = 0; k < 3; ++k) scene.tree(g.cell_center_x(15) + 5.0 + 3.0 * k, g.cell_center_y(5), 10.0, 2.0);
    const auto out = scene.run({});
    EXPECT_EQ(out[kRule3].at(15, 5), 1.0f);
    EXPECT_EQ(out[kRule30].at(15, 5), 1.0f);
    EXPECT_EQ(out[kRule300].at(15, 5), 1.0f);
    EXPECT_EQ(out[kRuleAll].at(15, 5), 1.0f);
    EXPECT_EQ(out[kRulesMet].at(15, 5), 3.0f);
    EXPECT_EQ(out[kRule3].at(50, 35), 0.0f);
    EXPECT_EQ(out[kRule300].at(50, 35), 0.0f);  // about 500 m away
    EXPECT_EQ(out[kRulesMet].at(50, 35), 1.0f);
    EXPECT_TRUE(std::isnan(out[kRuleAll].at(30, 20)));
    EXPECT_FALSE(std::isnan(out[kDistPark].at(30, 20)));
}

TEST(GreenAccessFlags, PerAreaShareOfHomesFromTheReducer) {
    // The engine's reducer on a 0/1 flag with threshold 0.5 gives the residents-weighted share of homes
    // meeting the rule: 3 homes (2, 2 and 6 residents) in one area, the one with 6 meets rule 300.
    Scene scene(test::make_grid(60, 40, 10.0));
    scene.fill("landcover.grass", 0, 0, 12, 12, 1.0f);
    scene.home(15, 5, 3.0f);   // 6 residents, 40 m from the park
    scene.home(50, 35, 1.0f);  // 2 residents
    scene.home(55, 30, 1.0f);  // 2 residents
    const auto stack = scene.stack();
    const auto out = scene.run({});
    const auto stats = reduce_by_area(scene.grid, out[kRule300], stack.raster("areas.index"),
                                      &stack.raster("population.residents"), 1, {0.5}, 1);
    ASSERT_EQ(stats.size(), 1u);
    EXPECT_EQ(stats[0].cells, 3);
    ASSERT_TRUE(stats[0].share_residents_above[0].has_value());
    EXPECT_DOUBLE_EQ(*stats[0].share_residents_above[0], 0.6);
}

TEST(GreenAccessPresets, PresetsSetTheirValuesAndGivenParametersWin) {
    EXPECT_THAT(green_access_presets(), ::testing::IsSupersetOf({"rivm-2025", "konijnendijk-2021", "cobra", "zh-open"}));
    Parameters p = validate_parameters("green.access", access().descriptor().parameters, {{"preset", text("cobra")}});
    auto s = resolve_access_settings(p);
    EXPECT_EQ(s.trees_radius_m, 25.0);
    EXPECT_EQ(s.trees_distance_to, "crown_edge");
    EXPECT_EQ(s.tree_min_crown_area_m2, 28.0);
    EXPECT_EQ(s.canopy_unit, "buffer");
    EXPECT_EQ(s.canopy_radius_m, 500.0);
    p = validate_parameters("green.access", access().descriptor().parameters,
                            {{"preset", text("cobra")}, {"trees_radius_m", number(40.0)}});
    EXPECT_EQ(resolve_access_settings(p).trees_radius_m, 40.0);
    s = resolve_access_settings(validate_parameters("green.access", access().descriptor().parameters, {}));
    EXPECT_EQ(s.preset, "rivm-2025");
    EXPECT_EQ(s.park_min_area_m2, 10000.0);
    EXPECT_EQ(s.trees_radius_m, 30.0);
    EXPECT_EQ(s.canopy_unit, "area");
    EXPECT_EQ(resolve_access_settings(validate_parameters("green.access", access().descriptor().parameters,
                                                          {{"preset", text("zh-open")}}))
                  .park_min_area_m2,
              300.0);
    const auto zh = resolve_access_settings(
        validate_parameters("green.access", access().descriptor().parameters, {{"preset", text("zh-open-network")}}));
    EXPECT_EQ(zh.park_max_perimeter_per_area, 0.35);
    EXPECT_EQ(zh.park_distance, "network");
    EXPECT_EQ(zh.park_pass_distance_m, 425.0);
    // The descriptor lists each preset's values (printed by `areatwin indicators --json`).
    const auto& d = access().descriptor();
    EXPECT_THAT(d.parameters.front().description, HasSubstr("cobra: canopy_unit=buffer, canopy_radius_m=500"));
    const auto model = access().configure({{"preset", text("barcelona-2022")}});
    const auto outs = model->outputs();
    EXPECT_THAT(outs[kRuleAll].description, HasSubstr("preset barcelona-2022"));
    EXPECT_THAT(outs[kRuleAll].description, HasSubstr("trees_radius_m=15"));
    EXPECT_EQ(outs[kRuleAll].thresholds, std::vector<double>{0.5});
}

TEST(GreenAccessPresets, PresetFormulaAndNdviFormula) {
    const auto f = builtin_registry().formula("green_access_preset");
    const auto r = f.evaluate(validate_parameters(f.name, f.inputs, {{"preset", text("handbook-2025")}}));
    EXPECT_EQ(*r.values.at("park_min_area_m2"), 5000.0);
    EXPECT_EQ(r.texts.at("trees_visibility"), "buffer");
    // green-method.md section 5: dense vegetation B8 0.30, B4 0.03 has NDVI 0.818; raw post-2022 DN
    // (offset +1000 not removed) gives 0.51.
    const auto n = builtin_registry().formula("green_ndvi");
    const auto with = n.evaluate(validate_parameters(n.name, n.inputs,
                                                     {{"red_dn", number(1300)}, {"nir_dn", number(4000)}, {"boa_add_offset", number(-1000)}}));
    EXPECT_NEAR(*with.values.at("ndvi"), 0.27 / 0.33, 1e-12);
    EXPECT_EQ(with.texts.at("class"), "forest or productive crops");
    const auto without = n.evaluate(validate_parameters(
        n.name, n.inputs, {{"red_dn", number(1300)}, {"nir_dn", number(4000)}, {"boa_add_offset", number(0)}}));
    EXPECT_NEAR(*without.values.at("ndvi"), 2700.0 / 5300.0, 1e-12);
    // The formula's default offset is green.ndvi's (-1000).
    const auto by_default = n.evaluate(validate_parameters(n.name, n.inputs, {{"red_dn", number(1300)}, {"nir_dn", number(4000)}}));
    EXPECT_NEAR(*by_default.values.at("ndvi"), 0.27 / 0.33, 1e-12);
}

TEST(GreenAccessErrors, MissingInputsNameTheLayer) {
    Scene scene(test::make_grid(10, 10, 10.0));
    auto stack = scene.stack();
    stack.remove_raster("areas.index");
    const auto model = access().configure({});
    try {
        (void)run_indicator(*model, stack, {1, 64, {}});
        FAIL();
    } catch (const DataError& e) {
        EXPECT_THAT(e.what(), HasSubstr("areas.index"));
        EXPECT_THAT(e.what(), HasSubstr("canopy_unit"));
    }
}

}  // namespace
}  // namespace areatwin::indicators::green
