// SPDX-License-Identifier: GPL-3.0-or-later
// The areatwin command: parses arguments, calls scenarios/, maps errors to exit codes
// (0 success, 2 bad batch file, arguments or input data, 1 internal error).
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <regex>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/memory.hpp"
#include "areatwin/indicators/all.hpp"
#include "areatwin/io/report.hpp"
#include "areatwin/scenarios/batch.hpp"
#include "areatwin/scenarios/run.hpp"

namespace {

using namespace areatwin;

double physical_memory_bytes() {
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long page_size = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && page_size > 0 ? static_cast<double>(pages) * static_cast<double>(page_size) : 0.0;
}

// "8G", "512M", "2.5GiB", "1000000" (bytes).
double parse_size(const std::string& text) {
    static const std::regex pattern(R"(\s*([0-9]+(?:\.[0-9]+)?)\s*([kKmMgGtT]?)(?:i?[bB])?\s*)");
    std::smatch m;
    if (!std::regex_match(text, m, pattern)) {
        throw ConfigError(fmt::format("--memory-budget '{}': expected a size such as 8G, 512M or 2.5GiB", text));
    }
    double v = std::stod(m[1].str());
    const std::string unit = m[2].str();
    const std::map<char, double> scale{{'k', 1024.0}, {'m', 1024.0 * 1024}, {'g', 1024.0 * 1024 * 1024},
                                       {'t', 1024.0 * 1024 * 1024 * 1024}};
    if (!unit.empty()) v *= scale.at(static_cast<char>(std::tolower(unit[0])));
    return v;
}

// A progress bar on stderr for terminals, plain log lines otherwise.
class Reporter {
public:
    explicit Reporter(bool quiet) : quiet_(quiet), tty_(isatty(STDERR_FILENO) == 1) {}

    void log(const std::string& line) {
        if (quiet_) return;
        std::lock_guard lock(mutex_);
        if (tty_ && bar_shown_) std::fputs("\r\033[K", stderr);
        bar_shown_ = false;
        std::fprintf(stderr, "areatwin: %s\n", line.c_str());
    }

    void progress(const std::string& stage, double fraction) {
        if (quiet_ || !tty_) return;
        std::lock_guard lock(mutex_);
        const int width = 30;
        const int filled = static_cast<int>(std::round(fraction * width));
        std::fprintf(stderr, "\r\033[K[%s%s] %3d%% %s", std::string(static_cast<std::size_t>(filled), '#').c_str(),
                     std::string(static_cast<std::size_t>(width - filled), ' ').c_str(),
                     static_cast<int>(std::round(fraction * 100.0)), stage.c_str());
        bar_shown_ = true;
    }

    void finish() {
        std::lock_guard lock(mutex_);
        if (tty_ && bar_shown_) std::fputs("\r\033[K", stderr);
        bar_shown_ = false;
    }

private:
    bool quiet_;
    bool tty_;
    bool bar_shown_ = false;
    std::mutex mutex_;
};

std::filesystem::path default_report_path(const std::filesystem::path& gpkg) {
    return gpkg.parent_path() / (gpkg.stem().string() + "_report.html");
}

std::string format_optional(const std::optional<double>& v, int decimals = 2) {
    return v ? fmt::format("{:.{}f}", *v, decimals) : std::string("-");
}

void print_summary(const scenarios::RunResult& result) {
    fmt::print("{:<20} {:<14} {:<22} {:>10} {:>12} {:>10} {:>9}  {}\n", "scenario", "indicator", "output", "mean",
               "pop. mean", "change", "time (s)", "status");
    for (const auto& s : result.summaries) {
        fmt::print("{:<20} {:<14} {:<22} {:>10} {:>12} {:>10} {:>9.2f}  {}\n", s.scenario, s.indicator,
                   s.output + " (" + s.unit + ")", format_optional(s.mean), format_optional(s.mean_pop_weighted),
                   s.mean_change ? fmt::format("{:+.2f}", *s.mean_change) : std::string("-"), s.seconds,
                   s.reused ? "reused from " + s.reused_from : "computed");
    }
    if (!result.spreads.empty()) {
        fmt::print("\nParameter variants (whole-grid mean per value):\n");
        for (const auto& sp : result.spreads) {
            std::vector<std::string> cells;
            for (std::size_t i = 0; i < sp.values.size(); ++i) {
                cells.push_back(fmt::format("{}={}", sp.values[i], format_optional(sp.means[i])));
            }
            fmt::print("{:<20} {:<14} {:<22} {}: {}  spread {} {}\n", sp.scenario, sp.indicator, sp.output, sp.parameter,
                       fmt::join(cells, ", "), format_optional(sp.spread), sp.unit);
        }
    }
    fmt::print("\nGeoPackage: {}\n", result.output.string());
    for (const auto& csv : result.csv_files) fmt::print("Per-area table: {}\n", csv.string());
}

RawValue parse_formula_value(const std::string& text) {
    auto as_number = [](const std::string& s) -> std::optional<double> {
        if (s.empty()) return std::nullopt;
        char* end = nullptr;
        const double v = std::strtod(s.c_str(), &end);
        if (end != s.c_str() + s.size()) return std::nullopt;
        return v;
    };
    if (auto v = as_number(text)) return {*v, "command line"};
    if (text.find(',') != std::string::npos) {
        std::vector<double> numbers;
        std::stringstream ss(text);
        std::string part;
        bool all = true;
        while (std::getline(ss, part, ',')) {
            if (auto v = as_number(part)) numbers.push_back(*v);
            else all = false;
        }
        if (all) return {numbers, "command line"};
    }
    return {text, "command line"};
}

nlohmann::json formula_listing(const IndicatorRegistry& registry) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [indicator, f] : registry.all_formulas()) {
        nlohmann::json inputs = nlohmann::json::array();
        for (const auto& in : f.inputs) {
            nlohmann::json j{{"name", in.name}, {"unit", in.unit}, {"description", in.description}};
            if (in.kind == ParameterSpec::Kind::Number || in.kind == ParameterSpec::Kind::NumberList) {
                j["min"] = in.min;
                j["max"] = in.max;
                if (!in.default_numbers.empty()) j["default"] = in.default_numbers.size() == 1 ? nlohmann::json(in.default_numbers[0]) : nlohmann::json(in.default_numbers);
            } else {
                j["choices"] = in.choices;
                if (!in.default_choices.empty()) j["default"] = in.default_choices.front();
            }
            inputs.push_back(j);
        }
        list.push_back({{"name", f.name}, {"indicator", indicator->descriptor().id}, {"summary", f.summary},
                        {"parameters", inputs}, {"results", f.results}});
    }
    return list;
}

int run_cli(int argc, char** argv) {
    CLI::App app{"areatwin: area-based digital twin engine (noise, air quality, heat stress, greenness indicators)"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("areatwin ") + AREATWIN_VERSION + " (" + AREATWIN_GIT_COMMIT + ")");

    std::string batch_file;
    std::string output;
    int threads = 0;
    std::vector<std::string> scenario_names;
    std::int64_t tile_size = 0;
    std::string memory_budget;
    bool quiet = false;

    auto* run = app.add_subcommand("run", "run a batch: load, edit, compute every scenario, write one GeoPackage");
    run->add_option("batch", batch_file, "batch file (YAML)")->required();
    run->add_option("-o,--output", output, "GeoPackage to write (default: outputs.path of the batch file)");
    run->add_option("--threads", threads, "worker threads (default: all cores)")->check(CLI::Range(1, 1024));
    run->add_option("--scenario", scenario_names, "run only these scenarios (the baseline is always computed)");
    run->add_option("--tile-size", tile_size, "cells per tile side (default: outputs.tile_size, 256)")->check(CLI::Range(16, 65536));
    run->add_option("--memory-budget", memory_budget, "refuse runs estimated above this size (default: 75% of RAM), e.g. 8G");
    run->add_flag("-q,--quiet", quiet, "no progress or log lines on stderr");
    bool no_report = false;
    run->add_flag("--no-report", no_report, "do not write the HTML report next to the GeoPackage");

    std::string report_gpkg;
    std::string report_html;
    auto* report = app.add_subcommand("report", "write the HTML report of a GeoPackage written by areatwin run");
    report->add_option("gpkg", report_gpkg, "GeoPackage written by areatwin run")->required();
    report->add_option("-o,--output", report_html, "HTML file to write (default: <gpkg name>_report.html beside it)");

    auto* validate = app.add_subcommand("validate", "every check of a run (batch, inputs, edits, parameters), without computing");
    validate->add_option("batch", batch_file, "batch file (YAML)")->required();
    validate->add_option("--memory-budget", memory_budget, "memory budget to check against (default: 75% of RAM)");
    validate->add_flag("-q,--quiet", quiet, "no log lines on stderr");

    bool json = false;
    auto* list = app.add_subcommand("indicators", "list the indicators with their model cards and parameters");
    list->add_flag("--json", json, "print JSON");

    std::string formula_name;
    std::vector<std::string> formula_args;
    bool formula_list = false;
    auto* formula = app.add_subcommand("formula", "evaluate a named point formula: areatwin formula NAME key=value ...");
    formula->add_option("name", formula_name, "formula name (see --list)");
    formula->add_option("args", formula_args, "parameters as key=value");
    formula->add_flag("--list", formula_list, "list every formula with its parameters and results");
    formula->add_flag("--json", json, "with --list: print JSON");

    std::string gpkg_file;
    auto* verify = app.add_subcommand("verify", "re-hash the batch and input files a GeoPackage records; report what changed");
    verify->add_option("gpkg", gpkg_file, "GeoPackage written by areatwin run")->required();

    std::string at;
    std::string scenario;
    std::string indicator_id;
    auto* explain = app.add_subcommand("explain", "explain how an indicator value arises at one location");
    explain->add_option("batch", batch_file, "batch file (YAML)")->required();
    explain->add_option("--scenario", scenario, "scenario name")->required();
    explain->add_option("--at", at, "location X,Y in the grid CRS")->required();
    explain->add_option("--indicator", indicator_id, "indicator id (default: every indicator of the batch)");
    explain->add_flag("--json", json, "print JSON");

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return 2;
    }

    const auto& registry = indicators::builtin_registry();
    Reporter reporter(quiet);
    scenarios::RunOptions options;
    options.threads = threads;
    options.scenarios = scenario_names;
    if (!output.empty()) options.output = output;
    if (tile_size > 0) options.tile_size = tile_size;
    options.memory_budget_bytes = memory_budget.empty() ? 0.75 * physical_memory_bytes() : parse_size(memory_budget);
    options.log = [&](const std::string& line) { reporter.log(line); };
    options.progress = [&](const std::string& stage, double f) { reporter.progress(stage, f); };

    if (run->parsed()) {
        const auto batch = scenarios::parse_batch(batch_file);
        const auto plan = scenarios::make_plan(batch, registry, options);
        reporter.log(fmt::format("plan: {} scenario(s), {} indicator(s), grid {} x {} cells of {} m, memory estimate {}",
                                 plan.scenarios.size(), plan.indicators.size(), batch.grid.cols, batch.grid.rows,
                                 batch.grid.cell_size_m, plan.memory.describe()));
        const auto result = scenarios::run_plan(plan, options);
        reporter.finish();
        for (const auto& w : result.warnings) reporter.log("warning: " + w);
        print_summary(result);
        if (!no_report) {
            const auto html = default_report_path(result.output);
            io::write_report(result.output, html);
            fmt::print("Report: {}\n", html.string());
        }
        return 0;
    }
    if (report->parsed()) {
        const std::filesystem::path html = report_html.empty() ? default_report_path(report_gpkg) : std::filesystem::path(report_html);
        io::write_report(report_gpkg, html);
        fmt::print("Report: {}\n", html.string());
        return 0;
    }
    if (validate->parsed()) {
        const auto batch = scenarios::parse_batch(batch_file);
        const auto plan = scenarios::make_plan(batch, registry, options);
        const auto warnings = scenarios::validate_plan(plan, options);
        for (const auto& w : warnings) reporter.log("warning: " + w);
        fmt::print("{}: valid ({} scenario(s), {} indicator(s), grid {} x {} cells, memory estimate {})\n", batch_file,
                   plan.scenarios.size(), plan.indicators.size(), batch.grid.cols, batch.grid.rows, plan.memory.describe());
        return 0;
    }
    if (list->parsed()) {
        if (json) {
            nlohmann::json cards = nlohmann::json::array();
            for (const auto* i : registry.all()) cards.push_back(scenarios::model_card(*i));
            fmt::print("{}\n", cards.dump(2));
            return 0;
        }
        for (const auto* i : registry.all()) {
            const auto card = scenarios::model_card(*i);
            fmt::print("{} {}: {}\n  method: {}\n  validity: {}\n  parameters:\n", i->descriptor().id, i->descriptor().version,
                       i->descriptor().summary, i->descriptor().method, i->descriptor().validity);
            for (const auto& p : card["parameters"]) {
                fmt::print("    {:<22} {:<6} default {}  {}\n", p["name"].get<std::string>(), p["unit"].get<std::string>(),
                           p["default"].dump(), p["description"].get<std::string>());
            }
            fmt::print("  outputs:\n");
            for (const auto& o : card["outputs"]) {
                fmt::print("    {:<22} {:<6} {}\n", o["name"].get<std::string>(), o["unit"].get<std::string>(),
                           o["description"].get<std::string>());
            }
        }
        return 0;
    }
    if (formula->parsed()) {
        if (formula_list) {
            const auto listing = formula_listing(registry);
            if (json) {
                fmt::print("{}\n", listing.dump(2));
            } else {
                for (const auto& f : listing) {
                    std::vector<std::string> params;
                    for (const auto& p : f["parameters"]) params.push_back(p["name"].get<std::string>() + "=");
                    fmt::print("{} ({}): {}\n  parameters: {}\n  results: {}\n", f["name"].get<std::string>(),
                               f["indicator"].get<std::string>(), f["summary"].get<std::string>(), fmt::join(params, " "),
                               fmt::join(f["results"].get<std::vector<std::string>>(), ", "));
                }
            }
            return 0;
        }
        if (formula_name.empty()) throw ConfigError("formula: give a formula name, or --list");
        const auto f = registry.formula(formula_name);
        std::map<std::string, RawValue> raw;
        for (const auto& arg : formula_args) {
            const auto eq = arg.find('=');
            if (eq == std::string::npos || eq == 0) {
                throw ConfigError(fmt::format("formula {}: argument '{}' is not key=value", formula_name, arg));
            }
            raw[arg.substr(0, eq)] = parse_formula_value(arg.substr(eq + 1));
        }
        const auto params = validate_parameters(formula_name, f.inputs, raw);
        const auto r = f.evaluate(params);
        nlohmann::json out;
        out["formula"] = formula_name;
        nlohmann::json inputs = nlohmann::json::object();
        for (const auto& [k, v] : params.all_numbers()) inputs[k] = v.size() == 1 ? nlohmann::json(v[0]) : nlohmann::json(v);
        for (const auto& [k, v] : params.all_choices()) inputs[k] = v.size() == 1 ? nlohmann::json(v[0]) : nlohmann::json(v);
        out["inputs"] = inputs;
        for (const auto& [k, v] : r.values) out[k] = v ? nlohmann::json(*v) : nlohmann::json(nullptr);
        for (const auto& [k, v] : r.arrays) out[k] = v;
        for (const auto& [k, v] : r.texts) out[k] = v;
        // Every declared result is printed: one the formula could not give (outside its domain) is null.
        for (const auto& name : f.results) {
            if (!out.contains(name)) out[name] = nullptr;
        }
        out["warnings"] = r.warnings;
        fmt::print("{}\n", out.dump());
        return 0;
    }
    if (verify->parsed()) {
        const auto files = scenarios::verify_inputs(gpkg_file);
        int changed = 0;
        for (const auto& f : files) {
            const char* status = f.status == scenarios::VerifiedFile::Status::Unchanged ? "unchanged"
                                 : f.status == scenarios::VerifiedFile::Status::Changed ? "CHANGED"
                                                                                        : "MISSING";
            if (f.status != scenarios::VerifiedFile::Status::Unchanged) ++changed;
            fmt::print("{:<10} {:<12} {}  {}\n", status, f.role, f.recorded_sha256.substr(0, 12), f.path);
            if (f.status == scenarios::VerifiedFile::Status::Changed) {
                fmt::print("{:<10} {:<12} {}  now {} bytes (recorded {})\n", "", "", f.current_sha256.substr(0, 12),
                           f.current_size_bytes, f.recorded_size_bytes);
            }
        }
        fmt::print("{}: {} of {} files unchanged\n", gpkg_file, files.size() - static_cast<std::size_t>(changed), files.size());
        return changed == 0 ? 0 : 2;
    }
    if (explain->parsed()) {
        double x = 0.0, y = 0.0;
        if (std::sscanf(at.c_str(), "%lf,%lf", &x, &y) != 2) {
            throw ConfigError(fmt::format("--at '{}': expected X,Y in the grid CRS, e.g. 136500,455700", at));
        }
        const auto batch = scenarios::parse_batch(batch_file);
        options.memory_budget_bytes = 0.0;
        const auto plan = scenarios::make_plan(batch, registry, options);
        const auto explanations = scenarios::explain_at(plan, scenario, x, y, indicator_id, options);
        nlohmann::json all = nlohmann::json::array();
        for (const auto& e : explanations) {
            nlohmann::json j{{"indicator", e.indicator}, {"output", e.output}, {"x", e.x}, {"y", e.y}, {"unit", e.unit},
                             {"value", e.value ? nlohmann::json(*e.value) : nlohmann::json(nullptr)}, {"notes", e.notes}};
            for (const auto& t : e.terms) {
                j["terms"].push_back({{"name", t.name}, {"value", std::isnan(t.value) ? nlohmann::json(nullptr) : nlohmann::json(t.value)},
                                      {"unit", t.unit}, {"note", t.note}});
            }
            all.push_back(j);
        }
        if (json) {
            fmt::print("{}\n", all.dump(2));
            return 0;
        }
        for (const auto& e : explanations) {
            fmt::print("{} at {:.2f}, {:.2f} (scenario '{}'): {} = {} {}\n", e.indicator, e.x, e.y, scenario, e.output,
                       format_optional(e.value, 3), e.unit);
            for (const auto& t : e.terms) {
                fmt::print("  {:<34} {:>14} {:<6} {}\n", t.name, std::isnan(t.value) ? std::string("nodata") : fmt::format("{:.4g}", t.value),
                           t.unit, t.note);
            }
            for (const auto& n : e.notes) fmt::print("  note: {}\n", n);
        }
        return 0;
    }
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run_cli(argc, argv);
    } catch (const areatwin::ConfigError& e) {
        std::fprintf(stderr, "areatwin: error: %s\n", e.what());
        return 2;
    } catch (const areatwin::DataError& e) {
        std::fprintf(stderr, "areatwin: error: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "areatwin: internal error: %s\n", e.what());
        return 1;
    }
}
