// SPDX-License-Identifier: GPL-3.0-or-later
#include "noise/cnossos_lateral.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace areatwin::indicators::noise {

namespace {

constexpr double kTolM = 1e-6;

double cross(const Point2& o, const Point2& a, const Point2& b) {
    return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

double plan_dist(const Point2& a, const Point2& b) { return std::hypot(b.x - a.x, b.y - a.y); }

std::size_t ring_size(const std::vector<Point2>& ring) {
    std::size_t n = ring.size();
    if (n >= 3 && ring.front() == ring.back()) --n;
    return n;
}

// Where the open segment a -> b properly crosses the edge p -> q: the parameter t along a -> b (0..1), or -1.
double crossing(const Point2& a, const Point2& b, const Point2& p, const Point2& q) {
    const double rx = b.x - a.x, ry = b.y - a.y, sx = q.x - p.x, sy = q.y - p.y;
    const double den = rx * sy - ry * sx;
    if (den == 0.0) return -1.0;
    const double t = ((p.x - a.x) * sy - (p.y - a.y) * sx) / den;
    const double u = ((p.x - a.x) * ry - (p.y - a.y) * rx) / den;
    const double tol_t = kTolM / std::max(plan_dist(a, b), kTolM), tol_u = kTolM / std::max(plan_dist(p, q), kTolM);
    if (t <= tol_t || t >= 1.0 - tol_t || u < -tol_u || u > 1.0 + tol_u) return -1.0;
    return t;
}

bool inside(const std::vector<Point2>& ring, std::size_t n, const Point2& p) {
    if (n < 3) return false;
    bool in = false;
    for (std::size_t i = 0, j = n - 1; i < n; j = i++) {
        const Point2& a = ring[i];
        const Point2& b = ring[j];
        if ((a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x) in = !in;
    }
    return in;
}

// True when the leg a -> b (starting at unfolded distance u0 of a path of unfolded length total) passes
// through the obstacle where its top is above the ray z_s -> z_r.
bool blocks(const LateralObstacle& ob, const Point2& a, const Point2& b, double u0, double total, double z_s, double z_r) {
    const std::size_t n = ring_size(ob.ring);
    if (n < 2) return false;
    const double leg = plan_dist(a, b);
    const auto ray_z = [&](double t) { return z_s + (z_r - z_s) * (u0 + t * leg) / total; };
    const std::size_t edges = n == 2 ? 1 : n;
    for (std::size_t i = 0; i < edges; ++i) {
        const double t = crossing(a, b, ob.ring[i], ob.ring[(i + 1) % n]);
        if (t >= 0.0 && ob.top_z_m > ray_z(t)) return true;
    }
    const Point2 mid{(a.x + b.x) / 2.0, (a.y + b.y) / 2.0};
    return inside(ob.ring, n, mid) && ob.top_z_m > ray_z(0.5);
}

// Counter-clockwise convex hull (Andrew's monotone chain), collinear points dropped.
void convex_hull(std::vector<Point2>& pts, std::vector<Point2>& hull) {
    std::sort(pts.begin(), pts.end(), [](const Point2& a, const Point2& b) { return a.x < b.x || (a.x == b.x && a.y < b.y); });
    pts.erase(std::unique(pts.begin(), pts.end()), pts.end());
    hull.clear();
    if (pts.size() < 3) {
        hull = pts;
        return;
    }
    hull.resize(2 * pts.size());
    std::size_t k = 0;
    for (const auto& p : pts) {
        while (k >= 2 && cross(hull[k - 2], hull[k - 1], p) <= 0.0) --k;
        hull[k++] = p;
    }
    for (std::size_t i = pts.size() - 1, lower = k + 1; i-- > 0;) {
        while (k >= lower && cross(hull[k - 2], hull[k - 1], pts[i]) <= 0.0) --k;
        hull[k++] = pts[i];
    }
    hull.resize(k - 1);
}

// The chain of the hull from index i to index j going counter-clockwise.
std::vector<Point2> chain(const std::vector<Point2>& hull, std::size_t i, std::size_t j) {
    std::vector<Point2> out;
    for (std::size_t k = i;; k = (k + 1) % hull.size()) {
        out.push_back(hull[k]);
        if (k == j) break;
    }
    return out;
}

double polyline_length(const std::vector<Point2>& line) {
    double l = 0.0;
    for (std::size_t k = 0; k + 1 < line.size(); ++k) l += plan_dist(line[k], line[k + 1]);
    return l;
}

}  // namespace

void lateral_paths(const std::vector<LateralObstacle>& obstacles, const Point2& s, double z_s, const Point2& r, double z_r,
                   LateralWorkspace& work, std::vector<LateralPath>& out) {
    out.clear();
    const double direct_plan = plan_dist(s, r);
    if (!(direct_plan > kTolM)) return;
    auto& included = work.included;
    included.assign(obstacles.size(), 0);
    bool any = false;
    for (std::size_t k = 0; k < obstacles.size(); ++k) {
        if (blocks(obstacles[k], s, r, 0.0, direct_plan, z_s, z_r)) {
            included[k] = 1;
            any = true;
        }
    }
    if (!any) return;
    std::vector<Point2> left, right;
    for (std::size_t round = 0; round <= obstacles.size(); ++round) {
        auto& pts = work.points;
        pts.clear();
        pts.push_back(s);
        pts.push_back(r);
        for (std::size_t k = 0; k < obstacles.size(); ++k) {
            if (!included[k]) continue;
            const auto& ring = obstacles[k].ring;
            pts.insert(pts.end(), ring.begin(), ring.begin() + static_cast<std::ptrdiff_t>(ring_size(ring)));
        }
        convex_hull(pts, work.hull);
        const auto& hull = work.hull;
        const auto is = std::find(hull.begin(), hull.end(), s);
        const auto ir = std::find(hull.begin(), hull.end(), r);
        if (is == hull.end() || ir == hull.end()) return;  // S or R inside the hull: no way around
        const auto i_s = static_cast<std::size_t>(is - hull.begin()), i_r = static_cast<std::size_t>(ir - hull.begin());
        // Counter-clockwise from S to R runs on the right of S -> R; from R to S (reversed) on the left.
        right = chain(hull, i_s, i_r);
        left = chain(hull, i_r, i_s);
        std::reverse(left.begin(), left.end());
        bool grown = false;
        for (const auto* line : {&left, &right}) {
            const double total = polyline_length(*line);
            double u0 = 0.0;
            for (std::size_t leg = 0; leg + 1 < line->size(); ++leg) {
                const Point2& a = (*line)[leg];
                const Point2& b = (*line)[leg + 1];
                for (std::size_t k = 0; k < obstacles.size(); ++k) {
                    if (included[k] || !blocks(obstacles[k], a, b, u0, total, z_s, z_r)) continue;
                    included[k] = 1;
                    grown = true;
                }
                u0 += plan_dist(a, b);
            }
        }
        if (!grown) break;
    }
    const double dz = z_r - z_s;
    const double direct = std::hypot(direct_plan, dz);
    for (auto* line : {&left, &right}) {
        if (line->size() < 3) continue;
        LateralPath p;
        p.side = line == &left ? 1 : -1;
        p.plan = *line;
        p.plan_length_m = polyline_length(p.plan);
        p.length_3d_m = std::hypot(p.plan_length_m, dz);
        p.direct_distance_m = direct;
        p.path_difference_m = p.length_3d_m - direct;
        double e = 0.0;
        for (std::size_t k = 1; k + 2 < p.plan.size(); ++k) e += plan_dist(p.plan[k], p.plan[k + 1]);
        p.edge_span_m = e * p.length_3d_m / p.plan_length_m;
        out.push_back(std::move(p));
    }
}

Bands lateral_delta_dif_db(const LateralPath& path) {
    Bands out{};
    const double e = path.edge_span_m;
    for (std::size_t i = 0; i < kBandCount; ++i) {
        const double lambda = 340.0 / kNominalHz[i];
        const double x = 5.0 * lambda / e;
        const double c2 = (path.edge_count() <= 1 || e <= 0.3) ? 1.0 : (1.0 + x * x) / (1.0 / 3.0 + x * x);
        out[i] = delta_dif_db(path.path_difference_m, lambda, c2);
    }
    return out;
}

PathTerms cnossos_lateral_path(const PathProfile& unfolded, const LateralPath& path, const Bands& alpha, double p) {
    PathTerms t;
    t.distance_m = path.direct_distance_m;
    t.a_div_db = 20.0 * std::log10(std::max(path.direct_distance_m, 1e-3)) + 11.0;
    for (std::size_t i = 0; i < kBandCount; ++i) t.a_atm_db[i] = alpha[i] * path.length_3d_m / 1000.0;
    ground_path_terms(unfolded, t.homogeneous, t.favourable, t.g_path, t.g_path_prime);
    const Bands dif = lateral_delta_dif_db(path);
    t.edge_count_h = t.edge_count_f = path.edge_count();
    for (auto* c : {&t.homogeneous, &t.favourable}) {
        c->diffracted = true;
        c->diffracted_bands = 0xFF;
        c->path_difference_m = path.path_difference_m;
        c->delta_dif_sr = dif;
        for (std::size_t i = 0; i < kBandCount; ++i) {
            c->a_boundary[i] = c->a_ground[i] + dif[i];
            c->attenuation_db[i] = t.a_div_db + t.a_atm_db[i] + c->a_boundary[i];
        }
    }
    for (std::size_t i = 0; i < kBandCount; ++i) {
        t.attenuation_db[i] = long_term_attenuation_db(t.homogeneous.attenuation_db[i], t.favourable.attenuation_db[i], p);
    }
    return t;
}

Bands combine_paths_attenuation_db(const std::vector<Bands>& attenuations) {
    Bands out{};
    for (std::size_t i = 0; i < kBandCount; ++i) {
        double e = 0.0;
        for (const auto& a : attenuations) e += std::pow(10.0, -a[i] / 10.0);
        out[i] = e > 0.0 ? -10.0 * std::log10(e) : std::numeric_limits<double>::infinity();
    }
    return out;
}

}  // namespace areatwin::indicators::noise
