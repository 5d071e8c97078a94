// SPDX-License-Identifier: GPL-3.0-or-later
#include <atomic>
#include <cmath>

#include <gtest/gtest.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/executor.hpp"
#include "areatwin/engine/memory.hpp"
#include "support/synthetic.hpp"

namespace areatwin {
namespace {

// A 3 x 3 mean filter: reads one cell of halo around each core cell.
class MeanFilter final : public IndicatorModel {
public:
    std::vector<std::string> inputs() const override { return {"x"}; }
    double halo_m() const override { return 10.0; }
    std::vector<OutputSpec> outputs() const override { return {{"mean3", "", "", {}, "viridis", 0, 1}}; }
    void compute(const TileContext& ctx, TileOutputs& out) const override {
        const auto& x = ctx.inputs.raster("x");
        for (auto r = ctx.tile.core.row0; r < ctx.tile.core.row_end(); ++r) {
            for (auto c = ctx.tile.core.col0; c < ctx.tile.core.col_end(); ++c) {
                double sum = 0;
                int n = 0;
                for (int dr = -1; dr <= 1; ++dr) {
                    for (int dc = -1; dc <= 1; ++dc) {
                        if (!ctx.grid.contains_cell(c + dc, r + dr)) continue;
                        EXPECT_GE(c + dc, ctx.tile.halo.col0);  // never reads beyond its halo
                        EXPECT_LT(c + dc, ctx.tile.halo.col_end());
                        sum += x.at(c + dc, r + dr);
                        ++n;
                    }
                }
                out.rasters[0]->at(c, r) = static_cast<float>(sum / n);
            }
        }
    }
    Explanation explain(const LayerStack&, double, double) const override { return {}; }
};

TEST(Executor, EveryCellIsWrittenOnceAndMatchesTheSerialFilter) {
    const auto grid = test::make_grid(97, 61);
    LayerStack stack(grid);
    stack.set_raster("x", std::make_shared<const Raster>(test::random_raster(grid, 1, 0.0f, 1.0f)));
    const auto one_tile = run_indicator(MeanFilter{}, stack, {1, 1000, {}});
    std::atomic<std::size_t> calls{0};
    const auto many = run_indicator(MeanFilter{}, stack, {2, 16, [&](std::size_t, std::size_t total) {
        ++calls;
        EXPECT_EQ(total, 28u);  // ceil(97/16)=7 x ceil(61/16)=4
    }});
    EXPECT_EQ(calls.load(), 28u);
    ASSERT_EQ(many.size(), 1u);
    EXPECT_TRUE(one_tile[0] == many[0]);
    for (float v : many[0].values()) EXPECT_FALSE(std::isnan(v));
    // Corner cell (0,0): mean of the 2 x 2 corner block.
    const auto& x = stack.raster("x");
    const double corner = (x.at(0, 0) + x.at(1, 0) + x.at(0, 1) + x.at(1, 1)) / 4.0;
    EXPECT_FLOAT_EQ(many[0].at(0, 0), static_cast<float>(corner));
}

TEST(Memory, BudgetRefusalNamesEstimateAndBudget) {
    MemoryEstimate e{{{"inputs", 3.0 * 1024 * 1024 * 1024}, {"outputs", 1024.0 * 1024 * 1024}}};
    EXPECT_NO_THROW(check_memory_budget(e, 8.0 * 1024 * 1024 * 1024));
    try {
        check_memory_budget(e, 2.0 * 1024 * 1024 * 1024);
        FAIL() << "expected ConfigError";
    } catch (const ConfigError& err) {
        const std::string msg = err.what();
        EXPECT_NE(msg.find("4.00 GiB"), std::string::npos) << msg;
        EXPECT_NE(msg.find("budget is 2.00 GiB"), std::string::npos) << msg;
        EXPECT_NE(msg.find("inputs 3.00 GiB"), std::string::npos) << msg;
    }
}

}  // namespace
}  // namespace areatwin
