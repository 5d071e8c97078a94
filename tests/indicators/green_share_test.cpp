// SPDX-License-Identifier: GPL-3.0-or-later
#include <cmath>
#include <memory>
#include <random>
#include <tuple>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/executor.hpp"
#include "areatwin/engine/roles.hpp"
#include "areatwin/indicators/all.hpp"
#include "green/green_share.hpp"
#include "support/synthetic.hpp"

namespace areatwin {
namespace {

using indicators::green::make_disc;

std::unique_ptr<IndicatorModel> share_model(std::vector<double> radii, std::string nodata_mode = "exclude") {
    return indicators::builtin_registry().get("green.share").configure(
        {{"radius_m", {std::move(radii), ""}}, {"nodata_mode", {std::move(nodata_mode), ""}}});
}

LayerStack grass_stack(const GridSpec& grid, const Raster& grass) {
    LayerStack s(grid);
    s.set_raster(layer::landcover_fraction("grass"), std::make_shared<const Raster>(grass));
    s.set_raster(layer::landcover_fraction("paved"), std::make_shared<const Raster>(test::constant_raster(grid, 0.0f)));
    return s;
}

TEST(GreenDisc, CellCountsMatchTheGaussCircleProblem) {
    // Lattice points with x^2 + y^2 <= n^2 (OEIS A000328): n = 1, 2, 3, 5, 10 -> 5, 13, 29, 81, 317.
    EXPECT_EQ(make_disc(10.0, 10.0).cell_count(), 5);
    EXPECT_EQ(make_disc(20.0, 10.0).cell_count(), 13);
    EXPECT_EQ(make_disc(30.0, 10.0).cell_count(), 29);
    EXPECT_EQ(make_disc(50.0, 10.0).cell_count(), 81);
    EXPECT_EQ(make_disc(100.0, 10.0).cell_count(), 317);
    EXPECT_EQ(make_disc(300.0, 30.0).cell_count(), 317);  // only r / cell matters
    // The rectangles cover exactly the disc rows.
    const auto d = make_disc(300.0, 10.0);
    std::int64_t rows = 0;
    for (const auto& r : d.rectangles) rows += r.row_end - r.row_begin;
    EXPECT_EQ(rows, 2 * d.radius_cells + 1);
    EXPECT_LT(d.rectangles.size(), d.half_widths.size());
}

TEST(GreenShare, AllGreenGivesHundredAndAllGreyGivesZero) {
    // green-method.md section 10, property 7.
    const auto grid = test::make_grid(80, 70);
    for (float value : {1.0f, 0.0f}) {
        const auto out = run_indicator(*share_model({100, 300}), grass_stack(grid, test::constant_raster(grid, value)),
                                       {2, 32, {}});
        ASSERT_EQ(out.size(), 2u);
        for (const auto& r : out) {
            for (float v : r.values()) ASSERT_FLOAT_EQ(v, value * 100.0f);
        }
    }
}

TEST(GreenShare, HalfPlaneGivesTheHandCountedShare) {
    // Columns 0..49 green, 50..99 paved, radius 10 cells (317 disc cells, 21 in the centre column).
    // At column 49 the green part of the disc is every cell with dx <= 0: (317 - 21) / 2 + 21 = 169,
    // share 169 / 317 = 53.312 %. At column 50: dx <= -1: (317 - 21) / 2 = 148, share 46.688 %.
    const auto grid = test::make_grid(100, 60);
    Raster grass(grid.cols, grid.rows, 0.0f);
    for (std::int64_t r = 0; r < grid.rows; ++r) {
        for (std::int64_t c = 0; c < 50; ++c) grass.at(c, r) = 1.0f;
    }
    const auto out = run_indicator(*share_model({100}), grass_stack(grid, grass), {2, 16, {}});
    EXPECT_NEAR(out[0].at(49, 30), 100.0 * 169.0 / 317.0, 1e-4);
    EXPECT_NEAR(out[0].at(50, 30), 100.0 * 148.0 / 317.0, 1e-4);
    EXPECT_FLOAT_EQ(out[0].at(20, 30), 100.0f);
    EXPECT_FLOAT_EQ(out[0].at(80, 30), 0.0f);
}

TEST(GreenShare, SummedAreaTableMatchesThePlainReference) {
    const auto grid = test::make_grid(90, 75, 5.0);
    auto grass = test::random_raster(grid, 7, 0.0f, 1.0f);
    test::add_nodata(grass, 8, 0.03);
    for (const std::string mode : {"exclude", "zero"}) {
        SCOPED_TRACE(mode);
        const auto stack = grass_stack(grid, grass);
        const auto out = run_indicator(*share_model({40, 130}, mode), stack, {2, 23, {}});
        indicators::green::GreenInputs inputs{{&stack.raster("landcover.grass")}, nullptr};
        for (std::size_t k = 0; k < 2; ++k) {
            const auto disc = make_disc(k == 0 ? 40.0 : 130.0, grid.cell_size_m);
            for (std::int64_t row = 0; row < grid.rows; row += 3) {
                for (std::int64_t col = 0; col < grid.cols; col += 2) {
                    const auto sum = indicators::green::green_disc_sum_reference(grid, inputs, disc, col, row, mode == "zero");
                    const float v = out[k].at(col, row);
                    if (std::isnan(grass.at(col, row))) {
                        EXPECT_TRUE(std::isnan(v));
                        continue;
                    }
                    // Fractions are summed in units of 2^-20 of a cell: at most 0.5 * 2^-20 per cell off.
                    EXPECT_NEAR(v, 100.0 * sum.green_cells / static_cast<double>(sum.counted_cells), 1e-4)
                        << col << "," << row;
                }
            }
        }
    }
}

TEST(GreenShare, TreeCrownsCountOverNonGreenCover) {
    // Half grass, plus crowns over half of each cell: 0.5 + 0.5 * 0.5 = 0.75 green per cell.
    const auto grid = test::make_grid(30, 30);
    auto stack = grass_stack(grid, test::constant_raster(grid, 0.5f));
    stack.set_raster(std::string(layer::canopy_fraction), std::make_shared<const Raster>(test::constant_raster(grid, 0.5f)));
    const auto with = run_indicator(*share_model({50}), stack, {1, 64, {}});
    EXPECT_FLOAT_EQ(with[0].at(15, 15), 75.0f);
    const auto without = run_indicator(
        *indicators::builtin_registry().get("green.share").configure({{"include_tree_crowns", {std::string("no"), ""}}}),
        stack, {1, 64, {}});
    EXPECT_FLOAT_EQ(without[0].at(15, 15), 50.0f);
}

TEST(GreenShare, OutputsAreNamedPerRadiusWithUnits) {
    const auto model = share_model({100, 300});
    const auto outputs = model->outputs();
    ASSERT_EQ(outputs.size(), 2u);
    EXPECT_EQ(outputs[0].name, "green_share_r100");
    EXPECT_EQ(outputs[1].name, "green_share_r300");
    EXPECT_EQ(outputs[1].unit, "%");
    EXPECT_DOUBLE_EQ(model->halo_m(), 300.0);
}

TEST(GreenShare, WithoutLandCoverTheErrorSaysWhatToAdd) {
    const auto grid = test::make_grid(10, 10);
    LayerStack empty(grid);
    try {
        (void)run_indicator(*share_model({100}), empty, {1, 64, {}});
        FAIL();
    } catch (const DataError& e) {
        EXPECT_THAT(e.what(), ::testing::HasSubstr("landcover"));
    }
}

TEST(GreenShare, DiscFormulaReportsDiscretisation) {
    const auto f = indicators::builtin_registry().formula("green_disc");
    const auto r = f.evaluate(validate_parameters("green_disc", f.inputs,
                                                  {{"radius_m", {100.0, ""}}, {"cell_size_m", {10.0, ""}}}));
    EXPECT_DOUBLE_EQ(*r.values.at("cells"), 317.0);
    EXPECT_DOUBLE_EQ(*r.values.at("area_m2"), 31700.0);
    EXPECT_NEAR(*r.values.at("area_ratio"), 31700.0 / (M_PI * 10000.0), 1e-12);
    EXPECT_TRUE(r.warnings.empty());
}

// The disc-sum kernel (vectorised middle, clamped edges) against direct integer summation over the disc,
// exactly, on random integer windows at every cell including the window edges; and the cell count.
TEST(GreenShare, DiscSumKernelEqualsDirectIntegerSummation) {
    std::mt19937_64 rng(5);
    for (const auto& [rows, cols, radius] : std::vector<std::tuple<std::int64_t, std::int64_t, double>>{
             {23, 41, 4.0}, {40, 17, 7.5}, {9, 60, 12.0}, {35, 35, 1.0}, {12, 130, 25.0}}) {
        std::vector<std::int64_t> v(static_cast<std::size_t>(rows * cols));
        for (auto& x : v) x = static_cast<std::int64_t>(rng() % 1048577);
        const auto stride = cols + 1;
        std::vector<std::int64_t> sat(static_cast<std::size_t>(stride * (rows + 1)), 0);
        for (std::int64_t r = 0; r < rows; ++r) {
            std::int64_t run = 0;
            for (std::int64_t c = 0; c < cols; ++c) {
                run += v[static_cast<std::size_t>(r * cols + c)];
                sat[static_cast<std::size_t>((r + 1) * stride + c + 1)] = sat[static_cast<std::size_t>(r * stride + c + 1)] + run;
            }
        }
        const indicators::green::Disc disc = indicators::green::make_disc(radius, 1.0);
        for (std::int64_t r = 0; r < rows; ++r) {
            for (std::int64_t col0 : {std::int64_t{0}, std::int64_t{3}}) {
                const auto n = cols - col0;
                std::vector<std::int64_t> acc(static_cast<std::size_t>(n), 0);
                indicators::green::add_disc_sums(disc, sat.data(), rows, cols, r, col0, n, acc.data());
                std::vector<std::int64_t> plain(static_cast<std::size_t>(n), 0);
                indicators::green::add_disc_sums_plain(disc, sat.data(), rows, cols, r, col0, n, plain.data());
                ASSERT_EQ(acc, plain);
                std::vector<std::int64_t> counts(static_cast<std::size_t>(n), -1);
                indicators::green::disc_cells_in_window_row(disc, rows, cols, r, col0, n, counts.data());
                for (std::int64_t i = 0; i < n; ++i) {
                    std::int64_t direct = 0, cells = 0;
                    for (std::int64_t dy = -disc.radius_cells; dy <= disc.radius_cells; ++dy) {
                        const auto hw = disc.half_widths[static_cast<std::size_t>(dy + disc.radius_cells)];
                        for (std::int64_t dx = -hw; dx <= hw; ++dx) {
                            const auto rr = r + dy, cc = col0 + i + dx;
                            if (rr < 0 || rr >= rows || cc < 0 || cc >= cols) continue;
                            direct += v[static_cast<std::size_t>(rr * cols + cc)];
                            ++cells;
                        }
                    }
                    ASSERT_EQ(acc[static_cast<std::size_t>(i)], direct) << rows << "x" << cols << " r " << radius << " at " << r << "," << col0 + i;
                    ASSERT_EQ(indicators::green::disc_cells_in_window(disc, rows, cols, r, col0 + i), cells);
                    ASSERT_EQ(counts[static_cast<std::size_t>(i)], cells) << "row count at " << r << "," << col0 + i;
                }
            }
        }
    }
}

// The summed-area tables take each fraction in units of 2^-20 rounded as std::lround; the inline
// rounding must give the same integers, including the halves and values outside 0..1.
TEST(GreenShare, FractionUnitsRoundAsLround) {
    const double scale = 1048576.0;
    std::mt19937 rng(9);
    std::uniform_real_distribution<float> u(-0.1f, 1.1f);
    std::vector<float> values{0.0f, 1.0f, -0.0f, 0.5f, -0.5f, 1.0f / 3.0f};
    for (int k = 0; k < 4096; ++k) values.push_back(static_cast<float>((k + 0.5) / scale));   // exact halves
    for (int k = 0; k < 4096; ++k) values.push_back(static_cast<float>(-(k + 0.5) / scale));
    for (int k = 0; k < 200000; ++k) values.push_back(u(rng));
    for (const float g : values) {
        ASSERT_EQ(indicators::green::fraction_units(g, scale), std::lround(static_cast<double>(g) * scale)) << g;
    }
}

}  // namespace
}  // namespace areatwin
