//! Poverty profiles: for the count fields of the profiles of poor households (sample: the six
//! `MP_*`), each zone's mix (share of its poor households in each profile), the département's
//! mix (ratio of sums over the zones), the location quotient (zone share / département share),
//! the rank of each profile in the département (« profils les plus fréquents ») and the most
//! over-represented profile of each zone.
//!
//! A zone with a missing count (statistical secrecy…) is left out with the reason, never taken
//! as 0: its mix is not computed and its counts are not in the département's sums.

use super::{AnalysisError, code_text, numeric_values, result_field, result_table};
use crate::dictionary::{IndicatorDef, label_of};
use crate::model::Table;
use crate::value::{Missing, Value};

/// The mix of one zone.
#[derive(Clone, Debug, PartialEq)]
pub struct ZoneMix {
    /// Counts of each profile (in field order), or why missing.
    pub counts: Vec<Result<f64, Missing>>,
    /// Sum of the counts (the zone's poor households in the profiles), when all are present.
    pub total: Option<f64>,
    /// Share of each profile in the zone, in percent (empty when left out).
    pub shares_pct: Vec<f64>,
    /// Location quotient of each profile: zone share / département share (`None` when the
    /// département share is 0).
    pub quotients: Vec<Option<f64>>,
    /// Index (in field order) of the most over-represented profile (highest quotient; the
    /// first in field order on a tie).
    pub top: Option<usize>,
    /// Why the zone is left out (a missing count, no poor household), in French.
    pub left_out: Option<String>,
}

/// Profiles of poor households over a zone layer.
#[derive(Clone, Debug, PartialEq)]
pub struct ProfileMix {
    /// The profile count fields, in the user's order.
    pub fields: Vec<String>,
    /// One mix per zone (table row order).
    pub zones: Vec<ZoneMix>,
    /// The département's counts: sums over the zones not left out.
    pub department_counts: Vec<f64>,
    /// The département's shares in percent (ratio of sums).
    pub department_shares_pct: Vec<f64>,
    /// Rank of each profile in the département (1 = most frequent; ties in field order).
    pub ranks: Vec<usize>,
}

/// Computes the mix of each zone of `table` on the profile count `fields`.
pub fn profile_mix(
    table: &Table,
    fields: &[String],
    layer: &str,
) -> Result<ProfileMix, AnalysisError> {
    if fields.is_empty() {
        return Err(AnalysisError::InvalidParameter {
            name: "--profils".to_owned(),
            message: "aucun champ de profil".to_owned(),
        });
    }
    if table.is_empty() {
        return Err(AnalysisError::EmptyLayer {
            layer: layer.to_owned(),
        });
    }
    let columns: Vec<Vec<Value>> = fields
        .iter()
        .map(|f| numeric_values(table, f, layer))
        .collect::<Result<_, _>>()?;
    let p = fields.len();
    let mut zones = Vec::with_capacity(table.len());
    let mut department_counts = vec![0.0; p];
    for row in 0..table.len() {
        let cells: Vec<&Value> = columns
            .iter()
            .map(|c| c.get(row).unwrap_or(&Value::Missing(Missing::NotAvailable)))
            .collect();
        let counts: Vec<Result<f64, Missing>> = cells
            .iter()
            .map(|v| match v {
                Value::Number(x) if x.is_finite() => Ok(*x),
                Value::Missing(m) => Err(*m),
                _ => Err(Missing::NotAvailable),
            })
            .collect();
        let missing: Vec<String> = fields
            .iter()
            .zip(&cells)
            .filter(|(_, v)| v.as_f64().is_none())
            .map(|(f, v)| {
                let why = v.missing().map_or("valeur absente", Missing::label);
                format!("{f} ({why})")
            })
            .collect();
        let left_out = if !missing.is_empty() {
            Some(format!("effectif manquant : {}", missing.join(", ")))
        } else {
            None
        };
        let total = left_out
            .is_none()
            .then(|| counts.iter().map(|c| c.unwrap_or(0.0)).sum::<f64>());
        let left_out = match (left_out, total) {
            (None, Some(t)) if t <= 0.0 => Some("aucun ménage pauvre dans les profils".to_owned()),
            (l, _) => l,
        };
        if left_out.is_none() {
            for (d, c) in department_counts.iter_mut().zip(&counts) {
                *d += c.unwrap_or(0.0);
            }
        }
        zones.push(ZoneMix {
            counts,
            total,
            shares_pct: Vec::new(),
            quotients: Vec::new(),
            top: None,
            left_out,
        });
    }
    let department_total: f64 = department_counts.iter().sum();
    if department_total <= 0.0 {
        return Err(AnalysisError::EmptyLayer {
            layer: format!("{layer} (aucune zone aux effectifs de profils complets)"),
        });
    }
    let department_shares_pct: Vec<f64> = department_counts
        .iter()
        .map(|c| 100.0 * c / department_total)
        .collect();
    for zone in zones.iter_mut().filter(|z| z.left_out.is_none()) {
        let total = zone.total.unwrap_or(0.0);
        zone.shares_pct = zone
            .counts
            .iter()
            .map(|c| 100.0 * c.unwrap_or(0.0) / total)
            .collect();
        zone.quotients = zone
            .shares_pct
            .iter()
            .zip(&department_shares_pct)
            .map(|(z, d)| (*d > 0.0).then(|| z / d))
            .collect();
        let mut top: Option<(usize, f64)> = None;
        for (i, q) in zone.quotients.iter().enumerate() {
            if let Some(q) = q
                && top.is_none_or(|(_, best)| *q > best)
            {
                top = Some((i, *q));
            }
        }
        zone.top = top.map(|(i, _)| i);
    }
    let mut order: Vec<usize> = (0..p).collect();
    // Stable sort: equal shares keep field order.
    order.sort_by(|a, b| {
        department_shares_pct[*b]
            .partial_cmp(&department_shares_pct[*a])
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let mut ranks = vec![0; p];
    for (rank, i) in order.iter().enumerate() {
        ranks[*i] = rank + 1;
    }
    Ok(ProfileMix {
        fields: fields.to_vec(),
        zones,
        department_counts,
        department_shares_pct,
        ranks,
    })
}

fn number(x: Option<f64>) -> Value {
    x.filter(|x| x.is_finite())
        .map_or(Value::Missing(Missing::NotApplicable), Value::Number)
}

/// Zone codes and names of `attributes` (`code_field`, `name_field`).
pub(crate) fn codes_and_names(
    attributes: &Table,
    code_field: &str,
    name_field: Option<&str>,
) -> (Vec<String>, Vec<String>) {
    let text = |field: Option<&str>| -> Vec<String> {
        let f = field.and_then(|n| attributes.field(n));
        (0..attributes.len())
            .map(|r| {
                f.and_then(|f| f.values.get(r))
                    .and_then(code_text)
                    .unwrap_or_default()
            })
            .collect()
    };
    (text(Some(code_field)), text(name_field))
}

impl ProfileMix {
    /// Hides the mix of the zones at `rows` (statistical secrecy of small counts at commune
    /// level): their counts, shares, quotients and top profile are withheld and the reason
    /// given. The département figures, computed before, are unchanged.
    pub fn withhold(&mut self, rows: &[usize], reason: &str) {
        for row in rows {
            if let Some(zone) = self.zones.get_mut(*row) {
                zone.counts = vec![Err(Missing::Secret); self.fields.len()];
                zone.total = None;
                zone.shares_pct.clear();
                zone.quotients.clear();
                zone.top = None;
                zone.left_out = Some(reason.to_owned());
            }
        }
    }

    /// The département table: one row per profile in rank order (rank, code, label, count of
    /// poor households, share in percent).
    pub fn department_table(&self, dictionary: &[IndicatorDef]) -> Table {
        let mut order: Vec<usize> = (0..self.fields.len()).collect();
        order.sort_by_key(|i| self.ranks.get(*i).copied().unwrap_or(usize::MAX));
        let pick = |f: &dyn Fn(usize) -> Value| order.iter().map(|i| f(*i)).collect::<Vec<_>>();
        let fields = vec![
            result_field(
                "Rang",
                pick(&|i| Value::Number(self.ranks.get(i).copied().unwrap_or(0) as f64)),
            ),
            result_field(
                "Code",
                pick(&|i| Value::Text(self.fields.get(i).cloned().unwrap_or_default())),
            ),
            result_field(
                "Profil",
                pick(&|i| {
                    Value::Text(
                        self.fields
                            .get(i)
                            .map(|c| label_of(dictionary, c).to_owned())
                            .unwrap_or_default(),
                    )
                }),
            ),
            result_field(
                "Ménages pauvres du profil (ménages)",
                pick(&|i| number(self.department_counts.get(i).copied())),
            ),
            result_field(
                "Part dans le département (%)",
                pick(&|i| number(self.department_shares_pct.get(i).copied())),
            ),
        ];
        result_table(order.len(), fields)
    }

    /// One row per zone and profile: zone code and name, profile code and label, count, share
    /// in the zone and in the département (%), location quotient, and why a zone is left out.
    /// The count column is named `count_column` (the caller's secrecy guard masks it).
    pub fn zones_table(
        &self,
        attributes: &Table,
        code_field: &str,
        name_field: Option<&str>,
        dictionary: &[IndicatorDef],
        count_column: &str,
    ) -> Table {
        let (codes, names) = codes_and_names(attributes, code_field, name_field);
        let mut cols: Vec<Vec<Value>> = vec![Vec::new(); 9];
        for (row, zone) in self.zones.iter().enumerate() {
            for (i, field) in self.fields.iter().enumerate() {
                let left = zone.left_out.is_some();
                let values = [
                    Value::Text(codes.get(row).cloned().unwrap_or_default()),
                    Value::Text(names.get(row).cloned().unwrap_or_default()),
                    Value::Text(field.clone()),
                    Value::Text(label_of(dictionary, field).to_owned()),
                    match zone.counts.get(i).copied() {
                        Some(Ok(c)) => Value::Number(c),
                        Some(Err(m)) => Value::Missing(m),
                        None => Value::Missing(Missing::NotAvailable),
                    },
                    if left {
                        Value::Missing(Missing::NotApplicable)
                    } else {
                        number(zone.shares_pct.get(i).copied())
                    },
                    number(self.department_shares_pct.get(i).copied()),
                    if left {
                        Value::Missing(Missing::NotApplicable)
                    } else {
                        number(zone.quotients.get(i).copied().flatten())
                    },
                    Value::Text(zone.left_out.clone().unwrap_or_default()),
                ];
                super::push_row(&mut cols, values);
            }
        }
        let names = [
            "Code zone",
            "Zone",
            "Code profil",
            "Profil",
            count_column,
            "Part dans la zone (%)",
            "Part dans le département (%)",
            "Quotient de localisation",
            "Zone écartée : motif",
        ];
        super::columns_table(&names, cols)
    }

    /// One row per zone: its most over-represented profile (code, label, quotient, share in
    /// the zone and in the département), or why the zone is left out.
    pub fn top_table(
        &self,
        attributes: &Table,
        code_field: &str,
        name_field: Option<&str>,
        dictionary: &[IndicatorDef],
    ) -> Table {
        let (codes, names) = codes_and_names(attributes, code_field, name_field);
        let n = self.zones.len();
        let top_field = |z: &ZoneMix| z.top.and_then(|i| self.fields.get(i));
        let na = || Value::Missing(Missing::NotApplicable);
        let fields = vec![
            super::text_result_field("Code zone", codes.into_iter().take(n)),
            super::text_result_field("Zone", names.into_iter().take(n)),
            super::text_result_field(
                "Code profil",
                self.zones
                    .iter()
                    .map(|z| top_field(z).cloned().unwrap_or_default()),
            ),
            super::text_result_field(
                "Profil le plus surreprésenté",
                self.zones.iter().map(|z| {
                    top_field(z)
                        .map(|f| label_of(dictionary, f).to_owned())
                        .unwrap_or_default()
                }),
            ),
            result_field(
                "Quotient de localisation",
                self.zones
                    .iter()
                    .map(|z| {
                        z.top
                            .map_or_else(na, |i| number(z.quotients.get(i).copied().flatten()))
                    })
                    .collect(),
            ),
            result_field(
                "Part dans la zone (%)",
                self.zones
                    .iter()
                    .map(|z| {
                        z.top
                            .map_or_else(na, |i| number(z.shares_pct.get(i).copied()))
                    })
                    .collect(),
            ),
            result_field(
                "Part dans le département (%)",
                self.zones
                    .iter()
                    .map(|z| {
                        z.top
                            .map_or_else(na, |i| number(self.department_shares_pct.get(i).copied()))
                    })
                    .collect(),
            ),
            super::text_result_field(
                "Zone écartée : motif",
                self.zones
                    .iter()
                    .map(|z| z.left_out.clone().unwrap_or_default()),
            ),
        ];
        result_table(n, fields)
    }
}
