//! GeoPackage (ADMIN EXPRESS ships GPKG since 2025: layers `commune`, `epci`, geometry column
//! `geometrie`, lowercase long field names). Opened read-only and immutable: the source file is
//! never modified.

use super::{Reprojector, ZoneOptions};
use crate::crs::Crs;
use crate::error::{LoadError, Place, Problem};
use crate::model::{SourceInfo, ZoneLayer};
use crate::table::{RawCell, typed_table};
use geo::{Geometry, LineString, MultiPolygon};
use geo_traits::to_geo::ToGeoGeometry;
use rusqlite::{Connection, OpenFlags, types::ValueRef};
use std::path::Path;

/// A feature layer of a GeoPackage.
#[derive(Clone, Debug, PartialEq)]
pub struct GpkgLayer {
    /// The layer's table name (e.g. `commune`).
    pub name: String,
    /// The name of its geometry column (e.g. `geometrie`).
    pub geometry_column: String,
    /// The declared geometry type (e.g. `MULTIPOLYGON`).
    pub geometry_type: String,
    /// Its spatial reference id in `gpkg_spatial_ref_sys`.
    pub srs_id: i64,
}

/// Opens a GeoPackage read-only (the file is never modified, not even its journal).
pub(crate) fn open_read_only(path: &Path) -> Result<Connection, LoadError> {
    open(path)
}

fn open(path: &Path) -> Result<Connection, LoadError> {
    if !path.is_file() {
        return Err(LoadError::io(
            path,
            std::io::Error::new(std::io::ErrorKind::NotFound, "fichier introuvable"),
        ));
    }
    let meta = std::fs::metadata(path).map_err(|e| LoadError::io(path, e))?;
    if meta.len() == 0 {
        return Err(LoadError::Empty {
            file: crate::error::display_name(path),
        });
    }
    let mut uri = String::from("file:");
    for c in path.to_string_lossy().chars() {
        match c {
            '?' => uri.push_str("%3f"),
            '#' => uri.push_str("%23"),
            '%' => uri.push_str("%25"),
            _ => uri.push(c),
        }
    }
    uri.push_str("?immutable=1");
    let conn = Connection::open_with_flags(
        &uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| LoadError::format(path, format!("GeoPackage illisible ({e})")))?;
    Ok(conn)
}

fn sql_err(path: &Path, e: rusqlite::Error) -> LoadError {
    let message = match &e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase => {
            "ce fichier n'est pas un GeoPackage (base SQLite illisible)".to_owned()
        }
        _ => format!("GeoPackage illisible ({e})"),
    };
    LoadError::format(path, message)
}

/// Lists the feature layers of a GeoPackage.
pub fn list_layers(path: &Path) -> Result<Vec<GpkgLayer>, LoadError> {
    let conn = open(path)?;
    list_layers_in(path, &conn)
}

fn list_layers_in(path: &Path, conn: &Connection) -> Result<Vec<GpkgLayer>, LoadError> {
    let has_contents: bool = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type IN ('table','view') AND name = 'gpkg_contents'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map_err(|e| sql_err(path, e))?
        > 0;
    if !has_contents {
        return Err(LoadError::format(
            path,
            "ce fichier SQLite n'est pas un GeoPackage (table gpkg_contents absente)",
        ));
    }
    let mut stmt = conn
        .prepare(
            "SELECT c.table_name, g.column_name, g.geometry_type_name, g.srs_id \
             FROM gpkg_contents c JOIN gpkg_geometry_columns g ON g.table_name = c.table_name \
             WHERE c.data_type = 'features' ORDER BY c.table_name",
        )
        .map_err(|e| sql_err(path, e))?;
    let layers = stmt
        .query_map([], |r| {
            Ok(GpkgLayer {
                name: r.get(0)?,
                geometry_column: r.get(1)?,
                geometry_type: r.get(2)?,
                srs_id: r.get(3)?,
            })
        })
        .map_err(|e| sql_err(path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| sql_err(path, e))?;
    Ok(layers)
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn layer_crs(path: &Path, conn: &Connection, srs_id: i64) -> Result<Crs, LoadError> {
    let row: Option<(String, i64, String)> = conn
        .query_row(
            "SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
            [srs_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .ok();
    let Some((org, code, definition)) = row else {
        return Err(LoadError::unknown_crs(
            path,
            format!("srs_id {srs_id} absent de gpkg_spatial_ref_sys"),
        ));
    };
    if org.eq_ignore_ascii_case("EPSG")
        && let Some(crs) = u32::try_from(code).ok().and_then(Crs::from_epsg)
    {
        return Ok(crs);
    }
    Crs::from_wkt(&definition)
        .map_err(|detail| LoadError::unknown_crs(path, format!("srs_id {srs_id} : {detail}")))
}

/// Decodes a GeoPackage geometry blob (GP header + WKB) into a geo geometry in source
/// coordinates. `Ok(None)` for an empty geometry.
pub(crate) fn decode_gpkg_blob(blob: &[u8]) -> Result<Option<Geometry>, String> {
    if blob.len() < 8 || &blob[0..2] != b"GP" {
        return Err("blob de géométrie sans en-tête GeoPackage (« GP »)".to_owned());
    }
    let flags = blob[3];
    let envelope = match (flags >> 1) & 0x07 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        other => return Err(format!("indicateur d'enveloppe invalide ({other})")),
    };
    if (flags >> 4) & 1 == 1 {
        return Ok(None);
    }
    let start = 8 + envelope;
    let wkb = blob
        .get(start..)
        .filter(|w| !w.is_empty())
        .ok_or("géométrie tronquée après l'en-tête")?;
    let parsed = wkb::reader::read_wkb(wkb).map_err(|e| format!("WKB illisible ({e})"))?;
    Ok(parsed.try_to_geometry())
}

/// Reads a GeoPackage layer of zones.
pub fn load_gpkg_zones(path: &Path, options: &ZoneOptions) -> Result<ZoneLayer, LoadError> {
    let conn = open(path)?;
    let layers = list_layers_in(path, &conn)?;
    let names = || {
        layers
            .iter()
            .map(|l| l.name.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let layer = match &options.layer {
        Some(wanted) => layers
            .iter()
            .find(|l| l.name.eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                LoadError::format(path, format!("couche « {wanted} » absente (couches : {})", names()))
            })?,
        None => match layers.as_slice() {
            [] => return Err(LoadError::format(path, "le GeoPackage ne contient aucune couche de géométries")),
            [one] => one,
            _ => {
                return Err(LoadError::format(
                    path,
                    format!("le GeoPackage contient plusieurs couches ({}) : choisissez-en une (--layer)", names()),
                ));
            }
        },
    }
    .clone();
    let crs = match &options.crs {
        Some(c) => c.clone(),
        None => layer_crs(path, &conn, layer.srs_id)?,
    };
    let reprojector = Reprojector::new(path, crs.clone())?;

    // Attribute columns: all but the geometry and the integer primary key.
    let mut stmt = conn
        .prepare(&format!("PRAGMA table_info({})", quote_ident(&layer.name)))
        .map_err(|e| sql_err(path, e))?;
    let columns: Vec<(String, bool)> = stmt
        .query_map([], |r| {
            Ok((r.get::<_, String>(1)?, r.get::<_, i64>(5)? > 0))
        })
        .map_err(|e| sql_err(path, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| sql_err(path, e))?;
    let attr_names: Vec<String> = columns
        .iter()
        .filter(|(n, pk)| !pk && !n.eq_ignore_ascii_case(&layer.geometry_column))
        .map(|(n, _)| n.clone())
        .collect();
    let select: Vec<String> = std::iter::once(quote_ident(&layer.geometry_column))
        .chain(attr_names.iter().map(|n| quote_ident(n)))
        .collect();
    let sql = format!(
        "SELECT {} FROM {}",
        select.join(", "),
        quote_ident(&layer.name)
    );
    let mut stmt = conn.prepare(&sql).map_err(|e| sql_err(path, e))?;
    let mut rows_iter = stmt.query([]).map_err(|e| sql_err(path, e))?;
    let mut geometries = Vec::new();
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let mut orphan_total = 0;
    let mut empty = Vec::new();
    let mut index = 0u64;
    while let Some(row) = rows_iter.next().map_err(|e| sql_err(path, e))? {
        index += 1;
        let feature = index;
        let place = || Place::Feature(feature);
        let geometry = match row.get_ref(0).map_err(|e| sql_err(path, e))? {
            ValueRef::Null => None,
            ValueRef::Blob(b) => {
                decode_gpkg_blob(b).map_err(|m| LoadError::invalid(path, place(), m))?
            }
            _ => {
                return Err(LoadError::invalid(
                    path,
                    place(),
                    "colonne de géométrie qui n'est pas un blob",
                ));
            }
        };
        let mp = match geometry {
            None => {
                empty.push(feature as usize);
                MultiPolygon::new(vec![])
            }
            Some(g) => {
                let (mp, orphans) = project_polygons(path, &reprojector, g, &place)?;
                orphan_total += orphans;
                mp
            }
        };
        geometries.push(mp);
        let mut cells = Vec::with_capacity(attr_names.len());
        for i in 0..attr_names.len() {
            let cell = match row.get_ref(i + 1).map_err(|e| sql_err(path, e))? {
                ValueRef::Null => RawCell::Empty,
                ValueRef::Integer(v) => RawCell::Number(v as f64),
                ValueRef::Real(v) => RawCell::Number(v),
                ValueRef::Text(t) => {
                    let s = String::from_utf8_lossy(t).trim().to_owned();
                    if s.is_empty() {
                        RawCell::Empty
                    } else {
                        RawCell::Text(s)
                    }
                }
                ValueRef::Blob(_) => RawCell::Empty,
            };
            cells.push(cell);
        }
        rows.push(cells);
    }
    if !empty.is_empty() {
        problems.push(Problem::whole(format!(
            "{} entité(s) sans géométrie (n° {})",
            empty.len(),
            super::shp::abbreviate(&empty)
        )));
    }
    if orphan_total > 0 {
        problems.push(Problem::whole(format!(
            "{orphan_total} trou(s) hors de tout contour extérieur, traités comme des contours"
        )));
    }
    let origins = (1..=rows.len() as u64).collect();
    let place = |row: usize, _column: &str| Place::Feature(row as u64 + 1);
    problems.extend(reprojector.unclosed_problem());
    let attributes = typed_table(&attr_names, &rows, origins, &place, &mut problems);
    Ok(ZoneLayer {
        source: SourceInfo {
            path: path.to_owned(),
            format: "GeoPackage".to_owned(),
            layer: Some(layer.name.clone()),
            encoding: Some("UTF-8".to_owned()),
            crs: Some(crs.to_string()),
            problems,
        },
        geometries,
        attributes,
    })
}

fn project_polygons(
    path: &Path,
    reprojector: &Reprojector<'_>,
    geometry: Geometry,
    place: &dyn Fn() -> Place,
) -> Result<(MultiPolygon, usize), LoadError> {
    let polygons = match geometry {
        Geometry::Polygon(p) => vec![p],
        Geometry::MultiPolygon(mp) => mp.0,
        Geometry::GeometryCollection(gc) => {
            let mut out = Vec::new();
            for g in gc.0 {
                match g {
                    Geometry::Polygon(p) => out.push(p),
                    Geometry::MultiPolygon(mp) => out.extend(mp.0),
                    _ => {}
                }
            }
            out
        }
        other => {
            return Err(LoadError::invalid(
                path,
                place(),
                format!(
                    "géométrie de type {} : cette couche ne contient pas des zones (polygones)",
                    geometry_name(&other)
                ),
            ));
        }
    };
    let mut result = Vec::with_capacity(polygons.len());
    for p in polygons {
        let (exterior, interiors) = p.into_inner();
        let project =
            |ring: LineString| reprojector.ring(ring.0.into_iter().map(|c| (c.x, c.y)), place);
        let Some(exterior) = project(exterior)? else {
            continue;
        };
        let mut holes = Vec::new();
        for h in interiors {
            if let Some(h) = project(h)? {
                holes.push(h);
            }
        }
        result.push(geo::Polygon::new(exterior, holes));
    }
    Ok((MultiPolygon::new(result), 0))
}

fn geometry_name(g: &Geometry) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::LineString(_) | Geometry::Line(_) => "LineString",
        Geometry::MultiLineString(_) => "MultiLineString",
        _ => "autre",
    }
}
