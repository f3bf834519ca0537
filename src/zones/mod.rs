//! Zone layers (communes, EPCI…) from Shapefile (also zipped), GeoJSON, GeoPackage and GeoParquet,
//! reprojected to WGS84. Multi-polygons and holes survive.

pub mod dbf;
pub mod geojson;
pub mod gpkg;
pub mod parquet;
pub mod shp;
pub mod validity;

use crate::crs::{Crs, ToWgs84};
use crate::error::{LoadError, Place};
use crate::model::ZoneLayer;
use geo::{Coord, LineString, MultiPolygon, Polygon};
use std::path::Path;

/// Options for reading zones.
#[derive(Clone, Debug, Default)]
pub struct ZoneOptions {
    /// The layer of a GeoPackage, or the `.shp` inside a `.zip` (by name, without extension).
    pub layer: Option<String>,
    /// Forces the source CRS, overriding what the file declares.
    pub crs: Option<Crs>,
    /// Repairs outlines that cross themselves (they are listed in the problems either way).
    pub repair: bool,
}

/// The kind of geographic file, from its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GeoFormat {
    /// An ESRI Shapefile (`.shp`, with its `.dbf`, `.shx` and `.prj` beside it).
    Shapefile,
    /// A `.zip` archive holding a shapefile.
    Zip,
    /// GeoJSON (`.geojson`, `.json`).
    GeoJson,
    /// A GeoPackage (`.gpkg`).
    GeoPackage,
    /// GeoParquet (`.parquet`).
    GeoParquet,
}

impl GeoFormat {
    /// The format of `path`, from its extension.
    pub fn from_path(path: &Path) -> Option<GeoFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "shp" => Some(GeoFormat::Shapefile),
            "zip" => Some(GeoFormat::Zip),
            "geojson" | "json" => Some(GeoFormat::GeoJson),
            "gpkg" => Some(GeoFormat::GeoPackage),
            "parquet" => Some(GeoFormat::GeoParquet),
            _ => None,
        }
    }
}

/// Reads a zone layer from a Shapefile (`.shp` or a `.zip` holding one), a GeoJSON file or a
/// GeoPackage layer, and reprojects it to WGS84.
pub fn load_zones(path: &Path, options: &ZoneOptions) -> Result<ZoneLayer, LoadError> {
    let format = GeoFormat::from_path(path).ok_or_else(|| {
        LoadError::format(
            path,
            "extension non reconnue pour des zones (attendu : .shp, .zip, .geojson, .json, .gpkg, .parquet)",
        )
    })?;
    let layer = match format {
        GeoFormat::Shapefile => shp::load_shapefile(path, options),
        GeoFormat::Zip => shp::load_zipped_shapefile(path, options),
        GeoFormat::GeoJson => geojson::load_geojson_zones(path, options),
        GeoFormat::GeoPackage => gpkg::load_gpkg_zones(path, options),
        GeoFormat::GeoParquet => parquet::load_geoparquet_zones(path, options),
    }?;
    let mut layer = layer;
    check_extent(path, &layer)?;
    validity::check_layer(&mut layer, options.repair);
    Ok(layer)
}

fn round(x: f64, decimals: i32) -> String {
    let p = 10f64.powi(decimals);
    crate::value::format_number((x * p).round() / p)
}

/// Smallest extent, in degrees, that several zones can plausibly span (about 100 m).
const MIN_ZONES_EXTENT_DEG: f64 = 0.001;

/// Refuses a layer whose declared CRS does not fit its coordinates, the classic case being
/// degrees beside a `.prj` that says Lambert-93: read as metres, all the communes of a
/// département collapse into a square of a metre or so (near the projection's origin, in the
/// Gulf of Guinea) and every join still succeeds. Several zones never fit in 100 m.
fn check_extent(path: &Path, layer: &ZoneLayer) -> Result<(), LoadError> {
    if layer.geometries.len() < 2 {
        return Ok(());
    }
    let Some(b) = layer.bbox() else {
        return Ok(());
    };
    let (w, h) = (b.width(), b.height());
    if w < MIN_ZONES_EXTENT_DEG && h < MIN_ZONES_EXTENT_DEG {
        let metres = |deg: f64| deg * 111_195.0;
        let crs = layer.source.crs.clone().unwrap_or_default();
        return Err(LoadError::unknown_crs(
            path,
            format!(
                "les {} zones tiennent dans un rectangle de {} m sur {} m (autour de \
                 longitude {}, latitude {}) une fois lues en {crs} : le système déclaré ne \
                 correspond pas aux coordonnées (des degrés déclarés en mètres ?) ; précisez \
                 --crs EPSG:4326, ou le bon système",
                layer.geometries.len(),
                round(metres(w), 1),
                round(metres(h), 1),
                round(b.center().x, 2),
                round(b.center().y, 2)
            ),
        ));
    }
    Ok(())
}

/// Reprojects positions of one file, turning faults into errors that name the place.
pub(crate) struct Reprojector<'a> {
    pub path: &'a Path,
    pub transform: ToWgs84,
    pub crs: Crs,
    /// Where rings were found open (last position not equal to the first) and closed.
    unclosed: std::sync::Mutex<Vec<Place>>,
}

impl<'a> Reprojector<'a> {
    pub fn new(path: &'a Path, crs: Crs) -> Result<Self, LoadError> {
        let transform =
            ToWgs84::new(&crs).map_err(|detail| LoadError::unknown_crs(path, detail))?;
        Ok(Reprojector {
            path,
            transform,
            crs,
            unclosed: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// The problem listing the places of rings that were open in the file (closed at reading:
    /// the only outline they can mean), if any.
    pub fn unclosed_problem(&self) -> Option<crate::error::Problem> {
        let mut places = self.unclosed.lock().map(|p| p.clone()).unwrap_or_default();
        places.sort_by_key(ToString::to_string);
        places.dedup();
        if places.is_empty() {
            return None;
        }
        let listed: Vec<String> = places.iter().take(10).map(ToString::to_string).collect();
        let more = if places.len() > 10 {
            format!(" … ({} au total)", places.len())
        } else {
            String::new()
        };
        Some(crate::error::Problem::whole(format!(
            "{} géométrie(s) dont un anneau n'est pas fermé (dernière position différente de \
             la première) : fermé(s) à la lecture ({}{more})",
            places.len(),
            listed.join(", ")
        )))
    }

    /// Converts one position, or says where and why it is wrong.
    pub fn convert(&self, x: f64, y: f64, place: &dyn Fn() -> Place) -> Result<Coord, LoadError> {
        if !x.is_finite() || !y.is_finite() {
            return Err(LoadError::invalid(
                self.path,
                place(),
                format!(
                    "coordonnée invalide (x = {}, y = {})",
                    crate::error::coord(x),
                    crate::error::coord(y)
                ),
            ));
        }
        match self.transform.convert(x, y) {
            Some((lon, lat)) => Ok(Coord { x: lon, y: lat }),
            None => Err(LoadError::invalid(
                self.path,
                place(),
                format!(
                    "coordonnée hors du domaine de {} (x = {}, y = {})",
                    self.crs,
                    crate::error::coord(x),
                    crate::error::coord(y)
                ),
            )),
        }
    }

    /// Converts a ring; rings with fewer than 3 distinct positions are dropped (`None`).
    pub fn ring(
        &self,
        coords: impl Iterator<Item = (f64, f64)>,
        place: &dyn Fn() -> Place,
    ) -> Result<Option<LineString>, LoadError> {
        let mut out: Vec<Coord> = Vec::new();
        for (x, y) in coords {
            out.push(self.convert(x, y, place)?);
        }
        if out.len() < 3 {
            return Ok(None);
        }
        if out.first() != out.last()
            && let Ok(mut list) = self.unclosed.lock()
        {
            list.push(place());
        }
        let mut ring = LineString::new(out);
        ring.close();
        Ok(Some(ring))
    }
}

/// Signed area of a ring (positive when counter-clockwise, x right / y up).
pub(crate) fn signed_area(ring: &[Coord]) -> f64 {
    let mut sum = 0.0;
    for w in ring.windows(2) {
        if let [a, b] = w {
            sum += a.x * b.y - b.x * a.y;
        }
    }
    sum / 2.0
}

/// Whether `p` lies inside `ring` (even-odd rule).
pub(crate) fn ring_contains(ring: &[Coord], p: Coord) -> bool {
    let mut inside = false;
    let n = ring.len();
    if n < 3 {
        return false;
    }
    let mut j = n - 1;
    for i in 0..n {
        let (a, b) = (ring[i], ring[j]);
        if (a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x {
            inside = !inside;
        }
        j = i;
    }
    inside
}

/// Builds polygons from outer rings and holes whose order in the file is not trusted: each hole
/// goes to the smallest outer ring that contains it; a hole inside no outer ring becomes an outer
/// ring itself (as GDAL does). Returns the multipolygon and the number of such orphan holes.
pub(crate) fn assemble(outers: Vec<LineString>, holes: Vec<LineString>) -> (MultiPolygon, usize) {
    if holes.is_empty() {
        let polygons = outers
            .into_iter()
            .map(|r| Polygon::new(r, vec![]))
            .collect();
        return (MultiPolygon::new(polygons), 0);
    }
    let areas: Vec<f64> = outers.iter().map(|r| signed_area(&r.0).abs()).collect();
    let mut interiors: Vec<Vec<LineString>> = vec![Vec::new(); outers.len()];
    let mut orphans = Vec::new();
    for hole in holes {
        let probe = hole.0.first().copied();
        let owner = probe.and_then(|p| {
            outers
                .iter()
                .enumerate()
                .filter(|(_, o)| ring_contains(&o.0, p))
                .min_by(|(i, _), (j, _)| areas[*i].total_cmp(&areas[*j]))
                .map(|(i, _)| i)
        });
        match owner.and_then(|i| interiors.get_mut(i)) {
            Some(list) => list.push(hole),
            None => orphans.push(hole),
        }
    }
    let orphan_count = orphans.len();
    let mut polygons: Vec<Polygon> = outers
        .into_iter()
        .zip(interiors)
        .map(|(exterior, holes)| Polygon::new(exterior, holes))
        .collect();
    polygons.extend(orphans.into_iter().map(|r| Polygon::new(r, vec![])));
    (MultiPolygon::new(polygons), orphan_count)
}

/// Checks that lon/lat positions are not plainly swapped (latitudes of France in the longitude
/// column), which would put metropolitan data in the Indian Ocean.
pub(crate) fn looks_swapped(min_x: f64, min_y: f64, max_x: f64, max_y: f64) -> bool {
    let france_lon = -6.0..=10.0;
    let france_lat = 41.0..=51.5;
    france_lat.contains(&min_x)
        && france_lat.contains(&max_x)
        && france_lon.contains(&min_y)
        && france_lon.contains(&max_y)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x0: f64, y0: f64, size: f64, ccw: bool) -> LineString {
        let mut pts = vec![
            (x0, y0),
            (x0 + size, y0),
            (x0 + size, y0 + size),
            (x0, y0 + size),
            (x0, y0),
        ];
        if !ccw {
            pts.reverse();
        }
        LineString::from(pts)
    }

    #[test]
    fn holes_go_to_the_outer_ring_that_contains_them() {
        // Two islands; the hole of the first is listed after the second island.
        let outers = vec![
            square(0.0, 0.0, 10.0, false),
            square(20.0, 0.0, 10.0, false),
        ];
        let holes = vec![square(2.0, 2.0, 2.0, true)];
        let (mp, orphans) = assemble(outers, holes);
        assert_eq!(orphans, 0);
        assert_eq!(mp.0.len(), 2);
        assert_eq!(mp.0[0].interiors().len(), 1);
        assert_eq!(mp.0[1].interiors().len(), 0);
    }

    #[test]
    fn nested_outer_rings_take_the_smallest() {
        // A lake (hole) with an island (outer) in it, and a hole in the island.
        let outers = vec![square(0.0, 0.0, 10.0, false), square(3.0, 3.0, 4.0, false)];
        let holes = vec![square(1.0, 1.0, 8.0, true), square(4.0, 4.0, 1.0, true)];
        let (mp, orphans) = assemble(outers, holes);
        assert_eq!(orphans, 0);
        assert_eq!(mp.0[0].interiors().len(), 1);
        assert_eq!(mp.0[1].interiors().len(), 1);
    }

    #[test]
    fn orphan_hole_becomes_an_outer_ring() {
        let (mp, orphans) = assemble(
            vec![square(0.0, 0.0, 1.0, false)],
            vec![square(5.0, 5.0, 1.0, true)],
        );
        assert_eq!(orphans, 1);
        assert_eq!(mp.0.len(), 2);
    }
}
