//! Tabular files as French public data ships them: CSV (delimiter sniffing, BOM, UTF-8 then
//! CP1252, decimal commas, thousands spaces) and workbooks (XLSX, XLS, ODS through calamine),
//! with the header row detected below title rows and INSEE missing-value markers kept.

use crate::codes::is_code_field_name;
use crate::error::{LoadError, Place, Problem};
use crate::model::{Field, FieldKind, SourceInfo, Table};
use crate::text::{TextEncoding, decode_auto};
use crate::value::{CellClass, Missing, Value, classify_cell, format_number};
use calamine::{Data, Reader};
use std::path::Path;

/// Options for reading a table; every one is detected when left to `None`.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TableOptions {
    /// The sheet of a workbook (the first one by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// The 1-based row (line) holding the column names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_row: Option<usize>,
    /// The CSV delimiter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<char>,
}

/// A table with what was detected while reading it.
#[derive(Clone, Debug)]
pub struct LoadedTable {
    /// The attributes.
    pub table: Table,
    /// Where it came from, encoding and problems included.
    pub source: SourceInfo,
    /// The 1-based row (line) of the header.
    pub header_row: usize,
    /// The sheets of the workbook (empty for CSV).
    pub sheets: Vec<String>,
    /// The CSV delimiter used.
    pub delimiter: Option<char>,
}

/// A raw cell before column typing.
#[derive(Clone, Debug, PartialEq)]
pub enum RawCell {
    /// A blank cell (or a CSV field of spaces only).
    Empty,
    /// A numeric workbook cell (CSV fields are always text at this stage).
    Number(f64),
    /// A text cell as read, untrimmed (booleans and dates of workbooks included).
    Text(String),
    /// A spreadsheet error cell (`#N/A`, `#DIV/0!`…).
    Error(String),
}

impl RawCell {
    fn is_empty(&self) -> bool {
        match self {
            RawCell::Empty => true,
            RawCell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }
}

/// A raw row and the 1-based line or sheet row it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct RawRow {
    /// The 1-based line (CSV) or sheet row (workbook).
    pub origin: u64,
    /// The cells, left to right from the sheet's first column.
    pub cells: Vec<RawCell>,
}

/// The kind of tabular file, from its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableFormat {
    /// Delimited text (`.csv`, `.txt`, `.tsv`).
    Csv,
    /// Office Open XML workbook (`.xlsx`, `.xlsm`).
    Xlsx,
    /// Legacy Excel workbook (`.xls`).
    Xls,
    /// OpenDocument spreadsheet (`.ods`).
    Ods,
}

impl TableFormat {
    /// The format of `path` from its extension, if it is a table.
    pub fn from_path(path: &Path) -> Option<TableFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "txt" | "tsv" => Some(TableFormat::Csv),
            "xlsx" | "xlsm" => Some(TableFormat::Xlsx),
            "xls" => Some(TableFormat::Xls),
            "ods" => Some(TableFormat::Ods),
            _ => None,
        }
    }

    fn label(self) -> &'static str {
        match self {
            TableFormat::Csv => "CSV",
            TableFormat::Xlsx => "XLSX",
            TableFormat::Xls => "XLS",
            TableFormat::Ods => "ODS",
        }
    }
}

/// Longest column name that reads as a name; a longer one is a malformed header (a whole line
/// read as one name, a wrong delimiter or encoding).
pub const MAX_COLUMN_NAME_CHARS: usize = 200;

/// Problems of the header a reader must see before using the table (also what `join` sees):
/// a column name too long to be a name, and a table without data rows.
fn header_problems(table: &Table, header_line: u64, problems: &mut Vec<Problem>) {
    for (i, f) in table.fields.iter().enumerate() {
        let n = f.name.chars().count();
        if n > MAX_COLUMN_NAME_CHARS {
            problems.push(Problem::at(
                Place::Line(header_line),
                format!(
                    "colonne {} : nom de {n} caractères — en-tête probablement mal formé \
                     (séparateur ou encodage faux, ligne sans séparateur)",
                    i + 1
                ),
            ));
        }
    }
    if table.is_empty() {
        problems.push(Problem::at(
            Place::Line(header_line),
            "aucune ligne de données sous l'en-tête",
        ));
    }
}

/// Reads a table file (CSV, XLSX, XLS, ODS).
pub fn load_table(path: &Path, options: &TableOptions) -> Result<LoadedTable, LoadError> {
    let format = TableFormat::from_path(path).ok_or_else(|| {
        LoadError::format(
            path,
            "extension non reconnue pour un tableau (attendu : .csv, .xlsx, .xls, .ods)",
        )
    })?;
    let bytes = std::fs::read(path).map_err(|e| LoadError::io(path, e))?;
    if bytes.is_empty() {
        return Err(LoadError::Empty {
            file: crate::error::display_name(path),
        });
    }
    let (rows, sheets, sheet, encoding, delimiter) = match format {
        TableFormat::Csv => {
            let (rows, enc, delim) = read_csv_grid(path, &bytes, options.delimiter)?;
            (rows, Vec::new(), None, Some(enc.label()), Some(delim))
        }
        _ => {
            check_workbook_magic(path, &bytes, format)?;
            let (rows, sheets, sheet) = guard_workbook(path, || {
                read_sheet_grid(path, bytes, options.sheet.as_deref())
            })?;
            (rows, sheets, Some(sheet), None, None)
        }
    };
    let mut source = SourceInfo {
        path: path.to_owned(),
        format: format.label().to_owned(),
        layer: sheet.clone(),
        encoding,
        crs: None,
        problems: Vec::new(),
    };
    let header_index = match options.header_row {
        Some(row) => rows
            .iter()
            .position(|r| r.origin == row as u64)
            .ok_or_else(|| {
                LoadError::format(path, format!("la ligne d'en-tête {row} n'existe pas"))
            })?,
        None => detect_header(&rows).ok_or_else(|| {
            LoadError::format(path, "aucune ligne de données : le tableau est vide")
        })?,
    };
    let header_row = rows.get(header_index).map_or(1, |r| r.origin as usize);
    let place_of = |origin: u64, column: &str| match &sheet {
        Some(sheet) => Place::Cell {
            sheet: sheet.clone(),
            cell: format!("{}{}", column, origin),
        },
        None => Place::LineColumn {
            line: origin,
            column: column.to_owned(),
        },
    };
    let table = build_table(
        path,
        &rows,
        header_index,
        format == TableFormat::Csv,
        &place_of,
        &mut source.problems,
    )?;
    header_problems(&table, header_row as u64, &mut source.problems);
    Ok(LoadedTable {
        table,
        source,
        header_row,
        sheets,
        delimiter,
    })
}

/// The sheet names of a workbook.
pub fn list_sheets(path: &Path) -> Result<Vec<String>, LoadError> {
    let format = TableFormat::from_path(path)
        .ok_or_else(|| LoadError::format(path, "ce fichier n'est pas un classeur"))?;
    if format == TableFormat::Csv {
        return Ok(Vec::new());
    }
    let bytes = std::fs::read(path).map_err(|e| LoadError::io(path, e))?;
    check_workbook_magic(path, &bytes, format)?;
    guard_workbook(path, || {
        let workbook = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
            .map_err(|e| LoadError::format(path, format!("classeur illisible ({e})")))?;
        Ok(workbook.sheet_names())
    })
}

/// Runs a calamine read, turning a panic into an error naming the file: calamine panics on
/// some corrupt workbooks (a truncated `.xls` indexes past its sectors, a cell reference like
/// `ZZZZZZZZ1` overflows its arithmetic), and a corrupt file must not take the app down.
fn guard_workbook<T>(
    path: &Path,
    read: impl FnOnce() -> Result<T, LoadError>,
) -> Result<T, LoadError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or_else(|_| {
        Err(LoadError::format(
            path,
            "classeur illisible : structure interne incohérente (fichier tronqué ou corrompu)",
        ))
    })
}

fn check_workbook_magic(path: &Path, bytes: &[u8], format: TableFormat) -> Result<(), LoadError> {
    let zip = bytes.starts_with(b"PK\x03\x04");
    let ole = bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]);
    let ok = match format {
        TableFormat::Xlsx | TableFormat::Ods => zip,
        TableFormat::Xls => ole || zip,
        TableFormat::Csv => true,
    };
    if ok {
        if ole && let Some(sector) = ole_chain_loop(bytes) {
            return Err(LoadError::format(
                path,
                format!(
                    "classeur illisible : structure interne incohérente (la chaîne du secteur \
                     {sector} boucle sur elle-même : fichier corrompu)"
                ),
            ));
        }
        return Ok(());
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut message = crate::error::wrong_content(&ext, bytes, "un classeur");
    if message.contains("page HTML") {
        message.push_str(" : ouvrez-le dans un tableur et enregistrez-le au format .xlsx");
    } else if message.contains("du texte") {
        message.push_str(" : renommez-le en .csv pour l'importer");
    }
    Err(LoadError::format(path, message))
}

/// The first sector of a loop in the allocation table (FAT) of an OLE compound file (`.xls`),
/// if any. calamine follows sector chains as written: a chain that loops back on itself made it
/// read forever, allocating as it went, until the memory was exhausted. A sound file has no
/// loop at all, so any loop is refused before calamine reads the file. Structures this check
/// cannot read (odd sector size, sectors past the end) are left to calamine's own errors.
fn ole_chain_loop(bytes: &[u8]) -> Option<u32> {
    const DIFSECT: u32 = 0xFFFF_FFFC;
    const RESERVED: u32 = 0xFFFF_FFFA;
    let words = |b: &[u8]| -> Vec<u32> {
        b.chunks_exact(4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
            .collect()
    };
    let sector_size: usize = match bytes.get(30..32)? {
        [9, 0] => 512,
        [12, 0] => 4096,
        _ => return None,
    };
    // Sector `id` follows the header, which fills the first sector. A sector cut by the end of
    // the file is read as calamine reads it: what is there, then zeros.
    let sector = |id: u32| -> Option<Vec<u8>> {
        let start = (id as usize).checked_add(1)?.checked_mul(sector_size)?;
        let tail = bytes.get(start..).filter(|t| !t.is_empty())?;
        let mut s = tail.get(..sector_size).unwrap_or(tail).to_vec();
        s.resize(sector_size, 0);
        Some(s)
    };
    let mut difat = words(bytes.get(76..512)?);
    let mut next = u32::from_le_bytes(bytes.get(68..72)?.try_into().ok()?);
    let sectors = bytes.len() / sector_size + 1;
    let mut hops = 0;
    while next < RESERVED {
        hops += 1;
        if hops > sectors {
            return Some(next);
        }
        difat.extend(words(&sector(next)?));
        next = difat.pop()?;
    }
    let mut fat = Vec::new();
    for id in difat.into_iter().filter(|id| *id < DIFSECT) {
        fat.extend(words(&sector(id)?));
    }
    // Each chain walked once: 1 = on the chain being walked, 2 = known to end.
    let mut state = vec![0u8; fat.len()];
    for start in 0..fat.len() {
        let mut walked = Vec::new();
        let mut at = start;
        loop {
            match state.get_mut(at) {
                Some(s) if *s == 0 => {
                    *s = 1;
                    walked.push(at);
                    at = fat.get(at).map_or(usize::MAX, |n| *n as usize);
                }
                Some(s) if *s == 1 => return u32::try_from(at).ok(),
                _ => break,
            }
        }
        for i in walked {
            if let Some(s) = state.get_mut(i) {
                *s = 2;
            }
        }
    }
    None
}

/// Reads a CSV file into raw rows: decoding, delimiter sniffing, real CSV quoting.
pub fn read_csv_grid(
    path: &Path,
    bytes: &[u8],
    delimiter: Option<char>,
) -> Result<(Vec<RawRow>, TextEncoding, char), LoadError> {
    let (text, encoding) = decode_auto(bytes);
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
    let delim = match delimiter {
        Some(d) => d,
        None => sniff_delimiter(&text),
    };
    let delim_byte = u8::try_from(delim).map_err(|_| {
        LoadError::format(path, format!("séparateur « {delim} » non pris en charge"))
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delim_byte)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut last_start: Option<(u64, usize)> = None;
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(0, |p| p.line());
                last_start = record.position().map(|p| (p.line(), p.byte() as usize));
                rows.push(RawRow {
                    origin: line,
                    cells: record
                        .iter()
                        .map(|s| {
                            if s.trim().is_empty() {
                                RawCell::Empty
                            } else {
                                RawCell::Text(s.to_owned())
                            }
                        })
                        .collect(),
                });
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err(LoadError::invalid(
                    path,
                    Place::Line(line),
                    format!("ligne CSV illisible ({e})"),
                ));
            }
        }
    }
    // An opening quote never closed swallows the rest of the file into one value: say so.
    if let Some((line, byte)) = last_start
        && let Some(tail) = text.get(byte..)
        && tail.matches('"').count() % 2 == 1
        && tail.trim_end().contains('\n')
    {
        return Err(LoadError::invalid(
            path,
            Place::Line(line),
            "guillemet « \" » ouvert et jamais fermé : la suite du fichier est lue comme une seule valeur",
        ));
    }
    Ok((rows, encoding, delim))
}

/// Picks the delimiter among `;`, `,`, tab and `|` that splits the most lines into the same
/// number (≥ 2) of fields.
pub fn sniff_delimiter(text: &str) -> char {
    let sample: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(50)
        .collect();
    let sample_text = sample.join("\n");
    let mut best = (';', 0usize, 0usize);
    for candidate in [';', ',', '\t', '|'] {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(candidate as u8)
            .has_headers(false)
            .flexible(true)
            .from_reader(sample_text.as_bytes());
        let mut counts: Vec<usize> = Vec::new();
        for record in reader.records().flatten() {
            counts.push(record.len());
        }
        let mut freq: Vec<(usize, usize)> = Vec::new();
        for c in counts.iter().copied().filter(|&c| c >= 2) {
            match freq.iter_mut().find(|(k, _)| *k == c) {
                Some((_, n)) => *n += 1,
                None => freq.push((c, 1)),
            }
        }
        if let Some(&(width, n)) = freq.iter().max_by_key(|(w, n)| (*n, *w))
            && (n, width) > (best.1, best.2)
        {
            best = (candidate, n, width);
        }
    }
    best.0
}

fn read_sheet_grid(
    path: &Path,
    bytes: Vec<u8>,
    sheet: Option<&str>,
) -> Result<(Vec<RawRow>, Vec<String>, String), LoadError> {
    let mut workbook = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e| LoadError::format(path, format!("classeur illisible ({e})")))?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(wanted) => names
            .iter()
            .find(|n| n.as_str() == wanted)
            .or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(wanted)))
            .cloned()
            .ok_or_else(|| {
                LoadError::format(
                    path,
                    format!(
                        "feuille « {wanted} » introuvable (feuilles : {})",
                        names
                            .iter()
                            .map(|n| format!("« {n} »"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| LoadError::format(path, "le classeur ne contient aucune feuille"))?,
    };
    let range = workbook
        .worksheet_range(&name)
        .map_err(|e| LoadError::format(path, format!("feuille « {name} » illisible ({e})")))?;
    let (row0, col0) = range.start().unwrap_or((0, 0));
    let mut rows = Vec::new();
    for (i, row) in range.rows().enumerate() {
        let mut cells: Vec<RawCell> = Vec::with_capacity(row.len() + col0 as usize);
        cells.resize(col0 as usize, RawCell::Empty);
        cells.extend(row.iter().map(|cell| match cell {
            Data::Empty => RawCell::Empty,
            Data::Int(i) => RawCell::Number(*i as f64),
            Data::Float(x) => RawCell::Number(*x),
            Data::String(s) => RawCell::Text(s.clone()),
            Data::Bool(b) => RawCell::Text(if *b { "VRAI" } else { "FAUX" }.to_owned()),
            Data::DateTime(d) => RawCell::Text(d.to_string()),
            Data::DateTimeIso(s) | Data::DurationIso(s) => RawCell::Text(s.clone()),
            Data::Error(e) => RawCell::Error(e.to_string()),
        }));
        rows.push(RawRow {
            origin: u64::from(row0) + i as u64 + 1,
            cells,
        });
    }
    Ok((rows, names, name))
}

/// Finds the header row below title rows: the first row whose cells are all text and which fills
/// at least half of the table's width. Returns its index in `rows`.
pub fn detect_header(rows: &[RawRow]) -> Option<usize> {
    let width = |r: &RawRow| r.cells.iter().filter(|c| !c.is_empty()).count();
    let max_width = rows.iter().take(60).map(width).max()?;
    if max_width == 0 {
        return None;
    }
    let needed = max_width.div_ceil(2).max(2.min(max_width));
    rows.iter()
        .take(40)
        .position(|r| {
            let filled = width(r);
            let all_text = r.cells.iter().all(|c| match c {
                RawCell::Empty => true,
                RawCell::Text(s) => s.trim().is_empty() || crate::value::parse_number(s).is_none(),
                _ => false,
            });
            filled >= needed && all_text
        })
        .or_else(|| rows.iter().position(|r| width(r) > 0))
}

/// Column letters of a spreadsheet (`0` → `A`, `27` → `AB`).
pub fn column_letters(mut index: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// Turns raw rows into a typed table, the header being `rows[header_index]`.
///
/// `strict_width`: a data row with more non-empty cells than the header, or fewer cells, is an
/// error (CSV); workbooks are ragged by nature and only the extra non-empty cells count.
pub fn build_table(
    path: &Path,
    rows: &[RawRow],
    header_index: usize,
    strict_width: bool,
    place_of: &dyn Fn(u64, &str) -> Place,
    problems: &mut Vec<Problem>,
) -> Result<Table, LoadError> {
    let header = rows
        .get(header_index)
        .ok_or_else(|| LoadError::format(path, "aucune ligne d'en-tête"))?;
    let mut names: Vec<String> = Vec::new();
    // Names seen so far, lowercased: a set, as a malformed header may hold tens of thousands of
    // columns (comparing each name with all the previous ones took a minute for 57,000).
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    let last_named = header
        .cells
        .iter()
        .rposition(|c| !c.is_empty())
        .map_or(0, |i| i + 1);
    for (i, cell) in header.cells.iter().take(last_named).enumerate() {
        let raw = match cell {
            RawCell::Text(s) => s.trim().trim_start_matches('\u{feff}').to_owned(),
            RawCell::Number(x) => format_number(*x),
            RawCell::Error(e) => e.clone(),
            RawCell::Empty => String::new(),
        };
        let mut name = if raw.is_empty() {
            format!("colonne_{}", column_letters(i))
        } else {
            raw
        };
        if seen.contains(&name.to_ascii_lowercase()) {
            let renamed = format!("{name}_{}", i + 1);
            problems.push(Problem::at(
                Place::Line(header.origin),
                format!("colonne « {name} » en double, renommée « {renamed} »"),
            ));
            name = renamed;
        }
        seen.insert(name.to_ascii_lowercase());
        names.push(name);
    }
    if names.is_empty() {
        return Err(LoadError::format(path, "la ligne d'en-tête est vide"));
    }
    let width = names.len();
    let mut data: Vec<&RawRow> = Vec::new();
    for row in rows.iter().skip(header_index + 1) {
        if row.cells.iter().all(RawCell::is_empty) {
            continue;
        }
        let last_filled = row
            .cells
            .iter()
            .rposition(|c| !c.is_empty())
            .map_or(0, |i| i + 1);
        if last_filled > width {
            return Err(LoadError::invalid(
                path,
                Place::Line(row.origin),
                format!(
                    "{} valeurs alors que l'en-tête (ligne {}) compte {} colonnes",
                    last_filled, header.origin, width
                ),
            ));
        }
        if strict_width && row.cells.len() < width {
            return Err(LoadError::invalid(
                path,
                Place::Line(row.origin),
                format!(
                    "{} valeurs alors que l'en-tête (ligne {}) compte {} colonnes",
                    row.cells.len(),
                    header.origin,
                    width
                ),
            ));
        }
        data.push(row);
    }
    let mut fields = Vec::with_capacity(width);
    for (col, name) in names.into_iter().enumerate() {
        let cells: Vec<&RawCell> = data
            .iter()
            .map(|r| r.cells.get(col).unwrap_or(&RawCell::Empty))
            .collect();
        let letters = column_letters(col);
        let column_label = if strict_width { name.clone() } else { letters };
        let field = type_column(
            name,
            &cells,
            |i| place_of(data.get(i).map_or(0, |r| r.origin), &column_label),
            problems,
        );
        fields.push(field);
    }
    Ok(Table {
        fields,
        row_origin: data.iter().map(|r| r.origin).collect(),
    })
}

/// Types one column: numeric when every present cell is a number or an INSEE marker, text
/// otherwise; code columns (by name) and values with a leading zero always stay text.
fn type_column(
    name: String,
    cells: &[&RawCell],
    place: impl Fn(usize) -> Place,
    problems: &mut Vec<Problem>,
) -> Field {
    let as_text = |cell: &RawCell| -> Value {
        match cell {
            RawCell::Empty => Value::Missing(Missing::Empty),
            RawCell::Number(x) => Value::Text(format_number(*x).replace(',', ".")),
            RawCell::Text(s) => Value::Text(s.trim().to_owned()),
            RawCell::Error(_) => Value::Missing(Missing::NotAvailable),
        }
    };
    let code_like = is_code_field_name(&name);
    let mut numeric = !code_like;
    let mut present = 0usize;
    let mut numbers = 0usize;
    let mut first_other: Option<(usize, String)> = None;
    for (i, cell) in cells.iter().enumerate() {
        match cell {
            RawCell::Empty | RawCell::Error(_) => {}
            RawCell::Number(_) => {
                present += 1;
                numbers += 1;
            }
            RawCell::Text(s) => {
                present += 1;
                let t = s.trim();
                let leading_zero =
                    t.len() > 1 && t.starts_with('0') && t.chars().all(|c| c.is_ascii_digit());
                match classify_cell(t) {
                    CellClass::Number(_) if !leading_zero => numbers += 1,
                    CellClass::Missing(_) => {}
                    _ => {
                        numeric = false;
                        if first_other.is_none() {
                            first_other = Some((i, t.to_owned()));
                        }
                    }
                }
            }
        }
    }
    if numbers == 0 {
        numeric = false;
    }
    if !numeric {
        if !code_like
            && let Some((i, raw)) = &first_other
            && present >= 5
            && numbers * 10 >= present * 8
        {
            problems.push(Problem::at(
                place(*i),
                format!(
                    "valeur non numérique « {raw} » dans une colonne de nombres : \
                     la colonne « {name} » est lue comme du texte"
                ),
            ));
        }
        return Field {
            name,
            kind: FieldKind::Text,
            values: cells.iter().map(|c| as_text(c)).collect(),
        };
    }
    let values = cells
        .iter()
        .map(|cell| match cell {
            RawCell::Empty => Value::Missing(Missing::Empty),
            RawCell::Number(x) => Value::Number(*x),
            RawCell::Error(_) => Value::Missing(Missing::NotAvailable),
            RawCell::Text(s) => match classify_cell(s) {
                CellClass::Number(x) => Value::Number(x),
                CellClass::Missing(m) => Value::Missing(m),
                CellClass::Other => Value::Missing(Missing::NotAvailable),
            },
        })
        .collect();
    Field {
        name,
        kind: FieldKind::Number,
        values,
    }
}

/// Types the columns of already-split rows (shapefile, GeoJSON and GeoPackage attributes).
/// `place(row, column)` names a cell for problem reports.
pub(crate) fn typed_table(
    names: &[String],
    rows: &[Vec<RawCell>],
    row_origin: Vec<u64>,
    place: &dyn Fn(usize, &str) -> Place,
    problems: &mut Vec<Problem>,
) -> Table {
    let fields = names
        .iter()
        .enumerate()
        .map(|(col, name)| {
            let cells: Vec<&RawCell> = rows
                .iter()
                .map(|r| r.get(col).unwrap_or(&RawCell::Empty))
                .collect();
            type_column(name.clone(), &cells, |row| place(row, name), problems)
        })
        .collect();
    Table { fields, row_origin }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_rows(lines: &[&[&str]]) -> Vec<RawRow> {
        lines
            .iter()
            .enumerate()
            .map(|(i, cells)| RawRow {
                origin: i as u64 + 1,
                cells: cells
                    .iter()
                    .map(|s| {
                        if s.is_empty() {
                            RawCell::Empty
                        } else {
                            RawCell::Text((*s).to_owned())
                        }
                    })
                    .collect(),
            })
            .collect()
    }

    #[test]
    fn header_below_insee_title_rows() {
        let rows = text_rows(&[
            &["Revenus et pauvreté des ménages en 2021"],
            &["Source : Insee, Filosofi"],
            &["Champ : ménages fiscaux"],
            &[""],
            &["Note : s = secret statistique"],
            &["CODGEO", "LIBGEO", "NBMENFISC21", "TP6021"],
            &["91001", "Abbéville-la-Rivière", "120", "s"],
        ]);
        assert_eq!(detect_header(&rows), Some(5));
    }

    #[test]
    fn delimiter_sniffing() {
        assert_eq!(sniff_delimiter("a;b;c\n1,5;2;3\n4;5,2;6\n"), ';');
        assert_eq!(sniff_delimiter("a,b,c\n1.5,2,3\n"), ',');
        assert_eq!(sniff_delimiter("a\tb\tc\n1\t2\t3\n"), '\t');
        assert_eq!(sniff_delimiter("a|b\n1|2\n"), '|');
    }

    #[test]
    fn column_letters_like_a_spreadsheet() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }
}
