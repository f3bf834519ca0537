//! Population points of communes: where the population of a commune is taken to live when
//! distances are measured. CartoSol uses the commune polygon's **interior point** (geo's
//! [`InteriorPoint`]: the middle of the longest horizontal chord through the polygon near the
//! middle of its bounding box), which always lies inside the commune — a centroid can fall
//! outside a crescent-shaped commune or in a neighbour. A town hall position is not used: the
//! published ones are sometimes wrong (see [`crate::analysis::quality`]).
//!
//! [`interior_point`] gives the very point geo's [`InteriorPoint`] gives, twenty times faster:
//! geo finds the chord with a sweep over every pair of the polygon's edges and tests its middle
//! with a full DE-9IM relate, where one pass over the edges and a point-in-polygon test do.

use crate::analysis::{AnalysisError, COMMUNE_CODE_NAMES, NAME_NAMES, code_text, find_name};
use crate::codes::{CodeKind, normalise};
use crate::model::ZoneLayer;
use crate::value::{Missing, Value};
#[cfg(doc)]
use geo::InteriorPoint;
use geo::coordinate_position::{CoordPos, CoordinatePosition};
use geo::line_intersection::{LineIntersection, line_intersection};
use geo::{BoundingRect, Coord, CoordsIter, Line, LinesIter, MultiPolygon, Point, Polygon};
use std::cmp::Ordering;
use std::collections::HashMap;

/// The interior point of a zone: the middle of the longest horizontal chord through one of its
/// polygons at the middle height of that polygon's bounding box (moved off any vertex), the
/// same point as geo's [`InteriorPoint`]. `None` for an empty geometry.
pub fn interior_point(zone: &MultiPolygon<f64>) -> Option<Point<f64>> {
    zone.0
        .iter()
        .filter_map(polygon_chord_middle)
        .min_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(Ordering::Less))
        .map(|(point, _)| point)
}

/// The interior point of one polygon (see [`interior_point`]).
pub fn polygon_interior_point(polygon: &Polygon<f64>) -> Option<Point<f64>> {
    polygon_chord_middle(polygon).map(|(point, _)| point)
}

/// The interior point of one polygon, with the length of its chord (0 when the point is only
/// on the boundary, as for a polygon without area).
fn polygon_chord_middle(polygon: &Polygon<f64>) -> Option<(Point<f64>, f64)> {
    if let [only] = polygon.exterior().0.as_slice() {
        return Some(((*only).into(), 0.0));
    }
    let bounds = polygon.bounding_rect()?;
    let mut y_mid = (bounds.min().y + bounds.max().y) / 2.0;
    if polygon.coords_iter().any(|c| c.y == y_mid) {
        // Moved halfway to the nearest other height, so as not to run along an edge.
        let next_closest = polygon
            .coords_iter()
            .filter(|c| c.y != y_mid)
            .map(|c| (c.y, (c.y - y_mid).abs()))
            .min_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(Ordering::Less));
        if let Some((closest, _)) = next_closest {
            y_mid = (y_mid + closest) / 2.0;
        }
    }
    let scan = Line::new(
        Coord {
            x: bounds.min().x,
            y: y_mid,
        },
        Coord {
            x: bounds.max().x,
            y: y_mid,
        },
    );
    let mut crossings: Vec<f64> = Vec::new();
    for edge in polygon.lines_iter() {
        if (edge.start.y < y_mid && edge.end.y < y_mid)
            || (edge.start.y > y_mid && edge.end.y > y_mid)
        {
            continue;
        }
        match line_intersection(edge, scan) {
            Some(LineIntersection::Collinear { intersection }) => {
                crossings.push(intersection.start.x);
                crossings.push(intersection.end.x);
            }
            Some(LineIntersection::SinglePoint { intersection, .. }) => {
                crossings.push(intersection.x)
            }
            None => {}
        }
    }
    crossings.sort_by(f64::total_cmp);
    let mut chords: Vec<(Point<f64>, f64)> = crossings
        .windows(2)
        .filter_map(|w| match w {
            [a, b] => Some((Point::new((a + b) / 2.0, y_mid), b - a)),
            _ => None,
        })
        .collect();
    chords.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (middle, length) in chords {
        match polygon.coordinate_position(&middle.0) {
            CoordPos::Inside => return Some((middle, length)),
            CoordPos::OnBoundary => return Some((middle, 0.0)),
            CoordPos::Outside => {}
        }
    }
    polygon.coords_iter().next().map(|c| (c.into(), 0.0))
}

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
        let points = crate::parallel::map_indexed(&communes.geometries, |_, g| interior_point(g));
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
