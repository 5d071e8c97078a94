// SPDX-License-Identifier: GPL-3.0-or-later
#include "support/conformance_stack.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <stdexcept>

#include "areatwin/engine/roles.hpp"
#include "support/synthetic.hpp"

namespace areatwin::test {

LayerStack synthetic_stack_for(const IndicatorModel& model, const GridSpec& grid, std::uint32_t seed,
                               double nodata_share) {
    LayerStack stack(grid);
    std::uint32_t s = seed;
    for (const auto& name : model.inputs()) {
        if (name == "roads") {
            // A few random straight roads with every traffic attribute (flows per category and period, speeds).
            std::mt19937 rng(++s);
            std::uniform_real_distribution<double> u01(0.0, 1.0);
            auto roads = std::make_shared<FeatureSet>();
            roads->role = "roads";
            const Box2 ext = grid.extent();
            for (std::int64_t i = 0; i < 6; ++i) {
                Feature f;
                f.id = i + 1;
                f.source = "synthetic";
                f.geometry.kind = Geometry::Kind::Line;
                auto point = [&] {
                    return Point2{ext.min_x + u01(rng) * (ext.max_x - ext.min_x), ext.min_y + u01(rng) * (ext.max_y - ext.min_y)};
                };
                f.geometry.lines.push_back({point(), point(), point()});
                for (const auto& cat : vehicle_categories()) {
                    for (const auto& period : traffic_periods()) {
                        f.attributes["q_" + cat + "_" + period + "_veh_per_h"] = 50.0 + 950.0 * u01(rng);
                    }
                    f.attributes["v_" + cat + "_kmh"] = 30.0 + 70.0 * u01(rng);
                }
                f.attributes["street_type"] = std::string(i % 3 == 0 ? "canyon" : "open");
                roads->features.push_back(std::move(f));
            }
            stack.set_features(name, roads);
            continue;
        }
        if (name == "trees") {
            // Random tree points, one per 40 cells, with height and crown diameter.
            std::mt19937 rng(++s);
            std::uniform_real_distribution<double> u01(0.0, 1.0);
            auto trees = std::make_shared<FeatureSet>();
            trees->role = "trees";
            const Box2 ext = grid.extent();
            for (std::int64_t i = 0; i < 4 + grid.cell_count() / 40; ++i) {
                Feature f;
                f.id = i + 1;
                f.source = "synthetic";
                f.geometry.kind = Geometry::Kind::Point;
                f.geometry.points.push_back({ext.min_x + u01(rng) * (ext.max_x - ext.min_x), ext.min_y + u01(rng) * (ext.max_y - ext.min_y)});
                f.attributes["height_m"] = 4.0 + 21.0 * u01(rng);
                f.attributes["crown_diameter_m"] = 2.0 + 10.0 * u01(rng);
                trees->features.push_back(std::move(f));
            }
            stack.set_features(name, trees);
            continue;
        }
        if (name == "population") {
            // Random address points, one per 30 cells, with 1-4 dwellings and twice as many residents.
            std::mt19937 rng(++s);
            std::uniform_real_distribution<double> u01(0.0, 1.0);
            auto homes = std::make_shared<FeatureSet>();
            homes->role = "population";
            const Box2 ext = grid.extent();
            for (std::int64_t i = 0; i < 2 + grid.cell_count() / 30; ++i) {
                Feature f;
                f.id = i + 1;
                f.source = "synthetic";
                f.geometry.kind = Geometry::Kind::Point;
                f.geometry.points.push_back({ext.min_x + u01(rng) * (ext.max_x - ext.min_x), ext.min_y + u01(rng) * (ext.max_y - ext.min_y)});
                f.attributes["dwellings"] = std::floor(1.0 + 4.0 * u01(rng));
                f.attributes["residents"] = 2.0 * f.number_or("dwellings", 1.0);
                homes->features.push_back(std::move(f));
            }
            stack.set_features(name, homes);
            continue;
        }
        if (name == "buildings") {
            // Random rectangular blocks (10-40 m sides, 6-20 m high) and the grid layers the loader derives
            // from them: building.height_m by cell centre (0 outside), building.fraction 0 or 1.
            std::mt19937 rng(++s);
            std::uniform_real_distribution<double> u01(0.0, 1.0);
            auto buildings = std::make_shared<FeatureSet>();
            buildings->role = "buildings";
            const Box2 ext = grid.extent();
            Raster height(grid.cols, grid.rows, 0.0f);
            Raster fraction(grid.cols, grid.rows, 0.0f);
            const auto count = std::max<std::int64_t>(4, grid.cell_count() * grid.cell_area_m2() / 40000.0);
            for (std::int64_t i = 0; i < count; ++i) {
                const double x0 = ext.min_x + u01(rng) * (ext.max_x - ext.min_x);
                const double y0 = ext.min_y + u01(rng) * (ext.max_y - ext.min_y);
                const double w = 10.0 + 30.0 * u01(rng), h = 10.0 + 30.0 * u01(rng);
                const double height_m = 6.0 + 14.0 * u01(rng);
                Feature f;
                f.id = i + 1;
                f.source = "synthetic";
                f.geometry.kind = Geometry::Kind::Polygon;
                f.geometry.polygons.push_back({{{{x0, y0}, {x0 + w, y0}, {x0 + w, y0 + h}, {x0, y0 + h}, {x0, y0}}}});
                f.attributes["height_m"] = height_m;
                for (std::int64_t row = 0; row < grid.rows; ++row) {
                    for (std::int64_t col = 0; col < grid.cols; ++col) {
                        const double cx = grid.cell_center_x(col), cy = grid.cell_center_y(row);
                        if (cx < x0 || cx >= x0 + w || cy < y0 || cy >= y0 + h) continue;
                        height.at(col, row) = std::max(height.at(col, row), static_cast<float>(height_m));
                        fraction.at(col, row) = 1.0f;
                    }
                }
                buildings->features.push_back(std::move(f));
            }
            if (nodata_share > 0.0) add_nodata(height, ++s, nodata_share);
            stack.set_features(name, buildings);
            stack.set_raster(std::string(layer::building_height), std::make_shared<const Raster>(std::move(height)));
            stack.set_raster(std::string(layer::building_fraction), std::make_shared<const Raster>(std::move(fraction)));
            continue;
        }
        // Stack scalars an indicator reads (the loader sets the grid centre in WGS 84): the centre of the Netherlands.
        if (name == "grid.center_lat_deg" || name == "grid.center_lon_deg") {
            stack.set_scalar(name, name == "grid.center_lat_deg" ? 52.1 : 5.18);
            continue;
        }
        // Derived from the buildings generated above.
        if ((name == layer::building_height || name == layer::building_fraction) && stack.has_features("buildings")) continue;
        if (const RoleSpec* role = find_role(name); role != nullptr && role->geometry != "raster") {
            // Feature roles: indicators that read them add their synthetic generator here.
            throw std::runtime_error("no synthetic features for role '" + name + "' yet");
        }
        float lo = 0.0f, hi = 1.0f;
        if (name == layer::dem || name == layer::dsm) hi = 5.0f;
        if (name == layer::building_height || name == layer::canopy_height) hi = 25.0f;
        if (name == layer::residents || name == layer::dwellings) hi = 10.0f;
        if (name == "s2_red" || name == "s2_nir") lo = 1000.0f, hi = 6000.0f;  // L2A digital numbers with the offset
        auto r = random_raster(grid, ++s, lo, hi);
        if (nodata_share > 0.0) add_nodata(r, ++s, nodata_share);
        stack.set_raster(name, std::make_shared<const Raster>(std::move(r)));
    }
    return stack;
}

}  // namespace areatwin::test
