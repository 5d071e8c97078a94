// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "areatwin/engine/indicator.hpp"
#include "areatwin/engine/memory.hpp"
#include "areatwin/scenarios/batch.hpp"

namespace areatwin::scenarios {

struct RunOptions {
    int threads = 0;                         // 0: all hardware threads
    std::vector<std::string> scenarios;      // subset to run (the baseline is always computed); empty: all
    std::optional<std::filesystem::path> output;  // replaces outputs.path
    std::optional<std::int64_t> tile_size;   // replaces outputs.tile_size
    double memory_budget_bytes = 0.0;        // 0: no limit
    std::function<void(const std::string&)> log;                     // one line per event
    std::function<void(const std::string& stage, double fraction)> progress;
};

// An indicator of the batch, configured from validated parameters.
struct PlannedIndicator {
    const Indicator* indicator = nullptr;
    Parameters parameters;
    std::unique_ptr<IndicatorModel> model;
    // Parameter sweeps: a variant runs the indicator with one parameter changed. Its maps are written as
    // "<scenario>__<output>__<table_suffix>"; differences and per-area columns are for the main runs only.
    std::string variant;       // "park_min_area_m2=5000"; empty for the indicator as configured
    std::string table_suffix;  // "park_min_area_m2_5000"
    std::size_t variant_of = 0;  // index of the main run this is a variant of
};

// Everything decided before any heavy work: validated indicators, resolved scenarios, memory.
struct Plan {
    Batch batch;
    std::vector<PlannedIndicator> indicators;
    std::vector<std::string> scenarios;      // names to compute, in batch order
    std::filesystem::path output;
    std::int64_t tile_size = 256;
    MemoryEstimate memory;
};

// Validates the batch against the registry and the file system (inputs exist, output writable,
// parameters valid, memory within budget). Throws ConfigError / DataError; computes nothing.
Plan make_plan(const Batch& batch, const IndicatorRegistry& registry, const RunOptions& options);

struct OutputSummary {
    std::string scenario;
    std::string indicator;
    std::string output;
    std::string unit;
    std::optional<double> mean;               // over all cells with a value
    std::optional<double> mean_pop_weighted;  // over all residents
    std::optional<double> mean_change;        // against the baseline
    bool reused = false;                      // taken from a scenario with identical inputs
    std::string reused_from;
    double seconds = 0.0;
};

// How much a swept parameter moves an output: the whole-grid mean for each value.
struct VariantSpread {
    std::string scenario;
    std::string indicator;
    std::string output;
    std::string unit;
    std::string parameter;
    std::vector<std::string> values;           // as written in the batch file
    std::vector<std::optional<double>> means;  // one per value
    std::optional<double> spread;              // max - min of the means
};

struct RunResult {
    std::filesystem::path output;
    std::vector<std::filesystem::path> csv_files;  // per-area tables, one per scenario
    std::vector<OutputSummary> summaries;
    std::vector<VariantSpread> spreads;
    std::vector<std::string> warnings;
    nlohmann::json manifest;
};

// Loads, edits, computes, aggregates and writes the GeoPackage (atomically).
RunResult run_plan(const Plan& plan, const RunOptions& options);

// All checks of a run without computing: plan, load inputs, apply every scenario's edits.
// Returns the warnings found.
std::vector<std::string> validate_plan(const Plan& plan, const RunOptions& options);

// The breakdown of one indicator's value at one point of one scenario.
std::vector<Explanation> explain_at(const Plan& plan, const std::string& scenario, double x, double y,
                                    const std::string& indicator_id, const RunOptions& options);

// Re-hashes the batch file and every input file a GeoPackage's manifest records.
struct VerifiedFile {
    std::string role;                 // "batch" for the batch file
    std::string path;
    enum class Status { Unchanged, Changed, Missing } status = Status::Unchanged;
    std::string recorded_sha256;
    std::string current_sha256;       // empty when missing
    std::uint64_t recorded_size_bytes = 0;
    std::uint64_t current_size_bytes = 0;
};
std::vector<VerifiedFile> verify_inputs(const std::filesystem::path& gpkg);

// The model card of an indicator (descriptor, parameters, outputs), with the values in effect when given.
nlohmann::json model_card(const Indicator& indicator, const Parameters* in_effect = nullptr);

}  // namespace areatwin::scenarios
