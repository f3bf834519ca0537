//! The analyst's tools on the map (issue 4): proximity circle with the services inside and lines
//! to the nearest service of each theme, a distance-measuring tool, and the under-served zones
//! (explicit rule with sliders, flagged list, bivariate need × offer map with its key). All
//! figures come from `crate::analysis`, the same functions as `cartosol coverage`.

use super::map_view::{TextItem, View};
use super::state::Workspace;
use crate::analysis::bivariate::{self, Bivariate};
use crate::analysis::coverage::{CoverageOptions, coverage};
use crate::analysis::distance::distance_m;
use crate::analysis::index::ServiceIndex;
use crate::analysis::underserved::{
    NeedThreshold, OfferThreshold, Underserved, UnderservedRule, underserved,
};
use crate::value::{Value, format_number};
use egui::{Color32, FontId, Shape, Stroke};
use geo::Point;

/// What a click on the map does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tool {
    #[default]
    Select,
    Proximity,
    Measure,
}

/// Services around a clicked position.
#[derive(Clone, Debug)]
pub struct Probe {
    pub at: (f64, f64),
    /// (point layer, point, distance in metres) within the radius, nearest first.
    pub within: Vec<(usize, usize, f64)>,
    /// Nearest service of each visible theme of the service layer: (theme, point, metres).
    pub nearest: Vec<(usize, usize, f64)>,
}

/// The under-served analysis and its figures.
#[derive(Clone, Debug)]
pub struct Gaps {
    pub layer: usize,
    pub indicator: String,
    pub theme: String,
    /// Services of the theme per 10,000 inhabitants, per zone.
    pub offer: Vec<Value>,
    pub result: Underserved,
    pub bivariate: Bivariate,
    /// Range of the need and offer values, for the sliders.
    pub need_range: (f64, f64),
    pub offer_range: (f64, f64),
}

/// State of the analysis tools.
pub struct AnalysisState {
    pub tool: Tool,
    pub radius_km: f64,
    pub probe: Option<Probe>,
    pub measure: Vec<(f64, f64)>,
    /// Under-served zones shown on the map.
    pub gaps_on: bool,
    /// Bivariate map instead of the choropleth.
    pub bivariate_on: bool,
    /// The theme of services the offer counts.
    pub theme: String,
    pub need_threshold: Option<f64>,
    pub offer_threshold: Option<f64>,
    pub gaps: Option<Gaps>,
    indexes: Vec<ServiceIndex>,
}

impl Default for AnalysisState {
    fn default() -> Self {
        AnalysisState {
            tool: Tool::Select,
            radius_km: 5.0,
            probe: None,
            measure: Vec::new(),
            gaps_on: false,
            bivariate_on: false,
            theme: "France Services".to_owned(),
            need_threshold: None,
            offer_threshold: None,
            gaps: None,
            indexes: Vec::new(),
        }
    }
}

/// The point layer holding services (the first with themes), if any.
pub fn service_layer(ws: &Workspace) -> Option<usize> {
    ws.points
        .iter()
        .position(|p| p.themes.len() > 1)
        .or(if ws.points.is_empty() { None } else { Some(0) })
}

impl AnalysisState {
    /// Forgets what depends on the workspace (after loading another one).
    pub fn reset(&mut self) {
        self.probe = None;
        self.measure.clear();
        self.gaps = None;
        self.indexes.clear();
    }

    /// Services within the radius of `at`, and the nearest of each visible theme.
    pub fn probe_at(&mut self, ws: &Workspace, at: (f64, f64)) {
        if self.indexes.len() != ws.points.len() {
            self.indexes = ws
                .points
                .iter()
                .map(|p| ServiceIndex::new(&p.layer))
                .collect();
        }
        let from = Point::new(at.0, at.1);
        let mut within = Vec::new();
        for (li, (index, layer)) in self.indexes.iter().zip(&ws.points).enumerate() {
            if !layer.style.visible {
                continue;
            }
            for n in index.within(from, self.radius_km * 1000.0) {
                let visible = layer
                    .theme_of
                    .get(n.row)
                    .and_then(|t| layer.themes.get(*t))
                    .is_some_and(|t| t.visible);
                if visible {
                    within.push((li, n.row, n.distance_m));
                }
            }
        }
        within.sort_by(|a, b| a.2.total_cmp(&b.2));
        let mut nearest = Vec::new();
        if let Some(li) = service_layer(ws)
            && let Some(layer) = ws.points.get(li)
        {
            for (ti, theme) in layer.themes.iter().enumerate() {
                if !theme.visible {
                    continue;
                }
                let rows: Vec<(usize, Point<f64>)> = layer
                    .layer
                    .positions
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| layer.theme_of.get(*i) == Some(&ti))
                    .filter_map(|(i, p)| p.map(|p| (i, p)))
                    .collect();
                if let Some(n) = ServiceIndex::from_positions(rows).nearest(from) {
                    nearest.push((ti, n.row, n.distance_m));
                }
            }
        }
        self.probe = Some(Probe {
            at,
            within,
            nearest,
        });
    }

    /// Recomputes the under-served zones of the choropleth layer for the current settings.
    pub fn compute_gaps(
        &mut self,
        ws: &Workspace,
        layer: usize,
        indicator: &str,
    ) -> Result<(), String> {
        let zones = ws.zones.get(layer).ok_or("aucune couche de zones")?;
        // The commune base: the layer named "communes", else the layer with the most zones.
        let communes_index = ws
            .zones
            .iter()
            .position(|z| z.spec.id == "communes")
            .or_else(|| {
                (0..ws.zones.len()).max_by_key(|i| ws.zones.get(*i).map_or(0, |z| z.layer.len()))
            })
            .ok_or("aucune couche de communes")?;
        let communes = ws
            .zones
            .get(communes_index)
            .ok_or("aucune couche de communes")?;
        let services_index = service_layer(ws).ok_or("aucune couche de points de service")?;
        let services = ws
            .points
            .get(services_index)
            .ok_or("aucune couche de points de service")?;
        let options = CoverageOptions {
            theme_field: services
                .spec
                .theme_field
                .clone()
                .unwrap_or_else(|| "dispositif".to_owned()),
            theme: Some(self.theme.clone()),
            zone_code_field: Some(zones.spec.code_field.clone()),
            commune_code_field: Some(communes.spec.code_field.clone()),
            population_field: communes
                .spec
                .population_field
                .clone()
                .unwrap_or_else(|| "POPULATION".to_owned()),
            ..CoverageOptions::default()
        };
        let result = coverage(&zones.layer, &communes.layer, &services.layer, &options)
            .map_err(|e| e.to_string())?;
        let offer: Vec<Value> = result.zones.iter().map(|z| z.per_10000.clone()).collect();
        let need: Vec<Value> = zones
            .layer
            .attributes
            .field(indicator)
            .map(|f| f.values.clone())
            .unwrap_or_default();
        let range = |v: &[Value]| {
            let xs: Vec<f64> = v.iter().filter_map(Value::as_f64).collect();
            let min = xs.iter().copied().fold(f64::INFINITY, f64::min);
            let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if min.is_finite() {
                (min, max)
            } else {
                (0.0, 1.0)
            }
        };
        let median = |v: &[Value]| {
            let mut xs: Vec<f64> = v.iter().filter_map(Value::as_f64).collect();
            xs.sort_by(f64::total_cmp);
            xs.get(xs.len() / 2).copied().unwrap_or_default()
        };
        let changed = self
            .gaps
            .as_ref()
            .is_none_or(|g| g.layer != layer || g.indicator != indicator || g.theme != self.theme);
        if changed || self.need_threshold.is_none() {
            self.need_threshold = Some(median(&need));
        }
        if changed || self.offer_threshold.is_none() {
            self.offer_threshold = Some(median(&offer));
        }
        let rule = UnderservedRule {
            need_label: indicator.to_owned(),
            need_unit: String::new(),
            need: NeedThreshold::AtLeast(self.need_threshold.unwrap_or_default()),
            offer_label: format!("{} pour 10 000 habitants", self.theme),
            offer: OfferThreshold::AtMost(self.offer_threshold.unwrap_or_default()),
        };
        self.gaps = Some(Gaps {
            layer,
            indicator: indicator.to_owned(),
            theme: self.theme.clone(),
            result: underserved(&need, &offer, &rule),
            bivariate: bivariate::classify(&need, &offer),
            need_range: range(&need),
            offer_range: range(&offer),
            offer,
        });
        Ok(())
    }

    /// What the analysis shows over the choropleth of zone layer `layer`, for the map export
    /// (the same outlines, rule and fills as on screen).
    pub fn map_overlay(&self, layer: Option<usize>) -> crate::style::map_style::MapOverlay {
        match &self.gaps {
            Some(g) if Some(g.layer) == layer => crate::export::compose::analysis_overlay(
                self.gaps_on.then_some(&g.result),
                self.bivariate_on.then_some(&g.bivariate),
            ),
            _ => Default::default(),
        }
    }

    /// Fill colours replacing the choropleth's (the bivariate map), per zone.
    pub fn fill_override(&self) -> Option<Vec<Option<[u8; 3]>>> {
        if !self.bivariate_on {
            return None;
        }
        let g = self.gaps.as_ref()?;
        Some(
            g.bivariate
                .classes
                .iter()
                .map(|c| c.map(bivariate::class_colour))
                .collect(),
        )
    }

    /// Shapes of the tools over the map: flagged zones, proximity circle and lines, measure.
    pub fn overlay(
        &self,
        ws: &Workspace,
        view: &View,
        shapes: &mut Vec<Shape>,
        texts: &mut Vec<TextItem>,
    ) {
        use super::geometry::mercator_unit;
        if self.gaps_on
            && let Some(g) = &self.gaps
            && let Some(zl) = ws.zones.get(g.layer)
        {
            for f in &g.result.flagged {
                if let Some(shape) = zl.geometry.shapes.get(f.zone)
                    && let Some(level) = shape.levels.last()
                {
                    let base = view.to_screen(shape.origin);
                    let k = (view.scale / super::geometry::LOCAL_SCALE) as f32;
                    for &(start, end) in &level.rings {
                        let pts: Vec<egui::Pos2> = level
                            .ring_vertices
                            .get(start as usize..end as usize)
                            .unwrap_or_default()
                            .iter()
                            .map(|v| egui::pos2(base.x + v[0] * k, base.y + v[1] * k))
                            .collect();
                        shapes.push(Shape::line(
                            pts,
                            Stroke::new(3.5, {
                                let [r, g, b] = crate::style::map_style::UNDERSERVED_COLOR;
                                Color32::from_rgb(r, g, b)
                            }),
                        ));
                    }
                }
            }
        }
        if let Some(p) = &self.probe {
            let centre = view.to_screen(mercator_unit(p.at.0, p.at.1));
            let px_per_m = view.scale / (40_075_016.686 * p.at.1.to_radians().cos());
            let r = (self.radius_km * 1000.0 * px_per_m) as f32;
            shapes.push(Shape::circle_filled(
                centre,
                r,
                Color32::from_rgba_unmultiplied(30, 90, 200, 28),
            ));
            shapes.push(Shape::circle_stroke(
                centre,
                r,
                Stroke::new(2.0, Color32::from_rgb(30, 90, 200)),
            ));
            if let Some(layer) = service_layer(ws).and_then(|i| ws.points.get(i)) {
                for &(ti, row, d) in &p.nearest {
                    let (Some(theme), Some(Some(m))) = (layer.themes.get(ti), layer.merc.get(row))
                    else {
                        continue;
                    };
                    let to = view.to_screen(*m);
                    let c = Color32::from_rgb(theme.color[0], theme.color[1], theme.color[2]);
                    shapes.extend(Shape::dashed_line(
                        &[centre, to],
                        Stroke::new(2.0, c),
                        6.0,
                        4.0,
                    ));
                    texts.push(TextItem {
                        at: centre + (to - centre) * 0.5,
                        text: format!("{} km", format_number((d / 100.0).round() / 10.0)),
                        font: FontId::proportional(12.0),
                        color: c,
                    });
                }
            }
            shapes.push(Shape::circle_filled(
                centre,
                4.0,
                Color32::from_rgb(30, 90, 200),
            ));
        }
        if !self.measure.is_empty() {
            let pts: Vec<egui::Pos2> = self
                .measure
                .iter()
                .map(|(lon, lat)| view.to_screen(mercator_unit(*lon, *lat)))
                .collect();
            shapes.push(Shape::line(
                pts.clone(),
                Stroke::new(2.5, Color32::from_rgb(20, 20, 20)),
            ));
            for p in &pts {
                shapes.push(Shape::circle_filled(
                    *p,
                    3.5,
                    Color32::from_rgb(255, 214, 0),
                ));
            }
            if let Some(last) = pts.last() {
                texts.push(TextItem {
                    at: *last + egui::vec2(0.0, -14.0),
                    text: format!(
                        "{} km",
                        format_number((self.measured_m() / 10.0).round() / 100.0)
                    ),
                    font: FontId::proportional(13.0),
                    color: Color32::from_rgb(20, 20, 20),
                });
            }
        }
    }

    /// Length of the measured path, metres (great-circle).
    pub fn measured_m(&self) -> f64 {
        self.measure
            .windows(2)
            .map(|w| match w {
                [a, b] => distance_m(Point::new(a.0, a.1), Point::new(b.0, b.1)),
                _ => 0.0,
            })
            .sum()
    }
}

/// The tools section of the left panel.
pub fn tools_ui(app: &mut super::CartoSolApp, ui: &mut egui::Ui) {
    ui.heading("Outils");
    let before = app.analysis.tool;
    ui.horizontal(|ui| {
        ui.selectable_value(&mut app.analysis.tool, Tool::Select, "Sélection");
        ui.selectable_value(&mut app.analysis.tool, Tool::Proximity, "Proximité");
        ui.selectable_value(&mut app.analysis.tool, Tool::Measure, "Mesure");
    });
    if before != app.analysis.tool {
        app.analysis.probe = None;
        app.analysis.measure.clear();
    }
    match app.analysis.tool {
        Tool::Select => {}
        Tool::Proximity => {
            let mut r = app.analysis.radius_km;
            if ui
                .add(egui::Slider::new(&mut r, 0.5..=30.0).text("Rayon (km)"))
                .changed()
            {
                app.analysis.radius_km = r;
                if let Some(p) = app.analysis.probe.as_ref().map(|p| p.at) {
                    app.analysis.probe_at(&app.ws, p);
                }
            }
            match &app.analysis.probe {
                None => {
                    ui.label("Cliquez sur la carte : services dans le rayon et service le plus proche de chaque thème.");
                }
                Some(p) => {
                    ui.label(format!(
                        "{} service(s) à moins de {} km (distances à vol d'oiseau)",
                        p.within.len(),
                        format_number(app.analysis.radius_km)
                    ));
                    if let Some(layer) = service_layer(&app.ws).and_then(|i| app.ws.points.get(i)) {
                        for &(ti, row, d) in &p.nearest {
                            let theme = layer
                                .themes
                                .get(ti)
                                .map(|t| t.name.clone())
                                .unwrap_or_default();
                            ui.label(format!(
                                "{theme} le plus proche : {} ({} km)",
                                layer.point_name(row),
                                format_number((d / 100.0).round() / 10.0)
                            ));
                        }
                    }
                    egui::CollapsingHeader::new("Services dans le rayon").show(ui, |ui| {
                        for &(li, row, d) in p.within.iter().take(200) {
                            if let Some(layer) = app.ws.points.get(li) {
                                ui.label(format!(
                                    "{} — {} km",
                                    layer.point_name(row),
                                    format_number((d / 100.0).round() / 10.0)
                                ));
                            }
                        }
                    });
                }
            }
        }
        Tool::Measure => {
            ui.label(format!(
                "Distance mesurée : {} km ({} point(s)) — cliquez sur la carte pour ajouter des points",
                format_number((app.analysis.measured_m() / 10.0).round() / 100.0),
                app.analysis.measure.len()
            ));
            if ui.button("Effacer la mesure").clicked() {
                app.analysis.measure.clear();
            }
        }
    }
    ui.separator();
    gaps_ui(app, ui);
}

fn gaps_ui(app: &mut super::CartoSolApp, ui: &mut egui::Ui) {
    ui.heading("Zones sous-desservies");
    let Some(layer) = app.ws.choropleth_layer() else {
        return;
    };
    let indicator = app.ws.file.map.indicator.clone();
    let mut changed = false;
    if ui
        .checkbox(
            &mut app.analysis.gaps_on,
            "Repérer les zones sous-desservies",
        )
        .changed()
    {
        changed = true;
    }
    let themes: Vec<String> = service_layer(&app.ws)
        .and_then(|i| app.ws.points.get(i))
        .map(|p| p.themes.iter().map(|t| t.name.clone()).collect())
        .unwrap_or_default();
    egui::ComboBox::from_label("Offre : dispositif")
        .selected_text(app.analysis.theme.clone())
        .show_ui(ui, |ui| {
            for t in &themes {
                if ui.selectable_label(*t == app.analysis.theme, t).clicked() {
                    app.analysis.theme = t.clone();
                    changed = true;
                }
            }
        });
    let stale = app.analysis.gaps.as_ref().is_none_or(|g| {
        g.layer != layer || g.indicator != indicator || g.theme != app.analysis.theme
    });
    if (app.analysis.gaps_on || app.analysis.bivariate_on)
        && (changed || stale)
        && let Err(e) = app.analysis.compute_gaps(&app.ws, layer, &indicator)
    {
        ui.colored_label(Color32::from_rgb(170, 30, 30), e);
        return;
    }
    let Some(g) = app.analysis.gaps.clone() else {
        ui.checkbox(
            &mut app.analysis.bivariate_on,
            "Carte bivariée besoin × offre",
        );
        return;
    };
    let mut need = app.analysis.need_threshold.unwrap_or(g.need_range.0);
    let mut offer = app.analysis.offer_threshold.unwrap_or(g.offer_range.0);
    let mut moved = false;
    moved |= ui
        .add(
            egui::Slider::new(&mut need, g.need_range.0..=g.need_range.1)
                .text(format!("Besoin : {indicator} au moins")),
        )
        .changed();
    moved |= ui
        .add(
            egui::Slider::new(
                &mut offer,
                g.offer_range.0..=g.offer_range.1.max(g.offer_range.0 + 1e-9),
            )
            .text("Offre pour 10 000 hab. au plus"),
        )
        .changed();
    if moved {
        app.analysis.need_threshold = Some(need);
        app.analysis.offer_threshold = Some(offer);
        let _ = app.analysis.compute_gaps(&app.ws, layer, &indicator);
    }
    let Some(g) = app.analysis.gaps.clone() else {
        return;
    };
    ui.label(egui::RichText::new(&g.result.rule_text).italics());
    if app.analysis.gaps_on {
        ui.label(format!("{} zone(s) repérée(s) :", g.result.flagged.len()));
        if let Some(zl) = app.ws.zones.get(layer) {
            for f in &g.result.flagged {
                let text = format!(
                    "{} — {} : {} ; offre : {} pour 10 000 hab.",
                    zl.zone_name(f.zone),
                    indicator,
                    format_number((f.need * 100.0).round() / 100.0),
                    format_number((f.offer * 100.0).round() / 100.0)
                );
                if ui.link(text).clicked() {
                    app.pending.push(super::Command::SelectZone {
                        target: Some((layer, f.zone)),
                        frame: true,
                    });
                }
            }
        }
    }
    ui.checkbox(
        &mut app.analysis.bivariate_on,
        "Carte bivariée besoin × offre",
    );
    if app.analysis.bivariate_on {
        bivariate_key_ui(ui, &indicator, &g.theme);
    }
}

/// The 3×3 key of the bivariate map: need upward, offer rightward.
pub fn bivariate_key_ui(ui: &mut egui::Ui, need: &str, theme: &str) {
    ui.label(format!(
        "Besoin ({need}) × offre ({theme} pour 10 000 hab.)"
    ));
    egui::Grid::new("cle-bivariee")
        .spacing([2.0, 2.0])
        .show(ui, |ui| {
            for n in (0..3).rev() {
                for o in 0..3 {
                    let c = bivariate::class_colour((n, o));
                    let (rect, resp) =
                        ui.allocate_exact_size(egui::vec2(26.0, 18.0), egui::Sense::hover());
                    ui.painter()
                        .rect_filled(rect, 0.0, Color32::from_rgb(c[0], c[1], c[2]));
                    resp.on_hover_text(bivariate::class_label((n, o)));
                }
                ui.end_row();
            }
        });
    ui.label("lignes : besoin faible (bas) à fort (haut) ; colonnes : offre faible (gauche) à forte (droite)");
}
