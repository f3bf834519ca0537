#!/usr/bin/env python3
"""Reference values for tests/diagnostic_typology.rs (typology of territories).

Pinned versions (run in a virtual environment):
    python 3.11, numpy==2.2.6, scipy==1.15.3, scikit-learn==1.6.1, pandas==2.2.3,
    openpyxl==3.1.5, pyshp==2.3.1, fastcluster==1.3.0

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install numpy==2.2.6 scipy==1.15.3 \
        scikit-learn==1.6.1 pandas==2.2.3 openpyxl==3.1.5 pyshp==2.3.1 fastcluster==1.3.0
    /tmp/venv/bin/python tests/data/make_typology_reference.py [FRANCE_SHP]

Inputs
- Essonne: sheet COM of sample_data/panorama_pauvrete_essonne_FICTIF.xlsx (header on row 6),
  five rate indicators; communes with a secrecy/not-available marker (`s`, `nd`...) on any of
  them are dropped (never imputed). The values used are written to typology/indicators_essonne.csv
  and the Rust test reads that file, so both sides use exactly the same numbers.
- France: ../shared/data/france/communes_l93.shp (34,738 communes, Lambert-93). SciPy's Ward
  needs the condensed distance matrix (n(n-1)/2 doubles: 4.8 GB for all of France), so the
  reference uses a random sample of 3,000 communes (numpy seed 20260101, without replacement),
  with three indicators: ln(POPULATION + 1), ln(area in km², shoelace on the L93 rings) and the
  y of the bounding-box centre in km. Written to typology/france_sample.csv.
- France, every commune: the same three indicators for all 34,738 communes. The Ward tree of
  all of them comes from fastcluster's `linkage_vector(z, method="ward")` (the same
  nearest-neighbour-chain Ward in O(n) memory); the script first checks that it cuts the
  3,000-commune sample into exactly SciPy's partitions for k = 2..6 (same labels), then writes
  the partitions of all of France.

Outputs in tests/data/typology/ (comma-separated, '.' decimals, floats as repr):
- indicators_essonne.csv, france_sample.csv: the data (code, then the indicators);
- kmeans_<set>.csv (set = essonne, france): k, best inertia of sklearn KMeans(n_clusters=k, n_init=10,
  init="k-means++", random_state=0) on the StandardScaler z-scores (ddof=0), k = 2..6;
- ward_<set>.csv: code, then k2..k6 = scipy fcluster(linkage(z, method="ward"), k,
  criterion="maxclust") labels;
- silhouette_<set>.csv: k, sklearn silhouette_score(z, ward labels) for k = 2..6;
- ward_france_all.csv: code, the three indicators (as france_sample.csv), then k2..k6 =
  fcluster(fastcluster.linkage_vector(z, method="ward"), k, criterion="maxclust") for the
  34,738 communes, in the shapefile's order.
"""

import math
import os
import sys

import fastcluster
import numpy as np
import pandas as pd
import shapefile
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(HERE, "typology")
XLSX = os.path.join(ROOT, "sample_data", "panorama_pauvrete_essonne_FICTIF.xlsx")
FRANCE = (
    sys.argv[1]
    if len(sys.argv) > 1
    else os.path.join(ROOT, "..", "shared", "data", "france", "communes_l93.shp")
)
ESSONNE_FIELDS = ["TP60", "PART_FAM_MONO", "PART_MEN_SANS_VOITURE", "PART_PRECARITE_ENERG", "TX_CHOMAGE"]
KS = range(2, 7)


def essonne():
    df = pd.read_excel(XLSX, sheet_name="COM", header=5, dtype=str)
    df = df[df["CODGEO"].notna()]
    rows = []
    for _, r in df.iterrows():
        values = []
        for f in ESSONNE_FIELDS:
            raw = str(r[f]).strip()
            try:
                values.append(float(raw.replace(",", ".")))
            except ValueError:  # 's', 'nd', empty...
                values = None
                break
        if values is not None:
            rows.append([str(r["CODGEO"]).strip()] + values)
    return pd.DataFrame(rows, columns=["code"] + ESSONNE_FIELDS), len(df)


def ring_area(points):
    s = 0.0
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        s += x0 * y1 - x1 * y0
    return s / 2.0


def france_records():
    reader = shapefile.Reader(FRANCE)
    records = []
    for sr in reader.iterShapeRecords():
        pts = sr.shape.points
        parts = list(sr.shape.parts) + [len(pts)]
        # Shapefile rings: outer clockwise (negative shoelace), holes counter-clockwise.
        area_m2 = abs(sum(ring_area(pts[a:b]) for a, b in zip(parts, parts[1:])))
        ymin, ymax = sr.shape.bbox[1], sr.shape.bbox[3]
        records.append(
            (
                sr.record["INSEE_COM"],
                math.log(sr.record["POPULATION"] + 1.0),
                math.log(area_m2 / 1e6),
                (ymin + ymax) / 2.0 / 1000.0,
            )
        )
    return records


FRANCE_COLUMNS = ["code", "LN_POP", "LN_SUPERFICIE_KM2", "Y_KM"]


def france():
    records = france_records()
    rng = np.random.default_rng(20260101)
    idx = np.sort(rng.choice(len(records), size=3000, replace=False))
    rows = [records[i] for i in idx]
    return pd.DataFrame(rows, columns=FRANCE_COLUMNS), len(records)


def ward_labels(z, tree):
    return {k: fcluster(tree, k, criterion="maxclust") for k in KS}


def france_all(sample):
    """Ward partitions of every commune of France (fastcluster, O(n) memory), after checking
    that fastcluster gives SciPy's partitions on the sample."""
    zs = StandardScaler().fit_transform(sample.drop(columns=["code"]).to_numpy(dtype=float))
    ref = ward_labels(zs, linkage(zs, method="ward"))
    fast = ward_labels(zs, fastcluster.linkage_vector(zs, method="ward"))
    for k in KS:
        if not np.array_equal(ref[k], fast[k]):
            sys.exit(f"fastcluster et SciPy diffèrent sur l'échantillon pour k = {k}")
    print("fastcluster = SciPy sur l'échantillon de 3 000 communes, k = 2..6")
    df = pd.DataFrame(france_records(), columns=FRANCE_COLUMNS)
    z = StandardScaler().fit_transform(df.drop(columns=["code"]).to_numpy(dtype=float))
    labels = df.copy()
    for k, lab in ward_labels(z, fastcluster.linkage_vector(z, method="ward")).items():
        labels[f"k{k}"] = lab
    labels.to_csv(os.path.join(OUT, "ward_france_all.csv"), index=False)
    print(f"France entière : {len(df)} communes, partitions de Ward k = 2..6 écrites")


def references(name, data_file, df):
    x = df.drop(columns=["code"]).to_numpy(dtype=float)
    z = StandardScaler().fit_transform(x)  # population std (ddof=0)
    df.to_csv(os.path.join(OUT, data_file), index=False)
    km = []
    for k in KS:
        m = KMeans(n_clusters=k, n_init=10, init="k-means++", random_state=0).fit(z)
        km.append((k, repr(float(m.inertia_))))
    pd.DataFrame(km, columns=["k", "inertia"]).to_csv(
        os.path.join(OUT, f"kmeans_{name}.csv"), index=False
    )
    link = linkage(z, method="ward")
    labels = pd.DataFrame({"code": df["code"]})
    sil = []
    for k in KS:
        lab = fcluster(link, k, criterion="maxclust")
        labels[f"k{k}"] = lab
        sil.append((k, repr(float(silhouette_score(z, lab)))))
    labels.to_csv(os.path.join(OUT, f"ward_{name}.csv"), index=False)
    pd.DataFrame(sil, columns=["k", "silhouette"]).to_csv(
        os.path.join(OUT, f"silhouette_{name}.csv"), index=False
    )


def main():
    os.makedirs(OUT, exist_ok=True)
    ess, total = essonne()
    print(f"Essonne : {len(ess)} communes sur {total} (les autres ont un secret ou nd)")
    references("essonne", "indicators_essonne.csv", ess)
    fr, total = france()
    print(f"France : échantillon de {len(fr)} communes sur {total}")
    references("france", "france_sample.csv", fr)
    france_all(fr)


if __name__ == "__main__":
    main()
