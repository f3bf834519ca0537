#!/usr/bin/env python3
"""Independent reference for `cartosol carreaux` on the FICTIF Essonne grid (pyproj, shapely,
numpy; none of CartoSol's code).

For each commune of sample_data/essonne/communes.geojson: the number of 200 m squares whose
centre lies in it, the sum of Men_pauv over them, and the share of that sum living more than
10 km (great circle, sphere of radius 6,371,008.8 m) from the nearest in-person
« France Services » point of sample_data/services_essonne_FICTIF.csv, and the 2SFCA
accessibility (10 km, step decay) with the squares' Men_pauv as demand.

Square centres: south-west corner read from Idcar_200m (CRS3035RES200mN<n>E<e>) + 100 m, in
EPSG:3035, to WGS84 by pyproj (PROJ).

    python3 -m venv /tmp/venv-grid && /tmp/venv-grid/bin/pip install pyproj shapely numpy
    /tmp/venv-grid/bin/python tests/data/grid/make_grid_reference.py
writes tests/data/grid/grid_reference.csv.
"""
import csv
import json
import math
import os
import re

import numpy as np
from pyproj import Transformer
from shapely import points as make_points
from shapely.geometry import shape
from shapely.strtree import STRtree

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
SAMPLE = os.path.join(ROOT, "sample_data")
OUT = os.path.join(ROOT, "tests", "data", "grid", "grid_reference.csv")
R = 6371008.8
THRESHOLD_M = 10_000.0

to_wgs84 = Transformer.from_crs("EPSG:3035", "EPSG:4326", always_xy=True).transform
with open(os.path.join(SAMPLE, "essonne", "communes.geojson"), encoding="utf-8") as f:
    communes = json.load(f)["features"]
shapes = [shape(c["geometry"]) for c in communes]
codes = [c["properties"]["INSEE_COM"] for c in communes]
tree = STRtree(shapes)

lons, lats, poor = [], [], []
with open(os.path.join(SAMPLE, "carreaux_200m_essonne_FICTIF.csv"), encoding="utf-8") as f:
    for row in csv.DictReader(f):
        m = re.fullmatch(r"CRS3035RES(\d+)mN(\d+)E(\d+)", row["Idcar_200m"])
        res, n, e = (float(x) for x in m.groups())
        lon, lat = to_wgs84(e + res / 2, n + res / 2)
        lons.append(lon)
        lats.append(lat)
        v = row["Men_pauv"]
        poor.append(float(v) if v else float("nan"))
lons, lats, poor = np.array(lons), np.array(lats), np.array(poor)

svc = []
with open(os.path.join(SAMPLE, "services_essonne_FICTIF.csv"), encoding="utf-8-sig") as f:
    for row in csv.DictReader(f, delimiter=";"):
        if row["dispositif"].strip().lower() != "france services":
            continue
        modes = row["modes_accueil"]
        if "a-distance" in modes and "en-presentiel" not in modes:
            continue  # remote only: no distance to walk
        if not row["longitude"] or not row["latitude"]:
            continue
        svc.append((float(row["longitude"].replace(",", ".")), float(row["latitude"].replace(",", "."))))
svc = np.radians(np.array(svc))


def nearest_m(lon, lat):
    lo, la = math.radians(lon), math.radians(lat)
    dlat = svc[:, 1] - la
    dlon = svc[:, 0] - lo
    a = np.sin(dlat / 2) ** 2 + math.cos(la) * np.cos(svc[:, 1]) * np.sin(dlon / 2) ** 2
    return float((2 * R * np.arcsin(np.sqrt(a))).min())


zone_of = [None] * len(lons)
for i, p in enumerate(make_points(lons, lats)):
    for j in tree.query(p):
        if shapes[j].contains(p):
            zone_of[i] = j
            break

squares = [0] * len(codes)
total = [0.0] * len(codes)
beyond = [0.0] * len(codes)
for i, z in enumerate(zone_of):
    if z is None:
        continue
    squares[z] += 1
    if math.isnan(poor[i]):
        continue
    total[z] += poor[i]
    if nearest_m(lons[i], lats[i]) > THRESHOLD_M:
        beyond[z] += poor[i]

# 2SFCA, step decay, radius 10 km, demand = Men_pauv of the squares, supply = 1 per service:
# R_j = 1 / sum of the demand within 10 km of service j; A_i = sum of R_j within 10 km of i;
# a commune's accessibility = demand-weighted mean of its squares', per 1,000.
valid = ~np.isnan(poor)
la = np.radians(lats)[:, None]
lo = np.radians(lons)[:, None]
h = np.sin((svc[None, :, 1] - la) / 2) ** 2 + np.cos(la) * np.cos(svc[None, :, 1]) * np.sin(
    (svc[None, :, 0] - lo) / 2) ** 2
dist = 2 * R * np.arcsin(np.sqrt(h))  # squares x services
within = (dist <= THRESHOLD_M) & valid[:, None]
demand = np.where(valid, poor, 0.0)
served = (within * demand[:, None]).sum(axis=0)
ratio = np.where(served > 0, 1.0 / np.where(served > 0, served, 1.0), 0.0)
access = (within * ratio[None, :]).sum(axis=1)
acc_num = [0.0] * len(codes)
acc_den = [0.0] * len(codes)
for i, z in enumerate(zone_of):
    if z is None or not valid[i]:
        continue
    acc_num[z] += access[i] * poor[i]
    acc_den[z] += poor[i]

with open(OUT, "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["code", "carreaux", "men_pauv", "men_pauv_au_dela_10km", "part_au_dela_pct",
                "acces_2sfca_pour_1000"])
    for c, s, t, b, an, ad in zip(codes, squares, total, beyond, acc_num, acc_den):
        share = "" if t <= 0 else f"{100.0 * b / t:.9f}"
        acc = "" if ad <= 0 else f"{1000.0 * an / ad:.12f}"
        w.writerow([c, s, f"{t:.6f}", f"{b:.6f}", share, acc])
print(OUT, sum(squares), "carreaux dans les communes")
