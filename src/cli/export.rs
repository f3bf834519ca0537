//! `cartosol export PROJECT --layer ID --out file.geojson|csv|xlsx|gpkg`.

use anyhow::Result;
use cartosol::export::secrecy::SecrecyGuard;
use cartosol::export::{DataExportOptions, export_layer};
use cartosol::project::open_project;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Projet (*.cartosol.json).
    project: PathBuf,
    /// Identifiant de la couche à exporter (zones avec leurs colonnes jointes, ou points).
    #[arg(long)]
    layer: String,
    /// Fichier à écrire : .geojson (WGS84), .csv (UTF-8 avec BOM, « ; »), .xlsx ou .gpkg
    /// (Lambert-93).
    #[arg(long)]
    out: PathBuf,
    /// CSV : virgule décimale (14,2) au lieu du point.
    #[arg(long)]
    virgule_decimale: bool,
    /// Ajoute après chaque colonne incomplète une colonne « _motif » (secret statistique, non
    /// disponible…).
    #[arg(long)]
    motifs: bool,
    /// Points : exporte le nombre de points par zone de cette couche de zones (seule sortie
    /// possible pour des données personnelles).
    #[arg(long)]
    agreger_par: Option<String>,
    /// Champ à traiter comme un effectif de personnes ou de ménages (répétable).
    #[arg(long = "champ-effectif")]
    champs_effectifs: Vec<String>,
    /// Lève le secret statistique : les effectifs inférieurs à 11 ne sont plus masqués.
    #[arg(long)]
    lever_secret: bool,
}

pub fn run(args: Args) -> Result<()> {
    let project = open_project(&args.project)?;
    let options = DataExportOptions {
        decimal_comma: args.virgule_decimale,
        reason_columns: args.motifs,
        secrecy: SecrecyGuard {
            marked: args.champs_effectifs,
            lifted: args.lever_secret,
        },
        aggregate_to: args.agreger_par,
    };
    let report = export_layer(&project, &args.layer, &args.out, &options)?;
    println!("Export écrit : {}", args.out.display());
    println!("{report}");
    Ok(())
}
