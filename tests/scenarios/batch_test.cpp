// SPDX-License-Identifier: GPL-3.0-or-later
#include "areatwin/scenarios/batch.hpp"

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gdal_priv.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <ogrsf_frmts.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/roles.hpp"

namespace areatwin::scenarios {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::EndsWith;
using ::testing::HasSubstr;

const fs::path fixtures = fs::path(AREATWIN_SOURCE_DIR) / "tests" / "data" / "scenarios";

fs::path resolved(const std::string& relative) { return fs::weakly_canonical(fixtures / relative); }

double number_of(const AttributeValue& value) {
    const auto* d = std::get_if<double>(&value);
    EXPECT_NE(d, nullptr) << "expected a number";
    return d == nullptr ? 0.0 : *d;
}

std::string text_of(const AttributeValue& value) {
    const auto* s = std::get_if<std::string>(&value);
    EXPECT_NE(s, nullptr) << "expected a text";
    return s == nullptr ? std::string() : *s;
}

const io::SourceSpec& find_source(const Batch& batch, const std::string& role, std::size_t nth = 0) {
    for (const auto& source : batch.inputs) {
        if (source.role != role) continue;
        if (nth == 0) return source;
        --nth;
    }
    throw std::runtime_error("no source for role " + role);
}

TEST(ParseBatch, FullFileParsesIntoTheExpectedBatch) {
    const Batch batch = parse_batch(fixtures / "full.yaml");

    EXPECT_EQ(batch.file, fs::absolute(fixtures / "full.yaml").lexically_normal());
    EXPECT_EQ(batch.name, "demo");
    EXPECT_EQ(batch.grid.crs, "EPSG:28992");
    EXPECT_DOUBLE_EQ(batch.grid.cell_size_m, 10.0);
    EXPECT_DOUBLE_EQ(batch.grid.origin_x, 120000.0);
    EXPECT_DOUBLE_EQ(batch.grid.origin_y, 481500.0);
    EXPECT_EQ(batch.grid.cols, 150);
    EXPECT_EQ(batch.grid.rows, 150);

    // Inputs keep the file's role order and each role's priority order.
    std::vector<std::string> roles;
    for (const auto& source : batch.inputs) roles.push_back(source.role);
    EXPECT_EQ(roles, (std::vector<std::string>{"buildings", "roads", "roads", "landcover", "trees", "dem",
                                               "population", "areas", "noise_sources"}));

    const io::SourceSpec& buildings = find_source(batch, "buildings");
    EXPECT_EQ(buildings.path, resolved("sample.gpkg"));
    EXPECT_TRUE(buildings.path.is_absolute());
    EXPECT_EQ(buildings.layer, "buildings");
    EXPECT_THAT(buildings.declared_at, EndsWith("full.yaml:10"));
    ASSERT_EQ(buildings.fields.size(), 3U);
    const io::FieldMapping& height = buildings.fields.at("height_m");
    EXPECT_EQ(height.field, "hoogte");
    EXPECT_EQ(height.unit, "m");
    ASSERT_TRUE(height.default_value.has_value());
    EXPECT_DOUBLE_EQ(number_of(*height.default_value), 9.0);
    EXPECT_EQ(buildings.fields.at("dwellings").field, "woningen");
    EXPECT_EQ(buildings.fields.at("dwellings").unit, "");
    EXPECT_FALSE(buildings.fields.at("dwellings").default_value.has_value());

    const io::SourceSpec& nwb = find_source(batch, "roads", 1);
    EXPECT_EQ(nwb.path, resolved("../nwb/wegen.gpkg"));
    EXPECT_EQ(nwb.preset, "nwb");
    EXPECT_EQ(nwb.where, "wegbehwsrt = 'G'");
    EXPECT_EQ(nwb.assign_crs, "EPSG:28992");
    EXPECT_EQ(find_source(batch, "roads").fields.at("name").field, "straatnaam");

    const io::SourceSpec& landcover = find_source(batch, "landcover");
    EXPECT_EQ(landcover.class_field, "klasse");
    EXPECT_EQ(landcover.classes, (std::map<std::string, std::string>{
                                     {"verhard", "paved"}, {"gras", "grass"}, {"bomen", "trees"},
                                     {"struiken", "shrubs"}, {"water", "water"}}));
    EXPECT_EQ(landcover.default_class, "bare");
    EXPECT_EQ(landcover.coverage, resolved("coverage.gpkg"));

    EXPECT_EQ(find_source(batch, "dem").band, 2);
    EXPECT_EQ(find_source(batch, "trees").band, 1);
    EXPECT_EQ(find_source(batch, "areas").preset, "cbs-buurten");
    EXPECT_EQ(find_source(batch, "noise_sources").fields.at("lw_day_db").field, "lw_dag");

    ASSERT_EQ(batch.indicators.size(), 3U);
    EXPECT_EQ(batch.indicators[0].id, "green.share");
    EXPECT_THAT(batch.indicators[0].declared_at, EndsWith("full.yaml:37"));
    const RawValue& radius = batch.indicators[0].parameters.at("radius_m");
    EXPECT_EQ(std::get<std::vector<double>>(radius.value), (std::vector<double>{100.0, 300.0}));
    EXPECT_THAT(radius.where, EndsWith("full.yaml:38"));
    const auto& noise = batch.indicators[1].parameters;
    EXPECT_EQ(std::get<std::string>(noise.at("period").value), "night");
    EXPECT_DOUBLE_EQ(std::get<double>(noise.at("receiver_height_m").value), 4.0);
    EXPECT_EQ(std::get<std::vector<std::string>>(noise.at("periods").value),
              (std::vector<std::string>{"day", "evening"}));
    EXPECT_EQ(batch.indicators[2].id, "heat.pet");
    EXPECT_TRUE(batch.indicators[2].parameters.empty());

    ASSERT_EQ(batch.scenarios.size(), 3U);
    EXPECT_EQ(batch.scenarios[0].name, "baseline");
    EXPECT_EQ(batch.scenarios[0].description, "Current situation");
    EXPECT_EQ(batch.scenarios[0].base, "");
    EXPECT_TRUE(batch.scenarios[0].edits.empty());
    EXPECT_EQ(batch.scenarios[1].base, "baseline");
    EXPECT_EQ(batch.scenarios[2].base, "housing_block");

    const auto& housing = batch.scenarios[1].edits;
    ASSERT_EQ(housing.size(), 2U);
    EXPECT_EQ(housing[0].kind, Edit::Kind::Add);
    EXPECT_EQ(housing[0].role, "buildings");
    EXPECT_THAT(housing[0].declared_at, EndsWith("full.yaml:51"));
    ASSERT_TRUE(housing[0].source.has_value());
    EXPECT_EQ(housing[0].source->role, "buildings");
    EXPECT_EQ(housing[0].source->path, resolved("plans.gpkg"));
    EXPECT_EQ(housing[0].source->layer, "housing_block");
    EXPECT_EQ(housing[0].source->fields.at("dwellings").field, "woningen");
    EXPECT_EQ(housing[1].kind, Edit::Kind::Remove);
    EXPECT_EQ(housing[1].role, "trees");
    ASSERT_TRUE(housing[1].filter.inside.has_value());
    EXPECT_EQ(housing[1].filter.inside->path, resolved("plans.gpkg"));
    EXPECT_EQ(housing[1].filter.inside->layer, "housing_site");
    EXPECT_TRUE(housing[1].filter.where.empty());

    const auto& calm = batch.scenarios[2].edits;
    ASSERT_EQ(calm.size(), 5U);
    EXPECT_EQ(calm[0].kind, Edit::Kind::Scale);
    EXPECT_EQ(calm[0].factors, (std::map<std::string, double>{{"q_cat1_day_veh_per_h", 0.7},
                                                             {"q_cat1_evening_veh_per_h", 0.7}}));
    ASSERT_EQ(calm[0].filter.where.at("name").size(), 1U);
    EXPECT_EQ(text_of(calm[0].filter.where.at("name")[0]), "Hoofdstraat");
    EXPECT_EQ(calm[1].kind, Edit::Kind::Set);
    EXPECT_EQ(text_of(calm[1].filter.where.at("name").at(0)), "Hoofdstraat");  // a single value, not a list
    EXPECT_DOUBLE_EQ(number_of(calm[1].values.at("v_cat1_kmh")), 30.0);
    EXPECT_EQ(text_of(calm[1].values.at("surface")), "NL05");
    EXPECT_EQ(calm[2].kind, Edit::Kind::Add);
    EXPECT_EQ(calm[2].source->role, "trees");
    EXPECT_EQ(calm[3].kind, Edit::Kind::Paint);
    EXPECT_EQ(calm[3].landcover_class, "grass");
    EXPECT_EQ(calm[3].filter.inside->layer, "new_park");
    EXPECT_EQ(calm[4].kind, Edit::Kind::Remove);
    const auto& heights = calm[4].filter.where.at("height_m");
    ASSERT_EQ(heights.size(), 2U);
    EXPECT_DOUBLE_EQ(number_of(heights[0]), 3.0);
    EXPECT_DOUBLE_EQ(number_of(heights[1]), 4.5);
    EXPECT_EQ(calm[4].filter.where.at("use").size(), 2U);

    EXPECT_EQ(batch.output, resolved("out/demo.gpkg"));
    EXPECT_FALSE(batch.differences);
    EXPECT_EQ(batch.tile_size, 128);
}

TEST(ParseBatch, MinimalFileTakesTheDefaults) {
    const Batch batch = parse_batch(fixtures / "minimal.yaml");
    EXPECT_EQ(batch.name, "minimal");
    EXPECT_EQ(batch.grid.crs, "EPSG:28992");
    // 990 m x 1010 m at 25 m snaps outward to whole cells: 40 x 41.
    EXPECT_EQ(batch.grid.cols, 40);
    EXPECT_EQ(batch.grid.rows, 41);
    EXPECT_DOUBLE_EQ(batch.grid.origin_y, 481025.0);
    EXPECT_TRUE(batch.inputs.empty());
    EXPECT_TRUE(batch.indicators.empty());
    ASSERT_EQ(batch.scenarios.size(), 1U);
    EXPECT_EQ(batch.output, resolved("minimal.gpkg"));
    EXPECT_TRUE(batch.differences);
    EXPECT_EQ(batch.tile_size, 256);
}

TEST(ParseBatch, MissingFileIsAConfigError) {
    try {
        (void)parse_batch(fixtures / "does_not_exist.yaml");
        FAIL() << "expected a ConfigError";
    } catch (const ConfigError& error) {
        EXPECT_THAT(error.what(), HasSubstr("does_not_exist.yaml"));
    }
}

TEST(ParseBatch, UnknownKeyFixtureFailsWithLineAndKey) {
    try {
        (void)parse_batch(fixtures / "unknown_key.yaml");
        FAIL() << "expected a ConfigError";
    } catch (const ConfigError& error) {
        EXPECT_THAT(error.what(), AllOf(HasSubstr("unknown_key.yaml:3:"), HasSubstr("unknown key 'cellsize' in area"),
                                        HasSubstr("expected one of: crs, cell_size_m, bbox, polygon")));
    }
}

// A batch with the given lines under `scenarios:` (the first is always the baseline).
std::string with_scenarios(const std::string& scenarios) {
    return "area: {cell_size_m: 10, bbox: [0, 0, 100, 100]}\n"
           "scenarios:\n"
           "  - name: baseline\n" +
           scenarios;
}

// A batch with the given text under `inputs:`.
std::string with_inputs(const std::string& inputs) {
    return "area: {cell_size_m: 10, bbox: [0, 0, 100, 100]}\n"
           "inputs:\n" +
           inputs + "scenarios: [{name: baseline}]\n";
}

struct BadCase {
    std::string name;
    std::string yaml;
    std::vector<std::string> expected;  // substrings of the message; the first is always "bad.yaml:LINE"
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class BadBatch : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadBatch, FailsWithFileLineAndKey) {
    const BadCase& c = GetParam();
    try {
        (void)parse_batch_text(c.yaml, "/plans/bad.yaml");
        FAIL() << "expected a ConfigError for:\n" << c.yaml;
    } catch (const ConfigError& error) {
        for (const auto& expected : c.expected) EXPECT_THAT(error.what(), HasSubstr(expected)) << c.yaml;
    }
}

const std::string area_line = "area: {cell_size_m: 10, bbox: [0, 0, 100, 100]}\n";

INSTANTIATE_TEST_SUITE_P(
    Cases, BadBatch,
    ::testing::Values(
        BadCase{"unknown_top_level_key", area_line + "scenarios: [{name: baseline}]\noutput: {path: a.gpkg}\n",
                {"bad.yaml:3:", "unknown key 'output' in the top level",
                 "expected one of: name, area, inputs, indicators, variants, scenarios, outputs"}},
        BadCase{"cell_size_zero", "area:\n  cell_size_m: 0\n  bbox: [0, 0, 100, 100]\nscenarios: [{name: baseline}]\n",
                {"bad.yaml:2:", "'cell_size_m' must be a number > 0"}},
        BadCase{"cell_size_quoted", "area:\n  bbox: [0, 0, 100, 100]\n  cell_size_m: '10'\nscenarios: [{name: b}]\n",
                {"bad.yaml:3:", "'cell_size_m' must be a number > 0"}},
        BadCase{"cell_size_missing", "area:\n  bbox: [0, 0, 100, 100]\nscenarios: [{name: b}]\n",
                {"bad.yaml:1:", "missing required key 'cell_size_m' in area"}},
        BadCase{"bbox_three_numbers", "area:\n  cell_size_m: 5\n  bbox: [0, 0, 100]\nscenarios: [{name: b}]\n",
                {"bad.yaml:3:", "'bbox' must be a list of 4 numbers"}},
        BadCase{"bbox_inverted", "area:\n  cell_size_m: 5\n  bbox: [100, 0, 0, 100]\nscenarios: [{name: b}]\n",
                {"bad.yaml:3:", "'bbox'", "xmin < xmax"}},
        BadCase{"bbox_and_polygon",
                "area:\n  cell_size_m: 5\n  bbox: [0, 0, 1, 1]\n  polygon: {source: a.gpkg}\nscenarios: [{name: b}]\n",
                {"bad.yaml:4:", "both 'bbox' (line 3) and 'polygon'"}},
        BadCase{"no_bbox_no_polygon", "\narea:\n  cell_size_m: 5\nscenarios: [{name: b}]\n",
                {"bad.yaml:2:", "area needs 'bbox' or 'polygon'"}},
        BadCase{"grid_too_large", "area:\n  cell_size_m: 0.01\n  bbox: [0, 0, 1500, 10]\nscenarios: [{name: b}]\n",
                {"bad.yaml:3:", "150000 x 1000 cells", "100000 x 100000", "'cell_size_m'"}},
        BadCase{"unknown_role", with_inputs("  building:\n    - {source: a.gpkg}\n"),
                {"bad.yaml:3:", "unknown role 'building' in inputs", "buildings, roads, trees, landcover"}},
        BadCase{"inputs_not_a_list", with_inputs("  roads: {source: a.gpkg}\n"),
                {"bad.yaml:3:", "'roads' in inputs must be a list of sources"}},
        BadCase{"unknown_source_key", with_inputs("  roads:\n    - source: a.gpkg\n      layers: wegen\n"),
                {"bad.yaml:5:", "unknown key 'layers' in inputs.roads[0]", "expected one of: source, layer, preset"}},
        BadCase{"source_missing", with_inputs("  roads:\n    - layer: wegen\n"),
                {"bad.yaml:4:", "missing required key 'source' in inputs.roads[0]"}},
        BadCase{"unknown_attribute_in_fields",
                with_inputs("  buildings:\n    - source: a.gpkg\n      fields:\n        hight_m: hoogte\n"),
                {"bad.yaml:6:", "unknown attribute 'hight_m'", "role 'buildings'", "known: height_m, ground_m"}},
        BadCase{"unknown_field_form_key",
                with_inputs("  buildings:\n    - source: a.gpkg\n      fields:\n        height_m: {field: h, units: m}\n"),
                {"bad.yaml:6:", "unknown key 'units' in inputs.buildings[0].fields.height_m",
                 "expected one of: field, unit, default"}},
        BadCase{"text_default_for_numeric_attribute",
                with_inputs("  buildings:\n    - source: a.gpkg\n      fields:\n        height_m: {default: high}\n"),
                {"bad.yaml:6:", "'default' of 'height_m' must be a number"}},
        BadCase{"unknown_landcover_class",
                with_inputs("  landcover:\n    - source: a.gpkg\n      class_field: k\n      classes: {gras: gras}\n"),
                {"bad.yaml:6:", "unknown landcover class 'gras'", "paved, building, grass"}},
        BadCase{"unknown_default_class",
                with_inputs("  landcover:\n    - source: a.gpkg\n      class_field: k\n      default_class: forest\n"),
                {"bad.yaml:6:", "unknown landcover class 'forest' in 'default_class'"}},
        BadCase{"classes_outside_landcover", with_inputs("  roads:\n    - source: a.gpkg\n      classes: {a: paved}\n"),
                {"bad.yaml:5:", "'classes' applies to role 'landcover' only"}},
        BadCase{"band_on_vector_role", with_inputs("  roads:\n    - source: a.gpkg\n      band: 2\n"),
                {"bad.yaml:5:", "'band' applies to raster sources"}},
        BadCase{"negative_canopy_threshold",
                with_inputs("  trees:\n    - source: chm.tif\n      min_canopy_height_m: -1\n"),
                {"bad.yaml:5:", "'min_canopy_height_m' of inputs.trees[0] (chm.tif) must be a number >= 0", "got -1"}},
        BadCase{"canopy_threshold_not_a_number",
                with_inputs("  trees:\n    - source: chm.tif\n      min_canopy_height_m: high\n"),
                {"bad.yaml:5:", "'min_canopy_height_m' must be a number >= 0"}},
        BadCase{"canopy_threshold_outside_trees",
                with_inputs("  dem:\n    - source: dem.tif\n      min_canopy_height_m: 2\n"),
                {"bad.yaml:5:", "'min_canopy_height_m' applies to role 'trees' only"}},
        BadCase{"unknown_preset", with_inputs("  buildings:\n    - source: a.gpkg\n      preset: osm\n"),
                {"bad.yaml:5:", "unknown preset 'osm'", "bgt, bag, 3dbag"}},
        BadCase{"indicator_parameter_mapping",
                area_line + "indicators:\n  green.share:\n    radius_m: {a: 1}\nscenarios: [{name: b}]\n",
                {"bad.yaml:4:", "parameter 'radius_m' of indicator 'green.share'"}},
        BadCase{"indicator_parameter_mixed_list",
                area_line + "indicators:\n  green.share:\n    radius_m: [100, wide]\nscenarios: [{name: b}]\n",
                {"bad.yaml:4:", "'radius_m'", "mixes numbers and texts"}},
        BadCase{"duplicate_scenario", with_scenarios("  - name: plan\n  - name: plan\n"),
                {"bad.yaml:5:", "duplicate scenario name 'plan' (first given at line 4)"}},
        BadCase{"scenario_name_pattern", with_scenarios("  - name: Housing-Block\n"),
                {"bad.yaml:4:", "scenario name 'Housing-Block'", "lowercase letter"}},
        BadCase{"scenario_unknown_key", with_scenarios("  - name: plan\n    descripton: typo\n"),
                {"bad.yaml:5:", "unknown key 'descripton' in scenarios[1]", "name, description, base, edits"}},
        BadCase{"base_names_later_scenario", with_scenarios("  - name: plan\n    base: later\n  - name: later\n"),
                {"bad.yaml:5:", "base 'later'", "must name an earlier scenario (earlier: baseline)"}},
        BadCase{"baseline_with_edits",
                "area: {cell_size_m: 10, bbox: [0, 0, 100, 100]}\nscenarios:\n  - name: baseline\n    edits:\n"
                "      - remove: {role: trees, where: {species: [oak]}}\n",
                {"bad.yaml:4:", "baseline", "has no edits"}},
        BadCase{"baseline_with_base",
                "area: {cell_size_m: 10, bbox: [0, 0, 100, 100]}\nscenarios:\n  - name: baseline\n    base: x\n",
                {"bad.yaml:4:", "'baseline' is the baseline and has no 'base'"}},
        BadCase{"remove_without_filter", with_scenarios("  - name: plan\n    edits:\n      - remove: {role: trees}\n"),
                {"bad.yaml:6:", "'remove' needs 'inside', 'where' or both"}},
        BadCase{"edit_unknown_kind", with_scenarios("  - name: plan\n    edits:\n      - move: {role: trees}\n"),
                {"bad.yaml:6:", "unknown key 'move' in scenarios[1].edits[0]", "add, remove, set, scale, paint"}},
        BadCase{"edit_two_kinds",
                with_scenarios("  - name: plan\n    edits:\n      - remove: {role: trees, where: {species: oak}}\n"
                               "        paint: {class: grass, inside: {source: p.gpkg}}\n"),
                {"bad.yaml:6:", "exactly one of add, remove, set, scale, paint", "remove, paint"}},
        BadCase{"edit_unknown_key",
                with_scenarios("  - name: plan\n    edits:\n      - remove:\n          role: trees\n"
                               "          inside: {source: p.gpkg}\n          when: {species: oak}\n"),
                {"bad.yaml:9:", "unknown key 'when' in scenarios[1].edits[0].remove", "role, inside, where"}},
        BadCase{"edit_unknown_where_attribute",
                with_scenarios("  - name: plan\n    edits:\n      - remove:\n          role: roads\n"
                               "          where: {straat: [Hoofdstraat]}\n"),
                {"bad.yaml:8:", "unknown attribute 'straat'", "role 'roads'", "q_cat1_day_veh_per_h"}},
        BadCase{"edit_unknown_role",
                with_scenarios("  - name: plan\n    edits:\n      - remove: {role: houses, where: {use: garage}}\n"),
                {"bad.yaml:6:", "unknown role 'houses'", "buildings"}},
        BadCase{"edit_raster_role",
                with_scenarios("  - name: plan\n    edits:\n      - add: {role: dem, source: d.tif}\n"),
                {"bad.yaml:6:", "role 'dem'", "feature roles only"}},
        BadCase{"add_without_source",
                with_scenarios("  - name: plan\n    edits:\n      - add: {role: trees, layer: new_trees}\n"),
                {"bad.yaml:6:", "missing required key 'source' in scenarios[1].edits[0].add"}},
        BadCase{"set_text_for_number",
                with_scenarios("  - name: plan\n    edits:\n      - set:\n          role: roads\n"
                               "          where: {name: Hoofdstraat}\n          values: {v_cat1_kmh: slow}\n"),
                {"bad.yaml:9:", "'v_cat1_kmh' must be a number"}},
        BadCase{"scale_text_attribute",
                with_scenarios("  - name: plan\n    edits:\n      - scale:\n          role: roads\n"
                               "          where: {name: Hoofdstraat}\n          factors: {surface: 2}\n"),
                {"bad.yaml:9:", "'surface' is a text attribute", "cannot be scaled"}},
        BadCase{"paint_unknown_class",
                with_scenarios("  - name: plan\n    edits:\n      - paint: {class: forest, inside: {source: p.gpkg}}\n"),
                {"bad.yaml:6:", "unknown landcover class 'forest' in 'class'", "grass"}},
        BadCase{"paint_without_inside", with_scenarios("  - name: plan\n    edits:\n      - paint: {class: grass}\n"),
                {"bad.yaml:6:", "missing required key 'inside' in scenarios[1].edits[0].paint"}},
        BadCase{"yaml_syntax_error", area_line + "scenarios: [{name: baseline}\noutputs: {}\n",
                {"bad.yaml:", "YAML syntax error"}},
        BadCase{"duplicate_key", area_line + "scenarios: [{name: baseline}]\narea: {cell_size_m: 5}\n",
                {"bad.yaml:3:", "duplicate key 'area' in the top level (first given at line 1)"}},
        BadCase{"empty_file", "# nothing here\n", {"bad.yaml", "empty", "'area'", "'scenarios'"}},
        BadCase{"not_a_mapping", "- area\n- scenarios\n", {"bad.yaml:1:", "must be a mapping of sections"}},
        BadCase{"missing_scenarios", area_line, {"bad.yaml", "missing required section 'scenarios'"}},
        BadCase{"missing_area", "scenarios: [{name: baseline}]\n", {"bad.yaml", "missing required section 'area'"}},
        BadCase{"output_not_gpkg", area_line + "scenarios: [{name: b}]\noutputs:\n  path: out/result.tif\n",
                {"bad.yaml:4:", "'path' must name a GeoPackage ending in .gpkg", "result.tif"}},
        BadCase{"differences_not_boolean", area_line + "scenarios: [{name: b}]\noutputs:\n  differences: maybe\n",
                {"bad.yaml:4:", "'differences' must be true or false"}},
        BadCase{"tile_size_fraction", area_line + "scenarios: [{name: b}]\noutputs:\n  tile_size: 12.5\n",
                {"bad.yaml:4:", "'tile_size' must be a whole number"}}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return info.param.name; });

TEST(ParseBatch, YamlSyntaxErrorNamesTheLine) {
    try {
        (void)parse_batch_text("area:\n  cell_size_m: 10\n  bbox: [0, 0, 1, 1\nscenarios: []\n", "syntax.yaml");
        FAIL() << "expected a ConfigError";
    } catch (const ConfigError& error) {
        // yaml-cpp notices the unterminated flow sequence where the next key starts.
        EXPECT_THAT(error.what(), AllOf(HasSubstr("syntax.yaml:4:"), HasSubstr("YAML syntax error")));
    }
}

TEST(ParseBatch, UnknownRoleListsEveryRole) {
    try {
        (void)parse_batch_text(with_inputs("  streets: [{source: a.gpkg}]\n"), "roles.yaml");
        FAIL() << "expected a ConfigError";
    } catch (const ConfigError& error) {
        for (const auto& role : input_roles()) EXPECT_THAT(error.what(), HasSubstr(role.name));
    }
}

TEST(ParseBatch, CanopyThresholdIsKeptOnlyWhereGiven) {
    const Batch batch = parse_batch_text(
        with_inputs("  trees:\n    - source: chm.tif\n      min_canopy_height_m: 3\n    - source: national.tif\n"),
        "/plans/canopy.yaml");
    ASSERT_EQ(batch.inputs.size(), 2U);
    EXPECT_EQ(batch.inputs[0].min_canopy_height_m, 3.0);
    EXPECT_FALSE(batch.inputs[1].min_canopy_height_m.has_value());  // the loader's default, 2.5 m
}

TEST(ParseBatch, OpenAttributeRolesAcceptAnyAttribute) {
    const Batch batch = parse_batch_text(
        with_inputs("  air_sources:\n    - source: a.gpkg\n      fields: {nox_g_per_s: nox, kind: {default: stack}}\n"),
        "/plans/open.yaml");
    ASSERT_EQ(batch.inputs.size(), 1U);
    EXPECT_EQ(batch.inputs[0].fields.at("nox_g_per_s").field, "nox");
    EXPECT_EQ(text_of(*batch.inputs[0].fields.at("kind").default_value), "stack");
}

TEST(ParseBatch, WhereValuesFollowTheAttributeType) {
    // A numeric-looking value of a text attribute stays text, so it compares equal to the feature's text.
    const Batch batch = parse_batch_text(
        with_scenarios("  - name: plan\n    edits:\n      - remove: {role: buildings, where: {name: [1234], "
                       "dwellings: 0}}\n"),
        "/plans/where.yaml");
    const Edit& edit = batch.scenarios.at(1).edits.at(0);
    EXPECT_EQ(text_of(edit.filter.where.at("name").at(0)), "1234");
    EXPECT_DOUBLE_EQ(number_of(edit.filter.where.at("dwellings").at(0)), 0.0);
    EXPECT_THAT(edit.declared_at, EndsWith("where.yaml:6"));
}

TEST(ParseBatch, DefaultBaseIsTheBaseline) {
    const Batch batch = parse_batch_text(with_scenarios("  - name: a\n  - name: b\n    base: a\n"), "/plans/b.yaml");
    ASSERT_EQ(batch.scenarios.size(), 3U);
    EXPECT_EQ(batch.scenarios[1].base, "baseline");
    EXPECT_EQ(batch.scenarios[2].base, "a");
    EXPECT_EQ(batch.name, "b");
    EXPECT_EQ(batch.output, fs::path("/plans/b.gpkg"));
}

// Writes a GeoPackage with one polygon layer in EPSG:28992.
void write_polygon_layer(const fs::path& file, const std::string& layer_name, const std::vector<std::string>& wkts) {
    GDALAllRegister();
    GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GPKG");
    ASSERT_NE(driver, nullptr);
    std::unique_ptr<GDALDataset> dataset(driver->Create(file.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
    ASSERT_NE(dataset, nullptr) << file;
    OGRSpatialReference srs;
    srs.importFromEPSG(28992);
    OGRLayer* layer = dataset->CreateLayer(layer_name.c_str(), &srs, wkbPolygon, nullptr);
    ASSERT_NE(layer, nullptr);
    for (const auto& wkt : wkts) {
        OGRFeature feature(layer->GetLayerDefn());
        OGRGeometry* geometry = nullptr;
        ASSERT_EQ(OGRGeometryFactory::createFromWkt(wkt.c_str(), &srs, &geometry), OGRERR_NONE) << wkt;
        feature.SetGeometryDirectly(geometry);
        ASSERT_EQ(layer->CreateFeature(&feature), OGRERR_NONE);
    }
}

TEST(ParseBatch, PolygonAreaSnapsTheExtentOutwardToWholeCells) {
    const fs::path folder = fs::path(AREATWIN_TEST_TMP) / "scenarios_batch_polygon";
    fs::remove_all(folder);
    fs::create_directories(folder);
    write_polygon_layer(folder / "area.gpkg", "buurten",
                        {"POLYGON((120003 480007,120095 480007,120095 480052,120003 480052,120003 480007))",
                         "POLYGON((120100 480060,120141 480060,120141 480071,120100 480060))"});
    std::ofstream(folder / "polygon.yaml") << "area:\n  cell_size_m: 10\n  polygon: {source: area.gpkg, layer: buurten}\n"
                                              "scenarios: [{name: baseline}]\n";
    const Batch batch = parse_batch(folder / "polygon.yaml");
    EXPECT_DOUBLE_EQ(batch.grid.origin_x, 120000.0);
    EXPECT_DOUBLE_EQ(batch.grid.origin_y, 480080.0);
    EXPECT_EQ(batch.grid.cols, 15);  // 120000 .. 120150
    EXPECT_EQ(batch.grid.rows, 8);   // 480000 .. 480080
}

TEST(ParseBatch, PolygonAreaFromAMissingFileNamesTheLine) {
    try {
        (void)parse_batch_text("area:\n  cell_size_m: 10\n  polygon: {source: /nonexistent/area.gpkg}\n"
                               "scenarios: [{name: baseline}]\n",
                               "/plans/missing.yaml");
        FAIL() << "expected a DataError";
    } catch (const DataError& error) {
        EXPECT_THAT(error.what(), AllOf(HasSubstr("missing.yaml:3:"), HasSubstr("area.gpkg")));
    }
}

}  // namespace
}  // namespace areatwin::scenarios
