//! The error dialog: a message in French, what to do about it, and OK.

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
            ui.add_space(6.0);
            ui.label(egui::RichText::new("Que faire ?").strong());
            ui.label(crate::error::next_step(&message));
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
