//! Choropleth classification and palettes, checked against an independent implementation:
//! PySAL mapclassify (version recorded in tests/data/mapclassify/reference.json, made by
//! tests/data/mapclassify/make_reference.py) on the sample's FICTIF poverty panorama, read here
//! through CartoSol's own table loader.

use cartosol::style::classify::{BOX_CLASSES, std_dev_multiples};
use cartosol::style::{
    ClassMethod, MISSING_COLOR, PaletteKind, StyleError, classify, classify_field, palette,
    palettes,
};
use cartosol::table::{TableOptions, load_table};
use serde_json::Value as Json;
use std::path::Path;

const WORKBOOK: &str = "sample_data/panorama_pauvrete_essonne_FICTIF.xlsx";
const REFERENCE: &str = "tests/data/mapclassify/reference.json";

fn reference() -> Json {
    let text = std::fs::read_to_string(REFERENCE).expect("reference.json");
    serde_json::from_str(&text).expect("valid JSON")
}

/// The present numeric values of `indicator` in `sheet`, as CartoSol loads them.
fn values(sheet: &str, indicator: &str) -> Vec<f64> {
    let loaded = load_table(
        Path::new(WORKBOOK),
        &TableOptions {
            sheet: Some(sheet.to_owned()),
            ..TableOptions::default()
        },
    )
    .expect("sample workbook");
    let field = loaded.table.field(indicator).expect("indicator column");
    field.values.iter().filter_map(|v| v.as_f64()).collect()
}

/// Numbers written as exact decimal text (parsed with correct rounding: serde_json's default
/// float parser can be one ulp off, which matters for values that sit on a break).
fn floats(j: &Json) -> Vec<f64> {
    j.as_array()
        .expect("array")
        .iter()
        .map(|v| match v {
            Json::String(s) => s.parse().expect("number text"),
            other => other.as_f64().expect("number"),
        })
        .collect()
}

fn method(name: &str) -> ClassMethod {
    match name {
        "quantiles" => ClassMethod::Quantiles,
        "equal_interval" => ClassMethod::EqualInterval,
        "natural_breaks" => ClassMethod::NaturalBreaks,
        "std_dev" => ClassMethod::StdDev,
        "box_map" => ClassMethod::BoxMap,
        other => panic!("unknown method {other}"),
    }
}

#[test]
fn breaks_agree_with_mapclassify() {
    let reference = reference();
    assert!(
        reference["mapclassify"].as_str().is_some(),
        "mapclassify version recorded"
    );
    let cases = reference["cases"].as_array().expect("cases");
    assert!(cases.len() > 300, "{} cases", cases.len());
    let mut checked = std::collections::BTreeMap::<&str, usize>::new();
    let mut recounted = 0;
    for case in cases {
        let sheet = case["sheet"].as_str().expect("sheet");
        let indicator = case["indicator"].as_str().expect("indicator");
        let name = case["method"].as_str().expect("method");
        let k = case["k"].as_u64().expect("k") as usize;
        let what = format!("{sheet} {indicator} {name} k={k}");
        let y = values(sheet, indicator);
        // Same values read by both tools.
        assert_eq!(y.len() as u64, case["n"].as_u64().expect("n"), "{what}");
        let sum: f64 = y.iter().sum();
        assert!(
            (sum - floats(&Json::Array(vec![case["sum"].clone()]))[0]).abs() < 1e-6,
            "{what}"
        );

        let m = method(name);
        if m == ClassMethod::StdDev {
            let multiples = floats(&case["multiples"]);
            assert_eq!(multiples, std_dev_multiples(k), "{what}");
        }
        let c = classify(&y, m, k, &[]).unwrap_or_else(|e| panic!("{what}: {e}"));
        let bins = floats(&case["bins"]);
        let counts: Vec<usize> = case["counts"]
            .as_array()
            .expect("counts")
            .iter()
            .map(|v| v.as_u64().expect("count") as usize)
            .collect();
        match m {
            ClassMethod::StdDev | ClassMethod::BoxMap => {
                // Our classes are always k (6 for box maps); mapclassify drops an empty last
                // class, whose bound is then the last cut.
                let expected_len = if m == ClassMethod::BoxMap {
                    BOX_CLASSES
                } else {
                    k
                };
                assert_eq!(c.len(), expected_len, "{what}");
                assert!(bins.len() == c.len() || bins.len() + 1 == c.len(), "{what}");
                if bins.len() < c.len() {
                    assert_eq!(c.counts.last(), Some(&0), "{what}");
                    assert_eq!(c.breaks[c.len() - 1], c.breaks[c.len() - 2], "{what}");
                }
            }
            _ => assert_eq!(c.len(), bins.len(), "{what}: {:?} vs {bins:?}", c.breaks),
        }
        for (i, (ours, theirs)) in c.breaks.iter().zip(&bins).enumerate() {
            assert!(
                (ours - theirs).abs() <= 1e-9,
                "{what}: break {i}: CartoSol {ours} ≠ mapclassify {theirs}"
            );
        }
        // Counts: mapclassify's own counts, except that its interpolated percentiles can land
        // a hair below a data value (scipy computes `(a·w1 + b·w2) / (w1 + w2)`, which gives
        // 6.799999999999999 for a = b = 6.8; numpy's arange gives 24.299999999999997 for
        // 3 × 8.1). CartoSol puts a value equal to a break up to a relative 1e-9 in the class
        // the break closes, so such ties are recounted that way.
        let ties = y.iter().any(|v| {
            bins.iter()
                .any(|b| v > b && v - b <= 1e-9 * b.abs().max(1.0))
        });
        let expected: Vec<usize> = if ties {
            let mut recount = vec![0; bins.len()];
            for v in &y {
                if let Some(i) = bins.iter().position(|b| *v <= b + 1e-9 * b.abs().max(1.0)) {
                    recount[i] += 1;
                }
            }
            recount
        } else {
            counts.clone()
        };
        recounted += usize::from(ties);
        assert_eq!(&c.counts[..expected.len()], &expected[..], "{what}");
        assert_eq!(c.counts.iter().sum::<usize>(), y.len(), "{what}");
        *checked.entry(name).or_default() += 1;
    }
    // Every method was compared; most cases need no recount.
    assert_eq!(checked.len(), 5, "{checked:?}");
    assert!(recounted < cases.len() / 4, "{recounted} recounted cases");
}

#[test]
fn quantile_classes_hold_equal_counts() {
    // The 13 EPCI in 3 classes: 5, 4, 4 (percentiles 33.3 and 66.7 interpolated).
    let y = values("EPCI", "TP60");
    let c = classify(&y, ClassMethod::Quantiles, 3, &[]).expect("classify");
    assert_eq!(c.counts.iter().sum::<usize>(), 13);
    assert!(
        c.counts.iter().all(|&n| (4..=5).contains(&n)),
        "{:?}",
        c.counts
    );
    let max = y.iter().copied().fold(f64::MIN, f64::max);
    assert_eq!(c.breaks.last(), Some(&max));
}

#[test]
fn commune_poverty_rate_with_secrecy() {
    // 60 communes under statistical secrecy: classify the present values only.
    let loaded = load_table(
        Path::new(WORKBOOK),
        &TableOptions {
            sheet: Some("COM".to_owned()),
            ..TableOptions::default()
        },
    )
    .expect("sample workbook");
    let field = loaded.table.field("TP60").expect("TP60");
    let spec = cartosol::project::ClassificationSpec {
        method: ClassMethod::NaturalBreaks,
        classes: 5,
        palette: "YlOrRd".to_owned(),
        breaks: Vec::new(),
    };
    let c = classify_field(field, &spec).expect("classify");
    assert_eq!(c.counts.iter().sum::<usize>(), 194 - 60);
    let labels = c.labels();
    assert_eq!(labels.len(), 5);
    assert!(labels[0].starts_with("de "), "{labels:?}");
    assert!(
        labels.iter().all(|l| l.contains(',')),
        "decimal comma: {labels:?}"
    );

    // A text column is refused, naming the field.
    let text = loaded.table.field("LIBGEO").expect("LIBGEO");
    let e = classify_field(text, &spec).expect_err("text column");
    assert!(e.to_string().contains("« LIBGEO »"), "{e}");
}

#[test]
fn legend_labels_in_french() {
    let y = [4.0, 8.2, 9.9, 12.5, 13.0, 14.2, 15.0, 30.0];
    let c = classify(&y, ClassMethod::Manual, 5, &[8.2, 12.5]).expect("classify");
    assert_eq!(
        c.labels(),
        vec!["de 4,0 à 8,2", "de 8,2 à 12,5", "de 12,5 à 30,0"]
    );
    assert_eq!(c.counts, vec![2, 2, 4]);

    let b = classify(&y, ClassMethod::BoxMap, 5, &[]).expect("box map");
    let labels = b.labels();
    assert_eq!(labels.len(), 6);
    assert!(
        labels[0].starts_with("valeurs extrêmes basses"),
        "{labels:?}"
    );
    assert!(
        labels[5].starts_with("valeurs extrêmes hautes"),
        "{labels:?}"
    );
    // 30 is the only upper outlier.
    assert_eq!(b.counts[5], 1);

    let s = classify(&y, ClassMethod::StdDev, 5, &[]).expect("std dev");
    let labels = s.labels();
    assert!(labels[0].contains("moins de −2 σ"), "{labels:?}");
    assert!(labels[2].contains("−1 σ à +1 σ"), "{labels:?}");
}

#[test]
fn class_count_limits() {
    for k in [0, 1, 2, 10] {
        let e = classify(&[1.0, 2.0, 3.0], ClassMethod::EqualInterval, k, &[]).unwrap_err();
        assert_eq!(e, StyleError::ClassCount { classes: k });
        assert!(e.to_string().contains("entre 3 et 9"));
    }
    assert!(classify(&[1.0, f64::NAN], ClassMethod::Quantiles, 3, &[]).is_err());
}

#[test]
fn colorbrewer_palettes() {
    // Values as published on colorbrewer2.org.
    let oranges = palette("Oranges").expect("Oranges");
    assert_eq!(oranges.kind, PaletteKind::Sequential);
    assert_eq!(
        oranges.colors(3),
        vec![[254, 230, 206], [253, 174, 107], [230, 85, 13]]
    );
    let rdbu = palette("RdBu").expect("RdBu");
    assert_eq!(rdbu.kind, PaletteKind::Diverging);
    assert!(rdbu.colorblind_safe);
    assert_eq!(rdbu.colors(5)[2], [247, 247, 247]);
    assert_eq!(
        palette("YlOrRd").expect("YlOrRd").colors(9)[8],
        [128, 0, 38]
    );
    assert!(!palette("RdYlGn").expect("RdYlGn").colorblind_safe);
    for name in [
        "Oranges", "Reds", "Blues", "Greens", "Purples", "YlOrRd", "YlGnBu", "OrRd", "PuBuGn",
        "RdBu", "RdYlBu", "PuOr", "BrBG", "PiYG",
    ] {
        let p = palette(name).unwrap_or_else(|| panic!("{name}"));
        for n in 3..=9 {
            let colors = p.colors(n);
            assert_eq!(colors.len(), n, "{name} {n}");
            assert!(!colors.contains(&MISSING_COLOR), "{name} {n}");
        }
    }
    assert!(palettes().len() >= 14);
}
