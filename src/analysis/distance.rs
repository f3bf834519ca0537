//! The metric: great-circle distance on a sphere (geo's [`Haversine`], mean Earth radius
//! 6,371,008.8 m). At the scale of a département the difference with the ellipsoidal geodesic
//! distance is below 0.5 %, far below what the position of a service or of a commune's
//! population point is worth, and it is exactly what the spatial index answers (the index
//! stores unit vectors, whose chord length is monotonic with the great-circle distance).

use geo::{Distance, Haversine, Point};

/// The mean Earth radius used by every distance of CartoSol, in metres (IUGG, as geo's
/// [`Haversine`]).
pub const EARTH_RADIUS_M: f64 = 6_371_008.771_4;

/// Great-circle (haversine) distance between two WGS84 positions, in metres.
pub fn distance_m(a: Point<f64>, b: Point<f64>) -> f64 {
    Haversine.distance(a, b)
}

/// The unit vector (x, y, z) of a WGS84 position on the sphere.
pub(crate) fn unit_vector(p: Point<f64>) -> [f64; 3] {
    let (lon, lat) = (p.x().to_radians(), p.y().to_radians());
    let (slat, clat) = lat.sin_cos();
    let (slon, clon) = lon.sin_cos();
    [clat * clon, clat * slon, slat]
}

/// Great-circle distance in metres from the squared chord length between two unit vectors.
#[cfg(test)]
pub(crate) fn metres_from_chord2(chord2: f64) -> f64 {
    let half = (chord2.max(0.0).sqrt() / 2.0).min(1.0);
    2.0 * EARTH_RADIUS_M * half.asin()
}

/// Squared chord length between unit vectors for a great-circle distance in metres.
pub(crate) fn chord2_from_metres(distance_m: f64) -> f64 {
    let angle = (distance_m.max(0.0) / EARTH_RADIUS_M).min(std::f64::consts::PI);
    let chord = 2.0 * (angle / 2.0).sin();
    chord * chord
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn paris_to_evry_is_about_27_km() {
        // Notre-Dame de Paris (2.3499, 48.8530) to Évry town hall (2.4296, 48.6243):
        // Δlat = 0.2287° = 25.43 km, Δlon = 0.0797° × cos(48.74°) × 111.2 km = 5.85 km,
        // √(25.43² + 5.85²) ≈ 26.1 km.
        let d = distance_m(Point::new(2.3499, 48.8530), Point::new(2.4296, 48.6243));
        assert_relative_eq!(d, 26_100.0, max_relative = 0.01);
    }

    #[test]
    fn chord_round_trip_matches_haversine() {
        let a = Point::new(2.2, 48.6);
        let b = Point::new(7.357743, 48.079769);
        let [ax, ay, az] = unit_vector(a);
        let [bx, by, bz] = unit_vector(b);
        let c2 = (ax - bx).powi(2) + (ay - by).powi(2) + (az - bz).powi(2);
        // The chord loses a few digits to cancellation: 1e-8 relative (4 mm over 385 km).
        assert_relative_eq!(
            metres_from_chord2(c2),
            distance_m(a, b),
            max_relative = 1e-8
        );
        assert_relative_eq!(
            chord2_from_metres(metres_from_chord2(c2)),
            c2,
            max_relative = 1e-9
        );
    }
}
