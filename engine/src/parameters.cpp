// SPDX-License-Identifier: GPL-3.0-or-later
#include "areatwin/engine/parameters.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "areatwin/engine/errors.hpp"

namespace areatwin {

namespace {

std::string where_suffix(const RawValue& raw) { return raw.where.empty() ? "" : " (" + raw.where + ")"; }

std::string range_text(const ParameterSpec& spec) {
    return fmt::format("[{}, {}]{}", spec.min, spec.max, spec.unit.empty() ? "" : " " + spec.unit);
}

void check_number(const std::string& owner, const ParameterSpec& spec, const RawValue& raw, double v) {
    if (!std::isfinite(v) || v < spec.min || v > spec.max) {
        throw ConfigError(fmt::format("{}: parameter '{}' = {} is out of range {}{}", owner, spec.name, v,
                                      range_text(spec), where_suffix(raw)));
    }
}

void check_choice(const std::string& owner, const ParameterSpec& spec, const RawValue& raw, const std::string& v) {
    if (spec.choices.empty()) {
        // Free text (a timestamp, a file name): only emptiness can be checked here.
        if (v.empty()) throw ConfigError(fmt::format("{}: parameter '{}' must not be empty{}", owner, spec.name, where_suffix(raw)));
        return;
    }
    if (std::find(spec.choices.begin(), spec.choices.end(), v) == spec.choices.end()) {
        throw ConfigError(fmt::format("{}: parameter '{}' = '{}' is not one of: {}{}", owner, spec.name, v,
                                      fmt::join(spec.choices, ", "), where_suffix(raw)));
    }
}

[[noreturn]] void wrong_kind(const std::string& owner, const ParameterSpec& spec, const RawValue& raw,
                             const char* expected) {
    throw ConfigError(fmt::format("{}: parameter '{}' must be {}{}", owner, spec.name, expected, where_suffix(raw)));
}

}  // namespace

ParameterSpec number_parameter(std::string name, std::string unit, std::string description, double default_value,
                               double min, double max) {
    return {std::move(name), ParameterSpec::Kind::Number, std::move(unit), std::move(description), {default_value}, {},
            min, max, {}};
}

ParameterSpec required_number(std::string name, std::string unit, std::string description, double min, double max) {
    return {std::move(name), ParameterSpec::Kind::Number, std::move(unit), std::move(description), {}, {}, min, max, {}};
}

ParameterSpec number_list_parameter(std::string name, std::string unit, std::string description,
                                    std::vector<double> default_values, double min, double max) {
    return {std::move(name), ParameterSpec::Kind::NumberList, std::move(unit), std::move(description),
            std::move(default_values), {}, min, max, {}};
}

ParameterSpec choice_parameter(std::string name, std::string description, std::string default_value,
                               std::vector<std::string> choices) {
    return {std::move(name), ParameterSpec::Kind::Choice, "", std::move(description), {}, {std::move(default_value)},
            0.0, 0.0, std::move(choices)};
}

double Parameters::number(const std::string& name) const {
    const auto& v = numbers(name);
    if (v.size() != 1) throw InternalError(fmt::format("parameter '{}' holds {} numbers, expected one", name, v.size()));
    return v.front();
}

const std::vector<double>& Parameters::numbers(const std::string& name) const {
    const auto it = numbers_.find(name);
    if (it == numbers_.end()) throw InternalError(fmt::format("numeric parameter '{}' was not declared", name));
    return it->second;
}

const std::string& Parameters::choice(const std::string& name) const {
    const auto& v = choices(name);
    if (v.size() != 1) throw InternalError(fmt::format("parameter '{}' holds {} values, expected one", name, v.size()));
    return v.front();
}

const std::vector<std::string>& Parameters::choices(const std::string& name) const {
    const auto it = choices_.find(name);
    if (it == choices_.end()) throw InternalError(fmt::format("text parameter '{}' was not declared", name));
    return it->second;
}

std::string Parameters::canonical() const {
    std::string out;
    // Both maps are ordered by name; merge them so the text is in one alphabetical order.
    std::map<std::string, std::string> items;
    for (const auto& [k, v] : numbers_) {
        std::vector<std::string> parts;
        for (double d : v) parts.push_back(fmt::format("{}", d));
        items[k] = "[" + fmt::format("{}", fmt::join(parts, ",")) + "]";
    }
    for (const auto& [k, v] : choices_) items[k] = "[" + fmt::format("{}", fmt::join(v, ",")) + "]";
    for (const auto& [k, v] : items) {
        if (!out.empty()) out += ";";
        out += k + "=" + v;
    }
    return out;
}

Parameters validate_parameters(const std::string& owner, const std::vector<ParameterSpec>& specs,
                               const std::map<std::string, RawValue>& raw) {
    for (const auto& [key, value] : raw) {
        const bool known = std::any_of(specs.begin(), specs.end(), [&](const auto& s) { return s.name == key; });
        if (!known) {
            std::vector<std::string> names;
            for (const auto& s : specs) names.push_back(s.name);
            throw ConfigError(fmt::format("{}: unknown parameter '{}'{} (known: {})", owner, key, where_suffix(value),
                                          names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", "))));
        }
    }
    Parameters params;
    for (const auto& spec : specs) {
        const auto it = raw.find(spec.name);
        if (it != raw.end()) params.mark_given(spec.name);
        switch (spec.kind) {
            case ParameterSpec::Kind::Number:
            case ParameterSpec::Kind::NumberList: {
                std::vector<double> values = spec.default_numbers;
                if (it == raw.end() && values.empty()) {
                    throw ConfigError(fmt::format("{}: missing parameter '{}' ({}{})", owner, spec.name, spec.description,
                                                  spec.unit.empty() ? "" : ", " + spec.unit));
                }
                if (it != raw.end()) {
                    const auto& r = it->second;
                    if (const auto* d = std::get_if<double>(&r.value)) {
                        values = {*d};
                    } else if (const auto* list = std::get_if<std::vector<double>>(&r.value)) {
                        if (spec.kind == ParameterSpec::Kind::Number) wrong_kind(owner, spec, r, "a single number");
                        if (list->empty()) wrong_kind(owner, spec, r, "a non-empty list of numbers");
                        values = *list;
                    } else {
                        wrong_kind(owner, spec, r, spec.kind == ParameterSpec::Kind::Number ? "a number" : "a number or a list of numbers");
                    }
                    for (double v : values) check_number(owner, spec, r, v);
                    if (spec.distinct_values) {
                        // One output per value: a repeated value would make two outputs with one name.
                        auto sorted = values;
                        std::sort(sorted.begin(), sorted.end());
                        if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
                            wrong_kind(owner, spec, r, "a list without repeated values");
                        }
                    }
                }
                params.set_numbers(spec.name, std::move(values));
                break;
            }
            case ParameterSpec::Kind::Choice:
            case ParameterSpec::Kind::ChoiceList: {
                std::vector<std::string> values = spec.default_choices;
                if (it == raw.end() && values.empty()) {
                    throw ConfigError(fmt::format("{}: missing parameter '{}' (one of: {})", owner, spec.name,
                                                  fmt::join(spec.choices, ", ")));
                }
                if (it != raw.end()) {
                    const auto& r = it->second;
                    if (const auto* s = std::get_if<std::string>(&r.value)) {
                        values = {*s};
                    } else if (const auto* list = std::get_if<std::vector<std::string>>(&r.value)) {
                        if (spec.kind == ParameterSpec::Kind::Choice) wrong_kind(owner, spec, r, "a single value");
                        if (list->empty()) wrong_kind(owner, spec, r, "a non-empty list");
                        values = *list;
                    } else {
                        wrong_kind(owner, spec, r, fmt::format("one of: {}", fmt::join(spec.choices, ", ")).c_str());
                    }
                    for (const auto& v : values) check_choice(owner, spec, r, v);
                }
                params.set_choices(spec.name, std::move(values));
                break;
            }
        }
    }
    return params;
}

}  // namespace areatwin
