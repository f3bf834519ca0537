//! The 200 m grid as demand: squares summed into zones, and the share of a count (poor
//! households by default) that lives beyond a distance of the nearest service — measured from
//! each square, where people live, not from the commune's interior point.
//!
//! **Rule of attribution (decided here, said in every output):** a square counts whole in the
//! zone that contains its **centre**, through [`ZoneIndex`], the one point-in-zone rule of the
//! tool. INSEE's own `lcog_geo` lists every commune a square touches; splitting by area would
//! need the overlaps of 2.3 million squares with the communes for a difference of a few
//! households per commune border: the centre rule is the one INSEE uses to publish commune
//! aggregates of gridded data, and it keeps every square counted exactly once.

use crate::analysis::assign::ZoneIndex;
use crate::analysis::eligibility::{MODES_FIELD, is_remote_only};
use crate::analysis::index::{ServiceIndex, theme_rows};
use crate::analysis::{
    AnalysisError, NAME_NAMES, ZONE_CODE_NAMES, code_text, find_name, require_field, result_field,
    result_table, text_result_field,
};
use crate::grid::GridLayer;
use crate::model::{PointLayer, Table, ZoneLayer};
use crate::value::{Missing, Value};

/// What to measure beyond the sums.
#[derive(Clone, Debug)]
pub struct GridDemandOptions {
    /// The code field of the zones (detected when `None`).
    pub zone_code_field: Option<String>,
    /// The grid column weighting each square (`Men_pauv`: poor households).
    pub weight_field: String,
    /// The field of the services holding their theme.
    pub theme_field: String,
    /// The theme of the services (all services when `None`).
    pub theme: Option<String>,
    /// The distance beyond which a square is far from the service, metres.
    pub threshold_m: f64,
    /// The catchment radius of the 2SFCA measured on the squares (step decay, one unit of
    /// supply per service), metres; `None`: no 2SFCA.
    pub fca_radius_m: Option<f64>,
}

/// Squares summed into zones, and the distance shares when services are given.
#[derive(Clone, Debug)]
pub struct GridDemand {
    /// One row per zone: code, name, number of squares, the sums of every numeric column of
    /// the grid, then (with services) the weight beyond the threshold and its share (%).
    pub table: Table,
    /// Squares whose centre lies in no zone (outside the territory).
    pub outside: usize,
    /// Of the weight of every square of the zones, the share beyond the threshold (%), when
    /// services are given.
    pub overall_share_beyond: Option<f64>,
}

/// The grid column weighting each square, or an error listing the columns there are.
fn weight_column<'a>(
    grid: &'a GridLayer,
    name: &str,
) -> Result<&'a crate::grid::GridField, AnalysisError> {
    grid.field(name).ok_or_else(|| AnalysisError::MissingField {
        field: name.to_owned(),
        layer: "la grille de carreaux".to_owned(),
        available: grid
            .fields
            .iter()
            .map(|f| format!("« {} »", f.name))
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// Sums the squares of `grid` into `zones` (centre rule) and, when `services` are given,
/// measures from each square the distance to the nearest in-person service of the theme.
pub fn grid_demand(
    grid: &GridLayer,
    zones: &ZoneLayer,
    services: Option<&PointLayer>,
    options: &GridDemandOptions,
) -> Result<GridDemand, AnalysisError> {
    if grid.is_empty() {
        return Err(AnalysisError::EmptyLayer {
            layer: "la grille de carreaux".to_owned(),
        });
    }
    if !(options.threshold_m.is_finite() && options.threshold_m > 0.0) {
        return Err(AnalysisError::InvalidParameter {
            name: "--seuil-km".to_owned(),
            message: "une distance positive est attendue".to_owned(),
        });
    }
    let zt = &zones.attributes;
    let code_i = match &options.zone_code_field {
        Some(f) => Some(require_field(zt, f, "la couche des zones")?),
        None => find_name(zt, ZONE_CODE_NAMES),
    };
    let text = |i: Option<usize>, row: usize| {
        i.and_then(|i| zt.fields.get(i))
            .and_then(|f| f.values.get(row))
            .and_then(code_text)
            .unwrap_or_default()
    };
    let names_i = find_name(zt, NAME_NAMES);
    let index = ZoneIndex::new(zones);
    let zone_of = index.assign_points(&grid.centres);
    let n = zones.len();
    let mut squares = vec![0usize; n];
    let mut sums = vec![vec![0.0f64; n]; grid.fields.len()];
    let mut outside = 0usize;
    for (cell, zone) in zone_of.iter().enumerate() {
        let Some(z) = *zone else {
            outside += 1;
            continue;
        };
        if let Some(s) = squares.get_mut(z) {
            *s += 1;
        }
        for (f, field) in grid.fields.iter().enumerate() {
            let v = field.values.get(cell).copied().unwrap_or(f64::NAN);
            if v.is_finite()
                && let Some(slot) = sums.get_mut(f).and_then(|c| c.get_mut(z))
            {
                *slot += v;
            }
        }
    }
    let mut fields = vec![
        text_result_field("code", (0..n).map(|r| text(code_i, r))),
        text_result_field("nom", (0..n).map(|r| text(names_i, r))),
        result_field(
            "carreaux (centre dans la zone)",
            squares.iter().map(|s| Value::Number(*s as f64)).collect(),
        ),
    ];
    for (field, column) in grid.fields.iter().zip(&sums) {
        fields.push(result_field(
            field.name.clone(),
            column.iter().map(|v| Value::Number(*v)).collect(),
        ));
    }
    let mut overall_share_beyond = None;
    if let Some(services) = services {
        let weight = weight_column(grid, &options.weight_field)?;
        let rows: Vec<usize> = match &options.theme {
            Some(t) => theme_rows(services, &options.theme_field, t)?,
            None => (0..services.len()).collect(),
        };
        let modes = services.attributes.field(MODES_FIELD);
        let positioned: Vec<(usize, geo::Point<f64>)> = rows
            .iter()
            .filter(|&&r| {
                !modes
                    .and_then(|f| f.values.get(r))
                    .is_some_and(is_remote_only)
            })
            .filter_map(|&r| services.positions.get(r).copied().flatten().map(|p| (r, p)))
            .collect();
        let service_index = ServiceIndex::from_positions(positioned);
        let far: Vec<bool> = crate::parallel::map_indexed(&grid.centres, |_, c| {
            service_index
                .nearest(*c)
                .is_none_or(|nb| nb.distance_m > options.threshold_m)
        });
        let mut total = vec![0.0f64; n];
        let mut beyond = vec![0.0f64; n];
        for (cell, zone) in zone_of.iter().enumerate() {
            let (Some(z), Some(w)) = (*zone, weight.values.get(cell).copied()) else {
                continue;
            };
            if !w.is_finite() {
                continue;
            }
            if let Some(t) = total.get_mut(z) {
                *t += w;
            }
            if far.get(cell).copied().unwrap_or(false)
                && let Some(b) = beyond.get_mut(z)
            {
                *b += w;
            }
        }
        let km = crate::value::format_number(options.threshold_m / 1000.0);
        fields.push(result_field(
            format!("{} à plus de {km} km", weight.name),
            beyond.iter().map(|v| Value::Number(*v)).collect(),
        ));
        fields.push(result_field(
            format!("part de {} à plus de {km} km (%)", weight.name),
            total
                .iter()
                .zip(&beyond)
                .map(|(t, b)| {
                    if *t > 0.0 {
                        Value::Number(100.0 * b / t)
                    } else {
                        Value::Missing(Missing::NotApplicable)
                    }
                })
                .collect(),
        ));
        let (t, b): (f64, f64) = (total.iter().sum(), beyond.iter().sum());
        overall_share_beyond = (t > 0.0).then(|| 100.0 * b / t);
        if let Some(radius_m) = options.fca_radius_m {
            // 2SFCA with the squares as demand: each service's supply (1) shared by the
            // weight of the squares within its catchment, each square's accessibility the sum
            // of the ratios it reaches; a zone's is the weighted mean of its squares'.
            let demand_points: Vec<Option<geo::Point<f64>>> = grid
                .centres
                .iter()
                .zip(&weight.values)
                .map(|(c, w)| (w.is_finite() && c.x().is_finite()).then_some(*c))
                .collect();
            let demand: Vec<Value> = weight
                .values
                .iter()
                .map(|w| {
                    if w.is_finite() {
                        Value::Number(*w)
                    } else {
                        Value::Missing(Missing::NotAvailable)
                    }
                })
                .collect();
            let supply_points: Vec<geo::Point<f64>> =
                service_index.positions().iter().map(|(_, p)| *p).collect();
            let supply = vec![Value::Number(1.0); supply_points.len()];
            let fca = crate::analysis::fca::two_step_fca(
                &demand_points,
                &demand,
                &supply_points,
                &supply,
                radius_m,
                crate::analysis::fca::Decay::Step,
            )?;
            let mut weighted = vec![0.0f64; n];
            let mut weights = vec![0.0f64; n];
            for (cell, zone) in zone_of.iter().enumerate() {
                let (Some(z), Some(Value::Number(a)), Some(Value::Number(w))) =
                    (*zone, fca.accessibility.get(cell), demand.get(cell))
                else {
                    continue;
                };
                if let (Some(s), Some(t)) = (weighted.get_mut(z), weights.get_mut(z)) {
                    *s += a * w;
                    *t += w;
                }
            }
            fields.push(result_field(
                format!(
                    "accessibilité 2SFCA pour 1 000 {} (rayon {} km)",
                    weight.name,
                    crate::value::format_number(radius_m / 1000.0)
                ),
                weighted
                    .iter()
                    .zip(&weights)
                    .map(|(s, t)| {
                        if *t > 0.0 {
                            Value::Number(1000.0 * s / t)
                        } else {
                            Value::Missing(Missing::NotApplicable)
                        }
                    })
                    .collect(),
            ));
        }
    }
    Ok(GridDemand {
        table: result_table(n, fields),
        outside,
        overall_share_beyond,
    })
}

/// The squares of `grid` as demand points for siting (their centre, weighted by
/// `weight_field`), so that coverage is measured where households live. Squares whose weight
/// is missing are left out and counted (never taken as 0); squares of weight 0 are dropped
/// (they change no coverage).
pub fn grid_demand_points(
    grid: &GridLayer,
    weight_field: &str,
) -> Result<(Vec<crate::analysis::siting::Demand>, usize), AnalysisError> {
    let weight = weight_column(grid, weight_field)?;
    let mut demand = Vec::new();
    let mut missing = 0usize;
    for ((cell, centre), w) in grid.cells.iter().zip(&grid.centres).zip(&weight.values) {
        if !w.is_finite() || !centre.x().is_finite() {
            missing += 1;
            continue;
        }
        if *w <= 0.0 {
            continue;
        }
        demand.push(crate::analysis::siting::Demand {
            code: cell.id(),
            position: *centre,
            weight: *w,
        });
    }
    Ok((demand, missing))
}
