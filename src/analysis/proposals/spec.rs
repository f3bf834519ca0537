//! The action proposals per axis of the pact (pistes de contractualisation) as a project file
//! stores them: plain serialisable data, below the importers (see
//! [`crate::analysis::proposals`] for the T0 of their indicators and the completeness check).

use serde::{Deserialize, Serialize};

/// Whether an indicator measures the means (réalisation) or the results of a proposal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorRole {
    /// An indicator of means (réalisation).
    #[default]
    Means,
    /// An indicator of results.
    Results,
}

impl IndicatorRole {
    /// The role in French, as the sheets show it.
    pub fn label(self) -> &'static str {
        match self {
            IndicatorRole::Means => "moyens",
            IndicatorRole::Results => "résultats",
        }
    }
}

/// One indicator of means or results of a proposal.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProposalIndicator {
    /// Its label (« Taux de pauvreté des communes ciblées »).
    pub label: String,
    /// Means or results.
    #[serde(default)]
    pub role: IndicatorRole,
    /// The project's indicator code (`TP60`) when it is one: its T0 is then computed from the
    /// frozen baseline. Empty: an indicator outside the project, with a typed T0.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub code: String,
    /// The T0 typed by the analyst (used when `code` is empty, or when the baseline has no
    /// value for it), marked « saisi ».
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub t0_typed: String,
    /// The target (« 12 », « +20 % »).
    #[serde(default)]
    pub target: String,
    /// When the target is due (« 2027 »).
    #[serde(default)]
    pub date: String,
}

/// The need a proposal answers: zones of one zone layer, indicators of the dictionary and a
/// row of the schemes table.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NeedLink {
    /// The zone layer (`communes`) whose codes `zones` are.
    #[serde(default)]
    pub layer: String,
    /// Codes of the zones (`91228`).
    #[serde(default)]
    pub zones: Vec<String>,
    /// Indicator codes of the dictionary (`TP60`).
    #[serde(default)]
    pub indicators: Vec<String>,
    /// The name of a scheme of the schemes table (`Protection maternelle et infantile`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scheme: String,
}

impl NeedLink {
    /// Whether the proposal names any zone or indicator.
    pub fn is_linked(&self) -> bool {
        self.zones.iter().any(|z| !z.trim().is_empty())
            || self.indicators.iter().any(|i| !i.trim().is_empty())
    }
}

/// One action proposal of an axis.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    /// Axis of the pact, 1 to 4.
    pub axis: u8,
    /// Title.
    pub title: String,
    /// The need it answers.
    #[serde(default)]
    pub need: NeedLink,
    /// Criterion 1: the need is not or partly covered, by precisely defined criteria (the
    /// rule, with its figures).
    #[serde(default)]
    pub need_criterion: String,
    /// Criterion 2: articulation with the other actors of the territory.
    #[serde(default)]
    pub articulation: String,
    /// Criterion 3: why State investment is needed by 2027, and its leverage effect.
    #[serde(default)]
    pub state_investment: String,
    /// Criterion 4: the objective achievable within the pact.
    #[serde(default)]
    pub objective: String,
    /// The associated actor next to the département (CAF, France Travail…).
    #[serde(default)]
    pub actor: String,
    /// Indicators of means and results.
    #[serde(default)]
    pub indicators: Vec<ProposalIndicator>,
}
