//! The T0 baseline as a project file stores it: plain serialisable data, so that the project
//! format ([`crate::project`]) can hold it while the code that freezes and compares it
//! ([`crate::baseline`]) sits with the exports.
//!
//! A baseline is immutable once frozen: reopening the project shows it as stored, whatever
//! happened to the source files since.

use crate::aggregate::RatioRule;
use crate::dictionary::IndicatorKind;
use crate::style::spec::ClassificationSpec;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A frozen T0: the sources, the geography, every indicator value per zone, the map's classes,
/// the under-served rule and the services per zone and theme, as they were on `frozen_on`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// The day it was frozen, in France (Europe/Paris), `JJ/MM/AAAA`.
    pub frozen_on: String,
    /// The project's title then.
    pub title: String,
    /// The vintage of the data (« 2021 »), from the dictionary or the file names, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vintage: Option<String>,
    /// Every source file of the project, with its fingerprint.
    pub sources: Vec<SourceFingerprint>,
    /// The commune geography (COG year, commune → EPCI).
    pub geography: Geography,
    /// Every numeric indicator of every zone layer, per zone.
    pub layers: Vec<LayerValues>,
    /// The map's indicator and its classes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map: Option<MapBaseline>,
    /// The under-served rule in words, as set on the map (`Zones sous-dotées : …`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub underserved_note: Option<String>,
    /// The number of service points per zone and theme (point layers with a theme field).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<ServiceCounts>,
    /// The under-served rule with its thresholds and the figures it was applied to at T0, to
    /// apply the same rule to a later vintage (absent in baselines frozen before it existed,
    /// or when the project has no service points).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub underserved: Option<UnderservedBaseline>,
}

/// The under-served rule of the T0 and its figures: a zone is under-served when its need is at
/// least `need_min` and its in-person services of `theme` per 10,000 inhabitants are at most
/// `offer_max_per_10000` (the rule of the app's *Zones sous-desservies* and of
/// `cartosol underserved`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnderservedBaseline {
    /// The zone layer the rule applies to.
    pub zones: String,
    /// The need indicator (`TP60`).
    pub need: String,
    /// The theme of services counted as offer (`France Services`); `None`: every service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<String>,
    /// Need threshold, in the indicator's unit: under-served zones need at least this much.
    pub need_min: f64,
    /// Offer threshold, in-person services per 10,000 inhabitants: under-served zones have at
    /// most this.
    pub offer_max_per_10000: f64,
    /// The rule in French (`Zones sous-desservies : TP60 ≥ 14,3 et au plus …`).
    pub rule_text: String,
    /// The offer of each zone at T0, services per 10,000 inhabitants rounded to 1e-6 (zone
    /// code → value).
    pub offer_per_10000: BTreeMap<String, StoredValue>,
    /// The codes of the zones under-served at T0, highest need first.
    pub flagged: Vec<String>,
}

/// A source file as it was at T0.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFingerprint {
    /// The path as written in the project file (relative to it).
    pub path: PathBuf,
    /// The size in bytes.
    pub size_bytes: u64,
    /// The SHA-256 of the content, lower-case hexadecimal.
    pub sha256: String,
    /// Its vintage (« 2021 »), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vintage: Option<String>,
}

/// The commune geography at T0.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Geography {
    /// The year of the Code officiel géographique (COG) of the communes, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cog_year: Option<i32>,
    /// The `id` of the commune layer, if the project has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub communes_layer: Option<String>,
    /// Every commune, with its EPCI when the commune layer says.
    #[serde(default)]
    pub communes: Vec<CommuneEntry>,
}

/// One commune of the T0 geography.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommuneEntry {
    /// INSEE code.
    pub code: String,
    /// Name.
    pub name: String,
    /// SIREN of its EPCI, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epci: Option<String>,
}

/// A value as frozen: a number, or the reason it is missing (in French, as shown to users:
/// `secret statistique`, `non disponible`…). Stored in JSON as a number or a string.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum StoredValue {
    /// A number.
    Number(f64),
    /// A missing value and its reason.
    Missing(String),
}

impl StoredValue {
    /// The number, if this is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            StoredValue::Number(x) => Some(*x),
            StoredValue::Missing(_) => None,
        }
    }
}

/// The indicators of one zone layer at T0.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerValues {
    /// The `id` of the zone layer (`communes`).
    pub layer: String,
    /// Its code field (`INSEE_COM`).
    pub code_field: String,
    /// Zone code → name, for every zone of the layer.
    pub names: BTreeMap<String, String>,
    /// Every numeric indicator of the layer.
    pub indicators: Vec<IndicatorValues>,
}

/// One indicator of a zone layer at T0.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IndicatorValues {
    /// The field (`TP60`).
    pub field: String,
    /// Its label from the dictionary at T0 (« Taux de pauvreté au seuil de 60 % »), empty when
    /// the dictionary had none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
    /// Its kind (from the dictionary, or inferred from the code): a count can be summed over
    /// merged communes, a rate only through its ratio rule.
    #[serde(default)]
    pub kind: IndicatorKind,
    /// Its ratio rule, when the project declares one (`TP60 = 100 × NB_MEN_PAUV / NBMENFISC`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio: Option<RatioRule>,
    /// Zone code → value.
    pub values: BTreeMap<String, StoredValue>,
}

/// The map at T0: its indicator and the breaks of its classes, to classify later values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MapBaseline {
    /// The zone layer mapped.
    pub zones: String,
    /// The indicator mapped.
    pub indicator: String,
    /// The classification as set in the project.
    pub classification: ClassificationSpec,
    /// The class upper bounds computed at T0 (empty when the classes could not be computed).
    pub breaks: Vec<f64>,
    /// The smallest value classified at T0.
    pub min: f64,
}

/// Service points per zone and theme at T0.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceCounts {
    /// The zone layer.
    pub zones: String,
    /// The point layer.
    pub points: String,
    /// Column (`total`, then one per theme) → zone code → number of points.
    pub counts: BTreeMap<String, BTreeMap<String, f64>>,
}
