// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <type_traits>

namespace areatwin::bench {

// splitmix64: fast and seeded, so building many Mcells of inputs does not dominate a run.
// unit() gives a value in [0, 1) with the full precision of Real.
template <typename Real = double>
struct SplitMix64 {
    std::uint64_t state;
    std::uint64_t next() {
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    Real unit() {
        if constexpr (std::is_same_v<Real, float>) {
            return static_cast<float>(next() >> 40) * (1.0f / 16777216.0f);
        } else {
            return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0);
        }
    }
};

}  // namespace areatwin::bench
