//! Spatial index of zones: an rstar tree of the bounding boxes (degrees) of every polygon part,
//! and a prepared even-odd point-in-polygon test whose edges are bucketed in horizontal bands,
//! so a test only looks at the few edges crossing the point's latitude. Multi-polygons and holes
//! are handled (the even-odd rule over all the rings of a polygon).
//!
//! **The point-in-zone rule of the whole tool.** Every analysis (coverage counts, quality
//! report, population points, under-served zones) decides which zone a point is in through
//! [`ZoneIndex`] and nothing else, so a point on a border shared by two zones belongs to
//! exactly one zone, the same in every output:
//!
//! - on a border that is not east–west, the point belongs to the zone **east** of it (the zone
//!   that contains the points just to its right);
//! - on an east–west border, to the zone **north** of it;
//! - so a corner shared by four zones goes to the north-east one.
//!
//! Precisely, the test is half-open: an edge counts when one of its ends is strictly north of
//! the point and the other is not, and when it crosses the point's latitude strictly east of
//! the point. A point on the outer boundary of the territory is therefore inside when the zone
//! lies east (or north) of it, and outside otherwise.

use crate::model::ZoneLayer;
use geo::{BoundingRect, Coord, Point, Polygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

type Entry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// One polygon part (exterior and holes) ready for fast point-in-polygon tests.
#[derive(Clone, Debug)]
struct PreparedPart {
    zone: usize,
    /// Bounding box `[min_x, min_y, max_x, max_y]`, degrees.
    bbox: [f64; 4],
    min_y: f64,
    band_height: f64,
    /// `offsets[b]..offsets[b + 1]` are the edges of band `b` in `edges`.
    offsets: Vec<u32>,
    /// Edges `[x0, y0, x1, y1]`, grouped by band (an edge spanning several bands is repeated).
    edges: Vec<[f64; 4]>,
}

impl PreparedPart {
    fn new(zone: usize, polygon: &Polygon<f64>) -> Option<PreparedPart> {
        let rect = polygon.bounding_rect()?;
        let all: Vec<[f64; 4]> = std::iter::once(polygon.exterior())
            .chain(polygon.interiors())
            .flat_map(|ring| {
                ring.0
                    .windows(2)
                    .filter_map(|w| match w {
                        [a, b] if a.y != b.y => Some([a.x, a.y, b.x, b.y]),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        let bands = (all.len() / 4).clamp(1, 256);
        let height = rect.height();
        let band_height = if height > 0.0 {
            height / bands as f64
        } else {
            1.0
        };
        let band_of = |y: f64| -> usize {
            (((y - rect.min().y) / band_height).floor().max(0.0) as usize).min(bands - 1)
        };
        let mut per_band: Vec<Vec<[f64; 4]>> = vec![Vec::new(); bands];
        for e in all {
            let (lo, hi) = (band_of(e[1].min(e[3])), band_of(e[1].max(e[3])));
            for list in per_band.iter_mut().take(hi + 1).skip(lo) {
                list.push(e);
            }
        }
        let mut offsets = Vec::with_capacity(bands + 1);
        let mut edges = Vec::new();
        offsets.push(0);
        for list in per_band {
            edges.extend(list);
            offsets.push(u32::try_from(edges.len()).ok()?);
        }
        Some(PreparedPart {
            zone,
            bbox: [rect.min().x, rect.min().y, rect.max().x, rect.max().y],
            min_y: rect.min().y,
            band_height,
            offsets,
            edges,
        })
    }
}

/// A prepared part stored in the index: its band offsets and edges live in the index's shared
/// arrays (one allocation each, for cache locality).
#[derive(Clone, Copy, Debug)]
struct PackedPart {
    zone: usize,
    min_y: f64,
    band_height: f64,
    bands: u32,
    /// Index of the part's first band offset in `ZoneIndex::offsets`.
    first: u32,
}

/// An index of the zones of a layer for point-in-polygon assignment.
#[derive(Clone, Debug)]
pub struct ZoneIndex {
    tree: RTree<Entry>,
    parts: Vec<PackedPart>,
    /// Band offsets of all parts (absolute indices in `edges`), `bands + 1` per part.
    offsets: Vec<u32>,
    /// Edges `[x0, y0, x1, y1]` of all parts, grouped by part then band.
    edges: Vec<[f64; 4]>,
    zone_count: usize,
}

impl ZoneIndex {
    /// Indexes every polygon part of every zone of `layer` (WGS84 degrees).
    pub fn new(layer: &ZoneLayer) -> ZoneIndex {
        let parts: Vec<PreparedPart> = crate::parallel::map_indexed(&layer.geometries, |z, mp| {
            mp.0.iter()
                .filter_map(|poly| PreparedPart::new(z, poly))
                .collect::<Vec<_>>()
        })
        .into_iter()
        .flatten()
        .collect();
        let entries = parts
            .iter()
            .enumerate()
            .map(|(k, part)| {
                let [x0, y0, x1, y1] = part.bbox;
                GeomWithData::new(Rectangle::from_corners([x0, y0], [x1, y1]), k)
            })
            .collect();
        let mut offsets = Vec::new();
        let mut edges = Vec::new();
        let mut packed = Vec::with_capacity(parts.len());
        for part in parts {
            let base = u32::try_from(edges.len()).unwrap_or(u32::MAX);
            packed.push(PackedPart {
                zone: part.zone,
                min_y: part.min_y,
                band_height: part.band_height,
                bands: u32::try_from(part.offsets.len().saturating_sub(1)).unwrap_or(0),
                first: u32::try_from(offsets.len()).unwrap_or(u32::MAX),
            });
            offsets.extend(part.offsets.iter().map(|o| base.saturating_add(*o)));
            edges.extend(part.edges);
        }
        ZoneIndex {
            tree: RTree::bulk_load(entries),
            parts: packed,
            offsets,
            edges,
            zone_count: layer.len(),
        }
    }

    /// Even-odd test of `p` against packed part `part`.
    fn part_contains(&self, part: &PackedPart, p: Coord<f64>) -> bool {
        if part.bands == 0 {
            return false;
        }
        let last = part.bands as usize - 1;
        let b = (((p.y - part.min_y) / part.band_height).floor().max(0.0) as usize).min(last);
        let at = part.first as usize + b;
        let (Some(&start), Some(&end)) = (self.offsets.get(at), self.offsets.get(at + 1)) else {
            return false;
        };
        let Some(edges) = self.edges.get(start as usize..end as usize) else {
            return false;
        };
        odd_crossings(edges, p)
    }

    /// The number of zones of the indexed layer.
    pub fn zone_count(&self) -> usize {
        self.zone_count
    }

    /// The zone (index in the layer) that contains `p` (WGS84), or `None` outside every zone.
    /// On a boundary shared by two zones, one of them is returned.
    pub fn zone_of(&self, p: Point<f64>) -> Option<usize> {
        let c = p.0;
        self.tree
            .locate_in_envelope_intersecting(&AABB::from_point([c.x, c.y]))
            .filter_map(|e| self.parts.get(e.data))
            .find(|part| self.part_contains(part, c))
            .map(|part| part.zone)
    }

    /// Assigns every position to its zone, in parallel; `None` for positions outside every zone
    /// and for rows without a position.
    ///
    /// Large inputs are processed in Morton (Z-curve) order, so that consecutive queries touch
    /// the same zones and stay in the CPU cache; the result is in input order.
    pub fn assign(&self, positions: &[Option<Point<f64>>]) -> Vec<Option<usize>> {
        if positions.len() < 50_000 {
            return crate::parallel::map_indexed(positions, |_, p| p.and_then(|p| self.zone_of(p)));
        }
        let present: Vec<(u32, Point<f64>)> = positions
            .iter()
            .enumerate()
            .filter_map(|(i, p)| Some((u32::try_from(i).ok()?, (*p)?)))
            .collect();
        let found = self.assign_in_morton_order(&present);
        let mut out = vec![None; positions.len()];
        for (i, z) in found {
            if let Some(slot) = out.get_mut(i as usize) {
                *slot = z;
            }
        }
        out
    }

    /// Assigns plain positions (see [`ZoneIndex::assign`]).
    pub fn assign_points(&self, positions: &[Point<f64>]) -> Vec<Option<usize>> {
        if positions.len() < 50_000 {
            return crate::parallel::map_indexed(positions, |_, p| self.zone_of(*p));
        }
        let present: Vec<(u32, Point<f64>)> = positions
            .iter()
            .enumerate()
            .filter_map(|(i, p)| Some((u32::try_from(i).ok()?, *p)))
            .collect();
        let found = self.assign_in_morton_order(&present);
        let mut out = vec![None; positions.len()];
        for (i, z) in found {
            if let Some(slot) = out.get_mut(i as usize) {
                *slot = z;
            }
        }
        out
    }

    fn assign_in_morton_order(&self, points: &[(u32, Point<f64>)]) -> Vec<(u32, Option<usize>)> {
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for (_, p) in points {
            x0 = x0.min(p.x());
            y0 = y0.min(p.y());
            x1 = x1.max(p.x());
            y1 = y1.max(p.y());
        }
        let (sx, sy) = (
            65_535.0 / (x1 - x0).max(1e-12),
            65_535.0 / (y1 - y0).max(1e-12),
        );
        let mut keyed: Vec<(u32, u32, Point<f64>)> = points
            .iter()
            .map(|&(i, p)| {
                let qx = ((p.x() - x0) * sx) as u32;
                let qy = ((p.y() - y0) * sy) as u32;
                (interleave(qx) | (interleave(qy) << 1), i, p)
            })
            .collect();
        keyed.sort_unstable_by_key(|k| k.0);
        crate::parallel::map_indexed(&keyed, |_, &(_, i, p)| (i, self.zone_of(p)))
    }
}

/// Spreads the 16 low bits of `v` to the even bits of the result (Morton code).
fn interleave(v: u32) -> u32 {
    let mut x = v & 0xFFFF;
    x = (x | (x << 8)) & 0x00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333;
    x = (x | (x << 1)) & 0x5555_5555;
    x
}

/// Even-odd rule over the edges `[x0, y0, x1, y1]` of one horizontal band: whether a ray from
/// `p` towards +x crosses them an odd number of times.
fn odd_crossings(edges: &[[f64; 4]], p: Coord<f64>) -> bool {
    let mut inside = false;
    for &[x0, y0, x1, y1] in edges {
        if (y0 > p.y) != (y1 > p.y) && p.x < (x1 - x0) * (p.y - y0) / (y1 - y0) + x0 {
            inside = !inside;
        }
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, MultiPolygon};

    fn ring(pts: &[(f64, f64)]) -> LineString<f64> {
        let mut r = LineString::from(pts.to_vec());
        r.close();
        r
    }

    fn layer() -> ZoneLayer {
        // Zone 0: a 10×10 square with a 4×4 hole (3..7), plus an island (20..22) — a
        // multipolygon. Zone 1: the square 3..7 filling the hole exactly (an enclave).
        let square = Polygon::new(
            ring(&[(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]),
            vec![ring(&[(3.0, 3.0), (3.0, 7.0), (7.0, 7.0), (7.0, 3.0)])],
        );
        let island = Polygon::new(ring(&[(20.0, 0.0), (22.0, 0.0), (22.0, 2.0)]), vec![]);
        let enclave = Polygon::new(
            ring(&[(3.0, 3.0), (7.0, 3.0), (7.0, 7.0), (3.0, 7.0)]),
            vec![],
        );
        ZoneLayer {
            geometries: vec![
                MultiPolygon::new(vec![square, island]),
                MultiPolygon::new(vec![enclave]),
            ],
            ..ZoneLayer::default()
        }
    }

    #[test]
    fn holes_islands_and_outside() {
        let idx = ZoneIndex::new(&layer());
        assert_eq!(idx.zone_of(Point::new(1.0, 1.0)), Some(0));
        assert_eq!(
            idx.zone_of(Point::new(5.0, 5.0)),
            Some(1),
            "in the hole: the enclave"
        );
        assert_eq!(idx.zone_of(Point::new(21.5, 0.5)), Some(0), "on the island");
        assert_eq!(
            idx.zone_of(Point::new(20.5, 1.5)),
            None,
            "above the island's diagonal"
        );
        assert_eq!(
            idx.zone_of(Point::new(15.0, 5.0)),
            None,
            "between the parts"
        );
        assert_eq!(idx.zone_of(Point::new(-1.0, 5.0)), None);
        assert_eq!(
            idx.assign(&[Some(Point::new(9.9, 9.9)), None, Some(Point::new(6.9, 3.1))]),
            vec![Some(0), None, Some(1)]
        );
    }

    #[test]
    fn morton_order_gives_results_in_input_order() {
        let idx = ZoneIndex::new(&layer());
        // 60,000 positions (above the Morton threshold) on a grid over both parts.
        let pts: Vec<Point<f64>> = (0..60_000)
            .map(|i| {
                Point::new(
                    -1.0 + (i % 300) as f64 * 0.08,
                    -1.0 + (i / 300) as f64 * 0.06,
                )
            })
            .collect();
        let one_by_one: Vec<Option<usize>> = pts.iter().map(|p| idx.zone_of(*p)).collect();
        assert_eq!(idx.assign_points(&pts), one_by_one);
        let opt: Vec<Option<Point<f64>>> = pts.iter().map(|p| Some(*p)).collect();
        assert_eq!(idx.assign(&opt), one_by_one);
        assert!(one_by_one.contains(&Some(1)) && one_by_one.contains(&None));
    }

    #[test]
    fn banded_test_agrees_with_geo_contains_on_a_star() {
        use geo::Contains;
        // A 40-point star: many edges, several bands. The shipped test (`part_contains` on the
        // packed part of the index) is compared with geo's `Contains` away from the edges.
        let pts: Vec<(f64, f64)> = (0..40)
            .map(|i| {
                let a = i as f64 / 40.0 * std::f64::consts::TAU;
                let r = if i % 2 == 0 { 10.0 } else { 4.0 };
                (r * a.cos(), r * a.sin())
            })
            .collect();
        let poly = Polygon::new(ring(&pts), vec![]);
        let idx = ZoneIndex::new(&ZoneLayer {
            geometries: vec![MultiPolygon::new(vec![poly.clone()])],
            ..ZoneLayer::default()
        });
        assert_eq!(idx.parts.len(), 1);
        let part = idx.parts[0];
        assert!(part.bands > 1, "several bands: {}", part.bands);
        let mut inside = 0;
        for i in 0..60 {
            for j in 0..60 {
                let p = Coord {
                    x: -10.5 + i as f64 * 0.35,
                    y: -10.5 + j as f64 * 0.35,
                };
                assert_eq!(idx.part_contains(&part, p), poly.contains(&p), "{p:?}");
                inside += usize::from(poly.contains(&p));
            }
        }
        assert!(inside > 100, "{inside} grid points inside the star");
    }

    #[test]
    fn a_point_on_a_shared_border_belongs_to_exactly_one_zone() {
        // Four unit squares: 0 = south-west, 1 = south-east, 2 = north-west, 3 = north-east.
        let square = |x: f64, y: f64| {
            MultiPolygon::new(vec![Polygon::new(
                ring(&[(x, y), (x + 1.0, y), (x + 1.0, y + 1.0), (x, y + 1.0)]),
                vec![],
            )])
        };
        let idx = ZoneIndex::new(&ZoneLayer {
            geometries: vec![
                square(0.0, 0.0),
                square(1.0, 0.0),
                square(0.0, 1.0),
                square(1.0, 1.0),
            ],
            ..ZoneLayer::default()
        });
        // On the north–south border between 0 and 1: the east zone.
        assert_eq!(idx.zone_of(Point::new(1.0, 0.5)), Some(1));
        // On the east–west border between 0 and 2: the north zone.
        assert_eq!(idx.zone_of(Point::new(0.5, 1.0)), Some(2));
        // The corner of the four: the north-east one.
        assert_eq!(idx.zone_of(Point::new(1.0, 1.0)), Some(3));
        // Each border point is in exactly one part of the index.
        for p in [(1.0, 0.5), (0.5, 1.0), (1.0, 1.0), (1.0, 1.5), (1.5, 1.0)] {
            let c = Coord { x: p.0, y: p.1 };
            let n = idx
                .parts
                .iter()
                .filter(|part| idx.part_contains(part, c))
                .count();
            assert_eq!(n, 1, "{p:?}");
        }
        // The outer boundary: inside on the west and south sides, outside on the east and
        // north sides.
        assert_eq!(idx.zone_of(Point::new(0.0, 0.5)), Some(0));
        assert_eq!(idx.zone_of(Point::new(0.5, 0.0)), Some(0));
        assert_eq!(idx.zone_of(Point::new(2.0, 0.5)), None);
        assert_eq!(idx.zone_of(Point::new(0.5, 2.0)), None);
    }
}
