//! `cartosol quality`: quality report of a point layer against the communes — points outside
//! every zone, points in another commune than the one they declare, with their distance to it —
//! written as points (CSV with longitude/latitude, GeoJSON, XLSX, GeoPackage) through the layer
//! writers of `cartosol export`, with a short summary on stdout.

use anyhow::{Context, Result, bail};
use cartosol::analysis::quality::quality_report;
use cartosol::export::data::{DataExportOptions, DataFormat, Geometries, write_layer};
use cartosol::export::secrecy::{SecrecyGuard, ZoneLevel};
use cartosol::model::{PointLayer, ZoneLayer};
use cartosol::points::{PointOptions, load_points};
use cartosol::zones::{ZoneOptions, load_zones};
use std::path::{Path, PathBuf};

/// Issues listed on stdout; the others are in the output file.
const SHOWN: usize = 20;

#[derive(clap::Args)]
pub struct Args {
    /// Projet (*.cartosol.json) dont on prend les couches (au lieu de --points/--zones).
    #[arg(long)]
    project: Option<PathBuf>,
    /// Couche de points du projet à contrôler (ex. « mairies »).
    #[arg(long)]
    points_layer: Option<String>,
    /// Couche des communes du projet.
    #[arg(long, default_value = "communes")]
    zones_layer: String,
    /// Fichier de points à contrôler (CSV, XLSX, GeoJSON, JSON data·inclusion).
    #[arg(long)]
    points: Option<PathBuf>,
    /// Fichier des communes (Shapefile, GeoJSON, GeoPackage).
    #[arg(long)]
    zones: Option<PathBuf>,
    /// Champ du code de commune déclaré par les points (détecté sinon : code_insee…).
    #[arg(long)]
    point_code: Option<String>,
    /// Champ du code de commune des zones (par défaut : celui du projet, ou détecté).
    #[arg(long)]
    zone_code: Option<String>,
    /// Fichier de sortie des points suspects : .csv, .geojson, .xlsx ou .gpkg.
    #[arg(long)]
    out: Option<PathBuf>,
}

struct Inputs {
    points: PointLayer,
    zones: ZoneLayer,
    name: String,
    zone_code: Option<String>,
    /// Every file read, with its role (for the overwrite guard).
    files: Vec<(std::path::PathBuf, String)>,
}

fn from_project(args: &Args, path: &Path) -> Result<Inputs> {
    if args.points.is_some() || args.zones.is_some() {
        bail!(
            "--points et --zones ne s'utilisent pas avec --project : indiquez les couches du \
             projet avec --points-layer et --zones-layer"
        );
    }
    let project = cartosol::project::open_project(path)?;
    let list = |ids: Vec<&str>| {
        ids.iter()
            .map(|s| format!("« {s} »"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let point_ids = || list(project.points.iter().map(|(s, _)| s.id.as_str()).collect());
    let Some(id) = &args.points_layer else {
        bail!(
            "indiquez la couche de points à contrôler avec --points-layer (couches : {})",
            point_ids()
        );
    };
    let (pspec, points) = super::point_layer(&project, path, id)?;
    if project
        .file
        .map
        .privacy
        .personal_layers
        .iter()
        .any(|p| p == id)
    {
        bail!(
            "la couche « {} » contient des données personnelles : ses points ne peuvent pas être \
             exportés un par un",
            pspec.name
        );
    }
    let (zspec, zones) = super::zone_layer(&project, path, &args.zones_layer, "zones")?;
    Ok(Inputs {
        points: points.clone(),
        zones: zones.clone(),
        name: pspec.name.clone(),
        zone_code: Some(zspec.code_field.clone()),
        files: project.input_files(),
    })
}

fn from_files(args: &Args) -> Result<Inputs> {
    let (Some(points_path), Some(zones_path)) = (&args.points, &args.zones) else {
        bail!("indiquez --project et --points-layer, ou bien --points et --zones");
    };
    Ok(Inputs {
        points: load_points(points_path, &PointOptions::default())?,
        zones: load_zones(zones_path, &ZoneOptions::default())?,
        name: cartosol::error::display_name(points_path),
        zone_code: None,
        files: vec![
            (points_path.clone(), "l'entrée --points".to_owned()),
            (zones_path.clone(), "l'entrée --zones".to_owned()),
        ],
    })
}

pub fn run(args: Args) -> Result<()> {
    let inputs = match &args.project {
        Some(p) => from_project(&args, p)?,
        None => from_files(&args)?,
    };
    if let Some(out) = &args.out {
        cartosol::fsutil::refuse_overwrite(out, &inputs.files)?;
    }
    let report = quality_report(
        &inputs.points,
        &inputs.zones,
        args.point_code.as_deref(),
        args.zone_code.as_deref().or(inputs.zone_code.as_deref()),
    )?;
    println!(
        "Contrôle de « {} » : {} point(s) contrôlé(s), {} hors du territoire, {} dans une autre \
         commune que celle déclarée, {} au code de commune inconnu, {} ligne(s) sans coordonnées",
        inputs.name,
        report.checked,
        report.outside.len(),
        report.wrong_zone.len(),
        report.unknown_code.len(),
        report.unpositioned.len()
    );
    let issues: Vec<_> = report.issues().collect();
    for (kind, i) in issues.iter().take(SHOWN) {
        println!(
            "  - n° {} « {} » (code déclaré {}) : {kind}{}{}",
            i.origin,
            i.label,
            i.declared.as_deref().unwrap_or("absent"),
            i.found
                .as_deref()
                .map(|z| format!(", tombe dans {z}"))
                .unwrap_or_default(),
            i.distance_to_declared_m
                .filter(|d| d.is_finite())
                .map(|d| format!(", à {} km de sa commune", km(d)))
                .unwrap_or_default()
        );
    }
    if issues.len() > SHOWN {
        println!("  … et {} autre(s)", issues.len() - SHOWN);
    }
    if let Some(out) = &args.out {
        let table = report.table();
        let positions = report.positions();
        let options = DataExportOptions {
            reason_columns: true,
            ..Default::default()
        };
        let written = write_layer(
            &table,
            Geometries::Points(&positions),
            ZoneLevel::Aggregate,
            "qualite",
            out,
            DataFormat::from_path(out)?,
            &options,
            &SecrecyGuard::default(),
        )
        .with_context(|| format!("{} non écrit", out.display()))?;
        println!("Écrit : {}", out.display());
        println!("{written}");
    }
    Ok(())
}

/// Kilometres with one decimal and a decimal comma (`10,9`).
fn km(m: f64) -> String {
    cartosol::value::format_number((m / 100.0).round() / 10.0)
}
