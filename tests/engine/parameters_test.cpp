// SPDX-License-Identifier: GPL-3.0-or-later
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/parameters.hpp"

namespace areatwin {
namespace {

using ::testing::HasSubstr;

std::vector<ParameterSpec> specs() {
    return {
        {"radius_m", ParameterSpec::Kind::NumberList, "m", "radii", {300.0}, {}, 1.0, 5000.0, {}, true},
        {"hourly_c", ParameterSpec::Kind::NumberList, "degC", "hourly values", {20.0}, {}, -50.0, 60.0, {}},
        {"utc", ParameterSpec::Kind::Choice, "", "a timestamp", {}, {"2015-07-01T10:00:00Z"}, 0, 0, {}},
        {"height_m", ParameterSpec::Kind::Number, "m", "height", {4.0}, {}, 0.0, 100.0, {}},
        {"mode", ParameterSpec::Kind::Choice, "", "mode", {}, {"exclude"}, 0, 0, {"exclude", "zero"}},
        {"classes", ParameterSpec::Kind::ChoiceList, "", "classes", {}, {"grass"}, 0, 0, {"grass", "trees"}},
    };
}

std::string error_of(const std::map<std::string, RawValue>& raw) {
    try {
        (void)validate_parameters("green.share", specs(), raw);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "no error";
}

TEST(Parameters, DefaultsApplyWhenAbsent) {
    const auto p = validate_parameters("x", specs(), {});
    EXPECT_EQ(p.numbers("radius_m"), std::vector<double>{300.0});
    EXPECT_DOUBLE_EQ(p.number("height_m"), 4.0);
    EXPECT_EQ(p.choice("mode"), "exclude");
    EXPECT_FALSE(p.was_given("radius_m"));
    EXPECT_EQ(p.canonical(),
              "classes=[grass];height_m=[4];hourly_c=[20];mode=[exclude];radius_m=[300];utc=[2015-07-01T10:00:00Z]");
}

TEST(Parameters, GivenValuesReplaceDefaults) {
    const auto p = validate_parameters("x", specs(),
                                       {{"radius_m", {std::vector<double>{100, 300}, "b.yaml:3"}},
                                        {"classes", {std::vector<std::string>{"grass", "trees"}, ""}},
                                        {"mode", {std::string("zero"), ""}}});
    EXPECT_EQ(p.numbers("radius_m"), (std::vector<double>{100, 300}));
    EXPECT_EQ(p.choices("classes"), (std::vector<std::string>{"grass", "trees"}));
    EXPECT_EQ(p.choice("mode"), "zero");
    EXPECT_TRUE(p.was_given("radius_m"));  // presets must not replace a value the user wrote
    EXPECT_FALSE(p.was_given("height_m"));
}

TEST(Parameters, UnknownKeyNamesIndicatorKeyAndPlace) {
    const auto msg = error_of({{"radius", {300.0, "batch.yaml:12"}}});
    EXPECT_THAT(msg, HasSubstr("green.share"));
    EXPECT_THAT(msg, HasSubstr("unknown parameter 'radius'"));
    EXPECT_THAT(msg, HasSubstr("batch.yaml:12"));
    EXPECT_THAT(msg, HasSubstr("radius_m"));  // lists the known keys
}

TEST(Parameters, OutOfRangeAndWrongKindAreErrors) {
    EXPECT_THAT(error_of({{"radius_m", {0.5, ""}}}), HasSubstr("'radius_m' = 0.5 is out of range [1, 5000] m"));
    EXPECT_THAT(error_of({{"radius_m", {std::vector<double>{100, 6000}, ""}}}), HasSubstr("out of range"));
    EXPECT_THAT(error_of({{"height_m", {std::vector<double>{1, 2}, ""}}}), HasSubstr("single number"));
    EXPECT_THAT(error_of({{"height_m", {std::string("high"), ""}}}), HasSubstr("'height_m' must be a number"));
    EXPECT_THAT(error_of({{"mode", {std::string("ignore"), ""}}}), HasSubstr("'ignore' is not one of: exclude, zero"));
    EXPECT_THAT(error_of({{"radius_m", {std::vector<double>{100, 100}, ""}}}), HasSubstr("without repeated"));
    EXPECT_THAT(error_of({{"height_m", {std::nan(""), ""}}}), HasSubstr("out of range"));
}

TEST(Parameters, RepeatsAreRefusedOnlyWhereValuesMakeOutputs) {
    const auto p = validate_parameters("x", specs(), {{"hourly_c", {std::vector<double>{28, 28, 29}, ""}}});
    EXPECT_EQ(p.numbers("hourly_c"), (std::vector<double>{28, 28, 29}));
    EXPECT_THAT(error_of({{"radius_m", {std::vector<double>{100, 100}, ""}}}), HasSubstr("without repeated"));
}

TEST(Parameters, FreeTextChoiceAcceptsAnyNonEmptyText) {
    const auto p = validate_parameters("x", specs(), {{"utc", {std::string("2019-07-25T12:00:00Z"), ""}}});
    EXPECT_EQ(p.choice("utc"), "2019-07-25T12:00:00Z");
    EXPECT_THAT(error_of({{"utc", {std::string(""), ""}}}), HasSubstr("'utc' must not be empty"));
}

TEST(Parameters, MissingRequiredValueIsNamed) {
    const std::vector<ParameterSpec> required{{"ta_c", ParameterSpec::Kind::Number, "degC", "air temperature", {}, {}, -50, 60, {}}};
    try {
        (void)validate_parameters("utci", required, {});
        FAIL() << "expected ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_THAT(e.what(), HasSubstr("missing parameter 'ta_c'"));
    }
}

}  // namespace
}  // namespace areatwin
