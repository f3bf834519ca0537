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

/// `cartosol siting` on the sample project.
fn cli(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_cartosol"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("siting")
        .arg("sample_data/essonne.cartosol.json")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_cli_writes_the_sites_and_never_over_its_inputs() {
    let dir = std::env::temp_dir().join(format!("cartosol-siting-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("sites.csv");
    let run = cli(&[
        "--theme",
        "France Services",
        "--k",
        "3",
        "--rayon-km",
        "5",
        "--out",
        out.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}");
    assert!(stdout.contains("Preuve : optimum prouvé"), "{stdout}");
    assert!(stdout.contains("35 site(s) existant(s)"), "{stdout}");
    let csv = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0].trim_start_matches('\u{feff}'),
        "rang;code;lieu;NB_MEN_PAUV_nouvellement_couverts;longitude;latitude"
    );
    assert_eq!(lines.len(), 4);
    assert!(lines[1].starts_with("1;"));

    // The project file, or a source, as output: refused, exit code 1, file unchanged.
    let project =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data/essonne.cartosol.json");
    let before = std::fs::read(&project).unwrap();
    for target in [
        "sample_data/../sample_data/essonne.cartosol.json",
        "sample_data/services_essonne_FICTIF.csv",
    ] {
        let run = cli(&["--k", "1", "--rayon-km", "5", "--out", target]);
        assert_eq!(run.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(
            stderr.contains("la commande n'écrit jamais sur ses entrées"),
            "{stderr}"
        );
    }
    assert_eq!(std::fs::read(&project).unwrap(), before);
    let run = cli(&[
        "--theme",
        "Inconnu",
        "--k",
        "1",
        "--rayon-km",
        "5",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&run.stderr)
            .contains("thème « Inconnu » absent de la couche « services » (champ « dispositif »)")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn scenarios_are_saved_in_the_project_and_compared() {
    let dir = std::env::temp_dir().join(format!("cartosol-scenarios-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data");
    let copy = |from: &std::path::Path, to: &std::path::Path| {
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_file() {
                std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
            }
        }
    };
    copy(&sample, &dir);
    std::fs::create_dir_all(dir.join("essonne")).unwrap();
    copy(&sample.join("essonne"), &dir.join("essonne"));
    let project = dir.join("essonne.cartosol.json");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_cartosol"))
            .arg("siting")
            .arg(&project)
            .args(args)
            .output()
            .unwrap()
    };
    let out = dir.join("s.csv");
    for (name, k) in [("deux", "2"), ("quatre", "4")] {
        let r = run(&[
            "--k",
            k,
            "--rayon-km",
            "5",
            "--enregistrer",
            name,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    }
    // Saving under an existing name replaces it.
    let r = run(&[
        "--k",
        "1",
        "--rayon-km",
        "5",
        "--enregistrer",
        "deux",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(r.status.success());
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&project).unwrap()).unwrap();
    let saved = file["siting"].as_array().unwrap();
    assert_eq!(saved.len(), 2);
    let cmp = dir.join("cmp.csv");
    let r = run(&["--comparer", "--out", cmp.to_str().unwrap()]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let text = std::fs::read_to_string(&cmp).unwrap();
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(';').collect())
        .collect();
    assert_eq!(rows.len(), 2);
    let by_name = |n: &str| rows.iter().find(|r| r[0] == n).unwrap().clone();
    let (one, four) = (by_name("deux"), by_name("quatre"));
    assert_eq!(one[5], "1");
    assert_eq!(four[5], "4");
    // No existing site: everything is beyond 5 km before; more sites leave less beyond.
    assert_eq!(one[6], "100");
    let share = |s: &str| s.replace(',', ".").parse::<f64>().unwrap();
    assert!(share(four[7]) < share(one[7]));
    assert_eq!(four[9].split(", ").count(), 4);
    let _ = std::fs::remove_dir_all(&dir);
}
