"""Builds the well-formed fixtures of tests/data/good/ (run once; outputs are committed).

Needs geopandas/pyogrio (GDAL), openpyxl, odfpy, xlwt (see bench/requirements.txt and
sample_data/scripts/requirements.txt). Every fixture is derived from the real Essonne sample.
"""
import json
import os
import shutil
import zipfile

import geopandas as gpd
from shapely.geometry import MultiPolygon, Polygon

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "good")
SAMPLE = os.path.join(HERE, "..", "..", "sample_data", "essonne")
os.makedirs(OUT, exist_ok=True)

communes = gpd.read_file(os.path.join(SAMPLE, "communes.geojson"))
epci = gpd.read_file(os.path.join(SAMPLE, "epci.geojson"))

# 1. ADMIN EXPRESS 4.0-like GeoPackage: Lambert-93, layers commune/epci, geometry column
#    "geometrie", lowercase long field names, multi-valued codes_siren_des_epci.
gpkg = os.path.join(OUT, "admin_express_91.gpkg")
if os.path.exists(gpkg):
    os.remove(gpkg)
com = communes.to_crs(2154).rename(
    columns={"INSEE_COM": "code_insee", "NOM": "nom_officiel", "POPULATION": "population",
             "SIREN_EPCI": "codes_siren_des_epci"}
)[["code_insee", "nom_officiel", "population", "codes_siren_des_epci", "geometry"]]
# Communes of the Métropole du Grand Paris also belong to their EPT (here a made-up EPT SIREN
# 200058790 of Grand-Orly Seine Bièvre, as ADMIN EXPRESS writes it).
com.loc[com["codes_siren_des_epci"] == "200054781", "codes_siren_des_epci"] = "200054781/200058790"
com = com.rename_geometry("geometrie")
com.to_file(gpkg, layer="commune", driver="GPKG")
ep = epci.to_crs(2154).rename(columns={"CODE_SIREN": "code_siren", "NOM": "nom_officiel"})[
    ["code_siren", "nom_officiel", "geometry"]].rename_geometry("geometrie")
ep.to_file(gpkg, layer="epci", driver="GPKG")

# 2. ADMIN EXPRESS 3.x-like zipped shapefile: Lambert-93, UPPERCASE fields, CP1252 DBF
#    without .cpg, ESRI .prj without EPSG code.
shpdir = os.path.join(OUT, "tmp_shp")
shutil.rmtree(shpdir, ignore_errors=True)
os.makedirs(shpdir)
c3 = communes.to_crs(2154)[["INSEE_COM", "NOM", "POPULATION", "SIREN_EPCI", "geometry"]]
c3.to_file(os.path.join(shpdir, "COMMUNE.shp"), driver="ESRI Shapefile", encoding="cp1252")
for ext in ("cpg",):
    p = os.path.join(shpdir, "COMMUNE." + ext)
    if os.path.exists(p):
        os.remove(p)
with open(os.path.join(shpdir, "COMMUNE.prj"), "w") as f:
    f.write('PROJCS["RGF93_Lambert_93",GEOGCS["GCS_RGF_1993",DATUM["D_RGF_1993",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Lambert_Conformal_Conic"],PARAMETER["False_Easting",700000.0],PARAMETER["False_Northing",6600000.0],PARAMETER["Central_Meridian",3.0],PARAMETER["Standard_Parallel_1",44.0],PARAMETER["Standard_Parallel_2",49.0],PARAMETER["Latitude_Of_Origin",46.5],UNIT["Meter",1.0]]')
zpath = os.path.join(OUT, "ADECOGC_3-2_SHP_LAMB93_91.zip")
with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as z:
    for name in sorted(os.listdir(shpdir)):
        info = zipfile.ZipInfo("ADECOGC_3-2_SHP_LAMB93_91/" + name, date_time=(2024, 2, 22, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with open(os.path.join(shpdir, name), "rb") as f:
            z.writestr(info, f.read())
shutil.rmtree(shpdir)

# 3. GeoJSON with the legacy crs member naming EPSG:2154 (as French exports still write it).
legacy = json.loads(epci.to_crs(2154).to_json())
legacy["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}}
with open(os.path.join(OUT, "epci_l93_legacy_crs.geojson"), "w", encoding="utf-8") as f:
    json.dump(legacy, f, ensure_ascii=False)

# 4. Holes and islands: a square zone with a lake (hole), an island in the lake, written as a
#    shapefile whose ring order is not "outer then its holes" (GDAL writes islands after).
outer = [(600000, 6800000), (610000, 6800000), (610000, 6810000), (600000, 6810000)]
lake = [(602000, 6802000), (608000, 6802000), (608000, 6808000), (602000, 6808000)]
island = [(604000, 6804000), (606000, 6804000), (606000, 6806000), (604000, 6806000)]
far = [(620000, 6800000), (625000, 6800000), (625000, 6805000), (620000, 6805000)]
geom = MultiPolygon([Polygon(outer, [lake]), Polygon(island), Polygon(far)])
holes = gpd.GeoDataFrame({"CODE": ["99001"], "NOM": ["Zone à trou"]}, geometry=[geom], crs=2154)
holes.to_file(os.path.join(OUT, "hole_island.shp"), driver="ESRI Shapefile", encoding="utf-8")

# 5. Tables in XLS and ODS with the INSEE layout (title rows, header on row 6).
rows = [["CODGEO", "LIBGEO", "NBMENFISC", "TP60"],
        ["91001", "Abbéville-la-Rivière", 134, "s"],
        ["91228", "Évry-Courcouronnes", 25000, 24.5],
        [91286, "Grigny", 10000, 43.1]]
titles = ["Panorama FICTIF — test", "Source : CartoSol (FICTIF)", "", "", ""]
import xlwt
wb = xlwt.Workbook(encoding="utf-8")
ws = wb.add_sheet("COM")
for i, t in enumerate(titles):
    ws.write(i, 0, t)
for r, row in enumerate(rows):
    for c, v in enumerate(row):
        ws.write(5 + r, c, v)
wb.save(os.path.join(OUT, "panorama_test.xls"))

from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableRow, TableCell
from odf.text import P
doc = OpenDocumentSpreadsheet()
table = Table(name="COM")
for t in titles:
    tr = TableRow(); tc = TableCell(); tc.addElement(P(text=t)); tr.addElement(tc); table.addElement(tr)
for row in rows:
    tr = TableRow()
    for v in row:
        if isinstance(v, (int, float)):
            tc = TableCell(valuetype="float", value=v)
        else:
            tc = TableCell(valuetype="string")
        tc.addElement(P(text=str(v)))
        tr.addElement(tc)
    table.addElement(tr)
doc.spreadsheet.addElement(table)
doc.save(os.path.join(OUT, "panorama_test.ods"))

# 6. CSV variants of the same table: CP1252 with tab separator, thousands spaces.
with open(os.path.join(OUT, "panorama_cp1252_tab.csv"), "wb") as f:
    f.write("CODGEO\tLIBGEO\tNBMENFISC\tTP60\r\n".encode("cp1252"))
    f.write("91001\tAbbéville-la-Rivière\t134\ts\r\n".encode("cp1252"))
    f.write("91228\tÉvry-Courcouronnes\t25 000\t24,5\r\n".encode("cp1252"))
    f.write("91286\tGrigny\t10\u00a0000\t43,1\r\n".encode("cp1252"))

# 7. data·inclusion services as a JSON array (API/export form), Lambert-93-free lon/lat.
services = [
    {"id": "fictif--1", "source": "fictif", "structure_id": "s1", "nom": "France Services Étampes (FICTIF)",
     "thematiques": ["difficultes-administratives-ou-juridiques--accompagner-les-demarches-de-sante"],
     "publics": ["tous-publics"], "modes_accueil": ["en-presentiel"], "zone_eligibilite": ["200017846"],
     "code_insee": "91223", "longitude": 2.1606, "latitude": 48.4346},
    {"id": "fictif--2", "source": "fictif", "structure_id": "s2", "nom": "Aide en ligne (FICTIF)",
     "thematiques": ["numerique--realiser-des-demarches-administratives-avec-un-accompagnement"],
     "publics": ["tous-publics"], "modes_accueil": ["a-distance"], "zone_eligibilite": ["91"],
     "code_insee": None, "longitude": None, "latitude": None},
]
with open(os.path.join(OUT, "services_datainclusion.json"), "w", encoding="utf-8") as f:
    json.dump(services, f, ensure_ascii=False, indent=1)

# 8. BAN-like points in Lambert-93 x/y (no lon/lat columns).
with open(os.path.join(OUT, "points_l93.csv"), "w", encoding="utf-8") as f:
    f.write("id;nom;x;y\n1;Mairie d'Évry-Courcouronnes;658985.2;6836350.1\n2;Sans position;;\n")
print("ok")
