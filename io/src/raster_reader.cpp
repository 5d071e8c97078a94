// SPDX-License-Identifier: GPL-3.0-or-later
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <cpl_string.h>
#include <gdal_alg.h>
#include <gdal_priv.h>
#include <gdalwarper.h>
#include <ogr_spatialref.h>

#include <fmt/format.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/roles.hpp"
#include "areatwin/io/load.hpp"
#include "load_detail.hpp"

namespace areatwin::io {

namespace detail {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// Superpixels per strip when counting classes, so a national grid never needs k*k times its memory.
constexpr std::int64_t strip_superpixels = 1 << 23;

GDALResampleAlg to_gdal(Resampling resampling) {
    switch (resampling) {
        case Resampling::Bilinear: return GRA_Bilinear;
        case Resampling::Nearest: return GRA_NearestNeighbour;
        case Resampling::Average: return GRA_Average;
    }
    return GRA_Bilinear;
}

}  // namespace

struct OpenedRaster {
    DatasetPtr dataset;
    GDALRasterBand* band = nullptr;
    std::string label;  // "dem.tif band 1"
    std::string role;
    OGRSpatialReference srs;
    bool srs_assigned = false;
    double geotransform[6]{};
    std::optional<double> nodata;

    [[nodiscard]] int width() const { return dataset->GetRasterXSize(); }
    [[nodiscard]] int height() const { return dataset->GetRasterYSize(); }
};

OpenedRaster open_raster(const SourceSpec& source) {
    if (!source.preset.empty() && !is_raster_preset(source.preset)) {
        throw ConfigError(fmt::format("{}: preset '{}' describes vector data, but {} is read as a raster ({})",
                                      source.role, source.preset, source.path.filename().string(), source.declared_at));
    }
    OpenedRaster r;
    r.role = source.role;
    r.dataset = open_dataset(source.path, GDAL_OF_RASTER, source.role);
    r.label = fmt::format("{} band {}", source.path.filename().string(), source.band);
    const int bands = r.dataset->GetRasterCount();
    if (source.band < 1 || source.band > bands) {
        throw DataError(fmt::format("{}: {} has {} band(s); band {} does not exist ({})", source.role,
                                    source.path.filename().string(), bands, source.band, source.declared_at));
    }
    r.band = r.dataset->GetRasterBand(source.band);
    if (const OGRSpatialReference* srs = r.dataset->GetSpatialRef(); srs != nullptr) {
        r.srs = *srs;
        r.srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    } else if (!source.assign_crs.empty()) {
        r.srs = make_srs(source.assign_crs, fmt::format("{}: assign_crs of {}", source.role, r.label));
        r.srs_assigned = true;
    } else {
        throw DataError(fmt::format("{}: {} has no CRS; set assign_crs to the CRS its coordinates are in ({})",
                                    source.role, source.path.filename().string(), source.declared_at));
    }
    if (r.dataset->GetGeoTransform(r.geotransform) != CE_None) {
        throw DataError(fmt::format("{}: {} has no georeferencing (geotransform)", source.role,
                                    source.path.filename().string()));
    }
    int has_nodata = FALSE;
    const double nodata = r.band->GetNoDataValue(&has_nodata);
    if (has_nodata) r.nodata = nodata;
    return r;
}

namespace {

std::optional<Box2> source_extent_in(const OpenedRaster& r, const OGRSpatialReference& target) {
    const double* gt = r.geotransform;
    const double xs[] = {gt[0], gt[0] + gt[1] * r.width(), gt[0] + gt[2] * r.height(),
                         gt[0] + gt[1] * r.width() + gt[2] * r.height()};
    const double ys[] = {gt[3], gt[3] + gt[4] * r.width(), gt[3] + gt[5] * r.height(),
                         gt[3] + gt[4] * r.width() + gt[5] * r.height()};
    Box2 box{*std::min_element(xs, xs + 4), *std::min_element(ys, ys + 4), *std::max_element(xs, xs + 4),
             *std::max_element(ys, ys + 4)};
    if (r.srs.IsSame(&target)) return box;
    std::unique_ptr<OGRCoordinateTransformation> transform(OGRCreateCoordinateTransformation(&r.srs, &target));
    if (!transform) return std::nullopt;
    Box2 out;
    if (!transform->TransformBounds(box.min_x, box.min_y, box.max_x, box.max_y, &out.min_x, &out.min_y, &out.max_x,
                                    &out.max_y, 21)) {
        return std::nullopt;
    }
    return out;
}

bool near_integer(double value) { return std::abs(value - std::round(value)) < 1e-6; }

// Same CRS, north-up, same pixel size and pixel edges on cell edges: a window copy is exact.
bool aligned_with(const OpenedRaster& r, const GridSpec& grid, const OGRSpatialReference& grid_srs) {
    const double* gt = r.geotransform;
    const double cell = grid.cell_size_m;
    return gt[2] == 0.0 && gt[4] == 0.0 && std::abs(gt[1] - cell) <= 1e-9 * cell &&
           std::abs(-gt[5] - cell) <= 1e-9 * cell && near_integer((grid.origin_x - gt[0]) / cell) &&
           near_integer((gt[3] - grid.origin_y) / cell) && r.srs.IsSame(&grid_srs);
}

std::vector<double> read_aligned(const OpenedRaster& r, const GridSpec& grid) {
    std::vector<double> out(static_cast<std::size_t>(grid.cell_count()), nan);
    const double* gt = r.geotransform;
    const auto col_offset = static_cast<std::int64_t>(std::llround((grid.origin_x - gt[0]) / grid.cell_size_m));
    const auto row_offset = static_cast<std::int64_t>(std::llround((gt[3] - grid.origin_y) / grid.cell_size_m));
    const std::int64_t src_col0 = std::max<std::int64_t>(0, col_offset);
    const std::int64_t src_row0 = std::max<std::int64_t>(0, row_offset);
    const std::int64_t src_col1 = std::min<std::int64_t>(r.width(), col_offset + grid.cols);
    const std::int64_t src_row1 = std::min<std::int64_t>(r.height(), row_offset + grid.rows);
    if (src_col1 <= src_col0 || src_row1 <= src_row0) return out;
    const std::int64_t width = src_col1 - src_col0;
    const std::int64_t height = src_row1 - src_row0;
    std::vector<double> window(static_cast<std::size_t>(width * height));
    if (r.band->RasterIO(GF_Read, static_cast<int>(src_col0), static_cast<int>(src_row0), static_cast<int>(width),
                         static_cast<int>(height), window.data(), static_cast<int>(width), static_cast<int>(height),
                         GDT_Float64, 0, 0) != CE_None) {
        throw DataError(fmt::format("{}: cannot read {}: {}", r.role, r.label, last_gdal_error()));
    }
    for (std::int64_t row = 0; row < height; ++row) {
        for (std::int64_t col = 0; col < width; ++col) {
            double v = window[static_cast<std::size_t>(row * width + col)];
            if (r.nodata && (v == *r.nodata || (std::isnan(*r.nodata) && std::isnan(v)))) v = nan;
            const std::int64_t grid_col = src_col0 + col - col_offset;
            const std::int64_t grid_row = src_row0 + row - row_offset;
            out[static_cast<std::size_t>(grid_row * grid.cols + grid_col)] = v;
        }
    }
    return out;
}

std::vector<double> warp_to(const OpenedRaster& r, const GridSpec& grid, const OGRSpatialReference& grid_srs,
                            GDALResampleAlg algorithm) {
    if (aligned_with(r, grid, grid_srs)) return read_aligned(r, grid);
    GDALDriver* mem = GetGDALDriverManager()->GetDriverByName("MEM");
    if (mem == nullptr) throw InternalError("the GDAL MEM driver is not available");
    DatasetPtr target(mem->Create("", static_cast<int>(grid.cols), static_cast<int>(grid.rows), 1, GDT_Float64, nullptr));
    if (!target) throw InternalError(fmt::format("cannot create an in-memory raster: {}", last_gdal_error()));
    double gt[6] = {grid.origin_x, grid.cell_size_m, 0.0, grid.origin_y, 0.0, -grid.cell_size_m};
    target->SetGeoTransform(gt);
    target->SetSpatialRef(&grid_srs);
    GDALRasterBand* target_band = target->GetRasterBand(1);
    target_band->SetNoDataValue(nan);
    target_band->Fill(nan);

    char* source_wkt = nullptr;
    r.srs.exportToWkt(&source_wkt);
    char* target_wkt = nullptr;
    grid_srs.exportToWkt(&target_wkt);
    char** transformer_options = nullptr;
    transformer_options = CSLSetNameValue(transformer_options, "SRC_SRS", source_wkt);
    transformer_options = CSLSetNameValue(transformer_options, "DST_SRS", target_wkt);
    CPLFree(source_wkt);
    CPLFree(target_wkt);
    void* transformer = GDALCreateGenImgProjTransformer2(GDALDataset::ToHandle(r.dataset.get()),
                                                         GDALDataset::ToHandle(target.get()), transformer_options);
    CSLDestroy(transformer_options);
    if (transformer == nullptr) {
        throw DataError(fmt::format("{}: cannot transform {} to {}: {}", r.role, r.label, grid.crs, last_gdal_error()));
    }

    GDALWarpOptions* options = GDALCreateWarpOptions();
    options->hSrcDS = GDALDataset::ToHandle(r.dataset.get());
    options->hDstDS = GDALDataset::ToHandle(target.get());
    options->eResampleAlg = algorithm;
    options->eWorkingDataType = GDT_Float64;
    options->nBandCount = 1;
    options->panSrcBands = static_cast<int*>(CPLMalloc(sizeof(int)));
    options->panSrcBands[0] = r.band->GetBand();
    options->panDstBands = static_cast<int*>(CPLMalloc(sizeof(int)));
    options->panDstBands[0] = 1;
    if (r.nodata) {
        options->padfSrcNoDataReal = static_cast<double*>(CPLMalloc(sizeof(double)));
        options->padfSrcNoDataReal[0] = *r.nodata;
    }
    options->padfDstNoDataReal = static_cast<double*>(CPLMalloc(sizeof(double)));
    options->padfDstNoDataReal[0] = nan;
    options->papszWarpOptions = CSLSetNameValue(options->papszWarpOptions, "INIT_DEST", "NO_DATA");
    options->pfnTransformer = GDALGenImgProjTransform;
    options->pTransformerArg = transformer;

    CPLErr err = CE_Failure;
    {
        GDALWarpOperation operation;
        err = operation.Initialize(options);
        if (err == CE_None) {
            err = operation.ChunkAndWarpImage(0, 0, static_cast<int>(grid.cols), static_cast<int>(grid.rows));
        }
    }
    GDALDestroyGenImgProjTransformer(transformer);
    options->pTransformerArg = nullptr;
    GDALDestroyWarpOptions(options);
    if (err != CE_None) {
        throw DataError(fmt::format("{}: warping {} onto the grid failed: {}", r.role, r.label, last_gdal_error()));
    }
    std::vector<double> out(static_cast<std::size_t>(grid.cell_count()));
    if (target_band->RasterIO(GF_Read, 0, 0, static_cast<int>(grid.cols), static_cast<int>(grid.rows), out.data(),
                              static_cast<int>(grid.cols), static_cast<int>(grid.rows), GDT_Float64, 0, 0) != CE_None) {
        throw InternalError(fmt::format("reading the warped raster failed: {}", last_gdal_error()));
    }
    return out;
}

// Size of a source pixel measured in grid units (the geometric mean of its sides).
double source_pixel_size_in(const OpenedRaster& r, const OGRSpatialReference& grid_srs) {
    const double* gt = r.geotransform;
    if (r.srs.IsSame(&grid_srs)) return std::sqrt(std::abs(gt[1] * gt[5] - gt[2] * gt[4]));
    const std::optional<Box2> extent = source_extent_in(r, grid_srs);
    if (!extent) return std::sqrt(std::abs(gt[1] * gt[5] - gt[2] * gt[4]));
    return std::sqrt((extent->max_x - extent->min_x) * (extent->max_y - extent->min_y) /
                     (static_cast<double>(r.width()) * static_cast<double>(r.height())));
}

bool overlaps_grid(const OpenedRaster& r, const GridSpec& grid, const OGRSpatialReference& grid_srs, LoadReport& report) {
    const std::optional<Box2> extent = source_extent_in(r, grid_srs);
    if (!extent) {
        throw DataError(fmt::format("{}: the extent of {} cannot be transformed to {}: {}", r.role, r.label, grid.crs,
                                    last_gdal_error()));
    }
    const Box2 area = grid.extent();
    // Touching edges share no cell.
    const bool overlap = extent->min_x < area.max_x && area.min_x < extent->max_x && extent->min_y < area.max_y &&
                         area.min_y < extent->max_y;
    if (!overlap) {
        report.warnings.push_back(fmt::format(
            "{}: {} does not overlap the area (raster extent {:.2f}, {:.2f}, {:.2f}, {:.2f} in {}); its layer is all nodata",
            r.role, r.label, extent->min_x, extent->min_y, extent->max_x, extent->max_y, grid.crs));
    }
    return overlap;
}

Raster to_raster(const std::vector<double>& values, const GridSpec& grid) {
    Raster raster(grid.cols, grid.rows);
    std::vector<float>& out = raster.values();
    for (std::size_t i = 0; i < values.size(); ++i) out[i] = static_cast<float>(values[i]);
    return raster;
}

// Calls `visit(col, row, samples, k)` for every grid cell with the k x k source samples that fall in
// it (nearest source pixel at each sample centre; NaN where the source has no data). k is the number
// of source pixels per cell side, at least 1 and at most 8. Row strips bound the memory.
void for_each_cell_samples(const OpenedRaster& r, const GridSpec& grid, const OGRSpatialReference& grid_srs,
                           const std::function<void(std::int64_t, std::int64_t, const std::vector<double>&, int)>& visit) {
    const double pixel = source_pixel_size_in(r, grid_srs);
    const int k = std::clamp(static_cast<int>(std::ceil(grid.cell_size_m / pixel - 1e-9)), 1, 8);
    const std::int64_t strip_rows =
        std::max<std::int64_t>(1, strip_superpixels / std::max<std::int64_t>(1, grid.cols * k * k));
    std::vector<double> samples(static_cast<std::size_t>(k * k));
    for (std::int64_t row0 = 0; row0 < grid.rows; row0 += strip_rows) {
        const std::int64_t rows = std::min(strip_rows, grid.rows - row0);
        GridSpec fine = grid;
        fine.cell_size_m = grid.cell_size_m / k;
        fine.origin_y = grid.origin_y - static_cast<double>(row0) * grid.cell_size_m;
        fine.cols = grid.cols * k;
        fine.rows = rows * k;
        const std::vector<double> values = warp_to(r, fine, grid_srs, GRA_NearestNeighbour);
        for (std::int64_t row = 0; row < rows; ++row) {
            for (std::int64_t col = 0; col < grid.cols; ++col) {
                for (int dy = 0; dy < k; ++dy) {
                    const std::size_t base = static_cast<std::size_t>((row * k + dy) * fine.cols + col * k);
                    for (int dx = 0; dx < k; ++dx) samples[static_cast<std::size_t>(dy * k + dx)] = values[base + static_cast<std::size_t>(dx)];
                }
                visit(col, row0 + row, samples, k);
            }
        }
    }
}

}  // namespace

std::string class_code_text(double value) {
    if (std::isfinite(value) && value == std::round(value) && std::abs(value) < 1e15) {
        return fmt::format("{}", static_cast<long long>(value));
    }
    return fmt::format("{:.9g}", value);
}

double canopy_threshold_m(const SourceSpec& source) {
    const double value = source.min_canopy_height_m.value_or(default_min_canopy_height_m);
    if (!std::isfinite(value) || value < 0.0) {
        throw ConfigError(fmt::format("{}: min_canopy_height_m of {} must be a number >= 0 (m above ground), got {} ({})",
                                      source.role, source.path.filename().string(), value, source.declared_at));
    }
    return value;
}

CanopyRasters read_canopy_raster(const SourceSpec& source, const GridSpec& grid, LoadReport& report) {
    QuietGdalErrors quiet;
    const double min_height_m = canopy_threshold_m(source);
    const OpenedRaster r = open_raster(source);
    const OGRSpatialReference grid_srs = make_srs(grid.crs, "grid");
    CanopyRasters out{Raster(grid.cols, grid.rows), Raster(grid.cols, grid.rows)};
    if (!overlaps_grid(r, grid, grid_srs, report)) return out;
    for_each_cell_samples(r, grid, grid_srs, [&](std::int64_t col, std::int64_t row, const std::vector<double>& samples, int) {
        int valid = 0, canopy = 0;
        double highest = 0.0;
        for (double v : samples) {
            if (std::isnan(v)) continue;
            ++valid;
            // The height keeps every sample above the ground (it builds the DSM, and heat has its own
            // shade threshold); only samples above the threshold are tree crown.
            highest = std::max(highest, v);
            if (v > min_height_m) ++canopy;
        }
        if (valid == 0) return;
        out.height_m.at(col, row) = static_cast<float>(highest);
        out.fraction.at(col, row) = static_cast<float>(static_cast<double>(canopy) / valid);
    });
    return out;
}

Raster read_count_raster(const SourceSpec& source, const GridSpec& grid, LoadReport& report) {
    QuietGdalErrors quiet;
    const OpenedRaster r = open_raster(source);
    const OGRSpatialReference grid_srs = make_srs(grid.crs, "grid");
    if (!overlaps_grid(r, grid, grid_srs, report)) return Raster(grid.cols, grid.rows);
    const double pixel = source_pixel_size_in(r, grid_srs);
    // Counts per source pixel become counts per cell: the average density times the cell's share.
    std::vector<double> values = warp_to(r, grid, grid_srs, GRA_Average);
    const double scale = grid.cell_area_m2() / (pixel * pixel);
    for (double& v : values) v *= scale;
    return to_raster(values, grid);
}

Resampling continuous_resampling(const SourceSpec& source, const GridSpec& grid) {
    QuietGdalErrors quiet;
    const OpenedRaster r = open_raster(source);
    const OGRSpatialReference grid_srs = make_srs(grid.crs, "grid");
    // Average where several source pixels fall into one cell; bilinear where the source is coarser.
    return source_pixel_size_in(r, grid_srs) < grid.cell_size_m * (1.0 - 1e-9) ? Resampling::Average : Resampling::Bilinear;
}

}  // namespace detail

Raster read_raster(const SourceSpec& source, const GridSpec& grid, Resampling resampling, LoadReport& report) {
    detail::QuietGdalErrors quiet;
    const detail::OpenedRaster r = detail::open_raster(source);
    const OGRSpatialReference grid_srs = detail::make_srs(grid.crs, "grid");
    if (!detail::overlaps_grid(r, grid, grid_srs, report)) return Raster(grid.cols, grid.rows);
    return detail::to_raster(detail::warp_to(r, grid, grid_srs, detail::to_gdal(resampling)), grid);
}

std::map<std::string, Raster> read_landcover_raster(const SourceSpec& source, const GridSpec& grid, LoadReport& report) {
    detail::QuietGdalErrors quiet;
    const detail::OpenedRaster r = detail::open_raster(source);
    const OGRSpatialReference grid_srs = detail::make_srs(grid.crs, "grid");

    std::vector<std::string> classes = landcover_classes();
    const auto class_index = [&](const std::string& cls, const std::string& from) {
        const auto it = std::find(classes.begin(), classes.end(), cls);
        if (it == classes.end()) {
            throw ConfigError(fmt::format("{}: land-cover class '{}' ({}) is not a class of the data model (classes: {}) ({})",
                                          source.role, cls, from, fmt::join(landcover_classes(), ", "), source.declared_at));
        }
        return static_cast<std::size_t>(it - classes.begin());
    };
    for (const auto& [code, cls] : source.classes) class_index(cls, fmt::format("for code {}", code));
    if (!source.default_class.empty()) class_index(source.default_class, "default_class");

    std::map<std::string, Raster> out;
    for (const std::string& cls : classes) out.emplace(cls, Raster(grid.cols, grid.rows));
    if (!detail::overlaps_grid(r, grid, grid_srs, report)) return out;

    // Codes repeat endlessly; remember each code's class once.
    std::vector<std::pair<double, std::size_t>> code_cache;
    const auto lookup = [&](double code) {
        for (const auto& [known, index] : code_cache) {
            if (known == code) return index;
        }
        const std::string text = detail::class_code_text(code);
        std::size_t index = 0;
        if (const auto it = source.classes.find(text); it != source.classes.end()) {
            index = class_index(it->second, "code " + text);
        } else if (!source.default_class.empty()) {
            index = class_index(source.default_class, "default_class");
        } else {
            throw DataError(fmt::format("{}: code {} in {} is not in the class table (classes) and no default_class is set ({})",
                                        source.role, text, r.label, source.declared_at));
        }
        code_cache.emplace_back(code, index);
        return index;
    };
    std::vector<int> counts(classes.size());
    std::vector<Raster*> targets;
    for (const std::string& cls : classes) targets.push_back(&out.at(cls));
    detail::for_each_cell_samples(r, grid, grid_srs, [&](std::int64_t col, std::int64_t row, const std::vector<double>& samples, int) {
        std::fill(counts.begin(), counts.end(), 0);
        int valid = 0;
        for (double v : samples) {
            if (std::isnan(v)) continue;
            ++valid;
            ++counts[lookup(v)];
        }
        if (valid == 0) return;
        for (std::size_t c = 0; c < classes.size(); ++c) {
            targets[c]->at(col, row) = static_cast<float>(static_cast<double>(counts[c]) / valid);
        }
    });
    return out;
}

}  // namespace areatwin::io
