//! Point layers (service points, town halls…) from CSV/XLSX with lon/lat or projected x/y,
//! GeoJSON, and data·inclusion structure/service exports (JSON and CSV). Rows without
//! coordinates are kept and counted.

use crate::crs::{Crs, ToWgs84, guess_crs_from_ranges};
use crate::error::{LoadError, Place, Problem};
use crate::model::{FieldKind, PointLayer, SourceInfo, Table};
use crate::table::{RawCell, TableFormat, TableOptions, load_table, typed_table};
use crate::value::{Missing, Value, ValueRef};
use crate::zones::geojson::{read_geojson, resolve_crs};
use crate::zones::looks_swapped;
use geo::Point;
use serde_json::Value as Json;
use std::path::Path;

/// Options for reading points; everything is detected when left to `None`.
#[derive(Clone, Debug, Default)]
pub struct PointOptions {
    /// Forces the CRS of the coordinates.
    pub crs: Option<Crs>,
    /// The column of longitudes or x.
    pub x_field: Option<String>,
    /// The column of latitudes or y.
    pub y_field: Option<String>,
    /// Sheet and header options for tables.
    pub table: TableOptions,
}

/// data·inclusion fields that hold lists; they are normalised to `a, b, c` text.
pub const LIST_FIELDS: &[&str] = &[
    "thematiques",
    "publics",
    "modes_accueil",
    "zone_eligibilite",
    "reseaux_porteurs",
    "modes_mobilisation",
    "mobilisable_par",
    "types",
    "frais",
];

const LON_NAMES: &[&str] = &["longitude", "lon", "lng", "long", "x_wgs84", "lon_wgs84"];
const LAT_NAMES: &[&str] = &["latitude", "lat", "y_wgs84", "lat_wgs84"];
const X_NAMES: &[&str] = &[
    "x",
    "coordx",
    "coord_x",
    "lambert_x",
    "x_l93",
    "xl93",
    "coordxet",
    "x_lambert93",
    "xlamb93",
];
const Y_NAMES: &[&str] = &[
    "y",
    "coordy",
    "coord_y",
    "lambert_y",
    "y_l93",
    "yl93",
    "coordyet",
    "y_lambert93",
    "ylamb93",
];

/// Splits a list cell written as a JSON array (`["a","b"]`) or as `a, b` / `a|b` / `a;b`.
pub fn split_list(text: &str) -> Vec<String> {
    let t = text.trim();
    if t.starts_with('[')
        && let Ok(Json::Array(items)) = serde_json::from_str::<Json>(t)
    {
        return items
            .iter()
            .filter_map(|i| match i {
                Json::String(s) => Some(s.trim().to_owned()),
                Json::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .filter(|s| !s.is_empty())
            .collect();
    }
    t.trim_matches(|c| c == '[' || c == ']' || c == '{' || c == '}')
        .split([',', '|', ';'])
        .map(|s| s.trim().trim_matches('"').trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Reads a point layer.
pub fn load_points(path: &Path, options: &PointOptions) -> Result<PointLayer, LoadError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut layer = match ext.as_str() {
        "geojson" => load_geojson_points(path, options)?,
        "parquet" => {
            match crate::zones::parquet::load_geoparquet_points(path, options.crs.as_ref())? {
                crate::zones::parquet::ParquetPoints::Layer(layer) => layer,
                crate::zones::parquet::ParquetPoints::Table(table, source) => {
                    points_from_table(path, table, source, options)?
                }
            }
        }
        "json" => {
            let bytes = std::fs::read(path).map_err(|e| LoadError::io(path, e))?;
            let (text, encoding) = crate::text::decode_auto(&bytes);
            if text.trim_start().starts_with('[') {
                load_json_records(path, &text, encoding, options)?
            } else {
                load_geojson_points(path, options)?
            }
        }
        _ if TableFormat::from_path(path).is_some() => {
            return points_from_loaded(path, load_table(path, &options.table)?, options);
        }
        _ => {
            return Err(LoadError::format(
                path,
                "extension non reconnue pour des points (attendu : .csv, .xlsx, .xls, .ods, .geojson, .json, .parquet)",
            ));
        }
    };
    finish_points(&mut layer);
    Ok(layer)
}

/// The point layer of a table already read (its coordinate columns found or given), with the
/// checks every point layer gets: what [`load_points`] does with a table file, for a caller
/// that has read the table itself (`inspect` shows the table's layout too).
pub fn points_from_loaded(
    path: &Path,
    loaded: crate::table::LoadedTable,
    options: &PointOptions,
) -> Result<PointLayer, LoadError> {
    let mut source = loaded.source;
    if loaded.table.field("thematiques").is_some() {
        source.format = format!("{} data·inclusion (services)", source.format);
    }
    let mut layer = points_from_table(path, loaded.table, source, options)?;
    finish_points(&mut layer);
    Ok(layer)
}

/// List fields normalised, implausible positions taken off the map, rows without a position
/// counted.
fn finish_points(layer: &mut PointLayer) {
    normalise_list_fields(&mut layer.attributes);
    implausible_positions(layer);
    let unpositioned = layer.unpositioned();
    if unpositioned > 0 {
        layer.source.problems.push(Problem::whole(format!(
            "{unpositioned} ligne(s) sans coordonnées : gardées dans la couche (comptages par commune), absentes de la carte"
        )));
    }
}

/// Rows listed one by one in the problems before a summary line.
const LISTED_ROWS: usize = 20;

/// Positions that cannot be right are taken off the map (the row stays, counted by its commune
/// code like a row without coordinates) and listed with their line — never counted silently
/// « hors des zones »:
/// - (0, 0), the « null island » of a geocoder that found nothing;
/// - a row whose longitude and latitude are swapped: as written it falls far from the layer's
///   other points (more than 1° outside the box of their 2nd–98th percentiles), swapped it
///   falls inside that box. Needs at least 10 positioned rows; the file is never corrected
///   silently.
fn implausible_positions(layer: &mut PointLayer) {
    let origin = |i: usize| layer.attributes.row_origin.get(i).copied().unwrap_or(0);
    let mut null_island = Vec::new();
    for (i, p) in layer.positions.iter().enumerate() {
        if let Some(p) = p
            && p.x().abs() < 1e-9
            && p.y().abs() < 1e-9
        {
            null_island.push(i);
        }
    }
    let mut xs: Vec<f64> = Vec::new();
    let mut ys: Vec<f64> = Vec::new();
    // `null_island` is sorted: a binary search keeps a file of (0, 0) rows linear.
    for (i, p) in layer.positions.iter().enumerate() {
        if let Some(p) = p
            && null_island.binary_search(&i).is_err()
        {
            xs.push(p.x());
            ys.push(p.y());
        }
    }
    let mut swapped = Vec::new();
    if xs.len() >= 10 {
        // The value a sort would put at that rank, found without sorting a million values.
        let q = |v: &mut [f64], f: f64| {
            let k = ((v.len() - 1) as f64 * f).round() as usize;
            if k < v.len() {
                *v.select_nth_unstable_by(k, f64::total_cmp).1
            } else {
                0.0
            }
        };
        let (x0, x1) = (q(&mut xs, 0.02) - 1.0, q(&mut xs, 0.98) + 1.0);
        let (y0, y1) = (q(&mut ys, 0.02) - 1.0, q(&mut ys, 0.98) + 1.0);
        let inside = |x: f64, y: f64| (x0..=x1).contains(&x) && (y0..=y1).contains(&y);
        for (i, p) in layer.positions.iter().enumerate() {
            if let Some(p) = p
                && !inside(p.x(), p.y())
                && inside(p.y(), p.x())
            {
                swapped.push(i);
            }
        }
    }
    let mut report = |rows: &[usize], what: &str| {
        let lines: Vec<u64> = rows.iter().map(|i| origin(*i)).collect();
        for line in lines.iter().take(LISTED_ROWS) {
            layer.source.problems.push(Problem::at(
                Place::Line(*line),
                format!("{what} : position ignorée (la ligne reste dans la couche, sans point sur la carte)"),
            ));
        }
        if lines.len() > LISTED_ROWS {
            layer.source.problems.push(Problem::whole(format!(
                "{} autre(s) ligne(s) : {what}",
                lines.len() - LISTED_ROWS
            )));
        }
    };
    if !null_island.is_empty() {
        report(
            &null_island,
            "coordonnées (0, 0), signe d'un géocodage manqué",
        );
    }
    if !swapped.is_empty() {
        report(
            &swapped,
            "longitude et latitude vraisemblablement inversées (corrigez la source)",
        );
    }
    for i in null_island.iter().chain(&swapped) {
        if let Some(slot) = layer.positions.get_mut(*i) {
            *slot = None;
        }
    }
}

fn normalise_list_fields(table: &mut Table) {
    for field in &mut table.fields {
        if !LIST_FIELDS.contains(&field.name.to_ascii_lowercase().as_str()) {
            continue;
        }
        for row in 0..field.values.len() {
            if let Some(ValueRef::Text(t)) = field.values.get(row) {
                let items = split_list(t);
                let value = if items.is_empty() {
                    Value::Missing(Missing::Empty)
                } else {
                    Value::Text(items.join(", "))
                };
                field.values.set(row, value);
            }
        }
        field.kind = FieldKind::Text;
    }
}

fn load_geojson_points(path: &Path, options: &PointOptions) -> Result<PointLayer, LoadError> {
    let raw = read_geojson(path, options.crs.as_ref())?;
    let crs = resolve_crs(path, &raw)?;
    let transform = ToWgs84::new(&crs).map_err(|d| LoadError::unknown_crs(path, d))?;
    let mut positions = Vec::with_capacity(raw.geometries.len());
    let mut problems = raw.problems.clone();
    for (i, g) in raw.geometries.iter().enumerate() {
        let place = Place::Feature(i as u64 + 1);
        let Some(g) = g else {
            positions.push(None);
            continue;
        };
        let kind = g.get("type").and_then(Json::as_str).unwrap_or("");
        let coords = g.get("coordinates");
        let xy = match kind {
            "Point" => coords.and_then(pair),
            "MultiPoint" => {
                let first = coords.and_then(|c| c.get(0)).and_then(pair);
                if coords.and_then(Json::as_array).is_some_and(|a| a.len() > 1) {
                    problems.push(Problem::at(
                        place.clone(),
                        "MultiPoint : seul le premier point est gardé",
                    ));
                }
                first
            }
            "Polygon" | "MultiPolygon" => {
                return Err(LoadError::invalid(
                    path,
                    place,
                    "géométrie de type polygone : ce fichier contient des zones, pas des points",
                ));
            }
            other => {
                return Err(LoadError::invalid(
                    path,
                    place,
                    format!("géométrie « {other} » inattendue pour une couche de points"),
                ));
            }
        };
        let Some((x, y)) = xy else {
            return Err(LoadError::invalid(
                path,
                place,
                "coordonnées du point absentes ou non numériques",
            ));
        };
        let (lon, lat) = transform.convert(x, y).ok_or_else(|| {
            LoadError::invalid(
                path,
                place.clone(),
                format!("coordonnée invalide (x = {x}, y = {y})"),
            )
        })?;
        positions.push(Some(Point::new(lon, lat)));
    }
    let origins = (1..=raw.rows.len() as u64).collect();
    let place = |row: usize, _c: &str| Place::Feature(row as u64 + 1);
    let attributes = typed_table(&raw.field_names, &raw.rows, origins, &place, &mut problems);
    Ok(PointLayer {
        source: SourceInfo {
            path: path.to_owned(),
            format: "GeoJSON".to_owned(),
            layer: None,
            encoding: Some(raw.encoding.label()),
            crs: Some(crs.to_string()),
            problems,
        },
        positions,
        attributes,
    })
}

fn pair(c: &Json) -> Option<(f64, f64)> {
    let a = c.as_array()?;
    Some((a.first()?.as_f64()?, a.get(1)?.as_f64()?))
}

/// A JSON array of records, as the data·inclusion API and exports deliver structures/services.
fn load_json_records(
    path: &Path,
    text: &str,
    encoding: crate::text::TextEncoding,
    options: &PointOptions,
) -> Result<PointLayer, LoadError> {
    let (doc, mut problems) = crate::zones::geojson::parse_json(path, text, encoding)?;
    let items = doc.as_array().map(Vec::as_slice).unwrap_or_default();
    if items.is_empty() {
        return Err(LoadError::format(
            path,
            "le tableau JSON ne contient aucun enregistrement",
        ));
    }
    let mut names: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let obj = item.as_object().ok_or_else(|| {
            LoadError::invalid(
                path,
                Place::Feature(i as u64 + 1),
                "élément qui n'est pas un objet JSON",
            )
        })?;
        for k in obj.keys() {
            if !names.contains(k) {
                names.push(k.clone());
            }
        }
    }
    let rows: Vec<Vec<RawCell>> = items
        .iter()
        .map(|item| {
            names
                .iter()
                .map(|n| match item.get(n) {
                    None | Some(Json::Null) => RawCell::Empty,
                    Some(Json::Number(x)) => x.as_f64().map_or(RawCell::Empty, RawCell::Number),
                    Some(Json::String(s)) if s.trim().is_empty() => RawCell::Empty,
                    Some(Json::String(s)) => RawCell::Text(s.clone()),
                    Some(Json::Bool(b)) => {
                        RawCell::Text(if *b { "VRAI" } else { "FAUX" }.to_owned())
                    }
                    Some(Json::Array(a)) if a.is_empty() => RawCell::Empty,
                    Some(other) => RawCell::Text(other.to_string()),
                })
                .collect()
        })
        .collect();
    let origins = (1..=rows.len() as u64).collect();
    let place = |row: usize, _c: &str| Place::Feature(row as u64 + 1);
    let table = typed_table(&names, &rows, origins, &place, &mut problems);
    let kind = if table.field("thematiques").is_some() {
        "services"
    } else {
        "structures"
    };
    let source = SourceInfo {
        path: path.to_owned(),
        format: format!("JSON data·inclusion ({kind})"),
        layer: None,
        encoding: Some(encoding.label()),
        crs: None,
        problems,
    };
    points_from_table(path, table, source, options)
}

fn find_column(table: &Table, wanted: Option<&str>, names: &[&str]) -> Option<usize> {
    match wanted {
        Some(w) => table.field_index(w),
        None => names.iter().find_map(|n| table.field_index(n)),
    }
}

/// Builds points from a table's coordinate columns.
pub fn points_from_table(
    path: &Path,
    table: Table,
    mut source: SourceInfo,
    options: &PointOptions,
) -> Result<PointLayer, LoadError> {
    if let Some(w) = &options.x_field
        && table.field_index(w).is_none()
    {
        return Err(LoadError::missing_field(path, w, table.field_names()));
    }
    if let Some(w) = &options.y_field
        && table.field_index(w).is_none()
    {
        return Err(LoadError::missing_field(path, w, table.field_names()));
    }
    let lonlat = (
        find_column(&table, options.x_field.as_deref(), LON_NAMES),
        find_column(&table, options.y_field.as_deref(), LAT_NAMES),
    );
    let projected = (
        find_column(&table, options.x_field.as_deref(), X_NAMES),
        find_column(&table, options.y_field.as_deref(), Y_NAMES),
    );
    let (xi, yi, named_lonlat) = match (lonlat, projected) {
        ((Some(x), Some(y)), _) => (x, y, true),
        (_, (Some(x), Some(y))) => (x, y, false),
        _ => {
            return Err(LoadError::format(
                path,
                format!(
                    "colonnes de coordonnées introuvables (attendu longitude/latitude ou x/y ; \
                     colonnes présentes : {}) : précisez-les (--x, --y)",
                    table
                        .field_names()
                        .map(|n| format!("« {n} »"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    };
    let (xf, yf) = match (table.fields.get(xi), table.fields.get(yi)) {
        (Some(x), Some(y)) => (x, y),
        _ => {
            return Err(LoadError::format(
                path,
                "colonnes de coordonnées introuvables",
            ));
        }
    };
    for f in [xf, yf] {
        if f.kind != FieldKind::Number
            && let Some((row, v)) = f.values.iter().enumerate().find(|(_, v)| match v {
                ValueRef::Text(t) => {
                    crate::value::classify_cell(t) == crate::value::CellClass::Other
                }
                _ => false,
            })
        {
            return Err(LoadError::invalid(
                path,
                Place::LineColumn {
                    line: table.row_origin.get(row).copied().unwrap_or(0),
                    column: f.name.clone(),
                },
                format!("coordonnée non numérique « {v} »"),
            ));
        }
    }
    // One pass: the raw coordinates (reprojected in place below), the rows with only one.
    let mut positions: Vec<Option<Point<f64>>> = Vec::with_capacity(table.len());
    let mut half = 0usize;
    for (x, y) in xf.values.iter().zip(&yf.values) {
        match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => positions.push(Some(Point::new(x, y))),
            (None, None) => positions.push(None),
            _ => {
                half += 1;
                positions.push(None);
            }
        }
    }
    if half > 0 {
        source.problems.push(Problem::whole(format!(
            "{half} ligne(s) avec une seule des deux coordonnées : sans position"
        )));
    }
    let present = || {
        positions
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.map(|p| (i, (p.x(), p.y()))))
    };
    let any_present = present().next().is_some();
    let crs = match &options.crs {
        Some(c) => c.clone(),
        None if named_lonlat => Crs::wgs84(),
        None => {
            let (xs, ys): (Vec<f64>, Vec<f64>) = present().map(|(_, p)| p).unzip();
            match guess_crs_from_ranges(&xs, &ys) {
                Some(c) => c,
                None if !any_present => Crs::wgs84(),
                None => {
                    return Err(LoadError::unknown_crs(
                        path,
                        format!(
                            "les coordonnées « {} »/« {} » ne sont ni des degrés ni du Lambert-93 : précisez le système (--crs)",
                            xf.name, yf.name
                        ),
                    ));
                }
            }
        }
    };
    if crs.geographic {
        let (mut min_x, mut max_x, mut min_y, mut max_y) = (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        );
        for (i, (x, y)) in present() {
            if x.abs() > 180.0 || y.abs() > 90.0 {
                return Err(LoadError::invalid(
                    path,
                    Place::Line(table.row_origin.get(i).copied().unwrap_or(0)),
                    format!(
                        "longitude {x} / latitude {y} hors bornes : les coordonnées sont-elles projetées (Lambert-93) ?"
                    ),
                ));
            }
            min_x = min_x.min(x);
            max_x = max_x.max(x);
            min_y = min_y.min(y);
            max_y = max_y.max(y);
        }
        if any_present && looks_swapped(min_x, min_y, max_x, max_y) {
            return Err(LoadError::format(
                path,
                format!(
                    "longitude et latitude semblent inversées : « {} » vaut entre {min_x} et {max_x}, \
                     comme des latitudes françaises (précisez --x et --y)",
                    xf.name
                ),
            ));
        }
    }
    let transform = ToWgs84::new(&crs).map_err(|d| LoadError::unknown_crs(path, d))?;
    for (i, slot) in positions.iter_mut().enumerate() {
        let Some(p) = *slot else {
            continue;
        };
        let (x, y) = (p.x(), p.y());
        let (lon, lat) = transform.convert(x, y).ok_or_else(|| {
            LoadError::invalid(
                path,
                Place::Line(table.row_origin.get(i).copied().unwrap_or(0)),
                format!("coordonnée hors du domaine de {crs} (x = {x}, y = {y})"),
            )
        })?;
        *slot = Some(Point::new(lon, lat));
    }
    source.crs = Some(format!(
        "{crs}{}",
        if options.crs.is_some() {
            ""
        } else {
            " (détecté)"
        }
    ));
    Ok(PointLayer {
        source,
        positions,
        attributes: table,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_in_every_form() {
        assert_eq!(
            split_list(r#"["famille--garde-denfants","numerique"]"#),
            vec!["famille--garde-denfants", "numerique"]
        );
        assert_eq!(split_list("a, b"), vec!["a", "b"]);
        assert_eq!(split_list("a|b"), vec!["a", "b"]);
        assert_eq!(split_list("{a,b}"), vec!["a", "b"]);
        assert!(split_list("").is_empty());
    }
}
