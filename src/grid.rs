//! INSEE's Filosofi 200 m grid (« données carroyées »): where poor households live, square by
//! square, as INSEE ships it (CSV or GeoPackage, EPSG:3035 LAEA).
//!
//! Each row is a square named by its id, `CRS3035RES200mN2029800E4252400`: the resolution and
//! the **south-west corner** in EPSG:3035 (N = northing, E = easting), so the square is
//! `[E, E + 200] × [N, N + 200]` and its centre `(E + 100, N + 100)`. The square is placed from
//! its id (the GeoPackage geometry says the same and is not read: 2.3 million polygons for
//! metropolitan France cost memory for nothing).
//!
//! Counts (`Ind`, `Men`, `Men_pauv`, `Men_fmp`, `Ind_snv` — a *sum* of standards of living —,
//! `Log_soc`, `Ind_0_3` … `Ind_80p`) are kept as read, **fractional values included**: a square
//! under the secrecy threshold carries its share of a larger « natural » square (`Idcar_nat`,
//! flag `I_est_200` = 1), so `Men_pauv = 0.8` is a real value, not an error. Column names are
//! matched case-insensitively (`Men_pauv` in 2017 and 2021, `men_pauv` in the 2019 GeoPackage).
//! Numeric columns are stored as `f64` per column (NaN = missing), not as a cell per value.

use crate::crs::{Crs, ToWgs84};
use crate::error::{LoadError, Place, Problem};
use crate::model::SourceInfo;
use crate::table::{TableOptions, load_table};
use crate::value::Value;
use geo::Point;
use std::path::Path;

/// A square of the grid as its id names it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CellId {
    /// The side of the square, metres (200 for the 200 m grid; 1000, 2000… for the larger
    /// « natural » squares of `Idcar_nat`).
    pub resolution_m: f64,
    /// Northing of the south-west corner, EPSG:3035 metres.
    pub north_m: f64,
    /// Easting of the south-west corner, EPSG:3035 metres.
    pub east_m: f64,
}

impl CellId {
    /// The square's INSEE id (`CRS3035RES200mN2029800E4252400`).
    pub fn id(&self) -> String {
        format!(
            "CRS3035RES{}mN{}E{}",
            self.resolution_m, self.north_m, self.east_m
        )
    }

    /// The centre of the square, EPSG:3035 metres (easting, northing).
    pub fn centre_3035(&self) -> (f64, f64) {
        (
            self.east_m + self.resolution_m / 2.0,
            self.north_m + self.resolution_m / 2.0,
        )
    }
}

/// The transform from the grid's EPSG:3035 (LAEA Europe) to WGS84.
fn laea_to_wgs84(path: &Path) -> Result<ToWgs84, LoadError> {
    let crs =
        Crs::from_epsg(3035).ok_or_else(|| LoadError::unknown_crs(path, "EPSG:3035 inconnu"))?;
    ToWgs84::new(&crs).map_err(|d| LoadError::unknown_crs(path, d))
}

/// Reads an INSEE square id (`CRS3035RES200mN2029800E4252400`, any case). `None` when the text
/// is not one.
pub fn parse_cell_id(id: &str) -> Option<CellId> {
    let upper = id.trim().to_ascii_uppercase();
    let rest = upper.strip_prefix("CRS3035RES")?;
    let (resolution, rest) = rest.split_once("MN")?;
    let (north, east) = rest.split_once('E')?;
    let number = |s: &str| -> Option<f64> {
        if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        s.parse::<f64>().ok()
    };
    let resolution_m = number(resolution)?;
    (resolution_m > 0.0).then_some(CellId {
        resolution_m,
        north_m: number(north)?,
        east_m: number(east)?,
    })
}

/// A numeric column of the grid: one value per square, NaN where missing.
#[derive(Clone, Debug)]
pub struct GridField {
    /// The name as written in the file (`Men_pauv` or `men_pauv`).
    pub name: String,
    /// One value per square (NaN: missing).
    pub values: Vec<f64>,
}

/// A grid of squares with their counts.
#[derive(Clone, Debug)]
pub struct GridLayer {
    /// Where it came from, with the problems met.
    pub source: SourceInfo,
    /// The square of each row.
    pub cells: Vec<CellId>,
    /// Where each square is in its source (line of a CSV, feature of a GeoPackage).
    pub origins: Vec<u64>,
    /// The centre of each square, WGS84 (x = lon, y = lat).
    pub centres: Vec<Point<f64>>,
    /// Whether each square's values are imputed shares of a larger natural square
    /// (`I_est_200` = 1).
    pub imputed: Vec<bool>,
    /// The communes each square touches (`lcog_geo`, split into 5-character codes).
    pub communes: Vec<Vec<String>>,
    /// The numeric columns (counts and sums), in file order.
    pub fields: Vec<GridField>,
}

impl GridLayer {
    /// The number of squares.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whether the grid has no square.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// The column named `name`, compared case-insensitively.
    pub fn field(&self, name: &str) -> Option<&GridField> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name.trim()))
    }
}

/// The id column of the grid, among INSEE's names of the vintages.
const ID_NAMES: &[&str] = &["idcar_200m", "idcar_200", "idinspire", "id_carr200"];

/// Columns that are text, never counts.
const TEXT_NAMES: &[&str] = &[
    "idcar_200m",
    "idcar_1km",
    "idcar_nat",
    "idinspire",
    "id_carr200",
    "id_carr1km",
    "id_carr_n",
    "lcog_geo",
    "groupe",
    "depcom",
];

/// Reads a 200 m grid: INSEE's CSV (`carreaux_200m_met.csv`) or GeoPackage
/// (`carreaux_200m_met.gpkg`), or any table with a square id column.
pub fn load_grid(path: &Path) -> Result<GridLayer, LoadError> {
    let is_gpkg = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("gpkg"));
    let (names, columns, origins, source) = if is_gpkg {
        read_gpkg_columns(path)?
    } else {
        let loaded = load_table(path, &TableOptions::default())?;
        let names: Vec<String> = loaded.table.fields.iter().map(|f| f.name.clone()).collect();
        let columns: Vec<Vec<Value>> = loaded
            .table
            .fields
            .into_iter()
            .map(|f| f.values.to_values())
            .collect();
        (names, columns, loaded.table.row_origin, loaded.source)
    };
    build_grid(path, names, columns, origins, source)
}

/// The attribute columns of the first layer of a GeoPackage whose columns include a square id
/// (the geometry column is not read).
fn read_gpkg_columns(path: &Path) -> Result<GridColumns, LoadError> {
    let conn = crate::zones::gpkg::open_read_only(path)?;
    let layers = crate::zones::gpkg::list_layers(path)?;
    let sql = |e: rusqlite::Error| LoadError::format(path, format!("GeoPackage illisible ({e})"));
    for layer in &layers {
        let quoted = format!("\"{}\"", layer.name.replace('"', "\"\""));
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {quoted}"))
            .map_err(sql)?;
        let all: Vec<String> = stmt.column_names().map(str::to_owned).collect();
        if !all
            .iter()
            .any(|n| ID_NAMES.contains(&n.to_ascii_lowercase().as_str()))
        {
            continue;
        }
        let keep: Vec<usize> = (0..all.len())
            .filter(|i| {
                all.get(*i)
                    .is_some_and(|n| !n.eq_ignore_ascii_case(&layer.geometry_column))
            })
            .collect();
        let names: Vec<String> = keep.iter().filter_map(|i| all.get(*i).cloned()).collect();
        let mut columns: Vec<Vec<Value>> = vec![Vec::new(); keep.len()];
        let mut rows = stmt.query([]).map_err(sql)?;
        while let Some(row) = rows.next().map_err(sql)? {
            for (slot, i) in keep.iter().enumerate() {
                let value = match row.get_ref(*i).map_err(sql)? {
                    rusqlite::types::ValueRef::Null => Value::Missing(crate::Missing::Empty),
                    rusqlite::types::ValueRef::Integer(n) => Value::Number(n as f64),
                    rusqlite::types::ValueRef::Real(x) => Value::Number(x),
                    rusqlite::types::ValueRef::Text(t) => {
                        Value::Text(String::from_utf8_lossy(t).into_owned())
                    }
                    rusqlite::types::ValueRef::Blob(_) => Value::Missing(crate::Missing::Empty),
                };
                if let Some(column) = columns.get_mut(slot) {
                    column.push(value);
                }
            }
        }
        let count = columns.first().map_or(0, Vec::len) as u64;
        let source = SourceInfo {
            path: path.to_owned(),
            format: "GeoPackage (carreaux)".to_owned(),
            layer: Some(layer.name.clone()),
            encoding: None,
            crs: None,
            problems: Vec::new(),
        };
        return Ok((names, columns, (1..=count).collect(), source));
    }
    Err(LoadError::format(
        path,
        "aucune couche de ce GeoPackage n'a de colonne d'identifiant de carreau (Idcar_200m)",
    ))
}

type GridColumns = (Vec<String>, Vec<Vec<Value>>, Vec<u64>, SourceInfo);

fn build_grid(
    path: &Path,
    names: Vec<String>,
    columns: Vec<Vec<Value>>,
    origins: Vec<u64>,
    mut source: SourceInfo,
) -> Result<GridLayer, LoadError> {
    let find = |wanted: &[&str]| {
        names
            .iter()
            .position(|n| wanted.contains(&n.to_ascii_lowercase().as_str()))
    };
    let id_col = find(ID_NAMES).ok_or_else(|| {
        LoadError::format(
            path,
            "colonne d'identifiant de carreau absente (attendu : Idcar_200m, au format \
             CRS3035RES200mN…E…)",
        )
    })?;
    let ids = columns.get(id_col).map(Vec::as_slice).unwrap_or_default();
    let mut cells = Vec::with_capacity(ids.len());
    let mut keep_rows = Vec::with_capacity(ids.len());
    let mut unreadable: Vec<u64> = Vec::new();
    for (row, id) in ids.iter().enumerate() {
        match parse_cell_id(&id.to_string()) {
            Some(cell) => {
                cells.push(cell);
                keep_rows.push(row);
            }
            None => unreadable.push(origins.get(row).copied().unwrap_or(row as u64 + 1)),
        }
    }
    if cells.is_empty() {
        return Err(LoadError::format(
            path,
            "aucun identifiant de carreau lisible (format attendu : CRS3035RES200mN2029800E4252400)",
        ));
    }
    for line in unreadable.iter().take(20) {
        source.problems.push(Problem::at(
            Place::Line(*line),
            "identifiant de carreau illisible : ligne ignorée",
        ));
    }
    if unreadable.len() > 20 {
        source.problems.push(Problem::whole(format!(
            "{} autre(s) identifiant(s) de carreau illisible(s)",
            unreadable.len() - 20
        )));
    }
    let transform = laea_to_wgs84(path)?;
    let centres: Vec<Point<f64>> = crate::parallel::map_indexed(&cells, |_, c| {
        let (e, n) = c.centre_3035();
        transform
            .convert(e, n)
            .map_or(Point::new(f64::NAN, f64::NAN), |(lon, lat)| {
                Point::new(lon, lat)
            })
    });
    let text_of = |col: Option<usize>, row: usize| -> Option<String> {
        columns
            .get(col?)
            .and_then(|c| c.get(row))
            .filter(|v| !matches!(v, Value::Missing(_)))
            .map(ToString::to_string)
    };
    let est_col = find(&["i_est_200", "i_est_cr"]);
    let imputed = keep_rows
        .iter()
        .map(|r| text_of(est_col, *r).is_some_and(|t| t.trim() == "1"))
        .collect();
    let cog_col = find(&["lcog_geo"]);
    let communes = keep_rows
        .iter()
        .map(|r| {
            let text = text_of(cog_col, *r).unwrap_or_default();
            let chars: Vec<char> = text.trim().chars().collect();
            chars
                .chunks(5)
                .filter(|c| c.len() == 5)
                .map(|c| c.iter().collect())
                .collect()
        })
        .collect();
    let mut fields = Vec::new();
    for (i, name) in names.iter().enumerate() {
        if TEXT_NAMES.contains(&name.to_ascii_lowercase().as_str())
            || name.to_ascii_lowercase().starts_with("i_est")
        {
            continue;
        }
        let Some(column) = columns.get(i) else {
            continue;
        };
        let numeric = column
            .iter()
            .all(|v| matches!(v, Value::Number(_) | Value::Missing(_)));
        if !numeric || column.iter().all(|v| matches!(v, Value::Missing(_))) {
            continue;
        }
        let values = keep_rows
            .iter()
            .map(|r| column.get(*r).and_then(Value::as_f64).unwrap_or(f64::NAN))
            .collect();
        fields.push(GridField {
            name: name.clone(),
            values,
        });
    }
    let resolution = cells.first().map_or(200.0, |c| c.resolution_m);
    if !source.format.contains("carreaux") {
        source.format = format!("{} (carreaux Insee)", source.format);
    }
    source.crs = Some(format!(
        "EPSG:3035 (ETRS89 / LAEA Europe), carreaux de {} m placés d'après leur identifiant",
        crate::value::format_number(resolution)
    ));
    let kept_origins = keep_rows
        .iter()
        .map(|r| origins.get(*r).copied().unwrap_or(*r as u64 + 1))
        .collect();
    Ok(GridLayer {
        source,
        origins: kept_origins,
        cells,
        centres,
        imputed,
        communes,
        fields,
    })
}

/// Whether `path` is a table of 200 m squares (a CSV or workbook whose header names
/// `Idcar_200m`): read as a layer of squares rather than as a table or points.
pub fn is_grid_table(path: &Path) -> bool {
    let Some(format) = crate::table::TableFormat::from_path(path) else {
        return false;
    };
    if format != crate::table::TableFormat::Csv {
        return false;
    }
    let mut head = vec![0u8; 4096];
    let n = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
        .unwrap_or(0);
    let (text, _) = crate::text::decode_auto(head.get(..n).unwrap_or_default());
    text.lines().take(3).any(|l| {
        ID_NAMES
            .iter()
            .any(|id| l.to_ascii_lowercase().contains(id))
    })
}

/// The squares as a zone layer: each square its polygon in WGS84 (the four corners of
/// `[E, E + r] × [N, N + r]` reprojected from EPSG:3035), with the square id, the imputation
/// flag, every numeric column and the communes it touches as attributes. This is how the app
/// draws the grid (a choropleth of squares) and how a project holds it as a zone layer.
pub fn grid_as_zones(path: &Path, grid: GridLayer) -> Result<crate::model::ZoneLayer, LoadError> {
    use crate::model::{Field, FieldKind, Table, ZoneLayer};
    use geo::{LineString, MultiPolygon, Polygon};
    let transform = laea_to_wgs84(path)?;
    let geometries = crate::parallel::map_indexed(&grid.cells, |_, c| {
        let r = c.resolution_m;
        let corners = [
            (c.east_m, c.north_m),
            (c.east_m + r, c.north_m),
            (c.east_m + r, c.north_m + r),
            (c.east_m, c.north_m + r),
            (c.east_m, c.north_m),
        ];
        let ring: Option<Vec<(f64, f64)>> = corners
            .iter()
            .map(|(e, n)| transform.convert(*e, *n))
            .collect();
        match ring {
            Some(ring) => MultiPolygon::new(vec![Polygon::new(LineString::from(ring), vec![])]),
            None => MultiPolygon::new(vec![]),
        }
    });
    let mut fields = vec![
        Field {
            name: "Idcar_200m".to_owned(),
            kind: FieldKind::Text,
            values: grid.cells.iter().map(|c| Value::Text(c.id())).collect(),
        },
        Field {
            name: "I_est_200".to_owned(),
            kind: FieldKind::Number,
            values: grid
                .imputed
                .iter()
                .map(|i| Value::Number(if *i { 1.0 } else { 0.0 }))
                .collect(),
        },
    ];
    for f in grid.fields {
        fields.push(Field {
            name: f.name,
            kind: FieldKind::Number,
            values: f
                .values
                .into_iter()
                .map(|v| {
                    if v.is_finite() {
                        Value::Number(v)
                    } else {
                        Value::Missing(crate::value::Missing::Empty)
                    }
                })
                .collect(),
        });
    }
    fields.push(Field {
        name: "lcog_geo".to_owned(),
        kind: FieldKind::Text,
        values: grid
            .communes
            .iter()
            .map(|c| Value::Text(c.join(" ")))
            .collect(),
    });
    Ok(ZoneLayer {
        source: grid.source,
        geometries,
        attributes: Table {
            fields,
            row_origin: grid.origins,
        },
    })
}

/// Reads zones, or a table of 200 m squares as a layer of squares (see [`is_grid_table`]).
pub fn load_zones_or_grid(
    path: &Path,
    options: &crate::zones::ZoneOptions,
) -> Result<crate::model::ZoneLayer, LoadError> {
    if is_grid_table(path) {
        let grid = load_grid(path)?;
        return grid_as_zones(path, grid);
    }
    crate::zones::load_zones(path, options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insee_square_ids() {
        let c = parse_cell_id("CRS3035RES200mN2029800E4252400").unwrap();
        assert_eq!(c.resolution_m, 200.0);
        assert_eq!(c.north_m, 2_029_800.0);
        assert_eq!(c.east_m, 4_252_400.0);
        assert_eq!(c.centre_3035(), (4_252_500.0, 2_029_900.0));
        let natural = parse_cell_id("crs3035res2000mn3132000e3798000").unwrap();
        assert_eq!(natural.resolution_m, 2000.0);
        assert_eq!(parse_cell_id("CRS3035RES200mN2029800"), None);
        assert_eq!(parse_cell_id("CRS3035RES0mN1E2"), None);
        assert_eq!(parse_cell_id("91001"), None);
    }
}
