// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "areatwin/engine/features.hpp"
#include "areatwin/engine/grid.hpp"
#include "areatwin/engine/raster.hpp"
#include "areatwin/engine/style.hpp"

namespace areatwin::io {

// How QGIS should draw a raster layer: a colour ramp between two values.
struct RasterStyle {
    std::string ramp = "viridis";  // "green", "noise", "heat", "diverging", "viridis"
    double min = 0.0;
    double max = 100.0;
    std::vector<StyleClass> classes;  // non-empty: discrete classes instead of the ramp
};

struct RasterLayerOut {
    std::string table;        // GeoPackage table name, e.g. "baseline__green_share_r300"
    std::string description;  // RASTER_DESCRIPTION
    std::string unit;         // UOM
    const Raster* raster = nullptr;
    RasterStyle style;
};

// A vector layer: one geometry per row plus numeric and text columns.
struct VectorColumn {
    std::string name;
    std::string description;  // goes into gpkg_data_columns (title/description) for QGIS
    bool text = false;
    std::vector<std::optional<double>> numbers;  // one per row when !text (nullopt: NULL)
    std::vector<std::string> texts;              // one per row when text
};

struct VectorLayerOut {
    std::string table;
    std::string description;
    std::vector<Geometry> geometries;  // in the grid CRS
    std::vector<VectorColumn> columns;
    std::string style_qml;             // optional QGIS style; empty: default style
    std::optional<Geometry::Kind> kind;  // the layer's geometry kind when it may be empty (point layers)
};

// Writes one GeoPackage per batch. Everything goes to a temporary file beside the destination;
// commit() renames it into place. A writer destroyed without commit() removes its temporary file,
// so a failed run leaves nothing at the destination. Not thread-safe: one writer, one thread.
class GeoPackageWriter {
public:
    GeoPackageWriter(std::filesystem::path destination, GridSpec grid);
    ~GeoPackageWriter();
    GeoPackageWriter(const GeoPackageWriter&) = delete;
    GeoPackageWriter& operator=(const GeoPackageWriter&) = delete;

    void add_raster(const RasterLayerOut& layer);
    void add_vector(const VectorLayerOut& layer);
    void set_manifest(const nlohmann::json& manifest);  // into gpkg_metadata (and a table)
    void commit();

    [[nodiscard]] const std::filesystem::path& temporary_path() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// A QGIS style for a point layer coloured by the numeric column `column` with the classes of `style`
// (explicit classes, the 5 dB noise classes, or five steps of the ramp); ConfigError naming `table` for
// a bad style. The result goes into VectorLayerOut::style_qml.
std::string point_style_qml(const RasterStyle& style, const std::string& column, const std::string& table);
// The same for a polygon layer (the per-area statistics): filled polygons graduated by `column`.
std::string polygon_style_qml(const RasterStyle& style, const std::string& column, const std::string& table);

// Fails with ConfigError naming the path when the destination's folder does not exist or is not
// writable; called while planning, before any computing.
void check_output_writable(const std::filesystem::path& destination);

// Reads a raster table back (nodata mapped to NaN); for tests, verify and the report.
Raster read_gpkg_raster(const std::filesystem::path& gpkg, const std::string& table, GridSpec* grid = nullptr);

// Reads the run manifest back from gpkg_metadata.
nlohmann::json read_gpkg_manifest(const std::filesystem::path& gpkg);

}  // namespace areatwin::io
