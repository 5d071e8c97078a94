# SPDX-License-Identifier: GPL-3.0-or-later
set(AREATWIN_IO_WRITE_SOURCES
  src/gpkg_writer.cpp
  src/styles.cpp
  src/report.cpp
  src/png_render.cpp
)
