//! Map styling: classification of indicator values into classes, and colour palettes.
//! Shared by the desktop map, the SVG/PNG exports and the atlas.

use serde::{Deserialize, Serialize};

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
