//! Proximity, service coverage and under-served zones: the analyses that set needs against the
//! offer, theme by theme. Every function here is used both by the app and by `cartosol coverage`.
//!
//! Positions are WGS84 lon/lat (`x` = lon, `y` = lat). Distances are great-circle distances on a
//! sphere of radius [`distance::EARTH_RADIUS_M`] (geo's [`geo::Haversine`] metric), in metres
//! unless a name says otherwise (`_km`).
//!
//! - [`distance`]: the metric (distance between two positions, metres);
//! - [`index`]: spatial index of service points (k nearest, within a radius);
//! - [`assign`]: spatial index of zones (point-in-polygon assignment): the one point-in-zone
//!   rule of the tool, used by every analysis (a point on a border shared by two zones belongs
//!   to exactly one of them, see [`assign`]);
//! - [`quality`]: points outside the territory or outside their declared commune;
//! - [`population`]: population points of communes (the base of distances and 2SFCA);
//! - [`eligibility`]: `zone_eligibilite` and `modes_accueil` of data·inclusion services;
//! - [`coverage`](mod@coverage): per-zone figures (counts, densities, distances, 2SFCA);
//! - [`fca`]: the two-step floating catchment area accessibility index;
//! - [`underserved`]: the explicit under-served rule;
//! - [`bivariate`]: the 3×3 need × offer classification and its key;
//! - [`profiles`], [`factors`], [`situations`]: the diagnostic's poverty profiles (location
//!   quotients, ranks), aggravating factors (gaps, robust z-scores) and sensitive local
//!   situations.
//!
//! Results leave as [`crate::model::Table`]s (numbers, codes as text, missing values with
//! their reason), written by the layer writers of `export::data` like any layer.

pub mod assign;
pub mod autocorrelation;
pub mod bivariate;
pub mod coverage;
pub mod distance;
pub mod eligibility;
pub mod factors;
pub mod fca;
pub mod grid_demand;
pub mod index;
pub mod population;
pub mod profiles;
pub mod proposals;
pub mod quality;
pub mod schemes;
pub mod siting;
pub mod situations;
pub mod smoothing;
pub mod typology;
pub mod underserved;
pub mod weights;

pub use assign::ZoneIndex;
pub use coverage::{CoverageOptions, CoverageResult, Gaps, OfferMeasure, ZoneCoverage, coverage};
pub use distance::{EARTH_RADIUS_M, distance_m};
pub use index::{Neighbour, ServiceIndex, nearest_by_theme};
pub use population::PopulationBase;
pub use quality::{QualityReport, quality_report};

use crate::model::Table;
use crate::value::{Value, ValueRef};

/// Why an analysis could not be run. Each variant names the field, layer or file at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnalysisError {
    /// A field named by the user (or required) is absent from a layer.
    #[error("champ « {field} » absent de {layer} (champs présents : {available})")]
    MissingField {
        /// The field asked for.
        field: String,
        /// The layer, as shown to the user (« la couche des zones »…).
        layer: String,
        /// The fields present, listed for the user.
        available: String,
    },
    /// No code field could be found in a layer.
    #[error("aucun champ de code trouvé dans {layer} : précisez-le ({option})")]
    NoCodeField {
        /// The layer, as shown to the user.
        layer: String,
        /// The option that names it.
        option: String,
    },
    /// A field that must hold numbers holds text.
    #[error("le champ « {field} » de {layer} doit contenir des nombres (valeur « {example} »)")]
    NotNumeric {
        /// The field at fault.
        field: String,
        /// The layer, as shown to the user.
        layer: String,
        /// A value that is not a number.
        example: String,
    },
    /// A parameter is out of its domain.
    #[error("paramètre « {name} » invalide : {message}")]
    InvalidParameter {
        /// The parameter (option) name.
        name: String,
        /// What is wrong, in French.
        message: String,
    },
    /// A layer has nothing to work on.
    #[error("{layer} est vide")]
    EmptyLayer {
        /// The layer, as shown to the user.
        layer: String,
    },
}

/// The field names of a table, listed for an error message.
pub(crate) fn available(table: &Table) -> String {
    table
        .field_names()
        .map(|n| format!("« {n} »"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The index of field `name` in `table`, or an error naming the field and the layer.
pub(crate) fn require_field(
    table: &Table,
    name: &str,
    layer: &str,
) -> Result<usize, AnalysisError> {
    table
        .field_index(name)
        .ok_or_else(|| AnalysisError::MissingField {
            field: name.to_owned(),
            layer: layer.to_owned(),
            available: available(table),
        })
}

/// The values of a numeric field: numbers stay numbers, missing values keep their reason;
/// a text value that is not a missing marker is an error naming the field.
pub(crate) fn numeric_values(
    table: &Table,
    name: &str,
    layer: &str,
) -> Result<Vec<Value>, AnalysisError> {
    let i = require_field(table, name, layer)?;
    let field = table
        .fields
        .get(i)
        .ok_or_else(|| AnalysisError::MissingField {
            field: name.to_owned(),
            layer: layer.to_owned(),
            available: available(table),
        })?;
    field
        .values
        .iter()
        .map(|v| match v {
            ValueRef::Text(t) => match crate::value::parse_number(t) {
                Some(x) => Ok(Value::Number(x)),
                None => match crate::value::Missing::from_marker(t) {
                    Some(m) => Ok(Value::Missing(m)),
                    None => Err(AnalysisError::NotNumeric {
                        field: field.name.clone(),
                        layer: layer.to_owned(),
                        example: t.to_owned(),
                    }),
                },
            },
            other => Ok(other.to_value()),
        })
        .collect()
}

/// The text of a code cell (numbers written without decimals), `None` when missing.
pub(crate) fn code_text<'a>(v: impl Into<ValueRef<'a>>) -> Option<String> {
    match v.into() {
        ValueRef::Text(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        ValueRef::Number(x) if x.fract() == 0.0 => Some(format!("{x:.0}")),
        ValueRef::Number(x) => Some(x.to_string()),
        _ => None,
    }
}

/// Field names that hold a commune code, in order of preference.
pub const COMMUNE_CODE_NAMES: &[&str] = &[
    "INSEE_COM",
    "code_insee",
    "code_commune",
    "CODGEO",
    "DEPCOM",
    "insee_com",
    "code_commune_insee",
    "COM",
];

/// Field names that hold a zone code of any level, in order of preference.
pub const ZONE_CODE_NAMES: &[&str] = &[
    "INSEE_COM",
    "CODE_SIREN",
    "SIREN_EPCI",
    "SIREN",
    "CODGEO",
    "code_insee",
    "code_commune",
    "code",
    "CODE",
];

/// Field names that hold a zone or point name.
pub const NAME_NAMES: &[&str] = &["NOM", "nom", "LIBGEO", "libelle", "name", "NOM_COM"];

/// The first field among `candidates` present in `table`.
pub(crate) fn find_name(table: &Table, candidates: &[&str]) -> Option<usize> {
    candidates.iter().find_map(|c| table.field_index(c))
}

/// A result column: `Number` when every present value is a number, `Text` otherwise (codes,
/// labels). Missing values keep their reason.
pub(crate) fn result_field(name: impl Into<String>, values: Vec<Value>) -> crate::model::Field {
    let kind = if values
        .iter()
        .all(|v| matches!(v, Value::Number(_) | Value::Missing(_)))
    {
        crate::model::FieldKind::Number
    } else {
        crate::model::FieldKind::Text
    };
    crate::model::Field {
        name: name.into(),
        kind,
        values: values.into(),
    }
}

/// A text column (codes, names): empty texts become missing values (`vide`).
pub(crate) fn text_result_field(
    name: impl Into<String>,
    values: impl IntoIterator<Item = String>,
) -> crate::model::Field {
    crate::model::Field {
        name: name.into(),
        kind: crate::model::FieldKind::Text,
        values: values
            .into_iter()
            .map(|t| {
                if t.is_empty() {
                    Value::Missing(crate::value::Missing::Empty)
                } else {
                    Value::Text(t)
                }
            })
            .collect(),
    }
}

/// A result table from its columns (all of `rows` values), rows numbered from 1.
/// Appends one row of values to result columns built row by row; an empty text becomes a
/// missing value (`vide`), as in [`text_result_field`].
pub(crate) fn push_row<const N: usize>(cols: &mut [Vec<Value>], row: [Value; N]) {
    for (c, v) in cols.iter_mut().zip(row) {
        c.push(match v {
            Value::Text(t) if t.is_empty() => Value::Missing(crate::value::Missing::Empty),
            other => other,
        });
    }
}

/// A result table from columns built with [`push_row`] and their French headers.
pub(crate) fn columns_table(names: &[&str], cols: Vec<Vec<Value>>) -> Table {
    let rows = cols.first().map_or(0, Vec::len);
    let fields = names
        .iter()
        .zip(cols)
        .map(|(n, v)| result_field(*n, v))
        .collect();
    result_table(rows, fields)
}

/// A result table: `fields` of `rows` values each, rows numbered from 1.
pub(crate) fn result_table(rows: usize, fields: Vec<crate::model::Field>) -> Table {
    Table {
        fields,
        row_origin: (1..=rows as u64).collect(),
    }
}
