//! CartoSol core library: data model, importers of French public files, projections,
//! code normalisation, joins and aggregation.
//!
//! Nothing in this crate's core imports a UI toolkit: every action of the desktop app is a
//! function here, also reachable from the `cartosol` command line.
//!
//! Positions are WGS84 longitude/latitude (`x` = lon, `y` = lat) unless a name says otherwise.

#![warn(missing_docs)]

pub mod aggregate;
pub mod analysis;
#[cfg(feature = "gui")]
pub mod app;
pub mod baseline;
pub mod bundled;
pub mod codes;
pub mod crs;
pub mod dictionary;
pub mod error;
pub mod export;
pub mod fsutil;
pub mod grid;
pub mod inspect;
pub mod join;
pub mod limits;
pub mod memory;
pub mod model;
pub mod parallel;
pub mod points;
pub mod project;
pub mod search;
pub mod style;
pub mod table;
pub mod text;
pub mod value;
pub mod zones;

pub use error::{LoadError, Place};
pub use model::{Field, FieldKind, PointLayer, SourceInfo, Table, ZoneLayer};
pub use value::{Missing, Value};
