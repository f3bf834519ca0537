//! The app exports what `cartosol export` exports: the same layer, written from the app's
//! *Exporter une couche…* command and from the command line, gives the same file in every
//! format — byte for byte for GeoJSON and CSV; for XLSX every part of the workbook but its
//! creation date (`docProps/core.xml`); for GeoPackage every table, row and schema statement
//! but the `last_change` time stamp of `gpkg_contents`.

mod common;

use cartosol::app::basemap::BasemapChoice;
use cartosol::app::dialogs::Dialog;
use cartosol::app::state::LayerRef;
use cartosol::app::{CartoSolApp, Command};
use common::temp_dir;
use egui_kittest::Harness;
use std::io::Read;
use std::path::Path;

fn export_from_app(harness: &mut Harness<'static, CartoSolApp>, layer: usize, path: &Path) {
    harness.state_mut().ui_state.dialog = Dialog::None;
    harness.state_mut().send(Command::ExportLayer {
        layer: LayerRef::Zones(layer),
        path: path.to_owned(),
        decimal_comma: true,
        reason_columns: false,
        aggregate_to: None,
    });
    for _ in 0..400 {
        harness.run_steps(1);
        match &harness.state().ui_state.dialog {
            Dialog::Error(e) => panic!("export from the app: {e}"),
            Dialog::Report { .. } => return,
            _ => std::thread::sleep(std::time::Duration::from_millis(50)),
        }
    }
    panic!("the app's export did not finish");
}

fn export_from_cli(layer: &str, path: &Path) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cartosol"))
        .args([
            "export",
            "sample_data/essonne.cartosol.json",
            "--layer",
            layer,
            "--out",
        ])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cartosol export: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every part of a workbook but its creation date.
fn xlsx_parts(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut parts = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().unwrap().into_owned();
        if name == "docProps/core.xml" {
            continue;
        }
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        parts.push((name, bytes));
    }
    parts.sort();
    parts
}

/// Every schema statement and every row of a GeoPackage (as text), but `last_change`.
fn gpkg_dump(path: &Path) -> Vec<String> {
    let db = rusqlite::Connection::open(path).unwrap();
    let mut lines = Vec::new();
    let tables: Vec<(String, Option<String>)> = db
        .prepare("SELECT name, sql FROM sqlite_master ORDER BY type, name")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (name, sql) in &tables {
        lines.push(format!("schema {name}: {sql:?}"));
    }
    for (name, sql) in tables {
        let is_table = sql
            .as_deref()
            .is_some_and(|s| s.starts_with("CREATE TABLE"));
        if !is_table {
            continue;
        }
        let mut stmt = db.prepare(&format!("SELECT * FROM \"{name}\"")).unwrap();
        let columns: Vec<String> = stmt.column_names().map(str::to_owned).collect();
        let rows: Vec<String> = stmt
            .query_map([], |r| {
                let mut cells = Vec::new();
                for (i, c) in columns.iter().enumerate() {
                    if name == "gpkg_contents" && c == "last_change" {
                        continue;
                    }
                    let v: rusqlite::types::Value = r.get(i)?;
                    cells.push(format!("{c}={v:?}"));
                }
                Ok(cells.join("|"))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for row in rows {
            lines.push(format!("{name}: {row}"));
        }
    }
    lines
}

#[test]
fn a_layer_exported_from_the_app_equals_the_command_line_export() {
    let mut harness = common::app(BasemapChoice::None, "exports-tuiles");
    let dir = temp_dir("exports-app-cli");
    let layers: Vec<(usize, String, usize)> = harness
        .state()
        .ws
        .zones
        .iter()
        .enumerate()
        .map(|(i, z)| (i, z.spec.id.clone(), z.layer.len()))
        .collect();
    assert_eq!(layers.len(), 2, "the EPCI and the communes");
    for (index, id, features) in layers {
        for ext in ["geojson", "csv", "xlsx", "gpkg"] {
            let from_app = dir.join(format!("{id}_app.{ext}"));
            let from_cli = dir.join(format!("{id}_cli.{ext}"));
            export_from_app(&mut harness, index, &from_app);
            export_from_cli(&id, &from_cli);
            match ext {
                "xlsx" => assert_eq!(xlsx_parts(&from_app), xlsx_parts(&from_cli), "{id}.{ext}"),
                "gpkg" => {
                    let (a, b) = (gpkg_dump(&from_app), gpkg_dump(&from_cli));
                    // One row per feature in the layer's table and in its R-tree, at least.
                    assert!(a.len() > 2 * features, "{id}.{ext}: {} lines", a.len());
                    assert_eq!(a, b, "{id}.{ext}");
                }
                _ => assert!(
                    std::fs::read(&from_app).unwrap() == std::fs::read(&from_cli).unwrap(),
                    "{id}.{ext} differs between the app and the command line"
                ),
            }
        }
    }
}
