//! Spatial autocorrelation of an indicator: global Moran's I and local Moran (LISA), with
//! permutation pseudo p-values, as PySAL `esda` computes them (`Moran`, `Moran_Local`).
//!
//! - Global: `I = n / S0 · Σᵢ zᵢ·lagᵢ / Σᵢ zᵢ²`, `z = y − ȳ`, row-standardised queen weights
//!   ([`Weights`]); pseudo p-value from `permutations` random permutations of the values.
//! - Local: `Iᵢ = (n − 1) · zᵢ · lagᵢ / Σⱼ zⱼ²` with `z` standardised (population standard
//!   deviation); conditional permutations: for zone `i`, its `kᵢ` neighbours are replaced by
//!   `kᵢ` values drawn without replacement among the `n − 1` other zones.
//! - Pseudo p-value (both): `larger` = number of permuted statistics ≥ the observed one,
//!   folded (`larger ← permutations − larger` when that is smaller, esda's rule), then
//!   `p = (larger + 1) / (permutations + 1)`.
//!
//! Random numbers: a hand-written SplitMix64 (Steele, Lea & Flood 2014), seeded by the user's
//! seed mixed with the zone's position for the local statistics, so that results do not depend
//! on the number of threads. The draws are not numpy's: p-values agree with esda within
//! permutation noise, not digit for digit.
//!
//! Zones whose value is missing are left out of the weights ([`Weights::subset`]) and reported
//! in [`Lisa::left_out`]; islands (no neighbour) have `Iᵢ = 0`, no p-value and the label
//! [`Cluster::Island`].

use super::AnalysisError;
use super::weights::Weights;
use crate::model::Table;
use crate::value::{Missing, Value};

/// Permutations drawn by default (GeoDa and esda).
pub const DEFAULT_PERMUTATIONS: usize = 999;
/// Seed of the pseudo-random generator by default.
pub const DEFAULT_SEED: u64 = 12_345;
/// Significance threshold by default.
pub const DEFAULT_ALPHA: f64 = 0.05;

/// GeoDa's colour of the High-High cluster.
pub const COLOUR_HH: [u8; 3] = [0xFF, 0x00, 0x00];
/// GeoDa's colour of the Low-Low cluster.
pub const COLOUR_LL: [u8; 3] = [0x00, 0x00, 0xFF];
/// GeoDa's colour of the Low-High cluster.
pub const COLOUR_LH: [u8; 3] = [0xA7, 0xAD, 0xF9];
/// GeoDa's colour of the High-Low cluster.
pub const COLOUR_HL: [u8; 3] = [0xF4, 0xAD, 0xA8];
/// GeoDa's colour of non-significant zones.
pub const COLOUR_NS: [u8; 3] = [0xEE, 0xEE, 0xEE];
/// Colour of islands (zones without neighbour; GeoDa's grey for "neighborless").
pub const COLOUR_ISLAND: [u8; 3] = [0x99, 0x99, 0x99];

/// Relative tolerance under which a permuted spatial lag equals the observed one (a tie).
const TIE_TOLERANCE: f64 = 1e-10;

/// SplitMix64 (Steele, Lea & Flood 2014): a small deterministic pseudo-random generator.
#[derive(Clone, Debug)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform integer in `0..bound` (`bound` > 0), by Lemire's multiply-and-reject method.
    pub fn below(&mut self, bound: usize) -> usize {
        let bound = bound as u64;
        if bound == 0 {
            return 0;
        }
        let threshold = bound.wrapping_neg() % bound;
        loop {
            let m = u128::from(self.next_u64()) * u128::from(bound);
            if (m as u64) >= threshold {
                return (m >> 64) as usize;
            }
        }
    }
}

/// The seed of zone `i`'s generator: the user's seed and the position, mixed.
fn zone_seed(seed: u64, i: usize) -> u64 {
    let mut g = SplitMix64(seed ^ (i as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
    g.next_u64()
}

/// esda's folded pseudo p-value from the count of permuted statistics ≥ the observed one.
pub fn folded_p_value(larger: usize, permutations: usize) -> f64 {
    let larger = larger.min(permutations);
    let larger = if permutations - larger < larger {
        permutations - larger
    } else {
        larger
    };
    (larger as f64 + 1.0) / (permutations as f64 + 1.0)
}

/// Global Moran's I of one indicator.
#[derive(Clone, Debug, PartialEq)]
pub struct GlobalMoran {
    /// Moran's I.
    pub i: f64,
    /// Its expectation under no autocorrelation, `−1 / (n − 1)`.
    pub expected: f64,
    /// Pseudo p-value from the permutations (`None` without permutations).
    pub p_sim: Option<f64>,
    /// Number of permutations drawn.
    pub permutations: usize,
}

/// Quadrant of the Moran scatter plot (value vs spatial lag, both centred).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Quadrant {
    /// High value, high neighbours (esda `q = 1`).
    HighHigh,
    /// Low value, high neighbours (esda `q = 2`).
    LowHigh,
    /// Low value, low neighbours (esda `q = 3`).
    LowLow,
    /// High value, low neighbours (esda `q = 4`).
    HighLow,
}

impl Quadrant {
    /// esda's quadrant number (1 HH, 2 LH, 3 LL, 4 HL).
    pub fn esda_code(self) -> u8 {
        match self {
            Quadrant::HighHigh => 1,
            Quadrant::LowHigh => 2,
            Quadrant::LowLow => 3,
            Quadrant::HighLow => 4,
        }
    }

    /// The short label (HH, LH, LL, HL).
    pub fn short(self) -> &'static str {
        match self {
            Quadrant::HighHigh => "HH",
            Quadrant::LowHigh => "LH",
            Quadrant::LowLow => "LL",
            Quadrant::HighLow => "HL",
        }
    }

    /// esda's rule: high when strictly above the mean (z > 0), same for the lag.
    fn of(z: f64, lag: f64) -> Quadrant {
        match (z > 0.0, lag > 0.0) {
            (true, true) => Quadrant::HighHigh,
            (false, true) => Quadrant::LowHigh,
            (false, false) => Quadrant::LowLow,
            (true, false) => Quadrant::HighLow,
        }
    }
}

/// The class of a zone on the LISA cluster map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cluster {
    /// Significant, high value among high values.
    HighHigh,
    /// Significant, low value among low values.
    LowLow,
    /// Significant, low value among high values.
    LowHigh,
    /// Significant, high value among low values.
    HighLow,
    /// Not significant at the chosen threshold (or no permutation drawn).
    NotSignificant,
    /// No neighbour: no local statistic.
    Island,
}

impl Cluster {
    /// The French label shown on maps, legends and exports.
    pub fn label(self) -> &'static str {
        match self {
            Cluster::HighHigh => "Élevé-Élevé",
            Cluster::LowLow => "Faible-Faible",
            Cluster::LowHigh => "Faible-Élevé",
            Cluster::HighLow => "Élevé-Faible",
            Cluster::NotSignificant => "Non significatif",
            Cluster::Island => "Sans voisin",
        }
    }

    /// GeoDa's colour (RGB).
    pub fn colour(self) -> [u8; 3] {
        match self {
            Cluster::HighHigh => COLOUR_HH,
            Cluster::LowLow => COLOUR_LL,
            Cluster::LowHigh => COLOUR_LH,
            Cluster::HighLow => COLOUR_HL,
            Cluster::NotSignificant => COLOUR_NS,
            Cluster::Island => COLOUR_ISLAND,
        }
    }

    fn of(q: Quadrant, p: Option<f64>, alpha: f64, island: bool) -> Cluster {
        match p {
            _ if island => Cluster::Island,
            None => Cluster::NotSignificant,
            Some(p) if p <= alpha => match q {
                Quadrant::HighHigh => Cluster::HighHigh,
                Quadrant::LowLow => Cluster::LowLow,
                Quadrant::LowHigh => Cluster::LowHigh,
                Quadrant::HighLow => Cluster::HighLow,
            },
            Some(_) => Cluster::NotSignificant,
        }
    }
}

/// Local Moran statistics, one per zone of the weights.
#[derive(Clone, Debug, PartialEq)]
pub struct LocalMoran {
    /// Local Moran `Iᵢ`.
    pub ii: Vec<f64>,
    /// Quadrant of the Moran scatter plot.
    pub quadrant: Vec<Quadrant>,
    /// Pseudo p-value of the conditional permutations (`None` for an island or without
    /// permutations).
    pub p_sim: Vec<Option<f64>>,
    /// Cluster at the threshold `alpha`.
    pub cluster: Vec<Cluster>,
}

fn check_inputs(values: &[f64], w: &Weights) -> Result<(), AnalysisError> {
    if values.len() != w.len() {
        return Err(AnalysisError::InvalidParameter {
            name: "valeurs".into(),
            message: format!(
                "{} valeurs pour {} zones dans les pondérations",
                values.len(),
                w.len()
            ),
        });
    }
    if values.len() < 3 {
        return Err(AnalysisError::InvalidParameter {
            name: "valeurs".into(),
            message: format!(
                "au moins 3 zones renseignées sont nécessaires ({} ici)",
                values.len()
            ),
        });
    }
    if let Some(x) = values.iter().find(|x| !x.is_finite()) {
        return Err(AnalysisError::InvalidParameter {
            name: "valeurs".into(),
            message: format!("valeur non finie ({x})"),
        });
    }
    let first = values.first().copied().unwrap_or_default();
    if values.iter().all(|x| *x == first) {
        return Err(AnalysisError::InvalidParameter {
            name: "valeurs".into(),
            message: "toutes les zones ont la même valeur : pas d'autocorrélation à mesurer".into(),
        });
    }
    Ok(())
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// `Σᵢ zᵢ · lagᵢ(z)` with row-standardised weights.
fn cross_lag(z: &[f64], w: &Weights) -> f64 {
    w.neighbours
        .iter()
        .zip(z)
        .filter(|(l, _)| !l.is_empty())
        .map(|(l, zi)| {
            zi * l
                .iter()
                .map(|j| z.get(*j).copied().unwrap_or(0.0))
                .sum::<f64>()
                / l.len() as f64
        })
        .sum()
}

/// Global Moran's I of `values` (one per zone of `w`) with its permutation pseudo p-value.
pub fn moran_global(
    values: &[f64],
    w: &Weights,
    permutations: usize,
    seed: u64,
) -> Result<GlobalMoran, AnalysisError> {
    check_inputs(values, w)?;
    let n = values.len() as f64;
    let s0 = w.s0();
    if s0 == 0.0 {
        return Err(AnalysisError::InvalidParameter {
            name: "pondérations".into(),
            message: "aucune zone n'a de voisine".into(),
        });
    }
    let m = mean(values);
    let mut z: Vec<f64> = values.iter().map(|y| y - m).collect();
    let z2: f64 = z.iter().map(|v| v * v).sum();
    let stat = |z: &[f64]| n / s0 * cross_lag(z, w) / z2;
    let i = stat(&z);
    let p_sim = (permutations > 0).then(|| {
        let mut rng = SplitMix64(seed);
        let mut larger = 0;
        for _ in 0..permutations {
            // Fisher–Yates shuffle of the whole vector.
            for k in (1..z.len()).rev() {
                let j = rng.below(k + 1);
                z.swap(k, j);
            }
            if stat(&z) >= i {
                larger += 1;
            }
        }
        folded_p_value(larger, permutations)
    });
    Ok(GlobalMoran {
        i,
        expected: -1.0 / (n - 1.0),
        p_sim,
        permutations,
    })
}

/// Local Moran (LISA) of `values` (one per zone of `w`), with conditional permutations
/// (`permutations`, seeded per zone from `seed`) and the clusters at `alpha`. Computed in
/// parallel over zones; the result does not depend on the number of threads.
pub fn moran_local(
    values: &[f64],
    w: &Weights,
    permutations: usize,
    seed: u64,
    alpha: f64,
) -> Result<LocalMoran, AnalysisError> {
    check_inputs(values, w)?;
    if alpha.is_nan() || alpha <= 0.0 || alpha >= 1.0 {
        return Err(AnalysisError::InvalidParameter {
            name: "alpha".into(),
            message: format!("le seuil de significativité doit être entre 0 et 1 ({alpha})"),
        });
    }
    let n = values.len();
    let m = mean(values);
    let sd = (values.iter().map(|y| (y - m) * (y - m)).sum::<f64>() / n as f64).sqrt();
    let z: Vec<f64> = values.iter().map(|y| (y - m) / sd).collect();
    let den: f64 = z.iter().map(|v| v * v).sum();
    let scaling = (n as f64 - 1.0) / den;
    let lag = w.lag(&z);
    let per_zone = crate::parallel::map_indexed(&w.neighbours, |i, list| {
        let zi = z.get(i).copied().unwrap_or_default();
        let li = lag.get(i).copied().unwrap_or_default();
        let ii = scaling * zi * li;
        let k = list.len();
        let p = if k == 0 || permutations == 0 {
            None
        } else {
            let mut rng = SplitMix64(zone_seed(seed, i));
            let mut drawn: Vec<usize> = Vec::with_capacity(k);
            let mut pool: Vec<usize> = Vec::new();
            let mut larger = 0usize;
            for _ in 0..permutations {
                drawn.clear();
                if k * 4 > n {
                    // Dense case: partial Fisher–Yates over the n − 1 other zones.
                    pool.clear();
                    pool.extend((0..n).filter(|j| *j != i));
                    for t in 0..k {
                        let j = t + rng.below(pool.len() - t);
                        pool.swap(t, j);
                    }
                    drawn.extend(pool.iter().take(k));
                } else {
                    while drawn.len() < k {
                        let mut j = rng.below(n - 1);
                        if j >= i {
                            j += 1;
                        }
                        if !drawn.contains(&j) {
                            drawn.push(j);
                        }
                    }
                }
                let lag_perm = drawn
                    .iter()
                    .map(|j| z.get(*j).copied().unwrap_or_default())
                    .sum::<f64>()
                    / k as f64;
                // `Iᵢ* ≥ Iᵢ`, compared on the lags so that a draw of the same neighbour values
                // in another order (a tie, frequent with rounded rates and few neighbours)
                // counts as ≥ whatever the rounding of the sums.
                let tie = (lag_perm - li).abs() <= TIE_TOLERANCE * (1.0 + li.abs());
                if tie || scaling * zi * lag_perm >= ii {
                    larger += 1;
                }
            }
            Some(folded_p_value(larger, permutations))
        };
        (ii, Quadrant::of(zi, li), p, k == 0)
    });
    let mut out = LocalMoran {
        ii: Vec::with_capacity(n),
        quadrant: Vec::with_capacity(n),
        p_sim: Vec::with_capacity(n),
        cluster: Vec::with_capacity(n),
    };
    for (ii, q, p, island) in per_zone {
        out.ii.push(ii);
        out.quadrant.push(q);
        out.p_sim.push(p);
        out.cluster.push(Cluster::of(q, p, alpha, island));
    }
    Ok(out)
}

/// Options of a LISA run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LisaOptions {
    /// Number of permutations (999 by default).
    pub permutations: usize,
    /// Seed of the pseudo-random generator.
    pub seed: u64,
    /// Significance threshold of the cluster map (0.05 by default).
    pub alpha: f64,
}

impl Default for LisaOptions {
    fn default() -> Self {
        LisaOptions {
            permutations: DEFAULT_PERMUTATIONS,
            seed: DEFAULT_SEED,
            alpha: DEFAULT_ALPHA,
        }
    }
}

/// Global and local Moran of an indicator over a zone layer, missing values left out.
#[derive(Clone, Debug, PartialEq)]
pub struct Lisa {
    /// The weights actually used (zones with a value), positions in [`Lisa::local`].
    pub weights: Weights,
    /// Global Moran's I.
    pub global: GlobalMoran,
    /// Local statistics, one per zone of [`Lisa::weights`].
    pub local: LocalMoran,
    /// Layer rows left out because their value is missing.
    pub left_out: Vec<usize>,
    /// Layer rows of the islands among the zones kept.
    pub islands: Vec<usize>,
}

impl Lisa {
    /// The notes to show beside the results, in French (left-out zones, islands).
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if !self.left_out.is_empty() {
            notes.push(format!(
                "{} zone(s) sans valeur (secret statistique, non disponible…) laissée(s) hors \
                 des pondérations : ni comptée(s) comme 0 ni voisine(s) des autres",
                self.left_out.len()
            ));
        }
        if !self.islands.is_empty() {
            notes.push(format!(
                "{} zone(s) sans voisine (îles) : pas de statistique locale",
                self.islands.len()
            ));
        }
        notes
    }

    /// The position in the results of layer row `row` (`None` when it was left out).
    pub fn position(&self, row: usize) -> Option<usize> {
        self.weights.rows.binary_search(&row).ok()
    }
}

/// Global and local Moran of `values` (one per zone of the layer of `w`, `None` when missing),
/// on the queen weights `w` of the whole layer restricted to the zones with a value.
pub fn lisa(
    values: &[Option<f64>],
    w: &Weights,
    options: &LisaOptions,
) -> Result<Lisa, AnalysisError> {
    if values.len() != w.len() {
        return Err(AnalysisError::InvalidParameter {
            name: "valeurs".into(),
            message: format!("{} valeurs pour {} zones", values.len(), w.len()),
        });
    }
    let keep: Vec<bool> = values
        .iter()
        .map(|v| v.is_some_and(f64::is_finite))
        .collect();
    let sub = w.subset(&keep);
    let kept: Vec<f64> = values
        .iter()
        .filter_map(|v| v.filter(|x| x.is_finite()))
        .collect();
    let left_out = w
        .rows
        .iter()
        .zip(&keep)
        .filter(|(_, k)| !**k)
        .map(|(r, _)| *r)
        .collect();
    let global = moran_global(&kept, &sub, options.permutations, options.seed)?;
    let local = moran_local(
        &kept,
        &sub,
        options.permutations,
        options.seed,
        options.alpha,
    )?;
    let islands = sub
        .islands()
        .into_iter()
        .filter_map(|p| sub.rows.get(p).copied())
        .collect();
    Ok(Lisa {
        weights: sub,
        global,
        local,
        left_out,
        islands,
    })
}

/// The values of the numeric field `field` of `table` (a zone layer's attributes), `None` when
/// missing (secret, not available…); `layer` names the layer in errors.
pub fn field_values(table: &Table, field: &str, layer: &str) -> Result<Vec<Value>, AnalysisError> {
    super::numeric_values(table, field, layer)
}

/// The per-zone result table of a LISA run, headers in French: `code`, `nom`, `valeur` (the
/// missing reason kept), `Ii`, `quadrant` (HH, LH, LL, HL), `p` (pseudo p-value), `cluster`
/// (label at the threshold; « Valeur manquante » for a zone left out).
pub fn lisa_table(codes: &[String], names: &[String], values: &[Value], lisa: &Lisa) -> Table {
    let rows = values.len();
    let mut ii = Vec::with_capacity(rows);
    let mut quadrant = Vec::with_capacity(rows);
    let mut p = Vec::with_capacity(rows);
    let mut cluster = Vec::with_capacity(rows);
    for row in 0..rows {
        match lisa.position(row) {
            Some(k) => {
                ii.push(
                    lisa.local
                        .ii
                        .get(k)
                        .map_or(Value::Missing(Missing::NotAvailable), |x| Value::Number(*x)),
                );
                quadrant.push(
                    lisa.local
                        .quadrant
                        .get(k)
                        .map_or(String::new(), |q| q.short().to_owned()),
                );
                p.push(match lisa.local.p_sim.get(k).copied().flatten() {
                    Some(x) => Value::Number(x),
                    None => Value::Missing(Missing::NotApplicable),
                });
                cluster.push(
                    lisa.local
                        .cluster
                        .get(k)
                        .map_or(String::new(), |c| c.label().to_owned()),
                );
            }
            None => {
                let reason = match values.get(row) {
                    Some(Value::Missing(m)) => *m,
                    _ => Missing::NotAvailable,
                };
                ii.push(Value::Missing(reason));
                quadrant.push(String::new());
                p.push(Value::Missing(reason));
                cluster.push("Valeur manquante".to_owned());
            }
        }
    }
    let text = |v: &[String]| {
        (0..rows)
            .map(|r| v.get(r).cloned().unwrap_or_default())
            .collect::<Vec<_>>()
    };
    super::result_table(
        rows,
        vec![
            super::text_result_field("code", text(codes)),
            super::text_result_field("nom", text(names)),
            super::result_field("valeur", values.to_vec()),
            super::result_field("Ii", ii),
            super::text_result_field("quadrant", quadrant),
            super::result_field("p", p),
            super::text_result_field("cluster", cluster),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_p_values_follow_esda() {
        // 999 permutations: none larger → 1/1000; all larger → folded to 0 → 1/1000;
        // half → 500/1000.
        assert_eq!(folded_p_value(0, 999), 0.001);
        assert_eq!(folded_p_value(999, 999), 0.001);
        assert_eq!(folded_p_value(499, 999), 0.5);
        assert_eq!(folded_p_value(600, 999), 0.4);
    }

    #[test]
    fn moran_on_a_line_by_hand() {
        // Four zones in a row 0-1-2-3, values 1, 2, 3, 4: z = -1.5 -0.5 0.5 1.5, Σz² = 5,
        // lags (row-standardised) = -0.5, -0.5, 0.5, 0.5 → Σ z·lag = 0.75+0.25+0.25+0.75 = 2,
        // I = 4/4 · 2/5 = 0.4.
        let w = Weights {
            neighbours: vec![vec![1], vec![0, 2], vec![1, 3], vec![2]],
            rows: vec![0, 1, 2, 3],
        };
        let g = moran_global(&[1.0, 2.0, 3.0, 4.0], &w, 0, 1).unwrap();
        assert!((g.i - 0.4).abs() < 1e-12);
        // Local: sd = sqrt(5/4), z_std = z / sd, Ii = 3 · z_i · lag_i / Σ z_std² (= 4):
        // zone 0: 3/4 · (-1.5/sd)(-0.5/sd) = 3/4 · 0.75 / 1.25 = 0.45.
        let l = moran_local(&[1.0, 2.0, 3.0, 4.0], &w, 99, 7, 0.05).unwrap();
        assert!((l.ii[0] - 0.45).abs() < 1e-12);
        assert_eq!(l.quadrant[0], Quadrant::LowLow);
        assert_eq!(l.quadrant[3], Quadrant::HighHigh);
        // Without permutations nothing is significant; an island stays an island.
        let w = Weights {
            neighbours: vec![vec![1], vec![0, 2], vec![1], vec![]],
            rows: vec![0, 1, 2, 3],
        };
        let l = moran_local(&[1.0, 2.0, 3.0, 4.0], &w, 0, 7, 0.05).unwrap();
        assert_eq!(l.cluster[0], Cluster::NotSignificant);
        assert_eq!(l.cluster[3], Cluster::Island);
        assert_eq!(l.ii[3], 0.0);
        assert_eq!(l.p_sim[3], None);
    }
}
