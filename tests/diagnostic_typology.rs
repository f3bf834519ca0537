//! Typology of territories (issue 9, part 4): k-means, Ward, silhouettes and class profiles
//! against scikit-learn / SciPy (tests/data/make_typology_reference.py, versions pinned there)
//! and a hand computation; contiguity-constrained Ward on the sample's communes.

use cartosol::analysis::typology::{
    Indicators, K_RANGE, KMeansOptions, Method, canonical_labels, cut, k_scores, kmeans, profiles,
    silhouette, standardize, typology, ward, ward_contiguous, ward_linkage,
};
use cartosol::project::{SAMPLE_PROJECT, open_project};
use cartosol::value::{Missing, Value, ValueRef};
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::path::Path;

const DIR: &str = "tests/data/typology";

/// Rows of a comma-separated reference file (header skipped).
fn rows(name: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(Path::new(DIR).join(name)).unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').map(|c| c.trim().to_owned()).collect())
        .collect()
}

/// (codes, raw values) of a data file: code, then the indicators.
fn data(name: &str) -> (Vec<String>, Vec<Vec<f64>>) {
    let rows = rows(name);
    let codes = rows.iter().map(|r| r[0].clone()).collect();
    let values = rows
        .iter()
        .map(|r| r[1..].iter().map(|c| c.parse::<f64>().unwrap()).collect())
        .collect();
    (codes, values)
}

/// k → value (second column) of a reference file.
fn per_k(name: &str) -> Vec<(usize, f64)> {
    rows(name)
        .iter()
        .map(|r| (r[0].parse().unwrap(), r[1].parse().unwrap()))
        .collect()
}

/// SciPy's fcluster labels for k (column `k{k}`), in data order.
fn scipy_labels(name: &str, codes: &[String], k: usize) -> Vec<usize> {
    let rows = rows(name);
    let by_code: HashMap<&str, usize> = rows
        .iter()
        .map(|r| (r[0].as_str(), r[k - 1].parse().unwrap()))
        .collect();
    codes.iter().map(|c| by_code[c.as_str()]).collect()
}

#[test]
fn kmeans_inertia_within_one_percent_of_scikit_learn_best_of_ten() {
    for (data_file, ref_file) in [
        ("indicators_essonne.csv", "kmeans_essonne.csv"),
        ("france_sample.csv", "kmeans_france.csv"),
    ] {
        let (_, values) = data(data_file);
        let z = standardize(&values).z;
        for (k, sklearn) in per_k(ref_file) {
            let r = kmeans(&z, k, &KMeansOptions::default()).unwrap();
            let gap = (r.inertia - sklearn) / sklearn;
            assert!(
                gap.abs() <= 0.01,
                "{data_file} k={k}: inertia {} vs scikit-learn {sklearn} ({:+.3} %)",
                r.inertia,
                gap * 100.0
            );
            assert_eq!(r.labels.len(), z.len());
            assert_eq!(r.centroids.len(), k);
        }
    }
}

#[test]
fn kmeans_is_deterministic_for_a_seed() {
    let (_, values) = data("indicators_essonne.csv");
    let z = standardize(&values).z;
    let options = KMeansOptions {
        seed: 42,
        ..KMeansOptions::default()
    };
    let a = kmeans(&z, 5, &options).unwrap();
    let b = kmeans(&z, 5, &options).unwrap();
    assert_eq!(a, b);
}

#[test]
fn ward_partitions_equal_scipy_up_to_label_order() {
    for (data_file, ref_file) in [
        ("indicators_essonne.csv", "ward_essonne.csv"),
        ("france_sample.csv", "ward_france.csv"),
    ] {
        let (codes, values) = data(data_file);
        let z = standardize(&values).z;
        // One dendrogram, cut at each k (`ward` itself is checked at k = 4).
        let merges = ward_linkage(&z).unwrap();
        assert_eq!(merges.len(), z.len() - 1);
        assert_eq!(ward(&z, 4).unwrap(), cut(z.len(), &merges, 4));
        for k in 2..=6 {
            let ours = cut(z.len(), &merges, k);
            let scipy = canonical_labels(&scipy_labels(ref_file, &codes, k));
            assert_eq!(
                ours.iter().collect::<BTreeSet<_>>().len(),
                k,
                "{data_file}: {k} classes"
            );
            assert_eq!(
                ours, scipy,
                "{data_file} k={k}: Ward partition differs from SciPy"
            );
        }
    }
}

#[test]
fn silhouettes_equal_scikit_learn_for_the_scipy_partitions() {
    for (data_file, ward_file, sil_file) in [
        (
            "indicators_essonne.csv",
            "ward_essonne.csv",
            "silhouette_essonne.csv",
        ),
        (
            "france_sample.csv",
            "ward_france.csv",
            "silhouette_france.csv",
        ),
    ] {
        let (codes, values) = data(data_file);
        let z = standardize(&values).z;
        for (k, sklearn) in per_k(sil_file) {
            let labels = scipy_labels(ward_file, &codes, k);
            let s = silhouette(&z, &labels).unwrap();
            assert!(
                (s - sklearn).abs() <= 1e-9,
                "{data_file} k={k}: silhouette {s} vs scikit-learn {sklearn}"
            );
        }
    }
}

/// Six zones, two indicators, two obvious groups (plus a seventh zone under secrecy).
///
/// x = 10, 12, 14 | 30, 32, 34 ; y = 100, 110, 90 | 200, 220, 180.
/// Overall means (the six classified zones): x̄ = 132 / 6 = 22, ȳ = 900 / 6 = 150.
/// Class 1 = zones 1–3: means x = 36 / 3 = 12, y = 300 / 3 = 100; class 2: x = 32, y = 200.
/// Population variances (ddof = 0): x: (144 + 100 + 64 + 64 + 100 + 144) / 6 = 616 / 6;
/// y: (2500 + 1600 + 3600 + 2500 + 4900 + 900) / 6 = 16000 / 6.
/// Mean z of class 1: x (12 − 22) / √(616/6), y (100 − 150) / √(16000/6); class 2 the opposite.
#[test]
fn class_profiles_against_a_hand_computation() {
    let n = |x: f64| Value::Number(x);
    let rows = vec![
        vec![n(10.0), n(100.0)],
        vec![n(12.0), n(110.0)],
        vec![n(14.0), n(90.0)],
        vec![n(30.0), n(200.0)],
        vec![Value::Missing(Missing::Secret), n(1000.0)],
        vec![n(32.0), n(220.0)],
        vec![n(34.0), n(180.0)],
    ];
    let indicators = Indicators::from_rows(vec!["X".into(), "Y".into()], &rows);
    assert_eq!(indicators.zones, vec![0, 1, 2, 3, 5, 6]);
    assert_eq!(indicators.excluded.len(), 1);
    assert_eq!(indicators.excluded[0].zone, 4);
    assert_eq!(indicators.excluded[0].field, "X");
    assert_eq!(indicators.excluded[0].reason, "secret statistique");

    let sx = (616.0f64 / 6.0).sqrt();
    let sy = (16000.0f64 / 6.0).sqrt();
    let st = standardize(&indicators.values);
    assert!((st.std[0] - sx).abs() < 1e-12 && (st.std[1] - sy).abs() < 1e-12);

    for method in [Method::KMeans(KMeansOptions::default()), Method::Ward] {
        let t = typology(indicators.clone(), 2, &method).unwrap();
        assert_eq!(t.labels, vec![0, 0, 0, 1, 1, 1]);
        assert_eq!(t.overall_mean, vec![22.0, 150.0]);
        let p = &t.profiles;
        assert_eq!((p[0].size, p[1].size), (3, 3));
        assert_eq!(p[0].mean, vec![12.0, 100.0]);
        assert_eq!(p[1].mean, vec![32.0, 200.0]);
        let expect_z = [(-10.0 / sx, -50.0 / sy), (10.0 / sx, 50.0 / sy)];
        for (c, (ex, ey)) in expect_z.iter().enumerate() {
            assert!((p[c].mean_z[0] - ex).abs() < 1e-12, "{:?}", p[c]);
            assert!((p[c].mean_z[1] - ey).abs() < 1e-12, "{:?}", p[c]);
        }
        // The exported profile table: gap of class 1 to the whole = 12 − 22 = −10.
        let table = t.profiles_table();
        let gap = table.field("X écart à l'ensemble").unwrap();
        assert_eq!(gap.values.get(0).unwrap(), Value::Number(-10.0));
        assert_eq!(gap.values.get(1).unwrap(), Value::Number(10.0));
        assert_eq!(
            table.field("nombre de zones").unwrap().values.to_values(),
            vec![n(3.0), n(3.0), n(6.0)]
        );
    }
    // Same figures from `profiles` given the partition directly.
    let p = profiles(&indicators.values, &st.z, &[1, 1, 1, 0, 0, 0]);
    assert_eq!(p[1].mean, vec![12.0, 100.0]);
}

#[test]
fn k_outside_two_to_ten_is_refused_in_french() {
    let rows: Vec<Vec<Value>> = (0..20).map(|i| vec![Value::Number(i as f64)]).collect();
    let indicators = Indicators::from_rows(vec!["X".into()], &rows);
    let err = typology(indicators, 11, &Method::Ward).unwrap_err();
    assert_eq!(
        err.to_string(),
        "paramètre « k » invalide : le nombre de classes doit être compris entre 2 et 10 (11 demandé)"
    );
}

/// Neighbours by shared vertex (exact coordinates), built here independently of the library.
fn shared_vertices(geoms: &[geo::MultiPolygon<f64>]) -> Vec<Vec<usize>> {
    use geo::CoordsIter;
    let mut owners: HashMap<(u64, u64), BTreeSet<usize>> = HashMap::new();
    for (i, g) in geoms.iter().enumerate() {
        for c in g.coords_iter() {
            owners
                .entry((c.x.to_bits(), c.y.to_bits()))
                .or_default()
                .insert(i);
        }
    }
    let mut adj = vec![BTreeSet::new(); geoms.len()];
    for set in owners.values() {
        for &a in set {
            for &b in set {
                if a != b {
                    adj[a].insert(b);
                }
            }
        }
    }
    adj.into_iter().map(|s| s.into_iter().collect()).collect()
}

/// Whether the zones `members` form one piece in `adj`.
fn connected(members: &[usize], adj: &[Vec<usize>]) -> bool {
    let set: BTreeSet<usize> = members.iter().copied().collect();
    let Some(&start) = members.first() else {
        return true;
    };
    let mut seen = BTreeSet::from([start]);
    let mut queue = VecDeque::from([start]);
    while let Some(i) = queue.pop_front() {
        for &j in &adj[i] {
            if set.contains(&j) && seen.insert(j) {
                queue.push_back(j);
            }
        }
    }
    seen.len() == set.len()
}

#[test]
fn contiguous_ward_regions_are_connected_and_reach_the_minimum_population() {
    let project = open_project(Path::new(SAMPLE_PROJECT)).unwrap();
    let (_, communes) = project
        .zones
        .iter()
        .find(|(s, _)| s.id == "communes")
        .unwrap();
    let adj = shared_vertices(&communes.geometries);
    let population: Vec<f64> = communes
        .attributes
        .field("POPULATION")
        .unwrap()
        .values
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    // Rates without secrecy in the sample: every commune is classified.
    let fields: Vec<String> = [
        "PART_FAM_MONO",
        "PART_MEN_SANS_VOITURE",
        "PART_PRECARITE_ENERG",
        "TX_CHOMAGE",
        "PART_NON_DIPLOMES",
    ]
    .map(String::from)
    .to_vec();
    let ind = Indicators::from_table(&communes.attributes, &fields, "communes").unwrap();
    assert_eq!(ind.zones.len(), communes.len());
    let z = standardize(&ind.values).z;

    // Without a minimum: exactly k connected regions (the sample's communes form one piece).
    let r = ward_contiguous(&z, &adj, 8, Some(&population), 0.0).unwrap();
    assert_eq!(r.components, 1);
    assert_eq!(r.regions, 8);
    assert_eq!(r.labels.iter().collect::<BTreeSet<_>>().len(), 8);
    for c in 0..8 {
        let members: Vec<usize> = (0..z.len()).filter(|&i| r.labels[i] == c).collect();
        assert!(connected(&members, &adj), "region {c} not connected");
    }

    // With a minimum population of 60,000 inhabitants per region.
    let min = 60_000.0;
    let r = ward_contiguous(&z, &adj, 8, Some(&population), min).unwrap();
    assert!(r.below_minimum.is_empty());
    let regions = r.labels.iter().max().unwrap() + 1;
    assert_eq!(regions, r.regions);
    for c in 0..regions {
        let members: Vec<usize> = (0..z.len()).filter(|&i| r.labels[i] == c).collect();
        assert!(connected(&members, &adj), "region {c} not connected");
        let pop: f64 = members.iter().map(|&i| population[i]).sum();
        assert!(pop >= min, "region {c}: {pop} inhabitants < {min}");
    }
}

#[test]
fn contiguous_ward_leaves_out_communes_under_secrecy_and_says_why() {
    let project = open_project(Path::new(SAMPLE_PROJECT)).unwrap();
    let (spec, communes) = project
        .zones
        .iter()
        .find(|(s, _)| s.id == "communes")
        .unwrap();
    let fields: Vec<String> = ["TP60", "TX_CHOMAGE"].map(String::from).to_vec();
    let ind = Indicators::from_table(&communes.attributes, &fields, "communes").unwrap();
    // The same communes as the reference CSV (written by pandas from the same sheet).
    let (codes, _) = data("indicators_essonne.csv");
    assert_eq!(ind.zones.len(), codes.len());
    assert!(
        ind.excluded
            .iter()
            .all(|e| e.field == "TP60" && e.reason == "secret statistique")
    );
    let population = communes
        .attributes
        .field("POPULATION")
        .unwrap()
        .values
        .iter()
        .map(ValueRef::as_f64)
        .collect();
    let method = Method::WardContiguous {
        adjacency: shared_vertices(&communes.geometries),
        population,
        min_population: 0.0,
    };
    let t = typology(ind, 5, &method).unwrap();
    let table = t.zones_table(&communes.attributes, &spec.code_field, Some("NOM"));
    let class = table.field("classe").unwrap();
    let reason = table.field("motif_exclusion").unwrap();
    let excluded = class
        .values
        .iter()
        .filter(|v| *v == Value::Missing(Missing::Incomplete))
        .count();
    assert_eq!(excluded, communes.len() - codes.len());
    let first = class
        .values
        .iter()
        .position(|v| v.missing().is_some())
        .unwrap();
    assert_eq!(
        reason.values.get(first).unwrap(),
        Value::Text("TP60 : secret statistique".into())
    );
}

#[test]
fn cli_typology_writes_the_library_classes_per_commune() {
    let dir = std::env::temp_dir().join(format!("cartosol-typology-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("classes.csv");
    let profils = dir.join("profils.csv");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cartosol"))
        .args(["typology", "--project", SAMPLE_PROJECT])
        .args(["--fields", "TP60,TX_CHOMAGE,PART_FAM_MONO", "--k", "4"])
        .args(["--method", "ward", "--out"])
        .arg(&out)
        .arg("--profils")
        .arg(&profils)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("60 zone(s) écartée(s) faute de valeur"),
        "{stdout}"
    );

    // The library on the same layer and indicators.
    let project = open_project(Path::new(SAMPLE_PROJECT)).unwrap();
    let (_, communes) = project
        .zones
        .iter()
        .find(|(s, _)| s.id == "communes")
        .unwrap();
    let fields: Vec<String> = ["TP60", "TX_CHOMAGE", "PART_FAM_MONO"]
        .map(String::from)
        .to_vec();
    let ind = Indicators::from_table(&communes.attributes, &fields, "communes").unwrap();
    let t = typology(ind, 4, &Method::Ward).unwrap();
    let codes = communes.attributes.field("INSEE_COM").unwrap();
    let mut expected: HashMap<String, String> = HashMap::new();
    for (zone, label) in t.indicators.zones.iter().zip(&t.labels) {
        expected.insert(
            codes.values.get(*zone).unwrap().to_string(),
            (label + 1).to_string(),
        );
    }

    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    let header: Vec<&str> = lines.next().unwrap().split(';').collect();
    let (ci, ki) = (
        header.iter().position(|h| *h == "code").unwrap(),
        header.iter().position(|h| *h == "classe").unwrap(),
    );
    let mut classified = 0;
    let mut left_out = 0;
    for line in lines {
        let cells: Vec<&str> = line.split(';').collect();
        match expected.get(cells[ci]) {
            Some(class) => {
                assert_eq!(cells[ki], class, "{line}");
                classified += 1;
            }
            None => {
                assert_eq!(cells[ki], "", "{line}");
                assert!(line.contains("TP60 : secret statistique"), "{line}");
                left_out += 1;
            }
        }
    }
    assert_eq!((classified, left_out), (134, 60));
    let profils = std::fs::read_to_string(&profils).unwrap();
    assert!(
        profils.contains("ensemble des zones classées;134;"),
        "{profils}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Four zones on a line 0 – 1 – 2 – 3 with one indicator x = 0, 10, 0.5, 10.2.
/// Unconstrained Ward (k = 2) pairs the similar values: {0, 2} and {1, 3}.
/// Under contiguity, the candidate pairs are (0,1): 10, (1,2): 9.5, (2,3): 9.7 → {1, 2} merges
/// (centroid 5.25); then d({0},{1,2}) = √(2·1·2/3)·5.25 ≈ 6.06 and
/// d({1,2},{3}) = √(4/3)·4.95 ≈ 5.72 → {1, 2, 3}: regions {0} and {1, 2, 3}.
/// With populations 10, 100, 100, 100 and a minimum of 50, region {0} (10 inhabitants) merges
/// with its only neighbour: one region.
#[test]
fn contiguous_ward_on_a_line_against_a_hand_computation() {
    let z: Vec<Vec<f64>> = [0.0, 10.0, 0.5, 10.2].iter().map(|&x| vec![x]).collect();
    assert_eq!(ward(&z, 2).unwrap(), vec![0, 1, 0, 1]);
    let line = vec![vec![1], vec![0, 2], vec![1, 3], vec![2]];
    let pop = [10.0, 100.0, 100.0, 100.0];
    let r = ward_contiguous(&z, &line, 2, Some(&pop), 0.0).unwrap();
    assert_eq!(r.labels, vec![0, 1, 1, 1]);
    assert_eq!((r.regions, r.components, r.population_merges), (2, 1, 0));
    let r = ward_contiguous(&z, &line, 2, Some(&pop), 50.0).unwrap();
    assert_eq!(r.labels, vec![0, 0, 0, 0]);
    assert_eq!((r.regions, r.population_merges), (1, 1));
    // An island under the minimum is reported, never merged across a gap.
    let islands = vec![vec![1], vec![0, 2], vec![1], vec![]];
    let r = ward_contiguous(&z, &islands, 2, Some(&pop), 150.0).unwrap();
    assert_eq!(r.components, 2);
    assert_eq!(r.labels, vec![0, 0, 0, 1]);
    assert_eq!(r.below_minimum, vec![1]);
}

#[test]
fn k_scores_give_a_decreasing_elbow_and_silhouettes_for_k_2_to_10() {
    let (_, values) = data("indicators_essonne.csv");
    let z = standardize(&values).z;
    let scores = k_scores(&z, K_RANGE, &KMeansOptions::default()).unwrap();
    assert_eq!(
        scores.iter().map(|s| s.k).collect::<Vec<_>>(),
        (2..=10).collect::<Vec<_>>()
    );
    // The best inertia can only fall when k grows (up to the 1 % of the restarts).
    for w in scores.windows(2) {
        assert!(w[1].inertia <= w[0].inertia * 1.01, "{w:?}");
    }
    let sklearn = per_k("kmeans_essonne.csv");
    for (k, inertia) in sklearn {
        let s = scores.iter().find(|s| s.k == k).unwrap();
        assert!((s.inertia - inertia).abs() <= 0.01 * inertia);
        let sil = s.silhouette.unwrap();
        assert!(sil > 0.0 && sil < 1.0, "k={k}: {sil}");
    }
}

/// The 34,738 communes of France (code, ln(population + 1), ln(area km²), y km) and
/// fastcluster's Ward partitions k = 2..6 (`ward_france_all.csv`).
fn france_all() -> (Vec<Vec<f64>>, Vec<Vec<usize>>) {
    let rows = rows("ward_france_all.csv");
    let values = rows
        .iter()
        .map(|r| r[1..4].iter().map(|c| c.parse::<f64>().unwrap()).collect())
        .collect();
    let partitions = (0..5)
        .map(|j| {
            let labels: Vec<usize> = rows.iter().map(|r| r[4 + j].parse().unwrap()).collect();
            canonical_labels(&labels)
        })
        .collect();
    (values, partitions)
}

/// Ward on every commune of France equals fastcluster's `linkage_vector` (itself checked
/// against SciPy on the 3,000 sample by the reference script), k = 2..6, up to label order.
/// O(n²) time: 217 s in a debug build (2-core machine), so ignored by default; `cartosol bench
/// typology` runs the same check in release. Run it with `--ignored`.
#[test]
#[ignore = "Ward sur 34 738 communes : environ 4 min en debug ; cartosol bench typology en release"]
fn ward_on_all_of_france_equals_fastcluster() {
    let (values, partitions) = france_all();
    assert_eq!(values.len(), 34_738);
    let z = standardize(&values).z;
    let started = std::time::Instant::now();
    let merges = ward_linkage(&z).unwrap();
    eprintln!("Ward, France : {:.1} s", started.elapsed().as_secs_f64());
    for (k, expected) in (2..=6).zip(&partitions) {
        let ours = cut(z.len(), &merges, k);
        let differ = ours.iter().zip(expected).filter(|(a, b)| a != b).count();
        assert_eq!(
            differ, 0,
            "k={k}: {differ} communes dans une autre classe que fastcluster"
        );
    }
}
