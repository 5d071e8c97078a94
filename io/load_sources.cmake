# SPDX-License-Identifier: GPL-3.0-or-later
set(AREATWIN_IO_LOAD_SOURCES
  src/vector_reader.cpp
  src/raster_reader.cpp
  src/presets.cpp
  src/derive.cpp
  src/load_inputs.cpp
  src/hash.cpp
  src/table_reader.cpp
)
