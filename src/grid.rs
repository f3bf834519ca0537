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
        let mut id = String::with_capacity(32);
        self.write_id(&mut id);
        id
    }

    /// Writes the square's INSEE id at the end of `out`: each number as `f64` displays it,
    /// whole metres (every real id) through the much faster integer formatting, which writes
    /// the same digits.
    pub fn write_id(&self, out: &mut String) {
        use std::fmt::Write;
        let number = |out: &mut String, x: f64| {
            // Whole numbers below 2⁵³ display alike as f64 and as i64 (no ".0", no exponent);
            // zero is left out for −0, which f64 displays with its sign.
            if x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0 && x != 0.0 {
                let _ = write!(out, "{}", x as i64);
            } else {
                let _ = write!(out, "{x}");
            }
        };
        out.push_str("CRS3035RES");
        number(out, self.resolution_m);
        out.push_str("mN");
        number(out, self.north_m);
        out.push('E');
        number(out, self.east_m);
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
    let b = id.trim().as_bytes();
    let rest = strip_prefix_ci(b, b"CRS3035RES")?;
    let m = rest.iter().position(|c| !c.is_ascii_digit())?;
    let (resolution, rest) = rest.split_at(m);
    let rest = strip_prefix_ci(rest, b"MN")?;
    let e = rest.iter().position(|c| !c.is_ascii_digit())?;
    let (north, rest) = rest.split_at(e);
    let east = strip_prefix_ci(rest, b"E")?;
    let number = |s: &[u8]| -> Option<f64> {
        if s.is_empty() || s.len() > 15 || !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(s.iter().fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0')) as f64)
    };
    let resolution_m = number(resolution)?;
    (resolution_m > 0.0).then_some(CellId {
        resolution_m,
        north_m: number(north)?,
        east_m: number(east)?,
    })
}

/// `s` without `prefix`, compared ASCII case-insensitively.
fn strip_prefix_ci<'a>(s: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    let head = s.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        s.get(prefix.len()..)
    } else {
        None
    }
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

/// Whether a column name is one of INSEE's names of the square id column (`Idcar_200m`…),
/// compared case-insensitively.
pub fn is_cell_id_name(name: &str) -> bool {
    ID_NAMES.contains(&name.trim().to_ascii_lowercase().as_str())
}

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
///
/// A CSV is read by a streamed typed reader of its own (the national grid, 2.3 million rows,
/// in well under 3 s): decoded as the table importer decodes (BOM, strict UTF-8, else
/// Windows-1252), delimiter sniffed the same way, markers (`s`, `nd`, blank…) read as missing,
/// French decimal commas understood, codes (`lcog_geo`) kept as text, lines numbered as an
/// editor shows them, parsed in parallel. A CSV whose quoted values span lines is read by the
/// table importer instead.
pub fn load_grid(path: &Path) -> Result<GridLayer, LoadError> {
    let is_gpkg = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("gpkg"));
    if is_gpkg {
        let (names, columns, origins, source) = read_gpkg_columns(path)?;
        let parsed = parsed_from_values(path, &names, columns, origins)?;
        return build_grid(path, parsed, source);
    }
    if let Some((parsed, source)) = read_grid_csv(path)? {
        return build_grid(path, parsed, source);
    }
    let loaded = load_table(path, &TableOptions::default())?;
    let names: Vec<String> = loaded.table.fields.iter().map(|f| f.name.clone()).collect();
    let columns: Vec<Vec<Value>> = loaded
        .table
        .fields
        .into_iter()
        .map(|f| f.values.to_values())
        .collect();
    let parsed = parsed_from_values(path, &names, columns, loaded.table.row_origin)?;
    build_grid(path, parsed, loaded.source)
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

/// What a grid file holds once read, before the unreadable squares are set aside: one entry
/// per data row.
#[derive(Default)]
struct Parsed {
    /// The square of each row (`None`: unreadable id).
    cells: Vec<Option<CellId>>,
    /// Line (CSV) or feature (GeoPackage) of each row.
    origins: Vec<u64>,
    /// `I_est_200` = 1.
    imputed: Vec<bool>,
    /// `lcog_geo` split into 5-character codes.
    communes: Vec<Vec<String>>,
    /// The numeric columns (every value a number or a missing-value marker).
    fields: Vec<GridField>,
}

/// What a column of the grid is read as.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Role {
    /// The square id.
    Id,
    /// The imputation flag.
    Imputed,
    /// The communes touched (`lcog_geo`).
    Communes,
    /// A count or sum: the k-th numeric column.
    Number(usize),
    /// Another text column (`Idcar_1km`, `Groupe`…), not kept.
    Skip,
}

/// The role of each column, from the header's names; `None` without a square id column.
fn roles_of(names: &[String]) -> Option<(Vec<Role>, Vec<String>)> {
    let lower: Vec<String> = names
        .iter()
        .map(|n| n.trim().to_ascii_lowercase())
        .collect();
    let id = lower.iter().position(|n| ID_NAMES.contains(&n.as_str()))?;
    let est = lower
        .iter()
        .position(|n| n == "i_est_200")
        .or_else(|| lower.iter().position(|n| n == "i_est_cr"));
    let cog = lower.iter().position(|n| n == "lcog_geo");
    let mut numeric = Vec::new();
    let roles = lower
        .iter()
        .enumerate()
        .map(|(i, n)| {
            if i == id {
                Role::Id
            } else if Some(i) == est {
                Role::Imputed
            } else if Some(i) == cog {
                Role::Communes
            } else if TEXT_NAMES.contains(&n.as_str()) || n.starts_with("i_est") {
                Role::Skip
            } else {
                numeric.push(
                    names
                        .get(i)
                        .map(|s| s.trim().to_owned())
                        .unwrap_or_default(),
                );
                Role::Number(numeric.len() - 1)
            }
        })
        .collect();
    Some((roles, numeric))
}

/// `lcog_geo` (`9106991122`) as its 5-character commune codes.
fn split_communes(text: &str) -> Vec<String> {
    let text = text.trim();
    if text.is_ascii() {
        return text
            .as_bytes()
            .chunks_exact(5)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
    }
    let chars: Vec<char> = text.chars().collect();
    chars
        .chunks(5)
        .filter(|c| c.len() == 5)
        .map(|c| c.iter().collect())
        .collect()
}

/// Whether an imputation flag says « imputed ».
fn is_imputed(text: &str) -> bool {
    let t = text.trim();
    t == "1" || crate::value::parse_number(t) == Some(1.0)
}

/// A numeric cell: its number, NaN for a missing-value marker (blank, `s`, `nd`…), `None` for
/// text that is neither (the column is then not a numeric one). Plain integers and decimals
/// are read directly; anything else goes through the table importer's cell rules.
fn grid_number(raw: &str) -> Option<f64> {
    let b = raw.as_bytes();
    if !b.is_empty() && b.len() <= 15 && b.iter().all(u8::is_ascii_digit) {
        let n = b.iter().fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'));
        return Some(n as f64);
    }
    if !b.is_empty()
        && b.iter()
            .all(|c| c.is_ascii_digit() || *c == b'.' || *c == b'-')
        && let Ok(x) = raw.parse::<f64>()
        && x.is_finite()
    {
        return Some(x);
    }
    match crate::value::classify_cell(raw) {
        crate::value::CellClass::Missing(_) => Some(f64::NAN),
        crate::value::CellClass::Number(x) => Some(x),
        crate::value::CellClass::Other => None,
    }
}

/// The fields of one CSV line, quotes understood (`"a;b"`, `""` inside quotes). `None` when a
/// quote stays open at the end of the line (a value spanning lines).
fn split_quoted(line: &str, delim: char) -> Option<Vec<std::borrow::Cow<'_, str>>> {
    use std::borrow::Cow;
    if !line.contains('"') {
        return Some(line.split(delim).map(Cow::Borrowed).collect());
    }
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
        } else if c == '"' {
            quoted = true;
        } else if c == delim {
            out.push(Cow::Owned(std::mem::take(&mut field)));
        } else {
            field.push(c);
        }
    }
    if quoted {
        return None;
    }
    out.push(Cow::Owned(field));
    Some(out)
}

/// Where one chunk of data lines writes its rows: its part of every output column.
struct ChunkOut<'a> {
    cells: &'a mut [Option<CellId>],
    lines: &'a mut [u64],
    imputed: &'a mut [bool],
    communes: &'a mut [Vec<String>],
    numbers: Vec<&'a mut [f64]>,
}

/// What parsing one chunk found.
#[derive(Default)]
struct ChunkReport {
    /// Rows written (the first `rows` slots of its output).
    rows: usize,
    /// Whether each numeric column met text that is not a number.
    text_seen: Vec<bool>,
    /// Whether a quote was left open at the end of a line.
    open_quote: bool,
}

/// Writes the fields of one data row into slot `row` of `out`.
fn store_row(
    fields: &[&str],
    roles: &[Role],
    row: usize,
    out: &mut ChunkOut<'_>,
    text_seen: &mut [bool],
) {
    for column in out.numbers.iter_mut() {
        if let Some(slot) = column.get_mut(row) {
            *slot = f64::NAN;
        }
    }
    for (field, role) in fields.iter().zip(roles) {
        match role {
            Role::Id => {
                if let Some(slot) = out.cells.get_mut(row) {
                    *slot = parse_cell_id(field);
                }
            }
            Role::Imputed => {
                if let Some(slot) = out.imputed.get_mut(row) {
                    *slot = is_imputed(field);
                }
            }
            Role::Communes => {
                if let Some(slot) = out.communes.get_mut(row) {
                    *slot = split_communes(field);
                }
            }
            Role::Number(k) => match grid_number(field.trim()) {
                Some(x) => {
                    if let Some(slot) = out.numbers.get_mut(*k).and_then(|c| c.get_mut(row)) {
                        *slot = x;
                    }
                }
                None => {
                    if let Some(seen) = text_seen.get_mut(*k) {
                        *seen = true;
                    }
                }
            },
            Role::Skip => {}
        }
    }
}

/// Parses the data lines of `text` (a whole number of lines) into `out`, whose slots number
/// at least the lines of `text`. A row's line is counted from the chunk's first line (0-based).
fn parse_chunk(text: &str, roles: &[Role], delim: char, mut out: ChunkOut<'_>) -> ChunkReport {
    let mut report = ChunkReport {
        text_seen: vec![false; out.numbers.len()],
        ..ChunkReport::default()
    };
    let delim_byte = u8::try_from(delim).ok().filter(u8::is_ascii);
    let mut fields: Vec<&str> = Vec::with_capacity(roles.len());
    let mut row = 0usize;
    for (n, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let quoted = line.as_bytes().contains(&b'"');
        match (quoted, delim_byte) {
            (false, Some(d)) => {
                // Unquoted: split on the delimiter's byte (a char boundary in UTF-8).
                fields.clear();
                let mut start = 0usize;
                for (pos, b) in line.as_bytes().iter().enumerate() {
                    if *b == d {
                        fields.push(line.get(start..pos).unwrap_or_default());
                        start = pos + 1;
                    }
                }
                fields.push(line.get(start..).unwrap_or_default());
                store_row(&fields, roles, row, &mut out, &mut report.text_seen);
            }
            _ => {
                let Some(owned) = split_quoted(line, delim) else {
                    report.open_quote = true;
                    return report;
                };
                let refs: Vec<&str> = owned.iter().map(|c| c.as_ref()).collect();
                store_row(&refs, roles, row, &mut out, &mut report.text_seen);
            }
        }
        if let Some(slot) = out.lines.get_mut(row) {
            *slot = n as u64;
        }
        row += 1;
    }
    report.rows = row;
    report
}

/// Splits `v` into consecutive mutable parts of the given lengths.
fn split_parts<'a, T>(mut v: &'a mut [T], lengths: &[usize]) -> Vec<&'a mut [T]> {
    let mut parts = Vec::with_capacity(lengths.len());
    for len in lengths {
        let at = (*len).min(v.len());
        let (head, tail) = std::mem::take(&mut v).split_at_mut(at);
        parts.push(head);
        v = tail;
    }
    parts
}

/// Moves the rows written by each chunk (`rows[c]` of the `slots[c]` reserved) together at
/// the start of `v`, and cuts `v` there.
fn compact<T>(v: &mut Vec<T>, slots: &[usize], rows: &[usize]) {
    let mut to = 0usize;
    let mut from = 0usize;
    for (s, r) in slots.iter().zip(rows) {
        if from != to {
            // Disjoint ranges are moved by swapping (no Clone needed).
            for k in 0..*r {
                v.swap(to + k, from + k);
            }
        }
        to += r;
        from += s;
    }
    v.truncate(to);
}

/// Reads an INSEE grid CSV with the grid's own reader; `None` when the file needs the table
/// importer (a quoted value spanning lines).
fn read_grid_csv(path: &Path) -> Result<Option<(Parsed, SourceInfo)>, LoadError> {
    let bytes = std::fs::read(path).map_err(|e| LoadError::io(path, e))?;
    let (text, encoding) = crate::text::decode_auto(&bytes);
    if text.trim().is_empty() {
        return Err(LoadError::Empty {
            file: crate::error::display_name(path),
        });
    }
    if text.contains('\0') {
        return Err(LoadError::format(
            path,
            "le fichier contient des octets nuls : ce n'est pas un fichier texte (CSV)",
        ));
    }
    let delim = crate::table::sniff_delimiter(&text);
    // The header: the first of the first lines naming a square id column (title lines above
    // it are skipped, as the table importer does).
    let mut offset = 0usize;
    let mut header: Option<(u64, Vec<Role>, Vec<String>)> = None;
    for (n, line) in text.split_inclusive('\n').enumerate().take(50) {
        offset += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        let Some(names) = split_quoted(content, delim) else {
            return Ok(None);
        };
        let names: Vec<String> = names.iter().map(|s| s.trim().to_owned()).collect();
        if let Some((roles, numeric)) = roles_of(&names) {
            header = Some((n as u64 + 1, roles, numeric));
            break;
        }
    }
    let Some((header_line, roles, numeric_names)) = header else {
        return Err(LoadError::format(
            path,
            "colonne d'identifiant de carreau absente (attendu : Idcar_200m, au format \
             CRS3035RES200mN…E…)",
        ));
    };
    let body = text.get(offset..).unwrap_or_default();
    // Chunks of whole lines, one per core.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pieces = if body.len() < 1 << 20 { 1 } else { threads };
    let mut bounds = vec![0usize];
    for k in 1..pieces {
        let target = body.len() * k / pieces;
        let from = (*bounds.last().unwrap_or(&0)).max(target);
        let end = body
            .as_bytes()
            .get(from..)
            .and_then(|b| b.iter().position(|c| *c == b'\n'))
            .map_or(body.len(), |p| from + p + 1);
        bounds.push(end);
    }
    bounds.push(body.len());
    bounds.dedup();
    let slices: Vec<&str> = bounds
        .windows(2)
        .filter_map(|w| body.get(*w.first()?..*w.get(1)?))
        .collect();
    // Each chunk gets one slot per line (an upper bound of its rows) in every output column,
    // so that the chunks write in place, in parallel; the slots left empty are closed up after.
    let newlines: Vec<usize> = std::thread::scope(|scope| {
        let handles: Vec<_> = slices
            .iter()
            .map(|s| scope.spawn(move || s.bytes().filter(|c| *c == b'\n').count()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).collect()
    });
    let slots: Vec<usize> = newlines.iter().map(|n| n + 1).collect();
    let total: usize = slots.iter().sum();
    let numeric = numeric_names.len();
    let mut cells: Vec<Option<CellId>> = vec![None; total];
    let mut lines: Vec<u64> = vec![0; total];
    let mut imputed: Vec<bool> = vec![false; total];
    let mut communes: Vec<Vec<String>> = vec![Vec::new(); total];
    let mut columns: Vec<Vec<f64>> = (0..numeric).map(|_| vec![f64::NAN; total]).collect();
    let reports: Vec<ChunkReport> = {
        let cell_parts = split_parts(&mut cells, &slots);
        let line_parts = split_parts(&mut lines, &slots);
        let imputed_parts = split_parts(&mut imputed, &slots);
        let commune_parts = split_parts(&mut communes, &slots);
        let mut number_parts: Vec<Vec<&mut [f64]>> = slices.iter().map(|_| Vec::new()).collect();
        for column in &mut columns {
            for (c, part) in split_parts(column, &slots).into_iter().enumerate() {
                if let Some(p) = number_parts.get_mut(c) {
                    p.push(part);
                }
            }
        }
        let roles = &roles;
        std::thread::scope(|scope| {
            let handles: Vec<_> = slices
                .iter()
                .zip(cell_parts)
                .zip(line_parts)
                .zip(imputed_parts)
                .zip(commune_parts)
                .zip(number_parts)
                .map(|(((((s, cells), lines), imputed), communes), numbers)| {
                    let out = ChunkOut {
                        cells,
                        lines,
                        imputed,
                        communes,
                        numbers,
                    };
                    scope.spawn(move || parse_chunk(s, roles, delim, out))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| match h.join() {
                    Ok(r) => r,
                    Err(panic) => std::panic::resume_unwind(panic),
                })
                .collect()
        })
    };
    if reports.iter().any(|r| r.open_quote) {
        return Ok(None);
    }
    // Lines numbered from the file's first line, as an editor shows them.
    let mut first_line = header_line + 1;
    let mut at = 0usize;
    for ((report, slot), n) in reports.iter().zip(&slots).zip(&newlines) {
        for line in lines.get_mut(at..at + report.rows).unwrap_or_default() {
            *line += first_line;
        }
        at += slot;
        first_line += *n as u64;
    }
    let rows: Vec<usize> = reports.iter().map(|r| r.rows).collect();
    compact(&mut cells, &slots, &rows);
    compact(&mut lines, &slots, &rows);
    compact(&mut imputed, &slots, &rows);
    compact(&mut communes, &slots, &rows);
    let mut text_seen = vec![false; numeric];
    for report in &reports {
        for (all, part) in text_seen.iter_mut().zip(&report.text_seen) {
            *all |= *part;
        }
    }
    let fields = numeric_names
        .into_iter()
        .zip(columns)
        .zip(text_seen)
        .filter_map(|((name, mut values), text)| {
            if text {
                return None;
            }
            compact(&mut values, &slots, &rows);
            values
                .iter()
                .any(|v| !v.is_nan())
                .then_some(GridField { name, values })
        })
        .collect();
    let parsed = Parsed {
        cells,
        origins: lines,
        imputed,
        communes,
        fields,
    };
    let source = SourceInfo {
        path: path.to_owned(),
        format: "CSV".to_owned(),
        layer: None,
        encoding: Some(encoding.label()),
        crs: None,
        problems: Vec::new(),
    };
    Ok(Some((parsed, source)))
}

/// The grid read from attribute columns of values (GeoPackage, or a CSV read by the table
/// importer).
fn parsed_from_values(
    path: &Path,
    names: &[String],
    columns: Vec<Vec<Value>>,
    origins: Vec<u64>,
) -> Result<Parsed, LoadError> {
    let Some((roles, numeric_names)) = roles_of(names) else {
        return Err(LoadError::format(
            path,
            "colonne d'identifiant de carreau absente (attendu : Idcar_200m, au format \
             CRS3035RES200mN…E…)",
        ));
    };
    let rows = columns.first().map_or(0, Vec::len);
    let mut parsed = Parsed {
        cells: vec![None; rows],
        origins: (0..rows)
            .map(|r| origins.get(r).copied().unwrap_or(r as u64 + 1))
            .collect(),
        imputed: vec![false; rows],
        communes: vec![Vec::new(); rows],
        fields: Vec::new(),
    };
    let text = |v: &Value| match v {
        Value::Missing(_) => None,
        other => Some(other.to_string()),
    };
    let mut numeric: Vec<Option<GridField>> = numeric_names
        .into_iter()
        .map(|name| {
            Some(GridField {
                name,
                values: Vec::new(),
            })
        })
        .collect();
    for (column, role) in columns.into_iter().zip(roles) {
        match role {
            Role::Id => {
                for (slot, v) in parsed.cells.iter_mut().zip(&column) {
                    *slot = text(v).and_then(|t| parse_cell_id(&t));
                }
            }
            Role::Imputed => {
                for (slot, v) in parsed.imputed.iter_mut().zip(&column) {
                    *slot = text(v).is_some_and(|t| is_imputed(&t));
                }
            }
            Role::Communes => {
                for (slot, v) in parsed.communes.iter_mut().zip(&column) {
                    *slot = text(v).map(|t| split_communes(&t)).unwrap_or_default();
                }
            }
            Role::Number(k) => {
                let is_numeric = column
                    .iter()
                    .all(|v| matches!(v, Value::Number(_) | Value::Missing(_)))
                    && column.iter().any(|v| matches!(v, Value::Number(_)));
                if let Some(slot) = numeric.get_mut(k) {
                    match slot {
                        Some(field) if is_numeric => {
                            field.values = column
                                .iter()
                                .map(|v| v.as_f64().unwrap_or(f64::NAN))
                                .collect();
                        }
                        _ => *slot = None,
                    }
                }
            }
            Role::Skip => {}
        }
    }
    parsed.fields = numeric
        .into_iter()
        .flatten()
        .filter(|f| f.values.len() == rows)
        .collect();
    Ok(parsed)
}

fn build_grid(path: &Path, parsed: Parsed, mut source: SourceInfo) -> Result<GridLayer, LoadError> {
    let Parsed {
        cells: all_cells,
        origins: all_origins,
        imputed: all_imputed,
        communes: all_communes,
        fields: all_fields,
    } = parsed;
    let unreadable: Vec<u64> = all_cells
        .iter()
        .zip(&all_origins)
        .filter(|(c, _)| c.is_none())
        .map(|(_, o)| *o)
        .collect();
    if unreadable.len() == all_cells.len() {
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
    // Rows with an unreadable id are set aside (no copy when every id reads).
    let (cells, origins, imputed, communes, fields) = if unreadable.is_empty() {
        (
            all_cells.into_iter().flatten().collect::<Vec<_>>(),
            all_origins,
            all_imputed,
            all_communes,
            all_fields,
        )
    } else {
        let keep: Vec<bool> = all_cells.iter().map(Option::is_some).collect();
        let filter = |v: Vec<f64>| -> Vec<f64> {
            v.into_iter()
                .zip(&keep)
                .filter(|(_, k)| **k)
                .map(|(x, _)| x)
                .collect()
        };
        (
            all_cells.into_iter().flatten().collect(),
            all_origins
                .into_iter()
                .zip(&keep)
                .filter(|(_, k)| **k)
                .map(|(x, _)| x)
                .collect(),
            all_imputed
                .into_iter()
                .zip(&keep)
                .filter(|(_, k)| **k)
                .map(|(x, _)| x)
                .collect(),
            all_communes
                .into_iter()
                .zip(&keep)
                .filter(|(_, k)| **k)
                .map(|(x, _)| x)
                .collect(),
            all_fields
                .into_iter()
                .map(|f| GridField {
                    name: f.name,
                    values: filter(f.values),
                })
                .collect(),
        )
    };
    let transform = laea_to_wgs84(path)?;
    let centres: Vec<Point<f64>> = crate::parallel::map_indexed(&cells, |_, c| {
        let (e, n) = c.centre_3035();
        transform
            .convert(e, n)
            .map_or(Point::new(f64::NAN, f64::NAN), |(lon, lat)| {
                Point::new(lon, lat)
            })
    });
    let resolution = cells.first().map_or(200.0, |c| c.resolution_m);
    if !source.format.contains("carreaux") {
        source.format = format!("{} (carreaux Insee)", source.format);
    }
    source.crs = Some(format!(
        "EPSG:3035 (ETRS89 / LAEA Europe), carreaux de {} m placés d'après leur identifiant",
        crate::value::format_number(resolution)
    ));
    Ok(GridLayer {
        source,
        origins,
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
    use crate::model::{Column, ColumnBuilder, Field, FieldKind, Table, ZoneLayer};
    use geo::{LineString, MultiPolygon, Polygon};
    let transform = laea_to_wgs84(path)?;
    let geometries = crate::parallel::map_indexed(&grid.cells, |_, c| {
        let r = c.resolution_m;
        let corners = [
            (c.east_m, c.north_m),
            (c.east_m + r, c.north_m),
            (c.east_m + r, c.north_m + r),
            (c.east_m, c.north_m + r),
        ];
        let ring: Option<Vec<(f64, f64)>> = corners
            .iter()
            .map(|(e, n)| transform.convert(*e, *n))
            .collect();
        match ring {
            Some(mut ring) => {
                // Closed on its first corner, reprojected once.
                if let Some(&first) = ring.first() {
                    ring.push(first);
                }
                MultiPolygon::new(vec![Polygon::new(LineString::from(ring), vec![])])
            }
            None => MultiPolygon::new(vec![]),
        }
    });
    // Columns built straight from the grid's storage: the ids and the communes written into
    // one reused buffer and interned, the counts as numbers (NaN: missing); the two text
    // columns and the counts are built at the same time.
    let text_column = |text_of: &(dyn Fn(usize, &mut String) + Sync)| {
        let mut builder = ColumnBuilder::with_capacity(grid.cells.len());
        let mut buffer = String::new();
        for i in 0..grid.cells.len() {
            buffer.clear();
            text_of(i, &mut buffer);
            builder.push_text(&buffer);
        }
        builder.finish()
    };
    let (ids, communes, counts) = std::thread::scope(|scope| {
        let ids = scope.spawn(|| {
            text_column(&|i, buffer| {
                if let Some(c) = grid.cells.get(i) {
                    c.write_id(buffer);
                }
            })
        });
        let communes = scope.spawn(|| {
            text_column(&|i, buffer| {
                for (k, code) in grid.communes.get(i).into_iter().flatten().enumerate() {
                    if k > 0 {
                        buffer.push(' ');
                    }
                    buffer.push_str(code);
                }
            })
        });
        let counts = crate::parallel::map_indexed(&grid.fields, |_, f| {
            Column::from_numbers(f.values.iter().map(|&v| {
                if v.is_finite() {
                    Ok(v)
                } else {
                    Err(crate::value::Missing::Empty)
                }
            }))
        });
        let join = |h: std::thread::ScopedJoinHandle<'_, Column>| {
            h.join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        };
        (join(ids), join(communes), counts)
    });
    let mut fields = vec![
        Field {
            name: "Idcar_200m".to_owned(),
            kind: FieldKind::Text,
            values: ids,
        },
        Field {
            name: "I_est_200".to_owned(),
            kind: FieldKind::Number,
            values: Column::from_numbers(
                grid.imputed.iter().map(|i| Ok(if *i { 1.0 } else { 0.0 })),
            ),
        },
    ];
    for (f, values) in grid.fields.into_iter().zip(counts) {
        fields.push(Field {
            name: f.name,
            kind: FieldKind::Number,
            values,
        });
    }
    fields.push(Field {
        name: "lcog_geo".to_owned(),
        kind: FieldKind::Text,
        values: communes,
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
    fn ids_are_written_as_f64_displays_them() {
        let values = [
            200.0,
            1000.0,
            2_029_800.0,
            4_252_400.0,
            0.0,
            -0.0,
            -200.0,
            0.5,
            2_029_800.25,
            1e20,
            9_007_199_254_740_992.0,
            f64::NAN,
            f64::INFINITY,
            1e-7,
        ];
        for &resolution_m in &values {
            for &north_m in &values {
                let c = CellId {
                    resolution_m,
                    north_m,
                    east_m: north_m * 3.0,
                };
                let expected = format!("CRS3035RES{resolution_m}mN{north_m}E{}", c.east_m);
                assert_eq!(c.id(), expected);
            }
        }
    }

    fn write(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("cartosol-grid-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn own_reader_keeps_the_importer_guarantees() {
        // A title line, `;` and decimal commas, a BOM, a secrecy marker, a blank line, an
        // unreadable id, a quoted id, a commune code with a leading zero, Windows-1252 text in
        // a skipped column.
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(
            "Carreaux 200 m (titre)\n\
             Idcar_200m;I_est_200;Groupe;Men;Men_pauv;lcog_geo\r\n\
             CRS3035RES200mN2830200E3755800;0;a;12;1,5;01004\r\n\
             \n\
             \"CRS3035RES200mN2830400E3756000\";1;b;s;0,8;0100401005\n\
             pas un carreau;0;c;3;2;91001\n\
             CRS3035RES200mN2830600E3755600;0;d;7;;91069\n"
                .as_bytes(),
        );
        let path = write("guarantees.csv", &bytes);
        let grid = load_grid(&path).unwrap();
        assert_eq!(grid.len(), 3);
        assert_eq!(grid.source.encoding.as_deref(), Some("UTF-8 (avec BOM)"));
        // Lines as an editor numbers them: title 1, header 2, data from 3, blank line 4.
        assert_eq!(grid.origins, vec![3, 5, 7]);
        let problems: Vec<String> = grid.source.problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("ligne 6"), "{problems:?}");
        assert!(problems[0].contains("identifiant de carreau illisible"));
        let men = grid.field("men").unwrap();
        assert_eq!(men.values[0], 12.0);
        assert!(
            men.values[1].is_nan(),
            "the secrecy marker is missing, not zero"
        );
        let pauv = grid.field("Men_pauv").unwrap();
        assert_eq!(pauv.values[0], 1.5);
        assert_eq!(pauv.values[1], 0.8);
        assert!(pauv.values[2].is_nan());
        assert_eq!(grid.imputed, vec![false, true, false]);
        assert_eq!(grid.communes[0], vec!["01004".to_owned()]);
        assert_eq!(
            grid.communes[1],
            vec!["01004".to_owned(), "01005".to_owned()]
        );
        assert!(
            grid.field("Groupe").is_none(),
            "text columns are not counts"
        );
        assert_eq!(grid.cells[1].north_m, 2_830_400.0);
    }

    #[test]
    fn windows_1252_and_a_value_spanning_lines_are_read() {
        // Windows-1252 (é = 0xE9) in a text column.
        let path = write(
            "cp1252.csv",
            b"Idcar_200m,Groupe,Ind\nCRS3035RES200mN2830200E3755800,r\xE9gion,4\n",
        );
        let grid = load_grid(&path).unwrap();
        assert_eq!(
            grid.source.encoding.as_deref(),
            Some("Windows-1252 (CP1252)")
        );
        assert_eq!(grid.field("Ind").unwrap().values, vec![4.0]);
        // A quoted value over two lines: read by the table importer, same squares.
        let path = write(
            "multiline.csv",
            b"Idcar_200m,Groupe,Ind\nCRS3035RES200mN2830200E3755800,\"a\nb\",4\n\
              CRS3035RES200mN2830400E3756000,c,5\n",
        );
        let grid = load_grid(&path).unwrap();
        assert_eq!(grid.len(), 2);
        assert_eq!(grid.field("Ind").unwrap().values, vec![4.0, 5.0]);
        assert_eq!(grid.origins, vec![2, 4]);
    }

    #[test]
    fn a_column_of_text_is_not_a_count_and_no_id_is_an_error() {
        let path = write(
            "text.csv",
            b"Idcar_200m,Note,Ind\nCRS3035RES200mN2830200E3755800,bien,4\n\
              CRS3035RES200mN2830400E3756000,12,5\n",
        );
        let grid = load_grid(&path).unwrap();
        assert!(grid.field("Note").is_none());
        assert_eq!(grid.field("Ind").unwrap().values, vec![4.0, 5.0]);
        let path = write("noid.csv", b"code,Ind\n91001,4\n");
        let e = load_grid(&path).unwrap_err().to_string();
        assert!(
            e.contains("colonne d'identifiant de carreau absente"),
            "{e}"
        );
    }

    #[test]
    fn a_large_file_is_read_in_parallel_chunks_with_its_line_numbers() {
        // Over 1 MB (several chunks): a blank line after every 1000th row, one bad id.
        let mut text = String::from("Idcar_200m,Ind,lcog_geo\n");
        let mut expected_lines = Vec::new();
        let mut line = 1u64;
        for i in 0..40_000u64 {
            line += 1;
            if i == 25_000 {
                text.push_str("CRS3035RES200mNxE1,1,91001\n");
                continue;
            }
            text.push_str(&format!(
                "CRS3035RES200mN{}E{},{i},91{:03}\n",
                2_800_000 + (i / 100) * 200,
                3_700_000 + (i % 100) * 200,
                i % 1000
            ));
            expected_lines.push(line);
            if i % 1000 == 999 {
                text.push('\n');
                line += 1;
            }
        }
        assert!(text.len() > 1 << 20);
        let path = write("large.csv", text.as_bytes());
        let grid = load_grid(&path).unwrap();
        assert_eq!(grid.len(), 39_999);
        assert_eq!(grid.origins, expected_lines);
        let ind = &grid.field("Ind").unwrap().values;
        let expected: Vec<f64> = (0..40_000u64)
            .filter(|i| *i != 25_000)
            .map(|i| i as f64)
            .collect();
        assert_eq!(ind, &expected);
        assert_eq!(grid.communes[39_998], vec!["91999".to_owned()]);
        assert_eq!(grid.cells[39_998].east_m, 3_700_000.0 + 99.0 * 200.0);
        // The bad id: line 1 (header) + 25,001 data lines + 25 blank lines before it.
        let problems: Vec<String> = grid.source.problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(problems.len(), 1);
        assert!(problems[0].contains("ligne 25027"), "{problems:?}");
    }

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
