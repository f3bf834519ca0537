#!/usr/bin/env python3
"""Baseline for `cartosol bench assign` and `cartosol bench nearest`, with geopandas.

The random points are those drawn by CartoSol (SplitMix64, same seeds), written to files with
the hidden `--dump` option, so both tools work on exactly the same input:

    cargo build --release --no-default-features
    target/release/cartosol bench assign ../shared/data/france/communes_l93.shp \
        --dump /tmp/cartosol_bench_assign.csv
    target/release/cartosol bench nearest ../shared/data/france/communes_l93.shp \
        --dump /tmp/cartosol_bench_nearest
    python3 bench/geopandas_assign_nearest.py ../shared/data/france/communes_l93.shp \
        /tmp/cartosol_bench_assign.csv /tmp/cartosol_bench_nearest

Timed, as in CartoSol (index building included, file reading and reprojection excluded):
  (a) geopandas.sjoin(points, communes, predicate="within") in WGS84 (lon/lat), as CartoSol;
  (b) geopandas.sjoin_nearest(population points, services) in Lambert-93 (EPSG:2154, metres:
      geopandas measures planar distances, so the data are projected first, untimed).
One warm-up run, then 3 timed runs (time.perf_counter); best and median in seconds.
Versions: bench/requirements.txt.
"""
import statistics
import sys
import time

import geopandas
import pandas
import pyogrio
import shapely

RUNS = 3


def timed(label, f):
    result = f()  # warm-up
    times = []
    for i in range(RUNS):
        t0 = time.perf_counter()
        result = f()
        times.append(time.perf_counter() - t0)
    print(f"{label}: best {min(times):.3f} s, median {statistics.median(times):.3f} s "
          f"over {RUNS} runs ({', '.join(f'{t:.3f}' for t in times)})")
    return result


def read_points(path, crs="EPSG:4326"):
    df = pandas.read_csv(path)
    return geopandas.GeoDataFrame(geometry=geopandas.points_from_xy(df["lon"], df["lat"]), crs=crs)


def main():
    shp, assign_csv, nearest_dir = sys.argv[1:4]
    print(f"geopandas {geopandas.__version__}, pyogrio {pyogrio.__version__} "
          f"(GDAL {pyogrio.__gdal_version_string__}), shapely {shapely.__version__} "
          f"(GEOS {shapely.geos_version_string})")
    communes = geopandas.read_file(shp).to_crs(4326)[["INSEE_COM", "geometry"]]
    print(f"{shp}: {len(communes)} communes")

    # (a) assignment of 1,000,000 points.
    points = read_points(assign_csv)
    joined = timed(
        f"(a) sjoin within, {len(points)} points",
        lambda: geopandas.sjoin(points, communes, how="inner", predicate="within"),
    )
    print(f"    {joined.index.nunique()} points assigned, "
          f"{len(joined)} (point, commune) pairs, sum of commune indices {int(joined['index_right'].sum())}")

    # (b) nearest of 10,000 services for every commune's population point.
    services = read_points(f"{nearest_dir}/services.csv").to_crs(2154)
    population = read_points(f"{nearest_dir}/population.csv").to_crs(2154)
    near = timed(
        f"(b) sjoin_nearest, {len(population)} population points, {len(services)} services",
        lambda: geopandas.sjoin_nearest(population, services, how="inner", distance_col="d"),
    )
    print(f"    mean distance {near['d'].mean() / 1000:.3f} km (Lambert-93, planar)")


if __name__ == "__main__":
    main()
