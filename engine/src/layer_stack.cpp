// SPDX-License-Identifier: GPL-3.0-or-later
#include "areatwin/engine/layer_stack.hpp"

#include <cstring>
#include <type_traits>

#include <fmt/format.h>

#include "areatwin/engine/errors.hpp"

namespace areatwin {

namespace {

// FNV-1a over 64-bit words with a final avalanche: fast, stable across runs and platforms of the
// same endianness, and good enough to tell layers apart (it only keys recomputation).
class Hasher {
public:
    void bytes(const void* data, std::size_t n) {
        const auto* p = static_cast<const unsigned char*>(data);
        std::size_t i = 0;
        for (; i + 8 <= n; i += 8) {
            std::uint64_t w;
            std::memcpy(&w, p + i, 8);
            mix(w);
        }
        std::uint64_t tail = 0;
        if (i < n) {
            std::memcpy(&tail, p + i, n - i);
            mix(tail ^ (static_cast<std::uint64_t>(n - i) << 56));
        }
    }
    template <typename T>
        requires std::is_arithmetic_v<T>
    void value(T v) { bytes(&v, sizeof v); }
    void text(const std::string& s) {
        value(s.size());
        bytes(s.data(), s.size());
    }
    [[nodiscard]] std::uint64_t digest() const {
        std::uint64_t h = h_;
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53ULL;
        h ^= h >> 33;
        return h == 0 ? 1 : h;  // 0 means "absent"
    }

private:
    void mix(std::uint64_t w) {
        h_ ^= w;
        h_ *= 0x100000001b3ULL;
        h_ = (h_ << 29) | (h_ >> 35);
    }
    std::uint64_t h_ = 0xcbf29ce484222325ULL;
};

void hash_points(Hasher& h, const std::vector<Point2>& points) {
    h.value(points.size());
    h.bytes(points.data(), points.size() * sizeof(Point2));
}

}  // namespace

std::uint64_t content_hash(const Raster& raster) {
    Hasher h;
    h.value(raster.cols());
    h.value(raster.rows());
    h.bytes(raster.values().data(), raster.values().size() * sizeof(float));
    return h.digest();
}

std::uint64_t content_hash(const FeatureSet& features) {
    Hasher h;
    h.text(features.role);
    h.value(features.features.size());
    for (const auto& f : features.features) {
        h.value(f.id);
        h.value(static_cast<int>(f.geometry.kind));
        hash_points(h, f.geometry.points);
        h.value(f.geometry.lines.size());
        for (const auto& line : f.geometry.lines) hash_points(h, line);
        h.value(f.geometry.polygons.size());
        for (const auto& polygon : f.geometry.polygons) {
            h.value(polygon.rings.size());
            for (const auto& ring : polygon.rings) hash_points(h, ring);
        }
        h.value(f.attributes.size());
        for (const auto& [key, value] : f.attributes) {
            h.text(key);
            h.value(value.index());
            if (const auto* d = std::get_if<double>(&value)) h.value(*d);
            if (const auto* s = std::get_if<std::string>(&value)) h.text(*s);
        }
    }
    return h.digest();
}

void LayerStack::set_raster(const std::string& name, std::shared_ptr<const Raster> raster) {
    if (!raster) throw InternalError(fmt::format("layer '{}': null raster", name));
    if (raster->cols() != grid_.cols || raster->rows() != grid_.rows) {
        throw InternalError(fmt::format("layer '{}' is {}x{} cells, the grid is {}x{}", name, raster->cols(),
                                        raster->rows(), grid_.cols, grid_.rows));
    }
    const auto hash = content_hash(*raster);
    rasters_[name] = RasterEntry{std::move(raster), hash};
}

void LayerStack::set_features(const std::string& role, std::shared_ptr<const FeatureSet> features) {
    if (!features) throw InternalError(fmt::format("role '{}': null feature set", role));
    const auto hash = content_hash(*features);
    features_[role] = FeatureEntry{std::move(features), hash};
}

void LayerStack::remove_raster(const std::string& name) { rasters_.erase(name); }

void LayerStack::set_scalar(const std::string& name, double value) { scalars_[name] = value; }

double LayerStack::scalar(const std::string& name) const {
    const auto it = scalars_.find(name);
    if (it == scalars_.end()) throw DataError(fmt::format("value '{}' is not available: no input provides it", name));
    return it->second;
}

std::vector<std::string> LayerStack::scalar_names() const {
    std::vector<std::string> names;
    for (const auto& [name, value] : scalars_) names.push_back(name);
    return names;
}

const Raster& LayerStack::raster(const std::string& name) const { return *raster_ptr(name); }

const FeatureSet& LayerStack::features(const std::string& role) const { return *features_ptr(role); }

std::shared_ptr<const Raster> LayerStack::raster_ptr(const std::string& name) const {
    const auto it = rasters_.find(name);
    if (it == rasters_.end()) {
        throw DataError(fmt::format("grid layer '{}' is not available: no input provides it", name));
    }
    return it->second.raster;
}

std::shared_ptr<const FeatureSet> LayerStack::features_ptr(const std::string& role) const {
    const auto it = features_.find(role);
    if (it == features_.end()) {
        throw DataError(fmt::format("input role '{}' has no features: add a source for it under inputs", role));
    }
    return it->second.features;
}

std::vector<std::string> LayerStack::raster_names() const {
    std::vector<std::string> names;
    for (const auto& [name, entry] : rasters_) names.push_back(name);
    return names;
}

std::vector<std::string> LayerStack::feature_roles() const {
    std::vector<std::string> names;
    for (const auto& [name, entry] : features_) names.push_back(name);
    return names;
}

std::uint64_t LayerStack::hash_of(const std::string& name) const {
    if (const auto r = rasters_.find(name); r != rasters_.end()) return r->second.hash;
    if (const auto f = features_.find(name); f != features_.end()) return f->second.hash;
    if (const auto v = scalars_.find(name); v != scalars_.end()) {
        Hasher h;
        h.text(name);
        h.value(v->second);
        return h.digest();
    }
    return 0;
}

std::uint64_t LayerStack::hash_of(const std::vector<std::string>& names) const {
    Hasher h;
    for (const auto& name : names) {
        h.text(name);
        h.value(hash_of(name));
    }
    h.value(grid_.origin_x);
    h.value(grid_.origin_y);
    h.value(grid_.cell_size_m);
    h.value(grid_.cols);
    h.value(grid_.rows);
    h.text(grid_.crs);
    return h.digest();
}

std::size_t LayerStack::memory_bytes() const {
    std::size_t bytes = 0;
    for (const auto& [name, entry] : rasters_) bytes += entry.raster->values().size() * sizeof(float);
    for (const auto& [name, entry] : features_) {
        for (const auto& f : entry.features->features) {
            bytes += sizeof(Feature) + f.geometry.points.size() * sizeof(Point2);
            for (const auto& l : f.geometry.lines) bytes += l.size() * sizeof(Point2);
            for (const auto& p : f.geometry.polygons) {
                for (const auto& r : p.rings) bytes += r.size() * sizeof(Point2);
            }
            bytes += f.attributes.size() * 64;
        }
    }
    return bytes;
}

}  // namespace areatwin
