// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "areatwin/engine/features.hpp"
#include "areatwin/engine/grid.hpp"
#include "areatwin/engine/raster.hpp"

namespace areatwin {

// Content hash used to decide whether two scenarios see the same layer. Not cryptographic:
// SHA-256 is used for input files (io/), this only keys in-memory layers.
std::uint64_t content_hash(const Raster& raster);
std::uint64_t content_hash(const FeatureSet& features);

// Named grid layers and feature sets on one grid. Copying a stack is cheap: layers are shared
// and immutable, so a scenario copies the baseline stack and replaces only the layers its edits touch.
class LayerStack {
public:
    LayerStack() = default;
    explicit LayerStack(GridSpec grid) : grid_(std::move(grid)) {}

    [[nodiscard]] const GridSpec& grid() const { return grid_; }

    void set_raster(const std::string& name, std::shared_ptr<const Raster> raster);
    void set_features(const std::string& role, std::shared_ptr<const FeatureSet> features);
    void remove_raster(const std::string& name);
    // Named numbers that describe the whole stack, e.g. "grid.center_lat_deg" (set by the loader).
    void set_scalar(const std::string& name, double value);

    [[nodiscard]] bool has_raster(const std::string& name) const { return rasters_.count(name) > 0; }
    [[nodiscard]] bool has_features(const std::string& role) const { return features_.count(role) > 0; }
    [[nodiscard]] bool has_scalar(const std::string& name) const { return scalars_.count(name) > 0; }
    // Throws DataError naming the scalar when it is absent.
    [[nodiscard]] double scalar(const std::string& name) const;
    // Throws DataError naming the layer when it is absent.
    [[nodiscard]] const Raster& raster(const std::string& name) const;
    [[nodiscard]] const FeatureSet& features(const std::string& role) const;
    [[nodiscard]] std::shared_ptr<const Raster> raster_ptr(const std::string& name) const;
    [[nodiscard]] std::shared_ptr<const FeatureSet> features_ptr(const std::string& role) const;

    [[nodiscard]] std::vector<std::string> raster_names() const;
    [[nodiscard]] std::vector<std::string> feature_roles() const;

    [[nodiscard]] std::vector<std::string> scalar_names() const;

    // Hash of a layer or scalar by name ("landcover.grass", a role name such as "roads", or
    // "grid.center_lat_deg"); 0 if absent.
    [[nodiscard]] std::uint64_t hash_of(const std::string& name) const;
    // Combined hash of several layers: equal when every named layer is equal.
    [[nodiscard]] std::uint64_t hash_of(const std::vector<std::string>& names) const;

    [[nodiscard]] std::size_t memory_bytes() const;

private:
    struct RasterEntry { std::shared_ptr<const Raster> raster; std::uint64_t hash = 0; };
    struct FeatureEntry { std::shared_ptr<const FeatureSet> features; std::uint64_t hash = 0; };
    GridSpec grid_;
    std::map<std::string, RasterEntry> rasters_;
    std::map<std::string, FeatureEntry> features_;
    std::map<std::string, double> scalars_;
};

}  // namespace areatwin
