//! Sensitive local situations (« situations locales sensibles »): a zone is flagged on an
//! indicator when it is an outlier in the need direction, and the situations are the zones
//! flagged on at least N indicators.
//!
//! The box-map rule is the one of the map's box-map classification
//! ([`crate::style::ClassMethod::BoxMap`], mapclassify's `BoxPlot`, hinge 1.5, quartiles by
//! linear interpolation): for a need indicator a value strictly above `Q3 + 1.5·IQR` (the upper
//! outliers class), for an offer indicator a value at or below `Q1 − 1.5·IQR` (the lower
//! outliers class, which holds the fence itself).

use super::factors::Factor;
use crate::dictionary::Direction;

/// How a zone is flagged on one indicator.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FlagRule {
    /// Box-map outlier in the need direction (hinge 1.5).
    BoxMap,
    /// Robust z-score (oriented to need) at or beyond the threshold.
    RobustZ {
        /// The threshold (e.g. 2.0).
        threshold: f64,
    },
    /// Either of the two.
    Either {
        /// The z threshold.
        threshold: f64,
    },
}

impl FlagRule {
    /// The rule in words, in French.
    pub fn describe(self) -> String {
        let boxmap = "valeur atypique du côté du besoin selon la boîte à moustaches (charnière 1,5) : \
                      au-dessus de Q3 + 1,5 × (Q3 − Q1) pour un indicateur de besoin, \
                      au plus Q1 − 1,5 × (Q3 − Q1) pour un indicateur d'offre";
        let z = |t: f64| {
            format!(
                "score z robuste orienté vers le besoin, (valeur − médiane) / (1,4826 × MAD), \
                 d'au moins {}",
                crate::value::format_number(t)
            )
        };
        match self {
            FlagRule::BoxMap => boxmap.to_owned(),
            FlagRule::RobustZ { threshold } => z(threshold),
            FlagRule::Either { threshold } => format!("{boxmap} ; ou {}", z(threshold)),
        }
    }
}

/// One indicator flagging a zone.
#[derive(Clone, Debug, PartialEq)]
pub struct Flag {
    /// Index of the factor in the list given.
    pub factor: usize,
    /// The zone's value.
    pub value: f64,
    /// The robust z-score oriented to need, if defined.
    pub z: Option<f64>,
    /// Whether the box-map rule flags it (when the rule uses the box map).
    pub by_boxmap: bool,
    /// Whether the z threshold flags it (when the rule uses the robust z).
    pub by_z: bool,
}

/// A zone flagged on at least N indicators.
#[derive(Clone, Debug, PartialEq)]
pub struct Situation {
    /// The zone's row.
    pub row: usize,
    /// The indicators that flag it, in factor order.
    pub flags: Vec<Flag>,
}

/// Whether `value` is a box-map outlier of `factor` in the need direction.
pub fn boxmap_outlier(factor: &Factor, value: f64) -> bool {
    match factor.def.direction {
        Direction::Offer => value <= factor.low_fence(),
        Direction::Need | Direction::Neutral => value > factor.high_fence(),
    }
}

/// The flags of zone `row` under `rule`.
pub fn flags_of(factors: &[Factor], row: usize, rule: FlagRule) -> Vec<Flag> {
    let mut out = Vec::new();
    for (i, f) in factors.iter().enumerate() {
        let Some(Ok(value)) = f.values.get(row).copied() else {
            continue;
        };
        let z = f.z.get(row).copied().flatten();
        let beyond = |t: f64| z.is_some_and(|z| z >= t);
        let (by_boxmap, by_z) = match rule {
            FlagRule::BoxMap => (boxmap_outlier(f, value), false),
            FlagRule::RobustZ { threshold } => (false, beyond(threshold)),
            FlagRule::Either { threshold } => (boxmap_outlier(f, value), beyond(threshold)),
        };
        if by_boxmap || by_z {
            out.push(Flag {
                factor: i,
                value,
                z,
                by_boxmap,
                by_z,
            });
        }
    }
    out
}

/// The zones flagged on at least `min_flags` indicators (at least 1), most flags first, then
/// in row order.
pub fn sensitive_situations(
    factors: &[Factor],
    rows: usize,
    rule: FlagRule,
    min_flags: usize,
) -> Vec<Situation> {
    let min = min_flags.max(1);
    let mut out: Vec<Situation> = (0..rows)
        .map(|row| Situation {
            row,
            flags: flags_of(factors, row, rule),
        })
        .filter(|s| s.flags.len() >= min)
        .collect();
    out.sort_by(|a, b| b.flags.len().cmp(&a.flags.len()).then(a.row.cmp(&b.row)));
    out
}

/// The situations table: one row per situation and flagging indicator (zone code and name,
/// number of flags, indicator code and label, unit, value, département value, gap, z, rule).
pub fn situations_table(
    situations: &[Situation],
    factors: &[Factor],
    attributes: &crate::model::Table,
    code_field: &str,
    name_field: Option<&str>,
) -> crate::model::Table {
    use crate::value::{Missing, Value};
    let (codes, names) = super::profiles::codes_and_names(attributes, code_field, name_field);
    let mut cols: Vec<Vec<Value>> = vec![Vec::new(); 11];
    let num = |x: Option<f64>| x.map_or(Value::Missing(Missing::NotApplicable), Value::Number);
    for s in situations {
        for flag in &s.flags {
            let Some(f) = factors.get(flag.factor) else {
                continue;
            };
            let why = match (flag.by_boxmap, flag.by_z) {
                (true, true) => "boîte à moustaches et score z robuste",
                (true, false) => "boîte à moustaches",
                (false, true) => "score z robuste",
                (false, false) => "",
            }
            .to_owned();
            let values = [
                Value::Text(codes.get(s.row).cloned().unwrap_or_default()),
                Value::Text(names.get(s.row).cloned().unwrap_or_default()),
                Value::Number(s.flags.len() as f64),
                Value::Text(f.field.clone()),
                Value::Text(f.def.label.clone()),
                Value::Text(f.def.unit.clone()),
                Value::Number(flag.value),
                num(f.reference.ok()),
                num(f.gaps.get(s.row).copied().flatten()),
                num(flag.z),
                Value::Text(why),
            ];
            super::push_row(&mut cols, values);
        }
    }
    let names = [
        "Code zone",
        "Zone",
        "Nombre d'indicateurs signalés",
        "Code indicateur",
        "Indicateur",
        "Unité",
        "Valeur",
        "Valeur départementale",
        "Écart à la valeur départementale",
        "Score z robuste (positif = plus de besoin)",
        "Signalé par",
    ];
    super::columns_table(&names, cols)
}
