//! Siting of new service sites: where would `k` new sites cover the most need?
//!
//! - **Maximal covering** ([`Goal::Sites`], Church & ReVelle's MCLP): among candidate places,
//!   the `k` that maximise the weight (e.g. poor households) of the demand points within
//!   `radius_m` of a site, the **existing sites kept**: demand already within reach of an
//!   existing site counts as covered before and after and does not steer the choice.
//! - **Set covering to a share** ([`Goal::Share`]): the smallest number of new sites bringing
//!   the covered share of the demand to at least X %. Solved as maximal covering for k = 1, 2, …
//!   until the share is reached: the best coverage grows with k, so the first k that reaches it
//!   is the minimum.
//!
//! Distances are great-circle distances ([`super::distance`]), as everywhere in CartoSol.
//!
//! Exact answers come from an integer program (binary site variables, continuous coverage
//! variables bounded by the sites that reach them) solved by `microlp`'s branch and bound, seeded
//! with the greedy answer. The greedy answer (each step adds the site covering the most demand
//! not yet covered) is always computed and reported with its gap to the optimum. When the solver
//! does not prove the optimum within the time limit, the best answer found is returned with the
//! solver's bound, so the user knows how far from the optimum it may be.

pub mod spec;

pub use spec::{CandidatePlaces, ExistingSites, Goal, ScenarioSite, SitingRequest, SitingScenario};

use super::AnalysisError;
use super::index::ServiceIndex;
use geo::Point;
use std::time::Duration;

/// A demand point (a commune's interior point, a grid cell…) with its weight.
#[derive(Clone, Debug, PartialEq)]
pub struct Demand {
    /// The code of the zone or cell (shown in the results).
    pub code: String,
    /// Its position, WGS84.
    pub position: Point<f64>,
    /// Its weight (households, inhabitants…), finite and non-negative.
    pub weight: f64,
}

/// How the answer was found.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Proof {
    /// The solver proved the answer optimal.
    Optimal,
    /// The time limit stopped the solver: the answer is the best found, and the optimum
    /// covers at most `bound` (weight).
    TimeLimit {
        /// Upper bound on the weight the optimum covers.
        bound: f64,
    },
    /// Greedy only (the solver failed; the reason is in the notes).
    Greedy,
}

/// One chosen site.
#[derive(Clone, Debug, PartialEq)]
pub struct ChosenSite {
    /// Index of the place in the candidates given.
    pub candidate: usize,
    /// Demand weight newly covered by this site: demand not covered by an existing site and
    /// whose nearest chosen site is this one (the sites' figures add up to the total gain).
    pub newly_covered: f64,
}

/// The answer to a siting question.
#[derive(Clone, Debug, PartialEq)]
pub struct Siting {
    /// The chosen sites, in the order the greedy or the solver ranks them (largest gain first).
    pub chosen: Vec<ChosenSite>,
    /// Total demand weight.
    pub total_weight: f64,
    /// Weight within `radius_m` of an existing site.
    pub covered_before: f64,
    /// Weight within `radius_m` of an existing or chosen site.
    pub covered_after: f64,
    /// How the answer was found.
    pub proof: Proof,
    /// Weight covered (existing sites included) by the greedy answer with the same number of
    /// new sites.
    pub greedy_covered: f64,
    /// Candidate indices of the greedy answer.
    pub greedy_chosen: Vec<usize>,
    /// What the user should know (demand out of reach of every candidate, unreachable share…),
    /// in French.
    pub notes: Vec<String>,
}

impl Siting {
    /// Share of the demand weight beyond `radius_m` of every site before the new sites, in %.
    pub fn share_beyond_before_pct(&self) -> f64 {
        pct(self.total_weight - self.covered_before, self.total_weight)
    }

    /// Share of the demand weight beyond `radius_m` of every site after the new sites, in %.
    pub fn share_beyond_after_pct(&self) -> f64 {
        pct(self.total_weight - self.covered_after, self.total_weight)
    }

    /// Gap of the greedy answer to this answer, in % of this answer's newly covered weight
    /// (0 when the greedy answer is as good).
    pub fn greedy_gap_pct(&self) -> f64 {
        let gain = self.covered_after - self.covered_before;
        if gain <= 0.0 {
            0.0
        } else {
            (100.0 * (self.covered_after - self.greedy_covered) / gain).max(0.0)
        }
    }
}

fn pct(part: f64, total: f64) -> f64 {
    if total > 0.0 {
        100.0 * part / total
    } else {
        0.0
    }
}

/// The settings of the solver.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SitingOptions {
    /// Wall-clock budget of the exact search, per value of k.
    pub time_limit: Duration,
}

impl Default for SitingOptions {
    fn default() -> Self {
        SitingOptions {
            time_limit: Duration::from_secs(30),
        }
    }
}

/// The coverage structure: for each demand point still uncovered and reachable, its weight and
/// the candidates within reach.
struct Instance {
    /// (demand index, weight, candidates within reach) of the demand that matters.
    open: Vec<(usize, f64, Vec<usize>)>,
    /// For each candidate, the positions in `open` it reaches.
    reach: Vec<Vec<usize>>,
    covered_before: f64,
    total_weight: f64,
    unreachable: f64,
}

fn check(demand: &[Demand], radius_m: f64) -> Result<(), AnalysisError> {
    if !(radius_m.is_finite() && radius_m > 0.0) {
        return Err(AnalysisError::InvalidParameter {
            name: "rayon".into(),
            message: format!("{radius_m} m : le rayon doit être un nombre positif"),
        });
    }
    if let Some(d) = demand
        .iter()
        .find(|d| !(d.weight.is_finite() && d.weight >= 0.0))
    {
        return Err(AnalysisError::InvalidParameter {
            name: "demande".into(),
            message: format!(
                "poids {} pour « {} » : un poids doit être un nombre positif ou nul",
                d.weight, d.code
            ),
        });
    }
    Ok(())
}

fn instance(
    demand: &[Demand],
    candidates: &[Point<f64>],
    existing: &[Point<f64>],
    radius_m: f64,
) -> Instance {
    let existing_index =
        ServiceIndex::from_positions(existing.iter().copied().enumerate().collect());
    let candidate_index =
        ServiceIndex::from_positions(candidates.iter().copied().enumerate().collect());
    let mut open = Vec::new();
    let mut reach = vec![Vec::new(); candidates.len()];
    let (mut covered_before, mut total_weight, mut unreachable) = (0.0, 0.0, 0.0);
    for (i, d) in demand.iter().enumerate() {
        total_weight += d.weight;
        if existing_index
            .nearest(d.position)
            .is_some_and(|n| n.distance_m <= radius_m)
        {
            covered_before += d.weight;
            continue;
        }
        let within: Vec<usize> = candidate_index
            .within(d.position, radius_m)
            .into_iter()
            .map(|n| n.row)
            .collect();
        if within.is_empty() {
            unreachable += d.weight;
            continue;
        }
        if d.weight == 0.0 {
            continue;
        }
        for j in &within {
            if let Some(r) = reach.get_mut(*j) {
                r.push(open.len());
            }
        }
        open.push((i, d.weight, within));
    }
    Instance {
        open,
        reach,
        covered_before,
        total_weight,
        unreachable,
    }
}

/// The greedy answer with `k` sites: candidate indices in the order chosen, and the weight
/// they newly cover.
fn greedy(inst: &Instance, k: usize) -> (Vec<usize>, f64) {
    let mut covered = vec![false; inst.open.len()];
    let mut chosen = Vec::new();
    let mut gain_total = 0.0;
    for _ in 0..k {
        let best = inst
            .reach
            .iter()
            .enumerate()
            .filter(|(j, _)| !chosen.contains(j))
            .map(|(j, r)| {
                let gain: f64 = r
                    .iter()
                    .filter(|p| !covered.get(**p).copied().unwrap_or(true))
                    .filter_map(|p| inst.open.get(*p).map(|o| o.1))
                    .sum();
                (j, gain)
            })
            // Largest gain; on ties the first candidate, as a reader would pick.
            .fold(None, |acc: Option<(usize, f64)>, (j, g)| match acc {
                Some((_, b)) if b >= g => acc,
                _ => Some((j, g)),
            });
        let Some((j, gain)) = best else {
            break;
        };
        if gain <= 0.0 {
            break;
        }
        for p in inst.reach.get(j).into_iter().flatten() {
            if let Some(c) = covered.get_mut(*p) {
                *c = true;
            }
        }
        chosen.push(j);
        gain_total += gain;
    }
    (chosen, gain_total)
}

/// Weight of the open demand reached by `sites`.
fn gain_of(inst: &Instance, sites: &[usize]) -> f64 {
    inst.open
        .iter()
        .filter(|(_, _, within)| within.iter().any(|j| sites.contains(j)))
        .map(|o| o.1)
        .sum()
}

/// The exact maximal covering with `k` sites, seeded with `seed`: (sites, proof), or the
/// solver's failure in words.
fn exact(
    inst: &Instance,
    k: usize,
    seed: &[usize],
    options: &SitingOptions,
) -> Result<(Vec<usize>, Proof), String> {
    use microlp::{ComparisonOp, LinearExpr, OptimizationDirection, Problem};
    // Only candidates reaching open demand can matter.
    let useful: Vec<usize> = (0..inst.reach.len())
        .filter(|j| inst.reach.get(*j).is_some_and(|r| !r.is_empty()))
        .collect();
    if useful.len() <= k {
        return Ok((useful, Proof::Optimal));
    }
    let mut problem = Problem::new(OptimizationDirection::Maximize);
    let x: Vec<microlp::Variable> = useful.iter().map(|_| problem.add_binary_var(0.0)).collect();
    let slot = |j: usize| useful.iter().position(|u| *u == j);
    let mut y = Vec::with_capacity(inst.open.len());
    for (_, w, within) in &inst.open {
        let yi = problem.add_var(*w, (0.0, 1.0));
        let mut expr = LinearExpr::empty();
        expr.add(yi, 1.0);
        for j in within {
            if let Some(s) = slot(*j).and_then(|s| x.get(s)) {
                expr.add(*s, -1.0);
            }
        }
        problem.add_constraint(expr, ComparisonOp::Le, 0.0);
        y.push(yi);
    }
    let mut count = LinearExpr::empty();
    for v in &x {
        count.add(*v, 1.0);
    }
    problem.add_constraint(count, ComparisonOp::Eq, k as f64);
    // The greedy answer (padded to k sites) as the first incumbent.
    let mut start: Vec<usize> = seed.to_vec();
    for j in &useful {
        if start.len() >= k {
            break;
        }
        if !start.contains(j) {
            start.push(*j);
        }
    }
    let mut warm: Vec<(microlp::Variable, f64)> = useful
        .iter()
        .zip(&x)
        .map(|(j, v)| (*v, if start.contains(j) { 1.0 } else { 0.0 }))
        .collect();
    for ((_, _, within), v) in inst.open.iter().zip(&y) {
        let reached = within.iter().any(|j| start.contains(j));
        warm.push((*v, if reached { 1.0 } else { 0.0 }));
    }
    let mut solve_options = microlp::SolveOptions::default();
    solve_options.time_limit = Some(options.time_limit);
    solve_options.warm_start = Some(warm);
    // The solver is young and documents that it may panic on hard problems: a panic must not
    // take the app down, the greedy answer is then given with the reason.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        problem.solve_with(solve_options)
    }))
    .map_err(|_| "le solveur s'est interrompu (erreur interne)".to_owned())?
    .map_err(|e| format!("le solveur a échoué ({e})"))?;
    let solution = outcome
        .into_solution()
        .map_err(|_| "aucune solution trouvée dans le temps imparti".to_owned())?;
    let sites: Vec<usize> = useful
        .iter()
        .zip(&x)
        .filter(|(_, v)| solution.var_value_raw(**v) > 0.5)
        .map(|(j, _)| *j)
        .collect();
    let proof = if solution.status() == microlp::SolutionStatus::Optimal {
        Proof::Optimal
    } else {
        let objective = solution.objective();
        let bound = solution
            .gap()
            .map_or(f64::INFINITY, |g| objective * (1.0 + g.abs()));
        Proof::TimeLimit {
            bound: inst.covered_before + bound,
        }
    };
    Ok((sites, proof))
}

/// Orders `sites` by decreasing marginal gain (as the greedy would add them) and gives each
/// the demand whose nearest chosen site it is.
fn describe(
    inst: &Instance,
    demand: &[Demand],
    candidates: &[Point<f64>],
    sites: &[usize],
) -> Vec<ChosenSite> {
    let mut newly = vec![0.0; sites.len()];
    for (i, w, within) in &inst.open {
        let Some(d) = demand.get(*i) else { continue };
        let nearest = sites
            .iter()
            .enumerate()
            .filter(|(_, j)| within.contains(j))
            .filter_map(|(s, j)| {
                candidates
                    .get(*j)
                    .map(|p| (s, super::distance::distance_m(d.position, *p)))
            })
            .min_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((s, _)) = nearest
            && let Some(n) = newly.get_mut(s)
        {
            *n += w;
        }
    }
    let mut out: Vec<ChosenSite> = sites
        .iter()
        .zip(newly)
        .map(|(j, n)| ChosenSite {
            candidate: *j,
            newly_covered: n,
        })
        .collect();
    out.sort_by(|a, b| {
        b.newly_covered
            .total_cmp(&a.newly_covered)
            .then(a.candidate.cmp(&b.candidate))
    });
    out
}

/// Answers `goal` for `demand`, choosing among `candidates` with the `existing` sites kept, at
/// `radius_m` metres. `progress` is called with the k being solved (set covering tries k = 1,
/// 2, …) so that an interface can show it.
pub fn site(
    demand: &[Demand],
    candidates: &[Point<f64>],
    existing: &[Point<f64>],
    radius_m: f64,
    goal: Goal,
    options: &SitingOptions,
    progress: &dyn Fn(usize),
) -> Result<Siting, AnalysisError> {
    check(demand, radius_m)?;
    if candidates.is_empty() {
        return Err(AnalysisError::EmptyLayer {
            layer: "la liste des lieux candidats".into(),
        });
    }
    let inst = instance(demand, candidates, existing, radius_m);
    let mut notes = Vec::new();
    if inst.unreachable > 0.0 {
        notes.push(format!(
            "{} % de la demande est à plus de {} km de tout lieu candidat : aucun site ne peut la couvrir",
            crate::value::format_number((pct(inst.unreachable, inst.total_weight) * 10.0).round() / 10.0),
            crate::value::format_number(radius_m / 1000.0)
        ));
    }
    let solve_k = |k: usize, notes: &mut Vec<String>| {
        progress(k);
        let (greedy_sites, greedy_gain) = greedy(&inst, k);
        match exact(&inst, k, &greedy_sites, options) {
            Ok((sites, proof)) => {
                // Never worse than the greedy answer (a solver stopped early may be).
                if gain_of(&inst, &sites) + 1e-9 < greedy_gain {
                    (greedy_sites.clone(), proof, greedy_sites, greedy_gain)
                } else {
                    (sites, proof, greedy_sites, greedy_gain)
                }
            }
            Err(why) => {
                notes.push(format!("réponse gloutonne seulement : {why}"));
                (
                    greedy_sites.clone(),
                    Proof::Greedy,
                    greedy_sites,
                    greedy_gain,
                )
            }
        }
    };
    let (sites, proof, greedy_sites, greedy_gain) = match goal {
        Goal::Sites(k) => {
            if k == 0 {
                return Err(AnalysisError::InvalidParameter {
                    name: "k".into(),
                    message: "au moins un nouveau site".into(),
                });
            }
            if k > candidates.len() {
                return Err(AnalysisError::InvalidParameter {
                    name: "k".into(),
                    message: format!(
                        "{k} sites demandés pour {} lieux candidats",
                        candidates.len()
                    ),
                });
            }
            solve_k(k, &mut notes)
        }
        Goal::Share(share) => {
            if !(share.is_finite() && share > 0.0 && share <= 100.0) {
                return Err(AnalysisError::InvalidParameter {
                    name: "part".into(),
                    message: format!("{share} % : la part visée doit être entre 0 et 100 %"),
                });
            }
            let target = inst.total_weight * share / 100.0;
            let reachable =
                inst.covered_before + gain_of(&inst, &(0..candidates.len()).collect::<Vec<_>>());
            if inst.covered_before + 1e-9 >= target {
                notes.push(format!(
                    "les sites existants couvrent déjà {} % de la demande : aucun nouveau site n'est nécessaire",
                    crate::value::format_number((pct(inst.covered_before, inst.total_weight) * 10.0).round() / 10.0)
                ));
                (Vec::new(), Proof::Optimal, Vec::new(), 0.0)
            } else if reachable + 1e-9 < target {
                return Err(AnalysisError::InvalidParameter {
                    name: "part".into(),
                    message: format!(
                        "{share} % inatteignable : avec tous les lieux candidats, {} % de la demande au plus est à moins de {} km",
                        crate::value::format_number(
                            (pct(reachable, inst.total_weight) * 10.0).round() / 10.0
                        ),
                        crate::value::format_number(radius_m / 1000.0)
                    ),
                });
            } else {
                let mut found = None;
                for k in 1..=candidates.len() {
                    let answer = solve_k(k, &mut notes);
                    let reached = inst.covered_before + gain_of(&inst, &answer.0) + 1e-9 >= target;
                    // A k whose optimum is not proven and does not reach the target may hide
                    // a better answer: say so rather than claim the minimum.
                    if !reached && answer.1 != Proof::Optimal {
                        notes.push(format!(
                            "avec {k} site(s), l'optimum n'est pas prouvé : le nombre minimal de sites peut être plus petit que celui trouvé"
                        ));
                    }
                    if reached {
                        found = Some(answer);
                        break;
                    }
                }
                found.unwrap_or((Vec::new(), Proof::Greedy, Vec::new(), 0.0))
            }
        }
    };
    let gain = gain_of(&inst, &sites);
    Ok(Siting {
        chosen: describe(&inst, demand, candidates, &sites),
        total_weight: inst.total_weight,
        covered_before: inst.covered_before,
        covered_after: inst.covered_before + gain,
        proof,
        greedy_covered: inst.covered_before + greedy_gain,
        greedy_chosen: greedy_sites,
        notes,
    })
}

/// Weight of `demand` within `radius_m` of one of `sites` (a check of an answer, or of a
/// scenario typed by the user).
pub fn covered_weight(demand: &[Demand], sites: &[Point<f64>], radius_m: f64) -> f64 {
    let index = ServiceIndex::from_positions(sites.iter().copied().enumerate().collect());
    demand
        .iter()
        .filter(|d| {
            index
                .nearest(d.position)
                .is_some_and(|n| n.distance_m <= radius_m)
        })
        .map(|d| d.weight)
        .sum()
}

/// A siting question with its inputs gathered from a project.
#[derive(Clone, Debug, PartialEq)]
pub struct SitingProblem {
    /// The demand points (zones with a weight).
    pub demand: Vec<Demand>,
    /// The candidate positions.
    pub candidates: Vec<Point<f64>>,
    /// Code (or empty) and name of each candidate.
    pub candidate_labels: Vec<(String, String)>,
    /// The existing sites' positions.
    pub existing: Vec<Point<f64>>,
    /// Zones of the demand layer left out, with the reason, in French.
    pub left_out: Vec<String>,
}

fn text_of(table: &crate::model::Table, field: Option<usize>, row: usize) -> String {
    field.and_then(|f| table.text(f, row)).unwrap_or_default()
}

/// Gathers the inputs of `request` from `project`: the demand at the interior points of the
/// demand layer's zones (a zone whose weight is missing or secret is left out and listed,
/// never taken as 0), the candidates and the existing sites.
pub fn problem(
    project: &crate::project::Project,
    request: &SitingRequest,
) -> Result<SitingProblem, AnalysisError> {
    let zone = |id: &str| {
        project
            .zones
            .iter()
            .find(|(s, _)| s.id == id)
            .ok_or_else(|| AnalysisError::InvalidParameter {
                name: "couche".into(),
                message: format!("couche de zones « {id} » absente du projet"),
            })
    };
    let points = |id: &str| {
        project
            .points
            .iter()
            .find(|(s, _)| s.id == id)
            .ok_or_else(|| AnalysisError::InvalidParameter {
                name: "couche".into(),
                message: format!("couche de points « {id} » absente du projet"),
            })
    };
    let (spec, layer) = zone(&request.demand_layer)?;
    let label = format!("la couche « {} »", spec.id);
    let weights = super::numeric_values(&layer.attributes, &request.weight_field, &label)?;
    let code_i = layer.attributes.field_index(&spec.code_field);
    let name_i = layer.attributes.field_index(&spec.name_field);
    let mut demand = Vec::new();
    let mut left_out = Vec::new();
    for (row, (g, w)) in layer.geometries.iter().zip(&weights).enumerate() {
        let code = text_of(&layer.attributes, code_i, row);
        let name = text_of(&layer.attributes, name_i, row);
        match (crate::analysis::population::interior_point(g), w) {
            (Some(p), crate::value::Value::Number(x)) => demand.push(Demand {
                code,
                position: p,
                weight: *x,
            }),
            (None, _) => left_out.push(format!("{name} ({code}) : géométrie vide")),
            (_, crate::value::Value::Missing(m)) => left_out.push(format!(
                "{name} ({code}) : {} {}",
                request.weight_field,
                m.label()
            )),
            (_, v) => left_out.push(format!("{name} ({code}) : valeur « {v} »")),
        }
    }
    let (candidates, candidate_labels): (Vec<Point<f64>>, Vec<(String, String)>) = match &request
        .candidates
    {
        CandidatePlaces::ZoneInteriorPoints(id) => {
            let (spec, layer) = zone(id)?;
            let code_i = layer.attributes.field_index(&spec.code_field);
            let name_i = layer.attributes.field_index(&spec.name_field);
            layer
                .geometries
                .iter()
                .enumerate()
                .filter_map(|(row, g)| {
                    crate::analysis::population::interior_point(g).map(|p| {
                        (
                            p,
                            (
                                text_of(&layer.attributes, code_i, row),
                                text_of(&layer.attributes, name_i, row),
                            ),
                        )
                    })
                })
                .unzip()
        }
        CandidatePlaces::Points(id) => {
            let (_, layer) = points(id)?;
            let t = &layer.attributes;
            let code_i = super::find_name(t, &["code_insee", "CODGEO", "INSEE_COM", "code", "id"]);
            let name_i = super::find_name(t, super::NAME_NAMES);
            layer
                .positions
                .iter()
                .enumerate()
                .filter_map(|(row, p)| {
                    p.map(|p| (p, (text_of(t, code_i, row), text_of(t, name_i, row))))
                })
                .unzip()
        }
    };
    let existing = match &request.existing {
        None => Vec::new(),
        Some(e) => {
            let (_, layer) = points(&e.layer)?;
            super::index::theme_rows(layer, &e.theme_field, &e.theme)?
                .into_iter()
                .filter_map(|r| layer.positions.get(r).copied().flatten())
                .collect()
        }
    };
    Ok(SitingProblem {
        demand,
        candidates,
        candidate_labels,
        existing,
        left_out,
    })
}

/// The chosen sites as a table: rank, code and name of the place, demand newly covered
/// (column names in French; the writers add the position from the points' geometries).
pub fn sites_table(
    problem: &SitingProblem,
    siting: &Siting,
    weight_field: &str,
) -> crate::model::Table {
    use crate::value::Value;
    let text = |s: &str| Value::Text(s.to_owned());
    let mut cols: Vec<Vec<Value>> = vec![Vec::new(); 4];
    for (rank, c) in siting.chosen.iter().enumerate() {
        let (code, name) = problem
            .candidate_labels
            .get(c.candidate)
            .cloned()
            .unwrap_or_default();
        super::push_row(
            &mut cols,
            [
                Value::Number((rank + 1) as f64),
                text(&code),
                text(&name),
                Value::Number(c.newly_covered),
            ],
        );
    }
    super::columns_table(
        &[
            "rang",
            "code",
            "lieu",
            &format!("{weight_field}_nouvellement_couverts"),
        ],
        cols,
    )
}

impl Proof {
    /// How the answer was found, in French.
    pub fn describe(self) -> String {
        match self {
            Proof::Optimal => "optimum prouvé".to_owned(),
            Proof::TimeLimit { bound } => format!(
                "délai atteint : meilleure réponse trouvée, l'optimum couvre au plus {}",
                crate::value::format_number(bound.round())
            ),
            Proof::Greedy => "réponse gloutonne seulement".to_owned(),
        }
    }
}

/// Gathers the inputs of `request` from `project` ([`problem`]) and answers it ([`site`]).
pub fn answer(
    project: &crate::project::Project,
    request: &SitingRequest,
    options: &SitingOptions,
    progress: &dyn Fn(usize),
) -> Result<(SitingProblem, Siting), AnalysisError> {
    let inputs = problem(project, request)?;
    let siting = site(
        &inputs.demand,
        &inputs.candidates,
        &inputs.existing,
        request.radius_m,
        request.goal,
        options,
        progress,
    )?;
    Ok((inputs, siting))
}

/// The answer as a scenario to save in the project under `name`.
pub fn scenario(
    name: &str,
    request: &SitingRequest,
    problem: &SitingProblem,
    siting: &Siting,
    computed_on: &str,
) -> SitingScenario {
    SitingScenario {
        name: name.trim().to_owned(),
        request: request.clone(),
        sites: siting
            .chosen
            .iter()
            .map(|c| {
                let (code, name) = problem
                    .candidate_labels
                    .get(c.candidate)
                    .cloned()
                    .unwrap_or_default();
                let p = problem.candidates.get(c.candidate);
                ScenarioSite {
                    code,
                    name,
                    lon: p.map_or(f64::NAN, |p| p.x()),
                    lat: p.map_or(f64::NAN, |p| p.y()),
                    newly_covered: c.newly_covered,
                }
            })
            .collect(),
        total_weight: siting.total_weight,
        covered_before: siting.covered_before,
        covered_after: siting.covered_after,
        proof: siting.proof.describe(),
        greedy_covered: siting.greedy_covered,
        computed_on: computed_on.to_owned(),
    }
}

/// Saved scenarios side by side: one row per scenario with its question (demand, radius,
/// existing sites, goal) and its answer (number of new sites, shares beyond the radius before
/// and after, gain, the places), for the comparison table and its export.
pub fn scenarios_table(scenarios: &[SitingScenario]) -> crate::model::Table {
    use crate::value::Value;
    let round1 = |x: f64| (x * 10.0).round() / 10.0;
    let mut cols: Vec<Vec<Value>> = vec![Vec::new(); 11];
    for s in scenarios {
        let goal = match s.request.goal {
            Goal::Sites(k) => format!("{k} site(s)"),
            Goal::Share(p) => format!("{} % couverts", crate::value::format_number(p)),
        };
        super::push_row(
            &mut cols,
            [
                Value::Text(s.name.clone()),
                Value::Text(s.request.weight_field.clone()),
                Value::Number(s.request.radius_m / 1000.0),
                Value::Text(
                    s.request
                        .existing
                        .as_ref()
                        .map_or(String::new(), |e| e.theme.clone()),
                ),
                Value::Text(goal),
                Value::Number(s.sites.len() as f64),
                Value::Number(round1(pct(
                    s.total_weight - s.covered_before,
                    s.total_weight,
                ))),
                Value::Number(round1(pct(
                    s.total_weight - s.covered_after,
                    s.total_weight,
                ))),
                Value::Number(s.covered_after - s.covered_before),
                Value::Text(
                    s.sites
                        .iter()
                        .map(|x| x.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                Value::Text(s.proof.clone()),
            ],
        );
    }
    super::columns_table(
        &[
            "scenario",
            "demande",
            "rayon_km",
            "sites_existants",
            "objectif",
            "nouveaux_sites",
            "part_au_dela_avant_pct",
            "part_au_dela_apres_pct",
            "gain",
            "lieux",
            "preuve",
        ],
        cols,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(code: &str, lon: f64, w: f64) -> Demand {
        Demand {
            code: code.into(),
            position: Point::new(lon, 48.5),
            weight: w,
        }
    }

    /// Longitude step of about 1 km at 48.5° N.
    const KM: f64 = 1.0 / 73.7;

    #[test]
    fn greedy_is_beaten_by_the_optimum_on_the_classic_trap() {
        // Demand at 0, 2, 4, 6 km (weights 3, 4, 4, 3); candidates at 1, 3 and 5 km, radius
        // 1.1 km: candidate 3 km covers 2 and 4 (8), candidates 1 and 5 cover 0+2 (7) and
        // 4+6 (7). With k = 2 the greedy takes 3 km (8) then 1 or 5 (+3) = 11; the optimum is
        // 1 km + 5 km = 14.
        let demand = vec![
            d("a", 0.0, 3.0),
            d("b", 2.0 * KM, 4.0),
            d("c", 4.0 * KM, 4.0),
            d("e", 6.0 * KM, 3.0),
        ];
        let candidates: Vec<Point<f64>> = [1.0, 3.0, 5.0]
            .iter()
            .map(|x| Point::new(x * KM, 48.5))
            .collect();
        let s = site(
            &demand,
            &candidates,
            &[],
            1100.0,
            Goal::Sites(2),
            &SitingOptions::default(),
            &|_| {},
        )
        .unwrap();
        let mut chosen: Vec<usize> = s.chosen.iter().map(|c| c.candidate).collect();
        chosen.sort();
        assert_eq!(chosen, vec![0, 2]);
        assert_eq!(s.covered_after, 14.0);
        assert_eq!(s.greedy_covered, 11.0);
        assert_eq!(s.proof, Proof::Optimal);
        assert!((s.greedy_gap_pct() - 100.0 * 3.0 / 14.0).abs() < 1e-9);
        assert_eq!(s.chosen.iter().map(|c| c.newly_covered).sum::<f64>(), 14.0);
        // The fewest sites for 70 % (9.8 of 14): one site covers 8 at most, two cover 14.
        let s = site(
            &demand,
            &candidates,
            &[],
            1100.0,
            Goal::Share(70.0),
            &SitingOptions::default(),
            &|_| {},
        )
        .unwrap();
        assert_eq!(s.chosen.len(), 2);
        // An existing site at 0 km covers "a" before: it counts before and after.
        let s = site(
            &demand,
            &candidates,
            &[Point::new(0.0, 48.5)],
            1100.0,
            Goal::Sites(1),
            &SitingOptions::default(),
            &|_| {},
        )
        .unwrap();
        assert_eq!(s.covered_before, 3.0);
        assert_eq!(s.covered_after, 11.0);
        assert_eq!(s.chosen[0].candidate, 1);
    }

    #[test]
    fn bad_parameters_are_refused_in_french() {
        let demand = vec![d("a", 0.0, 1.0)];
        let c = vec![Point::new(0.0, 48.5)];
        let run = |r: f64, goal: Goal| {
            site(
                &demand,
                &c,
                &[],
                r,
                goal,
                &SitingOptions::default(),
                &|_| {},
            )
            .unwrap_err()
            .to_string()
        };
        assert!(run(-1.0, Goal::Sites(1)).contains("le rayon doit être un nombre positif"));
        assert!(run(1000.0, Goal::Sites(2)).contains("2 sites demandés pour 1 lieux candidats"));
        assert!(run(1000.0, Goal::Share(150.0)).contains("entre 0 et 100 %"));
        let far = vec![Point::new(1.0, 48.5)];
        let e = site(
            &demand,
            &far,
            &[],
            1000.0,
            Goal::Share(50.0),
            &SitingOptions::default(),
            &|_| {},
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("inatteignable"), "{e}");
    }
}
