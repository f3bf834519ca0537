//! Exports checked as a user would: the PNG decodes at the size of its preset, the legend's
//! texts are in the SVG, reviewed snapshot images match, GeoJSON / CSV / XLSX / GeoPackage
//! exports read back through CartoSol's own importers with the same codes and values, the
//! statistical-secrecy and personal-data guards hold, and a saved project renders the same.
//!
//! Snapshots live in tests/snapshots/export/; after a reviewed change of the drawing, rewrite
//! them with `UPDATE_SNAPSHOTS=1 cargo test --no-default-features --test export` and look at
//! them before committing.

mod fixtures;

use cartosol::Value;
use cartosol::export::atlas::compose_atlas_page;
use cartosol::export::secrecy::SecrecyGuard;
use cartosol::export::{
    DataExportOptions, ExportError, MapComposition, Preset, RenderOptions, compose_project,
    export_layer, render_png, render_svg,
};
use cartosol::project::{Project, SAMPLE_PROJECT, autosave, open_project, recover, save_project};
use cartosol::table::{TableOptions, load_table};
use cartosol::value::ValueRef;
use cartosol::zones::{ZoneOptions, load_zones};
use resvg::tiny_skia::Pixmap;
use std::path::{Path, PathBuf};

const DATE: &str = "Carte réalisée le 01/02/2026 avec CartoSol";

/// The sample project with a fixed map (EPCI choropleth of TP60, town halls hidden), so that
/// edits of the sample's saved map state do not change these checks.
fn sample() -> Project {
    fixtures::sample_epci_tp60()
}

fn options(preset: Preset) -> RenderOptions {
    RenderOptions {
        date: DATE.to_owned(),
        ..RenderOptions::new(preset)
    }
}

fn tmp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cartosol-export-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The sample project with its map on the commune layer (60 communes under secrecy).
fn communes_project(indicator: &str) -> Project {
    let mut project = sample();
    project.file.map.zones = "communes".to_owned();
    project.file.map.indicator = indicator.to_owned();
    project
}

fn snapshot(name: &str, png: &[u8]) {
    let path = Path::new("tests/snapshots/export").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("snapshot dir");
        std::fs::write(&path, png).expect("write snapshot");
        return;
    }
    let expected = std::fs::read(&path).unwrap_or_else(|_| {
        panic!(
            "{} missing: run with UPDATE_SNAPSHOTS=1, look at it, commit it",
            path.display()
        )
    });
    let a = Pixmap::decode_png(png).expect("rendered PNG");
    let b = Pixmap::decode_png(&expected).expect("snapshot PNG");
    assert_eq!((a.width(), a.height()), (b.width(), b.height()), "{name}");
    // Tolerate antialiasing noise (another CPU, another resvg patch release), not a change.
    let differing = a
        .data()
        .chunks(4)
        .zip(b.data().chunks(4))
        .filter(|(p, q)| p.iter().zip(*q).any(|(x, y)| x.abs_diff(*y) > 24))
        .count();
    let total = (a.width() * a.height()) as usize;
    if differing * 1000 > total {
        let out = std::env::temp_dir().join(format!("cartosol-{name}"));
        let _ = std::fs::write(&out, png);
        panic!(
            "{name}: {differing} of {total} pixels differ from the snapshot (new image: {})",
            out.display()
        );
    }
}

#[test]
fn png_sizes_follow_presets() {
    let project = sample();
    for (preset, w, h) in [
        (Preset::A4Landscape, 3508, 2480),
        (Preset::A4Portrait, 2480, 3508),
        (Preset::Slide, 1920, 1080),
        (
            Preset::Custom {
                width_px: 800,
                height_px: 600,
            },
            800,
            600,
        ),
    ] {
        let map = compose_project(&project, &options(preset)).expect("compose");
        let png = render_png(&map).expect("render");
        assert!(png.starts_with(b"\x89PNG"), "{preset:?}");
        let image = Pixmap::decode_png(&png).expect("decodes");
        assert_eq!((image.width(), image.height()), (w, h), "{preset:?}");
    }
}

#[test]
fn svg_carries_title_legend_scale_and_sources() {
    let project = sample();
    let map = compose_project(&project, &options(Preset::A4Landscape)).expect("compose");
    let svg = render_svg(&map);
    assert!(svg.contains(r#"width="297mm" height="210mm" viewBox="0 0 3508 2480""#));
    assert!(svg.contains("Essonne — besoins sociaux"), "title");
    // The EPCI choropleth of TP60 in 5 quantile classes: 13 zones counted in the legend.
    assert_eq!(map.legend.classes.len(), 5);
    assert_eq!(
        map.legend.classes.iter().map(|c| c.count).sum::<usize>(),
        13
    );
    for class in &map.legend.classes {
        let text = format!("{}  ({})", class.label, class.count);
        assert!(svg.contains(&text), "legend entry {text}");
        assert!(class.label.starts_with("de ") && class.label.contains(','));
    }
    assert!(svg.contains("Quantiles (effectifs égaux) — 5 classes"));
    // Zones as even-odd paths, hatching pattern defined, points by theme, scale and north.
    assert!(svg.contains(r#"fill-rule="evenodd""#));
    let zones = svg
        .split_once(r#"<g id="zones""#)
        .and_then(|(_, rest)| rest.split_once("</g>"))
        .map(|(group, _)| group)
        .expect("zones group");
    assert_eq!(zones.matches("<path d=\"M").count(), 13);
    // The communes layer, visible in the project, is outlined over the EPCI choropleth.
    let outlines = svg
        .split_once(r#"<g id="contours""#)
        .and_then(|(_, rest)| rest.split_once("</g>"))
        .map(|(group, _)| group)
        .expect("outlines of the communes");
    assert_eq!(outlines.matches("<path d=\"M").count(), 194);
    assert!(svg.contains(r#"<pattern id="manquant""#));
    assert!(svg.contains("France Services  (35)"));
    assert!(svg.contains("Premier accueil social  (70)"));
    assert!(svg.contains(" km</text>"), "scale bar");
    assert!(svg.contains(r#"<g id="nord">"#));
    assert!(svg.contains("Sources — Géographie : IGN ADMIN EXPRESS"));
    assert!(svg.contains(DATE));
    // Well-formed XML that resvg parses.
    assert!(cartosol::export::svg_to_png(&svg, 350, 248).is_ok());
}

#[test]
fn scale_bar_measures_real_metres() {
    // Essonne spans about 1.0° of longitude at 48.5° N: ≈ 74 km. The frame's scale in ground
    // metres per pixel times the width of the zones' extent must say so.
    let project = sample();
    let map = compose_project(&project, &options(Preset::Slide)).expect("compose");
    let p = cartosol::export::map::map_projector(&map);
    let (x0, _) = p.project(map.extent.min().x, 48.5);
    let (x1, _) = p.project(map.extent.max().x, 48.5);
    let km = (x1 - x0) * p.metres_per_px() / 1000.0;
    let expected = (map.extent.max().x - map.extent.min().x).to_radians()
        * 6_371.0
        * 48.5f64.to_radians().cos();
    assert!(
        (km - expected).abs() / expected < 0.01,
        "{km} km vs {expected} km"
    );
}

#[test]
fn snapshot_epci_slide() {
    let map = compose_project(&sample(), &options(Preset::Slide)).expect("compose");
    snapshot("essonne_epci_diapo.png", &render_png(&map).expect("render"));
}

#[test]
fn snapshot_communes_with_secrecy_hatching() {
    let mut project = communes_project("TP60");
    project.file.map.indicator_label = Some("Taux de pauvreté (%)".to_owned());
    project.file.map.classification.palette = "YlOrRd".to_owned();
    project.file.map.underserved_note = Some(
        "Zones sous-dotées : moins d'un premier accueil social pour 10 000 habitants (règle de démonstration)."
            .to_owned(),
    );
    let map = compose_project(
        &project,
        &options(Preset::Custom {
            width_px: 1240,
            height_px: 1754,
        }),
    )
    .expect("compose");
    // The 60 communes under secrecy are hatched and counted with their reason.
    assert_eq!(
        map.legend.missing,
        vec![(cartosol::Missing::Secret, 60)],
        "{:?}",
        map.legend.missing
    );
    let svg = render_svg(&map);
    assert!(svg.contains("Secret statistique  (60)"));
    assert_eq!(svg.matches(r#"fill="url(#manquant)""#).count(), 60 + 1);
    assert!(svg.contains("règle de démonstration"));
    snapshot(
        "communes_tp60_portrait.png",
        &render_png(&map).expect("render"),
    );
}

#[test]
fn atlas_page_zooms_on_its_epci() {
    let project = sample();
    let (spec, layer) = &project.zones[0];
    assert_eq!(spec.id, "epci");
    let names = layer.attributes.field("NOM").expect("NOM");
    let index = names
        .values
        .iter()
        .position(|v| v.to_string().contains("Étampois"))
        .expect("Étampois Sud-Essonne");
    let map = compose_atlas_page(&project, index, &options(Preset::Slide)).expect("atlas page");
    assert!(map.highlight.is_some());
    assert!(map.title.contains("Étampois"));
    // Communes outlined for orientation, the figures table against the département.
    assert!(!map.outlines.is_empty());
    let figures = map.figures.as_ref().expect("figures");
    assert_eq!(figures.rows[0][0], "TP60");
    let services = figures
        .rows
        .iter()
        .find(|r| r[0] == "Points de service (FICTIFS)")
        .expect("services row");
    // sample_data/README.md: 5 services in the Étampois Sud-Essonne; 299 in all, 3 of them
    // without a position.
    assert_eq!(services[1], "5");
    assert_eq!(services[2], "296");
    snapshot(
        "atlas_etampois_diapo.png",
        &render_png(&map).expect("render"),
    );
}

#[test]
fn geojson_round_trips_through_the_importer() {
    let project = sample();
    let dir = tmp_dir("geojson");
    let out = dir.join("epci.geojson");
    let report =
        export_layer(&project, "epci", &out, &DataExportOptions::default()).expect("export");
    assert_eq!(report.rows, 13);
    // RFC 7946: a FeatureCollection without `crs`, codes as strings, missing as null.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("read")).expect("JSON");
    assert_eq!(json["type"], "FeatureCollection");
    assert!(json.get("crs").is_none());
    let features = json["features"].as_array().expect("features");
    assert_eq!(features.len(), 13);
    for f in features {
        assert!(f["properties"]["CODE_SIREN"].is_string());
        assert!(f["properties"]["TP60"].is_number());
        assert_eq!(f["geometry"]["type"], "MultiPolygon");
        // Exterior rings counter-clockwise (positive shoelace area in lon/lat).
        let ring = &f["geometry"]["coordinates"][0][0];
        let pts: Vec<(f64, f64)> = ring
            .as_array()
            .expect("ring")
            .iter()
            .map(|c| (c[0].as_f64().expect("x"), c[1].as_f64().expect("y")))
            .collect();
        let area: f64 = pts
            .windows(2)
            .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
            .sum();
        assert!(area > 0.0);
        assert!(
            pts.iter()
                .all(|(x, y)| (1.9..2.7).contains(x) && (48.2..48.8).contains(y))
        );
    }
    // Back through the importer: same codes, same values, same geometry.
    let back = load_zones(&out, &ZoneOptions::default()).expect("re-import");
    let (_, original) = &project.zones[0];
    assert_eq!(back.len(), original.len());
    for name in ["CODE_SIREN", "NOM", "TP60", "NBMENFISC", "PART_FAM_MONO"] {
        assert_eq!(
            back.attributes.field(name).expect(name).values,
            original.attributes.field(name).expect(name).values,
            "{name}"
        );
    }
    assert_eq!(back.bbox(), original.bbox());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn csv_opens_in_french_excel() {
    let project = sample();
    let dir = tmp_dir("csv");
    let out = dir.join("communes.csv");
    // The French convention is the default: no option for the decimal comma.
    let options = DataExportOptions {
        reason_columns: true,
        ..DataExportOptions::default()
    };
    export_layer(&project, "communes", &out, &options).expect("export");
    let bytes = std::fs::read(&out).expect("read");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM");
    let text = String::from_utf8(bytes[3..].to_vec()).expect("UTF-8");
    let header: Vec<&str> = text.lines().next().expect("header").split(';').collect();
    assert_eq!(header[0], "INSEE_COM");
    assert!(header.contains(&"TP60") && header.contains(&"TP60_motif"));
    assert!(text.contains("\r\n"));
    // Decimal commas; secrecy as an empty cell with its reason.
    let tp = header.iter().position(|h| *h == "TP60").expect("TP60");
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(';').collect())
        .collect();
    assert_eq!(rows.len(), 194);
    assert!(rows.iter().any(|r| r[tp].contains(',')));
    let secret = rows.iter().filter(|r| r[tp].is_empty()).count();
    assert_eq!(secret, 60);
    assert!(rows.iter().any(|r| r[tp + 1] == "secret statistique"));
    // CartoSol's own CSV reader reads it back with the same codes and numbers.
    let back = load_table(&out, &TableOptions::default()).expect("re-import");
    let (_, original) = &project.zones[1];
    for name in ["INSEE_COM", "TP60", "NBMENFISC"] {
        let a = &back.table.field(name).expect(name).values;
        let b = &original.attributes.field(name).expect(name).values;
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            match (x, y) {
                (ValueRef::Missing(_), ValueRef::Missing(_)) => {}
                _ => assert_eq!(x, y, "{name}"),
            }
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn xlsx_has_typed_cells_and_header() {
    let project = sample();
    let dir = tmp_dir("xlsx");
    let out = dir.join("epci.xlsx");
    export_layer(&project, "epci", &out, &DataExportOptions::default()).expect("export");
    let back = load_table(&out, &TableOptions::default()).expect("re-import");
    assert_eq!(back.header_row, 1);
    assert_eq!(back.table.len(), 13);
    let tp = back.table.field("TP60").expect("TP60");
    assert!(tp.values.iter().all(|v| matches!(v, ValueRef::Number(_))));
    let codes = back.table.field("CODE_SIREN").expect("codes");
    assert!(
        codes
            .values
            .iter()
            .all(|v| matches!(v, ValueRef::Text(t) if t.len() == 9))
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn geopackage_in_lambert93_loads_back() {
    let project = sample();
    let dir = tmp_dir("gpkg");
    let out = dir.join("communes.gpkg");
    let report =
        export_layer(&project, "communes", &out, &DataExportOptions::default()).expect("export");
    assert_eq!(report.rows, 194);
    let back = load_zones(&out, &ZoneOptions::default()).expect("re-import");
    assert_eq!(
        back.source.crs.as_deref().map(|c| c.contains("2154")),
        Some(true)
    );
    let (_, original) = &project.zones[1];
    assert_eq!(
        back.attributes.field("INSEE_COM").expect("codes").values,
        original
            .attributes
            .field("INSEE_COM")
            .expect("codes")
            .values
    );
    // Lambert-93 and back: the same contours within a centimetre.
    let (a, b) = (back.bbox().expect("bbox"), original.bbox().expect("bbox"));
    assert!((a.min().x - b.min().x).abs() < 1e-7 && (a.max().y - b.max().y).abs() < 1e-7);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn small_counts_are_masked_unless_the_guard_is_lifted() {
    // Poor retired households (a Filosofi count): several small communes count fewer than 11.
    let project = sample();
    let (_, communes) = &project.zones[1];
    let small = communes
        .attributes
        .field("MP_RETRAITES")
        .expect("field")
        .values
        .iter()
        .filter(|v| v.as_f64().is_some_and(|x| x < 11.0))
        .count();
    assert!(small > 0, "fixture has small counts");
    let dir = tmp_dir("secret");
    let out = dir.join("communes.geojson");
    let report =
        export_layer(&project, "communes", &out, &DataExportOptions::default()).expect("export");
    assert!(report.secrecy.total() >= small);
    assert!(report.to_string().contains("Secret statistique"));
    let back = load_zones(&out, &ZoneOptions::default()).expect("re-import");
    let values = &back.attributes.field("MP_RETRAITES").expect("field").values;
    assert!(values.iter().all(|v| v.as_f64().is_none_or(|x| x >= 11.0)));
    // EPCI level: nothing is masked.
    let epci = export_layer(
        &project,
        "epci",
        &dir.join("epci.csv"),
        &DataExportOptions::default(),
    )
    .expect("export");
    assert_eq!(epci.secrecy.total(), 0);
    // Lifted explicitly: the small counts are there, and the report says it.
    let lifted = DataExportOptions {
        secrecy: SecrecyGuard {
            lifted: true,
            ..SecrecyGuard::default()
        },
        ..DataExportOptions::default()
    };
    let report = export_layer(&project, "communes", &out, &lifted).expect("export");
    assert!(report.to_string().contains("levé"));
    let back = load_zones(&out, &ZoneOptions::default()).expect("re-import");
    let values = &back.attributes.field("MP_RETRAITES").expect("field").values;
    assert_eq!(
        values
            .iter()
            .filter(|v| v.as_f64().is_some_and(|x| x < 11.0))
            .count(),
        small
    );
    // A commune map of a count says so in its notes.
    let project = communes_project("MP_RETRAITES");
    let map = compose_project(&project, &options(Preset::Slide)).expect("compose");
    assert!(
        map.notes
            .iter()
            .any(|n| n.starts_with("Secret statistique"))
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn personal_data_leaves_only_aggregated() {
    let mut project = sample();
    project.file.map.privacy.personal_layers = vec!["services".to_owned()];
    let dir = tmp_dir("personal");
    let e = export_layer(
        &project,
        "services",
        &dir.join("services.geojson"),
        &DataExportOptions::default(),
    )
    .expect_err("points of personal data");
    assert!(matches!(e, ExportError::PersonalData { .. }));
    assert!(e.to_string().contains("données personnelles"), "{e}");
    // Aggregated to communes: counts per zone (and small counts masked).
    let out = dir.join("services_par_commune.csv");
    let options = DataExportOptions {
        aggregate_to: Some("communes".to_owned()),
        ..DataExportOptions::default()
    };
    let report = export_layer(&project, "services", &out, &options).expect("aggregated");
    assert_eq!(report.rows, 194);
    let text = std::fs::read_to_string(&out).expect("read");
    assert!(text.lines().next().expect("header").contains("NB_POINTS"));
    // Counts of persons: every commune with fewer than 11 (299 points over 194 communes:
    // most of them) is masked.
    let back = load_table(&out, &TableOptions::default()).expect("re-import");
    let counts = &back.table.field("NB_POINTS").expect("NB_POINTS").values;
    assert!(counts.iter().all(|v| v.as_f64().is_none_or(|x| x >= 11.0)));
    assert!(
        report
            .secrecy
            .masked
            .iter()
            .any(|(f, n)| f == "NB_POINTS" && *n > 100),
        "{:?}",
        report.secrecy
    );
    assert!(report.secrecy.reasons.contains(&(
        "NB_POINTS".to_owned(),
        "effectif de personnes d'une couche de données personnelles".to_owned()
    )));
    // The same counts of a service layer (not personal) are not sensitive.
    project.file.map.privacy.personal_layers.clear();
    let report = export_layer(&project, "services", &out, &options).expect("aggregated");
    assert_eq!(report.secrecy.total(), 0);
    let back = load_table(&out, &TableOptions::default()).expect("re-import");
    let counts = &back.table.field("NB_POINTS").expect("NB_POINTS").values;
    assert_eq!(counts.iter().filter_map(|v| v.as_f64()).sum::<f64>(), 296.0);
    project.file.map.privacy.personal_layers = vec!["services".to_owned()];
    // Nor are they drawn on maps.
    let map: MapComposition = compose_project(&project, &options_slide()).expect("compose");
    assert!(
        map.points
            .iter()
            .all(|g| g.layer != "Points de service (FICTIFS)")
    );
    assert!(map.notes.iter().any(|n| n.contains("données personnelles")));
    let _ = std::fs::remove_dir_all(dir);
}

fn options_slide() -> RenderOptions {
    options(Preset::Slide)
}

#[test]
fn saved_project_reopens_to_the_same_map() {
    let dir = tmp_dir("save");
    let mut project = sample();
    project.file.map.classification.method = cartosol::style::ClassMethod::NaturalBreaks;
    project.file.map.classification.palette = "PuBuGn".to_owned();
    project.file.map.hidden_themes = vec!["Crèche".to_owned()];
    let before =
        render_png(&compose_project(&project, &options_slide()).expect("compose")).expect("render");
    // Saved elsewhere: source paths are rebased, relative to the new file.
    let path = dir.join("copie.cartosol.json");
    save_project(&project.file, Path::new("sample_data"), &path).expect("save");
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains("\"cartosol\": 1"));
    assert!(!text.contains("\"/"), "no absolute path: {text}");
    assert!(
        std::fs::read_dir(&dir).expect("dir").count() == 1,
        "no temporary file left"
    );
    let reopened = open_project(&path).expect("reopen");
    assert_eq!(reopened.file.map, project.file.map);
    let after = render_png(&compose_project(&reopened, &options_slide()).expect("compose"))
        .expect("render");
    assert!(before == after, "same PNG bytes after save and reopen");

    // Autosave (in a data folder of its own) and recovery.
    let data = dir.join("donnees");
    assert!(recover(&path, &data).is_none());
    let mut changed = reopened.file.clone();
    changed.map.indicator = "PART_FAM_MONO".to_owned();
    autosave(&changed, &path, &data).expect("autosave");
    let recovered = recover(&path, &data).expect("recovery offered");
    assert_eq!(recovered.map.indicator, "PART_FAM_MONO");
    cartosol::project::discard_autosave(&path, &data).expect("discard");
    assert!(recover(&path, &data).is_none());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn command_line_render_and_errors() {
    let dir = tmp_dir("cli");
    let exe = env!("CARGO_BIN_EXE_cartosol");
    let out = dir.join("carte.svg");
    let status = std::process::Command::new(exe)
        .args(["render", SAMPLE_PROJECT, "--preset", "diapo", "--out"])
        .arg(&out)
        .output()
        .expect("run");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert!(std::fs::read_to_string(&out).expect("svg").contains("<svg"));
    let bad = std::process::Command::new(exe)
        .args(["render", SAMPLE_PROJECT, "--preset", "géant", "--out"])
        .arg(dir.join("x.png"))
        .output()
        .expect("run");
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("format de page inconnu « géant »"),
        "{stderr}"
    );
    let bad = std::process::Command::new(exe)
        .args(["export", SAMPLE_PROJECT, "--layer", "iris", "--out"])
        .arg(dir.join("x.csv"))
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("couche « iris » absente"), "{stderr}");
    let _ = std::fs::remove_dir_all(dir);
}

/// The envelope (min x, max x, min y, max y) of a little-endian WKB MultiPolygon, parsed by
/// hand (independently of the writer).
fn wkb_envelope(wkb: &[u8]) -> [f64; 4] {
    let u32_at = |i: usize| u32::from_le_bytes(wkb[i..i + 4].try_into().expect("u32"));
    let f64_at = |i: usize| f64::from_le_bytes(wkb[i..i + 8].try_into().expect("f64"));
    assert_eq!((wkb[0], u32_at(1)), (1, 6), "little-endian MultiPolygon");
    let mut env = [f64::MAX, f64::MIN, f64::MAX, f64::MIN];
    let mut at = 9;
    for _ in 0..u32_at(5) {
        assert_eq!((wkb[at], u32_at(at + 1)), (1, 3), "Polygon");
        let rings = u32_at(at + 5);
        at += 9;
        for _ in 0..rings {
            let n = u32_at(at) as usize;
            at += 4;
            for k in 0..n {
                let (x, y) = (f64_at(at + 16 * k), f64_at(at + 16 * k + 8));
                env = [env[0].min(x), env[1].max(x), env[2].min(y), env[3].max(y)];
            }
            at += 16 * n;
        }
    }
    assert_eq!(at, wkb.len(), "whole WKB read");
    env
}

#[test]
fn geopackage_has_a_spatial_index_and_integer_counts() {
    let project = sample();
    let dir = tmp_dir("gpkg-rtree");
    let out = dir.join("communes.gpkg");
    export_layer(&project, "communes", &out, &DataExportOptions::default()).expect("export");
    let db = rusqlite::Connection::open(&out).expect("open");
    // Column types: whole counts as INTEGER, rates as REAL, codes as TEXT.
    let types: Vec<(String, String)> = db
        .prepare("PRAGMA table_info(communes)")
        .expect("table_info")
        .query_map([], |r| Ok((r.get(1)?, r.get(2)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("types");
    let type_of = |name: &str| {
        types
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_str())
            .unwrap_or("absent")
    };
    assert_eq!(type_of("INSEE_COM"), "TEXT");
    assert_eq!(type_of("POPULATION"), "INTEGER");
    assert_eq!(type_of("NBMENFISC"), "INTEGER");
    assert_eq!(
        type_of("MP_RETRAITES"),
        "INTEGER",
        "small values masked, rest whole"
    );
    assert_eq!(type_of("TP60"), "REAL");
    assert_eq!(type_of("geom"), "MULTIPOLYGON");
    // The R-tree extension as GDAL declares it.
    let extension: (String, String, String, String, String) = db
        .query_row("SELECT * FROM gpkg_extensions", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .expect("extension row");
    assert_eq!(
        extension,
        (
            "communes".to_owned(),
            "geom".to_owned(),
            "gpkg_rtree_index".to_owned(),
            "http://www.geopackage.org/spec120/#extension_rtree".to_owned(),
            "write-only".to_owned()
        )
    );
    let triggers: i64 = db
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'rtree_communes_geom_%'",
            [],
            |r| r.get(0),
        )
        .expect("triggers");
    assert_eq!(triggers, 6);
    // One index row per feature, holding the feature's envelope (SQLite stores 32-bit floats,
    // rounded outwards: within a metre in Lambert-93).
    let rows: Vec<(i64, Vec<u8>, [f64; 4])> = db
        .prepare(
            "SELECT c.fid, c.geom, r.minx, r.maxx, r.miny, r.maxy FROM communes c JOIN rtree_communes_geom r ON r.id = c.fid",
        )
        .expect("join")
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                [r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?],
            ))
        })
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("index rows");
    assert_eq!(rows.len(), 194);
    let indexed: i64 = db
        .query_row("SELECT count(*) FROM rtree_communes_geom", [], |r| r.get(0))
        .expect("count");
    assert_eq!(indexed, 194);
    for (fid, blob, rtree) in &rows {
        // GeoPackage header: "GP", version, flags (envelope xy), srs id, 4 doubles.
        assert_eq!(&blob[..2], b"GP");
        let env = wkb_envelope(&blob[40..]);
        assert!(
            (2e5..1.3e6).contains(&env[0]) && (6e6..7.2e6).contains(&env[2]),
            "Lambert-93"
        );
        assert!(
            rtree[0] <= env[0] && rtree[1] >= env[1] && rtree[2] <= env[2] && rtree[3] >= env[3],
            "feature {fid}: {rtree:?} holds {env:?}"
        );
        assert!(
            rtree.iter().zip(env).all(|(r, e)| (r - e).abs() < 1.0),
            "feature {fid}: {rtree:?} vs {env:?}"
        );
    }
    drop(db);
    // Integers and reals read back as the same numbers (missing values as NULL).
    let back = load_zones(&out, &ZoneOptions::default()).expect("re-import");
    let (_, original) = &project.zones[1];
    let numbers = |layer: &cartosol::ZoneLayer, name: &str| -> Vec<Option<f64>> {
        let field = layer.attributes.field(name).expect(name);
        field.values.iter().map(ValueRef::as_f64).collect()
    };
    for name in ["POPULATION", "NBMENFISC", "TP60"] {
        assert_eq!(numbers(&back, name), numbers(original, name), "{name}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// `100 × Σ numerator / Σ denominator` over the communes of EPCI `code` (hand computation),
/// `None` when one of them lacks a value (secret).
fn ratio_of_sums(project: &Project, code: &str, numerator: &str, denominator: &str) -> Option<f64> {
    let (_, communes) = &project.zones[1];
    let a = &communes.attributes;
    let epci = a.field("SIREN_EPCI").expect("SIREN_EPCI");
    let (num, den) = (
        a.field(numerator).expect("numerator"),
        a.field(denominator).expect("denominator"),
    );
    let (mut n, mut d) = (0.0, 0.0);
    for i in 0..a.len() {
        if !epci
            .values
            .get(i)
            .unwrap()
            .to_string()
            .split('/')
            .any(|c| c == code)
        {
            continue;
        }
        n += num.values.get(i).unwrap().as_f64()?;
        d += den.values.get(i).unwrap().as_f64()?;
    }
    Some(100.0 * n / d)
}

#[test]
fn declared_ratios_drive_the_aggregation_of_communes_to_epci() {
    let mut project = sample();
    let dir = tmp_dir("ratios");
    let out = dir.join("communes_par_epci.csv");
    let options = DataExportOptions {
        aggregate_to: Some("epci".to_owned()),
        ..DataExportOptions::default()
    };
    let check = |project: &Project, denominator: &str| {
        let report = export_layer(project, "communes", &out, &options).expect("export");
        assert_eq!(report.rows, 13);
        assert!(
            report.to_string().contains(&format!(
                "(TP60) : recalculé : 100 × NB_MEN_PAUV / {denominator}"
            )),
            "{report}"
        );
        let back = load_table(&out, &TableOptions::default()).expect("re-import");
        let codes = back.table.field("CODE_SIREN").expect("codes");
        let tp60 = back.table.field("TP60").expect("TP60");
        let mut computed = 0;
        for (code, value) in codes.values.iter().zip(&tp60.values) {
            match ratio_of_sums(project, &code.to_string(), "NB_MEN_PAUV", denominator) {
                Some(expected) => {
                    computed += 1;
                    let got = value.as_f64().expect("a ratio");
                    assert!((got - expected).abs() < 1e-9, "{code}: {got} vs {expected}");
                }
                None => assert!(value.as_f64().is_none(), "{code}: a secret commune"),
            }
        }
        assert!(
            computed >= 3,
            "only {computed} EPCI without secret communes"
        );
        tp60.values.clone()
    };
    let households = check(&project, "NBMENFISC");
    // Another declared rule, another output.
    project.file.tables[1].ratios[0].denominator = "NBPERSMENFISC".to_owned();
    let persons = check(&project, "NBPERSMENFISC");
    assert_ne!(households, persons);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn atlas_reference_figures_follow_the_declared_ratio() {
    let mut project = sample();
    let reference = |project: &Project| {
        let map = compose_atlas_page(project, 0, &options(Preset::Slide)).expect("atlas page");
        let figures = map.figures.expect("figures");
        let row = figures
            .rows
            .iter()
            .find(|r| r[0] == "TP60")
            .expect("TP60 row")
            .clone();
        row[2].clone()
    };
    // Over the 13 EPCI: 100 × Σ poor households / Σ fiscal households (or persons).
    let (_, epci) = &project.zones[0];
    let sum = |name: &str| -> f64 {
        epci.attributes
            .field(name)
            .expect(name)
            .values
            .iter()
            .map(|v| v.as_f64().expect("EPCI value"))
            .sum()
    };
    let (poor, households, persons) = (sum("NB_MEN_PAUV"), sum("NBMENFISC"), sum("NBPERSMENFISC"));
    let fr = |x: f64| format!("{:.1}", x).replace('.', ",");
    assert_eq!(reference(&project), fr(100.0 * poor / households));
    project.file.tables[1].ratios[0].denominator = "NBPERSMENFISC".to_owned();
    assert_eq!(reference(&project), fr(100.0 * poor / persons));
}

#[test]
fn command_line_csv_convention() {
    let dir = tmp_dir("cli-csv");
    let exe = env!("CARGO_BIN_EXE_cartosol");
    let run = |extra: &[&str], name: &str| {
        let out = dir.join(name);
        let result = std::process::Command::new(exe)
            .args(["export", SAMPLE_PROJECT, "--layer", "epci", "--out"])
            .arg(&out)
            .args(extra)
            .output()
            .expect("run");
        assert!(
            result.status.success(),
            "{}",
            String::from_utf8_lossy(&result.stderr)
        );
        let bytes = std::fs::read(&out).expect("csv");
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM");
        let text = String::from_utf8(bytes[3..].to_vec()).expect("UTF-8");
        let header: Vec<String> = text
            .lines()
            .next()
            .expect("header")
            .split(';')
            .map(str::to_owned)
            .collect();
        let tp = header.iter().position(|h| h == "TP60").expect("TP60");
        let rates: Vec<String> = text
            .split("\r\n")
            .skip(1)
            .filter(|l| !l.is_empty())
            .map(|l| l.split(';').nth(tp).expect("cell").to_owned())
            .collect();
        assert_eq!(rates.len(), 13);
        rates
    };
    // French by default; `--virgule-decimale` is still accepted and changes nothing.
    let default = run(&[], "defaut.csv");
    assert!(default.iter().any(|r| r.contains(',')) && !default.iter().any(|r| r.contains('.')));
    assert_eq!(run(&["--virgule-decimale"], "virgule.csv"), default);
    let point = run(&["--point-decimal"], "point.csv");
    assert_eq!(
        point,
        default
            .iter()
            .map(|r| r.replace(',', "."))
            .collect::<Vec<_>>()
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn ratio_rules_prefer_the_layers_own_tables() {
    use cartosol::aggregate::RatioRule;
    use cartosol::project::ratio_rules;
    let mut project = sample();
    // Declared on the communes' table only: it holds for the EPCI too.
    let rules = ratio_rules(&project.file, "epci");
    assert_eq!(rules.len(), 1);
    assert_eq!(
        (rules[0].field.as_str(), rules[0].denominator.as_str()),
        ("TP60", "NBMENFISC")
    );
    // A rule declared on the EPCI's own table wins there, not for the communes.
    project.file.tables[0].ratios.push(RatioRule {
        field: "tp60".to_owned(),
        numerator: "NB_MEN_PAUV".to_owned(),
        denominator: "NBPERSMENFISC".to_owned(),
        scale: 100.0,
    });
    assert_eq!(
        ratio_rules(&project.file, "epci")[0].denominator,
        "NBPERSMENFISC"
    );
    let communes = ratio_rules(&project.file, "communes");
    assert_eq!(communes.len(), 1);
    assert_eq!(communes[0].denominator, "NBMENFISC");
}

#[test]
fn legal_populations_are_never_masked_and_old_privacy_settings_load() {
    let mut project = sample();
    // A commune of 7 inhabitants: a legal census population, published as such.
    let (_, communes) = &mut project.zones[1];
    let population = communes
        .attributes
        .fields
        .iter_mut()
        .find(|f| f.name == "POPULATION")
        .expect("POPULATION");
    population.values.set(0, Value::Number(7.0));
    let dir = tmp_dir("population");
    let out = dir.join("communes.csv");
    let report =
        export_layer(&project, "communes", &out, &DataExportOptions::default()).expect("export");
    assert!(report.secrecy.masked.iter().all(|(f, _)| f != "POPULATION"));
    let back = load_table(&out, &TableOptions::default()).expect("re-import");
    assert_eq!(
        back.table
            .field("POPULATION")
            .expect("POPULATION")
            .values
            .get(0)
            .unwrap(),
        Value::Number(7.0)
    );
    // Unless the user marks it.
    project.file.map.privacy.set_sensitive("POPULATION", true);
    let report =
        export_layer(&project, "communes", &out, &DataExportOptions::default()).expect("export");
    assert!(
        report
            .secrecy
            .masked
            .contains(&("POPULATION".to_owned(), 1))
    );
    // Privacy settings written before `public_fields` existed still load.
    let old: cartosol::project::PrivacySpec =
        serde_json::from_str(r#"{"count_fields": ["NB_FAM_MONO"], "personal_layers": []}"#)
            .expect("old settings");
    assert_eq!(old.count_fields, vec!["NB_FAM_MONO"]);
    assert!(old.public_fields.is_empty());
    let _ = std::fs::remove_dir_all(dir);
}

/// `cartosol render --view NAME` draws the view as the app and the deck show it: its zone
/// layer and indicator, not only its frame (the sample's second view maps the communes).
#[test]
fn render_of_a_saved_view_uses_its_layer_and_indicator() {
    let dir = tmp_dir("vue");
    let out = dir.join("vue.svg");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_cartosol"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "render",
            "sample_data/essonne.cartosol.json",
            "--view",
            "Grand Paris Sud — communes",
            "--preset",
            "diapo",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let svg = std::fs::read_to_string(&out).unwrap();
    // The map's layer is the EPCI; the view's is the communes, 60 of them under secrecy.
    assert!(
        svg.contains("— Communes de l&apos;Essonne") || svg.contains("— Communes de l'Essonne")
    );
    assert!(
        svg.contains("Secret statistique  (60)"),
        "légende des communes attendue"
    );
}
