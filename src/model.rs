//! The data model: attribute tables, zone layers (polygons) and point layers, all in WGS84.

use crate::error::Problem;
use crate::value::{Missing, Value};
use geo::{BoundingRect, MultiPolygon, Point, Rect};
use std::path::PathBuf;

/// The type of an attribute column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum FieldKind {
    /// Every present value is a number.
    Number,
    /// Text, codes included.
    Text,
}

impl FieldKind {
    /// The name shown to the user.
    pub fn label(self) -> &'static str {
        match self {
            FieldKind::Number => "nombre",
            FieldKind::Text => "texte",
        }
    }
}

/// One attribute column.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// The column name as in the source.
    pub name: String,
    /// Its type.
    pub kind: FieldKind,
    /// One value per row.
    pub values: Vec<Value>,
}

impl Field {
    /// The number of values of each missing reason.
    pub fn missing_counts(&self) -> Vec<(Missing, usize)> {
        let mut counts: Vec<(Missing, usize)> = Vec::new();
        for v in &self.values {
            if let Value::Missing(m) = v {
                match counts.iter_mut().find(|(k, _)| k == m) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((*m, 1)),
                }
            }
        }
        counts.sort();
        counts
    }
}

/// A table of attributes: columns of equal length. Every layer carries one.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    /// The columns.
    pub fields: Vec<Field>,
    /// For each row, where it came from in the source, as a user would find it
    /// (a line number, a spreadsheet row, a record or feature number; 1-based).
    pub row_origin: Vec<u64>,
}

impl Table {
    /// The number of rows.
    pub fn len(&self) -> usize {
        self.row_origin.len()
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.row_origin.is_empty()
    }

    /// The column named `name` (exact match first, then case-insensitive).
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.field_index(name).and_then(|i| self.fields.get(i))
    }

    /// The index of the column named `name` (exact match first, then case-insensitive).
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name).or_else(|| {
            self.fields
                .iter()
                .position(|f| f.name.trim().eq_ignore_ascii_case(name.trim()))
        })
    }

    /// The column named like the first of `candidates` that the table has (tried in the order
    /// given, each exact then case-insensitive).
    pub fn find_field(&self, candidates: &[&str]) -> Option<&Field> {
        candidates.iter().find_map(|c| self.field(c))
    }

    /// The column names.
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|f| f.name.as_str())
    }

    /// The value of column `field` at `row`, as text for display.
    pub fn text(&self, field: usize, row: usize) -> Option<String> {
        self.fields
            .get(field)
            .and_then(|f| f.values.get(row))
            .map(ToString::to_string)
    }
}

/// Where a layer or table came from and how it was read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SourceInfo {
    /// The file read.
    pub path: PathBuf,
    /// The format as shown to the user (`Shapefile`, `GeoJSON`, `GeoPackage`, `CSV`, `XLSX`…).
    pub format: String,
    /// The layer or sheet read, for multi-layer files.
    pub layer: Option<String>,
    /// The text encoding, when the format has one.
    pub encoding: Option<String>,
    /// The CRS found in the source (before reprojection to WGS84), as shown to the user.
    pub crs: Option<String>,
    /// Non-fatal problems met while reading.
    pub problems: Vec<Problem>,
}

/// A layer of zones (communes, EPCI…): polygons in WGS84 lon/lat with attributes.
#[derive(Clone, Debug, Default)]
pub struct ZoneLayer {
    /// Where it came from.
    pub source: SourceInfo,
    /// One multipolygon per feature, in WGS84 (x = lon, y = lat). Holes are kept as interiors.
    pub geometries: Vec<MultiPolygon<f64>>,
    /// One row per feature.
    pub attributes: Table,
}

impl ZoneLayer {
    /// The number of zones.
    pub fn len(&self) -> usize {
        self.geometries.len()
    }

    /// Whether the layer is empty.
    pub fn is_empty(&self) -> bool {
        self.geometries.is_empty()
    }

    /// The bounding box of all zones, in degrees.
    pub fn bbox(&self) -> Option<Rect<f64>> {
        union_rects(self.geometries.iter().filter_map(|g| g.bounding_rect()))
    }
}

/// A layer of points (services, town halls…) in WGS84. Rows without a position are kept.
#[derive(Clone, Debug, Default)]
pub struct PointLayer {
    /// Where it came from.
    pub source: SourceInfo,
    /// One optional position per row, WGS84 (x = lon, y = lat).
    pub positions: Vec<Option<Point<f64>>>,
    /// One row per point.
    pub attributes: Table,
}

impl PointLayer {
    /// The number of rows, positioned or not.
    pub fn len(&self) -> usize {
        self.positions.len()
    }

    /// Whether the layer is empty.
    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }

    /// The number of rows without a position.
    pub fn unpositioned(&self) -> usize {
        self.positions.iter().filter(|p| p.is_none()).count()
    }

    /// The bounding box of the positioned points, in degrees.
    pub fn bbox(&self) -> Option<Rect<f64>> {
        union_rects(self.positions.iter().flatten().map(|p| Rect::new(p.0, p.0)))
    }
}

fn union_rects(rects: impl Iterator<Item = Rect<f64>>) -> Option<Rect<f64>> {
    rects.reduce(|a, b| {
        Rect::new(
            geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
            geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
        )
    })
}
