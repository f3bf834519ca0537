//! Exporting the map as shown (PNG, SVG), with a page preset.

use crate::app::Command;
use crate::app::dialogs::Dialog;
use crate::export::map::Preset;
use egui::Context;
use std::path::PathBuf;

/// Shows the dialog; returns the dialog for the next frame.
pub fn show(ctx: &Context, mut text: String, mut preset: Preset, out: &mut Vec<Command>) -> Dialog {
    let mut state = Some(());
    egui::Window::new("Exporter la carte")
        .collapsible(false)
        .show(ctx, |ui| {
            ui.label("La carte est exportée telle qu'affichée : indicateur, classes, cadrage.");
            egui::ComboBox::from_label("Format de page")
                .selected_text(preset_label(preset))
                .show_ui(ui, |ui| {
                    for p in [Preset::A4Landscape, Preset::A4Portrait, Preset::Slide] {
                        ui.selectable_value(&mut preset, p, preset_label(p));
                    }
                })
                .response
                .on_hover_text("A4 paysage ou portrait pour un rapport (titre, légende, sources, échelle), diapositive 16:9 pour le comité");
            ui.add(
                egui::TextEdit::singleline(&mut text)
                    .hint_text("carte.png ou carte.svg")
                    .desired_width(420.0),
            )
            .on_hover_text("Fichier écrit : .png pour une image, .svg pour un dessin retouchable (Inkscape, Illustrator)");
            ui.horizontal(|ui| {
                if ui
                    .button("Exporter")
                    .on_hover_text("Écrit l'image (PNG) ou le dessin vectoriel (SVG) selon l'extension du fichier")
                    .clicked() {
                    out.push(Command::ExportMap(PathBuf::from(text.trim()), preset));
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
        Dialog::ExportMap(text, preset)
    } else {
        Dialog::None
    }
}

/// The French name of a page preset.
pub fn preset_label(p: Preset) -> String {
    match p {
        Preset::A4Landscape => "A4 paysage, 300 dpi".to_owned(),
        Preset::A4Portrait => "A4 portrait, 300 dpi".to_owned(),
        Preset::Slide => "Diapositive 1920 × 1080".to_owned(),
        Preset::Custom {
            width_px,
            height_px,
        } => format!("{width_px} × {height_px} px"),
    }
}
