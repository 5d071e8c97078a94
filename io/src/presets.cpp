// SPDX-License-Identifier: GPL-3.0-or-later
// Input presets: field mappings and class tables for Dutch base registrations. docs/presets.md
// documents every table here; keep the two in step.
#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/engine/roles.hpp"
#include "load_detail.hpp"

namespace areatwin::io::detail {

namespace {

// Buildings without a measured height: three storeys of 3 m, the typical Dutch terraced house.
constexpr double assumed_building_height_m = 9.0;

std::string lowercase(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// The first of `candidates` the layer has (case-insensitively), as the layer spells it.
std::optional<std::string> first_present(const std::vector<std::string>& layer_fields,
                                         std::initializer_list<std::string_view> candidates) {
    for (std::string_view candidate : candidates) {
        for (const std::string& field : layer_fields) {
            if (lowercase(field) == lowercase(candidate)) return field;
        }
    }
    return std::nullopt;
}

// Fills a canonical attribute unless the batch file already mapped it.
void map_field(SourceSpec& spec, const std::string& canonical, const std::optional<std::string>& field,
               const std::string& unit = "") {
    if (!field || spec.fields.count(canonical) > 0) return;
    spec.fields[canonical] = FieldMapping{*field, unit, std::nullopt};
}

void default_value(SourceSpec& spec, const std::string& canonical, AttributeValue value) {
    FieldMapping& mapping = spec.fields[canonical];
    if (!mapping.default_value) mapping.default_value = std::move(value);
}

void require_role(const SourceSpec& source, std::initializer_list<std::string_view> roles) {
    for (std::string_view role : roles) {
        if (source.role == role) return;
    }
    std::vector<std::string> names(roles.begin(), roles.end());
    throw ConfigError(fmt::format("{}: preset '{}' does not describe this role (it fits: {}) ({})", source.role,
                                  source.preset, fmt::join(names, ", "), source.declared_at));
}

// BGT object class from the layer name (3dfier/CityGML names such as "plantcover" or the Dutch
// names of the PDOK download), falling back to the file name ("bgt_pand.sqlite").
std::string bgt_object_class(const std::string& layer_name, const std::filesystem::path& path) {
    static const std::pair<std::string_view, std::string_view> aliases[] = {
        {"plantcover", "begroeidterreindeel"},
        {"trafficarea", "wegdeel"},
        {"auxiliarytrafficarea", "ondersteunendwegdeel"},
        {"buildingpart", "pand"},
        {"bridgeconstructionelement", "overbruggingsdeel"},
        {"tunnelpart", "tunneldeel"},
    };
    static const std::string_view known[] = {
        "begroeidterreindeel", "onbegroeidterreindeel", "wegdeel",       "ondersteunendwegdeel",
        "waterdeel",           "ondersteunendwaterdeel", "pand",          "overigbouwwerk",
        "scheiding",           "overbruggingsdeel",     "kunstwerkdeel", "tunneldeel",
    };
    for (std::string name : {lowercase(layer_name), lowercase(path.stem().string())}) {
        if (name.rfind("bgt_", 0) == 0) name.erase(0, 4);
        for (const auto& [alias, dutch] : aliases) {
            if (name == alias) return std::string(dutch);
        }
        for (std::string_view k : known) {
            if (name == k) return name;
        }
    }
    return {};
}

// Values of BGT "fysiekVoorkomen" (bgt_fysiekvoorkomen) and IMGeo "plus-fysiekVoorkomen"
// (plus_fysiekvoorkomen), and the CityGML `class`/`surfacematerial` values 3dfier writes, per the
// BGT/IMGeo catalogue (Gegevenscatalogus IMGeo 2.1.1).
const std::vector<std::pair<std::string, std::string>>& bgt_class_table() {
    static const std::vector<std::pair<std::string, std::string>> table{
        // begroeid terreindeel, bgt-fysiekVoorkomen
        {"groenvoorziening", "grass"}, {"grasland overig", "grass"}, {"grasland agrarisch", "agriculture"},
        {"bouwland", "agriculture"}, {"boomteelt", "agriculture"}, {"fruitteelt", "agriculture"},
        {"loofbos", "trees"}, {"naaldbos", "trees"}, {"gemengd bos", "trees"}, {"houtwal", "trees"},
        {"struiken", "shrubs"}, {"heide", "shrubs"}, {"moeras", "grass"}, {"rietland", "grass"},
        {"kwelder", "grass"}, {"duin", "bare"}, {"zand", "bare"},
        // begroeid terreindeel, plus-fysiekVoorkomen
        {"heesters", "shrubs"}, {"bosplantsoen", "shrubs"}, {"haag", "shrubs"}, {"gesloten haag", "shrubs"},
        {"struikrozen", "shrubs"}, {"gras- en kruidachtigen", "grass"}, {"bodembedekkers", "grass"},
        {"griend en hakhout", "trees"}, {"boomkwekerij", "agriculture"}, {"wijngaard", "agriculture"},
        // onbegroeid terreindeel, wegdeel, ondersteunend wegdeel
        {"erf", "paved"}, {"open verharding", "paved"}, {"gesloten verharding", "paved"},
        {"half verhard", "paved"}, {"onverhard", "bare"}, {"strand en strandwal", "bare"},
    };
    return table;
}

void bgt_landcover(ExpandedSource& out, const std::string& object_class, const std::vector<std::string>& fields) {
    SourceSpec& spec = out.spec;
    std::vector<std::string> class_fields;
    if (!spec.class_field.empty()) class_fields.push_back(spec.class_field);
    const auto add_field = [&](std::initializer_list<std::string_view> names) {
        for (std::string_view name : names) {
            if (auto field = first_present(fields, {name}); field &&
                std::find(class_fields.begin(), class_fields.end(), *field) == class_fields.end()) {
                class_fields.push_back(*field);
            }
        }
    };
    std::string default_class;
    if (object_class == "begroeidterreindeel") {
        // plus_fysiekvoorkomen is the finer IMGeo value (heesters); "waardeOnbekend" is not in the
        // table, so the BGT value (or 3dfier's `class`) decides then.
        add_field({"plus_fysiekvoorkomen", "bgt_fysiekvoorkomen", "fysiekvoorkomen", "class"});
        default_class = "grass";
    } else if (object_class == "onbegroeidterreindeel") {
        add_field({"bgt_fysiekvoorkomen", "fysiekvoorkomen", "plus_fysiekvoorkomen"});
        default_class = "paved";
    } else if (object_class == "ondersteunendwegdeel") {
        add_field({"bgt_fysiekvoorkomen", "fysiekvoorkomen", "plus_fysiekvoorkomen"});
        default_class = "paved";
    } else if (object_class == "wegdeel" || object_class == "overbruggingsdeel" || object_class == "kunstwerkdeel" ||
               object_class == "tunneldeel" || object_class == "scheiding") {
        default_class = "paved";
    } else if (object_class == "waterdeel") {
        default_class = "water";
    } else if (object_class == "ondersteunendwaterdeel") {
        default_class = "bare";
    } else if (object_class == "pand" || object_class == "overigbouwwerk") {
        default_class = "building";
    }
    out.class_fields = std::move(class_fields);
    for (const auto& [value, cls] : bgt_class_table()) spec.classes.emplace(value, cls);
    if (spec.default_class.empty()) spec.default_class = default_class;
}

void assume_building_height(ExpandedSource& out, const std::string& why) {
    const auto it = out.spec.fields.find("height_m");
    if (it != out.spec.fields.end() && (!it->second.field.empty() || it->second.default_value)) return;
    default_value(out.spec, "height_m", assumed_building_height_m);
    out.notes.push_back(fmt::format("{}; every building gets the assumed height {} m (map height_m to override)",
                                    why, assumed_building_height_m));
}

}  // namespace

bool is_raster_preset(const std::string& preset) { return preset == "ahn"; }

ExpandedSource expand_preset(const SourceSpec& source, const std::string& layer_name,
                             const std::vector<std::string>& layer_fields) {
    ExpandedSource out;
    out.spec = source;
    if (!source.class_field.empty()) out.class_fields.push_back(source.class_field);
    const std::string& preset = source.preset;
    const std::string label = source_label(source, layer_name);

    if (preset == "bgt") {
        require_role(source, {"landcover", "buildings"});
        const std::string object_class = bgt_object_class(layer_name, source.path);
        if (source.role == "landcover") {
            if (object_class.empty() && source.class_field.empty() && source.default_class.empty()) {
                throw ConfigError(fmt::format(
                    "landcover: preset 'bgt' does not know the BGT object class of {}; name the layer after a BGT "
                    "object class or give class_field/classes ({})", label, source.declared_at));
            }
            bgt_landcover(out, object_class, layer_fields);
        } else {
            map_field(out.spec, "name", first_present(layer_fields, {"identificatiebagpnd", "identificatieBAGPND"}));
            assume_building_height(out, "BGT buildings have no height");
        }
        return out;
    }
    if (preset == "bag") {
        require_role(source, {"buildings"});
        map_field(out.spec, "name", first_present(layer_fields, {"identificatie"}));
        map_field(out.spec, "use", first_present(layer_fields, {"gebruiksdoel"}));
        map_field(out.spec, "dwellings", first_present(layer_fields, {"aantal_verblijfsobjecten"}));
        assume_building_height(out, "BAG buildings have no height");
        return out;
    }
    if (preset == "3dbag") {
        require_role(source, {"buildings"});
        const auto roof = first_present(layer_fields, {"b3_h_dak_70p", "b3_h_70p", "h_dak_70p"});
        const auto ground = first_present(layer_fields, {"b3_h_maaiveld", "h_maaiveld"});
        const bool user_height = source.fields.count("height_m") > 0;
        if (!user_height && (!roof || !ground)) {
            throw DataError(fmt::format("buildings: preset '3dbag' needs the 3D BAG attributes b3_h_dak_70p and "
                                        "b3_h_maaiveld (or h_dak_70p and h_maaiveld), which {} does not have ({})",
                                        label, source.declared_at));
        }
        map_field(out.spec, "height_m", roof, "m");
        map_field(out.spec, "ground_m", ground, "m");
        if (!user_height) {
            out.subtract["height_m"] = "ground_m";
            // Buildings the 3D BAG could not reconstruct have null heights.
            default_value(out.spec, "height_m", assumed_building_height_m);
        }
        map_field(out.spec, "name", first_present(layer_fields, {"identificatie"}));
        return out;
    }
    if (preset == "nwb") {
        require_role(source, {"roads"});
        map_field(out.spec, "name", first_present(layer_fields, {"stt_naam", "STT_NAAM"}));
        bool defaulted = false;
        if (const RoleSpec* role = find_role("roads")) {
            for (const AttributeSpec& attribute : role->attributes) {
                if (attribute.unit != "veh/h" || out.spec.fields.count(attribute.name) > 0) continue;
                default_value(out.spec, attribute.name, 0.0);
                defaulted = true;
            }
        }
        if (defaulted) {
            out.notes.push_back("NWB has no traffic; the flows not mapped in the batch file are set to 0 veh/h");
        }
        return out;
    }
    if (preset == "cbs-buurten") {
        require_role(source, {"areas"});
        map_field(out.spec, "code", first_present(layer_fields, {"buurtcode", "bu_code"}));
        map_field(out.spec, "name", first_present(layer_fields, {"buurtnaam", "bu_naam"}));
        map_field(out.spec, "residents", first_present(layer_fields, {"aantal_inwoners", "aant_inw"}));
        // CBS writes -99997 (secret), -99995, -99999999 and similar codes for values it does not publish.
        out.negative_is_null.insert("residents");
        return out;
    }
    if (preset == "ahn") {
        throw ConfigError(fmt::format("{}: preset 'ahn' describes a raster, but {} is vector data ({})", source.role,
                                      label, source.declared_at));
    }
    throw ConfigError(fmt::format("{}: unknown preset '{}' (known: bgt, bag, 3dbag, nwb, cbs-buurten, ahn) ({})",
                                  source.role, preset, source.declared_at));
}

}  // namespace areatwin::io::detail
