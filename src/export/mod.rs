//! Report-ready exports: maps (SVG, and PNG through resvg with the bundled font), layers
//! (GeoJSON, CSV, XLSX, GeoPackage in Lambert-93), the atlas (one map per EPCI), with the
//! statistical-secrecy and personal-data guards applied to every one of them.
//!
//! Everything here runs headless: no window, no GPU.

pub mod atlas;
pub mod compose;
pub mod data;
pub mod map;
pub mod raster;
pub mod secrecy;
pub mod tiles;

pub use compose::{RenderOptions, compose_project};
pub use data::{DataExportOptions, DataFormat, ExportReport, export_layer};
pub use map::{MapComposition, Preset, render_svg};
pub use raster::{render_png, svg_to_png};

use crate::error::{LoadError, display_name};
use crate::style::StyleError;
use std::path::Path;

/// Why an export could not be made. Messages are in French and name the file, layer or field.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    #[error("{file} : écriture impossible ({source})")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file} : {message}")]
    Write { file: String, message: String },
    #[error("couche « {id} » absente du projet (couches : {available})")]
    UnknownLayer { id: String, available: String },
    #[error("vue « {name} » absente du projet (vues : {available})")]
    UnknownView { name: String, available: String },
    #[error("champ « {field} » absent de la couche « {layer} » (champs : {available})")]
    UnknownField {
        field: String,
        layer: String,
        available: String,
    },
    #[error(
        "la couche « {layer} » contient des données personnelles : elle ne peut sortir qu'agrégée par zone, jamais en points individuels (option --agreger-par ZONES)"
    )]
    PersonalData { layer: String },
    #[error("{file} : format de sortie non reconnu (extensions possibles : {expected})")]
    UnknownFormat {
        file: String,
        expected: &'static str,
    },
    #[error(
        "format de page inconnu « {0} » (attendu : a4-paysage, a4-portrait, diapo ou LARGEURxHAUTEUR en pixels, par exemple 1600x900)"
    )]
    Preset(String),
    #[error("la couche « {layer} » n'a aucune zone à cartographier")]
    EmptyLayer { layer: String },
    #[error("rendu de l'image impossible : {0}")]
    Render(String),
    #[error(transparent)]
    Style(#[from] StyleError),
    #[error(transparent)]
    Load(#[from] LoadError),
}

impl ExportError {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        ExportError::Io {
            file: display_name(path),
            source,
        }
    }

    /// A writer's error on `path`.
    pub fn write(path: &Path, message: impl Into<String>) -> Self {
        ExportError::Write {
            file: display_name(path),
            message: message.into(),
        }
    }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, flushed to disk,
/// then renamed over the target, so a crash never leaves a half-written file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sortie".to_owned());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(ExportError::io(path, e));
    }
    Ok(())
}

/// Today's date as `JJ/MM/AAAA` (UTC), for the date line of maps.
pub fn today_fr() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    format!("{d:02}/{m:02}/{y:04}")
}

/// Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Lists names for error messages: `« a », « b »`.
pub(crate) fn quoted_list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let list: Vec<String> = names.map(|n| format!("« {n} »")).collect();
    if list.is_empty() {
        "aucune".to_owned()
    } else {
        list.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
    }
}
