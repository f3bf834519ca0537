//! `cartosol export PROJECT --layer ID --out file.geojson|csv|xlsx|gpkg|parquet`.

use anyhow::Result;
use cartosol::export::data::DecimalMark;
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
    /// Fichier à écrire : .geojson (WGS84), .csv (UTF-8 avec BOM, « ; », virgule décimale),
    /// .xlsx, .gpkg (Lambert-93) ou .parquet (GeoParquet, Lambert-93).
    #[arg(long)]
    out: PathBuf,
    /// CSV : point décimal (14.2) au lieu de la virgule (14,2) ; le séparateur reste « ; ».
    #[arg(long)]
    point_decimal: bool,
    /// Sans effet, gardée pour les scripts existants : la virgule décimale est désormais la
    /// règle de tous les CSV (voir --point-decimal pour l'autre convention).
    #[arg(long)]
    virgule_decimale: bool,
    /// Ajoute après chaque colonne incomplète une colonne « _motif » (secret statistique, non
    /// disponible…).
    #[arg(long)]
    motifs: bool,
    /// Agrège d'abord à cette couche de zones : des points, le nombre de points par zone (seule
    /// sortie possible pour des données personnelles) ; des communes, leurs chiffres par EPCI
    /// (effectifs additionnés, ratios déclarés du projet recalculés).
    #[arg(long)]
    agreger_par: Option<String>,
    /// Champ à traiter comme un effectif sensible de personnes ou de ménages (répétable).
    #[arg(long = "champ-effectif")]
    champs_effectifs: Vec<String>,
    /// Champ sensible par nature (effectif Filosofi…) à déclarer public : jamais masqué
    /// (répétable).
    #[arg(long = "champ-public")]
    champs_publics: Vec<String>,
    /// Lève le secret statistique : les effectifs inférieurs à 11 ne sont plus masqués.
    #[arg(long)]
    lever_secret: bool,
}

pub fn run(args: Args) -> Result<()> {
    let project = open_project(&args.project)?;
    cartosol::fsutil::refuse_overwrite(&args.out, &project.input_files())?;
    // `--virgule-decimale` is the default now: accepted, without effect.
    let _ = args.virgule_decimale;
    let options = DataExportOptions {
        decimal: if args.point_decimal {
            DecimalMark::Point
        } else {
            DecimalMark::Comma
        },
        reason_columns: args.motifs,
        secrecy: SecrecyGuard {
            marked: args.champs_effectifs,
            public: args.champs_publics,
            lifted: args.lever_secret,
            ..SecrecyGuard::default()
        },
        aggregate_to: args.agreger_par,
        // Labels of the XLSX « Définitions » sheet: the project's dictionary completed by the
        // definitions sheets of its workbooks, as the app does.
        dictionary: cartosol::project::completed_dictionary(
            &project.file,
            args.project.parent().unwrap_or(std::path::Path::new(".")),
        )
        .0,
    };
    let report = export_layer(&project, &args.layer, &args.out, &options)?;
    println!("Export écrit : {}", args.out.display());
    println!("{report}");
    Ok(())
}
