//! What a map export shows, independent of how it is drawn: the page, the painted zones, the
//! legend, the point symbols, the figures and notes, the basemap. Built from a project by
//! [`crate::export::compose_project`], drawn by [`crate::export::svg::render_svg`].

use super::page::Page;
use super::tiles::Basemap;
use crate::value::Missing;
use geo::{MultiPolygon, Point, Rect};

/// How a zone is painted.
#[derive(Clone, Debug, PartialEq)]
pub enum ZonePaint {
    /// The colour of its class.
    Color([u8; 3]),
    /// Hatched: its value is missing for this reason.
    Missing(Missing),
}

/// One zone of the choropleth.
#[derive(Clone, Debug, PartialEq)]
pub struct ZoneFill {
    /// WGS84 geometry.
    pub geometry: MultiPolygon<f64>,
    /// Its paint.
    pub paint: ZonePaint,
}

/// One class of the legend.
#[derive(Clone, Debug, PartialEq)]
pub struct LegendClass {
    /// Fill colour of the class (sRGB).
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
    /// The classification method (`Seuils naturels (Jenks)`).
    pub method: String,
    /// The classes, lowest values first.
    pub classes: Vec<LegendClass>,
    /// Missing values by reason, with their count (hatched swatches).
    pub missing: Vec<(Missing, usize)>,
}

/// Shapes of point symbols, one per theme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolShape {
    /// ●
    Circle,
    /// ■
    Square,
    /// ▲
    Triangle,
    /// ◆
    Diamond,
    /// ▼
    TriangleDown,
    /// ✚ (a thick plus sign)
    Cross,
    /// ★
    Star,
    /// ⬢
    Hexagon,
}

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
}

/// The points of one theme.
#[derive(Clone, Debug, PartialEq)]
pub struct PointGroup {
    /// The name of the point layer (a heading of the legend).
    pub layer: String,
    /// The theme (`France Services`) or the layer name.
    pub theme: String,
    /// Fill colour of the symbols (sRGB).
    pub color: [u8; 3],
    /// Shape of the symbols.
    pub shape: SymbolShape,
    /// WGS84 positions.
    pub positions: Vec<Point<f64>>,
    /// Number of points of the theme in the whole layer (the legend count).
    pub count: usize,
}

/// A small table of figures (atlas: the EPCI against the département).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FigureTable {
    /// Heading of the table (`Chiffres clés`).
    pub title: String,
    /// Column headers (indicator, zone, reference).
    pub header: [String; 3],
    /// One row per indicator: its name, the zone's figure, the reference figure.
    pub rows: Vec<[String; 3]>,
}

/// Everything a map export shows. Built from a project by
/// [`crate::export::compose_project`], drawn by [`crate::export::svg::render_svg`].
#[derive(Clone, Debug, PartialEq)]
pub struct MapComposition {
    /// The page size.
    pub page: Page,
    /// Title at the top of the page.
    pub title: String,
    /// Line under the title, when set.
    pub subtitle: Option<String>,
    /// The WGS84 extent the map frame must show (it is fitted, keeping proportions).
    pub extent: Rect<f64>,
    /// The choropleth.
    pub zones: Vec<ZoneFill>,
    /// Thin outlines drawn over the choropleth (e.g. communes inside EPCI).
    pub outlines: Vec<MultiPolygon<f64>>,
    /// A zone outlined in bold (the EPCI of an atlas page).
    pub highlight: Option<MultiPolygon<f64>>,
    /// The choropleth legend.
    pub legend: Legend,
    /// Point symbols by theme (drawn in order, the first on top).
    pub points: Vec<PointGroup>,
    /// Figures next to the legend.
    pub figures: Option<FigureTable>,
    /// Notes under the legend: statistical secrecy, the under-served rule…
    pub notes: Vec<String>,
    /// `Sources : …`.
    pub sources: String,
    /// `Carte réalisée le 01/02/2026 avec CartoSol`.
    pub date: String,
    /// Basemap tiles under the zones, when the tile cache holds them.
    pub basemap: Option<Basemap>,
}
