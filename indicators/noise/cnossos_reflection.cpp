// SPDX-License-Identifier: GPL-3.0-or-later
#include "noise/cnossos_reflection.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "areatwin/engine/errors.hpp"

namespace areatwin::indicators::noise {

namespace {

// Plan tolerances: a reflection point within 1 mm of a facade end still lies on the facade; a leg that only
// touches another facade of the building within 1 mm (a shared corner) is not blocked by it.
constexpr double kOnSegmentTolM = 1e-3;
constexpr double kSideTolM = 1e-6;

double cross(const Point2& o, const Point2& a, const Point2& b) {
    return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

double plan_dist(const Point2& a, const Point2& b) { return std::hypot(b.x - a.x, b.y - a.y); }

// Signed distance of p from the line a -> b, positive on the left.
double side_of(const Facade& f, const Point2& p) { return cross(f.a, f.b, p) / plan_dist(f.a, f.b); }

Point2 mirror(const Facade& f, const Point2& p) {
    const double dx = f.b.x - f.a.x, dy = f.b.y - f.a.y;
    const double t = ((p.x - f.a.x) * dx + (p.y - f.a.y) * dy) / (dx * dx + dy * dy);
    const Point2 foot{f.a.x + t * dx, f.a.y + t * dy};
    return {2.0 * foot.x - p.x, 2.0 * foot.y - p.y};
}

// Intersection of the segment p -> q with the facade line; u is the position along a -> b (0..1 on the
// facade), t along p -> q. False when parallel.
bool line_hit(const Facade& f, const Point2& p, const Point2& q, Point2& hit, double& u, double& t) {
    const double rx = q.x - p.x, ry = q.y - p.y, sx = f.b.x - f.a.x, sy = f.b.y - f.a.y;
    const double den = rx * sy - ry * sx;
    if (den == 0.0) return false;
    t = ((f.a.x - p.x) * sy - (f.a.y - p.y) * sx) / den;
    u = ((f.a.x - p.x) * ry - (f.a.y - p.y) * rx) / den;
    hit = {p.x + t * rx, p.y + t * ry};
    return true;
}

// True when the open segment p -> q crosses the facade away from both ends of p -> q and from the
// facade's own ends (a touch at a shared corner does not block).
bool crosses(const Facade& f, const Point2& p, const Point2& q) {
    Point2 hit;
    double u = 0.0, t = 0.0;
    if (!line_hit(f, p, q, hit, u, t)) return false;
    const double len_pq = plan_dist(p, q), len_f = plan_dist(f.a, f.b);
    const double tol_t = kOnSegmentTolM / std::max(len_pq, kOnSegmentTolM);
    const double tol_u = kOnSegmentTolM / std::max(len_f, kOnSegmentTolM);
    return t > tol_t && t < 1.0 - tol_t && u > tol_u && u < 1.0 - tol_u;
}

bool reflecting_side_ok(const Facade& f, double side) {
    if (std::abs(side) <= kSideTolM) return false;
    return f.side == 0 || (f.side > 0 ? side > 0.0 : side < 0.0);
}

bool fully_absorbing(const Facade& f) {
    return std::all_of(f.absorption.begin(), f.absorption.end(), [](double a) { return a >= 1.0; });
}

constexpr std::uint32_t kNone = static_cast<std::uint32_t>(-1);

// True when the leg a -> b crosses a facade of `owner` other than skip0 / skip1 (the facades the leg ends on).
bool leg_blocked_by_owner(const FacadeIndex& index, std::int64_t owner, const Point2& a, const Point2& b,
                          std::uint32_t skip0, std::uint32_t skip1) {
    if (owner < 0) return false;
    const auto [first, last] = index.owner_facades(owner);
    for (const std::uint32_t* it = first; it != last; ++it) {
        if (*it == skip0 || *it == skip1) continue;
        if (crosses(index.facades()[*it], a, b)) return true;
    }
    return false;
}

// Straight and curved ray heights at the reflection points, validity against the facades, absorption.
bool finish_path(const FacadeIndex& index, double z_s, double z_r, ReflectionPath& path) {
    const double x = path.length_m;
    const double d = std::sqrt(x * x + (z_r - z_s) * (z_r - z_s));
    const double gamma = std::max(1000.0, 8.0 * d);
    const double base = std::sqrt(std::max(0.0, gamma * gamma - x * x / 4.0));
    path.valid_homogeneous = true;
    path.valid_favourable = true;
    path.absorption_db.fill(0.0);
    for (std::size_t j = 0; j < path.order; ++j) {
        ReflectionPoint& p = path.points[j];
        const Facade& f = index.facades()[p.facade];
        p.ray_z_h_m = z_s + (z_r - z_s) * p.unfolded_x_m / x;
        const double dx = p.unfolded_x_m - x / 2.0;
        p.ray_z_f_m = p.ray_z_h_m + std::sqrt(std::max(0.0, gamma * gamma - dx * dx)) - base;
        path.valid_homogeneous = path.valid_homogeneous && p.ray_z_h_m >= f.base_z_m && p.ray_z_h_m <= f.top_z_m;
        path.valid_favourable = path.valid_favourable && p.ray_z_f_m >= f.base_z_m && p.ray_z_f_m <= f.top_z_m;
        const Bands a = reflection_absorption_db(f.absorption);
        for (std::size_t i = 0; i < kBandCount; ++i) path.absorption_db[i] += a[i];
    }
    return path.valid_homogeneous || path.valid_favourable;
}

struct Search {
    const FacadeIndex& index;
    const std::vector<std::uint32_t>& candidates;
    Point2 s, r;
    double z_s, z_r;
    const ReflectionOptions& options;
    std::vector<ReflectionPath>& out;

    // Evaluates the facade sequence seq[0 .. k) (from S to R).
    void evaluate(const std::uint32_t* seq, std::size_t k) const {
        const auto& facades = index.facades();
        std::array<Point2, kMaxReflectionOrder + 1> images{};
        images[0] = s;
        for (std::size_t j = 0; j < k; ++j) images[j + 1] = mirror(facades[seq[j]], images[j]);
        ReflectionPath path;
        path.order = k;
        // Back-trace from R: P_j is where image_j -> (P_{j+1} or R) meets facade j.
        Point2 target = r;
        for (std::size_t jj = k; jj-- > 0;) {
            const Facade& f = facades[seq[jj]];
            Point2 hit;
            double u = 0.0, t = 0.0;
            if (!line_hit(f, images[jj + 1], target, hit, u, t)) return;
            const double tol_u = kOnSegmentTolM / plan_dist(f.a, f.b);
            if (u < -tol_u || u > 1.0 + tol_u || t <= 0.0 || t >= 1.0) return;
            path.points[jj].plan = hit;
            path.points[jj].facade = seq[jj];
            target = hit;
        }
        // Each reflection: the previous and the next point on the same, reflecting side of the facade.
        for (std::size_t j = 0; j < k; ++j) {
            const Facade& f = facades[seq[j]];
            const Point2 prev = j == 0 ? s : path.points[j - 1].plan;
            const Point2 next = j + 1 == k ? r : path.points[j + 1].plan;
            const double sp = side_of(f, prev), sn = side_of(f, next);
            if (!reflecting_side_ok(f, sp) || !reflecting_side_ok(f, sn) || (sp > 0.0) != (sn > 0.0)) return;
        }
        if (options.min_receiver_wall_distance_m > 0.0 &&
            plan_dist(path.points[k - 1].plan, r) < options.min_receiver_wall_distance_m) {
            return;
        }
        // Unfolded length and the legs against the other facades of every reflecting building.
        double x = 0.0;
        for (std::size_t leg = 0; leg <= k; ++leg) {
            const Point2 a = path.leg_start(leg, s), b = path.leg_end(leg, r);
            for (std::size_t j = 0; j < k; ++j) {
                if (leg_blocked_by_owner(index, facades[seq[j]].owner, a, b, leg > 0 ? seq[leg - 1] : kNone,
                                         leg < k ? seq[leg] : kNone)) {
                    return;
                }
            }
            x += plan_dist(a, b);
            if (leg < k) path.points[leg].unfolded_x_m = x;
        }
        path.length_m = x;
        if (!(x <= options.max_path_length_m)) return;
        // Heights of the unfolded ray at each reflection point: straight (H) and circular arc (F, notes 8.5).
        if (finish_path(index, z_s, z_r, path)) out.push_back(path);
    }

    void recurse(std::uint32_t* seq, std::size_t depth, std::size_t order) const {
        if (depth == order) {
            evaluate(seq, order);
            return;
        }
        for (const std::uint32_t c : candidates) {
            if (depth > 0 && c == seq[depth - 1]) continue;
            if (fully_absorbing(index.facades()[c])) continue;
            seq[depth] = c;
            recurse(seq, depth + 1, order);
        }
    }
};

}  // namespace

FacadeIndex::FacadeIndex(double bucket_m) : bucket_m_(bucket_m) {
    if (!(bucket_m > 0.0)) throw ConfigError("facade index: the bucket size must be > 0 m, got " + std::to_string(bucket_m));
}

std::size_t FacadeIndex::add(const Facade& facade) {
    if (finished_) throw InternalError("facade index: add() after finish()");
    for (std::size_t i = 0; i < kBandCount; ++i) {
        const double a = facade.absorption[i];
        if (!(a >= 0.0 && a <= 1.0)) {
            throw DataError("facade " + std::to_string(facades_.size()) + " (owner " + std::to_string(facade.owner) +
                            "): absorption at " + std::to_string(static_cast<int>(kNominalHz[i])) +
                            " Hz must be in [0, 1], got " + std::to_string(a));
        }
    }
    if (!(plan_dist(facade.a, facade.b) > kOnSegmentTolM) || !(facade.top_z_m > facade.base_z_m)) {
        return static_cast<std::size_t>(-1);
    }
    facades_.push_back(facade);
    return facades_.size() - 1;
}

std::size_t FacadeIndex::add_building(const std::vector<Point2>& ring, double base_z_m, double top_z_m,
                                      const Bands& absorption, std::int64_t owner) {
    std::size_t n = ring.size();
    if (n >= 2 && ring.front() == ring.back()) --n;
    if (n < 3) return 0;
    double area2 = 0.0;  // twice the signed area, > 0 counter-clockwise
    for (std::size_t i = 0; i < n; ++i) {
        const Point2& a = ring[i];
        const Point2& b = ring[(i + 1) % n];
        area2 += a.x * b.y - b.x * a.y;
    }
    // Counter-clockwise ring: the outside is on the right of every edge.
    const int outside = area2 > 0.0 ? -1 : 1;
    std::size_t added = 0;
    for (std::size_t i = 0; i < n; ++i) {
        Facade f;
        f.a = ring[i];
        f.b = ring[(i + 1) % n];
        f.base_z_m = base_z_m;
        f.top_z_m = top_z_m;
        f.absorption = absorption;
        f.side = outside;
        f.owner = owner;
        if (add(f) != static_cast<std::size_t>(-1)) ++added;
    }
    return added;
}

void FacadeIndex::finish() {
    finished_ = true;
    by_owner_.clear();
    for (std::uint32_t id = 0; id < facades_.size(); ++id) {
        if (facades_[id].owner >= 0) by_owner_.push_back(id);
    }
    std::stable_sort(by_owner_.begin(), by_owner_.end(),
                     [&](std::uint32_t x, std::uint32_t y) { return facades_[x].owner < facades_[y].owner; });
    if (facades_.empty()) {
        cols_ = rows_ = 0;
        offsets_.assign(1, 0);
        return;
    }
    extent_ = {std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity(),
               -std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()};
    for (const auto& f : facades_) {
        extent_.min_x = std::min({extent_.min_x, f.a.x, f.b.x});
        extent_.min_y = std::min({extent_.min_y, f.a.y, f.b.y});
        extent_.max_x = std::max({extent_.max_x, f.a.x, f.b.x});
        extent_.max_y = std::max({extent_.max_y, f.a.y, f.b.y});
    }
    cols_ = static_cast<std::int64_t>(std::floor((extent_.max_x - extent_.min_x) / bucket_m_)) + 1;
    rows_ = static_cast<std::int64_t>(std::floor((extent_.max_y - extent_.min_y) / bucket_m_)) + 1;
    const auto col_of = [&](double x) {
        return std::clamp(static_cast<std::int64_t>(std::floor((x - extent_.min_x) / bucket_m_)), std::int64_t{0}, cols_ - 1);
    };
    const auto row_of = [&](double y) {
        return std::clamp(static_cast<std::int64_t>(std::floor((y - extent_.min_y) / bucket_m_)), std::int64_t{0}, rows_ - 1);
    };
    std::vector<std::uint32_t> counts(static_cast<std::size_t>(cols_ * rows_) + 1, 0);
    // Two passes (count, fill) over the buckets each facade's bounding box covers.
    for (int pass = 0; pass < 2; ++pass) {
        for (std::size_t id = 0; id < facades_.size(); ++id) {
            const auto& f = facades_[id];
            const std::int64_t c0 = col_of(std::min(f.a.x, f.b.x)), c1 = col_of(std::max(f.a.x, f.b.x));
            const std::int64_t r0 = row_of(std::min(f.a.y, f.b.y)), r1 = row_of(std::max(f.a.y, f.b.y));
            for (std::int64_t row = r0; row <= r1; ++row) {
                for (std::int64_t col = c0; col <= c1; ++col) {
                    const auto b = static_cast<std::size_t>(row * cols_ + col);
                    if (pass == 0) {
                        ++counts[b + 1];
                    } else {
                        ids_[counts[b]++] = static_cast<std::uint32_t>(id);
                    }
                }
            }
        }
        if (pass == 0) {
            for (std::size_t b = 1; b < counts.size(); ++b) counts[b] += counts[b - 1];
            offsets_ = counts;
            ids_.assign(counts.back(), 0);
        }
    }
}

std::pair<const std::uint32_t*, const std::uint32_t*> FacadeIndex::owner_facades(std::int64_t owner) const {
    if (owner < 0 || by_owner_.empty()) return {nullptr, nullptr};
    const auto less = [&](std::uint32_t id, std::int64_t o) { return facades_[id].owner < o; };
    const auto* first = std::lower_bound(by_owner_.data(), by_owner_.data() + by_owner_.size(), owner, less);
    const auto* last = first;
    while (last != by_owner_.data() + by_owner_.size() && facades_[*last].owner == owner) ++last;
    return {first, last};
}

void FacadeIndex::query(const Box2& box, std::vector<std::uint32_t>& out) const {
    if (!finished_) throw InternalError("facade index: query() before finish()");
    out.clear();
    if (facades_.empty() || box.max_x < extent_.min_x || box.min_x > extent_.max_x || box.max_y < extent_.min_y ||
        box.min_y > extent_.max_y) {
        return;
    }
    const auto clamp_col = [&](double x) {
        return std::clamp(static_cast<std::int64_t>(std::floor((x - extent_.min_x) / bucket_m_)), std::int64_t{0}, cols_ - 1);
    };
    const auto clamp_row = [&](double y) {
        return std::clamp(static_cast<std::int64_t>(std::floor((y - extent_.min_y) / bucket_m_)), std::int64_t{0}, rows_ - 1);
    };
    const std::int64_t c0 = clamp_col(box.min_x), c1 = clamp_col(box.max_x);
    const std::int64_t r0 = clamp_row(box.min_y), r1 = clamp_row(box.max_y);
    for (std::int64_t row = r0; row <= r1; ++row) {
        for (std::int64_t col = c0; col <= c1; ++col) {
            const auto b = static_cast<std::size_t>(row * cols_ + col);
            for (std::uint32_t k = offsets_[b]; k < offsets_[b + 1]; ++k) {
                const auto& f = facades_[ids_[k]];
                if (std::max(f.a.x, f.b.x) < box.min_x || std::min(f.a.x, f.b.x) > box.max_x ||
                    std::max(f.a.y, f.b.y) < box.min_y || std::min(f.a.y, f.b.y) > box.max_y) {
                    continue;
                }
                out.push_back(ids_[k]);
            }
        }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
}

std::vector<Point2> ReflectionPath::polyline(const Point2& s, const Point2& r) const {
    std::vector<Point2> line;
    line.reserve(order + 2);
    line.push_back(s);
    for (std::size_t j = 0; j < order; ++j) line.push_back(points[j].plan);
    line.push_back(r);
    return line;
}

void find_reflections(const FacadeIndex& index, const Point2& s, double z_s_m, const Point2& r, double z_r_m,
                      const ReflectionOptions& options, ReflectionWorkspace& work, std::vector<ReflectionPath>& out) {
    out.clear();
    if (options.max_order < 1 || options.max_order > kMaxReflectionOrder) {
        throw ConfigError("reflection order must be 1.." + std::to_string(kMaxReflectionOrder) + ", got " +
                          std::to_string(options.max_order));
    }
    // Every point of a path no longer than L lies in the ellipse |SX| + |XR| <= L; its bounding box.
    const double length = options.max_path_length_m;
    const double c = plan_dist(s, r) / 2.0;
    const double a = length / 2.0;
    if (!(a > c)) return;
    const double b = std::sqrt(a * a - c * c);
    const double cos_t = c > 0.0 ? (r.x - s.x) / (2.0 * c) : 1.0;
    const double sin_t = c > 0.0 ? (r.y - s.y) / (2.0 * c) : 0.0;
    const double hx = std::sqrt(a * a * cos_t * cos_t + b * b * sin_t * sin_t);
    const double hy = std::sqrt(a * a * sin_t * sin_t + b * b * cos_t * cos_t);
    const Point2 mid{(s.x + r.x) / 2.0, (s.y + r.y) / 2.0};
    index.query({mid.x - hx, mid.y - hy, mid.x + hx, mid.y + hy}, work.candidates);
    if (work.candidates.empty()) return;
    const Search search{index, work.candidates, s, r, z_s_m, z_r_m, options, out};
    std::array<std::uint32_t, kMaxReflectionOrder> seq{};
    for (std::size_t order = 1; order <= options.max_order; ++order) search.recurse(seq.data(), 0, order);
}

void ReceiverReflections::prepare(const FacadeIndex& index, const Point2& r, double z_r_m, double radius_m,
                                  const ReflectionOptions& options) {
    if (!index.finished()) throw InternalError("facade index: prepare() before finish()");
    index_ = &index;
    r_ = r;
    z_r_ = z_r_m;
    options_ = options;
    kept_.clear();
    index.query({r.x - radius_m, r.y - radius_m, r.x + radius_m, r.y + radius_m}, candidates_);
    for (const std::uint32_t id : candidates_) {
        const Facade& f = index.facades()[id];
        if (fully_absorbing(f)) continue;
        const double side = side_of(f, r);
        if (!reflecting_side_ok(f, side)) continue;
        kept_.push_back({id, f.a, f.b, mirror(f, r), side > 0.0 ? 1.0 : -1.0});
    }
}

void ReceiverReflections::paths_from(const Point2& s, double z_s_m, std::vector<ReflectionPath>& out) const {
    out.clear();
    if (index_ == nullptr) return;
    for (const Kept& k : kept_) {
        // S on the same (reflecting) side as R.
        const double cs = cross(k.a, k.b, s);
        if (cs * k.side_r <= 0.0) continue;
        const double len_f = plan_dist(k.a, k.b);
        if (std::abs(cs) / len_f <= kSideTolM) continue;
        // P: where S -> R' meets the facade; on the segment, strictly between S and R'.
        const double rx = k.image.x - s.x, ry = k.image.y - s.y, sx = k.b.x - k.a.x, sy = k.b.y - k.a.y;
        const double den = rx * sy - ry * sx;
        if (den == 0.0) continue;
        const double t = ((k.a.x - s.x) * sy - (k.a.y - s.y) * sx) / den;
        const double u = ((k.a.x - s.x) * ry - (k.a.y - s.y) * rx) / den;
        const double tol_u = kOnSegmentTolM / len_f;
        if (u < -tol_u || u > 1.0 + tol_u || t <= 0.0 || t >= 1.0) continue;
        ReflectionPath path;
        path.order = 1;
        path.points[0].plan = {s.x + t * rx, s.y + t * ry};
        path.points[0].facade = k.id;
        const double leg0 = plan_dist(s, path.points[0].plan);
        path.points[0].unfolded_x_m = leg0;
        path.length_m = std::sqrt(rx * rx + ry * ry);
        if (!(path.length_m <= options_.max_path_length_m)) continue;
        if (options_.min_receiver_wall_distance_m > 0.0 &&
            plan_dist(path.points[0].plan, r_) < options_.min_receiver_wall_distance_m) {
            continue;
        }
        const std::int64_t owner = index_->facades()[k.id].owner;
        if (leg_blocked_by_owner(*index_, owner, s, path.points[0].plan, kNone, k.id) ||
            leg_blocked_by_owner(*index_, owner, path.points[0].plan, r_, k.id, kNone)) {
            continue;
        }
        if (finish_path(*index_, z_s_m, z_r_, path)) out.push_back(path);
    }
}

Bands reflection_absorption_db(const Bands& alpha) {
    Bands out{};
    for (std::size_t i = 0; i < kBandCount; ++i) {
        out[i] = alpha[i] >= 1.0 ? std::numeric_limits<double>::infinity() : -10.0 * std::log10(1.0 - alpha[i]);
    }
    return out;
}

Bands reflected_attenuation_db(const PathTerms& terms, const ReflectionPath& path, double p) {
    Bands out{};
    for (std::size_t i = 0; i < kBandCount; ++i) {
        const double e_h = path.valid_homogeneous
                               ? std::pow(10.0, -(terms.homogeneous.attenuation_db[i] + path.absorption_db[i]) / 10.0)
                               : 0.0;
        const double e_f = path.valid_favourable
                               ? std::pow(10.0, -(terms.favourable.attenuation_db[i] + path.absorption_db[i]) / 10.0)
                               : 0.0;
        const double e = p * e_f + (1.0 - p) * e_h;
        out[i] = e > 0.0 ? -10.0 * std::log10(e) : std::numeric_limits<double>::infinity();
    }
    return out;
}

void append_leg(PathProfile& unfolded, const PathProfile& leg, double x0) {
    for (const auto& pt : leg.terrain) {
        const ProfilePoint shifted{pt.x_m + x0, pt.z_m};
        // The joint: the previous leg ends where this one starts.
        if (!unfolded.terrain.empty() && shifted.x_m <= unfolded.terrain.back().x_m + 1e-9) continue;
        unfolded.terrain.push_back(shifted);
    }
    for (const auto& span : leg.ground) {
        const GroundSpan shifted{span.x0_m + x0, span.x1_m + x0, span.g};
        if (!unfolded.ground.empty() && unfolded.ground.back().g == shifted.g &&
            std::abs(unfolded.ground.back().x1_m - shifted.x0_m) <= 1e-9) {
            unfolded.ground.back().x1_m = shifted.x1_m;
        } else {
            unfolded.ground.push_back(shifted);
        }
    }
    for (const auto& top : leg.tops) unfolded.tops.push_back({top.x_m + x0, top.z_m});
}

}  // namespace areatwin::indicators::noise
