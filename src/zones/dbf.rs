//! A dBase (`.dbf`) reader for shapefile attributes.
//!
//! Written here rather than taken from the `dbase` crate for three reasons the analyst sees:
//! deleted records must stay aligned with their shapes, the text encoding is decided on the whole
//! file (`.cpg`, else strict UTF-8, else CP1252) and every fault names the record and the field.

use crate::error::{LoadError, Place};
use crate::table::RawCell;
use crate::text::TextEncoding;
use encoding_rs::{Encoding, WINDOWS_1252};
use std::io::Read;
use std::path::Path;

/// One field descriptor.
#[derive(Clone, Debug, PartialEq)]
pub struct DbfField {
    /// The field name, trimmed (UTF-8, else CP1252).
    pub name: String,
    /// The dBase type letter, uppercased (`C` text, `N`/`F` number, `D` date, `L` logical…).
    pub kind: u8,
    /// Width of the field in each record, in bytes.
    pub length: usize,
    /// Number of decimal places declared for numeric fields.
    pub decimals: u8,
    offset: usize,
}

/// The content of a `.dbf` file.
#[derive(Clone, Debug)]
pub struct DbfTable {
    /// The field descriptors, in file order.
    pub fields: Vec<DbfField>,
    /// Raw cells per record (record order of the file).
    pub records: Vec<Vec<RawCell>>,
    /// Whether each record is marked deleted.
    pub deleted: Vec<bool>,
    /// The encoding the text was decoded with.
    pub encoding: TextEncoding,
}

/// Reads a `.dbf` stream keeping only its header, its records and the end-of-file marker (as
/// many bytes as the header's record count and sizes say, at most what the stream holds and
/// the read limit allows), then counts the bytes after them without keeping them: a `.dbf`
/// padded with blanks costs its records, not its padding. Returns the bytes for [`read_dbf`]
/// and the number of bytes left out.
pub fn read_dbf_records(path: &Path, reader: &mut dyn Read) -> Result<(Vec<u8>, u64), LoadError> {
    let limits = crate::limits::current();
    let io = |e| LoadError::io(path, e);
    let mut bytes = Vec::new();
    reader.take(32).read_to_end(&mut bytes).map_err(io)?;
    let word = |i: usize| {
        bytes
            .get(i..i + 2)
            .map_or(0, |b| u64::from(u16::from_le_bytes([b[0], b[1]])))
    };
    let count = bytes.get(4..8).map_or(0, |b| {
        u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    });
    // Header, records and the end-of-file marker (0x1A).
    let wanted = word(8)
        .saturating_add(count.saturating_mul(word(10)))
        .saturating_add(1)
        .saturating_sub(bytes.len() as u64);
    let room = limits
        .max_bytes()
        .saturating_add(1)
        .saturating_sub(bytes.len() as u64);
    reader
        .take(wanted.min(room))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limits.max_bytes() {
        return Err(crate::limits::exceeded(
            path,
            "le fichier .dbf (une fois décompressé)",
            &limits,
        ));
    }
    let kept = bytes.len() as u64;
    let (trailing, _) = crate::limits::drain_counting(path, reader, &limits, kept)?;
    Ok((bytes, trailing))
}

/// Reads a `.dbf` file from bytes. `declared` is the encoding of a `.cpg` file, if any.
pub fn read_dbf(
    path: &Path,
    bytes: &[u8],
    declared: Option<&'static Encoding>,
) -> Result<DbfTable, LoadError> {
    let bad = |offset: usize, message: String| {
        LoadError::invalid(path, Place::Byte(offset as u64 + 1), message)
    };
    if bytes.is_empty() {
        return Err(LoadError::Empty {
            file: crate::error::display_name(path),
        });
    }
    if bytes.len() < 32 {
        return Err(LoadError::format(
            path,
            format!("en-tête dBase tronqué ({} octets sur 32)", bytes.len()),
        ));
    }
    let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]) as usize;
    let count = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
    let header_len = u16_at(8);
    let record_len = u16_at(10);
    if header_len < 33 || header_len > bytes.len() {
        return Err(bad(
            8,
            format!("longueur d'en-tête dBase invalide ({header_len})"),
        ));
    }
    let mut fields = Vec::new();
    let mut offset = 1usize; // after the deletion flag
    let mut pos = 32usize;
    while pos + 32 <= header_len && bytes[pos] != 0x0D {
        let desc = &bytes[pos..pos + 32];
        let name_end = desc[..11].iter().position(|&b| b == 0).unwrap_or(11);
        let (name, _, _) = WINDOWS_1252.decode(&desc[..name_end]);
        let name = match std::str::from_utf8(&desc[..name_end]) {
            Ok(s) => s.trim().to_owned(),
            Err(_) => name.trim().to_owned(),
        };
        let kind = desc[11].to_ascii_uppercase();
        let length = desc[16] as usize;
        if name.is_empty() {
            return Err(bad(
                pos,
                format!("champ {} sans nom dans l'en-tête dBase", fields.len() + 1),
            ));
        }
        fields.push(DbfField {
            name,
            kind,
            length,
            decimals: desc[17],
            offset,
        });
        offset += length;
        pos += 32;
    }
    if fields.is_empty() {
        return Err(LoadError::format(
            path,
            "le fichier dBase ne déclare aucun champ",
        ));
    }
    if offset != record_len {
        return Err(bad(
            10,
            format!(
                "taille d'enregistrement incohérente : l'en-tête annonce {record_len} octets, les champs en totalisent {offset}"
            ),
        ));
    }
    let needed = header_len + count * record_len;
    if bytes.len() < needed {
        let complete = (bytes.len() - header_len) / record_len.max(1);
        return Err(LoadError::invalid(
            path,
            Place::Record(complete as u64 + 1),
            format!(
                "fichier dBase tronqué : {count} enregistrement(s) annoncé(s), {complete} complet(s)"
            ),
        ));
    }
    // Every record opens with its deletion flag (a space, or « * » when deleted). A header
    // length off by even one byte shifts every value (`1001  ` for `91001`): the flags show it
    // before any value is read wrong.
    let misaligned =
        (0..count).find(|r| !matches!(bytes.get(header_len + r * record_len), Some(b' ' | b'*')));
    if let Some(r) = misaligned {
        let descriptors_end = pos + 1;
        let hint = if descriptors_end != header_len {
            format!(
                " ; l'en-tête annonce {header_len} octets alors que la description des champs \
                 se termine à l'octet {descriptors_end}"
            )
        } else {
            String::new()
        };
        return Err(LoadError::invalid(
            path,
            Place::Record(r as u64 + 1),
            format!(
                "fichier .dbf probablement corrompu : l'enregistrement ne commence pas par \
                 l'indicateur de suppression (espace ou « * »){hint} ; toutes les valeurs \
                 seraient décalées — réexportez la couche depuis sa source"
            ),
        ));
    }
    // Decide the encoding on the whole file.
    let encoding = match declared {
        Some(enc) => TextEncoding::Declared(enc),
        None => {
            let text_ok = (0..count).all(|r| {
                let rec = &bytes[header_len + r * record_len..header_len + (r + 1) * record_len];
                fields.iter().filter(|f| f.kind == b'C').all(|f| {
                    rec.get(f.offset..f.offset + f.length)
                        .is_some_and(|b| std::str::from_utf8(trim_nul(b)).is_ok())
                })
            });
            if text_ok {
                TextEncoding::Utf8
            } else {
                TextEncoding::Windows1252
            }
        }
    };
    let mut records = Vec::with_capacity(count);
    let mut deleted = Vec::with_capacity(count);
    for r in 0..count {
        let start = header_len + r * record_len;
        let rec = &bytes[start..start + record_len];
        deleted.push(rec[0] == b'*');
        let mut cells = Vec::with_capacity(fields.len());
        for f in &fields {
            let raw = trim_nul(&rec[f.offset..f.offset + f.length]);
            let place = || Place::RecordField {
                record: r as u64 + 1,
                field: f.name.clone(),
            };
            cells.push(decode_cell(path, f, raw, encoding, &place)?);
        }
        records.push(cells);
    }
    Ok(DbfTable {
        fields,
        records,
        deleted,
        encoding,
    })
}

fn trim_nul(b: &[u8]) -> &[u8] {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    &b[..end]
}

fn decode_text(raw: &[u8], encoding: TextEncoding) -> String {
    match encoding {
        TextEncoding::Declared(enc) | TextEncoding::Utf16Bom(enc) => enc.decode(raw).0.into_owned(),
        TextEncoding::Windows1252 => WINDOWS_1252.decode(raw).0.into_owned(),
        TextEncoding::Utf8 | TextEncoding::Utf8Bom => String::from_utf8_lossy(raw).into_owned(),
    }
}

fn decode_cell(
    path: &Path,
    field: &DbfField,
    raw: &[u8],
    encoding: TextEncoding,
    place: &dyn Fn() -> Place,
) -> Result<RawCell, LoadError> {
    let ascii = || String::from_utf8_lossy(raw).trim().to_owned();
    Ok(match field.kind {
        b'C' | b'M' => {
            let s = decode_text(raw, encoding);
            let s = s.trim();
            if s.is_empty() {
                RawCell::Empty
            } else {
                RawCell::Text(s.to_owned())
            }
        }
        b'N' | b'F' => {
            let s = ascii();
            if s.is_empty() || s.chars().all(|c| c == '*' || c == '?') {
                RawCell::Empty
            } else {
                match s.parse::<f64>() {
                    Ok(x) if x.is_finite() => RawCell::Number(x),
                    _ => {
                        return Err(LoadError::invalid(
                            path,
                            place(),
                            format!("valeur numérique illisible « {s} »"),
                        ));
                    }
                }
            }
        }
        b'I' if raw.len() == 4 => RawCell::Number(f64::from(i32::from_le_bytes([
            raw[0], raw[1], raw[2], raw[3],
        ]))),
        b'O' | b'B' if raw.len() == 8 => {
            let mut a = [0u8; 8];
            a.copy_from_slice(raw);
            let x = f64::from_le_bytes(a);
            if x.is_finite() {
                RawCell::Number(x)
            } else {
                RawCell::Empty
            }
        }
        b'L' => match raw.first().map(u8::to_ascii_uppercase) {
            Some(b'T' | b'Y') => RawCell::Text("VRAI".to_owned()),
            Some(b'F' | b'N') => RawCell::Text("FAUX".to_owned()),
            _ => RawCell::Empty,
        },
        b'D' => {
            let s = ascii();
            if s.len() == 8 && s.chars().all(|c| c.is_ascii_digit()) {
                RawCell::Text(format!("{}-{}-{}", &s[..4], &s[4..6], &s[6..]))
            } else if s.is_empty() {
                RawCell::Empty
            } else {
                RawCell::Text(s)
            }
        }
        _ => {
            let s = ascii();
            if s.is_empty() {
                RawCell::Empty
            } else {
                RawCell::Text(s)
            }
        }
    })
}
