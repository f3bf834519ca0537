//! The welcome screen, shown when no project and no layer is open (started from a file
//! manager, an installed binary without its sample, or after closing): open a project, the
//! recent projects, the bundled Essonne sample (found wherever the app is installed), or a new
//! project from data files. The recent projects are kept in the user's data folder.

use crate::app::dialogs::{Dialog, Purpose};
use crate::app::{CartoSolApp, Command, UiState};
use std::path::{Path, PathBuf};

/// Projects listed as recent.
const RECENT: usize = 8;

/// The file of the recent projects in the user's data folder.
fn recent_file(data_dir: &Path) -> PathBuf {
    data_dir.join("projets_recents.json")
}

/// The recent projects, newest first, those that still exist.
pub fn recent_projects(data_dir: &Path) -> Vec<PathBuf> {
    let list: Vec<PathBuf> = std::fs::read(recent_file(data_dir))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    list.into_iter().filter(|p| p.is_file()).collect()
}

/// Puts `project` first in the recent projects (a failure to write is not an error: the list
/// is a convenience).
pub fn remember(data_dir: &Path, project: &Path) {
    let project = project
        .canonicalize()
        .unwrap_or_else(|_| project.to_path_buf());
    let mut list = recent_projects(data_dir);
    list.retain(|p| p != &project);
    list.insert(0, project);
    list.truncate(RECENT);
    if let Ok(json) = serde_json::to_vec_pretty(&list) {
        let _ = std::fs::create_dir_all(data_dir);
        let _ = crate::fsutil::write_atomic(&recent_file(data_dir), &json);
    }
}

/// Whether the welcome screen is due: nothing open, nothing loading.
pub fn due(app: &CartoSolApp) -> bool {
    app.ws.zones.is_empty() && app.ws.points.is_empty() && app.ws.path.is_none() && !app.loading()
}

/// The welcome screen, over the (empty) map.
pub fn welcome_ui(
    app: &CartoSolApp,
    state: &mut UiState,
    out: &mut Vec<Command>,
    ctx: &egui::Context,
) {
    egui::Window::new("Bienvenue dans CartoSol")
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
        .default_width(460.0)
        .show(ctx, |ui| {
            ui.label(
                "Diagnostic territorial du Pacte local des solidarités : besoins sociaux et \
                 offre de services publics, par commune et par EPCI.",
            );
            ui.add_space(8.0);
            if ui
                .button("Ouvrir un projet ou un fichier… (Ctrl+O)")
                .on_hover_text("Un projet *.cartosol.json, ou des zones, des points, une table")
                .clicked()
            {
                state.dialog = Dialog::open_file(Purpose::Open);
            }
            if ui
                .button("Projet d'exemple (Essonne)")
                .on_hover_text(
                    "Les communes et EPCI de l'Essonne, un panorama de pauvreté et des points \
                     de service FICTIFS",
                )
                .clicked()
            {
                match crate::bundled::find_sample_project() {
                    Ok(path) => out.push(Command::Open(path)),
                    Err(e) => state.dialog = Dialog::Error(e.to_string()),
                }
            }
            if ui
                .button("Nouveau projet à partir de fichiers…")
                .on_hover_text(
                    "Ajoutez des zones (Shapefile, GeoJSON, GeoPackage), puis des points ou \
                     des tables ; enregistrez ensuite le projet",
                )
                .clicked()
            {
                state.dialog = Dialog::open_file(Purpose::AddLayer);
            }
            let recent = recent_projects(app.data_dir());
            if !recent.is_empty() {
                ui.separator();
                ui.label("Projets récents");
                for path in recent {
                    let name = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    if ui
                        .link(name)
                        .on_hover_text(path.display().to_string())
                        .clicked()
                    {
                        out.push(Command::Open(path));
                    }
                }
            }
        });
}
