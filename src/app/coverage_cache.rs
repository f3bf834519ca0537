//! The coverage figures of the analysis tools (under-served rule, bivariate map), computed
//! once per (zone layer, indicator, theme) in a background thread and cached by
//! [`CoverageKey`] in `analysis_ui::AnalysisState`: at national scale (35,000 communes,
//! 100,000 services) the computation takes seconds, while a slider of the rule only re-applies
//! the thresholds to the cached figures, within a frame (`cartosol bench curseurs`). The map says
//! « calcul en cours… » meanwhile ([`computing_banner`]).

use super::state::Workspace;
use crate::analysis::bivariate::{self, Bivariate};
use crate::analysis::coverage::{CoverageOptions, ZoneCoverage, coverage};
use crate::value::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};

/// What coverage figures depend on: the zone layer (by id), the need indicator and the theme of
/// services counted as offer.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CoverageKey {
    /// Id of the zone layer.
    pub layer_id: String,
    /// The need indicator (a column of the zone layer).
    pub indicator: String,
    /// The theme of services counted as offer.
    pub theme: String,
}

/// Coverage of one [`CoverageKey`], computed in the background, before any threshold.
#[derive(Clone, Debug)]
pub struct CoverageFigures {
    /// What the figures were computed for.
    pub key: CoverageKey,
    /// Index of the zone layer in the workspace when computed.
    pub layer: usize,
    /// Per zone, in the layer's row order: services, services per 10,000 inhabitants…
    pub zones: Vec<ZoneCoverage>,
    /// The need indicator per zone.
    pub need: Vec<Value>,
    /// Services of the theme per 10,000 inhabitants, per zone.
    pub offer: Vec<Value>,
    /// Need tercile × offer tercile (does not depend on the thresholds).
    pub bivariate: Bivariate,
    /// Smallest and largest need, for the need slider.
    pub need_range: (f64, f64),
    /// Smallest and largest offer, for the offer slider.
    pub offer_range: (f64, f64),
    /// Medians of the need and offer, the thresholds proposed at first.
    pub need_median: f64,
    /// See `need_median`.
    pub offer_median: f64,
}

/// The point layer holding services (the first with themes), if any.
pub fn service_layer(ws: &Workspace) -> Option<usize> {
    ws.points
        .iter()
        .position(|p| p.themes.len() > 1)
        .or(if ws.points.is_empty() { None } else { Some(0) })
}

/// A coverage computation running in the background.
pub(crate) struct CoverageJob {
    /// What is being computed.
    pub(crate) key: CoverageKey,
    result: Receiver<Result<CoverageFigures, String>>,
}

impl CoverageJob {
    /// Starts computing `inputs` in a thread; `repaint` is called when it is done. While `hold`
    /// is set, the thread waits before computing (test hook).
    pub(crate) fn spawn(
        inputs: CoverageInputs,
        layer: usize,
        key: CoverageKey,
        hold: Arc<AtomicBool>,
        repaint: impl Fn() + Send + 'static,
    ) -> CoverageJob {
        let (tx, rx) = std::sync::mpsc::channel();
        let job = CoverageJob {
            key: key.clone(),
            result: rx,
        };
        std::thread::spawn(move || {
            while hold.load(Ordering::Relaxed) {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            // Fails only when the app forgot this job (layers changed): nobody waits.
            let _ = tx.send(inputs.compute(layer, key));
            repaint();
        });
        job
    }

    /// The figures or the error (in French) once the computation is over, `None` before.
    pub(crate) fn finished(&self) -> Option<Result<CoverageFigures, String>> {
        match self.result.try_recv() {
            Ok(r) => Some(r),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                Some(Err("le calcul de la couverture s'est interrompu".to_owned()))
            }
        }
    }
}

/// The text shown over the map while the coverage is computed.
pub const COMPUTING_TEXT: &str = "Zones sous-desservies : calcul en cours…";

/// « calcul en cours… » in the top-left corner of the map (`map_rect`), with a spinner, while
/// the coverage the map needs is computed.
pub fn computing_banner(ui: &mut egui::Ui, map_rect: egui::Rect) {
    let rect = egui::Rect::from_min_size(
        map_rect.left_top() + egui::vec2(10.0, 10.0),
        egui::vec2(330.0, 28.0),
    );
    ui.painter().rect_filled(
        rect,
        4.0,
        egui::Color32::from_rgba_unmultiplied(255, 255, 255, 225),
    );
    ui.scope_builder(
        egui::UiBuilder::new().max_rect(rect.shrink2(egui::vec2(8.0, 4.0))),
        |ui| {
            ui.horizontal_centered(|ui| {
                ui.spinner();
                ui.label(COMPUTING_TEXT);
            });
        },
    );
}

/// What the background coverage computation needs, cloned from the workspace.
pub(crate) struct CoverageInputs {
    zones: crate::model::ZoneLayer,
    communes: crate::model::ZoneLayer,
    services: crate::model::PointLayer,
    options: CoverageOptions,
    need: Vec<Value>,
}

/// The layers and options of the coverage of `key` on zone layer `layer`.
pub(crate) fn coverage_inputs(
    ws: &Workspace,
    layer: usize,
    key: &CoverageKey,
) -> Result<CoverageInputs, String> {
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
        theme: Some(key.theme.clone()),
        zone_code_field: Some(zones.spec.code_field.clone()),
        commune_code_field: Some(communes.spec.code_field.clone()),
        population_field: communes
            .spec
            .population_field
            .clone()
            .unwrap_or_else(|| "POPULATION".to_owned()),
        ..CoverageOptions::default()
    };
    let need = zones
        .layer
        .attributes
        .field(&key.indicator)
        .map(|f| f.values.to_values())
        .ok_or_else(|| format!("l'indicateur « {} » est absent de la couche", key.indicator))?;
    Ok(CoverageInputs {
        zones: zones.layer.clone(),
        communes: communes.layer.clone(),
        services: services.layer.clone(),
        options,
        need,
    })
}

impl CoverageInputs {
    /// The coverage figures (runs in the background thread).
    fn compute(self, layer: usize, key: CoverageKey) -> Result<CoverageFigures, String> {
        let result = coverage(&self.zones, &self.communes, &self.services, &self.options)
            .map_err(|e| format!("calcul de la couverture impossible : {e}"))?;
        let offer: Vec<Value> = result.zones.iter().map(|z| z.per_10000.clone()).collect();
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
        Ok(CoverageFigures {
            layer,
            bivariate: bivariate::classify(&self.need, &offer),
            need_range: range(&self.need),
            offer_range: range(&offer),
            need_median: median(&self.need),
            offer_median: median(&offer),
            zones: result.zones,
            need: self.need,
            offer,
            key,
        })
    }
}
