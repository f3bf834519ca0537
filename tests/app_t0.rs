//! The *T0 et T+3* window driven on the real app (egui_kittest), on a temporary copy of the
//! sample: freeze the T0 (with the under-served rule set on the map), save, load the FICTIF
//! T+3 with its correspondence table, and check what the window shows against the two
//! workbooks read with calamine and the services CSV counted by hand; then reopen the project
//! after a source changed. The sample folder is never modified.

mod common;

use calamine::{Data, Reader, Xlsx, open_workbook};
use cartosol::app::basemap::BasemapChoice;
use cartosol::app::t0::{T0Command, WINDOW_MAP_PX};
use cartosol::app::{AppOptions, CartoSolApp, Command};
use cartosol::baseline::maps::ComparisonMap;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data")
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

/// A cell as text (`249100595` for a SIREN Excel stored as a number).
fn text(c: &Data) -> String {
    c.to_string()
}

/// The cell of `column` on the row whose `CODGEO` is `code` in sheet `sheet` of `book`.
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
        .unwrap();
    match &row[col] {
        Data::Float(x) => *x,
        Data::Int(x) => *x as f64,
        other => panic!("{code} {column} : {other:?}"),
    }
}

/// France Services in person per 10,000 inhabitants of each EPCI, by hand (services counted in
/// the EPCI of their commune code, remote-only rows left out, over `POPULATION_91`).
fn france_services_by_hand() -> BTreeMap<String, f64> {
    let membership = std::fs::read_to_string(sample().join("essonne/epci_membership.csv")).unwrap();
    let epci_of: BTreeMap<&str, &str> = membership
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(';').collect();
            (c[0], c[2])
        })
        .collect();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_path(sample().join("services_essonne_FICTIF.csv"))
        .unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |n: &str| headers.iter().position(|h| h == n).unwrap();
    let (d, m, c) = (col("dispositif"), col("modes_accueil"), col("code_insee"));
    let mut counts = BTreeMap::<String, f64>::new();
    for row in reader.records() {
        let row = row.unwrap();
        if &row[d] == "France Services" && &row[m] != "[\"a-distance\"]" {
            *counts.entry(epci_of[&row[c]].to_owned()).or_default() += 1.0;
        }
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
            (
                code.clone(),
                counts.get(&code).copied().unwrap_or(0.0) * 10_000.0 / population,
            )
        })
        .collect()
}

/// Runs frames until `done` (at most ~120 s).
fn wait_for(
    harness: &mut Harness<'static, CartoSolApp>,
    what: &str,
    done: impl Fn(&CartoSolApp) -> bool,
) {
    for _ in 0..1200 {
        harness.run_steps(1);
        if done(harness.state()) {
            harness.run_steps(3);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("{what} : trop long");
}

fn french(x: f64) -> String {
    cartosol::value::format_number(x).replace('.', ",")
}

#[test]
fn freeze_the_t0_load_the_t3_and_read_the_changes() {
    // A fixed folder (not named after the process): its paths are shown in the snapshots.
    let dir = std::env::temp_dir().join("cartosol-test-app-t0");
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&sample(), &dir);
    let project = dir.join("essonne.cartosol.json");
    let tile_cache = common::temp_dir("app-t0-tuiles");
    let data_dir = common::temp_dir("app-t0-donnees");
    let open = project.clone();
    let mut harness = common::app_with(
        AppOptions {
            open: Some(open),
            basemap: BasemapChoice::None,
            load_now: true,
            tile_cache,
            data_dir,
        },
        1400.0,
        1000.0,
    );

    // The under-served rule set on the map (France Services, need ≥ 6.65 %, offer ≤ 0.2 per
    // 10,000 inhabitants) is the one frozen with the T0.
    harness.state_mut().send(Command::ShowUnderserved(true));
    harness.run_steps(2);
    wait_for(&mut harness, "couverture", |app| {
        !app.analysis.computing() && app.analysis.gaps.is_some()
    });
    harness.state_mut().send(Command::SetThresholds {
        need: 6.65,
        offer: 0.2,
    });
    harness.run_steps(2);
    harness.state_mut().send(Command::ShowUnderserved(false));
    harness.run_steps(2);

    harness.get_by_label("Affichage").click();
    harness.run_steps(2);
    harness.get_by_label("T0 et T+3").click();
    harness.run_steps(3);
    assert!(harness.state().t0.open);
    harness.get_by_label("Aucun T0 figé dans ce projet.");
    harness.get_by_label("Figer le T0").click();
    harness.run_steps(3);
    let today = cartosol::export::today_fr();
    harness.get_by_label(&format!("T0 figé le {today}"));
    assert_eq!(
        harness
            .state()
            .ws
            .file
            .t0
            .as_ref()
            .map(|t| t.frozen_on.as_str()),
        Some(today.as_str())
    );
    // From here on the T0 carries a fixed date, so that the snapshots do not change with the
    // day the test runs.
    let today = "30/03/2026";
    harness.state_mut().ws.file.t0.as_mut().unwrap().frozen_on = today.to_owned();
    harness.run_steps(2);
    let frozen = harness.state().ws.file.t0.clone().expect("T0 figé");
    harness.get_by_label(&format!("T0 figé le {today}"));
    harness.get_by_label("Sources inchangées depuis le T0.");
    let rule = frozen.underserved.as_ref().unwrap();
    assert_eq!(
        rule.rule_text,
        "Zones sous-desservies : TP60 ≥ 6,65 et au plus 0,2 France Services pour 10 000 habitants"
    );
    harness.get_by_label_contains("T0 non encore enregistré");

    // A second freeze asks first; cancelling keeps the T0.
    harness.get_by_label("Figer un nouveau T0…").click();
    harness.run_steps(2);
    harness.get_by_label_contains(&format!("Remplacer le T0 figé le {today} ?"));
    harness.get_by_label("Annuler").click();
    harness.run_steps(2);
    assert_eq!(harness.state().ws.file.t0.as_ref(), Some(&frozen));

    // Saved by the usual save.
    harness.state_mut().send(Command::Save);
    harness.run_steps(2);
    assert!(!harness.state().t0.unsaved);
    let on_disk = cartosol::project::ProjectFile::read(&project).unwrap();
    assert_eq!(on_disk.t0.as_ref(), Some(&frozen));

    // Load the T+3 with the correspondence table.
    let later = dir.join("essonne_t3.cartosol.json");
    let passage = dir.join("passage_communes_2024_2027_FICTIF.csv");
    harness
        .state_mut()
        .send(Command::T0(T0Command::SetLaterPath(
            later.display().to_string(),
        )));
    harness
        .state_mut()
        .send(Command::T0(T0Command::SetCorrespondencePath(
            passage.display().to_string(),
        )));
    harness.run_steps(2);
    harness.get_by_label("Charger le T+3 et comparer").click();
    harness.run_steps(1);
    wait_for(&mut harness, "comparaison", |app| {
        !app.t0.computing() && app.t0.result.is_some()
    });
    if let Some(Err(e)) = &harness.state().t0.result {
        panic!("{e}");
    }

    // Geography: one merger of two communes, as the correspondence table says.
    let table = std::fs::read_to_string(&passage).unwrap();
    let merged: Vec<&str> = table
        .lines()
        .skip(1)
        .filter(|l| {
            let c: Vec<&str> = l.split(';').collect();
            c[0] != c[2]
        })
        .collect();
    assert_eq!(merged.len(), 1, "{merged:?}");
    harness.get_by_label(
        "1 fusion(s) de communes (2 communes regroupées), 1 commune(s) absente(s) au T+3, 0 code(s) nouveau(x), 0 changement(s) d'EPCI",
    );
    harness.get_by_label("• fusion : 91038 + 91132 en 91038 (Auvers-Chamarande), commune nouvelle");

    // Under-served sets at T0 and T+3, by hand from the workbooks and the services CSV.
    let t0_book = dir.join("panorama_pauvrete_essonne_FICTIF.xlsx");
    let t3_book = dir.join("panorama_pauvrete_essonne_T3_FICTIF.xlsx");
    let offer = france_services_by_hand();
    let set = |book: &Path| -> BTreeSet<String> {
        offer
            .iter()
            .filter(|(c, o)| cell(book, "EPCI", c, "TP60") >= 6.65 && **o <= 0.2)
            .map(|(c, _)| c.clone())
            .collect()
    };
    let (at_t0, at_t3) = (set(&t0_book), set(&t3_book));
    let entered: Vec<&String> = at_t3.difference(&at_t0).collect();
    let left: Vec<&String> = at_t0.difference(&at_t3).collect();
    assert!(!entered.is_empty(), "the rule lets an EPCI in");
    harness.get_by_label(&format!(
        "zones sous-desservies : {} au T0, {} au T+3 ({} entrée(s), {} sortie(s))",
        at_t0.len(),
        at_t3.len(),
        entered.len(),
        left.len()
    ));
    let names = &frozen
        .layers
        .iter()
        .find(|l| l.layer == "epci")
        .unwrap()
        .names;
    for code in &entered {
        harness.get_by_label_contains(&format!(
            "• entrée : {} ({code}) : besoin {} au T0, {} au T+3",
            names[*code],
            french(cell(&t0_book, "EPCI", code, "TP60")),
            french(cell(&t3_book, "EPCI", code, "TP60"))
        ));
    }

    // The maps: three images of the window's size, drawn from the export composition.
    {
        let app = harness.state();
        let done = app.t0.done().unwrap();
        assert_eq!(done.maps.len(), 3);
        for m in &done.maps {
            let image = m.image.as_ref().unwrap();
            assert_eq!(
                image.size,
                [WINDOW_MAP_PX.0 as usize, WINDOW_MAP_PX.1 as usize]
            );
        }
        assert_eq!(app.t0.textures.len(), 3);
    }

    // The change table on the EPCI (the map's layer): the Étampois row, by hand.
    let t0 = cell(&t0_book, "EPCI", "200017846", "TP60");
    let t3 = cell(&t3_book, "EPCI", "200017846", "TP60");
    harness.get_by_label("Écart T+3 − T0 (points)");
    let change = cartosol::style::classify::format_fr(((t3 - t0) * 100.0).round() / 100.0, 2)
        .trim_end_matches('0')
        .trim_end_matches(',')
        .to_owned();
    // The labels on the row of the Étampois (same height as its code), left to right.
    let code_y = harness.get_by_label("200017846").rect().center().y;
    let mut on_row: Vec<(f32, String)> = harness
        .query_all_by_label_contains("")
        .filter(|n| (n.rect().center().y - code_y).abs() < 3.0)
        .filter_map(|n| {
            // A label's text is its accesskit value.
            let node = n.accesskit_node();
            Some((n.rect().left(), node.value().or_else(|| node.label())?))
        })
        .collect();
    on_row.sort_by(|a, b| a.0.total_cmp(&b.0));
    let row: Vec<String> = on_row.into_iter().map(|(_, l)| l).collect();
    let at = row.iter().position(|l| l == "200017846").unwrap();
    assert_eq!(row[at + 2], french(t0));
    assert_eq!(row[at + 3], french(t3));
    assert_eq!(row[at + 4], change, "{:?}", &row[at..at + 7]);

    // The communes: the regrouping row of the commune nouvelle.
    harness
        .state_mut()
        .send(Command::T0(T0Command::SetLayer("communes".into())));
    harness.run_steps(3);
    harness.get_by_label("Auvers-Chamarande (regroupement T0 : 91038 + 91132)");

    harness
        .state_mut()
        .send(Command::T0(T0Command::SetLayer("epci".into())));
    harness.run_steps(4);
    harness.snapshot("app_t0_comparaison");
    harness.get_by_label("Cartes").scroll_to_me();
    harness.run_steps(4);
    harness.snapshot("app_t0_cartes");
    harness.get_by_label("Évolution T+3 − T0").scroll_to_me();
    harness.run_steps(4);
    harness.snapshot("app_t0_evolution");
    harness.get_by_label("Cartes").scroll_to_me();
    harness.run_steps(3);
    harness.get_by_label("Cartes").click();
    harness.run_steps(3);
    harness.get_by_label("Remarque").scroll_to_me();
    harness.run_steps(4);
    harness.snapshot("app_t0_tableau");

    // Export of the T+3 map with the T0 breaks, as a slide PNG.
    let png = dir.join("t3_bornes_t0.png");
    harness.state_mut().send(Command::T0(T0Command::ExportMap(
        ComparisonMap::Later,
        Some(png.clone()),
    )));
    wait_for(&mut harness, "export", |app| {
        app.status
            .starts_with("Carte « T+3 (bornes du T0) » exportée")
    });
    let bytes = std::fs::read(&png).unwrap();
    let decoded = image::load_from_memory(&bytes).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (1920, 1080));

    // A source changed after the freeze: reopening shows the T0 as frozen, and says so.
    let services = dir.join("services_essonne_FICTIF.csv");
    let mut content = std::fs::read(&services).unwrap();
    content.push(b'\n');
    std::fs::write(&services, &content).unwrap();
    harness.state_mut().ws.file.title = "avant réouverture".into();
    harness.state_mut().send(Command::Open(project.clone()));
    wait_for(&mut harness, "réouverture", |app| {
        app.ws.file.title != "avant réouverture"
    });
    assert_eq!(harness.state().ws.file.t0.as_ref(), Some(&frozen));
    harness.get_by_label(&format!("T0 figé le {today}"));
    harness.get_by_label_contains(
        "Attention : source « services_essonne_FICTIF.csv » modifiée depuis le T0",
    );
    let _ = std::fs::remove_dir_all(dir);
}
