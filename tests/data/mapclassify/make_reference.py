"""Reference class breaks for CartoSol's choropleth classification, computed with PySAL
mapclassify on the sample's FICTIF poverty panorama (EPCI and commune sheets).

    pip install mapclassify openpyxl
    python tests/data/mapclassify/make_reference.py

writes tests/data/mapclassify/reference.json, read by tests/style.rs. Cells holding a
missing-value marker (`s`, `nd`, empty) are skipped, as CartoSol leaves missing values out of
the classification.

Standard deviations: mapclassify's StdMean takes multiples of sigma, not a class count;
CartoSol derives them from the number of classes k (style::classify::std_dev_multiples):
odd k -> +-1 .. +-(k-1)/2, even k -> the same plus 0.
"""

import json
import pathlib
import sys

import mapclassify
import numpy as np
import openpyxl
import scipy

ROOT = pathlib.Path(__file__).resolve().parents[3]
WORKBOOK = ROOT / "sample_data" / "panorama_pauvrete_essonne_FICTIF.xlsx"
OUT = pathlib.Path(__file__).resolve().parent / "reference.json"
HEADER_ROW = 6
INDICATORS = [
    "TP60",
    "PART_FAM_MONO",
    "TX_CHOMAGE",
    "PART_MEN_SANS_VOITURE",
    "PART_PRECARITE_ENERG",
    "PLACES_CRECHE_100",
    "PART_NON_DIPLOMES",
    "NBMENFISC",
]
KS = range(3, 8)


def std_multiples(k):
    half = (k - 1) // 2
    multiples = [-m for m in range(half, 0, -1)]
    if k % 2 == 0:
        multiples.append(0)
    multiples += list(range(1, half + 1))
    return multiples


def column(sheet, name):
    rows = sheet.iter_rows(min_row=HEADER_ROW, values_only=True)
    header = list(next(rows))
    index = header.index(name)
    values = []
    for row in rows:
        cell = row[index]
        if isinstance(cell, (int, float)) and not isinstance(cell, bool):
            values.append(float(cell))
    return values


def case(sheet, indicator, method, k, classifier, **extra):
    return {
        "sheet": sheet,
        "indicator": indicator,
        "method": method,
        "k": k,
        **extra,
        # Exact decimal text (Python's shortest round-trip repr), parsed with correct rounding by
        # the Rust test (serde_json's default float parser may be off by one ulp).
        "bins": [repr(float(b)) for b in classifier.bins],
        "counts": [int(c) for c in classifier.counts],
    }


def main():
    book = openpyxl.load_workbook(WORKBOOK, read_only=True, data_only=True)
    cases = []
    for sheet in ("EPCI", "COM"):
        for indicator in INDICATORS:
            y = np.array(column(book[sheet], indicator))
            base = {"n": int(len(y)), "sum": repr(float(y.sum()))}
            for k in KS:
                cases.append(case(sheet, indicator, "quantiles", k, mapclassify.Quantiles(y, k=k), **base))
                cases.append(case(sheet, indicator, "equal_interval", k, mapclassify.EqualInterval(y, k=k), **base))
                if len(np.unique(y)) >= k:
                    cases.append(case(sheet, indicator, "natural_breaks", k, mapclassify.FisherJenks(y, k=k), **base))
                m = std_multiples(k)
                cases.append(case(sheet, indicator, "std_dev", k, mapclassify.StdMean(y, multiples=m), multiples=m, **base))
            cases.append(case(sheet, indicator, "box_map", 6, mapclassify.BoxPlot(y, hinge=1.5), **base))
            print(sheet, indicator, len(y), "values", file=sys.stderr)
    header = {
        "generator": "tests/data/mapclassify/make_reference.py",
        "mapclassify": mapclassify.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "workbook": "sample_data/panorama_pauvrete_essonne_FICTIF.xlsx",
    }
    # One case per line: small diffs when the reference is regenerated.
    lines = [json.dumps(header, ensure_ascii=False)[:-1] + ', "cases": [']
    lines += [json.dumps(c) + ("," if i + 1 < len(cases) else "") for i, c in enumerate(cases)]
    lines += ["]}"]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(cases)} cases -> {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
