//! The right panel: the selected zone against the département (bars), its services by theme,
//! or the selected point's attributes; indicators by their labels (dictionary), codes on hover.

use crate::app::display::display_value;
use crate::app::{CartoSolApp, Command};
use crate::dictionary::label_of;
use crate::value::Value;
use egui::{Color32, RichText, Ui};

/// The width of the indicators' label column, points.
const LABEL_WIDTH: f32 = 190.0;

/// The right panel: the selected zone against the département, and its services by theme.
pub fn selection_panel(app: &CartoSolApp, out: &mut Vec<Command>, ui: &mut Ui) {
    if app.selected_zone.is_none() && app.selected_point.is_none() {
        return;
    }
    egui::Panel::right("selection")
        .default_size(340.0)
        .resizable(true)
        .show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                if let Some((layer, point)) = app.selected_point {
                    point_details(app, out, ui, layer, point);
                } else if let Some((layer, zone)) = app.selected_zone {
                    zone_details(app, out, ui, layer, zone);
                }
            });
        });
}

fn point_details(
    app: &CartoSolApp,
    out: &mut Vec<Command>,
    ui: &mut Ui,
    layer: usize,
    point: usize,
) {
    let Some(p) = app.ws.points.get(layer) else {
        return;
    };
    ui.heading(p.point_name(point));
    egui::Grid::new("details-point")
        .striped(true)
        .show(ui, |ui| {
            for f in &p.layer.attributes.fields {
                if let Some(v) = f.values.get(point) {
                    ui.label(label_of(&app.ws.file.dictionary, &f.name))
                        .on_hover_text(&f.name);
                    ui.label(display_value(v));
                    ui.end_row();
                }
            }
        });
    if ui.button("Fermer la fiche").clicked() {
        out.push(Command::SelectPoint(None));
    }
}

fn zone_details(app: &CartoSolApp, out: &mut Vec<Command>, ui: &mut Ui, layer: usize, zone: usize) {
    let Some(z) = app.ws.zones.get(layer) else {
        return;
    };
    ui.heading(z.zone_name(zone));
    ui.label(format!("Code : {}", z.zone_code(zone)));
    if ui.button("Fermer la fiche").clicked() {
        out.push(Command::SelectZone {
            target: None,
            frame: false,
        });
    }
    ui.separator();
    ui.label(RichText::new("Indicateurs (zone / ensemble du territoire)").strong());
    let reference = app.ws.references.get(layer);
    let fields: Vec<_> = z
        .layer
        .attributes
        .fields
        .iter()
        .filter(|f| f.kind == crate::model::FieldKind::Number)
        .collect();
    egui::Grid::new("indicateurs-zone")
        .num_columns(3)
        .striped(true)
        .show(ui, |ui| {
            for f in fields {
                let Some(v) = f.values.get(zone) else {
                    continue;
                };
                let reference_value = reference.and_then(|r| r.values.get(&f.name));
                let highlighted = app
                    .choropleth
                    .as_ref()
                    .is_some_and(|c| c.indicator == f.name);
                // The indicator by its label (dictionary), its code on hover.
                let label = label_of(&app.ws.file.dictionary, &f.name);
                let name = if highlighted {
                    RichText::new(label).strong()
                } else {
                    RichText::new(label)
                };
                // A column of fixed width, long labels cut with « … » (whole on hover).
                ui.allocate_ui_with_layout(
                    egui::vec2(LABEL_WIDTH, ui.spacing().interact_size.y),
                    egui::Layout::left_to_right(egui::Align::Center),
                    |ui| {
                        ui.set_min_width(LABEL_WIDTH);
                        ui.add(egui::Label::new(name).truncate()).on_hover_text(
                            crate::dictionary::label_with_code(&app.ws.file.dictionary, &f.name),
                        );
                    },
                );
                ui.label(format!(
                    "{} / {}",
                    display_value(v),
                    reference_value
                        .map(display_value)
                        .unwrap_or_else(|| "—".to_owned())
                ));
                comparison_bar(
                    ui,
                    v.as_f64(),
                    reference_value.and_then(Value::as_f64),
                    reference_value.is_some() && is_additive(app, layer, &f.name),
                );
                ui.end_row();
            }
        });
    ui.separator();
    ui.label(RichText::new("Services dans la zone").strong());
    for (pl_index, p) in app.ws.points.iter().enumerate() {
        let Some(membership) = p.zone_of.get(layer) else {
            continue;
        };
        for (ti, theme) in p.themes.iter().enumerate() {
            let members: Vec<usize> = membership
                .iter()
                .enumerate()
                .filter(|(i, z)| **z == Some(zone) && p.theme_of.get(*i) == Some(&ti))
                .map(|(i, _)| i)
                .collect();
            if members.is_empty() {
                continue;
            }
            egui::CollapsingHeader::new(format!("{} : {}", theme.name, members.len()))
                .id_salt(("services", pl_index, ti))
                .show(ui, |ui| {
                    for i in members {
                        if ui.link(p.point_name(i)).clicked() {
                            out.push(Command::SelectPoint(Some((pl_index, i))));
                        }
                    }
                });
        }
    }
}

/// Whether the reference of a field is a sum (then the zone is a share of it, no bar scale).
fn is_additive(app: &CartoSolApp, layer: usize, field: &str) -> bool {
    app.ws
        .references
        .get(layer)
        .and_then(|r| r.methods.get(field))
        .is_some_and(|m| *m == crate::aggregate::Method::Sum)
}

/// Two bars, zone (orange) and reference (grey), on a common scale; for counts the zone's share.
fn comparison_bar(ui: &mut Ui, value: Option<f64>, reference: Option<f64>, additive: bool) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(90.0, 14.0), egui::Sense::hover());
    let (Some(v), Some(r)) = (value, reference) else {
        return;
    };
    let painter = ui.painter();
    let (a, b) = if additive {
        (v / r.max(1e-12), 1.0)
    } else {
        let m = v.abs().max(r.abs()).max(1e-12);
        (v / m, r / m)
    };
    let bar = |frac: f64, top: f32, color: Color32| {
        let w = (frac.clamp(0.0, 1.0) as f32) * rect.width();
        painter.rect_filled(
            egui::Rect::from_min_size(rect.min + egui::vec2(0.0, top), egui::vec2(w, 6.0)),
            1.0,
            color,
        );
    };
    bar(a, 0.0, Color32::from_rgb(230, 120, 30));
    bar(b, 7.0, Color32::from_rgb(150, 150, 150));
}
