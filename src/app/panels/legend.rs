//! The legend, drawn over the map's lower-left corner: every row comes from the shared map
//! style's resolved legend (`crate::style::map_style`), as in the exports.

use crate::app::CartoSolApp;
use egui::{Color32, RichText, Ui};

/// The width a long legend title wraps at, points.
const TITLE_WIDTH: f32 = 190.0;

/// The legend, drawn over the map's lower-left corner.
pub fn legend_ui(app: &CartoSolApp, ui: &mut Ui, map_rect: egui::Rect) {
    let Some(ch) = &app.choropleth else { return };
    if ch.classification.is_err() {
        return;
    }
    // Every row comes from the shared map style's legend, as in the exports.
    let legend = &ch.legend;
    egui::Area::new(egui::Id::unique("cartosol-legende"))
        .pivot(egui::Align2::LEFT_BOTTOM)
        .fixed_pos(map_rect.left_bottom() + egui::vec2(10.0, -24.0))
        .show(ui.ctx(), |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                // A diagnostic map replaces the fills: its key replaces the legend.
                if app.diagnostic.map_shown() {
                    app.diagnostic.map_key_ui(ui, &app.ws.file.dictionary);
                    return;
                }
                // The title is the indicator's label (dictionary), its code on hover; a long
                // label wraps so that the legend stays narrow over the map.
                ui.scope(|ui| {
                    ui.set_max_width(TITLE_WIDTH);
                    ui.add(egui::Label::new(RichText::new(&legend.title).strong()).wrap())
                        .on_hover_text(&ch.indicator);
                });
                ui.label(RichText::new(&legend.method).small());
                let classes: &[crate::style::map_style::LegendClass] =
                    if app.analysis.bivariate_on && app.analysis.gaps.is_some() {
                        &[] // the bivariate key replaces the classes
                    } else {
                        &legend.classes
                    };
                for class in classes {
                    ui.horizontal(|ui| {
                        let (rect, _) =
                            ui.allocate_exact_size(egui::vec2(22.0, 14.0), egui::Sense::hover());
                        let [r, g, b] = class.color;
                        ui.painter()
                            .rect_filled(rect, 0.0, Color32::from_rgb(r, g, b));
                        ui.label(format!("{} ({})", class.label, class.count));
                    });
                }
                if app.analysis.bivariate_on
                    && let Some(g) = &app.analysis.gaps
                {
                    ui.separator();
                    crate::app::analysis_ui::bivariate_key_ui(ui, &legend.title, &g.theme);
                }
                if app.analysis.gaps_on
                    && let Some(g) = &app.analysis.gaps
                {
                    ui.separator();
                    ui.horizontal(|ui| {
                        let (rect, _) =
                            ui.allocate_exact_size(egui::vec2(22.0, 14.0), egui::Sense::hover());
                        ui.painter().rect_stroke(
                            rect,
                            0.0,
                            egui::Stroke::new(3.0, {
                                let [r, g, b] = crate::style::map_style::UNDERSERVED_COLOR;
                                Color32::from_rgb(r, g, b)
                            }),
                            egui::StrokeKind::Inside,
                        );
                        ui.label(format!(
                            "{} ({})",
                            g.result.rule_text,
                            g.result.flagged.len()
                        ));
                    });
                }
                for (reason, count) in &legend.missing {
                    ui.horizontal(|ui| {
                        let (rect, _) =
                            ui.allocate_exact_size(egui::vec2(22.0, 14.0), egui::Sense::hover());
                        let uv = egui::Rect::from_min_max(
                            egui::pos2(0.0, 0.0),
                            egui::pos2(22.0 / 8.0, 14.0 / 8.0),
                        );
                        ui.painter().image(app.hatch.id(), rect, uv, Color32::WHITE);
                        ui.label(format!("{} ({count})", reason.label()));
                    });
                }
                if let Some(note) = &ch.secrecy_note {
                    ui.label(RichText::new(note).small());
                }
            });
        });
}
