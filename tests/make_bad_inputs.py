#!/usr/bin/env python3
"""Generates the malformed and hostile input files of `tests/bad_inputs/`.

Each file is exercised by `tests/bad_inputs.rs`, which asserts the exact error message the
analyst reads. The fixtures are committed; this script documents how they were made and can
regenerate them byte for byte (Python 3.11 standard library only, no randomness, fixed zip
timestamps):

    python3 tests/make_bad_inputs.py

Shapefiles are written by hand (`struct`): a 100-byte header, records made of a big-endian record
header and a little-endian content, a `.shx` index, a `.dbf` with a C field `INSEE_COM` and an N
field `POP`, and a `.prj`. Coordinates are fictitious squares around Essonne communes.
GeoPackages are minimal but valid (`sqlite3`): gpkg_spatial_ref_sys, gpkg_contents,
gpkg_geometry_columns and a feature table whose blob column holds a GP header + WKB polygon.
"""

import io
import json
import os
import sqlite3
import struct
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "bad_inputs")

PRJ_L93 = (
    'PROJCS["RGF_1993_Lambert_93",GEOGCS["GCS_RGF_1993",DATUM["D_RGF_1993",'
    'SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],'
    'UNIT["Degree",0.0174532925199433]],PROJECTION["Lambert_Conformal_Conic"],'
    'PARAMETER["False_Easting",700000.0],PARAMETER["False_Northing",6600000.0],'
    'PARAMETER["Central_Meridian",3.0],PARAMETER["Standard_Parallel_1",49.0],'
    'PARAMETER["Standard_Parallel_2",44.0],PARAMETER["Latitude_Of_Origin",46.5],'
    'UNIT["Meter",1.0]]'
)
PRJ_WGS84 = (
    'GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],'
    'PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]'
)
# NTF Lambert zone I as an old ESRI export writes it: Clarke 1880 (IGN), no AUTHORITY, and a
# name CartoSol does not map to an EPSG code.
PRJ_NTF_CLARKE = (
    'PROJCS["NTF_Paris_Lambert_Zone_I",GEOGCS["GCS_NTF_Paris",DATUM["D_NTF",'
    'SPHEROID["Clarke_1880_IGN",6378249.2,293.4660212936269]],PRIMEM["Paris",2.337229166666667],'
    'UNIT["Grad",0.01570796326794897]],PROJECTION["Lambert_Conformal_Conic"],'
    'PARAMETER["False_Easting",600000.0],PARAMETER["False_Northing",200000.0],'
    'PARAMETER["Central_Meridian",0.0],PARAMETER["Standard_Parallel_1",55.0],'
    'PARAMETER["Scale_Factor",0.999877341],PARAMETER["Latitude_Of_Origin",55.0],'
    'UNIT["Meter",1.0]]'
)

# Three communes of Essonne (codes are real, shapes are fictitious squares).
COMMUNES = [("91001", 134), ("91016", 1803), ("91021", 5120)]
L93_ORIGINS = [(620000.0, 6800000.0), (625000.0, 6800000.0), (630000.0, 6800000.0)]
WGS_ORIGINS = [(2.10, 48.50), (2.20, 48.50), (2.30, 48.50)]


def write(name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


# --------------------------------------------------------------------------------------------
# Shapefile writer


def square(x0, y0, size):
    """A closed clockwise ring (outer ring in shapefile order)."""
    return [(x0, y0), (x0, y0 + size), (x0 + size, y0 + size), (x0 + size, y0), (x0, y0)]


def bbox_of(points):
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    # min/max that keep NaN out of the way, as a careless writer would do
    real_x = [x for x in xs if x == x] or [0.0]
    real_y = [y for y in ys if y == y] or [0.0]
    return min(real_x), min(real_y), max(real_x), max(real_y)


def polygon_content(rings, num_points_override=None):
    pts = [p for r in rings for p in r]
    xmin, ymin, xmax, ymax = bbox_of(pts)
    parts, start = [], 0
    for r in rings:
        parts.append(start)
        start += len(r)
    num_points = len(pts) if num_points_override is None else num_points_override
    out = struct.pack("<i4d2i", 5, xmin, ymin, xmax, ymax, len(rings), num_points)
    out += struct.pack("<%di" % len(parts), *parts)
    for x, y in pts:
        out += struct.pack("<2d", x, y)
    return out


def point_content(x, y):
    return struct.pack("<i2d", 1, x, y)


def shp_and_shx(contents, shape_type, all_points):
    xmin, ymin, xmax, ymax = bbox_of(all_points)
    records, index, offset = b"", b"", 100
    for i, c in enumerate(contents):
        records += struct.pack(">2i", i + 1, len(c) // 2) + c
        index += struct.pack(">2i", offset // 2, len(c) // 2)
        offset += 8 + len(c)

    def header(length):
        return (
            struct.pack(">7i", 9994, 0, 0, 0, 0, 0, length // 2)
            + struct.pack("<2i", 1000, shape_type)
            + struct.pack("<8d", xmin, ymin, xmax, ymax, 0.0, 0.0, 0.0, 0.0)
        )

    shp = header(100 + len(records)) + records
    shx = header(100 + len(index)) + index
    return shp, shx


def dbf(rows, pop_raw=None):
    """A dBase III file with INSEE_COM (C 5) and POP (N 10). `pop_raw` overrides POP texts."""
    fields = [(b"INSEE_COM", b"C", 5, 0), (b"POP", b"N", 10, 0)]
    record_len = 1 + sum(f[2] for f in fields)
    header_len = 32 + 32 * len(fields) + 1
    out = struct.pack("<4BIHH20x", 0x03, 125, 1, 1, len(rows), header_len, record_len)
    for name, kind, length, dec in fields:
        out += name.ljust(11, b"\0") + kind + b"\0" * 4 + bytes([length, dec]) + b"\0" * 14
    out += b"\r"
    for i, (code, pop) in enumerate(rows):
        pop_text = pop_raw[i] if pop_raw else str(pop)
        out += b" " + code.encode().ljust(5) + pop_text.encode().rjust(10)
    return out + b"\x1a"


def polygons(origins, size=1000.0):
    return [[square(x, y, size)] for x, y in origins]


def shapefile(stem, rings_per_record, rows=COMMUNES, prj=PRJ_L93, skip=(), pop_raw=None,
              contents=None, shape_type=5):
    if contents is None:
        contents = [polygon_content(r) for r in rings_per_record]
    all_points = [p for rs in (rings_per_record or []) for r in rs for p in r] or [(0.0, 0.0)]
    shp, shx = shp_and_shx(contents, shape_type, all_points)
    parts = {"shp": shp, "shx": shx, "dbf": dbf(rows, pop_raw), "prj": prj}
    for ext, data in parts.items():
        if ext in skip or data is None:
            continue
        write(f"{stem}.{ext}", data)
    return parts


# --------------------------------------------------------------------------------------------
# GeoPackage writer


def wkb_polygon(rings):
    out = struct.pack("<BII", 1, 3, len(rings))
    for r in rings:
        out += struct.pack("<I", len(r))
        for x, y in r:
            out += struct.pack("<2d", x, y)
    return out


def gp_blob(wkb, srs_id):
    # magic, version 0, flags: little-endian (bit 0), no envelope
    return b"GP" + bytes([0, 0x01]) + struct.pack("<i", srs_id) + wkb


def gpkg(name, layers, with_contents=True):
    path = os.path.join(OUT, name)
    if os.path.exists(path):
        os.remove(path)
    con = sqlite3.connect(path)
    con.execute("PRAGMA page_size = 512")  # keeps each fixture small
    con.execute("PRAGMA application_id = 1196444487")  # 'GPKG'
    con.execute("PRAGMA user_version = 10200")
    con.execute(
        "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, "
        "organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, "
        "definition TEXT NOT NULL, description TEXT)"
    )
    con.execute(
        "INSERT INTO gpkg_spatial_ref_sys VALUES ('RGF93 / Lambert-93', 2154, 'EPSG', 2154, ?, NULL)",
        (PRJ_L93,),
    )
    if with_contents:
        con.execute(
            "CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, "
            "identifier TEXT, description TEXT DEFAULT '', last_change DATETIME, min_x DOUBLE, "
            "min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER)"
        )
        con.execute(
            "CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, "
            "geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, "
            "m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name))"
        )
    for layer, features in layers:
        con.execute(
            f'CREATE TABLE "{layer}" (fid INTEGER PRIMARY KEY, geometrie BLOB, '
            "code_insee TEXT, population INTEGER)"
        )
        for blob, code, pop in features:
            con.execute(
                f'INSERT INTO "{layer}" (geometrie, code_insee, population) VALUES (?, ?, ?)',
                (blob, code, pop),
            )
        if with_contents:
            con.execute(
                "INSERT INTO gpkg_contents VALUES (?, 'features', ?, '', '2026-01-01T00:00:00Z', "
                "600000, 6700000, 700000, 6900000, 2154)",
                (layer, layer),
            )
            con.execute(
                "INSERT INTO gpkg_geometry_columns VALUES (?, 'geometrie', 'MULTIPOLYGON', 2154, 0, 0)",
                (layer,),
            )
    con.commit()
    con.execute("VACUUM")
    con.close()


def l93_features():
    return [
        (gp_blob(wkb_polygon([square(x, y, 1000.0)]), 2154), code, pop)
        for (x, y), (code, pop) in zip(L93_ORIGINS, COMMUNES)
    ]


# --------------------------------------------------------------------------------------------
# Zip writer (fixed timestamps for reproducible bytes)


def zip_file(name, members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for member, data in members:
            info = zipfile.ZipInfo(member, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    write(name, buf.getvalue())


# --------------------------------------------------------------------------------------------
# GeoJSON helpers


def feature_collection(features, crs=None):
    doc = {"type": "FeatureCollection"}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    doc["features"] = features
    return doc


def polygon_feature(ring, code, pop):
    return {
        "type": "Feature",
        "properties": {"INSEE_COM": code, "POP": pop},
        "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in ring]]},
    }


def dump(doc):
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))

    # ---------------------------------------------------------------- Shapefiles
    # Truncated .shp: cut in the middle of record 2.
    parts = shapefile("shp_truncated", polygons(L93_ORIGINS), skip=("shp",))
    record1 = 8 + len(polygon_content(polygons(L93_ORIGINS)[0]))
    write("shp_truncated.shp", parts["shp"][: 100 + record1 + 60])

    # A .shp shorter than its 100-byte header.
    write("shp_short_header.shp", shapefile("_tmp", polygons(L93_ORIGINS), skip=("shp", "shx", "dbf", "prj"))["shp"][:60])

    # Empty .shp (0 bytes) next to a valid .dbf.
    shapefile("shp_empty", polygons(L93_ORIGINS), skip=("shp",))
    write("shp_empty.shp", b"")

    # DBF with fewer records than the .shp has shapes.
    shapefile("shp_count_mismatch", polygons(L93_ORIGINS), skip=("dbf",))
    write("shp_count_mismatch.dbf", dbf(COMMUNES[:2]))

    # Missing .dbf.
    shapefile("shp_no_dbf", polygons(L93_ORIGINS), skip=("dbf",))

    # .prj with garbage text.
    shapefile("shp_prj_garbage", polygons(L93_ORIGINS),
              prj="Lambert 93 (voir avec le service SIG)\n")

    # .prj with an unsupported ellipsoid and no EPSG code.
    shapefile("shp_prj_ntf_clarke", polygons([(600000.0, 1100000.0)] * 3), prj=PRJ_NTF_CLARKE)

    # No .prj, Lambert-93 coordinates.
    shapefile("shp_no_prj_lambert93", polygons(L93_ORIGINS), skip=("prj",))

    # A NaN coordinate (WGS 84 .prj).
    rings = polygons(WGS_ORIGINS, size=0.01)
    rings[1][0][2] = (float("nan"), 48.51)
    shapefile("shp_nan", rings, prj=PRJ_WGS84)

    # A huge coordinate (1e300) in Lambert-93.
    rings = polygons(L93_ORIGINS)
    rings[2][0][2] = (1e300, 6801000.0)
    shapefile("shp_huge_coordinate", rings)

    # A point shapefile loaded as zones.
    pts = [(x + 500.0, y + 500.0) for x, y in L93_ORIGINS]
    shapefile("shp_points", [[[p]] for p in pts], contents=[point_content(*p) for p in pts], shape_type=1)

    # A DBF with an unreadable numeric value.
    shapefile("shp_dbf_bad_number", polygons(L93_ORIGINS), pop_raw=["134", "12a4", "5120"])

    # A truncated DBF (cut in the middle of record 2).
    shapefile("shp_dbf_truncated", polygons(L93_ORIGINS), skip=("dbf",))
    full = dbf(COMMUNES)
    header_len = 32 + 32 * 2 + 1
    write("shp_dbf_truncated.dbf", full[: header_len + 16 + 7])

    # A GeoJSON document renamed to .shp (with the .dbf a user would have next to it).
    shapefile("shp_is_geojson", polygons(L93_ORIGINS), skip=("shp", "shx"))
    write("shp_is_geojson.shp", dump(feature_collection(
        [polygon_feature(square(x, y, 0.01), c, p) for (x, y), (c, p) in zip(WGS_ORIGINS, COMMUNES)])))

    # A record that announces -1 points (hostile: must not try to allocate 2^64 positions).
    contents = [polygon_content(r) for r in polygons(L93_ORIGINS)]
    contents[1] = polygon_content(polygons(L93_ORIGINS)[1], num_points_override=-1)
    shapefile("shp_negative_point_count", polygons(L93_ORIGINS), contents=contents)

    # ---------------------------------------------------------------- Zips
    good = shapefile("_tmp", polygons(L93_ORIGINS), skip=("shp", "shx", "dbf", "prj"))
    zip_file("zip_no_shp.zip", [("LISEZMOI.txt", "Communes de l'Essonne\n"),
                                ("COMMUNE.dbf", good["dbf"]), ("COMMUNE.prj", PRJ_L93)])
    zip_file("zip_two_layers.zip", [
        (f"ADMIN-EXPRESS/{layer}.{ext}", good[ext])
        for layer in ("COMMUNE", "EPCI") for ext in ("shp", "shx", "dbf", "prj")
    ])
    write("zip_not_a_zip.zip", "<html><body>Le téléchargement a expiré.</body></html>\n")

    # ---------------------------------------------------------------- GeoJSON
    write("gj_empty.geojson", b"")
    full = dump(feature_collection(
        [polygon_feature(square(x, y, 0.01), c, p) for (x, y), (c, p) in zip(WGS_ORIGINS, COMMUNES)]))
    write("gj_truncated.geojson", full[: len(full) // 2])
    write("gj_not_geojson.json", dump({"communes": [{"code": "91001", "nom": "Abbéville-la-Rivière"}]}))
    write("gj_points_as_zones.geojson", dump(feature_collection([
        {"type": "Feature", "properties": {"nom": "Mairie d'Arpajon"},
         "geometry": {"type": "Point", "coordinates": [2.2475, 48.5903]}},
        {"type": "Feature", "properties": {"nom": "Mairie d'Angerville"},
         "geometry": {"type": "Point", "coordinates": [2.0039, 48.3128]}},
    ])))
    write("gj_lambert93_no_crs.geojson", dump(feature_collection(
        [polygon_feature(square(x, y, 1000.0), c, p) for (x, y), (c, p) in zip(L93_ORIGINS, COMMUNES)])))
    write("gj_unknown_crs.geojson", dump(feature_collection(
        [polygon_feature(square(x, y, 1000.0), c, p) for (x, y), (c, p) in zip(L93_ORIGINS, COMMUNES)],
        crs="urn:ogc:def:crs:EPSG::99999")))
    bad = feature_collection(
        [polygon_feature(square(x, y, 0.01), c, p) for (x, y), (c, p) in zip(WGS_ORIGINS, COMMUNES)])
    bad["features"][1]["geometry"]["coordinates"][0][2] = ["2,21", 48.51]
    write("gj_non_numeric_position.geojson", dump(bad))
    write("gj_swapped_lonlat.geojson", dump(feature_collection(
        [polygon_feature([(y, x) for x, y in square(x, y, 0.01)], c, p)
         for (x, y), (c, p) in zip(WGS_ORIGINS, COMMUNES)])))

    # ---------------------------------------------------------------- GeoPackage
    write("gpkg_is_text.gpkg", "code_insee;nom\n91001;Abbéville-la-Rivière\n")
    gpkg("gpkg_no_contents.gpkg", [("commune", l93_features())], with_contents=False)
    gpkg("gpkg_two_layers.gpkg", [("commune", l93_features()), ("epci", l93_features()[:1])])
    feats = l93_features()
    feats[1] = (wkb_polygon([square(625000.0, 6800000.0, 1000.0)]), "91016", 1803)  # no GP header
    gpkg("gpkg_bad_blob.gpkg", [("commune", feats)])

    # ---------------------------------------------------------------- Tables
    csv_text = "CODGEO;LIBGEO;TP60\n91001;Abbéville-la-Rivière;s\n91016;Angerville;10,1\n"
    write("xlsx_is_csv.xlsx", csv_text)
    write("xlsx_is_html.xlsx",
          "<html><head><meta charset=\"utf-8\"></head><body><table>\n"
          "<tr><td>CODGEO</td><td>TP60</td></tr>\n<tr><td>91001</td><td>s</td></tr>\n"
          "</table></body></html>\n")
    write("csv_empty.csv", b"")
    write("csv_blank_lines.csv", "\n  \n;;\n")
    write("csv_extra_values.csv",
          "CODGEO;LIBGEO;TP60\n91001;Abbéville-la-Rivière;s\n91016;Angerville;10;1\n91021;Arpajon;14,2\n")
    write("csv_missing_values.csv",
          "CODGEO;LIBGEO;TP60\n91001;Abbéville-la-Rivière;s\n91016;Angerville\n91021;Arpajon;14,2\n")
    write("csv_nul_bytes.csv", b"CODGEO;TP60\n91001;12\0\0\0\0\x01\x02\n")
    write("csv_unclosed_quote.csv",
          'CODGEO;LIBGEO;TP60\n91001;"Abbéville-la-Rivière;s\n91016;Angerville;10,1\n')

    # ---------------------------------------------------------------- Points
    write("pts_swapped_lonlat.csv",
          "nom;longitude;latitude\nMairie d'Arpajon;48.5903;2.2475\n"
          "Mairie d'Angerville;48.3128;2.0039\nMairie d'Étampes;48.4347;2.1619\n")
    write("pts_projected_in_lon.csv",
          "nom;longitude;latitude\nMairie d'Arpajon;652000;6831000\n"
          "Mairie d'Angerville;634000;6800000\n")
    write("pts_no_coordinates.csv",
          "nom;adresse;code_insee\nMairie d'Arpajon;70 Grande Rue;91021\n")
    write("pts_non_numeric.csv",
          "nom;longitude;latitude\nMairie d'Arpajon;2.2475;48.5903\nMairie d'Angerville;abc;48.3128\n")
    write("pts_geojson_polygons.geojson", full)

    # ---------------------------------------------------------------- Joins
    zones = [("01001", "L'Abergement-Clémenciat"), ("01002", "L'Abergement-de-Varey"),
             ("91001", "Abbéville-la-Rivière"), ("91016", "Angerville"), ("91021", "Arpajon")]
    write("join_zones.geojson", dump(feature_collection([
        {"type": "Feature", "properties": {"INSEE_COM": c, "NOM": n},
         "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in square(2.0 + i * 0.02, 48.5, 0.01)]]}}
        for i, (c, n) in enumerate(zones)])))
    write("join_duplicate_codes.csv",
          "CODGEO;LIBGEO;TP60\n01001;L'Abergement-Clémenciat;8,0\n01002;L'Abergement-de-Varey;9,5\n"
          "91001;Abbéville-la-Rivière;s\n91016;Angerville;10,1\n91021;Arpajon;14,2\n91021;Arpajon;15,0\n")
    write("join_epci_codes.csv",
          "CODGEO;LIBGEO;TP60\n200056232;CA Cœur d'Essonne Agglomération;12,0\n"
          "249100074;CC du Dourdannais en Hurepoix;7,1\n")
    write("join_lost_zeros.csv",
          "CODGEO;LIBGEO;TP60\n1001;L'Abergement-Clémenciat;8,0\n1002;L'Abergement-de-Varey;9,5\n"
          "91001;Abbéville-la-Rivière;s\n91016;Angerville;10,1\n91021;Arpajon;14,2\n")

    # ---------------------------------------------------------------- Project files
    write("project_invalid.cartosol.json",
          '{\n  "cartosol": 1,\n  "title": "Diagnostic Essonne",\n  "zones": [\n    {"id": "communes",}\n  ]\n}\n')
    write("project_future.cartosol.json",
          dump({"cartosol": 99, "title": "Diagnostic Essonne (version future)", "zones": []}))


if __name__ == "__main__":
    main()
