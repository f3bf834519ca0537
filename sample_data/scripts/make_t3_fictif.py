"""Generate the FICTITIOUS T+3 vintage of the sample (seeded, reproducible).

    sample_data/panorama_pauvrete_essonne_T3_FICTIF.xlsx   same layout as the T0 workbook
    sample_data/communes_essonne_T3_FICTIF.geojson         the communes with ONE merger
    sample_data/passage_communes_2024_2027_FICTIF.csv      correspondence old code -> new code

Every value written here is INVENTED (random.Random(2027)): the T0 workbook
(panorama_pauvrete_essonne_FICTIF.xlsx) is read and its values are moved by seeded noise, so
that `cartosol t0 compare` can be tried at once. It is not a forecast.

The merger follows INSEE's practice for a commune nouvelle: two communes of the same EPCI,
Auvers-Saint-Georges (91038) and Chamarande (91132), become the commune nouvelle
« Auvers-Chamarande » (FICTIVE), which keeps the code of the larger one (91038); the code 91132
disappears. Its counts are the sums of the two communes' T+3 counts, its rates are recomputed
from those sums. EPCI rows are moved by their own noise (counts scaled, rates moved by a few
tenths of a point), not re-aggregated from the communes (several T0 commune values are masked).

Run after make_fictitious.py; requires openpyxl and shapely (requirements.txt).
"""

import csv
import json
import math
import os
import random
import sys

import openpyxl
from openpyxl.styles import Font
from shapely.geometry import mapping, shape
from shapely.ops import unary_union

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_fictitious as mf  # noqa: E402

SAMPLE = mf.SAMPLE
SEED = 2027
T0_BOOK = os.path.join(SAMPLE, "panorama_pauvrete_essonne_FICTIF.xlsx")
T3_BOOK = os.path.join(SAMPLE, "panorama_pauvrete_essonne_T3_FICTIF.xlsx")
T3_COMMUNES = os.path.join(SAMPLE, "communes_essonne_T3_FICTIF.geojson")
PASSAGE = os.path.join(SAMPLE, "passage_communes_2024_2027_FICTIF.csv")

MERGED = ["91038", "91132"]  # Auvers-Saint-Georges, Chamarande (adjacent, same EPCI)
NEW_CODE = "91038"
NEW_NAME = "Auvers-Chamarande"

COUNT_COLS = ["NBMENFISC", "NBPERSMENFISC", "NB_MEN_PAUV", "NB_FAM_MONO",
              "NB_PERS_SEULES_75P"] + mf.MP_COLS
SHARE_COLS = mf.WEIGHTED_MEAN_COLS  # weighted by NBMENFISC when merging

TITLE_ROWS = [
    "Panorama de la pauvreté en Essonne — DONNÉES FICTIVES (FICTIF) — millésime T+3",
    "Jeu de données fictif généré par CartoSol à des fins de démonstration : "
    "ne pas utiliser comme statistique",
    "Millésime fictif : 2024 — géographie au 1er janvier 2027",
    "Source : CartoSol, script make_t3_fictif.py (graine 2027), à partir du millésime T0",
    None,
]


def read_sheet(ws):
    header = [c.value for c in ws[6]]
    rows = []
    for r in ws.iter_rows(min_row=7, values_only=True):
        if r[0] is None:
            continue
        row = dict(zip(header, r))
        row["CODGEO"] = str(row["CODGEO"])
        rows.append(row)
    return rows


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def move(rng, row, rate_sd, masked_ok=True):
    """The row moved by noise: households scaled, poverty rate moved, counts recomputed."""
    out = dict(row)
    scale = rng.uniform(0.98, 1.04)
    nbmen = max(20, int(round(row["NBMENFISC"] * scale)))
    out["NBMENFISC"] = nbmen
    out["NBPERSMENFISC"] = int(round(row["NBPERSMENFISC"] * scale * rng.uniform(0.995, 1.005)))
    if is_num(row["TP60"]):
        tp = mf.clamp(row["TP60"] + rng.gauss(0.3, rate_sd), 2.0, 35.0)
        poor = int(round(nbmen * tp / 100.0))
        out["NB_MEN_PAUV"] = poor
        out["TP60"] = round(100.0 * poor / nbmen, 1)
        old_mp = [row[c] if is_num(row[c]) else 0 for c in mf.MP_COLS]
        weights = [max(w, 0) * rng.uniform(0.9, 1.1) + 1e-9 for w in old_mp]
        for c, v in zip(mf.MP_COLS, mf.split_exact(poor, weights)):
            out[c] = v
    fam = int(round(row["NB_FAM_MONO"] * scale * rng.uniform(0.96, 1.06)))
    out["NB_FAM_MONO"] = fam
    out["PART_FAM_MONO"] = round(100.0 * fam / nbmen, 1)
    out["NB_PERS_SEULES_75P"] = int(round(row["NB_PERS_SEULES_75P"] * rng.uniform(1.0, 1.1)))
    for c in SHARE_COLS:
        if is_num(row[c]):
            out[c] = round(mf.clamp(row[c] + rng.gauss(0.0, rate_sd), 0.0, 70.0), 1)
    return out


def merge_rows(a, b):
    """The commune nouvelle's row: counts summed, rates recomputed, shares weighted."""
    row = {"CODGEO": NEW_CODE, "LIBGEO": NEW_NAME}
    for c in COUNT_COLS:
        row[c] = a[c] + b[c]
    row["TP60"] = round(100.0 * row["NB_MEN_PAUV"] / row["NBMENFISC"], 1)
    row["PART_FAM_MONO"] = round(100.0 * row["NB_FAM_MONO"] / row["NBMENFISC"], 1)
    for c in SHARE_COLS:
        if is_num(a[c]) and is_num(b[c]):
            row[c] = round((a[c] * a["NBMENFISC"] + b[c] * b["NBMENFISC"])
                           / row["NBMENFISC"], 1)
        else:
            row[c] = "nd"
    return row


def write_book(path, epci_rows, com_rows, numeric_sirens):
    mf.TITLE_ROWS = TITLE_ROWS  # write_sheet reads the module's title rows
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "EPCI"
    mf.write_sheet(ws, epci_rows, numeric_codgeo=numeric_sirens)
    mf.write_sheet(wb.create_sheet("COM"), com_rows)
    wd = wb.create_sheet("Définitions")
    wd["A1"] = ("Définitions des variables — Panorama de la pauvreté en Essonne (FICTIF), "
                "millésime T+3")
    wd["A1"].font = Font(bold=True, size=13)
    wd["A2"] = ("ATTENTION : toutes les valeurs de ce classeur sont FICTIVES : celles du "
                "millésime T0 déplacées par un bruit aléatoire (graine 2027). Ce ne sont pas "
                "des statistiques.")
    wd["A3"] = (f"Géographie FICTIVE au 1er janvier 2027 : {MERGED[0]} et {MERGED[1]} ont "
                f"fusionné dans la commune nouvelle {NEW_NAME} (code {NEW_CODE}). Secret "
                "simulé : « s » = valeur masquée, « nd » = non disponible.")
    wd["A5"], wd["B5"] = "Code", "Libellé"
    wd["A5"].font = wd["B5"].font = Font(bold=True)
    for i, (code, label) in enumerate(mf.DEFINITIONS, start=6):
        wd.cell(row=i, column=1, value=code)
        wd.cell(row=i, column=2, value=label)
    wd.column_dimensions["A"].width = 28
    wd.column_dimensions["B"].width = 100
    for p in ("creator", "lastModifiedBy"):
        setattr(wb.properties, p, "CartoSol make_t3_fictif.py")
    wb.properties.title = "Panorama de la pauvreté en Essonne (FICTIF, T+3)"
    wb.properties.created = mf.FIXED_DATE
    wb.save(path)
    mf.normalize_zip(path)
    mf.patch_core_modified(path)


def write_communes(path, merged_pop):
    with open(os.path.join(mf.ESSONNE, "communes.geojson"), encoding="utf-8") as f:
        data = json.load(f)
    kept, parts = [], []
    for feat in data["features"]:
        if feat["properties"]["INSEE_COM"] in MERGED:
            parts.append(feat)
        else:
            kept.append(feat)
    union = unary_union([shape(p["geometry"]) for p in parts])
    if union.geom_type == "Polygon":
        coords = [mapping(union)["coordinates"]]
    else:
        coords = list(mapping(union)["coordinates"])

    def rounded(c):
        if isinstance(c, (list, tuple)) and c and isinstance(c[0], (int, float)):
            return [round(c[0], 6), round(c[1], 6)]
        return [rounded(x) for x in c]

    props = dict(parts[0]["properties"])
    props.update({"INSEE_COM": NEW_CODE, "NOM": NEW_NAME, "POPULATION": merged_pop})
    merged = {"type": "Feature", "properties": props,
              "geometry": {"type": "MultiPolygon", "coordinates": rounded(coords)}}
    feats = sorted(kept + [merged], key=lambda f: f["properties"]["INSEE_COM"])
    out = {"type": "FeatureCollection", "features": feats}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, separators=(",", ":"))


def write_passage(path, t0_rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter=";", lineterminator="\n")
        w.writerow(["CODGEO_2024", "LIBGEO_2024", "CODGEO_2027", "LIBGEO_2027"])
        for r in t0_rows:
            if r["CODGEO"] in MERGED:
                w.writerow([r["CODGEO"], r["LIBGEO"], NEW_CODE, NEW_NAME])
            else:
                w.writerow([r["CODGEO"], r["LIBGEO"], r["CODGEO"], r["LIBGEO"]])


def main():
    rng = random.Random(SEED)
    wb = openpyxl.load_workbook(T0_BOOK)
    epci_t0 = read_sheet(wb["EPCI"])
    com_t0 = read_sheet(wb["COM"])
    numeric_sirens = {str(c.value) for c in wb["EPCI"]["A"][6:] if isinstance(c.value, int)}

    com_t3 = [move(rng, r, 1.0) for r in com_t0]
    parts = [r for r in com_t3 if r["CODGEO"] in MERGED]
    new_row = merge_rows(parts[0], parts[1])
    com_t3 = [r for r in com_t3 if r["CODGEO"] not in MERGED] + [new_row]
    com_t3.sort(key=lambda r: r["CODGEO"])
    for r in com_t3:  # simulated secrecy, as at T0
        if r["NBMENFISC"] < mf.SECRET_THRESHOLD:
            for c in mf.SECRET_COLS:
                r[c] = "s"
    epci_t3 = [move(rng, r, 0.4) for r in epci_t0]
    write_book(T3_BOOK, epci_t3, com_t3, numeric_sirens)

    with open(os.path.join(mf.ESSONNE, "communes.geojson"), encoding="utf-8") as f:
        pops = {ft["properties"]["INSEE_COM"]: ft["properties"]["POPULATION"]
                for ft in json.load(f)["features"]}
    write_communes(T3_COMMUNES, sum(pops[c] for c in MERGED))
    write_passage(PASSAGE, com_t0)
    print(f"COM rows: {len(com_t3)} (T0: {len(com_t0)})  EPCI rows: {len(epci_t3)}  "
          f"merger: {' + '.join(MERGED)} -> {NEW_CODE} {NEW_NAME}")


if __name__ == "__main__":
    main()
