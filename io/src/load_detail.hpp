// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Shared between the io/ readers; not installed.

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include "areatwin/engine/features.hpp"
#include "areatwin/engine/grid.hpp"
#include "areatwin/engine/raster.hpp"
#include "areatwin/engine/roles.hpp"
#include "areatwin/io/load.hpp"
#include "areatwin/io/sources.hpp"

namespace areatwin::io::detail {

// Registers the GDAL drivers once per process.
void ensure_gdal_registered();

// Keeps GDAL from printing to stderr while alive; errors are still recorded for CPLGetLastErrorMsg.
class QuietGdalErrors {
public:
    QuietGdalErrors();
    ~QuietGdalErrors();
    QuietGdalErrors(const QuietGdalErrors&) = delete;
    QuietGdalErrors& operator=(const QuietGdalErrors&) = delete;
};

// The last GDAL error message, or "unknown GDAL error".
std::string last_gdal_error();

struct GdalDatasetCloser {
    void operator()(GDALDataset* dataset) const { GDALClose(GDALDataset::ToHandle(dataset)); }
};
using DatasetPtr = std::unique_ptr<GDALDataset, GdalDatasetCloser>;

// Opens a file read-only; `open_flags` is GDAL_OF_VECTOR and/or GDAL_OF_RASTER. DataError naming the
// file and GDAL's reason when it does not exist or no driver reads it.
DatasetPtr open_dataset(const std::filesystem::path& path, unsigned open_flags, const std::string& role);

// A spatial reference from any definition PROJ accepts, in x/y (easting/northing) axis order.
// ConfigError naming `what` when the definition is not understood.
OGRSpatialReference make_srs(const std::string& definition, const std::string& what);

// The layer a source names (or the only layer). DataError listing the layers present.
OGRLayer* pick_layer(GDALDataset& dataset, const SourceSpec& source);

// "buildings.shp:buildings", the prefix of every message about a vector source.
std::string source_label(const SourceSpec& source, const std::string& layer_name);

// A source after its preset is applied. Landcover classes may be looked up in several fields in
// order (the first whose value is in `classes` wins), which a single user `class_field` cannot say.
struct ExpandedSource {
    SourceSpec spec;
    std::vector<std::string> class_fields;
    std::set<std::string> negative_is_null;  // canonical attributes whose negative values mean "unknown"
    // Canonical attribute -> canonical attribute subtracted from it after mapping (3D BAG heights are
    // absolute; height above ground is roof minus ground level).
    std::map<std::string, std::string> subtract;
    std::vector<std::string> notes;          // warnings the preset wants the user to see, once per source
};

// Fills the fields and classes the preset provides and the user did not set. `layer_name` and
// `layer_fields` pick between the layouts a preset knows (BGT object classes, older field names).
// ConfigError for an unknown preset or one that does not fit the role.
ExpandedSource expand_preset(const SourceSpec& source, const std::string& layer_name,
                             const std::vector<std::string>& layer_fields);

// Presets that describe rasters.
bool is_raster_preset(const std::string& preset);

// Converts a value in `from_unit` to `to_unit` (both as a batch file writes them). ConfigError naming
// `what` for an unknown unit or units of different quantities.
double unit_factor(const std::string& from_unit, const std::string& to_unit, const std::string& what);

// The text of a class code read from a raster: integers without decimals ("5"), others as %.9g.
std::string class_code_text(double value);

// The crown threshold of a canopy-height raster source: min_canopy_height_m or its default 2.5 m.
// ConfigError naming the role, the file and the key when it is negative or not finite.
double canopy_threshold_m(const SourceSpec& source);

// Canopy from a canopy-height raster (m above ground, 0 = no canopy): per cell the highest source
// pixel (0 when none is above the ground) and the share of source pixels higher than
// canopy_threshold_m(source); NaN where the source has no data.
struct CanopyRasters {
    Raster height_m;
    Raster fraction;
};
CanopyRasters read_canopy_raster(const SourceSpec& source, const GridSpec& grid, LoadReport& report);

// A raster of counts per source pixel (residents) as counts per cell, preserving the total.
Raster read_count_raster(const SourceSpec& source, const GridSpec& grid, LoadReport& report);

// Average when the source is finer than the grid, bilinear otherwise.
Resampling continuous_resampling(const SourceSpec& source, const GridSpec& grid);

// Reads the polygons of a coverage file (any polygon layer, every feature) in the grid CRS.
std::vector<Geometry> read_coverage_polygons(const std::filesystem::path& path, const std::string& role,
                                             const GridSpec& grid);

// The bounds of a layer's features in `crs`; nullopt when the layer has no features.
std::optional<Box2> layer_extent_in(OGRLayer& layer, const std::string& crs, const std::string& label);

// Representative point of a geometry for coverage tests: area centroid of polygons, length midpoint
// of lines, mean of points.
Point2 representative_point(const Geometry& geometry);

// Records every file of a dataset (size and SHA-256) once per (role, path).
void record_dataset_files(GDALDataset& dataset, const std::string& role, LoadReport& report);

// Prefix of layers holding raster inputs of roles whose grid layers are otherwise derived from
// features ("input/landcover.grass", "input/canopy.height_m", "input/dsm"); derive_grid_layers
// combines them with the features.
inline constexpr std::string_view input_layer_prefix = "input/";
std::string input_layer(std::string_view derived_layer);

}  // namespace areatwin::io::detail
