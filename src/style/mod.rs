//! Map styling: classification of indicator values into classes, and colour palettes.
//! Shared by the desktop map, the SVG/PNG exports and the atlas.

pub mod classify;
pub mod labels;
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
    /// The number of classes asked for is outside 3..=9 (methods other than manual and box map).
    #[error("nombre de classes invalide : {classes} (choisir entre 3 et 9)")]
    ClassCount {
        /// The number of classes asked for.
        classes: usize,
    },
    /// There is no present value to classify.
    #[error("aucune valeur à classer (toutes manquantes ou aucune zone)")]
    NoValues,
    /// A value is NaN or infinite.
    #[error("valeur non finie en position {index} : impossible de classer")]
    NotFinite {
        /// Position of the value among the values given, 0-based.
        index: usize,
    },
    /// Manual class bounds are not finite, not strictly ascending, or give a wrong class count.
    #[error("seuils manuels invalides : {reason}")]
    ManualBreaks {
        /// What is wrong with the bounds, in French.
        reason: String,
    },
    /// The palette named in the spec does not exist.
    #[error("palette inconnue « {name} » (palettes disponibles : {available})")]
    UnknownPalette {
        /// The palette name asked for.
        name: String,
        /// The known palette names, separated by `, `.
        available: String,
    },
    /// A choropleth was asked on a field that is not numeric.
    #[error(
        "le champ « {field} » n'est pas numérique : impossible d'en faire une carte choroplèthe"
    )]
    NotNumeric {
        /// Name of the field.
        field: String,
    },
    /// An error while classifying a named indicator field.
    #[error("indicateur « {field} » : {source}")]
    InField {
        /// Name of the indicator field.
        field: String,
        /// The error met on its values.
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
