//! `cartosol inspect FILE`.

use anyhow::Result;
use cartosol::inspect::{InspectOptions, inspect};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    file: PathBuf,
    #[command(flatten)]
    read: super::ReadArgs,
}

pub fn run(args: Args) -> Result<()> {
    let zones = args.read.zone_options()?;
    let report = inspect(
        &args.file,
        &InspectOptions {
            layer: zones.layer,
            crs: zones.crs,
            table: args.read.table_options(),
            repair: zones.repair,
        },
    )?;
    print!("{report}");
    Ok(())
}
