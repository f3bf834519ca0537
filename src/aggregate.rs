//! Aggregation of commune values to EPCI (or any group): counts are summed; a rate is
//! recomputed from its numerator and denominator when both exist (found by checking the
//! values, or declared), otherwise it is a population-weighted mean flagged as such.

use crate::codes::{CodeKind, normalise, split_multi};
use crate::model::{Field, FieldKind, Table};
use crate::value::{Missing, Value, ValueRef};
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// How one field is aggregated.
#[derive(Clone, Debug, PartialEq)]
pub enum Method {
    /// Sum of the members' counts.
    Sum,
    /// `scale × Σ numerator / Σ denominator`.
    Ratio {
        /// The numerator count field.
        numerator: String,
        /// The denominator count field.
        denominator: String,
        /// The factor (`100` for a percentage).
        scale: f64,
    },
    /// Weighted mean of the members' values, weighted by `weight`: an approximation, flagged.
    WeightedMean {
        /// The weight field (a population or household count).
        weight: String,
    },
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Method::Sum => f.write_str("somme"),
            Method::Ratio {
                numerator,
                denominator,
                scale,
            } => write!(
                f,
                "recalculé : {} × {numerator} / {denominator}",
                crate::value::format_number(*scale)
            ),
            Method::WeightedMean { weight } => {
                write!(f, "moyenne pondérée par {weight} (approximation)")
            }
        }
    }
}

/// A ratio declared by the user: `TP60 = 100 × NB_MEN_PAUV / NBMENFISC`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RatioRule {
    /// The ratio field (`TP60`).
    pub field: String,
    /// Its numerator, a count field (`NB_MEN_PAUV`).
    pub numerator: String,
    /// Its denominator, a count field (`NBMENFISC`).
    pub denominator: String,
    /// The factor (`100` for a percentage).
    pub scale: f64,
}

/// The aggregated table and how each field was computed.
#[derive(Clone, Debug)]
pub struct Aggregation {
    /// One row per group; the first column `CODE` holds the group code.
    pub table: Table,
    /// The method of each aggregated field.
    pub methods: Vec<(String, Method)>,
    /// Members without a group code (their row origin).
    pub ungrouped: Vec<u64>,
}

/// Whether a field name denotes a count (additive).
pub fn is_count_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    [
        "NB",
        "POP",
        "MEN",
        "IND",
        "MP_",
        "LOG",
        "EFF",
        "PLACES_NB",
        "P_POP",
    ]
    .iter()
    .any(|p| n.starts_with(p))
        && !n.contains("_100")
}

/// Whether a field name denotes a rate, share, median or index (not additive).
pub fn is_rate_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    const INSEE_SHARES: &[&str] = &[
        "PIMP", "PACT", "PTSA", "PCHO", "PBEN", "PPEN", "PPAT", "PPSOC", "PPFAM", "PPMINI",
        "PPLOGT", "PIMPOT",
    ];
    [
        "TP", "TX", "TAUX", "PART", "PCT", "MED", "RD", "D1", "D9", "MOY", "RATIO", "INDICE",
        "DENS",
    ]
    .iter()
    .any(|p| n.starts_with(p))
        || INSEE_SHARES.iter().any(|p| n.starts_with(p))
        || n.contains("_100")
        || n.contains('%')
}

fn decimals(values: &[f64]) -> i32 {
    values
        .iter()
        .map(|v| {
            (0..=6)
                .find(|d| ((v * 10f64.powi(*d)).round() - v * 10f64.powi(*d)).abs() < 1e-6)
                .unwrap_or(6)
        })
        .max()
        .unwrap_or(6)
}

/// Rows a ratio candidate is tried on before the whole table is read for it.
const SCREEN_ROWS: usize = 4096;

/// Finds `numerator`/`denominator` count fields such that `rate ≈ scale × num / den` on every
/// row where the three are present (within the rounding of the published rate).
pub fn detect_ratio(
    table: &Table,
    rate: &Field,
    counts: &[&Field],
) -> Option<(String, String, f64)> {
    let rate_values: Vec<f64> = rate.values.iter().filter_map(ValueRef::as_f64).collect();
    if rate_values.len() < 3 {
        return None;
    }
    let tol = 0.5 * 10f64.powi(-decimals(&rate_values)) + 1e-9;
    let _ = table;
    for den in counts {
        for num in counts {
            if num.name == den.name {
                continue;
            }
            for scale in [100.0, 1.0, 1000.0, 10_000.0] {
                // Whether rate = scale × num / den on the first `rows` rows (all when `None`)
                // where the three are known and den is not zero, and how many such rows.
                let holds = |rows: Option<usize>| {
                    let mut checked = 0;
                    let ok = rate
                        .values
                        .iter()
                        .zip(&num.values)
                        .zip(&den.values)
                        .take(rows.unwrap_or(usize::MAX))
                        .all(|((r, n), d)| match (r.as_f64(), n.as_f64(), d.as_f64()) {
                            (Some(r), Some(n), Some(d)) if d != 0.0 => {
                                checked += 1;
                                (r - scale * n / d).abs() <= tol
                            }
                            _ => true,
                        });
                    (ok, checked)
                };
                // Most candidates fail in the first rows: a table of millions of rows (the
                // 200 m grid) is read whole only for a candidate that holds there.
                if !holds(Some(SCREEN_ROWS)).0 {
                    continue;
                }
                let (ok, checked) = holds(None);
                if ok && checked >= 3 {
                    return Some((num.name.clone(), den.name.clone(), scale));
                }
            }
        }
    }
    None
}

/// The field weighting the means: `weight_field`, else the first population or household count.
fn weight_of<'a>(
    members: &'a Table,
    weight_field: Option<&str>,
) -> Result<Option<&'a Field>, String> {
    match weight_field {
        Some(w) => members
            .field(w)
            .map(Some)
            .ok_or_else(|| format!("champ de pondération « {w} » absent")),
        None => Ok(default_weight(members)),
    }
}

/// The weight of means when none is given: the first population or household count.
fn default_weight(members: &Table) -> Option<&Field> {
    members.fields.iter().find(|f| {
        f.kind == FieldKind::Number
            && ["POPULATION", "POP", "PMUN", "NBPERSMENFISC", "NBMENFISC"]
                .iter()
                .any(|n| {
                    f.name.eq_ignore_ascii_case(n) || f.name.to_ascii_uppercase().starts_with(n)
                })
    })
}

/// Aggregates the numeric fields of `members` by the group codes in `group_field` (a commune's
/// `SIREN_EPCI`; `/`-separated multiple codes put the commune in each group).
///
/// `weight_field` (e.g. population or households) weights the means; `rules` declare ratios.
/// Any missing member value makes the group value `Missing::Incomplete`: a sum over communes
/// under statistical secrecy is not the EPCI's value.
pub fn aggregate(
    members: &Table,
    group_field: &str,
    group_kind: CodeKind,
    weight_field: Option<&str>,
    rules: &[RatioRule],
) -> Result<Aggregation, String> {
    let group = members
        .field(group_field)
        .ok_or_else(|| format!("champ de regroupement « {group_field} » absent"))?;
    let weight = weight_of(members, weight_field)?;
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut ungrouped = Vec::new();
    let mut codes_of_text: HashMap<&str, Vec<String>> = HashMap::new();
    for (i, v) in group.values.iter().enumerate() {
        // Most members share their group's text (an EPCI's communes): split and normalised
        // once per distinct text.
        if let ValueRef::Text(t) = v
            && let Some(codes) = codes_of_text.get(t)
        {
            if codes.is_empty() {
                ungrouped.push(members.row_origin.get(i).copied().unwrap_or(0));
            }
            for c in codes {
                groups.entry(c.clone()).or_default().push(i);
            }
            continue;
        }
        let text = match v {
            ValueRef::Text(s) => s.to_owned(),
            ValueRef::Number(x) => format!("{x:.0}"),
            ValueRef::Missing(_) => String::new(),
        };
        let codes: Vec<String> = split_multi(&text)
            .into_iter()
            .filter_map(|c| normalise(c, group_kind).ok().map(|n| n.code))
            .collect();
        if codes.is_empty() {
            ungrouped.push(members.row_origin.get(i).copied().unwrap_or(0));
        }
        for c in &codes {
            groups.entry(c.clone()).or_default().push(i);
        }
        if let ValueRef::Text(t) = v {
            codes_of_text.insert(t, codes);
        }
    }
    aggregate_groups(members, Some(&group.name), groups, ungrouped, weight, rules)
}

/// Aggregates the numeric fields of `members` (but `group_field`) over the rows of each group.
fn aggregate_groups(
    members: &Table,
    group_field: Option<&str>,
    groups: BTreeMap<String, Vec<usize>>,
    ungrouped: Vec<u64>,
    weight: Option<&Field>,
    rules: &[RatioRule],
) -> Result<Aggregation, String> {
    let numeric: Vec<&Field> = members
        .fields
        .iter()
        .filter(|f| f.kind == FieldKind::Number && Some(f.name.as_str()) != group_field)
        .collect();
    let counts: Vec<&Field> = numeric
        .iter()
        .copied()
        .filter(|f| is_count_name(&f.name))
        .collect();
    let mut methods = Vec::new();
    for f in &numeric {
        // A declared rule applies when its numerator and denominator are in the table (the
        // project's rules hold at every level; a layer may lack the counts of one of them).
        let method = if let Some(rule) = rules.iter().find(|r| {
            r.field.trim().eq_ignore_ascii_case(f.name.trim())
                && members.field(&r.numerator).is_some()
                && members.field(&r.denominator).is_some()
        }) {
            Method::Ratio {
                numerator: rule.numerator.clone(),
                denominator: rule.denominator.clone(),
                scale: rule.scale,
            }
        } else if is_count_name(&f.name) && !is_rate_name(&f.name) {
            Method::Sum
        } else if let Some((numerator, denominator, scale)) = detect_ratio(members, f, &counts) {
            Method::Ratio {
                numerator,
                denominator,
                scale,
            }
        } else {
            match weight {
                Some(w) if w.name != f.name => Method::WeightedMean {
                    weight: w.name.clone(),
                },
                _ => Method::Sum,
            }
        };
        methods.push((f.name.clone(), method));
    }
    let codes: Vec<String> = groups.keys().cloned().collect();
    let mut fields = vec![Field {
        name: "CODE".to_owned(),
        kind: FieldKind::Text,
        values: codes.iter().map(|c| Value::Text(c.clone())).collect(),
    }];
    fields.push(Field {
        name: "NB_MEMBRES".to_owned(),
        kind: FieldKind::Number,
        values: groups
            .values()
            .map(|m| Value::Number(m.len() as f64))
            .collect(),
    });
    let sum_of = |field: &Field, rows: &[usize]| -> Result<f64, Missing> {
        let mut s = 0.0;
        for &r in rows {
            match field.values.get(r) {
                Some(ValueRef::Number(x)) => s += x,
                _ => return Err(Missing::Incomplete),
            }
        }
        Ok(s)
    };
    for (name, method) in &methods {
        let Some(field) = members.field(name) else {
            continue;
        };
        let values = groups
            .values()
            .map(|rows| {
                let result = match method {
                    Method::Sum => sum_of(field, rows),
                    Method::Ratio {
                        numerator,
                        denominator,
                        scale,
                    } => match (members.field(numerator), members.field(denominator)) {
                        (Some(n), Some(d)) => sum_of(n, rows).and_then(|n| {
                            sum_of(d, rows).and_then(|d| {
                                if d == 0.0 {
                                    Err(Missing::NotApplicable)
                                } else {
                                    Ok(scale * n / d)
                                }
                            })
                        }),
                        _ => Err(Missing::NotAvailable),
                    },
                    Method::WeightedMean { weight } => match members.field(weight) {
                        Some(w) => {
                            let mut num = 0.0;
                            let mut den = 0.0;
                            let mut complete = true;
                            for &r in rows {
                                match (
                                    field.values.get(r).and_then(ValueRef::as_f64),
                                    w.values.get(r).and_then(ValueRef::as_f64),
                                ) {
                                    (Some(v), Some(wt)) => {
                                        num += v * wt;
                                        den += wt;
                                    }
                                    _ => complete = false,
                                }
                            }
                            if !complete {
                                Err(Missing::Incomplete)
                            } else if den == 0.0 {
                                Err(Missing::NotApplicable)
                            } else {
                                Ok(num / den)
                            }
                        }
                        None => Err(Missing::NotAvailable),
                    },
                };
                match result {
                    Ok(x) => Value::Number(x),
                    Err(m) => Value::Missing(m),
                }
            })
            .collect();
        fields.push(Field {
            name: name.clone(),
            kind: FieldKind::Number,
            values,
        });
    }
    Ok(Aggregation {
        table: Table {
            fields,
            row_origin: (1..=codes.len() as u64).collect(),
        },
        methods,
        ungrouped,
    })
}

/// The figures of the whole territory covered by `members` (every row in one group, code
/// `ENSEMBLE`): counts summed, declared ratios recomputed as ratios of sums, other rates
/// detected or weighted by `weight_field`, exactly as [`aggregate`] does for EPCI. The
/// reference figures of the atlas and of the app's territory-wide summary.
pub fn territory_figures(
    members: &Table,
    weight_field: Option<&str>,
    rules: &[RatioRule],
) -> Result<Aggregation, String> {
    let weight = weight_of(members, weight_field)?;
    let mut groups = BTreeMap::new();
    if !members.is_empty() {
        groups.insert("ENSEMBLE".to_owned(), (0..members.len()).collect());
    }
    aggregate_groups(members, None, groups, Vec::new(), weight, rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(name: &str, v: &[f64]) -> Field {
        Field {
            name: name.to_owned(),
            kind: FieldKind::Number,
            values: v.iter().map(|x| Value::Number(*x)).collect(),
        }
    }

    #[test]
    fn a_ratio_is_judged_on_every_row_not_only_the_first_ones() {
        // 6,000 rows: the denominator is zero on the first 5,000 (no row to check there), the
        // rate is 100 × num / den after; a single wrong row at the end rejects the ratio.
        let n = 6_000;
        let den: Vec<f64> = (0..n).map(|i| if i < 5_000 { 0.0 } else { 50.0 }).collect();
        let numer: Vec<f64> = (0..n).map(|i| (i % 7) as f64).collect();
        let mut rate: Vec<f64> = numer.iter().map(|x| 100.0 * x / 50.0).collect();
        let (den, numer) = (num("DEN", &den), num("NUM", &numer));
        let found = detect_ratio(&Table::default(), &num("TAUX", &rate), &[&numer, &den]);
        assert_eq!(found, Some(("NUM".to_owned(), "DEN".to_owned(), 100.0)));
        if let Some(last) = rate.last_mut() {
            *last += 1.0;
        }
        let found = detect_ratio(&Table::default(), &num("TAUX", &rate), &[&numer, &den]);
        assert_eq!(found, None);
    }

    #[test]
    fn territory_figures_are_one_group_of_every_member() {
        // The territory is the aggregation of all members in one group: the same table as
        // `aggregate` over a constant group column, and sums by hand.
        let members = Table {
            fields: vec![
                num("NBMENFISC", &[1000.0, 3000.0, 500.0]),
                num("NB_MEN_PAUV", &[100.0, 600.0, 25.0]),
                num("TP60", &[10.0, 20.0, 5.0]),
                num("MED", &[24000.0, 20000.0, 30000.0]),
            ],
            row_origin: vec![1, 2, 3],
        };
        let fast = territory_figures(&members, None, &[]).unwrap();
        let mut grouped = members.clone();
        grouped.fields.push(Field {
            name: "GROUPE".into(),
            kind: FieldKind::Text,
            values: vec![Value::Text("ENSEMBLE".into()); 3].into(),
        });
        let slow = aggregate(&grouped, "GROUPE", CodeKind::Other, None, &[]).unwrap();
        assert_eq!(fast.table, slow.table);
        assert_eq!(fast.methods, slow.methods);
        let value = |f: &str| fast.table.field(f).unwrap().values.get(0).unwrap().as_f64();
        assert_eq!(value("NBMENFISC"), Some(4500.0));
        assert_eq!(value("NB_MEN_PAUV"), Some(725.0));
        // TP60 recomputed as 100 × 725 / 4500; MED weighted by households.
        assert!((value("TP60").unwrap() - 100.0 * 725.0 / 4500.0).abs() < 1e-9);
        let med = (24000.0 * 1000.0 + 20000.0 * 3000.0 + 30000.0 * 500.0) / 4500.0;
        assert!((value("MED").unwrap() - med).abs() < 1e-9);
        // No member, no row (not a row of zeros).
        let empty = Table {
            fields: vec![num("NBMENFISC", &[])],
            row_origin: vec![],
        };
        assert_eq!(territory_figures(&empty, None, &[]).unwrap().table.len(), 0);
    }

    #[test]
    fn counts_summed_rates_recomputed_medians_weighted() {
        // Three communes: two in EPCI A, one in A and B (multi-valued, like MGP + EPT).
        let members = Table {
            fields: vec![
                Field {
                    name: "SIREN_EPCI".into(),
                    kind: FieldKind::Text,
                    values: vec![
                        Value::Text("200000001".into()),
                        Value::Text("200000001".into()),
                        Value::Text("200000001/200000002".into()),
                    ]
                    .into(),
                },
                num("NBMENFISC", &[1000.0, 3000.0, 500.0]),
                num("NB_MEN_PAUV", &[100.0, 600.0, 25.0]),
                // Published rates rounded to 1 decimal: 10.0, 20.0, 5.0.
                num("TP60", &[10.0, 20.0, 5.0]),
                num("MED", &[24000.0, 20000.0, 30000.0]),
            ],
            row_origin: vec![1, 2, 3],
        };
        let agg = aggregate(
            &members,
            "SIREN_EPCI",
            CodeKind::Epci,
            Some("NBMENFISC"),
            &[],
        )
        .unwrap();
        let t = &agg.table;
        assert_eq!(
            t.field("CODE").unwrap().values.get(0).unwrap(),
            Value::Text("200000001".into())
        );
        // A: households 4500, poor 725 → TP60 = 100 × 725 / 4500 = 16.111…
        assert_eq!(
            t.field("NB_MEN_PAUV").unwrap().values.get(0).unwrap(),
            Value::Number(725.0)
        );
        let tp = t
            .field("TP60")
            .unwrap()
            .values
            .get(0)
            .unwrap()
            .as_f64()
            .unwrap();
        assert!((tp - 100.0 * 725.0 / 4500.0).abs() < 1e-9);
        // Median: weighted by households (24000×1000 + 20000×3000 + 30000×500) / 4500.
        let med = t
            .field("MED")
            .unwrap()
            .values
            .get(0)
            .unwrap()
            .as_f64()
            .unwrap();
        assert!((med - 99_000_000.0 / 4500.0).abs() < 1e-6);
        assert_eq!(
            agg.methods.iter().find(|(n, _)| n == "TP60").unwrap().1,
            Method::Ratio {
                numerator: "NB_MEN_PAUV".into(),
                denominator: "NBMENFISC".into(),
                scale: 100.0
            }
        );
        assert!(matches!(
            agg.methods.iter().find(|(n, _)| n == "MED").unwrap().1,
            Method::WeightedMean { .. }
        ));
        // B holds only the third commune.
        assert_eq!(
            t.field("NB_MEN_PAUV").unwrap().values.get(1).unwrap(),
            Value::Number(25.0)
        );
    }

    #[test]
    fn secret_member_makes_the_group_incomplete() {
        let mut poor = num("NB_MEN_PAUV", &[100.0, 0.0]);
        poor.values.set(1, Value::Missing(Missing::Secret));
        let members = Table {
            fields: vec![
                Field {
                    name: "EPCI".into(),
                    kind: FieldKind::Text,
                    values: vec![Value::Text("200000001".into()); 2].into(),
                },
                poor,
            ],
            row_origin: vec![1, 2],
        };
        let agg = aggregate(&members, "EPCI", CodeKind::Epci, None, &[]).unwrap();
        assert_eq!(
            agg.table
                .field("NB_MEN_PAUV")
                .unwrap()
                .values
                .get(0)
                .unwrap(),
            Value::Missing(Missing::Incomplete)
        );
    }

    #[test]
    fn declared_rules_win_over_detection_when_their_counts_exist() {
        let members = Table {
            fields: vec![
                Field {
                    name: "G".into(),
                    kind: FieldKind::Text,
                    values: vec![Value::Text("A".into()); 3].into(),
                },
                num("NBMENFISC", &[1000.0, 3000.0, 500.0]),
                num("NBPERSMENFISC", &[2000.0, 7000.0, 1000.0]),
                num("NB_MEN_PAUV", &[100.0, 600.0, 25.0]),
                num("TP60", &[10.0, 20.0, 5.0]),
            ],
            row_origin: vec![1, 2, 3],
        };
        let rule = |denominator: &str| RatioRule {
            field: "TP60".into(),
            numerator: "NB_MEN_PAUV".into(),
            denominator: denominator.into(),
            scale: 100.0,
        };
        let tp60 = |rules: &[RatioRule]| {
            territory_figures(&members, None, rules)
                .unwrap()
                .table
                .field("TP60")
                .unwrap()
                .values
                .get(0)
                .unwrap()
                .as_f64()
                .unwrap()
        };
        // Detected: 100 × 725 / 4500. Declared per person: 100 × 725 / 10000.
        assert!((tp60(&[]) - 100.0 * 725.0 / 4500.0).abs() < 1e-9);
        assert!((tp60(&[rule("NBPERSMENFISC")]) - 7.25).abs() < 1e-9);
        // A rule whose denominator this table lacks does not apply.
        assert!((tp60(&[rule("NB_MEN_ABSENT")]) - 100.0 * 725.0 / 4500.0).abs() < 1e-9);
    }
}
