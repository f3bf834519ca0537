//! Analyses against hand computations, independent recomputations and real data: quality report
//! on the real town halls, coverage of the Essonne sample (FICTIF services), 2SFCA by hand, and
//! `cartosol coverage` against the library.

use approx::assert_relative_eq;
use cartosol::analysis::coverage::{CoverageOptions, Placement, coverage, coverage_placed};
use cartosol::analysis::distance::distance_m;
use cartosol::analysis::eligibility::is_remote_only;
use cartosol::analysis::fca::{Decay, two_step_fca};
use cartosol::analysis::index::{ServiceIndex, nearest_by_theme};
use cartosol::analysis::quality::{quality_report, quality_report_assigned};
use cartosol::analysis::underserved::{
    NeedThreshold, OfferThreshold, UnderservedRule, underserved,
};
use cartosol::analysis::{ZoneIndex, bivariate};
use cartosol::model::{PointLayer, ZoneLayer};
use cartosol::points::{PointOptions, load_points, split_list};
use cartosol::project::open_project;
use cartosol::zones::{ZoneOptions, load_zones};
use cartosol::{Missing, Value};
use geo::{InteriorPoint, Point};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

const PROJECT: &str = "sample_data/essonne.cartosol.json";

fn communes() -> ZoneLayer {
    load_zones(
        Path::new("sample_data/essonne/communes.geojson"),
        &ZoneOptions::default(),
    )
    .unwrap()
}

fn services() -> PointLayer {
    load_points(
        Path::new("sample_data/services_essonne_FICTIF.csv"),
        &PointOptions::default(),
    )
    .unwrap()
}

fn text(layer_table: &cartosol::Table, field: &str, row: usize) -> String {
    layer_table
        .field(field)
        .unwrap()
        .values
        .get(row)
        .unwrap()
        .to_string()
}

/// Commune code → EPCI SIREN, from the membership table (an input independent of geometry).
fn membership() -> HashMap<String, String> {
    let text = std::fs::read_to_string("sample_data/essonne/epci_membership.csv").unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let cols: Vec<&str> = l.split(';').collect();
            (cols[0].to_owned(), cols[2].to_owned())
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// 1. Quality report on the real town halls.

#[test]
fn misplaced_town_halls_are_flagged_in_both_copies() {
    // The 10 misplaced town halls documented in sample_data/README.md (positions as published
    // by the DILA): Champlan is in Colmar, 9 others fall in a neighbouring commune.
    let expected_wrong: BTreeMap<&str, &str> = [
        ("91223", "91106"),
        ("91079", "91294"),
        ("91037", "91179"),
        ("91526", "91248"),
        ("91374", "91248"),
        ("91619", "91318"),
        ("91274", "91411"),
        ("91293", "91639"),
        ("91473", "91198"),
    ]
    .into_iter()
    .collect();
    for dir in ["sample_data/essonne", "../shared/data/essonne"] {
        let dir = Path::new(dir);
        let zones = load_zones(&dir.join("communes.geojson"), &ZoneOptions::default()).unwrap();
        let points = load_points(&dir.join("mairies.geojson"), &PointOptions::default()).unwrap();
        let report = quality_report(&points, &zones, None, None).unwrap();
        assert_eq!(report.checked, 194, "{}", dir.display());
        assert_eq!(report.outside.len(), 1, "{report}");
        let champlan = &report.outside[0];
        assert_eq!(champlan.declared.as_deref(), Some("91136"));
        assert_eq!(champlan.found, None);
        // README: ≈ 381 km from Champlan (Colmar, 7.357743 E, 48.079769 N).
        let d = champlan.distance_to_declared_m.unwrap();
        assert!((d - 381_000.0).abs() < 2_000.0, "{d}");
        let wrong: BTreeMap<&str, &str> = report
            .wrong_zone
            .iter()
            .map(|i| (i.declared.as_deref().unwrap(), i.found.as_deref().unwrap()))
            .collect();
        assert_eq!(wrong, expected_wrong, "{report}");
        // Étampes' town hall is ≈ 10.9 km outside Étampes, Orveau's ≈ 1.0 km (README).
        let dist = |code: &str| {
            report
                .wrong_zone
                .iter()
                .find(|i| i.declared.as_deref() == Some(code))
                .and_then(|i| i.distance_to_declared_m)
                .unwrap()
        };
        assert!(
            (dist("91223") - 10_900.0).abs() < 300.0,
            "{}",
            dist("91223")
        );
        assert!((dist("91473") - 1_000.0).abs() < 150.0, "{}", dist("91473"));
        let shown = report.to_string();
        assert!(shown.contains("1 point(s) hors du territoire"), "{shown}");
        assert!(
            shown.contains("9 point(s) dans une autre commune que celle déclarée"),
            "{shown}"
        );
    }
}

#[test]
fn zone_index_agrees_with_geo_contains_on_town_halls() {
    use geo::Contains;
    let zones = communes();
    let points = load_points(
        Path::new("sample_data/essonne/mairies.geojson"),
        &PointOptions::default(),
    )
    .unwrap();
    let idx = ZoneIndex::new(&zones);
    for p in points.positions.iter().flatten() {
        let brute: Vec<usize> = zones
            .geometries
            .iter()
            .enumerate()
            .filter(|(_, g)| g.contains(p))
            .map(|(i, _)| i)
            .collect();
        match idx.zone_of(*p) {
            Some(z) => assert_eq!(brute, vec![z], "{p:?}"),
            None => assert!(brute.is_empty(), "{p:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Proximity queries for the map.

#[test]
fn within_radius_and_nearest_by_theme_match_brute_force() {
    let svc = services();
    let click = Point::new(2.4296, 48.6243); // Évry-Courcouronnes
    let idx = ServiceIndex::new(&svc);
    let found = idx.within(click, 5_000.0);
    let mut brute: Vec<(usize, f64)> = svc
        .positions
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.map(|p| (i, distance_m(click, p))))
        .filter(|(_, d)| *d <= 5_000.0)
        .collect();
    brute.sort_by(|a, b| a.1.total_cmp(&b.1));
    assert!(brute.len() >= 5, "{}", brute.len());
    assert_eq!(
        found.iter().map(|n| n.row).collect::<Vec<_>>(),
        brute.iter().map(|b| b.0).collect::<Vec<_>>()
    );
    for (n, b) in found.iter().zip(&brute) {
        assert_relative_eq!(n.distance_m, b.1, max_relative = 1e-9);
    }
    let k = idx.k_nearest(click, 3);
    assert_eq!(
        k.iter().map(|n| n.row).collect::<Vec<_>>(),
        brute.iter().take(3).map(|b| b.0).collect::<Vec<_>>()
    );

    let by_theme = nearest_by_theme(&svc, "dispositif", click).unwrap();
    assert_eq!(by_theme.len(), 9, "the 9 dispositifs of the sample");
    let theme_f = svc.attributes.field("dispositif").unwrap();
    for (theme, nearest) in &by_theme {
        let best = svc
            .positions
            .iter()
            .enumerate()
            .filter(|(i, _)| theme_f.values.get(*i).unwrap().to_string() == *theme)
            .filter_map(|(i, p)| p.map(|p| (i, distance_m(click, p))))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap();
        let n = nearest.unwrap();
        assert_eq!(n.row, best.0, "{theme}");
        assert_relative_eq!(n.distance_m, best.1, max_relative = 1e-12);
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Coverage on the sample, recomputed independently.

#[test]
fn points_placed_once_give_the_same_checks_and_coverage() {
    // `cartosol coverage` places every point in its commune once and hands the assignment to
    // the coverage and to the point checks: both must be what they are when they place the
    // points themselves, and an assignment of the wrong length must not be trusted.
    let zones = load_zones(
        Path::new("sample_data/essonne/communes.geojson"),
        &ZoneOptions::default(),
    )
    .unwrap();
    let halls = load_points(
        Path::new("sample_data/essonne/mairies.geojson"),
        &PointOptions::default(),
    )
    .unwrap();
    let placed = ZoneIndex::new(&zones).assign(&halls.positions);
    let own = quality_report(&halls, &zones, None, None).unwrap();
    assert_eq!(own.wrong_zone.len(), 9, "{own}");
    for assignment in [&placed[..], &placed[..10], &[]] {
        let given = quality_report_assigned(&halls, &zones, assignment, None, None).unwrap();
        assert_eq!(given, own, "assignment of {} points", assignment.len());
    }

    let (com, svc) = (communes(), services());
    let index = ZoneIndex::new(&com);
    let placed = index.assign(&svc.positions);
    // An index of other zones (the EPCI) must not be used for the communes.
    let epci = load_zones(
        Path::new("sample_data/essonne/epci.geojson"),
        &ZoneOptions::default(),
    )
    .unwrap();
    let other_index = ZoneIndex::new(&epci);
    let options = CoverageOptions {
        theme: Some("France Services".to_owned()),
        ..CoverageOptions::default()
    };
    let own = coverage(&com, &com, &svc, &options).unwrap();
    let placement = |index, service_zones| Placement {
        index,
        service_zones,
    };
    for given in [
        Some(placement(&index, &placed[..])),
        Some(placement(&index, &placed[..3])),
        Some(placement(&other_index, &placed[..])),
        None,
    ] {
        let result = coverage_placed(&com, &com, &svc, &options, given).unwrap();
        assert_eq!(format!("{result:?}"), format!("{own:?}"));
    }
    assert!(own.services_total > 0);
}

fn fs_options() -> CoverageOptions {
    CoverageOptions {
        theme: Some("France Services".to_owned()),
        need_field: Some("TP60".to_owned()),
        target_field: Some("NB_MEN_PAUV".to_owned()),
        radius_m: 10_000.0,
        threshold_m: 5_000.0,
        ..CoverageOptions::default()
    }
}

#[test]
fn epci_counts_match_the_membership_table() {
    let project = open_project(Path::new(PROJECT)).unwrap();
    let epci = &project
        .zones
        .iter()
        .find(|(s, _)| s.id == "epci")
        .unwrap()
        .1;
    let com = &project
        .zones
        .iter()
        .find(|(s, _)| s.id == "communes")
        .unwrap()
        .1;
    let svc = &project
        .points
        .iter()
        .find(|(s, _)| s.id == "services")
        .unwrap()
        .1;
    for theme in [
        "France Services",
        "Crèche",
        "Premier accueil social",
        "Médiation numérique",
    ] {
        let options = CoverageOptions {
            theme: Some(theme.to_owned()),
            ..fs_options()
        };
        let result = coverage(epci, com, svc, &options).unwrap();
        // Independent count: each service's declared commune → its EPCI by the membership
        // table (services are placed inside their commune, README).
        let member = membership();
        let mut in_person: BTreeMap<String, usize> = BTreeMap::new();
        let mut remote: BTreeMap<String, usize> = BTreeMap::new();
        let t = &svc.attributes;
        for r in 0..svc.len() {
            if text(t, "dispositif", r) != theme {
                continue;
            }
            let siren = member[&text(t, "code_insee", r)].clone();
            let modes = split_list(&text(t, "modes_accueil", r));
            let only_remote = modes.iter().any(|m| m == "a-distance")
                && !modes.iter().any(|m| m == "en-presentiel");
            *(if only_remote {
                &mut remote
            } else {
                &mut in_person
            })
            .entry(siren)
            .or_default() += 1;
        }
        for z in &result.zones {
            assert_eq!(
                z.services,
                in_person.get(&z.code).copied().unwrap_or(0),
                "{theme} {}",
                z.code
            );
            assert_eq!(
                z.services_remote,
                remote.get(&z.code).copied().unwrap_or(0),
                "{theme} {}",
                z.code
            );
        }
        let total: usize = result
            .zones
            .iter()
            .map(|z| z.services + z.services_remote)
            .sum();
        assert_eq!(
            total,
            result.services_total - result.services_unlocated.len(),
            "{theme}"
        );
    }
}

#[test]
fn epci_distance_is_population_weighted_mean_over_communes() {
    let project = open_project(Path::new(PROJECT)).unwrap();
    let epci = &project
        .zones
        .iter()
        .find(|(s, _)| s.id == "epci")
        .unwrap()
        .1;
    let com = &project
        .zones
        .iter()
        .find(|(s, _)| s.id == "communes")
        .unwrap()
        .1;
    let svc = &project
        .points
        .iter()
        .find(|(s, _)| s.id == "services")
        .unwrap()
        .1;
    let options = fs_options();
    let result = coverage(epci, com, svc, &options).unwrap();

    // Brute force: France Services in person with coordinates; each commune's interior point;
    // nearest by haversine; weighted by POPULATION within each EPCI (membership table).
    let t = &svc.attributes;
    let fs: Vec<Point> = (0..svc.len())
        .filter(|&r| text(t, "dispositif", r) == "France Services")
        .filter(|&r| !is_remote_only(t.field("modes_accueil").unwrap().values.get(r).unwrap()))
        .filter_map(|r| svc.positions[r])
        .collect();
    let member = membership();
    let mut sums: BTreeMap<String, (f64, f64, f64)> = BTreeMap::new();
    for (i, g) in com.geometries.iter().enumerate() {
        let p = g.interior_point().unwrap();
        let d = fs
            .iter()
            .map(|s| distance_m(p, *s))
            .fold(f64::INFINITY, f64::min);
        let pop = com
            .attributes
            .field("POPULATION")
            .unwrap()
            .values
            .get(i)
            .unwrap()
            .as_f64()
            .unwrap();
        let code = text(&com.attributes, "INSEE_COM", i);
        let e = sums.entry(member[&code].clone()).or_default();
        e.0 += pop * d;
        e.1 += pop;
        e.2 += if d > 5_000.0 { pop } else { 0.0 };
    }
    let mut total_pop = 0.0;
    for z in &result.zones {
        let (num, pop, far) = sums[&z.code];
        assert_relative_eq!(
            z.mean_distance_m.as_f64().unwrap(),
            num / pop,
            max_relative = 1e-9
        );
        assert_relative_eq!(
            z.share_beyond.as_f64().unwrap(),
            far / pop,
            max_relative = 1e-9
        );
        assert_eq!(z.population, Value::Number(pop));
        assert_relative_eq!(
            z.per_10000.as_f64().unwrap(),
            z.services as f64 / pop * 10_000.0,
            max_relative = 1e-12
        );
        total_pop += pop;
    }
    // README: the 194 communes total 1,296,130 inhabitants.
    assert_eq!(total_pop, 1_296_130.0);
    // The EPCI layer's own POPULATION_91 agrees with the sum of its communes.
    let pop91 = epci.attributes.field("POPULATION_91").unwrap();
    for (i, z) in result.zones.iter().enumerate() {
        assert_eq!(z.population, pop91.values.get(i).unwrap(), "{}", z.code);
    }
}

#[test]
fn missing_target_stays_missing_with_its_reason() {
    let project = open_project(Path::new(PROJECT)).unwrap();
    let com = &project
        .zones
        .iter()
        .find(|(s, _)| s.id == "communes")
        .unwrap()
        .1;
    let svc = &project
        .points
        .iter()
        .find(|(s, _)| s.id == "services")
        .unwrap()
        .1;
    let result = coverage(com, com, svc, &fs_options()).unwrap();
    // 60 communes under statistical secrecy (README): NB_MEN_PAUV = `s`.
    let secret: Vec<_> = result
        .zones
        .iter()
        .filter(|z| z.target == Value::Missing(Missing::Secret))
        .collect();
    assert_eq!(secret.len(), 60);
    for z in &secret {
        assert_eq!(
            z.per_1000_target,
            Value::Missing(Missing::Secret),
            "{}",
            z.code
        );
        assert_eq!(z.need, Value::Missing(Missing::Secret), "{}", z.code);
    }
    // Communes with a value get a number, and none of the missing ones became 0.
    assert!(
        result
            .zones
            .iter()
            .filter(|z| z.per_1000_target.as_f64().is_some())
            .count()
            == 134
    );
}

#[test]
fn unpositioned_services_are_counted_by_commune_code() {
    let project = open_project(Path::new(PROJECT)).unwrap();
    let com = &project
        .zones
        .iter()
        .find(|(s, _)| s.id == "communes")
        .unwrap()
        .1;
    let svc = &project
        .points
        .iter()
        .find(|(s, _)| s.id == "services")
        .unwrap()
        .1;
    let options = CoverageOptions {
        theme: None,
        ..fs_options()
    };
    let result = coverage(com, com, svc, &options).unwrap();
    // README: 3 rows without coordinates, all with a code_insee.
    assert_eq!(result.services_by_code, 3);
    assert!(result.services_unlocated.is_empty());
    let t = &svc.attributes;
    for r in (0..svc.len()).filter(|r| svc.positions[*r].is_none()) {
        let code = text(t, "code_insee", r);
        let z = result.zones.iter().find(|z| z.code == code).unwrap();
        assert!(z.services_by_code >= 1, "{code}");
    }
    let unpositioned_in_person = (0..svc.len())
        .filter(|r| svc.positions[*r].is_none())
        .filter(|r| !is_remote_only(t.field("modes_accueil").unwrap().values.get(*r).unwrap()))
        .count();
    assert_eq!(
        result
            .zones
            .iter()
            .map(|z| z.services_by_code)
            .sum::<usize>(),
        unpositioned_in_person
    );
    // Every row is counted once: in person + remote over the zones = all 299 rows.
    let total: usize = result
        .zones
        .iter()
        .map(|z| z.services + z.services_remote)
        .sum();
    assert_eq!(total, 299);
}

#[test]
fn eligibility_covers_zones_whatever_the_distance() {
    let project = open_project(Path::new(PROJECT)).unwrap();
    let epci = &project
        .zones
        .iter()
        .find(|(s, _)| s.id == "epci")
        .unwrap()
        .1;
    let com = &project
        .zones
        .iter()
        .find(|(s, _)| s.id == "communes")
        .unwrap()
        .1;
    let svc = &project
        .points
        .iter()
        .find(|(s, _)| s.id == "services")
        .unwrap()
        .1;
    let member = membership();
    for theme in ["Mission locale", "SLIME", "PAEJ", "Mobilité"] {
        let result = coverage(
            epci,
            com,
            svc,
            &CoverageOptions {
                theme: Some(theme.into()),
                ..fs_options()
            },
        )
        .unwrap();
        // Independent: a service covers EPCI E if its list holds "91", E's SIREN, or the code
        // of a commune of E.
        let t = &svc.attributes;
        let mut expected: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for r in (0..svc.len()).filter(|&r| text(t, "dispositif", r) == theme) {
            let items = split_list(&text(t, "zone_eligibilite", r));
            let remote = is_remote_only(t.field("modes_accueil").unwrap().values.get(r).unwrap());
            let covered: BTreeSet<String> = member
                .iter()
                .filter(|(c, e)| items.iter().any(|i| i == "91" || i == *c || i == *e))
                .map(|(_, e)| e.clone())
                .collect();
            for e in covered {
                let slot = expected.entry(e).or_default();
                if remote { slot.1 += 1 } else { slot.0 += 1 }
            }
        }
        for z in &result.zones {
            let (inp, rem) = expected.get(&z.code).copied().unwrap_or_default();
            assert_eq!(
                (z.services_eligible, z.services_remote_eligible),
                (inp, rem),
                "{theme} {}",
                z.code
            );
        }
        // Mission locale: 9 services for 13 EPCI, yet each EPCI is covered by eligibility.
        if theme == "Mission locale" {
            assert!(result.zones.iter().filter(|z| z.services == 0).count() > 0);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 4. 2SFCA computed by hand.

#[test]
fn two_step_fca_by_hand() {
    // Five points on the equator (lat 0), longitudes in degrees; 0.001° of longitude on the
    // equator is 6,371,008.8 × π/180 × 0.001 = 111.195 m.
    //   demand A at 0.000 (100), B at 0.025 (300), C at 0.050 (50);
    //   service S1 at 0.010 (capacity 2), S2 at 0.045 (capacity 1); catchment d0 = 2,000 m.
    // Distances (m): A–S1 1,111.95; B–S1 1,667.93; C–S1 4,447.80 (out);
    //                A–S2 5,003.78 (out); B–S2 2,223.90 (out); C–S2 555.98.
    //
    // Step decay (W = 1 inside d0):
    //   R1 = 2 / (100 + 300) = 0.005        R2 = 1 / 50 = 0.02
    //   A_A = R1 = 0.005, A_B = R1 = 0.005, A_C = R2 = 0.02
    //
    // Gaussian decay W(d) = (e^(−½(d/d0)²) − e^(−½)) / (1 − e^(−½)), e^(−½) = 0.6065307:
    //   W(A–S1): (d/d0)² = 0.3091, e^(−0.15456) = 0.856790 → (0.856790 − 0.606531)/0.393469 = 0.636050
    //   W(B–S1): (d/d0)² = 0.6955, e^(−0.34775) = 0.706278 → 0.253506
    //   W(C–S2): (d/d0)² = 0.07728, e^(−0.03864) = 0.962087 → 0.903673
    //   R1 = 2 / (0.636050×100 + 0.253506×300) = 2 / 139.657 = 0.0143208
    //   R2 = 1 / (0.903673×50) = 0.0221319
    //   A_A = 0.636050 × 0.0143208 = 0.0091088
    //   A_B = 0.253506 × 0.0143208 = 0.0036304
    //   A_C = 0.903673 × 0.0221319 = 0.02 (C is alone in S2's catchment)
    let demand_points = [
        Some(Point::new(0.0, 0.0)),
        Some(Point::new(0.025, 0.0)),
        Some(Point::new(0.05, 0.0)),
    ];
    let demand = [
        Value::Number(100.0),
        Value::Number(300.0),
        Value::Number(50.0),
    ];
    let supply_points = [Point::new(0.01, 0.0), Point::new(0.045, 0.0)];
    let supply = [Value::Number(2.0), Value::Number(1.0)];
    let step = two_step_fca(
        &demand_points,
        &demand,
        &supply_points,
        &supply,
        2_000.0,
        Decay::Step,
    )
    .unwrap();
    let num = |v: &[Value]| v.iter().map(|x| x.as_f64().unwrap()).collect::<Vec<_>>();
    let a = num(&step.accessibility);
    assert_relative_eq!(a[0], 0.005, max_relative = 1e-12);
    assert_relative_eq!(a[1], 0.005, max_relative = 1e-12);
    assert_relative_eq!(a[2], 0.02, max_relative = 1e-12);
    assert_eq!(num(&step.ratios), vec![0.005, 0.02]);

    let gauss = two_step_fca(
        &demand_points,
        &demand,
        &supply_points,
        &supply,
        2_000.0,
        Decay::Gaussian,
    )
    .unwrap();
    let a = num(&gauss.accessibility);
    assert_relative_eq!(a[0], 0.0091088, max_relative = 1e-4);
    assert_relative_eq!(a[1], 0.0036304, max_relative = 1e-4);
    assert_relative_eq!(a[2], 0.02, max_relative = 1e-9);
    let r = num(&gauss.ratios);
    assert_relative_eq!(r[0], 0.0143208, max_relative = 1e-4);
    assert_relative_eq!(r[1], 0.0221319, max_relative = 1e-4);
}

// ---------------------------------------------------------------------------------------------
// 5. Under-served rule and bivariate map on the sample.

#[test]
fn underserved_epci_on_the_sample() {
    let project = open_project(Path::new(PROJECT)).unwrap();
    let epci = &project
        .zones
        .iter()
        .find(|(s, _)| s.id == "epci")
        .unwrap()
        .1;
    let com = &project
        .zones
        .iter()
        .find(|(s, _)| s.id == "communes")
        .unwrap()
        .1;
    let svc = &project
        .points
        .iter()
        .find(|(s, _)| s.id == "services")
        .unwrap()
        .1;
    let result = coverage(
        epci,
        com,
        svc,
        &CoverageOptions {
            theme: None,
            ..fs_options()
        },
    )
    .unwrap();
    let need: Vec<Value> = result.zones.iter().map(|z| z.need.clone()).collect();
    let offer: Vec<Value> = result.zones.iter().map(|z| z.per_10000.clone()).collect();
    // README: the two single-commune EPCI (Bièvres, Varennes-Jarcy) have no service at all.
    let empty: Vec<&str> = result
        .zones
        .iter()
        .filter(|z| z.services + z.services_remote == 0)
        .map(|z| z.name.as_str())
        .collect();
    assert_eq!(empty.len(), 2, "{empty:?}");
    let rule = UnderservedRule {
        need_label: "taux de pauvreté".into(),
        need_unit: "%".into(),
        need: NeedThreshold::AtLeast(0.0),
        offer_label: "service pour 10 000 habitants".into(),
        offer: OfferThreshold::AtMost(0.0),
    };
    let u = underserved(&need, &offer, &rule);
    let mut flagged: Vec<&str> = u
        .flagged
        .iter()
        .map(|f| result.zones[f.zone].name.as_str())
        .collect();
    flagged.sort();
    let mut empty_sorted = empty.clone();
    empty_sorted.sort();
    assert_eq!(flagged, empty_sorted);
    assert_eq!(
        u.rule_text,
        "Zones sous-desservies : taux de pauvreté ≥ 0 % et au plus 0 service pour 10 000 habitants"
    );
    let b = bivariate::classify(&need, &offer);
    assert_eq!(b.classes.len(), 13);
    for f in &u.flagged {
        assert_eq!(
            b.classes[f.zone].map(|c| c.1),
            Some(0),
            "no offer: lowest offer tercile"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 6. The command line gives the library's figures.

/// Header and rows of a CSV written by the tool (UTF-8 BOM, `;`).
fn parse_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.strip_prefix('\u{feff}').expect("UTF-8 BOM");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

/// The cell of column `name` in `row`.
fn cell<'a>(header: &[String], row: &'a [String], name: &str) -> &'a str {
    let i = header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("column « {name} » absent: {header:?}"));
    &row[i]
}

/// Runs `cartosol` with `args`; panics with its stderr when it fails.
fn cartosol(args: &[&str]) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cartosol"))
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "cartosol {args:?}: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// A fresh temporary folder for one test.
fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("cartosol-{name}-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text_of(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn cli_coverage_matches_the_library() {
    let dir = temp_dir("coverage");
    let out = dir.join("couverture.csv");
    let args = |out: &Path| -> Vec<String> {
        [
            "coverage",
            "--project",
            PROJECT,
            "--zones-layer",
            "epci",
            "--theme",
            "France Services",
            "--need",
            "TP60",
            "--target-field",
            "NB_MEN_PAUV",
            "--radius-km",
            "10",
            "--threshold-km",
            "5",
            "--need-min",
            "15",
            "--offer-max",
            "0.2",
            "--out",
            text_of(out),
        ]
        .map(str::to_owned)
        .to_vec()
    };
    let argv = args(&out);
    cartosol(&argv.iter().map(String::as_str).collect::<Vec<_>>());
    let (header, rows) = parse_csv(&out);
    let project = open_project(Path::new(PROJECT)).unwrap();
    let epci = &project
        .zones
        .iter()
        .find(|(s, _)| s.id == "epci")
        .unwrap()
        .1;
    let com = &project
        .zones
        .iter()
        .find(|(s, _)| s.id == "communes")
        .unwrap()
        .1;
    let svc = &project
        .points
        .iter()
        .find(|(s, _)| s.id == "services")
        .unwrap()
        .1;
    let lib = coverage(epci, com, svc, &fs_options()).unwrap();
    assert_eq!(rows.len(), 13);
    // Every figure column of the library is in the file, with the library's values.
    for (k, h) in lib.headers().iter().enumerate() {
        for (row, z) in rows.iter().zip(&lib.zones) {
            let got = cell(&header, row, h);
            let expected = match k {
                0 => Value::Text(z.code.clone()),
                1 => Value::Text(z.name.clone()),
                _ => lib.coverage_table(None).fields[k]
                    .values
                    .get(lib.zones.iter().position(|y| y.code == z.code).unwrap())
                    .unwrap()
                    .to_value(),
            };
            match expected {
                Value::Number(x) => {
                    let g = cartosol::value::parse_number(got).unwrap();
                    assert!(
                        (g - x).abs() <= 1e-9 * x.abs().max(1.0),
                        "{h}: {got} vs {x}"
                    );
                }
                Value::Text(t) => assert_eq!(got, t, "{h}"),
                Value::Missing(m) => {
                    assert_eq!(got, "", "{h}");
                    assert_eq!(cell(&header, row, &format!("{h}_motif")), m.label());
                }
            }
        }
    }
    // The under-served flag by hand: TP60 ≥ 15 and at most 0.2 France Services per 10,000.
    for (row, z) in rows.iter().zip(&lib.zones) {
        let flag = cell(&header, row, "sous-desservie");
        match (z.need.as_f64(), z.per_10000.as_f64()) {
            (Some(n), Some(o)) => {
                assert_eq!(
                    flag,
                    if n >= 15.0 && o <= 0.2 { "oui" } else { "non" },
                    "{}",
                    z.name
                )
            }
            _ => assert_eq!(flag, ""),
        }
        assert_eq!(
            cell(&header, row, "règle de sous-desserte"),
            "Zones sous-desservies : TP60 ≥ 15 et au plus 0,2 France Services pour 10 000 habitants"
        );
    }
    assert!(
        rows.iter()
            .any(|r| cell(&header, r, "sous-desservie") == "oui")
    );
    // The bivariate class is the library's tercile class of (TP60, services per 10,000).
    let need: Vec<Value> = lib.zones.iter().map(|z| z.need.clone()).collect();
    let offer: Vec<Value> = lib.zones.iter().map(|z| z.per_10000.clone()).collect();
    let classes = bivariate::classify(&need, &offer);
    for (row, c) in rows.iter().zip(&classes.classes) {
        assert_eq!(
            cell(&header, row, "classe bivariée (besoin × offre)"),
            bivariate::class_label(c.unwrap())
        );
    }
    // Codes stay text with all their digits; distances are in km.
    assert!(rows.iter().any(|r| r[0] == "200017846"));
    let d: f64 = cartosol::value::parse_number(cell(
        &header,
        &rows[0],
        "distance moyenne au service le plus proche (km)",
    ))
    .unwrap();
    assert!(d > 0.0 && d < 30.0, "{d} km");

    // GeoJSON and XLSX outputs of the same run.
    for ext in ["geojson", "xlsx"] {
        let out = dir.join(format!("couverture.{ext}"));
        let argv = args(&out);
        cartosol(&argv.iter().map(String::as_str).collect::<Vec<_>>());
        if ext == "geojson" {
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
            let features = v["features"].as_array().unwrap();
            assert_eq!(features.len(), 13);
            assert_eq!(
                features[0]["properties"]["code"],
                serde_json::json!(rows[0][0])
            );
            assert_eq!(features[0]["geometry"]["type"], "MultiPolygon");
        } else {
            let bytes = std::fs::read(&out).unwrap();
            assert_eq!(&bytes[..2], b"PK");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn cli_coverage_refuses_table_options_with_a_project() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cartosol"))
        .args(["coverage", "--project", PROJECT, "--table", "panorama.xlsx"])
        .args(["--sheet", "COM", "--out"])
        .arg(temp_dir("refuse").join("x.csv"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("--table, --sheet ne s'utilise pas avec --project"),
        "{err}"
    );
}

/// Two communes sharing the meridian 2.5° E: 91001 west (2.4–2.5), 91002 east (2.5–2.6), both
/// 48.4–48.6° N, with their population and poor households (7 in the west: under the secrecy
/// threshold of 11); a third, 91003, north of the west one, with its poverty rate under
/// secrecy (`s`).
const TWO_COMMUNES: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"INSEE_COM":"91001","NOM":"Ouest","POPULATION":1200,"NB_MEN_PAUV":7,"TP60":20.5},
 "geometry":{"type":"Polygon","coordinates":[[[2.4,48.4],[2.5,48.4],[2.5,48.6],[2.4,48.6],[2.4,48.4]]]}},
{"type":"Feature","properties":{"INSEE_COM":"91002","NOM":"Est","POPULATION":3400,"NB_MEN_PAUV":25,"TP60":9.5},
 "geometry":{"type":"Polygon","coordinates":[[[2.5,48.4],[2.6,48.4],[2.6,48.6],[2.5,48.6],[2.5,48.4]]]}},
{"type":"Feature","properties":{"INSEE_COM":"91003","NOM":"Nord","POPULATION":800,"NB_MEN_PAUV":30,"TP60":"s"},
 "geometry":{"type":"Polygon","coordinates":[[[2.4,48.6],[2.5,48.6],[2.5,48.8],[2.4,48.8],[2.4,48.6]]]}}
]}"#;

/// One service exactly on the shared border, declared in the west commune, and one in the
/// east commune.
const BORDER_SERVICES: &str = "nom;dispositif;code_insee;longitude;latitude\n\
    Sur la limite;France Services;91001;2.5;48.5\n\
    À l'est;France Services;91002;2.55;48.45\n";

#[test]
fn a_point_on_a_shared_border_is_counted_once_in_every_output() {
    let dir = temp_dir("border");
    let zones = dir.join("communes.geojson");
    let points = dir.join("services.csv");
    std::fs::write(&zones, TWO_COMMUNES).unwrap();
    std::fs::write(&points, BORDER_SERVICES).unwrap();
    let out = dir.join("couverture.csv");
    cartosol(&[
        "coverage",
        "--zones",
        text_of(&zones),
        "--points",
        text_of(&points),
        "--out",
        text_of(&out),
    ]);
    let (header, rows) = parse_csv(&out);
    let count = |code: &str| -> f64 {
        let row = rows.iter().find(|r| r[0] == code).unwrap();
        cartosol::value::parse_number(cell(&header, row, "services (sur place)")).unwrap()
    };
    // The rule of the tool: on a north–south border, the zone east of the point.
    assert_eq!((count("91001"), count("91002")), (0.0, 2.0));

    // Quality: the border point is in one commune only, not the one it declares.
    let q = dir.join("qualite.csv");
    let stdout = cartosol(&[
        "quality",
        "--points",
        text_of(&points),
        "--zones",
        text_of(&zones),
        "--out",
        text_of(&q),
    ]);
    assert!(
        stdout.contains("2 point(s) contrôlé(s), 0 hors du territoire, 1 dans une autre commune"),
        "{stdout}"
    );
    let (header, rows) = parse_csv(&q);
    assert_eq!(rows.len(), 1);
    assert_eq!(cell(&header, &rows[0], "nom"), "Sur la limite");
    assert_eq!(cell(&header, &rows[0], "code déclaré"), "91001");
    assert_eq!(cell(&header, &rows[0], "commune de la position"), "91002");
    // On the boundary of its declared commune: 0 km away.
    assert_eq!(
        cartosol::value::parse_number(cell(
            &header,
            &rows[0],
            "distance à la commune déclarée (km)"
        )),
        Some(0.0)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn underserved_flags_by_hand_and_keeps_the_reason_of_a_missing_need() {
    let dir = temp_dir("flags");
    let zones = dir.join("communes.geojson");
    let points = dir.join("services.csv");
    std::fs::write(&zones, TWO_COMMUNES).unwrap();
    std::fs::write(&points, BORDER_SERVICES).unwrap();
    let out = dir.join("sous_desservies.csv");
    let stdout = cartosol(&[
        "underserved",
        "--zones",
        text_of(&zones),
        "--points",
        text_of(&points),
        "--theme",
        "France Services",
        "--need",
        "TP60",
        "--need-label",
        "taux de pauvreté",
        "--need-unit",
        "%",
        "--need-min",
        "15",
        "--offer-below",
        "1",
        "--out",
        text_of(&out),
    ]);
    let rule = "Zones sous-desservies : taux de pauvreté ≥ 15 % et moins de 1 France Services \
                pour 10 000 habitants";
    assert!(stdout.contains(rule), "{stdout}");
    assert!(
        stdout.contains("1 zone(s) sous-desservie(s) sur 3 (1 non évaluée(s)"),
        "{stdout}"
    );
    let (header, rows) = parse_csv(&out);
    let row = |code: &str| rows.iter().find(|r| r[0] == code).unwrap();
    // West: 20.5 % ≥ 15 % and no service (the border one goes east) → flagged.
    assert_eq!(cell(&header, row("91001"), "sous-desservie"), "oui");
    assert_eq!(
        cell(&header, row("91001"), "services pour 10 000 habitants"),
        "0"
    );
    // East: 9.5 % < 15 % → not flagged (2 services for 3,400 inhabitants ≈ 5.9 per 10,000).
    assert_eq!(cell(&header, row("91002"), "sous-desservie"), "non");
    let east = cartosol::value::parse_number(cell(
        &header,
        row("91002"),
        "services pour 10 000 habitants",
    ))
    .unwrap();
    assert!((east - 2.0 / 3400.0 * 10_000.0).abs() < 1e-9, "{east}");
    // North: its rate is under secrecy → not assessed, with the reason.
    for column in ["sous-desservie", "classe bivariée (besoin × offre)"] {
        assert_eq!(cell(&header, row("91003"), column), "");
        assert_eq!(
            cell(&header, row("91003"), &format!("{column}_motif")),
            "secret statistique"
        );
    }
    for r in &rows {
        assert_eq!(cell(&header, r, "règle de sous-desserte"), rule);
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn coverage_and_underserved_outputs_keep_statistical_secrecy() {
    let dir = temp_dir("secret");
    let zones = dir.join("communes.geojson");
    let points = dir.join("services.csv");
    std::fs::write(&zones, TWO_COMMUNES).unwrap();
    std::fs::write(&points, BORDER_SERVICES).unwrap();
    let files = ["--zones", text_of(&zones), "--points", text_of(&points)];
    let secret = |header: &[String], rows: &[Vec<String>], column: &str| {
        let west = rows.iter().find(|r| r[0] == "91001").unwrap();
        let east = rows.iter().find(|r| r[0] == "91002").unwrap();
        // The reason column exists only when some value of the column is missing.
        let reason = match header.iter().position(|h| *h == format!("{column}_motif")) {
            Some(i) => west[i].clone(),
            None => String::new(),
        };
        (
            cell(header, west, column).to_owned(),
            reason,
            cell(header, east, column).to_owned(),
        )
    };
    for lifted in [false, true] {
        let lever: &[&str] = if lifted { &["--lever-secret"] } else { &[] };
        // coverage --target-field NB_MEN_PAUV at commune level.
        let out = dir.join("couverture.csv");
        let mut args = vec!["coverage", "--target-field", "NB_MEN_PAUV"];
        args.extend(files);
        args.extend(lever);
        args.extend(["--out", text_of(&out)]);
        let stdout = cartosol(&args);
        let (header, rows) = parse_csv(&out);
        let (west, reason, east) = secret(&header, &rows, "public cible : NB_MEN_PAUV");
        if lifted {
            assert_eq!((west.as_str(), reason.as_str()), ("7", ""));
            assert!(stdout.contains("secret statistique levé"), "{stdout}");
        } else {
            assert_eq!((west.as_str(), reason.as_str()), ("", "secret statistique"));
            assert!(
                stdout.contains("Secret statistique : 1 effectif(s)"),
                "{stdout}"
            );
        }
        assert_eq!(east, "25");

        // underserved with the poor households as need.
        let out = dir.join("sous_desservies.csv");
        let mut args = vec![
            "underserved",
            "--need",
            "NB_MEN_PAUV",
            "--need-min",
            "5",
            "--offer-max",
            "0",
        ];
        args.extend(files);
        args.extend(lever);
        args.extend(["--out", text_of(&out)]);
        cartosol(&args);
        let (header, rows) = parse_csv(&out);
        let (west, reason, east) = secret(&header, &rows, "besoin : NB_MEN_PAUV");
        if lifted {
            assert_eq!((west.as_str(), reason.as_str()), ("7", ""));
        } else {
            assert_eq!((west.as_str(), reason.as_str()), ("", "secret statistique"));
        }
        assert_eq!(east, "25");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn cli_quality_on_the_real_town_halls() {
    // The 10 misplaced town halls of sample_data/README.md: Champlan (91136) in Colmar, far
    // outside the territory, and 9 in a neighbouring commune (declared → found).
    let expected_wrong: BTreeSet<(String, String)> = [
        ("91223", "91106"),
        ("91079", "91294"),
        ("91037", "91179"),
        ("91526", "91248"),
        ("91374", "91248"),
        ("91619", "91318"),
        ("91274", "91411"),
        ("91293", "91639"),
        ("91473", "91198"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    let dir = temp_dir("quality");
    for (k, data) in ["sample_data/essonne", "../shared/data/essonne"]
        .iter()
        .enumerate()
    {
        let data = Path::new(data);
        let out = dir.join(format!("mairies_{k}.geojson"));
        let stdout = cartosol(&[
            "quality",
            "--points",
            text_of(&data.join("mairies.geojson")),
            "--zones",
            text_of(&data.join("communes.geojson")),
            "--out",
            text_of(&out),
        ]);
        assert!(
            stdout.contains(
                "194 point(s) contrôlé(s), 1 hors du territoire, 9 dans une autre commune \
                 que celle déclarée"
            ),
            "{stdout}"
        );
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        let features = v["features"].as_array().unwrap();
        assert_eq!(features.len(), 10);
        let props = |f: &serde_json::Value, k: &str| f["properties"][k].clone();
        let outside: Vec<&serde_json::Value> = features
            .iter()
            .filter(|f| props(f, "anomalie") == "hors du territoire")
            .collect();
        assert_eq!(outside.len(), 1);
        let champlan = outside[0];
        assert_eq!(props(champlan, "code déclaré"), "91136");
        assert_eq!(
            props(champlan, "commune de la position"),
            serde_json::Value::Null
        );
        // README: the published position is in Colmar (7.357743 E, 48.079769 N), ≈ 381 km.
        assert_eq!(
            champlan["geometry"]["coordinates"],
            serde_json::json!([7.357743, 48.079769])
        );
        let km = props(champlan, "distance à la commune déclarée (km)")
            .as_f64()
            .unwrap();
        assert!((km - 381.0).abs() < 2.0, "{km}");
        let wrong: BTreeSet<(String, String)> = features
            .iter()
            .filter(|f| props(f, "anomalie") == "dans une autre commune que celle déclarée")
            .map(|f| {
                (
                    props(f, "code déclaré").as_str().unwrap().to_owned(),
                    props(f, "commune de la position")
                        .as_str()
                        .unwrap()
                        .to_owned(),
                )
            })
            .collect();
        assert_eq!(wrong, expected_wrong);
    }
    // From the project: the same 10, as CSV with longitude and latitude.
    let out = dir.join("mairies.csv");
    cartosol(&[
        "quality",
        "--project",
        PROJECT,
        "--points-layer",
        "mairies",
        "--out",
        text_of(&out),
    ]);
    let (header, rows) = parse_csv(&out);
    assert_eq!(rows.len(), 10);
    let champlan = rows
        .iter()
        .find(|r| cell(&header, r, "code déclaré") == "91136")
        .unwrap();
    assert_eq!(
        cartosol::value::parse_number(cell(&header, champlan, "longitude")),
        Some(7.357743)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn cli_underserved_table_and_map() {
    let dir = temp_dir("underserved");
    let out = dir.join("sous_desservies.geojson");
    let map = dir.join("carte.svg");
    let stdout = cartosol(&[
        "underserved",
        "--project",
        PROJECT,
        "--zones-layer",
        "epci",
        "--need",
        "TP60",
        "--need-unit",
        "%",
        "--need-min",
        "0",
        "--offer-max",
        "0",
        "--out",
        text_of(&out),
        "--map",
        text_of(&map),
        "--preset",
        "800x600",
        "--date",
        "01/02/2026",
    ]);
    let rule = "Zones sous-desservies : TP60 ≥ 0 % et au plus 0 services pour 10 000 habitants";
    assert!(stdout.contains(rule), "{stdout}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let features = v["features"].as_array().unwrap();
    assert_eq!(features.len(), 13);
    // README: the two EPCI with a single commune in Essonne (Bièvres, Varennes-Jarcy) have no
    // service at all, so they are the zones with no service per 10,000 inhabitants. Which
    // EPCI have one commune comes from the membership table, not from geometry.
    let mut members: HashMap<String, usize> = HashMap::new();
    for epci in membership().values() {
        *members.entry(epci.clone()).or_default() += 1;
    }
    let single: BTreeSet<String> = members
        .into_iter()
        .filter(|(_, n)| *n == 1)
        .map(|(e, _)| e)
        .collect();
    let flagged: BTreeSet<String> = features
        .iter()
        .filter(|f| f["properties"]["sous-desservie"] == "oui")
        .map(|f| f["properties"]["code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(flagged, single);
    for f in features {
        let p = &f["properties"];
        assert_eq!(p["règle de sous-desserte"], rule);
        let none = p["services pour 10 000 habitants"].as_f64() == Some(0.0);
        assert_eq!(p["sous-desservie"] == "oui", none, "{p}");
        assert_eq!(f["geometry"]["type"], "MultiPolygon");
    }
    let svg = std::fs::read_to_string(&map).unwrap();
    // The rule under the legend (wrapped over several text lines).
    let texts: Vec<&str> = svg
        .split("<text")
        .skip(1)
        .filter_map(|t| t.split_once('>').and_then(|(_, r)| r.split_once('<')))
        .map(|(text, _)| text)
        .collect();
    assert!(texts.join(" ").contains(rule), "rule on the map: {texts:?}");
    assert!(svg.contains("2 zone(s) sous-desservie(s) sur 13"));
    // The flagged zones are outlined in the shared style's red: one path per flagged EPCI.
    let outlined = svg
        .split_once("<g id=\"sous-desservies\"")
        .and_then(|(_, rest)| rest.split_once("</g>"))
        .map(|(group, _)| group.matches("<path").count())
        .expect("outline of the flagged zones");
    assert_eq!(outlined, 2);
    // PNG of the same map.
    let png = dir.join("carte.png");
    cartosol(&[
        "underserved",
        "--project",
        PROJECT,
        "--zones-layer",
        "epci",
        "--need",
        "TP60",
        "--need-min",
        "0",
        "--offer-max",
        "0",
        "--out",
        text_of(&dir.join("t.csv")),
        "--map",
        text_of(&png),
        "--preset",
        "800x600",
    ]);
    assert_eq!(&std::fs::read(&png).unwrap()[..8], b"\x89PNG\r\n\x1a\n");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn cli_reports_a_missing_field_in_french() {
    let out =
        std::env::temp_dir().join(format!("cartosol-analysis-err-{}.csv", std::process::id()));
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cartosol"))
        .args([
            "coverage",
            "--project",
            PROJECT,
            "--zones-layer",
            "epci",
            "--need",
            "TAUX_INEXISTANT",
        ])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("champ « TAUX_INEXISTANT » absent de la couche des zones"),
        "{err}"
    );
}
