//! The maps of a T0 → T+3 comparison, composed like every other map export
//! ([`crate::export::map::MapComposition`], drawn by [`crate::export::render_svg`]) so that the
//! app's window and the exported PNG are the same picture:
//!
//! - **T0**: the map's indicator as frozen, classed with the T0 breaks and palette;
//! - **T+3 (bornes du T0)**: the later values on the T0 geography, classed with the **same**
//!   breaks and colours (one legend for both maps; a later value above the last T0 break gets a
//!   row of its own instead of a class that did not exist at T0);
//! - **Évolution**: `T+3 − T0` (points for a rate), six classes of equal width centred on 0,
//!   diverging palette (`RdBu`: blue for a fall, red for a rise).
//!
//! A commune merged into a commune nouvelle is painted with the figures of its regrouping row
//! (the commune nouvelle's later value, compared with its former communes put together).
//! Values pass the secrecy guard of [`super::LayerComparison::table`]: a masked count is
//! hatched, and so is the change that would reveal it.

use super::{
    Baseline, BaselineError, Comparison, LayerComparison, header_change, header_later, header_t0,
};
use crate::export::compose::{RenderOptions, sources_line};
use crate::export::map::{Legend, LegendClass, MapComposition, ZoneFill, ZonePaint};
use crate::export::secrecy::{SecrecyGuard, zone_level};
use crate::project::Project;
use crate::style::ClassMethod;
use crate::style::classify::Classification;
use crate::style::map_style::{class_colors, palette_of};
use crate::style::spec::ClassificationSpec;
use crate::value::{Missing, Value};

/// The colour of a later value above the last T0 break (darker than every sequential
/// palette's last class, so that it reads as « beyond »).
pub const ABOVE_T0_COLOR: [u8; 3] = [64, 0, 75];

/// Number of classes of the change map (even: 0 is a break).
pub const CHANGE_CLASSES: usize = 6;

/// Which map of the comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ComparisonMap {
    /// The T0 values with the T0 classes.
    T0,
    /// The later values with the T0 classes.
    Later,
    /// The change, diverging around 0.
    Change,
}

impl ComparisonMap {
    /// The three maps, in the order the window shows them.
    pub const ALL: [ComparisonMap; 3] = [
        ComparisonMap::T0,
        ComparisonMap::Later,
        ComparisonMap::Change,
    ];

    /// The map's name in French.
    pub fn label(self) -> &'static str {
        match self {
            ComparisonMap::T0 => "T0",
            ComparisonMap::Later => "T+3 (bornes du T0)",
            ComparisonMap::Change => "Évolution T+3 − T0",
        }
    }

    /// A file name for the map's export (`carte_T0.png`…).
    pub fn file_stem(self) -> &'static str {
        match self {
            ComparisonMap::T0 => "carte_T0",
            ComparisonMap::Later => "carte_T3_bornes_T0",
            ComparisonMap::Change => "carte_evolution_T0_T3",
        }
    }
}

/// Per row of the layer's geometry: the T0 value, the later value and the change, after the
/// secrecy guard (a merged commune takes the later value and change of its regrouping).
fn values_by_row(
    layer: &LayerComparison,
    codes: &[Option<String>],
    field: &str,
    guard: &SecrecyGuard,
    level: crate::export::secrecy::ZoneLevel,
) -> Vec<(Value, Value, Value)> {
    let table = layer.table(guard, level);
    let column = |name: &str| table.field(name).map(|f| f.values.to_values());
    let (Some(t0), Some(later), Some(change)) = (
        column(&header_t0(field)),
        column(&header_later(field)),
        column(&header_change(field)),
    ) else {
        let none = Value::Missing(Missing::NotAvailable);
        return vec![(none.clone(), none.clone(), none); codes.len()];
    };
    let get = |v: &[Value], r: Option<usize>| {
        r.and_then(|r| v.get(r))
            .cloned()
            .unwrap_or(Value::Missing(Missing::Unmatched))
    };
    codes
        .iter()
        .map(|code| {
            let Some(code) = code else {
                let m = Value::Missing(Missing::Unmatched);
                return (m.clone(), m.clone(), m);
            };
            let own = layer
                .zones
                .iter()
                .position(|z| z.code == *code && z.regrouped.is_empty());
            let group = layer.zones.iter().position(|z| z.regrouped.contains(code));
            let later_row = group.or(own);
            (
                get(&t0, own),
                get(&later, later_row),
                get(&change, later_row),
            )
        })
        .collect()
}

/// Zones painted with a set of classes, and the legend that goes with them.
struct Painted {
    /// Paint of each zone.
    paint: Vec<ZonePaint>,
    /// One legend row per class, with the count of these values.
    rows: Vec<LegendClass>,
    /// Number of values above the last break (painted [`ABOVE_T0_COLOR`]).
    above: usize,
    /// Missing values by reason.
    missing: Vec<(Missing, usize)>,
}

/// Paints `values` with `classes` and `colors`; a value above the last break is painted
/// [`ABOVE_T0_COLOR`].
fn paint_with(values: &[Value], classes: &Classification, colors: &[[u8; 3]]) -> Painted {
    let mut counts = vec![0usize; colors.len()];
    let mut above = 0;
    let mut missing: Vec<(Missing, usize)> = Vec::new();
    let paint = values
        .iter()
        .map(|v| match v.as_f64() {
            Some(x) => match classes.class_of(x).and_then(|c| Some((c, *colors.get(c)?))) {
                Some((c, color)) => {
                    if let Some(n) = counts.get_mut(c) {
                        *n += 1;
                    }
                    ZonePaint::Color(color)
                }
                None => {
                    above += 1;
                    ZonePaint::Color(ABOVE_T0_COLOR)
                }
            },
            None => {
                let m = match v {
                    Value::Missing(m) => *m,
                    _ => Missing::NotAvailable,
                };
                match missing.iter_mut().find(|(k, _)| *k == m) {
                    Some((_, n)) => *n += 1,
                    None => missing.push((m, 1)),
                }
                ZonePaint::Missing(m)
            }
        })
        .collect();
    missing.sort();
    let rows = classes
        .labels()
        .into_iter()
        .zip(colors)
        .zip(counts)
        .map(|((label, color), count)| LegendClass {
            color: *color,
            label,
            count,
        })
        .collect();
    Painted {
        paint,
        rows,
        above,
        missing,
    }
}

/// A step of 1, 2, 2.5 or 5 × 10ⁿ at least `x`.
fn nice_step(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return 1.0;
    }
    let power = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= x * (1.0 - 1e-12))
        .unwrap_or(10.0 * power)
}

/// The classes of the change map: [`CHANGE_CLASSES`] classes of equal width centred on 0,
/// from −3s to +3s where s is the smallest « nice » step (1, 2, 2.5, 5 × 10ⁿ) with 3s at least
/// the largest absolute change.
pub fn change_classes(changes: &[f64]) -> Classification {
    let largest = changes
        .iter()
        .filter(|x| x.is_finite())
        .fold(0.0f64, |m, x| m.max(x.abs()));
    let half = (CHANGE_CLASSES / 2) as f64;
    let step = nice_step(largest / half);
    Classification {
        method: ClassMethod::EqualInterval,
        breaks: (1..=CHANGE_CLASSES)
            .map(|i| step * (i as f64 - half))
            .collect(),
        min: -half * step,
        counts: Vec::new(),
        mean: 0.0,
        std_dev: 0.0,
    }
}

/// The map `which` of a comparison, composed like the map exports: on the geometry of the T0
/// project's layer `baseline.map.zones`, for the T0 map's indicator (T0 and later maps) or for
/// `field` (change map; the map's indicator when `None`). `project` gives the geometry, the
/// title, the sources and the privacy settings.
pub fn comparison_map(
    project: &Project,
    baseline: &Baseline,
    comparison: &Comparison,
    which: ComparisonMap,
    field: Option<&str>,
    options: &RenderOptions,
) -> Result<MapComposition, BaselineError> {
    let err = |reason: String| BaselineError::Map { reason };
    let map = baseline
        .map
        .as_ref()
        .filter(|m| !m.breaks.is_empty())
        .ok_or_else(|| err("le T0 n'a pas de carte classée".to_owned()))?;
    let field = match which {
        ComparisonMap::Change => field.unwrap_or(&map.indicator),
        _ => &map.indicator,
    };
    let (spec, layer) = project
        .zones
        .iter()
        .find(|(s, _)| s.id == map.zones)
        .ok_or_else(|| err(format!("couche « {} » absente du projet", map.zones)))?;
    let compared = comparison
        .layers
        .iter()
        .find(|l| l.layer == map.zones)
        .ok_or_else(|| err(format!("couche « {} » non comparée", map.zones)))?;
    if !compared.indicators.iter().any(|i| i == field) {
        return Err(err(format!(
            "indicateur « {field} » non comparé sur la couche « {} »",
            map.zones
        )));
    }
    let guard = options
        .secrecy
        .clone()
        .with_privacy(&project.file.map.privacy);
    let level = zone_level(&layer.attributes, &spec.code_field);
    let codes = super::layer_codes(spec, layer);
    let rows = values_by_row(compared, &codes, field, &guard, level);
    let values: Vec<Value> = rows
        .iter()
        .map(|(t0, later, change)| match which {
            ComparisonMap::T0 => t0.clone(),
            ComparisonMap::Later => later.clone(),
            ComparisonMap::Change => change.clone(),
        })
        .collect();
    let def = baseline
        .layers
        .iter()
        .find(|l| l.layer == map.zones)
        .and_then(|l| l.indicators.iter().find(|i| i.field == field));
    let label = def
        .map(|d| d.label.as_str())
        .filter(|l| !l.is_empty())
        .unwrap_or(field);
    let percent = def.is_some_and(|d| d.kind == crate::dictionary::IndicatorKind::Percent);
    let (classes, colors, method) = match which {
        ComparisonMap::T0 | ComparisonMap::Later => {
            let classes = Classification {
                method: map.classification.method,
                breaks: map.breaks.clone(),
                min: map.min,
                counts: Vec::new(),
                mean: 0.0,
                std_dev: 0.0,
            };
            let palette = palette_of(&map.classification)?;
            let colors = class_colors(palette, classes.len());
            let method = format!(
                "{} — {} classes, bornes du T0 du {}",
                map.classification.method.label(),
                classes.len(),
                baseline.frozen_on
            );
            (classes, colors, method)
        }
        ComparisonMap::Change => {
            let present: Vec<f64> = values.iter().filter_map(Value::as_f64).collect();
            let classes = change_classes(&present);
            let spec = ClassificationSpec {
                palette: "RdBu".to_owned(),
                ..ClassificationSpec::default()
            };
            let colors = class_colors(palette_of(&spec)?, classes.len());
            let method = format!(
                "Intervalles égaux centrés sur 0 — {} classes (bleu : baisse, rouge : hausse)",
                classes.len()
            );
            (classes, colors, method)
        }
    };
    let Painted {
        paint,
        rows: mut legend_rows,
        above,
        missing,
    } = paint_with(&values, &classes, &colors);
    if above > 0 {
        let last = crate::style::classify::format_fr(
            classes.breaks.last().copied().unwrap_or(classes.min),
            classes.decimals(),
        );
        legend_rows.push(LegendClass {
            color: ABOVE_T0_COLOR,
            label: format!("au-delà de la dernière borne du T0 (plus de {last})"),
            count: above,
        });
    }
    let title = match which {
        ComparisonMap::Change if percent => format!("Évolution de {label} (points)"),
        ComparisonMap::Change => format!("Évolution de {label}"),
        _ => label.to_owned(),
    };
    let opacity = crate::export::compose::layer_paint(project, &spec.id).opacity;
    let zones = layer
        .geometries
        .iter()
        .zip(&paint)
        .map(|(geometry, paint)| ZoneFill {
            geometry: geometry.clone(),
            paint: *paint,
            opacity,
        })
        .collect();
    let extent = layer.bbox().ok_or_else(|| {
        err(format!(
            "la couche « {} » n'a aucune zone à cartographier",
            spec.id
        ))
    })?;
    let mut notes = Vec::new();
    if missing.iter().any(|(m, _)| *m == Missing::Secret) {
        notes.push(
            "Secret statistique : les effectifs inférieurs à 11 et les évolutions qui les révéleraient sont masqués."
                .to_owned(),
        );
    }
    if compared.zones.iter().any(|z| !z.regrouped.is_empty()) && which != ComparisonMap::T0 {
        notes.push(
            "Communes fusionnées : valeur de la commune nouvelle, comparée à ses anciennes communes réunies au T0."
                .to_owned(),
        );
    }
    let moment = match which {
        ComparisonMap::T0 => format!("T0 figé le {}", baseline.frozen_on),
        ComparisonMap::Later => "T+3, classes du T0".to_owned(),
        ComparisonMap::Change => format!("T+3 − T0 (T0 figé le {})", baseline.frozen_on),
    };
    Ok(MapComposition {
        page: options.preset.page(),
        title: baseline.title.clone(),
        subtitle: Some(format!("{moment} — {label} — {}", spec.name)),
        extent,
        zones,
        outlines: Vec::new(),
        highlight: None,
        underserved: Vec::new(),
        underserved_row: None,
        legend: Legend {
            title,
            method,
            classes: legend_rows,
            missing,
        },
        points: Vec::new(),
        figures: None,
        notes,
        sources: sources_line(&project.file.sources_note),
        date: options.date.clone(),
        basemap: None,
        labels: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_classes_are_centred_on_zero_with_nice_steps() {
        // Largest |change| 1.4 → step ≥ 1.4 / 3 = 0.467 → 0.5: −1.5 … +1.5.
        let c = change_classes(&[-0.3, 1.4, 0.2]);
        assert_eq!(c.breaks, vec![-1.0, -0.5, 0.0, 0.5, 1.0, 1.5]);
        assert_eq!(c.min, -1.5);
        assert_eq!(c.class_of(0.0), Some(2));
        assert_eq!(c.class_of(0.01), Some(3));
        assert_eq!(c.class_of(-1.4), Some(0));
        // Nothing changed: a step of 1, still centred.
        assert_eq!(change_classes(&[0.0]).breaks[2], 0.0);
    }
}
