//! The *Diagnostic* window (menu *Affichage › Diagnostic*): poverty profiles, aggravating
//! factors and sensitive local situations, local spatial autocorrelation (LISA) and the
//! typology of territories, on the zone layer of the choropleth map.
//!
//! The settings and results live in [`DiagnosticState`]; every change goes through a
//! [`DiagCommand`] (wrapped in [`super::Command::Diagnostic`]). Profiles and situations are
//! linear in the number of zones and computed when their settings change; LISA (permutations)
//! and the typology (k-means restarts, Ward) run in a background thread each.
//!
//! One diagnostic map at a time ([`DiagMap`]) replaces the choropleth's fills, like the
//! bivariate map. The two never show together: choosing a diagnostic map turns the bivariate
//! map off and turning the bivariate map on sets the diagnostic map back to « aucune » — the
//! most recently chosen wins and both check boxes always tell what the map shows.

mod charts;
mod lisa;
mod profiles;
mod situations;
mod typology;

use super::Command;
use super::state::Workspace;
use crate::analysis::autocorrelation::{Cluster, Lisa, LisaOptions};
use crate::analysis::factors::Factor;
use crate::analysis::profiles::ProfileMix;
use crate::analysis::situations::{FlagRule, Situation, sensitive_situations};
use crate::analysis::typology::{Indicators, KMeansOptions, KScore, Typology};
use crate::export::secrecy::SecrecyGuard;
use crate::project::{DiagnosticSpec, TypologyMethodSpec};
use std::sync::mpsc::{Receiver, TryRecvError};

/// The diagnostic map replacing the choropleth's fills (saved in the project's diagnostic
/// settings).
pub use crate::project::DiagnosticMap as DiagMap;
pub use crate::project::Smoothing;

/// The clustering method of the typology, as chosen in the window.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TypologyMethod {
    /// k-means (10 seeded restarts, the best kept).
    KMeans,
    /// Ward hierarchical clustering.
    Ward,
    /// Contiguity-constrained Ward with a minimum population per region.
    WardContiguous {
        /// Minimum population of a region, inhabitants (0: none).
        min_population: f64,
    },
}

impl TypologyMethod {
    /// The method's name in French.
    pub fn label(self) -> &'static str {
        match self {
            TypologyMethod::KMeans => "k-moyennes",
            TypologyMethod::Ward => "Ward",
            TypologyMethod::WardContiguous { .. } => "Ward sous contrainte de contiguïté",
        }
    }
}

/// A change of the diagnostic asked by the window.
#[derive(Clone, Debug, PartialEq)]
pub enum DiagCommand {
    /// Opens or closes the window.
    Open(bool),
    /// The diagnostic map shown (see the module documentation for the bivariate map).
    ShowMap(DiagMap),
    /// The profile count fields.
    SetProfileFields(Vec<String>),
    /// The aggravating factor fields.
    SetFactorFields(Vec<String>),
    /// Minimum number of flagging indicators of a sensitive situation (at least 1).
    SetMinFlags(usize),
    /// The robust z threshold (positive).
    SetZThreshold(f64),
    /// The indicator analysed by LISA.
    SetLisaField(String),
    /// Number of permutations of LISA.
    SetPermutations(usize),
    /// Significance threshold of the cluster map, in ]0, 1[.
    SetAlpha(f64),
    /// Starts LISA in the background.
    RunLisa,
    /// The typology's indicators.
    SetTypologyFields(Vec<String>),
    /// The number of classes (kept in 2..=10).
    SetK(usize),
    /// The clustering method.
    SetMethod(TypologyMethod),
    /// Starts the typology in the background.
    RunTypology,
    /// Sorts the profile bars by the share of one profile (index in the profile fields), or
    /// keeps the layer's order.
    SortProfiles(Option<usize>),
    /// Computes the elbow and silhouette figures (k-means for every k) in the background.
    RunKScores,
    /// The smoothing of the rate analysed by LISA (raw, empirical Bayes, spatial EB).
    SetLisaSmoothing(Smoothing),
    /// The smoothing of the rates of the aggravating factors before flagging.
    SetFactorSmoothing(Smoothing),
    /// The factor drawn by the « facteur » map.
    ShowFactor(String),
}

/// A LISA result on one field of one layer (the library's run, as `cartosol lisa` computes
/// it), with what the map and the key need.
#[derive(Clone, Debug)]
pub struct LisaRun {
    /// The field analysed.
    pub field: String,
    /// The options used.
    pub options: LisaOptions,
    /// The library's result.
    pub result: Lisa,
    /// The smoothing applied to the rate before the analysis.
    pub smoothing: Smoothing,
    /// Notes of the run (smoothing, zones left out, islands), in French.
    pub notes: Vec<String>,
    /// Cluster of each zone of the layer (`None` when left out for a missing value).
    pub cluster_of: Vec<Option<Cluster>>,
}

impl LisaRun {
    /// Number of zones in each cluster, in key order (HH, LL, LH, HL, NS, islands).
    pub fn counts(&self) -> Vec<(Cluster, usize)> {
        KEY_ORDER
            .iter()
            .map(|c| {
                (
                    *c,
                    self.result.local.cluster.iter().filter(|x| *x == c).count(),
                )
            })
            .collect()
    }
}

/// The clusters in the order of the key.
pub const KEY_ORDER: [Cluster; 6] = [
    Cluster::HighHigh,
    Cluster::LowLow,
    Cluster::LowHigh,
    Cluster::HighLow,
    Cluster::NotSignificant,
    Cluster::Island,
];

/// A typology result with its settings.
#[derive(Clone, Debug)]
pub struct TypologyRun {
    /// Number of classes asked.
    pub k: usize,
    /// The method used.
    pub method: TypologyMethod,
    /// The library's result.
    pub result: Typology,
    /// Class (0-based) of each zone of the layer (`None` when left out).
    pub class_of: Vec<Option<usize>>,
}

/// Sensitive local situations with the factors that flag them.
#[derive(Clone, Debug)]
pub struct SituationsRun {
    /// The factors (gaps, robust z, fences).
    pub factors: Vec<Factor>,
    /// The zones flagged on at least N indicators.
    pub situations: Vec<Situation>,
    /// Notes (rates smoothed or left raw), in French.
    pub notes: Vec<String>,
}

type Job<T> = Receiver<Result<T, String>>;

/// The elbow/silhouette figures: the indicators they were computed on, and one score per k.
pub type KScores = (Vec<String>, Vec<KScore>);

/// Settings and results of the diagnostic window.
pub struct DiagnosticState {
    /// Whether the window is open.
    pub open: bool,
    /// The diagnostic map shown.
    pub map: DiagMap,
    /// Index of the zone layer analysed (the choropleth's) and its id.
    pub layer: Option<(usize, String)>,
    /// The profile count fields (default: the `MP_*` fields of the layer).
    pub profile_fields: Vec<String>,
    /// The aggravating factor fields (default: rates, shares and ratios with a direction).
    pub factor_fields: Vec<String>,
    /// Minimum number of flagging indicators (N).
    pub min_flags: usize,
    /// Robust z threshold.
    pub z_threshold: f64,
    /// The field analysed by LISA.
    pub lisa_field: String,
    /// LISA's permutations.
    pub permutations: usize,
    /// LISA's significance threshold.
    pub alpha: f64,
    /// The typology's indicators.
    pub typology_fields: Vec<String>,
    /// The typology's number of classes.
    pub k: usize,
    /// The typology's method.
    pub method: TypologyMethod,
    /// The profiles of the layer, or the error in French.
    pub profiles: Option<Result<ProfileMix, String>>,
    /// The sensitive situations, or the error in French.
    pub situations: Option<Result<SituationsRun, String>>,
    /// The last LISA, or its error in French.
    pub lisa: Option<Result<LisaRun, String>>,
    /// The last typology, or its error in French.
    pub typology: Option<Result<TypologyRun, String>>,
    /// The profile whose share sorts the bars (`None`: the layer's order).
    pub profile_sort: Option<usize>,
    /// Smoothing of the rate analysed by LISA.
    pub lisa_smoothing: Smoothing,
    /// Smoothing of the factors' rates before flagging.
    pub factor_smoothing: Smoothing,
    /// The factor drawn by the « facteur » map.
    pub factor_shown: String,
    /// The elbow/silhouette figures with the indicators they were computed on.
    pub k_scores: Option<Result<KScores, String>>,
    lisa_job: Option<Job<LisaRun>>,
    typology_job: Option<Job<TypologyRun>>,
    k_scores_job: Option<Job<KScores>>,
}

impl Default for DiagnosticState {
    fn default() -> Self {
        DiagnosticState {
            open: false,
            map: DiagMap::None,
            layer: None,
            profile_fields: Vec::new(),
            factor_fields: Vec::new(),
            min_flags: 2,
            z_threshold: 2.0,
            lisa_field: String::new(),
            permutations: crate::analysis::autocorrelation::DEFAULT_PERMUTATIONS,
            alpha: crate::analysis::autocorrelation::DEFAULT_ALPHA,
            typology_fields: Vec::new(),
            k: 4,
            method: TypologyMethod::KMeans,
            profiles: None,
            situations: None,
            lisa: None,
            typology: None,
            profile_sort: None,
            lisa_smoothing: Smoothing::Raw,
            factor_smoothing: Smoothing::Raw,
            factor_shown: String::new(),
            k_scores: None,
            lisa_job: None,
            typology_job: None,
            k_scores_job: None,
        }
    }
}

/// The qualitative colour of category `i` (profiles, classes), from the shared map style.
pub use crate::style::map_style::category_colour;

/// Numeric fields of zone layer `layer`.
fn numeric_fields(ws: &Workspace, layer: usize) -> Vec<String> {
    super::choropleth::indicators(ws, layer)
}

impl DiagnosticState {
    /// Whether a background computation is running.
    pub fn computing(&self) -> bool {
        self.lisa_job.is_some() || self.typology_job.is_some() || self.k_scores_job.is_some()
    }

    /// Whether the elbow/silhouette figures are being computed.
    pub fn k_scores_running(&self) -> bool {
        self.k_scores_job.is_some()
    }

    /// Whether LISA is running.
    pub fn lisa_running(&self) -> bool {
        self.lisa_job.is_some()
    }

    /// Whether the typology is running.
    pub fn typology_running(&self) -> bool {
        self.typology_job.is_some()
    }

    /// Once per frame: follows the choropleth's layer (settings back to their defaults and
    /// results forgotten when it changes) and collects finished background computations.
    pub fn sync(&mut self, ws: &Workspace) {
        let current = ws
            .choropleth_layer()
            .and_then(|i| ws.zones.get(i).map(|z| (i, z.spec.id.clone())));
        if current != self.layer {
            let open = self.open;
            *self = DiagnosticState {
                open,
                layer: current,
                ..DiagnosticState::default()
            };
            self.defaults(ws);
            self.recompute_profiles(ws);
            self.recompute_situations(ws);
        }
        poll(&mut self.lisa_job, &mut self.lisa, "LISA");
        poll(&mut self.typology_job, &mut self.typology, "la typologie");
        poll(
            &mut self.k_scores_job,
            &mut self.k_scores,
            "l'aide au choix de k",
        );
    }

    /// Settings from the project's saved diagnostic settings, their empty choices (or the
    /// fields this layer lacks) resolved to the defaults as `cartosol render` resolves them.
    fn defaults(&mut self, ws: &Workspace) {
        let Some(zl) = self.layer.as_ref().and_then(|(i, _)| ws.zones.get(*i)) else {
            return;
        };
        let table = &zl.layer.attributes;
        let present = |list: &[String]| -> Vec<String> {
            list.iter()
                .filter(|f| table.field(f).is_some())
                .cloned()
                .collect()
        };
        let mut spec = ws.file.diagnostic.clone();
        spec.profile_fields = present(&spec.profile_fields);
        spec.factor_fields = present(&spec.factor_fields);
        spec.typology_fields = present(&spec.typology_fields);
        if table.field(&spec.lisa_field).is_none() {
            spec.lisa_field.clear();
        }
        if table.field(&spec.factor_shown).is_none() {
            spec.factor_shown.clear();
        }
        let s = crate::export::diagnostic_maps::resolve_spec(
            &spec,
            table,
            &ws.file.dictionary,
            &ws.file.map.indicator,
        );
        self.map = s.map;
        self.profile_fields = s.profile_fields;
        self.factor_fields = s.factor_fields;
        self.min_flags = s.min_flags.max(1);
        if s.z_threshold.is_finite() && s.z_threshold > 0.0 {
            self.z_threshold = s.z_threshold;
        }
        self.factor_shown = s.factor_shown;
        self.factor_smoothing = s.factor_smoothing;
        self.lisa_field = s.lisa_field;
        self.permutations = s.permutations.min(99_999);
        if s.alpha > 0.0 && s.alpha < 1.0 {
            self.alpha = s.alpha;
        }
        self.lisa_smoothing = s.lisa_smoothing;
        self.typology_fields = s.typology_fields;
        self.k = s.k.clamp(
            *crate::analysis::typology::K_RANGE.start(),
            *crate::analysis::typology::K_RANGE.end(),
        );
        self.method = match s.method {
            TypologyMethodSpec::KMeans => TypologyMethod::KMeans,
            TypologyMethodSpec::Ward => TypologyMethod::Ward,
            TypologyMethodSpec::WardContiguous => TypologyMethod::WardContiguous {
                min_population: s.min_population,
            },
        };
    }

    /// Writes the window's settings into the project's diagnostic settings (saved with it, read
    /// by `cartosol render --carte-diagnostic`); the seeds and the flag rule stay as stored.
    fn store(&self, spec: &mut DiagnosticSpec) {
        spec.map = self.map;
        spec.profile_fields = self.profile_fields.clone();
        spec.factor_fields = self.factor_fields.clone();
        spec.min_flags = self.min_flags;
        spec.z_threshold = self.z_threshold;
        spec.factor_shown = self.factor_shown.clone();
        spec.factor_smoothing = self.factor_smoothing;
        spec.lisa_field = self.lisa_field.clone();
        spec.permutations = self.permutations;
        spec.alpha = self.alpha;
        spec.lisa_smoothing = self.lisa_smoothing;
        spec.typology_fields = self.typology_fields.clone();
        spec.k = self.k;
        let (method, min_population) = match self.method {
            TypologyMethod::KMeans => (TypologyMethodSpec::KMeans, spec.min_population),
            TypologyMethod::Ward => (TypologyMethodSpec::Ward, spec.min_population),
            TypologyMethod::WardContiguous { min_population } => {
                (TypologyMethodSpec::WardContiguous, min_population)
            }
        };
        spec.method = method;
        spec.min_population = min_population;
    }

    /// Applies a change; `repaint` is called by background threads when they are done.
    pub fn apply(
        &mut self,
        ws: &mut Workspace,
        command: DiagCommand,
        repaint: impl Fn() + Send + 'static,
    ) {
        let settings = !matches!(
            command,
            DiagCommand::Open(_)
                | DiagCommand::RunLisa
                | DiagCommand::RunTypology
                | DiagCommand::RunKScores
                | DiagCommand::SortProfiles(_)
        );
        self.apply_to(ws, command, repaint);
        if settings && self.layer.is_some() {
            let mut spec = ws.file.diagnostic.clone();
            self.store(&mut spec);
            ws.file.diagnostic = spec;
        }
    }

    fn apply_to(
        &mut self,
        ws: &Workspace,
        command: DiagCommand,
        repaint: impl Fn() + Send + 'static,
    ) {
        match command {
            DiagCommand::Open(open) => self.open = open,
            DiagCommand::ShowMap(map) => self.map = map,
            DiagCommand::SetProfileFields(f) => {
                self.profile_fields = f;
                self.profile_sort = None;
                self.recompute_profiles(ws);
            }
            DiagCommand::SetFactorFields(f) => {
                self.factor_fields = f;
                self.recompute_situations(ws);
            }
            DiagCommand::SetMinFlags(n) => {
                self.min_flags = n.max(1);
                self.recompute_situations(ws);
            }
            DiagCommand::SetZThreshold(z) => {
                if z.is_finite() && z > 0.0 {
                    self.z_threshold = z;
                    self.recompute_situations(ws);
                }
            }
            DiagCommand::SetLisaField(f) => self.lisa_field = f,
            DiagCommand::SetPermutations(p) => self.permutations = p.min(99_999),
            DiagCommand::SetAlpha(a) => {
                if a > 0.0 && a < 1.0 {
                    self.alpha = a;
                }
            }
            DiagCommand::RunLisa => self.start_lisa(ws, repaint),
            DiagCommand::SetTypologyFields(f) => self.typology_fields = f,
            DiagCommand::SetK(k) => {
                self.k = k.clamp(
                    *crate::analysis::typology::K_RANGE.start(),
                    *crate::analysis::typology::K_RANGE.end(),
                )
            }
            DiagCommand::SetMethod(m) => self.method = m,
            DiagCommand::RunTypology => self.start_typology(ws, repaint),
            DiagCommand::SortProfiles(p) => self.profile_sort = p,
            DiagCommand::RunKScores => self.start_k_scores(ws, repaint),
            DiagCommand::SetLisaSmoothing(m) => self.lisa_smoothing = m,
            DiagCommand::SetFactorSmoothing(m) => {
                self.factor_smoothing = m;
                self.recompute_situations(ws);
            }
            DiagCommand::ShowFactor(f) => self.factor_shown = f,
        }
    }

    /// The layer analysed: index, the view, and its name in error messages.
    fn zones<'a>(
        &self,
        ws: &'a Workspace,
    ) -> Result<(usize, &'a super::state::ZoneLayerView, String), String> {
        let (i, _) = self
            .layer
            .clone()
            .ok_or_else(|| "aucune couche de zones sur la carte".to_owned())?;
        let zl = ws
            .zones
            .get(i)
            .ok_or_else(|| "couche de zones introuvable".to_owned())?;
        Ok((i, zl, format!("la couche « {} »", zl.spec.id)))
    }

    fn recompute_profiles(&mut self, ws: &Workspace) {
        self.profiles = Some(self.compute_profiles(ws));
    }

    fn compute_profiles(&self, ws: &Workspace) -> Result<ProfileMix, String> {
        let (_, zl, _) = self.zones(ws)?;
        // At commune level, a mix revealing a count under the secrecy threshold is withheld,
        // as in the diagnostic workbook and the exported map.
        let guard = SecrecyGuard::default().with_privacy(&ws.file.map.privacy);
        crate::export::diagnostic_maps::layer_profiles(
            &zl.spec,
            &zl.layer,
            &self.profile_fields,
            &guard,
        )
        .map(|(mix, _)| mix)
        .map_err(|e| e.to_string())
    }

    fn recompute_situations(&mut self, ws: &Workspace) {
        self.situations = Some(self.compute_situations(ws));
    }

    fn compute_situations(&self, ws: &Workspace) -> Result<SituationsRun, String> {
        let (_, zl, _) = self.zones(ws)?;
        let zones: Vec<_> = ws.zones.iter().map(|z| (&z.spec, &z.layer)).collect();
        let (list, notes) = crate::export::diagnostic_maps::layer_factors(
            &ws.file,
            &zones,
            (&zl.spec, &zl.layer),
            &self.factor_fields,
            &ws.file.dictionary,
            zl.spec.population_field.as_deref(),
            self.factor_smoothing,
        )
        .map_err(|e| e.to_string())?;
        let situations =
            sensitive_situations(&list, zl.layer.len(), self.flag_rule(), self.min_flags);
        Ok(SituationsRun {
            factors: list,
            situations,
            notes,
        })
    }

    /// The flag rule of the sensitive situations (box map or robust z beyond the threshold).
    pub fn flag_rule(&self) -> FlagRule {
        FlagRule::Either {
            threshold: self.z_threshold,
        }
    }

    fn start_lisa(&mut self, ws: &Workspace, repaint: impl Fn() + Send + 'static) {
        let (spec, layer) = match self.zones(ws) {
            Ok((_, zl, _)) => (zl.spec.clone(), zl.layer.clone()),
            Err(e) => {
                self.lisa = Some(Err(e));
                return;
            }
        };
        let rules = crate::project::ratio_rules(&ws.file, &spec.id);
        let field = self.lisa_field.clone();
        let smoothing = self.lisa_smoothing;
        let options = LisaOptions {
            permutations: self.permutations,
            alpha: self.alpha,
            seed: ws.file.diagnostic.seed,
        };
        let (tx, rx) = std::sync::mpsc::channel();
        self.lisa_job = Some(rx);
        std::thread::spawn(move || {
            // The function `cartosol lisa` and `cartosol render --carte-diagnostic lisa` call.
            let result = crate::export::diagnostic_maps::layer_lisa(
                &spec, &layer, &field, &options, smoothing, None, &rules,
            )
            .map(|run| {
                let mut cluster_of = vec![None; layer.len()];
                for (p, row) in run.result.weights.rows.iter().enumerate() {
                    if let Some(slot) = cluster_of.get_mut(*row) {
                        *slot = run.result.local.cluster.get(p).copied();
                    }
                }
                LisaRun {
                    notes: run.notes(),
                    smoothing: run.smoothing(),
                    field: run.field,
                    options: run.options,
                    result: run.result,
                    cluster_of,
                }
            })
            .map_err(|e| e.to_string());
            // Fails only when the window forgot this job (layer changed): nobody waits.
            let _ = tx.send(result);
            repaint();
        });
    }

    fn start_typology(&mut self, ws: &Workspace, repaint: impl Fn() + Send + 'static) {
        let (spec, layer) = match self.zones(ws) {
            Ok((_, zl, _)) => (zl.spec.clone(), zl.layer.clone()),
            Err(e) => {
                self.typology = Some(Err(e));
                return;
            }
        };
        let (k, method, fields) = (self.k, self.method, self.typology_fields.clone());
        let seed = ws.file.diagnostic.typology_seed;
        let (tx, rx) = std::sync::mpsc::channel();
        self.typology_job = Some(rx);
        std::thread::spawn(move || {
            let (method_spec, min_population) = match method {
                TypologyMethod::KMeans => (TypologyMethodSpec::KMeans, 0.0),
                TypologyMethod::Ward => (TypologyMethodSpec::Ward, 0.0),
                TypologyMethod::WardContiguous { min_population } => {
                    (TypologyMethodSpec::WardContiguous, min_population)
                }
            };
            let rows = layer.len();
            // The function `cartosol typology` and the rendered typology map call.
            let result = crate::export::diagnostic_maps::layer_typology(
                &spec,
                &layer,
                &fields,
                k,
                method_spec,
                min_population,
                seed,
            )
            .map(|result| {
                let mut class_of = vec![None; rows];
                for (zone, class) in result.indicators.zones.iter().zip(&result.labels) {
                    if let Some(slot) = class_of.get_mut(*zone) {
                        *slot = Some(*class);
                    }
                }
                TypologyRun {
                    k,
                    method,
                    result,
                    class_of,
                }
            })
            .map_err(|e| e.to_string());
            let _ = tx.send(result);
            repaint();
        });
    }

    fn start_k_scores(&mut self, ws: &Workspace, repaint: impl Fn() + Send + 'static) {
        let indicators = self.zones(ws).and_then(|(_, zl, label)| {
            Indicators::from_table(&zl.layer.attributes, &self.typology_fields, &label)
                .map_err(|e| e.to_string())
        });
        let indicators = match indicators {
            Ok(x) => x,
            Err(e) => {
                self.k_scores = Some(Err(e));
                return;
            }
        };
        let fields = self.typology_fields.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        self.k_scores_job = Some(rx);
        std::thread::spawn(move || {
            let z = crate::analysis::typology::standardize(&indicators.values).z;
            let result = crate::analysis::typology::k_scores(
                &z,
                crate::analysis::typology::K_RANGE,
                &KMeansOptions::default(),
            )
            .map(|scores| (fields, scores))
            .map_err(|e| e.to_string());
            let _ = tx.send(result);
            repaint();
        });
    }

    /// The fills of the choropleth layer's zones for the diagnostic map shown (`None` when no
    /// diagnostic map is shown or its result is not there; a `None` fill is a zone left out,
    /// hatched like a missing value).
    pub fn fill_override(&self) -> Option<Vec<Option<[u8; 3]>>> {
        self.overlay_fill(&[]).map(|f| f.colors)
    }
}

impl DiagnosticState {
    /// Whether a diagnostic map replaces the choropleth's fills now.
    /// (The same conditions as [`DiagnosticState::overlay_fill`] returning a fill, without
    /// building one: the legend asks every frame.)
    pub fn map_shown(&self) -> bool {
        match self.map {
            DiagMap::None => false,
            DiagMap::Profile => matches!(self.profiles, Some(Ok(_))),
            DiagMap::Lisa => matches!(self.lisa, Some(Ok(_))),
            DiagMap::Typology => matches!(self.typology, Some(Ok(_))),
            DiagMap::Situations => matches!(self.situations, Some(Ok(_))),
            DiagMap::Factor => {
                matches!(&self.situations, Some(Ok(run)) if !run.factors.is_empty())
            }
        }
    }

    /// The diagnostic map shown as a fill of the shared map style (title, colour per zone,
    /// key rows with their counts), built by the library functions `cartosol render` uses:
    /// what the map's legend shows and what the map export draws.
    pub fn overlay_fill(
        &self,
        dict: &[crate::dictionary::IndicatorDef],
    ) -> Option<crate::style::map_style::OverlayFill> {
        use crate::export::diagnostic_maps as maps;
        match self.map {
            DiagMap::None => None,
            DiagMap::Profile => {
                let mix = self.profiles.as_ref()?.as_ref().ok()?;
                Some(maps::profile_fill(mix, dict))
            }
            DiagMap::Lisa => {
                let run = self.lisa.as_ref()?.as_ref().ok()?;
                Some(maps::lisa_fill(
                    &run.result,
                    run.cluster_of.len(),
                    &run.field,
                    &run.options,
                    run.smoothing,
                    dict,
                ))
            }
            DiagMap::Typology => {
                let run = self.typology.as_ref()?.as_ref().ok()?;
                Some(maps::typology_fill(&run.result, run.class_of.len()))
            }
            DiagMap::Situations => {
                let run = self.situations.as_ref()?.as_ref().ok()?;
                let rows = run.factors.first().map_or(0, |f| f.values.len());
                Some(maps::situations_fill(
                    &run.factors,
                    rows,
                    self.flag_rule(),
                    self.min_flags,
                ))
            }
            DiagMap::Factor => {
                let run = self.situations.as_ref()?.as_ref().ok()?;
                let factor = run
                    .factors
                    .iter()
                    .find(|f| f.field == self.factor_shown)
                    .or_else(|| run.factors.first())?;
                Some(maps::factor_fill(factor, dict))
            }
        }
    }

    /// The key of the diagnostic map shown, for the map's legend: the rows of
    /// [`DiagnosticState::overlay_fill`], then the zones without a class.
    pub fn map_key_ui(&self, ui: &mut egui::Ui, dict: &[crate::dictionary::IndicatorDef]) {
        let Some(fill) = self.overlay_fill(dict) else {
            return;
        };
        ui.label(egui::RichText::new(&fill.title).strong());
        for row in &fill.key {
            key_row(ui, row.color, &format!("{} ({})", row.label, row.count));
        }
        let missing = fill.colors.iter().filter(|c| c.is_none()).count();
        if missing > 0 {
            key_row(
                ui,
                crate::style::MISSING_COLOR,
                &format!("sans valeur ({missing})"),
            );
        }
    }
}

fn poll<T>(job: &mut Option<Job<T>>, out: &mut Option<Result<T, String>>, what: &str) {
    let Some(rx) = job else {
        return;
    };
    match rx.try_recv() {
        Ok(result) => {
            *out = Some(result);
            *job = None;
        }
        Err(TryRecvError::Empty) => {}
        Err(TryRecvError::Disconnected) => {
            *out = Some(Err(format!("le calcul de {what} s'est interrompu")));
            *job = None;
        }
    }
}

/// A colour swatch followed by a label, for the keys of the diagnostic maps.
fn key_row(ui: &mut egui::Ui, colour: [u8; 3], text: &str) {
    ui.horizontal(|ui| {
        let (rect, _) = ui.allocate_exact_size(egui::vec2(18.0, 12.0), egui::Sense::hover());
        let [r, g, b] = colour;
        ui.painter()
            .rect_filled(rect, 2.0, egui::Color32::from_rgb(r, g, b));
        ui.painter().rect_stroke(
            rect,
            2.0,
            egui::Stroke::new(1.0, egui::Color32::from_gray(90)),
            egui::StrokeKind::Inside,
        );
        ui.label(text);
    });
}

/// Check boxes choosing fields among `all` (kept in the layer's order); pushes `make(new)` when
/// the choice changes.
fn field_picker(
    ui: &mut egui::Ui,
    id: &str,
    all: &[String],
    chosen: &[String],
    dict: &[crate::dictionary::IndicatorDef],
    make: impl Fn(Vec<String>) -> DiagCommand,
    out: &mut Vec<Command>,
) {
    egui::CollapsingHeader::new(format!("Champs ({} choisis)", chosen.len()))
        .id_salt(id)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt(id)
                .max_height(160.0)
                .show(ui, |ui| {
                    for f in all {
                        let mut on = chosen.contains(f);
                        let label = crate::dictionary::label_of(dict, f);
                        let text = if label == f {
                            f.clone()
                        } else {
                            format!("{label} ({f})")
                        };
                        if ui.checkbox(&mut on, text).changed() {
                            let new: Vec<String> = all
                                .iter()
                                .filter(|x| if *x == f { on } else { chosen.contains(x) })
                                .cloned()
                                .collect();
                            out.push(Command::Diagnostic(make(new)));
                        }
                    }
                });
        });
}

/// The diagnostic window (when open).
pub fn diagnostic_window(app: &super::CartoSolApp, out: &mut Vec<Command>, ctx: &egui::Context) {
    let d = &app.diagnostic;
    if !d.open {
        return;
    }
    let mut open = true;
    egui::Window::new("Diagnostic")
        .open(&mut open)
        .default_size([560.0, 640.0])
        .vscroll(true)
        .show(ctx, |ui| {
            let Some((layer, id)) = d.layer.clone() else {
                ui.label("Aucune couche de zones sur la carte.");
                return;
            };
            let name = app
                .ws
                .zones
                .get(layer)
                .map(|z| z.style.label.clone().unwrap_or_else(|| z.spec.name.clone()))
                .unwrap_or(id);
            ui.label(format!(
                "Couche analysée : {name} (la couche de la carte choroplèthe)"
            ));
            ui.horizontal_wrapped(|ui| {
                ui.label("Carte du diagnostic :");
                for (map, text) in [
                    (DiagMap::None, "aucune"),
                    (DiagMap::Profile, "profil surreprésenté"),
                    (DiagMap::Situations, "situations sensibles"),
                    (DiagMap::Factor, "facteur"),
                    (DiagMap::Lisa, "LISA"),
                    (DiagMap::Typology, "typologie"),
                ] {
                    if ui.radio(d.map == map, text).clicked() && d.map != map {
                        out.push(Command::Diagnostic(DiagCommand::ShowMap(map)));
                    }
                }
            });
            let fields = numeric_fields(&app.ws, layer);
            egui::CollapsingHeader::new("Profils")
                .default_open(true)
                .show(ui, |ui| profiles::ui(app, &fields, ui, out));
            egui::CollapsingHeader::new("Facteurs et situations sensibles")
                .show(ui, |ui| situations::ui(app, layer, &fields, ui, out));
            egui::CollapsingHeader::new("Autocorrélation (LISA)")
                .show(ui, |ui| lisa::ui(app, &fields, ui, out));
            egui::CollapsingHeader::new("Typologie")
                .show(ui, |ui| typology::ui(app, &fields, ui, out));
        });
    if !open {
        out.push(Command::Diagnostic(DiagCommand::Open(false)));
    }
}

/// Radio buttons choosing the smoothing of rates (raw, empirical Bayes global or spatial, as
/// GeoDa); pushes `make(new)` when the choice changes.
fn smoothing_picker(
    ui: &mut egui::Ui,
    current: Smoothing,
    make: impl Fn(Smoothing) -> DiagCommand,
    out: &mut Vec<Command>,
) {
    ui.horizontal_wrapped(|ui| {
        ui.label("Taux :");
        for m in [
            Smoothing::Raw,
            Smoothing::EmpiricalBayes,
            Smoothing::SpatialEmpiricalBayes,
        ] {
            if ui.radio(current == m, m.label()).clicked() && current != m {
                out.push(Command::Diagnostic(make(m)));
            }
        }
    })
    .response
    .on_hover_text(
        "Lissage bayésien empirique des taux de petites populations (global, ou local sur les \
         voisins de contiguïté), avant l'analyse ; le taux brut reste dans les exports",
    );
}

/// Shows an error of the diagnostic in the window, in French.
fn error_label(ui: &mut egui::Ui, e: &str) {
    ui.colored_label(
        egui::Color32::from_rgb(180, 30, 30),
        format!("Erreur : {e}"),
    );
}
