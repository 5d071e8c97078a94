// SPDX-License-Identifier: GPL-3.0-or-later
// noise.cnossos propagation kernels: cnossos_path per call on a typical 200 m profile (5 m terrain cells,
// varying G) with and without diffraction, the allocating and the buffer-reusing form, and the facade
// reflection search and lateral paths on a synthetic town.
#include <cmath>
#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench_random.hpp"
#include "noise/cnossos_lateral.hpp"
#include "noise/cnossos_path.hpp"
#include "noise/cnossos_reflection.hpp"

namespace {

using namespace areatwin;
using namespace areatwin::indicators::noise;

using SplitMix64 = areatwin::bench::SplitMix64<double>;

// 200 m S-R over gently rolling terrain sampled every 5 m (41 vertices), G changing every 25 m; the source
// 0.05 m above a road, the receiver 4 m above the ground. With `buildings`, three 10-15 m high buildings
// (two roof corners each, as the grid cut gives them) stand between S and R.
PathProfile typical_profile(bool buildings, std::uint64_t seed) {
    SplitMix64 rng{seed};
    PathProfile p;
    p.length_m = 200.0;
    for (int k = 0; k <= 40; ++k) {
        const double x = 5.0 * k;
        p.terrain.push_back({x, 2.0 * std::sin(x / 60.0) + 0.3 * rng.unit()});
    }
    for (int k = 0; k < 8; ++k) p.ground.push_back({25.0 * k, 25.0 * (k + 1), k % 2 == 0 ? 0.0 : 0.7 + 0.3 * rng.unit()});
    p.source_z_m = p.terrain.front().z_m + 0.05;
    p.receiver_z_m = p.terrain.back().z_m + 4.0;
    p.source_g = 0.0;
    if (buildings) {
        for (const double x0 : {40.0, 95.0, 150.0}) {
            const double h = 10.0 + 5.0 * rng.unit();
            const double z = 2.0 * std::sin(x0 / 60.0);
            p.tops.push_back({x0, z + h});
            p.tops.push_back({x0 + 15.0, z + h});
        }
    }
    return p;
}

const Bands kAlpha = atmospheric_absorption_db_per_km({10.0, 70.0, 101.325});

void BM_CnossosPath_200m(benchmark::State& state) {
    const bool buildings = state.range(0) != 0;
    std::vector<PathProfile> profiles;
    for (std::uint64_t k = 0; k < 64; ++k) profiles.push_back(typical_profile(buildings, k + 1));
    PathWorkspace work;
    PathTerms terms;
    std::size_t i = 0;
    for (auto _ : state) {
        cnossos_path(profiles[i++ & 63], kAlpha, 0.5, work, terms);
        benchmark::DoNotOptimize(terms.attenuation_db);
    }
    state.SetItemsProcessed(state.iterations());
    state.SetLabel(buildings ? "3 buildings (diffraction)" : "terrain only");
}
BENCHMARK(BM_CnossosPath_200m)->Arg(0)->Arg(1);

// The allocating convenience form, for the ratio.
void BM_CnossosPath_200m_Allocating(benchmark::State& state) {
    const bool buildings = state.range(0) != 0;
    std::vector<PathProfile> profiles;
    for (std::uint64_t k = 0; k < 64; ++k) profiles.push_back(typical_profile(buildings, k + 1));
    std::size_t i = 0;
    for (auto _ : state) {
        const PathTerms terms = cnossos_path(profiles[i++ & 63], kAlpha, 0.5);
        benchmark::DoNotOptimize(terms.attenuation_db);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CnossosPath_200m_Allocating)->Arg(0)->Arg(1);

// 2,000 rectangular buildings (8-20 m sides, 6-20 m high) scattered over 2 km x 2 km.
FacadeIndex town(std::vector<LateralObstacle>* footprints) {
    SplitMix64 rng{7};
    FacadeIndex index(50.0);
    Bands alpha{};
    alpha.fill(0.1);
    for (std::int64_t b = 0; b < 2000; ++b) {
        const double x = 2000.0 * rng.unit(), y = 2000.0 * rng.unit();
        const double w = 8.0 + 12.0 * rng.unit(), d = 8.0 + 12.0 * rng.unit(), h = 6.0 + 14.0 * rng.unit();
        const std::vector<Point2> ring{{x, y}, {x + w, y}, {x + w, y + d}, {x, y + d}, {x, y}};
        index.add_building(ring, 0.0, h, alpha, b);
        if (footprints) footprints->push_back({ring, h});
    }
    index.finish();
    return index;
}

// S-R pairs of 50-200 m in the middle of the town; receivers 4 m, sources 0.05 m above flat ground.
std::vector<std::pair<Point2, Point2>> pairs() {
    SplitMix64 rng{11};
    std::vector<std::pair<Point2, Point2>> out;
    for (int k = 0; k < 256; ++k) {
        const Point2 s{500.0 + 1000.0 * rng.unit(), 500.0 + 1000.0 * rng.unit()};
        const double d = 50.0 + 150.0 * rng.unit(), a = 2.0 * M_PI * rng.unit();
        out.push_back({s, {s.x + d * std::cos(a), s.y + d * std::sin(a)}});
    }
    return out;
}

// First-order reflection search; range(0) = the longest unfolded path searched (m).
void BM_FindReflections_Order1(benchmark::State& state) {
    const FacadeIndex index = town(nullptr);
    const auto sr = pairs();
    ReflectionOptions opt;
    opt.max_order = 1;
    opt.max_path_length_m = static_cast<double>(state.range(0));
    ReflectionWorkspace work;
    std::vector<ReflectionPath> paths;
    std::size_t i = 0, found = 0;
    for (auto _ : state) {
        const auto& [s, r] = sr[i++ & 255];
        find_reflections(index, s, 0.05, r, 4.0, opt, work, paths);
        found += paths.size();
        benchmark::DoNotOptimize(paths.data());
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["paths_per_call"] = static_cast<double>(found) / static_cast<double>(state.iterations());
    state.counters["facades"] = static_cast<double>(index.facades().size());
}
BENCHMARK(BM_FindReflections_Order1)->Arg(250)->Arg(500);

// The same first-order search prepared once per receiver (ReceiverReflections), as in a receiver loop over
// many sources: 256 sources 50-200 m from each receiver; the preparation is timed too, once per receiver.
void BM_ReceiverReflections_Order1(benchmark::State& state) {
    const FacadeIndex index = town(nullptr);
    const auto sr = pairs();
    ReflectionOptions opt;
    opt.max_order = 1;
    opt.max_path_length_m = static_cast<double>(state.range(0));
    ReceiverReflections prepared;
    std::vector<ReflectionPath> paths;
    std::size_t i = 0, found = 0;
    for (auto _ : state) {
        const Point2& r = sr[(i >> 8) & 255].second;
        if ((i & 255) == 0) prepared.prepare(index, r, 4.0, opt.max_path_length_m, opt);
        // The sources sit where the 256 pairs put them relative to their receivers (50-200 m away).
        const auto& [s0, r0] = sr[i++ & 255];
        const Point2 s{r.x + s0.x - r0.x, r.y + s0.y - r0.y};
        prepared.paths_from(s, 0.05, paths);
        found += paths.size();
        benchmark::DoNotOptimize(paths.data());
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["paths_per_call"] = static_cast<double>(found) / static_cast<double>(state.iterations());
    state.counters["kept_facades"] = static_cast<double>(prepared.facade_count());
}
BENCHMARK(BM_ReceiverReflections_Order1)->Arg(250)->Arg(500);

void BM_FindReflections_Order2(benchmark::State& state) {
    const FacadeIndex index = town(nullptr);
    const auto sr = pairs();
    ReflectionOptions opt;
    opt.max_order = 2;
    opt.max_path_length_m = 250.0;
    ReflectionWorkspace work;
    std::vector<ReflectionPath> paths;
    std::size_t i = 0, found = 0;
    for (auto _ : state) {
        const auto& [s, r] = sr[i++ & 255];
        find_reflections(index, s, 0.05, r, 4.0, opt, work, paths);
        found += paths.size();
        benchmark::DoNotOptimize(paths.data());
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["paths_per_call"] = static_cast<double>(found) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_FindReflections_Order2);

// Lateral paths on the same town: the footprints within 60 m of the S-R midpoint are handed over, as a
// caller with its own index would.
void BM_LateralPaths(benchmark::State& state) {
    std::vector<LateralObstacle> all;
    (void)town(&all);
    const auto sr = pairs();
    std::vector<std::vector<LateralObstacle>> near(sr.size());
    for (std::size_t k = 0; k < sr.size(); ++k) {
        const auto& [s, r] = sr[k];
        const double mx = (s.x + r.x) / 2.0, my = (s.y + r.y) / 2.0;
        const double reach = std::hypot(r.x - s.x, r.y - s.y) / 2.0 + 20.0;
        for (const auto& o : all) {
            if (std::hypot(o.ring[0].x - mx, o.ring[0].y - my) < reach) near[k].push_back(o);
        }
    }
    LateralWorkspace work;
    std::vector<LateralPath> paths;
    std::size_t i = 0, found = 0;
    for (auto _ : state) {
        const std::size_t k = i++ & 255;
        lateral_paths(near[k], sr[k].first, 0.05, sr[k].second, 4.0, work, paths);
        found += paths.size();
        benchmark::DoNotOptimize(paths.data());
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["paths_per_call"] = static_cast<double>(found) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_LateralPaths);

}  // namespace
