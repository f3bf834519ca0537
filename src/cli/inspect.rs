//! `cartosol inspect FILE`.

use anyhow::Result;
use cartosol::inspect::{InspectOptions, inspect};
use cartosol::table::TableOptions;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    file: PathBuf,
    /// Couche d'un GeoPackage ou d'une archive zip.
    #[arg(long)]
    layer: Option<String>,
    /// Feuille d'un classeur.
    #[arg(long)]
    sheet: Option<String>,
    /// Ligne d'en-tête (1 = première ligne).
    #[arg(long)]
    header_row: Option<usize>,
    /// Système de coordonnées imposé (ex. EPSG:2154).
    #[arg(long)]
    crs: Option<String>,
}

pub fn run(args: Args) -> Result<()> {
    let report = inspect(
        &args.file,
        &InspectOptions {
            layer: args.layer,
            crs: super::parse_crs(args.crs)?,
            table: TableOptions {
                sheet: args.sheet,
                header_row: args.header_row,
                delimiter: None,
            },
        },
    )?;
    print!("{report}");
    Ok(())
}
