//! *Facteurs et situations sensibles*: the factor fields, N and the z threshold, and the list of
//! sensitive local situations; a click on a zone selects and frames it on the map.

use super::{DiagCommand, error_label, field_picker};
use crate::app::{CartoSolApp, Command};
use crate::dictionary::label_of;
use crate::value::format_number;

fn fmt(x: f64) -> String {
    format_number((x * 100.0).round() / 100.0)
}

/// The *Facteurs et situations sensibles* part of the window.
pub fn ui(
    app: &CartoSolApp,
    layer: usize,
    fields: &[String],
    ui: &mut egui::Ui,
    out: &mut Vec<Command>,
) {
    let d = &app.diagnostic;
    let dict = &app.ws.file.dictionary;
    ui.label("Facteurs aggravants :");
    field_picker(
        ui,
        "diag-facteurs",
        fields,
        &d.factor_fields,
        dict,
        DiagCommand::SetFactorFields,
        out,
    );
    ui.horizontal(|ui| {
        let mut n = d.min_flags;
        ui.label("Indicateurs signalés au moins (N) :");
        if ui.add(egui::DragValue::new(&mut n).range(1..=20)).changed() {
            out.push(Command::Diagnostic(DiagCommand::SetMinFlags(n)));
        }
        let mut z = d.z_threshold;
        ui.label("Seuil du score z robuste :");
        if ui
            .add(egui::DragValue::new(&mut z).range(0.5..=10.0).speed(0.1))
            .changed()
        {
            out.push(Command::Diagnostic(DiagCommand::SetZThreshold(z)));
        }
    });
    ui.label(egui::RichText::new(format!("Règle : {}.", d.flag_rule().describe())).small());
    super::smoothing_picker(ui, d.factor_smoothing, DiagCommand::SetFactorSmoothing, out);
    let run = match &d.situations {
        None => return,
        Some(Err(e)) => return error_label(ui, e),
        Some(Ok(run)) => run,
    };
    for note in &run.notes {
        ui.label(egui::RichText::new(format!("Note : {note}")).small());
    }
    ui.horizontal(|ui| {
        ui.label("Facteur de la carte « facteur » :");
        let shown = run
            .factors
            .iter()
            .find(|f| f.field == d.factor_shown)
            .or_else(|| run.factors.first())
            .map(|f| f.field.clone())
            .unwrap_or_default();
        egui::ComboBox::from_id_salt("diag-facteur-carte")
            .selected_text(label_of(dict, &shown))
            .show_ui(ui, |ui| {
                for f in &run.factors {
                    if ui
                        .selectable_label(f.field == shown, label_of(dict, &f.field))
                        .clicked()
                    {
                        out.push(Command::Diagnostic(DiagCommand::ShowFactor(
                            f.field.clone(),
                        )));
                        out.push(Command::Diagnostic(DiagCommand::ShowMap(
                            super::DiagMap::Factor,
                        )));
                    }
                }
            });
    });
    let Some(zl) = app.ws.zones.get(layer) else {
        return;
    };
    ui.strong(format!(
        "Situations locales sensibles : {} zone(s)",
        run.situations.len()
    ));
    egui::ScrollArea::vertical()
        .id_salt("diag-situations")
        .max_height(260.0)
        .show(ui, |ui| {
            egui::Grid::new("diag-situations-grid")
                .striped(true)
                .show(ui, |ui| {
                    ui.strong("Zone");
                    ui.strong("Indicateur");
                    ui.strong("Valeur");
                    ui.strong("Département");
                    ui.strong("z robuste");
                    ui.end_row();
                    for s in &run.situations {
                        let name =
                            format!("{} ({} indicateurs)", zl.zone_name(s.row), s.flags.len());
                        for (k, flag) in s.flags.iter().enumerate() {
                            if k == 0 {
                                let selected = app.selected_zone == Some((layer, s.row));
                                if ui
                                    .selectable_label(selected, &name)
                                    .on_hover_text("Sélectionner et cadrer la zone")
                                    .clicked()
                                {
                                    out.push(Command::SelectZone {
                                        target: Some((layer, s.row)),
                                        frame: true,
                                    });
                                }
                            } else {
                                ui.label("");
                            }
                            let Some(f) = run.factors.get(flag.factor) else {
                                ui.end_row();
                                continue;
                            };
                            ui.label(label_of(dict, &f.field)).on_hover_text(&f.field);
                            ui.label(fmt(flag.value));
                            ui.label(f.reference.map_or("—".to_owned(), fmt));
                            ui.label(flag.z.map_or("—".to_owned(), fmt));
                            ui.end_row();
                        }
                    }
                });
        });
}
