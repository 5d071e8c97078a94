// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "areatwin/engine/features.hpp"

namespace areatwin::io {

// How one canonical attribute is read from a source: a field with a unit, or a default.
struct FieldMapping {
    std::string field;                  // source attribute name; empty: use the default only
    std::string unit;                   // unit of the source values; converted to the canonical unit
    std::optional<AttributeValue> default_value;  // used when the field is absent or null
};

// Canopy-height rasters: a source sample is tree crown where its height exceeds this (m above
// ground). 2.5 m after the "CHM > 2.5 m" of RIVM Bomen in Nederland (green-method.md sections 1.3
// and 4), so canopy.fraction counts tree crowns, not hedges and low shrubs.
inline constexpr double default_min_canopy_height_m = 2.5;

// One source of one input role, as the batch file declares it (after preset expansion).
struct SourceSpec {
    std::string role;                   // see engine/roles.hpp
    std::filesystem::path path;         // absolute (the batch parser resolves relative paths)
    std::string layer;                  // vector layer name; empty: the only layer
    std::string preset;                 // "bgt", "bag", "3dbag", "nwb", "cbs-buurten", "ahn"; empty: none
    std::map<std::string, FieldMapping> fields;  // canonical name -> mapping
    std::string class_field;            // landcover polygons: attribute holding the source class
    std::map<std::string, std::string> classes;  // landcover: source class value -> landcover class
    std::string default_class;          // landcover: class for unmapped values; empty: DataError
    std::string where;                  // OGR attribute filter, e.g. "function = 'rijbaan lokale weg'"
    std::string assign_crs;             // CRS to assume for a source that has none; empty: error
    std::filesystem::path coverage;     // polygon file bounding what this source covers; empty: its extent
    int band = 1;                       // raster band
    // trees rasters: samples higher than this (m, >= 0) count towards canopy.fraction; unset:
    // default_min_canopy_height_m (2.5 m). Setting it on a trees source read as features is a ConfigError.
    std::optional<double> min_canopy_height_m;
    std::string declared_at;            // "batch.yaml:14", for messages
};

// Where an input file came from, for the run manifest.
struct InputFileRecord {
    std::string role;
    std::string path;
    std::uint64_t size_bytes = 0;
    std::string sha256;                 // lowercase hex of the whole file
};

// What loading found that the user should know, with counts.
struct LoadReport {
    std::vector<std::string> warnings;
    std::vector<InputFileRecord> files;
    std::map<std::string, std::int64_t> feature_counts;  // role -> features kept
};

}  // namespace areatwin::io
