//! Map styling: classification of indicator values into classes, and colour palettes.
//! Shared by the desktop map, the SVG/PNG exports and the atlas.

pub mod classify;
pub mod map_style;
pub mod palette;
pub mod spec;

pub use classify::{Classification, classify};
pub use map_style::palette_of;
pub use palette::{MISSING_COLOR, Palette, PaletteKind, palette, palettes};
pub use spec::{ClassMethod, ClassificationSpec};

use crate::model::{Field, FieldKind};

/// Why values could not be classified or painted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StyleError {
    #[error("nombre de classes invalide : {classes} (choisir entre 3 et 9)")]
    ClassCount { classes: usize },
    #[error("aucune valeur à classer (toutes manquantes ou aucune zone)")]
    NoValues,
    #[error("valeur non finie en position {index} : impossible de classer")]
    NotFinite { index: usize },
    #[error("seuils manuels invalides : {reason}")]
    ManualBreaks { reason: String },
    #[error("palette inconnue « {name} » (palettes disponibles : {available})")]
    UnknownPalette { name: String, available: String },
    #[error(
        "le champ « {field} » n'est pas numérique : impossible d'en faire une carte choroplèthe"
    )]
    NotNumeric { field: String },
    #[error("indicateur « {field} » : {source}")]
    InField {
        field: String,
        #[source]
        source: Box<StyleError>,
    },
}

/// Classifies the present values of an indicator column as `spec` says; missing values are
/// left out (they are drawn apart, hatched). Errors name the field.
pub fn classify_field(
    field: &Field,
    spec: &ClassificationSpec,
) -> Result<Classification, StyleError> {
    if field.kind != FieldKind::Number {
        return Err(StyleError::NotNumeric {
            field: field.name.clone(),
        });
    }
    let values: Vec<f64> = field.values.iter().filter_map(|v| v.as_f64()).collect();
    classify(&values, spec.method, spec.classes, &spec.breaks).map_err(|e| StyleError::InField {
        field: field.name.clone(),
        source: Box::new(e),
    })
}
