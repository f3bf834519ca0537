//! The *T0 et T+3* window (menu *Affichage › T0 et T+3*): freezes the T0 baseline of the project
//! (`baseline::freeze_with`, stored in the project file by the usual save), reports the sources
//! changed since, loads a later vintage (a project file and, optionally, a correspondence table
//! of commune codes) and shows its comparison with the T0 (`baseline::compare`): the geography
//! changes, the zones that entered or left the under-served set, the maps side by side (drawn by
//! the shared export composition, `baseline::maps`, rasterised by `export::svg_to_png`) and the
//! change per zone and indicator.
//!
//! Every change goes through a [`T0Command`] (wrapped in [`super::Command::T0`]). Loading the
//! later project, comparing and drawing the maps run in a background thread.

use super::Command;
use super::state::Workspace;
use crate::baseline::maps::{ComparisonMap, comparison_map};
use crate::baseline::{
    Baseline, Comparison, SourceChange, UnderservedSettings, check_sources, compare, freeze_with,
};
use crate::export::compose::RenderOptions;
use crate::export::map::Preset;
use crate::export::secrecy::{SecrecyGuard, zone_level};
use crate::project::Project;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, TryRecvError};

/// Size of the maps drawn in the window, pixels (the exports use [`EXPORT_PRESET`]).
pub const WINDOW_MAP_PX: (u32, u32) = (1200, 800);

/// The page of the exported maps.
pub const EXPORT_PRESET: Preset = Preset::Slide;

/// A change of the T0 window.
#[derive(Clone, Debug, PartialEq)]
pub enum T0Command {
    /// Opens or closes the window.
    Open(bool),
    /// *Figer le T0*: freezes it, or asks to confirm when one is already frozen.
    Freeze,
    /// *Remplacer le T0*: the confirmation (true) or its cancellation (false).
    ConfirmReplace(bool),
    /// The later project's path, as typed or chosen.
    SetLaterPath(String),
    /// The correspondence table's path (blank: none).
    SetCorrespondencePath(String),
    /// Opens the system's file dialog for the later project (`false`) or the table (`true`).
    Pick(bool),
    /// *Comparer*: loads the later project and compares it in the background.
    Compare,
    /// The zone layer of the table of changes.
    SetLayer(String),
    /// The indicator of the table of changes.
    SetField(String),
    /// Exports map `0` as a PNG at the path given, or (`None`) asks where with the system's
    /// dialog (without one: `<dossier du projet>/<carte>.png`).
    ExportMap(ComparisonMap, Option<PathBuf>),
}

/// A map of the comparison drawn for the window.
#[derive(Clone)]
pub struct MapImage {
    /// Which map.
    pub which: ComparisonMap,
    /// The map, or why it could not be drawn (in French).
    pub image: Result<egui::ColorImage, String>,
}

/// What the background comparison returns.
pub struct CompareDone {
    /// The later project's file.
    pub later: PathBuf,
    /// The correspondence table, if one was given.
    pub correspondence: Option<PathBuf>,
    /// The comparison.
    pub comparison: Comparison,
    /// The maps, in [`ComparisonMap::ALL`] order.
    pub maps: Vec<MapImage>,
}

/// The sources of a T0 checked against the files: for the project file and T0 date of `key`.
#[derive(Clone, Debug)]
pub struct SourceCheck {
    /// The project file and the date of its T0 when checked.
    pub key: (Option<PathBuf>, String),
    /// The sources changed since the T0 (empty: all as they were).
    pub changes: Vec<SourceChange>,
}

/// Settings and results of the T0 window.
#[derive(Default)]
pub struct T0State {
    /// Whether the window is open.
    pub open: bool,
    /// A T0 exists and *Figer le T0* was pressed: the window asks to confirm.
    pub confirm_replace: bool,
    /// The T0 frozen in this session and not saved yet.
    pub unsaved: bool,
    /// The later project's path being typed.
    pub later_path: String,
    /// The correspondence table's path being typed (blank: none).
    pub correspondence_path: String,
    /// The sources changed since the T0, and for which project and T0 they were checked.
    pub source_check: Option<SourceCheck>,
    /// The last comparison, or its error in French.
    pub result: Option<Result<CompareDone, String>>,
    /// The layer of the table of changes.
    pub layer: String,
    /// The indicator of the table of changes.
    pub field: String,
    /// Textures of the maps, made from `result` when first shown.
    pub textures: Vec<(ComparisonMap, egui::TextureHandle)>,
    job: Option<Receiver<Result<CompareDone, String>>>,
    pick: Option<(bool, Receiver<Option<PathBuf>>)>,
    save_pick: Option<(ComparisonMap, Receiver<Option<PathBuf>>)>,
}

fn native_dialogs_available() -> bool {
    std::env::var_os("CARTOSOL_NO_NATIVE_DIALOG").is_none()
        && std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
}

/// The under-served rule frozen with the T0: the one set in the app's *Zones sous-desservies*
/// (layer, indicator, theme and thresholds) when it is computed, else the library's default.
pub fn rule_to_freeze(app: &super::CartoSolApp) -> Option<UnderservedSettings> {
    let a = &app.analysis;
    match &a.gaps {
        Some(g) => Some(UnderservedSettings {
            zones: app.ws.zones.get(g.layer)?.spec.id.clone(),
            need: g.indicator.clone(),
            theme: Some(g.theme.clone()),
            need_min: a.need_threshold,
            offer_max_per_10000: a.offer_threshold,
        }),
        None => None,
    }
}

impl T0State {
    /// Whether the comparison is running.
    pub fn computing(&self) -> bool {
        self.job.is_some()
    }

    /// Once per frame: checks the sources of the T0 when the project or the T0 changed,
    /// collects the finished comparison and the chosen files. Returns the export asked for
    /// when its file was just chosen.
    pub fn sync(&mut self, ws: &Workspace) -> Option<T0Command> {
        match &ws.file.t0 {
            Some(t0) => {
                let key = (ws.path.clone(), t0.frozen_on.clone());
                if self.source_check.as_ref().map(|c| &c.key) != Some(&key) {
                    let dir = super::export_ui::base_dir(ws);
                    self.source_check = Some(SourceCheck {
                        changes: check_sources(t0, &dir),
                        key,
                    });
                }
            }
            None => self.source_check = None,
        }
        if let Some(rx) = &self.job {
            match rx.try_recv() {
                Ok(result) => {
                    if let Ok(done) = &result {
                        let first = done.comparison.layers.first();
                        let map = ws.file.t0.as_ref().and_then(|t| t.map.as_ref());
                        self.layer = map
                            .map(|m| m.zones.clone())
                            .or_else(|| first.map(|l| l.layer.clone()))
                            .unwrap_or_default();
                        self.field = map
                            .map(|m| m.indicator.clone())
                            .or_else(|| first.and_then(|l| l.indicators.first().cloned()))
                            .unwrap_or_default();
                    }
                    self.result = Some(result);
                    self.textures.clear();
                    self.job = None;
                }
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => {
                    self.result = Some(Err("la comparaison s'est interrompue".to_owned()));
                    self.job = None;
                }
            }
        }
        if let Some((table, rx)) = &self.pick {
            match rx.try_recv() {
                Ok(Some(path)) => {
                    let text = path.display().to_string();
                    if *table {
                        self.correspondence_path = text;
                    } else {
                        self.later_path = text;
                    }
                    self.pick = None;
                }
                Ok(None) | Err(TryRecvError::Disconnected) => self.pick = None,
                Err(TryRecvError::Empty) => {}
            }
        }
        if let Some((which, rx)) = &self.save_pick {
            match rx.try_recv() {
                Ok(Some(path)) => {
                    let which = *which;
                    self.save_pick = None;
                    return Some(T0Command::ExportMap(which, Some(path)));
                }
                Ok(None) | Err(TryRecvError::Disconnected) => self.save_pick = None,
                Err(TryRecvError::Empty) => {}
            }
        }
        None
    }

    /// The export of map `which` to run now: its file, asked with the system's dialog when
    /// `path` is `None` (then `None` is returned and the export comes back from
    /// [`T0State::sync`]), and the work for the export thread.
    pub fn export_job(
        &mut self,
        ws: &Workspace,
        which: ComparisonMap,
        path: Option<PathBuf>,
        repaint: impl Fn() + Send + 'static,
    ) -> Option<(
        PathBuf,
        impl FnOnce() -> Result<String, String> + Send + 'static,
    )> {
        let path = match path {
            Some(p) => p,
            None if native_dialogs_available() => {
                let (tx, rx) = std::sync::mpsc::channel();
                let dir = super::export_ui::base_dir(ws);
                std::thread::spawn(move || {
                    let picked = rfd::FileDialog::new()
                        .set_title("CartoSol — exporter la carte en PNG")
                        .set_directory(dir)
                        .set_file_name(format!("{}.png", which.file_stem()))
                        .add_filter("Image PNG", &["png"])
                        .save_file();
                    let _ = tx.send(picked);
                    repaint();
                });
                self.save_pick = Some((which, rx));
                return None;
            }
            None => super::export_ui::base_dir(ws).join(format!("{}.png", which.file_stem())),
        };
        let done = self.done()?;
        let baseline = ws.file.t0.clone()?;
        let comparison = done.comparison.clone();
        let project = super::export_ui::project_of(ws, None);
        let target = path.clone();
        Some((path, move || {
            export_map_png(&project, &baseline, &comparison, which, &target)
        }))
    }

    /// Applies a change; `rule` is the under-served rule to freeze (see [`rule_to_freeze`]);
    /// `repaint` is called by the background thread when it is done. Returns the status line.
    pub fn apply(
        &mut self,
        ws: &mut Workspace,
        command: T0Command,
        rule: Option<UnderservedSettings>,
        repaint: impl Fn() + Send + 'static,
    ) -> Option<Result<String, String>> {
        match command {
            T0Command::Open(open) => self.open = open,
            T0Command::Freeze if ws.file.t0.is_some() => self.confirm_replace = true,
            T0Command::Freeze | T0Command::ConfirmReplace(true) => {
                self.confirm_replace = false;
                return Some(self.freeze(ws, rule));
            }
            T0Command::ConfirmReplace(false) => self.confirm_replace = false,
            T0Command::SetLaterPath(p) => self.later_path = p,
            T0Command::SetCorrespondencePath(p) => self.correspondence_path = p,
            T0Command::Pick(table) => {
                let (tx, rx) = std::sync::mpsc::channel();
                std::thread::spawn(move || {
                    let dialog = rfd::FileDialog::new().set_title(if table {
                        "CartoSol — table de correspondance des codes communaux"
                    } else {
                        "CartoSol — projet du millésime T+3"
                    });
                    let dialog = if table {
                        dialog.add_filter("Tables", &["csv", "xlsx", "xls", "ods"])
                    } else {
                        dialog.add_filter("Projets CartoSol", &["json"])
                    };
                    let _ = tx.send(dialog.pick_file());
                    repaint();
                });
                self.pick = Some((table, rx));
            }
            T0Command::Compare => self.start_compare(ws, repaint),
            T0Command::SetLayer(l) => {
                if let Some(Ok(done)) = &self.result
                    && let Some(layer) = done.comparison.layers.iter().find(|x| x.layer == l)
                    && !layer.indicators.contains(&self.field)
                {
                    self.field = layer.indicators.first().cloned().unwrap_or_default();
                }
                self.layer = l;
            }
            T0Command::SetField(f) => self.field = f,
            // Run by the app's export thread (see `export_job`).
            T0Command::ExportMap(..) => {}
        }
        None
    }

    fn freeze(
        &mut self,
        ws: &mut Workspace,
        rule: Option<UnderservedSettings>,
    ) -> Result<String, String> {
        let project = super::export_ui::project_of(ws, None);
        let baseline = freeze_with(&project, jiff::Timestamp::now(), rule.as_ref())
            .map_err(|e| e.to_string())?;
        let date = baseline.frozen_on.clone();
        ws.file.t0 = Some(baseline);
        self.unsaved = true;
        self.source_check = None;
        self.result = None;
        self.textures.clear();
        Ok(format!(
            "T0 figé le {date} : enregistrez le projet (Fichier › Enregistrer, Ctrl+S) pour le garder"
        ))
    }

    /// Another project was opened: everything is forgotten but whether the window is open
    /// (its sources are checked again).
    pub fn reset(&mut self) {
        *self = T0State {
            open: self.open,
            ..T0State::default()
        };
    }

    /// The project was saved: the T0 frozen in the session is in its file.
    pub fn saved(&mut self) {
        self.unsaved = false;
    }

    fn start_compare(&mut self, ws: &Workspace, repaint: impl Fn() + Send + 'static) {
        let Some(baseline) = ws.file.t0.clone() else {
            self.result = Some(Err(
                "aucun T0 figé : figez d'abord le T0 du projet".to_owned()
            ));
            return;
        };
        let later = PathBuf::from(self.later_path.trim());
        if later.as_os_str().is_empty() {
            self.result = Some(Err("choisissez le projet du millésime T+3".to_owned()));
            return;
        }
        let correspondence = Some(PathBuf::from(self.correspondence_path.trim()))
            .filter(|p| !p.as_os_str().is_empty());
        let project = super::export_ui::project_of(ws, None);
        let (tx, rx) = std::sync::mpsc::channel();
        self.job = Some(rx);
        self.result = None;
        std::thread::spawn(move || {
            let result = run_compare(&project, &baseline, later, correspondence);
            // Fails only when the window forgot this job: nobody waits.
            let _ = tx.send(result);
            repaint();
        });
    }

    /// The comparison shown, if any.
    pub fn done(&self) -> Option<&CompareDone> {
        self.result.as_ref()?.as_ref().ok()
    }
}

/// Opens the later project and the table, compares, draws the maps (background thread).
fn run_compare(
    project: &Project,
    baseline: &Baseline,
    later: PathBuf,
    correspondence: Option<PathBuf>,
) -> Result<CompareDone, String> {
    let later_project = crate::project::open_project(&later).map_err(|e| e.to_string())?;
    let table = match &correspondence {
        Some(path) => Some(
            crate::table::load_table(path, &Default::default())
                .map(|t| t.table)
                .map_err(|e| format!("table de correspondance : {e}"))?,
        ),
        None => None,
    };
    let comparison =
        compare(baseline, &later_project, table.as_ref()).map_err(|e| e.to_string())?;
    let maps = ComparisonMap::ALL
        .iter()
        .map(|&which| MapImage {
            which,
            image: map_image(project, baseline, &comparison, which, None),
        })
        .collect();
    Ok(CompareDone {
        later,
        correspondence,
        comparison,
        maps,
    })
}

/// One map of the comparison as the window shows it: the export composition rendered to PNG
/// (the same SVG and rasteriser as the exports) and decoded into an image.
pub fn map_image(
    project: &Project,
    baseline: &Baseline,
    comparison: &Comparison,
    which: ComparisonMap,
    field: Option<&str>,
) -> Result<egui::ColorImage, String> {
    let (w, h) = WINDOW_MAP_PX;
    // A preview: the exported PNG carries the day it was made, the window's image does not
    // (the same comparison looks the same whatever the day).
    let options = RenderOptions {
        date: "Aperçu (la carte exportée porte sa date)".to_owned(),
        ..RenderOptions::new(Preset::Custom {
            width_px: w,
            height_px: h,
        })
    };
    let map = comparison_map(project, baseline, comparison, which, field, &options)
        .map_err(|e| e.to_string())?;
    let png = crate::export::render_png(&map).map_err(|e| e.to_string())?;
    let pixmap = resvg::tiny_skia::Pixmap::decode_png(&png)
        .map_err(|e| format!("image de la carte illisible ({e})"))?;
    Ok(egui::ColorImage::from_rgba_premultiplied(
        [pixmap.width() as usize, pixmap.height() as usize],
        pixmap.data(),
    ))
}

/// Writes map `which` of the comparison as a PNG (page [`EXPORT_PRESET`]) at `path`, through
/// the map export's renderer and atomic writer. Runs in the export thread.
pub fn export_map_png(
    project: &Project,
    baseline: &Baseline,
    comparison: &Comparison,
    which: ComparisonMap,
    path: &Path,
) -> Result<String, String> {
    let map = comparison_map(
        project,
        baseline,
        comparison,
        which,
        None,
        &RenderOptions::new(EXPORT_PRESET),
    )
    .map_err(|e| e.to_string())?;
    let png = crate::export::render_png(&map).map_err(|e| e.to_string())?;
    crate::export::write_atomic(path, &png).map_err(|e| e.to_string())?;
    Ok(format!(
        "Carte « {} » exportée : {} ({} × {} px)",
        which.label(),
        path.display(),
        map.page.width_px,
        map.page.height_px
    ))
}

fn red(ui: &mut egui::Ui, text: impl Into<String>) {
    ui.colored_label(egui::Color32::from_rgb(180, 30, 30), text.into());
}

fn t0_section(app: &super::CartoSolApp, ui: &mut egui::Ui, out: &mut Vec<Command>) {
    let s = &app.t0;
    match &app.ws.file.t0 {
        None => {
            ui.label("Aucun T0 figé dans ce projet.");
        }
        Some(t0) => {
            ui.label(egui::RichText::new(format!("T0 figé le {}", t0.frozen_on)).strong());
            if let Some(v) = &t0.vintage {
                ui.label(format!("Millésime des données : {v}"));
            }
            ui.label(format!(
                "Géographie : {} communes{} ; {} source(s) avec leur empreinte SHA-256",
                t0.geography.communes.len(),
                t0.geography
                    .cog_year
                    .map_or(String::new(), |y| format!(" (COG {y})")),
                t0.sources.len()
            ));
            for l in &t0.layers {
                ui.label(format!(
                    "Couche « {} » : {} zones, {} indicateurs",
                    l.layer,
                    l.names.len(),
                    l.indicators.len()
                ));
            }
            if let Some(m) = &t0.map {
                ui.label(format!(
                    "Carte : {} sur « {} », {} classes (bornes figées)",
                    m.indicator,
                    m.zones,
                    m.breaks.len()
                ));
            }
            match &t0.underserved {
                Some(u) => ui.label(format!(
                    "{} — {} zone(s) au T0",
                    u.rule_text,
                    u.flagged.len()
                )),
                None => ui.label("Pas de règle de sous-desserte figée (pas de points de service)."),
            };
            match s.source_check.as_ref().map(|c| &c.changes) {
                Some(changes) if changes.is_empty() => {
                    ui.colored_label(
                        egui::Color32::from_rgb(20, 110, 40),
                        "Sources inchangées depuis le T0.",
                    );
                }
                Some(changes) => {
                    for c in changes {
                        red(
                            ui,
                            format!("Attention : {c} ; le T0 reste celui qui a été figé."),
                        );
                    }
                }
                None => {}
            }
            if s.unsaved {
                red(
                    ui,
                    "T0 non encore enregistré : Fichier › Enregistrer (Ctrl+S) pour le garder dans le projet.",
                );
            }
        }
    }
    if s.confirm_replace {
        let date = app
            .ws
            .file
            .t0
            .as_ref()
            .map(|t| t.frozen_on.clone())
            .unwrap_or_default();
        red(
            ui,
            format!("Remplacer le T0 figé le {date} ? Ses valeurs seront perdues."),
        );
        ui.horizontal(|ui| {
            if ui
                .button("Remplacer le T0")
                .on_hover_text(
                    "Fige un nouveau T0 à la place de l'ancien : ses valeurs et sa date sont \
                     perdues (les fichiers sources ne sont pas modifiés)",
                )
                .clicked()
            {
                out.push(Command::T0(T0Command::ConfirmReplace(true)));
            }
            if ui
                .button("Annuler")
                .on_hover_text("Garde le T0 actuel")
                .clicked()
            {
                out.push(Command::T0(T0Command::ConfirmReplace(false)));
            }
        });
    } else {
        let rule = rule_to_freeze(app);
        let text = if app.ws.file.t0.is_some() {
            "Figer un nouveau T0…"
        } else {
            "Figer le T0"
        };
        if ui
            .button(text)
            .on_hover_text(match rule {
                Some(r) => format!(
                    "Règle de sous-desserte figée : celle de la carte ({} sur « {} », {})",
                    r.need, r.zones, r.theme.unwrap_or_default()
                ),
                None => "Règle de sous-desserte figée : indicateur de la carte, tous les services, seuils à la médiane du T0".to_owned(),
            })
            .clicked()
        {
            out.push(Command::T0(T0Command::Freeze));
        }
    }
}

fn load_section(app: &super::CartoSolApp, ui: &mut egui::Ui, out: &mut Vec<Command>) {
    let s = &app.t0;
    let native = native_dialogs_available();
    for (table, label, value) in [
        (false, "Projet T+3 :", &s.later_path),
        (
            true,
            "Table de correspondance (facultative) :",
            &s.correspondence_path,
        ),
    ] {
        ui.horizontal(|ui| {
            let name = ui.label(label);
            let mut text = value.clone();
            if ui
                .add(egui::TextEdit::singleline(&mut text).desired_width(420.0))
                .labelled_by(name.id)
                .on_hover_text(if table {
                    "Fichier CSV ou XLSX des codes de communes d'un millésime à l'autre \
                     (fusions) : sans lui, les fusions connues du COG sont appliquées"
                } else {
                    "Le projet .cartosol.json du diagnostic refait trois ans après, sur les \
                     mêmes indicateurs"
                })
                .changed()
            {
                out.push(Command::T0(if table {
                    T0Command::SetCorrespondencePath(text)
                } else {
                    T0Command::SetLaterPath(text)
                }));
            }
            if native
                && ui
                    .button("Choisir…")
                    .on_hover_text("Choisir le fichier sur le disque")
                    .clicked()
            {
                out.push(Command::T0(T0Command::Pick(table)));
            }
        });
    }
    ui.horizontal(|ui| {
        let ready = app.ws.file.t0.is_some() && !s.later_path.trim().is_empty() && !s.computing();
        if ui
            .add_enabled(ready, egui::Button::new("Charger le T+3 et comparer"))
            .on_hover_text(
                "Ouvre le projet T+3, rapproche les communes fusionnées et compare chaque \
                 indicateur et la règle de sous-desserte au T0 figé",
            )
            .on_disabled_hover_text("Figez d'abord un T0 et indiquez le projet T+3")
            .clicked()
        {
            out.push(Command::T0(T0Command::Compare));
        }
        if s.computing() {
            ui.spinner();
            ui.label("Comparaison en cours…");
        }
    });
    if let Some(Err(e)) = &s.result {
        red(ui, format!("Erreur : {e}"));
    }
}

fn geography_section(done: &CompareDone, ui: &mut egui::Ui) {
    let g = &done.comparison.geography;
    let merged: usize = g.mergers.iter().map(|m| m.old_codes.len()).sum();
    ui.label(format!(
        "{} fusion(s) de communes ({merged} communes regroupées), {} commune(s) absente(s) au T+3, {} code(s) nouveau(x), {} changement(s) d'EPCI",
        g.mergers.len(),
        g.removed.len(),
        g.added.len(),
        g.epci_moves.len()
    ));
    if g.is_empty() {
        ui.label("Aucun changement de communes ni d'EPCI.");
    }
    for line in g.lines() {
        ui.label(format!("• {line}"));
    }
    if done.correspondence.is_none() && !g.removed.is_empty() {
        red(
            ui,
            "Sans table de correspondance, les communes disparues ne sont pas comparées.",
        );
    }
    for note in &done.comparison.notes {
        ui.label(format!("Note : {note}"));
    }
}

fn underserved_section(done: &CompareDone, ui: &mut egui::Ui) {
    let Some(u) = &done.comparison.underserved else {
        ui.label("Le T0 n'a pas de règle de sous-desserte : rien à comparer.");
        return;
    };
    let lines = u.lines();
    for (i, line) in lines.iter().enumerate() {
        if i < 2 {
            ui.label(line);
        } else {
            ui.label(format!("• {line}"));
        }
    }
}

fn maps_section(
    app: &super::CartoSolApp,
    done: &CompareDone,
    ui: &mut egui::Ui,
    out: &mut Vec<Command>,
) {
    let s = &app.t0;
    let width = ((ui.available_width() - 16.0) / 2.0).clamp(240.0, 640.0);
    let (w, h) = WINDOW_MAP_PX;
    let size = egui::vec2(width, width * h as f32 / w as f32);
    let mut cell = |ui: &mut egui::Ui, m: &MapImage| {
        ui.vertical(|ui| {
            ui.label(egui::RichText::new(m.which.label()).strong());
            match (&m.image, s.textures.iter().find(|(k, _)| *k == m.which)) {
                (Ok(_), Some((_, tex))) => {
                    ui.add(egui::Image::new((tex.id(), size)));
                }
                (Ok(_), None) => {
                    ui.spinner();
                }
                (Err(e), _) => red(ui, format!("Erreur : {e}")),
            }
            if m.image.is_ok()
                && ui
                    .button("Exporter en PNG…")
                    .on_hover_text("Enregistre cette carte en image PNG, titre et légende compris")
                    .clicked()
            {
                out.push(Command::T0(T0Command::ExportMap(m.which, None)));
            }
        });
    };
    ui.horizontal_top(|ui| {
        for m in done.maps.iter().take(2) {
            cell(ui, m);
        }
    });
    if let Some(m) = done.maps.get(2) {
        cell(ui, m);
    }
}

/// Formats a figure for the table: French decimals, `—` or the missing value's reason.
fn cell_text(v: crate::value::ValueRef<'_>) -> String {
    match v {
        crate::value::ValueRef::Number(x) => {
            crate::style::classify::format_fr((x * 100.0).round() / 100.0, 2)
                .trim_end_matches('0')
                .trim_end_matches(',')
                .to_owned()
        }
        other => other.to_string(),
    }
}

fn table_section(
    app: &super::CartoSolApp,
    done: &CompareDone,
    ui: &mut egui::Ui,
    out: &mut Vec<Command>,
) {
    let s = &app.t0;
    let layers = &done.comparison.layers;
    let Some(layer) = layers.iter().find(|l| l.layer == s.layer) else {
        return;
    };
    let dict = &app.ws.file.dictionary;
    ui.horizontal(|ui| {
        let name = ui.label("Couche :");
        egui::ComboBox::from_id_salt("t0-couche")
            .selected_text(&s.layer)
            .show_ui(ui, |ui| {
                for l in layers {
                    if ui.selectable_label(l.layer == s.layer, &l.layer).clicked() {
                        out.push(Command::T0(T0Command::SetLayer(l.layer.clone())));
                    }
                }
            })
            .response
            .labelled_by(name.id)
            .on_hover_text("Couche de zones dont les évolutions sont montrées");
        let name = ui.label("Indicateur :");
        let label = |f: &str| {
            let l = crate::dictionary::label_of(dict, f);
            if l == f {
                f.to_owned()
            } else {
                format!("{l} ({f})")
            }
        };
        egui::ComboBox::from_id_salt("t0-indicateur")
            .selected_text(label(&s.field))
            .width(360.0)
            .show_ui(ui, |ui| {
                for f in &layer.indicators {
                    if ui.selectable_label(*f == s.field, label(f)).clicked() {
                        out.push(Command::T0(T0Command::SetField(f.clone())));
                    }
                }
            })
            .response
            .labelled_by(name.id)
            .on_hover_text("Indicateur comparé entre le T0 et le T+3");
    });
    let level = app
        .ws
        .zones
        .iter()
        .find(|z| z.spec.id == layer.layer)
        .map(|z| zone_level(&z.layer.attributes, &z.spec.code_field))
        .unwrap_or(crate::export::secrecy::ZoneLevel::Fine);
    let guard = SecrecyGuard::default().with_privacy(&app.ws.file.map.privacy);
    let table = layer.table(&guard, level);
    let column = |name: &str| table.field(name).map(|f| &f.values);
    let field = &s.field;
    let percent =
        crate::dictionary::def_of(dict, field).kind == crate::dictionary::IndicatorKind::Percent;
    let (Some(codes), Some(names), Some(notes), Some(t0), Some(later), Some(diff), Some(pct)) = (
        column("code"),
        column("nom"),
        column("remarque"),
        column(&crate::baseline::header_t0(field)),
        column(&crate::baseline::header_later(field)),
        column(&crate::baseline::header_change(field)),
        column(&crate::baseline::header_change_pct(field)),
    ) else {
        return;
    };
    let change_header = if percent {
        "Écart T+3 − T0 (points)"
    } else {
        "Écart T+3 − T0"
    };
    egui::ScrollArea::both()
        .id_salt("t0-table")
        .max_height(320.0)
        .show(ui, |ui| {
            egui::Grid::new("t0-evolution")
                .striped(true)
                .num_columns(7)
                .show(ui, |ui| {
                    for h in [
                        "Code",
                        "Zone",
                        "T0",
                        "T+3",
                        change_header,
                        "Évolution (%)",
                        "Remarque",
                    ] {
                        ui.label(egui::RichText::new(h).strong());
                    }
                    ui.end_row();
                    for r in 0..table.len() {
                        let text =
                            |c: &crate::model::Column| c.get(r).map(cell_text).unwrap_or_default();
                        ui.label(text(codes));
                        ui.label(text(names));
                        ui.label(text(t0));
                        ui.label(text(later));
                        ui.label(text(diff));
                        ui.label(text(pct));
                        ui.label(match notes.get(r) {
                            Some(crate::value::ValueRef::Text(t)) => t.to_owned(),
                            _ => String::new(),
                        });
                        ui.end_row();
                    }
                });
        });
}

/// The T0 window (when open).
pub fn t0_window(app: &super::CartoSolApp, out: &mut Vec<Command>, ctx: &egui::Context) {
    if !app.t0.open {
        return;
    }
    let mut open = true;
    egui::Window::new("T0 et T+3")
        .open(&mut open)
        .default_size([1150.0, 880.0])
        .vscroll(true)
        .show(ctx, |ui| {
            egui::CollapsingHeader::new("T0 figé")
                .default_open(true)
                .show(ui, |ui| t0_section(app, ui, out));
            egui::CollapsingHeader::new("Charger le T+3")
                .default_open(true)
                .show(ui, |ui| load_section(app, ui, out));
            let Some(done) = app.t0.done() else {
                return;
            };
            ui.label(format!(
                "T0 du {} comparé à {}",
                done.comparison.t0_frozen_on,
                done.later.display()
            ));
            egui::CollapsingHeader::new("Changements de géographie")
                .default_open(true)
                .show(ui, |ui| geography_section(done, ui));
            egui::CollapsingHeader::new("Zones entrées ou sorties de l'ensemble sous-desservi")
                .default_open(true)
                .show(ui, |ui| underserved_section(done, ui));
            egui::CollapsingHeader::new("Cartes")
                .default_open(true)
                .show(ui, |ui| maps_section(app, done, ui, out));
            egui::CollapsingHeader::new("Évolution par zone et par indicateur")
                .default_open(true)
                .show(ui, |ui| table_section(app, done, ui, out));
        });
    if !open {
        out.push(Command::T0(T0Command::Open(false)));
    }
}

/// Makes the textures of the maps of the last comparison (once per comparison).
pub fn upload_textures(state: &mut T0State, ctx: &egui::Context) {
    if !state.textures.is_empty() {
        return;
    }
    let Some(done) = state.done() else {
        return;
    };
    let textures: Vec<_> = done
        .maps
        .iter()
        .filter_map(|m| {
            let image = m.image.as_ref().ok()?.clone();
            Some((
                m.which,
                ctx.load_texture(
                    format!("t0-{}", m.which.file_stem()),
                    image,
                    egui::TextureOptions::LINEAR,
                ),
            ))
        })
        .collect();
    state.textures = textures;
}
