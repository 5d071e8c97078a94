// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

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
    bool diffracted = false;
    Bands a_ground{};          // S-R ground term, when not diffracted
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
};

// The attenuation of one path; p = probability of favourable conditions.
PathTerms cnossos_path(const PathProfile& profile, const Bands& alpha_db_per_km, double p_favourable);

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
