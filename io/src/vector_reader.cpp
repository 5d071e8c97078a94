// SPDX-License-Identifier: GPL-3.0-or-later
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <mutex>
#include <numbers>
#include <optional>
#include <string>
#include <vector>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal_priv.h>
#include <geos_c.h>
#include <ogr_geometry.h>
#include <ogrsf_frmts.h>

#include <fmt/format.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/roles.hpp"
#include "areatwin/io/load.hpp"
#include "load_detail.hpp"

namespace areatwin::io {

namespace detail {

void ensure_gdal_registered() {
    static std::once_flag once;
    std::call_once(once, [] { GDALAllRegister(); });
}

QuietGdalErrors::QuietGdalErrors() {
    CPLPushErrorHandler(CPLQuietErrorHandler);
    CPLErrorReset();
}

QuietGdalErrors::~QuietGdalErrors() { CPLPopErrorHandler(); }

std::string last_gdal_error() {
    const char* message = CPLGetLastErrorMsg();
    if (message == nullptr || *message == '\0') return "unknown GDAL error";
    return message;
}

DatasetPtr open_dataset(const std::filesystem::path& path, unsigned open_flags, const std::string& role) {
    ensure_gdal_registered();
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        throw DataError(fmt::format("{}: input file {} does not exist", role, path.string()));
    }
    CPLErrorReset();
    GDALDataset* dataset = GDALDataset::Open(path.string().c_str(), open_flags | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR);
    if (dataset == nullptr) {
        const char* kind = (open_flags & GDAL_OF_VECTOR) && (open_flags & GDAL_OF_RASTER) ? "geodata"
                           : (open_flags & GDAL_OF_VECTOR)                               ? "vector data"
                                                                                         : "a raster";
        throw DataError(fmt::format("{}: cannot open {} as {}: {}", role, path.string(), kind, last_gdal_error()));
    }
    return DatasetPtr(dataset);
}

OGRSpatialReference make_srs(const std::string& definition, const std::string& what) {
    OGRSpatialReference srs;
    if (definition.empty() || srs.SetFromUserInput(definition.c_str()) != OGRERR_NONE) {
        throw ConfigError(fmt::format("{}: CRS '{}' is not understood: {}", what, definition, last_gdal_error()));
    }
    srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    return srs;
}

OGRLayer* pick_layer(GDALDataset& dataset, const SourceSpec& source) {
    const int count = dataset.GetLayerCount();
    std::vector<std::string> names;
    for (int i = 0; i < count; ++i) names.emplace_back(dataset.GetLayer(i)->GetName());
    const std::string present = names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "));
    if (source.layer.empty()) {
        if (count == 1) return dataset.GetLayer(0);
        throw DataError(fmt::format("{}: {} has {} layers; name one with `layer:` (layers present: {})",
                                    source.role, source.path.string(), count, present));
    }
    OGRLayer* layer = dataset.GetLayerByName(source.layer.c_str());
    if (layer == nullptr) {
        throw DataError(fmt::format("{}: layer '{}' not found in {} (layers present: {})", source.role,
                                    source.layer, source.path.string(), present));
    }
    return layer;
}

std::string source_label(const SourceSpec& source, const std::string& layer_name) {
    return fmt::format("{}:{}", source.path.filename().string(), layer_name);
}

namespace {

struct UnitInfo {
    const char* name;
    const char* quantity;
    double to_base;  // factor to the quantity's base unit (m, km/h, veh/h)
};

constexpr UnitInfo known_units[] = {
    {"m", "length", 1.0},          {"dm", "length", 0.1},       {"cm", "length", 0.01},
    {"mm", "length", 0.001},       {"km", "length", 1000.0},    {"km/h", "speed", 1.0},
    {"m/s", "speed", 3.6},         {"veh/h", "flow", 1.0},      {"veh/day", "flow", 1.0 / 24.0},
};

std::string normalized_unit(std::string unit) {
    std::string out;
    for (char c : unit) {
        if (c != ' ') out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    if (out == "kmh" || out == "kph") return "km/h";
    if (out == "veh/d") return "veh/day";
    if (out == "metre" || out == "meter") return "m";
    return out;
}

const UnitInfo* find_unit(const std::string& unit) {
    for (const UnitInfo& info : known_units) {
        if (unit == info.name) return &info;
    }
    return nullptr;
}

}  // namespace

double unit_factor(const std::string& from_unit, const std::string& to_unit, const std::string& what) {
    const std::string from = normalized_unit(from_unit);
    const std::string to = normalized_unit(to_unit);
    if (from.empty() || from == to) return 1.0;
    const UnitInfo* from_info = find_unit(from);
    if (from_info == nullptr) {
        std::vector<std::string> names;
        for (const UnitInfo& info : known_units) names.emplace_back(info.name);
        throw ConfigError(fmt::format("{}: unknown unit '{}' (known units: {})", what, from_unit, fmt::join(names, ", ")));
    }
    const UnitInfo* to_info = find_unit(to);
    if (to_info == nullptr || std::string_view(to_info->quantity) != from_info->quantity) {
        throw ConfigError(fmt::format("{}: unit '{}' cannot be converted to the canonical unit '{}'", what, from_unit,
                                      to.empty() ? "(a count or text, no unit)" : to));
    }
    return from_info->to_base / to_info->to_base;
}

std::optional<Box2> layer_extent_in(OGRLayer& layer, const std::string& crs, const std::string& label) {
    OGREnvelope envelope;
    if (layer.GetExtent(&envelope, TRUE) != OGRERR_NONE) return std::nullopt;
    if (!(envelope.MaxX >= envelope.MinX)) return std::nullopt;
    const OGRSpatialReference* source_srs = layer.GetSpatialRef();
    const OGRSpatialReference target = make_srs(crs, label);
    if (source_srs == nullptr || source_srs->IsSame(&target)) {
        return Box2{envelope.MinX, envelope.MinY, envelope.MaxX, envelope.MaxY};
    }
    OGRSpatialReference source_copy(*source_srs);
    source_copy.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    std::unique_ptr<OGRCoordinateTransformation> transform(OGRCreateCoordinateTransformation(&source_copy, &target));
    if (!transform) return std::nullopt;
    Box2 box;
    if (!transform->TransformBounds(envelope.MinX, envelope.MinY, envelope.MaxX, envelope.MaxY, &box.min_x,
                                    &box.min_y, &box.max_x, &box.max_y, 21)) {
        return std::nullopt;
    }
    return box;
}

Point2 representative_point(const Geometry& geometry) {
    if (!geometry.polygons.empty()) {
        double sum_area = 0.0, sum_x = 0.0, sum_y = 0.0;
        const Point2 origin = geometry.polygons.front().rings.empty() || geometry.polygons.front().rings[0].empty()
                                  ? Point2{}
                                  : geometry.polygons.front().rings[0][0];
        for (const Polygon& polygon : geometry.polygons) {
            for (std::size_t r = 0; r < polygon.rings.size(); ++r) {
                const Ring& ring = polygon.rings[r];
                double ring_area = 0.0, ring_x = 0.0, ring_y = 0.0;
                for (std::size_t i = 0; i + 1 < ring.size(); ++i) {
                    const double ax = ring[i].x - origin.x, ay = ring[i].y - origin.y;
                    const double bx = ring[i + 1].x - origin.x, by = ring[i + 1].y - origin.y;
                    const double cross = ax * by - bx * ay;
                    ring_area += cross;
                    ring_x += (ax + bx) * cross;
                    ring_y += (ay + by) * cross;
                }
                // Holes count negatively whatever their orientation.
                const double sign = (ring_area >= 0.0) == (r == 0) ? 1.0 : -1.0;
                sum_area += sign * ring_area;
                sum_x += sign * ring_x;
                sum_y += sign * ring_y;
            }
        }
        if (sum_area != 0.0) {
            return {origin.x + sum_x / (3.0 * sum_area), origin.y + sum_y / (3.0 * sum_area)};
        }
        const Box2 b = geometry.bounds();
        return {0.5 * (b.min_x + b.max_x), 0.5 * (b.min_y + b.max_y)};
    }
    if (!geometry.lines.empty()) {
        const double half = 0.5 * geometry.length_m();
        double walked = 0.0;
        for (const auto& line : geometry.lines) {
            for (std::size_t i = 1; i < line.size(); ++i) {
                const double step = std::hypot(line[i].x - line[i - 1].x, line[i].y - line[i - 1].y);
                if (walked + step >= half && step > 0.0) {
                    const double t = (half - walked) / step;
                    return {line[i - 1].x + t * (line[i].x - line[i - 1].x),
                            line[i - 1].y + t * (line[i].y - line[i - 1].y)};
                }
                walked += step;
            }
        }
        return geometry.lines.front().empty() ? Point2{} : geometry.lines.front().front();
    }
    if (!geometry.points.empty()) {
        double x = 0.0, y = 0.0;
        for (const Point2& p : geometry.points) {
            x += p.x;
            y += p.y;
        }
        const double n = static_cast<double>(geometry.points.size());
        return {x / n, y / n};
    }
    return {};
}

std::string input_layer(std::string_view derived_layer) {
    return std::string(input_layer_prefix) + std::string(derived_layer);
}

}  // namespace detail

namespace {

using detail::DatasetPtr;

// One GEOS context per thread: the `_r` API is thread-safe only with separate handles.
class GeosContext {
public:
    GeosContext() : handle_(GEOS_init_r()) {
        GEOSContext_setErrorMessageHandler_r(handle_, &GeosContext::on_error, this);
    }
    ~GeosContext() { GEOS_finish_r(handle_); }
    GeosContext(const GeosContext&) = delete;
    GeosContext& operator=(const GeosContext&) = delete;

    GEOSContextHandle_t handle() const { return handle_; }
    const std::string& last_error() const { return last_error_; }

    static GeosContext& for_this_thread() {
        thread_local GeosContext context;
        return context;
    }

private:
    static void on_error(const char* message, void* self) {
        static_cast<GeosContext*>(self)->last_error_ = message != nullptr ? message : "";
    }
    GEOSContextHandle_t handle_;
    std::string last_error_;
};

struct GeosGeometryDeleter {
    GEOSContextHandle_t handle;
    void operator()(GEOSGeometry* g) const {
        if (g != nullptr) GEOSGeom_destroy_r(handle, g);
    }
};
using GeosPtr = std::unique_ptr<GEOSGeometry, GeosGeometryDeleter>;

// Appends the parts of a 2-D, linear OGR geometry to `out` by kind.
void append_parts(const OGRGeometry& geometry, Geometry& points, Geometry& lines, Geometry& polygons) {
    const OGRwkbGeometryType type = wkbFlatten(geometry.getGeometryType());
    switch (type) {
        case wkbPoint: {
            const auto& p = *geometry.toPoint();
            if (!p.IsEmpty()) points.points.push_back({p.getX(), p.getY()});
            break;
        }
        case wkbLineString:
        case wkbLinearRing: {
            const auto& line = *geometry.toSimpleCurve();
            std::vector<Point2> part;
            part.reserve(static_cast<std::size_t>(line.getNumPoints()));
            for (int i = 0; i < line.getNumPoints(); ++i) part.push_back({line.getX(i), line.getY(i)});
            if (part.size() >= 2) lines.lines.push_back(std::move(part));
            break;
        }
        case wkbPolygon:
        case wkbTriangle: {
            const auto& polygon = *geometry.toPolygon();
            Polygon part;
            for (int r = 0; r < polygon.getNumInteriorRings() + 1; ++r) {
                const OGRLinearRing* ring = r == 0 ? polygon.getExteriorRing() : polygon.getInteriorRing(r - 1);
                if (ring == nullptr || ring->getNumPoints() < 3) continue;
                Ring out;
                out.reserve(static_cast<std::size_t>(ring->getNumPoints()) + 1);
                for (int i = 0; i < ring->getNumPoints(); ++i) out.push_back({ring->getX(i), ring->getY(i)});
                if (!(out.front() == out.back())) out.push_back(out.front());
                if (r == 0 || !part.rings.empty()) part.rings.push_back(std::move(out));
            }
            if (!part.rings.empty()) polygons.polygons.push_back(std::move(part));
            break;
        }
        case wkbMultiPoint:
        case wkbMultiLineString:
        case wkbMultiPolygon:
        case wkbGeometryCollection: {
            for (const OGRGeometry* part : *geometry.toGeometryCollection()) {
                append_parts(*part, points, lines, polygons);
            }
            break;
        }
        case wkbPolyhedralSurface:
        case wkbTIN: {
            for (const OGRPolygon* part : *geometry.toPolyhedralSurface()) {
                append_parts(*part, points, lines, polygons);
            }
            break;
        }
        default:
            break;
    }
}

std::vector<unsigned char> to_wkb(const OGRGeometry& geometry) {
    std::vector<unsigned char> wkb(geometry.WkbSize());
    geometry.exportToWkb(wkbNDR, wkb.data(), wkbVariantIso);
    return wkb;
}

GeosPtr to_geos(const OGRGeometry& geometry, GEOSContextHandle_t handle) {
    const std::vector<unsigned char> wkb = to_wkb(geometry);
    GEOSWKBReader* reader = GEOSWKBReader_create_r(handle);
    GEOSGeometry* g = GEOSWKBReader_read_r(handle, reader, wkb.data(), wkb.size());
    GEOSWKBReader_destroy_r(handle, reader);
    return GeosPtr(g, GeosGeometryDeleter{handle});
}

// The polygonal parts of a GEOS geometry as OGR-free polygons.
void append_polygonal_parts(const GEOSGeometry* g, GEOSContextHandle_t handle, Geometry& out) {
    const int type = GEOSGeomTypeId_r(handle, g);
    if (type == GEOS_POLYGON || type == GEOS_MULTIPOLYGON) {
        GEOSWKBWriter* writer = GEOSWKBWriter_create_r(handle);
        GEOSWKBWriter_setOutputDimension_r(handle, writer, 2);
        std::size_t size = 0;
        unsigned char* wkb = GEOSWKBWriter_write_r(handle, writer, g, &size);
        GEOSWKBWriter_destroy_r(handle, writer);
        if (wkb == nullptr) return;
        OGRGeometry* ogr = nullptr;
        if (OGRGeometryFactory::createFromWkb(wkb, nullptr, &ogr, size) == OGRERR_NONE && ogr != nullptr) {
            Geometry ignored_points, ignored_lines;
            append_parts(*ogr, ignored_points, ignored_lines, out);
            OGRGeometryFactory::destroyGeometry(ogr);
        }
        GEOSFree_r(handle, wkb);
        return;
    }
    if (type == GEOS_GEOMETRYCOLLECTION) {
        const int n = GEOSGetNumGeometries_r(handle, g);
        for (int i = 0; i < n; ++i) append_polygonal_parts(GEOSGetGeometryN_r(handle, g, i), handle, out);
    }
}

enum class RepairOutcome { Valid, Repaired, Emptied };

// Polygons that GEOS finds invalid (self-intersections, bow-ties) are replaced by the polygonal part
// of GEOSMakeValid; rasterising an invalid ring would count areas twice or with the wrong sign.
RepairOutcome repair_polygons(const OGRGeometry& geometry, Geometry& polygons, const std::string& what) {
    GeosContext& context = GeosContext::for_this_thread();
    const GEOSContextHandle_t handle = context.handle();
    GeosPtr g = to_geos(geometry, handle);
    if (!g) throw DataError(fmt::format("{}: GEOS cannot read the geometry: {}", what, context.last_error()));
    const char valid = GEOSisValid_r(handle, g.get());
    if (valid == 1) return RepairOutcome::Valid;
    if (valid == 2) throw DataError(fmt::format("{}: GEOS validity check failed: {}", what, context.last_error()));
    GeosPtr fixed(GEOSMakeValid_r(handle, g.get()), GeosGeometryDeleter{handle});
    if (!fixed) throw DataError(fmt::format("{}: GEOS MakeValid failed: {}", what, context.last_error()));
    polygons.polygons.clear();
    append_polygonal_parts(fixed.get(), handle, polygons);
    return polygons.polygons.empty() ? RepairOutcome::Emptied : RepairOutcome::Repaired;
}

struct AttributePlan {
    std::string canonical;
    int field_index = -1;       // -1: default only
    std::string field_name;
    bool text = false;
    bool required = false;
    double factor = 1.0;
    std::optional<AttributeValue> default_value;
    bool negative_is_null = false;
    std::int64_t defaulted = 0;  // features whose value came from the default although a field was named
};

std::string join_field_names(const OGRFeatureDefn& defn) {
    std::vector<std::string> names;
    for (int i = 0; i < defn.GetFieldCount(); ++i) names.emplace_back(defn.GetFieldDefn(i)->GetNameRef());
    return names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "));
}

std::optional<double> parse_double(const char* text) {
    std::string_view s(text);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    if (s.empty()) return std::nullopt;
    double value = 0.0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
    return value;
}

bool is_height_attribute(const std::string& canonical) {
    return canonical == "height_m" || canonical == "crown_diameter_m";
}

std::string value_text(const AttributeValue& value) {
    if (const auto* d = std::get_if<double>(&value)) return fmt::format("{}", *d);
    if (const auto* s = std::get_if<std::string>(&value)) return *s;
    return "null";
}

}  // namespace

FeatureSet read_vector(const SourceSpec& source, const GridSpec& grid, const Box2& clip, LoadReport& report) {
    detail::QuietGdalErrors quiet;
    const RoleSpec* role = find_role(source.role);
    if (role == nullptr) throw ConfigError(fmt::format("unknown input role '{}' ({})", source.role, source.declared_at));

    DatasetPtr dataset = detail::open_dataset(source.path, GDAL_OF_VECTOR, source.role);
    OGRLayer* layer = detail::pick_layer(*dataset, source);
    // Every file a run reads goes into the manifest, including the plan layers scenario edits add.
    detail::record_dataset_files(*dataset, source.role, report);
    const std::string layer_name = layer->GetName();
    const std::string label = detail::source_label(source, layer_name);
    OGRFeatureDefn& defn = *layer->GetLayerDefn();

    std::vector<std::string> field_names;
    for (int i = 0; i < defn.GetFieldCount(); ++i) field_names.emplace_back(defn.GetFieldDefn(i)->GetNameRef());
    detail::ExpandedSource expanded;
    if (source.preset.empty()) {
        expanded.spec = source;
        if (!source.class_field.empty()) expanded.class_fields.push_back(source.class_field);
    } else {
        expanded = detail::expand_preset(source, layer_name, field_names);
    }
    const SourceSpec& spec = expanded.spec;
    for (const std::string& note : expanded.notes) report.warnings.push_back(fmt::format("{}: {}: {}", spec.role, label, note));

    FeatureSet result;
    result.role = spec.role;

    // Land-cover classes must be classes of the data model, or the derived layers would have no reader.
    const auto& known_classes = landcover_classes();
    const auto check_class = [&](const std::string& cls, const std::string& from) {
        if (std::find(known_classes.begin(), known_classes.end(), cls) == known_classes.end()) {
            throw ConfigError(fmt::format("{}: land-cover class '{}' ({}) is not a class of the data model (classes: {}) ({})",
                                          spec.role, cls, from, fmt::join(known_classes, ", "), spec.declared_at));
        }
    };
    const bool has_classes = spec.role == "landcover";
    if (has_classes) {
        for (const auto& [value, cls] : spec.classes) check_class(cls, fmt::format("for source value '{}'", value));
        if (!spec.default_class.empty()) check_class(spec.default_class, "default_class");
    }

    // Field plan: the canonical attributes the source maps, with their conversion.
    std::vector<AttributePlan> plans;
    for (const auto& [canonical, mapping] : spec.fields) {
        const AttributeSpec* attribute = nullptr;
        for (const AttributeSpec& a : role->attributes) {
            if (a.name == canonical) attribute = &a;
        }
        if (attribute == nullptr && !role->open_attributes) {
            throw ConfigError(fmt::format("{}: '{}' is not an attribute of this role ({})", spec.role, canonical, spec.declared_at));
        }
        AttributePlan plan;
        plan.canonical = canonical;
        plan.text = attribute != nullptr && attribute->text;
        plan.required = attribute != nullptr && attribute->required;
        plan.default_value = mapping.default_value;
        plan.negative_is_null = expanded.negative_is_null.count(canonical) > 0;
        if (!plan.text) {
            plan.factor = detail::unit_factor(mapping.unit, attribute != nullptr ? attribute->unit : mapping.unit,
                                              fmt::format("{}.{} ({})", spec.role, canonical, spec.declared_at));
        }
        if (!mapping.field.empty()) {
            plan.field_index = defn.GetFieldIndex(mapping.field.c_str());
            if (plan.field_index < 0) {
                throw DataError(fmt::format("{}: field '{}' (for attribute {}) not found in {} (fields present: {})",
                                            spec.role, mapping.field, canonical, label, join_field_names(defn)));
            }
            plan.field_name = defn.GetFieldDefn(plan.field_index)->GetNameRef();
        }
        plans.push_back(std::move(plan));
    }
    for (const AttributeSpec& attribute : role->attributes) {
        if (!attribute.required) continue;
        if (attribute.name == "class" && has_classes && (!expanded.class_fields.empty() || !spec.default_class.empty())) continue;
        const auto it = spec.fields.find(attribute.name);
        const bool mapped = it != spec.fields.end() && (!it->second.field.empty() || it->second.default_value.has_value());
        if (!mapped) {
            throw DataError(fmt::format("{}: required attribute {} has no field and no default for {} ({})", spec.role,
                                        attribute.name, label, spec.declared_at));
        }
    }
    std::vector<int> class_field_indexes;
    for (const std::string& name : expanded.class_fields) {
        const int index = defn.GetFieldIndex(name.c_str());
        if (index < 0) {
            throw DataError(fmt::format("{}: class field '{}' not found in {} (fields present: {})", spec.role, name,
                                        label, join_field_names(defn)));
        }
        class_field_indexes.push_back(index);
    }

    if (layer->GetFeatureCount(TRUE) == 0) {
        report.warnings.push_back(fmt::format("{}: {} has no features", spec.role, label));
        return result;
    }

    if (!spec.where.empty() && layer->SetAttributeFilter(spec.where.c_str()) != OGRERR_NONE) {
        throw DataError(fmt::format("{}: attribute filter \"{}\" on {} is not valid: {}", spec.role, spec.where, label,
                                    detail::last_gdal_error()));
    }

    const OGRSpatialReference grid_srs = detail::make_srs(grid.crs, "grid");
    OGRSpatialReference source_srs;
    if (const OGRSpatialReference* layer_srs = layer->GetSpatialRef(); layer_srs != nullptr) {
        source_srs = *layer_srs;
        source_srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    } else if (!spec.assign_crs.empty()) {
        source_srs = detail::make_srs(spec.assign_crs, fmt::format("{}: assign_crs of {}", spec.role, label));
    } else {
        throw DataError(fmt::format("{}: {} has no CRS; set assign_crs to the CRS its coordinates are in ({})",
                                    spec.role, label, spec.declared_at));
    }
    std::unique_ptr<OGRCoordinateTransformation> transform;
    if (!source_srs.IsSame(&grid_srs)) {
        transform.reset(OGRCreateCoordinateTransformation(&source_srs, &grid_srs));
        if (!transform) {
            throw DataError(fmt::format("{}: no transformation from the CRS of {} to {}: {}", spec.role, label,
                                        grid.crs, detail::last_gdal_error()));
        }
    }

    const bool clipping = !clip.empty();
    if (clipping) {
        OGREnvelope envelope;
        if (layer->GetExtent(&envelope, TRUE) == OGRERR_NONE && envelope.MaxX >= envelope.MinX) {
            Box2 extent{envelope.MinX, envelope.MinY, envelope.MaxX, envelope.MaxY};
            bool known = true;
            if (transform) {
                known = transform->TransformBounds(envelope.MinX, envelope.MinY, envelope.MaxX, envelope.MaxY,
                                                   &extent.min_x, &extent.min_y, &extent.max_x, &extent.max_y, 21) != 0;
            }
            if (known && !extent.intersects(clip)) {
                report.warnings.push_back(fmt::format(
                    "{}: {} does not overlap the area (layer extent {:.2f}, {:.2f}, {:.2f}, {:.2f} in {}); no features read",
                    spec.role, label, extent.min_x, extent.min_y, extent.max_x, extent.max_y, grid.crs));
                return result;
            }
        }
        // Let the driver skip far-away features (national files); the exact test follows per feature.
        Box2 source_clip = clip;
        bool have_source_clip = true;
        if (transform) {
            std::unique_ptr<OGRCoordinateTransformation> inverse(OGRCreateCoordinateTransformation(&grid_srs, &source_srs));
            have_source_clip = inverse && inverse->TransformBounds(clip.min_x, clip.min_y, clip.max_x, clip.max_y,
                                                                   &source_clip.min_x, &source_clip.min_y,
                                                                   &source_clip.max_x, &source_clip.max_y, 21);
        }
        if (have_source_clip) {
            const double margin = 0.01 * std::max(source_clip.max_x - source_clip.min_x, source_clip.max_y - source_clip.min_y);
            layer->SetSpatialFilterRect(source_clip.min_x - margin, source_clip.min_y - margin,
                                        source_clip.max_x + margin, source_clip.max_y + margin);
        }
    }

    const std::string& geometry_kinds = role->geometry;
    const bool accepts_polygon = geometry_kinds.find("polygon") != std::string::npos;
    const bool accepts_line = geometry_kinds.find("line") != std::string::npos;
    const bool accepts_point = geometry_kinds.find("point") != std::string::npos;
    const bool accepts_any = !accepts_polygon && !accepts_line && !accepts_point;

    std::int64_t repaired = 0, emptied = 0, without_geometry = 0, height_clamped = 0;
    const std::string feature_source = label;
    layer->ResetReading();
    CPLErrorReset();
    for (std::unique_ptr<OGRFeature> ogr_feature(layer->GetNextFeature()); ogr_feature;
         ogr_feature.reset(layer->GetNextFeature())) {
        const std::int64_t fid = ogr_feature->GetFID();
        const auto what = [&] { return fmt::format("{}: feature {} in {}", spec.role, fid, label); };

        OGRGeometry* raw = ogr_feature->GetGeometryRef();
        if (raw == nullptr || raw->IsEmpty()) {
            ++without_geometry;
            continue;
        }
        std::unique_ptr<OGRGeometry> geometry(raw->hasCurveGeometry(TRUE) ? raw->getLinearGeometry() : raw->clone());
        geometry->flattenTo2D();
        if (transform && geometry->transform(transform.get()) != OGRERR_NONE) {
            throw DataError(fmt::format("{}: cannot reproject to {}: {}", what(), grid.crs, detail::last_gdal_error()));
        }
        OGREnvelope envelope;
        geometry->getEnvelope(&envelope);
        if (clipping && !Box2{envelope.MinX, envelope.MinY, envelope.MaxX, envelope.MaxY}.intersects(clip)) continue;

        Geometry points, lines, polygons;
        points.kind = Geometry::Kind::Point;
        lines.kind = Geometry::Kind::Line;
        polygons.kind = Geometry::Kind::Polygon;
        append_parts(*geometry, points, lines, polygons);

        Feature feature;
        feature.id = fid;
        feature.source = feature_source;
        if (!polygons.empty() && (accepts_polygon || accepts_any)) {
            const OGRwkbGeometryType type = wkbFlatten(geometry->getGeometryType());
            if (type == wkbPolygon || type == wkbMultiPolygon) {
                const RepairOutcome outcome = repair_polygons(*geometry, polygons, what());
                if (outcome == RepairOutcome::Repaired) ++repaired;
                if (outcome == RepairOutcome::Emptied) {
                    ++emptied;
                    continue;
                }
            }
            feature.geometry = std::move(polygons);
        } else if (!lines.empty() && (accepts_line || accepts_any)) {
            feature.geometry = std::move(lines);
        } else if (!points.empty() && (accepts_point || accepts_any)) {
            feature.geometry = std::move(points);
        } else if (points.empty() && lines.empty() && polygons.empty()) {
            ++without_geometry;
            continue;
        } else {
            throw DataError(fmt::format("{} is a {}; this role needs {} geometries", what(),
                                        OGRGeometryTypeToName(geometry->getGeometryType()), geometry_kinds));
        }

        std::vector<std::string> from_default;
        for (AttributePlan& plan : plans) {
            std::optional<AttributeValue> value;
            if (plan.field_index >= 0 && ogr_feature->IsFieldSetAndNotNull(plan.field_index)) {
                const OGRFieldType type = ogr_feature->GetFieldDefnRef(plan.field_index)->GetType();
                if (plan.text) {
                    std::string text = ogr_feature->GetFieldAsString(plan.field_index);
                    if (!text.empty()) value = std::move(text);
                } else if (type == OFTInteger || type == OFTInteger64 || type == OFTReal) {
                    value = ogr_feature->GetFieldAsDouble(plan.field_index) * plan.factor;
                } else {
                    const char* text = ogr_feature->GetFieldAsString(plan.field_index);
                    const std::optional<double> number = parse_double(text);
                    if (number) {
                        value = *number * plan.factor;
                    } else if (*text != '\0') {
                        throw DataError(fmt::format("{}: field '{}' (for {}) holds '{}', which is not a number", what(),
                                                    plan.field_name, plan.canonical, text));
                    }
                }
                if (plan.negative_is_null) {
                    if (const auto* d = value ? std::get_if<double>(&*value) : nullptr; d != nullptr && *d < 0.0) {
                        value.reset();
                    }
                }
            }
            if (!value && plan.default_value) {
                value = plan.default_value;
                from_default.push_back(plan.canonical);
                if (plan.field_index >= 0) ++plan.defaulted;
            }
            if (!value) {
                if (plan.required) {
                    throw DataError(fmt::format("{}: required attribute {} is null (field '{}') and has no default",
                                                what(), plan.canonical, plan.field_name));
                }
                continue;
            }
            feature.attributes[plan.canonical] = std::move(*value);
        }
        for (const auto& [attribute, subtrahend] : expanded.subtract) {
            // A default is already relative; only values read from the source are absolute levels.
            if (std::find(from_default.begin(), from_default.end(), attribute) != from_default.end()) continue;
            const std::optional<double> a = feature.number(attribute);
            const std::optional<double> b = feature.number(subtrahend);
            if (!a) continue;
            if (!b) {
                // An absolute level without the level it is measured from says nothing about the height.
                feature.attributes.erase(attribute);
                for (const AttributePlan& plan : plans) {
                    if (plan.canonical == attribute && plan.default_value) feature.attributes[attribute] = *plan.default_value;
                }
                continue;
            }
            double difference = *a - *b;
            if (difference < 0.0) {
                difference = 0.0;
                ++height_clamped;
            }
            feature.attributes[attribute] = difference;
        }
        for (const auto& [name, value] : feature.attributes) {
            if (!is_height_attribute(name)) continue;
            const auto* d = std::get_if<double>(&value);
            if (d == nullptr || std::isnan(*d) || *d < 0.0) {
                throw DataError(fmt::format("{}: {} is {}; it must be a number >= 0", what(), name,
                                            d == nullptr ? value_text(value) : fmt::format("{}", *d)));
            }
        }

        if (has_classes) {
            std::optional<std::string> cls;
            std::vector<std::string> seen;
            for (std::size_t i = 0; i < class_field_indexes.size() && !cls; ++i) {
                const int index = class_field_indexes[i];
                if (!ogr_feature->IsFieldSetAndNotNull(index)) continue;
                std::string value = ogr_feature->GetFieldAsString(index);
                if (value.empty()) continue;
                if (spec.classes.empty()) {
                    check_class(value, fmt::format("value of field '{}' in {}", expanded.class_fields[i], what()));
                    cls = value;
                } else if (const auto it = spec.classes.find(value); it != spec.classes.end()) {
                    cls = it->second;
                } else {
                    seen.push_back(fmt::format("{}='{}'", expanded.class_fields[i], value));
                }
            }
            if (!cls && !spec.default_class.empty()) cls = spec.default_class;
            if (!cls && class_field_indexes.empty()) {
                if (const std::optional<std::string> mapped = feature.text("class")) {
                    check_class(*mapped, fmt::format("attribute class of {}", what()));
                    cls = mapped;
                }
            }
            if (!cls) {
                throw DataError(fmt::format("{}: {} is not in the class table and no default_class is set", what(),
                                            seen.empty() ? std::string("the class field is empty")
                                                         : fmt::format("{}", fmt::join(seen, ", "))));
            }
            feature.attributes["class"] = *cls;
        }
        result.features.push_back(std::move(feature));
    }

    // SQL drivers (GeoPackage, SQLite) check an attribute filter only when reading starts, and a
    // damaged file can stop a read half-way; both end the loop early with an error recorded.
    if (CPLGetLastErrorType() == CE_Failure || CPLGetLastErrorType() == CE_Fatal) {
        if (!spec.where.empty()) {
            throw DataError(fmt::format("{}: reading {} with the attribute filter \"{}\" failed; the filter is not valid for this layer: {}",
                                        spec.role, label, spec.where, detail::last_gdal_error()));
        }
        throw DataError(fmt::format("{}: reading {} failed: {}", spec.role, label, detail::last_gdal_error()));
    }
    if (repaired + emptied > 0) {
        report.warnings.push_back(fmt::format("{}: {} invalid geometries in {} repaired with MakeValid{}", spec.role,
                                              repaired + emptied, label,
                                              emptied > 0 ? fmt::format(" ({} dropped: no area left)", emptied) : ""));
    }
    if (without_geometry > 0) {
        report.warnings.push_back(fmt::format("{}: {} features without geometry in {} skipped", spec.role, without_geometry, label));
    }
    if (height_clamped > 0) {
        report.warnings.push_back(fmt::format("{}: {} features in {} have a roof below the ground level; height set to 0",
                                              spec.role, height_clamped, label));
    }
    for (const AttributePlan& plan : plans) {
        if (plan.required && plan.defaulted > 0) {
            report.warnings.push_back(fmt::format("{}: {} features in {} have no {} (field '{}'); used the default {}",
                                                  spec.role, plan.defaulted, label, plan.canonical, plan.field_name,
                                                  value_text(*plan.default_value)));
        }
    }
    if (result.features.empty() && !spec.where.empty()) {
        report.warnings.push_back(fmt::format("{}: no feature of {} matches \"{}\" inside the area", spec.role, label, spec.where));
    }
    return result;
}

Box2 vector_extent(const SourceSpec& source, const std::string& crs) {
    detail::QuietGdalErrors quiet;
    DatasetPtr dataset = detail::open_dataset(source.path, GDAL_OF_VECTOR, source.role.empty() ? "area" : source.role);
    OGRLayer* layer = detail::pick_layer(*dataset, source);
    const std::string label = detail::source_label(source, layer->GetName());
    const std::string what = source.role.empty() ? label : source.role + ": " + label;
    if (!source.where.empty() && layer->SetAttributeFilter(source.where.c_str()) != OGRERR_NONE) {
        throw DataError(fmt::format("{}: attribute filter \"{}\" is not valid: {}", what, source.where, detail::last_gdal_error()));
    }
    const OGRSpatialReference target = detail::make_srs(crs, what);
    OGRSpatialReference source_srs;
    if (const OGRSpatialReference* layer_srs = layer->GetSpatialRef(); layer_srs != nullptr) {
        source_srs = *layer_srs;
        source_srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    } else if (!source.assign_crs.empty()) {
        source_srs = detail::make_srs(source.assign_crs, what + ": assign_crs");
    } else {
        throw DataError(fmt::format("{} has no CRS; set assign_crs to the CRS its coordinates are in", what));
    }
    std::unique_ptr<OGRCoordinateTransformation> transform;
    if (!source_srs.IsSame(&target)) {
        transform.reset(OGRCreateCoordinateTransformation(&source_srs, &target));
        if (!transform) {
            throw DataError(fmt::format("{}: no transformation to {}: {}", what, crs, detail::last_gdal_error()));
        }
    }
    bool any = false;
    Box2 box;
    layer->ResetReading();
    for (std::unique_ptr<OGRFeature> feature(layer->GetNextFeature()); feature; feature.reset(layer->GetNextFeature())) {
        const OGRGeometry* raw = feature->GetGeometryRef();
        if (raw == nullptr || raw->IsEmpty()) continue;
        std::unique_ptr<OGRGeometry> geometry(raw->clone());
        if (transform && geometry->transform(transform.get()) != OGRERR_NONE) {
            throw DataError(fmt::format("{}: feature {} cannot be reprojected to {}: {}", what, feature->GetFID(), crs,
                                        detail::last_gdal_error()));
        }
        OGREnvelope envelope;
        geometry->getEnvelope(&envelope);
        if (!any) {
            box = {envelope.MinX, envelope.MinY, envelope.MaxX, envelope.MaxY};
            any = true;
        } else {
            box.min_x = std::min(box.min_x, envelope.MinX);
            box.min_y = std::min(box.min_y, envelope.MinY);
            box.max_x = std::max(box.max_x, envelope.MaxX);
            box.max_y = std::max(box.max_y, envelope.MaxY);
        }
    }
    if (!any) throw DataError(fmt::format("{} has no features with a geometry, so it has no extent", what));
    return box;
}

namespace detail {

std::vector<Geometry> read_coverage_polygons(const std::filesystem::path& path, const std::string& role,
                                             const GridSpec& grid) {
    QuietGdalErrors quiet;
    DatasetPtr dataset = open_dataset(path, GDAL_OF_VECTOR, role + " coverage");
    std::vector<Geometry> result;
    const OGRSpatialReference grid_srs = make_srs(grid.crs, "grid");
    for (int l = 0; l < dataset->GetLayerCount(); ++l) {
        OGRLayer* layer = dataset->GetLayer(l);
        const std::string label = fmt::format("{}: coverage {}:{}", role, path.filename().string(), layer->GetName());
        std::unique_ptr<OGRCoordinateTransformation> transform;
        if (const OGRSpatialReference* layer_srs = layer->GetSpatialRef(); layer_srs != nullptr) {
            OGRSpatialReference source_srs(*layer_srs);
            source_srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
            if (!source_srs.IsSame(&grid_srs)) {
                transform.reset(OGRCreateCoordinateTransformation(&source_srs, &grid_srs));
                if (!transform) throw DataError(fmt::format("{}: no transformation to {}", label, grid.crs));
            }
        } else {
            throw DataError(fmt::format("{} has no CRS", label));
        }
        for (std::unique_ptr<OGRFeature> feature(layer->GetNextFeature()); feature; feature.reset(layer->GetNextFeature())) {
            const OGRGeometry* raw = feature->GetGeometryRef();
            if (raw == nullptr || raw->IsEmpty()) continue;
            std::unique_ptr<OGRGeometry> geometry(raw->hasCurveGeometry(TRUE) ? raw->getLinearGeometry() : raw->clone());
            geometry->flattenTo2D();
            if (transform && geometry->transform(transform.get()) != OGRERR_NONE) {
                throw DataError(fmt::format("{}: feature {} cannot be reprojected", label, feature->GetFID()));
            }
            Geometry points, lines, polygons;
            polygons.kind = Geometry::Kind::Polygon;
            append_parts(*geometry, points, lines, polygons);
            if (!polygons.polygons.empty()) result.push_back(std::move(polygons));
        }
    }
    if (result.empty()) throw DataError(fmt::format("{}: coverage file {} has no polygons", role, path.string()));
    return result;
}

}  // namespace detail

}  // namespace areatwin::io
