// SPDX-License-Identifier: GPL-3.0-or-later
// docs/batch.schema.json is what editors complete batch files with; these tests keep it in step with the
// parser and the data model. Validation runs in Python (python3-jsonschema, python3-yaml) because that
// is what users will run in their own pipelines.
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/roles.hpp"
#include "areatwin/scenarios/batch.hpp"

namespace areatwin::scenarios {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

const fs::path source_dir = AREATWIN_SOURCE_DIR;
const fs::path schema_path = source_dir / "docs" / "batch.schema.json";
const fs::path fixtures = source_dir / "tests" / "data" / "scenarios";

// Prints one line per file: "VALID <file>" or "INVALID <file> <json path>: <message>" for each error.
constexpr const char* validate_script = R"(
import json, sys
try:
    import jsonschema, yaml
except ImportError as error:
    print("MISSING", error)
    sys.exit(3)
schema = json.load(open(sys.argv[1], encoding="utf-8"))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
for path in sys.argv[2:]:
    document = yaml.safe_load(open(path, encoding="utf-8"))
    errors = list(validator.iter_errors(document))
    if not errors:
        print("VALID", path)
    for error in errors:
        for leaf in (error.context or [error]):
            print("INVALID", path, "/".join(str(p) for p in error.absolute_path) + ":", leaf.message)
)";

struct PythonRun {
    int status = -1;
    std::string output;
};

PythonRun validate(const std::vector<fs::path>& files) {
    const fs::path folder = fs::path(AREATWIN_TEST_TMP) / ("scenarios_schema_" + std::to_string(::getpid()));
    fs::create_directories(folder);
    const fs::path script = folder / "validate.py";
    std::ofstream(script) << validate_script;
    std::string command = std::string(AREATWIN_PYTHON) + " '" + script.string() + "' '" + schema_path.string() + "'";
    for (const auto& file : files) command += " '" + file.string() + "'";
    command += " 2>&1";
    PythonRun run;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return run;
    std::array<char, 4096> buffer{};
    while (fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) run.output += buffer.data();
    run.status = pclose(pipe);
    return run;
}

fs::path write_case(const std::string& name, const std::string& yaml) {
    const fs::path folder = fs::path(AREATWIN_TEST_TMP) / ("scenarios_schema_" + std::to_string(::getpid()));
    fs::create_directories(folder);
    const fs::path path = folder / (name + ".yaml");
    std::ofstream(path) << yaml;
    return path;
}

TEST(BatchSchema, FixtureBatchFilesAreValid) {
    const auto run = validate({fixtures / "full.yaml", fixtures / "minimal.yaml"});
    ASSERT_EQ(run.status, 0) << "install the Debian packages python3-jsonschema and python3-yaml\n" << run.output;
    EXPECT_THAT(run.output, HasSubstr("VALID " + (fixtures / "full.yaml").string()));
    EXPECT_THAT(run.output, HasSubstr("VALID " + (fixtures / "minimal.yaml").string()));
    EXPECT_THAT(run.output, Not(HasSubstr("INVALID")));
}

TEST(BatchSchema, UnknownKeyFailsTheSchemaToo) {
    const auto run = validate({fixtures / "unknown_key.yaml"});
    ASSERT_EQ(run.status, 0) << run.output;
    EXPECT_THAT(run.output, HasSubstr("INVALID " + (fixtures / "unknown_key.yaml").string() + " area:"));
    EXPECT_THAT(run.output, HasSubstr("'cellsize' was unexpected"));
}

TEST(BatchSchema, RejectsWhatTheParserRejects) {
    const std::string head = "area: {cell_size_m: 10, bbox: [0, 0, 100, 100]}\nscenarios:\n  - name: baseline\n";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"where_attribute", head + "  - name: plan\n    edits: [{remove: {role: roads, where: {straat: x}}}]\n"},
        {"scale_text", head + "  - name: plan\n    edits: [{scale: {role: roads, where: {name: x}, factors: {surface: 2}}}]\n"},
        {"paint_class", head + "  - name: plan\n    edits: [{paint: {class: forest, inside: {source: p.gpkg}}}]\n"},
        {"no_filter", head + "  - name: plan\n    edits: [{remove: {role: trees}}]\n"},
        {"baseline_edits", "area: {cell_size_m: 10, bbox: [0, 0, 1, 1]}\nscenarios:\n  - name: baseline\n"
                           "    edits: [{remove: {role: trees, where: {species: oak}}}]\n"},
        {"scenario_name", head + "  - name: Plan-B\n"},
        {"unknown_role", "area: {cell_size_m: 10, bbox: [0, 0, 1, 1]}\ninputs: {building: [{source: a.gpkg}]}\n"
                         "scenarios: [{name: baseline}]\n"},
        {"unknown_field", "area: {cell_size_m: 10, bbox: [0, 0, 1, 1]}\n"
                          "inputs: {buildings: [{source: a.gpkg, fields: {hight_m: h}}]}\nscenarios: [{name: b}]\n"},
        {"bbox_and_polygon", "area: {cell_size_m: 10, bbox: [0, 0, 1, 1], polygon: {source: a.gpkg}}\n"
                             "scenarios: [{name: baseline}]\n"},
    };
    std::vector<fs::path> files;
    for (const auto& [name, yaml] : cases) {
        files.push_back(write_case(name, yaml));
        // The parser must reject every case too, or the two disagree.
        EXPECT_THROW((void)parse_batch_text(yaml, name + ".yaml"), ConfigError) << name;
    }
    const auto run = validate(files);
    ASSERT_EQ(run.status, 0) << run.output;
    for (const auto& file : files) {
        EXPECT_THAT(run.output, HasSubstr("INVALID " + file.string())) << run.output;
        EXPECT_THAT(run.output, Not(HasSubstr("VALID " + file.string() + "\n")));
    }
}

TEST(BatchSchema, DemoBatchIsValid) {
    const fs::path demo = source_dir / "data-samples" / "demo.yaml";
    if (!fs::exists(demo)) GTEST_SKIP() << demo << " does not exist yet; nothing to validate";
    const auto run = validate({demo});
    ASSERT_EQ(run.status, 0) << run.output;
    EXPECT_THAT(run.output, HasSubstr("VALID " + demo.string()));
    EXPECT_THAT(run.output, Not(HasSubstr("INVALID")));
}

std::set<std::string> keys_of(const nlohmann::json& object) {
    std::set<std::string> keys;
    for (const auto& [key, value] : object.items()) keys.insert(key);
    return keys;
}

std::vector<std::string> strings_of(const nlohmann::json& array) { return array.get<std::vector<std::string>>(); }

TEST(BatchSchema, MatchesTheDataModel) {
    std::ifstream in(schema_path);
    ASSERT_TRUE(in) << schema_path;
    const nlohmann::json schema = nlohmann::json::parse(in);
    const nlohmann::json& defs = schema.at("$defs");
    EXPECT_EQ(schema.at("$schema"), "https://json-schema.org/draft/2020-12/schema");

    std::vector<std::string> roles, feature_roles;
    for (const auto& role : input_roles()) {
        roles.push_back(role.name);
        const bool features = role.geometry.find("polygon") != std::string::npos ||
                              role.geometry.find("line") != std::string::npos ||
                              role.geometry.find("point") != std::string::npos;
        if (features) feature_roles.push_back(role.name);
    }
    EXPECT_EQ(strings_of(defs.at("role").at("enum")), roles) << "regenerate the role enum of docs/batch.schema.json";
    EXPECT_EQ(strings_of(defs.at("featureRole").at("enum")), feature_roles);
    EXPECT_EQ(strings_of(defs.at("landcoverClass").at("enum")), landcover_classes());
    EXPECT_EQ(keys_of(schema.at("properties").at("inputs").at("properties")),
              std::set<std::string>(roles.begin(), roles.end()));

    for (const auto& role : input_roles()) {
        SCOPED_TRACE(role.name);
        const nlohmann::json& fields = defs.at("fields_" + role.name);
        if (role.open_attributes) {
            EXPECT_FALSE(fields.contains("properties"));
            EXPECT_TRUE(fields.at("additionalProperties").is_object());
            continue;
        }
        std::set<std::string> attributes;
        for (const auto& a : role.attributes) {
            attributes.insert(a.name);
            const std::string expected = a.text ? "#/$defs/fieldText" : "#/$defs/fieldNumber";
            EXPECT_EQ(fields.at("properties").at(a.name).at("$ref"), expected) << a.name;
        }
        EXPECT_EQ(keys_of(fields.value("properties", nlohmann::json::object())), attributes);
        EXPECT_EQ(fields.at("additionalProperties"), false);

        const nlohmann::json& source = defs.at("source_" + role.name).at("properties");
        EXPECT_EQ(source.contains("band"), role.geometry.find("raster") != std::string::npos);
        EXPECT_EQ(source.contains("classes"), role.name == "landcover");
    }
}

// Every object in the schema with fixed properties is closed, so editors flag typos as the parser does.
void expect_closed(const nlohmann::json& node, const std::string& where) {
    if (node.is_array()) {
        for (std::size_t i = 0; i < node.size(); ++i) expect_closed(node[i], where + "/" + std::to_string(i));
        return;
    }
    if (!node.is_object()) return;
    if (node.contains("properties") && node.value("type", nlohmann::json()) != nlohmann::json()) {
        EXPECT_TRUE(node.contains("additionalProperties")) << where << " has properties but is not closed";
        if (node.contains("additionalProperties") && node.at("additionalProperties").is_boolean()) {
            EXPECT_EQ(node.at("additionalProperties"), false) << where;
        }
    }
    for (const auto& [key, value] : node.items()) expect_closed(value, where + "/" + key);
}

TEST(BatchSchema, EveryObjectIsClosed) {
    std::ifstream in(schema_path);
    ASSERT_TRUE(in) << schema_path;
    expect_closed(nlohmann::json::parse(in), "#");
}

}  // namespace
}  // namespace areatwin::scenarios
