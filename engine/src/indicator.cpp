// SPDX-License-Identifier: GPL-3.0-or-later
#include "areatwin/engine/indicator.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "areatwin/engine/errors.hpp"

namespace areatwin {

std::unique_ptr<IndicatorModel> Indicator::configure(const std::map<std::string, RawValue>& raw) const {
    const auto& d = descriptor();
    return build(resolve(validate_parameters(d.id, d.parameters, raw)));
}

void IndicatorRegistry::add(std::unique_ptr<Indicator> indicator) {
    const auto& id = indicator->descriptor().id;
    if (find(id)) throw InternalError(fmt::format("indicator '{}' registered twice", id));
    indicators_.push_back(std::move(indicator));
}

const Indicator* IndicatorRegistry::find(const std::string& id) const {
    for (const auto& i : indicators_) {
        if (i->descriptor().id == id) return i.get();
    }
    return nullptr;
}

const Indicator& IndicatorRegistry::get(const std::string& id) const {
    if (const auto* i = find(id)) return *i;
    std::vector<std::string> ids;
    for (const auto& i : indicators_) ids.push_back(i->descriptor().id);
    throw ConfigError(fmt::format("unknown indicator '{}' (available: {})", id, fmt::join(ids, ", ")));
}

std::vector<const Indicator*> IndicatorRegistry::all() const {
    std::vector<const Indicator*> out;
    for (const auto& i : indicators_) out.push_back(i.get());
    return out;
}

std::vector<std::pair<const Indicator*, Formula>> IndicatorRegistry::all_formulas() const {
    std::vector<std::pair<const Indicator*, Formula>> out;
    for (const auto& i : indicators_) {
        for (auto& f : i->formulas()) out.emplace_back(i.get(), std::move(f));
    }
    return out;
}

Formula IndicatorRegistry::formula(const std::string& name) const {
    std::vector<std::string> names;
    for (auto& [indicator, f] : all_formulas()) {
        if (f.name == name) return std::move(f);
        names.push_back(f.name);
    }
    throw ConfigError(fmt::format("unknown formula '{}' (available: {})", name,
                                  names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", "))));
}

}  // namespace areatwin
