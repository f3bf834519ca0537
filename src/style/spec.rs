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

/// Shapes of point symbols (see `style::map_style` for their outlines and French names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SymbolShape {
    /// A disc.
    Circle,
    /// A square standing on a side.
    Square,
    /// A triangle pointing up.
    Triangle,
    /// A square standing on a corner.
    Diamond,
    /// A triangle pointing down.
    TriangleDown,
    /// A Greek cross.
    Cross,
    /// A five-pointed star.
    Star,
    /// A hexagon.
    Hexagon,
}

/// The symbol chosen by the user for one theme of one point layer; each choice left empty
/// keeps the automatic one (colour and shape numbered across the themes, default size).
/// Visibility is the project's `hidden_themes`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThemeStyleSpec {
    /// The point layer (`id`).
    pub layer: String,
    /// The theme (`France Services`), or the layer's name for a layer without theme field.
    pub theme: String,
    /// Fill colour, written `#rrggbb` in the project file.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "hex_color_option"
    )]
    pub color: Option<[u8; 3]>,
    /// Shape of the symbol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<SymbolShape>,
    /// Width of the symbol on screen, pixels (printed at 0.75 pt per pixel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_px: Option<f32>,
}

impl ThemeStyleSpec {
    /// A choice that keeps everything automatic, for `theme` of layer `layer`.
    pub fn automatic(layer: &str, theme: &str) -> ThemeStyleSpec {
        ThemeStyleSpec {
            layer: layer.to_owned(),
            theme: theme.to_owned(),
            color: None,
            shape: None,
            size_px: None,
        }
    }

    /// Whether nothing is chosen (the automatic symbol).
    pub fn is_automatic(&self) -> bool {
        self.color.is_none() && self.shape.is_none() && self.size_px.is_none()
    }
}

/// Records `choice` in `styles`, replacing the choice for the same layer and theme; a choice
/// that keeps everything automatic removes the entry (*Rétablir le style automatique*).
pub fn set_theme_style(styles: &mut Vec<ThemeStyleSpec>, choice: ThemeStyleSpec) {
    styles.retain(|s| !(s.layer == choice.layer && s.theme == choice.theme));
    if !choice.is_automatic() {
        styles.push(choice);
    }
}

/// How the zones of one layer are named on the map: which field, at which size. Empty
/// choices keep the layer's name field and the default size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabelSpec {
    /// The zone layer (`id`).
    pub layer: String,
    /// The field whose values name the zones (text or number); the layer's name field when
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Text size on screen, pixels (printed at 0.75 pt per pixel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_px: Option<f32>,
}

impl LabelSpec {
    /// Whether nothing is chosen (the name field at the default size).
    pub fn is_automatic(&self) -> bool {
        self.field.is_none() && self.size_px.is_none()
    }
}

/// Records `choice` in `labels`, replacing the choice for the same layer; a choice that keeps
/// everything automatic removes the entry.
pub fn set_label_style(labels: &mut Vec<LabelSpec>, choice: LabelSpec) {
    labels.retain(|s| s.layer != choice.layer);
    if !choice.is_automatic() {
        labels.push(choice);
    }
}

/// `#rrggbb` (lower case) for a colour.
pub fn hex_color(c: [u8; 3]) -> String {
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

/// The colour written `#rrggbb` or `rrggbb` (either case), or `None`.
pub fn parse_hex_color(s: &str) -> Option<[u8; 3]> {
    let s = s.trim();
    let s = s.strip_prefix('#').unwrap_or(s);
    if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let byte = |i: usize| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok());
    Some([byte(0)?, byte(2)?, byte(4)?])
}

/// Serde of an optional colour as `#rrggbb`.
mod hex_color_option {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(c: &Option<[u8; 3]>, s: S) -> Result<S::Ok, S::Error> {
        match c {
            Some(c) => s.serialize_str(&super::hex_color(*c)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<[u8; 3]>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(text) => super::parse_hex_color(&text).map(Some).ok_or_else(|| {
                D::Error::custom(format!(
                    "couleur « {text} » illisible (attendu : #rrggbb, par exemple #0072b2)"
                ))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_read_as_written_and_bad_ones_refused() {
        assert_eq!(parse_hex_color("#0072B2"), Some([0, 114, 178]));
        assert_eq!(parse_hex_color("e69f00"), Some([230, 159, 0]));
        assert_eq!(hex_color([0, 114, 178]), "#0072b2");
        for bad in ["", "#12345", "#1234567", "#gg0000", "#é0000", "+f+f+f"] {
            assert_eq!(parse_hex_color(bad), None, "{bad}");
        }
        let e = serde_json::from_str::<ThemeStyleSpec>(
            r#"{"layer":"s","theme":"CCAS","color":"rouge"}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("couleur « rouge » illisible"), "{e}");
    }

    #[test]
    fn an_automatic_choice_removes_the_entry() {
        let mut styles = Vec::new();
        let mut red = ThemeStyleSpec::automatic("services", "CCAS");
        red.color = Some([255, 0, 0]);
        set_theme_style(&mut styles, red.clone());
        let mut big = red.clone();
        big.size_px = Some(20.0);
        set_theme_style(&mut styles, big.clone());
        assert_eq!(styles, vec![big]);
        set_theme_style(&mut styles, ThemeStyleSpec::automatic("services", "CCAS"));
        assert!(styles.is_empty());
    }
}
