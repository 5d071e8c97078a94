// SPDX-License-Identifier: GPL-3.0-or-later
#include "styles.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

#include <fmt/format.h>

#include "areatwin/engine/errors.hpp"

namespace areatwin::io::detail {
namespace {

struct Rgb {
    std::uint8_t r = 0;
    std::uint8_t g = 0;
    std::uint8_t b = 0;
};

struct Stop {
    double position = 0.0;  // 0..1 along the ramp
    Rgb colour;
};

// Interpolated ramps, first stop at 0 and last at 1. "viridis" uses five samples of matplotlib's
// viridis; the others are ColorBrewer-like and chosen to stay readable on a white background.
const std::vector<Stop>& gradient_stops(std::string_view ramp) {
    static const std::vector<Stop> green{{0.0, {255, 255, 255}}, {0.5, {116, 196, 118}}, {1.0, {0, 68, 27}}};
    static const std::vector<Stop> heat{{0.0, {44, 123, 182}}, {0.5, {255, 255, 191}}, {1.0, {215, 25, 28}}};
    static const std::vector<Stop> diverging{{0.0, {33, 102, 172}},  {0.25, {146, 197, 222}},
                                             {0.5, {255, 255, 255}}, {0.75, {244, 165, 130}},
                                             {1.0, {178, 24, 43}}};
    static const std::vector<Stop> viridis{{0.0, {68, 1, 84}},     {0.25, {59, 82, 139}}, {0.5, {33, 145, 140}},
                                           {0.75, {94, 201, 98}}, {1.0, {253, 231, 37}}};
    if (ramp == "green") return green;
    if (ramp == "heat") return heat;
    if (ramp == "diverging") return diverging;
    return viridis;
}

// Noise maps are read in 5 dB classes with the DIN 45682 colours; index 0 is the class below 40 dB,
// index 9 the class from 80 dB up.
constexpr std::array<Rgb, 10> kNoiseClassColours{{{160, 186, 191},
                                                  {184, 214, 209},
                                                  {206, 228, 204},
                                                  {226, 242, 191},
                                                  {243, 198, 131},
                                                  {232, 126, 77},
                                                  {205, 70, 62},
                                                  {161, 26, 77},
                                                  {117, 8, 92},
                                                  {67, 10, 74}}};

Rgb noise_class_colour(double lower_db) {
    const auto index = std::clamp(static_cast<int>(std::floor((lower_db - 35.0) / 5.0)), 0,
                                  static_cast<int>(kNoiseClassColours.size()) - 1);
    return kNoiseClassColours[static_cast<std::size_t>(index)];
}

Rgb interpolate(const std::vector<Stop>& stops, double position) {
    position = std::clamp(position, 0.0, 1.0);
    for (std::size_t i = 1; i < stops.size(); ++i) {
        if (position <= stops[i].position) {
            const Stop& a = stops[i - 1];
            const Stop& b = stops[i];
            const double t = (position - a.position) / (b.position - a.position);
            auto mix = [t](std::uint8_t x, std::uint8_t y) {
                return static_cast<std::uint8_t>(std::lround(x + t * (y - x)));
            };
            return {mix(a.colour.r, b.colour.r), mix(a.colour.g, b.colour.g), mix(a.colour.b, b.colour.b)};
        }
    }
    return stops.back().colour;
}

std::string hex(Rgb c) { return fmt::format("#{:02x}{:02x}{:02x}", c.r, c.g, c.b); }
std::string rgba(Rgb c) { return fmt::format("{},{},{},255", c.r, c.g, c.b); }

std::string xml_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char ch : s) {
        switch (ch) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default: out += ch;
        }
    }
    return out;
}

std::string number(double v) { return fmt::format("{}", v); }

// A value-to-colour entry of a colour ramp shader.
struct Item {
    std::string value;  // "inf" for the open last class of a discrete ramp
    Rgb colour;
    std::string label;
};

// QGIS wrote both the <Option> map and the older <prop> list during the 3.x series; writing both
// lets every 3.x release read the ramp.
std::string colorramp_xml(const std::vector<Stop>& stops, bool discrete) {
    std::string inner_stops;
    for (std::size_t i = 1; i + 1 < stops.size(); ++i) {
        if (!inner_stops.empty()) inner_stops += ':';
        inner_stops += fmt::format("{};{}", number(stops[i].position), rgba(stops[i].colour));
    }
    const std::string c1 = rgba(stops.front().colour);
    const std::string c2 = rgba(stops.back().colour);
    const char* disc = discrete ? "1" : "0";
    std::string xml = "          <colorramp type=\"gradient\" name=\"[source]\">\n";
    xml += "            <Option type=\"Map\">\n";
    xml += fmt::format("              <Option type=\"QString\" name=\"color1\" value=\"{}\"/>\n", c1);
    xml += fmt::format("              <Option type=\"QString\" name=\"color2\" value=\"{}\"/>\n", c2);
    xml += fmt::format("              <Option type=\"QString\" name=\"discrete\" value=\"{}\"/>\n", disc);
    xml += "              <Option type=\"QString\" name=\"rampType\" value=\"gradient\"/>\n";
    if (!inner_stops.empty())
        xml += fmt::format("              <Option type=\"QString\" name=\"stops\" value=\"{}\"/>\n", inner_stops);
    xml += "            </Option>\n";
    xml += fmt::format("            <prop k=\"color1\" v=\"{}\"/>\n", c1);
    xml += fmt::format("            <prop k=\"color2\" v=\"{}\"/>\n", c2);
    xml += fmt::format("            <prop k=\"discrete\" v=\"{}\"/>\n", disc);
    xml += "            <prop k=\"rampType\" v=\"gradient\"/>\n";
    if (!inner_stops.empty()) xml += fmt::format("            <prop k=\"stops\" v=\"{}\"/>\n", inner_stops);
    xml += "          </colorramp>\n";
    return xml;
}

std::string raster_qml(const RasterStyle& style, const char* ramp_type, const std::vector<Stop>& ramp_stops,
                       const std::vector<Item>& items) {
    std::string xml = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n";
    xml += "<qgis version=\"3.22.0\" styleCategories=\"AllStyleCategories\">\n";
    xml += "  <pipe>\n";
    xml += fmt::format(
        "    <rasterrenderer type=\"singlebandpseudocolor\" band=\"1\" opacity=\"1\" alphaBand=\"-1\" "
        "classificationMin=\"{}\" classificationMax=\"{}\" nodataColor=\"\">\n",
        number(style.min), number(style.max));
    xml += "      <rasterTransparency/>\n";
    xml += "      <minMaxOrigin>\n";
    xml += "        <limits>None</limits>\n";
    xml += "        <extent>WholeRaster</extent>\n";
    xml += "        <statAccuracy>Estimated</statAccuracy>\n";
    xml += "        <cumulativeCutLower>0.02</cumulativeCutLower>\n";
    xml += "        <cumulativeCutUpper>0.98</cumulativeCutUpper>\n";
    xml += "        <stdDevFactor>2</stdDevFactor>\n";
    xml += "      </minMaxOrigin>\n";
    xml += "      <rastershader>\n";
    xml += fmt::format(
        "        <colorrampshader colorRampType=\"{}\" classificationMode=\"{}\" clip=\"0\" "
        "minimumValue=\"{}\" maximumValue=\"{}\" labelPrecision=\"2\">\n",
        ramp_type, std::string_view(ramp_type) == "DISCRETE" ? 2 : 1, number(style.min), number(style.max));
    xml += colorramp_xml(ramp_stops, std::string_view(ramp_type) == "DISCRETE");
    for (const Item& item : items) {
        xml += fmt::format("          <item alpha=\"255\" value=\"{}\" label=\"{}\" color=\"{}\"/>\n", item.value,
                           xml_escape(item.label), hex(item.colour));
    }
    xml += "        </colorrampshader>\n";
    xml += "      </rastershader>\n";
    xml += "    </rasterrenderer>\n";
    xml += "    <brightnesscontrast brightness=\"0\" contrast=\"0\" gamma=\"1\"/>\n";
    xml += "    <huesaturation saturation=\"0\" grayscaleMode=\"0\" colorizeOn=\"0\" colorizeRed=\"255\" "
           "colorizeGreen=\"128\" colorizeBlue=\"128\" colorizeStrength=\"100\" invertColors=\"0\"/>\n";
    xml += "    <rasterresampler maxOversampling=\"2\"/>\n";
    xml += "    <resamplingStage>resamplingFilter</resamplingStage>\n";
    xml += "  </pipe>\n";
    xml += "  <blendMode>0</blendMode>\n";
    xml += "</qgis>\n";
    return xml;
}

std::string noise_qml(const RasterStyle& style) {
    std::vector<Item> items;
    std::vector<Stop> stops;
    const double first_lower = std::floor(style.min / 5.0) * 5.0;
    for (double lower = first_lower; lower < style.max; lower += 5.0) {
        const bool last = lower + 5.0 >= style.max;
        Item item;
        item.colour = noise_class_colour(lower);
        if (lower == first_lower && !last) {
            item.value = number(lower + 5.0);
            item.label = fmt::format("< {}", number(lower + 5.0));
        } else if (last) {
            item.value = "inf";
            item.label = fmt::format(">= {}", number(lower));
        } else {
            item.value = number(lower + 5.0);
            item.label = fmt::format("{} - {}", number(lower), number(lower + 5.0));
        }
        items.push_back(item);
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
        const double position = items.size() == 1 ? 0.0 : static_cast<double>(i) / static_cast<double>(items.size());
        stops.push_back({position, items[i].colour});
    }
    stops.push_back({1.0, items.back().colour});
    return raster_qml(style, "DISCRETE", stops, items);
}

std::string gradient_qml(const RasterStyle& style) {
    const auto& stops = gradient_stops(style.ramp);
    std::vector<Item> items;
    std::vector<Stop> used_stops;
    if (style.ramp == "diverging") {
        // Centred on zero: the ramp spans [-m, m] so equal differences get equal colours whichever
        // side they fall on, and zero is white even for an asymmetric range.
        const double m = std::max(std::abs(style.min), std::abs(style.max));
        auto position_of = [m](double v) { return 0.5 + 0.5 * v / m; };
        std::vector<double> values{style.min};
        for (const Stop& s : stops) {
            const double v = (s.position - 0.5) * 2.0 * m;
            if (v > style.min && v < style.max) values.push_back(v);
        }
        values.push_back(style.max);
        for (double v : values) {
            const Rgb c = interpolate(stops, position_of(v));
            items.push_back({number(v), c, number(v)});
            used_stops.push_back({(v - style.min) / (style.max - style.min), c});
        }
    } else {
        for (const Stop& s : stops) {
            const double v = style.min + s.position * (style.max - style.min);
            items.push_back({number(v), s.colour, number(v)});
        }
        used_stops = stops;
    }
    return raster_qml(style, "INTERPOLATED", used_stops, items);
}

std::string symbol_layer_xml(const char* layer_class, const std::vector<std::pair<std::string, std::string>>& props) {
    std::string xml = fmt::format("        <layer class=\"{}\" enabled=\"1\" locked=\"0\" pass=\"0\">\n", layer_class);
    xml += "          <Option type=\"Map\">\n";
    for (const auto& [k, v] : props)
        xml += fmt::format("            <Option type=\"QString\" name=\"{}\" value=\"{}\"/>\n", k, v);
    xml += "          </Option>\n";
    for (const auto& [k, v] : props) xml += fmt::format("          <prop k=\"{}\" v=\"{}\"/>\n", k, v);
    xml += "        </layer>\n";
    return xml;
}

Rgb parse_colour(const std::string& text, const std::string& table) {
    auto digit = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    bool ok = text.size() == 7 && text[0] == '#';
    for (std::size_t i = 1; ok && i < 7; ++i) ok = digit(text[i]) >= 0;
    if (!ok) throw ConfigError(fmt::format("table '{}': style colour '{}' is not of the form #rrggbb", table, text));
    auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(digit(text[i]) * 16 + digit(text[i + 1])); };
    return {byte(1), byte(3), byte(5)};
}

void check_classes(const std::vector<StyleClass>& classes, const std::string& table) {
    for (std::size_t i = 0; i < classes.size(); ++i) {
        (void)parse_colour(classes[i].colour, table);
        if (!std::isfinite(classes[i].lower) || (i > 0 && !(classes[i].lower > classes[i - 1].lower))) {
            throw ConfigError(fmt::format("table '{}': style class {} ('{}') must have a finite lower bound above the "
                                          "previous class's",
                                          table, i + 1, classes[i].label));
        }
    }
}

// A discrete shader from explicit classes: each item's value is the upper bound of its class (the next
// class's lower bound), the last class open-ended.
std::string classes_qml(const RasterStyle& style, const std::string& table) {
    std::vector<Item> items;
    std::vector<Stop> stops;
    const auto& classes = style.classes;
    for (std::size_t i = 0; i < classes.size(); ++i) {
        Item item;
        item.colour = parse_colour(classes[i].colour, table);
        item.value = i + 1 < classes.size() ? number(classes[i + 1].lower) : std::string("inf");
        item.label = classes[i].label;
        items.push_back(item);
        stops.push_back({static_cast<double>(i) / static_cast<double>(classes.size()), item.colour});
    }
    stops.push_back({1.0, items.back().colour});
    return raster_qml(style, "DISCRETE", stops, items);
}

// The classes a point layer is drawn with: explicit ones, the 5 dB noise classes, or five equal steps.
struct Range {
    double lower = 0.0;
    double upper = 0.0;
    Rgb colour;
    std::string label;
};

std::vector<Range> point_ranges(const RasterStyle& style, const std::string& table) {
    constexpr double kOpen = 1e30;  // stands for an open end in QGIS's range list
    std::vector<Range> ranges;
    if (!style.classes.empty()) {
        for (std::size_t i = 0; i < style.classes.size(); ++i) {
            const auto& c = style.classes[i];
            ranges.push_back({i == 0 ? -kOpen : c.lower, i + 1 < style.classes.size() ? style.classes[i + 1].lower : kOpen,
                              parse_colour(c.colour, table), c.label});
        }
        return ranges;
    }
    if (style.ramp == "noise") {
        const double first_lower = std::floor(style.min / 5.0) * 5.0;
        for (double lower = first_lower; lower < style.max; lower += 5.0) {
            const bool first = lower == first_lower;
            const bool last = lower + 5.0 >= style.max;
            ranges.push_back({first ? -kOpen : lower, last ? kOpen : lower + 5.0, noise_class_colour(lower),
                              first && !last ? fmt::format("< {}", number(lower + 5.0))
                              : last         ? fmt::format(">= {}", number(lower))
                                             : fmt::format("{} - {}", number(lower), number(lower + 5.0))});
        }
        return ranges;
    }
    const auto& stops = gradient_stops(style.ramp);
    constexpr int kSteps = 5;
    const double step = (style.max - style.min) / kSteps;
    for (int i = 0; i < kSteps; ++i) {
        const double lo = style.min + step * i;
        const double hi = style.min + step * (i + 1);
        ranges.push_back({i == 0 ? -kOpen : lo, i + 1 == kSteps ? kOpen : hi,
                          interpolate(stops, (static_cast<double>(i) + 0.5) / kSteps),
                          fmt::format("{} - {}", number(lo), number(hi))});
    }
    return ranges;
}

std::string marker_symbol_xml(const std::string& name, Rgb colour) {
    return fmt::format("      <symbol type=\"marker\" name=\"{}\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\">\n", name) +
           symbol_layer_xml("SimpleMarker", {{"color", rgba(colour)},
                                             {"name", "circle"},
                                             {"outline_color", "50,50,50,255"},
                                             {"outline_width", "0.2"},
                                             {"outline_width_unit", "MM"},
                                             {"size", "2.2"},
                                             {"size_unit", "MM"}}) +
           "      </symbol>\n";
}

std::string fill_symbol_xml(const std::string& name, Rgb colour) {
    return fmt::format("      <symbol type=\"fill\" name=\"{}\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\">\n", name) +
           symbol_layer_xml("SimpleFill", {{"color", rgba(colour)},
                                           {"outline_color", "50,50,50,255"},
                                           {"outline_style", "solid"},
                                           {"outline_width", "0.4"},
                                           {"outline_width_unit", "MM"},
                                           {"style", "solid"}}) +
           "      </symbol>\n";
}

// A graduated renderer over `column` with the ranges of `style`, one symbol per range.
std::string graduated_style_qml(const RasterStyle& style, const std::string& column, const std::string& table,
                                bool polygons) {
    if (style.classes.empty()) (void)raster_style_qml(style, table);  // the same checks of ramp and range
    check_classes(style.classes, table);
    const auto ranges = point_ranges(style, table);
    std::string xml = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n";
    xml += "<qgis version=\"3.22.0\" styleCategories=\"Symbology\">\n";
    xml += fmt::format("  <renderer-v2 type=\"graduatedSymbol\" attr=\"{}\" graduatedMethod=\"GraduatedColor\" "
                       "symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\">\n",
                       xml_escape(column));
    xml += "    <ranges>\n";
    for (std::size_t i = 0; i < ranges.size(); ++i) {
        xml += fmt::format("      <range lower=\"{}\" upper=\"{}\" symbol=\"{}\" label=\"{}\" render=\"true\"/>\n",
                           number(ranges[i].lower), number(ranges[i].upper), i, xml_escape(ranges[i].label));
    }
    xml += "    </ranges>\n";
    xml += "    <symbols>\n";
    for (std::size_t i = 0; i < ranges.size(); ++i) {
        xml += polygons ? fill_symbol_xml(std::to_string(i), ranges[i].colour)
                        : marker_symbol_xml(std::to_string(i), ranges[i].colour);
    }
    xml += "    </symbols>\n";
    xml += "  </renderer-v2>\n";
    xml += "  <blendMode>0</blendMode>\n";
    xml += "  <featureBlendMode>0</featureBlendMode>\n";
    xml += fmt::format("  <layerGeometryType>{}</layerGeometryType>\n", polygons ? 2 : 0);
    xml += "</qgis>\n";
    return xml;
}

}  // namespace

const std::vector<std::string>& raster_ramp_names() {
    static const std::vector<std::string> names{"green", "noise", "heat", "diverging", "viridis"};
    return names;
}

bool is_raster_ramp(std::string_view ramp) {
    const auto& names = raster_ramp_names();
    return std::find(names.begin(), names.end(), ramp) != names.end();
}

std::string raster_style_qml(const RasterStyle& style, const std::string& table) {
    if (!is_raster_ramp(style.ramp)) {
        throw ConfigError(fmt::format("raster table '{}': unknown colour ramp '{}' (known: green, noise, heat, "
                                      "diverging, viridis)",
                                      table, style.ramp));
    }
    if (!std::isfinite(style.min) || !std::isfinite(style.max) || !(style.max > style.min)) {
        throw ConfigError(fmt::format("raster table '{}': style range [{}, {}] must be finite with max > min",
                                      table, style.min, style.max));
    }
    if (!style.classes.empty()) {
        check_classes(style.classes, table);
        return classes_qml(style, table);
    }
    return style.ramp == "noise" ? noise_qml(style) : gradient_qml(style);
}

std::string point_style_qml(const RasterStyle& style, const std::string& column, const std::string& table) {
    return graduated_style_qml(style, column, table, false);
}

std::string polygon_style_qml(const RasterStyle& style, const std::string& column, const std::string& table) {
    return graduated_style_qml(style, column, table, true);
}

std::string default_vector_style_qml(Geometry::Kind kind) {
    std::string symbol;
    switch (kind) {
        case Geometry::Kind::Polygon:
            symbol = "      <symbol type=\"fill\" name=\"0\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\">\n" +
                     symbol_layer_xml("SimpleFill", {{"color", "166,206,227,96"},
                                                     {"outline_color", "31,120,180,255"},
                                                     {"outline_style", "solid"},
                                                     {"outline_width", "0.4"},
                                                     {"outline_width_unit", "MM"},
                                                     {"style", "solid"}});
            break;
        case Geometry::Kind::Line:
            symbol = "      <symbol type=\"line\" name=\"0\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\">\n" +
                     symbol_layer_xml("SimpleLine", {{"line_color", "31,120,180,255"},
                                                     {"line_style", "solid"},
                                                     {"line_width", "0.5"},
                                                     {"line_width_unit", "MM"}});
            break;
        case Geometry::Kind::Point:
            symbol = "      <symbol type=\"marker\" name=\"0\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\">\n" +
                     symbol_layer_xml("SimpleMarker", {{"color", "31,120,180,255"},
                                                       {"name", "circle"},
                                                       {"outline_color", "255,255,255,255"},
                                                       {"outline_width", "0.2"},
                                                       {"outline_width_unit", "MM"},
                                                       {"size", "2"},
                                                       {"size_unit", "MM"}});
            break;
    }
    std::string xml = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n";
    xml += "<qgis version=\"3.22.0\" styleCategories=\"Symbology\">\n";
    xml += "  <renderer-v2 type=\"singleSymbol\" symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\">\n";
    xml += "    <symbols>\n";
    xml += symbol;
    xml += "      </symbol>\n";
    xml += "    </symbols>\n";
    xml += "  </renderer-v2>\n";
    xml += "  <blendMode>0</blendMode>\n";
    xml += "  <featureBlendMode>0</featureBlendMode>\n";
    xml += "  <layerGeometryType>" +
           std::string(kind == Geometry::Kind::Point ? "0" : kind == Geometry::Kind::Line ? "1" : "2") +
           "</layerGeometryType>\n";
    xml += "</qgis>\n";
    return xml;
}

RampColour raster_style_colour(const RasterStyle& style, double value) {
    auto out = [](Rgb c) { return RampColour{c.r, c.g, c.b}; };
    if (!style.classes.empty()) {
        // QGIS's DISCRETE shader with the items classes_qml writes: the first class whose upper bound is
        // >= value, the last open-ended. An unparsable colour draws black (the writer refuses it first).
        std::size_t i = 0;
        while (i + 1 < style.classes.size() && value > style.classes[i + 1].lower) ++i;
        try {
            return out(parse_colour(style.classes[i].colour, "report"));
        } catch (const ConfigError&) {
            return out(Rgb{});
        }
    }
    if (style.ramp == "noise") {
        // QGIS's DISCRETE shader: the first class whose upper bound is >= value, the last open-ended,
        // with the classes noise_qml builds.
        const double first_lower = std::floor(style.min / 5.0) * 5.0;
        for (double lower = first_lower;; lower += 5.0) {
            if (lower + 5.0 >= style.max || value <= lower + 5.0) return out(noise_class_colour(lower));
        }
    }
    const auto& stops = gradient_stops(style.ramp);
    const double v = std::clamp(value, style.min, style.max);
    if (style.ramp == "diverging") {
        const double m = std::max(std::abs(style.min), std::abs(style.max));
        return out(interpolate(stops, m > 0.0 ? 0.5 + 0.5 * v / m : 0.5));
    }
    const double span = style.max - style.min;
    return out(interpolate(stops, span > 0.0 ? (v - style.min) / span : 0.0));
}

}  // namespace areatwin::io::detail
