//! GeoParquet 1.1 writer: one Parquet file (Snappy pages) whose « geo » file metadata declares
//! the geometry column (WKB), its geometry types, its bounding box and its CRS as PROJJSON.
//!
//! The CRS is Lambert-93 (EPSG:2154), as for the GeoPackage export: the engines that take the
//! file further (DuckDB-spatial, Apache Sedona, GeoPandas) then measure areas and distances in
//! metres without a reprojection. Codes and names stay text (`BYTE_ARRAY` annotated
//! `STRING`: « 01001 » and « 2A004 » keep their form); whole-number columns are `INT64`,
//! other numbers `DOUBLE`; missing values are nulls.

use super::ExportError;
use ::parquet::basic::{Compression, LogicalType, Repetition, Type as PhysicalType};
use ::parquet::column::writer::ColumnWriter;
use ::parquet::data_type::ByteArray;
use ::parquet::file::metadata::KeyValue;
use ::parquet::file::properties::WriterProperties;
use ::parquet::file::writer::SerializedFileWriter;
use ::parquet::schema::types::Type;
use std::path::Path;
use std::sync::Arc;

/// Rows per row group: readers can then read a national layer a group at a time.
const ROWS_PER_GROUP: usize = 65_536;

/// The GeoParquet specification version written in the « geo » metadata.
pub const GEOPARQUET_VERSION: &str = "1.1.0";

/// PROJJSON of EPSG:2154 (RGF93 v1 / Lambert-93), as PROJ 9.5 gives it.
pub const LAMBERT93_PROJJSON: &str = r#"{"$schema":"https://proj.org/schemas/v0.7/projjson.schema.json","type":"ProjectedCRS","name":"RGF93 v1 / Lambert-93","base_crs":{"name":"RGF93 v1","datum":{"type":"GeodeticReferenceFrame","name":"Reseau Geodesique Francais 1993 v1","ellipsoid":{"name":"GRS 1980","semi_major_axis":6378137,"inverse_flattening":298.257222101}},"coordinate_system":{"subtype":"ellipsoidal","axis":[{"name":"Geodetic latitude","abbreviation":"Lat","direction":"north","unit":"degree"},{"name":"Geodetic longitude","abbreviation":"Lon","direction":"east","unit":"degree"}]},"id":{"authority":"EPSG","code":4171}},"conversion":{"name":"Lambert-93","method":{"name":"Lambert Conic Conformal (2SP)","id":{"authority":"EPSG","code":9802}},"parameters":[{"name":"Latitude of false origin","value":46.5,"unit":"degree","id":{"authority":"EPSG","code":8821}},{"name":"Longitude of false origin","value":3,"unit":"degree","id":{"authority":"EPSG","code":8822}},{"name":"Latitude of 1st standard parallel","value":49,"unit":"degree","id":{"authority":"EPSG","code":8823}},{"name":"Latitude of 2nd standard parallel","value":44,"unit":"degree","id":{"authority":"EPSG","code":8824}},{"name":"Easting at false origin","value":700000,"unit":"metre","id":{"authority":"EPSG","code":8826}},{"name":"Northing at false origin","value":6600000,"unit":"metre","id":{"authority":"EPSG","code":8827}}]},"coordinate_system":{"subtype":"Cartesian","axis":[{"name":"Easting","abbreviation":"X","direction":"east","unit":"metre"},{"name":"Northing","abbreviation":"Y","direction":"north","unit":"metre"}]},"scope":"Engineering survey, topographic mapping.","area":"France - onshore and offshore, mainland and Corsica (France métropolitaine including Corsica).","bbox":{"south_latitude":41.15,"west_longitude":-9.86,"north_latitude":51.56,"east_longitude":10.38},"id":{"authority":"EPSG","code":2154}}"#;

/// One cell of an attribute column, as the writer sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ParquetCell<'a> {
    /// A missing value (written as null).
    Empty,
    /// A number.
    Number(f64),
    /// Text.
    Text(&'a str),
}

/// An attribute column to write (the layer writers' output columns implement it).
pub trait AttributeColumn {
    /// The column's name in the file.
    fn name(&self) -> &str;
    /// Whether the column holds numbers.
    fn numeric(&self) -> bool;
    /// The cell of row `row`.
    fn cell(&self, row: usize) -> ParquetCell<'_>;
}

/// The geometries to write: WKB in Lambert-93, one per row (`None`: no geometry).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProjectedGeometries {
    /// One WKB per row.
    pub wkbs: Vec<Option<Vec<u8>>>,
    /// The GeoParquet geometry type of all of them (`MultiPolygon`, `Point`).
    pub geometry_type: &'static str,
    /// Their bounding box (min x, min y, max x, max y), `None` when there is no geometry.
    pub bbox: Option<[f64; 4]>,
}

/// The physical type of an output column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Text,
    Integer,
    Double,
}

fn kind_of(column: &dyn AttributeColumn, rows: usize) -> Kind {
    if !column.numeric() {
        return Kind::Text;
    }
    let mut present = false;
    for row in 0..rows {
        if let ParquetCell::Number(x) = column.cell(row) {
            present = true;
            if x.fract() != 0.0 || x.abs() > 9_007_199_254_740_992.0 {
                return Kind::Double;
            }
        }
    }
    if present { Kind::Integer } else { Kind::Double }
}

/// A column name not already taken (Parquet readers expect unique names).
fn unique_name(wanted: &str, used: &mut Vec<String>) -> String {
    let mut name = if wanted.trim().is_empty() {
        "champ".to_owned()
    } else {
        wanted.to_owned()
    };
    while used.iter().any(|u| u.eq_ignore_ascii_case(&name)) {
        name.push('_');
    }
    used.push(name.clone());
    name
}

/// The bytes of a GeoParquet file holding `columns` (`rows` rows) and `geometries`.
pub fn geoparquet(
    path: &Path,
    rows: usize,
    columns: &[&dyn AttributeColumn],
    geometries: &ProjectedGeometries,
) -> Result<Vec<u8>, ExportError> {
    let fail = |m: String| ExportError::write(path, m);
    let pq =
        |e: ::parquet::errors::ParquetError| ExportError::write(path, format!("GeoParquet ({e})"));
    let kinds: Vec<Kind> = columns.iter().map(|c| kind_of(*c, rows)).collect();
    let mut used = Vec::new();
    let geometry_name = unique_name("geometry", &mut used);
    let names: Vec<String> = columns
        .iter()
        .map(|c| unique_name(c.name(), &mut used))
        .collect();
    let mut fields = Vec::with_capacity(columns.len() + 1);
    for (name, kind) in names.iter().zip(&kinds) {
        let builder = match kind {
            Kind::Text => Type::primitive_type_builder(name, PhysicalType::BYTE_ARRAY)
                .with_logical_type(Some(LogicalType::String)),
            Kind::Integer => Type::primitive_type_builder(name, PhysicalType::INT64),
            Kind::Double => Type::primitive_type_builder(name, PhysicalType::DOUBLE),
        };
        fields.push(Arc::new(
            builder
                .with_repetition(Repetition::OPTIONAL)
                .build()
                .map_err(pq)?,
        ));
    }
    fields.push(Arc::new(
        Type::primitive_type_builder(&geometry_name, PhysicalType::BYTE_ARRAY)
            .with_repetition(Repetition::OPTIONAL)
            .build()
            .map_err(pq)?,
    ));
    let schema = Arc::new(
        Type::group_type_builder("schema")
            .with_fields(fields)
            .build()
            .map_err(pq)?,
    );
    let wkbs = &geometries.wkbs;
    let bbox_json = match geometries.bbox {
        Some(b) if b.iter().all(|v| v.is_finite()) => {
            format!(",\"bbox\":[{},{},{},{}]", b[0], b[1], b[2], b[3])
        }
        _ => String::new(),
    };
    let geo = format!(
        "{{\"version\":\"{GEOPARQUET_VERSION}\",\"primary_column\":{name},\"columns\":{{{name}:{{\"encoding\":\"WKB\",\"geometry_types\":[\"{geometry_type}\"],\"crs\":{LAMBERT93_PROJJSON}{bbox_json}}}}}}}",
        name = serde_json::to_string(&geometry_name).map_err(|e| fail(e.to_string()))?,
        geometry_type = geometries.geometry_type,
    );
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_created_by(format!("CartoSol {}", env!("CARGO_PKG_VERSION")))
        .set_max_row_group_row_count(Some(ROWS_PER_GROUP))
        .set_key_value_metadata(Some(vec![KeyValue::new("geo".to_owned(), geo)]))
        .build();
    let mut writer = SerializedFileWriter::new(Vec::new(), schema, Arc::new(props)).map_err(pq)?;
    let mut start = 0;
    while start < rows || (rows == 0 && start == 0) {
        let end = (start + ROWS_PER_GROUP).min(rows);
        let mut group = writer.next_row_group().map_err(pq)?;
        let mut index = 0;
        while let Some(mut column) = group.next_column().map_err(pq)? {
            match (columns.get(index), kinds.get(index)) {
                (Some(c), Some(kind)) => write_attribute(column.untyped(), *c, *kind, start..end),
                _ => write_geometry(column.untyped(), wkbs.get(start..end).unwrap_or_default()),
            }
            .map_err(pq)?;
            column.close().map_err(pq)?;
            index += 1;
        }
        group.close().map_err(pq)?;
        if rows == 0 {
            break;
        }
        start = end;
    }
    writer.into_inner().map_err(pq)
}

/// Writes rows `range` of one attribute column (nulls for missing values).
fn write_attribute(
    writer: &mut ColumnWriter<'_>,
    column: &dyn AttributeColumn,
    kind: Kind,
    range: std::ops::Range<usize>,
) -> ::parquet::errors::Result<()> {
    let mut levels = Vec::with_capacity(range.len());
    match (writer, kind) {
        (ColumnWriter::ByteArrayColumnWriter(w), Kind::Text) => {
            let mut values = Vec::with_capacity(range.len());
            for row in range {
                let text = match column.cell(row) {
                    ParquetCell::Empty => None,
                    ParquetCell::Text(t) => Some(ByteArray::from(t)),
                    ParquetCell::Number(x) => Some(ByteArray::from(x.to_string().as_str())),
                };
                levels.push(i16::from(text.is_some()));
                values.extend(text);
            }
            w.write_batch(&values, Some(&levels), None)?;
        }
        (ColumnWriter::Int64ColumnWriter(w), Kind::Integer) => {
            let mut values = Vec::with_capacity(range.len());
            for row in range {
                let x = match column.cell(row) {
                    ParquetCell::Number(x) => Some(x as i64),
                    _ => None,
                };
                levels.push(i16::from(x.is_some()));
                values.extend(x);
            }
            w.write_batch(&values, Some(&levels), None)?;
        }
        (ColumnWriter::DoubleColumnWriter(w), Kind::Double) => {
            let mut values = Vec::with_capacity(range.len());
            for row in range {
                let x = match column.cell(row) {
                    ParquetCell::Number(x) => Some(x),
                    _ => None,
                };
                levels.push(i16::from(x.is_some()));
                values.extend(x);
            }
            w.write_batch(&values, Some(&levels), None)?;
        }
        _ => {
            return Err(::parquet::errors::ParquetError::General(format!(
                "colonne « {} » : type inattendu",
                column.name()
            )));
        }
    }
    Ok(())
}

/// Writes the WKB geometries of one row group (nulls for rows without a geometry).
fn write_geometry(
    writer: &mut ColumnWriter<'_>,
    wkbs: &[Option<Vec<u8>>],
) -> ::parquet::errors::Result<()> {
    let ColumnWriter::ByteArrayColumnWriter(w) = writer else {
        return Err(::parquet::errors::ParquetError::General(
            "colonne de géométrie : type inattendu".to_owned(),
        ));
    };
    let levels: Vec<i16> = wkbs.iter().map(|g| i16::from(g.is_some())).collect();
    let values: Vec<ByteArray> = wkbs
        .iter()
        .flatten()
        .map(|wkb| ByteArray::from(wkb.clone()))
        .collect();
    w.write_batch(&values, Some(&levels), None)?;
    Ok(())
}
