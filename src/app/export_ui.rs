//! Saving the project (atomic, with autosave and recovery after a crash) and exporting from the
//! app: the map (PNG/SVG, same composition code as `cartosol render`), the atlas, a layer with
//! its joined and computed attributes (same function as `cartosol export`) and the list of
//! under-served zones (same writers). Exports run off the UI thread.
//!
//! The list of under-served zones carries the rule in words in a last column, `regle`, repeated
//! on every row: a column survives every format (CSV, XLSX, GeoJSON properties, GeoPackage
//! attributes) and keeps the table rectangular and typed, where an extra last row would break
//! the numeric columns and the geometry formats.

use super::analysis_ui::{AnalysisState, Gaps};
use super::state::{LayerRef, Workspace};
use crate::analysis::bivariate::class_label;
use crate::export::compose::{RenderOptions, compose_project};
use crate::export::data::{DataExportOptions, ExportReport, Geometries, write_layer};
use crate::export::map::{Preset, render_svg};
use crate::export::secrecy::{SecrecyGuard, zone_level};
use crate::model::{Field, FieldKind, Table};
use crate::project::{Project, ViewSpec};
use crate::value::{Missing, Value, ValueRef};
use std::path::{Path, PathBuf};

/// Seconds between two autosaves.
pub const AUTOSAVE_SECONDS: f64 = 60.0;

/// A project built from the workspace (layers cloned), for the export code.
pub fn project_of(ws: &Workspace, view: Option<ViewSpec>) -> Project {
    let mut file = ws.file.clone();
    file.map.view = view;
    Project {
        path: ws
            .path
            .clone()
            .unwrap_or_else(|| PathBuf::from("projet.cartosol.json")),
        file,
        zones: ws
            .zones
            .iter()
            .map(|z| (z.spec.clone(), z.layer.clone()))
            .collect(),
        points: ws
            .points
            .iter()
            .map(|p| (p.spec.clone(), p.layer.clone()))
            .collect(),
        joins: ws.joins.clone(),
    }
}

/// The folder the project's relative paths refer to.
pub fn base_dir(ws: &Workspace) -> PathBuf {
    ws.path
        .as_deref()
        .and_then(Path::parent)
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")))
}

/// Saves the workspace's project to `path` (atomic and durable) and removes its autosave from
/// the data folder `data_dir` (the library's [`crate::project::save_and_discard_autosave`]).
pub fn save(
    ws: &mut Workspace,
    path: &Path,
    view: Option<ViewSpec>,
    data_dir: &Path,
) -> Result<String, String> {
    ws.sync_file();
    let mut file = ws.file.clone();
    file.map.view = view;
    crate::project::save_and_discard_autosave(&file, &base_dir(ws), path, data_dir)
        .map_err(|e| e.to_string())?;
    // Paths are now relative to the new folder.
    if ws.path.as_deref() != Some(path) {
        // Saved under another name (a read-only sample's copy): the changes autosaved for
        // the former file are in this one now; not to be offered again when it reopens.
        if let Some(former) = &ws.path {
            let _ = crate::project::discard_autosave(former, data_dir);
        }
        let from = base_dir(ws);
        crate::project::rebase_paths(&mut ws.file, &from, path.parent().unwrap_or(Path::new(".")));
        ws.path = Some(path.to_owned());
    }
    Ok(format!("Projet enregistré : {}", path.display()))
}

/// Fingerprints of the project (without the map's current view) as its file holds it and as
/// last written (file or autosave): the autosave runs only when the project really changed
/// since, so moving the map around writes nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AutosaveMarks {
    /// The project as its file holds it (at opening or last save).
    pub saved: u64,
    /// The project as last written, to its file or its autosave.
    pub written: u64,
}

impl AutosaveMarks {
    /// Marks for a workspace just opened or saved: nothing to autosave.
    pub fn of(ws: &mut Workspace) -> AutosaveMarks {
        let now = ws.content_fingerprint();
        AutosaveMarks {
            saved: now,
            written: now,
        }
    }
}

/// Writes the autosave of the workspace's project into the data folder `data_dir` when the
/// project changed since it was last written (moving the view is no change); when the changes
/// were undone back to the saved file, removes the autosave instead. Nothing for a project
/// without a file.
pub fn autosave(
    ws: &mut Workspace,
    view: Option<ViewSpec>,
    data_dir: &Path,
    marks: &mut AutosaveMarks,
) -> Result<(), String> {
    let Some(path) = ws.path.clone() else {
        return Ok(());
    };
    let now = ws.content_fingerprint();
    if now == marks.written {
        return Ok(());
    }
    if now == marks.saved {
        crate::project::discard_autosave(&path, data_dir).map_err(|e| e.to_string())?;
    } else {
        let mut file = ws.file.clone();
        file.map.view = view;
        crate::project::autosave(&file, &path, data_dir).map_err(|e| e.to_string())?;
    }
    marks.written = now;
    Ok(())
}

/// Whether the project at `path` is read-only: the bundled sample, or a file or folder that
/// cannot be written ([`crate::project::is_read_only_project`]).
pub fn is_read_only(path: &Path) -> bool {
    crate::project::is_read_only_project(path, crate::bundled::bundled_sample_dir().as_deref())
}

/// Why Ctrl+S on a read-only project opens *Enregistrer sous*, in French.
pub fn read_only_message(path: &Path) -> String {
    format!(
        "« {} » est en lecture seule (projet d'exemple fourni avec CartoSol, ou fichier protégé) : \
         enregistrez une copie avec « Enregistrer sous »",
        path.display()
    )
}

/// The name proposed to save a copy of the read-only project at `path`: the same file name in
/// the user's home folder (the current folder may be anything when the app was started from
/// a file manager).
pub fn save_as_suggestion(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "projet.cartosol.json".to_owned());
    match std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE")) {
        Some(home) => Path::new(&home).join(name).display().to_string(),
        None => name,
    }
}

/// Exports the map as the screen shows it (indicator, classes, view, the analysis overlay) to a
/// PNG or SVG file.
pub fn export_map(
    project: &Project,
    path: &Path,
    preset: Preset,
    overlay: crate::style::map_style::MapOverlay,
) -> Result<String, String> {
    let start = std::time::Instant::now();
    let options = RenderOptions {
        overlay,
        ..RenderOptions::new(preset)
    };
    let map = compose_project(project, &options).map_err(|e| e.to_string())?;
    let svg = render_svg(&map);
    let is_svg = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("svg"));
    let bytes = if is_svg {
        svg.into_bytes()
    } else {
        crate::export::raster::svg_to_png(&svg, map.page.width_px, map.page.height_px)
            .map_err(|e| e.to_string())?
    };
    crate::export::write_atomic(path, &bytes).map_err(|e| e.to_string())?;
    Ok(format!(
        "Carte exportée : {} ({} × {} px, {:.1} s)",
        path.display(),
        map.page.width_px,
        map.page.height_px,
        start.elapsed().as_secs_f64()
    ))
}

/// Writes one map per EPCI of the map layer into `dir`.
pub fn export_atlas(project: &Project, dir: &Path) -> Result<String, String> {
    let pages = crate::export::atlas::write_atlas(
        project,
        dir,
        &RenderOptions::new(Preset::A4Landscape),
        false,
    )
    .map_err(|e| e.to_string())?;
    Ok(format!(
        "Atlas : {} cartes écrites dans {}",
        pages.len(),
        dir.display()
    ))
}

/// What an export from the app wrote: a line for the status bar and, for data exports, the
/// report shown in a dialog (title, text).
#[derive(Clone, Debug, PartialEq)]
pub struct ExportDone {
    /// One line for the status bar.
    pub summary: String,
    /// The report dialog's title and text, if any.
    pub report: Option<(String, String)>,
}

impl From<String> for ExportDone {
    fn from(summary: String) -> ExportDone {
        ExportDone {
            summary,
            report: None,
        }
    }
}

/// Column of a zone layer export: the theme of services counted.
pub const THEME_COLUMN: &str = "offre_dispositif";
/// Column: services of the theme in the zone.
pub const SERVICES_COLUMN: &str = "services_nombre";
/// Column: services of the theme per 10,000 inhabitants.
pub const PER_10000_COLUMN: &str = "services_pour_10000_hab";
/// Column: whether the zone is flagged by the under-served rule (`oui`/`non`).
pub const UNDERSERVED_COLUMN: &str = "sous_desservie";
/// Column: the bivariate class (« Besoin fort, offre faible »).
pub const BIVARIATE_COLUMN: &str = "classe_bivariee";
/// Column of the under-served list: the rule in words.
pub const RULE_COLUMN: &str = "regle";

fn column(name: &str, kind: FieldKind, values: Vec<Value>) -> Field {
    Field {
        name: name.to_owned(),
        kind,
        values: values.into(),
    }
}

/// The under-served analysis of zone layer `layer`, when the tools computed it.
fn gaps_of(analysis: &AnalysisState, layer: usize) -> Option<&Gaps> {
    analysis
        .gaps
        .as_ref()
        .filter(|g| g.layer == layer && (analysis.gaps_on || analysis.bivariate_on))
}

/// The attributes the app computed for zone layer `layer`, as shown: the coverage figures of the
/// current theme (when the under-served or bivariate tool is on), the under-served flag (when
/// that tool is on), the bivariate class (when the bivariate map is on). Empty otherwise.
pub fn computed_columns(ws: &Workspace, analysis: &AnalysisState, layer: usize) -> Vec<Field> {
    let Some(g) = gaps_of(analysis, layer) else {
        return Vec::new();
    };
    let rows = ws.zones.get(layer).map_or(0, |z| z.layer.len());
    if g.coverage.zones.len() != rows {
        return Vec::new();
    }
    let mut fields = vec![
        column(
            THEME_COLUMN,
            FieldKind::Text,
            vec![Value::Text(g.theme.clone()); rows],
        ),
        column(
            SERVICES_COLUMN,
            FieldKind::Number,
            g.coverage
                .zones
                .iter()
                .map(|z| Value::Number(z.services as f64))
                .collect(),
        ),
        column(
            PER_10000_COLUMN,
            FieldKind::Number,
            g.coverage
                .zones
                .iter()
                .map(|z| z.per_10000.clone())
                .collect(),
        ),
    ];
    if analysis.gaps_on {
        let values = (0..rows)
            .map(|i| {
                if g.result.flagged.iter().any(|f| f.zone == i) {
                    Value::Text("oui".to_owned())
                } else if g.result.not_assessed.contains(&i) {
                    Value::Missing(Missing::NotAvailable)
                } else {
                    Value::Text("non".to_owned())
                }
            })
            .collect();
        fields.push(column(UNDERSERVED_COLUMN, FieldKind::Text, values));
    }
    if analysis.bivariate_on {
        let values = (0..rows)
            .map(|i| match g.bivariate.classes.get(i).copied().flatten() {
                Some(c) => Value::Text(class_label(c)),
                None => Value::Missing(Missing::NotAvailable),
            })
            .collect();
        fields.push(column(BIVARIATE_COLUMN, FieldKind::Text, values));
    }
    fields
}

/// The project to export `layer` from, with the computed columns added to a zone layer, and the
/// layer's id.
pub fn layer_project(
    ws: &Workspace,
    analysis: &AnalysisState,
    layer: LayerRef,
) -> Result<(Project, String), String> {
    let mut project = project_of(ws, None);
    match layer {
        LayerRef::Zones(i) => {
            let extra = computed_columns(ws, analysis, i);
            let (spec, zones) = project
                .zones
                .get_mut(i)
                .ok_or("couche de zones introuvable")?;
            for field in extra {
                zones.attributes.fields.retain(|f| f.name != field.name);
                zones.attributes.fields.push(field);
            }
            let id = spec.id.clone();
            Ok((project, id))
        }
        LayerRef::Points(i) => {
            let id = project
                .points
                .get(i)
                .map(|(spec, _)| spec.id.clone())
                .ok_or("couche de points introuvable")?;
            Ok((project, id))
        }
    }
}

/// The decimal mark of CSV exports: the French comma, or a point when the user unticks it.
pub fn decimal_mark(decimal_comma: bool) -> crate::export::data::DecimalMark {
    if decimal_comma {
        crate::export::data::DecimalMark::Comma
    } else {
        crate::export::data::DecimalMark::Point
    }
}

/// The options of a data export from the app (the rest as `cartosol export` by default).
pub fn data_options(decimal_comma: bool, reason_columns: bool) -> DataExportOptions {
    DataExportOptions {
        decimal: decimal_mark(decimal_comma),
        reason_columns,
        ..Default::default()
    }
}

/// The export report in French: what was written and what the secrecy guard masked, and why.
pub fn report_text(path: &Path, report: &ExportReport) -> String {
    let mut text = format!("Fichier écrit : {}\n{report}", path.display());
    if report.secrecy.note().is_none() {
        text.push_str(
            "\nSecret statistique : aucune valeur masquée (aucun effectif de ménages ou de \
             personnes inférieur à 11 au niveau communal).",
        );
    }
    if !report.secrecy.masked.is_empty() {
        text.push_str(
            "\nMotif : effectifs de ménages ou de personnes inférieurs à 11 dans des zones de \
             niveau communal ou plus fin (secret statistique). Valeurs masquées par colonne :",
        );
    }
    for (field, n) in &report.secrecy.masked {
        text.push_str(&format!(
            "\n— {} : {n} valeur(s) masquée(s)",
            report.field_label(field)
        ));
    }
    text
}

/// Exports layer `layer_id` of `project` to `path` (format from the extension) with
/// `crate::export::export_layer`, the function behind `cartosol export`.
pub fn export_layer_file(
    project: &Project,
    layer_id: &str,
    path: &Path,
    options: &DataExportOptions,
) -> Result<ExportDone, String> {
    let report = crate::export::export_layer(project, layer_id, path, options)
        .map_err(|e| format!("Export de la couche impossible : {e}"))?;
    Ok(ExportDone {
        summary: format!(
            "Couche exportée : {} ({} ligne(s))",
            path.display(),
            report.rows
        ),
        report: Some(("Export de la couche".to_owned(), report_text(path, &report))),
    })
}

/// The list of under-served zones, ready to write.
#[derive(Clone, Debug)]
pub struct UnderservedList {
    /// Code, name, need, services, services per 10,000 inhabitants, theme, rule.
    pub table: Table,
    /// The flagged zones' geometries, row by row.
    pub geometries: Vec<geo::MultiPolygon<f64>>,
    /// The code column (for the secrecy level).
    pub code_field: String,
    /// The layer name in XLSX and GeoPackage files.
    pub name: String,
    /// The rule in words.
    pub rule: String,
}

/// The list of under-served zones as a table (code, name, need, services, services per 10,000
/// inhabitants, theme, rule), in the order of the analysis (highest need first), with their
/// geometries. Errors when the under-served tool has not computed the zones.
pub fn underserved_table(
    ws: &Workspace,
    analysis: &AnalysisState,
) -> Result<UnderservedList, String> {
    let g = analysis
        .gaps
        .as_ref()
        .filter(|_| analysis.gaps_on)
        .ok_or("les zones sous-desservies ne sont pas calculées (cochez « Repérer les zones sous-desservies »)")?;
    let z = ws.zones.get(g.layer).ok_or("couche de zones introuvable")?;
    let attr = &z.layer.attributes;
    let cell = |field: &str, i: usize| {
        attr.field(field)
            .and_then(|f| f.values.get(i))
            .map(ValueRef::to_value)
            .unwrap_or(Value::Missing(Missing::Empty))
    };
    let zones: Vec<usize> = g.result.flagged.iter().map(|f| f.zone).collect();
    let coverage = |i: usize| g.coverage.zones.get(i);
    let mut fields = vec![
        column(
            &z.spec.code_field,
            FieldKind::Text,
            zones.iter().map(|&i| Value::Text(z.zone_code(i))).collect(),
        ),
        column(
            &z.spec.name_field,
            FieldKind::Text,
            zones.iter().map(|&i| Value::Text(z.zone_name(i))).collect(),
        ),
    ];
    if fields
        .iter()
        .filter(|f| f.name == z.spec.name_field)
        .count()
        > 1
    {
        fields.pop();
    }
    fields.push(column(
        &g.indicator,
        FieldKind::Number,
        zones.iter().map(|&i| cell(&g.indicator, i)).collect(),
    ));
    fields.push(column(
        SERVICES_COLUMN,
        FieldKind::Number,
        zones
            .iter()
            .map(|&i| {
                coverage(i).map_or(Value::Missing(Missing::NotAvailable), |c| {
                    Value::Number(c.services as f64)
                })
            })
            .collect(),
    ));
    fields.push(column(
        PER_10000_COLUMN,
        FieldKind::Number,
        zones
            .iter()
            .map(|&i| {
                coverage(i).map_or(Value::Missing(Missing::NotAvailable), |c| {
                    c.per_10000.clone()
                })
            })
            .collect(),
    ));
    fields.push(column(
        THEME_COLUMN,
        FieldKind::Text,
        vec![Value::Text(g.theme.clone()); zones.len()],
    ));
    fields.push(column(
        RULE_COLUMN,
        FieldKind::Text,
        vec![Value::Text(g.result.rule_text.clone()); zones.len()],
    ));
    let table = Table {
        fields,
        row_origin: zones
            .iter()
            .map(|&i| attr.row_origin.get(i).copied().unwrap_or(i as u64 + 1))
            .collect(),
    };
    let geometries = zones
        .iter()
        .map(|&i| {
            z.layer
                .geometries
                .get(i)
                .cloned()
                .unwrap_or_else(|| geo::MultiPolygon::new(Vec::new()))
        })
        .collect();
    Ok(UnderservedList {
        table,
        geometries,
        code_field: z.spec.code_field.clone(),
        name: format!("{}_sous_desservies", z.spec.id),
        rule: g.result.rule_text.clone(),
    })
}

/// Writes the list of under-served zones to `path` through the same writers and secrecy guard
/// as the layer exports (`crate::export::data::write_layer`).
pub fn export_underserved_file(
    list: &UnderservedList,
    privacy: &crate::project::PrivacySpec,
    path: &Path,
    options: &DataExportOptions,
) -> Result<ExportDone, String> {
    let UnderservedList {
        table,
        geometries,
        code_field,
        name,
        rule,
    } = list;
    let format = crate::export::DataFormat::from_path(path)
        .map_err(|e| format!("Export de la liste impossible : {e}"))?;
    let guard = SecrecyGuard::default().with_privacy(privacy);
    let report = write_layer(
        table,
        Geometries::Zones(geometries),
        zone_level(table, code_field),
        name,
        path,
        format,
        options,
        &guard,
    )
    .map_err(|e| format!("Export de la liste impossible : {e}"))?;
    Ok(ExportDone {
        summary: format!(
            "Liste des zones sous-desservies exportée : {} ({} zone(s))",
            path.display(),
            report.rows
        ),
        report: Some((
            "Export des zones sous-desservies".to_owned(),
            format!("{}\nRègle : {rule}", report_text(path, &report)),
        )),
    })
}
