// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

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

}  // namespace areatwin::io::detail
