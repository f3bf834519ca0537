//! The *Tableau des dispositifs* window driven on the real app (egui_kittest), on a temporary
//! copy of the sample (which carries the 8 FICTIF schemes of
//! `tests/data/schemes/dispositifs_essonne_FICTIF.csv`): the computed cells the window shows
//! are those `analysis::schemes::compute` gives on the project read from disk (the function
//! `cartosol dispositifs` calls, itself checked by hand in `tests/schemes.rs`), the « peu
//! couvert » SLIME first; a multi-line cell and a theme edited through the UI and saved in the
//! project file; the table exported to XLSX (read back with calamine) and imported again
//! through the path field; a row click draws the scheme's footprint. A snapshot was looked at.

mod common;

use calamine::{Data, Reader, open_workbook_auto};
use cartosol::analysis::schemes::{
    HEADERS, SchemeCoverage, SchemeRow, SchemesSpec, Verdict, compute, compute_row, display_order,
};
use cartosol::app::basemap::BasemapChoice;
use cartosol::app::state::LayerRef;
use cartosol::app::{AppOptions, CartoSolApp, Command};
use cartosol::value::format_number;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{AccessKitNode, NodeT, Queryable};
use std::path::{Path, PathBuf};

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

/// The app on `project`, 1400 × 1000 points, no basemap.
fn app_on(project: &Path) -> Harness<'static, CartoSolApp> {
    let tile_cache = common::temp_dir("app-schemes-tuiles");
    let data_dir = common::temp_dir("app-schemes-donnees");
    let open = project.to_path_buf();
    common::app_with(
        AppOptions {
            open: Some(open),
            basemap: BasemapChoice::None,
            load_now: true,
            tile_cache,
            data_dir,
        },
        1400.0,
        1000.0,
    )
}

/// Runs frames until every row's cells are computed.
fn wait_computed(harness: &mut Harness<'static, CartoSolApp>) {
    for _ in 0..600 {
        harness.run_steps(1);
        let app = harness.state();
        if !app.schemes.computing() && app.schemes.cells(&app.ws).iter().all(Option::is_some) {
            harness.run_steps(2);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("calcul de la couverture des dispositifs trop long");
}

/// Runs frames until the status line contains `text`.
fn wait_status(harness: &mut Harness<'static, CartoSolApp>, text: &str) {
    for _ in 0..600 {
        harness.run_steps(1);
        if harness.state().status.contains(text) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("« {text} » attendu, statut : {}", harness.state().status);
}

/// The texts of the nodes that show something (labels, buttons, combo boxes, text fields),
/// in the order of the accessibility tree (the order of the window's cells).
fn shown_texts(harness: &Harness<'static, CartoSolApp>) -> Vec<(Role, String)> {
    harness
        .root()
        .children_recursive()
        .filter_map(|n| {
            let a = n.accesskit_node();
            let role = a.role();
            let text = match role {
                Role::Label | Role::ComboBox | Role::TextInput | Role::MultilineTextInput => {
                    a.value()?
                }
                Role::Button => a.label()?,
                _ => return None,
            };
            Some((role, text.to_string()))
        })
        .collect()
}

/// The scheme names shown, in order: the text fields followed by a combo box (the axis), so
/// that a carrier typed like a name (« Missions locales ») is not taken for one.
fn shown_names(texts: &[(Role, String)]) -> Vec<(usize, String)> {
    texts
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w[0].0 == Role::TextInput && w[1].0 == Role::ComboBox)
        .map(|(i, w)| (i, w[0].1.clone()))
        .collect()
}

/// The cells of the row named `name` as the window shows them: axis, theme, verdict, sites,
/// zones without site, share beyond R km, 2SFCA median, uncovered zones.
fn row_cells(harness: &Harness<'static, CartoSolApp>, name: &str) -> Vec<String> {
    let texts = shown_texts(harness);
    let at = shown_names(&texts)
        .into_iter()
        .find(|(_, t)| t == name)
        .unwrap_or_else(|| panic!("ligne « {name} » absente"))
        .0;
    texts[at + 1..at + 9].iter().map(|t| t.1.clone()).collect()
}

/// The cells `compute` gives for one row, written as a reader expects them: French decimal
/// comma, share to 0.1, 2SFCA to 0.001, the number of uncovered zones and the three largest.
fn expected_cells(row: &SchemeRow, c: &SchemeCoverage) -> Vec<String> {
    let computed = c.verdict != Verdict::NotComputed;
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "—".to_owned());
    let uncovered = if !computed {
        "—".to_owned()
    } else if c.uncovered.is_empty() {
        "aucune".to_owned()
    } else {
        let names: Vec<&str> = c.uncovered.iter().take(3).map(|u| u.0.as_str()).collect();
        format!(
            "{} : {}{}",
            c.uncovered.len(),
            names.join(", "),
            if c.uncovered.len() > 3 { ", …" } else { "" }
        )
    };
    vec![
        if row.axis == 0 {
            "—".to_owned()
        } else {
            row.axis.to_string()
        },
        if row.theme.is_empty() {
            "aucun".to_owned()
        } else {
            row.theme.clone()
        },
        c.verdict.label().to_owned(),
        or_dash(computed.then(|| c.sites.to_string())),
        or_dash(computed.then(|| c.zones_without.to_string())),
        or_dash(
            c.share_beyond_pct
                .map(|s| format_number((s * 10.0).round() / 10.0)),
        ),
        or_dash(
            c.accessibility_median
                .map(|a| format_number((a * 1000.0).round() / 1000.0)),
        ),
        uncovered,
    ]
}

/// The project's table as stored in the file.
fn spec_on_disk(project: &Path) -> SchemesSpec {
    let p = cartosol::project::open_project(project).unwrap();
    p.file.schemes.clone().expect("tableau des dispositifs")
}

/// Every row's cells shown equal `compute` on the project read from disk, in `display_order`.
fn check_against_disk(harness: &Harness<'static, CartoSolApp>, project: &Path) -> Vec<String> {
    let p = cartosol::project::open_project(project).unwrap();
    let spec = p.file.schemes.clone().unwrap();
    let computed = compute(&p, &spec).unwrap();
    for (row, c) in spec.rows.iter().zip(&computed) {
        assert_eq!(
            row_cells(harness, &row.name),
            expected_cells(row, c),
            "{}",
            row.name
        );
    }
    let names: Vec<String> = spec.rows.iter().map(|r| r.name.clone()).collect();
    let shown: Vec<String> = shown_names(&shown_texts(harness))
        .into_iter()
        .map(|t| t.1)
        .filter(|t| names.contains(t))
        .collect();
    let expected: Vec<String> = display_order(&computed)
        .into_iter()
        .map(|i| names[i].clone())
        .collect();
    assert_eq!(shown, expected);
    shown
}

/// Replaces the text of the text field of role `role` showing `old` by `text`.
fn retype(harness: &mut Harness<'static, CartoSolApp>, role: Role, old: &str, text: &str) {
    let old = old.to_owned();
    let find = move |n: &AccessKitNode<'_>| {
        n.role() == role && n.value().is_some_and(|v| v == old.as_str())
    };
    harness.get_by(find.clone()).focus();
    harness.run_steps(1);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.run_steps(1);
    harness.get_by(find).type_text(text);
    harness.run_steps(2);
}

/// In-person points of `theme` in the sample's services CSV, counted on its lines.
fn in_person(theme: &str) -> usize {
    let csv = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data/services_essonne_FICTIF.csv"),
    )
    .unwrap();
    csv.lines()
        .filter(|l| l.contains(&format!(";{theme};")) && l.contains("en-presentiel"))
        .count()
}

#[test]
fn the_schemes_table_shows_the_library_figures_saves_exports_imports_and_maps_a_row() {
    // A fixed folder (not named after the process): the XLSX path is shown in the snapshot.
    let dir = std::env::temp_dir().join("cartosol-test-app-schemes");
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data"),
        &dir,
    );
    let project: PathBuf = dir.join("essonne.cartosol.json");
    let mut harness = app_on(&project);

    harness.get_by_label("Affichage").click();
    harness.run_steps(2);
    harness.get_by_label("Tableau des dispositifs").click();
    harness.run_steps(2);
    assert!(harness.state().schemes.open);
    wait_computed(&mut harness);

    // The sample carries the 8 FICTIF schemes of the test CSV, with the default rule.
    let spec = spec_on_disk(&project);
    assert_eq!(spec.rows.len(), 8);
    assert_eq!(spec.radius_km, 10.0);
    assert_eq!(spec.max_share_beyond_pct, 10.0);
    assert_eq!(spec.target_field, "NB_MEN_PAUV");
    let shown = check_against_disk(&harness, &project);
    // SLIME, « peu couvert », first; the row without theme, « non calculé », last.
    assert_eq!(shown[0], "SLIME (précarité énergétique)");
    assert_eq!(shown[7], "Accompagnement vers le logement");
    let slime = row_cells(&harness, "SLIME (précarité énergétique)");
    assert_eq!(slime[2], "peu couvert");
    let slime_share: f64 = slime[5].replace(',', ".").parse().unwrap();
    assert!(slime_share > 10.0, "{slime_share} % au-delà de 10 km");
    // The timing of the computation is shown (measured on the sample).
    let timing = harness
        .get_by_label_contains("couverture calculée pour")
        .value()
        .unwrap();
    println!("{timing}");

    // A multi-line cell typed in the window: the SLIME difficulties on two lines.
    retype(
        &mut harness,
        Role::MultilineTextInput,
        "Repérage des ménages",
        "Repérage des ménages",
    );
    harness.key_press(egui::Key::Enter);
    harness.run_steps(1);
    let cell = |text: &'static str| {
        move |n: &AccessKitNode<'_>| {
            n.role() == Role::MultilineTextInput && n.value().is_some_and(|v| v == text)
        }
    };
    harness
        .get_by(cell("Repérage des ménages\n"))
        .type_text("Fichiers des fournisseurs d'énergie");
    harness.run_steps(2);
    let typed = "Repérage des ménages\nFichiers des fournisseurs d'énergie";
    harness.get_by(cell(typed));

    // A theme chosen in the combo box: the housing scheme gets the « Premier accueil social »
    // points, and its cells are computed.
    let no_theme = |n: &AccessKitNode<'_>| {
        n.role() == Role::ComboBox && n.value().is_some_and(|v| v == "aucun")
    };
    // Scrolled into view (egui animates the scroll over a few frames), then clicked.
    harness.get_by(no_theme).scroll_to_me();
    harness.run_steps(30);
    harness.get_by(no_theme).click();
    harness.run_steps(2);
    harness
        .get_by_role_and_label(Role::Button, "Premier accueil social")
        .click();
    harness.run_steps(2);
    wait_computed(&mut harness);

    // Saved with the project (Fichier › Enregistrer): the file holds both edits.
    harness.get_by_label("Fichier").click();
    harness.run_steps(2);
    harness
        .get_by_label("Enregistrer le projet (Ctrl+S)")
        .click();
    harness.run_steps(2);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&project).unwrap()).unwrap();
    let rows = json["schemes"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 8);
    assert_eq!(rows[6]["name"], "SLIME (précarité énergétique)");
    assert_eq!(rows[6]["difficulties"], typed);
    assert_eq!(rows[7]["name"], "Accompagnement vers le logement");
    assert_eq!(rows[7]["theme"], "Premier accueil social");
    // The window shows what the library computes on the saved file, the housing scheme
    // included, in the library's order.
    check_against_disk(&harness, &project);
    let saved = spec_on_disk(&project);
    let p = cartosol::project::open_project(&project).unwrap();
    let housing = compute_row(&p, &saved, &saved.rows[7]).unwrap();
    assert_ne!(housing.verdict, Verdict::NotComputed);
    assert_eq!(housing.sites, in_person("Premier accueil social"));

    // Export to XLSX through the path field.
    let xlsx = dir.join("tableau_dispositifs.xlsx");
    let default_path = harness.state().schemes.path.clone();
    assert_eq!(
        default_path,
        dir.join("dispositifs.xlsx").display().to_string()
    );
    retype(
        &mut harness,
        Role::TextInput,
        &default_path,
        &xlsx.display().to_string(),
    );
    harness
        .get_by_role_and_label(Role::Button, "Exporter")
        .click();
    harness.run_steps(1);
    wait_status(&mut harness, "Tableau des dispositifs écrit");
    let mut book = open_workbook_auto(&xlsx).unwrap();
    let sheet = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&sheet).unwrap();
    let cells: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(Data::to_string).collect())
        .collect();
    assert_eq!(cells[0], HEADERS.map(String::from).to_vec());
    assert_eq!(cells.len(), 9, "l'en-tête et 8 dispositifs");
    let col = |h: &str| HEADERS.iter().position(|x| *x == h).unwrap();
    assert_eq!(cells[1][col("dispositif")], "SLIME (précarité énergétique)");
    assert_eq!(cells[1][col("couverture")], "peu couvert");
    assert_eq!(cells[1][col("difficultes")], typed);
    let share: f64 = cells[1][col("part_cible_au_dela_pct")].parse().unwrap();
    assert_eq!(format_number(share), slime[5]);
    let housing_line = cells
        .iter()
        .find(|r| r[col("dispositif")] == "Accompagnement vers le logement")
        .unwrap();
    assert_eq!(housing_line[col("theme")], "Premier accueil social");
    assert_eq!(
        housing_line[col("sites")],
        in_person("Premier accueil social").to_string()
    );

    // A row removed and another renamed in the window, then the exported table imported
    // again: every row and cell as exported, in the typed order.
    let before = harness.state().ws.file.schemes.clone().unwrap().rows;
    // The row's menu opens on its number (SLIME, 7th typed, first shown).
    harness
        .get_by_role_and_label(Role::Button, "7")
        .scroll_to_me();
    harness.run_steps(30);
    harness.get_by_role_and_label(Role::Button, "7").click();
    harness.run_steps(2);
    harness.get_by_label("Supprimer la ligne").click();
    harness.run_steps(2);
    assert_eq!(
        harness.state().ws.file.schemes.as_ref().unwrap().rows.len(),
        7
    );
    retype(
        &mut harness,
        Role::TextInput,
        "France Services",
        "France Services (renommé)",
    );
    assert_eq!(
        harness.state().ws.file.schemes.as_ref().unwrap().rows[0].name,
        "France Services (renommé)"
    );
    harness
        .get_by_role_and_label(Role::Button, "Importer")
        .click();
    harness.run_steps(2);
    assert_eq!(
        harness.state().status,
        format!(
            "8 dispositif(s) lus dans {} : enregistrez le projet pour les garder",
            xlsx.display()
        )
    );
    assert_eq!(
        harness.state().ws.file.schemes.as_ref().unwrap().rows,
        before
    );
    wait_computed(&mut harness);

    // A click on the SLIME row (its verdict, first of the list): its 3 in-person sites ringed
    // with their reach, and its uncovered communes outlined — those the library lists.
    harness
        .get_all_by_role_and_label(Role::Button, "peu couvert")
        .next()
        .unwrap()
        .click();
    harness.run_steps(3);
    let app = harness.state();
    assert_eq!(app.schemes.selected, Some(6));
    let fp = app
        .schemes
        .footprint(&app.ws)
        .expect("empreinte sur la carte");
    assert_eq!(fp.theme, "SLIME");
    assert_eq!(fp.sites.len(), in_person("SLIME"));
    assert_eq!(fp.sites.len(), 3);
    assert_eq!(fp.radius_m, 10_000.0);
    let slime_computed = compute_row(&p, &saved, &saved.rows[6]).unwrap();
    let zl = &app.ws.zones[fp.zones_layer.unwrap()];
    assert_eq!(zl.spec.id, "communes");
    let outlined: Vec<String> = fp.uncovered.iter().map(|&r| zl.zone_name(r)).collect();
    let listed: Vec<String> = slime_computed
        .uncovered
        .iter()
        .map(|u| u.0.clone())
        .collect();
    assert_eq!(outlined, listed);
    assert!(!outlined.is_empty());
    let caption = format!(
        "Sur la carte : 3 site(s) « SLIME » cerclé(s) avec leur portée de 10 km, {} zone(s) non \
         couverte(s) soulignée(s)",
        listed.len()
    );
    harness.get_by_label(&caption);
    harness.run_steps(2);
    // The computation time changes from run to run: masked in the snapshot; the text cursor
    // of the path field does not blink.
    harness
        .ctx
        .all_styles_mut(|s| s.visuals.text_cursor.blink = false);
    harness.run_steps(1);
    let mut time = harness
        .get_by_label_contains("couverture calculée pour")
        .rect();
    // « 434 ms » on a quiet machine, « 12345 ms » on a loaded one: mask the longest.
    time.max.x += 120.0;
    harness.mask(time);
    harness.snapshot("app_dispositifs_slime");

    // A second click on the row hides its footprint.
    harness
        .get_all_by_role_and_label(Role::Button, "peu couvert")
        .next()
        .unwrap()
        .click();
    harness.run_steps(2);
    assert!(
        harness
            .state()
            .schemes
            .footprint(&harness.state().ws)
            .is_none()
    );

    // The verdict's hover says which data and rule the cells come from.
    harness
        .get_all_by_role_and_label(Role::Button, "peu couvert")
        .next()
        .unwrap()
        .hover();
    harness.run_steps(40);
    harness.get_by_label(&slime_computed.source);
    harness.get_by_label("Ajouter un dispositif").hover();
    harness.run_steps(2);
    assert!(
        slime_computed
            .source
            .contains("cible « NB_MEN_PAUV » de la couche « communes » ; rayon 10 km")
    );

    // The rule changed in the window (5 km): the cells are computed again, and once saved
    // they are those of the library on the file.
    let radius = "Rayon d'accès (km) :";
    harness.get_by_label(radius).focus();
    harness.run_steps(1);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.run_steps(1);
    harness.get_by_label(radius).type_text("5");
    harness.run_steps(1);
    harness.key_press(egui::Key::Enter);
    harness.run_steps(2);
    assert_eq!(
        harness.state().ws.file.schemes.as_ref().unwrap().radius_km,
        5.0
    );
    harness.get_by_label("Cible au-delà de 5 km (%)");
    wait_computed(&mut harness);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    harness.run_steps(2);
    assert_eq!(spec_on_disk(&project).radius_km, 5.0);
    check_against_disk(&harness, &project);

    // The data changed: without the service layer, the cells say why they are not computed.
    let services = harness
        .state()
        .ws
        .points
        .iter()
        .position(|p| p.spec.id == "services")
        .unwrap();
    harness
        .state_mut()
        .send(Command::Remove(LayerRef::Points(services)));
    harness.run_steps(2);
    wait_computed(&mut harness);
    harness.get_by_label_contains("couche de points « services » absente du projet");
    let app = harness.state();
    assert!(
        app.schemes
            .cells(&app.ws)
            .iter()
            .all(|c| c.unwrap().is_err())
    );
}

#[test]
fn rows_are_added_moved_and_removed_by_commands_and_the_shown_row_follows() {
    use cartosol::app::schemes::{SchemesCommand as C, SchemesState};
    use cartosol::app::state::{Progress, Workspace};
    let mut ws = Workspace::load(
        &cartosol::bundled::find_sample_project().unwrap(),
        &Progress::default(),
    )
    .unwrap();
    let mut st = SchemesState::default();
    let names = |ws: &Workspace| -> Vec<String> {
        ws.file
            .schemes
            .as_ref()
            .unwrap()
            .rows
            .iter()
            .map(|r| r.name.clone())
            .collect()
    };
    let first = names(&ws);
    assert_eq!(first.len(), 8);
    st.apply(&mut ws, C::Select(Some(6)), || {});
    st.apply(&mut ws, C::AddRow, || {});
    assert_eq!(names(&ws)[8], "Nouveau dispositif");
    assert_eq!(ws.file.schemes.as_ref().unwrap().rows[8].theme, "");
    // SLIME (7th) moved up: it is 6th, and still the row shown.
    st.apply(&mut ws, C::MoveRow(6, -1), || {});
    assert_eq!(names(&ws)[5], "SLIME (précarité énergétique)");
    assert_eq!(names(&ws)[6], "Médiation numérique");
    assert_eq!(st.selected, Some(5));
    // Out of range: nothing moves.
    st.apply(&mut ws, C::MoveRow(0, -1), || {});
    st.apply(&mut ws, C::MoveRow(8, 1), || {});
    assert_eq!(names(&ws)[0], first[0]);
    assert_eq!(names(&ws)[8], "Nouveau dispositif");
    // A row above removed: the shown row keeps its scheme; the shown row removed: none shown.
    st.apply(&mut ws, C::RemoveRow(0), || {});
    assert_eq!(st.selected, Some(4));
    assert_eq!(names(&ws)[4], "SLIME (précarité énergétique)");
    st.apply(&mut ws, C::RemoveRow(4), || {});
    assert_eq!(st.selected, None);
    assert_eq!(names(&ws).len(), 7);
    // A rule out of range is not taken.
    let rule = |radius_km: f64, max_share_beyond_pct: f64| {
        C::SetRule(cartosol::app::schemes::SchemesRule {
            zones_layer: "communes".into(),
            target_field: "NB_MEN_PAUV".into(),
            radius_km,
            max_share_beyond_pct,
        })
    };
    st.apply(&mut ws, rule(-3.0, 150.0), || {});
    assert_eq!(ws.file.schemes.as_ref().unwrap().radius_km, 10.0);
    assert_eq!(ws.file.schemes.as_ref().unwrap().max_share_beyond_pct, 10.0);
    st.apply(&mut ws, rule(7.5, 25.0), || {});
    assert_eq!(ws.file.schemes.as_ref().unwrap().radius_km, 7.5);
    assert_eq!(ws.file.schemes.as_ref().unwrap().max_share_beyond_pct, 25.0);
    // An import that fails says so, in French, with the file, and changes nothing.
    let missing = std::env::temp_dir().join("cartosol-absent-dispositifs.xlsx");
    let e = st
        .apply(&mut ws, C::Import(missing.clone()), || {})
        .unwrap()
        .unwrap_err();
    assert!(
        e.starts_with("Tableau des dispositifs non importé : "),
        "{e}"
    );
    assert!(e.contains("cartosol-absent-dispositifs.xlsx"), "{e}");
    assert_eq!(names(&ws).len(), 7);
}
