//! Saving the project under another name.

use crate::app::Command;
use crate::app::dialogs::Dialog;
use egui::Context;
use std::path::PathBuf;

/// Shows the dialog; returns the dialog for the next frame.
pub fn show(ctx: &Context, mut text: String, out: &mut Vec<Command>) -> Dialog {
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
                if ui
                    .button("Enregistrer")
                    .on_hover_text("Écrit le projet (*.cartosol.json) ; les fichiers de données restent où ils sont, référencés par leur chemin")
                    .clicked() {
                    let mut path = PathBuf::from(text.trim());
                    if !path.to_string_lossy().ends_with(".cartosol.json") {
                        path = PathBuf::from(format!("{}.cartosol.json", path.display()));
                    }
                    out.push(Command::SaveAs(path));
                    state = None;
                }
                if ui
                    .button("Annuler")
                    .on_hover_text("Ferme sans enregistrer")
                    .clicked() {
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
