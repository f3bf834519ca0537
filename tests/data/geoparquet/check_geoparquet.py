"""Independent readers and writers of GeoParquet for tests/geoparquet.rs.

    python3 -m venv /tmp/venv-parquet
    /tmp/venv-parquet/bin/pip install -r tests/data/geoparquet/requirements.txt

`check FILE.parquet SOURCE.geojson CODE [SOURCE_CODE]` reads a GeoParquet written by CartoSol with
GeoPandas/pyarrow and with DuckDB (spatial extension, installed offline from the
duckdb-extension-spatial package) and prints, as JSON, what each of them sees: the « geo »
metadata, the Arrow and DuckDB types of the code column, and for every feature its code and
its area in m² by GeoPandas (shapely), by DuckDB (ST_Area) and from the source GeoJSON
reprojected to Lambert-93 by PROJ (pyproj) — the reference that CartoSol's own projection
(proj4rs) is compared to.

`write DIR` writes GeoParquet files made by other tools for CartoSol to read, and prints as
JSON the WGS84 coordinates PROJ gives for their positions:
- `duckdb_points.parquet`: points written by DuckDB's COPY (GeoParquet metadata, CRS84);
- `laea_zones.parquet`: zones written by GeoPandas in EPSG:3035 (ETRS89-LAEA), codes with
  leading zeros and Corsican letters;
- `zstd_zones.parquet`: the same zones with ZSTD pages (a codec CartoSol refuses clearly);
- `custom_crs.parquet`: zones whose CRS is a PROJJSON without EPSG identifier.
"""

import json
import sys
from pathlib import Path

import duckdb
import geopandas as gpd
import pyarrow.parquet as pq
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon


def duckdb_spatial():
    """A DuckDB connection with the spatial extension, installed from the Python package (no
    network)."""
    con = duckdb.connect()
    from duckdb_extensions import import_extension

    import_extension("spatial", con=con)
    con.load_extension("spatial")
    return con


def check(path: str, source: str, code: str, source_code: str) -> None:
    meta = pq.read_metadata(path)
    geo = json.loads(meta.metadata[b"geo"])
    schema = pq.read_schema(path)
    frame = gpd.read_parquet(path)
    con = duckdb_spatial()
    described = {
        row[0]: row[1]
        for row in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()
    }
    geometry = geo["primary_column"]
    duck = con.execute(
        f'SELECT "{code}", ST_Area("{geometry}") FROM read_parquet(\'{path}\')'
    ).fetchall()
    reference = gpd.read_file(source).to_crs(2154)
    reference_area = dict(zip(reference[source_code].astype(str), reference.geometry.area))
    features = []
    for (c, area), (d_code, d_area) in zip(zip(frame[code], frame.geometry.area), duck):
        features.append(
            {
                "code": c,
                "code_is_str": isinstance(c, str),
                "duckdb_code": d_code,
                "duckdb_code_is_str": isinstance(d_code, str),
                "area_geopandas": area,
                "area_duckdb": d_area,
                "area_source": reference_area.get(str(c)),
            }
        )
    out = {
        "version": geo.get("version"),
        "primary_column": geometry,
        "encoding": geo["columns"][geometry]["encoding"],
        "geometry_types": geo["columns"][geometry].get("geometry_types"),
        "crs_id": geo["columns"][geometry].get("crs", {}).get("id"),
        "geopandas_crs": frame.crs.to_string() if frame.crs else None,
        "arrow_code_type": str(schema.field(code).type),
        "duckdb_code_type": described.get(code),
        "duckdb_geometry_type": described.get(geometry),
        "rows": len(frame),
        "features": features,
    }
    print(json.dumps(out))


def write(folder: str) -> None:
    out = Path(folder)
    con = duckdb_spatial()
    # Points by DuckDB: Évry, Ajaccio, Bourg-en-Bresse, and a row without a position.
    points = [("91228", 2.4413, 48.6238), ("2A004", 8.7369, 41.9192), ("01053", 5.2258, 46.2052)]
    con.execute("CREATE TABLE p (code VARCHAR, nom VARCHAR, geom GEOMETRY)")
    for code, lon, lat in points:
        con.execute(
            "INSERT INTO p VALUES (?, ?, ST_Point(?, ?))", [code, f"site {code}", lon, lat]
        )
    con.execute("INSERT INTO p VALUES ('99999', 'sans position', NULL)")
    con.execute(f"COPY p TO '{out / 'duckdb_points.parquet'}' (FORMAT parquet)")

    # Zones by GeoPandas in ETRS89-LAEA: a square with a hole near Évry, two islands in Corsica.
    def square(lon, lat, d):
        return [(lon, lat), (lon + d, lat), (lon + d, lat + d), (lon, lat + d), (lon, lat)]

    evry = Polygon(square(2.40, 48.60, 0.05), [square(2.42, 48.62, 0.01)])
    corse = MultiPolygon(
        [Polygon(square(8.70, 41.90, 0.03)), Polygon(square(8.80, 41.95, 0.02))]
    )
    ain = Polygon(square(5.20, 46.19, 0.04))
    zones = gpd.GeoDataFrame(
        {"code": ["91228", "2A004", "01053"], "population": [52_000, 71_000, 41_000]},
        geometry=[evry, corse, ain],
        crs=4326,
    )
    laea = zones.to_crs(3035)
    laea.to_parquet(out / "laea_zones.parquet")
    laea.to_parquet(out / "zstd_zones.parquet", compression="zstd")
    custom = zones.to_crs("+proj=laea +lat_0=52 +lon_0=10 +x_0=4321000 +y_0=3210000 +ellps=GRS80")
    custom.to_parquet(out / "custom_crs.parquet")
    # What CartoSol should find in WGS84: the first vertex of each zone's first exterior ring
    # as stored in the LAEA file, brought back by PROJ, and the points as written.
    back = laea.to_crs(4326)
    first = [
        list(shapely.get_coordinates(shapely.get_exterior_ring(shapely.get_geometry(g, 0)))[0])
        for g in back.geometry
    ]
    print(
        json.dumps(
            {
                "points": [{"code": c, "lon": lon, "lat": lat} for c, lon, lat in points],
                "zones": [
                    {"code": c, "first_vertex": v, "parts": int(shapely.get_num_geometries(g))}
                    for c, v, g in zip(laea["code"], first, laea.geometry)
                ],
                "laea_crs": laea.crs.to_string(),
            }
        )
    )


if __name__ == "__main__":
    if sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] if len(sys.argv) > 5 else sys.argv[4])
    elif sys.argv[1] == "write":
        write(sys.argv[2])
    else:
        sys.exit(f"unknown command {sys.argv[1]}")
