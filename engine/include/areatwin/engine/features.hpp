// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "areatwin/engine/grid.hpp"

namespace areatwin {

using Ring = std::vector<Point2>;  // closed: the first point is repeated at the end

struct Polygon {
    std::vector<Ring> rings;  // rings[0] is the exterior, the rest are holes
};

// A geometry in the grid CRS. One kind per feature; "multi" kinds hold several parts.
struct Geometry {
    enum class Kind { Point, Line, Polygon };
    Kind kind = Kind::Point;
    std::vector<Point2> points;               // Kind::Point (one or more)
    std::vector<std::vector<Point2>> lines;   // Kind::Line (one or more parts)
    std::vector<Polygon> polygons;            // Kind::Polygon (one or more parts)

    [[nodiscard]] Box2 bounds() const;
    [[nodiscard]] bool empty() const { return points.empty() && lines.empty() && polygons.empty(); }
    [[nodiscard]] double area_m2() const;    // polygons only; holes subtracted
    [[nodiscard]] double length_m() const;   // lines only
    [[nodiscard]] bool contains(const Point2& p) const;  // polygons only, even-odd rule
};

using AttributeValue = std::variant<std::monostate, double, std::string>;

struct Feature {
    std::int64_t id = 0;     // the source FID, for messages
    std::string source;      // file and layer the feature came from, for messages
    Geometry geometry;
    std::map<std::string, AttributeValue> attributes;  // canonical names, see roles.hpp

    [[nodiscard]] std::optional<double> number(const std::string& key) const;
    [[nodiscard]] double number_or(const std::string& key, double fallback) const;
    [[nodiscard]] std::optional<std::string> text(const std::string& key) const;
};

// The features of one input role after loading, reprojection, field mapping and edits.
struct FeatureSet {
    std::string role;
    std::vector<Feature> features;
};

}  // namespace areatwin
