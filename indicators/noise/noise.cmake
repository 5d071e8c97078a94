# SPDX-License-Identifier: GPL-3.0-or-later
# noise.cnossos sources. The CNOSSOS-EU coefficient tables (data/*.csv, with their source header lines)
# are embedded into the library as text so the binary is self-contained and the tables stay readable.
set(AREATWIN_NOISE_DIR ${CMAKE_CURRENT_LIST_DIR})
set(noise_tables cnossos_road_coefficients cnossos_road_coefficients_eu2015 cnossos_road_coefficients_nl_draft
  cnossos_road_surface_coefficients)
foreach(table ${noise_tables})
  file(READ ${AREATWIN_NOISE_DIR}/data/${table}.csv csv_${table})
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${AREATWIN_NOISE_DIR}/data/${table}.csv)
endforeach()
configure_file(${AREATWIN_NOISE_DIR}/cnossos_tables.cpp.in ${CMAKE_CURRENT_BINARY_DIR}/noise/cnossos_tables.cpp @ONLY)
target_sources(areatwin_indicators PRIVATE
  ${CMAKE_CURRENT_BINARY_DIR}/noise/cnossos_tables.cpp
  ${AREATWIN_NOISE_DIR}/cnossos_emission.cpp
  ${AREATWIN_NOISE_DIR}/cnossos_path.cpp
  ${AREATWIN_NOISE_DIR}/cnossos_reflection.cpp
  ${AREATWIN_NOISE_DIR}/cnossos_lateral.cpp
  ${AREATWIN_NOISE_DIR}/noise_cnossos.cpp
)
