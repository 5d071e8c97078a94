// SPDX-License-Identifier: GPL-3.0-or-later
#include "areatwin/engine/memory.hpp"

#include <fmt/format.h>

#include "areatwin/engine/errors.hpp"

namespace areatwin {

double MemoryEstimate::total_bytes() const {
    double total = 0.0;
    for (const auto& item : items) total += item.bytes;
    return total;
}

std::string format_bytes(double bytes) {
    constexpr double kib = 1024.0;
    if (bytes >= kib * kib * kib) return fmt::format("{:.2f} GiB", bytes / (kib * kib * kib));
    if (bytes >= kib * kib) return fmt::format("{:.1f} MiB", bytes / (kib * kib));
    if (bytes >= kib) return fmt::format("{:.1f} KiB", bytes / kib);
    return fmt::format("{:.0f} B", bytes);
}

std::string MemoryEstimate::describe() const {
    std::string parts;
    for (const auto& item : items) {
        if (!parts.empty()) parts += ", ";
        parts += item.what + " " + format_bytes(item.bytes);
    }
    return fmt::format("{} ({})", format_bytes(total_bytes()), parts);
}

void check_memory_budget(const MemoryEstimate& estimate, double budget_bytes) {
    if (estimate.total_bytes() > budget_bytes) {
        throw ConfigError(fmt::format(
            "the run needs an estimated {} but the memory budget is {}; use a larger cell size, a smaller "
            "area, fewer scenarios per batch, or raise the budget with --memory-budget",
            estimate.describe(), format_bytes(budget_bytes)));
    }
}

}  // namespace areatwin
