//! The *Pistes de contractualisation* window driven on the real app (egui_kittest), on the
//! sample: open it from the menu, select the incomplete axis-3 proposal, fill its missing
//! target and its zones through the editor and watch the completeness messages go; fill the
//! need criterion from the figures; export the workbook. The app works on a temporary copy of
//! the sample (its autosave never lands in the sample folder).

mod common;

use cartosol::app::basemap::BasemapChoice;
use cartosol::app::{AppOptions, CartoSolApp};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::path::Path;

const TITLE: &str = "Permanences France Services itinérantes (FICTIF)";

fn has_label_containing(harness: &Harness<'static, CartoSolApp>, text: &str) -> bool {
    harness.query_by_label_contains(text).is_some()
}

/// Runs frames until `done` (at most ~60 s).
fn wait_for(
    harness: &mut Harness<'static, CartoSolApp>,
    what: &str,
    done: impl Fn(&CartoSolApp) -> bool,
) {
    for _ in 0..600 {
        harness.run_steps(1);
        if done(harness.state()) {
            harness.run_steps(3);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("{what} : trop long (état : {})", harness.state().status);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else if !path.to_string_lossy().ends_with(".autosave") {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// The app on a copy of the sample in a fixed temporary folder (its path shows in the window).
fn app_on_copy() -> Harness<'static, CartoSolApp> {
    let dir = std::env::temp_dir().join("cartosol-app-pistes");
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data"),
        &dir,
    );
    let open = dir.join("essonne.cartosol.json");
    let tile_cache = common::temp_dir("pistes-tuiles");
    let data_dir = common::temp_dir("pistes-donnees");
    common::app_with(
        AppOptions {
            open: Some(open),
            basemap: BasemapChoice::None,
            load_now: true,
            tile_cache,
            data_dir,
        },
        1500.0,
        1000.0,
    )
}

#[test]
fn fill_a_proposal_in_the_editor_and_watch_its_gaps_go() {
    let mut harness = app_on_copy();
    harness.get_by_label("Affichage").click();
    harness.run_steps(2);
    harness.get_by_label("Pistes de contractualisation").click();
    harness.run_steps(3);
    assert!(harness.state().proposals.open);

    let no_need =
        format!("Axe 3, « {TITLE} » : aucun besoin lié (zones ou indicateurs du diagnostic)");
    let no_target = format!(
        "Axe 3, « {TITLE} » : indicateur « Communes desservies par une permanence » sans cible"
    );
    harness.get_by_label(&no_need);
    harness.get_by_label(&no_target);
    harness.get_by_label("Axe 2 : 0 proposition(s), il en faut au moins 2");

    harness
        .get_by_label(&format!("(à compléter) {TITLE}"))
        .click();
    harness.run_steps(3);
    assert_eq!(
        harness.get_by_label("Titre").value().as_deref(),
        Some(TITLE)
    );

    // The target of its only indicator: the message goes, the other stays.
    let target = harness.get_all_by_label("Cible").next().unwrap();
    target.focus();
    harness.run_steps(1);
    harness
        .get_all_by_label("Cible")
        .next()
        .unwrap()
        .type_text("12");
    harness.run_steps(3);
    assert!(!has_label_containing(&harness, &no_target));
    harness.get_by_label(&no_need);
    let file = &harness.state().ws.file;
    assert_eq!(file.proposals[2].indicators[0].target, "12");

    // Its zones: the need is linked, the last message of the proposal goes.
    harness.get_by_label("Zones visées (codes)").focus();
    harness.run_steps(1);
    harness
        .get_by_label("Zones visées (codes)")
        .type_text("91286, 91228");
    harness.run_steps(3);
    assert!(!has_label_containing(&harness, &no_need));
    assert!(!has_label_containing(&harness, &format!("« {TITLE} »")));
    assert_eq!(
        harness.state().ws.file.proposals[2].need.zones,
        vec!["91286".to_owned(), "91228".to_owned()]
    );
    // Complete now: the list marks it so.
    harness.get_by_label(&format!("(complète) {TITLE}"));

    // The first criterion written from the figures (Grigny's TP60 needs an indicator: add it).
    harness
        .get_by_label("Indicateurs du besoin (codes)")
        .focus();
    harness.run_steps(1);
    harness
        .get_by_label("Indicateurs du besoin (codes)")
        .type_text("TP60");
    harness.run_steps(2);
    harness.get_by_label("Remplir d'après les chiffres").click();
    harness.run_steps(4);
    let criterion = harness.state().ws.file.proposals[2].need_criterion.clone();
    assert!(
        criterion.starts_with("Besoin non ou partiellement couvert, selon les critères suivants :"),
        "{criterion}"
    );
    assert!(criterion.contains("Grigny"), "{criterion}");
    assert!(
        criterion.contains("Dispositif « France Services »"),
        "{criterion}"
    );
    harness.snapshot("app_pistes");

    // Export the workbook where typed.
    let dir = common::temp_dir("pistes-export");
    let path = dir.join("fiches.xlsx");
    harness.get_by_label("Classeur :").focus();
    harness.run_steps(1);
    harness
        .get_by_label("Classeur :")
        .type_text(&path.display().to_string());
    harness.run_steps(2);
    harness.get_by_label("Exporter le classeur (XLSX)").click();
    let target = path.clone();
    wait_for(&mut harness, "export du classeur", move |_| target.exists());
    use calamine::Reader;
    let wb: calamine::Xlsx<_> = calamine::open_workbook(&path).unwrap();
    assert_eq!(
        wb.sheet_names(),
        vec!["Axe 1", "Axe 2", "Axe 3", "Axe 4", "À compléter"]
    );
}
