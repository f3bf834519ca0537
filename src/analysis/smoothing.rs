//! Empirical Bayes smoothing of rates (event count / base count) for small populations, as
//! PySAL `esda.smoothing` (and GeoDa) compute it:
//!
//! - global ([`empirical_bayes`], esda `Empirical_Bayes`): each raw rate `rᵢ = eᵢ / bᵢ` is
//!   shrunk towards the overall rate `m = Σe / Σb` with the weight `wᵢ = v / (v + m / bᵢ)`,
//!   where `v = Σ bᵢ (rᵢ − m)² / Σb − m / b̄` (method of moments, `b̄` the mean base);
//! - local ([`spatial_empirical_bayes`], esda `Spatial_Empirical_Bayes`): the same with the
//!   prior of each zone taken on its queen neighbourhood including itself (`mᵢ` = Σe / Σb
//!   over the zone and its neighbours; `vᵢ` likewise, with `b̄` the neighbourhood's mean base),
//!   `vᵢ` set to 0 when negative.
//!
//! Rates are plain ratios (multiply by 100 for a percentage). The raw rate is kept beside the
//! smoothed one. Zones whose event or base is missing, or whose base is not positive, are
//! left out (no rate, and not counted in the neighbourhoods), never taken as 0.
//!
//! On a zone layer, [`smooth_field`] smooths the rate of a field from its ratio rule
//! ([`RateSource::of_field`], the project's `crate::project::ratio_rules`) or from explicit
//! event and base fields, in the field's unit (`scale ×` the rate); [`smoothed_table`] gives
//! the table the factors and flags are computed on when the user asks for smoothing, and
//! [`add_rate_columns`] puts the raw and smoothed rates beside a per-zone result.

use super::weights::Weights;
use super::{AnalysisError, numeric_values};
use crate::aggregate::RatioRule;
use crate::model::Table;
/// The smoothing methods, as a project stores them.
pub use crate::project::Smoothing;
use crate::value::Value;

/// Raw and smoothed rates, one per zone (`None`: left out).
#[derive(Clone, Debug, PartialEq)]
pub struct SmoothedRates {
    /// Raw rate `eᵢ / bᵢ`.
    pub raw: Vec<Option<f64>>,
    /// Empirical Bayes rate.
    pub smoothed: Vec<Option<f64>>,
    /// Number of zones left out (missing event or base, base ≤ 0).
    pub left_out: usize,
}

/// The zones with a usable event and base.
fn usable(events: &[Option<f64>], bases: &[Option<f64>]) -> Result<Vec<bool>, AnalysisError> {
    if events.len() != bases.len() {
        return Err(AnalysisError::InvalidParameter {
            name: "effectifs".into(),
            message: format!(
                "{} numérateurs pour {} dénominateurs",
                events.len(),
                bases.len()
            ),
        });
    }
    Ok(events
        .iter()
        .zip(bases)
        .map(|(e, b)| match (e, b) {
            (Some(e), Some(b)) => e.is_finite() && b.is_finite() && *b > 0.0,
            _ => false,
        })
        .collect())
}

fn raw_rates(events: &[Option<f64>], bases: &[Option<f64>], keep: &[bool]) -> Vec<Option<f64>> {
    events
        .iter()
        .zip(bases)
        .zip(keep)
        .map(|((e, b), k)| match (k, e, b) {
            (true, Some(e), Some(b)) => Some(e / b),
            _ => None,
        })
        .collect()
}

/// Global empirical Bayes rates of `events` / `bases` (esda `Empirical_Bayes`).
pub fn empirical_bayes(
    events: &[Option<f64>],
    bases: &[Option<f64>],
) -> Result<SmoothedRates, AnalysisError> {
    let keep = usable(events, bases)?;
    let raw = raw_rates(events, bases, &keep);
    let pairs: Vec<(f64, f64)> = events
        .iter()
        .zip(bases)
        .zip(&keep)
        .filter_map(|((e, b), k)| if *k { Some(((*e)?, (*b)?)) } else { None })
        .collect();
    if pairs.is_empty() {
        return Err(AnalysisError::InvalidParameter {
            name: "effectifs".into(),
            message: "aucune zone n'a de numérateur et de dénominateur renseignés".into(),
        });
    }
    let e_sum: f64 = pairs.iter().map(|p| p.0).sum();
    let b_sum: f64 = pairs.iter().map(|p| p.1).sum();
    let m = e_sum / b_sum;
    let b_mean = b_sum / pairs.len() as f64;
    let var_left = pairs
        .iter()
        .map(|(e, b)| {
            let d = e / b - m;
            b * d * d
        })
        .sum::<f64>()
        / b_sum;
    let v = var_left - m / b_mean;
    let smoothed = raw
        .iter()
        .zip(bases)
        .map(|(r, b)| {
            let (r, b) = ((*r)?, (*b)?);
            let weight = v / (v + m / b);
            Some(weight * r + (1.0 - weight) * m)
        })
        .collect();
    Ok(SmoothedRates {
        raw,
        smoothed,
        left_out: keep.iter().filter(|k| !**k).count(),
    })
}

/// Local (spatial) empirical Bayes rates of `events` / `bases` (one per zone of `w`, the queen
/// weights of the whole layer), the prior taken on each zone and its neighbours (esda
/// `Spatial_Empirical_Bayes`).
pub fn spatial_empirical_bayes(
    events: &[Option<f64>],
    bases: &[Option<f64>],
    w: &Weights,
) -> Result<SmoothedRates, AnalysisError> {
    let keep = usable(events, bases)?;
    if keep.len() != w.len() {
        return Err(AnalysisError::InvalidParameter {
            name: "pondérations".into(),
            message: format!(
                "{} zones pour {} dans les pondérations",
                keep.len(),
                w.len()
            ),
        });
    }
    let raw = raw_rates(events, bases, &keep);
    let e: Vec<f64> = events.iter().map(|v| v.unwrap_or(0.0)).collect();
    let b: Vec<f64> = bases.iter().map(|v| v.unwrap_or(0.0)).collect();
    let smoothed = (0..w.len())
        .map(|i| {
            if !keep.get(i).copied().unwrap_or(false) {
                return None;
            }
            // The zone and its neighbours that are kept.
            let hood: Vec<usize> = std::iter::once(i)
                .chain(w.neighbours.get(i).into_iter().flatten().copied())
                .filter(|j| keep.get(*j).copied().unwrap_or(false))
                .collect();
            let get = |v: &[f64], j: usize| v.get(j).copied().unwrap_or(0.0);
            let e_sum: f64 = hood.iter().map(|j| get(&e, *j)).sum();
            let b_sum: f64 = hood.iter().map(|j| get(&b, *j)).sum();
            let m = e_sum / b_sum;
            let var_left = hood
                .iter()
                .map(|j| {
                    let d = get(&e, *j) / get(&b, *j) - m;
                    get(&b, *j) * d * d
                })
                .sum::<f64>()
                / b_sum;
            let v = (var_left - m / (b_sum / hood.len() as f64)).max(0.0);
            let r = get(&e, i) / get(&b, i);
            let bi = get(&b, i);
            Some(m + (r - m) * (v / (v + m / bi)))
        })
        .collect();
    Ok(SmoothedRates {
        raw,
        smoothed,
        left_out: keep.iter().filter(|k| !**k).count(),
    })
}

/// Where the events and bases of a rate come from: `rate = scale × numerator / denominator`.
#[derive(Clone, Debug, PartialEq)]
pub struct RateSource {
    /// The event count field (`NB_MEN_PAUV`).
    pub numerator: String,
    /// The base count field (`NBMENFISC`).
    pub denominator: String,
    /// The factor of the rate (`100` for a percentage).
    pub scale: f64,
}

impl RateSource {
    /// The source of `field` from the project's ratio rules (`crate::project::ratio_rules`;
    /// names compared case-insensitively), `None` when no rule defines it.
    pub fn of_field(field: &str, rules: &[RatioRule]) -> Option<RateSource> {
        rules
            .iter()
            .find(|r| r.field.trim().eq_ignore_ascii_case(field.trim()))
            .map(|r| RateSource {
                numerator: r.numerator.clone(),
                denominator: r.denominator.clone(),
                scale: r.scale,
            })
    }
}

/// Raw and smoothed rates of one field of a zone layer, in the field's unit.
#[derive(Clone, Debug, PartialEq)]
pub struct SmoothedField {
    /// The rate field (`TP60`).
    pub field: String,
    /// Its events and bases.
    pub source: RateSource,
    /// The method.
    pub method: Smoothing,
    /// Raw rate of each zone, `scale × eᵢ / bᵢ` (`None`: left out).
    pub raw: Vec<Option<f64>>,
    /// Smoothed rate of each zone, `scale ×` the empirical Bayes rate (the raw rate for
    /// [`Smoothing::Raw`]; `None`: left out).
    pub smoothed: Vec<Option<f64>>,
    /// Rows left out: event or base missing (secret, not available…) or base not positive.
    pub left_out: Vec<usize>,
}

impl SmoothedField {
    /// The note to show beside the results, in French.
    pub fn note(&self) -> String {
        let mut note = format!(
            "« {} » : {}, {} × {} / {}",
            self.field,
            self.method.label(),
            crate::value::format_number(self.source.scale),
            self.source.numerator,
            self.source.denominator
        );
        if !self.left_out.is_empty() {
            note.push_str(&format!(
                " ; {} zone(s) sans numérateur ou dénominateur (secret statistique, non \
                 disponible…) laissée(s) de côté, jamais comptée(s) comme 0",
                self.left_out.len()
            ));
        }
        note
    }
}

/// The rates of `field` of `table` (a zone layer's attributes; `layer` names it in errors)
/// computed from `source` and smoothed by `method`. `weights` are the queen weights of the
/// whole layer, needed by [`Smoothing::SpatialEmpiricalBayes`] only.
pub fn smooth_field(
    table: &Table,
    field: &str,
    source: &RateSource,
    method: Smoothing,
    weights: Option<&Weights>,
    layer: &str,
) -> Result<SmoothedField, AnalysisError> {
    if !(source.scale.is_finite() && source.scale > 0.0) {
        return Err(AnalysisError::InvalidParameter {
            name: "échelle".into(),
            message: format!(
                "le facteur du taux « {field} » doit être un nombre positif ({})",
                source.scale
            ),
        });
    }
    let column = |name: &str| -> Result<Vec<Option<f64>>, AnalysisError> {
        Ok(numeric_values(table, name, layer)?
            .iter()
            .map(Value::as_f64)
            .collect())
    };
    let events = column(&source.numerator)?;
    let bases = column(&source.denominator)?;
    let rates = match method {
        Smoothing::Raw => {
            let keep = usable(&events, &bases)?;
            let raw = raw_rates(&events, &bases, &keep);
            SmoothedRates {
                smoothed: raw.clone(),
                raw,
                left_out: keep.iter().filter(|k| !**k).count(),
            }
        }
        Smoothing::EmpiricalBayes => empirical_bayes(&events, &bases)?,
        Smoothing::SpatialEmpiricalBayes => {
            let w = weights.ok_or_else(|| AnalysisError::InvalidParameter {
                name: "pondérations".into(),
                message: "le lissage bayésien empirique spatial demande la contiguïté des \
                          zones"
                    .into(),
            })?;
            spatial_empirical_bayes(&events, &bases, w)?
        }
    };
    let scale = |v: &Vec<Option<f64>>| -> Vec<Option<f64>> {
        v.iter().map(|x| x.map(|x| x * source.scale)).collect()
    };
    let left_out = rates
        .raw
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_none())
        .map(|(i, _)| i)
        .collect();
    Ok(SmoothedField {
        field: field.to_owned(),
        source: source.clone(),
        method,
        raw: scale(&rates.raw),
        smoothed: scale(&rates.smoothed),
        left_out,
    })
}

/// Adds the raw and smoothed rates of `smoothed` to a per-zone result table (one row per zone
/// of the layer), after its `valeur` column (at the end without one): `taux_brut`
/// (`scale × eᵢ / bᵢ`) and `taux_lisse` (the empirical Bayes rate), missing (« non
/// disponible ») for a zone left out.
pub fn add_rate_columns(table: &mut Table, smoothed: &SmoothedField) {
    use crate::model::{Field, FieldKind};
    let column = |name: &str, v: &[Option<f64>]| Field {
        name: name.to_owned(),
        kind: FieldKind::Number,
        values: (0..table.len())
            .map(|r| match v.get(r).copied().flatten() {
                Some(x) => Value::Number(x),
                None => Value::Missing(crate::value::Missing::NotAvailable),
            })
            .collect(),
    };
    let raw = column("taux_brut", &smoothed.raw);
    let smooth = column("taux_lisse", &smoothed.smoothed);
    let at = table
        .field_index("valeur")
        .map_or(table.fields.len(), |i| i + 1);
    table.fields.insert(at.min(table.fields.len()), smooth);
    table.fields.insert(at.min(table.fields.len()), raw);
}

/// A copy of `table` whose `fields` defined by a ratio rule hold their smoothed rates
/// (`method`; see [`smooth_field`]): what the factors and flags are computed on when the user
/// asks for smoothing. A zone left out by the smoothing has a missing value (« non
/// disponible »). Returns the table, the fields smoothed, and notes in French (fields without
/// a rule, kept raw).
pub fn smoothed_table(
    table: &Table,
    fields: &[String],
    rules: &[RatioRule],
    method: Smoothing,
    weights: Option<&Weights>,
    layer: &str,
) -> Result<(Table, Vec<SmoothedField>, Vec<String>), AnalysisError> {
    let mut out = table.clone();
    let mut done = Vec::new();
    let mut notes = Vec::new();
    if method == Smoothing::Raw {
        return Ok((out, done, notes));
    }
    let mut raw_kept = Vec::new();
    for field in fields {
        let Some(source) = RateSource::of_field(field, rules) else {
            raw_kept.push(field.clone());
            continue;
        };
        let smoothed = smooth_field(table, field, &source, method, weights, layer)?;
        if let Some(i) = out.field_index(field)
            && let Some(f) = out.fields.get_mut(i)
        {
            f.kind = crate::model::FieldKind::Number;
            f.values = smoothed
                .smoothed
                .iter()
                .map(|v| {
                    v.map_or(
                        Value::Missing(crate::value::Missing::NotAvailable),
                        Value::Number,
                    )
                })
                .collect();
        }
        notes.push(smoothed.note());
        done.push(smoothed);
    }
    if !raw_kept.is_empty() {
        notes.push(format!(
            "sans numérateur ni dénominateur déclarés (ratio du projet), gardé(s) bruts : {}",
            raw_kept.join(", ")
        ));
    }
    Ok((out, done, notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_eb_by_hand() {
        // e = 1, 9 ; b = 10, 90 → m = 10/100 = 0.1, rates 0.1, 0.1: no variance beyond the
        // Poisson one (v = 0 − 0.1/50 < 0) — weight = v / (v + m/b).
        // A clearer case: e = 0, 20 ; b = 100, 100 → m = 0.1, rates 0, 0.2,
        // var_left = (100·0.01 + 100·0.01)/200 = 0.01, v = 0.01 − 0.1/100 = 0.009,
        // weight = 0.009 / (0.009 + 0.001) = 0.9 → 0.9·r + 0.1·m = 0.01 and 0.19.
        let r = empirical_bayes(
            &[Some(0.0), Some(20.0), None],
            &[Some(100.0), Some(100.0), Some(5.0)],
        )
        .unwrap();
        assert!((r.smoothed[0].unwrap() - 0.01).abs() < 1e-12);
        assert!((r.smoothed[1].unwrap() - 0.19).abs() < 1e-12);
        assert_eq!(r.smoothed[2], None);
        assert_eq!(r.raw[1], Some(0.2));
        assert_eq!(r.left_out, 1);
    }
}
