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
                ui.add(
                    egui::ProgressBar::new(job.progress.fraction())
                        .desired_width(220.0)
                        .text(format!("{} — {label}", job.label)),
                );
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
