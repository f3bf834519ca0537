//! The T0 baseline and its T+3 comparison (issue 9, section 5), on a copy of the sample and
//! its FICTIF T+3 vintage. Expected figures are read from the workbooks with calamine (or from
//! the INSEE-style CSV of the T0 sheet) and computed by hand here, never copied from the
//! code's output. The sample folder is never modified: every test works on a copy.

use calamine::{Data, Reader, Xlsx, open_workbook};
use cartosol::baseline::{
    Merger, SourceChange, check_sources, compare, fingerprint, freeze, year_in_name,
};
use cartosol::project::{ProjectFile, open_project, save_project};
use cartosol::table::{TableOptions, load_table};
use cartosol::value::{Missing, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data")
}

/// A fresh copy of `sample_data/` in the temporary folder, unique to this test.
fn sample_copy(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cartosol-t0-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&sample(), &dir);
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// 29 March 2026 at 22:30 UTC: already 30 March in Paris (summer time, UTC+2).
fn frozen_instant() -> jiff::Timestamp {
    "2026-03-29T22:30:00Z".parse().unwrap()
}

/// The cell of column `column` on the row whose `CODGEO` is `code`, in sheet `sheet` of
/// `book` (header on row 6, as in the sample workbooks).
fn cell(book: &Path, sheet: &str, code: &str, column: &str) -> f64 {
    let mut wb: Xlsx<_> = open_workbook(book).unwrap();
    let range = wb.worksheet_range(sheet).unwrap();
    let rows: Vec<&[Data]> = range.rows().collect();
    let header = rows
        .iter()
        .position(|r| r.first().is_some_and(|c| text(c) == "CODGEO"))
        .unwrap();
    let col = rows[header].iter().position(|c| text(c) == column).unwrap();
    let row = rows
        .iter()
        .skip(header + 1)
        .find(|r| r.first().is_some_and(|c| text(c) == code))
        .unwrap_or_else(|| panic!("{code} absent de {sheet}"));
    match &row[col] {
        Data::Float(x) => *x,
        Data::Int(x) => *x as f64,
        other => panic!("{code} {column} : {other:?}"),
    }
}

/// A cell as text (`249100595` for a SIREN Excel stored as a number).
fn text(c: &Data) -> String {
    c.to_string()
}

/// Column `column` of the T0 commune CSV (INSEE style: `;`, decimal comma) for `code`.
fn t0_csv(code: &str, column: &str) -> f64 {
    let text =
        std::fs::read_to_string(sample().join("panorama_pauvrete_essonne_FICTIF_COM.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .unwrap()
        .trim_start_matches('\u{feff}')
        .split(';')
        .collect();
    let col = header.iter().position(|h| *h == column).unwrap();
    let line = lines.find(|l| l.starts_with(&format!("{code};"))).unwrap();
    line.split(';')
        .nth(col)
        .unwrap()
        .replace(',', ".")
        .parse()
        .unwrap()
}

#[test]
fn sha256_and_years_in_names() {
    let dir = sample_copy("sha");
    let f = dir.join("abc.txt");
    std::fs::write(&f, "abc").unwrap();
    // FIPS 180-2 test vector.
    assert_eq!(
        fingerprint(&f).unwrap(),
        (
            3,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".to_owned()
        )
    );
    assert_eq!(
        year_in_name(Path::new("base-cc-filosofi-2021-geo2024.xlsx")),
        Some(2021)
    );
    assert_eq!(year_in_name(Path::new("communes.geojson")), None);
    assert_eq!(year_in_name(Path::new("table_123456.csv")), None);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_frozen_t0_is_saved_and_reopened_identical_and_old_projects_still_load() {
    let dir = sample_copy("roundtrip");
    let path = dir.join("essonne.cartosol.json");
    assert_eq!(
        ProjectFile::read(&path).unwrap().t0,
        None,
        "old project loads"
    );
    let project = open_project(&path).unwrap();
    let baseline = freeze(&project, frozen_instant()).unwrap();
    assert_eq!(baseline.frozen_on, "30/03/2026");

    // What a user would check: the sources with their size, the geography, a value.
    let services = baseline
        .sources
        .iter()
        .find(|s| s.path == Path::new("services_essonne_FICTIF.csv"))
        .unwrap();
    assert_eq!(
        services.size_bytes,
        std::fs::metadata(dir.join("services_essonne_FICTIF.csv"))
            .unwrap()
            .len()
    );
    assert_eq!(baseline.sources.len(), 5, "{:?}", baseline.sources);
    assert_eq!(baseline.geography.communes.len(), 194);
    let angerville = baseline
        .geography
        .communes
        .iter()
        .find(|c| c.code == "91016")
        .unwrap();
    assert_eq!(angerville.epci.as_deref(), Some("200017846"));
    let communes = baseline
        .layers
        .iter()
        .find(|l| l.layer == "communes")
        .unwrap();
    let tp60 = communes
        .indicators
        .iter()
        .find(|i| i.field == "TP60")
        .unwrap();
    assert_eq!(tp60.values["91016"].as_f64(), Some(t0_csv("91016", "TP60")));
    // Abbéville-la-Rivière is under the simulated secrecy: kept with its reason.
    assert_eq!(
        tp60.values["91001"],
        cartosol::baseline::StoredValue::Missing("secret statistique".to_owned())
    );
    let map = baseline.map.as_ref().unwrap();
    assert_eq!(
        (map.zones.as_str(), map.indicator.as_str()),
        ("epci", "TP60")
    );
    assert_eq!(map.breaks.len(), 5);

    let mut file = project.file.clone();
    file.t0 = Some(baseline.clone());
    save_project(&file, &dir, &path).unwrap();
    let reopened = ProjectFile::read(&path).unwrap();
    assert_eq!(reopened.t0.as_ref(), Some(&baseline));
    assert!(check_sources(&baseline, &dir).is_empty());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_source_changed_after_freezing_is_reported_and_the_t0_stays_as_stored() {
    let dir = sample_copy("changed");
    let path = dir.join("essonne.cartosol.json");
    let project = open_project(&path).unwrap();
    let baseline = freeze(&project, frozen_instant()).unwrap();
    let mut file = project.file.clone();
    file.t0 = Some(baseline.clone());
    save_project(&file, &dir, &path).unwrap();

    // Same size, one byte changed: only the hash can tell. The T0 commune CSV is not a
    // source of the project: changing it is not reported.
    std::fs::write(dir.join("panorama_pauvrete_essonne_FICTIF_COM.csv"), "x").unwrap();
    let services = dir.join("services_essonne_FICTIF.csv");
    let mut bytes = std::fs::read(&services).unwrap();
    let last = bytes.len() - 2;
    bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
    std::fs::write(&services, &bytes).unwrap();
    std::fs::remove_file(dir.join("essonne/mairies.geojson")).unwrap();

    let reopened = ProjectFile::read(&path).unwrap();
    let t0 = reopened.t0.unwrap();
    assert_eq!(t0, baseline, "the T0 is shown as stored");
    let changes = check_sources(&t0, &dir);
    let size = bytes.len() as u64;
    assert_eq!(
        changes,
        vec![
            SourceChange::Changed {
                path: PathBuf::from("services_essonne_FICTIF.csv"),
                size_t0_bytes: size,
                size_now_bytes: size,
            },
            SourceChange::Missing {
                path: PathBuf::from("essonne/mairies.geojson"),
            },
        ]
    );
    assert_eq!(
        changes[1].to_string(),
        "source « essonne/mairies.geojson » absente ou illisible depuis le T0"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// Quantile breaks as mapclassify computes them (percentiles 100·i/k, linear interpolation).
fn quantile_breaks(values: &[f64], k: usize) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    (1..=k)
        .map(|i| {
            let pos = i as f64 / k as f64 * (v.len() - 1) as f64;
            let lo = pos.floor() as usize;
            let hi = pos.ceil() as usize;
            v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
        })
        .collect()
}

#[test]
fn the_fictif_t3_is_compared_on_the_t0_geography() {
    let dir = sample_copy("compare");
    let t0_project = open_project(&dir.join("essonne.cartosol.json")).unwrap();
    let baseline = freeze(&t0_project, frozen_instant()).unwrap();
    let later = open_project(&dir.join("essonne_t3.cartosol.json")).unwrap();
    let passage = load_table(
        &dir.join("passage_communes_2024_2027_FICTIF.csv"),
        &TableOptions::default(),
    )
    .unwrap()
    .table;
    let comparison = compare(&baseline, &later, Some(&passage)).unwrap();

    // The merger, as the T+3 workbook's definitions sheet announces it.
    assert_eq!(
        comparison.geography.mergers,
        vec![Merger {
            new_code: "91038".to_owned(),
            new_name: "Auvers-Chamarande".to_owned(),
            old_codes: vec!["91038".to_owned(), "91132".to_owned()],
        }]
    );
    assert_eq!(comparison.geography.removed.len(), 1);
    assert_eq!(comparison.geography.removed[0].code, "91132");
    assert_eq!(
        comparison.geography.removed[0].into.as_deref(),
        Some("91038")
    );
    assert!(comparison.geography.added.is_empty());
    assert!(comparison.geography.epci_moves.is_empty());
    assert!(comparison.geography.lines().contains(
        &"fusion : 91038 + 91132 en 91038 (Auvers-Chamarande), commune nouvelle".to_owned()
    ));

    // Change in points of the poverty rate, by hand, for two communes.
    let t3_book = dir.join("panorama_pauvrete_essonne_T3_FICTIF.xlsx");
    let communes = comparison
        .layers
        .iter()
        .find(|l| l.layer == "communes")
        .unwrap();
    let k = communes
        .indicators
        .iter()
        .position(|i| i == "TP60")
        .unwrap();
    for code in ["91016", "91228"] {
        let t0 = t0_csv(code, "TP60");
        let t3 = cell(&t3_book, "COM", code, "TP60");
        let zone = communes.zones.iter().find(|z| z.code == code).unwrap();
        let c = &zone.values[k];
        assert_eq!(c.t0, Value::Number(t0));
        assert_eq!(c.later, Value::Number(t3));
        assert!((c.change.unwrap() - (t3 - t0)).abs() < 1e-9, "{code}");
        assert!(
            (c.change_pct.unwrap() - 100.0 * (t3 - t0) / t0).abs() < 1e-9,
            "{code}"
        );
    }

    // The merged communes: no later value one by one, a regrouping row instead, its T0 rate
    // recomputed from the summed counts of the two former communes.
    for code in ["91038", "91132"] {
        let zone = communes
            .zones
            .iter()
            .find(|z| z.code == code && !z.name.contains("regroupement"))
            .unwrap();
        assert_eq!(zone.values[k].later, Value::Missing(Missing::NotApplicable));
        assert!(
            zone.note
                .as_deref()
                .unwrap()
                .starts_with("fusionnée dans 91038")
        );
    }
    let group = communes
        .zones
        .iter()
        .find(|z| z.name.contains("regroupement"))
        .unwrap();
    assert_eq!(
        group.name,
        "Auvers-Chamarande (regroupement T0 : 91038 + 91132)"
    );
    let poor = t0_csv("91038", "NB_MEN_PAUV") + t0_csv("91132", "NB_MEN_PAUV");
    let households = t0_csv("91038", "NBMENFISC") + t0_csv("91132", "NBMENFISC");
    let t0_rate = 100.0 * poor / households;
    let t3_rate = cell(&t3_book, "COM", "91038", "TP60");
    let c = &group.values[k];
    assert!((c.t0.as_f64().unwrap() - t0_rate).abs() < 1e-9);
    assert_eq!(c.later, Value::Number(t3_rate));
    let nb = communes
        .indicators
        .iter()
        .position(|i| i == "NBMENFISC")
        .unwrap();
    assert_eq!(group.values[nb].t0, Value::Number(households));

    // Classes of the T+3 EPCI rates with the T0 breaks (quantiles, 5 classes), by hand.
    let t0_book = dir.join("panorama_pauvrete_essonne_FICTIF.xlsx");
    let epci = comparison
        .layers
        .iter()
        .find(|l| l.layer == "epci")
        .unwrap();
    assert_eq!(epci.map_indicator.as_deref(), Some("TP60"));
    let ke = epci.indicators.iter().position(|i| i == "TP60").unwrap();
    let t0_rates: Vec<f64> = epci
        .zones
        .iter()
        .map(|z| cell(&t0_book, "EPCI", &z.code, "TP60"))
        .collect();
    let breaks = quantile_breaks(&t0_rates, 5);
    let mut above = 0;
    for z in &epci.zones {
        let t3 = cell(&t3_book, "EPCI", &z.code, "TP60");
        let hand = breaks.iter().position(|b| t3 <= *b + 1e-9);
        above += usize::from(hand.is_none());
        assert_eq!(z.values[ke].class_later, hand, "EPCI {}", z.code);
        let t0 = cell(&t0_book, "EPCI", &z.code, "TP60");
        assert_eq!(
            z.values[ke].class_t0,
            breaks.iter().position(|b| t0 <= *b + 1e-9)
        );
    }
    // The noise moved the rates by a few tenths of a point: most EPCI stay within the T0 range.
    assert!(above <= 2, "{above} EPCI au-dessus de la dernière borne T0");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn without_the_correspondence_table_the_vanished_commune_is_reported() {
    let dir = sample_copy("nocorr");
    let baseline = freeze(
        &open_project(&dir.join("essonne.cartosol.json")).unwrap(),
        frozen_instant(),
    )
    .unwrap();
    let later = open_project(&dir.join("essonne_t3.cartosol.json")).unwrap();
    let comparison = compare(&baseline, &later, None).unwrap();
    assert!(comparison.geography.mergers.is_empty());
    assert_eq!(
        comparison.geography.lines(),
        vec!["commune 91132 (Chamarande) absente au T+3 : fusionnée ou supprimée (fournir la table de correspondance)".to_owned()]
    );
    let communes = comparison
        .layers
        .iter()
        .find(|l| l.layer == "communes")
        .unwrap();
    let chamarande = communes.zones.iter().find(|z| z.code == "91132").unwrap();
    assert!(
        chamarande
            .values
            .iter()
            .all(|v| v.later == Value::Missing(Missing::Unmatched))
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_correspondence_table_without_code_columns_is_refused_in_french() {
    let dir = sample_copy("badcorr");
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "ancien;nouveau\n91038;91038\n").unwrap();
    let table = load_table(&bad, &TableOptions::default()).unwrap().table;
    let err = cartosol::baseline::correspondence_pairs(&table).unwrap_err();
    assert_eq!(
        err.to_string(),
        "table de correspondance : colonnes des codes introuvables : attendu CODGEO_<année> pour deux millésimes (table de passage de l'Insee) ou COM_INI et COM_FIN ; colonnes lues : ancien, nouveau"
    );
    let _ = std::fs::remove_dir_all(dir);
}

fn cartosol(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cartosol"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cli_freezes_refuses_to_overwrite_and_compares() {
    let dir = sample_copy("cli");
    let (ok, out, err) = cartosol(&dir, &["t0", "freeze", "essonne.cartosol.json"]);
    assert!(ok, "{out}{err}");
    assert!(
        out.starts_with("T0 figé dans essonne.cartosol.json :"),
        "{out}"
    );
    let stored = ProjectFile::read(&dir.join("essonne.cartosol.json"))
        .unwrap()
        .t0
        .unwrap();
    assert_eq!(stored.geography.communes.len(), 194);

    let (ok, _, err) = cartosol(&dir, &["t0", "freeze", "essonne.cartosol.json"]);
    assert!(!ok);
    assert!(
        err.contains("un T0 est déjà figé") && err.contains("--remplacer"),
        "{err}"
    );
    let (ok, out, err) = cartosol(
        &dir,
        &["t0", "freeze", "essonne.cartosol.json", "--remplacer"],
    );
    assert!(ok, "{out}{err}");

    // A source changed after the freeze is reported by compare.
    let services = dir.join("services_essonne_FICTIF.csv");
    let mut content = std::fs::read_to_string(&services).unwrap();
    content.push('\n');
    std::fs::write(&services, content).unwrap();
    let (ok, out, err) = cartosol(
        &dir,
        &[
            "t0",
            "compare",
            "essonne.cartosol.json",
            "--later",
            "essonne_t3.cartosol.json",
            "--correspondance",
            "passage_communes_2024_2027_FICTIF.csv",
            "--couche",
            "communes",
            "--out",
            "evolution.csv",
        ],
    );
    assert!(ok, "{out}{err}");
    assert!(
        out.contains(
            "géographie : fusion : 91038 + 91132 en 91038 (Auvers-Chamarande), commune nouvelle"
        ),
        "{out}"
    );
    assert!(
        out.contains("source « services_essonne_FICTIF.csv » modifiée depuis le T0"),
        "{out}"
    );
    let csv = std::fs::read_to_string(dir.join("evolution.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines
        .next()
        .unwrap()
        .trim_start_matches('\u{feff}')
        .split(';')
        .collect();
    let col = header
        .iter()
        .position(|h| *h == "TP60 écart T+3 − T0")
        .unwrap();
    let row: Vec<&str> = lines
        .find(|l| l.starts_with("91016;"))
        .unwrap()
        .split(';')
        .collect();
    let t0 = t0_csv("91016", "TP60");
    let t3 = cell(
        &dir.join("panorama_pauvrete_essonne_T3_FICTIF.xlsx"),
        "COM",
        "91016",
        "TP60",
    );
    let written: f64 = row[col].replace(',', ".").parse().unwrap();
    assert!(
        (written - (t3 - t0)).abs() < 1e-9,
        "{} vs {}",
        row[col],
        t3 - t0
    );

    let (ok, out, err) = cartosol(
        &dir,
        &[
            "t0",
            "compare",
            "essonne.cartosol.json",
            "--later",
            "essonne_t3.cartosol.json",
            "--out",
            "evolution.xlsx",
        ],
    );
    assert!(ok, "{out}{err}");
    assert!(out.contains("fournir la table de correspondance"), "{out}");
    let wb: Xlsx<_> = open_workbook(dir.join("evolution.xlsx")).unwrap();
    assert_eq!(
        wb.sheet_names(),
        vec!["epci", "communes", "Indicateurs", "Géographie"]
    );
    let mut wb = wb;
    let legend = wb.worksheet_range("Indicateurs").unwrap();
    let tp60: Vec<String> = legend
        .rows()
        .find(|r| {
            r.first().map(text).as_deref() == Some("epci")
                && r.get(1).map(text).as_deref() == Some("TP60")
        })
        .unwrap()
        .iter()
        .map(text)
        .collect();
    // The label as the sample's definitions sheet words it, and the project's ratio rule.
    assert!(
        tp60[2].starts_with("Taux de pauvreté au seuil de 60 %"),
        "{tp60:?}"
    );
    assert_eq!(tp60[4], "TP60 = 100 × NB_MEN_PAUV / NBMENFISC");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_commune_moving_to_another_epci_is_reported() {
    let dir = sample_copy("epci");
    let geo = dir.join("communes_essonne_T3_FICTIF.geojson");
    let mut data: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&geo).unwrap()).unwrap();
    for feature in data["features"].as_array_mut().unwrap() {
        if feature["properties"]["INSEE_COM"] == "91016" {
            feature["properties"]["SIREN_EPCI"] = "249100595".into();
        }
    }
    std::fs::write(&geo, data.to_string()).unwrap();
    let baseline = freeze(
        &open_project(&dir.join("essonne.cartosol.json")).unwrap(),
        frozen_instant(),
    )
    .unwrap();
    let later = open_project(&dir.join("essonne_t3.cartosol.json")).unwrap();
    let comparison = compare(&baseline, &later, None).unwrap();
    assert_eq!(
        comparison.geography.epci_moves,
        vec![cartosol::baseline::EpciMove {
            code: "91016".to_owned(),
            name: "Angerville".to_owned(),
            from: "200017846".to_owned(),
            to: "249100595".to_owned(),
        }]
    );
    assert!(comparison.geography.lines().contains(
        &"commune 91016 (Angerville) : EPCI 200017846 au T0, 249100595 au T+3".to_owned()
    ));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_change_table_masks_small_counts_and_the_changes_that_would_reveal_them() {
    use cartosol::export::secrecy::{SecrecyGuard, ZoneLevel};
    let dir = sample_copy("secret");
    let baseline = freeze(
        &open_project(&dir.join("essonne.cartosol.json")).unwrap(),
        frozen_instant(),
    )
    .unwrap();
    let later = open_project(&dir.join("essonne_t3.cartosol.json")).unwrap();
    let comparison = compare(&baseline, &later, None).unwrap();
    let communes = comparison
        .layers
        .iter()
        .find(|l| l.layer == "communes")
        .unwrap();
    let table = communes.table(&SecrecyGuard::default(), ZoneLevel::Fine);
    let column = |name: &str| &table.field(name).unwrap().values;
    let secret = Value::Missing(Missing::Secret);
    let mut masked = 0;
    let mut hidden_changes = 0;
    for field in [
        "NB_MEN_PAUV",
        "MP_JEUNES_SANS_EMPLOI",
        "MP_LOCATAIRES_SOCIAL",
    ] {
        let (t0, t3) = (
            column(&format!("{field} T0")),
            column(&format!("{field} T+3")),
        );
        let diff = column(&format!("{field} écart T+3 − T0"));
        for r in 0..table.len() {
            for v in [&t0.get(r).unwrap(), &t3.get(r).unwrap()] {
                assert!(
                    v.as_f64().is_none_or(|x| x >= 11.0),
                    "{field} ligne {r} : {v:?}"
                );
            }
            if t0.get(r).unwrap() == secret || t3.get(r).unwrap() == secret {
                masked += 1;
                // A change would give the hidden end away.
                assert!(
                    diff.get(r).unwrap().as_f64().is_none(),
                    "{field} ligne {r} : {:?}",
                    diff.get(r).unwrap()
                );
                if diff.get(r).unwrap() == secret {
                    hidden_changes += 1;
                }
            }
        }
    }
    assert!(
        masked > 0 && hidden_changes > 0,
        "{masked} {hidden_changes}"
    );
    // Rates are not counts: the poverty rate of a small commune stays.
    let rate = column("TP60 T0");
    assert!(rate.iter().any(|v| v.as_f64().is_some_and(|x| x < 11.0)));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn cli_compare_without_a_frozen_t0_says_so_and_leaves_the_project_unchanged() {
    let dir = sample_copy("cli-nofreeze");
    let before = std::fs::read(dir.join("essonne.cartosol.json")).unwrap();
    let (ok, out, err) = cartosol(
        &dir,
        &[
            "t0",
            "compare",
            "essonne.cartosol.json",
            "--later",
            "essonne_t3.cartosol.json",
            "--out",
            "evolution.csv",
        ],
    );
    assert!(ok, "{out}{err}");
    assert!(
        out.starts_with("Note : essonne.cartosol.json n'a pas de T0 figé ; comparaison avec l'état actuel du projet, non enregistré"),
        "{out}"
    );
    assert_eq!(
        std::fs::read(dir.join("essonne.cartosol.json")).unwrap(),
        before
    );
    // The CSV holds the map's layer by default: the 13 EPCI.
    let csv = std::fs::read_to_string(dir.join("evolution.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 13);
    let _ = std::fs::remove_dir_all(dir);
}

/// In-person services of `theme` per 10,000 inhabitants of each EPCI, by hand: each service
/// row of the CSV counted in the EPCI of its `code_insee` (from `essonne/epci_membership.csv`),
/// remote-only rows (`["a-distance"]`) left out, divided by the EPCI's `POPULATION_91`.
fn offer_by_hand(theme: &str) -> std::collections::BTreeMap<String, f64> {
    let membership = std::fs::read_to_string(sample().join("essonne/epci_membership.csv")).unwrap();
    let epci_of: std::collections::BTreeMap<&str, &str> = membership
        .lines()
        .skip(1)
        .map(|l| {
            let cols: Vec<&str> = l.split(';').collect();
            (cols[0], cols[2])
        })
        .collect();
    let mut counts = std::collections::BTreeMap::<String, f64>::new();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_path(sample().join("services_essonne_FICTIF.csv"))
        .unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (dispositif, modes, code) = (col("dispositif"), col("modes_accueil"), col("code_insee"));
    for row in reader.records() {
        let row = row.unwrap();
        if row[dispositif] != *theme || row[modes] == *"[\"a-distance\"]" {
            continue;
        }
        *counts.entry(epci_of[&row[code]].to_owned()).or_default() += 1.0;
    }
    let epci: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(sample().join("essonne/epci.geojson")).unwrap(),
    )
    .unwrap();
    epci["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let code = f["properties"]["CODE_SIREN"].as_str().unwrap().to_owned();
            let population = f["properties"]["POPULATION_91"].as_f64().unwrap();
            let n = counts.get(&code).copied().unwrap_or(0.0);
            (code, n * 10_000.0 / population)
        })
        .collect()
}

/// The EPCI under-served by `TP60 ≥ need_min` and offer ≤ `offer_max` in `book`, by hand.
fn underserved_by_hand(
    book: &Path,
    offer: &std::collections::BTreeMap<String, f64>,
    need_min: f64,
    offer_max: f64,
) -> std::collections::BTreeSet<String> {
    offer
        .iter()
        .filter(|(code, o)| cell(book, "EPCI", code, "TP60") >= need_min && **o <= offer_max)
        .map(|(code, _)| code.clone())
        .collect()
}

#[test]
fn the_t0_under_served_rule_is_applied_to_the_t3_and_entries_and_exits_listed() {
    use cartosol::baseline::{UnderservedSettings, freeze_with};
    let dir = sample_copy("underserved");
    let t0_project = open_project(&dir.join("essonne.cartosol.json")).unwrap();
    let later = open_project(&dir.join("essonne_t3.cartosol.json")).unwrap();
    let t0_book = dir.join("panorama_pauvrete_essonne_FICTIF.xlsx");
    let t3_book = dir.join("panorama_pauvrete_essonne_T3_FICTIF.xlsx");
    let offer = offer_by_hand("France Services");
    // Two rules: the first lets an EPCI in (its rate rose past 6.65), the second lets one out
    // (Grand Paris Sud's rate fell under 24.5).
    for need_min in [6.65, 24.5] {
        let rule = UnderservedSettings {
            zones: "epci".into(),
            need: "TP60".into(),
            theme: Some("France Services".into()),
            need_min: Some(need_min),
            offer_max_per_10000: Some(0.2),
        };
        let baseline = freeze_with(&t0_project, frozen_instant(), Some(&rule)).unwrap();
        let frozen = baseline.underserved.as_ref().unwrap();
        assert_eq!(
            frozen.rule_text,
            format!(
                "Zones sous-desservies : TP60 ≥ {} et au plus 0,2 France Services pour 10 000 habitants",
                need_min.to_string().replace('.', ",")
            )
        );
        for (code, o) in &offer {
            let stored = frozen.offer_per_10000[code].as_f64().unwrap();
            assert!((stored - o).abs() <= 5e-7, "{code} : {stored} vs {o}");
        }
        let t0_set = underserved_by_hand(&t0_book, &offer, need_min, 0.2);
        let t3_set = underserved_by_hand(&t3_book, &offer, need_min, 0.2);
        let as_set = |v: &[String]| v.iter().cloned().collect::<std::collections::BTreeSet<_>>();
        assert_eq!(as_set(&frozen.flagged), t0_set);

        let comparison = compare(&baseline, &later, None).unwrap();
        let u = comparison.underserved.as_ref().unwrap();
        assert_eq!(as_set(&u.flagged_later), t3_set);
        let entered: std::collections::BTreeSet<String> =
            t3_set.difference(&t0_set).cloned().collect();
        let left: std::collections::BTreeSet<String> =
            t0_set.difference(&t3_set).cloned().collect();
        let codes = |z: &[cartosol::baseline::UnderservedZone]| {
            z.iter()
                .map(|z| z.code.clone())
                .collect::<std::collections::BTreeSet<_>>()
        };
        assert_eq!(codes(&u.entered), entered, "seuil {need_min}");
        assert_eq!(codes(&u.left), left, "seuil {need_min}");
        if need_min == 6.65 {
            assert!(
                !entered.is_empty() && left.is_empty(),
                "{entered:?} {left:?}"
            );
        } else {
            assert_eq!(left, ["200059228".to_owned()].into());
            assert!(entered.is_empty());
            let gps = &u.left[0];
            assert_eq!(
                gps.need_t0,
                Some(cell(&t0_book, "EPCI", "200059228", "TP60"))
            );
            assert_eq!(
                gps.need_later,
                Some(cell(&t3_book, "EPCI", "200059228", "TP60"))
            );
            assert!(
                u.lines()
                    .iter()
                    .any(|l| l.starts_with("sortie : ") && l.contains("(200059228)")),
                "{:?}",
                u.lines()
            );
        }
        assert!(u.not_assessed_later.is_empty());
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_t3_map_uses_the_t0_legend_and_the_change_map_is_centred_on_zero() {
    use cartosol::baseline::maps::{ComparisonMap, comparison_map};
    use cartosol::export::compose::RenderOptions;
    use cartosol::export::map::{Preset, ZonePaint};
    let dir = sample_copy("maps");
    let t0_project = open_project(&dir.join("essonne.cartosol.json")).unwrap();
    let baseline = freeze(&t0_project, frozen_instant()).unwrap();
    let later = open_project(&dir.join("essonne_t3.cartosol.json")).unwrap();
    let comparison = compare(&baseline, &later, None).unwrap();
    let options = RenderOptions::new(Preset::Slide);
    let map =
        |which| comparison_map(&t0_project, &baseline, &comparison, which, None, &options).unwrap();
    let (t0_map, t3_map, change_map) = (
        map(ComparisonMap::T0),
        map(ComparisonMap::Later),
        map(ComparisonMap::Change),
    );
    // Same classes (labels and colours) on both maps: the T0 legend.
    let rows = |m: &cartosol::export::MapComposition| {
        m.legend
            .classes
            .iter()
            .take(5)
            .map(|c| (c.label.clone(), c.color))
            .collect::<Vec<_>>()
    };
    assert_eq!(rows(&t0_map), rows(&t3_map));
    // T+3 counts per T0 class, by hand from the two workbooks.
    let t0_book = dir.join("panorama_pauvrete_essonne_FICTIF.xlsx");
    let t3_book = dir.join("panorama_pauvrete_essonne_T3_FICTIF.xlsx");
    let codes: Vec<String> = baseline
        .layers
        .iter()
        .find(|l| l.layer == "epci")
        .unwrap()
        .names
        .keys()
        .cloned()
        .collect();
    let t0_rates: Vec<f64> = codes
        .iter()
        .map(|c| cell(&t0_book, "EPCI", c, "TP60"))
        .collect();
    let breaks = quantile_breaks(&t0_rates, 5);
    let mut hand = [0usize; 6];
    for c in &codes {
        let t3 = cell(&t3_book, "EPCI", c, "TP60");
        hand[breaks.iter().position(|b| t3 <= *b + 1e-9).unwrap_or(5)] += 1;
    }
    let counts: Vec<usize> = t3_map.legend.classes.iter().map(|c| c.count).collect();
    assert_eq!(&counts[..5], &hand[..5]);
    if hand[5] > 0 {
        assert!(
            t3_map.legend.classes[5]
                .label
                .starts_with("au-delà de la dernière borne du T0")
        );
        assert_eq!(counts[5], hand[5]);
    }
    // The change map: 6 classes symmetric around 0, every change inside, blue to red.
    let b: Vec<f64> = change_map
        .legend
        .classes
        .iter()
        .map(|c| c.count as f64)
        .collect();
    assert_eq!(b.len(), 6);
    assert_eq!(b.iter().sum::<f64>() as usize, 13);
    assert!(change_map.legend.title.starts_with("Évolution de"));
    let first = change_map.legend.classes[0].color;
    let last = change_map.legend.classes[5].color;
    assert!(
        first[2] > first[0] && last[0] > last[2],
        "{first:?} {last:?}"
    );
    // Every EPCI painted (no missing value at EPCI level).
    assert!(
        change_map
            .zones
            .iter()
            .all(|z| matches!(z.paint, ZonePaint::Color(_)))
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn cli_freezes_the_under_served_rule_given_and_compare_lists_the_exits() {
    let dir = sample_copy("cli-underserved");
    let (ok, out, err) = cartosol(
        &dir,
        &[
            "t0",
            "freeze",
            "essonne.cartosol.json",
            "--theme",
            "France Services",
            "--besoin-min",
            "24.5",
            "--offre-max",
            "0.2",
        ],
    );
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("sous-desserte (epci) : 1 zone(s) — Zones sous-desservies : TP60 ≥ 24,5 et au plus 0,2 France Services pour 10 000 habitants"),
        "{out}"
    );
    let (ok, out, err) = cartosol(
        &dir,
        &[
            "t0",
            "compare",
            "essonne.cartosol.json",
            "--later",
            "essonne_t3.cartosol.json",
            "--out",
            "evolution.csv",
        ],
    );
    assert!(ok, "{out}{err}");
    // Grand Paris Sud: above 24.5 % at T0, under it at T+3 (by hand in the workbooks).
    let t0 = cell(
        &dir.join("panorama_pauvrete_essonne_FICTIF.xlsx"),
        "EPCI",
        "200059228",
        "TP60",
    );
    let t3 = cell(
        &dir.join("panorama_pauvrete_essonne_T3_FICTIF.xlsx"),
        "EPCI",
        "200059228",
        "TP60",
    );
    assert!(t0 >= 24.5 && t3 < 24.5, "{t0} {t3}");
    let french = |x: f64| x.to_string().replace('.', ",");
    assert!(
        out.contains(
            "  sous-desserte : zones sous-desservies : 1 au T0, 0 au T+3 (0 entrée(s), 1 sortie(s))"
        ),
        "{out}"
    );
    let exit = out
        .lines()
        .find(|l| l.starts_with("  sous-desserte : sortie : "))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        exit.contains(&format!(
            "(200059228) : besoin {} au T0, {} au T+3",
            french(t0),
            french(t3)
        )),
        "{exit}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
