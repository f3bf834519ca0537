//! The *Tableau des dispositifs* window (menu *Affichage*): the synthesis table of schemes as a
//! table editor. One row per scheme: the cells the analyst types (name, axis, theme of the
//! service layer, carrier, funding, difficulties and ideas on several lines) beside the cells
//! the tool computes with [`crate::analysis::schemes::compute_row`] — the function `cartosol
//! dispositifs` calls — off the UI thread (about 25 ms a row on the sample in a debug build,
//! so more than a frame), recomputed when the rule or the data change. The rows « peu ou non
//! couvert » come first ([`display_order`]). The table is stored in the project
//! (`schemes`), imported from and exported to XLSX through the library; a row click draws the
//! scheme's footprint on the map: its sites ringed, their reach, and the uncovered zones
//! outlined.
//!
//! Every change goes through a [`SchemesCommand`] (so it can be replayed); the computed cells
//! are a cache, keyed by the theme, the rule and a fingerprint of the data.

use super::Command;
use super::map_view::{TextItem, View};
use super::state::Workspace;
use crate::analysis::schemes::{
    SchemeCoverage, SchemeRow, SchemesSpec, Verdict, compute, compute_row, display_order,
    rows_from_table, schemes_table,
};
use crate::value::format_number;
use egui::{Color32, RichText, Shape, Stroke};
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The rule of the computed cells, as the window edits it (the rest of [`SchemesSpec`]).
#[derive(Clone, Debug, PartialEq)]
pub struct SchemesRule {
    /// The zone layer of the target population (id).
    pub zones_layer: String,
    /// The target population field of those zones.
    pub target_field: String,
    /// Reach of a site, kilometres.
    pub radius_km: f64,
    /// « peu couvert » above this share of the target beyond the reach, %.
    pub max_share_beyond_pct: f64,
}

/// A change asked by the window; each one changes the project's table or the window.
#[derive(Clone, Debug, PartialEq)]
pub enum SchemesCommand {
    /// Opens or closes the window.
    Open(bool),
    /// Replaces the typed cells of row `.0` (typed order).
    SetRow(usize, SchemeRow),
    /// Replaces every row (after an import).
    SetRows(Vec<SchemeRow>),
    /// Adds an empty row at the end (`Ajouter un dispositif`).
    AddRow,
    /// Removes a row.
    RemoveRow(usize),
    /// Moves a row by this many places in the typed order (−1: `Monter`, +1: `Descendre`).
    MoveRow(usize, isize),
    /// The rule of the computed cells.
    SetRule(SchemesRule),
    /// Shows a row's footprint on the map (`None`: none).
    Select(Option<usize>),
    /// Whether the rows « peu ou non couvert » are listed first (else the typed order).
    SetRiskyFirst(bool),
    /// The XLSX path typed in the window.
    SetPath(String),
    /// Reads the typed cells of a table (XLSX, CSV) into the project.
    Import(PathBuf),
    /// Writes the table, computed cells included, to a file (XLSX, CSV; run by the app's
    /// export thread, see [`export_work`]).
    Export(PathBuf),
    /// Asks for the file with the system's dialog (`true`: to export, else to import).
    Pick(bool),
}

/// What a row click draws on the map.
#[derive(Clone, Debug, PartialEq)]
pub struct Footprint {
    /// The row (typed order).
    pub row: usize,
    /// The theme of its service points.
    pub theme: String,
    /// The service layer (index in the workspace's point layers).
    pub points_layer: usize,
    /// Its in-person sites with a position (rows of that layer).
    pub sites: Vec<usize>,
    /// Reach drawn around each site, metres.
    pub radius_m: f64,
    /// The zone layer of the target (index in the workspace's zone layers).
    pub zones_layer: Option<usize>,
    /// The zones with target population beyond the reach (rows of that layer).
    pub uncovered: Vec<usize>,
}

/// A computed row, or why it could not be (in French).
pub type Cell = Result<SchemeCoverage, String>;

struct Job {
    rx: Receiver<(u64, Cell)>,
    /// Keys still wanted: the thread skips the others (the rule changed meanwhile).
    wanted: Arc<Mutex<HashSet<u64>>>,
    started: Instant,
    rows: usize,
}

/// State of the window.
pub struct SchemesState {
    /// Whether the window is open.
    pub open: bool,
    /// The row whose footprint is drawn (typed order).
    pub selected: Option<usize>,
    /// Whether the rows « peu ou non couvert » are listed first.
    pub risky_first: bool,
    /// The XLSX path typed (import and export).
    pub path: String,
    /// The last computation: rows computed and how long it took.
    pub last_run: Option<(usize, Duration)>,
    cache: HashMap<u64, Cell>,
    data_key: u64,
    job: Option<Job>,
    pick: Option<(bool, Receiver<Option<PathBuf>>)>,
}

impl Default for SchemesState {
    fn default() -> Self {
        SchemesState {
            open: false,
            selected: None,
            risky_first: true,
            path: String::new(),
            last_run: None,
            cache: HashMap::new(),
            data_key: 0,
            job: None,
            pick: None,
        }
    }
}

fn native_dialogs_available() -> bool {
    std::env::var_os("CARTOSOL_NO_NATIVE_DIALOG").is_none()
        && std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
}

/// The service layer: the first point layer with a theme field.
fn service_layer(ws: &Workspace) -> Option<&super::state::PointLayerView> {
    ws.points.iter().find(|p| {
        crate::style::map_style::theme_field(p.spec.theme_field.as_deref(), &p.layer.attributes)
            .is_some()
    })
}

/// The table of a project without one: the communes (else the first zone layer), their poor
/// households (else their first numeric field), the service layer, 10 km, 10 %.
pub fn default_spec(ws: &Workspace) -> SchemesSpec {
    let mut spec = SchemesSpec::default();
    if let Some((i, z)) = ws
        .zones
        .iter()
        .enumerate()
        .find(|(_, z)| z.spec.id == spec.zones_layer)
        .or_else(|| ws.zones.iter().enumerate().next())
    {
        spec.zones_layer = z.spec.id.clone();
        if let Some(p) = &z.spec.population_field {
            spec.population_field = p.clone();
        }
        let fields = super::choropleth::indicators(ws, i);
        if !fields.contains(&spec.target_field)
            && let Some(f) = fields.first()
        {
            spec.target_field = f.clone();
        }
    }
    if let Some(p) = service_layer(ws) {
        spec.points_layer = p.spec.id.clone();
    }
    spec
}

/// The project's table, created with the defaults when there is none.
fn spec_mut(ws: &mut Workspace) -> &mut SchemesSpec {
    if ws.file.schemes.is_none() {
        ws.file.schemes = Some(default_spec(ws));
    }
    ws.file.schemes.get_or_insert_with(SchemesSpec::default)
}

/// The project's table, or the default one.
pub fn spec_of(ws: &Workspace) -> SchemesSpec {
    ws.file.schemes.clone().unwrap_or_else(|| default_spec(ws))
}

/// What the computed cells depend on in the data: the layers, their columns, the target and
/// population values, the services' themes.
fn data_fingerprint(ws: &Workspace, spec: &SchemesSpec) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    ws.path.hash(&mut h);
    for z in &ws.zones {
        z.spec.id.hash(&mut h);
        z.layer.len().hash(&mut h);
        z.layer.attributes.fields.len().hash(&mut h);
        if z.spec.id == spec.zones_layer {
            for f in &z.layer.attributes.fields {
                f.name.hash(&mut h);
                if f.name == spec.target_field || f.name == spec.population_field {
                    for v in &f.values {
                        v.as_f64().map(f64::to_bits).hash(&mut h);
                    }
                }
            }
        }
    }
    for p in &ws.points {
        p.spec.id.hash(&mut h);
        p.layer.len().hash(&mut h);
        p.theme_of.hash(&mut h);
    }
    h.finish()
}

/// The cache key of a row's computed cells: its theme, the rule and the data.
fn cell_key(data: u64, spec: &SchemesSpec, row: &SchemeRow) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (
        data,
        row.theme.trim(),
        &spec.zones_layer,
        &spec.target_field,
        &spec.population_field,
        &spec.points_layer,
        spec.radius_km.to_bits(),
        spec.max_share_beyond_pct.to_bits(),
    )
        .hash(&mut h);
    h.finish()
}

/// The cells shown while a row is being computed.
fn pending_cell() -> SchemeCoverage {
    SchemeCoverage {
        verdict: Verdict::NotComputed,
        sites: 0,
        zones_without: 0,
        share_beyond_pct: None,
        accessibility_median: None,
        uncovered: Vec::new(),
        uncovered_rows: Vec::new(),
        source: "calcul en cours".to_owned(),
    }
}

impl SchemesState {
    /// Whether computed cells are being computed.
    pub fn computing(&self) -> bool {
        self.job.is_some()
    }

    /// Forgets what depends on the workspace (another project opened).
    pub fn reset(&mut self) {
        self.selected = None;
        self.cache.clear();
        self.job = None;
    }

    /// The computed cells of each row of the project's table (typed order); `None` while a
    /// row is being computed.
    pub fn cells(&self, ws: &Workspace) -> Vec<Option<&Cell>> {
        let spec = spec_of(ws);
        let data = data_fingerprint(ws, &spec);
        spec.rows
            .iter()
            .map(|r| self.cache.get(&cell_key(data, &spec, r)))
            .collect()
    }

    /// Once per frame: collects a chosen file (the command to run with it) and computed rows,
    /// and starts computing the rows whose cells are missing (window open only); `repaint` is
    /// called by the background thread after each row.
    pub fn sync(
        &mut self,
        ws: &Workspace,
        repaint: impl Fn() + Send + 'static,
    ) -> Option<SchemesCommand> {
        let mut picked = None;
        if let Some((export, rx)) = &self.pick {
            match rx.try_recv() {
                Ok(Some(path)) => {
                    self.path = path.display().to_string();
                    picked = Some(if *export {
                        SchemesCommand::Export(path)
                    } else {
                        SchemesCommand::Import(path)
                    });
                    self.pick = None;
                }
                Ok(None) | Err(TryRecvError::Disconnected) => self.pick = None,
                Err(TryRecvError::Empty) => {}
            }
        }
        if !self.open {
            return picked;
        }
        self.collect();
        let spec = spec_of(ws);
        let data = data_fingerprint(ws, &spec);
        if data != self.data_key {
            self.data_key = data;
            self.cache.clear();
        }
        let wanted: Vec<(u64, SchemeRow)> = spec
            .rows
            .iter()
            .map(|r| (cell_key(data, &spec, r), r.clone()))
            .collect();
        let keys: HashSet<u64> = wanted.iter().map(|w| w.0).collect();
        if self.cache.len() > 512 {
            self.cache.retain(|k, _| keys.contains(k));
        }
        if let Some(job) = &self.job {
            if let Ok(mut w) = job.wanted.lock() {
                *w = keys;
            }
            return picked;
        }
        let mut seen = HashSet::new();
        let missing: Vec<(u64, SchemeRow)> = wanted
            .into_iter()
            .filter(|(k, _)| !self.cache.contains_key(k) && seen.insert(*k))
            .collect();
        if !missing.is_empty() {
            self.start(ws, spec, missing, keys, repaint);
        }
        picked
    }

    fn collect(&mut self) {
        let Some(job) = &self.job else {
            return;
        };
        loop {
            match job.rx.try_recv() {
                Ok((key, cell)) => {
                    self.cache.insert(key, cell);
                }
                Err(TryRecvError::Empty) => return,
                Err(TryRecvError::Disconnected) => {
                    self.last_run = Some((job.rows, job.started.elapsed()));
                    self.job = None;
                    return;
                }
            }
        }
    }

    fn start(
        &mut self,
        ws: &Workspace,
        spec: SchemesSpec,
        rows: Vec<(u64, SchemeRow)>,
        keys: HashSet<u64>,
        repaint: impl Fn() + Send + 'static,
    ) {
        let project = super::export_ui::project_of(ws, None);
        let wanted = Arc::new(Mutex::new(keys));
        let still = Arc::clone(&wanted);
        let (tx, rx) = std::sync::mpsc::channel();
        self.job = Some(Job {
            rx,
            wanted,
            started: Instant::now(),
            rows: rows.len(),
        });
        std::thread::spawn(move || {
            for (key, row) in rows {
                if !still.lock().is_ok_and(|w| w.contains(&key)) {
                    continue;
                }
                let cell = compute_row(&project, &spec, &row).map_err(|e| e.to_string());
                // Fails only when the app dropped the job: nobody waits.
                if tx.send((key, cell)).is_err() {
                    return;
                }
                repaint();
            }
            drop(tx);
            repaint();
        });
    }

    /// Applies a change to the project's table or the window; returns the status line (or
    /// the error) of an import.
    pub fn apply(
        &mut self,
        ws: &mut Workspace,
        command: SchemesCommand,
        repaint: impl Fn() + Send + 'static,
    ) -> Option<Result<String, String>> {
        match command {
            SchemesCommand::Open(open) => {
                self.open = open;
                if open && self.path.is_empty() {
                    self.path = super::export_ui::base_dir(ws)
                        .join("dispositifs.xlsx")
                        .display()
                        .to_string();
                }
            }
            SchemesCommand::SetRow(i, row) => {
                if let Some(r) = spec_mut(ws).rows.get_mut(i) {
                    *r = row;
                }
            }
            SchemesCommand::SetRows(rows) => {
                spec_mut(ws).rows = rows;
                self.selected = None;
            }
            SchemesCommand::AddRow => {
                let rows = &mut spec_mut(ws).rows;
                rows.push(SchemeRow {
                    name: "Nouveau dispositif".to_owned(),
                    ..SchemeRow::default()
                });
            }
            SchemesCommand::RemoveRow(i) => {
                let rows = &mut spec_mut(ws).rows;
                if i < rows.len() {
                    rows.remove(i);
                    self.selected = match self.selected {
                        Some(s) if s == i => None,
                        Some(s) if s > i => Some(s - 1),
                        s => s,
                    };
                }
            }
            SchemesCommand::MoveRow(i, by) => {
                let rows = &mut spec_mut(ws).rows;
                let j = i as isize + by;
                if i < rows.len() && j >= 0 && (j as usize) < rows.len() {
                    let j = j as usize;
                    rows.swap(i, j);
                    self.selected = match self.selected {
                        Some(s) if s == i => Some(j),
                        Some(s) if s == j => Some(i),
                        s => s,
                    };
                }
            }
            SchemesCommand::SetRule(rule) => {
                let population = ws
                    .zones
                    .iter()
                    .find(|z| z.spec.id == rule.zones_layer)
                    .and_then(|z| z.spec.population_field.clone());
                let spec = spec_mut(ws);
                if let Some(p) = population {
                    spec.population_field = p;
                }
                spec.zones_layer = rule.zones_layer;
                spec.target_field = rule.target_field;
                if rule.radius_km.is_finite() && rule.radius_km > 0.0 {
                    spec.radius_km = rule.radius_km;
                }
                if (0.0..=100.0).contains(&rule.max_share_beyond_pct) {
                    spec.max_share_beyond_pct = rule.max_share_beyond_pct;
                }
            }
            SchemesCommand::Select(row) => self.selected = row,
            SchemesCommand::SetRiskyFirst(on) => self.risky_first = on,
            SchemesCommand::SetPath(p) => self.path = p,
            SchemesCommand::Import(path) => {
                self.path = path.display().to_string();
                let name = crate::error::display_name(&path);
                let rows = crate::table::load_table(&path, &Default::default())
                    .map_err(|e| e.to_string())
                    .and_then(|l| rows_from_table(&l.table, &name).map_err(|e| e.to_string()));
                return Some(match rows {
                    Ok(rows) => {
                        let n = rows.len();
                        spec_mut(ws).rows = rows;
                        self.selected = None;
                        Ok(format!(
                            "{n} dispositif(s) lus dans {name} : enregistrez le projet pour les garder"
                        ))
                    }
                    Err(e) => Err(format!("Tableau des dispositifs non importé : {e}")),
                });
            }
            // Run by the app's export thread (see `export_work`).
            SchemesCommand::Export(path) => self.path = path.display().to_string(),
            SchemesCommand::Pick(export) => {
                let (tx, rx) = std::sync::mpsc::channel();
                let dir = super::export_ui::base_dir(ws);
                std::thread::spawn(move || {
                    let dialog = rfd::FileDialog::new()
                        .set_directory(dir)
                        .add_filter("Classeur XLSX", &["xlsx"])
                        .add_filter("Tableau CSV", &["csv"]);
                    let picked = if export {
                        dialog
                            .set_title("CartoSol — exporter le tableau des dispositifs")
                            .set_file_name("dispositifs.xlsx")
                            .save_file()
                    } else {
                        dialog
                            .set_title("CartoSol — importer un tableau des dispositifs")
                            .pick_file()
                    };
                    let _ = tx.send(picked);
                    repaint();
                });
                self.pick = Some((export, rx));
            }
        }
        None
    }

    /// The footprint of the selected row (window open, row computed and covered by some
    /// sites or zones).
    pub fn footprint(&self, ws: &Workspace) -> Option<Footprint> {
        if !self.open {
            return None;
        }
        let row = self.selected?;
        let spec = spec_of(ws);
        let scheme = spec.rows.get(row)?;
        let data = data_fingerprint(ws, &spec);
        let cell = self
            .cache
            .get(&cell_key(data, &spec, scheme))?
            .as_ref()
            .ok()?;
        if cell.verdict == Verdict::NotComputed {
            return None;
        }
        let points_layer = ws
            .points
            .iter()
            .position(|p| p.spec.id == spec.points_layer)?;
        let layer = ws.points.get(points_layer)?;
        let theme = scheme.theme.trim().to_owned();
        let ti = layer.themes.iter().position(|t| t.name == theme)?;
        let modes = layer
            .layer
            .attributes
            .field(crate::analysis::eligibility::MODES_FIELD);
        let sites = (0..layer.layer.len())
            .filter(|&r| {
                layer.theme_of.get(r) == Some(&ti)
                    && layer.merc.get(r).is_some_and(Option::is_some)
                    && !modes
                        .and_then(|f| f.values.get(r))
                        .is_some_and(crate::analysis::eligibility::is_remote_only)
            })
            .collect();
        Some(Footprint {
            row,
            theme,
            points_layer,
            sites,
            radius_m: spec.radius_km * 1000.0,
            zones_layer: ws.zones.iter().position(|z| z.spec.id == spec.zones_layer),
            uncovered: cell.uncovered_rows.clone(),
        })
    }

    /// Draws the selected row's footprint: uncovered zones outlined, the reach of each site
    /// (a translucent disc, radius R) and a ring around each site.
    pub fn overlay(
        &self,
        ws: &Workspace,
        view: &View,
        shapes: &mut Vec<Shape>,
        texts: &mut Vec<TextItem>,
    ) {
        let Some(fp) = self.footprint(ws) else {
            return;
        };
        if let Some(zl) = fp.zones_layer.and_then(|i| ws.zones.get(i)) {
            let [r, g, b] = crate::style::map_style::UNDERSERVED_COLOR;
            let stroke = Stroke::new(3.0, Color32::from_rgb(r, g, b));
            let k = (view.scale / super::geometry::LOCAL_SCALE) as f32;
            for &zone in &fp.uncovered {
                let Some(shape) = zl.geometry.shapes.get(zone) else {
                    continue;
                };
                let Some(level) = shape.full() else {
                    continue;
                };
                let base = view.to_screen(shape.origin);
                for &(start, end) in &level.rings {
                    let pts: Vec<egui::Pos2> = level
                        .ring_vertices
                        .get(start as usize..end as usize)
                        .unwrap_or_default()
                        .iter()
                        .map(|v| egui::pos2(base.x + v[0] * k, base.y + v[1] * k))
                        .collect();
                    shapes.push(Shape::line(pts, stroke));
                }
            }
        }
        let Some(layer) = ws.points.get(fp.points_layer) else {
            return;
        };
        let colour = layer
            .themes
            .iter()
            .find(|t| t.name == fp.theme)
            .map_or(Color32::from_rgb(30, 90, 200), |t| {
                Color32::from_rgb(t.color[0], t.color[1], t.color[2])
            });
        let halo = colour.gamma_multiply(0.07);
        let centres: Vec<(egui::Pos2, f32)> = fp
            .sites
            .iter()
            .filter_map(|&r| {
                let m = (*layer.merc.get(r)?)?;
                let (_, lat) = super::geometry::lon_lat_of(m);
                let px_per_m = view.scale / (40_075_016.686 * lat.to_radians().cos());
                Some((view.to_screen(m), (fp.radius_m * px_per_m) as f32))
            })
            .collect();
        for &(c, r) in &centres {
            shapes.push(Shape::circle_filled(c, r, halo));
        }
        for &(c, r) in &centres {
            shapes.push(Shape::circle_stroke(c, r, Stroke::new(1.5, colour)));
        }
        for &(c, _) in &centres {
            shapes.push(Shape::circle_stroke(
                c,
                10.0,
                Stroke::new(4.0, Color32::WHITE),
            ));
            shapes.push(Shape::circle_stroke(
                c,
                10.0,
                Stroke::new(2.0, Color32::from_rgb(20, 20, 20)),
            ));
        }
        if let Some(&(c, _)) = centres.first() {
            texts.push(TextItem {
                at: c + egui::vec2(0.0, -18.0),
                text: fp.theme.clone(),
                font: egui::FontId::proportional(12.0),
                color: Color32::from_rgb(20, 20, 20),
            });
        }
    }
}

/// The export of the table to `path` for the app's export thread: the project's table with its
/// cells computed again on the project ([`compute`], [`schemes_table`]) and written by
/// [`crate::export::data::write_layer`] — what `cartosol dispositifs --out` does.
pub fn export_work(
    ws: &Workspace,
    path: PathBuf,
) -> impl FnOnce() -> Result<String, String> + Send + 'static {
    let project = super::export_ui::project_of(ws, None);
    let spec = spec_of(ws);
    move || {
        use crate::export::data::{DataExportOptions, DataFormat, Geometries, write_layer};
        use crate::export::secrecy::{SecrecyGuard, ZoneLevel};
        if spec.rows.is_empty() {
            return Err("Aucun dispositif à exporter : ajoutez-en dans le tableau".to_owned());
        }
        crate::fsutil::refuse_overwrite(&path, &project.input_files())
            .map_err(|e| e.to_string())?;
        let computed = compute(&project, &spec).map_err(|e| e.to_string())?;
        let table = schemes_table(&spec, &computed);
        let guard = SecrecyGuard::default().with_privacy(&project.file.map.privacy);
        let format = DataFormat::from_path(&path).map_err(|e| e.to_string())?;
        write_layer(
            &table,
            Geometries::None,
            ZoneLevel::Aggregate,
            "dispositifs",
            &path,
            format,
            &DataExportOptions {
                secrecy: guard.clone(),
                ..Default::default()
            },
            &guard,
        )
        .map_err(|e| format!("{} non écrit : {e}", path.display()))?;
        Ok(format!(
            "Tableau des dispositifs écrit : {} ({} dispositif(s))",
            path.display(),
            spec.rows.len()
        ))
    }
}

/// The colour of a verdict in the table.
pub fn verdict_colour(v: Verdict) -> Color32 {
    match v {
        Verdict::NotCovered => Color32::from_rgb(178, 24, 43),
        Verdict::Low => Color32::from_rgb(191, 91, 0),
        Verdict::Covered => Color32::from_rgb(27, 120, 55),
        Verdict::NotComputed => Color32::from_rgb(110, 110, 110),
    }
}

fn round1(x: f64) -> String {
    format_number((x * 10.0).round() / 10.0)
}

/// The text of the « zones non couvertes » cell: their number and the three largest.
pub fn uncovered_text(c: &SchemeCoverage) -> String {
    if c.uncovered.is_empty() {
        return "aucune".to_owned();
    }
    let first: Vec<String> = c.uncovered.iter().take(3).map(|u| u.0.clone()).collect();
    let more = if c.uncovered.len() > 3 { ", …" } else { "" };
    format!("{} : {}{more}", c.uncovered.len(), first.join(", "))
}

/// The window (when open).
pub fn schemes_window(app: &super::CartoSolApp, out: &mut Vec<Command>, ctx: &egui::Context) {
    let st = &app.schemes;
    if !st.open {
        return;
    }
    let mut open = true;
    // At the bottom of the screen by default, so that the map above shows a row's footprint.
    let screen = ctx.content_rect();
    let size = egui::vec2((screen.width() - 400.0).max(600.0), 420.0);
    egui::Window::new("Tableau des dispositifs")
        .open(&mut open)
        .default_size(size)
        .default_pos(screen.right_bottom() - size - egui::vec2(16.0, 70.0))
        .show(ctx, |ui| {
            let spec = spec_of(&app.ws);
            rule_ui(app, &spec, ui, out);
            ui.separator();
            file_ui(app, ui, out);
            ui.separator();
            table_ui(app, &spec, ui, out);
        });
    if !open {
        out.push(Command::Schemes(SchemesCommand::Open(false)));
    }
}

fn rule_ui(
    app: &super::CartoSolApp,
    spec: &SchemesSpec,
    ui: &mut egui::Ui,
    out: &mut Vec<Command>,
) {
    let ws = &app.ws;
    let dict = &ws.file.dictionary;
    let old = SchemesRule {
        zones_layer: spec.zones_layer.clone(),
        target_field: spec.target_field.clone(),
        radius_km: spec.radius_km,
        max_share_beyond_pct: spec.max_share_beyond_pct,
    };
    let mut rule = old.clone();
    ui.horizontal_wrapped(|ui| {
        let label = ui.label("Zones :");
        egui::ComboBox::from_id_salt("schemes-zones")
            .selected_text(
                ws.zones
                    .iter()
                    .find(|z| z.spec.id == rule.zones_layer)
                    .map_or(rule.zones_layer.clone(), |z| z.spec.name.clone()),
            )
            .show_ui(ui, |ui| {
                for z in &ws.zones {
                    ui.selectable_value(&mut rule.zones_layer, z.spec.id.clone(), &z.spec.name);
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text("Zones dont la couverture par chaque dispositif est calculée");
        let label = ui.label("Population cible :");
        let layer = ws.zones.iter().position(|z| z.spec.id == rule.zones_layer);
        egui::ComboBox::from_id_salt("schemes-target")
            .selected_text(crate::dictionary::label_of(dict, &rule.target_field))
            .width(260.0)
            .show_ui(ui, |ui| {
                for f in layer
                    .map(|i| super::choropleth::indicators(ws, i))
                    .unwrap_or_default()
                {
                    let label = crate::dictionary::label_with_code(dict, &f);
                    ui.selectable_value(&mut rule.target_field, f, label);
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text(
                "Effectif par zone dont on mesure la part à distance des lieux de chaque \
                 dispositif (ménages pauvres par défaut)",
            );
        let label = ui.label("Rayon d'accès (km) :");
        ui.add(
            egui::DragValue::new(&mut rule.radius_km)
                .range(0.5..=100.0)
                .speed(0.1),
        )
        .labelled_by(label.id)
        .on_hover_text("Distance à vol d'oiseau en deçà de laquelle la population est couverte");
        let label = ui.label("« peu couvert » au-delà de (%) :");
        ui.add(
            egui::DragValue::new(&mut rule.max_share_beyond_pct)
                .range(0.0..=100.0)
                .speed(0.5),
        )
        .labelled_by(label.id)
        .on_hover_text(
            "Un dispositif est « peu couvert » quand plus que cette part de la population cible \
             est au-delà du rayon",
        );
        let mut risky = app.schemes.risky_first;
        if ui
            .checkbox(&mut risky, "Peu ou non couverts en tête")
            .on_hover_text("Trie le tableau : les dispositifs les moins couverts d'abord")
            .changed()
        {
            out.push(Command::Schemes(SchemesCommand::SetRiskyFirst(risky)));
        }
    });
    // Another zone layer: its own target field when the one set is not among its fields.
    if rule.zones_layer != old.zones_layer
        && let Some(i) = ws.zones.iter().position(|z| z.spec.id == rule.zones_layer)
    {
        let fields = super::choropleth::indicators(ws, i);
        if !fields.contains(&rule.target_field) {
            rule.target_field = fields
                .iter()
                .find(|f| *f == "NB_MEN_PAUV")
                .or(fields.first())
                .cloned()
                .unwrap_or_default();
        }
    }
    if rule != old {
        out.push(Command::Schemes(SchemesCommand::SetRule(rule)));
    }
}

fn file_ui(app: &super::CartoSolApp, ui: &mut egui::Ui, out: &mut Vec<Command>) {
    let st = &app.schemes;
    ui.horizontal_wrapped(|ui| {
        if ui
            .button("Ajouter un dispositif")
            .on_hover_text("Nouvelle ligne du tableau, à compléter")
            .clicked()
        {
            out.push(Command::Schemes(SchemesCommand::AddRow));
        }
        ui.separator();
        let label = ui.label("Fichier XLSX :");
        let mut path = st.path.clone();
        if ui
            .add(egui::TextEdit::singleline(&mut path).desired_width(360.0))
            .labelled_by(label.id)
            .on_hover_text("Classeur du tableau des dispositifs, à exporter ou à réimporter")
            .changed()
        {
            out.push(Command::Schemes(SchemesCommand::SetPath(path.clone())));
        }
        let native = native_dialogs_available();
        let hint = "Aucune boîte de dialogue du système : saisissez le chemin";
        if ui
            .add_enabled(native, egui::Button::new("Choisir…"))
            .on_hover_text("Choisir le classeur sur le disque")
            .on_disabled_hover_text(hint)
            .clicked()
        {
            out.push(Command::Schemes(SchemesCommand::Pick(false)));
        }
        let has_path = !path.trim().is_empty();
        if ui
            .add_enabled(has_path, egui::Button::new("Importer"))
            .on_hover_text(
                "Lit les cellules saisies du fichier (les cellules calculées sont recalculées) \
                 et remplace les lignes du tableau",
            )
            .clicked()
        {
            out.push(Command::Schemes(SchemesCommand::Import(PathBuf::from(
                path.trim(),
            ))));
        }
        if ui
            .add_enabled(has_path, egui::Button::new("Exporter"))
            .on_hover_text(
                "Écrit le tableau avec ses cellules calculées, comme cartosol dispositifs",
            )
            .clicked()
        {
            out.push(Command::Schemes(SchemesCommand::Export(PathBuf::from(
                path.trim(),
            ))));
        }
        if ui
            .add_enabled(native, egui::Button::new("Exporter sous…"))
            .on_disabled_hover_text(hint)
            .clicked()
        {
            out.push(Command::Schemes(SchemesCommand::Pick(true)));
        }
    });
}

/// The headers of the table as the window shows them: the typed cells that drive the
/// computation, the computed cells, then the other typed cells.
fn headers(spec: &SchemesSpec) -> Vec<String> {
    let typed = |h: &[&str]| h.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut h = typed(&[
        "",
        "Dispositif",
        "Axe",
        "Thème",
        "Couverture",
        "Sites",
        "Zones sans site",
    ]);
    h.push(format!(
        "Cible au-delà de {} km (%)",
        format_number(spec.radius_km)
    ));
    h.push("2SFCA médiane (/10 000 hab.)".to_owned());
    h.push("Zones non couvertes".to_owned());
    h.extend(typed(&[
        "Porteur principal",
        "Financement",
        "Difficultés",
        "Pistes de développement",
    ]));
    h
}

fn table_ui(
    app: &super::CartoSolApp,
    spec: &SchemesSpec,
    ui: &mut egui::Ui,
    out: &mut Vec<Command>,
) {
    let st = &app.schemes;
    let cells = st.cells(&app.ws);
    let n = spec.rows.len();
    match (&st.job, st.last_run) {
        (Some(job), _) => {
            let done = cells.iter().filter(|c| c.is_some()).count();
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!(
                    "Calcul de la couverture : {done} dispositif(s) sur {n} ({:.1} s)",
                    job.started.elapsed().as_secs_f32()
                ));
            });
        }
        (None, Some((rows, took))) => {
            ui.label(
                RichText::new(format!(
                    "{n} dispositif(s) ; couverture calculée pour {rows} thème(s) en {} ms",
                    took.as_millis()
                ))
                .small(),
            );
        }
        (None, None) => {
            ui.label(RichText::new(format!("{n} dispositif(s)")).small());
        }
    }
    // Errors of the computation (a layer or a field missing), once each.
    let mut errors: Vec<&String> = cells
        .iter()
        .filter_map(|c| c.and_then(|c| c.as_ref().err()))
        .collect();
    errors.dedup();
    for e in errors {
        ui.colored_label(
            verdict_colour(Verdict::NotCovered),
            format!("Couverture non calculée : {e}"),
        );
    }
    if n == 0 {
        ui.label(
            "Aucun dispositif : ajoutez-en un, ou importez un tableau (XLSX, CSV) avec au moins \
             une colonne « dispositif ».",
        );
        return;
    }
    let shown: Vec<SchemeCoverage> = cells
        .iter()
        .map(|c| match c {
            Some(Ok(c)) => c.clone(),
            _ => pending_cell(),
        })
        .collect();
    let order = if st.risky_first {
        display_order(&shown)
    } else {
        (0..n).collect()
    };
    let themes: Vec<String> = app
        .ws
        .points
        .iter()
        .find(|p| p.spec.id == spec.points_layer)
        .map(|p| p.themes.iter().map(|t| t.name.clone()).collect())
        .unwrap_or_default();
    egui::ScrollArea::both()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            egui::Grid::new("schemes-table")
                .striped(true)
                .min_col_width(24.0)
                .show(ui, |ui| {
                    // The typed cells are named after their column (accessibility).
                    let columns: Vec<egui::Id> =
                        headers(spec).into_iter().map(|h| ui.strong(h).id).collect();
                    ui.end_row();
                    for i in order {
                        let (Some(row), Some(cell)) = (spec.rows.get(i), cells.get(i)) else {
                            continue;
                        };
                        row_ui(app, &themes, &columns, i, row, *cell, ui, out);
                        ui.end_row();
                    }
                });
            if let Some(fp) = st.footprint(&app.ws) {
                ui.add_space(4.0);
                ui.label(
                    RichText::new(format!(
                        "Sur la carte : {} site(s) « {} » cerclé(s) avec leur portée de {} km, {} \
                         zone(s) non couverte(s) soulignée(s)",
                        fp.sites.len(),
                        fp.theme,
                        format_number(fp.radius_m / 1000.0),
                        fp.uncovered.len()
                    ))
                    .small(),
                );
            }
        });
}

#[allow(clippy::too_many_arguments)]
fn row_ui(
    app: &super::CartoSolApp,
    themes: &[String],
    columns: &[egui::Id],
    i: usize,
    row: &SchemeRow,
    cell: Option<&Cell>,
    ui: &mut egui::Ui,
    out: &mut Vec<Command>,
) {
    let st = &app.schemes;
    let selected = st.selected == Some(i);
    let select = |out: &mut Vec<Command>| {
        out.push(Command::Schemes(SchemesCommand::Select(if selected {
            None
        } else {
            Some(i)
        })))
    };
    let computed = cell.and_then(|c| c.as_ref().ok());
    // The rows « peu ou non couvert » are marked: their number on the verdict's colour. The
    // number opens the row's menu.
    let number = (i + 1).to_string();
    let mark = match computed.map(|c| c.verdict) {
        Some(v @ (Verdict::Low | Verdict::NotCovered)) => RichText::new(number)
            .strong()
            .color(Color32::WHITE)
            .background_color(verdict_colour(v)),
        _ => RichText::new(number),
    };
    ui.menu_button(mark, |ui| {
        let show = if selected {
            "Ne plus montrer sur la carte"
        } else {
            "Montrer sur la carte"
        };
        if ui.button(show).clicked() {
            select(out);
        }
        if ui.button("Monter").clicked() {
            out.push(Command::Schemes(SchemesCommand::MoveRow(i, -1)));
        }
        if ui.button("Descendre").clicked() {
            out.push(Command::Schemes(SchemesCommand::MoveRow(i, 1)));
        }
        if ui.button("Supprimer la ligne").clicked() {
            out.push(Command::Schemes(SchemesCommand::RemoveRow(i)));
        }
    })
    .response
    .on_hover_text(
        "Ligne dans l'ordre de saisie : la montrer sur la carte, la déplacer, la supprimer \
         (un clic sur la couverture la montre aussi)",
    );
    let column = |c: usize| columns.get(c).copied().unwrap_or(egui::Id::NULL);
    let mut r = row.clone();
    ui.add(
        egui::TextEdit::singleline(&mut r.name)
            .id_salt(("schemes-name", i))
            .min_size(egui::vec2(190.0, 0.0))
            .desired_width(190.0),
    )
    .labelled_by(column(1))
    .on_hover_text("Nom du dispositif");
    egui::ComboBox::from_id_salt(("schemes-axis", i))
        .selected_text(if r.axis == 0 {
            "—".to_owned()
        } else {
            r.axis.to_string()
        })
        .width(44.0)
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut r.axis, 0, "—");
            for a in 1..=4u8 {
                ui.selectable_value(&mut r.axis, a, format!("Axe {a}"));
            }
        })
        .response
        .labelled_by(column(2))
        .on_hover_text("Axe du pacte auquel le dispositif répond");
    egui::ComboBox::from_id_salt(("schemes-theme", i))
        .selected_text(if r.theme.is_empty() {
            "aucun".to_owned()
        } else {
            r.theme.clone()
        })
        .width(150.0)
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut r.theme, String::new(), "aucun");
            if !r.theme.is_empty() && !themes.contains(&r.theme) {
                let t = r.theme.clone();
                ui.selectable_value(&mut r.theme, t.clone(), format!("{t} (absent)"));
            }
            for t in themes {
                ui.selectable_value(&mut r.theme, t.clone(), t);
            }
        })
        .response
        .labelled_by(column(3))
        .on_hover_text(
            "Thème des services de la couche de points qui sont les lieux de ce dispositif : \
             sa couverture en est calculée",
        );
    computed_ui(cell, selected, ui, out, i);
    for (col, (field, text, width, multiline)) in [
        ("carrier", &mut r.carrier, 160.0, false),
        ("funding", &mut r.funding, 160.0, false),
        ("difficulties", &mut r.difficulties, 230.0, true),
        ("ideas", &mut r.ideas, 250.0, true),
    ]
    .into_iter()
    .enumerate()
    {
        let edit = if multiline {
            egui::TextEdit::multiline(text).desired_rows(2)
        } else {
            egui::TextEdit::singleline(text)
        };
        ui.add(
            edit.id_salt(("schemes-cell", field, i))
                .min_size(egui::vec2(width, 0.0))
                .desired_width(width),
        )
        .labelled_by(column(10 + col));
    }
    if r != *row {
        out.push(Command::Schemes(SchemesCommand::SetRow(i, r)));
    }
}

/// The computed cells of a row (read-only; the verdict selects the row).
fn computed_ui(
    cell: Option<&Cell>,
    selected: bool,
    ui: &mut egui::Ui,
    out: &mut Vec<Command>,
    i: usize,
) {
    let select = |out: &mut Vec<Command>| {
        out.push(Command::Schemes(SchemesCommand::Select(if selected {
            None
        } else {
            Some(i)
        })))
    };
    match cell {
        None => {
            ui.spinner();
            for _ in 0..5 {
                ui.label("");
            }
        }
        Some(Err(e)) => {
            ui.colored_label(verdict_colour(Verdict::NotCovered), "erreur")
                .on_hover_text(e);
            for _ in 0..5 {
                ui.label("");
            }
        }
        Some(Ok(c)) => {
            let text = RichText::new(c.verdict.label())
                .color(verdict_colour(c.verdict))
                .strong();
            if ui
                .selectable_label(selected, text)
                .on_hover_text(&c.source)
                .clicked()
            {
                select(out);
            }
            let computed_label = |ui: &mut egui::Ui, text: String| {
                ui.label(text).on_hover_text(&c.source);
            };
            let none = c.verdict == Verdict::NotComputed;
            let dash = || "—".to_owned();
            computed_label(ui, if none { dash() } else { c.sites.to_string() });
            computed_label(
                ui,
                if none {
                    dash()
                } else {
                    c.zones_without.to_string()
                },
            );
            computed_label(ui, c.share_beyond_pct.map_or_else(dash, round1));
            computed_label(
                ui,
                c.accessibility_median
                    .map_or_else(dash, |a| format_number((a * 1000.0).round() / 1000.0)),
            );
            let full: Vec<String> = c
                .uncovered
                .iter()
                .map(|(n, t)| format!("{n} ({})", format_number(*t)))
                .collect();
            ui.add(egui::Label::new(if none { dash() } else { uncovered_text(c) }).extend())
                .on_hover_text(format!(
                    "{}\n\n{}",
                    if full.is_empty() {
                        "aucune zone".to_owned()
                    } else {
                        full.join("\n")
                    },
                    c.source
                ));
        }
    }
}
