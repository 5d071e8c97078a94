// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "areatwin/engine/tiling.hpp"
#include "heat/sky.hpp"

namespace areatwin::indicators::heat {

// --- Sky view factors split into buildings and vegetation (heat-method.md B.3) ---

// The four cardinal half-hemispheres of the directional SVFs, in the order of the flux terms.
enum Direction : std::uint8_t { kDirNorth = 0, kDirEast = 1, kDirSouth = 2, kDirWest = 3 };

// Per-patch weights of the directional SVFs (B.3). A patch counts in a half-hemisphere (N: azimuth 270-90,
// E: 0-180, S: 90-270, W: 180-360) with the share of its azimuth span (360 / patches in its band) that lies
// inside the half, times its cosine weight; each half is normalised to sum to 1, so open ground sees 1 in
// every direction. UMEP assigns whole patches by their centre and adds 3.0459e-4 to S and W for the zenith
// patch; that makes opposite halves differ by about one patch per band, and a symmetric courtyard asymmetric.
std::vector<std::array<double, 4>> directional_patch_weights(const std::vector<SkyPatch>& patches);

// Sky view factors of one cell. svf: sky hidden by solid surfaces (buildings, terrain) only; svf_veg: sky
// hidden by tree crowns only; svf_aveg: 1 minus the patches where a crown stands in front of a solid
// obstacle ("vegetation blocking buildings", B.3). The directional arrays hold the same three per half.
struct SkyFactors {
    float svf = 1.0f, svf_veg = 1.0f, svf_aveg = 1.0f;
    std::array<float, 4> dir{1, 1, 1, 1}, dir_veg{1, 1, 1, 1}, dir_aveg{1, 1, 1, 1};
};

struct SkyFactorRays {
    SkyPatchRays rays;
    std::vector<std::array<double, 4>> directional;  // per patch
};
SkyFactorRays sky_factor_rays(int patch_count, double cell_size_m, double radius_m);

// One pass over the patches for `region` (window coordinates): per patch and cell, the ray from the
// observer (solid height) is tested against the solid surface and, with UMEP's pergola rule (B.2: 1 to 3
// of the four crown tests), against the crowns. Weights are added per cell in patch order (fixed), so a
// cell's factors do not depend on the region. NaN where the solid height is NaN.
void sky_factors(const SurfaceWindow& s, const Window& region, const SkyFactorRays& rays, std::vector<SkyFactors>& out);
// The plain per-cell walk (test oracle and explain); agrees bitwise with sky_factors.
SkyFactors sky_factors_reference(const SurfaceWindow& s, std::int64_t col, std::int64_t row, const SkyFactorRays& rays);

// --- Surfaces (heat-method.md B.5, UMEP parametersforsolweig.json) ---

struct SurfaceMaterial {
    const char* name;
    double albedo;
    double emissivity;
    double tmax_lst_h;  // hour of the maximum of the ground temperature wave
    double ts_deg;      // amplitude per degree of the day's maximum sun altitude (K/deg)
    double tstart_k;    // amplitude offset (K)
};
enum Material : std::uint8_t { kCobble = 0, kAsphalt, kRoof, kGrass, kBareSoil, kWater, kWall, kMaterialCount };
const SurfaceMaterial& surface_material(Material m);

// --- Radiation of one hour (heat-method.md B.4) ---

struct SolweigWeather {
    int day_of_year = 182;
    double latitude_deg = 52.1;
    double ta_c = 20.0;
    double rh_pct = 50.0;
    double pressure_hpa = 1013.25;
    double global_wm2 = 0.0;
    double diffuse_wm2 = -1.0;   // < 0: the Reindl split (B.4.3)
    double elevation_deg = 0.0;  // sun (apparent)
    double azimuth_deg = 180.0;
    double local_hour = 12.0;            // clock time of the sample, decimal hours
    double sunrise_local_h = 5.0;        // clock time of sunrise
    double max_elevation_deg = 60.0;     // the day's highest sun
};

struct SolweigHour {
    double elevation_deg = 0.0, azimuth_deg = 0.0;
    double ta_c = 0.0, rh_pct = 0.0;
    double global_wm2 = 0.0, diffuse_wm2 = 0.0, direct_normal_wm2 = 0.0;
    double clearness_ci = 1.0;   // Crawford & Duchon (B.4.2), at most 1; 1 at night
    double clearness_kt = 0.0;   // G / I0_et
    double sky_emissivity = 0.0; // Prata / Jonsson (B.4.1)
    std::array<double, kMaterialCount> surface_excess_k{};  // ground (and wall) temperature above Ta in sun (B.4.5)
};

double sky_emissivity(double ta_c, double rh_pct);           // B.4.1
double sun_distance_factor(int day_of_year);                 // D of B.4.2 (UMEP's square root kept)
struct Clearness {
    double ci = 1.0, kt = 0.0, i0_wm2 = 0.0;
};
Clearness clearness_index(double global_wm2, double zenith_deg, double ta_c, double rh_pct, double pressure_hpa,
                          int day_of_year, double latitude_deg);  // B.4.2
double reindl_diffuse_wm2(double global_wm2, double kt, double elevation_deg, double ta_c, double rh_pct);  // B.4.3
SolweigHour solweig_hour(const SolweigWeather& w);

// --- Fluxes and Tmrt of a cell (heat-method.md B.4.4, B.4.6) ---

struct TmrtParameters {
    double absorption_k = 0.70;
    double absorption_l = 0.95;
    double f_up = 0.06, f_side = 0.22, f_cyl = 0.28;  // standing (B.4.6)
    double transmissivity = 0.03;                      // of tree crowns, psi (B.2)
    double wall_albedo = 0.20, wall_emissivity = 0.90; // Walls of B.5
};

struct SurfaceCell {
    SkyFactors sky;
    double sunlit = 1.0;      // share of the direct beam reaching the cell: 1, psi under crowns' shadow, 0
    double albedo = 0.18;     // of the ground
    double emissivity = 0.95;
    double excess_k = 0.0;    // ground temperature above Ta when sunlit
};

struct Fluxes {
    double kdown = 0, kup = 0, kside_direct = 0, ldown = 0, lup = 0;
    std::array<double, 4> kside{}, lside{};
    double wall_shadow_fraction = 0;  // F_sh
    double absorbed_wm2 = 0;          // S_str
    double tmrt_c = 0;
};
Fluxes solweig_fluxes(const SolweigHour& h, const SurfaceCell& c, const TmrtParameters& p);

}  // namespace areatwin::indicators::heat
