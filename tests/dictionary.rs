//! The indicator dictionary completed by hand (issue 9 §1): what the editor stores and how it
//! checks an entry (exact French messages), and the labels where exports are read by a person:
//! the legend title of the exported map (SVG), the « Définitions » sheet of an XLSX export
//! (read back with calamine, independent of the writer) while column names stay codes.

use calamine::{Data, Reader, Xlsx, open_workbook};
use cartosol::dictionary::{
    IndicatorDef, IndicatorKind, Origin, find, label_of, label_with_code, notes, read_dictionary,
    set, validate,
};
use cartosol::export::{
    DataExportOptions, Preset, RenderOptions, compose_project, export_layer, render_svg,
};
use cartosol::project::{MapSpec, Project, SAMPLE_PROJECT, open_project};
use std::path::{Path, PathBuf};

const SAMPLE_WORKBOOK: &str = "sample_data/panorama_pauvrete_essonne_FICTIF.xlsx";

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cartosol-dict-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn fields() -> Vec<String> {
    ["TP60", "NB_MEN_PAUV", "NBMENFISC", "PLACES_CRECHE_100"]
        .map(String::from)
        .to_vec()
}

fn rate() -> IndicatorDef {
    IndicatorDef {
        code: "TP60".into(),
        label: "Taux de pauvreté".into(),
        unit: "%".into(),
        kind: IndicatorKind::Percent,
        numerator: Some("NB_MEN_PAUV".into()),
        denominator: Some("NBMENFISC".into()),
        ..IndicatorDef::default()
    }
}

#[test]
fn a_complete_rate_passes_and_each_fault_has_its_french_message() {
    assert!(validate(&rate(), &fields()).is_empty());
    // Field names are compared without case, as everywhere in the project.
    let lower = IndicatorDef {
        numerator: Some("nb_men_pauv".into()),
        ..rate()
    };
    assert!(validate(&lower, &fields()).is_empty());

    let unknown = IndicatorDef {
        numerator: Some("NB_INCONNU".into()),
        ..rate()
    };
    assert_eq!(
        validate(&unknown, &fields()),
        ["TP60 : le numérateur « NB_INCONNU » n'est pas un champ numérique du projet."]
    );
    let half = IndicatorDef {
        denominator: None,
        ..rate()
    };
    assert_eq!(
        validate(&half, &fields()),
        ["TP60 : un taux avec un numérateur doit aussi avoir un dénominateur."]
    );
    let same = IndicatorDef {
        denominator: Some("NB_MEN_PAUV".into()),
        ..rate()
    };
    assert_eq!(
        validate(&same, &fields()),
        ["TP60 : le numérateur et le dénominateur doivent être deux champs différents."]
    );
    let blank = IndicatorDef {
        label: "  ".into(),
        ..rate()
    };
    assert_eq!(
        validate(&blank, &fields()),
        ["TP60 : le libellé ne peut pas être vide."]
    );
    let ratio = IndicatorDef {
        code: "PLACES_CRECHE_100".into(),
        label: "Places de crèche pour 100 enfants".into(),
        kind: IndicatorKind::Ratio,
        per: None,
        ..IndicatorDef::default()
    };
    assert_eq!(
        validate(&ratio, &fields()),
        [
            "PLACES_CRECHE_100 : un ratio pour N doit dire pour combien (N, un nombre positif : 100, 1 000…)."
        ]
    );
    // A rate shipped without its counts can be stored, with a note.
    let alone = IndicatorDef {
        numerator: None,
        denominator: None,
        ..rate()
    };
    assert!(validate(&alone, &fields()).is_empty());
    assert_eq!(
        notes(&alone),
        [
            "TP60 : taux sans numérateur ni dénominateur (à indiquer si ces champs sont dans les données)."
        ]
    );
}

#[test]
fn an_entry_set_by_hand_replaces_its_code_and_origins_tell_sheet_from_hand() {
    let source = read_dictionary(Path::new(SAMPLE_WORKBOOK), None).unwrap();
    let mut dict = source.clone();
    let count = dict.len();
    assert_eq!(Origin::of(&dict, &source, "TP60"), Origin::Source);
    let mut tp60 = find(&dict, "TP60").unwrap().clone();
    tp60.label = "Pauvreté monétaire".into();
    tp60.code = "tp60".into(); // codes compared without case
    set(&mut dict, tp60);
    assert_eq!(dict.len(), count, "replaced, not added");
    assert_eq!(label_of(&dict, "TP60"), "Pauvreté monétaire");
    assert_eq!(label_with_code(&dict, "TP60"), "Pauvreté monétaire (TP60)");
    assert_eq!(Origin::of(&dict, &source, "TP60"), Origin::SourceEdited);
    set(
        &mut dict,
        IndicatorDef {
            code: "NOUVEAU".into(),
            label: "Indicateur saisi".into(),
            ..IndicatorDef::default()
        },
    );
    assert_eq!(dict.len(), count + 1);
    assert_eq!(Origin::of(&dict, &source, "NOUVEAU"), Origin::Manual);
    assert_eq!(Origin::of(&dict, &source, "ABSENT"), Origin::Inferred);
    // Without a label of its own, a code is shown alone.
    assert_eq!(label_with_code(&dict, "ABSENT"), "ABSENT");
}

/// The sample with its EPCI map of TP60 and a dictionary where TP60 has a label of ours.
fn labelled_sample(label: &str) -> Project {
    let mut project = open_project(Path::new(SAMPLE_PROJECT)).unwrap();
    project.file.map = MapSpec {
        zones: "epci".to_owned(),
        indicator: "TP60".to_owned(),
        ..MapSpec::default()
    };
    project.file.dictionary = read_dictionary(Path::new(SAMPLE_WORKBOOK), None).unwrap();
    let mut tp60 = find(&project.file.dictionary, "TP60").unwrap().clone();
    tp60.label = label.to_owned();
    set(&mut project.file.dictionary, tp60);
    project
}

#[test]
fn the_exported_map_legend_is_titled_with_the_dictionary_label() {
    let label = "Pauvreté monétaire des ménages";
    let project = labelled_sample(label);
    let mut options = RenderOptions::new(Preset::A4Landscape);
    options.date = "Carte réalisée le 01/02/2026 avec CartoSol".into();
    let map = compose_project(&project, &options).unwrap();
    assert_eq!(map.legend.title, label);
    let svg = render_svg(&map);
    assert!(svg.contains(label), "legend title in the SVG");
    // A label the map itself gives wins over the dictionary's.
    let mut own = labelled_sample(label);
    own.file.map.indicator_label = Some("Titre choisi pour cette carte".into());
    let map = compose_project(&own, &options).unwrap();
    assert_eq!(map.legend.title, "Titre choisi pour cette carte");
    // Without a dictionary entry, the code.
    let mut bare = labelled_sample(label);
    bare.file.dictionary.clear();
    assert_eq!(
        compose_project(&bare, &options).unwrap().legend.title,
        "TP60"
    );
}

fn cell(row: &[Data], i: usize) -> String {
    row.get(i).map(|d| d.to_string()).unwrap_or_default()
}

#[test]
fn an_xlsx_export_keeps_codes_as_headers_and_lists_labels_in_a_definitions_sheet() {
    let label = "Pauvreté monétaire des ménages";
    let project = labelled_sample(label);
    let out = temp("xlsx").join("communes.xlsx");
    let report = export_layer(&project, "communes", &out, &DataExportOptions::default()).unwrap();
    let mut book: Xlsx<_> = open_workbook(&out).unwrap();
    let names = book.sheet_names();
    assert_eq!(names, ["communes", "Définitions"]);
    let data = book.worksheet_range("communes").unwrap();
    let header: Vec<String> = data
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|d| d.to_string())
        .collect();
    assert!(
        header.contains(&"TP60".to_owned()),
        "codes stay column names"
    );
    assert!(!header.contains(&label.to_owned()));

    let defs = book.worksheet_range("Définitions").unwrap();
    let rows: Vec<&[Data]> = defs.rows().collect();
    assert_eq!(
        rows[0].iter().map(|d| d.to_string()).collect::<Vec<_>>(),
        [
            "Code",
            "Libellé",
            "Unité",
            "Nature",
            "Numérateur",
            "Dénominateur",
            "Sens",
            "Source",
            "Millésime",
            "Axe du pacte"
        ]
    );
    let tp60 = rows
        .iter()
        .find(|r| cell(r, 0) == "TP60")
        .expect("TP60 listed");
    assert_eq!(cell(tp60, 1), label);
    assert_eq!(cell(tp60, 2), "%");
    assert_eq!(cell(tp60, 3), "taux ou part (%)");
    assert_eq!(cell(tp60, 4), "NB_MEN_PAUV");
    assert_eq!(cell(tp60, 5), "NBMENFISC");
    assert_eq!(cell(tp60, 6), "plus élevé = plus de besoin");
    // One row per exported column the dictionary knows, in the order of the columns.
    let listed: Vec<String> = rows.iter().skip(1).map(|r| cell(r, 0)).collect();
    let known: Vec<String> = header
        .iter()
        .filter(|h| find(&project.file.dictionary, h).is_some())
        .cloned()
        .collect();
    assert_eq!(listed, known);
    // The report names the masked columns by their labels.
    assert_eq!(report.field_label("TP60"), format!("{label} (TP60)"));

    // CSV: codes only, no second header line.
    let csv = temp("csv").join("communes.csv");
    export_layer(&project, "communes", &csv, &DataExportOptions::default()).unwrap();
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().contains("TP60"));
    assert!(!text.contains(label));
}
