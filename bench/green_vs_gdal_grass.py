#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""green.access / green.share side by side with GDAL and GRASS, in one run on one mask.

Writes one green mask (0/1 Byte GeoTIFF, EPSG:28992, seeded rectangles covering about a fifth of the
area) and times, each in its own process under /usr/bin/time -v (wall time and peak RSS):

  distance to the mask   areatwin BM_GreenFileDistance  vs  gdal_proximity.py -distunits GEO
  share within a radius  areatwin BM_GreenFileShare     vs  GRASS r.neighbors -c method=average size=2r+1

and compares the results cell by cell. The memory-bandwidth bound comes from BM_Triad (16 Mcells), the
tree visibility rate from BM_GreenAccessTreesVisible. Prints a Markdown table.

  /usr/bin/python3 bench/green_vs_gdal_grass.py --bench build/bench/bench/areatwin_bench \
      [--side 5000] [--cell 2] [--radius 50] [--grass-side 5000] [--work /tmp/green_bench]
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np
from osgeo import gdal, osr

gdal.UseExceptions()


def write_mask(path, side, cell, seed=20261204):
    rng = np.random.default_rng(seed)
    mask = np.zeros((side, side), dtype=np.uint8)
    # Patches of 7-100 cells a side: about one per 20,000 cells, as the green.access town benchmark.
    for _ in range(side * side // 20000):
        w, h = rng.integers(7, 101, size=2)
        c0, r0 = rng.integers(0, side, size=2)
        mask[r0:r0 + h, c0:c0 + w] = 1
    drv = gdal.GetDriverByName("GTiff")
    ds = drv.Create(path, side, side, 1, gdal.GDT_Byte, options=["TILED=YES", "COMPRESS=NONE"])
    origin_x, origin_y = 80000.0, 460000.0
    ds.SetGeoTransform((origin_x, cell, 0.0, origin_y, 0.0, -cell))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(28992)
    ds.SetSpatialRef(srs)
    ds.GetRasterBand(1).WriteArray(mask)
    ds = None
    return mask, f"{origin_x},{origin_y},{cell},{side},{side}"


def timed(cmd, env=None):
    """Runs cmd under /usr/bin/time -v; returns (wall s, peak RSS MB, stdout)."""
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, env=env, capture_output=True, text=True)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stdout}\n{p.stderr}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1)) / 1024.0
    return wall, rss, p.stdout


def bench(binary, filt, env):
    """One Google Benchmark run; returns (median real time s, items/s, peak RSS MB of the process)."""
    wall, rss, out = timed([binary, f"--benchmark_filter={filt}", "--benchmark_format=json"], env)
    runs = [b for b in json.loads(out)["benchmarks"] if b.get("run_type") == "iteration"]
    if not runs or "error_message" in runs[0]:
        sys.exit(f"benchmark {filt} did not run: {runs}")
    b = runs[0]
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]
    return b["real_time"] * scale, b.get("items_per_second", float("nan")), rss


def grass_neighbors(work, mask_path, size):
    """r.neighbors in a temporary GRASS location; returns (wall s of r.neighbors alone, peak RSS MB, result)."""
    out_tif = os.path.join(work, "grass_share.tif")
    script = os.path.join(work, "grass_job.sh")
    with open(script, "w") as f:
        f.write(f"""set -e
r.in.gdal -o input={mask_path} output=mask --quiet
g.region raster=mask
/usr/bin/time -v -o {work}/grass_time.txt r.neighbors -c input=mask output=share method=average size={size} --quiet
r.out.gdal input=share output={out_tif} type=Float32 --quiet --overwrite -f
""")
    gisdb = os.path.join(work, "grassdb")
    shutil.rmtree(gisdb, ignore_errors=True)
    os.makedirs(gisdb)
    subprocess.run(["grass", "-c", "EPSG:28992", "-e", os.path.join(gisdb, "loc")], check=True, capture_output=True)
    p = subprocess.run(["grass", os.path.join(gisdb, "loc", "PERMANENT"), "--exec", "bash", script],
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"GRASS failed:\n{p.stdout}\n{p.stderr}")
    text = open(os.path.join(work, "grass_time.txt")).read()
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", text)
    wall = (int(m.group(1) or 0) * 3600) + int(m.group(2)) * 60 + float(m.group(3))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024.0
    share = gdal.Open(out_tif).ReadAsArray().astype(np.float64)
    return wall, rss, share


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", required=True, help="areatwin_bench of a Release build")
    ap.add_argument("--side", type=int, default=5000, help="grid side in cells (5000: 25 Mcells)")
    ap.add_argument("--cell", type=float, default=2.0, help="cell size in m")
    ap.add_argument("--radius", type=int, default=50, help="share radius in m (50 or 250)")
    ap.add_argument("--grass-side", type=int, default=0,
                    help="grid side for the r.neighbors comparison (default: --side)")
    ap.add_argument("--work", default="/tmp/green_vs_gdal_grass")
    ap.add_argument("--skip-trees", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    rows = []

    mask_path = os.path.join(a.work, "mask.tif")
    mask, grid = write_mask(mask_path, a.side, a.cell)
    cells = a.side * a.side
    env = dict(os.environ, AREATWIN_GREEN_MASK=mask_path, AREATWIN_GREEN_GRID=grid)

    # Distance transform.
    ours_d = os.path.join(a.work, "ours_distance.f32")
    t, rate, rss = bench(a.bench, "BM_GreenFileDistance/threads:1/real_time$", dict(env, AREATWIN_GREEN_OUT=ours_d))
    rows.append(("distance to green, areatwin exact EDT, 1 thread", cells, t, rss))
    ours_d2 = os.path.join(a.work, "ours_distance_2.f32")
    t, rate, rss = bench(a.bench, "BM_GreenFileDistance/threads:2/real_time$", dict(env, AREATWIN_GREEN_OUT=ours_d2))
    rows.append(("distance to green, areatwin exact EDT, 2 threads", cells, t, rss))
    prox = os.path.join(a.work, "gdal_proximity.tif")
    t_g, rss_g, _ = timed(["gdal_proximity.py", "-q", mask_path, prox, "-values", "1", "-distunits", "GEO",
                           "-ot", "Float32", "-co", "TILED=YES"])
    rows.append(("distance to green, gdal_proximity.py (process wall time)", cells, t_g, rss_g))
    d_ours = np.fromfile(ours_d, dtype=np.float32).reshape(a.side, a.side)
    d_gdal = gdal.Open(prox).ReadAsArray()
    dist_diff = float(np.max(np.abs(d_ours.astype(np.float64) - d_gdal)))
    dist_threads_same = bool(np.array_equal(d_ours.view(np.uint32),
                                            np.fromfile(ours_d2, dtype=np.float32).reshape(a.side, a.side).view(np.uint32)))

    # Share within a radius.
    r_cells = int(round(a.radius / a.cell))
    gside = a.grass_side or a.side
    share_results = {}
    for threads in (1, 2):
        out = os.path.join(a.work, f"ours_share_{threads}.f32")
        t, rate, rss = bench(a.bench, f"BM_GreenFileShare/radius_m:{a.radius}/threads:{threads}/real_time$",
                             dict(env, AREATWIN_GREEN_OUT=out))
        rows.append((f"share within {a.radius} m, areatwin green.share, {threads} thread(s)", cells, t, rss))
        share_results[threads] = np.fromfile(out, dtype=np.float32).reshape(a.side, a.side)
    identical = bool(np.array_equal(share_results[1], share_results[2]))
    if gside != a.side:
        gmask_path = os.path.join(a.work, "mask_grass.tif")
        gmask, _ = write_mask(gmask_path, gside, a.cell)
    else:
        gmask_path, gmask = mask_path, mask
    t_r, rss_r, share_grass = grass_neighbors(a.work, gmask_path, 2 * r_cells + 1)
    rows.append((f"share within {a.radius} m, GRASS r.neighbors -c size={2 * r_cells + 1} (r.neighbors alone)",
                 gside * gside, t_r, rss_r))
    ours_on_grass = share_results[1]
    if gside != a.side:
        # The same mask as GRASS's, for the cell-by-cell comparison and the ratio at equal size.
        out = os.path.join(a.work, "ours_share_grass_grid.f32")
        genv = dict(env, AREATWIN_GREEN_MASK=gmask_path, AREATWIN_GREEN_GRID=grid.rsplit(",", 2)[0] + f",{gside},{gside}",
                    AREATWIN_GREEN_OUT=out)
        t, rate, rss = bench(a.bench, f"BM_GreenFileShare/radius_m:{a.radius}/threads:1/real_time$", genv)
        rows.append((f"share within {a.radius} m, areatwin green.share, 1 thread(s), GRASS's grid", gside * gside, t, rss))
        ours_on_grass = np.fromfile(out, dtype=np.float32).reshape(gside, gside)
    share_diff = float(np.max(np.abs(ours_on_grass.astype(np.float64) - 100.0 * share_grass)))

    # Memory-bandwidth bound and tree visibility.
    t_tri, rate_tri, _ = bench(a.bench, "BM_Triad/cells:16000000/threads:1/real_time$", env)
    t_tri2, rate_tri2, _ = bench(a.bench, "BM_Triad/cells:16000000/threads:2/real_time$", env)
    trees = None
    if not a.skip_trees:
        trees = bench(a.bench, "BM_GreenAccessTreesVisible", env)

    load = os.getloadavg()
    print(f"date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {load[0]:.2f} {load[1]:.2f}, "
          f"grid {a.side} x {a.side} at {a.cell} m, radius {a.radius} m ({r_cells} cells)\n")
    print("| what | cells | wall time | Mcells/s | peak RSS |")
    print("|---|---|---|---|---|")
    for name, n, t, rss in rows:
        print(f"| {name} | {n / 1e6:g} M | {t:.2f} s | {n / t / 1e6:.1f} | {rss:.0f} MB |")
    print()
    print(f"- distance: max |areatwin - gdal_proximity| = {dist_diff:.3g} m")
    print(f"- distance bitwise identical for 1 and 2 threads: {dist_threads_same}")
    print(f"- share: max |areatwin - 100 x r.neighbors| = {share_diff:.3g} percentage points ({gside} x {gside})")
    print(f"- share bitwise identical for 1 and 2 threads: {identical}")
    share1 = [r for r in rows if "1 thread(s)" in r[0] and "share" in r[0]][0]
    share2 = [r for r in rows if "2 thread(s)" in r[0] and "share" in r[0]][0]
    print(f"- triad 16 Mcells: {rate_tri / 1e6:.0f} Mcells/s (1 thread), {rate_tri2 / 1e6:.0f} Mcells/s (2 threads); "
          f"share pass at {cells / share1[2] / rate_tri * 100:.1f} % (1 thread) and "
          f"{cells / share2[2] / rate_tri2 * 100:.1f} % (2 threads) of it")
    kernel = {}
    for split in (0, 1):
        _, rate_k, _ = bench(a.bench, f"BM_GreenDiscSums/radius_cells:{r_cells}/split:{split}$", env)
        kernel[split] = rate_k
    print(f"- disc-sum kernel alone, radius {r_cells} cells (CPU time): plain clamped loop {kernel[0] / 1e6:.1f} Mcells/s, "
          f"split loop {kernel[1] / 1e6:.1f} Mcells/s ({kernel[1] / kernel[0]:.1f}x)")
    if trees:
        print(f"- tree visibility, 50,000 dwellings within 30 m: {trees[0]:.2f} s, {trees[1]:.0f} dwellings/s")


if __name__ == "__main__":
    main()
