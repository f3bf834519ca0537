//! The diagnostic of issue 9, parts 1–3: the indicator dictionary (read from the sample's
//! `Définitions` sheet, kept in the project), poverty profiles (mix, location quotients, ranks,
//! most over-represented profile), aggravating factors (gap to the département, robust z) and
//! sensitive local situations, against hand computations on six zones; the `diagnostic`
//! command's workbook read back with calamine.

use calamine::{Data, DataType, Reader, Xlsx, open_workbook};
use cartosol::aggregate::RatioRule;
use cartosol::analysis::factors::{Factor, factors};
use cartosol::analysis::profiles::profile_mix;
use cartosol::analysis::situations::{FlagRule, sensitive_situations};
use cartosol::dictionary::{Direction, IndicatorDef, IndicatorKind, label_of, read_dictionary};
use cartosol::model::{Field, FieldKind, Table};
use cartosol::project::{ProjectFile, SAMPLE_PROJECT, project_json, save_project};
use cartosol::value::{Missing, Value};
use std::path::{Path, PathBuf};

const SAMPLE_WORKBOOK: &str = "sample_data/panorama_pauvrete_essonne_FICTIF.xlsx";

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "cartosol-diagnostic-profiles-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn number_field(name: &str, values: &[Option<f64>]) -> Field {
    Field {
        name: name.to_owned(),
        kind: FieldKind::Number,
        values: values
            .iter()
            .map(|v| v.map_or(Value::Missing(Missing::Secret), Value::Number))
            .collect(),
    }
}

fn all(values: &[f64]) -> Vec<Option<f64>> {
    values.iter().copied().map(Some).collect()
}

/// Six zones Z1…Z6.
///
/// Profiles MP_A, MP_B, MP_C (poor households):
/// - Z1 10 20 70 (100), Z2 30 30 40 (100), Z3 50 25 25 (100), Z4 18 15 27 (60);
/// - Z5 1000 s 1000: a secret count, left out (its 1000s must not reach the département);
/// - Z6 0 0 0: no poor household, left out.
///
/// Département (Z1–Z4): A 108, B 90, C 162, total 360 → shares 30 %, 25 %, 45 %.
///
/// Factors (POP = 100 for Z1–Z5, 500 for Z6):
/// - TX_CHOMAGE 5 7 8 9 10 30 (need, weighted mean);
/// - PLACES_CRECHE_100 = 100 × NB_PLACES / NB_ENFANTS, places 20 21 22 23 24 5 for 50 children
///   each: 40 42 44 46 48 10 (offer, declared ratio);
/// - PART_X 10 10 11 12 15 12 (need, weighted mean).
fn zones() -> Table {
    let fields = vec![
        Field {
            name: "CODE".into(),
            kind: FieldKind::Text,
            values: (1..=6).map(|i| Value::Text(format!("Z{i}"))).collect(),
        },
        number_field("MP_A", &all(&[10.0, 30.0, 50.0, 18.0, 1000.0, 0.0])),
        number_field(
            "MP_B",
            &[
                Some(20.0),
                Some(30.0),
                Some(25.0),
                Some(15.0),
                None,
                Some(0.0),
            ],
        ),
        number_field("MP_C", &all(&[70.0, 40.0, 25.0, 27.0, 1000.0, 0.0])),
        number_field("POP", &all(&[100.0, 100.0, 100.0, 100.0, 100.0, 500.0])),
        number_field("TX_CHOMAGE", &all(&[5.0, 7.0, 8.0, 9.0, 10.0, 30.0])),
        number_field("NB_PLACES", &all(&[20.0, 21.0, 22.0, 23.0, 24.0, 5.0])),
        number_field("NB_ENFANTS", &all(&[50.0; 6])),
        number_field(
            "PLACES_CRECHE_100",
            &all(&[40.0, 42.0, 44.0, 46.0, 48.0, 10.0]),
        ),
        number_field("PART_X", &all(&[10.0, 10.0, 11.0, 12.0, 15.0, 12.0])),
    ];
    Table {
        fields,
        row_origin: (1..=6).collect(),
    }
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-9, "{a} ≠ {b}");
}

#[test]
fn profile_mix_quotients_ranks_and_top_profiles() {
    let table = zones();
    let mix = profile_mix(&table, &strings(&["MP_A", "MP_B", "MP_C"]), "test").unwrap();
    // Département: sums over Z1–Z4 only.
    assert_eq!(mix.department_counts, vec![108.0, 90.0, 162.0]);
    close(mix.department_shares_pct[0], 30.0);
    close(mix.department_shares_pct[1], 25.0);
    close(mix.department_shares_pct[2], 45.0);
    // Most frequent: C (45 %), then A (30 %), then B (25 %).
    assert_eq!(mix.ranks, vec![2, 3, 1]);
    // Z1: shares 10, 20, 70 → LQ 10/30, 20/25, 70/45; top C.
    let z1 = &mix.zones[0];
    close(z1.shares_pct[0], 10.0);
    close(z1.quotients[0].unwrap(), 1.0 / 3.0);
    close(z1.quotients[1].unwrap(), 0.8);
    close(z1.quotients[2].unwrap(), 70.0 / 45.0);
    assert_eq!(z1.top, Some(2));
    // Z2: LQ 1, 1.2, 40/45 → B. Z3: 50/30, 1, 25/45 → A.
    close(mix.zones[1].quotients[1].unwrap(), 1.2);
    assert_eq!(mix.zones[1].top, Some(1));
    close(mix.zones[2].quotients[0].unwrap(), 50.0 / 30.0);
    assert_eq!(mix.zones[2].top, Some(0));
    // Z4 has the département's mix: every LQ is 1, the tie goes to the first field (A).
    for q in &mix.zones[3].quotients {
        close(q.unwrap(), 1.0);
    }
    assert_eq!(mix.zones[3].top, Some(0));
    // Z5 (secret) and Z6 (no poor household) are left out with the reason, not as 0.
    let z5 = &mix.zones[4];
    assert_eq!(z5.top, None);
    assert!(z5.shares_pct.is_empty());
    assert_eq!(
        z5.left_out.as_deref(),
        Some("effectif manquant : MP_B (secret statistique)")
    );
    assert_eq!(
        mix.zones[5].left_out.as_deref(),
        Some("aucun ménage pauvre dans les profils")
    );
}

fn dictionary() -> Vec<IndicatorDef> {
    vec![
        IndicatorDef::infer(
            "PLACES_CRECHE_100",
            "Places d'accueil collectif du jeune enfant pour 100 enfants de moins de 3 ans",
        ),
        IndicatorDef::infer("TX_CHOMAGE", "Taux de chômage des 15-64 ans (%)"),
    ]
}

fn computed_factors() -> Vec<Factor> {
    let rules = [RatioRule {
        field: "PLACES_CRECHE_100".into(),
        numerator: "NB_PLACES".into(),
        denominator: "NB_ENFANTS".into(),
        scale: 100.0,
    }];
    factors(
        &zones(),
        &strings(&["TX_CHOMAGE", "PLACES_CRECHE_100", "PART_X"]),
        &dictionary(),
        Some("POP"),
        &rules,
        "test",
        None,
    )
    .unwrap()
}

#[test]
fn factor_gaps_and_robust_z_scores() {
    let f = computed_factors();
    // TX_CHOMAGE sorted 5 7 8 9 10 30: median (8 + 9)/2 = 8.5; |x − 8.5| sorted 0.5 0.5 1.5 1.5
    // 3.5 21.5 → MAD 1.5; Q1 = 7 + 0.25 × 1 = 7.25, Q3 = 9 + 0.75 × 1 = 9.75.
    let tx = &f[0];
    assert_eq!(tx.def.direction, Direction::Need);
    close(tx.median, 8.5);
    close(tx.mad, 1.5);
    close(tx.q1, 7.25);
    close(tx.q3, 9.75);
    close(tx.high_fence(), 13.5);
    // z(Z6) = (30 − 8.5) / (1.4826 × 1.5); z(Z1) = (5 − 8.5) / (1.4826 × 1.5).
    close(tx.z[5].unwrap(), 21.5 / (1.4826 * 1.5));
    close(tx.z[0].unwrap(), -3.5 / (1.4826 * 1.5));
    // Département: mean weighted by POP = (5+7+8+9+10) × 100 + 30 × 500 = 18,900 / 1,000.
    close(tx.reference.unwrap(), 18.9);
    assert!(tx.reference_method.contains("moyenne pondérée par POP"));
    close(tx.gaps[0].unwrap(), 5.0 - 18.9);
    close(tx.gaps[5].unwrap(), 30.0 - 18.9);

    // PLACES sorted 10 40 42 44 46 48: median 43; |x − 43| sorted 1 1 3 3 5 33 → MAD 3;
    // an offer indicator: z oriented so that few places = positive.
    let places = &f[1];
    assert_eq!(places.def.direction, Direction::Offer);
    close(places.median, 43.0);
    close(places.mad, 3.0);
    close(places.z[5].unwrap(), 33.0 / (1.4826 * 3.0));
    close(places.z[4].unwrap(), -5.0 / (1.4826 * 3.0));
    // Declared ratio: 100 × (20+21+22+23+24+5) / 300 = 115/3; the gap stays value − département.
    close(places.reference.unwrap(), 100.0 * 115.0 / 300.0);
    assert!(places.reference_method.contains("NB_PLACES / NB_ENFANTS"));
    close(places.gaps[5].unwrap(), 10.0 - 100.0 * 115.0 / 300.0);
    // Q1 = 40 + 0.25 × 2 = 40.5, Q3 = 44 + 0.75 × 2 = 45.5 → low fence 40.5 − 7.5 = 33.
    close(places.low_fence(), 33.0);

    // PART_X sorted 10 10 11 12 12 15: median 11.5; deviations 0.5 0.5 0.5 1.5 1.5 3.5 → MAD 1.
    let x = &f[2];
    close(x.mad, 1.0);
    close(x.z[4].unwrap(), 3.5 / 1.4826);
    // Q1 = 10 + 0.25 × 1 = 10.25, Q3 = 12 + 0.75 × (12 − 12) = 12, high fence
    // 12 + 1.5 × 1.75 = 14.625.
    close(x.q3, 12.0);
    close(x.high_fence(), 14.625);
}

#[test]
fn sensitive_situations_by_box_map_and_by_z() {
    let f = computed_factors();
    // Box map: Z6 is above the TX fence (30 > 13.5) and at or below the places fence (10 ≤ 33);
    // Z5 only above the PART_X fence (15 > 14.625).
    let boxmap = sensitive_situations(&f, 6, FlagRule::BoxMap, 2);
    assert_eq!(boxmap.len(), 1);
    assert_eq!(boxmap[0].row, 5);
    let flagged: Vec<usize> = boxmap[0].flags.iter().map(|fl| fl.factor).collect();
    assert_eq!(flagged, vec![0, 1]);
    assert!(sensitive_situations(&f, 6, FlagRule::BoxMap, 3).is_empty());
    let one = sensitive_situations(&f, 6, FlagRule::BoxMap, 1);
    let rows: Vec<(usize, usize)> = one.iter().map(|s| (s.row, s.flags.len())).collect();
    assert_eq!(rows, vec![(5, 2), (4, 1)]);
    assert_eq!(one[1].flags[0].factor, 2);
    // Robust z ≥ 2: Z5's PART_X z = 3.5 / 1.4826 ≈ 2.36 flags it; Z6 keeps its two flags; with
    // N = 1 the zone with most flags comes first.
    let z = sensitive_situations(&f, 6, FlagRule::RobustZ { threshold: 2.0 }, 1);
    let rows: Vec<(usize, usize)> = z.iter().map(|s| (s.row, s.flags.len())).collect();
    assert_eq!(rows, vec![(5, 2), (4, 1)]);
    // A threshold above 2.36 drops Z5.
    let strict = sensitive_situations(&f, 6, FlagRule::RobustZ { threshold: 2.4 }, 1);
    assert_eq!(strict.len(), 1);
    // What flagged: Z5's PART_X is beyond the fence and z ≥ 2; under the z rule alone the box
    // map is not consulted.
    assert!(z[1].flags[0].by_z && !z[1].flags[0].by_boxmap);
    let either = sensitive_situations(&f, 6, FlagRule::Either { threshold: 2.0 }, 1);
    assert_eq!(either.len(), 2);
    assert!(either[1].flags[0].by_z && either[1].flags[0].by_boxmap);
}

#[test]
fn dictionary_from_the_sample_definitions_sheet() {
    let dict = read_dictionary(Path::new(SAMPLE_WORKBOOK), None).unwrap();
    assert_eq!(dict.len(), 20);
    assert_eq!(label_of(&dict, "TP60"), "Taux de pauvreté au seuil de 60 %");
    assert_eq!(
        label_of(&dict, "MP_LOCATAIRES_SOCIAL"),
        "Ménages pauvres — profil : locataires du parc social"
    );
    assert_eq!(label_of(&dict, "INCONNU"), "INCONNU");
    let tp60 = dict.iter().find(|d| d.code == "TP60").unwrap();
    assert_eq!(tp60.kind, IndicatorKind::Percent);
    assert_eq!(tp60.unit, "%");
    assert_eq!(tp60.numerator.as_deref(), Some("NB_MEN_PAUV"));
    assert_eq!(tp60.denominator.as_deref(), Some("NBMENFISC"));
    let creche = dict.iter().find(|d| d.code == "PLACES_CRECHE_100").unwrap();
    assert_eq!(creche.direction, Direction::Offer);
    assert_eq!(creche.kind, IndicatorKind::Ratio);
    assert_eq!(creche.per, Some(100.0));
    let mp = dict
        .iter()
        .find(|d| d.code == "MP_ACTIFS_BAS_REVENUS")
        .unwrap();
    assert_eq!(mp.kind, IndicatorKind::Count);
    assert_eq!(
        dict.iter()
            .find(|d| d.code == "TX_CHOMAGE")
            .unwrap()
            .direction,
        Direction::Need
    );
}

#[test]
fn dictionary_from_an_insee_like_documentation_sheet() {
    let dir = temp_dir("documentation");
    let path = dir.join("base.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let data = book.add_worksheet();
    data.set_name("COM").unwrap();
    data.write_string(0, 0, "CODGEO").unwrap();
    let doc = book.add_worksheet();
    doc.set_name("Documentation").unwrap();
    doc.write_string(0, 0, "Base comparateur de territoires")
        .unwrap();
    doc.write_string(2, 0, "Code de la variable").unwrap();
    doc.write_string(2, 1, "Libellé de la variable").unwrap();
    doc.write_string(2, 2, "Source").unwrap();
    doc.write_string(3, 0, "P21_POP").unwrap();
    doc.write_string(3, 1, "Population en 2021").unwrap();
    doc.write_string(3, 2, "Insee, RP2021").unwrap();
    doc.write_string(4, 0, "MED21").unwrap();
    doc.write_string(4, 1, "Médiane du niveau vie en 2021")
        .unwrap();
    doc.write_string(4, 2, "Insee, Filosofi").unwrap();
    book.save(&path).unwrap();
    let dict = read_dictionary(&path, None).unwrap();
    assert_eq!(dict.len(), 2);
    assert_eq!(label_of(&dict, "P21_POP"), "Population en 2021");
    assert_eq!(dict[0].source.as_deref(), Some("Insee, RP2021"));
    assert_eq!(dict[1].kind, IndicatorKind::Amount);
    assert_eq!(dict[1].unit, "€");
}

#[test]
fn the_project_keeps_its_dictionary_and_old_projects_still_load() {
    let file = ProjectFile::read(Path::new(SAMPLE_PROJECT)).unwrap();
    assert!(file.dictionary.is_empty());
    assert!(!project_json(&file).unwrap().contains("dictionary"));
    let mut with = file.clone();
    with.dictionary = read_dictionary(Path::new(SAMPLE_WORKBOOK), None).unwrap();
    with.dictionary[0].theme = Some("Axe 1 — accès aux droits".into());
    let dir = temp_dir("roundtrip");
    let path = dir.join("p.cartosol.json");
    let from = Path::new(SAMPLE_PROJECT).parent().unwrap();
    save_project(&with, from, &path).unwrap();
    let back = ProjectFile::read(&path).unwrap();
    assert_eq!(back.dictionary, with.dictionary);
}

fn sheet_rows(book: &mut Xlsx<std::io::BufReader<std::fs::File>>, name: &str) -> Vec<Vec<Data>> {
    let range = book.worksheet_range(name).unwrap();
    range.rows().map(|r| r.to_vec()).collect()
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Float(x) => x.to_string(),
        Data::Int(x) => x.to_string(),
        Data::Empty => String::new(),
        other => format!("{other:?}"),
    }
}

#[test]
fn the_diagnostic_command_writes_one_sheet_per_part() {
    let dir = temp_dir("cli");
    let out = dir.join("diagnostic.xlsx");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_cartosol"))
        .args([
            "diagnostic",
            SAMPLE_PROJECT,
            "--zones-layer",
            "epci",
            "--out",
        ])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let mut book: Xlsx<_> = open_workbook(&out).unwrap();
    assert_eq!(
        book.sheet_names(),
        vec![
            "Dictionnaire",
            "Profils - département",
            "Profils par zone",
            "Profil surreprésenté",
            "Facteurs",
            "Situations sensibles",
            "Règles",
        ]
    );
    // The département ranks, recomputed here from the EPCI sheet of the sample workbook.
    let mut sample: Xlsx<_> = open_workbook(SAMPLE_WORKBOOK).unwrap();
    let epci = sheet_rows(&mut sample, "EPCI");
    let header = epci
        .iter()
        .position(|r| r.first().map(text).as_deref() == Some("CODGEO"))
        .unwrap();
    let names: Vec<String> = epci[header].iter().map(text).collect();
    let mut sums: Vec<(String, f64)> = names
        .iter()
        .enumerate()
        .filter(|(_, n)| n.starts_with("MP_"))
        .map(|(i, n)| {
            let s: f64 = epci[header + 1..]
                .iter()
                .filter_map(|r| r.get(i).and_then(|d| d.as_f64()))
                .sum();
            (n.clone(), s)
        })
        .collect();
    sums.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap());
    let ranks = sheet_rows(&mut book, "Profils - département");
    assert_eq!(text(&ranks[0][0]), "Rang");
    for (i, (code, sum)) in sums.iter().enumerate() {
        let row = &ranks[i + 1];
        assert_eq!(text(&row[0]), (i + 1).to_string());
        assert_eq!(&text(&row[1]), code);
        assert!((row[3].as_f64().unwrap() - sum).abs() < 1e-9);
    }
    // Labels from the dictionary, code kept beside.
    assert_eq!(
        text(&ranks[1][2]),
        "Ménages pauvres — profil : actifs à bas revenus d'activité"
    );
    let factors = sheet_rows(&mut book, "Facteurs");
    let head: Vec<String> = factors[0].iter().map(text).collect();
    assert!(head.contains(&"Score z robuste (positif = plus de besoin)".to_owned()));
    assert!(head.contains(&"Unité".to_owned()));
    let rules = sheet_rows(&mut book, "Règles");
    assert!(rules.iter().any(|r| {
        text(&r[0]).starts_with("Situation locale sensible : zone signalée sur au moins 2")
    }));
}

#[test]
fn box_map_flags_are_the_outlier_classes_of_the_map() {
    use cartosol::analysis::situations::boxmap_outlier;
    use cartosol::style::{ClassMethod, classify};
    // The flag of a need indicator is the upper-outlier class (the 6th) of the box map the map
    // draws; the flag of an offer indicator its lower-outlier class (the 1st).
    for f in computed_factors() {
        let values: Vec<f64> = f.values.iter().map(|v| *v.as_ref().unwrap()).collect();
        let c = classify(&values, ClassMethod::BoxMap, 6, &[]).unwrap();
        close(c.breaks[0], f.low_fence());
        close(c.breaks[4], f.high_fence());
        let outlier_class = if f.def.direction == Direction::Offer {
            0
        } else {
            5
        };
        for v in &values {
            assert_eq!(
                boxmap_outlier(&f, *v),
                c.class_of(*v) == Some(outlier_class),
                "{} = {v}",
                f.field
            );
        }
    }
}

#[test]
fn commune_profiles_never_publish_a_count_under_eleven() {
    let dir = temp_dir("secret");
    let out = dir.join("diagnostic.xlsx");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_cartosol"))
        .args(["diagnostic", SAMPLE_PROJECT, "--out"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    // The communes of the sample with a profile count under 11 (read from the workbook).
    let mut sample: Xlsx<_> = open_workbook(SAMPLE_WORKBOOK).unwrap();
    let com = sheet_rows(&mut sample, "COM");
    let header = com
        .iter()
        .position(|r| r.first().map(text).as_deref() == Some("CODGEO"))
        .unwrap();
    let names: Vec<String> = com[header].iter().map(text).collect();
    let small: Vec<String> = com[header + 1..]
        .iter()
        .filter(|r| {
            names.iter().enumerate().any(|(i, n)| {
                n.starts_with("MP_") && r.get(i).and_then(|d| d.as_f64()).is_some_and(|x| x < 11.0)
            })
        })
        .map(|r| text(&r[0]))
        .collect();
    assert!(!small.is_empty());
    let mut book: Xlsx<_> = open_workbook(&out).unwrap();
    let rows = sheet_rows(&mut book, "Profils par zone");
    let head: Vec<String> = rows[0].iter().map(text).collect();
    let count = head
        .iter()
        .position(|h| h == "Ménages pauvres du profil (ménages)")
        .unwrap();
    let share = head
        .iter()
        .position(|h| h == "Part dans la zone (%)")
        .unwrap();
    let motif = head
        .iter()
        .position(|h| h == "Zone écartée : motif")
        .unwrap();
    let mut seen = 0;
    for r in &rows[1..] {
        if let Some(x) = r[count].as_f64() {
            assert!(x >= 11.0, "effectif {x} publié pour {}", text(&r[0]));
        }
        if small.contains(&text(&r[0])) {
            seen += 1;
            assert!(r[share].as_f64().is_none());
            assert_eq!(
                text(&r[motif]),
                "secret statistique : un effectif de profil est inférieur à 11"
            );
        }
    }
    assert_eq!(seen, 6 * small.len());
}

#[test]
fn the_workbook_writer_masks_small_counts_sheet_by_sheet() {
    use cartosol::export::data::{DataExportOptions, SheetSpec, write_workbook};
    use cartosol::export::secrecy::{SecrecyGuard, ZoneLevel};
    let table = Table {
        fields: vec![
            Field {
                name: "CODE".into(),
                kind: FieldKind::Text,
                values: vec![Value::Text("91001".into()), Value::Text("91016".into())].into(),
            },
            number_field("MP_RETRAITES", &all(&[5.0, 44.0])),
        ],
        row_origin: vec![1, 2],
    };
    let dir = temp_dir("writer");
    let path = dir.join("w.xlsx");
    let guard = SecrecyGuard::default();
    let reports = write_workbook(
        &path,
        &[
            SheetSpec {
                name: "Communes",
                table: &table,
                level: ZoneLevel::Fine,
            },
            SheetSpec {
                name: "EPCI",
                table: &table,
                level: ZoneLevel::Aggregate,
            },
        ],
        &DataExportOptions::default(),
        &guard,
    )
    .unwrap();
    assert_eq!(reports[0].secrecy.total(), 1);
    assert_eq!(reports[1].secrecy.total(), 0);
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    let fine = sheet_rows(&mut book, "Communes");
    assert_eq!(fine[1][1], Data::Empty);
    assert_eq!(fine[2][1].as_f64(), Some(44.0));
    let aggregate = sheet_rows(&mut book, "EPCI");
    assert_eq!(aggregate[1][1].as_f64(), Some(5.0));
}
