// SPDX-License-Identifier: GPL-3.0-or-later
// Table roles (meteorological tables, hourly weather, emission-factor tables): rows without geometry.
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>

#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <fmt/format.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/io/load.hpp"
#include "load_detail.hpp"

namespace areatwin::io {

namespace {

std::string lower(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

// A cell as a number when the whole trimmed text is one, otherwise as text; empty cells are absent.
AttributeValue cell_value(const char* raw) {
    std::string text = raw == nullptr ? std::string() : std::string(raw);
    const auto first = text.find_first_not_of(" \t\r");
    if (first == std::string::npos) return std::monostate{};
    text = text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (end != text.c_str() && *end == '\0' && errno == 0) return v;
    return text;
}

}  // namespace

FeatureSet read_table(const SourceSpec& source, LoadReport& report) {
    detail::ensure_gdal_registered();
    detail::QuietGdalErrors quiet;
    detail::DatasetPtr dataset = detail::open_dataset(source.path, GDAL_OF_VECTOR, source.role);
    OGRLayer* layer = detail::pick_layer(*dataset, source);
    detail::record_dataset_files(*dataset, source.role, report);
    const std::string label = detail::source_label(source, layer->GetName());
    OGRFeatureDefn& defn = *layer->GetLayerDefn();

    // Column name (lower case) -> canonical name: the batch's `fields:` mapping renames, the rest keep
    // their own (lower-cased) names.
    std::vector<std::string> names;
    std::set<std::string> seen;
    for (int i = 0; i < defn.GetFieldCount(); ++i) {
        names.push_back(lower(defn.GetFieldDefn(i)->GetNameRef()));
        if (!seen.insert(names.back()).second) {
            throw DataError(fmt::format("{}: {}: column '{}' appears twice (names are compared in lower case)",
                                        source.declared_at, label, names.back()));
        }
    }
    std::map<std::string, std::string> rename;  // source column (lower) -> canonical
    for (const auto& [canonical, mapping] : source.fields) {
        if (mapping.field.empty()) continue;
        const auto column = lower(mapping.field);
        if (!seen.count(column)) {
            throw DataError(fmt::format("{}: {}: field '{}' (for '{}') is not a column of the table (columns: {})",
                                        source.declared_at, label, mapping.field, canonical, fmt::join(names, ", ")));
        }
        if (!mapping.unit.empty()) {
            throw ConfigError(fmt::format("{}: {}: field '{}': table columns take no unit conversion; give the values "
                                          "in the unit the indicator documents",
                                          source.declared_at, label, canonical));
        }
        rename[column] = canonical;
    }

    FeatureSet set;
    set.role = source.role;
    if (!source.where.empty() && layer->SetAttributeFilter(source.where.c_str()) != OGRERR_NONE) {
        throw ConfigError(fmt::format("{}: {}: attribute filter '{}' is not valid: {}", source.declared_at, label,
                                      source.where, detail::last_gdal_error()));
    }
    layer->ResetReading();
    std::int64_t row = 0;
    while (std::unique_ptr<OGRFeature> f{layer->GetNextFeature()}) {
        ++row;
        Feature out;
        out.id = f->GetFID() >= 0 ? f->GetFID() : row;
        out.source = fmt::format("{} row {}", label, row);
        for (int i = 0; i < defn.GetFieldCount(); ++i) {
            if (!f->IsFieldSetAndNotNull(i)) continue;
            AttributeValue v = cell_value(f->GetFieldAsString(i));
            if (std::holds_alternative<std::monostate>(v)) continue;
            const auto it = rename.find(names[static_cast<std::size_t>(i)]);
            out.attributes[it != rename.end() ? it->second : names[static_cast<std::size_t>(i)]] = std::move(v);
        }
        for (const auto& [canonical, mapping] : source.fields) {
            if (mapping.default_value && !out.attributes.count(canonical)) out.attributes[canonical] = *mapping.default_value;
        }
        set.features.push_back(std::move(out));
    }
    return set;
}

std::optional<std::pair<double, double>> grid_center_lon_lat(const GridSpec& grid) {
    OGRSpatialReference source = detail::make_srs(grid.crs, "area.crs");
    OGRSpatialReference wgs84;
    wgs84.importFromEPSG(4326);
    wgs84.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);  // x = longitude, y = latitude
    std::unique_ptr<OGRCoordinateTransformation> transform(OGRCreateCoordinateTransformation(&source, &wgs84));
    if (!transform) return std::nullopt;
    const Box2 e = grid.extent();
    double x = 0.5 * (e.min_x + e.max_x);
    double y = 0.5 * (e.min_y + e.max_y);
    if (!transform->Transform(1, &x, &y)) return std::nullopt;
    return std::make_pair(x, y);
}

}  // namespace areatwin::io
