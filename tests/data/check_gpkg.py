"""Checks a GeoPackage written by `cartosol export` with GDAL (through pyogrio), an
independent reader: the layer opens, is in Lambert-93, GDAL sees the spatial index
(`fast_spatial_filter`), whole-number counts are 64-bit integers and rates are reals, and a
bounding-box query through the index returns the same features as a scan.

    pip install pyogrio
    cartosol export sample_data/essonne.cartosol.json --layer communes --out /tmp/communes.gpkg
    python3 tests/data/check_gpkg.py /tmp/communes.gpkg communes
"""

import sys

import pyogrio
import pyogrio.raw as raw


def main(path: str, layer: str) -> None:
    info = pyogrio.read_info(path, layer=layer)
    assert info["crs"] == "EPSG:2154", info["crs"]
    assert info["capabilities"]["fast_spatial_filter"], "no spatial index seen by GDAL"
    dtypes = dict(zip(info["fields"], info["dtypes"]))
    assert dtypes["POPULATION"] == "int64", dtypes["POPULATION"]
    assert dtypes["NBMENFISC"] == "int64", dtypes["NBMENFISC"]
    assert dtypes["TP60"] == "float64", dtypes["TP60"]
    assert dtypes["INSEE_COM"] == "object", dtypes["INSEE_COM"]
    # A window around Évry: the index answers like a full scan of the envelopes.
    box = (650_000.0, 6_830_000.0, 665_000.0, 6_845_000.0)
    _, _, _, fields = raw.read(path, layer=layer, columns=["INSEE_COM"], bbox=box)
    through_index = sorted(fields[0])
    # The same window by GDAL's SQL functions on every geometry, without the index.
    x0, y0, x1, y1 = box
    sql = (
        f"SELECT INSEE_COM FROM {layer} WHERE ST_MaxX(geom) >= {x0} AND ST_MinX(geom) <= {x1} "
        f"AND ST_MaxY(geom) >= {y0} AND ST_MinY(geom) <= {y1}"
    )
    _, _, _, fields = raw.read(path, sql=sql, read_geometry=False)
    scanned = sorted(fields[0])
    assert through_index == scanned and through_index, (through_index, scanned)
    print(f"{path}: {info['features']} entités, index spatial utilisé par GDAL "
          f"({len(through_index)} communes dans la fenêtre), types {dtypes['NBMENFISC']}/{dtypes['TP60']}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
