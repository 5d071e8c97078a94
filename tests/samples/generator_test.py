#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks that data-samples/generate.py reproduces the committed sample files, and that they hold
the invariants the demo relies on.

1. Regenerates into --work and compares, layer by layer, the feature count, the field definitions and a
   SHA-256 over every feature's WKB geometry and attribute values with the committed files in --source;
   compares the DEM's size, georeferencing, nodata value and cell values.
2. On the committed files: building footprints do not overlap each other nor touch road centrelines;
   land-cover polygons partition the area (sum of areas and area of the union equal the bbox area within
   0.1 m2); the residents of the addresses add up to the residents of the neighbourhoods, per
   neighbourhood; feature counts lie in the ranges the README promises; the DEM lies in 0-4 m; the
   housing plan fits its site; every field demo.yaml maps exists in its layer.

Usage: generator_test.py --source DIR --work DIR    (exit 0: all checks passed)
"""

import argparse
import hashlib
import os
import re
import shutil
import struct
import subprocess
import sys

import numpy as np
from osgeo import gdal, ogr, osr

gdal.UseExceptions()
ogr.UseExceptions()
osr.UseExceptions()

VECTOR_FILES = ("sample.gpkg", "plans.gpkg")
RASTER_FILES = ("dem.tif",)
LANDCOVER_CLASSES = {"verhard", "gebouw", "gras", "bomen", "struiken", "water", "kaal", "landbouw"}
COUNT_RANGES = {  # layer -> (min, max) features, as README.md describes the sample
    "buildings": (300, 600),
    "trees": (300, 800),
    "buurten": (5, 10),
    "roads": (20, 200),
    "addresses": (100, 1000),
}

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def value_bytes(value):
    if value is None:
        return b"\x00"
    if isinstance(value, float):
        return b"f" + struct.pack("<d", value)
    if isinstance(value, int):
        return b"i" + struct.pack("<q", value)
    return b"s" + str(value).encode("utf-8") + b"\x00"


def layer_digest(layer):
    """Feature count, field definitions and a SHA-256 over FIDs, WKB and attribute values in FID order."""
    defn = layer.GetLayerDefn()
    fields = [(defn.GetFieldDefn(i).GetName(), defn.GetFieldDefn(i).GetTypeName())
              for i in range(defn.GetFieldCount())]
    digest = hashlib.sha256()
    count = 0
    layer.ResetReading()
    features = sorted(((f.GetFID(), f) for f in layer), key=lambda item: item[0])
    for fid, feature in features:
        count += 1
        digest.update(struct.pack("<q", fid))
        geom = feature.GetGeometryRef()
        digest.update(geom.ExportToIsoWkb() if geom is not None else b"")
        for i in range(defn.GetFieldCount()):
            digest.update(value_bytes(feature.GetField(i)))
    srs = layer.GetSpatialRef()
    epsg = srs.GetAuthorityCode(None) if srs is not None else None
    return {"count": count, "fields": fields, "sha256": digest.hexdigest(),
            "geometry": ogr.GeometryTypeToName(layer.GetGeomType()), "epsg": epsg}


def vector_summary(path):
    ds = ogr.Open(path)
    return {ds.GetLayer(i).GetName(): layer_digest(ds.GetLayer(i)) for i in range(ds.GetLayerCount())}


def raster_summary(path):
    ds = gdal.Open(path)
    band = ds.GetRasterBand(1)
    data = band.ReadAsArray()
    srs = ds.GetSpatialRef()
    return {"size": (ds.RasterXSize, ds.RasterYSize, ds.RasterCount),
            "geotransform": ds.GetGeoTransform(), "epsg": srs.GetAuthorityCode(None) if srs else None,
            "nodata": band.GetNoDataValue(), "type": gdal.GetDataTypeName(band.DataType),
            "compression": ds.GetMetadataItem("COMPRESSION", "IMAGE_STRUCTURE"),
            "sha256": hashlib.sha256(np.ascontiguousarray(data).tobytes()).hexdigest()}


def compare_with_regenerated(source, work):
    generator = os.path.join(source, "generate.py")
    if os.path.isdir(work):
        shutil.rmtree(work)
    os.makedirs(work)
    run = subprocess.run([sys.executable, generator, "--out", work], capture_output=True, text=True)
    if not check(run.returncode == 0, f"generate.py failed ({run.returncode}):\n{run.stdout}{run.stderr}"):
        return
    for name in VECTOR_FILES:
        committed = vector_summary(os.path.join(source, name))
        fresh = vector_summary(os.path.join(work, name))
        check(list(committed) == list(fresh),
              f"{name}: layers differ: committed {list(committed)}, regenerated {list(fresh)}")
        for layer, summary in committed.items():
            other = fresh.get(layer)
            if other is None:
                continue
            for key in ("count", "fields", "geometry", "epsg", "sha256"):
                check(summary[key] == other[key],
                      f"{name}/{layer}: {key} differs: committed {summary[key]}, regenerated {other[key]}")
    for name in RASTER_FILES:
        committed = raster_summary(os.path.join(source, name))
        fresh = raster_summary(os.path.join(work, name))
        for key, value in committed.items():
            check(value == fresh[key], f"{name}: {key} differs: committed {value}, regenerated {fresh[key]}")


def features(path, layer_name):
    ds = ogr.Open(path)
    layer = ds.GetLayerByName(layer_name)
    if layer is None:
        failures.append(f"{os.path.basename(path)}: layer {layer_name} missing")
        return []
    return [(f.GetGeometryRef().Clone(), f.items()) for f in layer]


def overlapping_pairs(geoms):
    """Pairs (i, j) of geometries whose interiors overlap (positive intersection area)."""
    envelopes = [g.GetEnvelope() for g in geoms]  # minx, maxx, miny, maxy
    order = sorted(range(len(geoms)), key=lambda k: envelopes[k][0])
    pairs = []
    for a_pos, i in enumerate(order):
        ei = envelopes[i]
        for j in order[a_pos + 1:]:
            ej = envelopes[j]
            if ej[0] >= ei[1]:
                break
            if ej[2] < ei[3] and ei[2] < ej[3] and geoms[i].Intersects(geoms[j]):
                if geoms[i].Intersection(geoms[j]).GetArea() > 1e-6:
                    pairs.append((i, j))
    return pairs


def demo_bbox(source):
    text = open(os.path.join(source, "demo.yaml"), encoding="utf-8").read()
    match = re.search(r"^\s*bbox:\s*\[([^\]]+)\]", text, re.MULTILINE)
    return tuple(float(v) for v in match.group(1).split(",")) if match else None


def check_invariants(source):
    sample = os.path.join(source, "sample.gpkg")
    plans = os.path.join(source, "plans.gpkg")
    bbox = demo_bbox(source)
    if not check(bbox is not None and len(bbox) == 4, "demo.yaml: area.bbox not found"):
        return
    xmin, ymin, xmax, ymax = bbox
    bbox_area = (xmax - xmin) * (ymax - ymin)

    layers = {name: features(sample, name)
              for name in ("buildings", "roads", "landcover", "trees", "addresses", "buurten")}
    for name, (low, high) in COUNT_RANGES.items():
        n = len(layers[name])
        check(low <= n <= high, f"sample.gpkg/{name}: {n} features, expected {low}-{high}")

    # buildings: no overlaps among themselves, none crossed by a road centreline
    buildings = [g for g, _ in layers["buildings"]]
    pairs = overlapping_pairs(buildings)
    check(not pairs, f"buildings overlap: feature index pairs {pairs[:10]}")
    roads = [g for g, _ in layers["roads"]]
    crossed = [i for i, b in enumerate(buildings) if any(b.Intersects(r) for r in roads)]
    check(not crossed, f"buildings crossed by roads: {crossed[:10]}")
    for _, attrs in layers["buildings"]:
        if not check(3.0 <= attrs["hoogte"] <= 25.0,
                     f"building {attrs['identificatie']}: hoogte {attrs['hoogte']} outside 3-25 m"):
            break

    # land cover: an exact partition of the bbox
    cover = layers["landcover"]
    classes = {attrs["klasse"] for _, attrs in cover}
    check(classes <= LANDCOVER_CLASSES, f"landcover: unknown classes {sorted(classes - LANDCOVER_CLASSES)}")
    total = sum(g.GetArea() for g, _ in cover)
    check(abs(total - bbox_area) <= 0.1, f"landcover: sum of areas {total:.3f} m2, bbox {bbox_area:.3f} m2")
    collection = ogr.Geometry(ogr.wkbMultiPolygon)
    for g, _ in cover:
        collection.AddGeometry(g)
    union = collection.UnionCascaded()
    check(abs(union.GetArea() - bbox_area) <= 0.1,
          f"landcover: union area {union.GetArea():.3f} m2 differs from bbox {bbox_area:.3f} m2 (gaps)")
    env = union.GetEnvelope()
    check(max(abs(env[0] - xmin), abs(env[1] - xmax), abs(env[2] - ymin), abs(env[3] - ymax)) < 1e-6,
          f"landcover: extent {env} is not the bbox {bbox}")

    # residents: addresses add up to the neighbourhoods, per neighbourhood
    addresses = layers["addresses"]
    buurten = layers["buurten"]
    residents = sum(attrs["inwoners"] for _, attrs in addresses)
    reported = sum(attrs["aantal_inwoners"] for _, attrs in buurten)
    check(residents == reported, f"residents: addresses {residents}, buurten {reported}")
    check(1000 <= residents <= 9999, f"residents: {residents}, expected a few thousand")
    for geom, attrs in buurten:
        inside = sum(a["inwoners"] for p, a in addresses if geom.Contains(p))
        check(inside == attrs["aantal_inwoners"],
              f"buurt {attrs['buurtcode']}: addresses inside hold {inside}, aantal_inwoners {attrs['aantal_inwoners']}")
    buurt_area = sum(g.GetArea() for g, _ in buurten)
    check(abs(buurt_area - bbox_area) <= 0.1, f"buurten: total area {buurt_area:.3f} m2, bbox {bbox_area:.3f} m2")

    # DEM: 0-4 m, no nodata, covers the area
    dem = gdal.Open(os.path.join(source, "dem.tif"))
    z = dem.GetRasterBand(1).ReadAsArray()
    check(float(z.min()) >= 0.0 and float(z.max()) <= 4.0, f"dem: values {z.min()}-{z.max()} outside 0-4 m")
    gt = dem.GetGeoTransform()
    check(gt[0] <= xmin and gt[3] >= ymax and gt[0] + gt[1] * dem.RasterXSize >= xmax
          and gt[3] + gt[5] * dem.RasterYSize <= ymin, "dem: does not cover the area")

    # plans: the housing block lies on its site, clear of existing buildings
    site = features(plans, "housing_site")
    block = features(plans, "housing_block")
    if check(len(site) == 1 and 2 <= len(block) <= 6, "plans.gpkg: one housing_site and 2-6 housing_block"):
        for geom, attrs in block:
            check(site[0][0].Contains(geom), f"housing_block {attrs}: not inside housing_site")
            check(not any(geom.Intersects(b) for b in buildings), f"housing_block {attrs}: hits a building")
        check(any(site[0][0].Contains(g) for g, _ in layers["trees"]), "housing_site: holds no trees to remove")
    for name in ("new_trees", "new_park", "traffic_calming", "housing_addresses"):
        check(len(features(plans, name)) > 0, f"plans.gpkg/{name}: empty")

    check_demo_fields(source)


def check_demo_fields(source):
    """Every field demo.yaml maps exists in the layer it reads."""
    try:
        import yaml
    except ImportError:
        print("note: python3-yaml missing, demo.yaml field check skipped")
        return
    batch = yaml.safe_load(open(os.path.join(source, "demo.yaml"), encoding="utf-8"))

    def check_source(spec, where):
        if "layer" not in spec:
            return
        ds = ogr.Open(os.path.join(source, spec["source"]))
        layer = ds.GetLayerByName(spec["layer"])
        if not check(layer is not None, f"demo.yaml {where}: layer {spec['layer']} missing"):
            return
        names = {layer.GetLayerDefn().GetFieldDefn(i).GetName() for i in range(layer.GetLayerDefn().GetFieldCount())}
        for canonical, mapping in (spec.get("fields") or {}).items():
            field = mapping["field"] if isinstance(mapping, dict) else mapping
            check(field in names, f"demo.yaml {where}: {canonical} -> {field} not a field of {spec['layer']}")
        if "class_field" in spec:
            check(spec["class_field"] in names, f"demo.yaml {where}: class_field {spec['class_field']} missing")
            values = {f.GetField(spec["class_field"]) for f in layer}
            check(values <= set(spec.get("classes", {})), f"demo.yaml {where}: unmapped classes {values}")

    for role, sources in batch["inputs"].items():
        for spec in sources:
            check_source(spec, f"inputs.{role}")
    for scenario in batch["scenarios"]:
        for edit in scenario.get("edits") or []:
            for kind, body in edit.items():
                if kind == "add":
                    check_source(body, f"{scenario['name']}.add")
                if isinstance(body, dict) and "inside" in body:
                    check_source(body["inside"], f"{scenario['name']}.{kind}.inside")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", required=True, help="data-samples folder with the committed files")
    parser.add_argument("--work", required=True, help="scratch folder to regenerate into")
    args = parser.parse_args()
    compare_with_regenerated(args.source, args.work)
    check_invariants(args.source)
    if failures:
        for message in failures:
            print("FAIL:", message)
        return 1
    print("sample area: regenerated files match the committed ones; invariants hold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
