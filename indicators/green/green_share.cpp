// SPDX-License-Identifier: GPL-3.0-or-later
//
// green.share: share of green land cover within a radius of each cell.
// Method: ../shared/reference/green-method.md section 3 (our operationalisation, not an RIVM norm);
// see indicators/green/README.md for the model card in prose.
#include "green/green_share.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/roles.hpp"

namespace areatwin::indicators::green {

namespace {

// Fractions are summed as integers in units of 2^-20 of a cell: integer sums are exact, so the
// result of a cell does not depend on where its tile's summed-area table starts (tile and thread
// invariance, bitwise), and 2^-20 (1e-6) is far below any land-cover map's accuracy.
constexpr double kFractionScale = 1048576.0;

const IndicatorDescriptor& green_share_descriptor() {
    static const IndicatorDescriptor descriptor{
        "green.share",
        "1.0.0",
        "Share of green land cover (grass, trees, shrubs) within a radius of each cell, in percent",
        "Green share within a radius: sum of green fractions of the cells whose centre lies within r, divided "
        "by the number of counted cells (areatwin operationalisation of green-method.md section 3; the Tygron "
        "'Average overlay' and the RIVM Groenkaart 10 m use the same definition; not an RIVM norm)",
        "Any cell size up to the radius; the disc is discretised by cell centres, so for r below 3 cells the "
        "disc area differs from pi r^2 by more than 10 %. Cells outside the grid are not counted: near the "
        "grid edge the share describes the part of the disc inside the area.",
        "Green classes and tree crowns count with their cell fraction; a cell without land-cover data either "
        "leaves the denominator (nodata_mode 'exclude', default) or counts as not green ('zero', as the ANK "
        "'Groenpercentage per wijk').",
        {
            {"radius_m", ParameterSpec::Kind::NumberList, "m",
             "radii of the disc; one output per radius (default 300)", {300.0}, {}, 1.0, 5000.0, {}, true},
            {"green_classes", ParameterSpec::Kind::ChoiceList, "",
             "land-cover classes that count as green (default grass, trees, shrubs)", {}, {"grass", "trees", "shrubs"},
             0.0, 0.0, landcover_classes()},
            {"include_tree_crowns", ParameterSpec::Kind::Choice, "",
             "count tree crowns of the trees role over non-green cover (default yes)", {}, {"yes"}, 0.0, 0.0,
             {"yes", "no"}},
            {"nodata_mode", ParameterSpec::Kind::Choice, "",
             "cells without land-cover data: 'exclude' from the denominator (default) or count as 'zero' green", {},
             {"exclude"}, 0.0, 0.0, {"exclude", "zero"}},
        },
    };
    return descriptor;
}

std::string output_name(double radius_m) { return fmt::format("green_share_r{}", radius_m); }

class GreenShareModel final : public IndicatorModel {
public:
    explicit GreenShareModel(const Parameters& params)
        : radii_m_(params.numbers("radius_m")),
          green_classes_(params.choices("green_classes")),
          include_crowns_(params.choice("include_tree_crowns") == "yes"),
          nodata_as_zero_(params.choice("nodata_mode") == "zero") {}

    [[nodiscard]] std::vector<std::string> inputs() const override {
        std::vector<std::string> names;
        for (const auto& c : green_classes_) names.push_back(layer::landcover_fraction(c));
        if (include_crowns_) names.emplace_back(layer::canopy_fraction);
        return names;
    }

    [[nodiscard]] double halo_m() const override { return *std::max_element(radii_m_.begin(), radii_m_.end()); }

    [[nodiscard]] std::vector<OutputSpec> outputs() const override {
        std::vector<OutputSpec> out;
        for (double r : radii_m_) {
            out.push_back({output_name(r), "%", fmt::format("share of green land cover within {} m", r),
                           {}, "green", 0.0, 100.0});
        }
        return out;
    }

    [[nodiscard]] double working_bytes_per_cell() const override { return 2.0 * sizeof(std::int64_t); }

    void compute(const TileContext& ctx, TileOutputs& out) const override {
        const auto inputs = green_inputs(ctx.inputs);
        const Window& w = ctx.tile.halo;
        const auto stride = w.cols + 1;
        // Summed-area tables over the halo window with a zero first row and column, in buffers each
        // thread keeps from tile to tile (every entry read is written first; no new pages per tile). They
        // hold what one tile in flight needs (working_bytes_per_cell) and stay with the thread after a run.
        thread_local std::vector<std::int64_t> green_sat, count_sat;
        thread_local std::vector<float> fraction;
        const auto table = static_cast<std::size_t>(stride * (w.rows + 1));
        if (green_sat.size() < table) green_sat.resize(table), count_sat.resize(table);
        if (fraction.size() < static_cast<std::size_t>(w.cols)) fraction.resize(static_cast<std::size_t>(w.cols));
        std::fill(green_sat.begin(), green_sat.begin() + stride, 0);
        // The count table is only needed once a cell without data turns up (with none, every disc
        // cell inside the window counts): until then it is not written, and at the first such row its
        // rows so far are filled in as full counts.
        bool any_nodata = false;
        for (std::int64_t r = 0; r < w.rows; ++r) {
            const auto above = static_cast<std::size_t>(r * stride);
            const auto here = static_cast<std::size_t>((r + 1) * stride);
            green_sat[here] = 0;
            inputs.green_fraction_row(w.col0, w.row0 + r, w.cols, fraction.data());
            if (!any_nodata && std::any_of(fraction.begin(), fraction.begin() + w.cols,
                                           [](float g) { return std::isnan(g); })) {
                any_nodata = true;
                for (std::int64_t rr = 0; rr <= r; ++rr) {
                    for (std::int64_t c = 0; c <= w.cols; ++c) count_sat[static_cast<std::size_t>(rr * stride + c)] = rr * c;
                }
            }
            std::int64_t green_row = 0;
            if (!any_nodata) {
                for (std::int64_t c = 0; c < w.cols; ++c) {
                    green_row += fraction_units(fraction[static_cast<std::size_t>(c)], kFractionScale);
                    const auto i = static_cast<std::size_t>(c + 1);
                    green_sat[here + i] = green_sat[above + i] + green_row;
                }
                continue;
            }
            std::int64_t count_row = 0;
            count_sat[here] = 0;
            for (std::int64_t c = 0; c < w.cols; ++c) {
                const float g = fraction[static_cast<std::size_t>(c)];
                if (!std::isnan(g)) {
                    green_row += fraction_units(g, kFractionScale);
                    ++count_row;
                } else if (nodata_as_zero_) {
                    ++count_row;
                }
                const auto i = static_cast<std::size_t>(c + 1);
                green_sat[here + i] = green_sat[above + i] + green_row;
                count_sat[here + i] = count_sat[above + i] + count_row;
            }
        }

        const Window& core = ctx.tile.core;
        std::vector<std::int64_t> green_acc(static_cast<std::size_t>(core.cols));
        std::vector<std::int64_t> count_acc(static_cast<std::size_t>(core.cols));
        for (std::size_t k = 0; k < radii_m_.size(); ++k) {
            const Disc disc = make_disc(radii_m_[k], ctx.grid.cell_size_m);
            Raster& target = *out.rasters[k];
            for (std::int64_t row = core.row0; row < core.row_end(); ++row) {
                std::fill(green_acc.begin(), green_acc.end(), 0);
                // Discs clipped to the window (the window is the grid clipped by the halo).
                const auto wr = row - w.row0, wc0 = core.col0 - w.col0;
                add_disc_sums(disc, green_sat.data(), w.rows, w.cols, wr, wc0, core.cols, green_acc.data());
                if (any_nodata) {
                    std::fill(count_acc.begin(), count_acc.end(), 0);
                    add_disc_sums(disc, count_sat.data(), w.rows, w.cols, wr, wc0, core.cols, count_acc.data());
                } else {
                    // Every cell counts: the count is the disc's cells inside the window.
                    disc_cells_in_window_row(disc, w.rows, w.cols, wr, wc0, core.cols, count_acc.data());
                }
                float* dst = target.row_ptr(row);
                for (std::int64_t c = 0; c < core.cols; ++c) {
                    const auto col = core.col0 + c;
                    const auto n = count_acc[static_cast<std::size_t>(c)];
                    if (n == 0 || (any_nodata && std::isnan(inputs.green_fraction(col, row)))) {
                        dst[col] = Raster::nodata;
                        continue;
                    }
                    dst[col] = static_cast<float>(100.0 * static_cast<double>(green_acc[static_cast<std::size_t>(c)]) /
                                                  (static_cast<double>(n) * kFractionScale));
                }
            }
        }
    }

    [[nodiscard]] Explanation explain(const LayerStack& stack, double x, double y) const override {
        const auto& grid = stack.grid();
        const auto col = grid.col_of(x);
        const auto row = grid.row_of(y);
        if (!grid.contains_cell(col, row)) {
            throw ConfigError(fmt::format("green.share: point {}, {} lies outside the grid", x, y));
        }
        const auto inputs = green_inputs(stack);
        Explanation e;
        e.indicator = "green.share";
        e.x = x;
        e.y = y;
        e.unit = "%";
        const float g = inputs.green_fraction(col, row);
        e.terms.push_back({"cell", static_cast<double>(col), "", fmt::format("column {}, row {}", col, row)});
        e.terms.push_back({"green_fraction_of_cell", std::isnan(g) ? std::nan("") : static_cast<double>(g), "",
                           "sum of the green classes (and tree crowns over the rest), clamped to 1"});
        for (const auto& c : green_classes_) {
            const auto name = layer::landcover_fraction(c);
            if (stack.has_raster(name)) {
                e.terms.push_back({name, static_cast<double>(stack.raster(name).at(col, row)), "", "fraction of the cell"});
            } else {
                e.notes.push_back(fmt::format("class '{}' does not occur in the land-cover input: counted as 0", c));
            }
        }
        if (inputs.canopy_fraction) {
            e.terms.push_back({std::string(layer::canopy_fraction),
                               static_cast<double>(inputs.canopy_fraction->at(col, row)), "", "tree crowns"});
        }
        for (double r : radii_m_) {
            const auto disc = make_disc(r, grid.cell_size_m);
            const auto sum = green_disc_sum_reference(grid, inputs, disc, col, row, nodata_as_zero_);
            const auto out = output_name(r);
            const double share = (std::isnan(g) || sum.counted_cells == 0)
                                     ? std::nan("")
                                     : 100.0 * sum.green_cells / static_cast<double>(sum.counted_cells);
            if (!e.value) {
                e.output = out;
                if (!std::isnan(share)) e.value = share;
            }
            e.terms.push_back({out + ".disc_cells", static_cast<double>(disc.cell_count()), "cells",
                               fmt::format("cells with centre within {} m (pi r^2 = {:.0f} m2, disc {:.0f} m2)", r,
                                           M_PI * r * r, static_cast<double>(disc.cell_count()) * grid.cell_area_m2())});
            e.terms.push_back({out + ".cells_in_grid", static_cast<double>(sum.disc_cells_in_grid), "cells", ""});
            e.terms.push_back({out + ".cells_without_data", static_cast<double>(sum.nodata_cells), "cells",
                               nodata_as_zero_ ? "counted as not green" : "left out of the denominator"});
            e.terms.push_back({out + ".green_area", sum.green_cells * grid.cell_area_m2(), "m2", ""});
            e.terms.push_back({out, share, "%", "green area / counted area x 100"});
        }
        return e;
    }

private:
    GreenInputs green_inputs(const LayerStack& stack) const {
        GreenInputs inputs;
        bool any_landcover = false;
        for (const auto& c : landcover_classes()) any_landcover = any_landcover || stack.has_raster(layer::landcover_fraction(c));
        if (!any_landcover) {
            throw DataError("green.share needs land cover: add a 'landcover' input (polygons or a class raster)");
        }
        for (const auto& c : green_classes_) {
            const auto name = layer::landcover_fraction(c);
            if (stack.has_raster(name)) inputs.class_fractions.push_back(&stack.raster(name));
        }
        const auto canopy = std::string(layer::canopy_fraction);
        if (include_crowns_ && stack.has_raster(canopy)) inputs.canopy_fraction = &stack.raster(canopy);
        return inputs;
    }

    std::vector<double> radii_m_;
    std::vector<std::string> green_classes_;
    bool include_crowns_;
    bool nodata_as_zero_;
};

}  // namespace

std::int64_t Disc::cell_count() const {
    std::int64_t n = 0;
    for (auto w : half_widths) n += 2 * w + 1;
    return n;
}

Disc make_disc(double radius_m, double cell_size_m) {
    Disc disc;
    const double r_cells = radius_m / cell_size_m;
    // The tiny tolerance keeps cells exactly on the circle inside despite rounding in r/cell.
    const double r2 = r_cells * r_cells * (1.0 + 1e-12);
    disc.radius_cells = static_cast<std::int64_t>(std::floor(r_cells * (1.0 + 1e-12)));
    for (std::int64_t dy = -disc.radius_cells; dy <= disc.radius_cells; ++dy) {
        const double rest = r2 - static_cast<double>(dy * dy);
        disc.half_widths.push_back(static_cast<std::int64_t>(std::floor(std::sqrt(std::max(0.0, rest)))));
    }
    for (std::size_t i = 0; i < disc.half_widths.size();) {
        std::size_t j = i + 1;
        while (j < disc.half_widths.size() && disc.half_widths[j] == disc.half_widths[i]) ++j;
        disc.rectangles.push_back({static_cast<std::int64_t>(i) - disc.radius_cells,
                                   static_cast<std::int64_t>(j) - disc.radius_cells, disc.half_widths[i]});
        i = j;
    }
    return disc;
}

namespace {

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define AREATWIN_GREEN_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define AREATWIN_GREEN_CLONES
#endif

// acc[c] += a1[c] - a0[c] - b1[c] + b0[c] for c in [0, n): the unclipped part of one rectangle.
AREATWIN_GREEN_CLONES void add_rectangle_sums(const std::int64_t* __restrict a1, const std::int64_t* __restrict a0,
                                              const std::int64_t* __restrict b1, const std::int64_t* __restrict b0,
                                              std::int64_t n, std::int64_t* __restrict acc) {
    for (std::int64_t c = 0; c < n; ++c) acc[c] += a1[c] - a0[c] - b1[c] + b0[c];
}

}  // namespace

void add_disc_sums(const Disc& disc, const std::int64_t* sat, std::int64_t rows, std::int64_t cols, std::int64_t row,
                   std::int64_t col0, std::int64_t n, std::int64_t* acc) {
    const auto stride = cols + 1;
    for (const auto& rect : disc.rectangles) {
        const auto r0 = std::clamp(row + rect.row_begin, std::int64_t{0}, rows);
        const auto r1 = std::clamp(row + rect.row_end, std::int64_t{0}, rows);
        if (r0 >= r1) continue;
        const std::int64_t* p0 = sat + r0 * stride;
        const std::int64_t* p1 = sat + r1 * stride;
        const auto hw = rect.half_width;
        // Cells whose rectangle columns [col - hw, col + hw] lie inside the window need no clamping.
        const auto lo = std::clamp(hw - col0, std::int64_t{0}, n);
        const auto hi = std::clamp(cols - hw - col0, lo, n);
        const auto clipped = [&](std::int64_t c) {
            const auto wc = col0 + c;
            const auto c0 = std::clamp(wc - hw, std::int64_t{0}, cols);
            const auto c1 = std::clamp(wc + hw + 1, std::int64_t{0}, cols);
            acc[c] += p1[c1] - p0[c1] - p1[c0] + p0[c0];
        };
        for (std::int64_t c = 0; c < lo; ++c) clipped(c);
        if (hi > lo) {
            const auto right = col0 + lo + hw + 1, left = col0 + lo - hw;
            add_rectangle_sums(p1 + right, p0 + right, p1 + left, p0 + left, hi - lo, acc + lo);
        }
        for (std::int64_t c = hi; c < n; ++c) clipped(c);
    }
}

void add_disc_sums_plain(const Disc& disc, const std::int64_t* sat, std::int64_t rows, std::int64_t cols,
                         std::int64_t row, std::int64_t col0, std::int64_t n, std::int64_t* acc) {
    const auto stride = cols + 1;
    for (const auto& rect : disc.rectangles) {
        const auto r0 = std::clamp(row + rect.row_begin, std::int64_t{0}, rows);
        const auto r1 = std::clamp(row + rect.row_end, std::int64_t{0}, rows);
        if (r0 >= r1) continue;
        const std::int64_t* p0 = sat + r0 * stride;
        const std::int64_t* p1 = sat + r1 * stride;
        for (std::int64_t c = 0; c < n; ++c) {
            const auto c0 = std::clamp(col0 + c - rect.half_width, std::int64_t{0}, cols);
            const auto c1 = std::clamp(col0 + c + rect.half_width + 1, std::int64_t{0}, cols);
            acc[c] += p1[c1] - p0[c1] - p1[c0] + p0[c0];
        }
    }
}

void disc_cells_in_window_row(const Disc& disc, std::int64_t rows, std::int64_t cols, std::int64_t row,
                              std::int64_t col0, std::int64_t n, std::int64_t* count) {
    const auto r = disc.radius_cells;
    std::int64_t lo = n, hi = n;  // the cells [lo, hi) whose disc lies inside the window
    if (row - r >= 0 && row + r < rows) {
        lo = std::clamp(r - col0, std::int64_t{0}, n);
        hi = std::clamp(cols - r - col0, lo, n);
    }
    const auto full = disc.cell_count();
    for (std::int64_t c = 0; c < lo; ++c) count[c] = disc_cells_in_window(disc, rows, cols, row, col0 + c);
    std::fill(count + lo, count + hi, full);
    for (std::int64_t c = hi; c < n; ++c) count[c] = disc_cells_in_window(disc, rows, cols, row, col0 + c);
}

std::int64_t disc_cells_in_window(const Disc& disc, std::int64_t rows, std::int64_t cols, std::int64_t row,
                                  std::int64_t col) {
    if (row - disc.radius_cells >= 0 && row + disc.radius_cells < rows && col - disc.radius_cells >= 0 &&
        col + disc.radius_cells < cols) {
        return disc.cell_count();
    }
    std::int64_t n = 0;
    for (const auto& rect : disc.rectangles) {
        const auto r0 = std::clamp(row + rect.row_begin, std::int64_t{0}, rows);
        const auto r1 = std::clamp(row + rect.row_end, std::int64_t{0}, rows);
        const auto c0 = std::clamp(col - rect.half_width, std::int64_t{0}, cols);
        const auto c1 = std::clamp(col + rect.half_width + 1, std::int64_t{0}, cols);
        if (r1 > r0 && c1 > c0) n += (r1 - r0) * (c1 - c0);
    }
    return n;
}

float GreenInputs::green_fraction(std::int64_t col, std::int64_t row) const {
    float g = 0.0f;
    for (const Raster* r : class_fractions) g += r->at(col, row);  // NaN propagates
    g = std::min(g, 1.0f);
    if (canopy_fraction) {
        const float crown = canopy_fraction->at(col, row);
        // Crowns are counted over the non-green part only, as if independent of the ground cover.
        g += (1.0f - g) * std::clamp(crown, 0.0f, 1.0f);
        if (std::isnan(crown)) g = crown;
    }
    return g;
}

void GreenInputs::green_fraction_row(std::int64_t col0, std::int64_t row, std::int64_t n, float* out) const {
    // The operations of green_fraction in the same order, so every value is the same float.
    std::fill(out, out + n, 0.0f);
    for (const Raster* r : class_fractions) {
        const float* src = r->row_ptr(row) + col0;
        for (std::int64_t i = 0; i < n; ++i) out[i] += src[i];
    }
    for (std::int64_t i = 0; i < n; ++i) out[i] = std::min(out[i], 1.0f);
    if (canopy_fraction) {
        const float* crown = canopy_fraction->row_ptr(row) + col0;
        for (std::int64_t i = 0; i < n; ++i) {
            const float g = out[i] + (1.0f - out[i]) * std::clamp(crown[i], 0.0f, 1.0f);
            out[i] = std::isnan(crown[i]) ? crown[i] : g;
        }
    }
}

DiscSum green_disc_sum_reference(const GridSpec& grid, const GreenInputs& inputs, const Disc& disc,
                                 std::int64_t col, std::int64_t row, bool nodata_as_zero) {
    DiscSum sum;
    for (std::int64_t dy = -disc.radius_cells; dy <= disc.radius_cells; ++dy) {
        const auto w = disc.half_widths[static_cast<std::size_t>(dy + disc.radius_cells)];
        for (std::int64_t dx = -w; dx <= w; ++dx) {
            const auto c = col + dx;
            const auto r = row + dy;
            if (!grid.contains_cell(c, r)) continue;
            ++sum.disc_cells_in_grid;
            const float g = inputs.green_fraction(c, r);
            if (std::isnan(g)) {
                ++sum.nodata_cells;
                if (nodata_as_zero) ++sum.counted_cells;
                continue;
            }
            sum.green_cells += static_cast<double>(g);
            ++sum.counted_cells;
        }
    }
    return sum;
}

const IndicatorDescriptor& GreenShare::descriptor() const { return green_share_descriptor(); }

std::unique_ptr<IndicatorModel> GreenShare::build(const Parameters& params) const {
    return std::make_unique<GreenShareModel>(params);
}

std::vector<Formula> GreenShare::formulas() const {
    Formula disc;
    disc.name = "green_disc";
    disc.summary = "cells of the discretised disc of green.share for a radius and cell size";
    disc.inputs = {
        {"radius_m", ParameterSpec::Kind::Number, "m", "disc radius", {}, {}, 1.0, 5000.0, {}},
        {"cell_size_m", ParameterSpec::Kind::Number, "m", "grid cell size", {}, {}, 0.1, 1000.0, {}},
    };
    disc.results = {"cells", "area_m2", "circle_area_m2", "area_ratio"};
    disc.evaluate = [](const Parameters& p) {
        const double r = p.number("radius_m");
        const double cell = p.number("cell_size_m");
        FormulaResult result;
        const auto d = make_disc(r, cell);
        const double area = static_cast<double>(d.cell_count()) * cell * cell;
        result.values["cells"] = static_cast<double>(d.cell_count());
        result.values["area_m2"] = area;
        result.values["circle_area_m2"] = M_PI * r * r;
        result.values["area_ratio"] = area / (M_PI * r * r);
        if (r < 3.0 * cell) result.warnings.push_back("radius below 3 cells: the disc is a coarse approximation");
        return result;
    };
    return {disc};
}

}  // namespace areatwin::indicators::green
