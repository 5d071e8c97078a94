# SPDX-License-Identifier: GPL-3.0-or-later
# GDAL is linked directly so the tests can write their fixtures and read reference pixels themselves.
areatwin_add_test(test_io_load SOURCES load_test.cpp real_data_test.cpp LIBS areatwin::io GDAL::GDAL)
