//! Malformed and hostile inputs (`tests/bad_inputs/`, made by `tests/make_bad_inputs.py`): each
//! one must give the exact French error an analyst reads, and nothing may panic.

use cartosol::Missing;
use cartosol::inspect::{InspectOptions, inspect};
use cartosol::join::join;
use cartosol::points::{PointOptions, load_points};
use cartosol::project::{ProjectFile, open_project};
use cartosol::table::{TableOptions, load_table};
use cartosol::zones::{ZoneOptions, load_zones};
use cartosol::{LoadError, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

const DIR: &str = "tests/bad_inputs";

fn fixture(name: &str) -> PathBuf {
    Path::new(DIR).join(name)
}

/// The message of an error that must happen; a success is a silently accepted bad file.
fn message<T>(name: &str, result: Result<T, LoadError>) -> String {
    match result {
        Ok(_) => panic!("{name} : fichier accepté sans erreur"),
        Err(e) => e.to_string(),
    }
}

fn zones_err(name: &str) -> String {
    message(name, load_zones(&fixture(name), &ZoneOptions::default()))
}

fn points_err(name: &str) -> String {
    message(name, load_points(&fixture(name), &PointOptions::default()))
}

fn table_err(name: &str) -> String {
    message(name, load_table(&fixture(name), &TableOptions::default()))
}

// ------------------------------------------------------------------------------- Shapefiles

#[test]
fn shp_truncated_in_record_2() {
    assert_eq!(
        zones_err("shp_truncated.shp"),
        "tests/bad_inputs/shp_truncated.shp : enregistrement 2 : forme tronquée : le fichier .shp s'arrête avant la fin de l'enregistrement"
    );
}

#[test]
fn shp_header_shorter_than_100_bytes() {
    assert_eq!(
        zones_err("shp_short_header.shp"),
        "tests/bad_inputs/shp_short_header.shp : en-tête de shapefile tronqué (60 octets sur 100)"
    );
}

#[test]
fn shp_empty_file() {
    assert_eq!(
        zones_err("shp_empty.shp"),
        "tests/bad_inputs/shp_empty.shp : le fichier est vide"
    );
}

#[test]
fn shp_dbf_count_mismatch() {
    assert_eq!(
        zones_err("shp_count_mismatch.shp"),
        "tests/bad_inputs/shp_count_mismatch.shp : le fichier .shp contient 3 formes mais le fichier .dbf 2 enregistrements : les attributs ne peuvent pas être rattachés aux formes"
    );
}

#[test]
fn shp_without_dbf() {
    assert_eq!(
        zones_err("shp_no_dbf.shp"),
        "tests/bad_inputs/shp_no_dbf.shp : fichier .dbf absent : les attributs des zones (codes, noms) sont introuvables"
    );
}

#[test]
fn shp_prj_garbage() {
    assert_eq!(
        zones_err("shp_prj_garbage.shp"),
        "tests/bad_inputs/shp_prj_garbage.shp : système de coordonnées non reconnu : fichier .prj : WKT illisible : « [ » attendu après LAMBERT (caractère 9)"
    );
}

#[test]
fn shp_prj_clarke_1880_without_epsg() {
    assert_eq!(
        zones_err("shp_prj_ntf_clarke.shp"),
        "tests/bad_inputs/shp_prj_ntf_clarke.shp : système de coordonnées non reconnu : fichier .prj : « NTF_Paris_Lambert_Zone_I » : ellipsoïde a=6378249.2 1/f=293.4660212936269 non pris en charge sans code EPSG (précisez le système avec --crs, ex. EPSG:27572)"
    );
}

#[test]
fn shp_no_prj_with_lambert93_coordinates() {
    assert_eq!(
        zones_err("shp_no_prj_lambert93.shp"),
        "tests/bad_inputs/shp_no_prj_lambert93.shp : système de coordonnées non reconnu : fichier .prj absent et coordonnées projetées (x de 620000 à 631000, y de 6800000 à 6801000) : précisez le système (ex. --crs EPSG:2154 pour du Lambert-93)"
    );
}

#[test]
fn shp_no_prj_is_fine_with_an_explicit_crs() {
    let layer = load_zones(
        &fixture("shp_no_prj_lambert93.shp"),
        &ZoneOptions {
            crs: Some(cartosol::crs::Crs::lambert93()),
            ..ZoneOptions::default()
        },
    )
    .expect("--crs EPSG:2154 must rescue a shapefile without .prj");
    assert_eq!(layer.len(), 3);
}

#[test]
fn shp_nan_coordinate() {
    assert_eq!(
        zones_err("shp_nan.shp"),
        "tests/bad_inputs/shp_nan.shp : enregistrement 2 : coordonnée invalide (x = NaN, y = 48.51)"
    );
}

#[test]
fn shp_huge_coordinate() {
    assert_eq!(
        zones_err("shp_huge_coordinate.shp"),
        "tests/bad_inputs/shp_huge_coordinate.shp : enregistrement 3 : coordonnée hors du domaine de EPSG:2154 (RGF93 / Lambert-93) (x = 1e300, y = 6801000)"
    );
}

#[test]
fn shp_of_points_loaded_as_zones() {
    assert_eq!(
        zones_err("shp_points.shp"),
        "tests/bad_inputs/shp_points.shp : enregistrement 1 : forme de type Point : ce fichier ne contient pas des zones (polygones) ; importez-le comme couche de points ou de lignes"
    );
}

#[test]
fn shp_dbf_bad_numeric_value() {
    assert_eq!(
        zones_err("shp_dbf_bad_number.shp"),
        "tests/bad_inputs/shp_dbf_bad_number.dbf : enregistrement 2, champ « POP » : valeur numérique illisible « 12a4 »"
    );
}

#[test]
fn shp_dbf_truncated() {
    assert_eq!(
        zones_err("shp_dbf_truncated.shp"),
        "tests/bad_inputs/shp_dbf_truncated.dbf : enregistrement 2 : fichier dBase tronqué : 3 enregistrement(s) annoncé(s), 1 complet(s)"
    );
}

#[test]
fn shp_that_is_a_geojson() {
    assert_eq!(
        zones_err("shp_is_geojson.shp"),
        "tests/bad_inputs/shp_is_geojson.shp : en-tête de shapefile invalide (code de fichier 2064261154 au lieu de 9994 : ce fichier n'est pas un .shp)"
    );
}

#[test]
fn shp_negative_point_count() {
    assert_eq!(
        zones_err("shp_negative_point_count.shp"),
        "tests/bad_inputs/shp_negative_point_count.shp : enregistrement 2 : forme illisible (taille d'enregistrement incohérente ou invalide)"
    );
}

// ------------------------------------------------------------------------------- Zips

#[test]
fn zip_without_shp() {
    assert_eq!(
        zones_err("zip_no_shp.zip"),
        "tests/bad_inputs/zip_no_shp.zip : l'archive zip ne contient aucun fichier .shp"
    );
}

#[test]
fn zip_with_two_layers_asks_for_layer() {
    assert_eq!(
        zones_err("zip_two_layers.zip"),
        "tests/bad_inputs/zip_two_layers.zip : l'archive contient plusieurs couches (COMMUNE, EPCI) : choisissez-en une (--layer)"
    );
    let one = load_zones(
        &fixture("zip_two_layers.zip"),
        &ZoneOptions {
            layer: Some("epci".to_owned()),
            ..ZoneOptions::default()
        },
    )
    .expect("--layer EPCI picks one shapefile of the archive");
    assert_eq!(one.len(), 3);
    let missing = load_zones(
        &fixture("zip_two_layers.zip"),
        &ZoneOptions {
            layer: Some("REGION".to_owned()),
            ..ZoneOptions::default()
        },
    );
    assert_eq!(
        message("zip_two_layers.zip", missing),
        "tests/bad_inputs/zip_two_layers.zip : couche « REGION » absente de l'archive (couches : COMMUNE, EPCI)"
    );
}

#[test]
fn zip_that_is_not_a_zip() {
    assert_eq!(
        zones_err("zip_not_a_zip.zip"),
        "tests/bad_inputs/zip_not_a_zip.zip : le fichier porte l'extension .zip mais contient une page HTML, pas une archive zip (téléchargement expiré ou interrompu ?)"
    );
}

// ------------------------------------------------------------------------------- GeoJSON

#[test]
fn geojson_empty() {
    assert_eq!(
        zones_err("gj_empty.geojson"),
        "tests/bad_inputs/gj_empty.geojson : le fichier est vide"
    );
}

#[test]
fn geojson_truncated() {
    assert_eq!(
        zones_err("gj_truncated.geojson"),
        "tests/bad_inputs/gj_truncated.geojson : ligne 50, caractère 8 : JSON invalide (fin de fichier inattendue : fichier tronqué ?)"
    );
}

#[test]
fn json_that_is_not_geojson() {
    assert_eq!(
        zones_err("gj_not_geojson.json"),
        "tests/bad_inputs/gj_not_geojson.json : ce JSON n'est pas du GeoJSON (membre « type » absent)"
    );
}

#[test]
fn geojson_points_loaded_as_zones() {
    assert_eq!(
        zones_err("gj_points_as_zones.geojson"),
        "tests/bad_inputs/gj_points_as_zones.geojson : entité 1 : géométrie de type Point : ce fichier ne contient pas des zones (polygones) ; importez-le comme couche de points"
    );
}

#[test]
fn geojson_polygons_loaded_as_points() {
    assert_eq!(
        points_err("pts_geojson_polygons.geojson"),
        "tests/bad_inputs/pts_geojson_polygons.geojson : entité 1 : géométrie de type polygone : ce fichier contient des zones, pas des points"
    );
}

#[test]
fn geojson_lambert93_without_crs_member() {
    assert_eq!(
        zones_err("gj_lambert93_no_crs.geojson"),
        "tests/bad_inputs/gj_lambert93_no_crs.geojson : système de coordonnées non reconnu : aucun membre « crs » et coordonnées hors des bornes longitude/latitude (x de 620000 à 631000, y de 6800000 à 6801000) ; elles ressemblent à du Lambert-93 : précisez --crs EPSG:2154"
    );
}

#[test]
fn geojson_unknown_crs_code() {
    assert_eq!(
        zones_err("gj_unknown_crs.geojson"),
        "tests/bad_inputs/gj_unknown_crs.geojson : système de coordonnées non reconnu : membre « crs » : code EPSG 99999 inconnu de CartoSol"
    );
}

#[test]
fn geojson_non_numeric_position() {
    assert_eq!(
        zones_err("gj_non_numeric_position.geojson"),
        "tests/bad_inputs/gj_non_numeric_position.geojson : entité 2 : position invalide [\"2,21\",48.51] (attendu [x, y] numériques)"
    );
}

#[test]
fn geojson_swapped_lon_lat() {
    assert_eq!(
        zones_err("gj_swapped_lonlat.geojson"),
        "tests/bad_inputs/gj_swapped_lonlat.geojson : longitude et latitude semblent inversées (les longitudes valent entre 41 et 51, comme des latitudes françaises) : GeoJSON attend [longitude, latitude]"
    );
}

// ------------------------------------------------------------------------------- GeoPackage

#[test]
fn gpkg_that_is_text() {
    assert_eq!(
        zones_err("gpkg_is_text.gpkg"),
        "tests/bad_inputs/gpkg_is_text.gpkg : ce fichier n'est pas un GeoPackage (base SQLite illisible)"
    );
}

#[test]
fn gpkg_sqlite_without_gpkg_contents() {
    assert_eq!(
        zones_err("gpkg_no_contents.gpkg"),
        "tests/bad_inputs/gpkg_no_contents.gpkg : ce fichier SQLite n'est pas un GeoPackage (table gpkg_contents absente)"
    );
}

#[test]
fn gpkg_two_layers_asks_for_layer() {
    assert_eq!(
        zones_err("gpkg_two_layers.gpkg"),
        "tests/bad_inputs/gpkg_two_layers.gpkg : le GeoPackage contient plusieurs couches (commune, epci) : choisissez-en une (--layer)"
    );
    let communes = load_zones(
        &fixture("gpkg_two_layers.gpkg"),
        &ZoneOptions {
            layer: Some("commune".to_owned()),
            ..ZoneOptions::default()
        },
    )
    .expect("--layer commune reads the minimal GeoPackage");
    assert_eq!(communes.len(), 3);
    let missing = load_zones(
        &fixture("gpkg_two_layers.gpkg"),
        &ZoneOptions {
            layer: Some("region".to_owned()),
            ..ZoneOptions::default()
        },
    );
    assert_eq!(
        message("gpkg_two_layers.gpkg", missing),
        "tests/bad_inputs/gpkg_two_layers.gpkg : couche « region » absente (couches : commune, epci)"
    );
}

#[test]
fn gpkg_geometry_blob_without_gp_header() {
    assert_eq!(
        zones_err("gpkg_bad_blob.gpkg"),
        "tests/bad_inputs/gpkg_bad_blob.gpkg : entité 2 : blob de géométrie sans en-tête GeoPackage (« GP »)"
    );
}

// ------------------------------------------------------------------------------- Tables

#[test]
fn xlsx_that_is_a_csv() {
    assert_eq!(
        table_err("xlsx_is_csv.xlsx"),
        "tests/bad_inputs/xlsx_is_csv.xlsx : le fichier porte l'extension .xlsx mais contient du texte (probablement un CSV), pas un classeur : renommez-le en .csv pour l'importer"
    );
}

#[test]
fn xlsx_that_is_an_html_page() {
    assert_eq!(
        table_err("xlsx_is_html.xlsx"),
        "tests/bad_inputs/xlsx_is_html.xlsx : le fichier porte l'extension .xlsx mais contient une page HTML, pas un classeur (téléchargement expiré ou interrompu ?) : ouvrez-le dans un tableur et enregistrez-le au format .xlsx"
    );
}

#[test]
fn csv_empty() {
    assert_eq!(
        table_err("csv_empty.csv"),
        "tests/bad_inputs/csv_empty.csv : le fichier est vide"
    );
}

#[test]
fn csv_only_blank_lines() {
    assert_eq!(
        table_err("csv_blank_lines.csv"),
        "tests/bad_inputs/csv_blank_lines.csv : aucune ligne de données : le tableau est vide"
    );
}

#[test]
fn csv_row_with_more_values_than_header() {
    assert_eq!(
        table_err("csv_extra_values.csv"),
        "tests/bad_inputs/csv_extra_values.csv : ligne 3 : 4 valeurs alors que l'en-tête (ligne 1) compte 3 colonnes"
    );
}

#[test]
fn csv_row_with_fewer_values_than_header() {
    assert_eq!(
        table_err("csv_missing_values.csv"),
        "tests/bad_inputs/csv_missing_values.csv : ligne 3 : 2 valeurs alors que l'en-tête (ligne 1) compte 3 colonnes"
    );
}

#[test]
fn csv_with_nul_bytes() {
    assert_eq!(
        table_err("csv_nul_bytes.csv"),
        "tests/bad_inputs/csv_nul_bytes.csv : le fichier contient des octets nuls : ce n'est pas un fichier texte (CSV)"
    );
}

#[test]
fn csv_unclosed_quote() {
    assert_eq!(
        table_err("csv_unclosed_quote.csv"),
        "tests/bad_inputs/csv_unclosed_quote.csv : ligne 2 : guillemet « \" » ouvert et jamais fermé : la suite du fichier est lue comme une seule valeur"
    );
}

#[test]
fn header_row_beyond_the_end() {
    let result = load_table(
        &fixture("join_lost_zeros.csv"),
        &TableOptions {
            header_row: Some(99),
            ..TableOptions::default()
        },
    );
    assert_eq!(
        message("join_lost_zeros.csv", result),
        "tests/bad_inputs/join_lost_zeros.csv : la ligne d'en-tête 99 n'existe pas"
    );
}

#[test]
fn sheet_that_does_not_exist() {
    let path = Path::new("sample_data/panorama_pauvrete_essonne_FICTIF.xlsx");
    let result = load_table(
        path,
        &TableOptions {
            sheet: Some("COM_2099".to_owned()),
            ..TableOptions::default()
        },
    );
    assert_eq!(
        message("panorama_pauvrete_essonne_FICTIF.xlsx", result),
        "sample_data/panorama_pauvrete_essonne_FICTIF.xlsx : feuille « COM_2099 » introuvable (feuilles : « EPCI », « COM », « Définitions »)"
    );
}

// ------------------------------------------------------------------------------- Points

#[test]
fn points_swapped_lat_lon() {
    assert_eq!(
        points_err("pts_swapped_lonlat.csv"),
        "tests/bad_inputs/pts_swapped_lonlat.csv : longitude et latitude semblent inversées : « longitude » vaut entre 48.3128 et 48.5903, comme des latitudes françaises (précisez --x et --y)"
    );
}

#[test]
fn points_projected_values_in_longitude_column() {
    assert_eq!(
        points_err("pts_projected_in_lon.csv"),
        "tests/bad_inputs/pts_projected_in_lon.csv : ligne 2 : longitude 652000 / latitude 6831000 hors bornes : les coordonnées sont-elles projetées (Lambert-93) ?"
    );
}

#[test]
fn points_without_coordinate_columns() {
    assert_eq!(
        points_err("pts_no_coordinates.csv"),
        "tests/bad_inputs/pts_no_coordinates.csv : colonnes de coordonnées introuvables (attendu longitude/latitude ou x/y ; colonnes présentes : « nom », « adresse », « code_insee ») : précisez-les (--x, --y)"
    );
}

#[test]
fn points_named_coordinate_column_missing() {
    let result = load_points(
        &fixture("pts_no_coordinates.csv"),
        &PointOptions {
            x_field: Some("X_L93".to_owned()),
            y_field: Some("Y_L93".to_owned()),
            ..PointOptions::default()
        },
    );
    assert_eq!(
        message("pts_no_coordinates.csv", result),
        "tests/bad_inputs/pts_no_coordinates.csv : champ « X_L93 » introuvable (champs présents : « nom », « adresse », « code_insee »)"
    );
}

#[test]
fn points_non_numeric_coordinate() {
    assert_eq!(
        points_err("pts_non_numeric.csv"),
        "tests/bad_inputs/pts_non_numeric.csv : ligne 3, colonne « longitude » : coordonnée non numérique « abc »"
    );
}

// ------------------------------------------------------------------------------- Joins

fn join_zones() -> cartosol::ZoneLayer {
    load_zones(&fixture("join_zones.geojson"), &ZoneOptions::default())
        .expect("join_zones.geojson is valid")
}

fn join_table(name: &str) -> cartosol::Table {
    load_table(&fixture(name), &TableOptions::default())
        .expect("join tables are valid CSV")
        .table
}

#[test]
fn join_with_duplicated_codes_lists_them() {
    let zones = join_zones();
    let result = join(
        &zones.attributes,
        None,
        &join_table("join_duplicate_codes.csv"),
        None,
        None,
    )
    .expect("duplicates do not stop the join");
    assert_eq!(
        result.report.to_string(),
        "Jointure par code commune INSEE : zones « INSEE_COM » ↔ table « CODGEO »\n\
         \x20 Zones appariées : 4 sur 5 ; lignes de la table : 6\n\
         \x20 Codes en double dans la table (1) — zones laissées sans valeur :\n\
         \x20   - 91021 (lignes 6, 7)\n"
    );
    assert_eq!(
        result.report.duplicate_rows,
        vec![("91021".to_owned(), vec![6, 7])]
    );
    let tp60 = result
        .columns
        .iter()
        .find(|c| c.name == "TP60")
        .expect("TP60 joined");
    assert_eq!(
        tp60.values.get(4).unwrap(),
        Value::Missing(Missing::DuplicateKey)
    );
    assert_eq!(tp60.values.get(3).unwrap(), Value::Number(10.1));
}

#[test]
fn join_epci_sirens_to_communes_warns() {
    let zones = join_zones();
    let result = join(
        &zones.attributes,
        None,
        &join_table("join_epci_codes.csv"),
        None,
        None,
    )
    .expect("a level mismatch is reported, not fatal");
    assert_eq!(
        result.report.to_string(),
        "Jointure par code commune INSEE : zones « INSEE_COM » ↔ table « CODGEO »\n\
         \x20 Zones appariées : 0 sur 5 ; lignes de la table : 2\n\
         \x20 ATTENTION : les codes des zones (« INSEE_COM ») ressemblent à des codes commune INSEE, ceux de la table (« CODGEO ») à des SIREN d'EPCI : vérifiez que la table est du bon niveau géographique\n\
         \x20 Zones sans ligne dans la table (5) :\n\
         \x20   - 01001 (entité 1) L'Abergement-Clémenciat\n\
         \x20   - 01002 (entité 2) L'Abergement-de-Varey\n\
         \x20   - 91001 (entité 3) Abbéville-la-Rivière\n\
         \x20   - 91016 (entité 4) Angerville\n\
         \x20   - 91021 (entité 5) Arpajon\n\
         \x20 Codes de la table non reconnus comme codes commune INSEE (2) :\n\
         \x20   - 200056232 (ligne 2) CA Cœur d'Essonne Agglomération\n\
         \x20   - 249100074 (ligne 3) CC du Dourdannais en Hurepoix\n"
    );
    assert_eq!(result.report.matched, 0);
}

#[test]
fn join_restores_lost_leading_zeros() {
    let zones = join_zones();
    let result = join(
        &zones.attributes,
        None,
        &join_table("join_lost_zeros.csv"),
        None,
        None,
    )
    .expect("lost zeros are fixed");
    assert_eq!(
        result.report.to_string(),
        "Jointure par code commune INSEE : zones « INSEE_COM » ↔ table « CODGEO »\n\
         \x20 Zones appariées : 5 sur 5 ; lignes de la table : 5\n\
         \x20 Normalisations des codes :\n\
         \x20   - zéro initial restauré : 2 code(s), ex. 1001 → 01001\n\
         \x20 Jointure complète : chaque zone a sa ligne, chaque ligne sa zone.\n"
    );
    let tp60 = result
        .columns
        .iter()
        .find(|c| c.name == "TP60")
        .expect("TP60 joined");
    assert_eq!(tp60.values.get(0).unwrap(), Value::Number(8.0));
}

#[test]
fn join_with_missing_table_field() {
    let zones = join_zones();
    let err = join(
        &zones.attributes,
        None,
        &join_table("join_duplicate_codes.csv"),
        Some("CODE_COMMUNE"),
        None,
    )
    .expect_err("an unknown field must stop the join");
    assert_eq!(
        err.to_string(),
        "champ « CODE_COMMUNE » absent de la table (champs présents : « CODGEO », « LIBGEO », « TP60 »)"
    );
}

// ------------------------------------------------------------------------------- Project files

#[test]
fn project_invalid_json() {
    assert_eq!(
        message(
            "project_invalid.cartosol.json",
            ProjectFile::read(&fixture("project_invalid.cartosol.json"))
        ),
        "tests/bad_inputs/project_invalid.cartosol.json : ligne 5, caractère 23 : fichier de projet invalide (virgule en trop)"
    );
}

#[test]
fn project_from_a_future_version() {
    let expected = "tests/bad_inputs/project_future.cartosol.json : projet au format 99 : cette version de CartoSol lit jusqu'au format 1";
    assert_eq!(
        message(
            "project_future.cartosol.json",
            ProjectFile::read(&fixture("project_future.cartosol.json"))
        ),
        expected
    );
    assert_eq!(
        message(
            "project_future.cartosol.json",
            open_project(&fixture("project_future.cartosol.json"))
        ),
        expected
    );
}

// ------------------------------------------------------------------------------- Command line

fn cartosol(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cartosol"))
        .args(args)
        .output()
        .expect("the cartosol binary runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_cli_error(args: &[&str], message: &str) {
    let (code, stdout, stderr) = cartosol(args);
    assert_ne!(code, Some(0), "cartosol {args:?} must fail");
    assert!(
        code.is_some(),
        "cartosol {args:?} was killed by a signal (panic abort?)"
    );
    assert_eq!(
        stderr,
        format!("erreur : {message}\n"),
        "stderr of cartosol {args:?}"
    );
    assert_eq!(stdout, "", "stdout of cartosol {args:?}");
}

#[test]
fn cli_inspect_truncated_shapefile() {
    assert_cli_error(
        &["inspect", "tests/bad_inputs/shp_truncated.shp"],
        "tests/bad_inputs/shp_truncated.shp : enregistrement 2 : forme tronquée : le fichier .shp s'arrête avant la fin de l'enregistrement",
    );
}

#[test]
fn cli_inspect_xlsx_that_is_a_csv() {
    assert_cli_error(
        &["inspect", "tests/bad_inputs/xlsx_is_csv.xlsx"],
        "tests/bad_inputs/xlsx_is_csv.xlsx : le fichier porte l'extension .xlsx mais contient du texte (probablement un CSV), pas un classeur : renommez-le en .csv pour l'importer",
    );
}

#[test]
fn cli_inspect_zip_with_two_layers() {
    assert_cli_error(
        &["inspect", "tests/bad_inputs/zip_two_layers.zip"],
        "tests/bad_inputs/zip_two_layers.zip : l'archive contient plusieurs couches (COMMUNE, EPCI) : choisissez-en une (--layer)",
    );
}

#[test]
fn cli_join_with_missing_field() {
    assert_cli_error(
        &[
            "join",
            "tests/bad_inputs/join_zones.geojson",
            "tests/bad_inputs/join_duplicate_codes.csv",
            "--table-code",
            "CODE_COMMUNE",
        ],
        "tests/bad_inputs/join_zones.geojson ↔ tests/bad_inputs/join_duplicate_codes.csv : champ « CODE_COMMUNE » absent de la table (champs présents : « CODGEO », « LIBGEO », « TP60 »)",
    );
}

#[test]
fn cli_open_project_from_the_future() {
    // `--summary`: the headless path (the app shows the same message in a dialog).
    assert_cli_error(
        &["--summary", "tests/bad_inputs/project_future.cartosol.json"],
        "tests/bad_inputs/project_future.cartosol.json : projet au format 99 : cette version de CartoSol lit jusqu'au format 1",
    );
}

// ------------------------------------------------------------------------------- No panic

#[test]
fn at_least_30_fixtures_each_under_20_kb() {
    let mut count = 0;
    for entry in std::fs::read_dir(DIR).expect("tests/bad_inputs exists") {
        let entry = entry.expect("readable entry");
        let len = entry.metadata().expect("metadata").len();
        assert!(len < 20 * 1024, "{} is {len} bytes", entry.path().display());
        count += 1;
    }
    assert!(count >= 30, "only {count} fixtures");
}

#[test]
fn no_loader_panics_on_any_bad_input() {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(DIR)
        .expect("tests/bad_inputs exists")
        .map(|e| fixture(&e.expect("readable entry").file_name().to_string_lossy()))
        .collect();
    paths.sort();
    let mut panics = Vec::new();
    for path in &paths {
        let calls: [(&str, &dyn Fn()); 4] = [
            ("load_zones", &|| {
                drop(load_zones(path, &ZoneOptions::default()))
            }),
            ("load_points", &|| {
                drop(load_points(path, &PointOptions::default()))
            }),
            ("load_table", &|| {
                drop(load_table(path, &TableOptions::default()))
            }),
            ("inspect", &|| {
                drop(inspect(path, &InspectOptions::default()))
            }),
        ];
        for (name, call) in calls {
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(call)).is_err() {
                panics.push(format!("{name}({})", path.display()));
            }
        }
    }
    assert!(panics.is_empty(), "panics: {panics:?}");
}

/// Regression (issue 11): a header holding a column name longer than 65,535 characters made
/// `inspect` panic in its field listing (« Formatting argument out of range »), and so did a
/// 50 MB line without separator. Both are now read, listed with the name cut, and reported as
/// a malformed header — the same problems `join` sees through the table's source.
#[test]
fn a_huge_column_name_is_a_reported_malformed_header_not_a_panic() {
    let dir = std::env::temp_dir().join(format!("cartosol-long-header-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let long = dir.join("entete_longue.csv");
    std::fs::write(&long, format!("CODGEO;{}\n91001;1\n", "A".repeat(70_000))).unwrap();
    let text = inspect(&long, &InspectOptions::default()).unwrap();
    assert!(text.contains("… (70000 caractères)"), "{text}");
    assert!(
        text.contains("colonne 2 : nom de 70000 caractères — en-tête probablement mal formé"),
        "{text}"
    );
    let loaded = load_table(&long, &TableOptions::default()).unwrap();
    assert!(
        loaded
            .source
            .problems
            .iter()
            .any(|p| p.message.contains("en-tête probablement mal formé"))
    );
    let line = dir.join("une_ligne.csv");
    std::fs::write(&line, "A".repeat(50_000_000)).unwrap();
    let text = inspect(&line, &InspectOptions::default()).unwrap();
    assert!(
        text.contains("aucune ligne de données sous l'en-tête"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Regression (issue 11 #3): `coverage --zones z.geojson … --out z.geojson` replaced the zones
/// file. No command writes over one of its inputs: refused with exit code 1, file untouched.
#[test]
fn no_command_writes_over_one_of_its_inputs() {
    let dir = std::env::temp_dir().join(format!("cartosol-overwrite-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let zones = dir.join("z.geojson");
    std::fs::copy("sample_data/essonne/communes.geojson", &zones).unwrap();
    let before = std::fs::read(&zones).unwrap();
    let bin = env!("CARGO_BIN_EXE_cartosol");
    let runs: Vec<Vec<String>> = vec![
        vec![
            "coverage".into(),
            "--zones".into(),
            zones.display().to_string(),
            "--points".into(),
            "sample_data/services_essonne_FICTIF.csv".into(),
            "--population-field".into(),
            "POPULATION".into(),
            "--out".into(),
            zones.display().to_string(),
        ],
        vec![
            "export".into(),
            "sample_data/essonne.cartosol.json".into(),
            "--layer".into(),
            "communes".into(),
            "--out".into(),
            "sample_data/./essonne/communes.geojson".into(),
        ],
        vec![
            "lisa".into(),
            "--project".into(),
            "sample_data/essonne.cartosol.json".into(),
            "--field".into(),
            "TP60".into(),
            "--out".into(),
            "sample_data/panorama_pauvrete_essonne_FICTIF.xlsx".into(),
        ],
    ];
    let sample_before = std::fs::read("sample_data/essonne/communes.geojson").unwrap();
    for args in runs {
        let out = Command::new(bin).args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?} : {stderr}");
        assert!(
            stderr.contains("la commande n'écrit jamais sur ses entrées"),
            "{args:?} : {stderr}"
        );
    }
    assert_eq!(std::fs::read(&zones).unwrap(), before);
    assert_eq!(
        std::fs::read("sample_data/essonne/communes.geojson").unwrap(),
        sample_before
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Regression (issue 11 #5): a project with `"classes": 1000000` was accepted by `--summary`
/// and `export`, and `render` printed the error twice without its place. The project is checked
/// once at opening; every command says the same thing, once, with the key at fault.
#[test]
fn an_out_of_range_project_value_is_refused_at_opening_with_its_key() {
    let dir = std::env::temp_dir().join(format!("cartosol-classes-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("essonne")).unwrap();
    for e in std::fs::read_dir("sample_data").unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), dir.join(e.file_name())).unwrap();
        }
    }
    for e in std::fs::read_dir("sample_data/essonne").unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.join("essonne").join(e.file_name())).unwrap();
    }
    let project = dir.join("essonne.cartosol.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&project).unwrap()).unwrap();
    json["map"]["classification"] =
        serde_json::json!({"method": "quantiles", "classes": 1_000_000, "palette": "Oranges"});
    std::fs::write(&project, serde_json::to_string(&json).unwrap()).unwrap();
    let expected = "essonne.cartosol.json : clé « map.classification.classes » : 1000000 \
                    classes : choisir entre 3 et 9";
    let bin = env!("CARGO_BIN_EXE_cartosol");
    let p = project.display().to_string();
    let out_png = dir.join("x.png").display().to_string();
    let out_csv = dir.join("x.csv").display().to_string();
    for args in [
        vec!["--summary", p.as_str()],
        vec!["render", p.as_str(), "--out", out_png.as_str()],
        vec![
            "export",
            p.as_str(),
            "--layer",
            "epci",
            "--out",
            out_csv.as_str(),
        ],
    ] {
        let out = Command::new(bin).args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(stderr.contains(expected), "{args:?} : {stderr}");
        assert_eq!(
            stderr.matches("choisir entre 3 et 9").count(),
            1,
            "{stderr}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Regression (issue 11 #4): service points at (0, 0) or with longitude and latitude swapped on
/// some rows were counted « hors des zones » with « Problèmes : aucun ». They are now listed
/// with their line at load (inspect, app, coverage alike) and left without position (counted by
/// their commune code), never placed silently in the Gulf of Guinea or the Indian Ocean.
#[test]
fn null_island_and_swapped_rows_are_listed_and_taken_off_the_map() {
    let dir = std::env::temp_dir().join(format!("cartosol-swapped-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string("sample_data/services_essonne_FICTIF.csv").unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let header: Vec<&str> = lines[0].split(';').collect();
    let (lon_i, lat_i) = (
        header.iter().position(|h| *h == "longitude").unwrap(),
        header.iter().position(|h| *h == "latitude").unwrap(),
    );
    // Line 3: longitude and latitude swapped; line 5: (0, 0).
    let edit = |line: &str, f: &dyn Fn(&mut Vec<String>)| -> String {
        let mut cells: Vec<String> = line.split(';').map(str::to_owned).collect();
        f(&mut cells);
        cells.join(";")
    };
    let cells: Vec<&str> = lines[2].split(';').collect();
    assert_eq!(cells.len(), header.len(), "ligne 3 découpée proprement");
    lines[2] = edit(&lines[2], &|c| c.swap(lon_i, lat_i));
    lines[4] = edit(&lines[4], &|c| {
        c[lon_i] = "0".into();
        c[lat_i] = "0".into();
    });
    let path = dir.join("services.csv");
    std::fs::write(&path, lines.join("\n")).unwrap();
    let layer = load_points(&path, &PointOptions::default()).unwrap();
    assert!(layer.positions[1].is_none(), "ligne 3 sans position");
    assert!(layer.positions[3].is_none(), "ligne 5 sans position");
    let text = inspect(&path, &InspectOptions::default()).unwrap();
    assert!(
        text.contains("ligne 3 : longitude et latitude vraisemblablement inversées"),
        "{text}"
    );
    assert!(
        text.contains("ligne 5 : coordonnées (0, 0), signe d'un géocodage manqué"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Regression (issue 11 #4): coordinates in degrees beside a declared Lambert-93 collapsed the
/// 194 communes near longitude −1.36, latitude −5.98 (Gulf of Guinea) and the join was
/// complete. The declared CRS is now checked against the coordinates, the fix suggested; with
/// that fix (`--crs EPSG:4326`) the file loads.
#[test]
fn degrees_declared_as_lambert93_are_refused_with_the_fix() {
    let dir = std::env::temp_dir().join(format!("cartosol-l93-deg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string("sample_data/essonne/communes.geojson").unwrap(),
    )
    .unwrap();
    json["crs"] = serde_json::json!({"type": "name",
        "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}});
    let path = dir.join("communes.geojson");
    std::fs::write(&path, serde_json::to_string(&json).unwrap()).unwrap();
    let e = load_zones(&path, &ZoneOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("les 194 zones tiennent dans un rectangle de 0,5 m sur 0,3 m (autour de longitude -1,36, latitude -5,98)"),
        "{e}"
    );
    assert!(e.contains("précisez --crs EPSG:4326"), "{e}");
    let fixed = load_zones(
        &path,
        &ZoneOptions {
            crs: Some(cartosol::crs::Crs::wgs84()),
            ..ZoneOptions::default()
        },
    )
    .unwrap();
    assert_eq!(fixed.len(), 194);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Regression (issue 11 #4): a UTF-16LE CSV with its byte-order mark was read right but
/// reported as « Windows-1252 ».
#[test]
fn a_utf16_csv_is_reported_as_utf16() {
    let dir = std::env::temp_dir().join(format!("cartosol-utf16-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("utf16.csv");
    let mut bytes = vec![0xFF, 0xFE];
    for u in "CODGEO;LIBGEO;TP60\n91001;Abbéville-la-Rivière;12,5\n".encode_utf16() {
        bytes.extend(u.to_le_bytes());
    }
    std::fs::write(&path, bytes).unwrap();
    let loaded = load_table(&path, &TableOptions::default()).unwrap();
    assert_eq!(
        loaded.source.encoding.as_deref(),
        Some("UTF-16LE (avec BOM)")
    );
    assert_eq!(
        loaded
            .table
            .field("LIBGEO")
            .unwrap()
            .values
            .get(0)
            .unwrap()
            .to_string(),
        "Abbéville-la-Rivière"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Regression (issue 11 #4): GeoJSON polygons with one point, `[[]]` or empty coordinates were
/// dropped silently (« 1 entités / 0 polygone(s) »). They are counted and listed at load.
#[test]
fn degenerate_geojson_polygons_are_listed() {
    let dir = std::env::temp_dir().join(format!("cartosol-degenerate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("zones.geojson");
    std::fs::write(
        &path,
        r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"CODGEO":"91001"},"geometry":{"type":"Polygon","coordinates":[[[2.1,48.5]]]}},
{"type":"Feature","properties":{"CODGEO":"91002"},"geometry":{"type":"Polygon","coordinates":[[]]}},
{"type":"Feature","properties":{"CODGEO":"91003"},"geometry":{"type":"Polygon","coordinates":[]}},
{"type":"Feature","properties":{"CODGEO":"91004"},"geometry":{"type":"Polygon","coordinates":[[[2.1,48.5],[2.2,48.5],[2.2,48.6],[2.1,48.5]]]}}
]}"#,
    )
    .unwrap();
    let layer = load_zones(&path, &ZoneOptions::default()).unwrap();
    assert_eq!(layer.len(), 4);
    let problems: Vec<String> = layer
        .source
        .problems
        .iter()
        .map(|p| p.to_string())
        .collect();
    assert!(
        problems.iter().any(|p| p.contains(
            "3 entité(s) dont la géométrie est vide ou dégénérée (anneau de moins de 4 positions, coordonnées vides) : gardées sans contour (n° 1, 2, 3)"
        )),
        "{problems:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
