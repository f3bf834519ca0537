#!/usr/bin/env python3
"""Reference values of spatial autocorrelation and empirical Bayes smoothing, computed with PySAL,
for tests/diagnostic_autocorrelation.rs.

Versions used to produce the committed outputs (Python 3.11.7):
    pip install libpysal==4.14.1 esda==2.9.0 geopandas==1.2.0 pyogrio openpyxl
    (numpy 2.x, shapely 2.x as resolved by pip; numba installed for speed, not required)

Run from the repository root:
    python3 tests/data/make_pysal_reference.py [../shared/data/france/communes_l93.shp]

Writes into tests/data/pysal/:
- essonne_values.csv: CODGEO;TP60;NB_MEN_PAUV;NBMENFISC, the communes of the sample panorama
  (sheet COM of sample_data/panorama_pauvrete_essonne_FICTIF.xlsx) whose three figures are
  numbers; secret (`s`) communes are dropped here, and the Rust test takes its values from this
  very file, so both sides drop the same communes.
- essonne_neighbours.csv: INSEE_COM;neighbours — libpysal Queen.from_dataframe on all 194
  communes of sample_data/essonne/communes.geojson (neighbour codes sorted, joined by '|').
- essonne_moran.csv: the global Moran of TP60 (esda.Moran, 999 permutations) on the queen
  weights of the communes with a value (row-standardised): key;value.
- essonne_lisa.csv: esda.Moran_Local (999 permutations, seed 12345) on the same weights:
  INSEE_COM;TP60;Ii;q;p_sim.
- essonne_eb.csv: esda.smoothing.Empirical_Bayes and Spatial_Empirical_Bayes of
  NB_MEN_PAUV / NBMENFISC on the same queen weights: INSEE_COM;raw;eb;seb.
- france_neighbours.csv: INSEE_COM;count;neighbours for the 34,738 communes of France
  (libpysal Queen.from_dataframe on the Lambert-93 shapefile, file order).
"""

import os
import sys
import warnings

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
from esda.smoothing import Empirical_Bayes, Spatial_Empirical_Bayes
from libpysal.weights import Queen

warnings.filterwarnings("ignore")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "data", "pysal")
SEED = 12345
PERMUTATIONS = 999


def number(v):
    """A French number cell ('10,1', 10.1) as float, None for markers (s, nd…)."""
    if isinstance(v, (int, float)) and not (isinstance(v, float) and np.isnan(v)):
        return float(v)
    try:
        return float(str(v).replace(",", ".").replace("\u202f", "").replace(" ", ""))
    except ValueError:
        return None


def neighbour_lists(w, codes):
    return {
        codes[i]: sorted(codes[j] for j in w.neighbors[i]) for i in range(len(codes))
    }


def essonne():
    com = pd.read_excel(
        os.path.join(ROOT, "sample_data", "panorama_pauvrete_essonne_FICTIF.xlsx"),
        sheet_name="COM",
        header=5,  # title rows 1-5, header on row 6 (sample_data/README.md)
        dtype={"CODGEO": str},
    )
    rows = []
    for _, r in com.iterrows():
        vals = [number(r[c]) for c in ("TP60", "NB_MEN_PAUV", "NBMENFISC")]
        if all(v is not None for v in vals):
            rows.append((str(r["CODGEO"]).strip(), *vals))
    values = pd.DataFrame(rows, columns=["CODGEO", "TP60", "NB_MEN_PAUV", "NBMENFISC"])
    with open(os.path.join(OUT, "essonne_values.csv"), "w") as f:
        f.write("CODGEO;TP60;NB_MEN_PAUV;NBMENFISC\n")
        for r in values.itertuples(index=False):
            f.write(f"{r.CODGEO};{float(r.TP60)!r};{float(r.NB_MEN_PAUV)!r};{float(r.NBMENFISC)!r}\n")

    gdf = gpd.read_file(os.path.join(ROOT, "sample_data", "essonne", "communes.geojson"))
    codes = list(gdf["INSEE_COM"].astype(str))
    w_all = Queen.from_dataframe(gdf, use_index=False)
    with open(os.path.join(OUT, "essonne_neighbours.csv"), "w") as f:
        f.write("INSEE_COM;neighbours\n")
        for c, ns in neighbour_lists(w_all, codes).items():
            f.write(f"{c};{'|'.join(ns)}\n")

    # Communes with a value, in layer order: the weights are built on them only.
    sub = gdf.merge(values, left_on="INSEE_COM", right_on="CODGEO", how="inner")
    sub = sub.reset_index(drop=True)
    w = Queen.from_dataframe(sub, use_index=False)
    w.transform = "r"
    y = sub["TP60"].to_numpy(dtype=float)
    np.random.seed(SEED)
    mg = esda.Moran(y, w, permutations=PERMUTATIONS)
    with open(os.path.join(OUT, "essonne_moran.csv"), "w") as f:
        f.write("key;value\n")
        f.write(f"n;{len(y)}\n")
        f.write(f"I;{float(mg.I)!r}\n")
        f.write(f"EI;{float(mg.EI)!r}\n")
        f.write(f"p_sim;{float(mg.p_sim)!r}\n")
        f.write(f"permutations;{PERMUTATIONS}\n")
        f.write(f"islands;{len(w.islands)}\n")
    w.transform = "r"
    ml = esda.Moran_Local(y, w, permutations=PERMUTATIONS, seed=SEED)
    with open(os.path.join(OUT, "essonne_lisa.csv"), "w") as f:
        f.write("INSEE_COM;TP60;Ii;q;p_sim\n")
        for i, c in enumerate(sub["INSEE_COM"]):
            f.write(f"{c};{float(y[i])!r};{float(ml.Is[i])!r};{int(ml.q[i])};{float(ml.p_sim[i])!r}\n")

    e = sub["NB_MEN_PAUV"].to_numpy(dtype=float)
    b = sub["NBMENFISC"].to_numpy(dtype=float)
    eb = Empirical_Bayes(e, b).r.flatten()
    wb = Queen.from_dataframe(sub, use_index=False)
    wb.id_order = list(range(len(sub)))  # the order of e and b
    seb = Spatial_Empirical_Bayes(e, b, wb).r.flatten()
    with open(os.path.join(OUT, "essonne_eb.csv"), "w") as f:
        f.write("INSEE_COM;raw;eb;seb\n")
        for i, c in enumerate(sub["INSEE_COM"]):
            f.write(f"{c};{float(e[i] / b[i])!r};{float(eb[i])!r};{float(seb[i])!r}\n")
    print(
        f"Essonne : {len(gdf)} communes, {len(sub)} avec valeur, I = {mg.I:.6f} "
        f"(p = {mg.p_sim}), {sum(1 for p in ml.p_sim if p <= 0.05)} LISA p <= 0.05"
    )


def france(path):
    gdf = gpd.read_file(path)
    codes = list(gdf["INSEE_COM"].astype(str))
    w = Queen.from_dataframe(gdf, use_index=False)
    with open(os.path.join(OUT, "france_neighbours.csv"), "w") as f:
        f.write("INSEE_COM;count;neighbours\n")
        for i, c in enumerate(codes):
            ns = sorted(codes[j] for j in w.neighbors[i])
            f.write(f"{c};{len(ns)};{'|'.join(ns)}\n")
    print(f"France : {len(codes)} communes, {len(w.islands)} îles")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    print(f"libpysal {libpysal.__version__}, esda {esda.__version__}, geopandas {gpd.__version__}")
    essonne()
    shp = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        ROOT, "..", "shared", "data", "france", "communes_l93.shp"
    )
    if os.path.exists(shp):
        france(shp)
