// SPDX-License-Identifier: GPL-3.0-or-later
#include <cmath>

#include <gtest/gtest.h>

#include "areatwin/engine/reducers.hpp"
#include "support/synthetic.hpp"

namespace areatwin {
namespace {

TEST(Reducers, PercentileInterpolatesLikeNumpyLinear) {
    // numpy.percentile([1, 2, 3, 4], [10, 50, 90]) = [1.3, 2.5, 3.7]
    EXPECT_NEAR(percentile({4, 1, 3, 2}, 0.10), 1.3, 1e-6);
    EXPECT_NEAR(percentile({4, 1, 3, 2}, 0.50), 2.5, 1e-6);
    EXPECT_NEAR(percentile({4, 1, 3, 2}, 0.90), 3.7, 1e-6);
    EXPECT_DOUBLE_EQ(percentile({7}, 0.9), 7.0);
}

TEST(Reducers, HandComputedAreaStatistics) {
    // Two areas on a 4 x 2 grid of 10 m cells. Area 0: values 1, 2, 3, NaN with residents 10, 0, 30, 5.
    // Area 1: values 50, 60, 70, 80 with residents 1 each.
    const auto grid = test::make_grid(4, 2);
    Raster values(4, 2), areas(4, 2), residents(4, 2);
    const float v[8] = {1, 2, 3, NAN, 50, 60, 70, 80};
    const float a[8] = {0, 0, 0, 0, 1, 1, 1, 1};
    const float p[8] = {10, 0, 30, 5, 1, 1, 1, 1};
    for (int i = 0; i < 8; ++i) {
        values.values()[i] = v[i];
        areas.values()[i] = a[i];
        residents.values()[i] = p[i];
    }
    const auto r = reduce_by_area(grid, values, areas, &residents, 2, {2.5, 65.0});
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].cells, 3);
    EXPECT_DOUBLE_EQ(r[0].area_m2, 300.0);
    EXPECT_DOUBLE_EQ(r[0].area_nodata_m2, 100.0);
    EXPECT_DOUBLE_EQ(*r[0].mean, 2.0);
    EXPECT_DOUBLE_EQ(*r[0].min, 1.0);
    EXPECT_DOUBLE_EQ(*r[0].max, 3.0);
    EXPECT_DOUBLE_EQ(r[0].residents, 40.0);                // the 5 residents in the NaN cell are not counted
    EXPECT_DOUBLE_EQ(*r[0].mean_pop_weighted, 2.5);        // (1*10 + 3*30) / 40
    EXPECT_DOUBLE_EQ(r[0].residents_above[0], 30.0);       // value 3 > 2.5
    EXPECT_DOUBLE_EQ(*r[0].share_residents_above[0], 0.75);
    EXPECT_DOUBLE_EQ(*r[0].share_residents_above[1], 0.0);
    EXPECT_NEAR(*r[1].p50, 65.0, 1e-9);
    EXPECT_NEAR(*r[1].p10, 53.0, 1e-5);                    // 50 + 0.3 * 10
    EXPECT_DOUBLE_EQ(*r[1].share_residents_above[1], 0.5); // 70 and 80 > 65
}

TEST(Reducers, EmptyAreaHasNoStatisticsButCountsArea) {
    const auto grid = test::make_grid(2, 1);
    Raster values(2, 1), areas(2, 1);
    areas.at(0, 0) = 0;
    areas.at(1, 0) = Raster::nodata;
    const auto r = reduce_by_area(grid, values, areas, nullptr, 2, {});
    EXPECT_EQ(r[0].cells, 0);
    EXPECT_DOUBLE_EQ(r[0].area_nodata_m2, 100.0);
    EXPECT_FALSE(r[0].mean.has_value());
    EXPECT_FALSE(r[0].mean_pop_weighted.has_value());
    EXPECT_EQ(r[1].cells, 0);
    EXPECT_DOUBLE_EQ(r[1].area_nodata_m2, 0.0);
}

TEST(Reducers, MergingPartialsEqualsOnePass) {
    AreaAccumulator whole({0.5}), first({0.5}), second({0.5});
    for (int i = 0; i < 100; ++i) {
        const double v = std::sin(i * 0.37);
        whole.add(v, 25.0, i % 3);
        (i < 40 ? first : second).add(v, 25.0, i % 3);
    }
    first.merge(second);
    const auto a = whole.result();
    const auto b = first.result();
    EXPECT_EQ(a.cells, b.cells);
    // Sums split at another place round differently (that is why reduce_by_area fixes its blocks),
    // so only agreement to rounding is expected here; order statistics are exact.
    EXPECT_NEAR(*a.mean, *b.mean, 1e-15);
    EXPECT_EQ(*a.p90, *b.p90);
    EXPECT_NEAR(*a.mean_pop_weighted, *b.mean_pop_weighted, 1e-15);
    EXPECT_EQ(a.residents_above, b.residents_above);
}

TEST(Reducers, ResultIsBitwiseTheSameForAnyThreadCount) {
    const auto grid = test::make_grid(333, 517);
    const auto values = test::random_raster(grid, 3, -10.0f, 90.0f);
    auto areas = test::random_raster(grid, 4, 0.0f, 6.99f);
    for (auto& a : areas.values()) a = std::floor(a);
    const auto residents = test::random_raster(grid, 5, 0.0f, 4.0f);
    const auto one = reduce_by_area(grid, values, areas, &residents, 7, {20.0, 55.0}, 1);
    const auto two = reduce_by_area(grid, values, areas, &residents, 7, {20.0, 55.0}, 2);
    for (std::size_t i = 0; i < one.size(); ++i) {
        EXPECT_EQ(*one[i].mean, *two[i].mean);
        EXPECT_EQ(*one[i].mean_pop_weighted, *two[i].mean_pop_weighted);
        EXPECT_EQ(one[i].residents_above, two[i].residents_above);
        EXPECT_EQ(*one[i].p10, *two[i].p10);
    }
}

}  // namespace
}  // namespace areatwin
