//! Read limits of the importers: how much one input file may cost.
//!
//! Every importer's memory follows the data actually present in a file (cells that hold a
//! value, real geometries), never what a header or a row number claims. What remains is the
//! data itself: a limit stops a file whose content would exceed it (a zip bomb, a sheet of a
//! hundred million cells) with a message naming the file and how to raise the limit, for the
//! few legitimate huge inputs.
//!
//! The limit is one process-wide setting: the command line sets it from `--limite-memoire`
//! or `--sans-limite`, the app and the command line both read the environment variable
//! [`ENV_VAR`] (megabytes, or `aucune`) when nothing else set it.

use crate::error::LoadError;
use std::io::Read;
use std::path::Path;
use std::sync::RwLock;

/// Environment variable holding the limit in megabytes (`aucune` for none).
pub const ENV_VAR: &str = "CARTOSOL_LIMITE_MEMOIRE";

/// Default limit, in megabytes (MiB).
pub const DEFAULT_MEGABYTES: u64 = 4096;

/// Memory one table cell costs at the peak of a read, in bytes (the workbook reader's cell,
/// the raw cell of its row, the typed value, text aside): turns the limit in megabytes into a
/// number of cells (33.5 million under the default limit).
pub const BYTES_PER_CELL: u64 = 128;

/// What one input file may cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadLimits {
    /// The limit in megabytes (MiB), `None` when there is none (`--sans-limite`).
    pub megabytes: Option<u64>,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            megabytes: Some(DEFAULT_MEGABYTES),
        }
    }
}

impl ReadLimits {
    /// No limit at all.
    pub const NONE: ReadLimits = ReadLimits { megabytes: None };

    /// A limit of `megabytes` MiB.
    pub fn megabytes(megabytes: u64) -> Self {
        ReadLimits {
            megabytes: Some(megabytes),
        }
    }

    /// The most bytes read (decompressed included) from one file or archive entry, kept in
    /// memory or skipped.
    pub fn max_bytes(&self) -> u64 {
        self.megabytes
            .map_or(u64::MAX, |mb| mb.saturating_mul(1024 * 1024))
    }

    /// The most cells a table (a workbook sheet) may hold.
    pub fn max_cells(&self) -> u64 {
        self.max_bytes() / BYTES_PER_CELL
    }

    /// Reads the limit from [`ENV_VAR`]: a number of megabytes, or `aucune`/`0` for none.
    /// Absent or unreadable: the default.
    pub fn from_env() -> Self {
        match std::env::var(ENV_VAR) {
            Ok(value) => Self::parse(&value).unwrap_or_default(),
            Err(_) => Self::default(),
        }
    }

    /// Parses a limit as a user writes it: megabytes (`8192`), or `aucune` / `0` for none.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("aucune") || t == "0" {
            return Some(Self::NONE);
        }
        t.parse::<u64>().ok().map(Self::megabytes)
    }

    /// The limit as said to the user (`4096 Mo`).
    pub fn label(&self) -> String {
        match self.megabytes {
            Some(mb) => format!("{mb} Mo"),
            None => "aucune".to_owned(),
        }
    }

    /// What the user can write to read the file anyway (twice the present limit).
    fn advice(&self) -> String {
        let doubled = self
            .megabytes
            .unwrap_or(DEFAULT_MEGABYTES)
            .saturating_mul(2);
        format!(
            "si le fichier est légitime, relancez avec --limite-memoire {doubled} \
             (ou --sans-limite ; pour l'application : {ENV_VAR}={doubled})"
        )
    }
}

static CURRENT: RwLock<Option<ReadLimits>> = RwLock::new(None);

/// The limit in force: the one [`set`] last, else [`ReadLimits::from_env`].
pub fn current() -> ReadLimits {
    let set = CURRENT.read().map(|g| *g).unwrap_or(None);
    set.unwrap_or_else(ReadLimits::from_env)
}

/// Sets the limit for the rest of the process (the command line's `--limite-memoire`).
pub fn set(limits: ReadLimits) {
    if let Ok(mut g) = CURRENT.write() {
        *g = Some(limits);
    }
}

/// The error for `what` of `path` exceeding `limits`: names the file, the limit and how to
/// raise it.
pub fn exceeded(path: &Path, what: impl Into<String>, limits: &ReadLimits) -> LoadError {
    LoadError::Limit {
        file: crate::error::display_name(path),
        what: what.into(),
        limit: limits.label(),
        advice: limits.advice(),
    }
}

/// Reads at most `max_bytes` from `reader` into memory; more is a [`LoadError::Limit`] naming
/// `path` (the bytes past the limit are never read).
pub fn read_capped(
    path: &Path,
    reader: &mut dyn Read,
    limits: &ReadLimits,
) -> Result<Vec<u8>, LoadError> {
    let max = limits.max_bytes();
    let mut buf = Vec::new();
    reader
        .take(max.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| LoadError::io(path, e))?;
    if buf.len() as u64 > max {
        return Err(exceeded(path, "le contenu (une fois décompressé)", limits));
    }
    Ok(buf)
}

/// Reads `reader` to its end without keeping it, in constant memory: returns how many bytes
/// there were and whether they were all zero. More than the limit is a [`LoadError::Limit`].
pub fn drain_counting(
    path: &Path,
    reader: &mut dyn Read,
    limits: &ReadLimits,
    already_read: u64,
) -> Result<(u64, bool), LoadError> {
    const CHUNK: usize = 64 * 1024;
    static ZEROS: [u8; CHUNK] = [0; CHUNK];
    let mut chunk = vec![0u8; CHUNK];
    let mut total = 0u64;
    let mut all_zero = true;
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(LoadError::io(path, e)),
        };
        total += n as u64;
        // A slice comparison (memcmp), fast even in a debug build.
        all_zero = all_zero && chunk.get(..n) == ZEROS.get(..n);
        if already_read.saturating_add(total) > limits.max_bytes() {
            return Err(exceeded(path, "le contenu (une fois décompressé)", limits));
        }
    }
    Ok((total, all_zero))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_as_written() {
        assert_eq!(ReadLimits::parse("8192"), Some(ReadLimits::megabytes(8192)));
        assert_eq!(ReadLimits::parse(" aucune "), Some(ReadLimits::NONE));
        assert_eq!(ReadLimits::parse("0"), Some(ReadLimits::NONE));
        assert_eq!(ReadLimits::parse("beaucoup"), None);
        assert_eq!(ReadLimits::megabytes(1).max_bytes(), 1_048_576);
        assert_eq!(ReadLimits::megabytes(1).max_cells(), 8_192);
        assert_eq!(ReadLimits::NONE.max_bytes(), u64::MAX);
    }

    #[test]
    fn capped_read_stops_past_the_limit() {
        let limits = ReadLimits::megabytes(1);
        let data = vec![b' '; 1_048_577];
        let e = read_capped(Path::new("a.zip/b.dbf"), &mut data.as_slice(), &limits).unwrap_err();
        assert_eq!(
            e.to_string(),
            "a.zip/b.dbf : le contenu (une fois décompressé) dépasse la limite de lecture \
             (1 Mo) ; si le fichier est légitime, relancez avec --limite-memoire 2 \
             (ou --sans-limite ; pour l'application : CARTOSOL_LIMITE_MEMOIRE=2)"
        );
        let ok = read_capped(Path::new("x"), &mut &data[..1_048_576], &limits).unwrap();
        assert_eq!(ok.len(), 1_048_576);
    }
}
