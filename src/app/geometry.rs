//! Zone geometry prepared once for drawing: normalised Web-Mercator coordinates, simplified
//! levels of detail with their earcut triangles (egui fills only convex paths), outlines, label
//! points, and a bounding-box index (rstar) for hit tests in lon/lat.

use crate::parallel::map_indexed;
use crate::zones::ring_contains;
use geo::{
    Area, BoundingRect, Coord, LineString, MultiPolygon, Polygon, Simplify, TriangulateEarcut,
};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

/// Map zooms up to which each simplified level is used (simplified to one pixel at that zoom,
/// so to less than a pixel below it); the last level is the full geometry.
pub const LOD_ZOOMS: [f64; 9] = [5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0];

/// Local coordinates are `(mercator - origin) × LOCAL_SCALE`, kept in `f32`.
pub const LOCAL_SCALE: f64 = 16_777_216.0; // 2^24

/// Normalised Web-Mercator (0–1 over the world, y down) of a WGS84 position, as walkers uses
/// (the metres of EPSG:3857 are `export::projection::web_mercator_m`).
pub fn mercator_unit(lon: f64, lat: f64) -> [f64; 2] {
    let lat = lat.clamp(-85.051_128, 85.051_128);
    let x = (lon + 180.0) / 360.0;
    let y = (1.0 - lat.to_radians().tan().asinh() / std::f64::consts::PI) / 2.0;
    [x, y]
}

/// Inverse of [`mercator_unit`].
pub fn lon_lat_of(m: [f64; 2]) -> (f64, f64) {
    let lon = m[0] * 360.0 - 180.0;
    let lat = ((1.0 - 2.0 * m[1]) * std::f64::consts::PI)
        .sinh()
        .atan()
        .to_degrees();
    (lon, lat)
}

/// One level of detail of one zone, in local `f32` coordinates.
#[derive(Clone, Debug, Default)]
pub struct Level {
    /// Triangle vertices.
    pub vertices: Vec<[f32; 2]>,
    /// Triangle indices into `vertices`.
    pub indices: Vec<u32>,
    /// Outline vertices, ring after ring.
    pub ring_vertices: Vec<[f32; 2]>,
    /// Each ring's range in `ring_vertices`.
    pub rings: Vec<(u32, u32)>,
}

/// A zone ready to draw.
///
/// Its levels of detail are made the first time they are drawn (by the frame that needs them,
/// on the cores that build the map's meshes), not when the layer is loaded: opening France
/// draws its first frame from the one coarse level the whole country needs, and the finer
/// levels, the full detail above all, are made zone by zone as the user zooms in.
#[derive(Clone, Debug, Default)]
pub struct ZoneShape {
    /// Mercator origin of the local coordinates (the zone's min corner).
    pub origin: [f64; 2],
    /// Mercator bounding box: min x, min y, max x, max y.
    pub bbox: [f64; 4],
    /// The zone's polygons in Mercator, from which the levels are made.
    polygons: Vec<Polygon<f64>>,
    /// Levels of detail: one per [`LOD_ZOOMS`] entry, then the full geometry (none for an
    /// empty zone); each made at its first use.
    levels: Vec<std::sync::OnceLock<Level>>,
    /// Where the label goes (a point inside the largest polygon), in Mercator.
    pub label: [f64; 2],
    /// Area of the zone in Mercator units squared (to decide which labels fit).
    pub area: f64,
}

impl ZoneShape {
    /// Level of detail `index` (0 for [`LOD_ZOOMS`]`[0]` … `LOD_ZOOMS.len()` for the full
    /// geometry), made now if it is the first use; `None` past the last or for an empty zone.
    pub fn level(&self, index: usize) -> Option<&Level> {
        let cell = self.levels.get(index)?;
        Some(cell.get_or_init(|| level(&self.polygons, self.origin, level_epsilon(index))))
    }

    /// The full geometry (the last level).
    pub fn full(&self) -> Option<&Level> {
        self.level(LOD_ZOOMS.len())
    }
}

/// The simplification tolerance of level `index`: one pixel at the level's zoom (the level is
/// used below that zoom: less than a pixel); `None` (no simplification) for the full geometry.
fn level_epsilon(index: usize) -> Option<f64> {
    LOD_ZOOMS.get(index).map(|z| 1.0 / (256.0 * 2f64.powf(*z)))
}

/// Zones per [`ZoneChunk`].
pub const CHUNK_ZONES: usize = 64;

/// Consecutive zones of a layer, the unit in which the map builds, keeps and culls its fill
/// meshes (consecutive communes are mostly neighbours: their box is small).
#[derive(Clone, Debug, PartialEq)]
pub struct ZoneChunk {
    /// The zones, in the layer's row order.
    pub zones: std::ops::Range<usize>,
    /// Mercator box of those zones (inverted when none has a geometry).
    pub bbox: [f64; 4],
}

/// Every zone of a layer, prepared, with its lon/lat index for hit tests.
pub struct ZoneGeometry {
    /// One prepared shape per zone, in the layer's row order.
    pub shapes: Vec<ZoneShape>,
    /// The zones in chunks of [`CHUNK_ZONES`], with their boxes.
    chunks: Vec<ZoneChunk>,
    index: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
    /// The WGS84 geometry, for exact hit tests.
    wgs84: Vec<MultiPolygon<f64>>,
}

impl ZoneGeometry {
    /// Prepares all zones (in parallel).
    pub fn prepare(geometries: &[MultiPolygon<f64>]) -> ZoneGeometry {
        let shapes = map_indexed(geometries, |_, g| prepare_zone(g));
        let boxes = geometries
            .iter()
            .enumerate()
            .filter_map(|(i, g)| {
                let r = g.bounding_rect()?;
                Some(GeomWithData::new(
                    Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    i,
                ))
            })
            .collect();
        ZoneGeometry {
            chunks: chunks_of(&shapes),
            shapes,
            index: RTree::bulk_load(boxes),
            wgs84: geometries.to_vec(),
        }
    }

    /// The zone containing the WGS84 position, if any (holes excluded).
    pub fn zone_at(&self, lon: f64, lat: f64) -> Option<usize> {
        let p = Coord { x: lon, y: lat };
        self.index
            .locate_all_at_point(&[lon, lat])
            .map(|g| g.data)
            .find(|&i| {
                self.wgs84
                    .get(i)
                    .is_some_and(|mp| multipolygon_contains(mp, p))
            })
    }

    /// Mercator bounding box of a set of zones.
    pub fn bbox_of(&self, zones: impl Iterator<Item = usize>) -> Option<[f64; 4]> {
        zones
            .filter_map(|i| self.shapes.get(i))
            .filter(|s| s.bbox[0] <= s.bbox[2])
            .map(|s| s.bbox)
            .reduce(|a, b| {
                [
                    a[0].min(b[0]),
                    a[1].min(b[1]),
                    a[2].max(b[2]),
                    a[3].max(b[3]),
                ]
            })
    }

    /// The zones in chunks of [`CHUNK_ZONES`] consecutive zones, with their Mercator boxes.
    pub fn chunks(&self) -> &[ZoneChunk] {
        &self.chunks
    }

    /// Number of zones.
    pub fn len(&self) -> usize {
        self.shapes.len()
    }

    /// Whether there is no zone.
    pub fn is_empty(&self) -> bool {
        self.shapes.is_empty()
    }

    /// Index of candidates whose lon/lat box intersects `[min_lon, min_lat, max_lon, max_lat]`.
    pub fn candidates(&self, b: [f64; 4]) -> impl Iterator<Item = usize> + '_ {
        self.index
            .locate_in_envelope_intersecting(&AABB::from_corners([b[0], b[1]], [b[2], b[3]]))
            .map(|g| g.data)
    }
}

/// The zones in chunks of [`CHUNK_ZONES`], each with the union of its zones' boxes.
fn chunks_of(shapes: &[ZoneShape]) -> Vec<ZoneChunk> {
    shapes
        .chunks(CHUNK_ZONES)
        .enumerate()
        .map(|(c, part)| {
            let start = c * CHUNK_ZONES;
            let bbox = part.iter().map(|s| s.bbox).fold(
                [
                    f64::INFINITY,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    f64::NEG_INFINITY,
                ],
                |a, b| {
                    [
                        a[0].min(b[0]),
                        a[1].min(b[1]),
                        a[2].max(b[2]),
                        a[3].max(b[3]),
                    ]
                },
            );
            ZoneChunk {
                zones: start..start + part.len(),
                bbox,
            }
        })
        .collect()
}

/// Whether `p` lies in the multipolygon (inside an exterior ring and outside its holes).
pub fn multipolygon_contains(mp: &MultiPolygon<f64>, p: Coord) -> bool {
    mp.0.iter().any(|poly| {
        ring_contains(&poly.exterior().0, p)
            && !poly.interiors().iter().any(|h| ring_contains(&h.0, p))
    })
}

fn to_mercator_polygon(p: &Polygon<f64>) -> Polygon<f64> {
    let conv = |ls: &LineString<f64>| {
        LineString::new(
            ls.0.iter()
                .map(|c| {
                    let m = mercator_unit(c.x, c.y);
                    Coord { x: m[0], y: m[1] }
                })
                .collect(),
        )
    };
    Polygon::new(conv(p.exterior()), p.interiors().iter().map(conv).collect())
}

fn prepare_zone(geometry: &MultiPolygon<f64>) -> ZoneShape {
    let mercator = MultiPolygon::new(geometry.0.iter().map(to_mercator_polygon).collect());
    let bbox = mercator.bounding_rect();
    let polygons = mercator.0;
    let Some(bbox) = bbox else {
        return ZoneShape {
            bbox: [
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ],
            ..ZoneShape::default()
        };
    };
    let origin = [bbox.min().x, bbox.min().y];
    let levels = (0..=LOD_ZOOMS.len())
        .map(|_| std::sync::OnceLock::new())
        .collect();
    let largest = geometry
        .0
        .iter()
        .max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()));
    let label = largest
        .and_then(crate::analysis::population::polygon_interior_point)
        .map(|p| mercator_unit(p.x(), p.y()))
        .unwrap_or([
            (bbox.min().x + bbox.max().x) / 2.0,
            (bbox.min().y + bbox.max().y) / 2.0,
        ]);
    ZoneShape {
        origin,
        bbox: [bbox.min().x, bbox.min().y, bbox.max().x, bbox.max().y],
        area: polygons.iter().map(|p| p.unsigned_area()).sum(),
        polygons,
        levels,
        label,
    }
}

fn simplify_ring(ring: &LineString<f64>, epsilon: Option<f64>) -> LineString<f64> {
    match epsilon {
        Some(e) => {
            let s = ring.simplify(e);
            // A ring that collapses keeps its full detail: it is tiny anyway.
            if s.0.len() >= 4 { s } else { ring.clone() }
        }
        None => ring.clone(),
    }
}

fn level(polygons: &[Polygon<f64>], origin: [f64; 2], epsilon: Option<f64>) -> Level {
    let local = |c: &Coord| {
        [
            ((c.x - origin[0]) * LOCAL_SCALE) as f32,
            ((c.y - origin[1]) * LOCAL_SCALE) as f32,
        ]
    };
    let mut out = Level::default();
    for p in polygons {
        let exterior = simplify_ring(p.exterior(), epsilon);
        let holes: Vec<LineString<f64>> = p
            .interiors()
            .iter()
            .map(|h| simplify_ring(h, epsilon))
            .filter(|h| h.0.len() >= 4)
            .collect();
        let simplified = Polygon::new(exterior, holes);
        let tri = simplified.earcut_triangles_raw();
        let base = out.vertices.len() as u32;
        out.vertices.extend(
            tri.vertices
                .iter()
                .map(|v| local(&Coord { x: v[0], y: v[1] })),
        );
        out.indices
            .extend(tri.triangle_indices.iter().map(|&i| base + i as u32));
        for ring in std::iter::once(simplified.exterior()).chain(simplified.interiors()) {
            let start = out.ring_vertices.len() as u32;
            out.ring_vertices.extend(ring.0.iter().map(local));
            out.rings.push((start, out.ring_vertices.len() as u32));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn mercator_round_trip_and_walkers_convention() {
        let m = mercator_unit(0.0, 0.0);
        assert!((m[0] - 0.5).abs() < 1e-12 && (m[1] - 0.5).abs() < 1e-12);
        let (lon, lat) = lon_lat_of(mercator_unit(2.35, 48.85));
        assert!((lon - 2.35).abs() < 1e-9 && (lat - 48.85).abs() < 1e-9);
        // North is up: a higher latitude has a smaller y.
        assert!(mercator_unit(2.0, 49.0)[1] < mercator_unit(2.0, 48.0)[1]);
    }

    #[test]
    fn concave_zone_with_hole_is_triangulated_right() {
        // A "U" shape with a square hole in its base: area = 3×3 − 1×2 (notch) − 0.5×0.5 (hole).
        let u = polygon![
            exterior: [(x: 0.0, y: 0.0), (x: 3.0, y: 0.0), (x: 3.0, y: 3.0), (x: 2.0, y: 3.0), (x: 2.0, y: 1.0), (x: 1.0, y: 1.0), (x: 1.0, y: 3.0), (x: 0.0, y: 3.0), (x: 0.0, y: 0.0)],
            interiors: [[(x: 0.25, y: 0.25), (x: 0.75, y: 0.25), (x: 0.75, y: 0.75), (x: 0.25, y: 0.75), (x: 0.25, y: 0.25)]],
        ];
        let shape = prepare_zone(&MultiPolygon::new(vec![u.clone()]));
        let full = shape.full().unwrap();
        // Triangle areas (in local units) must add up to the polygon's area (in Mercator units).
        let mut area = 0.0f64;
        for t in full.indices.chunks(3) {
            let [a, b, c] = [t[0], t[1], t[2]].map(|i| full.vertices[i as usize]);
            area += (((b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1])) as f64 / 2.0)
                .abs();
        }
        let expected = to_mercator_polygon(&u).unsigned_area() * LOCAL_SCALE * LOCAL_SCALE;
        assert!(
            (area - expected).abs() / expected < 1e-4,
            "{area} vs {expected}"
        );
        assert_eq!(full.rings.len(), 2, "outline keeps the hole");
    }

    #[test]
    fn chunks_cover_every_zone_in_order_with_their_boxes() {
        // 130 unit squares in a row (lon i..i+1, lat 0..1): chunks of 64, 64 and 2 zones.
        let squares: Vec<MultiPolygon<f64>> = (0..130)
            .map(|i| {
                let x = i as f64 * 0.01;
                MultiPolygon::new(vec![polygon![
                    (x: x, y: 0.0), (x: x + 0.01, y: 0.0), (x: x + 0.01, y: 0.01), (x: x, y: 0.01), (x: x, y: 0.0)
                ]])
            })
            .collect();
        let g = ZoneGeometry::prepare(&squares);
        let ranges: Vec<_> = g.chunks().iter().map(|c| c.zones.clone()).collect();
        assert_eq!(ranges, vec![0..64, 64..128, 128..130]);
        // The second chunk spans lon 0.64 to 1.28: its Mercator x goes from (0.64 + 180) / 360
        // to (1.28 + 180) / 360.
        let b = g.chunks()[1].bbox;
        assert!((b[0] - 180.64 / 360.0).abs() < 1e-12, "{b:?}");
        assert!((b[2] - 181.28 / 360.0).abs() < 1e-12, "{b:?}");
        assert!((b[3] - 0.5).abs() < 1e-12 && b[1] < 0.5, "{b:?}");
    }

    #[test]
    fn hit_test_excludes_holes() {
        let p = polygon![
            exterior: [(x: 2.0, y: 48.0), (x: 3.0, y: 48.0), (x: 3.0, y: 49.0), (x: 2.0, y: 49.0), (x: 2.0, y: 48.0)],
            interiors: [[(x: 2.4, y: 48.4), (x: 2.6, y: 48.4), (x: 2.6, y: 48.6), (x: 2.4, y: 48.6), (x: 2.4, y: 48.4)]],
        ];
        let g = ZoneGeometry::prepare(&[MultiPolygon::new(vec![p])]);
        assert_eq!(g.zone_at(2.1, 48.1), Some(0));
        assert_eq!(g.zone_at(2.5, 48.5), None);
        assert_eq!(g.zone_at(4.0, 48.5), None);
    }
}
