// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <optional>
#include <string>

namespace areatwin::indicators::heat {

inline constexpr double kStefanBoltzmann = 5.67e-8;  // W m-2 K-4, as in the DPRA regression (A.4)

// --- UTCI (Broede et al. 2012 operational polynomial; heat-method.md B.6) ---

// Saturation vapour pressure over water in hPa, Hardy (1998) ITS-90 as in UTCI_a002: ln of the
// absolute temperature, never ln(1 + T) (pythermalcomfort #372).
double utci_saturation_vapour_pressure_hpa(double ta_c);

struct UtciResult {
    std::optional<double> utci_c;  // nullopt outside the validity domain
    std::string out_of_domain;     // which input left the domain, empty when inside
};
// va10_ms is the wind at 10 m. Domain: ta -50..50 degC, tmrt - ta -30..70 K, va10 0.5..17 m/s,
// vapour pressure <= 50 hPa (pythermalcomfort #410).
UtciResult utci(double ta_c, double tmrt_c, double va10_ms, double rh_pct);
// The plain term-by-term sum of the 210 monomials (test oracle of the nested evaluation).
double utci_polynomial_reference(double ta_c, double va10_ms, double dtmrt_k, double pa_kpa);
double utci_polynomial(double ta_c, double va10_ms, double dtmrt_k, double pa_kpa);

// Stress category, upper-inclusive bins (a, b] as pythermalcomfort: 26.0 is "no thermal stress".
std::string utci_category(double utci_c);
int utci_class(double utci_c);  // 1 extreme cold stress .. 10 extreme heat stress

// --- Tier A: the Dutch PET regression (Koopmans et al. 2020 as transcribed in heat-method.md A.4-A.10) ---

// Stull (2011) wet-bulb temperature (A.6); RH in percent. Stull's stated domain: RH 5-99 %,
// Ta -20..50 degC; outside it nullopt.
std::optional<double> wetbulb_stull_c(double ta_c, double rh_pct);

// Diffuse radiation from global radiation by the plugin's clearness rule (A.7); elevation in degrees,
// sin taken in radians (the plugin's degree bug is not reproduced). Zero when the sun is down.
double diffuse_dpra_wm2(double global_wm2, double sun_elevation_deg);

// Pedestrian (1.2 m) wind from the 10 m station wind and the reduction factor w (A.10), floored at 0.5 m/s.
double pedestrian_wind_ms(double w, double wind10_ms);

struct DpraInputs {
    double ta_c;           // local air temperature (station + UHI term)
    double tw_c;           // Stull wet-bulb temperature
    double u_ms;           // pedestrian wind, already floored at 0.5 m/s
    double svf;            // 0..1
    double global_wm2;     // Q
    double diffuse_wm2;    // Q_dif
    double sun_elevation_deg;
    double bowen;          // B
};
double pet_dpra_shade_c(const DpraInputs& in);
double pet_dpra_sun_c(const DpraInputs& in);

// PET classes of heat-method.md A.13, lower-inclusive bins [a, b): 1 (< 4 degC) .. 9 (>= 41 degC).
int pet_class(double pet_c);
const char* pet_class_label_nl(int pet_class);
const char* pet_class_label_en(int pet_class);

// Theeuwes et al. (2017) maximum urban heat island (A.9), generalised form with exponent 1/lambda
// (lambda = 4 in the paper). S in K m/s.
double uhi_max_k(double svf, double f_veg, double s_kms, double dtr_k, double u_ms, double lambda = 4.0);
// S = mean daily global radiation / (rho c_p), rho from pressure and temperature, c_p = 1007 (Tygron).
double uhi_s_kms(double mean_global_wm2, double pressure_hpa, double temperature_c);

// The wind reduction factor w of A.10 steps 7-9 from the frontal area index lambda (already capped)
// and the combined obstacle height H (m, at least 4 m).
double wind_reduction_macdonald(double lambda_f, double height_m);

// The diurnal UHI factor table of A.5 (mariekeve/pet_plugin uhi_table.py): 24 rows (UTC hour
// intervals [i, i+1)) by 7 columns keyed by rounded sunrise/sunset hour (UTC).
double uhi_diurnal_factor(int sunrise_utc_h, int sunset_utc_h, int utc_hour);

}  // namespace areatwin::indicators::heat
