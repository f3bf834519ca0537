//! Projection of exported maps: WGS84 to Web-Mercator metres (EPSG:3857, the projection of
//! basemap tiles), and from there to a frame of the page.

use geo::Rect;

/// Radius of the Web-Mercator sphere, in metres.
pub const EARTH_RADIUS_M: f64 = 6_378_137.0;
const MAX_MERCATOR_LAT: f64 = 85.051_128_78;

/// Web-Mercator (EPSG:3857) coordinates in metres (x east, y north) of a WGS84 lon/lat.
///
/// Not to be confused with the normalised 0–1 Web Mercator of the desktop map
/// (`app::geometry::mercator_unit`): same projection, other units.
pub fn web_mercator_m(lon: f64, lat: f64) -> (f64, f64) {
    let lat = lat.clamp(-MAX_MERCATOR_LAT, MAX_MERCATOR_LAT).to_radians();
    (
        EARTH_RADIUS_M * lon.to_radians(),
        EARTH_RADIUS_M * (std::f64::consts::FRAC_PI_4 + lat / 2.0).tan().ln(),
    )
}

/// WGS84 lon/lat of Web-Mercator (EPSG:3857) metres: the inverse of [`web_mercator_m`].
pub fn lon_lat_of_web_mercator_m(x: f64, y: f64) -> (f64, f64) {
    (
        (x / EARTH_RADIUS_M).to_degrees(),
        (2.0 * (y / EARTH_RADIUS_M).exp().atan() - std::f64::consts::FRAC_PI_2).to_degrees(),
    )
}

/// A rectangle on the page, in pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    /// Left edge, pixels from the left of the page.
    pub x: f64,
    /// Top edge, pixels from the top of the page.
    pub y: f64,
    /// Width, pixels.
    pub w: f64,
    /// Height, pixels.
    pub h: f64,
}

/// Maps Web-Mercator metres into a frame of the page.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Projector {
    /// Pixels per Web-Mercator metre.
    pub scale: f64,
    /// Mercator centre of the frame.
    pub center: (f64, f64),
    /// The frame of the page it projects into.
    pub frame: Frame,
}

impl Projector {
    /// Fits `extent` (WGS84) into `frame`, with a margin of 3 % of the frame.
    pub fn fit(extent: Rect<f64>, frame: Frame) -> Projector {
        let (x0, y0) = web_mercator_m(extent.min().x, extent.min().y);
        let (x1, y1) = web_mercator_m(extent.max().x, extent.max().y);
        let ew = (x1 - x0).abs().max(1.0);
        let eh = (y1 - y0).abs().max(1.0);
        let scale = (frame.w * 0.94 / ew).min(frame.h * 0.94 / eh);
        Projector {
            scale,
            center: ((x0 + x1) / 2.0, (y0 + y1) / 2.0),
            frame,
        }
    }

    /// Page pixel of a WGS84 lon/lat.
    pub fn project(&self, lon: f64, lat: f64) -> (f64, f64) {
        let (x, y) = web_mercator_m(lon, lat);
        self.project_mercator(x, y)
    }

    /// Page pixel of Web-Mercator metres.
    pub fn project_mercator(&self, x: f64, y: f64) -> (f64, f64) {
        (
            self.frame.x + self.frame.w / 2.0 + (x - self.center.0) * self.scale,
            self.frame.y + self.frame.h / 2.0 - (y - self.center.1) * self.scale,
        )
    }

    /// WGS84 lon/lat of the frame centre.
    pub fn center_lon_lat(&self) -> (f64, f64) {
        lon_lat_of_web_mercator_m(self.center.0, self.center.1)
    }

    /// Ground metres per page pixel at the latitude of the frame centre.
    pub fn metres_per_px(&self) -> f64 {
        let (_, lat) = self.center_lon_lat();
        lat.to_radians().cos() / self.scale
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_mercator_matches_the_epsg_3857_extent() {
        // EPSG:3857 spans ±20 037 508.342 789 244 m (π × 6 378 137) on both axes; its square
        // is reached at the antimeridian and at latitude ±85.051 128 78°.
        let half_world_m = 20_037_508.342_789_244;
        let (x, y) = web_mercator_m(180.0, 0.0);
        assert!((x - half_world_m).abs() < 1e-6 && y.abs() < 1e-6);
        let (_, y) = web_mercator_m(0.0, 85.051_128_78);
        assert!((y - half_world_m).abs() < 0.01, "{y}");
        // Beyond it, latitudes are clamped to the square.
        assert_eq!(
            web_mercator_m(0.0, 89.0),
            web_mercator_m(0.0, 85.051_128_78)
        );
    }

    #[test]
    fn mercator_round_trip() {
        let (x, y) = web_mercator_m(2.25, 48.5);
        let (lon, lat) = lon_lat_of_web_mercator_m(x, y);
        assert!((lon - 2.25).abs() < 1e-12 && (lat - 48.5).abs() < 1e-12);
    }
}
