#!/usr/bin/env python3
"""Baseline for CartoSol's loader: time geopandas.read_file(path).to_crs(4326).

Usage:  python bench/geopandas_load.py [path/to/communes_l93.shp]
        (default ../shared/data/france/communes_l93.shp, relative to the repo root)
One warm-up run, then 3 timed runs (time.perf_counter); prints best and median seconds.
Versions used: bench/requirements.txt.
"""
import statistics
import sys
import time

import geopandas
import pyogrio
import pyproj
import shapely

DEFAULT = "../shared/data/france/communes_l93.shp"
RUNS = 3


def load(path):
    return geopandas.read_file(path).to_crs(4326)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT
    print(f"geopandas {geopandas.__version__}, pyogrio {pyogrio.__version__} "
          f"(GDAL {pyogrio.__gdal_version_string__}), shapely {shapely.__version__}, "
          f"pyproj {pyproj.__version__} (PROJ {pyproj.proj_version_str})")
    gdf = load(path)  # warm-up (also fills the OS page cache)
    print(f"{path}: {len(gdf)} features, CRS after to_crs: {gdf.crs.to_string()}")
    times = []
    for i in range(RUNS):
        t0 = time.perf_counter()
        gdf = load(path)
        times.append(time.perf_counter() - t0)
        print(f"run {i + 1}: {times[-1]:.3f} s ({len(gdf)} features)")
    print(f"read_file + to_crs(4326): {len(gdf)} features, best {min(times):.3f} s, "
          f"median {statistics.median(times):.3f} s over {RUNS} runs")


if __name__ == "__main__":
    main()
