//! Siting (maximal covering, set covering to a share) against the optimum of PySAL `spopt`'s
//! MCLP solved by CBC on the Essonne: communes' poor households as demand, the 194 town halls
//! as candidates, the France Services kept or not, R = 5 and 10 km, k = 1…5. Inputs and
//! reference values are made by tests/data/make_siting_reference.py.

use cartosol::analysis::siting::{Demand, Goal, Proof, SitingOptions, site};
use geo::Point;

fn read(name: &str) -> Vec<Vec<String>> {
    let path = format!("{}/tests/data/siting/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

/// The positioned rows of a list of places (a service without coordinates is left out, as the
/// reference's NaN distances leave it out).
fn points(name: &str) -> Vec<Point<f64>> {
    read(name)
        .iter()
        .filter(|r| !r[1].is_empty())
        .map(|r| Point::new(r[1].parse().unwrap(), r[2].parse().unwrap()))
        .collect()
}

fn demand() -> Vec<Demand> {
    read("demand_essonne.csv")
        .iter()
        .map(|r| Demand {
            code: r[0].clone(),
            position: Point::new(r[1].parse().unwrap(), r[2].parse().unwrap()),
            weight: r[3].parse().unwrap(),
        })
        .collect()
}

#[test]
fn maximal_covering_equals_the_cbc_optimum() {
    let demand = demand();
    let candidates = points("candidates_essonne.csv");
    let existing = points("existing_essonne.csv");
    let reference = read("mclp_essonne.csv");
    assert_eq!(reference.len(), 20);
    let mut greedy_short = 0;
    for r in &reference {
        let radius_km: f64 = r[0].parse().unwrap();
        let k: usize = r[1].parse().unwrap();
        let kept: &[Point<f64>] = if r[2] == "1" { &existing } else { &[] };
        let expected: f64 = r[3].parse().unwrap();
        let s = site(
            &demand,
            &candidates,
            kept,
            radius_km * 1000.0,
            Goal::Sites(k),
            &SitingOptions::default(),
            &|_| {},
        )
        .unwrap();
        assert_eq!(s.proof, Proof::Optimal, "R = {radius_km} km, k = {k}");
        assert!(
            (s.covered_after - expected).abs() < 1e-6,
            "R = {radius_km} km, k = {k}, existants {} : {} au lieu de {expected}",
            r[2],
            s.covered_after
        );
        // The greedy answer is never better than the optimum, and its gap is what it misses.
        assert!(s.greedy_covered <= expected + 1e-6);
        let gain = expected - s.covered_before;
        let gap = if gain > 0.0 {
            100.0 * (expected - s.greedy_covered) / gain
        } else {
            0.0
        };
        assert!((s.greedy_gap_pct() - gap).abs() < 1e-9);
        greedy_short += (s.greedy_covered < expected - 1e-6) as usize;
        // The sites' own figures add up to the gain.
        let sum: f64 = s.chosen.iter().map(|c| c.newly_covered).sum();
        assert!((sum - gain).abs() < 1e-6);
        assert!(s.chosen.len() <= k);
    }
    println!("réponse gloutonne sous l'optimum dans {greedy_short} cas sur 20");
}

#[test]
fn set_covering_finds_the_fewest_sites_of_the_reference() {
    let demand = demand();
    let candidates = points("candidates_essonne.csv");
    let total: f64 = demand.iter().map(|d| d.weight).sum();
    let reference = read("mclp_essonne.csv");
    let best = |k: &str| -> f64 {
        reference
            .iter()
            .find(|r| r[0] == "5" && r[1] == k && r[2] == "0")
            .unwrap()[3]
            .parse()
            .unwrap()
    };
    // A share between the best coverage of 2 and of 3 sites at 5 km needs exactly 3 sites.
    let share = 100.0 * (best("2") + best("3")) / 2.0 / total;
    let s = site(
        &demand,
        &candidates,
        &[],
        5000.0,
        Goal::Share(share),
        &SitingOptions::default(),
        &|_| {},
    )
    .unwrap();
    assert_eq!(s.chosen.len(), 3);
    assert!((s.covered_after - best("3")).abs() < 1e-6);
    assert!(100.0 * s.covered_after / total >= share);
}
