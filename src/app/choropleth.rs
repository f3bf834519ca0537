//! The choropleth of one zone layer as the app shows it: the project's map indicator resolved
//! by the shared map style (`crate::style::map_style`) through the same function as the exports
//! (`crate::export::compose::map_choropleth`, secrecy guard included), so that *Exporter la
//! carte* writes the map as shown.

use super::state::Workspace;
use crate::export::compose::map_choropleth;
use crate::export::secrecy::SecrecyGuard;
use crate::model::FieldKind;
use crate::project::ClassificationSpec;
use crate::style::classify::Classification;
use crate::style::map_style::{Legend, ZonePaint};

/// The classified indicator of the choropleth layer.
#[derive(Clone, Debug)]
pub struct Choropleth {
    /// Index of the zone layer.
    pub layer: usize,
    /// The field mapped.
    pub indicator: String,
    /// The classification asked for.
    pub spec: ClassificationSpec,
    /// The classes, or why there are none (in French).
    pub classification: Result<Classification, String>,
    /// Class of each zone (none when its value is missing).
    pub class_of: Vec<Option<usize>>,
    /// Paint of each zone: class colour or hatched with its reason.
    pub paint: Vec<ZonePaint>,
    /// Colour of each class.
    pub colors: Vec<[u8; 3]>,
    /// The legend (title, method, classes with counts, missing values by reason).
    pub legend: Legend,
    /// Rank of each zone's value (1 = highest) among zones with a value.
    pub rank: Vec<Option<usize>>,
    /// Number of zones with a value.
    pub ranked: usize,
    /// What the secrecy guard masked on the map, in words.
    pub secrecy_note: Option<String>,
}

/// The numeric fields of a zone layer, the ones a choropleth can map.
pub fn indicators(ws: &Workspace, layer: usize) -> Vec<String> {
    ws.zones
        .get(layer)
        .map(|z| {
            z.layer
                .attributes
                .fields
                .iter()
                .filter(|f| f.kind == FieldKind::Number)
                .map(|f| f.name.clone())
                .collect()
        })
        .unwrap_or_default()
}

impl Choropleth {
    /// Classifies `indicator` of zone layer `layer` as `spec` says.
    pub fn compute(
        ws: &Workspace,
        layer: usize,
        indicator: &str,
        spec: &ClassificationSpec,
    ) -> Choropleth {
        let mut map = ws.file.map.clone();
        map.indicator = indicator.to_owned();
        map.classification = spec.clone();
        let resolved = match ws.zones.get(layer) {
            Some(z) => map_choropleth(
                &map,
                &z.spec,
                &z.layer,
                &SecrecyGuard::default(),
                &ws.file.dictionary,
            )
            .map_err(|e| e.to_string()),
            None => Err(format!("couche de zones n° {layer} introuvable")),
        };
        match resolved {
            Ok((style, secrecy)) => Choropleth {
                layer,
                indicator: indicator.to_owned(),
                spec: spec.clone(),
                classification: style.classification.map_err(|e| e.to_string()),
                class_of: style.class_of,
                paint: style.paint,
                colors: style.colors,
                legend: style.legend,
                rank: style.rank,
                ranked: style.ranked,
                secrecy_note: secrecy.note(),
            },
            Err(e) => Choropleth {
                layer,
                indicator: indicator.to_owned(),
                spec: spec.clone(),
                classification: Err(e),
                class_of: Vec::new(),
                paint: Vec::new(),
                colors: Vec::new(),
                legend: Legend::default(),
                rank: Vec::new(),
                ranked: 0,
                secrecy_note: None,
            },
        }
    }

    /// The fill colour of zone `i`, or `None` when its value is missing.
    pub fn color_of(&self, i: usize) -> Option<[u8; 3]> {
        match self.paint.get(i) {
            Some(ZonePaint::Color(c)) => Some(*c),
            _ => None,
        }
    }
}

/// A hash of the fill colours of the mapped layer: the choropleth's classes and colours, or the
/// colours replacing them (`fill_override`, the bivariate map). The map rebuilds its cached
/// meshes only when it changes, so that a frame whose fills did not change (a slider of the
/// under-served rule moved, which only moves outlines) translates the cached meshes.
pub fn fill_generation(
    choropleth: Option<&Choropleth>,
    fill_override: Option<&[Option<[u8; 3]>]>,
) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    if let Some(c) = choropleth {
        (
            c.layer,
            &c.indicator,
            c.spec.method,
            c.spec.classes,
            &c.spec.palette,
            &c.colors,
            &c.class_of,
        )
            .hash(&mut h);
        c.spec.breaks.iter().for_each(|b| b.to_bits().hash(&mut h));
    }
    fill_override.hash(&mut h);
    h.finish()
}
