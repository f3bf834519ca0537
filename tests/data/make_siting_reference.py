#!/usr/bin/env python3
"""Reference optimum of the maximal covering location problem for tests/siting.rs.

Pinned versions (run in a virtual environment):
    python 3.11, spopt==0.7.0 (PuLP 3.3.2 with its bundled CBC), numpy, pandas, openpyxl, shapely

    python3 -m venv /tmp/venv-spopt && /tmp/venv-spopt/bin/pip install spopt==0.7.0 openpyxl
    /tmp/venv-spopt/bin/python tests/data/make_siting_reference.py

Inputs (the sample project):
- demand: each commune of sample_data/essonne/communes.geojson at its shapely
  `representative_point()`, weighted by its poor households NB_MEN_PAUV (sheet COM of
  sample_data/panorama_pauvrete_essonne_FICTIF.xlsx, header on row 6); communes whose count
  carries a secrecy or availability marker are left out (never taken as 0);
- candidates: the 194 town halls (sample_data/essonne/mairies.geojson);
- existing sites: the « France Services » points of sample_data/services_essonne_FICTIF.csv.
The three lists are written to siting/ so that the Rust test uses exactly the same points.

Distances: great-circle (haversine, R = 6,371,008.7714 m), as CartoSol computes them.

Output siting/mclp_essonne.csv: radius_km, k, existing (0: no existing site, 1: the France
Services kept, as predefined facilities added to the k new ones), covered = weight of the
demand within the radius of a chosen (or existing) site at CBC's proven optimum.
"""

import json
import math
import os

import numpy as np
import pandas as pd
import pulp
from shapely.geometry import shape
from spopt.locate import MCLP

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(HERE, "siting")
R = 6371008.7714


def haversine(lon1, lat1, lon2, lat2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dl = np.radians(lon2 - lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * R * np.arcsin(np.sqrt(a))


def main():
    os.makedirs(OUT, exist_ok=True)
    com = json.load(open(os.path.join(ROOT, "sample_data", "essonne", "communes.geojson")))
    pano = pd.read_excel(
        os.path.join(ROOT, "sample_data", "panorama_pauvrete_essonne_FICTIF.xlsx"),
        sheet_name="COM",
        header=5,
        dtype=str,
    )
    counts = {}
    for code, v in zip(pano["CODGEO"], pano["NB_MEN_PAUV"]):
        try:
            counts[str(code)] = float(str(v).replace(",", "."))
        except ValueError:
            pass  # secrecy / not available marker: left out
    demand = []
    for f in com["features"]:
        code = f["properties"]["INSEE_COM"]
        if code not in counts or math.isnan(counts[code]):
            continue
        p = shape(f["geometry"]).representative_point()
        demand.append((code, p.x, p.y, counts[code]))
    d = pd.DataFrame(demand, columns=["code", "lon", "lat", "weight"])
    d.to_csv(os.path.join(OUT, "demand_essonne.csv"), index=False, float_format="%.7f")

    mairies = json.load(open(os.path.join(ROOT, "sample_data", "essonne", "mairies.geojson")))
    c = pd.DataFrame(
        [
            (f["properties"]["code_insee"], *f["geometry"]["coordinates"][:2])
            for f in mairies["features"]
        ],
        columns=["code", "lon", "lat"],
    )
    c.to_csv(os.path.join(OUT, "candidates_essonne.csv"), index=False, float_format="%.7f")

    services = pd.read_csv(
        os.path.join(ROOT, "sample_data", "services_essonne_FICTIF.csv"), sep=";", dtype=str
    )
    fs = services[services["dispositif"] == "France Services"]
    e = pd.DataFrame(
        {"id": fs["id"], "lon": fs["longitude"].astype(float), "lat": fs["latitude"].astype(float)}
    )
    e.to_csv(os.path.join(OUT, "existing_essonne.csv"), index=False, float_format="%.7f")

    rows = []
    for existing in (0, 1):
        sites = pd.concat([c[["lon", "lat"]], e[["lon", "lat"]]]) if existing else c[["lon", "lat"]]
        cost = haversine(
            d["lon"].values[:, None], d["lat"].values[:, None],
            sites["lon"].values[None, :], sites["lat"].values[None, :],
        )
        predefined = None
        if existing:
            predefined = np.array([False] * len(c) + [True] * len(e))
        for radius_km in (5, 10):
            for k in range(1, 6):
                p = k + (len(e) if existing else 0)
                model = MCLP.from_cost_matrix(
                    cost, d["weight"].values, radius_km * 1000.0, p_facilities=p,
                    predefined_facilities_arr=predefined,
                )
                model.solve(pulp.PULP_CBC_CMD(msg=False))
                assert pulp.LpStatus[model.problem.status] == "Optimal"
                chosen = [j for j, var in enumerate(model.fac_vars) if var.value() > 0.5]
                within = (cost[:, chosen] <= radius_km * 1000.0).any(axis=1)
                covered = float(d["weight"].values[within].sum())
                rows.append((radius_km, k, existing, covered))
                print(radius_km, k, existing, covered, len(chosen))
    pd.DataFrame(rows, columns=["radius_km", "k", "existing", "covered"]).to_csv(
        os.path.join(OUT, "mclp_essonne.csv"), index=False
    )


if __name__ == "__main__":
    main()
