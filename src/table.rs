//! Tabular files as French public data ships them: CSV (delimiter sniffing, BOM, UTF-8 then
//! CP1252, decimal commas, thousands spaces) and workbooks (XLSX, XLS, ODS through calamine),
//! with the header row detected below title rows and INSEE missing-value markers kept.

use crate::codes::is_code_field_name;
use crate::error::{LoadError, Place, Problem};
use crate::model::{ColumnBuilder, Field, FieldKind, SourceInfo, Table};
use crate::text::{TextEncoding, decode_auto};
use crate::value::{CellClass, Missing, classify_cell, format_number};
use calamine::{Data, DataRef, Reader};

mod csv_stream;
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
    /// Notes found under the data (« Source : Insee, Filosofi 2020 », « Note : s = secret
    /// statistique »), with their 1-based line or sheet row: skipped as data, kept as the
    /// table's source text.
    pub notes: Vec<(u64, String)>,
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
    let mut problems = Vec::new();
    let (rows, sheets, sheet, encoding, delimiter) = match format {
        TableFormat::Csv => {
            let bytes = std::fs::read(path).map_err(|e| LoadError::io(path, e))?;
            if bytes.is_empty() {
                return Err(LoadError::Empty {
                    file: crate::error::display_name(path),
                });
            }
            let (text, enc) = decode_csv(path, &bytes)?;
            let delim = csv_delimiter(path, &text, options.delimiter)?;
            // Typed columns straight from the bytes; the generic path (every row kept as
            // text first) only when the header is not among the first rows.
            if let Some(csv) = csv_stream::read_csv_table(
                path,
                &text,
                delim as u8,
                options.header_row,
                &mut problems,
            )? {
                return Ok(finish_loaded(
                    csv.table,
                    SourceInfo {
                        path: path.to_owned(),
                        format: format.label().to_owned(),
                        layer: None,
                        encoding: Some(enc.label()),
                        crs: None,
                        problems,
                    },
                    csv.header_line as usize,
                    Vec::new(),
                    Some(delim),
                    csv.notes,
                ));
            }
            let (rows, enc, delim) = read_csv_grid(path, &bytes, options.delimiter)?;
            (rows, Vec::new(), None, Some(enc.label()), Some(delim))
        }
        _ => {
            // A workbook is read from the file as a stream, never as a whole in memory; a
            // panic of calamine on a corrupt file becomes an error naming the file.
            let head = read_head(path)?;
            check_workbook_magic(path, &head, format)?;
            let (rows, sheets, sheet) = guard_workbook(path, || {
                read_sheet_grid(path, options.sheet.as_deref(), &mut problems)
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
        problems,
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
    let (table, notes) = build_table(
        path,
        &rows,
        header_index,
        format == TableFormat::Csv,
        &place_of,
        &mut source.problems,
    )?;
    Ok(finish_loaded(
        table, source, header_row, sheets, delimiter, notes,
    ))
}

/// The loaded table, with the problems every reader reports: the notes under the data, the
/// header's.
fn finish_loaded(
    table: Table,
    mut source: SourceInfo,
    header_row: usize,
    sheets: Vec<String>,
    delimiter: Option<char>,
    notes: Vec<(u64, String)>,
) -> LoadedTable {
    for (line, text) in &notes {
        source.problems.push(Problem::at(
            Place::Line(*line),
            format!("note sous les données, gardée comme note et non comme donnée : « {text} »"),
        ));
    }
    header_problems(&table, header_row as u64, &mut source.problems);
    LoadedTable {
        table,
        source,
        header_row,
        sheets,
        delimiter,
        notes,
    }
}

/// The sheet names of a workbook.
pub fn list_sheets(path: &Path) -> Result<Vec<String>, LoadError> {
    let format = TableFormat::from_path(path)
        .ok_or_else(|| LoadError::format(path, "ce fichier n'est pas un classeur"))?;
    if format == TableFormat::Csv {
        return Ok(Vec::new());
    }
    let head = read_head(path)?;
    check_workbook_magic(path, &head, format)?;
    guard_workbook(path, || Ok(open_workbook(path, &head)?.sheet_names()))
}

/// The first 4 KiB of a file (what tells its kind); an empty file is an error.
fn read_head(path: &Path) -> Result<Vec<u8>, LoadError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| LoadError::io(path, e))?;
    let mut head = Vec::with_capacity(4096);
    file.take(4096)
        .read_to_end(&mut head)
        .map_err(|e| LoadError::io(path, e))?;
    if head.is_empty() {
        return Err(LoadError::Empty {
            file: crate::error::display_name(path),
        });
    }
    Ok(head)
}

type Workbook = calamine::Sheets<std::io::BufReader<std::fs::File>>;

/// A run of text (or blanks) between two XML tags longer than the limit divided by this is
/// refused: the XML reader keeps such a run whole in memory, and no spreadsheet writes one (a
/// cell holds at most 32,767 characters); 16 MiB under the default limit.
const TEXT_RUN_DIVISOR: u64 = 256;

/// Checks the XML parts of a zipped workbook (XLSX, ODS) before the XML reader meets them,
/// streaming each entry in constant memory: the content once inflated within the read limit,
/// and no text run (text or blanks between two tags) the XML reader would have to hold whole.
/// Anything not a zip is left to the workbook reader to refuse.
fn check_zipped_xml(path: &Path) -> Result<(), LoadError> {
    use std::io::Read;
    let limits = crate::limits::current();
    if limits.megabytes.is_none() {
        return Ok(());
    }
    let max_run = limits.max_bytes() / TEXT_RUN_DIVISOR;
    let file = std::fs::File::open(path).map_err(|e| LoadError::io(path, e))?;
    let Ok(mut archive) = zip::ZipArchive::new(std::io::BufReader::new(file)) else {
        return Ok(());
    };
    let mut chunk = vec![0u8; 64 * 1024];
    let mut inflated = 0u64;
    for index in 0..archive.len() {
        let Ok(mut entry) = archive.by_index(index) else {
            continue;
        };
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        let lower = name.to_ascii_lowercase();
        if !(lower.ends_with(".xml") || lower.ends_with(".rels")) {
            continue;
        }
        let entry_path = path.join(&name);
        let mut run = 0u64;
        // ODS: the cells the repeat attributes announce, counted before calamine expands them.
        let mut ods = (lower == "content.xml").then(OdsCells::default);
        loop {
            let n = match entry.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                // A damaged entry: the workbook reader says what is wrong with it.
                Err(_) => break,
            };
            inflated += n as u64;
            if inflated > limits.max_bytes() {
                return Err(crate::limits::exceeded(
                    &entry_path,
                    "le classeur (une fois décompressé)",
                    &limits,
                ));
            }
            if let Some(ods) = ods.as_mut() {
                ods.feed(chunk.get(..n).unwrap_or_default());
                if let Some((sheet, row)) = ods.beyond_last_row {
                    return Err(LoadError::format(
                        &entry_path,
                        format!(
                            "feuille n° {sheet} : données à la ligne {row}, au-delà des {ODS_MAX_ROWS} \
                             lignes qu'un tableur lit (elles seraient ignorées) : classeur \
                             corrompu ou gonflé"
                        ),
                    ));
                }
                if ods.cells > limits.max_cells() {
                    return Err(crate::limits::exceeded(
                        &entry_path,
                        format!(
                            "le classeur (plus de {} cellules annoncées par ses répétitions)",
                            limits.max_cells()
                        ),
                        &limits,
                    ));
                }
            }
            let mut longest = 0u64;
            for &b in chunk.iter().take(n) {
                match b {
                    b'<' | b'>' => run = 0,
                    _ => {
                        run += 1;
                        longest = longest.max(run);
                    }
                }
            }
            if longest > max_run {
                return Err(LoadError::format(
                    &entry_path,
                    format!(
                        "plus de {} Mo de texte ou de blancs d'un seul tenant entre deux balises \
                         (une cellule compte au plus 32 767 caractères) : classeur corrompu ou \
                         gonflé ; ouvrez-le et réenregistrez-le dans un tableur, ou, s'il est \
                         légitime, relancez avec --limite-memoire {} (limite de lecture : {})",
                        max_run / (1024 * 1024),
                        limits.megabytes.unwrap_or(0).saturating_mul(2),
                        limits.label(),
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Rows calamine reads in an ODS sheet; rows past it are dropped.
const ODS_MAX_ROWS: u64 = 1_048_576;

/// Counts, in an ODS `content.xml` streamed in chunks, the cells calamine will build: per
/// sheet, the rows from the first to the last holding a value times the widest such row, the
/// `number-rows-repeated` / `number-columns-repeated` attributes expanded.
#[derive(Default)]
struct OdsCells {
    /// The tag being read (its first 4 KiB), when inside one.
    tag: Option<Vec<u8>>,
    sheet: u64,
    row_index: u64,
    row_repeat: u64,
    row_position: u64,
    row_width: u64,
    first_row: Option<u64>,
    last_row: u64,
    widest: u64,
    /// Cells of the sheets done and of the present one so far.
    cells: u64,
    done_cells: u64,
    /// The sheet (1-based) and row (1-based) of a value past [`ODS_MAX_ROWS`].
    beyond_last_row: Option<(u64, u64)>,
}

impl OdsCells {
    fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            match (&mut self.tag, b) {
                (None, b'<') => self.tag = Some(Vec::new()),
                (Some(_), b'>') => {
                    if let Some(tag) = self.tag.take() {
                        self.on_tag(&tag);
                    }
                }
                (Some(tag), _) if tag.len() < 4096 => tag.push(b),
                _ => {}
            }
        }
    }

    fn repeat(tag: &[u8], attribute: &[u8]) -> u64 {
        let Some(at) = tag.windows(attribute.len()).position(|w| w == attribute) else {
            return 1;
        };
        let digits = tag
            .get(at + attribute.len()..)
            .unwrap_or_default()
            .iter()
            .skip_while(|&&b| b == b'=' || b == b'"' || b == b'\'')
            .take_while(|b| b.is_ascii_digit())
            .fold(0u64, |n, &d| {
                n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
            });
        digits.max(1)
    }

    fn named(tag: &[u8], name: &[u8]) -> bool {
        tag.starts_with(name)
            && matches!(
                tag.get(name.len()),
                None | Some(b' ' | b'/' | b'\t' | b'\n' | b'\r')
            )
    }

    fn on_tag(&mut self, tag: &[u8]) {
        let self_closing = tag.ends_with(b"/");
        if Self::named(tag, b"table:table") {
            self.end_sheet();
            self.sheet += 1;
        } else if Self::named(tag, b"/table:table") {
            self.end_sheet();
        } else if Self::named(tag, b"table:table-row") {
            self.row_repeat = Self::repeat(tag, b"table:number-rows-repeated");
            self.row_position = 0;
            self.row_width = 0;
            if self_closing {
                self.end_row();
            }
        } else if Self::named(tag, b"/table:table-row") {
            self.end_row();
        } else if Self::named(tag, b"table:table-cell")
            || Self::named(tag, b"table:covered-table-cell")
        {
            let repeat = Self::repeat(tag, b"table:number-columns-repeated");
            self.row_position = self.row_position.saturating_add(repeat);
            let has_value = tag.windows(17).any(|w| w == b"office:value-type");
            if has_value || !self_closing {
                self.row_width = self.row_position;
            }
        }
    }

    fn end_row(&mut self) {
        if self.row_width > 0 {
            self.first_row.get_or_insert(self.row_index);
            self.last_row = self.row_index.saturating_add(self.row_repeat - 1);
            self.widest = self.widest.max(self.row_width);
            if self.last_row >= ODS_MAX_ROWS && self.beyond_last_row.is_none() {
                self.beyond_last_row = Some((self.sheet, self.last_row + 1));
            }
            let height = self.last_row + 1 - self.first_row.unwrap_or(0);
            self.cells = self
                .done_cells
                .saturating_add(height.saturating_mul(self.widest));
        }
        self.row_index = self.row_index.saturating_add(self.row_repeat);
        self.row_repeat = 1;
    }

    fn end_sheet(&mut self) {
        self.done_cells = self.cells;
        self.row_index = 0;
        self.row_repeat = 1;
        self.first_row = None;
        self.last_row = 0;
        self.widest = 0;
    }
}

/// Opens a workbook from its file (read as a stream: the sheets are inflated entry by entry
/// as they are read), its kind told by its content: OLE is XLS, a zip XLSX, XLSB or ODS.
fn open_workbook(path: &Path, head: &[u8]) -> Result<Workbook, LoadError> {
    use calamine::{Ods, Sheets, Xls, Xlsb, Xlsx};
    let file = || {
        std::fs::File::open(path)
            .map(std::io::BufReader::new)
            .map_err(|e| LoadError::io(path, e))
    };
    let unreadable =
        |e: &dyn std::fmt::Display| LoadError::format(path, format!("classeur illisible ({e})"));
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        // calamine reads an XLS (OLE) file whole: the file size is the memory it costs.
        let limits = crate::limits::current();
        let size = std::fs::metadata(path).map_or(0, |m| m.len());
        if size > limits.max_bytes() {
            return Err(crate::limits::exceeded(path, "le classeur", &limits));
        }
        // A sector chain that loops sends calamine round it forever: refused first (the
        // whole file is read for it, as calamine reads it whole anyway).
        let bytes = std::fs::read(path).map_err(|e| LoadError::io(path, e))?;
        if let Some(sector) = ole_chain_loop(&bytes) {
            return Err(LoadError::format(
                path,
                format!(
                    "classeur illisible : structure interne incohérente (la chaîne du secteur \
                     {sector} boucle sur elle-même : fichier corrompu)"
                ),
            ));
        }
        drop(bytes);
        return Xls::new(file()?)
            .map(Sheets::Xls)
            .map_err(|e| unreadable(&e));
    }
    check_zipped_xml(path)?;
    // The kind the extension names is tried first, and its error is the one reported.
    if TableFormat::from_path(path) == Some(TableFormat::Ods) {
        let first_error = match Ods::new(file()?) {
            Ok(x) => return Ok(Sheets::Ods(x)),
            Err(e) => e,
        };
        if let Ok(x) = Xlsx::new(file()?) {
            return Ok(Sheets::Xlsx(x));
        }
        return Err(unreadable(&first_error));
    }
    let first_error = match Xlsx::new(file()?) {
        Ok(x) => return Ok(Sheets::Xlsx(x)),
        Err(e) => e,
    };
    if let Ok(x) = Xlsb::new(file()?) {
        return Ok(Sheets::Xlsb(x));
    }
    if let Ok(x) = Ods::new(file()?) {
        return Ok(Sheets::Ods(x));
    }
    Err(unreadable(&first_error))
}

/// Runs a calamine read, turning a panic into an error naming the file: calamine panics on
/// some corrupt workbooks (a truncated `.xls` indexes past its sectors, a cell reference like
/// `ZZZZZZZZ1` overflows its arithmetic), and a corrupt file must not take the app down.
fn guard_workbook<T>(
    path: &Path,
    read: impl FnOnce() -> Result<T, LoadError>,
) -> Result<T, LoadError> {
    thread_local! {
        static GUARDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    // The panic becomes the French error below: Rust's « thread panicked at … » would only
    // confuse the analyst. A hook chained once keeps every other panic's report as it was.
    static QUIET_HOOK: std::sync::Once = std::sync::Once::new();
    QUIET_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
    GUARDED.with(|g| g.set(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read));
    GUARDED.with(|g| g.set(false));
    result.unwrap_or_else(|_| {
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

/// The text of a CSV file (UTF-8, else CP1252; UTF-16 with its mark): an empty file or one
/// holding NUL bytes is refused.
fn decode_csv<'a>(
    path: &Path,
    bytes: &'a [u8],
) -> Result<(std::borrow::Cow<'a, str>, TextEncoding), LoadError> {
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
    Ok((text, encoding))
}

/// The delimiter given, else the one sniffed; only a one-byte (ASCII) delimiter is read.
fn csv_delimiter(path: &Path, text: &str, delimiter: Option<char>) -> Result<char, LoadError> {
    let delim = match delimiter {
        Some(d) => d,
        None => sniff_delimiter(text),
    };
    if delim.is_ascii() {
        Ok(delim)
    } else {
        Err(LoadError::format(
            path,
            format!("séparateur « {delim} » non pris en charge"),
        ))
    }
}

/// Reads a CSV file into raw rows: decoding, delimiter sniffing, real CSV quoting.
pub fn read_csv_grid(
    path: &Path,
    bytes: &[u8],
    delimiter: Option<char>,
) -> Result<(Vec<RawRow>, TextEncoding, char), LoadError> {
    let (text, encoding) = decode_csv(path, bytes)?;
    let delim = csv_delimiter(path, &text, delimiter)?;
    let delim_byte = delim as u8;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delim_byte)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut last_start: Option<(u64, usize)> = None;
    let mut record = csv::StringRecord::new();
    // The csv crate does not count the blank lines it skips: lines are counted here from the
    // record's byte offset, so that a line number is the one an editor shows.
    let mut counted = (0usize, 1u64);
    let mut line_at = |mut byte: usize| {
        // The position of a record is taken before the blank lines skipped to reach it.
        while matches!(text.as_bytes().get(byte), Some(b'\n' | b'\r')) {
            byte += 1;
        }
        let (from, line) = counted;
        let newlines = text
            .as_bytes()
            .get(from..byte)
            .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count());
        counted = (byte.max(from), line + newlines as u64);
        counted.1
    };
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let byte = record.position().map_or(0, |p| p.byte() as usize);
                let line = line_at(byte);
                last_start = Some((line, byte));
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
                let line = e.position().map_or(0, |p| line_at(p.byte() as usize));
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

/// Picks the delimiter among `;`, `,`, tab and `|`: the one that splits the most lines into
/// two fields or more, then the one whose most common width is shared by the most lines, then
/// the widest. Counting split lines first keeps a ragged `;` file (`CODGEO;TP6020;MED20` /
/// `91001;12,5`) on `;`: its decimal commas split only some lines on `,`.
pub fn sniff_delimiter(text: &str) -> char {
    let sample: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(50)
        .collect();
    let sample_text = sample.join("\n");
    let mut best = (';', (0usize, 0usize, 0usize));
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
        let split_lines = counts.iter().filter(|&&c| c >= 2).count();
        let mut freq: Vec<(usize, usize)> = Vec::new();
        for c in counts.iter().copied().filter(|&c| c >= 2) {
            match freq.iter_mut().find(|(k, _)| *k == c) {
                Some((_, n)) => *n += 1,
                None => freq.push((c, 1)),
            }
        }
        if let Some(&(width, n)) = freq.iter().max_by_key(|(w, n)| (*n, *w)) {
            let score = (split_lines, n, width);
            if score > best.1 {
                best = (candidate, score);
            }
        }
    }
    best.0
}

/// Rows further apart than this (empty rows between them) are reported: a row number that
/// jumps far is a damaged or tampered sheet more often than a real layout.
const ROW_JUMP_REPORTED: u64 = 10_000;

fn read_sheet_grid(
    path: &Path,
    sheet: Option<&str>,
    problems: &mut Vec<Problem>,
) -> Result<(Vec<RawRow>, Vec<String>, String), LoadError> {
    let head = read_head(path)?;
    let mut workbook = open_workbook(path, &head)?;
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
    let limits = crate::limits::current();
    let sheet_error = |e: &dyn std::fmt::Display| {
        LoadError::format(path, format!("feuille « {name} » illisible ({e})"))
    };
    let mut cells: Vec<(u32, u32, RawCell)> = Vec::new();
    let mut rows: Vec<RawRow> = Vec::new();
    let too_many = || {
        crate::limits::exceeded(
            path,
            format!(
                "la feuille « {name} » (plus de {} cellules)",
                limits.max_cells()
            ),
            &limits,
        )
    };
    if let calamine::Sheets::Xlsx(xlsx) = &mut workbook {
        // XLSX: the sheet's cells are streamed; only the cells present are kept, whatever
        // the sheet's declared dimension or row numbers.
        let mut reader = xlsx
            .worksheet_cells_reader(&name)
            .map_err(|e| sheet_error(&e))?;
        while let Some(cell) = reader.next_cell().map_err(|e| sheet_error(&e))? {
            let raw = raw_cell_ref(cell.get_value());
            if raw.is_empty() {
                continue;
            }
            let (row, col) = cell.get_position();
            cells.push((row, col, raw));
            if cells.len() as u64 > limits.max_cells() {
                return Err(too_many());
            }
        }
    } else {
        // XLS, XLSB, ODS: calamine builds the sheet as a whole; what it holds is checked
        // against the limit before it is copied.
        let range = workbook
            .worksheet_range(&name)
            .map_err(|e| sheet_error(&e))?;
        let (height, width) = range.get_size();
        if (height as u64).saturating_mul(width as u64) > limits.max_cells() {
            return Err(too_many());
        }
        // Rows straight from the range (no list of cells beside it), only those with a value.
        let (row0, col0) = range.start().unwrap_or((0, 0));
        for (i, row) in range.rows().enumerate() {
            let Some(last) = row.iter().rposition(|c| !raw_cell(c).is_empty()) else {
                continue;
            };
            let mut cells = vec![RawCell::Empty; col0 as usize];
            cells.extend(row.iter().take(last + 1).map(raw_cell));
            rows.push(RawRow {
                origin: u64::from(row0) + i as u64 + 1,
                cells,
            });
        }
    }
    if !cells.is_empty() {
        rows = sparse_rows(cells, limits.max_cells()).ok_or_else(too_many)?;
    }
    let mut previous: Option<u64> = None;
    for row in &rows {
        if let Some(before) = previous
            && row.origin.saturating_sub(before) > ROW_JUMP_REPORTED
        {
            problems.push(Problem::whole(format!(
                "feuille « {name} » : ligne {} isolée après la ligne {before} \
                 ({} lignes vides entre les deux : numérotation des lignes suspecte)",
                row.origin,
                row.origin - before - 1
            )));
        }
        previous = Some(row.origin);
    }
    Ok((rows, names, name))
}

/// Rows from the cells present, `(row, column, cell)` 0-based: a row only for a row that holds
/// a cell, each as wide as its last cell. `None` when the rows would hold more than
/// `max_slots` cells (a few cells far to the right of many rows).
fn sparse_rows(mut cells: Vec<(u32, u32, RawCell)>, max_slots: u64) -> Option<Vec<RawRow>> {
    cells.sort_by_key(|(row, col, _)| (*row, *col));
    let mut rows: Vec<RawRow> = Vec::new();
    let mut slots = 0u64;
    for (row, col, cell) in cells {
        let origin = u64::from(row) + 1;
        if rows.last().is_none_or(|r| r.origin != origin) {
            rows.push(RawRow {
                origin,
                cells: Vec::new(),
            });
        }
        let current = rows.last_mut()?;
        let col = col as usize;
        if current.cells.len() <= col {
            slots += (col + 1 - current.cells.len()) as u64;
            if slots > max_slots {
                return None;
            }
            current.cells.resize(col + 1, RawCell::Empty);
        }
        if let Some(slot) = current.cells.get_mut(col) {
            *slot = cell;
        }
    }
    Some(rows)
}

fn raw_cell(cell: &Data) -> RawCell {
    match cell {
        Data::Empty => RawCell::Empty,
        Data::Int(i) => RawCell::Number(*i as f64),
        Data::Float(x) => RawCell::Number(*x),
        Data::String(s) => RawCell::Text(s.clone()),
        Data::Bool(b) => RawCell::Text(if *b { "VRAI" } else { "FAUX" }.to_owned()),
        Data::DateTime(d) => RawCell::Text(d.to_string()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => RawCell::Text(s.clone()),
        Data::Error(e) => RawCell::Error(e.to_string()),
    }
}

fn raw_cell_ref(cell: &DataRef<'_>) -> RawCell {
    match cell {
        DataRef::Empty => RawCell::Empty,
        DataRef::Int(i) => RawCell::Number(*i as f64),
        DataRef::Float(x) => RawCell::Number(*x),
        DataRef::String(s) => RawCell::Text(s.clone()),
        DataRef::SharedString(s) => RawCell::Text((*s).to_owned()),
        DataRef::Bool(b) => RawCell::Text(if *b { "VRAI" } else { "FAUX" }.to_owned()),
        DataRef::DateTime(d) => RawCell::Text(d.to_string()),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => RawCell::Text(s.clone()),
        DataRef::Error(e) => RawCell::Error(e.to_string()),
    }
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

/// The text of a row that reads as a note rather than data: a single non-empty cell, in the
/// first column, holding words (« Source : Insee, Filosofi 2020 », « Note : s = secret
/// statistique », « Champ : France métropolitaine »), not a number, a marker or a code.
fn note_text(row: &RawRow) -> Option<String> {
    let mut filled = row.cells.iter().enumerate().filter(|(_, c)| !c.is_empty());
    let (col, cell) = filled.next()?;
    if filled.next().is_some() || col != 0 {
        return None;
    }
    let RawCell::Text(text) = cell else {
        return None;
    };
    note_words(text)
}

/// [`note_text`] for the cells of a CSV record.
fn note_text_of(cells: &[&str]) -> Option<String> {
    let mut filled = cells
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.trim().is_empty());
    let (col, text) = filled.next()?;
    if filled.next().is_some() || col != 0 {
        return None;
    }
    note_words(text)
}

/// The text of a note cell: words (three letters, two words at least), not a number, a marker
/// or a code.
fn note_words(text: &str) -> Option<String> {
    let t = text.trim();
    let letters = t.chars().filter(|c| c.is_alphabetic()).count();
    let words = t.split_whitespace().count();
    (letters >= 3 && words >= 2 && matches!(classify_cell(t), CellClass::Other))
        .then(|| t.to_owned())
}

/// The rows after the header that form the trailing block of notes: every non-empty row from
/// the first note to the end reads as a note. Returns the index (in `rows`) where the block
/// starts, or `rows.len()` when there is none.
fn trailing_notes_start(rows: &[RawRow], header_index: usize, width: usize) -> usize {
    if width < 2 {
        return rows.len();
    }
    let mut start = rows.len();
    for (i, row) in rows.iter().enumerate().skip(header_index + 1).rev() {
        if row.cells.iter().all(RawCell::is_empty) {
            continue;
        }
        if note_text(row).is_none() {
            break;
        }
        start = i;
    }
    start
}

/// The column names of a header row: blank names become `colonne_<lettre>`, a name met twice
/// (case ignored) gets its column number (and a problem says so); cells after the last named
/// one are dropped.
fn header_names(header: &RawRow, problems: &mut Vec<Problem>) -> Vec<String> {
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
    names
}

/// Turns raw rows into a typed table, the header being `rows[header_index]`, and returns it
/// with the notes found under the data (line, text): INSEE tables end with « Source : … »,
/// « Note : … » lines that are neither data nor an error.
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
) -> Result<(Table, Vec<(u64, String)>), LoadError> {
    let header = rows
        .get(header_index)
        .ok_or_else(|| LoadError::format(path, "aucune ligne d'en-tête"))?;
    let names = header_names(header, problems);
    if names.is_empty() {
        return Err(LoadError::format(path, "la ligne d'en-tête est vide"));
    }
    let width = names.len();
    let notes_start = trailing_notes_start(rows, header_index, width);
    let notes: Vec<(u64, String)> = rows
        .get(notes_start..)
        .unwrap_or_default()
        .iter()
        .filter_map(|r| note_text(r).map(|t| (r.origin, t)))
        .collect();
    let mut data: Vec<&RawRow> = Vec::new();
    for row in rows
        .get(..notes_start)
        .unwrap_or_default()
        .iter()
        .skip(header_index + 1)
    {
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
    Ok((
        Table {
            fields,
            row_origin: data.iter().map(|r| r.origin).collect(),
        },
        notes,
    ))
}

/// Types one column: numeric when every present cell is a number or an INSEE marker, text
/// otherwise; code columns (by name) and values with a leading zero always stay text.
fn type_column(
    name: String,
    cells: &[&RawCell],
    place: impl Fn(usize) -> Place,
    problems: &mut Vec<Problem>,
) -> Field {
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
        let mut values = ColumnBuilder::with_capacity(cells.len());
        for cell in cells {
            match cell {
                RawCell::Empty => values.push_missing(Missing::Empty),
                RawCell::Number(x) => values.push_text(&format_number(*x).replace(',', ".")),
                RawCell::Text(s) => values.push_text(s.trim()),
                RawCell::Error(_) => values.push_missing(Missing::NotAvailable),
            }
        }
        return Field {
            name,
            kind: FieldKind::Text,
            values: values.finish(),
        };
    }
    let mut values = ColumnBuilder::with_capacity(cells.len());
    for cell in cells {
        match cell {
            RawCell::Empty => values.push_missing(Missing::Empty),
            RawCell::Number(x) => values.push_number(*x),
            RawCell::Error(_) => values.push_missing(Missing::NotAvailable),
            RawCell::Text(s) => match classify_cell(s) {
                CellClass::Number(x) => values.push_number(x),
                CellClass::Missing(m) => values.push_missing(m),
                CellClass::Other => values.push_missing(Missing::NotAvailable),
            },
        }
    }
    Field {
        name,
        kind: FieldKind::Number,
        values: values.finish(),
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
    fn sparse_rows_hold_only_the_rows_with_cells() {
        let t = |s: &str| RawCell::Text(s.to_owned());
        // Out of order as a hostile sheet may write them; row 99,999,998 (0-based) far below.
        let cells = vec![
            (99_999_998, 0, t("91086")),
            (1, 1, RawCell::Number(12.5)),
            (0, 0, t("CODGEO")),
            (1, 0, t("91001")),
            (0, 1, t("TP60")),
        ];
        let rows = sparse_rows(cells, 100).unwrap();
        let origins: Vec<u64> = rows.iter().map(|r| r.origin).collect();
        assert_eq!(origins, [1, 2, 99_999_999]);
        assert_eq!(rows[1].cells, [t("91001"), RawCell::Number(12.5)]);
        assert_eq!(rows[2].cells, [t("91086")]);
        // A cell in column 1,000 makes its row 1,000 slots wide: past a limit of 999, refused.
        assert!(sparse_rows(vec![(0, 999, t("x"))], 999).is_none());
        assert!(sparse_rows(vec![(0, 999, t("x"))], 1000).is_some());
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
