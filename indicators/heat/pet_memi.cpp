// SPDX-License-Identifier: GPL-3.0-or-later
// PET with the Munich Energy-balance Model for Individuals (Hoeppe 1999, Int. J. Biometeorol. 43, 71-75),
// following the structure of the UMEP port (UMEP-processing PET_calculations.py, _PET) as restated in
// ../shared/reference/heat-method.md B.7.2. Equations are restated there in the notes' notation; the
// step numbers below are the notes' steps.
#include "heat/pet_memi.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace areatwin::indicators::heat {

namespace {

// Constants of B.7.2.
constexpr double kPressureHpa = 1013.25;  // p = p0, so (p/p0)^0.55 = 1
constexpr double kSkinEmissivity = 0.99;
constexpr double kClothingEmissivity = 0.95;
constexpr double kLatentHeat = 2.42e6;  // J/kg
constexpr double kSigma = 5.67e-8;
constexpr double kAirHeatCapacity = 1010.0;
constexpr double kEfficiency = 0.0;
constexpr double kRadiatingFraction = 0.725;
constexpr double kBloodDensity = 1.06;
constexpr double kBloodHeatCapacity = 3640.0;
constexpr double kSkinDiffusionResistance = 0.79e7;
constexpr double kClothingDiffusionResistance = 0.0;
constexpr double kTwoPi = 6.28;  // the port's 2 pi (B.7.2 step 4), kept for parity
constexpr double kKelvin = 273.2;  // the port's offset in the radiation terms
constexpr int kModeCap = 200;      // evaluations per mode in step 6 (B.7.2)
constexpr int kPetCap = 400;       // the port's PET search has no cap (porting hazards); four passes need far fewer

double pow4(double x) { return x * x * x * x; }

// Geometry and coefficients of the person in the actual wind (steps 2, 4 and 5).
struct Body {
    double internal_w = 0;  // H = M (1 - eta)
    double a_du = 0, f_acl = 0, a_cl = 0, a_eff = 0;
    double r_cl = 0, h_c = 0, h_e = 0, f_ec = 0, h_tcl = 0;
    double c2 = 0, c5 = 0, c6 = 0;
    bool male = true;
};

MemiBody body_of(const MemiPerson& p) {
    MemiBody b;
    const double h_index = 100.0 * p.height_m / std::cbrt(p.weight_kg);
    const double w075 = std::pow(p.weight_kg, 0.75);
    b.basal_w = p.male ? 3.45 * w075 * (1.0 + 0.004 * (30.0 - p.age_y) + 0.010 * (h_index - 43.4))
                       : 3.19 * w075 * (1.0 + 0.004 * (30.0 - p.age_y) + 0.018 * (h_index - 42.1));
    b.metabolism_w = b.basal_w + p.work_w;
    b.dubois_area_m2 = 0.203 * std::pow(p.weight_kg, 0.425) * std::pow(p.height_m, 0.725);
    const double i = p.clo;
    b.covered_fraction = std::min(1.0, (-2.36 + 173.51 * i - 100.76 * i * i + 19.28 * i * i * i) / 100.0);
    return b;
}

Body make_body(const MemiPerson& p, double v_ms) {
    const MemiBody mb = body_of(p);
    Body b;
    b.male = p.male;
    b.internal_w = mb.metabolism_w * (1.0 - kEfficiency);
    b.a_du = mb.dubois_area_m2;
    b.f_acl = mb.covered_fraction;
    const double i = p.clo;
    b.r_cl = (i / 6.45) / b.f_acl;
    double y = 1.0;
    if (i < 2.0) y = (p.height_m - 0.2) / p.height_m;
    if (i <= 0.6) y = 0.5;
    if (i <= 0.3) y = 0.1;
    const double f_cl = 1.0 + 0.15 * i;
    const double r2 = b.a_du * (f_cl - 1.0 + b.f_acl) / (kTwoPi * p.height_m * y);
    const double r1 = b.f_acl * b.a_du / (kTwoPi * p.height_m * y);
    const double d_i = r2 - r1;
    b.a_cl = b.a_du * b.f_acl + b.a_du * (f_cl - 1.0);
    b.h_c = 2.67 + 6.5 * std::pow(v_ms, 0.67);
    b.h_e = 0.633 * b.h_c / (kPressureHpa * kAirHeatCapacity);
    b.f_ec = 1.0 / (1.0 + 0.92 * b.h_c * b.r_cl);
    b.h_tcl = kTwoPi * p.height_m * y * d_i / (b.r_cl * std::log(r2 / r1) * b.a_cl);
    b.a_eff = b.a_du * kRadiatingFraction;
    b.c2 = b.a_du * kBloodDensity * kBloodHeatCapacity;
    b.c5 = 0.0208 * b.c2;
    b.c6 = 0.76075 * b.c2;
    return b;
}

double magnus_skin_hpa(double t_c) { return 6.11 * std::pow(10.0, 7.45 * t_c / (235.0 + t_c)); }

// Respiration losses (step 3) at air temperature ta and vapour pressure vp (hPa).
double respiration_w(double metabolism_w, double ta_c, double vp_hpa) {
    const double r_tv = 1.44e-6 * metabolism_w;
    const double t_ex = 0.47 * ta_c + 21.0;
    const double sensible = kAirHeatCapacity * (ta_c - t_ex) * r_tv;
    const double latent = 0.623 * kLatentHeat / kPressureHpa * (vp_hpa - magnus_skin_hpa(t_ex)) * r_tv;
    return sensible + latent;
}

// The four-pass sign-change search of B.7.2 (steps 1, 0.1, 0.01, 0.001): x moves by +step when
// balance(x) > 0 and -step when < 0 (times `direction`), each pass ends when the sign flips. Returns
// false at the cap; an exact zero ends the search.
template <typename Balance>
bool four_pass_search(double& x, double direction, int cap, int& evaluations, Balance balance) {
    constexpr double steps[4] = {1.0, 0.1, 0.01, 0.001};
    for (double step : steps) {
        double previous = 0.0;
        for (;;) {
            if (evaluations >= cap) return false;
            ++evaluations;
            const double e = balance(x);
            if (e == 0.0) return true;
            x += (e > 0.0 ? step : -step) * direction;
            if ((e < 0.0 && previous > 0.0) || (e > 0.0 && previous < 0.0)) break;
            previous = e;
        }
    }
    return true;
}

}  // namespace

MemiBody memi_body(const MemiPerson& person) { return body_of(person); }

std::optional<MemiResult> pet_memi(double ta_c, double rh_pct, double tmrt_c, double v_ms, const MemiPerson& person) {
    if (!(v_ms > 0.0) || !std::isfinite(ta_c) || !std::isfinite(tmrt_c) || !std::isfinite(rh_pct)) return std::nullopt;
    const Body b = make_body(person, v_ms);
    const double metabolism = body_of(person).metabolism_w;
    // Step 1: vapour pressure with the port's Magnus form (238.0; heat-method.md B.4.1 notes the three forms).
    const double vp_a = rh_pct * 6.107 * std::pow(10.0, 7.5 * ta_c / (238.0 + ta_c)) / 100.0;
    const double e_re = respiration_w(metabolism, ta_c, vp_a);
    const double c1 = b.internal_w + e_re;
    const double tmrt4 = pow4(tmrt_c + kKelvin);

    // Step 6: state of the body per thermoregulation mode. The core candidates persist across
    // evaluations as in the port (a candidate whose discriminant is negative keeps its last value).
    std::array<double, 7> t_core{};
    MemiResult res;
    double t_sk = 34.0, t_cl = 0.0, w_sk = 0.0, e_sw = 0.0, c9 = 0.0, c11 = 0.0, v_b = 0.0;
    bool found = false;
    for (int mode = 1; mode <= 6 && !found; ++mode) {
        t_sk = 34.0;
        t_cl = (ta_c + tmrt_c + t_sk) / 3.0;
        int evaluations = 0;
        const bool converged = four_pass_search(t_cl, 1.0, kModeCap, evaluations, [&](double tcl) {
            const double r_clo2 = kClothingEmissivity * kSigma * (pow4(tcl + kKelvin) - tmrt4) * kRadiatingFraction;
            t_sk = tcl + (b.h_c * (tcl - ta_c) + r_clo2) / b.h_tcl;
            const double r_bare = b.a_eff * (1.0 - b.f_acl) * kSkinEmissivity * kSigma * (tmrt4 - pow4(t_sk + kKelvin));
            const double r_clo = kRadiatingFraction * b.a_cl * kClothingEmissivity * kSigma * (tmrt4 - pow4(tcl + kKelvin));
            const double c = b.h_c * (ta_c - t_sk) * b.a_du * (1.0 - b.f_acl) + b.h_c * (ta_c - tcl) * b.a_cl;
            if (t_sk == 36.0) t_sk = 36.01;
            const double c3 = 18.0 - 0.5 * t_sk;
            const double c4 = 5.28 * b.a_du * c3;
            const double c7 = c4 - b.c6 - t_sk * b.c5;
            const double c8 = -c1 * c3 - t_sk * c4 + t_sk * b.c6;
            c9 = c7 * c7 - 4.0 * b.c5 * c8;
            const double c10 = 5.28 * b.a_du - b.c6 - b.c5 * t_sk;
            c11 = c10 * c10 - 4.0 * b.c5 * (b.c6 * t_sk - c1 - 5.28 * b.a_du * t_sk);
            t_core[3] = c1 / (5.28 * b.a_du + (b.c2 * 6.3 / 3600.0) / (1.0 + 0.5 * (34.0 - t_sk))) + t_sk;
            t_core[4] = c1 / (5.28 * b.a_du + b.c2 / 40.0) + t_sk;
            if (c11 >= 0.0) {
                t_core[6] = (-c10 - std::sqrt(c11)) / (2.0 * b.c5);
                t_core[1] = (-c10 + std::sqrt(c11)) / (2.0 * b.c5);
            }
            if (c9 >= 0.0) {
                t_core[2] = (-c7 + std::sqrt(std::abs(c9))) / (2.0 * b.c5);
                t_core[5] = (-c7 - std::sqrt(std::abs(c9))) / (2.0 * b.c5);
            }
            const double tc = t_core[static_cast<std::size_t>(mode)];
            const double t_body = 0.1 * t_sk + 0.9 * tc;
            double sweat = t_body > 36.6 ? 304.94 * (t_body - 36.6) * b.a_du / 3.6e6 : 0.0;
            if (!b.male) sweat *= 0.7;
            const double e_sw_phy = -sweat * kLatentHeat;
            const double vp_ts = magnus_skin_hpa(t_sk);
            const double e_sw_pot = b.h_e * (vp_a - vp_ts) * b.a_du * kLatentHeat * b.f_ec;
            w_sk = std::min(e_sw_phy / e_sw_pot, 1.0);
            e_sw = e_sw_phy <= e_sw_pot ? e_sw_pot : e_sw_phy;
            e_sw = std::min(e_sw, 0.0);
            const double e_d = kLatentHeat / (kSkinDiffusionResistance + kClothingDiffusionResistance) * b.a_du * (1.0 - w_sk) *
                               (vp_a - vp_ts);
            v_b = (6.3 + 75.0 * std::max(tc - 36.6, 0.0)) / (1.0 + 0.5 * std::max(34.0 - t_sk, 0.0));
            return b.internal_w + e_d + e_re + e_sw + c + r_bare + r_clo;
        });
        res.evaluations += evaluations;
        if (!converged) continue;
        const double tc = t_core[static_cast<std::size_t>(mode)];
        bool accepted = false;
        switch (mode) {
            case 2:
            case 5: accepted = c9 >= 0.0 && tc >= 36.6 && t_sk <= 34.05; break;
            case 1:
            case 6: accepted = c11 > 0.0 && tc >= 36.6 && t_sk > 33.85; break;
            case 3: accepted = tc < 36.6 && t_sk <= 34.0; break;
            case 4: accepted = !(v_b < 89.0); break;
            default: break;
        }
        if (mode != 4 && v_b >= 91.0) accepted = false;
        if (accepted) {
            found = true;
            res.mode = mode;
            res.core_c = tc;
        }
    }
    if (!found) return std::nullopt;
    res.skin_c = t_sk;
    res.clothing_c = t_cl;

    // Step 7: the reference room (Tmrt = t_x, v = 0.1 m/s, 12 hPa) that gives the same body state.
    const double h_c_room = 2.67 + 6.5 * std::pow(0.1, 0.67);
    const double vp_room = 12.0;
    const double vp_ts = magnus_skin_hpa(t_sk);
    const double e_d_room = kLatentHeat / (kSkinDiffusionResistance + kClothingDiffusionResistance) * b.a_du * (1.0 - w_sk) *
                            (vp_room - vp_ts);
    double t_x = ta_c;
    int evaluations = 0;
    const bool converged = four_pass_search(t_x, -1.0, kPetCap, evaluations, [&](double tx) {
        const double tx4 = pow4(tx + kKelvin);
        const double r_bare = b.a_eff * (1.0 - b.f_acl) * kSkinEmissivity * kSigma * (tx4 - pow4(t_sk + kKelvin));
        const double r_clo = kRadiatingFraction * b.a_cl * kClothingEmissivity * kSigma * (tx4 - pow4(t_cl + kKelvin));
        const double c = h_c_room * (tx - t_sk) * b.a_du * (1.0 - b.f_acl) + h_c_room * (tx - t_cl) * b.a_cl;
        return b.internal_w + e_d_room + respiration_w(metabolism, tx, vp_room) + e_sw + c + r_bare + r_clo;
    });
    res.evaluations += evaluations;
    if (!converged) return std::nullopt;
    res.pet_c = t_x;
    return res;
}

}  // namespace areatwin::indicators::heat
