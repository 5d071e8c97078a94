// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/grid.hpp"
#include "areatwin/engine/tiling.hpp"
#include "support/synthetic.hpp"

namespace areatwin {
namespace {

TEST(GridSpec, CoveringSnapsOutwardToWholeCells) {
    // Box 120003..120027 x 480001..480019 with 10 m cells: columns 120000..120030 (3), rows 480000..480020 (2).
    const auto g = GridSpec::covering({120003.0, 480001.0, 120027.0, 480019.0}, 10.0, "EPSG:28992");
    EXPECT_DOUBLE_EQ(g.origin_x, 120000.0);
    EXPECT_DOUBLE_EQ(g.origin_y, 480020.0);
    EXPECT_EQ(g.cols, 3);
    EXPECT_EQ(g.rows, 2);
    EXPECT_EQ(g.crs, "EPSG:28992");
}

TEST(GridSpec, CellCentresAndLookupAreInverse) {
    const auto g = test::make_grid(50, 40, 5.0, 1000.0, 2000.0);
    EXPECT_DOUBLE_EQ(g.cell_center_x(0), 1002.5);
    EXPECT_DOUBLE_EQ(g.cell_center_y(0), 1997.5);
    for (std::int64_t c : {0, 7, 49}) EXPECT_EQ(g.col_of(g.cell_center_x(c)), c);
    for (std::int64_t r : {0, 13, 39}) EXPECT_EQ(g.row_of(g.cell_center_y(r)), r);
    EXPECT_EQ(g.col_of(999.99), -1);
    EXPECT_FALSE(g.contains_cell(50, 0));
    const auto e = g.extent();
    EXPECT_DOUBLE_EQ(e.min_x, 1000.0);
    EXPECT_DOUBLE_EQ(e.max_x, 1250.0);
    EXPECT_DOUBLE_EQ(e.min_y, 1800.0);
    EXPECT_DOUBLE_EQ(e.max_y, 2000.0);
}

TEST(GridSpec, CoveringRejectsEmptyBoxAndBadCellSize) {
    EXPECT_THROW((void)GridSpec::covering({0, 0, 0, 10}, 10.0, "EPSG:28992"), ConfigError);
    EXPECT_THROW((void)GridSpec::covering({0, 0, 10, 10}, 0.0, "EPSG:28992"), ConfigError);
    EXPECT_THROW((void)GridSpec::covering({0, 0, 10, 10}, -1.0, "EPSG:28992"), ConfigError);
}

TEST(Tiling, TilesPartitionTheGridAndHalosAreClipped) {
    const auto g = test::make_grid(300, 170);
    const auto tiles = make_tiles(g, 128, 5);
    ASSERT_EQ(tiles.size(), 6u);  // ceil(300/128)=3 x ceil(170/128)=2
    std::int64_t covered = 0;
    for (const auto& t : tiles) covered += t.core.cell_count();
    EXPECT_EQ(covered, g.cell_count());
    EXPECT_EQ(tiles[0].halo, (Window{0, 0, 133, 133}));
    EXPECT_EQ(tiles[4].core, (Window{128, 128, 128, 42}));
    EXPECT_EQ(tiles[4].halo, (Window{123, 123, 138, 47}));
    EXPECT_EQ(tiles[5].core, (Window{256, 128, 44, 42}));
    EXPECT_EQ(halo_cells_for(g, 25.0), 3);
    EXPECT_EQ(halo_cells_for(g, 30.0), 3);
    EXPECT_THROW((void)make_tiles(g, 0, 0), ConfigError);
}

}  // namespace
}  // namespace areatwin
