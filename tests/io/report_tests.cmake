# SPDX-License-Identifier: GPL-3.0-or-later
# GDAL is linked directly so the test can decode the embedded PNGs with GDAL's PNG driver; io/src is
# on the include path so the test can hold the PNG colours against the QGIS style (styles.hpp).
areatwin_add_test(test_io_report SOURCES ${CMAKE_CURRENT_LIST_DIR}/report_test.cpp
  LIBS areatwin::io GDAL::GDAL nlohmann_json::nlohmann_json)
target_include_directories(test_io_report PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../../io/src)
