// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "areatwin/engine/features.hpp"
#include "areatwin/io/gpkg_writer.hpp"

namespace areatwin::io::detail {

// The ramp names RasterStyle::ramp accepts, for error messages and docs.
const std::vector<std::string>& raster_ramp_names();
[[nodiscard]] bool is_raster_ramp(std::string_view ramp);

// A QGIS 3 QML document drawing band 1 with a singlebandpseudocolor renderer between style.min and
// style.max; nodata stays transparent. Throws ConfigError naming `table` for an unknown ramp or an
// empty or inverted range.
std::string raster_style_qml(const RasterStyle& style, const std::string& table);

// A single-symbol QML document for a vector layer of the given kind, used when the caller gives none.
std::string default_vector_style_qml(Geometry::Kind kind);

// A graduated-symbol QML document for a point layer coloured by the numeric attribute `column` with the
// classes of `style` (or, without classes, the noise 5 dB classes or five equal steps of the ramp).
// Throws ConfigError naming `table` as raster_style_qml does.
std::string point_style_qml(const RasterStyle& style, const std::string& column, const std::string& table);
std::string polygon_style_qml(const RasterStyle& style, const std::string& column, const std::string& table);

// An opaque colour of a raster ramp.
struct RampColour {
    std::uint8_t r = 0;
    std::uint8_t g = 0;
    std::uint8_t b = 0;
};

// The colour QGIS draws for `value` with the style raster_style_qml writes for `style`: the same stops,
// noise classes and zero-centred diverging scale, values beyond the range taking the end colours. The
// report's PNGs use it so that they and QGIS agree. `value` must not be NaN; an unknown ramp draws as
// viridis.
RampColour raster_style_colour(const RasterStyle& style, double value);

}  // namespace areatwin::io::detail
