// SPDX-License-Identifier: GPL-3.0-or-later
// air.traffic over 2 km x 2 km at 5 m (160,000 receptors) with 3,000 road segments and a 36-sector x
// 3-speed x 3-stability climatology (issue 4), against the plain reference implementation.
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench_random.hpp"
#include "air/air_kernels.hpp"
#include "air/air_traffic.hpp"
#include "areatwin/engine/executor.hpp"
#include "areatwin/engine/indicator.hpp"
#include "areatwin/engine/layer_stack.hpp"
#include "areatwin/engine/roles.hpp"
#include "areatwin/indicators/all.hpp"

namespace {

using namespace areatwin;
using namespace areatwin::indicators::air;

using SplitMix64 = areatwin::bench::SplitMix64<double>;

constexpr double kX0 = 150000.0;
constexpr double kY0 = 470000.0;
constexpr double kSide = 2000.0;

// 30 east-west and 30 north-south streets with a little wiggle, each cut into 50 segments of 40 m
// (3,000 segments); every fourth street an SRM1 street canyon.
std::shared_ptr<FeatureSet> road_network() {
    auto set = std::make_shared<FeatureSet>();
    set->role = "roads";
    SplitMix64 rng{42};
    for (int k = 0; k < 60; ++k) {
        Feature f;
        f.id = k + 1;
        f.source = "bench";
        f.geometry.kind = Geometry::Kind::Line;
        std::vector<Point2> line;
        const double offset = (k % 30 + 0.5) * kSide / 30.0 + 20.0 * (rng.unit() - 0.5);
        for (int i = 0; i <= 50; ++i) {
            const double along = i * kSide / 50.0;
            const double across = offset + 3.0 * std::sin(i * 0.7 + k);
            line.push_back(k < 30 ? Point2{kX0 + along, kY0 + across} : Point2{kX0 + across, kY0 + along});
        }
        f.geometry.lines.push_back(std::move(line));
        const double light = 200.0 + 1800.0 * rng.unit();
        for (const auto& period : traffic_periods()) {
            const double share = period == "day" ? 1.0 : (period == "evening" ? 0.6 : 0.2);
            f.attributes["q_cat1_" + period + "_veh_per_h"] = light * share;
            f.attributes["q_cat2_" + period + "_veh_per_h"] = 0.04 * light * share;
            f.attributes["q_cat3_" + period + "_veh_per_h"] = 0.05 * light * share;
        }
        f.attributes["street_type"] = std::string(k % 4 == 0 ? "canyon" : "open");
        set->features.push_back(std::move(f));
    }
    return set;
}

// A synthetic climatology (not a real one): 36 sectors with a south-west maximum, speeds 2 / 4.5 / 8 m/s,
// classes B / D / F, given to R-LINE as Obukhov lengths -30 m / neutral / +30 m.
std::shared_ptr<FeatureSet> climatology() {
    auto set = std::make_shared<FeatureSet>();
    set->role = "meteo";
    const double speeds[3] = {2.0, 4.5, 8.0};
    const double speed_share[3] = {0.3, 0.5, 0.2};
    const char* classes[3] = {"B", "D", "F"};
    const double lengths[3] = {-30.0, 0.0, 30.0};
    const double class_share[3] = {0.15, 0.6, 0.25};
    std::int64_t id = 0;
    for (int s = 0; s < 36; ++s) {
        const double dir = s * 10.0;
        const double sector = (1.0 + 0.8 * std::cos((dir - 225.0) * M_PI / 180.0)) / 36.0;
        for (int v = 0; v < 3; ++v) {
            for (int c = 0; c < 3; ++c) {
                Feature f;
                f.id = ++id;
                f.attributes["direction_deg"] = dir;
                f.attributes["speed_m_s"] = speeds[v];
                f.attributes["stability"] = std::string(classes[c]);
                f.attributes["obukhov_length_m"] = lengths[c];
                f.attributes["frequency"] = sector * speed_share[v] * class_share[c];
                set->features.push_back(std::move(f));
            }
        }
    }
    return set;
}

const LayerStack& bench_stack() {
    static const LayerStack stack = [] {
        GridSpec grid;
        grid.origin_x = kX0;
        grid.origin_y = kY0 + kSide;
        grid.cell_size_m = 5.0;
        grid.cols = 400;
        grid.rows = 400;
        LayerStack s(grid);
        s.set_features("roads", road_network());
        s.set_features("meteo", climatology());
        s.set_raster(std::string(layer::building_fraction), std::make_shared<const Raster>(400, 400, 0.0f));
        return s;
    }();
    return stack;
}

std::unique_ptr<IndicatorModel> bench_model(double cutoff_m, double step_deg, const char* dispersion = "rline") {
    return indicators::builtin_registry().get("air.traffic").configure(
        {{"meteorology", {std::string("table"), ""}},
         {"dispersion", {std::string(dispersion), ""}},
         {"cutoff_m", {cutoff_m, ""}},
         {"integration_step_deg", {step_deg, ""}},
         {"pollutants", {std::vector<std::string>{"no2", "pm10"}, ""}}});
}

// The optimised model over the whole grid (2 threads): climatology kernel, cut-off, bucket index.
void BM_AirTraffic_Grid160k(benchmark::State& state) {
    const auto& stack = bench_stack();
    const auto model = bench_model(static_cast<double>(state.range(0)), 1.0);
    for (auto _ : state) {
        auto out = run_indicator(*model, stack, {2, 256, {}});
        benchmark::DoNotOptimize(out);
    }
    state.SetItemsProcessed(state.iterations() * stack.grid().cell_count());
    state.counters["receptors_per_s"] =
        benchmark::Counter(static_cast<double>(stack.grid().cell_count()), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_AirTraffic_Grid160k)->Arg(500)->Arg(1000)->Arg(2000)->Unit(benchmark::kSecond)->Iterations(1);

// The Gaussian screening option on the same grid (default cut-off).
void BM_AirTraffic_Grid160kGaussian(benchmark::State& state) {
    const auto& stack = bench_stack();
    const auto model = bench_model(2000.0, 1.0, "gaussian");
    for (auto _ : state) {
        auto out = run_indicator(*model, stack, {2, 256, {}});
        benchmark::DoNotOptimize(out);
    }
    state.counters["receptors_per_s"] =
        benchmark::Counter(static_cast<double>(stack.grid().cell_count()), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_AirTraffic_Grid160kGaussian)->Unit(benchmark::kSecond)->Iterations(1);

// Building the R-LINE climatology kernel alone (9 plume tables for the 36 x 3 x 3 table, 2000 m).
void BM_AirTraffic_RlineKernelBuild(benchmark::State& state) {
    const auto met = expand_to_direction_bins(
        frequency_rows_from_features(bench_stack().features("meteo"), Dispersion::Rline, MetCondition{}));
    for (auto _ : state) {
        PlumeSetup setup;
        setup.dispersion = Dispersion::Rline;
        setup.sigma_z0_m = 1.8;
        const ClimateKernel kernel(setup, met, 2000.0);
        benchmark::DoNotOptimize(kernel.table_bytes());
    }
    state.counters["conditions"] = static_cast<double>(met.size());
}
BENCHMARK(BM_AirTraffic_RlineKernelBuild)->Unit(benchmark::kSecond)->Iterations(1);

// Receptors for the reference comparison: a diagonal through the grid, cell centres.
std::vector<Point2> sample_receptors() {
    std::vector<Point2> out;
    const int n = 3;
    for (int i = 0; i < n; ++i) {
        const double t = (i + 0.5) / n;
        out.push_back({kX0 + 2.5 + 5.0 * std::floor(t * 399.0), kY0 + kSide - 2.5 - 5.0 * std::floor((0.13 + 0.74 * t) * 399.0)});
    }
    return out;
}

struct LineSegment {
    Point2 a;
    Point2 b;
    double q_g_per_m_s;
};
// The line-source (street_type open) segments with their NOx emission, as the model derives them with the
// default factors (Mobiliteitsscan 2021 urban normal: 0.272 g/km light, 4.532 g/km trucks).
std::vector<LineSegment> line_segments() {
    std::vector<LineSegment> out;
    for (const auto& f : bench_stack().features("roads").features) {
        if (f.text("street_type") != std::string("open")) continue;
        const double q = (annual_mean_flow_veh_per_h(f, "cat1") * 0.272 +
                          (annual_mean_flow_veh_per_h(f, "cat2") + annual_mean_flow_veh_per_h(f, "cat3")) * 4.532) /
                         3.6e6;
        const auto& line = f.geometry.lines.front();
        for (std::size_t j = 1; j < line.size(); ++j) out.push_back({line[j - 1], line[j], q});
    }
    return out;
}

PlumeSetup bench_setup() {
    PlumeSetup setup;
    setup.dispersion = Dispersion::Rline;  // the model's default
    setup.sigma_z0_m = 1.8;                // the model's default
    return setup;
}

std::vector<MetCondition> bench_met() {
    return expand_to_direction_bins(frequency_rows_from_features(bench_stack().features("meteo"), Dispersion::Rline, MetCondition{}));
}

std::vector<double>& reference_values() {
    static std::vector<double> values;
    return values;
}

// The plain reference: every expanded condition's R-LINE point kernel summed directly (no climatology
// kernel), every line segment (no cut-off), 0.5 degree steps; NOx increments at the sample receptors.
void BM_AirTraffic_ReferencePerReceptor(benchmark::State& state) {
    const auto met = bench_met();
    const auto segments = line_segments();
    const auto receptors = sample_receptors();
    const auto setup = bench_setup();
    for (auto _ : state) {
        reference_values().clear();
        for (const auto& p : receptors) {
            double sum = 0.0;
            for (const auto& s : segments) sum += line_increment_reference_ug_m3(setup, met, s.a, s.b, p, s.q_g_per_m_s, 0.5);
            reference_values().push_back(sum);
        }
        benchmark::DoNotOptimize(reference_values().data());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(receptors.size()));
    state.counters["conditions"] = static_cast<double>(met.size());
}
BENCHMARK(BM_AirTraffic_ReferencePerReceptor)->Unit(benchmark::kSecond)->Iterations(1);

// The optimised path at the same receptors (climatology kernel, cut-off, 1 degree steps) and its error
// against the reference: counters mean and max relative error of the line-source (R-LINE) NOx increment.
void BM_AirTraffic_ErrorVsReference(benchmark::State& state) {
    const double cutoff = static_cast<double>(state.range(0));
    const double step = static_cast<double>(state.range(1)) / 10.0;
    const auto met = bench_met();
    const auto segments = line_segments();
    const auto receptors = sample_receptors();
    std::vector<double> fast(receptors.size());
    for (auto _ : state) {
        const ClimateKernel kernel(bench_setup(), met, cutoff);
        for (std::size_t i = 0; i < receptors.size(); ++i) {
            double sum = 0.0;
            for (const auto& s : segments) {
                if (distance_to_segment_m(s.a, s.b, receptors[i]) > cutoff) continue;
                sum += line_increment_fast_ug_m3(kernel, s.a, s.b, receptors[i], s.q_g_per_m_s, step);
            }
            fast[i] = sum;
        }
    }
    const auto& ref = reference_values();
    if (ref.size() != receptors.size()) {
        state.SkipWithError("run BM_AirTraffic_ReferencePerReceptor first");
        return;
    }
    double max_rel = 0.0, sum_rel = 0.0;
    for (std::size_t i = 0; i < ref.size(); ++i) {
        const double rel = std::abs(fast[i] - ref[i]) / ref[i];
        max_rel = std::max(max_rel, rel);
        sum_rel += rel;
    }
    state.counters["mean_rel_error"] = sum_rel / static_cast<double>(ref.size());
    state.counters["max_rel_error"] = max_rel;
    state.counters["nox_ref_ug_m3_first"] = ref.front();
}
BENCHMARK(BM_AirTraffic_ErrorVsReference)
    ->Args({250, 10})->Args({500, 10})->Args({1000, 10})->Args({2000, 10})->Args({500, 5})->Args({500, 20})
    ->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
