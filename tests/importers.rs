//! Importers on well-formed files as French public data ships them (fixtures built from the real
//! Essonne sample by tests/data/make_good_fixtures.py).

use cartosol::Value;
use cartosol::codes::CodeKind;
use cartosol::join::{apply, join};
use cartosol::points::{PointOptions, load_points};
use cartosol::table::{TableOptions, load_table};
use cartosol::value::{Missing, ValueRef};
use cartosol::zones::{ZoneOptions, load_zones};
use geo::BoundingRect;
use std::path::Path;

const GOOD: &str = "tests/data/good";

fn sample_communes() -> cartosol::ZoneLayer {
    load_zones(
        Path::new("sample_data/essonne/communes.geojson"),
        &ZoneOptions::default(),
    )
    .unwrap()
}

/// Each zone of `a` has the same bounding box as the zone with the same code in `b` (1e-6°).
fn same_geography(a: &cartosol::ZoneLayer, a_code: &str, b: &cartosol::ZoneLayer, b_code: &str) {
    assert_eq!(a.len(), b.len());
    let codes_b: Vec<String> = b
        .attributes
        .field(b_code)
        .unwrap()
        .values
        .iter()
        .map(|v| v.to_string())
        .collect();
    for (i, code) in a
        .attributes
        .field(a_code)
        .unwrap()
        .values
        .iter()
        .enumerate()
    {
        let j = codes_b.iter().position(|c| *c == code.to_string()).unwrap();
        let (ra, rb) = (
            a.geometries[i].bounding_rect().unwrap(),
            b.geometries[j].bounding_rect().unwrap(),
        );
        for (p, q) in [(ra.min(), rb.min()), (ra.max(), rb.max())] {
            assert!(
                (p.x - q.x).abs() < 1e-6 && (p.y - q.y).abs() < 1e-6,
                "{code}: {ra:?} vs {rb:?}"
            );
        }
    }
}

#[test]
fn admin_express_geopackage_lambert93_layers_and_long_names() {
    let path = Path::new(GOOD).join("admin_express_91.gpkg");
    let communes = load_zones(
        &path,
        &ZoneOptions {
            layer: Some("commune".into()),
            crs: None,
            repair: false,
        },
    )
    .unwrap();
    assert_eq!(communes.source.layer.as_deref(), Some("commune"));
    assert_eq!(
        communes.source.crs.as_deref(),
        Some("EPSG:2154 (RGF93 / Lambert-93)")
    );
    same_geography(&communes, "code_insee", &sample_communes(), "INSEE_COM");
    let epci = load_zones(
        &path,
        &ZoneOptions {
            layer: Some("epci".into()),
            crs: None,
            repair: false,
        },
    )
    .unwrap();
    assert_eq!(epci.len(), 13);
    // Several layers and no choice: the user is asked to pick one.
    let err = load_zones(&path, &ZoneOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "tests/data/good/admin_express_91.gpkg : le GeoPackage contient plusieurs couches (commune, epci) : choisissez-en une (--layer)"
    );
    // Multi-valued SIREN (MGP + EPT): the 6 communes count in both groups.
    let agg = cartosol::aggregate::aggregate(
        &communes.attributes,
        "codes_siren_des_epci",
        CodeKind::Epci,
        None,
        &[],
    )
    .unwrap();
    let codes: Vec<String> = agg
        .table
        .field("CODE")
        .unwrap()
        .values
        .iter()
        .map(|v| v.to_string())
        .collect();
    let members = agg.table.field("NB_MEMBRES").unwrap();
    let n = |c: &str| {
        members
            .values
            .get(codes.iter().position(|x| x == c).unwrap())
            .unwrap()
            .as_f64()
    };
    assert_eq!(n("200054781"), Some(6.0));
    assert_eq!(n("200058790"), Some(6.0));
    assert_eq!(n("200017846"), Some(37.0));
}

#[test]
fn zipped_admin_express_shapefile_cp1252_without_cpg() {
    let layer = load_zones(
        &Path::new(GOOD).join("ADECOGC_3-2_SHP_LAMB93_91.zip"),
        &ZoneOptions::default(),
    )
    .unwrap();
    assert_eq!(
        layer.source.encoding.as_deref(),
        Some("Windows-1252 (CP1252)")
    );
    let names = layer.attributes.field("NOM").unwrap();
    assert!(
        names
            .values
            .iter()
            .any(|v| v.as_text() == Some("Évry-Courcouronnes"))
    );
    same_geography(&layer, "INSEE_COM", &sample_communes(), "INSEE_COM");
}

#[test]
fn geojson_with_legacy_crs_member_in_lambert93() {
    let layer = load_zones(
        &Path::new(GOOD).join("epci_l93_legacy_crs.geojson"),
        &ZoneOptions::default(),
    )
    .unwrap();
    assert_eq!(
        layer.source.crs.as_deref(),
        Some("EPSG:2154 (RGF93 / Lambert-93)")
    );
    let wgs = load_zones(
        Path::new("sample_data/essonne/epci.geojson"),
        &ZoneOptions::default(),
    )
    .unwrap();
    same_geography(&layer, "CODE_SIREN", &wgs, "CODE_SIREN");
}

#[test]
fn holes_and_islands_survive() {
    let layer = load_zones(
        &Path::new(GOOD).join("hole_island.shp"),
        &ZoneOptions::default(),
    )
    .unwrap();
    let mp = &layer.geometries[0];
    assert_eq!(
        mp.0.len(),
        3,
        "outer with lake, island in the lake, far square"
    );
    let with_hole: Vec<_> = mp.0.iter().filter(|p| p.interiors().len() == 1).collect();
    assert_eq!(with_hole.len(), 1);
    // The island lies in the lake: inside the outer ring, yet outside the holed polygon.
    use geo::{Centroid, Contains, Polygon};
    let holed = with_hole[0];
    let outer_only = Polygon::new(holed.exterior().clone(), vec![]);
    let island =
        mp.0.iter()
            .find(|p| p.interiors().is_empty() && outer_only.contains(*p))
            .unwrap();
    let c = island.centroid().unwrap();
    assert!(outer_only.contains(&c));
    assert!(!holed.contains(&c));
}

fn check_panorama(path: &Path) {
    let t = load_table(path, &TableOptions::default()).unwrap();
    let codes: Vec<String> = t
        .table
        .field("CODGEO")
        .unwrap()
        .values
        .iter()
        .map(|v| v.to_string())
        .collect();
    assert_eq!(codes, ["91001", "91228", "91286"], "{}", path.display());
    assert_eq!(
        t.table
            .field("LIBGEO")
            .unwrap()
            .values
            .get(1)
            .unwrap()
            .as_text(),
        Some("Évry-Courcouronnes")
    );
    let households: Vec<Option<f64>> = t
        .table
        .field("NBMENFISC")
        .unwrap()
        .values
        .iter()
        .map(ValueRef::as_f64)
        .collect();
    assert_eq!(
        households,
        [Some(134.0), Some(25000.0), Some(10000.0)],
        "{}",
        path.display()
    );
    let tp60 = &t.table.field("TP60").unwrap().values;
    assert_eq!(tp60.get(0).unwrap(), Value::Missing(Missing::Secret));
    assert_eq!(tp60.get(1).unwrap(), Value::Number(24.5));
    assert_eq!(tp60.get(2).unwrap(), Value::Number(43.1));
}

#[test]
fn xls_ods_and_cp1252_tab_csv_read_alike() {
    for name in [
        "panorama_test.xls",
        "panorama_test.ods",
        "panorama_cp1252_tab.csv",
    ] {
        check_panorama(&Path::new(GOOD).join(name));
    }
    let xls = load_table(
        &Path::new(GOOD).join("panorama_test.xls"),
        &TableOptions::default(),
    )
    .unwrap();
    assert_eq!(xls.header_row, 6);
    let csv = load_table(
        &Path::new(GOOD).join("panorama_cp1252_tab.csv"),
        &TableOptions::default(),
    )
    .unwrap();
    assert_eq!(csv.delimiter, Some('\t'));
    assert_eq!(
        csv.source.encoding.as_deref(),
        Some("Windows-1252 (CP1252)")
    );
}

#[test]
fn insee_csv_with_bom_and_decimal_comma_equals_the_workbook() {
    let xlsx = load_table(
        Path::new("sample_data/panorama_pauvrete_essonne_FICTIF.xlsx"),
        &TableOptions {
            sheet: Some("COM".into()),
            ..TableOptions::default()
        },
    )
    .unwrap();
    assert_eq!(xlsx.header_row, 6);
    let csv = load_table(
        Path::new("sample_data/panorama_pauvrete_essonne_FICTIF_COM.csv"),
        &TableOptions::default(),
    )
    .unwrap();
    assert_eq!(csv.source.encoding.as_deref(), Some("UTF-8 (avec BOM)"));
    assert_eq!(
        csv.table.fields[0].name, "CODGEO",
        "BOM stripped from the first column name"
    );
    assert_eq!(xlsx.table.len(), 194);
    for f in &xlsx.table.fields {
        let g = csv
            .table
            .field(&f.name)
            .unwrap_or_else(|| panic!("{} missing in CSV", f.name));
        assert_eq!(f.kind, g.kind, "{}", f.name);
        for (a, b) in f.values.iter().zip(&g.values) {
            match (a, b) {
                (ValueRef::Number(x), ValueRef::Number(y)) => {
                    assert!((x - y).abs() < 1e-9, "{}: {x} vs {y}", f.name)
                }
                _ => assert_eq!(a, b, "{}", f.name),
            }
        }
    }
}

#[test]
fn commune_values_aggregate_to_the_epci_sheet() {
    // The fictitious EPCI sheet was computed by the generator from the full (unmasked) commune
    // values: summed counts and recomputed rates must agree wherever no member is secret.
    let mut communes = sample_communes();
    let com = load_table(
        Path::new("sample_data/panorama_pauvrete_essonne_FICTIF.xlsx"),
        &TableOptions {
            sheet: Some("COM".into()),
            ..TableOptions::default()
        },
    )
    .unwrap();
    let r = join(
        &communes.attributes,
        Some("INSEE_COM"),
        &com.table,
        Some("CODGEO"),
        None,
    )
    .unwrap();
    assert!(r.report.is_complete(), "{}", r.report);
    apply(&mut communes.attributes, r.columns);
    let agg = cartosol::aggregate::aggregate(
        &communes.attributes,
        "SIREN_EPCI",
        CodeKind::Epci,
        Some("NBMENFISC"),
        &[],
    )
    .unwrap();
    let epci = load_table(
        Path::new("sample_data/panorama_pauvrete_essonne_FICTIF.xlsx"),
        &TableOptions {
            sheet: Some("EPCI".into()),
            ..TableOptions::default()
        },
    )
    .unwrap();
    let joined = join(
        &agg.table,
        Some("CODE"),
        &epci.table,
        Some("CODGEO"),
        Some(CodeKind::Epci),
    )
    .unwrap();
    assert_eq!(joined.report.matched, 13, "{}", joined.report);
    let col =
        |t: &[cartosol::Field], n: &str| t.iter().find(|f| f.name == n).unwrap().values.clone();
    let published_households = col(&joined.columns, "NBMENFISC");
    let published_rate = col(&joined.columns, "TP60");
    let households = agg.table.field("NBMENFISC").unwrap();
    let rate = agg.table.field("TP60").unwrap();
    let mut compared = 0;
    for i in 0..13 {
        assert_eq!(
            households.values.get(i).unwrap().as_f64(),
            published_households.get(i).unwrap().as_f64()
        );
        match rate.values.get(i).unwrap() {
            ValueRef::Number(x) => {
                compared += 1;
                assert!(
                    (x - published_rate.get(i).unwrap().as_f64().unwrap()).abs() <= 0.05 + 1e-9,
                    "EPCI {i}: {x}"
                );
            }
            ValueRef::Missing(m) => assert_eq!(m, Missing::Incomplete),
            _ => unreachable!(),
        }
    }
    assert!(compared >= 3, "{compared} EPCI without secret member");
    let method = &agg.methods.iter().find(|(f, _)| f == "TP60").unwrap().1;
    assert_eq!(
        method.to_string(),
        "recalculé : 100 × NB_MEN_PAUV / NBMENFISC"
    );
}

#[test]
fn data_inclusion_json_and_lambert93_points() {
    let services = load_points(
        &Path::new(GOOD).join("services_datainclusion.json"),
        &PointOptions::default(),
    )
    .unwrap();
    assert_eq!(services.len(), 2);
    assert_eq!(services.unpositioned(), 1);
    let modes = services.attributes.field("modes_accueil").unwrap();
    assert_eq!(modes.values.get(1).unwrap().as_text(), Some("a-distance"));
    let zones = services.attributes.field("zone_eligibilite").unwrap();
    assert_eq!(zones.values.get(0).unwrap().as_text(), Some("200017846"));

    let l93 = load_points(
        &Path::new(GOOD).join("points_l93.csv"),
        &PointOptions::default(),
    )
    .unwrap();
    assert_eq!(
        l93.source.crs.as_deref(),
        Some("EPSG:2154 (RGF93 / Lambert-93) (détecté)")
    );
    let p = l93.positions[0].unwrap();
    // pyproj 3.7.2: Transformer.from_crs(2154, 4326, always_xy=True).transform(658985.2, 6836350.1)
    assert!(
        (p.x() - 2.443473036).abs() < 1e-8 && (p.y() - 48.626038269).abs() < 1e-8,
        "{p:?}"
    );
    assert!(l93.positions[1].is_none());
}

#[test]
fn sample_service_points_keep_rows_without_coordinates() {
    let layer = load_points(
        Path::new("sample_data/services_essonne_FICTIF.csv"),
        &PointOptions::default(),
    )
    .unwrap();
    assert_eq!(layer.len(), 299);
    assert_eq!(layer.unpositioned(), 3);
    let themes = layer.attributes.field("dispositif").unwrap();
    let mut distinct: Vec<String> = themes.values.iter().map(|v| v.to_string()).collect();
    distinct.sort();
    distinct.dedup();
    assert!(distinct.len() >= 8, "{distinct:?}");
}
