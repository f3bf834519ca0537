//! The desktop application (feature `gui`): eframe + egui + walkers.
//!
//! The app owns the state (workspace, choropleth, selection, view, analysis); each frame the
//! panels and dialogs read it (`&CartoSolApp`) and push [`Command`]s, applied in one place at
//! the end of the frame ([`CartoSolApp::apply`]). Ephemeral widget state (open dialog and what
//! is typed in it, table filter, sort and scroll) is in [`UiState`]. Loading, coverage and
//! exports run off the UI thread.

pub mod analysis_ui;
pub mod basemap;
pub mod bench;
pub mod choropleth;
pub mod coverage_cache;
pub mod diagnostic;
pub mod dialogs;
pub mod display;
pub mod export_ui;
pub mod geometry;
pub mod grid_bench;
pub mod grid_layer;
pub mod history;
pub mod map_view;
pub mod mesh_cache;
pub mod open_bench;
pub mod panels;
pub mod presentation;
pub mod proposals;
pub mod schemes;
pub mod search;
pub mod siting;
pub mod state;
pub mod t0;
pub mod welcome;

use crate::export::DataExportOptions;
use analysis_ui::Tool;
use basemap::{Basemap, BasemapChoice};
use choropleth::Choropleth;
use export_ui::ExportDone;
use map_view::{Hit, MapLayers, MapOutput};
use state::{LayerRef, Progress, Workspace};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::Receiver;

/// How the app starts.
#[derive(Clone, Debug)]
pub struct AppOptions {
    /// Project or data file to open at start.
    pub open: Option<PathBuf>,
    /// The basemap at start (`None` for tests: no network).
    pub basemap: BasemapChoice,
    /// Load synchronously at start (tests).
    pub load_now: bool,
    /// The tile cache folder (default: the user's cache folder).
    pub tile_cache: PathBuf,
    /// The user's data folder, where autosaves go (default:
    /// [`crate::project::default_data_dir`]; tests pass a temporary folder).
    pub data_dir: PathBuf,
}

impl Default for AppOptions {
    fn default() -> Self {
        AppOptions {
            open: crate::bundled::find_sample_project().ok(),
            basemap: BasemapChoice::Osm,
            load_now: false,
            tile_cache: basemap::cache_dir(),
            data_dir: crate::project::default_data_dir()
                .unwrap_or_else(|| std::env::temp_dir().join("cartosol")),
        }
    }
}

/// A change asked by the UI, applied at the end of the frame.
#[derive(Clone, Debug)]
pub enum Command {
    /// Opens a project or a data file in the background; it replaces the workspace when loaded.
    Open(PathBuf),
    /// Loads a data file in the background and adds its layers to the workspace.
    AddFile(PathBuf),
    /// Asks the running background load to stop (`Annuler`).
    CancelJob,
    /// Maps an indicator of a zone layer as the choropleth.
    SetIndicator {
        /// Index of the zone layer in the workspace.
        layer: usize,
        /// The indicator (a numeric column of that layer).
        indicator: String,
    },
    /// The classification method; a palette whose kind (sequential or diverging) does not suit
    /// it is replaced (`Oranges`, `RdBu`).
    SetMethod(crate::style::ClassMethod),
    /// The number of classes (kept between 3 and 9).
    SetClasses(usize),
    /// The palette, by name (`Oranges`, `PuOr`…).
    SetPalette(String),
    /// Class breaks typed by the user, in the indicator's unit; switches to the manual method.
    SetManualBreaks(Vec<f64>),
    /// Marks a field sensitive (its small values masked on the map and in every export) or
    /// declares it public (`privacy.count_fields` / `privacy.public_fields` of the project).
    SetSensitive {
        /// The field name.
        field: String,
        /// Masked below the threshold when true.
        sensitive: bool,
    },
    /// Shows or hides a layer.
    ToggleLayer(LayerRef),
    /// Moves a layer in the drawing order by this many places (−1: `Monter`, +1: `Descendre`).
    MoveLayer(LayerRef, isize),
    /// A layer's opacity, 0 (transparent) to 1 (opaque).
    SetOpacity(LayerRef, f32),
    /// A layer's displayed name (blank: back to the project's name).
    Rename(LayerRef, String),
    /// Removes a layer from the workspace (`Retirer`).
    Remove(LayerRef),
    /// Repairs the outlines of a zone layer that cross themselves (`Réparer les géométries`),
    /// now and at every opening of the project (`repair_geometries`).
    RepairGeometries(usize),
    /// Shows or hides a theme of a point layer.
    ToggleTheme {
        /// Index of the point layer in the workspace.
        layer: usize,
        /// Index of the theme in that layer's themes.
        theme: usize,
    },
    /// The user's symbol of a point theme (colour, shape, size), stored in the project's
    /// `map.point_styles`; a choice left all automatic gives the theme its automatic symbol
    /// back (*Rétablir le style automatique*).
    SetPointStyle(crate::style::spec::ThemeStyleSpec),
    /// How a zone layer is named on the map (field, text size), stored in the project's
    /// `map.labels`; a choice left all automatic names it by its name field again.
    SetLabels(crate::style::spec::LabelSpec),
    /// Whether exported maps name the zones too (the project's `map.labels_on_exports`).
    SetLabelsOnExports(bool),
    /// Selects a zone (or clears the selection) and scrolls the attribute table to it.
    SelectZone {
        /// (zone layer index, zone row), or `None` to clear the selection.
        target: Option<(usize, usize)>,
        /// Whether the map also zooms onto the zone.
        frame: bool,
    },
    /// Selects a point (point layer index, point row), or clears the point selection.
    SelectPoint(Option<(usize, usize)>),
    /// Selects a point and frames the map on it (a search result).
    FramePoint(usize, usize),
    /// Frames the map on all zone layers (`Cadrer sur les zones`).
    FrameAll,
    /// Frames the map on one layer (`Cadrer sur la couche`).
    FrameLayer(LayerRef),
    /// Changes the basemap.
    SetBasemap(BasemapChoice),
    /// Applies a join checked in the import wizard.
    ApplyJoin(Box<dialogs::PendingJoin>),
    /// Shows an error dialog with this message (in French).
    ShowError(String),
    /// Saves to the project's file (asks for one when there is none).
    Save,
    /// Saves the project to this file, which becomes the project's file.
    SaveAs(PathBuf),
    /// Exports the map as shown to a PNG or SVG file (from the extension) with a page preset.
    ExportMap(PathBuf, crate::export::map::Preset),
    /// Writes the atlas (one map per zone) into this folder.
    ExportAtlas(PathBuf),
    /// Opens the autosave of this project instead of the saved file.
    RestoreAutosave(PathBuf),
    /// Keeps the saved project file: deletes its autosave.
    DiscardAutosave(PathBuf),
    /// What a click on the map does.
    SetTool(Tool),
    /// Radius of the proximity tool, kilometres (probes again at the same place).
    SetRadius(f64),
    /// The proximity tool clicked at a WGS84 position (lon, lat).
    ProbeAt((f64, f64)),
    /// The measuring tool clicked at a WGS84 position (lon, lat).
    AddMeasurePoint((f64, f64)),
    /// Clears the measured path.
    ClearMeasure,
    /// Shows or hides the under-served zones.
    ShowUnderserved(bool),
    /// Shows or hides the bivariate need × offer map.
    ShowBivariate(bool),
    /// The theme of services counted as offer.
    SetServiceTheme(String),
    /// The under-served rule's thresholds (need at least, offer per 10,000 at most): re-applies
    /// the rule to the cached coverage, without recomputing it.
    SetThresholds {
        /// Need threshold, in the indicator's unit: flagged zones need at least this much.
        need: f64,
        /// Offer threshold, services per 10,000 inhabitants: flagged zones have at most this.
        offer: f64,
    },
    /// Exports a layer with its joined and computed attributes (format from the extension).
    ExportLayer {
        /// The layer exported.
        layer: LayerRef,
        /// The file written: GeoJSON, CSV, XLSX or GeoPackage (from the extension).
        path: PathBuf,
        /// Whether CSV numbers use the French decimal comma (else a point).
        decimal_comma: bool,
        /// Whether each column with missing values is followed by a `<colonne>_motif` column
        /// saying why.
        reason_columns: bool,
        /// For a point layer: count the points by the zones of this zone layer (id).
        aggregate_to: Option<String>,
    },
    /// A change of the *Diagnostic* window (settings, runs, diagnostic map).
    Diagnostic(diagnostic::DiagCommand),
    /// A change of the *Implantation de nouveaux sites* window (question, run, scenarios).
    Siting(siting::SitingCommand),
    /// Stores an entry of the indicator dictionary (*Données › Dictionnaire des indicateurs*:
    /// completed by hand, or reset from the definitions sheet), replacing the entry of its
    /// code; saved with the project. The entry is checked by the dialog
    /// ([`crate::dictionary::validate`]) before it is sent.
    SetIndicatorDef(Box<crate::dictionary::IndicatorDef>),
    /// A change of the *Tableau des dispositifs* window (typed cells, rule, import, export,
    /// the row shown on the map).
    Schemes(schemes::SchemesCommand),
    /// A change of the *T0 et T+3* window (freeze, load and compare, export its maps).
    T0(t0::T0Command),
    /// A change of the *Pistes de contractualisation* window (edit, fill, export).
    Proposals(proposals::ProposalCommand),
    /// A change of the saved views or of the presentation (committee mode).
    Views(presentation::ViewCommand),
    /// Undoes the last change to the project (*Édition › Annuler*, Ctrl+Z).
    Undo,
    /// Redoes the last undone change (*Édition › Rétablir*, Ctrl+Maj+Z, Ctrl+Y).
    Redo,
    /// Exports the list of under-served zones (format from the extension).
    ExportUnderserved {
        /// The file written: GeoJSON, CSV, XLSX or GeoPackage (from the extension).
        path: PathBuf,
        /// Whether CSV numbers use the French decimal comma (else a point).
        decimal_comma: bool,
    },
}

/// Ephemeral widget state, owned by the panels and dialogs and passed to them `&mut`: the open
/// dialog and what is typed in it, the attribute table's visibility, filter, sort and scroll.
/// Nothing here is saved with the project or changes what the map shows; every such change goes
/// through a [`Command`].
#[derive(Default)]
pub struct UiState {
    /// The attribute table's visibility, filter, sort, scroll and row cache.
    pub table: panels::TableState,
    /// The open dialog and what is typed in it.
    pub dialog: dialogs::Dialog,
    /// The saved views window and what is typed in it.
    pub views: panels::views::ViewsPanelState,
    /// The search box of the menu bar (Ctrl+F) and its results.
    pub search: search::SearchState,
}

/// A background load.
struct Job {
    /// « Chargement de <file name> ».
    label: String,
    /// The file being loaded.
    path: PathBuf,
    progress: Arc<Progress>,
    result: Receiver<JobMessage>,
    /// Add the loaded layers to the current workspace instead of replacing it.
    merge: bool,
    /// A project opening layer by layer: its first step (the project file), held until its
    /// first layer comes (the current workspace stays until then), and whether its workspace
    /// is installed.
    staged: Option<StagedOpening>,
}

/// What a background load sends to the UI.
enum JobMessage {
    /// A step of a project opening layer by layer.
    Step(state::LoadStep),
    /// The end: the whole workspace (a data file, layers added), `None` after the steps of a
    /// staged opening, or the error in French.
    End(Result<Option<Box<Workspace>>, String>),
}

/// A project opening layer by layer, as the UI follows it.
struct StagedOpening {
    /// The first step, until the first layer comes.
    begin: Option<state::LoadStep>,
    /// Whether the workspace being filled has replaced the previous one.
    installed: bool,
}

/// Called on the loading thread before each step of a staged opening is handed to the UI
/// (tests: hold a step back to see the map as it is before it).
pub type StepHook = Arc<dyn Fn(&state::LoadStep) + Send + Sync>;

/// The CartoSol desktop app.
pub struct CartoSolApp {
    /// The project's layers prepared for drawing, their order and styles.
    pub ws: Workspace,
    /// The classes and colours of the mapped indicator (`None` without a mapped zone layer).
    pub choropleth: Option<Choropleth>,
    /// Position and zoom of the walkers map.
    pub map_memory: walkers::MapMemory,
    /// The basemap under the layers.
    pub basemap: Basemap,
    /// The basemap of a project just opened, set up at the next frame (it needs the context).
    restore_basemap: Option<BasemapChoice>,
    /// The selected zone (zone layer index, zone row), shown in the selection panel.
    pub selected_zone: Option<(usize, usize)>,
    /// The selected point (point layer index, point row).
    pub selected_point: Option<(usize, usize)>,
    /// What the last frame of the map reported: hover, click, view, timings.
    pub map_out: MapOutput,
    /// Ephemeral widget state (see [`UiState`]).
    pub ui_state: UiState,
    /// The status line's message (last load, save or export), in French.
    pub status: String,
    /// The analysis tools: proximity, measure, under-served zones, bivariate map.
    pub analysis: analysis_ui::AnalysisState,
    /// The *Diagnostic* window: profiles, situations, LISA, typology and their maps.
    pub diagnostic: diagnostic::DiagnosticState,
    /// The *Implantation de nouveaux sites* window.
    pub siting: siting::SitingState,
    /// The *Tableau des dispositifs* window: the schemes table and its computed cells.
    pub schemes: schemes::SchemesState,
    /// The *T0 et T+3* window: the frozen T0 and its comparison with a later vintage.
    pub t0: t0::T0State,
    /// The *Pistes de contractualisation* window: the selected proposal and its draft.
    pub proposals: proposals::ProposalsState,
    /// Committee mode: the presentation layout, its scale and frame time.
    pub presentation: presentation::PresentationState,
    hatch: egui::TextureHandle,
    tile_cache: PathBuf,
    job: Option<Job>,
    /// A running export (label, result).
    export_job: Option<(String, Receiver<Result<ExportDone, String>>)>,
    pending: Vec<Command>,
    frame_on_next: bool,
    /// A box (Mercator) to frame once the map has its new width: selecting a zone opens the
    /// selection panel, which narrows the map, so the zone is framed in the narrowed map (at
    /// the next frame), not in the one it had before, where it would fall out of sight.
    /// The box and the number of frames it is framed again (the panel settles its width over a
    /// frame or two).
    pending_frame: Option<([f64; 4], u8)>,
    last_autosave: f64,
    /// The user's data folder (autosaves).
    data_dir: PathBuf,
    /// What the project file holds, and what was last written (file or autosave), as
    /// fingerprints of the project without its current view: autosave only on a real change.
    autosave_marks: export_ui::AutosaveMarks,
    /// Undo and redo: the project before each change and the loaded data it needs.
    pub history: history::History,
}

fn hatch_texture(ctx: &egui::Context) -> egui::TextureHandle {
    let size = 8;
    // The colours of the shared map style, as the exports' hatching pattern.
    let [r, g, b] = crate::style::MISSING_COLOR;
    let mut pixels = vec![egui::Color32::from_rgb(r, g, b); size * size];
    let [hr, hg, hb] = crate::style::palette::MISSING_HATCH_COLOR;
    for i in 0..size {
        // Diagonal line, two pixels thick.
        for d in 0..2 {
            let x = (i + d) % size;
            if let Some(p) = pixels.get_mut(i * size + (size - 1 - x)) {
                *p = egui::Color32::from_rgb(hr, hg, hb);
            }
        }
    }
    ctx.load_texture(
        "hachures-valeurs-manquantes",
        egui::ColorImage::new([size, size], pixels),
        egui::TextureOptions {
            wrap_mode: egui::TextureWrapMode::Repeat,
            ..egui::TextureOptions::NEAREST
        },
    )
}

impl CartoSolApp {
    /// Builds the app.
    pub fn new(ctx: &egui::Context, options: AppOptions) -> CartoSolApp {
        ctx.set_theme(egui::Theme::Light);
        let mut style = (*ctx.global_style()).clone();
        style
            .text_styles
            .iter_mut()
            .for_each(|(_, f)| f.size *= 1.08);
        ctx.set_global_style(style);
        let mut app = CartoSolApp {
            ws: Workspace::empty(),
            choropleth: None,
            map_memory: walkers::MapMemory::default(),
            basemap: Basemap::new(options.basemap.clone(), options.tile_cache.clone(), ctx),
            restore_basemap: None,
            tile_cache: options.tile_cache.clone(),
            selected_zone: None,
            selected_point: None,
            map_out: MapOutput::default(),
            ui_state: UiState::default(),
            status: String::new(),
            analysis: analysis_ui::AnalysisState::default(),
            diagnostic: diagnostic::DiagnosticState::default(),
            siting: siting::SitingState::default(),
            schemes: schemes::SchemesState::default(),
            t0: t0::T0State::default(),
            proposals: proposals::ProposalsState::default(),
            presentation: presentation::PresentationState::default(),
            hatch: hatch_texture(ctx),
            job: None,
            export_job: None,
            pending: Vec::new(),
            frame_on_next: true,
            pending_frame: None,
            last_autosave: 0.0,
            data_dir: options.data_dir.clone(),
            autosave_marks: export_ui::AutosaveMarks::default(),
            history: history::History::default(),
        };
        let _ = app.map_memory.set_zoom(9.0);
        app.map_memory.center_at(walkers::lon_lat(2.25, 48.52));
        if let Some(path) = options.open {
            if options.load_now {
                match Workspace::load(&path, &Progress::default()) {
                    Ok(ws) => app.install(ws, false),
                    Err(e) => app.ui_state.dialog = dialogs::Dialog::Error(e),
                }
            } else {
                app.start_load(path, false, ctx);
            }
        }
        app
    }

    fn start_load(&mut self, path: PathBuf, merge: bool, ctx: &egui::Context) {
        self.start_load_with(path, merge, ctx, None);
    }

    /// Opens a project or data file in the background (as *Ouvrir* does); a project is
    /// published layer by layer, the first zone layer drawn as soon as it is read, with
    /// `hook` (tests) called on the loading thread before each step is handed over.
    pub fn start_load_with(
        &mut self,
        path: PathBuf,
        merge: bool,
        ctx: &egui::Context,
        hook: Option<StepHook>,
    ) {
        let progress = Arc::new(Progress::default());
        let (tx, rx) = std::sync::mpsc::channel();
        let p = progress.clone();
        let ctx = ctx.clone();
        let target = path.clone();
        let staged = !merge && state::is_project_path(&path);
        std::thread::spawn(move || {
            let result = if merge {
                let mut ws = Workspace::empty();
                ws.add_file(&target, &p).map(|_| Some(Box::new(ws)))
            } else if staged {
                Workspace::load_staged(&target, &p, |step| {
                    if let Some(hook) = &hook {
                        hook(&step);
                    }
                    let sent = tx.send(JobMessage::Step(step)).is_ok();
                    ctx.request_repaint();
                    sent
                })
                .map(|()| None)
            } else {
                Workspace::load(&target, &p).map(|ws| Some(Box::new(ws)))
            };
            let _ = tx.send(JobMessage::End(result));
            ctx.request_repaint();
        });
        self.job = Some(Job {
            label: format!(
                "Chargement de {}",
                path.file_name().map_or_else(
                    || path.display().to_string(),
                    |n| n.to_string_lossy().into()
                )
            ),
            path: path.clone(),
            progress,
            result: rx,
            merge,
            staged: staged.then_some(StagedOpening {
                begin: None,
                installed: false,
            }),
        });
    }

    /// Installs a loaded workspace (or merges its layers into the current one).
    pub fn install(&mut self, ws: Workspace, merge: bool) {
        if !merge {
            self.begin_project(ws);
            self.recompute_choropleth();
            self.end_project();
            return;
        }
        let offset = self.ws.zones.len();
        self.ws.file.zones.extend(ws.file.zones);
        self.ws.file.points.extend(ws.file.points);
        self.ws.zones.extend(ws.zones);
        self.ws.points.extend(ws.points);
        if self.ws.file.map.zones.is_empty()
            && let Some(z) = self.ws.zones.get(offset)
        {
            self.ws.file.map.zones = z.spec.id.clone();
        }
        self.ws.finish();
        // A new zone layer can change the commune base of the coverage.
        self.analysis.forget_coverage();
        self.set_loaded_status();
        self.recompute_choropleth();
        self.frame_on_next = true;
    }

    /// Replaces the workspace with a project's (whole, or its first layers while it opens):
    /// the selection and the analyses start afresh, the project's basemap and saved view are
    /// restored (else the map frames its layers).
    fn begin_project(&mut self, ws: Workspace) {
        self.ws = ws;
        // The previous project's steps do not apply to this one (nor to the empty workspace
        // left by an opening that failed half-way).
        self.history = history::History::start(&mut self.ws);
        self.selected_zone = None;
        self.selected_point = None;
        self.analysis.reset();
        self.t0.reset();
        self.schemes.reset();
        self.choropleth = None;
        // Recent projects: the user's own (the bundled sample has its own button and
        // opening it writes nothing).
        if let Some(path) = &self.ws.path
            && path.to_string_lossy().ends_with(".cartosol.json")
            && !crate::bundled::bundled_sample_dir()
                .is_some_and(|dir| path.canonicalize().is_ok_and(|p| p.starts_with(&dir)))
        {
            welcome::remember(&self.data_dir, path);
        }
        // The basemap saved with the project: a local PMTiles file (the offline committee
        // room) or none. OpenStreetMap, the default of every project, keeps the app's.
        let base = self
            .ws
            .path
            .as_deref()
            .and_then(std::path::Path::parent)
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default();
        match self.ws.file.map.basemap.clone() {
            crate::project::BasemapSpec::Pmtiles { path } => {
                self.restore_basemap = Some(BasemapChoice::Pmtiles(base.join(path)));
            }
            crate::project::BasemapSpec::None => {
                self.restore_basemap = Some(BasemapChoice::None);
            }
            crate::project::BasemapSpec::Osm => {}
        }
        match self.ws.file.map.view.clone() {
            Some(v) => {
                let _ = self.map_memory.set_zoom(v.zoom);
                self.map_memory.center_at(walkers::lon_lat(v.lon, v.lat));
                self.frame_on_next = false;
            }
            None => self.frame_on_next = true,
        }
        self.set_loaded_status();
    }

    /// A project is wholly in the workspace: its status line, the autosave's reference and
    /// the offer to recover an autosave newer than the file.
    fn end_project(&mut self) {
        self.set_loaded_status();
        // A project just opened is what its file holds; layers added to it are a change.
        self.autosave_marks = export_ui::AutosaveMarks::of(&mut self.ws);
        // Closing a project (opening another) clears the undo history; its steps start from
        // the project as opened, all layers in.
        self.history = history::History::start(&mut self.ws);
        if let Some(path) = self.ws.path.clone()
            && !crate::project::is_autosave_file(&path)
            && crate::project::recover(&path, &self.data_dir).is_some()
        {
            self.ui_state.dialog = dialogs::Dialog::Recover(path);
        }
    }

    /// The status line after a load: the layers and the reading problems.
    fn set_loaded_status(&mut self) {
        self.status = format!(
            "{} couche(s) de zones, {} couche(s) de points",
            self.ws.zones.len(),
            self.ws.points.len()
        );
        let problems = self.ws.problem_count();
        if problems > 0 {
            self.status.push_str(&format!(
                " ; {problems} problème(s) de lecture : clic droit sur une couche › Propriétés"
            ));
        }
    }

    /// Classifies the mapped layer once it is in the workspace (while a project opens, the
    /// mapped layer may come after others: no choropleth until then, and the saved
    /// indicator is kept).
    fn classify_when_mapped_layer_is_in(&mut self) {
        let mapped = &self.ws.file.map.zones;
        let ready = if mapped.is_empty() {
            !self.ws.zones.is_empty()
        } else {
            self.ws.zones.iter().any(|z| &z.spec.id == mapped)
        };
        if ready && self.choropleth.is_none() {
            self.recompute_choropleth();
        }
    }

    /// Puts a step of a staged opening in the app: the first layer replaces the workspace
    /// (and frames the map); each further layer is added and drawn at the next frame.
    fn apply_load_step(&mut self, step: state::LoadStep) {
        let Some(staged) = self.job.as_mut().and_then(|j| j.staged.as_mut()) else {
            return;
        };
        if matches!(step, state::LoadStep::Begin { .. }) {
            staged.begin = Some(step);
            return;
        }
        let done = matches!(step, state::LoadStep::Done { .. });
        if !staged.installed {
            staged.installed = true;
            let mut ws = Workspace::empty();
            if let Some(begin) = staged.begin.take() {
                ws.apply_step(begin);
            }
            ws.apply_step(step);
            self.begin_project(ws);
        } else {
            // The legend reads its labels from the dictionary, completed at the end.
            let relabel = match &step {
                state::LoadStep::Done { dictionary } => *dictionary != self.ws.file.dictionary,
                _ => false,
            };
            self.ws.apply_step(step);
            // New layers can change the commune base of the coverage or its services.
            self.analysis.forget_coverage();
            self.set_loaded_status();
            if relabel && self.choropleth.is_some() {
                self.recompute_choropleth();
            }
        }
        self.classify_when_mapped_layer_is_in();
        if done {
            self.end_project();
        }
    }

    /// Saves the project to `path` (Ctrl+S, *Enregistrer sous*) and removes its autosave.
    fn save_to(&mut self, path: &std::path::Path) {
        let view = self.current_view();
        match export_ui::save(&mut self.ws, path, view, &self.data_dir) {
            Ok(m) => {
                self.status = m;
                self.t0.saved();
                self.autosave_marks = export_ui::AutosaveMarks::of(&mut self.ws);
            }
            Err(e) => self.ui_state.dialog = dialogs::Dialog::Error(e),
        }
    }

    /// The current view of the map, to save with the project.
    pub fn current_view(&self) -> Option<crate::project::ViewSpec> {
        let view = self.map_out.view?;
        let (lon, lat) = geometry::lon_lat_of(view.center);
        Some(crate::project::ViewSpec::frame(
            "vue courante",
            lon,
            lat,
            view.zoom,
        ))
    }

    fn start_export(
        &mut self,
        label: String,
        work: impl FnOnce() -> Result<ExportDone, String> + Send + 'static,
        ctx: &egui::Context,
    ) {
        let (tx, rx) = std::sync::mpsc::channel();
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            let _ = tx.send(work());
            ctx.request_repaint();
        });
        self.export_job = Some((label, rx));
    }

    fn poll_export(&mut self) {
        let Some((_, rx)) = &self.export_job else {
            return;
        };
        match rx.try_recv() {
            Ok(Ok(done)) => {
                self.status = done.summary;
                if let Some((title, text)) = done.report {
                    self.ui_state.dialog = dialogs::Dialog::Report { title, text };
                }
                self.export_job = None;
            }
            Ok(Err(e)) => {
                self.ui_state.dialog = dialogs::Dialog::Error(e);
                self.export_job = None;
            }
            Err(std::sync::mpsc::TryRecvError::Empty) => {}
            Err(std::sync::mpsc::TryRecvError::Disconnected) => self.export_job = None,
        }
    }

    /// Reclassifies the choropleth after a change of indicator or classification.
    pub fn recompute_choropleth(&mut self) {
        self.choropleth = self.ws.choropleth_layer().map(|layer| {
            let fields = choropleth::indicators(&self.ws, layer);
            let wanted = &self.ws.file.map.indicator;
            let indicator = if fields.contains(wanted) {
                wanted.clone()
            } else {
                fields.first().cloned().unwrap_or_default()
            };
            self.ws.file.map.indicator = indicator.clone();
            Choropleth::compute(
                &self.ws,
                layer,
                &indicator,
                &self.ws.file.map.classification,
            )
        });
    }

    fn poll_job(&mut self) {
        // Every message waiting: the layers read since the last frame are drawn in this one.
        loop {
            let Some(job) = &self.job else { return };
            let message = match job.result.try_recv() {
                Ok(m) => m,
                Err(std::sync::mpsc::TryRecvError::Empty) => return,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                    self.job = None;
                    self.ui_state.dialog =
                        dialogs::Dialog::Error("le chargement s'est interrompu".to_owned());
                    return;
                }
            };
            match message {
                JobMessage::Step(step) => self.apply_load_step(step),
                JobMessage::End(Ok(ws)) => {
                    let merge = job.merge;
                    self.job = None;
                    if let Some(ws) = ws {
                        self.install(*ws, merge);
                    }
                    return;
                }
                JobMessage::End(Err(e)) => {
                    let cancelled = job
                        .progress
                        .cancel
                        .load(std::sync::atomic::Ordering::Relaxed);
                    // A project that stopped half-way is not left half-open (saving it would
                    // drop its missing layers' settings): the workspace is emptied.
                    let partial = job.staged.as_ref().is_some_and(|s| s.installed);
                    self.job = None;
                    if partial {
                        self.begin_project(Workspace::empty());
                        self.status.clear();
                    }
                    if cancelled {
                        self.status = "Chargement annulé".to_owned();
                    } else {
                        self.ui_state.dialog = dialogs::Dialog::Error(e);
                    }
                    return;
                }
            }
        }
    }

    /// Whether a project or file is being loaded.
    pub fn loading(&self) -> bool {
        self.job.is_some()
    }

    /// The user's data folder (autosaves, recent projects).
    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    /// Frames the map on a Mercator box.
    pub fn frame_box(&mut self, bbox: [f64; 4]) {
        let clip = self
            .map_out
            .view
            .map(|v| v.clip)
            .unwrap_or(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(900.0, 650.0),
            ));
        let w = (bbox[2] - bbox[0]).max(1e-9) * 256.0;
        let h = (bbox[3] - bbox[1]).max(1e-9) * 256.0;
        let zoom = ((clip.width() as f64 / w).min(clip.height() as f64 / h) * 0.9).log2();
        let (lon, lat) =
            geometry::lon_lat_of([(bbox[0] + bbox[2]) / 2.0, (bbox[1] + bbox[3]) / 2.0]);
        let _ = self.map_memory.set_zoom(zoom.clamp(2.0, 18.0));
        self.map_memory.center_at(walkers::lon_lat(lon, lat));
    }

    fn frame_all(&mut self) {
        let bbox = self
            .ws
            .zones
            .iter()
            .filter_map(|z| {
                z.geometry
                    .bbox_of(0..z.geometry.len())
                    .or(z.grid.as_ref().map(|g| g.cells.bbox))
            })
            .reduce(|a, b| {
                [
                    a[0].min(b[0]),
                    a[1].min(b[1]),
                    a[2].max(b[2]),
                    a[3].max(b[3]),
                ]
            });
        if let Some(b) = bbox {
            self.frame_box(b);
        }
    }

    /// Queues a command.
    pub fn send(&mut self, command: Command) {
        self.pending.push(command);
    }

    /// Applies the queued commands: the one place where the project and the app's state change.
    pub fn apply(&mut self, ctx: &egui::Context) {
        if let Some(choice) = self.restore_basemap.take() {
            self.basemap = Basemap::new(choice, self.tile_cache.clone(), ctx);
        }
        let commands = std::mem::take(&mut self.pending);
        let mut reclassify = false;
        for command in commands {
            match command {
                Command::Open(path) => self.start_load(path, false, ctx),
                Command::AddFile(path) => self.start_load(path, true, ctx),
                Command::CancelJob => {
                    if let Some(job) = &self.job {
                        job.progress
                            .cancel
                            .store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                }
                Command::SetIndicator { layer, indicator } => {
                    if let Some(z) = self.ws.zones.get(layer) {
                        self.ws.file.map.zones = z.spec.id.clone();
                    }
                    self.ws.file.map.indicator = indicator;
                    reclassify = true;
                }
                Command::SetMethod(m) => {
                    let c = &mut self.ws.file.map.classification;
                    c.method = m;
                    c.palette = crate::style::map_style::palette_for_method(m, &c.palette);
                    reclassify = true;
                }
                Command::SetClasses(n) => {
                    self.ws.file.map.classification.classes = n.clamp(3, 9);
                    reclassify = true;
                }
                Command::SetPalette(p) => {
                    self.ws.file.map.classification.palette = p;
                    reclassify = true;
                }
                Command::SetSensitive { field, sensitive } => {
                    self.ws.file.map.privacy.set_sensitive(&field, sensitive);
                    reclassify = true;
                }
                Command::SetManualBreaks(b) => {
                    self.ws.file.map.classification.breaks = b;
                    self.ws.file.map.classification.method = crate::style::ClassMethod::Manual;
                    reclassify = true;
                }
                Command::ToggleLayer(l) => {
                    if let Some(s) = self.ws.style_mut(l) {
                        s.visible = !s.visible;
                    }
                }
                Command::MoveLayer(l, by) => {
                    if let Some(i) = self.ws.order.iter().position(|x| *x == l) {
                        let j =
                            (i as isize + by).clamp(0, self.ws.order.len() as isize - 1) as usize;
                        // Moved, not swapped: dragged three rows up, the layers in between
                        // each go down one place.
                        let moved = self.ws.order.remove(i);
                        self.ws.order.insert(j, moved);
                    }
                }
                Command::SetOpacity(l, o) => {
                    if let Some(s) = self.ws.style_mut(l) {
                        s.opacity = o.clamp(0.0, 1.0);
                    }
                }
                Command::Rename(l, name) => {
                    if let Some(s) = self.ws.style_mut(l) {
                        s.label = if name.trim().is_empty() {
                            None
                        } else {
                            Some(name.trim().to_owned())
                        };
                    }
                }
                Command::RepairGeometries(i) => {
                    self.history.keep_outlines(&self.ws, i);
                    if let Some(z) = self.ws.zones.get_mut(i) {
                        z.spec.repair_geometries = true;
                        let id = z.spec.id.clone();
                        crate::zones::validity::check_layer(&mut z.layer, true);
                        z.geometry = std::sync::Arc::new(geometry::ZoneGeometry::prepare(
                            &z.layer.geometries,
                        ));
                        z.cache = Default::default();
                        if let Some(spec) = self.ws.file.zones.iter_mut().find(|s| s.id == id) {
                            spec.repair_geometries = true;
                        }
                        self.analysis.forget_coverage();
                        reclassify = true;
                    }
                }
                Command::Remove(l) => {
                    self.history.keep_removed(&mut self.ws, l);
                    self.ws.remove(l);
                    self.analysis.forget_coverage();
                    self.selected_zone = None;
                    self.selected_point = None;
                    reclassify = true;
                }
                Command::ToggleTheme { layer, theme } => {
                    if let Some(t) = self
                        .ws
                        .points
                        .get_mut(layer)
                        .and_then(|p| p.themes.get_mut(theme))
                    {
                        t.visible = !t.visible;
                    }
                }
                Command::SetPointStyle(choice) => {
                    crate::style::spec::set_theme_style(&mut self.ws.file.map.point_styles, choice);
                    self.ws.restyle_points();
                }
                Command::SetLabels(choice) => {
                    crate::style::spec::set_label_style(&mut self.ws.file.map.labels, choice);
                }
                Command::SetLabelsOnExports(on) => self.ws.file.map.labels_on_exports = on,
                Command::SelectZone { target, frame } => {
                    self.selected_zone = target;
                    self.selected_point = None;
                    if let Some((layer, zone)) = target {
                        self.ui_state.table.scroll_to = Some(zone);
                        if frame
                            && let Some(b) = self
                                .ws
                                .zones
                                .get(layer)
                                .and_then(|z| z.geometry.bbox_of(std::iter::once(zone)))
                        {
                            self.frame_box(b);
                            self.pending_frame = Some((b, 3));
                        }
                    }
                }
                Command::SelectPoint(p) => {
                    self.selected_point = p;
                }
                Command::FramePoint(layer, row) => {
                    self.selected_point = Some((layer, row));
                    self.selected_zone = None;
                    if let Some([x, y]) = self
                        .ws
                        .points
                        .get(layer)
                        .and_then(|p| p.merc.get(row).copied().flatten())
                    {
                        // About a street's width around the point: zoom 16 or so.
                        let d = 2e-5;
                        self.frame_box([x - d, y - d, x + d, y + d]);
                        self.pending_frame = Some(([x - d, y - d, x + d, y + d], 3));
                    }
                }
                Command::FrameAll => self.frame_all(),
                Command::FrameLayer(layer) => {
                    let bbox = match layer {
                        LayerRef::Zones(i) => self.ws.zones.get(i).and_then(|z| {
                            z.geometry
                                .bbox_of(0..z.geometry.len())
                                .or(z.grid.as_ref().map(|g| g.cells.bbox))
                        }),
                        LayerRef::Points(i) => self.ws.points.get(i).and_then(|p| {
                            p.merc
                                .iter()
                                .flatten()
                                .fold(None, |b: Option<[f64; 4]>, m| {
                                    Some(match b {
                                        None => [m[0], m[1], m[0], m[1]],
                                        Some(b) => [
                                            b[0].min(m[0]),
                                            b[1].min(m[1]),
                                            b[2].max(m[0]),
                                            b[3].max(m[1]),
                                        ],
                                    })
                                })
                        }),
                    };
                    if let Some(b) = bbox {
                        self.frame_box(b);
                    }
                }
                Command::SetBasemap(choice) => {
                    // Saved with the project (a PMTiles file prepares an offline room).
                    let spec = match &choice {
                        BasemapChoice::Osm => Some(crate::project::BasemapSpec::Osm),
                        BasemapChoice::Pmtiles(path) => {
                            Some(crate::project::BasemapSpec::Pmtiles { path: path.clone() })
                        }
                        BasemapChoice::None => Some(crate::project::BasemapSpec::None),
                        BasemapChoice::Xyz(_) => None,
                    };
                    if let Some(spec) = spec {
                        self.ws.file.map.basemap = spec;
                    }
                    self.basemap = Basemap::new(choice, self.tile_cache.clone(), ctx);
                }
                Command::ApplyJoin(join) => {
                    self.history.keep_attributes(&self.ws, join.layer);
                    self.analysis.forget_coverage();
                    match dialogs::apply_join(&mut self.ws, *join) {
                        Ok(msg) => self.status = msg,
                        Err(e) => self.ui_state.dialog = dialogs::Dialog::Error(e),
                    }
                    reclassify = true;
                }
                Command::ShowError(e) => self.ui_state.dialog = dialogs::Dialog::Error(e),
                Command::Save => match self.ws.path.clone() {
                    Some(path)
                        if !crate::project::is_autosave_file(&path)
                            && !export_ui::is_read_only(&path) =>
                    {
                        self.save_to(&path);
                    }
                    Some(path) => {
                        // A read-only project (the bundled sample): a copy is saved elsewhere.
                        self.status = export_ui::read_only_message(&path);
                        self.ui_state.dialog =
                            dialogs::Dialog::SaveAs(export_ui::save_as_suggestion(&path));
                    }
                    None => {
                        self.ui_state.dialog =
                            dialogs::Dialog::SaveAs("projet.cartosol.json".to_owned())
                    }
                },
                Command::SaveAs(path) => {
                    if path.exists() && export_ui::is_read_only(&path) {
                        self.ui_state.dialog =
                            dialogs::Dialog::Error(export_ui::read_only_message(&path));
                    } else {
                        self.save_to(&path);
                    }
                }
                Command::ExportMap(path, preset) => {
                    let project = export_ui::project_of(&self.ws, self.current_view());
                    let mut overlay = self.analysis.map_overlay(self.ws.choropleth_layer());
                    // A diagnostic map (profiles, LISA, typology) is exported as shown.
                    if let Some(fill) = self.diagnostic.overlay_fill(&self.ws.file.dictionary) {
                        overlay.fill = Some(fill);
                    }
                    self.start_export(
                        format!("Export de la carte {}", path.display()),
                        move || {
                            export_ui::export_map(&project, &path, preset, overlay)
                                .map(ExportDone::from)
                        },
                        ctx,
                    );
                }
                Command::ExportAtlas(dir) => {
                    let project = export_ui::project_of(&self.ws, None);
                    self.start_export(
                        format!("Atlas dans {}", dir.display()),
                        move || export_ui::export_atlas(&project, &dir).map(ExportDone::from),
                        ctx,
                    );
                }
                Command::RestoreAutosave(path) => {
                    let auto = crate::project::autosave_path(&path, &self.data_dir);
                    match Workspace::load(&auto, &Progress::default()) {
                        Ok(mut ws) => {
                            // The autosave's paths are absolute: relative to the project's
                            // folder again, as a save writes them.
                            crate::project::rebase_paths(
                                &mut ws.file,
                                auto.parent().unwrap_or(std::path::Path::new(".")),
                                path.parent().unwrap_or(std::path::Path::new(".")),
                            );
                            ws.path = Some(path);
                            self.install(ws, false);
                            // The autosave stays until a save: do not ask again.
                            self.ui_state.dialog = dialogs::Dialog::None;
                            self.status =
                                "Sauvegarde automatique restaurée (enregistrez pour la garder)"
                                    .to_owned();
                        }
                        Err(e) => self.ui_state.dialog = dialogs::Dialog::Error(e),
                    }
                }
                Command::DiscardAutosave(path) => {
                    if let Err(e) = crate::project::discard_autosave(&path, &self.data_dir) {
                        self.ui_state.dialog = dialogs::Dialog::Error(format!(
                            "Sauvegarde automatique impossible à supprimer : {e}"
                        ));
                    }
                }
                Command::SetTool(tool) => {
                    if tool != self.analysis.tool {
                        self.analysis.tool = tool;
                        self.analysis.probe = None;
                        self.analysis.measure.clear();
                    }
                }
                Command::SetRadius(r) => {
                    self.analysis.radius_km = r.clamp(0.1, 100.0);
                    if let Some(p) = self.analysis.probe.as_ref().map(|p| p.at) {
                        self.analysis.probe_at(&self.ws, p);
                    }
                }
                Command::ProbeAt(at) => self.analysis.probe_at(&self.ws, at),
                Command::AddMeasurePoint(at) => self.analysis.measure.push(at),
                Command::ClearMeasure => self.analysis.measure.clear(),
                Command::ShowUnderserved(on) => self.analysis.gaps_on = on,
                Command::ShowBivariate(on) => {
                    // The most recently chosen map wins: the bivariate map hides the
                    // diagnostic map (see `diagnostic`).
                    self.analysis.bivariate_on = on;
                    if on {
                        self.diagnostic.map = diagnostic::DiagMap::None;
                    }
                }
                Command::Diagnostic(c) => {
                    if matches!(&c, diagnostic::DiagCommand::ShowMap(m) if *m != diagnostic::DiagMap::None)
                    {
                        self.analysis.bivariate_on = false;
                    }
                    let repaint = ctx.clone();
                    self.diagnostic
                        .apply(&mut self.ws, c, move || repaint.request_repaint());
                }
                Command::Siting(siting::SitingCommand::Frame { lon, lat, radius_m }) => {
                    let d_lat = radius_m / 111_195.0;
                    let d_lon = d_lat / lat.to_radians().cos().max(0.1);
                    let a = geometry::mercator_unit(lon - d_lon, lat - d_lat);
                    let b = geometry::mercator_unit(lon + d_lon, lat + d_lat);
                    self.frame_box([
                        a[0].min(b[0]),
                        a[1].min(b[1]),
                        a[0].max(b[0]),
                        a[1].max(b[1]),
                    ]);
                }
                Command::Siting(c) => {
                    let repaint = ctx.clone();
                    self.siting
                        .apply(&mut self.ws, c, move || repaint.request_repaint());
                }
                Command::Schemes(schemes::SchemesCommand::Export(path)) => {
                    let work = schemes::export_work(&self.ws, path.clone());
                    self.schemes.path = path.display().to_string();
                    self.start_export(
                        format!("Export du tableau des dispositifs {}", path.display()),
                        move || work().map(ExportDone::from),
                        ctx,
                    );
                }
                Command::Schemes(c) => {
                    let repaint = ctx.clone();
                    match self
                        .schemes
                        .apply(&mut self.ws, c, move || repaint.request_repaint())
                    {
                        Some(Ok(m)) => self.status = m,
                        Some(Err(e)) => self.ui_state.dialog = dialogs::Dialog::Error(e),
                        None => {}
                    }
                }
                Command::SetIndicatorDef(def) => {
                    crate::dictionary::set(&mut self.ws.file.dictionary, *def);
                    // The legend's title is the indicator's label.
                    reclassify = true;
                }
                Command::T0(t0::T0Command::ExportMap(which, path)) => {
                    let repaint = ctx.clone();
                    if let Some((path, work)) =
                        self.t0
                            .export_job(&self.ws, which, path, move || repaint.request_repaint())
                    {
                        self.start_export(
                            format!("Export de la carte {}", path.display()),
                            move || work().map(ExportDone::from),
                            ctx,
                        );
                    }
                }
                Command::T0(c) => {
                    let rule = t0::rule_to_freeze(self);
                    let repaint = ctx.clone();
                    match self
                        .t0
                        .apply(&mut self.ws, c, rule, move || repaint.request_repaint())
                    {
                        Some(Ok(m)) => self.status = m,
                        Some(Err(e)) => {
                            self.ui_state.dialog =
                                dialogs::Dialog::Error(format!("T0 non figé : {e}"))
                        }
                        None => {}
                    }
                }
                Command::Views(c) => presentation::apply(self, c, ctx),
                Command::Proposals(c) => proposals::apply(self, c, ctx),
                Command::SetServiceTheme(theme) => self.analysis.theme = theme,
                Command::SetThresholds { need, offer } => self.analysis.set_thresholds(need, offer),
                Command::ExportLayer {
                    layer,
                    path,
                    decimal_comma,
                    reason_columns,
                    aggregate_to,
                } => match export_ui::layer_project(&self.ws, &self.analysis, layer) {
                    Ok((project, id)) => {
                        let options = DataExportOptions {
                            decimal: export_ui::decimal_mark(decimal_comma),
                            reason_columns,
                            aggregate_to,
                            ..Default::default()
                        };
                        self.start_export(
                            format!("Export de la couche {}", path.display()),
                            move || export_ui::export_layer_file(&project, &id, &path, &options),
                            ctx,
                        );
                    }
                    Err(e) => self.ui_state.dialog = dialogs::Dialog::Error(e),
                },
                Command::Undo => history::undo(self),
                Command::Redo => history::redo(self),
                Command::ExportUnderserved {
                    path,
                    decimal_comma,
                } => match export_ui::underserved_table(&self.ws, &self.analysis) {
                    Ok(list) => {
                        let options = export_ui::data_options(decimal_comma, false);
                        let privacy = self.ws.file.map.privacy.clone();
                        self.start_export(
                            format!("Export des zones sous-desservies {}", path.display()),
                            move || {
                                export_ui::export_underserved_file(&list, &privacy, &path, &options)
                            },
                            ctx,
                        );
                    }
                    Err(e) => {
                        self.ui_state.dialog =
                            dialogs::Dialog::Error(format!("Export impossible : {e}"))
                    }
                },
            }
        }
        if reclassify {
            self.recompute_choropleth();
        }
        self.ws.sync_file();
    }

    fn shortcuts(&mut self, ctx: &egui::Context) {
        use egui::{Key, KeyboardShortcut, Modifiers};
        let open = KeyboardShortcut::new(Modifiers::COMMAND, Key::O);
        let table = KeyboardShortcut::new(Modifiers::COMMAND, Key::T);
        let save = KeyboardShortcut::new(Modifiers::COMMAND, Key::S);
        let find = KeyboardShortcut::new(Modifiers::COMMAND, Key::F);
        if ctx.input_mut(|i| i.consume_shortcut(&find)) {
            self.ui_state.search.focus = true;
        }
        // Undo and redo; a focused text field keeps Ctrl+Z for its own text.
        if !ctx.text_edit_focused() {
            let redo_z = KeyboardShortcut::new(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
            let redo_y = KeyboardShortcut::new(Modifiers::COMMAND, Key::Y);
            let undo = KeyboardShortcut::new(Modifiers::COMMAND, Key::Z);
            // Ctrl+Maj+Z first: Ctrl+Z would also match it.
            if ctx.input_mut(|i| i.consume_shortcut(&redo_z) || i.consume_shortcut(&redo_y)) {
                self.send(Command::Redo);
            } else if ctx.input_mut(|i| i.consume_shortcut(&undo)) {
                self.send(Command::Undo);
            }
        }
        let (save, open, table, home, escape) = ctx.input_mut(|i| {
            (
                i.consume_shortcut(&save),
                i.consume_shortcut(&open),
                i.consume_shortcut(&table),
                i.consume_key(Modifiers::NONE, Key::Home),
                i.consume_key(Modifiers::NONE, Key::Escape),
            )
        });
        if open {
            self.ui_state.dialog = dialogs::Dialog::open_file(dialogs::Purpose::Open);
        }
        if save {
            self.send(Command::Save);
        }
        if table {
            self.ui_state.table.visible = !self.ui_state.table.visible;
        }
        if home {
            self.send(Command::FrameAll);
        }
        if escape {
            // Whatever has the focus: the selection (zone and point) is cleared.
            self.send(Command::SelectZone {
                target: None,
                frame: false,
            });
            self.send(Command::SelectPoint(None));
            self.ui_state.search.text.clear();
        }
        // Files dropped on the window are opened (projects) or added (data files).
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        for path in dropped {
            let project = path.to_string_lossy().ends_with(".cartosol.json");
            self.send(if project {
                Command::Open(path)
            } else {
                Command::AddFile(path)
            });
        }
    }

    fn map_ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        let mut out = MapOutput::default();
        // At most one of the two is on (the most recently chosen, see `diagnostic`).
        let fill_override = self
            .diagnostic
            .fill_override()
            .or_else(|| self.analysis.fill_override());
        let analysis = &self.analysis;
        let siting = &self.siting;
        let schemes = &self.schemes;
        let ws = &self.ws;
        let overlay = move |view: &map_view::View,
                            shapes: &mut Vec<egui::Shape>,
                            texts: &mut Vec<map_view::TextItem>| {
            analysis.overlay(ws, view, shapes, texts);
            siting.overlay(ws, view, shapes, texts);
            schemes.overlay(ws, view, shapes, texts);
        };
        let generation =
            choropleth::fill_generation(self.choropleth.as_ref(), fill_override.as_deref());
        let layers = MapLayers {
            ws: &self.ws,
            generation,
            choropleth: self.choropleth.as_ref(),
            selected_zone: self.selected_zone,
            selected_point: self.selected_point,
            hatch: self.hatch.id(),
            fill_override: fill_override.as_deref(),
            overlay: &overlay,
            out: &mut out,
        };
        // A pale background where no tile is drawn (no basemap, offline, tiles loading).
        ui.painter().rect_filled(ui.max_rect(), 0.0, {
            let [r, g, b] = crate::style::map_style::MAP_BACKGROUND;
            egui::Color32::from_rgb(r, g, b)
        });
        let tiles = self.basemap.tiles.as_deref_mut();
        let map = walkers::Map::new(
            tiles.map(|t| t as &mut dyn walkers::Tiles),
            &mut self.map_memory,
            walkers::lon_lat(2.25, 48.52),
        )
        .with_plugin(layers)
        .double_click_to_zoom(true);
        let response = ui.add(map);
        if self.analysis.computing() {
            coverage_cache::computing_banner(ui, response.rect);
        }
        if let Some(attribution) = &self.basemap.attribution {
            let rect = response.rect;
            ui.painter().text(
                rect.right_bottom() + egui::vec2(-6.0, -4.0),
                egui::Align2::RIGHT_BOTTOM,
                attribution,
                egui::FontId::proportional(11.0),
                egui::Color32::from_rgb(40, 40, 40),
            );
        }
        if self.analysis.tool != Tool::Select {
            if let Some(at) = out.clicked_at {
                match self.analysis.tool {
                    Tool::Proximity => commands.push(Command::ProbeAt(at)),
                    Tool::Measure => commands.push(Command::AddMeasurePoint(at)),
                    Tool::Select => {}
                }
            }
        } else if let Some(hit) = out.clicked.clone() {
            match hit {
                Hit::Zone { layer, zone } => commands.push(Command::SelectZone {
                    target: Some((layer, zone)),
                    frame: false,
                }),
                Hit::Point { layer, point } => {
                    commands.push(Command::SelectPoint(Some((layer, point))))
                }
            }
        } else if out.clicked_at.is_some() {
            commands.push(Command::SelectZone {
                target: None,
                frame: false,
            });
        }
        // The hover text follows the pointer on the map only: it goes when the pointer leaves.
        if response.contains_pointer()
            && let Some(hit) = &out.hovered
        {
            let text = panels::hover_text(self, hit);
            if !text.is_empty() {
                egui::Tooltip::always_open(
                    ui.ctx().clone(),
                    ui.layer_id(),
                    egui::Id::unique("cartosol-survol"),
                    egui::PopupAnchor::Pointer,
                )
                .show(|ui| {
                    ui.label(text);
                });
            }
        }
        panels::legend_ui(self, ui, response.rect);
        self.map_out = out;
    }
}

impl eframe::App for CartoSolApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        self.poll_job();
        self.poll_export();
        presentation::keys(self, &ctx);
        self.shortcuts(&ctx);
        let now = ctx.input(|i| i.time);
        if now - self.last_autosave > export_ui::AUTOSAVE_SECONDS && self.job.is_none() {
            self.last_autosave = now;
            let view = self.current_view();
            if let Err(e) =
                export_ui::autosave(&mut self.ws, view, &self.data_dir, &mut self.autosave_marks)
            {
                self.status = format!("Sauvegarde automatique impossible : {e}");
            }
        }
        {
            let repaint = ctx.clone();
            self.analysis
                .sync(&self.ws, move || repaint.request_repaint());
        }
        self.diagnostic.sync(&self.ws);
        self.siting.sync();
        {
            let repaint = ctx.clone();
            if let Some(c) = self
                .schemes
                .sync(&self.ws, move || repaint.request_repaint())
            {
                self.send(Command::Schemes(c));
            }
        }
        if let Some(c) = self.t0.sync(&self.ws) {
            self.send(Command::T0(c));
        }
        t0::upload_textures(&mut self.t0, &ctx);
        // Panels and dialogs read the app and push commands; their widget state is lent to them.
        let mut state = std::mem::take(&mut self.ui_state);
        let mut commands = Vec::new();
        if self.presentation.on {
            // Committee mode: no editing panel, only the map and what the committee reads.
            presentation::presentation_ui(self, &mut commands, ui);
        } else {
            panels::top_bar(self, &mut state, &mut commands, ui);
            panels::status_bar(self, &mut commands, ui);
            panels::table_panel(self, &mut state, &mut commands, ui);
            panels::layers_panel(self, &mut state, &mut commands, ui);
            panels::selection_panel(self, &mut commands, ui);
            egui::CentralPanel::default()
                .frame(egui::Frame::NONE)
                .show(ui, |ui| self.map_ui(ui, &mut commands));
            if welcome::due(self) && matches!(state.dialog, dialogs::Dialog::None) {
                welcome::welcome_ui(self, &mut state, &mut commands, &ctx);
            }
            diagnostic::diagnostic_window(self, &mut commands, &ctx);
            siting::siting_window(self, &mut commands, &ctx);
            schemes::schemes_window(self, &mut commands, &ctx);
            t0::t0_window(self, &mut commands, &ctx);
            proposals::proposals_window(self, &mut commands, &ctx);
            panels::views::views_window(self, &mut state.views, &mut commands, &ctx);
        }
        // Errors and reports show in both layouts.
        dialogs::dialog_ui(self, &mut state, &mut commands, &ctx);
        self.ui_state = state;
        self.pending.extend(commands);
        if self.frame_on_next && self.map_out.view.is_some() {
            self.frame_on_next = false;
            self.frame_all();
        }
        // Framed again in the map as it is drawn now (see `pending_frame`), before this frame's
        // commands may ask for another.
        if let Some((b, left)) = self.pending_frame.take() {
            self.frame_box(b);
            ctx.request_repaint();
            if left > 1 {
                self.pending_frame = Some((b, left - 1));
            }
        }
        self.apply(&ctx);
        history::track(self, &ctx);
        if self.job.is_some()
            || self.export_job.is_some()
            || self.analysis.computing()
            || self.diagnostic.computing()
            || self.t0.computing()
            || self.schemes.computing()
        {
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
    }
}

/// Opens the app window on a project or data file.
pub fn run(path: Option<PathBuf>) -> anyhow::Result<()> {
    crate::memory::keep_freed_memory();
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("CartoSol — diagnostic territorial")
            .with_inner_size([1400.0, 900.0])
            .with_drag_and_drop(true),
        ..Default::default()
    };
    let open = path.or_else(|| crate::bundled::find_sample_project().ok());
    eframe::run_native(
        "CartoSol",
        options,
        Box::new(move |cc| {
            Ok(Box::new(CartoSolApp::new(
                &cc.egui_ctx,
                AppOptions {
                    open,
                    ..AppOptions::default()
                },
            )))
        }),
    )
    .map_err(|e| anyhow::anyhow!("fenêtre impossible à ouvrir ({e})"))
}
