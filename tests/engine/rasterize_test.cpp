// SPDX-License-Identifier: GPL-3.0-or-later
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numbers>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/rasterize.hpp"

namespace areatwin {
namespace {

// Test grids use a projected-looking origin so precision is exercised as in real use.
GridSpec test_grid(std::int64_t cols, std::int64_t rows, double cell_size_m = 10.0) {
    GridSpec g;
    g.origin_x = 155000.0;
    g.origin_y = 463000.0;
    g.cell_size_m = cell_size_m;
    g.cols = cols;
    g.rows = rows;
    return g;
}

// Rings are written in cell units (u east from the west edge, v south from the north edge) because
// hand-computed coverages are easiest to state there.
Ring cell_ring(const GridSpec& g, std::vector<std::pair<double, double>> uv) {
    Ring ring;
    for (const auto& [u, v] : uv) ring.push_back({g.origin_x + u * g.cell_size_m, g.origin_y - v * g.cell_size_m});
    ring.push_back(ring.front());
    return ring;
}

Ring cell_box(const GridSpec& g, double u0, double v0, double u1, double v1) {
    return cell_ring(g, {{u0, v0}, {u1, v0}, {u1, v1}, {u0, v1}});
}

Ring reversed(Ring ring) {
    std::reverse(ring.begin(), ring.end());
    return ring;
}

Geometry polygons(std::vector<Polygon> parts) {
    Geometry geometry;
    geometry.kind = Geometry::Kind::Polygon;
    geometry.polygons = std::move(parts);
    return geometry;
}

Geometry polygon(std::vector<Ring> rings) { return polygons({Polygon{std::move(rings)}}); }

Geometry line(const GridSpec& g, std::vector<std::vector<std::pair<double, double>>> parts_uv) {
    Geometry geometry;
    geometry.kind = Geometry::Kind::Line;
    for (const auto& part : parts_uv) {
        std::vector<Point2> points;
        for (const auto& [u, v] : part) points.push_back({g.origin_x + u * g.cell_size_m, g.origin_y - v * g.cell_size_m});
        geometry.lines.push_back(points);
    }
    return geometry;
}

std::vector<double> exact_coverage(const GridSpec& g, const Geometry& geometry) {
    std::vector<double> coverage(static_cast<std::size_t>(g.cell_count()), 0.0);
    accumulate_coverage(g, geometry, coverage);
    return coverage;
}

double at(const GridSpec& g, const std::vector<double>& coverage, std::int64_t col, std::int64_t row) {
    return coverage[static_cast<std::size_t>(row * g.cols + col)];
}

double sum(const std::vector<double>& values) {
    double total = 0.0;
    for (double v : values) total += v;
    return total;
}

// Expects every cell to match `expected` (cells not listed: 0) within `tolerance`.
void expect_coverage(const GridSpec& g, const std::vector<double>& coverage,
                     const std::map<std::pair<std::int64_t, std::int64_t>, double>& expected, double tolerance) {
    for (std::int64_t row = 0; row < g.rows; ++row) {
        for (std::int64_t col = 0; col < g.cols; ++col) {
            const auto it = expected.find({col, row});
            const double want = it == expected.end() ? 0.0 : it->second;
            EXPECT_NEAR(at(g, coverage, col, row), want, tolerance) << "cell col " << col << " row " << row;
        }
    }
}

// A simple (non self-intersecting) star-shaped polygon around (cu, cv) in cell units: angles evenly
// spaced with jitter below one step keep consecutive vertices ordered around the centre.
Ring random_star(const GridSpec& g, std::mt19937_64& rng, double cu, double cv, double r_min, double r_max, int n) {
    std::uniform_real_distribution<double> jitter(0.0, 0.8);
    std::uniform_real_distribution<double> radius(r_min, r_max);
    std::vector<std::pair<double, double>> uv;
    for (int i = 0; i < n; ++i) {
        const double angle = (i + jitter(rng)) * 2.0 * std::numbers::pi / n;
        const double r = radius(rng);
        uv.emplace_back(cu + r * std::cos(angle), cv + r * std::sin(angle));
    }
    return cell_ring(g, uv);
}

// Sum over edges of |delta v| in cell units: bounds the point-sampling error (see the oracle test).
double total_vertical_extent(const GridSpec& g, const Geometry& geometry) {
    double total = 0.0;
    for (const Polygon& p : geometry.polygons) {
        for (const Ring& ring : p.rings) {
            for (std::size_t i = 1; i < ring.size(); ++i) total += std::abs(ring[i].y - ring[i - 1].y) / g.cell_size_m;
        }
    }
    return total;
}

TEST(AccumulateCoverage, SquareOfOneAndAHalfCellsOffsetByAQuarter) {
    // u, v in [0.25, 1.75]: each of the four cells it touches is covered 0.75 x 0.75 = 0.5625.
    const GridSpec g = test_grid(4, 4);
    const auto coverage = exact_coverage(g, polygon({cell_box(g, 0.25, 0.25, 1.75, 1.75)}));
    expect_coverage(g, coverage, {{{0, 0}, 0.5625}, {{1, 0}, 0.5625}, {{0, 1}, 0.5625}, {{1, 1}, 0.5625}}, 1e-12);
}

TEST(AccumulateCoverage, UnevenOffsetsGiveProductOfOverlaps) {
    // u in [0.25, 1.75], v in [0.5, 2.0]: row 0 overlaps 0.5 in v, row 1 overlaps 1.0, and columns
    // overlap 0.75 each: row 0 cells 0.75 * 0.5 = 0.375, row 1 cells 0.75 * 1 = 0.75.
    const GridSpec g = test_grid(3, 3);
    const auto coverage = exact_coverage(g, polygon({cell_box(g, 0.25, 0.5, 1.75, 2.0)}));
    expect_coverage(g, coverage, {{{0, 0}, 0.375}, {{1, 0}, 0.375}, {{0, 1}, 0.75}, {{1, 1}, 0.75}}, 1e-12);
}

TEST(AccumulateCoverage, CellAlignedSquareCoversWholeCellsOnly) {
    const GridSpec g = test_grid(5, 5);
    const auto coverage = exact_coverage(g, polygon({cell_box(g, 1, 2, 3, 4)}));
    expect_coverage(g, coverage, {{{1, 2}, 1.0}, {{2, 2}, 1.0}, {{1, 3}, 1.0}, {{2, 3}, 1.0}}, 1e-12);
}

TEST(AccumulateCoverage, DiamondAroundACellCorner) {
    // Square rotated 45 degrees with half-diagonal 1 around the corner (2, 2): each of the four cells
    // meeting at the corner holds one right triangle with unit legs, area 0.5.
    const GridSpec g = test_grid(4, 4);
    const auto coverage = exact_coverage(g, polygon({cell_ring(g, {{2, 1}, {3, 2}, {2, 3}, {1, 2}})}));
    expect_coverage(g, coverage, {{{1, 1}, 0.5}, {{2, 1}, 0.5}, {{1, 2}, 0.5}, {{2, 2}, 0.5}}, 1e-12);
}

TEST(AccumulateCoverage, DiamondCentredInACell) {
    // Diamond with half-diagonal 0.5 centred at (1.5, 1.5): inside cell (1, 1), area 2 * 0.5^2 = 0.5.
    // The larger diamond with half-diagonal 1.5 centred there has area 4.5: the centre cell is full,
    // each of the 4 edge neighbours holds 1 - 2 * (0.5 * 0.5^2) = 0.75, each corner neighbour 0.5^2 / 2 = 0.125:
    // 1 + 4 * 0.75 + 4 * 0.125 = 4.5.
    const GridSpec g = test_grid(3, 3);
    const auto small = exact_coverage(g, polygon({cell_ring(g, {{1.5, 1}, {2, 1.5}, {1.5, 2}, {1, 1.5}})}));
    expect_coverage(g, small, {{{1, 1}, 0.5}}, 1e-12);
    const auto large = exact_coverage(g, polygon({cell_ring(g, {{1.5, 0}, {3, 1.5}, {1.5, 3}, {0, 1.5}})}));
    expect_coverage(g, large,
                    {{{1, 1}, 1.0}, {{0, 1}, 0.75}, {{2, 1}, 0.75}, {{1, 0}, 0.75}, {{1, 2}, 0.75},
                     {{0, 0}, 0.125}, {{2, 0}, 0.125}, {{0, 2}, 0.125}, {{2, 2}, 0.125}},
                    1e-12);
}

TEST(AccumulateCoverage, TriangleThroughACellCorner) {
    // Right triangle (0,0) (2,0) (0,2): the hypotenuse u + v = 2 passes the corner (1, 1); cell (0,0)
    // lies fully inside, cells (1,0) and (0,1) are cut along their diagonal (0.5), cell (1,1) is outside.
    const GridSpec g = test_grid(3, 3);
    const auto coverage = exact_coverage(g, polygon({cell_ring(g, {{0, 0}, {2, 0}, {0, 2}})}));
    expect_coverage(g, coverage, {{{0, 0}, 1.0}, {{1, 0}, 0.5}, {{0, 1}, 0.5}}, 1e-12);
}

TEST(AccumulateCoverage, TriangleInsideOneCell) {
    // Triangle (0.2,0.2) (0.8,0.2) (0.2,0.6): 0.6 * 0.4 / 2 = 0.12 of cell (0, 0).
    const GridSpec g = test_grid(2, 2);
    const auto coverage = exact_coverage(g, polygon({cell_ring(g, {{0.2, 0.2}, {0.8, 0.2}, {0.2, 0.6}})}));
    expect_coverage(g, coverage, {{{0, 0}, 0.12}}, 1e-12);
}

TEST(AccumulateCoverage, HoleIsSubtracted) {
    // Exterior [0,4]^2 with hole [1.5,2.5]^2: the hole takes 0.5 x 0.5 = 0.25 from each of the four
    // middle cells, leaving 0.75 there and 1 elsewhere.
    const GridSpec g = test_grid(4, 4);
    const auto coverage = exact_coverage(g, polygon({cell_box(g, 0, 0, 4, 4), cell_box(g, 1.5, 1.5, 2.5, 2.5)}));
    std::map<std::pair<std::int64_t, std::int64_t>, double> expected;
    for (std::int64_t r = 0; r < 4; ++r) {
        for (std::int64_t c = 0; c < 4; ++c) expected[{c, r}] = 1.0;
    }
    for (auto cell : {std::pair<std::int64_t, std::int64_t>{1, 1}, {2, 1}, {1, 2}, {2, 2}}) expected[cell] = 0.75;
    expect_coverage(g, coverage, expected, 1e-12);
}

TEST(AccumulateCoverage, OrientationOfRingsDoesNotMatter) {
    const GridSpec g = test_grid(6, 6);
    std::mt19937_64 rng(20240611);
    const Ring exterior = random_star(g, rng, 3.0, 3.0, 2.0, 2.9, 9);
    const Ring hole = random_star(g, rng, 3.1, 2.9, 0.3, 0.7, 7);
    const auto base = exact_coverage(g, polygon({exterior, hole}));
    // Angle gaps stay below 1.8 steps of 40 degrees, so the exterior holds a disc of radius
    // 2 * cos(36 deg) = 1.62 (area 8.2) and the hole is smaller than pi * 0.7^2 = 1.54.
    EXPECT_GT(sum(base), 6.5);
    for (const auto& rings : {std::vector<Ring>{reversed(exterior), hole}, std::vector<Ring>{exterior, reversed(hole)},
                              std::vector<Ring>{reversed(exterior), reversed(hole)}}) {
        const auto other = exact_coverage(g, polygon(rings));
        for (std::size_t i = 0; i < base.size(); ++i) EXPECT_NEAR(other[i], base[i], 1e-12) << "cell " << i;
    }
}

TEST(AccumulateCoverage, MultiPolygonPartsAddUp) {
    // Two parts: [0.5,1.5] x [0,1] (halves of cells (0,0) and (1,0)) and the full cell (3, 2).
    const GridSpec g = test_grid(4, 4);
    const auto coverage =
        exact_coverage(g, polygons({Polygon{{cell_box(g, 0.5, 0, 1.5, 1)}}, Polygon{{reversed(cell_box(g, 3, 2, 4, 3))}}}));
    expect_coverage(g, coverage, {{{0, 0}, 0.5}, {{1, 0}, 0.5}, {{3, 2}, 1.0}}, 1e-12);
}

TEST(AccumulateCoverage, PolygonCrossingTheWestAndNorthEdges) {
    // u in [-1.5, 1.5], v in [-0.5, 0.75] on a 3 x 3 grid: inside the grid u in [0, 1.5], v in [0, 0.75]:
    // cell (0,0) 1 * 0.75 = 0.75, cell (1,0) 0.5 * 0.75 = 0.375.
    const GridSpec g = test_grid(3, 3);
    const auto coverage = exact_coverage(g, polygon({cell_box(g, -1.5, -0.5, 1.5, 0.75)}));
    expect_coverage(g, coverage, {{{0, 0}, 0.75}, {{1, 0}, 0.375}}, 1e-12);
}

TEST(AccumulateCoverage, PolygonCrossingTheEastAndSouthEdges) {
    // u in [2.5, 5], v in [2.25, 4] on a 3 x 3 grid: only cell (2,2) overlaps, 0.5 * 0.75 = 0.375.
    // A triangle with its east side outside: (1,0) (4,0) (4,3) covers half of the cells on the
    // diagonal u - 1 = v and every cell east of it, clipped at u = 3.
    const GridSpec g = test_grid(3, 3);
    expect_coverage(g, exact_coverage(g, polygon({cell_box(g, 2.5, 2.25, 5, 4)})), {{{2, 2}, 0.375}}, 1e-12);
    expect_coverage(g, exact_coverage(g, polygon({cell_ring(g, {{1, 0}, {4, 0}, {4, 3}})})),
                    {{{1, 0}, 0.5}, {{2, 0}, 1.0}, {{2, 1}, 0.5}}, 1e-12);
}

TEST(AccumulateCoverage, PolygonMuchLargerThanTheGridCoversEveryCell) {
    const GridSpec g = test_grid(7, 5);
    const auto coverage = exact_coverage(g, polygon({cell_ring(g, {{-1e6, -3e5}, {2e6, -1e6}, {1e6, 4e6}})}));
    for (double v : coverage) EXPECT_NEAR(v, 1.0, 1e-9);
}

TEST(AccumulateCoverage, PolygonsOutsideTheGridAddNothing) {
    const GridSpec g = test_grid(4, 4);
    for (const Ring& ring : {cell_box(g, -3, 1, -1, 3), cell_box(g, 5, 1, 7, 3), cell_box(g, 1, -3, 3, -1),
                             cell_box(g, 1, 5, 3, 7), cell_box(g, -3, -3, 7, -0.5)}) {
        const auto coverage = exact_coverage(g, polygon({ring}));
        for (double v : coverage) EXPECT_EQ(v, 0.0);
    }
}

TEST(AccumulateCoverage, AreaBalanceForRandomPolygonsWithHoles) {
    // Sum of coverage x cell area equals the polygon area from the shoelace formula.
    const GridSpec g = test_grid(40, 30, 2.5);
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> centre_u(8.0, 32.0);
    std::uniform_real_distribution<double> centre_v(8.0, 22.0);
    for (int trial = 0; trial < 50; ++trial) {
        const double cu = centre_u(rng);
        const double cv = centre_v(rng);
        std::vector<Ring> rings{random_star(g, rng, cu, cv, 4.0, 7.5, 6 + trial % 20)};
        if (trial % 2 == 0) rings.push_back(random_star(g, rng, cu, cv, 0.5, 1.5, 5));
        if (trial % 3 == 0) rings.front() = reversed(rings.front());
        const Geometry geometry = polygon(rings);
        const double covered_m2 = sum(exact_coverage(g, geometry)) * g.cell_area_m2();
        EXPECT_NEAR(covered_m2, geometry.area_m2(), 1e-9 * geometry.area_m2()) << "trial " << trial;
    }
}

TEST(AccumulateCoverage, AgreesWithPointSamplingOracle) {
    // Point sampling with s x s points per cell misses at most one sample per crossing of a sample
    // row with an edge (area 1/s^2 each); an edge with vertical extent dv (cells) crosses dv * s rows,
    // so the total absolute error is at most sum|dv| / s, plus the same again for the rows in which a
    // vertex or a cell border bends the covered width (bounded by taking twice the sum). Per cell,
    // a few edges at most pass, so 4 / s bounds each cell.
    const GridSpec g = test_grid(24, 24, 5.0);
    constexpr int samples = 128;
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> centre(7.0, 17.0);
    for (int trial = 0; trial < 10; ++trial) {
        const double cu = centre(rng);
        const double cv = centre(rng);
        // The hole stays inside: with 5 or more vertices the exterior holds a disc of radius
        // 2 * cos(64.8 deg) = 0.85 around its centre.
        std::vector<Ring> rings{random_star(g, rng, cu, cv, 2.0, 6.5, 5 + trial)};
        if (trial % 2 == 1) rings.push_back(random_star(g, rng, cu, cv, 0.2, 0.6, 4));
        const Geometry geometry = polygon(rings);
        Raster exact(g.cols, g.rows, 0.0f);
        Raster sampled(g.cols, g.rows, 0.0f);
        accumulate_coverage(g, geometry, exact);
        accumulate_coverage_reference(g, geometry, sampled, samples);
        double total_abs_error = 0.0;
        for (std::int64_t i = 0; i < exact.size(); ++i) {
            const double diff = std::abs(static_cast<double>(exact.values()[i]) - sampled.values()[i]);
            EXPECT_LE(diff, 4.0 / samples) << "trial " << trial << " cell " << i;
            total_abs_error += diff;
        }
        EXPECT_LE(total_abs_error, 2.0 * total_vertical_extent(g, geometry) / samples) << "trial " << trial;
        // And the oracle really samples: its total is the area to within the same bound.
        double sampled_total = 0.0;
        for (float v : sampled.values()) sampled_total += v;
        EXPECT_NEAR(sampled_total * g.cell_area_m2(), geometry.area_m2(),
                    g.cell_area_m2() * 2.0 * total_vertical_extent(g, geometry) / samples);
    }
}

TEST(AccumulateCoverage, FloatRasterAccumulatesAcrossFeatures) {
    // Two overlapping features: the cell-aligned square twice gives 2 (clamping is the caller's job);
    // the float result equals the double one to float rounding.
    const GridSpec g = test_grid(3, 3);
    const Geometry square = polygon({cell_box(g, 0.25, 0.25, 1.75, 1.75)});
    Raster coverage(g.cols, g.rows, 0.0f);
    accumulate_coverage(g, square, coverage);
    accumulate_coverage(g, square, coverage);
    EXPECT_FLOAT_EQ(coverage.at(0, 0), 1.125f);  // 2 * 0.5625
    EXPECT_FLOAT_EQ(coverage.at(1, 1), 1.125f);
    EXPECT_EQ(coverage.at(2, 2), 0.0f);
}

TEST(AccumulateCoverage, MismatchedRasterIsAnInternalError) {
    const GridSpec g = test_grid(3, 3);
    Raster wrong(2, 3, 0.0f);
    EXPECT_THROW(accumulate_coverage(g, polygon({cell_box(g, 0, 0, 1, 1)}), wrong), InternalError);
    std::vector<double> short_buffer(5, 0.0);
    EXPECT_THROW(accumulate_coverage(g, polygon({cell_box(g, 0, 0, 1, 1)}), short_buffer), InternalError);
}

TEST(Rasterize, NonFiniteCoordinatesAreADataError) {
    const GridSpec g = test_grid(3, 3);
    Ring ring = cell_box(g, 0, 0, 1, 1);
    ring[2].x = std::numeric_limits<double>::quiet_NaN();
    const Geometry bad_polygon = polygon({ring});
    Raster coverage(g.cols, g.rows, 0.0f);
    EXPECT_THROW(accumulate_coverage(g, bad_polygon, coverage), DataError);
    EXPECT_THROW(accumulate_coverage_reference(g, bad_polygon, coverage, 4), DataError);
    EXPECT_THROW(cell_center_spans(g, bad_polygon), DataError);
    const Geometry bad_line = line(g, {{{0, 0}, {std::numeric_limits<double>::infinity(), 1}}});
    EXPECT_THROW(line_cells(g, bad_line), DataError);
}

TEST(CellCenterSpans, SquareCoveringFourCentres) {
    // u, v in [0.25, 1.75] contains the centres (0.5, 0.5) ... (1.5, 1.5): rows 0 and 1, columns [0, 2).
    const GridSpec g = test_grid(4, 4);
    const auto spans = cell_center_spans(g, polygon({cell_box(g, 0.25, 0.25, 1.75, 1.75)}));
    ASSERT_EQ(spans.size(), 2u);
    EXPECT_EQ(spans[0].row, 0);
    EXPECT_EQ(spans[0].col_begin, 0);
    EXPECT_EQ(spans[0].col_end, 2);
    EXPECT_EQ(spans[1].row, 1);
    EXPECT_EQ(spans[1].col_begin, 0);
    EXPECT_EQ(spans[1].col_end, 2);
}

TEST(CellCenterSpans, CentresOnTheBoundaryFollowContains) {
    // Edges through cell centres: u in [0.5, 2.5], v in [0.5, 2.5]. Like Geometry::contains, the west
    // (minimum x) and south (minimum y, v = 2.5) edges are inside, the east and north ones outside:
    // columns 0 and 1, rows 1 and 2.
    const GridSpec g = test_grid(4, 4);
    const Geometry square = polygon({cell_box(g, 0.5, 0.5, 2.5, 2.5)});
    const auto spans = cell_center_spans(g, square);
    ASSERT_EQ(spans.size(), 2u);
    EXPECT_EQ(spans[0].row, 1);
    EXPECT_EQ(spans[1].row, 2);
    for (const auto& span : spans) {
        EXPECT_EQ(span.col_begin, 0);
        EXPECT_EQ(span.col_end, 2);
    }
    EXPECT_TRUE(square.contains({g.cell_center_x(0), g.cell_center_y(2)}));
    EXPECT_FALSE(square.contains({g.cell_center_x(2), g.cell_center_y(1)}));
    EXPECT_FALSE(square.contains({g.cell_center_x(0), g.cell_center_y(0)}));
}

TEST(CellCenterSpans, MatchContainsForRandomPolygonsWithHolesAcrossTheGridEdge) {
    const GridSpec g = test_grid(30, 20);
    std::mt19937_64 rng(99);
    std::uniform_real_distribution<double> centre_u(-3.0, 33.0);
    std::uniform_real_distribution<double> centre_v(-3.0, 23.0);
    for (int trial = 0; trial < 40; ++trial) {
        const double cu = centre_u(rng);
        const double cv = centre_v(rng);
        const Geometry geometry = polygons({Polygon{{random_star(g, rng, cu, cv, 3.0, 9.0, 5 + trial % 11),
                                                     random_star(g, rng, cu, cv, 0.5, 1.4, 6)}},
                                            Polygon{{random_star(g, rng, 25.0, 3.0, 1.0, 2.5, 5)}}});
        std::set<std::pair<std::int64_t, std::int64_t>> in_spans;
        std::int64_t previous_row = -1;
        for (const RowSpan& span : cell_center_spans(g, geometry)) {
            EXPECT_GE(span.row, previous_row);
            previous_row = span.row;
            EXPECT_GE(span.col_begin, 0);
            EXPECT_LT(span.col_begin, span.col_end);
            EXPECT_LE(span.col_end, g.cols);
            for (std::int64_t c = span.col_begin; c < span.col_end; ++c) {
                EXPECT_TRUE(in_spans.insert({c, span.row}).second) << "cell in two spans";
            }
        }
        for (std::int64_t r = 0; r < g.rows; ++r) {
            for (std::int64_t c = 0; c < g.cols; ++c) {
                const bool inside = geometry.contains({g.cell_center_x(c), g.cell_center_y(r)});
                EXPECT_EQ(in_spans.count({c, r}) == 1, inside) << "trial " << trial << " col " << c << " row " << r;
            }
        }
    }
}

TEST(BurnPolygon, SetsCentreCellsAndLeavesTheRest) {
    // Exterior [0,4]^2 with hole [1.2,2.8]^2: the hole contains the centres of cells (1..2, 1..2).
    const GridSpec g = test_grid(5, 5);
    Raster target(g.cols, g.rows);  // nodata
    burn_polygon(g, polygon({cell_box(g, 0, 0, 4, 4), cell_box(g, 1.2, 1.2, 2.8, 2.8)}), 7.0f, target);
    int burnt = 0;
    for (std::int64_t r = 0; r < g.rows; ++r) {
        for (std::int64_t c = 0; c < g.cols; ++c) {
            const bool in_exterior = c < 4 && r < 4;
            const bool in_hole = c >= 1 && c <= 2 && r >= 1 && r <= 2;
            if (in_exterior && !in_hole) {
                EXPECT_EQ(target.at(c, r), 7.0f) << c << "," << r;
                ++burnt;
            } else {
                EXPECT_TRUE(Raster::is_nodata(target.at(c, r))) << c << "," << r;
            }
        }
    }
    EXPECT_EQ(burnt, 12);  // 16 - 4
}

std::map<std::pair<std::int64_t, std::int64_t>, double> by_cell(const std::vector<LineCell>& cells) {
    std::map<std::pair<std::int64_t, std::int64_t>, double> result;
    for (const LineCell& c : cells) result[{c.col, c.row}] += c.length_m;
    return result;
}

TEST(LineCells, HorizontalLineThroughRowCentres) {
    // From u = 0.5 to 2.5 along v = 1.5: 0.5, 1 and 0.5 cells of 10 m.
    const GridSpec g = test_grid(4, 4);
    const auto cells = line_cells(g, line(g, {{{0.5, 1.5}, {2.5, 1.5}}}));
    ASSERT_EQ(cells.size(), 3u);
    const auto m = by_cell(cells);
    EXPECT_NEAR((m.at({0, 1})), 5.0, 1e-9);
    EXPECT_NEAR((m.at({1, 1})), 10.0, 1e-9);
    EXPECT_NEAR((m.at({2, 1})), 5.0, 1e-9);
}

TEST(LineCells, DiagonalThroughCellCorners) {
    // (0,0) -> (3,3) passes exactly through the corners: three cells, each sqrt(2) * 10 m.
    const GridSpec g = test_grid(4, 4);
    const auto cells = line_cells(g, line(g, {{{0, 0}, {3, 3}}}));
    ASSERT_EQ(cells.size(), 3u);
    for (std::int64_t i = 0; i < 3; ++i) {
        EXPECT_EQ(cells[i].col, i);
        EXPECT_EQ(cells[i].row, i);
        EXPECT_NEAR(cells[i].length_m, 10.0 * std::sqrt(2.0), 1e-9);
    }
}

TEST(LineCells, SegmentsOnCellBordersGoToTheEastAndSouthCell) {
    const GridSpec g = test_grid(4, 4);
    // Along v = 1 from u = 0 to 2 (west to east): the cells south of the border, row 1.
    const auto horizontal = by_cell(line_cells(g, line(g, {{{0, 1}, {2, 1}}})));
    ASSERT_EQ(horizontal.size(), 2u);
    EXPECT_NEAR((horizontal.at({0, 1})), 10.0, 1e-9);
    EXPECT_NEAR((horizontal.at({1, 1})), 10.0, 1e-9);
    // Along u = 2 from v = 3 to 1 (south to north): the cells east of the border, column 2; the
    // direction does not change the side.
    const auto vertical = by_cell(line_cells(g, line(g, {{{2, 3}, {2, 1}}})));
    ASSERT_EQ(vertical.size(), 2u);
    EXPECT_NEAR((vertical.at({2, 1})), 10.0, 1e-9);
    EXPECT_NEAR((vertical.at({2, 2})), 10.0, 1e-9);
}

TEST(LineCells, ClippedToTheGrid) {
    // From u = -2 to 1.5 along v = 0.5 on a 2 x 2 grid: inside from u = 0: 10 m in cell (0,0),
    // 5 m in cell (1,0). A line entirely outside gives nothing.
    const GridSpec g = test_grid(2, 2);
    const auto m = by_cell(line_cells(g, line(g, {{{-2, 0.5}, {1.5, 0.5}}})));
    ASSERT_EQ(m.size(), 2u);
    EXPECT_NEAR((m.at({0, 0})), 10.0, 1e-9);
    EXPECT_NEAR((m.at({1, 0})), 5.0, 1e-9);
    EXPECT_TRUE(line_cells(g, line(g, {{{-2, -1}, {5, -0.5}}})).empty());
    // Diagonal from (-1, -1) to (3, 3) crosses the 2 x 2 grid corner to corner: 2 * sqrt(2) cells.
    double inside_m = 0.0;
    for (const auto& c : line_cells(g, line(g, {{{-1, -1}, {3, 3}}}))) inside_m += c.length_m;
    EXPECT_NEAR(inside_m, 20.0 * std::sqrt(2.0), 1e-9);
}

TEST(LineCells, EachCellOncePerPart) {
    // A zigzag inside cell (0,0): (0.2,0.2) -> (0.8,0.2) -> (0.2,0.8) is 0.6 + 0.6 * sqrt(2) cells,
    // one entry. A second part through the same cell gives a second entry.
    const GridSpec g = test_grid(2, 2);
    const auto one_part = line_cells(g, line(g, {{{0.2, 0.2}, {0.8, 0.2}, {0.2, 0.8}}}));
    ASSERT_EQ(one_part.size(), 1u);
    EXPECT_NEAR(one_part[0].length_m, 10.0 * 0.6 * (1.0 + std::sqrt(2.0)), 1e-9);
    const auto two_parts = line_cells(g, line(g, {{{0.2, 0.2}, {0.8, 0.2}}, {{0.5, 0.1}, {0.5, 0.9}}}));
    ASSERT_EQ(two_parts.size(), 2u);
    EXPECT_NEAR(two_parts[0].length_m, 6.0, 1e-9);
    EXPECT_NEAR(two_parts[1].length_m, 8.0, 1e-9);
}

TEST(LineCells, LengthsSumToTheLineLengthForRandomLines) {
    const GridSpec g = test_grid(50, 40, 3.0);
    std::mt19937_64 rng(2718);
    std::uniform_real_distribution<double> u(0.0, 50.0);
    std::uniform_real_distribution<double> v(0.0, 40.0);
    const double max_piece_m = g.cell_size_m * std::sqrt(2.0) + 1e-9;
    for (int trial = 0; trial < 50; ++trial) {
        std::vector<std::pair<double, double>> part;
        for (int i = 0; i < 2 + trial % 9; ++i) part.emplace_back(u(rng), v(rng));
        const Geometry geometry = line(g, {part});
        const auto cells = line_cells(g, geometry);
        double total_m = 0.0;
        std::set<std::pair<std::int64_t, std::int64_t>> seen;
        for (const LineCell& c : cells) {
            EXPECT_TRUE(g.contains_cell(c.col, c.row));
            EXPECT_TRUE(seen.insert({c.col, c.row}).second) << "cell listed twice in one part";
            EXPECT_GT(c.length_m, 0.0);
            // A cell may be visited by several segments of the zigzag, so only the single-segment
            // case is bounded by the cell diagonal.
            if (part.size() == 2) {
                EXPECT_LE(c.length_m, max_piece_m);
            }
            total_m += c.length_m;
        }
        EXPECT_NEAR(total_m, geometry.length_m(), 1e-9 * geometry.length_m()) << "trial " << trial;
    }
}

}  // namespace
}  // namespace areatwin
