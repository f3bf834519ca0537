//! GeoParquet (`.parquet`): zone and point layers from the files DuckDB-spatial, GeoPandas,
//! Apache Sedona, GDAL or `cartosol export` write — the « geo » file metadata names the
//! geometry column (WKB), its geometry types and its CRS (PROJJSON, an `EPSG:` string, or
//! absent for OGC:CRS84). The geometries are reprojected to WGS84 from any CRS CartoSol knows;
//! another CRS is refused with its name. Text columns stay text (codes keep their form),
//! numbers are numbers; a plain Parquet table with longitude/latitude or x/y columns is read as
//! points.
//!
//! Hostile bytes never crash the program and never cost more than the read limit
//! ([`crate::limits`]): before the Parquet library reads a column, every page header of its
//! chunks is checked against the chunk and the file (sizes, value counts), and the cells and
//! uncompressed bytes of the whole file against the limit. Pages may be uncompressed or Snappy;
//! other codecs are refused with the way out (rewrite with Snappy).

use super::{Reprojector, ZoneOptions};
use crate::crs::{Crs, ToWgs84};
use crate::error::{LoadError, Place, Problem};
use crate::limits::{self, ReadLimits};
use crate::model::{Field, FieldKind, PointLayer, SourceInfo, Table, ZoneLayer};
use crate::value::{Missing, Value};
use ::parquet::basic::{Compression, LogicalType, TimeUnit, Type as PhysicalType};
use ::parquet::column::reader::ColumnReader;
use ::parquet::file::metadata::ParquetMetaData;
use ::parquet::file::reader::{FileReader, SerializedFileReader};
use geo::{Geometry, LineString, MultiPolygon, Point, Polygon};
use geo_traits::to_geo::ToGeoGeometry;
use serde_json::Value as Json;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

/// Values decoded per call into the Parquet column readers.
const BATCH: usize = 8_192;

/// What the « geo » metadata (or a Parquet GEOMETRY column) says of the primary geometry.
#[derive(Clone, Debug, PartialEq)]
pub struct GeoColumn {
    /// The geometry column's name.
    pub name: String,
    /// Its declared geometry types (`MultiPolygon`, `Point`…); empty when unknown.
    pub geometry_types: Vec<String>,
    /// Its CRS, when CartoSol knows it.
    pub crs: Crs,
}

/// A GeoParquet file read: attributes as typed columns, geometries in the file's CRS.
struct Content {
    fields: Vec<Field>,
    /// One per row: `None` for a null geometry (or when there is no geometry column).
    geometries: Vec<Option<Geometry>>,
    geo: Option<GeoColumn>,
    problems: Vec<Problem>,
}

/// A fault of a whole row group's column (`groupe de lignes 2, colonne « code » : …`).
fn column_error(path: &Path, group: usize, column: &str, message: impl AsRef<str>) -> LoadError {
    LoadError::format(
        path,
        format!(
            "groupe de lignes {}, colonne « {column} » : {}",
            group + 1,
            message.as_ref()
        ),
    )
}

/// Whether a GeoParquet file holds points (its declared geometry types, or no « geo »
/// metadata at all: a table of coordinates) rather than zones.
pub fn holds_points(path: &Path) -> Result<bool, LoadError> {
    let (_, metadata) = open(path, &limits::current())?;
    // The CRS does not matter here (and may be given later with --crs).
    Ok(match geo_column(path, &metadata, Some(&Crs::wgs84()))? {
        None => true,
        Some(geo) => {
            !geo.geometry_types.is_empty()
                && geo.geometry_types.iter().all(|t| {
                    let t = t.trim_end_matches(" Z").to_ascii_lowercase();
                    t == "point" || t == "multipoint"
                })
        }
    })
}

/// Reads a GeoParquet layer of zones (polygons and multipolygons), reprojected to WGS84.
pub fn load_geoparquet_zones(path: &Path, options: &ZoneOptions) -> Result<ZoneLayer, LoadError> {
    let content = read(path, options.crs.as_ref(), &limits::current())?;
    let Some(geo) = content.geo else {
        return Err(LoadError::format(
            path,
            "métadonnées « geo » absentes : ce fichier Parquet n'est pas un GeoParquet (une \
             table de points avec des colonnes longitude/latitude se lit comme des points)",
        ));
    };
    let reprojector = Reprojector::new(path, geo.crs.clone())?;
    let rows = content.geometries.len();
    let mut problems = content.problems;
    let mut geometries = Vec::with_capacity(content.geometries.len());
    let mut empty = Vec::new();
    for (i, g) in content.geometries.into_iter().enumerate() {
        let place = || Place::Feature(i as u64 + 1);
        let polygons = match g {
            None => Vec::new(),
            Some(Geometry::Polygon(p)) => vec![p],
            Some(Geometry::MultiPolygon(mp)) => mp.0,
            Some(Geometry::GeometryCollection(gc)) => {
                gc.0.into_iter()
                    .flat_map(|g| match g {
                        Geometry::Polygon(p) => vec![p],
                        Geometry::MultiPolygon(mp) => mp.0,
                        _ => Vec::new(),
                    })
                    .collect()
            }
            Some(other) => {
                return Err(LoadError::invalid(
                    path,
                    place(),
                    format!(
                        "colonne « {} » : géométrie de type {} : ce fichier ne contient pas des \
                         zones (polygones)",
                        geo.name,
                        geometry_name(&other)
                    ),
                ));
            }
        };
        let mut projected = Vec::with_capacity(polygons.len());
        for p in polygons {
            let (exterior, interiors) = p.into_inner();
            let ring =
                |r: LineString| reprojector.ring(r.0.into_iter().map(|c| (c.x, c.y)), &place);
            let Some(exterior) = ring(exterior)? else {
                continue;
            };
            let mut holes = Vec::new();
            for h in interiors {
                holes.extend(ring(h)?);
            }
            projected.push(Polygon::new(exterior, holes));
        }
        if projected.is_empty() {
            empty.push(i + 1);
        }
        geometries.push(MultiPolygon::new(projected));
    }
    if !empty.is_empty() {
        problems.push(Problem::whole(format!(
            "{} entité(s) sans géométrie (n° {})",
            empty.len(),
            super::shp::abbreviate(&empty)
        )));
    }
    problems.extend(reprojector.unclosed_problem());
    Ok(ZoneLayer {
        source: source(path, &geo, problems),
        geometries,
        attributes: table(content.fields, rows),
    })
}

/// Points read from a Parquet file.
#[derive(Debug)]
pub enum ParquetPoints {
    /// A GeoParquet layer of points, reprojected to WGS84.
    Layer(PointLayer),
    /// A plain Parquet table (no « geo » metadata): its coordinate columns are to be found as
    /// in a CSV file (`points::points_from_table`).
    Table(Table, SourceInfo),
}

/// Reads a GeoParquet layer of points (`crs` replaces the declared CRS), or a plain Parquet
/// table for the caller to find its coordinate columns.
pub fn load_geoparquet_points(path: &Path, crs: Option<&Crs>) -> Result<ParquetPoints, LoadError> {
    let content = read(path, crs, &limits::current())?;
    let rows = content.geometries.len();
    let Some(geo) = content.geo else {
        let source = SourceInfo {
            path: path.to_owned(),
            format: "Parquet".to_owned(),
            layer: None,
            encoding: None,
            crs: None,
            problems: content.problems,
        };
        return Ok(ParquetPoints::Table(table(content.fields, rows), source));
    };
    let transform = ToWgs84::new(&geo.crs).map_err(|d| LoadError::unknown_crs(path, d))?;
    let mut problems = content.problems;
    let mut positions = Vec::with_capacity(rows);
    let mut multi = 0usize;
    for (i, g) in content.geometries.into_iter().enumerate() {
        let place = || Place::Feature(i as u64 + 1);
        let point = match g {
            None => None,
            Some(Geometry::Point(p)) => Some(p),
            Some(Geometry::MultiPoint(mp)) => {
                if mp.0.len() > 1 {
                    multi += 1;
                }
                mp.0.first().copied()
            }
            Some(other) => {
                return Err(LoadError::invalid(
                    path,
                    place(),
                    format!(
                        "colonne « {} » : géométrie de type {} : ce fichier contient des zones \
                         ou des lignes, pas des points",
                        geo.name,
                        geometry_name(&other)
                    ),
                ));
            }
        };
        let position = match point {
            // An empty point is written as NaN coordinates.
            Some(p) if p.x().is_nan() && p.y().is_nan() => None,
            Some(p) => {
                let (lon, lat) = transform.convert(p.x(), p.y()).ok_or_else(|| {
                    LoadError::invalid(
                        path,
                        place(),
                        format!(
                            "coordonnée hors du domaine de {} (x = {}, y = {})",
                            geo.crs,
                            crate::error::coord(p.x()),
                            crate::error::coord(p.y())
                        ),
                    )
                })?;
                Some(Point::new(lon, lat))
            }
            None => None,
        };
        positions.push(position);
    }
    if multi > 0 {
        problems.push(Problem::whole(format!(
            "{multi} MultiPoint de plusieurs points : seul le premier point de chacun est gardé"
        )));
    }
    Ok(ParquetPoints::Layer(PointLayer {
        source: source(path, &geo, problems),
        positions,
        attributes: table(content.fields, rows),
    }))
}

fn source(path: &Path, geo: &GeoColumn, problems: Vec<Problem>) -> SourceInfo {
    SourceInfo {
        path: path.to_owned(),
        format: "GeoParquet".to_owned(),
        layer: None,
        encoding: None,
        crs: Some(geo.crs.to_string()),
        problems,
    }
}

/// The attribute table: rows numbered from 1 (a row's place is its number in the file).
fn table(fields: Vec<Field>, rows: usize) -> Table {
    let rows = fields.first().map_or(rows, |f| f.values.len());
    Table {
        fields,
        row_origin: (1..=rows as u64).collect(),
    }
}

fn geometry_name(g: &Geometry) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::LineString(_) | Geometry::Line(_) => "LineString",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        _ => "autre",
    }
}

/// Runs a read of the Parquet library, turning a panic into an error naming the file: the
/// checks before it leave nothing known to make it panic, but a corrupt file must never take
/// the app down.
fn guarded<T>(path: &Path, read: impl FnOnce() -> Result<T, LoadError>) -> Result<T, LoadError> {
    thread_local! {
        static GUARDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    // The panic becomes the French error below; other panics are reported as before.
    static QUIET_HOOK: std::sync::Once = std::sync::Once::new();
    QUIET_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
    let was = GUARDED.with(|g| g.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read));
    GUARDED.with(|g| g.set(was));
    result.unwrap_or_else(|_| {
        Err(LoadError::format(
            path,
            "fichier Parquet illisible : structure interne incohérente (fichier tronqué ou \
             corrompu)",
        ))
    })
}

/// Opens a Parquet file and reads its footer, after checking its signatures and the footer's
/// length against the file and the read limit.
fn open(path: &Path, limits: &ReadLimits) -> Result<(File, ParquetMetaData), LoadError> {
    let mut file = File::open(path).map_err(|e| LoadError::io(path, e))?;
    let len = file.metadata().map_err(|e| LoadError::io(path, e))?.len();
    if len == 0 {
        return Err(LoadError::Empty {
            file: crate::error::display_name(path),
        });
    }
    let mut head = [0u8; 4];
    let mut tail = [0u8; 8];
    let read_at = |file: &mut File, at: u64, buf: &mut [u8]| {
        file.seek(SeekFrom::Start(at))
            .and_then(|_| file.read_exact(buf))
            .map_err(|e| LoadError::io(path, e))
    };
    if len < 12 {
        read_at(&mut file, 0, &mut head[..len.min(4) as usize])?;
    } else {
        read_at(&mut file, 0, &mut head)?;
    }
    if &head != b"PAR1" {
        let mut start = vec![0u8; len.min(512) as usize];
        read_at(&mut file, 0, &mut start)?;
        return Err(LoadError::format(
            path,
            crate::error::wrong_content("parquet", &start, "un fichier Parquet"),
        ));
    }
    if len < 12 {
        return Err(LoadError::format(path, "fichier Parquet tronqué"));
    }
    read_at(&mut file, len - 8, &mut tail)?;
    if &tail[4..] != b"PAR1" {
        return Err(LoadError::format(
            path,
            "fichier Parquet tronqué ou chiffré (signature de fin « PAR1 » absente)",
        ));
    }
    let footer = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    if footer + 12 > len {
        return Err(LoadError::format(
            path,
            format!("fichier Parquet tronqué (pied de {footer} octets dans un fichier de {len})"),
        ));
    }
    // Decoding the footer costs a few times its size.
    if footer.saturating_mul(8) > limits.max_bytes() {
        return Err(limits::exceeded(path, "le pied du fichier Parquet", limits));
    }
    let reader_file = file.try_clone().map_err(|e| LoadError::io(path, e))?;
    let metadata = guarded(path, || {
        SerializedFileReader::new(reader_file)
            .map(|r| r.metadata().clone())
            .map_err(|e| {
                LoadError::format(path, format!("pied du fichier Parquet illisible ({e})"))
            })
    })?;
    Ok((file, metadata))
}

/// The primary geometry column: from the « geo » metadata, else from a column of Parquet's
/// own GEOMETRY/GEOGRAPHY type; `None` for a plain table. `forced` replaces the declared CRS.
fn geo_column(
    path: &Path,
    metadata: &ParquetMetaData,
    forced: Option<&Crs>,
) -> Result<Option<GeoColumn>, LoadError> {
    let geo_text = metadata
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|k| k.key == "geo"))
        .and_then(|k| k.value.clone());
    let Some(text) = geo_text else {
        return native_geometry_column(path, metadata, forced);
    };
    let bad = |m: String| LoadError::format(path, format!("métadonnées « geo » : {m}"));
    let doc: Json = serde_json::from_str(&text).map_err(|e| {
        bad(format!(
            "JSON illisible ({})",
            crate::error::json_message_fr(&e)
        ))
    })?;
    let name = doc
        .get("primary_column")
        .and_then(Json::as_str)
        .ok_or_else(|| bad("« primary_column » absent".to_owned()))?
        .to_owned();
    let column = doc
        .get("columns")
        .and_then(|c| c.get(&name))
        .ok_or_else(|| bad(format!("colonne « {name} » absente de « columns »")))?;
    let encoding = column.get("encoding").and_then(Json::as_str).unwrap_or("");
    if !encoding.eq_ignore_ascii_case("WKB") {
        return Err(bad(format!(
            "colonne « {name} » en encodage « {encoding} » : CartoSol lit l'encodage WKB \
             (réécrivez le fichier avec geometry_encoding='WKB')"
        )));
    }
    let geometry_types = column
        .get("geometry_types")
        .and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Json::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let crs = match forced {
        Some(c) => c.clone(),
        None => match column.get("crs") {
            // Absent: OGC:CRS84 (longitude/latitude) by the specification.
            None => Crs::wgs84(),
            Some(Json::Null) => {
                return Err(LoadError::unknown_crs(
                    path,
                    format!(
                        "la colonne « {name} » déclare un système indéfini (crs: null) : \
                         précisez-le (--crs)"
                    ),
                ));
            }
            Some(crs) => crs_of(crs).map_err(|d| LoadError::unknown_crs(path, d))?,
        },
    };
    Ok(Some(GeoColumn {
        name,
        geometry_types,
        crs,
    }))
}

/// A column of Parquet's GEOMETRY or GEOGRAPHY logical type (files without « geo » metadata).
fn native_geometry_column(
    path: &Path,
    metadata: &ParquetMetaData,
    forced: Option<&Crs>,
) -> Result<Option<GeoColumn>, LoadError> {
    let schema = metadata.file_metadata().schema_descr();
    for column in schema.columns() {
        let crs = match column.logical_type_ref() {
            Some(LogicalType::Geometry(g)) => g.crs.clone(),
            Some(LogicalType::Geography(g)) => g.crs.clone(),
            _ => continue,
        };
        let crs = match (forced, crs) {
            (Some(c), _) => c.clone(),
            (None, None) => Crs::wgs84(),
            (None, Some(text)) => {
                let text = text.strip_prefix("srid:").unwrap_or(&text).to_owned();
                match serde_json::from_str::<Json>(&text) {
                    Ok(json @ Json::Object(_)) => crs_of(&json),
                    _ => Crs::from_user(&text),
                }
                .map_err(|d| LoadError::unknown_crs(path, d))?
            }
        };
        return Ok(Some(GeoColumn {
            name: column.name().to_owned(),
            geometry_types: Vec::new(),
            crs,
        }));
    }
    Ok(None)
}

/// The CRS of a GeoParquet `crs` member: PROJJSON (its EPSG or OGC identifier, also inside a
/// bound or compound CRS), or a string (`EPSG:2154`, a WKT).
pub fn crs_of(crs: &Json) -> Result<Crs, String> {
    if let Some(text) = crs.as_str() {
        return Crs::from_user(text);
    }
    let name = crs.get("name").and_then(Json::as_str).unwrap_or("sans nom");
    let inner = match crs.get("type").and_then(Json::as_str) {
        Some("BoundCRS") => crs.get("source_crs"),
        Some("CompoundCRS") => crs
            .get("components")
            .and_then(Json::as_array)
            .and_then(|c| c.first()),
        _ => None,
    };
    if let Some(inner) = inner {
        return crs_of(inner);
    }
    let ids: Vec<&Json> = match (crs.get("id"), crs.get("ids").and_then(Json::as_array)) {
        (Some(id), _) => vec![id],
        (None, Some(ids)) => ids.iter().collect(),
        (None, None) => Vec::new(),
    };
    for id in ids {
        let authority = id.get("authority").and_then(Json::as_str).unwrap_or("");
        let code = match id.get("code") {
            Some(Json::String(s)) => s.clone(),
            Some(Json::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        if authority.eq_ignore_ascii_case("OGC") && code.eq_ignore_ascii_case("CRS84") {
            return Ok(Crs::wgs84());
        }
        if authority.eq_ignore_ascii_case("EPSG") {
            let code: u32 = code
                .parse()
                .map_err(|_| format!("code EPSG « {code} » illisible ({name})"))?;
            return Crs::from_epsg(code)
                .ok_or_else(|| format!("EPSG:{code} ({name}) inconnu de CartoSol"));
        }
    }
    if name.eq_ignore_ascii_case("WGS 84 (CRS84)") {
        return Ok(Crs::wgs84());
    }
    Err(format!(
        "PROJJSON « {name} » sans identifiant EPSG : CartoSol ne sait pas le reprojeter \
         (réécrivez le fichier dans un système EPSG, par exemple EPSG:2154 ou EPSG:4326)"
    ))
}

/// A top-level column to read: its leaf index and name.
struct Wanted {
    leaf: usize,
    name: String,
    geometry: bool,
}

fn read(path: &Path, forced: Option<&Crs>, limits: &ReadLimits) -> Result<Content, LoadError> {
    let (file, metadata) = open(path, limits)?;
    let geo = geo_column(path, &metadata, forced)?;
    let schema = metadata.file_metadata().schema_descr();
    let mut problems = Vec::new();
    let mut wanted: Vec<Wanted> = Vec::new();
    for (leaf, column) in schema.columns().iter().enumerate() {
        let root = schema.get_column_root(leaf);
        let nested = !root.is_primitive() || column.max_rep_level() > 0;
        let is_geometry = geo.as_ref().is_some_and(|g| g.name == root.name());
        if nested {
            if is_geometry {
                return Err(LoadError::format(
                    path,
                    format!(
                        "colonne de géométrie « {} » imbriquée (encodage GeoArrow) : CartoSol \
                         lit l'encodage WKB",
                        root.name()
                    ),
                ));
            }
            // The bbox « covering » struct of GeoParquet 1.1 is expected; others are said.
            let name = root.name().to_owned();
            if !name.eq_ignore_ascii_case("bbox")
                && !problems
                    .iter()
                    .any(|p: &Problem| p.message.contains(&format!("« {name} »")))
            {
                problems.push(Problem::whole(format!(
                    "colonne imbriquée « {name} » (liste ou structure) ignorée"
                )));
            }
            continue;
        }
        if is_geometry && column.physical_type() != PhysicalType::BYTE_ARRAY {
            return Err(LoadError::format(
                path,
                format!(
                    "colonne de géométrie « {} » de type {} : le WKB attendu est binaire",
                    root.name(),
                    column.physical_type()
                ),
            ));
        }
        wanted.push(Wanted {
            leaf,
            name: root.name().to_owned(),
            geometry: is_geometry,
        });
    }
    if let Some(g) = &geo
        && !wanted.iter().any(|w| w.geometry)
    {
        return Err(LoadError::format(
            path,
            format!("colonne de géométrie « {} » absente du fichier", g.name),
        ));
    }
    let file_len = file.metadata().map_err(|e| LoadError::io(path, e))?.len();
    check_cost(path, &file, file_len, &metadata, &wanted, limits)?;

    let rows: usize = metadata
        .row_groups()
        .iter()
        .map(|g| usize::try_from(g.num_rows()).unwrap_or(0))
        .sum();
    let attributes: Vec<&Wanted> = wanted.iter().filter(|w| !w.geometry).collect();
    let mut columns: Vec<Decoded> = attributes.iter().map(|_| Decoded::default()).collect();
    let mut geometries: Vec<Option<Geometry>> = Vec::with_capacity(rows);
    let reader = guarded(path, || {
        SerializedFileReader::new(file)
            .map_err(|e| LoadError::format(path, format!("fichier Parquet illisible ({e})")))
    })?;
    let mut first_row = 0usize;
    for (g, group_meta) in metadata.row_groups().iter().enumerate() {
        let group_rows = usize::try_from(group_meta.num_rows()).unwrap_or(0);
        let group = guarded(path, || {
            reader.get_row_group(g).map_err(|e| {
                LoadError::format(path, format!("groupe de lignes {} illisible ({e})", g + 1))
            })
        })?;
        for w in &wanted {
            let descr = schema.column(w.leaf);
            let reader = guarded(path, || {
                group
                    .get_column_reader(w.leaf)
                    .map_err(|e| column_error(path, g, &w.name, format!("illisible ({e})")))
            })?;
            let values = guarded(path, || {
                read_column(reader, descr.max_def_level(), group_rows)
                    .map_err(|e| column_error(path, g, &w.name, e))
            })?;
            if w.geometry {
                let RawColumn::Bytes(cells) = values else {
                    return Err(column_error(path, g, &w.name, "géométrie non binaire"));
                };
                for (i, cell) in cells.into_iter().enumerate() {
                    let row = first_row + i + 1;
                    let geometry = match cell {
                        None => None,
                        Some(bytes) => guarded(path, || {
                            let parsed = wkb::reader::read_wkb(&bytes).map_err(|e| {
                                LoadError::invalid(
                                    path,
                                    Place::Feature(row as u64),
                                    format!(
                                        "colonne « {} » (groupe de lignes {}) : WKB illisible ({e})",
                                        w.name,
                                        g + 1
                                    ),
                                )
                            })?;
                            Ok(parsed.try_to_geometry())
                        })?,
                    };
                    geometries.push(geometry);
                }
            } else if let Some(slot) = attributes
                .iter()
                .position(|a| a.leaf == w.leaf)
                .and_then(|i| columns.get_mut(i))
            {
                slot.push(values, &descr);
            }
        }
        first_row += group_rows;
    }
    if geo.is_none() {
        geometries = vec![None; rows];
    }
    let mut fields = Vec::with_capacity(columns.len());
    for (w, c) in attributes.iter().zip(columns) {
        if let Some(kind) = c.unsupported {
            problems.push(Problem::whole(format!(
                "colonne « {} » de type {kind} non lue (valeurs manquantes)",
                w.name
            )));
        }
        fields.push(c.into_field(&w.name));
    }
    Ok(Content {
        fields,
        geometries,
        geo,
        problems,
    })
}

/// Checks, before the Parquet library reads anything, that the file's content fits the read
/// limit and that every page of the chunks to read lies inside its chunk with plausible sizes.
fn check_cost(
    path: &Path,
    file: &File,
    file_len: u64,
    metadata: &ParquetMetaData,
    wanted: &[Wanted],
    limits: &ReadLimits,
) -> Result<(), LoadError> {
    let mut rows: u64 = 0;
    for (g, group) in metadata.row_groups().iter().enumerate() {
        let n = u64::try_from(group.num_rows()).map_err(|_| {
            LoadError::format(
                path,
                format!("groupe de lignes {} : nombre de lignes négatif", g + 1),
            )
        })?;
        rows = rows.saturating_add(n);
    }
    let cells = rows.saturating_mul(wanted.len().max(1) as u64);
    if cells > limits.max_cells() {
        return Err(limits::exceeded(
            path,
            format!("la table ({rows} lignes × {} colonnes)", wanted.len()),
            limits,
        ));
    }
    let data_end = file_len.saturating_sub(8);
    let mut uncompressed_total: u64 = 0;
    for (g, group) in metadata.row_groups().iter().enumerate() {
        let group_rows = u64::try_from(group.num_rows()).unwrap_or(0);
        for w in wanted {
            let fault = |m: String| column_error(path, g, &w.name, m);
            let Some(chunk) = group.columns().get(w.leaf) else {
                return Err(fault("morceau de colonne absent du groupe".to_owned()));
            };
            match chunk.compression() {
                Compression::UNCOMPRESSED | Compression::SNAPPY => {}
                other => {
                    return Err(fault(format!(
                        "compression {other} non prise en charge : CartoSol lit les pages non \
                         compressées ou en Snappy (réécrivez le fichier avec \
                         compression='snappy')"
                    )));
                }
            }
            let start = chunk
                .dictionary_page_offset()
                .unwrap_or_else(|| chunk.data_page_offset());
            let len = chunk.compressed_size();
            let (Ok(start), Ok(len)) = (u64::try_from(start), u64::try_from(len)) else {
                return Err(fault("position ou taille négative".to_owned()));
            };
            if start < 4 || start.saturating_add(len) > data_end {
                return Err(fault(format!(
                    "octets {start} à {} hors du fichier ({file_len} octets)",
                    start.saturating_add(len)
                )));
            }
            let check = PageCheck {
                byte_array: schema_is_byte_array(metadata, w.leaf),
                snappy: chunk.compression() == Compression::SNAPPY,
                max_page: limits.max_bytes(),
            };
            let pages = scan_pages(file, start, len, check).map_err(&fault)?;
            uncompressed_total = uncompressed_total.saturating_add(pages.uncompressed);
            if pages.largest_page > limits.max_bytes() || uncompressed_total > limits.max_bytes() {
                return Err(limits::exceeded(
                    path,
                    "le contenu (une fois décompressé)",
                    limits,
                ));
            }
            if pages.values != group_rows {
                return Err(fault(format!(
                    "{} valeur(s) dans les pages pour {group_rows} ligne(s) : colonne \
                     incohérente",
                    pages.values
                )));
            }
        }
    }
    Ok(())
}

/// What the page headers of one column chunk declare.
#[derive(Debug, Default)]
struct Pages {
    uncompressed: u64,
    largest_page: u64,
    /// Values of the data pages (rows, for a flat column).
    values: u64,
}

/// What the page walk checks beyond the headers.
#[derive(Clone, Copy, Debug)]
struct PageCheck {
    /// Binary values: the dictionary page is read and its length prefixes checked (the Parquet
    /// library asserts on a prefix cut by the end of the page).
    byte_array: bool,
    /// Pages are Snappy-compressed.
    snappy: bool,
    /// The read limit in bytes: a larger page stops the walk (the caller refuses the file).
    max_page: u64,
}

fn schema_is_byte_array(metadata: &ParquetMetaData, leaf: usize) -> bool {
    metadata
        .file_metadata()
        .schema_descr()
        .columns()
        .get(leaf)
        .is_some_and(|c| c.physical_type() == PhysicalType::BYTE_ARRAY)
}

/// Checks a dictionary page of binary values: `values` length-prefixed values, all inside the
/// page once decompressed.
fn check_byte_array_dictionary(
    raw: &[u8],
    values: u64,
    uncompressed: u64,
    snappy: bool,
) -> Result<(), String> {
    let decompressed;
    let data = if snappy {
        let n = snap::raw::decompress_len(raw).map_err(|e| format!("Snappy illisible ({e})"))?;
        if n as u64 != uncompressed {
            return Err(format!(
                "{n} octets une fois décompressé, {uncompressed} annoncés"
            ));
        }
        let mut out = vec![0u8; n];
        snap::raw::Decoder::new()
            .decompress(raw, &mut out)
            .map_err(|e| format!("Snappy illisible ({e})"))?;
        decompressed = out;
        decompressed.as_slice()
    } else {
        raw
    };
    let mut at = 0usize;
    for i in 0..values {
        let prefix = data
            .get(at..at.saturating_add(4))
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .ok_or_else(|| format!("dictionnaire coupé à sa valeur {}", i + 1))?;
        at = at
            .saturating_add(4)
            .saturating_add(u32::from_le_bytes(prefix) as usize);
        if at > data.len() {
            return Err(format!("dictionnaire coupé à sa valeur {}", i + 1));
        }
    }
    Ok(())
}

/// Walks the page headers of the chunk at `start`, `len` bytes long.
fn scan_pages(file: &File, start: u64, len: u64, check: PageCheck) -> Result<Pages, String> {
    let io = |e: std::io::Error| format!("lecture impossible ({e})");
    let mut handle = file.try_clone().map_err(io)?;
    handle.seek(SeekFrom::Start(start)).map_err(io)?;
    let mut reader = BufReader::new(handle);
    let mut pages = Pages::default();
    let mut pos = 0u64;
    let mut index = 0u64;
    while pos < len {
        index += 1;
        let mut protocol = Compact {
            reader: &mut reader,
            used: 0,
            max: len - pos,
        };
        let header = page_header(&mut protocol).map_err(|m| format!("page {index} : {m}"))?;
        pos += protocol.used;
        let (Ok(compressed), Ok(uncompressed)) = (
            u64::try_from(header.compressed),
            u64::try_from(header.uncompressed),
        ) else {
            return Err(format!("page {index} : taille négative"));
        };
        if compressed > len - pos {
            return Err(format!(
                "page {index} : {compressed} octets annoncés, {} restent dans la colonne",
                len - pos
            ));
        }
        let values = u64::try_from(header.values)
            .map_err(|_| format!("page {index} : nombre de valeurs négatif"))?;
        match header.kind {
            // Data pages (v1, v2).
            0 | 3 => pages.values = pages.values.saturating_add(values),
            // A dictionary entry takes at least one byte.
            2 if values > uncompressed.max(1) => {
                return Err(format!(
                    "page {index} : dictionnaire de {values} valeurs en {uncompressed} octets"
                ));
            }
            _ => {}
        }
        pages.uncompressed = pages.uncompressed.saturating_add(uncompressed);
        pages.largest_page = pages.largest_page.max(uncompressed);
        if uncompressed > check.max_page {
            return Ok(pages);
        }
        if header.kind == 2 && check.byte_array {
            // Bounded by the chunk, itself inside the file.
            let mut raw = vec![0u8; usize::try_from(compressed).map_err(|_| "page trop grande")?];
            reader.read_exact(&mut raw).map_err(io)?;
            check_byte_array_dictionary(&raw, values, uncompressed, check.snappy)
                .map_err(|m| format!("page {index} : {m}"))?;
        } else {
            reader
                .seek_relative(
                    i64::try_from(compressed).map_err(|_| "page trop grande".to_owned())?,
                )
                .map_err(io)?;
        }
        pos += compressed;
    }
    Ok(pages)
}

/// The fields of a page header that bound what reading the page costs.
#[derive(Debug, Default)]
struct PageHeader {
    kind: i64,
    uncompressed: i64,
    compressed: i64,
    values: i64,
}

/// A reader of Thrift's compact protocol, never past `max` bytes.
struct Compact<'a, R: Read> {
    reader: &'a mut R,
    used: u64,
    max: u64,
}

/// Nesting of Thrift structures accepted in a page header (statistics nest two deep).
const MAX_DEPTH: u32 = 16;

impl<R: Read> Compact<'_, R> {
    fn byte(&mut self) -> Result<u8, String> {
        if self.used >= self.max {
            return Err("en-tête de page tronqué".to_owned());
        }
        let mut b = [0u8; 1];
        self.reader
            .read_exact(&mut b)
            .map_err(|_| "en-tête de page tronqué".to_owned())?;
        self.used += 1;
        Ok(b[0])
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f) << shift.min(63);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("entier varint trop long dans un en-tête de page".to_owned())
    }

    fn zigzag(&mut self) -> Result<i64, String> {
        let v = self.varint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    fn skip(&mut self, n: u64) -> Result<(), String> {
        if n > self.max - self.used {
            return Err("en-tête de page tronqué".to_owned());
        }
        let copied = std::io::copy(&mut self.reader.take(n), &mut std::io::sink())
            .map_err(|e| format!("lecture impossible ({e})"))?;
        if copied != n {
            return Err("en-tête de page tronqué".to_owned());
        }
        self.used += n;
        Ok(())
    }

    /// Skips one value of compact type `ty`.
    fn skip_value(&mut self, ty: u8, depth: u32) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err("en-tête de page trop imbriqué".to_owned());
        }
        match ty {
            1 | 2 => Ok(()),
            3 => self.byte().map(|_| ()),
            4..=6 => self.varint().map(|_| ()),
            7 => self.skip(8),
            8 => {
                let n = self.varint()?;
                self.skip(n)
            }
            9 | 10 => {
                let head = self.byte()?;
                let size = match head >> 4 {
                    15 => self.varint()?,
                    n => u64::from(n),
                };
                let elem = head & 0x0f;
                for _ in 0..size {
                    // Booleans in a list take one byte each.
                    if elem == 1 || elem == 2 {
                        self.byte()?;
                    } else {
                        self.skip_value(elem, depth + 1)?;
                    }
                }
                Ok(())
            }
            11 => {
                let size = self.varint()?;
                if size == 0 {
                    return Ok(());
                }
                let types = self.byte()?;
                for _ in 0..size {
                    for t in [types >> 4, types & 0x0f] {
                        if t == 1 || t == 2 {
                            self.byte()?;
                        } else {
                            self.skip_value(t, depth + 1)?;
                        }
                    }
                }
                Ok(())
            }
            12 => self.fields(depth + 1, |_, _, _| Ok(false)),
            other => Err(format!(
                "type Thrift inconnu ({other}) dans un en-tête de page"
            )),
        }
    }

    /// Reads the fields of a structure up to its stop byte; `read(protocol, id, type)` reads a
    /// field it wants and returns `true`, else the field is skipped.
    fn fields(
        &mut self,
        depth: u32,
        mut read: impl FnMut(&mut Self, i64, u8) -> Result<bool, String>,
    ) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err("en-tête de page trop imbriqué".to_owned());
        }
        let mut last = 0i64;
        loop {
            let head = self.byte()?;
            if head == 0 {
                return Ok(());
            }
            let ty = head & 0x0f;
            let id = match head >> 4 {
                0 => self.zigzag()?,
                delta => last + i64::from(delta),
            };
            last = id;
            if !read(self, id, ty)? {
                self.skip_value(ty, depth)?;
            }
        }
    }
}

/// Reads a page header: type, sizes, and the value count of its data or dictionary header.
fn page_header<R: Read>(p: &mut Compact<'_, R>) -> Result<PageHeader, String> {
    let mut header = PageHeader::default();
    let mut sizes = 0;
    p.fields(0, |p, id, ty| match (id, ty) {
        (1, 5) => {
            header.kind = p.zigzag()?;
            Ok(true)
        }
        (2, 5) => {
            header.uncompressed = p.zigzag()?;
            sizes += 1;
            Ok(true)
        }
        (3, 5) => {
            header.compressed = p.zigzag()?;
            sizes += 1;
            Ok(true)
        }
        // Data page v1, dictionary page, data page v2: num_values is their field 1.
        (5 | 7 | 8, 12) => {
            p.fields(1, |p, id, ty| {
                if (id, ty) == (1, 5) {
                    header.values = p.zigzag()?;
                    Ok(true)
                } else {
                    Ok(false)
                }
            })?;
            Ok(true)
        }
        _ => Ok(false),
    })?;
    if sizes < 2 {
        return Err("en-tête de page sans tailles".to_owned());
    }
    Ok(header)
}

/// The cells of one column chunk, null where the definition level says so.
enum RawColumn {
    Bool(Vec<Option<bool>>),
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Bytes(Vec<Option<Vec<u8>>>),
    /// A type CartoSol does not read (INT96 timestamps, fixed-length binaries).
    Unsupported(&'static str, usize),
}

/// Spreads `values` (the non-null ones) over `levels`.
fn spread<T: Clone>(values: Vec<T>, levels: &[i16], max_def: i16, out: &mut Vec<Option<T>>) {
    if max_def == 0 {
        out.extend(values.into_iter().map(Some));
        return;
    }
    let mut values = values.into_iter();
    for level in levels {
        out.push(if *level == max_def {
            values.next()
        } else {
            None
        });
    }
}

/// Reads `rows` rows of one flat column chunk.
fn read_column(reader: ColumnReader, max_def: i16, rows: usize) -> Result<RawColumn, String> {
    macro_rules! read_all {
        ($reader:expr, $convert:expr) => {{
            let mut reader = $reader;
            let mut out = Vec::with_capacity(rows.min(1 << 20));
            let mut levels: Vec<i16> = Vec::new();
            let mut values = Vec::new();
            while out.len() < rows {
                levels.clear();
                values.clear();
                let (records, _, _) = reader
                    .read_records(
                        (rows - out.len()).min(BATCH),
                        Some(&mut levels),
                        None,
                        &mut values,
                    )
                    .map_err(|e| format!("pages illisibles ({e})"))?;
                if records == 0 {
                    return Err(format!(
                        "colonne tronquée : {} ligne(s) lue(s) sur {rows}",
                        out.len()
                    ));
                }
                let converted: Vec<_> = values.drain(..).map($convert).collect();
                let before = out.len();
                spread(converted, &levels, max_def, &mut out);
                if out.len() != before + records {
                    return Err("niveaux de définition incohérents".to_owned());
                }
            }
            out
        }};
    }
    Ok(match reader {
        ColumnReader::BoolColumnReader(r) => RawColumn::Bool(read_all!(r, |b: bool| b)),
        ColumnReader::Int32ColumnReader(r) => RawColumn::Int(read_all!(r, i64::from)),
        ColumnReader::Int64ColumnReader(r) => RawColumn::Int(read_all!(r, |x: i64| x)),
        ColumnReader::FloatColumnReader(r) => RawColumn::Float(read_all!(r, f64::from)),
        ColumnReader::DoubleColumnReader(r) => RawColumn::Float(read_all!(r, |x: f64| x)),
        ColumnReader::ByteArrayColumnReader(r) => {
            RawColumn::Bytes(read_all!(r, |b: ::parquet::data_type::ByteArray| b
                .data()
                .to_vec()))
        }
        ColumnReader::Int96ColumnReader(_) => RawColumn::Unsupported("INT96", rows),
        ColumnReader::FixedLenByteArrayColumnReader(_) => {
            RawColumn::Unsupported("FIXED_LEN_BYTE_ARRAY", rows)
        }
    })
}

/// One attribute column being gathered over the row groups: the only place where this
/// importer builds attribute values.
#[derive(Default)]
struct Decoded {
    kind: Option<FieldKind>,
    values: Vec<Value>,
    unsupported: Option<&'static str>,
}

impl Decoded {
    fn push(&mut self, raw: RawColumn, descr: &::parquet::schema::types::ColumnDescriptor) {
        let logical = descr.logical_type_ref();
        let missing = Value::Missing(Missing::Empty);
        let number = |x: Option<f64>| match x {
            Some(x) if x.is_finite() => Value::Number(x),
            Some(_) => Value::Missing(Missing::NotAvailable),
            None => Value::Missing(Missing::Empty),
        };
        match raw {
            RawColumn::Bool(cells) => {
                self.kind = Some(FieldKind::Text);
                self.values.extend(cells.into_iter().map(|c| match c {
                    Some(true) => Value::Text("VRAI".to_owned()),
                    Some(false) => Value::Text("FAUX".to_owned()),
                    None => missing.clone(),
                }));
            }
            RawColumn::Int(cells) => match logical {
                Some(LogicalType::Date) => {
                    self.kind = Some(FieldKind::Text);
                    self.values.extend(cells.into_iter().map(|c| {
                        c.and_then(date_text)
                            .map_or_else(|| missing.clone(), Value::Text)
                    }));
                }
                Some(LogicalType::Timestamp(t)) => {
                    let unit = &t.unit;
                    self.kind = Some(FieldKind::Text);
                    self.values.extend(cells.into_iter().map(|c| {
                        c.and_then(|x| timestamp_text(x, unit))
                            .map_or_else(|| missing.clone(), Value::Text)
                    }));
                }
                Some(LogicalType::Decimal(d)) => {
                    let divisor = 10f64.powi(d.scale);
                    self.kind = Some(FieldKind::Number);
                    self.values.extend(
                        cells
                            .into_iter()
                            .map(|c| number(c.map(|x| x as f64 / divisor))),
                    );
                }
                _ => {
                    self.kind = Some(FieldKind::Number);
                    self.values
                        .extend(cells.into_iter().map(|c| number(c.map(|x| x as f64))));
                }
            },
            RawColumn::Float(cells) => {
                self.kind = Some(FieldKind::Number);
                self.values.extend(cells.into_iter().map(number));
            }
            RawColumn::Bytes(cells) => {
                self.kind = Some(FieldKind::Text);
                self.values.extend(cells.into_iter().map(|c| match c {
                    Some(bytes) if !bytes.is_empty() => {
                        Value::Text(String::from_utf8_lossy(&bytes).into_owned())
                    }
                    _ => missing.clone(),
                }));
            }
            RawColumn::Unsupported(kind, rows) => {
                self.kind = Some(FieldKind::Text);
                self.unsupported = Some(kind);
                self.values.extend(std::iter::repeat_n(
                    Value::Missing(Missing::NotAvailable),
                    rows,
                ));
            }
        }
    }

    fn into_field(self, name: &str) -> Field {
        Field {
            name: name.to_owned(),
            kind: self.kind.unwrap_or(FieldKind::Text),
            values: self.values.into(),
        }
    }
}

/// `AAAA-MM-JJ` of a Parquet DATE (days since 1970-01-01).
fn date_text(days: i64) -> Option<String> {
    let date = jiff::civil::date(1970, 1, 1)
        .checked_add(jiff::Span::new().try_days(days).ok()?)
        .ok()?;
    Some(date.to_string())
}

/// The instant of a Parquet TIMESTAMP, as RFC 3339 text.
fn timestamp_text(x: i64, unit: &TimeUnit) -> Option<String> {
    let ts = match unit {
        TimeUnit::MILLIS => jiff::Timestamp::from_millisecond(x).ok()?,
        TimeUnit::MICROS => jiff::Timestamp::from_microsecond(x).ok()?,
        TimeUnit::NANOS => jiff::Timestamp::from_nanosecond(i128::from(x)).ok()?,
    };
    Some(ts.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crs_from_projjson_strings_and_wrappers() {
        let l93 = serde_json::json!({"type": "ProjectedCRS", "name": "RGF93 v1 / Lambert-93",
            "id": {"authority": "EPSG", "code": 2154}});
        assert_eq!(crs_of(&l93).map(|c| c.epsg), Ok(Some(2154)));
        let crs84 = serde_json::json!({"type": "GeographicCRS", "name": "WGS 84 (CRS84)",
            "id": {"authority": "OGC", "code": "CRS84"}});
        assert_eq!(crs_of(&crs84).map(|c| c.epsg), Ok(Some(4326)));
        let bound = serde_json::json!({"type": "BoundCRS", "source_crs": l93});
        assert_eq!(crs_of(&bound).map(|c| c.epsg), Ok(Some(2154)));
        let text = serde_json::json!("EPSG:3035");
        assert_eq!(crs_of(&text).map(|c| c.epsg), Ok(Some(3035)));
        let custom = serde_json::json!({"type": "ProjectedCRS", "name": "unknown"});
        assert_eq!(
            crs_of(&custom),
            Err(
                "PROJJSON « unknown » sans identifiant EPSG : CartoSol ne sait pas le \
                 reprojeter (réécrivez le fichier dans un système EPSG, par exemple EPSG:2154 \
                 ou EPSG:4326)"
                    .to_owned()
            )
        );
        let unknown = serde_json::json!({"name": "x", "id": {"authority": "EPSG", "code": 1}});
        assert_eq!(
            crs_of(&unknown),
            Err("EPSG:1 (x) inconnu de CartoSol".to_owned())
        );
    }

    #[test]
    fn a_page_announcing_more_than_the_limit_stops_the_walk_before_any_allocation() {
        // A dictionary page of binary values announcing 1 GiB once decompressed, 4 bytes long.
        let mut bytes = vec![
            0x15, 0x04, 0x15, 0x80, 0x80, 0x80, 0x80, 0x08, 0x15, 0x08, 0x4C, 0x15, 0x02, 0x00,
            0x00,
        ];
        bytes.extend([1, 0, 0, 0]);
        let path = std::env::temp_dir().join(format!("cartosol-page-{}", std::process::id()));
        std::fs::write(&path, &bytes).expect("write");
        let file = File::open(&path).expect("open");
        let check = PageCheck {
            byte_array: true,
            snappy: true,
            max_page: 1 << 20,
        };
        let pages = scan_pages(&file, 0, bytes.len() as u64, check).expect("walk");
        assert_eq!(pages.largest_page, 1 << 30);
        // Under a limit that allows it, the Snappy check refuses the 4 bytes without
        // allocating the announced size (their own length prefix says 1 byte).
        let check = PageCheck {
            max_page: u64::MAX,
            ..check
        };
        let e = scan_pages(&file, 0, bytes.len() as u64, check).expect_err("not Snappy");
        assert!(e.starts_with("page 1 : "), "{e}");
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn page_headers_are_read_and_bounded() {
        // type 0 (data page), uncompressed 100, compressed 50, data page header with
        // num_values 7 (and an encoding field skipped), then stop.
        let bytes = [
            0x15, 0x00, 0x15, 0xC8, 0x01, 0x15, 0x64, 0x2C, 0x15, 0x0E, 0x15, 0x00, 0x00, 0x00,
        ];
        let mut reader = &bytes[..];
        let mut p = Compact {
            reader: &mut reader,
            used: 0,
            max: bytes.len() as u64,
        };
        let h = page_header(&mut p).expect("header");
        assert_eq!(
            (h.kind, h.uncompressed, h.compressed, h.values),
            (0, 100, 50, 7)
        );
        assert_eq!(p.used, bytes.len() as u64);
        // Cut anywhere: an error, never a read past the end.
        for cut in 0..bytes.len() {
            let mut reader = &bytes[..cut];
            let mut p = Compact {
                reader: &mut reader,
                used: 0,
                max: cut as u64,
            };
            assert!(page_header(&mut p).is_err(), "cut at {cut}");
        }
        // A list announcing 2^60 elements ends at the end of the bytes.
        let list = [
            0x19, 0xF5, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10,
        ];
        let mut reader = &list[..];
        let mut p = Compact {
            reader: &mut reader,
            used: 0,
            max: list.len() as u64,
        };
        assert_eq!(
            page_header(&mut p).map(|_| ()),
            Err("en-tête de page tronqué".to_owned())
        );
    }
}
