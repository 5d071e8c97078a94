# SPDX-License-Identifier: GPL-3.0-or-later
areatwin_add_test(test_engine_rasterize SOURCES rasterize_test.cpp features_test.cpp LIBS areatwin::engine)
