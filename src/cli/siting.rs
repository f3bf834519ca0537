//! `cartosol siting PROJECT --theme T --k K --rayon-km R --out sites.csv`: where k new sites
//! would cover the most demand within R km, the existing sites of the theme kept (or, with
//! `--part-cible X`, the fewest new sites bringing the covered share to X %).

use anyhow::{Context, Result, bail};
use cartosol::analysis::siting::{
    CandidatePlaces, ExistingSites, Goal, SitingOptions, SitingRequest, answer, problem, scenario,
    scenarios_table, site, sites_table,
};
use cartosol::export::data::Geometries;
use cartosol::value::format_number;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The arguments of `cartosol siting`.
#[derive(clap::Args)]
pub struct Args {
    /// Projet (*.cartosol.json).
    project: PathBuf,
    /// Thème des sites existants (conservés), dans la couche de services (ex. « France
    /// Services ») ; sans lui, aucun site existant.
    #[arg(long)]
    theme: Option<String>,
    /// Couche de points des services existants.
    #[arg(long, default_value = "services")]
    services: String,
    /// Nombre de nouveaux sites (couverture maximale).
    #[arg(long, conflicts_with = "part_cible")]
    k: Option<usize>,
    /// Part de la demande à couvrir, en % : le plus petit nombre de nouveaux sites qui
    /// l'atteint (couverture d'ensemble).
    #[arg(long)]
    part_cible: Option<f64>,
    /// Rayon d'accès d'un site, en km.
    #[arg(long = "rayon-km", visible_alias = "radius-km")]
    radius_km: Option<f64>,
    /// Couche de zones de la demande (ses points intérieurs).
    #[arg(long, default_value = "communes")]
    zones: String,
    /// Champ de la demande (effectif à couvrir : ménages pauvres, un profil…).
    #[arg(long, default_value = "NB_MEN_PAUV")]
    demande: String,
    /// Demande mesurée où vivent les ménages : grille de carreaux de 200 m de l'Insee (CSV ou
    /// GeoPackage), au centre de chaque carreau, au lieu des points intérieurs de --zones.
    #[arg(long)]
    demande_carreaux: Option<PathBuf>,
    /// Colonne de la grille qui pèse chaque carreau (avec --demande-carreaux).
    #[arg(long, default_value = "Men_pauv")]
    poids_carreaux: String,
    /// Lieux candidats : une couche de points (ex. « mairies ») ou une couche de zones (ses
    /// points intérieurs).
    #[arg(long, default_value = "mairies")]
    candidats: String,
    /// Temps maximal de la recherche exacte, en secondes (par valeur de k).
    #[arg(long, default_value_t = 30)]
    delai_s: u64,
    /// Enregistre la réponse dans le projet comme scénario de ce nom (remplace un scénario
    /// du même nom).
    #[arg(long)]
    enregistrer: Option<String>,
    /// Ne calcule rien : écrit la comparaison des scénarios enregistrés dans le projet.
    #[arg(long)]
    comparer: bool,
    /// Fichier des sites choisis (.csv, .geojson, .xlsx, .gpkg), ou de la comparaison des
    /// scénarios (.csv, .xlsx).
    #[arg(long)]
    out: PathBuf,
}

fn round1(x: f64) -> String {
    format_number((x * 10.0).round() / 10.0)
}

/// Runs `cartosol siting`.
pub fn run(args: Args) -> Result<()> {
    let started = Instant::now();
    let project = cartosol::project::open_project(&args.project)?;
    cartosol::fsutil::refuse_overwrite(&args.out, &project.input_files())?;
    if args.comparer {
        return compare(&project, &args);
    }
    let candidates = if project.points.iter().any(|(s, _)| s.id == args.candidats) {
        CandidatePlaces::Points(args.candidats.clone())
    } else if project.zones.iter().any(|(s, _)| s.id == args.candidats) {
        CandidatePlaces::ZoneInteriorPoints(args.candidats.clone())
    } else {
        bail!(
            "lieux candidats « {} » : ni une couche de points ni une couche de zones du projet \
             {} (couches : {})",
            args.candidats,
            args.project.display(),
            super::quoted(
                project
                    .points
                    .iter()
                    .map(|(s, _)| s.id.as_str())
                    .chain(project.zones.iter().map(|(s, _)| s.id.as_str()))
            )
        );
    };
    let existing = match &args.theme {
        None => None,
        Some(theme) => {
            let (spec, layer) = super::point_layer(&project, &args.project, &args.services)?;
            let field = cartosol::style::map_style::theme_field(
                spec.theme_field.as_deref(),
                &layer.attributes,
            )
            .with_context(|| format!("la couche « {} » n'a pas de champ de thème", spec.id))?;
            if cartosol::analysis::index::theme_rows(layer, &field.name, theme)?.is_empty() {
                bail!(
                    "thème « {theme} » absent de la couche « {} » (champ « {} »)",
                    spec.id,
                    field.name
                );
            }
            Some(ExistingSites {
                layer: spec.id.clone(),
                theme_field: field.name.clone(),
                theme: theme.clone(),
            })
        }
    };
    let goal = match (args.k, args.part_cible) {
        (Some(k), _) => Goal::Sites(k),
        (None, Some(share)) => Goal::Share(share),
        (None, None) => bail!("précisez --k (nombre de sites) ou --part-cible (part à couvrir, %)"),
    };
    let Some(radius_km) = args.radius_km else {
        bail!("précisez --rayon-km");
    };
    let request = SitingRequest {
        demand_layer: args.zones.clone(),
        weight_field: args.demande.clone(),
        candidates,
        existing,
        radius_m: radius_km * 1000.0,
        goal,
    };
    let options = SitingOptions {
        time_limit: Duration::from_secs(args.delai_s.max(1)),
    };
    let progress = |k: usize| eprintln!("  recherche avec {k} nouveau(x) site(s)…");
    let (inputs, answer, demand_label) = match &args.demande_carreaux {
        None => {
            let (inputs, answer) = answer(&project, &request, &options, &progress)?;
            (inputs, answer, args.demande.clone())
        }
        Some(grid_path) => {
            let grid = cartosol::grid::load_grid(grid_path)?;
            let (demand, missing) =
                cartosol::analysis::grid_demand::grid_demand_points(&grid, &args.poids_carreaux)?;
            let mut inputs = problem(&project, &request)?;
            inputs.demand = demand;
            inputs.left_out = if missing > 0 {
                vec![format!(
                    "{missing} carreau(x) sans valeur de « {} »",
                    args.poids_carreaux
                )]
            } else {
                Vec::new()
            };
            let answer = site(
                &inputs.demand,
                &inputs.candidates,
                &inputs.existing,
                request.radius_m,
                request.goal,
                &options,
                &progress,
            )?;
            (inputs, answer, args.poids_carreaux.clone())
        }
    };
    let table = sites_table(&inputs, &answer, &demand_label);
    let positions: Vec<Option<geo::Point<f64>>> = answer
        .chosen
        .iter()
        .map(|c| inputs.candidates.get(c.candidate).copied())
        .collect();
    super::write_aggregate_results(
        &project,
        &table,
        Geometries::Points(&positions),
        "sites",
        &args.out,
    )?;

    println!(
        "Demande : « {} » de {} {} ({} au total) ; {} lieux candidats ; {} site(s) \
         existant(s){}",
        demand_label,
        inputs.demand.len(),
        match &args.demande_carreaux {
            Some(p) => format!("carreau(x) de {}", p.display()),
            None => format!("zone(s) de « {} »", args.zones),
        },
        format_number(answer.total_weight),
        inputs.candidates.len(),
        inputs.existing.len(),
        args.theme
            .as_deref()
            .map_or(String::new(), |t| format!(" (« {t} »)"))
    );
    for (i, c) in answer.chosen.iter().enumerate() {
        let (code, name) = inputs
            .candidate_labels
            .get(c.candidate)
            .cloned()
            .unwrap_or_default();
        println!(
            "  {}. {name} ({code}) : +{} nouvellement couverts",
            i + 1,
            format_number(c.newly_covered)
        );
    }
    println!(
        "Part de la demande à plus de {} km : {} % avant → {} % après ({} site(s) nouveau(x))",
        format_number(radius_km),
        round1(answer.share_beyond_before_pct()),
        round1(answer.share_beyond_after_pct()),
        answer.chosen.len()
    );
    println!(
        "Preuve : {} (programme en nombres entiers).",
        answer.proof.describe()
    );
    println!(
        "Réponse gloutonne : {} couverts, écart {} % du gain",
        format_number(answer.greedy_covered),
        round1(answer.greedy_gap_pct())
    );
    for note in &answer.notes {
        println!("  Note : {note}");
    }
    if !inputs.left_out.is_empty() {
        println!(
            "  Note : {} zone(s) sans valeur de « {} » laissées hors de la demande (secret, \
             valeur manquante ; jamais comptées 0)",
            inputs.left_out.len(),
            args.demande
        );
    }
    if let Some(name) = &args.enregistrer {
        let saved = scenario(
            name,
            &request,
            &inputs,
            &answer,
            &cartosol::export::today_fr(),
        );
        let mut file = project.file.clone();
        file.siting.retain(|s| s.name != saved.name);
        file.siting.push(saved);
        let dir = match args.project.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        cartosol::project::save_project(&file, &dir, &args.project)
            .with_context(|| format!("{} non écrit", args.project.display()))?;
        println!(
            "Scénario « {} » enregistré dans {}",
            name.trim(),
            args.project.display()
        );
    }
    println!(
        "Écrit : {} en {:.2} s",
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `--comparer`: the saved scenarios side by side.
fn compare(project: &cartosol::project::Project, args: &Args) -> Result<()> {
    if project.file.siting.is_empty() {
        bail!(
            "{} : aucun scénario d'implantation enregistré (--enregistrer NOM)",
            args.project.display()
        );
    }
    let table = scenarios_table(&project.file.siting);
    super::write_aggregate_results(project, &table, Geometries::None, "scenarios", &args.out)?;
    println!(
        "Comparaison de {} scénario(s) écrite : {}",
        project.file.siting.len(),
        args.out.display()
    );
    Ok(())
}
