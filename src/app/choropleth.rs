//! The choropleth of one zone layer: its indicator classified, a colour per class, missing
//! values apart with their reasons, and ranks for the hover tooltip.

use super::state::Workspace;
use crate::model::FieldKind;
use crate::project::ClassificationSpec;
use crate::style::ClassMethod;
use crate::style::classify::{Classification, classify};
use crate::style::palette::palette;
use crate::value::{Missing, Value};

/// The classified indicator of the choropleth layer.
#[derive(Clone, Debug)]
pub struct Choropleth {
    /// Index of the zone layer.
    pub layer: usize,
    /// The field mapped.
    pub indicator: String,
    pub spec: ClassificationSpec,
    /// The classes, or why there are none (in French).
    pub classification: Result<Classification, String>,
    /// Class of each zone (none when its value is missing).
    pub class_of: Vec<Option<usize>>,
    /// Why each zone's value is missing, when it is.
    pub missing: Vec<Option<Missing>>,
    /// Colour of each class.
    pub colors: Vec<[u8; 3]>,
    /// Count of zones per missing reason.
    pub missing_counts: Vec<(Missing, usize)>,
    /// Rank of each zone's value (1 = highest) among zones with a value.
    pub rank: Vec<Option<usize>>,
    /// Number of zones with a value.
    pub ranked: usize,
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
        let values: Vec<Value> = ws
            .zones
            .get(layer)
            .and_then(|z| z.layer.attributes.field(indicator))
            .map(|f| f.values.clone())
            .unwrap_or_default();
        let present: Vec<f64> = values.iter().filter_map(Value::as_f64).collect();
        let classes = spec.classes.clamp(3, 9);
        let classification = if values.is_empty() {
            Err(format!("indicateur « {indicator} » introuvable"))
        } else if present.is_empty() {
            Err(format!("aucune valeur pour « {indicator} »"))
        } else {
            classify(&present, spec.method, classes, &spec.breaks).map_err(|e| e.to_string())
        };
        let class_of: Vec<Option<usize>> = values
            .iter()
            .map(|v| {
                v.as_f64()
                    .and_then(|x| classification.as_ref().ok().and_then(|c| c.class_of(x)))
            })
            .collect();
        let missing: Vec<Option<Missing>> = values.iter().map(Value::missing).collect();
        let mut missing_counts: Vec<(Missing, usize)> = Vec::new();
        for m in missing.iter().flatten() {
            match missing_counts.iter_mut().find(|(k, _)| k == m) {
                Some((_, n)) => *n += 1,
                None => missing_counts.push((*m, 1)),
            }
        }
        missing_counts.sort();
        let n_classes = classification.as_ref().map_or(classes, |c| c.len());
        let default_palette = match spec.method {
            ClassMethod::StdDev | ClassMethod::BoxMap => "RdBu",
            _ => "Oranges",
        };
        let pal = palette(&spec.palette).or_else(|| palette(default_palette));
        let mut colors = pal
            .map(|p| p.colors(n_classes.clamp(3, 9)))
            .unwrap_or_default();
        // Diverging palettes read "low = blue, high = red" for poverty: reverse RdBu-like ones.
        if matches!(spec.method, ClassMethod::StdDev | ClassMethod::BoxMap)
            && pal.is_some_and(|p| p.name.starts_with("Rd"))
        {
            colors.reverse();
        }
        colors.truncate(n_classes);
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
        Choropleth {
            layer,
            indicator: indicator.to_owned(),
            spec: spec.clone(),
            classification,
            class_of,
            missing,
            colors,
            missing_counts,
            ranked: order.len(),
            rank,
        }
    }

    /// The fill colour of zone `i`, or `None` when its value is missing.
    pub fn color_of(&self, i: usize) -> Option<[u8; 3]> {
        self.class_of
            .get(i)
            .copied()
            .flatten()
            .and_then(|c| self.colors.get(c).copied())
    }
}
