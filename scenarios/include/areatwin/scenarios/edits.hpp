// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <string>
#include <vector>

#include "areatwin/engine/layer_stack.hpp"
#include "areatwin/io/sources.hpp"
#include "areatwin/scenarios/batch.hpp"

namespace areatwin::scenarios {

// What an edit changed, for the log and for recomputation decisions.
struct EditOutcome {
    std::string summary;                 // "remove buildings: 12 features inside plan.gpkg:demolition"
    std::vector<std::string> roles;      // feature roles replaced
    std::vector<std::string> rasters;    // grid layers replaced directly (paint)
};

// Applies one edit to a stack (copy-on-write: only the touched layers are replaced). Does not
// re-derive grid layers; the caller calls io::derive_grid_layers for the returned roles.
// An edit that matches no feature is a DataError naming the edit's place in the batch file.
EditOutcome apply_edit(const Edit& edit, LayerStack& stack, io::LoadReport& report);

}  // namespace areatwin::scenarios
