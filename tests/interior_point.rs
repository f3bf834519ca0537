//! CartoSol's interior point (`analysis::population::interior_point`) is the very point geo's
//! `InteriorPoint` gives — the point where a commune's population is taken to live, so every
//! distance, 2SFCA and coverage figure depends on it — on every commune of France, every
//! Essonne commune and EPCI, and on generated polygons with holes, spikes and several parts.

use cartosol::analysis::population::interior_point;
use cartosol::zones::{ZoneOptions, load_zones};
use geo::{Coord, InteriorPoint, Intersects, LineString, MultiPolygon, Polygon};
use proptest::prelude::*;
use std::path::Path;

const SHARED: &str = "../shared/data";

fn assert_same_points(name: &str, geometries: &[MultiPolygon<f64>]) {
    let mut differ = Vec::new();
    for (i, g) in geometries.iter().enumerate() {
        let ours = interior_point(g);
        let geo = g.interior_point();
        if ours != geo {
            differ.push((i, ours, geo));
        }
    }
    assert!(
        differ.is_empty(),
        "{name}: {} zone(s) sur {} diffèrent, p. ex. {:?}",
        differ.len(),
        geometries.len(),
        differ.first()
    );
}

#[test]
fn same_point_as_geo_on_essonne_communes_and_epci() {
    for file in ["essonne/communes.geojson", "essonne/epci.geojson"] {
        let layer = load_zones(&Path::new(SHARED).join(file), &ZoneOptions::default()).unwrap();
        assert!(layer.len() >= 13);
        assert_same_points(file, &layer.geometries);
    }
}

#[test]
fn same_point_as_geo_on_every_commune_of_france() {
    let path = Path::new(SHARED).join("france/communes_l93.shp");
    let layer = load_zones(&path, &ZoneOptions::default()).unwrap();
    assert_eq!(layer.len(), 34_738);
    assert_same_points("France", &layer.geometries);
}

#[test]
fn empty_and_one_point_geometries() {
    assert_eq!(interior_point(&MultiPolygon::new(vec![])), None);
    let one = MultiPolygon::new(vec![Polygon::new(
        LineString::from(vec![(2.0, 48.0)]),
        vec![],
    )]);
    assert_eq!(interior_point(&one), one.interior_point());
    assert_eq!(interior_point(&one).map(|p| p.x_y()), Some((2.0, 48.0)));
}

/// A star-shaped ring around (cx, cy): radii at increasing angles, on a coarse lattice so that
/// vertices share heights with the bounding box's middle (the perturbed scan line) and edges
/// run horizontally.
fn ring(cx: f64, cy: f64, radii: &[u8], scale: f64) -> LineString<f64> {
    let n = radii.len() as f64;
    let mut coords: Vec<Coord<f64>> = radii
        .iter()
        .enumerate()
        .map(|(k, r)| {
            let a = std::f64::consts::TAU * k as f64 / n;
            let r = (1.0 + f64::from(*r)) * scale;
            Coord {
                x: (cx + r * a.cos()).round(),
                y: (cy + r * a.sin()).round(),
            }
        })
        .collect();
    if let Some(first) = coords.first().copied() {
        coords.push(first);
    }
    LineString::new(coords)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn same_point_as_geo_on_generated_polygons(
        parts in proptest::collection::vec(
            (0u8..40, 0u8..40, proptest::collection::vec(0u8..12, 3..24), proptest::option::of(proptest::collection::vec(0u8..3, 3..8))),
            1..4,
        )
    ) {
        let polygons: Vec<Polygon<f64>> = parts
            .iter()
            .map(|(cx, cy, radii, hole)| {
                let (cx, cy) = (f64::from(*cx) * 30.0, f64::from(*cy) * 30.0);
                let holes = hole
                    .as_ref()
                    .map(|h| vec![ring(cx, cy, h, 0.5)])
                    .unwrap_or_default();
                Polygon::new(ring(cx, cy, radii, 2.0), holes)
            })
            .collect();
        let g = MultiPolygon::new(polygons);
        let ours = interior_point(&g);
        // geo's sweep panics on some rings with repeated or collinear vertices (an assertion in
        // `sweep/mod.rs`): ours must not, and must still give a point of the zone.
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let geo = std::panic::catch_unwind(|| g.interior_point());
        std::panic::set_hook(hook);
        match geo {
            Ok(geo) => prop_assert_eq!(ours, geo),
            Err(_) => {
                let p = ours.expect("a point for a non-empty zone");
                prop_assert!(g.intersects(&p), "{:?} hors de la zone", p);
            }
        }
    }
}
