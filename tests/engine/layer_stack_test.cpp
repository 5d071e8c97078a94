// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/layer_stack.hpp"
#include "support/synthetic.hpp"

namespace areatwin {
namespace {

TEST(LayerStack, CopiesShareLayersAndHashesTellChanges) {
    const auto grid = test::make_grid(20, 10);
    LayerStack base(grid);
    base.set_raster("a", std::make_shared<const Raster>(test::ramp_raster(grid, 0, 1, 100)));
    base.set_raster("b", std::make_shared<const Raster>(test::constant_raster(grid, 2)));
    LayerStack plan = base;
    EXPECT_EQ(plan.raster_ptr("a").get(), base.raster_ptr("a").get());  // shared, not copied
    auto changed = test::constant_raster(grid, 2);
    changed.at(3, 4) = 2.5f;
    plan.set_raster("b", std::make_shared<const Raster>(changed));
    EXPECT_EQ(plan.hash_of("a"), base.hash_of("a"));
    EXPECT_NE(plan.hash_of("b"), base.hash_of("b"));
    EXPECT_EQ(plan.hash_of(std::vector<std::string>{"a"}), base.hash_of(std::vector<std::string>{"a"}));
    EXPECT_NE(plan.hash_of(std::vector<std::string>{"a", "b"}), base.hash_of(std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(base.raster("b").at(3, 4), 2.0f);  // the baseline is untouched
}

TEST(LayerStack, EqualContentGivesEqualHash) {
    const auto grid = test::make_grid(8, 8);
    EXPECT_EQ(content_hash(test::random_raster(grid, 9, 0, 1)), content_hash(test::random_raster(grid, 9, 0, 1)));
    EXPECT_NE(content_hash(test::random_raster(grid, 9, 0, 1)), content_hash(test::random_raster(grid, 10, 0, 1)));
    FeatureSet a{"roads", {}};
    Feature f;
    f.id = 1;
    f.geometry.kind = Geometry::Kind::Line;
    f.geometry.lines = {{{0, 0}, {10, 0}}};
    f.attributes["q_cat1_day_veh_per_h"] = 800.0;
    a.features.push_back(f);
    FeatureSet b = a;
    EXPECT_EQ(content_hash(a), content_hash(b));
    b.features[0].attributes["q_cat1_day_veh_per_h"] = 560.0;
    EXPECT_NE(content_hash(a), content_hash(b));
}

TEST(LayerStack, MissingLayersAndWrongSizesAreNamed) {
    const auto grid = test::make_grid(8, 8);
    LayerStack s(grid);
    try {
        (void)s.raster("landcover.grass");
        FAIL();
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("landcover.grass"), std::string::npos);
    }
    EXPECT_THROW((void)s.features("roads"), DataError);
    EXPECT_THROW(s.set_raster("x", std::make_shared<const Raster>(Raster(7, 8))), InternalError);
    EXPECT_EQ(s.hash_of("absent"), 0u);
}

TEST(LayerStack, ScalarsAreSharedByCopiesAndKeyRecomputation) {
    const auto grid = test::make_grid(8, 8);
    LayerStack a(grid);
    EXPECT_FALSE(a.has_scalar("grid.center_lat_deg"));
    try {
        (void)a.scalar("grid.center_lat_deg");
        FAIL();
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("grid.center_lat_deg"), std::string::npos);
    }
    EXPECT_EQ(a.hash_of("grid.center_lat_deg"), 0u);
    a.set_scalar("grid.center_lat_deg", 52.1);
    LayerStack b = a;
    EXPECT_EQ(b.scalar("grid.center_lat_deg"), 52.1);
    EXPECT_EQ(a.hash_of(std::vector<std::string>{"grid.center_lat_deg"}), b.hash_of(std::vector<std::string>{"grid.center_lat_deg"}));
    b.set_scalar("grid.center_lat_deg", 52.2);
    EXPECT_NE(a.hash_of("grid.center_lat_deg"), b.hash_of("grid.center_lat_deg"));
    EXPECT_EQ(a.scalar("grid.center_lat_deg"), 52.1) << "a copy's scalars are its own";
    EXPECT_EQ(b.scalar_names(), std::vector<std::string>{"grid.center_lat_deg"});
}

}  // namespace
}  // namespace areatwin
