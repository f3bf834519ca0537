//! Opening a project in the app layer by layer (issue 12 §4): the first zone layer is drawn
//! while the point layers are still to come, the status line says how far the opening is, the
//! layers come in the project's order, and an error in a late stage ends in the French error
//! dialog.

mod common;
mod fixtures;

use cartosol::app::basemap::BasemapChoice;
use cartosol::app::dialogs::Dialog;
use cartosol::app::state::LoadStep;
use cartosol::app::{AppOptions, CartoSolApp, Command, StepHook};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The app with nothing open, no basemap.
fn empty_app(name: &str) -> Harness<'static, CartoSolApp> {
    common::app_with(
        AppOptions {
            open: None,
            basemap: BasemapChoice::None,
            load_now: false,
            tile_cache: common::temp_dir(&format!("{name}-tuiles")),
            data_dir: common::temp_dir(&format!("{name}-donnees")),
        },
        1200.0,
        800.0,
    )
}

/// The ids of a project's layers, read from its JSON with serde_json: (zones, points).
fn layer_ids(path: &str) -> (Vec<String>, Vec<String>) {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let list = |key: &str| -> Vec<String> {
        json[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].as_str().unwrap().to_owned())
            .collect()
    };
    (list("zones"), list("points"))
}

#[test]
fn the_zones_are_drawn_before_the_points_come_and_the_layers_come_in_order() {
    let path = cartosol::project::SAMPLE_PROJECT;
    let (zones, points) = layer_ids(path);
    let mut harness = empty_app("etapes");
    // The points are held back on the loading thread until the test lets them go.
    let (release, held) = std::sync::mpsc::channel::<()>();
    let held = Mutex::new(held);
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = seen.clone();
    let hook: StepHook = Arc::new(move |step: &LoadStep| {
        log.lock().unwrap().push(step.describe());
        if matches!(step, LoadStep::Points(_)) {
            let _ = held.lock().unwrap().recv_timeout(Duration::from_secs(60));
        }
    });
    let ctx = harness.ctx.clone();
    harness
        .state_mut()
        .start_load_with(PathBuf::from(path), false, &ctx, Some(hook));
    common::wait_until(&mut harness, |app| app.ws.zones.len() == zones.len());
    harness.run_steps(3);

    let app = harness.state();
    assert!(app.loading(), "the points are still to come");
    assert!(app.ws.points.is_empty());
    let ids: Vec<&str> = app.ws.zones.iter().map(|z| z.spec.id.as_str()).collect();
    assert_eq!(ids, zones);
    // The mapped layer is classified and drawn.
    let mapped = app
        .choropleth
        .as_ref()
        .expect("the mapped layer is classified");
    assert!(!mapped.colors.is_empty());
    assert!(
        app.map_out.vertices > 1000,
        "the zones are drawn: {} vertices",
        app.map_out.vertices
    );
    // The status line says how far the opening is: the zone layers of the 4 layers.
    let progress = format!(
        "Ouverture : {} couche(s) sur {}",
        zones.len(),
        zones.len() + points.len()
    );
    assert!(
        harness.query_by_label_contains(&progress).is_some(),
        "status line « {progress} »"
    );

    for _ in &points {
        release.send(()).unwrap();
    }
    common::wait_until(&mut harness, |app| !app.loading());
    harness.run_steps(2);
    let app = harness.state();
    let ids: Vec<&str> = app.ws.points.iter().map(|p| p.spec.id.as_str()).collect();
    assert_eq!(ids, points);
    // Every point layer is placed in every zone layer.
    assert!(app.ws.points.iter().all(|p| p.zone_of.len() == zones.len()));
    let loaded = format!(
        "{} couche(s) de zones, {} couche(s) de points",
        zones.len(),
        points.len()
    );
    assert!(app.status.starts_with(&loaded), "{}", app.status);
    let mut expected = vec!["projet".to_owned()];
    expected.extend(zones.iter().map(|z| format!("couche de zones {z}")));
    expected.extend(points.iter().map(|p| format!("couche de points {p}")));
    expected.push("terminé".to_owned());
    assert_eq!(*seen.lock().unwrap(), expected);
}

#[test]
fn an_error_in_a_late_stage_ends_in_the_error_dialog() {
    let dir = common::temp_dir("etape-tardive");
    let project = fixtures::late_error_project(&dir);
    let expected = cartosol::project::open_project(&project)
        .err()
        .unwrap()
        .to_string();
    assert!(expected.contains("services_disparus.csv"), "{expected}");

    let mut harness = empty_app("etape-tardive");
    harness.state_mut().send(Command::Open(project));
    common::wait_until(&mut harness, |app| !app.loading());
    harness.run_steps(2);
    let app = harness.state();
    match &app.ui_state.dialog {
        Dialog::Error(message) => assert_eq!(*message, expected),
        _ => panic!("no error dialog"),
    }
    // The half-open project is not kept (saving it would lose its missing layers).
    assert!(app.ws.zones.is_empty() && app.ws.points.is_empty());
    assert!(
        harness
            .query_by_label_contains("services_disparus.csv")
            .is_some(),
        "the dialog shows the message"
    );
}
