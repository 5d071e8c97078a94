// SPDX-License-Identifier: GPL-3.0-or-later
// Shadow casting and sky view factor on a surface model (heat-method.md B.2, B.3).
#include "heat/sky.hpp"

#include <algorithm>
#include <cstring>
#include <cmath>
#include <limits>

namespace areatwin::indicators::heat {

namespace {

constexpr double kPi = 3.14159265358979323846;

// Whether no step from `first` on can shade anything in the window: the ray has risen above the
// window's height range for solid and crown surfaces (dz grows with the step).
bool beyond_reach(const SurfaceWindow& s, const RayStep& step) {
    return step.dz_m > s.solid_max - s.solid_min && step.dz_prev_m > s.top_max - s.solid_min;
}

}  // namespace

void SurfaceWindow::set_cell(std::size_t i, float dsm, float ground, float crown_height, double trunk_ratio) {
    float z = dsm;
    const bool tree = crown_height > 0.0f && !std::isnan(ground);
    if (tree && std::abs(dsm - (ground + crown_height)) < 0.01f) z = ground;
    solid[i] = z;
    if (tree && ground + crown_height > z) {
        canopy_top[i] = ground + crown_height;
        canopy_base[i] = static_cast<float>(std::max<double>(z, ground + trunk_ratio * crown_height));
    }
}

void SurfaceWindow::finish() {
    const auto n = static_cast<std::size_t>(cols * rows);
    if (canopy_top.size() != n) canopy_top.assign(n, std::numeric_limits<float>::quiet_NaN());
    if (canopy_base.size() != n) canopy_base.assign(n, std::numeric_limits<float>::quiet_NaN());
    sky_blocker.resize(n);
    float lo = std::numeric_limits<float>::infinity();
    float hi = -std::numeric_limits<float>::infinity();
    float top = -std::numeric_limits<float>::infinity();
    float blk = -std::numeric_limits<float>::infinity();
    for (std::size_t i = 0; i < n; ++i) {
        const float z = solid[i];
        const float t = canopy_top[i];
        // fmax ignores a NaN crown; a NaN solid height stays NaN (it cannot hide the sky).
        sky_blocker[i] = std::isnan(z) ? z : (std::isnan(t) ? z : std::max(z, t));
        if (!std::isnan(z)) {
            lo = std::min(lo, z);
            hi = std::max(hi, z);
        }
        if (!std::isnan(t)) top = std::max(top, t);
        if (!std::isnan(sky_blocker[i])) blk = std::max(blk, sky_blocker[i]);
    }
    if (!(lo <= hi)) lo = hi = 0.0f;
    solid_min = lo;
    solid_max = hi;
    top_max = std::isfinite(top) ? top : lo;
    blocker_max = std::isfinite(blk) ? blk : lo;
}

std::vector<RayStep> ray_steps(double azimuth_deg, double elevation_deg, double cell_size_m, double max_length_m) {
    std::vector<RayStep> steps;
    if (elevation_deg >= 89.5) return steps;  // heat-method.md E shadows 5: everything sunlit
    const double az = azimuth_deg * kPi / 180.0;
    const double east = std::sin(az);
    const double north = std::cos(az);
    const bool east_west = std::abs(east) >= std::abs(north);
    const double dominant = east_west ? std::abs(east) : std::abs(north);
    const double step_m = cell_size_m / dominant;
    const double tan_el = std::tan(elevation_deg * kPi / 180.0);
    const auto count = static_cast<std::int64_t>(std::floor(max_length_m / step_m + 1e-9));
    float prev = 0.0f;
    for (std::int64_t k = 1; k <= count; ++k) {
        RayStep st;
        const double kd = static_cast<double>(k);
        if (east_west) {
            st.dc = east > 0 ? k : -k;
            st.dr = -std::lround(kd * north / std::abs(east));
        } else {
            st.dr = north > 0 ? -k : k;
            st.dc = std::lround(kd * east / std::abs(north));
        }
        st.dz_m = static_cast<float>(kd * step_m * tan_el);
        st.dz_prev_m = prev;
        prev = st.dz_m;
        steps.push_back(st);
    }
    return steps;
}

void cast_shadow(const SurfaceWindow& s, const Window& region, double azimuth_deg, double elevation_deg,
                 double max_length_m, std::vector<std::uint8_t>& out) {
    const auto n = static_cast<std::size_t>(region.cols * region.rows);
    if (elevation_deg <= 0.0) {
        out.assign(n, kSolidShadow);  // no direct beam below the horizon
        return;
    }
    out.assign(n, kSunlit);
    const auto steps = ray_steps(azimuth_deg, elevation_deg, s.cell_size_m, max_length_m);
    std::vector<std::uint8_t> solid_hit(static_cast<std::size_t>(region.cols));
    std::vector<std::uint8_t> veg_hit(static_cast<std::size_t>(region.cols));
    for (std::int64_t r = 0; r < region.rows; ++r) {
        const std::int64_t row = region.row0 + r;
        const float* z = s.solid.data() + s.index(region.col0, row);
        std::fill(solid_hit.begin(), solid_hit.end(), 0);
        std::fill(veg_hit.begin(), veg_hit.end(), 0);
        for (const auto& st : steps) {
            if (beyond_reach(s, st)) break;
            const std::int64_t src_row = row + st.dr;
            if (src_row < 0 || src_row >= s.rows) continue;
            // Columns of the region whose source cell lies inside the window.
            const std::int64_t c_begin = std::max<std::int64_t>(0, -(region.col0 + st.dc));
            const std::int64_t c_end = std::min<std::int64_t>(region.cols, s.cols - region.col0 - st.dc);
            if (c_begin >= c_end) continue;
            const auto src = s.index(region.col0 + st.dc, src_row);
            const float* sz = s.solid.data() + src;
            const float* top = s.canopy_top.data() + src;
            const float* base = s.canopy_base.data() + src;
            const float dz = st.dz_m;
            const float dzp = st.dz_prev_m;
            for (std::int64_t c = c_begin; c < c_end; ++c) {
                solid_hit[static_cast<std::size_t>(c)] |= static_cast<std::uint8_t>(sz[c] - dz > z[c]);
            }
            for (std::int64_t c = c_begin; c < c_end; ++c) {
                const int tests = static_cast<int>(top[c] - dz > z[c]) + static_cast<int>(base[c] - dz > z[c]) +
                                  static_cast<int>(top[c] - dzp > z[c]) + static_cast<int>(base[c] - dzp > z[c]);
                veg_hit[static_cast<std::size_t>(c)] |= static_cast<std::uint8_t>(tests >= 1 && tests <= 3);
            }
        }
        std::uint8_t* o = out.data() + static_cast<std::size_t>(r * region.cols);
        for (std::int64_t c = 0; c < region.cols; ++c) {
            const auto i = static_cast<std::size_t>(c);
            o[c] = solid_hit[i] ? kSolidShadow : (veg_hit[i] ? kVegetationShadow : kSunlit);
        }
    }
}

std::uint8_t shadow_reference(const SurfaceWindow& s, std::int64_t col, std::int64_t row,
                              const std::vector<RayStep>& steps, double elevation_deg) {
    if (elevation_deg <= 0.0) return kSolidShadow;
    const float z = s.solid[s.index(col, row)];
    bool veg = false;
    for (const auto& st : steps) {
        const auto c = col + st.dc;
        const auto r = row + st.dr;
        if (c < 0 || r < 0 || c >= s.cols || r >= s.rows) continue;
        const auto i = s.index(c, r);
        if (s.solid[i] - st.dz_m > z) return kSolidShadow;
        const int tests = static_cast<int>(s.canopy_top[i] - st.dz_m > z) + static_cast<int>(s.canopy_base[i] - st.dz_m > z) +
                          static_cast<int>(s.canopy_top[i] - st.dz_prev_m > z) +
                          static_cast<int>(s.canopy_base[i] - st.dz_prev_m > z);
        if (tests >= 1 && tests <= 3) veg = true;
    }
    return veg ? kVegetationShadow : kSunlit;
}

std::vector<SkyPatch> sky_patches(int count) {
    // heat-method.md B.3: band centre altitudes, patches per band, azimuth start offsets, annuli (1 deg).
    constexpr double centre[8] = {6, 18, 30, 42, 54, 66, 78, 90};
    constexpr int n153[8] = {31, 30, 28, 24, 19, 13, 7, 1};
    constexpr int n145[8] = {30, 30, 24, 24, 18, 12, 6, 1};
    constexpr double offset[8] = {0, 4, 2, 5, 8, 0, 10, 0};
    constexpr int annulus_first[8] = {1, 13, 25, 37, 49, 61, 73, 85};
    constexpr int annulus_last[8] = {12, 24, 36, 48, 60, 72, 84, 90};
    const int* per_band = count == 145 ? n145 : n153;
    std::vector<SkyPatch> patches;
    constexpr double n = 90.0;
    for (int b = 0; b < 8; ++b) {
        const double daz = 2.0 * kPi / per_band[b];
        double w = 0.0;
        for (int a = annulus_first[b]; a <= annulus_last[b]; ++a) {
            const double q = 91.0 - a;
            w += (daz / (2.0 * kPi)) * std::sin(kPi / (2.0 * n)) * std::sin(kPi * (2.0 * q - 1.0) / (2.0 * n));
        }
        for (int k = 0; k < per_band[b]; ++k) {
            patches.push_back({std::fmod(k * (360.0 / per_band[b]) + offset[b], 360.0), centre[b], w});
        }
    }
    return patches;
}

SkyPatchRays sky_patch_rays(int count, double cell_size_m, double radius_m) {
    SkyPatchRays rays;
    rays.patches = sky_patches(count);
    for (const auto& p : rays.patches) rays.steps.push_back(ray_steps(p.azimuth_deg, p.elevation_deg, cell_size_m, radius_m));
    return rays;
}

namespace {

// One pass over rows and patches; with kBuildings the solid surface is tested too, for the buildings-only SVF.
template <bool kBuildings>
void svf_rows(const SurfaceWindow& s, const Window& region, const SkyPatchRays& rays, std::vector<float>& out,
              std::vector<float>* buildings) {
    const auto n = static_cast<std::size_t>(region.cols * region.rows);
    out.assign(n, 0.0f);
    if constexpr (kBuildings) buildings->assign(n, 0.0f);
    const float reach = s.blocker_max - s.solid_min;
    const auto cols = static_cast<std::size_t>(region.cols);
    std::vector<double> acc(cols);
    std::vector<double> acc_b(kBuildings ? cols : 0);
    std::vector<std::uint8_t> hit(cols);
    std::vector<std::uint8_t> hit_b(kBuildings ? cols : 0);
    for (std::int64_t r = 0; r < region.rows; ++r) {
        const std::int64_t row = region.row0 + r;
        const float* z = s.solid.data() + s.index(region.col0, row);
        std::fill(acc.begin(), acc.end(), 0.0);
        if constexpr (kBuildings) std::fill(acc_b.begin(), acc_b.end(), 0.0);
        for (std::size_t p = 0; p < rays.patches.size(); ++p) {
            std::fill(hit.begin(), hit.end(), 0);
            if constexpr (kBuildings) std::fill(hit_b.begin(), hit_b.end(), 0);
            for (const auto& st : rays.steps[p]) {
                if (st.dz_m > reach) break;
                const std::int64_t src_row = row + st.dr;
                if (src_row < 0 || src_row >= s.rows) continue;
                const std::int64_t c_begin = std::max<std::int64_t>(0, -(region.col0 + st.dc));
                const std::int64_t c_end = std::min<std::int64_t>(region.cols, s.cols - region.col0 - st.dc);
                if (c_begin >= c_end) continue;
                const auto src = s.index(region.col0 + st.dc, src_row);
                const float* sz = s.sky_blocker.data() + src;
                const float dz = st.dz_m;
                if constexpr (kBuildings) {
                    // One loop for both surfaces, so the observer heights are read once per step.
                    const float* so = s.solid.data() + src;
                    for (std::int64_t c = c_begin; c < c_end; ++c) {
                        const auto k = static_cast<std::size_t>(c);
                        hit[k] |= static_cast<std::uint8_t>(sz[c] - dz > z[c]);
                        hit_b[k] |= static_cast<std::uint8_t>(so[c] - dz > z[c]);
                    }
                } else {
                    for (std::int64_t c = c_begin; c < c_end; ++c) {
                        hit[static_cast<std::size_t>(c)] |= static_cast<std::uint8_t>(sz[c] - dz > z[c]);
                    }
                }
            }
            const double w = rays.patches[p].weight;
            for (std::size_t c = 0; c < cols; ++c) {
                if (!hit[c]) acc[c] += w;
            }
            if constexpr (kBuildings) {
                for (std::size_t c = 0; c < cols; ++c) {
                    if (!hit_b[c]) acc_b[c] += w;
                }
            }
        }
        float* o = out.data() + static_cast<std::size_t>(r * region.cols);
        for (std::int64_t c = 0; c < region.cols; ++c) {
            o[c] = std::isnan(z[c]) ? std::numeric_limits<float>::quiet_NaN()
                                    : static_cast<float>(acc[static_cast<std::size_t>(c)]);
        }
        if constexpr (kBuildings) {
            float* ob = buildings->data() + static_cast<std::size_t>(r * region.cols);
            for (std::int64_t c = 0; c < region.cols; ++c) {
                ob[c] = std::isnan(z[c]) ? std::numeric_limits<float>::quiet_NaN()
                                         : static_cast<float>(acc_b[static_cast<std::size_t>(c)]);
            }
        }
    }
}

}  // namespace

void sky_view_factor(const SurfaceWindow& s, const Window& region, const SkyPatchRays& rays, std::vector<float>& out) {
    svf_rows<false>(s, region, rays, out, nullptr);
}

void sky_view_factors(const SurfaceWindow& s, const Window& region, const SkyPatchRays& rays,
                      std::vector<float>& with_vegetation, std::vector<float>* buildings_only) {
    if (buildings_only) svf_rows<true>(s, region, rays, with_vegetation, buildings_only);
    else svf_rows<false>(s, region, rays, with_vegetation, nullptr);
}

std::size_t sky_view_factor_scratch_bytes(std::int64_t cols, bool buildings_only) {
    const auto c = static_cast<std::size_t>(cols);
    return (buildings_only ? 2 : 1) * c * (sizeof(double) + sizeof(std::uint8_t));
}

float sky_view_factor_reference(const SurfaceWindow& s, std::int64_t col, std::int64_t row, const SkyPatchRays& rays) {
    return sky_view_factor_reference(s, col, row, rays, SkyObstacles::kWithVegetation);
}

float sky_view_factor_reference(const SurfaceWindow& s, std::int64_t col, std::int64_t row, const SkyPatchRays& rays,
                                SkyObstacles obstacles) {
    const float z = s.solid[s.index(col, row)];
    if (std::isnan(z)) return z;
    const std::vector<float>& surface = obstacles == SkyObstacles::kBuildingsOnly ? s.solid : s.sky_blocker;
    double acc = 0.0;
    for (std::size_t p = 0; p < rays.patches.size(); ++p) {
        bool blocked = false;
        for (const auto& st : rays.steps[p]) {
            const auto c = col + st.dc;
            const auto r = row + st.dr;
            if (c < 0 || r < 0 || c >= s.cols || r >= s.rows) continue;
            if (surface[s.index(c, r)] - st.dz_m > z) {
                blocked = true;
                break;
            }
        }
        if (!blocked) acc += rays.patches[p].weight;
    }
    return static_cast<float>(acc);
}

std::array<std::uint64_t, 2> surface_hash(const SurfaceWindow& s, const Window& region, std::int64_t reach,
                                          std::initializer_list<const std::vector<float>*> layers) {
    const auto c0 = std::max<std::int64_t>(0, region.col0 - reach);
    const auto r0 = std::max<std::int64_t>(0, region.row0 - reach);
    const auto c1 = std::min<std::int64_t>(s.cols, region.col_end() + reach);
    const auto r1 = std::min<std::int64_t>(s.rows, region.row_end() + reach);
    std::uint64_t h1 = 1469598103934665603ull, h2 = 0x9e3779b97f4a7c15ull;
    const auto mix = [&](std::uint32_t v) {
        h1 = (h1 ^ v) * 1099511628211ull;
        h2 = (h2 ^ (v + 0x7f4a7c15u)) * 0x100000001b3ull;
        h2 ^= h2 >> 29;
    };
    for (const auto v : {c0 - region.col0, r0 - region.row0, c1 - region.col0, r1 - region.row0}) mix(static_cast<std::uint32_t>(v));
    for (std::int64_t r = r0; r < r1; ++r) {
        for (std::int64_t c = c0; c < c1; ++c) {
            const auto i = s.index(c, r);
            for (const std::vector<float>* layer : layers) {
                std::uint32_t bits = 0;
                std::memcpy(&bits, &(*layer)[i], sizeof bits);
                mix(bits);
            }
        }
    }
    return {h1, h2};
}

}  // namespace areatwin::indicators::heat
