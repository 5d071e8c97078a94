// SPDX-License-Identifier: GPL-3.0-or-later
// SOLWEIG-style radiation (Lindberg, Holmer & Thorsson 2008; UMEP-processing SOLWEIGpython as described
// in ../shared/reference/heat-method.md B.1-B.5): sky view factors split into buildings and vegetation,
// ground and wall temperature waves, the six-direction fluxes and the mean radiant temperature.
#include "heat/solweig.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace areatwin::indicators::heat {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kSigma = 5.67051e-8;  // UMEP's SBC in the Tmrt and flux terms (B.4.6)
constexpr double kKelvin = 273.15;
constexpr float kNaNf = std::numeric_limits<float>::quiet_NaN();

double pow4(double x) { return x * x * x * x; }
double rad(double deg) { return deg * kPi / 180.0; }

// Accumulators of one cell: 3 totals then 3 x 4 directional sums (sky weights of visible patches).
struct SkySums {
    std::array<double, 15> w{};
};

// What one ray tells about one patch: solid hit, crown hit (pergola rule), crown in front of a solid hit.
struct PatchHit {
    bool solid = false, veg = false, veg_first = false;
};

void add_patch(SkySums& acc, const PatchHit& h, double weight, const std::array<double, 4>& dir) {
    if (!h.solid) acc.w[0] += weight;
    if (!h.veg) acc.w[1] += weight;
    const bool aveg_blocked = h.solid && h.veg_first;
    if (!aveg_blocked) acc.w[2] += weight;
    for (std::size_t d = 0; d < 4; ++d) {
        if (dir[d] == 0.0) continue;
        if (!h.solid) acc.w[3 + d] += dir[d];
        if (!h.veg) acc.w[7 + d] += dir[d];
        if (!aveg_blocked) acc.w[11 + d] += dir[d];
    }
}

SkyFactors finish(const SkySums& acc) {
    SkyFactors f;
    auto clip = [](double v) { return static_cast<float>(std::min(v, 1.0)); };
    f.svf = clip(acc.w[0]);
    f.svf_veg = clip(acc.w[1]);
    f.svf_aveg = clip(acc.w[2]);
    for (std::size_t d = 0; d < 4; ++d) {
        f.dir[d] = clip(acc.w[3 + d]);
        f.dir_veg[d] = clip(acc.w[7 + d]);
        f.dir_aveg[d] = clip(acc.w[11 + d]);
    }
    return f;
}

SkyFactors nan_factors() {
    SkyFactors f;
    f.svf = f.svf_veg = f.svf_aveg = kNaNf;
    f.dir.fill(kNaNf);
    f.dir_veg.fill(kNaNf);
    f.dir_aveg.fill(kNaNf);
    return f;
}

// The crown tests of the pergola rule (B.2) for a source cell: 1 to 3 of the 4 hold.
inline bool crown_blocks(float top, float base, float dz, float dz_prev, float z) {
    const int tests = static_cast<int>(top - dz > z) + static_cast<int>(base - dz > z) + static_cast<int>(top - dz_prev > z) +
                      static_cast<int>(base - dz_prev > z);
    return tests >= 1 && tests <= 3;
}

}  // namespace

std::vector<std::array<double, 4>> directional_patch_weights(const std::vector<SkyPatch>& patches) {
    // Half-hemispheres as arcs of azimuth [start, start + 180): N from 270, E from 0, S from 90, W from 180.
    constexpr double half_start[4] = {270.0, 0.0, 90.0, 180.0};
    std::vector<std::array<double, 4>> out(patches.size());
    std::array<double, 4> total{};
    for (std::size_t p = 0; p < patches.size(); ++p) {
        std::size_t n_band = 0;
        for (const auto& q : patches) n_band += q.elevation_deg == patches[p].elevation_deg ? 1 : 0;
        const double width = 360.0 / static_cast<double>(n_band);
        for (std::size_t d = 0; d < 4; ++d) {
            // Share of the patch's azimuth span [az - width/2, az + width/2) inside the half, over the wrap.
            const double lo = std::fmod(patches[p].azimuth_deg - width / 2.0 - half_start[d] + 720.0, 360.0);
            double inside = 0.0;
            for (double shift : {0.0, -360.0}) {
                inside += std::max(0.0, std::min(lo + shift + width, 180.0) - std::max(lo + shift, 0.0));
            }
            out[p][d] = patches[p].weight * std::min(inside, width) / width;
            total[d] += out[p][d];
        }
    }
    for (auto& w : out)
        for (std::size_t d = 0; d < 4; ++d) w[d] /= total[d];
    return out;
}

SkyFactorRays sky_factor_rays(int patch_count, double cell_size_m, double radius_m) {
    SkyFactorRays r;
    r.rays = sky_patch_rays(patch_count, cell_size_m, radius_m);
    r.directional = directional_patch_weights(r.rays.patches);
    return r;
}

void sky_factors(const SurfaceWindow& s, const Window& region, const SkyFactorRays& rays, std::vector<SkyFactors>& out) {
    const auto ncols = static_cast<std::size_t>(region.cols);
    out.assign(ncols * static_cast<std::size_t>(region.rows), SkyFactors{});
    const float solid_reach = s.solid_max - s.solid_min;
    const float crown_reach = s.top_max - s.solid_min;
    std::vector<SkySums> acc(ncols);
    std::vector<std::uint8_t> solid_hit(ncols), veg_hit(ncols), veg_first(ncols);
    for (std::int64_t r = 0; r < region.rows; ++r) {
        const std::int64_t row = region.row0 + r;
        const float* z = s.solid.data() + s.index(region.col0, row);
        std::fill(acc.begin(), acc.end(), SkySums{});
        for (std::size_t p = 0; p < rays.rays.patches.size(); ++p) {
            std::fill(solid_hit.begin(), solid_hit.end(), 0);
            std::fill(veg_hit.begin(), veg_hit.end(), 0);
            std::fill(veg_first.begin(), veg_first.end(), 0);
            for (const auto& st : rays.rays.steps[p]) {
                if (st.dz_m > solid_reach && st.dz_prev_m > crown_reach) break;
                const std::int64_t src_row = row + st.dr;
                if (src_row < 0 || src_row >= s.rows) continue;
                const std::int64_t c_begin = std::max<std::int64_t>(0, -(region.col0 + st.dc));
                const std::int64_t c_end = std::min<std::int64_t>(region.cols, s.cols - region.col0 - st.dc);
                if (c_begin >= c_end) continue;
                const auto src = s.index(region.col0 + st.dc, src_row);
                const float* sz = s.solid.data() + src;
                const float* top = s.canopy_top.data() + src;
                const float* base = s.canopy_base.data() + src;
                const float dz = st.dz_m;
                const float dzp = st.dz_prev_m;
                std::uint8_t* sh = solid_hit.data();
                if (dzp <= crown_reach) {
                    // Crowns can still block: branch-free so the loop vectorises. A crown stands in front of the
                    // solid obstacle when it blocks at a step before the first solid hit (and is the first crown hit).
                    std::uint8_t* vh = veg_hit.data();
                    std::uint8_t* vf = veg_first.data();
                    for (std::int64_t c = c_begin; c < c_end; ++c) {
                        const int tests = static_cast<int>(top[c] - dz > z[c]) + static_cast<int>(base[c] - dz > z[c]) +
                                          static_cast<int>(top[c] - dzp > z[c]) + static_cast<int>(base[c] - dzp > z[c]);
                        const auto v = static_cast<std::uint8_t>((tests >= 1) & (tests <= 3));
                        vf[c] = static_cast<std::uint8_t>(vf[c] | (v & static_cast<std::uint8_t>((sh[c] | vh[c]) ^ 1u)));
                        vh[c] = static_cast<std::uint8_t>(vh[c] | v);
                    }
                }
                if (dz <= solid_reach) {
                    for (std::int64_t c = c_begin; c < c_end; ++c) sh[c] = static_cast<std::uint8_t>(sh[c] | static_cast<std::uint8_t>(sz[c] - dz > z[c]));
                }
            }
            const double w = rays.rays.patches[p].weight;
            const auto& dir = rays.directional[p];
            for (std::size_t i = 0; i < ncols; ++i) {
                add_patch(acc[i], {solid_hit[i] != 0, veg_hit[i] != 0, veg_first[i] != 0}, w, dir);
            }
        }
        for (std::size_t i = 0; i < ncols; ++i) {
            out[static_cast<std::size_t>(r) * ncols + i] = std::isnan(z[i]) ? nan_factors() : finish(acc[i]);
        }
    }
}

SkyFactors sky_factors_reference(const SurfaceWindow& s, std::int64_t col, std::int64_t row, const SkyFactorRays& rays) {
    const float z = s.solid[s.index(col, row)];
    if (std::isnan(z)) return nan_factors();
    SkySums acc;
    for (std::size_t p = 0; p < rays.rays.patches.size(); ++p) {
        PatchHit h;
        for (const auto& st : rays.rays.steps[p]) {
            const auto c = col + st.dc;
            const auto r = row + st.dr;
            if (c < 0 || r < 0 || c >= s.cols || r >= s.rows) continue;
            const auto i = s.index(c, r);
            const bool v = crown_blocks(s.canopy_top[i], s.canopy_base[i], st.dz_m, st.dz_prev_m, z);
            if (v && !h.solid && !h.veg) h.veg_first = true;
            h.veg = h.veg || v;
            h.solid = h.solid || s.solid[i] - st.dz_m > z;
        }
        add_patch(acc, h, rays.rays.patches[p].weight, rays.directional[p]);
    }
    return finish(acc);
}

const SurfaceMaterial& surface_material(Material m) {
    // heat-method.md B.5 (UMEP parametersforsolweig.json): albedo, emissivity, TmaxLST, Ts_deg, Tstart.
    static const SurfaceMaterial table[kMaterialCount] = {
        {"Cobble_stone_2014a", 0.20, 0.95, 15.0, 0.37, -3.41},
        {"Dark_asphalt", 0.18, 0.95, 15.0, 0.58, -9.78},
        {"Roofs", 0.18, 0.95, 15.0, 0.58, -9.78},
        {"Grass_unmanaged", 0.16, 0.94, 14.0, 0.21, -3.38},
        {"Bare_soil", 0.25, 0.94, 14.0, 0.33, -3.01},
        {"Water", 0.05, 0.98, 12.0, 0.0, 0.0},
        {"Walls", 0.20, 0.90, 15.0, 0.37, -3.41},
    };
    return table[m];
}

double sky_emissivity(double ta_c, double rh_pct) {
    const double ea = 6.107 * std::pow(10.0, 7.5 * ta_c / (237.3 + ta_c)) * rh_pct / 100.0;
    const double m = 46.5 * ea / (ta_c + kKelvin);
    return 1.0 - (1.0 + m) * std::exp(-std::sqrt(1.2 + 3.0 * m));
}

double sun_distance_factor(int day_of_year) {
    const double b = 2.0 * kPi * day_of_year / 365.0;
    return std::sqrt(1.00011 + 0.034221 * std::cos(b) + 0.001280 * std::sin(b) + 0.000719 * std::cos(2.0 * b) +
                     0.000077 * std::sin(2.0 * b));
}

Clearness clearness_index(double global_wm2, double zenith_deg, double ta_c, double rh_pct, double pressure_hpa,
                          int day_of_year, double latitude_deg) {
    (void)latitude_deg;  // only the 50-60 deg N season constants were transcribed (B.4.2); see the README
    Clearness out;
    if (zenith_deg >= 90.0) return out;
    const double cz = std::cos(rad(zenith_deg));
    const double d = sun_distance_factor(day_of_year);
    // Optical air mass as restated from UMEP clearnessindex_2013b (B.4.2), cos z factor included.
    const double m = 35.0 * cz * std::pow(1224.0 * cz * cz + 1.0, -0.5);
    const double t_rpg = 1.021 - 0.084 * std::sqrt(m * (0.000949 * pressure_hpa + 0.051));
    double g_season = 2.93;
    if (day_of_year > 335 || day_of_year <= 60) g_season = 2.52;
    else if (day_of_year <= 152) g_season = 3.07;
    else if (day_of_year <= 244) g_season = 2.67;
    const double gamma = 17.27 * ta_c / (237.7 + ta_c) + std::log(rh_pct / 100.0);
    const double td_f = 1.8 * (237.7 * gamma / (17.27 - gamma)) + 32.0;
    const double u_w = std::exp(0.1133 - std::log(g_season + 1.0) + 0.0393 * td_f);
    const double t_w = 1.0 - 0.077 * std::pow(u_w * m, 0.3);
    const double t_a = std::pow(0.935, m);
    out.i0_wm2 = 1370.0 * cz * t_rpg * t_w * d * t_a;
    const double corr = 0.1473 * std::log(90.0 - zenith_deg) + 0.3454;
    out.ci = out.i0_wm2 > 0.0 ? std::clamp(global_wm2 / out.i0_wm2 + (1.0 - corr), 0.0, 1.0) : 1.0;
    out.kt = global_wm2 / (1370.0 * cz * d);
    return out;
}

double reindl_diffuse_wm2(double global_wm2, double kt, double elevation_deg, double ta_c, double rh_pct) {
    const double sa = std::sin(rad(elevation_deg));
    const double rh = rh_pct / 100.0;
    double frac = 0.0;
    if (kt <= 0.3) frac = 1.0 - 0.232 * kt + 0.0239 * sa - 0.000682 * ta_c + 0.0195 * rh;
    else if (kt < 0.78) frac = 1.329 - 1.716 * kt + 0.267 * sa - 0.00357 * ta_c + 0.106 * rh;
    else frac = 0.426 * kt - 0.256 * sa + 0.00349 * ta_c + 0.0734 * rh;
    return global_wm2 * std::clamp(frac, 0.0, 1.0);
}

SolweigHour solweig_hour(const SolweigWeather& w) {
    SolweigHour h;
    h.elevation_deg = w.elevation_deg;
    h.azimuth_deg = w.azimuth_deg;
    h.ta_c = w.ta_c;
    h.rh_pct = w.rh_pct;
    h.sky_emissivity = sky_emissivity(w.ta_c, w.rh_pct);
    if (w.elevation_deg <= 0.0) return h;  // night: no shortwave, CI 1, ground at air temperature (B.1 step 11)
    h.global_wm2 = w.global_wm2;
    const Clearness c = clearness_index(w.global_wm2, 90.0 - w.elevation_deg, w.ta_c, w.rh_pct, w.pressure_hpa, w.day_of_year,
                                        w.latitude_deg);
    h.clearness_ci = c.ci;
    h.clearness_kt = c.kt;
    h.diffuse_wm2 = w.diffuse_wm2 >= 0.0 ? std::min(w.diffuse_wm2, w.global_wm2)
                                         : reindl_diffuse_wm2(w.global_wm2, c.kt, w.elevation_deg, w.ta_c, w.rh_pct);
    h.direct_normal_wm2 = std::max(0.0, (h.global_wm2 - h.diffuse_wm2) / std::sin(rad(w.elevation_deg)));
    // Ground and wall wave (B.4.5), scaled by the clearness index in place of UMEP's CI_TgG (not read, F.1).
    for (int m = 0; m < kMaterialCount; ++m) {
        const auto& mat = surface_material(static_cast<Material>(m));
        const double phase = (kPi / 2.0) * (w.local_hour - w.sunrise_local_h) / (mat.tmax_lst_h - w.sunrise_local_h);
        const double tg = (mat.ts_deg * w.max_elevation_deg + mat.tstart_k) * std::sin(phase) * c.ci;
        h.surface_excess_k[static_cast<std::size_t>(m)] = std::max(0.0, tg);
    }
    return h;
}

Fluxes solweig_fluxes(const SolweigHour& h, const SurfaceCell& c, const TmrtParameters& p) {
    Fluxes f;
    const double psi = p.transmissivity;
    const double ta_k = h.ta_c + kKelvin;
    const double sky_air = kSigma * pow4(ta_k);
    const double sin_el = std::sin(rad(std::max(h.elevation_deg, 0.0)));
    const double cos_el = std::cos(rad(std::max(h.elevation_deg, 0.0)));
    const auto& s = c.sky;
    auto buveg = [psi](double svf, double svf_veg) { return std::max(0.0, svf - (1.0 - svf_veg) * (1.0 - psi)); };
    // Shadowed share of the surrounding walls (F_sh). UMEP's cylindric wedge was not read (F.1); here the
    // walls form a round basin whose rim is at the obstruction angle beta of the SVF (sin^2 beta = 1 - svf,
    // UMEP's svfalfa): the far, sun-facing half is lit to a depth 2 R tan(elevation), the near half is in shade.
    if (h.elevation_deg > 0.0) {
        const double beta = std::asin(std::sqrt(std::clamp(1.0 - static_cast<double>(s.svf), 0.0, 1.0)));
        const double lit = beta > 0.0 ? std::min(1.0, 2.0 * std::tan(rad(h.elevation_deg)) / std::tan(beta)) : 1.0;
        f.wall_shadow_fraction = 1.0 - 0.5 * lit;
    } else {
        f.wall_shadow_fraction = 1.0;
    }
    const double fsh = f.wall_shadow_fraction;
    const double wall_irradiance = h.global_wm2 * (1.0 - fsh) + h.diffuse_wm2 * fsh;
    const double svfbuveg = buveg(s.svf, s.svf_veg);
    const double direct = h.direct_normal_wm2 * c.sunlit;
    // Shortwave (B.4.4); the ground the person stands on is the cell itself (GVF not specified, F.1).
    f.kdown = direct * sin_el + h.diffuse_wm2 * svfbuveg + p.wall_albedo * (1.0 - svfbuveg) * wall_irradiance;
    f.kup = c.albedo * f.kdown;
    f.kside_direct = direct * cos_el;
    for (std::size_t d = 0; d < 4; ++d) {
        const double sb = buveg(s.dir[d], s.dir_veg[d]);
        f.kside[d] = 0.5 * (h.diffuse_wm2 * sb + p.wall_albedo * (1.0 - sb) * wall_irradiance) + 0.5 * f.kup;
    }
    // Longwave: the four-term Jonsson et al. (2006) form of B.4.4, and the cloud blend for CI < 0.95.
    const double wall_sun = p.wall_emissivity * kSigma * pow4(ta_k + h.surface_excess_k[kWall]);
    auto sky_side = [&](double svf, double svf_veg, double svf_aveg) {
        auto term = [&](double esky) {
            return (svf + svf_veg - 1.0) * esky * sky_air + (2.0 - svf_veg - svf_aveg) * p.wall_emissivity * sky_air +
                   (svf_aveg - svf) * wall_sun + (2.0 - svf - svf_veg) * (1.0 - p.wall_emissivity) * esky * sky_air;
        };
        const double clear = term(h.sky_emissivity);
        if (h.clearness_ci >= 0.95) return clear;
        const double cloud = 1.0 - h.clearness_ci;
        return (1.0 - cloud) * clear + cloud * term(1.0);
    };
    f.ldown = sky_side(s.svf, s.svf_veg, s.svf_aveg);
    f.lup = c.emissivity * kSigma * pow4(ta_k + c.excess_k * c.sunlit);
    for (std::size_t d = 0; d < 4; ++d) {
        f.lside[d] = 0.5 * sky_side(s.dir[d], s.dir_veg[d], s.dir_aveg[d]) + 0.5 * f.lup;
    }
    // Tmrt of a standing (or sitting) cylinder (B.4.6).
    const double kside = f.kside[0] + f.kside[1] + f.kside[2] + f.kside[3];
    const double lside = f.lside[0] + f.lside[1] + f.lside[2] + f.lside[3];
    f.absorbed_wm2 = p.absorption_k * (f.kside_direct * p.f_cyl + (f.kdown + f.kup) * p.f_up + kside * p.f_side) +
                     p.absorption_l * ((f.ldown + f.lup) * p.f_up + lside * p.f_side);
    f.tmrt_c = std::pow(f.absorbed_wm2 / (p.absorption_l * kSigma), 0.25) - kKelvin;
    return f;
}

}  // namespace areatwin::indicators::heat
