//! The analyst's tools on the map (issue 4): proximity circle with the services inside and lines
//! to the nearest service of each theme, a distance-measuring tool, and the under-served zones
//! (explicit rule with sliders, flagged list, bivariate need × offer map with its key). All
//! figures come from `crate::analysis`, the same functions as `cartosol coverage`.
//!
//! Coverage (services per zone and per 10,000 inhabitants) is computed once per (zone layer,
//! indicator, theme) in a background thread and cached ([`CoverageKey`]); moving a slider only
//! re-applies the need/offer rule to the cached figures ([`AnalysisState::apply_rule`]). The
//! panels of the tools are in `panels::tools`.

pub use super::coverage_cache::{CoverageFigures, CoverageKey, service_layer};
use super::coverage_cache::{CoverageJob, coverage_inputs};
use super::map_view::{TextItem, View};
use super::state::Workspace;
use crate::analysis::bivariate::{self, Bivariate};
use crate::analysis::distance::distance_m;
use crate::analysis::index::ServiceIndex;
use crate::analysis::underserved::{
    NeedThreshold, OfferThreshold, Underserved, UnderservedRule, underserved,
};
use crate::value::{Value, format_number};
use egui::{Color32, FontId, Shape, Stroke};
use geo::Point;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// What a click on the map does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tool {
    /// `Sélection`: a click selects the zone or point under the cursor.
    #[default]
    Select,
    /// `Proximité`: a click lists the services within the radius and the nearest of each theme.
    Proximity,
    /// `Mesure`: each click adds a vertex to the measured path.
    Measure,
}

/// Services around a clicked position.
#[derive(Clone, Debug)]
pub struct Probe {
    /// The clicked position, WGS84 (longitude, latitude) in degrees.
    pub at: (f64, f64),
    /// (point layer, point, distance in metres) within the radius, nearest first.
    pub within: Vec<(usize, usize, f64)>,
    /// Nearest service of each visible theme of the service layer: (theme, point, metres).
    pub nearest: Vec<(usize, usize, f64)>,
}

/// The under-served analysis and its figures.
#[derive(Clone, Debug)]
pub struct Gaps {
    /// Index of the zone layer in the workspace.
    pub layer: usize,
    /// The need indicator (a column of the zone layer).
    pub indicator: String,
    /// The theme of services counted as offer.
    pub theme: String,
    /// Services of the theme per 10,000 inhabitants, per zone.
    pub offer: Vec<Value>,
    /// The need/offer rule applied with the current thresholds: flagged zones and the rule in
    /// words.
    pub result: Underserved,
    /// Need tercile × offer tercile of each zone, for the bivariate map and its key.
    pub bivariate: Bivariate,
    /// Smallest and largest need, in the indicator's unit, for the need slider.
    pub need_range: (f64, f64),
    /// Smallest and largest offer (services per 10,000 inhabitants), for the offer slider.
    pub offer_range: (f64, f64),
    /// The cached coverage figures the rule was applied to.
    pub coverage: Arc<CoverageFigures>,
}

/// State of the analysis tools.
pub struct AnalysisState {
    /// What a click on the map does.
    pub tool: Tool,
    /// Radius of the proximity circle, kilometres (kept between 0.1 and 100).
    pub radius_km: f64,
    /// The last proximity query, shown on the map until the tool changes.
    pub probe: Option<Probe>,
    /// Vertices of the measured path, WGS84 (longitude, latitude) in degrees, in click order.
    pub measure: Vec<(f64, f64)>,
    /// Under-served zones shown on the map.
    pub gaps_on: bool,
    /// Bivariate map instead of the choropleth.
    pub bivariate_on: bool,
    /// The theme of services the offer counts.
    pub theme: String,
    /// Need threshold of the rule, in the indicator's unit: a zone needs at least this much
    /// (`None` until figures arrive, then their median).
    pub need_threshold: Option<f64>,
    /// Offer threshold of the rule, services per 10,000 inhabitants: a zone has at most this
    /// much (`None` until figures arrive, then their median).
    pub offer_threshold: Option<f64>,
    /// The rule applied to the current coverage figures (`None` while they are computed or
    /// when the tools are off).
    pub gaps: Option<Gaps>,
    /// Coverage figures computed so far, by key (cleared when the layers change).
    pub cache: HashMap<CoverageKey, Arc<CoverageFigures>>,
    /// The last coverage computation that failed, and why (in French).
    pub coverage_error: Option<(CoverageKey, String)>,
    /// How many coverage computations were started (they are expensive: a slider must not
    /// start one).
    pub coverage_runs: usize,
    /// Test hook: while set, a coverage computation started waits before computing (so that
    /// a test sees the map while it runs).
    pub hold_jobs: Arc<AtomicBool>,
    job: Option<CoverageJob>,
    indexes: Vec<ServiceIndex>,
    /// One index per theme of the service layer, for the nearest of each theme (built with
    /// `indexes`: rebuilding them at each click took half a second with 1,000,000 points).
    theme_indexes: Vec<ServiceIndex>,
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
            cache: HashMap::new(),
            coverage_error: None,
            coverage_runs: 0,
            hold_jobs: Arc::new(AtomicBool::new(false)),
            job: None,
            indexes: Vec::new(),
            theme_indexes: Vec::new(),
        }
    }
}

impl AnalysisState {
    /// Forgets what depends on the workspace (after loading another one).
    pub fn reset(&mut self) {
        self.probe = None;
        self.measure.clear();
        self.indexes.clear();
        self.theme_indexes.clear();
        self.forget_coverage();
    }

    /// Forgets the cached coverage (the layers or their columns changed).
    pub fn forget_coverage(&mut self) {
        self.gaps = None;
        self.cache.clear();
        self.coverage_error = None;
        self.job = None;
    }

    /// Whether a coverage computation is running.
    pub fn computing(&self) -> bool {
        self.job.is_some()
    }

    /// Services within the radius of `at`, and the nearest of each visible theme.
    pub fn probe_at(&mut self, ws: &Workspace, at: (f64, f64)) {
        let themes = service_layer(ws)
            .and_then(|li| ws.points.get(li))
            .map_or(0, |l| l.themes.len());
        if self.indexes.len() != ws.points.len() || self.theme_indexes.len() != themes {
            self.indexes = ws
                .points
                .iter()
                .map(|p| ServiceIndex::new(&p.layer))
                .collect();
            self.theme_indexes = service_layer(ws)
                .and_then(|li| ws.points.get(li))
                .map(theme_indexes)
                .unwrap_or_default();
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
                if let Some(n) = self.theme_indexes.get(ti).and_then(|i| i.nearest(from)) {
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

    /// The coverage the tools need now: the choropleth layer and indicator, the chosen theme
    /// (none while both the under-served and bivariate tools are off).
    pub fn wanted(&self, ws: &Workspace) -> Option<(usize, CoverageKey)> {
        if !(self.gaps_on || self.bivariate_on) {
            return None;
        }
        let layer = ws.choropleth_layer()?;
        let zones = ws.zones.get(layer)?;
        Some((
            layer,
            CoverageKey {
                layer_id: zones.spec.id.clone(),
                indicator: ws.file.map.indicator.clone(),
                theme: self.theme.clone(),
            },
        ))
    }

    /// Once per frame: collects a finished coverage computation, starts the one the tools need
    /// when it is neither cached, running nor failed, and keeps the under-served zones in step
    /// with the settings. `repaint` is called by the background thread when it is done.
    pub fn sync(&mut self, ws: &Workspace, repaint: impl Fn() + Send + 'static) {
        if let Some(job) = &self.job
            && let Some(done) = job.finished()
        {
            match done {
                Ok(figures) => {
                    self.cache.insert(figures.key.clone(), Arc::new(figures));
                }
                Err(e) => self.coverage_error = Some((job.key.clone(), e)),
            }
            self.job = None;
        }
        let Some((layer, key)) = self.wanted(ws) else {
            return;
        };
        let current = self
            .gaps
            .as_ref()
            .is_some_and(|g| g.coverage.key == key && g.layer == layer);
        if current {
            return;
        }
        if let Some(figures) = self.cache.get(&key).cloned() {
            if figures.layer == layer {
                self.need_threshold = Some(figures.need_median);
                self.offer_threshold = Some(figures.offer_median);
                self.apply_figures(figures);
                return;
            }
            self.cache.remove(&key);
        }
        // Not cached: the figures shown would be those of another indicator or theme.
        self.gaps = None;
        let failed = self.coverage_error.as_ref().is_some_and(|(k, _)| *k == key);
        let running = self.job.as_ref().is_some_and(|j| j.key == key);
        if failed || running {
            return;
        }
        match coverage_inputs(ws, layer, &key) {
            Ok(inputs) => {
                self.coverage_runs += 1;
                self.job = Some(CoverageJob::spawn(
                    inputs,
                    layer,
                    key,
                    self.hold_jobs.clone(),
                    repaint,
                ));
            }
            Err(e) => self.coverage_error = Some((key, e)),
        }
    }

    /// Sets the thresholds and re-applies the rule to the cached figures (no recomputation).
    pub fn set_thresholds(&mut self, need: f64, offer: f64) {
        self.need_threshold = Some(need);
        self.offer_threshold = Some(offer);
        self.apply_rule();
    }

    /// Re-applies the need/offer rule of the current thresholds to the cached figures.
    pub fn apply_rule(&mut self) {
        if let Some(figures) = self.gaps.as_ref().map(|g| g.coverage.clone()) {
            self.apply_figures(figures);
        }
    }

    fn apply_figures(&mut self, figures: Arc<CoverageFigures>) {
        let need_t = *self.need_threshold.get_or_insert(figures.need_median);
        let offer_t = *self.offer_threshold.get_or_insert(figures.offer_median);
        let rule = UnderservedRule {
            need_label: figures.key.indicator.clone(),
            need_unit: String::new(),
            need: NeedThreshold::AtLeast(need_t),
            offer_label: format!("{} pour 10 000 habitants", figures.key.theme),
            offer: OfferThreshold::AtMost(offer_t),
        };
        self.gaps = Some(Gaps {
            layer: figures.layer,
            indicator: figures.key.indicator.clone(),
            theme: figures.key.theme.clone(),
            offer: figures.offer.clone(),
            result: underserved(&figures.need, &figures.offer, &rule),
            bivariate: figures.bivariate.clone(),
            need_range: figures.need_range,
            offer_range: figures.offer_range,
            coverage: figures,
        });
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
            let [r, g_, b] = crate::style::map_style::UNDERSERVED_COLOR;
            super::map_view::zone_outlines(
                view,
                zl,
                g.result.flagged.iter().map(|f| f.zone),
                Stroke::new(3.5, Color32::from_rgb(r, g_, b)),
                shapes,
            );
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

/// One index of the positioned points per theme of `layer` (rows of the layer).
fn theme_indexes(layer: &super::state::PointLayerView) -> Vec<ServiceIndex> {
    let mut rows: Vec<Vec<(usize, Point<f64>)>> = vec![Vec::new(); layer.themes.len()];
    for (i, p) in layer.layer.positions.iter().enumerate() {
        if let (Some(p), Some(t)) = (p, layer.theme_of.get(i))
            && let Some(r) = rows.get_mut(*t)
        {
            r.push((i, *p));
        }
    }
    rows.into_iter().map(ServiceIndex::from_positions).collect()
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
