//! The welcome screen (issue 13): started with no project, the app offers to open one, the
//! bundled Essonne sample (found wherever the app is installed, never in the current folder),
//! a new project from files, and the user's recent projects.

mod common;

use cartosol::app::basemap::BasemapChoice;
use cartosol::app::{AppOptions, CartoSolApp};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::path::Path;

fn app_without_project(data_dir: &Path) -> Harness<'static, CartoSolApp> {
    common::app_with(
        AppOptions {
            open: None,
            basemap: BasemapChoice::None,
            load_now: true,
            tile_cache: common::temp_dir("app-welcome-tuiles"),
            data_dir: data_dir.to_path_buf(),
        },
        1200.0,
        800.0,
    )
}

#[test]
fn with_no_project_the_welcome_screen_opens_the_sample_and_lists_the_users_projects() {
    let data_dir = common::temp_dir("app-welcome-donnees");
    let mut harness = app_without_project(&data_dir);
    harness.get_by_label("Bienvenue dans CartoSol");
    harness.get_by_label("Nouveau projet à partir de fichiers…");
    assert_eq!(
        harness.query_all_by_label("Projets récents").count(),
        0,
        "no recent project yet"
    );
    harness.get_by_label("Projet d'exemple (Essonne)").click();
    for _ in 0..200 {
        harness.run_steps(1);
        if !harness.state().ws.zones.is_empty() && !harness.state().loading() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    harness.run_steps(2);
    assert_eq!(harness.state().ws.zones.len(), 2, "the sample is open");
    assert!(
        harness
            .query_all_by_label("Bienvenue dans CartoSol")
            .next()
            .is_none(),
        "the welcome screen is gone"
    );
    drop(harness);
    // The bundled sample is not a recent project (it has its button; opening it writes nothing).
    let harness = app_without_project(&data_dir);
    assert_eq!(harness.query_all_by_label("Projets récents").count(), 0);
    drop(harness);

    // A project of the user's, opened once, is listed at the next start.
    let dir = common::temp_dir("app-welcome-projet");
    let sample = cartosol::bundled::find_sample_project().unwrap();
    std::fs::copy(
        sample.parent().unwrap().join("essonne/epci.geojson"),
        dir.join("epci.geojson"),
    )
    .unwrap();
    let project = dir.join("mon_diagnostic.cartosol.json");
    std::fs::write(
        &project,
        r#"{"cartosol":1,"title":"Mon diagnostic","zones":[{"id":"epci","name":"EPCI","source":"epci.geojson","code_field":"CODE_SIREN","name_field":"NOM"}],"map":{"zones":"epci","indicator":"POPULATION_91"}}"#,
    )
    .unwrap();
    let mut harness = app_without_project(&data_dir);
    harness
        .state_mut()
        .send(cartosol::app::Command::Open(project));
    for _ in 0..200 {
        harness.run_steps(1);
        if !harness.state().ws.zones.is_empty() && !harness.state().loading() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    drop(harness);
    let harness = app_without_project(&data_dir);
    harness.get_by_label("Projets récents");
    harness.get_by_label("mon_diagnostic.cartosol.json");
}
