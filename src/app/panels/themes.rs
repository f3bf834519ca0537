//! The point themes of the left panel (symbol, count, visibility). The drawing is kept as it
//! was in `panels.rs`; only the command sink changed.

use crate::app::map_view::symbol_shape;
use crate::app::{CartoSolApp, Command};
use egui::{Color32, Ui};

/// The themes of each point layer, with their symbol, count and visibility.
pub fn themes_ui(app: &CartoSolApp, out: &mut Vec<Command>, ui: &mut Ui) {
    for (li, p) in app.ws.points.iter().enumerate() {
        ui.heading(p.style.label.clone().unwrap_or_else(|| p.spec.name.clone()));
        for (ti, t) in p.themes.iter().enumerate() {
            ui.horizontal(|ui| {
                let (rect, _) =
                    ui.allocate_exact_size(egui::vec2(16.0, 16.0), egui::Sense::hover());
                let mut shapes = Vec::new();
                symbol_shape(
                    t.shape,
                    rect.center(),
                    5.5,
                    Color32::from_rgb(t.color[0], t.color[1], t.color[2]),
                    &mut shapes,
                );
                ui.painter().extend(shapes);
                let mut visible = t.visible;
                let label = if t.unpositioned > 0 {
                    format!(
                        "{} ({}, dont {} sans position)",
                        t.name, t.count, t.unpositioned
                    )
                } else {
                    format!("{} ({})", t.name, t.count)
                };
                if ui.checkbox(&mut visible, label).changed() {
                    out.push(Command::ToggleTheme {
                        layer: li,
                        theme: ti,
                    });
                }
            });
        }
    }
}
