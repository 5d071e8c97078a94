// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "areatwin/engine/grid.hpp"
#include "areatwin/engine/raster.hpp"
#include "areatwin/io/gpkg_writer.hpp"

namespace areatwin::io::detail {

// 8-bit RGBA pixels, row-major from the top-left.
struct RgbaImage {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> rgba;  // width * height * 4

    void set(int x, int y, std::uint8_t r, std::uint8_t g, std::uint8_t b, std::uint8_t a);
};

// Square map pixels over the grid: a whole enlargement factor for small grids, a reduction for
// large ones.
struct MapFrame {
    GridSpec grid;
    int width_px = 0;
    int height_px = 0;
    double pixel_size_m = 0.0;  // ground size of one image pixel
};

MapFrame map_frame(const GridSpec& grid, int min_width_px, int max_width_px);

// Each pixel takes the colour of the cell under its centre; nodata (NaN) is fully transparent.
RgbaImage render_raster(const Raster& raster, const MapFrame& frame, const RasterStyle& style);

// A ring or line in grid CRS coordinates.
using Outline = std::vector<Point2>;

// Draws every segment as a one-pixel line (Bresenham, clipped to the image) in an opaque colour.
void draw_outlines(RgbaImage& image, const MapFrame& frame, const std::vector<Outline>& outlines, std::uint8_t r,
                   std::uint8_t g, std::uint8_t b);

// A horizontal colour bar sampling the ramp at each pixel column's centre value between style.min
// and style.max, so it shows exactly what the maps use (discrete noise classes included).
RgbaImage render_colour_bar(const RasterStyle& style, int width_px, int height_px);

// PNG bytes, encoded by GDAL's PNG driver in memory without auxiliary files.
std::string encode_png(const RgbaImage& image);

}  // namespace areatwin::io::detail
