//! The diagnostic maps: fills of a zone layer with their key, built from the diagnostic's
//! library results, for the app's map, `cartosol render`, the app's map export and the atlas
//! alike (one path: each map's colours, key and counts are made here and nowhere else).
//!
//! - [`profile_fill`]: the most over-represented poverty profile of each zone
//!   ([`ProfileMix`]), one categorical colour per profile ([`category_colour`]);
//! - [`lisa_fill`]: the LISA cluster map ([`Lisa`]) in GeoDa's colours ([`Cluster::colour`]);
//! - [`typology_fill`]: the classes of a [`Typology`], categorical colours;
//! - [`situations_fill`]: « situations locales sensibles », each zone coloured by its number of
//!   flagging indicators (0, 1, …, ≥ N) on a sequential palette (YlOrRd);
//! - [`factor_fill`]: one aggravating factor's robust z-score oriented to need, in five
//!   classes centred on 0 (≤ −2, −2 à −1, −1 à 1, 1 à 2, ≥ 2) on a diverging palette (RdBu,
//!   warm = more need).
//!
//! A zone without a result (value missing, left out, withheld by secrecy) has no colour: it is
//! hatched as « non disponible » and counted apart in the legend.
//!
//! The project side: [`diagnostic_overlay`] computes the diagnostic map a project's
//! [`DiagnosticSpec`] asks for on a zone layer (with [`layer_profiles`], [`layer_factors`],
//! [`layer_lisa`] and [`layer_typology`], which `cartosol diagnostic`, `lisa` and `typology`
//! call too), and [`resolve_spec`] fills the spec's empty field lists with the defaults of the
//! layer. It sits in the export layer because the profile map applies the secrecy guard.

use super::secrecy::{SECRECY_THRESHOLD, SecrecyGuard, ZoneLevel, zone_level};
use crate::aggregate::RatioRule;
use crate::analysis::AnalysisError;
use crate::analysis::autocorrelation::{Cluster, Lisa, LisaOptions, field_values, lisa};
use crate::analysis::factors::{Factor, FallbackReference, factors};
use crate::analysis::profiles::{ProfileMix, profile_mix};
use crate::analysis::situations::{FlagRule, flags_of};
use crate::analysis::smoothing::{
    RateSource, SmoothedField, Smoothing, smooth_field, smoothed_table,
};
use crate::analysis::typology::{Indicators, KMeansOptions, Method, Typology, typology};
use crate::analysis::weights::Weights;
use crate::dictionary::{Direction, IndicatorDef, IndicatorKind, def_of, label_of};
use crate::model::{FieldKind, Table, ZoneLayer};
use crate::project::{
    DiagnosticMap, DiagnosticSpec, FlagRuleSpec, Project, ProjectFile, TypologyMethodSpec,
    ZoneSpec, ratio_rules,
};
use crate::style::map_style::{LegendClass, OverlayFill, category_colour, class_colors};
use crate::style::palette::palette;
use crate::value::format_number;

/// The clusters of the LISA map in the order of its key.
pub const LISA_KEY_ORDER: [Cluster; 6] = [
    Cluster::HighHigh,
    Cluster::LowLow,
    Cluster::LowHigh,
    Cluster::HighLow,
    Cluster::NotSignificant,
    Cluster::Island,
];

/// The largest N the situations map shows apart (its key has N + 1 rows, ColorBrewer's
/// sequential palettes have at most 9 colours): a larger N is drawn as « ≥ 8 indicateurs ».
pub const MAX_SITUATION_CLASSES: usize = 8;

/// The bounds of the factor map's classes of robust z (oriented to need): ≤ −2, ]−2, −1],
/// ]−1, 1[, [1, 2[, ≥ 2.
pub const FACTOR_Z_BOUNDS: [f64; 4] = [-2.0, -1.0, 1.0, 2.0];

/// Fill and key rows from one class per zone (`None`: no colour) and the colour and label of
/// each class (counts by class).
fn fill_of(
    title: String,
    class_of: &[Option<usize>],
    classes: Vec<([u8; 3], String)>,
) -> OverlayFill {
    let key = classes
        .iter()
        .enumerate()
        .map(|(i, (color, label))| LegendClass {
            color: *color,
            label: label.clone(),
            count: class_of.iter().filter(|c| **c == Some(i)).count(),
        })
        .collect();
    let colors = class_of
        .iter()
        .map(|c| c.and_then(|c| classes.get(c).map(|(color, _)| *color)))
        .collect();
    OverlayFill { title, colors, key }
}

/// The map of the most over-represented profile of each zone (highest location quotient):
/// one colour per profile field, key labels from the dictionary, a zone left out or withheld
/// without colour.
pub fn profile_fill(mix: &ProfileMix, dict: &[IndicatorDef]) -> OverlayFill {
    let class_of: Vec<Option<usize>> = mix.zones.iter().map(|z| z.top).collect();
    let classes = mix
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| (category_colour(i), label_of(dict, f).to_owned()))
        .collect();
    fill_of(
        "Profil le plus surreprésenté".to_owned(),
        &class_of,
        classes,
    )
}

/// The LISA cluster map of `field` over the `rows` zones of the layer (GeoDa's colours, the
/// key in [`LISA_KEY_ORDER`]); `options.alpha` is the threshold the clusters were cut at;
/// `smoothing` says which rates were analysed (named in the title unless raw).
pub fn lisa_fill(
    result: &Lisa,
    rows: usize,
    field: &str,
    options: &LisaOptions,
    smoothing: Smoothing,
    dict: &[IndicatorDef],
) -> OverlayFill {
    let mut class_of = vec![None; rows];
    for (p, row) in result.weights.rows.iter().enumerate() {
        if let Some(slot) = class_of.get_mut(*row) {
            *slot = result
                .local
                .cluster
                .get(p)
                .and_then(|c| LISA_KEY_ORDER.iter().position(|k| k == c));
        }
    }
    let mut title = format!(
        "LISA — {} (p ≤ {})",
        label_of(dict, field),
        format_number(options.alpha)
    );
    if smoothing != Smoothing::Raw {
        title.push_str(&format!(", {}", smoothing.label()));
    }
    let classes = LISA_KEY_ORDER
        .iter()
        .map(|c| (c.colour(), c.label().to_owned()))
        .collect();
    fill_of(title, &class_of, classes)
}

/// The classes of a typology over the `rows` zones of the layer: « Classe 1 », « Classe 2 »…
/// in categorical colours; a zone left out without colour.
pub fn typology_fill(result: &Typology, rows: usize) -> OverlayFill {
    let mut class_of = vec![None; rows];
    for (zone, class) in result.indicators.zones.iter().zip(&result.labels) {
        if let Some(slot) = class_of.get_mut(*zone) {
            *slot = Some(*class);
        }
    }
    let k = result
        .profiles
        .iter()
        .map(|p| p.class + 1)
        .max()
        .unwrap_or(0);
    let classes = (0..k)
        .map(|c| (category_colour(c), format!("Classe {}", c + 1)))
        .collect();
    fill_of(format!("Typologie en {k} classes"), &class_of, classes)
}

/// « 1 indicateur », « 2 indicateurs ».
fn indicators_word(n: usize) -> String {
    if n <= 1 {
        format!("{n} indicateur")
    } else {
        format!("{n} indicateurs")
    }
}

/// The sensitive local situations map: each of the `rows` zones coloured by its number of
/// flagging indicators under `rule` — « 0 indicateur », « 1 indicateur », …, « ≥ N
/// indicateurs » with N = `min_flags` (kept in 1..=[`MAX_SITUATION_CLASSES`]) — on the
/// sequential YlOrRd palette; the last class holds the situations. A zone with no value on
/// any factor has no colour.
pub fn situations_fill(
    factors: &[Factor],
    rows: usize,
    rule: FlagRule,
    min_flags: usize,
) -> OverlayFill {
    let n = min_flags.clamp(1, MAX_SITUATION_CLASSES);
    let class_of: Vec<Option<usize>> = (0..rows)
        .map(|row| {
            let any_value = factors
                .iter()
                .any(|f| matches!(f.values.get(row), Some(Ok(_))));
            any_value.then(|| flags_of(factors, row, rule).len().min(n))
        })
        .collect();
    let colours = palette("YlOrRd")
        .map(|p| class_colors(p, n + 1))
        .unwrap_or_default();
    let classes = (0..=n)
        .map(|c| {
            let colour = colours.get(c).copied().unwrap_or([128, 128, 128]);
            let label = if c == n {
                format!("≥ {}", indicators_word(n))
            } else {
                indicators_word(c)
            };
            (colour, label)
        })
        .collect();
    fill_of(
        format!(
            "Situations locales sensibles : indicateurs signalés par zone (au moins {})",
            indicators_word(n)
        ),
        &class_of,
        classes,
    )
}

/// The class of a robust z on the factor map (see [`FACTOR_Z_BOUNDS`]).
fn z_class(z: f64) -> usize {
    let [a, b, c, d] = FACTOR_Z_BOUNDS;
    if z <= a {
        0
    } else if z <= b {
        1
    } else if z < c {
        2
    } else if z < d {
        3
    } else {
        4
    }
}

/// One aggravating factor's map: the robust z-score oriented to need of each zone in five
/// classes centred on 0 (≤ −2, −2 à −1, −1 à 1, 1 à 2, ≥ 2), diverging palette with the warm
/// hue for more need; a zone without score (missing value, MAD of 0) without colour.
pub fn factor_fill(factor: &Factor, dict: &[IndicatorDef]) -> OverlayFill {
    let class_of: Vec<Option<usize>> = factor
        .z
        .iter()
        .map(|z| z.filter(|z| z.is_finite()).map(z_class))
        .collect();
    let colours = palette("RdBu")
        .map(|p| class_colors(p, 5))
        .unwrap_or_default();
    let labels = [
        "≤ −2 (besoin nettement moindre)",
        "−2 à −1",
        "−1 à 1 (proche de la médiane)",
        "1 à 2",
        "≥ 2 (besoin nettement plus fort)",
    ];
    let classes = labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            (
                colours.get(i).copied().unwrap_or([128, 128, 128]),
                (*l).to_owned(),
            )
        })
        .collect();
    let label = if factor.def.label.trim().is_empty() {
        label_of(dict, &factor.field).to_owned()
    } else {
        factor.def.label.clone()
    };
    fill_of(
        format!("Facteur aggravant — {label} : score z robuste orienté vers le besoin"),
        &class_of,
        classes,
    )
}

// ---------------------------------------------------------------------------------------------
// From a project to the diagnostic's results.

/// The numeric fields of a zone layer's attributes, in table order.
pub fn numeric_fields(table: &Table) -> Vec<String> {
    table
        .fields
        .iter()
        .filter(|f| f.kind == FieldKind::Number)
        .map(|f| f.name.clone())
        .collect()
}

/// The default profile fields: the numeric `MP_*` fields.
pub fn default_profile_fields(table: &Table) -> Vec<String> {
    numeric_fields(table)
        .into_iter()
        .filter(|n| n.to_ascii_uppercase().starts_with("MP_"))
        .collect()
}

/// The default factor fields: the numeric fields, profiles aside, that the dictionary makes
/// rates/shares (%) or ratios with a direction (need or offer).
pub fn default_factor_fields(
    table: &Table,
    dict: &[IndicatorDef],
    profile_fields: &[String],
) -> Vec<String> {
    numeric_fields(table)
        .into_iter()
        .filter(|n| !profile_fields.contains(n))
        .filter(|n| {
            let d = def_of(dict, n);
            matches!(d.kind, IndicatorKind::Percent | IndicatorKind::Ratio)
                && d.direction != Direction::Neutral
        })
        .collect()
}

/// `spec` with its empty choices replaced by the layer's defaults: profile fields (`MP_*`),
/// factor fields, the factor shown (the first factor), the LISA field (`map_indicator` when
/// the layer has it as a number, else the first numeric field) and the typology's indicators
/// (the first four factors). What the app's window starts with.
pub fn resolve_spec(
    spec: &DiagnosticSpec,
    table: &Table,
    dict: &[IndicatorDef],
    map_indicator: &str,
) -> DiagnosticSpec {
    let mut out = spec.clone();
    if out.profile_fields.is_empty() {
        out.profile_fields = default_profile_fields(table);
    }
    if out.factor_fields.is_empty() {
        out.factor_fields = default_factor_fields(table, dict, &out.profile_fields);
    }
    if out.factor_shown.trim().is_empty() {
        out.factor_shown = out.factor_fields.first().cloned().unwrap_or_default();
    }
    if out.lisa_field.trim().is_empty() {
        let numeric = numeric_fields(table);
        out.lisa_field = if numeric.iter().any(|f| f == map_indicator) {
            map_indicator.to_owned()
        } else {
            numeric.first().cloned().unwrap_or_default()
        };
    }
    if out.typology_fields.is_empty() {
        out.typology_fields = out.factor_fields.iter().take(4).cloned().collect();
    }
    out
}

/// The layer as errors name it (« la couche « communes » »).
pub fn layer_label(zone: &ZoneSpec) -> String {
    format!("la couche « {} »", zone.id)
}

/// The reason a zone's profile mix is withheld at commune level.
pub const PROFILE_WITHHELD_REASON: &str =
    "secret statistique : un effectif de profil est inférieur à 11";

/// The profiles of a zone layer on `fields`; at commune level (unless the guard is lifted) a
/// zone whose mix would reveal a sensitive count under the secrecy threshold is withheld, as
/// in the diagnostic workbook (the département figures keep it). Returns the mix and the rows
/// withheld.
pub fn layer_profiles(
    zone: &ZoneSpec,
    layer: &ZoneLayer,
    fields: &[String],
    guard: &SecrecyGuard,
) -> Result<(ProfileMix, Vec<usize>), AnalysisError> {
    let label = layer_label(zone);
    if fields.is_empty() {
        return Err(AnalysisError::InvalidParameter {
            name: "--profils".to_owned(),
            message: format!(
                "aucun champ de profil (MP_*) dans {label} : choisissez les champs des effectifs"
            ),
        });
    }
    let attributes = &layer.attributes;
    let mut mix = profile_mix(attributes, fields, &label)?;
    let mut withheld = Vec::new();
    if zone_level(attributes, &zone.code_field) == ZoneLevel::Fine && !guard.lifted {
        withheld = mix
            .zones
            .iter()
            .enumerate()
            .filter(|(_, z)| {
                z.left_out.is_none()
                    && fields.iter().zip(&z.counts).any(|(f, c)| {
                        guard.is_sensitive(f) && matches!(c, Ok(x) if *x < SECRECY_THRESHOLD)
                    })
            })
            .map(|(r, _)| r)
            .collect();
        mix.withhold(&withheld, PROFILE_WITHHELD_REASON);
    }
    Ok((mix, withheld))
}

/// The aggravating factors `fields` of zone layer `zone` of a project (`file`, its zone layers
/// `zones`): département values from the project's ratio rules (from another zone layer having the field when the zones' own figure
/// is incomplete, as the workbook does), means weighted by `weight_field`; with `smoothing`,
/// the rates defined by a ratio rule are first replaced by their empirical Bayes rates (queen
/// weights of the layer for the spatial one). Returns the factors and notes in French.
pub fn layer_factors(
    file: &ProjectFile,
    zones: &[(&ZoneSpec, &ZoneLayer)],
    (zone, layer): (&ZoneSpec, &ZoneLayer),
    fields: &[String],
    dict: &[IndicatorDef],
    weight_field: Option<&str>,
    smoothing: Smoothing,
) -> Result<(Vec<Factor>, Vec<String>), AnalysisError> {
    let label = layer_label(zone);
    if fields.is_empty() {
        return Err(AnalysisError::InvalidParameter {
            name: "--facteurs".to_owned(),
            message: format!(
                "aucun facteur choisi dans {label} : choisissez au moins un indicateur"
            ),
        });
    }
    let rules = ratio_rules(file, &zone.id);
    let weights =
        (smoothing == Smoothing::SpatialEmpiricalBayes).then(|| Weights::queen(&layer.geometries));
    let (table, _, notes) = smoothed_table(
        &layer.attributes,
        fields,
        &rules,
        smoothing,
        weights.as_ref(),
        &label,
    )?;
    let other = zones
        .iter()
        .copied()
        .find(|(s, l)| s.id != zone.id && fields.iter().any(|f| l.attributes.field(f).is_some()));
    let other_label = other.map(|(s, _)| layer_label(s));
    let fallback = other
        .zip(other_label.as_deref())
        .map(|((s, l), name)| FallbackReference {
            table: &l.attributes,
            weight_field: s.population_field.as_deref(),
            layer: name,
        });
    let list = factors(&table, fields, dict, weight_field, &rules, &label, fallback)?;
    Ok((list, notes))
}

/// A LISA run on a zone layer with what its map and its table need.
#[derive(Clone, Debug)]
pub struct LisaRun {
    /// The field analysed.
    pub field: String,
    /// The options used.
    pub options: LisaOptions,
    /// The value analysed for each zone (the smoothed rate when smoothed).
    pub values: Vec<Option<f64>>,
    /// The raw and smoothed rates when the rate was smoothed.
    pub smoothed: Option<SmoothedField>,
    /// The library's result.
    pub result: Lisa,
}

impl LisaRun {
    /// The smoothing used.
    pub fn smoothing(&self) -> Smoothing {
        self.smoothed.as_ref().map_or(Smoothing::Raw, |s| s.method)
    }

    /// Notes in French (smoothing, left-out zones, islands).
    pub fn notes(&self) -> Vec<String> {
        let mut notes: Vec<String> = self.smoothed.iter().map(SmoothedField::note).collect();
        notes.extend(self.result.notes());
        notes
    }
}

/// LISA of `field` of a zone layer on its queen contiguity, the field's values as they are
/// (`Smoothing::Raw`) or its rate smoothed by empirical Bayes: from `source` when given, else
/// from the ratio rule of `rules` defining `field` (an error in French when there is none).
pub fn layer_lisa(
    zone: &ZoneSpec,
    layer: &ZoneLayer,
    field: &str,
    options: &LisaOptions,
    smoothing: Smoothing,
    source: Option<&RateSource>,
    rules: &[RatioRule],
) -> Result<LisaRun, AnalysisError> {
    let label = layer_label(zone);
    let weights = Weights::queen(&layer.geometries);
    let (values, smoothed) = match smoothing {
        Smoothing::Raw if source.is_none() => (
            field_values(&layer.attributes, field, &label)?
                .iter()
                .map(|v| v.as_f64())
                .collect(),
            None,
        ),
        _ => {
            let source = match source {
                Some(s) => s.clone(),
                None => RateSource::of_field(field, rules).ok_or_else(|| {
                    AnalysisError::InvalidParameter {
                        name: "--lissage".to_owned(),
                        message: format!(
                            "« {field} » n'a pas de numérateur et de dénominateur déclarés \
                             (ratio du projet) : précisez-les (--numerateur, --denominateur)"
                        ),
                    }
                })?,
            };
            let s = smooth_field(
                &layer.attributes,
                field,
                &source,
                smoothing,
                Some(&weights),
                &label,
            )?;
            (s.smoothed.clone(), Some(s))
        }
    };
    let result = lisa(&values, &weights, options)?;
    Ok(LisaRun {
        field: field.to_owned(),
        options: *options,
        values,
        smoothed,
        result,
    })
}

/// The typology of a zone layer on `fields` in `k` classes: k-means (10 restarts from
/// `seed`), Ward, or Ward under queen contiguity with `min_population` inhabitants per region
/// (population field of the layer).
pub fn layer_typology(
    zone: &ZoneSpec,
    layer: &ZoneLayer,
    fields: &[String],
    k: usize,
    method: TypologyMethodSpec,
    min_population: f64,
    seed: u64,
) -> Result<Typology, AnalysisError> {
    let label = layer_label(zone);
    let indicators = Indicators::from_table(&layer.attributes, fields, &label)?;
    let method = match method {
        TypologyMethodSpec::KMeans => Method::KMeans(KMeansOptions {
            seed,
            ..KMeansOptions::default()
        }),
        TypologyMethodSpec::Ward => Method::Ward,
        TypologyMethodSpec::WardContiguous => {
            let population = match &zone.population_field {
                Some(f) => field_values(&layer.attributes, f, &label)?
                    .iter()
                    .map(|v| v.as_f64())
                    .collect(),
                None if min_population > 0.0 => {
                    return Err(AnalysisError::InvalidParameter {
                        name: "population minimale".to_owned(),
                        message: format!("{label} n'a pas de champ de population"),
                    });
                }
                None => vec![None; layer.len()],
            };
            Method::WardContiguous {
                adjacency: Weights::queen(&layer.geometries).neighbours,
                population,
                min_population,
            }
        }
    };
    typology(indicators, k, &method)
}

/// The flag rule a spec stores, with its threshold.
pub fn flag_rule(spec: &DiagnosticSpec) -> FlagRule {
    let threshold = spec.z_threshold;
    match spec.flag_rule {
        FlagRuleSpec::BoxMap => FlagRule::BoxMap,
        FlagRuleSpec::RobustZ => FlagRule::RobustZ { threshold },
        FlagRuleSpec::Either => FlagRule::Either { threshold },
    }
}

/// The diagnostic map `spec.map` of zone layer `zone` of `project` (its empty choices
/// resolved by [`resolve_spec`] against the project's map indicator), as a fill of the shared
/// map style; `None` when the spec shows no diagnostic map. `dict` gives the labels, `guard`
/// the secrecy of the profile map. What `cartosol render` and `cartosol atlas` draw.
pub fn diagnostic_overlay(
    project: &Project,
    zone: (&ZoneSpec, &ZoneLayer),
    spec: &DiagnosticSpec,
    dict: &[IndicatorDef],
    guard: &SecrecyGuard,
) -> Result<Option<OverlayFill>, AnalysisError> {
    let (spec_z, layer) = zone;
    let rows = layer.len();
    let s = resolve_spec(spec, &layer.attributes, dict, &project.file.map.indicator);
    let fill = match s.map {
        DiagnosticMap::None => return Ok(None),
        DiagnosticMap::Profile => {
            let (mix, _) = layer_profiles(spec_z, layer, &s.profile_fields, guard)?;
            profile_fill(&mix, dict)
        }
        DiagnosticMap::Lisa => {
            if s.lisa_field.is_empty() {
                return Err(AnalysisError::InvalidParameter {
                    name: "LISA".to_owned(),
                    message: format!("aucun champ numérique dans {}", layer_label(spec_z)),
                });
            }
            let options = LisaOptions {
                permutations: s.permutations,
                seed: s.seed,
                alpha: s.alpha,
            };
            let rules = ratio_rules(&project.file, &spec_z.id);
            let run = layer_lisa(
                spec_z,
                layer,
                &s.lisa_field,
                &options,
                s.lisa_smoothing,
                None,
                &rules,
            )?;
            lisa_fill(
                &run.result,
                rows,
                &run.field,
                &options,
                run.smoothing(),
                dict,
            )
        }
        DiagnosticMap::Typology => {
            let t = layer_typology(
                spec_z,
                layer,
                &s.typology_fields,
                s.k,
                s.method,
                s.min_population,
                s.typology_seed,
            )?;
            typology_fill(&t, rows)
        }
        DiagnosticMap::Situations | DiagnosticMap::Factor => {
            let zones: Vec<(&ZoneSpec, &ZoneLayer)> =
                project.zones.iter().map(|(s, l)| (s, l)).collect();
            let (list, _) = layer_factors(
                &project.file,
                &zones,
                (spec_z, layer),
                &s.factor_fields,
                dict,
                spec_z.population_field.as_deref(),
                s.factor_smoothing,
            )?;
            if s.map == DiagnosticMap::Situations {
                situations_fill(&list, rows, flag_rule(&s), s.min_flags)
            } else {
                let factor = list
                    .iter()
                    .find(|f| f.field == s.factor_shown)
                    .ok_or_else(|| AnalysisError::InvalidParameter {
                        name: "facteur".to_owned(),
                        message: format!(
                            "« {} » n'est pas parmi les facteurs ({})",
                            s.factor_shown,
                            s.factor_fields.join(", ")
                        ),
                    })?;
                factor_fill(factor, dict)
            }
        }
    };
    Ok(Some(fill))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn z_classes_are_centred_on_zero_with_closed_outer_bounds() {
        let classes: Vec<usize> = [-3.0, -2.0, -1.5, -1.0, 0.0, 0.99, 1.0, 1.99, 2.0, 5.0]
            .iter()
            .map(|z| z_class(*z))
            .collect();
        assert_eq!(classes, vec![0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
    }

    #[test]
    fn key_words_agree_in_number() {
        assert_eq!(indicators_word(0), "0 indicateur");
        assert_eq!(indicators_word(1), "1 indicateur");
        assert_eq!(indicators_word(3), "3 indicateurs");
    }
}
