// SPDX-License-Identifier: GPL-3.0-or-later
// Point formulas of the heat family; section numbers refer to ../shared/reference/heat-method.md.
#include "heat/comfort.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>

namespace areatwin::indicators::heat {

namespace {

constexpr double kPi = 3.14159265358979323846;

struct UtciTerm {
    double coefficient;
    int ta, va, dtmrt, pa;
};
constexpr UtciTerm kUtciTerms[] = {
#include "heat/data/utci_coefficients.inc"
};
static_assert(sizeof(kUtciTerms) / sizeof(kUtciTerms[0]) == 210, "UTCI_a002 has 210 terms");

// Nested (Horner) form: coefficients regrouped once by (ta, va, dtmrt) powers into polynomials in pa,
// then in dtmrt, va and ta. Degrees are at most 6 each.
struct UtciNested {
    // c[ta][va][dt][pa]
    std::array<std::array<std::array<std::array<double, 7>, 7>, 7>, 7> c{};
    UtciNested() {
        for (const auto& t : kUtciTerms) {
            c[static_cast<std::size_t>(t.ta)][static_cast<std::size_t>(t.va)][static_cast<std::size_t>(t.dtmrt)]
             [static_cast<std::size_t>(t.pa)] = t.coefficient;
        }
    }
};
const UtciNested& utci_nested() {
    static const UtciNested n;
    return n;
}

template <typename F>
double horner(int max_degree, double x, F coefficient) {
    double v = 0.0;
    for (int i = max_degree; i >= 0; --i) v = v * x + coefficient(i);
    return v;
}

}  // namespace

double utci_saturation_vapour_pressure_hpa(double ta_c) {
    // Hardy (1998) ITS-90 coefficients g1..g8 (utci_es_coefficients.csv): es[Pa] = exp(sum g_i T^(i-3) + g8 ln T).
    constexpr double g[8] = {-2.8365744e3, -6.028076559e3, 1.954263612e1, -2.737830188e-2,
                             1.6261698e-5, 7.0229056e-10,  -1.8680009e-13, 2.7150305};
    const double t = ta_c + 273.15;
    double sum = g[7] * std::log(t);
    for (int i = 0; i < 7; ++i) sum += g[i] * std::pow(t, i - 2);
    return 0.01 * std::exp(sum);
}

double utci_polynomial_reference(double ta_c, double va10_ms, double dtmrt_k, double pa_kpa) {
    double sum = 0.0;
    for (const auto& t : kUtciTerms) {
        sum += t.coefficient * std::pow(ta_c, t.ta) * std::pow(va10_ms, t.va) * std::pow(dtmrt_k, t.dtmrt) *
               std::pow(pa_kpa, t.pa);
    }
    return ta_c + sum;
}

double utci_polynomial(double ta_c, double va10_ms, double dtmrt_k, double pa_kpa) {
    const auto& n = utci_nested();
    const double offset = horner(6, ta_c, [&](int i) {
        const auto& ci = n.c[static_cast<std::size_t>(i)];
        return horner(6 - i, va10_ms, [&](int j) {
            const auto& cij = ci[static_cast<std::size_t>(j)];
            return horner(6 - i - j, dtmrt_k, [&](int k) {
                const auto& cijk = cij[static_cast<std::size_t>(k)];
                return horner(6 - i - j - k, pa_kpa, [&](int l) { return cijk[static_cast<std::size_t>(l)]; });
            });
        });
    });
    return ta_c + offset;
}

UtciResult utci(double ta_c, double tmrt_c, double va10_ms, double rh_pct) {
    UtciResult r;
    const double e_hpa = utci_saturation_vapour_pressure_hpa(ta_c) * rh_pct / 100.0;
    const double dtmrt = tmrt_c - ta_c;
    if (!(ta_c >= -50.0 && ta_c <= 50.0)) {
        r.out_of_domain = "air temperature outside -50..50 degC";
    } else if (!(dtmrt >= -30.0 && dtmrt <= 70.0)) {
        r.out_of_domain = "tmrt - ta outside -30..70 K";
    } else if (!(va10_ms >= 0.5 && va10_ms <= 17.0)) {
        r.out_of_domain = "10 m wind speed outside 0.5..17 m/s";
    } else if (!(e_hpa <= 50.0)) {
        r.out_of_domain = "vapour pressure above 50 hPa";
    } else if (!(rh_pct >= 0.0 && rh_pct <= 100.0)) {
        r.out_of_domain = "relative humidity outside 0..100 %";
    }
    if (!r.out_of_domain.empty()) return r;
    r.utci_c = utci_polynomial(ta_c, va10_ms, dtmrt, e_hpa / 10.0);
    return r;
}

int utci_class(double u) {
    if (u > 46.0) return 10;
    if (u > 38.0) return 9;
    if (u > 32.0) return 8;
    if (u > 26.0) return 7;
    if (u > 9.0) return 6;
    if (u > 0.0) return 5;
    if (u > -13.0) return 4;
    if (u > -27.0) return 3;
    if (u > -40.0) return 2;
    return 1;
}

std::string utci_category(double u) {
    static const char* names[] = {"extreme cold stress",   "very strong cold stress", "strong cold stress",
                                  "moderate cold stress",  "slight cold stress",      "no thermal stress",
                                  "moderate heat stress",  "strong heat stress",      "very strong heat stress",
                                  "extreme heat stress"};
    return names[utci_class(u) - 1];
}

std::optional<double> wetbulb_stull_c(double ta_c, double rh_pct) {
    if (!(rh_pct >= 5.0 && rh_pct <= 99.0 && ta_c >= -20.0 && ta_c <= 50.0)) return std::nullopt;
    return ta_c * std::atan(0.151977 * std::sqrt(rh_pct + 8.313659)) + std::atan(ta_c + rh_pct) -
           std::atan(rh_pct - 1.676331) + 0.00391838 * std::pow(rh_pct, 1.5) * std::atan(0.023101 * rh_pct) -
           4.686035;
}

double diffuse_dpra_wm2(double global_wm2, double sun_elevation_deg) {
    if (sun_elevation_deg <= 0.0 || global_wm2 <= 0.0) return std::max(global_wm2, 0.0);
    // 1367 W/m2 without Earth-Sun distance correction, for parity with the plugin (A.7).
    const double tau = global_wm2 / (1367.0 * std::sin(sun_elevation_deg * kPi / 180.0));
    if (tau < 0.3) return global_wm2;
    if (tau <= 0.7) return global_wm2 * (1.6 - 2.0 * tau);
    return 0.2 * global_wm2;
}

double pedestrian_wind_ms(double w, double wind10_ms) {
    return std::max(((w - 0.125) * 0.5829 + 0.125) * wind10_ms, 0.5);
}

double pet_dpra_shade_c(const DpraInputs& in) {
    const double tk = in.ta_c + 273.15;
    return -12.14 + 1.25 * in.ta_c - 1.47 * std::log(in.u_ms) + 0.060 * in.tw_c + 0.015 * in.svf * in.diffuse_wm2 +
           0.0060 * (1.0 - in.svf) * kStefanBoltzmann * tk * tk * tk * tk;
}

double pet_dpra_sun_c(const DpraInputs& in) {
    const double lnu = std::log(in.u_ms);
    const double sin_phi = std::sin(in.sun_elevation_deg * kPi / 180.0);
    return -13.26 + 1.25 * in.ta_c + 0.011 * in.global_wm2 - 3.37 * lnu + 0.078 * in.tw_c +
           0.0055 * in.global_wm2 * lnu + 5.56 * sin_phi - 0.0103 * in.global_wm2 * lnu * sin_phi + 0.546 * in.bowen +
           1.94 * in.svf;
}

int pet_class(double pet_c) {
    constexpr double bounds[] = {4.0, 8.0, 13.0, 18.0, 23.0, 29.0, 35.0, 41.0};
    int c = 1;
    for (double b : bounds) {
        if (pet_c >= b) ++c;
    }
    return c;
}

const char* pet_class_label_nl(int c) {
    static const char* labels[] = {"heel koud", "koud", "koel", "fris", "comfortabel",
                                   "beetje warm / lichte warmtestress", "warm / matige warmtestress",
                                   "heet / grote warmtestress", "zeer heet / extreme warmtestress"};
    return labels[std::clamp(c, 1, 9) - 1];
}

const char* pet_class_label_en(int c) {
    static const char* labels[] = {"very cold (extreme cold stress)", "cold (strong cold stress)",
                                   "cool (moderate cold stress)", "slightly cool (slight cold stress)",
                                   "comfortable (no thermal stress)", "slightly warm (slight heat stress)",
                                   "warm (moderate heat stress)", "hot (strong heat stress)",
                                   "very hot (extreme heat stress)"};
    return labels[std::clamp(c, 1, 9) - 1];
}

double uhi_max_k(double svf, double f_veg, double s_kms, double dtr_k, double u_ms, double lambda) {
    return (2.0 - svf - f_veg) * std::pow(s_kms * dtr_k * dtr_k * dtr_k / u_ms, 1.0 / lambda);
}

double uhi_s_kms(double mean_global_wm2, double pressure_hpa, double temperature_c) {
    const double rho = pressure_hpa * 100.0 / (287.058 * (temperature_c + 273.15));
    return mean_global_wm2 / (1007.0 * rho);
}

double wind_reduction_macdonald(double lambda_f, double height_m) {
    struct Profile {
        double z0, d, zw, a, b;
    };
    // A.10 step 8: profile parameters by frontal-area-index class.
    const Profile p = lambda_f < 0.08    ? Profile{0.048, 0.066, 2.0, -0.35, 0.56}
                      : lambda_f < 0.135 ? Profile{0.071, 0.26, 2.5, -0.35, 0.50}
                      : lambda_f < 0.18  ? Profile{0.084, 0.32, 2.7, -0.34, 0.48}
                      : lambda_f < 0.265 ? Profile{0.080, 0.42, 1.5, -0.56, 0.66}
                                         : Profile{0.077, 0.57, 1.2, -0.85, 0.92};
    constexpr double kappa = 0.4;
    const double r_ref = 1.0 / 0.63501;
    const double r_60 = std::log(10.0 / 0.03) / std::log(60.0 / 0.03);
    const double h = height_m;
    const double z0 = p.z0 * h;
    const double d = p.d * h;
    const double zw = p.zw * h;
    const double a = p.a * h;
    const double u_star = (r_ref / r_60) * kappa / std::log((60.0 - d) / z0);
    const double u_zw = (u_star / kappa) * std::log((zw - d) / z0);
    const double u_h = u_zw - (u_star / p.b) * std::log((a + p.b * zw) / (a + p.b * h));
    return std::min(u_h * std::exp(9.6 * lambda_f * (1.2 / h - 1.0)), 1.0);
}

double uhi_diurnal_factor(int sunrise_utc_h, int sunset_utc_h, int utc_hour) {
    // Columns: 6/17, 5/17, 5/18, 5/19, 4/19, 4/20, 3/20 (sunrise/sunset hour, UTC).
    static constexpr int keys[7][2] = {{6, 17}, {5, 17}, {5, 18}, {5, 19}, {4, 19}, {4, 20}, {3, 20}};
    static constexpr double table[24][7] = {
        {0.748, 0.782, 0.807, 0.910, 0.900, 1.000, 1.000},     {0.667, 0.640, 0.704, 0.780, 0.757, 0.888, 0.866},
        {0.602, 0.573, 0.617, 0.675, 0.710, 0.728, 0.690},     {0.525, 0.490, 0.533, 0.590, 0.543, 0.609, 0.560},
        {0.449, 0.355, 0.435, 0.490, 0.413, 0.490, 0.380},     {0.281, 0.150, 0.227, 0.320, 0.150, 0.256, 0.107},
        {0.127, 0.078, 0.095, 0.120, 0.057, 0.079, 0.015},     {0.063, 0.025, 0.032, 0.040, 0.000, 0.007, -0.020},
        {0.019, -0.013, -0.009, -0.005, -0.020, -0.020, -0.007}, {-0.015, -0.020, -0.020, -0.020, -0.005, 0.006, 0.007},
        {-0.020, -0.001, -0.003, -0.004, 0.013, 0.010, 0.029}, {0.000, 0.025, 0.020, 0.016, 0.037, 0.033, 0.050},
        {0.030, 0.056, 0.048, 0.042, 0.063, 0.056, 0.074},     {0.065, 0.090, 0.080, 0.071, 0.090, 0.082, 0.108},
        {0.117, 0.165, 0.136, 0.111, 0.150, 0.128, 0.161},     {0.205, 0.270, 0.215, 0.176, 0.222, 0.184, 0.228},
        {0.335, 0.413, 0.325, 0.270, 0.318, 0.270, 0.312},     {0.532, 0.600, 0.485, 0.386, 0.450, 0.366, 0.424},
        {0.747, 0.803, 0.662, 0.546, 0.600, 0.506, 0.556},     {0.906, 0.920, 0.849, 0.716, 0.762, 0.651, 0.695},
        {0.975, 0.978, 0.932, 0.877, 0.890, 0.803, 0.838},     {1.000, 1.000, 0.979, 0.941, 0.950, 0.901, 0.911},
        {0.931, 0.925, 1.000, 0.981, 0.982, 0.958, 0.964},     {0.849, 0.830, 0.918, 1.000, 1.000, 0.983, 0.984},
    };
    // The nearest column by sunrise and sunset hour (ties go to the earlier column).
    int best = 0;
    int best_distance = 1 << 20;
    for (int k = 0; k < 7; ++k) {
        const int dist = std::abs(keys[k][0] - sunrise_utc_h) + std::abs(keys[k][1] - sunset_utc_h);
        if (dist < best_distance) {
            best_distance = dist;
            best = k;
        }
    }
    const int row = ((utc_hour % 24) + 24) % 24;
    return table[row][best];
}

}  // namespace areatwin::indicators::heat
