//! Validity of zone outlines: rings that cross themselves (the « bowtie » of a hand-digitised
//! or badly simplified polygon) are counted and listed at load, and repaired only when the user
//! asks for it (`--reparer-geometries`, the layer's « réparer les géométries » setting).
//!
//! A ring that crosses itself has no well-defined inside: the area, the point-in-polygon test
//! of a service and the fill of the map each pick their own reading. The repair rebuilds the
//! outline with the even-odd rule (each lobe of a bowtie becomes its own polygon, holes stay
//! holes) through `geo`'s boolean operations, as `ST_MakeValid` or `buffer(0)` would.
//!
//! `geo`'s own `Validation` compares every pair of segments of a ring, which is quadratic; a
//! commune of ADMIN EXPRESS has rings of thousands of positions and France has 35,000 of them,
//! so crossings are found here through an R-tree of the ring's segments.

use crate::error::Problem;
use crate::model::ZoneLayer;
use geo::line_intersection::{LineIntersection, line_intersection};
use geo::{BooleanOps, Coord, Line, MultiPolygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

/// Rings with at most this many segments are tested pair by pair (faster than a tree).
const BRUTE_FORCE_SEGMENTS: usize = 48;

/// Whether two segments of a ring cross: a proper crossing (inside both segments) or an overlap
/// along a line. Segments that only touch at an end are not a crossing here (a ring may touch
/// itself at a vertex in real data, e.g. an « inverted hole »).
fn segments_cross(a: Line, b: Line) -> bool {
    match line_intersection(a, b) {
        Some(LineIntersection::SinglePoint { is_proper, .. }) => is_proper,
        Some(LineIntersection::Collinear { intersection }) => {
            intersection.start != intersection.end
        }
        None => false,
    }
}

/// Whether the closed ring `ring` (first position repeated at the end) crosses itself.
pub fn ring_crosses_itself(ring: &[Coord]) -> bool {
    let lines: Vec<Line> = ring
        .windows(2)
        .filter_map(|w| match w {
            [a, b] if a != b => Some(Line::new(*a, *b)),
            _ => None,
        })
        .collect();
    let n = lines.len();
    if n < 4 {
        return false;
    }
    // Adjacent along the ring (the last segment is adjacent to the first).
    let adjacent = |i: usize, j: usize| i.abs_diff(j) == 1 || i.abs_diff(j) == n - 1;
    if n <= BRUTE_FORCE_SEGMENTS {
        for i in 0..n {
            for j in i + 2..n {
                if !adjacent(i, j)
                    && let (Some(a), Some(b)) = (lines.get(i), lines.get(j))
                    && segments_cross(*a, *b)
                {
                    return true;
                }
            }
        }
        return false;
    }
    let boxes: Vec<GeomWithData<Rectangle<[f64; 2]>, usize>> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            GeomWithData::new(
                Rectangle::from_corners(
                    [l.start.x.min(l.end.x), l.start.y.min(l.end.y)],
                    [l.start.x.max(l.end.x), l.start.y.max(l.end.y)],
                ),
                i,
            )
        })
        .collect();
    let tree = RTree::bulk_load(boxes);
    for (i, a) in lines.iter().enumerate() {
        let envelope = AABB::from_corners(
            [a.start.x.min(a.end.x), a.start.y.min(a.end.y)],
            [a.start.x.max(a.end.x), a.start.y.max(a.end.y)],
        );
        for candidate in tree.locate_in_envelope_intersecting(&envelope) {
            let j = candidate.data;
            if j > i
                && !adjacent(i, j)
                && let Some(b) = lines.get(j)
                && segments_cross(*a, *b)
            {
                return true;
            }
        }
    }
    false
}

/// Whether any ring of the multipolygon crosses itself.
pub fn crosses_itself(geometry: &MultiPolygon) -> bool {
    geometry.0.iter().any(|p| {
        std::iter::once(p.exterior())
            .chain(p.interiors())
            .any(|r| ring_crosses_itself(&r.0))
    })
}

/// The outline rebuilt without crossings (even-odd rule: each lobe of a bowtie becomes a
/// polygon, a hole stays a hole).
pub fn repaired(geometry: &MultiPolygon) -> MultiPolygon {
    geometry.union(&MultiPolygon::new(Vec::new()))
}

/// The words every problem of this check holds (to find or replace it).
const CROSSING_MARK: &str = "au contour qui se recoupe";

/// Whether the layer's problems list outlines that cross themselves and were kept as read
/// (what a « Réparer les géométries » action would change).
pub fn has_unrepaired_crossings(layer: &ZoneLayer) -> bool {
    layer
        .source
        .problems
        .iter()
        .any(|p| p.message.contains(CROSSING_MARK) && p.message.contains("gardée"))
}

/// Finds the features whose outline crosses itself, repairs them when `repair` is set, and
/// lists them in the layer's problems either way (never a silent change, never a silent keep).
/// Run again (the user asks for the repair after the load), its new line replaces the old one.
pub fn check_layer(layer: &mut ZoneLayer, repair: bool) {
    layer
        .source
        .problems
        .retain(|p| !p.message.contains(CROSSING_MARK));
    let flags: Vec<bool> =
        crate::parallel::map_indexed(&layer.geometries, |_, g| crosses_itself(g));
    let invalid: Vec<usize> = flags
        .iter()
        .enumerate()
        .filter(|(_, bad)| **bad)
        .map(|(i, _)| i)
        .collect();
    if invalid.is_empty() {
        return;
    }
    let numbers: Vec<usize> = invalid.iter().map(|i| i + 1).collect();
    let listed = super::shp::abbreviate(&numbers);
    if repair {
        for i in &invalid {
            if let Some(g) = layer.geometries.get_mut(*i) {
                *g = repaired(g);
            }
        }
        layer.source.problems.push(Problem::whole(format!(
            "{} entité(s) {CROSSING_MARK} (polygone « papillon ») : réparée(s) à la \
             demande, chaque boucle devenant un polygone (n° {listed})",
            invalid.len()
        )));
    } else {
        layer.source.problems.push(Problem::whole(format!(
            "{} entité(s) {CROSSING_MARK} (polygone « papillon ») : gardée(s) telle(s) \
             quelle(s), surface et appartenance des points incertaines (n° {listed}) ; \
             réparez-les avec --reparer-geometries ou l'option « Réparer les géométries » de \
             la couche",
            invalid.len()
        )));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, LineString, Polygon};

    fn ring(points: &[(f64, f64)]) -> Vec<Coord> {
        let mut ls = LineString::from(points.to_vec());
        ls.close();
        ls.0
    }

    #[test]
    fn a_bowtie_crosses_itself_a_square_does_not() {
        let bowtie = ring(&[(0.0, 0.0), (2.0, 2.0), (2.0, 0.0), (0.0, 2.0)]);
        assert!(ring_crosses_itself(&bowtie));
        let square = ring(&[(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0)]);
        assert!(!ring_crosses_itself(&square));
    }

    #[test]
    fn a_long_ring_uses_the_tree_and_finds_the_same_crossing() {
        // A circle of 400 positions with two of them swapped far apart: the ring crosses.
        let mut pts: Vec<(f64, f64)> = (0..400)
            .map(|k| {
                let t = k as f64 / 400.0 * std::f64::consts::TAU;
                (t.cos(), t.sin())
            })
            .collect();
        assert!(!ring_crosses_itself(&ring(&pts)));
        pts.swap(10, 200);
        assert!(ring_crosses_itself(&ring(&pts)));
    }

    #[test]
    fn touching_at_a_vertex_is_not_a_crossing() {
        // Two triangles sharing the vertex (1, 1), drawn as one ring.
        let figure = ring(&[
            (0.0, 0.0),
            (1.0, 1.0),
            (2.0, 0.0),
            (2.0, 2.0),
            (1.0, 1.0),
            (0.0, 2.0),
        ]);
        assert!(!ring_crosses_itself(&figure));
    }

    #[test]
    fn the_repair_splits_a_bowtie_into_its_two_lobes() {
        let bowtie = MultiPolygon::new(vec![Polygon::new(
            LineString::from(ring(&[(0.0, 0.0), (2.0, 2.0), (2.0, 0.0), (0.0, 2.0)])),
            vec![],
        )]);
        let fixed = repaired(&bowtie);
        assert_eq!(fixed.0.len(), 2);
        // Two triangles of base 2 and height 1: area 1 each (by hand).
        assert!((fixed.unsigned_area() - 2.0).abs() < 1e-9);
        assert!(!crosses_itself(&fixed));
    }

    #[test]
    fn the_repair_keeps_holes() {
        let outer = ring(&[(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]);
        let hole = ring(&[(4.0, 4.0), (6.0, 4.0), (6.0, 6.0), (4.0, 6.0)]);
        let square = MultiPolygon::new(vec![Polygon::new(
            LineString::from(outer),
            vec![LineString::from(hole)],
        )]);
        let fixed = repaired(&square);
        assert!((fixed.unsigned_area() - 96.0).abs() < 1e-9);
    }
}
