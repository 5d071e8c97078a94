// SPDX-License-Identifier: GPL-3.0-or-later
#include "areatwin/io/gpkg_writer.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <mutex>
#include <set>
#include <system_error>
#include <unistd.h>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <fmt/format.h>
#include <gdal.h>
#include <gdal_priv.h>
#include <nlohmann/json.hpp>
#include <ogr_feature.h>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include "areatwin/engine/errors.hpp"
#include "styles.hpp"

namespace areatwin::io {
namespace fs = std::filesystem;

namespace {

constexpr float kNodata = -9999.0f;
constexpr const char* kManifestUri = "https://areatwin.org/manifest";
constexpr const char* kManifestTable = "areatwin_manifest";
constexpr int kRowsPerStrip = 256;  // one row of GeoPackage tiles at BLOCKSIZE 256

void register_gdal() {
    static std::once_flag once;
    std::call_once(once, [] { GDALAllRegister(); });
}

// GDAL reports through a global handler; keep its messages out of stderr while we turn them into
// exceptions that carry CPLGetLastErrorMsg().
class QuietGdalErrors {
public:
    QuietGdalErrors() {
        CPLPushErrorHandler(CPLQuietErrorHandler);
        CPLErrorReset();
    }
    ~QuietGdalErrors() { CPLPopErrorHandler(); }
    QuietGdalErrors(const QuietGdalErrors&) = delete;
    QuietGdalErrors& operator=(const QuietGdalErrors&) = delete;

private:
    // The file being written is a temporary one, renamed into place only when complete and synced
    // once before the rename (sync_file), so SQLite's per-transaction fsync buys nothing; it took
    // two thirds of the demo's write time.
    CPLConfigOptionSetter no_sync_{"OGR_SQLITE_SYNCHRONOUS", "OFF", false};
};

void sync_file(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) throw InternalError(fmt::format("{}: cannot open for sync: {}", path.string(), std::strerror(errno)));
    const int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) throw InternalError(fmt::format("{}: fsync failed: {}", path.string(), std::strerror(errno)));
}

std::string gdal_message() {
    const char* msg = CPLGetLastErrorMsg();
    return (msg != nullptr && *msg != '\0') ? std::string(msg) : std::string("no message from GDAL");
}

bool gdal_failed() { return CPLGetLastErrorType() >= CE_Failure; }

struct DatasetCloser {
    void operator()(GDALDataset* ds) const { GDALClose(GDALDataset::ToHandle(ds)); }
};
using DatasetPtr = std::unique_ptr<GDALDataset, DatasetCloser>;

// GDALClose flushes pending tiles and commits; in GDAL 3.6 it returns nothing, so failures are
// read from the error state.
void close_checked(DatasetPtr& ds, const fs::path& path, const std::string& what) {
    CPLErrorReset();
    ds.reset();
    if (gdal_failed())
        throw InternalError(fmt::format("{}: {} failed while closing: {}", path.string(), what, gdal_message()));
}

std::string sql_text(std::string_view s) {
    std::string out = "'";
    for (char ch : s) {
        out += ch;
        if (ch == '\'') out += '\'';
    }
    out += '\'';
    return out;
}

void exec_sql(GDALDataset& ds, const std::string& sql, const fs::path& path, const std::string& table) {
    CPLErrorReset();
    OGRLayer* result = ds.ExecuteSQL(sql.c_str(), nullptr, nullptr);
    if (result != nullptr) ds.ReleaseResultSet(result);
    if (gdal_failed())
        throw InternalError(fmt::format("{}: writing table {} failed: {}", path.string(), table, gdal_message()));
}

// Runs a query that returns one integer (COUNT, EXISTS); -1 when the query failed.
long long query_integer(GDALDataset& ds, const std::string& sql) {
    OGRLayer* result = ds.ExecuteSQL(sql.c_str(), nullptr, nullptr);
    if (result == nullptr) return -1;
    long long value = -1;
    if (OGRFeature* f = result->GetNextFeature()) {
        value = f->GetFieldAsInteger64(0);
        OGRFeature::DestroyFeature(f);
    }
    ds.ReleaseResultSet(result);
    return value;
}

bool table_exists(GDALDataset& ds, const std::string& table) {
    return query_integer(ds, "SELECT COUNT(*) FROM sqlite_master WHERE type IN ('table', 'view') AND name = " +
                                 sql_text(table)) > 0;
}

DatasetPtr open_update(const fs::path& path, const std::string& what) {
    CPLErrorReset();
    const char* const drivers[] = {"GPKG", nullptr};
    GDALDataset* ds = GDALDataset::FromHandle(
        GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE, drivers, nullptr, nullptr));
    if (ds == nullptr)
        throw InternalError(fmt::format("{}: cannot reopen GeoPackage for {}: {}", path.string(), what, gdal_message()));
    return DatasetPtr(ds);
}

// GeoPackage table names become SQL identifiers and QGIS layer names; keep them plain so they need
// no quoting in any tool (letters, digits, '_' and '-', starting with a letter).
void check_table_name(const std::string& table, const char* kind) {
    const bool plain = !table.empty() && std::isalpha(static_cast<unsigned char>(table.front())) &&
                       std::all_of(table.begin(), table.end(), [](char ch) {
                           return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-';
                       });
    if (!plain) {
        throw ConfigError(fmt::format("{} table name '{}' is not usable in a GeoPackage: use letters, digits, '_' "
                                      "and '-', starting with a letter",
                                      kind, table));
    }
    std::string lower = table;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    if (lower.starts_with("gpkg_") || lower.starts_with("rtree_") || lower.starts_with("sqlite_") ||
        lower == "layer_styles" || lower == kManifestTable) {
        throw ConfigError(fmt::format("{} table name '{}' is reserved in the GeoPackage", kind, table));
    }
}

OGRLinearRing make_ring(const Ring& ring) {
    OGRLinearRing out;
    out.setNumPoints(static_cast<int>(ring.size()), FALSE);
    for (std::size_t i = 0; i < ring.size(); ++i) out.setPoint(static_cast<int>(i), ring[i].x, ring[i].y);
    out.closeRings();
    return out;
}

std::unique_ptr<OGRGeometry> make_geometry(const Geometry& g, OGRwkbGeometryType layer_type) {
    switch (g.kind) {
        case Geometry::Kind::Point: {
            if (wkbFlatten(layer_type) == wkbPoint) {
                return std::make_unique<OGRPoint>(g.points.front().x, g.points.front().y);
            }
            auto multi = std::make_unique<OGRMultiPoint>();
            for (const Point2& p : g.points) {
                OGRPoint point(p.x, p.y);
                multi->addGeometry(&point);
            }
            return multi;
        }
        case Geometry::Kind::Line: {
            auto multi = std::make_unique<OGRMultiLineString>();
            for (const auto& part : g.lines) {
                OGRLineString line;
                line.setNumPoints(static_cast<int>(part.size()), FALSE);
                for (std::size_t i = 0; i < part.size(); ++i) line.setPoint(static_cast<int>(i), part[i].x, part[i].y);
                multi->addGeometry(&line);
            }
            return multi;
        }
        case Geometry::Kind::Polygon: {
            auto multi = std::make_unique<OGRMultiPolygon>();
            for (const Polygon& poly : g.polygons) {
                OGRPolygon polygon;
                for (const Ring& ring : poly.rings) {
                    OGRLinearRing r = make_ring(ring);
                    polygon.addRing(&r);
                }
                multi->addGeometry(&polygon);
            }
            return multi;
        }
    }
    return nullptr;
}

OGRwkbGeometryType layer_geometry_type(const VectorLayerOut& layer) {
    if (layer.geometries.empty()) {
        if (!layer.kind) return wkbUnknown;
        return *layer.kind == Geometry::Kind::Point ? wkbPoint
               : *layer.kind == Geometry::Kind::Line ? wkbMultiLineString
                                                     : wkbMultiPolygon;
    }
    const Geometry::Kind kind = layer.geometries.front().kind;
    for (std::size_t i = 0; i < layer.geometries.size(); ++i) {
        if (layer.geometries[i].kind != kind) {
            throw InternalError(fmt::format("vector table {}: row {} has a different geometry kind than row 0; "
                                            "one layer holds one kind",
                                            layer.table, i));
        }
    }
    switch (kind) {
        case Geometry::Kind::Point: {
            const bool single = std::all_of(layer.geometries.begin(), layer.geometries.end(),
                                            [](const Geometry& g) { return g.points.size() == 1; });
            return single ? wkbPoint : wkbMultiPoint;
        }
        case Geometry::Kind::Line: return wkbMultiLineString;
        case Geometry::Kind::Polygon: return wkbMultiPolygon;
    }
    return wkbUnknown;
}

OGRSpatialReference parse_crs(const std::string& crs, const fs::path& destination) {
    OGRSpatialReference srs;
    srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    QuietGdalErrors quiet;
    if (crs.empty() || srs.SetFromUserInput(crs.c_str()) != OGRERR_NONE) {
        throw ConfigError(fmt::format("{}: grid CRS '{}' is not a coordinate reference system PROJ knows: {}",
                                      destination.string(), crs, gdal_message()));
    }
    return srs;
}

void remove_quietly(const fs::path& p) {
    std::error_code ec;
    fs::remove(p, ec);
}

void remove_with_sidecars(const fs::path& p) {
    remove_quietly(p);
    for (const char* suffix : {"-journal", "-wal", "-shm"}) remove_quietly(fs::path(p.string() + suffix));
}

// The GeoPackage schema extension tables, as the specification (and GDAL) define them; created only
// when a layer has column descriptions.
void ensure_data_columns_tables(GDALDataset& ds, const fs::path& path, const std::string& table) {
    if (table_exists(ds, "gpkg_data_columns")) return;
    exec_sql(ds,
             "CREATE TABLE gpkg_data_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, "
             "title TEXT, description TEXT, mime_type TEXT, constraint_name TEXT, "
             "CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name), "
             "CONSTRAINT gdc_tn UNIQUE (table_name, name))",
             path, table);
    if (!table_exists(ds, "gpkg_data_column_constraints")) {
        exec_sql(ds,
                 "CREATE TABLE gpkg_data_column_constraints (constraint_name TEXT NOT NULL, "
                 "constraint_type TEXT NOT NULL, value TEXT, min NUMERIC, min_is_inclusive BOOLEAN, max NUMERIC, "
                 "max_is_inclusive BOOLEAN, description TEXT, "
                 "CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value))",
                 path, table);
    }
    for (const char* t : {"gpkg_data_columns", "gpkg_data_column_constraints"}) {
        exec_sql(ds,
                 fmt::format("INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, "
                             "scope) SELECT '{0}', NULL, 'gpkg_schema', "
                             "'http://www.geopackage.org/spec121/#extension_schema', 'read-write' WHERE NOT EXISTS "
                             "(SELECT 1 FROM gpkg_extensions WHERE table_name = '{0}' AND "
                             "extension_name = 'gpkg_schema')",
                             t),
                 path, table);
    }
}

void ensure_extensions_table(GDALDataset& ds, const fs::path& path) {
    exec_sql(ds,
             "CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, "
             "extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, "
             "CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))",
             path, "gpkg_extensions");
}

void ensure_metadata_tables(GDALDataset& ds, const fs::path& path) {
    if (!table_exists(ds, "gpkg_metadata")) {
        exec_sql(ds,
                 "CREATE TABLE gpkg_metadata (id INTEGER CONSTRAINT m_pk PRIMARY KEY ASC NOT NULL, "
                 "md_scope TEXT NOT NULL DEFAULT 'dataset', md_standard_uri TEXT NOT NULL, "
                 "mime_type TEXT NOT NULL DEFAULT 'text/xml', metadata TEXT NOT NULL DEFAULT '')",
                 path, "gpkg_metadata");
    }
    if (!table_exists(ds, "gpkg_metadata_reference")) {
        exec_sql(ds,
                 "CREATE TABLE gpkg_metadata_reference (reference_scope TEXT NOT NULL, table_name TEXT, "
                 "column_name TEXT, row_id_value INTEGER, "
                 "timestamp DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), "
                 "md_file_id INTEGER NOT NULL, md_parent_id INTEGER, "
                 "CONSTRAINT crmr_mfi_fk FOREIGN KEY (md_file_id) REFERENCES gpkg_metadata(id), "
                 "CONSTRAINT crmr_mpi_fk FOREIGN KEY (md_parent_id) REFERENCES gpkg_metadata(id))",
                 path, "gpkg_metadata_reference");
    }
    for (const char* t : {"gpkg_metadata", "gpkg_metadata_reference"}) {
        exec_sql(ds,
                 fmt::format("INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, "
                             "scope) SELECT '{0}', NULL, 'gpkg_metadata', "
                             "'http://www.geopackage.org/spec121/#extension_metadata', 'read-write' WHERE NOT EXISTS "
                             "(SELECT 1 FROM gpkg_extensions WHERE table_name = '{0}' AND "
                             "extension_name = 'gpkg_metadata')",
                             t),
                 path, "gpkg_extensions");
    }
}

struct StyleRow {
    std::string table;
    std::string geometry_column;  // empty for raster tables
    std::string qml;
    std::string description;
};

// The table QGIS creates when a user saves a style into a GeoPackage (QgsOgrProviderMetadata::saveStyle):
// an attributes table with an "id" primary key, registered in gpkg_contents.
void write_layer_styles(GDALDataset& ds, const std::vector<StyleRow>& rows, const fs::path& path) {
    if (rows.empty()) return;
    OGRLayer* layer = ds.GetLayerByName("layer_styles");
    if (layer == nullptr) {
        CPLErrorReset();
        char** options = CSLSetNameValue(nullptr, "FID", "id");
        options = CSLSetNameValue(options, "DESCRIPTION", "QGIS layer styles");
        layer = ds.CreateLayer("layer_styles", nullptr, wkbNone, options);
        CSLDestroy(options);
        if (layer == nullptr)
            throw InternalError(fmt::format("{}: cannot create table layer_styles: {}", path.string(), gdal_message()));
        struct Column {
            const char* name;
            OGRFieldType type;
            int width;
        };
        static constexpr Column columns[] = {
            {"f_table_catalog", OFTString, 256}, {"f_table_schema", OFTString, 256},
            {"f_table_name", OFTString, 256},    {"f_geometry_column", OFTString, 256},
            {"styleName", OFTString, 30},        {"styleQML", OFTString, 0},
            {"styleSLD", OFTString, 0},          {"useAsDefault", OFTInteger, 0},
            {"description", OFTString, 0},       {"owner", OFTString, 30},
            {"ui", OFTString, 30},               {"update_time", OFTDateTime, 0},
        };
        for (const Column& c : columns) {
            OGRFieldDefn field(c.name, c.type);
            field.SetWidth(c.width);
            if (c.type == OFTInteger) field.SetSubType(OFSTBoolean);
            if (c.type == OFTDateTime) field.SetDefault("CURRENT_TIMESTAMP");
            if (layer->CreateField(&field) != OGRERR_NONE)
                throw InternalError(fmt::format("{}: cannot create column {} of table layer_styles: {}",
                                                path.string(), c.name, gdal_message()));
        }
    }
    for (const StyleRow& row : rows) {
        OGRFeature feature(layer->GetLayerDefn());
        feature.SetField("f_table_catalog", "");
        feature.SetField("f_table_schema", "");
        feature.SetField("f_table_name", row.table.c_str());
        feature.SetField("f_geometry_column", row.geometry_column.c_str());
        // QGIS offers the style under this name; the layer name keeps it unique per layer.
        feature.SetField("styleName", row.table.c_str());
        feature.SetField("styleQML", row.qml.c_str());
        feature.SetField("styleSLD", "");
        feature.SetField("useAsDefault", 1);
        feature.SetField("description", row.description.c_str());
        feature.SetField("owner", "");
        feature.SetField("ui", "");
        if (layer->CreateFeature(&feature) != OGRERR_NONE)
            throw InternalError(fmt::format("{}: cannot write the style of {} into layer_styles: {}", path.string(),
                                            row.table, gdal_message()));
    }
}

void write_manifest(GDALDataset& ds, const std::string& json, const fs::path& path) {
    // As a plain attributes table, so QGIS users can open the manifest like any layer.
    CPLErrorReset();
    char** options = CSLSetNameValue(nullptr, "DESCRIPTION", "areatwin run manifest (JSON)");
    OGRLayer* layer = ds.CreateLayer(kManifestTable, nullptr, wkbNone, options);
    CSLDestroy(options);
    if (layer == nullptr)
        throw InternalError(fmt::format("{}: cannot create table {}: {}", path.string(), kManifestTable, gdal_message()));
    OGRFieldDefn key("key", OFTString);
    OGRFieldDefn value("value", OFTString);
    if (layer->CreateField(&key) != OGRERR_NONE || layer->CreateField(&value) != OGRERR_NONE)
        throw InternalError(fmt::format("{}: cannot create columns of table {}: {}", path.string(), kManifestTable,
                                        gdal_message()));
    OGRFeature feature(layer->GetLayerDefn());
    feature.SetField("key", "manifest");
    feature.SetField("value", json.c_str());
    if (layer->CreateFeature(&feature) != OGRERR_NONE)
        throw InternalError(fmt::format("{}: cannot write the manifest row of table {}: {}", path.string(),
                                        kManifestTable, gdal_message()));

    // And in the metadata extension, where GeoPackage-aware tools look for dataset metadata.
    ensure_extensions_table(ds, path);
    ensure_metadata_tables(ds, path);
    exec_sql(ds,
             fmt::format("INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, metadata) "
                         "VALUES ('dataset', {}, 'application/json', {})",
                         sql_text(kManifestUri), sql_text(json)),
             path, "gpkg_metadata");
    exec_sql(ds,
             fmt::format("INSERT INTO gpkg_metadata_reference (reference_scope, table_name, column_name, row_id_value, "
                         "md_file_id) VALUES ('geopackage', NULL, NULL, NULL, (SELECT MAX(id) FROM gpkg_metadata "
                         "WHERE md_standard_uri = {}))",
                         sql_text(kManifestUri)),
             path, "gpkg_metadata_reference");
}

}  // namespace

struct GeoPackageWriter::Impl {
    fs::path destination;
    fs::path temp;
    GridSpec grid;
    OGRSpatialReference srs;
    std::set<std::string> tables;  // lower-case: SQLite table names are case-insensitive
    std::vector<StyleRow> styles;
    std::optional<std::string> manifest_json;
    bool committed = false;
};

GeoPackageWriter::GeoPackageWriter(fs::path destination, GridSpec grid) : impl_(std::make_unique<Impl>()) {
    register_gdal();
    check_output_writable(destination);
    if (grid.cols <= 0 || grid.rows <= 0 || !(grid.cell_size_m > 0.0) || !std::isfinite(grid.origin_x) ||
        !std::isfinite(grid.origin_y)) {
        throw InternalError(fmt::format("{}: grid of {} x {} cells of {} m is not writable", destination.string(),
                                        grid.cols, grid.rows, grid.cell_size_m));
    }
    if (grid.cols > std::numeric_limits<int>::max() || grid.rows > std::numeric_limits<int>::max()) {
        throw ConfigError(fmt::format("{}: grid of {} x {} cells exceeds what GDAL can write in one raster",
                                      destination.string(), grid.cols, grid.rows));
    }
    impl_->srs = parse_crs(grid.crs, destination);
    impl_->destination = destination;
    impl_->grid = std::move(grid);
    impl_->temp = destination.parent_path() /
                  fmt::format("{}.partial-{}.gpkg", destination.filename().string(), static_cast<long>(::getpid()));
    remove_with_sidecars(impl_->temp);

    // Start from an empty GeoPackage so every raster is appended the same way, whatever came first.
    QuietGdalErrors quiet;
    GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GPKG");
    if (driver == nullptr) throw InternalError("GDAL was built without the GPKG driver");
    DatasetPtr ds(driver->Create(impl_->temp.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
    if (!ds) {
        const std::string msg = gdal_message();
        remove_with_sidecars(impl_->temp);
        throw InternalError(fmt::format("{}: cannot create GeoPackage: {}", impl_->temp.string(), msg));
    }
    try {
        close_checked(ds, impl_->temp, "creating the GeoPackage");
    } catch (...) {
        remove_with_sidecars(impl_->temp);
        throw;
    }
}

GeoPackageWriter::~GeoPackageWriter() {
    if (impl_ && !impl_->committed) remove_with_sidecars(impl_->temp);
}

const fs::path& GeoPackageWriter::temporary_path() const { return impl_->temp; }

void GeoPackageWriter::add_raster(const RasterLayerOut& layer) {
    Impl& im = *impl_;
    if (im.committed) throw InternalError(fmt::format("{}: add_raster after commit", im.destination.string()));
    check_table_name(layer.table, "raster");
    std::string key = layer.table;
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (im.tables.contains(key))
        throw InternalError(fmt::format("{}: table {} written twice", im.destination.string(), layer.table));
    if (layer.raster == nullptr)
        throw InternalError(fmt::format("{}: raster table {} has no raster", im.destination.string(), layer.table));
    const Raster& raster = *layer.raster;
    if (raster.cols() != im.grid.cols || raster.rows() != im.grid.rows) {
        throw InternalError(fmt::format("{}: raster table {} is {} x {} cells but the grid is {} x {}",
                                        im.destination.string(), layer.table, raster.cols(), raster.rows(),
                                        im.grid.cols, im.grid.rows));
    }
    StyleRow style{layer.table, "", detail::raster_style_qml(layer.style, layer.table), layer.description};

    QuietGdalErrors quiet;
    const std::string description = layer.description.empty() ? layer.table : layer.description;
    char** options = nullptr;
    options = CSLSetNameValue(options, "TILE_FORMAT", "TIFF");  // lossless Float32; PNG tiles quantise
    options = CSLSetNameValue(options, "RASTER_TABLE", layer.table.c_str());
    options = CSLSetNameValue(options, "RASTER_IDENTIFIER", layer.table.c_str());
    options = CSLSetNameValue(options, "RASTER_DESCRIPTION", description.c_str());
    // Without it the GPKG driver replaces the whole file with this one table.
    options = CSLSetNameValue(options, "APPEND_SUBDATASET", "YES");
    options = CSLSetNameValue(options, "BLOCKSIZE", "256");
    options = CSLSetNameValue(options, "FIELD_NAME", layer.table.c_str());
    options = CSLSetNameValue(options, "QUANTITY_DEFINITION", description.c_str());
    // A cell value stands for the whole cell, not a sample at its centre.
    options = CSLSetNameValue(options, "GRID_CELL_ENCODING", "grid-value-is-area");
    if (!layer.unit.empty()) options = CSLSetNameValue(options, "UOM", layer.unit.c_str());

    GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GPKG");
    DatasetPtr ds(driver->Create(im.temp.c_str(), static_cast<int>(im.grid.cols), static_cast<int>(im.grid.rows), 1,
                                 GDT_Float32, options));
    CSLDestroy(options);
    if (!ds) {
        throw InternalError(fmt::format("{}: cannot create raster table {}: {}", im.temp.string(), layer.table,
                                        gdal_message()));
    }
    double transform[6] = {im.grid.origin_x, im.grid.cell_size_m, 0.0, im.grid.origin_y, 0.0, -im.grid.cell_size_m};
    GDALRasterBand* band = ds->GetRasterBand(1);
    // GDAL 3.6's GPKG band reports failure from SetNoDataValue even when the update succeeded (it
    // compares sqlite3_step's SQLITE_DONE with SQLITE_OK), so the value is checked by reading it back.
    CPLErrorReset();
    band->SetNoDataValue(kNodata);
    int has_nodata = 0;
    const bool nodata_set = band->GetNoDataValue(&has_nodata) == kNodata && has_nodata != 0 && !gdal_failed();
    const char* failed = ds->SetGeoTransform(transform) != CE_None ? "geotransform"
                         : ds->SetSpatialRef(&im.srs) != CE_None   ? "CRS"
                         : !nodata_set                             ? "nodata value"
                                                                   : nullptr;
    if (failed != nullptr) {
        throw InternalError(fmt::format("{}: cannot set the {} of raster table {}: {}", im.temp.string(), failed,
                                        layer.table, gdal_message()));
    }
    if (!layer.unit.empty()) band->SetUnitType(layer.unit.c_str());

    // Strips of whole tile rows keep the extra memory to one strip whatever the grid size.
    const auto cols = static_cast<std::size_t>(im.grid.cols);
    std::vector<float> strip;
    for (std::int64_t row0 = 0; row0 < im.grid.rows; row0 += kRowsPerStrip) {
        const std::int64_t nrows = std::min<std::int64_t>(kRowsPerStrip, im.grid.rows - row0);
        strip.assign(raster.row_ptr(row0), raster.row_ptr(row0) + cols * static_cast<std::size_t>(nrows));
        std::replace_if(strip.begin(), strip.end(), [](float v) { return std::isnan(v); }, kNodata);
        if (band->RasterIO(GF_Write, 0, static_cast<int>(row0), static_cast<int>(im.grid.cols), static_cast<int>(nrows),
                           strip.data(), static_cast<int>(im.grid.cols), static_cast<int>(nrows), GDT_Float32, 0, 0,
                           nullptr) != CE_None) {
            throw InternalError(fmt::format("{}: writing raster table {} failed at row {}: {}", im.temp.string(),
                                            layer.table, row0, gdal_message()));
        }
    }
    close_checked(ds, im.temp, "writing raster table " + layer.table);
    im.tables.insert(key);
    im.styles.push_back(std::move(style));
}

void GeoPackageWriter::add_vector(const VectorLayerOut& layer) {
    Impl& im = *impl_;
    if (im.committed) throw InternalError(fmt::format("{}: add_vector after commit", im.destination.string()));
    check_table_name(layer.table, "vector");
    std::string key = layer.table;
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (im.tables.contains(key))
        throw InternalError(fmt::format("{}: table {} written twice", im.destination.string(), layer.table));
    const std::size_t n = layer.geometries.size();
    std::set<std::string> column_names;
    for (const VectorColumn& c : layer.columns) {
        const std::size_t size = c.text ? c.texts.size() : c.numbers.size();
        if (size != n) {
            throw InternalError(fmt::format("{}: column {} of vector table {} has {} values for {} rows",
                                            im.destination.string(), c.name, layer.table, size, n));
        }
        std::string lower = c.name;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        if (c.name.empty() || lower == "fid" || lower == "geom" || !column_names.insert(lower).second) {
            throw InternalError(fmt::format("{}: vector table {} has an empty, reserved or repeated column name '{}'",
                                            im.destination.string(), layer.table, c.name));
        }
    }
    for (std::size_t i = 0; i < n; ++i) {
        if (layer.geometries[i].empty())
            throw InternalError(fmt::format("{}: row {} of vector table {} has an empty geometry",
                                            im.destination.string(), i, layer.table));
    }
    const OGRwkbGeometryType type = layer_geometry_type(layer);

    QuietGdalErrors quiet;
    DatasetPtr ds = open_update(im.temp, "vector table " + layer.table);
    char** options = nullptr;
    options = CSLSetNameValue(options, "FID", "fid");
    options = CSLSetNameValue(options, "GEOMETRY_NAME", "geom");
    options = CSLSetNameValue(options, "IDENTIFIER", layer.table.c_str());
    if (!layer.description.empty()) options = CSLSetNameValue(options, "DESCRIPTION", layer.description.c_str());
    OGRLayer* out = ds->CreateLayer(layer.table.c_str(), &im.srs, type, options);
    CSLDestroy(options);
    if (out == nullptr)
        throw InternalError(fmt::format("{}: cannot create vector table {}: {}", im.temp.string(), layer.table,
                                        gdal_message()));
    for (const VectorColumn& c : layer.columns) {
        OGRFieldDefn field(c.name.c_str(), c.text ? OFTString : OFTReal);
        if (out->CreateField(&field) != OGRERR_NONE)
            throw InternalError(fmt::format("{}: cannot create column {} of vector table {}: {}", im.temp.string(),
                                            c.name, layer.table, gdal_message()));
    }

    if (ds->StartTransaction() != OGRERR_NONE)
        throw InternalError(fmt::format("{}: cannot start a transaction for vector table {}: {}", im.temp.string(),
                                        layer.table, gdal_message()));
    OGRFeatureDefn* defn = out->GetLayerDefn();
    for (std::size_t i = 0; i < n; ++i) {
        OGRFeature feature(defn);
        feature.SetGeometryDirectly(make_geometry(layer.geometries[i], type).release());
        for (std::size_t c = 0; c < layer.columns.size(); ++c) {
            const VectorColumn& column = layer.columns[c];
            const int index = static_cast<int>(c);
            if (column.text) {
                feature.SetField(index, column.texts[i].c_str());
            } else if (const auto& v = column.numbers[i]; v && !std::isnan(*v)) {
                feature.SetField(index, *v);
            } else {
                feature.SetFieldNull(index);
            }
        }
        if (out->CreateFeature(&feature) != OGRERR_NONE)
            throw InternalError(fmt::format("{}: cannot write row {} of vector table {}: {}", im.temp.string(), i,
                                            layer.table, gdal_message()));
    }
    if (ds->CommitTransaction() != OGRERR_NONE)
        throw InternalError(fmt::format("{}: cannot commit vector table {}: {}", im.temp.string(), layer.table,
                                        gdal_message()));

    // GDAL 3.6 does not write field descriptions into gpkg_data_columns, so QGIS would not see them.
    const bool has_descriptions = std::any_of(layer.columns.begin(), layer.columns.end(),
                                              [](const VectorColumn& c) { return !c.description.empty(); });
    if (has_descriptions) {
        ensure_data_columns_tables(*ds, im.temp, layer.table);
        for (const VectorColumn& c : layer.columns) {
            if (c.description.empty()) continue;
            exec_sql(*ds,
                     fmt::format("INSERT INTO gpkg_data_columns (table_name, column_name, name, title, description) "
                                 "VALUES ({}, {}, {}, {}, {})",
                                 sql_text(layer.table), sql_text(c.name), sql_text(c.name), sql_text(c.name),
                                 sql_text(c.description)),
                     im.temp, "gpkg_data_columns");
        }
    }
    close_checked(ds, im.temp, "writing vector table " + layer.table);

    StyleRow style{layer.table, "geom", layer.style_qml, layer.description};
    if (style.qml.empty()) {
        style.qml = detail::default_vector_style_qml(layer.geometries.empty() ? layer.kind.value_or(Geometry::Kind::Polygon)
                                                                               : layer.geometries.front().kind);
    }
    im.tables.insert(key);
    im.styles.push_back(std::move(style));
}

void GeoPackageWriter::set_manifest(const nlohmann::json& manifest) {
    if (impl_->committed) throw InternalError(fmt::format("{}: set_manifest after commit", impl_->destination.string()));
    // Written at commit so a later call replaces an earlier one without leaving two rows.
    impl_->manifest_json = manifest.dump(2);
}

void GeoPackageWriter::commit() {
    Impl& im = *impl_;
    if (im.committed) throw InternalError(fmt::format("{}: committed twice", im.destination.string()));
    {
        QuietGdalErrors quiet;
        DatasetPtr ds = open_update(im.temp, "styles and manifest");
        if (ds->StartTransaction() != OGRERR_NONE)
            throw InternalError(fmt::format("{}: cannot start a transaction: {}", im.temp.string(), gdal_message()));
        write_layer_styles(*ds, im.styles, im.temp);
        if (im.manifest_json) write_manifest(*ds, *im.manifest_json, im.temp);
        if (ds->CommitTransaction() != OGRERR_NONE)
            throw InternalError(fmt::format("{}: cannot commit styles and manifest: {}", im.temp.string(),
                                            gdal_message()));
        close_checked(ds, im.temp, "writing styles and manifest");
    }
    std::error_code ec;
    if (fs::is_directory(im.destination, ec))
        throw ConfigError(fmt::format("{}: the output path is an existing directory", im.destination.string()));
    sync_file(im.temp);
    fs::rename(im.temp, im.destination, ec);
    if (ec) {
        throw ConfigError(fmt::format("{}: cannot move the finished GeoPackage {} into place: {}",
                                      im.destination.string(), im.temp.string(), ec.message()));
    }
    im.committed = true;
}

void check_output_writable(const fs::path& destination) {
    if (destination.empty()) throw ConfigError("output path is empty");
    const fs::path folder = destination.has_parent_path() ? destination.parent_path() : fs::path(".");
    std::error_code ec;
    if (!fs::exists(folder, ec))
        throw ConfigError(fmt::format("{}: output folder {} does not exist", destination.string(), folder.string()));
    if (!fs::is_directory(folder, ec))
        throw ConfigError(fmt::format("{}: {} is not a folder", destination.string(), folder.string()));
    if (fs::is_directory(destination, ec))
        throw ConfigError(fmt::format("{}: the output path is an existing directory", destination.string()));

    // Permission bits, ACLs and read-only mounts all show up by trying.
    static std::atomic<unsigned> counter{0};
    const fs::path probe =
        folder / fmt::format(".areatwin-probe-{}-{}", static_cast<long>(::getpid()), counter.fetch_add(1));
    const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        const int err = errno;
        throw ConfigError(fmt::format("{}: output folder {} is not writable: {}", destination.string(), folder.string(),
                                      std::strerror(err)));
    }
    ::close(fd);
    remove_quietly(probe);
}

Raster read_gpkg_raster(const fs::path& gpkg, const std::string& table, GridSpec* grid) {
    register_gdal();
    std::error_code ec;
    if (!fs::is_regular_file(gpkg, ec)) throw DataError(fmt::format("{}: GeoPackage does not exist", gpkg.string()));
    QuietGdalErrors quiet;
    const std::string name = fmt::format("GPKG:{}:{}", gpkg.string(), table);
    const char* const drivers[] = {"GPKG", nullptr};
    DatasetPtr ds(GDALDataset::FromHandle(
        GDALOpenEx(name.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, drivers, nullptr, nullptr)));
    if (!ds || ds->GetRasterCount() < 1)
        throw DataError(fmt::format("{}: cannot read raster table {}: {}", gpkg.string(), table, gdal_message()));
    const int cols = ds->GetRasterXSize();
    const int rows = ds->GetRasterYSize();
    GDALRasterBand* band = ds->GetRasterBand(1);
    Raster raster(cols, rows, 0.0f);
    if (band->RasterIO(GF_Read, 0, 0, cols, rows, raster.values().data(), cols, rows, GDT_Float32, 0, 0, nullptr) !=
        CE_None)
        throw DataError(fmt::format("{}: reading raster table {} failed: {}", gpkg.string(), table, gdal_message()));
    int has_nodata = 0;
    const double nodata = band->GetNoDataValue(&has_nodata);
    if (has_nodata != 0) {
        const auto nodata_f = static_cast<float>(nodata);
        std::replace(raster.values().begin(), raster.values().end(), nodata_f, Raster::nodata);
    }
    if (grid != nullptr) {
        double t[6];
        if (ds->GetGeoTransform(t) != CE_None)
            throw DataError(fmt::format("{}: raster table {} has no georeferencing", gpkg.string(), table));
        if (t[2] != 0.0 || t[4] != 0.0 || t[1] <= 0.0 || t[5] != -t[1])
            throw DataError(fmt::format("{}: raster table {} is not a north-up grid of square cells", gpkg.string(),
                                        table));
        GridSpec g;
        g.origin_x = t[0];
        g.origin_y = t[3];
        g.cell_size_m = t[1];
        g.cols = cols;
        g.rows = rows;
        g.crs.clear();
        if (const OGRSpatialReference* srs = ds->GetSpatialRef()) {
            OGRSpatialReference copy(*srs);
            const char* authority = copy.GetAuthorityName(nullptr);
            if (authority == nullptr) {
                copy.AutoIdentifyEPSG();
                authority = copy.GetAuthorityName(nullptr);
            }
            const char* code = copy.GetAuthorityCode(nullptr);
            if (authority != nullptr && code != nullptr && EQUAL(authority, "EPSG")) {
                g.crs = fmt::format("EPSG:{}", code);
            } else {
                char* wkt = nullptr;
                const char* wkt_options[] = {"FORMAT=WKT2_2019", nullptr};
                if (copy.exportToWkt(&wkt, wkt_options) == OGRERR_NONE && wkt != nullptr) g.crs = wkt;
                CPLFree(wkt);
            }
        }
        *grid = std::move(g);
    }
    return raster;
}

nlohmann::json read_gpkg_manifest(const fs::path& gpkg) {
    register_gdal();
    std::error_code ec;
    if (!fs::is_regular_file(gpkg, ec)) throw DataError(fmt::format("{}: GeoPackage does not exist", gpkg.string()));
    QuietGdalErrors quiet;
    const char* const drivers[] = {"GPKG", nullptr};
    DatasetPtr ds(GDALDataset::FromHandle(
        GDALOpenEx(gpkg.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, nullptr, nullptr)));
    if (!ds) throw DataError(fmt::format("{}: cannot open GeoPackage: {}", gpkg.string(), gdal_message()));

    std::optional<std::string> text;
    auto first_string = [&](const std::string& sql) -> std::optional<std::string> {
        OGRLayer* result = ds->ExecuteSQL(sql.c_str(), nullptr, nullptr);
        if (result == nullptr) return std::nullopt;
        std::optional<std::string> value;
        if (OGRFeature* f = result->GetNextFeature()) {
            if (f->IsFieldSetAndNotNull(0)) value = f->GetFieldAsString(0);
            OGRFeature::DestroyFeature(f);
        }
        ds->ReleaseResultSet(result);
        return value;
    };
    if (table_exists(*ds, kManifestTable))
        text = first_string(fmt::format("SELECT value FROM {} WHERE key = 'manifest' LIMIT 1", kManifestTable));
    if (!text && table_exists(*ds, "gpkg_metadata")) {
        text = first_string(fmt::format(
            "SELECT metadata FROM gpkg_metadata WHERE md_standard_uri = {} ORDER BY id DESC LIMIT 1",
            sql_text(kManifestUri)));
    }
    if (!text)
        throw DataError(fmt::format("{}: no run manifest (neither table {} nor a gpkg_metadata row with standard {})",
                                    gpkg.string(), kManifestTable, kManifestUri));
    try {
        return nlohmann::json::parse(*text);
    } catch (const nlohmann::json::exception& e) {
        throw DataError(fmt::format("{}: table {} holds a manifest that is not valid JSON: {}", gpkg.string(),
                                    kManifestTable, e.what()));
    }
}

std::string point_style_qml(const RasterStyle& style, const std::string& column, const std::string& table) {
    return detail::point_style_qml(style, column, table);
}

std::string polygon_style_qml(const RasterStyle& style, const std::string& column, const std::string& table) {
    return detail::polygon_style_qml(style, column, table);
}

}  // namespace areatwin::io
