// SPDX-License-Identifier: GPL-3.0-or-later
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gdal_priv.h>

#include <fmt/format.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/rasterize.hpp"
#include "areatwin/engine/roles.hpp"
#include "areatwin/io/load.hpp"
#include "load_detail.hpp"

namespace areatwin::io {

namespace {

// Features this far outside the area are kept: sources just outside it (roads, buildings that
// screen) still act on the cells inside.
constexpr double load_margin_m = 1000.0;

// What one source of a role contributed, before the sources of the role are merged.
struct SourceResult {
    std::vector<Feature> features;
    std::vector<Geometry> coverage;              // where this source is authoritative; empty: nowhere
    std::map<std::string, Raster> rasters;       // layer name -> values (raster sources)
    std::vector<Geometry> raster_coverage;       // raster sources: limits the cells it owns; empty: all
    bool is_raster = false;
    std::string group;                           // sources of one group share a priority level
};

bool role_accepts(const RoleSpec& role, const char* kind) { return role.geometry.find(kind) != std::string::npos; }

// Raster or vector: the role decides when it allows one kind only; otherwise what GDAL opens.
bool read_as_raster(const SourceSpec& source, const RoleSpec& role) {
    const bool raster = role_accepts(role, "raster");
    const bool vector = role_accepts(role, "polygon") || role_accepts(role, "line") || role_accepts(role, "point");
    if (raster && !vector) return true;
    if (!raster) return false;
    if (detail::is_raster_preset(source.preset)) return true;
    detail::DatasetPtr dataset = detail::open_dataset(source.path, GDAL_OF_VECTOR | GDAL_OF_RASTER, source.role);
    return dataset->GetLayerCount() == 0 && dataset->GetRasterCount() > 0;
}

Geometry box_polygon(const Box2& box) {
    Geometry g;
    g.kind = Geometry::Kind::Polygon;
    g.polygons.push_back(Polygon{{Ring{{box.min_x, box.min_y}, {box.max_x, box.min_y}, {box.max_x, box.max_y},
                                       {box.min_x, box.max_y}, {box.min_x, box.min_y}}}});
    return g;
}

std::map<std::string, Raster> read_role_rasters(const SourceSpec& source, const GridSpec& grid, LoadReport& report) {
    std::map<std::string, Raster> out;
    const std::string& role = source.role;
    if (role == "landcover") {
        for (auto& [cls, raster] : read_landcover_raster(source, grid, report)) {
            out.emplace(detail::input_layer(layer::landcover_fraction(cls)), std::move(raster));
        }
    } else if (role == "trees") {
        detail::CanopyRasters canopy = detail::read_canopy_raster(source, grid, report);
        out.emplace(detail::input_layer(layer::canopy_height), std::move(canopy.height_m));
        out.emplace(detail::input_layer(layer::canopy_fraction), std::move(canopy.fraction));
    } else if (role == "population") {
        out.emplace(detail::input_layer(layer::residents), detail::read_count_raster(source, grid, report));
    } else if (role == "dsm") {
        out.emplace(detail::input_layer(layer::dsm),
                    read_raster(source, grid, detail::continuous_resampling(source, grid), report));
    } else {
        // dem, ground_g and any other raster role: the layer carries the role's name.
        out.emplace(role, read_raster(source, grid, detail::continuous_resampling(source, grid), report));
    }
    return out;
}

void record_files(const SourceSpec& source, LoadReport& report) {
    detail::QuietGdalErrors quiet;
    detail::DatasetPtr dataset = detail::open_dataset(source.path, GDAL_OF_VECTOR | GDAL_OF_RASTER, source.role);
    detail::record_dataset_files(*dataset, source.role, report);
}

std::vector<Feature> merge_features(std::vector<SourceResult>& results) {
    std::vector<Feature> merged;
    std::vector<const Geometry*> higher;  // coverage of the groups already merged
    std::size_t i = 0;
    while (i < results.size()) {
        std::size_t end = i + 1;
        while (end < results.size() && !results[i].group.empty() && results[end].group == results[i].group) ++end;
        for (std::size_t s = i; s < end; ++s) {
            if (results[s].is_raster) continue;
            for (Feature& feature : results[s].features) {
                const Point2 p = detail::representative_point(feature.geometry);
                const bool replaced = std::any_of(higher.begin(), higher.end(), [&](const Geometry* g) { return g->contains(p); });
                if (!replaced) merged.push_back(std::move(feature));
            }
        }
        for (std::size_t s = i; s < end; ++s) {
            if (results[s].is_raster) continue;
            for (const Geometry& g : results[s].coverage) higher.push_back(&g);
        }
        i = end;
    }
    return merged;
}

std::map<std::string, Raster> merge_rasters(std::vector<SourceResult>& results, const GridSpec& grid) {
    std::map<std::string, Raster> merged;
    std::vector<char> owned(static_cast<std::size_t>(grid.cell_count()), 0);
    for (SourceResult& result : results) {
        if (!result.is_raster) continue;
        for (const auto& [name, raster] : result.rasters) {
            if (merged.count(name) == 0) merged.emplace(name, Raster(grid.cols, grid.rows));
        }
        std::vector<char> inside;
        if (!result.raster_coverage.empty()) {
            inside.assign(owned.size(), 0);
            for (const Geometry& g : result.raster_coverage) {
                for (const RowSpan& span : cell_center_spans(grid, g)) {
                    for (std::int64_t col = span.col_begin; col < span.col_end; ++col) {
                        inside[static_cast<std::size_t>(span.row * grid.cols + col)] = 1;
                    }
                }
            }
        }
        for (std::size_t cell = 0; cell < owned.size(); ++cell) {
            if (owned[cell] || (!inside.empty() && !inside[cell])) continue;
            bool has_value = false;
            for (const auto& [name, raster] : result.rasters) has_value = has_value || !std::isnan(raster.values()[cell]);
            if (!has_value) continue;
            owned[cell] = 1;
            for (const auto& [name, raster] : result.rasters) merged.at(name).values()[cell] = raster.values()[cell];
        }
    }
    return merged;
}

}  // namespace

LayerStack load_inputs(const std::vector<SourceSpec>& sources, const GridSpec& grid, LoadReport& report) {
    detail::ensure_gdal_registered();
    detail::QuietGdalErrors quiet;
    LayerStack stack(grid);
    const Box2 area = grid.extent();
    const Box2 clip{area.min_x - load_margin_m, area.min_y - load_margin_m, area.max_x + load_margin_m,
                    area.max_y + load_margin_m};

    std::vector<std::string> roles;
    for (const SourceSpec& source : sources) {
        if (std::find(roles.begin(), roles.end(), source.role) == roles.end()) roles.push_back(source.role);
    }
    std::vector<std::string> loaded;
    for (const std::string& role_name : roles) {
        const RoleSpec* role = find_role(role_name);
        if (role == nullptr) throw ConfigError(fmt::format("unknown input role '{}'", role_name));
        if (role->geometry == "table") {
            auto set = std::make_shared<FeatureSet>();
            set->role = role_name;
            for (const SourceSpec& source : sources) {
                if (source.role != role_name) continue;
                FeatureSet rows = read_table(source, report);
                for (auto& f : rows.features) set->features.push_back(std::move(f));
            }
            report.feature_counts[role_name] = static_cast<std::int64_t>(set->features.size());
            stack.set_features(role_name, std::move(set));
            continue;
        }

        std::vector<SourceResult> results;
        for (const SourceSpec& source : sources) {
            if (source.role != role_name) continue;
            SourceResult result;
            // Layers of one national dataset (all BGT object classes, say) are one priority level:
            // the extent of the first layer must not remove the features of the next.
            if (!source.preset.empty()) result.group = source.preset + "|" + source.path.parent_path().string();
            result.is_raster = read_as_raster(source, *role);
            if (result.is_raster) {
                result.rasters = read_role_rasters(source, grid, report);
                if (!source.coverage.empty()) result.raster_coverage = detail::read_coverage_polygons(source.coverage, role_name, grid);
            } else {
                if (source.min_canopy_height_m) {
                    throw ConfigError(fmt::format("{}: min_canopy_height_m applies to canopy-height rasters, but {} is "
                                                  "read as features ({})",
                                                  source.role, source.path.filename().string(), source.declared_at));
                }
                FeatureSet set = read_vector(source, grid, clip, report);
                result.features = std::move(set.features);
                if (!source.coverage.empty()) {
                    result.coverage = detail::read_coverage_polygons(source.coverage, role_name, grid);
                } else if (!result.features.empty()) {
                    Box2 extent = result.features.front().geometry.bounds();
                    for (const Feature& f : result.features) {
                        const Box2 b = f.geometry.bounds();
                        extent = {std::min(extent.min_x, b.min_x), std::min(extent.min_y, b.min_y),
                                  std::max(extent.max_x, b.max_x), std::max(extent.max_y, b.max_y)};
                    }
                    result.coverage.push_back(box_polygon(extent));
                }
            }
            record_files(source, report);
            results.push_back(std::move(result));
        }

        const bool any_vector = std::any_of(results.begin(), results.end(), [](const SourceResult& r) { return !r.is_raster; });
        const bool any_raster = std::any_of(results.begin(), results.end(), [](const SourceResult& r) { return r.is_raster; });
        if (any_vector) {
            auto set = std::make_shared<FeatureSet>();
            set->role = role_name;
            set->features = merge_features(results);
            report.feature_counts[role_name] = static_cast<std::int64_t>(set->features.size());
            stack.set_features(role_name, std::move(set));
        }
        if (any_raster) {
            for (auto& [name, raster] : merge_rasters(results, grid)) {
                stack.set_raster(name, std::make_shared<const Raster>(std::move(raster)));
            }
        }
        loaded.push_back(role_name);
    }

    derive_grid_layers(stack, loaded);
    if (const auto lon_lat = grid_center_lon_lat(grid)) {
        stack.set_scalar("grid.center_lon_deg", lon_lat->first);
        stack.set_scalar("grid.center_lat_deg", lon_lat->second);
    }
    const bool dsm_given = stack.has_raster(detail::input_layer(layer::dsm));
    if (stack.has_raster(std::string(layer::dsm)) && !dsm_given && !stack.has_raster(std::string(layer::dem))) {
        report.warnings.push_back("dsm: no dem and no dsm source; the surface model is buildings and trees on a ground at 0 m");
    }
    return stack;
}

}  // namespace areatwin::io
