//! The built-in file browser, used when no system file dialog is available.

use super::{Dialog, Purpose, file_chosen};
use crate::app::{CartoSolApp, Command, UiState};
use egui::Context;
use std::path::{Path, PathBuf};

/// The built-in file browser.
pub struct Browser {
    /// What the chosen file is for.
    pub purpose: Purpose,
    /// The folder listed.
    pub dir: PathBuf,
    /// The `Chemin` field: a typed folder to list or file to choose; follows the folder opened.
    pub path_text: String,
}

/// Shows the browser; returns the dialog for the next frame (the next dialog when a file was
/// chosen).
pub fn show(
    ctx: &Context,
    app: &CartoSolApp,
    state: &mut UiState,
    out: &mut Vec<Command>,
    mut browser: Browser,
) -> Dialog {
    let mut chosen: Option<PathBuf> = None;
    let mut open = true;
    egui::Window::new("Choisir un fichier")
        .default_size([520.0, 420.0])
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                ui.label("Chemin :");
                let r =
                    ui.add(egui::TextEdit::singleline(&mut browser.path_text).desired_width(360.0));
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
            file_chosen(app, state, out, browser.purpose, path);
            std::mem::take(&mut state.dialog)
        }
        None if open => Dialog::Browser(browser),
        None => Dialog::None,
    }
}

fn list_dir(dir: &Path) -> Vec<(PathBuf, bool)> {
    let known = [
        "json", "geojson", "shp", "zip", "gpkg", "parquet", "csv", "xlsx", "xls", "ods", "pmtiles",
        "txt",
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
