//! The CSV reader for large files: two passes over the bytes, no row kept in memory.
//!
//! The first pass finds the header (among the first rows, kept as raw rows like the generic
//! path), checks every row's width, finds the trailing notes and types each column; the second
//! pass fills typed columns ([`ColumnBuilder`]: numbers as `f64`, text interned). Every rule is
//! the generic path's ([`super::build_table`]): same header detection, same typing, same
//! errors with the same line numbers; a file whose header cannot be found in the first rows
//! falls back to it.

use super::{RawCell, RawRow, detect_header, note_text_of};
use crate::codes::is_code_field_name;
use crate::error::{LoadError, Place, Problem};
use crate::model::{ColumnBuilder, Field, FieldKind, Table};
use crate::value::{CellClass, Missing, classify_cell};
use std::path::Path;

/// Rows kept whole at the top of the file to find the header (`detect_header` looks at 60).
const HEAD_ROWS: usize = 64;

/// A CSV read by [`read_csv_table`].
pub(crate) struct CsvTable {
    pub table: Table,
    pub notes: Vec<(u64, String)>,
    pub header_line: u64,
}

/// Counts lines from byte offsets, as an editor numbers them (the csv crate does not count
/// the blank lines it skips).
struct LineCounter<'a> {
    text: &'a [u8],
    from: usize,
    line: u64,
}

impl LineCounter<'_> {
    /// The line of the record starting at `byte` (taken before the blank lines skipped).
    fn at(&mut self, mut byte: usize) -> u64 {
        while matches!(self.text.get(byte), Some(b'\n' | b'\r')) {
            byte += 1;
        }
        if byte > self.from {
            let newlines = self
                .text
                .get(self.from..byte)
                .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count());
            self.line += newlines as u64;
            self.from = byte;
        }
        self.line
    }
}

/// What the first pass learns of one column.
#[derive(Default)]
struct ColumnStats {
    present: usize,
    numbers: usize,
    not_numeric: bool,
    /// The first value that is neither a number nor a marker: data row index, line, text.
    first_other: Option<(usize, u64, String)>,
}

impl ColumnStats {
    fn observe(&mut self, row: usize, line: u64, raw: &str) {
        let t = raw.trim();
        if t.is_empty() {
            return;
        }
        self.present += 1;
        let leading_zero =
            t.len() > 1 && t.starts_with('0') && t.bytes().all(|c| c.is_ascii_digit());
        // The common case, told without parsing the number. A number with a leading zero
        // (`07`) is a code: it goes the general way, which makes the column text.
        if !leading_zero && plain_number(t.as_bytes()) {
            self.numbers += 1;
            return;
        }
        match classify_fast(t) {
            CellClass::Number(_) if !leading_zero => self.numbers += 1,
            CellClass::Missing(_) => {}
            _ => {
                self.not_numeric = true;
                if self.first_other.is_none() {
                    self.first_other = Some((row, line, t.to_owned()));
                }
            }
        }
    }
}

/// Whether `b` is a sign (optional), digits and at most one decimal point or comma, with one
/// digit at least: a number [`classify_cell`] reads (finite, as it has no exponent and a cell
/// this short), told without parsing it.
fn plain_number(b: &[u8]) -> bool {
    let body = match b.first() {
        Some(b'-' | b'+') => b.get(1..).unwrap_or_default(),
        _ => b,
    };
    let mut digits = 0usize;
    let mut separators = 0usize;
    for &c in body {
        match c {
            b'0'..=b'9' => digits += 1,
            b'.' | b',' => separators += 1,
            _ => return false,
        }
    }
    digits >= 1 && separators <= 1 && b.len() <= 48
}

/// [`classify_cell`] without allocating for the common case: a plain number (digits, a sign,
/// one decimal point or comma, an exponent) is parsed in place; anything else goes through
/// [`classify_cell`], so the result is always the same.
fn classify_fast(t: &str) -> CellClass {
    let b = t.as_bytes();
    if b.len() <= 48
        && b.iter().any(u8::is_ascii_digit)
        && b.iter()
            .all(|c| c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b',' | b'e' | b'E'))
    {
        let separators = b.iter().filter(|&&c| c == b'.' || c == b',').count();
        if separators <= 1 {
            let mut buf = [0u8; 48];
            for (slot, &c) in buf.iter_mut().zip(b) {
                *slot = if c == b',' { b'.' } else { c };
            }
            if let Some(x) = buf
                .get(..b.len())
                .and_then(|s| std::str::from_utf8(s).ok())
                .and_then(|s| s.parse::<f64>().ok())
                .filter(|x| x.is_finite())
            {
                return CellClass::Number(x);
            }
        }
    }
    classify_cell(t)
}

/// The fields of a record as text (the input is valid UTF-8 and delimiters are ASCII, so each
/// field is too).
fn field_str(field: &[u8]) -> &str {
    std::str::from_utf8(field).unwrap_or("")
}

fn raw_row(record: &csv::ByteRecord, line: u64) -> RawRow {
    RawRow {
        origin: line,
        cells: record
            .iter()
            .map(field_str)
            .map(|s| {
                if s.trim().is_empty() {
                    RawCell::Empty
                } else {
                    RawCell::Text(s.to_owned())
                }
            })
            .collect(),
    }
}

fn width_error(path: &Path, line: u64, found: usize, header_line: u64, width: usize) -> LoadError {
    LoadError::invalid(
        path,
        Place::Line(line),
        format!(
            "{found} valeurs alors que l'en-tête (ligne {header_line}) compte {width} colonnes"
        ),
    )
}

fn csv_error(path: &Path, lines: &mut LineCounter<'_>, e: &csv::Error) -> LoadError {
    let line = e.position().map_or(0, |p| lines.at(p.byte() as usize));
    LoadError::invalid(
        path,
        Place::Line(line),
        format!("ligne CSV illisible ({e})"),
    )
}

/// A data row that may be part of the trailing notes: kept aside until a data row follows it
/// (then it was data) or the file ends (then it was a note).
struct PendingRow {
    line: u64,
    text: String,
    cells: usize,
}

/// Reads a decoded CSV text into a typed table; `None` when the header is not among the first
/// rows (the caller then uses the generic path).
pub(crate) fn read_csv_table(
    path: &Path,
    text: &str,
    delim: u8,
    header_row: Option<usize>,
    problems: &mut Vec<Problem>,
) -> Result<Option<CsvTable>, LoadError> {
    let bytes = text.as_bytes();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delim)
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    let mut lines = LineCounter {
        text: bytes,
        from: 0,
        line: 1,
    };
    // The head: rows kept whole to find the header, as the generic path does.
    let mut head: Vec<RawRow> = Vec::new();
    let mut head_ends: Vec<u64> = Vec::new();
    let mut last_start: Option<(u64, usize)> = None;
    let mut finished = false;
    loop {
        let wanted = header_row.map_or(HEAD_ROWS, |r| HEAD_ROWS.max(r.saturating_add(1)));
        if head.len() >= wanted {
            break;
        }
        match reader.read_byte_record(&mut record) {
            Ok(false) => {
                finished = true;
                break;
            }
            Ok(true) => {
                let byte = record.position().map_or(0, |p| p.byte() as usize);
                let line = lines.at(byte);
                last_start = Some((line, byte));
                head.push(raw_row(&record, line));
                head_ends.push(reader.position().byte());
            }
            Err(e) => return Err(csv_error(path, &mut lines, &e)),
        }
    }
    let header_index = match header_row {
        Some(row) => match head.iter().position(|r| r.origin == row as u64) {
            Some(i) => i,
            None if finished => {
                return Err(LoadError::format(
                    path,
                    format!("la ligne d'en-tête {row} n'existe pas"),
                ));
            }
            None => return Ok(None),
        },
        None => match detect_header(&head) {
            // `detect_header` may fall back to the first non-empty row beyond the head.
            Some(i) if i < head.len() => i,
            _ if !finished => return Ok(None),
            _ => {
                return Err(LoadError::format(
                    path,
                    "aucune ligne de données : le tableau est vide",
                ));
            }
        },
    };
    let Some(header) = head.get(header_index) else {
        return Ok(None);
    };
    let header_line = header.origin;
    let names = super::header_names(header, problems);
    if names.is_empty() {
        return Err(LoadError::format(path, "la ligne d'en-tête est vide"));
    }
    let width = names.len();
    // Where the data starts for the second pass: the byte after the header record.
    let data_start = head_ends.get(header_index).copied().unwrap_or(0);

    // First pass: widths, notes, column types.
    let mut stats: Vec<ColumnStats> = (0..width).map(|_| ColumnStats::default()).collect();
    let mut data_rows = 0usize;
    let mut pending: Vec<PendingRow> = Vec::new();
    let detect_notes = width >= 2;
    let observe = |record_cells: &[&str],
                   line: u64,
                   pending: &mut Vec<PendingRow>,
                   stats: &mut Vec<ColumnStats>,
                   data_rows: &mut usize|
     -> Result<(), LoadError> {
        if record_cells.iter().all(|c| c.trim().is_empty()) {
            return Ok(());
        }
        if detect_notes && let Some(text) = note_text_of(record_cells) {
            pending.push(PendingRow {
                line,
                text,
                cells: record_cells.len(),
            });
            return Ok(());
        }
        // A data row: the notes kept aside were data.
        for p in pending.drain(..) {
            if p.cells < width {
                return Err(width_error(path, p.line, p.cells, header_line, width));
            }
            if let Some(s) = stats.first_mut() {
                s.observe(*data_rows, p.line, &p.text);
            }
            *data_rows += 1;
        }
        let last_filled = record_cells
            .iter()
            .rposition(|c| !c.trim().is_empty())
            .map_or(0, |i| i + 1);
        if last_filled > width {
            return Err(width_error(path, line, last_filled, header_line, width));
        }
        if record_cells.len() < width {
            return Err(width_error(
                path,
                line,
                record_cells.len(),
                header_line,
                width,
            ));
        }
        for (s, c) in stats.iter_mut().zip(record_cells) {
            s.observe(*data_rows, line, c);
        }
        *data_rows += 1;
        Ok(())
    };
    // A row's width error is reported after the whole file is read, as the generic path
    // does: an unclosed quote (found at the end) explains it better.
    let mut deferred: Option<LoadError> = None;
    let mut checkpoints: Vec<Checkpoint> = Vec::new();
    for row in head.iter().skip(header_index + 1) {
        if deferred.is_some() {
            break;
        }
        let texts: Vec<&str> = row
            .cells
            .iter()
            .map(|c| match c {
                RawCell::Text(s) => s.as_str(),
                _ => "",
            })
            .collect();
        if let Err(e) = observe(&texts, row.origin, &mut pending, &mut stats, &mut data_rows) {
            deferred = Some(e);
        }
    }
    if !finished {
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {
                    let byte = record.position().map_or(0, |p| p.byte() as usize);
                    let line = lines.at(byte);
                    last_start = Some((line, byte));
                    if deferred.is_some() {
                        continue;
                    }
                    // A place the second pass may start from: all rows before it are data.
                    if pending.is_empty()
                        && data_rows >= checkpoints.len() * CHECKPOINT_ROWS + CHECKPOINT_ROWS
                    {
                        checkpoints.push(Checkpoint {
                            byte,
                            from: lines.from,
                            line,
                            row: data_rows,
                        });
                    }
                    let cells: Vec<&str> = record.iter().map(|c| field_str(c).trim()).collect();
                    if let Err(e) = observe(&cells, line, &mut pending, &mut stats, &mut data_rows)
                    {
                        deferred = Some(e);
                    }
                }
                Err(e) => return Err(csv_error(path, &mut lines, &e)),
            }
        }
    }
    drop(head);
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
    if let Some(e) = deferred {
        return Err(e);
    }
    let notes: Vec<(u64, String)> = pending.into_iter().map(|p| (p.line, p.text)).collect();

    // Column kinds, and the problem of a numbers column holding one text value.
    let numeric: Vec<bool> = names
        .iter()
        .zip(&stats)
        .map(|(name, s)| !is_code_field_name(name) && !s.not_numeric && s.numbers > 0)
        .collect();
    for ((name, s), &is_number) in names.iter().zip(&stats).zip(&numeric) {
        if !is_number
            && !is_code_field_name(name)
            && let Some((_, line, raw)) = &s.first_other
            && s.present >= 5
            && s.numbers * 10 >= s.present * 8
        {
            problems.push(Problem::at(
                Place::LineColumn {
                    line: *line,
                    column: name.clone(),
                },
                format!(
                    "valeur non numérique « {raw} » dans une colonne de nombres : \
                     la colonne « {name} » est lue comme du texte"
                ),
            ));
        }
    }

    // Second pass: the typed columns, in parallel parts starting at checkpoints.
    let start = Checkpoint {
        byte: usize::try_from(data_start).unwrap_or(usize::MAX),
        from: 0,
        line: 1,
        row: 0,
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_part = data_rows.div_ceil(threads.max(1)).max(CHECKPOINT_ROWS);
    let mut parts: Vec<(Checkpoint, usize)> = vec![(start, 0)];
    for c in checkpoints {
        let begun = parts.last().map_or(0, |(p, _)| p.row);
        if c.row >= begun + per_part && parts.len() < threads {
            parts.push((c, 0));
        }
    }
    let ends: Vec<usize> = parts
        .iter()
        .skip(1)
        .map(|(c, _)| c.row)
        .chain([data_rows])
        .collect();
    for ((part, rows), end) in parts.iter_mut().zip(ends) {
        *rows = end.saturating_sub(part.row);
    }
    // The first part's columns are sized for the whole file: the others are appended to them
    // without growing (a doubling vector would hold the column twice for a moment).
    let filled = map_each(&parts, |(from, rows)| {
        let capacity = if from.row == 0 { data_rows } else { *rows };
        fill_part(path, bytes, delim, from, *rows, capacity, &numeric)
    });
    let mut columns: Vec<ColumnBuilder> = Vec::new();
    let mut row_origin: Vec<u64> = Vec::new();
    for part in filled {
        let (part_columns, origins) = part?;
        if columns.is_empty() {
            columns = part_columns;
            row_origin = origins;
        } else {
            row_origin.extend_from_slice(&origins);
            for (column, more) in columns.iter_mut().zip(part_columns) {
                column.append(more);
            }
        }
    }
    if columns.len() < width {
        columns.resize_with(width, ColumnBuilder::default);
    }
    let fields = names
        .into_iter()
        .zip(columns)
        .zip(&numeric)
        .map(|((name, builder), &is_number)| Field {
            name,
            kind: if is_number {
                FieldKind::Number
            } else {
                FieldKind::Text
            },
            values: builder.finish(),
        })
        .collect();
    Ok(Some(CsvTable {
        table: Table { fields, row_origin },
        notes,
        header_line,
    }))
}

/// Data rows between two checkpoints of the first pass.
const CHECKPOINT_ROWS: usize = 1 << 16;

/// The start of a data row, where a part of the second pass can begin reading.
#[derive(Clone, Copy, Debug)]
struct Checkpoint {
    /// The byte where the record starts.
    byte: usize,
    /// The line counter's state there.
    from: usize,
    line: u64,
    /// The index of the data row.
    row: usize,
}

/// Reads `rows` data rows from `from` into typed columns (`numeric` tells each column's type),
/// with their lines.
fn fill_part(
    path: &Path,
    bytes: &[u8],
    delim: u8,
    from: &Checkpoint,
    rows: usize,
    capacity: usize,
    numeric: &[bool],
) -> Result<(Vec<ColumnBuilder>, Vec<u64>), LoadError> {
    let mut columns: Vec<ColumnBuilder> = numeric
        .iter()
        .map(|_| ColumnBuilder::with_capacity(capacity))
        .collect();
    let mut row_origin: Vec<u64> = Vec::with_capacity(capacity);
    let mut lines = LineCounter {
        text: bytes,
        from: from.from,
        line: from.line,
    };
    let Some(rest) = bytes.get(from.byte..) else {
        return Ok((columns, row_origin));
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delim)
        .has_headers(false)
        .flexible(true)
        .from_reader(rest);
    let mut record = csv::ByteRecord::new();
    while row_origin.len() < rows {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let byte = record.position().map_or(0, |p| p.byte() as usize) + from.byte;
                if blank_record(&record) {
                    continue;
                }
                row_origin.push(lines.at(byte));
                for (col, builder) in columns.iter_mut().enumerate() {
                    let t = record.get(col).map(field_str).unwrap_or("").trim();
                    if t.is_empty() {
                        builder.push_missing(Missing::Empty);
                    } else if numeric.get(col).copied().unwrap_or(false) {
                        match classify_fast(t) {
                            CellClass::Number(x) => builder.push_number(x),
                            CellClass::Missing(m) => builder.push_missing(m),
                            CellClass::Other => builder.push_missing(Missing::NotAvailable),
                        }
                    } else {
                        builder.push_text(t);
                    }
                }
            }
            Err(e) => return Err(csv_error(path, &mut lines, &e)),
        }
    }
    Ok((columns, row_origin))
}

/// Applies `f` to every item, one thread per item (a few large parts of a file), and returns
/// the results in order.
fn map_each<T, R, F>(items: &[T], f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    if items.len() < 2 {
        return items.iter().map(&f).collect();
    }
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .iter()
            .map(|item| scope.spawn(move || f(item)))
            .collect();
        handles
            .into_iter()
            .map(|h| match h.join() {
                Ok(v) => v,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// Whether every field of a record is blank (as `str::trim` sees it): a printable ASCII byte
/// answers at once, only a record of spaces and non-ASCII bytes is looked at field by field.
fn blank_record(record: &csv::ByteRecord) -> bool {
    if record.as_slice().iter().any(u8::is_ascii_graphic) {
        return false;
    }
    record.iter().all(|c| field_str(c).trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every string of up to 4 characters over the alphabet of numbers: the shortcuts agree
    /// with `classify_cell` (the generic path's reading).
    #[test]
    fn the_number_shortcuts_read_as_classify_cell_does() {
        let alphabet = ['0', '7', '.', ',', '-', '+', 'e', 'E', 's', ' ', '%'];
        let mut words = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = words
                .iter()
                .flat_map(|w| alphabet.iter().map(move |c| format!("{w}{c}")))
                .collect();
            words.extend(longer);
            words.sort();
            words.dedup();
        }
        for w in &words {
            let t = w.trim();
            assert_eq!(classify_fast(t), classify_cell(t), "« {t} »");
            if plain_number(t.as_bytes()) {
                assert!(
                    matches!(classify_cell(t), CellClass::Number(_)),
                    "« {t} » lu comme nombre par le raccourci"
                );
            }
        }
    }
}
