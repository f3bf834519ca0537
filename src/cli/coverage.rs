//! `cartosol coverage`: coverage of zones by the services of one theme (counts, densities,
//! distances, eligibility, 2SFCA), written as CSV, GeoJSON or XLSX.

use anyhow::{Context, Result, bail};
use cartosol::analysis::coverage::{CoverageOptions, coverage};
use cartosol::analysis::fca::Decay;
use cartosol::analysis::output::write_any;
use cartosol::join::{apply, join};
use cartosol::model::{PointLayer, ZoneLayer};
use cartosol::points::{PointOptions, load_points};
use cartosol::table::{TableOptions, load_table};
use cartosol::zones::{ZoneOptions, load_zones};
use clap::ValueEnum;
use std::path::PathBuf;

#[derive(Clone, Copy, ValueEnum)]
enum DecayArg {
    /// 1 dans le rayon, 0 au-delà.
    Step,
    /// Décroissance gaussienne, nulle au bord du rayon.
    Gauss,
}

/// The arguments, boxed so that the subcommand enum of `cli/mod.rs` stays small.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    options: Box<Options>,
}

#[derive(clap::Args)]
struct Options {
    /// Projet (*.cartosol.json) dont on prend les couches jointes (au lieu de --zones/--points).
    #[arg(long)]
    project: Option<PathBuf>,
    /// Couche de zones du projet (identifiant, ex. « epci » ou « communes »).
    #[arg(long, default_value = "communes")]
    zones_layer: String,
    /// Couche des communes du projet qui porte la population.
    #[arg(long, default_value = "communes")]
    communes_layer: String,
    /// Couche de points du projet.
    #[arg(long, default_value = "services")]
    points_layer: String,
    /// Fichier de zones (Shapefile, GeoJSON, GeoPackage).
    #[arg(long)]
    zones: Option<PathBuf>,
    /// Fichier des communes qui portent la population (par défaut : les zones).
    #[arg(long)]
    communes: Option<PathBuf>,
    /// Fichier des points de service (CSV, XLSX, GeoJSON, JSON data·inclusion).
    #[arg(long)]
    points: Option<PathBuf>,
    /// Table à joindre aux zones par code (ex. panorama de pauvreté).
    #[arg(long)]
    table: Option<PathBuf>,
    /// Feuille de la table.
    #[arg(long)]
    sheet: Option<String>,
    /// Ligne d'en-tête de la table.
    #[arg(long)]
    header_row: Option<usize>,
    /// Thème analysé (valeur du champ de thème, ex. « France Services ») ; tous sinon.
    #[arg(long)]
    theme: Option<String>,
    /// Champ de thème des services.
    #[arg(long)]
    theme_field: Option<String>,
    /// Indicateur de besoin des zones (ex. TP60), recopié dans le résultat.
    #[arg(long)]
    need: Option<String>,
    /// Effectif du public cible des zones (ex. NB_MEN_PAUV) : services pour 1 000.
    #[arg(long)]
    target_field: Option<String>,
    /// Champ de population des communes (habitants).
    #[arg(long)]
    population_field: Option<String>,
    /// Demande du 2SFCA, champ des communes (par défaut : la population).
    #[arg(long)]
    demand_field: Option<String>,
    /// Offre du 2SFCA, champ de capacité des services (par défaut : 1 par service).
    #[arg(long)]
    capacity_field: Option<String>,
    /// Champ de code des zones (détecté sinon).
    #[arg(long)]
    zone_code: Option<String>,
    /// Rayon de la zone de chalandise du 2SFCA, en km.
    #[arg(long, default_value_t = 10.0)]
    radius_km: f64,
    /// Distance au-delà de laquelle la population est comptée comme éloignée, en km
    /// (par défaut : le rayon).
    #[arg(long)]
    threshold_km: Option<f64>,
    /// Décroissance avec la distance du 2SFCA.
    #[arg(long, value_enum, default_value = "step")]
    decay: DecayArg,
    /// Fichier de sortie : .csv, .geojson ou .xlsx.
    #[arg(long)]
    out: PathBuf,
}

struct Inputs {
    zones: ZoneLayer,
    communes: Option<ZoneLayer>,
    points: PointLayer,
    theme_field: Option<String>,
    population_field: Option<String>,
}

fn from_project(args: &Options, path: &std::path::Path) -> Result<Inputs> {
    let mut project = cartosol::project::open_project(path)?;
    let ids = |v: &[String]| {
        v.iter()
            .map(|s| format!("« {s} »"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let zone_ids: Vec<String> = project.zones.iter().map(|(s, _)| s.id.clone()).collect();
    let take_zone = |id: &str, zones: &[(cartosol::project::ZoneSpec, ZoneLayer)]| {
        zones.iter().find(|(s, _)| s.id == id).cloned()
    };
    let Some((_, zones)) = take_zone(&args.zones_layer, &project.zones) else {
        bail!(
            "couche de zones « {} » absente du projet {} (couches : {})",
            args.zones_layer,
            path.display(),
            ids(&zone_ids)
        );
    };
    let Some((cspec, communes)) = take_zone(&args.communes_layer, &project.zones) else {
        bail!(
            "couche de communes « {} » absente du projet {} (couches : {})",
            args.communes_layer,
            path.display(),
            ids(&zone_ids)
        );
    };
    let point_ids: Vec<String> = project.points.iter().map(|(s, _)| s.id.clone()).collect();
    let Some(k) = project
        .points
        .iter()
        .position(|(s, _)| s.id == args.points_layer)
    else {
        bail!(
            "couche de points « {} » absente du projet {} (couches : {})",
            args.points_layer,
            path.display(),
            ids(&point_ids)
        );
    };
    let (pspec, points) = project.points.swap_remove(k);
    Ok(Inputs {
        zones,
        communes: Some(communes),
        points,
        theme_field: pspec.theme_field,
        population_field: cspec.population_field,
    })
}

fn from_files(args: &Options) -> Result<Inputs> {
    let (Some(zones_path), Some(points_path)) = (&args.zones, &args.points) else {
        bail!("indiquez --project, ou bien --zones et --points");
    };
    let mut zones = load_zones(zones_path, &ZoneOptions::default())?;
    if let Some(table_path) = &args.table {
        let loaded = load_table(
            table_path,
            &TableOptions {
                sheet: args.sheet.clone(),
                header_row: args.header_row,
                delimiter: None,
            },
        )?;
        let result = join(
            &zones.attributes,
            args.zone_code.as_deref(),
            &loaded.table,
            None,
            None,
        )
        .with_context(|| format!("{} ↔ {}", zones_path.display(), table_path.display()))?;
        eprintln!("Jointure de {} :", table_path.display());
        for line in result.report.to_string().lines() {
            eprintln!("  {line}");
        }
        apply(&mut zones.attributes, result.columns);
    }
    let communes = match &args.communes {
        Some(p) => Some(load_zones(p, &ZoneOptions::default())?),
        None => None,
    };
    let points = load_points(points_path, &PointOptions::default())?;
    Ok(Inputs {
        zones,
        communes,
        points,
        theme_field: None,
        population_field: None,
    })
}

pub fn run(args: Args) -> Result<()> {
    let args = *args.options;
    let inputs = match &args.project {
        Some(p) => from_project(&args, p)?,
        None => from_files(&args)?,
    };
    let threshold_km = args.threshold_km.unwrap_or(args.radius_km);
    let options = CoverageOptions {
        theme_field: args
            .theme_field
            .clone()
            .or(inputs.theme_field.clone())
            .unwrap_or_else(|| "dispositif".to_owned()),
        theme: args.theme.clone(),
        zone_code_field: args.zone_code.clone(),
        commune_code_field: None,
        population_field: args
            .population_field
            .clone()
            .or(inputs.population_field.clone())
            .unwrap_or_else(|| "POPULATION".to_owned()),
        need_field: args.need.clone(),
        target_field: args.target_field.clone(),
        demand_field: args.demand_field.clone(),
        capacity_field: args.capacity_field.clone(),
        service_code_field: None,
        radius_m: args.radius_km * 1000.0,
        threshold_m: threshold_km * 1000.0,
        decay: match args.decay {
            DecayArg::Step => Decay::Step,
            DecayArg::Gauss => Decay::Gaussian,
        },
    };
    let communes = inputs.communes.as_ref().unwrap_or(&inputs.zones);
    let result = coverage(&inputs.zones, communes, &inputs.points, &options)?;
    if result.services_total == 0 {
        eprintln!(
            "attention : aucun service « {} » dans le champ « {} »",
            options.theme.as_deref().unwrap_or("(tous)"),
            options.theme_field
        );
    }
    let table = result.to_output();
    write_any(&args.out, &table, &inputs.zones.geometries, "couverture")?;
    println!(
        "Couverture « {} » : {} zones, {} services dont {} à distance uniquement (comptés à part), \
         {} sans coordonnées comptés par code commune, {} hors des zones, {} non localisés",
        options.theme.as_deref().unwrap_or("tous les services"),
        result.zones.len(),
        result.services_total,
        result.services_remote_total,
        result.services_by_code,
        result.services_outside,
        result.services_unlocated.len()
    );
    println!("Écrit : {}", args.out.display());
    Ok(())
}
