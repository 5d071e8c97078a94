// SPDX-License-Identifier: GPL-3.0-or-later
// The conformance suite every registered indicator must pass: a complete descriptor, parameter
// validation by the engine, tile- and thread-invariant results (bitwise), NaN in gives nodata out,
// explain agrees with the map, and every formula evaluates.
#include <cmath>
#include <regex>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/executor.hpp"
#include "areatwin/indicators/all.hpp"
#include "support/conformance_stack.hpp"
#include "support/synthetic.hpp"

namespace areatwin {
namespace {

using ::testing::HasSubstr;

class Conformance : public ::testing::TestWithParam<std::string> {
protected:
    const Indicator& indicator() const { return indicators::builtin_registry().get(GetParam()); }
};

std::vector<std::string> registered_ids() {
    std::vector<std::string> ids;
    for (const auto* i : indicators::builtin_registry().all()) ids.push_back(i->descriptor().id);
    return ids;
}

TEST(Registry, HasTheFoundationIndicatorAndRejectsUnknownIds) {
    EXPECT_THAT(registered_ids(), ::testing::Contains("green.share"));
    try {
        (void)indicators::builtin_registry().get("green.shares");
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_THAT(e.what(), HasSubstr("unknown indicator 'green.shares'"));
        EXPECT_THAT(e.what(), HasSubstr("green.share"));
    }
}

TEST_P(Conformance, DescriptorIsComplete) {
    const auto& d = indicator().descriptor();
    EXPECT_TRUE(std::regex_match(d.id, std::regex("[a-z]+\\.[a-z_.]+"))) << d.id;
    EXPECT_TRUE(std::regex_match(d.version, std::regex("[0-9]+\\.[0-9]+\\.[0-9]+"))) << d.version;
    EXPECT_FALSE(d.summary.empty());
    EXPECT_GT(d.method.size(), 20u) << "method reference too short";
    EXPECT_FALSE(d.validity.empty());
    EXPECT_FALSE(d.assumptions.empty());
    for (const auto& p : d.parameters) {
        SCOPED_TRACE(p.name);
        EXPECT_TRUE(std::regex_match(p.name, std::regex("[a-z][a-z0-9_]*")));
        EXPECT_FALSE(p.description.empty());
        if (p.kind == ParameterSpec::Kind::Number || p.kind == ParameterSpec::Kind::NumberList) {
            ASSERT_FALSE(p.default_numbers.empty()) << "numeric parameters of indicators need a default";
            EXPECT_LT(p.min, p.max);
            for (double v : p.default_numbers) {
                EXPECT_GE(v, p.min);
                EXPECT_LE(v, p.max);
            }
        } else {
            ASSERT_FALSE(p.default_choices.empty());
            for (const auto& v : p.default_choices) EXPECT_THAT(p.choices, ::testing::Contains(v));
        }
    }
    const auto model = indicator().configure({});
    const auto outputs = model->outputs();
    ASSERT_FALSE(outputs.empty());
    for (const auto& o : outputs) {
        EXPECT_TRUE(std::regex_match(o.name, std::regex("[a-z][a-z0-9_]*"))) << o.name;
        EXPECT_FALSE(o.unit.empty()) << o.name;
        EXPECT_FALSE(o.description.empty()) << o.name;
        EXPECT_LT(o.style_min, o.style_max) << o.name;
    }
    EXPECT_FALSE(model->inputs().empty());
    EXPECT_GE(model->halo_m(), 0.0);
}

TEST_P(Conformance, EngineRejectsUnknownAndOutOfRangeParameters) {
    const auto& d = indicator().descriptor();
    try {
        (void)indicator().configure({{"no_such_parameter", {1.0, "batch.yaml:7"}}});
        FAIL() << "unknown key accepted";
    } catch (const ConfigError& e) {
        EXPECT_THAT(e.what(), HasSubstr(d.id));
        EXPECT_THAT(e.what(), HasSubstr("no_such_parameter"));
    }
    for (const auto& p : d.parameters) {
        if (p.kind != ParameterSpec::Kind::Number && p.kind != ParameterSpec::Kind::NumberList) continue;
        SCOPED_TRACE(p.name);
        for (double bad : {p.max + std::max(1.0, std::abs(p.max)), p.min - std::max(1.0, std::abs(p.min))}) {
            try {
                (void)indicator().configure({{p.name, {bad, ""}}});
                FAIL() << "out-of-range value accepted: " << bad;
            } catch (const ConfigError& e) {
                EXPECT_THAT(e.what(), HasSubstr(d.id));
                EXPECT_THAT(e.what(), HasSubstr(p.name));
            }
        }
    }
}

TEST_P(Conformance, ResultsAreBitwiseIdenticalForAnyTileSizeAndThreadCount) {
    const auto model = indicator().configure({});
    // An odd-sized grid so tiles do not divide it evenly.
    const auto grid = test::make_grid(173, 129, 10.0);
    const auto stack = test::synthetic_stack_for(*model, grid, 11, 0.01);
    const auto reference = run_indicator(*model, stack, {1, 1024, {}});
    for (const auto& [threads, tile] : std::vector<std::pair<int, std::int64_t>>{{2, 1024}, {1, 37}, {2, 37}, {2, 64}}) {
        SCOPED_TRACE(testing::Message() << threads << " threads, tile " << tile);
        const auto other = run_indicator(*model, stack, {threads, tile, {}});
        ASSERT_EQ(other.size(), reference.size());
        for (std::size_t i = 0; i < other.size(); ++i) EXPECT_TRUE(other[i] == reference[i]) << "output " << i;
    }
}

TEST_P(Conformance, NaNInGivesNodataOut) {
    const auto model = indicator().configure({});
    const auto grid = test::make_grid(64, 48, 10.0);
    const auto stack = test::synthetic_stack_for(*model, grid, 21, 0.05);
    const auto outputs = run_indicator(*model, stack, {2, 32, {}});
    std::int64_t nan_inputs = 0;
    for (std::int64_t row = 0; row < grid.rows; ++row) {
        for (std::int64_t col = 0; col < grid.cols; ++col) {
            bool any_nan = false;
            for (const auto& name : model->inputs()) {
                if (stack.has_raster(name) && std::isnan(stack.raster(name).at(col, row))) any_nan = true;
            }
            if (!any_nan) continue;
            ++nan_inputs;
            for (const auto& out : outputs) EXPECT_TRUE(std::isnan(out.at(col, row))) << col << "," << row;
        }
    }
    EXPECT_GT(nan_inputs, 0);
}

TEST_P(Conformance, ExplainAgreesWithTheMap) {
    const auto model = indicator().configure({});
    const auto grid = test::make_grid(60, 50, 10.0);
    const auto stack = test::synthetic_stack_for(*model, grid, 31, 0.0);
    const auto outputs = run_indicator(*model, stack, {2, 25, {}});
    for (const auto& [col, row] : std::vector<std::pair<std::int64_t, std::int64_t>>{{0, 0}, {30, 25}, {59, 49}}) {
        const auto e = model->explain(stack, grid.cell_center_x(col), grid.cell_center_y(row));
        EXPECT_EQ(e.indicator, indicator().descriptor().id);
        ASSERT_TRUE(e.value.has_value());
        EXPECT_FALSE(e.terms.empty());
        // The explanation recomputes with the plain reference; agreement within the model's rounding.
        EXPECT_NEAR(*e.value, outputs[0].at(col, row), 1e-3) << e.output;
    }
    EXPECT_THROW((void)model->explain(stack, grid.origin_x - 100.0, grid.origin_y), ConfigError);
}

TEST_P(Conformance, FormulasDeclareInputsAndEvaluate) {
    for (const auto& f : indicator().formulas()) {
        SCOPED_TRACE(f.name);
        EXPECT_FALSE(f.summary.empty());
        EXPECT_FALSE(f.results.empty());
        std::map<std::string, RawValue> raw;
        for (const auto& in : f.inputs) {
            if (in.kind == ParameterSpec::Kind::Number) {
                const bool usable_default = !in.default_numbers.empty() && std::isfinite(in.default_numbers.front());
                raw[in.name] = {usable_default ? in.default_numbers.front() : (in.min + in.max) / 2.0, ""};
            }
        }
        const auto result = f.evaluate(validate_parameters(f.name, f.inputs, raw));
        for (const auto& name : f.results) {
            // A result may be left out (printed as null) only when a warning says why.
            const bool given = result.values.count(name) || result.arrays.count(name) || result.texts.count(name);
            EXPECT_TRUE(given || !result.warnings.empty()) << name;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(AllIndicators, Conformance, ::testing::ValuesIn(registered_ids()),
                         [](const auto& info) {
                             std::string name = info.param;
                             for (auto& c : name) if (c == '.') c = '_';
                             return name;
                         });

}  // namespace
}  // namespace areatwin
