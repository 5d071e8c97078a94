// SPDX-License-Identifier: GPL-3.0-or-later
// noise.cnossos on a generated town (issue 3): 2 km x 2 km at 5 m (160,000 grid receivers at 4 m), 3,000
// road segments with traffic, 2,700 buildings, 500 m maximum distance, diffraction over buildings. Reports wall
// time, receivers/s, peak memory (getrusage) and the error against the plain reference on sampled receivers.
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <vector>

#include <benchmark/benchmark.h>

#include "areatwin/engine/executor.hpp"
#include "areatwin/engine/indicator.hpp"
#include "areatwin/engine/layer_stack.hpp"
#include "areatwin/engine/rasterize.hpp"
#include "areatwin/engine/roles.hpp"
#include "areatwin/indicators/all.hpp"
#include "bench_random.hpp"
#include "noise/noise_cnossos.hpp"

namespace {

using namespace areatwin;
using SplitMix64 = areatwin::bench::SplitMix64<double>;

constexpr double kX0 = 150000.0;
constexpr double kY0 = 470000.0;
constexpr double kSide = 2000.0;
constexpr int kStreets = 30;  // per direction

double street_offset(int k) { return (k % kStreets + 0.5) * kSide / kStreets; }

// 30 east-west and 30 north-south streets with a little wiggle, each cut into 50 segments of 40 m (3,000
// segments), light flows 200-2000 veh/h in the day, 4 % medium and 5 % heavy vehicles, 30-50 km/h.
std::shared_ptr<FeatureSet> road_network(double flow_scale) {
    auto set = std::make_shared<FeatureSet>();
    set->role = "roads";
    SplitMix64 rng{42};
    for (int k = 0; k < 2 * kStreets; ++k) {
        Feature f;
        f.id = k + 1;
        f.source = "bench";
        f.geometry.kind = Geometry::Kind::Line;
        std::vector<Point2> line;
        const double offset = street_offset(k) + 6.0 * (rng.unit() - 0.5);
        for (int i = 0; i <= 50; ++i) {
            const double along = i * kSide / 50.0;
            const double across = offset + 2.0 * std::sin(i * 0.7 + k);
            line.push_back(k < kStreets ? Point2{kX0 + along, kY0 + across} : Point2{kX0 + across, kY0 + along});
        }
        f.geometry.lines.push_back(std::move(line));
        const double light = (200.0 + 1800.0 * rng.unit()) * flow_scale;
        for (const auto& period : traffic_periods()) {
            const double share = period == "day" ? 1.0 : (period == "evening" ? 0.6 : 0.15);
            f.attributes["q_cat1_" + period + "_veh_per_h"] = light * share;
            f.attributes["q_cat2_" + period + "_veh_per_h"] = 0.04 * light * share;
            f.attributes["q_cat3_" + period + "_veh_per_h"] = 0.05 * light * share;
        }
        const double v = k % 3 == 0 ? 50.0 : 30.0;
        for (const char* cat : {"cat1", "cat2", "cat3"}) f.attributes[std::string("v_") + cat + "_kmh"] = v;
        set->features.push_back(std::move(f));
    }
    return set;
}

// Three buildings per block between the streets (900 blocks, 2,700 buildings), 10-24 m x 8-16 m, 6-18 m high,
// at least 9 m from the street axes.
std::shared_ptr<FeatureSet> buildings() {
    auto set = std::make_shared<FeatureSet>();
    set->role = "buildings";
    SplitMix64 rng{7};
    const double block = kSide / kStreets;
    std::int64_t id = 0;
    for (int bx = 0; bx < kStreets; ++bx) {
        for (int by = 0; by < kStreets; ++by) {
            const double x0 = kX0 + street_offset(bx) + 9.0, y0 = kY0 + street_offset(by) + 9.0;
            const double span = block - 18.0;
            for (int k = 0; k < 3; ++k) {
                const double w = 10.0 + 14.0 * rng.unit(), h = 8.0 + 8.0 * rng.unit();
                const double cx = x0 + (k + 0.5) * span / 3.0, cy = y0 + span * (0.25 + 0.5 * rng.unit());
                const double ax = cx - std::min(w, span / 3.0) / 2.0, bxx = cx + std::min(w, span / 3.0) / 2.0;
                const double ay = std::max(y0, cy - h / 2.0), byy = std::min(y0 + span, cy + h / 2.0);
                Feature f;
                f.id = ++id;
                f.source = "bench";
                f.geometry.kind = Geometry::Kind::Polygon;
                f.geometry.polygons.push_back(Polygon{{Ring{{ax, ay}, {bxx, ay}, {bxx, byy}, {ax, byy}, {ax, ay}}}});
                f.attributes["height_m"] = 6.0 + 12.0 * rng.unit();
                f.attributes["dwellings"] = std::floor(2.0 + 20.0 * rng.unit());
                set->features.push_back(std::move(f));
            }
        }
    }
    return set;
}

GridSpec bench_grid() {
    GridSpec grid;
    grid.origin_x = kX0;
    grid.origin_y = kY0 + kSide;
    grid.cell_size_m = 5.0;
    grid.cols = 400;
    grid.rows = 400;
    return grid;
}

LayerStack make_stack(double flow_scale) {
    const GridSpec grid = bench_grid();
    LayerStack s(grid);
    s.set_features("roads", road_network(flow_scale));
    auto b = buildings();
    Raster height(grid.cols, grid.rows, 0.0f);
    for (const auto& f : b->features) burn_polygon(grid, f.geometry, static_cast<float>(*f.number("height_m")), height);
    s.set_features("buildings", b);
    s.set_raster(std::string(layer::building_height), std::make_shared<const Raster>(std::move(height)));
    s.set_raster(std::string(layer::dem), std::make_shared<const Raster>(grid.cols, grid.rows, 1.0f));  // flat town
    return s;
}

const LayerStack& bench_stack() {
    static const LayerStack stack = make_stack(1.0);
    return stack;
}

std::map<std::string, RawValue> bench_parameters() {
    std::map<std::string, RawValue> p{{"max_distance_m", {500.0, ""}}, {"ground_g", {0.3, ""}}};
    if (const char* extra = std::getenv("AREATWIN_NOISE_BENCH_CUTOFF_DB")) p["energy_cutoff_db"] = {std::atof(extra), ""};
    return p;
}

double cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

double peak_rss_mb() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_maxrss) / 1024.0;
}

// Receivers for the reference comparison: 200 cell centres from a fixed random sequence.
std::vector<std::pair<std::int64_t, std::int64_t>> sample_cells(std::size_t n) {
    SplitMix64 rng{99};
    std::vector<std::pair<std::int64_t, std::int64_t>> out;
    while (out.size() < n) {
        const auto c = static_cast<std::int64_t>(rng.unit() * 400), r = static_cast<std::int64_t>(rng.unit() * 400);
        if (bench_stack().raster(std::string(layer::building_height)).at(c, r) > 0.0f) continue;
        out.emplace_back(c, r);
    }
    return out;
}

std::vector<Raster>& map_result() {
    static std::vector<Raster> out;
    return out;
}

// One model for the map and the traffic-only scenario: the scenario reuses the map's propagation store.
const IndicatorModel& shared_model() {
    static const auto model = indicators::builtin_registry().get("noise.cnossos").configure(bench_parameters());
    return *model;
}

// The whole Lden/Lnight map on 2 threads.
void BM_Noise_Grid160k(benchmark::State& state) {
    const auto& stack = bench_stack();
    const auto& model = shared_model();
    const double cpu0 = cpu_seconds();
    for (auto _ : state) {
        map_result() = run_indicator(model, stack, {2, 64, {}});
        benchmark::DoNotOptimize(map_result());
    }
    // CPU seconds of every thread: on a loaded machine, cpu_s / 2 is the wall time on two free cores.
    state.counters["cpu_s"] = cpu_seconds() - cpu0;
    state.counters["receivers_per_s"] =
        benchmark::Counter(static_cast<double>(stack.grid().cell_count()), benchmark::Counter::kIsIterationInvariantRate);
    state.counters["peak_rss_mb"] = peak_rss_mb();
}
BENCHMARK(BM_Noise_Grid160k)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

// A traffic-only scenario after the map (1.3 x the flows, geometry unchanged): emission x stored transfer.
void BM_Noise_TrafficOnlyScenario(benchmark::State& state) {
    const auto& model = shared_model();
    if (map_result().empty()) map_result() = run_indicator(model, bench_stack(), {2, 64, {}});
    static const LayerStack scenario = [] {
        LayerStack s = bench_stack();
        s.set_features("roads", road_network(1.3));
        return s;
    }();
    const double cpu0 = cpu_seconds();
    const std::size_t reused0 = indicators::noise::noise_reused_cells(model);
    for (auto _ : state) {
        auto out = run_indicator(model, scenario, {2, 64, {}});
        benchmark::DoNotOptimize(out);
    }
    state.counters["cpu_s"] = cpu_seconds() - cpu0;
    state.counters["reused_cells"] = static_cast<double>(indicators::noise::noise_reused_cells(model) - reused0);
    state.counters["peak_rss_mb"] = peak_rss_mb();
}
BENCHMARK(BM_Noise_TrafficOnlyScenario)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

// A plan that changes geometry in one corner after the map: the 48 buildings of the 4 x 4 blocks in the
// south-west corner (about 270 m x 270 m) raised by 12 m. Cells beyond reach of the change (500 m plus the
// reflection search and two cell diagonals) take the map's propagation; the rest is computed.
void BM_Noise_GeometryChangeScenario(benchmark::State& state) {
    const auto& model = shared_model();
    if (map_result().empty()) map_result() = run_indicator(model, bench_stack(), {2, 64, {}});
    static const LayerStack scenario = [] {
        LayerStack s = bench_stack();
        auto b = std::make_shared<FeatureSet>(s.features("buildings"));
        const double corner = 4.0 * kSide / kStreets;
        for (auto& f : b->features) {
            const Box2 box = f.geometry.bounds();
            if (box.max_x < kX0 + corner && box.max_y < kY0 + corner) f.attributes["height_m"] = *f.number("height_m") + 12.0;
        }
        const GridSpec grid = bench_grid();
        Raster height(grid.cols, grid.rows, 0.0f);
        for (const auto& f : b->features) burn_polygon(grid, f.geometry, static_cast<float>(*f.number("height_m")), height);
        s.set_features("buildings", b);
        s.set_raster(std::string(layer::building_height), std::make_shared<const Raster>(std::move(height)));
        return s;
    }();
    const double cpu0 = cpu_seconds();
    const std::size_t lent0 = indicators::noise::noise_lent_cells(model);
    for (auto _ : state) {
        auto out = run_indicator(model, scenario, {2, 64, {}});
        benchmark::DoNotOptimize(out);
    }
    state.counters["cpu_s"] = cpu_seconds() - cpu0;
    state.counters["lent_cells"] = static_cast<double>(indicators::noise::noise_lent_cells(model) - lent0);
    state.counters["peak_rss_mb"] = peak_rss_mb();
}
BENCHMARK(BM_Noise_GeometryChangeScenario)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

// The error of the map against the plain reference (every source point, no preselection or cut-off) on
// 200 sampled receivers: counters share within 0.1 / 0.5 dB and max |delta| of Lden.
void BM_Noise_ErrorVsReference(benchmark::State& state) {
    const auto& stack = bench_stack();
    const auto model = indicators::builtin_registry().get("noise.cnossos").configure(bench_parameters());
    if (map_result().empty()) map_result() = run_indicator(*model, stack, {2, 64, {}});
    // The reference evaluates every source point: without the energy cut-off, whatever the map used.
    auto plain = bench_parameters();
    plain.erase("energy_cutoff_db");
    const auto reference = indicators::builtin_registry().get("noise.cnossos").configure(plain);
    const auto cells = sample_cells(200);
    std::vector<double> err;
    for (auto _ : state) {
        err.clear();
        for (const auto& [c, r] : cells) {
            const auto ref = indicators::noise::noise_levels_reference(*reference, stack, stack.grid().cell_center_x(c),
                                                                       stack.grid().cell_center_y(r));
            err.push_back(std::abs(static_cast<double>(map_result()[0].at(c, r)) - ref.lden_dba));
        }
    }
    std::sort(err.begin(), err.end());
    const auto share = [&](double tol) {
        return static_cast<double>(std::count_if(err.begin(), err.end(), [&](double e) { return e <= tol; })) /
               static_cast<double>(err.size());
    };
    state.counters["within_0.1dB"] = share(0.1);
    state.counters["within_0.5dB"] = share(0.5);
    state.counters["p99_dB"] = err[static_cast<std::size_t>(0.99 * static_cast<double>(err.size() - 1))];
    state.counters["max_dB"] = err.back();
    state.counters["ref_s_per_receiver"] =
        benchmark::Counter(static_cast<double>(cells.size()), benchmark::Counter::kIsIterationInvariantRate |
                                                                  benchmark::Counter::kInvert);
}
BENCHMARK(BM_Noise_ErrorVsReference)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

}  // namespace

namespace {

// The plain reference on 20 receivers: the cost per receiver without preselection.
void BM_Noise_ReferencePerReceiver(benchmark::State& state) {
    const auto& stack = bench_stack();
    const auto model = areatwin::indicators::builtin_registry().get("noise.cnossos").configure(bench_parameters());
    const auto cells = sample_cells(20);
    for (auto _ : state) {
        for (const auto& [c, r] : cells) {
            benchmark::DoNotOptimize(areatwin::indicators::noise::noise_levels_reference(
                *model, stack, stack.grid().cell_center_x(c), stack.grid().cell_center_y(r)));
        }
    }
    state.counters["s_per_receiver"] = benchmark::Counter(static_cast<double>(cells.size()),
                                                          benchmark::Counter::kIsIterationInvariantRate |
                                                              benchmark::Counter::kInvert);
}
BENCHMARK(BM_Noise_ReferencePerReceiver)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

}  // namespace
