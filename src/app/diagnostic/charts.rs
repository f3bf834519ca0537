//! The figures of the diagnostic window, painted with egui: the stacked bars of the profile mix
//! of each zone (linked both ways with the map and the attribute table through the zone
//! selection) and the elbow/silhouette figure that helps choose k.

use super::{DiagCommand, category_colour as category_color};
use crate::analysis::profiles::ProfileMix;
use crate::analysis::typology::KScore;
use crate::app::{CartoSolApp, Command};
use crate::dictionary::label_of;
use crate::value::format_number;
use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Stroke, StrokeKind, Vec2};

/// Height of one bar, points.
const BAR_HEIGHT: f32 = 15.0;
/// Width kept for the zone names on the left of the bars, points.
const LABEL_WIDTH: f32 = 170.0;

fn rgb([r, g, b]: [u8; 3]) -> Color32 {
    Color32::from_rgb(r, g, b)
}

fn round(x: f64, decimals: i32) -> String {
    let p = 10f64.powi(decimals);
    format_number((x * p).round() / p)
}

/// The accessible name of the bar of a zone (what the UI tests look for).
pub fn bar_name(zone: &str) -> String {
    format!("Profils de {zone}")
}

/// The text of a zone's name cut to fit `width` points (an ellipsis marks the cut).
fn fit(ui: &egui::Ui, text: &str, width: f32) -> String {
    let font = FontId::proportional(12.0);
    let fits = |s: &str| {
        ui.fonts_mut(|f| {
            f.layout_no_wrap(s.to_owned(), font.clone(), Color32::BLACK)
                .size()
                .x
        }) <= width
    };
    if fits(text) {
        return text.to_owned();
    }
    let chars: Vec<char> = text.chars().collect();
    (1..chars.len())
        .rev()
        .map(|n| format!("{}…", chars.iter().take(n).collect::<String>()))
        .find(|s| fits(s))
        .unwrap_or_else(|| "…".to_owned())
}

/// One row of the chart: the name, then the shares of the profiles stacked from left to
/// right (`None`: the zone's mix is not computed, drawn hatched with the reason on hover).
fn bar_row(
    ui: &mut egui::Ui,
    name: &str,
    shares_pct: Option<&[f64]>,
    selected: bool,
    hover: impl Fn(Option<usize>) -> String,
) -> egui::Response {
    let width = ui.available_width().max(LABEL_WIDTH + 80.0);
    let (rect, response) = ui.allocate_exact_size(Vec2::new(width, BAR_HEIGHT), Sense::click());
    // « Toggled » tells assistive tools (and the UI tests) which bar is the selected zone.
    response.widget_info(|| {
        egui::WidgetInfo::selected(egui::Role::Button, true, selected, bar_name(name))
    });
    let painter = ui.painter_at(rect);
    let text_colour = ui.visuals().text_color();
    painter.text(
        Pos2::new(rect.left() + 2.0, rect.center().y),
        Align2::LEFT_CENTER,
        fit(
            ui,
            &crate::app::map_view::abbreviate_name(name),
            LABEL_WIDTH - 8.0,
        ),
        FontId::proportional(12.0),
        text_colour,
    );
    let bar = Rect::from_min_max(
        Pos2::new(rect.left() + LABEL_WIDTH, rect.top() + 1.0),
        Pos2::new(rect.right() - 2.0, rect.bottom() - 1.0),
    );
    let mut segments: Vec<(usize, Rect)> = Vec::new();
    match shares_pct {
        Some(shares) => {
            let mut x = bar.left();
            for (i, s) in shares.iter().enumerate() {
                let w = (*s as f32 / 100.0 * bar.width()).max(0.0);
                let seg =
                    Rect::from_min_max(Pos2::new(x, bar.top()), Pos2::new(x + w, bar.bottom()));
                painter.rect_filled(seg, 0.0, rgb(category_color(i)));
                segments.push((i, seg));
                x += w;
            }
        }
        None => {
            painter.rect_filled(bar, 0.0, rgb(crate::style::MISSING_COLOR));
            let mut x = bar.left();
            while x < bar.right() + bar.height() {
                painter.line_segment(
                    [
                        Pos2::new(x, bar.bottom()),
                        Pos2::new(x - bar.height(), bar.top()),
                    ],
                    Stroke::new(1.0, Color32::from_gray(150)),
                );
                x += 6.0;
            }
        }
    }
    if selected {
        painter.rect_stroke(
            rect.shrink(0.5),
            2.0,
            Stroke::new(2.0, ui.visuals().selection.stroke.color),
            StrokeKind::Inside,
        );
    } else if response.hovered() {
        painter.rect_stroke(
            bar,
            0.0,
            Stroke::new(1.0, Color32::from_gray(60)),
            StrokeKind::Inside,
        );
    }
    let segment = response.hover_pos().and_then(|p| {
        segments
            .iter()
            .find(|(_, r)| r.contains(p))
            .map(|(i, _)| *i)
    });
    response.on_hover_text_at_pointer(hover(segment))
}

/// The stacked bars of the profile mix: the département first, then each zone (in the layer's
/// order or sorted by the share of one profile). A click selects the zone on the map and in the
/// table (a double click also frames it); the zone selected elsewhere is outlined here and
/// scrolled into view.
pub fn profile_bars(
    app: &CartoSolApp,
    layer: usize,
    mix: &ProfileMix,
    ui: &mut egui::Ui,
    out: &mut Vec<Command>,
) {
    let d = &app.diagnostic;
    let dict = &app.ws.file.dictionary;
    let Some(zl) = app.ws.zones.get(layer) else {
        return;
    };
    ui.horizontal(|ui| {
        ui.label("Trier les zones par :");
        let current = d
            .profile_sort
            .and_then(|i| mix.fields.get(i))
            .map_or("ordre de la couche".to_owned(), |f| {
                format!("part « {} »", label_of(dict, f))
            });
        egui::ComboBox::from_id_salt("diag-profils-tri")
            .selected_text(current)
            .show_ui(ui, |ui| {
                if ui
                    .selectable_label(d.profile_sort.is_none(), "ordre de la couche")
                    .clicked()
                {
                    out.push(Command::Diagnostic(DiagCommand::SortProfiles(None)));
                }
                for (i, f) in mix.fields.iter().enumerate() {
                    if ui
                        .selectable_label(d.profile_sort == Some(i), label_of(dict, f))
                        .clicked()
                    {
                        out.push(Command::Diagnostic(DiagCommand::SortProfiles(Some(i))));
                    }
                }
            });
    });
    let describe =
        |shares: &[f64], quotients: Option<&[Option<f64>]>, name: &str, i: Option<usize>| {
            let Some(i) = i else {
                return format!("{name} — cliquez pour sélectionner la zone");
            };
            let field = mix.fields.get(i).map_or("", String::as_str);
            let share = shares.get(i).copied().unwrap_or(0.0);
            let q = quotients
                .and_then(|q| q.get(i).copied().flatten())
                .map_or(String::new(), |q| {
                    format!(", quotient de localisation {}", round(q, 2))
                });
            format!(
                "{name}\n{} : {} % des ménages pauvres{q}",
                label_of(dict, field),
                round(share, 1)
            )
        };
    bar_row(
        ui,
        "Département",
        Some(&mix.department_shares_pct),
        false,
        |i| {
            describe(
                &mix.department_shares_pct,
                None,
                "Département (ensemble des zones)",
                i,
            )
        },
    );
    let selected = app
        .selected_zone
        .filter(|(l, _)| *l == layer)
        .map(|(_, r)| r);
    let mut rows: Vec<usize> = (0..mix.zones.len()).collect();
    if let Some(p) = d.profile_sort {
        let key = |r: &usize| {
            mix.zones
                .get(*r)
                .filter(|z| z.left_out.is_none())
                .and_then(|z| z.shares_pct.get(p).copied())
        };
        // Highest share first; zones without a mix last.
        rows.sort_by(|a, b| match (key(a), key(b)) {
            (Some(x), Some(y)) => y.total_cmp(&x),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.cmp(b),
        });
    }
    let scroll_id = ui.scope_id().with("diag-profils-barres-selection");
    let last_scrolled: Option<usize> = ui.ctx().data(|m| m.get_temp(scroll_id)).flatten();
    egui::ScrollArea::vertical()
        .id_salt("diag-profils-barres")
        .max_height(280.0)
        .show(ui, |ui| {
            ui.spacing_mut().item_spacing.y = 2.0;
            for row in rows {
                let Some(z) = mix.zones.get(row) else {
                    continue;
                };
                let name = zl.zone_name(row);
                let computed = z.left_out.is_none();
                let response = bar_row(
                    ui,
                    &name,
                    computed.then_some(z.shares_pct.as_slice()),
                    selected == Some(row),
                    |i| match &z.left_out {
                        Some(why) => format!("{name}\n{why}"),
                        None => describe(&z.shares_pct, Some(&z.quotients), &name, i),
                    },
                );
                if selected == Some(row) && last_scrolled != Some(row) {
                    response.scroll_to_me(Some(egui::Align::Center));
                }
                if response.double_clicked() {
                    out.push(Command::SelectZone {
                        target: Some((layer, row)),
                        frame: true,
                    });
                } else if response.clicked() {
                    out.push(Command::SelectZone {
                        target: Some((layer, row)),
                        frame: false,
                    });
                }
            }
        });
    ui.ctx().data_mut(|m| m.insert_temp(scroll_id, selected));
}

/// The accessible name of the point of `k` in the figure (what the UI tests click).
pub fn k_point_name(figure: &str, k: usize) -> String {
    format!("{figure} : choisir k = {k}")
}

/// The elbow (inertia) and silhouette figures side by side, one point per k; the current k is
/// ringed and a click on a point sets k.
pub fn k_figure(ui: &mut egui::Ui, scores: &[KScore], current_k: usize, out: &mut Vec<Command>) {
    let series: [(&str, Vec<(usize, f64)>); 2] = [
        (
            "Inertie intra-classes",
            scores.iter().map(|s| (s.k, s.inertia)).collect(),
        ),
        (
            "Silhouette moyenne",
            scores
                .iter()
                .filter_map(|s| s.silhouette.map(|v| (s.k, v)))
                .collect(),
        ),
    ];
    ui.horizontal(|ui| {
        let width = ((ui.available_width() - 12.0) / 2.0).max(160.0);
        for (title, points) in &series {
            ui.vertical(|ui| {
                ui.label(egui::RichText::new(*title).small().strong());
                line_chart(ui, title, width, points, current_k, out);
            });
        }
    });
}

fn line_chart(
    ui: &mut egui::Ui,
    figure: &str,
    width: f32,
    points: &[(usize, f64)],
    current_k: usize,
    out: &mut Vec<Command>,
) {
    let (rect, _) = ui.allocate_exact_size(Vec2::new(width, 130.0), Sense::hover());
    let painter = ui.painter_at(rect);
    let text = ui.visuals().text_color();
    painter.rect_stroke(
        rect,
        0.0,
        Stroke::new(1.0, Color32::from_gray(180)),
        StrokeKind::Inside,
    );
    let (Some(kmin), Some(kmax)) = (
        points.iter().map(|p| p.0).min(),
        points.iter().map(|p| p.0).max(),
    ) else {
        painter.text(
            rect.center(),
            Align2::CENTER_CENTER,
            "non défini",
            FontId::proportional(11.0),
            text,
        );
        return;
    };
    let (lo, hi) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.1), b.max(p.1))
        });
    let span = if hi > lo { hi - lo } else { 1.0 };
    let plot = Rect::from_min_max(
        rect.min + Vec2::new(40.0, 8.0),
        rect.max - Vec2::new(10.0, 20.0),
    );
    let at = |k: usize, v: f64| {
        let tx = if kmax > kmin {
            (k - kmin) as f32 / (kmax - kmin) as f32
        } else {
            0.5
        };
        Pos2::new(
            plot.left() + tx * plot.width(),
            plot.bottom() - ((v - lo) / span) as f32 * plot.height(),
        )
    };
    for (v, align) in [(hi, Align2::RIGHT_TOP), (lo, Align2::RIGHT_BOTTOM)] {
        painter.text(
            Pos2::new(plot.left() - 4.0, at(kmin, v).y),
            align,
            round(v, if span >= 10.0 { 0 } else { 2 }),
            FontId::proportional(10.0),
            text,
        );
    }
    let line: Vec<Pos2> = points.iter().map(|(k, v)| at(*k, *v)).collect();
    painter.add(egui::Shape::line(
        line,
        Stroke::new(1.5, Color32::from_rgb(0, 114, 178)),
    ));
    for (k, v) in points {
        let p = at(*k, *v);
        painter.text(
            Pos2::new(p.x, rect.bottom() - 3.0),
            Align2::CENTER_BOTTOM,
            k.to_string(),
            FontId::proportional(10.0),
            text,
        );
        let hit = Rect::from_center_size(p, Vec2::splat(14.0));
        let response = ui.interact(hit, ui.scope_id().with((figure, *k)), Sense::click());
        response.widget_info(|| {
            egui::WidgetInfo::labeled(egui::Role::Button, true, k_point_name(figure, *k))
        });
        let radius = if response.hovered() { 5.0 } else { 3.5 };
        painter.circle_filled(p, radius, Color32::from_rgb(0, 114, 178));
        if *k == current_k {
            painter.circle_stroke(p, 7.0, Stroke::new(2.0, Color32::from_rgb(213, 94, 0)));
        }
        if response
            .on_hover_text(format!("k = {k} : {}", round(*v, 3)))
            .clicked()
            && *k != current_k
        {
            out.push(Command::Diagnostic(DiagCommand::SetK(*k)));
        }
    }
}
