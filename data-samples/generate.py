#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Generates the synthetic sample area of areatwin: sample.gpkg, plans.gpkg and dem.tif.

The area is an invented town edge of 1.5 km x 1.5 km in EPSG:28992 (Amersfoort / RD New),
x 136000-137500, y 455000-456500. Everything is drawn from seeded random.Random streams and fixed
formulas, so every run writes the same features in the same order (see README.md).

Layout, in local metres from the south-west corner (x east, y north):
- Hoofdstraat runs west-east at y 750 and crosses the whole area (and the canal on a bridge).
- Distributor roads: Kerkweg (x 480) and Molenweg (x 1000) south-north, Zuidsingel (y 250) west-east.
- Oude Vaart, a canal at x 1290-1310; east of it and north of Noordrand (y 1390) lies farmland.
- Neighbourhoods between the roads: row houses, semi-detached houses, flats, a school, a shopping
  strip with flats above, a wooded park with a pond, allotments, a sports park, a former works site.

Land cover is painted on a 0.5 m design grid (all design coordinates are multiples of 0.5 m) and
polygonised, so the land-cover polygons partition the area exactly and building footprints coincide
with the 'gebouw' class.

Usage: /usr/bin/python3 generate.py [--out DIR]   (default DIR: the folder of this script)
"""

import argparse
import math
import os
import random
import sys

import numpy as np
from osgeo import gdal, ogr, osr

gdal.UseExceptions()
ogr.UseExceptions()
osr.UseExceptions()

SEED = 344_2024
ORIGIN_X = 136000.0          # EPSG:28992 x of the south-west corner
ORIGIN_Y = 455000.0          # EPSG:28992 y of the south-west corner
SIZE = 1500.0                # side of the square area in metres
RES = 0.5                    # design grid for land cover, metres
EPSG = 28992
FIXED_DATE = "2024-01-01T00:00:00.000Z"  # gpkg_contents.last_change of every table
DEM_CELL = 5.0               # m
DEM_MARGIN = 50.0            # m around the area
NODATA = -9999.0
GEMEENTE = "0344"            # municipality code used in identifiers (synthetic)

CLASSES = ["verhard", "gebouw", "gras", "bomen", "struiken", "water", "kaal", "landbouw"]
CODE = {name: i + 1 for i, name in enumerate(CLASSES)}

# Road cross-sections: bands (distance from the centreline from, to, class), symmetric.
PROFILE = {
    "main": [(0.0, 3.5, "verhard"), (3.5, 8.5, "gras"), (8.5, 14.0, "verhard")],
    "distributor": [(0.0, 3.0, "verhard"), (3.0, 5.5, "gras"), (5.5, 8.0, "verhard")],
    "residential": [(0.0, 6.5, "verhard")],
}
HALF_WIDTH = {kind: bands[-1][1] for kind, bands in PROFILE.items()}

# Hourly flow per vehicle category and period as a share of the day flow of that category.
PERIOD_FACTOR = {
    "1": {"d": 1.0, "e": 0.55, "n": 0.12},
    "2": {"d": 1.0, "e": 0.35, "n": 0.10},
    "3": {"d": 1.0, "e": 0.30, "n": 0.12},
    "4a": {"d": 1.0, "e": 0.50, "n": 0.05},
    "4b": {"d": 1.0, "e": 0.60, "n": 0.08},
}
CATEGORIES = ["1", "2", "3", "4a", "4b"]
PERIODS = ["d", "e", "n"]
FLOW_FIELDS = [f"q{c}_{p}" for c in CATEGORIES for p in PERIODS]
# Day-flow shares of categories 2, 3, 4a, 4b (category 1 takes the rest).
SHARES = {
    "main": {"2": 0.045, "3": 0.025, "4a": 0.02, "4b": 0.008},
    "distributor": {"2": 0.03, "3": 0.01, "4a": 0.02, "4b": 0.006},
    "residential": {"2": 0.01, "3": 0.002, "4a": 0.02, "4b": 0.005},
}

STREET_NAMES = [
    "Lindelaan", "Esdoornstraat", "Berkenstraat", "Populierenstraat", "Wilgenstraat", "Iepenstraat",
    "Beukenstraat", "Eikenstraat", "Meidoornstraat", "Vlierstraat", "Hazelaarstraat", "Kastanjestraat",
    "Lijsterbesstraat", "Acaciastraat", "Klaverstraat", "Boterbloemstraat", "Korenbloemstraat",
    "Madeliefstraat", "Goudsbloemstraat", "Tulpstraat", "Narcisstraat", "Irisstraat", "Krokusstraat",
    "Zonnebloemstraat", "Dahliastraat", "Asterstraat", "Lavendelstraat", "Jasmijnstraat",
]
CROSS_STREET_NAMES = ["Dwarsweg", "Tuinpad", "Kortestraat", "Schoolpad"]
STREET_TREE_SPECIES = [
    "Tilia x europaea", "Platanus x hispanica", "Fraxinus excelsior", "Acer platanoides",
    "Ulmus 'Columella'", "Prunus avium", "Sorbus aucuparia", "Carpinus betulus",
    "Pyrus calleryana 'Chanticleer'",
]
PARK_TREE_SPECIES = [
    "Quercus robur", "Fagus sylvatica", "Acer pseudoplatanus", "Betula pendula", "Alnus glutinosa",
    "Aesculus hippocastanum", "Tilia cordata", "Carpinus betulus",
]


def rng_for(name):
    """An independent random stream per purpose, so changing one part leaves the others as they are."""
    return random.Random(f"{SEED}:{name}")


def cells(v):
    k = v / RES
    if abs(k - round(k)) > 1e-9:
        raise ValueError(f"design coordinate {v} is not a multiple of {RES} m")
    return int(round(k))


def rect_polygon(x0, y0, x1, y1):
    ring = ogr.Geometry(ogr.wkbLinearRing)
    for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)):
        ring.AddPoint_2D(ORIGIN_X + x, ORIGIN_Y + y)
    poly = ogr.Geometry(ogr.wkbPolygon)
    poly.AddGeometry(ring)
    return poly


def rects_intersect(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


class Road:
    def __init__(self, name, kind, x0, y0, x1, y1, street_type="open", surface="DEF", speed=None,
                 day_flow=None, trees=None):
        if x0 != x1 and y0 != y1:
            raise ValueError("roads of the sample are axis-aligned")
        self.name, self.kind = name, kind
        self.x0, self.y0, self.x1, self.y1 = x0, y0, x1, y1
        self.horizontal = y0 == y1
        self.street_type, self.surface = street_type, surface
        self.speed = speed or {"main": (50, 50), "distributor": (50, 50), "residential": (30, 30)}[kind]
        self.day_flow = day_flow      # function(position along the road) -> total day flow, or number
        self.trees = trees            # trees along the road: offset, spacing, species, height, allowed

    def corridor(self, d0, d1):
        """Rectangles of the band d0..d1 on both sides of the centreline."""
        if self.horizontal:
            a, b = sorted((self.x0, self.x1))
            c = self.y0
            return [(a, c + d0, b, c + d1), (a, c - d1, b, c - d0)]
        a, b = sorted((self.y0, self.y1))
        c = self.x0
        return [(c + d0, a, c + d1, b), (c - d1, a, c - d0, b)]

    def full_corridor(self):
        h = HALF_WIDTH[self.kind]
        if self.horizontal:
            a, b = sorted((self.x0, self.x1))
            return (a, self.y0 - h, b, self.y0 + h)
        a, b = sorted((self.y0, self.y1))
        return (self.x0 - h, a, self.x0 + h, b)


class Design:
    def __init__(self):
        n = cells(SIZE)
        self.n = n
        self.cover = np.full((n, n), CODE["gras"], dtype=np.uint8)
        self.building_mask = np.zeros((n, n), dtype=bool)
        self.road_mask = np.zeros((n, n), dtype=bool)
        self.buildings = []      # dicts: rects, hoogte, woningen, gebruik, straat, huisnummer
        self.roads = []
        self.tree_plans = []     # planting instructions, executed after all painting
        self.house_numbers = {}  # street -> {side: next number}

    # -- painting -------------------------------------------------------------------------------
    def window(self, rect):
        x0, y0, x1, y1 = rect
        x0, x1 = max(x0, 0.0), min(x1, SIZE)
        y0, y1 = max(y0, 0.0), min(y1, SIZE)
        if x1 <= x0 or y1 <= y0:
            return None
        return slice(cells(SIZE - y1), cells(SIZE - y0)), slice(cells(x0), cells(x1))

    def paint(self, rect, klasse):
        w = self.window(rect)
        if w is not None:
            self.cover[w] = CODE[klasse]

    def class_at(self, x, y):
        col = min(int(x / RES), self.n - 1)
        row = min(int((SIZE - y) / RES), self.n - 1)
        return CLASSES[self.cover[row, col] - 1]

    # -- features -------------------------------------------------------------------------------
    def number(self, street, side, count):
        sides = self.house_numbers.setdefault(street, {"oneven": 1, "even": 2})
        first = sides[side]
        sides[side] += 2 * count
        return first

    def add_building(self, rects, hoogte, woningen, gebruik, straat, side="oneven", units=1):
        for rect in rects:
            w = self.window(rect)
            if w is None or self.building_mask[w].any():
                raise ValueError(f"building at {rect} overlaps another building or lies outside")
            self.building_mask[w] = True
        number = self.number(straat, side, units) if straat else None
        self.buildings.append({"rects": rects, "hoogte": hoogte, "woningen": woningen,
                               "gebruik": gebruik, "straat": straat, "huisnummer": number})

    def add_road(self, road):
        self.roads.append(road)
        return road

    def plant_line(self, x0, y0, x1, y1, spacing, species, height, crown=(0.45, 0.7), allowed=("gras",)):
        """Trees every `spacing` m along a line, where the land cover is one of `allowed`."""
        self.tree_plans.append(("line", (x0, y0, x1, y1, spacing, species, height, crown, allowed)))

    def plant_area(self, rect, count, min_dist, species, height, crown=(0.5, 0.75), allowed=("bomen",)):
        """Up to `count` trees at random spots of `allowed` land cover, at least `min_dist` m apart."""
        self.tree_plans.append(("area", (rect, count, min_dist, species, height, crown, allowed)))


# ---------------------------------------------------------------------------------------------------
# Neighbourhood fillers
# ---------------------------------------------------------------------------------------------------

ROW_HOUSES = {"house_w": 5.5, "n": (4, 9), "gaps": (5.0, 6.0, 8.0), "front": 4.0, "depth": 10.0,
              "back": 15.0, "hoogte": (8.5, 10.0), "margin": 4.0}
DETACHED = {"house_w": 10.0, "n": (1, 1), "gaps": (8.0, 10.0, 12.0), "front": 6.0, "depth": 11.0,
            "back": 20.0, "hoogte": (7.5, 9.5), "margin": 6.0}
SEMI_DETACHED = {"house_w": 8.0, "n": (2, 2), "gaps": (6.0, 7.0, 8.0), "front": 6.0, "depth": 10.0,
                 "back": 18.0, "hoogte": (7.5, 9.0), "margin": 5.0}


def fill_rows(d, rng, zone, *, style, bottom_road, top_road, street_span, names, mid=None,
              reserved=(), street_trees=0.3):
    """Rows of dwellings back to back, facing residential streets that run west-east.

    zone: buildable rectangle between road corridors. bottom_road/top_road: name of the road along the
    zone's lower/upper edge that the outer rows face, or None (gardens then back onto the edge).
    street_span: x range of the new streets (centrelines of the roads at both ends).
    mid: (x, name, y_from, y_to) of a south-north street through the zone, or None.
    """
    x0, y0, x1, y1 = zone
    rowh = style["front"] + style["depth"] + style["back"]
    street = 2 * HALF_WIDTH["residential"]
    fixed = (rowh if bottom_road else 0.0) + (rowh if top_road else 0.0)
    k = int((y1 - y0 - fixed) // (2 * rowh + street))
    leftover = (y1 - y0) - fixed - k * (2 * rowh + street)
    street_names = [next(names) for _ in range(k)]

    sequence = []  # (kind, facing street name)
    if bottom_road:
        sequence.append(("down", bottom_road))
    for i in range(k):
        sequence += [("up", street_names[i]), ("street", street_names[i]), ("down", street_names[i])]
    if top_road:
        sequence.append(("up", top_road))
    # the leftover becomes a green strip between two back gardens (or at the open top edge)
    green_at = next((i + 1 for i, (kind, _) in enumerate(sequence) if kind == "down"), len(sequence))
    if top_road is None or green_at >= len(sequence):
        green_at = len(sequence)
    sequence.insert(green_at, ("green", None))

    segments = [(x0 + style["margin"], x1 - style["margin"])]
    if mid is not None:
        mx = mid[0]
        half = HALF_WIDTH["residential"] + 3.0
        segments = [(x0 + style["margin"], mx - half), (mx + half, x1 - style["margin"])]

    y = y0
    for kind, street_name in sequence:
        if kind == "green":
            if leftover > 0:
                d.paint((x0, y, x1, y + leftover), "gras")
                if leftover >= 20:
                    # a playground with a paved square in the middle of the strip
                    cx = x0 + round((x1 - x0) * rng.uniform(0.3, 0.7))
                    d.paint((cx, y + 4, cx + 16, y + leftover - 4), "verhard")
                y += leftover
            continue
        if kind == "street":
            yc = y + HALF_WIDTH["residential"]
            flow = round(rng.uniform(40, 140), 0)
            trees = None
            if rng.random() < street_trees:
                side = rng.choice((-1, 1))
                trees = {"offset": side * 5.0, "spacing": 20.0, "species": rng.choice(STREET_TREE_SPECIES),
                         "height": (7.0, 14.0), "allowed": ("verhard",)}
            d.add_road(Road(street_name, "residential", street_span[0], yc, street_span[1], yc,
                            street_type="canyon", surface=rng.choice(("NL10", "NL10", "DEF")),
                            day_flow=flow, trees=trees))
            y += street
            continue
        # a row of houses
        if kind == "down":
            front = (y, y + style["front"])
            house = (front[1], front[1] + style["depth"])
            back = (house[1], y + rowh)
            side = "even"      # north side of the street it faces
            terrace = (house[1], house[1] + 3.0)
            hedge = (y + rowh - 1.5, y + rowh)
        else:
            back = (y, y + style["back"])
            house = (back[1], back[1] + style["depth"])
            front = (house[1], y + rowh)
            side = "oneven"
            terrace = (house[0] - 3.0, house[0])
            hedge = (y, y + 1.5)
        for sx0, sx1 in segments:
            cursor = sx0
            while True:
                room = int((sx1 - cursor) // style["house_w"])
                if room < style["n"][0]:
                    break
                n = min(rng.randint(*style["n"]), room)
                bx0, bx1 = cursor, cursor + n * style["house_w"]
                gap = rng.choice(style["gaps"])
                cursor = bx1 + gap
                plot = (bx0, y, bx1, y + rowh)
                if any(rects_intersect(plot, r) for r in reserved):
                    continue
                d.paint((bx0, front[0], bx1, front[1]), rng.choice(("struiken", "struiken", "gras", "verhard")))
                if rng.random() < 0.2:
                    d.paint((bx0, back[0], bx1, back[1]), "verhard")   # fully paved back gardens
                else:
                    d.paint((bx0, back[0], bx1, back[1]), "gras")
                    d.paint((bx0, terrace[0], bx1, terrace[1]), "verhard")
                    if rng.random() < 0.25:
                        d.paint((bx0, hedge[0], bx1, hedge[1]), "struiken")
                # a paved path through the gap to the back gardens
                if cursor + 1.5 <= sx1:
                    d.paint((bx1 + 1.0, y, bx1 + 2.5, y + rowh), "verhard")
                hoogte = round(rng.uniform(*style["hoogte"]) * 2) / 2
                d.add_building([(bx0, house[0], bx1, house[1])], hoogte, n, "woon", street_name, side, n)
        y += rowh

    if mid is not None:
        mx, name, ya, yb = mid
        d.add_road(Road(name, "residential", mx, ya, mx, yb, street_type="open", surface="NL10",
                        day_flow=round(rng.uniform(50, 135), 0)))


def fill_school_and_flats(d, rng, zone):
    """South-middle: flats along Hoofdstraat, Schoolstraat with a school, portiek flats in green."""
    x0, y0, x1, y1 = zone   # 488, 258, 992, 736
    ys = 500.0
    d.add_road(Road("Schoolstraat", "residential", 480.0, ys, 1000.0, ys, street_type="open",
                    surface="DEF", day_flow=150.0,
                    trees={"offset": 5.0, "spacing": 12.0, "species": "Tilia cordata",
                           "height": (8.0, 14.0), "allowed": ("verhard",)}))
    # flats along Hoofdstraat: front 2 m behind the corridor, paved forecourt, parking behind
    d.paint((x0, y1 - 6, x1, y1), "verhard")
    d.paint((x0 + 6, y1 - 52, x1 - 6, y1 - 34), "verhard")
    for i, (fx0, fx1) in enumerate(((500, 596), (616, 712), (762, 858), (878, 974))):
        hoogte = [15.0, 16.5, 12.5, 15.0][i]
        d.add_building([(fx0, y1 - 16, fx1, y1 - 2)], hoogte, [40, 44, 32, 40][i], "woon", "Hoofdstraat",
                       "oneven", 2)
    # garage boxes behind the flats
    for gx in (520.0, 640.0, 800.0):
        d.add_building([(gx, y1 - 74, gx + 36, y1 - 68)], 3.0, 0, "garage", None)
        d.paint((gx - 2, y1 - 80, gx + 38, y1 - 74), "verhard")
    # school north of Schoolstraat: L-shaped building, gym, schoolyard and playing field
    d.paint((560, 512, 760, 600), "verhard")
    d.add_building([(580, 540, 690, 556), (580, 556, 596, 590)], 10.0, 0, "school", "Schoolstraat", "even", 1)
    d.add_building([(700, 540, 736, 562)], 8.0, 0, "school", None)
    d.paint((780, 515, 975, 605), "gras")
    d.paint((780, 605, 975, 612), "struiken")
    d.plant_line(782.0, 609.0, 972.0, 609.0, 9.0, "Carpinus betulus", (6.0, 10.0), allowed=("struiken",))
    # portiek flats south of Schoolstraat in open green, with paths and parking
    d.paint((x0 + 4, 470, x1 - 4, 486), "verhard")
    for i, fx in enumerate((510.0, 610.0, 710.0, 810.0, 910.0)):
        fy = 300.0 if i % 2 == 0 else 400.0
        d.add_building([(fx, fy, fx + 60, fy + 11)], 12.5, 24, "woon", "Schoolstraat", "oneven", 3)
        d.paint((fx + 26, fy + 11, fx + 28, 470), "verhard")
    d.paint((x0, 268, x1, 272), "verhard")   # footpath along Zuidsingel
    d.plant_area((x0 + 4, 275.0, x1 - 4, 466.0), 25, 14.0, PARK_TREE_SPECIES, (8.0, 20.0),
                 allowed=("gras",))


def fill_shops_and_park(d, rng, zone):
    """North-middle: shopping strip with flats above along Hoofdstraat, parking, a wooded park."""
    x0, y0, x1, y1 = zone   # 488, 764, 992, 1383.5
    d.paint((x0, y0, x1, y0 + 4), "verhard")                    # shop front pavement
    cursor = x0 + 4
    shops = []
    while cursor < x1 - 30:
        if len(shops) == 5:
            w, depth, hoogte, units, use = 50.0, 34.0, 7.0, 0, "winkel"      # supermarket
        else:
            w = rng.choice((18.0, 22.0, 26.0, 30.0))
            depth, hoogte, units, use = 16.0, rng.choice((10.0, 11.5, 13.0)), int(w // 4.5), "winkel"
        w = min(w, x1 - 4 - cursor)
        shops.append((cursor, w, depth, hoogte, units, use))
        cursor += w + rng.choice((3.0, 4.0))
    for sx, w, depth, hoogte, units, use in shops:
        d.add_building([(sx, y0 + 4, sx + w, y0 + 4 + depth)], hoogte, units, use, "Hoofdstraat", "even", 1)
        d.paint((sx + w, y0 + 4, sx + w + 3, y0 + 40), "verhard")
    d.paint((x0, y0 + 40, x1, y0 + 80), "verhard")              # parking behind the shops
    d.paint((x0, y0 + 16 + 4, x1, y0 + 40), "verhard")
    # park
    park = (x0, y0 + 80, x1, y1)
    d.paint((x0, y0 + 80, x1, y0 + 86), "struiken")
    d.paint((park[0], park[1] + 6, park[2], park[3]), "bomen")
    d.paint((520, 880, 660, 990), "gras")                       # lawn
    d.paint((840, 1180, 970, 1300), "gras")                     # lawn
    d.paint((650, 1000, 820, 1080), "water")                    # pond, L-shaped
    d.paint((760, 1080, 820, 1160), "water")
    d.paint((640, 990, 830, 1000), "gras")
    d.paint((740, 850, 743, y1), "verhard")                     # paths
    d.paint((x0, 960, 650, 963), "verhard")
    d.paint((830, 1170, x1, 1173), "verhard")
    d.paint((600, 1200, 700, 1260), "struiken")
    d.plant_area((x0 + 2, 850.0, x1 - 2, y1 - 2), 75, 12.0, PARK_TREE_SPECIES, (10.0, 26.0),
                 allowed=("bomen",))
    d.plant_area((520.0, 880.0, 660.0, 990.0), 6, 25.0, ["Quercus robur", "Fagus sylvatica"], (16.0, 24.0),
                 allowed=("gras",))
    d.plant_line(652.0, 996.0, 826.0, 996.0, 12.0, "Salix alba", (8.0, 14.0))


def fill_flats_and_works(d, rng, zone):
    """North-east: apartment blocks in green along Vaartsingel; a cleared works site (new park plan)."""
    x0, y0, x1, y1 = zone   # 1008, 764, 1282, 1396.5
    yv = 1000.0
    d.add_road(Road("Vaartsingel", "residential", 1000.0, yv, 1276.0, yv, street_type="open",
                    surface="DEF", day_flow=110.0,
                    trees={"offset": -5.0, "spacing": 12.0, "species": "Platanus x hispanica",
                           "height": (10.0, 18.0), "allowed": ("verhard",)}))
    # high-rise blocks south of Vaartsingel, low-rise north of it
    d.add_building([(1030, 800, 1090, 813)], 24.5, 64, "woon", "Vaartsingel", "oneven", 1)
    d.add_building([(1130, 800, 1190, 813)], 21.5, 56, "woon", "Vaartsingel", "oneven", 1)
    d.add_building([(1030, 900, 1090, 912)], 18.5, 48, "woon", "Vaartsingel", "oneven", 1)
    d.add_building([(1130, 900, 1190, 912)], 12.5, 24, "woon", "Vaartsingel", "oneven", 1)
    d.add_building([(1220, 860, 1268, 872)], 12.5, 20, "woon", "Vaartsingel", "oneven", 1)
    d.paint((1030, 930, 1250, 985), "verhard")                 # parking
    for gx in (1040.0, 1100.0, 1160.0):
        d.add_building([(gx, 940, gx + 30, 946)], 3.0, 0, "garage", None)
    d.add_building([(1030, 1030, 1090, 1042)], 12.5, 24, "woon", "Vaartsingel", "even", 1)
    d.add_building([(1130, 1030, 1190, 1042)], 15.5, 30, "woon", "Vaartsingel", "even", 1)
    d.paint((1020, 1050, 1270, 1056), "struiken")
    for fx0, fy0, fx1 in ((1030, 813, 1090), (1130, 813, 1190), (1030, 912, 1090), (1130, 912, 1190)):
        d.paint((fx0 + 28, fy0, fx0 + 31, fy0 + 17), "verhard")
    d.plant_area((x0 + 4, 770.0, x1 - 4, 990.0), 25, 15.0, PARK_TREE_SPECIES, (8.0, 18.0), allowed=("gras",))
    # the former works site, cleared: part sealed, part bare sand
    d.paint((1100, 1200, 1276, 1390), "kaal")
    d.paint((1100, 1200, 1276, 1250), "verhard")
    d.paint((1100, 1250, 1150, 1330), "verhard")
    d.paint((1100, 1060, 1276, 1196), "gras")
    d.plant_area((1012.0, 1060.0, 1096.0, 1390.0), 15, 12.0, ["Populus x canadensis", "Salix alba",
                                                              "Alnus glutinosa"], (12.0, 24.0),
                 allowed=("gras", "bomen"))
    d.paint((1012, 1100, 1096, 1300), "bomen")


def fill_allotments(d, rng, zone):
    """South-middle below Zuidsingel: allotment gardens in plots with paths."""
    x0, y0, x1, y1 = zone   # 488, 0, 992, 242
    d.paint(zone, "gras")
    py = y0 + 10
    while py + 25 <= y1 - 10:
        px = x0 + 10
        while px + 15 <= x1 - 10:
            d.paint((px, py, px + 15, py + 25), rng.choice(("struiken", "kaal", "gras", "kaal", "struiken")))
            px += 16
        d.paint((x0 + 10, py + 25, x1 - 10, py + 27), "verhard")
        py += 27
    d.paint((x0, y1 - 8, x1, y1), "verhard")                   # parking along Zuidsingel
    d.plant_line(x0 + 4, y0 + 4, x1 - 4, y0 + 4, 30.0, "Alnus glutinosa", (9.0, 16.0))


def fill_sports(d, rng, zone):
    """South-east below Zuidsingel: two pitches framed by tree rows, parking."""
    x0, y0, x1, y1 = zone   # 1008, 0, 1282, 242
    d.paint(zone, "gras")
    d.paint((x0, y1 - 30, x0 + 80, y1), "verhard")
    d.paint((x0 + 10, y0 + 10, x1 - 10, y0 + 16), "bomen")
    d.paint((x0 + 10, y1 - 40, x1 - 10, y1 - 34), "bomen")
    d.paint((x0 + 10, y0 + 16, x0 + 16, y1 - 40), "bomen")
    d.paint((x1 - 16, y0 + 16, x1 - 10, y1 - 40), "bomen")
    d.plant_area((x0 + 10.0, y0 + 10.0, x1 - 10.0, y1 - 34.0), 20, 8.0, ["Quercus robur", "Tilia cordata"],
                 (12.0, 22.0), allowed=("bomen",))


def fill_farmland(d, rng):
    """Polder east of the canal and north of Noordrand: fields with ditches, one farm."""
    d.paint((0, 1396.5, 1282, SIZE), "landbouw")
    d.paint((1318, 0, SIZE, SIZE), "landbouw")
    for x in (120.0, 260.0, 380.0, 620.0, 760.0, 880.0, 1140.0, 1240.0):
        d.paint((x, 1402, x + 2, SIZE), "water")
    d.paint((0, 1398, 1282, 1400), "water")
    for y in (90.0, 180.0, 360.0, 470.0, 580.0, 900.0, 1020.0, 1140.0, 1260.0, 1380.0):
        d.paint((1324, y, SIZE, y + 2), "water")
    d.paint((1324, 0, 1326, SIZE), "water")
    # farm: house, yard, tree row
    d.paint((1380, 766, 1440, 820), "verhard")
    d.paint((1442, 766, 1446, 840), "bomen")
    d.add_building([(1390, 780, 1404, 794)], 8.5, 1, "woon", "Hoofdstraat", "even", 1)
    d.add_building([(1410, 790, 1436, 814)], 9.0, 0, "garage", None)
    d.plant_line(1444.0, 768.0, 1444.0, 838.0, 7.0, "Fraxinus excelsior", (14.0, 22.0), allowed=("bomen",))


def fill_canal(d):
    d.paint((1282, 0, 1318, SIZE), "gras")
    d.paint((1290, 0, 1310, SIZE), "water")
    d.plant_line(1286.0, 4.0, 1286.0, SIZE - 4, 40.0, "Salix alba", (8.0, 14.0))


# ---------------------------------------------------------------------------------------------------
# The design
# ---------------------------------------------------------------------------------------------------

def hoofdstraat_flow(x):
    if x < 480:
        return 940.0
    if x < 1000:
        return 1080.0
    return 880.0


def build_design():
    d = Design()
    names = iter(STREET_NAMES)
    cross = iter(CROSS_STREET_NAMES)
    rng = rng_for("neighbourhoods")
    hw_main, hw_dist, hw_res = HALF_WIDTH["main"], HALF_WIDTH["distributor"], HALF_WIDTH["residential"]

    # main and distributor roads
    d.add_road(Road("Hoofdstraat", "main", 0.0, 750.0, SIZE, 750.0, surface="DEF", day_flow=hoofdstraat_flow,
                    trees={"offset": 6.0, "spacing": 15.0, "species": "Tilia x europaea",
                           "height": (12.0, 20.0), "allowed": ("gras",), "both_sides": True}))
    d.add_road(Road("Kerkweg", "distributor", 480.0, 0.0, 480.0, SIZE, surface="NL05", day_flow=340.0,
                    trees={"offset": 4.5, "spacing": 20.0, "species": "Platanus x hispanica",
                           "height": (12.0, 20.0), "allowed": ("gras",), "both_sides": False}))
    d.add_road(Road("Molenweg", "distributor", 1000.0, 0.0, 1000.0, SIZE, surface="NL05", day_flow=290.0,
                    trees={"offset": 4.5, "spacing": 20.0, "species": "Fraxinus excelsior",
                           "height": (12.0, 20.0), "allowed": ("gras",), "both_sides": False}))
    d.add_road(Road("Zuidsingel", "distributor", 0.0, 250.0, SIZE, 250.0, surface="DEF", day_flow=240.0,
                    trees={"offset": -4.5, "spacing": 20.0, "species": "Acer platanoides",
                           "height": (9.0, 16.0), "allowed": ("gras",), "both_sides": False}))
    d.add_road(Road("Noordrand", "residential", 0.0, 1390.0, 1000.0, 1390.0, surface="NL10", day_flow=120.0,
                    trees={"offset": -5.0, "spacing": 25.0, "species": "Quercus robur",
                           "height": (12.0, 20.0), "allowed": ("verhard",)}))

    fill_canal(d)
    fill_farmland(d, rng)

    # south-west below Zuidsingel: detached houses
    fill_rows(d, rng, (0.0, 0.0, 480.0 - hw_dist, 250.0 - hw_dist), style=DETACHED,
              bottom_road=None, top_road="Zuidsingel", street_span=(0.0, 480.0), names=names,
              mid=(240.0, next(cross), 0.0, 250.0))
    # south-west between Zuidsingel and Hoofdstraat: row houses
    fill_rows(d, rng, (0.0, 250.0 + hw_dist, 480.0 - hw_dist, 750.0 - hw_main), style=ROW_HOUSES,
              bottom_road="Zuidsingel", top_road="Hoofdstraat", street_span=(0.0, 480.0), names=names,
              mid=(236.0, next(cross), 250.0, 750.0))
    # north-west: semi-detached houses, with the housing site next to Hoofdstraat kept free
    housing_site = (150.0, 750.0 + hw_main, 310.0, 822.0)
    fill_rows(d, rng, (0.0, 750.0 + hw_main, 480.0 - hw_dist, 1180.0), style=SEMI_DETACHED,
              bottom_road="Hoofdstraat", top_road=None, street_span=(0.0, 480.0), names=names,
              mid=(340.0, next(cross), 750.0, 1390.0), reserved=[housing_site], street_trees=0.3)
    # a neighbourhood park between the rows and Noordrand
    d.paint((0.0, 1180.0, 480.0 - hw_dist, 1390.0 - hw_res), "gras")
    d.paint((20.0, 1200.0, 200.0, 1370.0), "bomen")
    d.paint((380.0, 1200.0, 466.0, 1300.0), "bomen")
    d.paint((220.0, 1240.0, 300.0, 1290.0), "water")
    d.paint((0.0, 1184.0, 330.0, 1187.0), "verhard")
    d.plant_area((20.0, 1200.0, 200.0, 1370.0), 32, 10.0, PARK_TREE_SPECIES, (10.0, 22.0), allowed=("bomen",))
    d.plant_area((380.0, 1200.0, 466.0, 1300.0), 12, 10.0, PARK_TREE_SPECIES, (10.0, 22.0), allowed=("bomen",))
    d.paint(housing_site, "gras")
    d.paint((housing_site[0], 790.0, housing_site[2], 792.0), "verhard")   # footpath across the site
    d.plant_area(housing_site, 7, 14.0, ["Quercus robur", "Tilia cordata", "Betula pendula"], (9.0, 18.0),
                 allowed=("gras",))
    # middle
    fill_allotments(d, rng, (480.0 + hw_dist, 0.0, 1000.0 - hw_dist, 250.0 - hw_dist))
    fill_school_and_flats(d, rng, (480.0 + hw_dist, 250.0 + hw_dist, 1000.0 - hw_dist, 750.0 - hw_main))
    fill_shops_and_park(d, rng, (480.0 + hw_dist, 750.0 + hw_main, 1000.0 - hw_dist, 1390.0 - hw_res))
    d.paint((480.0 + hw_dist, 1390.0 - hw_res, 1000.0 - hw_dist, 1390.0 + hw_res), "gras")
    # east of Molenweg, west of the canal
    fill_sports(d, rng, (1000.0 + hw_dist, 0.0, 1282.0, 250.0 - hw_dist))
    fill_rows(d, rng, (1000.0 + hw_dist, 250.0 + hw_dist, 1282.0, 750.0 - hw_main), style=SEMI_DETACHED,
              bottom_road="Zuidsingel", top_road="Hoofdstraat", street_span=(1000.0, 1276.0), names=names)
    fill_flats_and_works(d, rng, (1000.0 + hw_dist, 750.0 + hw_main, 1282.0, 1396.5))

    paint_roads(d)
    for b in d.buildings:
        for rect in b["rects"]:
            d.paint(rect, "gebouw")
    if (d.building_mask & d.road_mask).any():
        raise ValueError("a building footprint overlaps a road corridor")
    return d


def paint_roads(d):
    roads = d.roads
    for road in roads:                       # soft bands first, paved bands over them
        for d0, d1, klasse in PROFILE[road.kind]:
            if klasse != "verhard":
                for rect in road.corridor(d0, d1):
                    d.paint(rect, klasse)
    for road in roads:
        for d0, d1, klasse in PROFILE[road.kind]:
            if klasse == "verhard":
                for rect in road.corridor(d0, d1):
                    d.paint(rect, klasse)
        w = d.window(road.full_corridor())
        d.road_mask[w] = True
    # the Hoofdstraat shopping stretch has parking bays instead of verges
    d.paint((480.0, 750.0 - 8.5, 1000.0, 750.0 + 8.5), "verhard")
    # junction squares and bridges are paved throughout
    for i, a in enumerate(roads):
        for b in roads[i + 1:]:
            ca, cb = a.full_corridor(), b.full_corridor()
            if rects_intersect(ca, cb):
                d.paint((max(ca[0], cb[0]), max(ca[1], cb[1]), min(ca[2], cb[2]), min(ca[3], cb[3])), "verhard")
    for road in roads:
        c = road.full_corridor()
        if rects_intersect(c, (1282.0, 0.0, 1318.0, SIZE)):
            d.paint((max(c[0], 1282.0), c[1], min(c[2], 1318.0), c[3]), "verhard")


# ---------------------------------------------------------------------------------------------------
# Derived features
# ---------------------------------------------------------------------------------------------------

def split_roads(roads):
    """Splits every road at its junctions with other roads, like a road network register does."""
    segments = []
    junctions = []
    for road in roads:
        cuts = set()
        for other in roads:
            if other is road or other.horizontal == road.horizontal:
                continue
            h, v = (road, other) if road.horizontal else (other, road)
            hx0, hx1 = sorted((h.x0, h.x1))
            vy0, vy1 = sorted((v.y0, v.y1))
            if hx0 <= v.x0 <= hx1 and vy0 <= h.y0 <= vy1:
                pos = v.x0 if road.horizontal else h.y0
                cuts.add(pos)
                junctions.append((v.x0, h.y0))
        a, b = (road.x0, road.x1) if road.horizontal else (road.y0, road.y1)
        points = sorted({a, b} | {c for c in cuts if a < c < b})
        for p, q in zip(points, points[1:]):
            if road.horizontal:
                segments.append((road, (p, road.y0, q, road.y0)))
            else:
                segments.append((road, (road.x0, p, road.x0, q)))
    return segments, sorted(set(junctions))


def road_attributes(road, line, rng):
    mid = (line[0] + line[2]) / 2 if road.horizontal else (line[1] + line[3]) / 2
    base = road.day_flow(mid) if callable(road.day_flow) else road.day_flow
    total = base * rng.uniform(0.92, 1.08)
    shares = SHARES[road.kind]
    day = {c: total * shares[c] for c in ("2", "3", "4a", "4b")}
    day["1"] = total - sum(day.values())
    values = {}
    for c in CATEGORIES:
        for p in PERIODS:
            values[f"q{c}_{p}"] = round(day[c] * PERIOD_FACTOR[c][p], 1)
    street_type = road.street_type
    if road.name == "Hoofdstraat":
        street_type = "canyon" if 480.0 <= mid <= 1000.0 else "open"
    values.update({"naam": road.name, "snelheid_licht": road.speed[0], "snelheid_zwaar": road.speed[1],
                   "wegdek": road.surface, "straattype": street_type})
    return values


def plant_trees(d, junctions):
    rng = rng_for("trees")
    trees = []

    def near_junction(x, y, dist):
        return any(abs(x - jx) < dist and abs(y - jy) < dist for jx, jy in junctions)

    def crown_for(h, crown):
        return round(h * rng.uniform(*crown) * 2) / 2

    def free(x, y, min_dist):
        return all((x - tx) ** 2 + (y - ty) ** 2 >= min_dist ** 2 for tx, ty, *_ in trees)

    def road_lines():
        for road in d.roads:
            t = road.trees
            if not t:
                continue
            offsets = [t["offset"], -t["offset"]] if t.get("both_sides") else [t["offset"]]
            for off in offsets:
                if road.horizontal:
                    yield (road.x0, road.y0 + off, road.x1, road.y0 + off, t["spacing"], t["species"],
                           t["height"], (0.45, 0.7), t["allowed"])
                else:
                    yield (road.x0 + off, road.y0, road.x0 + off, road.y1, t["spacing"], t["species"],
                           t["height"], (0.45, 0.7), t["allowed"])

    plans = [("line", spec) for spec in road_lines()] + d.tree_plans
    for kind, spec in plans:
        if kind == "line":
            x0, y0, x1, y1, spacing, species, height, crown, allowed = spec
            length = math.hypot(x1 - x0, y1 - y0)
            steps = int(length // spacing)
            start = (length - steps * spacing) / 2
            for i in range(steps + 1):
                t = (start + i * spacing) / length if length else 0.0
                x, y = x0 + (x1 - x0) * t, y0 + (y1 - y0) * t
                if not (0.5 < x < SIZE - 0.5 and 0.5 < y < SIZE - 0.5):
                    continue
                if near_junction(x, y, 15.0) or d.class_at(x, y) not in allowed or not free(x, y, 4.0):
                    continue
                h = round(rng.uniform(*height), 1)
                trees.append((x, y, h, crown_for(h, crown), species))
        else:
            rect, count, min_dist, species, height, crown, allowed = spec
            placed, attempts = 0, 0
            while placed < count and attempts < count * 60:
                attempts += 1
                x = round(rng.uniform(rect[0], rect[2]), 1)
                y = round(rng.uniform(rect[1], rect[3]), 1)
                if d.class_at(x, y) not in allowed or not free(x, y, min_dist):
                    continue
                h = round(rng.uniform(*height), 1)
                trees.append((x, y, h, crown_for(h, crown), rng.choice(species)))
                placed += 1
    return trees


def bag_id(serial):
    return f"{GEMEENTE}10{serial:010d}"


# ---------------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------------

def srs_rd():
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(EPSG)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return srs


FIELD_TYPES = {int: ogr.OFTInteger, float: ogr.OFTReal, str: ogr.OFTString}


def write_layer(ds, name, geom_type, fields, rows, description):
    """fields: list of (name, python type); rows: list of (geometry, {field: value})."""
    layer = ds.CreateLayer(name, srs_rd(), geom_type,
                           options=["FID=fid", "GEOMETRY_NAME=geom", "SPATIAL_INDEX=YES",
                                    f"DESCRIPTION={description}"])
    for fname, ftype in fields:
        layer.CreateField(ogr.FieldDefn(fname, FIELD_TYPES[ftype]))
    defn = layer.GetLayerDefn()
    layer.StartTransaction()
    for geom, values in rows:
        f = ogr.Feature(defn)
        f.SetGeometry(geom)
        for fname, ftype in fields:
            v = values[fname]
            if v is not None:
                f.SetField(fname, v)
        layer.CreateFeature(f)
    layer.CommitTransaction()
    return len(rows)


def open_gpkg(path):
    if os.path.exists(path):
        os.remove(path)
    return ogr.GetDriverByName("GPKG").CreateDataSource(path)


def vacuum(path):
    ds = gdal.OpenEx(path, gdal.OF_VECTOR | gdal.OF_UPDATE)
    ds.ExecuteSQL("VACUUM")
    ds = None


def point(x, y):
    g = ogr.Geometry(ogr.wkbPoint)
    g.AddPoint_2D(ORIGIN_X + x, ORIGIN_Y + y)
    return g


def line(x0, y0, x1, y1):
    g = ogr.Geometry(ogr.wkbLineString)
    g.AddPoint_2D(ORIGIN_X + x0, ORIGIN_Y + y0)
    g.AddPoint_2D(ORIGIN_X + x1, ORIGIN_Y + y1)
    return g


def footprint(rects):
    geom = rect_polygon(*rects[0])
    for rect in rects[1:]:
        geom = geom.Union(rect_polygon(*rect))
    return geom


def polygonize_landcover(d):
    mem = gdal.GetDriverByName("MEM").Create("", d.n, d.n, 1, gdal.GDT_Byte)
    mem.SetGeoTransform((ORIGIN_X, RES, 0.0, ORIGIN_Y + SIZE, 0.0, -RES))
    mem.SetSpatialRef(srs_rd())
    mem.GetRasterBand(1).WriteArray(d.cover)
    ods = ogr.GetDriverByName("Memory").CreateDataSource("")
    olayer = ods.CreateLayer("landcover", srs_rd(), ogr.wkbPolygon)
    olayer.CreateField(ogr.FieldDefn("code", ogr.OFTInteger))
    gdal.Polygonize(mem.GetRasterBand(1), None, olayer, 0, [], callback=None)
    rows = []
    for f in olayer:
        rows.append((f.GetGeometryRef().Clone(), {"klasse": CLASSES[f.GetField("code") - 1]}))
    return rows


def buurten():
    """Nine neighbourhoods bounded by the centrelines of the main roads and the distributors."""
    xs = [0.0, 480.0, 1000.0, SIZE]
    ys = [0.0, 250.0, 750.0, SIZE]
    names = [["Zuiderkamp", "Kerkveld", "Lindenhof"],
             ["Volkstuinen De Kamp", "Schoolbuurt", "Centrum Oostveen"],
             ["Sportpark Vaartzicht", "Molenhoek", "Oostveense Polder"]]
    out = []
    for i in range(3):
        for j in range(3):
            out.append({"rect": (xs[i], ys[j], xs[i + 1], ys[j + 1]),
                        "buurtcode": f"BU{GEMEENTE}{i + 1:02d}{j + 1:02d}", "buurtnaam": names[i][j]})
    return out


def write_sample(d, path):
    counts = {}
    ds = open_gpkg(path)
    rng = rng_for("buildings")

    # buildings and their addresses
    rows, addresses = [], []
    serial = 100_000
    for b in d.buildings:
        serial += rng.randint(1, 40)
        geom = footprint(b["rects"])
        rows.append((geom, {"identificatie": bag_id(serial), "hoogte": b["hoogte"], "woningen": b["woningen"],
                            "gebruik": b["gebruik"]}))
        if b["woningen"] > 0:
            inside = geom.PointOnSurface()
            residents = int(round(b["woningen"] * rng.uniform(1.9, 2.5)))
            addresses.append((inside, {"straat": b["straat"], "huisnummer": b["huisnummer"],
                                       "woningen": b["woningen"], "inwoners": residents}))
    counts["buildings"] = write_layer(
        ds, "buildings", ogr.wkbPolygon,
        [("identificatie", str), ("hoogte", float), ("woningen", int), ("gebruik", str)], rows,
        "Building footprints (synthetic, BAG-like): height above ground in m, dwellings, use")

    # roads, split at junctions
    segments, junctions = split_roads(d.roads)
    frng = rng_for("traffic")
    rows = [(line(*seg), road_attributes(road, seg, frng)) for road, seg in segments]
    fields = [("naam", str)] + [(f, float) for f in FLOW_FIELDS] + [
        ("snelheid_licht", int), ("snelheid_zwaar", int), ("wegdek", str), ("straattype", str)]
    counts["roads"] = write_layer(
        ds, "roads", ogr.wkbLineString, fields, rows,
        "Road centrelines with hourly flows per CNOSSOS-EU vehicle category and period (veh/h)")

    # land cover
    counts["landcover"] = write_layer(ds, "landcover", ogr.wkbPolygon, [("klasse", str)],
                                      polygonize_landcover(d), "Land cover partition of the area")

    # trees
    trees = plant_trees(d, junctions)
    rows = [(point(x, y), {"boomhoogte": h, "kroondiameter": c, "soort": s}) for x, y, h, c, s in trees]
    counts["trees"] = write_layer(ds, "trees", ogr.wkbPoint,
                                  [("soort", str), ("boomhoogte", float), ("kroondiameter", float)], rows,
                                  "Street and park trees: height and crown diameter in m")

    counts["addresses"] = write_layer(
        ds, "addresses", ogr.wkbPoint,
        [("straat", str), ("huisnummer", int), ("woningen", int), ("inwoners", int)], addresses,
        "One address point per dwelling-bearing building: dwellings and residents")

    # neighbourhoods with their residents
    rows = []
    for b in buurten():
        x0, y0, x1, y1 = b["rect"]
        total = 0
        for geom, values in addresses:
            x, y = geom.GetX() - ORIGIN_X, geom.GetY() - ORIGIN_Y
            if x0 < x < x1 and y0 < y < y1:
                total += values["inwoners"]
        rows.append((rect_polygon(x0, y0, x1, y1), {"buurtcode": b["buurtcode"], "buurtnaam": b["buurtnaam"],
                                                    "aantal_inwoners": total}))
    if sum(r[1]["aantal_inwoners"] for r in rows) != sum(a[1]["inwoners"] for a in addresses):
        raise ValueError("an address lies on a neighbourhood boundary")
    counts["buurten"] = write_layer(ds, "buurten", ogr.wkbPolygon,
                                    [("buurtcode", str), ("buurtnaam", str), ("aantal_inwoners", int)], rows,
                                    "Neighbourhoods (CBS-buurt-like) with their residents")
    ds = None
    vacuum(path)
    return counts


def write_plans(path):
    counts = {}
    rng = rng_for("plans")
    ds = open_gpkg(path)
    site = (150.0, 764.0, 310.0, 822.0)
    counts["housing_site"] = write_layer(
        ds, "housing_site", ogr.wkbPolygon, [("naam", str)],
        [(rect_polygon(*site), {"naam": "Bouwlocatie Hoofdstraat-west"})],
        "Site of the housing block plan (now a grass field with trees)")
    blocks = [((160.0, 770.0, 215.0, 784.0), 15.0, 30, "Hoofdstraat", 101),
              ((235.0, 770.0, 300.0, 784.0), 18.0, 42, "Hoofdstraat", 121),
              ((163.0, 802.0, 212.5, 812.0), 9.5, 9, "Hoofdstraat", 141),
              ((240.0, 802.0, 289.5, 812.0), 9.5, 9, "Hoofdstraat", 159)]
    rows, addresses = [], []
    for i, (rect, hoogte, woningen, street, number) in enumerate(blocks):
        geom = rect_polygon(*rect)
        rows.append((geom, {"identificatie": f"PLAN-{i + 1:02d}", "hoogte": hoogte, "woningen": woningen,
                            "gebruik": "woon"}))
        addresses.append((geom.PointOnSurface(), {"straat": street, "huisnummer": number, "woningen": woningen,
                                                  "inwoners": int(round(woningen * rng.uniform(1.9, 2.5)))}))
    counts["housing_block"] = write_layer(
        ds, "housing_block", ogr.wkbPolygon,
        [("identificatie", str), ("hoogte", float), ("woningen", int), ("gebruik", str)], rows,
        "Planned buildings on the housing site: height in m, dwellings")
    counts["housing_addresses"] = write_layer(
        ds, "housing_addresses", ogr.wkbPoint,
        [("straat", str), ("huisnummer", int), ("woningen", int), ("inwoners", int)], addresses,
        "Expected residents of the planned buildings, one point per building")
    rows = []
    for side in (-6.0, 6.0):
        x = 495.0
        while x <= 985.0:
            if abs(x - 740.0) > 8.0:          # leave the footpath crossing free
                h = round(rng.uniform(5.0, 7.0), 1)
                rows.append((point(x, 750.0 + side), {"soort": "Ulmus 'Columella'" if side < 0 else "Tilia cordata",
                                                      "boomhoogte": h, "kroondiameter": round(h * 0.5, 1)}))
            x += 12.5
    counts["new_trees"] = write_layer(ds, "new_trees", ogr.wkbPoint,
                                      [("soort", str), ("boomhoogte", float), ("kroondiameter", float)], rows,
                                      "Trees to plant along Hoofdstraat: height and crown diameter in m")
    counts["new_park"] = write_layer(
        ds, "new_park", ogr.wkbPolygon, [("naam", str)],
        [(rect_polygon(1100.0, 1200.0, 1276.0, 1390.0), {"naam": "Vaartpark"})],
        "Former works site (paved and bare) that becomes a park")
    counts["traffic_calming"] = write_layer(
        ds, "traffic_calming", ogr.wkbPolygon, [("naam", str), ("maatregel", str), ("snelheid", int)],
        [(rect_polygon(480.0, 730.0, 1000.0, 770.0),
          {"naam": "Hoofdstraat centrum", "maatregel": "30 km/h, minder autoverkeer", "snelheid": 30})],
        "Stretch of Hoofdstraat that is calmed")
    ds = None
    vacuum(path)
    return counts


def write_dem(path):
    """Gentle relief, 0-4 m above NAP: a sandy ridge in the west, low polder in the east."""
    n = int((SIZE + 2 * DEM_MARGIN) / DEM_CELL)
    x0 = ORIGIN_X - DEM_MARGIN
    y1 = ORIGIN_Y + SIZE + DEM_MARGIN
    xs = (np.arange(n) + 0.5) * DEM_CELL - DEM_MARGIN           # local x of cell centres
    ys = SIZE + DEM_MARGIN - (np.arange(n) + 0.5) * DEM_CELL    # local y of cell centres
    x, y = np.meshgrid(xs, ys)
    z = (1.3
         + 1.8 * np.exp(-((x - 250.0) ** 2 + (y - 900.0) ** 2) / (2 * 420.0 ** 2))
         + 0.35 * np.sin(2 * np.pi * x / 1300.0 + 0.6) * np.cos(2 * np.pi * y / 1700.0)
         + 0.15 * np.sin(2 * np.pi * (x + y) / 620.0)
         - 0.6 * np.exp(-((x - 1300.0) ** 2) / (2 * 45.0 ** 2))
         - 0.4 * (x / SIZE))
    z = z.astype(np.float32)
    if not (0.0 < float(z.min()) and float(z.max()) < 4.0):
        raise ValueError("DEM outside 0-4 m")
    if os.path.exists(path):
        os.remove(path)
    ds = gdal.GetDriverByName("GTiff").Create(path, n, n, 1, gdal.GDT_Float32,
                                              options=["COMPRESS=DEFLATE", "PREDICTOR=3", "TILED=YES"])
    ds.SetGeoTransform((x0, DEM_CELL, 0.0, y1, 0.0, -DEM_CELL))
    ds.SetSpatialRef(srs_rd())
    band = ds.GetRasterBand(1)
    band.SetNoDataValue(NODATA)
    band.WriteArray(z)
    ds = None
    return n


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)),
                        help="output folder (default: the folder of this script)")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    gdal.SetConfigOption("OGR_CURRENT_DATE", FIXED_DATE)
    gdal.SetConfigOption("GDAL_PAM_ENABLED", "NO")

    design = build_design()
    counts = write_sample(design, os.path.join(args.out, "sample.gpkg"))
    plan_counts = write_plans(os.path.join(args.out, "plans.gpkg"))
    side = write_dem(os.path.join(args.out, "dem.tif"))
    dwellings = sum(b["woningen"] for b in design.buildings)
    for name, count in counts.items():
        print(f"sample.gpkg {name}: {count}")
    for name, count in plan_counts.items():
        print(f"plans.gpkg {name}: {count}")
    print(f"dem.tif: {side} x {side} cells of {DEM_CELL} m")
    print(f"dwellings: {dwellings}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
