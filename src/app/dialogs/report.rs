//! The report of an export: what was written, and what the secrecy guard masked and why.

use crate::app::dialogs::Dialog;
use egui::Context;

/// Shows the report; returns the dialog for the next frame.
pub fn show(ctx: &Context, title: String, text: String) -> Dialog {
    let mut open = true;
    egui::Window::new(title.as_str())
        .collapsible(false)
        .resizable(true)
        .default_width(560.0)
        .show(ctx, |ui| {
            egui::ScrollArea::vertical()
                .max_height(480.0)
                .show(ui, |ui| {
                    for line in text.lines() {
                        ui.label(line);
                    }
                });
            if ui.button("OK").clicked() {
                open = false;
            }
        });
    if open {
        Dialog::Report { title, text }
    } else {
        Dialog::None
    }
}
