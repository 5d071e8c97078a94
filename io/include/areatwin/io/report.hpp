// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <filesystem>

namespace areatwin::io {

struct ReportOptions {
    // Maps narrower than this are enlarged by a whole factor with nearest-neighbour sampling so
    // cells stay square blocks and outlines stay thin. Default 600 px.
    int min_map_width_px = 600;
    // Maps wider than this are reduced (nearest neighbour, one sample per pixel) so a large grid
    // does not make the single-file report huge. Default 1200 px.
    int max_map_width_px = 1200;
    // Areas listed per scenario and output in the lists of largest increases and decreases. Default 5.
    int ranking_length = 5;
};

// Writes a self-contained HTML report (maps as embedded PNG data: URIs, legends, per-area tables,
// rankings and model cards) about the batch stored in `gpkg`, reading nothing but that GeoPackage.
// The file is written next to `html_out` under a temporary name and renamed when complete; the
// same GeoPackage always gives the same bytes. DataError naming the GeoPackage (and table) when it
// is missing, has no manifest or a table cannot be read; InternalError when writing fails.
void write_report(const std::filesystem::path& gpkg, const std::filesystem::path& html_out,
                  const ReportOptions& options = {});

}  // namespace areatwin::io
