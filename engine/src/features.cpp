// SPDX-License-Identifier: GPL-3.0-or-later
#include "areatwin/engine/features.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string_view>

#include <fmt/format.h>

namespace areatwin {

namespace {

void extend(Box2& box, bool& any, const Point2& p) {
    if (!any) {
        box = {p.x, p.y, p.x, p.y};
        any = true;
        return;
    }
    box.min_x = std::min(box.min_x, p.x);
    box.min_y = std::min(box.min_y, p.y);
    box.max_x = std::max(box.max_x, p.x);
    box.max_y = std::max(box.max_y, p.y);
}

// Shoelace area; works for closed rings and for rings whose closing point is implied.
double signed_ring_area_m2(const Ring& ring) {
    const std::size_t n = ring.size();
    if (n < 3) return 0.0;
    // Coordinates relative to the first vertex keep the products small in projected CRSs, where
    // absolute values of 1e5..1e6 m would otherwise cost about ten digits of precision.
    const Point2 o = ring.front();
    double twice_area = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const Point2& a = ring[i];
        const Point2& b = ring[(i + 1) % n];
        twice_area += (a.x - o.x) * (b.y - o.y) - (b.x - o.x) * (a.y - o.y);
    }
    return 0.5 * twice_area;
}

std::string_view trim(std::string_view s) {
    const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

std::optional<double> parse_number(std::string_view text) {
    text = trim(text);
    // from_chars rejects a leading '+', which spreadsheets and CSV exports do write.
    if (text.size() > 1 && text.front() == '+' && text[1] != '-' && text[1] != '+') text.remove_prefix(1);
    if (text.empty()) return std::nullopt;
    double value = 0.0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end) return std::nullopt;
    return value;
}

}  // namespace

Box2 Geometry::bounds() const {
    Box2 box;
    bool any = false;
    for (const Point2& p : points) extend(box, any, p);
    for (const auto& line : lines) {
        for (const Point2& p : line) extend(box, any, p);
    }
    for (const Polygon& polygon : polygons) {
        for (const Ring& ring : polygon.rings) {
            for (const Point2& p : ring) extend(box, any, p);
        }
    }
    return box;
}

double Geometry::area_m2() const {
    double area = 0.0;
    for (const Polygon& polygon : polygons) {
        for (std::size_t i = 0; i < polygon.rings.size(); ++i) {
            const double ring_area = std::abs(signed_ring_area_m2(polygon.rings[i]));
            area += i == 0 ? ring_area : -ring_area;
        }
    }
    return area;
}

double Geometry::length_m() const {
    double length = 0.0;
    for (const auto& line : lines) {
        for (std::size_t i = 1; i < line.size(); ++i) {
            length += std::hypot(line[i].x - line[i - 1].x, line[i].y - line[i - 1].y);
        }
    }
    return length;
}

bool Geometry::contains(const Point2& p) const {
    // Crossings of a ray towards +x: a point on a left or bottom boundary counts as inside and one on
    // a right or top boundary as outside, so cells sharing a border never both claim a point.
    bool inside = false;
    for (const Polygon& polygon : polygons) {
        for (const Ring& ring : polygon.rings) {
            const std::size_t n = ring.size();
            for (std::size_t i = 0, j = n - 1; i < n; j = i++) {
                const Point2& a = ring[i];
                const Point2& b = ring[j];
                if ((a.y > p.y) != (b.y > p.y)) {
                    const double x_cross = a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y);
                    if (p.x < x_cross) inside = !inside;
                }
            }
        }
    }
    return inside;
}

std::optional<double> Feature::number(const std::string& key) const {
    const auto it = attributes.find(key);
    if (it == attributes.end()) return std::nullopt;
    std::optional<double> value;
    if (const auto* d = std::get_if<double>(&it->second)) value = *d;
    else if (const auto* s = std::get_if<std::string>(&it->second)) value = parse_number(*s);
    // NaN and infinity are what readers produce for empty or broken numeric fields, never data.
    if (value && !std::isfinite(*value)) return std::nullopt;
    return value;
}

double Feature::number_or(const std::string& key, double fallback) const {
    return number(key).value_or(fallback);
}

std::optional<std::string> Feature::text(const std::string& key) const {
    const auto it = attributes.find(key);
    if (it == attributes.end()) return std::nullopt;
    if (const auto* s = std::get_if<std::string>(&it->second)) return *s;
    // Class codes often arrive as numeric fields; the shortest round-trip form gives "3", not "3.000000".
    if (const auto* d = std::get_if<double>(&it->second)) return fmt::format("{}", *d);
    return std::nullopt;
}

}  // namespace areatwin
