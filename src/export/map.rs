//! Map exports in one place: everything needed to compose and draw a map, gathered from the
//! files that hold each concern —
//!
//! - [`super::page`]: the page (size, print presets, typographic point);
//! - [`super::composition`]: what the map shows (painted zones, legend, symbols, figures);
//! - [`super::projection`]: WGS84 → Web-Mercator metres → page pixels;
//! - [`super::text`]: text escaping, metrics and wrapping;
//! - [`super::tiles`]: basemap tiles from a local cache;
//! - [`super::svg`]: the SVG drawing of a composition.
//!
//! Code outside `export` may import from here; files inside `export` import from the file that
//! defines the item, so that this gathering module never sits inside an import cycle.

pub use super::composition::{
    FigureTable, Legend, LegendClass, MapComposition, PointGroup, SymbolShape, ZoneFill, ZoneLabel,
    ZonePaint,
};
pub use super::page::{Page, Preset};
pub use super::projection::{Frame, Projector, lon_lat_of_web_mercator_m, web_mercator_m};
pub use super::svg::{FONT_FAMILY, map_projector, render_svg};
pub use super::text::xml_escape;
pub use super::tiles::{Basemap, Tile};
