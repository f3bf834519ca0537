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
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

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
///
/// Step 1 keeps the demand rows of every catchment, with their weights under the Gaussian
/// decay (up to [`CATCHMENTS_KEPT_BYTES`]), and step 2 hands each service's weighted ratio to
/// the demand points of its catchment, services in row order, which gives every demand point
/// its terms in service order too; with too many pairs to keep, step 2 looks the services
/// around each demand point up again and sorts them by row.
pub fn two_step_fca(
    demand_points: &[Option<Point<f64>>],
    demand: &[Value],
    supply_points: &[Point<f64>],
    supply: &[Value],
    radius_m: f64,
    decay: Decay,
) -> Result<Fca, AnalysisError> {
    two_step_fca_on(
        demand_points,
        demand,
        supply_points,
        supply,
        radius_m,
        decay,
        None,
        CATCHMENTS_KEPT_BYTES,
    )
}

/// At most this many bytes of (service, demand point) pairs of step 1 are kept for step 2 (4
/// bytes a pair, 12 with its Gaussian weight): beyond, step 2 looks its catchments up again, as
/// a national 200 m grid against a million services would need several gigabytes.
const CATCHMENTS_KEPT_BYTES: usize = 256 << 20;

/// The nearest service of each of `demand_points` (see [`nearest_services_on`]) and the 2SFCA of
/// `services` (`(row, position)`) with capacities `supply`, the services bucketed once for both
/// when the catchment's cubes suit the nearest-service search too.
pub(crate) fn nearest_and_fca(
    demand_points: &[Option<Point<f64>>],
    demand: &[Value],
    services: &[(usize, Point<f64>)],
    supply: &[Value],
    radius_m: f64,
    decay: Decay,
) -> Result<(Vec<Option<Neighbour>>, Fca), AnalysisError> {
    let supply_points: Vec<Point<f64>> = services.iter().map(|(_, p)| *p).collect();
    check_inputs(demand_points, demand, &supply_points, supply, radius_m)?;
    let shared = (services.len() >= NEAREST_GRID_FROM && (5_000.0..=10_000.0).contains(&radius_m))
        .then(|| SphereGrid::of_points(&supply_points, Catchment::new(radius_m, decay).side))
        .flatten();
    let nearest = nearest_services_on(demand_points, services, shared.as_ref());
    let fca = two_step_fca_on(
        demand_points,
        demand,
        &supply_points,
        supply,
        radius_m,
        decay,
        shared.as_ref(),
        CATCHMENTS_KEPT_BYTES,
    )?;
    Ok((nearest, fca))
}

/// [`two_step_fca`] with the services' grid when already built (used when its cubes are the
/// catchment's) and at most `kept_bytes` of pairs of step 1 kept for step 2.
#[allow(clippy::too_many_arguments)]
fn two_step_fca_on(
    demand_points: &[Option<Point<f64>>],
    demand: &[Value],
    supply_points: &[Point<f64>],
    supply: &[Value],
    radius_m: f64,
    decay: Decay,
    supply_grid: Option<&SphereGrid>,
    kept_bytes: usize,
) -> Result<Fca, AnalysisError> {
    check_inputs(demand_points, demand, supply_points, supply, radius_m)?;
    let catchment = Catchment::new(radius_m, decay);
    let own_grid;
    let (Some(demand_grid), Some(supply_grid)) = (
        SphereGrid::of_positions(demand_points, catchment.side),
        match supply_grid {
            Some(g) if g.side == catchment.side && g.entries.len() == supply_points.len() => {
                Some(g)
            }
            _ => {
                own_grid = SphereGrid::of_points(supply_points, catchment.side);
                own_grid.as_ref()
            }
        },
    ) else {
        // More than 2³² points: the first implementation.
        return two_step_fca_reference(
            demand_points,
            demand,
            supply_points,
            supply,
            radius_m,
            decay,
        );
    };
    let amounts: Vec<Amount> = demand.iter().map(Amount::of).collect();

    // Step 1, by cell of services: the demand cells around a cell are looked up once. The
    // demand rows of each catchment are kept for step 2, with their weights unless every weight
    // is 1 (step decay), up to `kept_bytes` in all.
    let weighted = catchment.decay != Decay::Step;
    let kept = kept_bytes / if weighted { 12 } else { 4 };
    let keeping = kept > 0;
    let stored = AtomicUsize::new(0);
    let overflow = AtomicBool::new(!keeping);
    // The capacities in the grid's order: read in the services' own order, they were a cache
    // miss for each service.
    let capacities: Vec<Capacity> = crate::parallel::map_indexed(&supply_grid.entries, |_, e| {
        Capacity::of(supply.get(e.row as usize))
    });
    let per_cell = crate::parallel::map_indexed_balanced(&supply_grid.cells, 8, |_, cell| {
        // The demand points of the 27 cubes around, coordinate by coordinate, so that the
        // chords from a service to all of them are computed in one vectorised loop.
        let mut near = Candidates::default();
        for (entries, positions, _) in demand_grid.around(cell.key) {
            near.extend(entries, positions);
        }
        let mut chords: Vec<f64> = Vec::with_capacity(near.rows.len());
        let mut keys: Vec<(u64, u32)> = vec![(0, 0); near.rows.len()];
        let mut found: Vec<Found> = Vec::new();
        let mut out = CellCatchments {
            services: Vec::with_capacity(cell.len()),
            rows: Vec::new(),
            weights: Vec::new(),
        };
        let keep = !overflow.load(Ordering::Relaxed);
        let cell_capacities = capacities.get(cell.range()).unwrap_or_default();
        for ((s, sp), capacity) in supply_grid.members(cell).zip(cell_capacities) {
            let mut total = 0.0;
            let mut missing = None;
            let mut add = |row: u32, weight: f64| match amounts.get(row as usize) {
                Some(Amount::Number(d)) => total += weight * d,
                Some(Amount::Missing(m)) => missing = missing.or(Some(*m)),
                None => missing = missing.or(Some(Missing::NotAvailable)),
            };
            let start = out.rows.len();
            near.chords_from(s.xyz, &mut chords);
            // The usual case under the step decay: every pair clearly inside or outside and no
            // two chords too close to be ordered, so the chord alone orders the catchment (a
            // non-negative f64 orders as its bits; equal chords are not plain). Otherwise, the
            // general path below.
            let mut plain = catchment.decay == Decay::Step;
            if plain {
                // Without branches on the chords: every candidate is written, and kept by
                // moving on when inside.
                let mut n = 0;
                let mut doubtful = false;
                for (&chord2, &row) in chords.iter().zip(&near.rows) {
                    if let Some(slot) = keys.get_mut(n) {
                        *slot = (chord2.to_bits(), row);
                    }
                    let inside = chord2 < catchment.inside2;
                    n += usize::from(inside);
                    // Neither clearly inside nor clearly outside (a NaN chord neither).
                    let outside = chord2 > catchment.outside2;
                    doubtful |= !inside & !outside;
                }
                let inside = keys.get_mut(..n).unwrap_or_default();
                inside.sort_unstable_by_key(|k| k.0);
                plain = !doubtful
                    && inside.windows(2).all(|w| match w {
                        [a, b] => {
                            let (a, b) = (f64::from_bits(a.0), f64::from_bits(b.0));
                            b - a > chord2_slack(b)
                        }
                        _ => true,
                    });
                if plain {
                    for &(_, row) in inside.iter() {
                        add(row, 1.0);
                    }
                    if keep {
                        out.rows.extend(inside.iter().map(|&(_, row)| row));
                    }
                }
            }
            if !plain {
                found.clear();
                for ((&chord2, &row), dp) in chords.iter().zip(&near.rows).zip(&near.positions) {
                    if chord2 > catchment.outside2 {
                        continue;
                    }
                    if let Some((weight, distance_m)) = catchment.pair(chord2, *sp, *dp) {
                        found.push(Found {
                            chord2,
                            distance_m,
                            weight,
                            row,
                            position: *dp,
                        });
                    }
                }
                catchment.sort_nearest_first(&mut found, *sp);
                for f in &found {
                    add(f.row, f.weight);
                }
                if keep {
                    out.rows.extend(found.iter().map(|f| f.row));
                    if weighted {
                        out.weights.extend(found.iter().map(|f| f.weight));
                    }
                }
            }
            let ratio = match (capacity, missing) {
                (Capacity::Missing(m), _) => Value::Missing(*m),
                (_, Some(_)) => Value::Missing(Missing::Incomplete),
                (Capacity::Number(s), None) if total > 0.0 => Value::Number(s / total),
                (Capacity::Number(_), None) => Value::Missing(Missing::NotApplicable),
                (Capacity::NotNumber, None) => Value::Missing(Missing::NotAvailable),
            };
            out.services.push((s.row, ratio, start..out.rows.len()));
        }
        if keep && stored.fetch_add(out.rows.len(), Ordering::Relaxed) + out.rows.len() > kept {
            overflow.store(true, Ordering::Relaxed);
        }
        if overflow.load(Ordering::Relaxed) {
            out.rows = Vec::new();
            out.weights = Vec::new();
        }
        out
    });
    let mut ratios = vec![Value::Missing(Missing::NotApplicable); supply_points.len()];
    // Where each service's catchment was kept: its cell and range.
    let mut spans: Vec<Option<(usize, std::ops::Range<usize>)>> = Vec::new();
    let complete_lists = !overflow.load(Ordering::Relaxed);
    if complete_lists {
        spans.resize(supply_points.len(), None);
    }
    for (c, cell) in per_cell.iter().enumerate() {
        for (j, ratio, range) in &cell.services {
            if let Some(slot) = ratios.get_mut(*j as usize) {
                *slot = ratio.clone();
            }
            if let Some(slot) = spans.get_mut(*j as usize) {
                *slot = Some((c, range.clone()));
            }
        }
    }
    let ratio_amounts: Vec<Ratio> = ratios.iter().map(Ratio::of).collect();

    let accessibility = if complete_lists {
        // Step 2 from the kept catchments, service by service in row order: every demand point
        // gets its terms `w · R_j` in the same order as by looking its services up (under the
        // step decay every weight is 1 and `1 · R_j` is `R_j`).
        let mut sums = vec![0.0f64; demand_points.len()];
        let mut incomplete = vec![false; demand_points.len()];
        for (span, ratio) in spans.iter().zip(&ratio_amounts) {
            let Some((cell, range)) = span
                .as_ref()
                .and_then(|(c, range)| Some((per_cell.get(*c)?, range.clone())))
            else {
                continue;
            };
            let rows = cell.rows.get(range.clone()).unwrap_or_default();
            match ratio {
                Ratio::Number(r) if weighted => {
                    let weights = cell.weights.get(range).unwrap_or_default();
                    for (&k, &w) in rows.iter().zip(weights) {
                        if let Some(a) = sums.get_mut(k as usize) {
                            *a += w * r;
                        }
                    }
                }
                Ratio::Number(r) => {
                    for &k in rows {
                        if let Some(a) = sums.get_mut(k as usize) {
                            *a += r;
                        }
                    }
                }
                Ratio::Skipped => {}
                Ratio::Incomplete => {
                    for &k in rows {
                        if let Some(flag) = incomplete.get_mut(k as usize) {
                            *flag = true;
                        }
                    }
                }
            }
        }
        demand_points
            .iter()
            .zip(sums.into_iter().zip(incomplete))
            .map(|(p, (a, incomplete))| match (p, incomplete) {
                (None, _) => Value::Missing(Missing::NotApplicable),
                (Some(_), true) => Value::Missing(Missing::Incomplete),
                (Some(_), false) => Value::Number(a),
            })
            .collect()
    } else {
        step_two_by_demand(
            demand_points.len(),
            &demand_grid,
            supply_grid,
            &catchment,
            &ratio_amounts,
        )
    };
    Ok(Fca {
        ratios,
        accessibility,
    })
}

/// Points gathered from several cubes, coordinate by coordinate.
#[derive(Default)]
struct Candidates {
    x: Vec<f64>,
    y: Vec<f64>,
    z: Vec<f64>,
    rows: Vec<u32>,
    positions: Vec<Point<f64>>,
}

impl Candidates {
    fn extend(&mut self, entries: &[GridPoint], positions: &[Point<f64>]) {
        for e in entries {
            let [x, y, z] = e.xyz;
            self.x.push(x);
            self.y.push(y);
            self.z.push(z);
            self.rows.push(e.row);
        }
        self.positions.extend_from_slice(positions);
    }

    /// The squared chords from `v` to every candidate, in order, computed as [`chord2`] does
    /// (`v` first: the same bits).
    fn chords_from(&self, v: [f64; 3], chords: &mut Vec<f64>) {
        chords.clear();
        chords.extend(self.x.iter().zip(&self.y).zip(&self.z).map(|((x, y), z)| {
            let (dx, dy, dz) = (v[0] - x, v[1] - y, v[2] - z);
            dx * dx + dy * dy + dz * dz
        }));
    }
}

/// The demand rows of the catchments of one cell of services: `(service row, ratio, range of
/// its demand rows in rows)`, `rows` empty when the catchments are not kept; `weights` beside
/// `rows` under the Gaussian decay.
struct CellCatchments {
    services: Vec<(u32, Value, std::ops::Range<usize>)>,
    rows: Vec<u32>,
    weights: Vec<f64>,
}

/// Step 2 by cell of demand points: for each, the ratios of the services reached, added in
/// service order.
fn step_two_by_demand(
    demand_len: usize,
    demand_grid: &SphereGrid,
    supply_grid: &SphereGrid,
    catchment: &Catchment,
    ratio_amounts: &[Ratio],
) -> Vec<Value> {
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
    let mut accessibility = vec![Value::Missing(Missing::NotApplicable); demand_len];
    for (k, value) in per_cell.into_iter().flatten() {
        if let Some(slot) = accessibility.get_mut(k as usize) {
            *slot = value;
        }
    }
    accessibility
}

/// Below this many services the nearest one is looked for in an R-tree ([`ServiceIndex`]);
/// from it on, in the catchment grid, whose build is cheaper than the tree's bulk load.
const NEAREST_GRID_FROM: usize = 100_000;

/// The nearest of `services` (`(row, position)`) from each position, with its great-circle
/// distance in metres, as [`ServiceIndex::nearest`] finds it (the least chord, ties by the
/// lowest row here). From [`NEAREST_GRID_FROM`] services on, in `grid` when given (the services'
/// grid of a 2SFCA, whose rows are the indexes in `services`) or in a grid of 10 km cubes,
/// searched ring of cubes by ring of cubes around a position: the nearest found is the nearest
/// of all once it lies within the rings searched; beyond [`NEAREST_GRID_REACH_M`] (sparse
/// services) the R-tree answers, built once when first needed.
fn nearest_services_on(
    from: &[Option<Point<f64>>],
    services: &[(usize, Point<f64>)],
    grid: Option<&SphereGrid>,
) -> Vec<Option<Neighbour>> {
    let rtree = std::sync::OnceLock::new();
    let tree = || rtree.get_or_init(|| ServiceIndex::from_positions(services.to_vec()));
    let own_grid;
    let grid = match grid {
        Some(g) if g.entries.len() == services.len() => Some(g),
        _ if services.len() >= NEAREST_GRID_FROM => {
            let positions: Vec<Point<f64>> = services.iter().map(|(_, p)| *p).collect();
            own_grid = SphereGrid::of_points(&positions, chord2_from_metres(10_000.0).sqrt());
            own_grid.as_ref()
        }
        _ => None,
    };
    let Some(grid) = grid else {
        let index = tree();
        return crate::parallel::map_indexed(from, |_, p| p.and_then(|p| index.nearest(p)));
    };
    let side = grid.side;
    let rings = (chord2_from_metres(NEAREST_GRID_REACH_M).sqrt() / side)
        .ceil()
        .clamp(1.0, 8.0) as i64;
    crate::parallel::map_indexed(from, |_, p| {
        let p = (*p)?;
        let v = unit_vector(p);
        let key = grid.key_of(v);
        let mut best: Option<(f64, u32)> = None;
        let look = |best: &mut Option<(f64, u32)>, entries: &[GridPoint]| {
            for e in entries {
                let c2 = chord2(v, e.xyz);
                if best.is_none_or(|(b, r)| c2 < b || (c2 == b && e.row < r)) {
                    *best = Some((c2, e.row));
                }
            }
        };
        // The position's own cube first: the cubes wholly farther than the nearest found so
        // far are then skipped (an equally near point could not be in them either).
        look(&mut best, grid.cube(key));
        for ring in 1..=rings {
            shell_keys(key, ring, |k| {
                if k != key && best.is_none_or(|(b, _)| box_chord2(v, k, side) <= b) {
                    look(&mut best, grid.cube(k));
                }
            });
            // Every point outside the cubes searched so far is farther than `ring` sides.
            let reach = ring as f64 * side;
            if let Some((c2, k)) = best
                && c2 <= reach * reach
            {
                let &(row, position) = services.get(k as usize)?;
                return Some(Neighbour {
                    row,
                    position,
                    distance_m: distance_m(p, position),
                });
            }
        }
        tree().nearest(p)
    })
}

/// How far the grid search for the nearest service goes before the R-tree answers.
const NEAREST_GRID_REACH_M: f64 = 40_000.0;

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

/// A service's capacity as step 1 reads it.
#[derive(Clone, Copy)]
enum Capacity {
    Number(f64),
    Missing(Missing),
    /// A text, or no value at all.
    NotNumber,
}

impl Capacity {
    fn of(v: Option<&Value>) -> Capacity {
        match v {
            Some(Value::Number(s)) => Capacity::Number(*s),
            Some(Value::Missing(m)) => Capacity::Missing(*m),
            Some(Value::Text(_)) | None => Capacity::NotNumber,
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
    /// The side of the cubes (a chord).
    side: f64,
    cells: Vec<Cell>,
    lookup: HashMap<CellKey, usize, BuildHasherDefault<KeyHasher>>,
    entries: Vec<GridPoint>,
    positions: Vec<Point<f64>>,
}

impl SphereGrid {
    /// The grid of `points`, each with its index as row; `None` beyond 2³² points.
    fn of_points(points: &[Point<f64>], side: f64) -> Option<SphereGrid> {
        u32::try_from(points.len()).ok()?;
        let rows: Vec<(u32, Point<f64>)> = points
            .iter()
            .enumerate()
            .filter_map(|(j, p)| Some((u32::try_from(j).ok()?, *p)))
            .collect();
        Some(SphereGrid::new(&rows, side))
    }

    /// The grid of the positioned ones of `points`, each with its index as row; `None` beyond
    /// 2³² points.
    fn of_positions(points: &[Option<Point<f64>>], side: f64) -> Option<SphereGrid> {
        u32::try_from(points.len()).ok()?;
        let rows: Vec<(u32, Point<f64>)> = points
            .iter()
            .enumerate()
            .filter_map(|(k, p)| Some((u32::try_from(k).ok()?, (*p)?)))
            .collect();
        Some(SphereGrid::new(&rows, side))
    }

    /// The key of the cube of unit vector `v`.
    #[inline]
    fn key_of(&self, v: [f64; 3]) -> [i64; 3] {
        v.map(|c| (c / self.side).floor() as i64)
    }

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
            side,
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

    /// The non-empty cube `key`.
    fn cell(&self, key: [i64; 3]) -> Option<&Cell> {
        self.lookup
            .get(&CellKey(key))
            .and_then(|&n| self.cells.get(n))
    }

    /// The points of cube `key` (none when it is empty).
    fn cube(&self, key: [i64; 3]) -> &[GridPoint] {
        self.cell(key)
            .and_then(|c| self.entries.get(c.range()))
            .unwrap_or_default()
    }

    /// The points (and positions) of the (at most 27) non-empty cubes around cube `key`.
    fn around(&self, key: [i64; 3]) -> Vec<Neighbourhood<'_>> {
        let mut out = Vec::with_capacity(27);
        shell_keys(key, 1, |k| {
            if let Some(c) = self.cell(k)
                && let (Some(e), Some(p)) =
                    (self.entries.get(c.range()), self.positions.get(c.range()))
            {
                out.push((e, p, k));
            }
        });
        out
    }
}

/// Calls `f` with every cube key at Chebyshev distance `ring` from `key`, each once; ring 1
/// also gives `key` itself, so that rings 1 to n give the whole block of side 2n + 1.
fn shell_keys(key: [i64; 3], ring: i64, mut f: impl FnMut([i64; 3])) {
    for dx in -ring..=ring {
        for dy in -ring..=ring {
            // On the faces x or y at ±ring every z; inside them only the two z faces (all of the
            // 3 × 3 × 3 block for ring 1, so that the centre cube is searched too).
            let full = ring <= 1 || dx.abs() == ring || dy.abs() == ring;
            let mut dz = -ring;
            while dz <= ring {
                f([key[0] + dx, key[1] + dy, key[2] + dz]);
                dz += if full || dz == ring { 1 } else { 2 * ring };
            }
        }
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

    /// A seeded random case around (2.3°E, 48.6°N): demand points (some without position,
    /// some with a missing demand) and services (some with a missing capacity, some far from
    /// every demand point), in a box of `span` degrees.
    #[allow(clippy::type_complexity)]
    fn random_case(
        seed: u64,
        demand_len: usize,
        supply_len: usize,
        span: f64,
    ) -> (
        Vec<Option<Point<f64>>>,
        Vec<Value>,
        Vec<Point<f64>>,
        Vec<Value>,
    ) {
        let mut state = seed;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut demand_points = Vec::new();
        let mut demand = Vec::new();
        for k in 0..demand_len {
            let p = Point::new(2.3 + next() * span, 48.6 + next() * span);
            demand_points.push((k % 97 != 5).then_some(p));
            demand.push(if k % 211 == 7 {
                Value::Missing(Missing::Secret)
            } else {
                Value::Number((next() * 500.0).round())
            });
        }
        let mut supply_points = Vec::new();
        let mut supply = Vec::new();
        for j in 0..supply_len {
            let far = if j % 50 == 3 { 3.0 } else { 0.0 };
            supply_points.push(Point::new(2.3 + far + next() * span, 48.6 + next() * span));
            supply.push(if j % 173 == 11 {
                Value::Missing(Missing::Empty)
            } else {
                Value::Number(1.0 + (next() * 4.0).floor())
            });
        }
        (demand_points, demand, supply_points, supply)
    }

    #[test]
    fn step_two_is_the_same_from_kept_catchments_or_looked_up_again() {
        let (dp, d, sp, s) = random_case(91, 3_000, 20_000, 1.0);
        for decay in [Decay::Step, Decay::Gaussian] {
            let reference = two_step_fca_reference(&dp, &d, &sp, &s, 10_000.0, decay).unwrap();
            // Every kind of accessibility is there: numbers, incomplete, no position.
            for wanted in [
                |v: &Value| matches!(v, Value::Number(a) if *a > 0.0),
                |v: &Value| *v == Value::Missing(Missing::Incomplete),
                |v: &Value| *v == Value::Missing(Missing::NotApplicable),
            ] {
                assert!(reference.accessibility.iter().any(wanted));
            }
            assert!(
                reference
                    .ratios
                    .contains(&Value::Missing(Missing::NotApplicable))
            );
            // All kept, none kept, and kept until the budget is exceeded half way.
            for kept in [CATCHMENTS_KEPT_BYTES, 0, 4_000_000] {
                let fast = two_step_fca_on(&dp, &d, &sp, &s, 10_000.0, decay, None, kept).unwrap();
                assert_eq!(fast, reference, "{decay:?}, {kept} bytes kept");
            }
        }
    }

    #[test]
    fn nearest_and_fca_on_one_grid_are_those_computed_apart() {
        // Enough services for the grid search (100,000), radii sharing the grid or not.
        let (dp, d, sp, s) = random_case(7, 2_000, NEAREST_GRID_FROM + 5_000, 2.0);
        let services: Vec<(usize, Point<f64>)> = sp.iter().copied().enumerate().collect();
        let index = ServiceIndex::from_positions(services.clone());
        let expected: Vec<Option<Neighbour>> = dp
            .iter()
            .map(|p| p.and_then(|p| index.nearest(p)))
            .collect();
        for radius_m in [5_000.0, 10_000.0, 15_000.0] {
            let (nearest, fca) =
                nearest_and_fca(&dp, &d, &services, &s, radius_m, Decay::Step).unwrap();
            assert_eq!(nearest, expected, "{radius_m} m");
            let reference =
                two_step_fca_reference(&dp, &d, &sp, &s, radius_m, Decay::Step).unwrap();
            assert_eq!(fca, reference, "{radius_m} m");
        }
    }

    #[test]
    fn rings_give_every_cube_of_the_block_once() {
        let key = [7, -3, 12];
        let mut seen = std::collections::HashMap::new();
        for ring in 1..=4 {
            shell_keys(key, ring, |k| *seen.entry(k).or_insert(0) += 1);
            // 3³, 5³, 7³, 9³ cubes, none twice, all in the block.
            assert_eq!(seen.len(), ((2 * ring + 1) as usize).pow(3), "ring {ring}");
            assert!(seen.values().all(|&n| n == 1));
            assert!(
                seen.keys()
                    .all(|k| k.iter().zip(key).all(|(a, b)| (a - b).abs() <= ring))
            );
        }
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
        let positions: Vec<Point<f64>> = services.iter().map(|(_, p)| *p).collect();
        // Its own 10 km grid, and the grid of a 5 km catchment (8 rings).
        let shared = SphereGrid::of_points(&positions, Catchment::new(5_000.0, Decay::Step).side);
        for grid in [None, shared.as_ref()] {
            let found = nearest_services_on(&from, &services, grid);
            assert_eq!(found.len(), from.len());
            let (mut far, mut beyond) = (0, 0);
            for (p, g) in from.iter().zip(&found) {
                let expected = p.and_then(|p| index.nearest(p));
                assert_eq!(*g, expected, "from {p:?}");
                far += usize::from(expected.is_some_and(|n| n.distance_m > 10_000.0));
                beyond +=
                    usize::from(expected.is_some_and(|n| n.distance_m > NEAREST_GRID_REACH_M));
            }
            // Every path was taken: the first ring, farther rings and the R-tree.
            assert!(far - beyond > 20 && beyond > 100, "{far} {beyond}");
        }
    }
}
