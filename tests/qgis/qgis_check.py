#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Open an areatwin GeoPackage in real QGIS (headless) and check every layer and its style.

Runs a small batch on the sample data (green.share and heat.pet, a baseline and one paint edit; about
a second), then with QGIS's own Python API:

- opens every raster table ("GPKG:<path>:<table>", gdal provider) and every vector table
  ("<path>|layername=<table>", ogr provider) listed in gpkg_contents, and the manifest table; each
  must be valid;
- checks that each layer's default style from layer_styles applies: vector layers get it from QGIS
  itself (the ogr provider reads layer_styles); raster layers get it automatically only where the
  gdal provider implements style storage (newer than QGIS 3.22, whose gdal provider does not), and
  are otherwise given the styleQML of their layer_styles row explicitly, as a user of such a
  release does by loading the styleQML as a .qml file (see docs/output.md);
- renders one raster and one vector layer to 800 x 800 PNGs and checks that each has more than 10
  distinct colours and that pixels of known value have the colour the style gives them.

Exit code 0 when everything passes, 1 on a failure, 77 (CTest's SKIP_RETURN_CODE) when QGIS's
Python bindings are not installed.
"""
import argparse
import os
import sqlite3
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

SKIP = 77

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--areatwin", required=True, help="the areatwin binary")
parser.add_argument("--samples", required=True, help="the data-samples folder (sample.gpkg, plans.gpkg)")
parser.add_argument("--workdir", required=True, help="folder for the batch, the GeoPackage and the PNGs")
args = parser.parse_args()

workdir = Path(args.workdir).resolve()
workdir.mkdir(parents=True, exist_ok=True)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
runtime_dir = workdir / "xdg-runtime"
runtime_dir.mkdir(mode=0o700, exist_ok=True)
os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime_dir))

try:
    from qgis.core import (  # noqa: E402
        Qgis,
        QgsApplication,
        QgsColorRampShader,
        QgsGeometry,
        QgsMapRendererSequentialJob,
        QgsMapSettings,
        QgsProviderRegistry,
        QgsRasterLayer,
        QgsSingleBandPseudoColorRenderer,
        QgsVectorLayer,
    )
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor
    from qgis.PyQt.QtXml import QDomDocument
except ImportError as e:
    print(f"SKIP: QGIS's Python bindings are not available ({e}); install python3-qgis", flush=True)
    sys.exit(SKIP)

passed = 0
failures = []


def check(ok, what):
    global passed
    if ok:
        passed += 1
    else:
        failures.append(what)
        print(f"FAIL: {what}", flush=True)
    return ok


# ---------------------------------------------------------------------------------------------
# 1. The GeoPackage: a small batch on the sample data.
samples = Path(args.samples).resolve()
batch = workdir / "qgis_check.yaml"
gpkg = workdir / "demo.gpkg"
batch.write_text(f"""# Written by tests/qgis/qgis_check.py: green shares and PET on the sample area, baseline and one plan.
name: qgis_check
area:
  crs: EPSG:28992
  cell_size_m: 10
  bbox: [136000, 455000, 137500, 456500]
inputs:
  buildings:
    - source: {samples}/sample.gpkg
      layer: buildings
      fields:
        height_m: {{field: hoogte, unit: m, default: 9}}
        dwellings: woningen
        use: gebruik
        name: identificatie
  landcover:
    - source: {samples}/sample.gpkg
      layer: landcover
      class_field: klasse
      classes:
        verhard: paved
        gebouw: building
        gras: grass
        bomen: trees
        struiken: shrubs
        water: water
        kaal: bare
        landbouw: agriculture
  trees:
    - source: {samples}/sample.gpkg
      layer: trees
      fields: {{height_m: boomhoogte, crown_diameter_m: kroondiameter, species: soort}}
  dem:
    - source: {samples}/dem.tif
  population:
    - source: {samples}/sample.gpkg
      layer: addresses
      fields: {{residents: inwoners, dwellings: woningen}}
  areas:
    - source: {samples}/sample.gpkg
      layer: buurten
      fields: {{code: buurtcode, name: buurtnaam, residents: aantal_inwoners}}
indicators:
  green.share:
    radius_m: [100]
  heat.pet: {{}}
scenarios:
  - name: baseline
    description: Current situation
  - name: new_park
    description: The former works site becomes a park
    edits:
      - paint: {{class: grass, inside: {{source: {samples}/plans.gpkg, layer: new_park}}}}
outputs:
  path: demo.gpkg
""")
if gpkg.exists():
    gpkg.unlink()
run = subprocess.run([args.areatwin, "run", str(batch), "-o", str(gpkg), "--quiet", "--no-report"],
                     capture_output=True, text=True, timeout=240)
if run.returncode != 0 or not gpkg.exists():
    print(f"FAIL: areatwin run exited {run.returncode}\n{run.stdout}\n{run.stderr}", flush=True)
    sys.exit(1)

with sqlite3.connect(f"file:{gpkg}?mode=ro", uri=True) as db:
    contents = db.execute("SELECT table_name, data_type FROM gpkg_contents ORDER BY table_name").fetchall()
    style_rows = db.execute("SELECT f_table_catalog, f_table_schema, f_table_name, f_geometry_column, styleQML, "
                            "useAsDefault FROM layer_styles").fetchall()
rasters = [t for t, kind in contents if kind in ("2d-gridded-coverage", "tiles")]
vectors = [t for t, kind in contents if kind == "features"]
styles = {}
for catalog, schema, table, geom_column, qml, default in style_rows:
    check(table not in styles, f"{table}: exactly one layer_styles row")
    styles[table] = (catalog, schema, geom_column, qml, default)
# green.share gives 1 output, heat.pet 5; each scenario has its own, new_park also the differences.
check(len(rasters) == 18, f"18 raster tables, found {len(rasters)}: {rasters}")
check(len(vectors) == 4, f"four vector tables, found {vectors}")
check(set(styles) == set(rasters) | set(vectors), "layer_styles has a row for every layer and no other")

# ---------------------------------------------------------------------------------------------
# 2. QGIS.
QgsApplication.setPrefixPath("/usr", True)
profile = workdir / "qgis-profile"  # QGIS's settings for this run, not the user's
shutil.rmtree(profile, ignore_errors=True)
profile.mkdir()
app = QgsApplication([], False, str(profile))
app.initQgis()
print(f"QGIS {Qgis.QGIS_VERSION}", flush=True)
def qgis_checks():
    """Every QGIS object lives in this function, so all are gone before exitQgis()."""
    registry = QgsProviderRegistry.instance()
    check(registry.providerMetadata("gdal") is not None and registry.providerMetadata("ogr") is not None,
          "QGIS has the gdal and ogr providers")


    def parse_qml(qml):
        return ET.fromstring(qml.split("\n", 1)[1] if qml.startswith("<!DOCTYPE") else qml)


    def rgb(c):
        return (c.red(), c.green(), c.blue())


    def close(a, b, tolerance):
        return all(abs(x - y) <= tolerance for x, y in zip(a, b))


    # The gdal provider's style storage: -1 from listStyles means "not implemented" (QGIS 3.22).
    def gdal_reads_styles(uri):
        result = registry.providerMetadata("gdal").listStyles(uri, [], [], [], "")
        count = result[0] if isinstance(result, tuple) else result
        return count >= 0


    def apply_qml(layer, qml):
        """Apply a QML document the way Load Style does; returns (ok, message)."""
        doc = QDomDocument()
        parsed = doc.setContent(qml)
        if not (parsed[0] if isinstance(parsed, tuple) else parsed):
            return False, "QML does not parse"
        result = layer.importNamedStyle(doc)
        ok, message = result if isinstance(result, tuple) else (result, "")
        layer.triggerRepaint()
        return ok, message


    raster_layers = {}
    for table in rasters:
        uri = f"GPKG:{gpkg}:{table}"
        layer = QgsRasterLayer(uri, table, "gdal")
        if not check(layer.isValid(), f"{table}: raster layer is valid in QGIS"):
            continue
        check(layer.bandCount() == 1 and layer.dataProvider().dataType(1) == Qgis.Float32,
              f"{table}: one Float32 band")
        check(layer.dataProvider().sourceHasNoDataValue(1) and layer.dataProvider().sourceNoDataValue(1) == -9999,
              f"{table}: nodata -9999")
        check(layer.crs().authid() == "EPSG:28992", f"{table}: CRS EPSG:28992, got {layer.crs().authid()}")
        if not check(table in styles, f"{table}: has a layer_styles row"):
            continue
        catalog, schema, geom_column, qml, default = styles[table]
        # The row newer QGIS releases look up for a GeoPackage raster (QgsOgrUtils::loadStoredStyle with the
        # table name and an empty geometry column).
        check(schema == "" and geom_column == "" and default == 1, f"{table}: raster style row keyed as QGIS expects")
        if gdal_reads_styles(uri):
            print(f"{table}: this QGIS's gdal provider reads layer_styles; checking the automatic style", flush=True)
        else:
            ok, message = apply_qml(layer, qml)
            check(ok, f"{table}: styleQML from layer_styles applies ({message})")
        renderer = layer.renderer()
        if not check(isinstance(renderer, QgsSingleBandPseudoColorRenderer),
                     f"{table}: renderer is singlebandpseudocolor, got {type(renderer).__name__}"):
            continue
        root = parse_qml(qml)
        shader_xml = root.find("./pipe/rasterrenderer/rastershader/colorrampshader")
        expected_items = [(float(i.get("value")), QColor(i.get("color"))) for i in shader_xml.findall("item")]
        expected_type = {"INTERPOLATED": QgsColorRampShader.Interpolated, "DISCRETE": QgsColorRampShader.Discrete,
                         "EXACT": QgsColorRampShader.Exact}[shader_xml.get("colorRampType")]
        expected_min, expected_max = float(shader_xml.get("minimumValue")), float(shader_xml.get("maximumValue"))
        shader = renderer.shader().rasterShaderFunction()
        check(abs(renderer.classificationMin() - expected_min) < 1e-6 and
              abs(renderer.classificationMax() - expected_max) < 1e-6,
              f"{table}: renderer range [{renderer.classificationMin()}, {renderer.classificationMax()}] is the "
              f"style's [{expected_min}, {expected_max}]")
        items = shader.colorRampItemList()
        check(len(items) == len(expected_items) and
              all((a.value == v or abs(a.value - v) < 1e-6) and rgb(a.color) == rgb(c)  # == for the open end, inf
                  for a, (v, c) in zip(items, expected_items)),
              f"{table}: the colour ramp items are the style's")
        if table.endswith("__green_share_r100") and not table.startswith("diff__"):
            # docs/output.md: the green ramp is #ffffff, #74c476, #00441b over the 0-100 % range.
            check([(round(i.value, 6), i.color.name()) for i in items] ==
                  [(0.0, "#ffffff"), (50.0, "#74c476"), (100.0, "#00441b")],
                  f"{table}: the documented green ramp over 0-100 %")
        check(shader.colorRampType() == expected_type, f"{table}: {shader_xml.get('colorRampType')} ramp")
        raster_layers[table] = (layer, expected_items)

    vector_layers = {}
    for table in vectors:
        layer = QgsVectorLayer(f"{gpkg}|layername={table}", table, "ogr")
        if not check(layer.isValid(), f"{table}: vector layer is valid in QGIS"):
            continue
        check(layer.featureCount() > 0, f"{table}: has features")
        check(layer.crs().authid() == "EPSG:28992", f"{table}: CRS EPSG:28992, got {layer.crs().authid()}")
        if not check(table in styles, f"{table}: has a layer_styles row"):
            continue
        qml = styles[table][3]
        # QGIS applied the default style when the layer was created; it also lists and reloads it.
        listed = layer.listStylesInDatabase()
        check(listed[0] >= 1 and table in listed[2], f"{table}: QGIS lists the style in the GeoPackage: {listed[:3]}")
        renderer_xml = parse_qml(qml).find("renderer-v2")
        check(layer.renderer().type() == renderer_xml.get("type"),
              f"{table}: QGIS applied the {renderer_xml.get('type')} renderer, got {layer.renderer().type()}")
        if renderer_xml.get("type") == "singleSymbol":
            props = {p.get("k"): p.get("v") for p in renderer_xml.find("./symbols/symbol/layer").findall("prop")}
            symbol_layer = layer.renderer().symbol().symbolLayer(0)
            actual = symbol_layer.properties()
            for key in ("color", "outline_color", "line_color"):
                if key in props:
                    check(actual.get(key) == props[key],
                          f"{table}: symbol {key} {actual.get(key)} is the style's {props[key]}")
        message, ok = layer.loadDefaultStyle()
        check(ok, f"{table}: loadDefaultStyle succeeds ({message})")
        check(layer.renderer().type() == renderer_xml.get("type"), f"{table}: default style reloads")
        vector_layers[table] = (layer, renderer_xml)

    manifest = QgsVectorLayer(f"{gpkg}|layername=areatwin_manifest", "areatwin_manifest", "ogr")
    check(manifest.isValid() and manifest.featureCount() == 1, "areatwin_manifest opens as a table with one row")
    if manifest.isValid():
        value = next(manifest.getFeatures())["value"]
        check(isinstance(value, str) and value.startswith("{") and '"engine"' in value,
              "areatwin_manifest's value is the JSON manifest")


    # ---------------------------------------------------------------------------------------------
    # 3. Rendering.
    def render(layer, png):
        settings = QgsMapSettings()
        settings.setLayers([layer])
        settings.setDestinationCrs(layer.crs())
        settings.setExtent(layer.extent())
        settings.setOutputSize(QSize(800, 800))
        settings.setBackgroundColor(QColor(255, 255, 255))
        job = QgsMapRendererSequentialJob(settings)
        job.start()
        job.waitForFinished()
        image = job.renderedImage()
        image.save(str(png))
        for error in job.errors():
            check(False, f"{layer.name()}: rendering error {error.layerID}: {error.message}")
        return settings, image


    def distinct_colours(image, step=2):
        colours = set()
        for y in range(0, image.height(), step):
            for x in range(0, image.width(), step):
                colours.add(image.pixel(x, y))
        return len(colours)


    def pixel_at(settings, image, x, y):
        p = settings.mapToPixel().transform(x, y)
        return QColor(image.pixel(int(p.x()), int(p.y())))


    def ramp_colour(items, value):
        """The colour QGIS's INTERPOLATED shader gives a value, from the QML items alone."""
        if value <= items[0][0]:
            return rgb(items[0][1])
        for (v0, c0), (v1, c1) in zip(items, items[1:]):
            if value <= v1:
                t = (value - v0) / (v1 - v0)
                return tuple(a + t * (b - a) for a, b in zip(rgb(c0), rgb(c1)))
        return rgb(items[-1][1])


    raster_table = "new_park__green_share_r100"
    if check(raster_table in raster_layers, f"{raster_table} loaded for rendering"):
        layer, items = raster_layers[raster_table]
        png = workdir / f"{raster_table}.png"
        settings, image = render(layer, png)
        n = distinct_colours(image)
        check(n > 10, f"{raster_table}: rendered map has {n} distinct colours (> 10)")
        provider = layer.dataProvider()
        extent = layer.extent()
        cols, rows = layer.width(), layer.height()
        cell_w, cell_h = extent.width() / cols, extent.height() / rows
        block = provider.block(1, extent, cols, rows)
        # Cells spread over the grid whose value is known; each cell is ~5 x 5 pixels, so its centre pixel is
        # rendered from that cell alone (nearest-neighbour when zoomed in).
        sampled = 0
        wanted = set()
        for r in range(7, rows, 23):
            for c in range(11, cols, 29):
                value = block.value(r, c)
                if block.isNoData(r, c):
                    continue
                x = extent.xMinimum() + (c + 0.5) * cell_w
                y = extent.yMaximum() - (r + 0.5) * cell_h
                got = rgb(pixel_at(settings, image, x, y))
                want = ramp_colour(items, value)
                sampled += 1
                wanted.add(tuple(round(v) for v in want))
                check(close(got, want, 3), f"{raster_table}: cell ({r},{c}) value {value:.2f} drawn "
                                           f"{got}, ramp colour {tuple(round(v) for v in want)}")
        check(sampled >= 10, f"{raster_table}: {sampled} cells compared with the ramp")
        # The comparison discriminates: the sampled cells span the ramp rather than sharing one colour.
        check(len(wanted) >= 5, f"{raster_table}: the compared cells have {len(wanted)} different ramp colours")
        print(f"{raster_table}: {n} colours, {sampled} cells compared, image {png}", flush=True)

    vector_table = "areas__new_park"
    if check(vector_table in vector_layers, f"{vector_table} loaded for rendering"):
        layer, renderer_xml = vector_layers[vector_table]
        png = workdir / f"{vector_table}.png"
        settings, image = render(layer, png)
        n = distinct_colours(image, step=1)
        check(n > 10, f"{vector_table}: rendered map has {n} distinct colours (> 10)")
        # The areas are graduated by one column (the first output's mean here): each area must be drawn in
        # the fill of the range its value falls in, as read from the style's XML (lower < v <= upper; the
        # first range also takes its lower bound).
        column = renderer_xml.get("attr")
        check(renderer_xml.get("type") == "graduatedSymbol" and column == "green_share_r100_mean",
              f"{vector_table}: graduated by green_share_r100_mean, got {renderer_xml.get('type')} by {column}")
        ranges = [(float(r.get("lower")), float(r.get("upper")), r.get("symbol"))
                  for r in renderer_xml.findall("./ranges/range")]
        fills = {sym.get("name"): QColor(*(int(v) for v in sym.find("./layer/prop[@k='color']").get("v").split(",")))
                 for sym in renderer_xml.findall("./symbols/symbol")}
        check(len(ranges) >= 2 and set(fills) == {r[2] for r in ranges}, f"{vector_table}: {len(ranges)} ranges, one fill each")

        def fill_for(value):
            for i, (lower, upper, symbol) in enumerate(ranges):
                if (lower < value or (i == 0 and lower == value)) and value <= upper:
                    return fills[symbol]
            return None

        # Inside each area, far from its outline: the point of inaccessibility.
        sampled = 0
        for feature in layer.getFeatures():
            geometry = QgsGeometry(feature.geometry())
            point, distance = geometry.poleOfInaccessibility(1.0)
            value = feature[column]
            if distance < 20.0 or value is None:  # under ~10 pixels from the outline: too close to compare
                continue
            fill = fill_for(float(value))
            if not check(fill is not None, f"{vector_table}: area {feature['code']} value {value} in a range"):
                continue
            alpha = fill.alpha() / 255.0
            want = tuple(255 + alpha * (v - 255) for v in rgb(fill))  # the fill over the white background
            xy = point.asPoint()
            got = rgb(pixel_at(settings, image, xy.x(), xy.y()))
            sampled += 1
            check(close(got, want, 3), f"{vector_table}: inside area {feature['code']} ({column} {value:.2f}) drawn "
                                       f"{got}, the fill of its range over white {tuple(round(v) for v in want)}")
        check(sampled >= 1, f"{vector_table}: {sampled} areas compared with the fill colour of their range")
        # The outline colour appears on the map.
        outline = QColor(*(int(v) for v in
                           renderer_xml.find("./symbols/symbol/layer/prop[@k='outline_color']").get("v").split(",")))
        outline_pixels = sum(1 for y in range(0, 800, 2) for x in range(0, 800, 2)
                             if close(rgb(QColor(image.pixel(x, y))), rgb(outline), 3))
        check(outline_pixels > 50, f"{vector_table}: {outline_pixels} pixels in the outline colour {rgb(outline)}")
        print(f"{vector_table}: {n} colours, {sampled} areas compared, image {png}", flush=True)


qgis_checks()
app.exitQgis()
print(f"qgis_check: {passed} passed, {len(failures)} failed", flush=True)
sys.exit(1 if failures else 0)
