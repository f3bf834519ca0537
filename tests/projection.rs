//! Reprojection agrees with PROJ: 1,388 reference points over metropolitan France computed once
//! with pyproj 3.7.2 / PROJ 9.5.1 (tests/data/make_proj_reference.py), checked to within 1 cm.

use cartosol::crs::{Crs, FromWgs84, ToWgs84};

struct Ref {
    lon: f64,
    lat: f64,
    projected: [(f64, f64); 3],
}

fn reference() -> Vec<Ref> {
    let text = std::fs::read_to_string("tests/data/proj_reference.csv").expect("reference file");
    text.lines()
        .skip(1)
        .map(|l| {
            let v: Vec<f64> = l.split(';').map(|s| s.parse().expect("number")).collect();
            Ref {
                lon: v[0],
                lat: v[1],
                projected: [(v[2], v[3]), (v[4], v[5]), (v[6], v[7])],
            }
        })
        .collect()
}

/// Metres per degree of latitude / longitude at `lat`, to express angular errors in metres.
fn metres(dlon: f64, dlat: f64, lat: f64) -> f64 {
    let m_per_deg = 111_320.0;
    ((dlon * m_per_deg * lat.to_radians().cos()).powi(2) + (dlat * m_per_deg).powi(2)).sqrt()
}

#[test]
fn agrees_with_proj_within_one_centimetre() {
    let points = reference();
    assert!(points.len() >= 1000, "{} points", points.len());
    for (i, code) in [2154, 3035, 3857].into_iter().enumerate() {
        let crs = Crs::from_epsg(code).unwrap();
        let forward = FromWgs84::new(&crs).unwrap();
        let inverse = ToWgs84::new(&crs).unwrap();
        let mut worst_fwd: f64 = 0.0;
        let mut worst_inv: f64 = 0.0;
        for p in &points {
            let (x, y) = forward.convert(p.lon, p.lat).unwrap();
            let (rx, ry) = p.projected[i];
            worst_fwd = worst_fwd.max(((x - rx).powi(2) + (y - ry).powi(2)).sqrt());
            let (lon, lat) = inverse.convert(rx, ry).unwrap();
            worst_inv = worst_inv.max(metres(lon - p.lon, lat - p.lat, p.lat));
        }
        eprintln!("EPSG:{code}: worst forward {worst_fwd:.6} m, worst inverse {worst_inv:.6} m");
        assert!(
            worst_fwd < 0.01,
            "EPSG:{code} WGS84→projected: worst error {worst_fwd} m"
        );
        assert!(
            worst_inv < 0.01,
            "EPSG:{code} projected→WGS84: worst error {worst_inv} m"
        );
    }
}

#[test]
fn esri_prj_of_the_france_file_gives_the_same_positions_as_epsg_2154() {
    let prj = std::fs::read_to_string("../shared/data/france/communes_l93.prj").unwrap_or_else(|_| {
        r#"PROJCS["RGF_1993_Lambert_93",GEOGCS["GCS_RGF_1993",DATUM["D_RGF_1993",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Lambert_Conformal_Conic"],PARAMETER["False_Easting",700000.0],PARAMETER["False_Northing",6600000.0],PARAMETER["Central_Meridian",3.0],PARAMETER["Standard_Parallel_1",49.0],PARAMETER["Standard_Parallel_2",44.0],PARAMETER["Latitude_Of_Origin",46.5],UNIT["Meter",1.0]]"#.to_owned()
    });
    let crs = Crs::from_wkt(&prj).unwrap();
    assert_eq!(crs.epsg, Some(2154));
    let t = ToWgs84::new(&crs).unwrap();
    for p in reference().iter().take(200) {
        let (lon, lat) = t.convert(p.projected[0].0, p.projected[0].1).unwrap();
        assert!(metres(lon - p.lon, lat - p.lat, p.lat) < 0.01);
    }
}
