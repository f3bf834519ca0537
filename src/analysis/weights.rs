//! Queen contiguity spatial weights built from zone polygons.
//!
//! Two zones are neighbours when their contours share at least one vertex, compared by exact
//! coordinate equality — the rule of libpysal's `Queen.from_dataframe` (its vertex-set
//! intersection), exterior and interior rings alike (an enclave is a neighbour of the zone
//! around it). Zones without neighbour are islands and are reported.
//!
//! Weights are row-standardised: each of the `k` neighbours of a zone weighs `1 / k`. Zones
//! whose value is missing (statistical secrecy, not available) are left out with
//! [`Weights::subset`]: their contiguity links are removed, never taken as a value of 0.

use geo::MultiPolygon;

/// Queen contiguity between zones: the neighbour lists, one per zone.
#[derive(Clone, Debug, PartialEq)]
pub struct Weights {
    /// For each zone of the weights, the sorted positions (in the weights) of its neighbours.
    pub neighbours: Vec<Vec<usize>>,
    /// For each zone of the weights, its row in the zone layer it was built from.
    pub rows: Vec<usize>,
}

/// A coordinate as exact bits (`-0.0` folded onto `0.0`).
fn coord_bits(v: f64) -> u64 {
    (v + 0.0).to_bits()
}

impl Weights {
    /// Queen contiguity of `geometries` (one zone per geometry, in order): neighbours share at
    /// least one vertex (exact equality of coordinates). Empty geometries are islands.
    pub fn queen(geometries: &[MultiPolygon<f64>]) -> Weights {
        // Every vertex with its zone, sorted: the zones meeting at a coordinate end up in one
        // run. A hash of vertices would do as well; sorting keeps the result independent of
        // any hasher and is fast enough (France: ~1.2 million vertices).
        let mut vertices: Vec<(u64, u64, u32)> = Vec::new();
        for (zone, mp) in geometries.iter().enumerate() {
            let zone = u32::try_from(zone).unwrap_or(u32::MAX);
            for poly in mp {
                for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                    for c in ring.coords() {
                        if c.x.is_finite() && c.y.is_finite() {
                            vertices.push((coord_bits(c.x), coord_bits(c.y), zone));
                        }
                    }
                }
            }
        }
        vertices.sort_unstable();
        vertices.dedup();
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        let mut start = 0;
        while start < vertices.len() {
            let key = vertices.get(start).map(|v| (v.0, v.1));
            let mut end = start + 1;
            while end < vertices.len() && vertices.get(end).map(|v| (v.0, v.1)) == key {
                end += 1;
            }
            if end - start > 1 {
                let run = vertices.get(start..end).unwrap_or_default();
                for (a, va) in run.iter().enumerate() {
                    for vb in run.iter().skip(a + 1) {
                        pairs.push((va.2, vb.2));
                    }
                }
            }
            start = end;
        }
        pairs.sort_unstable();
        pairs.dedup();
        let mut neighbours = vec![Vec::new(); geometries.len()];
        for (a, b) in pairs {
            let (a, b) = (a as usize, b as usize);
            if let Some(list) = neighbours.get_mut(a) {
                list.push(b);
            }
            if let Some(list) = neighbours.get_mut(b) {
                list.push(a);
            }
        }
        for list in &mut neighbours {
            list.sort_unstable();
        }
        Weights {
            neighbours,
            rows: (0..geometries.len()).collect(),
        }
    }

    /// The weights restricted to the zones where `keep` is true (zones whose value is known):
    /// the others are left out with their links. Positions are renumbered; [`Weights::rows`]
    /// keeps the layer rows.
    pub fn subset(&self, keep: &[bool]) -> Weights {
        let mut new_pos = vec![usize::MAX; self.len()];
        let mut rows = Vec::new();
        for (i, row) in self.rows.iter().enumerate() {
            if keep.get(i).copied().unwrap_or(false) {
                if let Some(p) = new_pos.get_mut(i) {
                    *p = rows.len();
                }
                rows.push(*row);
            }
        }
        let neighbours = self
            .neighbours
            .iter()
            .enumerate()
            .filter(|(i, _)| keep.get(*i).copied().unwrap_or(false))
            .map(|(_, list)| {
                list.iter()
                    .filter_map(|j| new_pos.get(*j).copied().filter(|p| *p != usize::MAX))
                    .collect()
            })
            .collect();
        Weights { neighbours, rows }
    }

    /// Number of zones in the weights.
    pub fn len(&self) -> usize {
        self.neighbours.len()
    }

    /// True when the weights hold no zone.
    pub fn is_empty(&self) -> bool {
        self.neighbours.is_empty()
    }

    /// Number of neighbours of the zone at position `i`.
    pub fn cardinality(&self, i: usize) -> usize {
        self.neighbours.get(i).map_or(0, Vec::len)
    }

    /// Positions of the zones without any neighbour (islands).
    pub fn islands(&self) -> Vec<usize> {
        (0..self.len())
            .filter(|i| self.cardinality(*i) == 0)
            .collect()
    }

    /// Sum of all row-standardised weights (`S0`): the number of zones that have neighbours.
    pub fn s0(&self) -> f64 {
        self.neighbours.iter().filter(|l| !l.is_empty()).count() as f64
    }

    /// Spatial lag of `values` (one per zone of the weights) with row-standardised weights: the
    /// mean of the neighbours' values, 0 for an island.
    pub fn lag(&self, values: &[f64]) -> Vec<f64> {
        self.neighbours
            .iter()
            .map(|list| {
                if list.is_empty() {
                    0.0
                } else {
                    list.iter()
                        .map(|j| values.get(*j).copied().unwrap_or(0.0))
                        .sum::<f64>()
                        / list.len() as f64
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{MultiPolygon, polygon};

    fn square(x: f64, y: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![
            (x: x, y: y),
            (x: x + 1.0, y: y),
            (x: x + 1.0, y: y + 1.0),
            (x: x, y: y + 1.0),
            (x: x, y: y),
        ]])
    }

    #[test]
    fn a_three_by_three_grid_has_queen_neighbours() {
        // Cells numbered row by row: the centre (4) touches the 8 others, a corner 3.
        let cells: Vec<_> = (0..9)
            .map(|k| square(f64::from(k % 3), f64::from(k / 3)))
            .collect();
        let w = Weights::queen(&cells);
        assert_eq!(w.neighbours[4], vec![0, 1, 2, 3, 5, 6, 7, 8]);
        assert_eq!(w.neighbours[0], vec![1, 3, 4]);
        assert_eq!(w.neighbours[2], vec![1, 4, 5]);
        assert!(w.islands().is_empty());
        // Leaving out the centre: the corner 0 keeps 1 and 3 (renumbered), the centre's
        // neighbours lose it.
        let mut keep = vec![true; 9];
        keep[4] = false;
        let s = w.subset(&keep);
        assert_eq!(s.len(), 8);
        assert_eq!(s.neighbours[0], vec![1, 3]);
        assert_eq!(s.rows, vec![0, 1, 2, 3, 5, 6, 7, 8]);
        let far = square(10.0, 10.0);
        let w = Weights::queen(&[square(0.0, 0.0), far]);
        assert_eq!(w.islands(), vec![0, 1]);
        assert_eq!(w.s0(), 0.0);
    }
}
