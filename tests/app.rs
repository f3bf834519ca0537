//! Whole-app UI tests with egui_kittest on the real app (feature `ui-tests`), rendered on the
//! CPU through Mesa's lavapipe. Snapshots live in tests/snapshots/ and were reviewed by eye.

use cartosol::app::basemap::BasemapChoice;
use cartosol::app::{AppOptions, CartoSolApp};
use cartosol::style::ClassMethod;
use cartosol::table::{TableOptions, load_table};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A primary click at a screen position (press and release).
fn click_at(harness: &Harness<'static, CartoSolApp>, pos: egui::Pos2) {
    harness.event(egui::Event::PointerMoved(pos));
    for pressed in [true, false] {
        harness.event(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: Default::default(),
        });
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cartosol-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn app(basemap: BasemapChoice, cache: &str) -> Harness<'static, CartoSolApp> {
    let tile_cache = temp_dir(cache);
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .with_theme(egui::Theme::Light)
        .wgpu()
        .build_eframe(move |cc| {
            CartoSolApp::new(
                &cc.egui_ctx,
                AppOptions {
                    basemap,
                    load_now: true,
                    tile_cache,
                    ..AppOptions::default()
                },
            )
        });
    harness.run_steps(4);
    harness
}

#[test]
fn opens_on_the_essonne_sample_with_the_epci_choropleth() {
    let mut harness = app(BasemapChoice::None, "ouverture");
    let app = harness.state();
    assert_eq!(app.ws.zones.len(), 2);
    assert_eq!(app.ws.points.len(), 2);
    let ch = app.choropleth.as_ref().expect("choropleth");
    assert_eq!(ch.indicator, "TP60");
    assert_eq!(app.ws.zones[ch.layer].spec.id, "epci");
    // The legend, the layers and the themes are on screen, in French.
    harness.get_by_role_and_label(Role::CheckBox, "Communes de l'Essonne");
    harness.get_by_role_and_label(Role::CheckBox, "Points de service (FICTIFS)");
    harness.get_by_label_contains("France Services (");
    harness.get_by_label("Indicateur");
    harness.snapshot("app_ouverture_essonne");
}

#[test]
fn a_layer_is_toggled_by_its_label() {
    let mut harness = app(BasemapChoice::None, "couche");
    assert!(harness.state().ws.zones[1].style.visible);
    harness
        .get_by_role_and_label(Role::CheckBox, "Communes de l'Essonne")
        .click();
    harness.run_steps(2);
    assert!(!harness.state().ws.zones[1].style.visible);
}

#[test]
fn the_classification_is_changed_to_natural_breaks() {
    let mut harness = app(BasemapChoice::None, "classes");
    harness.get_by_label("Méthode").click();
    harness.run_steps(2);
    harness.get_by_label("Seuils naturels (Jenks)").click();
    harness.run_steps(2);
    let app = harness.state();
    assert_eq!(
        app.ws.file.map.classification.method,
        ClassMethod::NaturalBreaks
    );
    let ch = app.choropleth.as_ref().unwrap();
    let values: Vec<f64> = app.ws.zones[ch.layer]
        .layer
        .attributes
        .field("TP60")
        .unwrap()
        .values
        .iter()
        .filter_map(|v| v.as_f64())
        .collect();
    let expected =
        cartosol::style::classify::classify(&values, ClassMethod::NaturalBreaks, 5, &[]).unwrap();
    assert_eq!(ch.classification.as_ref().unwrap().breaks, expected.breaks);
    harness.snapshot("app_seuils_naturels");
}

/// The EPCI sheet's TP60 for `siren` and the département rate recomputed from its counts.
fn epci_figures(siren: &str) -> (f64, f64) {
    let t = load_table(
        Path::new("sample_data/panorama_pauvrete_essonne_FICTIF.xlsx"),
        &TableOptions {
            sheet: Some("EPCI".into()),
            ..TableOptions::default()
        },
    )
    .unwrap()
    .table;
    let codes = t.field("CODGEO").unwrap();
    let row = codes
        .values
        .iter()
        .position(|v| v.to_string() == siren)
        .unwrap();
    let tp60 = t.field("TP60").unwrap().values[row].as_f64().unwrap();
    let sum = |f: &str| -> f64 {
        t.field(f)
            .unwrap()
            .values
            .iter()
            .filter_map(|v| v.as_f64())
            .sum()
    };
    (tp60, 100.0 * sum("NB_MEN_PAUV") / sum("NBMENFISC"))
}

fn fr(x: f64) -> String {
    cartosol::value::format_number((x * 100.0).round() / 100.0)
}

#[test]
fn selecting_an_epci_in_the_table_shows_its_figures_against_the_departement() {
    let mut harness = app(BasemapChoice::None, "selection");
    harness.state_mut().table.visible = true;
    harness.run_steps(2);
    let name = "Communauté d'agglomération Grand Paris Sud Seine Essonne Sénart";
    harness.get_by_role_and_label(Role::Button, name).click();
    harness.run_steps(3);
    let app = harness.state();
    let (layer, zone) = app.selected_zone.expect("a zone is selected");
    assert_eq!(app.ws.zones[layer].zone_code(zone), "200059228");
    harness.get_by_label("Code : 200059228");
    let (tp60, departement) = epci_figures("200059228");
    harness.get_by_label(&format!("{} / {}", fr(tp60), fr(departement)));
    harness.snapshot("app_selection_epci");
}

#[test]
fn clicking_the_map_selects_the_zone_under_the_pointer() {
    let mut harness = app(BasemapChoice::None, "clic");
    harness.run_steps(2);
    let (target, pos) = {
        let app = harness.state();
        let view = app.map_out.view.expect("map drawn");
        let layer = app.choropleth.as_ref().unwrap().layer;
        let zone = 0;
        let label = app.ws.zones[layer].geometry.shapes[zone].label;
        ((layer, zone), view.to_screen(label))
    };
    click_at(&harness, pos);
    harness.run_steps(3);
    assert_eq!(harness.state().selected_zone, Some(target));
}

/// A tiny XYZ tile server on loopback: every tile is the same PNG; requests are counted.
fn tile_server(png: Vec<u8>) -> (String, Arc<AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        // Bounded: at most 2,000 requests, then the server stops by itself.
        for stream in listener.incoming().take(2000) {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 2048];
            let _ = stream.read(&mut buf);
            counter.fetch_add(1, Ordering::SeqCst);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nCache-Control: max-age=86400\r\nConnection: close\r\n\r\n",
                png.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&png);
        }
    });
    (
        format!("http://127.0.0.1:{port}/{{z}}/{{x}}/{{y}}.png"),
        hits,
    )
}

fn solid_png(rgb: [u8; 3]) -> Vec<u8> {
    let mut img = image::RgbImage::new(256, 256);
    for p in img.pixels_mut() {
        *p = image::Rgb(rgb);
    }
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[test]
fn offline_xyz_tiles_from_a_local_server_are_fetched_drawn_and_cached() {
    let tile_color = [40, 160, 220];
    let (url, hits) = tile_server(solid_png(tile_color));
    let cache = temp_dir("tuiles-locales");
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .with_theme(egui::Theme::Light)
        .wgpu()
        .build_eframe({
            let cache = cache.clone();
            move |cc| {
                CartoSolApp::new(
                    &cc.egui_ctx,
                    AppOptions {
                        basemap: BasemapChoice::Xyz(url),
                        load_now: true,
                        tile_cache: cache,
                        ..AppOptions::default()
                    },
                )
            }
        });
    // Let the tiles arrive (bounded wait).
    for _ in 0..100 {
        harness.run_steps(1);
        std::thread::sleep(std::time::Duration::from_millis(30));
        if hits.load(Ordering::SeqCst) > 0
            && harness
                .state()
                .basemap
                .tiles
                .as_ref()
                .is_some_and(|t| t.stats().in_progress == 0)
        {
            break;
        }
    }
    harness.run_steps(3);
    assert!(
        hits.load(Ordering::SeqCst) > 0,
        "tiles were requested from the local server"
    );
    // Drawn: a pixel of the map outside the zones has the tile's colour.
    let image = harness.render().unwrap();
    let view = harness.state().map_out.view.unwrap();
    let corner = view.clip.right_top() + egui::vec2(-40.0, 40.0);
    let px = image.get_pixel(corner.x as u32, corner.y as u32);
    assert_eq!(
        [px[0], px[1], px[2]],
        tile_color,
        "tile colour at {corner:?}"
    );
    // Cached on disk.
    let cached = walk(&cache);
    assert!(cached > 0, "tile cache is empty");
    assert!(
        harness
            .state()
            .basemap
            .status()
            .starts_with("Fond de carte : Serveur de tuiles")
    );
}

fn walk(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        walk(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn without_network_the_app_works_and_says_tiles_are_unavailable() {
    // A port nobody listens on: the tile server is unreachable.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut harness = app(
        BasemapChoice::Xyz(format!("http://127.0.0.1:{port}/{{z}}/{{x}}/{{y}}.png")),
        "hors-ligne",
    );
    for _ in 0..50 {
        harness.run_steps(1);
        std::thread::sleep(std::time::Duration::from_millis(20));
        if harness.state().basemap.status().contains("indisponibles") {
            break;
        }
    }
    let status = harness.state().basemap.status();
    assert!(status.contains("tuiles indisponibles"), "{status}");
    assert!(matches!(
        harness.state().dialog,
        cartosol::app::dialogs::Dialog::None
    ));
    assert_eq!(harness.state().ws.zones.len(), 2);
}

#[test]
fn under_served_zones_follow_the_rule_and_the_sliders() {
    let mut harness = app(BasemapChoice::None, "sous-desservies");
    harness.state_mut().analysis.gaps_on = true;
    harness.run_steps(3);
    let (need_t, offer_t, flagged, layer) = {
        let app = harness.state();
        let g = app.analysis.gaps.as_ref().expect("analysis computed");
        (
            app.analysis.need_threshold.unwrap(),
            app.analysis.offer_threshold.unwrap(),
            g.result.flagged.iter().map(|f| f.zone).collect::<Vec<_>>(),
            g.layer,
        )
    };
    // The same rule computed by hand from the library's coverage figures.
    let app = harness.state();
    let need = &app.ws.zones[layer]
        .layer
        .attributes
        .field("TP60")
        .unwrap()
        .values;
    let offer = &app.analysis.gaps.as_ref().unwrap().offer;
    let expected: Vec<usize> = (0..need.len())
        .filter(|&i| {
            matches!((need[i].as_f64(), offer[i].as_f64()), (Some(n), Some(o)) if n >= need_t && o <= offer_t)
        })
        .collect();
    let mut got = flagged.clone();
    got.sort();
    assert_eq!(got, expected);
    assert!(!expected.is_empty());
    let rule = app.analysis.gaps.as_ref().unwrap().result.rule_text.clone();
    assert!(rule.starts_with("Zones sous-desservies"), "{rule}");
    // The rule, in words, is in the legend on the map with the number of zones it flags.
    harness.get_by_label(&format!("{rule} ({})", flagged.len()));
    // Moving the need threshold to the maximum leaves at most the zones at the maximum.
    // (what the need slider does when moved to its end).
    {
        let app = harness.state_mut();
        app.analysis.need_threshold = Some(100.0);
        app.analysis.compute_gaps(&app.ws, layer, "TP60").unwrap();
        assert!(
            app.analysis
                .gaps
                .as_ref()
                .unwrap()
                .result
                .flagged
                .is_empty()
        );
        app.analysis.need_threshold = Some(need_t);
        app.analysis.compute_gaps(&app.ws, layer, "TP60").unwrap();
        app.analysis.bivariate_on = true;
    }
    harness.run_steps(3);
    harness.snapshot("app_sous_desservies_bivariee");
}

#[test]
fn proximity_tool_lists_the_services_within_the_radius() {
    let mut harness = app(BasemapChoice::None, "proximite");
    harness.state_mut().analysis.tool = cartosol::app::analysis_ui::Tool::Proximity;
    harness.run_steps(2);
    let pos = {
        let app = harness.state();
        let view = app.map_out.view.expect("map drawn");
        view.to_screen(cartosol::app::geometry::mercator_unit(2.44, 48.63))
    };
    click_at(&harness, pos);
    harness.run_steps(3);
    let app = harness.state();
    let probe = app.analysis.probe.as_ref().expect("a probe");
    let radius_m = app.analysis.radius_km * 1000.0;
    // Brute force over the visible service points: great-circle distance ≤ radius.
    let services = &app.ws.points[0];
    let (lon0, lat0) = probe.at;
    let brute = services
        .layer
        .positions
        .iter()
        .flatten()
        .filter(|p| {
            let d = cartosol::analysis::distance::distance_m(geo::Point::new(lon0, lat0), **p);
            d <= radius_m
        })
        .count();
    let listed = probe.within.iter().filter(|(l, _, _)| *l == 0).count();
    assert_eq!(listed, brute);
    assert!(
        probe.within.windows(2).all(|w| w[0].2 <= w[1].2),
        "sorted by distance"
    );
    assert!(!probe.nearest.is_empty());
}
