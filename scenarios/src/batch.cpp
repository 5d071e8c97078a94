// SPDX-License-Identifier: GPL-3.0-or-later
#include "areatwin/scenarios/batch.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/roles.hpp"
#include "areatwin/io/load.hpp"

namespace areatwin::scenarios {

namespace {

using Keys = std::span<const std::string_view>;

// Beyond this the grid needs more than 40 GB per Float32 layer; a typo in cell_size_m is likelier.
constexpr double max_grid_side_cells = 100000.0;

constexpr std::string_view top_keys[] = {"name", "area", "inputs", "indicators", "variants", "scenarios", "outputs"};
constexpr std::string_view variant_keys[] = {"indicator", "parameter", "values"};
constexpr std::string_view area_keys[] = {"crs", "cell_size_m", "bbox", "polygon"};
constexpr std::string_view source_keys[] = {"source", "layer", "preset", "fields", "class_field", "classes",
                                            "default_class", "where", "assign_crs", "coverage", "band",
                                            "min_canopy_height_m"};
constexpr std::string_view add_keys[] = {"role", "source", "layer", "preset", "fields", "class_field", "classes",
                                         "default_class", "where", "assign_crs", "coverage", "band"};
constexpr std::string_view polygon_source_keys[] = {"source", "layer", "where", "assign_crs"};
constexpr std::string_view field_keys[] = {"field", "unit", "default"};
constexpr std::string_view scenario_keys[] = {"name", "description", "base", "edits"};
constexpr std::string_view edit_kinds[] = {"add", "remove", "set", "scale", "paint"};
constexpr std::string_view remove_keys[] = {"role", "inside", "where"};
constexpr std::string_view set_keys[] = {"role", "inside", "where", "values"};
constexpr std::string_view scale_keys[] = {"role", "inside", "where", "factors"};
constexpr std::string_view paint_keys[] = {"class", "inside"};
constexpr std::string_view output_keys[] = {"path", "differences", "compare", "tile_size"};
constexpr std::string_view presets[] = {"bgt", "bag", "3dbag", "nwb", "cbs-buurten", "ahn"};

template <typename Range>
std::string join(const Range& items, std::string_view separator = ", ") {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += separator;
        out += item;
    }
    return out;
}

bool contains(Keys keys, std::string_view key) {
    return std::find(keys.begin(), keys.end(), key) != keys.end();
}

std::vector<std::string> role_names() {
    std::vector<std::string> names;
    for (const auto& role : input_roles()) names.push_back(role.name);
    return names;
}

bool role_has_geometry(const RoleSpec& role, std::string_view kind) {
    return role.geometry.find(kind) != std::string::npos;
}

bool is_feature_role(const RoleSpec& role) {
    return role_has_geometry(role, "polygon") || role_has_geometry(role, "line") ||
           role_has_geometry(role, "point");
}

bool valid_scenario_name(const std::string& name) {
    if (name.empty() || name[0] < 'a' || name[0] > 'z') return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

// A plain (unquoted) YAML scalar that reads as a finite number; quoted "10" stays a string so that
// the parser agrees with JSON Schema and with YAML readers in other languages.
std::optional<double> plain_number(const YAML::Node& node) {
    if (!node.IsScalar() || node.Tag() != "?") return std::nullopt;
    std::string_view text = node.Scalar();
    if (text.size() > 1 && text.front() == '+') text.remove_prefix(1);
    if (text.empty()) return std::nullopt;
    double value = 0.0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end || !std::isfinite(value)) return std::nullopt;
    return value;
}

// One key of a mapping with where it was written. `line` is 1-based and points at the key, which is
// where a reader looks first (the value of `key:` with nothing after it has no line of its own).
struct Entry {
    std::string key;
    YAML::Node value;
    int line = 0;
};

struct Entries {
    std::vector<Entry> items;
    int line = 0;  // line of the mapping's owner key, for "missing key" messages

    [[nodiscard]] const Entry* find(std::string_view key) const {
        for (const auto& e : items) {
            if (e.key == key) return &e;
        }
        return nullptr;
    }
};

class BatchReader {
public:
    BatchReader(std::string label, std::filesystem::path folder)
        : label_(std::move(label)), folder_(std::move(folder)) {}

    Batch read(const YAML::Node& root, Batch batch);

private:
    std::string label_;
    std::filesystem::path folder_;

    [[nodiscard]] std::string at(int line) const { return fmt::format("{}:{}", label_, line); }

    [[noreturn]] void fail(int line, const std::string& message) const {
        throw ConfigError(fmt::format("{}: {}", at(line), message));
    }

    static int line_of(const YAML::Node& node, int fallback) {
        const int line = node.Mark().line;
        return line >= 0 ? line + 1 : fallback;
    }

    Entries mapping(const YAML::Node& node, int line, const std::string& section, Keys allowed) const;
    Entries open_mapping(const YAML::Node& node, int line, const std::string& section) const;

    double number(const Entry& e, std::string_view requirement) const;
    double positive_number(const Entry& e) const;
    std::string text(const Entry& e) const;
    std::string non_empty_text(const Entry& e) const;
    bool boolean(const Entry& e) const;
    std::int64_t integer(const Entry& e, std::int64_t min, std::int64_t max) const;
    std::filesystem::path path(const Entry& e) const;

    const RoleSpec& role(const Entry& e) const;
    const AttributeSpec* attribute(const RoleSpec& role, const Entry& e, std::string_view section) const;
    std::string landcover_class(const Entry& e) const;
    AttributeValue attribute_value(const YAML::Node& node, int line, const AttributeSpec* spec,
                                   const std::string& what) const;

    GridSpec area(const Entry& section) const;
    io::SourceSpec polygon_source(const Entry& e, const std::string& section) const;
    void source_fields(const Entries& entries, const RoleSpec* role, const std::string& section,
                       io::SourceSpec& spec) const;
    io::SourceSpec input_source(const YAML::Node& node, int line, const RoleSpec& role,
                                const std::string& section) const;
    std::vector<io::SourceSpec> inputs(const Entry& section) const;
    std::vector<IndicatorRequest> indicators(const Entry& section) const;
    RawValue raw_value(const Entry& e, const std::string& indicator) const;
    std::vector<Scenario> scenarios(const Entry& section) const;
    Edit edit(const YAML::Node& node, int line, const std::string& section) const;
    std::vector<std::pair<std::string, std::string>> comparisons(const Entry& e, const std::vector<Scenario>& scenarios) const;
    std::vector<VariantRequest> variants(const Entry& section, const std::vector<IndicatorRequest>& indicators) const;
    FeatureFilter filter(const Entries& entries, const RoleSpec& role, const std::string& section) const;
};

Entries BatchReader::mapping(const YAML::Node& node, int line, const std::string& section,
                             Keys allowed) const {
    Entries entries = open_mapping(node, line, section);
    for (const auto& e : entries.items) {
        if (!contains(allowed, e.key)) {
            fail(e.line, fmt::format("unknown key '{}' in {} (expected one of: {})", e.key, section,
                                     join(allowed)));
        }
    }
    return entries;
}

Entries BatchReader::open_mapping(const YAML::Node& node, int line, const std::string& section) const {
    if (!node.IsMap()) {
        fail(line_of(node, line), fmt::format("'{}' must be a mapping of 'key: value' entries", section));
    }
    Entries entries;
    entries.line = line;
    for (auto it = node.begin(); it != node.end(); ++it) {
        const int key_line = line_of(it->first, line);
        if (!it->first.IsScalar()) fail(key_line, fmt::format("a key in {} must be a plain name", section));
        std::string key = it->first.Scalar();
        // yaml-cpp keeps repeated keys; the YAML spec forbids them and the second one would be ignored.
        if (const Entry* first = entries.find(key)) {
            fail(key_line, fmt::format("duplicate key '{}' in {} (first given at line {})", key, section,
                                       first->line));
        }
        entries.items.push_back({std::move(key), it->second, key_line});
    }
    return entries;
}

double BatchReader::number(const Entry& e, std::string_view requirement) const {
    const auto value = plain_number(e.value);
    if (!value) fail(e.line, fmt::format("'{}' must be {}", e.key, requirement));
    return *value;
}

double BatchReader::positive_number(const Entry& e) const {
    const double value = number(e, "a number > 0");
    if (!(value > 0.0)) fail(e.line, fmt::format("'{}' must be a number > 0", e.key));
    return value;
}

std::string BatchReader::text(const Entry& e) const {
    if (!e.value.IsScalar()) fail(e.line, fmt::format("'{}' must be a string", e.key));
    return e.value.Scalar();
}

std::string BatchReader::non_empty_text(const Entry& e) const {
    std::string value = text(e);
    if (value.empty()) fail(e.line, fmt::format("'{}' must not be empty", e.key));
    return value;
}

bool BatchReader::boolean(const Entry& e) const {
    if (e.value.IsScalar() && e.value.Tag() == "?") {
        const std::string& s = e.value.Scalar();
        if (s == "true" || s == "True" || s == "TRUE") return true;
        if (s == "false" || s == "False" || s == "FALSE") return false;
    }
    fail(e.line, fmt::format("'{}' must be true or false", e.key));
}

std::int64_t BatchReader::integer(const Entry& e, std::int64_t min, std::int64_t max) const {
    const std::string requirement = fmt::format("a whole number from {} to {}", min, max);
    const double value = number(e, requirement);
    if (value != std::floor(value) || value < static_cast<double>(min) || value > static_cast<double>(max)) {
        fail(e.line, fmt::format("'{}' must be {}", e.key, requirement));
    }
    return static_cast<std::int64_t>(value);
}

std::filesystem::path BatchReader::path(const Entry& e) const {
    const std::string value = non_empty_text(e);
    // GDAL virtual file systems and URLs are not paths on this machine; normalising would break them.
    if (value.rfind("/vsi", 0) == 0 || value.find("://") != std::string::npos) return value;
    return std::filesystem::weakly_canonical(folder_ / std::filesystem::path(value));
}

const RoleSpec& BatchReader::role(const Entry& e) const {
    const std::string name = non_empty_text(e);
    const RoleSpec* spec = find_role(name);
    if (spec == nullptr) {
        fail(e.line, fmt::format("unknown role '{}' (expected one of: {})", name, join(role_names())));
    }
    return *spec;
}

const AttributeSpec* BatchReader::attribute(const RoleSpec& role, const Entry& e,
                                            std::string_view section) const {
    for (const auto& spec : role.attributes) {
        if (spec.name == e.key) return &spec;
    }
    if (role.open_attributes) return nullptr;
    std::vector<std::string> known;
    for (const auto& spec : role.attributes) known.push_back(spec.name);
    if (known.empty()) {
        fail(e.line, fmt::format("unknown attribute '{}' in {}: role '{}' has no attributes", e.key, section,
                                 role.name));
    }
    fail(e.line, fmt::format("unknown attribute '{}' in {} for role '{}' (known: {})", e.key, section,
                             role.name, join(known)));
}

std::string BatchReader::landcover_class(const Entry& e) const {
    const std::string name = non_empty_text(e);
    const auto& classes = landcover_classes();
    if (std::find(classes.begin(), classes.end(), name) == classes.end()) {
        fail(e.line, fmt::format("unknown landcover class '{}' in '{}' (expected one of: {})", name, e.key,
                                 join(classes)));
    }
    return name;
}

AttributeValue BatchReader::attribute_value(const YAML::Node& node, int line, const AttributeSpec* spec,
                                            const std::string& what) const {
    if (!node.IsScalar()) fail(line, fmt::format("{} must be a single value", what));
    if (spec != nullptr && spec->text) return node.Scalar();
    if (const auto number = plain_number(node)) return *number;
    if (spec != nullptr) {
        fail(line, fmt::format("{} must be a number ('{}' is a numeric attribute{})", what, spec->name,
                               spec->unit.empty() ? "" : " in " + spec->unit));
    }
    return node.Scalar();
}

GridSpec BatchReader::area(const Entry& section) const {
    const Entries entries = mapping(section.value, section.line, "area", area_keys);
    std::string crs = "EPSG:28992";
    if (const Entry* e = entries.find("crs")) crs = non_empty_text(*e);

    const Entry* cell = entries.find("cell_size_m");
    if (cell == nullptr) fail(section.line, "missing required key 'cell_size_m' in area");
    const double cell_size_m = positive_number(*cell);

    const Entry* bbox = entries.find("bbox");
    const Entry* polygon = entries.find("polygon");
    if (bbox != nullptr && polygon != nullptr) {
        fail(polygon->line, fmt::format("area has both 'bbox' (line {}) and 'polygon'; give one of them",
                                        bbox->line));
    }
    Box2 box;
    int box_line = section.line;
    if (bbox != nullptr) {
        box_line = bbox->line;
        const std::string requirement = "a list of 4 numbers [xmin, ymin, xmax, ymax]";
        if (!bbox->value.IsSequence() || bbox->value.size() != 4) {
            fail(bbox->line, fmt::format("'bbox' must be {}", requirement));
        }
        double v[4];
        for (std::size_t i = 0; i < 4; ++i) {
            const auto number = plain_number(bbox->value[i]);
            if (!number) fail(bbox->line, fmt::format("'bbox' must be {}", requirement));
            v[i] = *number;
        }
        box = {v[0], v[1], v[2], v[3]};
        if (!(box.min_x < box.max_x) || !(box.min_y < box.max_y)) {
            fail(bbox->line, fmt::format("'bbox' [{}, {}, {}, {}] must have xmin < xmax and ymin < ymax",
                                         v[0], v[1], v[2], v[3]));
        }
    } else if (polygon != nullptr) {
        box_line = polygon->line;
        const io::SourceSpec spec = polygon_source(*polygon, "area.polygon");
        try {
            box = io::vector_extent(spec, crs);
        } catch (const DataError& error) {
            throw DataError(fmt::format("{}: area polygon: {}", at(polygon->line), error.what()));
        }
        if (box.empty()) {
            throw DataError(fmt::format("{}: area polygon: the features of {} have an empty extent",
                                        at(polygon->line), spec.path.string()));
        }
    } else {
        fail(section.line, "area needs 'bbox' or 'polygon'");
    }

    // Checked before building the grid so that absurd sizes cannot overflow the cell counts.
    const double cols = std::ceil((box.max_x - box.min_x) / cell_size_m);
    const double rows = std::ceil((box.max_y - box.min_y) / cell_size_m);
    if (cols > max_grid_side_cells || rows > max_grid_side_cells) {
        fail(box_line, fmt::format("the area is {:.0f} x {:.0f} cells of {} m; at most 100000 x 100000 "
                                   "cells are allowed (use a larger 'cell_size_m' or a smaller area)",
                                   cols, rows, cell_size_m));
    }
    GridSpec grid = GridSpec::covering(box, cell_size_m, crs);
    if (static_cast<double>(grid.cols) > max_grid_side_cells ||
        static_cast<double>(grid.rows) > max_grid_side_cells) {
        fail(box_line, fmt::format("the area is {} x {} cells of {} m; at most 100000 x 100000 cells are "
                                   "allowed (use a larger 'cell_size_m' or a smaller area)",
                                   grid.cols, grid.rows, cell_size_m));
    }
    return grid;
}

io::SourceSpec BatchReader::polygon_source(const Entry& e, const std::string& section) const {
    const Entries entries = mapping(e.value, e.line, section, polygon_source_keys);
    io::SourceSpec spec;
    spec.declared_at = at(line_of(e.value, e.line));
    source_fields(entries, nullptr, section, spec);
    return spec;
}

// Fills the keys every kind of source shares. `role` is null for role-less polygon sources.
void BatchReader::source_fields(const Entries& entries, const RoleSpec* role, const std::string& section,
                                io::SourceSpec& spec) const {
    const Entry* source = entries.find("source");
    if (source == nullptr) fail(entries.line, fmt::format("missing required key 'source' in {}", section));
    spec.path = path(*source);
    if (role != nullptr) spec.role = role->name;

    for (const auto& e : entries.items) {
        if (e.key == "layer") {
            spec.layer = non_empty_text(e);
        } else if (e.key == "where") {
            spec.where = non_empty_text(e);
        } else if (e.key == "assign_crs") {
            spec.assign_crs = non_empty_text(e);
        } else if (e.key == "coverage") {
            spec.coverage = path(e);
        } else if (e.key == "preset") {
            spec.preset = non_empty_text(e);
            if (!contains(presets, spec.preset)) {
                fail(e.line, fmt::format("unknown preset '{}' (expected one of: {})", spec.preset, join(presets)));
            }
        } else if (e.key == "band") {
            if (role != nullptr && !role_has_geometry(*role, "raster")) {
                fail(e.line, fmt::format("'band' applies to raster sources; role '{}' is {}", role->name,
                                         role->geometry));
            }
            spec.band = static_cast<int>(integer(e, 1, 65535));
        } else if (e.key == "min_canopy_height_m") {
            if (role != nullptr && role->name != "trees") {
                fail(e.line, fmt::format("'min_canopy_height_m' applies to role 'trees' only (canopy-height rasters), "
                                         "not '{}'", role->name));
            }
            const double value = number(e, "a number >= 0 (m above ground)");
            if (value < 0.0) {
                fail(e.line, fmt::format("'min_canopy_height_m' of {} ({}) must be a number >= 0 (m above ground), got {}",
                                         section, spec.path.filename().string(), value));
            }
            spec.min_canopy_height_m = value;
        } else if (e.key == "class_field" || e.key == "classes" || e.key == "default_class") {
            if (role != nullptr && role->name != "landcover") {
                fail(e.line, fmt::format("'{}' applies to role 'landcover' only, not '{}'", e.key, role->name));
            }
            if (e.key == "class_field") {
                spec.class_field = non_empty_text(e);
            } else if (e.key == "default_class") {
                spec.default_class = landcover_class(e);
            } else {
                const Entries classes = open_mapping(e.value, e.line, section + ".classes");
                for (const auto& c : classes.items) {
                    spec.classes[c.key] = landcover_class(c);
                }
            }
        } else if (e.key == "fields") {
            if (role == nullptr) fail(e.line, fmt::format("'fields' does not apply to {}", section));
            const std::string fields_section = section + ".fields";
            const Entries fields = open_mapping(e.value, e.line, fields_section);
            for (const auto& f : fields.items) {
                const AttributeSpec* attribute_spec = attribute(*role, f, fields_section);
                io::FieldMapping field_mapping;
                if (f.value.IsMap()) {
                    const std::string full_section = fields_section + "." + f.key;
                    const Entries full = mapping(f.value, f.line, full_section, field_keys);
                    for (const auto& k : full.items) {
                        if (k.key == "field") field_mapping.field = non_empty_text(k);
                        else if (k.key == "unit") field_mapping.unit = non_empty_text(k);
                        else field_mapping.default_value = attribute_value(k.value, k.line, attribute_spec,
                                                                     "'default' of '" + f.key + "'");
                    }
                    if (field_mapping.field.empty() && !field_mapping.default_value) {
                        fail(f.line, fmt::format("'{}' in {} needs 'field', 'default' or both", f.key,
                                                 fields_section));
                    }
                } else {
                    if (!f.value.IsScalar() || f.value.Scalar().empty()) {
                        fail(f.line, fmt::format("'{}' in {} must be a source field name or a mapping with "
                                                 "field, unit, default", f.key, fields_section));
                    }
                    field_mapping.field = f.value.Scalar();
                }
                spec.fields[f.key] = std::move(field_mapping);
            }
        }
    }
}

io::SourceSpec BatchReader::input_source(const YAML::Node& node, int line, const RoleSpec& role,
                                         const std::string& section) const {
    const Entries entries = mapping(node, line, section, source_keys);
    io::SourceSpec spec;
    spec.declared_at = at(line);
    source_fields(entries, &role, section, spec);
    return spec;
}

std::vector<io::SourceSpec> BatchReader::inputs(const Entry& section) const {
    std::vector<io::SourceSpec> sources;
    const Entries roles = open_mapping(section.value, section.line, "inputs");
    for (const auto& e : roles.items) {
        const RoleSpec* role = find_role(e.key);
        if (role == nullptr) {
            fail(e.line, fmt::format("unknown role '{}' in inputs (expected one of: {})", e.key,
                                     join(role_names())));
        }
        if (!e.value.IsSequence() || e.value.size() == 0) {
            fail(e.line, fmt::format("'{}' in inputs must be a list of sources, e.g. [{{source: file.gpkg, "
                                     "layer: name}}]", e.key));
        }
        for (std::size_t i = 0; i < e.value.size(); ++i) {
            const YAML::Node item = e.value[i];
            sources.push_back(input_source(item, line_of(item, e.line), *role,
                                           fmt::format("inputs.{}[{}]", e.key, i)));
        }
    }
    return sources;
}

RawValue BatchReader::raw_value(const Entry& e, const std::string& indicator) const {
    RawValue raw;
    raw.where = at(e.line);
    const auto wrong = [&]() {
        fail(e.line, fmt::format("parameter '{}' of indicator '{}' must be a number, a text, or a non-empty "
                                 "list of numbers or of texts",
                                 e.key, indicator));
    };
    if (e.value.IsScalar()) {
        if (const auto number = plain_number(e.value)) raw.value = *number;
        else raw.value = e.value.Scalar();
        return raw;
    }
    if (!e.value.IsSequence() || e.value.size() == 0) wrong();
    std::vector<double> numbers;
    std::vector<std::string> texts;
    for (const auto& item : e.value) {
        if (!item.IsScalar()) wrong();
        if (const auto number = plain_number(item)) numbers.push_back(*number);
        else texts.push_back(item.Scalar());
    }
    if (!numbers.empty() && !texts.empty()) {
        fail(e.line, fmt::format("parameter '{}' of indicator '{}' mixes numbers and texts in one list", e.key,
                                 indicator));
    }
    if (texts.empty()) raw.value = std::move(numbers);
    else raw.value = std::move(texts);
    return raw;
}

std::vector<IndicatorRequest> BatchReader::indicators(const Entry& section) const {
    std::vector<IndicatorRequest> requests;
    if (section.value.IsNull()) return requests;
    const Entries ids = open_mapping(section.value, section.line, "indicators");
    for (const auto& e : ids.items) {
        IndicatorRequest request;
        request.id = e.key;
        request.declared_at = at(e.line);
        // Parameters themselves are checked by the engine against the indicator's descriptor.
        if (!e.value.IsNull()) {
            const Entries params = open_mapping(e.value, e.line, "indicators." + e.key);
            for (const auto& p : params.items) request.parameters[p.key] = raw_value(p, e.key);
        }
        requests.push_back(std::move(request));
    }
    return requests;
}

FeatureFilter BatchReader::filter(const Entries& entries, const RoleSpec& role, const std::string& section) const {
    FeatureFilter result;
    if (const Entry* inside = entries.find("inside")) result.inside = polygon_source(*inside, section + ".inside");
    if (const Entry* where = entries.find("where")) {
        const std::string where_section = section + ".where";
        const Entries attributes = open_mapping(where->value, where->line, where_section);
        if (attributes.items.empty()) fail(where->line, fmt::format("'where' in {} is empty", section));
        for (const auto& a : attributes.items) {
            const AttributeSpec* spec = attribute(role, a, where_section);
            std::vector<AttributeValue> accepted;
            const std::string what = fmt::format("a value of '{}' in {}", a.key, where_section);
            if (a.value.IsSequence()) {
                if (a.value.size() == 0) fail(a.line, fmt::format("'{}' in {} lists no values", a.key, where_section));
                for (const auto& item : a.value) accepted.push_back(attribute_value(item, a.line, spec, what));
            } else {
                accepted.push_back(attribute_value(a.value, a.line, spec, what));
            }
            result.where[a.key] = std::move(accepted);
        }
    }
    return result;
}

Edit BatchReader::edit(const YAML::Node& node, int line, const std::string& section) const {
    const Entries kinds = mapping(node, line, section, edit_kinds);
    if (kinds.items.size() != 1) {
        std::vector<std::string> found;
        for (const auto& k : kinds.items) found.push_back(k.key);
        fail(line, fmt::format("an edit has exactly one of add, remove, set, scale, paint; {} has {}", section,
                               found.empty() ? std::string("none") : join(found)));
    }
    const Entry& e = kinds.items.front();
    const std::string kind_section = section + "." + e.key;
    Edit edit;
    edit.declared_at = at(e.line);

    const auto feature_role = [&](const Entries& entries) -> const RoleSpec& {
        const Entry* role_entry = entries.find("role");
        if (role_entry == nullptr) fail(e.line, fmt::format("missing required key 'role' in {}", kind_section));
        const RoleSpec& spec = role(*role_entry);
        if (!is_feature_role(spec)) {
            fail(role_entry->line, fmt::format("role '{}' holds {} data, not features; '{}' edits apply to "
                                               "feature roles only", spec.name, spec.geometry, e.key));
        }
        edit.role = spec.name;
        return spec;
    };

    if (e.key == "add") {
        edit.kind = Edit::Kind::Add;
        const Entries entries = mapping(e.value, e.line, kind_section, add_keys);
        const RoleSpec& spec = feature_role(entries);
        io::SourceSpec source;
        source.declared_at = edit.declared_at;
        source_fields(entries, &spec, kind_section, source);
        edit.source = std::move(source);
    } else if (e.key == "paint") {
        edit.kind = Edit::Kind::Paint;
        const Entries entries = mapping(e.value, e.line, kind_section, paint_keys);
        const Entry* cls = entries.find("class");
        if (cls == nullptr) fail(e.line, fmt::format("missing required key 'class' in {}", kind_section));
        edit.landcover_class = landcover_class(*cls);
        const Entry* inside = entries.find("inside");
        if (inside == nullptr) fail(e.line, fmt::format("missing required key 'inside' in {}", kind_section));
        edit.filter.inside = polygon_source(*inside, kind_section + ".inside");
    } else {
        const Keys keys = e.key == "remove" ? Keys(remove_keys) : e.key == "set" ? Keys(set_keys) : Keys(scale_keys);
        edit.kind = e.key == "remove" ? Edit::Kind::Remove : e.key == "set" ? Edit::Kind::Set : Edit::Kind::Scale;
        const Entries entries = mapping(e.value, e.line, kind_section, keys);
        const RoleSpec& spec = feature_role(entries);
        edit.filter = filter(entries, spec, kind_section);
        if (edit.filter.empty()) {
            fail(e.line, fmt::format("'{}' needs 'inside', 'where' or both (an edit without a filter would "
                                     "touch every feature of '{}')", e.key, spec.name));
        }
        if (edit.kind == Edit::Kind::Set) {
            const Entry* values = entries.find("values");
            if (values == nullptr) fail(e.line, fmt::format("missing required key 'values' in {}", kind_section));
            const Entries attributes = open_mapping(values->value, values->line, kind_section + ".values");
            if (attributes.items.empty()) fail(values->line, fmt::format("'values' in {} is empty", kind_section));
            for (const auto& a : attributes.items) {
                const AttributeSpec* attribute_spec = attribute(spec, a, kind_section + ".values");
                edit.values[a.key] = attribute_value(a.value, a.line, attribute_spec, "'" + a.key + "'");
            }
        } else if (edit.kind == Edit::Kind::Scale) {
            const Entry* factors = entries.find("factors");
            if (factors == nullptr) fail(e.line, fmt::format("missing required key 'factors' in {}", kind_section));
            const Entries attributes = open_mapping(factors->value, factors->line, kind_section + ".factors");
            if (attributes.items.empty()) fail(factors->line, fmt::format("'factors' in {} is empty", kind_section));
            for (const auto& a : attributes.items) {
                const AttributeSpec* attribute_spec = attribute(spec, a, kind_section + ".factors");
                if (attribute_spec != nullptr && attribute_spec->text) {
                    fail(a.line, fmt::format("'{}' is a text attribute of role '{}' and cannot be scaled", a.key,
                                             spec.name));
                }
                const double factor = number(a, "a number >= 0");
                if (factor < 0.0) fail(a.line, fmt::format("'{}' must be a number >= 0", a.key));
                edit.factors[a.key] = factor;
            }
        }
    }
    return edit;
}

std::vector<Scenario> BatchReader::scenarios(const Entry& section) const {
    if (!section.value.IsSequence() || section.value.size() == 0) {
        fail(section.line, "'scenarios' must be a non-empty list; the first scenario is the baseline, "
                           "e.g. [{name: baseline}]");
    }
    std::vector<Scenario> result;
    std::map<std::string, int> lines_by_name;
    for (std::size_t i = 0; i < section.value.size(); ++i) {
        const YAML::Node item = section.value[i];
        const int line = line_of(item, section.line);
        const std::string scenario_section = fmt::format("scenarios[{}]", i);
        const Entries entries = mapping(item, line, scenario_section, scenario_keys);
        Scenario scenario;
        scenario.declared_at = at(line);

        const Entry* name = entries.find("name");
        if (name == nullptr) fail(line, fmt::format("missing required key 'name' in {}", scenario_section));
        scenario.name = text(*name);
        // Names become GeoPackage table prefixes joined with "__", so they must be plain identifiers.
        if (!valid_scenario_name(scenario.name) || scenario.name.find("__") != std::string::npos) {
            fail(name->line, fmt::format("scenario name '{}' must start with a lowercase letter and contain only "
                                         "a-z, 0-9 and single underscores", scenario.name));
        }
        if (const auto it = lines_by_name.find(scenario.name); it != lines_by_name.end()) {
            fail(name->line, fmt::format("duplicate scenario name '{}' (first given at line {})", scenario.name,
                                         it->second));
        }
        const std::string label = fmt::format("scenario '{}'", scenario.name);
        if (const Entry* description = entries.find("description")) scenario.description = text(*description);

        const Entry* base = entries.find("base");
        const Entry* edits = entries.find("edits");
        if (i == 0) {
            if (base != nullptr) {
                fail(base->line, fmt::format("the first scenario '{}' is the baseline and has no 'base'",
                                             scenario.name));
            }
            const bool no_edits = edits == nullptr || edits->value.IsNull() ||
                                  (edits->value.IsSequence() && edits->value.size() == 0);
            if (!no_edits) {
                fail(edits->line, fmt::format("the first scenario '{}' is the baseline and has no edits; put them "
                                              "in a second scenario",
                                              scenario.name));
            }
        } else {
            scenario.base = result.front().name;
            if (base != nullptr) {
                scenario.base = text(*base);
                if (lines_by_name.count(scenario.base) == 0) {
                    std::vector<std::string> earlier;
                    for (const auto& s : result) earlier.push_back(s.name);
                    fail(base->line, fmt::format("base '{}' of {} must name an earlier scenario (earlier: {})",
                                                 scenario.base, label, join(earlier)));
                }
            }
            if (edits != nullptr && !edits->value.IsNull()) {
                if (!edits->value.IsSequence()) {
                    fail(edits->line, fmt::format("'edits' of {} must be a list of edits", label));
                }
                for (std::size_t j = 0; j < edits->value.size(); ++j) {
                    const YAML::Node edit_node = edits->value[j];
                    scenario.edits.push_back(edit(edit_node, line_of(edit_node, edits->line),
                                                  fmt::format("{}.edits[{}]", scenario_section, j)));
                }
            }
        }
        lines_by_name[scenario.name] = name->line;
        result.push_back(std::move(scenario));
    }
    return result;
}

std::vector<std::pair<std::string, std::string>> BatchReader::comparisons(const Entry& e,
                                                                        const std::vector<Scenario>& scenarios) const {
    const auto wrong = [&](int line) {
        fail(line, "'compare' must be a list of scenario pairs [a, b] (difference layers a minus b)");
    };
    if (!e.value.IsSequence() || e.value.size() == 0) wrong(e.line);
    std::vector<std::pair<std::string, std::string>> pairs;
    for (const auto& item : e.value) {
        const int line = line_of(item, e.line);
        if (!item.IsSequence() || item.size() != 2 || !item[0].IsScalar() || !item[1].IsScalar()) wrong(line);
        const std::string a = item[0].Scalar();
        const std::string b = item[1].Scalar();
        for (const auto& name : {a, b}) {
            const bool known = std::any_of(scenarios.begin(), scenarios.end(), [&](const Scenario& s) { return s.name == name; });
            if (!known) fail(line, fmt::format("'compare' names scenario '{}', which the batch does not define", name));
        }
        if (a == b) fail(line, fmt::format("'compare' pairs scenario '{}' with itself", a));
        pairs.emplace_back(a, b);
    }
    return pairs;
}

std::vector<VariantRequest> BatchReader::variants(const Entry& section,
                                                   const std::vector<IndicatorRequest>& indicators) const {
    if (!section.value.IsSequence() || section.value.size() == 0) {
        fail(section.line, "'variants' must be a list of {indicator, parameter, values}");
    }
    std::vector<VariantRequest> result;
    for (std::size_t i = 0; i < section.value.size(); ++i) {
        const YAML::Node node = section.value[i];
        const int line = line_of(node, section.line);
        const std::string label = fmt::format("variants[{}]", i);
        const Entries entries = mapping(node, line, label, variant_keys);
        VariantRequest v;
        v.declared_at = at(line);
        const Entry* indicator = entries.find("indicator");
        const Entry* parameter = entries.find("parameter");
        const Entry* values = entries.find("values");
        if (!indicator || !parameter || !values) fail(line, fmt::format("{} needs 'indicator', 'parameter' and 'values'", label));
        v.indicator = non_empty_text(*indicator);
        const bool listed = std::any_of(indicators.begin(), indicators.end(),
                                        [&](const IndicatorRequest& r) { return r.id == v.indicator; });
        if (!listed) {
            fail(indicator->line, fmt::format("{}: indicator '{}' is not listed under 'indicators'", label, v.indicator));
        }
        v.parameter = non_empty_text(*parameter);
        if (!values->value.IsSequence() || values->value.size() < 2) {
            fail(values->line, fmt::format("{}: 'values' must list at least two values to compare", label));
        }
        for (const auto& item : values->value) {
            if (!item.IsScalar()) fail(values->line, fmt::format("{}: every value must be a number or a text", label));
            RawValue raw;
            raw.where = at(line_of(item, values->line));
            if (const auto number = plain_number(item)) raw.value = *number;
            else raw.value = item.Scalar();
            v.values.push_back(std::move(raw));
        }
        result.push_back(std::move(v));
    }
    return result;
}

Batch BatchReader::read(const YAML::Node& root, Batch batch) {
    const Entries sections = mapping(root, 1, "the top level", top_keys);
    batch.name = batch.file.stem().string();
    if (const Entry* name = sections.find("name")) batch.name = non_empty_text(*name);

    const Entry* area_section = sections.find("area");
    if (area_section == nullptr) throw ConfigError(fmt::format("{}: missing required section 'area'", label_));
    const Entry* scenarios_section = sections.find("scenarios");
    if (scenarios_section == nullptr) {
        throw ConfigError(fmt::format("{}: missing required section 'scenarios'", label_));
    }

    if (const Entry* e = sections.find("inputs"); e != nullptr && !e->value.IsNull()) batch.inputs = inputs(*e);
    if (const Entry* e = sections.find("indicators")) batch.indicators = indicators(*e);
    if (const Entry* e = sections.find("variants")) batch.variants = variants(*e, batch.indicators);
    batch.scenarios = scenarios(*scenarios_section);

    batch.output = folder_ / (batch.name + ".gpkg");
    if (const Entry* e = sections.find("outputs"); e != nullptr && !e->value.IsNull()) {
        const Entries outputs = mapping(e->value, e->line, "outputs", output_keys);
        if (const Entry* p = outputs.find("path")) {
            batch.output = path(*p);
            if (batch.output.extension() != ".gpkg") {
                fail(p->line, fmt::format("'path' must name a GeoPackage ending in .gpkg, not '{}'",
                                          batch.output.filename().string()));
            }
        }
        if (const Entry* d = outputs.find("differences")) batch.differences = boolean(*d);
        if (const Entry* t = outputs.find("tile_size")) batch.tile_size = integer(*t, 1, 65536);
        if (const Entry* c = outputs.find("compare")) batch.comparisons = comparisons(*c, batch.scenarios);
    }
    // Last, because a polygon area reads a file: every mistake in the text is reported before that.
    batch.grid = area(*area_section);
    return batch;
}

}  // namespace

Batch parse_batch_text(const std::string& yaml_text, const std::filesystem::path& file_for_messages) {
    const std::string label = file_for_messages.string();
    YAML::Node root;
    try {
        root = YAML::Load(yaml_text);
    } catch (const YAML::Exception& error) {
        throw ConfigError(fmt::format("{}:{}: YAML syntax error: {}", label, error.mark.line + 1, error.msg));
    }
    if (!root.IsDefined() || root.IsNull()) {
        throw ConfigError(fmt::format("{}: the batch file is empty; it needs the sections 'area' and "
                                      "'scenarios' (and usually 'inputs', 'indicators', 'outputs')",
                                      label));
    }
    if (!root.IsMap()) {
        throw ConfigError(fmt::format("{}:{}: the batch file must be a mapping of sections (name, area, inputs, "
                                      "indicators, scenarios, outputs)",
                                      label, std::max(root.Mark().line, 0) + 1));
    }
    Batch batch;
    batch.file = std::filesystem::absolute(file_for_messages).lexically_normal();
    BatchReader reader(label, batch.file.parent_path());
    try {
        return reader.read(root, std::move(batch));
    } catch (const YAML::Exception& error) {
        // Conversions are guarded above; this only catches what yaml-cpp raises on malformed nodes.
        throw ConfigError(fmt::format("{}:{}: {}", label, error.mark.line + 1, error.msg));
    }
}

Batch parse_batch(const std::filesystem::path& file) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) {
        throw ConfigError(fmt::format("{}: batch file not found (or not a regular file)", file.string()));
    }
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in && !in.eof()) throw ConfigError(fmt::format("{}: cannot read the batch file", file.string()));
    return parse_batch_text(text.str(), file);
}

}  // namespace areatwin::scenarios
