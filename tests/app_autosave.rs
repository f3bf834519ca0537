//! Autosave in the right place and at the right time (issue 13), on the real app (egui_kittest):
//! panning the bundled sample for two minutes writes nothing anywhere and the next start asks
//! nothing; a real change to a project is autosaved into the user's data folder (never beside
//! the project), offered at the next start and restored with its layers; Ctrl+S on the
//! read-only sample opens *Enregistrer sous* with a French message.
//!
//! Each test passes its own temporary data folder through `AppOptions::data_dir` (no
//! environment variable: they are shared by the tests of a process).

mod common;

use cartosol::app::basemap::BasemapChoice;
use cartosol::app::dialogs::Dialog;
use cartosol::app::{AppOptions, CartoSolApp, Command};
use cartosol::project::{ProjectFile, autosave_path, open_project};

fn sample_project_path() -> std::path::PathBuf {
    cartosol::bundled::find_sample_project().unwrap()
}
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::path::{Path, PathBuf};

/// Seconds of app time per frame to let minutes pass: two minutes in 60 frames.
const LONG_STEP: f32 = 2.0;
/// Seconds of app time per frame to click: each event is a frame, and a press held longer
/// than egui's click duration is no click.
const SHORT_STEP: f32 = 0.05;

/// The app on `open` with the data folder `data_dir`, loaded and drawn a few frames; each
/// frame advances the app's clock by `step_seconds`.
fn app_on(
    open: PathBuf,
    data_dir: PathBuf,
    cache: &str,
    step_seconds: f32,
) -> Harness<'static, CartoSolApp> {
    let tile_cache = common::temp_dir(cache);
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .with_theme(egui::Theme::Light)
        .with_step_dt(step_seconds)
        .wgpu()
        .build_eframe(move |cc| {
            CartoSolApp::new(
                &cc.egui_ctx,
                AppOptions {
                    open: Some(open),
                    basemap: BasemapChoice::None,
                    load_now: true,
                    tile_cache,
                    data_dir,
                },
            )
        });
    harness.run_steps(4);
    harness
}

/// Every file under `dir` (relative paths, sorted), with its size and modification time.
fn files_under(dir: &Path) -> Vec<(PathBuf, u64, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let meta = std::fs::metadata(&path).unwrap();
                out.push((
                    path.strip_prefix(dir).unwrap().to_path_buf(),
                    meta.len(),
                    meta.modified().unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

/// Drags the map by `delta` points from the middle of the window, over a few frames.
fn pan(harness: &mut Harness<'static, CartoSolApp>, delta: egui::Vec2) {
    let from = egui::pos2(700.0, 480.0);
    harness.event(egui::Event::PointerMoved(from));
    harness.event(egui::Event::PointerButton {
        pos: from,
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers: Default::default(),
    });
    harness.run_steps(1);
    for i in 1..=4 {
        harness.event(egui::Event::PointerMoved(from + delta * (i as f32 / 4.0)));
        harness.run_steps(1);
    }
    harness.event(egui::Event::PointerButton {
        pos: from + delta,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: Default::default(),
    });
    harness.run_steps(1);
}

fn app_time(harness: &Harness<'static, CartoSolApp>) -> f64 {
    harness.ctx.input(|i| i.time)
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

#[test]
fn panning_the_sample_for_two_minutes_leaves_no_file_anywhere_and_no_recovery_prompt() {
    let sample = sample_project_path();
    let sample_dir = sample.parent().unwrap().to_path_buf();
    let before = files_under(&sample_dir);
    let data_dir = common::temp_dir("autosave-panoramique-donnees");
    let mut harness = app_on(
        sample.clone(),
        data_dir.clone(),
        "autosave-panoramique",
        LONG_STEP,
    );
    assert!(cartosol::app::export_ui::is_read_only(&sample));
    let start_view = harness.state().current_view().expect("a view");
    // Two minutes and more of panning, left and right, up and down.
    let mut n = 0;
    while app_time(&harness) < 130.0 {
        let d = match n % 4 {
            0 => egui::vec2(120.0, 0.0),
            1 => egui::vec2(0.0, 80.0),
            2 => egui::vec2(-100.0, 0.0),
            _ => egui::vec2(0.0, -60.0),
        };
        pan(&mut harness, d);
        n += 1;
    }
    let end_view = harness.state().current_view().expect("a view");
    assert!(
        (end_view.lon - start_view.lon).abs() > 1e-3
            || (end_view.lat - start_view.lat).abs() > 1e-3,
        "the map moved: {start_view:?} → {end_view:?}"
    );
    assert!(n >= 8, "{n} pans");
    // Nothing written: not beside the sample, not in the data folder.
    assert_eq!(files_under(&sample_dir), before);
    assert_eq!(files_under(&data_dir), Vec::new());
    drop(harness);

    // The next start opens the sample without a recovery prompt.
    let harness = app_on(
        sample,
        data_dir.clone(),
        "autosave-panoramique-2",
        LONG_STEP,
    );
    assert!(
        matches!(harness.state().ui_state.dialog, Dialog::None),
        "no dialog at the next start"
    );
    assert!(harness.query_by_label("Récupération").is_none());
    assert_eq!(files_under(&data_dir), Vec::new());
}

#[test]
fn a_real_change_is_autosaved_in_the_data_folder_and_restored_at_the_next_start() {
    let root = common::temp_dir("autosave-changement");
    let project_dir = root.join("etude");
    copy_dir(sample_project_path().parent().unwrap(), &project_dir);
    let project = project_dir.join("essonne.cartosol.json");
    let data_dir = root.join("donnees");
    let beside = files_under(&project_dir);
    let mut harness = app_on(
        project.clone(),
        data_dir.clone(),
        "autosave-changement-tuiles",
        LONG_STEP,
    );
    assert!(
        !cartosol::app::export_ui::is_read_only(&project),
        "a copy is writable"
    );
    let classes = harness.state().ws.file.map.classification.classes;
    let wanted = if classes == 7 { 6 } else { 7 };
    harness.state_mut().send(Command::SetClasses(wanted));
    harness.run_steps(2);
    assert_eq!(harness.state().ws.file.map.classification.classes, wanted);
    let auto = autosave_path(&project, &data_dir);
    // Nothing before the minute is up.
    assert!(app_time(&harness) < 60.0);
    assert!(!auto.exists());
    while app_time(&harness) < 62.0 {
        harness.run_steps(1);
    }
    assert!(
        auto.exists(),
        "autosaved after a minute: {}",
        auto.display()
    );
    assert_eq!(
        files_under(&project_dir),
        beside,
        "nothing written beside the project"
    );
    let autosaved = ProjectFile::read(&auto).expect("the autosave reads");
    assert_eq!(autosaved.map.classification.classes, wanted);
    // Written once: no new change, no new write.
    let written = std::fs::metadata(&auto).unwrap().modified().unwrap();
    while app_time(&harness) < 130.0 {
        harness.run_steps(1);
    }
    assert_eq!(
        std::fs::metadata(&auto).unwrap().modified().unwrap(),
        written
    );
    drop(harness); // as after a crash: the project was never saved

    // The next start offers the autosave; restoring brings back the change with its layers.
    let mut harness = app_on(
        project.clone(),
        data_dir.clone(),
        "autosave-changement-2",
        SHORT_STEP,
    );
    assert!(matches!(
        &harness.state().ui_state.dialog,
        Dialog::Recover(p) if *p == project
    ));
    harness.get_by_label_contains("Une sauvegarde automatique de");
    harness
        .get_by_label("Restaurer la sauvegarde automatique")
        .click();
    harness.run_steps(2);
    let app = harness.state();
    assert!(
        app.status.starts_with("Sauvegarde automatique restaurée"),
        "{}",
        app.status
    );
    assert!(matches!(app.ui_state.dialog, Dialog::None));
    assert_eq!(app.ws.file.map.classification.classes, wanted);
    assert_eq!(app.ws.path.as_deref(), Some(project.as_path()));
    assert_eq!((app.ws.zones.len(), app.ws.points.len()), (2, 2));
    assert!(app.choropleth.is_some());
    // Paths relative to the project's folder again, as a save writes them.
    let saved_sources = ProjectFile::read(&project).unwrap();
    assert_eq!(
        app.ws
            .file
            .zones
            .iter()
            .map(|z| z.source.clone())
            .collect::<Vec<_>>(),
        saved_sources
            .zones
            .iter()
            .map(|z| z.source.clone())
            .collect::<Vec<_>>()
    );

    // Ctrl+S saves the project in place and removes the autosave.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    harness.run_steps(2);
    assert!(!auto.exists(), "the save removes the autosave");
    let text = std::fs::read_to_string(&project).unwrap();
    assert!(
        !text.contains(root.to_str().unwrap()),
        "no absolute path: {text}"
    );
    let reopened = open_project(&project).expect("the saved project opens");
    assert_eq!(reopened.file.map.classification.classes, wanted);
    drop(harness);
    let harness = app_on(project, data_dir, "autosave-changement-3", SHORT_STEP);
    assert!(matches!(harness.state().ui_state.dialog, Dialog::None));
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn ctrl_s_on_the_read_only_sample_opens_save_as_with_a_french_message() {
    let sample = sample_project_path();
    let text_before = std::fs::read(&sample).unwrap();
    let data_dir = common::temp_dir("autosave-exemple-donnees");
    let mut harness = app_on(
        sample.clone(),
        data_dir.clone(),
        "autosave-exemple",
        SHORT_STEP,
    );
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    harness.run_steps(2);
    assert!(matches!(
        &harness.state().ui_state.dialog,
        Dialog::SaveAs(name) if name.ends_with("essonne.cartosol.json")
    ));
    harness.get_by_label("Enregistrer le projet sous");
    let status = harness.state().status.clone();
    assert!(
        status.contains("est en lecture seule (projet d'exemple fourni avec CartoSol, ou fichier protégé) : enregistrez une copie avec « Enregistrer sous »"),
        "{status}"
    );
    // Saving over the sample by its name is refused too.
    harness.state_mut().send(Command::SaveAs(sample.clone()));
    harness.run_steps(2);
    assert!(matches!(
        &harness.state().ui_state.dialog,
        Dialog::Error(e) if e.contains("lecture seule")
    ));
    assert_eq!(std::fs::read(&sample).unwrap(), text_before);

    // A change to the sample is autosaved in the data folder (keyed by the sample's path)...
    let classes = harness.state().ws.file.map.classification.classes;
    harness.state_mut().ui_state.dialog = Dialog::None;
    harness
        .state_mut()
        .send(Command::SetClasses(if classes == 7 { 6 } else { 7 }));
    harness.run_steps(1);
    let t = app_time(&harness);
    harness.input_mut().time = Some(t + 61.0);
    harness.run_steps(2);
    let auto = autosave_path(&sample, &data_dir);
    assert!(auto.exists(), "the sample's changes autosaved");
    assert_eq!(std::fs::read(&sample).unwrap(), text_before);

    // ...then a copy elsewhere becomes the project (the sample's autosave goes: its changes
    // are in the copy); Ctrl+S then saves the copy directly.
    let dir = common::temp_dir("autosave-exemple-copie");
    let copy = dir.join("essonne.cartosol.json");
    harness.state_mut().ui_state.dialog = Dialog::None;
    harness.state_mut().send(Command::SaveAs(copy.clone()));
    harness.run_steps(2);
    assert_eq!(harness.state().ws.path.as_deref(), Some(copy.as_path()));
    assert!(
        !auto.exists(),
        "the sample's autosave is removed with the save as"
    );
    open_project(&copy).expect("the copy opens, its sources found");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    harness.run_steps(2);
    assert!(matches!(harness.state().ui_state.dialog, Dialog::None));
    assert!(harness.state().status.starts_with("Projet enregistré"));
    assert_eq!(std::fs::read(&sample).unwrap(), text_before);
}
