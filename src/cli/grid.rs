//! `cartosol carreaux`: INSEE's 200 m grid (Filosofi « données carroyées ») summed into zones
//! (a square counts in the zone that holds its centre) and, with services, the share of poor
//! households (or any count of the grid) living beyond a distance of the nearest in-person
//! service, measured from each square. Written per zone through the layer writers.

use anyhow::{Context, Result, bail};
use cartosol::analysis::grid_demand::{GridDemandOptions, grid_demand};
use cartosol::export::data::{DataExportOptions, DataFormat, Geometries, write_layer};
use cartosol::export::secrecy::{SecrecyGuard, zone_level};
use cartosol::grid::load_grid;
use cartosol::points::{PointOptions, load_points};
use cartosol::zones::{ZoneOptions, load_zones};
use std::path::PathBuf;

/// The arguments of `cartosol carreaux`.
#[derive(clap::Args)]
pub struct Args {
    /// Grille de carreaux de 200 m (CSV ou GeoPackage INSEE, colonne Idcar_200m).
    #[arg(long)]
    grille: PathBuf,
    /// Zones (communes, EPCI…) : Shapefile, GeoJSON, GeoPackage.
    #[arg(long)]
    zones: PathBuf,
    /// Champ du code des zones (détecté sinon).
    #[arg(long)]
    zone_code: Option<String>,
    /// Points de service (CSV, XLSX, GeoJSON, JSON data·inclusion) : ajoute la part de la
    /// demande au-delà de --seuil-km du service le plus proche.
    #[arg(long)]
    services: Option<PathBuf>,
    /// Champ du thème des services.
    #[arg(long, default_value = "dispositif")]
    theme_field: String,
    /// Thème des services (tous les services sinon).
    #[arg(long)]
    theme: Option<String>,
    /// Colonne de la grille qui pèse chaque carreau (ménages pauvres par défaut).
    #[arg(long, default_value = "Men_pauv")]
    poids: String,
    /// Distance au service le plus proche au-delà de laquelle un carreau est éloigné (km).
    #[arg(long, default_value_t = 10.0)]
    seuil_km: f64,
    /// Rayon de la zone de chalandise du 2SFCA calculé sur les carreaux (km) ; sans cette
    /// option, pas de 2SFCA.
    #[arg(long)]
    rayon_2sfca_km: Option<f64>,
    /// Fichier de sortie : .csv, .xlsx, .geojson ou .gpkg (contours des zones).
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: Args) -> Result<()> {
    let mut inputs = vec![
        (args.grille.clone(), "l'entrée --grille".to_owned()),
        (args.zones.clone(), "l'entrée --zones".to_owned()),
    ];
    if let Some(s) = &args.services {
        inputs.push((s.clone(), "l'entrée --services".to_owned()));
    }
    cartosol::fsutil::refuse_overwrite(&args.out, &inputs)?;
    if !(args.seuil_km.is_finite() && args.seuil_km > 0.0) {
        bail!(
            "--seuil-km doit être une distance positive (reçu {})",
            args.seuil_km
        );
    }
    let grid = load_grid(&args.grille)?;
    let zones = load_zones(&args.zones, &ZoneOptions::default())?;
    let services = match &args.services {
        Some(p) => Some(load_points(p, &PointOptions::default())?),
        None => None,
    };
    let result = grid_demand(
        &grid,
        &zones,
        services.as_ref(),
        &GridDemandOptions {
            zone_code_field: args.zone_code.clone(),
            weight_field: args.poids.clone(),
            theme_field: args.theme_field.clone(),
            theme: args.theme.clone(),
            threshold_m: args.seuil_km * 1000.0,
            fca_radius_m: args.rayon_2sfca_km.map(|r| r * 1000.0),
        },
    )?;
    println!(
        "{} carreaux lus ({} aux valeurs imputées d'un carreau naturel plus grand), {} dans \
         les zones (centre du carreau), {} hors des zones",
        grid.len(),
        grid.imputed.iter().filter(|i| **i).count(),
        grid.len() - result.outside,
        result.outside
    );
    for p in &grid.source.problems {
        eprintln!("  - {p}");
    }
    if let Some(share) = result.overall_share_beyond {
        println!(
            "Part de « {} » à plus de {} km du service le plus proche{} : {} %",
            args.poids,
            cartosol::value::format_number(args.seuil_km),
            args.theme
                .as_deref()
                .map(|t| format!(" « {t} »"))
                .unwrap_or_default(),
            cartosol::value::format_number((share * 10.0).round() / 10.0)
        );
    }
    let guard = SecrecyGuard::default();
    let level = zone_level(&result.table, "code");
    let report = write_layer(
        &result.table,
        Geometries::Zones(&zones.geometries),
        level,
        "carreaux",
        &args.out,
        DataFormat::from_path(&args.out)?,
        &DataExportOptions {
            secrecy: guard.clone(),
            ..Default::default()
        },
        &guard,
    )
    .with_context(|| format!("{} non écrit", args.out.display()))?;
    println!("{} écrit ({} zones)", args.out.display(), report.rows);
    Ok(())
}
