//! Action proposals per axis of the pact (pistes de contractualisation): for each of the four
//! axes, two or three argued proposals, each linked to the need it answers (zones of a zone
//! layer, indicators of the dictionary, a scheme of the schemes table), with the four criteria
//! of the call, its associated actor and its indicators of means and results.
//!
//! - [`indicator_t0`]: the T0 of an indicator. When it carries a project indicator code, the
//!   T0 is read from the **frozen baseline** (`ProjectFile::t0`), never from the live data:
//!   the value of the one linked zone; over several linked zones, the sum for a count and the
//!   ratio of summed counts for a rate with a ratio rule (`TP60 = 100 × NB_MEN_PAUV /
//!   NBMENFISC`), the mean weighted by fiscal households for another rate; without linked
//!   zones, the same over every zone of the layer (the département when the layer covers
//!   it), or of another frozen layer (the EPCI) when a secret zone leaves it incomplete. The
//!   [`T0`] says which. Otherwise the typed T0, marked « saisi ».
//! - [`completeness`]: what is missing, in French (an axis with fewer than 2 proposals, a
//!   proposal without a linked need, an indicator without T0 or target).
//! - [`need_criterion_text`]: the first criterion written from the figures: the linked
//!   indicators of the linked zones against the whole layer (live data, territory figures of
//!   [`crate::aggregate::territory_figures`]) and the linked scheme's verdict and share of its
//!   target beyond R km ([`super::schemes::compute_row`]).

pub mod spec;

pub use spec::{IndicatorRole, NeedLink, Proposal, ProposalIndicator};

use super::AnalysisError;
use super::schemes::{SchemeRow, SchemesSpec, Verdict, compute_row};
use crate::baseline::spec::{Baseline, IndicatorValues, LayerValues, StoredValue};
use crate::dictionary::{IndicatorKind, label_of};
use crate::project::Project;
use crate::style::classify::format_fr;
use crate::value::{Value, ValueRef};

/// The four axes of the pact, as the pact names them (axis `n` is `AXES[n - 1]`).
pub const AXES: [&str; 4] = [
    "Axe 1 — Investissement social : prévenir la reproduction de la pauvreté dès l'enfance",
    "Axe 2 — Sortir de la pauvreté par le travail, avec France Travail",
    "Axe 3 — Lutter contre la grande pauvreté par l'accès aux droits et l'aller-vers",
    "Axe 4 — Volet solidaire de la transition écologique",
];

/// The usual associated actor of an axis (the CAF for axis 1, France Travail for axis 2),
/// proposed for a new proposal.
pub fn default_actor(axis: u8) -> &'static str {
    match axis {
        1 => "CAF",
        2 => "France Travail",
        _ => "",
    }
}

/// The short name of axis `axis` (`Axe 1`).
pub fn axis_short(axis: u8) -> String {
    format!("Axe {axis}")
}

/// The name of axis `axis` (1 to 4), or `Axe n` when out of range.
pub fn axis_name(axis: u8) -> String {
    usize::from(axis)
        .checked_sub(1)
        .and_then(|i| AXES.get(i))
        .map_or_else(|| axis_short(axis), |s| (*s).to_owned())
}

/// Where the T0 of an indicator comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum T0 {
    /// Computed from the frozen baseline.
    Baseline {
        /// The value.
        value: f64,
        /// What it is the value of, in French (« zone Évry-Courcouronnes (91228), T0 figé le
        /// 01/12/2026 »).
        scope: String,
    },
    /// Typed by the analyst (« saisi »).
    Typed(String),
    /// No T0, and why (in French).
    Missing(String),
}

impl T0 {
    /// Whether a T0 is there.
    pub fn is_known(&self) -> bool {
        !matches!(self, T0::Missing(_))
    }

    /// The value as a cell shows it (`15,2`, the typed text, or empty).
    pub fn value_text(&self) -> String {
        match self {
            T0::Baseline { value, .. } => format_value(*value),
            T0::Typed(t) => t.clone(),
            T0::Missing(_) => String::new(),
        }
    }

    /// Where it comes from, in French (« T0 figé … », « saisi », or why it is missing).
    pub fn origin(&self) -> String {
        match self {
            T0::Baseline { scope, .. } => scope.clone(),
            T0::Typed(_) => "saisi".to_owned(),
            T0::Missing(why) => why.clone(),
        }
    }
}

/// A number the French way, with at most two decimals.
pub fn format_value(x: f64) -> String {
    let rounded = (x * 100.0).round() / 100.0;
    if rounded.fract() == 0.0 {
        format_fr(rounded, 0)
    } else if (rounded * 10.0).fract().abs() < 1e-9 {
        format_fr(rounded, 1)
    } else {
        format_fr(rounded, 2)
    }
}

fn find_indicator<'a>(layer: &'a LayerValues, code: &str) -> Option<&'a IndicatorValues> {
    layer
        .indicators
        .iter()
        .find(|i| i.field.trim().eq_ignore_ascii_case(code.trim()))
}

/// The weight of rates without a ratio rule over several zones: fiscal households, as the
/// aggregation and the atlas weigh them.
const RATE_WEIGHT: &str = "NBMENFISC";

/// The T0 of `indicator` over `codes` of `layer`: the value of a single zone, else the sum of
/// a count, the ratio of summed counts of a rate with a ratio rule, or the mean of a rate or
/// ratio weighted by fiscal households (then the method is returned, to be said).
fn grouped_value(
    layer: &LayerValues,
    indicator: &IndicatorValues,
    codes: &[String],
) -> Result<(f64, Option<String>), String> {
    let value_of = |ind: &IndicatorValues, code: &str| -> Result<f64, String> {
        match ind.values.get(code) {
            Some(StoredValue::Number(x)) => Ok(*x),
            Some(StoredValue::Missing(why)) => {
                Err(format!("{} de la zone {code} au T0 : {why}", ind.field))
            }
            None => Err(format!("zone {code} absente du T0")),
        }
    };
    if let [code] = codes {
        return value_of(indicator, code).map(|v| (v, None));
    }
    let column = |field: &str| -> Result<&IndicatorValues, String> {
        find_indicator(layer, field)
            .ok_or_else(|| format!("{field} absent du T0 de la couche « {} »", layer.layer))
    };
    let sum = |field: &str| -> Result<f64, String> {
        let ind = column(field)?;
        codes.iter().map(|c| value_of(ind, c)).sum()
    };
    if let Some(rule) = &indicator.ratio {
        let (num, den) = (sum(&rule.numerator)?, sum(&rule.denominator)?);
        return if den == 0.0 {
            Err(format!(
                "{} nul sur les zones : taux non calculable",
                rule.denominator
            ))
        } else {
            Ok((
                rule.scale * num / den,
                Some(format!(
                    "recalculé : {} × {} / {} des zones sommés",
                    format_value(rule.scale),
                    rule.numerator,
                    rule.denominator
                )),
            ))
        };
    }
    match indicator.kind {
        IndicatorKind::Count => sum(&indicator.field).map(|v| (v, Some("somme".to_owned()))),
        IndicatorKind::Percent | IndicatorKind::Ratio => {
            let weights = column(RATE_WEIGHT).map_err(|_| {
                format!(
                    "{} sur plusieurs zones : ni règle de ratio ni {RATE_WEIGHT} pour pondérer \
                     (liez une seule zone ou saisissez le T0)",
                    indicator.field
                )
            })?;
            let (mut num, mut den) = (0.0, 0.0);
            for c in codes {
                let w = value_of(weights, c)?;
                num += w * value_of(indicator, c)?;
                den += w;
            }
            if den == 0.0 {
                return Err(format!("{RATE_WEIGHT} nul sur les zones"));
            }
            Ok((
                num / den,
                Some(format!(
                    "moyenne pondérée par {RATE_WEIGHT} (approximation)"
                )),
            ))
        }
        _ => Err(format!(
            "{} n'est ni un effectif ni un taux : pas de valeur T0 sur plusieurs zones \
             (liez une seule zone ou saisissez le T0)",
            indicator.field
        )),
    }
}

/// The baseline layer of a need: the need's layer when it is in the baseline, else the first
/// layer holding `code`.
fn baseline_layer<'a>(
    baseline: &'a Baseline,
    need: &NeedLink,
    code: &str,
) -> Option<&'a LayerValues> {
    let by_id = baseline
        .layers
        .iter()
        .find(|l| !need.layer.trim().is_empty() && l.layer == need.layer.trim());
    match by_id {
        Some(l) => Some(l),
        None if need.layer.trim().is_empty() => baseline
            .layers
            .iter()
            .find(|l| find_indicator(l, code).is_some()),
        None => None,
    }
}

/// The T0 of one indicator of a proposal whose need is `need`: from the frozen `baseline`
/// when the indicator carries a code (see the module documentation), else the typed one; a
/// typed T0 also stands in when the baseline has no value. `T0::Missing` says why otherwise.
pub fn indicator_t0(
    baseline: Option<&Baseline>,
    need: &NeedLink,
    indicator: &ProposalIndicator,
) -> T0 {
    let typed = indicator.t0_typed.trim();
    let typed_or = |why: String| {
        if typed.is_empty() {
            T0::Missing(why)
        } else {
            T0::Typed(typed.to_owned())
        }
    };
    let code = indicator.code.trim();
    if code.is_empty() {
        return typed_or("T0 à saisir (indicateur hors projet)".to_owned());
    }
    let Some(baseline) = baseline else {
        return typed_or(format!(
            "aucun T0 figé : figez-le (Affichage › T0 et T+3, cartosol t0 freeze) pour calculer {code}"
        ));
    };
    let Some(layer) = baseline_layer(baseline, need, code) else {
        return typed_or(format!(
            "couche « {} » absente du T0 figé le {}",
            need.layer, baseline.frozen_on
        ));
    };
    let Some(ind) = find_indicator(layer, code) else {
        return typed_or(format!(
            "{code} absent du T0 de la couche « {} » (figé le {})",
            layer.layer, baseline.frozen_on
        ));
    };
    let zones: Vec<String> = need
        .zones
        .iter()
        .map(|z| z.trim().to_owned())
        .filter(|z| !z.is_empty())
        .collect();
    let frozen =
        |layer: &LayerValues, scope: String, method: Option<String>, value: f64| T0::Baseline {
            value,
            scope: format!(
                "T0 figé le {} — {scope}, couche « {} »{}",
                baseline.frozen_on,
                layer.layer,
                method.map_or_else(String::new, |m| format!(" ({m})"))
            ),
        };
    if zones.is_empty() {
        // The département: the whole need layer, else (a secret zone leaves it incomplete)
        // the whole of another frozen layer holding the indicator (the EPCI).
        let whole = |l: &LayerValues| {
            let ind = find_indicator(l, code)?;
            let codes: Vec<String> = l.names.keys().cloned().collect();
            let scope = format!(
                "ensemble des {} zones de la couche « {} » (département)",
                codes.len(),
                l.layer
            );
            Some(grouped_value(l, ind, &codes).map(|(v, m)| frozen(l, scope, m, v)))
        };
        let first = whole(layer);
        if let Some(Ok(t0)) = first {
            return t0;
        }
        let other = baseline
            .layers
            .iter()
            .filter(|l| l.layer != layer.layer)
            .find_map(|l| whole(l).and_then(Result::ok));
        return match (other, first) {
            (Some(t0), _) => t0,
            (None, Some(Err(why))) => typed_or(why),
            (None, _) => typed_or(format!("{code} absent du T0")),
        };
    }
    let named: Vec<String> = zones
        .iter()
        .map(|c| match layer.names.get(c) {
            Some(n) if !n.is_empty() => format!("{n} ({c})"),
            _ => c.clone(),
        })
        .collect();
    let scope = if zones.len() == 1 {
        format!("zone {}", named.join(""))
    } else {
        format!("zones liées : {}", named.join(", "))
    };
    match grouped_value(layer, ind, &zones) {
        Ok((value, method)) => frozen(layer, scope, method, value),
        Err(why) => typed_or(why),
    }
}

/// One completeness message, attached to an axis and, when it is about one, a proposal.
#[derive(Clone, Debug, PartialEq)]
pub struct Gap {
    /// The axis (1 to 4).
    pub axis: u8,
    /// The index of the proposal in `ProjectFile::proposals`, when the message is about one.
    pub proposal: Option<usize>,
    /// The message, in French.
    pub message: String,
}

/// The title of a proposal as messages quote it.
pub fn display_title(p: &Proposal) -> String {
    if p.title.trim().is_empty() {
        "(sans titre)".to_owned()
    } else {
        p.title.trim().to_owned()
    }
}

/// What is incomplete in `proposals`, in French, axis by axis (an axis with fewer than 2
/// proposals, then for each of its proposals: no linked need, an indicator without T0, an
/// indicator without target), T0 computed from `baseline` as [`indicator_t0`] does.
pub fn completeness(proposals: &[Proposal], baseline: Option<&Baseline>) -> Vec<Gap> {
    let mut out = Vec::new();
    for axis in 1..=4u8 {
        let of_axis: Vec<(usize, &Proposal)> = proposals
            .iter()
            .enumerate()
            .filter(|(_, p)| p.axis == axis)
            .collect();
        if of_axis.len() < 2 {
            out.push(Gap {
                axis,
                proposal: None,
                message: format!(
                    "{} : {} proposition(s), il en faut au moins 2",
                    axis_short(axis),
                    of_axis.len()
                ),
            });
        }
        for (i, p) in of_axis {
            let who = format!("{}, « {} »", axis_short(axis), display_title(p));
            let mut push = |message: String| {
                out.push(Gap {
                    axis,
                    proposal: Some(i),
                    message,
                })
            };
            if !p.need.is_linked() {
                push(format!(
                    "{who} : aucun besoin lié (zones ou indicateurs du diagnostic)"
                ));
            }
            if p.indicators.is_empty() {
                push(format!(
                    "{who} : aucun indicateur de moyens ou de résultats"
                ));
            }
            for ind in &p.indicators {
                let label = if ind.label.trim().is_empty() {
                    "(sans libellé)"
                } else {
                    ind.label.trim()
                };
                if let T0::Missing(why) = indicator_t0(baseline, &p.need, ind) {
                    push(format!("{who} : indicateur « {label} » sans T0 ({why})"));
                }
                if ind.target.trim().is_empty() {
                    push(format!("{who} : indicateur « {label} » sans cible"));
                }
            }
        }
    }
    for (i, p) in proposals.iter().enumerate() {
        if !(1..=4).contains(&p.axis) {
            out.push(Gap {
                axis: p.axis,
                proposal: Some(i),
                message: format!(
                    "« {} » : axe {} inconnu (attendu : 1, 2, 3 ou 4)",
                    display_title(p),
                    p.axis
                ),
            });
        }
    }
    out
}

/// The scheme row a need names: the row of the project's schemes table with that name, else
/// (no table, or no such row) a row whose theme of the service layer is the name, computed
/// with the table's rule (or the default rule). The second value says which.
fn scheme_row(project: &Project, name: &str) -> (SchemesSpec, SchemeRow, bool) {
    let spec = project.file.schemes.clone().unwrap_or_default();
    let found = spec
        .rows
        .iter()
        .find(|r| r.name.trim().eq_ignore_ascii_case(name.trim()))
        .cloned();
    match found {
        Some(row) => (spec, row, true),
        None => (
            spec,
            SchemeRow {
                name: name.trim().to_owned(),
                theme: name.trim().to_owned(),
                ..SchemeRow::default()
            },
            false,
        ),
    }
}

/// The territory figure of `field` (the département when the layers cover it): computed on
/// the zone layer `layer_id` first, then, when a missing value (statistical secrecy) leaves it
/// incomplete there, on the project's other zone layers holding the field (the EPCI, whose
/// figures are complete); with the layer's name.
fn territory_value(project: &Project, layer_id: &str, field: &str) -> Option<(f64, String)> {
    let layers = project
        .zones
        .iter()
        .filter(|(s, _)| s.id == layer_id)
        .chain(project.zones.iter().filter(|(s, _)| s.id != layer_id));
    for (spec, layer) in layers {
        let table = &layer.attributes;
        if table.field(field).is_none() {
            continue;
        }
        let weight = spec
            .population_field
            .as_deref()
            .filter(|w| table.field(w).is_some());
        let rules = crate::project::ratio_rules(&project.file, &spec.id);
        let value = crate::aggregate::territory_figures(table, weight, &rules)
            .ok()
            .and_then(|t| {
                t.table
                    .field(field)
                    .and_then(|f| f.values.first())
                    .and_then(ValueRef::as_f64)
            });
        if let Some(v) = value {
            return Some((v, spec.name.clone()));
        }
    }
    None
}

/// The first criterion of `proposal` written from the figures of `project`: for each linked
/// indicator, its value in each linked zone against the whole layer (the département when the
/// layer covers it), then the linked scheme's verdict and share of its target beyond R km by
/// the schemes table's rule. Fails when the need's layer is absent.
pub fn need_criterion_text(
    project: &Project,
    proposal: &Proposal,
) -> Result<String, AnalysisError> {
    let need = &proposal.need;
    let dictionary = &project.file.dictionary;
    let mut parts: Vec<String> = Vec::new();
    if !need.indicators.is_empty() || !need.zones.is_empty() {
        let layer_id = if need.layer.trim().is_empty() {
            project.file.map.zones.clone()
        } else {
            need.layer.trim().to_owned()
        };
        let (zspec, layer) = project
            .zones
            .iter()
            .find(|(s, _)| s.id == layer_id)
            .ok_or_else(|| AnalysisError::InvalidParameter {
                name: "couche".into(),
                message: format!("couche de zones « {layer_id} » absente du projet"),
            })?;
        let table = &layer.attributes;
        let code_i = table.field_index(&zspec.code_field);
        let name_i = table.field_index(&zspec.name_field);
        let rows: Vec<(usize, String)> = need
            .zones
            .iter()
            .filter_map(|code| {
                let f = code_i?;
                let r =
                    (0..table.len()).find(|&r| table.text(f, r).as_deref() == Some(code.trim()))?;
                let name = name_i
                    .and_then(|n| table.text(n, r))
                    .unwrap_or_else(|| code.trim().to_owned());
                Some((r, name))
            })
            .collect();
        for code in &need.indicators {
            let Some(field) = table.field(code.trim()) else {
                parts.push(format!("{code} : absent de la couche « {} »", zspec.id));
                continue;
            };
            let label = label_of(dictionary, code.trim());
            let zones_text: Vec<String> = rows
                .iter()
                .map(|(r, name)| {
                    let v = field
                        .values
                        .get(*r)
                        .map(ValueRef::to_value)
                        .unwrap_or(Value::Missing(crate::value::Missing::NotAvailable));
                    let shown = match v {
                        Value::Number(x) => format_value(x),
                        other => other
                            .missing()
                            .map_or_else(|| other.to_string(), |m| m.label().to_owned()),
                    };
                    format!("{name} {shown}")
                })
                .collect();
            let reference = territory_value(project, &zspec.id, &field.name).map_or_else(
                || {
                    format!(
                        "une valeur non calculable pour le département (couche « {} »)",
                        zspec.name
                    )
                },
                |(v, layer)| {
                    format!(
                        "{} pour le département (ensemble de la couche « {layer} »)",
                        format_value(v)
                    )
                },
            );
            let head = if label == code.trim() {
                code.trim().to_owned()
            } else {
                format!("{label} ({})", code.trim())
            };
            if zones_text.is_empty() {
                parts.push(format!("{head} : {reference}"));
            } else {
                parts.push(format!(
                    "{head} : {} — contre {reference}",
                    zones_text.join(" ; ")
                ));
            }
        }
        if need.indicators.is_empty() && !rows.is_empty() {
            parts.push(format!(
                "Zones visées : {}",
                rows.iter()
                    .map(|(_, n)| n.clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    if !need.scheme.trim().is_empty() {
        let (spec, row, in_table) = scheme_row(project, &need.scheme);
        let c = compute_row(project, &spec, &row)?;
        let origin = if in_table {
            "tableau des dispositifs".to_owned()
        } else {
            format!(
                "absent du tableau des dispositifs : thème « {} » de la couche de services",
                row.theme
            )
        };
        let mut text = format!(
            "Dispositif « {} » ({origin}) : {}",
            row.name,
            c.verdict.label()
        );
        if c.verdict != Verdict::NotComputed {
            if let Some(share) = c.share_beyond_pct {
                text.push_str(&format!(
                    ", {} % de la cible « {} » au-delà de {} km de ses {} site(s)",
                    format_value(share),
                    spec.target_field,
                    format_value(spec.radius_km),
                    c.sites
                ));
            }
            text.push_str(&format!(
                " ; {} zone(s) sans site ; règle : {}",
                c.zones_without, c.source
            ));
        } else {
            text.push_str(&format!(" ({})", c.source));
        }
        parts.push(text);
    }
    if parts.is_empty() {
        return Ok(
            "Aucun besoin lié : choisissez des zones, des indicateurs ou un dispositif.".to_owned(),
        );
    }
    Ok(format!(
        "Besoin non ou partiellement couvert, selon les critères suivants :\n- {}",
        parts.join("\n- ")
    ))
}

/// The column names of an axis sheet, as exported.
pub const HEADERS: [&str; 17] = [
    "proposition",
    "acteur_associe",
    "couche_des_zones",
    "zones_visees",
    "indicateurs_du_besoin",
    "dispositif",
    "besoin_non_ou_partiellement_couvert",
    "articulation_avec_les_acteurs",
    "investissement_etat_effet_levier_2027",
    "objectif_atteignable",
    "indicateur",
    "type_indicateur",
    "code_indicateur",
    "t0",
    "origine_t0",
    "cible",
    "echeance",
];

/// The sheet of axis `axis`: one row per indicator of each of its proposals (one row without
/// indicator columns for a proposal without indicators), the proposal's cells repeated; T0
/// computed as [`indicator_t0`] does (a number, or the typed text), with its origin.
pub fn axis_table(
    proposals: &[Proposal],
    baseline: Option<&Baseline>,
    axis: u8,
) -> crate::model::Table {
    let mut cols: Vec<Vec<Value>> = vec![Vec::new(); HEADERS.len()];
    let text = |s: &str| Value::Text(s.trim().to_owned());
    for p in proposals.iter().filter(|p| p.axis == axis) {
        let head = [
            text(&p.title),
            text(&p.actor),
            text(&p.need.layer),
            text(&p.need.zones.join(", ")),
            text(&p.need.indicators.join(", ")),
            text(&p.need.scheme),
            text(&p.need_criterion),
            text(&p.articulation),
            text(&p.state_investment),
            text(&p.objective),
        ];
        let mut rows: Vec<[Value; 7]> = p
            .indicators
            .iter()
            .map(|ind| {
                let t0 = indicator_t0(baseline, &p.need, ind);
                let t0_cell = match &t0 {
                    T0::Baseline { value, .. } => Value::Number(*value),
                    T0::Typed(t) => crate::value::parse_number(t)
                        .map_or_else(|| Value::Text(t.clone()), Value::Number),
                    T0::Missing(_) => Value::Missing(crate::value::Missing::Empty),
                };
                [
                    text(&ind.label),
                    text(ind.role.label()),
                    text(&ind.code),
                    t0_cell,
                    text(&t0.origin()),
                    text(&ind.target),
                    text(&ind.date),
                ]
            })
            .collect();
        if rows.is_empty() {
            rows.push(std::array::from_fn(|_| text("")));
        }
        for tail in rows {
            let row: Vec<Value> = head.iter().cloned().chain(tail).collect();
            let Ok(row) = <[Value; 17]>::try_from(row) else {
                continue;
            };
            super::push_row(&mut cols, row);
        }
    }
    super::columns_table(&HEADERS, cols)
}
