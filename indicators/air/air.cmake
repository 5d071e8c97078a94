# SPDX-License-Identifier: GPL-3.0-or-later
# air.traffic emission-factor tables (data/*.csv, with their source and reference year in the header lines),
# embedded into the library as text so the binary is self-contained and the tables stay readable.
set(AREATWIN_AIR_DIR ${CMAKE_CURRENT_LIST_DIR})
set(air_tables emission_factors_mobiliteitsscan emission_factors_rbl2007)
foreach(table ${air_tables})
  file(READ ${AREATWIN_AIR_DIR}/data/${table}.csv csv_${table})
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${AREATWIN_AIR_DIR}/data/${table}.csv)
endforeach()
configure_file(${AREATWIN_AIR_DIR}/air_tables.cpp.in ${CMAKE_CURRENT_BINARY_DIR}/air/air_tables.cpp @ONLY)
target_sources(areatwin_indicators PRIVATE ${CMAKE_CURRENT_BINARY_DIR}/air/air_tables.cpp)
