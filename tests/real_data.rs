//! Real reference data of ../shared/data: the France shapefile (34,738 communes, Lambert-93,
//! ESRI .prj without EPSG code) and the Essonne files (194 communes, 13 EPCI, 194 town halls).

use cartosol::codes::CodeKind;
use cartosol::join::join;
use cartosol::points::{PointOptions, load_points};
use cartosol::zones::{ZoneOptions, load_zones};
use std::path::Path;

const SHARED: &str = "../shared/data";

#[test]
fn france_shapefile_loads_34738_communes_in_wgs84() {
    let path = Path::new(SHARED).join("france/communes_l93.shp");
    let layer = load_zones(&path, &ZoneOptions::default()).unwrap();
    assert_eq!(layer.len(), 34_738);
    assert_eq!(layer.attributes.len(), 34_738);
    assert_eq!(
        layer.source.crs.as_deref(),
        Some("EPSG:2154 (RGF93 / Lambert-93)")
    );
    let bbox = layer.bbox().unwrap();
    // Metropolitan France: Ouessant (−5.14) to Corsica (9.56), Corsica (41.3) to Bray-Dunes (51.09).
    assert!((bbox.min().x - -5.14).abs() < 0.01, "{:?}", bbox);
    assert!((bbox.max().x - 9.56).abs() < 0.01, "{:?}", bbox);
    assert!((bbox.min().y - 41.33).abs() < 0.01, "{:?}", bbox);
    assert!((bbox.max().y - 51.09).abs() < 0.01, "{:?}", bbox);
    // Codes stay text with their leading zero; Corsica keeps 2A/2B.
    let codes = layer.attributes.field("INSEE_COM").unwrap();
    assert_eq!(codes.values.get(0).unwrap().as_text(), Some("01001"));
    assert!(codes.values.iter().any(|v| v.as_text() == Some("2A004")));
    // Multi-polygons survive: more polygons than communes.
    let parts: usize = layer.geometries.iter().map(|g| g.0.len()).sum();
    assert!(parts > 34_738, "{parts}");
    // UTF-8 names decoded (declared by the .cpg).
    let names = layer.attributes.field("NOM").unwrap();
    assert!(
        names
            .values
            .iter()
            .any(|v| v.as_text() == Some("Évry-Courcouronnes"))
    );
}

#[test]
fn essonne_reference_files_load() {
    let communes = load_zones(
        &Path::new(SHARED).join("essonne/communes.geojson"),
        &ZoneOptions::default(),
    )
    .unwrap();
    assert_eq!(communes.len(), 194);
    let epci = load_zones(
        &Path::new(SHARED).join("essonne/epci.geojson"),
        &ZoneOptions::default(),
    )
    .unwrap();
    assert_eq!(epci.len(), 13);
    let mairies = load_points(
        &Path::new(SHARED).join("essonne/mairies.geojson"),
        &PointOptions::default(),
    )
    .unwrap();
    assert_eq!(mairies.len(), 194);
    assert_eq!(mairies.unpositioned(), 0);
    // Population of the département: sum of the communes = sum of the EPCI (Essonne parts).
    let pop = |t: &cartosol::Table, f: &str| -> f64 {
        t.field(f)
            .unwrap()
            .values
            .iter()
            .filter_map(|v| v.as_f64())
            .sum()
    };
    assert_eq!(
        pop(&communes.attributes, "POPULATION"),
        pop(&epci.attributes, "POPULATION_91")
    );
}

#[test]
fn bundled_sample_is_the_same_geography_as_the_shared_reference() {
    for (file, code) in [
        ("communes.geojson", "INSEE_COM"),
        ("epci.geojson", "CODE_SIREN"),
    ] {
        let shared = load_zones(
            &Path::new(SHARED).join("essonne").join(file),
            &ZoneOptions::default(),
        )
        .unwrap();
        let bundled = load_zones(
            &Path::new("sample_data/essonne").join(file),
            &ZoneOptions::default(),
        )
        .unwrap();
        let r = join(
            &shared.attributes,
            Some(code),
            &bundled.attributes,
            Some(code),
            None,
        )
        .unwrap();
        assert_eq!(r.report.matched, shared.len(), "{file}: {}", r.report);
        assert!(r.report.is_complete(), "{file}: {}", r.report);
    }
}

#[test]
fn france_communes_aggregate_to_epci_with_multi_valued_codes() {
    // Every EPCI's population is the sum of its member communes, a commune listing several
    // SIREN (`200054781/200058790`) counting in each; communes without EPCI are reported.
    let layer = load_zones(
        &Path::new(SHARED).join("france/communes_l93.shp"),
        &ZoneOptions::default(),
    )
    .unwrap();
    let attrs = &layer.attributes;
    let agg =
        cartosol::aggregate::aggregate(attrs, "SIREN_EPCI", CodeKind::Epci, None, &[]).unwrap();
    let sirens = attrs.field("SIREN_EPCI").unwrap();
    let pops = attrs.field("POPULATION").unwrap();
    let without: Vec<usize> = (0..attrs.len())
        .filter(|&i| sirens.values.get(i).unwrap().as_text().is_none())
        .collect();
    assert_eq!(agg.ungrouped.len(), without.len());
    let codes = agg.table.field("CODE").unwrap();
    let totals = agg.table.field("POPULATION").unwrap();
    for (row, code) in codes.values.iter().enumerate().step_by(97) {
        let code = code.as_text().unwrap();
        let expected: f64 = (0..attrs.len())
            .filter(|&i| {
                sirens
                    .values
                    .get(i)
                    .unwrap()
                    .as_text()
                    .is_some_and(|s| s.split('/').any(|c| c == code))
            })
            .map(|i| pops.values.get(i).unwrap().as_f64().unwrap())
            .sum();
        assert_eq!(
            totals.values.get(row).unwrap().as_f64(),
            Some(expected),
            "EPCI {code}"
        );
    }
    assert!(
        agg.methods
            .iter()
            .any(|(f, m)| f == "POPULATION" && *m == cartosol::aggregate::Method::Sum)
    );
}
