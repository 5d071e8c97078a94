# SPDX-License-Identifier: GPL-3.0-or-later
# GDAL is linked directly so the test can inspect the GeoPackage tables the writer promises.
areatwin_add_test(test_io_gpkg SOURCES gpkg_writer_test.cpp LIBS areatwin::io GDAL::GDAL nlohmann_json::nlohmann_json)
