//! Dialogs: file choice (native dialog through rfd, or the built-in browser when no native
//! dialog is available), the table import wizard (sheet, header row, code column, join report
//! before applying), renaming, errors and the shortcuts sheet.

use super::state::{LayerRef, Workspace};
use super::{CartoSolApp, Command};
use crate::join::{JoinResult, apply, join};
use crate::project::TableSpec;
use crate::table::{LoadedTable, TableOptions, list_sheets, load_table};
use egui::{Context, RichText};
use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;

/// What a chosen file is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Open,
    AddLayer,
    ImportTable,
    Pmtiles,
}

/// The built-in file browser.
pub struct Browser {
    pub purpose: Purpose,
    pub dir: PathBuf,
    pub path_text: String,
}

/// A join checked in the wizard, waiting to be applied.
#[derive(Clone, Debug)]
pub struct PendingJoin {
    pub layer: usize,
    pub result: JoinResult,
    pub spec: TableSpec,
}

/// The table import wizard.
pub struct ImportWizard {
    pub path: PathBuf,
    pub sheets: Vec<String>,
    pub options: TableOptions,
    pub loaded: Result<LoadedTable, String>,
    pub layer: usize,
    pub table_code: String,
    pub zone_code: String,
    pub checked: Option<Result<JoinResult, String>>,
}

/// The dialog shown over the app, if any.
#[derive(Default)]
pub enum Dialog {
    #[default]
    None,
    Error(String),
    Shortcuts,
    Rename(LayerRef, String),
    Browser(Browser),
    Native(Purpose, Receiver<Option<PathBuf>>),
    Import(Box<ImportWizard>),
    SaveAs(String),
    ExportMap(String, crate::export::map::Preset),
    Atlas(String),
    /// An autosave newer than the project file exists: offer to restore it.
    Recover(PathBuf),
}

fn native_dialogs_available() -> bool {
    std::env::var_os("CARTOSOL_NO_NATIVE_DIALOG").is_none()
        && std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
}

impl Dialog {
    /// Asks for a file: the system's dialog when there is one, the built-in browser otherwise.
    pub fn open_file(purpose: Purpose) -> Dialog {
        if !native_dialogs_available() {
            return Dialog::browser(purpose);
        }
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let picked = rfd::FileDialog::new()
                .set_title("CartoSol — choisir un fichier")
                .add_filter(
                    "Données et projets",
                    &[
                        "json", "geojson", "shp", "zip", "gpkg", "csv", "xlsx", "xls", "ods",
                        "pmtiles",
                    ],
                )
                .pick_file();
            let _ = tx.send(picked);
        });
        Dialog::Native(purpose, rx)
    }

    /// The built-in browser, in the current folder.
    pub fn browser(purpose: Purpose) -> Dialog {
        let dir = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        Dialog::Browser(Browser {
            purpose,
            path_text: dir.display().to_string(),
            dir,
        })
    }
}

impl ImportWizard {
    /// Opens the wizard on a table file.
    pub fn new(path: PathBuf, ws: &Workspace) -> ImportWizard {
        let sheets = list_sheets(&path).unwrap_or_default();
        let options = TableOptions {
            sheet: sheets.first().cloned(),
            ..TableOptions::default()
        };
        let layer = ws.choropleth_layer().unwrap_or(0);
        let mut wizard = ImportWizard {
            path,
            sheets,
            options,
            loaded: Err(String::new()),
            layer,
            table_code: String::new(),
            zone_code: ws
                .zones
                .get(layer)
                .map(|z| z.spec.code_field.clone())
                .unwrap_or_default(),
            checked: None,
        };
        wizard.reload();
        wizard
    }

    /// Reads the table again with the current options.
    pub fn reload(&mut self) {
        self.loaded = load_table(&self.path, &self.options).map_err(|e| e.to_string());
        if let Ok(t) = &self.loaded {
            if t.table.field(&self.table_code).is_none() {
                self.table_code = crate::join::guess_code_field(&t.table).unwrap_or_default();
            }
            self.options.header_row = Some(t.header_row);
        }
        self.checked = None;
    }

    fn check(&mut self, ws: &Workspace) {
        let result = match (&self.loaded, ws.zones.get(self.layer)) {
            (Ok(t), Some(z)) => join(
                &z.layer.attributes,
                Some(&self.zone_code),
                &t.table,
                Some(&self.table_code),
                None,
            )
            .map_err(|e| e.to_string()),
            (Err(e), _) => Err(e.clone()),
            (_, None) => Err("aucune couche de zones".to_owned()),
        };
        self.checked = Some(result);
    }
}

/// Applies a checked join to the workspace.
pub fn apply_join(ws: &mut Workspace, pending: PendingJoin) -> Result<String, String> {
    let z = ws
        .zones
        .get_mut(pending.layer)
        .ok_or("couche de zones introuvable")?;
    let added = pending.result.columns.len();
    apply(&mut z.layer.attributes, pending.result.columns);
    let message = format!(
        "Table jointe à « {} » : {} colonne(s) ajoutée(s), {} zone(s) appariée(s) sur {}",
        z.spec.name, added, pending.result.report.matched, pending.result.report.zone_count
    );
    ws.file.tables.push(pending.spec.clone());
    ws.joins.push((pending.spec, pending.result.report));
    ws.finish();
    Ok(message)
}

fn file_chosen(app: &mut CartoSolApp, purpose: Purpose, path: PathBuf) {
    match purpose {
        Purpose::Open => {
            let is_table = crate::table::TableFormat::from_path(&path).is_some();
            if is_table && !app.ws.zones.is_empty() {
                app.dialog = Dialog::Import(Box::new(ImportWizard::new(path, &app.ws)));
            } else {
                app.send(Command::Open(path));
            }
        }
        Purpose::AddLayer => app.send(Command::AddFile(path)),
        Purpose::ImportTable => {
            app.dialog = Dialog::Import(Box::new(ImportWizard::new(path, &app.ws)))
        }
        Purpose::Pmtiles => app.send(Command::SetBasemap(super::basemap::BasemapChoice::Pmtiles(
            path,
        ))),
    }
}

/// Shows the current dialog.
pub fn dialog_ui(app: &mut CartoSolApp, ctx: &Context) {
    let dialog = std::mem::take(&mut app.dialog);
    app.dialog = match dialog {
        Dialog::None => Dialog::None,
        Dialog::Error(message) => {
            let mut open = true;
            egui::Window::new("Erreur")
                .collapsible(false)
                .resizable(false)
                .show(ctx, |ui| {
                    ui.label(&message);
                    if ui.button("OK").clicked() {
                        open = false;
                    }
                });
            if open {
                Dialog::Error(message)
            } else {
                Dialog::None
            }
        }
        Dialog::Shortcuts => {
            let mut open = true;
            egui::Window::new("Raccourcis et interactions")
                .collapsible(false)
                .show(ctx, |ui| {
                    for (keys, what) in [
                        ("Glisser", "déplacer la carte"),
                        ("Ctrl + molette, double-clic", "zoomer"),
                        (
                            "Clic sur une zone",
                            "la sélectionner : fiche à droite, ligne de la table",
                        ),
                        ("Clic sur un point", "fiche du service"),
                        (
                            "Clic sur une ligne de la table",
                            "sélectionner et cadrer la zone",
                        ),
                        ("Début", "cadrer sur toutes les zones"),
                        ("Échap", "désélectionner"),
                        ("Ctrl+O", "ouvrir un projet ou un fichier"),
                        ("Ctrl+T", "afficher ou masquer la table attributaire"),
                        (
                            "Déposer un fichier",
                            "l'ouvrir (projet) ou l'ajouter comme couche",
                        ),
                    ] {
                        ui.horizontal(|ui| {
                            ui.label(RichText::new(keys).strong());
                            ui.label(what);
                        });
                    }
                    if ui.button("Fermer").clicked() {
                        open = false;
                    }
                });
            if open {
                Dialog::Shortcuts
            } else {
                Dialog::None
            }
        }
        Dialog::Rename(layer, mut text) => {
            let mut state = Some(());
            egui::Window::new("Renommer la couche")
                .collapsible(false)
                .show(ctx, |ui| {
                    ui.add(egui::TextEdit::singleline(&mut text).hint_text("Nouveau nom"));
                    ui.horizontal(|ui| {
                        if ui.button("Renommer").clicked() {
                            app.pending.push(Command::Rename(layer, text.clone()));
                            state = None;
                        }
                        if ui.button("Annuler").clicked() {
                            state = None;
                        }
                    });
                });
            if state.is_some() {
                Dialog::Rename(layer, text)
            } else {
                Dialog::None
            }
        }
        Dialog::Native(purpose, rx) => match rx.try_recv() {
            Ok(Some(path)) => {
                file_chosen(app, purpose, path);
                if matches!(app.dialog, Dialog::None) {
                    Dialog::None
                } else {
                    std::mem::take(&mut app.dialog)
                }
            }
            Ok(None) => Dialog::None,
            Err(std::sync::mpsc::TryRecvError::Empty) => {
                ctx.request_repaint_after(std::time::Duration::from_millis(100));
                Dialog::Native(purpose, rx)
            }
            // The system dialog failed: fall back on the built-in browser.
            Err(std::sync::mpsc::TryRecvError::Disconnected) => Dialog::browser(purpose),
        },
        Dialog::Browser(mut browser) => {
            let mut chosen: Option<PathBuf> = None;
            let mut open = true;
            egui::Window::new("Choisir un fichier")
                .default_size([520.0, 420.0])
                .show(ctx, |ui| {
                    ui.horizontal(|ui| {
                        ui.label("Chemin :");
                        let r = ui.add(
                            egui::TextEdit::singleline(&mut browser.path_text).desired_width(360.0),
                        );
                        if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                            let p = PathBuf::from(&browser.path_text);
                            if p.is_dir() {
                                browser.dir = p;
                            } else if p.is_file() {
                                chosen = Some(p);
                            }
                        }
                    });
                    if ui.button("Dossier parent").clicked()
                        && let Some(parent) = browser.dir.parent()
                    {
                        browser.dir = parent.to_owned();
                        browser.path_text = browser.dir.display().to_string();
                    }
                    egui::ScrollArea::vertical()
                        .max_height(300.0)
                        .show(ui, |ui| {
                            for (path, is_dir) in list_dir(&browser.dir) {
                                let name = path
                                    .file_name()
                                    .map(|n| n.to_string_lossy().into_owned())
                                    .unwrap_or_default();
                                let label = if is_dir {
                                    format!("[dossier] {name}")
                                } else {
                                    name
                                };
                                if ui.selectable_label(false, label).clicked() {
                                    if is_dir {
                                        browser.dir = path.clone();
                                        browser.path_text = path.display().to_string();
                                    } else {
                                        chosen = Some(path);
                                    }
                                }
                            }
                        });
                    if ui.button("Annuler").clicked() {
                        open = false;
                    }
                });
            match chosen {
                Some(path) => {
                    file_chosen(app, browser.purpose, path);
                    std::mem::take(&mut app.dialog)
                }
                None if open => Dialog::Browser(browser),
                None => Dialog::None,
            }
        }
        Dialog::SaveAs(mut text) => {
            let mut state = Some(());
            egui::Window::new("Enregistrer le projet sous")
                .collapsible(false)
                .show(ctx, |ui| {
                    ui.add(
                        egui::TextEdit::singleline(&mut text)
                            .hint_text("chemin/du/projet.cartosol.json")
                            .desired_width(420.0),
                    );
                    ui.horizontal(|ui| {
                        if ui.button("Enregistrer").clicked() {
                            let mut path = PathBuf::from(text.trim());
                            if !path.to_string_lossy().ends_with(".cartosol.json") {
                                path = PathBuf::from(format!("{}.cartosol.json", path.display()));
                            }
                            app.pending.push(Command::SaveAs(path));
                            state = None;
                        }
                        if ui.button("Annuler").clicked() {
                            state = None;
                        }
                    });
                });
            if state.is_some() {
                Dialog::SaveAs(text)
            } else {
                Dialog::None
            }
        }
        Dialog::ExportMap(mut text, mut preset) => {
            use crate::export::map::Preset;
            let mut state = Some(());
            egui::Window::new("Exporter la carte")
                .collapsible(false)
                .show(ctx, |ui| {
                    ui.label(
                        "La carte est exportée telle qu'affichée : indicateur, classes, cadrage.",
                    );
                    egui::ComboBox::from_label("Format de page")
                        .selected_text(preset_label(preset))
                        .show_ui(ui, |ui| {
                            for p in [Preset::A4Landscape, Preset::A4Portrait, Preset::Slide] {
                                ui.selectable_value(&mut preset, p, preset_label(p));
                            }
                        });
                    ui.add(
                        egui::TextEdit::singleline(&mut text)
                            .hint_text("carte.png ou carte.svg")
                            .desired_width(420.0),
                    );
                    ui.horizontal(|ui| {
                        if ui.button("Exporter").clicked() {
                            app.pending
                                .push(Command::ExportMap(PathBuf::from(text.trim()), preset));
                            state = None;
                        }
                        if ui.button("Annuler").clicked() {
                            state = None;
                        }
                    });
                });
            if state.is_some() {
                Dialog::ExportMap(text, preset)
            } else {
                Dialog::None
            }
        }
        Dialog::Atlas(mut text) => {
            let mut state = Some(());
            egui::Window::new("Atlas : une carte par zone")
                .collapsible(false)
                .show(ctx, |ui| {
                    ui.label("Dossier de destination :");
                    ui.add(egui::TextEdit::singleline(&mut text).desired_width(420.0));
                    ui.horizontal(|ui| {
                        if ui.button("Écrire l'atlas").clicked() {
                            app.pending
                                .push(Command::ExportAtlas(PathBuf::from(text.trim())));
                            state = None;
                        }
                        if ui.button("Annuler").clicked() {
                            state = None;
                        }
                    });
                });
            if state.is_some() {
                Dialog::Atlas(text)
            } else {
                Dialog::None
            }
        }
        Dialog::Recover(path) => {
            let mut state = Some(());
            egui::Window::new("Récupération").collapsible(false).show(ctx, |ui| {
                ui.label(format!(
                    "Une sauvegarde automatique de « {} » est plus récente que le fichier enregistré \
                     (fermeture inattendue ?). La restaurer ?",
                    path.display()
                ));
                ui.horizontal(|ui| {
                    if ui.button("Restaurer la sauvegarde automatique").clicked() {
                        app.pending.push(Command::RestoreAutosave(path.clone()));
                        state = None;
                    }
                    if ui.button("Garder le fichier enregistré").clicked() {
                        let _ = crate::project::discard_autosave(&path);
                        state = None;
                    }
                });
            });
            if state.is_some() {
                Dialog::Recover(path)
            } else {
                Dialog::None
            }
        }
        Dialog::Import(mut wizard) => {
            let mut keep = true;
            egui::Window::new("Importer une table")
                .default_size([640.0, 560.0])
                .show(ctx, |ui| {
                    keep = import_ui(app, ui, &mut wizard);
                });
            if keep {
                Dialog::Import(wizard)
            } else {
                std::mem::take(&mut app.dialog)
            }
        }
    };
}

fn list_dir(dir: &Path) -> Vec<(PathBuf, bool)> {
    let known = [
        "json", "geojson", "shp", "zip", "gpkg", "csv", "xlsx", "xls", "ods", "pmtiles", "txt",
    ];
    let mut entries: Vec<(PathBuf, bool)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    !p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                })
                .map(|p| {
                    let is_dir = p.is_dir();
                    (p, is_dir)
                })
                .filter(|(p, is_dir)| {
                    *is_dir
                        || p.extension()
                            .and_then(|e| e.to_str())
                            .is_some_and(|e| known.contains(&e.to_ascii_lowercase().as_str()))
                })
                .collect()
        })
        .unwrap_or_default();
    entries.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    entries
}

/// The wizard's content; returns whether it stays open.
fn import_ui(app: &mut CartoSolApp, ui: &mut egui::Ui, w: &mut ImportWizard) -> bool {
    ui.label(format!("Fichier : {}", w.path.display()));
    let mut reload = false;
    if !w.sheets.is_empty() {
        let current = w.options.sheet.clone().unwrap_or_default();
        egui::ComboBox::from_label("Feuille")
            .selected_text(current.clone())
            .show_ui(ui, |ui| {
                for s in &w.sheets {
                    if ui.selectable_label(*s == current, s).clicked() {
                        w.options.sheet = Some(s.clone());
                        w.options.header_row = None;
                        reload = true;
                    }
                }
            });
    }
    let mut header = w.options.header_row.unwrap_or(1);
    if ui
        .add(
            egui::DragValue::new(&mut header)
                .range(1..=500)
                .prefix("Ligne d'en-tête : "),
        )
        .changed()
    {
        w.options.header_row = Some(header);
        reload = true;
    }
    if reload {
        w.reload();
    }
    match &w.loaded {
        Err(e) => {
            ui.colored_label(egui::Color32::from_rgb(170, 30, 30), e);
        }
        Ok(t) => {
            ui.label(format!(
                "{} lignes, {} colonnes",
                t.table.len(),
                t.table.fields.len()
            ));
            egui::ScrollArea::both()
                .max_height(160.0)
                .id_salt("apercu")
                .show(ui, |ui| {
                    egui::Grid::new("apercu-table")
                        .striped(true)
                        .show(ui, |ui| {
                            for f in &t.table.fields {
                                ui.label(RichText::new(&f.name).strong());
                            }
                            ui.end_row();
                            for r in 0..t.table.len().min(6) {
                                for f in &t.table.fields {
                                    ui.label(
                                        f.values
                                            .get(r)
                                            .map(super::panels::display_value)
                                            .unwrap_or_default(),
                                    );
                                }
                                ui.end_row();
                            }
                        });
                });
            let names: Vec<String> = t.table.field_names().map(str::to_owned).collect();
            egui::ComboBox::from_label("Colonne de code de la table")
                .selected_text(w.table_code.clone())
                .show_ui(ui, |ui| {
                    for n in &names {
                        if ui.selectable_label(*n == w.table_code, n).clicked() {
                            w.table_code = n.clone();
                            w.checked = None;
                        }
                    }
                });
        }
    }
    let zone_name = app
        .ws
        .zones
        .get(w.layer)
        .map(|z| z.spec.name.clone())
        .unwrap_or_default();
    egui::ComboBox::from_label("Couche de zones")
        .selected_text(zone_name)
        .show_ui(ui, |ui| {
            for (i, z) in app.ws.zones.iter().enumerate() {
                if ui.selectable_label(i == w.layer, &z.spec.name).clicked() {
                    w.layer = i;
                    w.zone_code = z.spec.code_field.clone();
                    w.checked = None;
                }
            }
        });
    if let Some(z) = app.ws.zones.get(w.layer) {
        let names: Vec<String> = z
            .layer
            .attributes
            .field_names()
            .map(str::to_owned)
            .collect();
        egui::ComboBox::from_label("Champ de code des zones")
            .selected_text(w.zone_code.clone())
            .show_ui(ui, |ui| {
                for n in &names {
                    if ui.selectable_label(*n == w.zone_code, n).clicked() {
                        w.zone_code = n.clone();
                        w.checked = None;
                    }
                }
            });
    }
    if ui.button("Vérifier la jointure").clicked() {
        w.check(&app.ws);
    }
    let mut keep = true;
    match &w.checked {
        Some(Ok(result)) => {
            egui::ScrollArea::vertical()
                .max_height(160.0)
                .id_salt("rapport")
                .show(ui, |ui| {
                    ui.monospace(result.report.to_string());
                });
            if ui.button("Appliquer la jointure").clicked() {
                let spec = TableSpec {
                    id: w
                        .path
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    source: w.path.clone(),
                    options: w.options.clone(),
                    code_field: w.table_code.clone(),
                    join_to: app
                        .ws
                        .zones
                        .get(w.layer)
                        .map(|z| z.spec.id.clone())
                        .unwrap_or_default(),
                    code_kind: Some(result.report.kind),
                    ratios: Vec::new(),
                };
                app.pending.push(Command::ApplyJoin(Box::new(PendingJoin {
                    layer: w.layer,
                    result: result.clone(),
                    spec,
                })));
                keep = false;
            }
        }
        Some(Err(e)) => {
            ui.colored_label(egui::Color32::from_rgb(170, 30, 30), e);
        }
        None => {}
    }
    if ui.button("Fermer").clicked() {
        keep = false;
    }
    keep
}

fn preset_label(p: crate::export::map::Preset) -> String {
    use crate::export::map::Preset;
    match p {
        Preset::A4Landscape => "A4 paysage, 300 dpi".to_owned(),
        Preset::A4Portrait => "A4 portrait, 300 dpi".to_owned(),
        Preset::Slide => "Diapositive 1920 × 1080".to_owned(),
        Preset::Custom {
            width_px,
            height_px,
        } => format!("{width_px} × {height_px} px"),
    }
}
