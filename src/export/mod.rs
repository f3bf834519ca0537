//! Report-ready exports: maps (SVG, and PNG through resvg with the bundled font), layers
//! (GeoJSON, CSV, XLSX, GeoPackage in Lambert-93), the atlas (one map per EPCI), with the
//! statistical-secrecy and personal-data guards applied to every one of them.
//!
//! Everything here runs headless: no window, no GPU.

pub mod atlas;
pub mod compose;
pub mod composition;
pub mod data;
pub mod deck;
pub mod diagnostic_maps;
pub mod map;
pub mod page;
pub mod parquet;
pub mod projection;
pub mod proposals;
pub mod raster;
pub mod secrecy;
pub mod svg;
pub mod text;
pub mod tiles;

pub use compose::{RenderOptions, compose_project};
pub use composition::MapComposition;
pub use data::{DataExportOptions, DataFormat, ExportReport, export_layer};
pub use page::Preset;
pub use raster::{render_png, svg_to_png};
pub use svg::render_svg;

pub use crate::fsutil::write_atomic;

use crate::error::{LoadError, display_name};
use crate::fsutil::WriteError;
use crate::style::StyleError;
use std::path::Path;

/// Why an export could not be made. Messages are in French and name the file, layer or field.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// A file could not be written.
    #[error("{file} : écriture impossible ({source})")]
    Io {
        /// The file, as shown to the user.
        file: String,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// A writer refused the content (XLSX, GeoPackage…).
    #[error("{file} : {message}")]
    Write {
        /// The file, as shown to the user.
        file: String,
        /// What went wrong, in French.
        message: String,
    },
    /// No layer of the project has this `id`.
    #[error("couche « {id} » absente du projet (couches : {available})")]
    UnknownLayer {
        /// The `id` asked for.
        id: String,
        /// The layers of the project, listed.
        available: String,
    },
    /// No saved view of the project has this name.
    #[error("vue « {name} » absente du projet (vues : {available})")]
    UnknownView {
        /// The name asked for.
        name: String,
        /// The views of the project, listed.
        available: String,
    },
    /// The layer has no field of this name.
    #[error("champ « {field} » absent de la couche « {layer} » (champs : {available})")]
    UnknownField {
        /// The field asked for.
        field: String,
        /// The layer searched.
        layer: String,
        /// The fields of the layer, listed.
        available: String,
    },
    /// A personal-data layer was asked for as points.
    #[error(
        "la couche « {layer} » contient des données personnelles : elle ne peut sortir qu'agrégée par zone, jamais en points individuels (option --agreger-par ZONES)"
    )]
    PersonalData {
        /// The layer.
        layer: String,
    },
    /// The output file's extension names no format CartoSol writes.
    #[error("{file} : format de sortie non reconnu (extensions possibles : {expected})")]
    UnknownFormat {
        /// The file, as shown to the user.
        file: String,
        /// The extensions accepted.
        expected: &'static str,
    },
    /// A page format that is not a preset nor a size in pixels.
    #[error(
        "format de page inconnu « {0} » (attendu : a4-paysage, a4-portrait, diapo ou LARGEURxHAUTEUR en pixels, par exemple 1600x900)"
    )]
    Preset(String),
    /// The layer to map has no zone.
    #[error("la couche « {layer} » n'a aucune zone à cartographier")]
    EmptyLayer {
        /// The layer.
        layer: String,
    },
    /// The SVG could not be rendered to PNG.
    #[error("rendu de l'image impossible : {0}")]
    Render(String),
    /// The indicator could not be classified or painted.
    #[error(transparent)]
    Style(#[from] StyleError),
    /// A source of the project could not be read.
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

/// Today's date in France (Europe/Paris), as `JJ/MM/AAAA`, for the date line of maps.
pub fn today_fr() -> String {
    date_fr_in_paris(jiff::Timestamp::now())
}

/// The date of `instant` in France (Europe/Paris, summer time included), as `JJ/MM/AAAA`.
///
/// The zone comes from the time-zone database bundled in the program, so the result does not
/// depend on the machine's settings nor on a network.
pub fn date_fr_in_paris(instant: jiff::Timestamp) -> String {
    let date = instant.to_zoned_datetime(paris()).date();
    format!("{:02}/{:02}/{:04}", date.day(), date.month(), date.year())
}

/// The Europe/Paris zone from the bundled database; failing that (it cannot with the bundle,
/// but no date line is worth a crash), the French rule since 1996 written as a POSIX TZ string.
fn paris() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get("Europe/Paris")
        .or_else(|_| jiff::tz::TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3"))
        .unwrap_or(jiff::tz::TimeZone::UTC)
}

impl From<WriteError> for ExportError {
    /// A failed write is reported as the export's own I/O error (same message).
    fn from(e: WriteError) -> Self {
        ExportError::Io {
            file: e.file,
            source: e.source,
        }
    }
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

    fn instant(text: &str) -> jiff::Timestamp {
        text.parse().expect("RFC 3339 instant")
    }

    #[test]
    fn date_of_a_summer_night_in_paris() {
        // 22:30 UTC on 30 June is 00:30 on 1 July in Paris (UTC+2 in summer).
        assert_eq!(date_fr_in_paris(instant("2026-06-30T22:30Z")), "01/07/2026");
        assert_eq!(date_fr_in_paris(instant("2026-06-30T21:59Z")), "30/06/2026");
    }

    #[test]
    fn date_of_new_year_night_in_paris() {
        // 23:30 UTC on 31 December is 00:30 on 1 January in Paris (UTC+1 in winter).
        assert_eq!(date_fr_in_paris(instant("2026-12-31T23:30Z")), "01/01/2027");
        assert_eq!(date_fr_in_paris(instant("2026-12-31T22:59Z")), "31/12/2026");
    }

    #[test]
    fn date_around_the_change_to_winter_time() {
        // Summer time ends on Sunday 25 October 2026 at 01:00 UTC. The evening before, 22:30
        // UTC is already 00:30 on the 25th (UTC+2); that Sunday evening, 22:30 UTC is only
        // 23:30 on the 25th (UTC+1), and 23:30 UTC is 00:30 on the 26th.
        assert_eq!(date_fr_in_paris(instant("2026-10-24T22:30Z")), "25/10/2026");
        assert_eq!(date_fr_in_paris(instant("2026-10-25T22:30Z")), "25/10/2026");
        assert_eq!(date_fr_in_paris(instant("2026-10-25T23:30Z")), "26/10/2026");
    }
}
