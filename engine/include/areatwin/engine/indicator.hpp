// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "areatwin/engine/grid.hpp"
#include "areatwin/engine/layer_stack.hpp"
#include "areatwin/engine/parameters.hpp"
#include "areatwin/engine/raster.hpp"
#include "areatwin/engine/style.hpp"
#include "areatwin/engine/tiling.hpp"

namespace areatwin {

// One output raster of an indicator.
struct OutputSpec {
    std::string name;          // layer name in the GeoPackage, e.g. "green_share_r300"
    std::string unit;          // "%", "dB(A)", "ug/m3", "degC"
    std::string description;
    std::vector<double> thresholds;  // per-area statistics report residents above each
    std::string style;         // colour ramp for QGIS: "green", "noise", "heat", "diverging"
    double style_min = 0.0;    // value range of the ramp
    double style_max = 100.0;
    std::vector<StyleClass> classes;  // non-empty: a discrete style with these classes instead of the ramp
};

// One attribute column of a point layer an indicator computes.
struct PointColumn {
    std::string name;          // column name, e.g. "lden_dba"
    std::string unit;
    std::string description;
    bool text = false;
    std::vector<double> values;        // one per point when !text; NaN is written as NULL
    std::vector<std::string> texts;    // one per point when text
    std::vector<double> thresholds;    // per-area statistics report the weight (residents) above each
    // Per-area weighted p10, p50 and p90 of the column over the area's points (the value below which
    // that share of the weight lies), for columns where who is worst off matters, not only the mean.
    bool area_percentiles = false;
    // What a NaN value means at a point, e.g. "no qualifying park reachable". When set, such points
    // are the worst case: they count as above every threshold, the percentiles rank them last (a
    // percentile that falls among them is NULL), and the per-area layer reports their weight. When
    // empty, NaN points are left out of the column's statistics.
    std::string missing_means;
};

// A point layer an indicator computes (receiver points, facade points, dwellings), written per scenario
// as "<scenario>__<name>".
struct PointLayer {
    std::string name;          // e.g. "noise_receivers"
    std::string description;
    std::vector<Point2> points;        // grid CRS
    std::vector<PointColumn> columns;
    // Optional weight per point (residents or dwellings). When given and the batch has areas, the
    // per-area layer gets, per column with thresholds, the weighted mean and the weight above each
    // threshold, points assigned to the area of the cell they lie in.
    std::vector<double> residents;
    std::string weight_name = "residents";  // what `residents` counts, for column descriptions
    std::string style_column;  // the column QGIS colours the points by; empty: one symbol
    std::string style = "viridis";
    double style_min = 0.0;
    double style_max = 100.0;
    std::vector<StyleClass> classes;
    // The per-area layer's QGIS style: filled areas graduated by the per-area column
    // "<name>_<area_style_column>" (e.g. "meets_all_share_above_0p5") with these classes. The first
    // point layer of a run that sets it styles the per-area layer; empty: not this layer.
    std::string area_style_column;
    std::string area_style = "viridis";
    double area_style_min = 0.0;
    double area_style_max = 1.0;
    std::vector<StyleClass> area_classes;
};

// The identity and model card of an indicator, declared once next to its code.
struct IndicatorDescriptor {
    std::string id;            // dotted: "green.share", "noise.cnossos"
    std::string version;       // bumps when results change
    std::string summary;       // one line
    std::string method;        // the published method followed, with reference
    std::string validity;      // where the results are meaningful
    std::string assumptions;
    std::vector<ParameterSpec> parameters;
};

// A named point formula exposed for validation: `areatwin formula NAME key=value ...`.
struct FormulaResult {
    std::map<std::string, std::optional<double>> values;  // nullopt prints as null
    std::map<std::string, std::vector<double>> arrays;    // e.g. per-band levels
    std::map<std::string, std::string> texts;             // e.g. a class label
    std::vector<std::string> warnings;
};

struct Formula {
    std::string name;
    std::string summary;
    std::vector<ParameterSpec> inputs;    // validated like indicator parameters
    std::vector<std::string> results;     // result field names, unit in the name
    std::function<FormulaResult(const Parameters&)> evaluate;
};

// The breakdown of one value at one location.
struct Explanation {
    struct Term {
        std::string name;
        double value = 0.0;
        std::string unit;
        std::string note;
    };
    std::string indicator;
    std::string output;
    double x = 0.0;
    double y = 0.0;
    std::optional<double> value;
    std::string unit;
    std::vector<Term> terms;
    std::vector<std::string> notes;
};

// What a tile's compute sees: the whole stack read-only, its window, and its output rasters.
struct TileContext {
    const LayerStack& inputs;
    const GridSpec& grid;
    Tile tile;
};

// Full-grid output rasters; a tile writes only the cells of its core window.
struct TileOutputs {
    std::vector<Raster*> rasters;  // in the order of IndicatorModel::outputs()
};

// An indicator built from validated parameters. compute() is const and is called from many
// threads for different tiles at once.
class IndicatorModel {
public:
    virtual ~IndicatorModel() = default;
    [[nodiscard]] virtual std::vector<std::string> inputs() const = 0;   // layer and role names read
    [[nodiscard]] virtual double halo_m() const = 0;
    [[nodiscard]] virtual std::vector<OutputSpec> outputs() const = 0;
    // Working memory per tile cell beyond inputs and outputs, for the memory estimate.
    [[nodiscard]] virtual double working_bytes_per_cell() const { return 16.0; }
    // Called once by the executor before the tiles of a run, outside any tile task, so it may run
    // parallel work (`threads` as for the executor) to build what every tile reads (a distance
    // transform over the whole grid, a graph). Must give the same values for any thread count; a model
    // must also work when compute() is called without it (explain, tests). Default: nothing.
    virtual void prepare(const LayerStack& inputs, int threads) const {
        (void)inputs;
        (void)threads;
    }
    virtual void compute(const TileContext& ctx, TileOutputs& out) const = 0;
    // Point layers, computed once per scenario from the whole stack after the rasters. May run parallel
    // work inside (`threads` as for the executor: 0 means all cores) and must give the same values for
    // any thread count. Default: none.
    [[nodiscard]] virtual std::vector<PointLayer> compute_points(const LayerStack& inputs, int threads) const {
        (void)inputs;
        (void)threads;
        return {};
    }
    [[nodiscard]] virtual Explanation explain(const LayerStack& inputs, double x, double y) const = 0;
};

// The catalogue entry: descriptor, builder and formulas (template method: the engine validates
// parameters against the descriptor, then calls build with the validated set).
class Indicator {
public:
    virtual ~Indicator() = default;
    [[nodiscard]] virtual const IndicatorDescriptor& descriptor() const = 0;
    [[nodiscard]] virtual std::unique_ptr<IndicatorModel> build(const Parameters& params) const = 0;
    [[nodiscard]] virtual std::vector<Formula> formulas() const { return {}; }
    // The values in effect for validated parameters: an indicator with presets fills in the parameters
    // left at their defaults here, so model cards show what was really used. Default: unchanged.
    [[nodiscard]] virtual Parameters resolve(const Parameters& validated) const { return validated; }

    // Validates and resolves raw parameters, then builds; the only way the engine creates models.
    [[nodiscard]] std::unique_ptr<IndicatorModel> configure(const std::map<std::string, RawValue>& raw) const;
};

// The explicit catalogue (filled in indicators/all.cpp).
class IndicatorRegistry {
public:
    void add(std::unique_ptr<Indicator> indicator);
    [[nodiscard]] const Indicator& get(const std::string& id) const;  // ConfigError listing known ids
    [[nodiscard]] const Indicator* find(const std::string& id) const;
    [[nodiscard]] std::vector<const Indicator*> all() const;
    [[nodiscard]] Formula formula(const std::string& name) const;  // ConfigError if unknown
    [[nodiscard]] std::vector<std::pair<const Indicator*, Formula>> all_formulas() const;

private:
    std::vector<std::unique_ptr<Indicator>> indicators_;
};

}  // namespace areatwin
