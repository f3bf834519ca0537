#!/usr/bin/env python3
"""Generate the FICTITIOUS 200 m grid of the Essonne in INSEE's Filosofi layout (seeded).

    sample_data/carreaux_200m_essonne_FICTIF.csv

Every count written here is INVENTED (random.Random(91)): it only looks like INSEE's
« données carroyées » (Filosofi, 200 m squares, EPSG:3035). The real inputs are the commune
contours and populations of sample_data/essonne/communes.geojson and the FICTIF household and
poverty counts of sample_data/panorama_pauvrete_essonne_FICTIF_COM.csv, which the squares of
each commune add up to (about: squares whose centre lies in the commune).

Layout (INSEE 2019/2021 column names, comma-separated, dot decimals):
  Idcar_200m  CRS3035RES200mN<northing>E<easting>, the square's south-west corner (EPSG:3035)
  I_est_200   1 when the square's values are shares of a larger natural square (secrecy)
  Idcar_1km, I_est_1km, Idcar_nat, Groupe
  Ind, Men, Men_pauv, Men_1ind, Men_5ind, Men_prop, Men_fmp, Ind_snv, Men_surf, Men_coll,
  Men_mais, Log_av45, Log_45_70, Log_70_90, Log_ap90, Log_inc, Log_soc,
  Ind_0_3 … Ind_80p, Ind_inc
  lcog_geo    the codes of the communes the square touches, concatenated

Squares with fewer than 11 households are pooled into their 1 km square (the « natural »
square), their values replaced by equal shares of the pool, hence fractional counts, as INSEE
does (the threshold 11 is the commonly quoted one, see docs).

Usage: pip install pyproj shapely; python sample_data/scripts/make_grid_fictif.py
Deterministic: two runs give byte-identical files.
"""
import csv
import json
import math
import os
import random

from pyproj import Transformer
from shapely.geometry import box, shape
from shapely.ops import transform
from shapely.strtree import STRtree

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = os.path.normpath(os.path.join(HERE, ".."))
OUT = os.path.join(SAMPLE, "carreaux_200m_essonne_FICTIF.csv")
RES = 200
SECRET_HOUSEHOLDS = 11

AGES = ["Ind_0_3", "Ind_4_5", "Ind_6_10", "Ind_11_17", "Ind_18_24", "Ind_25_39",
        "Ind_40_54", "Ind_55_64", "Ind_65_79", "Ind_80p"]
AGE_SHARES = [0.045, 0.025, 0.065, 0.09, 0.085, 0.19, 0.2, 0.12, 0.13, 0.05]
COUNTS = ["Ind", "Men", "Men_pauv", "Men_1ind", "Men_5ind", "Men_prop", "Men_fmp", "Ind_snv",
          "Men_surf", "Men_coll", "Men_mais", "Log_av45", "Log_45_70", "Log_70_90",
          "Log_ap90", "Log_inc", "Log_soc"] + AGES + ["Ind_inc"]
HEADER = ["Idcar_200m", "I_est_200", "Idcar_1km", "I_est_1km", "Idcar_nat", "Groupe"] + COUNTS + [
    "lcog_geo"]


def number(text):
    try:
        return float(text.replace(",", ".").replace("\u202f", "").replace(" ", ""))
    except ValueError:
        return None


def main():
    rng = random.Random(91)
    to_laea = Transformer.from_crs("EPSG:4326", "EPSG:3035", always_xy=True).transform
    with open(os.path.join(SAMPLE, "essonne", "communes.geojson"), encoding="utf-8") as f:
        communes = json.load(f)["features"]
    panorama = {}
    with open(os.path.join(SAMPLE, "panorama_pauvrete_essonne_FICTIF_COM.csv"),
              encoding="utf-8-sig") as f:
        for row in csv.DictReader(f, delimiter=";"):
            panorama[row["CODGEO"]] = row
    shapes = []
    codes = []
    for c in communes:
        shapes.append(transform(to_laea, shape(c["geometry"])))
        codes.append(c["properties"]["INSEE_COM"])
    tree = STRtree(shapes)

    rows = []
    for geom, code, feature in zip(shapes, codes, communes):
        props = feature["properties"]
        pano = panorama.get(code, {})
        households = number(pano.get("NBMENFISC", "")) or props["POPULATION"] / 2.4
        persons = number(pano.get("NBPERSMENFISC", "")) or props["POPULATION"]
        rate = number(pano.get("TP60", ""))
        if rate is None:
            rate = 6.0 + 4.0 * rng.random()
        single_parent = number(pano.get("PART_FAM_MONO", "")) or 8.0
        minx, miny, maxx, maxy = geom.bounds
        cx, cy = geom.representative_point().coords[0]
        candidates = []
        e0 = math.floor(minx / RES) * RES
        n0 = math.floor(miny / RES) * RES
        e = e0
        while e < maxx:
            n = n0
            while n < maxy:
                centre = (e + RES / 2, n + RES / 2)
                if geom.contains(box(centre[0] - 0.01, centre[1] - 0.01,
                                     centre[0] + 0.01, centre[1] + 0.01)):
                    d = math.hypot(centre[0] - cx, centre[1] - cy)
                    candidates.append((d + rng.random() * 600, e, n))
                n += RES
            e += RES
        if not candidates:
            continue
        candidates.sort()
        # Inhabited squares: about 80 persons each, the ones nearest the centre (a village
        # around its church, a town spreading out), at least one.
        inhabited = max(1, min(len(candidates), round(persons / 80)))
        chosen = candidates[:inhabited]
        weights = [rng.gammavariate(2.0, 1.0) / (1.0 + d / 1500.0) for d, _, _ in chosen]
        total = sum(weights)
        for (d, e, n), w in zip(chosen, weights):
            share = w / total
            men = households * share
            ind = persons * share
            poor = men * rate / 100.0 * (0.6 + 0.8 * rng.random())
            touched = [codes[i] for i in tree.query(box(e, n, e + RES, n + RES))
                       if shapes[i].intersects(box(e, n, e + RES, n + RES))]
            touched = sorted(set(touched), key=lambda c: (c != code, c))
            values = {
                "Ind": ind, "Men": men, "Men_pauv": min(poor, men),
                "Men_1ind": men * 0.33, "Men_5ind": men * 0.07,
                "Men_prop": men * (0.45 + 0.3 * rng.random()),
                "Men_fmp": men * single_parent / 100.0,
                "Ind_snv": ind * (19000 + 9000 * rng.random()),
                "Men_surf": men * (70 + 30 * rng.random()),
                "Men_coll": men * 0.5, "Men_mais": men * 0.5,
                "Log_av45": men * 0.15, "Log_45_70": men * 0.25, "Log_70_90": men * 0.3,
                "Log_ap90": men * 0.3, "Log_inc": 0.0,
                "Log_soc": men * (0.05 + 0.3 * rng.random()),
                "Ind_inc": 0.0,
            }
            for a, s in zip(AGES, AGE_SHARES):
                values[a] = ind * s
            rows.append({"e": e, "n": n, "values": values, "lcog": "".join(touched)})

    # Integer counts for the published squares; squares under the threshold pooled by 1 km.
    pools = {}
    for r in rows:
        for k in COUNTS:
            r["values"][k] = float(round(r["values"][k]))
        if r["values"]["Men"] < SECRET_HOUSEHOLDS:
            key = (r["e"] // 1000 * 1000, r["n"] // 1000 * 1000)
            pools.setdefault(key, []).append(r)
    for (e1, n1), members in pools.items():
        if len(members) < 2:
            continue
        for k in COUNTS:
            mean = sum(m["values"][k] for m in members) / len(members)
            for m in members:
                m["values"][k] = mean
        for m in members:
            m["nat"] = f"CRS3035RES1000mN{n1}E{e1}"

    rows.sort(key=lambda r: (r["n"], r["e"]))
    with open(OUT, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        for r in rows:
            e, n = r["e"], r["n"]
            e1, n1 = e // 1000 * 1000, n // 1000 * 1000
            nat = r.get("nat")
            line = [f"CRS3035RES200mN{n}E{e}", "1" if nat else "0",
                    f"CRS3035RES1000mN{n1}E{e1}", "0",
                    nat or f"CRS3035RES200mN{n}E{e}", ""]
            for k in COUNTS:
                v = r["values"][k]
                line.append(f"{v:.0f}" if v == int(v) else f"{v:.4f}".rstrip("0"))
            line.append(r["lcog"])
            w.writerow(line)
    print(f"{OUT}: {len(rows)} carreaux")


if __name__ == "__main__":
    main()
