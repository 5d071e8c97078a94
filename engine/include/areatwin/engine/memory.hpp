// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace areatwin {

// What a run will hold at its peak, from the plan alone (before anything is allocated).
struct MemoryEstimate {
    struct Item { std::string what; double bytes = 0.0; };
    std::vector<Item> items;
    [[nodiscard]] double total_bytes() const;
    [[nodiscard]] std::string describe() const;  // "1.2 GiB (inputs 0.4 GiB, outputs ...)"
};

std::string format_bytes(double bytes);

// Throws ConfigError with the estimate and the budget when the estimate exceeds the budget.
void check_memory_budget(const MemoryEstimate& estimate, double budget_bytes);

}  // namespace areatwin
