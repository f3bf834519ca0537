//! Basemap tiles for exported maps, read from a local tile cache (never from the network: an
//! export must not depend on one).
//!
//! The cache is a folder in the usual XYZ layout, `{z}/{x}/{y}.png` (or `.jpg`), as written by
//! tile downloaders and served by tile servers. The zoom is chosen so that tiles are drawn near
//! their native resolution on the page; when a single tile of the frame is missing at that zoom
//! (and at the two zooms below it), the map goes without basemap rather than with holes.

use super::projection::{EARTH_RADIUS_M, Projector};
use std::path::Path;

const WORLD_M: f64 = 2.0 * std::f64::consts::PI * EARTH_RADIUS_M;
const HALF_WORLD_M: f64 = WORLD_M / 2.0;

/// A basemap tile, already fetched: Web-Mercator XYZ address and PNG/JPEG bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct Tile {
    /// Zoom level.
    pub z: u32,
    /// Column, from the west (antimeridian).
    pub x: u32,
    /// Row, from the north.
    pub y: u32,
    /// `image/png` or `image/jpeg`.
    pub mime: &'static str,
    /// The encoded image.
    pub bytes: Vec<u8>,
}

/// Basemap tiles covering the map frame, with their attribution.
#[derive(Clone, Debug, PartialEq)]
pub struct Basemap {
    /// The tiles, each drawn at its Web-Mercator bounds.
    pub tiles: Vec<Tile>,
    /// `© les contributeurs d'OpenStreetMap`.
    pub attribution: String,
}

/// OpenStreetMap's required attribution.
pub const OSM_ATTRIBUTION: &str = "© les contributeurs d'OpenStreetMap (ODbL)";

/// The Web-Mercator bounds (min x, min y, max x, max y) of tile `z/x/y`, in metres.
pub fn tile_bounds_web_mercator_m(z: u32, x: u32, y: u32) -> (f64, f64, f64, f64) {
    let size = WORLD_M / f64::from(1u32 << z.min(30));
    let x0 = -HALF_WORLD_M + f64::from(x) * size;
    let y1 = HALF_WORLD_M - f64::from(y) * size;
    (x0, y1 - size, x0 + size, y1)
}

/// The tiles of the frame of `projector` at zoom `z`: (x, y) ranges.
fn tile_range(projector: &Projector, z: u32) -> (u32, u32, u32, u32) {
    let f = projector.frame;
    let half_w = f.w / 2.0 / projector.scale;
    let half_h = f.h / 2.0 / projector.scale;
    let (cx, cy) = projector.center;
    let n = f64::from(1u32 << z);
    let size = WORLD_M / n;
    let max = (1u32 << z) - 1;
    let tx = |x: f64| {
        (((x + HALF_WORLD_M) / size)
            .floor()
            .clamp(0.0, f64::from(max))) as u32
    };
    let ty = |y: f64| {
        (((HALF_WORLD_M - y) / size)
            .floor()
            .clamp(0.0, f64::from(max))) as u32
    };
    (
        tx(cx - half_w),
        tx(cx + half_w),
        ty(cy + half_h),
        ty(cy - half_h),
    )
}

/// The zoom at which 256-px tiles are drawn at about their size on the page.
pub fn native_zoom(projector: &Projector) -> u32 {
    let px_per_tile_at_0 = WORLD_M * projector.scale;
    (px_per_tile_at_0 / 256.0).log2().round().clamp(0.0, 19.0) as u32
}

/// Reads the tiles covering the frame from `cache_dir`; `None` when the cache does not hold
/// them all (then the map has no basemap). At most 400 tiles are used: the zoom goes down
/// until the frame needs no more.
pub fn load_tiles(cache_dir: &Path, projector: &Projector, attribution: &str) -> Option<Basemap> {
    let mut z = native_zoom(projector);
    loop {
        let (x0, x1, y0, y1) = tile_range(projector, z);
        let count = u64::from(x1 - x0 + 1) * u64::from(y1 - y0 + 1);
        if count <= 400 {
            break;
        }
        z = z.checked_sub(1)?;
    }
    for zoom in (z.saturating_sub(2)..=z).rev() {
        if let Some(tiles) = read_all(cache_dir, projector, zoom) {
            return Some(Basemap {
                tiles,
                attribution: attribution.to_owned(),
            });
        }
    }
    None
}

fn read_all(cache_dir: &Path, projector: &Projector, z: u32) -> Option<Vec<Tile>> {
    let (x0, x1, y0, y1) = tile_range(projector, z);
    let mut tiles = Vec::new();
    for x in x0..=x1 {
        for y in y0..=y1 {
            let base = cache_dir.join(z.to_string()).join(x.to_string());
            let (bytes, mime) = ["png", "jpg", "jpeg"].iter().find_map(|ext| {
                let bytes = std::fs::read(base.join(format!("{y}.{ext}"))).ok()?;
                let mime = if bytes.starts_with(&[0x89, b'P', b'N', b'G']) {
                    "image/png"
                } else if bytes.starts_with(&[0xff, 0xd8]) {
                    "image/jpeg"
                } else {
                    return None;
                };
                Some((bytes, mime))
            })?;
            tiles.push(Tile {
                z,
                x,
                y,
                mime,
                bytes,
            });
        }
    }
    Some(tiles)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_zero_covers_the_world() {
        let (x0, y0, x1, y1) = tile_bounds_web_mercator_m(0, 0, 0);
        assert!((x0 + HALF_WORLD_M).abs() < 1e-6 && (x1 - HALF_WORLD_M).abs() < 1e-6);
        assert!((y0 + HALF_WORLD_M).abs() < 1e-6 && (y1 - HALF_WORLD_M).abs() < 1e-6);
    }
}
