//! Whole-app UI tests with egui_kittest on the real app (feature `ui-tests`), rendered on the
//! CPU through Mesa's lavapipe. Snapshots live in tests/snapshots/ and were reviewed by eye.

use cartosol::analysis::coverage::{CoverageOptions, CoverageResult, coverage};
mod common;

use cartosol::app::basemap::BasemapChoice;
use cartosol::app::dialogs::Dialog;
use cartosol::app::dialogs::export_layer::extension;
use cartosol::app::state::LayerRef;
use cartosol::app::{AppOptions, CartoSolApp, Command};
use cartosol::export::DataFormat;
use cartosol::model::Table;
use cartosol::style::ClassMethod;
use cartosol::table::{TableOptions, load_table};
use cartosol::value::{Value, ValueRef};
use cartosol::zones::{ZoneOptions, load_zones};
use common::{app, temp_dir};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::collections::{BTreeSet, HashMap};
use std::io::{Read, Write};
use std::path::Path;
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
    let tp60 = t
        .field("TP60")
        .unwrap()
        .values
        .get(row)
        .unwrap()
        .as_f64()
        .unwrap();
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
    harness.state_mut().ui_state.table.visible = true;
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
        harness.state().ui_state.dialog,
        cartosol::app::dialogs::Dialog::None
    ));
    assert_eq!(harness.state().ws.zones.len(), 2);
}

/// Runs frames until `done` holds (bounded: 20 s), failing on an error dialog.
fn wait_until(
    harness: &mut Harness<'static, CartoSolApp>,
    what: &str,
    done: impl Fn(&CartoSolApp) -> bool,
) {
    for _ in 0..400 {
        harness.run_steps(1);
        if let Dialog::Error(e) = &harness.state().ui_state.dialog {
            panic!("error while waiting for {what}: {e}");
        }
        if done(harness.state()) {
            harness.run_steps(1);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

/// The flagged zones of the rule « need ≥ need_t and offer ≤ offer_t », by hand.
fn flagged_by_hand(
    need: &cartosol::model::Column,
    offer: &[Value],
    need_t: f64,
    offer_t: f64,
) -> Vec<usize> {
    (0..need.len())
        .filter(|&i| {
            matches!((need.get(i).and_then(|v| v.as_f64()), offer.get(i).and_then(Value::as_f64)), (Some(n), Some(o)) if n >= need_t && o <= offer_t)
        })
        .collect()
}

/// Coverage of the theme over zone layer `layer`, straight from the library (as `cartosol
/// coverage` computes it).
fn library_coverage(app: &CartoSolApp, layer: usize, theme: &str) -> CoverageResult {
    let zones = &app.ws.zones[layer];
    let communes = &app.ws.zones[1];
    let options = CoverageOptions {
        theme_field: "dispositif".into(),
        theme: Some(theme.into()),
        zone_code_field: Some(zones.spec.code_field.clone()),
        commune_code_field: Some("INSEE_COM".into()),
        population_field: "POPULATION".into(),
        ..CoverageOptions::default()
    };
    coverage(
        &zones.layer,
        &communes.layer,
        &app.ws.points[0].layer,
        &options,
    )
    .unwrap()
}

#[test]
fn under_served_zones_follow_the_rule_and_the_sliders() {
    let mut harness = app(BasemapChoice::None, "sous-desservies");
    harness.state_mut().send(Command::ShowUnderserved(true));
    wait_until(&mut harness, "the coverage", |a| a.analysis.gaps.is_some());
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
    let offer: Vec<Value> = library_coverage(app, layer, "France Services")
        .zones
        .iter()
        .map(|z| z.per_10000.clone())
        .collect();
    let expected = flagged_by_hand(need, &offer, need_t, offer_t);
    let mut got = flagged.clone();
    got.sort();
    assert_eq!(got, expected);
    assert!(!expected.is_empty());
    let rule = app.analysis.gaps.as_ref().unwrap().result.rule_text.clone();
    assert!(rule.starts_with("Zones sous-desservies"), "{rule}");
    // The rule, in words, is in the legend on the map with the number of zones it flags.
    harness.get_by_label(&format!("{rule} ({})", flagged.len()));
    // Moving the need threshold to the maximum leaves at most the zones at the maximum
    // (what the need slider does when moved to its end: the same command).
    harness.state_mut().send(Command::SetThresholds {
        need: 100.0,
        offer: offer_t,
    });
    harness.run_steps(2);
    assert!(
        harness
            .state()
            .analysis
            .gaps
            .as_ref()
            .unwrap()
            .result
            .flagged
            .is_empty()
    );
    harness.state_mut().send(Command::SetThresholds {
        need: need_t,
        offer: offer_t,
    });
    harness.state_mut().send(Command::ShowBivariate(true));
    harness.run_steps(3);
    harness.snapshot("app_sous_desservies_bivariee");
}

#[test]
fn sliders_reapply_the_rule_to_the_coverage_computed_once_in_the_background() {
    let mut harness = app(BasemapChoice::None, "couverture-cache");
    harness.state_mut().send(Command::ShowUnderserved(true));
    // The spinner shows while the coverage is computed off the UI thread.
    harness.run_steps(2);
    if harness.state().analysis.computing() {
        harness.get_by_label("Calcul de la couverture en cours…");
    }
    wait_until(&mut harness, "the coverage", |a| a.analysis.gaps.is_some());
    assert_eq!(harness.state().analysis.coverage_runs, 1);
    let (layer, need_range, offer_t) = {
        let a = &harness.state().analysis;
        let g = a.gaps.as_ref().unwrap();
        (g.layer, g.need_range, a.offer_threshold.unwrap())
    };
    let offer: Vec<Value> = library_coverage(harness.state(), layer, "France Services")
        .zones
        .iter()
        .map(|z| z.per_10000.clone())
        .collect();
    let need = harness.state().ws.zones[layer]
        .layer
        .attributes
        .field("TP60")
        .unwrap()
        .values
        .clone();
    let (lo, hi) = need_range;
    for t in [lo, (lo + hi) / 2.0, hi, lo + (hi - lo) / 4.0] {
        harness.state_mut().send(Command::SetThresholds {
            need: t,
            offer: offer_t,
        });
        harness.run_steps(2);
        let g = harness.state().analysis.gaps.clone().unwrap();
        let mut got: Vec<usize> = g.result.flagged.iter().map(|f| f.zone).collect();
        got.sort();
        assert_eq!(
            got,
            flagged_by_hand(&need, &offer, t, offer_t),
            "need ≥ {t}"
        );
    }
    // Four slider moves, no new computation.
    assert_eq!(harness.state().analysis.coverage_runs, 1);
    // Another theme is another computation; coming back to the first one uses the cache.
    let other = harness.state().ws.points[0]
        .themes
        .iter()
        .map(|t| t.name.clone())
        .find(|n| n != "France Services")
        .unwrap();
    harness
        .state_mut()
        .send(Command::SetServiceTheme(other.clone()));
    wait_until(&mut harness, "the other theme", |a| {
        a.analysis.gaps.as_ref().is_some_and(|g| g.theme == other)
    });
    assert_eq!(harness.state().analysis.coverage_runs, 2);
    harness
        .state_mut()
        .send(Command::SetServiceTheme("France Services".into()));
    harness.run_steps(2);
    let a = &harness.state().analysis;
    assert_eq!(a.gaps.as_ref().unwrap().theme, "France Services");
    assert_eq!(a.coverage_runs, 2);
    assert!(!a.computing());
}

/// The exported cells of a reloaded table, by zone code.
fn by_code(table: &Table, code_field: &str) -> HashMap<String, usize> {
    table
        .field(code_field)
        .unwrap()
        .values
        .iter()
        .enumerate()
        .map(|(i, v)| (v.to_string(), i))
        .collect()
}

fn cell<'a>(table: &'a Table, field: &str, row: usize) -> cartosol::value::ValueRef<'a> {
    table
        .field(field)
        .unwrap_or_else(|| panic!("column {field} missing"))
        .values
        .get(row)
        .unwrap()
}

/// Opens a dialog from the *Fichier* menu.
fn file_menu(harness: &mut Harness<'static, CartoSolApp>, item: &str) {
    harness.get_by_label("Fichier").click();
    harness.run_steps(2);
    harness.get_by_label(item).click();
    harness.run_steps(2);
}

#[test]
fn a_layer_is_exported_from_the_dialog_in_every_format_with_its_computed_columns() {
    const COUNT: &str = "MP_JEUNES_SANS_EMPLOI";
    let mut harness = app(BasemapChoice::None, "export-couche");
    // Communes mapped, under-served zones and bivariate map on.
    harness.state_mut().send(Command::SetIndicator {
        layer: 1,
        indicator: "TP60".into(),
    });
    harness.state_mut().send(Command::ShowUnderserved(true));
    harness.state_mut().send(Command::ShowBivariate(true));
    wait_until(&mut harness, "the coverage", |a| {
        a.analysis.gaps.as_ref().is_some_and(|g| g.layer == 1)
    });
    let (need_t, offer_t) = {
        let a = &harness.state().analysis;
        (a.need_threshold.unwrap(), a.offer_threshold.unwrap())
    };
    let source = harness.state().ws.zones[1].layer.attributes.clone();
    let library = library_coverage(harness.state(), 1, "France Services");
    let tp60 = &source.field("TP60").unwrap().values;
    let offer: Vec<Value> = library.zones.iter().map(|z| z.per_10000.clone()).collect();
    let flagged = flagged_by_hand(tp60, &offer, need_t, offer_t);
    assert!(!flagged.is_empty());
    let dir = temp_dir("export-couche-fichiers");
    for format in [
        DataFormat::GeoJson,
        DataFormat::Csv,
        DataFormat::Xlsx,
        DataFormat::GeoPackage,
    ] {
        file_menu(&mut harness, "Exporter une couche…");
        let path = dir.join(format!("communes.{}", extension(format)));
        // What the user picks in the form: the communes, the format, the file name.
        match &mut harness.state_mut().ui_state.dialog {
            Dialog::ExportLayer(form) => {
                form.layer = LayerRef::Zones(1);
                form.format = format;
                form.path = path.display().to_string();
            }
            _ => panic!("the export dialog is not open"),
        }
        harness.run_steps(1);
        harness
            .get_by_role_and_label(Role::Button, "Exporter")
            .click();
        wait_until(&mut harness, "the export", |a| {
            matches!(a.ui_state.dialog, Dialog::Report { .. })
        });
        // The report says what the secrecy guard masked and why: here the young jobless
        // counts below 11, counted by hand.
        let small = source
            .field(COUNT)
            .unwrap()
            .values
            .iter()
            .filter(|v| v.as_f64().is_some_and(|n| n < 11.0))
            .count();
        harness.get_by_label_contains("Secret statistique :");
        harness
            .get_by_label_contains("Motif : effectifs de ménages ou de personnes inférieurs à 11");
        // The column named by its label from the dictionary, its code beside.
        let label =
            cartosol::dictionary::label_of(&harness.state().ws.file.dictionary, COUNT).to_owned();
        harness.get_by_label(&format!(
            "— {label} ({COUNT}) : {small} valeur(s) masquée(s)"
        ));
        harness.get_by_role_and_label(Role::Button, "OK").click();
        harness.run_steps(2);
        // The file reloads with the library's loaders.
        let table = match format {
            DataFormat::GeoJson | DataFormat::GeoPackage | DataFormat::GeoParquet => {
                load_zones(&path, &ZoneOptions::default())
                    .unwrap()
                    .attributes
            }
            DataFormat::Csv | DataFormat::Xlsx => {
                load_table(&path, &TableOptions::default()).unwrap().table
            }
        };
        let label = format.label();
        assert_eq!(table.len(), source.len(), "{label}: row count");
        let rows = by_code(&table, "INSEE_COM");
        let codes = by_code(&source, "INSEE_COM");
        assert_eq!(
            rows.keys().collect::<BTreeSet<_>>(),
            codes.keys().collect::<BTreeSet<_>>(),
            "{label}: codes"
        );
        let mut masked = 0;
        for (code, &src) in &codes {
            let row = rows[code];
            // A value: the poverty rate.
            match (
                tp60.get(src).unwrap().as_f64(),
                cell(&table, "TP60", row).as_f64(),
            ) {
                (Some(a), Some(b)) => assert!((a - b).abs() < 1e-6, "{label} {code}: {a} / {b}"),
                (None, None) => {}
                other => panic!("{label} {code}: TP60 {other:?}"),
            }
            // Small counts of people leave masked.
            let poor = source
                .field(COUNT)
                .unwrap()
                .values
                .get(src)
                .unwrap()
                .as_f64();
            let written = cell(&table, COUNT, row).as_f64();
            if poor.is_some_and(|n| n < 11.0) {
                assert_eq!(written, None, "{label} {code}: masked count");
                masked += 1;
            } else {
                assert_eq!(written, poor, "{label} {code}: count");
            }
            // The computed columns: services of the theme, per 10,000, the flag, the class.
            let z = &library.zones[src];
            assert_eq!(
                cell(&table, "services_nombre", row).as_f64(),
                Some(z.services as f64),
                "{label} {code}: services"
            );
            match (
                z.per_10000.as_f64(),
                cell(&table, "services_pour_10000_hab", row).as_f64(),
            ) {
                (Some(a), Some(b)) => assert!((a - b).abs() < 1e-6, "{label} {code}"),
                (a, b) => assert_eq!(a, b, "{label} {code}: per 10,000"),
            }
            let flag = cell(&table, "sous_desservie", row).to_string();
            if flagged.contains(&src) {
                assert_eq!(flag, "oui", "{label} {code}");
            } else {
                assert_ne!(flag, "oui", "{label} {code}");
            }
            let class = cell(&table, "classe_bivariee", row).to_string();
            assert!(
                class.starts_with("Besoin ")
                    || matches!(cell(&table, "classe_bivariee", row), ValueRef::Missing(_)),
                "{label} {code}: {class}"
            );
        }
        assert!(masked > 0, "{label}: some small counts to mask");
    }
}

#[test]
fn the_under_served_list_is_exported_with_its_figures_and_the_rule() {
    let mut harness = app(BasemapChoice::None, "export-liste");
    harness.state_mut().send(Command::SetIndicator {
        layer: 1,
        indicator: "TP60".into(),
    });
    harness.state_mut().send(Command::ShowUnderserved(true));
    wait_until(&mut harness, "the coverage", |a| {
        a.analysis.gaps.as_ref().is_some_and(|g| g.layer == 1)
    });
    let (need_t, offer_t, rule) = {
        let a = &harness.state().analysis;
        (
            a.need_threshold.unwrap(),
            a.offer_threshold.unwrap(),
            a.gaps.as_ref().unwrap().result.rule_text.clone(),
        )
    };
    // The flagged set, by hand from the library's figures.
    let source = harness.state().ws.zones[1].layer.attributes.clone();
    let library = library_coverage(harness.state(), 1, "France Services");
    let tp60 = &source.field("TP60").unwrap().values;
    let offer: Vec<Value> = library.zones.iter().map(|z| z.per_10000.clone()).collect();
    let flagged = flagged_by_hand(tp60, &offer, need_t, offer_t);
    assert!(!flagged.is_empty());
    let codes = &source.field("INSEE_COM").unwrap().values;
    // From the panel's button.
    harness
        .get_by_label("Exporter la liste des zones sous-desservies…")
        .click();
    harness.run_steps(2);
    let path = temp_dir("export-liste-fichier").join("sous_desservies.csv");
    match &mut harness.state_mut().ui_state.dialog {
        Dialog::ExportUnderserved(form) => form.path = path.display().to_string(),
        _ => panic!("the export dialog is not open"),
    }
    harness.run_steps(1);
    harness
        .get_by_role_and_label(Role::Button, "Exporter")
        .click();
    wait_until(&mut harness, "the export", |a| {
        matches!(a.ui_state.dialog, Dialog::Report { .. })
    });
    harness.get_by_label(&format!("Règle : {rule}"));
    // French CSV: BOM, `;`, decimal comma.
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.lines().next().unwrap().contains(';'));
    let table = load_table(&path, &TableOptions::default()).unwrap().table;
    let got: BTreeSet<String> = table
        .field("INSEE_COM")
        .unwrap()
        .values
        .iter()
        .map(|v| v.to_string())
        .collect();
    let expected: BTreeSet<String> = flagged
        .iter()
        .map(|&i| codes.get(i).unwrap().to_string())
        .collect();
    assert_eq!(got, expected);
    let rows = by_code(&table, "INSEE_COM");
    for &i in &flagged {
        let row = rows[&codes.get(i).unwrap().to_string()];
        let (a, b) = (
            offer[i].as_f64().unwrap(),
            cell(&table, "services_pour_10000_hab", row)
                .as_f64()
                .unwrap(),
        );
        assert!((a - b).abs() < 1e-6, "{a} / {b}");
        assert_eq!(
            cell(&table, "services_nombre", row).as_f64(),
            Some(library.zones[i].services as f64)
        );
        assert!(
            (cell(&table, "TP60", row).as_f64().unwrap() - tp60.get(i).unwrap().as_f64().unwrap())
                .abs()
                < 1e-6
        );
        assert_eq!(cell(&table, "regle", row).to_string(), rule);
    }
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

#[test]
fn a_coverage_that_cannot_be_computed_says_why_in_french() {
    let mut harness = app(BasemapChoice::None, "couverture-impossible");
    // Without any point layer there is no offer to count.
    harness
        .state_mut()
        .send(Command::Remove(LayerRef::Points(1)));
    harness
        .state_mut()
        .send(Command::Remove(LayerRef::Points(0)));
    harness.state_mut().send(Command::ShowUnderserved(true));
    harness.run_steps(3);
    assert!(harness.state().ws.points.is_empty());
    harness
        .get_by_label("Zones sous-desservies indisponibles : aucune couche de points de service");
    assert!(harness.state().analysis.gaps.is_none());
    assert_eq!(harness.state().analysis.coverage_runs, 0);
}

#[test]
fn a_point_layer_is_exported_counted_by_commune_from_the_dialog() {
    let mut harness = app(BasemapChoice::None, "export-points");
    file_menu(&mut harness, "Exporter une couche…");
    let path = temp_dir("export-points-fichier").join("services_par_commune.csv");
    match &mut harness.state_mut().ui_state.dialog {
        Dialog::ExportLayer(form) => {
            form.layer = LayerRef::Points(0);
            form.format = DataFormat::Csv;
            form.path = path.display().to_string();
        }
        _ => panic!("the export dialog is not open"),
    }
    harness.run_steps(2);
    // The choice appears for point layers only.
    harness.get_by_label("Contenu").click();
    harness.run_steps(2);
    harness
        .get_by_label("nombre de points par zone : Communes de l'Essonne")
        .click();
    harness.run_steps(2);
    harness
        .get_by_role_and_label(Role::Button, "Exporter")
        .click();
    wait_until(&mut harness, "the export", |a| {
        matches!(a.ui_state.dialog, Dialog::Report { .. })
    });
    let table = load_table(&path, &TableOptions::default()).unwrap().table;
    let communes = &harness.state().ws.zones[1].layer.attributes;
    assert_eq!(table.len(), communes.len());
    assert_eq!(
        by_code(&table, "INSEE_COM").keys().collect::<BTreeSet<_>>(),
        by_code(communes, "INSEE_COM")
            .keys()
            .collect::<BTreeSet<_>>()
    );
}

/// Removing the layer of the choropleth leaves a project that opens again: the map names the
/// remaining zone layer (a project naming an absent layer is refused at opening).
#[test]
fn removing_the_map_layer_leaves_a_project_that_opens() {
    let mut harness = common::app(BasemapChoice::None, "remove-map-layer");
    let epci = harness
        .state()
        .ws
        .zones
        .iter()
        .position(|z| z.spec.id == "epci")
        .unwrap();
    assert_eq!(harness.state().ws.file.map.zones, "epci");
    harness
        .state_mut()
        .send(Command::Remove(LayerRef::Zones(epci)));
    harness.run_steps(3);
    let dir = common::temp_dir("remove-map-layer-save");
    let path = dir.join("essonne.cartosol.json");
    harness.state_mut().send(Command::SaveAs(path.clone()));
    harness.run_steps(2);
    let saved = cartosol::project::ProjectFile::read(&path).unwrap();
    assert_eq!(saved.map.zones, "communes");
    assert!(saved.tables.iter().all(|t| t.join_to != "epci"));
}
