//! Renaming a layer.

use crate::app::Command;
use crate::app::dialogs::Dialog;
use crate::app::state::LayerRef;
use egui::Context;

/// Shows the dialog; returns the dialog for the next frame.
pub fn show(ctx: &Context, layer: LayerRef, mut text: String, out: &mut Vec<Command>) -> Dialog {
    let mut state = Some(());
    egui::Window::new("Renommer la couche")
        .collapsible(false)
        .show(ctx, |ui| {
            ui.add(egui::TextEdit::singleline(&mut text).hint_text("Nouveau nom"))
                .on_hover_text("Le nom de la couche dans la légende et les exports");
            ui.horizontal(|ui| {
                if ui
                    .button("Renommer")
                    .on_hover_text("Change le nom affiché de la couche (légende, exports) ; le fichier source n'est pas modifié")
                    .clicked() {
                    out.push(Command::Rename(layer, text.clone()));
                    state = None;
                }
                if ui
                    .button("Annuler")
                    .on_hover_text("Garde le nom actuel")
                    .clicked() {
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
