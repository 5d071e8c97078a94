// SPDX-License-Identifier: GPL-3.0-or-later
#include "areatwin/scenarios/run.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <variant>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/executor.hpp"
#include "areatwin/engine/reducers.hpp"
#include "areatwin/engine/roles.hpp"
#include "areatwin/io/gpkg_writer.hpp"
#include "areatwin/io/load.hpp"
#include "areatwin/scenarios/edits.hpp"

namespace areatwin::scenarios {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

void log_line(const RunOptions& options, const std::string& line) {
    if (options.log) options.log(line);
}

const Scenario& scenario_named(const Batch& batch, const std::string& name) {
    for (const auto& s : batch.scenarios) {
        if (s.name == name) return s;
    }
    throw ConfigError(fmt::format("{}: no scenario named '{}'", batch.file.string(), name));
}

// The scenario and the chain of scenarios it builds on, baseline first.
std::vector<const Scenario*> lineage(const Batch& batch, const std::string& name) {
    std::vector<const Scenario*> chain;
    const Scenario* s = &scenario_named(batch, name);
    while (true) {
        chain.push_back(s);
        if (s == &batch.scenarios.front()) break;
        s = &scenario_named(batch, s->base.empty() ? batch.scenarios.front().name : s->base);
        if (chain.size() > batch.scenarios.size()) throw ConfigError(fmt::format("scenario '{}': its bases form a loop", name));
    }
    std::reverse(chain.begin(), chain.end());
    return chain;
}

nlohmann::json style_classes_json(const std::vector<StyleClass>& classes) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& c : classes) j.push_back({{"lower", c.lower}, {"colour", c.colour}, {"label", c.label}});
    return j;
}

nlohmann::json parameter_json(const Parameters& p) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [k, v] : p.all_numbers()) j[k] = v.size() == 1 ? nlohmann::json(v.front()) : nlohmann::json(v);
    for (const auto& [k, v] : p.all_choices()) j[k] = v.size() == 1 ? nlohmann::json(v.front()) : nlohmann::json(v);
    return j;
}

// Scenario stacks, built on demand from their base's stack so shared layers are shared.
class ScenarioStacks {
public:
    ScenarioStacks(const Plan& plan, const RunOptions& options, io::LoadReport& report)
        : plan_(plan), options_(options), report_(report) {}

    const LayerStack& get(const std::string& name) {
        if (auto it = stacks_.find(name); it != stacks_.end()) return it->second;
        const auto chain = lineage(plan_.batch, name);
        const Scenario& s = *chain.back();
        if (chain.size() == 1) {
            const auto t0 = Clock::now();
            LayerStack stack = io::load_inputs(plan_.batch.inputs, plan_.batch.grid, report_);
            log_line(options_, fmt::format("loaded inputs for '{}' in {:.2f} s ({} grid layers, {} feature roles)", s.name,
                                           seconds_since(t0), stack.raster_names().size(), stack.feature_roles().size()));
            return stacks_.emplace(name, std::move(stack)).first->second;
        }
        LayerStack stack = get(chain[chain.size() - 2]->name);  // cheap: layers are shared
        for (const auto& edit : s.edits) {
            const auto outcome = apply_edit(edit, stack, report_);
            log_line(options_, fmt::format("scenario '{}': {}", s.name, outcome.summary));
            edit_summaries_[s.name].push_back(outcome.summary);
            // Derive right away, in edit order: a later paint edits the derived land-cover fractions
            // and must not be overwritten by a derivation of an earlier feature edit.
            if (!outcome.roles.empty()) io::derive_grid_layers(stack, outcome.roles);
        }
        return stacks_.emplace(name, std::move(stack)).first->second;
    }

    [[nodiscard]] const std::map<std::string, std::vector<std::string>>& edit_summaries() const { return edit_summaries_; }

private:
    const Plan& plan_;
    const RunOptions& options_;
    io::LoadReport& report_;
    std::map<std::string, LayerStack> stacks_;
    std::map<std::string, std::vector<std::string>> edit_summaries_;
};

std::string sanitize_column(const std::string& s) {
    std::string out;
    for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
    return out;
}

std::string utc_now_iso8601() {
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

nlohmann::json machine_description() {
    nlohmann::json m;
    std::ifstream cpuinfo("/proc/cpuinfo");
    for (std::string line; std::getline(cpuinfo, line);) {
        if (line.rfind("model name", 0) == 0) {
            m["cpu"] = line.substr(line.find(':') + 2);
            break;
        }
    }
    m["hardware_threads"] = std::thread::hardware_concurrency();
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long page_size = sysconf(_SC_PAGE_SIZE);
    if (pages > 0 && page_size > 0) m["memory_bytes"] = static_cast<double>(pages) * static_cast<double>(page_size);
    utsname u{};
    if (uname(&u) == 0) m["system"] = fmt::format("{} {} {}", u.sysname, u.release, u.machine);
    return m;
}

std::string csv_quote(const std::string& text) {
    if (text.find_first_of(",\"\n") == std::string::npos) return text;
    std::string out = "\"";
    for (char c : text) out += (c == '"') ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

// Writes a per-area table as CSV (header names carry the unit in brackets) to a temporary file beside
// `final_path` and returns the temporary path.
std::filesystem::path write_csv_staged(const io::VectorLayerOut& table, const std::filesystem::path& final_path) {
    const auto temp = final_path.parent_path() / (final_path.filename().string() + ".partial");
    std::ofstream out(temp);
    if (!out) throw ConfigError(fmt::format("{}: cannot write", temp.string()));
    std::vector<std::string> header;
    for (const auto& c : table.columns) {
        // The description ends with "(unit)" for statistic columns; keep that unit in the header.
        const auto open = c.description.rfind('(');
        const auto close = c.description.rfind(')');
        const bool has_unit = !c.text && open != std::string::npos && close == c.description.size() - 1;
        header.push_back(csv_quote(has_unit ? fmt::format("{} [{}]", c.name, c.description.substr(open + 1, close - open - 1))
                                            : c.name));
    }
    out << fmt::format("{}\n", fmt::join(header, ","));
    const std::size_t rows = table.geometries.size();
    for (std::size_t r = 0; r < rows; ++r) {
        std::vector<std::string> cells;
        for (const auto& c : table.columns) {
            if (c.text) cells.push_back(csv_quote(c.texts[r]));
            else cells.push_back(c.numbers[r] ? fmt::format("{:.10g}", *c.numbers[r]) : std::string());
        }
        out << fmt::format("{}\n", fmt::join(cells, ","));
    }
    out.close();
    if (!out) throw InternalError(fmt::format("{}: writing failed", temp.string()));
    return temp;
}

// Writes `minuend - subtrahend` (NaN where either is NaN) with a diverging style symmetric around 0.
void write_difference(io::GeoPackageWriter& writer, const std::string& table, const OutputSpec& spec,
                      const std::string& minuend_name, const std::string& subtrahend_name, const Raster& minuend,
                      const Raster& subtrahend) {
    Raster diff(minuend.cols(), minuend.rows());
    double max_abs = 0.0;
    for (std::size_t i = 0; i < diff.values().size(); ++i) {
        diff.values()[i] = minuend.values()[i] - subtrahend.values()[i];
        if (!std::isnan(diff.values()[i])) max_abs = std::max(max_abs, std::abs(static_cast<double>(diff.values()[i])));
    }
    const double range = max_abs > 0.0 ? max_abs : 1.0;
    writer.add_raster({table,
                       fmt::format("{} ({}): scenario '{}' minus '{}'", spec.description, spec.unit, minuend_name,
                                   subtrahend_name),
                       spec.unit, &diff, {"diverging", -range, range}});
}

// Text usable in a table name: letters, digits and '_' ('.' becomes 'p', '-' becomes 'm').
std::string table_safe(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (std::isalnum(static_cast<unsigned char>(c))) out += c;
        else if (c == '.') out += 'p';
        else if (c == '-') out += 'm';
        else out += '_';
    }
    return out;
}

std::string threshold_text(double t) {
    auto s = fmt::format("{}", t);
    std::replace(s.begin(), s.end(), '.', 'p');
    std::replace(s.begin(), s.end(), '-', 'm');
    return s;
}

// A point layer as the indicator returned it must be consistent: one value per point in every column.
void check_point_layer(const PointLayer& layer, const std::string& indicator) {
    const std::size_t n = layer.points.size();
    for (const auto& c : layer.columns) {
        const std::size_t got = c.text ? c.texts.size() : c.values.size();
        if (got != n) {
            throw InternalError(fmt::format("{}: point layer '{}' column '{}' has {} values for {} points", indicator,
                                            layer.name, c.name, got, n));
        }
    }
    if (!layer.residents.empty() && layer.residents.size() != n) {
        throw InternalError(fmt::format("{}: point layer '{}' has {} weights for {} points", indicator, layer.name,
                                        layer.residents.size(), n));
    }
}

io::VectorLayerOut point_layer_out(const PointLayer& layer, const std::string& table, const std::string& description) {
    io::VectorLayerOut out;
    out.table = table;
    out.description = description;
    out.kind = Geometry::Kind::Point;  // a layer without points is still a point layer
    out.geometries.reserve(layer.points.size());
    for (const auto& pt : layer.points) {
        Geometry g;
        g.kind = Geometry::Kind::Point;
        g.points = {pt};
        out.geometries.push_back(std::move(g));
    }
    for (const auto& c : layer.columns) {
        io::VectorColumn col{c.name, c.unit.empty() ? c.description : fmt::format("{} ({})", c.description, c.unit),
                             c.text, {}, {}};
        if (c.text) {
            col.texts = c.texts;
        } else {
            col.numbers.reserve(c.values.size());
            for (double v : c.values) col.numbers.push_back(std::isnan(v) ? std::nullopt : std::optional<double>(v));
        }
        out.columns.push_back(std::move(col));
    }
    if (!layer.residents.empty()) {
        io::VectorColumn weight{layer.weight_name, fmt::format("{} counted at the point", layer.weight_name), false, {}, {}};
        for (double w : layer.residents) weight.numbers.push_back(std::isnan(w) ? std::nullopt : std::optional<double>(w));
        out.columns.push_back(std::move(weight));
    }
    if (!layer.style_column.empty()) {
        out.style_qml = io::point_style_qml({layer.style, layer.style_min, layer.style_max, layer.classes},
                                            layer.style_column, table);
    }
    return out;
}

// The weighted lower quantile of (value, weight) pairs sorted by value (stably, so ties keep their
// input order): the smallest value v with the weight of values <= v at least q of the total weight.
// Weightless: no value.
std::optional<double> weighted_quantile(const std::vector<std::pair<double, double>>& points, double total,
                                        double q) {
    if (!(total > 0.0)) return std::nullopt;
    double cumulative = 0.0;
    for (const auto& p : points) {
        cumulative += p.second;
        if (cumulative >= q * total) return p.first;
    }
    return points.back().first;
}

// Per-area statistics of a point layer's columns with thresholds: the weighted mean and the weight
// (residents or dwellings) above each threshold and its share, over the points in each area's cells;
// weighted percentiles where the column asks for them, and the weight of points without a value where
// the column says what that means.
// Points are visited in layer order, so the sums are the same for any thread count.
void add_point_area_columns(io::VectorLayerOut& areas_layer, const PointLayer& layer, const GridSpec& grid,
                            const Raster& area_index, std::size_t area_count) {
    std::vector<std::optional<std::size_t>> area_of(layer.points.size());
    for (std::size_t i = 0; i < layer.points.size(); ++i) {
        const auto col = grid.col_of(layer.points[i].x);
        const auto row = grid.row_of(layer.points[i].y);
        if (col < 0 || row < 0 || col >= grid.cols || row >= grid.rows) continue;
        const float a = area_index.at(col, row);
        if (!std::isnan(a) && a >= 0.0f && static_cast<std::size_t>(a) < area_count) area_of[i] = static_cast<std::size_t>(a);
    }
    {
        io::VectorColumn total{sanitize_column(layer.name + "_" + layer.weight_name),
                               fmt::format("{}: {} at the layer's points in the area", layer.name, layer.weight_name),
                               false, {}, {}};
        std::vector<double> sum(area_count, 0.0);
        for (std::size_t i = 0; i < layer.points.size(); ++i) {
            if (area_of[i] && !std::isnan(layer.residents[i])) sum[*area_of[i]] += layer.residents[i];
        }
        for (double v : sum) total.numbers.push_back(v);
        areas_layer.columns.push_back(std::move(total));
    }
    for (const auto& c : layer.columns) {
        if (c.text || (c.thresholds.empty() && !c.area_percentiles)) continue;
        const auto prefix = sanitize_column(layer.name + "_" + c.name);
        const bool missing_counts = !c.missing_means.empty();
        // weight: all weighted points of the area (with missing_counts, those without a value too);
        // valued: the points with a value, which the mean is over.
        std::vector<double> weight(area_count, 0.0), valued(area_count, 0.0), weighted(area_count, 0.0),
            missing(area_count, 0.0);
        std::vector<std::vector<double>> above(c.thresholds.size(), std::vector<double>(area_count, 0.0));
        std::vector<std::vector<std::pair<double, double>>> ranked(c.area_percentiles ? area_count : 0);
        for (std::size_t i = 0; i < layer.points.size(); ++i) {
            const double v = c.values[i];
            const double w = layer.residents[i];
            if (!area_of[i] || std::isnan(w) || (std::isnan(v) && !missing_counts)) continue;
            const auto a = *area_of[i];
            weight[a] += w;
            if (std::isnan(v)) {
                missing[a] += w;
                for (auto& t : above) t[a] += w;
            } else {
                valued[a] += w;
                weighted[a] += w * v;
                for (std::size_t t = 0; t < c.thresholds.size(); ++t) {
                    if (v > c.thresholds[t]) above[t][a] += w;
                }
            }
            if (c.area_percentiles) ranked[a].emplace_back(std::isnan(v) ? std::numeric_limits<double>::infinity() : v, w);
        }
        const std::string unit = c.unit.empty() ? std::string() : " (" + c.unit + ")";
        if (!c.thresholds.empty()) {
            io::VectorColumn mean{prefix + "_popmean",
                                  fmt::format("{} {}: mean weighted by {}{}{}", layer.name, c.name, layer.weight_name,
                                              unit, missing_counts ? " over the points with a value" : ""),
                                  false, {}, {}};
            for (std::size_t a = 0; a < area_count; ++a) {
                mean.numbers.push_back(valued[a] > 0.0 ? std::optional<double>(weighted[a] / valued[a]) : std::nullopt);
            }
            areas_layer.columns.push_back(std::move(mean));
        }
        if (missing_counts) {
            io::VectorColumn res{prefix + "_res_missing",
                                 fmt::format("{} {}: {} at points with {}", layer.name, c.name, layer.weight_name,
                                             c.missing_means),
                                 false, {}, {}};
            io::VectorColumn share{prefix + "_share_missing",
                                   fmt::format("{} {}: share of {} at points with {} (0-1)", layer.name, c.name,
                                               layer.weight_name, c.missing_means),
                                   false, {}, {}};
            for (std::size_t a = 0; a < area_count; ++a) {
                res.numbers.push_back(missing[a]);
                share.numbers.push_back(weight[a] > 0.0 ? std::optional<double>(missing[a] / weight[a]) : std::nullopt);
            }
            areas_layer.columns.push_back(std::move(res));
            areas_layer.columns.push_back(std::move(share));
        }
        for (std::size_t t = 0; t < c.thresholds.size(); ++t) {
            const auto tt = threshold_text(c.thresholds[t]);
            io::VectorColumn res{prefix + "_res_above_" + tt,
                                 fmt::format("{} {}: {} at points above {}{}", layer.name, c.name, layer.weight_name,
                                             c.thresholds[t], missing_counts ? " or with " + c.missing_means : ""),
                                 false, {}, {}};
            io::VectorColumn share{prefix + "_share_above_" + tt,
                                   fmt::format("{} {}: share of {} at points above {}{} (0-1)", layer.name, c.name,
                                               layer.weight_name, c.thresholds[t],
                                               missing_counts ? " or with " + c.missing_means : ""),
                                   false, {}, {}};
            for (std::size_t a = 0; a < area_count; ++a) {
                res.numbers.push_back(above[t][a]);
                share.numbers.push_back(weight[a] > 0.0 ? std::optional<double>(above[t][a] / weight[a]) : std::nullopt);
            }
            areas_layer.columns.push_back(std::move(res));
            areas_layer.columns.push_back(std::move(share));
        }
        if (c.area_percentiles) {
            std::vector<double> ranked_weight(area_count, 0.0);
            for (std::size_t a = 0; a < area_count; ++a) {
                std::stable_sort(ranked[a].begin(), ranked[a].end(),
                                 [](const auto& x, const auto& y) { return x.first < y.first; });
                for (const auto& p : ranked[a]) ranked_weight[a] += p.second;
            }
            for (const int pct : {10, 50, 90}) {
                io::VectorColumn col{prefix + fmt::format("_pop_p{}", pct),
                                     fmt::format("{} {}: {} % of the {} are at points with this value or less{}{}",
                                                 layer.name, c.name, pct, layer.weight_name, unit,
                                                 missing_counts ? "; NULL when they include points with " + c.missing_means
                                                                : ""),
                                     false, {}, {}};
                for (std::size_t a = 0; a < area_count; ++a) {
                    const auto q = weighted_quantile(ranked[a], ranked_weight[a], pct / 100.0);
                    col.numbers.push_back(q && std::isfinite(*q) ? q : std::nullopt);
                }
                areas_layer.columns.push_back(std::move(col));
            }
        }
    }
}

}  // namespace

nlohmann::json model_card(const Indicator& indicator, const Parameters* in_effect) {
    const auto& d = indicator.descriptor();
    nlohmann::json card{{"id", d.id},           {"version", d.version},   {"summary", d.summary},
                        {"method", d.method},   {"validity", d.validity}, {"assumptions", d.assumptions}};
    auto& params = card["parameters"] = nlohmann::json::array();
    for (const auto& p : d.parameters) {
        nlohmann::json j{{"name", p.name}, {"unit", p.unit}, {"description", p.description}};
        switch (p.kind) {
            case ParameterSpec::Kind::Number:
                j["type"] = "number";
                j["default"] = p.default_numbers.empty() ? nlohmann::json() : nlohmann::json(p.default_numbers.front());
                j["min"] = p.min;
                j["max"] = p.max;
                break;
            case ParameterSpec::Kind::NumberList:
                j["type"] = "number list";
                j["default"] = p.default_numbers;
                j["min"] = p.min;
                j["max"] = p.max;
                break;
            case ParameterSpec::Kind::Choice:
                j["type"] = "choice";
                j["default"] = p.default_choices.empty() ? nlohmann::json() : nlohmann::json(p.default_choices.front());
                j["choices"] = p.choices;
                break;
            case ParameterSpec::Kind::ChoiceList:
                j["type"] = "choice list";
                j["default"] = p.default_choices;
                j["choices"] = p.choices;
                break;
        }
        params.push_back(j);
    }
    auto& formulas = card["formulas"] = nlohmann::json::array();
    for (const auto& f : indicator.formulas()) formulas.push_back({{"name", f.name}, {"summary", f.summary}});
    const auto params_in_effect = in_effect ? *in_effect : indicator.resolve(validate_parameters(d.id, d.parameters, {}));
    const auto model = indicator.build(params_in_effect);
    auto& outputs = card["outputs"] = nlohmann::json::array();
    for (const auto& o : model->outputs()) {
        outputs.push_back({{"name", o.name},
                           {"unit", o.unit},
                           {"description", o.description},
                           {"thresholds", o.thresholds},
                           {"style", o.style},
                           {"style_min", o.style_min},
                           {"style_max", o.style_max},
                           {"classes", style_classes_json(o.classes)}});
    }
    card["inputs"] = model->inputs();
    card["halo_m"] = model->halo_m();
    // Named parameter sets: every value each preset puts in effect.
    for (const auto& p : d.parameters) {
        if (p.name != "preset" || p.kind != ParameterSpec::Kind::Choice) continue;
        auto& presets = card["presets"] = nlohmann::json::object();
        for (const auto& name : p.choices) {
            const auto resolved =
                indicator.resolve(validate_parameters(d.id, d.parameters, {{"preset", RawValue{name, "preset listing"}}}));
            presets[name] = parameter_json(resolved);
        }
    }
    if (in_effect) card["parameters_in_effect"] = parameter_json(*in_effect);
    return card;
}

Plan make_plan(const Batch& batch, const IndicatorRegistry& registry, const RunOptions& options) {
    Plan plan;
    plan.batch = batch;
    plan.output = options.output ? std::filesystem::absolute(*options.output) : batch.output;
    plan.tile_size = options.tile_size.value_or(batch.tile_size);
    if (plan.tile_size < 16) throw ConfigError(fmt::format("tile size {} is below the minimum of 16 cells", plan.tile_size));
    if (!options.output && !plan.output.parent_path().empty() && !std::filesystem::exists(plan.output.parent_path())) {
        // The batch file names its own output folder (out/ beside it): create it, as a user expects.
        // A folder given with -o must exist, so a typo there is reported rather than created.
        std::error_code ec;
        std::filesystem::create_directories(plan.output.parent_path(), ec);
        if (ec) {
            throw ConfigError(fmt::format("{}: cannot create the output folder {}: {}", batch.file.string(),
                                          plan.output.parent_path().string(), ec.message()));
        }
    }
    io::check_output_writable(plan.output);

    if (batch.indicators.empty()) throw ConfigError(fmt::format("{}: no indicators to run", batch.file.string()));
    for (const auto& request : batch.indicators) {
        const Indicator& indicator = registry.get(request.id);
        const auto& d = indicator.descriptor();
        PlannedIndicator planned;
        planned.indicator = &indicator;
        planned.parameters = indicator.resolve(validate_parameters(d.id, d.parameters, request.parameters));
        planned.model = indicator.build(planned.parameters);
        plan.indicators.push_back(std::move(planned));
    }

    const std::size_t main_runs = plan.indicators.size();
    for (const auto& v : batch.variants) {
        std::size_t main = 0;
        while (main < main_runs && plan.indicators[main].indicator->descriptor().id != v.indicator) ++main;
        if (main == main_runs) throw ConfigError(fmt::format("{}: variant of '{}', which is not run", v.declared_at, v.indicator));
        const auto& request = batch.indicators[main];
        const auto& d = plan.indicators[main].indicator->descriptor();
        for (const auto& value : v.values) {
            auto raw = request.parameters;
            raw[v.parameter] = value;
            PlannedIndicator planned;
            planned.indicator = plan.indicators[main].indicator;
            planned.parameters = planned.indicator->resolve(validate_parameters(d.id, d.parameters, raw));
            planned.model = planned.indicator->build(planned.parameters);
            const std::string text = std::holds_alternative<double>(value.value)
                                         ? fmt::format("{}", std::get<double>(value.value))
                                         : std::holds_alternative<std::string>(value.value) ? std::get<std::string>(value.value)
                                                                                            : std::string("list");
            planned.variant = fmt::format("{}={}", v.parameter, text);
            planned.table_suffix = v.parameter + "_" + table_safe(text);
            planned.variant_of = main;
            plan.indicators.push_back(std::move(planned));
        }
    }

    for (const auto& source : batch.inputs) {
        if (!std::filesystem::exists(source.path)) {
            throw DataError(fmt::format("{}: input file for role '{}' does not exist: {}", source.declared_at, source.role,
                                        source.path.string()));
        }
    }
    for (const auto& s : batch.scenarios) {
        for (const auto& e : s.edits) {
            for (const auto* spec : {e.source ? &*e.source : nullptr, e.filter.inside ? &*e.filter.inside : nullptr}) {
                if (spec && !std::filesystem::exists(spec->path)) {
                    throw DataError(fmt::format("{}: scenario '{}': edit file does not exist: {}", e.declared_at, s.name,
                                                spec->path.string()));
                }
            }
        }
    }

    if (options.scenarios.empty()) {
        for (const auto& s : batch.scenarios) plan.scenarios.push_back(s.name);
    } else {
        plan.scenarios.push_back(batch.scenarios.front().name);  // differences need the baseline
        auto wanted = options.scenarios;
        for (const auto& [a, b] : batch.comparisons) {
            // A listed comparison needs both of its scenarios.
            const bool selected = std::find(wanted.begin(), wanted.end(), a) != wanted.end() ||
                                  std::find(wanted.begin(), wanted.end(), b) != wanted.end();
            if (selected) {
                wanted.push_back(a);
                wanted.push_back(b);
            }
        }
        for (const auto& s : batch.scenarios) {
            // Batch order, so results and tables come out the same whatever order --scenario lists them in.
            if (s.name == plan.scenarios.front()) continue;
            if (std::find(wanted.begin(), wanted.end(), s.name) != wanted.end()) plan.scenarios.push_back(s.name);
        }
        for (const auto& name : options.scenarios) (void)scenario_named(batch, name);
    }

    // Peak memory: inputs are held once (scenarios share unchanged layers; an edited scenario adds
    // at most its edited layers), every output raster of every scenario is held until the write,
    // plus the differences and the per-tile working memory of each thread.
    const double cells = static_cast<double>(batch.grid.cell_count());
    const double layer_bytes = cells * sizeof(float);
    const std::size_t input_layers = landcover_classes().size() + 10;
    std::size_t outputs = 0;
    double working = 0.0;
    const int threads = options.threads > 0 ? options.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    for (const auto& p : plan.indicators) {
        outputs += p.model->outputs().size();
        const auto halo = static_cast<double>(halo_cells_for(batch.grid, p.model->halo_m()));
        const double tile_cells = std::pow(static_cast<double>(plan.tile_size) + 2.0 * halo, 2.0);
        working = std::max(working, tile_cells * p.model->working_bytes_per_cell() * threads);
    }
    const double scenarios = static_cast<double>(plan.scenarios.size());
    plan.memory.items = {
        {"inputs", layer_bytes * static_cast<double>(input_layers) * (1.0 + 0.25 * (scenarios - 1.0))},
        {"outputs", layer_bytes * static_cast<double>(outputs) * scenarios},
        {"differences", layer_bytes * static_cast<double>(outputs) * (batch.differences ? scenarios - 1.0 : 0.0)},
        {"tile working memory", working},
    };
    if (options.memory_budget_bytes > 0.0) check_memory_budget(plan.memory, options.memory_budget_bytes);
    return plan;
}

namespace {

// Every feature role an indicator reads must have a source: checked once the inputs are loaded and
// before anything is computed.
void check_roles_present(const Plan& plan, const LayerStack& stack) {
    for (const auto& p : plan.indicators) {
        for (const auto& input : p.model->inputs()) {
            if (find_role(input) && !stack.has_features(input) && !stack.has_raster(input)) {
                throw DataError(fmt::format("{}: indicator '{}' reads role '{}', but the batch has no source for it",
                                            plan.batch.file.string(), p.indicator->descriptor().id, input));
            }
        }
    }
}

}  // namespace

std::vector<std::string> validate_plan(const Plan& plan, const RunOptions& options) {
    io::LoadReport report;
    ScenarioStacks stacks(plan, options, report);
    for (const auto& name : plan.scenarios) check_roles_present(plan, stacks.get(name));
    return report.warnings;
}

RunResult run_plan(const Plan& plan, const RunOptions& options) {
    const auto run_start = Clock::now();
    const auto started_at = utc_now_iso8601();
    const auto& batch = plan.batch;
    const auto& grid = batch.grid;
    io::LoadReport report;
    ScenarioStacks stacks(plan, options, report);
    RunResult result;
    result.output = plan.output;

    struct Computed {
        std::vector<std::shared_ptr<const Raster>> rasters;
        std::vector<PointLayer> points;
        std::string scenario;
        double seconds = 0.0;
    };
    // Results keyed by indicator, parameters and the hash of every layer the indicator reads.
    std::map<std::string, Computed> cache;
    // scenario -> indicator index -> rasters
    std::map<std::string, std::vector<const Computed*>> by_scenario;
    nlohmann::json timings = nlohmann::json::object();

    check_roles_present(plan, stacks.get(plan.scenarios.front()));
    const double total_steps = static_cast<double>(plan.scenarios.size() * plan.indicators.size());
    double steps_done = 0.0;
    for (const auto& name : plan.scenarios) {
        const auto t_edit = Clock::now();
        const LayerStack& stack = stacks.get(name);
        timings[name]["prepare_s"] = seconds_since(t_edit);
        for (std::size_t k = 0; k < plan.indicators.size(); ++k) {
            const auto& p = plan.indicators[k];
            const auto& id = p.indicator->descriptor().id;
            const auto key = fmt::format("{}|{}|{:016x}", id, p.parameters.canonical(), stack.hash_of(p.model->inputs()));
            auto it = cache.find(key);
            if (it != cache.end()) {
                log_line(options, fmt::format("scenario '{}': {} reused from '{}' (no input it reads changed)", name, id,
                                              it->second.scenario));
                timings[name][id] = 0.0;
            } else {
                const auto t0 = Clock::now();
                ExecutorOptions exec;
                exec.threads = options.threads;
                exec.tile_size = plan.tile_size;
                if (options.progress) {
                    exec.progress = [&, base = steps_done](std::size_t done, std::size_t total) {
                        options.progress(fmt::format("{} / {}", name, id),
                                         (base + static_cast<double>(done) / static_cast<double>(total)) / total_steps);
                    };
                }
                auto rasters = run_indicator(*p.model, stack, exec);
                Computed c;
                c.scenario = name;
                for (auto& r : rasters) c.rasters.push_back(std::make_shared<const Raster>(std::move(r)));
                c.points = p.model->compute_points(stack, options.threads);
                for (const auto& layer : c.points) check_point_layer(layer, id);
                c.seconds = seconds_since(t0);
                log_line(options, fmt::format("scenario '{}': {} computed in {:.2f} s", name, id, c.seconds));
                timings[name][id] = c.seconds;
                it = cache.emplace(key, std::move(c)).first;
            }
            by_scenario[name].push_back(&it->second);
            steps_done += 1.0;
        }
    }

    // Per-area statistics and summaries.
    const LayerStack& baseline_stack = stacks.get(plan.scenarios.front());
    const bool have_areas = baseline_stack.has_features("areas") && baseline_stack.has_raster(std::string(layer::area_index));
    if (!have_areas) {
        result.warnings.push_back("no 'areas' input: the per-area statistics layers are not written");
    }
    const std::string baseline = plan.scenarios.front();

    io::GeoPackageWriter writer(plan.output, grid);
    std::vector<std::pair<std::string, io::VectorLayerOut>> area_tables;
    // Baseline figures per (indicator run, output), for the changes of the other scenarios.
    std::map<std::pair<std::size_t, std::size_t>, std::optional<double>> baseline_mean;
    std::map<std::pair<std::size_t, std::size_t>, std::vector<AreaAccumulator::Result>> baseline_area_stats;
    const auto t_write = Clock::now();
    for (const auto& name : plan.scenarios) {
        const LayerStack& stack = stacks.get(name);
        const Raster* residents =
            stack.has_raster(std::string(layer::residents)) ? &stack.raster(std::string(layer::residents)) : nullptr;
        io::VectorLayerOut areas_layer;
        std::string first_area_mean_column;
        io::RasterStyle first_area_mean_style;
        std::size_t area_count = 0;
        if (have_areas) {
            const auto& areas = stack.features("areas");
            area_count = areas.features.size();
            areas_layer.table = fmt::format("areas__{}", name);
            areas_layer.description = fmt::format("per-area statistics of scenario '{}'", name);
            io::VectorColumn code{"code", "area code", true, {}, {}}, area_name{"name", "area name", true, {}, {}};
            io::VectorColumn residents_col{"residents", "residents in the area's cells, from the population input", false, {}, {}};
            io::VectorColumn area_col{"area_m2", "area of the cells assigned to the area, m2", false, {}, {}};
            std::vector<double> res_per_area(area_count, 0.0), cells_per_area(area_count, 0.0);
            const auto& index = stack.raster(std::string(layer::area_index));
            for (std::int64_t i = 0; i < grid.cell_count(); ++i) {
                const float a = index.values()[static_cast<std::size_t>(i)];
                if (std::isnan(a)) continue;
                const auto idx = static_cast<std::size_t>(a);
                cells_per_area[idx] += 1.0;
                if (residents) {
                    const float r = residents->values()[static_cast<std::size_t>(i)];
                    if (!std::isnan(r)) res_per_area[idx] += r;
                }
            }
            for (std::size_t i = 0; i < area_count; ++i) {
                const auto& f = areas.features[i];
                areas_layer.geometries.push_back(f.geometry);
                code.texts.push_back(f.text("code").value_or(""));
                area_name.texts.push_back(f.text("name").value_or(""));
                residents_col.numbers.push_back(residents ? std::optional<double>(res_per_area[i]) : std::nullopt);
                area_col.numbers.push_back(cells_per_area[i] * grid.cell_area_m2());
            }
            areas_layer.columns = {code, area_name, residents_col, area_col};
        }
        for (std::size_t k = 0; k < plan.indicators.size(); ++k) {
            const auto& p = plan.indicators[k];
            const auto outputs = p.model->outputs();
            const Computed& c = *by_scenario[name][k];
            const Computed& base = *by_scenario[baseline][k];
            const bool variant = !p.variant.empty();
            for (std::size_t o = 0; o < outputs.size(); ++o) {
                const auto& spec = outputs[o];
                const Raster& values = *c.rasters[o];
                writer.add_raster({variant ? fmt::format("{}__{}__{}", name, spec.name, p.table_suffix)
                                           : fmt::format("{}__{}", name, spec.name),
                                   fmt::format("{} ({}), scenario '{}'{}", spec.description, spec.unit, name,
                                               variant ? ", variant " + p.variant : std::string()),
                                   spec.unit, &values, {spec.style, spec.style_min, spec.style_max, spec.classes}});
                OutputSummary summary;
                summary.scenario = name;
                summary.indicator = p.indicator->descriptor().id + (variant ? " [" + p.variant + "]" : std::string());
                summary.output = spec.name;
                summary.unit = spec.unit;
                summary.reused = c.scenario != name;
                summary.reused_from = summary.reused ? c.scenario : "";
                summary.seconds = summary.reused ? 0.0 : c.seconds;
                // Whole-grid mean and population-weighted mean, in fixed row order. The baseline comes first
                // in plan.scenarios, so its figures are at hand for every later scenario.
                AreaAccumulator all;
                for (std::int64_t i = 0; i < grid.cell_count(); ++i) {
                    const double pop = residents ? static_cast<double>(residents->values()[static_cast<std::size_t>(i)]) : 0.0;
                    all.add(values.values()[static_cast<std::size_t>(i)], grid.cell_area_m2(), std::isnan(pop) ? 0.0 : pop);
                }
                const auto r = all.result();
                summary.mean = r.mean;
                summary.mean_pop_weighted = r.mean_pop_weighted;
                if (name == baseline) {
                    baseline_mean[{k, o}] = r.mean;
                } else if (r.mean && baseline_mean[{k, o}]) {
                    summary.mean_change = *r.mean - *baseline_mean[{k, o}];
                }
                result.summaries.push_back(summary);

                if (variant) continue;  // variants: maps and spread only
                if (batch.differences && name != baseline) {
                    write_difference(writer, fmt::format("diff__{}__{}", name, spec.name), spec, name, baseline, values,
                                     *base.rasters[o]);
                }
                if (have_areas) {
                    const auto& index = stack.raster(std::string(layer::area_index));
                    const auto stats = reduce_by_area(grid, values, index, residents, area_count, spec.thresholds, options.threads);
                    if (name == baseline) baseline_area_stats[{k, o}] = stats;
                    const auto& base_stats = baseline_area_stats[{k, o}];
                    const auto col = sanitize_column(spec.name);
                    auto add_col = [&](const std::string& suffix, const std::string& what, auto getter) {
                        io::VectorColumn column{col + "_" + suffix, fmt::format("{}: {} ({})", spec.name, what, spec.unit), false, {}, {}};
                        for (std::size_t i = 0; i < area_count; ++i) column.numbers.push_back(getter(i));
                        areas_layer.columns.push_back(std::move(column));
                    };
                    add_col("mean", "mean over the area's cells", [&](std::size_t i) { return stats[i].mean; });
                    if (first_area_mean_column.empty()) {
                        // Without a point layer's per-area style, the areas are coloured by the first
                        // output's mean with that output's ramp or classes.
                        first_area_mean_column = col + "_mean";
                        first_area_mean_style = {spec.style, spec.style_min, spec.style_max, spec.classes};
                    }
                    add_col("min", "minimum", [&](std::size_t i) { return stats[i].min; });
                    add_col("max", "maximum", [&](std::size_t i) { return stats[i].max; });
                    add_col("p10", "10th percentile of cells", [&](std::size_t i) { return stats[i].p10; });
                    add_col("p50", "median of cells", [&](std::size_t i) { return stats[i].p50; });
                    add_col("p90", "90th percentile of cells", [&](std::size_t i) { return stats[i].p90; });
                    add_col("popmean", "mean weighted by residents", [&](std::size_t i) { return stats[i].mean_pop_weighted; });
                    for (std::size_t t = 0; t < spec.thresholds.size(); ++t) {
                        const auto tt = threshold_text(spec.thresholds[t]);
                        add_col("res_above_" + tt, fmt::format("residents in cells above {}", spec.thresholds[t]),
                                [&](std::size_t i) { return std::optional<double>(stats[i].residents_above[t]); });
                        add_col("share_above_" + tt, fmt::format("share of residents above {} (0-1)", spec.thresholds[t]),
                                [&](std::size_t i) { return stats[i].share_residents_above[t]; });
                    }
                    if (name != baseline) {
                        add_col("mean_change", "change of the area mean against the baseline", [&](std::size_t i) -> std::optional<double> {
                            if (i >= base_stats.size() || !stats[i].mean || !base_stats[i].mean) return std::nullopt;
                            return *stats[i].mean - *base_stats[i].mean;
                        });
                    }
                }
            }
        }
        // Point layers (receivers, facade points, dwellings) and their per-area statistics.
        for (std::size_t k = 0; k < plan.indicators.size(); ++k) {
            const auto& p = plan.indicators[k];
            const Computed& c = *by_scenario[name][k];
            const bool variant = !p.variant.empty();
            for (const auto& layer : c.points) {
                const auto table = variant ? fmt::format("{}__{}__{}", name, layer.name, p.table_suffix)
                                           : fmt::format("{}__{}", name, layer.name);
                writer.add_vector(point_layer_out(layer, table,
                                                  fmt::format("{}, scenario '{}'{}", layer.description, name,
                                                              variant ? ", variant " + p.variant : std::string())));
                if (variant || !have_areas || layer.residents.empty()) continue;
                add_point_area_columns(areas_layer, layer, grid, stack.raster(std::string(layer::area_index)), area_count);
                if (areas_layer.style_qml.empty() && !layer.area_style_column.empty()) {
                    const auto column = sanitize_column(layer.name + "_" + layer.area_style_column);
                    const bool present = std::any_of(areas_layer.columns.begin(), areas_layer.columns.end(),
                                                     [&](const io::VectorColumn& col) { return col.name == column; });
                    if (!present) {
                        throw ConfigError(fmt::format("{}: the per-area style column '{}' is not in {}",
                                                      p.indicator->descriptor().id, column, areas_layer.table));
                    }
                    areas_layer.style_qml = io::polygon_style_qml(
                        {layer.area_style, layer.area_style_min, layer.area_style_max, layer.area_classes}, column,
                        areas_layer.table);
                }
            }
        }
        if (have_areas) {
            if (areas_layer.style_qml.empty() && !first_area_mean_column.empty()) {
                areas_layer.style_qml = io::polygon_style_qml(first_area_mean_style, first_area_mean_column,
                                                              areas_layer.table);
            }
            writer.add_vector(areas_layer);
            area_tables.emplace_back(name, std::move(areas_layer));
        }
        if (stack.has_features("buildings")) {
            // Outlines for maps and reports: what was there in this scenario.
            io::VectorLayerOut outlines;
            outlines.table = fmt::format("buildings__{}", name);
            outlines.description = fmt::format("building footprints of scenario '{}'", name);
            io::VectorColumn height{"height_m", "building height above ground, m", false, {}, {}};
            for (const auto& f : stack.features("buildings").features) {
                if (f.geometry.kind != Geometry::Kind::Polygon || !f.geometry.bounds().intersects(grid.extent())) continue;
                outlines.geometries.push_back(f.geometry);
                height.numbers.push_back(f.number("height_m"));
            }
            outlines.columns = {std::move(height)};
            writer.add_vector(outlines);
        }
    }

    // Spread of each swept parameter: the whole-grid mean of every output for each value.
    for (const auto& v : batch.variants) {
        for (const auto& name : plan.scenarios) {
            std::map<std::string, VariantSpread> by_output;
            std::vector<std::string> order;
            for (std::size_t k = 0; k < plan.indicators.size(); ++k) {
                const auto& p = plan.indicators[k];
                if (p.variant.empty() || p.indicator->descriptor().id != v.indicator ||
                    p.variant.rfind(v.parameter + "=", 0) != 0) {
                    continue;
                }
                const auto outputs = p.model->outputs();
                for (std::size_t o = 0; o < outputs.size(); ++o) {
                    auto [it, fresh] = by_output.try_emplace(outputs[o].name);
                    if (fresh) order.push_back(outputs[o].name);
                    auto& spread = it->second;
                    spread.scenario = name;
                    spread.indicator = v.indicator;
                    spread.output = outputs[o].name;
                    spread.unit = outputs[o].unit;
                    spread.parameter = v.parameter;
                    spread.values.push_back(p.variant.substr(v.parameter.size() + 1));
                    AreaAccumulator all;
                    for (float x : by_scenario[name][k]->rasters[o]->values()) all.add(x, grid.cell_area_m2(), 0.0);
                    spread.means.push_back(all.result().mean);
                }
            }
            for (const auto& output : order) {
                auto& spread = by_output[output];
                std::optional<double> lo, hi;
                for (const auto& m : spread.means) {
                    if (!m) continue;
                    lo = lo ? std::min(*lo, *m) : *m;
                    hi = hi ? std::max(*hi, *m) : *m;
                }
                if (lo && hi && spread.means.size() > 1) spread.spread = *hi - *lo;
                result.spreads.push_back(spread);
            }
        }
    }

    for (const auto& [a, b] : batch.comparisons) {
        if (!by_scenario.count(a) || !by_scenario.count(b)) continue;
        for (std::size_t k = 0; k < plan.indicators.size(); ++k) {
            if (!plan.indicators[k].variant.empty()) continue;
            const auto outputs = plan.indicators[k].model->outputs();
            for (std::size_t o = 0; o < outputs.size(); ++o) {
                write_difference(writer, fmt::format("diff__{}__{}__{}", a, b, outputs[o].name), outputs[o], a, b,
                                 *by_scenario[a][k]->rasters[o], *by_scenario[b][k]->rasters[o]);
            }
        }
    }

    // The run manifest: how every number was made.
    nlohmann::json manifest;
    manifest["engine"] = {{"name", "areatwin"}, {"version", AREATWIN_VERSION}, {"commit", AREATWIN_GIT_COMMIT}};
    manifest["batch"] = {{"file", batch.file.string()},
                         {"name", batch.name},
                         {"sha256", io::sha256_file(batch.file)},
                         {"size_bytes", std::filesystem::file_size(batch.file)}};
    manifest["grid"] = {{"crs", grid.crs},     {"origin_x", grid.origin_x}, {"origin_y", grid.origin_y},
                        {"cell_size_m", grid.cell_size_m}, {"cols", grid.cols}, {"rows", grid.rows}};
    auto& inputs = manifest["inputs"] = nlohmann::json::array();
    for (const auto& f : report.files) {
        inputs.push_back({{"role", f.role}, {"path", f.path}, {"size_bytes", f.size_bytes}, {"sha256", f.sha256}});
    }
    manifest["feature_counts"] = report.feature_counts;
    auto& indicators = manifest["indicators"] = nlohmann::json::array();
    for (const auto& p : plan.indicators) indicators.push_back(model_card(*p.indicator, &p.parameters));
    auto& scenarios = manifest["scenarios"] = nlohmann::json::array();
    for (const auto& name : plan.scenarios) {
        const auto& s = scenario_named(batch, name);
        nlohmann::json j{{"name", s.name}, {"description", s.description}, {"base", s.base}};
        const auto& summaries = stacks.edit_summaries();
        j["edits"] = summaries.count(name) ? summaries.at(name) : std::vector<std::string>{};
        scenarios.push_back(j);
    }
    auto& spreads = manifest["variant_spread"] = nlohmann::json::array();
    for (const auto& sp : result.spreads) {
        nlohmann::json means = nlohmann::json::array();
        for (const auto& m : sp.means) means.push_back(m ? nlohmann::json(*m) : nlohmann::json(nullptr));
        spreads.push_back({{"scenario", sp.scenario}, {"indicator", sp.indicator}, {"output", sp.output}, {"unit", sp.unit},
                           {"parameter", sp.parameter}, {"values", sp.values}, {"means", means},
                           {"spread", sp.spread ? nlohmann::json(*sp.spread) : nlohmann::json(nullptr)}});
    }
    manifest["warnings"] = report.warnings;
    for (const auto& w : result.warnings) manifest["warnings"].push_back(w);
    manifest["machine"] = machine_description();
    manifest["run"] = {{"started_at", started_at},
                       {"finished_at", utc_now_iso8601()},
                       {"threads", options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency())},
                       {"tile_size", plan.tile_size},
                       {"memory_estimate_bytes", plan.memory.total_bytes()},
                       {"differences", batch.differences}};
    timings["compute_and_load_s"] = seconds_since(run_start);
    manifest["timings"] = timings;
    writer.set_manifest(manifest);
    // The CSV tables are staged before the GeoPackage is committed and moved into place right after it,
    // so a failure leaves neither.
    std::vector<std::pair<std::filesystem::path, std::filesystem::path>> staged;
    for (const auto& [scenario_name, table] : area_tables) {
        const auto final_path = plan.output.parent_path() /
                                fmt::format("{}__areas__{}.csv", plan.output.stem().string(), scenario_name);
        staged.emplace_back(write_csv_staged(table, final_path), final_path);
    }
    try {
        writer.commit();
    } catch (...) {
        for (const auto& [temp, final_path] : staged) std::filesystem::remove(temp);
        throw;
    }
    for (const auto& [temp, final_path] : staged) {
        std::filesystem::rename(temp, final_path);
        result.csv_files.push_back(final_path);
    }
    manifest["timings"]["write_s"] = seconds_since(t_write);
    log_line(options, fmt::format("wrote {} in {:.2f} s", plan.output.string(), seconds_since(t_write)));
    result.warnings.insert(result.warnings.begin(), report.warnings.begin(), report.warnings.end());
    result.manifest = std::move(manifest);
    return result;
}

std::vector<Explanation> explain_at(const Plan& plan, const std::string& scenario, double x, double y,
                                    const std::string& indicator_id, const RunOptions& options) {
    (void)scenario_named(plan.batch, scenario);
    io::LoadReport report;
    ScenarioStacks stacks(plan, options, report);
    const auto& stack = stacks.get(scenario);
    std::vector<Explanation> out;
    for (const auto& p : plan.indicators) {
        if (!indicator_id.empty() && p.indicator->descriptor().id != indicator_id) continue;
        out.push_back(p.model->explain(stack, x, y));
    }
    if (out.empty()) {
        throw ConfigError(fmt::format("indicator '{}' is not part of batch {}", indicator_id, plan.batch.file.string()));
    }
    return out;
}

std::vector<VerifiedFile> verify_inputs(const std::filesystem::path& gpkg) {
    const auto manifest = io::read_gpkg_manifest(gpkg);
    std::vector<VerifiedFile> files;
    auto check = [&](const std::string& role, const nlohmann::json& entry) {
        VerifiedFile f;
        f.role = role;
        f.path = entry.value("file", entry.value("path", std::string()));
        f.recorded_sha256 = entry.value("sha256", std::string());
        f.recorded_size_bytes = entry.value("size_bytes", std::uint64_t{0});
        std::error_code ec;
        if (f.path.empty() || !std::filesystem::is_regular_file(f.path, ec)) {
            f.status = VerifiedFile::Status::Missing;
        } else {
            f.current_size_bytes = std::filesystem::file_size(f.path, ec);
            f.current_sha256 = io::sha256_file(f.path);
            f.status = (f.current_sha256 == f.recorded_sha256 && f.current_size_bytes == f.recorded_size_bytes)
                           ? VerifiedFile::Status::Unchanged
                           : VerifiedFile::Status::Changed;
        }
        files.push_back(std::move(f));
    };
    if (!manifest.contains("batch") || !manifest.contains("inputs")) {
        throw DataError(fmt::format("{}: the manifest has no batch or inputs record", gpkg.string()));
    }
    check("batch", manifest["batch"]);
    for (const auto& entry : manifest["inputs"]) check(entry.value("role", std::string()), entry);
    return files;
}

}  // namespace areatwin::scenarios
