//! Two-step floating catchment area (2SFCA) accessibility index (Luo & Wang 2003; Gaussian
//! variant after Dai 2010).
//!
//! With `d_kj` the great-circle distance (metres) between demand point `k` and service `j`,
//! `d0` the catchment radius and `W` the distance decay:
//!
//! 1. for each service `j`: `R_j = S_j / Σ_{k : d_kj ≤ d0} W(d_kj) · D_k` (supply per unit of
//!    demand in its catchment);
//! 2. for each demand point `i`: `A_i = Σ_{j : d_ij ≤ d0} W(d_ij) · R_j`.
//!
//! `A_i` is supply per unit of demand (e.g. places per poor household); multiply by 1,000 to
//! read it "per 1,000". A missing demand in a service's catchment makes that service's ratio
//! missing (`incomplet`), and so the accessibility of every point that reaches it: missing
//! values are never taken as zero.

use crate::analysis::AnalysisError;
use crate::analysis::distance::{chord2_from_metres, distance_m, unit_vector};
use crate::analysis::index::{Neighbour, ServiceIndex};
use crate::value::{Missing, Value};
use geo::Point;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// Distance decay inside the catchment radius `d0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decay {
    /// `W(d) = 1` for `d ≤ d0`, 0 beyond (the original 2SFCA).
    Step,
    /// Gaussian: `W(d) = (e^(−½ (d/d0)²) − e^(−½)) / (1 − e^(−½))` for `d ≤ d0`, 0 beyond
    /// (1 at the service, 0 at the edge of the catchment).
    Gaussian,
}

impl Decay {
    /// The weight `W(d)` of a distance `distance_m` for a catchment radius `radius_m` (metres).
    pub fn weight(self, distance_m: f64, radius_m: f64) -> f64 {
        if distance_m > radius_m {
            return 0.0;
        }
        match self {
            Decay::Step => 1.0,
            Decay::Gaussian => {
                let edge = (-0.5f64).exp();
                let r = distance_m / radius_m;
                (((-0.5 * r * r).exp() - edge) / (1.0 - edge)).max(0.0)
            }
        }
    }

    /// The name shown to the user.
    pub fn label(self) -> &'static str {
        match self {
            Decay::Step => "palier",
            Decay::Gaussian => "gaussienne",
        }
    }
}

/// The result of a 2SFCA computation.
#[derive(Clone, Debug, PartialEq)]
pub struct Fca {
    /// `R_j`, supply per unit of demand of each service (same order as the services given).
    pub ratios: Vec<Value>,
    /// `A_i`, accessibility of each demand point (supply per unit of demand); a demand point
    /// without position gets `Missing::NotApplicable`.
    pub accessibility: Vec<Value>,
}

fn check_inputs(
    demand_points: &[Option<Point<f64>>],
    demand: &[Value],
    supply_points: &[Point<f64>],
    supply: &[Value],
    radius_m: f64,
) -> Result<(), AnalysisError> {
    if !(radius_m.is_finite() && radius_m > 0.0) {
        return Err(AnalysisError::InvalidParameter {
            name: "rayon".to_owned(),
            message: format!("le rayon de la zone de chalandise doit être positif ({radius_m} m)"),
        });
    }
    if demand.len() != demand_points.len() || supply.len() != supply_points.len() {
        return Err(AnalysisError::InvalidParameter {
            name: "2SFCA".to_owned(),
            message: "autant de valeurs que de points sont attendues".to_owned(),
        });
    }
    Ok(())
}

/// Computes the 2SFCA index. `demand_points`/`demand` are the demand locations and amounts
/// (e.g. communes' population points and poor households); `supply_points`/`supply` the
/// services and their capacity (1 per service when no capacity field). `radius_m` is the
/// catchment radius `d0` in metres.
///
/// Both sets of points are bucketed in a grid of cubes on the unit sphere whose side is the
/// chord of the radius, so a catchment is looked for in the 27 cubes around its centre; both
/// steps run in parallel. The result is bit for bit that of the first implementation
/// ([`two_step_fca_reference`]): a pair is in a catchment when its haversine distance is at
/// most the radius (the chord, which orders distances the same way, decides alone when it is
/// clearly inside or outside, the haversine distance otherwise), step 1 adds the demands of a
/// catchment nearest first (ties by demand row) and step 2 adds the ratios in service order.
pub fn two_step_fca(
    demand_points: &[Option<Point<f64>>],
    demand: &[Value],
    supply_points: &[Point<f64>],
    supply: &[Value],
    radius_m: f64,
    decay: Decay,
) -> Result<Fca, AnalysisError> {
    check_inputs(demand_points, demand, supply_points, supply, radius_m)?;
    if u32::try_from(demand_points.len().max(supply_points.len())).is_err() {
        return two_step_fca_reference(
            demand_points,
            demand,
            supply_points,
            supply,
            radius_m,
            decay,
        );
    }
    let catchment = Catchment::new(radius_m, decay);
    let demand_grid = SphereGrid::new(
        &demand_points
            .iter()
            .enumerate()
            .filter_map(|(k, p)| Some((u32::try_from(k).ok()?, (*p)?)))
            .collect::<Vec<_>>(),
        catchment.side,
    );
    let supply_grid = SphereGrid::new(
        &supply_points
            .iter()
            .enumerate()
            .filter_map(|(j, p)| Some((u32::try_from(j).ok()?, *p)))
            .collect::<Vec<_>>(),
        catchment.side,
    );
    let amounts: Vec<Amount> = demand.iter().map(Amount::of).collect();

    // Step 1, by cell of services: the demand cells around a cell are looked up once.
    let per_cell = crate::parallel::map_indexed_balanced(&supply_grid.cells, 8, |_, cell| {
        let around = demand_grid.around(cell.key);
        let mut found: Vec<Found> = Vec::new();
        let mut keys: Vec<(u64, u32)> = Vec::new();
        let mut out = Vec::with_capacity(cell.len());
        for (s, sp) in supply_grid.members(cell) {
            let mut total = 0.0;
            let mut missing = None;
            let mut add = |row: u32, weight: f64| match amounts.get(row as usize) {
                Some(Amount::Number(d)) => total += weight * d,
                Some(Amount::Missing(m)) => missing = missing.or(Some(*m)),
                None => missing = missing.or(Some(Missing::NotAvailable)),
            };
            // The usual case under the step decay: every pair clearly inside or outside and no
            // two chords too close to be ordered, so the chord alone orders the catchment (a
            // non-negative f64 orders as its bits). Otherwise, the general path below.
            let mut plain = catchment.decay == Decay::Step;
            if plain {
                keys.clear();
                for (entries, ..) in &around {
                    for e in entries.iter() {
                        let chord2 = chord2(s.xyz, e.xyz);
                        if chord2 > catchment.outside2 {
                            continue;
                        }
                        if chord2 < catchment.inside2 {
                            keys.push((chord2.to_bits(), e.row));
                        } else {
                            plain = false;
                        }
                    }
                }
                keys.sort_unstable();
                plain = plain
                    && keys.windows(2).all(|w| match w {
                        [a, b] => {
                            let (a, b) = (f64::from_bits(a.0), f64::from_bits(b.0));
                            b - a > chord2_slack(b)
                        }
                        _ => true,
                    });
                if plain {
                    for &(_, row) in &keys {
                        add(row, 1.0);
                    }
                }
            }
            if !plain {
                found.clear();
                for (entries, positions, _) in &around {
                    for (e, dp) in entries.iter().zip(positions.iter()) {
                        let chord2 = chord2(s.xyz, e.xyz);
                        if chord2 > catchment.outside2 {
                            continue;
                        }
                        if let Some((weight, distance_m)) = catchment.pair(chord2, *sp, *dp) {
                            found.push(Found {
                                chord2,
                                distance_m,
                                weight,
                                row: e.row,
                                position: *dp,
                            });
                        }
                    }
                }
                catchment.sort_nearest_first(&mut found, *sp);
                for f in &found {
                    add(f.row, f.weight);
                }
            }
            let ratio = match (supply.get(s.row as usize), missing) {
                (Some(Value::Missing(m)), _) => Value::Missing(*m),
                (_, Some(_)) => Value::Missing(Missing::Incomplete),
                (Some(Value::Number(s)), None) if total > 0.0 => Value::Number(s / total),
                (Some(Value::Number(_)), None) => Value::Missing(Missing::NotApplicable),
                (Some(Value::Text(_)) | None, None) => Value::Missing(Missing::NotAvailable),
            };
            out.push((s.row, ratio));
        }
        out
    });
    let mut ratios = vec![Value::Missing(Missing::NotApplicable); supply_points.len()];
    for (j, ratio) in per_cell.into_iter().flatten() {
        if let Some(slot) = ratios.get_mut(j as usize) {
            *slot = ratio;
        }
    }
    let ratio_amounts: Vec<Ratio> = ratios.iter().map(Ratio::of).collect();

    // Step 2, by cell of demand points: the ratios reached, added in service order.
    let per_cell = crate::parallel::map_indexed_balanced(&demand_grid.cells, 8, |_, cell| {
        let around = supply_grid.around(cell.key);
        let mut rows: Vec<u32> = Vec::new();
        let mut weighted: Vec<(u32, f64)> = Vec::new();
        let mut out = Vec::with_capacity(cell.len());
        for (d, dp) in demand_grid.members(cell) {
            rows.clear();
            weighted.clear();
            for (entries, positions, key) in &around {
                // A cube of services wholly beyond the radius is skipped.
                if box_chord2(d.xyz, *key, catchment.side) > catchment.outside2 {
                    continue;
                }
                for (e, sp) in entries.iter().zip(positions.iter()) {
                    let chord2 = chord2(e.xyz, d.xyz);
                    if chord2 > catchment.outside2 {
                        continue;
                    }
                    if catchment.decay == Decay::Step && chord2 < catchment.inside2 {
                        rows.push(e.row);
                    } else if let Some((weight, _)) = catchment.pair(chord2, *sp, *dp) {
                        weighted.push((e.row, weight));
                    }
                }
            }
            // With the step decay every weight is 1 (the rows reached on the edge join them).
            if catchment.decay == Decay::Step {
                rows.extend(weighted.drain(..).map(|(j, _)| j));
                // Runs of ascending rows (one per cube): the stable sort merges them.
                rows.sort();
                weighted.extend(rows.iter().map(|&j| (j, 1.0)));
            } else {
                weighted.sort_by_key(|&(j, _)| j);
            }
            let mut a = 0.0;
            let mut complete = true;
            for &(j, w) in &weighted {
                match ratio_amounts.get(j as usize) {
                    Some(Ratio::Number(r)) => a += w * r,
                    Some(Ratio::Skipped) => {}
                    _ => {
                        complete = false;
                        break;
                    }
                }
            }
            let value = if complete {
                Value::Number(a)
            } else {
                Value::Missing(Missing::Incomplete)
            };
            out.push((d.row, value));
        }
        out
    });
    let mut accessibility = vec![Value::Missing(Missing::NotApplicable); demand_points.len()];
    for (k, value) in per_cell.into_iter().flatten() {
        if let Some(slot) = accessibility.get_mut(k as usize) {
            *slot = value;
        }
    }
    Ok(Fca {
        ratios,
        accessibility,
    })
}

/// Below this many services the nearest one is looked for in an R-tree ([`ServiceIndex`]);
/// from it on, in the catchment grid, whose build is cheaper than the tree's bulk load.
const NEAREST_GRID_FROM: usize = 100_000;

/// The nearest of `services` (`(row, position)`) from each position, with its great-circle
/// distance in metres, as [`ServiceIndex::nearest`] finds it (the least chord, ties by the
/// lowest row here): in a grid of 10 km cubes, the nearest found among the 27 cubes around a
/// position is the nearest of all when it lies within a cube's side; otherwise (sparse
/// services) the R-tree answers, built once when first needed.
pub(crate) fn nearest_services(
    from: &[Option<Point<f64>>],
    services: &[(usize, Point<f64>)],
) -> Vec<Option<Neighbour>> {
    let rtree = std::sync::OnceLock::new();
    let tree = || rtree.get_or_init(|| ServiceIndex::from_positions(services.to_vec()));
    if services.len() < NEAREST_GRID_FROM || u32::try_from(services.len()).is_err() {
        let index = tree();
        return crate::parallel::map_indexed(from, |_, p| p.and_then(|p| index.nearest(p)));
    }
    let side = chord2_from_metres(10_000.0).sqrt();
    let grid = SphereGrid::new(
        &services
            .iter()
            .enumerate()
            .filter_map(|(k, (_, p))| Some((u32::try_from(k).ok()?, *p)))
            .collect::<Vec<_>>(),
        side,
    );
    crate::parallel::map_indexed(from, |_, p| {
        let p = (*p)?;
        let v = unit_vector(p);
        let key = v.map(|c| (c / side).floor() as i64);
        let mut best: Option<(f64, u32)> = None;
        for (entries, ..) in grid.around(key) {
            for e in entries {
                let c2 = chord2(v, e.xyz);
                if best.is_none_or(|(b, r)| c2 < b || (c2 == b && e.row < r)) {
                    best = Some((c2, e.row));
                }
            }
        }
        match best {
            Some((c2, k)) if c2 <= side * side => {
                let &(row, position) = services.get(k as usize)?;
                Some(Neighbour {
                    row,
                    position,
                    distance_m: distance_m(p, position),
                })
            }
            _ => tree().nearest(p),
        }
    })
}

/// A demand amount as step 1 reads it (the one place where it reads the demand values).
#[derive(Clone, Copy)]
enum Amount {
    Number(f64),
    Missing(Missing),
}

impl Amount {
    fn of(v: &Value) -> Amount {
        match v {
            Value::Number(d) => Amount::Number(*d),
            Value::Missing(m) => Amount::Missing(*m),
            Value::Text(_) => Amount::Missing(Missing::NotAvailable),
        }
    }
}

/// A service ratio as step 2 reads it: added, skipped (no demand in its catchment) or making
/// the accessibility incomplete.
#[derive(Clone, Copy)]
enum Ratio {
    Number(f64),
    Skipped,
    Incomplete,
}

impl Ratio {
    fn of(v: &Value) -> Ratio {
        match v {
            Value::Number(r) => Ratio::Number(*r),
            Value::Missing(Missing::NotApplicable) => Ratio::Skipped,
            _ => Ratio::Incomplete,
        }
    }
}

/// A demand point found in a service's catchment.
struct Found {
    chord2: f64,
    /// The haversine distance, when it was needed.
    distance_m: Option<f64>,
    weight: f64,
    row: u32,
    position: Point<f64>,
}

/// Squared chord between two unit vectors.
#[inline]
fn chord2(a: [f64; 3], b: [f64; 3]) -> f64 {
    let (dx, dy, dz) = (a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    dx * dx + dy * dy + dz * dz
}

/// The squared distance from unit vector `v` to cube `key` of side `side` (widened by far
/// more than the rounding of the cube assignment).
#[inline]
fn box_chord2(v: [f64; 3], key: [i64; 3], side: f64) -> f64 {
    let mut total = 0.0;
    for (c, k) in v.iter().zip(key) {
        let lo = k as f64 * side - 1e-12;
        let hi = (k + 1) as f64 * side + 1e-12;
        let gap = (lo - c).max(c - hi).max(0.0);
        total += gap * gap;
    }
    total
}

/// Above the rounding errors of a squared chord `chord2` (relative and absolute, with a
/// large margin): two chords closer than this may order their haversine distances either way.
#[inline]
fn chord2_slack(chord2: f64) -> f64 {
    1e-9 * chord2 + 1e-13 * chord2.max(0.0).sqrt() + 1e-30
}

/// The catchment test of a (service, demand point) pair.
struct Catchment {
    radius_m: f64,
    decay: Decay,
    /// Below this squared chord the pair is inside without doubt.
    inside2: f64,
    /// Above this squared chord the pair is outside without doubt.
    outside2: f64,
    /// The side of the grid's cubes (at least the chord of the radius).
    side: f64,
}

impl Catchment {
    fn new(radius_m: f64, decay: Decay) -> Catchment {
        let c2 = chord2_from_metres(radius_m);
        let slack = chord2_slack(c2);
        let outside2 = c2 + slack;
        Catchment {
            radius_m,
            decay,
            inside2: c2 - slack,
            outside2,
            side: outside2.sqrt().max(1e-9),
        }
    }

    /// The weight of a pair in the catchment and its haversine distance when computed (service
    /// position first, as the reference); `None` outside the catchment or for a zero weight.
    #[inline]
    fn pair(
        &self,
        chord2: f64,
        service: Point<f64>,
        demand: Point<f64>,
    ) -> Option<(f64, Option<f64>)> {
        if chord2 > self.outside2 {
            return None;
        }
        if self.decay == Decay::Step && chord2 < self.inside2 {
            return Some((1.0, None));
        }
        let d = distance_m(service, demand);
        if d > self.radius_m {
            return None;
        }
        let w = self.decay.weight(d, self.radius_m);
        (w > 0.0).then_some((w, Some(d)))
    }

    /// Sorts the demand points of a catchment by haversine distance from `service`, ties by
    /// row, as the reference does: by chord first, then, inside runs of chords too close to
    /// be told apart, by the haversine distance itself.
    fn sort_nearest_first(&self, found: &mut [Found], service: Point<f64>) {
        let by_distance = |a: &Found, b: &Found| {
            let da = a.distance_m.unwrap_or(f64::NAN);
            let db = b.distance_m.unwrap_or(f64::NAN);
            da.total_cmp(&db).then(a.row.cmp(&b.row))
        };
        if self.decay != Decay::Step {
            found.sort_unstable_by(by_distance);
            return;
        }
        found.sort_unstable_by(|a, b| a.chord2.total_cmp(&b.chord2).then(a.row.cmp(&b.row)));
        let mut start = 0;
        while start < found.len() {
            let mut end = start + 1;
            while let (Some(prev), Some(next)) = (found.get(end - 1), found.get(end)) {
                if next.chord2 - prev.chord2 > chord2_slack(next.chord2) {
                    break;
                }
                end += 1;
            }
            if end - start > 1
                && let Some(run) = found.get_mut(start..end)
            {
                for f in run.iter_mut() {
                    if f.distance_m.is_none() {
                        f.distance_m = Some(distance_m(service, f.position));
                    }
                }
                run.sort_unstable_by(by_distance);
            }
            start = end;
        }
    }
}

/// A cube of the grid: its key and the range of its points in the grid's arrays.
struct Cell {
    key: [i64; 3],
    start: usize,
    end: usize,
}

impl Cell {
    fn range(&self) -> std::ops::Range<usize> {
        self.start..self.end
    }

    fn len(&self) -> usize {
        self.end - self.start
    }
}

/// A point of the grid: its unit vector and its row.
#[derive(Clone, Copy)]
struct GridPoint {
    xyz: [f64; 3],
    row: u32,
}

/// The points, positions and key of one cube around a position.
type Neighbourhood<'a> = (&'a [GridPoint], &'a [Point<f64>], [i64; 3]);

/// Points bucketed in cubes of side `side` on the unit sphere, stored cube by cube (rows
/// ascending inside a cube), with their WGS84 positions in the same order.
struct SphereGrid {
    cells: Vec<Cell>,
    lookup: HashMap<CellKey, usize, BuildHasherDefault<KeyHasher>>,
    entries: Vec<GridPoint>,
    positions: Vec<Point<f64>>,
}

impl SphereGrid {
    /// Buckets `points` (`(row, position)`, rows ascending) by a counting sort on their cube.
    fn new(points: &[(u32, Point<f64>)], side: f64) -> SphereGrid {
        let keyed: Vec<([i64; 3], [f64; 3])> = crate::parallel::map_indexed(points, |_, (_, p)| {
            let v = unit_vector(*p);
            (v.map(|c| (c / side).floor() as i64), v)
        });
        let mut lookup: HashMap<CellKey, usize, BuildHasherDefault<KeyHasher>> = HashMap::default();
        let mut cells: Vec<Cell> = Vec::new();
        let cell_of: Vec<usize> = keyed
            .iter()
            .map(|(k, _)| {
                let n = *lookup.entry(CellKey(*k)).or_insert(cells.len());
                if n == cells.len() {
                    cells.push(Cell {
                        key: *k,
                        start: 0,
                        end: 0,
                    });
                }
                if let Some(c) = cells.get_mut(n) {
                    c.end += 1;
                }
                n
            })
            .collect();
        let mut start = 0;
        for c in &mut cells {
            let len = c.end;
            c.start = start;
            c.end = start;
            start += len;
        }
        let empty = GridPoint {
            xyz: [0.0; 3],
            row: 0,
        };
        let mut entries = vec![empty; points.len()];
        let mut positions = vec![Point::new(0.0, 0.0); points.len()];
        for ((&(row, p), (_, v)), n) in points.iter().zip(&keyed).zip(cell_of) {
            if let Some(c) = cells.get_mut(n) {
                if let Some(e) = entries.get_mut(c.end) {
                    *e = GridPoint { xyz: *v, row };
                }
                if let Some(slot) = positions.get_mut(c.end) {
                    *slot = p;
                }
                c.end += 1;
            }
        }
        SphereGrid {
            cells,
            lookup,
            entries,
            positions,
        }
    }

    /// The points of `cell` with their positions.
    fn members(&self, cell: &Cell) -> impl Iterator<Item = (&GridPoint, &Point<f64>)> {
        let entries = self.entries.get(cell.range()).unwrap_or_default();
        let positions = self.positions.get(cell.range()).unwrap_or_default();
        entries.iter().zip(positions)
    }

    /// The points (and positions) of the (at most 27) non-empty cubes around cube `key`.
    fn around(&self, key: [i64; 3]) -> Vec<Neighbourhood<'_>> {
        let mut out = Vec::with_capacity(27);
        for dx in -1..=1 {
            for dy in -1..=1 {
                for dz in -1..=1 {
                    let k = [key[0] + dx, key[1] + dy, key[2] + dz];
                    if let Some(c) = self
                        .lookup
                        .get(&CellKey(k))
                        .and_then(|&n| self.cells.get(n))
                        && let (Some(e), Some(p)) =
                            (self.entries.get(c.range()), self.positions.get(c.range()))
                    {
                        out.push((e, p, k));
                    }
                }
            }
        }
        out
    }
}

/// A cube's key, hashed as three integers.
#[derive(Clone, Copy, PartialEq, Eq)]
struct CellKey([i64; 3]);

impl Hash for CellKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for c in self.0 {
            state.write_i64(c);
        }
    }
}

/// A small multiplicative hasher for the grid keys (the standard SipHash is several times
/// slower and these keys come from the data's own coordinates, not from an adversary that could
/// only slow the analysis down).
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

/// The first implementation of [`two_step_fca`] (one R-tree query per service, the catchments
/// kept in memory, both steps on one thread), kept as the reference that the fast one must
/// equal exactly: used by `tests/fca_speed_equivalence.rs` and `cartosol bench fca`.
#[doc(hidden)]
pub fn two_step_fca_reference(
    demand_points: &[Option<Point<f64>>],
    demand: &[Value],
    supply_points: &[Point<f64>],
    supply: &[Value],
    radius_m: f64,
    decay: Decay,
) -> Result<Fca, AnalysisError> {
    check_inputs(demand_points, demand, supply_points, supply, radius_m)?;
    // Demand points indexed once; each service looks up the demand in its catchment.
    let index = ServiceIndex::from_positions(
        demand_points
            .iter()
            .enumerate()
            .filter_map(|(k, p)| p.map(|p| (k, p)))
            .collect(),
    );
    // Step 1.
    let mut reach: Vec<Vec<(usize, f64)>> = vec![Vec::new(); demand_points.len()];
    let mut ratios = Vec::with_capacity(supply_points.len());
    for (j, (&sp, s)) in supply_points.iter().zip(supply).enumerate() {
        let mut total = 0.0;
        let mut missing = None;
        for n in index.within(sp, radius_m) {
            let w = decay.weight(n.distance_m, radius_m);
            if w <= 0.0 {
                continue;
            }
            if let Some(list) = reach.get_mut(n.row) {
                list.push((j, w));
            }
            match demand.get(n.row) {
                Some(Value::Number(d)) => total += w * d,
                Some(Value::Missing(m)) => missing = missing.or(Some(*m)),
                _ => missing = missing.or(Some(Missing::NotAvailable)),
            }
        }
        let ratio = match (s, missing) {
            (Value::Missing(m), _) => Value::Missing(*m),
            (_, Some(_)) => Value::Missing(Missing::Incomplete),
            (Value::Number(s), None) if total > 0.0 => Value::Number(s / total),
            (Value::Number(_), None) => Value::Missing(Missing::NotApplicable),
            (Value::Text(_), None) => Value::Missing(Missing::NotAvailable),
        };
        ratios.push(ratio);
    }
    // Step 2.
    let accessibility = demand_points
        .iter()
        .zip(&reach)
        .map(|(p, list)| {
            if p.is_none() {
                return Value::Missing(Missing::NotApplicable);
            }
            let mut a = 0.0;
            for &(j, w) in list {
                match ratios.get(j) {
                    Some(Value::Number(r)) => a += w * r,
                    Some(Value::Missing(Missing::NotApplicable)) => {}
                    _ => return Value::Missing(Missing::Incomplete),
                }
            }
            Value::Number(a)
        })
        .collect();
    Ok(Fca {
        ratios,
        accessibility,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn gaussian_weight_is_one_at_zero_and_zero_at_the_edge() {
        assert_relative_eq!(Decay::Gaussian.weight(0.0, 1000.0), 1.0);
        assert_relative_eq!(Decay::Gaussian.weight(1000.0, 1000.0), 0.0, epsilon = 1e-12);
        // d = d0/2: (e^(−1/8) − e^(−1/2)) / (1 − e^(−1/2)) = (0.8824969 − 0.6065307) / 0.3934693
        //         = 0.2759662 / 0.3934693 = 0.701366.
        assert_relative_eq!(
            Decay::Gaussian.weight(500.0, 1000.0),
            0.701366,
            epsilon = 1e-6
        );
        assert_eq!(Decay::Step.weight(1000.0, 1000.0), 1.0);
        assert_eq!(Decay::Step.weight(1000.1, 1000.0), 0.0);
    }

    #[test]
    fn missing_demand_makes_reachable_accessibility_incomplete() {
        let lat = 48.6;
        let pts = [
            Some(Point::new(2.0, lat)),
            Some(Point::new(2.01, lat)),
            Some(Point::new(3.0, lat)),
        ];
        let demand = [
            Value::Number(100.0),
            Value::Missing(Missing::Secret),
            Value::Number(50.0),
        ];
        let fca = two_step_fca(
            &pts,
            &demand,
            &[Point::new(2.0, lat), Point::new(3.0, lat)],
            &[Value::Number(1.0), Value::Number(1.0)],
            5_000.0,
            Decay::Step,
        )
        .unwrap();
        assert_eq!(fca.ratios[0], Value::Missing(Missing::Incomplete));
        assert_eq!(fca.accessibility[0], Value::Missing(Missing::Incomplete));
        // The third point is alone with its own service: 1 / 50.
        assert_eq!(fca.accessibility[2], Value::Number(0.02));
        assert!(distance_m(Point::new(2.0, lat), Point::new(3.0, lat)) > 5_000.0);
    }

    #[test]
    fn grid_nearest_is_the_r_tree_nearest() {
        // 150,000 services (grid path) over metropolitan France, dense in the east half and
        // absent west of 0° (queries there fall back to the R-tree), 3,000 queries.
        let mut state = 12_345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let services: Vec<(usize, Point<f64>)> = (0..150_000)
            .map(|i| (i * 2 + 1, Point::new(next() * 8.0, 42.5 + next() * 8.5)))
            .collect();
        let from: Vec<Option<Point<f64>>> = (0..3_000)
            .map(|k| (k % 50 != 0).then(|| Point::new(-4.5 + next() * 12.5, 42.5 + next() * 8.5)))
            .collect();
        let index = ServiceIndex::from_positions(services.clone());
        let grid = nearest_services(&from, &services);
        assert_eq!(grid.len(), from.len());
        let mut far = 0;
        for (p, g) in from.iter().zip(&grid) {
            let expected = p.and_then(|p| index.nearest(p));
            assert_eq!(*g, expected, "from {p:?}");
            far += usize::from(expected.is_some_and(|n| n.distance_m > 10_000.0));
        }
        // Both paths of the grid search were taken.
        assert!(far > 100, "{far}");
    }
}
