// SPDX-License-Identifier: GPL-3.0-or-later
// Grid layers derived from feature sets. Every loop runs over features in their FeatureSet order and
// over cells in row-major order, so the layers are identical for any thread count.
#include <algorithm>
#include <cmath>
#include <memory>
#include <numbers>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/rasterize.hpp"
#include "areatwin/engine/roles.hpp"
#include "areatwin/io/load.hpp"
#include "load_detail.hpp"

namespace areatwin::io {

namespace {

// Trees without a crown diameter get a small street tree's crown; without a height, a typical
// Dutch street tree's height (docs/inputs.md).
constexpr double default_crown_diameter_m = 5.0;
constexpr double default_tree_height_m = 8.0;
// A crown point becomes a regular polygon whose area equals the crown disc's, pi r^2: an inscribed
// polygon would make every crown, canopy.fraction and canopy share too small (a 16-gon by 2.55 %).
// 32 vertices keep the outline within 0.33 % of r of the circle (circumradius 1.00322 r, apothem
// 0.99839 r), so a crown cut by a cell edge or a radius differs from the true disc by at most 0.124 %
// of its area (the polygon's area outside the circle).
constexpr int crown_polygon_vertices = 32;

std::shared_ptr<const Raster> share(Raster raster) { return std::make_shared<const Raster>(std::move(raster)); }

const Raster* input_raster(const LayerStack& stack, std::string_view layer_name) {
    const std::string name = detail::input_layer(layer_name);
    return stack.has_raster(name) ? &stack.raster(name) : nullptr;
}

float or_zero(float v) { return std::isnan(v) ? 0.0f : v; }

void clamp_to_one(Raster& raster) {
    for (float& v : raster.values()) v = std::min(v, 1.0f);
}

void derive_landcover(LayerStack& stack) {
    const GridSpec& grid = stack.grid();
    std::vector<std::string> classes = landcover_classes();
    const FeatureSet* features = stack.has_features("landcover") ? &stack.features("landcover") : nullptr;
    if (features != nullptr) {
        for (const Feature& feature : features->features) {
            const std::optional<std::string> cls = feature.text("class");
            if (!cls) {
                throw DataError(fmt::format("landcover: feature {} from {} has no class", feature.id, feature.source));
            }
            if (std::find(classes.begin(), classes.end(), *cls) == classes.end()) classes.push_back(*cls);
        }
    }
    std::vector<const Raster*> base;
    bool any_base = false;
    for (const std::string& cls : classes) {
        base.push_back(input_raster(stack, layer::landcover_fraction(cls)));
        any_base = any_base || base.back() != nullptr;
    }
    if (features == nullptr && !any_base) return;

    if (features == nullptr) {
        // Only a class raster: its fractions as read (NaN where it has no data).
        for (std::size_t c = 0; c < classes.size(); ++c) {
            if (base[c] != nullptr) {
                stack.set_raster(layer::landcover_fraction(classes[c]), stack.raster_ptr(detail::input_layer(layer::landcover_fraction(classes[c]))));
            } else {
                stack.set_raster(layer::landcover_fraction(classes[c]), share(Raster(grid.cols, grid.rows, 0.0f)));
            }
        }
        return;
    }

    std::vector<Raster> fractions;
    for (std::size_t c = 0; c < classes.size(); ++c) fractions.emplace_back(grid.cols, grid.rows, 0.0f);
    for (const Feature& feature : features->features) {
        if (feature.geometry.polygons.empty()) continue;
        const std::string cls = *feature.text("class");
        const auto index = static_cast<std::size_t>(std::find(classes.begin(), classes.end(), cls) - classes.begin());
        accumulate_coverage(grid, feature.geometry, fractions[index]);
    }
    // Overlapping polygons would count a cell's area twice: scale the classes so they sum to at most 1.
    // The part of a cell no polygon covers takes the raster source's fractions, if there is one.
    for (std::int64_t i = 0; i < grid.cell_count(); ++i) {
        const auto cell = static_cast<std::size_t>(i);
        double total = 0.0;
        for (const Raster& f : fractions) total += f.values()[cell];
        const double scale = total > 1.0 ? 1.0 / total : 1.0;
        const double uncovered = std::max(0.0, 1.0 - total * scale);
        for (std::size_t c = 0; c < classes.size(); ++c) {
            double v = fractions[c].values()[cell] * scale;
            if (base[c] != nullptr) v += uncovered * or_zero(base[c]->values()[cell]);
            fractions[c].values()[cell] = static_cast<float>(v);
        }
    }
    for (std::size_t c = 0; c < classes.size(); ++c) {
        stack.set_raster(layer::landcover_fraction(classes[c]), share(std::move(fractions[c])));
    }
}

void derive_buildings(LayerStack& stack) {
    if (!stack.has_features("buildings")) return;
    const GridSpec& grid = stack.grid();
    Raster height(grid.cols, grid.rows, 0.0f);
    Raster fraction(grid.cols, grid.rows, 0.0f);
    for (const Feature& feature : stack.features("buildings").features) {
        if (feature.geometry.polygons.empty()) continue;
        const auto h = static_cast<float>(feature.number_or("height_m", 0.0));
        for (const RowSpan& span : cell_center_spans(grid, feature.geometry)) {
            float* row = height.row_ptr(span.row);
            for (std::int64_t col = span.col_begin; col < span.col_end; ++col) row[col] = std::max(row[col], h);
        }
        accumulate_coverage(grid, feature.geometry, fraction);
    }
    clamp_to_one(fraction);
    stack.set_raster(std::string(layer::building_height), share(std::move(height)));
    stack.set_raster(std::string(layer::building_fraction), share(std::move(fraction)));
}

Geometry crown_disc(const Point2& centre, double diameter_m) {
    Geometry disc;
    disc.kind = Geometry::Kind::Polygon;
    Ring ring;
    // Area of the regular n-gon of circumradius R: (n/2) sin(2 pi / n) R^2; scale R so it is pi r^2.
    constexpr double n = crown_polygon_vertices;
    const double area_preserving_scale = std::sqrt(std::numbers::pi / (0.5 * n * std::sin(2.0 * std::numbers::pi / n)));
    const double radius = 0.5 * diameter_m * area_preserving_scale;
    for (int i = 0; i < crown_polygon_vertices; ++i) {
        const double angle = 2.0 * std::numbers::pi * i / crown_polygon_vertices;
        ring.push_back({centre.x + radius * std::cos(angle), centre.y + radius * std::sin(angle)});
    }
    ring.push_back(ring.front());
    disc.polygons.push_back(Polygon{{std::move(ring)}});
    return disc;
}

void derive_canopy(LayerStack& stack) {
    const GridSpec& grid = stack.grid();
    const Raster* base_height = input_raster(stack, layer::canopy_height);
    const Raster* base_fraction = input_raster(stack, layer::canopy_fraction);
    const bool has_features = stack.has_features("trees");
    if (!has_features && base_height == nullptr) return;

    Raster height(grid.cols, grid.rows, 0.0f);
    Raster fraction(grid.cols, grid.rows, 0.0f);
    if (has_features) {
        for (const Feature& feature : stack.features("trees").features) {
            const auto h = static_cast<float>(feature.number_or("height_m", default_tree_height_m));
            std::vector<Geometry> crowns;
            if (!feature.geometry.polygons.empty()) {
                crowns.push_back(feature.geometry);  // crown outlines given as polygons
            } else {
                const double diameter = feature.number_or("crown_diameter_m", default_crown_diameter_m);
                for (const Point2& p : feature.geometry.points) {
                    if (diameter > 0.0) crowns.push_back(crown_disc(p, diameter));
                    // A crown smaller than a cell may hold no cell centre; the cell holding the trunk
                    // still carries the tree's height.
                    if (grid.contains_cell(grid.col_of(p.x), grid.row_of(p.y))) {
                        float& cell = height.at(grid.col_of(p.x), grid.row_of(p.y));
                        cell = std::max(cell, h);
                    }
                }
            }
            for (const Geometry& crown : crowns) {
                for (const RowSpan& span : cell_center_spans(grid, crown)) {
                    float* row = height.row_ptr(span.row);
                    for (std::int64_t col = span.col_begin; col < span.col_end; ++col) row[col] = std::max(row[col], h);
                }
                accumulate_coverage(grid, crown, fraction);
            }
        }
        clamp_to_one(fraction);
    }
    for (std::int64_t i = 0; i < grid.cell_count(); ++i) {
        const auto cell = static_cast<std::size_t>(i);
        if (base_height != nullptr) {
            height.values()[cell] = std::max(height.values()[cell], or_zero(base_height->values()[cell]));
        }
        if (base_fraction != nullptr) {
            const float f = fraction.values()[cell];
            fraction.values()[cell] = f + (1.0f - f) * or_zero(base_fraction->values()[cell]);
        }
    }
    stack.set_raster(std::string(layer::canopy_height), share(std::move(height)));
    stack.set_raster(std::string(layer::canopy_fraction), share(std::move(fraction)));
}

void derive_population(LayerStack& stack) {
    const GridSpec& grid = stack.grid();
    const Raster* base = input_raster(stack, layer::residents);
    const bool has_features = stack.has_features("population");
    if (!has_features && base == nullptr) return;
    // Sums in double: a cell may hold hundreds of addresses.
    std::vector<double> residents(static_cast<std::size_t>(grid.cell_count()), 0.0);
    std::vector<double> dwellings(static_cast<std::size_t>(grid.cell_count()), 0.0);
    if (has_features) {
        for (const Feature& feature : stack.features("population").features) {
            const double r = feature.number_or("residents", 0.0);
            const double d = feature.number_or("dwellings", 0.0);
            if (!feature.geometry.points.empty()) {
                // A multipoint shares its numbers equally between its points.
                const double n = static_cast<double>(feature.geometry.points.size());
                for (const Point2& p : feature.geometry.points) {
                    const std::int64_t col = grid.col_of(p.x), row = grid.row_of(p.y);
                    if (!grid.contains_cell(col, row)) continue;
                    residents[static_cast<std::size_t>(row * grid.cols + col)] += r / n;
                    dwellings[static_cast<std::size_t>(row * grid.cols + col)] += d / n;
                }
            } else {
                const Point2 p = detail::representative_point(feature.geometry);
                const std::int64_t col = grid.col_of(p.x), row = grid.row_of(p.y);
                if (!grid.contains_cell(col, row)) continue;
                residents[static_cast<std::size_t>(row * grid.cols + col)] += r;
                dwellings[static_cast<std::size_t>(row * grid.cols + col)] += d;
            }
        }
    }
    Raster residents_raster(grid.cols, grid.rows, 0.0f);
    Raster dwellings_raster(grid.cols, grid.rows, 0.0f);
    for (std::size_t i = 0; i < residents.size(); ++i) {
        double r = residents[i];
        if (base != nullptr) r += or_zero(base->values()[i]);
        residents_raster.values()[i] = static_cast<float>(r);
        dwellings_raster.values()[i] = static_cast<float>(dwellings[i]);
    }
    stack.set_raster(std::string(layer::residents), share(std::move(residents_raster)));
    stack.set_raster(std::string(layer::dwellings), share(std::move(dwellings_raster)));
}

void derive_areas(LayerStack& stack) {
    if (!stack.has_features("areas")) return;
    const GridSpec& grid = stack.grid();
    Raster index(grid.cols, grid.rows);
    const auto& features = stack.features("areas").features;
    for (std::size_t i = 0; i < features.size(); ++i) {
        const auto value = static_cast<float>(i);
        for (const RowSpan& span : cell_center_spans(grid, features[i].geometry)) {
            float* row = index.row_ptr(span.row);
            for (std::int64_t col = span.col_begin; col < span.col_end; ++col) {
                if (std::isnan(row[col])) row[col] = value;  // the first area wins where areas overlap
            }
        }
    }
    stack.set_raster(std::string(layer::area_index), share(std::move(index)));
}

void derive_dsm(LayerStack& stack) {
    const std::string given = detail::input_layer(layer::dsm);
    if (stack.has_raster(given)) {
        stack.set_raster(std::string(layer::dsm), stack.raster_ptr(given));
        return;
    }
    const std::string dem_name(layer::dem), building_name(layer::building_height), canopy_name(layer::canopy_height);
    const Raster* dem = stack.has_raster(dem_name) ? &stack.raster(dem_name) : nullptr;
    const Raster* buildings = stack.has_raster(building_name) ? &stack.raster(building_name) : nullptr;
    const Raster* canopy = stack.has_raster(canopy_name) ? &stack.raster(canopy_name) : nullptr;
    if (dem == nullptr && buildings == nullptr && canopy == nullptr) return;
    const GridSpec& grid = stack.grid();
    Raster dsm(grid.cols, grid.rows, 0.0f);
    for (std::size_t i = 0; i < dsm.values().size(); ++i) {
        const float ground = dem != nullptr ? dem->values()[i] : 0.0f;
        const float building = buildings != nullptr ? or_zero(buildings->values()[i]) : 0.0f;
        const float tree = canopy != nullptr ? or_zero(canopy->values()[i]) : 0.0f;
        dsm.values()[i] = ground + std::max(building, tree);  // NaN ground stays NaN
    }
    stack.set_raster(std::string(layer::dsm), share(std::move(dsm)));
}

}  // namespace

void derive_grid_layers(LayerStack& stack, const std::vector<std::string>& roles) {
    bool surface_changed = false;
    for (const std::string& role : roles) {
        if (role == "landcover") {
            derive_landcover(stack);
        } else if (role == "buildings") {
            derive_buildings(stack);
            surface_changed = true;
        } else if (role == "trees") {
            derive_canopy(stack);
            surface_changed = true;
        } else if (role == "population") {
            derive_population(stack);
        } else if (role == "areas") {
            derive_areas(stack);
        } else if (role == "dem" || role == "dsm") {
            surface_changed = true;
        }
    }
    if (surface_changed) derive_dsm(stack);
}

}  // namespace areatwin::io
