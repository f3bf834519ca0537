//! The attribute table of the choropleth layer: sorting, filtering, linked selection. Column
//! headers show the indicators' labels from the dictionary, their codes on hover.

use crate::app::display::display_value;
use crate::app::{CartoSolApp, Command, UiState};
use crate::dictionary::label_of;
use crate::value::ValueRef;
use egui::{RichText, Ui};

/// What the table's row order depends on: layer, rows, sort, filter, columns.
type TableKey = (usize, usize, Option<(String, bool)>, String, usize);

/// State of the attribute table.
#[derive(Default)]
pub struct TableState {
    /// Whether the table is shown (`Afficher la table attributaire`, Ctrl+T).
    pub visible: bool,
    /// The `Filtrer les lignes…` text: rows where some value contains it, ignoring case.
    pub filter: String,
    /// Sorted column and direction (true = ascending).
    pub sort: Option<(String, bool)>,
    /// Row (zone index) to bring into view.
    pub scroll_to: Option<usize>,
    cache_key: Option<TableKey>,
    rows: Vec<usize>,
}

/// The attribute table of the choropleth layer: sorting, filtering, linked selection.
pub fn table_panel(app: &CartoSolApp, state: &mut UiState, out: &mut Vec<Command>, ui: &mut Ui) {
    if !state.table.visible {
        return;
    }
    let Some(layer) = app.ws.choropleth_layer() else {
        return;
    };
    egui::Panel::bottom("table-attributaire")
        .default_size(230.0)
        .resizable(true)
        .show(ui, |ui| {
            let Some(z) = app.ws.zones.get(layer) else {
                return;
            };
            let table = &z.layer.attributes;
            ui.horizontal(|ui| {
                ui.label(RichText::new(format!("Table — {}", z.spec.name)).strong());
                ui.add(
                    egui::TextEdit::singleline(&mut state.table.filter)
                        .hint_text("Filtrer les lignes…")
                        .desired_width(200.0),
                );
                ui.label(format!("{} lignes", state.table.rows.len()));
            });
            let key = (
                layer,
                table.len(),
                state.table.sort.clone(),
                state.table.filter.clone(),
                table.fields.len(),
            );
            if state.table.cache_key.as_ref() != Some(&key) {
                let needle = state.table.filter.to_lowercase();
                let mut rows: Vec<usize> = (0..table.len())
                    .filter(|&r| {
                        needle.is_empty()
                            || table.fields.iter().any(|f| {
                                f.values
                                    .get(r)
                                    .is_some_and(|v| v.to_string().to_lowercase().contains(&needle))
                            })
                    })
                    .collect();
                if let Some((name, ascending)) = &state.table.sort
                    && let Some(f) = table.field(name)
                {
                    rows.sort_by(|&a, &b| {
                        let (va, vb) = (f.values.get(a), f.values.get(b));
                        let ord =
                            match (va.and_then(ValueRef::as_f64), vb.and_then(ValueRef::as_f64)) {
                                (Some(x), Some(y)) => x.total_cmp(&y),
                                (Some(_), None) => std::cmp::Ordering::Less,
                                (None, Some(_)) => std::cmp::Ordering::Greater,
                                (None, None) => {
                                    va.map(|v| v.to_string()).cmp(&vb.map(|v| v.to_string()))
                                }
                            };
                        if *ascending { ord } else { ord.reverse() }
                    });
                }
                state.table.rows = rows;
                state.table.cache_key = Some(key);
            }
            let name_field = z.spec.name_field.clone();
            let columns: Vec<String> = std::iter::once(name_field.clone())
                .chain(
                    table
                        .fields
                        .iter()
                        .map(|f| f.name.clone())
                        .filter(|n| *n != name_field),
                )
                .collect();
            let widths: Vec<f32> = columns
                .iter()
                .enumerate()
                .map(|(i, _)| if i == 0 { 220.0 } else { 150.0 })
                .collect();
            let row_height = 20.0;
            let mut clicked: Option<usize> = None;
            let mut sort_by: Option<String> = None;
            egui::ScrollArea::horizontal().show(ui, |ui| {
                ui.horizontal(|ui| {
                    for (c, w) in columns.iter().zip(&widths) {
                        let arrow = match &state.table.sort {
                            Some((n, true)) if n == c => " (croissant)",
                            Some((n, false)) if n == c => " (décroissant)",
                            _ => "",
                        };
                        // The column's label from the dictionary; its code on hover.
                        let label = label_of(&app.ws.file.dictionary, c);
                        let hover = if label == c {
                            format!("{c} — trier")
                        } else {
                            format!("{c} : {label} — trier")
                        };
                        if ui
                            .add_sized(
                                [*w, row_height],
                                egui::Button::new(format!("{label}{arrow}")).truncate(),
                            )
                            .on_hover_text(hover)
                            .clicked()
                        {
                            sort_by = Some(c.clone());
                        }
                    }
                });
                let rows = state.table.rows.clone();
                let selected = app
                    .selected_zone
                    .filter(|(l, _)| *l == layer)
                    .map(|(_, z)| z);
                let scroll_to = state.table.scroll_to.take();
                let mut area = egui::ScrollArea::vertical().auto_shrink([false, false]);
                if let Some(target) = scroll_to
                    && let Some(pos) = rows.iter().position(|r| *r == target)
                {
                    area = area.vertical_scroll_offset(
                        pos as f32 * (row_height + ui.spacing().item_spacing.y),
                    );
                }
                area.show_rows(ui, row_height, rows.len(), |ui, range| {
                    for &r in rows.get(range).unwrap_or_default() {
                        ui.horizontal(|ui| {
                            for (ci, (c, w)) in columns.iter().zip(&widths).enumerate() {
                                let text = table
                                    .field(c)
                                    .and_then(|f| f.values.get(r))
                                    .map(display_value)
                                    .unwrap_or_default();
                                if ci == 0 {
                                    if ui
                                        .add_sized(
                                            [*w, row_height],
                                            egui::Button::selectable(selected == Some(r), text)
                                                .truncate(),
                                        )
                                        .clicked()
                                    {
                                        clicked = Some(r);
                                    }
                                } else {
                                    ui.add_sized(
                                        [*w, row_height],
                                        egui::Label::new(text).truncate(),
                                    );
                                }
                            }
                        });
                    }
                });
            });
            if let Some(c) = sort_by {
                state.table.sort = match &state.table.sort {
                    Some((n, true)) if *n == c => Some((c, false)),
                    _ => Some((c, true)),
                };
            }
            if let Some(r) = clicked {
                out.push(Command::SelectZone {
                    target: Some((layer, r)),
                    frame: true,
                });
            }
        });
}
