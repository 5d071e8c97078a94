// SPDX-License-Identifier: GPL-3.0-or-later
#include "noise/cnossos_emission.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "areatwin/engine/errors.hpp"
#include "noise/cnossos_tables.hpp"

namespace areatwin::indicators::noise {

namespace {

constexpr double kReferenceSpeedKmh = 70.0;
constexpr double kReferenceTemperatureC = 20.0;

struct CsvTable {
    std::string header_comment;  // the '#' lines: where the numbers come from
    std::vector<std::string> columns;
    std::vector<std::vector<std::string>> rows;
};

std::vector<std::string> split_csv_line(const std::string& line) {
    std::vector<std::string> cells;
    std::string cell;
    bool quoted = false;
    for (char c : line) {
        if (c == '"') {
            quoted = !quoted;
        } else if (c == ',' && !quoted) {
            cells.push_back(cell);
            cell.clear();
        } else if (c != '\r') {
            cell.push_back(c);
        }
    }
    cells.push_back(cell);
    return cells;
}

CsvTable parse_csv(const char* text, const std::string& name) {
    CsvTable table;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        if (line[0] == '#') {
            table.header_comment += line.substr(1);
            continue;
        }
        auto cells = split_csv_line(line);
        if (table.columns.empty()) {
            table.columns = std::move(cells);
        } else if (cells.size() != table.columns.size()) {
            throw InternalError(fmt::format("embedded table {}: row '{}' has {} cells, expected {}", name, line,
                                            cells.size(), table.columns.size()));
        } else {
            table.rows.push_back(std::move(cells));
        }
    }
    return table;
}

std::size_t column(const CsvTable& table, const std::string& name) {
    const auto it = std::find(table.columns.begin(), table.columns.end(), name);
    if (it == table.columns.end()) throw InternalError("embedded noise table lacks column " + name);
    return static_cast<std::size_t>(it - table.columns.begin());
}

std::size_t band_index(const std::string& band_hz) {
    const double f = std::stod(band_hz);
    for (std::size_t i = 0; i < kBandCount; ++i) {
        if (kNominalHz[i] == f) return i;
    }
    throw InternalError("embedded noise table: unknown band " + band_hz);
}

std::size_t category_index(const std::string& cat) {
    static const std::map<std::string, std::size_t> index{{"1", 0}, {"2", 1}, {"3", 2}, {"4a", 3}, {"4b", 4}};
    const auto it = index.find(cat);
    if (it == index.end()) throw InternalError("embedded noise table: unknown category " + cat);
    return it->second;
}

CoefficientSet load_set(const std::string& name, bool draft, const char* csv) {
    const auto table = parse_csv(csv, name);
    CoefficientSet set;
    set.name = name;
    set.draft = draft;
    set.source = table.header_comment;
    const auto cc = column(table, "category"), cb = column(table, "band_hz"), car = column(table, "AR"),
               cbr = column(table, "BR"), cap = column(table, "AP"), cbp = column(table, "BP");
    for (const auto& row : table.rows) {
        auto& c = set.categories[category_index(row[cc])];
        const auto i = band_index(row[cb]);
        c.a_r[i] = std::stod(row[car]);
        c.b_r[i] = std::stod(row[cbr]);
        c.a_p[i] = std::stod(row[cap]);
        c.b_p[i] = std::stod(row[cbp]);
    }
    // Categories 4a/4b carry A_R = B_R = 0: no rolling term (noise-method.md 4.2), not a 0 dB source.
    for (auto& c : set.categories) {
        c.rolling = std::any_of(c.a_r.begin(), c.a_r.end(), [](double a) { return a != 0.0; });
    }
    return set;
}

const std::map<std::string, CoefficientSet>& coefficient_sets() {
    static const std::map<std::string, CoefficientSet> sets{
        {"EU-2021", load_set("EU-2021", false, tables::road_coefficients_eu2021_csv)},
        {"EU-2015", load_set("EU-2015", false, tables::road_coefficients_eu2015_csv)},
        {"NL-draft", load_set("NL-draft", true, tables::road_coefficients_nl_draft_csv)},
    };
    return sets;
}

struct SurfaceCatalogue {
    std::vector<std::string> ids;
    std::map<std::string, RoadSurface> surfaces;
};

const SurfaceCatalogue& surfaces() {
    static const SurfaceCatalogue catalogue = [] {
        const auto table = parse_csv(tables::road_surface_coefficients_csv, "road surfaces");
        const auto cid = column(table, "surface_id"), cd = column(table, "description"), cmin = column(table, "vmin_kmh"),
                   cmax = column(table, "vmax_kmh"), cc = column(table, "category"), cb = column(table, "band_hz"),
                   ca = column(table, "alpha"), cbeta = column(table, "beta");
        SurfaceCatalogue cat;
        for (const auto& row : table.rows) {
            auto [it, inserted] = cat.surfaces.try_emplace(row[cid]);
            RoadSurface& s = it->second;
            if (inserted) {
                cat.ids.push_back(row[cid]);
                s.id = row[cid];
                s.description = row[cd];
                s.v_min_kmh = std::stod(row[cmin]);
                s.v_max_kmh = std::stod(row[cmax]);
            }
            const auto m = category_index(row[cc]);
            if (m > 2) continue;  // 4a/4b have no surface correction
            s.alpha[m][band_index(row[cb])] = std::stod(row[ca]);
            s.beta[m] = std::stod(row[cbeta]);
        }
        std::sort(cat.ids.begin(), cat.ids.end());
        return cat;
    }();
    return catalogue;
}

// Table F-3: C_R and C_P per category group and junction type (noise-method.md 4.3.4).
double junction_coefficient(std::size_t category, int junction_type, bool rolling) {
    if (category > 2 || junction_type == 0) return 0.0;
    const bool light = category == 0;
    if (junction_type == 1) return rolling ? (light ? -4.5 : -4.0) : (light ? 5.5 : 9.0);
    return rolling ? (light ? -4.4 : -2.3) : (light ? 3.1 : 6.7);
}

// Propulsion gradient correction (2.2.13-2.2.16), same in every band.
double gradient_correction_db(std::size_t category, double s, double v) {
    switch (category) {
        case 0:
            if (s < -6.0) return (std::min(12.0, -s) - 6.0) / 1.0;
            if (s > 2.0) return (std::min(12.0, s) - 2.0) / 1.5 * v / 100.0;
            return 0.0;
        case 1:
            if (s < -4.0) return (std::min(12.0, -s) - 4.0) / 0.7 * (v - 20.0) / 100.0;
            if (s > 0.0) return std::min(12.0, s) * v / 100.0;
            return 0.0;
        case 2:
            if (s < -4.0) return (std::min(12.0, -s) - 4.0) / 0.5 * (v - 10.0) / 100.0;
            if (s > 0.0) return std::min(12.0, s) / 0.8 * v / 100.0;
            return 0.0;
        default:
            return 0.0;
    }
}

// Table F-2, studded tyres (category 1 only).
constexpr Bands kStudA{0, 0, 0, 2.6, 2.9, 1.5, 2.3, 9.2};
constexpr Bands kStudB{0, 0, 0, -3.1, -6.4, -14.0, -22.4, -11.4};

// Temperature coefficient K (2.2.10), dB per degC.
double temperature_coefficient(std::size_t category) {
    if (category == 0) return 0.08;
    if (category <= 2) return 0.04;
    return 0.0;
}

}  // namespace

const std::vector<std::string>& coefficient_set_names() {
    static const std::vector<std::string> names{"EU-2021", "EU-2015", "NL-draft"};
    return names;
}

const CoefficientSet& coefficient_set(const std::string& name) {
    const auto& sets = coefficient_sets();
    const auto it = sets.find(name);
    if (it == sets.end()) {
        throw ConfigError(fmt::format("unknown CNOSSOS-EU coefficient set '{}'; known: {}", name,
                                      fmt::join(coefficient_set_names(), ", ")));
    }
    return it->second;
}

const std::vector<std::string>& road_surface_ids() { return surfaces().ids; }

const RoadSurface& road_surface(const std::string& id) {
    const auto& cat = surfaces();
    const auto it = cat.surfaces.find(id);
    if (it == cat.surfaces.end()) {
        throw ConfigError(fmt::format("unknown road surface '{}'; known: {}", id, fmt::join(cat.ids, ", ")));
    }
    return it->second;
}

Bands vehicle_sound_power_db(const CoefficientSet& set, std::size_t category, double v_kmh,
                             const EmissionConditions& conditions) {
    const auto& c = set.categories.at(category);
    const RoadSurface& surface = road_surface(conditions.surface);
    const double speed_term = std::log10(v_kmh / kReferenceSpeedKmh);
    const double v_surface = std::clamp(v_kmh, surface.v_min_kmh, surface.v_max_kmh);
    const double junction_weight =
        conditions.junction_type == 0 ? 0.0 : std::max(1.0 - std::abs(conditions.junction_distance_m) / 100.0, 0.0);

    // Studded tyres (2.2.6-2.2.9): speed clamped to 50-90 km/h inside this term only.
    const double p_stud = category == 0 ? conditions.studded_share * conditions.studded_months / 12.0 : 0.0;
    const double v_stud = std::clamp(v_kmh, 50.0, 90.0);

    const double rolling_common = temperature_coefficient(category) * (kReferenceTemperatureC - conditions.temperature_c) +
                                  junction_coefficient(category, conditions.junction_type, true) * junction_weight;
    const double propulsion_common = junction_coefficient(category, conditions.junction_type, false) * junction_weight +
                                     gradient_correction_db(category, conditions.gradient_pct, v_kmh);
    Bands out{};
    for (std::size_t i = 0; i < kBandCount; ++i) {
        const double alpha = category <= 2 ? surface.alpha[category][i] : 0.0;
        const double beta = category <= 2 ? surface.beta[category] : 0.0;
        const double propulsion =
            c.a_p[i] + c.b_p[i] * (v_kmh - kReferenceSpeedKmh) / kReferenceSpeedKmh + std::min(alpha, 0.0) + propulsion_common;
        if (!c.rolling) {
            out[i] = propulsion;
            continue;
        }
        double stud = 0.0;
        if (p_stud > 0.0) {
            const double d_stud = kStudA[i] + kStudB[i] * std::log10(v_stud / kReferenceSpeedKmh);
            stud = 10.0 * std::log10((1.0 - p_stud) + p_stud * std::pow(10.0, d_stud / 10.0));
        }
        const double rolling = c.a_r[i] + c.b_r[i] * speed_term + alpha +
                               beta * std::log10(v_surface / kReferenceSpeedKmh) + stud + rolling_common;
        out[i] = 10.0 * std::log10(std::pow(10.0, rolling / 10.0) + std::pow(10.0, propulsion / 10.0));
    }
    return out;
}

Bands line_sound_power_per_m_db(const CoefficientSet& set, const TrafficFlow& flow, const EmissionConditions& conditions) {
    Bands energy{};
    for (std::size_t m = 0; m < kCategoryCount; ++m) {
        const double q = flow.q_veh_per_h[m];
        const double v = flow.v_kmh[m];
        if (!(q > 0.0) || !(v > 0.0)) continue;
        const auto lw = vehicle_sound_power_db(set, m, v, conditions);
        const double per_m = 10.0 * std::log10(q / (1000.0 * v));  // vehicles per metre of road
        for (std::size_t i = 0; i < kBandCount; ++i) energy[i] += std::pow(10.0, (lw[i] + per_m) / 10.0);
    }
    Bands out{};
    for (std::size_t i = 0; i < kBandCount; ++i) {
        out[i] = energy[i] > 0.0 ? 10.0 * std::log10(energy[i]) : -std::numeric_limits<double>::infinity();
    }
    return out;
}

double a_weighted_total_db(const Bands& levels_db) {
    double e = 0.0;
    for (std::size_t i = 0; i < kBandCount; ++i) e += std::pow(10.0, (levels_db[i] + kAWeightingDb[i]) / 10.0);
    return e > 0.0 ? 10.0 * std::log10(e) : -std::numeric_limits<double>::infinity();
}

Bands energy_sum_db(const Bands& a, const Bands& b) {
    Bands out{};
    for (std::size_t i = 0; i < kBandCount; ++i) {
        out[i] = 10.0 * std::log10(std::pow(10.0, a[i] / 10.0) + std::pow(10.0, b[i] / 10.0));
    }
    return out;
}

}  // namespace areatwin::indicators::noise
