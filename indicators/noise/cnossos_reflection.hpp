// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "areatwin/engine/grid.hpp"
#include "noise/cnossos_path.hpp"

// Specular reflections on vertical facades by the image-source method (CNOSSOS-EU, Directive 2015/996
// Annex II section 2.5.8 "Reflections on vertical obstacles", as amended by 2021/1226; method notes
// ../shared/reference/noise-method.md section 8.4).
//
// Coordinates: plan positions are in the grid CRS (metres, x east, y north); altitudes z are absolute
// (the same datum as the profile terrain). A reflected path S -> P_1 -> ... -> P_k -> R is evaluated as a
// direct path over the *unfolded* vertical profile: the legs are laid end to end, x running from 0 at S to
// the unfolded length at R, and cnossos_path() is called on that profile (notes 8.4). The reflected level
// then loses the facade absorption of every reflection (reflection_absorption_db), and a condition in which
// the ray passes over a facade top (or under its foot) contributes nothing (reflected_attenuation_db).
namespace areatwin::indicators::noise {

inline constexpr std::size_t kMaxReflectionOrder = 4;
// Wall absorption when none is given: 0.1 in every band, NoiseModelling's default (noise-method.md 14.1).
inline constexpr double kDefaultWallAbsorption = 0.1;

// One vertical reflecting surface: a straight wall in plan from a to b between two altitudes.
struct Facade {
    Point2 a, b;
    double base_z_m = 0.0;  // altitude of the foot of the wall
    double top_z_m = 0.0;   // altitude of the top edge (eaves / barrier top)
    // alpha_r per octave band 63-8000 Hz, 0 (fully reflecting) .. 1 (fully absorbing); default 0.1.
    Bands absorption{kDefaultWallAbsorption, kDefaultWallAbsorption, kDefaultWallAbsorption, kDefaultWallAbsorption,
                     kDefaultWallAbsorption, kDefaultWallAbsorption, kDefaultWallAbsorption, kDefaultWallAbsorption};
    // Which side reflects: 0 both sides (a free-standing barrier), +1 only towards the left of a -> b,
    // -1 only towards the right of a -> b (a building facade: the outside). add_building() sets it from the
    // ring orientation.
    int side = 0;
    // Facades with the same owner >= 0 belong to one building: a reflected leg may not cross another facade
    // of the reflecting building (the building screens its own reflection). -1: no owner.
    std::int64_t owner = -1;
};

// The facades of an area with a uniform grid of buckets over their plan bounding boxes. Immutable after
// construction, so one index serves every thread.
class FacadeIndex {
public:
    // bucket_m: side of a bucket (default 50 m: a few facades per bucket in a town).
    explicit FacadeIndex(double bucket_m = 50.0);

    // Adds one facade; returns its index. ConfigError-free: a zero-length facade or top <= base is skipped
    // (returns SIZE_MAX) since it cannot reflect.
    std::size_t add(const Facade& facade);
    // Adds every edge of a building footprint ring (closed or open; either orientation) as a facade
    // reflecting towards the outside of the ring, with one owner id. Returns the number of facades added.
    std::size_t add_building(const std::vector<Point2>& ring, double base_z_m, double top_z_m, const Bands& absorption,
                             std::int64_t owner);
    // Builds the buckets; call once after the last add() and before any query. add() after finish() is an error.
    void finish();

    [[nodiscard]] const std::vector<Facade>& facades() const { return facades_; }
    [[nodiscard]] bool finished() const { return finished_; }

    // Indices of the facades whose bounding box meets the box, sorted ascending, without duplicates,
    // written into `out` (cleared first).
    void query(const Box2& box, std::vector<std::uint32_t>& out) const;
    // The facades of one owner (ascending indices; empty for owner < 0 or an unknown owner).
    [[nodiscard]] std::pair<const std::uint32_t*, const std::uint32_t*> owner_facades(std::int64_t owner) const;

private:
    double bucket_m_;
    bool finished_ = false;
    std::vector<Facade> facades_;
    Box2 extent_{};
    std::int64_t cols_ = 0, rows_ = 0;
    std::vector<std::uint32_t> offsets_;  // CSR: bucket b holds ids_[offsets_[b] .. offsets_[b + 1])
    std::vector<std::uint32_t> ids_;
    std::vector<std::uint32_t> by_owner_;  // facade indices sorted by (owner, index), owners >= 0 only
};

struct ReflectionOptions {
    std::size_t max_order = 1;  // reflection order, 1..kMaxReflectionOrder (default 1, notes 8.4)
    // Longest unfolded horizontal S -> R length searched (m); bounds the search ellipse |SP| + |PR| <= L.
    double max_path_length_m = 500.0;
    // A reflection point closer than this (plan) to the receiver is skipped: the receiver's own facade
    // (facade receivers report the incident sound, notes 11). 0 keeps all.
    double min_receiver_wall_distance_m = 0.0;
};

struct ReflectionPoint {
    Point2 plan;                 // on the facade segment
    std::uint32_t facade = 0;    // index into FacadeIndex::facades()
    double unfolded_x_m = 0.0;   // horizontal distance from S along the unfolded path
    double ray_z_h_m = 0.0;      // altitude of the straight unfolded ray S -> R above P (homogeneous)
    double ray_z_f_m = 0.0;      // altitude of the curved ray (favourable, Gamma = max(1000, 8 d), notes 8.5)
};

struct ReflectionPath {
    std::size_t order = 0;
    std::array<ReflectionPoint, kMaxReflectionOrder> points{};  // points[0 .. order), from S to R
    double length_m = 0.0;              // unfolded horizontal length |SP_1| + ... + |P_kR|
    bool valid_homogeneous = false;     // the straight ray meets every facade between foot and top
    bool valid_favourable = false;      // the curved ray does (it passes higher: notes 8.4)
    Bands absorption_db{};              // sum over reflections of -10 lg(1 - alpha_r) per band (>= 0; inf for alpha = 1)

    // The plan polyline S, P_1 .. P_k, R (order + 2 points).
    [[nodiscard]] std::vector<Point2> polyline(const Point2& s, const Point2& r) const;
    // Plan end points of leg j (0 .. order): S or P_j to P_{j+1} or R.
    [[nodiscard]] Point2 leg_start(std::size_t j, const Point2& s) const { return j == 0 ? s : points[j - 1].plan; }
    [[nodiscard]] Point2 leg_end(std::size_t j, const Point2& r) const { return j == order ? r : points[j].plan; }
};

// Reusable buffers of one thread for find_reflections (no allocation once warmed up).
struct ReflectionWorkspace {
    std::vector<std::uint32_t> candidates;
};

// Every valid specular reflection path S -> R on the facades of `index`, up to options.max_order, appended to
// `out` (cleared first) in a deterministic order (by order, then by facade indices). S and R are plan
// positions with absolute altitudes z_s, z_r. A path is returned when it is valid in at least one condition:
// each reflection point lies on its facade segment, S (or its image) and R are on the reflecting side, the
// legs do not cross another facade of a reflecting building, and the unfolded ray at each P passes between
// the facade's foot and top (straight ray: homogeneous; curved ray: favourable). A facade with alpha = 1 in
// every band gives no path. Screening by other buildings is left to the vertical profile of the legs.
void find_reflections(const FacadeIndex& index, const Point2& s, double z_s_m, const Point2& r, double z_r_m,
                      const ReflectionOptions& options, ReflectionWorkspace& work, std::vector<ReflectionPath>& out);

// First-order reflections for one receiver and many sources (the scale loop): prepare() keeps the facades
// within `radius_m` of R that R sees from their reflecting side, with R's image in each; paths_from() then
// costs a few multiplications per kept facade and source. The paths are those find_reflections returns
// for max_order = 1 and the same max_path_length_m / min_receiver_wall_distance_m (facades beyond radius_m
// excepted: choose radius_m >= max_path_length_m / 2 + the S-R distances of interest, or simply the
// maximum propagation distance). One object per thread; prepare() reuses its buffers.
class ReceiverReflections {
public:
    void prepare(const FacadeIndex& index, const Point2& r, double z_r_m, double radius_m, const ReflectionOptions& options);
    // Appends to `out` (cleared first), in ascending facade order.
    void paths_from(const Point2& s, double z_s_m, std::vector<ReflectionPath>& out) const;
    [[nodiscard]] std::size_t facade_count() const { return kept_.size(); }

private:
    struct Kept {
        std::uint32_t id;
        Point2 a, b;       // facade ends
        Point2 image;      // R mirrored in the facade line
        double side_r;     // sign of R's side (+1 left of a -> b, -1 right)
    };
    const FacadeIndex* index_ = nullptr;
    Point2 r_{};
    double z_r_ = 0.0;
    ReflectionOptions options_{};
    std::vector<std::uint32_t> candidates_;
    std::vector<Kept> kept_;
};

// -10 lg(1 - alpha) per band, the attenuation of one reflection (Annex II 2.5.8: the image source's power is
// L_W + 10 lg(1 - alpha_r); notes 8.4). +inf for alpha >= 1.
Bands reflection_absorption_db(const Bands& alpha);

// The long-term attenuation (dB per band, the PathTerms::attenuation_db analogue) of a reflected path from the
// terms of its unfolded profile: A_H + absorption and A_F + absorption, mixed with p as in notes 9, a
// condition in which the path is not valid contributing no energy. +inf where nothing arrives.
Bands reflected_attenuation_db(const PathTerms& unfolded_terms, const ReflectionPath& path, double p_favourable);

// What the leg cutter is asked for: the plan segment of leg j and, at each end, the facade reflected there
// (-1 at S and R), so the cutter can leave the reflecting building out of that end of the leg's profile.
struct LegRequest {
    std::size_t leg = 0;
    Point2 from, to;
    std::int64_t from_facade = -1, to_facade = -1;
};

// Appends one leg's profile (x from 0 at the leg's start to leg.length_m) to the unfolded profile at offset
// x0_m. Terrain vertices at the joint are merged; ground spans and tops are shifted. The leg's source_z_m,
// receiver_z_m and source_g are ignored.
void append_leg(PathProfile& unfolded, const PathProfile& leg, double x0_m);

// The unfolded profile of a reflected path: calls cut(request, leg_profile) for every leg in order (the
// caller's grid cut fills leg_profile, x from 0 to the leg's plan length) and lays the legs end to end.
// z_s_m / z_r_m are the absolute altitudes of S and R, g_s the G_s of the source. `leg` is a scratch
// profile reused between legs; `out` is overwritten (its buffers are reused).
template <typename LegCutter>
void unfold_profile(const ReflectionPath& path, const Point2& s, double z_s_m, const Point2& r, double z_r_m,
                    double g_s, LegCutter&& cut, PathProfile& leg, PathProfile& out) {
    out.terrain.clear();
    out.ground.clear();
    out.tops.clear();
    double x0 = 0.0;
    for (std::size_t j = 0; j <= path.order; ++j) {
        LegRequest req;
        req.leg = j;
        req.from = path.leg_start(j, s);
        req.to = path.leg_end(j, r);
        req.from_facade = j == 0 ? -1 : static_cast<std::int64_t>(path.points[j - 1].facade);
        req.to_facade = j == path.order ? -1 : static_cast<std::int64_t>(path.points[j].facade);
        leg.terrain.clear();
        leg.ground.clear();
        leg.tops.clear();
        leg.length_m = std::hypot(req.to.x - req.from.x, req.to.y - req.from.y);
        cut(static_cast<const LegRequest&>(req), leg);
        append_leg(out, leg, x0);
        x0 += leg.length_m;
    }
    out.length_m = x0;
    out.source_z_m = z_s_m;
    out.receiver_z_m = z_r_m;
    out.source_g = g_s;
}

}  // namespace areatwin::indicators::noise
