// SPDX-License-Identifier: GPL-3.0-or-later
// Writes the HTML report of a GeoPackage: write_report_tool GPKG HTML. Stands in for
// `areatwin report` in the browser test until the command exists.
#include <exception>
#include <iostream>

#include "areatwin/engine/errors.hpp"
#include "areatwin/io/report.hpp"

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: write_report_tool GPKG HTML\n";
        return 2;
    }
    try {
        areatwin::io::write_report(argv[1], argv[2]);
    } catch (const areatwin::ConfigError& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 2;
    } catch (const areatwin::DataError& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "internal error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
