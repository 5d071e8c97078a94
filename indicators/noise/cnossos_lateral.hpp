// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "areatwin/engine/grid.hpp"
#include "noise/cnossos_path.hpp"
#include "noise/cnossos_reflection.hpp"

// Lateral diffraction around vertical edges (CNOSSOS-EU, Directive 2015/996 Annex II 2.5.7 as amended by
// 2021/1226; method notes ../shared/reference/noise-method.md 8.1-8.3 and 6.1). Off by default in the
// model, as in common practice (notes 8.3, 14.1).
//
// Geometry: the two lateral paths run in plan around the convex hull of S, R and the footprints of the
// obstacles that block the straight path, one on each side of S -> R. The obstacles taken are those whose
// footprint a path leg crosses in plan where their top is above the ray (the straight line from z_s to z_r,
// linear in the unfolded distance); the hull grows until no leg of either side crosses a further one.
// Heights: the lateral path is unfolded into the vertical plane like a reflected path, so its 3D length is
// sqrt(L^2 + (z_r - z_s)^2) with L its plan length, and the path difference is that minus the direct 3D
// distance.
//
// Attenuation (notes 8.3): A_dif = Delta_dif(S, R) with C'' for several edges and no Delta_ground terms; the
// ground effect is A_ground of the unfolded lateral profile (the caller cuts it along the legs, e.g. with
// unfold_polyline). A_div uses the direct 3D distance (notes 6.1), A_atm the lateral path length
// (NoiseModelling AttenuationCnossos, paths with vertical-edge points). The favourable condition uses the
// same path difference as the homogeneous one with the favourable ground term (ISO/TR 17534-4 TC08 lists
// equal Delta_dif H and F for both lateral paths).
namespace areatwin::indicators::noise {

struct LateralObstacle {
    // Footprint in plan (grid CRS, m): a ring, closed or open, either orientation; a thin wall may be given
    // as its two end points.
    std::vector<Point2> ring;
    double top_z_m = 0.0;  // absolute altitude of the top
};

struct LateralPath {
    int side = 0;                     // +1 on the left of S -> R, -1 on the right
    std::vector<Point2> plan;         // S, the vertical edges in order, R
    double plan_length_m = 0.0;       // L, along plan
    double length_3d_m = 0.0;         // sqrt(L^2 + (z_r - z_s)^2)
    double direct_distance_m = 0.0;   // 3D S-R distance
    double path_difference_m = 0.0;   // length_3d_m - direct_distance_m
    double edge_span_m = 0.0;         // e: 3D length between the first and the last edge (0 for one edge)
    [[nodiscard]] std::size_t edge_count() const { return plan.size() >= 2 ? plan.size() - 2 : 0; }
};

struct LateralWorkspace {
    std::vector<std::uint8_t> included;
    std::vector<Point2> points, hull;
};

// The left and right lateral paths (0, 1 or 2, left first) around the obstacles; none when no obstacle
// blocks the straight path, or when S or R lies inside the hull (then no path passes around it).
void lateral_paths(const std::vector<LateralObstacle>& obstacles, const Point2& s, double z_s_m, const Point2& r,
                   double z_r_m, LateralWorkspace& work, std::vector<LateralPath>& out);

// Delta_dif(S, R) per band of a lateral path: 10 lg(3 + 40 C'' delta / lambda), lambda = 340 / f, C'' = 1
// for one edge (or e <= 0.3 m), (1 + (5 lambda/e)^2) / (1/3 + (5 lambda/e)^2) otherwise (notes 8.2). No
// 25 dB cap: the cap of A_dif (8.3) belongs to the vertical plane; ISO/TR 17534-4 TC08 lists lateral
// Delta_dif up to 44 dB.
Bands lateral_delta_dif_db(const LateralPath& path);

// All the terms of a lateral path: ground terms of the unfolded lateral profile (its tops are ignored),
// plus Delta_dif of the path, A_div over the direct distance, A_atm over the path length. The profile's
// length_m should equal path.plan_length_m.
PathTerms cnossos_lateral_path(const PathProfile& unfolded, const LateralPath& path, const Bands& alpha_db_per_km,
                               double p_favourable);

// Energetic sum of the paths of one source-receiver pair: -10 lg sum_k 10^(-A_k/10) per band (notes 9).
Bands combine_paths_attenuation_db(const std::vector<Bands>& attenuations_db);

// The unfolded vertical profile along a plan polyline (a lateral path; S first, R last): calls
// cut(request, leg_profile) per leg, as unfold_profile does for reflections (request facades are -1).
template <typename LegCutter>
void unfold_polyline(const std::vector<Point2>& plan, double z_s_m, double z_r_m, double g_s, LegCutter&& cut,
                     PathProfile& leg, PathProfile& out) {
    out.terrain.clear();
    out.ground.clear();
    out.tops.clear();
    double x0 = 0.0;
    for (std::size_t j = 0; j + 1 < plan.size(); ++j) {
        LegRequest req;
        req.leg = j;
        req.from = plan[j];
        req.to = plan[j + 1];
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
