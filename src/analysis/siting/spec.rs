//! Siting questions and saved scenarios as a project file stores them: plain serialisable data,
//! so that the project format ([`crate::project`]) can hold them while the code that answers
//! them ([`crate::analysis::siting`]) sits with the analyses.

use serde::{Deserialize, Serialize};

/// The places new sites may go.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "couche", rename_all = "snake_case")]
pub enum CandidatePlaces {
    /// The interior point of each zone of a zone layer (id).
    ZoneInteriorPoints(String),
    /// The positioned rows of a point layer (id), e.g. town halls or candidate premises.
    Points(String),
}

/// The existing sites kept: the theme of a point layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExistingSites {
    /// The point layer (id).
    pub layer: String,
    /// Its theme field.
    pub theme_field: String,
    /// The theme kept (`France Services`).
    pub theme: String,
}

/// What the user asks.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Goal {
    /// `k` new sites covering the most demand (maximal covering).
    Sites(usize),
    /// The fewest new sites bringing the covered share of the demand to at least this share,
    /// in % (set covering).
    Share(f64),
}

/// A siting question on a project.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SitingRequest {
    /// The zone layer carrying the demand (its interior points).
    pub demand_layer: String,
    /// The demand weight field of that layer (poor households, a profile…).
    pub weight_field: String,
    /// Where new sites may go.
    pub candidates: CandidatePlaces,
    /// The existing sites kept (`None`: none).
    pub existing: Option<ExistingSites>,
    /// Radius of a site's reach, metres.
    pub radius_m: f64,
    /// What is asked.
    pub goal: Goal,
}

/// One chosen place of a saved scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScenarioSite {
    /// Code of the place (town hall's commune, zone code), may be empty.
    pub code: String,
    /// Name of the place.
    pub name: String,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// Demand newly covered by this site.
    pub newly_covered: f64,
}

/// A saved siting scenario: the question and its answer as computed on `computed_on`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SitingScenario {
    /// Its name (`5 France Services à 10 km`).
    pub name: String,
    /// The question.
    pub request: SitingRequest,
    /// The chosen places.
    pub sites: Vec<ScenarioSite>,
    /// Total demand weight.
    pub total_weight: f64,
    /// Weight within reach before the new sites.
    pub covered_before: f64,
    /// Weight within reach after.
    pub covered_after: f64,
    /// How the answer was found, in French (« optimum prouvé »…).
    pub proof: String,
    /// Weight covered by the greedy answer with as many sites.
    pub greedy_covered: f64,
    /// The day it was computed (JJ/MM/AAAA, Europe/Paris).
    pub computed_on: String,
}
