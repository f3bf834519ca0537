//! The synthesis table of schemes (dispositifs) as a project file stores it: the rows the
//! analyst types and the rule of the computed coverage cells. Plain serialisable data, below
//! the importers (see [`crate::analysis::schemes`] for the computation).

use serde::{Deserialize, Serialize};

/// One scheme of the table, as typed by the analyst.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SchemeRow {
    /// Name of the scheme (`France Services`).
    pub name: String,
    /// Axis of the pact (1 to 4; 0 when not set).
    #[serde(default)]
    pub axis: u8,
    /// The theme of its service points in the service layer (`France Services`); empty: no
    /// service layer theme, no computed coverage.
    #[serde(default)]
    pub theme: String,
    /// Main carrier (`Préfecture, La Poste, communes`).
    #[serde(default)]
    pub carrier: String,
    /// Funding mode.
    #[serde(default)]
    pub funding: String,
    /// Difficulties met (free text, several lines).
    #[serde(default)]
    pub difficulties: String,
    /// Development and articulation ideas (free text, several lines).
    #[serde(default)]
    pub ideas: String,
}

/// The schemes table and the rule of its computed cells.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SchemesSpec {
    /// The rows.
    #[serde(default)]
    pub rows: Vec<SchemeRow>,
    /// The zone layer whose zones carry the target population (id, `communes`).
    pub zones_layer: String,
    /// The target population field of those zones (`NB_MEN_PAUV`).
    pub target_field: String,
    /// The population field used by the 2SFCA and the per-10,000 figures (`POPULATION`).
    pub population_field: String,
    /// The service point layer (id).
    pub points_layer: String,
    /// Reach of a site, kilometres.
    pub radius_km: f64,
    /// A scheme is « peu couvert » when more than this share of the target population is
    /// beyond the reach of its sites, %.
    pub max_share_beyond_pct: f64,
}

impl Default for SchemesSpec {
    fn default() -> Self {
        SchemesSpec {
            rows: Vec::new(),
            zones_layer: "communes".to_owned(),
            target_field: "NB_MEN_PAUV".to_owned(),
            population_field: "POPULATION".to_owned(),
            points_layer: "services".to_owned(),
            radius_km: 10.0,
            max_share_beyond_pct: 10.0,
        }
    }
}
