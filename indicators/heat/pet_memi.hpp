// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <optional>

namespace areatwin::indicators::heat {

// The person of the MEMI energy balance; defaults are the pinned reference person of heat-method.md
// B.7.1 (UMEP parametersforsolweig.json): 35 y, 75 kg, 1.80 m, male, 80 W added to the basal
// metabolism, 0.9 clo.
struct MemiPerson {
    double age_y = 35.0;
    double weight_kg = 75.0;
    double height_m = 1.80;
    bool male = true;
    double work_w = 80.0;  // activity, W added to the basal metabolism (not W/m2)
    double clo = 0.9;
};

// Body quantities of the person (heat-method.md B.7.2 steps 2 and 4), for tests and the model card.
struct MemiBody {
    double basal_w = 0.0;
    double metabolism_w = 0.0;
    double dubois_area_m2 = 0.0;
    double covered_fraction = 0.0;  // f_acl
};
MemiBody memi_body(const MemiPerson& person);

// The thermal state found in the actual environment (step 6) and the PET (step 7).
struct MemiResult {
    double pet_c = 0.0;
    double skin_c = 0.0;
    double core_c = 0.0;
    double clothing_c = 0.0;
    int mode = 0;          // accepted thermoregulation mode (1..6)
    int evaluations = 0;   // energy-balance evaluations, steps 6 and 7
};

// PET by Hoeppe's MEMI (Hoeppe 1999) as ported in UMEP PET_calculations.py (heat-method.md B.7.2):
// ta_c air temperature, rh_pct relative humidity, tmrt_c mean radiant temperature, v_ms wind at 1.1 m.
// nullopt where the model has no solution: v <= 0 (UMEP writes 0 there, B.7.2 porting hazards), no
// thermoregulation mode accepted, or a search that hits its iteration cap.
std::optional<MemiResult> pet_memi(double ta_c, double rh_pct, double tmrt_c, double v_ms, const MemiPerson& person = {});

}  // namespace areatwin::indicators::heat
