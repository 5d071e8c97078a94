// SPDX-License-Identifier: GPL-3.0-or-later
//
// green.ndvi: NDVI and vegetation classes from Sentinel-2 L2A red (B4) and near-infrared (B8) rasters,
// with the BOA offset of processing baseline 04.00 and later. Method: ../shared/reference/green-method.md
// section 5; model card: the green.ndvi section of indicators/green/README.md.
#include "green/green_ndvi.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "areatwin/engine/errors.hpp"

namespace areatwin::indicators::green {

namespace {

constexpr const char* kRedRole = "s2_red";
constexpr const char* kNirRole = "s2_nir";

const IndicatorDescriptor& ndvi_descriptor() {
    using K = ParameterSpec::Kind;
    static const IndicatorDescriptor descriptor{
        "green.ndvi",
        "1.1.0",
        "NDVI from Sentinel-2 L2A red (B4) and near-infrared (B8) rasters, and its vegetation class",
        "NDVI = (B8 - B4) / (B8 + B4) on L2A surface reflectance, reflectance = (DN + BOA_ADD_OFFSET) / "
        "QUANTIFICATION_VALUE (green-method.md section 5: offset -1000 from processing baseline 04.00 of 25 January "
        "2022, 0 before and in harmonised collections); classes after the ANK thresholds or Hashim et al. 2019.",
        "10 m Sentinel-2 pixels do not resolve single street trees; on a finer grid the digital numbers are "
        "resampled bilinearly by the loader (averaged on a coarser grid) before the NDVI is formed. Observation "
        "only: the layer is baseline only and does not respond to scenario edits unless a scenario replaces the "
        "rasters.",
        "Both rasters hold L2A digital numbers of one scene or composite with the same offset; the offset is a "
        "parameter to be read from the product metadata (never assumed). Reflectance below 0 after the offset is "
        "taken as 0. Cloud masking and compositing happen before the rasters are given (section 5).",
        {
            {"boa_add_offset", K::Number, "",
             "BOA_ADD_OFFSET of B4 and B8 from the product metadata (MTD_MSIL2A.xml): -1000 from processing "
             "baseline 04.00 (25 January 2022), 0 before 04.00 and for harmonised collections (section 5)",
             {-1000.0}, {}, -10000.0, 10000.0, {}},
            {"boa_add_offset_b4", K::Number, "",
             "BOA_ADD_OFFSET of B4 alone, where the metadata declares the bands' offsets apart (per band, section 5); "
             "when not given: boa_add_offset",
             {-1000.0}, {}, -10000.0, 10000.0, {}},
            {"boa_add_offset_b8", K::Number, "",
             "BOA_ADD_OFFSET of B8 alone (per band, section 5); when not given: boa_add_offset", {-1000.0}, {},
             -10000.0, 10000.0, {}},
            {"quantification_value", K::Number, "",
             "BOA_QUANTIFICATION_VALUE from the product metadata (10000, section 5)", {10000.0}, {}, 1.0, 1.0e6, {}},
            {"class_scheme", K::Choice, "",
             "vegetation classes after the 'ank' thresholds (0, 0.1, 0.2, 0.4) or 'hashim-2019' (0, 0.2, 0.5), "
             "section 5",
             {}, {"ank"}, 0.0, 0.0, {"ank", "hashim-2019"}},
        },
    };
    return descriptor;
}

class GreenNdviModel final : public IndicatorModel {
public:
    explicit GreenNdviModel(const Parameters& p)
        : red_offset_(p.number("boa_add_offset_b4")),
          nir_offset_(p.number("boa_add_offset_b8")),
          quantification_(p.number("quantification_value")),
          hashim_(p.choice("class_scheme") == "hashim-2019") {}

    [[nodiscard]] std::vector<std::string> inputs() const override { return {kRedRole, kNirRole}; }
    [[nodiscard]] double halo_m() const override { return 0.0; }
    [[nodiscard]] double working_bytes_per_cell() const override { return 0.0; }

    [[nodiscard]] std::vector<OutputSpec> outputs() const override {
        return {
            {"green_ndvi", "ndvi",
             fmt::format("NDVI of Sentinel-2 L2A B4/B8, reflectance = (DN + {} for B4, {} for B8) / {} (baseline only)",
                         red_offset_, nir_offset_, quantification_),
             hashim_ ? std::vector<double>{0.2, 0.5} : std::vector<double>{0.2, 0.4}, "green", -0.2, 0.9},
            {"green_ndvi_class", "class",
             hashim_ ? "NDVI class (Hashim et al. 2019): 0 water, 1 non-vegetation, 3 shrub or grass, 4 trees"
                     : "NDVI class (ANK): 0 water, 1 no vegetation, 2 sparse, 3 grassland or shrub, 4 forest or "
                       "productive crops",
             {2.5}, "green", 0.0, 4.0,
             {{0.0, "#2c7bb6", "water"},
              {0.5, "#d9d9d9", hashim_ ? "non-vegetation" : "no vegetation"},
              {1.5, "#f6e8c3", "sparse vegetation"},
              {2.5, "#a6d96a", hashim_ ? "shrub or grass" : "grassland or shrub"},
              {3.5, "#1a9641", hashim_ ? "trees" : "forest or productive crops"}}},
        };
    }

    void compute(const TileContext& ctx, TileOutputs& out) const override {
        const Raster& red = raster(ctx.inputs, kRedRole);
        const Raster& nir = raster(ctx.inputs, kNirRole);
        const Window& core = ctx.tile.core;
        for (std::int64_t row = core.row0; row < core.row_end(); ++row) {
            for (std::int64_t col = core.col0; col < core.col0 + core.cols; ++col) {
                const double v = ndvi_from_dn(red.at(col, row), nir.at(col, row), red_offset_, nir_offset_, quantification_);
                out.rasters[0]->at(col, row) = static_cast<float>(v);
                out.rasters[1]->at(col, row) = static_cast<float>(ndvi_class(v, hashim_));
            }
        }
    }

    [[nodiscard]] Explanation explain(const LayerStack& stack, double x, double y) const override {
        const auto& grid = stack.grid();
        const auto col = grid.col_of(x), row = grid.row_of(y);
        if (!grid.contains_cell(col, row)) {
            throw ConfigError(fmt::format("green.ndvi: point {}, {} lies outside the grid", x, y));
        }
        const double red_dn = raster(stack, kRedRole).at(col, row), nir_dn = raster(stack, kNirRole).at(col, row);
        Explanation e;
        e.indicator = "green.ndvi";
        e.output = "green_ndvi";
        e.x = x;
        e.y = y;
        e.unit = "ndvi";
        const double red = (red_dn + red_offset_) / quantification_, nir = (nir_dn + nir_offset_) / quantification_;
        e.terms.push_back({"red_dn", red_dn, "", "B4 digital number (resampled to the cell)"});
        e.terms.push_back({"nir_dn", nir_dn, "", "B8 digital number (resampled to the cell)"});
        e.terms.push_back({"red_reflectance", red, "", fmt::format("(DN + {}) / {}", red_offset_, quantification_)});
        e.terms.push_back({"nir_reflectance", nir, "", fmt::format("(DN + {}) / {}", nir_offset_, quantification_)});
        const double v = ndvi_from_dn(red_dn, nir_dn, red_offset_, nir_offset_, quantification_);
        if (!std::isnan(v)) e.value = v;
        e.terms.push_back({"green_ndvi_class", ndvi_class(v, hashim_), "class", hashim_ ? "hashim-2019" : "ank"});
        if (red < 0.0 || nir < 0.0) e.notes.push_back("a reflectance below 0 is taken as 0");
        e.notes.push_back("observation only: NDVI does not respond to scenario edits");
        return e;
    }

private:
    static const Raster& raster(const LayerStack& stack, const char* role) {
        if (!stack.has_raster(role)) {
            throw DataError(fmt::format("green.ndvi needs the raster input '{}' (Sentinel-2 L2A {} digital numbers)",
                                        role, std::string(role) == kRedRole ? "B4" : "B8"));
        }
        return stack.raster(role);
    }

    double red_offset_;
    double nir_offset_;
    double quantification_;
    bool hashim_;
};

}  // namespace

double ndvi_from_dn(double red_dn, double nir_dn, double boa_add_offset, double quantification_value) {
    return ndvi_from_dn(red_dn, nir_dn, boa_add_offset, boa_add_offset, quantification_value);
}

double ndvi_from_dn(double red_dn, double nir_dn, double red_offset, double nir_offset, double quantification_value) {
    if (std::isnan(red_dn) || std::isnan(nir_dn)) return std::nan("");
    const double red = std::max(0.0, (red_dn + red_offset) / quantification_value);
    const double nir = std::max(0.0, (nir_dn + nir_offset) / quantification_value);
    if (red + nir <= 0.0) return std::nan("");
    return (nir - red) / (nir + red);
}

double ndvi_class(double ndvi, bool hashim) {
    if (std::isnan(ndvi)) return ndvi;
    if (ndvi < 0.0) return 0.0;
    if (hashim) return ndvi < 0.2 ? 1.0 : ndvi < 0.5 ? 3.0 : 4.0;
    return ndvi < 0.1 ? 1.0 : ndvi < 0.2 ? 2.0 : ndvi <= 0.4 ? 3.0 : 4.0;
}

const IndicatorDescriptor& GreenNdvi::descriptor() const { return ndvi_descriptor(); }

Parameters GreenNdvi::resolve(const Parameters& validated) const {
    // A band's offset not given takes the common boa_add_offset, so the values in effect (the model
    // card) are the ones used.
    Parameters p = validated;
    for (const char* band : {"boa_add_offset_b4", "boa_add_offset_b8"}) {
        if (!p.was_given(band)) p.set_numbers(band, {p.number("boa_add_offset")});
    }
    return p;
}

std::unique_ptr<IndicatorModel> GreenNdvi::build(const Parameters& params) const {
    return std::make_unique<GreenNdviModel>(params);
}

}  // namespace areatwin::indicators::green
