#!/usr/bin/env python3
"""Peer of `cartosol coverage` (whole process) with geopandas, for issue 12 §2.

Reads the communes shapefile and the point CSV, counts the points in each commune
(`sjoin`, predicate "within"), finds the nearest point from each commune's representative
point (`sjoin_nearest`) and writes one CSV row per commune (code, name, population, points,
distance to the nearest point in metres). This is the counting and nearest-distance part of
`cartosol coverage`, which also computes densities, the population share beyond the radius,
the 2SFCA and the missing-value reasons.

The input is the one written by `cartosol bench points` (1,000,000 points drawn in the
communes, SplitMix64, 5 columns `id,nom,dispositif,lon,lat`, WGS 84):

    cargo build --release --all-features
    target/release/cartosol bench points ../shared/data/france/communes_l93.shp \
        --out /tmp/points_1m.csv
    /usr/bin/time -v python3 bench/geopandas_coverage.py \
        ../shared/data/france/communes_l93.shp /tmp/points_1m.csv /tmp/gpd_out.csv
    /usr/bin/time -v target/release/cartosol coverage \
        --zones ../shared/data/france/communes_l93.shp --points /tmp/points_1m.csv \
        --out /tmp/cartosol_out.csv

The whole script is what is compared (interpreter start and imports included, as the
CartoSol process start is); the steps are also timed (time.perf_counter) and printed on
stderr. Distances are planar in Lambert-93 (EPSG:2154), the natural way with geopandas; the
points are reprojected to it (timed with the reading). Versions: bench/requirements.txt.
"""
import sys
import time

T0 = time.perf_counter()

import geopandas  # noqa: E402
import pandas  # noqa: E402


def main():
    shp, points_csv, out = sys.argv[1:4]
    steps = []
    t = time.perf_counter()
    steps.append(("imports", t - T0))

    communes = geopandas.read_file(shp, engine="pyogrio")
    steps.append(("read communes", time.perf_counter() - t))

    t = time.perf_counter()
    df = pandas.read_csv(points_csv, engine="pyarrow")
    points = geopandas.GeoDataFrame(
        df, geometry=geopandas.points_from_xy(df["lon"], df["lat"]), crs="EPSG:4326"
    ).to_crs(communes.crs)
    steps.append(("read points + to Lambert-93", time.perf_counter() - t))

    t = time.perf_counter()
    joined = geopandas.sjoin(
        points[["geometry"]], communes[["geometry"]], how="inner", predicate="within"
    )
    counts = joined.groupby("index_right").size()
    steps.append(("sjoin within", time.perf_counter() - t))

    t = time.perf_counter()
    reps = geopandas.GeoDataFrame(
        geometry=communes.representative_point(), crs=communes.crs
    )
    near = geopandas.sjoin_nearest(
        reps, points[["geometry"]], how="left", distance_col="distance_m"
    )
    # Ties give several rows for one commune: keep one.
    near = near[~near.index.duplicated(keep="first")]
    steps.append(("sjoin_nearest", time.perf_counter() - t))

    t = time.perf_counter()
    result = pandas.DataFrame(
        {
            "code": communes["INSEE_COM"],
            "nom": communes["NOM"],
            "population": communes["POPULATION"],
            "points": counts.reindex(communes.index, fill_value=0),
            "distance_m": near["distance_m"],
        }
    )
    result.to_csv(out, index=False)
    steps.append(("write CSV", time.perf_counter() - t))

    total = time.perf_counter() - T0
    print(
        f"geopandas {geopandas.__version__}: {len(communes)} communes, {len(points)} points, "
        f"{int(counts.sum())} points assigned; total {total:.3f} s",
        file=sys.stderr,
    )
    for name, s in steps:
        print(f"  {name}: {s:.3f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
