// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <map>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace areatwin {

// A parameter value as the batch file or the command line gives it, before validation.
struct RawValue {
    std::variant<double, std::string, std::vector<double>, std::vector<std::string>> value;
    std::string where;  // "batch.yaml:12" or "command line", for messages
};

// How a parameter is declared: once, with everything a user and the model card need.
struct ParameterSpec {
    enum class Kind { Number, NumberList, Choice, ChoiceList };
    std::string name;          // unit in the name where it has one: radius_m, temperature_c
    Kind kind = Kind::Number;
    std::string unit;          // "m", "dB", "%", "" for dimensionless or text
    std::string description;   // one line
    std::vector<double> default_numbers;       // Number: one value; NumberList: the default list
    std::vector<std::string> default_choices;  // Choice: one value; ChoiceList: the default list
    double min = 0.0;          // inclusive valid range of every number
    double max = 0.0;
    std::vector<std::string> choices;  // allowed values of Choice / ChoiceList; empty: any non-empty text
    bool distinct_values = false;      // NumberList: a repeated value is an error (one output per value)
};

// Declaration helpers, so an indicator declares each parameter on one line.
ParameterSpec number_parameter(std::string name, std::string unit, std::string description, double default_value,
                               double min, double max);
ParameterSpec required_number(std::string name, std::string unit, std::string description, double min, double max);
ParameterSpec number_list_parameter(std::string name, std::string unit, std::string description,
                                    std::vector<double> default_values, double min, double max);
ParameterSpec choice_parameter(std::string name, std::string description, std::string default_value,
                               std::vector<std::string> choices);

// Validated parameters: every declared parameter is present (given or default), in range.
class Parameters {
public:
    Parameters() = default;

    [[nodiscard]] double number(const std::string& name) const;
    [[nodiscard]] const std::vector<double>& numbers(const std::string& name) const;
    [[nodiscard]] const std::string& choice(const std::string& name) const;
    [[nodiscard]] const std::vector<std::string>& choices(const std::string& name) const;

    // Whether the value came from the batch file or command line rather than the declared default.
    [[nodiscard]] bool was_given(const std::string& name) const { return given_.count(name) > 0; }
    void mark_given(const std::string& name) { given_.insert(name); }

    void set_numbers(const std::string& name, std::vector<double> v) { numbers_[name] = std::move(v); }
    void set_choices(const std::string& name, std::vector<std::string> v) { choices_[name] = std::move(v); }

    // Stable text form, e.g. "radius_m=[100,300]"; used for hashing and the model card.
    [[nodiscard]] std::string canonical() const;
    [[nodiscard]] const std::map<std::string, std::vector<double>>& all_numbers() const { return numbers_; }
    [[nodiscard]] const std::map<std::string, std::vector<std::string>>& all_choices() const { return choices_; }

private:
    std::map<std::string, std::vector<double>> numbers_;
    std::map<std::string, std::vector<std::string>> choices_;
    std::set<std::string> given_;
};

// Checks raw values against the declared specs. Unknown keys, wrong kinds and out-of-range values
// are a ConfigError naming the indicator (or formula) and the key; absent keys take their default.
Parameters validate_parameters(const std::string& owner, const std::vector<ParameterSpec>& specs,
                               const std::map<std::string, RawValue>& raw);

}  // namespace areatwin
