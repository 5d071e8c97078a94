// SPDX-License-Identifier: GPL-3.0-or-later
#include "noise/cnossos_path.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "areatwin/engine/errors.hpp"

namespace areatwin::indicators::noise {

namespace {

// ISO/TR 17534-4 reproduces exactly with c = 340 m/s for the wave number k and the wavelength lambda,
// and nominal band frequencies there (noise-method.md 2 and 12.1).
constexpr double kSoundSpeedMs = 340.0;
constexpr double kCurvatureA0PerM = 2e-4;  // a_0 of the favourable heights (2.5.20)
// Equivalent heights of zero (both points on or below the mean plane) would divide by zero in the
// favourable height and G'path formulas; 1 mm keeps them finite without changing any real case.
constexpr double kMinHeightSumM = 1e-3;

double sq(double v) { return v * v; }

// 10^v through exp: std::pow(10, v) takes a logarithm of 10 on every call, a third of the kernel's time.
double pow10(double v) { return std::exp(v * M_LN10); }

// Per-band constants of the nominal frequencies (the powers of f in w, k, lambda), computed once.
struct BandConstants {
    Bands k{}, lambda{}, f25{}, f15{}, f075{};
};
BandConstants make_band_constants() {
    BandConstants c;
    for (std::size_t i = 0; i < kBandCount; ++i) {
        const double f = kNominalHz[i];
        c.k[i] = 2.0 * M_PI * f / kSoundSpeedMs;
        c.lambda[i] = kSoundSpeedMs / f;
        c.f25[i] = std::pow(f, 2.5);
        c.f15[i] = std::pow(f, 1.5);
        c.f075[i] = std::pow(f, 0.75);
    }
    return c;
}
const BandConstants kBand = make_band_constants();

// w of 2.5.17 for band i with G_w^2.6 and G_w^1.3 precomputed.
double w_parameter(std::size_t i, double g26, double g13) {
    return 0.0185 * kBand.f25[i] * g26 / (kBand.f15[i] * g26 + 1.3e3 * kBand.f075[i] * g13 + 1.16e6);
}

// A_ground(z1, z2) of 2.5.15-2.5.17 for one band, before the lower bound.
double a_ground_formula(double z1, double z2, double d_p, double g26, double g13, std::size_t i) {
    const double k = kBand.k[i];
    const double w = w_parameter(i, g26, g13);
    const double wd = w * d_p;
    const double c_f = d_p * (1.0 + 3.0 * wd * std::exp(-std::sqrt(wd))) / (1.0 + wd);
    const double root = std::sqrt(2.0 * c_f / k);
    const auto q = [&](double z) { return z * z - root * z + c_f / k; };
    return -10.0 * std::log10(4.0 * k * k / (d_p * d_p) * q(z1) * q(z2));
}

double interpolate(const std::vector<ProfilePoint>& terrain, double x) {
    if (terrain.empty()) return 0.0;
    if (x <= terrain.front().x_m) return terrain.front().z_m;
    if (x >= terrain.back().x_m) return terrain.back().z_m;
    const auto it = std::upper_bound(terrain.begin(), terrain.end(), x,
                                     [](double v, const ProfilePoint& p) { return v < p.x_m; });
    const ProfilePoint& b = *it;
    const ProfilePoint& a = *(it - 1);
    if (b.x_m - a.x_m <= 0.0) return b.z_m;
    return a.z_m + (b.z_m - a.z_m) * (x - a.x_m) / (b.x_m - a.x_m);
}

struct PlaneFrame {
    MeanPlane plane;
    double norm = 1.0;
    [[nodiscard]] double height(const ProfilePoint& p) const { return (p.z_m - plane.a * p.x_m - plane.b) / norm; }
    [[nodiscard]] double along(const ProfilePoint& p) const { return (p.x_m + plane.a * (p.z_m - plane.b)) / norm; }
    // Mirror image; a point below the plane is its own image (equivalent height 0, Annex II 2.5.3).
    [[nodiscard]] ProfilePoint image(const ProfilePoint& p) const {
        const double h = height(p);
        if (h <= 0.0) return p;
        return {p.x_m + 2.0 * h * plane.a / norm, p.z_m - 2.0 * h / norm};
    }
};

PlaneFrame frame_of(const std::vector<ProfilePoint>& terrain, double x0, double x1) {
    PlaneFrame f;
    f.plane = mean_plane(terrain, x0, x1);
    f.norm = std::sqrt(1.0 + f.plane.a * f.plane.a);
    return f;
}

// sqrt of the sum of squares: profile coordinates are far from overflow, and std::hypot's guards cost several
// times more in this hot path.
double dist(const ProfilePoint& a, const ProfilePoint& b) {
    const double dx = b.x_m - a.x_m, dz = b.z_m - a.z_m;
    return std::sqrt(dx * dx + dz * dz);
}

double arc(const ProfilePoint& a, const ProfilePoint& b, double gamma_m) {
    return 2.0 * gamma_m * std::asin(std::min(1.0, dist(a, b) / (2.0 * gamma_m)));
}

double cross(const ProfilePoint& o, const ProfilePoint& a, const ProfilePoint& b) {
    return (a.x_m - o.x_m) * (b.z_m - o.z_m) - (a.z_m - o.z_m) * (b.x_m - o.x_m);
}

// Upper convex hull of S, the points strictly between S and R (sorted by x), and R; writes the indices of
// the hull vertices between S and R (the diffraction edges) into `edges`.
void hull_edges(const ProfilePoint& s, const ProfilePoint& r, const std::vector<ProfilePoint>& pts,
                std::vector<std::size_t>& stack, std::vector<std::size_t>& edges) {
    constexpr std::size_t kS = static_cast<std::size_t>(-1);
    constexpr std::size_t kR = kS - 1;
    const auto point = [&](std::size_t i) -> const ProfilePoint& { return i == kS ? s : (i == kR ? r : pts[i]); };
    stack.clear();
    stack.push_back(kS);
    const auto push = [&](std::size_t idx) {
        const ProfilePoint& p = point(idx);
        while (stack.size() >= 2 && cross(point(stack[stack.size() - 2]), point(stack.back()), p) >= 0.0) stack.pop_back();
        stack.push_back(idx);
    };
    for (std::size_t i = 0; i < pts.size(); ++i) {
        if (pts[i].x_m <= s.x_m || pts[i].x_m >= r.x_m) continue;
        push(i);
    }
    push(kR);
    edges.assign(stack.begin() + 1, stack.end() - 1);
}

struct Geometry {
    ProfilePoint s, r;
    double distance_m = 0.0;
};

// Single-edge straight path difference, negative when O lies below the chord a -> b (noise-method.md 8.2).
double signed_delta(const ProfilePoint& a, const ProfilePoint& o, const ProfilePoint& b) {
    const double d = dist(a, o) + dist(o, b) - dist(a, b);
    return cross(a, b, o) >= 0.0 ? d : -d;
}

// Favourable path difference a -> O_1 .. O_n -> b on circular rays of radius max(1000, 8 |ab|) (8.5). One
// edge below the straight chord: delta_F = 2 aA + 2 Ab - aO - Ob - ab (A on the chord above O), negative.
double curved_delta(const ProfilePoint& a, const ProfilePoint& b, const ProfilePoint* edges, std::size_t n) {
    const double gamma = std::max(1000.0, 8.0 * dist(a, b));
    const ProfilePoint& o1 = edges[0];
    const ProfilePoint& on = edges[n - 1];
    if (n == 1) {
        const double z_line = a.z_m + (b.z_m - a.z_m) * (o1.x_m - a.x_m) / (b.x_m - a.x_m);
        if (o1.z_m < z_line) {
            const ProfilePoint on_line{o1.x_m, z_line};
            return 2.0 * arc(a, on_line, gamma) + 2.0 * arc(on_line, b, gamma) - arc(a, o1, gamma) - arc(o1, b, gamma) -
                   arc(a, b, gamma);
        }
    }
    double e_arc = 0.0;
    for (std::size_t k = 0; k + 1 < n; ++k) e_arc += arc(edges[k], edges[k + 1], gamma);
    return arc(a, o1, gamma) + e_arc + arc(on, b, gamma) - arc(a, b, gamma);
}

double straight_delta(const ProfilePoint& a, const ProfilePoint& b, const ProfilePoint* edges, std::size_t n, double e) {
    if (n == 1) return signed_delta(a, edges[0], b);
    return dist(a, edges[0]) + e + dist(edges[n - 1], b) - dist(a, b);
}

void ground_condition(const PathProfile& profile, const Geometry& geo, ConditionTerms& h, ConditionTerms& f,
                      double& g_path_out, double& g_prime_out, bool need_h = true, bool need_f = true) {
    const PlaneFrame frame = frame_of(profile.terrain, 0.0, profile.length_m);
    const double z_s = std::max(0.0, frame.height(geo.s));
    const double z_r = std::max(0.0, frame.height(geo.r));
    const double d_p = std::abs(frame.along(geo.r) - frame.along(geo.s));
    const double g = g_path_between(profile.ground, 0.0, profile.length_m);
    const double g_prime = g_path_prime(g, profile.source_g, d_p, z_s, z_r);
    g_path_out = g;
    g_prime_out = g_prime;
    h.diffracted = false;
    f.diffracted = false;
    if (need_h) h.a_ground = a_ground_homogeneous(z_s, z_r, d_p, g, g_prime);
    if (need_f) f.a_ground = a_ground_favourable(z_s, z_r, d_p, g, g_prime);
    h.a_boundary = h.a_ground;
    f.a_boundary = f.a_ground;
}

// The side frames and the images of S and R of a diffracted path over O_1 .. O_n.
struct SideFrames {
    PlaneFrame src, rec;
    ProfilePoint s_image, r_image;
};
SideFrames side_frames(const PathProfile& profile, const Geometry& geo, const ProfilePoint& o1, const ProfilePoint& on) {
    SideFrames sf;
    sf.src = frame_of(profile.terrain, 0.0, o1.x_m);
    sf.rec = frame_of(profile.terrain, on.x_m, profile.length_m);
    sf.s_image = sf.src.image(geo.s);
    sf.r_image = sf.rec.image(geo.r);
    return sf;
}

// Diffraction over the edges O_1..O_n with the ground terms on both sides (2.5.21-2.5.33). Writes every
// term into t; a_boundary = A_dif in every band.
void diffracted_condition(const PathProfile& profile, const Geometry& geo, const SideFrames& sf,
                          const ProfilePoint* edges, std::size_t n, bool favourable, ConditionTerms& t) {
    t.diffracted = true;
    const ProfilePoint& o1 = edges[0];
    const ProfilePoint& on = edges[n - 1];
    const double z_s = std::max(0.0, sf.src.height(geo.s));
    const double z_o1 = std::max(0.0, sf.src.height(o1));
    const double d_so = std::abs(sf.src.along(o1) - sf.src.along(geo.s));
    const double z_on = std::max(0.0, sf.rec.height(on));
    const double z_r = std::max(0.0, sf.rec.height(geo.r));
    const double d_or = std::abs(sf.rec.along(geo.r) - sf.rec.along(on));

    double e = 0.0;
    for (std::size_t k = 0; k + 1 < n; ++k) e += dist(edges[k], edges[k + 1]);
    // Favourable paths are circular arcs, each chord with its own radius (8.5).
    if (favourable) {
        t.path_difference_m = curved_delta(geo.s, geo.r, edges, n);
        t.path_difference_source_image_m = curved_delta(sf.s_image, geo.r, edges, n);
        t.path_difference_receiver_image_m = curved_delta(geo.s, sf.r_image, edges, n);
    } else {
        t.path_difference_m = straight_delta(geo.s, geo.r, edges, n, e);
        t.path_difference_source_image_m = straight_delta(sf.s_image, geo.r, edges, n, e);
        t.path_difference_receiver_image_m = straight_delta(geo.s, sf.r_image, edges, n, e);
    }

    const double g_so = g_path_between(profile.ground, 0.0, o1.x_m);
    const double g_so_prime = g_path_prime(g_so, profile.source_g, d_so, z_s, z_o1);
    const double g_or = g_path_between(profile.ground, on.x_m, profile.length_m);
    // Receiver side: G_path(O,R) without the G' correction (reproduces ISO TC07, noise-method.md 8.3).
    if (favourable) {
        t.a_ground_source_side = a_ground_favourable(z_s, z_o1, d_so, g_so, g_so_prime);
        t.a_ground_receiver_side = a_ground_favourable(z_on, z_r, d_or, g_or, g_or);
    } else {
        t.a_ground_source_side = a_ground_homogeneous(z_s, z_o1, d_so, g_so, g_so_prime);
        t.a_ground_receiver_side = a_ground_homogeneous(z_on, z_r, d_or, g_or, g_or);
    }
    for (std::size_t i = 0; i < kBandCount; ++i) {
        const double lambda = kBand.lambda[i];
        const double c2 = (n == 1 || e <= 0.3) ? 1.0 : (1.0 + sq(5.0 * lambda / e)) / (1.0 / 3.0 + sq(5.0 * lambda / e));
        t.delta_dif_sr[i] = delta_dif_db(t.path_difference_m, lambda, c2);
        t.delta_dif_source_image[i] = delta_dif_db(t.path_difference_source_image_m, lambda, c2);
        t.delta_dif_receiver_image[i] = delta_dif_db(t.path_difference_receiver_image_m, lambda, c2);
        t.delta_ground_source_side[i] =
            -20.0 * std::log10(1.0 + (pow10(-t.a_ground_source_side[i] / 20.0) - 1.0) *
                                         pow10(-(t.delta_dif_source_image[i] - t.delta_dif_sr[i]) / 20.0));
        t.delta_ground_receiver_side[i] =
            -20.0 * std::log10(1.0 + (pow10(-t.a_ground_receiver_side[i] / 20.0) - 1.0) *
                                         pow10(-(t.delta_dif_receiver_image[i] - t.delta_dif_sr[i]) / 20.0));
        t.a_boundary[i] = std::min(25.0, t.delta_dif_sr[i]) + t.delta_ground_source_side[i] + t.delta_ground_receiver_side[i];
    }
    t.diffracted_bands = 0xFF;
}

// Line of sight in this condition: the Rayleigh criterion (2021/1226 amendment of 2.5.21, ISO/TR 17534-4:
// "if the line of sight is unobstructed, diffraction is calculated only if delta > -lambda/20 and
// delta > lambda/4 - delta*"; noise-method.md 8.2). The candidate edge is the profile point with the
// largest (least negative) path difference; delta* is its path difference between S* and R*, the images
// of S and R in the source- and receiver-side mean planes of that point. Bands that pass take A_dif over
// that point; the others keep A_ground. `pts` is the point set the hull was taken on (bent for F) and
// `real` the actual points (same indices). The candidate is the point with the largest straight path
// difference on `pts`; in favourable conditions that is the point nearest the curved ray (the bent profile,
// 8.5), and its path difference is then taken on circular rays.
void rayleigh_condition(const PathProfile& profile, const Geometry& geo, const std::vector<ProfilePoint>& pts,
                        const std::vector<ProfilePoint>& real, bool favourable, ConditionTerms& t) {
    constexpr double kMaxLambda = kSoundSpeedMs / 63.0;
    double best = -std::numeric_limits<double>::infinity();
    std::size_t best_i = real.size();
    for (std::size_t i = 0; i < pts.size(); ++i) {
        const ProfilePoint& o = pts[i];
        if (o.x_m <= geo.s.x_m || o.x_m >= geo.r.x_m) continue;
        const double delta = signed_delta(geo.s, o, geo.r);
        if (delta > best) {
            best = delta;
            best_i = i;
        }
    }
    if (best_i == real.size()) return;
    const ProfilePoint& o = real[best_i];
    if (favourable) best = curved_delta(geo.s, geo.r, &o, 1);
    if (!(best > -kMaxLambda / 20.0)) return;  // no band can pass
    const SideFrames sf = side_frames(profile, geo, o, o);
    const double delta_star = favourable ? curved_delta(sf.s_image, sf.r_image, &o, 1) : signed_delta(sf.s_image, o, sf.r_image);
    std::uint8_t mask = 0;
    for (std::size_t i = 0; i < kBandCount; ++i) {
        const double lambda = kBand.lambda[i];
        if (best >= 0.0 || (best > -lambda / 20.0 && best > lambda / 4.0 - delta_star)) mask |= static_cast<std::uint8_t>(1u << i);
    }
    if (mask == 0) return;
    ConditionTerms dif;
    diffracted_condition(profile, geo, sf, &o, 1, favourable, dif);
    dif.a_ground = t.a_ground;
    dif.path_difference_star_m = delta_star;
    dif.rayleigh = true;
    dif.diffracted_bands = mask;
    for (std::size_t i = 0; i < kBandCount; ++i) {
        if (!(mask & (1u << i))) dif.a_boundary[i] = t.a_ground[i];
    }
    t = dif;
}

}  // namespace

Bands atmospheric_absorption_db_per_km(const Atmosphere& air) {
    constexpr double p_r = 101.325, t_0 = 293.15, t_01 = 273.16;
    const double t = air.temperature_c + 273.15;
    const double pa = air.pressure_kpa / p_r;
    const double c = -6.8346 * std::pow(t_01 / t, 1.261) + 4.6151;
    const double h = air.humidity_pct * std::pow(10.0, c) / pa;
    const double fr_o = pa * (24.0 + 4.04e4 * h * (0.02 + h) / (0.391 + h));
    const double fr_n = pa * std::pow(t / t_0, -0.5) * (9.0 + 280.0 * h * std::exp(-4.170 * (std::pow(t / t_0, -1.0 / 3.0) - 1.0)));
    Bands alpha{};
    for (std::size_t i = 0; i < kBandCount; ++i) {
        const double f = kExactHz[i];
        const double per_m = 8.686 * f * f *
                             (1.84e-11 / pa * std::sqrt(t / t_0) +
                              std::pow(t / t_0, -2.5) * (0.01275 * std::exp(-2239.1 / t) / (fr_o + f * f / fr_o) +
                                                         0.1068 * std::exp(-3352.0 / t) / (fr_n + f * f / fr_n)));
        alpha[i] = 1000.0 * per_m;
    }
    return alpha;
}

MeanPlane mean_plane(const std::vector<ProfilePoint>& terrain, double x0, double x1) {
    if (!(x1 - x0 > 1e-9)) return {0.0, interpolate(terrain, x0)};
    // The clipped polyline in coordinates relative to x0 (keeps the cubes small), walked without a copy.
    double a_sum = 0.0, b_sum = 0.0;
    const auto add = [&](const ProfilePoint& p, const ProfilePoint& q) {
        const double xa = p.x_m, xb = q.x_m;
        if (!(xb > xa)) return;
        const double aj = (q.z_m - p.z_m) / (xb - xa);
        const double bj = p.z_m - aj * xa;
        a_sum += 2.0 / 3.0 * aj * (xb * xb * xb - xa * xa * xa) + bj * (xb * xb - xa * xa);
        b_sum += aj * (xb * xb - xa * xa) + 2.0 * bj * (xb - xa);
    };
    ProfilePoint prev{0.0, interpolate(terrain, x0)};
    auto it = std::upper_bound(terrain.begin(), terrain.end(), x0, [](double v, const ProfilePoint& p) { return v < p.x_m; });
    for (; it != terrain.end() && it->x_m < x1; ++it) {
        const ProfilePoint cur{it->x_m - x0, it->z_m};
        add(prev, cur);
        prev = cur;
    }
    add(prev, {x1 - x0, interpolate(terrain, x1)});
    const double n = x1 - x0;  // x_0 = 0 in relative coordinates
    const double a = 3.0 * (2.0 * a_sum - b_sum * n) / (n * n * n);
    const double b_rel = 2.0 * b_sum / n - 3.0 * a_sum / (n * n);
    return {a, b_rel - a * x0};
}

double g_path_between(const std::vector<GroundSpan>& ground, double x0, double x1) {
    if (!(x1 - x0 > 1e-9)) {
        for (const auto& span : ground) {
            if (x0 >= span.x0_m && x0 < span.x1_m) return span.g;
        }
        return 0.0;
    }
    double weighted = 0.0;
    for (const auto& span : ground) {
        const double overlap = std::min(span.x1_m, x1) - std::max(span.x0_m, x0);
        if (overlap > 0.0) weighted += overlap * span.g;
    }
    return weighted / (x1 - x0);
}

double g_path_prime(double g_path, double g_s, double d_p, double z_s, double z_r) {
    const double limit = 30.0 * std::max(z_s + z_r, kMinHeightSumM);
    if (d_p <= limit) return g_path * d_p / limit + g_s * (1.0 - d_p / limit);
    return g_path;
}

Bands a_ground_homogeneous(double z_s, double z_r, double d_p, double g_path, double g_prime) {
    Bands out{};
    // G_path = 0: -3 dB without evaluating the formula (2.5.15).
    if (g_path == 0.0) {
        out.fill(-3.0);
        return out;
    }
    const double lower = -3.0 * (1.0 - g_prime);
    const double g26 = std::pow(g_prime, 2.6), g13 = std::pow(g_prime, 1.3);
    for (std::size_t i = 0; i < kBandCount; ++i) out[i] = std::max(a_ground_formula(z_s, z_r, d_p, g26, g13, i), lower);
    return out;
}

Bands a_ground_favourable(double z_s, double z_r, double d_p, double g_path, double g_prime) {
    const double height_sum = std::max(z_s + z_r, kMinHeightSumM);
    // The bound is tested with the unmodified heights (reproduces ISO, noise-method.md 7.3).
    const double lower = d_p <= 30.0 * height_sum ? -3.0 * (1.0 - g_prime)
                                                  : -3.0 * (1.0 - g_prime) * (1.0 + 2.0 * (1.0 - 30.0 * height_sum / d_p));
    Bands out{};
    if (g_path == 0.0) {
        out.fill(lower);
        return out;
    }
    const double dz_t = 6e-3 * d_p / height_sum;
    const double z_s_f = z_s + kCurvatureA0PerM * sq(z_s / height_sum) * d_p * d_p / 2.0 + dz_t;
    const double z_r_f = z_r + kCurvatureA0PerM * sq(z_r / height_sum) * d_p * d_p / 2.0 + dz_t;
    const double g26 = std::pow(g_path, 2.6), g13 = std::pow(g_path, 1.3);
    for (std::size_t i = 0; i < kBandCount; ++i) out[i] = std::max(a_ground_formula(z_s_f, z_r_f, d_p, g26, g13, i), lower);
    return out;
}

double delta_dif_db(double path_difference_m, double lambda_m, double c2) {
    const double v = 40.0 / lambda_m * c2 * path_difference_m;
    return v >= -2.0 ? 10.0 * std::log10(3.0 + v) : 0.0;
}

void ground_path_terms(const PathProfile& profile, ConditionTerms& homogeneous, ConditionTerms& favourable,
                       double& g_path, double& g_path_prime_out) {
    Geometry geo;
    geo.s = {0.0, profile.source_z_m};
    geo.r = {profile.length_m, profile.receiver_z_m};
    ground_condition(profile, geo, homogeneous, favourable, g_path, g_path_prime_out);
}

void cnossos_path(const PathProfile& profile, const Bands& alpha_db_per_km, double p_favourable, PathWorkspace& work,
                  PathTerms& t) {
    t = PathTerms{};
    Geometry geo;
    geo.s = {0.0, profile.source_z_m};
    geo.r = {profile.length_m, profile.receiver_z_m};
    geo.distance_m = dist(geo.s, geo.r);
    t.distance_m = geo.distance_m;
    t.a_div_db = 20.0 * std::log10(std::max(geo.distance_m, 1e-3)) + 11.0;
    for (std::size_t i = 0; i < kBandCount; ++i) t.a_atm_db[i] = alpha_db_per_km[i] * geo.distance_m / 1000.0;

    // Candidate edges: terrain vertices and obstacle tops, in x order (both inputs are usually sorted
    // already: merge them; sort only if not).
    auto& candidates = work.candidates;
    candidates.clear();
    const auto by_x = [](const ProfilePoint& a, const ProfilePoint& b) {
        return a.x_m < b.x_m || (a.x_m == b.x_m && a.z_m < b.z_m);
    };
    if (std::is_sorted(profile.terrain.begin(), profile.terrain.end(), by_x) &&
        std::is_sorted(profile.tops.begin(), profile.tops.end(), by_x)) {
        candidates.resize(profile.terrain.size() + profile.tops.size());
        std::merge(profile.terrain.begin(), profile.terrain.end(), profile.tops.begin(), profile.tops.end(),
                   candidates.begin(), by_x);
    } else {
        candidates.insert(candidates.end(), profile.terrain.begin(), profile.terrain.end());
        candidates.insert(candidates.end(), profile.tops.begin(), profile.tops.end());
        std::sort(candidates.begin(), candidates.end(), by_x);
    }

    hull_edges(geo.s, geo.r, candidates, work.stack, work.edges_h);
    // Favourable: the hull of the profile bent by the ray curvature (8.5, Salomons et al. 2011).
    const double gamma = std::max(1000.0, 8.0 * geo.distance_m);
    const double half = profile.length_m / 2.0;
    const double base = std::sqrt(std::max(0.0, gamma * gamma - half * half));
    auto& bent = work.bent;
    bent.resize(candidates.size());
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        bent[i] = {candidates[i].x_m,
                   candidates[i].z_m + base - std::sqrt(std::max(0.0, gamma * gamma - sq(candidates[i].x_m - half)))};
    }
    hull_edges(geo.s, geo.r, bent, work.stack, work.edges_f);
    t.edge_count_h = work.edges_h.size();
    t.edge_count_f = work.edges_f.size();

    // The S-R ground term of a condition is evaluated only when it can be used: no hull edge (ground, or the
    // Rayleigh criterion in part of the bands). A blocked condition leaves a_ground at 0.
    ConditionTerms ground_h, ground_f;
    ground_condition(profile, geo, ground_h, ground_f, t.g_path, t.g_path_prime, work.edges_h.empty(), work.edges_f.empty());
    const auto run = [&](const std::vector<std::size_t>& idx, bool favourable, const ConditionTerms& ground, ConditionTerms& out) {
        if (idx.empty()) {
            out = ground;
            rayleigh_condition(profile, geo, favourable ? bent : candidates, candidates, favourable, out);
            return;
        }
        auto& pts = work.edge_points;
        pts.clear();
        for (const auto i : idx) pts.push_back(candidates[i]);
        out.a_ground = ground.a_ground;
        const SideFrames sf = side_frames(profile, geo, pts.front(), pts.back());
        diffracted_condition(profile, geo, sf, pts.data(), pts.size(), favourable, out);
    };
    run(work.edges_h, false, ground_h, t.homogeneous);
    run(work.edges_f, true, ground_f, t.favourable);
    for (std::size_t i = 0; i < kBandCount; ++i) {
        t.homogeneous.attenuation_db[i] = t.a_div_db + t.a_atm_db[i] + t.homogeneous.a_boundary[i];
        t.favourable.attenuation_db[i] = t.a_div_db + t.a_atm_db[i] + t.favourable.a_boundary[i];
        t.transfer[i] = long_term_transfer(t.homogeneous.attenuation_db[i], t.favourable.attenuation_db[i], p_favourable);
        t.attenuation_db[i] = -10.0 * std::log10(t.transfer[i]);
    }
}

PathTerms cnossos_path(const PathProfile& profile, const Bands& alpha_db_per_km, double p_favourable) {
    PathWorkspace work;
    PathTerms t;
    cnossos_path(profile, alpha_db_per_km, p_favourable, work, t);
    return t;
}

Bands long_term_attenuation_db(const PathTerms& terms, double p_favourable) {
    Bands out{};
    for (std::size_t i = 0; i < kBandCount; ++i) {
        out[i] = long_term_attenuation_db(terms.homogeneous.attenuation_db[i], terms.favourable.attenuation_db[i], p_favourable);
    }
    return out;
}

void FavourableProbability::validate(const char* what) const {
    if (sector_p.empty()) throw ConfigError(std::string(what) + ": at least one direction sector is needed");
    for (std::size_t k = 0; k < sector_p.size(); ++k) {
        if (!(sector_p[k] >= 0.0 && sector_p[k] <= 1.0)) {
            throw ConfigError(std::string(what) + ": sector " + std::to_string(k) + " has p = " + std::to_string(sector_p[k]) +
                              ", outside [0, 1]");
        }
    }
}

double FavourableProbability::azimuth_deg(double dx_east, double dy_north) {
    if (dx_east == 0.0 && dy_north == 0.0) return 0.0;
    double a = std::atan2(dx_east, dy_north) * 180.0 / M_PI;  // clockwise from north
    if (a < 0.0) a += 360.0;
    return a >= 360.0 ? 0.0 : a;
}

std::size_t FavourableProbability::sector_of(double azimuth) const {
    const auto n = static_cast<double>(sector_p.size());
    const double w = 360.0 / n;
    double a = std::fmod(azimuth + w / 2.0, 360.0);
    if (a < 0.0) a += 360.0;
    const auto k = static_cast<std::size_t>(std::floor(a / w));
    return std::min(k, sector_p.size() - 1);
}

double long_term_transfer(double a_h_db, double a_f_db, double p_favourable) {
    return p_favourable * pow10(-a_f_db / 10.0) + (1.0 - p_favourable) * pow10(-a_h_db / 10.0);
}

double long_term_attenuation_db(double a_h_db, double a_f_db, double p_favourable) {
    return -10.0 * std::log10(long_term_transfer(a_h_db, a_f_db, p_favourable));
}

}  // namespace areatwin::indicators::noise
