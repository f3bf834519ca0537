//! Committee mode: saved views (what the map shows, stored in the project) and the
//! presentation layout (map, title, legend, sources and the selected zone's figures, without
//! the editing panels, type enlarged for a projector), paged with Page Down/Up or the arrows.
//!
//! Every change goes through [`ViewCommand`]s, applied by [`apply`] from `CartoSolApp::apply`.

use super::{CartoSolApp, Command};
use crate::project::{ViewAnalysis, ViewSpec};

/// The scale of type and symbols in presentation, by default (a projector at 3–5 m).
pub const DEFAULT_SCALE: f32 = 1.5;

/// A change of the saved views or of the presentation.
#[derive(Clone, Debug)]
pub enum ViewCommand {
    /// Saves what the map shows under this name (replacing the view of the same name).
    Save(String),
    /// Replaces the view at this index by what the map shows (name and note kept).
    Update(usize),
    /// Renames the view at this index (a blank name is refused).
    Rename(usize, String),
    /// Deletes the view at this index.
    Delete(usize),
    /// Moves the view at this index by this many places (−1 up, +1 down).
    Move(usize, isize),
    /// Shows the view at this index: frame, indicator, classification, layers, selection and
    /// the under-served settings it recorded.
    Show(usize),
    /// Enters the presentation layout on the first view (or the current one).
    Enter,
    /// Leaves the presentation layout (Escape).
    Leave,
    /// Shows the next view (Page Down, →, ↓).
    Next,
    /// Shows the previous view (Page Up, ←, ↑).
    Previous,
    /// The scale of type and symbols in presentation (0.75 to 3).
    SetScale(f32),
    /// Switches the window to full screen or back (F11).
    ToggleFullscreen,
    /// Writes the committee deck of the saved views (PDF, PNG slides, minutes template).
    ExportDeck(crate::export::deck::DeckRequest),
}

/// The presentation's state.
#[derive(Clone, Debug)]
pub struct PresentationState {
    /// Whether the presentation layout is shown.
    pub on: bool,
    /// The saved view shown last (index in the project's views).
    pub current: Option<usize>,
    /// The scale of type and symbols in presentation.
    pub scale: f32,
    /// Whether the window was put in full screen.
    pub fullscreen: bool,
    /// The zoom factor before entering (restored on leaving).
    zoom_before: f32,
    /// CPU time of a presentation frame (layout and map shapes), smoothed, milliseconds.
    pub frame_ms: f32,
    /// The slowest presentation frame seen (CPU time), milliseconds.
    pub frame_max_ms: f32,
}

impl Default for PresentationState {
    fn default() -> Self {
        PresentationState {
            on: false,
            current: None,
            scale: DEFAULT_SCALE,
            fullscreen: false,
            zoom_before: 1.0,
            frame_ms: 0.0,
            frame_max_ms: 0.0,
        }
    }
}

/// What the map shows now, as a view named `name`.
pub fn capture(app: &CartoSolApp, name: &str) -> ViewSpec {
    let (lon, lat, zoom) = match app.current_view() {
        Some(v) => (v.lon, v.lat, v.zoom),
        None => {
            let c = app
                .map_memory
                .detached()
                .unwrap_or(walkers::lon_lat(2.25, 48.52));
            (c.x(), c.y(), app.map_memory.zoom())
        }
    };
    let mut view = ViewSpec::frame(name.trim(), lon, lat, zoom);
    let map = &app.ws.file.map;
    let layer = app.ws.choropleth_layer();
    view.zones = Some(map.zones.clone());
    view.indicator = Some(map.indicator.clone());
    view.classification = Some(map.classification.clone());
    view.layers = app
        .ws
        .order
        .iter()
        .filter_map(|l| app.ws.style(*l).cloned())
        .collect();
    view.hidden_themes = Some(
        app.ws
            .points
            .iter()
            .flat_map(|p| {
                p.themes
                    .iter()
                    .filter(|t| !t.visible)
                    .map(|t| t.name.clone())
            })
            .collect(),
    );
    let code_of = |row: usize| -> Option<String> {
        let z = app.ws.zones.get(layer?)?;
        let f = z.layer.attributes.field_index(&z.spec.code_field)?;
        z.layer.attributes.text(f, row)
    };
    view.selection = app
        .selected_zone
        .filter(|(l, _)| Some(*l) == layer)
        .and_then(|(_, row)| code_of(row));
    let a = &app.analysis;
    if let Some(g) = a
        .gaps
        .as_ref()
        .filter(|g| a.gaps_on && Some(g.layer) == layer)
    {
        view.underserved_rule = Some(g.result.rule_text.clone());
        view.underserved_zones = g
            .result
            .flagged
            .iter()
            .filter_map(|f| code_of(f.zone))
            .collect();
    }
    if a.gaps_on || a.bivariate_on {
        view.analysis = Some(ViewAnalysis {
            theme: a.theme.clone(),
            need_threshold: a.need_threshold,
            offer_threshold_per_10k: a.offer_threshold,
            underserved_shown: a.gaps_on,
            bivariate_shown: a.bivariate_on,
        });
    }
    view
}

/// Shows a saved view: its map settings, the layers' order and styles, the hidden themes, the
/// selection, the under-served settings and the frame.
fn show(app: &mut CartoSolApp, index: usize) {
    let Some(view) = app.ws.file.views.get(index).cloned() else {
        return;
    };
    app.ws.file.map = view.applied_to(&app.ws.file.map);
    // Layer order and styles, by id.
    if !view.layers.is_empty() {
        use super::state::LayerRef;
        let find = |id: &str| {
            app.ws
                .zones
                .iter()
                .position(|z| z.spec.id == id)
                .map(LayerRef::Zones)
                .or_else(|| {
                    app.ws
                        .points
                        .iter()
                        .position(|p| p.spec.id == id)
                        .map(LayerRef::Points)
                })
        };
        let found: Vec<(LayerRef, &crate::project::LayerStyle)> = view
            .layers
            .iter()
            .filter_map(|l| find(&l.id).map(|r| (r, l)))
            .collect();
        let mut order: Vec<LayerRef> = found.iter().map(|(r, _)| *r).collect();
        for l in &app.ws.order {
            if !order.contains(l) {
                order.push(*l);
            }
        }
        for (l, style) in found {
            if let Some(s) = app.ws.style_mut(l) {
                let label = s.label.clone();
                *s = style.clone();
                s.label = style.label.clone().or(label);
            }
        }
        app.ws.order = order;
    }
    if let Some(hidden) = &view.hidden_themes {
        for p in &mut app.ws.points {
            for t in &mut p.themes {
                t.visible = !hidden.contains(&t.name);
            }
        }
    }
    app.recompute_choropleth();
    let layer = app.ws.choropleth_layer();
    app.selected_point = None;
    app.selected_zone = view.selection.as_deref().and_then(|code| {
        let l = layer?;
        let z = app.ws.zones.get(l)?;
        crate::export::deck::zone_row(&z.spec, &z.layer, code).map(|row| (l, row))
    });
    if let Some(a) = &view.analysis {
        app.analysis.theme = a.theme.clone();
        if let (Some(need), Some(offer)) = (a.need_threshold, a.offer_threshold_per_10k) {
            app.analysis.set_thresholds(need, offer);
        }
        app.analysis.gaps_on = a.underserved_shown;
        app.analysis.bivariate_on = a.bivariate_shown;
        if a.bivariate_shown {
            app.diagnostic.map = super::diagnostic::DiagMap::None;
        }
    } else {
        app.analysis.gaps_on = false;
        app.analysis.bivariate_on = false;
    }
    // Type enlarged by the presentation's scale shrinks the map in points: zoom out as much,
    // so that the view shows the same territory.
    let zoom = if app.presentation.on {
        view.zoom - f64::from(app.presentation.scale.max(0.1)).log2()
    } else {
        view.zoom
    };
    let _ = app.map_memory.set_zoom(zoom);
    app.map_memory
        .center_at(walkers::lon_lat(view.lon, view.lat));
    app.frame_on_next = false;
    app.presentation.current = Some(index);
}

/// Applies a view command (from `CartoSolApp::apply`).
pub fn apply(app: &mut CartoSolApp, command: ViewCommand, ctx: &egui::Context) {
    let n = app.ws.file.views.len();
    match command {
        ViewCommand::Save(name) => {
            let name = name.trim();
            if name.is_empty() {
                app.ui_state.dialog =
                    super::dialogs::Dialog::Error("Donnez un nom à la vue.".to_owned());
                return;
            }
            let view = capture(app, name);
            let views = &mut app.ws.file.views;
            match views.iter().position(|v| v.name.eq_ignore_ascii_case(name)) {
                Some(i) => {
                    let note = views.get(i).and_then(|v| v.note.clone());
                    if let Some(v) = views.get_mut(i) {
                        *v = ViewSpec { note, ..view };
                    }
                    app.presentation.current = Some(i);
                }
                None => {
                    views.push(view);
                    app.presentation.current = Some(views.len() - 1);
                }
            }
            app.status = format!("Vue « {name} » enregistrée");
        }
        ViewCommand::Update(i) => {
            let Some(old) = app.ws.file.views.get(i).cloned() else {
                return;
            };
            let view = capture(app, &old.name);
            if let Some(v) = app.ws.file.views.get_mut(i) {
                *v = ViewSpec {
                    note: old.note,
                    ..view
                };
            }
            app.status = format!("Vue « {} » mise à jour", old.name);
        }
        ViewCommand::Rename(i, name) => {
            let name = name.trim().to_owned();
            let taken = app
                .ws
                .file
                .views
                .iter()
                .enumerate()
                .any(|(j, v)| j != i && v.name.eq_ignore_ascii_case(&name));
            if name.is_empty() || taken {
                app.ui_state.dialog = super::dialogs::Dialog::Error(if name.is_empty() {
                    "Donnez un nom à la vue.".to_owned()
                } else {
                    format!("Une autre vue s'appelle déjà « {name} ».")
                });
            } else if let Some(v) = app.ws.file.views.get_mut(i) {
                v.name = name;
            }
        }
        ViewCommand::Delete(i) => {
            if i < n {
                app.ws.file.views.remove(i);
                app.presentation.current = match app.presentation.current {
                    Some(c) if c == i => None,
                    Some(c) if c > i => Some(c - 1),
                    c => c,
                };
            }
        }
        ViewCommand::Move(i, by) => {
            if i < n && n > 0 {
                let j = (i as isize + by).clamp(0, n as isize - 1) as usize;
                app.ws.file.views.swap(i, j);
                if app.presentation.current == Some(i) {
                    app.presentation.current = Some(j);
                } else if app.presentation.current == Some(j) {
                    app.presentation.current = Some(i);
                }
            }
        }
        ViewCommand::Show(i) => show(app, i),
        ViewCommand::Enter => {
            let p = &mut app.presentation;
            if !p.on {
                p.on = true;
                p.zoom_before = ctx.zoom_factor();
                p.frame_max_ms = 0.0;
                ctx.set_zoom_factor(p.scale);
            }
            let first = app
                .presentation
                .current
                .filter(|c| *c < n)
                .or((n > 0).then_some(0));
            if let Some(i) = first {
                show(app, i);
            }
        }
        ViewCommand::Leave => {
            let p = &mut app.presentation;
            if p.on {
                p.on = false;
                ctx.set_zoom_factor(p.zoom_before);
                if p.fullscreen {
                    p.fullscreen = false;
                    ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(false));
                }
                app.status = format!(
                    "Présentation : image {:.1} ms en moyenne, {:.1} ms au plus",
                    p.frame_ms, p.frame_max_ms
                );
            }
        }
        ViewCommand::Next | ViewCommand::Previous => {
            if n > 0 {
                let forward = matches!(command, ViewCommand::Next);
                let i = match (app.presentation.current.filter(|c| *c < n), forward) {
                    (None, _) => 0,
                    (Some(c), true) => (c + 1).min(n - 1),
                    (Some(c), false) => c.saturating_sub(1),
                };
                show(app, i);
            }
        }
        ViewCommand::SetScale(s) => {
            let p = &mut app.presentation;
            p.scale = s.clamp(0.75, 3.0);
            if p.on {
                ctx.set_zoom_factor(p.scale);
            }
        }
        ViewCommand::ToggleFullscreen => {
            let p = &mut app.presentation;
            p.fullscreen = !p.fullscreen;
            ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(p.fullscreen));
        }
        ViewCommand::ExportDeck(request) => {
            let mut project = super::export_ui::project_of(&app.ws, None);
            app.start_export(
                "Support de séance".to_owned(),
                move || {
                    crate::export::deck::write_deck(
                        &mut project,
                        &request,
                        &crate::export::deck::DeckOptions::default(),
                    )
                    .map(|r| {
                        let files: Vec<String> =
                            r.files.iter().map(|f| f.display().to_string()).collect();
                        super::export_ui::ExportDone {
                            summary: r.summary(),
                            report: Some((
                                "Support de séance".to_owned(),
                                format!(
                                    "Vues : {}\n\nFichiers écrits :\n{}",
                                    r.views.join(", "),
                                    files.join("\n")
                                ),
                            )),
                        }
                    })
                    .map_err(|e| format!("Support de séance impossible : {e}"))
                },
                ctx,
            );
        }
    }
}

/// The presentation's keys: F5 enters, F11 switches full screen; in presentation, Page Down,
/// → and ↓ show the next view, Page Up, ← and ↑ the previous one, Escape leaves. Read before
/// the editing shortcuts, so that Escape leaves the presentation rather than the selection.
pub fn keys(app: &mut CartoSolApp, ctx: &egui::Context) {
    use egui::{Key, Modifiers};
    let on = app.presentation.on;
    let (f5, f11, next, previous, escape) = ctx.input_mut(|i| {
        let mut any = |keys: &[Key]| {
            keys.iter()
                // Every key of the list is consumed, not only the first pressed.
                .filter(|k| i.consume_key(Modifiers::NONE, **k))
                .count()
                > 0
        };
        let f5 = any(&[Key::F5]);
        let f11 = any(&[Key::F11]);
        if !on {
            return (f5, f11, false, false, false);
        }
        let next = any(&[Key::PageDown, Key::ArrowRight, Key::ArrowDown]);
        let previous = any(&[Key::PageUp, Key::ArrowLeft, Key::ArrowUp]);
        let escape = any(&[Key::Escape]);
        (f5, f11, next, previous, escape)
    });
    if f5 && !on {
        app.send(Command::Views(ViewCommand::Enter));
    }
    if f11 {
        app.send(Command::Views(ViewCommand::ToggleFullscreen));
    }
    if next {
        app.send(Command::Views(ViewCommand::Next));
    }
    if previous {
        app.send(Command::Views(ViewCommand::Previous));
    }
    if escape {
        app.send(Command::Views(ViewCommand::Leave));
    }
}

/// The text of the « Données FICTIVES » banner, when the project says its data are fictitious.
pub fn fictive_banner(app: &CartoSolApp) -> Option<&'static str> {
    crate::export::deck::fictive_data(&app.ws.file)
        .then_some("Données FICTIVES — ne pas diffuser comme résultats")
}

/// The presentation layout: title and view name on top (with the « Données FICTIVES »
/// banner), the selected zone's key figures on the right, the sources and the frame time at
/// the bottom, the map with its legend in the middle; hover and click stay live.
pub fn presentation_ui(app: &mut CartoSolApp, commands: &mut Vec<Command>, ui: &mut egui::Ui) {
    use egui::{Color32, RichText};
    let started = std::time::Instant::now();
    let n = app.ws.file.views.len();
    let current = app.presentation.current.filter(|c| *c < n);
    let view_name = current
        .and_then(|c| app.ws.file.views.get(c))
        .map(|v| v.name.clone());
    egui::Panel::top("presentation-titre").show(ui, |ui| {
        if let Some(banner) = fictive_banner(app) {
            egui::Frame::new()
                .fill(Color32::from_rgb(200, 30, 30))
                .inner_margin(6.0)
                .show(ui, |ui| {
                    ui.vertical_centered(|ui| {
                        ui.label(RichText::new(banner).strong().color(Color32::WHITE));
                    });
                });
        }
        ui.add_space(4.0);
        ui.label(RichText::new(&app.ws.file.title).heading().strong());
        ui.horizontal(|ui| {
            match (&view_name, current) {
                (Some(name), Some(c)) => {
                    ui.label(RichText::new(name).strong().size(18.0));
                    ui.label(format!("— vue {} / {n}", c + 1));
                }
                _ => {
                    ui.label("Aucune vue enregistrée : la carte telle qu'elle est.");
                }
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui.button("Quitter (Échap)").clicked() {
                    commands.push(Command::Views(ViewCommand::Leave));
                }
                if ui
                    .add_enabled(
                        current.is_some_and(|c| c + 1 < n),
                        egui::Button::new("Suivante ›"),
                    )
                    .on_hover_text("Vue suivante (Page suivante, →)")
                    .clicked()
                {
                    commands.push(Command::Views(ViewCommand::Next));
                }
                if ui
                    .add_enabled(
                        current.is_some_and(|c| c > 0),
                        egui::Button::new("‹ Précédente"),
                    )
                    .on_hover_text("Vue précédente (Page précédente, ←)")
                    .clicked()
                {
                    commands.push(Command::Views(ViewCommand::Previous));
                }
            });
        });
        ui.add_space(4.0);
    });
    egui::Panel::bottom("presentation-sources").show(ui, |ui| {
        ui.add(
            egui::Label::new(
                RichText::new(crate::export::compose::sources_line(
                    &app.ws.file.sources_note,
                ))
                .small(),
            )
            .wrap(),
        );
        ui.label(
            RichText::new(format!(
                "Image : {:.1} ms de calcul (carte : {:.1} ms)",
                app.presentation.frame_ms,
                app.map_out.cpu.as_secs_f64() * 1000.0
            ))
            .small()
            .weak(),
        );
    });
    let figures = app.selected_zone.and_then(|(l, row)| {
        let z = app.ws.zones.get(l)?;
        let label = app
            .choropleth
            .as_ref()
            .map(|c| c.legend.title.clone())
            .unwrap_or_else(|| app.ws.file.map.indicator.clone());
        crate::export::deck::key_figures(
            &z.spec,
            &z.layer.attributes,
            &app.ws.file.map.indicator,
            &label,
            row,
        )
    });
    if let Some(f) = figures {
        egui::Panel::right("presentation-chiffres")
            .resizable(false)
            .default_size(360.0)
            .show(ui, |ui| {
                ui.label(RichText::new(&f.title).strong().size(16.0));
                ui.separator();
                egui::Grid::new("presentation-chiffres-grille")
                    .striped(true)
                    .show(ui, |ui| {
                        for h in &f.header {
                            ui.label(RichText::new(h).strong());
                        }
                        ui.end_row();
                        for r in &f.rows {
                            for c in r {
                                ui.label(c);
                            }
                            ui.end_row();
                        }
                    });
            });
    }
    egui::CentralPanel::default()
        .frame(egui::Frame::NONE)
        .show(ui, |ui| app.map_ui(ui, commands));
    // The CPU time of the frame (layout and map shapes; drawing is on the GPU), smoothed.
    let ms = started.elapsed().as_secs_f32() * 1000.0;
    let p = &mut app.presentation;
    p.frame_ms = if p.frame_ms == 0.0 {
        ms
    } else {
        0.8 * p.frame_ms + 0.2 * ms
    };
    p.frame_max_ms = p.frame_max_ms.max(ms);
}
