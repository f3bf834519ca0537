//! Quality report of a point layer against a zone layer: points outside the territory, points
//! whose declared commune code differs from the commune they fall in, rows without position.

use crate::analysis::assign::ZoneIndex;
use crate::analysis::{
    AnalysisError, COMMUNE_CODE_NAMES, NAME_NAMES, code_text, find_name, require_field,
    result_field, result_table, text_result_field,
};
use crate::codes::{CodeKind, normalise};
use crate::error::{Place, Problem};
use crate::model::{PointLayer, Table, ZoneLayer};
use crate::value::{Missing, Value, ValueRef};
use geo::{Coord, MultiPolygon, Point};
use std::collections::HashMap;
use std::fmt;

/// One suspicious point.
#[derive(Clone, Debug, PartialEq)]
pub struct QualityIssue {
    /// Row in the point layer.
    pub row: usize,
    /// Where it is in its source file (line or feature number).
    pub origin: u64,
    /// Its name (`nom`…), empty when the layer has none.
    pub label: String,
    /// The declared commune code (normalised), if any.
    pub declared: Option<String>,
    /// The code of the zone it falls in (`None`: outside every zone).
    pub found: Option<String>,
    /// Its position, WGS84.
    pub position: Point<f64>,
    /// Great-circle distance (metres) from the point to the boundary of its declared zone,
    /// when that zone is known.
    pub distance_to_declared_m: Option<f64>,
}

/// What the report found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QualityReport {
    /// The number of points checked (positioned rows).
    pub checked: usize,
    /// Points outside every zone of the territory.
    pub outside: Vec<QualityIssue>,
    /// Points inside the territory but in another zone than the declared one.
    pub wrong_zone: Vec<QualityIssue>,
    /// Rows without position (their source line or feature number).
    pub unpositioned: Vec<u64>,
    /// Positioned rows whose declared code matches no zone.
    pub unknown_code: Vec<QualityIssue>,
    /// Whether the source numbers are feature numbers (GeoJSON, JSON) rather than lines.
    pub numbered_by_feature: bool,
}

/// Checks `points` against `zones`. `point_code_field` and `zone_code_field` name the commune
/// codes (detected among `code_insee`, `code_commune`, `INSEE_COM`, `CODGEO`… when `None`); when
/// the points have no code field only the points outside the territory are reported.
pub fn quality_report(
    points: &PointLayer,
    zones: &ZoneLayer,
    point_code_field: Option<&str>,
    zone_code_field: Option<&str>,
) -> Result<QualityReport, AnalysisError> {
    let assigned = ZoneIndex::new(zones).assign(&points.positions);
    quality_report_assigned(points, zones, &assigned, point_code_field, zone_code_field)
}

/// [`quality_report`] when the zone of each point is already known (`assigned[i]`: the zone
/// containing point `i`, as [`ZoneIndex::assign`] gives it; an assignment of another length is
/// ignored and the points are placed again), so that a job that has placed the
/// points once (`coverage`) does not place them a second time.
pub fn quality_report_assigned(
    points: &PointLayer,
    zones: &ZoneLayer,
    assigned: &[Option<usize>],
    point_code_field: Option<&str>,
    zone_code_field: Option<&str>,
) -> Result<QualityReport, AnalysisError> {
    let zt = &zones.attributes;
    let zone_code_i = match zone_code_field {
        Some(f) => require_field(zt, f, "la couche des zones")?,
        None => find_name(zt, COMMUNE_CODE_NAMES).ok_or_else(|| AnalysisError::NoCodeField {
            layer: "la couche des zones".to_owned(),
            option: "--zone-code".to_owned(),
        })?,
    };
    let pt = &points.attributes;
    let point_code_i = match point_code_field {
        Some(f) => Some(require_field(pt, f, "la couche de points")?),
        None => find_name(pt, COMMUNE_CODE_NAMES),
    };
    let norm = |v: ValueRef<'_>| {
        code_text(v).map(|t| normalise(&t, CodeKind::Commune).map_or(t, |n| n.code))
    };
    let zone_codes: Vec<Option<String>> = zt
        .fields
        .get(zone_code_i)
        .map(|f| f.values.iter().map(norm).collect())
        .unwrap_or_default();
    // Declared code → first zone with that code.
    let mut zone_of_code: HashMap<&str, usize> = HashMap::with_capacity(zone_codes.len());
    for (z, code) in zone_codes.iter().enumerate() {
        if let Some(code) = code {
            zone_of_code.entry(code.as_str()).or_insert(z);
        }
    }
    let labels = find_name(pt, NAME_NAMES).and_then(|i| pt.fields.get(i));
    let mut report = QualityReport {
        numbered_by_feature: points.source.format.contains("JSON"),
        ..QualityReport::default()
    };
    // An assignment of another layer's points is not used: the points are placed here.
    let placed_here;
    let assigned = if assigned.len() == points.positions.len() {
        assigned
    } else {
        placed_here = ZoneIndex::new(zones).assign(&points.positions);
        &placed_here
    };
    for (row, (pos, zone)) in points.positions.iter().zip(assigned).enumerate() {
        let origin = pt.row_origin.get(row).copied().unwrap_or(row as u64 + 1);
        let Some(position) = *pos else {
            report.unpositioned.push(origin);
            continue;
        };
        report.checked += 1;
        let declared = point_code_i
            .and_then(|i| pt.fields.get(i))
            .and_then(|f| f.values.get(row))
            .and_then(norm);
        let declared_zone = declared
            .as_deref()
            .and_then(|d| zone_of_code.get(d).copied());
        let found = zone.and_then(|z| zone_codes.get(z).cloned().flatten());
        let issue = || QualityIssue {
            row,
            origin,
            label: labels
                .and_then(|f| f.values.get(row))
                .map(|v| v.to_string())
                .unwrap_or_default(),
            declared: declared.clone(),
            found: found.clone(),
            position,
            distance_to_declared_m: declared_zone
                .and_then(|z| zones.geometries.get(z))
                .map(|g| distance_to_multipolygon_m(position, g)),
        };
        match (zone, &declared, declared_zone) {
            (None, _, _) => report.outside.push(issue()),
            (Some(_), Some(_), None) => report.unknown_code.push(issue()),
            (Some(z), Some(_), Some(d)) if *z != d => report.wrong_zone.push(issue()),
            _ => {}
        }
    }
    Ok(report)
}

/// Kinds of issue, as written in the `anomalie` column of [`QualityReport::table`].
pub const OUTSIDE_LABEL: &str = "hors du territoire";
/// A point in another commune than the one it declares.
pub const WRONG_ZONE_LABEL: &str = "dans une autre commune que celle déclarée";
/// A point whose declared code matches no zone.
pub const UNKNOWN_CODE_LABEL: &str = "code de commune inconnu";

impl QualityReport {
    /// Every issue with its kind (outside, wrong zone, unknown code), in that order.
    pub fn issues(&self) -> impl Iterator<Item = (&'static str, &QualityIssue)> {
        self.outside
            .iter()
            .map(|i| (OUTSIDE_LABEL, i))
            .chain(self.wrong_zone.iter().map(|i| (WRONG_ZONE_LABEL, i)))
            .chain(self.unknown_code.iter().map(|i| (UNKNOWN_CODE_LABEL, i)))
    }

    /// The issues as a table (one row per suspicious point, in the order of
    /// [`QualityReport::issues`]): source number, name, kind, declared code, commune found
    /// (missing outside the territory), distance to the declared commune in km (missing when
    /// the declared commune is unknown). Codes are text.
    pub fn table(&self) -> Table {
        let issues: Vec<(&str, &QualityIssue)> = self.issues().collect();
        let code = |c: &Option<String>| match c {
            Some(c) => Value::Text(c.clone()),
            None => Value::Missing(Missing::NotApplicable),
        };
        let fields = vec![
            result_field(
                "n° dans la source",
                issues
                    .iter()
                    .map(|(_, i)| Value::Number(i.origin as f64))
                    .collect(),
            ),
            text_result_field("nom", issues.iter().map(|(_, i)| i.label.clone())),
            text_result_field("anomalie", issues.iter().map(|(k, _)| (*k).to_owned())),
            text_result_field(
                "code déclaré",
                issues
                    .iter()
                    .map(|(_, i)| i.declared.clone().unwrap_or_default()),
            ),
            crate::model::Field {
                name: "commune de la position".to_owned(),
                kind: crate::model::FieldKind::Text,
                values: issues.iter().map(|(_, i)| code(&i.found)).collect(),
            },
            result_field(
                "distance à la commune déclarée (km)",
                issues
                    .iter()
                    .map(|(_, i)| match i.distance_to_declared_m {
                        Some(d) if d.is_finite() => Value::Number(d / 1000.0),
                        _ => Value::Missing(Missing::NotApplicable),
                    })
                    .collect(),
            ),
        ];
        result_table(issues.len(), fields)
    }

    /// The positions of the rows of [`QualityReport::table`] (WGS84), for a point layer.
    pub fn positions(&self) -> Vec<Option<Point<f64>>> {
        self.issues().map(|(_, i)| Some(i.position)).collect()
    }
}

/// A point this far (metres) or more from its declared commune is listed as misplaced; closer
/// ones are the border cases of geocoding (an address on the limit of two communes) and are
/// only counted.
pub const FAR_FROM_DECLARED_M: f64 = 1000.0;

/// Rows listed one by one in [`QualityReport::problems`] before a summary line, per kind.
const LISTED_PROBLEMS: usize = 20;

impl QualityReport {
    /// The suspicious points as load problems, rows listed with their line (at most 20 per
    /// kind, then a count): what `inspect --zones`, the app at load and `coverage` show.
    /// `territory` names the zones (« les communes de l'Essonne »).
    pub fn problems(&self, territory: &str) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut list = |issues: &[&QualityIssue], what: &dyn Fn(&QualityIssue) -> String| {
            for i in issues.iter().take(LISTED_PROBLEMS) {
                let place = if self.numbered_by_feature {
                    Place::Feature(i.origin)
                } else {
                    Place::Line(i.origin)
                };
                out.push(Problem::at(place, what(i)));
            }
            if issues.len() > LISTED_PROBLEMS {
                out.push(Problem::whole(format!(
                    "{} autre(s) point(s) du même genre",
                    issues.len() - LISTED_PROBLEMS
                )));
            }
        };
        let outside: Vec<&QualityIssue> = self.outside.iter().collect();
        list(&outside, &|i| {
            let declared = match (&i.declared, i.distance_to_declared_m) {
                (Some(code), Some(d)) => {
                    format!(
                        " alors que sa commune déclarée {code} en fait partie (à {} km)",
                        format_km(d)
                    )
                }
                _ => String::new(),
            };
            format!(
                "point hors de {territory} ({:.5}, {:.5}){declared} : compté comme service \
                 proche mais dans aucune zone",
                i.position.x(),
                i.position.y()
            )
        });
        let (far, near): (Vec<&QualityIssue>, Vec<&QualityIssue>) =
            self.wrong_zone.iter().partition(|i| {
                i.distance_to_declared_m
                    .is_some_and(|d| d >= FAR_FROM_DECLARED_M)
            });
        list(&far, &|i| {
            format!(
                "point situé dans la commune {} à {} km de sa commune déclarée {} : position \
                 ou code à vérifier",
                i.found.as_deref().unwrap_or("?"),
                i.distance_to_declared_m.map_or_else(String::new, format_km),
                i.declared.as_deref().unwrap_or("?")
            )
        });
        if !near.is_empty() {
            out.push(Problem::whole(format!(
                "{} point(s) dans une commune voisine de leur commune déclarée, à moins de {} km \
                 (adresse en limite de commune) : non listés",
                near.len(),
                format_km(FAR_FROM_DECLARED_M)
            )));
        }
        out
    }
}

/// Great-circle distance (metres) from `p` to the nearest boundary point of `zone` (0 when `p`
/// lies on it). The nearest point is found in a local equirectangular plane centred on `p`
/// (longitudes scaled by cos(latitude)), then measured with the haversine metric.
pub fn distance_to_multipolygon_m(p: Point<f64>, zone: &MultiPolygon<f64>) -> f64 {
    let k = p.y().to_radians().cos();
    let to_plane = |c: Coord<f64>| ((c.x - p.x()) * k, c.y - p.y());
    let mut best: Option<(f64, Coord<f64>)> = None;
    for poly in &zone.0 {
        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            for w in ring.0.windows(2) {
                let [a, b] = w else { continue };
                let (ax, ay) = to_plane(*a);
                let (bx, by) = to_plane(*b);
                let (dx, dy) = (bx - ax, by - ay);
                let len2 = dx * dx + dy * dy;
                let t = if len2 > 0.0 {
                    (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let (cx, cy) = (ax + t * dx, ay + t * dy);
                let d2 = cx * cx + cy * cy;
                if best.is_none_or(|(b2, _)| d2 < b2) {
                    best = Some((
                        d2,
                        Coord {
                            x: a.x + t * (b.x - a.x),
                            y: a.y + t * (b.y - a.y),
                        },
                    ));
                }
            }
        }
    }
    best.map_or(f64::NAN, |(_, c)| crate::analysis::distance_m(p, Point(c)))
}

impl fmt::Display for QualityReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = |f: &mut fmt::Formatter<'_>, i: &QualityIssue| {
            writeln!(
                f,
                "  - n° {} « {} » (code déclaré {}, position {:.6}, {:.6}){}",
                i.origin,
                i.label,
                i.declared.as_deref().unwrap_or("absent"),
                i.position.x(),
                i.position.y(),
                match (&i.found, i.distance_to_declared_m) {
                    (Some(z), Some(d)) =>
                        format!(" : tombe dans {z}, à {} km de sa commune", format_km(d)),
                    (Some(z), None) => format!(" : tombe dans {z}"),
                    (None, Some(d)) => format!(" : à {} km de sa commune", format_km(d)),
                    (None, None) => String::new(),
                }
            )
        };
        writeln!(f, "{} point(s) contrôlé(s)", self.checked)?;
        writeln!(f, "{} point(s) hors du territoire", self.outside.len())?;
        for i in &self.outside {
            line(f, i)?;
        }
        writeln!(
            f,
            "{} point(s) dans une autre commune que celle déclarée",
            self.wrong_zone.len()
        )?;
        for i in &self.wrong_zone {
            line(f, i)?;
        }
        if !self.unknown_code.is_empty() {
            writeln!(
                f,
                "{} point(s) au code de commune inconnu",
                self.unknown_code.len()
            )?;
            for i in &self.unknown_code {
                line(f, i)?;
            }
        }
        writeln!(f, "{} ligne(s) sans coordonnées", self.unpositioned.len())
    }
}

fn format_km(m: f64) -> String {
    crate::value::format_number((m / 100.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, Polygon};

    #[test]
    fn distance_to_a_square_boundary() {
        // Square 2.0–2.1 °E × 48.0–48.1 °N; a point 0.01° of latitude north of its top edge
        // is 0.01 × π/180 × 6,371,008.8 ≈ 1,111.9 m away.
        let sq = MultiPolygon::new(vec![Polygon::new(
            LineString::from(vec![
                (2.0, 48.0),
                (2.1, 48.0),
                (2.1, 48.1),
                (2.0, 48.1),
                (2.0, 48.0),
            ]),
            vec![],
        )]);
        let d = distance_to_multipolygon_m(Point::new(2.05, 48.11), &sq);
        assert!((d - 1_111.9).abs() < 1.0, "{d}");
    }
}
