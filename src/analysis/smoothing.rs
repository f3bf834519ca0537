//! Empirical Bayes smoothing of rates (event count / base count) for small populations, as
//! PySAL `esda.smoothing` (and GeoDa) compute it:
//!
//! - global ([`empirical_bayes`], esda `Empirical_Bayes`): each raw rate `rᵢ = eᵢ / bᵢ` is
//!   shrunk towards the overall rate `m = Σe / Σb` with the weight `wᵢ = v / (v + m / bᵢ)`,
//!   where `v = Σ bᵢ (rᵢ − m)² / Σb − m / b̄` (method of moments, `b̄` the mean base);
//! - local ([`spatial_empirical_bayes`], esda `Spatial_Empirical_Bayes`): the same with the
//!   prior of each zone taken on its queen neighbourhood including itself (`mᵢ` = Σe / Σb
//!   over the zone and its neighbours; `vᵢ` likewise, with `b̄` the neighbourhood's mean base),
//!   `vᵢ` set to 0 when negative.
//!
//! Rates are plain ratios (multiply by 100 for a percentage). The raw rate is kept beside the
//! smoothed one. Zones whose event or base is missing, or whose base is not positive, are
//! left out (no rate, and not counted in the neighbourhoods), never taken as 0.

use super::AnalysisError;
use super::weights::Weights;

/// Raw and smoothed rates, one per zone (`None`: left out).
#[derive(Clone, Debug, PartialEq)]
pub struct SmoothedRates {
    /// Raw rate `eᵢ / bᵢ`.
    pub raw: Vec<Option<f64>>,
    /// Empirical Bayes rate.
    pub smoothed: Vec<Option<f64>>,
    /// Number of zones left out (missing event or base, base ≤ 0).
    pub left_out: usize,
}

/// The zones with a usable event and base.
fn usable(events: &[Option<f64>], bases: &[Option<f64>]) -> Result<Vec<bool>, AnalysisError> {
    if events.len() != bases.len() {
        return Err(AnalysisError::InvalidParameter {
            name: "effectifs".into(),
            message: format!(
                "{} numérateurs pour {} dénominateurs",
                events.len(),
                bases.len()
            ),
        });
    }
    Ok(events
        .iter()
        .zip(bases)
        .map(|(e, b)| match (e, b) {
            (Some(e), Some(b)) => e.is_finite() && b.is_finite() && *b > 0.0,
            _ => false,
        })
        .collect())
}

fn raw_rates(events: &[Option<f64>], bases: &[Option<f64>], keep: &[bool]) -> Vec<Option<f64>> {
    events
        .iter()
        .zip(bases)
        .zip(keep)
        .map(|((e, b), k)| match (k, e, b) {
            (true, Some(e), Some(b)) => Some(e / b),
            _ => None,
        })
        .collect()
}

/// Global empirical Bayes rates of `events` / `bases` (esda `Empirical_Bayes`).
pub fn empirical_bayes(
    events: &[Option<f64>],
    bases: &[Option<f64>],
) -> Result<SmoothedRates, AnalysisError> {
    let keep = usable(events, bases)?;
    let raw = raw_rates(events, bases, &keep);
    let pairs: Vec<(f64, f64)> = events
        .iter()
        .zip(bases)
        .zip(&keep)
        .filter_map(|((e, b), k)| if *k { Some(((*e)?, (*b)?)) } else { None })
        .collect();
    if pairs.is_empty() {
        return Err(AnalysisError::InvalidParameter {
            name: "effectifs".into(),
            message: "aucune zone n'a de numérateur et de dénominateur renseignés".into(),
        });
    }
    let e_sum: f64 = pairs.iter().map(|p| p.0).sum();
    let b_sum: f64 = pairs.iter().map(|p| p.1).sum();
    let m = e_sum / b_sum;
    let b_mean = b_sum / pairs.len() as f64;
    let var_left = pairs
        .iter()
        .map(|(e, b)| {
            let d = e / b - m;
            b * d * d
        })
        .sum::<f64>()
        / b_sum;
    let v = var_left - m / b_mean;
    let smoothed = raw
        .iter()
        .zip(bases)
        .map(|(r, b)| {
            let (r, b) = ((*r)?, (*b)?);
            let weight = v / (v + m / b);
            Some(weight * r + (1.0 - weight) * m)
        })
        .collect();
    Ok(SmoothedRates {
        raw,
        smoothed,
        left_out: keep.iter().filter(|k| !**k).count(),
    })
}

/// Local (spatial) empirical Bayes rates of `events` / `bases` (one per zone of `w`, the queen
/// weights of the whole layer), the prior taken on each zone and its neighbours (esda
/// `Spatial_Empirical_Bayes`).
pub fn spatial_empirical_bayes(
    events: &[Option<f64>],
    bases: &[Option<f64>],
    w: &Weights,
) -> Result<SmoothedRates, AnalysisError> {
    let keep = usable(events, bases)?;
    if keep.len() != w.len() {
        return Err(AnalysisError::InvalidParameter {
            name: "pondérations".into(),
            message: format!(
                "{} zones pour {} dans les pondérations",
                keep.len(),
                w.len()
            ),
        });
    }
    let raw = raw_rates(events, bases, &keep);
    let e: Vec<f64> = events.iter().map(|v| v.unwrap_or(0.0)).collect();
    let b: Vec<f64> = bases.iter().map(|v| v.unwrap_or(0.0)).collect();
    let smoothed = (0..w.len())
        .map(|i| {
            if !keep.get(i).copied().unwrap_or(false) {
                return None;
            }
            // The zone and its neighbours that are kept.
            let hood: Vec<usize> = std::iter::once(i)
                .chain(w.neighbours.get(i).into_iter().flatten().copied())
                .filter(|j| keep.get(*j).copied().unwrap_or(false))
                .collect();
            let get = |v: &[f64], j: usize| v.get(j).copied().unwrap_or(0.0);
            let e_sum: f64 = hood.iter().map(|j| get(&e, *j)).sum();
            let b_sum: f64 = hood.iter().map(|j| get(&b, *j)).sum();
            let m = e_sum / b_sum;
            let var_left = hood
                .iter()
                .map(|j| {
                    let d = get(&e, *j) / get(&b, *j) - m;
                    get(&b, *j) * d * d
                })
                .sum::<f64>()
                / b_sum;
            let v = (var_left - m / (b_sum / hood.len() as f64)).max(0.0);
            let r = get(&e, i) / get(&b, i);
            let bi = get(&b, i);
            Some(m + (r - m) * (v / (v + m / bi)))
        })
        .collect();
    Ok(SmoothedRates {
        raw,
        smoothed,
        left_out: keep.iter().filter(|k| !**k).count(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_eb_by_hand() {
        // e = 1, 9 ; b = 10, 90 → m = 10/100 = 0.1, rates 0.1, 0.1: no variance beyond the
        // Poisson one (v = 0 − 0.1/50 < 0) — weight = v / (v + m/b).
        // A clearer case: e = 0, 20 ; b = 100, 100 → m = 0.1, rates 0, 0.2,
        // var_left = (100·0.01 + 100·0.01)/200 = 0.01, v = 0.01 − 0.1/100 = 0.009,
        // weight = 0.009 / (0.009 + 0.001) = 0.9 → 0.9·r + 0.1·m = 0.01 and 0.19.
        let r = empirical_bayes(
            &[Some(0.0), Some(20.0), None],
            &[Some(100.0), Some(100.0), Some(5.0)],
        )
        .unwrap();
        assert!((r.smoothed[0].unwrap() - 0.01).abs() < 1e-12);
        assert!((r.smoothed[1].unwrap() - 0.19).abs() < 1e-12);
        assert_eq!(r.smoothed[2], None);
        assert_eq!(r.raw[1], Some(0.2));
        assert_eq!(r.left_out, 1);
    }
}
