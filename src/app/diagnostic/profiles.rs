//! *Profils*: the profile count fields, the département mix with ranks, the location quotients
//! of each zone and the key of the « profil le plus surreprésenté » map.

use super::{DiagCommand, category_colour, error_label, field_picker, key_row};
use crate::app::{CartoSolApp, Command};
use crate::dictionary::label_of;
use crate::value::format_number;

fn fmt(x: f64, decimals: usize) -> String {
    format_number((x * 10f64.powi(decimals as i32)).round() / 10f64.powi(decimals as i32))
}

/// The *Profils* part of the window.
pub fn ui(app: &CartoSolApp, fields: &[String], ui: &mut egui::Ui, out: &mut Vec<Command>) {
    let d = &app.diagnostic;
    let dict = &app.ws.file.dictionary;
    ui.label("Effectifs des profils de ménages pauvres :");
    field_picker(
        ui,
        "diag-profils",
        fields,
        &d.profile_fields,
        dict,
        DiagCommand::SetProfileFields,
        out,
    );
    let mix = match &d.profiles {
        None => return,
        Some(Err(e)) => return error_label(ui, e),
        Some(Ok(mix)) => mix,
    };
    ui.strong("Profils les plus fréquents du département");
    egui::Grid::new("diag-profils-departement")
        .striped(true)
        .show(ui, |ui| {
            ui.strong("Rang");
            ui.strong("Profil");
            ui.strong("Ménages");
            ui.strong("Part (%)");
            ui.end_row();
            let mut order: Vec<usize> = (0..mix.fields.len()).collect();
            order.sort_by_key(|i| mix.ranks.get(*i).copied().unwrap_or(usize::MAX));
            for i in order {
                let (Some(f), Some(r)) = (mix.fields.get(i), mix.ranks.get(i)) else {
                    continue;
                };
                ui.label(r.to_string());
                ui.label(label_of(dict, f)).on_hover_text(f);
                ui.label(fmt(mix.department_counts.get(i).copied().unwrap_or(0.0), 0));
                ui.label(fmt(
                    mix.department_shares_pct.get(i).copied().unwrap_or(0.0),
                    1,
                ));
                ui.end_row();
            }
        });
    ui.add_space(6.0);
    ui.strong("Carte « profil le plus surreprésenté » (quotient de localisation le plus élevé)");
    for (i, f) in mix.fields.iter().enumerate() {
        let n = mix.zones.iter().filter(|z| z.top == Some(i)).count();
        key_row(
            ui,
            category_colour(i),
            &format!("{} : {n} zone(s)", label_of(dict, f)),
        );
    }
    let left = mix.zones.iter().filter(|z| z.top.is_none()).count();
    if left > 0 {
        key_row(
            ui,
            crate::style::MISSING_COLOR,
            &format!("Non calculé (effectif manquant ou secret) : {left} zone(s)"),
        );
    }
    ui.add_space(6.0);
    ui.strong("Composition des ménages pauvres par zone (%)");
    if let Some((layer, _)) = &d.layer {
        super::charts::profile_bars(app, *layer, mix, ui, out);
    }
    ui.add_space(6.0);
    egui::CollapsingHeader::new("Quotients de localisation par zone")
        .id_salt("diag-lq")
        .show(ui, |ui| {
            let Some(zl) = d.layer.as_ref().and_then(|(i, _)| app.ws.zones.get(*i)) else {
                return;
            };
            egui::ScrollArea::both()
                .id_salt("diag-lq-scroll")
                .max_height(260.0)
                .show(ui, |ui| {
                    egui::Grid::new("diag-lq-grid")
                        .striped(true)
                        .show(ui, |ui| {
                            ui.strong("Zone");
                            for f in &mix.fields {
                                ui.strong(label_of(dict, f)).on_hover_text(f);
                            }
                            ui.end_row();
                            for (row, z) in mix.zones.iter().enumerate() {
                                ui.label(zl.zone_name(row));
                                if let Some(why) = &z.left_out {
                                    ui.label(why);
                                } else {
                                    for (i, q) in z.quotients.iter().enumerate() {
                                        let text = q.map_or("—".to_owned(), |q| fmt(q, 2));
                                        if z.top == Some(i) {
                                            ui.strong(text);
                                        } else {
                                            ui.label(text);
                                        }
                                    }
                                }
                                ui.end_row();
                            }
                        });
                });
        });
}
