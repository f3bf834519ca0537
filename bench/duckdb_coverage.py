#!/usr/bin/env python3
"""The coverage of `cartosol coverage` (points per commune, distance from each commune's
population point to the nearest point) in DuckDB-spatial, on the same GeoParquet files, with
the figures compared and the whole-process times of both (issue 12 §5).

    python3 -m venv /tmp/venv-parquet
    /tmp/venv-parquet/bin/pip install -r tests/data/geoparquet/requirements.txt
    cargo build --release --no-default-features
    /tmp/venv-parquet/bin/python bench/duckdb_coverage.py ../shared/data/france/communes_l93.shp \
        1000000 /tmp/bench-duckdb --cartosol target/release/cartosol

The DuckDB spatial extension comes from the PyPI package duckdb-extension-spatial (installed
from the file it ships: no network), pinned with duckdb itself in the requirements.

Inputs, written once (untimed): `communes.parquet` (the communes in Lambert-93, codes as
strings, GeoPandas) and `points.parquet` (N points drawn uniformly in the communes' WGS84
box with a fixed seed, GeoParquet in EPSG:4326).

Timed, whole process (reading both files, computing, writing the result), best of 3,
alternated:
- CartoSol: `cartosol coverage --zones communes.parquet --points points.parquet --radius-km 1
  --out cartosol.parquet` (it also computes densities, the share beyond the radius and a
  2SFCA at 1 km, which DuckDB does not: the comparison is in DuckDB's favour);
- DuckDB: counts by `ST_Contains` (its spatial join) of the points in the communes brought to
  WGS84 by `ST_Transform`, as CartoSol counts (in Lambert-93 a few dozen points near long
  border edges fall on the other side: an edge is straight in one system, not in the other);
  population points by CartoSol's interior-point rule written in SQL (the
  middle of the widest chord cut by the horizontal line through the middle of each polygon's
  WGS84 box: `ST_Intersection`, `ST_LineInterpolatePoint`); the nearest
  point by an exact great-circle distance (CartoSol's sphere, radius 6,371,008.7714 m) over the
  candidates of the 3×3 cells of a Lambert-93 grid around each population point, the cell
  growing (5, 20, 100, 1,000 km) for the communes whose nearest candidate is not provably the
  nearest. The result is written with COPY.

Compared: the points counted (CartoSol counts a point in exactly one commune; DuckDB's join
counts it in every outline that contains it, so the distinct points are counted too), the
communes whose count differs, and the communes whose distance differs by more than 1 mm.

Measured on 30/11/2026 (2-core machine shared with other builds, load 4–5; release build,
DuckDB 1.5.5): France communes × 1,000,000 points, CartoSol best 4.51 s (median 6.34 s),
DuckDB best 5.83 s (median 9.54 s). The same 447,913 points counted inside (DuckDB's join
gives 39 more point–commune pairs: points inside two overlapping outlines of the file, so 12
communes differ); distances equal to 1 mm for 34,490 communes, 248 differ (up to 531 m) where
the SQL chord (GEOS's ST_Intersection) is not the one geo's InteriorPoint takes.
"""
import argparse
import statistics
import subprocess
import time
from pathlib import Path

import duckdb
import geopandas
import numpy
import pandas

EARTH_RADIUS_M = 6_371_008.7714
CELLS_M = [5_000, 20_000, 100_000, 1_000_000]
# Lambert-93 lengths differ from true ones by less than 0.3 % over metropolitan France: a
# candidate search of radius R finds the nearest point for sure when it is within R / 1.01.
SCALE_MARGIN = 1.01


def prepare(communes_path: str, n: int, out: Path) -> None:
    communes = geopandas.read_file(communes_path)
    code = next(c for c in communes.columns if c.upper() in ("INSEE_COM", "CODGEO", "CODE"))
    communes[code] = communes[code].astype(str)
    communes.to_crs(2154).to_parquet(out / "communes.parquet")
    rng = numpy.random.default_rng(20261130)
    x0, y0, x1, y1 = communes.to_crs(4326).total_bounds
    lon = rng.uniform(x0, x1, n)
    lat = rng.uniform(y0, y1, n)
    points = geopandas.GeoDataFrame(
        {"nom": [f"p{i}" for i in range(n)]},
        geometry=geopandas.points_from_xy(lon, lat),
        crs=4326,
    )
    points.to_parquet(out / "points.parquet")


def connect():
    con = duckdb.connect()
    from duckdb_extensions import import_extension

    import_extension("spatial", con=con)
    con.load_extension("spatial")
    con.execute("SET enable_progress_bar = false")
    return con


def duckdb_coverage(out: Path, code: str) -> None:
    con = connect()
    communes = out / "communes.parquet"
    points = out / "points.parquet"
    con.execute(
        f"""CREATE MACRO hav(lon1, lat1, lon2, lat2) AS
        2 * {EARTH_RADIUS_M} * asin(sqrt(pow(sin(radians(lat2 - lat1) / 2), 2)
        + cos(radians(lat1)) * cos(radians(lat2)) * pow(sin(radians(lon2 - lon1) / 2), 2)))"""
    )
    con.execute(
        f"""CREATE TABLE c AS SELECT "{code}" AS code, geometry AS g,
        ST_Transform(geometry, 'EPSG:2154', 'EPSG:4326', always_xy := true) AS g4326
        FROM read_parquet('{communes}')"""
    )
    con.execute(
        f"""CREATE TABLE p AS SELECT ST_X(geometry) AS lon, ST_Y(geometry) AS lat,
        geometry AS g4326,
        ST_Transform(geometry, 'EPSG:4326', 'EPSG:2154', always_xy := true) AS g
        FROM read_parquet('{points}') WHERE geometry IS NOT NULL"""
    )
    con.execute("ALTER TABLE p ADD COLUMN x DOUBLE; ALTER TABLE p ADD COLUMN y DOUBLE")
    con.execute("UPDATE p SET x = ST_X(g), y = ST_Y(g)")
    con.execute(
        """CREATE TABLE counts AS SELECT c.code, count(*) AS n FROM c JOIN p
        ON ST_Contains(c.g4326, p.g4326) GROUP BY c.code"""
    )
    # CartoSol's population point (geo's InteriorPoint) in SQL: for each polygon of a commune
    # (WGS84), the horizontal line through the middle of its box cuts it into chords; the
    # middle of the widest chord over the commune's polygons. (GEOS's ST_PointOnSurface scans
    # at another height: its distances differ by up to a few hundred metres.)
    con.execute(
        """CREATE TABLE parts AS SELECT code, unnest(ST_Dump(g4326), recursive := true)
        FROM c"""
    )
    con.execute(
        """CREATE TABLE chords AS SELECT code, unnest(ST_Dump(ST_Intersection(geom,
        ST_MakeLine(ST_Point(ST_XMin(geom), (ST_YMin(geom) + ST_YMax(geom)) / 2),
                    ST_Point(ST_XMax(geom), (ST_YMin(geom) + ST_YMax(geom)) / 2)))),
        recursive := true) FROM parts"""
    )
    con.execute(
        """CREATE TABLE pop AS SELECT code, ST_X(q) AS lon, ST_Y(q) AS lat,
        ST_X(ST_Transform(q, 'EPSG:4326', 'EPSG:2154', always_xy := true)) AS x,
        ST_Y(ST_Transform(q, 'EPSG:4326', 'EPSG:2154', always_xy := true)) AS y
        FROM (SELECT code, arg_max(ST_LineInterpolatePoint(geom, 0.5), ST_Length(geom)) AS q
              FROM chords WHERE ST_GeometryType(geom) = 'LINESTRING' GROUP BY code)"""
    )
    con.execute("CREATE TABLE nearest (code VARCHAR, d DOUBLE)")
    for cell in CELLS_M:
        con.execute(
            f"""INSERT INTO nearest
            WITH todo AS (SELECT * FROM pop WHERE code NOT IN (SELECT code FROM nearest)),
            q AS (SELECT code, lon, lat, floor(x / {cell}) + dx AS cx, floor(y / {cell}) + dy AS cy
                  FROM todo, (SELECT unnest([-1, 0, 1]) AS dx), (SELECT unnest([-1, 0, 1]) AS dy)),
            pts AS (SELECT lon, lat, floor(x / {cell}) AS cx, floor(y / {cell}) AS cy FROM p),
            best AS (SELECT q.code, min(hav(q.lon, q.lat, pts.lon, pts.lat)) AS d
                     FROM q JOIN pts USING (cx, cy) GROUP BY q.code)
            SELECT code, d FROM best WHERE d <= {cell / SCALE_MARGIN} OR {cell} = {CELLS_M[-1]}"""
        )
    con.execute(
        f"""COPY (SELECT c.code, coalesce(counts.n, 0) AS n, nearest.d / 1000 AS distance_km
        FROM c LEFT JOIN counts USING (code) LEFT JOIN nearest USING (code))
        TO '{out / "duckdb.parquet"}' (FORMAT parquet)"""
    )


def cartosol_coverage(exe: str, out: Path) -> None:
    subprocess.run(
        [
            exe,
            "coverage",
            "--zones",
            str(out / "communes.parquet"),
            "--points",
            str(out / "points.parquet"),
            "--radius-km",
            "1",
            "--out",
            str(out / "cartosol.parquet"),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    (out / "cartosol.parquet").rename(out / "cartosol_last.parquet")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("communes")
    parser.add_argument("n", type=int)
    parser.add_argument("out")
    parser.add_argument("--cartosol", default="target/release/cartosol")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if not (out / "points.parquet").exists() or not (out / "communes.parquet").exists():
        prepare(args.communes, args.n, out)
    code = next(
        c
        for c in duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{out / 'communes.parquet'}')")
        .df()["column_name"]
        if c.upper() in ("INSEE_COM", "CODGEO", "CODE")
    )
    times = {"CartoSol": [], "DuckDB": []}
    for _ in range(args.runs):
        for name, run in (
            ("CartoSol", lambda: cartosol_coverage(args.cartosol, out)),
            ("DuckDB", lambda: duckdb_coverage(out, code)),
        ):
            for f in ("cartosol.parquet", "duckdb.parquet"):
                (out / f).unlink(missing_ok=True)
            t0 = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - t0)
    ours = pandas.read_parquet(out / "cartosol_last.parquet").set_index("code")
    theirs = pandas.read_parquet(out / "duckdb.parquet").set_index("code")
    joined = pandas.DataFrame(
        {
            "n": ours["services (sur place)"].astype(float),
            "d": ours["distance moyenne au service le plus proche (km)"].astype(float),
        }
    ).join(theirs.rename(columns={"n": "n_duckdb"}), how="outer")
    count_diff = int((joined["n"] != joined["n_duckdb"]).sum())
    dist_diff = float((joined["d"] - joined["distance_km"]).abs().max())
    # A point inside two overlapping outlines (the France file has a few) is counted in both by
    # the join, in one of them by CartoSol: the points inside some commune, counted once.
    con = connect()
    inside = con.execute(
        f"""SELECT count(DISTINCT p.id) FROM
        (SELECT ST_Transform(geometry, 'EPSG:2154', 'EPSG:4326', always_xy := true) AS g
         FROM read_parquet('{out / "communes.parquet"}')) c
        JOIN (SELECT row_number() OVER () AS id, geometry AS g
              FROM read_parquet('{out / "points.parquet"}')) p ON ST_Contains(c.g, p.g)"""
    ).fetchone()[0]
    print(
        f"{len(joined)} communes, {int(joined['n'].sum())} points comptés par CartoSol, "
        f"{int(joined['n_duckdb'].sum())} couples point-commune par DuckDB "
        f"({inside} points distincts)"
    )
    print(f"communes dont le compte diffère : {count_diff}")
    gap_m = (joined["d"] - joined["distance_km"]).abs() * 1000
    print(
        f"plus grand écart de distance au plus proche : {dist_diff * 1000:.3f} m ; "
        f"communes à plus de 1 mm : {int((gap_m > 1e-3).sum())} "
        f"({', '.join(joined.index[gap_m > 1e-3][:10])})"
    )
    for name, t in times.items():
        print(f"{name} : meilleur {min(t):.2f} s, médiane {statistics.median(t):.2f} s ({t})")


if __name__ == "__main__":
    main()
