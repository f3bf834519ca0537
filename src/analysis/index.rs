//! Spatial index of service points (an rstar R*-tree over unit vectors on the sphere): the k
//! nearest services from any position and the services within a radius, with great-circle
//! distances in metres (see [`crate::analysis::distance`]).
//!
//! Which *zone* a point is in is decided by [`crate::analysis::assign::ZoneIndex`] alone, in
//! every analysis: a point on a border shared by two zones belongs to exactly one zone, the
//! one east of it (north of it on an east–west border); see [`crate::analysis::assign`].

use crate::analysis::distance::{chord2_from_metres, distance_m, unit_vector};
use crate::analysis::{AnalysisError, require_field};
use crate::model::PointLayer;
use geo::Point;
use rstar::RTree;
use rstar::primitives::GeomWithData;

type Entry = GeomWithData<[f64; 3], usize>;

/// Wider nodes than rstar's default (6): fewer levels to descend for nearest-neighbour
/// queries on bulk-loaded, static point sets.
#[derive(Clone, Copy, Debug)]
struct WideNodes;

impl rstar::RTreeParams for WideNodes {
    const MIN_SIZE: usize = 4;
    const MAX_SIZE: usize = 16;
    const REINSERTION_COUNT: usize = 4;
    type DefaultInsertionStrategy = rstar::RStarInsertionStrategy;
}

/// A service found from a position.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Neighbour {
    /// The row of the service in its point layer.
    pub row: usize,
    /// Its position, WGS84.
    pub position: Point<f64>,
    /// Great-circle distance from the query position, in metres.
    pub distance_m: f64,
}

/// An index of the positioned rows of a point layer (rows without coordinates are left out).
#[derive(Clone, Debug)]
pub struct ServiceIndex {
    tree: RTree<Entry, WideNodes>,
    positions: Vec<(usize, Point<f64>)>,
}

impl ServiceIndex {
    /// Indexes the given `(row, position)` pairs.
    pub fn from_positions(positions: Vec<(usize, Point<f64>)>) -> ServiceIndex {
        let entries = positions
            .iter()
            .enumerate()
            .map(|(k, (_, p))| GeomWithData::new(unit_vector(*p), k))
            .collect();
        ServiceIndex {
            tree: RTree::bulk_load_with_params(entries),
            positions,
        }
    }

    /// Indexes every positioned row of `layer`.
    pub fn new(layer: &PointLayer) -> ServiceIndex {
        Self::from_positions(
            layer
                .positions
                .iter()
                .enumerate()
                .filter_map(|(i, p)| p.map(|p| (i, p)))
                .collect(),
        )
    }

    /// The number of indexed services.
    pub fn len(&self) -> usize {
        self.positions.len()
    }

    /// Whether no service is indexed.
    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }

    /// The indexed `(row, position)` pairs.
    pub fn positions(&self) -> &[(usize, Point<f64>)] {
        &self.positions
    }

    /// The neighbour of entry `e`; its distance is recomputed with geo's haversine from the
    /// query position (the chord length only orders the candidates).
    fn neighbour(&self, e: &Entry, from: Point<f64>) -> Neighbour {
        let (row, position) = self
            .positions
            .get(e.data)
            .copied()
            .unwrap_or((usize::MAX, Point::new(f64::NAN, f64::NAN)));
        Neighbour {
            row,
            position,
            distance_m: distance_m(from, position),
        }
    }

    /// The nearest service from `from` (WGS84), with its great-circle distance in metres.
    pub fn nearest(&self, from: Point<f64>) -> Option<Neighbour> {
        let q = unit_vector(from);
        self.tree
            .nearest_neighbor(&q)
            .map(|e| self.neighbour(e, from))
    }

    /// The `k` nearest services from `from`, nearest first, distances in metres.
    pub fn k_nearest(&self, from: Point<f64>, k: usize) -> Vec<Neighbour> {
        let q = unit_vector(from);
        self.tree
            .nearest_neighbor_iter_with_distance_2(&q)
            .take(k)
            .map(|(e, _)| self.neighbour(e, from))
            .collect()
    }

    /// Every service within `radius_m` metres (great-circle) of `from`, nearest first.
    pub fn within(&self, from: Point<f64>, radius_m: f64) -> Vec<Neighbour> {
        let q = unit_vector(from);
        // A little slack on the chord; the haversine distance decides.
        let max2 = chord2_from_metres(radius_m) * (1.0 + 1e-7) + 1e-18;
        let mut found: Vec<Neighbour> = self
            .tree
            .locate_within_distance(q, max2)
            .map(|e| self.neighbour(e, from))
            .filter(|n| n.distance_m <= radius_m)
            .collect();
        found.sort_by(|a, b| {
            a.distance_m
                .total_cmp(&b.distance_m)
                .then(a.row.cmp(&b.row))
        });
        found
    }
}

/// The rows of `layer` whose `theme_field` equals `theme` (trimmed, case-insensitive).
pub fn theme_rows(
    layer: &PointLayer,
    theme_field: &str,
    theme: &str,
) -> Result<Vec<usize>, AnalysisError> {
    let fi = require_field(&layer.attributes, theme_field, "la couche de points")?;
    let field = layer.attributes.fields.get(fi);
    let wanted = theme.trim().to_lowercase();
    Ok(field
        .map(|f| {
            f.values
                .iter()
                .enumerate()
                .filter(|(_, v)| v.to_string().trim().to_lowercase() == wanted)
                .map(|(i, _)| i)
                .collect()
        })
        .unwrap_or_default())
}

/// The distinct themes of `theme_field`, sorted, with their number of rows.
pub fn themes(
    layer: &PointLayer,
    theme_field: &str,
) -> Result<Vec<(String, usize)>, AnalysisError> {
    let fi = require_field(&layer.attributes, theme_field, "la couche de points")?;
    let mut out: std::collections::BTreeMap<String, usize> = Default::default();
    if let Some(f) = layer.attributes.fields.get(fi) {
        for v in &f.values {
            if v.missing().is_none() {
                *out.entry(v.to_string().trim().to_owned()).or_default() += 1;
            }
        }
    }
    Ok(out.into_iter().collect())
}

/// The nearest service of each theme from `from`: `(theme, nearest)` for every theme of
/// `theme_field` (sorted by theme), `None` when a theme has no positioned service.
pub fn nearest_by_theme(
    layer: &PointLayer,
    theme_field: &str,
    from: Point<f64>,
) -> Result<Vec<(String, Option<Neighbour>)>, AnalysisError> {
    let mut out = Vec::new();
    for (theme, _) in themes(layer, theme_field)? {
        let rows = theme_rows(layer, theme_field, &theme)?;
        let best = rows
            .into_iter()
            .filter_map(|i| layer.positions.get(i).copied().flatten().map(|p| (i, p)))
            .map(|(row, position)| Neighbour {
                row,
                position,
                distance_m: distance_m(from, position),
            })
            .min_by(|a, b| a.distance_m.total_cmp(&b.distance_m));
        out.push((theme, best));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn index() -> ServiceIndex {
        // Three services on the 48.6° N parallel, 0.1° of longitude apart, and one further north.
        ServiceIndex::from_positions(vec![
            (0, Point::new(2.0, 48.6)),
            (1, Point::new(2.1, 48.6)),
            (2, Point::new(2.2, 48.6)),
            (5, Point::new(2.0, 48.7)),
        ])
    }

    #[test]
    fn k_nearest_sorted_with_haversine_distances() {
        let idx = index();
        let from = Point::new(2.21, 48.6);
        let found = idx.k_nearest(from, 2);
        assert_eq!(found.iter().map(|n| n.row).collect::<Vec<_>>(), vec![2, 1]);
        // 0.01° of longitude at 48.6° N: 0.01 × π/180 × 6,371,008.8 × cos(48.6°) ≈ 735.6 m.
        assert_relative_eq!(found[0].distance_m, 735.6, max_relative = 1e-3);
        assert_relative_eq!(
            found[1].distance_m,
            distance_m(from, Point::new(2.1, 48.6)),
            max_relative = 1e-9
        );
        assert_eq!(idx.nearest(from).map(|n| n.row), Some(2));
    }

    #[test]
    fn within_radius_is_inclusive_and_sorted() {
        let idx = index();
        let from = Point::new(2.0, 48.6);
        // 0.1° of longitude ≈ 7,356 m; 0.1° of latitude ≈ 11,119.5 m.
        let rows: Vec<usize> = idx.within(from, 8_000.0).iter().map(|n| n.row).collect();
        assert_eq!(rows, vec![0, 1]);
        let rows: Vec<usize> = idx.within(from, 11_200.0).iter().map(|n| n.row).collect();
        assert_eq!(rows, vec![0, 1, 5]);
        assert!(idx.within(Point::new(10.0, 40.0), 1_000.0).is_empty());
    }
}
