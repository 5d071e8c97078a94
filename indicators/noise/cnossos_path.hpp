// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <vector>

#include "noise/cnossos_emission.hpp"

// CNOSSOS-EU point-to-point propagation per octave band (Directive 2015/996 Annex II section 2.5 as
// amended by 2021/1226, with the ISO/TR 17534-4:2020 interpretations). Method notes:
// ../shared/reference/noise-method.md sections 5-9.
namespace areatwin::indicators::noise {

struct Atmosphere {
    double temperature_c = 10.0;
    double humidity_pct = 70.0;
    double pressure_kpa = 101.325;
};

// ISO 9613-1 pure-tone absorption at the exact mid-band frequencies, dB/km (noise-method.md 6.2).
Bands atmospheric_absorption_db_per_km(const Atmosphere& air);

struct ProfilePoint {
    double x_m = 0.0;  // horizontal distance from the source
    double z_m = 0.0;  // altitude
};

struct GroundSpan {
    double x0_m = 0.0;
    double x1_m = 0.0;
    double g = 0.0;  // acoustic ground factor G, 0 hard to 1 porous
};

// The vertical cut S -> R, unfolded: x from the source (x = 0) to the receiver (x = length_m).
struct PathProfile {
    double length_m = 0.0;             // horizontal S-R distance
    double source_z_m = 0.0;           // altitudes of S and R
    double receiver_z_m = 0.0;
    double source_g = 0.0;             // G_s in the G'path rule (0 for road sources, local G in ISO cases)
    std::vector<ProfilePoint> terrain; // piecewise linear, increasing x, covering [0, length_m]
    std::vector<GroundSpan> ground;    // G along the path; parts not covered count as G = 0
    std::vector<ProfilePoint> tops;    // building roof corners and barrier tops (candidate edges)
};

// Everything the attenuation of one condition (homogeneous or favourable) is made of, per band.
struct ConditionTerms {
    bool diffracted = false;   // A_dif used in at least one band (a hull edge, or the Rayleigh criterion)
    // Line of sight, but diffraction over the profile point closest to the ray admitted by the Rayleigh
    // criterion (noise-method.md 8.2) in the bands of diffracted_bands; the other bands use a_ground.
    bool rayleigh = false;
    std::uint8_t diffracted_bands = 0;         // bit i set: band i uses A_dif (0xFF for a blocked path)
    double path_difference_star_m = 0.0;       // delta* (S*, R*), Rayleigh criterion only
    Bands a_ground{};          // S-R ground term; 0 when the condition is blocked (a hull edge)
    double path_difference_m = 0.0;            // delta (S,R), diffracted paths
    double path_difference_source_image_m = 0.0;   // delta (S',R)
    double path_difference_receiver_image_m = 0.0; // delta (S,R')
    Bands delta_dif_sr{}, delta_dif_source_image{}, delta_dif_receiver_image{};
    Bands a_ground_source_side{}, a_ground_receiver_side{};
    Bands delta_ground_source_side{}, delta_ground_receiver_side{};
    Bands a_boundary{};        // A_ground or A_dif
    Bands attenuation_db{};    // A_div + A_atm + A_boundary
};

struct PathTerms {
    double distance_m = 0.0;   // 3D S-R distance
    double a_div_db = 0.0;
    Bands a_atm_db{};
    double g_path = 0.0;       // S-R, for information
    double g_path_prime = 0.0;
    std::size_t edge_count_h = 0;
    std::size_t edge_count_f = 0;
    ConditionTerms homogeneous, favourable;
    Bands attenuation_db{};    // long-term: -10 lg(p 10^(-A_F/10) + (1 - p) 10^(-A_H/10))
    // The same as a linear energy factor, p 10^(-A_F/10) + (1 - p) 10^(-A_H/10) = 10^(-attenuation_db/10):
    // L_W [dB] -> energy at R = 10^(L_W/10) * transfer, without a logarithm and a power per band.
    Bands transfer{};
};

// Reusable buffers for cnossos_path (one per thread): after the first calls no allocation happens.
struct PathWorkspace {
    std::vector<ProfilePoint> candidates, bent, edge_points;
    std::vector<std::size_t> stack, edges_h, edges_f;
};

// The attenuation of one path; p = probability of favourable conditions (0..1).
// Conventions: profile x is the horizontal distance from S along the (unfolded) path, z the absolute
// altitude in m; terrain covers [0, length_m] in increasing x; ground spans and tops in any order of x
// (sorted input is faster). Per condition: no hull edge -> A_ground, unless the Rayleigh criterion admits
// diffraction over the point nearest the ray in some bands; one or more hull edges -> A_dif (8.1-8.5).
// Attenuations are in dB, positive = weaker; L_path = L_W - attenuation_db.
PathTerms cnossos_path(const PathProfile& profile, const Bands& alpha_db_per_km, double p_favourable);
// The same, reusing the caller's buffers and result (the hot-loop form).
void cnossos_path(const PathProfile& profile, const Bands& alpha_db_per_km, double p_favourable, PathWorkspace& work,
                  PathTerms& out);

// -10 lg(p 10^(-A_F/10) + (1 - p) 10^(-A_H/10)) (noise-method.md 9), and the linear factor inside the lg.
double long_term_attenuation_db(double a_h_db, double a_f_db, double p_favourable);
double long_term_transfer(double a_h_db, double a_f_db, double p_favourable);
// The same per band from a path's H and F attenuations (PathTerms::attenuation_db for another p).
Bands long_term_attenuation_db(const PathTerms& terms, double p_favourable);

// Probability of favourable propagation conditions by direction (noise-method.md 9: p for the direction
// S -> R and the period; NoiseModelling uses 16 sectors, ISO/TR 17534-4 one value 0.5).
// Azimuth convention: the direction of propagation from the source to the receiver, in degrees clockwise
// from grid north (+y), in [0, 360). With n sectors of width w = 360/n, sector k is centred on k w and covers
// [k w - w/2, k w + w/2): sector 0 is centred on north, sector n/4 on east (for n divisible by 4).
struct FavourableProbability {
    std::vector<double> sector_p{0.5};  // one value per sector, 0..1; one value = every direction

    // ConfigError (naming `what`) unless there is at least one sector and every p is in [0, 1].
    void validate(const char* what = "favourable_probability") const;
    [[nodiscard]] static double azimuth_deg(double dx_east_m, double dy_north_m);
    [[nodiscard]] std::size_t sector_of(double azimuth_deg) const;
    [[nodiscard]] double at_azimuth(double azimuth_deg) const { return sector_p[sector_of(azimuth_deg)]; }
    // p for the path from (xs, ys) to (xr, yr) in the grid CRS; coincident points take sector 0.
    [[nodiscard]] double for_path(double xs, double ys, double xr, double yr) const {
        return at_azimuth(azimuth_deg(xr - xs, yr - ys));
    }
};

// The S-R ground terms (7.2, 7.3) of a profile, ignoring every obstacle: for lateral paths, whose ground
// effect is taken on the unfolded lateral profile (8.3).
void ground_path_terms(const PathProfile& profile, ConditionTerms& homogeneous, ConditionTerms& favourable,
                       double& g_path, double& g_path_prime);

// Building blocks, exposed for tests.
struct MeanPlane {
    double a = 0.0;  // z = a x + b
    double b = 0.0;
};
MeanPlane mean_plane(const std::vector<ProfilePoint>& terrain, double x0_m, double x1_m);
double g_path_between(const std::vector<GroundSpan>& ground, double x0_m, double x1_m);
// G'path rule (2.5.14).
double g_path_prime(double g_path, double g_s, double d_p_m, double z_s_m, double z_r_m);
Bands a_ground_homogeneous(double z_s_m, double z_r_m, double d_p_m, double g_path, double g_path_prime);
Bands a_ground_favourable(double z_s_m, double z_r_m, double d_p_m, double g_path, double g_path_prime);
double delta_dif_db(double path_difference_m, double lambda_m, double c2);

}  // namespace areatwin::indicators::noise
