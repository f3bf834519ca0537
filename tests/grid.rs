//! INSEE's 200 m grid as demand (issue 12 §3), on the FICTIF Essonne grid of the sample:
//! squares summed into communes by their centre, and the share of poor households beyond
//! 10 km of the nearest France Services measured from each square, and the 2SFCA on the
//! squares, against an independent
//! computation (pyproj + shapely + numpy, `tests/data/grid/make_grid_reference.py`).

use cartosol::Table;
use cartosol::analysis::grid_demand::{GridDemandOptions, grid_demand};
use cartosol::grid::{load_grid, parse_cell_id};
use cartosol::points::{PointOptions, load_points};
use cartosol::zones::{ZoneOptions, load_zones};
use std::path::Path;

const GRID: &str = "sample_data/carreaux_200m_essonne_FICTIF.csv";

fn column<'a>(table: &'a Table, name: &str) -> &'a cartosol::model::Column {
    &table
        .field(name)
        .unwrap_or_else(|| panic!("colonne {name} absente"))
        .values
}

fn number(v: cartosol::value::ValueRef<'_>) -> Option<f64> {
    v.as_f64()
}

#[test]
fn the_fictif_grid_reads_in_the_insee_layout() {
    let grid = load_grid(Path::new(GRID)).unwrap();
    let lines = std::fs::read_to_string(GRID).unwrap().lines().count() - 1;
    assert_eq!(grid.len(), lines);
    assert!(
        grid.source.problems.is_empty(),
        "{:?}",
        grid.source.problems
    );
    // Secret squares carry fractional shares of their 1 km natural square, kept as read.
    let men = grid.field("men").unwrap();
    let fractional = grid
        .imputed
        .iter()
        .zip(&men.values)
        .filter(|(i, v)| **i && v.fract() != 0.0)
        .count();
    assert!(
        fractional > 0,
        "fractional counts of imputed squares are kept"
    );
    // Centres fall in the Essonne (lon 1.9–2.6, lat 48.2–48.8).
    assert!(
        grid.centres
            .iter()
            .all(|c| (1.9..2.6).contains(&c.x()) && (48.2..48.8).contains(&c.y()))
    );
    // lcog_geo is split into 5-character codes.
    assert!(
        grid.communes
            .iter()
            .all(|c| !c.is_empty() && c.iter().all(|k| k.len() == 5))
    );
    let first = parse_cell_id("CRS3035RES200mN2830200E3755800").unwrap();
    assert_eq!(first.centre_3035(), (3_755_900.0, 2_830_300.0));
}

#[test]
fn sums_and_distance_shares_match_an_independent_computation() {
    let grid = load_grid(Path::new(GRID)).unwrap();
    let zones = load_zones(
        Path::new("sample_data/essonne/communes.geojson"),
        &ZoneOptions::default(),
    )
    .unwrap();
    let services = load_points(
        Path::new("sample_data/services_essonne_FICTIF.csv"),
        &PointOptions::default(),
    )
    .unwrap();
    let result = grid_demand(
        &grid,
        &zones,
        Some(&services),
        &GridDemandOptions {
            zone_code_field: Some("INSEE_COM".to_owned()),
            weight_field: "Men_pauv".to_owned(),
            theme_field: "dispositif".to_owned(),
            theme: Some("France Services".to_owned()),
            threshold_m: 10_000.0,
            fca_radius_m: Some(10_000.0),
        },
    )
    .unwrap();
    let t = &result.table;
    let codes = column(t, "code");
    let squares = column(t, "carreaux (centre dans la zone)");
    let poor = column(t, "Men_pauv");
    let beyond = column(t, "Men_pauv à plus de 10 km");
    let share = column(t, "part de Men_pauv à plus de 10 km (%)");
    let access = column(t, "accessibilité 2SFCA pour 1 000 Men_pauv (rayon 10 km)");
    let reference = std::fs::read_to_string("tests/data/grid/grid_reference.csv").unwrap();
    let mut checked = 0;
    let (mut ref_total, mut ref_beyond) = (0.0, 0.0);
    for line in reference.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let row = codes
            .iter()
            .position(|c| c.to_string() == cells[0])
            .unwrap_or_else(|| panic!("commune {} absente", cells[0]));
        let expect = |i: usize| cells[i].parse::<f64>().ok();
        assert_eq!(
            number(squares.get(row).unwrap()),
            expect(1),
            "carreaux de {}",
            cells[0]
        );
        let close = |got: Option<f64>, want: Option<f64>, what: &str| match (got, want) {
            (Some(g), Some(w)) => {
                assert!((g - w).abs() < 1e-6, "{what} de {} : {g} ≠ {w}", cells[0])
            }
            (None, None) => {}
            other => panic!("{what} de {} : {other:?}", cells[0]),
        };
        close(number(poor.get(row).unwrap()), expect(2), "Men_pauv");
        close(
            number(beyond.get(row).unwrap()),
            expect(3),
            "Men_pauv au-delà",
        );
        close(number(share.get(row).unwrap()), expect(4), "part au-delà");
        close(
            number(access.get(row).unwrap()),
            expect(5),
            "accessibilité 2SFCA",
        );
        ref_total += expect(2).unwrap_or(0.0);
        ref_beyond += expect(3).unwrap_or(0.0);
        checked += 1;
    }
    assert_eq!(checked, 194);
    assert_eq!(result.outside, 0);
    let overall = result.overall_share_beyond.unwrap();
    assert!((overall - 100.0 * ref_beyond / ref_total).abs() < 1e-9);
}

#[test]
fn a_grid_without_square_ids_is_refused_with_what_is_expected() {
    let dir = std::env::temp_dir().join(format!("cartosol-grid-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("grille.csv");
    std::fs::write(&path, "id;Men;Men_pauv\n1;12;3\n").unwrap();
    let error = load_grid(&path)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        error.ends_with(
            "grille.csv : colonne d'identifiant de carreau absente (attendu : Idcar_200m, au \
             format CRS3035RES200mN…E…)"
        ),
        "{error}"
    );
    std::fs::write(
        &path,
        "Idcar_200m;Men;Men_pauv\nCRS3035RES200mN2830200E3755800;12;3\nnimportequoi;4;1\n",
    )
    .unwrap();
    let grid = load_grid(&path).unwrap();
    assert_eq!(grid.len(), 1);
    assert_eq!(
        grid.source.problems[0].to_string(),
        "ligne 3 : identifiant de carreau illisible : ligne ignorée"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Siting with the squares as demand (`cartosol siting --demande-carreaux`): for one new site,
/// the chosen town hall is the one a brute force over every candidate finds, with distances
/// computed here by the haversine formula (not the tool's index).
#[test]
fn siting_on_the_squares_picks_what_a_brute_force_picks() {
    let dir = std::env::temp_dir().join(format!("cartosol-grid-siting-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("sites.csv");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_cartosol"))
        .args([
            "siting",
            "sample_data/essonne.cartosol.json",
            "--theme",
            "France Services",
            "--k",
            "1",
            "--rayon-km",
            "10",
            "--demande-carreaux",
            GRID,
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );

    let haversine = |a: (f64, f64), b: (f64, f64)| {
        let r = 6_371_008.8_f64;
        let (la1, la2) = (a.1.to_radians(), b.1.to_radians());
        let h = ((la2 - la1) / 2.0).sin().powi(2)
            + la1.cos() * la2.cos() * ((b.0 - a.0).to_radians() / 2.0).sin().powi(2);
        2.0 * r * h.sqrt().asin()
    };
    let grid = load_grid(Path::new(GRID)).unwrap();
    let weight = &grid.field("Men_pauv").unwrap().values;
    let services = load_points(
        Path::new("sample_data/services_essonne_FICTIF.csv"),
        &PointOptions::default(),
    )
    .unwrap();
    let theme = services.attributes.field("dispositif").unwrap();
    let existing: Vec<(f64, f64)> = services
        .positions
        .iter()
        .zip(&theme.values)
        .filter(|(_, t)| t.to_string() == "France Services")
        .filter_map(|(p, _)| p.map(|p| (p.x(), p.y())))
        .collect();
    let mairies = cartosol::points::load_points(
        Path::new("sample_data/essonne/mairies.geojson"),
        &PointOptions::default(),
    )
    .unwrap();
    let uncovered: Vec<((f64, f64), f64)> = grid
        .centres
        .iter()
        .zip(weight)
        .filter(|(_, w)| w.is_finite() && **w > 0.0)
        .map(|(c, w)| ((c.x(), c.y()), *w))
        .filter(|(c, _)| existing.iter().all(|s| haversine(*c, *s) > 10_000.0))
        .collect();
    let names = mairies.attributes.field("nom").unwrap();
    let best = mairies
        .positions
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.map(|p| (i, (p.x(), p.y()))))
        .map(|(i, m)| {
            let gain: f64 = uncovered
                .iter()
                .filter(|(c, _)| haversine(*c, m) <= 10_000.0)
                .map(|(_, w)| w)
                .sum();
            (i, gain)
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    let best_name = names.values.get(best.0).unwrap().to_string();
    assert!(
        stdout.contains(&format!("  1. {best_name} (")),
        "brute force: {best_name} (+{}) ; {stdout}",
        best.1
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A table of squares is a layer of squares: `inspect` says zones, a project holds it as a zone
/// layer (the app draws it as a choropleth of squares), each square a 200 m polygon whose
/// corners are those of its id reprojected.
#[test]
fn a_grid_table_is_a_layer_of_squares() {
    let path = Path::new(GRID);
    assert_eq!(
        cartosol::inspect::content_kind(path).unwrap(),
        cartosol::inspect::ContentKind::Zones
    );
    let layer = cartosol::grid::load_zones_or_grid(path, &ZoneOptions::default()).unwrap();
    let grid = load_grid(path).unwrap();
    assert_eq!(layer.len(), grid.len());
    // The first square's south-west corner, reprojected by proj4rs, against PROJ's value
    // (pyproj 3.7) for EPSG:3035 (3755800, 2830200) → lon 2.36642, lat 48.32193.
    let first = &layer.geometries[0].0[0].exterior().0[0];
    assert!(
        (first.x - 2.36642).abs() < 1e-5 && (first.y - 48.32193).abs() < 1e-5,
        "{first:?}"
    );
    // A 200 m square: 4 corners, area about 40,000 m² (geodesic, within 0.5 %).
    use geo::GeodesicArea;
    let area = layer.geometries[0].geodesic_area_unsigned();
    assert!((area - 40_000.0).abs() < 200.0, "{area}");
    assert_eq!(
        layer.attributes.field("Men_pauv").unwrap().values.len(),
        grid.len()
    );
}
