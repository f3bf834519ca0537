//! The welcome screen (issue 13): started with no project, the app offers to open one, the
//! bundled Essonne sample (found wherever the app is installed, never in the current folder),
//! a new project from files, and the recent projects.

mod common;

use cartosol::app::basemap::BasemapChoice;
use cartosol::app::{AppOptions, CartoSolApp};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::path::Path;

fn app_without_project(data_dir: &Path) -> Harness<'static, CartoSolApp> {
    let tile_cache = common::temp_dir("app-welcome-tuiles");
    let data_dir = data_dir.to_path_buf();
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1200.0, 800.0))
        .with_theme(egui::Theme::Light)
        .wgpu()
        .build_eframe(move |cc| {
            CartoSolApp::new(
                &cc.egui_ctx,
                AppOptions {
                    open: None,
                    basemap: BasemapChoice::None,
                    load_now: true,
                    tile_cache,
                    data_dir,
                },
            )
        });
    harness.run_steps(3);
    harness
}

#[test]
fn with_no_project_the_welcome_screen_opens_the_sample_and_lists_it_next_time() {
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

    // Next start, no project: the sample is among the recent projects.
    let harness = app_without_project(&data_dir);
    harness.get_by_label("Projets récents");
    harness.get_by_label("essonne.cartosol.json");
}
