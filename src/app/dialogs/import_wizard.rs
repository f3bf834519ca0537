//! The table import wizard: sheet, header row, code columns, join report before applying.

use crate::app::dialogs::Dialog;
use crate::app::display::display_value;
use crate::app::state::Workspace;
use crate::app::{CartoSolApp, Command};
use crate::join::{JoinResult, apply, join};
use crate::project::TableSpec;
use crate::table::{LoadedTable, TableOptions, list_sheets, load_table};
use egui::{Context, RichText};
use std::path::PathBuf;

/// A join checked in the wizard, waiting to be applied.
#[derive(Clone, Debug)]
pub struct PendingJoin {
    /// Index of the zone layer the table joins to.
    pub layer: usize,
    /// The joined columns (one value per zone) and the join report.
    pub result: JoinResult,
    /// The table as it will be saved in the project (`tables[]`).
    pub spec: TableSpec,
}

/// The table import wizard.
pub struct ImportWizard {
    /// The table file (CSV or spreadsheet).
    pub path: PathBuf,
    /// Sheet names of a spreadsheet (empty for CSV), for the `Feuille` choice.
    pub sheets: Vec<String>,
    /// How the table is read: sheet, header row (1-based), delimiter.
    pub options: TableOptions,
    /// The table read with `options`, or why it could not be read (in French).
    pub loaded: Result<LoadedTable, String>,
    /// Index of the zone layer to join to (`Couche de zones`).
    pub layer: usize,
    /// The table's code column (`Colonne de code de la table`).
    pub table_code: String,
    /// The zone layer's code field (`Champ de code des zones`).
    pub zone_code: String,
    /// Result of `Vérifier la jointure` (`None` until checked, and again after any change).
    pub checked: Option<Result<JoinResult, String>>,
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

/// Shows the wizard; returns the dialog for the next frame.
pub fn show(
    ctx: &Context,
    app: &CartoSolApp,
    out: &mut Vec<Command>,
    mut wizard: Box<ImportWizard>,
) -> Dialog {
    let mut keep = true;
    egui::Window::new("Importer une table")
        .default_size([640.0, 560.0])
        .show(ctx, |ui| {
            keep = import_ui(app, out, ui, &mut wizard);
        });
    if keep {
        Dialog::Import(wizard)
    } else {
        Dialog::None
    }
}

/// The wizard's content; returns whether it stays open.
fn import_ui(
    app: &CartoSolApp,
    out: &mut Vec<Command>,
    ui: &mut egui::Ui,
    w: &mut ImportWizard,
) -> bool {
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
            })
            .response
            .on_hover_text(
                "La feuille du classeur à lire (COM, EPCI… dans les tableaux de l'Insee)",
            );
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
                                        f.values.get(r).map(display_value).unwrap_or_default(),
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
    if ui
                    .button("Vérifier la jointure")
                    .on_hover_text("Apparie les codes sans rien changer au projet : zones sans ligne, lignes sans zone, codes en double, corrections appliquées")
                    .clicked() {
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
            if ui
                    .button("Appliquer la jointure")
                    .on_hover_text("Ajoute les colonnes de la table à la couche de zones (annulable en retirant la table du projet)")
                    .clicked() {
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
                out.push(Command::ApplyJoin(Box::new(PendingJoin {
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
    if ui
        .button("Fermer")
        .on_hover_text("Ferme l'assistant ; une jointure appliquée reste dans le projet")
        .clicked()
    {
        keep = false;
    }
    keep
}
