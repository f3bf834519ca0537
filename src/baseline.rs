//! The T0 baseline of a diagnostic and its comparison with a later vintage (T+3).
//!
//! [`freeze`] stores everything the T0 diagnostic rests on (see [`Baseline`]): the sources with
//! their size and SHA-256, the commune geography (commune → EPCI), every numeric indicator per
//! zone, the map's class breaks, the under-served rule and the services per zone and theme.
//! [`check_sources`] says which sources changed since. [`compare`] sets a later project against
//! the baseline, on the **T0 geography**:
//!
//! - a zone whose code exists in both vintages is compared code to code (through the
//!   correspondence table when one is given: a renumbered commune follows its new code);
//! - communes **merged** into a commune nouvelle (several T0 codes → one later code) cannot be
//!   compared one by one: a later figure cannot be split back. Each old code gets its T0 value
//!   and no later value (« sans objet », with a note naming the commune nouvelle), and one more
//!   row, *regroupement T0*, compares the later figure of the commune nouvelle with the T0
//!   figures of its former communes put together: counts are summed, rates with a ratio rule
//!   (`TP60 = 100 × NB_MEN_PAUV / NBMENFISC`) are recomputed as ratios of the summed counts;
//!   other indicators (shares without a rule, amounts, medians) are not recomputable and are
//!   left missing with that note;
//! - without a correspondence table, a T0 commune absent later is reported (merged or
//!   removed) and left without a later value (« non apparié »).
//!
//! The later values of the map's indicator are classed with the **T0 breaks**
//! ([`Classification::class_of`]), so both maps share one legend.

pub mod maps;
pub mod spec;

pub use spec::{
    Baseline, CommuneEntry, Geography, IndicatorValues, LayerValues, MapBaseline, ServiceCounts,
    SourceFingerprint, StoredValue, UnderservedBaseline,
};

use crate::analysis::underserved::{
    NeedThreshold, OfferThreshold, UnderservedRule, median_threshold, underserved,
};
use crate::dictionary::{IndicatorDef, IndicatorKind, def_of, merge, read_dictionary};
use crate::error::display_name;
use crate::export::data::count_points_by_zone;
use crate::export::date_fr_in_paris;
use crate::export::secrecy::{SECRECY_THRESHOLD, SecrecyGuard, SensitiveField, ZoneLevel};
use crate::model::{Column, Field, FieldKind, Table, ZoneLayer};
use crate::project::{Project, ZoneSpec, ratio_rules};
use crate::style::classify::Classification;
use crate::style::classify_field;
use crate::value::{Missing, Value, ValueRef};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Why a baseline could not be frozen or compared. Messages are in French and name the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BaselineError {
    /// A source file could not be read to take its fingerprint.
    #[error("{file} : lecture impossible pour figer le T0 ({source})")]
    Read {
        /// The file, as shown to the user.
        file: String,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// The correspondence table has no recognisable old and new code columns.
    #[error("table de correspondance : {reason}")]
    Correspondence {
        /// What is wrong, in French.
        reason: String,
    },
    /// A map of the comparison cannot be drawn.
    #[error("carte de la comparaison impossible : {reason}")]
    Map {
        /// Why, in French.
        reason: String,
    },
    /// The T0 palette is unknown.
    #[error(transparent)]
    Style(#[from] crate::style::StyleError),
}

/// The size in bytes and the SHA-256 (lower-case hexadecimal) of the file at `path`.
pub fn fingerprint(path: &Path) -> Result<(u64, String), BaselineError> {
    let err = |e| BaselineError::Read {
        file: display_name(path),
        source: e,
    };
    let mut file = std::fs::File::open(path).map_err(err)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size: u64 = 0;
    loop {
        let n = file.read(&mut buf).map_err(err)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(buf.get(..n).unwrap_or_default());
    }
    let hex = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((size, hex))
}

/// A year (1900–2099) written in a file name (`filosofi_2021.xlsx` → 2021), if any: four digits
/// not part of a longer number.
pub fn year_in_name(path: &Path) -> Option<i32> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    let bytes = name.as_bytes();
    (0..bytes.len().saturating_sub(3)).find_map(|i| {
        let digits = bytes.get(i..i + 4)?;
        let before = i.checked_sub(1).and_then(|j| bytes.get(j));
        let after = bytes.get(i + 4);
        let is_digit = |b: Option<&u8>| b.is_some_and(u8::is_ascii_digit);
        if digits.iter().all(u8::is_ascii_digit) && !is_digit(before) && !is_digit(after) {
            let year: i32 = std::str::from_utf8(digits).ok()?.parse().ok()?;
            (1900..2100).contains(&year).then_some(year)
        } else {
            None
        }
    })
}

/// The project's dictionary: the entries saved in the project, completed by the definitions
/// sheets of its workbooks (unreadable sheets are skipped: the dictionary only names kinds).
fn project_dictionary(project: &Project) -> Vec<IndicatorDef> {
    let mut dictionary = project.file.dictionary.clone();
    let base = project.path.parent().unwrap_or(Path::new("."));
    let mut seen = BTreeSet::new();
    for spec in &project.file.tables {
        let source = base.join(&spec.source);
        if !seen.insert(source.clone()) {
            continue;
        }
        if let Ok(Some(sheet)) = crate::dictionary::definitions_sheet(&source)
            && let Ok(defs) = read_dictionary(&source, Some(&sheet))
        {
            merge(&mut dictionary, defs);
        }
    }
    dictionary
}

/// A code cell as text: text as is, an integer number (a code Excel turned into a number) with
/// its digits (5 at least, as commune codes have).
fn code_text<'a>(v: impl Into<ValueRef<'a>>) -> Option<String> {
    match v.into() {
        ValueRef::Text(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        ValueRef::Number(x) if x.fract() == 0.0 && (0.0..1e15).contains(&x) => {
            Some(format!("{:05}", x as u64))
        }
        _ => None,
    }
}

fn stored<'a>(v: impl Into<ValueRef<'a>>) -> StoredValue {
    match v.into() {
        ValueRef::Number(x) if x.is_finite() => StoredValue::Number(x),
        ValueRef::Number(_) => StoredValue::Missing(Missing::NotAvailable.label().to_owned()),
        ValueRef::Missing(m) => StoredValue::Missing(m.label().to_owned()),
        ValueRef::Text(t) => StoredValue::Missing(t.to_owned()),
    }
}

/// The codes of a zone layer, one per row (`None` for a row without a code).
fn layer_codes(spec: &ZoneSpec, layer: &ZoneLayer) -> Vec<Option<String>> {
    let field = layer.attributes.field(&spec.code_field);
    (0..layer.len())
        .map(|r| field.and_then(|f| f.values.get(r)).and_then(code_text))
        .collect()
}

/// Whether most codes of a layer are commune codes (5 characters: digits, or `2A`/`2B`).
fn is_commune_layer(codes: &[Option<String>]) -> bool {
    let present: Vec<&String> = codes.iter().flatten().collect();
    let communes = present
        .iter()
        .filter(|c| {
            c.len() == 5
                && (c.chars().all(|ch| ch.is_ascii_digit())
                    || c.starts_with("2A")
                    || c.starts_with("2B"))
        })
        .count();
    !present.is_empty() && communes * 10 >= present.len() * 9
}

/// The commune geography of a project: its commune layer (the first zone layer whose codes are
/// commune codes) with each commune's EPCI (a field whose name holds `EPCI` and whose values
/// are 9-digit SIREN).
pub fn geography_of(project: &Project) -> Geography {
    for (spec, layer) in &project.zones {
        let codes = layer_codes(spec, layer);
        if !is_commune_layer(&codes) {
            continue;
        }
        let names = layer.attributes.field(&spec.name_field);
        let epci = layer.attributes.fields.iter().find(|f| {
            f.name.to_uppercase().contains("EPCI")
                && f.values
                    .iter()
                    .filter_map(code_text)
                    .all(|c| c.len() == 9 && c.chars().all(|ch| ch.is_ascii_digit()))
                && f.values.iter().any(|v| code_text(v).is_some())
        });
        let mut communes = Vec::new();
        let mut seen = BTreeSet::new();
        for (r, code) in codes.iter().enumerate() {
            let Some(code) = code else { continue };
            if !seen.insert(code.clone()) {
                continue;
            }
            communes.push(CommuneEntry {
                code: code.clone(),
                name: names
                    .and_then(|f| f.values.get(r))
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                epci: epci.and_then(|f| f.values.get(r)).and_then(code_text),
            });
        }
        return Geography {
            cog_year: year_in_name(&spec.source),
            communes_layer: Some(spec.id.clone()),
            communes,
        };
    }
    Geography::default()
}

/// The numeric indicators of every zone layer of `project`, per zone.
fn layer_values(project: &Project, dictionary: &[IndicatorDef]) -> Vec<LayerValues> {
    project
        .zones
        .iter()
        .map(|(spec, layer)| {
            let codes = layer_codes(spec, layer);
            let name_field = layer.attributes.field(&spec.name_field);
            let mut names = BTreeMap::new();
            for (r, code) in codes.iter().enumerate() {
                if let Some(code) = code {
                    names.entry(code.clone()).or_insert_with(|| {
                        name_field
                            .and_then(|f| f.values.get(r))
                            .map(|v| v.to_string())
                            .unwrap_or_default()
                    });
                }
            }
            let rules = ratio_rules(&project.file, &spec.id);
            let indicators = layer
                .attributes
                .fields
                .iter()
                .filter(|f| f.kind == FieldKind::Number && f.name != spec.code_field)
                .map(|f| {
                    let mut values = BTreeMap::new();
                    for (code, v) in codes.iter().zip(&f.values) {
                        if let Some(code) = code {
                            values.entry(code.clone()).or_insert_with(|| stored(v));
                        }
                    }
                    let population = spec.population_field.as_deref() == Some(f.name.as_str());
                    let def = def_of(dictionary, &f.name);
                    IndicatorValues {
                        field: f.name.clone(),
                        label: if def.label == f.name {
                            String::new()
                        } else {
                            def.label.clone()
                        },
                        kind: if population {
                            IndicatorKind::Count
                        } else {
                            def.kind
                        },
                        ratio: rules
                            .iter()
                            .find(|r| r.field.trim().eq_ignore_ascii_case(f.name.trim()))
                            .cloned(),
                        values,
                    }
                })
                .collect();
            LayerValues {
                layer: spec.id.clone(),
                code_field: spec.code_field.clone(),
                names,
                indicators,
            }
        })
        .collect()
}

/// The map's indicator with the class breaks computed on its present values.
fn map_baseline(project: &Project) -> Option<MapBaseline> {
    let map = &project.file.map;
    let (_, layer) = project.zones.iter().find(|(s, _)| s.id == map.zones)?;
    let field = layer.attributes.field(&map.indicator)?;
    let classes = classify_field(field, &map.classification).ok();
    Some(MapBaseline {
        zones: map.zones.clone(),
        indicator: map.indicator.clone(),
        classification: map.classification.clone(),
        breaks: classes
            .as_ref()
            .map(|c| c.breaks.clone())
            .unwrap_or_default(),
        min: classes.as_ref().map_or(0.0, |c| c.min),
    })
}

/// The service points per zone and theme, for every zone layer and every point layer with a
/// theme field.
fn service_counts(project: &Project) -> Vec<ServiceCounts> {
    let mut out = Vec::new();
    for (pspec, points) in &project.points {
        let Some(theme) = pspec.theme_field.as_deref() else {
            continue;
        };
        for (zspec, zones) in &project.zones {
            let table = count_points_by_zone(
                points,
                zones,
                &zspec.code_field,
                &zspec.name_field,
                Some(theme),
            );
            let codes: Vec<Option<String>> = table
                .field(&zspec.code_field)
                .map(|f| f.values.iter().map(code_text).collect())
                .unwrap_or_default();
            let mut counts = BTreeMap::new();
            for f in table.fields.iter().filter(|f| f.kind == FieldKind::Number) {
                let column: BTreeMap<String, f64> = codes
                    .iter()
                    .zip(&f.values)
                    .filter_map(|(c, v)| Some((c.clone()?, v.as_f64()?)))
                    .collect();
                counts.insert(f.name.clone(), column);
            }
            out.push(ServiceCounts {
                zones: zspec.id.clone(),
                points: pspec.id.clone(),
                counts,
            });
        }
    }
    out
}

/// Every source path of a project as written in it (zones, tables, points), once each.
fn source_paths(project: &Project) -> Vec<PathBuf> {
    let f = &project.file;
    let mut out: Vec<PathBuf> = Vec::new();
    let all = f
        .zones
        .iter()
        .map(|z| &z.source)
        .chain(f.tables.iter().map(|t| &t.source))
        .chain(f.points.iter().map(|p| &p.source));
    for p in all {
        if !out.contains(p) {
            out.push(p.clone());
        }
    }
    out
}

/// Freezes the T0 of `project` on the day of `now` in France: see [`Baseline`] for what is
/// stored, with the default under-served rule ([`UnderservedSettings::default_for`]). Fails
/// only when a source file cannot be read for its fingerprint.
pub fn freeze(project: &Project, now: jiff::Timestamp) -> Result<Baseline, BaselineError> {
    freeze_with(project, now, None)
}

/// [`freeze`] with the under-served rule `rule` (the one set in the app or on the command
/// line); `None` takes the default rule. A rule that cannot be applied (no service points, an
/// unknown layer or indicator) is left out of the baseline, not an error.
pub fn freeze_with(
    project: &Project,
    now: jiff::Timestamp,
    rule: Option<&UnderservedSettings>,
) -> Result<Baseline, BaselineError> {
    let base = project.path.parent().unwrap_or(Path::new("."));
    let dictionary = project_dictionary(project);
    let mut sources = Vec::new();
    for path in source_paths(project) {
        let (size_bytes, sha256) = fingerprint(&base.join(&path))?;
        sources.push(SourceFingerprint {
            vintage: year_in_name(&path).map(|y| y.to_string()),
            path,
            size_bytes,
            sha256,
        });
    }
    let vintage = dictionary
        .iter()
        .find_map(|d| d.vintage.clone().filter(|v| !v.trim().is_empty()))
        .or_else(|| {
            project
                .file
                .tables
                .iter()
                .find_map(|t| year_in_name(&t.source))
                .map(|y| y.to_string())
        });
    Ok(Baseline {
        frozen_on: date_fr_in_paris(now),
        title: project.file.title.clone(),
        vintage,
        sources,
        geography: geography_of(project),
        layers: layer_values(project, &dictionary),
        map: map_baseline(project),
        underserved_note: project.file.map.underserved_note.clone(),
        services: service_counts(project),
        underserved: rule
            .cloned()
            .or_else(|| UnderservedSettings::default_for(project))
            .and_then(|r| underserved_baseline(project, &r)),
    })
}

// ---------------------------------------------------------------------------------------------
// The under-served rule at T0 and later.

/// The under-served rule to freeze with the T0: need at least a threshold and in-person
/// services per 10,000 inhabitants at most another, on one zone layer (see
/// [`crate::analysis::underserved`] and [`crate::analysis::coverage`]).
#[derive(Clone, Debug, PartialEq)]
pub struct UnderservedSettings {
    /// The zone layer (`id`).
    pub zones: String,
    /// The need indicator, a numeric field of that layer.
    pub need: String,
    /// The theme of services counted as offer; `None`: every service.
    pub theme: Option<String>,
    /// Need threshold; `None`: the median of the zones at T0.
    pub need_min: Option<f64>,
    /// Offer threshold, services per 10,000 inhabitants; `None`: the median at T0.
    pub offer_max_per_10000: Option<f64>,
}

impl UnderservedSettings {
    /// The default rule of a project: on the map's layer, its indicator as the need, every
    /// service as the offer, both thresholds at the T0 median (the app's starting point).
    pub fn default_for(project: &Project) -> Option<UnderservedSettings> {
        let map = &project.file.map;
        project.zones.iter().find(|(s, _)| s.id == map.zones)?;
        Some(UnderservedSettings {
            zones: map.zones.clone(),
            need: map.indicator.clone(),
            theme: None,
            need_min: None,
            offer_max_per_10000: None,
        })
    }
}

/// Need and offer of every zone of one layer of a project.
struct UnderservedFigures {
    codes: Vec<Option<String>>,
    need: Vec<Value>,
    offer: Vec<Value>,
}

/// The figures the rule reads, computed by the coverage of the app and of `cartosol
/// coverage`: the commune base is the layer `communes` (else the layer with the most zones),
/// the services the first point layer with a theme field (else the first).
fn underserved_figures(
    project: &Project,
    zones: &str,
    need: &str,
    theme: Option<&str>,
) -> Result<UnderservedFigures, String> {
    use crate::analysis::coverage::{CoverageOptions, coverage};
    let (zspec, zlayer) = project
        .zones
        .iter()
        .find(|(s, _)| s.id == zones)
        .ok_or_else(|| format!("couche « {zones} » absente"))?;
    let (cspec, communes) = project
        .zones
        .iter()
        .find(|(s, _)| s.id == "communes")
        .or_else(|| project.zones.iter().max_by_key(|(_, l)| l.len()))
        .ok_or("aucune couche de communes")?;
    let (pspec, points) = project
        .points
        .iter()
        .find(|(s, _)| s.theme_field.is_some())
        .or_else(|| project.points.first())
        .ok_or("aucune couche de points de service")?;
    let need_values = zlayer
        .attributes
        .field(need)
        .filter(|f| f.kind == FieldKind::Number)
        .map(|f| f.values.clone())
        .ok_or_else(|| format!("indicateur « {need} » absent ou non numérique"))?;
    let options = CoverageOptions {
        theme_field: pspec
            .theme_field
            .clone()
            .unwrap_or_else(|| "dispositif".to_owned()),
        theme: theme.map(str::to_owned),
        zone_code_field: Some(zspec.code_field.clone()),
        commune_code_field: Some(cspec.code_field.clone()),
        population_field: cspec
            .population_field
            .clone()
            .unwrap_or_else(|| "POPULATION".to_owned()),
        ..CoverageOptions::default()
    };
    let result = coverage(zlayer, communes, points, &options).map_err(|e| e.to_string())?;
    Ok(UnderservedFigures {
        codes: layer_codes(zspec, zlayer),
        need: need_values.to_values(),
        // Rounded to 1e-6: a value of at most 15 significant digits reads back from the
        // project's JSON exactly, so that a reopened T0 is the T0 that was frozen.
        offer: result
            .zones
            .iter()
            .map(|z| match z.per_10000 {
                Value::Number(x) => Value::Number((x * 1e6).round() / 1e6),
                ref other => other.clone(),
            })
            .collect(),
    })
}

/// The rule of the library's under-served analysis for these thresholds.
fn underserved_rule(
    need: &str,
    theme: Option<&str>,
    need_min: f64,
    offer_max: f64,
) -> UnderservedRule {
    UnderservedRule {
        need_label: need.to_owned(),
        need_unit: String::new(),
        need: NeedThreshold::AtLeast(need_min),
        offer_label: format!("{} pour 10 000 habitants", theme.unwrap_or("services")),
        offer: OfferThreshold::AtMost(offer_max),
    }
}

fn underserved_baseline(
    project: &Project,
    settings: &UnderservedSettings,
) -> Option<UnderservedBaseline> {
    let figures = underserved_figures(
        project,
        &settings.zones,
        &settings.need,
        settings.theme.as_deref(),
    )
    .ok()?;
    let need_min = settings
        .need_min
        .or_else(|| median_threshold(&figures.need))?;
    let offer_max = settings
        .offer_max_per_10000
        .or_else(|| median_threshold(&figures.offer))?;
    let rule = underserved_rule(
        &settings.need,
        settings.theme.as_deref(),
        need_min,
        offer_max,
    );
    let result = underserved(&figures.need, &figures.offer, &rule);
    let mut offer = BTreeMap::new();
    for (code, v) in figures.codes.iter().zip(&figures.offer) {
        if let Some(code) = code {
            offer.entry(code.clone()).or_insert_with(|| stored(v));
        }
    }
    Some(UnderservedBaseline {
        zones: settings.zones.clone(),
        need: settings.need.clone(),
        theme: settings.theme.clone(),
        need_min,
        offer_max_per_10000: offer_max,
        rule_text: result.rule_text,
        offer_per_10000: offer,
        flagged: result
            .flagged
            .iter()
            .filter_map(|f| figures.codes.get(f.zone).cloned().flatten())
            .collect(),
    })
}

/// A zone that entered or left the under-served set, with its figures at both dates.
#[derive(Clone, Debug, PartialEq)]
pub struct UnderservedZone {
    /// Its T0 code.
    pub code: String,
    /// Its T0 name.
    pub name: String,
    /// Need at T0.
    pub need_t0: Option<f64>,
    /// Need later (on the T0 geography).
    pub need_later: Option<f64>,
    /// Services per 10,000 inhabitants at T0.
    pub offer_t0: Option<f64>,
    /// Services per 10,000 inhabitants later.
    pub offer_later: Option<f64>,
}

/// The T0 under-served rule applied to both vintages.
#[derive(Clone, Debug, PartialEq)]
pub struct UnderservedChanges {
    /// The zone layer.
    pub zones: String,
    /// The rule in French, with the T0 thresholds.
    pub rule_text: String,
    /// Codes of the zones under-served at T0.
    pub flagged_t0: Vec<String>,
    /// Codes of the T0 zones under-served later with the same thresholds.
    pub flagged_later: Vec<String>,
    /// Under-served later, not at T0.
    pub entered: Vec<UnderservedZone>,
    /// Under-served at T0, no longer later.
    pub left: Vec<UnderservedZone>,
    /// T0 zones that could not be assessed later (no need or offer value, absent zone).
    pub not_assessed_later: Vec<String>,
}

impl UnderservedChanges {
    /// The changes in French, one line each: the rule, the counts, then each zone that
    /// entered or left with its need and offer at both dates.
    pub fn lines(&self) -> Vec<String> {
        let f = |x: Option<f64>| x.map_or_else(|| "—".to_owned(), crate::value::format_number);
        let zone = |z: &UnderservedZone| {
            format!(
                "{} ({}) : besoin {} au T0, {} au T+3 ; offre {} au T0, {} au T+3 (services pour 10 000 hab.)",
                z.name,
                z.code,
                f(z.need_t0),
                f(z.need_later),
                f(z.offer_t0.map(|x| (x * 100.0).round() / 100.0)),
                f(z.offer_later.map(|x| (x * 100.0).round() / 100.0))
            )
        };
        let mut out = vec![
            format!("règle du T0 : {}", self.rule_text),
            format!(
                "zones sous-desservies : {} au T0, {} au T+3 ({} entrée(s), {} sortie(s))",
                self.flagged_t0.len(),
                self.flagged_later.len(),
                self.entered.len(),
                self.left.len()
            ),
        ];
        out.extend(self.entered.iter().map(|z| format!("entrée : {}", zone(z))));
        out.extend(self.left.iter().map(|z| format!("sortie : {}", zone(z))));
        if !self.not_assessed_later.is_empty() {
            out.push(format!(
                "non évaluées au T+3 : {}",
                self.not_assessed_later.join(", ")
            ));
        }
        out
    }
}

/// Applies the T0 rule `t0` to the later project, on the T0 zones (`target` maps a T0 code to
/// its later code, for communes).
fn underserved_changes(
    baseline: &Baseline,
    t0: &UnderservedBaseline,
    later: &Project,
    target: &dyn Fn(&str) -> String,
) -> Result<UnderservedChanges, String> {
    let figures = underserved_figures(later, &t0.zones, &t0.need, t0.theme.as_deref())?;
    let row_of: BTreeMap<&str, usize> = figures
        .codes
        .iter()
        .enumerate()
        .filter_map(|(r, c)| Some((c.as_deref()?, r)))
        .rev()
        .collect();
    let layer = baseline.layers.iter().find(|l| l.layer == t0.zones);
    let need_t0 = layer.and_then(|l| l.indicators.iter().find(|i| i.field == t0.need));
    let codes: Vec<&String> = t0.offer_per_10000.keys().collect();
    let missing = || Value::Missing(Missing::Unmatched);
    let later_of = |column: &[Value], code: &str| -> Value {
        row_of
            .get(target(code).as_str())
            .and_then(|&r| column.get(r))
            .cloned()
            .unwrap_or_else(missing)
    };
    let need_later: Vec<Value> = codes.iter().map(|c| later_of(&figures.need, c)).collect();
    let offer_later: Vec<Value> = codes.iter().map(|c| later_of(&figures.offer, c)).collect();
    let rule = underserved_rule(
        &t0.need,
        t0.theme.as_deref(),
        t0.need_min,
        t0.offer_max_per_10000,
    );
    let result = underserved(&need_later, &offer_later, &rule);
    let flagged_later: Vec<String> = result
        .flagged
        .iter()
        .filter_map(|f| codes.get(f.zone).map(|c| (*c).clone()))
        .collect();
    let zone = |code: &str| {
        let k = codes.iter().position(|c| *c == code);
        UnderservedZone {
            code: code.to_owned(),
            name: layer
                .and_then(|l| l.names.get(code))
                .cloned()
                .unwrap_or_default(),
            need_t0: need_t0
                .and_then(|i| i.values.get(code))
                .and_then(StoredValue::as_f64),
            need_later: k.and_then(|k| need_later.get(k)).and_then(Value::as_f64),
            offer_t0: t0.offer_per_10000.get(code).and_then(StoredValue::as_f64),
            offer_later: k.and_then(|k| offer_later.get(k)).and_then(Value::as_f64),
        }
    };
    Ok(UnderservedChanges {
        zones: t0.zones.clone(),
        rule_text: t0.rule_text.clone(),
        entered: flagged_later
            .iter()
            .filter(|c| !t0.flagged.contains(c))
            .map(|c| zone(c))
            .collect(),
        left: t0
            .flagged
            .iter()
            .filter(|c| !flagged_later.contains(c))
            .map(|c| zone(c))
            .collect(),
        not_assessed_later: result
            .not_assessed
            .iter()
            .filter_map(|&k| codes.get(k).map(|c| (*c).clone()))
            .collect(),
        flagged_t0: t0.flagged.clone(),
        flagged_later,
    })
}

/// How a source file differs from its T0 fingerprint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceChange {
    /// The file is gone (or cannot be read).
    Missing {
        /// The path as written in the project.
        path: PathBuf,
    },
    /// The file's content changed.
    Changed {
        /// The path as written in the project.
        path: PathBuf,
        /// Size at T0, in bytes.
        size_t0_bytes: u64,
        /// Size now, in bytes.
        size_now_bytes: u64,
    },
}

impl std::fmt::Display for SourceChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceChange::Missing { path } => write!(
                f,
                "source « {} » absente ou illisible depuis le T0",
                path.display()
            ),
            SourceChange::Changed {
                path,
                size_t0_bytes,
                size_now_bytes,
            } => write!(
                f,
                "source « {} » modifiée depuis le T0 (empreinte SHA-256 différente ; {} octets au T0, {} aujourd'hui)",
                path.display(),
                size_t0_bytes,
                size_now_bytes
            ),
        }
    }
}

/// The sources of `baseline` that changed since it was frozen, their paths resolved against
/// `project_dir` (the folder of the project file). Empty when every source is as it was.
pub fn check_sources(baseline: &Baseline, project_dir: &Path) -> Vec<SourceChange> {
    baseline
        .sources
        .iter()
        .filter_map(|s| match fingerprint(&project_dir.join(&s.path)) {
            Err(_) => Some(SourceChange::Missing {
                path: s.path.clone(),
            }),
            Ok((size, hash)) if size != s.size_bytes || hash != s.sha256 => {
                Some(SourceChange::Changed {
                    path: s.path.clone(),
                    size_t0_bytes: s.size_bytes,
                    size_now_bytes: size,
                })
            }
            Ok(_) => None,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Comparison.

/// Old commune code → new commune code, read from a correspondence table.
///
/// Recognised layouts (column names compared case-insensitively): INSEE's *table de passage*
/// with one code column per vintage, `CODGEO_2024` and `CODGEO_2027` (also `COM_<année>`,
/// `CODE_<année>`: the older year is the old code), or a table of commune changes with
/// `COM_INI`/`COM_FIN` (also `CODGEO_INI`/`CODGEO_FIN`). Rows without both codes are skipped;
/// an old code listed twice keeps its first row.
pub fn correspondence_pairs(table: &Table) -> Result<BTreeMap<String, String>, BaselineError> {
    let upper = |f: &Field| f.name.trim().to_uppercase();
    let named = |names: &[&str]| {
        table
            .fields
            .iter()
            .find(|f| names.contains(&upper(f).as_str()))
    };
    let pair = match (
        named(&["COM_INI", "CODGEO_INI", "DEPCOM_INI"]),
        named(&["COM_FIN", "CODGEO_FIN", "DEPCOM_FIN"]),
    ) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => {
            let mut dated: Vec<(i32, &Field)> = table
                .fields
                .iter()
                .filter_map(|f| {
                    let name = upper(f);
                    let (prefix, year) = name.rsplit_once('_')?;
                    if !["CODGEO", "COM", "CODE", "DEPCOM"].contains(&prefix) {
                        return None;
                    }
                    let year: i32 = year.parse().ok()?;
                    (1900..2100).contains(&year).then_some((year, f))
                })
                .collect();
            dated.sort_by_key(|(y, _)| *y);
            match (dated.first(), dated.last()) {
                (Some((y0, a)), Some((y1, b))) if y0 < y1 => Some((*a, *b)),
                _ => None,
            }
        }
    };
    let Some((old, new)) = pair else {
        let columns: Vec<&str> = table.field_names().collect();
        return Err(BaselineError::Correspondence {
            reason: format!(
                "colonnes des codes introuvables : attendu CODGEO_<année> pour deux millésimes (table de passage de l'Insee) ou COM_INI et COM_FIN ; colonnes lues : {}",
                columns.join(", ")
            ),
        });
    };
    let mut pairs = BTreeMap::new();
    for (a, b) in old.values.iter().zip(&new.values) {
        if let (Some(a), Some(b)) = (code_text(a), code_text(b)) {
            pairs.entry(a).or_insert(b);
        }
    }
    Ok(pairs)
}

/// A commune of T0 absent from the later geography.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemovedCommune {
    /// Its T0 code.
    pub code: String,
    /// Its T0 name.
    pub name: String,
    /// The later code it went into, per the correspondence table.
    pub into: Option<String>,
}

/// Communes merged into one commune nouvelle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Merger {
    /// The code of the commune nouvelle.
    pub new_code: String,
    /// Its later name.
    pub new_name: String,
    /// The T0 codes merged into it.
    pub old_codes: Vec<String>,
}

/// A commune whose EPCI changed between the two vintages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EpciMove {
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// SIREN of its EPCI at T0.
    pub from: String,
    /// SIREN of its EPCI later.
    pub to: String,
}

/// The geography changes between T0 and a later vintage.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GeographyChanges {
    /// T0 communes absent later (merged or removed).
    pub removed: Vec<RemovedCommune>,
    /// Later codes absent at T0: (code, name).
    pub added: Vec<(String, String)>,
    /// Communes nouvelles (from the correspondence table).
    pub mergers: Vec<Merger>,
    /// Communes that moved to another EPCI.
    pub epci_moves: Vec<EpciMove>,
}

impl GeographyChanges {
    /// Whether the two geographies are the same.
    pub fn is_empty(&self) -> bool {
        self.removed.is_empty()
            && self.added.is_empty()
            && self.mergers.is_empty()
            && self.epci_moves.is_empty()
    }

    /// The changes in French, one line each.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        for m in &self.mergers {
            out.push(format!(
                "fusion : {} en {} ({}), commune nouvelle",
                m.old_codes.join(" + "),
                m.new_code,
                m.new_name
            ));
        }
        for r in &self.removed {
            out.push(match &r.into {
                Some(into) => format!(
                    "commune {} ({}) absente au T+3 : fusionnée dans {into}",
                    r.code, r.name
                ),
                None => format!(
                    "commune {} ({}) absente au T+3 : fusionnée ou supprimée (fournir la table de correspondance)",
                    r.code, r.name
                ),
            });
        }
        for (code, name) in &self.added {
            out.push(format!("code nouveau au T+3 : {code} ({name})"));
        }
        for m in &self.epci_moves {
            out.push(format!(
                "commune {} ({}) : EPCI {} au T0, {} au T+3",
                m.code, m.name, m.from, m.to
            ));
        }
        out
    }
}

/// One indicator of one zone in both vintages.
#[derive(Clone, Debug, PartialEq)]
pub struct IndicatorChange {
    /// The T0 value.
    pub t0: Value,
    /// The later value, on the T0 geography.
    pub later: Value,
    /// `later − t0`, in the indicator's unit (percentage points for a rate in %).
    pub change: Option<f64>,
    /// `100 × (later − t0) / t0`, in % (none when t0 is 0).
    pub change_pct: Option<f64>,
    /// For the map's indicator: the T0 class (0 = first) with the T0 breaks.
    pub class_t0: Option<usize>,
    /// For the map's indicator: the class of the later value with the **T0** breaks (`None`
    /// above the last T0 break).
    pub class_later: Option<usize>,
}

/// One zone of the T0 geography (or a regrouping of merged communes) in both vintages.
#[derive(Clone, Debug, PartialEq)]
pub struct ZoneComparison {
    /// The T0 code (the commune nouvelle's code for a regrouping).
    pub code: String,
    /// The T0 name (for a regrouping: the later name and the codes regrouped).
    pub name: String,
    /// The code whose later values are compared, when it differs from `code` or is missing.
    pub later_code: Option<String>,
    /// Why the comparison is partial (merger, absent zone…), in French.
    pub note: Option<String>,
    /// One entry per indicator of the layer, in [`LayerComparison::indicators`] order.
    pub values: Vec<IndicatorChange>,
    /// For the row of a commune nouvelle compared with its former communes put together: the
    /// T0 codes regrouped (empty for every other row).
    pub regrouped: Vec<String>,
}

/// One zone layer compared.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerComparison {
    /// The `id` of the zone layer.
    pub layer: String,
    /// The indicators compared (present at T0 and later).
    pub indicators: Vec<String>,
    /// Whether the layer is the T0 map's: its map indicator carries classes.
    pub map_indicator: Option<String>,
    /// One entry per T0 zone, then the regroupings of merged communes.
    pub zones: Vec<ZoneComparison>,
}

/// A later vintage set against the T0.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// The day the T0 was frozen.
    pub t0_frozen_on: String,
    /// The geography changes.
    pub geography: GeographyChanges,
    /// The zone layers compared.
    pub layers: Vec<LayerComparison>,
    /// What could not be compared, in French.
    pub notes: Vec<String>,
    /// The T0 under-served rule applied to both vintages (when the T0 has one).
    pub underserved: Option<UnderservedChanges>,
}

fn to_value(v: Option<&StoredValue>) -> Value {
    match v {
        Some(StoredValue::Number(x)) => Value::Number(*x),
        Some(StoredValue::Missing(reason)) => Value::Missing(
            [
                Missing::Empty,
                Missing::Secret,
                Missing::NotAvailable,
                Missing::NotSignificant,
                Missing::NotApplicable,
                Missing::Unmatched,
                Missing::DuplicateKey,
                Missing::Incomplete,
            ]
            .into_iter()
            .find(|m| m.label() == reason)
            .unwrap_or(Missing::NotAvailable),
        ),
        None => Value::Missing(Missing::Unmatched),
    }
}

fn change(t0: &Value, later: &Value, classes: Option<&Classification>) -> IndicatorChange {
    let (a, b) = (t0.as_f64(), later.as_f64());
    // Rounded to 1e-10: `9.9 − 10.1` reads −0.2, not −0.1999999999999993.
    let tidy = |x: f64| (x * 1e10).round() / 1e10;
    let change = a.zip(b).map(|(a, b)| tidy(b - a));
    let change_pct = a
        .zip(b)
        .filter(|(a, _)| *a != 0.0)
        .map(|(a, b)| tidy(100.0 * (b - a) / a));
    IndicatorChange {
        t0: t0.clone(),
        later: later.clone(),
        change,
        change_pct,
        class_t0: classes.zip(a).and_then(|(c, a)| c.class_of(a)),
        class_later: classes.zip(b).and_then(|(c, b)| c.class_of(b)),
    }
}

/// The T0 value of `indicator` over the merged communes `codes`: the sum for a count, the
/// ratio of summed counts for a rate with a ratio rule; `None` when not recomputable.
fn regrouped(layer: &LayerValues, indicator: &IndicatorValues, codes: &[String]) -> Option<f64> {
    let sum = |field: &str| -> Option<f64> {
        let ind = layer
            .indicators
            .iter()
            .find(|i| i.field.eq_ignore_ascii_case(field))?;
        codes
            .iter()
            .map(|c| ind.values.get(c).and_then(StoredValue::as_f64))
            .sum::<Option<f64>>()
    };
    if let Some(rule) = &indicator.ratio {
        let (num, den) = (sum(&rule.numerator)?, sum(&rule.denominator)?);
        return (den != 0.0).then(|| rule.scale * num / den);
    }
    (indicator.kind == IndicatorKind::Count)
        .then(|| sum(&indicator.field))
        .flatten()
}

/// Sets a later project against the T0 `t0`, on the T0 geography, with `correspondence` (old
/// code → new code, see [`correspondence_pairs`]) for the commune layer. See the module
/// documentation for the rules.
pub fn compare(
    t0: &Baseline,
    later: &Project,
    correspondence: Option<&Table>,
) -> Result<Comparison, BaselineError> {
    let pairs = correspondence
        .map(correspondence_pairs)
        .transpose()?
        .unwrap_or_default();
    let later_geo = geography_of(later);
    let later_communes: BTreeMap<&str, &CommuneEntry> = later_geo
        .communes
        .iter()
        .map(|c| (c.code.as_str(), c))
        .collect();
    let t0_codes: BTreeSet<&str> = t0
        .geography
        .communes
        .iter()
        .map(|c| c.code.as_str())
        .collect();

    // New code → the T0 codes it holds, per the correspondence table (identity otherwise).
    let target =
        |code: &str| -> String { pairs.get(code).cloned().unwrap_or_else(|| code.to_owned()) };
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for c in &t0.geography.communes {
        groups
            .entry(target(&c.code))
            .or_default()
            .push(c.code.clone());
    }

    let mut geography = GeographyChanges::default();
    for (new_code, old) in groups.iter().filter(|(_, old)| old.len() > 1) {
        geography.mergers.push(Merger {
            new_code: new_code.clone(),
            new_name: later_communes
                .get(new_code.as_str())
                .map(|c| c.name.clone())
                .unwrap_or_default(),
            old_codes: old.clone(),
        });
    }
    if !later_geo.communes.is_empty() {
        for c in &t0.geography.communes {
            if !later_communes.contains_key(c.code.as_str()) {
                geography.removed.push(RemovedCommune {
                    code: c.code.clone(),
                    name: c.name.clone(),
                    into: pairs.get(&c.code).filter(|n| **n != c.code).cloned(),
                });
            } else if let (Some(from), Some(to)) = (
                &c.epci,
                later_communes
                    .get(c.code.as_str())
                    .and_then(|l| l.epci.as_ref()),
            ) && from != to
            {
                geography.epci_moves.push(EpciMove {
                    code: c.code.clone(),
                    name: c.name.clone(),
                    from: from.clone(),
                    to: to.clone(),
                });
            }
        }
        for c in &later_geo.communes {
            if !t0_codes.contains(c.code.as_str()) {
                geography.added.push((c.code.clone(), c.name.clone()));
            }
        }
    }

    let mut notes = Vec::new();
    let mut layers = Vec::new();
    for lv in &t0.layers {
        let Some((spec, layer)) = later.zones.iter().find(|(s, _)| s.id == lv.layer) else {
            notes.push(format!(
                "couche « {} » absente du projet T+3 : non comparée",
                lv.layer
            ));
            continue;
        };
        let is_communes = t0.geography.communes_layer.as_deref() == Some(lv.layer.as_str());
        let codes = layer_codes(spec, layer);
        let row_of: BTreeMap<&str, usize> = codes
            .iter()
            .enumerate()
            .filter_map(|(r, c)| Some((c.as_deref()?, r)))
            .rev()
            .collect();
        let later_names = layer.attributes.field(&spec.name_field);
        let indicators: Vec<&IndicatorValues> = lv
            .indicators
            .iter()
            .filter(|i| {
                layer
                    .attributes
                    .field(&i.field)
                    .is_some_and(|f| f.kind == FieldKind::Number)
            })
            .collect();
        for i in &lv.indicators {
            if !indicators.iter().any(|k| k.field == i.field) {
                notes.push(format!(
                    "indicateur « {} » de la couche « {} » absent ou non numérique au T+3 : non comparé",
                    i.field, lv.layer
                ));
            }
        }
        let map = t0
            .map
            .as_ref()
            .filter(|m| m.zones == lv.layer && !m.breaks.is_empty());
        let classes = map.map(|m| Classification {
            method: m.classification.method,
            breaks: m.breaks.clone(),
            min: m.min,
            counts: Vec::new(),
            mean: 0.0,
            std_dev: 0.0,
        });
        let classes_for = |field: &str| {
            classes
                .as_ref()
                .filter(|_| map.is_some_and(|m| m.indicator == field))
        };
        let later_value = |field: &str, code: &str| -> Value {
            match row_of.get(code) {
                Some(&r) => layer
                    .attributes
                    .field(field)
                    .and_then(|f| f.values.get(r))
                    .map(ValueRef::to_value)
                    .unwrap_or(Value::Missing(Missing::Unmatched)),
                None => Value::Missing(Missing::Unmatched),
            }
        };
        let mut zones = Vec::new();
        for (code, name) in &lv.names {
            let new_code = if is_communes {
                target(code)
            } else {
                code.clone()
            };
            let merged = is_communes && groups.get(&new_code).is_some_and(|g| g.len() > 1);
            let present = row_of.contains_key(new_code.as_str());
            let note = if merged {
                Some(format!(
                    "fusionnée dans {new_code} : valeur T+3 non comparable commune par commune (voir la ligne de regroupement)"
                ))
            } else if !present {
                Some("absente au T+3 (fusionnée ou supprimée ?)".to_owned())
            } else if new_code != *code {
                Some(format!("code {new_code} au T+3"))
            } else {
                None
            };
            let values = indicators
                .iter()
                .map(|i| {
                    let t0v = to_value(i.values.get(code));
                    let later = if merged {
                        Value::Missing(Missing::NotApplicable)
                    } else {
                        later_value(&i.field, &new_code)
                    };
                    change(&t0v, &later, classes_for(&i.field))
                })
                .collect();
            zones.push(ZoneComparison {
                code: code.clone(),
                name: name.clone(),
                later_code: (new_code != *code || !present).then_some(new_code),
                note,
                values,
                regrouped: Vec::new(),
            });
        }
        if is_communes {
            for (new_code, old) in groups.iter().filter(|(_, g)| g.len() > 1) {
                let later_name = row_of
                    .get(new_code.as_str())
                    .and_then(|&r| later_names.and_then(|f| f.values.get(r)))
                    .map(|v| v.to_string())
                    .unwrap_or_default();
                let values = indicators
                    .iter()
                    .map(|i| {
                        let t0v = regrouped(lv, i, old)
                            .map(Value::Number)
                            .unwrap_or(Value::Missing(Missing::NotApplicable));
                        change(
                            &t0v,
                            &later_value(&i.field, new_code),
                            classes_for(&i.field),
                        )
                    })
                    .collect();
                zones.push(ZoneComparison {
                    code: new_code.clone(),
                    name: format!("{later_name} (regroupement T0 : {})", old.join(" + ")),
                    later_code: Some(new_code.clone()),
                    note: Some(format!(
                        "commune nouvelle : T0 = {} réunies (effectifs sommés, taux recalculés par leur règle de ratio ; autres indicateurs non recalculables)",
                        old.join(" + ")
                    )),
                    values,
                    regrouped: old.clone(),
                });
            }
        }
        layers.push(LayerComparison {
            layer: lv.layer.clone(),
            indicators: indicators.iter().map(|i| i.field.clone()).collect(),
            map_indicator: map.map(|m| m.indicator.clone()),
            zones,
        });
    }
    let underserved = t0.underserved.as_ref().and_then(|u| {
        let is_communes = t0.geography.communes_layer.as_deref() == Some(u.zones.as_str());
        let map = |code: &str| {
            if is_communes {
                target(code)
            } else {
                code.to_owned()
            }
        };
        underserved_changes(t0, u, later, &map)
            .map_err(|e| {
                notes.push(format!(
                    "zones sous-desservies : règle du T0 non appliquée au T+3 ({e})"
                ))
            })
            .ok()
    });
    Ok(Comparison {
        t0_frozen_on: t0.frozen_on.clone(),
        geography,
        layers,
        notes,
        underserved,
    })
}

/// Header of the T0 value of `field` in a comparison table.
pub fn header_t0(field: &str) -> String {
    format!("{field} T0")
}

/// Header of the later value of `field`.
pub fn header_later(field: &str) -> String {
    format!("{field} T+3")
}

/// Header of the change of `field` (`T+3 − T0`, points for a rate).
pub fn header_change(field: &str) -> String {
    format!("{field} écart T+3 − T0")
}

/// Header of the change of `field` in %.
pub fn header_change_pct(field: &str) -> String {
    format!("{field} évolution (%)")
}

/// Header of the T0 class of the map's indicator.
pub fn header_class_t0(field: &str) -> String {
    format!("{field} classe T0")
}

/// Header of the class of the later value with the T0 breaks.
pub fn header_class_later(field: &str) -> String {
    format!("{field} classe T+3 (bornes T0)")
}

impl LayerComparison {
    /// The comparison as a table, one row per zone, French headers: `code`, `nom`,
    /// `code T+3`, `remarque`, then for each indicator its T0 and T+3 values, the change and
    /// the change in %, and for the map's indicator the classes (1 = first) with the T0
    /// breaks (`au-delà de la dernière borne T0` for a later value above them).
    ///
    /// Statistical secrecy is applied here, because a change reveals its two ends: at commune
    /// level (`level`), for a field `guard` masks, a value under 11 is masked and so are the
    /// change and the change in % of that zone.
    pub fn table(&self, guard: &SecrecyGuard, level: ZoneLevel) -> Table {
        let text = |name: &str, values: Vec<Value>| Field {
            name: name.to_owned(),
            kind: FieldKind::Text,
            values: values.into(),
        };
        let opt_text = |s: &Option<String>| {
            s.clone()
                .map(Value::Text)
                .unwrap_or(Value::Missing(Missing::Empty))
        };
        let mut fields = vec![
            text(
                "code",
                self.zones
                    .iter()
                    .map(|z| Value::Text(z.code.clone()))
                    .collect(),
            ),
            text(
                "nom",
                self.zones
                    .iter()
                    .map(|z| Value::Text(z.name.clone()))
                    .collect(),
            ),
            text(
                "code T+3",
                self.zones.iter().map(|z| opt_text(&z.later_code)).collect(),
            ),
            text(
                "remarque",
                self.zones.iter().map(|z| opt_text(&z.note)).collect(),
            ),
        ];
        let number = |name: String, values: Vec<Value>| Field {
            name,
            kind: FieldKind::Number,
            values: values.into(),
        };
        let opt_number = |x: Option<f64>| {
            x.map(Value::Number)
                .unwrap_or(Value::Missing(Missing::NotApplicable))
        };
        for (k, field) in self.indicators.iter().enumerate() {
            let masks = level == ZoneLevel::Fine
                && !guard.lifted
                && guard
                    .status(field)
                    .is_some_and(|s| SensitiveField::masked(&s));
            let small = |v: &Value| masks && v.as_f64().is_some_and(|x| x < SECRECY_THRESHOLD);
            let secret = Value::Missing(Missing::Secret);
            let mut t0 = Vec::new();
            let mut later = Vec::new();
            let mut diff = Vec::new();
            let mut pct = Vec::new();
            let mut class_t0 = Vec::new();
            let mut class_later = Vec::new();
            for z in &self.zones {
                let Some(c) = z.values.get(k) else {
                    continue;
                };
                let hide = small(&c.t0) || small(&c.later);
                t0.push(if small(&c.t0) {
                    secret.clone()
                } else {
                    c.t0.clone()
                });
                later.push(if small(&c.later) {
                    secret.clone()
                } else {
                    c.later.clone()
                });
                diff.push(if hide {
                    secret.clone()
                } else {
                    opt_number(c.change)
                });
                pct.push(if hide {
                    secret.clone()
                } else {
                    opt_number(c.change_pct)
                });
                let class = |v: &Value, class: Option<usize>| match (v.as_f64(), class) {
                    (Some(_), Some(i)) => Value::Text((i + 1).to_string()),
                    (Some(_), None) => Value::Text("au-delà de la dernière borne T0".to_owned()),
                    (None, _) => Value::Missing(Missing::NotApplicable),
                };
                class_t0.push(class(&c.t0, c.class_t0));
                class_later.push(class(&c.later, c.class_later));
            }
            fields.push(number(header_t0(field), t0));
            fields.push(number(header_later(field), later));
            fields.push(number(header_change(field), diff));
            fields.push(number(header_change_pct(field), pct));
            if self.map_indicator.as_deref() == Some(field.as_str()) {
                fields.push(text(&header_class_t0(field), class_t0));
                fields.push(text(&header_class_later(field), class_later));
            }
        }
        let rows = self.zones.len() as u64;
        Table {
            fields,
            row_origin: (1..=rows).collect(),
        }
    }
}

impl Comparison {
    /// The geography changes as a table (`type`, `description`), French headers.
    pub fn geography_table(&self) -> Table {
        let lines = self.geography.lines();
        let kinds: Vec<Value> = lines
            .iter()
            .map(|l| {
                Value::Text(
                    l.split([':', '('])
                        .next()
                        .unwrap_or_default()
                        .trim()
                        .to_owned(),
                )
            })
            .collect();
        let n = lines.len() as u64;
        Table {
            fields: vec![
                Field {
                    name: "changement".to_owned(),
                    kind: FieldKind::Text,
                    values: Column::from(kinds),
                },
                Field {
                    name: "description".to_owned(),
                    kind: FieldKind::Text,
                    values: lines.into_iter().map(Value::Text).collect(),
                },
            ],
            row_origin: (1..=n).collect(),
        }
    }
}

/// The indicators of a baseline as a table (`couche`, `code`, `libellé`, `nature`,
/// `règle de calcul`), French headers: the legend of the comparison sheets, whose headers
/// carry the codes.
pub fn indicators_table(baseline: &Baseline) -> Table {
    let mut columns: [Vec<Value>; 5] = Default::default();
    for layer in &baseline.layers {
        for i in &layer.indicators {
            let text = |s: &str| {
                if s.is_empty() {
                    Value::Missing(Missing::Empty)
                } else {
                    Value::Text(s.to_owned())
                }
            };
            let rule = i.ratio.as_ref().map_or(String::new(), |r| {
                format!(
                    "{} = {} × {} / {}",
                    r.field,
                    crate::value::format_number(r.scale),
                    r.numerator,
                    r.denominator
                )
            });
            let [a, b, c, d, e] = &mut columns;
            a.push(text(&layer.layer));
            b.push(text(&i.field));
            c.push(text(&i.label));
            d.push(text(i.kind.label()));
            e.push(text(&rule));
        }
    }
    let n = columns[0].len() as u64;
    let names = ["couche", "code", "libellé", "nature", "règle de calcul"];
    Table {
        fields: names
            .iter()
            .zip(columns)
            .map(|(name, values)| Field {
                name: (*name).to_owned(),
                kind: FieldKind::Text,
                values: values.into(),
            })
            .collect(),
        row_origin: (1..=n).collect(),
    }
}
