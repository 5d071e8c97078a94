// SPDX-License-Identifier: GPL-3.0-or-later
//
// green.access: the 3-30-300 rule and the RIVM 2025 green rules of thumb per home.
// Method: ../shared/reference/green-method.md sections 1, 2, 4 and 7; the model card in prose is the
// green.access section of indicators/green/README.md.
#include "green/green_access.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <numbers>
#include <optional>
#include <variant>

#include <fmt/format.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/executor.hpp"
#include "areatwin/engine/roles.hpp"
#include "green/green_access_kernels.hpp"
#include "green/green_share.hpp"

namespace areatwin::indicators::green {

namespace {

// Canopy and land fractions are summed as integers in units of 2^-20 of a cell (as green.share),
// so a cell's disc sum is exact whichever tile computes it.
constexpr double kFractionScale = 1048576.0;
// green-method.md section 1.5 step 2: crown tops above 35 m are DSM artefacts; fall back to 1.7 m.
constexpr double kMaxCrownTopAboveGround_m = 35.0;
constexpr double kFallbackObserverHeight_m = 1.7;
// docs/inputs.md: a tree without a crown diameter gets a small street tree's crown (as io/derive.cpp).
constexpr double kDefaultCrownDiameter_m = 5.0;
// green-method.md section 1.3 (g3.min_crown_area_m2): the count of trees with a crown of at least 28 m2
// (cobra, handbook) is reported alongside the default minimum of 0.
constexpr double kReportedCrownArea_m2 = 28.0;

using ParameterValue = std::variant<double, std::string, std::vector<std::string>>;
struct PresetEntry {
    std::string name;
    std::vector<std::pair<std::string, ParameterValue>> overrides;
};

// Named presets (green-method.md section 1.4). Only the values that differ from the declared
// defaults (which are rivm-2025's) are listed; the section each value comes from is in the README.
const std::vector<PresetEntry>& preset_table() {
    static const std::vector<PresetEntry> table{
        // §2: buurt canopy, contiguous "beweeggroen" (usable green: lawns, woods) >= 1 ha within 300 m.
        {"rivm-2025", {}},
        // §1.1: 3 trees, 30 % canopy "in every neighbourhood", 300 m to the nearest park or green space
        // (any green, 1 ha as the 2023 paper cites WHO).
        {"konijnendijk-2021", {{"park_classes", std::vector<std::string>{"grass", "trees", "shrubs"}}}},
        // §1.1 handbook table: crowns >= 28 m2 counted in a buffer, canopy in a 500 m buffer, parks 0.5 ha.
        {"handbook-2025",
         {{"canopy_unit", std::string("buffer")},
          {"canopy_radius_m", 500.0},
          {"park_classes", std::vector<std::string>{"grass", "trees", "shrubs"}},
          {"park_min_area_m2", 5000.0},
          {"trees_visibility", std::string("buffer")},
          {"tree_min_crown_area_m2", 28.0}}},
        // §1.2 cobra: crowns > 28 m2 within 25 m of the building (crown edge), canopy in a 500 m
        // buffer on land, parks >= 1 ha.
        {"cobra",
         {{"canopy_unit", std::string("buffer")},
          {"canopy_radius_m", 500.0},
          {"park_classes", std::vector<std::string>{"grass", "trees", "shrubs"}},
          {"trees_visibility", std::string("buffer")},
          {"trees_radius_m", 25.0},
          {"trees_distance_to", std::string("crown_edge")},
          {"tree_min_crown_area_m2", 28.0}}},
        // §1.2 zh_open: line of sight on the raw DSM within 30 m, every tree, canopy per CBS buurt on
        // land, green of at least 300 m2 with perimeter / area <= 0.35; 300 m Euclidean, the source's own
        // equivalent of its 5-minute walk (§1.3 note).
        {"zh-open",
         {{"park_classes", std::vector<std::string>{"grass", "trees", "shrubs"}},
          {"park_min_area_m2", 300.0},
          {"park_max_perimeter_per_area", 0.35},
          {"los_blockers", std::string("surface")}}},
        // The same with the 300 rule as zh_open computes it (§1.3 table): a 5-minute walk at 5.1 km/h
        // (425 m) along the walking network to the green's entrances; needs a roads or paths input.
        {"zh-open-network",
         {{"park_classes", std::vector<std::string>{"grass", "trees", "shrubs"}},
          {"park_min_area_m2", 300.0},
          {"park_max_perimeter_per_area", 0.35},
          {"park_distance", std::string("network")},
          {"park_pass_distance_m", 425.0},
          {"los_blockers", std::string("surface")}}},
        // §1.2 barcelona (Nieuwenhuijsen et al. 2022): >= 3 trees within 15 m of the home.
        {"barcelona-2022",
         {{"park_classes", std::vector<std::string>{"grass", "trees", "shrubs"}},
          {"trees_visibility", std::string("buffer")},
          {"trees_radius_m", 15.0},
          {"home_score", std::string("address_cell")}}},
    };
    return table;
}

std::string value_text(const ParameterValue& v) {
    if (const auto* d = std::get_if<double>(&v)) return fmt::format("{}", *d);
    if (const auto* s = std::get_if<std::string>(&v)) return *s;
    return fmt::format("[{}]", fmt::join(std::get<std::vector<std::string>>(v), ","));
}

std::string preset_listing() {
    std::string text;
    for (const auto& p : preset_table()) {
        std::vector<std::string> parts;
        for (const auto& [k, v] : p.overrides) parts.push_back(k + "=" + value_text(v));
        text += fmt::format("; {}: {}", p.name, parts.empty() ? std::string("the declared defaults") : fmt::format("{}", fmt::join(parts, ", ")));
    }
    return text;
}

const IndicatorDescriptor& green_access_descriptor() {
    using K = ParameterSpec::Kind;
    static const IndicatorDescriptor descriptor{
        "green.access",
        "1.3.0",
        "Green for health per home: trees visible (3), tree-crown cover (30), distance to a park of a minimum "
        "size (300), with per-home flags for each rule and all three",
        "3-30-300 rule (Konijnendijk 2021, 2023) and the RIVM rules of thumb of 18 December 2025 as operationalised "
        "in green-method.md sections 1.2-1.5 (per-rule parameters and named presets), 2 (RIVM), 4 (canopy, mode A "
        "per area and mode B per home) and 7 (shares of homes). Park distance: exact Euclidean distance transform "
        "(Felzenszwalb & Huttenlocher 2012) to cells of contiguous green of at least the minimum area, or (park_distance "
        "network) the snap distance to the walking network plus the multi-source Dijkstra distance to the nearest "
        "entrance, where a road or path enters such green (section 1.3 network_to_entrance).",
        "Cell sizes up to about a fifth of the tree radius (line of sight is tested per half cell; a 10 m grid "
        "only roughly resolves 30 m sight lines). Distances are between cell centres (within half a cell "
        "diagonal of the distance to the park edge). Upper floors are not modelled (observer targets at "
        "target_height_m above ground).",
        "Homes are the addresses of the population input (the green_dwellings layer, weighted by dwellings or "
        "residents; per-area shares, distance percentiles and homes without a park from its points); the "
        "0/1 flag rasters give the same per cell. Parks are contiguous cells "
        "whose park-class fraction reaches park_cell_min_fraction (public access is not checked). Gardens and "
        "green facades (RIVM's alternative to 3 trees) are not modelled. Presets keep Euclidean distance, also "
        "where the source uses walking distance (cobra, handbook-2025): set park_distance network for it "
        "(zh-open-network does, as zh_open). Network lines connect as network_junctions says (shared vertices, "
        "dead ends within network_snap_tolerance_m, or crossings); every road line is walkable. "
        "A parameter the batch file leaves out takes the preset's value.",
        {
            {"preset", K::Choice, "",
             "named parameter set (green-method.md 1.4); a parameter left out takes the preset's value" +
                 preset_listing(),
             {}, {"rivm-2025"}, 0.0, 0.0, green_access_presets()},
            {"canopy_unit", K::Choice, "",
             "rule 30 judged per 'area' polygon (mode A, RIVM buurt level, section 2) or in a 'buffer' disc around "
             "each home (mode B, section 4)",
             {}, {"area"}, 0.0, 0.0, {"area", "buffer"}},
            {"canopy_radius_m", K::Number, "m",
             "radius of the canopy-share disc (default 250; 500 and 1000 in section 1.3)", {250.0}, {}, 5.0, 5000.0, {}},
            {"canopy_source", K::Choice, "",
             "tree crowns from canopy.fraction ('fraction': crown discs of tree points or a canopy raster), "
             "canopy.height_m above canopy_min_height_m ('height'), or landcover.trees ('landcover') (section 4)",
             {}, {"fraction"}, 0.0, 0.0, {"fraction", "height", "landcover"}},
            {"canopy_min_height_m", K::Number, "m",
             "with canopy_source 'height': a cell is crown above this height (2.5 m, RIVM Bomen in Nederland, section 4)",
             {2.5}, {}, 0.0, 100.0, {}},
            {"canopy_denominator", K::Choice, "",
             "canopy share of 'land' (water excluded, section 1.3) or of the 'total' area (england)", {}, {"land"}, 0.0,
             0.0, {"land", "total"}},
            {"canopy_pass_pct", K::Number, "%", "rule 30 passes at this canopy share (30 %, section 1.2)", {30.0}, {},
             0.0, 100.0, {}},
            {"park_classes", K::ChoiceList, "",
             "land-cover classes that make a park (RIVM 'beweeggroen': grass and trees, section 2)", {},
             {"grass", "trees"}, 0.0, 0.0, landcover_classes()},
            {"park_cell_min_fraction", K::Number, "",
             "a cell belongs to green when its park-class fraction reaches this share (inference, section 1.3)", {0.5},
             {}, 0.01, 1.0, {}},
            {"park_min_area_m2", K::Number, "m2",
             "minimum area of contiguous green (1 ha, section 1.3 g300.min_area_m2; 5000 and 300 in presets)",
             {10000.0}, {}, 0.0, 1.0e8, {}},
            {"park_connectivity", K::Choice, "",
             "cells that touch along an edge ('4') or also at a corner ('8') are one green area (section 1.3 "
             "merge_touching)",
             {}, {"4"}, 0.0, 0.0, {"4", "8"}},
            {"park_max_perimeter_per_area", K::Number, "1/m",
             "shape filter: a park also needs perimeter / area at most this (0: off, default; 0.35 zh_open, strips of "
             "about 6 m and wider, section 1.3 g300.shape_filter_pa_max); the perimeter is the cells' outline",
             {0.0}, {}, 0.0, 100.0, {}},
            {"park_pass_distance_m", K::Number, "m", "rule 300 passes within this distance (300 m, section 1.3)",
             {300.0}, {}, 1.0, 10000.0, {}},
            {"park_distance", K::Choice, "",
             "distance to a park 'euclidean' (to the nearest park cell, section 1.3 euclidean_to_edge) or along the "
             "walking 'network' of the roads and paths lines to the nearest entrance (network_to_entrance)",
             {}, {"euclidean"}, 0.0, 0.0, {"euclidean", "network"}},
            {"network_snap_max_m", K::Number, "m",
             "with park_distance 'network': a home reaches the network at its nearest point within this distance "
             "(inference); farther homes have no distance",
             {100.0}, {}, 0.0, 10000.0, {}},
            {"network_junctions", K::Choice, "",
             "with park_distance 'network': lines meet where they share a vertex ('shared_vertices', as OSM ways); "
             "also where a dead end lies within network_snap_tolerance_m of another line ('endpoints', an undershot "
             "T-junction); or also wherever two lines cross ('crossings', a layer drawn without junctions)",
             {}, {"endpoints"}, 0.0, 0.0, {"shared_vertices", "endpoints", "crossings"}},
            {"network_snap_tolerance_m", K::Number, "m",
             "with network_junctions 'endpoints' or 'crossings': a dead end this close to another line is joined to it "
             "(0.5 m: digitising gaps of large-scale maps such as BGT and OSM; inference)",
             {0.5}, {}, 0.0, 10.0, {}},
            {"trees_visibility", K::Choice, "",
             "rule 3 counts trees in 'line_of_sight' of the home (section 1.5) or every tree in a 'buffer' "
             "(cobra, handbook, barcelona)",
             {}, {"line_of_sight"}, 0.0, 0.0, {"line_of_sight", "buffer"}},
            {"trees_radius_m", K::Number, "m", "trees counted within this distance (30 m, section 1.3; 25, 15)",
             {30.0}, {}, 1.0, 500.0, {}},
            {"trees_distance_to", K::Choice, "",
             "distance measured to the tree 'trunk' point or to the 'crown_edge' (cobra, section 1.2)", {}, {"trunk"},
             0.0, 0.0, {"trunk", "crown_edge"}},
            {"tree_min_crown_area_m2", K::Number, "m2",
             "trees with a smaller crown do not count (0, section 1.3; 28 cobra/handbook); an unknown crown "
             "counts only when this is 0",
             {0.0}, {}, 0.0, 10000.0, {}},
            {"tree_min_height_m", K::Number, "m", "trees lower than this do not count (0, section 1.3; 3 england)",
             {0.0}, {}, 0.0, 100.0, {}},
            {"trees_pass_count", K::Number, "", "rule 3 passes with at least this many trees (3, section 1.3)", {3.0},
             {}, 1.0, 1000.0, {}},
            {"crown_top_search_m", K::Number, "m",
             "observer at the highest non-building DSM within this distance of the tree point (1.5 m, section 1.5)",
             {1.5}, {}, 0.0, 20.0, {}},
            {"target_height_m", K::Number, "m", "eye height of the home's observer above ground (1.8 m, section 1.3)",
             {1.8}, {}, 0.0, 100.0, {}},
            {"los_blockers", K::Choice, "",
             "sight is blocked by the DSM of 'buildings' only, or by the whole 'surface' (zh_open's raw DSM)", {},
             {"buildings"}, 0.0, 0.0, {"buildings", "surface"}},
            {"home_score", K::Choice, "",
             "trees seen from a 'facade_ring' outside the home's building (max over the ring, section 1.5 step 4) "
             "or at the 'address_cell'",
             {}, {"facade_ring"}, 0.0, 0.0, {"facade_ring", "address_cell"}},
            {"facade_ring_m", K::Number, "m", "width of the ring outside the facade (1.5 m, section 1.5 step 4)",
             {1.5}, {}, 0.0, 20.0, {}},
            {"facade_search_max_m", K::Number, "m",
             "largest distance from the address to the facade searched (inference; larger buildings use the "
             "address cell)",
             {50.0}, {}, 1.0, 500.0, {}},
            {"trees_at", K::Choice, "",
             "green_trees_visible at 'homes' only (NaN elsewhere) or at 'all_cells'", {}, {"homes"}, 0.0, 0.0,
             {"homes", "all_cells"}},
            {"homes", K::Choice, "",
             "a home is a cell with 'dwellings' > 0 (section 7.1) or with 'residents' > 0", {}, {"dwellings"}, 0.0,
             0.0, {"dwellings", "residents"}},
            {"point_weight", K::Choice, "",
             "the green_dwellings point layer's per-area shares weight each address by its 'dwellings' (section "
             "7.1: weighted by dwelling count) or its 'residents'",
             {}, {"dwellings"}, 0.0, 0.0, {"dwellings", "residents"}},
        },
    };
    return descriptor;
}

const ParameterSpec& spec_of(const std::string& name) {
    for (const auto& p : green_access_descriptor().parameters) {
        if (p.name == name) return p;
    }
    throw InternalError("green.access: no parameter " + name);
}

std::string output_canopy_share(double radius_m) { return fmt::format("green_canopy_share_r{}", radius_m); }

// Output order; compute() and outputs() share it.
enum Out : std::size_t {
    kCanopyShare = 0,
    kCanopyCell,
    kDistPark,
    kDistParkHome,
    kTreesVisible,
    kRule3,
    kRule30,
    kRule300,
    kRuleAll,
    kRulesMet,
    kCanopyArea,
};

// Everything computed once per scenario over the whole grid: the parks (a global connected-component
// operation), their distance transform, the canopy of each area, and the tree observers.
struct GlobalFields {
    std::vector<float> park_distance_m;   // +inf where no qualifying park exists (or is reachable)
    std::vector<std::uint8_t> park_mask;  // qualifying park cells
    WalkNetwork network;                  // park_distance: network only
    std::int64_t parks_found = 0;
    std::int64_t parks_qualifying = 0;
    std::vector<double> area_canopy_pct;  // per area index; NaN for an area without land
    TreeIndex trees;
    std::int64_t trees_read = 0;
    std::int64_t trees_counted = 0;
    double max_crown_radius_m = 0.0;
};

struct Layers {
    std::vector<const Raster*> all;  // every raster input present, for "NaN in gives NaN out"
    const Raster* canopy = nullptr;
    const Raster* water = nullptr;
    std::vector<const Raster*> park_classes;
    const Raster* dsm = nullptr;
    const Raster* building_height = nullptr;
    const Raster* canopy_height = nullptr;
    const Raster* homes = nullptr;
    const Raster* area_index = nullptr;

    [[nodiscard]] bool valid(std::int64_t col, std::int64_t row) const {
        for (const Raster* r : all) {
            if (std::isnan(r->at(col, row))) return false;
        }
        return true;
    }
};

// Greens for the distance to a park, darkest nearest, in thirds of the pass distance; beyond it pale and
// then grey (a value equal to a break falls in the lower class, so the pass distance itself is green).
std::vector<StyleClass> distance_classes(double pass_m) {
    const auto label = [](double a, double b) { return fmt::format("{:g}-{:g} m", a, b); };
    return {{0.0, "#00441b", label(0.0, pass_m / 3.0)},
            {pass_m / 3.0, "#238b45", label(pass_m / 3.0, 2.0 * pass_m / 3.0)},
            {2.0 * pass_m / 3.0, "#74c476", label(2.0 * pass_m / 3.0, pass_m)},
            {pass_m, "#e5f5e0", label(pass_m, 2.0 * pass_m)},
            {2.0 * pass_m, "#bdbdbd", fmt::format("over {:g} m", 2.0 * pass_m)}};
}

// Red/green classes of a 0/1 rule flag (a value equal to the 0.5 break falls in the lower class).
std::vector<StyleClass> flag_classes(const std::string& fails, const std::string& meets) {
    return {{0.0, "#d7191c", fails}, {0.5, "#1a9641", meets}};
}

class GreenAccessModel final : public IndicatorModel {
public:
    explicit GreenAccessModel(const Parameters& params) : s_(resolve_access_settings(params)) {}

    [[nodiscard]] std::vector<std::string> inputs() const override {
        std::vector<std::string> names{canopy_layer_name()};
        if (s_.canopy_denominator == "land") names.push_back(layer::landcover_fraction("water"));
        for (const auto& c : s_.park_classes) {
            const auto n = layer::landcover_fraction(c);
            if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
        }
        names.emplace_back(layer::building_height);
        if (line_of_sight()) {
            names.emplace_back(layer::dsm);
            if (canopy_layer_name() != layer::canopy_height) names.emplace_back(layer::canopy_height);
        }
        names.emplace_back(s_.homes == "residents" ? layer::residents : layer::dwellings);
        names.emplace_back(layer::area_index);  // required in area mode; in buffer mode for the area canopy
        names.emplace_back("trees");
        names.emplace_back("population");  // the address points of the green_dwellings layer
        if (network_mode()) {
            names.emplace_back("roads");
            names.emplace_back("paths");
        }
        return names;
    }

    [[nodiscard]] double halo_m() const override { return std::max(s_.canopy_radius_m, s_.trees_radius_m); }

    [[nodiscard]] std::vector<OutputSpec> outputs() const override {
        std::vector<OutputSpec> out{
            {output_canopy_share(s_.canopy_radius_m), "%",
             fmt::format("tree-crown cover within {} m ({} of {} area)", s_.canopy_radius_m, s_.canopy_source,
                         s_.canopy_denominator),
             {s_.canopy_pass_pct}, "green", 0.0, 100.0},
            {"green_canopy_cell_pct", "%",
             "tree-crown cover of the cell's land; its per-area mean is the canopy cover of the area", {}, "green", 0.0,
             100.0},
            {"green_dist_park_m", "m",
             fmt::format("distance to the nearest green of at least {} m2 ({})", s_.park_min_area_m2,
                         network_mode() ? "walking network from the nearest network point to the nearest entrance"
                                        : "cell centres, Euclidean"),
             {s_.park_pass_distance_m}, "green", 0.0, 1000.0, distance_classes(s_.park_pass_distance_m)},
            {"green_dist_park_home_m", "m", "green_dist_park_m at homes only: per-area percentiles over homes", {},
             "green", 0.0, 1000.0, distance_classes(s_.park_pass_distance_m)},
            {"green_trees_visible", "trees",
             fmt::format("trees ({}) within {} m of the home, at least {} m2 crown", s_.trees_visibility,
                         s_.trees_radius_m, s_.tree_min_crown_area_m2),
             {s_.trees_pass_count - 0.5}, "green", 0.0, 20.0},
            {"green_rule_3", "flag", fmt::format("home sees at least {} trees (0/1, NaN where no home)", s_.trees_pass_count),
             {0.5}, "green", 0.0, 1.0, flag_classes("fewer trees", "sees 3 trees")},
            {"green_rule_30", "flag",
             fmt::format("home's {} has at least {} % canopy (0/1)", area_mode() ? "area" : "buffer", s_.canopy_pass_pct),
             {0.5}, "green", 0.0, 1.0, flag_classes("less canopy", "30 % canopy")},
            {"green_rule_300", "flag",
             fmt::format("home within {} m of green of at least {} m2 (0/1)", s_.park_pass_distance_m, s_.park_min_area_m2),
             {0.5}, "green", 0.0, 1.0, flag_classes("no park within reach", "park within reach")},
            {"green_rule_all", "flag",
             fmt::format("home meets all three rules (0/1); preset {}; in effect: {}", s_.preset, s_.describe()), {0.5},
             "green", 0.0, 1.0, flag_classes("fails at least one rule", "meets 3, 30 and 300")},
            {"green_rules_met", "rules", "number of the rules 3, 30 and 300 the home meets (0-3)", {0.5, 1.5, 2.5},
             "green", 0.0, 3.0,
             {{0.0, "#d7191c", "no rule"}, {0.5, "#fdae61", "1 rule"}, {1.5, "#a6d96a", "2 rules"}, {2.5, "#1a9641", "3 rules"}}},
        };
        // The canopy cover of each area as one ratio (never a mean of cell ratios, section 4), in both
        // modes: rule 30's value in area mode, the areas' context in buffer mode. NaN without areas.
        out.push_back({"green_canopy_area_pct", "%",
                       "tree-crown cover of the area holding the cell (sum of crowns / sum of land, cells by centre; "
                       "NaN without an 'areas' input)",
                       {s_.canopy_pass_pct}, "green", 0.0, 100.0});
        return out;
    }

    [[nodiscard]] double working_bytes_per_cell() const override { return 2.0 * sizeof(std::int64_t) + 1.0; }

    void compute(const TileContext& ctx, TileOutputs& out) const override {
        const Layers L = layers(ctx.inputs);
        const auto global = global_fields(ctx.inputs, L);
        const GridSpec& grid = ctx.grid;
        const Window& w = ctx.tile.halo;
        const Window& core = ctx.tile.core;

        const CanopySums sums(*this, L, w, make_disc(s_.canopy_radius_m, grid.cell_size_m));
        std::vector<std::int64_t> crown_acc(static_cast<std::size_t>(core.cols)), land_acc(crown_acc.size());

        for (std::int64_t row = core.row0; row < core.row_end(); ++row) {
            sums.row(row, core.col0, core.cols, crown_acc.data(), land_acc.data());
            for (std::int64_t c = 0; c < core.cols; ++c) {
                const auto col = core.col0 + c;
                if (!L.valid(col, row)) {
                    for (Raster* r : out.rasters) r->at(col, row) = Raster::nodata;
                    continue;
                }
                const double share = CanopySums::share(crown_acc[static_cast<std::size_t>(c)], land_acc[static_cast<std::size_t>(c)]);
                write_cell(ctx.inputs, L, *global, col, row, share, out);
            }
        }
    }

    // The dwelling point layer (green-method.md section 7.1: shares of homes, weighted by dwellings):
    // one point per address of the population role with dwellings (or residents) > 0 inside the grid,
    // with the per-home values and the rule flags. The engine adds per-area statistics from the weights.
    [[nodiscard]] std::vector<PointLayer> compute_points(const LayerStack& stack, int threads) const override {
        if (!stack.has_features("population")) return {};
        const Layers L = layers(stack);
        const auto global = global_fields(stack, L);
        const GridSpec& grid = stack.grid();
        const auto homes = home_points(stack);
        const auto n = homes.size();
        const double nan = std::nan("");
        std::vector<double> seen(n, nan), canopy(n, nan), dist(n, nan), meets3(n, nan), meets30(n, nan), meets300(n, nan),
            meets_all(n, nan), rules(n, nan), seen_large(n, nan);

        // Homes in bands of rows; a band's canopy sums come from one summed-area table of the band and the
        // disc radius above and below it (the same integer sums as any tile: bitwise the raster's value).
        constexpr std::int64_t kBandRows = 256;
        const Disc disc = make_disc(s_.canopy_radius_m, grid.cell_size_m);
        std::vector<std::vector<std::size_t>> bands(static_cast<std::size_t>((grid.rows + kBandRows - 1) / kBandRows));
        for (std::size_t i = 0; i < n; ++i) bands[static_cast<std::size_t>(homes[i].row / kBandRows)].push_back(i);
        parallel_for_each(bands.size(), threads, [&](std::size_t b) {
            if (bands[b].empty()) return;
            std::optional<CanopySums> sums;
            if (!area_mode()) {
                const auto r0 = std::max<std::int64_t>(0, static_cast<std::int64_t>(b) * kBandRows - disc.radius_cells);
                const auto r1 = std::min<std::int64_t>(grid.rows, (static_cast<std::int64_t>(b) + 1) * kBandRows + disc.radius_cells);
                sums.emplace(*this, L, Window{0, r0, grid.cols, r1 - r0}, disc);
            }
            for (std::size_t i : bands[b]) {
                const auto& h = homes[i];
                if (!L.valid(h.col, h.row)) continue;
                double share = nan;
                if (area_mode()) {
                    share = area_canopy_at(L, *global, h.col, h.row);
                } else {
                    std::int64_t crown = 0, land = 0;
                    sums->row(h.row, h.col, 1, &crown, &land);
                    share = CanopySums::share(crown, land);
                }
                const auto cell = static_cast<std::size_t>(h.row * grid.cols + h.col);
                double d = global->park_distance_m[cell];
                if (network_mode() && global->park_mask[cell] == 0) d = global->network.distance_from(h.p.x, h.p.y, s_.network_snap_max_m);
                if (std::isinf(d)) d = nan;
                const Score score = score_at(stack, L, *global, h.col, h.row, false);
                const double count = static_cast<double>(score.all);
                seen_large[i] = static_cast<double>(score.large);
                const bool r3 = count >= s_.trees_pass_count, r30 = share >= s_.canopy_pass_pct, r300 = d <= s_.park_pass_distance_m;
                seen[i] = count;
                canopy[i] = share;
                dist[i] = d;
                meets3[i] = r3 ? 1.0 : 0.0;
                meets30[i] = r30 ? 1.0 : 0.0;
                meets300[i] = r300 ? 1.0 : 0.0;
                meets_all[i] = (r3 && r30 && r300) ? 1.0 : 0.0;
                rules[i] = static_cast<double>(int{r3} + int{r30} + int{r300});
            }
        });

        PointLayer layer;
        layer.name = "green_dwellings";
        layer.description = fmt::format("addresses with {} > 0: trees seen, canopy, distance to a park and the 3-30-300 "
                                        "flags per home; weights: {}; preset {}",
                                        s_.homes, s_.point_weight, s_.preset);
        std::vector<double> ids(n), dwellings(n), residents(n);
        for (std::size_t i = 0; i < n; ++i) {
            layer.points.push_back(homes[i].p);
            ids[i] = static_cast<double>(homes[i].feature_id);
            dwellings[i] = homes[i].dwellings;
            residents[i] = homes[i].residents;
        }
        const auto column = [&](std::string name, std::string unit, std::string description, std::vector<double> values,
                                std::vector<double> thresholds) {
            PointColumn c;
            c.name = std::move(name);
            c.unit = std::move(unit);
            c.description = std::move(description);
            c.values = std::move(values);
            c.thresholds = std::move(thresholds);
            layer.columns.push_back(std::move(c));
        };
        column("feature_id", "", "id of the address in the population input", std::move(ids), {});
        // The run writes the weight column itself; the other count is a column.
        if (s_.point_weight == "residents") {
            column("dwellings", "", "dwellings at the address", dwellings, {});
        } else {
            column("residents", "", "residents at the address", residents, {});
        }
        column("trees_visible", "trees", fmt::format("trees ({}) within {} m", s_.trees_visibility, s_.trees_radius_m),
               std::move(seen), {s_.trees_pass_count - 0.5});
        if (s_.tree_min_crown_area_m2 < kReportedCrownArea_m2) {
            column("trees_visible_28m2", "trees",
                   fmt::format("of trees_visible, those with a known crown of at least {} m2 (reported alongside, "
                               "section 1.3; not used by the rule)",
                               kReportedCrownArea_m2),
                   std::move(seen_large), {s_.trees_pass_count - 0.5});
        }
        column("canopy_pct", "%", fmt::format("tree-crown cover of the home's {}", area_mode() ? "area" : "buffer"),
               std::move(canopy), {s_.canopy_pass_pct});
        column("dist_park_m", "m",
               fmt::format("distance to green of at least {} m2 ({})", s_.park_min_area_m2,
                           network_mode() ? "walking network from the address" : "Euclidean, cell centres"),
               std::move(dist), {s_.park_pass_distance_m});
        layer.columns.back().area_percentiles = true;
        layer.columns.back().missing_means = network_mode() ? "no qualifying park reachable on the network"
                                                            : "no qualifying park in the grid";
        column("meets_3", "flag", fmt::format("sees at least {} trees (0/1)", s_.trees_pass_count), std::move(meets3), {0.5});
        column("meets_30", "flag", fmt::format("canopy at least {} % (0/1)", s_.canopy_pass_pct), std::move(meets30), {0.5});
        column("meets_300", "flag", fmt::format("within {} m of a park (0/1)", s_.park_pass_distance_m), std::move(meets300), {0.5});
        column("meets_all", "flag", "meets 3, 30 and 300 (0/1)", std::move(meets_all), {0.5});
        column("rules_met", "rules", "number of the rules 3, 30 and 300 met (0-3)", std::move(rules), {0.5, 1.5, 2.5});
        layer.residents = s_.point_weight == "residents" ? residents : dwellings;
        layer.weight_name = s_.point_weight;
        layer.style_column = "meets_all";
        layer.style = "green";
        layer.style_min = 0.0;
        layer.style_max = 1.0;
        layer.classes = flag_classes("fails at least one rule", "meets 3, 30 and 300");
        // The per-area layer: the share of homes meeting all three rules, red to green by quarters.
        layer.area_style_column = "meets_all_share_above_0p5";
        layer.area_classes = {{0.0, "#d7191c", "under 25 % of homes meet 3-30-300"},
                              {0.25, "#fdae61", "25-50 %"},
                              {0.5, "#a6d96a", "50-75 %"},
                              {0.75, "#1a9641", "75 % of homes or more"}};
        return {layer};
    }

    [[nodiscard]] Explanation explain(const LayerStack& stack, double x, double y) const override {
        const auto& grid = stack.grid();
        const auto col = grid.col_of(x), row = grid.row_of(y);
        if (!grid.contains_cell(col, row)) {
            throw ConfigError(fmt::format("green.access: point {}, {} lies outside the grid", x, y));
        }
        const Layers L = layers(stack);
        const auto global = global_fields(stack, L);
        Explanation e;
        e.indicator = "green.access";
        e.output = output_canopy_share(s_.canopy_radius_m);
        e.x = x;
        e.y = y;
        e.unit = "%";
        e.notes.push_back(fmt::format("preset {}; in effect: {}", s_.preset, s_.describe()));
        e.terms.push_back({"cell", static_cast<double>(col), "", fmt::format("column {}, row {}", col, row)});
        if (!L.valid(col, row)) {
            e.notes.push_back("an input of this cell has no data: every output is nodata");
            return e;
        }
        // Plain reference of the disc sum: direct summation over the disc.
        const Disc disc = make_disc(s_.canopy_radius_m, grid.cell_size_m);
        double crown = 0.0, land = 0.0;
        std::int64_t cells = 0;
        for (std::int64_t dy = -disc.radius_cells; dy <= disc.radius_cells; ++dy) {
            const auto hw = disc.half_widths[static_cast<std::size_t>(dy + disc.radius_cells)];
            for (std::int64_t dx = -hw; dx <= hw; ++dx) {
                if (!grid.contains_cell(col + dx, row + dy)) continue;
                const auto [cr, la] = crown_and_land(L, col + dx, row + dy);
                if (std::isnan(cr) || std::isnan(la)) continue;
                crown += cr;
                land += la;
                ++cells;
            }
        }
        const double share = land > 0.0 ? 100.0 * crown / land : std::nan("");
        if (!std::isnan(share)) e.value = share;
        e.terms.push_back({"canopy_disc_cells", static_cast<double>(cells), "cells", "cells with data within the radius"});
        e.terms.push_back({"canopy_crown_area", crown * grid.cell_area_m2(), "m2", "crown area in the disc"});
        e.terms.push_back({"canopy_land_area", land * grid.cell_area_m2(), "m2",
                           s_.canopy_denominator == "land" ? "land (water excluded)" : "total area"});
        e.terms.push_back({e.output, share, "%", "crown area / land area x 100"});
        if (L.area_index != nullptr) {
            const float a = L.area_index->at(col, row);
            e.terms.push_back({"green_canopy_area_pct", area_canopy_at(L, *global, col, row), "%",
                               std::isnan(a) ? std::string("the cell lies in no area")
                                             : fmt::format("canopy cover of area {} ({})", static_cast<std::int64_t>(a),
                                                           area_mode() ? "rule 30, mode A" : "context; rule 30 uses the buffer")});
        }
        const float d = global->park_distance_m[static_cast<std::size_t>(row * grid.cols + col)];
        e.terms.push_back({"green_dist_park_m", std::isinf(d) ? std::nan("") : static_cast<double>(d), "m",
                           fmt::format("{} of {} contiguous green areas reach {} m2", global->parks_qualifying,
                                       global->parks_found, s_.park_min_area_m2)});
        if (network_mode()) {
            const WalkNetwork& net = global->network;
            e.notes.push_back(fmt::format(
                "walking network ({} junctions): {} nodes, {} edges, {} entrances; {} dead ends joined within {} m, {} "
                "crossings made junctions",
                s_.network_junctions, net.node_count(), net.segment_count(), net.entrance_count(), net.joined_dead_ends(),
                s_.network_snap_tolerance_m, net.joined_crossings()));
        }
        const bool home = is_home(L, col, row);
        if (home || s_.trees_at == "all_cells") {
            // Plain reference: every tree, no spatial index.
            const auto seen = score_at(stack, L, *global, col, row, true);
            e.terms.push_back({"green_trees_visible", static_cast<double>(seen.all), "trees",
                               fmt::format("{} trees counted of {} read; {}", global->trees_counted, global->trees_read,
                                           home ? "home" : "not a home")});
            e.terms.push_back({"green_trees_visible_28m2", static_cast<double>(seen.large), "trees",
                               "of these, trees with a known crown of at least 28 m2 (section 1.3)"});
        }
        if (!home) e.notes.push_back("not a home: the rule flags are nodata here");
        return e;
    }

    const AccessSettings& settings() const { return s_; }

private:
    [[nodiscard]] bool area_mode() const { return s_.canopy_unit == "area"; }

    // The canopy cover of the area holding the cell; NaN without areas, outside every area or without land.
    static double area_canopy_at(const Layers& L, const GlobalFields& g, std::int64_t col, std::int64_t row) {
        if (L.area_index == nullptr) return std::nan("");
        const float a = L.area_index->at(col, row);
        if (std::isnan(a) || a < 0.0f) return std::nan("");
        const auto idx = static_cast<std::size_t>(a);
        return idx < g.area_canopy_pct.size() ? g.area_canopy_pct[idx] : std::nan("");
    }
    [[nodiscard]] bool line_of_sight() const { return s_.trees_visibility == "line_of_sight"; }
    [[nodiscard]] bool network_mode() const { return s_.park_distance == "network"; }

    [[nodiscard]] std::string canopy_layer_name() const {
        if (s_.canopy_source == "height") return std::string(layer::canopy_height);
        if (s_.canopy_source == "landcover") return layer::landcover_fraction("trees");
        return std::string(layer::canopy_fraction);
    }

    Layers layers(const LayerStack& stack) const {
        Layers L;
        const auto required = [&](const std::string& name, const char* why) -> const Raster* {
            if (!stack.has_raster(name)) {
                throw DataError(fmt::format("green.access needs the grid layer '{}' ({})", name, why));
            }
            return &stack.raster(name);
        };
        const auto optional = [&](const std::string& name) -> const Raster* {
            return stack.has_raster(name) ? &stack.raster(name) : nullptr;
        };
        L.canopy = required(canopy_layer_name(), "tree crowns: add a 'trees' input or a canopy raster");
        if (s_.canopy_denominator == "land") L.water = optional(layer::landcover_fraction("water"));
        bool any_landcover = false;
        for (const auto& c : landcover_classes()) any_landcover = any_landcover || stack.has_raster(layer::landcover_fraction(c));
        if (!any_landcover) throw DataError("green.access needs land cover for the parks: add a 'landcover' input");
        for (const auto& c : s_.park_classes) {
            if (const Raster* r = optional(layer::landcover_fraction(c))) L.park_classes.push_back(r);
        }
        L.building_height = optional(std::string(layer::building_height));
        if (line_of_sight()) {
            L.dsm = required(std::string(layer::dsm), "surface for the line of sight: add a 'dem', 'dsm' or 'buildings' input");
            L.canopy_height = optional(std::string(layer::canopy_height));
        }
        L.homes = required(std::string(s_.homes == "residents" ? layer::residents : layer::dwellings),
                           "homes: add a 'population' input with address points");
        if (area_mode()) {
            L.area_index = required(std::string(layer::area_index),
                                    "canopy_unit 'area' judges rule 30 per area: add an 'areas' input or set canopy_unit: buffer");
        } else {
            L.area_index = optional(std::string(layer::area_index));
        }
        for (const auto& name : inputs()) {
            if (stack.has_raster(name)) L.all.push_back(&stack.raster(name));
        }
        if (!stack.has_features("trees")) {
            throw DataError("green.access needs tree points: add a 'trees' input (points with height_m, crown_diameter_m)");
        }
        if (network_mode() && !stack.has_features("roads") && !stack.has_features("paths")) {
            throw DataError("green.access: park_distance 'network' needs the walking network: add a 'roads' or 'paths' input (lines)");
        }
        return L;
    }

    // Crown and land fraction of one cell; NaN when an input is NaN.
    std::pair<double, double> crown_and_land(const Layers& L, std::int64_t col, std::int64_t row) const {
        const float raw = L.canopy->at(col, row);
        double crown = s_.canopy_source == "height" ? (std::isnan(raw) ? std::nan("") : (raw > s_.canopy_min_height_m ? 1.0 : 0.0))
                                                    : std::clamp(static_cast<double>(raw), 0.0, 1.0);
        if (std::isnan(raw)) crown = std::nan("");
        double land = 1.0;
        if (L.water != nullptr) land = 1.0 - std::clamp(static_cast<double>(L.water->at(col, row)), 0.0, 1.0);
        if (L.water != nullptr && std::isnan(L.water->at(col, row))) land = std::nan("");
        return {std::min(crown, land), land};
    }

    float park_fraction(const Layers& L, std::size_t i) const {
        float g = 0.0f;
        for (const Raster* r : L.park_classes) g += r->values()[i];
        return std::min(g, 1.0f);  // NaN stays NaN
    }

    bool is_home(const Layers& L, std::int64_t col, std::int64_t row) const { return L.homes->at(col, row) > 0.0f; }

    static double ground_at(const Layers& L, std::int64_t col, std::int64_t row) {
        // The DSM less what stands on the ground (as io/derive.cpp builds it).
        const double dsm = L.dsm->at(col, row);
        double above = 0.0;
        if (L.building_height != nullptr) above = std::max(above, static_cast<double>(L.building_height->at(col, row)));
        if (L.canopy_height != nullptr) above = std::max(above, static_cast<double>(L.canopy_height->at(col, row)));
        return dsm - (std::isnan(above) ? 0.0 : above);
    }

    static bool is_building(const Layers& L, std::int64_t col, std::int64_t row) {
        return L.building_height != nullptr && L.building_height->at(col, row) > 0.0f;
    }

    void prepare(const LayerStack& stack, int threads) const override { (void)global_fields(stack, layers(stack), threads); }

    // The whole-grid fields, built once per input state. `threads` > 1 only from prepare(), which runs
    // outside the tile tasks; from a tile the build is serial: the tiles waiting on it are TBB workers.
    std::shared_ptr<const GlobalFields> global_fields(const LayerStack& stack, const Layers& L, int threads = 1) const {
        const auto key = stack.hash_of(inputs());
        std::shared_ptr<CacheEntry> entry;
        {
            std::lock_guard lock(cache_mutex_);
            for (const auto& [k, e] : cache_) {
                if (k == key) entry = e;
            }
            if (!entry) {
                entry = std::make_shared<CacheEntry>();
                // Scenarios run one after the other: keeping the two most recent bounds the memory.
                if (cache_.size() >= 2) cache_.erase(cache_.begin());
                cache_.emplace_back(key, entry);
            }
        }
        std::call_once(entry->once, [&] { entry->fields = build_global(stack, L, threads); });
        return entry->fields;
    }

    std::shared_ptr<const GlobalFields> build_global(const LayerStack& stack, const Layers& L, int threads) const {
        const GridSpec& grid = stack.grid();
        auto g = std::make_shared<GlobalFields>();
        const auto n = static_cast<std::size_t>(grid.cell_count());

        std::vector<float> green(n);
        for (std::size_t i = 0; i < n; ++i) green[i] = park_fraction(L, i);
        const auto parks = find_parks(green, grid.cols, grid.rows, grid.cell_area_m2(), s_.park_cell_min_fraction,
                                      s_.park_min_area_m2, s_.park_connectivity, s_.park_max_perimeter_per_area);
        g->parks_found = parks.parks_found;
        g->parks_qualifying = parks.parks_qualifying;
        green = {};
        g->park_distance_m.resize(n);
        if (network_mode()) {
            std::vector<std::vector<Point2>> lines;
            for (const char* role : {"roads", "paths"}) {
                if (!stack.has_features(role)) continue;
                for (const Feature& f : stack.features(role).features) {
                    for (const auto& part : f.geometry.lines) lines.push_back(part);
                }
            }
            NetworkNoding noding;
            noding.mode = s_.network_junctions == "shared_vertices" ? NetworkNoding::Mode::SharedVertices
                        : s_.network_junctions == "crossings"     ? NetworkNoding::Mode::Crossings
                                                                  : NetworkNoding::Mode::Endpoints;
            noding.tolerance_m = s_.network_snap_tolerance_m;
            g->network = WalkNetwork(lines, grid, parks.qualifying, noding);
            parallel_for_each(static_cast<std::size_t>(grid.rows), threads, [&](std::size_t r) {
                const auto row = static_cast<std::int64_t>(r);
                for (std::int64_t col = 0; col < grid.cols; ++col) {
                    const auto i = static_cast<std::size_t>(row * grid.cols + col);
                    g->park_distance_m[i] = parks.qualifying[i] != 0 ? 0.0f
                        : static_cast<float>(g->network.distance_from(grid.cell_center_x(col), grid.cell_center_y(row),
                                                                      s_.network_snap_max_m));
                }
            });
        } else {
            distance_transform_m(parks.qualifying, grid.cols, grid.rows, grid.cell_size_m, threads,
                                 g->park_distance_m.data());
        }
        g->park_mask = parks.qualifying;

        if (L.area_index != nullptr) {
            std::vector<std::int64_t> crown_sum, land_sum;
            for (std::int64_t row = 0; row < grid.rows; ++row) {
                for (std::int64_t col = 0; col < grid.cols; ++col) {
                    const float a = L.area_index->at(col, row);
                    if (std::isnan(a) || a < 0.0f) continue;
                    const auto [crown, land] = crown_and_land(L, col, row);
                    if (std::isnan(crown) || std::isnan(land)) continue;
                    const auto idx = static_cast<std::size_t>(a);
                    if (idx >= crown_sum.size()) {
                        crown_sum.resize(idx + 1, 0);
                        land_sum.resize(idx + 1, 0);
                    }
                    crown_sum[idx] += std::lround(crown * kFractionScale);
                    land_sum[idx] += std::lround(land * kFractionScale);
                }
            }
            g->area_canopy_pct.resize(crown_sum.size());
            for (std::size_t k = 0; k < crown_sum.size(); ++k) {
                g->area_canopy_pct[k] = land_sum[k] == 0 ? std::nan("")
                                                         : 100.0 * static_cast<double>(crown_sum[k]) / static_cast<double>(land_sum[k]);
            }
        }

        std::vector<TreeObserver> trees;
        for (const Feature& f : stack.features("trees").features) {
            std::vector<Point2> points = f.geometry.points;
            double diameter = f.number_or("crown_diameter_m", std::nan(""));
            if (points.empty() && !f.geometry.polygons.empty()) {
                const Box2 b = f.geometry.bounds();
                points.push_back({0.5 * (b.min_x + b.max_x), 0.5 * (b.min_y + b.max_y)});
                if (std::isnan(diameter)) diameter = 2.0 * std::sqrt(f.geometry.area_m2() / std::numbers::pi);
            }
            const double height = f.number_or("height_m", std::nan(""));
            for (const Point2& p : points) {
                ++g->trees_read;
                TreeObserver t;
                t.x = p.x;
                t.y = p.y;
                t.crown_known = !std::isnan(diameter);
                t.crown_radius_m = 0.5 * (t.crown_known ? diameter : kDefaultCrownDiameter_m);
                t.height_m = height;
                const double crown_area = std::numbers::pi * t.crown_radius_m * t.crown_radius_m;
                if (s_.tree_min_crown_area_m2 > 0.0 && (!t.crown_known || crown_area < s_.tree_min_crown_area_m2)) continue;
                if (s_.tree_min_height_m > 0.0 && !(height >= s_.tree_min_height_m)) continue;
                if (L.dsm != nullptr) t.z_m = crown_top(grid, L, p);
                trees.push_back(t);
                g->max_crown_radius_m = std::max(g->max_crown_radius_m, t.crown_radius_m);
            }
        }
        g->trees_counted = static_cast<std::int64_t>(trees.size());
        Box2 box = grid.extent();
        const double margin = s_.trees_radius_m + g->max_crown_radius_m;
        box = {box.min_x - margin, box.min_y - margin, box.max_x + margin, box.max_y + margin};
        std::erase_if(trees, [&](const TreeObserver& t) {
            return t.x < box.min_x || t.x > box.max_x || t.y < box.min_y || t.y > box.max_y;
        });
        g->trees = TreeIndex(std::move(trees), box, std::max(s_.trees_radius_m, grid.cell_size_m));
        return g;
    }

    // Observer at the crown top: the highest DSM of the non-building cells within crown_top_search_m
    // of the tree point (and its own cell), green-method.md section 1.5 step 2.
    double crown_top(const GridSpec& grid, const Layers& L, const Point2& p) const {
        const auto c0 = grid.col_of(p.x), r0 = grid.row_of(p.y);
        const auto reach = static_cast<std::int64_t>(std::ceil(s_.crown_top_search_m / grid.cell_size_m));
        double top = -std::numeric_limits<double>::infinity();
        for (auto r = r0 - reach; r <= r0 + reach; ++r) {
            for (auto c = c0 - reach; c <= c0 + reach; ++c) {
                if (!grid.contains_cell(c, r) || is_building(L, c, r)) continue;
                const double dx = grid.cell_center_x(c) - p.x, dy = grid.cell_center_y(r) - p.y;
                if ((c != c0 || r != r0) && dx * dx + dy * dy > s_.crown_top_search_m * s_.crown_top_search_m) continue;
                const float h = L.dsm->at(c, r);
                if (!std::isnan(h)) top = std::max(top, static_cast<double>(h));
            }
        }
        const auto cg = std::clamp(c0, std::int64_t{0}, grid.cols - 1), rg = std::clamp(r0, std::int64_t{0}, grid.rows - 1);
        const double ground = ground_at(L, cg, rg);
        if (std::isnan(ground)) return std::nan("");
        const double above = top - ground;
        if (!(above > 0.0 && above <= kMaxCrownTopAboveGround_m)) return ground + kFallbackObserverHeight_m;
        return top;
    }

    // Trees counted from one target cell: within the radius (to trunk or crown edge) and, in line-of-
    // sight mode, visible. With reference = true every tree is tested (no index): the test oracle.
    template <typename Visit>
    void trees_from(const LayerStack& stack, const Layers& L, const GlobalFields& g, std::int64_t col, std::int64_t row,
                    bool reference, Visit&& visit) const {
        const GridSpec& grid = stack.grid();
        const double x = grid.cell_center_x(col), y = grid.cell_center_y(row);
        const bool crown_edge = s_.trees_distance_to == "crown_edge";
        double target_z = 0.0;
        SightSurface surface{&grid, L.dsm, L.building_height, s_.los_blockers == "buildings"};
        if (line_of_sight()) {
            target_z = ground_at(L, col, row) + s_.target_height_m;
            if (std::isnan(target_z)) return;
        }
        const auto consider = [&](std::size_t t) {
            const TreeObserver& tree = g.trees.trees()[t];
            const double dx = tree.x - x, dy = tree.y - y;
            const double d = std::sqrt(dx * dx + dy * dy);
            if ((crown_edge ? d - tree.crown_radius_m : d) > s_.trees_radius_m) return;
            if (line_of_sight() && (std::isnan(tree.z_m) || !green::line_of_sight(surface, tree, x, y, target_z))) return;
            visit(t);
        };
        const double search = s_.trees_radius_m + (crown_edge ? g.max_crown_radius_m : 0.0);
        if (reference) {
            for (std::size_t t = 0; t < g.trees.trees().size(); ++t) consider(t);
        } else {
            g.trees.for_each_within(x, y, search, consider);
        }
    }

    // Trees counted for rule 3, and among them those with a known crown of at least 28 m2 (the notes'
    // section 1.3: report the 28 m2 count alongside the default minimum of 0).
    struct Score {
        std::int64_t all = 0;
        std::int64_t large = 0;
    };
    static bool large_crown(const TreeObserver& t) {
        return t.crown_known && std::numbers::pi * t.crown_radius_m * t.crown_radius_m >= kReportedCrownArea_m2;
    }

    Score count_at(const LayerStack& stack, const Layers& L, const GlobalFields& g, std::int64_t col, std::int64_t row,
                   bool reference) const {
        Score n;
        trees_from(stack, L, g, col, row, reference, [&](std::size_t t) {
            ++n.all;
            if (large_crown(g.trees.trees()[t])) ++n.large;
        });
        return n;
    }

    // The score of a cell: at the cell itself, or for a home inside a building the maximum over the
    // ring of cells outside its facade (line of sight, section 1.5 step 4) or the trees near any ring
    // cell (buffer count: the crowns near the building, as cobra).
    Score score_at(const LayerStack& stack, const Layers& L, const GlobalFields& g, std::int64_t col,
                   std::int64_t row, bool reference) const {
        if (s_.home_score == "address_cell" || !is_building(L, col, row) || !is_home(L, col, row)) {
            return count_at(stack, L, g, col, row, reference);
        }
        const GridSpec& grid = stack.grid();
        const auto reach = static_cast<std::int64_t>(std::ceil(s_.facade_search_max_m / grid.cell_size_m));
        const auto ring = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::lround(s_.facade_ring_m / grid.cell_size_m)));
        const auto side = 2 * (reach + ring) + 1;
        const auto origin_c = col - reach - ring, origin_r = row - reach - ring;
        // 0 unvisited, 1 building of this home, 2 ring cell
        std::vector<std::uint8_t> mark(static_cast<std::size_t>(side * side), 0);
        const auto at = [&](std::int64_t c, std::int64_t r) -> std::uint8_t& {
            return mark[static_cast<std::size_t>((r - origin_r) * side + (c - origin_c))];
        };
        std::vector<std::pair<std::int64_t, std::int64_t>> todo{{col, row}}, building;
        at(col, row) = 1;
        while (!todo.empty()) {
            const auto [c, r] = todo.back();
            todo.pop_back();
            building.emplace_back(c, r);
            for (const auto& [dc, dr] : {std::pair{1, 0}, std::pair{-1, 0}, std::pair{0, 1}, std::pair{0, -1}}) {
                const auto nc = c + dc, nr = r + dr;
                if (std::abs(nc - col) > reach || std::abs(nr - row) > reach || !grid.contains_cell(nc, nr)) continue;
                if (at(nc, nr) != 0 || !is_building(L, nc, nr)) continue;
                at(nc, nr) = 1;
                todo.emplace_back(nc, nr);
            }
        }
        for (const auto& [c, r] : building) {
            for (auto rr = r - ring; rr <= r + ring; ++rr) {
                for (auto cc = c - ring; cc <= c + ring; ++cc) {
                    if (!grid.contains_cell(cc, rr) || at(cc, rr) != 0 || is_building(L, cc, rr) || !L.valid(cc, rr)) continue;
                    at(cc, rr) = 2;
                }
            }
        }
        std::vector<std::pair<std::int64_t, std::int64_t>> ring_cells;
        for (std::int64_t r = origin_r; r < origin_r + side; ++r) {
            for (std::int64_t c = origin_c; c < origin_c + side; ++c) {
                if (at(c, r) == 2) ring_cells.emplace_back(c, r);
            }
        }
        if (ring_cells.empty()) return count_at(stack, L, g, col, row, reference);
        if (line_of_sight()) {
            Score best;
            for (const auto& [c, r] : ring_cells) {
                const Score here = count_at(stack, L, g, c, r, reference);
                best.all = std::max(best.all, here.all);
                best.large = std::max(best.large, here.large);
            }
            return best;
        }
        std::vector<std::size_t> ids;
        for (const auto& [c, r] : ring_cells) trees_from(stack, L, g, c, r, reference, [&](std::size_t t) { ids.push_back(t); });
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
        Score n;
        n.all = static_cast<std::int64_t>(ids.size());
        for (const auto t : ids) n.large += large_crown(g.trees.trees()[t]) ? 1 : 0;
        return n;
    }

    void write_cell(const LayerStack& stack, const Layers& L, const GlobalFields& g, std::int64_t col, std::int64_t row,
                    double share, TileOutputs& out) const {
        const GridSpec& grid = stack.grid();
        const auto set = [&](Out k, double v) { out.rasters[k]->at(col, row) = static_cast<float>(v); };
        const double nan = std::nan("");
        set(kCanopyShare, share);
        const auto [crown, land] = crown_and_land(L, col, row);
        set(kCanopyCell, land > 0.0 ? 100.0 * crown / land : nan);
        const float dist = g.park_distance_m[static_cast<std::size_t>(row * grid.cols + col)];
        set(kDistPark, std::isinf(dist) ? nan : static_cast<double>(dist));
        const double area_pct = area_canopy_at(L, g, col, row);
        set(kCanopyArea, area_pct);
        const bool home = is_home(L, col, row);
        double seen = nan;
        if (home || s_.trees_at == "all_cells") seen = static_cast<double>(score_at(stack, L, g, col, row, false).all);
        set(kTreesVisible, seen);
        if (!home) {
            for (Out k : {kDistParkHome, kRule3, kRule30, kRule300, kRuleAll, kRulesMet}) set(k, nan);
            return;
        }
        set(kDistParkHome, std::isinf(dist) ? nan : static_cast<double>(dist));
        const bool r3 = seen >= s_.trees_pass_count;
        const double canopy = area_mode() ? area_pct : share;
        const bool r30 = canopy >= s_.canopy_pass_pct;  // NaN (no land) fails
        const bool r300 = static_cast<double>(dist) <= s_.park_pass_distance_m;
        set(kRule3, r3 ? 1.0 : 0.0);
        set(kRule30, r30 ? 1.0 : 0.0);
        set(kRule300, r300 ? 1.0 : 0.0);
        set(kRuleAll, (r3 && r30 && r300) ? 1.0 : 0.0);
        set(kRulesMet, static_cast<double>(int{r3} + int{r30} + int{r300}));
    }

    // Summed-area tables of crown and land (units of 2^-20 of a cell) over a window of the grid, and the
    // disc sums of canopy share from them. Integer sums: a cell's sums are the same from any window
    // that holds its disc (every tile of compute(), every band of compute_points()).
    // The tables live in buffers each thread keeps from tile to tile (a pool: a table is taken in the
    // constructor and given back in the destructor), so a tile faults in no new pages; every entry read
    // is written first (the zero first row and column explicitly).
    class CanopySums {
    public:
        CanopySums(const GreenAccessModel& model, const Layers& L, const Window& w, Disc disc)
            : w_(w), disc_(std::move(disc)) {
            const auto stride = w.cols + 1;
            const auto size = static_cast<std::size_t>(stride * (w.rows + 1));
            crown_ = take_table(size);
            land_ = take_table(size);
            std::fill(crown_.begin(), crown_.begin() + stride, 0);
            std::fill(land_.begin(), land_.begin() + stride, 0);
            for (std::int64_t r = 0; r < w.rows; ++r) {
                std::int64_t crown_row = 0, land_row = 0;
                const auto above = static_cast<std::size_t>(r * stride), here = static_cast<std::size_t>((r + 1) * stride);
                crown_[here] = 0;
                land_[here] = 0;
                for (std::int64_t c = 0; c < w.cols; ++c) {
                    const auto [crown, land] = model.crown_and_land(L, w.col0 + c, w.row0 + r);
                    if (!std::isnan(crown) && !std::isnan(land)) {
                        crown_row += std::lround(crown * kFractionScale);
                        land_row += std::lround(land * kFractionScale);
                        all_land_ = all_land_ && land == 1.0;
                    } else {
                        all_land_ = false;
                    }
                    const auto i = static_cast<std::size_t>(c + 1);
                    crown_[here + i] = crown_[above + i] + crown_row;
                    land_[here + i] = land_[above + i] + land_row;
                }
            }
        }
        // Crown and land sums of the discs around grid cells (col0 + i, row), i < n.
        void row(std::int64_t row, std::int64_t col0, std::int64_t n, std::int64_t* crown, std::int64_t* land) const {
            std::fill(crown, crown + n, 0);
            const auto wr = row - w_.row0, wc0 = col0 - w_.col0;
            add_disc_sums(disc_, crown_.data(), w_.rows, w_.cols, wr, wc0, n, crown);
            if (all_land_) {
                // Every cell has data and is all land: the land sum is the count of disc cells.
                disc_cells_in_window_row(disc_, w_.rows, w_.cols, wr, wc0, n, land);
                for (std::int64_t c = 0; c < n; ++c) land[c] *= static_cast<std::int64_t>(kFractionScale);
            } else {
                std::fill(land, land + n, 0);
                add_disc_sums(disc_, land_.data(), w_.rows, w_.cols, wr, wc0, n, land);
            }
        }
        static double share(std::int64_t crown, std::int64_t land) {
            return land == 0 ? std::nan("") : 100.0 * static_cast<double>(crown) / static_cast<double>(land);
        }
        ~CanopySums() {
            give_back(std::move(crown_));
            give_back(std::move(land_));
        }
        CanopySums(const CanopySums&) = delete;
        CanopySums& operator=(const CanopySums&) = delete;

    private:
        static std::vector<std::vector<std::int64_t>>& pool() {
            thread_local std::vector<std::vector<std::int64_t>> tables;
            return tables;
        }
        static std::vector<std::int64_t> take_table(std::size_t size) {
            auto& tables = pool();
            std::vector<std::int64_t> t;
            if (!tables.empty()) {
                t = std::move(tables.back());
                tables.pop_back();
            }
            if (t.size() < size) t.resize(size);
            return t;
        }
        static void give_back(std::vector<std::int64_t> t) {
            if (!t.empty()) pool().push_back(std::move(t));
        }

        Window w_;
        Disc disc_;
        std::vector<std::int64_t> crown_, land_;
        bool all_land_ = true;
    };

    struct HomePoint {
        Point2 p;
        std::int64_t col = 0, row = 0;
        double dwellings = 0.0, residents = 0.0;
        std::int64_t feature_id = 0;
    };

    // The homes of the population role in input order: every point of a feature (a multipoint shares its
    // numbers equally, as the loader), a polygon at the centre of its bounds when that lies inside it, else
    // at the mean of its outer ring (an approximation of the loader's representative point); kept when
    // dwellings (or residents, per `homes`) > 0 and the point lies in the grid.
    std::vector<HomePoint> home_points(const LayerStack& stack) const {
        const GridSpec& grid = stack.grid();
        std::vector<HomePoint> homes;
        for (const Feature& f : stack.features("population").features) {
            std::vector<Point2> points = f.geometry.points;
            if (points.empty() && !f.geometry.polygons.empty() && !f.geometry.polygons.front().rings.empty()) {
                const Box2 b = f.geometry.bounds();
                const Point2 centre{0.5 * (b.min_x + b.max_x), 0.5 * (b.min_y + b.max_y)};
                const auto& ring = f.geometry.polygons.front().rings.front();
                if (inside_ring(ring, centre)) {
                    points.push_back(centre);
                } else {
                    Point2 mean{0.0, 0.0};
                    const std::size_t m = ring.size() > 1 ? ring.size() - 1 : ring.size();  // closed: last = first
                    for (std::size_t k = 0; k < m; ++k) mean = {mean.x + ring[k].x, mean.y + ring[k].y};
                    const auto k = static_cast<double>(m);
                    points.push_back({mean.x / k, mean.y / k});
                }
            }
            if (points.empty()) continue;
            const double share = 1.0 / static_cast<double>(points.size());
            const double dwellings = f.number_or("dwellings", 0.0) * share, residents = f.number_or("residents", 0.0) * share;
            if (!((s_.homes == "residents" ? residents : dwellings) > 0.0)) continue;
            for (const Point2& p : points) {
                const auto col = grid.col_of(p.x), row = grid.row_of(p.y);
                if (!grid.contains_cell(col, row)) continue;
                homes.push_back({p, col, row, dwellings, residents, f.id});
            }
        }
        return homes;
    }

    static bool inside_ring(const Ring& ring, const Point2& p) {
        bool inside = false;
        for (std::size_t i = 0, j = ring.size() - 1; i < ring.size(); j = i++) {
            const Point2& a = ring[i];
            const Point2& b = ring[j];
            if ((a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x) inside = !inside;
        }
        return inside;
    }

    struct CacheEntry {
        std::once_flag once;
        std::shared_ptr<const GlobalFields> fields;
    };

    AccessSettings s_;
    mutable std::mutex cache_mutex_;
    mutable std::vector<std::pair<std::uint64_t, std::shared_ptr<CacheEntry>>> cache_;
};

}  // namespace

std::string AccessSettings::describe() const {
    return fmt::format(
        "canopy_unit={}, canopy_radius_m={}, canopy_source={}, canopy_min_height_m={}, canopy_denominator={}, "
        "canopy_pass_pct={}, park_classes=[{}], park_cell_min_fraction={}, park_min_area_m2={}, park_connectivity={}, "
        "park_max_perimeter_per_area={}, park_pass_distance_m={}, park_distance={}, network_snap_max_m={}, network_junctions={}, "
        "network_snap_tolerance_m={}, trees_visibility={}, trees_radius_m={}, trees_distance_to={}, "
        "tree_min_crown_area_m2={}, tree_min_height_m={}, trees_pass_count={}, crown_top_search_m={}, "
        "target_height_m={}, los_blockers={}, home_score={}, facade_ring_m={}, facade_search_max_m={}, trees_at={}, "
        "homes={}, point_weight={}",
        canopy_unit, canopy_radius_m, canopy_source, canopy_min_height_m, canopy_denominator, canopy_pass_pct,
        fmt::join(park_classes, ","), park_cell_min_fraction, park_min_area_m2, park_connectivity, park_max_perimeter_per_area,
        park_pass_distance_m,
        park_distance, network_snap_max_m, network_junctions, network_snap_tolerance_m, trees_visibility, trees_radius_m, trees_distance_to, tree_min_crown_area_m2, tree_min_height_m, trees_pass_count,
        crown_top_search_m, target_height_m, los_blockers, home_score, facade_ring_m, facade_search_max_m, trees_at, homes, point_weight);
}

const std::vector<std::string>& green_access_presets() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> v;
        for (const auto& p : preset_table()) v.push_back(p.name);
        return v;
    }();
    return names;
}

std::vector<std::pair<std::string, std::string>> green_access_preset_overrides(const std::string& preset) {
    for (const auto& p : preset_table()) {
        if (p.name != preset) continue;
        std::vector<std::pair<std::string, std::string>> out;
        for (const auto& [k, v] : p.overrides) out.emplace_back(k, value_text(v));
        return out;
    }
    throw ConfigError(fmt::format("green.access: unknown preset '{}'", preset));
}

Parameters apply_access_preset(const Parameters& given) {
    Parameters p = given;
    const auto& preset = given.choice("preset");
    const PresetEntry* entry = nullptr;
    for (const auto& e : preset_table()) {
        if (e.name == preset) entry = &e;
    }
    if (entry == nullptr) throw ConfigError(fmt::format("green.access: unknown preset '{}'", preset));
    for (const auto& [name, value] : entry->overrides) {
        if (given.was_given(name)) continue;  // a value the user wrote wins over the preset's
        (void)spec_of(name);                  // the preset table names declared parameters only
        if (const auto* d = std::get_if<double>(&value)) {
            p.set_numbers(name, {*d});
        } else if (const auto* s = std::get_if<std::string>(&value)) {
            p.set_choices(name, {*s});
        } else {
            p.set_choices(name, std::get<std::vector<std::string>>(value));
        }
    }
    return p;
}

AccessSettings resolve_access_settings(const Parameters& given) {
    // Resolving twice changes nothing: the preset sets the same values again.
    const Parameters p = apply_access_preset(given);
    AccessSettings s;
    s.preset = p.choice("preset");
    s.canopy_unit = p.choice("canopy_unit");
    s.canopy_radius_m = p.number("canopy_radius_m");
    s.canopy_source = p.choice("canopy_source");
    s.canopy_min_height_m = p.number("canopy_min_height_m");
    s.canopy_denominator = p.choice("canopy_denominator");
    s.canopy_pass_pct = p.number("canopy_pass_pct");
    s.park_classes = p.choices("park_classes");
    s.park_cell_min_fraction = p.number("park_cell_min_fraction");
    s.park_min_area_m2 = p.number("park_min_area_m2");
    s.park_connectivity = p.choice("park_connectivity") == "8" ? 8 : 4;
    s.park_max_perimeter_per_area = p.number("park_max_perimeter_per_area");
    s.park_pass_distance_m = p.number("park_pass_distance_m");
    s.park_distance = p.choice("park_distance");
    s.network_snap_max_m = p.number("network_snap_max_m");
    s.network_junctions = p.choice("network_junctions");
    s.network_snap_tolerance_m = p.number("network_snap_tolerance_m");
    s.trees_visibility = p.choice("trees_visibility");
    s.trees_radius_m = p.number("trees_radius_m");
    s.trees_distance_to = p.choice("trees_distance_to");
    s.tree_min_crown_area_m2 = p.number("tree_min_crown_area_m2");
    s.tree_min_height_m = p.number("tree_min_height_m");
    s.trees_pass_count = p.number("trees_pass_count");
    s.crown_top_search_m = p.number("crown_top_search_m");
    s.target_height_m = p.number("target_height_m");
    s.los_blockers = p.choice("los_blockers");
    s.home_score = p.choice("home_score");
    s.facade_ring_m = p.number("facade_ring_m");
    s.facade_search_max_m = p.number("facade_search_max_m");
    s.trees_at = p.choice("trees_at");
    s.homes = p.choice("homes");
    s.point_weight = p.choice("point_weight");
    return s;
}

const IndicatorDescriptor& GreenAccess::descriptor() const { return green_access_descriptor(); }

Parameters GreenAccess::resolve(const Parameters& validated) const { return apply_access_preset(validated); }

std::unique_ptr<IndicatorModel> GreenAccess::build(const Parameters& params) const {
    return std::make_unique<GreenAccessModel>(params);
}

std::vector<Formula> GreenAccess::formulas() const {
    Formula preset;
    preset.name = "green_access_preset";
    preset.summary = "every parameter value of a green.access preset";
    preset.inputs = {{"preset", ParameterSpec::Kind::Choice, "", "preset name", {}, {"rivm-2025"}, 0.0, 0.0,
                      green_access_presets()}};
    for (const auto& spec : green_access_descriptor().parameters) {
        if (spec.name != "preset") preset.results.push_back(spec.name);
    }
    preset.evaluate = [](const Parameters& in) {
        Parameters p;
        for (const auto& spec : green_access_descriptor().parameters) {
            if (spec.kind == ParameterSpec::Kind::Number || spec.kind == ParameterSpec::Kind::NumberList) {
                p.set_numbers(spec.name, spec.default_numbers);
            } else {
                p.set_choices(spec.name, spec.default_choices);
            }
        }
        p.set_choices("preset", {in.choice("preset")});
        const auto s = resolve_access_settings(p);
        FormulaResult r;
        r.values["canopy_radius_m"] = s.canopy_radius_m;
        r.values["canopy_min_height_m"] = s.canopy_min_height_m;
        r.values["canopy_pass_pct"] = s.canopy_pass_pct;
        r.values["park_cell_min_fraction"] = s.park_cell_min_fraction;
        r.values["park_min_area_m2"] = s.park_min_area_m2;
        r.values["park_max_perimeter_per_area"] = s.park_max_perimeter_per_area;
        r.values["park_pass_distance_m"] = s.park_pass_distance_m;
        r.values["network_snap_max_m"] = s.network_snap_max_m;
        r.texts["park_distance"] = s.park_distance;
        r.texts["network_junctions"] = s.network_junctions;
        r.values["network_snap_tolerance_m"] = s.network_snap_tolerance_m;
        r.values["trees_radius_m"] = s.trees_radius_m;
        r.values["tree_min_crown_area_m2"] = s.tree_min_crown_area_m2;
        r.values["tree_min_height_m"] = s.tree_min_height_m;
        r.values["trees_pass_count"] = s.trees_pass_count;
        r.values["crown_top_search_m"] = s.crown_top_search_m;
        r.values["target_height_m"] = s.target_height_m;
        r.values["facade_ring_m"] = s.facade_ring_m;
        r.values["facade_search_max_m"] = s.facade_search_max_m;
        r.texts["canopy_unit"] = s.canopy_unit;
        r.texts["canopy_source"] = s.canopy_source;
        r.texts["canopy_denominator"] = s.canopy_denominator;
        r.texts["park_classes"] = fmt::format("{}", fmt::join(s.park_classes, ","));
        r.texts["park_connectivity"] = std::to_string(s.park_connectivity);
        r.texts["trees_visibility"] = s.trees_visibility;
        r.texts["trees_distance_to"] = s.trees_distance_to;
        r.texts["los_blockers"] = s.los_blockers;
        r.texts["home_score"] = s.home_score;
        r.texts["trees_at"] = s.trees_at;
        r.texts["homes"] = s.homes;
        r.texts["point_weight"] = s.point_weight;
        return r;
    };

    // green-method.md section 5: NDVI from Sentinel-2 L2A digital numbers with the offset of
    // processing baseline 04.00 and later (reflectance = (DN + BOA_ADD_OFFSET) / QUANTIFICATION_VALUE).
    Formula ndvi;
    ndvi.name = "green_ndvi";
    ndvi.summary = "NDVI from Sentinel-2 L2A B4/B8 digital numbers, with the BOA offset, and its ANK class";
    ndvi.inputs = {
        {"red_dn", ParameterSpec::Kind::Number, "", "B4 digital number", {300.0}, {}, 0.0, 65535.0, {}},
        {"nir_dn", ParameterSpec::Kind::Number, "", "B8 digital number", {3000.0}, {}, 0.0, 65535.0, {}},
        {"boa_add_offset", ParameterSpec::Kind::Number, "",
         "BOA_ADD_OFFSET of the band from the product metadata (-1000 from baseline 04.00, 0 before; the default "
         "is green.ndvi's)", {-1000.0}, {},
         -10000.0, 10000.0, {}},
        {"quantification_value", ParameterSpec::Kind::Number, "", "QUANTIFICATION_VALUE (10000)", {10000.0}, {}, 1.0,
         1.0e6, {}},
    };
    ndvi.results = {"red_reflectance", "nir_reflectance", "ndvi", "class"};
    ndvi.evaluate = [](const Parameters& in) {
        FormulaResult r;
        const double q = in.number("quantification_value"), off = in.number("boa_add_offset");
        const double red = (in.number("red_dn") + off) / q, nir = (in.number("nir_dn") + off) / q;
        r.values["red_reflectance"] = red;
        r.values["nir_reflectance"] = nir;
        if (red + nir <= 0.0) {
            r.values["ndvi"] = std::nullopt;
            r.texts["class"] = "none";
            r.warnings.push_back("red + nir reflectance is not positive: NDVI undefined");
            return r;
        }
        const double v = (nir - red) / (nir + red);
        r.values["ndvi"] = v;
        // ANK thresholds (section 5): < 0 water, 0-0.1 no vegetation, 0.1-0.2 sparse, 0.2-0.4 grass or
        // shrub, > 0.4 forest or productive crops.
        r.texts["class"] = v < 0.0 ? "water" : v < 0.1 ? "no vegetation" : v < 0.2 ? "sparse vegetation"
                                                : v <= 0.4 ? "grassland or shrub" : "forest or productive crops";
        return r;
    };
    return {preset, ndvi};
}

}  // namespace areatwin::indicators::green
