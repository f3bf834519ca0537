//! Helpers shared by the whole-app UI tests (egui_kittest on the real app, rendered on the CPU
//! through Mesa's lavapipe). Each test file uses part of them.
#![allow(dead_code)]

use cartosol::app::basemap::BasemapChoice;
use cartosol::app::{AppOptions, CartoSolApp};
use egui_kittest::Harness;
use std::path::PathBuf;

/// A fresh empty folder in the system's temporary folder, unique to this test process.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cartosol-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The app on the bundled Essonne sample, `width` × `height` points, light theme, with its tile
/// cache in a temporary folder named after `cache`; loaded and drawn a few frames.
pub fn app_sized(
    basemap: BasemapChoice,
    cache: &str,
    width: f32,
    height: f32,
) -> Harness<'static, CartoSolApp> {
    let tile_cache = temp_dir(cache);
    // Autosaves go to a data folder of the test's own, never the user's.
    let data_dir = temp_dir(&format!("{cache}-donnees"));
    app_with(
        AppOptions {
            basemap,
            load_now: true,
            tile_cache,
            data_dir,
            ..AppOptions::default()
        },
        width,
        height,
    )
}

/// The app started with `options`, `width` × `height` points, light theme; drawn a few frames.
pub fn app_with(options: AppOptions, width: f32, height: f32) -> Harness<'static, CartoSolApp> {
    let mut harness = Harness::builder()
        .with_size(egui::vec2(width, height))
        .with_theme(egui::Theme::Light)
        .wgpu()
        .build_eframe(move |cc| CartoSolApp::new(&cc.egui_ctx, options));
    harness.run_steps(4);
    harness
}

/// The app on the sample, 1400 × 900 points (see [`app_sized`]).
pub fn app(basemap: BasemapChoice, cache: &str) -> Harness<'static, CartoSolApp> {
    app_sized(basemap, cache, 1400.0, 900.0)
}

/// Runs frames until `done` holds (at most 30 s), failing the test past that.
pub fn wait_until(
    harness: &mut Harness<'static, CartoSolApp>,
    done: impl Fn(&CartoSolApp) -> bool,
) {
    for _ in 0..600 {
        harness.run_steps(1);
        if done(harness.state()) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("timed out");
}
