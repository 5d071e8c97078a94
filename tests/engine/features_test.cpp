// SPDX-License-Identifier: GPL-3.0-or-later
#include <algorithm>
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "areatwin/engine/features.hpp"

namespace areatwin {
namespace {

Ring square_ring(double min_x, double min_y, double size, bool anticlockwise) {
    Ring ring{{min_x, min_y}, {min_x + size, min_y}, {min_x + size, min_y + size}, {min_x, min_y + size},
              {min_x, min_y}};
    if (!anticlockwise) std::reverse(ring.begin(), ring.end());
    return ring;
}

Geometry polygon_geometry(std::vector<Polygon> polygons) {
    Geometry g;
    g.kind = Geometry::Kind::Polygon;
    g.polygons = std::move(polygons);
    return g;
}

TEST(GeometryBounds, CoversEveryRingOfEveryPart) {
    const Geometry g = polygon_geometry({Polygon{{square_ring(10, 20, 5, true)}},
                                        Polygon{{square_ring(-3, 40, 2, false)}}});
    const Box2 b = g.bounds();
    EXPECT_DOUBLE_EQ(b.min_x, -3.0);
    EXPECT_DOUBLE_EQ(b.min_y, 20.0);
    EXPECT_DOUBLE_EQ(b.max_x, 15.0);
    EXPECT_DOUBLE_EQ(b.max_y, 42.0);
}

TEST(GeometryBounds, LinesAndPoints) {
    Geometry lines;
    lines.kind = Geometry::Kind::Line;
    lines.lines = {{{0, 0}, {5, -2}}, {{7, 3}, {1, 1}}};
    const Box2 lb = lines.bounds();
    EXPECT_DOUBLE_EQ(lb.min_x, 0.0);
    EXPECT_DOUBLE_EQ(lb.min_y, -2.0);
    EXPECT_DOUBLE_EQ(lb.max_x, 7.0);
    EXPECT_DOUBLE_EQ(lb.max_y, 3.0);

    Geometry points;
    points.points = {{4, 9}};
    const Box2 pb = points.bounds();
    EXPECT_DOUBLE_EQ(pb.min_x, 4.0);
    EXPECT_DOUBLE_EQ(pb.max_x, 4.0);
    EXPECT_DOUBLE_EQ(pb.min_y, 9.0);
    EXPECT_DOUBLE_EQ(pb.max_y, 9.0);
}

TEST(GeometryArea, HolesAreSubtractedWhateverTheOrientation) {
    // 10 x 10 exterior minus a 4 x 4 hole = 100 - 16 = 84 m2, for all four orientation combinations.
    for (bool exterior_ccw : {true, false}) {
        for (bool hole_ccw : {true, false}) {
            const Geometry g = polygon_geometry(
                {Polygon{{square_ring(0, 0, 10, exterior_ccw), square_ring(3, 3, 4, hole_ccw)}}});
            EXPECT_NEAR(g.area_m2(), 84.0, 1e-12) << exterior_ccw << hole_ccw;
        }
    }
}

TEST(GeometryArea, MultiPolygonSumsParts) {
    // 3 x 3 + 2 x 2 = 13 m2.
    const Geometry g = polygon_geometry({Polygon{{square_ring(0, 0, 3, true)}}, Polygon{{square_ring(10, 10, 2, false)}}});
    EXPECT_NEAR(g.area_m2(), 13.0, 1e-12);
}

TEST(GeometryArea, LargeProjectedCoordinatesKeepPrecision) {
    // A 0.1 m x 0.1 m square at RD New coordinates: 0.01 m2. Absolute products of ~1e11 would leave
    // only ~1e-5 of relative precision; relative coordinates keep ~1e-9.
    const Geometry g = polygon_geometry({Polygon{{square_ring(155000.3, 463000.7, 0.1, true)}}});
    EXPECT_NEAR(g.area_m2(), 0.01, 1e-11);
}

TEST(GeometryArea, TriangleAndRingWithoutClosingPoint) {
    // Triangle (0,0) (4,0) (0,3): 4 * 3 / 2 = 6 m2; the closing point is implied.
    const Geometry g = polygon_geometry({Polygon{{Ring{{0, 0}, {4, 0}, {0, 3}}}}});
    EXPECT_NEAR(g.area_m2(), 6.0, 1e-12);
}

TEST(GeometryLength, SumsSegmentsOfAllParts) {
    // 3-4-5 triangle leg (5 m) plus a 2 m part: 7 m.
    Geometry g;
    g.kind = Geometry::Kind::Line;
    g.lines = {{{0, 0}, {3, 4}}, {{10, 10}, {11, 10}, {11, 11}}};
    EXPECT_NEAR(g.length_m(), 7.0, 1e-12);
}

TEST(GeometryContains, EvenOddOverAllRings) {
    const Geometry g = polygon_geometry(
        {Polygon{{square_ring(0, 0, 10, true), square_ring(3, 3, 4, true)}}, Polygon{{square_ring(20, 0, 2, false)}}});
    EXPECT_TRUE(g.contains({1, 1}));
    EXPECT_FALSE(g.contains({5, 5}));   // in the hole
    EXPECT_TRUE(g.contains({21, 1}));   // second part
    EXPECT_FALSE(g.contains({15, 5}));  // between the parts
    EXPECT_FALSE(g.contains({-1, 5}));
}

TEST(GeometryContains, HalfOpenBoundaries) {
    // Minimum x and y edges belong to the polygon, maximum ones do not, so adjacent polygons
    // never both contain a point on their shared edge.
    const Geometry g = polygon_geometry({Polygon{{square_ring(0, 0, 10, true)}}});
    EXPECT_TRUE(g.contains({0, 5}));
    EXPECT_FALSE(g.contains({10, 5}));
    EXPECT_TRUE(g.contains({5, 0}));
    EXPECT_FALSE(g.contains({5, 10}));
    const Geometry right = polygon_geometry({Polygon{{square_ring(10, 0, 10, false)}}});
    EXPECT_TRUE(right.contains({10, 5}));
}

TEST(GeometryContains, NonPolygonKindsContainNothing) {
    Geometry line;
    line.kind = Geometry::Kind::Line;
    line.lines = {{{0, 0}, {10, 10}}};
    EXPECT_FALSE(line.contains({5, 5}));
}

Feature feature_with(std::map<std::string, AttributeValue> attributes) {
    Feature f;
    f.attributes = std::move(attributes);
    return f;
}

TEST(FeatureNumber, DoubleAndFullyNumericStrings) {
    const Feature f = feature_with({{"height_m", 12.5},
                                    {"text_number", std::string("17.25")},
                                    {"padded", std::string(" 7 ")},
                                    {"plus", std::string("+3")},
                                    {"exponent", std::string("1e3")},
                                    {"negative", std::string("-0.5")}});
    EXPECT_EQ(f.number("height_m"), 12.5);
    EXPECT_EQ(f.number("text_number"), 17.25);
    EXPECT_EQ(f.number("padded"), 7.0);
    EXPECT_EQ(f.number("plus"), 3.0);
    EXPECT_EQ(f.number("exponent"), 1000.0);
    EXPECT_EQ(f.number("negative"), -0.5);
}

TEST(FeatureNumber, RejectsPartialEmptyNullAndNonFinite) {
    const Feature f = feature_with({{"partial", std::string("12 m")},
                                    {"word", std::string("high")},
                                    {"empty", std::string("")},
                                    {"spaces", std::string("   ")},
                                    {"null", std::monostate{}},
                                    {"nan_text", std::string("nan")},
                                    {"nan", std::numeric_limits<double>::quiet_NaN()},
                                    {"double_sign", std::string("+-3")}});
    for (const char* key : {"partial", "word", "empty", "spaces", "null", "nan_text", "nan", "double_sign", "absent"}) {
        EXPECT_FALSE(f.number(key).has_value()) << key;
    }
}

TEST(FeatureNumber, NumberOrFallsBackOnlyWhenMissing) {
    const Feature f = feature_with({{"dwellings", 4.0}, {"bad", std::string("four")}, {"zero", 0.0}});
    EXPECT_EQ(f.number_or("dwellings", 1.0), 4.0);
    EXPECT_EQ(f.number_or("bad", 1.0), 1.0);
    EXPECT_EQ(f.number_or("absent", -2.0), -2.0);
    EXPECT_EQ(f.number_or("zero", 9.0), 0.0);
}

TEST(FeatureText, StringsAndNumbersInShortestForm) {
    const Feature f = feature_with({{"use", std::string("woonfunctie")}, {"class_code", 3.0}, {"ratio", 2.5},
                                    {"null", std::monostate{}}});
    EXPECT_EQ(f.text("use"), "woonfunctie");
    EXPECT_EQ(f.text("class_code"), "3");
    EXPECT_EQ(f.text("ratio"), "2.5");
    EXPECT_FALSE(f.text("null").has_value());
    EXPECT_FALSE(f.text("absent").has_value());
}

}  // namespace
}  // namespace areatwin
