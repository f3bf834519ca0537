//! Aggravating factors (transport, energy poverty, childcare, training, unemployment…): each
//! zone against the département, as a signed gap to the département value and a robust
//! z-score `(value − median) / (1.4826 · MAD)`, oriented by the dictionary's direction so that
//! a positive score always means more need.
//!
//! The département value is the territory figure of [`crate::aggregate::territory_figures`]:
//! a declared (or detected) ratio recomputed as a ratio of sums, else a population-weighted
//! mean; the method is kept in words. The median, quartiles and MAD are over the zones with a
//! value (missing values are left out, never taken as 0), with the percentile of the box map
//! ([`crate::style::classify::percentile`]).

use super::{AnalysisError, numeric_values};
use crate::aggregate::{RatioRule, territory_figures};
use crate::dictionary::{Direction, IndicatorDef, def_of};
use crate::model::Table;
use crate::style::classify::percentile;
use crate::value::{Missing, Value, ValueRef};

/// The MAD scale that makes it estimate the standard deviation of a normal distribution.
pub const MAD_SCALE: f64 = 1.4826;

/// The box-map hinge (the fences are `Q1 − 1.5·IQR` and `Q3 + 1.5·IQR`).
pub const HINGE: f64 = 1.5;

/// One factor over the zones.
#[derive(Clone, Debug, PartialEq)]
pub struct Factor {
    /// The field.
    pub field: String,
    /// Its dictionary entry (inferred from the code when the dictionary lacks it).
    pub def: IndicatorDef,
    /// The value of each zone (`Err`: why it is missing).
    pub values: Vec<Result<f64, Missing>>,
    /// The département value, or why it is missing.
    pub reference: Result<f64, Missing>,
    /// How the département value was computed, in French.
    pub reference_method: String,
    /// Median over the zones with a value.
    pub median: f64,
    /// Median absolute deviation from the median (unscaled).
    pub mad: f64,
    /// First quartile.
    pub q1: f64,
    /// Third quartile.
    pub q3: f64,
    /// Signed gap to the département value, in the indicator's unit (value − département).
    pub gaps: Vec<Option<f64>>,
    /// Robust z-score oriented towards need (positive = more need); `None` for a missing
    /// value or when the MAD is 0.
    pub z: Vec<Option<f64>>,
}

impl Factor {
    /// The low fence of the box map, `Q1 − 1.5·IQR`.
    pub fn low_fence(&self) -> f64 {
        self.q1 - HINGE * (self.q3 - self.q1)
    }

    /// The high fence of the box map, `Q3 + 1.5·IQR`.
    pub fn high_fence(&self) -> f64 {
        self.q3 + HINGE * (self.q3 - self.q1)
    }
}

/// The median of sorted values (`NaN` when empty).
fn median(sorted: &[f64]) -> f64 {
    percentile(sorted, 50.0).unwrap_or(f64::NAN)
}

/// Another zone layer covering the same territory (EPCI for communes), whose territory
/// figures stand in for the département value when the zones' own are incomplete (communes
/// under statistical secrecy).
#[derive(Clone, Copy, Debug)]
pub struct FallbackReference<'a> {
    /// Its attributes.
    pub table: &'a Table,
    /// Its weight field for the means.
    pub weight_field: Option<&'a str>,
    /// The layer, as shown to the user (« la couche « epci » »).
    pub layer: &'a str,
}

/// Computes each factor of `fields` over the zones of `table`. `weight_field` weights the
/// département means of rates that are not ratios; `rules` are the project's declared ratios;
/// `fallback` gives the département value when the zones' own figure is incomplete.
pub fn factors(
    table: &Table,
    fields: &[String],
    dictionary: &[IndicatorDef],
    weight_field: Option<&str>,
    rules: &[RatioRule],
    layer: &str,
    fallback: Option<FallbackReference<'_>>,
) -> Result<Vec<Factor>, AnalysisError> {
    if table.is_empty() {
        return Err(AnalysisError::EmptyLayer {
            layer: layer.to_owned(),
        });
    }
    if let Some(w) = weight_field {
        super::require_field(table, w, layer)?;
    }
    let territory = territory_figures(table, weight_field, rules).map_err(|message| {
        AnalysisError::InvalidParameter {
            name: "--facteurs".to_owned(),
            message,
        }
    })?;
    let other = fallback.and_then(|f| {
        territory_figures(f.table, f.weight_field, rules)
            .ok()
            .map(|t| (t, f.layer))
    });
    let mut out = Vec::with_capacity(fields.len());
    for field in fields {
        let values: Vec<Result<f64, Missing>> = numeric_values(table, field, layer)?
            .iter()
            .map(|v| match v {
                Value::Number(x) if x.is_finite() => Ok(*x),
                Value::Missing(m) => Err(*m),
                _ => Err(Missing::NotAvailable),
            })
            .collect();
        let mut sorted: Vec<f64> = values.iter().filter_map(|v| v.ok()).collect();
        if sorted.is_empty() {
            return Err(AnalysisError::EmptyLayer {
                layer: format!("{layer} (aucune valeur de « {field} »)"),
            });
        }
        sorted.sort_by(f64::total_cmp);
        let med = median(&sorted);
        let mut deviations: Vec<f64> = sorted.iter().map(|x| (x - med).abs()).collect();
        deviations.sort_by(f64::total_cmp);
        let mad = median(&deviations);
        let q1 = percentile(&sorted, 25.0).unwrap_or(f64::NAN);
        let q3 = percentile(&sorted, 75.0).unwrap_or(f64::NAN);
        let reference = match territory.table.field(field).and_then(|f| f.values.first()) {
            Some(ValueRef::Number(x)) => Ok(x),
            Some(ValueRef::Missing(m)) => Err(m),
            _ => Err(Missing::NotAvailable),
        };
        let method = territory
            .methods
            .iter()
            .find(|(name, _)| name == field)
            .map_or_else(|| "non calculé".to_owned(), |(_, m)| m.to_string());
        let from_other = other.as_ref().and_then(|(t, other_layer)| {
            let value = t
                .table
                .field(field)
                .and_then(|f| f.values.first())?
                .as_f64()?;
            let how = t
                .methods
                .iter()
                .find(|(name, _)| name == field)
                .map(|(_, m)| m.to_string())?;
            Some((value, format!("{how}, sur {other_layer}")))
        });
        let (reference, reference_method) = match (reference, from_other) {
            (Ok(x), _) => (Ok(x), format!("valeur départementale : {method}")),
            (Err(m), Some((x, how))) => (
                Ok(x),
                match m {
                    Missing::Incomplete => {
                        format!("valeur départementale : {how} (valeurs de {layer} incomplètes)")
                    }
                    other => format!(
                        "valeur départementale : {how} (sur {layer} : {})",
                        other.label()
                    ),
                },
            ),
            (Err(m), None) => (
                Err(m),
                format!(
                    "valeur départementale non calculée ({}) : {method}",
                    m.label()
                ),
            ),
        };
        let def = def_of(dictionary, field);
        let sign = def.direction.need_sign();
        let gaps = values
            .iter()
            .map(|v| match (v, reference) {
                (Ok(x), Ok(r)) => Some(x - r),
                _ => None,
            })
            .collect();
        let z = values
            .iter()
            .map(|v| match v {
                Ok(x) if mad > 0.0 => Some(sign * (x - med) / (MAD_SCALE * mad)),
                _ => None,
            })
            .collect();
        out.push(Factor {
            field: field.clone(),
            def,
            values,
            reference,
            reference_method,
            median: med,
            mad,
            q1,
            q3,
            gaps,
            z,
        });
    }
    Ok(out)
}

/// The factors table: one row per zone and factor (zone code and name, indicator code and
/// label, unit, direction, value, département value, signed gap, robust z oriented to need).
pub fn factors_table(
    factors: &[Factor],
    attributes: &Table,
    code_field: &str,
    name_field: Option<&str>,
) -> Table {
    let (codes, names) = super::profiles::codes_and_names(attributes, code_field, name_field);
    let mut cols: Vec<Vec<Value>> = vec![Vec::new(); 11];
    let num = |x: Option<f64>| x.map_or(Value::Missing(Missing::NotApplicable), Value::Number);
    for row in 0..attributes.len() {
        for f in factors {
            let value = match f.values.get(row) {
                Some(Ok(x)) => Value::Number(*x),
                Some(Err(m)) => Value::Missing(*m),
                None => Value::Missing(Missing::NotAvailable),
            };
            let reference = match f.reference {
                Ok(x) => Value::Number(x),
                Err(m) => Value::Missing(m),
            };
            let row_values = [
                Value::Text(codes.get(row).cloned().unwrap_or_default()),
                Value::Text(names.get(row).cloned().unwrap_or_default()),
                Value::Text(f.field.clone()),
                Value::Text(f.def.label.clone()),
                Value::Text(f.def.unit.clone()),
                Value::Text(f.def.direction.label().to_owned()),
                value,
                reference,
                num(f.gaps.get(row).copied().flatten()),
                num(f.z.get(row).copied().flatten()),
                Value::Text(f.reference_method.clone()),
            ];
            super::push_row(&mut cols, row_values);
        }
    }
    let names = [
        "Code zone",
        "Zone",
        "Code indicateur",
        "Indicateur",
        "Unité",
        "Sens",
        "Valeur",
        "Valeur départementale",
        "Écart à la valeur départementale",
        "Score z robuste (positif = plus de besoin)",
        "Valeur départementale : méthode",
    ];
    super::columns_table(&names, cols)
}

/// How a direction reads for the flags, in French (for the rules in words).
pub fn direction_word(direction: Direction) -> &'static str {
    match direction {
        Direction::Offer => "une valeur basse signale un besoin (indicateur d'offre)",
        Direction::Need | Direction::Neutral => "une valeur haute signale un besoin",
    }
}
