#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Sky view factor of areatwin's heat kernel and of SAGA GIS side by side, in one run, on one DSM.

The DSM is the 1000 x 1000 synthetic city of bench/indicators_heat_bench.cpp (BM_HeatSvf153): the benchmark
writes it and its SVF as raw Float32 (AREATWIN_HEAT_SVF_DUMP), this script writes the DSM as a GeoTIFF with
GDAL, runs `saga_cmd ta_lighting 3` (Sky View Factor) on it with the same search radius and as many
directions, times both, and prints a Markdown table with the times and the SVF differences.

Definitions compared (docs/performance.md, "heat.pet and sky kernels"):
* areatwin: 153 sky patches (8 elevation bands, Wallenberg et al. 2022), a patch is visible or not along the
  ray to its centre; SVF = sum of the cosine weights of the visible patches (view factor of a horizontal
  surface, heat-method.md B.3). Trees would count as opaque; this DSM has none.
* SAGA (Boehner & Antonic 2009, ta_lighting tool 3, O. Conrad): per sector the horizon angle beta (largest
  elevation angle of the terrain within the radius), SVF = mean over sectors of
  cos(slope) cos^2(beta) + sin(slope) cos(azimuth - aspect) (pi/2 - beta - sin(beta) cos(beta)), i.e. the
  continuous cosine-weighted view factor of the cell's own sloped surface.

Usage: bench/heat_svf_vs_saga.py [--bench build/bench/bench/areatwin_bench] [--repetitions 3]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from osgeo import gdal, osr

gdal.UseExceptions()


def run_ours(bench, folder, repetitions):
    env = dict(os.environ, AREATWIN_HEAT_SVF_DUMP=folder)
    cmd = [bench, "--benchmark_filter=^BM_HeatSvf153/1000/real_time$", f"--benchmark_repetitions={repetitions}",
           "--benchmark_format=json"]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    runs = [b for b in json.loads(out)["benchmarks"] if b.get("run_type") == "iteration"]
    if not runs:
        sys.exit("BM_HeatSvf153/1000 did not run: " + " ".join(cmd))
    times = [b["real_time"] * {"s": 1.0, "ms": 1e-3}[b["time_unit"]] for b in runs]
    return times, runs[-1]


def write_geotiff(path, dsm, origin_x=136000.0, origin_y=458000.0, cell=1.0):
    rows, cols = dsm.shape
    ds = gdal.GetDriverByName("GTiff").Create(path, cols, rows, 1, gdal.GDT_Float32)
    ds.SetGeoTransform((origin_x, cell, 0.0, origin_y, 0.0, -cell))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(28992)
    ds.SetProjection(srs.ExportToWkt())
    ds.GetRasterBand(1).WriteArray(dsm)
    ds.FlushCache()
    ds = None


def run_saga(folder, dem, radius, ndirs, repetitions):
    times = []
    for k in range(repetitions):
        svf = os.path.join(folder, f"saga_svf_{k}.sdat")
        vis = os.path.join(folder, f"saga_visible_{k}.sdat")
        cmd = ["saga_cmd", "ta_lighting", "3", "-DEM", dem, "-SVF", svf, "-VISIBLE", vis, "-RADIUS", str(radius),
               "-NDIRS", str(ndirs), "-METHOD", "0"]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
    return times, svf


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", default="build/bench/bench/areatwin_bench")
    ap.add_argument("--repetitions", type=int, default=3)
    ap.add_argument("--radius", type=float, default=100.0, help="search radius in m (the benchmark's is 100)")
    ap.add_argument("--ndirs", type=int, default=153, help="SAGA sectors (areatwin: 153 patches)")
    ap.add_argument("--side", type=int, default=1000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="heat_svf_saga_") as folder:
        ours_t, ours_run = run_ours(args.bench, folder, args.repetitions)
        n = args.side
        dsm = np.fromfile(os.path.join(folder, "dsm.f32"), dtype="<f4").reshape(n, n)
        ours = np.fromfile(os.path.join(folder, "svf.f32"), dtype="<f4").reshape(n, n).astype(np.float64)
        dem = os.path.join(folder, "dsm.tif")
        write_geotiff(dem, dsm)
        saga_t, saga_path = run_saga(folder, dem, args.radius, args.ndirs, args.repetitions)
        ds = gdal.Open(saga_path)
        band = ds.GetRasterBand(1)
        saga = band.ReadAsArray().astype(np.float64)
        nodata = band.GetNoDataValue()
        valid = np.isfinite(saga) & np.isfinite(ours)
        if nodata is not None:
            valid &= saga != nodata
        edge = int(round(args.radius))
        interior = np.zeros_like(valid)
        interior[edge:n - edge, edge:n - edge] = True
        ground = dsm <= dsm.min() + 0.01
        # Roof cells away from roof edges: SAGA's slope there is 0, as our horizontal-surface assumption.
        roof_core = np.zeros_like(valid)
        roof_core[1:-1, 1:-1] = True
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                roof_core[1:-1, 1:-1] &= dsm[1 + dr:n - 1 + dr, 1 + dc:n - 1 + dc] == dsm[1:-1, 1:-1]
        roof_core &= ~ground

        def stats(mask):
            m = valid & interior & mask
            d = ours[m] - saga[m]
            return int(m.sum()), float(ours[m].mean()), float(saga[m].mean()), float(np.abs(d).mean()), float(d.mean())

        print(f"DSM {n} x {n} at 1 m (synthetic city of BM_HeatSvf153), search radius {args.radius:g} m; "
              f"areatwin 153 patches, SAGA {args.ndirs} sectors; {args.repetitions} runs each; "
              f"load average {os.getloadavg()[0]:.1f}")
        print()
        print("| tool | what | median wall time | runs |")
        print("|---|---|---|---|")
        print(f"| areatwin `sky_view_factor` (BM_HeatSvf153/1000, {int(ours_run.get('threads', 1))} benchmark thread, "
              f"TBB rows on all cores) | 153 patches, 100 m | {statistics.median(ours_t):.2f} s | "
              + ", ".join(f"{t:.2f}" for t in ours_t) + " |")
        print(f"| SAGA {saga_version()} `ta_lighting 3` (Sky View Factor, OpenMP) | {args.ndirs} sectors, "
              f"{args.radius:g} m, method 'cell size' | {statistics.median(saga_t):.2f} s | "
              + ", ".join(f"{t:.2f}" for t in saga_t) + " |")
        print(f"| ratio SAGA / areatwin | | {statistics.median(saga_t) / statistics.median(ours_t):.1f} | |")
        print()
        print("| cells (interior, >= radius from the edge) | count | mean SVF areatwin | mean SVF SAGA | "
              "mean abs difference | mean difference (areatwin - SAGA) |")
        print("|---|---|---|---|---|---|")
        for name, mask in (("all", np.ones_like(valid)), ("ground", ground), ("roofs, away from edges", roof_core)):
            c, a, b, mad, md = stats(mask)
            print(f"| {name} | {c} | {a:.4f} | {b:.4f} | {mad:.4f} | {md:+.4f} |")


def saga_version():
    try:
        out = subprocess.run(["saga_cmd", "--version"], capture_output=True, text=True).stdout
        return out.split("SAGA Version:")[1].split()[0]
    except (IndexError, OSError):
        return "?"


if __name__ == "__main__":
    main()
