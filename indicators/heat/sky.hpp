// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "areatwin/engine/tiling.hpp"

namespace areatwin::indicators::heat {

// The surfaces of a window of the grid (a tile's halo window), row-major, heights in m above datum.
// Cells outside the window lie outside the grid (the halo covers every ray), so they never block.
struct SurfaceWindow {
    std::int64_t cols = 0;
    std::int64_t rows = 0;
    double cell_size_m = 1.0;
    std::vector<float> solid;        // terrain and buildings: blocks rays and carries the observer
    std::vector<float> canopy_top;   // tree crowns' top, NaN where no tree
    std::vector<float> canopy_base;  // crowns' base (trunk zone top), NaN where no tree
    std::vector<float> sky_blocker;  // solid, or the crown top where higher: what hides the sky
    // Finite extremes over the window, for early termination of casts (speed only, not results).
    float solid_min = 0.0f;
    float solid_max = 0.0f;
    float top_max = 0.0f;
    float blocker_max = 0.0f;
    // Sets cell i from the DSM, the ground (DEM) and the crown height above ground. The DSM may or may not
    // contain the crowns (derived: ground + max(building, tree); a UMEP DSM: ground + buildings): where it
    // equals ground + crown height it is the crown, and the solid surface is the ground. A crown above the
    // solid surface gets its top at ground + crown height and its base at max(solid, ground + trunk_ratio *
    // crown height). canopy_top and canopy_base must be NaN where no crown is set.
    void set_cell(std::size_t i, float dsm, float ground, float crown_height, double trunk_ratio);
    void finish();  // computes the extremes and sky_blocker
    [[nodiscard]] std::size_t index(std::int64_t col, std::int64_t row) const {
        return static_cast<std::size_t>(row * cols + col);
    }
};

// One step of a ray from a cell towards the sun or a sky patch: the cell offset and how far the ray
// has risen (dz) at this step and at the previous one. Shared by the kernels and their references so
// both test exactly the same inequalities.
struct RayStep {
    std::int64_t dc = 0;   // column offset (east positive)
    std::int64_t dr = 0;   // row offset (south positive)
    float dz_m = 0.0f;
    float dz_prev_m = 0.0f;
};
// Steps along azimuth_deg (clockwise from north) at elevation_deg, up to a horizontal distance of
// max_length_m (heat-method.md B.2: the dominant axis advances one cell per step, the other is rounded;
// the horizontal path length per step is cell / max(|sin az|, |cos az|)).
std::vector<RayStep> ray_steps(double azimuth_deg, double elevation_deg, double cell_size_m, double max_length_m);

// Shadow codes per cell.
enum ShadowCode : std::uint8_t { kSunlit = 0, kVegetationShadow = 1, kSolidShadow = 2 };

// Shift-and-compare shadow cast (Ratti & Richens 1999, heat-method.md B.2) over `region` (window
// coordinates) for one sun position; out has region.cols * region.rows codes. A step shades a cell when
// the solid surface lowered by dz rises above the cell's own solid height; vegetation follows the pergola
// rule (1 to 3 of the 4 crown tests hold). elevation >= 89.5 deg: everything sunlit.
// A key for what the rays of `region` (window coordinates) can see: two independent 64-bit FNV-1a streams
// over the bits of the given surface layers (members of `s`) in the window of `region` grown by `reach`
// cells, clipped to `s`, and over the clipped bounds. Equal keys mean equal surfaces there (up to a hash
// collision); used to keep sky view factors per tile and geometry across scenarios.
std::array<std::uint64_t, 2> surface_hash(const SurfaceWindow& s, const Window& region, std::int64_t reach,
                                          std::initializer_list<const std::vector<float>*> layers);

void cast_shadow(const SurfaceWindow& s, const Window& region, double azimuth_deg, double elevation_deg,
                 double max_length_m, std::vector<std::uint8_t>& out);
// The plain per-cell ray walk (test oracle and explain).
std::uint8_t shadow_reference(const SurfaceWindow& s, std::int64_t col, std::int64_t row,
                              const std::vector<RayStep>& steps, double elevation_deg);

// Sky patches (heat-method.md B.3): 153 patches (Wallenberg et al. 2022) or 145 (Robinson & Stone
// 2004), with cosine weights (view factor of a horizontal surface) summing to 1.
struct SkyPatch {
    double azimuth_deg = 0.0;
    double elevation_deg = 0.0;
    double weight = 0.0;
};
std::vector<SkyPatch> sky_patches(int count);  // 153 or 145

struct SkyPatchRays {
    std::vector<SkyPatch> patches;
    std::vector<std::vector<RayStep>> steps;  // per patch, up to the search radius
};
SkyPatchRays sky_patch_rays(int count, double cell_size_m, double radius_m);

// Sky view factor over `region`: the weights of the patches visible from each cell (rays against the sky
// blocker surface from the observer's solid height, up to the search radius). NaN where the cell's solid
// height is NaN. Row-wise, patches and weights added per cell in a fixed order.
void sky_view_factor(const SurfaceWindow& s, const Window& region, const SkyPatchRays& rays, std::vector<float>& out);
// The plain per-cell version (test oracle, explain and the sparse lattice of the UHI window means).
float sky_view_factor_reference(const SurfaceWindow& s, std::int64_t col, std::int64_t row, const SkyPatchRays& rays);

// Which surface hides the sky: the sky blocker (solid or crown top: trees opaque, as sky_view_factor) or the
// solid surface alone (terrain and buildings; trees let the sky through).
enum class SkyObstacles : std::uint8_t { kWithVegetation, kBuildingsOnly };
// Both sky view factors in one pass over the rays (the solid hit implies the blocker hit, since the blocker is
// never below the solid surface). with_vegetation equals sky_view_factor bitwise; buildings_only may be null.
void sky_view_factors(const SurfaceWindow& s, const Window& region, const SkyPatchRays& rays,
                      std::vector<float>& with_vegetation, std::vector<float>* buildings_only);
// The plain per-cell version against either surface (test oracle and explain).
float sky_view_factor_reference(const SurfaceWindow& s, std::int64_t col, std::int64_t row, const SkyPatchRays& rays,
                                SkyObstacles obstacles);
// Bytes of scratch memory one call of sky_view_factors holds for a region `cols` wide: the per-cell visible
// weight sums and hit masks of one row; nothing per patch is kept (heat-method.md B.3 memory techniques).
std::size_t sky_view_factor_scratch_bytes(std::int64_t cols, bool buildings_only);

}  // namespace areatwin::indicators::heat
