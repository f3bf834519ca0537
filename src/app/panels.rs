//! The panels around the map: menu bar, layers and choropleth settings (left), selected zone
//! against the département (right), attribute table and status line (bottom), map legend.

use super::basemap::BasemapChoice;
use super::dialogs::{Dialog, Purpose};
use super::map_view::{Hit, symbol_shape};
use super::state::LayerRef;
use super::{CartoSolApp, Command};
use crate::style::ClassMethod;
use crate::style::palette::palettes;
use crate::value::{Value, format_number};
use egui::{Color32, RichText, Ui};

/// What the table's row order depends on: layer, rows, sort, filter, columns.
type TableKey = (usize, usize, Option<(String, bool)>, String, usize);

/// State of the attribute table.
#[derive(Default)]
pub struct TableState {
    pub visible: bool,
    pub filter: String,
    /// Sorted column and direction (true = ascending).
    pub sort: Option<(String, bool)>,
    /// Row (zone index) to bring into view.
    pub scroll_to: Option<usize>,
    cache_key: Option<TableKey>,
    rows: Vec<usize>,
}

/// The tooltip text of what the pointer is over.
pub fn hover_text(app: &CartoSolApp, hit: &Hit) -> String {
    match *hit {
        Hit::Zone { layer, zone } => {
            let Some(z) = app.ws.zones.get(layer) else {
                return String::new();
            };
            let mut text = format!("{} ({})", z.zone_name(zone), z.zone_code(zone));
            if let Some(ch) = app.choropleth.as_ref().filter(|c| c.layer == layer) {
                let value = z
                    .layer
                    .attributes
                    .field(&ch.indicator)
                    .and_then(|f| f.values.get(zone))
                    .map(display_value)
                    .unwrap_or_default();
                text.push_str(&format!("\n{} : {value}", ch.indicator));
                if let Some(Some(r)) = ch.rank.get(zone) {
                    text.push_str(&format!("\nRang : {r} sur {}", ch.ranked));
                }
            }
            text
        }
        Hit::Point { layer, point } => {
            let Some(p) = app.ws.points.get(layer) else {
                return String::new();
            };
            let theme = p
                .theme_of
                .get(point)
                .and_then(|t| p.themes.get(*t))
                .map(|t| t.name.clone())
                .unwrap_or_default();
            format!("{}\n{theme}", p.point_name(point))
        }
    }
}

/// A value as the UI shows it (missing values with their reason).
pub fn display_value(v: &Value) -> String {
    match v {
        Value::Missing(m) => format!("— ({m})"),
        Value::Number(x) => format_number((x * 100.0).round() / 100.0),
        Value::Text(t) => t.clone(),
    }
}

/// The menu bar.
pub fn top_bar(app: &mut CartoSolApp, ui: &mut Ui) {
    egui::Panel::top("barre-de-menus").show(ui, |ui| {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("Fichier", |ui| {
                if ui
                    .button("Ouvrir un projet ou un fichier… (Ctrl+O)")
                    .clicked()
                {
                    app.dialog = Dialog::open_file(Purpose::Open);
                    ui.close();
                }
                if ui.button("Ajouter une couche…").clicked() {
                    app.dialog = Dialog::open_file(Purpose::AddLayer);
                    ui.close();
                }
                if ui.button("Importer une table et la joindre…").clicked() {
                    app.dialog = Dialog::open_file(Purpose::ImportTable);
                    ui.close();
                }
                if ui.button("Parcourir (navigateur intégré)…").clicked() {
                    app.dialog = Dialog::browser(Purpose::Open);
                    ui.close();
                }
                ui.separator();
                if ui.button("Enregistrer le projet (Ctrl+S)").clicked() {
                    app.send(Command::Save);
                    ui.close();
                }
                if ui.button("Enregistrer sous…").clicked() {
                    app.dialog = Dialog::SaveAs("projet.cartosol.json".to_owned());
                    ui.close();
                }
                if ui.button("Exporter la carte (PNG, SVG)…").clicked() {
                    let name = format!("carte_{}.png", app.ws.file.map.indicator);
                    app.dialog = Dialog::ExportMap(name, crate::export::map::Preset::A4Landscape);
                    ui.close();
                }
                if ui.button("Atlas : une carte par zone…").clicked() {
                    app.dialog = Dialog::Atlas("atlas".to_owned());
                    ui.close();
                }
                ui.separator();
                if ui.button("Rouvrir le projet d'exemple (Essonne)").clicked() {
                    app.send(Command::Open(crate::project::SAMPLE_PROJECT.into()));
                    ui.close();
                }
            });
            ui.menu_button("Fond de carte", |ui| {
                for choice in [BasemapChoice::Osm, BasemapChoice::None] {
                    let selected = app.basemap.choice == choice;
                    if ui.selectable_label(selected, choice.label()).clicked() {
                        app.send(Command::SetBasemap(choice));
                        ui.close();
                    }
                }
                if ui.button("Fichier PMTiles local (hors ligne)…").clicked() {
                    app.dialog = Dialog::open_file(Purpose::Pmtiles);
                    ui.close();
                }
            });
            ui.menu_button("Affichage", |ui| {
                if ui.button("Cadrer sur les zones (Début)").clicked() {
                    app.send(Command::FrameAll);
                    ui.close();
                }
                let label = if app.table.visible {
                    "Masquer la table attributaire (Ctrl+T)"
                } else {
                    "Afficher la table attributaire (Ctrl+T)"
                };
                if ui.button(label).clicked() {
                    app.table.visible = !app.table.visible;
                    ui.close();
                }
            });
            ui.menu_button("Aide", |ui| {
                if ui.button("Raccourcis et interactions").clicked() {
                    app.dialog = Dialog::Shortcuts;
                    ui.close();
                }
            });
            ui.separator();
            ui.label(RichText::new(&app.ws.file.title).strong());
        });
    });
}

/// The status line: job progress (with cancel), basemap status, pointer position.
pub fn status_bar(app: &mut CartoSolApp, ui: &mut Ui) {
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
                    app.send(Command::CancelJob);
                }
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

/// The left panel: layers, choropleth settings and point themes.
pub fn layers_panel(app: &mut CartoSolApp, ui: &mut Ui) {
    egui::Panel::left("couches")
        .default_size(310.0)
        .resizable(true)
        .show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                ui.heading("Couches");
                let order = app.ws.order.clone();
                for (pos, layer) in order.iter().enumerate() {
                    layer_row(app, ui, *layer, pos, order.len());
                }
                if order.is_empty() {
                    ui.label(
                        "Aucune couche : ouvrez un projet ou déposez un fichier sur la fenêtre.",
                    );
                }
                ui.separator();
                choropleth_ui(app, ui);
                ui.separator();
                super::analysis_ui::tools_ui(app, ui);
                ui.separator();
                themes_ui(app, ui);
            });
        });
}

fn layer_row(app: &mut CartoSolApp, ui: &mut Ui, layer: LayerRef, pos: usize, count: usize) {
    let name = app.ws.layer_name(layer);
    let Some(style) = app.ws.style(layer).cloned() else {
        return;
    };
    ui.horizontal(|ui| {
        let mut visible = style.visible;
        let response = ui.checkbox(&mut visible, name.as_str());
        if response.changed() {
            app.send(Command::ToggleLayer(layer));
        }
        // Right click: rename, remove.
        response.context_menu(|ui| {
            if ui.button(format!("Renommer {name}")).clicked() {
                app.dialog = Dialog::Rename(layer, name.clone());
                ui.close();
            }
            if ui.button(format!("Retirer {name}")).clicked() {
                app.send(Command::Remove(layer));
                ui.close();
            }
        });
    });
    ui.horizontal(|ui| {
        ui.add_space(20.0);
        if ui
            .add_enabled(pos > 0, egui::Button::new("Monter").small())
            .on_hover_text(format!("Monter {name}"))
            .clicked()
        {
            app.send(Command::MoveLayer(layer, -1));
        }
        if ui
            .add_enabled(pos + 1 < count, egui::Button::new("Descendre").small())
            .on_hover_text(format!("Descendre {name}"))
            .clicked()
        {
            app.send(Command::MoveLayer(layer, 1));
        }
        let mut opacity = style.opacity;
        if ui
            .add(
                egui::Slider::new(&mut opacity, 0.0..=1.0)
                    .show_value(false)
                    .text("Opacité"),
            )
            .on_hover_text(format!("Opacité de {name}"))
            .changed()
        {
            app.send(Command::SetOpacity(layer, opacity));
        }
    });
}

fn choropleth_ui(app: &mut CartoSolApp, ui: &mut Ui) {
    ui.heading("Carte thématique");
    let Some(layer) = app.ws.choropleth_layer() else {
        ui.label("Aucune couche de zones.");
        return;
    };
    // Zone layer of the choropleth.
    let current = app
        .ws
        .zones
        .get(layer)
        .map(|z| z.spec.name.clone())
        .unwrap_or_default();
    egui::ComboBox::from_label("Zones")
        .selected_text(current)
        .show_ui(ui, |ui| {
            for (i, z) in app.ws.zones.iter().enumerate() {
                if ui.selectable_label(i == layer, &z.spec.name).clicked() {
                    let indicator = app.ws.file.map.indicator.clone();
                    app.pending.push(Command::SetIndicator {
                        layer: i,
                        indicator,
                    });
                }
            }
        });
    let fields = super::choropleth::indicators(&app.ws, layer);
    egui::ComboBox::from_label("Indicateur")
        .selected_text(app.ws.file.map.indicator.clone())
        .height(400.0)
        .show_ui(ui, |ui| {
            for f in &fields {
                if ui
                    .selectable_label(*f == app.ws.file.map.indicator, f)
                    .clicked()
                {
                    app.pending.push(Command::SetIndicator {
                        layer,
                        indicator: f.clone(),
                    });
                }
            }
        });
    let spec = app.ws.file.map.classification.clone();
    egui::ComboBox::from_label("Méthode")
        .selected_text(spec.method.label())
        .show_ui(ui, |ui| {
            for m in ClassMethod::ALL {
                if ui.selectable_label(m == spec.method, m.label()).clicked() {
                    app.pending.push(Command::SetMethod(m));
                }
            }
        });
    let mut classes = spec.classes;
    let fixed = matches!(spec.method, ClassMethod::BoxMap);
    if ui
        .add_enabled(
            !fixed,
            egui::Slider::new(&mut classes, 3..=9).text("Classes"),
        )
        .changed()
    {
        app.send(Command::SetClasses(classes));
    }
    egui::ComboBox::from_label("Palette")
        .selected_text(spec.palette.clone())
        .show_ui(ui, |ui| {
            for p in palettes() {
                let label = if p.colorblind_safe {
                    format!("{} (daltonisme)", p.name)
                } else {
                    p.name.to_owned()
                };
                if ui.selectable_label(p.name == spec.palette, label).clicked() {
                    app.pending.push(Command::SetPalette(p.name.to_owned()));
                }
            }
        });
    if spec.method == ClassMethod::Manual {
        let mut text = spec
            .breaks
            .iter()
            .map(|b| format_number(*b))
            .collect::<Vec<_>>()
            .join(" ; ");
        ui.label("Seuils (séparés par « ; ») :");
        if ui
            .add(egui::TextEdit::singleline(&mut text).hint_text("ex. 10 ; 15 ; 20"))
            .lost_focus()
        {
            let breaks: Vec<f64> = text
                .split(';')
                .filter_map(crate::value::parse_number)
                .collect();
            app.send(Command::SetManualBreaks(breaks));
        }
    }
    if let Some(Err(e)) = app.choropleth.as_ref().map(|c| &c.classification) {
        ui.colored_label(Color32::from_rgb(170, 30, 30), e);
    }
}

fn themes_ui(app: &mut CartoSolApp, ui: &mut Ui) {
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
                    app.pending.push(Command::ToggleTheme {
                        layer: li,
                        theme: ti,
                    });
                }
            });
        }
    }
}

/// The right panel: the selected zone against the département, and its services by theme.
pub fn selection_panel(app: &mut CartoSolApp, ui: &mut Ui) {
    if app.selected_zone.is_none() && app.selected_point.is_none() {
        return;
    }
    egui::Panel::right("selection")
        .default_size(340.0)
        .resizable(true)
        .show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                if let Some((layer, point)) = app.selected_point {
                    point_details(app, ui, layer, point);
                } else if let Some((layer, zone)) = app.selected_zone {
                    zone_details(app, ui, layer, zone);
                }
            });
        });
}

fn point_details(app: &mut CartoSolApp, ui: &mut Ui, layer: usize, point: usize) {
    let Some(p) = app.ws.points.get(layer) else {
        return;
    };
    ui.heading(p.point_name(point));
    egui::Grid::new("details-point")
        .striped(true)
        .show(ui, |ui| {
            for f in &p.layer.attributes.fields {
                if let Some(v) = f.values.get(point) {
                    ui.label(&f.name);
                    ui.label(display_value(v));
                    ui.end_row();
                }
            }
        });
    if ui.button("Fermer la fiche").clicked() {
        app.send(Command::SelectPoint(None));
    }
}

fn zone_details(app: &mut CartoSolApp, ui: &mut Ui, layer: usize, zone: usize) {
    let Some(z) = app.ws.zones.get(layer) else {
        return;
    };
    ui.heading(z.zone_name(zone));
    ui.label(format!("Code : {}", z.zone_code(zone)));
    if ui.button("Fermer la fiche").clicked() {
        app.pending.push(Command::SelectZone {
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
                let name = if highlighted {
                    RichText::new(&f.name).strong()
                } else {
                    RichText::new(&f.name)
                };
                ui.label(name);
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
                            app.pending.push(Command::SelectPoint(Some((pl_index, i))));
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

/// The attribute table of the choropleth layer: sorting, filtering, linked selection.
pub fn table_panel(app: &mut CartoSolApp, ui: &mut Ui) {
    if !app.table.visible {
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
                    egui::TextEdit::singleline(&mut app.table.filter)
                        .hint_text("Filtrer les lignes…")
                        .desired_width(200.0),
                );
                ui.label(format!("{} lignes", app.table.rows.len()));
            });
            let key = (
                layer,
                table.len(),
                app.table.sort.clone(),
                app.table.filter.clone(),
                table.fields.len(),
            );
            if app.table.cache_key.as_ref() != Some(&key) {
                let needle = app.table.filter.to_lowercase();
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
                if let Some((name, ascending)) = &app.table.sort
                    && let Some(f) = table.field(name)
                {
                    rows.sort_by(|&a, &b| {
                        let (va, vb) = (f.values.get(a), f.values.get(b));
                        let ord = match (va.and_then(Value::as_f64), vb.and_then(Value::as_f64)) {
                            (Some(x), Some(y)) => x.total_cmp(&y),
                            (Some(_), None) => std::cmp::Ordering::Less,
                            (None, Some(_)) => std::cmp::Ordering::Greater,
                            (None, None) => va
                                .map(ToString::to_string)
                                .cmp(&vb.map(ToString::to_string)),
                        };
                        if *ascending { ord } else { ord.reverse() }
                    });
                }
                app.table.rows = rows;
                app.table.cache_key = Some(key);
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
                .map(|(i, _)| if i == 0 { 220.0 } else { 110.0 })
                .collect();
            let row_height = 20.0;
            let mut clicked: Option<usize> = None;
            let mut sort_by: Option<String> = None;
            egui::ScrollArea::horizontal().show(ui, |ui| {
                ui.horizontal(|ui| {
                    for (c, w) in columns.iter().zip(&widths) {
                        let arrow = match &app.table.sort {
                            Some((n, true)) if n == c => " (croissant)",
                            Some((n, false)) if n == c => " (décroissant)",
                            _ => "",
                        };
                        if ui
                            .add_sized([*w, row_height], egui::Button::new(format!("{c}{arrow}")))
                            .clicked()
                        {
                            sort_by = Some(c.clone());
                        }
                    }
                });
                let rows = app.table.rows.clone();
                let selected = app
                    .selected_zone
                    .filter(|(l, _)| *l == layer)
                    .map(|(_, z)| z);
                let scroll_to = app.table.scroll_to.take();
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
                                            egui::Button::selectable(selected == Some(r), text),
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
                app.table.sort = match &app.table.sort {
                    Some((n, true)) if *n == c => Some((c, false)),
                    _ => Some((c, true)),
                };
            }
            if let Some(r) = clicked {
                app.pending.push(Command::SelectZone {
                    target: Some((layer, r)),
                    frame: true,
                });
            }
        });
}

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
                ui.label(RichText::new(&legend.title).strong())
                    .on_hover_text(&ch.indicator);
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
                    super::analysis_ui::bivariate_key_ui(ui, &ch.indicator, &g.theme);
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
