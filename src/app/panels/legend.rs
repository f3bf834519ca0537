//! The legend, drawn over the map's lower-left corner. The drawing is kept as it was in
//! `panels.rs`.

use crate::app::CartoSolApp;
use egui::{Color32, RichText, Ui};

/// The legend, drawn over the map's lower-left corner.
pub fn legend_ui(app: &CartoSolApp, ui: &mut Ui, map_rect: egui::Rect) {
    let Some(ch) = &app.choropleth else { return };
    let Ok(classification) = &ch.classification else {
        return;
    };
    egui::Area::new(egui::Id::unique("cartosol-legende"))
        .pivot(egui::Align2::LEFT_BOTTOM)
        .fixed_pos(map_rect.left_bottom() + egui::vec2(10.0, -24.0))
        .show(ui.ctx(), |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                ui.label(RichText::new(&ch.indicator).strong());
                ui.label(RichText::new(ch.spec.method.label()).small());
                let labels = if app.analysis.bivariate_on && app.analysis.gaps.is_some() {
                    Vec::new() // the bivariate key replaces the classes
                } else {
                    classification.labels()
                };
                for (i, label) in labels.iter().enumerate() {
                    ui.horizontal(|ui| {
                        let (rect, _) =
                            ui.allocate_exact_size(egui::vec2(22.0, 14.0), egui::Sense::hover());
                        let c = ch.colors.get(i).copied().unwrap_or([200, 200, 200]);
                        ui.painter()
                            .rect_filled(rect, 0.0, Color32::from_rgb(c[0], c[1], c[2]));
                        let count = classification.counts.get(i).copied().unwrap_or(0);
                        ui.label(format!("{label} ({count})"));
                    });
                }
                if app.analysis.bivariate_on
                    && let Some(g) = &app.analysis.gaps
                {
                    ui.separator();
                    crate::app::analysis_ui::bivariate_key_ui(ui, &ch.indicator, &g.theme);
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
                            egui::Stroke::new(3.0, Color32::from_rgb(200, 0, 60)),
                            egui::StrokeKind::Inside,
                        );
                        ui.label(format!(
                            "{} ({})",
                            g.result.rule_text,
                            g.result.flagged.len()
                        ));
                    });
                }
                for (reason, count) in &ch.missing_counts {
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
            });
        });
}
