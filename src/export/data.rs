//! The one family of table writers of CartoSol: GeoJSON (RFC 7946, WGS84), CSV for French
//! Excel (UTF-8 with BOM, `;`, CRLF, decimal comma — a decimal point on request), XLSX (typed
//! cells, header row) and GeoPackage in Lambert-93 for QGIS users (spatial index as GDAL
//! writes it, whole-number columns as INTEGER). Every table the tool writes goes through
//! [`write_layer`]: the secrecy guard is applied first, the file is written atomically. Codes
//! stay text; missing values are empty cells (CSV, XLSX, GeoPackage) or `null` (GeoJSON), with
//! an optional reason column. Personal-data point layers only leave aggregated to zones.
//!
//! Column names stay the fields' codes in every format (programs read them: a second header
//! line would break them). What a person reads goes beside: an XLSX file gets a
//! « Définitions » sheet listing, for each column the indicator dictionary knows, its label,
//! unit, kind, numerator/denominator, direction, source, vintage and pact axis; the export
//! report names fields by their labels.

use super::parquet::{AttributeColumn, ParquetCell, ProjectedGeometries};
use super::secrecy::{SecrecyGuard, SecrecyReport, ZoneLevel, mask_small_counts, zone_level};
use super::{ExportError, quoted_list, write_atomic};
use crate::aggregate::{Method, aggregate};
use crate::analysis::ZoneIndex;
use crate::codes::{CodeKind, kind_from_field_name, kind_from_values, normalise, split_multi};
use crate::crs::{Crs, FromWgs84};
use crate::dictionary::{IndicatorDef, dictionary_table, find, merge};
use crate::model::{Field, FieldKind, PointLayer, Table, ZoneLayer};
use crate::project::{Project, ZoneSpec, ratio_rules};
use crate::value::{Missing, Value, ValueRef};
use geo::orient::{Direction, Orient};
use geo::{BoundingRect, MultiPolygon, Point};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

/// Output formats of layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataFormat {
    /// GeoJSON (`.geojson`, `.json`), RFC 7946: WGS84 longitude/latitude.
    GeoJson,
    /// CSV (`.csv`) in the French convention; points get `longitude`/`latitude` columns.
    Csv,
    /// Excel workbook (`.xlsx`), one sheet named after the layer.
    Xlsx,
    /// GeoPackage (`.gpkg`) in Lambert-93 (EPSG:2154).
    GeoPackage,
    /// GeoParquet 1.1 (`.parquet`) in Lambert-93 (EPSG:2154), geometry as WKB.
    GeoParquet,
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
            "parquet" => Ok(DataFormat::GeoParquet),
            _ => Err(ExportError::UnknownFormat {
                file: crate::error::display_name(path),
                expected: ".geojson, .csv, .xlsx, .gpkg, .parquet",
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
            DataFormat::GeoParquet => "GeoParquet (Lambert-93)",
        }
    }
}

/// The decimal mark of numbers in CSV files. Every CSV CartoSol writes uses the French
/// convention by default: UTF-8 with BOM, `;` separator, CRLF, decimal comma (`14,2`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DecimalMark {
    /// `14,2` — French Excel and LibreOffice read it as a number (the default).
    #[default]
    Comma,
    /// `14.2` — for tools that expect a decimal point (the separator stays `;`).
    Point,
}

/// A copy of a field as text (codes and names of zones), missing values kept with their reason.
fn text_copy(f: &Field) -> Field {
    Field {
        name: f.name.clone(),
        kind: FieldKind::Text,
        values: f
            .values
            .iter()
            .map(|v| match v {
                ValueRef::Missing(m) => Value::Missing(m),
                other => Value::Text(other.to_string()),
            })
            .collect(),
    }
}

/// Options of a layer export.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DataExportOptions {
    /// Decimal mark of CSV numbers (comma by default).
    pub decimal: DecimalMark,
    /// Adds, after each column with missing values, a `<colonne>_motif` column giving why
    /// (`secret statistique`, `non disponible`…).
    pub reason_columns: bool,
    /// Statistical secrecy: fields marked by the user and the explicit lifting of the guard.
    pub secrecy: SecrecyGuard,
    /// Aggregates to this zone layer: for a point layer, the number of points per zone
    /// instead of the points (the only way out for personal data); for a zone layer (communes),
    /// its figures per zone of the coarser layer (EPCI), counts summed and the project's
    /// declared ratios recomputed as ratios of sums.
    pub aggregate_to: Option<String>,
    /// The indicator dictionary: the columns it knows are listed with their labels in the
    /// « Définitions » sheet of an XLSX file and named by their labels in the report (column
    /// names stay codes). [`export_layer`] completes it with the project's.
    pub dictionary: Vec<IndicatorDef>,
}

/// What an export wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportReport {
    /// The format written.
    pub format: DataFormat,
    /// Rows (features) written.
    pub rows: usize,
    /// Columns written (reason columns included, geometry excluded).
    pub columns: usize,
    /// What the secrecy guard masked.
    pub secrecy: SecrecyReport,
    /// For an export aggregated from zones to coarser zones: how each field was computed.
    pub methods: Vec<(String, Method)>,
    /// The label of each column the dictionary knows (code, label).
    pub labels: Vec<(String, String)>,
}

impl ExportReport {
    /// « Libellé (CODE) » for a column the dictionary knows, else the code.
    pub fn field_label(&self, code: &str) -> String {
        self.labels
            .iter()
            .find(|(c, _)| c == code)
            .map_or_else(|| code.to_owned(), |(c, l)| format!("{l} ({c})"))
    }
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
        for (field, method) in &self.methods {
            write!(f, "\n  {} : {method}", self.field_label(field))?;
        }
        if let Some(note) = self.secrecy.note() {
            write!(f, "\n{note}")?;
        }
        Ok(())
    }
}

/// The geometry column of an export (WGS84), one entry per table row.
#[derive(Clone, Copy, Debug)]
pub enum Geometries<'a> {
    /// Zone contours.
    Zones(&'a [MultiPolygon<f64>]),
    /// Point positions (`None`: a row without a position).
    Points(&'a [Option<Point<f64>>]),
    /// A table without geometry: CSV and XLSX only.
    None,
}

/// Exports the layer `layer_id` of a project (zone layer with its joined columns, or point
/// layer) to `path`, in the format of its extension. The project's privacy settings are added
/// to the guard of `options`; with `aggregate_to`, the layer is aggregated to that zone layer
/// first (see [`DataExportOptions::aggregate_to`]).
pub fn export_layer(
    project: &Project,
    layer_id: &str,
    path: &Path,
    options: &DataExportOptions,
) -> Result<ExportReport, ExportError> {
    let format = DataFormat::from_path(path)?;
    let mut dictionary = options.dictionary.clone();
    merge(&mut dictionary, project.file.dictionary.clone());
    let options = &DataExportOptions {
        dictionary,
        ..options.clone()
    };
    let privacy = &project.file.map.privacy;
    let mut guard = options.secrecy.clone().with_privacy(privacy);
    let find_zones = |id: &str| {
        project
            .zones
            .iter()
            .find(|(s, _)| s.id == id)
            .ok_or_else(|| unknown_layer(project, id))
    };
    if let Some((spec, layer)) = project.zones.iter().find(|(s, _)| s.id == layer_id) {
        let Some(target_id) = &options.aggregate_to else {
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
        };
        let (tspec, target) = find_zones(target_id)?;
        let (table, methods) = aggregate_zones(project, (spec, layer), (tspec, target))
            .map_err(|m| ExportError::write(path, m))?;
        let level = zone_level(&target.attributes, &tspec.code_field);
        let mut report = write_layer(
            &table,
            Geometries::Zones(&target.geometries),
            level,
            &format!("{}_par_{}", spec.id, tspec.id),
            path,
            format,
            options,
            &guard,
        )?;
        report.methods = methods;
        return Ok(report);
    }
    let (spec, points) = project
        .points
        .iter()
        .find(|(s, _)| s.id == layer_id)
        .ok_or_else(|| unknown_layer(project, layer_id))?;
    let personal = privacy.personal_layers.iter().any(|p| p == layer_id);
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
            if personal {
                // Counts of a personal-data layer are counts of persons.
                guard.personal.extend(
                    counts
                        .fields
                        .iter()
                        .filter(|f| f.kind == FieldKind::Number)
                        .map(|f| f.name.clone()),
                );
            }
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

/// The code kind of a zone layer's code column (its name, else its values).
fn code_kind(table: &Table, code_field: &str) -> CodeKind {
    kind_from_field_name(code_field).unwrap_or_else(|| {
        let texts: Vec<String> = table
            .field(code_field)
            .map(|f| f.values.iter().take(500).map(|v| v.to_string()).collect())
            .unwrap_or_default();
        kind_from_values(texts.iter().map(String::as_str))
    })
}

/// The codes of a cell, normalised to `kind` (several for `/`-separated cells).
fn cell_codes<'a>(value: impl Into<ValueRef<'a>>, kind: CodeKind) -> Vec<String> {
    let text = match value.into() {
        ValueRef::Text(s) => s.to_owned(),
        ValueRef::Number(x) => format!("{x:.0}"),
        ValueRef::Missing(_) => return Vec::new(),
    };
    split_multi(&text)
        .into_iter()
        .filter_map(|c| normalise(c, kind).ok().map(|n| n.code))
        .collect()
}

/// Aggregates the figures of zone layer `members` (communes) to the zones of `target` (EPCI):
/// the members' column holding the target codes is the one whose values match the most target
/// codes; counts are summed, the project's declared ratios recomputed as ratios of sums
/// ([`ratio_rules`]), other rates detected or weighted by the members' population. One row per
/// target zone, in the target layer's order, starting with its code and name.
fn aggregate_zones(
    project: &Project,
    (mspec, members): (&ZoneSpec, &ZoneLayer),
    (tspec, target): (&ZoneSpec, &ZoneLayer),
) -> Result<(Table, Vec<(String, Method)>), String> {
    let kind = code_kind(&target.attributes, &tspec.code_field);
    let target_codes: Vec<Vec<String>> = target
        .attributes
        .field(&tspec.code_field)
        .map(|f| f.values.iter().map(|v| cell_codes(v, kind)).collect())
        .ok_or_else(|| {
            format!(
                "champ de code « {} » absent de la couche « {} »",
                tspec.code_field, tspec.id
            )
        })?;
    let known: std::collections::HashSet<&str> =
        target_codes.iter().flatten().map(String::as_str).collect();
    let group = members
        .attributes
        .fields
        .iter()
        .filter(|f| f.kind == FieldKind::Text && !f.name.eq_ignore_ascii_case(&mspec.code_field))
        .map(|f| {
            let hits = f
                .values
                .iter()
                .filter(|v| {
                    cell_codes(*v, kind)
                        .iter()
                        .any(|c| known.contains(c.as_str()))
                })
                .count();
            (hits, f)
        })
        .filter(|(hits, _)| *hits > 0)
        .max_by_key(|(hits, _)| *hits)
        .map(|(_, f)| f.name.clone())
        .ok_or_else(|| {
            format!(
                "aucun champ de la couche « {} » ne donne le code des zones de « {} » ({})",
                mspec.id, tspec.id, tspec.code_field
            )
        })?;
    let weight = mspec
        .population_field
        .as_deref()
        .filter(|w| members.attributes.field(w).is_some());
    let rules = ratio_rules(&project.file, &mspec.id);
    let agg = aggregate(&members.attributes, &group, kind, weight, &rules)?;
    let row_of: HashMap<String, usize> = agg
        .table
        .field("CODE")
        .map(|f| {
            f.values
                .iter()
                .enumerate()
                .map(|(i, v)| (v.to_string(), i))
                .collect()
        })
        .unwrap_or_default();
    let rows: Vec<Option<usize>> = target_codes
        .iter()
        .map(|codes| codes.first().and_then(|c| row_of.get(c).copied()))
        .collect();
    let copy = |name: &str| target.attributes.field(name).map(text_copy);
    let mut fields: Vec<Field> = [copy(&tspec.code_field), copy(&tspec.name_field)]
        .into_iter()
        .flatten()
        .collect();
    for f in agg.table.fields.iter().skip(1) {
        let values = rows
            .iter()
            .map(|r| match r.and_then(|r| f.values.get(r)) {
                Some(v) => v,
                None if f.name == "NB_MEMBRES" => ValueRef::Number(0.0),
                None => ValueRef::Missing(Missing::NotAvailable),
            })
            .collect();
        fields.push(Field {
            name: f.name.clone(),
            kind: f.kind,
            values,
        });
    }
    Ok((
        Table {
            fields,
            row_origin: target.attributes.row_origin.clone(),
        },
        agg.methods,
    ))
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

/// Writes any table with its geometries (one per row, or [`Geometries::None`]): the secrecy
/// guard is applied for `level`, then the file is written in `format`, atomically. GeoJSON and
/// GeoPackage need a geometry and refuse a table without one.
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
    if matches!(geometries, Geometries::None)
        && matches!(
            format,
            DataFormat::GeoJson | DataFormat::GeoPackage | DataFormat::GeoParquet
        )
    {
        return Err(ExportError::write(
            path,
            format!(
                "{} impossible : cette table n'a pas de géométrie (formats possibles : CSV, XLSX)",
                format.label()
            ),
        ));
    }
    let mut table = attributes.clone();
    let secrecy = mask_small_counts(&mut table, level, guard);
    let columns = output_columns(&table, options.reason_columns);
    let rows = table.len();
    let definitions: Vec<IndicatorDef> = columns
        .iter()
        .filter(|c| !c.reasons)
        .filter_map(|c| find(&options.dictionary, &c.name).cloned())
        .collect();
    let labels = definitions
        .iter()
        .filter(|d| !d.label.trim().is_empty() && d.label != d.code)
        .map(|d| (d.code.clone(), d.label.clone()))
        .collect();
    match format {
        DataFormat::GeoJson => {
            write_atomic(path, geojson(&table, &columns, geometries).as_bytes())?;
        }
        DataFormat::Csv => {
            write_atomic(path, &csv(&table, &columns, geometries, options.decimal))?;
        }
        DataFormat::Xlsx => {
            let xlsx = xlsx(path, &table, &columns, geometries, layer_name, &definitions)?;
            write_atomic(path, &xlsx)?;
        }
        DataFormat::GeoPackage => gpkg(path, &table, &columns, geometries, layer_name)?,
        DataFormat::GeoParquet => {
            let projected = parquet_geometries(path, table.len(), geometries)?;
            let columns: Vec<&dyn AttributeColumn> =
                columns.iter().map(|c| c as &dyn AttributeColumn).collect();
            let bytes = super::parquet::geoparquet(path, table.len(), &columns, &projected)?;
            write_atomic(path, &bytes)?;
        }
    }
    Ok(ExportReport {
        format,
        rows,
        columns: columns.len(),
        secrecy,
        methods: Vec::new(),
        labels,
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
            Some(ValueRef::Missing(m)) if self.reasons => Cell::Text(m.label()),
            Some(_) if self.reasons => Cell::Empty,
            Some(ValueRef::Number(x)) if x.is_finite() => Cell::Number(x),
            Some(ValueRef::Text(t)) => Cell::Text(t),
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

impl AttributeColumn for Column<'_> {
    fn name(&self) -> &str {
        &self.name
    }

    fn numeric(&self) -> bool {
        Column::numeric(self)
    }

    fn cell(&self, row: usize) -> ParquetCell<'_> {
        match self.value(row) {
            Cell::Empty => ParquetCell::Empty,
            Cell::Number(x) => ParquetCell::Number(x),
            Cell::Text(t) => ParquetCell::Text(t),
        }
    }
}

/// The geometries of a GeoParquet export: WKB in Lambert-93, as in a GeoPackage, with their
/// bounding box.
fn parquet_geometries(
    path: &Path,
    rows: usize,
    geometries: Geometries<'_>,
) -> Result<ProjectedGeometries, ExportError> {
    let to_l93 = FromWgs84::new(&Crs::lambert93())
        .map_err(|e| ExportError::write(path, format!("Lambert-93 indisponible ({e})")))?;
    let geometry_type = match geometries {
        Geometries::Zones(_) => "MultiPolygon",
        Geometries::Points(_) => "Point",
        Geometries::None => return Err(ExportError::write(path, "la table n'a pas de géométrie")),
    };
    let mut wkbs = Vec::with_capacity(rows);
    let mut bbox: Option<[f64; 4]> = None;
    for row in 0..rows {
        let projected = project_geometry(geometries, row, &to_l93)
            .map_err(|m| ExportError::write(path, format!("entité {} : {m}", row + 1)))?;
        wkbs.push(projected.map(|(wkb, env)| {
            let b = bbox.get_or_insert([env[0], env[2], env[1], env[3]]);
            *b = [
                b[0].min(env[0]),
                b[1].min(env[2]),
                b[2].max(env[1]),
                b[3].max(env[3]),
            ];
            wkb
        }));
    }
    Ok(ProjectedGeometries {
        wkbs,
        geometry_type,
        bbox,
    })
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
                .any(|v| matches!(v, ValueRef::Missing(m) if m != Missing::Empty))
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
            Geometries::None => out.push_str("null"),
        }
        out.push('}');
    }
    out.push_str("\n]}\n");
    out
}

/// Formats a number for CSV: shortest exact decimal, with the chosen decimal mark.
fn csv_number(x: f64, decimal: DecimalMark) -> String {
    let s = if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        format!("{x}")
    };
    match decimal {
        DecimalMark::Comma => s.replace('.', ","),
        DecimalMark::Point => s,
    }
}

/// CSV bytes for French Excel: UTF-8 with BOM, `;` separator, CRLF line ends. Point layers
/// get `longitude` and `latitude` columns (WGS84); zone geometries are not written.
fn csv(
    table: &Table,
    columns: &[Column<'_>],
    geometries: Geometries<'_>,
    decimal: DecimalMark,
) -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let points = match geometries {
        Geometries::Points(p) => Some(p),
        Geometries::Zones(_) | Geometries::None => None,
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
                Cell::Number(x) => csv_number(x, decimal),
                Cell::Text(t) => t.to_owned(),
            })
            .collect();
        if let Some(p) = points {
            match p.get(row).copied().flatten() {
                Some(pt) => {
                    record.push(csv_number(pt.x(), decimal));
                    record.push(csv_number(pt.y(), decimal));
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

/// The name of the sheet of an XLSX export that lists its columns' definitions.
pub const DEFINITIONS_SHEET: &str = "Définitions";

fn xlsx(
    path: &Path,
    table: &Table,
    columns: &[Column<'_>],
    geometries: Geometries<'_>,
    layer_name: &str,
    definitions: &[IndicatorDef],
) -> Result<Vec<u8>, ExportError> {
    use rust_xlsxwriter::Workbook;
    let err = |e: rust_xlsxwriter::XlsxError| ExportError::write(path, format!("XLSX ({e})"));
    let mut book = Workbook::new();
    let name = sheet_name(layer_name);
    xlsx_sheet(path, &mut book, table, columns, geometries, &name)?;
    if !definitions.is_empty() {
        let defs = dictionary_table(definitions);
        let def_columns = output_columns(&defs, false);
        let def_name = if name.eq_ignore_ascii_case(DEFINITIONS_SHEET) {
            format!("{DEFINITIONS_SHEET} (2)")
        } else {
            DEFINITIONS_SHEET.to_owned()
        };
        xlsx_sheet(
            path,
            &mut book,
            &defs,
            &def_columns,
            Geometries::None,
            &def_name,
        )?;
    }
    book.save_to_buffer().map_err(err)
}

/// Adds one worksheet named `name` holding `table` (header in bold, frozen, filtered).
fn xlsx_sheet(
    path: &Path,
    book: &mut rust_xlsxwriter::Workbook,
    table: &Table,
    columns: &[Column<'_>],
    geometries: Geometries<'_>,
    name: &str,
) -> Result<(), ExportError> {
    use rust_xlsxwriter::Format;
    let err = |e: rust_xlsxwriter::XlsxError| ExportError::write(path, format!("XLSX ({e})"));
    let sheet = book.add_worksheet();
    sheet.set_name(name).map_err(err)?;
    let bold = Format::new().set_bold();
    let points = match geometries {
        Geometries::Points(p) => Some(p),
        Geometries::Zones(_) | Geometries::None => None,
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
    Ok(())
}

/// One sheet of a workbook written by [`write_workbook`].
#[derive(Clone, Copy, Debug)]
pub struct SheetSpec<'a> {
    /// The sheet name (cut to Excel's 31 characters, forbidden characters replaced).
    pub name: &'a str,
    /// Its table (no geometry).
    pub table: &'a Table,
    /// The level of its zones, for the secrecy guard.
    pub level: ZoneLevel,
}

/// Writes several tables as the sheets of one XLSX workbook, atomically: the secrecy guard
/// masks small counts of each sheet for its level, and (with `options.reason_columns`) a
/// `<colonne>_motif` column follows each column with missing values. Returns one report per
/// sheet, in order.
pub fn write_workbook(
    path: &Path,
    sheets: &[SheetSpec<'_>],
    options: &DataExportOptions,
    guard: &SecrecyGuard,
) -> Result<Vec<ExportReport>, ExportError> {
    use rust_xlsxwriter::Workbook;
    let err = |e: rust_xlsxwriter::XlsxError| ExportError::write(path, format!("XLSX ({e})"));
    let mut book = Workbook::new();
    let mut reports = Vec::with_capacity(sheets.len());
    let mut used: Vec<String> = Vec::new();
    for spec in sheets {
        let mut table = spec.table.clone();
        let secrecy = mask_small_counts(&mut table, spec.level, guard);
        let columns = output_columns(&table, options.reason_columns);
        let mut name = sheet_name(spec.name);
        let mut n = 2;
        while used.iter().any(|u| u.eq_ignore_ascii_case(&name)) {
            let suffix = format!(" ({n})");
            name = format!(
                "{}{suffix}",
                sheet_name(spec.name)
                    .chars()
                    .take(31 - suffix.chars().count())
                    .collect::<String>()
            );
            n += 1;
        }
        xlsx_sheet(path, &mut book, &table, &columns, Geometries::None, &name)?;
        used.push(name);
        reports.push(ExportReport {
            format: DataFormat::Xlsx,
            rows: table.len(),
            columns: columns.len(),
            secrecy,
            methods: Vec::new(),
            labels: Vec::new(),
        });
    }
    write_atomic(path, &book.save_to_buffer().map_err(err)?)?;
    Ok(reports)
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

/// The SQLite type of an output column: INTEGER when every present value is a whole number
/// (counts), REAL for other numbers, TEXT otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SqlType {
    Integer,
    Real,
    Text,
}

impl SqlType {
    fn of(column: &Column<'_>, rows: usize) -> SqlType {
        if !column.numeric() {
            return SqlType::Text;
        }
        let mut present = 0;
        for row in 0..rows {
            if let Cell::Number(x) = column.value(row) {
                present += 1;
                if x.fract() != 0.0 || x.abs() > 9_007_199_254_740_992.0 {
                    return SqlType::Real;
                }
            }
        }
        if present > 0 {
            SqlType::Integer
        } else {
            SqlType::Real
        }
    }

    fn name(self) -> &'static str {
        match self {
            SqlType::Integer => "INTEGER",
            SqlType::Real => "REAL",
            SqlType::Text => "TEXT",
        }
    }
}

/// The spatial index of the GeoPackage R-tree extension (`gpkg_rtree_index`), as GDAL writes
/// it for a GeoPackage 1.3: the extension row, the `rtree_<table>_<geom>` virtual table filled
/// with every feature's envelope, and the six triggers that keep it up to date (created after
/// the bulk fill: their `ST_*` functions exist only in GeoPackage-aware readers).
fn rtree_sql(table: &str, geom: &str) -> String {
    let t = quote_ident(table);
    let c = quote_ident(geom);
    let r = quote_ident(&format!("rtree_{table}_{geom}"));
    let trigger = |suffix: &str| quote_ident(&format!("rtree_{table}_{geom}_{suffix}"));
    let insert_new = format!(
        "INSERT OR REPLACE INTO {r} VALUES (NEW.\"fid\",ST_MinX(NEW.{c}), ST_MaxX(NEW.{c}),ST_MinY(NEW.{c}), ST_MaxY(NEW.{c}));"
    );
    [
        format!(
            "CREATE TRIGGER {} AFTER INSERT ON {t} WHEN (new.{c} NOT NULL AND NOT ST_IsEmpty(NEW.{c})) BEGIN {insert_new} END;",
            trigger("insert")
        ),
        format!(
            "CREATE TRIGGER {} AFTER UPDATE OF {c} ON {t} WHEN OLD.\"fid\" = NEW.\"fid\" AND (NEW.{c} NOTNULL AND NOT ST_IsEmpty(NEW.{c})) BEGIN {insert_new} END;",
            trigger("update1")
        ),
        format!(
            "CREATE TRIGGER {} AFTER UPDATE OF {c} ON {t} WHEN OLD.\"fid\" = NEW.\"fid\" AND (NEW.{c} ISNULL OR ST_IsEmpty(NEW.{c})) BEGIN DELETE FROM {r} WHERE id = OLD.\"fid\"; END;",
            trigger("update2")
        ),
        format!(
            "CREATE TRIGGER {} AFTER UPDATE ON {t} WHEN OLD.\"fid\" != NEW.\"fid\" AND (NEW.{c} NOTNULL AND NOT ST_IsEmpty(NEW.{c})) BEGIN DELETE FROM {r} WHERE id = OLD.\"fid\"; {insert_new} END;",
            trigger("update3")
        ),
        format!(
            "CREATE TRIGGER {} AFTER UPDATE ON {t} WHEN OLD.\"fid\" != NEW.\"fid\" AND (NEW.{c} ISNULL OR ST_IsEmpty(NEW.{c})) BEGIN DELETE FROM {r} WHERE id IN (OLD.\"fid\", NEW.\"fid\"); END;",
            trigger("update4")
        ),
        format!(
            "CREATE TRIGGER {} AFTER DELETE ON {t} WHEN old.{c} NOT NULL BEGIN DELETE FROM {r} WHERE id = OLD.\"fid\"; END;",
            trigger("delete")
        ),
    ]
    .join("\n")
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
        Geometries::None => return Err("la table n'a pas de géométrie".to_owned()),
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
    let types: Vec<SqlType> = columns
        .iter()
        .map(|c| SqlType::of(c, table.len()))
        .collect();
    let column_defs: Vec<String> = column_names
        .iter()
        .zip(&types)
        .map(|(n, t)| format!("{} {}", quote_ident(n), t.name()))
        .collect();
    let tx = conn.transaction().map_err(sql)?;
    tx.execute_batch(&format!(
        "PRAGMA application_id = 1196444487;
         PRAGMA user_version = 10300;
         CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY, organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
         CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER, CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
         CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name), CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name), CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
         CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
         CREATE TABLE {t} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom {geometry_type}{sep}{defs});
         CREATE VIRTUAL TABLE {rtree} USING rtree(id, minx, maxx, miny, maxy);",
        t = quote_ident(&table_name),
        sep = if column_defs.is_empty() { "" } else { ", " },
        defs = column_defs.join(", "),
        rtree = quote_ident(&format!("rtree_{table_name}_geom")),
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
    let insert_rtree = format!(
        "INSERT INTO {} VALUES (?1, ?2, ?3, ?4, ?5)",
        quote_ident(&format!("rtree_{table_name}_geom"))
    );
    let mut bounds = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    {
        let mut stmt = tx.prepare(&insert).map_err(sql)?;
        let mut rtree = tx.prepare(&insert_rtree).map_err(sql)?;
        for row in 0..table.len() {
            let projected = project_geometry(geometries, row, to_l93)
                .map_err(|m| format!("entité {} : {m}", row + 1))?;
            let mut values: Vec<rusqlite::types::Value> = Vec::with_capacity(columns.len() + 1);
            values.push(match &projected {
                Some((wkb, env)) => rusqlite::types::Value::Blob(gpkg_blob(2154, *env, wkb)),
                None => rusqlite::types::Value::Null,
            });
            for (c, t) in columns.iter().zip(&types) {
                values.push(match (c.value(row), t) {
                    (Cell::Empty, _) => rusqlite::types::Value::Null,
                    (Cell::Number(x), SqlType::Integer) => {
                        rusqlite::types::Value::Integer(x as i64)
                    }
                    (Cell::Number(x), SqlType::Real) => rusqlite::types::Value::Real(x),
                    (Cell::Number(x), SqlType::Text) => {
                        rusqlite::types::Value::Text(csv_number(x, DecimalMark::Point))
                    }
                    (Cell::Text(t), _) => rusqlite::types::Value::Text(t.to_owned()),
                });
            }
            stmt.execute(rusqlite::params_from_iter(values))
                .map_err(sql)?;
            if let Some((_, env)) = projected {
                bounds[0] = bounds[0].min(env[0]);
                bounds[1] = bounds[1].min(env[2]);
                bounds[2] = bounds[2].max(env[1]);
                bounds[3] = bounds[3].max(env[3]);
                let fid = tx.last_insert_rowid();
                rtree
                    .execute(rusqlite::params![fid, env[0], env[1], env[2], env[3]])
                    .map_err(sql)?;
            }
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
    tx.execute(
        "INSERT INTO gpkg_extensions VALUES (?1, 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
        [&table_name],
    )
    .map_err(sql)?;
    tx.execute_batch(&rtree_sql(&table_name, "geom"))
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
    let wkb_error = |e: wkb::error::WkbError| format!("WKB impossible ({e})");
    let options = wkb::writer::WriteOptions::default();
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
            wkb::writer::write_multi_polygon(&mut wkb, &projected, &options).map_err(wkb_error)?;
            Ok(Some((wkb, [r.min().x, r.max().x, r.min().y, r.max().y])))
        }
        Geometries::Points(p) => {
            let Some(pt) = p.get(row).copied().flatten() else {
                return Ok(None);
            };
            let (x, y) = convert(pt.x(), pt.y())?;
            let mut wkb = Vec::new();
            wkb::writer::write_point(&mut wkb, &Point::new(x, y), &options).map_err(wkb_error)?;
            Ok(Some((wkb, [x, x, y, y])))
        }
        Geometries::None => Ok(None),
    }
}

/// The number of points in each zone (total and by theme): one row per zone with its code and
/// name. Each point is counted in at most one zone, by the point-in-zone rule of
/// [`ZoneIndex`] (the one `coverage` uses: a point on a border shared by two zones belongs to
/// exactly one of them). Points outside every zone are not counted.
pub fn count_points_by_zone(
    points: &PointLayer,
    zones: &ZoneLayer,
    code_field: &str,
    name_field: &str,
    theme_field: Option<&str>,
) -> Table {
    let assigned = ZoneIndex::new(zones).assign(&points.positions);
    let themes_field = theme_field.and_then(|t| points.attributes.field(t));
    let mut themes: Vec<String> = Vec::new();
    let mut total = vec![0.0; zones.len()];
    let mut by_theme: Vec<Vec<f64>> = Vec::new();
    for (i, zone) in assigned.iter().enumerate() {
        let Some(z) = *zone else { continue };
        let Some(cell) = total.get_mut(z) else {
            continue;
        };
        *cell += 1.0;
        if let Some(ValueRef::Text(theme)) = themes_field.and_then(|f| f.values.get(i)) {
            let t = match themes.iter().position(|t| t == theme) {
                Some(t) => t,
                None => {
                    themes.push(theme.to_owned());
                    by_theme.push(vec![0.0; zones.len()]);
                    themes.len() - 1
                }
            };
            if let Some(cell) = by_theme.get_mut(t).and_then(|v| v.get_mut(z)) {
                *cell += 1.0;
            }
        }
    }
    let copy = |name: &str| zones.attributes.field(name).map(text_copy);
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
    let mut per_theme: Vec<(String, Vec<f64>)> = themes.into_iter().zip(by_theme).collect();
    per_theme.sort_by(|a, b| a.0.cmp(&b.0));
    for (theme, counts) in per_theme {
        let name = format!("NB_{}", sql_name(&theme, "theme").to_uppercase());
        fields.push(number(name, counts));
    }
    Table {
        fields,
        row_origin: zones.attributes.row_origin.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, Polygon};

    fn square(x0: f64, code: &str) -> (MultiPolygon<f64>, Value) {
        let ring = LineString::from(vec![
            (x0, 0.0),
            (x0 + 1.0, 0.0),
            (x0 + 1.0, 1.0),
            (x0, 1.0),
            (x0, 0.0),
        ]);
        (
            MultiPolygon::new(vec![Polygon::new(ring, vec![])]),
            Value::Text(code.to_owned()),
        )
    }

    #[test]
    fn a_point_on_a_shared_border_is_counted_once_where_zone_index_puts_it() {
        // Two unit squares sharing the edge x = 1; points on that edge, at its end and at the
        // shared corner, and one inside the left square.
        let (a, code_a) = square(0.0, "A");
        let (b, code_b) = square(1.0, "B");
        let zones = ZoneLayer {
            geometries: vec![a, b],
            attributes: Table {
                fields: vec![Field {
                    name: "CODE".into(),
                    kind: FieldKind::Text,
                    values: vec![code_a, code_b].into(),
                }],
                row_origin: vec![1, 2],
            },
            ..ZoneLayer::default()
        };
        let on_border = [
            Point::new(1.0, 0.5),
            Point::new(1.0, 0.25),
            Point::new(1.0, 0.0),
        ];
        let positions: Vec<Option<Point<f64>>> = on_border
            .iter()
            .copied()
            .map(Some)
            .chain([Some(Point::new(0.5, 0.5)), None])
            .collect();
        let points = PointLayer {
            positions,
            attributes: Table {
                fields: Vec::new(),
                row_origin: vec![1, 2, 3, 4, 5],
            },
            ..PointLayer::default()
        };
        let counts = count_points_by_zone(&points, &zones, "CODE", "CODE", None);
        let n: Vec<f64> = counts
            .field("NB_POINTS")
            .map(|f| f.values.iter().filter_map(ValueRef::as_f64).collect())
            .unwrap_or_default();
        let index = ZoneIndex::new(&zones);
        let mut expected = vec![1.0, 0.0]; // the inside point
        for p in on_border {
            let zone = index.zone_of(p);
            assert!(zone.is_some(), "{p:?} belongs to one zone");
            if let Some(z) = zone {
                expected[z] += 1.0;
            }
        }
        // Each border point counted exactly once, in the zone `coverage` puts it in.
        assert_eq!(n.iter().sum::<f64>(), 4.0);
        assert_eq!(n, expected);
    }

    #[test]
    fn tables_without_geometry_go_to_csv_and_xlsx_only() {
        let dir = std::env::temp_dir().join(format!("cartosol-nogeom-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let table = Table {
            fields: vec![
                Field {
                    name: "code".into(),
                    kind: FieldKind::Text,
                    values: vec![Value::Text("91001".into())].into(),
                },
                Field {
                    name: "taux".into(),
                    kind: FieldKind::Number,
                    values: vec![Value::Number(12.5)].into(),
                },
            ],
            row_origin: vec![1],
        };
        let write = |name: &str, options: &DataExportOptions| {
            let path = dir.join(name);
            let format = DataFormat::from_path(&path)?;
            write_layer(
                &table,
                Geometries::None,
                ZoneLevel::Fine,
                "t",
                &path,
                format,
                options,
                &SecrecyGuard::default(),
            )
            .map(|_| std::fs::read(&path).unwrap_or_default())
        };
        let csv = write("t.csv", &DataExportOptions::default()).expect("csv");
        assert_eq!(csv, b"\xEF\xBB\xBFcode;taux\r\n91001;12,5\r\n");
        let point = DataExportOptions {
            decimal: DecimalMark::Point,
            ..DataExportOptions::default()
        };
        let csv = write("t.csv", &point).expect("csv");
        assert_eq!(csv, b"\xEF\xBB\xBFcode;taux\r\n91001;12.5\r\n");
        assert!(write("t.xlsx", &point).is_ok());
        for name in ["t.geojson", "t.gpkg"] {
            let e = write(name, &point).expect_err("no geometry");
            assert!(
                e.to_string().contains(
                    "impossible : cette table n'a pas de géométrie (formats possibles : CSV, XLSX)"
                ),
                "{e}"
            );
            assert!(!dir.join(name).exists());
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
