// SPDX-License-Identifier: GPL-3.0-or-later
#include "areatwin/io/report.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unistd.h>
#include <vector>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <fmt/format.h>
#include <gdal.h>
#include <gdal_priv.h>
#include <nlohmann/json.hpp>
#include <ogr_feature.h>
#include <ogr_geometry.h>
#include <ogrsf_frmts.h>

#include "areatwin/engine/errors.hpp"
#include "areatwin/io/gpkg_writer.hpp"
#include "report_png.hpp"
#include "styles.hpp"

namespace areatwin::io {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::uint8_t kOutlineGrey = 64;  // building outlines: dark grey, readable on every ramp
constexpr int kColourBarWidthPx = 400;
constexpr int kColourBarHeightPx = 14;

// ---------------------------------------------------------------------------------------------
// Reading the GeoPackage

struct DatasetCloser {
    void operator()(GDALDataset* ds) const { GDALClose(GDALDataset::ToHandle(ds)); }
};
using DatasetPtr = std::unique_ptr<GDALDataset, DatasetCloser>;

std::string gdal_message() {
    const char* msg = CPLGetLastErrorMsg();
    return (msg != nullptr && *msg != '\0') ? std::string(msg) : std::string("no message from GDAL");
}

std::string sql_text(std::string_view s) {
    std::string out = "'";
    for (char ch : s) {
        out += ch;
        if (ch == '\'') out += '\'';
    }
    return out + "'";
}

// The per-area statistics of one scenario, in row (feature id) order.
struct AreaTable {
    std::size_t rows = 0;
    std::vector<std::string> code;
    std::vector<std::string> name;
    std::map<std::string, std::vector<std::optional<double>>> numbers;  // column -> one value per row

    [[nodiscard]] const std::vector<std::optional<double>>* column(const std::string& c) const {
        const auto it = numbers.find(c);
        return it == numbers.end() ? nullptr : &it->second;
    }
};

class GpkgReader {
public:
    explicit GpkgReader(fs::path path) : path_(std::move(path)) {
        static std::once_flag once;
        std::call_once(once, [] { GDALAllRegister(); });
        CPLPushErrorHandler(CPLQuietErrorHandler);
        CPLErrorReset();
        const char* const drivers[] = {"GPKG", nullptr};
        ds_.reset(GDALDataset::FromHandle(
            GDALOpenEx(path_.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, nullptr, nullptr)));
        if (!ds_) {
            const std::string message = gdal_message();
            CPLPopErrorHandler();
            throw DataError(fmt::format("{}: cannot open GeoPackage: {}", path_.string(), message));
        }
        for (const auto& row : strings("SELECT table_name FROM gpkg_contents")) tables_.insert(row);
    }
    ~GpkgReader() {
        ds_.reset();
        CPLPopErrorHandler();
    }
    GpkgReader(const GpkgReader&) = delete;
    GpkgReader& operator=(const GpkgReader&) = delete;

    [[nodiscard]] bool has_table(const std::string& table) const { return tables_.count(table) > 0; }

    // The first column of each row of a query; empty when the query fails (e.g. a missing table).
    std::vector<std::string> strings(const std::string& sql) {
        std::vector<std::string> out;
        OGRLayer* result = ds_->ExecuteSQL(sql.c_str(), nullptr, nullptr);
        if (result == nullptr) return out;
        while (OGRFeature* f = result->GetNextFeature()) {
            out.emplace_back(f->IsFieldSetAndNotNull(0) ? f->GetFieldAsString(0) : "");
            OGRFeature::DestroyFeature(f);
        }
        ds_->ReleaseResultSet(result);
        return out;
    }

    std::optional<std::string> style_qml(const std::string& table) {
        if (!has_table("layer_styles")) return std::nullopt;
        const auto rows = strings(fmt::format(
            "SELECT styleQML FROM layer_styles WHERE f_table_name = {} ORDER BY useAsDefault DESC, id LIMIT 1",
            sql_text(table)));
        if (rows.empty()) return std::nullopt;
        return rows.front();
    }

    // When the manifest was stored: the timestamp SQLite put on its metadata reference row.
    std::optional<std::string> manifest_timestamp() {
        const auto rows = strings(
            "SELECT CAST(r.timestamp AS TEXT) FROM gpkg_metadata_reference r JOIN gpkg_metadata m ON m.id = r.md_file_id "
            "WHERE m.md_standard_uri = 'https://areatwin.org/manifest' ORDER BY m.id DESC LIMIT 1");
        if (rows.empty() || rows.front().empty()) return std::nullopt;
        return rows.front();
    }

    AreaTable areas(const std::string& table) {
        OGRLayer* layer = ds_->GetLayerByName(table.c_str());
        if (layer == nullptr)
            throw DataError(fmt::format("{}: cannot read vector table {}: {}", path_.string(), table, gdal_message()));
        AreaTable out;
        OGRFeatureDefn* defn = layer->GetLayerDefn();
        const int code_index = defn->GetFieldIndex("code");
        const int name_index = defn->GetFieldIndex("name");
        std::vector<std::pair<int, std::string>> numeric;
        for (int i = 0; i < defn->GetFieldCount(); ++i) {
            const OGRFieldType type = defn->GetFieldDefn(i)->GetType();
            if (type == OFTReal || type == OFTInteger || type == OFTInteger64)
                numeric.emplace_back(i, defn->GetFieldDefn(i)->GetNameRef());
        }
        layer->ResetReading();
        while (OGRFeature* f = layer->GetNextFeature()) {
            out.code.emplace_back(code_index >= 0 && f->IsFieldSetAndNotNull(code_index) ? f->GetFieldAsString(code_index)
                                                                                         : "");
            out.name.emplace_back(name_index >= 0 && f->IsFieldSetAndNotNull(name_index) ? f->GetFieldAsString(name_index)
                                                                                         : "");
            for (const auto& [index, column] : numeric) {
                out.numbers[column].push_back(f->IsFieldSetAndNotNull(index)
                                                  ? std::optional<double>(f->GetFieldAsDouble(index))
                                                  : std::nullopt);
            }
            OGRFeature::DestroyFeature(f);
            ++out.rows;
        }
        return out;
    }

    // Every ring of every polygon (and every line) of a vector table, for outlines on maps.
    std::vector<detail::Outline> outlines(const std::string& table) {
        std::vector<detail::Outline> out;
        OGRLayer* layer = ds_->GetLayerByName(table.c_str());
        if (layer == nullptr)
            throw DataError(fmt::format("{}: cannot read vector table {}: {}", path_.string(), table, gdal_message()));
        layer->ResetReading();
        while (OGRFeature* f = layer->GetNextFeature()) {
            if (const OGRGeometry* g = f->GetGeometryRef()) add_outlines(*g, out);
            OGRFeature::DestroyFeature(f);
        }
        return out;
    }

private:
    static void add_curve(const OGRSimpleCurve& curve, std::vector<detail::Outline>& out) {
        detail::Outline line;
        line.reserve(static_cast<std::size_t>(curve.getNumPoints()));
        for (int i = 0; i < curve.getNumPoints(); ++i) line.push_back({curve.getX(i), curve.getY(i)});
        out.push_back(std::move(line));
    }

    static void add_outlines(const OGRGeometry& g, std::vector<detail::Outline>& out) {
        switch (wkbFlatten(g.getGeometryType())) {
            case wkbPolygon: {
                const OGRPolygon* p = g.toPolygon();
                if (p->getExteriorRing() != nullptr) add_curve(*p->getExteriorRing(), out);
                for (int i = 0; i < p->getNumInteriorRings(); ++i) add_curve(*p->getInteriorRing(i), out);
                break;
            }
            case wkbLineString: add_curve(*g.toLineString(), out); break;
            case wkbMultiPolygon:
            case wkbMultiLineString:
            case wkbGeometryCollection: {
                const OGRGeometryCollection* c = g.toGeometryCollection();
                for (int i = 0; i < c->getNumGeometries(); ++i) add_outlines(*c->getGeometryRef(i), out);
                break;
            }
            default: break;
        }
    }

    fs::path path_;
    DatasetPtr ds_;
    std::set<std::string> tables_;
};

// The writer's QML is a pure function of (ramp, min, max), so the style is recovered exactly by
// reading the range and finding the ramp that reproduces the document; a style edited in QGIS and
// saved back matches no ramp and the report falls back to the data range.
std::optional<RasterStyle> style_from_qml(const std::string& qml) {
    auto attribute = [&qml](const char* name) -> std::optional<double> {
        const std::string key = fmt::format(" {}=\"", name);
        const auto at = qml.find(key);
        if (at == std::string::npos) return std::nullopt;
        const std::string text = qml.substr(at + key.size(), qml.find('"', at + key.size()) - at - key.size());
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (end == text.c_str() || *end != '\0') return std::nullopt;
        return v;
    };
    const auto min = attribute("classificationMin");
    const auto max = attribute("classificationMax");
    if (!min || !max) return std::nullopt;
    for (const auto& ramp : detail::raster_ramp_names()) {
        RasterStyle style{ramp, *min, *max, {}};
        try {
            if (detail::raster_style_qml(style, "report") == qml) return style;
        } catch (const ConfigError&) {
            return std::nullopt;
        }
    }
    // Explicit classes: every item holds its class's upper bound (the next class's lower bound), the first
    // class starts at classificationMin.
    auto unescape = [](std::string text) {
        const std::pair<const char*, const char*> entities[] = {
            {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&amp;", "&"}};
        for (const auto& [entity, ch] : entities) {
            for (auto at = text.find(entity); at != std::string::npos; at = text.find(entity, at + 1)) {
                text.replace(at, std::strlen(entity), ch);
            }
        }
        return text;
    };
    auto field = [](const std::string& line, const char* name) -> std::string {
        const std::string key = fmt::format(" {}=\"", name);
        const auto at = line.find(key);
        if (at == std::string::npos) return {};
        return line.substr(at + key.size(), line.find('"', at + key.size()) - at - key.size());
    };
    RasterStyle style{"viridis", *min, *max, {}};
    double lower = *min;
    for (auto at = qml.find("<item "); at != std::string::npos; at = qml.find("<item ", at + 1)) {
        const std::string line = qml.substr(at, qml.find("/>", at) - at);
        style.classes.push_back({lower, field(line, "color"), unescape(field(line, "label"))});
        const std::string value = field(line, "value");
        if (value == "inf") break;
        char* end = nullptr;
        lower = std::strtod(value.c_str(), &end);
        if (end == value.c_str()) return std::nullopt;
    }
    if (style.classes.empty()) return std::nullopt;
    try {
        if (detail::raster_style_qml(style, "report") == qml) return style;
    } catch (const ConfigError&) {
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Text

std::string escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char ch : s) {
        switch (ch) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += ch;
        }
    }
    return out;
}

std::string text_of(const json& j, const char* key) {
    if (!j.is_object() || !j.contains(key)) return {};
    const json& v = j.at(key);
    if (v.is_string()) return v.get<std::string>();
    if (v.is_null()) return {};
    return v.dump();
}

// Groups the integer digits in threes with commas: 1234567.5 -> "1,234,567.5".
std::string group_digits(const std::string& s) {
    const std::size_t start = (!s.empty() && s.front() == '-') ? 1 : 0;
    std::size_t end = s.find('.');
    if (end == std::string::npos) end = s.size();
    std::string out = s.substr(0, start);
    const std::string digits = s.substr(start, end - start);
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out + s.substr(end);
}

// Fixed decimals, digits grouped, and never "-0.0".
std::string fixed(double v, int decimals) {
    std::string s = fmt::format("{:.{}f}", v, decimals);
    if (s.front() == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
    return group_digits(s);
}

std::string with_unit(const std::string& number, const std::string& unit) {
    return unit.empty() ? number : number + " " + escape(unit);
}

// Decimals for values of an output, from the span of its colour range: one decimal for percentages
// and decibels, more for fractions.
int decimals_for_span(double span) {
    if (!(span >= 1.0)) return 3;
    if (span < 10.0) return 2;
    return 1;
}

// A number that has no meaningful plain fixed form (e.g. 1e-7 or 3e12) keeps its shortest exact form.
std::string plain_number(double v) {
    if (v == std::floor(v) && std::abs(v) < 1e15) return group_digits(fmt::format("{:.0f}", v));
    return fmt::format("{}", v);
}

std::string json_number_text(const json& v) {
    if (v.is_number()) return plain_number(v.get<double>());
    if (v.is_string()) return v.get<std::string>();
    if (v.is_array()) {
        std::vector<std::string> parts;
        for (const auto& x : v) parts.push_back(json_number_text(x));
        return fmt::format("{}", fmt::join(parts, ", "));
    }
    if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
    if (v.is_null()) return "none";
    return v.dump();
}

// The characters of an HTML id: anchors for the table of contents.
std::string anchor(std::string_view s) {
    std::string out;
    for (char ch : s) out += (std::isalnum(static_cast<unsigned char>(ch)) ? ch : '-');
    return out;
}

// The per-area column names of the batch runner: non-alphanumerics become '_'; thresholds print in
// their shortest form with '.' as 'p' and '-' as 'm'.
std::string column_prefix(const std::string& output) {
    std::string out;
    for (char c : output) out += (std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
    return out;
}

std::string threshold_suffix(double t) {
    auto s = fmt::format("{}", t);
    std::replace(s.begin(), s.end(), '.', 'p');
    std::replace(s.begin(), s.end(), '-', 'm');
    return s;
}

std::string base64(const std::string& bytes) {
    static constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const auto n = (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
                       (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                       static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 2]));
        out += table[(n >> 18) & 63];
        out += table[(n >> 12) & 63];
        out += table[(n >> 6) & 63];
        out += table[n & 63];
    }
    if (i < bytes.size()) {
        auto n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
        if (i + 1 < bytes.size()) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
        out += table[(n >> 18) & 63];
        out += table[(n >> 12) & 63];
        out += i + 1 < bytes.size() ? table[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::string png_img(const detail::RgbaImage& image, const std::string& alt, const std::string& css_class) {
    return fmt::format("<img class=\"{}\" src=\"data:image/png;base64,{}\" width=\"{}\" height=\"{}\" alt=\"{}\">",
                       css_class, base64(detail::encode_png(image)), image.width, image.height, escape(alt));
}

// ---------------------------------------------------------------------------------------------
// The batch as the manifest describes it

struct OutputInfo {
    std::string name;
    std::string unit;
    std::string description;
    std::vector<double> thresholds;
};

struct ScenarioInfo {
    std::string name;
    std::string description;
};

std::vector<OutputInfo> outputs_of(const json& card) {
    std::vector<OutputInfo> out;
    if (!card.contains("outputs") || !card.at("outputs").is_array()) return out;
    for (const auto& o : card.at("outputs")) {
        OutputInfo info{text_of(o, "name"), text_of(o, "unit"), text_of(o, "description"), {}};
        if (o.contains("thresholds") && o.at("thresholds").is_array())
            for (const auto& t : o.at("thresholds"))
                if (t.is_number()) info.thresholds.push_back(t.get<double>());
        if (!info.name.empty()) out.push_back(std::move(info));
    }
    return out;
}

// Maps and statistics of one output over all scenarios.
struct OutputMaps {
    RasterStyle style;          // the same for every scenario, so maps compare
    bool style_from_gpkg = false;
    RasterStyle diff_style;     // diverging, symmetric around 0, max |difference| over all scenarios
    int decimals = 1;
    GridSpec grid;
    std::map<std::string, Raster> rasters;      // scenario -> values
    std::map<std::string, Raster> differences;  // non-baseline scenario -> scenario minus baseline
};

std::optional<double> grid_mean(const Raster& r) {
    double sum = 0.0;
    std::int64_t n = 0;
    for (const float v : r.values()) {
        if (std::isnan(v)) continue;
        sum += v;
        ++n;
    }
    if (n == 0) return std::nullopt;
    return sum / static_cast<double>(n);
}

// ---------------------------------------------------------------------------------------------
// The report

class ReportBuilder {
public:
    ReportBuilder(fs::path gpkg, const ReportOptions& options)
        : gpkg_(std::move(gpkg)), options_(options), manifest_(read_gpkg_manifest(gpkg_)), reader_(gpkg_) {
        if (!manifest_.is_object())
            throw DataError(fmt::format("{}: table areatwin_manifest holds no JSON object", gpkg_.string()));
        if (manifest_.contains("scenarios") && manifest_.at("scenarios").is_array()) {
            for (const auto& s : manifest_.at("scenarios"))
                if (!text_of(s, "name").empty()) scenarios_.push_back({text_of(s, "name"), text_of(s, "description")});
        }
        if (scenarios_.empty())
            throw DataError(fmt::format("{}: the manifest in table areatwin_manifest lists no scenarios", gpkg_.string()));
        baseline_ = scenarios_.front().name;
    }

    std::string build() {
        head();
        header_section();
        contents();
        if (manifest_.contains("indicators") && manifest_.at("indicators").is_array()) {
            for (const auto& card : manifest_.at("indicators")) indicator_section(card);
        }
        out_ += "<footer><p>Written by areatwin from the GeoPackage <code>" + escape(gpkg_.filename().string()) +
                "</code> alone: every map, table and text above is read from its tables and its manifest.</p></footer>\n";
        // Lets a headless browser (and a curious reader) confirm that every embedded image decoded.
        out_ += R"(<script>
window.addEventListener("load", function () {
  var images = document.images, ok = 0;
  for (var i = 0; i < images.length; i++) if (images[i].complete && images[i].naturalWidth > 0) ok++;
  document.body.dataset.imagesOk = ok + "/" + images.length;
});
</script>
</body>
</html>
)";
        return std::move(out_);
    }

private:
    [[nodiscard]] std::string batch_name() const {
        const std::string name = text_of(manifest_.value("batch", json::object()), "name");
        return name.empty() ? gpkg_.stem().string() : name;
    }

    void head() {
        out_ += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
        out_ += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
        out_ += "<title>areatwin report: " + escape(batch_name()) + "</title>\n";
        out_ += R"(<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 1280px;
       padding: 0 24px 48px; color: #222; line-height: 1.45; }
h1 { margin-top: 24px; } h2 { border-bottom: 2px solid #ccc; margin-top: 48px; } h3 { margin-top: 36px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 0.92em; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.maps { display: flex; flex-wrap: wrap; gap: 16px; }
figure.map { margin: 0; flex: 0 1 400px; min-width: 280px; }
figure.map img { width: 100%; height: auto; image-rendering: pixelated; border: 1px solid #bbb;
                 background: repeating-conic-gradient(#eee 0% 25%, #fff 0% 50%) 50% / 16px 16px; }
figcaption { font-size: 0.9em; }
.legend { margin: 8px 0 4px; width: 400px; max-width: 100%; }
.legend img { width: 100%; height: 14px; display: block; border: 1px solid #999; }
.ticks { position: relative; height: 1.4em; font-size: 0.85em; }
.ticks span { position: absolute; transform: translateX(-50%); white-space: nowrap; }
.ticks span.first { transform: none; } .ticks span.last { transform: translateX(-100%); }
.note { color: #555; font-size: 0.9em; }
.sha { font-family: ui-monospace, monospace; cursor: help; }
.warn { color: #8a4b00; }
.ranking { display: flex; flex-wrap: wrap; gap: 32px; }
details > summary { cursor: pointer; font-weight: 600; margin: 6px 0; }
dl.card dt { font-weight: 600; margin-top: 8px; } dl.card dd { margin-left: 16px; }
</style>
</head>
<body data-images-ok="pending">
)";
    }

    void header_section() {
        const json engine = manifest_.value("engine", json::object());
        const json batch = manifest_.value("batch", json::object());
        const json grid = manifest_.value("grid", json::object());
        const json run = manifest_.value("run", json::object());
        out_ += "<header>\n<h1>areatwin report: " + escape(batch_name()) + "</h1>\n<table class=\"facts\">\n";
        auto fact = [this](const std::string& label, const std::string& html) {
            out_ += "<tr><th>" + escape(label) + "</th><td>" + html + "</td></tr>\n";
        };
        std::optional<std::string> when;
        for (const char* key : {"started_at", "finished_at", "date"})
            if (!when && !text_of(run, key).empty()) when = text_of(run, key);
        if (!when) {
            // SQLite's ISO 8601 form, e.g. 2025-03-01T10:15:42.123Z: shown to the second.
            if (auto stamp = reader_.manifest_timestamp()) {
                std::replace(stamp->begin(), stamp->end(), 'T', ' ');
                when = stamp->substr(0, std::min<std::size_t>(stamp->size(), 19)) + " UTC";
            }
        }
        fact("Run date", when ? escape(*when) + " <span class=\"note\">(when the results were stored)</span>"
                              : "<span class=\"note\">not recorded in the GeoPackage</span>");
        const std::string commit = text_of(engine, "commit");
        fact("Engine", escape(text_of(engine, "name").empty() ? "areatwin" : text_of(engine, "name")) + " " +
                           escape(text_of(engine, "version")) +
                           (commit.empty() ? std::string()
                                           : ", commit <span class=\"sha\" title=\"" + escape(commit) + "\">" +
                                                 escape(commit.substr(0, 12)) + "</span>"));
        if (!batch.empty()) {
            const std::string sha = text_of(batch, "sha256");
            fact("Batch file", "<code>" + escape(text_of(batch, "file")) + "</code>" +
                                   (sha.empty() ? std::string() : ", SHA-256 " + short_sha(sha)));
        }
        if (!grid.empty()) {
            const double cell = grid.value("cell_size_m", 0.0);
            const double cols = grid.value("cols", 0.0);
            const double rows = grid.value("rows", 0.0);
            fact("Grid", fmt::format("{} × {} cells of {} m × {} m = {} km × {} km, {}; top-left corner ({}, {})",
                                     plain_number(cols), plain_number(rows), plain_number(cell), plain_number(cell),
                                     fixed(cols * cell / 1000.0, 2), fixed(rows * cell / 1000.0, 2),
                                     escape(text_of(grid, "crs")), grid.value("origin_x", 0.0),
                                     grid.value("origin_y", 0.0)));
        }
        out_ += "</table>\n";

        out_ += "<h2 id=\"scenarios\">Scenarios</h2>\n<p>The first scenario, <b>" + escape(baseline_) +
                "</b>, is the baseline: difference maps and changes are each scenario minus it.</p>\n";
        out_ += "<table><tr><th>Scenario</th><th>Description</th><th>Starts from</th><th>Edits</th></tr>\n";
        for (const auto& s : manifest_.at("scenarios")) {
            std::string edits;
            if (s.contains("edits") && s.at("edits").is_array())
                for (const auto& e : s.at("edits")) edits += "<li>" + escape(e.is_string() ? e.get<std::string>() : e.dump()) + "</li>";
            const std::string base = text_of(s, "base");
            out_ += "<tr><td><b>" + escape(text_of(s, "name")) + "</b></td><td>" + escape(text_of(s, "description")) +
                    "</td><td>" + (base.empty() ? std::string("the inputs") : escape(base)) + "</td><td>" +
                    (edits.empty() ? std::string("none") : "<ul>" + edits + "</ul>") + "</td></tr>\n";
        }
        out_ += "</table>\n";

        out_ += "<h2 id=\"inputs\">Input files</h2>\n";
        if (manifest_.contains("inputs") && manifest_.at("inputs").is_array() && !manifest_.at("inputs").empty()) {
            out_ += "<p class=\"note\">The SHA-256 fingerprint identifies each file exactly; hover over it for the "
                    "full value.</p>\n<table><tr><th>Role</th><th>File</th><th>Size</th><th>SHA-256</th></tr>\n";
            for (const auto& f : manifest_.at("inputs")) {
                const std::string size =
                    f.contains("size_bytes") && f.at("size_bytes").is_number()
                        ? plain_number(f.at("size_bytes").get<double>()) + " bytes"
                        : std::string();
                out_ += "<tr><td>" + escape(text_of(f, "role")) + "</td><td><code>" + escape(text_of(f, "path")) +
                        "</code></td><td class=\"num\">" + size + "</td><td>" + short_sha(text_of(f, "sha256")) +
                        "</td></tr>\n";
            }
            out_ += "</table>\n";
        } else {
            out_ += "<p>The manifest lists no input files.</p>\n";
        }

        out_ += "<h2 id=\"warnings\">Warnings</h2>\n";
        if (manifest_.contains("warnings") && manifest_.at("warnings").is_array() && !manifest_.at("warnings").empty()) {
            out_ += "<ul class=\"warn\">\n";
            for (const auto& w : manifest_.at("warnings"))
                out_ += "<li>" + escape(w.is_string() ? w.get<std::string>() : w.dump()) + "</li>\n";
            out_ += "</ul>\n";
        } else {
            out_ += "<p>No warnings were raised while loading and computing.</p>\n";
        }
        out_ += "</header>\n";
    }

    static std::string short_sha(const std::string& sha) {
        if (sha.empty()) return "<span class=\"note\">not recorded</span>";
        return "<span class=\"sha\" title=\"" + escape(sha) + "\">" + escape(sha.substr(0, 12)) + "…</span>";
    }

    void contents() {
        out_ += "<nav>\n<h2>Contents</h2>\n<ul>\n";
        if (manifest_.contains("indicators") && manifest_.at("indicators").is_array()) {
            for (const auto& card : manifest_.at("indicators")) {
                const std::string id = text_of(card, "id");
                out_ += "<li><a href=\"#ind-" + anchor(id) + "\">" + escape(id) + "</a>: " +
                        escape(text_of(card, "summary")) + "<ul>\n";
                for (const auto& o : outputs_of(card))
                    out_ += "<li><a href=\"#out-" + anchor(o.name) + "\">" + escape(o.name) + "</a> (" +
                            escape(o.unit) + ")</li>\n";
                out_ += "</ul></li>\n";
            }
        }
        out_ += "</ul>\n</nav>\n";
    }

    void indicator_section(const json& card) {
        const std::string id = text_of(card, "id");
        out_ += "<section class=\"indicator\">\n<h2 id=\"ind-" + anchor(id) + "\">" + escape(id) + "</h2>\n";
        out_ += "<p>" + escape(text_of(card, "summary")) + "</p>\n";
        model_card(card);
        for (const auto& o : outputs_of(card)) output_section(o);
        out_ += "</section>\n";
    }

    void model_card(const json& card) {
        out_ += "<details open>\n<summary>How these numbers are made (model card, version " +
                escape(text_of(card, "version")) + ")</summary>\n<dl class=\"card\">\n";
        for (const auto& [key, label] : {std::pair{"method", "Method"}, std::pair{"validity", "Where the results are valid"},
                                         std::pair{"assumptions", "Assumptions"}}) {
            const std::string text = text_of(card, key);
            out_ += std::string("<dt>") + label + "</dt><dd>" + (text.empty() ? "not stated" : escape(text)) + "</dd>\n";
        }
        out_ += "</dl>\n";

        // Parameters in effect, each with its unit and meaning from the declaration.
        std::map<std::string, json> declared;
        if (card.contains("parameters") && card.at("parameters").is_array())
            for (const auto& p : card.at("parameters")) declared[text_of(p, "name")] = p;
        const json in_effect = card.value("parameters_in_effect", json::object());
        out_ += "<h4>Parameters in effect</h4>\n";
        if (declared.empty() && in_effect.empty()) {
            out_ += "<p>This indicator has no parameters.</p>\n";
        } else {
            out_ += "<table><tr><th>Parameter</th><th>Value in this run</th><th>Meaning</th><th>Default</th>"
                    "<th>Allowed</th></tr>\n";
            std::vector<std::string> names;
            if (card.contains("parameters") && card.at("parameters").is_array())
                for (const auto& p : card.at("parameters")) names.push_back(text_of(p, "name"));
            for (const auto& [k, v] : in_effect.items())
                if (std::find(names.begin(), names.end(), k) == names.end()) names.push_back(k);
            for (const auto& name : names) {
                const json p = declared.count(name) ? declared.at(name) : json::object();
                const std::string unit = text_of(p, "unit");
                const std::string value = in_effect.contains(name) ? with_unit(escape(json_number_text(in_effect.at(name))), unit)
                                                                   : "<span class=\"note\">not recorded</span>";
                std::string allowed;
                if (p.contains("choices") && p.at("choices").is_array()) {
                    allowed = "one of " + escape(json_number_text(p.at("choices")));
                } else if (p.contains("min") && p.contains("max") && p.at("min").is_number() && p.at("max").is_number()) {
                    allowed = with_unit(plain_number(p.at("min").get<double>()) + " to " +
                                            plain_number(p.at("max").get<double>()),
                                        unit);
                }
                const std::string default_text =
                    p.contains("default") ? with_unit(escape(json_number_text(p.at("default"))), unit) : std::string();
                out_ += "<tr><td><code>" + escape(name) + "</code></td><td class=\"num\">" + value + "</td><td>" +
                        escape(text_of(p, "description")) + "</td><td class=\"num\">" + default_text + "</td><td>" +
                        allowed + "</td></tr>\n";
            }
            out_ += "</table>\n";
        }

        out_ += "<h4>Outputs</h4>\n<table><tr><th>Output</th><th>Unit</th><th>Meaning</th><th>Thresholds counted</th></tr>\n";
        for (const auto& o : outputs_of(card)) {
            std::vector<std::string> ts;
            for (double t : o.thresholds) ts.push_back(with_unit(plain_number(t), o.unit));
            out_ += "<tr><td><code>" + escape(o.name) + "</code></td><td>" + escape(o.unit) + "</td><td>" +
                    escape(o.description) + "</td><td>" +
                    (ts.empty() ? std::string("none") : fmt::format("{}", fmt::join(ts, ", "))) + "</td></tr>\n";
        }
        out_ += "</table>\n</details>\n";
    }

    OutputMaps load_maps(const OutputInfo& o) {
        OutputMaps m;
        bool have_grid = false;
        std::optional<RasterStyle> style;
        for (const auto& s : scenarios_) {
            const std::string table = s.name + "__" + o.name;
            if (!reader_.has_table(table)) continue;
            GridSpec g;
            m.rasters.emplace(s.name, read_gpkg_raster(gpkg_, table, &g));
            if (!have_grid) {
                m.grid = g;
                have_grid = true;
            } else if (g.cols != m.grid.cols || g.rows != m.grid.rows) {
                throw DataError(fmt::format("{}: raster table {} has {} x {} cells, other scenarios {} x {}",
                                            gpkg_.string(), table, g.cols, g.rows, m.grid.cols, m.grid.rows));
            }
            if (const auto qml = reader_.style_qml(table)) {
                if (const auto found = style_from_qml(*qml)) {
                    if (!style) {
                        style = found;
                    } else {
                        style->min = std::min(style->min, found->min);
                        style->max = std::max(style->max, found->max);
                    }
                }
            }
        }
        m.style_from_gpkg = style.has_value();
        if (!style) {
            // No style the writer made: the data range over all scenarios, viridis.
            double lo = std::numeric_limits<double>::infinity();
            double hi = -lo;
            for (const auto& [name, r] : m.rasters)
                for (const float v : r.values())
                    if (!std::isnan(v)) {
                        lo = std::min(lo, static_cast<double>(v));
                        hi = std::max(hi, static_cast<double>(v));
                    }
            if (!std::isfinite(lo)) lo = hi = 0.0;
            if (!(hi > lo)) hi = lo + 1.0;
            style = RasterStyle{"viridis", lo, hi};
        }
        m.style = *style;
        m.decimals = decimals_for_span(m.style.max - m.style.min);

        double max_abs = 0.0;
        const auto base = m.rasters.find(baseline_);
        for (const auto& s : scenarios_) {
            if (s.name == baseline_ || !m.rasters.count(s.name)) continue;
            const std::string table = "diff__" + s.name + "__" + o.name;
            Raster diff;
            if (reader_.has_table(table)) {
                diff = read_gpkg_raster(gpkg_, table);
            } else if (base != m.rasters.end()) {
                const Raster& a = m.rasters.at(s.name);
                diff = Raster(a.cols(), a.rows());
                for (std::size_t i = 0; i < diff.values().size(); ++i) diff.values()[i] = a.values()[i] - base->second.values()[i];
            } else {
                continue;
            }
            if (diff.cols() != m.grid.cols || diff.rows() != m.grid.rows)
                throw DataError(fmt::format("{}: raster table {} does not match the grid of its scenario", gpkg_.string(),
                                            table));
            for (const float v : diff.values())
                if (!std::isnan(v)) max_abs = std::max(max_abs, std::abs(static_cast<double>(v)));
            m.differences.emplace(s.name, std::move(diff));
        }
        const double range = max_abs > 0.0 ? max_abs : 1.0;
        m.diff_style = RasterStyle{"diverging", -range, range};
        return m;
    }

    const std::vector<detail::Outline>& building_outlines(const std::string& scenario) {
        auto it = outlines_.find(scenario);
        if (it != outlines_.end()) return it->second;
        const std::string table = "buildings__" + scenario;
        std::vector<detail::Outline> lines;
        if (reader_.has_table(table)) lines = reader_.outlines(table);
        return outlines_.emplace(scenario, std::move(lines)).first->second;
    }

    void legend(const RasterStyle& style, const std::string& unit, int decimals, const std::string& what) {
        out_ += "<div class=\"legend\">" +
                png_img(detail::render_colour_bar(style, kColourBarWidthPx, kColourBarHeightPx),
                        "colour scale of " + what, "bar") +
                "<div class=\"ticks\">";
        std::vector<std::pair<double, std::string>> ticks;  // value, label
        if (style.ramp == "noise") {
            // Discrete classes: ticks on the class bounds inside the bar; the first and last classes
            // are open-ended, so the bar's ends get no tick.
            const double first_lower = std::floor(style.min / 5.0) * 5.0;
            for (double bound = first_lower + 5.0; bound < style.max; bound += 5.0)
                if (bound > style.min) ticks.emplace_back(bound, plain_number(bound));
        } else {
            for (int i = 0; i <= 4; ++i) {
                const double v = style.min + (style.max - style.min) * i / 4.0;
                std::string label = (style.ramp == "diverging" && v > 0 ? "+" : "") + fixed(v, decimals);
                if (i == 0) label = "≤ " + label;
                if (i == 4) label = "≥ " + label;
                ticks.emplace_back(v, label);
            }
        }
        for (const auto& [value, label] : ticks) {
            const double pos = 100.0 * (value - style.min) / (style.max - style.min);
            const char* css = pos <= 0.0 ? "first" : pos >= 100.0 ? "last" : "";
            out_ += fmt::format("<span class=\"{}\" style=\"left:{}%\">{}</span>", css, fixed(pos, 2), label);
        }
        out_ += "</div><div class=\"note\">" + escape(unit.empty() ? std::string("no unit") : unit) +
                (style.ramp == "noise" ? "; 5 dB classes, the first also takes lower values, the last higher ones" : "") + "</div></div>\n";
    }

    std::string scale_note(const OutputMaps& m, const detail::MapFrame& frame) const {
        return fmt::format(
            "<p class=\"note\">North up. One grid cell is {} m × {} m; one image pixel is {} m; the map covers {} km × "
            "{} km. Transparent (chequered): no value. Dark grey lines: building outlines of the scenario.</p>\n",
            plain_number(m.grid.cell_size_m), plain_number(m.grid.cell_size_m), fmt::format("{:.4g}", frame.pixel_size_m),
            fixed(static_cast<double>(m.grid.cols) * m.grid.cell_size_m / 1000.0, 2),
            fixed(static_cast<double>(m.grid.rows) * m.grid.cell_size_m / 1000.0, 2));
    }

    std::string map_figure(const Raster& raster, const detail::MapFrame& frame, const RasterStyle& style,
                           const std::string& scenario, const std::string& alt, const std::string& caption) {
        detail::RgbaImage image = detail::render_raster(raster, frame, style);
        detail::draw_outlines(image, frame, building_outlines(scenario), kOutlineGrey, kOutlineGrey, kOutlineGrey);
        return "<figure class=\"map\">" + png_img(image, alt, "map") + "<figcaption>" + caption +
               "</figcaption></figure>\n";
    }

    void output_section(const OutputInfo& o) {
        out_ += "<section class=\"output\">\n<h3 id=\"out-" + anchor(o.name) + "\">" + escape(o.name) + " (" +
                escape(o.unit) + ")</h3>\n<p>" + escape(o.description) + ", in " + escape(o.unit) + ".</p>\n";
        const OutputMaps m = load_maps(o);
        if (m.rasters.empty()) {
            out_ += "<p class=\"warn\">The GeoPackage holds no raster table of this output.</p>\n</section>\n";
            return;
        }
        const detail::MapFrame frame = detail::map_frame(m.grid, options_.min_map_width_px, options_.max_map_width_px);

        out_ += "<h4>Maps per scenario</h4>\n";
        out_ += std::string("<p class=\"note\">All scenarios use the same colour scale, ") +
                (m.style_from_gpkg ? "the one of the QGIS style stored with the layers"
                                   : "the range of the values over all scenarios (the GeoPackage stores no style for "
                                     "these layers)") +
                ".</p>\n<div class=\"maps\">\n";
        for (const auto& s : scenarios_) {
            const auto it = m.rasters.find(s.name);
            if (it == m.rasters.end()) continue;
            const auto mean = grid_mean(it->second);
            const std::string caption =
                "<b>" + escape(s.name) + "</b>" + (s.description.empty() ? "" : ": " + escape(s.description)) +
                "<br>mean over all cells with a value: " +
                (mean ? with_unit(fixed(*mean, m.decimals), o.unit) : std::string("no value"));
            out_ += map_figure(it->second, frame, m.style, s.name, o.name + ", scenario " + s.name, caption);
        }
        out_ += "</div>\n";
        legend(m.style, o.unit, m.decimals, o.name);
        out_ += scale_note(m, frame);

        if (!m.differences.empty()) {
            out_ += "<h4>Difference against " + escape(baseline_) + "</h4>\n<p class=\"note\">Scenario minus " +
                    escape(baseline_) + ": red where the value rises, blue where it falls, white where it stays the "
                    "same. One symmetric scale for all scenarios, up to the largest change anywhere.</p>\n<div class=\"maps\">\n";
            for (const auto& s : scenarios_) {
                const auto it = m.differences.find(s.name);
                if (it == m.differences.end()) continue;
                const auto mean = grid_mean(it->second);
                std::string change = mean ? fixed(*mean, m.decimals) : std::string("no value");
                if (mean && change.front() != '-' && change.find_first_not_of("0.,") != std::string::npos) change = "+" + change;
                const std::string caption = "<b>" + escape(s.name) + "</b> minus " + escape(baseline_) +
                                            "<br>mean change over all cells: " + with_unit(change, o.unit);
                out_ += map_figure(it->second, frame, m.diff_style, s.name,
                                   o.name + ", " + s.name + " minus " + baseline_, caption);
            }
            out_ += "</div>\n";
            legend(m.diff_style, o.unit, m.decimals, "the difference of " + o.name);
            out_ += scale_note(m, frame);
        }
        area_tables(o, m.decimals);
        out_ += "</section>\n";
    }

    const AreaTable* areas_of(const std::string& scenario) {
        auto it = areas_.find(scenario);
        if (it != areas_.end()) return it->second ? &*it->second : nullptr;
        const std::string table = "areas__" + scenario;
        std::optional<AreaTable> t;
        if (reader_.has_table(table)) t = reader_.areas(table);
        const auto& stored = areas_.emplace(scenario, std::move(t)).first->second;
        return stored ? &*stored : nullptr;
    }

    static std::string area_label(const AreaTable& t, std::size_t row) {
        const std::string& name = t.name[row];
        const std::string& code = t.code[row];
        if (name.empty() && code.empty()) return fmt::format("area {}", row + 1);
        if (code.empty()) return escape(name);
        if (name.empty()) return escape(code);
        return escape(name) + " <span class=\"note\">" + escape(code) + "</span>";
    }

    void area_tables(const OutputInfo& o, int decimals) {
        const std::string col = column_prefix(o.name);
        bool any = false;
        auto number_cell = [](const std::vector<std::optional<double>>* c, std::size_t row, int d, const std::string& unit,
                              bool signed_change = false) {
            if (c == nullptr || !(*c)[row])
                return std::string("<td class=\"num\" title=\"no value: no cells or no residents\">–</td>");
            std::string text = fixed(*(*c)[row], d);
            if (signed_change && text.front() != '-' && text.find_first_not_of("0.,") != std::string::npos) text = "+" + text;
            return "<td class=\"num\">" + with_unit(text, unit) + "</td>";
        };
        for (const auto& s : scenarios_) {
            const AreaTable* t = areas_of(s.name);
            if (t == nullptr || t->column(col + "_mean") == nullptr) continue;
            if (!any) {
                out_ += "<h4>Per area</h4>\n<p class=\"note\">From the table <code>areas__&lt;scenario&gt;</code>: "
                        "statistics over the cells of each area; percentiles P10, P50 (median) and P90 of the cell "
                        "values; the resident-weighted mean gives each cell the weight of the people living in it; "
                        "residents above a threshold live in cells whose value exceeds it.</p>\n";
                any = true;
            }
            const bool with_change = s.name != baseline_ && t->column(col + "_mean_change") != nullptr;
            out_ += "<details open>\n<summary>" + escape(s.name) + ": " + escape(o.name) + " per area</summary>\n";
            out_ += "<table class=\"areas\"><tr><th>Area</th><th>Residents</th><th>Mean</th><th>P10</th><th>P50</th>"
                    "<th>P90</th><th>Resident-weighted mean</th>";
            std::vector<std::pair<std::string, const std::vector<std::optional<double>>*>> above;
            for (double th : o.thresholds) {
                const auto* c = t->column(col + "_res_above_" + threshold_suffix(th));
                if (c == nullptr) continue;
                above.emplace_back(with_unit(plain_number(th), o.unit), c);
                out_ += "<th>Residents above " + above.back().first + "</th>";
            }
            if (with_change) out_ += "<th>Change of mean against " + escape(baseline_) + "</th>";
            out_ += "</tr>\n";
            const auto* residents = t->column("residents");
            for (std::size_t row = 0; row < t->rows; ++row) {
                out_ += "<tr><td>" + area_label(*t, row) + "</td>" + number_cell(residents, row, 0, "");
                for (const char* suffix : {"_mean", "_p10", "_p50", "_p90", "_popmean"})
                    out_ += number_cell(t->column(col + suffix), row, decimals, o.unit);
                for (const auto& [label, c] : above) out_ += number_cell(c, row, 0, "");
                if (with_change) out_ += number_cell(t->column(col + "_mean_change"), row, decimals, o.unit, true);
                out_ += "</tr>\n";
            }
            out_ += "</table>\n</details>\n";
        }
        if (!any) {
            out_ += "<p class=\"note\">The GeoPackage holds no per-area statistics of this output.</p>\n";
            return;
        }
        ranking(o, decimals, col);
    }

    void ranking(const OutputInfo& o, int decimals, const std::string& col) {
        std::string html;
        for (const auto& s : scenarios_) {
            if (s.name == baseline_) continue;
            const AreaTable* t = areas_of(s.name);
            if (t == nullptr) continue;
            const auto* change = t->column(col + "_mean_change");
            const auto* mean = t->column(col + "_mean");
            if (change == nullptr || mean == nullptr) continue;
            std::vector<std::size_t> rows;
            for (std::size_t r = 0; r < t->rows; ++r)
                if ((*change)[r]) rows.push_back(r);
            // Ties keep the table's row order, so the list is the same on every run.
            std::stable_sort(rows.begin(), rows.end(), [&](std::size_t a, std::size_t b) { return *(*change)[a] > *(*change)[b]; });
            auto item = [&](std::size_t r) {
                std::string text = fixed(*(*change)[r], decimals);
                if (text.front() != '-') text = "+" + text;
                return "<li>" + area_label(*t, r) + ": " + with_unit(text, o.unit) + " (mean now " +
                       with_unit((*mean)[r] ? fixed(*(*mean)[r], decimals) : std::string("–"), o.unit) + ")</li>\n";
            };
            const auto n = static_cast<std::size_t>(std::max(0, options_.ranking_length));
            // A change that rounds to zero at the table's precision is not listed as a gain or loss.
            const double visible = 0.5 * std::pow(10.0, -decimals);
            std::string up;
            std::string down;
            for (std::size_t i = 0; i < rows.size() && i < n; ++i)
                if (*(*change)[rows[i]] >= visible) up += item(rows[i]);
            for (std::size_t i = 0; i < rows.size() && i < n; ++i) {
                const std::size_t r = rows[rows.size() - 1 - i];
                if (*(*change)[r] <= -visible) down += item(r);
            }
            html += "<div><h5>" + escape(s.name) + " against " + escape(baseline_) + "</h5>";
            html += "<p>Largest increases of the area mean:</p>" +
                    (up.empty() ? std::string("<p class=\"note\">none</p>") : "<ol>" + up + "</ol>");
            html += "<p>Largest decreases of the area mean:</p>" +
                    (down.empty() ? std::string("<p class=\"note\">none</p>") : "<ol>" + down + "</ol>");
            html += "</div>\n";
        }
        if (html.empty()) return;
        out_ += "<h4>Ranking of areas</h4>\n<p class=\"note\">Whether an increase of " + escape(o.name) +
                " is a gain or a loss depends on what it measures: see its meaning above.</p>\n<div class=\"ranking\">\n" +
                html + "</div>\n";
    }

    fs::path gpkg_;
    ReportOptions options_;
    json manifest_;
    GpkgReader reader_;
    std::vector<ScenarioInfo> scenarios_;
    std::string baseline_;
    std::map<std::string, std::vector<detail::Outline>> outlines_;
    std::map<std::string, std::optional<AreaTable>> areas_;
    std::string out_;
};

void write_file_atomically(const fs::path& destination, const std::string& content) {
    std::error_code ec;
    const fs::path folder = destination.has_parent_path() ? destination.parent_path() : fs::path(".");
    if (!fs::is_directory(folder, ec))
        throw ConfigError(fmt::format("{}: the report's folder {} does not exist", destination.string(), folder.string()));
    if (fs::is_directory(destination, ec))
        throw ConfigError(fmt::format("{}: is a folder, not a file name for the report", destination.string()));
    const fs::path temp = fs::path(destination.string() + fmt::format(".partial-{}", ::getpid()));
    struct RemoveOnFailure {
        fs::path path;
        bool keep = false;
        ~RemoveOnFailure() {
            if (!keep) {
                std::error_code e;
                fs::remove(path, e);
            }
        }
    } guard{temp};
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        if (!out) throw ConfigError(fmt::format("{}: cannot write the report: {}", temp.string(), std::strerror(errno)));
        out.write(content.data(), static_cast<std::streamsize>(content.size()));
        out.close();
        if (!out) throw InternalError(fmt::format("{}: writing the report failed", temp.string()));
    }
    if (const int fd = ::open(temp.c_str(), O_RDONLY); fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
    fs::rename(temp, destination, ec);
    if (ec) throw InternalError(fmt::format("{}: cannot rename {} into place: {}", destination.string(), temp.string(), ec.message()));
    guard.keep = true;
}

}  // namespace

void write_report(const fs::path& gpkg, const fs::path& html_out, const ReportOptions& options) {
    if (options.min_map_width_px < 1 || options.max_map_width_px < options.min_map_width_px)
        throw ConfigError(fmt::format("{}: report map widths must satisfy 1 <= minimum ({}) <= maximum ({}) pixels",
                                      html_out.string(), options.min_map_width_px, options.max_map_width_px));
    ReportBuilder builder(gpkg, options);
    write_file_atomically(html_out, builder.build());
}

}  // namespace areatwin::io
