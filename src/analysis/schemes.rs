//! The synthesis table of schemes (dispositifs): for each scheme the analyst types its carrier,
//! funding, difficulties and ideas; the tool computes its **territorial coverage of the need**
//! from the scheme's service points (its theme in the service layer), with one rule stated in
//! the table:
//!
//! - *sites*: in-person service points of the theme (remote-only ones apart);
//! - *zones sans site*: zones of the target layer with no site of the theme;
//! - *part de la cible au-delà de R km*: share of the target population (e.g. poor households,
//!   at each zone's interior point) whose nearest site of the theme is farther than R km —
//!   zones whose target is missing or secret are left out, never counted as 0;
//! - *accessibilité 2SFCA*: median over the zones of the two-step floating catchment
//!   accessibility (sites per 10,000 inhabitants, catchment R km; the inhabitants rather than
//!   the target because a target under secrecy in a catchment leaves the index missing);
//! - *zones non couvertes*: the zones with a target population beyond R km, largest first;
//! - *couverture*: « non couvert » without any site, « peu couvert » when the share beyond R km
//!   exceeds the threshold, « couvert » otherwise. The rows « peu ou non couvert » come first.
//!
//! Computed cells are recomputed from the project's data whenever the table is drawn or
//! exported, and say which data and rule they come from.

pub mod spec;

pub use spec::{SchemeRow, SchemesSpec};

use super::AnalysisError;
use super::coverage::{CoverageOptions, coverage};
use crate::model::Table;
use crate::project::Project;
use crate::value::{Value, ValueRef, format_number};

/// How well a scheme covers the need, by the table's rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// No in-person site at all.
    NotCovered,
    /// More than the threshold of the target population beyond R km.
    Low,
    /// Within the rule.
    Covered,
    /// Not computed (no theme, or a theme absent from the service layer).
    NotComputed,
}

impl Verdict {
    /// The verdict in French, as the table shows it.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::NotCovered => "non couvert",
            Verdict::Low => "peu couvert",
            Verdict::Covered => "couvert",
            Verdict::NotComputed => "non calculé",
        }
    }
}

/// The computed cells of one scheme.
#[derive(Clone, Debug, PartialEq)]
pub struct SchemeCoverage {
    /// The verdict by the rule.
    pub verdict: Verdict,
    /// In-person sites of the theme.
    pub sites: usize,
    /// Zones with no site of the theme.
    pub zones_without: usize,
    /// Share of the target population beyond R km of every site, % (`None`: no target known).
    pub share_beyond_pct: Option<f64>,
    /// Median 2SFCA accessibility over the zones, sites per 10,000 inhabitants.
    pub accessibility_median: Option<f64>,
    /// Zones with target population beyond R km: (name, target), largest first.
    pub uncovered: Vec<(String, f64)>,
    /// The rows of those zones in the zone layer (`spec.zones_layer`), in the same order as
    /// `uncovered` (to draw them on a map: names need not be unique).
    pub uncovered_rows: Vec<usize>,
    /// Where the figures come from and the rule, in French (or why they are not computed).
    pub source: String,
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => v.get(n / 2).copied(),
        _ => Some((v.get(n / 2 - 1)? + v.get(n / 2)?) / 2.0),
    }
}

/// The computed cells of `row` on `project` with the rule of `spec`.
pub fn compute_row(
    project: &Project,
    spec: &SchemesSpec,
    row: &SchemeRow,
) -> Result<SchemeCoverage, AnalysisError> {
    let not_computed = |why: String| SchemeCoverage {
        verdict: Verdict::NotComputed,
        sites: 0,
        zones_without: 0,
        share_beyond_pct: None,
        accessibility_median: None,
        uncovered: Vec::new(),
        uncovered_rows: Vec::new(),
        source: why,
    };
    if row.theme.trim().is_empty() {
        return Ok(not_computed(
            "aucun thème de la couche de services : couverture non calculée".into(),
        ));
    }
    let (zspec, zones) = project
        .zones
        .iter()
        .find(|(s, _)| s.id == spec.zones_layer)
        .ok_or_else(|| AnalysisError::InvalidParameter {
            name: "couche".into(),
            message: format!("couche de zones « {} » absente du projet", spec.zones_layer),
        })?;
    let (pspec, points) = project
        .points
        .iter()
        .find(|(s, _)| s.id == spec.points_layer)
        .ok_or_else(|| AnalysisError::InvalidParameter {
            name: "couche".into(),
            message: format!(
                "couche de points « {} » absente du projet",
                spec.points_layer
            ),
        })?;
    let theme_field =
        crate::style::map_style::theme_field(pspec.theme_field.as_deref(), &points.attributes)
            .map(|f| f.name.clone())
            .ok_or_else(|| AnalysisError::InvalidParameter {
                name: "thème".into(),
                message: format!("la couche « {} » n'a pas de champ de thème", pspec.id),
            })?;
    if super::index::theme_rows(points, &theme_field, &row.theme)?.is_empty() {
        return Ok(not_computed(format!(
            "thème « {} » absent de la couche « {} » (champ « {theme_field} »)",
            row.theme, pspec.id
        )));
    }
    let radius_m = spec.radius_km * 1000.0;
    let options = CoverageOptions {
        theme_field: theme_field.clone(),
        theme: Some(row.theme.clone()),
        zone_code_field: Some(zspec.code_field.clone()),
        commune_code_field: Some(zspec.code_field.clone()),
        population_field: zspec
            .population_field
            .clone()
            .unwrap_or_else(|| spec.population_field.clone()),
        target_field: Some(spec.target_field.clone()),
        demand_field: None,
        radius_m,
        threshold_m: radius_m,
        ..CoverageOptions::default()
    };
    let result = coverage(zones, zones, points, &options)?;
    let sites = result
        .services_total
        .saturating_sub(result.services_remote_total);
    let zones_without = result.zones.iter().filter(|z| z.services == 0).count();
    let (mut known, mut beyond, mut left_out) = (0.0, 0.0, 0usize);
    let mut uncovered = Vec::new();
    for (i, z) in result.zones.iter().enumerate() {
        let Value::Number(t) = z.target else {
            left_out += 1;
            continue;
        };
        known += t;
        let far = result
            .commune_nearest
            .get(i)
            .and_then(|n| n.as_ref())
            .is_none_or(|n| n.distance_m > radius_m);
        if far {
            beyond += t;
            if t > 0.0 {
                uncovered.push((z.name.clone(), t, i));
            }
        }
    }
    uncovered.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)).then(a.2.cmp(&b.2)));
    let uncovered_rows = uncovered.iter().map(|u| u.2).collect();
    let uncovered = uncovered.into_iter().map(|(n, t, _)| (n, t)).collect();
    let share_beyond_pct = (known > 0.0).then(|| 100.0 * beyond / known);
    let accessibility_median = median(
        result
            .commune_accessibility
            .iter()
            .filter_map(Value::as_f64)
            .map(|a| a * 10_000.0)
            .collect(),
    );
    let verdict = if sites == 0 {
        Verdict::NotCovered
    } else if share_beyond_pct.is_some_and(|s| s > spec.max_share_beyond_pct) {
        Verdict::Low
    } else {
        Verdict::Covered
    };
    let mut source = format!(
        "{} points « {} » de la couche « {} » ; cible « {} » de la couche « {} » ; rayon {} km ; \
         peu couvert si plus de {} % de la cible est au-delà",
        sites,
        row.theme,
        pspec.id,
        spec.target_field,
        zspec.id,
        format_number(spec.radius_km),
        format_number(spec.max_share_beyond_pct)
    );
    if left_out > 0 {
        source.push_str(&format!(
            " ; {left_out} zone(s) sans valeur de la cible laissées de côté"
        ));
    }
    Ok(SchemeCoverage {
        verdict,
        sites,
        zones_without,
        share_beyond_pct,
        accessibility_median,
        uncovered,
        uncovered_rows,
        source,
    })
}

/// The computed cells of every row, in the rows' order.
pub fn compute(
    project: &Project,
    spec: &SchemesSpec,
) -> Result<Vec<SchemeCoverage>, AnalysisError> {
    spec.rows
        .iter()
        .map(|r| compute_row(project, spec, r))
        .collect()
}

/// The order in which the table lists the rows: « non couvert », then « peu couvert » (largest
/// share beyond first), then the others, each in the typed order.
pub fn display_order(computed: &[SchemeCoverage]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..computed.len()).collect();
    order.sort_by(|a, b| {
        let (ca, cb) = (computed.get(*a), computed.get(*b));
        let key = |c: Option<&SchemeCoverage>| c.map_or(Verdict::NotComputed, |c| c.verdict);
        key(ca).cmp(&key(cb)).then_with(|| {
            let s = |c: Option<&SchemeCoverage>| c.and_then(|c| c.share_beyond_pct).unwrap_or(0.0);
            if key(ca) == Verdict::Low {
                s(cb).total_cmp(&s(ca))
            } else {
                std::cmp::Ordering::Equal
            }
        })
    });
    order
}

/// The column names of the table, as exported and read back.
pub const HEADERS: [&str; 15] = [
    "dispositif",
    "axe",
    "theme",
    "porteur_principal",
    "financement",
    "difficultes",
    "pistes_de_developpement",
    "couverture",
    "sites",
    "zones_sans_site",
    "part_cible_au_dela_pct",
    "acces_2sfca_median_10000_hab",
    "zones_non_couvertes",
    "source_et_regle",
    "ordre_saisie",
];

/// The table as a person reads it and as it is exported: typed cells then computed ones, rows
/// in [`display_order`].
pub fn schemes_table(spec: &SchemesSpec, computed: &[SchemeCoverage]) -> Table {
    let mut cols: Vec<Vec<Value>> = vec![Vec::new(); HEADERS.len()];
    let text = |s: &str| Value::Text(s.to_owned());
    for i in display_order(computed) {
        let (Some(r), Some(c)) = (spec.rows.get(i), computed.get(i)) else {
            continue;
        };
        let round1 = |x: f64| Value::Number((x * 10.0).round() / 10.0);
        let missing = Value::Missing(crate::value::Missing::NotApplicable);
        let computed_cell = |v: Value| {
            if c.verdict == Verdict::NotComputed {
                missing.clone()
            } else {
                v
            }
        };
        super::push_row(
            &mut cols,
            [
                text(&r.name),
                if r.axis == 0 {
                    Value::Missing(crate::value::Missing::Empty)
                } else {
                    Value::Number(f64::from(r.axis))
                },
                text(&r.theme),
                text(&r.carrier),
                text(&r.funding),
                text(&r.difficulties),
                text(&r.ideas),
                text(c.verdict.label()),
                computed_cell(Value::Number(c.sites as f64)),
                computed_cell(Value::Number(c.zones_without as f64)),
                c.share_beyond_pct.map_or(missing.clone(), round1),
                c.accessibility_median.map_or(missing.clone(), |a| {
                    Value::Number((a * 1000.0).round() / 1000.0)
                }),
                text(
                    &c.uncovered
                        .iter()
                        .take(10)
                        .map(|(n, t)| format!("{n} ({})", format_number(*t)))
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                text(&c.source),
                Value::Number((i + 1) as f64),
            ],
        );
    }
    super::columns_table(&HEADERS, cols)
}

/// Reads the typed cells of a schemes table back (from an exported workbook edited by hand):
/// one row per line with a scheme name, in the typed order when the `ordre_saisie` column is
/// there; computed columns are ignored (they are recomputed). `file` names the file in errors.
pub fn rows_from_table(table: &Table, file: &str) -> Result<Vec<SchemeRow>, AnalysisError> {
    let layer = format!("le tableau des dispositifs {file}");
    let name_i = super::require_field(table, "dispositif", &layer)?;
    let col = |n: &str| table.field_index(n);
    // A blank cell is read as a missing value: it is an empty text here, not « (vide) »; a
    // missing-value marker typed alone in a cell (`s`, `nd`…) reads as its meaning.
    let cell = |f: Option<usize>, r: usize| -> String {
        match f
            .and_then(|f| table.fields.get(f))
            .and_then(|f| f.values.get(r))
        {
            None | Some(ValueRef::Missing(crate::value::Missing::Empty)) => String::new(),
            Some(ValueRef::Missing(m)) => m.label().to_owned(),
            Some(v) => v.to_string(),
        }
    };
    let mut rows: Vec<(f64, SchemeRow)> = Vec::new();
    for r in 0..table.len() {
        let name = cell(Some(name_i), r);
        if name.trim().is_empty() {
            continue;
        }
        let axis_text = cell(col("axe"), r);
        let axis = match axis_text.trim() {
            "" => 0,
            t => match t.replace(',', ".").parse::<f64>() {
                Ok(a) if (1.0..=4.0).contains(&a) && a.fract() == 0.0 => a as u8,
                _ => {
                    return Err(AnalysisError::InvalidParameter {
                        name: "axe".into(),
                        message: format!(
                            "{file}, ligne {} : axe « {t} » (attendu : 1, 2, 3 ou 4)",
                            table.row_origin.get(r).copied().unwrap_or(r as u64 + 2)
                        ),
                    });
                }
            },
        };
        let order = cell(col("ordre_saisie"), r)
            .replace(',', ".")
            .parse::<f64>()
            .unwrap_or(f64::MAX);
        rows.push((
            order,
            SchemeRow {
                name: name.trim().to_owned(),
                axis,
                theme: cell(col("theme"), r).trim().to_owned(),
                carrier: cell(col("porteur_principal"), r),
                funding: cell(col("financement"), r),
                difficulties: cell(col("difficultes"), r),
                ideas: cell(col("pistes_de_developpement"), r),
            },
        ));
    }
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(rows.into_iter().map(|(_, r)| r).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Field, FieldKind};
    use crate::value::Missing;

    #[test]
    fn blank_cells_read_back_as_empty_texts() {
        let text =
            |v: &[&str]| -> Vec<Value> { v.iter().map(|s| Value::Text(s.to_string())).collect() };
        let table = Table {
            fields: vec![
                Field {
                    name: "dispositif".into(),
                    kind: FieldKind::Text,
                    values: text(&["PMI", "SLIME"]).into(),
                },
                Field {
                    name: "pistes_de_developpement".into(),
                    kind: FieldKind::Text,
                    values: vec![
                        Value::Missing(Missing::Empty),
                        Value::Text("Couplage".into()),
                    ]
                    .into(),
                },
                Field {
                    name: "financement".into(),
                    kind: FieldKind::Text,
                    values: vec![
                        Value::Text("Département".into()),
                        Value::Missing(Missing::Secret),
                    ]
                    .into(),
                },
            ],
            row_origin: vec![2, 3],
        };
        let rows = rows_from_table(&table, "t.xlsx").unwrap();
        assert_eq!(rows[0].ideas, "");
        assert_eq!(rows[1].ideas, "Couplage");
        assert_eq!(rows[0].funding, "Département");
        assert_eq!(rows[1].funding, "secret statistique");
    }
}
