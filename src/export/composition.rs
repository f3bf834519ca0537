//! What a map export shows, independent of how it is drawn: the page, the painted zones, the
//! legend, the point symbols, the figures and notes, the basemap. Built from a project by
//! [`crate::export::compose_project`], drawn by [`crate::export::svg::render_svg`].

use super::page::Page;
use super::tiles::Basemap;
use geo::{MultiPolygon, Point, Rect};

pub use crate::style::map_style::{Legend, LegendClass, SymbolShape, ZonePaint};

/// One zone of the choropleth.
#[derive(Clone, Debug, PartialEq)]
pub struct ZoneFill {
    /// WGS84 geometry.
    pub geometry: MultiPolygon<f64>,
    /// Its paint.
    pub paint: ZonePaint,
    /// The opacity of its layer (0–1), as on screen.
    pub opacity: f32,
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
    /// Width of the symbols on screen, pixels (printed at `PT_PER_PX` points per pixel).
    pub size_px: f32,
    /// WGS84 positions.
    pub positions: Vec<Point<f64>>,
    /// Number of points of the theme in the whole layer (the legend count).
    pub count: usize,
    /// The opacity of its layer (0–1), as on screen.
    pub opacity: f32,
}

/// The name of a zone, placed on the page by the shared label placement
/// ([`crate::style::labels::place_labels`]) as the app places it on screen.
#[derive(Clone, Debug, PartialEq)]
pub struct ZoneLabel {
    /// The name, as drawn (legal forms shortened, long names cut).
    pub text: String,
    /// The zone's label point (inside its largest polygon), WGS84.
    pub anchor: Point<f64>,
    /// The zone's WGS84 bounding box: the name's centre stays inside it.
    pub bbox: Rect<f64>,
    /// Larger zones are named first (their area).
    pub priority: f64,
    /// Text size, screen pixels (printed at `PT_PER_PX` points per pixel).
    pub size_px: f32,
    /// A name of the mapped layer (may cover symbols when its zone leaves no other room);
    /// else of another zone layer (named only where its zones are twice as wide, never over a
    /// symbol).
    pub main: bool,
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
    /// Zones outlined as under-served.
    pub underserved: Vec<MultiPolygon<f64>>,
    /// The legend row of the under-served outline (rule in words, count).
    pub underserved_row: Option<LegendClass>,
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
    /// Zone names to place over the map (none unless the project asks for them on exports).
    pub labels: Vec<ZoneLabel>,
}
