//! The status line: job progress (with cancel), export in progress, basemap status, pointer
//! position.

use crate::app::{CartoSolApp, Command};
use egui::Ui;

/// The status line: job progress (with cancel), basemap status, pointer position.
pub fn status_bar(app: &CartoSolApp, out: &mut Vec<Command>, ui: &mut Ui) {
    egui::Panel::bottom("barre-d-etat").show(ui, |ui| {
        ui.horizontal(|ui| {
            if let Some(job) = &app.job {
                ui.spinner();
                let label = job
                    .progress
                    .label
                    .lock()
                    .map(|l| l.clone())
                    .unwrap_or_default();
                // The step in the bar (« Ouverture : 2 couche(s) sur 4… »), the file beside it:
                // a long path never hides how far the opening is.
                ui.add(
                    egui::ProgressBar::new(job.progress.fraction())
                        .desired_width(220.0)
                        .text(label),
                );
                ui.label(&job.label)
                    .on_hover_text(job.path.display().to_string());
                if ui.button("Annuler").clicked() {
                    out.push(Command::CancelJob);
                }
                ui.separator();
            } else if let Some((label, _)) = &app.export_job {
                ui.spinner();
                ui.label(format!("{label}…"));
                ui.separator();
            } else if !app.status.is_empty() {
                ui.label(&app.status);
                ui.separator();
            }
            ui.label(app.basemap.status());
            if let Some((lon, lat)) = app.map_out.pointer {
                ui.separator();
                ui.label(format!("{lat:.5} N, {lon:.5} E"));
            }
        });
    });
}
