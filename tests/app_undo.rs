//! Undo and redo (issue 13), on the real app (egui_kittest): removing a layer, changing the
//! classification and applying a join are undone back to exactly the project as it was (its
//! JSON compared, and the layer's data) and redone back to the changed project; moving the
//! map is no step; a slider dragged or a cell typed over several frames is one step; opening
//! another project clears the history; the *Édition* menu names the change and greys what
//! cannot be done (a snapshot of it open was looked at).

mod common;

use cartosol::app::basemap::BasemapChoice;
use cartosol::app::dialogs::PendingJoin;
use cartosol::app::state::LayerRef;
use cartosol::app::{AppOptions, CartoSolApp, Command};
use cartosol::project::{TableSpec, project_json};
use cartosol::style::ClassMethod;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use std::path::{Path, PathBuf};

/// The project as it would be saved, without the map's current view (which no step holds).
fn json(harness: &mut Harness<'static, CartoSolApp>) -> String {
    let app = harness.state_mut();
    app.ws.sync_file();
    let mut file = app.ws.file.clone();
    file.map.view = None;
    project_json(&file).unwrap()
}

/// Index of the zone layer `id` in the workspace.
fn zone(harness: &Harness<'static, CartoSolApp>, id: &str) -> Option<usize> {
    harness
        .state()
        .ws
        .zones
        .iter()
        .position(|z| z.spec.id == id)
}

/// The attributes of zone layer `id`: each field's name and values as text.
fn attributes(harness: &Harness<'static, CartoSolApp>, id: &str) -> Vec<(String, Vec<String>)> {
    let i = zone(harness, id).unwrap();
    harness.state().ws.zones[i]
        .layer
        .attributes
        .fields
        .iter()
        .map(|f| {
            (
                f.name.clone(),
                f.values.iter().map(|v| v.to_string()).collect(),
            )
        })
        .collect()
}

/// What the map shows: the classes' colours and the legend's rows.
fn classes(harness: &Harness<'static, CartoSolApp>) -> String {
    let c = harness.state().choropleth.as_ref().unwrap();
    format!("{:?} {:?} {:?}", c.indicator, c.colors, c.class_of)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// The app on a copy of the sample project (its sources can be deleted), loaded.
fn app_on_copy(name: &str) -> (Harness<'static, CartoSolApp>, PathBuf) {
    let sample = cartosol::bundled::find_sample_project().unwrap();
    let dir = common::temp_dir(name);
    copy_dir(sample.parent().unwrap(), &dir.join("projet"));
    let project = dir.join("projet").join(sample.file_name().unwrap());
    let harness = common::app_with(
        AppOptions {
            open: Some(project),
            basemap: BasemapChoice::None,
            load_now: true,
            tile_cache: common::temp_dir(&format!("{name}-tuiles")),
            data_dir: common::temp_dir(&format!("{name}-donnees")),
        },
        1400.0,
        900.0,
    );
    (harness, dir.join("projet"))
}

/// Whether the menu item `label` is greyed.
fn disabled(harness: &Harness<'static, CartoSolApp>, label: &str) -> bool {
    harness.get_by_label(label).accesskit_node().is_disabled()
}

fn ctrl(harness: &mut Harness<'static, CartoSolApp>, shift: bool, key: egui::Key) {
    let modifiers = if shift {
        egui::Modifiers::COMMAND | egui::Modifiers::SHIFT
    } else {
        egui::Modifiers::COMMAND
    };
    harness.key_press_modifiers(modifiers, key);
    harness.run_steps(3);
}

#[test]
fn undoing_a_layer_removal_brings_it_back_without_reading_its_sources() {
    let (mut harness, dir) = app_on_copy("annuler-retrait");
    let before = json(&mut harness);
    let epci_before = attributes(&harness, "epci");
    let classes_before = classes(&harness);
    assert!(!harness.state().history.can_undo());

    let epci = zone(&harness, "epci").unwrap();
    harness
        .state_mut()
        .send(Command::Remove(LayerRef::Zones(epci)));
    harness.run_steps(3);
    let removed = json(&mut harness);
    assert_ne!(removed, before);
    assert!(zone(&harness, "epci").is_none());
    // The map layer and the table joined to it went with the layer.
    assert!(!removed.contains("\"panorama_epci\""));
    assert_eq!(
        harness.state().history.undo_label(),
        Some("le retrait de la couche « EPCI de l'Essonne »")
    );

    // The sources are gone: the layer can only come back from what the history kept.
    std::fs::remove_file(dir.join("essonne").join("epci.geojson")).unwrap();
    std::fs::remove_file(dir.join("panorama_pauvrete_essonne_FICTIF.xlsx")).unwrap();

    ctrl(&mut harness, false, egui::Key::Z);
    assert_eq!(json(&mut harness), before);
    assert_eq!(attributes(&harness, "epci"), epci_before);
    assert_eq!(classes(&harness), classes_before);
    assert!(matches!(
        harness.state().ui_state.dialog,
        cartosol::app::dialogs::Dialog::None
    ));
    assert_eq!(harness.state().history.len(), (0, 1));

    // Ctrl+Maj+Z redoes, Ctrl+Z undoes again, Ctrl+Y redoes.
    ctrl(&mut harness, true, egui::Key::Z);
    assert_eq!(json(&mut harness), removed);
    assert!(zone(&harness, "epci").is_none());
    ctrl(&mut harness, false, egui::Key::Z);
    assert_eq!(json(&mut harness), before);
    assert_eq!(attributes(&harness, "epci"), epci_before);
    ctrl(&mut harness, false, egui::Key::Y);
    assert_eq!(json(&mut harness), removed);
    assert_eq!(harness.state().history.len(), (1, 0));
}

#[test]
fn undoing_a_classification_change_brings_back_the_classes() {
    let mut harness = common::app(BasemapChoice::None, "annuler-classes");
    let before = json(&mut harness);
    let classes_before = classes(&harness);
    let count_before = harness.state().choropleth.as_ref().unwrap().colors.len();
    // Two settings changed in the same frame are one step.
    harness.state_mut().send(Command::SetClasses(7));
    harness
        .state_mut()
        .send(Command::SetMethod(ClassMethod::EqualInterval));
    harness.run_steps(3);
    let changed = json(&mut harness);
    let classes_changed = classes(&harness);
    assert_ne!(changed, before);
    assert_eq!(harness.state().choropleth.as_ref().unwrap().colors.len(), 7);
    assert_ne!(count_before, 7);
    assert_eq!(harness.state().history.len(), (1, 0));

    // Through the menu, as a user would.
    harness.get_by_label("Édition").click();
    harness.run_steps(2);
    harness
        .get_by_label("Annuler le changement de classification (Ctrl+Z)")
        .click();
    harness.run_steps(3);
    assert_eq!(json(&mut harness), before);
    assert_eq!(classes(&harness), classes_before);
    assert_eq!(
        harness.state().choropleth.as_ref().unwrap().colors.len(),
        count_before
    );

    harness.get_by_label("Édition").click();
    harness.run_steps(2);
    harness
        .get_by_label("Rétablir le changement de classification (Ctrl+Maj+Z)")
        .click();
    harness.run_steps(3);
    assert_eq!(json(&mut harness), changed);
    assert_eq!(classes(&harness), classes_changed);
}

#[test]
fn undoing_a_join_removes_its_columns_and_redo_brings_them_back() {
    let (mut harness, dir) = app_on_copy("annuler-jointure");
    let before = json(&mut harness);
    let communes_before = attributes(&harness, "communes");
    let layer = zone(&harness, "communes").unwrap();
    // The join the import wizard would apply: the panorama's CSV on the communes.
    let csv = dir.join("panorama_pauvrete_essonne_FICTIF_COM.csv");
    let table = cartosol::table::load_table(&csv, &Default::default()).unwrap();
    let result = cartosol::join::join(
        &harness.state().ws.zones[layer].layer.attributes,
        Some("INSEE_COM"),
        &table.table,
        Some("CODGEO"),
        None,
    )
    .unwrap();
    let added = result.columns.len();
    assert!(added > 5);
    let spec = TableSpec {
        id: "panorama_csv".to_owned(),
        source: csv.clone(),
        options: Default::default(),
        code_field: "CODGEO".to_owned(),
        join_to: "communes".to_owned(),
        code_kind: Some(result.report.kind),
        ratios: Vec::new(),
    };
    harness
        .state_mut()
        .send(Command::ApplyJoin(Box::new(PendingJoin {
            layer,
            result,
            spec,
        })));
    harness.run_steps(3);
    let joined = json(&mut harness);
    let communes_joined = attributes(&harness, "communes");
    assert_eq!(communes_joined.len(), communes_before.len() + added);
    assert!(joined.contains("\"panorama_csv\""));
    assert_eq!(
        harness.state().history.undo_label(),
        Some("la jointure de la table « panorama_csv »")
    );
    // Neither the table nor the layers are read again by undo or redo.
    std::fs::remove_file(&csv).unwrap();
    std::fs::remove_file(dir.join("essonne").join("communes.geojson")).unwrap();

    ctrl(&mut harness, false, egui::Key::Z);
    assert_eq!(json(&mut harness), before);
    assert_eq!(attributes(&harness, "communes"), communes_before);
    assert_eq!(harness.state().ws.joins.len(), 2);

    ctrl(&mut harness, true, egui::Key::Z);
    assert_eq!(json(&mut harness), joined);
    assert_eq!(attributes(&harness, "communes"), communes_joined);
    assert_eq!(harness.state().ws.joins.len(), 3);
}

#[test]
fn moving_the_map_is_no_step() {
    let mut harness = common::app(BasemapChoice::None, "annuler-vue");
    // Framing (Début), zooming, selecting a zone: the view and the selection change, the
    // project does not.
    harness.key_press(egui::Key::Home);
    harness.run_steps(3);
    let _ = harness.state_mut().map_memory.set_zoom(12.0);
    harness.run_steps(3);
    harness.state_mut().send(Command::SelectZone {
        target: Some((0, 3)),
        frame: true,
    });
    harness.run_steps(5);
    assert!(harness.state().history.is_empty());
    let before = json(&mut harness);
    let zoom = harness.state().map_memory.zoom();
    // Nothing to undo: Ctrl+Z changes nothing, the map stays where it is.
    ctrl(&mut harness, false, egui::Key::Z);
    assert_eq!(json(&mut harness), before);
    assert_eq!(harness.state().map_memory.zoom(), zoom);
    harness.get_by_label("Édition").click();
    harness.run_steps(2);
    assert!(disabled(&harness, "Annuler (Ctrl+Z)"));
    assert!(disabled(&harness, "Rétablir (Ctrl+Maj+Z)"));
}

#[test]
fn the_edit_menu_names_the_change_and_greys_what_cannot_be_done() {
    let mut harness = common::app(BasemapChoice::None, "annuler-menu");
    let mairies = harness
        .state()
        .ws
        .points
        .iter()
        .position(|p| p.spec.id == "mairies")
        .unwrap();
    harness.state_mut().send(Command::Rename(
        LayerRef::Points(mairies),
        "Mairies de l'Essonne".to_owned(),
    ));
    harness.run_steps(3);
    harness.get_by_label("Édition").click();
    harness.run_steps(2);
    assert!(!disabled(
        &harness,
        "Annuler le renommage de « Mairies » (Ctrl+Z)"
    ));
    assert!(disabled(&harness, "Rétablir (Ctrl+Maj+Z)"));
    harness.snapshot("app_menu_edition");
    harness
        .get_by_label("Annuler le renommage de « Mairies » (Ctrl+Z)")
        .click();
    harness.run_steps(3);
    harness.get_by_label("Édition").click();
    harness.run_steps(2);
    assert!(disabled(&harness, "Annuler (Ctrl+Z)"));
    assert!(!disabled(
        &harness,
        "Rétablir le renommage de « Mairies » (Ctrl+Maj+Z)"
    ));
}

#[test]
fn a_slider_dragged_over_several_frames_is_one_step() {
    let mut harness = common::app(BasemapChoice::None, "annuler-curseur");
    let before = json(&mut harness);
    let layer = harness.state().ws.order[0];
    let opacity = harness.state().ws.style(layer).unwrap().opacity;
    let rect = harness.get_all_by_label("Opacité").next().unwrap().rect();
    let (from, to) = (rect.center(), rect.left_center() + egui::vec2(10.0, 0.0));
    let button = |pressed: bool, pos: egui::Pos2| egui::Event::PointerButton {
        pos,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: egui::Modifiers::NONE,
    };
    harness.event(egui::Event::PointerMoved(from));
    harness.run_steps(1);
    harness.event(button(true, from));
    harness.run_steps(1);
    for k in 1..=5 {
        harness.event(egui::Event::PointerMoved(from.lerp(to, k as f32 / 5.0)));
        harness.run_steps(1);
    }
    // Still held: the opacity follows, no step yet.
    assert_ne!(harness.state().ws.style(layer).unwrap().opacity, opacity);
    assert!(harness.state().history.is_empty());
    harness.event(button(false, to));
    harness.run_steps(2);
    let dragged = json(&mut harness);
    assert_ne!(dragged, before);
    assert_eq!(harness.state().history.len(), (1, 0));
    let name = harness.state().ws.layer_name(layer);
    assert_eq!(
        harness.state().history.undo_label(),
        Some(format!("l'opacité de « {name} »").as_str())
    );
    ctrl(&mut harness, false, egui::Key::Z);
    assert_eq!(json(&mut harness), before);
    assert_eq!(harness.state().ws.style(layer).unwrap().opacity, opacity);
}

#[test]
fn a_schemes_cell_typed_over_several_frames_is_one_step() {
    let mut harness = common::app(BasemapChoice::None, "annuler-dispositifs");
    let before = json(&mut harness);
    harness.get_by_label("Affichage").click();
    harness.run_steps(2);
    harness.get_by_label("Tableau des dispositifs").click();
    harness.run_steps(2);
    // The rows show once their cells are computed.
    for _ in 0..600 {
        harness.run_steps(1);
        let app = harness.state();
        if !app.schemes.computing() && app.schemes.cells(&app.ws).iter().all(Option::is_some) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    harness.run_steps(2);
    let name = |text: &'static str| {
        move |n: &egui_kittest::kittest::AccessKitNode<'_>| {
            n.role() == egui::accesskit::Role::TextInput && n.value().is_some_and(|v| v == text)
        }
    };
    harness
        .get_by(name("SLIME (précarité énergétique)"))
        .focus();
    harness.run_steps(1);
    harness.key_press(egui::Key::End);
    harness.run_steps(1);
    // Typed over several frames: the project changes at each, the step waits for the end.
    harness
        .get_by(name("SLIME (précarité énergétique)"))
        .type_text(" —");
    harness.run_steps(1);
    harness
        .get_by(name("SLIME (précarité énergétique) —"))
        .type_text(" Essonne");
    harness.run_steps(2);
    let typed = json(&mut harness);
    assert!(typed.contains("SLIME (précarité énergétique) — Essonne"));
    assert!(harness.state().history.is_empty());
    // Leaving the field (a click on the menu) ends the typing: one step.
    harness.get_by_label("Édition").click();
    harness.run_steps(2);
    assert_eq!(harness.state().history.len(), (1, 0));
    harness
        .get_by_label("Annuler la modification du tableau des dispositifs (Ctrl+Z)")
        .click();
    harness.run_steps(3);
    assert_eq!(json(&mut harness), before);
    ctrl(&mut harness, true, egui::Key::Z);
    assert_eq!(json(&mut harness), typed);
}

#[test]
fn opening_another_project_clears_the_history() {
    let mut harness = common::app(BasemapChoice::None, "annuler-ouverture");
    harness.state_mut().send(Command::SetClasses(6));
    harness.run_steps(3);
    assert!(harness.state().history.can_undo());
    let sample = cartosol::bundled::find_sample_project().unwrap();
    harness.state_mut().send(Command::Open(sample));
    common::wait_until(&mut harness, |app| !app.loading());
    harness.run_steps(2);
    assert!(!harness.state().loading());
    assert!(harness.state().history.is_empty());
    assert_eq!(harness.state().ws.file.map.classification.classes, 5);
}

#[test]
fn a_layer_dropped_outside_the_commands_is_read_again_to_undo() {
    // A removal that does not go through `Command::Remove` leaves the history without the
    // layer's data: undo reads it again through the loading path, to the same state.
    let mut harness = common::app(BasemapChoice::None, "annuler-relecture");
    let before = json(&mut harness);
    let communes = attributes(&harness, "communes");
    let i = zone(&harness, "communes").unwrap();
    harness.state_mut().ws.remove(LayerRef::Zones(i));
    harness.run_steps(3);
    assert!(zone(&harness, "communes").is_none());
    assert!(harness.state().history.can_undo());
    ctrl(&mut harness, false, egui::Key::Z);
    assert!(matches!(
        harness.state().ui_state.dialog,
        cartosol::app::dialogs::Dialog::None
    ));
    assert_eq!(json(&mut harness), before);
    assert_eq!(attributes(&harness, "communes"), communes);
}

#[test]
fn the_history_keeps_the_last_hundred_steps_and_a_new_change_drops_the_redo() {
    let mut harness = common::app(BasemapChoice::None, "annuler-cent");
    for k in 0..105 {
        harness
            .state_mut()
            .send(Command::SetClasses(if k % 2 == 0 { 7 } else { 5 }));
        harness.run_steps(1);
    }
    assert_eq!(
        harness.state().history.len(),
        (cartosol::app::history::MAX_STEPS, 0)
    );
    ctrl(&mut harness, false, egui::Key::Z);
    ctrl(&mut harness, false, egui::Key::Z);
    assert_eq!(harness.state().history.len(), (98, 2));
    harness
        .state_mut()
        .send(Command::SetPalette("Blues".to_owned()));
    harness.run_steps(2);
    assert_eq!(harness.state().history.len(), (99, 0));
    assert!(!harness.state().history.can_redo());
}

#[test]
fn an_added_layer_is_undone_and_redone_without_reading_its_file_again() {
    let mut harness = common::app(BasemapChoice::None, "annuler-ajout");
    let before = json(&mut harness);
    let dir = common::temp_dir("annuler-ajout-fichier");
    let file = dir.join("communes_t3.geojson");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("sample_data/communes_essonne_T3_FICTIF.geojson"),
        &file,
    )
    .unwrap();
    harness.state_mut().send(Command::AddFile(file.clone()));
    common::wait_until(&mut harness, |app| !app.loading());
    harness.run_steps(2);
    let added = json(&mut harness);
    let layer = attributes(&harness, "communes_t3");
    assert!(!layer.is_empty());
    assert_eq!(
        harness.state().history.undo_label(),
        Some("l'ajout de la couche « communes_t3.geojson »")
    );
    std::fs::remove_file(&file).unwrap();
    ctrl(&mut harness, false, egui::Key::Z);
    assert_eq!(json(&mut harness), before);
    assert!(zone(&harness, "communes_t3").is_none());
    ctrl(&mut harness, false, egui::Key::Y);
    assert_eq!(json(&mut harness), added);
    assert_eq!(attributes(&harness, "communes_t3"), layer);
}

#[test]
fn hidden_themes_renames_and_repairs_come_back_exactly() {
    let (mut harness, dir) = app_on_copy("annuler-styles");
    let before = json(&mut harness);
    let services = harness
        .state()
        .ws
        .points
        .iter()
        .position(|p| p.spec.id == "services")
        .unwrap();
    let visible = |h: &Harness<'static, CartoSolApp>| -> Vec<bool> {
        h.state().ws.points[services]
            .themes
            .iter()
            .map(|t| t.visible)
            .collect()
    };
    let shown = visible(&harness);
    let outlines = |h: &Harness<'static, CartoSolApp>| {
        let i = zone(h, "communes").unwrap();
        h.state().ws.zones[i].layer.geometries.clone()
    };
    let read = outlines(&harness);
    harness.state_mut().send(Command::ToggleTheme {
        layer: services,
        theme: 1,
    });
    harness.run_steps(2);
    assert_eq!(
        harness.state().history.undo_label(),
        Some("l'affichage des thèmes")
    );
    let communes = zone(&harness, "communes").unwrap();
    harness.state_mut().send(Command::Rename(
        LayerRef::Zones(communes),
        "Villes".to_owned(),
    ));
    harness.run_steps(2);
    harness
        .state_mut()
        .send(Command::RepairGeometries(communes));
    harness.run_steps(2);
    assert_eq!(harness.state().history.len(), (3, 0));
    let changed = json(&mut harness);
    let hidden = visible(&harness);
    assert_ne!(hidden, shown);
    // Undoing the repair brings back the outlines as first read, with no source left to read.
    std::fs::remove_file(dir.join("essonne").join("communes.geojson")).unwrap();
    for _ in 0..3 {
        ctrl(&mut harness, false, egui::Key::Z);
    }
    assert_eq!(json(&mut harness), before);
    assert_eq!(visible(&harness), shown);
    assert!(outlines(&harness) == read);
    assert_eq!(
        harness.state().ws.layer_name(LayerRef::Zones(communes)),
        "Communes de l'Essonne"
    );
    for _ in 0..3 {
        ctrl(&mut harness, true, egui::Key::Z);
    }
    assert_eq!(json(&mut harness), changed);
    assert_eq!(visible(&harness), hidden);
    assert_eq!(
        harness.state().ws.layer_name(LayerRef::Zones(communes)),
        "Villes"
    );
}
