//! Offering to restore an autosave newer than the project file. Autosaves live in the user's
//! data folder, keyed by the project's path ([`crate::project::autosave_path`]); one is offered
//! only while the project file is still the version it was made from
//! ([`crate::project::recover`]).

use crate::app::Command;
use crate::app::dialogs::Dialog;
use egui::Context;
use std::path::PathBuf;

/// Shows the dialog; returns the dialog for the next frame.
pub fn show(ctx: &Context, path: PathBuf, out: &mut Vec<Command>) -> Dialog {
    let mut state = Some(());
    egui::Window::new("Récupération")
        .collapsible(false)
        .show(ctx, |ui| {
            ui.label(format!(
                "Une sauvegarde automatique de « {} » est plus récente que le fichier enregistré \
             (fermeture inattendue ?). La restaurer ?",
                path.display()
            ));
            ui.label(
                "Restaurée, elle reste à enregistrer (Ctrl+S) ; « Garder le fichier enregistré » \
                 la supprime.",
            );
            ui.horizontal(|ui| {
                if ui
                    .button("Restaurer la sauvegarde automatique")
                    .on_hover_text("Reprend le projet tel qu'il était à la dernière sauvegarde automatique (modifications non enregistrées comprises)")
                    .clicked() {
                    out.push(Command::RestoreAutosave(path.clone()));
                    state = None;
                }
                if ui
                    .button("Garder le fichier enregistré")
                    .on_hover_text("Ouvre le projet tel qu'il a été enregistré ; la sauvegarde automatique est abandonnée")
                    .clicked() {
                    out.push(Command::DiscardAutosave(path.clone()));
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
