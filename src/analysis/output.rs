//! Small writers for analysis results: CSV (UTF-8 with BOM, `;` separator, decimal comma, as
//! French Excel expects), GeoJSON (RFC 7946, WGS84, codes as strings, missing values `null`
//! with their reason in `valeurs_manquantes`) and XLSX (numbers as numbers, codes as text,
//! missing values as the text of their reason).

use crate::analysis::AnalysisError;
use crate::value::{Missing, format_number};
use geo::MultiPolygon;
use serde_json::{Map, Value as Json, json};
use std::path::Path;

/// One cell of a result table.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Free text.
    Text(String),
    /// A geographic code: always written as text.
    Code(String),
    /// A number.
    Number(f64),
    /// A missing value and its reason.
    Missing(Missing),
}

impl Cell {
    /// The text written in a CSV file.
    pub fn csv_text(&self) -> String {
        match self {
            Cell::Text(t) | Cell::Code(t) => t.clone(),
            Cell::Number(x) => csv_number(*x),
            Cell::Missing(m) => format!("({})", m.label()),
        }
    }

    /// The number, if this cell holds one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Cell::Number(x) => Some(*x),
            _ => None,
        }
    }
}

/// A number with a decimal comma and at most 6 decimals (trailing zeros dropped).
fn csv_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return format_number(x);
    }
    let s = format!("{x:.6}");
    s.trim_end_matches('0')
        .trim_end_matches('.')
        .replace('.', ",")
}

/// A result table: French headers and rows of cells.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OutputTable {
    /// Column headers, in French.
    pub headers: Vec<String>,
    /// One row per zone (or item), as many cells as headers.
    pub rows: Vec<Vec<Cell>>,
}

fn write_error(path: &Path, message: impl ToString) -> AnalysisError {
    AnalysisError::Write {
        path: path.to_owned(),
        message: message.to_string(),
    }
}

/// The CSV text: BOM, `;` separator, CRLF line ends, decimal comma.
pub fn csv_string(table: &OutputTable) -> Result<String, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record(&table.headers)?;
    for row in &table.rows {
        w.write_record(row.iter().map(Cell::csv_text))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(format!("\u{feff}{}", String::from_utf8_lossy(&bytes)))
}

/// Writes `table` as CSV to `path`.
pub fn write_csv(path: &Path, table: &OutputTable) -> Result<(), AnalysisError> {
    let text = csv_string(table).map_err(|e| write_error(path, e))?;
    std::fs::write(path, text).map_err(|e| write_error(path, e))
}

/// The GeoJSON FeatureCollection: one feature per row with the geometry of the same index.
pub fn geojson_value(table: &OutputTable, geometries: &[MultiPolygon<f64>]) -> Json {
    let features: Vec<Json> = table
        .rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let mut props = Map::new();
            let mut missing = Map::new();
            for (h, c) in table.headers.iter().zip(row) {
                let v = match c {
                    Cell::Text(t) | Cell::Code(t) => json!(t),
                    Cell::Number(x) if x.is_finite() => json!(x),
                    Cell::Number(_) => Json::Null,
                    Cell::Missing(m) => {
                        missing.insert(h.clone(), json!(m.label()));
                        Json::Null
                    }
                };
                props.insert(h.clone(), v);
            }
            if !missing.is_empty() {
                props.insert("valeurs_manquantes".to_owned(), Json::Object(missing));
            }
            let geometry = geometries.get(i).map_or(Json::Null, |mp| {
                let polys: Vec<Json> =
                    mp.0.iter()
                        .map(|p| {
                            let ring = |r: &geo::LineString<f64>| -> Json {
                                Json::Array(r.0.iter().map(|c| json!([c.x, c.y])).collect())
                            };
                            let mut rings = vec![ring(p.exterior())];
                            rings.extend(p.interiors().iter().map(ring));
                            Json::Array(rings)
                        })
                        .collect();
                json!({"type": "MultiPolygon", "coordinates": polys})
            });
            json!({"type": "Feature", "properties": props, "geometry": geometry})
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
}

/// Writes `table` as GeoJSON with `geometries` (one per row, WGS84).
pub fn write_geojson(
    path: &Path,
    table: &OutputTable,
    geometries: &[MultiPolygon<f64>],
) -> Result<(), AnalysisError> {
    let text = serde_json::to_string(&geojson_value(table, geometries))
        .map_err(|e| write_error(path, e))?;
    std::fs::write(path, text).map_err(|e| write_error(path, e))
}

/// Writes `table` as an XLSX workbook (one sheet named `sheet`).
pub fn write_xlsx(path: &Path, table: &OutputTable, sheet: &str) -> Result<(), AnalysisError> {
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| write_error(path, e);
    let mut book = Workbook::new();
    let bold = Format::new().set_bold().set_text_wrap();
    let ws = book.add_worksheet();
    ws.set_name(sheet).map_err(err)?;
    for (c, h) in table.headers.iter().enumerate() {
        let col = u16::try_from(c).map_err(|e| write_error(path, e))?;
        ws.write_string_with_format(0, col, h, &bold).map_err(err)?;
        ws.set_column_width(col, 16).map_err(err)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        let line = u32::try_from(r + 1).map_err(|e| write_error(path, e))?;
        for (c, cell) in row.iter().enumerate() {
            let col = u16::try_from(c).map_err(|e| write_error(path, e))?;
            match cell {
                Cell::Number(x) if x.is_finite() => {
                    ws.write_number(line, col, *x).map_err(err)?;
                }
                other => {
                    ws.write_string(line, col, other.csv_text()).map_err(err)?;
                }
            }
        }
    }
    ws.set_freeze_panes(1, 0).map_err(err)?;
    book.save(path).map_err(err)
}

/// Writes `table` in the format of `path`'s extension (`.csv`, `.geojson`/`.json`, `.xlsx`).
pub fn write_any(
    path: &Path,
    table: &OutputTable,
    geometries: &[MultiPolygon<f64>],
    sheet: &str,
) -> Result<(), AnalysisError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match ext.as_str() {
        "csv" => write_csv(path, table),
        "geojson" | "json" => write_geojson(path, table, geometries),
        "xlsx" => write_xlsx(path, table, sheet),
        _ => Err(AnalysisError::InvalidParameter {
            name: "--out".to_owned(),
            message: format!(
                "extension de « {} » non reconnue (attendu : .csv, .geojson, .xlsx)",
                path.display()
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_has_bom_semicolons_and_decimal_comma() {
        let t = OutputTable {
            headers: vec!["code".into(), "taux".into(), "nb".into()],
            rows: vec![vec![
                Cell::Code("01001".into()),
                Cell::Number(12.5),
                Cell::Missing(Missing::Secret),
            ]],
        };
        let s = csv_string(&t).unwrap();
        assert_eq!(
            s,
            "\u{feff}code;taux;nb\r\n01001;12,5;(secret statistique)\r\n"
        );
        let g = geojson_value(&t, &[]);
        let p = &g["features"][0]["properties"];
        assert_eq!(p["code"], json!("01001"));
        assert_eq!(p["nb"], Json::Null);
        assert_eq!(p["valeurs_manquantes"]["nb"], json!("secret statistique"));
    }
}
