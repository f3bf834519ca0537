//! The resolved style of a map: everything a renderer needs to paint a project's view, decided
//! once and drawn by both renderers — the egui map of the app and the SVG/PNG composition of the
//! exports (`cartosol render`, *Exporter la carte*, the atlas). No renderer decides a colour, a
//! symbol, a class or a legend row by itself: they read them from here.
//!
//! - Choropleth: the indicator's values classified as the [`ClassificationSpec`] says, a colour
//!   per class whose direction is decided by the palette's kind (see [`class_colors`]), a paint
//!   per zone (class colour, or hatched with the reason of its missing value), the legend rows
//!   with their counts and the missing-value entries, and each zone's rank.
//! - Points: one theme per distinct value of the layer's theme field (declared, else the first
//!   known name: [`THEME_FIELD_NAMES`]), each with a colour-blind-safe colour
//!   ([`THEME_COLORS`], Okabe–Ito) and one of the eight [`SymbolShape`]s, numbered across the
//!   point layers so that no two themes of a map share both colour and shape.
//! - Layers: drawing order, visibility and opacity ([`LayerPaint`]).
//! - Analysis overlays: the outline of under-served zones ([`UNDERSERVED_COLOR`]).
//!
//! This module knows no project file and no UI: callers hand it plain slices (values, tables,
//! names), so that the project layer, the app and the exports can all call it.

use super::classify::{Classification, classify};
use super::palette::{Palette, PaletteKind, palette, palettes};
use super::spec::ClassificationSpec;
use super::{ClassMethod, StyleError};
use crate::model::{Field, Table};
use crate::value::{Missing, ValueRef, format_number};

/// How a zone is painted.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ZonePaint {
    /// The colour of its class.
    Color([u8; 3]),
    /// Hatched: its value is missing for this reason.
    Missing(Missing),
}

/// One class of the legend.
#[derive(Clone, Debug, PartialEq)]
pub struct LegendClass {
    /// The class colour (sRGB).
    pub color: [u8; 3],
    /// `de 8,2 à 12,5`.
    pub label: String,
    /// Number of zones in the class.
    pub count: usize,
}

/// The choropleth legend.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Legend {
    /// The indicator, as the reader should read it (`Taux de pauvreté (%)`).
    pub title: String,
    /// The classification method and class count (`Seuils naturels (Jenks) — 5 classes`).
    pub method: String,
    /// The classes, lowest first.
    pub classes: Vec<LegendClass>,
    /// Missing values by reason, with their count (hatched swatches).
    pub missing: Vec<(Missing, usize)>,
}

/// The class colours of `palette` for `n` classes, lowest class first.
///
/// The direction is decided by the palette's kind, never by its name:
/// - sequential: light to dark (low values light, high values dark), as ColorBrewer lists them;
/// - diverging: reversed from ColorBrewer's order, whose first end is the warm/alarm hue in
///   every scheme (red in RdBu, RdYlBu, RdYlGn, RdGy, Spectral; orange in PuOr; brown in BrBG;
///   pink in PiYG; purple in PRGn): that hue marks the highest values, which for the needs of a
///   diagnostic are the worst, and the cool hue the lowest.
pub fn class_colors(palette: &Palette, n: usize) -> Vec<[u8; 3]> {
    let mut colors = palette.colors(n);
    if palette.kind == PaletteKind::Diverging {
        colors.reverse();
    }
    colors
}

/// The palette named in a classification spec, or an error listing the known ones.
pub fn palette_of(spec: &ClassificationSpec) -> Result<&'static Palette, StyleError> {
    palette(&spec.palette).ok_or_else(|| StyleError::UnknownPalette {
        name: spec.palette.clone(),
        available: palettes()
            .iter()
            .map(|p| p.name)
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// The resolved choropleth of one indicator.
#[derive(Clone, Debug, PartialEq)]
pub struct ChoroplethStyle {
    /// The field mapped.
    pub indicator: String,
    /// The classification asked for.
    pub spec: ClassificationSpec,
    /// The classes, or why there are none.
    pub classification: Result<Classification, StyleError>,
    /// Colour of each class, lowest first (empty without classes).
    pub colors: Vec<[u8; 3]>,
    /// Paint of each zone, in the layer's order.
    pub paint: Vec<ZonePaint>,
    /// Class of each zone (none when its value is missing or there are no classes).
    pub class_of: Vec<Option<usize>>,
    /// The legend: title, method, classes with their counts, missing values by reason.
    pub legend: Legend,
    /// Rank of each zone's value (1 = highest) among the zones with a value.
    pub rank: Vec<Option<usize>>,
    /// Number of zones with a value.
    pub ranked: usize,
}

impl ChoroplethStyle {
    /// The fill colour of zone `i`, or `None` when it is hatched (missing value) or unknown.
    pub fn color_of(&self, i: usize) -> Option<[u8; 3]> {
        match self.paint.get(i) {
            Some(ZonePaint::Color(c)) => Some(*c),
            _ => None,
        }
    }
}

/// Resolves the choropleth of an indicator whose values (one per zone, in the layer's order,
/// after the secrecy guard when the map is to be published) are `values`.
///
/// `numeric` says whether the field is numeric (a text field cannot be mapped); `title` is the
/// legend title (the indicator's label, else its code). A classification that cannot be made
/// (no values, bad class count, unknown palette) leaves every zone hatched and says why in
/// `classification`.
pub fn resolve_choropleth(
    indicator: &str,
    values: &crate::model::Column,
    numeric: bool,
    spec: &ClassificationSpec,
    title: &str,
) -> ChoroplethStyle {
    let present: Vec<f64> = values.iter().filter_map(ValueRef::as_f64).collect();
    let classified = if !numeric {
        Err(StyleError::NotNumeric {
            field: indicator.to_owned(),
        })
    } else {
        classify(&present, spec.method, spec.classes, &spec.breaks)
    }
    .map_err(|e| StyleError::InField {
        field: indicator.to_owned(),
        source: Box::new(e),
    });
    let classification = classified.and_then(|c| palette_of(spec).map(|p| (c, p)));
    let (colors, classification) = match classification {
        Ok((c, p)) => (class_colors(p, c.len()), Ok(c)),
        Err(e) => (Vec::new(), Err(e)),
    };
    let class_of: Vec<Option<usize>> = values
        .iter()
        .map(|v| {
            let x = v.as_f64()?;
            let class = classification.as_ref().ok()?.class_of(x)?;
            colors.get(class).map(|_| class)
        })
        .collect();
    let paint: Vec<ZonePaint> = values
        .iter()
        .zip(&class_of)
        .map(|(v, class)| match (v, class) {
            (_, Some(c)) => colors
                .get(*c)
                .map_or(ZonePaint::Missing(Missing::NotAvailable), |c| {
                    ZonePaint::Color(*c)
                }),
            (ValueRef::Missing(m), None) => ZonePaint::Missing(m),
            (_, None) => ZonePaint::Missing(Missing::NotAvailable),
        })
        .collect();
    let mut missing: Vec<(Missing, usize)> = Vec::new();
    for p in &paint {
        if let ZonePaint::Missing(m) = p {
            match missing.iter_mut().find(|(k, _)| k == m) {
                Some((_, n)) => *n += 1,
                None => missing.push((*m, 1)),
            }
        }
    }
    missing.sort();
    let legend = Legend {
        title: title.to_owned(),
        method: match &classification {
            Ok(c) => format!("{} — {} classes", c.method.label(), c.len()),
            Err(_) => spec.method.label().to_owned(),
        },
        classes: match &classification {
            Ok(c) => c
                .labels()
                .into_iter()
                .zip(&colors)
                .zip(&c.counts)
                .map(|((label, color), count)| LegendClass {
                    color: *color,
                    label,
                    count: *count,
                })
                .collect(),
            Err(_) => Vec::new(),
        },
        missing,
    };
    let mut order: Vec<(usize, f64)> = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.as_f64().map(|x| (i, x)))
        .collect();
    order.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut rank = vec![None; values.len()];
    for (r, (i, _)) in order.iter().enumerate() {
        if let Some(slot) = rank.get_mut(*i) {
            *slot = Some(r + 1);
        }
    }
    ChoroplethStyle {
        indicator: indicator.to_owned(),
        spec: spec.clone(),
        classification,
        colors,
        paint,
        class_of,
        legend,
        ranked: order.len(),
        rank,
    }
}

/// The palette to use after switching to `method`: the current one when its kind suits the
/// method (diverging for standard deviations and box maps, which are read around a centre;
/// sequential for the others), else `RdBu` or `Oranges`. An unknown palette is kept, so that
/// the error about it stays visible.
pub fn palette_for_method(method: ClassMethod, current: &str) -> String {
    let diverging = matches!(method, ClassMethod::StdDev | ClassMethod::BoxMap);
    match palette(current) {
        Some(p) if (p.kind == PaletteKind::Diverging) != diverging => {
            if diverging { "RdBu" } else { "Oranges" }.to_owned()
        }
        _ => current.to_owned(),
    }
}

pub use super::spec::SymbolShape;
pub use super::spec::ThemeStyleSpec;

impl SymbolShape {
    /// The shapes in the order themes get them.
    pub const ALL: [SymbolShape; 8] = [
        SymbolShape::Circle,
        SymbolShape::Square,
        SymbolShape::Triangle,
        SymbolShape::Diamond,
        SymbolShape::TriangleDown,
        SymbolShape::Cross,
        SymbolShape::Star,
        SymbolShape::Hexagon,
    ];

    /// The outline of the symbol for a radius of 1, centred on (0, 0), y pointing down (screen
    /// and SVG), clockwise on screen. The circle is given as a 24-gon; renderers that have a
    /// native circle use it instead. Every outline is star-shaped around the centre, so a fan
    /// of triangles from (0, 0) fills it exactly.
    pub fn outline(self) -> Vec<(f64, f64)> {
        use std::f64::consts::{FRAC_PI_2, PI};
        let regular = |n: u32, r: f64, start: f64| -> Vec<(f64, f64)> {
            (0..n)
                .map(|i| {
                    let a = start + 2.0 * PI * f64::from(i) / f64::from(n);
                    (r * a.cos(), r * a.sin())
                })
                .collect()
        };
        match self {
            SymbolShape::Circle => regular(24, 1.0, 0.0),
            SymbolShape::Square => vec![(-0.85, -0.85), (0.85, -0.85), (0.85, 0.85), (-0.85, 0.85)],
            SymbolShape::Triangle => vec![(0.0, -1.15), (1.05, 0.75), (-1.05, 0.75)],
            SymbolShape::TriangleDown => vec![(0.0, 1.15), (-1.05, -0.75), (1.05, -0.75)],
            SymbolShape::Diamond => vec![(0.0, -1.2), (1.0, 0.0), (0.0, 1.2), (-1.0, 0.0)],
            SymbolShape::Cross => vec![
                (-0.35, -1.0),
                (0.35, -1.0),
                (0.35, -0.35),
                (1.0, -0.35),
                (1.0, 0.35),
                (0.35, 0.35),
                (0.35, 1.0),
                (-0.35, 1.0),
                (-0.35, 0.35),
                (-1.0, 0.35),
                (-1.0, -0.35),
                (-0.35, -0.35),
            ],
            SymbolShape::Star => (0..10)
                .map(|i| {
                    let a = PI * f64::from(i) / 5.0 - FRAC_PI_2;
                    let r = if i % 2 == 0 { 1.3 } else { 0.55 };
                    (r * a.cos(), r * a.sin())
                })
                .collect(),
            SymbolShape::Hexagon => regular(6, 1.05, 0.0),
        }
    }

    /// The name shown to the user.
    pub fn label(self) -> &'static str {
        match self {
            SymbolShape::Circle => "rond",
            SymbolShape::Square => "carré",
            SymbolShape::Triangle => "triangle",
            SymbolShape::Diamond => "losange",
            SymbolShape::TriangleDown => "triangle inversé",
            SymbolShape::Cross => "croix",
            SymbolShape::Star => "étoile",
            SymbolShape::Hexagon => "hexagone",
        }
    }
}

/// Colours of point themes, in the order themes get them: the Okabe–Ito palette, readable by
/// colour-blind readers, ordered so that the first themes stand out on the warm sequential
/// fills most poverty maps use (blue, bluish green, reddish purple, sky blue, black, yellow,
/// then vermillion and orange last). Symbols are drawn with a dark outline
/// ([`SYMBOL_OUTLINE_COLOR`]) on a white halo so that they stand out on every fill.
pub const THEME_COLORS: [[u8; 3]; 8] = [
    [0, 114, 178],
    [0, 158, 115],
    [204, 121, 167],
    [86, 180, 233],
    [0, 0, 0],
    [240, 228, 66],
    [213, 94, 0],
    [230, 159, 0],
];

/// The width of a point symbol, screen pixels, unless the user chose another
/// ([`ThemeStyleSpec::size_px`]); printed at [`PT_PER_PX`] points per pixel.
pub const SYMBOL_SIZE_PX: f32 = 11.0;

/// The widths a user may give a point symbol, screen pixels (smallest, largest).
pub const SYMBOL_SIZE_RANGE_PX: (f32, f32) = (4.0, 40.0);

/// Radius of the white halo under a point symbol, as a multiple of the symbol's radius.
pub const SYMBOL_HALO_RATIO: f64 = 7.5 / 5.5;

/// Opacity of the halo under point symbols.
pub const SYMBOL_HALO_ALPHA: f32 = 0.9;

/// The colour of a point layer with a single theme (e.g. town halls): a neutral grey.
pub const SINGLE_THEME_COLOR: [u8; 3] = [90, 90, 90];

/// The outline of point symbols.
pub const SYMBOL_OUTLINE_COLOR: [u8; 3] = [26, 26, 26];

/// The halo drawn under point symbols.
pub const SYMBOL_HALO_COLOR: [u8; 3] = [255, 255, 255];

/// The background of the map where no basemap tile is drawn (no basemap, offline, tiles
/// loading), on screen and in exports: a pale blue-grey.
pub const MAP_BACKGROUND: [u8; 3] = [236, 238, 240];

/// Outline colour of under-served zones (map and exports).
pub const UNDERSERVED_COLOR: [u8; 3] = [200, 0, 30];

/// Width of the under-served outline, in screen pixels (points on a page).
pub const UNDERSERVED_WIDTH_PX: f32 = 3.0;

/// The names a theme field is looked for under when the project does not declare one, in
/// order of preference (data·inclusion's `thematiques` is a list: not a theme).
pub const THEME_FIELD_NAMES: [&str; 5] = [
    "dispositif",
    "theme",
    "thematique",
    "typologie",
    "categorie",
];

/// The theme given to points whose theme field is empty.
pub const NO_THEME: &str = "(sans thème)";

/// The field naming the themes of a point layer: the declared one, else the first of
/// [`THEME_FIELD_NAMES`] the table has.
pub fn theme_field<'a>(declared: Option<&str>, table: &'a Table) -> Option<&'a Field> {
    match declared {
        Some(name) => table.field(name),
        None => table.find_field(&THEME_FIELD_NAMES),
    }
}

/// One theme of a point layer.
#[derive(Clone, Debug, PartialEq)]
pub struct ThemeStyle {
    /// The theme (`France Services`), or the layer name for a layer without theme field.
    pub name: String,
    /// Fill colour of its symbols.
    pub color: [u8; 3],
    /// Shape of its symbols.
    pub shape: SymbolShape,
    /// Width of its symbols on screen, pixels (the radius is half of it; printed at
    /// [`PT_PER_PX`] points per pixel).
    pub size_px: f32,
    /// Whether the user chose its colour, shape or size (else all automatic).
    pub custom: bool,
    /// Whether it is drawn (not among the project's hidden themes).
    pub visible: bool,
    /// Points of this theme, with or without coordinates.
    pub count: usize,
    /// Points of this theme without coordinates.
    pub unpositioned: usize,
}

/// The resolved style of one point layer.
#[derive(Clone, Debug, PartialEq)]
pub struct PointLayerStyle {
    /// The themes, sorted by name.
    pub themes: Vec<ThemeStyle>,
    /// Index in `themes` of each point's theme.
    pub theme_of: Vec<usize>,
}

impl PointLayerStyle {
    /// The theme of point `i`.
    pub fn theme(&self, i: usize) -> Option<&ThemeStyle> {
        self.theme_of.get(i).and_then(|t| self.themes.get(*t))
    }
}

/// A point layer, as the style needs to see it.
#[derive(Clone, Copy, Debug)]
pub struct PointLayerInput<'a> {
    /// The layer's `id` (the key of the user's symbol choices).
    pub id: &'a str,
    /// The layer's name (the theme of a layer without theme field).
    pub name: &'a str,
    /// The declared theme field, if any.
    pub theme_field: Option<&'a str>,
    /// The layer's attributes.
    pub attributes: &'a Table,
    /// Whether each point has a position (one entry per point of the layer).
    pub positioned: &'a [bool],
}

/// The theme name of each point of a layer.
fn theme_names(layer: &PointLayerInput<'_>) -> Vec<String> {
    match theme_field(layer.theme_field, layer.attributes) {
        Some(f) => f
            .values
            .iter()
            .map(|v| match v {
                ValueRef::Missing(_) => NO_THEME.to_owned(),
                ValueRef::Number(n) => format_number(n),
                ValueRef::Text(t) if t.trim().is_empty() => NO_THEME.to_owned(),
                ValueRef::Text(t) => t.trim().to_owned(),
            })
            .collect(),
        None => vec![layer.name.to_owned(); layer.positioned.len()],
    }
}

/// Resolves the themes of the point layers of a map, in the project's order.
///
/// Themes are numbered across the layers (layer after layer, themes sorted by name within a
/// layer): theme `k` gets colour `k mod 8` and shape `(k + k div 8) mod 8`, so that no two of
/// the first 64 themes share both. A layer with a single theme is drawn in neutral grey
/// ([`SINGLE_THEME_COLOR`]) and still takes its number. The numbering does not depend on which
/// themes or layers are hidden, so that hiding one never recolours the others.
///
/// The user's choices (`choices`, the project's `point_styles`, keyed by layer `id` and theme
/// name) then replace the colour, shape or size they name, and only those: the app's map and
/// every export read the symbols from here, so a restyled theme is drawn the same everywhere.
/// A size is kept within [`SYMBOL_SIZE_RANGE_PX`]; a choice naming no theme of the layer
/// changes nothing.
pub fn resolve_point_layers(
    layers: &[PointLayerInput<'_>],
    hidden_themes: &[String],
    choices: &[ThemeStyleSpec],
) -> Vec<PointLayerStyle> {
    let mut next = 0usize;
    layers
        .iter()
        .map(|layer| {
            let names = theme_names(layer);
            let mut distinct = names.clone();
            distinct.sort();
            distinct.dedup();
            let single = distinct.len() == 1;
            let mut themes: Vec<ThemeStyle> = distinct
                .iter()
                .map(|name| {
                    let k = next;
                    next += 1;
                    let choice = choices
                        .iter()
                        .find(|c| c.layer == layer.id && c.theme == *name);
                    let automatic_color = if single {
                        SINGLE_THEME_COLOR
                    } else {
                        THEME_COLORS[k % THEME_COLORS.len()]
                    };
                    let automatic_shape =
                        SymbolShape::ALL[(k + k / SymbolShape::ALL.len()) % SymbolShape::ALL.len()];
                    let (lo, hi) = SYMBOL_SIZE_RANGE_PX;
                    ThemeStyle {
                        name: name.clone(),
                        color: choice.and_then(|c| c.color).unwrap_or(automatic_color),
                        shape: choice.and_then(|c| c.shape).unwrap_or(automatic_shape),
                        size_px: choice
                            .and_then(|c| c.size_px)
                            .filter(|s| s.is_finite())
                            .map_or(SYMBOL_SIZE_PX, |s| s.clamp(lo, hi)),
                        custom: choice.is_some_and(|c| !c.is_automatic()),
                        visible: !hidden_themes.contains(name),
                        count: 0,
                        unpositioned: 0,
                    }
                })
                .collect();
            let theme_of: Vec<usize> = names
                .iter()
                .map(|n| distinct.binary_search(n).unwrap_or(0))
                .collect();
            for (i, &t) in theme_of.iter().enumerate() {
                if let Some(theme) = themes.get_mut(t) {
                    theme.count += 1;
                    if !layer.positioned.get(i).copied().unwrap_or(false) {
                        theme.unpositioned += 1;
                    }
                }
            }
            PointLayerStyle { themes, theme_of }
        })
        .collect()
}

/// What an analysis adds to the choropleth layer of a map, on screen and in exports alike:
/// the under-served zones outlined ([`UNDERSERVED_COLOR`]) with the rule in the legend, and
/// fills replaced by another classification (the bivariate need × offer map) with its key.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MapOverlay {
    /// Zones of the choropleth layer (indices) outlined as under-served.
    pub underserved: Vec<usize>,
    /// The rule that flags them, in words (legend row).
    pub rule: Option<String>,
    /// Fills replacing the choropleth's, with their key.
    pub fill: Option<OverlayFill>,
}

/// The qualitative colour of category `i` of a categorical map (poverty profiles, classes of
/// a typology): the Okabe–Ito colours of the service themes ([`THEME_COLORS`]) without black,
/// then grey, brown and purple, cycling past ten.
pub fn category_colour(i: usize) -> [u8; 3] {
    const MORE: [[u8; 3]; 3] = [[153, 153, 153], [140, 86, 75], [117, 112, 179]];
    let colours: Vec<[u8; 3]> = THEME_COLORS
        .iter()
        .copied()
        .filter(|c| *c != [0, 0, 0])
        .chain(MORE)
        .collect();
    colours
        .get(i % colours.len())
        .copied()
        .unwrap_or([153, 153, 153])
}

/// Fills replacing the choropleth's (e.g. the bivariate map).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OverlayFill {
    /// The legend's method line (`Carte bivariée : besoin × offre (terciles)`).
    pub title: String,
    /// The colour of each zone; `None` is hatched as « non disponible ».
    pub colors: Vec<Option<[u8; 3]>>,
    /// The key, in the order the legend lists it, with the number of zones of each class.
    pub key: Vec<LegendClass>,
}

impl MapOverlay {
    /// Applies the overlay's fill to a resolved choropleth: paints, legend rows and missing
    /// entries then describe the overlay (class ranks are kept). Without fill, nothing changes.
    pub fn apply_fill(&self, style: &mut ChoroplethStyle) {
        let Some(fill) = &self.fill else { return };
        style.paint = fill
            .colors
            .iter()
            .map(|c| match c {
                Some(c) => ZonePaint::Color(*c),
                None => ZonePaint::Missing(Missing::NotAvailable),
            })
            .collect();
        let missing = fill.colors.iter().filter(|c| c.is_none()).count();
        style.legend.method = fill.title.clone();
        style.legend.classes = fill.key.clone();
        style.legend.missing = if missing > 0 {
            vec![(Missing::NotAvailable, missing)]
        } else {
            Vec::new()
        };
    }

    /// The legend row of the under-served outline: the rule and the number of zones flagged.
    pub fn outline_row(&self) -> Option<LegendClass> {
        self.rule.as_ref().map(|rule| LegendClass {
            color: UNDERSERVED_COLOR,
            label: rule.clone(),
            count: self.underserved.len(),
        })
    }
}

/// Whether and how a layer is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerPaint {
    /// Drawn at all.
    pub visible: bool,
    /// 0 (transparent) to 1, applied to fills, outlines and symbols alike.
    pub opacity: f32,
}

impl Default for LayerPaint {
    fn default() -> Self {
        LayerPaint {
            visible: true,
            opacity: 1.0,
        }
    }
}

/// Points per screen pixel: widths of the style are given in screen pixels (CSS pixels,
/// 1/96 in) and printed at 0.75 pt each (1 pt = 1/72 in), so that a page shows the lines of the
/// screen at the same weight relative to its text.
pub const PT_PER_PX: f64 = 0.75;

/// Opacity of the outlines of zone layers drawn without fill (over the choropleth).
pub const ZONE_OUTLINE_ALPHA: f32 = 220.0 / 255.0;

/// Opacity of the white outlines between the zones of the choropleth.
pub const CHOROPLETH_OUTLINE_ALPHA: f32 = 200.0 / 255.0;

/// The stroke width of zone outlines, in screen pixels (or in points on a printed page at the
/// reference scale), for a layer of `zones` zones: fine for dense layers.
pub fn zone_outline_width_px(zones: usize, choropleth: bool) -> f32 {
    match (zones > 1500, choropleth) {
        (true, true) => 0.4,
        (false, true) => 0.8,
        (true, false) => 0.5,
        (false, false) => 1.4,
    }
}

/// The outline colour of zones: white over a choropleth, dark grey over the basemap.
pub fn zone_outline_color(choropleth: bool) -> [u8; 3] {
    if choropleth {
        [255, 255, 255]
    } else {
        [60, 60, 60]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FieldKind;
    use crate::value::Value;

    fn spec(method: ClassMethod, classes: usize, palette: &str) -> ClassificationSpec {
        ClassificationSpec {
            method,
            classes,
            palette: palette.to_owned(),
            breaks: Vec::new(),
        }
    }

    #[test]
    fn palette_direction_follows_the_kind_not_the_name() {
        // Sequential: as ColorBrewer lists them, light first.
        for name in ["Oranges", "RdPu", "YlOrRd", "PuBuGn"] {
            let p = palette(name).unwrap();
            assert_eq!(class_colors(p, 5), p.colors(5), "{name}");
        }
        // Diverging, whatever the name: the warm end (ColorBrewer's first) marks the top class.
        for name in [
            "RdBu", "RdYlBu", "PuOr", "BrBG", "PiYG", "PRGn", "Spectral", "RdGy", "RdYlGn",
        ] {
            let p = palette(name).unwrap();
            let c = class_colors(p, 5);
            assert_eq!(c.first(), p.colors(5).last(), "{name}");
            assert_eq!(c.last(), p.colors(5).first(), "{name}");
        }
        // RdBu's top class is red (#ca0020 at 5 classes), PuOr's orange (#e66101).
        assert_eq!(
            class_colors(palette("RdBu").unwrap(), 5)[4],
            [0xca, 0x00, 0x20]
        );
        assert_eq!(
            class_colors(palette("PuOr").unwrap(), 5)[4],
            [0xe6, 0x61, 0x01]
        );
    }

    #[test]
    fn switching_method_keeps_a_suitable_palette_and_replaces_an_unsuitable_one() {
        assert_eq!(palette_for_method(ClassMethod::StdDev, "Oranges"), "RdBu");
        assert_eq!(palette_for_method(ClassMethod::StdDev, "PuOr"), "PuOr");
        assert_eq!(
            palette_for_method(ClassMethod::Quantiles, "PuOr"),
            "Oranges"
        );
        assert_eq!(
            palette_for_method(ClassMethod::NaturalBreaks, "Blues"),
            "Blues"
        );
        assert_eq!(
            palette_for_method(ClassMethod::BoxMap, "Inconnue"),
            "Inconnue"
        );
    }

    #[test]
    fn choropleth_paints_classes_and_missing_reasons() {
        let values = vec![
            Value::Number(1.0),
            Value::Number(2.0),
            Value::Missing(Missing::Secret),
            Value::Number(3.0),
            Value::Number(4.0),
            Value::Number(5.0),
            Value::Missing(Missing::Secret),
            Value::Missing(Missing::NotAvailable),
        ];
        let s = resolve_choropleth(
            "TP60",
            &values.clone().into(),
            true,
            &spec(ClassMethod::EqualInterval, 4, "Oranges"),
            "Taux",
        );
        let c = s.classification.as_ref().unwrap();
        assert_eq!(c.len(), 4);
        let oranges = palette("Oranges").unwrap().colors(4);
        // 1 is in the first class, 5 in the last.
        assert_eq!(s.paint[0], ZonePaint::Color(oranges[0]));
        assert_eq!(s.paint[5], ZonePaint::Color(oranges[3]));
        assert_eq!(s.paint[2], ZonePaint::Missing(Missing::Secret));
        assert_eq!(s.paint[7], ZonePaint::Missing(Missing::NotAvailable));
        let mut expected = vec![(Missing::Secret, 2), (Missing::NotAvailable, 1)];
        expected.sort();
        assert_eq!(s.legend.missing, expected);
        assert_eq!(s.legend.classes.len(), 4);
        assert_eq!(
            s.legend.classes.iter().map(|l| l.count).sum::<usize>(),
            5,
            "every zone with a value counted once"
        );
        assert_eq!(s.legend.title, "Taux");
        assert_eq!(s.rank[5], Some(1));
        assert_eq!(s.rank[0], Some(5));
        assert_eq!(s.rank[2], None);
        assert_eq!(s.ranked, 5);
    }

    #[test]
    fn an_unknown_palette_or_a_text_field_hatches_every_zone_and_says_why() {
        let values = vec![Value::Number(1.0), Value::Number(2.0), Value::Number(3.0)];
        let s = resolve_choropleth(
            "TP60",
            &values.clone().into(),
            true,
            &spec(ClassMethod::Quantiles, 3, "Arc-en-ciel"),
            "TP60",
        );
        let e = s.classification.unwrap_err().to_string();
        assert!(e.contains("palette inconnue « Arc-en-ciel »"), "{e}");
        assert!(s.paint.iter().all(|p| matches!(p, ZonePaint::Missing(_))));
        let s = resolve_choropleth(
            "NOM",
            &values.clone().into(),
            false,
            &spec(ClassMethod::Quantiles, 3, "Oranges"),
            "NOM",
        );
        assert!(
            s.classification
                .unwrap_err()
                .to_string()
                .contains("n'est pas numérique")
        );
    }

    fn table(theme: &[&str]) -> Table {
        Table {
            fields: vec![Field {
                name: "dispositif".to_owned(),
                kind: FieldKind::Text,
                values: theme
                    .iter()
                    .map(|t| {
                        if t.is_empty() {
                            Value::Missing(Missing::Empty)
                        } else {
                            Value::Text((*t).to_owned())
                        }
                    })
                    .collect(),
            }],
            row_origin: Vec::new(),
        }
    }

    #[test]
    fn themes_use_the_fallback_field_and_are_numbered_across_layers() {
        let services = table(&["CCAS", "France Services", "CCAS", "", "Épicerie sociale"]);
        let mut halls = table(&["", "", ""]);
        halls.fields[0].name = "autre".to_owned();
        let positioned = [true, true, false, true, true];
        let styles = resolve_point_layers(
            &[
                PointLayerInput {
                    id: "services",
                    name: "Services",
                    theme_field: None,
                    attributes: &services,
                    positioned: &positioned,
                },
                PointLayerInput {
                    id: "mairies",
                    name: "Mairies",
                    theme_field: None,
                    attributes: &halls,
                    positioned: &[true, true, true],
                },
            ],
            &["France Services".to_owned()],
            &[],
        );
        let s = &styles[0];
        let names: Vec<&str> = s.themes.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "(sans thème)",
                "CCAS",
                "France Services",
                "Épicerie sociale"
            ]
        );
        assert_eq!(s.theme(0).unwrap().name, "CCAS");
        assert_eq!(s.themes[1].count, 2);
        assert_eq!(s.themes[1].unpositioned, 1);
        assert!(!s.themes[2].visible);
        assert_eq!(s.themes[0].color, THEME_COLORS[0]);
        assert_eq!(s.themes[3].color, THEME_COLORS[3]);
        assert_eq!(s.themes[3].shape, SymbolShape::Diamond);
        // The town halls have no theme field: one theme named after the layer, grey, numbered
        // after the four themes of the first layer.
        let h = &styles[1];
        assert_eq!(h.themes.len(), 1);
        assert_eq!(h.themes[0].name, "Mairies");
        assert_eq!(h.themes[0].color, SINGLE_THEME_COLOR);
        assert_eq!(h.themes[0].shape, SymbolShape::ALL[4]);
    }

    #[test]
    fn the_first_sixty_four_themes_differ_in_colour_or_shape() {
        let names: Vec<String> = (0..64).map(|i| format!("thème {i:02}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let t = table(&refs);
        let positioned = vec![true; 64];
        let s = resolve_point_layers(
            &[PointLayerInput {
                id: "x",
                name: "x",
                theme_field: Some("dispositif"),
                attributes: &t,
                positioned: &positioned,
            }],
            &[],
            &[],
        );
        let mut seen = std::collections::HashSet::new();
        for theme in &s[0].themes {
            assert!(seen.insert((theme.color, theme.shape)), "{}", theme.name);
        }
    }

    #[test]
    fn the_users_choices_replace_only_what_they_name_and_only_for_their_layer() {
        let services = table(&["CCAS", "France Services", "CCAS"]);
        let other = table(&["CCAS", "Mission locale"]);
        let inputs = [
            PointLayerInput {
                id: "services",
                name: "Services",
                theme_field: None,
                attributes: &services,
                positioned: &[true, true, true],
            },
            PointLayerInput {
                id: "autres",
                name: "Autres",
                theme_field: None,
                attributes: &other,
                positioned: &[true, true],
            },
        ];
        let automatic = resolve_point_layers(&inputs, &[], &[]);
        let mut red = ThemeStyleSpec::automatic("services", "CCAS");
        red.color = Some([255, 0, 0]);
        let mut star = ThemeStyleSpec::automatic("services", "France Services");
        star.shape = Some(SymbolShape::Star);
        star.size_px = Some(400.0);
        let mut nothing = ThemeStyleSpec::automatic("services", "Inconnu");
        nothing.color = Some([1, 2, 3]);
        let chosen = resolve_point_layers(&inputs, &[], &[red, star, nothing]);
        // CCAS of `services`: red, its shape and size automatic.
        let ccas = &chosen[0].themes[0];
        assert_eq!(ccas.color, [255, 0, 0]);
        assert_eq!(ccas.shape, automatic[0].themes[0].shape);
        assert_eq!(ccas.size_px, SYMBOL_SIZE_PX);
        assert!(ccas.custom);
        // France Services: a star, its size kept within the range, its colour automatic.
        let fs = &chosen[0].themes[1];
        assert_eq!(fs.shape, SymbolShape::Star);
        assert_eq!(fs.size_px, SYMBOL_SIZE_RANGE_PX.1);
        assert_eq!(fs.color, automatic[0].themes[1].color);
        // The other layer's CCAS is untouched, as is the numbering of every theme.
        assert_eq!(chosen[1], automatic[1]);
        assert!(!chosen[1].themes[0].custom);
    }

    #[test]
    fn symbol_outlines_are_star_shaped_around_the_centre() {
        // A fan from the centre fills a symbol exactly when every edge turns the same way
        // around (0, 0).
        for shape in SymbolShape::ALL {
            let o = shape.outline();
            assert!(o.len() >= 3, "{shape:?}");
            for (i, a) in o.iter().enumerate() {
                let b = o[(i + 1) % o.len()];
                let cross = a.0 * b.1 - a.1 * b.0;
                assert!(cross > 0.0, "{shape:?} edge {i}");
            }
        }
    }
}
