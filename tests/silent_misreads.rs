//! Regressions of issue 11 #4: files that were read wrong while `inspect` said « Problèmes :
//! aucun ». Each test builds the hostile file the issue describes and checks what the analyst
//! reads: the error, or the problem listed, never a silent misread.

use cartosol::inspect::{InspectOptions, inspect};
use cartosol::table::{TableOptions, load_table};
use cartosol::zones::{ZoneOptions, load_zones};
use std::io::Read;
use std::path::{Path, PathBuf};

/// A fresh folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cartosol-misread-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn problems_of(source: &cartosol::SourceInfo) -> Vec<String> {
    source.problems.iter().map(ToString::to_string).collect()
}

/// The Essonne ADMIN EXPRESS commune shapefile of the fixtures, unzipped into `dir`.
fn essonne_shapefile(dir: &Path) -> PathBuf {
    let file = std::fs::File::open("tests/data/good/ADECOGC_3-2_SHP_LAMB93_91.zip").unwrap();
    let mut zip = zip::ZipArchive::new(file).unwrap();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let full = entry.name().unwrap().to_string();
        let name = Path::new(&full).file_name().unwrap().to_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    dir.join("COMMUNE.shp")
}

/// A `.dbf` whose header length (bytes 8–9) is off by one byte shifts every value (`1001  `
/// for `91001`): it was read without a word. Now the load and `inspect` refuse it, the same
/// way, saying the file is likely corrupt.
#[test]
fn a_dbf_header_length_off_by_one_is_refused_as_corrupt() {
    for delta in [1i32, -1] {
        let dir = scratch(&format!("dbf{delta}"));
        let shp = essonne_shapefile(&dir);
        let dbf = dir.join("COMMUNE.dbf");
        // The intact file reads, with INSEE codes.
        let good = load_zones(&shp, &ZoneOptions::default()).unwrap();
        assert_eq!(good.len(), 194);
        let mut bytes = std::fs::read(&dbf).unwrap();
        let header = i32::from(u16::from_le_bytes([bytes[8], bytes[9]]));
        let lying = u16::try_from(header + delta).unwrap().to_le_bytes();
        bytes[8] = lying[0];
        bytes[9] = lying[1];
        std::fs::write(&dbf, &bytes).unwrap();
        let error = load_zones(&shp, &ZoneOptions::default())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        let expected = format!(
            "COMMUNE.dbf : enregistrement 1 : fichier .dbf probablement corrompu : \
             l'enregistrement ne commence pas par l'indicateur de suppression (espace ou « * ») ; \
             l'en-tête annonce {} octets alors que la description des champs se termine à \
             l'octet {header} ; toutes les valeurs seraient décalées — réexportez la couche \
             depuis sa source",
            header + delta
        );
        assert!(error.ends_with(&expected), "{error}");
        let inspected = inspect(&shp, &InspectOptions::default())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(inspected, error, "inspect must see what the load sees");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// `inspect` reads code columns as `join` does: values of `CODGEO` that are not commune codes
/// are counted, with examples, and many of them make the file suspect.
#[test]
fn inspect_lists_codes_that_do_not_read_as_codes() {
    let dir = scratch("codes");
    let path = dir.join("codes.csv");
    std::fs::write(
        &path,
        "CODGEO;TP60\n1001X;12,5\n91027;13\n91-027;14\nabcde;15\n",
    )
    .unwrap();
    let report = inspect(&path, &InspectOptions::default()).unwrap();
    assert!(
        report.contains(
            "colonne « CODGEO » : 3 valeur(s) sur 4 ne se lisent pas comme des codes commune \
             INSEE (ex. « 1001X », « 91-027 », « abcde ») : la plupart des codes sont illisibles, \
             le fichier est probablement corrompu ou mal lu (séparateur, encodage, colonne)"
        ),
        "{report}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The issue's 3-line ragged CSV was sniffed as `,`-separated with its header on line 3 and
/// « Problèmes : aucun ». It is read on `;`, header on line 1, and the short row is an error.
#[test]
fn a_ragged_semicolon_csv_is_not_sniffed_as_comma_separated() {
    let dir = scratch("ragged");
    let path = dir.join("ragged.csv");
    std::fs::write(
        &path,
        "CODGEO;TP6020;MED20\n91001;12,5\n91027;13,1;21000;extra;more\n",
    )
    .unwrap();
    let error = load_table(&path, &TableOptions::default())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        error.ends_with(
            "ragged.csv : ligne 2 : 2 valeurs alors que l'en-tête (ligne 1) compte 3 colonnes"
        ),
        "{error}"
    );
    assert_eq!(
        cartosol::table::sniff_delimiter("CODGEO;TP6020;MED20\n91001;12,5\n91027;13,1;21000\n"),
        ';'
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// INSEE tables end with notes under the data. In a CSV the whole import failed on the first
/// note line; they are now skipped, listed with their line (blank lines counted) and kept.
#[test]
fn insee_notes_under_the_data_of_a_csv_are_kept_as_notes() {
    let dir = scratch("notes-csv");
    let path = dir.join("filosofi.csv");
    std::fs::write(
        &path,
        "CODGEO;LIBGEO;TP6020;MED20\n91001;Abbéville-la-Rivière;12,5;21000\n\
         91027;Arpajon;s;23000\n\nSource : Insee, Filosofi 2020\nNote : s = secret statistique\n",
    )
    .unwrap();
    let loaded = load_table(&path, &TableOptions::default()).unwrap();
    assert_eq!(loaded.table.len(), 2);
    assert_eq!(
        loaded.notes,
        vec![
            (5, "Source : Insee, Filosofi 2020".to_owned()),
            (6, "Note : s = secret statistique".to_owned())
        ]
    );
    assert_eq!(
        problems_of(&loaded.source),
        vec![
            "ligne 5 : note sous les données, gardée comme note et non comme donnée : « Source : Insee, Filosofi 2020 »",
            "ligne 6 : note sous les données, gardée comme note et non comme donnée : « Note : s = secret statistique »",
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// In an XLSX the notes became data rows (a commune « Source : Insee… » with empty values).
#[test]
fn insee_notes_under_the_data_of_a_workbook_are_not_data_rows() {
    let dir = scratch("notes-xlsx");
    let path = dir.join("filosofi.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write(0, 0, "Revenus et pauvreté en 2020").unwrap();
    for (c, name) in ["CODGEO", "LIBGEO", "TP6020", "MED20"].iter().enumerate() {
        sheet.write(2, c as u16, *name).unwrap();
    }
    sheet.write(3, 0, "91001").unwrap();
    sheet.write(3, 1, "Abbéville-la-Rivière").unwrap();
    sheet.write(3, 2, 12.5).unwrap();
    sheet.write(3, 3, 21000).unwrap();
    sheet.write(4, 0, "91027").unwrap();
    sheet.write(4, 1, "Arpajon").unwrap();
    sheet.write(4, 2, "s").unwrap();
    sheet.write(4, 3, 23000).unwrap();
    sheet.write(6, 0, "Source : Insee, Filosofi 2020").unwrap();
    sheet.write(7, 0, "Note : s = secret statistique").unwrap();
    book.save(&path).unwrap();
    let loaded = load_table(&path, &TableOptions::default()).unwrap();
    assert_eq!(loaded.header_row, 3);
    assert_eq!(loaded.table.len(), 2);
    let codes: Vec<String> = loaded
        .table
        .field("CODGEO")
        .unwrap()
        .values
        .iter()
        .map(|v| v.to_string())
        .collect();
    assert_eq!(codes, ["91001", "91027"]);
    assert_eq!(
        loaded.notes,
        vec![
            (7, "Source : Insee, Filosofi 2020".to_owned()),
            (8, "Note : s = secret statistique".to_owned())
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn square_feature(code: &str, properties_extra: &str, ring: &str) -> String {
    format!(
        r#"{{"type":"Feature","properties":{{"CODGEO":"{code}"{properties_extra}}},"geometry":{{"type":"Polygon","coordinates":[{ring}]}}}}"#
    )
}

const SQUARE: &str = "[[2.1,48.5],[2.2,48.5],[2.2,48.6],[2.1,48.6],[2.1,48.5]]";

/// A property written twice in a feature: serde_json kept the last value without a word.
#[test]
fn a_geojson_property_written_twice_is_listed() {
    let dir = scratch("dupkeys");
    let path = dir.join("zones.geojson");
    let text = format!(
        r#"{{"type":"FeatureCollection","features":[{},{}]}}"#,
        square_feature("91001", "", SQUARE),
        square_feature("91002", r#","CODGEO":"91003""#, SQUARE),
    );
    std::fs::write(&path, text).unwrap();
    let layer = load_zones(&path, &ZoneOptions::default()).unwrap();
    assert_eq!(
        problems_of(&layer.source),
        vec![
            "entité 2 : clé « CODGEO » écrite deux fois dans la liste des propriétés : seule la \
             dernière valeur est lue — corrigez la source"
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A Latin-1 GeoJSON was read right but reported as UTF-8.
#[test]
fn a_latin1_geojson_is_reported_as_such() {
    let dir = scratch("latin1");
    let path = dir.join("zones.geojson");
    let text = format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        square_feature("91001", r#","NOM":"Évry""#, SQUARE)
    );
    let (latin1, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
    std::fs::write(&path, &latin1).unwrap();
    let layer = load_zones(&path, &ZoneOptions::default()).unwrap();
    assert_eq!(
        layer.source.encoding.as_deref(),
        Some("Windows-1252 (CP1252)")
    );
    assert_eq!(
        layer
            .attributes
            .field("NOM")
            .unwrap()
            .values
            .get(0)
            .unwrap()
            .to_string(),
        "Évry"
    );
    assert_eq!(
        problems_of(&layer.source),
        vec![
            "le fichier n'est pas en UTF-8 comme le veut JSON (RFC 8259, RFC 7946) : lu en \
             Windows-1252 (CP1252) — vérifiez les accents des noms et réenregistrez-le en UTF-8"
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A bowtie (self-crossing ring) and an unclosed ring were accepted silently. Both are listed;
/// the bowtie is repaired only when asked, into its two lobes.
#[test]
fn bowtie_and_unclosed_rings_are_listed_and_repaired_on_request() {
    let dir = scratch("bowtie");
    let path = dir.join("zones.geojson");
    let bowtie = "[[2.1,48.5],[2.2,48.6],[2.2,48.5],[2.1,48.6],[2.1,48.5]]";
    let unclosed = "[[2.3,48.5],[2.4,48.5],[2.4,48.6],[2.3,48.6]]";
    let text = format!(
        r#"{{"type":"FeatureCollection","features":[{},{},{}]}}"#,
        square_feature("91001", "", SQUARE),
        square_feature("91002", "", bowtie),
        square_feature("91003", "", unclosed),
    );
    std::fs::write(&path, text).unwrap();
    let kept = load_zones(&path, &ZoneOptions::default()).unwrap();
    assert_eq!(
        problems_of(&kept.source),
        vec![
            "1 géométrie(s) dont un anneau n'est pas fermé (dernière position différente de la \
             première) : fermé(s) à la lecture (entité 3)",
            "1 entité(s) au contour qui se recoupe (polygone « papillon ») : gardée(s) telle(s) \
             quelle(s), surface et appartenance des points incertaines (n° 2) ; réparez-les avec \
             --reparer-geometries ou l'option « Réparer les géométries » de la couche",
        ]
    );
    assert_eq!(kept.geometries[1].0.len(), 1, "kept as read");
    let repaired = load_zones(
        &path,
        &ZoneOptions {
            repair: true,
            ..ZoneOptions::default()
        },
    )
    .unwrap();
    assert_eq!(repaired.geometries[1].0.len(), 2, "one polygon per lobe");
    assert!(
        problems_of(&repaired.source).iter().any(|p| p
            == "1 entité(s) au contour qui se recoupe (polygone « papillon ») : réparée(s) à la \
                demande, chaque boucle devenant un polygone (n° 2)"),
        "{:?}",
        repaired.source.problems
    );
    // The CLI offers the repair.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cartosol"))
        .args(["inspect", "--reparer-geometries"])
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("réparée(s) à la demande"), "{stdout}");
    assert!(stdout.contains("Géométrie : 4 polygone(s)"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Real data stays clean: the 194 communes of the Essonne (ADMIN EXPRESS) have no crossing and
/// no open ring, so the check does not cry wolf.
#[test]
fn real_essonne_communes_raise_no_geometry_problem() {
    let dir = scratch("essonne-valid");
    let shp = essonne_shapefile(&dir);
    let layer = load_zones(&shp, &ZoneOptions::default()).unwrap();
    assert!(
        layer.source.problems.is_empty(),
        "{:?}",
        layer.source.problems
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Service points outside the territory, or far from the commune they declare, were only
/// counted « hors des zones » by `coverage` (exit 0) and not seen by `inspect`. The same checks
/// now list the rows in `inspect --zones`, in `coverage` and at load in the app (same library
/// function, `QualityReport::problems`).
#[test]
fn points_outside_or_far_from_their_declared_commune_are_listed() {
    let dir = scratch("points-far");
    let path = dir.join("services.csv");
    let sample = std::fs::read_to_string("sample_data/services_essonne_FICTIF.csv").unwrap();
    let mut lines: Vec<String> = sample.lines().map(str::to_owned).collect();
    // Line 2 (Arpajon, 91021) declared at Yerres (91691), about 30 km away; line 3 moved to
    // Notre-Dame de Paris while still declaring Arpajon.
    lines[1] = lines[1].replace(";91290;91021;", ";91290;91691;");
    lines[2] = lines[2].replace("2.242989;48.589383", "2.349902;48.852968");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let communes = "sample_data/essonne/communes.geojson";
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cartosol"))
        .args(["inspect", "--zones", communes])
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let outside = regex_free_find(
        &stdout,
        "  - ligne 3 : point hors de « sample_data/essonne/communes.geojson » (2.34990, 48.85297) \
         alors que sa commune déclarée 91021 en fait partie (à ",
    );
    assert!(
        outside.ends_with(" km) : compté comme service proche mais dans aucune zone"),
        "{stdout}"
    );
    let far = regex_free_find(
        &stdout,
        "  - ligne 2 : point situé dans la commune 91021 à ",
    );
    assert!(
        far.ends_with("km de sa commune déclarée 91691 : position ou code à vérifier"),
        "{stdout}"
    );
    // coverage lists the same rows on stderr.
    let csv_out = dir.join("couverture.csv");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cartosol"))
        .args(["coverage", "--zones", communes, "--points"])
        .arg(&path)
        .arg("--out")
        .arg(&csv_out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("Points à vérifier (2) :"), "{stderr}");
    assert!(
        stderr.contains("  - ligne 3 : point hors de la couche des communes"),
        "{stderr}"
    );
    assert!(
        stderr.contains("  - ligne 2 : point situé dans la commune 91021"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The line of `text` that starts with `start`.
fn regex_free_find<'a>(text: &'a str, start: &str) -> &'a str {
    text.lines().find(|l| l.starts_with(start)).unwrap_or("")
}

/// The « Source : … » note under a table's data is kept as the source of its indicators that
/// the project's dictionary leaves without one (every command reads it, the workbook's
/// « Définitions » sheet included).
#[test]
fn the_source_note_of_a_table_becomes_the_source_of_its_indicators() {
    let dir = scratch("source-note");
    std::fs::copy(
        "sample_data/essonne/communes.geojson",
        dir.join("communes.geojson"),
    )
    .unwrap();
    std::fs::write(
        dir.join("filosofi.csv"),
        "CODGEO;TP6020;MED20\n91001;12,5;21000\n91027;13,1;23000\n\n\
         Source : Insee, Filosofi 2020\nNote : s = secret statistique\n",
    )
    .unwrap();
    let path = dir.join("p.cartosol.json");
    std::fs::write(
        &path,
        r#"{"cartosol":1,"title":"T","zones":[{"id":"communes","name":"Communes","source":"communes.geojson","code_field":"INSEE_COM","name_field":"NOM"}],
"tables":[{"id":"filo","source":"filosofi.csv","code_field":"CODGEO","join_to":"communes"}],
"dictionary":[{"code":"TP6020","label":"Taux de pauvreté"},{"code":"MED20","label":"Revenu médian","source":"Insee, Filosofi 2020 (déclaré)"}],
"map":{"zones":"communes","indicator":"TP6020"}}"#,
    )
    .unwrap();
    let project = cartosol::project::open_project(&path).unwrap();
    let source_of = |code: &str| {
        project
            .file
            .dictionary
            .iter()
            .find(|d| d.code == code)
            .and_then(|d| d.source.clone())
    };
    assert_eq!(source_of("TP6020").as_deref(), Some("Insee, Filosofi 2020"));
    assert_eq!(
        source_of("MED20").as_deref(),
        Some("Insee, Filosofi 2020 (déclaré)"),
        "the project's own entry wins"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// An invalid position holding a huge array is named in a short message (it was printed
/// whole: a 300 kB error line).
#[test]
fn an_invalid_huge_position_gives_a_short_message() {
    let dir = scratch("huge-position");
    let path = dir.join("zones.geojson");
    let huge = vec!["\"x\""; 50_000].join(",");
    std::fs::write(
        &path,
        format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{}},"geometry":{{"type":"Polygon","coordinates":[[[{huge}],[2.1,48.5],[2.2,48.5],[2.1,48.5]]]}}}}]}}"#
        ),
    )
    .unwrap();
    let error = load_zones(&path, &ZoneOptions::default())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(error.contains("position invalide [\"x\",\"x\""), "{error}");
    assert!(
        error.contains("… (200001 caractères) (attendu [x, y] numériques)"),
        "{error}"
    );
    assert!(error.len() < 400, "{} caractères", error.len());
    let _ = std::fs::remove_dir_all(&dir);
}
