//! The fast 2SFCA (grid catchments, both steps in parallel) gives exactly the results of the
//! first implementation (`two_step_fca_reference`: one R-tree query per service, one thread):
//! every ratio and every accessibility equal as `f64` (`==`, no tolerance), every missing value
//! with the same reason. Exact equality is asked, and holds, because the fast one adds the same
//! terms in the same order (demand nearest first, ties by row; ratios in service order) and
//! decides membership with the same haversine distance whenever the chord alone cannot.
//!
//! Cases: the Essonne sample (communes' population points, the FICTIF services) at several
//! radii and both decays; seeded random cases over metropolitan France, uniform and on a
//! lattice (many exactly equal distances: the tie order matters), with missing demands and
//! capacities. The national case (34,738 communes × 1,000,000 services) is `#[ignore]`d here
//! (release: `cargo test --release --all-features --test fca_speed_equivalence -- --ignored`)
//! and measured by `cartosol bench fca`.

use cartosol::analysis::PopulationBase;
use cartosol::analysis::fca::{Decay, Fca, two_step_fca, two_step_fca_reference};
use cartosol::points::{PointOptions, load_points};
use cartosol::zones::{ZoneOptions, load_zones};
use cartosol::{Missing, Value};
use geo::Point;
use std::path::Path;

/// SplitMix64, the generator of `cartosol bench`.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn both(
    demand_points: &[Option<Point<f64>>],
    demand: &[Value],
    supply_points: &[Point<f64>],
    supply: &[Value],
    radius_m: f64,
    decay: Decay,
) -> (Fca, Fca) {
    let reference = two_step_fca_reference(
        demand_points,
        demand,
        supply_points,
        supply,
        radius_m,
        decay,
    )
    .unwrap();
    let fast = two_step_fca(
        demand_points,
        demand,
        supply_points,
        supply,
        radius_m,
        decay,
    )
    .unwrap();
    (reference, fast)
}

/// Asserts value-by-value equality and that the case is not trivial (numbers and, when asked,
/// missing values on both sides).
fn assert_same(reference: &Fca, fast: &Fca, case: &str) {
    assert_eq!(reference.ratios.len(), fast.ratios.len(), "{case}");
    assert_eq!(
        reference.accessibility.len(),
        fast.accessibility.len(),
        "{case}"
    );
    for (j, (a, b)) in reference.ratios.iter().zip(&fast.ratios).enumerate() {
        assert_eq!(a, b, "{case}: ratio of service {j}");
    }
    for (k, (a, b)) in reference
        .accessibility
        .iter()
        .zip(&fast.accessibility)
        .enumerate()
    {
        assert_eq!(a, b, "{case}: accessibility of demand point {k}");
    }
    let numbers = fast
        .accessibility
        .iter()
        .filter(|v| matches!(v, Value::Number(x) if *x > 0.0))
        .count();
    assert!(numbers > 0, "{case}: no positive accessibility at all");
}

#[test]
fn essonne_sample_same_as_reference() {
    let communes = load_zones(
        Path::new("sample_data/essonne/communes.geojson"),
        &ZoneOptions::default(),
    )
    .unwrap();
    let services = load_points(
        Path::new("sample_data/services_essonne_FICTIF.csv"),
        &PointOptions::default(),
    )
    .unwrap();
    let base = PopulationBase::from_communes(&communes, None, "POPULATION").unwrap();
    let supply_points: Vec<Point<f64>> = services.positions.iter().flatten().copied().collect();
    assert!(supply_points.len() > 50 && base.points.len() > 150);
    let supply = vec![Value::Number(1.0); supply_points.len()];
    // A second demand with a secret value: the services reaching it become incomplete.
    let mut with_secret = base.population.clone();
    with_secret[7] = Value::Missing(Missing::Secret);
    for radius_km in [1.0, 2.5, 5.0, 10.0, 20.0] {
        for decay in [Decay::Step, Decay::Gaussian] {
            for (demand, label) in [(&base.population, "population"), (&with_secret, "secret")] {
                let (r, f) = both(
                    &base.points,
                    demand,
                    &supply_points,
                    &supply,
                    radius_km * 1000.0,
                    decay,
                );
                assert_same(&r, &f, &format!("Essonne {radius_km} km {decay:?} {label}"));
            }
        }
    }
    // The secret demand does show as incomplete somewhere (the case is not vacuous).
    let (_, f) = both(
        &base.points,
        &with_secret,
        &supply_points,
        &supply,
        10_000.0,
        Decay::Step,
    );
    assert!(
        f.accessibility
            .contains(&Value::Missing(Missing::Incomplete))
    );
}

/// `n` random positions in metropolitan France's bounding box.
fn random_france(rng: &mut SplitMix64, n: usize) -> Vec<Point<f64>> {
    (0..n)
        .map(|_| Point::new(-4.8 + rng.next_f64() * 13.0, 42.3 + rng.next_f64() * 8.8))
        .collect()
}

#[test]
fn random_france_same_as_reference() {
    let mut rng = SplitMix64(2026);
    let demand_points: Vec<Option<Point<f64>>> = random_france(&mut rng, 3_000)
        .into_iter()
        .enumerate()
        .map(|(k, p)| (k % 97 != 5).then_some(p))
        .collect();
    let demand: Vec<Value> = (0..demand_points.len())
        .map(|k| match k % 211 {
            3 => Value::Missing(Missing::Secret),
            4 => Value::Number(0.0),
            _ => Value::Number((rng.next_f64() * 5_000.0).floor()),
        })
        .collect();
    // Services: uniform, plus some exactly on demand points (distance 0).
    let mut supply_points = random_france(&mut rng, 40_000);
    supply_points.extend(demand_points.iter().step_by(13).flatten().copied());
    let supply: Vec<Value> = (0..supply_points.len())
        .map(|j| match j % 1_009 {
            7 => Value::Missing(Missing::NotAvailable),
            _ => Value::Number(1.0 + (j % 5) as f64),
        })
        .collect();
    for (radius_m, decay) in [
        (10_000.0, Decay::Step),
        (3_000.0, Decay::Step),
        (10_000.0, Decay::Gaussian),
    ] {
        let (r, f) = both(
            &demand_points,
            &demand,
            &supply_points,
            &supply,
            radius_m,
            decay,
        );
        assert_same(&r, &f, &format!("France aléatoire {radius_m} m {decay:?}"));
    }
}

#[test]
fn lattice_with_equal_distances_same_as_reference() {
    // Demand and services on the same 0.02° lattice around Lyon: many demand points are at
    // exactly the same distance from a service (symmetric positions), so the order of the
    // additions (nearest first, ties by row) is tested; rows are shuffled so that the row order
    // is not the lattice order.
    let mut rng = SplitMix64(7);
    let mut lattice: Vec<Point<f64>> = (0..40)
        .flat_map(|i| {
            (0..40).map(move |j| Point::new(4.5 + 0.02 * i as f64, 45.5 + 0.02 * j as f64))
        })
        .collect();
    for i in (1..lattice.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        lattice.swap(i, j);
    }
    let demand_points: Vec<Option<Point<f64>>> = lattice.iter().copied().map(Some).collect();
    // Demands of very different magnitudes, so that the order of the sum shows in the bits.
    let demand: Vec<Value> = (0..lattice.len())
        .map(|k| {
            Value::Number(1.0 + (rng.next_f64() * 1e6).floor() * 10f64.powi((k % 7) as i32 - 3))
        })
        .collect();
    let supply_points: Vec<Point<f64>> = lattice.iter().step_by(3).copied().collect();
    let supply = vec![Value::Number(1.0); supply_points.len()];
    for radius_m in [4_000.0, 10_000.0] {
        let (r, f) = both(
            &demand_points,
            &demand,
            &supply_points,
            &supply,
            radius_m,
            Decay::Step,
        );
        assert_same(&r, &f, &format!("réseau {radius_m} m"));
    }
}

#[test]
#[ignore = "national scale: run in release (README, Benchmarks)"]
fn france_communes_million_services_same_as_reference() {
    let communes = load_zones(
        Path::new("../shared/data/france/communes_l93.shp"),
        &ZoneOptions::default(),
    )
    .unwrap();
    let base = PopulationBase::from_communes(&communes, None, "POPULATION").unwrap();
    let mut rng = SplitMix64(91);
    let supply_points = random_france(&mut rng, 1_000_000);
    let supply = vec![Value::Number(1.0); supply_points.len()];
    let (r, f) = both(
        &base.points,
        &base.population,
        &supply_points,
        &supply,
        10_000.0,
        Decay::Step,
    );
    assert_same(&r, &f, "France 10 km");
}
