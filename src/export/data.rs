//! Layer exports: GeoJSON (RFC 7946, WGS84), CSV for French Excel (UTF-8 with BOM, `;`,
//! optional decimal comma), XLSX (typed cells, header row) and GeoPackage in Lambert-93 for
//! QGIS users. Codes stay text; missing values are empty cells (CSV, XLSX, GeoPackage) or
//! `null` (GeoJSON), with an optional reason column. The secrecy guard is applied first, and
//! personal-data point layers only leave aggregated to zones.

use super::secrecy::{SecrecyGuard, SecrecyReport, ZoneLevel, mask_small_counts, zone_level};
use super::{ExportError, quoted_list, write_atomic};
use crate::crs::{Crs, FromWgs84};
use crate::model::{Field, FieldKind, PointLayer, Table, ZoneLayer};
use crate::project::Project;
use crate::value::{Missing, Value};
use geo::orient::{Direction, Orient};
use geo::{BoundingRect, Contains, MultiPolygon, Point};
use std::fmt::Write as _;
use std::path::Path;

/// Output formats of layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataFormat {
    GeoJson,
    Csv,
    Xlsx,
    GeoPackage,
}

impl DataFormat {
    /// The format of an output file, from its extension.
    pub fn from_path(path: &Path) -> Result<DataFormat, ExportError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "geojson" | "json" => Ok(DataFormat::GeoJson),
            "csv" => Ok(DataFormat::Csv),
            "xlsx" => Ok(DataFormat::Xlsx),
            "gpkg" => Ok(DataFormat::GeoPackage),
            _ => Err(ExportError::UnknownFormat {
                file: crate::error::display_name(path),
                expected: ".geojson, .csv, .xlsx, .gpkg",
            }),
        }
    }

    /// The name shown to the user.
    pub fn label(self) -> &'static str {
        match self {
            DataFormat::GeoJson => "GeoJSON",
            DataFormat::Csv => "CSV",
            DataFormat::Xlsx => "XLSX",
            DataFormat::GeoPackage => "GeoPackage (Lambert-93)",
        }
    }
}

/// Options of a layer export.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DataExportOptions {
    /// CSV numbers with a decimal comma (`14,2`) instead of a point.
    pub decimal_comma: bool,
    /// Adds, after each column with missing values, a `<colonne>_motif` column giving why
    /// (`secret statistique`, `non disponible`…).
    pub reason_columns: bool,
    /// Statistical secrecy: fields marked by the user and the explicit lifting of the guard.
    pub secrecy: SecrecyGuard,
    /// For a point layer: export the number of points per zone of this zone layer instead of
    /// the points (the only way out for personal data).
    pub aggregate_to: Option<String>,
}

/// What an export wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportReport {
    pub format: DataFormat,
    /// Rows (features) written.
    pub rows: usize,
    /// Columns written (reason columns included, geometry excluded).
    pub columns: usize,
    /// What the secrecy guard masked.
    pub secrecy: SecrecyReport,
}

impl std::fmt::Display for ExportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} : {} ligne(s), {} colonne(s)",
            self.format.label(),
            self.rows,
            self.columns
        )?;
        if let Some(note) = self.secrecy.note() {
            write!(f, "\n{note}")?;
        }
        Ok(())
    }
}

/// The geometry column of an export.
#[derive(Clone, Copy)]
pub enum Geometries<'a> {
    Zones(&'a [MultiPolygon<f64>]),
    Points(&'a [Option<Point<f64>>]),
}

/// Exports the layer `layer_id` of a project (zone layer with its joined columns, or point
/// layer) to `path`, in the format of its extension.
pub fn export_layer(
    project: &Project,
    layer_id: &str,
    path: &Path,
    options: &DataExportOptions,
) -> Result<ExportReport, ExportError> {
    let format = DataFormat::from_path(path)?;
    let mut guard = options.secrecy.clone();
    guard
        .marked
        .extend(project.file.map.privacy.count_fields.iter().cloned());
    let find_zones = |id: &str| {
        project
            .zones
            .iter()
            .find(|(s, _)| s.id == id)
            .ok_or_else(|| unknown_layer(project, id))
    };
    if let Some((spec, layer)) = project.zones.iter().find(|(s, _)| s.id == layer_id) {
        let level = zone_level(&layer.attributes, &spec.code_field);
        return write_layer(
            &layer.attributes,
            Geometries::Zones(&layer.geometries),
            level,
            &spec.id,
            path,
            format,
            options,
            &guard,
        );
    }
    let (spec, points) = project
        .points
        .iter()
        .find(|(s, _)| s.id == layer_id)
        .ok_or_else(|| unknown_layer(project, layer_id))?;
    let personal = project
        .file
        .map
        .privacy
        .personal_layers
        .iter()
        .any(|p| p == layer_id);
    match &options.aggregate_to {
        Some(zones_id) => {
            let (zspec, zones) = find_zones(zones_id)?;
            let counts = count_points_by_zone(
                points,
                zones,
                &zspec.code_field,
                &zspec.name_field,
                spec.theme_field.as_deref(),
            );
            let level = zone_level(&zones.attributes, &zspec.code_field);
            write_layer(
                &counts,
                Geometries::Zones(&zones.geometries),
                level,
                &format!("{}_par_{}", spec.id, zspec.id),
                path,
                format,
                options,
                &guard,
            )
        }
        None if personal => Err(ExportError::PersonalData {
            layer: spec.name.clone(),
        }),
        None => write_layer(
            &points.attributes,
            Geometries::Points(&points.positions),
            ZoneLevel::Aggregate,
            &spec.id,
            path,
            format,
            options,
            &guard,
        ),
    }
}

fn unknown_layer(project: &Project, id: &str) -> ExportError {
    ExportError::UnknownLayer {
        id: id.to_owned(),
        available: quoted_list(
            project
                .zones
                .iter()
                .map(|(s, _)| s.id.as_str())
                .chain(project.points.iter().map(|(s, _)| s.id.as_str())),
        ),
    }
}

/// Writes a table with its geometries: the secrecy guard is applied for `level`, then the
/// file is written in `format` (atomically).
#[allow(clippy::too_many_arguments)]
pub fn write_layer(
    attributes: &Table,
    geometries: Geometries<'_>,
    level: ZoneLevel,
    layer_name: &str,
    path: &Path,
    format: DataFormat,
    options: &DataExportOptions,
    guard: &SecrecyGuard,
) -> Result<ExportReport, ExportError> {
    let mut table = attributes.clone();
    let secrecy = mask_small_counts(&mut table, level, guard);
    let columns = output_columns(&table, options.reason_columns);
    let rows = table.len();
    match format {
        DataFormat::GeoJson => {
            write_atomic(path, geojson(&table, &columns, geometries).as_bytes())?;
        }
        DataFormat::Csv => {
            write_atomic(
                path,
                &csv(&table, &columns, geometries, options.decimal_comma),
            )?;
        }
        DataFormat::Xlsx => {
            write_atomic(path, &xlsx(path, &table, &columns, geometries, layer_name)?)?;
        }
        DataFormat::GeoPackage => gpkg(path, &table, &columns, geometries, layer_name)?,
    }
    Ok(ExportReport {
        format,
        rows,
        columns: columns.len(),
        secrecy,
    })
}

/// An output column: a field's values, or the reasons of its missing values.
struct Column<'a> {
    name: String,
    field: &'a Field,
    reasons: bool,
}

impl Column<'_> {
    fn value(&self, row: usize) -> Cell<'_> {
        match self.field.values.get(row) {
            Some(Value::Missing(m)) if self.reasons => Cell::Text(m.label()),
            Some(_) if self.reasons => Cell::Empty,
            Some(Value::Number(x)) if x.is_finite() => Cell::Number(*x),
            Some(Value::Text(t)) => Cell::Text(t),
            _ => Cell::Empty,
        }
    }

    fn numeric(&self) -> bool {
        !self.reasons && self.field.kind == FieldKind::Number
    }
}

enum Cell<'a> {
    Empty,
    Number(f64),
    Text(&'a str),
}

fn output_columns(table: &Table, reasons: bool) -> Vec<Column<'_>> {
    let mut columns = Vec::new();
    for field in &table.fields {
        columns.push(Column {
            name: field.name.clone(),
            field,
            reasons: false,
        });
        if reasons
            && field
                .values
                .iter()
                .any(|v| matches!(v, Value::Missing(m) if *m != Missing::Empty))
        {
            columns.push(Column {
                name: format!("{}_motif", field.name),
                field,
                reasons: true,
            });
        }
    }
    columns
}

fn json_number(x: f64) -> String {
    serde_json::to_string(&x).unwrap_or_else(|_| "null".to_owned())
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

fn json_ring(out: &mut String, ring: &geo::LineString<f64>) {
    out.push('[');
    for (i, c) in ring.coords().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "[{},{}]", json_number(c.x), json_number(c.y));
    }
    out.push(']');
}

/// GeoJSON text (RFC 7946: WGS84 lon/lat, no `crs` member, exterior rings counter-clockwise
/// and holes clockwise).
fn geojson(table: &Table, columns: &[Column<'_>], geometries: Geometries<'_>) -> String {
    let mut out = String::from("{\"type\":\"FeatureCollection\",\"features\":[\n");
    for row in 0..table.len() {
        if row > 0 {
            out.push_str(",\n");
        }
        out.push_str("{\"type\":\"Feature\",\"properties\":{");
        for (i, c) in columns.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&json_string(&c.name));
            out.push(':');
            match c.value(row) {
                Cell::Empty => out.push_str("null"),
                Cell::Number(x) => out.push_str(&json_number(x)),
                Cell::Text(t) => out.push_str(&json_string(t)),
            }
        }
        out.push_str("},\"geometry\":");
        match geometries {
            Geometries::Zones(g) => match g.get(row) {
                Some(mp) if !mp.0.is_empty() => {
                    let mp = mp.orient(Direction::Default);
                    out.push_str("{\"type\":\"MultiPolygon\",\"coordinates\":[");
                    for (j, polygon) in mp.0.iter().enumerate() {
                        if j > 0 {
                            out.push(',');
                        }
                        out.push('[');
                        json_ring(&mut out, polygon.exterior());
                        for hole in polygon.interiors() {
                            out.push(',');
                            json_ring(&mut out, hole);
                        }
                        out.push(']');
                    }
                    out.push_str("]}");
                }
                _ => out.push_str("null"),
            },
            Geometries::Points(p) => match p.get(row).copied().flatten() {
                Some(pt) => {
                    let _ = write!(
                        out,
                        "{{\"type\":\"Point\",\"coordinates\":[{},{}]}}",
                        json_number(pt.x()),
                        json_number(pt.y())
                    );
                }
                None => out.push_str("null"),
            },
        }
        out.push('}');
    }
    out.push_str("\n]}\n");
    out
}

/// Formats a number for CSV: shortest exact decimal, with a comma when asked.
fn csv_number(x: f64, decimal_comma: bool) -> String {
    let s = if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        format!("{x}")
    };
    if decimal_comma {
        s.replace('.', ",")
    } else {
        s
    }
}

/// CSV bytes for French Excel: UTF-8 with BOM, `;` separator, CRLF line ends. Point layers
/// get `longitude` and `latitude` columns (WGS84); zone geometries are not written.
fn csv(
    table: &Table,
    columns: &[Column<'_>],
    geometries: Geometries<'_>,
    decimal_comma: bool,
) -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let points = match geometries {
        Geometries::Points(p) => Some(p),
        Geometries::Zones(_) => None,
    };
    let mut header: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
    if points.is_some() {
        header.push("longitude".into());
        header.push("latitude".into());
    }
    let _ = writer.write_record(&header);
    for row in 0..table.len() {
        let mut record: Vec<String> = columns
            .iter()
            .map(|c| match c.value(row) {
                Cell::Empty => String::new(),
                Cell::Number(x) => csv_number(x, decimal_comma),
                Cell::Text(t) => t.to_owned(),
            })
            .collect();
        if let Some(p) = points {
            match p.get(row).copied().flatten() {
                Some(pt) => {
                    record.push(csv_number(pt.x(), decimal_comma));
                    record.push(csv_number(pt.y(), decimal_comma));
                }
                None => record.extend([String::new(), String::new()]),
            }
        }
        let _ = writer.write_record(&record);
    }
    out.extend(writer.into_inner().unwrap_or_default());
    out
}

/// A worksheet name Excel accepts (31 characters, no `[]:*?/\`).
fn sheet_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .take(31)
        .collect();
    if cleaned.trim().is_empty() {
        "Couche".to_owned()
    } else {
        cleaned
    }
}

fn xlsx(
    path: &Path,
    table: &Table,
    columns: &[Column<'_>],
    geometries: Geometries<'_>,
    layer_name: &str,
) -> Result<Vec<u8>, ExportError> {
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| ExportError::write(path, format!("XLSX ({e})"));
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name(layer_name)).map_err(err)?;
    let bold = Format::new().set_bold();
    let points = match geometries {
        Geometries::Points(p) => Some(p),
        Geometries::Zones(_) => None,
    };
    let mut header: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    if points.is_some() {
        header.extend(["longitude", "latitude"]);
    }
    if header.len() > 16_384 || table.len() >= 1_048_576 {
        return Err(ExportError::write(
            path,
            format!(
                "trop grand pour une feuille Excel ({} lignes, {} colonnes)",
                table.len(),
                header.len()
            ),
        ));
    }
    for (c, name) in header.iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, *name, &bold)
            .map_err(err)?;
    }
    for row in 0..table.len() {
        let r = row as u32 + 1;
        for (c, column) in columns.iter().enumerate() {
            match column.value(row) {
                Cell::Empty => {}
                Cell::Number(x) => {
                    sheet.write_number(r, c as u16, x).map_err(err)?;
                }
                Cell::Text(t) => {
                    sheet.write_string(r, c as u16, t).map_err(err)?;
                }
            }
        }
        if let Some(pt) = points.and_then(|p| p.get(row).copied().flatten()) {
            sheet
                .write_number(r, columns.len() as u16, pt.x())
                .map_err(err)?;
            sheet
                .write_number(r, columns.len() as u16 + 1, pt.y())
                .map_err(err)?;
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(err)?;
    if !header.is_empty() {
        sheet
            .autofilter(0, 0, table.len() as u32, header.len() as u16 - 1)
            .map_err(err)?;
    }
    book.save_to_buffer().map_err(err)
}

/// WKB (little-endian) of a multipolygon already in the output CRS.
fn wkb_multipolygon(out: &mut Vec<u8>, mp: &MultiPolygon<f64>) {
    out.push(1);
    out.extend(6u32.to_le_bytes());
    out.extend((mp.0.len() as u32).to_le_bytes());
    for polygon in &mp.0 {
        out.push(1);
        out.extend(3u32.to_le_bytes());
        out.extend((1 + polygon.interiors().len() as u32).to_le_bytes());
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            out.extend((ring.0.len() as u32).to_le_bytes());
            for c in ring.coords() {
                out.extend(c.x.to_le_bytes());
                out.extend(c.y.to_le_bytes());
            }
        }
    }
}

/// GeoPackage geometry blob: header (`GP`, version 0, little-endian, xy envelope), SRS id,
/// envelope, WKB.
fn gpkg_blob(srs_id: i32, envelope: [f64; 4], wkb: &[u8]) -> Vec<u8> {
    let mut out = vec![b'G', b'P', 0, 0b0000_0011];
    out.extend(srs_id.to_le_bytes());
    for v in envelope {
        out.extend(v.to_le_bytes());
    }
    out.extend(wkb);
    out
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The identifier of a table or column: letters, digits and `_` only.
fn sql_name(name: &str, fallback: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() { fallback.to_owned() } else { s }
}

/// A GeoPackage 1.3 in Lambert-93 (EPSG:2154), written to a temporary file then renamed.
fn gpkg(
    path: &Path,
    table: &Table,
    columns: &[Column<'_>],
    geometries: Geometries<'_>,
    layer_name: &str,
) -> Result<(), ExportError> {
    let to_l93 = FromWgs84::new(&Crs::lambert93())
        .map_err(|e| ExportError::write(path, format!("Lambert-93 indisponible ({e})")))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export.gpkg".into());
    let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let result = write_gpkg(&tmp, table, columns, geometries, layer_name, &to_l93)
        .map_err(|m| ExportError::write(path, m))
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| ExportError::io(path, e)));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn write_gpkg(
    tmp: &Path,
    table: &Table,
    columns: &[Column<'_>],
    geometries: Geometries<'_>,
    layer_name: &str,
    to_l93: &FromWgs84,
) -> Result<(), String> {
    let sql = |e: rusqlite::Error| format!("GeoPackage ({e})");
    let mut conn = rusqlite::Connection::open(tmp).map_err(sql)?;
    let l93_wkt = crs_definitions::from_code(2154)
        .map(|d| d.wkt)
        .unwrap_or("undefined");
    let wgs_wkt = crs_definitions::from_code(4326)
        .map(|d| d.wkt)
        .unwrap_or("undefined");
    let table_name = sql_name(layer_name, "couche");
    let geometry_type = match geometries {
        Geometries::Zones(_) => "MULTIPOLYGON",
        Geometries::Points(_) => "POINT",
    };
    let mut used = vec!["fid".to_owned(), "geom".to_owned()];
    let mut column_names = Vec::new();
    for c in columns {
        let mut name = sql_name(&c.name, "champ");
        while used.iter().any(|u| u.eq_ignore_ascii_case(&name)) {
            name.push('_');
        }
        used.push(name.clone());
        column_names.push(name);
    }
    let column_defs: Vec<String> = columns
        .iter()
        .zip(&column_names)
        .map(|(c, n)| {
            format!(
                "{} {}",
                quote_ident(n),
                if c.numeric() { "REAL" } else { "TEXT" }
            )
        })
        .collect();
    let tx = conn.transaction().map_err(sql)?;
    tx.execute_batch(&format!(
        "PRAGMA application_id = 1196444487;
         PRAGMA user_version = 10300;
         CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY, organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
         CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER, CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
         CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name), CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name), CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
         CREATE TABLE {t} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom {geometry_type}{sep}{defs});",
        t = quote_ident(&table_name),
        sep = if column_defs.is_empty() { "" } else { ", " },
        defs = column_defs.join(", "),
    ))
    .map_err(sql)?;
    tx.execute(
        "INSERT INTO gpkg_spatial_ref_sys VALUES
         ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', NULL),
         ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', NULL),
         ('WGS 84 geodetic', 4326, 'EPSG', 4326, ?1, NULL),
         ('RGF93 v1 / Lambert-93', 2154, 'EPSG', 2154, ?2, NULL)",
        [wgs_wkt, l93_wkt],
    )
    .map_err(sql)?;
    let placeholders: Vec<String> = (0..=columns.len()).map(|i| format!("?{}", i + 1)).collect();
    let insert = format!(
        "INSERT INTO {} (geom{}{}) VALUES ({})",
        quote_ident(&table_name),
        if column_names.is_empty() { "" } else { ", " },
        column_names
            .iter()
            .map(|n| quote_ident(n))
            .collect::<Vec<_>>()
            .join(", "),
        placeholders.join(", ")
    );
    let mut bounds = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    {
        let mut stmt = tx.prepare(&insert).map_err(sql)?;
        for row in 0..table.len() {
            let projected = project_geometry(geometries, row, to_l93)
                .map_err(|m| format!("entité {} : {m}", row + 1))?;
            let blob = projected.map(|(wkb, env)| {
                bounds[0] = bounds[0].min(env[0]);
                bounds[1] = bounds[1].min(env[2]);
                bounds[2] = bounds[2].max(env[1]);
                bounds[3] = bounds[3].max(env[3]);
                gpkg_blob(2154, env, &wkb)
            });
            let mut values: Vec<rusqlite::types::Value> = Vec::with_capacity(columns.len() + 1);
            values.push(match blob {
                Some(b) => rusqlite::types::Value::Blob(b),
                None => rusqlite::types::Value::Null,
            });
            for c in columns {
                values.push(match c.value(row) {
                    Cell::Empty => rusqlite::types::Value::Null,
                    Cell::Number(x) if c.numeric() => rusqlite::types::Value::Real(x),
                    Cell::Number(x) => rusqlite::types::Value::Text(csv_number(x, false)),
                    Cell::Text(t) => rusqlite::types::Value::Text(t.to_owned()),
                });
            }
            stmt.execute(rusqlite::params_from_iter(values))
                .map_err(sql)?;
        }
    }
    let finite = bounds.iter().all(|b| b.is_finite());
    tx.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, min_x, min_y, max_x, max_y, srs_id)
         VALUES (?1, 'features', ?1, 'Export CartoSol', '2000-01-01T00:00:00.000Z', ?2, ?3, ?4, ?5, 2154)",
        rusqlite::params![
            table_name,
            finite.then_some(bounds[0]),
            finite.then_some(bounds[1]),
            finite.then_some(bounds[2]),
            finite.then_some(bounds[3])
        ],
    )
    .map_err(sql)?;
    tx.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?1, 'geom', ?2, 2154, 0, 0)",
        rusqlite::params![table_name, geometry_type],
    )
    .map_err(sql)?;
    tx.commit().map_err(sql)?;
    conn.close().map_err(|(_, e)| sql(e))?;
    Ok(())
}

type Projected = Option<(Vec<u8>, [f64; 4])>;

/// The WKB in Lambert-93 of row `row` and its envelope (min x, max x, min y, max y).
fn project_geometry(
    geometries: Geometries<'_>,
    row: usize,
    to_l93: &FromWgs84,
) -> Result<Projected, String> {
    let convert = |x: f64, y: f64| {
        to_l93.convert(x, y).ok_or_else(|| {
            format!(
                "position ({}, {}) hors du domaine de Lambert-93",
                crate::error::coord(x),
                crate::error::coord(y)
            )
        })
    };
    match geometries {
        Geometries::Zones(g) => {
            let Some(mp) = g.get(row).filter(|m| !m.0.is_empty()) else {
                return Ok(None);
            };
            let ring = |ls: &geo::LineString<f64>| -> Result<geo::LineString<f64>, String> {
                ls.coords()
                    .map(|c| convert(c.x, c.y).map(|(x, y)| geo::coord! { x: x, y: y }))
                    .collect::<Result<Vec<_>, _>>()
                    .map(geo::LineString::new)
            };
            let polygons =
                mp.0.iter()
                    .map(|p| {
                        Ok(geo::Polygon::new(
                            ring(p.exterior())?,
                            p.interiors()
                                .iter()
                                .map(ring)
                                .collect::<Result<Vec<_>, String>>()?,
                        ))
                    })
                    .collect::<Result<Vec<_>, String>>()?;
            let projected = MultiPolygon::new(polygons);
            let Some(r) = projected.bounding_rect() else {
                return Ok(None);
            };
            let mut wkb = Vec::new();
            wkb_multipolygon(&mut wkb, &projected);
            Ok(Some((wkb, [r.min().x, r.max().x, r.min().y, r.max().y])))
        }
        Geometries::Points(p) => {
            let Some(pt) = p.get(row).copied().flatten() else {
                return Ok(None);
            };
            let (x, y) = convert(pt.x(), pt.y())?;
            let mut wkb = vec![1];
            wkb.extend(1u32.to_le_bytes());
            wkb.extend(x.to_le_bytes());
            wkb.extend(y.to_le_bytes());
            Ok(Some((wkb, [x, x, y, y])))
        }
    }
}

/// The number of points in each zone (total and by theme): one row per zone with its code and
/// name. Points outside every zone are not counted.
pub fn count_points_by_zone(
    points: &PointLayer,
    zones: &ZoneLayer,
    code_field: &str,
    name_field: &str,
    theme_field: Option<&str>,
) -> Table {
    let boxes: Vec<Option<geo::Rect<f64>>> =
        zones.geometries.iter().map(|g| g.bounding_rect()).collect();
    let themes_field = theme_field.and_then(|t| points.attributes.field(t));
    let mut themes: Vec<String> = Vec::new();
    let mut total = vec![0.0; zones.len()];
    let mut by_theme: Vec<Vec<f64>> = Vec::new();
    for (i, pos) in points.positions.iter().enumerate() {
        let Some(pos) = pos else { continue };
        let zone = zones.geometries.iter().enumerate().position(|(z, g)| {
            boxes
                .get(z)
                .copied()
                .flatten()
                .is_some_and(|b| b.contains(pos))
                && g.contains(pos)
        });
        let Some(z) = zone else { continue };
        total[z] += 1.0;
        if let Some(Value::Text(theme)) = themes_field.and_then(|f| f.values.get(i)) {
            let t = match themes.iter().position(|t| t == theme) {
                Some(t) => t,
                None => {
                    themes.push(theme.clone());
                    by_theme.push(vec![0.0; zones.len()]);
                    themes.len() - 1
                }
            };
            if let Some(cell) = by_theme.get_mut(t).and_then(|v| v.get_mut(z)) {
                *cell += 1.0;
            }
        }
    }
    let copy = |name: &str| {
        zones.attributes.field(name).map(|f| Field {
            name: f.name.clone(),
            kind: FieldKind::Text,
            values: f
                .values
                .iter()
                .map(|v| match v {
                    Value::Missing(m) => Value::Missing(*m),
                    other => Value::Text(other.to_string()),
                })
                .collect(),
        })
    };
    let mut fields: Vec<Field> = [copy(code_field), copy(name_field)]
        .into_iter()
        .flatten()
        .collect();
    let number = |name: String, values: Vec<f64>| Field {
        name,
        kind: FieldKind::Number,
        values: values.into_iter().map(Value::Number).collect(),
    };
    fields.push(number("NB_POINTS".to_owned(), total));
    let mut order: Vec<usize> = (0..themes.len()).collect();
    order.sort_by(|a, b| themes[*a].cmp(&themes[*b]));
    for t in order {
        let name = format!("NB_{}", sql_name(&themes[t], "theme").to_uppercase());
        fields.push(number(name, by_theme[t].clone()));
    }
    Table {
        fields,
        row_origin: zones.attributes.row_origin.clone(),
    }
}
