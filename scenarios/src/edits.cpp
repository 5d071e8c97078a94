// SPDX-License-Identifier: GPL-3.0-or-later
#include "areatwin/scenarios/edits.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/rasterize.hpp"
#include "areatwin/engine/roles.hpp"
#include "areatwin/io/load.hpp"

namespace areatwin::scenarios {

namespace {

// Edit sources are read a little beyond the grid so that features straddling its edge are kept whole.
constexpr double edit_clip_margin_m = 1000.0;

// A cell without land-cover data becomes known only when the paint covers it completely; the
// tolerance absorbs the rounding of exact coverage sums over a cell's boundary pieces.
constexpr double full_cover_tolerance = 1e-9;

Box2 edit_clip(const GridSpec& grid) {
    Box2 box = grid.extent();
    box.min_x -= edit_clip_margin_m;
    box.min_y -= edit_clip_margin_m;
    box.max_x += edit_clip_margin_m;
    box.max_y += edit_clip_margin_m;
    return box;
}

std::string source_label(const io::SourceSpec& source) {
    std::string label = source.path.filename().string();
    if (!source.layer.empty()) label += ":" + source.layer;
    return label;
}

std::string value_text(const AttributeValue& value) {
    if (const auto* d = std::get_if<double>(&value)) return fmt::format("{}", *d);
    if (const auto* s = std::get_if<std::string>(&value)) return *s;
    return "null";
}

std::string describe_filter(const FeatureFilter& filter) {
    std::vector<std::string> parts;
    if (filter.inside) parts.push_back("inside " + source_label(*filter.inside));
    for (const auto& [key, accepted] : filter.where) {
        std::vector<std::string> values;
        for (const auto& v : accepted) values.push_back(value_text(v));
        parts.push_back(fmt::format("{} in [{}]", key, fmt::join(values, ", ")));
    }
    if (parts.empty()) return "(no filter)";
    std::string text = parts.front();
    for (std::size_t i = 1; i < parts.size(); ++i) text += (i == 1 && filter.inside ? " where " : " and ") + parts[i];
    if (!filter.inside) text = "where " + text;
    return text;
}

std::string_view kind_name(Edit::Kind kind) {
    switch (kind) {
        case Edit::Kind::Add: return "add";
        case Edit::Kind::Remove: return "remove";
        case Edit::Kind::Set: return "set";
        case Edit::Kind::Scale: return "scale";
        case Edit::Kind::Paint: return "paint";
    }
    return "edit";
}

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
    return fmt::format("{} {}", n, n == 1 ? one : many);
}

// Area-weighted centroid of all parts; coordinates relative to the first vertex keep precision
// at Dutch RD magnitudes (1e5..1e6 m).
std::optional<Point2> polygon_centroid(const Geometry& geometry) {
    const Point2* origin = nullptr;
    double area_sum = 0.0, cx_sum = 0.0, cy_sum = 0.0;
    for (const Polygon& polygon : geometry.polygons) {
        for (std::size_t r = 0; r < polygon.rings.size(); ++r) {
            const Ring& ring = polygon.rings[r];
            if (ring.size() < 3) continue;
            if (origin == nullptr) origin = &ring.front();
            double twice_area = 0.0, cx = 0.0, cy = 0.0;
            for (std::size_t i = 0; i < ring.size(); ++i) {
                const Point2& a = ring[i];
                const Point2& b = ring[(i + 1) % ring.size()];
                const double ax = a.x - origin->x, ay = a.y - origin->y;
                const double bx = b.x - origin->x, by = b.y - origin->y;
                const double cross = ax * by - bx * ay;
                twice_area += cross;
                cx += (ax + bx) * cross;
                cy += (ay + by) * cross;
            }
            // Exterior rings add and holes subtract whatever their orientation.
            const double sign = (r == 0) == (twice_area > 0.0) ? 1.0 : -1.0;
            area_sum += sign * twice_area / 2.0;
            cx_sum += sign * cx / 6.0;
            cy_sum += sign * cy / 6.0;
        }
    }
    if (origin == nullptr) return std::nullopt;
    if (std::abs(area_sum) <= 0.0) {
        const Box2 b = geometry.bounds();
        return Point2{(b.min_x + b.max_x) / 2.0, (b.min_y + b.max_y) / 2.0};
    }
    return Point2{origin->x + cx_sum / area_sum, origin->y + cy_sum / area_sum};
}

// The point halfway along the total length of all parts.
std::optional<Point2> line_midpoint(const Geometry& geometry) {
    const double half_m = geometry.length_m() / 2.0;
    double walked_m = 0.0;
    for (const auto& part : geometry.lines) {
        for (std::size_t i = 1; i < part.size(); ++i) {
            const Point2& a = part[i - 1];
            const Point2& b = part[i];
            const double segment_m = std::hypot(b.x - a.x, b.y - a.y);
            if (walked_m + segment_m >= half_m && segment_m > 0.0) {
                const double t = (half_m - walked_m) / segment_m;
                return Point2{a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)};
            }
            walked_m += segment_m;
        }
    }
    for (const auto& part : geometry.lines) {
        if (!part.empty()) return part.front();
    }
    return std::nullopt;
}

std::optional<Point2> representative_point(const Geometry& geometry) {
    switch (geometry.kind) {
        case Geometry::Kind::Polygon: return polygon_centroid(geometry);
        case Geometry::Kind::Line: return line_midpoint(geometry);
        case Geometry::Kind::Point: {
            if (geometry.points.empty()) return std::nullopt;
            Point2 sum;
            for (const Point2& p : geometry.points) {
                sum.x += p.x;
                sum.y += p.y;
            }
            const auto n = static_cast<double>(geometry.points.size());
            return Point2{sum.x / n, sum.y / n};
        }
    }
    return std::nullopt;
}

struct SelectionPolygons {
    std::vector<Geometry> geometries;
    std::vector<Box2> bounds;
    std::string label;

    [[nodiscard]] bool contains(const Point2& p) const {
        for (std::size_t i = 0; i < geometries.size(); ++i) {
            const Box2& b = bounds[i];
            if (p.x < b.min_x || p.x > b.max_x || p.y < b.min_y || p.y > b.max_y) continue;
            if (geometries[i].contains(p)) return true;
        }
        return false;
    }
};

SelectionPolygons read_polygons(const io::SourceSpec& source, const Edit& edit, const LayerStack& stack,
                                io::LoadReport& report) {
    SelectionPolygons result;
    result.label = source_label(source);
    // The reader needs a role to know which geometries to accept; 'areas' takes plain polygons and
    // requires no attribute, which is exactly what a selection layer is.
    io::SourceSpec polygon_source = source;
    if (polygon_source.role.empty()) polygon_source.role = "areas";
    if (polygon_source.declared_at.empty()) polygon_source.declared_at = edit.declared_at;
    const FeatureSet features = io::read_vector(polygon_source, stack.grid(), edit_clip(stack.grid()), report);
    for (const Feature& feature : features.features) {
        if (feature.geometry.kind != Geometry::Kind::Polygon || feature.geometry.polygons.empty()) continue;
        result.bounds.push_back(feature.geometry.bounds());
        result.geometries.push_back(feature.geometry);
    }
    if (result.geometries.empty()) {
        throw DataError(fmt::format("{}: {}: {} has no polygons inside the area to select with", edit.declared_at,
                                    kind_name(edit.kind), result.label));
    }
    return result;
}

// Attribute equality as the batch file means it: numbers exactly, texts exactly, absent never.
bool attribute_matches(const Feature& feature, const std::string& key, const std::vector<AttributeValue>& accepted) {
    for (const auto& value : accepted) {
        if (const auto* number = std::get_if<double>(&value)) {
            if (const auto actual = feature.number(key); actual && *actual == *number) return true;
        } else if (const auto* text = std::get_if<std::string>(&value)) {
            if (const auto actual = feature.text(key); actual && *actual == *text) return true;
        }
    }
    return false;
}

std::shared_ptr<const FeatureSet> require_features(const Edit& edit, const LayerStack& stack) {
    if (!stack.has_features(edit.role)) {
        throw DataError(fmt::format("{}: {} {}: the scenario has no '{}' features to {}", edit.declared_at,
                                    kind_name(edit.kind), edit.role, edit.role, kind_name(edit.kind)));
    }
    return stack.features_ptr(edit.role);
}

EditOutcome apply_add(const Edit& edit, LayerStack& stack, io::LoadReport& report) {
    if (!edit.source) {
        throw ConfigError(fmt::format("{}: add {}: no source given", edit.declared_at, edit.role));
    }
    io::SourceSpec source = *edit.source;
    source.role = edit.role;
    if (source.declared_at.empty()) source.declared_at = edit.declared_at;
    FeatureSet added = io::read_vector(source, stack.grid(), edit_clip(stack.grid()), report);
    if (added.features.empty()) {
        throw DataError(fmt::format("{}: add {}: {} has no features inside the area", edit.declared_at, edit.role,
                                    source_label(source)));
    }

    FeatureSet next;
    next.role = edit.role;
    if (stack.has_features(edit.role)) next = stack.features(edit.role);
    std::int64_t max_id = 0;
    for (const Feature& feature : next.features) max_id = std::max(max_id, feature.id);
    // Fresh ids keep messages and explanations unambiguous: source FIDs of the plan would collide.
    const std::int64_t first_id = max_id + 1;
    std::int64_t id = first_id;
    next.features.reserve(next.features.size() + added.features.size());
    for (Feature& feature : added.features) {
        feature.id = id++;
        next.features.push_back(std::move(feature));
    }
    stack.set_features(edit.role, std::make_shared<const FeatureSet>(std::move(next)));

    EditOutcome outcome;
    outcome.summary = fmt::format("add {}: {} from {} (ids {}-{})", edit.role,
                                  plural(added.features.size(), "feature", "features"), source_label(source),
                                  first_id, id - 1);
    outcome.roles.push_back(edit.role);
    return outcome;
}

EditOutcome apply_feature_edit(const Edit& edit, LayerStack& stack, io::LoadReport& report) {
    const auto current = require_features(edit, stack);
    std::optional<SelectionPolygons> polygons;
    if (edit.filter.inside) polygons = read_polygons(*edit.filter.inside, edit, stack, report);

    const auto matches = [&](const Feature& feature) {
        for (const auto& [key, accepted] : edit.filter.where) {
            if (!attribute_matches(feature, key, accepted)) return false;
        }
        if (polygons) {
            const auto point = representative_point(feature.geometry);
            if (!point || !polygons->contains(*point)) return false;
        }
        return true;
    };

    FeatureSet next;
    next.role = current->role;
    next.features.reserve(current->features.size());
    std::size_t matched = 0;
    std::map<std::string, std::size_t> without_attribute;  // Scale: matched features lacking a number
    for (const Feature& feature : current->features) {
        if (!matches(feature)) {
            next.features.push_back(feature);
            continue;
        }
        ++matched;
        if (edit.kind == Edit::Kind::Remove) continue;
        Feature changed = feature;
        if (edit.kind == Edit::Kind::Set) {
            for (const auto& [key, value] : edit.values) changed.attributes[key] = value;
        } else {
            for (const auto& [key, factor] : edit.factors) {
                const auto it = changed.attributes.find(key);
                const double* value = it == changed.attributes.end() ? nullptr : std::get_if<double>(&it->second);
                if (value == nullptr || !std::isfinite(*value)) {
                    ++without_attribute[key];
                    continue;
                }
                it->second = *value * factor;
            }
        }
        next.features.push_back(std::move(changed));
    }

    if (matched == 0) {
        throw DataError(fmt::format("{}: {} {}: no feature matched {} ({} checked)", edit.declared_at,
                                    kind_name(edit.kind), edit.role, describe_filter(edit.filter),
                                    plural(current->features.size(), "feature", "features")));
    }

    std::string summary = fmt::format("{} {}: {} matched {}", kind_name(edit.kind), edit.role,
                                      plural(matched, "feature", "features"), describe_filter(edit.filter));
    if (edit.kind == Edit::Kind::Remove) {
        summary += fmt::format("; {} left", next.features.size());
    } else if (edit.kind == Edit::Kind::Set) {
        std::vector<std::string> assignments;
        for (const auto& [key, value] : edit.values) assignments.push_back(key + " = " + value_text(value));
        summary += fmt::format("; {}", fmt::join(assignments, ", "));
    } else {
        std::vector<std::string> scalings;
        for (const auto& [key, factor] : edit.factors) {
            std::string s = fmt::format("{} x {}", key, factor);
            if (const auto it = without_attribute.find(key); it != without_attribute.end()) {
                s += fmt::format(" ({} without a value, left unchanged)", it->second);
            }
            scalings.push_back(std::move(s));
        }
        summary += fmt::format("; {}", fmt::join(scalings, ", "));
    }
    stack.set_features(edit.role, std::make_shared<const FeatureSet>(std::move(next)));

    EditOutcome outcome;
    outcome.summary = std::move(summary);
    outcome.roles.push_back(edit.role);
    return outcome;
}

// The grid window [col0, col1) x [row0, row1) touched by a box, clipped to the grid.
struct CellWindow {
    std::int64_t col0 = 0, row0 = 0, col1 = 0, row1 = 0;
    [[nodiscard]] bool empty() const { return col1 <= col0 || row1 <= row0; }
    [[nodiscard]] std::int64_t cols() const { return col1 - col0; }
    [[nodiscard]] std::int64_t rows() const { return row1 - row0; }
};

CellWindow window_of(const GridSpec& grid, const Box2& box) {
    CellWindow w;
    w.col0 = std::clamp<std::int64_t>(grid.col_of(box.min_x), 0, grid.cols);
    w.col1 = std::clamp<std::int64_t>(grid.col_of(box.max_x) + 1, 0, grid.cols);
    w.row0 = std::clamp<std::int64_t>(grid.row_of(box.max_y), 0, grid.rows);
    w.row1 = std::clamp<std::int64_t>(grid.row_of(box.min_y) + 1, 0, grid.rows);
    return w;
}

EditOutcome apply_paint(const Edit& edit, LayerStack& stack, io::LoadReport& report) {
    const GridSpec& grid = stack.grid();
    const std::string painted_name = layer::landcover_fraction(edit.landcover_class);
    std::vector<std::string> names;
    for (const auto& cls : landcover_classes()) {
        const std::string name = layer::landcover_fraction(cls);
        if (!stack.has_raster(name)) continue;
        const Raster& raster = stack.raster(name);
        if (raster.cols() != grid.cols || raster.rows() != grid.rows) {
            throw InternalError(fmt::format("raster '{}' is {} x {} cells, the grid {} x {}", name, raster.cols(),
                                            raster.rows(), grid.cols, grid.rows));
        }
        names.push_back(name);
    }
    if (names.empty()) {
        throw DataError(fmt::format("{}: paint {}: the scenario has no land-cover rasters (landcover.<class>) to "
                                    "paint on; give a 'landcover' input",
                                    edit.declared_at, edit.landcover_class));
    }
    if (!edit.filter.inside) {
        throw ConfigError(fmt::format("{}: paint {}: no 'inside' polygons given", edit.declared_at,
                                      edit.landcover_class));
    }
    const SelectionPolygons polygons = read_polygons(*edit.filter.inside, edit, stack, report);

    // Coverage only over the window the polygons span: a whole-grid buffer could be gigabytes.
    Box2 bounds = polygons.bounds.front();
    for (const Box2& b : polygons.bounds) {
        bounds.min_x = std::min(bounds.min_x, b.min_x);
        bounds.min_y = std::min(bounds.min_y, b.min_y);
        bounds.max_x = std::max(bounds.max_x, b.max_x);
        bounds.max_y = std::max(bounds.max_y, b.max_y);
    }
    const CellWindow window = window_of(grid, bounds);
    std::vector<double> coverage;
    double painted_cells = 0.0;
    if (!window.empty()) {
        GridSpec sub = grid;
        sub.origin_x = grid.origin_x + static_cast<double>(window.col0) * grid.cell_size_m;
        sub.origin_y = grid.origin_y - static_cast<double>(window.row0) * grid.cell_size_m;
        sub.cols = window.cols();
        sub.rows = window.rows();
        coverage.assign(static_cast<std::size_t>(sub.cell_count()), 0.0);
        for (const Geometry& geometry : polygons.geometries) accumulate_coverage(sub, geometry, coverage);
        // Overlapping paint polygons must not paint a cell more than whole.
        for (double& f : coverage) {
            f = std::clamp(f, 0.0, 1.0);
            painted_cells += f;
        }
    }
    if (!(painted_cells > 0.0)) {
        throw DataError(fmt::format("{}: paint {}: the polygons of {} do not overlap the grid", edit.declared_at,
                                    edit.landcover_class, polygons.label));
    }

    std::vector<std::shared_ptr<const Raster>> old_rasters;
    for (const auto& name : names) old_rasters.push_back(stack.raster_ptr(name));
    const bool painted_exists = std::find(names.begin(), names.end(), painted_name) != names.end();

    const auto has_data = [&](std::int64_t col, std::int64_t row) {
        for (const auto& raster : old_rasters) {
            if (Raster::is_nodata(raster->at(col, row))) return false;
        }
        return true;
    };

    if (!painted_exists) {
        // The painted class was absent from the source: 0 wherever the other classes have data.
        auto created = std::make_shared<Raster>(grid.cols, grid.rows, Raster::nodata);
        for (std::int64_t row = 0; row < grid.rows; ++row) {
            for (std::int64_t col = 0; col < grid.cols; ++col) {
                if (has_data(col, row)) created->at(col, row) = 0.0F;
            }
        }
        names.push_back(painted_name);
        old_rasters.push_back(std::move(created));
    }

    // Whether each window cell had land-cover data before painting, decided once for all classes.
    std::vector<char> known(coverage.size(), 0);
    for (std::int64_t row = window.row0; row < window.row1; ++row) {
        for (std::int64_t col = window.col0; col < window.col1; ++col) {
            const auto i = static_cast<std::size_t>((row - window.row0) * window.cols() + (col - window.col0));
            known[i] = has_data(col, row) ? 1 : 0;
        }
    }

    EditOutcome outcome;
    for (std::size_t k = 0; k < names.size(); ++k) {
        const bool is_painted = names[k] == painted_name;
        auto next = std::make_shared<Raster>(*old_rasters[k]);
        for (std::int64_t row = window.row0; row < window.row1; ++row) {
            for (std::int64_t col = window.col0; col < window.col1; ++col) {
                const auto i = static_cast<std::size_t>((row - window.row0) * window.cols() + (col - window.col0));
                const double f = coverage[i];
                if (f <= 0.0) continue;
                float& value = next->at(col, row);
                if (known[i] != 0) {
                    const double kept = static_cast<double>(value) * (1.0 - f);
                    value = static_cast<float>(is_painted ? kept + f : kept);
                } else if (f >= 1.0 - full_cover_tolerance) {
                    value = is_painted ? 1.0F : 0.0F;
                }
            }
        }
        stack.set_raster(names[k], std::move(next));
        outcome.rasters.push_back(names[k]);
    }
    outcome.summary = fmt::format("paint {}: {} from {}, {:.1f} m2 painted ({} land-cover rasters replaced)",
                                  edit.landcover_class, plural(polygons.geometries.size(), "polygon", "polygons"),
                                  polygons.label, painted_cells * grid.cell_area_m2(), outcome.rasters.size());
    return outcome;
}

}  // namespace

EditOutcome apply_edit(const Edit& edit, LayerStack& stack, io::LoadReport& report) {
    switch (edit.kind) {
        case Edit::Kind::Add: return apply_add(edit, stack, report);
        case Edit::Kind::Remove:
        case Edit::Kind::Set:
        case Edit::Kind::Scale:
            if (edit.filter.empty()) {
                throw ConfigError(fmt::format("{}: {} {}: an edit without a filter would touch every feature",
                                              edit.declared_at, kind_name(edit.kind), edit.role));
            }
            return apply_feature_edit(edit, stack, report);
        case Edit::Kind::Paint: return apply_paint(edit, stack, report);
    }
    throw InternalError("unknown edit kind");
}

}  // namespace areatwin::scenarios
