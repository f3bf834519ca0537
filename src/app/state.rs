//! What the app shows: the project's layers prepared for drawing, their order and styles, the
//! choropleth and the selection. Built off the UI thread; the UI reads it every frame.

use super::geometry::{ZoneGeometry, mercator_unit};
use super::mesh_cache::MeshCache;
use crate::aggregate::Method;
use crate::join::JoinReport;
use crate::model::{PointLayer, ZoneLayer};
use crate::project::{LayerStyle, PointSpec, ProjectFile, Stage, TableSpec, ZoneSpec};
use crate::style::map_style::{PointLayerInput, resolve_point_layers};
use crate::value::{Missing, Value, ValueRef};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One theme of a point layer (a value of its theme field), styled by the shared map style.
pub use crate::style::map_style::ThemeStyle as Theme;

/// A zone layer prepared for drawing.
pub struct ZoneLayerView {
    /// The layer as declared in the project (id, name, source, code and name fields).
    pub spec: ZoneSpec,
    /// The zones read from the source, with the columns of the tables joined to them.
    pub layer: ZoneLayer,
    /// The zones prepared for drawing and hit tests (shared with background jobs).
    pub geometry: Arc<ZoneGeometry>,
    /// Visibility, opacity (0–1) and user label of the layer.
    pub style: LayerStyle,
    /// Fill meshes kept between frames (see [`MeshCache`]).
    pub cache: std::cell::RefCell<MeshCache>,
    /// When the layer is a 200 m grid: its cells, drawn as a raster-like texture instead of
    /// polygons (see [`super::grid_layer`]).
    pub grid: Option<super::grid_layer::GridView>,
}

impl ZoneLayerView {
    /// The name of zone `i` (from the layer's name field).
    pub fn zone_name(&self, i: usize) -> String {
        self.layer
            .attributes
            .field(&self.spec.name_field)
            .and_then(|f| f.values.get(i))
            .map(|v| v.to_string())
            .unwrap_or_default()
    }

    /// The code of zone `i`.
    pub fn zone_code(&self, i: usize) -> String {
        self.layer
            .attributes
            .field(&self.spec.code_field)
            .and_then(|f| f.values.get(i))
            .map(|v| v.to_string())
            .unwrap_or_default()
    }
}

/// A point layer prepared for drawing.
pub struct PointLayerView {
    /// The layer as declared in the project (id, name, source, theme field).
    pub spec: PointSpec,
    /// The points read from the source: WGS84 positions and attributes.
    pub layer: PointLayer,
    /// Mercator position of each point (none without coordinates).
    pub merc: Vec<Option<[f64; 2]>>,
    /// Theme index of each point.
    pub theme_of: Vec<usize>,
    /// The layer's themes (values of its theme field) with colour, symbol and visibility.
    pub themes: Vec<Theme>,
    /// Visibility, opacity (0–1) and user label of the layer.
    pub style: LayerStyle,
    /// For each zone layer (by index), the zone each point falls in.
    pub zone_of: Vec<Vec<Option<usize>>>,
}

impl PointLayerView {
    /// The display name of point `i` (`nom` field, else its row number).
    pub fn point_name(&self, i: usize) -> String {
        self.layer
            .attributes
            .find_field(&["nom", "NOM", "name", "libelle"])
            .and_then(|f| f.values.get(i))
            .map(|v| v.to_string())
            .unwrap_or_else(|| format!("point {}", i + 1))
    }
}

/// A layer of the project, zones or points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LayerRef {
    /// Index in the workspace's `zones`.
    Zones(usize),
    /// Index in the workspace's `points`.
    Points(usize),
}

/// The département reference values of a zone layer's indicators.
#[derive(Clone, Debug, Default)]
pub struct Reference {
    /// Value over all zones of the layer, by indicator (field name).
    pub values: BTreeMap<String, Value>,
    /// How each indicator was aggregated (sum, ratio of sums, weighted mean…), by field name.
    pub methods: BTreeMap<String, Method>,
}

/// Everything the app shows.
pub struct Workspace {
    /// The project file, when the workspace comes from one.
    pub path: Option<PathBuf>,
    /// The project as it will be saved (layers, tables, map settings, views).
    pub file: ProjectFile,
    /// The zone layers, in the project's order.
    pub zones: Vec<ZoneLayerView>,
    /// The point layers, in the project's order.
    pub points: Vec<PointLayerView>,
    /// Drawing order, top first.
    pub order: Vec<LayerRef>,
    /// Each table joined to a zone layer, with its join report (matched, unmatched keys…).
    pub joins: Vec<(TableSpec, JoinReport)>,
    /// Reference (département) values per zone layer.
    pub references: Vec<Reference>,
}

/// Shared progress of a background job: `done` of `total` steps and what is being done.
#[derive(Default)]
pub struct Progress {
    /// The step starting (0-based), that is the number of steps done.
    pub step: std::sync::atomic::AtomicUsize,
    /// The number of steps.
    pub total: std::sync::atomic::AtomicUsize,
    /// What the current step does, in French (« préparation des géométries »).
    pub label: std::sync::Mutex<String>,
    /// Set by the UI to ask the job to stop at its next step.
    pub cancel: std::sync::atomic::AtomicBool,
}

impl Progress {
    /// Records that step `step` of `total` starts, doing `label`. Errors when cancelled.
    pub fn at(&self, step: usize, total: usize, label: &str) -> Result<(), String> {
        use std::sync::atomic::Ordering;
        if self.cancel.load(Ordering::Relaxed) {
            return Err("chargement annulé".to_owned());
        }
        self.step.store(step, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
        if let Ok(mut l) = self.label.lock() {
            *l = label.to_owned();
        }
        Ok(())
    }

    /// The fraction done (0–1).
    pub fn fraction(&self) -> f32 {
        use std::sync::atomic::Ordering;
        let total = self.total.load(Ordering::Relaxed).max(1);
        self.step.load(Ordering::Relaxed) as f32 / total as f32
    }
}

/// The layer's style in the project file (shown, opaque, not renamed when absent).
pub(super) fn default_style(id: &str, file: &ProjectFile) -> LayerStyle {
    file.map
        .layers
        .iter()
        .find(|l| l.id == id)
        .cloned()
        .unwrap_or(LayerStyle {
            id: id.to_owned(),
            visible: true,
            opacity: 1.0,
            label: None,
        })
}

/// Prepares a zone layer for drawing.
///
/// A 200 m grid is its own kind of layer: its cells are drawn as a texture; its polygons are
/// prepared (for hit tests, selection and framing) only up to [`GRID_POLYGONS_MAX`] cells.
pub fn zone_view(spec: ZoneSpec, layer: ZoneLayer, file: &ProjectFile) -> ZoneLayerView {
    let grid = super::grid_layer::GridView::of_layer(&layer);
    let geometry = if grid.is_some() && layer.len() > GRID_POLYGONS_MAX {
        Arc::new(ZoneGeometry::prepare(&[]))
    } else {
        Arc::new(ZoneGeometry::prepare(&layer.geometries))
    };
    let style = default_style(&spec.id, file);
    ZoneLayerView {
        spec,
        layer,
        geometry,
        style,
        cache: Default::default(),
        grid,
    }
}

/// The number of cells up to which a grid layer's polygons are prepared too.
pub const GRID_POLYGONS_MAX: usize = 200_000;

/// Whether each point of a layer has a position.
fn positioned(layer: &PointLayer) -> Vec<bool> {
    layer.positions.iter().map(Option::is_some).collect()
}

/// A point layer as the shared map style sees it.
fn point_input<'a>(
    spec: &'a PointSpec,
    layer: &'a PointLayer,
    positioned: &'a [bool],
) -> PointLayerInput<'a> {
    PointLayerInput {
        id: &spec.id,
        name: &spec.name,
        theme_field: spec.theme_field.as_deref(),
        attributes: &layer.attributes,
        positioned,
    }
}

/// Resolves the themes (colour, symbol) of point layers with the shared map style, numbered
/// across the layers as the exports number them; a theme keeps the visibility it has on screen,
/// else `hidden` (the project's hidden themes) decides; `choices` are the user's symbols (the
/// project's `point_styles`).
pub fn style_point_views(
    views: &mut [PointLayerView],
    hidden: &[String],
    choices: &[crate::style::spec::ThemeStyleSpec],
) {
    let positioned: Vec<Vec<bool>> = views.iter().map(|p| positioned(&p.layer)).collect();
    let inputs: Vec<PointLayerInput<'_>> = views
        .iter()
        .zip(&positioned)
        .map(|(p, pos)| point_input(&p.spec, &p.layer, pos))
        .collect();
    let styles = resolve_point_layers(&inputs, hidden, choices);
    for (p, style) in views.iter_mut().zip(styles) {
        let mut themes = style.themes;
        for t in &mut themes {
            if let Some(old) = p.themes.iter().find(|o| o.name == t.name) {
                t.visible = old.visible;
            }
        }
        p.themes = themes;
        p.theme_of = style.theme_of;
    }
}

/// Prepares a point layer for drawing and assigns its points to the zones of `zones`.
pub fn point_view(
    spec: PointSpec,
    layer: PointLayer,
    file: &ProjectFile,
    zones: &[ZoneLayerView],
) -> PointLayerView {
    let geometries: Vec<Arc<ZoneGeometry>> = zones.iter().map(|z| z.geometry.clone()).collect();
    let communes =
        communes_layer(zones).map(|z| (&z.layer, z.spec.name.as_str(), z.spec.code_field.as_str()));
    placed_point_view(spec, layer, file, &geometries, communes)
}

/// Prepares a point layer for drawing: its points placed in each zone layer's prepared
/// geometry (`zone_geometries`, in the workspace's order) and checked against the communes
/// layer `communes` (layer, name, code field) when there is one.
fn placed_point_view(
    spec: PointSpec,
    mut layer: PointLayer,
    file: &ProjectFile,
    zone_geometries: &[Arc<ZoneGeometry>],
    communes: Option<(&ZoneLayer, &str, &str)>,
) -> PointLayerView {
    if let Some((communes, name, code_field)) = communes {
        point_sanity_problems(&mut layer, communes, name, code_field);
    }
    let merc: Vec<Option<[f64; 2]>> = layer
        .positions
        .iter()
        .map(|p| p.map(|p| mercator_unit(p.x(), p.y())))
        .collect();
    let zone_of = zone_geometries
        .iter()
        .map(|g| {
            layer
                .positions
                .iter()
                .map(|p| p.and_then(|p| g.zone_at(p.x(), p.y())))
                .collect()
        })
        .collect();
    let style = default_style(&spec.id, file);
    PointLayerView {
        spec,
        layer,
        merc,
        // Themes (colours, symbols) are resolved over all point layers at once by
        // `style_point_views`, which `Workspace::finish` calls.
        theme_of: Vec::new(),
        themes: Vec::new(),
        style,
        zone_of,
    }
}

/// Whether a zone layer's code field holds commune codes (read on its first 200 zones).
fn holds_commune_codes(layer: &ZoneLayer, code_field: &str) -> bool {
    layer.attributes.field(code_field).is_some_and(|f| {
        let texts: Vec<String> = f.values.iter().take(200).map(|v| v.to_string()).collect();
        crate::codes::kind_from_values(texts.iter().map(String::as_str))
            == crate::codes::CodeKind::Commune
    })
}

/// The communes layer of the points' checks: the first zone layer whose code field holds
/// commune codes.
fn communes_layer(zones: &[ZoneLayerView]) -> Option<&ZoneLayerView> {
    zones
        .iter()
        .find(|z| holds_commune_codes(&z.layer, &z.spec.code_field))
}

/// Adds to the layer's problems the points outside the communes of the project or far from
/// their declared commune (the checks of `cartosol inspect --zones` and `coverage`), rows
/// listed. `communes` is the communes layer, `name` its name, `code_field` its code field.
fn point_sanity_problems(
    layer: &mut PointLayer,
    communes: &ZoneLayer,
    name: &str,
    code_field: &str,
) {
    if let Ok(report) = crate::analysis::quality_report(layer, communes, None, Some(code_field)) {
        let territory = format!("la couche « {name} »");
        layer.source.problems.extend(report.problems(&territory));
    }
}

/// Reference values of every numeric indicator over all zones of a layer (the département when
/// the layer covers it), with the same rules as aggregation and the atlas
/// (`aggregate::territory_figures`): counts summed, the project's declared ratios recomputed as
/// ratios of sums, other rates detected or population-weighted.
pub fn reference_values(view: &ZoneLayerView, file: &ProjectFile) -> Reference {
    let weight = view
        .spec
        .population_field
        .as_deref()
        .filter(|w| view.layer.attributes.field(w).is_some());
    let rules = crate::project::ratio_rules(file, &view.spec.id);
    match crate::aggregate::territory_figures(&view.layer.attributes, weight, &rules) {
        Ok(agg) => Reference {
            values: agg
                .table
                .fields
                .iter()
                .skip(2)
                .map(|f| {
                    (
                        f.name.clone(),
                        f.values
                            .first()
                            .map(ValueRef::to_value)
                            .unwrap_or(Value::Missing(Missing::Empty)),
                    )
                })
                .collect(),
            methods: agg.methods.into_iter().collect(),
        },
        Err(_) => Reference::default(),
    }
}

/// Whether `path` names a project file (or its autosave) rather than a data file.
pub fn is_project_path(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".cartosol.json") || n.ends_with(".cartosol.json.autosave"))
}

/// A step of a project opening in the background ([`Workspace::load_staged`]), its layer
/// prepared for drawing: the project file, then each zone layer in the project's order, then
/// each point layer, then the completed dictionary.
pub enum LoadStep {
    /// The project file, read and checked: the workspace starts with it and no layer.
    Begin {
        /// The project file's path.
        path: PathBuf,
        /// The project as read (its layers come next).
        file: Box<ProjectFile>,
    },
    /// A zone layer, with its joins' reports and its reference values.
    Zones {
        /// The layer prepared for drawing.
        view: Box<ZoneLayerView>,
        /// The report of each join to it.
        joins: Vec<(TableSpec, JoinReport)>,
        /// Its reference (département) values.
        reference: Reference,
    },
    /// A point layer, placed in the zone layers.
    Points(Box<PointLayerView>),
    /// Every layer is in: the dictionary completed by the workbooks' definitions sheets.
    Done {
        /// The completed dictionary.
        dictionary: Vec<crate::dictionary::IndicatorDef>,
    },
}

impl LoadStep {
    /// What the step brings, in French, for tests and logs (« couche de zones communes »).
    pub fn describe(&self) -> String {
        match self {
            LoadStep::Begin { .. } => "projet".to_owned(),
            LoadStep::Zones { view, .. } => format!("couche de zones {}", view.spec.id),
            LoadStep::Points(view) => format!("couche de points {}", view.spec.id),
            LoadStep::Done { .. } => "terminé".to_owned(),
        }
    }
}

/// A copy of a zone layer's outlines and code field only (what the points' checks read).
fn slim_zones(layer: &ZoneLayer, code_field: &str) -> ZoneLayer {
    ZoneLayer {
        source: layer.source.clone(),
        geometries: layer.geometries.clone(),
        attributes: crate::model::Table {
            fields: layer
                .attributes
                .field(code_field)
                .cloned()
                .into_iter()
                .collect(),
            row_origin: layer.attributes.row_origin.clone(),
        },
    }
}

impl Workspace {
    /// An empty workspace.
    pub fn empty() -> Workspace {
        Workspace {
            path: None,
            file: ProjectFile {
                cartosol: crate::project::SCHEMA_VERSION,
                title: "Nouveau projet".to_owned(),
                sources_note: String::new(),
                zones: Vec::new(),
                tables: Vec::new(),
                points: Vec::new(),
                map: Default::default(),
                views: Vec::new(),
                dictionary: Vec::new(),
                t0: None,
                siting: Vec::new(),
                schemes: None,
                proposals: Vec::new(),
                diagnostic: Default::default(),
            },
            zones: Vec::new(),
            points: Vec::new(),
            order: Vec::new(),
            joins: Vec::new(),
            references: Vec::new(),
        }
    }

    /// Opens a project file, or a single data file (zones or points) as a new project.
    pub fn load(path: &Path, progress: &Progress) -> Result<Workspace, String> {
        if is_project_path(path) {
            let mut ws = Workspace::empty();
            Workspace::load_staged(path, progress, |step| {
                ws.apply_step(step);
                true
            })?;
            return Ok(ws);
        }
        let mut ws = Workspace::empty();
        ws.add_file(path, progress)?;
        ws.file.title = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(ws)
    }

    /// Opens a project file layer by layer ([`crate::project::open_project_staged`]): each
    /// layer is prepared for drawing here (off the UI thread) and handed to `on_step` as soon
    /// as it is ready, in the order of [`LoadStep`]; [`Workspace::apply_step`] puts it in a
    /// workspace. `on_step` returns whether to go on (`false`: the opening stops, as when
    /// `progress` is cancelled). Errors are the French messages shown to the user.
    pub fn load_staged(
        path: &Path,
        progress: &Progress,
        mut on_step: impl FnMut(LoadStep) -> bool,
    ) -> Result<(), String> {
        use std::ops::ControlFlow;
        progress.at(0, 1, "lecture du projet")?;
        let mut file: Option<ProjectFile> = None;
        let mut total = 1usize;
        let mut done = 0usize;
        // What the point layers need from the zone layers loaded before them: each layer's
        // prepared geometry, and the communes layer of the points' checks (its outlines and
        // code field only: the layer itself has been handed over).
        let mut geometries: Vec<Arc<ZoneGeometry>> = Vec::new();
        let mut communes: Option<(ZoneLayer, String, String)> = None;
        let mut cancelled = false;
        let mut stopped = false;
        let mut first_points = true;
        let label =
            |done: usize, total: usize| format!("Ouverture : {done} couche(s) sur {total}…");
        crate::project::open_project_staged(path, |stage| {
            if progress.at(done, total, &label(done, total)).is_err() {
                cancelled = true;
                return ControlFlow::Break(());
            }
            let step = match stage {
                Stage::File(f) => {
                    total = (f.zones.len() + f.points.len()).max(1);
                    let _ = progress.at(0, total, &label(0, total));
                    file = Some((*f).clone());
                    LoadStep::Begin {
                        path: path.to_owned(),
                        file: f,
                    }
                }
                Stage::Zones {
                    spec, layer, joins, ..
                } => {
                    let Some(file) = file.as_ref() else {
                        return ControlFlow::Break(());
                    };
                    let has_points = !file.points.is_empty();
                    if has_points
                        && communes.is_none()
                        && holds_commune_codes(&layer, &spec.code_field)
                    {
                        communes = Some((
                            slim_zones(&layer, &spec.code_field),
                            spec.name.clone(),
                            spec.code_field.clone(),
                        ));
                    }
                    let view = zone_view(spec, layer, file);
                    if has_points {
                        geometries.push(view.geometry.clone());
                    }
                    let reference = reference_values(&view, file);
                    done += 1;
                    LoadStep::Zones {
                        view: Box::new(view),
                        joins,
                        reference,
                    }
                }
                Stage::Points { spec, layer, .. } => {
                    let Some(file) = file.as_ref() else {
                        return ControlFlow::Break(());
                    };
                    let mut view = placed_point_view(
                        spec,
                        layer,
                        file,
                        &geometries,
                        communes
                            .as_ref()
                            .map(|(l, n, c)| (l, n.as_str(), c.as_str())),
                    );
                    // The first point layer's themes are resolved here, off the UI thread (as
                    // the workspace would resolve them over that one layer); the themes of
                    // later layers are numbered across layers when they come.
                    if first_points {
                        first_points = false;
                        style_point_views(
                            std::slice::from_mut(&mut view),
                            &file.map.hidden_themes,
                            &file.map.point_styles,
                        );
                    }
                    done += 1;
                    LoadStep::Points(Box::new(view))
                }
                Stage::Done { dictionary } => {
                    done = total;
                    LoadStep::Done { dictionary }
                }
            };
            if !on_step(step) {
                stopped = true;
                return ControlFlow::Break(());
            }
            let _ = progress.at(done, total, &label(done, total));
            ControlFlow::Continue(())
        })
        .map_err(|e| e.to_string())?;
        if cancelled || stopped {
            return Err("chargement annulé".to_owned());
        }
        progress.at(total, total, "terminé")?;
        Ok(())
    }

    /// Puts one step of a staged opening in the workspace: [`LoadStep::Begin`] replaces it
    /// with the project's (no layer yet), the layers are added as they come, in the
    /// project's order, [`LoadStep::Done`] completes the dictionary.
    pub fn apply_step(&mut self, step: LoadStep) {
        match step {
            LoadStep::Begin { path, file } => {
                *self = Workspace::empty();
                self.path = Some(path);
                self.file = *file;
            }
            LoadStep::Zones {
                view,
                joins,
                reference,
            } => {
                self.zones.push(*view);
                self.references.push(reference);
                self.joins.extend(joins);
                let tables = &self.file.tables;
                self.joins
                    .sort_by_key(|(t, _)| tables.iter().position(|s| s.id == t.id));
                self.arrange(true);
            }
            LoadStep::Points(view) => {
                self.points.push(*view);
                // A first point layer comes with its themes resolved (by the same function,
                // over that one layer): nothing to redo over a million points here.
                self.arrange(self.points.len() > 1);
            }
            LoadStep::Done { dictionary } => {
                self.file.dictionary = dictionary;
                if self.references.len() != self.zones.len() {
                    self.finish();
                }
            }
        }
    }

    /// Whether every layer of the project file is in the workspace (not so while a project
    /// opens, layer by layer).
    pub fn complete(&self) -> bool {
        self.zones.len() >= self.file.zones.len() && self.points.len() >= self.file.points.len()
    }

    /// Adds a zone or point file to the workspace.
    pub fn add_file(&mut self, path: &Path, progress: &Progress) -> Result<(), String> {
        use crate::inspect::{ContentKind, content_kind};
        progress.at(0, 2, "lecture du fichier")?;
        let id = unique_id(
            &path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "couche".to_owned()),
            self,
        );
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| id.clone());
        // Absolute, so that saving the project can write it relative to the project's folder.
        let source = path.canonicalize().unwrap_or_else(|_| path.to_owned());
        match content_kind(path).map_err(|e| e.to_string())? {
            ContentKind::Zones => {
                let layer = crate::grid::load_zones_or_grid(path, &Default::default())
                    .map_err(|e| e.to_string())?;
                let code_field =
                    crate::join::guess_code_field(&layer.attributes).unwrap_or_default();
                let name_field = layer
                    .attributes
                    .find_field(&["NOM", "nom", "nom_officiel", "LIBGEO", "name", "libelle"])
                    .map(|f| f.name.clone())
                    .unwrap_or_else(|| code_field.clone());
                let population_field = layer
                    .attributes
                    .find_field(&["POPULATION", "population", "POPULATION_91", "PMUN", "POP"])
                    .map(|f| f.name.clone());
                let spec = ZoneSpec {
                    id,
                    name,
                    source: source.clone(),
                    layer: None,
                    crs: None,
                    code_field,
                    name_field,
                    population_field,
                    repair_geometries: false,
                };
                progress.at(1, 2, "préparation des géométries")?;
                self.file.zones.push(spec.clone());
                let view = zone_view(spec, layer, &self.file);
                if self.file.map.zones.is_empty() {
                    self.file.map.zones = view.spec.id.clone();
                }
                self.zones.push(view);
            }
            ContentKind::Points | ContentKind::Table => {
                let layer = crate::points::load_points(path, &Default::default())
                    .map_err(|e| e.to_string())?;
                let spec = PointSpec {
                    id,
                    name,
                    source,
                    theme_field: None,
                    crs: None,
                    options: Default::default(),
                };
                progress.at(1, 2, "placement des points")?;
                self.file.points.push(spec.clone());
                let view = point_view(spec, layer, &self.file, &self.zones);
                self.points.push(view);
            }
        }
        self.finish();
        Ok(())
    }

    /// Recomputes what derives from the layers: order and reference values.
    pub fn finish(&mut self) {
        self.arrange(true);
        self.references = self
            .zones
            .iter()
            .map(|z| reference_values(z, &self.file))
            .collect();
    }

    /// Recomputes the drawing order, the points' themes (with `restyle`) and the points' zones
    /// in zone layers new to them (what [`Workspace::finish`] does but the reference values).
    fn arrange(&mut self, restyle: bool) {
        let mut order: Vec<LayerRef> = Vec::new();
        // Saved order first, then the remaining layers: points above zones.
        for style in &self.file.map.layers {
            if let Some(i) = self.points.iter().position(|p| p.spec.id == style.id) {
                order.push(LayerRef::Points(i));
            } else if let Some(i) = self.zones.iter().position(|z| z.spec.id == style.id) {
                order.push(LayerRef::Zones(i));
            }
        }
        for i in 0..self.points.len() {
            if !order.contains(&LayerRef::Points(i)) {
                order.push(LayerRef::Points(i));
            }
        }
        // Outline layers above the choropleth layer, which lies at the bottom.
        let choropleth = self.choropleth_layer();
        for i in (0..self.zones.len()).filter(|i| Some(*i) != choropleth) {
            if !order.contains(&LayerRef::Zones(i)) {
                order.push(LayerRef::Zones(i));
            }
        }
        if let Some(i) = choropleth
            && !order.contains(&LayerRef::Zones(i))
        {
            order.push(LayerRef::Zones(i));
        }
        self.order = order;
        if restyle {
            self.restyle_points();
        }
        // Zone membership of points for every zone layer (new layers included).
        for p in &mut self.points {
            if p.zone_of.len() != self.zones.len() {
                p.zone_of = self
                    .zones
                    .iter()
                    .map(|z| {
                        p.layer
                            .positions
                            .iter()
                            .map(|pos| pos.and_then(|pos| z.geometry.zone_at(pos.x(), pos.y())))
                            .collect()
                    })
                    .collect();
            }
        }
    }

    /// Resolves the themes (colour, symbol) of every point layer with the shared map style,
    /// numbered across layers as the exports number them; a theme keeps the visibility it has
    /// on screen, else the project's hidden themes decide.
    pub fn restyle_points(&mut self) {
        style_point_views(
            &mut self.points,
            &self.file.map.hidden_themes,
            &self.file.map.point_styles,
        );
    }

    /// The display name of a layer.
    pub fn layer_name(&self, layer: LayerRef) -> String {
        match layer {
            LayerRef::Zones(i) => self
                .zones
                .get(i)
                .map(|z| z.style.label.clone().unwrap_or_else(|| z.spec.name.clone())),
            LayerRef::Points(i) => self
                .points
                .get(i)
                .map(|p| p.style.label.clone().unwrap_or_else(|| p.spec.name.clone())),
        }
        .unwrap_or_default()
    }

    /// The number of problems met while reading every layer.
    pub fn problem_count(&self) -> usize {
        self.zones
            .iter()
            .map(|z| z.layer.source.problems.len())
            .chain(self.points.iter().map(|p| p.layer.source.problems.len()))
            .sum()
    }

    /// The properties of a layer as the analyst reads them (source, format, CRS found,
    /// encoding, count, then every problem met while reading it): a window's title and text.
    pub fn layer_report(&self, layer: LayerRef) -> (String, String) {
        let (source, count, what) = match layer {
            LayerRef::Zones(i) => match self.zones.get(i) {
                Some(z) => (&z.layer.source, z.layer.len(), "zones"),
                None => return (String::new(), String::new()),
            },
            LayerRef::Points(i) => match self.points.get(i) {
                Some(p) => (&p.layer.source, p.layer.len(), "points"),
                None => return (String::new(), String::new()),
            },
        };
        let mut text = format!(
            "Source : {}\nFormat : {}\n{count} {what}\n",
            source.path.display(),
            source.format
        );
        if let Some(layer) = &source.layer {
            text.push_str(&format!("Couche / feuille : {layer}\n"));
        }
        if let Some(crs) = &source.crs {
            text.push_str(&format!("Système de coordonnées : {crs}\n"));
        }
        if let Some(enc) = &source.encoding {
            text.push_str(&format!("Encodage : {enc}\n"));
        }
        if source.problems.is_empty() {
            text.push_str("Problèmes de lecture : aucun\n");
        } else {
            text.push_str(&format!(
                "Problèmes de lecture ({}) :\n",
                source.problems.len()
            ));
            for p in &source.problems {
                text.push_str(&format!("- {p}\n"));
            }
        }
        (format!("Propriétés de {}", self.layer_name(layer)), text)
    }

    /// The style of a layer.
    pub fn style_mut(&mut self, layer: LayerRef) -> Option<&mut LayerStyle> {
        match layer {
            LayerRef::Zones(i) => self.zones.get_mut(i).map(|z| &mut z.style),
            LayerRef::Points(i) => self.points.get_mut(i).map(|p| &mut p.style),
        }
    }

    /// The style of a layer.
    pub fn style(&self, layer: LayerRef) -> Option<&LayerStyle> {
        match layer {
            LayerRef::Zones(i) => self.zones.get(i).map(|z| &z.style),
            LayerRef::Points(i) => self.points.get(i).map(|p| &p.style),
        }
    }

    /// Removes a layer (and what refers to it).
    pub fn remove(&mut self, layer: LayerRef) {
        match layer {
            LayerRef::Zones(i) if i < self.zones.len() => {
                let id = self.zones.remove(i).spec.id;
                self.file.zones.retain(|z| z.id != id);
                self.file.tables.retain(|t| t.join_to != id);
                // The map never names a layer the project no longer has (checked at opening).
                if self.file.map.zones == id {
                    self.file.map.zones = self
                        .zones
                        .first()
                        .map(|z| z.spec.id.clone())
                        .unwrap_or_default();
                }
                for p in &mut self.points {
                    if i < p.zone_of.len() {
                        p.zone_of.remove(i);
                    }
                }
            }
            LayerRef::Points(i) if i < self.points.len() => {
                let id = self.points.remove(i).spec.id;
                self.file.points.retain(|p| p.id != id);
            }
            _ => return,
        }
        self.file.map.layers.retain(|l| {
            self.zones.iter().any(|z| z.spec.id == l.id)
                || self.points.iter().any(|p| p.spec.id == l.id)
        });
        self.finish();
    }

    /// Index of the zone layer of the choropleth.
    pub fn choropleth_layer(&self) -> Option<usize> {
        self.zones
            .iter()
            .position(|z| z.spec.id == self.file.map.zones)
            .or(if self.zones.is_empty() { None } else { Some(0) })
    }

    /// A fingerprint of the project as it would be saved, without the map's current view
    /// (moving the map is not a change to the project): equal fingerprints, same project.
    pub fn content_fingerprint(&mut self) -> u64 {
        use std::hash::{Hash, Hasher};
        self.sync_file();
        let mut file = self.file.clone();
        file.map.view = None;
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        match serde_json::to_vec(&file) {
            Ok(bytes) => bytes.hash(&mut hasher),
            // A path JSON cannot hold: the debug text still tells two states apart.
            Err(_) => format!("{file:?}").hash(&mut hasher),
        }
        hasher.finish()
    }

    /// Writes the app's state (order, styles) back into the project file description.
    pub fn sync_file(&mut self) {
        self.file.map.layers = self
            .order
            .iter()
            .filter_map(|l| self.style(*l).cloned())
            .collect();
        self.file.map.hidden_themes = self
            .points
            .iter()
            .flat_map(|p| {
                p.themes
                    .iter()
                    .filter(|t| !t.visible)
                    .map(|t| t.name.clone())
            })
            .collect();
    }
}

/// An identifier not used by any layer of `ws`: `base`, else `base_2`, `base_3`… (never empty:
/// an empty base becomes `couche`). Ends since a workspace holds finitely many layers.
fn unique_id(base: &str, ws: &Workspace) -> String {
    let taken = |id: &str| {
        ws.zones.iter().any(|z| z.spec.id == id) || ws.points.iter().any(|p| p.spec.id == id)
    };
    let base = if base.trim().is_empty() {
        "couche"
    } else {
        base
    };
    let mut id = base.to_owned();
    let mut n = 2usize;
    while taken(&id) {
        id = format!("{base}_{n}");
        n += 1;
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(id: &str) -> ZoneSpec {
        ZoneSpec {
            id: id.to_owned(),
            name: id.to_owned(),
            source: PathBuf::from("x.geojson"),
            layer: None,
            crs: None,
            code_field: "code".to_owned(),
            name_field: "nom".to_owned(),
            population_field: None,
            repair_geometries: false,
        }
    }

    #[test]
    fn unique_id_numbers_taken_ids_and_never_returns_an_empty_one() {
        let mut ws = Workspace::empty();
        assert_eq!(unique_id("communes", &ws), "communes");
        for id in ["communes", "communes_2"] {
            let view = zone_view(spec(id), ZoneLayer::default(), &ws.file);
            ws.zones.push(view);
        }
        assert_eq!(unique_id("communes", &ws), "communes_3");
        assert_eq!(unique_id("", &ws), "couche");
        assert_eq!(unique_id("  ", &ws), "couche");
    }
}
