//! Typology of territories: clustering of zones on indicators the user picks.
//!
//! - Input ([`Indicators`]): zones × indicators. A zone with any missing value (secrecy, `nd`,
//!   unmatched…) is left out and listed with the reason ([`ExcludedZone`]); it is never imputed.
//! - Standardisation ([`standardize`]): z-scores with the **population** standard deviation
//!   (ddof = 0), as scikit-learn's `StandardScaler`; a constant indicator gets a scale of 1
//!   (its z-scores are all 0), as there.
//! - [`kmeans`]: Lloyd iterations from a greedy k-means++ start (as scikit-learn's: `2 + ⌊ln k⌋`
//!   local trials), several seeded restarts, the lowest inertia kept; convergence when the
//!   labels no longer change or when the total squared shift of the centres is at most
//!   `tol × mean variance of the indicators` (scikit-learn's default `tol = 1e-4`).
//!   Deterministic for a seed.
//! - [`ward`]: exact Ward hierarchical clustering by the nearest-neighbour chain algorithm
//!   (as SciPy's `linkage(method="ward")`), memory O(n × indicators): the Ward distance of two
//!   clusters is computed from their sizes and centroids,
//!   `d(A, B) = √(2·|A|·|B| / (|A| + |B|)) · ‖c_A − c_B‖`, which is exactly what the
//!   Lance–Williams recurrence for Ward gives from Euclidean distances. Time is O(n²); the
//!   34,738 communes of France fit in memory. Cut at k clusters as SciPy's
//!   `fcluster(criterion="maxclust")`.
//! - [`ward_contiguous`]: contiguity-constrained Ward (only neighbouring clusters merge), then
//!   regions under a minimum population merged with their most similar neighbour.
//! - Choice of k: [`k_scores`] (inertia for the elbow, mean silhouette as scikit-learn's
//!   `silhouette_score`).
//! - Class profiles ([`profiles`]): size, mean of each indicator in its own units against the
//!   mean of the classified zones, and the mean z-scores.
//!
//! Labels are canonical: classes are numbered by first appearance in zone order (0, 1, …), so
//! two partitions compare label by label.

use super::{AnalysisError, code_text, find_name, numeric_values, result_table};
use crate::model::{Column, Field, FieldKind, Table};
use crate::value::{Missing, Value};
use std::cmp::Ordering;
use std::collections::{BTreeSet, BinaryHeap, HashMap};

/// The number of classes the user may ask for (k = 2 to 10).
pub const K_RANGE: std::ops::RangeInclusive<usize> = 2..=10;

/// Zones × indicators, zones with a missing value left out.
#[derive(Clone, Debug, PartialEq)]
pub struct Indicators {
    /// The indicator (field) names, in column order.
    pub fields: Vec<String>,
    /// For each kept zone, its row in the zone layer.
    pub zones: Vec<usize>,
    /// The raw values (indicator units), one row per kept zone, one column per indicator.
    pub values: Vec<Vec<f64>>,
    /// The zones left out and why.
    pub excluded: Vec<ExcludedZone>,
}

/// A zone left out of the typology.
#[derive(Clone, Debug, PartialEq)]
pub struct ExcludedZone {
    /// Its row in the zone layer.
    pub zone: usize,
    /// The first indicator that is missing.
    pub field: String,
    /// Why, in French (« secret statistique », « non disponible »…).
    pub reason: String,
}

impl Indicators {
    /// The indicators `fields` of the zones of `table` (`layer` names it in errors). A text
    /// value that is neither a number nor a missing marker is an error naming the field.
    pub fn from_table(
        table: &Table,
        fields: &[String],
        layer: &str,
    ) -> Result<Self, AnalysisError> {
        if fields.is_empty() {
            return Err(AnalysisError::InvalidParameter {
                name: "fields".to_owned(),
                message: "choisissez au moins un indicateur".to_owned(),
            });
        }
        let columns = fields
            .iter()
            .map(|f| numeric_values(table, f, layer))
            .collect::<Result<Vec<_>, _>>()?;
        let rows: Vec<Vec<Value>> = (0..table.len())
            .map(|r| {
                columns
                    .iter()
                    .map(|c| c.get(r).cloned().unwrap_or(Value::Missing(Missing::Empty)))
                    .collect()
            })
            .collect();
        Ok(Self::from_rows(fields.to_vec(), &rows))
    }

    /// The indicators from rows of values (one row per zone, one value per field).
    pub fn from_rows(fields: Vec<String>, rows: &[Vec<Value>]) -> Self {
        let mut out = Indicators {
            fields,
            zones: Vec::new(),
            values: Vec::new(),
            excluded: Vec::new(),
        };
        for (zone, row) in rows.iter().enumerate() {
            let mut values = Vec::with_capacity(out.fields.len());
            let mut missing = None;
            for (j, name) in out.fields.iter().enumerate() {
                let reason = match row.get(j) {
                    Some(Value::Number(x)) if x.is_finite() => {
                        values.push(*x);
                        continue;
                    }
                    Some(Value::Number(_)) => "valeur non finie".to_owned(),
                    Some(Value::Missing(m)) => m.label().to_owned(),
                    Some(Value::Text(t)) => format!("valeur non numérique « {t} »"),
                    None => Missing::Empty.label().to_owned(),
                };
                missing = Some((name.clone(), reason));
                break;
            }
            match missing {
                Some((field, reason)) => out.excluded.push(ExcludedZone {
                    zone,
                    field,
                    reason,
                }),
                None => {
                    out.zones.push(zone);
                    out.values.push(values);
                }
            }
        }
        out
    }
}

/// Standardised indicators: `z = (x − mean) / std`.
#[derive(Clone, Debug, PartialEq)]
pub struct Standardized {
    /// The mean of each indicator.
    pub mean: Vec<f64>,
    /// The population standard deviation (ddof = 0) of each indicator; 1 when it is constant
    /// (as scikit-learn's `StandardScaler`).
    pub std: Vec<f64>,
    /// The z-scores, one row per zone.
    pub z: Vec<Vec<f64>>,
}

/// Z-scores of `values` (rows = zones) with the population standard deviation (ddof = 0).
pub fn standardize(values: &[Vec<f64>]) -> Standardized {
    let d = values.first().map_or(0, Vec::len);
    let n = values.len() as f64;
    let mut mean = vec![0.0; d];
    for row in values {
        for (m, x) in mean.iter_mut().zip(row) {
            *m += x;
        }
    }
    for m in &mut mean {
        *m /= n;
    }
    let mut std = vec![0.0; d];
    for row in values {
        for ((s, x), m) in std.iter_mut().zip(row).zip(&mean) {
            *s += (x - m) * (x - m);
        }
    }
    for s in &mut std {
        *s = (*s / n).sqrt();
        // As scikit-learn: a (near-)zero scale is replaced by 1.
        if *s < 10.0 * f64::EPSILON {
            *s = 1.0;
        }
    }
    let z = values
        .iter()
        .map(|row| {
            row.iter()
                .zip(&mean)
                .zip(&std)
                .map(|((x, m), s)| (x - m) / s)
                .collect()
        })
        .collect();
    Standardized { mean, std, z }
}

/// Options of [`kmeans`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KMeansOptions {
    /// Number of restarts (each from its own k-means++ start); the best inertia is kept.
    pub n_init: usize,
    /// Maximum Lloyd iterations per restart.
    pub max_iter: usize,
    /// Relative tolerance: convergence when the total squared shift of the centres is at most
    /// `tol × mean variance of the indicators`.
    pub tol: f64,
    /// Seed of the random generator (same seed, same result).
    pub seed: u64,
}

impl Default for KMeansOptions {
    /// scikit-learn's defaults: 10 restarts, 300 iterations, `tol = 1e-4`; seed 0.
    fn default() -> Self {
        KMeansOptions {
            n_init: 10,
            max_iter: 300,
            tol: 1e-4,
            seed: 0,
        }
    }
}

/// The best k-means partition of the restarts.
#[derive(Clone, Debug, PartialEq)]
pub struct KMeansResult {
    /// Canonical class of each zone (0-based, by first appearance).
    pub labels: Vec<usize>,
    /// The centre of each class (same order as the labels), in z-score units.
    pub centroids: Vec<Vec<f64>>,
    /// Sum of squared distances of the zones to their centre.
    pub inertia: f64,
    /// Lloyd iterations of the kept restart.
    pub iterations: usize,
}

/// A small seeded generator (xoshiro256**, seeded by SplitMix64): deterministic everywhere.
struct Rng([u64; 4]);

impl Rng {
    fn new(seed: u64) -> Self {
        let mut s = seed;
        let mut next = || {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Rng([next(), next(), next(), next()])
    }

    fn next_u64(&mut self) -> u64 {
        let s = &mut self.0;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1).
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in 0..n (n > 0).
    fn index(&mut self, n: usize) -> usize {
        ((self.uniform() * n as f64) as usize).min(n.saturating_sub(1))
    }
}

fn dist2(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Checks a data matrix: at least `k` rows, `k ≥ 1`, rows of equal length, finite values.
fn check_data(data: &[Vec<f64>], k: usize) -> Result<usize, AnalysisError> {
    let d = data.first().map_or(0, Vec::len);
    if data.is_empty() || d == 0 {
        return Err(AnalysisError::EmptyLayer {
            layer: "la typologie (aucune zone avec tous ses indicateurs)".to_owned(),
        });
    }
    if data
        .iter()
        .any(|r| r.len() != d || r.iter().any(|x| !x.is_finite()))
    {
        return Err(AnalysisError::InvalidParameter {
            name: "indicateurs".to_owned(),
            message: "chaque zone doit avoir une valeur finie pour chaque indicateur".to_owned(),
        });
    }
    if k == 0 || k > data.len() {
        return Err(AnalysisError::InvalidParameter {
            name: "k".to_owned(),
            message: format!(
                "{k} classes demandées pour {} zone(s) classées : il en faut entre 1 et {}",
                data.len(),
                data.len()
            ),
        });
    }
    Ok(d)
}

/// Greedy k-means++ start, as scikit-learn's `_kmeans_plusplus`.
fn kmeans_plusplus(data: &[Vec<f64>], k: usize, rng: &mut Rng) -> Vec<Vec<f64>> {
    let n = data.len();
    let trials = 2 + (k as f64).ln().floor() as usize;
    let first = rng.index(n);
    let mut centres = vec![data[first].clone()];
    let mut closest: Vec<f64> = data.iter().map(|x| dist2(x, &data[first])).collect();
    let mut potential: f64 = closest.iter().sum();
    while centres.len() < k {
        let mut cumulative = Vec::with_capacity(n);
        let mut acc = 0.0;
        for c in &closest {
            acc += c;
            cumulative.push(acc);
        }
        let mut best: Option<(f64, usize, Vec<f64>)> = None;
        for _ in 0..trials {
            let r = rng.uniform() * potential;
            let candidate = cumulative.partition_point(|&c| c < r).min(n - 1);
            let new_closest: Vec<f64> = data
                .iter()
                .zip(&closest)
                .map(|(x, c)| c.min(dist2(x, &data[candidate])))
                .collect();
            let pot: f64 = new_closest.iter().sum();
            if best.as_ref().is_none_or(|(p, _, _)| pot < *p) {
                best = Some((pot, candidate, new_closest));
            }
        }
        let Some((pot, candidate, new_closest)) = best else {
            break;
        };
        centres.push(data[candidate].clone());
        closest = new_closest;
        potential = pot;
    }
    centres
}

/// One Lloyd run: labels, centres, inertia, iterations.
type LloydRun = (Vec<usize>, Vec<Vec<f64>>, f64, usize);

/// A row of the profile table: class, size, raw means, z means.
type ProfileRow = (Value, usize, Vec<f64>, Vec<f64>);

/// Nearest centre of each row and the inertia.
fn assign(data: &[Vec<f64>], centres: &[Vec<f64>], labels: &mut [usize]) -> f64 {
    let mut inertia = 0.0;
    for (x, l) in data.iter().zip(labels.iter_mut()) {
        let mut best = (f64::INFINITY, 0);
        for (j, c) in centres.iter().enumerate() {
            let d = dist2(x, c);
            if d < best.0 {
                best = (d, j);
            }
        }
        *l = best.1;
        inertia += best.0;
    }
    inertia
}

/// One Lloyd run from `centres`: (labels, centres, inertia, iterations).
fn lloyd(data: &[Vec<f64>], mut centres: Vec<Vec<f64>>, max_iter: usize, tol: f64) -> LloydRun {
    let n = data.len();
    let d = data.first().map_or(0, Vec::len);
    let k = centres.len();
    let mut labels = vec![usize::MAX; n];
    let mut previous = vec![usize::MAX; n];
    let mut iterations = 0;
    for it in 0..max_iter {
        iterations = it + 1;
        assign(data, &centres, &mut labels);
        let mut sums = vec![vec![0.0; d]; k];
        let mut counts = vec![0usize; k];
        for (x, &l) in data.iter().zip(&labels) {
            counts[l] += 1;
            for (s, v) in sums[l].iter_mut().zip(x) {
                *s += v;
            }
        }
        // An empty class takes the zone farthest from its centre (as scikit-learn relocates).
        for j in 0..k {
            if counts[j] == 0 {
                let far = (0..n).filter(|&i| counts[labels[i]] > 1).max_by(|&a, &b| {
                    dist2(&data[a], &centres[labels[a]])
                        .total_cmp(&dist2(&data[b], &centres[labels[b]]))
                });
                if let Some(i) = far {
                    let old = labels[i];
                    counts[old] -= 1;
                    for (s, v) in sums[old].iter_mut().zip(&data[i]) {
                        *s -= v;
                    }
                    labels[i] = j;
                    counts[j] = 1;
                    sums[j].clone_from(&data[i]);
                }
            }
        }
        let mut shift = 0.0;
        for j in 0..k {
            if counts[j] > 0 {
                let new: Vec<f64> = sums[j].iter().map(|s| s / counts[j] as f64).collect();
                shift += dist2(&new, &centres[j]);
                centres[j] = new;
            }
        }
        if labels == previous || shift <= tol {
            break;
        }
        previous.clone_from(&labels);
    }
    let inertia = assign(data, &centres, &mut labels);
    (labels, centres, inertia, iterations)
}

/// k-means of `data` (rows = zones, usually z-scores) into `k` classes: the best of
/// `options.n_init` seeded k-means++ restarts.
pub fn kmeans(
    data: &[Vec<f64>],
    k: usize,
    options: &KMeansOptions,
) -> Result<KMeansResult, AnalysisError> {
    let d = check_data(data, k)?;
    let n = data.len() as f64;
    let mean_variance = (0..d)
        .map(|j| {
            let m = data.iter().map(|r| r[j]).sum::<f64>() / n;
            data.iter().map(|r| (r[j] - m) * (r[j] - m)).sum::<f64>() / n
        })
        .sum::<f64>()
        / d as f64;
    let tol = options.tol * mean_variance;
    let mut rng = Rng::new(options.seed);
    let mut best: Option<LloydRun> = None;
    for _ in 0..options.n_init.max(1) {
        let start = kmeans_plusplus(data, k, &mut rng);
        let run = lloyd(data, start, options.max_iter.max(1), tol);
        if best.as_ref().is_none_or(|b| run.2 < b.2) {
            best = Some(run);
        }
    }
    let Some((labels, centres, inertia, iterations)) = best else {
        return Err(AnalysisError::EmptyLayer {
            layer: "la typologie".to_owned(),
        });
    };
    let (labels, order) = canonical(&labels);
    let centroids = order
        .iter()
        .filter_map(|&old| centres.get(old).cloned())
        .collect();
    Ok(KMeansResult {
        labels,
        centroids,
        inertia,
        iterations,
    })
}

/// Labels renumbered by first appearance (0, 1, …), and the old label of each new one.
fn canonical(labels: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let mut map: HashMap<usize, usize> = HashMap::new();
    let mut order = Vec::new();
    let out = labels
        .iter()
        .map(|&l| {
            *map.entry(l).or_insert_with(|| {
                order.push(l);
                order.len() - 1
            })
        })
        .collect();
    (out, order)
}

/// Labels renumbered by first appearance in zone order (0, 1, …): two partitions are the same
/// up to label order exactly when their canonical labels are equal.
pub fn canonical_labels(labels: &[usize]) -> Vec<usize> {
    canonical(labels).0
}

/// Sum of squared distances of the rows to the mean of their class.
pub fn inertia(data: &[Vec<f64>], labels: &[usize]) -> f64 {
    let d = data.first().map_or(0, Vec::len);
    let mut sums: HashMap<usize, (Vec<f64>, usize)> = HashMap::new();
    for (x, &l) in data.iter().zip(labels) {
        let e = sums.entry(l).or_insert_with(|| (vec![0.0; d], 0));
        for (s, v) in e.0.iter_mut().zip(x) {
            *s += v;
        }
        e.1 += 1;
    }
    data.iter()
        .zip(labels)
        .map(|(x, l)| {
            sums.get(l).map_or(0.0, |(s, c)| {
                x.iter()
                    .zip(s)
                    .map(|(v, s)| (v - s / *c as f64).powi(2))
                    .sum::<f64>()
            })
        })
        .sum()
}

/// Mean silhouette of a partition (Euclidean distances), as scikit-learn's
/// `silhouette_score`: `s = (b − a) / max(a, b)` per zone, 0 for a zone alone in its class.
/// `None` when there are fewer than 2 or as many classes as zones (undefined). O(n²) time,
/// O(n) memory.
pub fn silhouette(data: &[Vec<f64>], labels: &[usize]) -> Option<f64> {
    let n = data.len().min(labels.len());
    let (labels, _) = canonical(labels.get(..n)?);
    let k = labels.iter().max().map_or(0, |m| m + 1);
    if k < 2 || k >= n {
        return None;
    }
    let mut counts = vec![0usize; k];
    for &l in &labels {
        counts[l] += 1;
    }
    let mut total = 0.0;
    let mut sums = vec![0.0; k];
    for i in 0..n {
        sums.iter_mut().for_each(|s| *s = 0.0);
        for j in 0..n {
            if i != j {
                sums[labels[j]] += dist2(&data[i], &data[j]).sqrt();
            }
        }
        let own = labels[i];
        if counts[own] <= 1 {
            continue;
        }
        let a = sums[own] / (counts[own] - 1) as f64;
        let b = (0..k)
            .filter(|&c| c != own && counts[c] > 0)
            .map(|c| sums[c] / counts[c] as f64)
            .fold(f64::INFINITY, f64::min);
        let m = a.max(b);
        if m > 0.0 {
            total += (b - a) / m;
        }
    }
    Some(total / n as f64)
}

/// One merge of a Ward dendrogram.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Merge {
    /// A zone (row) of the first cluster merged.
    pub a: usize,
    /// A zone (row) of the second cluster merged.
    pub b: usize,
    /// The Ward distance of the two clusters (SciPy's linkage height).
    pub height: f64,
    /// The size of the merged cluster.
    pub size: usize,
}

/// Ward distance squared of two clusters from their sizes and centroids.
fn ward2(na: f64, ca: &[f64], nb: f64, cb: &[f64]) -> f64 {
    2.0 * na * nb / (na + nb) * dist2(ca, cb)
}

/// The Ward dendrogram of `data` (n − 1 merges, sorted by height as SciPy sorts them) by the
/// nearest-neighbour chain algorithm with SciPy's tie rule, in O(n × indicators) memory.
pub fn ward_linkage(data: &[Vec<f64>]) -> Result<Vec<Merge>, AnalysisError> {
    let d = check_data(data, 1)?;
    let n = data.len();
    let mut centroid: Vec<f64> = data.iter().flatten().copied().collect();
    let mut size = vec![1.0f64; n];
    let mut merges = Vec::with_capacity(n.saturating_sub(1));
    let mut chain: Vec<usize> = Vec::with_capacity(n);
    let c = |centroid: &[f64], i: usize| -> Vec<f64> { centroid[i * d..(i + 1) * d].to_vec() };
    for _ in 1..n {
        if chain.is_empty()
            && let Some(first) = (0..n).find(|&i| size[i] > 0.0)
        {
            chain.push(first);
        }
        let (x, y, best) = loop {
            let Some(&x) = chain.last() else {
                return Err(AnalysisError::EmptyLayer {
                    layer: "la typologie".to_owned(),
                });
            };
            let cx = c(&centroid, x);
            let (mut y, mut best) = match chain.len() {
                l if l > 1 => {
                    let y = chain[l - 2];
                    (
                        y,
                        ward2(size[x], &cx, size[y], &centroid[y * d..(y + 1) * d]),
                    )
                }
                _ => (usize::MAX, f64::INFINITY),
            };
            for i in 0..n {
                if size[i] == 0.0 || i == x {
                    continue;
                }
                let dist = ward2(size[x], &cx, size[i], &centroid[i * d..(i + 1) * d]);
                if dist < best {
                    best = dist;
                    y = i;
                }
            }
            if chain.len() > 1 && chain.get(chain.len() - 2) == Some(&y) {
                chain.truncate(chain.len() - 2);
                break (x, y, best);
            }
            if y == usize::MAX {
                return Err(AnalysisError::EmptyLayer {
                    layer: "la typologie".to_owned(),
                });
            }
            chain.push(y);
        };
        let (x, y) = if x < y { (x, y) } else { (y, x) };
        let (nx, ny) = (size[x], size[y]);
        let cx = c(&centroid, x);
        for (j, v) in cx.iter().enumerate() {
            let cy = &mut centroid[y * d + j];
            *cy = (nx * v + ny * *cy) / (nx + ny);
        }
        size[x] = 0.0;
        size[y] = nx + ny;
        merges.push(Merge {
            a: x,
            b: y,
            height: best.sqrt(),
            size: (nx + ny) as usize,
        });
    }
    // SciPy sorts the merges by height with a stable sort.
    merges.sort_by(|p, q| p.height.total_cmp(&q.height));
    Ok(merges)
}

/// Minimal union-find over zones.
struct UnionFind(Vec<usize>);

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind((0..n).collect())
    }
    fn find(&mut self, mut i: usize) -> usize {
        while self.0[i] != i {
            self.0[i] = self.0[self.0[i]];
            i = self.0[i];
        }
        i
    }
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.0[ra.max(rb)] = ra.min(rb);
        }
    }
    fn labels(&mut self) -> Vec<usize> {
        let roots: Vec<usize> = (0..self.0.len()).map(|i| self.find(i)).collect();
        canonical(&roots).0
    }
}

/// The partition of `n` zones into `k` classes from a dendrogram sorted by height: the first
/// `n − k` merges (SciPy's `fcluster(Z, k, criterion="maxclust")` when heights do not tie at
/// the cut). Canonical labels.
pub fn cut(n: usize, merges: &[Merge], k: usize) -> Vec<usize> {
    let mut uf = UnionFind::new(n);
    for m in merges.iter().take(n.saturating_sub(k)) {
        if m.a < n && m.b < n {
            uf.union(m.a, m.b);
        }
    }
    uf.labels()
}

/// Ward hierarchical clustering of `data` cut at `k` classes (canonical labels).
pub fn ward(data: &[Vec<f64>], k: usize) -> Result<Vec<usize>, AnalysisError> {
    check_data(data, k)?;
    let merges = ward_linkage(data)?;
    Ok(cut(data.len(), &merges, k))
}

/// A candidate merge of two neighbouring clusters in the contiguity-constrained Ward.
#[derive(PartialEq)]
struct Candidate {
    d2: f64,
    a: usize,
    b: usize,
    va: u32,
    vb: u32,
}

impl Eq for Candidate {}

impl Ord for Candidate {
    /// Reversed: the smallest distance (then the lowest indices) on top of the heap.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .d2
            .total_cmp(&self.d2)
            .then(other.a.cmp(&self.a))
            .then(other.b.cmp(&self.b))
    }
}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The clusters of the contiguity-constrained agglomeration.
struct Regions {
    d: usize,
    centroid: Vec<f64>,
    size: Vec<f64>,
    population: Vec<f64>,
    neighbours: Vec<BTreeSet<usize>>,
    version: Vec<u32>,
    active: Vec<bool>,
    uf: UnionFind,
}

impl Regions {
    fn d2(&self, a: usize, b: usize) -> f64 {
        let d = self.d;
        ward2(
            self.size[a],
            &self.centroid[a * d..(a + 1) * d],
            self.size[b],
            &self.centroid[b * d..(b + 1) * d],
        )
    }

    /// Merges `b` into `a` and returns the new candidates of `a`.
    fn merge(&mut self, a: usize, b: usize) -> Vec<Candidate> {
        let (a, b) = (a.min(b), a.max(b));
        let d = self.d;
        let (na, nb) = (self.size[a], self.size[b]);
        for j in 0..d {
            let cb = self.centroid[b * d + j];
            let ca = &mut self.centroid[a * d + j];
            *ca = (na * *ca + nb * cb) / (na + nb);
        }
        self.size[a] = na + nb;
        self.population[a] += self.population[b];
        self.active[b] = false;
        self.uf.union(a, b);
        let nb_set = std::mem::take(&mut self.neighbours[b]);
        for &m in &nb_set {
            if m != a {
                self.neighbours[m].remove(&b);
                self.neighbours[m].insert(a);
                self.neighbours[a].insert(m);
            }
        }
        self.neighbours[a].remove(&b);
        self.neighbours[a].remove(&a);
        self.version[a] += 1;
        self.version[b] += 1;
        let list: Vec<usize> = self.neighbours[a].iter().copied().collect();
        list.into_iter()
            .map(|m| Candidate {
                d2: self.d2(a, m),
                a: a.min(m),
                b: a.max(m),
                va: self.version[a.min(m)],
                vb: self.version[a.max(m)],
            })
            .collect()
    }
}

/// The result of [`ward_contiguous`].
#[derive(Clone, Debug, PartialEq)]
pub struct ContiguousResult {
    /// Canonical region of each zone.
    pub labels: Vec<usize>,
    /// Number of regions.
    pub regions: usize,
    /// Number of separate pieces of the neighbour graph (a region never spans two): when it
    /// exceeds k there are that many regions.
    pub components: usize,
    /// Merges done to bring regions to the minimum population.
    pub population_merges: usize,
    /// Regions (canonical labels) still under the minimum population: they have no neighbour
    /// left to merge with (an island).
    pub below_minimum: Vec<usize>,
}

/// Contiguity-constrained Ward clustering: starting from one region per zone, the pair of
/// **neighbouring** regions with the smallest Ward distance merges, until `k` regions remain
/// (or no neighbouring pair is left). Then, with `population` (one figure per zone) and
/// `min_population`, the region with the smallest population under the minimum merges with its
/// most similar neighbour (smallest Ward distance), until every region reaches the minimum or
/// has no neighbour: there may then be fewer than `k` regions. `adjacency[i]` lists the
/// neighbours of zone `i` (rows of `data`); it is made symmetric.
pub fn ward_contiguous(
    data: &[Vec<f64>],
    adjacency: &[Vec<usize>],
    k: usize,
    population: Option<&[f64]>,
    min_population: f64,
) -> Result<ContiguousResult, AnalysisError> {
    let d = check_data(data, k)?;
    let n = data.len();
    if adjacency.len() != n {
        return Err(AnalysisError::InvalidParameter {
            name: "voisinage".to_owned(),
            message: format!(
                "{} listes de voisins pour {n} zones classées",
                adjacency.len()
            ),
        });
    }
    let population = match population {
        Some(p) if p.len() != n => {
            return Err(AnalysisError::InvalidParameter {
                name: "population".to_owned(),
                message: format!("{} populations pour {n} zones classées", p.len()),
            });
        }
        Some(p) => p.to_vec(),
        None => vec![0.0; n],
    };
    let mut neighbours = vec![BTreeSet::new(); n];
    for (i, list) in adjacency.iter().enumerate() {
        for &j in list {
            if j >= n {
                return Err(AnalysisError::InvalidParameter {
                    name: "voisinage".to_owned(),
                    message: format!("voisin {j} de la zone {i} hors des {n} zones"),
                });
            }
            if j != i {
                neighbours[i].insert(j);
                neighbours[j].insert(i);
            }
        }
    }
    let mut r = Regions {
        d,
        centroid: data.iter().flatten().copied().collect(),
        size: vec![1.0; n],
        population,
        neighbours,
        version: vec![0; n],
        active: vec![true; n],
        uf: UnionFind::new(n),
    };
    let mut heap = BinaryHeap::new();
    for i in 0..n {
        for &j in r.neighbours[i].range(i + 1..) {
            heap.push(Candidate {
                d2: r.d2(i, j),
                a: i,
                b: j,
                va: 0,
                vb: 0,
            });
        }
    }
    let mut regions = n;
    while regions > k {
        let Some(c) = heap.pop() else { break };
        if !r.active[c.a] || !r.active[c.b] || r.version[c.a] != c.va || r.version[c.b] != c.vb {
            continue;
        }
        for cand in r.merge(c.a, c.b) {
            heap.push(cand);
        }
        regions -= 1;
    }
    // Connected pieces of the neighbour graph.
    let mut pieces = UnionFind::new(n);
    for (i, list) in adjacency.iter().enumerate() {
        for &j in list {
            pieces.union(i, j);
        }
    }
    let components = pieces.labels().iter().max().map_or(0, |m| m + 1);
    let mut population_merges = 0;
    let mut stuck: BTreeSet<usize> = BTreeSet::new();
    if min_population > 0.0 {
        loop {
            let small = (0..n)
                .filter(|&i| r.active[i] && r.population[i] < min_population && !stuck.contains(&i))
                .min_by(|&a, &b| r.population[a].total_cmp(&r.population[b]).then(a.cmp(&b)));
            let Some(small) = small else { break };
            let best = r.neighbours[small]
                .iter()
                .map(|&m| (r.d2(small, m), m))
                .min_by(|p, q| p.0.total_cmp(&q.0).then(p.1.cmp(&q.1)));
            match best {
                Some((_, m)) => {
                    r.merge(small, m);
                    population_merges += 1;
                    regions -= 1;
                }
                None => {
                    stuck.insert(small);
                }
            }
        }
    }
    let labels = r.uf.labels();
    let below_minimum = stuck
        .iter()
        .filter_map(|&s| labels.get(s).copied())
        .collect();
    Ok(ContiguousResult {
        labels,
        regions,
        components,
        population_merges,
        below_minimum,
    })
}

/// The figures used to choose k, for one k.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KScore {
    /// Number of classes.
    pub k: usize,
    /// Inertia of the best k-means partition (elbow figure).
    pub inertia: f64,
    /// Mean silhouette of that partition (`None` when undefined).
    pub silhouette: Option<f64>,
}

/// Inertia and mean silhouette of the best k-means partition for each k of `ks` (k larger than
/// the number of zones is skipped).
pub fn k_scores(
    data: &[Vec<f64>],
    ks: std::ops::RangeInclusive<usize>,
    options: &KMeansOptions,
) -> Result<Vec<KScore>, AnalysisError> {
    let mut out = Vec::new();
    for k in ks.filter(|&k| k >= 1 && k <= data.len()) {
        let r = kmeans(data, k, options)?;
        out.push(KScore {
            k,
            inertia: r.inertia,
            silhouette: silhouette(data, &r.labels),
        });
    }
    Ok(out)
}

/// The profile of one class.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassProfile {
    /// The class (canonical label, 0-based).
    pub class: usize,
    /// Number of zones.
    pub size: usize,
    /// Mean of each indicator over the class, in the indicator's units.
    pub mean: Vec<f64>,
    /// Mean z-score of each indicator over the class (the class profile).
    pub mean_z: Vec<f64>,
}

/// The profile of each class of `labels`: size, means in raw units and in z-scores (unweighted
/// means of the zones).
pub fn profiles(values: &[Vec<f64>], z: &[Vec<f64>], labels: &[usize]) -> Vec<ClassProfile> {
    let d = values.first().map_or(0, Vec::len);
    let k = labels.iter().max().map_or(0, |m| m + 1);
    let mut out: Vec<ClassProfile> = (0..k)
        .map(|class| ClassProfile {
            class,
            size: 0,
            mean: vec![0.0; d],
            mean_z: vec![0.0; d],
        })
        .collect();
    for ((x, zx), &l) in values.iter().zip(z).zip(labels) {
        if let Some(p) = out.get_mut(l) {
            p.size += 1;
            for (m, v) in p.mean.iter_mut().zip(x) {
                *m += v;
            }
            for (m, v) in p.mean_z.iter_mut().zip(zx) {
                *m += v;
            }
        }
    }
    for p in &mut out {
        let s = p.size.max(1) as f64;
        p.mean.iter_mut().for_each(|m| *m /= s);
        p.mean_z.iter_mut().for_each(|m| *m /= s);
    }
    out.retain(|p| p.size > 0);
    out
}

/// The clustering method of a [`Typology`].
#[derive(Clone, Debug, PartialEq)]
pub enum Method {
    /// k-means with its options.
    KMeans(KMeansOptions),
    /// Ward hierarchical clustering.
    Ward,
    /// Contiguity-constrained Ward with a minimum population per region.
    WardContiguous {
        /// Neighbours of each zone of the layer (rows of the layer, not of the kept zones).
        adjacency: Vec<Vec<usize>>,
        /// Population of each zone of the layer (`None` when missing).
        population: Vec<Option<f64>>,
        /// Minimum population of a region (0: none).
        min_population: f64,
    },
}

/// A typology of zones: the classes and their profiles.
#[derive(Clone, Debug, PartialEq)]
pub struct Typology {
    /// The indicators and the zones kept or left out.
    pub indicators: Indicators,
    /// Their standardisation.
    pub standardized: Standardized,
    /// Canonical class of each kept zone (0-based; shown 1-based).
    pub labels: Vec<usize>,
    /// The profile of each class.
    pub profiles: Vec<ClassProfile>,
    /// Mean of each indicator over the classified zones.
    pub overall_mean: Vec<f64>,
    /// Mean silhouette of the partition (`None` when undefined).
    pub silhouette: Option<f64>,
    /// Inertia (within-class sum of squares, z-score units).
    pub inertia: f64,
    /// The method in words, in French.
    pub method_text: String,
    /// Notes for the user (pieces of the neighbour graph, regions under the minimum…).
    pub notes: Vec<String>,
}

/// Classifies the zones of `indicators` into `k` classes (k in [`K_RANGE`]) with `method`.
pub fn typology(
    indicators: Indicators,
    k: usize,
    method: &Method,
) -> Result<Typology, AnalysisError> {
    if !K_RANGE.contains(&k) {
        return Err(AnalysisError::InvalidParameter {
            name: "k".to_owned(),
            message: format!(
                "le nombre de classes doit être compris entre {} et {} ({k} demandé)",
                K_RANGE.start(),
                K_RANGE.end()
            ),
        });
    }
    let mut indicators = indicators;
    let mut notes = Vec::new();
    // Zones without population cannot be protected by the minimum: left out with the reason.
    if let Method::WardContiguous {
        population,
        min_population,
        ..
    } = method
        && *min_population > 0.0
    {
        let mut kept = Vec::new();
        let mut values = Vec::new();
        for (zone, row) in indicators.zones.iter().zip(&indicators.values) {
            match population.get(*zone).copied().flatten() {
                Some(p) if p.is_finite() => {
                    kept.push(*zone);
                    values.push(row.clone());
                }
                _ => indicators.excluded.push(ExcludedZone {
                    zone: *zone,
                    field: "population".to_owned(),
                    reason: "population manquante".to_owned(),
                }),
            }
        }
        indicators.zones = kept;
        indicators.values = values;
        indicators.excluded.sort_by_key(|e| e.zone);
    }
    let standardized = standardize(&indicators.values);
    let z = &standardized.z;
    let (labels, method_text) = match method {
        Method::KMeans(options) => {
            let r = kmeans(z, k, options)?;
            (
                r.labels,
                format!(
                    "k-means (k = {k}, {} départs k-means++, graine {}), indicateurs centrés \
                     réduits (écart-type de population)",
                    options.n_init, options.seed
                ),
            )
        }
        Method::Ward => (
            ward(z, k)?,
            format!(
                "classification ascendante hiérarchique de Ward (k = {k}), indicateurs centrés \
                 réduits (écart-type de population)"
            ),
        ),
        Method::WardContiguous {
            adjacency,
            population,
            min_population,
        } => {
            let mut row_of = HashMap::new();
            for (row, zone) in indicators.zones.iter().enumerate() {
                row_of.insert(*zone, row);
            }
            let sub: Vec<Vec<usize>> = indicators
                .zones
                .iter()
                .map(|zone| {
                    adjacency
                        .get(*zone)
                        .map(|l| l.iter().filter_map(|z| row_of.get(z).copied()).collect())
                        .unwrap_or_default()
                })
                .collect();
            let pop: Vec<f64> = indicators
                .zones
                .iter()
                .map(|zone| population.get(*zone).copied().flatten().unwrap_or(0.0))
                .collect();
            let r = ward_contiguous(z, &sub, k, Some(&pop), *min_population)?;
            if r.components > k {
                notes.push(format!(
                    "le voisinage des zones classées forme {} morceaux séparés : {} régions au \
                     lieu de {k}",
                    r.components, r.components
                ));
            }
            if r.population_merges > 0 {
                notes.push(format!(
                    "{} fusion(s) pour atteindre la population minimale : {} région(s)",
                    r.population_merges, r.regions
                ));
            }
            if !r.below_minimum.is_empty() {
                notes.push(format!(
                    "{} région(s) restent sous la population minimale faute de voisin",
                    r.below_minimum.len()
                ));
            }
            (
                r.labels,
                format!(
                    "Ward sous contrainte de contiguïté (k = {k}, population minimale {} par \
                     région), indicateurs centrés réduits (écart-type de population)",
                    crate::value::format_number(*min_population)
                ),
            )
        }
    };
    if !indicators.excluded.is_empty() {
        notes.push(format!(
            "{} zone(s) écartée(s) faute de valeur (jamais comptées comme 0)",
            indicators.excluded.len()
        ));
    }
    let profiles = profiles(&indicators.values, z, &labels);
    Ok(Typology {
        overall_mean: standardized.mean.clone(),
        silhouette: silhouette(z, &labels),
        inertia: inertia(z, &labels),
        indicators,
        labels,
        profiles,
        method_text,
        notes,
        standardized,
    })
}

impl Typology {
    /// One row per zone of the layer `zones` (same rows): code, name, class (1-based; missing
    /// with the reason for a zone left out), the reason it was left out.
    pub fn zones_table(&self, zones: &Table, code_field: &str, name_field: Option<&str>) -> Table {
        let n = zones.len();
        let code_i = zones.field_index(code_field);
        let name_i = name_field
            .and_then(|f| zones.field_index(f))
            .or_else(|| find_name(zones, super::NAME_NAMES));
        let text = |i: Option<usize>, r: usize| -> Value {
            i.and_then(|i| zones.fields.get(i))
                .and_then(|f| f.values.get(r))
                .and_then(code_text)
                .map_or(Value::Missing(Missing::Empty), Value::Text)
        };
        let mut class = vec![Value::Missing(Missing::Empty); n];
        let mut reason = vec![Value::Missing(Missing::NotApplicable); n];
        for (zone, l) in self.indicators.zones.iter().zip(&self.labels) {
            if let Some(c) = class.get_mut(*zone) {
                *c = Value::Number((l + 1) as f64);
            }
        }
        for e in &self.indicators.excluded {
            if let Some(c) = class.get_mut(e.zone) {
                *c = Value::Missing(Missing::Incomplete);
            }
            if let Some(r) = reason.get_mut(e.zone) {
                *r = Value::Text(format!("{} : {}", e.field, e.reason));
            }
        }
        let fields = vec![
            Field {
                name: "code".to_owned(),
                kind: FieldKind::Text,
                values: (0..n).map(|r| text(code_i, r)).collect(),
            },
            Field {
                name: "nom".to_owned(),
                kind: FieldKind::Text,
                values: (0..n).map(|r| text(name_i, r)).collect(),
            },
            Field {
                name: "classe".to_owned(),
                kind: FieldKind::Number,
                values: Column::from(class),
            },
            Field {
                name: "motif_exclusion".to_owned(),
                kind: FieldKind::Text,
                values: Column::from(reason),
            },
        ];
        result_table(n, fields)
    }

    /// One row per class then one for all classified zones: size, then for each indicator its
    /// mean (indicator units), the gap to the overall mean and the mean z-score.
    pub fn profiles_table(&self) -> Table {
        let mut rows: Vec<ProfileRow> = self
            .profiles
            .iter()
            .map(|p| {
                (
                    Value::Text(format!("classe {}", p.class + 1)),
                    p.size,
                    p.mean.clone(),
                    p.mean_z.clone(),
                )
            })
            .collect();
        let d = self.indicators.fields.len();
        rows.push((
            Value::Text("ensemble des zones classées".to_owned()),
            self.labels.len(),
            self.overall_mean.clone(),
            vec![0.0; d],
        ));
        let mut fields = vec![
            Field {
                name: "classe".to_owned(),
                kind: FieldKind::Text,
                values: rows.iter().map(|r| r.0.clone()).collect(),
            },
            Field {
                name: "nombre de zones".to_owned(),
                kind: FieldKind::Number,
                values: rows.iter().map(|r| Value::Number(r.1 as f64)).collect(),
            },
        ];
        for (j, name) in self.indicators.fields.iter().enumerate() {
            let num = |f: &dyn Fn(&ProfileRow) -> f64| -> Vec<Value> {
                rows.iter().map(|r| Value::Number(f(r))).collect()
            };
            let overall = self.overall_mean.get(j).copied().unwrap_or(f64::NAN);
            fields.push(Field {
                name: format!("{name} moyenne"),
                kind: FieldKind::Number,
                values: Column::from(num(&|r| r.2.get(j).copied().unwrap_or(f64::NAN))),
            });
            fields.push(Field {
                name: format!("{name} écart à l'ensemble"),
                kind: FieldKind::Number,
                values: Column::from(num(&|r| r.2.get(j).copied().unwrap_or(f64::NAN) - overall)),
            });
            fields.push(Field {
                name: format!("{name} score z moyen"),
                kind: FieldKind::Number,
                values: Column::from(num(&|r| r.3.get(j).copied().unwrap_or(f64::NAN))),
            });
        }
        result_table(rows.len(), fields)
    }
}

/// Neighbours by shared vertex (two zones are neighbours when a vertex of one has exactly the
/// coordinates of a vertex of the other): queen contiguity for layers whose borders are
/// digitised once (as IGN's ADMIN EXPRESS). Temporary: to be replaced by the queen weights of
/// `analysis::weights` (which also handle vertices lying on the other zone's edges).
pub fn shared_vertex_adjacency(geometries: &[geo::MultiPolygon<f64>]) -> Vec<Vec<usize>> {
    let mut by_vertex: HashMap<(u64, u64), Vec<usize>> = HashMap::new();
    for (i, mp) in geometries.iter().enumerate() {
        for poly in &mp.0 {
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                for c in ring.coords() {
                    let key = ((c.x + 0.0).to_bits(), (c.y + 0.0).to_bits());
                    let list = by_vertex.entry(key).or_default();
                    if list.last() != Some(&i) {
                        list.push(i);
                    }
                }
            }
        }
    }
    let mut sets = vec![BTreeSet::new(); geometries.len()];
    for zones in by_vertex.values() {
        for &a in zones {
            for &b in zones {
                if a != b {
                    sets[a].insert(b);
                }
            }
        }
    }
    sets.into_iter().map(|s| s.into_iter().collect()).collect()
}
