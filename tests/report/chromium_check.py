# SPDX-License-Identifier: GPL-3.0-or-later
"""The HTML report in a real browser.

1. runs the areatwin command on a batch (the demo) and writes the report of its GeoPackage;
2. loads the report in headless Chromium with --dump-dom: the page must have loaded, the report's own
   script must count every <img> as decoded (data-images-ok="N/N") and no script error may appear;
3. takes a screenshot and checks that it is not blank (more than 10 distinct colours).

Exit codes: 0 passed, 1 failed, 77 skipped (no /usr/bin/chromium).
"""
import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

CHROMIUM = "/usr/bin/chromium"
SKIP = 77


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def run(cmd, timeout):
    print("+ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def chromium(url, extra, workdir, timeout=120):
    # A fresh profile each time, nothing fetched from the network, so the run depends on the page only.
    profile = tempfile.mkdtemp(prefix="profile-", dir=workdir)
    try:
        cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage", f"--user-data-dir={profile}", *extra, url]
        return run(cmd, timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def png_distinct_colours(path):
    """Distinct pixel colours of an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"{path} is not a PNG file")
    pos = 8
    idat = b""
    width = height = depth = colour_type = interlace = None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    if depth != 8 or colour_type not in (2, 6) or interlace != 0:
        fail(f"{path}: unexpected PNG format (bit depth {depth}, colour type {colour_type}, interlace {interlace})")
    channels = 3 if colour_type == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    colours = set()
    offset = 0
    for _ in range(height):
        filter_type = raw[offset]
        line = bytearray(raw[offset + 1:offset + 1 + stride])
        offset += 1 + stride
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            upper_left = previous[i - channels] if i >= channels else 0
            if filter_type == 1:
                line[i] = (line[i] + left) & 0xFF
            elif filter_type == 2:
                line[i] = (line[i] + up) & 0xFF
            elif filter_type == 3:
                line[i] = (line[i] + ((left + up) >> 1)) & 0xFF
            elif filter_type == 4:
                p = left + up - upper_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - upper_left)
                predictor = left if pa <= pb and pa <= pc else (up if pb <= pc else upper_left)
                line[i] = (line[i] + predictor) & 0xFF
        for i in range(0, stride, channels):
            colours.add(bytes(line[i:i + 3]))
        previous = line
    return width, height, len(colours)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--areatwin", required=True, help="the areatwin executable")
    parser.add_argument("--batch", required=True, help="the batch file to run")
    parser.add_argument("--workdir", required=True, help="a folder for the outputs (emptied first)")
    args = parser.parse_args()

    if not os.access(CHROMIUM, os.X_OK):
        print(f"SKIP: {CHROMIUM} not found; install the Debian package 'chromium' to run this test")
        return SKIP

    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)
    gpkg = os.path.join(args.workdir, "demo.gpkg")
    html = os.path.join(args.workdir, "demo_report.html")

    # `run` writes the report next to the GeoPackage; `report` writes it again from the GeoPackage alone
    # and must give the same bytes.
    result = run([args.areatwin, "run", args.batch, "-o", gpkg, "--quiet"], timeout=240)
    if result.returncode != 0 or not os.path.isfile(html):
        fail(f"areatwin run exited with {result.returncode} or wrote no report:\n{result.stdout}\n{result.stderr}")
    with open(html, "rb") as f:
        from_run = f.read()
    again = os.path.join(args.workdir, "again.html")
    result = run([args.areatwin, "report", gpkg, "-o", again], timeout=120)
    if result.returncode != 0 or not os.path.isfile(again):
        fail(f"areatwin report exited with {result.returncode}:\n{result.stderr}")
    with open(again, "rb") as f:
        if f.read() != from_run:
            fail("areatwin report and the report written by areatwin run differ")
    with open(html, encoding="utf-8") as f:
        source = f.read()
    image_count = len(re.findall(r"<img\b", source))
    if image_count == 0:
        fail("the report has no images")
    print(f"report: {os.path.getsize(html)} bytes, {image_count} images")

    url = "file://" + os.path.abspath(html)
    result = chromium(url, ["--dump-dom", "--virtual-time-budget=5000", "--enable-logging=stderr", "--v=0"],
                      args.workdir)
    if result.returncode != 0:
        fail(f"chromium --dump-dom exited with {result.returncode}:\n{result.stderr[-4000:]}")
    dom = result.stdout
    if "</html>" not in dom or "areatwin report" not in dom:
        fail("the dumped DOM is not the report:\n" + dom[:2000])
    match = re.search(r'<body[^>]*\bdata-images-ok="([^"]*)"', dom)
    if match is None:
        fail("the body has no data-images-ok attribute")
    expected = f"{image_count}/{image_count}"
    if match.group(1) != expected:
        fail(f"data-images-ok is {match.group(1)!r}, expected {expected!r}: some images did not decode")
    errors = [line for line in result.stderr.splitlines()
              if "Uncaught" in line or ":CONSOLE" in line]  # the report logs nothing itself
    if errors:
        fail("console errors:\n" + "\n".join(errors))
    print(f"dump-dom: all {image_count} images decoded, no console errors")

    shot = os.path.join(args.workdir, "screenshot.png")
    result = chromium(url, [f"--screenshot={shot}", "--window-size=1280,2000", "--hide-scrollbars",
                            "--virtual-time-budget=5000"], args.workdir)
    if result.returncode != 0 or not os.path.isfile(shot):
        fail(f"chromium --screenshot exited with {result.returncode}:\n{result.stderr[-4000:]}")
    width, height, colours = png_distinct_colours(shot)
    print(f"screenshot: {width} x {height} px, {colours} distinct colours")
    if colours <= 10:
        fail(f"the screenshot looks blank ({colours} distinct colours)")
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
