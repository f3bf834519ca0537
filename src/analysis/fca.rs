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
use crate::analysis::index::ServiceIndex;
use crate::value::{Missing, Value};
use geo::Point;

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

/// Computes the 2SFCA index. `demand_points`/`demand` are the demand locations and amounts
/// (e.g. communes' population points and poor households); `supply_points`/`supply` the
/// services and their capacity (1 per service when no capacity field). `radius_m` is the
/// catchment radius `d0` in metres.
pub fn two_step_fca(
    demand_points: &[Option<Point<f64>>],
    demand: &[Value],
    supply_points: &[Point<f64>],
    supply: &[Value],
    radius_m: f64,
    decay: Decay,
) -> Result<Fca, AnalysisError> {
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
    use crate::analysis::distance::distance_m;
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
}
