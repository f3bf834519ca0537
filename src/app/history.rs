//! Undo and redo over every change to the project (issue 13): *Édition › Annuler / Rétablir*,
//! Ctrl+Z, Ctrl+Maj+Z and Ctrl+Y.
//!
//! A change is what the autosave counts as one: the project as it would be saved, without the
//! map's current view ([`Workspace::content_fingerprint`]); moving the map is no step. After
//! each frame the project's fingerprint is compared with the last step's; a difference becomes
//! a step once the user is done (no pointer button down, no text field focused), so a slider
//! dragged or a name typed is one step, not one per frame. A step keeps the project file before
//! the change (a few kilobytes) and a short French label of the change, found by comparing the
//! two files. At most [`MAX_STEPS`] steps are kept; opening another project clears them.
//!
//! Undoing rebuilds the workspace from the earlier project file without reading any source
//! file again. When the layers hold the same data on both sides (a classification, a style, a
//! name, a view changed), only the specs, styles and themes are put back: layers, meshes and
//! textures stay. Otherwise the loaded data of every layer is found by what it was read from
//! (a layer's id, source, sheet or layer, CRS and repair flag; for zone attributes, also the
//! tables joined to it). Each piece of loaded data exists once, either in the workspace or
//! here: a removed layer's data moves here ([`History::keep_removed`]), and what a change is
//! about to alter in place is copied here first: the attributes a join extends
//! ([`History::keep_attributes`]), the outlines a repair changes ([`History::keep_outlines`]).
//! Only data that no kept step refers to is dropped. Should some data be missing all the same
//! (a layer dropped by a path that does not call these hooks), the earlier project is read
//! again through the loading path ([`Workspace::load`]), on the UI thread.

use super::CartoSolApp;
use super::basemap::BasemapChoice;
use super::geometry::ZoneGeometry;
use super::grid_layer::{GridCells, GridView};
use super::state::{LayerRef, PointLayerView, Progress, Workspace, ZoneLayerView};
use crate::join::JoinReport;
use crate::model::{PointLayer, SourceInfo, Table, ZoneLayer};
use crate::project::{PointSpec, ProjectFile, TableSpec, ZoneSpec};
use geo::MultiPolygon;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

/// The number of steps kept (the oldest is forgotten past it).
pub const MAX_STEPS: usize = 100;

/// The project at one point of the history: its file without the current view.
#[derive(Clone)]
struct Snapshot {
    file: ProjectFile,
    fingerprint: u64,
}

/// A change: the project on the other side of it, and what it was, in French (« le retrait de
/// la couche « EPCI » »).
struct Step {
    snapshot: Snapshot,
    label: String,
}

/// The outlines of a zone layer not in the workspace, as read.
struct StoredZone {
    source: SourceInfo,
    geometries: Vec<MultiPolygon<f64>>,
    geometry: Arc<ZoneGeometry>,
    grid: Option<Arc<GridCells>>,
}

/// A point layer not in the workspace, as read and placed.
struct StoredPoints {
    layer: PointLayer,
    merc: Vec<Option<[f64; 2]>>,
    /// The zone of each point, by zone layer id.
    zone_of: HashMap<String, Vec<Option<usize>>>,
}

/// The undo and redo history of the open project, with the loaded data its steps need.
#[derive(Default)]
pub struct History {
    /// The project as it was at the last step (`None` until the first frame after opening).
    current: Option<Snapshot>,
    /// Steps to undo, the most recent last: the project before each change.
    undo: VecDeque<Step>,
    /// Steps to redo, the next one last: the project after each undone change.
    redo: Vec<Step>,
    /// Zone outlines not in the workspace, by [`zone_key`].
    zones: HashMap<String, StoredZone>,
    /// Zone attributes not in the workspace, by [`attributes_key`].
    attributes: HashMap<String, Table>,
    /// Point layers not in the workspace, by [`points_key`].
    points: HashMap<String, StoredPoints>,
    /// Join reports of the tables met, by table.
    reports: Vec<(TableSpec, JoinReport)>,
}

/// What a zone layer's outlines were read from.
fn zone_key(spec: &ZoneSpec) -> String {
    format!(
        "{:?}",
        (
            &spec.id,
            &spec.source,
            &spec.layer,
            &spec.crs,
            spec.repair_geometries
        )
    )
}

/// What a zone layer's attributes were made from: its outlines' source and the tables joined
/// to it, in order.
fn attributes_key(spec: &ZoneSpec, file: &ProjectFile) -> String {
    let tables: Vec<_> = file
        .tables
        .iter()
        .filter(|t| t.join_to == spec.id)
        .map(|t| (&t.id, &t.source, &t.options, &t.code_field, &t.code_kind))
        .collect();
    format!("{:?}", (zone_key(spec), tables))
}

/// What a point layer was read from.
fn points_key(spec: &PointSpec) -> String {
    format!("{:?}", (&spec.id, &spec.source, &spec.crs, &spec.options))
}

/// The project of `ws` as a step keeps it: without the current view.
fn snapshot(ws: &mut Workspace) -> Snapshot {
    let fingerprint = ws.content_fingerprint();
    let mut file = ws.file.clone();
    file.map.view = None;
    Snapshot { file, fingerprint }
}

impl History {
    /// The history of a project just opened: no step, the project as it is now.
    pub fn start(ws: &mut Workspace) -> History {
        History {
            current: Some(snapshot(ws)),
            ..History::default()
        }
    }

    /// Whether there is a change to undo.
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    /// Whether there is an undone change to redo.
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// What undoing would undo, in French (« le changement de classification »).
    pub fn undo_label(&self) -> Option<&str> {
        self.undo.back().map(|s| s.label.as_str())
    }

    /// What redoing would redo, in French.
    pub fn redo_label(&self) -> Option<&str> {
        self.redo.last().map(|s| s.label.as_str())
    }

    /// The number of steps to undo and to redo.
    pub fn len(&self) -> (usize, usize) {
        (self.undo.len(), self.redo.len())
    }

    /// Whether there is no step at all.
    pub fn is_empty(&self) -> bool {
        self.undo.is_empty() && self.redo.is_empty()
    }

    /// Before layer `layer` is removed from `ws`: moves its loaded data here (the workspace
    /// keeps an empty layer of the same spec, which the removal drops), so that undoing the
    /// removal brings it back without reading its source again.
    pub fn keep_removed(&mut self, ws: &mut Workspace, layer: LayerRef) {
        match layer {
            LayerRef::Zones(i) => {
                let Some(z) = ws.zones.get_mut(i) else {
                    return;
                };
                let key = attributes_key(&z.spec, &ws.file);
                let layer = std::mem::take(&mut z.layer);
                self.attributes.insert(key, layer.attributes);
                self.zones.insert(
                    zone_key(&z.spec),
                    StoredZone {
                        source: layer.source,
                        geometries: layer.geometries,
                        geometry: z.geometry.clone(),
                        grid: z.grid.take().map(|g| g.cells),
                    },
                );
            }
            LayerRef::Points(i) => {
                let zone_ids: Vec<String> = ws.zones.iter().map(|z| z.spec.id.clone()).collect();
                let Some(p) = ws.points.get_mut(i) else {
                    return;
                };
                self.points.insert(
                    points_key(&p.spec),
                    StoredPoints {
                        layer: std::mem::take(&mut p.layer),
                        merc: std::mem::take(&mut p.merc),
                        zone_of: zone_ids
                            .into_iter()
                            .zip(std::mem::take(&mut p.zone_of))
                            .collect(),
                    },
                );
            }
        }
    }

    /// Before the attributes of zone layer `zone` of `ws` are changed in place (a join adds
    /// columns): keeps a copy of them as they are, for undo.
    pub fn keep_attributes(&mut self, ws: &Workspace, zone: usize) {
        if let Some(z) = ws.zones.get(zone) {
            self.attributes.insert(
                attributes_key(&z.spec, &ws.file),
                z.layer.attributes.clone(),
            );
        }
    }

    /// Before the outlines of zone layer `zone` of `ws` are repaired in place: keeps a copy of
    /// the layer as it is (outlines and attributes), for undo.
    pub fn keep_outlines(&mut self, ws: &Workspace, zone: usize) {
        let Some(z) = ws.zones.get(zone) else {
            return;
        };
        if z.spec.repair_geometries {
            // Outlines already repaired: the repair changes nothing.
            return;
        }
        self.keep_attributes(ws, zone);
        self.zones.insert(
            zone_key(&z.spec),
            StoredZone {
                source: z.layer.source.clone(),
                geometries: z.layer.geometries.clone(),
                geometry: z.geometry.clone(),
                grid: z.grid.as_ref().map(|g| g.cells.clone()),
            },
        );
    }

    /// Drops the data that neither a kept step nor the workspace refers to.
    fn forget_unused(&mut self) {
        let files = self
            .undo
            .iter()
            .chain(self.redo.iter())
            .map(|s| &s.snapshot.file);
        let mut zones = HashSet::new();
        let mut attributes = HashSet::new();
        let mut points = HashSet::new();
        let mut tables = Vec::new();
        for file in files {
            for z in &file.zones {
                zones.insert(zone_key(z));
                attributes.insert(attributes_key(z, file));
            }
            points.extend(file.points.iter().map(points_key));
            tables.extend(file.tables.iter());
        }
        if let Some(c) = &self.current {
            tables.extend(c.file.tables.iter());
        }
        self.zones.retain(|k, _| zones.contains(k));
        self.attributes.retain(|k, _| attributes.contains(k));
        self.points.retain(|k, _| points.contains(k));
        self.reports.retain(|(t, _)| tables.contains(&t));
    }
}

/// After each frame: a change to the project since the last step becomes a step once the user
/// is done with it (no pointer button down, no text field focused). Moving the map is no
/// change.
pub fn track(app: &mut CartoSolApp, ctx: &egui::Context) {
    if app.loading() {
        return;
    }
    let busy = ctx.input(|i| i.pointer.any_down()) || ctx.text_edit_focused();
    if !busy {
        commit(app);
    }
}

/// Records the change since the last step, if any, as a step.
fn commit(app: &mut CartoSolApp) {
    let fingerprint = app.ws.content_fingerprint();
    if app
        .history
        .current
        .as_ref()
        .is_some_and(|c| c.fingerprint == fingerprint)
    {
        // No change (most frames): nothing cloned.
        return;
    }
    let now = snapshot(&mut app.ws);
    let history = &mut app.history;
    match history.current.take() {
        Some(before) if before.fingerprint != now.fingerprint => {
            let label = describe(&before.file, &now.file);
            history.undo.push_back(Step {
                snapshot: before,
                label,
            });
            while history.undo.len() > MAX_STEPS {
                history.undo.pop_front();
            }
            history.redo.clear();
            history.current = Some(now);
            history.forget_unused();
        }
        Some(same) => history.current = Some(same),
        None => history.current = Some(now),
    }
}

/// Undoes the last change (*Édition › Annuler*, Ctrl+Z).
pub fn undo(app: &mut CartoSolApp) {
    commit(app);
    let Some(step) = app.history.undo.pop_back() else {
        return;
    };
    match go_to(app, &step.snapshot) {
        Ok(left) => {
            app.status = format!("Annulé : {}", step.label);
            app.history.redo.push(Step {
                snapshot: left,
                label: step.label,
            });
        }
        Err(e) => {
            app.ui_state.dialog =
                super::dialogs::Dialog::Error(format!("Annulation impossible : {e}"));
            app.history.undo.push_back(step);
        }
    }
}

/// Redoes the last undone change (*Édition › Rétablir*, Ctrl+Maj+Z, Ctrl+Y).
pub fn redo(app: &mut CartoSolApp) {
    commit(app);
    let Some(step) = app.history.redo.pop() else {
        return;
    };
    match go_to(app, &step.snapshot) {
        Ok(left) => {
            app.status = format!("Rétabli : {}", step.label);
            app.history.undo.push_back(Step {
                snapshot: left,
                label: step.label,
            });
        }
        Err(e) => {
            app.ui_state.dialog =
                super::dialogs::Dialog::Error(format!("Rétablissement impossible : {e}"));
            app.history.redo.push(step);
        }
    }
}

/// Puts the app in the state of `target`; returns the state left.
fn go_to(app: &mut CartoSolApp, target: &Snapshot) -> Result<Snapshot, String> {
    let left = snapshot(&mut app.ws);
    let before = left.file.clone();
    let mut file = target.file.clone();
    // The map stays where it is: the view is no part of a step.
    file.map.view = app.ws.file.map.view.clone();
    if same_layers(&app.ws, &file) {
        // A change of classification, style, names, views…: the layers stay as they are,
        // with their drawing caches.
        restyle(&mut app.ws, file);
    } else if app.history.has_data_for(&app.ws, &file) {
        app.history.rebuild(&mut app.ws, file);
    } else {
        reload(&mut app.ws, file)?;
    }
    after_restore(app, &before);
    app.history.current = Some(snapshot(&mut app.ws));
    Ok(left)
}

/// Whether the workspace's layers hold the data `file` names, in its order (only their
/// styles, names or the project's other settings differ).
fn same_layers(ws: &Workspace, file: &ProjectFile) -> bool {
    ws.zones.len() == file.zones.len()
        && ws.points.len() == file.points.len()
        && ws.zones.iter().zip(&file.zones).all(|(z, s)| {
            zone_key(&z.spec) == zone_key(s)
                && attributes_key(&z.spec, &ws.file) == attributes_key(s, file)
        })
        && ws
            .points
            .iter()
            .zip(&file.points)
            .all(|(p, s)| points_key(&p.spec) == points_key(s))
        && ws.joins.len() == file.tables.len()
}

/// Puts `file` in the workspace whose layers already hold its data ([`same_layers`]): specs,
/// styles and themes from `file`.
fn restyle(ws: &mut Workspace, file: ProjectFile) {
    for (z, spec) in ws.zones.iter_mut().zip(&file.zones) {
        z.spec = spec.clone();
        z.style = super::state::default_style(&spec.id, &file);
    }
    for (p, spec) in ws.points.iter_mut().zip(&file.points) {
        p.spec = spec.clone();
        p.style = super::state::default_style(&spec.id, &file);
        // Resolved by `Workspace::finish`, visibility from the project's hidden themes.
        p.themes.clear();
    }
    for ((t, _), spec) in ws.joins.iter_mut().zip(&file.tables) {
        *t = spec.clone();
    }
    ws.file = file;
    ws.finish();
}

impl History {
    /// Whether every layer of `file` can be rebuilt from the workspace's data and the data
    /// kept here.
    fn has_data_for(&self, ws: &Workspace, file: &ProjectFile) -> bool {
        let live_zones: HashSet<String> = ws.zones.iter().map(|z| zone_key(&z.spec)).collect();
        let live_attributes: HashSet<String> = ws
            .zones
            .iter()
            .map(|z| attributes_key(&z.spec, &ws.file))
            .collect();
        let live_points: HashSet<String> = ws.points.iter().map(|p| points_key(&p.spec)).collect();
        file.zones.iter().all(|z| {
            let (zk, ak) = (zone_key(z), attributes_key(z, file));
            (live_zones.contains(&zk) || self.zones.contains_key(&zk))
                && (live_attributes.contains(&ak) || self.attributes.contains_key(&ak))
        }) && file.points.iter().all(|p| {
            let k = points_key(p);
            live_points.contains(&k) || self.points.contains_key(&k)
        })
    }

    /// Rebuilds the workspace's layers for `file` from the loaded data (see
    /// [`History::has_data_for`]): the workspace's layers move here, then those `file` names
    /// move back.
    fn rebuild(&mut self, ws: &mut Workspace, file: ProjectFile) {
        let zone_ids: Vec<String> = ws.zones.iter().map(|z| z.spec.id.clone()).collect();
        for z in ws.zones.drain(..) {
            let layer = z.layer;
            self.attributes
                .insert(attributes_key(&z.spec, &ws.file), layer.attributes);
            self.zones.insert(
                zone_key(&z.spec),
                StoredZone {
                    source: layer.source,
                    geometries: layer.geometries,
                    geometry: z.geometry,
                    grid: z.grid.map(|g| g.cells),
                },
            );
        }
        for p in ws.points.drain(..) {
            self.points.insert(
                points_key(&p.spec),
                StoredPoints {
                    layer: p.layer,
                    merc: p.merc,
                    zone_of: zone_ids.iter().cloned().zip(p.zone_of).collect(),
                },
            );
        }
        for join in ws.joins.drain(..) {
            if !self.reports.iter().any(|(t, _)| *t == join.0) {
                self.reports.push(join);
            }
        }
        for spec in &file.zones {
            let (Some(stored), Some(attributes)) = (
                self.zones.remove(&zone_key(spec)),
                self.attributes.remove(&attributes_key(spec, &file)),
            ) else {
                continue;
            };
            ws.zones.push(ZoneLayerView {
                spec: spec.clone(),
                layer: ZoneLayer {
                    source: stored.source,
                    geometries: stored.geometries,
                    attributes,
                },
                geometry: stored.geometry,
                style: super::state::default_style(&spec.id, &file),
                cache: Default::default(),
                grid: stored.grid.map(|cells| GridView {
                    cells,
                    cache: Default::default(),
                }),
            });
        }
        for spec in &file.points {
            let Some(mut stored) = self.points.remove(&points_key(spec)) else {
                continue;
            };
            // The zone of each point for the zone layers now in the workspace; placed again
            // (by `Workspace::finish`) when one is missing.
            let zone_of: Option<Vec<Vec<Option<usize>>>> = file
                .zones
                .iter()
                .map(|z| stored.zone_of.remove(&z.id))
                .collect();
            ws.points.push(PointLayerView {
                spec: spec.clone(),
                layer: stored.layer,
                merc: stored.merc,
                theme_of: Vec::new(),
                // Resolved by `Workspace::finish`, visibility from the project's hidden themes.
                themes: Vec::new(),
                style: super::state::default_style(&spec.id, &file),
                zone_of: zone_of.unwrap_or_default(),
            });
        }
        ws.joins = file
            .tables
            .iter()
            .filter_map(|t| self.reports.iter().find(|(s, _)| s == t).cloned())
            .collect();
        ws.file = file;
        ws.finish();
    }
}

/// Rebuilds the workspace for `file` by reading its sources again, through the loading path
/// (a copy of the project in the temporary folder, its paths made to point to the same files).
/// Only when some loaded data was not kept.
fn reload(ws: &mut Workspace, file: ProjectFile) -> Result<(), String> {
    let base = super::export_ui::base_dir(ws);
    let copy = std::env::temp_dir().join(format!(
        "cartosol-annulation-{}.cartosol.json",
        std::process::id()
    ));
    crate::project::save_project(&file, &base, &copy).map_err(|e| e.to_string())?;
    let loaded = Workspace::load(&copy, &Progress::default());
    let _ = std::fs::remove_file(&copy);
    let loaded = loaded?;
    ws.zones = loaded.zones;
    ws.points = loaded.points;
    ws.joins = loaded.joins;
    // The specs as the project holds them (the copy's paths point from the temporary folder).
    for z in &mut ws.zones {
        if let Some(spec) = file.zones.iter().find(|s| s.id == z.spec.id) {
            z.spec = spec.clone();
        }
        z.style = super::state::default_style(&z.spec.id, &file);
    }
    for p in &mut ws.points {
        if let Some(spec) = file.points.iter().find(|s| s.id == p.spec.id) {
            p.spec = spec.clone();
        }
        p.style = super::state::default_style(&p.spec.id, &file);
        p.themes.clear();
    }
    for (t, _) in &mut ws.joins {
        if let Some(spec) = file
            .tables
            .iter()
            .find(|s| s.id == t.id && s.join_to == t.join_to)
        {
            *t = spec.clone();
        }
    }
    ws.file = file;
    ws.finish();
    Ok(())
}

/// After the workspace was put back: what the app derives from it follows.
fn after_restore(app: &mut CartoSolApp, before: &ProjectFile) {
    let now = &app.ws.file;
    let layers_changed =
        before.zones != now.zones || before.points != now.points || before.tables != now.tables;
    if before.points != now.points {
        // The point indexes of the proximity tool follow the point layers.
        app.analysis.reset();
    } else if layers_changed {
        app.analysis.forget_coverage();
    }
    if layers_changed {
        app.selected_zone = None;
        app.selected_point = None;
    }
    if before.map.basemap != now.map.basemap {
        let base = super::export_ui::base_dir(&app.ws);
        app.restore_basemap = Some(match &now.map.basemap {
            crate::project::BasemapSpec::Pmtiles { path } => {
                BasemapChoice::Pmtiles(base.join(path))
            }
            crate::project::BasemapSpec::None => BasemapChoice::None,
            crate::project::BasemapSpec::Osm => BasemapChoice::Osm,
        });
    }
    if before.diagnostic != now.diagnostic {
        // Read again from the project's settings at the next frame.
        app.diagnostic.layer = None;
    }
    if before.t0 != now.t0 {
        app.t0.reset();
    }
    if before.proposals != now.proposals {
        let open = app.proposals.open;
        app.proposals = Default::default();
        app.proposals.open = open;
    }
    app.recompute_choropleth();
}

/// What changed from `before` to `after`, in French, as the *Édition* menu names it after
/// « Annuler » or « Rétablir ».
fn describe(before: &ProjectFile, after: &ProjectFile) -> String {
    let name = |file: &ProjectFile, id: &str, name: &str| {
        file.map
            .layers
            .iter()
            .find(|l| l.id == id)
            .and_then(|l| l.label.clone())
            .unwrap_or_else(|| name.to_owned())
    };
    let layers = |file: &ProjectFile| -> Vec<(String, String)> {
        file.zones
            .iter()
            .map(|z| (z.id.clone(), name(file, &z.id, &z.name)))
            .chain(
                file.points
                    .iter()
                    .map(|p| (p.id.clone(), name(file, &p.id, &p.name))),
            )
            .collect()
    };
    let (old, new) = (layers(before), layers(after));
    if let Some((_, n)) = old.iter().find(|(id, _)| !new.iter().any(|(i, _)| i == id)) {
        return format!("le retrait de la couche « {n} »");
    }
    if let Some((_, n)) = new.iter().find(|(id, _)| !old.iter().any(|(i, _)| i == id)) {
        return format!("l'ajout de la couche « {n} »");
    }
    if let Some(t) = after.tables.iter().find(|t| !before.tables.contains(t)) {
        return format!("la jointure de la table « {} »", t.id);
    }
    if let Some(t) = before.tables.iter().find(|t| !after.tables.contains(t)) {
        return format!("le retrait de la table « {} »", t.id);
    }
    if before.zones != after.zones || before.points != after.points {
        return "le changement des propriétés d'une couche".to_owned();
    }
    let (b, a) = (&before.map, &after.map);
    if b.classification != a.classification {
        return "le changement de classification".to_owned();
    }
    if b.indicator != a.indicator || b.zones != a.zones {
        return "le changement d'indicateur".to_owned();
    }
    if b.layers != a.layers {
        for l in &a.layers {
            let Some(o) = b.layers.iter().find(|o| o.id == l.id) else {
                continue;
            };
            let shown = new
                .iter()
                .find(|(id, _)| *id == l.id)
                .map(|(_, n)| n.clone())
                .unwrap_or_default();
            if o.label != l.label {
                let was = old
                    .iter()
                    .find(|(id, _)| *id == l.id)
                    .map(|(_, n)| n.clone())
                    .unwrap_or_default();
                return format!("le renommage de « {was} »");
            }
            if o.visible != l.visible {
                return format!("l'affichage de « {shown} »");
            }
            if o.opacity != l.opacity {
                return format!("l'opacité de « {shown} »");
            }
        }
        return "l'ordre des couches".to_owned();
    }
    if b.hidden_themes != a.hidden_themes {
        return "l'affichage des thèmes".to_owned();
    }
    if b.privacy != a.privacy {
        return "le réglage du secret statistique".to_owned();
    }
    if b.basemap != a.basemap {
        return "le changement de fond de carte".to_owned();
    }
    if b != a {
        return "un réglage de la carte".to_owned();
    }
    if before.schemes != after.schemes {
        return "la modification du tableau des dispositifs".to_owned();
    }
    if before.views != after.views {
        return "la modification des vues enregistrées".to_owned();
    }
    if before.dictionary != after.dictionary {
        return "la modification du dictionnaire des indicateurs".to_owned();
    }
    if before.t0 != after.t0 {
        return "le gel du T0".to_owned();
    }
    if before.siting != after.siting {
        return "la modification des scénarios d'implantation".to_owned();
    }
    if before.proposals != after.proposals {
        return "la modification des pistes de contractualisation".to_owned();
    }
    if before.diagnostic != after.diagnostic {
        return "le réglage du diagnostic".to_owned();
    }
    if before.title != after.title || before.sources_note != after.sources_note {
        return "le titre ou les sources du projet".to_owned();
    }
    "la modification du projet".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::LayerStyle;

    fn file() -> ProjectFile {
        let mut ws = Workspace::empty();
        ws.file.zones.push(ZoneSpec {
            id: "communes".to_owned(),
            name: "Communes".to_owned(),
            source: "communes.geojson".into(),
            layer: None,
            crs: None,
            code_field: "INSEE_COM".to_owned(),
            name_field: "NOM".to_owned(),
            population_field: None,
            repair_geometries: false,
        });
        ws.file
    }

    #[test]
    fn labels_name_the_change_in_french() {
        let before = file();
        let mut after = before.clone();
        after.zones.clear();
        assert_eq!(
            describe(&before, &after),
            "le retrait de la couche « Communes »"
        );
        assert_eq!(
            describe(&after, &before),
            "l'ajout de la couche « Communes »"
        );
        let mut after = before.clone();
        after.map.classification.classes += 1;
        assert_eq!(describe(&before, &after), "le changement de classification");
        let mut after = before.clone();
        after.map.layers.push(LayerStyle {
            id: "communes".to_owned(),
            visible: true,
            opacity: 1.0,
            label: Some("Villes".to_owned()),
        });
        let mut renamed_back = after.clone();
        renamed_back.map.layers[0].label = Some("Bourgs".to_owned());
        assert_eq!(
            describe(&after, &renamed_back),
            "le renommage de « Villes »"
        );
    }

    #[test]
    fn keys_tell_apart_what_was_read_differently() {
        let f = file();
        let spec = &f.zones[0];
        let mut repaired = spec.clone();
        repaired.repair_geometries = true;
        assert_ne!(zone_key(spec), zone_key(&repaired));
        let mut renamed = spec.clone();
        renamed.name = "Autre nom".to_owned();
        assert_eq!(zone_key(spec), zone_key(&renamed));
        let mut joined = f.clone();
        joined.tables.push(TableSpec {
            id: "panorama".to_owned(),
            source: "panorama.csv".into(),
            options: Default::default(),
            code_field: "CODGEO".to_owned(),
            join_to: "communes".to_owned(),
            code_kind: None,
            ratios: Vec::new(),
        });
        assert_ne!(attributes_key(spec, &f), attributes_key(spec, &joined));
    }
}
