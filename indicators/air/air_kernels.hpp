// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include "areatwin/engine/grid.hpp"

// Point formulas and dispersion kernels of air.traffic. Section numbers refer to
// ../shared/reference/air-method.md.
namespace areatwin::indicators::air {

// ---- Dispersion parameters (section 7) ----

enum class SigmaScheme { BriggsRural, BriggsUrban, PasquillGifford };
std::optional<SigmaScheme> parse_sigma_scheme(std::string_view name);  // briggs_rural, briggs_urban, pasquill_gifford

// Pasquill stability class A..F as 0..5.
std::optional<int> parse_stability(std::string_view name);
char stability_letter(int stability);

struct Sigmas {
    double y_m = 0.0;
    double z_m = 0.0;
};
// Lateral and vertical spread at downwind distance x_m > 0 (section 7.1 Briggs open country, 7.2 Briggs
// urban, 7.3 ISC3 Pasquill-Gifford fits with the 5000 m cap on sigma_z).
Sigmas sigma(SigmaScheme scheme, int stability, double x_m);

// ---- Gaussian plume (section 8, reflecting ground) ----

// The line-source kernel of roads that are not SRM1 streets: R-LINE v1.2 (section 6, the default) or the
// Gaussian screening model with the stability-class sigmas of section 7.
enum class Dispersion { Rline, Gaussian };
std::optional<Dispersion> parse_dispersion(std::string_view name);  // rline, gaussian

struct PlumeSetup {
    Dispersion dispersion = Dispersion::Gaussian;
    bool meander = true;         // R-LINE only: the meander (radial spread) share of section 6.3
    SigmaScheme scheme = SigmaScheme::BriggsRural;
    double source_height_m = 0.0;
    double receptor_height_m = 1.5;
    double sigma_y0_m = 0.0;     // initial spread, added in quadrature
    double sigma_z0_m = 0.0;
    double min_downwind_m = 1.0; // x_d,min of R-LINE (section 6.2): sigmas are evaluated at x >= 1 m
};

// One meteorological condition with its weight in the annual mean (frequency, 0..1). The Gaussian model
// reads the stability class; R-LINE reads the surface-layer description (sections 6.1, 6.5).
struct MetCondition {
    double direction_from_deg = 270.0;  // where the wind comes from, clockwise from grid north
    double speed_m_s = 5.0;             // at reference_height_m
    int stability = 3;                  // D
    double weight = 1.0;
    double obukhov_length_m = std::numeric_limits<double>::infinity();  // L; infinite = neutral
    double friction_velocity_m_s = 0.0;  // u*; 0 = derived from speed_m_s through the profile
    double roughness_m = 0.3;            // z0 (default: the Rbl 2007 Bijlage 4 motorway case, section 10)
    double reference_height_m = 10.0;    // height of speed_m_s
    double convective_velocity_m_s = 0.0;  // w* (for sigma_v), 0 when not known
    double mixing_height_m = 0.0;        // z_i for the sigma_z cap; 0 = no cap
};

// ---- R-LINE surface layer and plume (sections 6.3-6.5) ----

inline constexpr double kVonKarman = 0.4;
// Monin-Obukhov stability function psi(zeta) of the wind profile (section 6.5, AERMOD most_wind):
// stable -17 (1 - exp(-0.29 zeta)), unstable the Paulson form; 0 for neutral.
double psi_momentum(double zeta);

// The surface layer of one condition: u* (given, or derived from the wind at the reference height through
// the Monin-Obukhov profile with displacement 5 z0), sigma_v and the profile scaled to the measured wind.
struct SurfaceLayer {
    double u_star_m_s = 0.0;
    double obukhov_length_m = std::numeric_limits<double>::infinity();
    double roughness_m = 0.3;
    double displacement_m = 1.5;  // 5 z0
    double sigma_v_m_s = 0.2;
    double profile_scale = 1.0;   // U_ref / U_MOST(z_ref) when u* is given with the wind, else 1
    double min_wind_m_s = 0.2828;
    double mixing_height_m = 0.0;
    // Wind speed at height z (m above ground), at least min_wind_m_s.
    [[nodiscard]] double wind_at(double z_m) const;
};
SurfaceLayer surface_layer(const MetCondition& met);

// Spread and effective wind of the direct plume at downwind distance x_m (R-LINE v1.2 Sigmaz/Sigmay with
// the effective-wind iteration of section 6.5).
struct RlinePlume {
    double sigma_y_m = 0.0;
    double sigma_z_m = 0.0;
    double u_eff_m_s = 0.0;
};
// sigma_z and sigma_y of section 6.4 (v1.2 set) for the wind speed u (m/s) at distance x_m (>= 1 m).
Sigmas rline_sigmas(const SurfaceLayer& sl, double u_m_s, double x_m, double sigma_y0_m, double sigma_z0_m);
RlinePlume rline_plume(const SurfaceLayer& sl, const PlumeSetup& setup, double x_m);
// Meander share f_ran of section 6.3 at source-receptor distance r_m for the effective wind u_eff.
double rline_meander_fraction(const SurfaceLayer& sl, double u_eff_m_s, double r_m);
// Direct plume and meander parts of the R-LINE point kernel (s/m3) at the receptor offset from the source
// with the wind blowing towards +x: C = (1 - f_ran) direct + f_ran meander (section 6.3).
struct RlinePoint {
    double direct = 0.0;
    double meander = 0.0;
    double meander_fraction = 0.0;
    [[nodiscard]] double total() const { return (1.0 - meander_fraction) * direct + meander_fraction * meander; }
};
RlinePoint rline_point(const SurfaceLayer& sl, const PlumeSetup& setup, double x_d, double y_d);

// Concentration per unit point emission, in s/m3 (multiply by Q in g/s and 1e6 for ug/m3) at the
// receptor offset (dx_m east, dy_m north) from the source. Gaussian: zero upwind (no meander); R-LINE:
// direct plume plus meander.
double point_kernel(const PlumeSetup& setup, const MetCondition& met, double dx_m, double dy_m);

// Closed forms with the wind perpendicular to a straight line source (section 8), in ug/m3 for q in
// g/m/s: infinite line at downwind distance x_m; finite line of length_m with the receptor at crosswind
// offset_m from the line's centre.
double infinite_line_perpendicular_ug_m3(const PlumeSetup& setup, int stability, double q_g_per_m_s,
                                         double speed_m_s, double x_m);
double finite_line_perpendicular_ug_m3(const PlumeSetup& setup, int stability, double q_g_per_m_s,
                                       double speed_m_s, double x_m, double offset_m, double length_m);

// ---- Line integration ----

// Receptors closer than this to a segment's axis are moved out to it (as R-LINE's x_d,min, section 6.2),
// so that a receptor on the road centre line gets a finite value.
inline constexpr double kMinLineDistanceM = 1.0;

// Integral along segment a-b of f(source -> receptor offset) ds, by the substitution s = d tan(alpha)
// (d the distance of the receptor to the segment's line): the integrand becomes r^2 K / d, smooth for
// kernels K that fall as 1/r^2. Midpoint rule with steps of at most step_deg. G(r, dx, dy) must return
// r^2 K at offset (dx, dy) of length r.
template <class G>
double integrate_segment_by_angle(Point2 a, Point2 b, Point2 receptor, double step_deg, const G& g);

// Plain reference: annual-mean increment in ug/m3 of a segment with emission q (g/m/s), summing the
// point kernel over every condition directly (weights as given), angular steps of step_deg; source points
// farther than max_distance_m from the receptor are left out.
double line_increment_reference_ug_m3(const PlumeSetup& setup, const std::vector<MetCondition>& met, Point2 a,
                                      Point2 b, Point2 receptor, double q_g_per_m_s, double step_deg = 0.25,
                                      double max_distance_m = std::numeric_limits<double>::infinity());

// Directions are resolved to this angular bin; a condition between two bin centres is split linearly
// between them, and a sector of a joint-frequency table is spread uniformly over its bins.
inline constexpr double kDirectionBinDeg = 0.5;

// A joint-frequency row: direction sector (centre, width; width 0 = one direction), speed class,
// stability class, frequency.
struct FrequencyRow {
    double direction_from_deg = 0.0;
    double sector_width_deg = 0.0;
    double speed_m_s = 5.0;
    int stability = 3;
    double frequency = 1.0;
    // R-LINE surface layer, as in MetCondition.
    double obukhov_length_m = std::numeric_limits<double>::infinity();
    double friction_velocity_m_s = 0.0;
    double roughness_m = 0.3;
    double reference_height_m = 10.0;
    double convective_velocity_m_s = 0.0;
    double mixing_height_m = 0.0;
};
// The condition of a row (its direction, speed, stability and surface layer; weight 1), and the row of one
// condition (frequency 1, no sector width).
MetCondition met_condition_of(const FrequencyRow& row);
FrequencyRow frequency_row_of(const MetCondition& met);

// The conditions the model uses: each row spread over its direction bins, same speed and stability.
std::vector<MetCondition> expand_to_direction_bins(const std::vector<FrequencyRow>& rows);

// The climatology kernel: r^2 x (frequency-weighted sum of point kernels) tabulated on a polar grid
// (log-spaced r from kMinLineDistanceM to max_distance_m, direction bins of kDirectionBinDeg), built once
// per model run. Because the Gaussian kernel depends on the wind speed only through 1/u, each stability
// class is one plume table convolved (in direction) with that class's sum of frequency/u.
// R-LINE's plume shape depends on the speed and the surface layer, so there each distinct condition
// (all but direction and weight) is one plume table; its meander part is isotropic and is added without
// the convolution.
class ClimateKernel {
public:
    ClimateKernel(const PlumeSetup& setup, const std::vector<MetCondition>& met, double max_distance_m);
    // r^2 K at offset (dx, dy), bilinear in (ln r, direction); 0 beyond max_distance_m.
    [[nodiscard]] double r2_kernel(double r, double dx, double dy) const;
    // The same from ln r and the offset direction in degrees (counter-clockwise from east, any turn).
    [[nodiscard]] double r2_kernel_polar(double ln_r, double phi_deg) const;
    [[nodiscard]] double max_distance_m() const { return max_r_; }
    [[nodiscard]] std::size_t table_bytes() const { return table_.size() * sizeof(double); }
    [[nodiscard]] std::size_t plume_count() const { return plumes_; }

private:
    double min_r_ = kMinLineDistanceM;
    double ln_min_r_ = 0.0;
    double ln_max_r_ = 0.0;
    double max_r_ = 0.0;
    double log_step_ = 0.0;
    std::size_t n_r_ = 0;
    std::size_t n_dir_ = 0;
    std::size_t plumes_ = 0;
    std::vector<double> table_;  // [ir * n_dir_ + idir], direction = math angle of the offset
};

// Optimised: the same increment from the climatology kernel with angular steps of step_deg; the part of
// the segment beyond the kernel's max distance contributes nothing (the cut-off). Segments farther than
// kFarSegmentRatio times their length (midpoint distance) count as a point source at their midpoint.
inline constexpr double kFarSegmentRatio = 10.0;
double line_increment_fast_ug_m3(const ClimateKernel& kernel, Point2 a, Point2 b, Point2 receptor,
                                 double q_g_per_m_s, double step_deg = 1.0);

// Shortest distance from p to segment a-b.
double distance_to_segment_m(Point2 a, Point2 b, Point2 p);

// ---- SRM1 (section 2) ----

// Dilution factor theta(x) of street type 1..4 at distance x_m from the road axis (section 2.3);
// nullopt beyond the type's x_max (30 or 60 m). Distances below min_distance_m are raised to it.
std::optional<double> srm1_theta(int street_type, double x_m, double min_distance_m = 3.5);
inline constexpr double kSrm1Fk = 0.62;  // calibration factor, section 2.2
// C = Fk E theta Fb (5 / u_regional), E in ug/m/s (section 2.2).
double srm1_increment_ug_m3(double emission_ug_per_m_s, double theta, double tree_factor,
                            double regional_wind_m_s);
double srm1_max_distance_m(int street_type);

// ---- NO2 from NOx (section 3.1) ----

inline constexpr double kNo2OzoneB = 0.6;
inline constexpr double kNo2OzoneK_ug_m3 = 100.0;
struct No2Conversion {
    double direct_ug_m3 = 0.0;         // f NOx
    double ozone_limited_ug_m3 = 0.0;  // B O3 (1 - f) NOx / ((1 - f) NOx + K)
    double increment_ug_m3 = 0.0;
};
No2Conversion no2_from_nox(double nox_increment_ug_m3, double o3_background_ug_m3, double direct_no2_fraction);

// ---- template definition ----

template <class G>
double integrate_segment_by_angle(Point2 a, Point2 b, Point2 receptor, double step_deg, const G& g) {
    const double ex = b.x - a.x;
    const double ey = b.y - a.y;
    const double length = std::hypot(ex, ey);
    if (length <= 0.0) return 0.0;
    const double tx = ex / length;
    const double ty = ey / length;
    // Coordinates along the line (s) and across it (d), from the receptor's foot point.
    const double rx = receptor.x - a.x;
    const double ry = receptor.y - a.y;
    const double s_foot = rx * tx + ry * ty;
    double d = rx * ty - ry * tx;  // signed: positive right of a->b
    const double side = d < 0.0 ? -1.0 : 1.0;
    d = std::max(std::abs(d), kMinLineDistanceM);
    const double s_a = -s_foot;          // a relative to the foot point
    const double s_b = length - s_foot;  // b relative to the foot point
    const double alpha_a = std::atan(s_a / d);
    const double alpha_b = std::atan(s_b / d);
    const double span = alpha_b - alpha_a;
    const double step = step_deg * M_PI / 180.0;
    const auto n = static_cast<int>(std::max(1.0, std::ceil(span / step)));
    const double h = span / n;
    double sum = 0.0;
    for (int i = 0; i < n; ++i) {
        const double alpha = alpha_a + (i + 0.5) * h;
        const double s = d * std::tan(alpha);
        // Offset from the source point to the receptor (which sits at distance d on its side).
        const double dx = -s * tx + side * d * ty;
        const double dy = -s * ty - side * d * tx;
        const double r = d / std::cos(alpha);
        sum += g(r, dx, dy);
    }
    return sum * h / d;
}

}  // namespace areatwin::indicators::air
