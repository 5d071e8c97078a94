// SPDX-License-Identifier: GPL-3.0-or-later
// Section numbers refer to ../shared/reference/air-method.md.
#include "air/air_kernels.hpp"

#include <array>

#include <map>

#include <fmt/format.h>

#include "areatwin/engine/errors.hpp"

namespace areatwin::indicators::air {

namespace {

constexpr double kSqrt2Pi = 2.5066282746310002;
constexpr double kDegToRad = M_PI / 180.0;

// Section 7.1, Briggs (1973) open country: sigma_y = a x (1 + b x)^-1/2 for every class; sigma_z by class.
Sigmas briggs_rural(int s, double x) {
    static constexpr std::array<double, 6> ay{0.22, 0.16, 0.11, 0.08, 0.06, 0.04};
    Sigmas out;
    out.y_m = ay[static_cast<std::size_t>(s)] * x / std::sqrt(1.0 + 0.0001 * x);
    switch (s) {
        case 0: out.z_m = 0.20 * x; break;
        case 1: out.z_m = 0.12 * x; break;
        case 2: out.z_m = 0.08 * x / std::sqrt(1.0 + 0.0002 * x); break;
        case 3: out.z_m = 0.06 * x / std::sqrt(1.0 + 0.0015 * x); break;
        case 4: out.z_m = 0.03 * x / (1.0 + 0.0003 * x); break;
        default: out.z_m = 0.016 * x / (1.0 + 0.0003 * x); break;
    }
    return out;
}

// Section 7.2, Briggs urban (note the 0.0015 of classes E-F, which some copies get wrong).
Sigmas briggs_urban(int s, double x) {
    static constexpr std::array<double, 6> ay{0.32, 0.32, 0.22, 0.16, 0.11, 0.11};
    Sigmas out;
    out.y_m = ay[static_cast<std::size_t>(s)] * x / std::sqrt(1.0 + 0.0004 * x);
    switch (s) {
        case 0:
        case 1: out.z_m = 0.24 * x * std::sqrt(1.0 + 0.001 * x); break;
        case 2: out.z_m = 0.20 * x; break;
        case 3: out.z_m = 0.14 * x / std::sqrt(1.0 + 0.0003 * x); break;
        default: out.z_m = 0.08 * x / std::sqrt(1.0 + 0.0015 * x); break;
    }
    return out;
}

// Section 7.3, ISC3 rural fits (EPA-454/B-95-003b): right-closed distance bins in km.
struct PgBin {
    double x_km_max;
    double a;
    double b;
};
Sigmas pasquill_gifford(int s, double x) {
    static constexpr std::array<double, 6> tc{24.1670, 18.3330, 12.5000, 8.3330, 6.2500, 4.1667};
    static constexpr std::array<double, 6> td{2.5334, 1.8096, 1.0857, 0.72382, 0.54287, 0.36191};
    static const std::array<std::vector<PgBin>, 6> bins{{
        {{0.10, 122.800, 0.94470}, {0.15, 158.080, 1.05420}, {0.20, 170.220, 1.09320}, {0.25, 179.520, 1.12620},
         {0.30, 217.410, 1.26440}, {0.40, 258.890, 1.40940}, {0.50, 346.750, 1.72830}, {1e300, 453.850, 2.11660}},
        {{0.20, 90.673, 0.93198}, {0.40, 98.483, 0.98332}, {1e300, 109.300, 1.09710}},
        {{1e300, 61.141, 0.91465}},
        {{0.30, 34.459, 0.86974}, {1.00, 32.093, 0.81066}, {3.00, 32.093, 0.64403}, {10.00, 33.504, 0.60486},
         {30.00, 36.650, 0.56589}, {1e300, 44.053, 0.51179}},
        {{0.10, 24.260, 0.83660}, {0.30, 23.331, 0.81956}, {1.00, 21.628, 0.75660}, {2.00, 21.628, 0.63077},
         {4.00, 22.534, 0.57154}, {10.00, 24.703, 0.50527}, {20.00, 26.970, 0.46713}, {40.00, 35.420, 0.37615},
         {1e300, 47.618, 0.29592}},
        {{0.20, 15.209, 0.81558}, {0.70, 14.457, 0.78407}, {1.00, 13.953, 0.68465}, {2.00, 13.953, 0.63227},
         {3.00, 14.823, 0.54503}, {7.00, 16.187, 0.46490}, {15.00, 17.836, 0.41507}, {30.00, 22.651, 0.32681},
         {60.00, 27.074, 0.27436}, {1e300, 34.219, 0.21716}},
    }};
    const auto k = static_cast<std::size_t>(s);
    const double x_km = x / 1000.0;
    Sigmas out;
    const double theta = 0.017453293 * (tc[k] - td[k] * std::log(x_km));
    out.y_m = 465.11628 * x_km * std::tan(theta);
    for (const auto& bin : bins[k]) {
        if (x_km <= bin.x_km_max) {
            out.z_m = bin.a * std::pow(x_km, bin.b);
            break;
        }
    }
    if (s <= 2) out.z_m = std::min(out.z_m, 5000.0);
    return out;
}

double wrap_deg(double a) {
    a = std::fmod(a, 360.0);
    return a < 0.0 ? a + 360.0 : a;
}

}  // namespace

std::optional<Dispersion> parse_dispersion(std::string_view name) {
    if (name == "rline") return Dispersion::Rline;
    if (name == "gaussian") return Dispersion::Gaussian;
    return std::nullopt;
}

double psi_momentum(double zeta) {
    if (zeta == 0.0 || !std::isfinite(zeta)) return 0.0;
    if (zeta > 0.0) return -17.0 * (1.0 - std::exp(-0.29 * zeta));
    const double x = std::pow(1.0 - 16.0 * zeta, 0.25);
    return 2.0 * std::log((1.0 + x) / 2.0) + std::log((1.0 + x * x) / 2.0) - 2.0 * std::atan(x) + M_PI / 2.0;
}

namespace {
// ln((z - d)/z0) - psi((z - d)/L) + psi(z0/L): the Monin-Obukhov profile without u*/kappa (section 6.5).
double profile_shape(double z, double z0, double d, double L) {
    const double zz = std::max(z, z0 + d);
    return std::log((zz - d) / z0) - psi_momentum((zz - d) / L) + psi_momentum(z0 / L);
}
}  // namespace

double SurfaceLayer::wind_at(double z_m) const {
    const double u = profile_scale * u_star_m_s / kVonKarman *
                     profile_shape(z_m, roughness_m, displacement_m, obukhov_length_m);
    return std::max(u, min_wind_m_s);
}

SurfaceLayer surface_layer(const MetCondition& met) {
    SurfaceLayer sl;
    if (!(met.roughness_m > 0.0)) throw DataError(fmt::format("air.traffic: roughness length {} m must be positive", met.roughness_m));
    if (std::isfinite(met.obukhov_length_m) && std::abs(met.obukhov_length_m) < 1.0) {
        throw DataError(fmt::format("air.traffic: Obukhov length {} m: |L| must be at least 1 m (infinite = neutral)",
                                    met.obukhov_length_m));
    }
    sl.roughness_m = met.roughness_m;
    sl.displacement_m = 5.0 * met.roughness_m;  // FAC_DISPHT = 5 (section 6.5)
    sl.obukhov_length_m = met.obukhov_length_m;
    sl.mixing_height_m = met.mixing_height_m;
    if (!(met.reference_height_m > sl.roughness_m + sl.displacement_m)) {
        throw DataError(fmt::format("air.traffic: the wind reference height {} m must exceed z0 + displacement = "
                                    "6 z0 = {} m",
                                    met.reference_height_m, sl.roughness_m + sl.displacement_m));
    }
    const double shape = profile_shape(met.reference_height_m, sl.roughness_m, sl.displacement_m, sl.obukhov_length_m);
    if (!(shape > 0.0)) throw DataError("air.traffic: the Monin-Obukhov profile gives no wind at the reference height");
    if (met.friction_velocity_m_s > 0.0) {
        sl.u_star_m_s = met.friction_velocity_m_s;
        const double u_most = sl.u_star_m_s / kVonKarman * shape;
        if (met.speed_m_s > 0.0) sl.profile_scale = met.speed_m_s / u_most;
    } else {
        if (!(met.speed_m_s > 0.0)) throw DataError("air.traffic: R-LINE needs a wind speed or a friction velocity");
        sl.u_star_m_s = kVonKarman * met.speed_m_s / shape;
    }
    // sigma_v of the pre-2023 R-LINE met processing, at least 0.2 m/s (section 6.5).
    const double w = 0.6 * met.convective_velocity_m_s;
    const double v = 1.9 * sl.u_star_m_s;
    sl.sigma_v_m_s = std::max(std::sqrt(w * w + v * v), 0.2);
    sl.min_wind_m_s = std::max({4.47 * sl.u_star_m_s, std::sqrt(2.0) * sl.sigma_v_m_s, 0.2828});
    return sl;
}

Sigmas rline_sigmas(const SurfaceLayer& sl, double u_m_s, double x_m, double sigma_y0_m, double sigma_z0_m) {
    // R-LINE v1.2 Sigmaz.f90 / Sigmay.f90 (section 6.4); no depression, no barrier.
    const double x = std::max(x_m, 1.0);
    const double ratio = sl.u_star_m_s / u_m_s;
    const double L = sl.obukhov_length_m;
    const bool stable = L > 0.0;  // neutral (infinite L) takes the stable branch, where x/L = 0
    double szt = 0.0;
    if (stable) {
        szt = 0.57 * ratio * x / (1.0 + 3.0 * ratio * std::pow(x / L, 2.0 / 3.0));
    } else {
        szt = 0.57 * ratio * x * (1.0 + 1.5 * ratio * x / std::abs(L));
    }
    double sz = std::sqrt(szt * szt + sigma_z0_m * sigma_z0_m);
    if (sl.mixing_height_m > 0.0) sz = std::min(sz, std::sqrt(2.0 / M_PI) * sl.mixing_height_m);
    const double szp = std::sqrt(std::max(0.0, sz * sz - sigma_z0_m * sigma_z0_m));
    const double base = 1.6 * (sl.sigma_v_m_s / sl.u_star_m_s) * szp;
    const double sy = stable ? base * (1.0 + 2.5 * szp / L) : base / std::sqrt(1.0 + szp / std::abs(L));
    return {std::sqrt(sy * sy + sigma_y0_m * sigma_y0_m), sz};
}

RlinePlume rline_plume(const SurfaceLayer& sl, const PlumeSetup& setup, double x_m) {
    // Effective wind (section 6.5): the wind at the plume's mean height, iterated with sigma_z until
    // sigma_z changes by less than 1 %, at most 20 times.
    const double h = setup.source_height_m;
    double u = sl.wind_at(h);
    Sigmas s = rline_sigmas(sl, u, x_m, setup.sigma_y0_m, setup.sigma_z0_m);
    for (int i = 0; i < 20; ++i) {
        const double zbar = std::sqrt(2.0 / M_PI) * s.z_m * std::exp(-h * h / (2.0 * s.z_m * s.z_m)) +
                            h * std::erf(h / (M_SQRT2 * s.z_m));
        const double u_next = sl.wind_at(std::max(zbar, h));
        const Sigmas next = rline_sigmas(sl, u_next, x_m, setup.sigma_y0_m, setup.sigma_z0_m);
        const double change = std::abs(next.z_m - s.z_m) / s.z_m;
        u = u_next;
        s = next;
        if (change < 1e-2) break;
    }
    return {s.y_m, s.z_m, u};
}

double rline_meander_fraction(const SurfaceLayer& sl, double u_eff_m_s, double r_m) {
    // AERMOD meandr (Venkatram 1998), section 6.3; T_r = 24 h.
    constexpr double kTr = 86400.0;
    const double two_sv2 = 2.0 * sl.sigma_v_m_s * sl.sigma_v_m_s;
    const double u2 = u_eff_m_s * u_eff_m_s;
    double ubar2 = u2 - two_sv2;
    if (ubar2 < 0.01) ubar2 = 0.01;
    const double t = r_m / u_eff_m_s;
    return std::clamp((two_sv2 + ubar2 * (1.0 - std::exp(-t / kTr))) / u2, 0.0, 1.0);
}

namespace {
double vertical_term(double sz, double h, double z) {
    return std::exp(-(z - h) * (z - h) / (2.0 * sz * sz)) + std::exp(-(z + h) * (z + h) / (2.0 * sz * sz));
}
}  // namespace

RlinePoint rline_point(const SurfaceLayer& sl, const PlumeSetup& setup, double x_d, double y_d) {
    RlinePoint out;
    const double h = setup.source_height_m;
    const double z = setup.receptor_height_m;
    if (x_d > 0.0) {
        const auto p = rline_plume(sl, setup, std::max(x_d, setup.min_downwind_m));
        out.direct = std::exp(-y_d * y_d / (2.0 * p.sigma_y_m * p.sigma_y_m)) / (kSqrt2Pi * p.sigma_y_m) *
                     vertical_term(p.sigma_z_m, h, z) / (kSqrt2Pi * p.sigma_z_m * p.u_eff_m_s);
    }
    if (setup.meander) {
        const double r = std::max(std::hypot(x_d, y_d), setup.min_downwind_m);
        const auto m = rline_plume(sl, setup, r);
        out.meander = vertical_term(m.sigma_z_m, h, z) / (2.0 * M_PI * r * kSqrt2Pi * m.sigma_z_m * m.u_eff_m_s);
        out.meander_fraction = rline_meander_fraction(sl, m.u_eff_m_s, r);
    }
    return out;
}

std::optional<SigmaScheme> parse_sigma_scheme(std::string_view name) {
    if (name == "briggs_rural") return SigmaScheme::BriggsRural;
    if (name == "briggs_urban") return SigmaScheme::BriggsUrban;
    if (name == "pasquill_gifford") return SigmaScheme::PasquillGifford;
    return std::nullopt;
}

std::optional<int> parse_stability(std::string_view name) {
    if (name.size() != 1) return std::nullopt;
    const char c = name[0];
    if (c >= 'A' && c <= 'F') return c - 'A';
    if (c >= 'a' && c <= 'f') return c - 'a';
    return std::nullopt;
}

char stability_letter(int stability) { return static_cast<char>('A' + stability); }

Sigmas sigma(SigmaScheme scheme, int stability, double x_m) {
    if (stability < 0 || stability > 5) throw InternalError("sigma: stability class out of range");
    switch (scheme) {
        case SigmaScheme::BriggsRural: return briggs_rural(stability, x_m);
        case SigmaScheme::BriggsUrban: return briggs_urban(stability, x_m);
        case SigmaScheme::PasquillGifford: return pasquill_gifford(stability, x_m);
    }
    return {};
}

double point_kernel(const PlumeSetup& setup, const MetCondition& met, double dx_m, double dy_m) {
    // Wind-to unit vector: meteorological direction is where the wind comes from, clockwise from north.
    const double from = met.direction_from_deg * kDegToRad;
    const double wx = -std::sin(from);
    const double wy = -std::cos(from);
    const double xd = dx_m * wx + dy_m * wy;
    const double yd = -dx_m * wy + dy_m * wx;
    if (setup.dispersion == Dispersion::Rline) return rline_point(surface_layer(met), setup, xd, yd).total();
    if (xd <= 0.0) return 0.0;  // upwind: the Gaussian screening model has no meander (section 6.3 not used)
    const Sigmas s = sigma(setup.scheme, met.stability, std::max(xd, setup.min_downwind_m));
    const double sy = std::sqrt(s.y_m * s.y_m + setup.sigma_y0_m * setup.sigma_y0_m);
    const double sz = std::sqrt(s.z_m * s.z_m + setup.sigma_z0_m * setup.sigma_z0_m);
    const double h = setup.source_height_m;
    const double z = setup.receptor_height_m;
    const double vertical = std::exp(-(z - h) * (z - h) / (2.0 * sz * sz)) + std::exp(-(z + h) * (z + h) / (2.0 * sz * sz));
    return std::exp(-yd * yd / (2.0 * sy * sy)) * vertical / (2.0 * M_PI * met.speed_m_s * sy * sz);
}

double infinite_line_perpendicular_ug_m3(const PlumeSetup& setup, int stability, double q_g_per_m_s,
                                         double speed_m_s, double x_m) {
    const Sigmas s = sigma(setup.scheme, stability, std::max(x_m, setup.min_downwind_m));
    const double sz = std::sqrt(s.z_m * s.z_m + setup.sigma_z0_m * setup.sigma_z0_m);
    const double h = setup.source_height_m;
    const double z = setup.receptor_height_m;
    const double vertical = std::exp(-(z - h) * (z - h) / (2.0 * sz * sz)) + std::exp(-(z + h) * (z + h) / (2.0 * sz * sz));
    return 1e6 * q_g_per_m_s * vertical / (kSqrt2Pi * sz * speed_m_s);
}

double finite_line_perpendicular_ug_m3(const PlumeSetup& setup, int stability, double q_g_per_m_s,
                                       double speed_m_s, double x_m, double offset_m, double length_m) {
    const Sigmas s = sigma(setup.scheme, stability, std::max(x_m, setup.min_downwind_m));
    const double sy = std::sqrt(s.y_m * s.y_m + setup.sigma_y0_m * setup.sigma_y0_m);
    const double share = 0.5 * (std::erf((offset_m + length_m / 2.0) / (M_SQRT2 * sy)) -
                                std::erf((offset_m - length_m / 2.0) / (M_SQRT2 * sy)));
    return infinite_line_perpendicular_ug_m3(setup, stability, q_g_per_m_s, speed_m_s, x_m) * share;
}

double line_increment_reference_ug_m3(const PlumeSetup& setup, const std::vector<MetCondition>& met, Point2 a,
                                      Point2 b, Point2 receptor, double q_g_per_m_s, double step_deg,
                                      double max_distance_m) {
    // R-LINE: the surface layer of each condition once, not at every point.
    std::vector<SurfaceLayer> layers;
    std::vector<std::pair<double, double>> wind;  // wind-to unit vector of each condition
    if (setup.dispersion == Dispersion::Rline) {
        for (const auto& m : met) {
            layers.push_back(surface_layer(m));
            const double from = m.direction_from_deg * kDegToRad;
            wind.emplace_back(-std::sin(from), -std::cos(from));
        }
    }
    const double integral = integrate_segment_by_angle(a, b, receptor, step_deg, [&](double r, double dx, double dy) {
        if (r > max_distance_m) return 0.0;
        double k = 0.0;
        if (layers.empty()) {
            for (const auto& m : met) k += m.weight * point_kernel(setup, m, dx, dy);
        } else {
            for (std::size_t i = 0; i < met.size(); ++i) {
                const auto [wx, wy] = wind[i];
                k += met[i].weight * rline_point(layers[i], setup, dx * wx + dy * wy, -dx * wy + dy * wx).total();
            }
        }
        return r * r * k;
    });
    return 1e6 * q_g_per_m_s * integral;
}

MetCondition met_condition_of(const FrequencyRow& row) {
    MetCondition m;
    m.direction_from_deg = row.direction_from_deg;
    m.speed_m_s = row.speed_m_s;
    m.stability = row.stability;
    m.obukhov_length_m = row.obukhov_length_m;
    m.friction_velocity_m_s = row.friction_velocity_m_s;
    m.roughness_m = row.roughness_m;
    m.reference_height_m = row.reference_height_m;
    m.convective_velocity_m_s = row.convective_velocity_m_s;
    m.mixing_height_m = row.mixing_height_m;
    return m;
}

FrequencyRow frequency_row_of(const MetCondition& met) {
    FrequencyRow row;
    row.direction_from_deg = met.direction_from_deg;
    row.speed_m_s = met.speed_m_s;
    row.stability = met.stability;
    row.obukhov_length_m = met.obukhov_length_m;
    row.friction_velocity_m_s = met.friction_velocity_m_s;
    row.roughness_m = met.roughness_m;
    row.reference_height_m = met.reference_height_m;
    row.convective_velocity_m_s = met.convective_velocity_m_s;
    row.mixing_height_m = met.mixing_height_m;
    return row;
}

std::vector<MetCondition> expand_to_direction_bins(const std::vector<FrequencyRow>& rows) {
    std::vector<MetCondition> out;
    const double bin = kDirectionBinDeg;
    for (const auto& row : rows) {
        if (row.frequency <= 0.0) continue;
        const auto condition = [&row](double direction, double weight) {
            MetCondition m = met_condition_of(row);
            m.direction_from_deg = direction;
            m.weight = weight;
            return m;
        };
        if (row.sector_width_deg <= 0.0) {
            // One direction: split linearly between the two nearest bin centres.
            const double pos = wrap_deg(row.direction_from_deg) / bin;
            const double lower = std::floor(pos);
            const double frac = pos - lower;
            out.push_back(condition(wrap_deg(lower * bin), row.frequency * (1.0 - frac)));
            if (frac > 0.0) out.push_back(condition(wrap_deg((lower + 1.0) * bin), row.frequency * frac));
            continue;
        }
        // A sector: every bin (centre c, extent c +- bin/2) weighted by its overlap with the sector.
        const double lo = row.direction_from_deg - row.sector_width_deg / 2.0;
        const double hi = row.direction_from_deg + row.sector_width_deg / 2.0;
        const auto k0 = static_cast<long>(std::floor(lo / bin - 0.5));
        const auto k1 = static_cast<long>(std::ceil(hi / bin + 0.5));
        std::vector<std::pair<double, double>> parts;
        double total = 0.0;
        for (long k = k0; k <= k1; ++k) {
            const double c = static_cast<double>(k) * bin;
            const double overlap = std::min(hi, c + bin / 2.0) - std::max(lo, c - bin / 2.0);
            if (overlap <= 1e-12) continue;
            parts.emplace_back(wrap_deg(c), overlap);
            total += overlap;
        }
        for (const auto& [c, overlap] : parts) {
            out.push_back(condition(c, row.frequency * overlap / total));
        }
    }
    return out;
}

ClimateKernel::ClimateKernel(const PlumeSetup& setup, const std::vector<MetCondition>& met, double max_distance_m)
    : max_r_(max_distance_m) {
    if (!(max_r_ > min_r_)) throw InternalError("ClimateKernel: max distance must exceed the minimum distance");
    // 2 % radial steps: r^2 K changes slowly with r (sigmas grow about linearly), so linear
    // interpolation in ln r stays within a few per mille.
    log_step_ = std::log(1.02);
    ln_min_r_ = std::log(min_r_);
    ln_max_r_ = std::log(max_r_);
    n_r_ = static_cast<std::size_t>(std::ceil(std::log(max_r_ / min_r_) / log_step_)) + 1;
    n_dir_ = static_cast<std::size_t>(std::lround(360.0 / kDirectionBinDeg));
    table_.assign(n_r_ * n_dir_, 0.0);

    // Conditions that share a plume shape, each with its weights per wind-to direction bin (math angle,
    // counter-clockwise from east). Gaussian: one plume per stability class at 1 m/s, the speeds folded
    // into the weights as 1/u (the kernel scales with 1/u). R-LINE: one plume per distinct condition.
    using Key = std::array<double, 7>;
    std::map<Key, std::pair<MetCondition, std::vector<double>>> groups;
    const bool rline = setup.dispersion == Dispersion::Rline;
    for (const auto& m : met) {
        const double to_math_deg = wrap_deg(-90.0 - m.direction_from_deg);
        const auto q = static_cast<std::size_t>(std::lround(to_math_deg / kDirectionBinDeg)) % n_dir_;
        const Key key = rline ? Key{m.speed_m_s, m.obukhov_length_m, m.friction_velocity_m_s, m.roughness_m,
                                    m.reference_height_m, m.convective_velocity_m_s, m.mixing_height_m}
                              : Key{static_cast<double>(m.stability), 0, 0, 0, 0, 0, 0};
        auto [it, inserted] = groups.try_emplace(key);
        if (inserted) {
            it->second.first = m;
            it->second.first.direction_from_deg = 270.0;  // wind towards +x: psi is the offset direction from the wind
            it->second.first.weight = 1.0;
            if (!rline) it->second.first.speed_m_s = 1.0;
            it->second.second.assign(n_dir_, 0.0);
        }
        it->second.second[q] += rline ? m.weight : m.weight / m.speed_m_s;
    }
    plumes_ = groups.size();
    std::vector<double> plume(n_dir_);
    std::vector<std::size_t> support;
    for (const auto& [key, group] : groups) {
        const auto& [unit, w] = group;
        std::optional<SurfaceLayer> sl;
        if (rline) sl = surface_layer(unit);
        double total_weight = 0.0;
        for (double v : w) total_weight += v;
        for (std::size_t i = 0; i < n_r_; ++i) {
            const double r = min_r_ * std::exp(static_cast<double>(i) * log_step_);
            support.clear();
            double isotropic = 0.0;
            if (rline) {
                // The direct plume weighted by 1 - f_ran(r); the meander part depends on r only, so its
                // convolution with the direction weights is their sum (section 6.3).
                const RlinePoint far = rline_point(*sl, setup, -r, 0.0);  // upwind: meander part only
                isotropic = far.meander_fraction * far.meander * r * r * total_weight;
                for (std::size_t j = 0; j < n_dir_; ++j) {
                    const double psi = static_cast<double>(j) * kDirectionBinDeg * kDegToRad;
                    const double xd = r * std::cos(psi);
                    plume[j] = 0.0;
                    if (!(xd > 0.0)) continue;
                    PlumeSetup direct_only = setup;
                    direct_only.meander = false;
                    const RlinePoint p = rline_point(*sl, direct_only, xd, r * std::sin(psi));
                    plume[j] = r * r * (1.0 - far.meander_fraction) * p.direct;
                    if (plume[j] > 0.0) support.push_back(j);
                }
            } else {
                for (std::size_t j = 0; j < n_dir_; ++j) {
                    const double psi = static_cast<double>(j) * kDirectionBinDeg * kDegToRad;
                    plume[j] = r * r * point_kernel(setup, unit, r * std::cos(psi), r * std::sin(psi));
                    if (plume[j] > 0.0) support.push_back(j);
                }
            }
            double* row = table_.data() + i * n_dir_;
            for (std::size_t k = 0; k < n_dir_; ++k) {
                double sum = 0.0;
                for (std::size_t j : support) sum += plume[j] * w[(k + n_dir_ - j) % n_dir_];
                row[k] += sum + isotropic;
            }
        }
    }
}

double ClimateKernel::r2_kernel(double r, double dx, double dy) const {
    double phi = std::atan2(dy, dx) * (180.0 / M_PI);
    return r2_kernel_polar(std::log(r), phi);
}

double ClimateKernel::r2_kernel_polar(double ln_r, double phi_deg) const {
    if (ln_r > ln_max_r_) return 0.0;
    const double fr = std::max(0.0, (ln_r - ln_min_r_) / log_step_);
    auto ir = static_cast<std::size_t>(fr);
    double tr = fr - static_cast<double>(ir);
    if (ir + 1 >= n_r_) {
        ir = n_r_ - 2;
        tr = 1.0;
    }
    double phi = std::fmod(phi_deg, 360.0);
    if (phi < 0.0) phi += 360.0;
    const double fd = phi / kDirectionBinDeg;
    auto id = static_cast<std::size_t>(fd);
    const double td = fd - static_cast<double>(id);
    id %= n_dir_;
    const std::size_t id1 = (id + 1) % n_dir_;
    const double* r0 = table_.data() + ir * n_dir_;
    const double* r1 = r0 + n_dir_;
    const double v0 = r0[id] + td * (r0[id1] - r0[id]);
    const double v1 = r1[id] + td * (r1[id1] - r1[id]);
    return v0 + tr * (v1 - v0);
}

double line_increment_fast_ug_m3(const ClimateKernel& kernel, Point2 a, Point2 b, Point2 receptor,
                                 double q_g_per_m_s, double step_deg) {
    // The geometry of integrate_segment_by_angle, with two shortcuts: the direction of the offset from
    // the source point to the receptor turns linearly with alpha (phi = phi_0 - side alpha, phi_0 the
    // direction from the foot point to the receptor), and ln r = ln d - ln cos(alpha); no atan2 or tan per
    // point. Points beyond the kernel's reach (cos alpha < d / r_max) are skipped by narrowing the span.
    const double ex = b.x - a.x;
    const double ey = b.y - a.y;
    const double length = std::hypot(ex, ey);
    if (length <= 0.0) return 0.0;
    // Far segments (seen under less than about 6 degrees) act as a point source at their midpoint: the
    // midpoint rule's error is of order (length / r)^2 / 24, below 0.05 %.
    const double mx = receptor.x - 0.5 * (a.x + b.x);
    const double my = receptor.y - 0.5 * (a.y + b.y);
    const double r_mid = std::hypot(mx, my);
    if (r_mid > kFarSegmentRatio * length) {
        if (r_mid > kernel.max_distance_m()) return 0.0;
        return 1e6 * q_g_per_m_s * length * kernel.r2_kernel(r_mid, mx, my) / (r_mid * r_mid);
    }
    const double tx = ex / length;
    const double ty = ey / length;
    const double rx = receptor.x - a.x;
    const double ry = receptor.y - a.y;
    const double s_foot = rx * tx + ry * ty;
    double d = rx * ty - ry * tx;
    const double side = d < 0.0 ? -1.0 : 1.0;
    d = std::max(std::abs(d), kMinLineDistanceM);
    if (d > kernel.max_distance_m()) return 0.0;
    const double alpha_a = std::atan(-s_foot / d);
    const double alpha_b = std::atan((length - s_foot) / d);
    const double span = alpha_b - alpha_a;
    const double step = step_deg * M_PI / 180.0;
    const auto n = static_cast<int>(std::max(1.0, std::ceil(span / step)));
    const double h = span / n;
    const double phi0_deg = std::atan2(-side * tx, side * ty) * (180.0 / M_PI);  // direction of side * (ty, -tx)
    const double ln_d = std::log(d);
    const double alpha_reach = std::acos(std::min(1.0, d / kernel.max_distance_m()));
    double sum = 0.0;
    for (int i = 0; i < n; ++i) {
        const double alpha = alpha_a + (i + 0.5) * h;
        if (std::abs(alpha) > alpha_reach) continue;
        const double ln_r = ln_d - std::log(std::cos(alpha));
        sum += kernel.r2_kernel_polar(ln_r, phi0_deg - side * alpha * (180.0 / M_PI));
    }
    return 1e6 * q_g_per_m_s * sum * h / d;
}

double distance_to_segment_m(Point2 a, Point2 b, Point2 p) {
    const double ex = b.x - a.x;
    const double ey = b.y - a.y;
    const double len2 = ex * ex + ey * ey;
    double t = len2 > 0.0 ? ((p.x - a.x) * ex + (p.y - a.y) * ey) / len2 : 0.0;
    t = std::clamp(t, 0.0, 1.0);
    return std::hypot(p.x - (a.x + t * ex), p.y - (a.y + t * ey));
}

namespace {
// Section 2.3 (IMAER street type ids 1-4): theta = a x^2 + b x + c up to 30 m, alpha x^-0.747 to x_max.
struct Srm1Type {
    double a, b, c, alpha, x_max;
};
constexpr std::array<Srm1Type, 4> kSrm1Types{{
    {0.000325, -0.0205, 0.39, 0.856, 60.0},
    {0.000488, -0.0308, 0.59, 0.0, 30.0},
    {0.000500, -0.0316, 0.57, 0.0, 30.0},
    {0.000310, -0.0182, 0.33, 0.799, 60.0},
}};
const Srm1Type& srm1_type(int street_type) {
    if (street_type < 1 || street_type > 4) throw InternalError("SRM1 street type must be 1-4");
    return kSrm1Types[static_cast<std::size_t>(street_type - 1)];
}
}  // namespace

double srm1_max_distance_m(int street_type) { return srm1_type(street_type).x_max; }

std::optional<double> srm1_theta(int street_type, double x_m, double min_distance_m) {
    const auto& t = srm1_type(street_type);
    const double x = std::max(x_m, min_distance_m);
    if (x <= 30.0) return t.a * x * x + t.b * x + t.c;
    if (x <= t.x_max) return t.alpha * std::pow(x, -0.747);
    return std::nullopt;
}

double srm1_increment_ug_m3(double emission_ug_per_m_s, double theta, double tree_factor, double regional_wind_m_s) {
    return kSrm1Fk * emission_ug_per_m_s * theta * tree_factor * (5.0 / regional_wind_m_s);
}

No2Conversion no2_from_nox(double nox_increment_ug_m3, double o3_background_ug_m3, double direct_no2_fraction) {
    No2Conversion c;
    const double f = direct_no2_fraction;
    const double nox = nox_increment_ug_m3;
    c.direct_ug_m3 = f * nox;
    const double denominator = (1.0 - f) * nox + kNo2OzoneK_ug_m3;
    c.ozone_limited_ug_m3 = kNo2OzoneB * o3_background_ug_m3 * (1.0 - f) * nox / denominator;
    c.increment_ug_m3 = c.direct_ug_m3 + c.ozone_limited_ug_m3;
    return c;
}

}  // namespace areatwin::indicators::air
