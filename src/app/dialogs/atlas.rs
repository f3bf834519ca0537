//! Writing the atlas (one map per zone) into a folder.

use crate::app::Command;
use crate::app::dialogs::Dialog;
use egui::Context;
use std::path::PathBuf;

/// Shows the dialog; returns the dialog for the next frame.
pub fn show(ctx: &Context, mut text: String, out: &mut Vec<Command>) -> Dialog {
    let mut state = Some(());
    egui::Window::new("Atlas : une carte par zone")
        .collapsible(false)
        .show(ctx, |ui| {
            ui.label("Dossier de destination :");
            ui.add(egui::TextEdit::singleline(&mut text).desired_width(420.0))
                .on_hover_text("Dossier où écrire les cartes de l'atlas");
            ui.horizontal(|ui| {
                if ui
                    .button("Écrire l'atlas")
                    .on_hover_text("Une carte par EPCI dans ce dossier, avec un index ; le dossier est créé s'il n'existe pas")
                    .clicked() {
                    out.push(Command::ExportAtlas(PathBuf::from(text.trim())));
                    state = None;
                }
                if ui
                    .button("Annuler")
                    .on_hover_text("Ferme sans rien écrire")
                    .clicked() {
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
