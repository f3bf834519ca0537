#!/usr/bin/env python3
"""Write tests/data/proj_reference.csv: reference projections of lon/lat points over
metropolitan France, computed once with pyproj (see proj_reference.README.md).

Points: a regular lon/lat grid (step 0.4°) over lon -5.2…9.6, lat 41.3…51.1, plus 400
random points (random.Random(2154)) in the same box. All points of the box are kept
(some fall in the sea or in neighbouring countries: this does not matter for a
projection test). Columns: lon;lat;x_2154;y_2154;x_3035;y_3035;x_3857;y_3857.
Degrees are written with 10 decimals, metres with 4.

Usage: pip install pyproj && python tests/data/make_proj_reference.py
"""
import os
import random

from pyproj import Transformer

LON0, LON1, LAT0, LAT1 = -5.2, 9.6, 41.3, 51.1
STEP = 0.4
N_RANDOM = 400
SEED = 2154
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "proj_reference.csv")


def points():
    pts = []
    nlon = int(round((LON1 - LON0) / STEP))
    nlat = int(round((LAT1 - LAT0) / STEP))
    for i in range(nlat + 1):
        for j in range(nlon + 1):
            pts.append((round(LON0 + j * STEP, 10), round(LAT0 + i * STEP, 10)))
    rng = random.Random(SEED)
    for _ in range(N_RANDOM):
        pts.append((round(rng.uniform(LON0, LON1), 10), round(rng.uniform(LAT0, LAT1), 10)))
    return pts


def main():
    tr = {epsg: Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)
          for epsg in (2154, 3035, 3857)}
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        f.write("lon;lat;x_2154;y_2154;x_3035;y_3035;x_3857;y_3857\n")
        n = 0
        for lon, lat in points():
            vals = [f"{lon:.10f}", f"{lat:.10f}"]
            for epsg in (2154, 3035, 3857):
                x, y = tr[epsg].transform(lon, lat)
                vals += [f"{x:.4f}", f"{y:.4f}"]
            f.write(";".join(vals) + "\n")
            n += 1
    print(f"{n} points written to {OUT}")


if __name__ == "__main__":
    main()
