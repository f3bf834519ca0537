//! *Autocorrélation (LISA)*: the field, permutations and alpha; run in the background, global
//! Moran's I with its pseudo p-value and the key of the cluster map (GeoDa's colours).

use super::{DiagCommand, KEY_ORDER, error_label, key_row};
use crate::app::{CartoSolApp, Command};
use crate::dictionary::label_of;

/// The text of a cluster's key row with its count, as shown in the window.
pub fn key_text(cluster: crate::analysis::autocorrelation::Cluster, count: usize) -> String {
    format!("{} : {count} zone(s)", cluster.label())
}

/// The *Autocorrélation (LISA)* part of the window.
pub fn ui(app: &CartoSolApp, fields: &[String], ui: &mut egui::Ui, out: &mut Vec<Command>) {
    let d = &app.diagnostic;
    let dict = &app.ws.file.dictionary;
    ui.horizontal(|ui| {
        ui.label("Indicateur :");
        egui::ComboBox::from_id_salt("diag-lisa-champ")
            .selected_text(label_of(dict, &d.lisa_field))
            .show_ui(ui, |ui| {
                for f in fields {
                    if ui
                        .selectable_label(*f == d.lisa_field, label_of(dict, f))
                        .clicked()
                    {
                        out.push(Command::Diagnostic(DiagCommand::SetLisaField(f.clone())));
                    }
                }
            });
    });
    ui.horizontal(|ui| {
        let mut p = d.permutations;
        ui.label("Permutations :");
        if ui
            .add(egui::DragValue::new(&mut p).range(0..=99_999))
            .changed()
        {
            out.push(Command::Diagnostic(DiagCommand::SetPermutations(p)));
        }
        let mut a = d.alpha;
        ui.label("Seuil de significativité :");
        if ui
            .add(egui::DragValue::new(&mut a).range(0.001..=0.5).speed(0.001))
            .changed()
        {
            out.push(Command::Diagnostic(DiagCommand::SetAlpha(a)));
        }
    });
    super::smoothing_picker(ui, d.lisa_smoothing, DiagCommand::SetLisaSmoothing, out);
    ui.horizontal(|ui| {
        let running = d.lisa_running();
        if ui
            .add_enabled(!running, egui::Button::new("Calculer LISA"))
            .clicked()
        {
            out.push(Command::Diagnostic(DiagCommand::RunLisa));
        }
        if running {
            ui.spinner();
            ui.label("Calcul en cours…");
        }
    });
    let run = match &d.lisa {
        None => return,
        Some(Err(e)) => return error_label(ui, e),
        Some(Ok(run)) => run,
    };
    let g = &run.result.global;
    ui.label(format!(
        "I de Moran global de « {} » : {:.4} (espérance {:.4}), pseudo p = {} ({} permutations), \
         contiguïté reine",
        label_of(dict, &run.field),
        g.i,
        g.expected,
        g.p_sim.map_or("—".to_owned(), |p| format!("{p:.3}")),
        g.permutations
    ));
    ui.strong(format!(
        "Carte des regroupements (p ≤ {})",
        crate::value::format_number(run.options.alpha)
    ));
    for (cluster, count) in run.counts() {
        if count > 0 || KEY_ORDER[..5].contains(&cluster) {
            key_row(ui, cluster.colour(), &key_text(cluster, count));
        }
    }
    for note in &run.notes {
        ui.label(egui::RichText::new(format!("Note : {note}")).small());
    }
}
