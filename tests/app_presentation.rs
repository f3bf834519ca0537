//! Committee mode on the real app (egui_kittest): the sample's views deleted and three views
//! saved through commands, stored in the project (saved to a temporary copy and read back),
//! then the presentation entered with F5, paged with Page Down / → / Page Up, each view's title and legend checked, and left
//! with Escape. A snapshot of a view in presentation was looked at.

mod common;

use cartosol::app::basemap::BasemapChoice;
use cartosol::app::presentation::ViewCommand;
use cartosol::app::{CartoSolApp, Command};
use cartosol::dictionary::label_of;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

const TITLE: &str =
    "Essonne — besoins sociaux et offre de services (données de pauvreté et services FICTIFS)";

fn send(harness: &mut Harness<'static, CartoSolApp>, c: Command) {
    harness.state_mut().send(c);
    harness.run_steps(3);
}

fn layer(harness: &Harness<'static, CartoSolApp>, id: &str) -> usize {
    harness
        .state()
        .ws
        .zones
        .iter()
        .position(|z| z.spec.id == id)
        .unwrap()
}

fn row_of(harness: &Harness<'static, CartoSolApp>, layer: usize, code: &str) -> usize {
    let z = &harness.state().ws.zones[layer];
    let f = z.layer.attributes.field_index(&z.spec.code_field).unwrap();
    (0..z.layer.len())
        .find(|&r| z.layer.attributes.text(f, r).as_deref() == Some(code))
        .unwrap()
}

/// The label the project's dictionary gives an indicator (the legend's title).
fn label(harness: &Harness<'static, CartoSolApp>, code: &str) -> String {
    label_of(&harness.state().ws.file.dictionary, code).to_owned()
}

/// Asserts that some widget has exactly this text (the legend's title may also head the
/// figures panel: several are fine).
fn shown(harness: &Harness<'static, CartoSolApp>, text: &str) {
    assert!(
        harness.query_all_by_label(text).next().is_some(),
        "« {text} » absent de l'écran"
    );
}

#[test]
fn present_the_saved_views_with_the_keys() {
    let mut harness = common::app_sized(BasemapChoice::None, "presentation", 1280.0, 720.0);
    // The sample ships with committee views: start from none, through commands.
    while !harness.state().ws.file.views.is_empty() {
        send(&mut harness, Command::Views(ViewCommand::Delete(0)));
    }
    let epci = layer(&harness, "epci");
    let communes = layer(&harness, "communes");

    // View 1: the EPCI's poverty rate, as the sample opens.
    send(
        &mut harness,
        Command::SetIndicator {
            layer: epci,
            indicator: "TP60".into(),
        },
    );
    send(
        &mut harness,
        Command::Views(ViewCommand::Save("Essonne par EPCI".into())),
    );
    // View 2: the communes, Évry-Courcouronnes selected and framed.
    send(
        &mut harness,
        Command::SetIndicator {
            layer: communes,
            indicator: "TP60".into(),
        },
    );
    let evry = row_of(&harness, communes, "91228");
    send(
        &mut harness,
        Command::SelectZone {
            target: Some((communes, evry)),
            frame: true,
        },
    );
    send(
        &mut harness,
        Command::Views(ViewCommand::Save("Évry".into())),
    );
    // View 3: single-parent families in the communes, 4 classes, nothing selected.
    send(
        &mut harness,
        Command::SetIndicator {
            layer: communes,
            indicator: "PART_FAM_MONO".into(),
        },
    );
    send(&mut harness, Command::SetClasses(4));
    send(
        &mut harness,
        Command::SelectZone {
            target: None,
            frame: false,
        },
    );
    send(&mut harness, Command::FrameAll);
    send(
        &mut harness,
        Command::Views(ViewCommand::Save("Familles monoparentales".into())),
    );
    // Rename, reorder, update and delete go through commands too.
    send(
        &mut harness,
        Command::Views(ViewCommand::Save("Brouillon".into())),
    );
    send(
        &mut harness,
        Command::Views(ViewCommand::Rename(3, "Brouillon 2".into())),
    );
    send(&mut harness, Command::Views(ViewCommand::Move(3, -1)));
    let names: Vec<String> = harness
        .state()
        .ws
        .file
        .views
        .iter()
        .map(|v| v.name.clone())
        .collect();
    assert_eq!(
        names,
        [
            "Essonne par EPCI",
            "Évry",
            "Brouillon 2",
            "Familles monoparentales"
        ]
    );
    send(&mut harness, Command::Views(ViewCommand::Delete(2)));
    {
        let views = &harness.state().ws.file.views;
        assert_eq!(views.len(), 3);
        assert_eq!(views[1].selection.as_deref(), Some("91228"));
        assert_eq!(views[1].zones.as_deref(), Some("communes"));
        assert_eq!(views[2].indicator.as_deref(), Some("PART_FAM_MONO"));
        assert_eq!(views[2].classification.as_ref().map(|c| c.classes), Some(4));
        assert_eq!(views[0].zones.as_deref(), Some("epci"));
    }

    // The views are stored in the project: saved to a temporary copy and read back.
    let dir = common::temp_dir("presentation-projet");
    let copy = dir.join("comite.cartosol.json");
    send(&mut harness, Command::SaveAs(copy.clone()));
    let read = cartosol::project::open_project(&copy).unwrap();
    let names: Vec<&str> = read.file.views.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(
        names,
        ["Essonne par EPCI", "Évry", "Familles monoparentales"]
    );

    // Enter with F5: no editing panel, the title, the banner, the first view and its legend.
    harness.key_press(egui::Key::F5);
    harness.run_steps(4);
    assert!(harness.state().presentation.on);
    assert!(
        harness.query_by_label("Fichier").is_none(),
        "menus visibles en présentation"
    );
    shown(&harness, TITLE);
    harness.get_by_label_contains("Données FICTIVES");
    shown(&harness, "Essonne par EPCI");
    shown(&harness, "— vue 1 / 3");
    let tp60 = label(&harness, "TP60");
    shown(&harness, &tp60);
    assert_eq!(harness.state().ws.file.map.zones, "epci");

    // Page Down: Évry, on the communes, with its key figures.
    harness.key_press(egui::Key::PageDown);
    harness.run_steps(4);
    shown(&harness, "Évry");
    shown(&harness, "— vue 2 / 3");
    shown(&harness, &tp60);
    shown(&harness, "Chiffres clés : Évry-Courcouronnes");
    assert_eq!(harness.state().selected_zone, Some((communes, evry)));
    assert_eq!(harness.state().ws.file.map.zones, "communes");
    harness.run_steps(4);
    // The frame time changes from run to run: masked in the snapshot (checked below).
    let time = harness.get_by_label_contains("ms de calcul").rect();
    harness.mask(time);
    harness.snapshot("presentation_vue_evry");

    // → : the third view's legend (4 classes of single-parent families).
    harness.key_press(egui::Key::ArrowRight);
    harness.run_steps(4);
    shown(&harness, "Familles monoparentales");
    shown(&harness, "— vue 3 / 3");
    shown(&harness, &label(&harness, "PART_FAM_MONO"));
    assert_eq!(harness.state().ws.file.map.classification.classes, 4);
    assert!(
        harness
            .query_by_label("Chiffres clés : Évry-Courcouronnes")
            .is_none()
    );
    // Page Down on the last view stays there.
    harness.key_press(egui::Key::PageDown);
    harness.run_steps(3);
    shown(&harness, "— vue 3 / 3");

    // Page Up twice: back to the first view, its indicator and layer restored.
    harness.key_press(egui::Key::PageUp);
    harness.run_steps(3);
    harness.key_press(egui::Key::PageUp);
    harness.run_steps(4);
    shown(&harness, "— vue 1 / 3");
    assert_eq!(harness.state().ws.file.map.zones, "epci");
    assert_eq!(harness.state().ws.file.map.indicator, "TP60");

    // Hover stays live: the pointer over the map's centre gives a tooltip of a zone.
    let centre = harness.state().map_out.view.unwrap().clip.center();
    harness.hover_at(centre);
    harness.run_steps(3);
    assert!(
        harness.state().map_out.hovered.is_some(),
        "survol inactif en présentation"
    );

    // Frame time, as the presentation measures it.
    let (mean, max) = (
        harness.state().presentation.frame_ms,
        harness.state().presentation.frame_max_ms,
    );
    println!("présentation : image {mean:.1} ms en moyenne, {max:.1} ms au plus (kittest, CPU)");

    // Escape leaves: the menus are back, the zoom factor restored.
    harness.key_press(egui::Key::Escape);
    harness.run_steps(4);
    assert!(!harness.state().presentation.on);
    shown(&harness, "Fichier");
    assert!(harness.state().status.starts_with("Présentation : image"));
    assert!((harness.ctx.zoom_factor() - 1.0).abs() < 1e-6);
}

#[test]
fn the_views_window_saves_reorders_renames_and_deletes() {
    let mut harness = common::app_sized(BasemapChoice::None, "vues", 1400.0, 900.0);
    let before: Vec<String> = harness
        .state()
        .ws
        .file
        .views
        .iter()
        .map(|v| v.name.clone())
        .collect();
    assert_eq!(before.len(), 3, "the sample's committee views");
    harness.get_by_label("Affichage").click();
    harness.run_steps(2);
    harness.get_by_label("Vues enregistrées…").click();
    harness.run_steps(3);
    // The sample's views are listed, numbered.
    shown(&harness, &format!("1. {}", before[0]));
    shown(&harness, &format!("3. {}", before[2]));
    // A new view from what the map shows.
    harness.state_mut().ui_state.views.new_name = "Vue du comité".into();
    harness.run_steps(2);
    harness.get_by_label("Enregistrer la vue courante").click();
    harness.run_steps(3);
    let names = |h: &Harness<'static, CartoSolApp>| -> Vec<String> {
        h.state()
            .ws
            .file
            .views
            .iter()
            .map(|v| v.name.clone())
            .collect()
    };
    assert_eq!(
        names(&harness).last().map(String::as_str),
        Some("Vue du comité")
    );
    let saved = harness.state().ws.file.views[3].clone();
    assert_eq!(saved.indicator.as_deref(), Some("TP60"));
    assert_eq!(saved.zones.as_deref(), Some("epci"));
    shown(&harness, "4. Vue du comité");
    // Up one place: it becomes the third.
    harness
        .get_all_by_label("Plus haut")
        .nth(3)
        .unwrap()
        .click();
    harness.run_steps(3);
    assert_eq!(names(&harness)[2], "Vue du comité");
    // Deleted: the sample's views are back as they were.
    harness
        .get_all_by_label("Supprimer")
        .nth(2)
        .unwrap()
        .click();
    harness.run_steps(3);
    assert_eq!(names(&harness), before);
    harness.snapshot("vues_enregistrees");
}
