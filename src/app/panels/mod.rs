//! The panels around the map, one per file: menu bar, status line, layers (left) with the
//! choropleth settings, the analysis tools and the point themes, the selection (right), the
//! attribute table (bottom), the legend and the hover text over the map.
//!
//! Panels read the app (`&CartoSolApp`) and push [`Command`](super::Command)s into a sink;
//! every change of the project or of the app's state is applied by `CartoSolApp::apply`.
//! Only ephemeral widget state (the open dialog and what is typed in it, the table's filter,
//! sort and scroll) lives in [`UiState`](super::UiState), passed `&mut`.

pub mod choropleth_settings;
pub mod hover;
pub mod layers;
pub mod legend;
pub mod privacy;
pub mod selection;
pub mod status_bar;
pub mod table;
pub mod themes;
pub mod tools;
pub mod top_bar;
pub mod views;

pub use hover::hover_text;
pub use layers::layers_panel;
pub use legend::legend_ui;
pub use selection::selection_panel;
pub use status_bar::status_bar;
pub use table::{TableState, table_panel};
pub use top_bar::top_bar;
