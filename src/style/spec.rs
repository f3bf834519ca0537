//! The style choices a project file stores (how the choropleth is classified, with which
//! palette): plain serialisable data with no dependency on the rest of the crate, so that the
//! project file format ([`crate::project`]) can hold them while the style code that applies
//! them sits above the importers.

use serde::{Deserialize, Serialize};

/// The number of classes a choropleth may have (smallest, largest).
pub const CLASS_COUNT_RANGE: (usize, usize) = (3, 9);

/// How the choropleth classifies its indicator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassificationSpec {
    /// How values are cut into classes.
    pub method: ClassMethod,
    /// Number of classes (3 to 9).
    pub classes: usize,
    /// Palette name (see `style::palettes`).
    pub palette: String,
    /// Breaks given by the user (method `manual`), or breaks frozen at T0 to be reused at T+3.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breaks: Vec<f64>,
}

impl Default for ClassificationSpec {
    fn default() -> Self {
        ClassificationSpec {
            method: ClassMethod::Quantiles,
            classes: 5,
            palette: "Oranges".to_owned(),
            breaks: Vec::new(),
        }
    }
}

/// How values are cut into classes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassMethod {
    /// Same number of zones in each class.
    #[default]
    Quantiles,
    /// Classes of equal width between min and max.
    EqualInterval,
    /// Natural breaks (Fisher–Jenks: minimal within-class variance).
    NaturalBreaks,
    /// Standard deviations around the mean of the territory (diverging).
    StdDev,
    /// Box map: quartiles and outliers beyond 1.5 × the interquartile range.
    BoxMap,
    /// Breaks given by the user.
    Manual,
}

impl ClassMethod {
    /// Every method, in the order menus show them.
    pub const ALL: [ClassMethod; 6] = [
        ClassMethod::Quantiles,
        ClassMethod::EqualInterval,
        ClassMethod::NaturalBreaks,
        ClassMethod::StdDev,
        ClassMethod::BoxMap,
        ClassMethod::Manual,
    ];

    /// The name shown to the user.
    pub fn label(self) -> &'static str {
        match self {
            ClassMethod::Quantiles => "Quantiles (effectifs égaux)",
            ClassMethod::EqualInterval => "Intervalles égaux",
            ClassMethod::NaturalBreaks => "Seuils naturels (Jenks)",
            ClassMethod::StdDev => "Écarts-types autour de la moyenne",
            ClassMethod::BoxMap => "Boîte à moustaches (valeurs extrêmes)",
            ClassMethod::Manual => "Seuils manuels",
        }
    }
}
