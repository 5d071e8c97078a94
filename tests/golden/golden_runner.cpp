// SPDX-License-Identifier: GPL-3.0-or-later
// Runs one golden case file (tests/golden/cases/*.yaml): a point formula or a small synthetic scene
// through an indicator, with expected values, tolerances and the source of each reference value, or an
// expected error. Exit 0 when every expectation holds.
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/executor.hpp"
#include "areatwin/indicators/all.hpp"

namespace {

using namespace areatwin;

RawValue raw_of(const YAML::Node& node) {
    if (node.IsSequence()) {
        std::vector<double> numbers;
        std::vector<std::string> texts;
        for (const auto& item : node) {
            try {
                numbers.push_back(item.as<double>());
            } catch (const YAML::Exception&) {
                texts.push_back(item.as<std::string>());
            }
        }
        if (texts.empty()) return {numbers, "golden case"};
        return {texts, "golden case"};
    }
    try {
        return {node.as<double>(), "golden case"};
    } catch (const YAML::Exception&) {
        return {node.as<std::string>(), "golden case"};
    }
}

std::map<std::string, RawValue> raw_map(const YAML::Node& node) {
    std::map<std::string, RawValue> out;
    for (const auto& kv : node) out[kv.first.as<std::string>()] = raw_of(kv.second);
    return out;
}

// A synthetic layer from its description: {constant: v}, {half_plane: {column, left, right}},
// {checkerboard: {square, a, b}}, optionally with rectangles {rects: [[col0, row0, cols, rows, value], ...]},
// single cells {cells: [[col, row, value], ...]} and {nodata_cells: [[col, row], ...]}.
Raster make_layer(const GridSpec& grid, const YAML::Node& spec) {
    Raster r(grid.cols, grid.rows, 0.0f);
    if (spec["constant"]) {
        std::fill(r.values().begin(), r.values().end(), spec["constant"].as<float>());
    } else if (spec["half_plane"]) {
        const auto col = spec["half_plane"]["column"].as<std::int64_t>();
        const auto left = spec["half_plane"]["left"].as<float>();
        const auto right = spec["half_plane"]["right"].as<float>();
        for (std::int64_t row = 0; row < grid.rows; ++row) {
            for (std::int64_t c = 0; c < grid.cols; ++c) r.at(c, row) = c < col ? left : right;
        }
    } else if (spec["checkerboard"]) {
        const auto sq = spec["checkerboard"]["square"].as<std::int64_t>();
        const auto a = spec["checkerboard"]["a"].as<float>();
        const auto b = spec["checkerboard"]["b"].as<float>();
        for (std::int64_t row = 0; row < grid.rows; ++row) {
            for (std::int64_t c = 0; c < grid.cols; ++c) r.at(c, row) = ((c / sq + row / sq) % 2 == 0) ? a : b;
        }
    } else {
        throw ConfigError("layer needs constant, half_plane or checkerboard");
    }
    if (spec["rects"]) {
        for (const auto& rect : spec["rects"]) {  // [col0, row0, cols, rows, value]
            for (auto row = rect[1].as<std::int64_t>(); row < rect[1].as<std::int64_t>() + rect[3].as<std::int64_t>(); ++row) {
                for (auto c = rect[0].as<std::int64_t>(); c < rect[0].as<std::int64_t>() + rect[2].as<std::int64_t>(); ++c) {
                    r.at(c, row) = rect[4].as<float>();
                }
            }
        }
    }
    if (spec["cells"]) {
        for (const auto& cell : spec["cells"]) {
            r.at(cell[0].as<std::int64_t>(), cell[1].as<std::int64_t>()) = cell[2].as<float>();
        }
    }
    if (spec["nodata_cells"]) {
        for (const auto& cell : spec["nodata_cells"]) r.at(cell[0].as<std::int64_t>(), cell[1].as<std::int64_t>()) = Raster::nodata;
    }
    return r;
}

bool check(const std::string& what, std::optional<double> actual, const YAML::Node& expect) {
    const double tolerance = expect["tolerance"] ? expect["tolerance"].as<double>() : 0.0;
    if (expect["value"].IsNull()) {
        const bool ok = !actual || std::isnan(*actual);
        std::printf("%s %s: expected null, got %s\n", ok ? "ok  " : "FAIL", what.c_str(),
                    actual ? fmt::format("{}", *actual).c_str() : "null");
        return ok;
    }
    const double expected = expect["value"].as<double>();
    const bool ok = actual && std::abs(*actual - expected) <= tolerance;
    std::printf("%s %s: expected %.10g +- %g, got %s\n", ok ? "ok  " : "FAIL", what.c_str(), expected, tolerance,
                actual ? fmt::format("{:.10g}", *actual).c_str() : "null");
    return ok;
}

int run_case(const std::string& file) {
    const YAML::Node doc = YAML::LoadFile(file);
    if (!doc["source"] || doc["source"].as<std::string>().empty()) {
        std::fprintf(stderr, "%s: every golden case names the source of its reference values\n", file.c_str());
        return 1;
    }
    const auto& registry = indicators::builtin_registry();
    const YAML::Node expect_error = doc["expect_error"];
    bool ok = true;
    try {
        if (doc["formula"]) {
            const auto f = registry.formula(doc["formula"].as<std::string>());
            const auto params = validate_parameters(f.name, f.inputs, raw_map(doc["inputs"]));
            const auto result = f.evaluate(params);
            for (const auto& kv : doc["expect"]) {
                const auto key = kv.first.as<std::string>();
                const auto it = result.values.find(key);
                ok &= check(key, it == result.values.end() ? std::nullopt : it->second, kv.second);
            }
        } else {
            const auto model = registry.get(doc["indicator"].as<std::string>()).configure(raw_map(doc["parameters"]));
            GridSpec grid;
            grid.cols = doc["grid"]["cols"].as<std::int64_t>();
            grid.rows = doc["grid"]["rows"].as<std::int64_t>();
            grid.cell_size_m = doc["grid"]["cell_size_m"].as<double>();
            LayerStack stack(grid);
            for (const auto& kv : doc["layers"]) {
                stack.set_raster(kv.first.as<std::string>(), std::make_shared<const Raster>(make_layer(grid, kv.second)));
            }
            // Point features per role at cell centres: {role: [[col, row, {attribute: value}], ...]}.
            for (const auto& kv : doc["features"]) {
                auto set = std::make_shared<FeatureSet>();
                set->role = kv.first.as<std::string>();
                for (const auto& p : kv.second) {
                    Feature f;
                    f.id = static_cast<std::int64_t>(set->features.size()) + 1;
                    f.source = file;
                    f.geometry.kind = Geometry::Kind::Point;
                    f.geometry.points.push_back({grid.cell_center_x(p[0].as<std::int64_t>()), grid.cell_center_y(p[1].as<std::int64_t>())});
                    if (p.size() > 2) {
                        for (const auto& a : p[2]) f.attributes[a.first.as<std::string>()] = a.second.as<double>();
                    }
                    set->features.push_back(std::move(f));
                }
                stack.set_features(set->role, set);
            }
            const auto outputs = model->outputs();
            const auto rasters = run_indicator(*model, stack, {2, 32, {}});
            for (const auto& e : doc["expect"]) {
                const auto name = e["output"].as<std::string>();
                std::size_t k = 0;
                while (k < outputs.size() && outputs[k].name != name) ++k;
                if (k == outputs.size()) throw ConfigError("no output named " + name);
                const auto col = e["col"].as<std::int64_t>();
                const auto row = e["row"].as<std::int64_t>();
                const float v = rasters[k].at(col, row);
                ok &= check(fmt::format("{} at ({}, {})", name, col, row),
                            std::isnan(v) ? std::nullopt : std::optional<double>(v), e);
            }
        }
    } catch (const Error& err) {
        if (!expect_error) {
            std::fprintf(stderr, "FAIL unexpected error: %s\n", err.what());
            return 1;
        }
        const auto needle = expect_error.as<std::string>();
        const bool found = std::string(err.what()).find(needle) != std::string::npos;
        std::printf("%s expected error containing '%s': %s\n", found ? "ok  " : "FAIL", needle.c_str(), err.what());
        return found ? 0 : 1;
    }
    if (expect_error) {
        std::printf("FAIL expected an error containing '%s', got none\n", expect_error.as<std::string>().c_str());
        return 1;
    }
    return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: golden_runner CASE.yaml\n");
        return 2;
    }
    try {
        return run_case(argv[1]);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", argv[1], e.what());
        return 1;
    }
}
