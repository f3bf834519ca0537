//! The error dialog: a message in French and OK.

use crate::app::dialogs::Dialog;
use egui::Context;

/// Shows the error; returns the dialog for the next frame.
pub fn show(ctx: &Context, message: String) -> Dialog {
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
