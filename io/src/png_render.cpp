// SPDX-License-Identifier: GPL-3.0-or-later
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <unistd.h>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_vsi.h>
#include <fmt/format.h>
#include <gdal.h>
#include <gdal_priv.h>

#include "areatwin/engine/errors.hpp"
#include "report_png.hpp"
#include "styles.hpp"

namespace areatwin::io::detail {
namespace {

struct DatasetCloser {
    void operator()(GDALDataset* ds) const { GDALClose(GDALDataset::ToHandle(ds)); }
};
using DatasetPtr = std::unique_ptr<GDALDataset, DatasetCloser>;

std::string gdal_message() {
    const char* msg = CPLGetLastErrorMsg();
    return (msg != nullptr && *msg != '\0') ? std::string(msg) : std::string("no message from GDAL");
}

// Liang-Barsky: clips the segment to [lo, hi] in both axes; false when nothing is left.
bool clip_segment(double& x0, double& y0, double& x1, double& y1, double x_hi, double y_hi) {
    double t0 = 0.0;
    double t1 = 1.0;
    const double dx = x1 - x0;
    const double dy = y1 - y0;
    const double p[4] = {-dx, dx, -dy, dy};
    const double q[4] = {x0, x_hi - x0, y0, y_hi - y0};
    for (int i = 0; i < 4; ++i) {
        if (p[i] == 0.0) {
            if (q[i] < 0.0) return false;
            continue;
        }
        const double t = q[i] / p[i];
        if (p[i] < 0.0) {
            if (t > t1) return false;
            t0 = std::max(t0, t);
        } else {
            if (t < t0) return false;
            t1 = std::min(t1, t);
        }
    }
    const double nx0 = x0 + t0 * dx;
    const double ny0 = y0 + t0 * dy;
    x1 = x0 + t1 * dx;
    y1 = y0 + t1 * dy;
    x0 = nx0;
    y0 = ny0;
    return true;
}

}  // namespace

void RgbaImage::set(int x, int y, std::uint8_t r, std::uint8_t g, std::uint8_t b, std::uint8_t a) {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const auto i = (static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x)) * 4;
    rgba[i] = r;
    rgba[i + 1] = g;
    rgba[i + 2] = b;
    rgba[i + 3] = a;
}

MapFrame map_frame(const GridSpec& grid, int min_width_px, int max_width_px) {
    if (grid.cols <= 0 || grid.rows <= 0)
        throw InternalError(fmt::format("map of an empty grid ({} x {} cells)", grid.cols, grid.rows));
    MapFrame f;
    f.grid = grid;
    const auto cols = grid.cols;
    if (cols < min_width_px) {
        // A whole factor keeps every cell the same number of pixels wide.
        const auto factor = (static_cast<std::int64_t>(min_width_px) + cols - 1) / cols;
        f.width_px = static_cast<int>(cols * factor);
        f.height_px = static_cast<int>(grid.rows * factor);
        f.pixel_size_m = grid.cell_size_m / static_cast<double>(factor);
    } else if (cols > max_width_px) {
        f.width_px = max_width_px;
        f.pixel_size_m = grid.cell_size_m * static_cast<double>(cols) / max_width_px;
        f.height_px = std::max(1, static_cast<int>(std::lround(static_cast<double>(grid.rows) * grid.cell_size_m /
                                                               f.pixel_size_m)));
    } else {
        f.width_px = static_cast<int>(cols);
        f.height_px = static_cast<int>(grid.rows);
        f.pixel_size_m = grid.cell_size_m;
    }
    return f;
}

RgbaImage render_raster(const Raster& raster, const MapFrame& frame, const RasterStyle& style) {
    RgbaImage image;
    image.width = frame.width_px;
    image.height = frame.height_px;
    image.rgba.assign(static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height) * 4, 0);
    const std::int64_t cols = raster.cols();
    const std::int64_t rows = raster.rows();
    // Integer arithmetic for the cell under each pixel centre: exact for whole enlargement factors.
    std::vector<std::int64_t> col_of(static_cast<std::size_t>(image.width));
    for (int x = 0; x < image.width; ++x) col_of[static_cast<std::size_t>(x)] = ((2 * x + 1) * cols) / (2 * image.width);
    for (int y = 0; y < image.height; ++y) {
        const std::int64_t row = ((2 * static_cast<std::int64_t>(y) + 1) * rows) / (2 * image.height);
        const float* values = raster.row_ptr(row);
        for (int x = 0; x < image.width; ++x) {
            const float v = values[col_of[static_cast<std::size_t>(x)]];
            if (std::isnan(v)) continue;  // stays transparent
            const RampColour c = raster_style_colour(style, v);
            image.set(x, y, c.r, c.g, c.b, 255);
        }
    }
    return image;
}

void draw_outlines(RgbaImage& image, const MapFrame& frame, const std::vector<Outline>& outlines, std::uint8_t r,
                   std::uint8_t g, std::uint8_t b) {
    const double sx = static_cast<double>(frame.width_px) / (static_cast<double>(frame.grid.cols) * frame.grid.cell_size_m);
    const double sy = static_cast<double>(frame.height_px) / (static_cast<double>(frame.grid.rows) * frame.grid.cell_size_m);
    // Just inside the last pixel, so floor() of a clipped end point stays in the image.
    const double x_hi = static_cast<double>(image.width) - 1e-6;
    const double y_hi = static_cast<double>(image.height) - 1e-6;
    for (const Outline& line : outlines) {
        for (std::size_t i = 1; i < line.size(); ++i) {
            double x0 = (line[i - 1].x - frame.grid.origin_x) * sx;
            double y0 = (frame.grid.origin_y - line[i - 1].y) * sy;
            double x1 = (line[i].x - frame.grid.origin_x) * sx;
            double y1 = (frame.grid.origin_y - line[i].y) * sy;
            if (!std::isfinite(x0) || !std::isfinite(y0) || !std::isfinite(x1) || !std::isfinite(y1)) continue;
            if (!clip_segment(x0, y0, x1, y1, x_hi, y_hi)) continue;
            auto px = static_cast<int>(std::floor(x0));
            auto py = static_cast<int>(std::floor(y0));
            const auto px1 = static_cast<int>(std::floor(x1));
            const auto py1 = static_cast<int>(std::floor(y1));
            const int dx = std::abs(px1 - px);
            const int dy = -std::abs(py1 - py);
            const int step_x = px < px1 ? 1 : -1;
            const int step_y = py < py1 ? 1 : -1;
            int err = dx + dy;
            for (;;) {
                image.set(px, py, r, g, b, 255);
                if (px == px1 && py == py1) break;
                const int e2 = 2 * err;
                if (e2 >= dy) {
                    err += dy;
                    px += step_x;
                }
                if (e2 <= dx) {
                    err += dx;
                    py += step_y;
                }
            }
        }
    }
}

RgbaImage render_colour_bar(const RasterStyle& style, int width_px, int height_px) {
    RgbaImage image;
    image.width = width_px;
    image.height = height_px;
    image.rgba.assign(static_cast<std::size_t>(width_px) * static_cast<std::size_t>(height_px) * 4, 0);
    for (int x = 0; x < width_px; ++x) {
        const double value = style.min + (style.max - style.min) * (x + 0.5) / width_px;
        const RampColour c = raster_style_colour(style, value);
        for (int y = 0; y < height_px; ++y) image.set(x, y, c.r, c.g, c.b, 255);
    }
    return image;
}

std::string encode_png(const RgbaImage& image) {
    static std::once_flag once;
    std::call_once(once, [] { GDALAllRegister(); });
    static std::atomic<unsigned> counter{0};
    const std::string name = fmt::format("/vsimem/areatwin-report-{}-{}.png", ::getpid(), counter++);

    CPLPushErrorHandler(CPLQuietErrorHandler);
    CPLErrorReset();
    struct PopHandler {
        ~PopHandler() { CPLPopErrorHandler(); }
    } pop;
    // No .aux.xml sidecar (there is no file, but PAM would still try to write one into /vsimem).
    CPLConfigOptionSetter no_pam("GDAL_PAM_ENABLED", "NO", true);

    GDALDriver* mem = GetGDALDriverManager()->GetDriverByName("MEM");
    GDALDriver* png = GetGDALDriverManager()->GetDriverByName("PNG");
    if (mem == nullptr || png == nullptr) throw InternalError("GDAL has no MEM or PNG driver; cannot draw report maps");
    DatasetPtr source(mem->Create("", image.width, image.height, 4, GDT_Byte, nullptr));
    if (!source) throw InternalError(fmt::format("cannot create an in-memory image: {}", gdal_message()));
    auto* pixels = const_cast<std::uint8_t*>(image.rgba.data());  // GF_Write does not modify the buffer
    if (source->RasterIO(GF_Write, 0, 0, image.width, image.height, pixels, image.width, image.height, GDT_Byte, 4,
                         nullptr, 4, static_cast<GSpacing>(image.width) * 4, 1, nullptr) != CE_None)
        throw InternalError(fmt::format("cannot fill an in-memory image: {}", gdal_message()));
    source->GetRasterBand(4)->SetColorInterpretation(GCI_AlphaBand);
    {
        DatasetPtr out(png->CreateCopy(name.c_str(), source.get(), FALSE, nullptr, nullptr, nullptr));
        if (!out) throw InternalError(fmt::format("PNG encoding failed: {}", gdal_message()));
    }
    vsi_l_offset length = 0;
    GByte* data = VSIGetMemFileBuffer(name.c_str(), &length, TRUE);
    if (data == nullptr) throw InternalError(fmt::format("PNG encoding produced no data: {}", gdal_message()));
    std::string bytes(reinterpret_cast<const char*>(data), static_cast<std::size_t>(length));
    VSIFree(data);
    VSIUnlink((name + ".aux.xml").c_str());
    return bytes;
}

}  // namespace areatwin::io::detail
