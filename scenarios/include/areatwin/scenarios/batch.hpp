// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "areatwin/engine/grid.hpp"
#include "areatwin/engine/parameters.hpp"
#include "areatwin/io/sources.hpp"

namespace areatwin::scenarios {

// Selects features of a role: inside polygons of a vector source and/or matching attribute values.
struct FeatureFilter {
    std::optional<io::SourceSpec> inside;                      // polygons (any role-less source)
    std::map<std::string, std::vector<AttributeValue>> where;  // canonical attribute -> accepted values
    [[nodiscard]] bool empty() const { return !inside && where.empty(); }
};

struct Edit {
    enum class Kind { Add, Remove, Set, Scale, Paint };
    Kind kind = Kind::Add;
    std::string role;                        // Add/Remove/Set/Scale
    std::optional<io::SourceSpec> source;    // Add: features to add (with field mapping)
    FeatureFilter filter;                    // Remove/Set/Scale (must not be empty)
    std::map<std::string, AttributeValue> values;  // Set: canonical attribute -> new value
    std::map<std::string, double> factors;   // Scale: canonical attribute -> factor
    std::string landcover_class;             // Paint: class painted inside filter.inside
    std::string declared_at;                 // "batch.yaml:40"
};

struct Scenario {
    std::string name;                        // [a-z0-9_]+, used in table names
    std::string description;
    std::string base;                        // scenario this one builds on; empty for the baseline
    std::vector<Edit> edits;
    std::string declared_at;
};

struct IndicatorRequest {
    std::string id;
    std::map<std::string, RawValue> parameters;
    std::string declared_at;
};

// A parameter sweep: the indicator is also run with each value of one parameter (the rest as in
// `indicators`), so users see how much the choice matters.
struct VariantRequest {
    std::string indicator;
    std::string parameter;
    std::vector<RawValue> values;
    std::string declared_at;
};

struct Batch {
    std::filesystem::path file;              // absolute path of the batch file
    std::string name;                        // from `name:` or the file stem
    GridSpec grid;                           // from area: bbox or polygon, crs, cell_size_m
    std::vector<io::SourceSpec> inputs;      // all roles, each role's sources in priority order
    std::vector<IndicatorRequest> indicators;
    std::vector<VariantRequest> variants;
    std::vector<Scenario> scenarios;         // scenarios[0] is the baseline
    std::filesystem::path output;            // absolute path of the GeoPackage
    bool differences = true;                 // difference layers against the baseline
    std::vector<std::pair<std::string, std::string>> comparisons;  // extra difference layers: first minus second
    std::int64_t tile_size = 256;
};

// Parses and strictly validates a batch file: unknown keys, wrong types, unknown roles or canonical
// attributes, duplicate scenario names, a base that does not exist are ConfigErrors with file, line
// and key. Relative paths resolve against the batch file's folder. Existence of input files is not
// checked here (the planner does that), but `area: polygon:` is read to get the extent.
Batch parse_batch(const std::filesystem::path& file);
Batch parse_batch_text(const std::string& yaml_text, const std::filesystem::path& file_for_messages);

}  // namespace areatwin::scenarios
