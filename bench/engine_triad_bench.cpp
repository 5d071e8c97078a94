// SPDX-License-Identifier: GPL-3.0-or-later
// The memory-bandwidth ceiling for a grid pass: a STREAM-like triad a[i] = b[i] + s * c[i] over
// float rasters of the sizes the indicators run on. An indicator that reads and writes each cell
// once cannot beat it; green.share is reported as a fraction of it (docs/performance.md).
#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>

namespace {

struct TriadArrays {
    std::vector<float> a;
    std::vector<float> b;
    std::vector<float> c;
    explicit TriadArrays(std::size_t n) : a(n, 0.0f), b(n), c(n) {
        // Non-constant inputs, and every page touched before timing starts.
        for (std::size_t i = 0; i < n; ++i) {
            b[i] = static_cast<float>(i % 1021) * 0.001f;
            c[i] = static_cast<float>(i % 997) * 0.002f;
        }
    }
};

void triad(float* a, const float* b, const float* c, float s, std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) a[i] = b[i] + s * c[i];
}

// Bytes counted are STREAM's: 3 floats per cell (2 reads, 1 write). With write-allocate caches the
// write also reads the line first, so the memory bus carries 16 bytes per cell: real traffic is 4/3
// of the reported rate.
void set_counters(benchmark::State& state, std::int64_t cells) {
    state.SetItemsProcessed(state.iterations() * cells);
    state.SetBytesProcessed(state.iterations() * cells * 3 * static_cast<std::int64_t>(sizeof(float)));
}

// range(0): cells; range(1): threads.
void BM_Triad(benchmark::State& state) {
    const auto cells = static_cast<std::size_t>(state.range(0));
    const int threads = static_cast<int>(state.range(1));
    TriadArrays arrays(cells);
    const float s = 3.0f;
    tbb::task_arena arena(threads);
    for (auto _ : state) {
        if (threads == 1) {
            triad(arrays.a.data(), arrays.b.data(), arrays.c.data(), s, 0, cells);
        } else {
            arena.execute([&] {
                tbb::parallel_for(tbb::blocked_range<std::size_t>(0, cells, 1 << 16),
                                  [&](const tbb::blocked_range<std::size_t>& r) {
                                      triad(arrays.a.data(), arrays.b.data(), arrays.c.data(), s, r.begin(), r.end());
                                  },
                                  tbb::static_partitioner());
            });
        }
        benchmark::DoNotOptimize(arrays.a.data());
        benchmark::ClobberMemory();
    }
    set_counters(state, static_cast<std::int64_t>(cells));
}
// 1000^2, 2000^2 and 4000^2 cells: the green.share grid sizes; 1 thread and both cores.
BENCHMARK(BM_Triad)
    ->ArgsProduct({{1'000'000, 4'000'000, 16'000'000}, {1, 2}})
    ->ArgNames({"cells", "threads"})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
