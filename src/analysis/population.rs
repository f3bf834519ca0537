//! Population points of communes: where the population of a commune is taken to live when
//! distances are measured. CartoSol uses the commune polygon's **interior point** (geo's
//! [`InteriorPoint`]: the middle of the longest horizontal chord through the polygon near the
//! middle of its bounding box), which always lies inside the commune — a centroid can fall
//! outside a crescent-shaped commune or in a neighbour. A town hall position is not used: the
//! published ones are sometimes wrong (see [`crate::analysis::quality`]).

use crate::analysis::{AnalysisError, COMMUNE_CODE_NAMES, NAME_NAMES, code_text, find_name};
use crate::codes::{CodeKind, normalise};
use crate::model::ZoneLayer;
use crate::value::{Missing, Value};
use geo::{InteriorPoint, Point};
use std::collections::HashMap;

/// Field names holding a commune's EPCI SIREN.
pub const EPCI_CODE_NAMES: &[&str] = &["SIREN_EPCI", "EPCI", "CODE_EPCI", "siren_epci"];

/// The communes that carry the population: one row per commune of the layer.
#[derive(Clone, Debug, Default)]
pub struct PopulationBase {
    /// Normalised commune codes (`None` when the code is missing or malformed).
    pub codes: Vec<Option<String>>,
    /// Commune names (empty when the layer has no name field).
    pub names: Vec<String>,
    /// Population point of each commune (interior point), WGS84.
    pub points: Vec<Option<Point<f64>>>,
    /// Population of each commune (inhabitants); missing values keep their reason.
    pub population: Vec<Value>,
    /// EPCI SIREN of each commune, when the layer has such a field (`SIREN_EPCI`…).
    pub epci: Vec<Option<String>>,
}

impl PopulationBase {
    /// Builds the base from a commune layer: `code_field` (detected among `INSEE_COM`,
    /// `code_insee`, `CODGEO`… when `None`) and `population_field` (inhabitants).
    pub fn from_communes(
        communes: &ZoneLayer,
        code_field: Option<&str>,
        population_field: &str,
    ) -> Result<PopulationBase, AnalysisError> {
        const LAYER: &str = "la couche des communes";
        let table = &communes.attributes;
        let code_i = match code_field {
            Some(f) => crate::analysis::require_field(table, f, LAYER)?,
            None => {
                find_name(table, COMMUNE_CODE_NAMES).ok_or_else(|| AnalysisError::NoCodeField {
                    layer: LAYER.to_owned(),
                    option: "--communes-code".to_owned(),
                })?
            }
        };
        let population = crate::analysis::numeric_values(table, population_field, LAYER)?;
        let codes = table
            .fields
            .get(code_i)
            .map(|f| {
                f.values
                    .iter()
                    .map(|v| {
                        code_text(v)
                            .and_then(|t| normalise(&t, CodeKind::Commune).ok())
                            .map(|n| n.code)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let names = match find_name(table, NAME_NAMES).and_then(|i| table.fields.get(i)) {
            Some(f) => f.values.iter().map(|v| v.to_string()).collect(),
            None => vec![String::new(); communes.len()],
        };
        let epci = match find_name(table, EPCI_CODE_NAMES).and_then(|i| table.fields.get(i)) {
            Some(f) => f
                .values
                .iter()
                .map(|v| {
                    code_text(v)
                        .and_then(|t| normalise(&t, CodeKind::Epci).ok())
                        .map(|n| n.code)
                })
                .collect(),
            None => vec![None; communes.len()],
        };
        let points = crate::parallel::map_indexed(&communes.geometries, |_, g| g.interior_point());
        Ok(PopulationBase {
            codes,
            names,
            points,
            population,
            epci,
        })
    }

    /// The number of communes.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Whether the base has no commune.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Commune code → row.
    pub fn rows_by_code(&self) -> HashMap<String, usize> {
        self.codes
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.clone().map(|c| (c, i)))
            .collect()
    }

    /// The population of row `i`, or its missing reason.
    pub fn population_of(&self, i: usize) -> Result<f64, Missing> {
        match self.population.get(i) {
            Some(Value::Number(x)) => Ok(*x),
            Some(Value::Missing(m)) => Err(*m),
            _ => Err(Missing::NotAvailable),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Field, FieldKind, Table};
    use geo::{Contains, LineString, MultiPolygon, Polygon};

    #[test]
    fn interior_point_of_a_crescent_is_inside() {
        // A "U": its centroid (≈ (5, 3.6)) lies in the notch, outside the polygon.
        let u = Polygon::new(
            LineString::from(vec![
                (0.0, 0.0),
                (10.0, 0.0),
                (10.0, 10.0),
                (8.0, 10.0),
                (8.0, 2.0),
                (2.0, 2.0),
                (2.0, 10.0),
                (0.0, 10.0),
                (0.0, 0.0),
            ]),
            vec![],
        );
        let layer = ZoneLayer {
            geometries: vec![MultiPolygon::new(vec![u.clone()])],
            attributes: Table {
                fields: vec![
                    Field {
                        name: "INSEE_COM".into(),
                        kind: FieldKind::Text,
                        values: vec![Value::Text("1001".into())].into(),
                    },
                    Field {
                        name: "POPULATION".into(),
                        kind: FieldKind::Number,
                        values: vec![Value::Missing(Missing::Secret)].into(),
                    },
                ],
                row_origin: vec![1],
            },
            ..ZoneLayer::default()
        };
        let base = PopulationBase::from_communes(&layer, None, "POPULATION").unwrap();
        let p = base.points[0].unwrap();
        assert!(u.contains(&p), "{p:?}");
        assert_eq!(
            base.codes[0].as_deref(),
            Some("01001"),
            "leading zero restored"
        );
        assert_eq!(base.population_of(0), Err(Missing::Secret));
        assert!(matches!(
            PopulationBase::from_communes(&layer, None, "PMUN"),
            Err(AnalysisError::MissingField { field, .. }) if field == "PMUN"
        ));
    }
}
