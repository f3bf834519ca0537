//! Coverage of the zones by the services of one theme: counts, densities, distance from the
//! population to the nearest service, share of the population beyond a distance, eligibility
//! zones, and the 2SFCA accessibility index.
//!
//! How things are counted:
//! - a service with coordinates is counted in the zone that contains it (point in polygon); a
//!   service **without coordinates** is counted in the zone of its declared commune
//!   (`code_insee`…), through that commune's population point; it is left out of distances and
//!   of the 2SFCA (it has no position);
//! - a **remote-only** service (`modes_accueil` = `a-distance` only) is counted apart
//!   (`services_remote`) and left out of distances, densities and the 2SFCA;
//! - the population of a zone is the sum of the populations of the communes whose population
//!   point (interior point, see [`crate::analysis::population`]) falls in it, so a zone layer
//!   of EPCI works with a commune layer as base;
//! - the distance of a zone is the population-weighted mean, over those communes, of the
//!   great-circle distance from each commune's population point to the nearest in-person
//!   service of the theme (services outside the zones count: the nearest one may be across
//!   the border).
//!
//! A missing input stays missing in the output, with its reason (never 0).

use crate::analysis::bivariate::{Bivariate, class_label, classify};
use crate::analysis::eligibility::{
    ELIGIBILITY_FIELD, MODES_FIELD, eligibility_area, is_remote_only,
};
use crate::analysis::fca::Decay;
use crate::analysis::index::{Neighbour, theme_rows};
use crate::analysis::population::PopulationBase;
use crate::analysis::underserved::{Underserved, UnderservedRule, underserved};
use crate::analysis::{
    AnalysisError, COMMUNE_CODE_NAMES, NAME_NAMES, ZONE_CODE_NAMES, ZoneIndex, code_text,
    find_name, numeric_values, require_field, result_field, result_table, text_result_field,
};
use crate::codes::{CodeKind, normalise};
use crate::model::{Field, PointLayer, Table, ZoneLayer};
use crate::value::{Missing, Value, format_number};

/// What to compute; every field has a French option of `cartosol coverage`.
#[derive(Clone, Debug, PartialEq)]
pub struct CoverageOptions {
    /// The field of the services that holds their theme (`dispositif`).
    pub theme_field: String,
    /// The theme analysed (`France Services`); `None` takes every service.
    pub theme: Option<String>,
    /// The code field of the zones (detected among `INSEE_COM`, `CODE_SIREN`… when `None`).
    pub zone_code_field: Option<String>,
    /// The code field of the communes of the population base (detected when `None`).
    pub commune_code_field: Option<String>,
    /// The population field of the communes (inhabitants).
    pub population_field: String,
    /// The need indicator, a field of the zones, copied into the results (e.g. `TP60`).
    pub need_field: Option<String>,
    /// The target public, a count field of the zones (e.g. `NB_MEN_PAUV`): services per 1,000.
    pub target_field: Option<String>,
    /// The 2SFCA demand, a count field of the communes (`None`: their population).
    pub demand_field: Option<String>,
    /// The 2SFCA supply, a field of the services (`None`: 1 per service).
    pub capacity_field: Option<String>,
    /// The declared commune code of the services (detected among `code_insee`… when `None`).
    pub service_code_field: Option<String>,
    /// The 2SFCA catchment radius, metres.
    pub radius_m: f64,
    /// The distance beyond which the population is counted as far from the service, metres.
    pub threshold_m: f64,
    /// The 2SFCA distance decay.
    pub decay: Decay,
}

impl Default for CoverageOptions {
    fn default() -> Self {
        CoverageOptions {
            theme_field: "dispositif".to_owned(),
            theme: None,
            zone_code_field: None,
            commune_code_field: None,
            population_field: "POPULATION".to_owned(),
            need_field: None,
            target_field: None,
            demand_field: None,
            capacity_field: None,
            service_code_field: None,
            radius_m: 10_000.0,
            threshold_m: 10_000.0,
            decay: Decay::Step,
        }
    }
}

/// The figures of one zone.
#[derive(Clone, Debug, PartialEq)]
pub struct ZoneCoverage {
    /// Zone code (text).
    pub code: String,
    /// Zone name.
    pub name: String,
    /// Inhabitants: sum over the communes whose population point lies in the zone.
    pub population: Value,
    /// The need indicator of the zone (as read).
    pub need: Value,
    /// The target public of the zone (as read).
    pub target: Value,
    /// In-person services of the theme in the zone (by position, or by commune code).
    pub services: usize,
    /// Of which counted by their commune code (no coordinates).
    pub services_by_code: usize,
    /// Remote-only services of the theme in the zone (counted apart).
    pub services_remote: usize,
    /// In-person services whose eligibility zones cover at least one commune of the zone,
    /// wherever they are.
    pub services_eligible: usize,
    /// Remote-only services whose eligibility zones cover at least one commune of the zone.
    pub services_remote_eligible: usize,
    /// In-person services per 10,000 inhabitants.
    pub per_10000: Value,
    /// In-person services per 1,000 people of the target public.
    pub per_1000_target: Value,
    /// Population-weighted mean distance to the nearest in-person service, metres.
    pub mean_distance_m: Value,
    /// Share (0–1) of the population farther than the threshold from the nearest service.
    pub share_beyond: Value,
    /// 2SFCA accessibility (supply per unit of demand), demand-weighted mean over the
    /// communes of the zone.
    pub accessibility: Value,
}

/// Coverage of every zone, with what was counted how.
#[derive(Clone, Debug)]
pub struct CoverageResult {
    /// The options used.
    pub options: CoverageOptions,
    /// One entry per zone, in layer order.
    pub zones: Vec<ZoneCoverage>,
    /// Services of the theme (all rows).
    pub services_total: usize,
    /// Services of the theme that are remote-only.
    pub services_remote_total: usize,
    /// Services of the theme without coordinates, counted through their commune code.
    pub services_by_code: usize,
    /// Source rows (line numbers) of services without coordinates and without a known
    /// commune code: counted in no zone.
    pub services_unlocated: Vec<u64>,
    /// Positioned services outside every zone (they still count as nearest services).
    pub services_outside: usize,
    /// Nearest in-person service of each commune of the base (from its population point).
    pub commune_nearest: Vec<Option<Neighbour>>,
    /// 2SFCA accessibility of each commune of the base.
    pub commune_accessibility: Vec<Value>,
    /// The zone of each commune of the base (`None` outside every zone).
    pub commune_zone: Vec<Option<usize>>,
    /// The communes of the population base (codes, names, population points).
    pub base: PopulationBase,
}

fn text_field(table: &crate::model::Table, i: Option<usize>, n: usize) -> Vec<String> {
    match i.and_then(|i| table.fields.get(i)) {
        Some(f) => f
            .values
            .iter()
            .map(|v| code_text(v).unwrap_or_default())
            .collect(),
        None => vec![String::new(); n],
    }
}

/// Computes the coverage of `zones` by the services of `services` (one theme), with
/// `communes` as the population base (may be the same layer as `zones`).
pub fn coverage(
    zones: &ZoneLayer,
    communes: &ZoneLayer,
    services: &PointLayer,
    options: &CoverageOptions,
) -> Result<CoverageResult, AnalysisError> {
    coverage_placed(zones, communes, services, options, None)
}

/// The services already placed in the zones by a job that also needs the placement elsewhere
/// (`coverage` on the command line checks the points with it): the zone index of the zones and
/// the zone of every service.
#[derive(Clone, Copy)]
pub struct Placement<'a> {
    /// [`ZoneIndex::new`] of the zones.
    pub index: &'a ZoneIndex,
    /// `service_zones[i]` is the zone containing service `i`, as [`ZoneIndex::assign`] gives it
    /// for `services.positions`.
    pub service_zones: &'a [Option<usize>],
}

/// [`coverage`] with the services already placed, so that they are placed once. An index of
/// another number of zones, or an assignment of another length than the services, is not
/// trusted: the coverage then places them itself.
pub fn coverage_placed(
    zones: &ZoneLayer,
    communes: &ZoneLayer,
    services: &PointLayer,
    options: &CoverageOptions,
    placed: Option<Placement<'_>>,
) -> Result<CoverageResult, AnalysisError> {
    let placed = placed.filter(|p| p.index.zone_count() == zones.len());
    const ZONES: &str = "la couche des zones";
    const POINTS: &str = "la couche des services";
    const COMMUNES: &str = "la couche des communes";
    if zones.is_empty() {
        return Err(AnalysisError::EmptyLayer {
            layer: ZONES.to_owned(),
        });
    }
    for (name, v) in [
        ("--radius-km", options.radius_m),
        ("--threshold-km", options.threshold_m),
    ] {
        if !(v.is_finite() && v > 0.0) {
            return Err(AnalysisError::InvalidParameter {
                name: name.to_owned(),
                message: format!("une distance positive est attendue ({} km)", v / 1000.0),
            });
        }
    }
    let zt = &zones.attributes;
    let code_i = match &options.zone_code_field {
        Some(f) => Some(require_field(zt, f, ZONES)?),
        None => find_name(zt, ZONE_CODE_NAMES),
    };
    let codes = text_field(zt, code_i, zones.len());
    let names = text_field(zt, find_name(zt, NAME_NAMES), zones.len());
    let zone_values = |f: &Option<String>| -> Result<Vec<Value>, AnalysisError> {
        match f {
            Some(f) => numeric_values(zt, f, ZONES),
            None => Ok(vec![Value::Missing(Missing::NotApplicable); zones.len()]),
        }
    };
    let need = zone_values(&options.need_field)?;
    let target = zone_values(&options.target_field)?;

    let base = PopulationBase::from_communes(
        communes,
        options.commune_code_field.as_deref(),
        &options.population_field,
    )?;
    let demand = match &options.demand_field {
        Some(f) => numeric_values(&communes.attributes, f, COMMUNES)?,
        None => base.population.clone(),
    };
    let own_index;
    let zone_index = match placed {
        Some(p) => p.index,
        None => {
            own_index = ZoneIndex::new(zones);
            &own_index
        }
    };
    let commune_zone = zone_index.assign(&base.points);

    // Services of the theme.
    let rows: Vec<usize> = match &options.theme {
        Some(t) => theme_rows(services, &options.theme_field, t)?,
        None => (0..services.len()).collect(),
    };
    let st = &services.attributes;
    let modes = st.field(MODES_FIELD);
    let remote: Vec<bool> = rows
        .iter()
        .map(|&r| {
            modes
                .and_then(|f| f.values.get(r))
                .is_some_and(is_remote_only)
        })
        .collect();
    let svc_code_i = match &options.service_code_field {
        Some(f) => Some(require_field(st, f, POINTS)?),
        None => find_name(st, COMMUNE_CODE_NAMES),
    };
    let capacity = match &options.capacity_field {
        Some(f) => Some(numeric_values(st, f, POINTS)?),
        None => None,
    };
    let by_code = base.rows_by_code();

    let n = zones.len();
    let mut out_services = vec![0usize; n];
    let mut out_by_code = vec![0usize; n];
    let mut out_remote = vec![0usize; n];
    let mut out_eligible = vec![0usize; n];
    let mut out_remote_eligible = vec![0usize; n];
    let mut unlocated = Vec::new();
    let mut outside = 0;
    let mut by_code_total = 0;
    let mut supply = Vec::new();
    let mut nearest_positions = Vec::new();
    let eligibility = st.field(ELIGIBILITY_FIELD);
    // Point in polygon for every positioned service at once (in parallel, in Morton order).
    let row_positions: Vec<Option<geo::Point<f64>>> = rows
        .iter()
        .map(|&r| services.positions.get(r).copied().flatten())
        .collect();
    let row_zones = match placed.map(|p| p.service_zones) {
        Some(placed) if placed.len() == services.len() => rows
            .iter()
            .map(|&r| placed.get(r).copied().flatten())
            .collect(),
        _ => zone_index.assign(&row_positions),
    };
    for (((&r, &is_remote), &position), &row_zone) in
        rows.iter().zip(&remote).zip(&row_positions).zip(&row_zones)
    {
        let zone = match position {
            Some(_) => {
                if row_zone.is_none() {
                    outside += 1;
                }
                row_zone
            }
            None => {
                let commune = svc_code_i
                    .and_then(|i| st.fields.get(i))
                    .and_then(|f| f.values.get(r))
                    .and_then(code_text)
                    .and_then(|t| normalise(&t, CodeKind::Commune).ok())
                    .and_then(|c| by_code.get(&c.code).copied());
                match commune {
                    Some(c) => {
                        by_code_total += 1;
                        commune_zone.get(c).copied().flatten()
                    }
                    None => {
                        unlocated.push(st.row_origin.get(r).copied().unwrap_or(0));
                        None
                    }
                }
            }
        };
        if let Some(z) = zone {
            let slot = if is_remote {
                &mut out_remote
            } else {
                &mut out_services
            };
            if let Some(c) = slot.get_mut(z) {
                *c += 1;
            }
            if position.is_none()
                && !is_remote
                && let Some(c) = out_by_code.get_mut(z)
            {
                *c += 1;
            }
        }
        if let Some(f) = eligibility {
            let area = f
                .values
                .get(r)
                .map(|v| eligibility_area(v, &base))
                .unwrap_or_default();
            let mut covered: Vec<usize> = area
                .communes
                .iter()
                .filter_map(|&c| commune_zone.get(c).copied().flatten())
                .collect();
            covered.sort_unstable();
            covered.dedup();
            let slot = if is_remote {
                &mut out_remote_eligible
            } else {
                &mut out_eligible
            };
            for z in covered {
                if let Some(c) = slot.get_mut(z) {
                    *c += 1;
                }
            }
        }
        if !is_remote && let Some(p) = position {
            nearest_positions.push((r, p));
            supply.push(match &capacity {
                Some(c) => c.get(r).cloned().unwrap_or(Value::Missing(Missing::Empty)),
                None => Value::Number(1.0),
            });
        }
    }

    // Distances from every commune's population point, and the 2SFCA.
    let (commune_nearest, fca) = crate::analysis::fca::nearest_and_fca(
        &base.points,
        &demand,
        &nearest_positions,
        &supply,
        options.radius_m,
        options.decay,
    )?;

    let mut members: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (c, z) in commune_zone.iter().enumerate() {
        if let Some(list) = z.and_then(|z| members.get_mut(z)) {
            list.push(c);
        }
    }
    let zones_out = (0..n)
        .map(|z| {
            let list = members.get(z).map(Vec::as_slice).unwrap_or_default();
            let population = sum_values(list.iter().map(|&c| base.population.get(c)));
            let services = out_services.get(z).copied().unwrap_or(0);
            let target_v = target
                .get(z)
                .cloned()
                .unwrap_or(Value::Missing(Missing::NotApplicable));
            ZoneCoverage {
                code: codes.get(z).cloned().unwrap_or_default(),
                name: names.get(z).cloned().unwrap_or_default(),
                per_10000: rate(services, &population, 10_000.0),
                per_1000_target: if options.target_field.is_some() {
                    rate(services, &target_v, 1_000.0)
                } else {
                    Value::Missing(Missing::NotApplicable)
                },
                mean_distance_m: weighted(list, &base.population, |c| {
                    commune_nearest
                        .get(c)
                        .copied()
                        .flatten()
                        .map(|n| n.distance_m)
                }),
                share_beyond: weighted(list, &base.population, |c| {
                    commune_nearest
                        .get(c)
                        .copied()
                        .flatten()
                        .map(|n| f64::from(u8::from(n.distance_m > options.threshold_m)))
                }),
                accessibility: weighted_values(list, &demand, &fca.accessibility),
                population,
                need: need
                    .get(z)
                    .cloned()
                    .unwrap_or(Value::Missing(Missing::NotApplicable)),
                target: target_v,
                services,
                services_by_code: out_by_code.get(z).copied().unwrap_or(0),
                services_remote: out_remote.get(z).copied().unwrap_or(0),
                services_eligible: out_eligible.get(z).copied().unwrap_or(0),
                services_remote_eligible: out_remote_eligible.get(z).copied().unwrap_or(0),
            }
        })
        .collect();
    Ok(CoverageResult {
        options: options.clone(),
        zones: zones_out,
        services_total: rows.len(),
        services_remote_total: remote.iter().filter(|r| **r).count(),
        services_by_code: by_code_total,
        services_unlocated: unlocated,
        services_outside: outside,
        commune_nearest,
        commune_accessibility: fca.accessibility,
        commune_zone,
        base,
    })
}

/// Σ of values; any missing one makes the sum `Incomplete` (or keeps its reason if alone);
/// an empty list is `NotApplicable`.
fn sum_values<'a>(values: impl Iterator<Item = Option<&'a Value>>) -> Value {
    let mut total = 0.0;
    let mut count = 0;
    let mut missing: Option<Missing> = None;
    for v in values {
        count += 1;
        match v {
            Some(Value::Number(x)) => total += x,
            Some(Value::Missing(m)) => missing = Some(missing.map_or(*m, |_| Missing::Incomplete)),
            _ => missing = Some(Missing::NotAvailable),
        }
    }
    match (count, missing) {
        (0, _) => Value::Missing(Missing::NotApplicable),
        (1, Some(m)) => Value::Missing(m),
        (_, Some(_)) => Value::Missing(Missing::Incomplete),
        _ => Value::Number(total),
    }
}

/// `count / base × scale`; a missing base keeps its reason, a zero base is `NotApplicable`.
fn rate(count: usize, base: &Value, scale: f64) -> Value {
    match base {
        Value::Number(b) if *b > 0.0 => Value::Number(count as f64 / b * scale),
        Value::Number(_) => Value::Missing(Missing::NotApplicable),
        Value::Missing(m) => Value::Missing(*m),
        Value::Text(_) => Value::Missing(Missing::NotAvailable),
    }
}

/// Population-weighted mean of `f(commune)` over `list`; missing populations make it
/// `Incomplete`, no value at all (no service anywhere) makes it `NotApplicable`.
fn weighted(list: &[usize], population: &[Value], f: impl Fn(usize) -> Option<f64>) -> Value {
    let (mut num, mut den) = (0.0, 0.0);
    for &c in list {
        let Some(x) = f(c) else {
            return Value::Missing(Missing::NotApplicable);
        };
        match population.get(c) {
            Some(Value::Number(w)) => {
                num += w * x;
                den += w;
            }
            _ => return Value::Missing(Missing::Incomplete),
        }
    }
    if den > 0.0 {
        Value::Number(num / den)
    } else {
        Value::Missing(Missing::NotApplicable)
    }
}

/// Demand-weighted mean of per-commune values.
fn weighted_values(list: &[usize], weights: &[Value], values: &[Value]) -> Value {
    let (mut num, mut den) = (0.0, 0.0);
    for &c in list {
        match (weights.get(c), values.get(c)) {
            (Some(Value::Number(w)), Some(Value::Number(x))) => {
                num += w * x;
                den += w;
            }
            (_, Some(Value::Missing(Missing::NotApplicable))) => {}
            _ => return Value::Missing(Missing::Incomplete),
        }
    }
    if den > 0.0 {
        Value::Number(num / den)
    } else {
        Value::Missing(Missing::NotApplicable)
    }
}

fn scaled(v: &Value, factor: f64) -> Value {
    match v {
        Value::Number(x) => Value::Number(x * factor),
        other => other.clone(),
    }
}

fn count(n: usize) -> Value {
    Value::Number(n as f64)
}

/// Which coverage figure measures the offer in the under-served rule and the bivariate map.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OfferMeasure {
    /// In-person services per 10,000 inhabitants (the app's measure).
    #[default]
    Per10000,
    /// In-person services per 1,000 people of the target public (`--target-field`).
    Per1000Target,
    /// 2SFCA accessibility per 1,000 of the demand.
    Accessibility,
}

/// The under-served rule and the bivariate classes applied to a coverage result.
#[derive(Clone, Debug, PartialEq)]
pub struct Gaps {
    /// The offer measure the rule and the classes use.
    pub offer_measure: OfferMeasure,
    /// The need of each zone (as read).
    pub need: Vec<Value>,
    /// The offer of each zone (the measure, as in the table: per 10,000, per 1,000…).
    pub offer: Vec<Value>,
    /// The zones flagged by the rule, and the rule in words.
    pub underserved: Underserved,
    /// Need tercile × offer tercile of each zone.
    pub bivariate: Bivariate,
}

impl Gaps {
    /// The under-served flag of each zone: `oui` / `non`, or missing with the reason of the
    /// missing need or offer (a zone without figures is not assessed).
    pub fn flags(&self) -> Vec<Value> {
        let n = self.need.len();
        let mut flagged = vec![false; n];
        for f in &self.underserved.flagged {
            if let Some(x) = flagged.get_mut(f.zone) {
                *x = true;
            }
        }
        let mut not_assessed = vec![false; n];
        for &z in &self.underserved.not_assessed {
            if let Some(x) = not_assessed.get_mut(z) {
                *x = true;
            }
        }
        (0..n)
            .map(|z| {
                if flagged.get(z).copied().unwrap_or(false) {
                    Value::Text("oui".to_owned())
                } else if not_assessed.get(z).copied().unwrap_or(false) {
                    Value::Missing(missing_reason(self.need.get(z), self.offer.get(z)))
                } else {
                    Value::Text("non".to_owned())
                }
            })
            .collect()
    }

    /// The bivariate class of each zone in words (« Besoin fort, offre faible »), or missing
    /// with the reason of the missing need or offer.
    pub fn classes(&self) -> Vec<Value> {
        self.bivariate
            .classes
            .iter()
            .enumerate()
            .map(|(z, c)| match c {
                Some(c) => Value::Text(class_label(*c)),
                None => Value::Missing(missing_reason(self.need.get(z), self.offer.get(z))),
            })
            .collect()
    }

    /// The three columns added to a result table: class, flag and the rule in words.
    fn fields(&self) -> Vec<Field> {
        let n = self.need.len();
        vec![
            result_field(CLASS_HEADER, self.classes()),
            result_field(FLAG_HEADER, self.flags()),
            result_field(
                RULE_HEADER,
                vec![Value::Text(self.underserved.rule_text.clone()); n],
            ),
        ]
    }
}

/// Header of the bivariate class column.
pub const CLASS_HEADER: &str = "classe bivariée (besoin × offre)";
/// Header of the under-served flag column.
pub const FLAG_HEADER: &str = "sous-desservie";
/// Header of the column that repeats the under-served rule in words on every row.
pub const RULE_HEADER: &str = "règle de sous-desserte";

/// The reason a need/offer pair could not be assessed: the first missing reason, else
/// `non disponible`.
fn missing_reason(need: Option<&Value>, offer: Option<&Value>) -> Missing {
    [need, offer]
        .into_iter()
        .flatten()
        .find_map(|v| match v {
            Value::Missing(m) => Some(*m),
            _ => None,
        })
        .unwrap_or(Missing::NotAvailable)
}

impl CoverageResult {
    /// The French column headers of [`CoverageResult::coverage_table`] (without the columns of
    /// the under-served rule).
    pub fn headers(&self) -> Vec<String> {
        let o = &self.options;
        let mut h = vec!["code".to_owned(), "nom".to_owned(), "population".to_owned()];
        if let Some(f) = &o.need_field {
            h.push(self.need_header(f));
        }
        if let Some(f) = &o.target_field {
            h.push(self.target_header(f));
        }
        h.extend([
            "services (sur place)".to_owned(),
            "dont sans coordonnées (comptés par code commune)".to_owned(),
            "services à distance uniquement".to_owned(),
            "services éligibles (zone d'éligibilité)".to_owned(),
            "services à distance éligibles".to_owned(),
            self.offer_header(OfferMeasure::Per10000),
        ]);
        if o.target_field.is_some() {
            h.push(self.offer_header(OfferMeasure::Per1000Target));
        }
        h.extend([
            "distance moyenne au service le plus proche (km)".to_owned(),
            format!(
                "part de la population à plus de {} km (%)",
                km(o.threshold_m)
            ),
            self.offer_header(OfferMeasure::Accessibility),
        ]);
        h
    }

    /// The header of the column that copies the need (`besoin : TP60`).
    pub fn need_header(&self, field: &str) -> String {
        format!("besoin : {field}")
    }

    /// The header of the column that copies the target public (`public cible : NB_MEN_PAUV`):
    /// a count of people or households when the target field is one.
    pub fn target_header(&self, field: &str) -> String {
        format!("public cible : {field}")
    }

    /// The header (and the words of the rule) of an offer measure.
    pub fn offer_header(&self, measure: OfferMeasure) -> String {
        let o = &self.options;
        match measure {
            OfferMeasure::Per10000 => "services pour 10 000 habitants".to_owned(),
            OfferMeasure::Per1000Target => format!(
                "services pour 1 000 {}",
                o.target_field.as_deref().unwrap_or("du public cible")
            ),
            OfferMeasure::Accessibility => format!(
                "accessibilité 2SFCA pour 1 000 {} (rayon {} km, décroissance {})",
                o.demand_field.as_deref().unwrap_or("habitants"),
                km(o.radius_m),
                o.decay.label()
            ),
        }
    }

    /// The need of every zone (missing everywhere, `sans objet`, without a need field).
    pub fn need_values(&self) -> Vec<Value> {
        self.zones.iter().map(|z| z.need.clone()).collect()
    }

    /// The offer of every zone by `measure`, in the units of the table (per 10,000, per 1,000).
    pub fn offer_values(&self, measure: OfferMeasure) -> Vec<Value> {
        self.zones
            .iter()
            .map(|z| match measure {
                OfferMeasure::Per10000 => z.per_10000.clone(),
                OfferMeasure::Per1000Target => z.per_1000_target.clone(),
                OfferMeasure::Accessibility => scaled(&z.accessibility, 1000.0),
            })
            .collect()
    }

    /// Applies `rule` (need = the need field, offer = `measure`) and the bivariate
    /// classification to every zone.
    pub fn gaps(&self, measure: OfferMeasure, rule: &UnderservedRule) -> Gaps {
        let need = self.need_values();
        let offer = self.offer_values(measure);
        Gaps {
            offer_measure: measure,
            underserved: underserved(&need, &offer, rule),
            bivariate: classify(&need, &offer),
            need,
            offer,
        }
    }

    /// The results as a table (one row per zone, in layer order), with French headers;
    /// distances in km, shares in %, codes as text, missing values with their reason. With
    /// `gaps`, the bivariate class, the under-served flag and the rule in words are added.
    pub fn coverage_table(&self, gaps: Option<&Gaps>) -> Table {
        let o = &self.options;
        let headers = self.headers();
        let z = &self.zones;
        let column =
            |f: &dyn Fn(&ZoneCoverage) -> Value| -> Vec<Value> { z.iter().map(f).collect() };
        let mut columns: Vec<Vec<Value>> = vec![column(&|z| scaled(&z.population, 1.0))];
        if o.need_field.is_some() {
            columns.push(column(&|z| z.need.clone()));
        }
        if o.target_field.is_some() {
            columns.push(column(&|z| z.target.clone()));
        }
        columns.extend([
            column(&|z| count(z.services)),
            column(&|z| count(z.services_by_code)),
            column(&|z| count(z.services_remote)),
            column(&|z| count(z.services_eligible)),
            column(&|z| count(z.services_remote_eligible)),
            column(&|z| z.per_10000.clone()),
        ]);
        if o.target_field.is_some() {
            columns.push(column(&|z| z.per_1000_target.clone()));
        }
        columns.extend([
            column(&|z| scaled(&z.mean_distance_m, 0.001)),
            column(&|z| scaled(&z.share_beyond, 100.0)),
            column(&|z| scaled(&z.accessibility, 1000.0)),
        ]);
        let mut fields = vec![
            text_result_field("code", z.iter().map(|z| z.code.clone())),
            text_result_field("nom", z.iter().map(|z| z.name.clone())),
        ];
        fields.extend(
            headers
                .into_iter()
                .skip(2)
                .zip(columns)
                .map(|(h, values)| result_field(h, values)),
        );
        if let Some(g) = gaps {
            fields.extend(g.fields());
        }
        result_table(z.len(), fields)
    }

    /// The under-served table: one row per zone (layer order) with its code, name,
    /// population, need, offer, in-person services, flag, bivariate class and the rule.
    pub fn underserved_table(&self, gaps: &Gaps) -> Table {
        let z = &self.zones;
        let need_header = self
            .options
            .need_field
            .as_deref()
            .map_or_else(|| "besoin".to_owned(), |f| self.need_header(f));
        let mut fields = vec![
            text_result_field("code", z.iter().map(|z| z.code.clone())),
            text_result_field("nom", z.iter().map(|z| z.name.clone())),
            result_field(
                "population",
                z.iter().map(|z| z.population.clone()).collect(),
            ),
            result_field(need_header, gaps.need.clone()),
            result_field(self.offer_header(gaps.offer_measure), gaps.offer.clone()),
            result_field(
                "services (sur place)",
                z.iter().map(|z| count(z.services)).collect(),
            ),
        ];
        fields.extend(gaps.fields());
        result_table(z.len(), fields)
    }
}

fn km(m: f64) -> String {
    format_number(m / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_and_rates_keep_missing_reasons() {
        let a = Value::Number(3.0);
        let s = Value::Missing(Missing::Secret);
        assert_eq!(
            sum_values([Some(&a), Some(&a)].into_iter()),
            Value::Number(6.0)
        );
        assert_eq!(
            sum_values([Some(&a), Some(&s)].into_iter()),
            Value::Missing(Missing::Incomplete)
        );
        assert_eq!(
            sum_values([Some(&s)].into_iter()),
            Value::Missing(Missing::Secret)
        );
        assert_eq!(
            sum_values(std::iter::empty()),
            Value::Missing(Missing::NotApplicable)
        );
        assert_eq!(
            rate(2, &Value::Number(40_000.0), 10_000.0),
            Value::Number(0.5)
        );
        assert_eq!(rate(2, &s, 1_000.0), Value::Missing(Missing::Secret));
        assert_eq!(
            rate(0, &Value::Number(0.0), 1_000.0),
            Value::Missing(Missing::NotApplicable)
        );
    }

    #[test]
    fn weighted_mean_by_population() {
        // Communes of 1,000 and 3,000 inhabitants at 2 km and 6 km: (2×1000 + 6×3000)/4000 = 5.
        let pop = [Value::Number(1000.0), Value::Number(3000.0)];
        let d = [2.0, 6.0];
        assert_eq!(
            weighted(&[0, 1], &pop, |c| d.get(c).copied()),
            Value::Number(5.0)
        );
        let pop2 = [Value::Number(1000.0), Value::Missing(Missing::Secret)];
        assert_eq!(
            weighted(&[0, 1], &pop2, |c| d.get(c).copied()),
            Value::Missing(Missing::Incomplete)
        );
    }
}
