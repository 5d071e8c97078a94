// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <array>
#include <string>
#include <vector>

// CNOSSOS-EU road traffic emission (Directive 2015/996 Annex II section 2.2 as amended by 2021/1226),
// per octave band 63-8000 Hz. Method notes: ../shared/reference/noise-method.md sections 2-4.
namespace areatwin::indicators::noise {

inline constexpr std::size_t kBandCount = 8;
using Bands = std::array<double, kBandCount>;

inline constexpr Bands kNominalHz{63, 125, 250, 500, 1000, 2000, 4000, 8000};
// Exact mid-band frequencies 1000 * 10^(0.3 (i - 5)), used only for the absorption coefficient (section 2).
inline constexpr Bands kExactHz{63.0957344480193, 125.892541179417, 251.188643150958, 501.187233627272,
                                1000.0,           1995.26231496888, 3981.07170553497,  7943.28234724281};
inline constexpr Bands kAWeightingDb{-26.2, -16.1, -8.6, -3.2, 0.0, 1.2, 1.0, -1.1};

// Vehicle categories in the order of roles.hpp vehicle_categories(): cat1, cat2, cat3, cat4a, cat4b.
inline constexpr std::size_t kCategoryCount = 5;

struct CategoryCoefficients {
    Bands a_r{}, b_r{}, a_p{}, b_p{};  // Table F-1; a_r = b_r = 0 for 4a/4b means "no rolling term"
    bool rolling = true;
};

struct CoefficientSet {
    std::string name;  // "EU-2021", "NL-draft"
    bool draft = false;
    std::string source;  // the header lines of its CSV
    std::array<CategoryCoefficients, kCategoryCount> categories;
};

// The coefficient sets available (data files in indicators/noise/data/); ConfigError for an unknown name.
const std::vector<std::string>& coefficient_set_names();
const CoefficientSet& coefficient_set(const std::string& name);

struct RoadSurface {
    std::string id;           // "DEF", "NL01" ... "NL14", "FR_R2"
    std::string description;
    double v_min_kmh = 0.0;   // validity range of the correction
    double v_max_kmh = 0.0;
    std::array<Bands, 3> alpha{};      // per category 1-3; 4a/4b have no correction
    std::array<double, 3> beta{};
};

const std::vector<std::string>& road_surface_ids();
const RoadSurface& road_surface(const std::string& id);  // ConfigError listing the known ids

// Everything besides flow and speed that changes a vehicle's sound power (section 4.3).
struct EmissionConditions {
    std::string surface = "DEF";
    double temperature_c = 20.0;        // tau_ref = 20 degC gives no correction
    double gradient_pct = 0.0;          // in the driving direction, positive uphill
    int junction_type = 0;              // 0 none, 1 traffic lights, 2 roundabout
    double junction_distance_m = 1e9;   // distance from the source point to the junction
    double studded_share = 0.0;         // share of light vehicles with studded tyres during the months
    double studded_months = 0.0;
};

// Sound power of one vehicle of category `category` (0..4) at v_kmh, dB re 1 pW (2.2.2-2.2.3).
// Speeds outside a surface's validity range are clamped to it inside the surface term only.
Bands vehicle_sound_power_db(const CoefficientSet& set, std::size_t category, double v_kmh,
                             const EmissionConditions& conditions);

struct TrafficFlow {
    std::array<double, kCategoryCount> q_veh_per_h{};
    std::array<double, kCategoryCount> v_kmh{};
};

// Line sound power per metre L'W per band (2.2.1), dB re 1 pW/m; -infinity in every band without traffic.
Bands line_sound_power_per_m_db(const CoefficientSet& set, const TrafficFlow& flow, const EmissionConditions& conditions);

// A-weighted total of per-band levels (section 2).
double a_weighted_total_db(const Bands& levels_db);
// Energetic sum of two per-band levels.
Bands energy_sum_db(const Bands& a, const Bands& b);

}  // namespace areatwin::indicators::noise
