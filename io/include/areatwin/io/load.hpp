// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "areatwin/engine/features.hpp"
#include "areatwin/engine/grid.hpp"
#include "areatwin/engine/layer_stack.hpp"
#include "areatwin/engine/raster.hpp"
#include "areatwin/io/sources.hpp"

namespace areatwin::io {

// Reads a vector source: applies the preset and field mapping (with unit conversion), reprojects to
// grid.crs, repairs invalid geometries with GEOS MakeValid (counted warning), keeps the features whose
// bounds intersect `clip` (pass grid.extent() grown by a margin). Throws DataError naming file, layer,
// feature or field for a missing file/layer/required field, a source without CRS (unless assign_crs),
// NaN or negative heights. An empty layer or one that does not overlap `clip` is a counted warning.
FeatureSet read_vector(const SourceSpec& source, const GridSpec& grid, const Box2& clip, LoadReport& report);

// Reads a raster source resampled onto the grid (bilinear for continuous values, nearest for
// classes, average where the source is finer than the grid). Nodata becomes NaN.
enum class Resampling { Bilinear, Nearest, Average };
Raster read_raster(const SourceSpec& source, const GridSpec& grid, Resampling resampling, LoadReport& report);

// Landcover from a class raster: per-class fractions of each cell (counting source pixels per cell).
std::map<std::string, Raster> read_landcover_raster(const SourceSpec& source, const GridSpec& grid, LoadReport& report);

// Reads a table source (a role of geometry "table": CSV or any OGR layer) into features without geometry,
// one per row, one attribute per column: names in lower case (or renamed by `fields:`), cells that parse
// whole as numbers as double, other cells as text, empty cells absent. DataError naming the file, layer
// and column for a duplicate column or a mapped field that is not there.
FeatureSet read_table(const SourceSpec& source, LoadReport& report);

// The centre of the grid in WGS 84 as (longitude, latitude) degrees, converted with PROJ; nullopt when the
// grid CRS cannot be transformed.
std::optional<std::pair<double, double>> grid_center_lon_lat(const GridSpec& grid);

// Loads every source of every role (sources of one role in priority order: first wins inside its
// coverage) into a stack on `grid`: feature sets per role (table roles: their rows, sources appended in
// order), the derived grid layers, and the scalars "grid.center_lon_deg" and "grid.center_lat_deg".
LayerStack load_inputs(const std::vector<SourceSpec>& sources, const GridSpec& grid, LoadReport& report);

// (Re)builds the grid layers derived from the feature sets of `roles` (rasterisation of land cover
// fractions, building heights and fractions, population per cell, area index; the DSM from DEM +
// buildings + canopy when no DSM source was given). Called after loading and after scenario edits.
void derive_grid_layers(LayerStack& stack, const std::vector<std::string>& roles);

// Lowercase hex SHA-256 of a file.
std::string sha256_file(const std::filesystem::path& path);

// The extent of a vector layer in `crs` (for `area: polygon:`), DataError on failure.
Box2 vector_extent(const SourceSpec& source, const std::string& crs);

}  // namespace areatwin::io
