//! `cartosol inspect FILE`.

use anyhow::Result;
use cartosol::inspect::{InspectOptions, inspect};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    file: PathBuf,
    #[command(flatten)]
    read: super::ReadArgs,
    /// Communes (Shapefile, GeoJSON, GeoPackage) contre lesquelles contrôler des points :
    /// points hors du territoire, loin de leur commune déclarée.
    #[arg(long)]
    zones: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<()> {
    let zones = args.read.zone_options()?;
    let report = inspect(
        &args.file,
        &InspectOptions {
            layer: zones.layer.clone(),
            crs: zones.crs.clone(),
            table: args.read.table_options(),
            repair: zones.repair,
        },
    )?;
    print!("{report}");
    if let Some(zones_path) = &args.zones {
        let points = cartosol::points::load_points(
            &args.file,
            &cartosol::points::PointOptions {
                crs: zones.crs.clone(),
                table: args.read.table_options(),
                ..Default::default()
            },
        )?;
        let communes = cartosol::zones::load_zones(zones_path, &Default::default())?;
        let check = cartosol::analysis::quality_report(&points, &communes, None, None)?;
        println!(
            "Contrôle des positions par rapport à {} : {} point(s) contrôlé(s)",
            zones_path.display(),
            check.checked
        );
        let problems = check.problems(&format!(
            "« {} »",
            cartosol::error::display_name(zones_path)
        ));
        if problems.is_empty() {
            println!("  aucun point hors du territoire ni loin de sa commune déclarée");
        }
        for p in problems {
            println!("  - {p}");
        }
    }
    Ok(())
}
