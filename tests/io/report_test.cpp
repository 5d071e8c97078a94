// SPDX-License-Identifier: GPL-3.0-or-later
#include "areatwin/io/report.hpp"

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <cpl_vsi.h>
#include <gdal.h>
#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "areatwin/engine/errors.hpp"
#include "support/synthetic.hpp"
#include "areatwin/io/gpkg_writer.hpp"
#include "report_png.hpp"
#include "styles.hpp"

namespace areatwin::io {
namespace {
namespace fs = std::filesystem;

// 30 x 20 cells of 10 m: narrower than 600 px, so the report enlarges it 20 times.
constexpr int kCols = 30;
constexpr int kRows = 20;
constexpr int kFactor = 20;

GridSpec test_grid() {
    GridSpec g;
    g.origin_x = 155000.0;
    g.origin_y = 463000.0;
    g.cell_size_m = 10.0;
    g.cols = kCols;
    g.rows = kRows;
    g.crs = "EPSG:28992";
    return g;
}

using test::TempDir;

fs::path fresh_dir(const std::string& name) { return test::test_tmp_dir("report_" + name); }

nlohmann::json test_manifest() {
    return nlohmann::json::parse(R"({
      "engine": {"name": "areatwin", "version": "9.8.7", "commit": "0123456789abcdef"},
      "batch": {"file": "/data/test.yaml", "name": "report_test_batch", "sha256": "ab", "size_bytes": 12},
      "grid": {"crs": "EPSG:28992", "origin_x": 155000.0, "origin_y": 463000.0, "cell_size_m": 10.0,
               "cols": 30, "rows": 20},
      "inputs": [{"role": "landcover", "path": "/data/landcover.gpkg", "size_bytes": 4096,
                  "sha256": "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"}],
      "indicators": [{
        "id": "green.share", "version": "1.0", "summary": "Share of green land cover within a radius",
        "method": "Disc average of the green fraction", "validity": "Cell sizes up to 25 m",
        "assumptions": "Water counts as not green",
        "parameters": [{"name": "radius_m", "unit": "m", "description": "radius of the disc", "type": "number list",
                        "default": [300], "min": 10, "max": 2000}],
        "parameters_in_effect": {"radius_m": 100},
        "outputs": [{"name": "green_share_r100", "unit": "%", "description": "Share of green within 100 m",
                     "thresholds": [50]}]
      }],
      "scenarios": [{"name": "baseline", "description": "Today", "base": "", "edits": []},
                    {"name": "plan_b", "description": "A new park", "base": "baseline",
                     "edits": ["paint grass inside park.gpkg:park"]}],
      "warnings": ["landcover: 3 features repaired"],
      "run": {"threads": 2}
    })");
}

// Baseline: value = col * 2 (0..58 %), nodata at cell (0, 0). Plan: the baseline plus 10 in the
// left half.
Raster baseline_raster() {
    Raster r(kCols, kRows, 0.0f);
    for (int row = 0; row < kRows; ++row)
        for (int col = 0; col < kCols; ++col) r.at(col, row) = static_cast<float>(col * 2);
    r.at(0, 0) = Raster::nodata;
    r.at(25, 10) = 50.0f;
    return r;
}

Raster plan_raster() {
    Raster r = baseline_raster();
    for (int row = 0; row < kRows; ++row)
        for (int col = 0; col < kCols / 2; ++col)
            if (!std::isnan(r.at(col, row))) r.at(col, row) += 10.0f;
    return r;
}

Geometry square(double x0, double y0, double size) {
    Geometry g;
    g.kind = Geometry::Kind::Polygon;
    g.polygons.push_back({{{{x0, y0}, {x0 + size, y0}, {x0 + size, y0 + size}, {x0, y0 + size}, {x0, y0}}}});
    return g;
}

VectorLayerOut areas_layer(const std::string& scenario, bool with_change) {
    VectorLayerOut layer;
    layer.table = "areas__" + scenario;
    layer.description = "areas";
    layer.geometries = {square(155000.0, 462800.0, 150.0), square(155150.0, 462800.0, 150.0)};
    layer.columns = {
        {"code", "area code", true, {}, {"BU001", "BU002"}},
        {"name", "area name", true, {}, {"Oud Centrum", "Parkwijk"}},
        {"residents", "residents", false, {1520.0, 87.0}, {}},
        {"green_share_r100_mean", "mean", false, {42.31, 61.77}, {}},
        {"green_share_r100_p10", "p10", false, {12.04, 40.0}, {}},
        {"green_share_r100_p50", "p50", false, {43.96, 60.0}, {}},
        {"green_share_r100_p90", "p90", false, {71.12, std::nullopt}, {}},
        {"green_share_r100_popmean", "popmean", false, {38.57, 58.0}, {}},
        {"green_share_r100_res_above_50", "residents above 50", false, {344.0, 87.0}, {}},
    };
    if (with_change) layer.columns.push_back({"green_share_r100_mean_change", "change", false, {1.26, -0.74}, {}});
    return layer;
}

// A GeoPackage as the batch runner writes it: two scenarios, one output, areas, outlines, manifest.
void write_test_gpkg(const fs::path& path, bool with_manifest = true) {
    const GridSpec grid = test_grid();
    const Raster base = baseline_raster();
    const Raster plan = plan_raster();
    Raster diff(kCols, kRows);
    for (std::size_t i = 0; i < diff.values().size(); ++i) diff.values()[i] = plan.values()[i] - base.values()[i];
    GeoPackageWriter writer(path, grid);
    writer.add_raster({"baseline__green_share_r100", "green share, baseline", "%", &base, {"green", 0.0, 100.0}});
    writer.add_raster({"plan_b__green_share_r100", "green share, plan_b", "%", &plan, {"green", 0.0, 100.0}});
    writer.add_raster({"diff__plan_b__green_share_r100", "difference", "%", &diff, {"diverging", -10.0, 10.0}});
    writer.add_vector(areas_layer("baseline", false));
    writer.add_vector(areas_layer("plan_b", true));
    // One building covering cells (20..21, 15..16): its outline runs along x = 155200 from y = 462830 up.
    VectorLayerOut buildings;
    buildings.table = "buildings__plan_b";
    buildings.description = "buildings";
    buildings.geometries = {square(155200.0, 462830.0, 20.0)};
    buildings.columns = {{"height_m", "height", false, {9.0}, {}}};
    writer.add_vector(buildings);
    if (with_manifest) writer.set_manifest(test_manifest());
    writer.commit();
}

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string base64_decode(const std::string& text) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (char c : text) {
        const int v = value(c);
        if (v < 0) continue;  // padding
        buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xff);
        }
    }
    return out;
}

struct EmbeddedImage {
    std::string css_class;
    std::string png;
    int width_attr = 0;
    int height_attr = 0;
    std::string alt;
};

std::vector<EmbeddedImage> embedded_images(const std::string& html) {
    std::vector<EmbeddedImage> out;
    const std::regex img(
        R"re(<img class="([a-z]+)" src="data:image/png;base64,([A-Za-z0-9+/=]+)" width="(\d+)" height="(\d+)" alt="([^"]*)">)re");
    for (auto it = std::sregex_iterator(html.begin(), html.end(), img); it != std::sregex_iterator(); ++it) {
        out.push_back({(*it)[1].str(), base64_decode((*it)[2].str()), std::stoi((*it)[3].str()),
                       std::stoi((*it)[4].str()), (*it)[5].str()});
    }
    return out;
}

std::uint32_t big_endian(const std::string& s, std::size_t at) {
    return (static_cast<std::uint32_t>(static_cast<unsigned char>(s[at])) << 24) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 1])) << 16) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 2])) << 8) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 3]));
}

// The RGBA value of one pixel, decoded by GDAL's PNG driver from memory.
std::array<int, 4> pixel(const std::string& png, int x, int y) {
    GDALAllRegister();
    const std::string name = "/vsimem/report_test_pixel.png";
    VSILFILE* f = VSIFileFromMemBuffer(name.c_str(), reinterpret_cast<GByte*>(const_cast<char*>(png.data())),
                                       static_cast<vsi_l_offset>(png.size()), FALSE);
    VSIFCloseL(f);
    GDALDatasetH ds = GDALOpen(name.c_str(), GA_ReadOnly);
    std::array<int, 4> rgba{-1, -1, -1, -1};
    if (ds != nullptr) {
        for (int b = 0; b < GDALGetRasterCount(ds) && b < 4; ++b) {
            GByte v = 0;
            if (GDALRasterIO(GDALGetRasterBand(ds, b + 1), GF_Read, x, y, 1, 1, &v, 1, 1, GDT_Byte, 0, 0) == CE_None)
                rgba[static_cast<std::size_t>(b)] = v;
        }
        GDALClose(ds);
    }
    VSIUnlink(name.c_str());
    return rgba;
}

class ReportTest : public ::testing::Test {
protected:
    void SetUp() override {
        write_test_gpkg(dir.path / "batch.gpkg");
        write_report(dir.path / "batch.gpkg", dir.path / "batch.html");
        html = read_text(dir.path / "batch.html");
        images = embedded_images(html);
    }

    const EmbeddedImage& image_with_alt(const std::string& alt) {
        for (const auto& i : images)
            if (i.alt == alt) return i;
        ADD_FAILURE() << "no image with alt text '" << alt << "'";
        static const EmbeddedImage none;
        return none;
    }

    TempDir dir{"report"};
    std::string html;
    std::vector<EmbeddedImage> images;
};

TEST_F(ReportTest, WritesOneHtmlFileAndNoTemporaryFiles) {
    ASSERT_TRUE(fs::is_regular_file(dir.path / "batch.html"));
    EXPECT_TRUE(html.starts_with("<!DOCTYPE html>"));
    EXPECT_NE(html.find("</html>"), std::string::npos);
    for (const auto& entry : fs::directory_iterator(dir.path)) {
        const std::string name = entry.path().filename().string();
        EXPECT_TRUE(name == "batch.gpkg" || name == "batch.html") << "unexpected file " << name;
    }
}

TEST_F(ReportTest, HeaderShowsBatchEngineGridInputsAndWarnings) {
    EXPECT_NE(html.find("report_test_batch"), std::string::npos);
    EXPECT_NE(html.find("9.8.7"), std::string::npos);
    EXPECT_NE(html.find("title=\"0123456789abcdef\">0123456789ab<"), std::string::npos);
    EXPECT_NE(html.find("30 × 20 cells of 10 m × 10 m"), std::string::npos);
    EXPECT_NE(html.find("/data/landcover.gpkg"), std::string::npos);
    // Short SHA-256 visible, full one in the title attribute.
    EXPECT_NE(html.find("title=\"5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef\">5f70bf18a086…<"),
              std::string::npos);
    EXPECT_NE(html.find("landcover: 3 features repaired"), std::string::npos);
}

TEST_F(ReportTest, NamesEveryScenarioAndOutputWithItsUnit) {
    for (const char* s : {"baseline", "plan_b", "Today", "A new park", "paint grass inside park.gpkg:park"})
        EXPECT_NE(html.find(s), std::string::npos) << s;
    EXPECT_NE(html.find("green_share_r100 (%)"), std::string::npos);
    EXPECT_NE(html.find("Share of green within 100 m"), std::string::npos);
}

TEST_F(ReportTest, ModelCardExplainsEveryNumber) {
    EXPECT_NE(html.find("Disc average of the green fraction"), std::string::npos);
    EXPECT_NE(html.find("Cell sizes up to 25 m"), std::string::npos);
    EXPECT_NE(html.find("Water counts as not green"), std::string::npos);
    // The parameter in effect with its unit and meaning, next to its default and range.
    EXPECT_NE(html.find("<code>radius_m</code></td><td class=\"num\">100 m</td><td>radius of the disc</td>"),
              std::string::npos);
    EXPECT_NE(html.find("10 to 2,000 m"), std::string::npos);
    EXPECT_NE(html.find("50 %"), std::string::npos);  // the threshold, with its unit
}

TEST_F(ReportTest, AreaTablesShowFormattedValuesFromTheAreasLayer) {
    for (const char* s : {"Oud Centrum", "BU001", "Parkwijk", "BU002", "1,520", ">87<", "42.3 %", "61.8 %", "12.0 %",
                          "44.0 %", "71.1 %", "38.6 %", ">344<", "+1.3 %", "-0.7 %", "Residents above 50 %"})
        EXPECT_NE(html.find(s), std::string::npos) << s;
    // A NULL (the p90 of Parkwijk) is shown as missing, never as 0.
    EXPECT_NE(html.find("title=\"no value: no cells or no residents\">–</td>"), std::string::npos);
    // The ranking: Oud Centrum gains the most, Parkwijk loses the most.
    const auto ranking = html.find("Ranking of areas");
    ASSERT_NE(ranking, std::string::npos);
    const auto up = html.find("Largest increases", ranking);
    const auto down = html.find("Largest decreases", ranking);
    ASSERT_NE(up, std::string::npos);
    ASSERT_NE(down, std::string::npos);
    const auto oud = html.find("Oud Centrum", up);
    const auto park = html.find("Parkwijk", down);
    EXPECT_LT(oud, down);
    EXPECT_NE(park, std::string::npos);
}

TEST_F(ReportTest, ImagesAreValidPngsOfTheDeclaredSize) {
    // Two maps, one difference map, two colour bars.
    ASSERT_EQ(images.size(), 5u);
    for (const auto& image : images) {
        ASSERT_GE(image.png.size(), 33u);
        EXPECT_EQ(image.png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
        EXPECT_EQ(image.png.substr(12, 4), "IHDR");
        EXPECT_EQ(big_endian(image.png, 16), static_cast<std::uint32_t>(image.width_attr));
        EXPECT_EQ(big_endian(image.png, 20), static_cast<std::uint32_t>(image.height_attr));
    }
    const auto& map = image_with_alt("green_share_r100, scenario baseline");
    EXPECT_EQ(map.width_attr, kCols * kFactor);
    EXPECT_EQ(map.height_attr, kRows * kFactor);
}

TEST_F(ReportTest, MapPixelsFollowTheRampAndNodataIsTransparent) {
    const auto& base = image_with_alt("green_share_r100, scenario baseline");
    // Cell (0, 0) is nodata.
    EXPECT_EQ(pixel(base.png, 5, 5)[3], 0);
    // Cell (25, 10) holds 50 %: the middle stop of the green ramp (#74c476) on 0..100.
    EXPECT_EQ(pixel(base.png, 25 * kFactor + 7, 10 * kFactor + 7), (std::array<int, 4>{116, 196, 118, 255}));
    // Cell (1, 3) holds 2 %: 2 % of the way from white to #74c476 over half the ramp.
    EXPECT_EQ(pixel(base.png, 1 * kFactor + 7, 3 * kFactor + 7), (std::array<int, 4>{249, 253, 250, 255}));

    // The difference map: +10 in the left half is the top of the symmetric scale (dark red), 0 is white.
    const auto& diff = image_with_alt("green_share_r100, plan_b minus baseline");
    EXPECT_EQ(pixel(diff.png, 3 * kFactor + 7, 3 * kFactor + 7), (std::array<int, 4>{178, 24, 43, 255}));
    EXPECT_EQ(pixel(diff.png, 28 * kFactor + 7, 3 * kFactor + 7), (std::array<int, 4>{255, 255, 255, 255}));

    // The building of plan_b: its west edge x = 155200 is pixel column 20 * 20 = 400, between rows
    // y = 462850 (pixel 300) and y = 462830 (pixel 340), drawn dark grey over the map.
    const auto& plan = image_with_alt("green_share_r100, scenario plan_b");
    EXPECT_EQ(pixel(plan.png, 400, 320), (std::array<int, 4>{64, 64, 64, 255}));
    EXPECT_NE(pixel(plan.png, 395, 320), (std::array<int, 4>{64, 64, 64, 255}));
    // The baseline has no building table: no outline there.
    EXPECT_NE(pixel(base.png, 400, 320), (std::array<int, 4>{64, 64, 64, 255}));
}

TEST_F(ReportTest, SameGeoPackageGivesTheSameBytes) {
    write_report(dir.path / "batch.gpkg", dir.path / "again.html");
    EXPECT_EQ(read_text(dir.path / "again.html"), html);
}

TEST_F(ReportTest, PageReportsItsImagesWhenLoaded) {
    EXPECT_NE(html.find("document.body.dataset.imagesOk"), std::string::npos);
    EXPECT_NE(html.find("data-images-ok=\"pending\""), std::string::npos);
}

// The PNG colours agree with the QGIS style: at every value the QML lists, raster_style_colour gives
// that item's colour (for the discrete noise classes: at the class's upper bound, which QGIS includes).
TEST(ReportColours, AgreeWithTheQgisStyleOfEveryRamp) {
    const std::vector<RasterStyle> styles{{"green", 0.0, 100.0},  {"heat", 20.0, 45.0},  {"viridis", -3.0, 7.5},
                                          {"diverging", -4.0, 10.0}, {"noise", 40.0, 80.0}, {"noise", 37.0, 71.0}};
    const std::regex item(R"re(<item alpha="255" value="([^"]+)" label="[^"]*" color="#([0-9a-f]{6})"/>)re");
    for (const auto& style : styles) {
        const std::string qml = detail::raster_style_qml(style, "t");
        int items = 0;
        for (auto it = std::sregex_iterator(qml.begin(), qml.end(), item); it != std::sregex_iterator(); ++it, ++items) {
            const std::string value_text = (*it)[1].str();
            const double value = value_text == "inf" ? style.max + 1000.0 : std::stod(value_text);
            const auto c = detail::raster_style_colour(style, value);
            char hex[8];
            std::snprintf(hex, sizeof hex, "%02x%02x%02x", c.r, c.g, c.b);
            EXPECT_EQ(std::string(hex), (*it)[2].str()) << style.ramp << " at " << value_text;
        }
        EXPECT_GE(items, 3) << style.ramp;
    }
    // Below the range: the first colour; NaN never reaches the ramp (it is transparent).
    const auto below = detail::raster_style_colour({"green", 0.0, 100.0}, -5.0);
    EXPECT_EQ((std::array<int, 3>{below.r, below.g, below.b}), (std::array<int, 3>{255, 255, 255}));
    // The noise class 50-55 dB takes 55 dB itself and starts again just above it.
    const auto at55 = detail::raster_style_colour({"noise", 40.0, 80.0}, 55.0);
    const auto above55 = detail::raster_style_colour({"noise", 40.0, 80.0}, 55.01);
    EXPECT_EQ((std::array<int, 3>{at55.r, at55.g, at55.b}), (std::array<int, 3>{226, 242, 191}));
    EXPECT_EQ((std::array<int, 3>{above55.r, above55.g, above55.b}), (std::array<int, 3>{243, 198, 131}));
}

// Explicit classes (the PET classes of a heat map, say): the QML lists each class with its upper bound
// and label, the PNG colour follows the same discrete rule, and bad classes are refused by name.
TEST(ReportColours, ExplicitClassesAreDiscreteInQmlAndPng) {
    RasterStyle style{"viridis", 0.0, 50.0,
                      {{0.0, "#2c7bb6", "cold & < 18"}, {18.0, "#ffffbf", "comfortable"}, {35.0, "#d7191c", "strong"}}};
    const std::string qml = detail::raster_style_qml(style, "t");
    EXPECT_NE(qml.find("colorRampType=\"DISCRETE\""), std::string::npos);
    EXPECT_NE(qml.find("value=\"18\" label=\"cold &amp; &lt; 18\" color=\"#2c7bb6\""), std::string::npos);
    EXPECT_NE(qml.find("value=\"35\" label=\"comfortable\" color=\"#ffffbf\""), std::string::npos);
    EXPECT_NE(qml.find("value=\"inf\" label=\"strong\" color=\"#d7191c\""), std::string::npos);
    auto colour = [&](double v) {
        const auto c = detail::raster_style_colour(style, v);
        return std::array<int, 3>{c.r, c.g, c.b};
    };
    EXPECT_EQ(colour(-10.0), (std::array<int, 3>{0x2c, 0x7b, 0xb6})) << "below the first class: its colour";
    EXPECT_EQ(colour(18.0), (std::array<int, 3>{0x2c, 0x7b, 0xb6})) << "a break belongs to the lower class, as in QGIS";
    EXPECT_EQ(colour(18.5), (std::array<int, 3>{0xff, 0xff, 0xbf}));
    EXPECT_EQ(colour(99.0), (std::array<int, 3>{0xd7, 0x19, 0x1c})) << "the last class is open-ended";

    RasterStyle bad = style;
    bad.classes[1].colour = "yellow";
    EXPECT_THROW((void)detail::raster_style_qml(bad, "t"), ConfigError);
    bad = style;
    bad.classes[2].lower = 10.0;
    try {
        (void)detail::raster_style_qml(bad, "baseline__heat_pet");
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("baseline__heat_pet"), std::string::npos);
    }

    const std::string points = detail::point_style_qml(style, "pet_c", "p");
    EXPECT_NE(points.find("graduatedSymbol\" attr=\"pet_c\""), std::string::npos);
    EXPECT_NE(points.find("lower=\"18\" upper=\"35\" symbol=\"1\" label=\"comfortable\""), std::string::npos);
    const std::string noise_points = detail::point_style_qml({"noise", 40.0, 80.0, {}}, "lden", "p");
    EXPECT_NE(noise_points.find("lower=\"50\" upper=\"55\""), std::string::npos) << "the 5 dB classes";
}

// Small grids are enlarged by a whole factor, large ones reduced, mid-sized ones drawn one pixel per cell.
TEST(ReportMaps, FrameKeepsCellsSquareWithinTheWidthLimits) {
    GridSpec g = test_grid();
    g.cols = 150;
    g.rows = 100;
    auto f = detail::map_frame(g, 600, 1200);
    EXPECT_EQ(f.width_px, 600);
    EXPECT_EQ(f.height_px, 400);
    EXPECT_DOUBLE_EQ(f.pixel_size_m, 2.5);
    g.cols = 700;
    f = detail::map_frame(g, 600, 1200);
    EXPECT_EQ(f.width_px, 700);
    EXPECT_EQ(f.height_px, 100);
    g.cols = 2400;
    g.rows = 1000;
    f = detail::map_frame(g, 600, 1200);
    EXPECT_EQ(f.width_px, 1200);
    EXPECT_EQ(f.height_px, 500);
    EXPECT_DOUBLE_EQ(f.pixel_size_m, 20.0);
    // Reduced: each pixel shows the cell under its centre, here every second cell.
    Raster r(2400, 1000, 0.0f);
    for (std::int64_t row = 0; row < 1000; ++row)
        for (std::int64_t col = 0; col < 2400; col += 2) r.at(col, row) = Raster::nodata;
    const auto image = detail::render_raster(r, f, {"green", 0.0, 100.0});
    for (std::size_t px = 0; px < 1200; ++px) ASSERT_EQ(image.rgba[px * 4 + 3], 255) << px;  // odd cells only
}

TEST(ReportErrors, MissingGeoPackageIsADataErrorNamingIt) {
    TempDir dir("missing");
    const fs::path missing = dir.path / "nothing-here.gpkg";
    try {
        write_report(missing, dir.path / "out.html");
        FAIL() << "expected DataError";
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find(missing.string()), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(dir.path / "out.html"));
}

TEST(ReportErrors, GeoPackageWithoutManifestIsADataErrorNamingIt) {
    TempDir dir("no-manifest");
    const fs::path gpkg = dir.path / "bare.gpkg";
    write_test_gpkg(gpkg, false);
    try {
        write_report(gpkg, dir.path / "out.html");
        FAIL() << "expected DataError";
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find(gpkg.string()), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("manifest"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(dir.path / "out.html"));
}

TEST(ReportErrors, MissingOutputFolderIsAConfigErrorNamingIt) {
    TempDir dir("no-folder");
    write_test_gpkg(dir.path / "batch.gpkg");
    const fs::path out = dir.path / "no" / "such" / "folder" / "r.html";
    try {
        write_report(dir.path / "batch.gpkg", out);
        FAIL() << "expected ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find(out.string()), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace areatwin::io
