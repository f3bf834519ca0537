//! `cartosol join ZONES TABLE`.

use anyhow::{Context, Result};
use cartosol::codes::CodeKind;
use cartosol::join::join;
use cartosol::table::load_table;
use cartosol::zones::load_zones;
use clap::ValueEnum;
use std::path::PathBuf;

#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    Commune,
    Epci,
}

#[derive(clap::Args)]
pub struct Args {
    zones: PathBuf,
    table: PathBuf,
    /// Champ de code des zones (détecté sinon).
    #[arg(long)]
    zone_code: Option<String>,
    /// Champ de code de la table (détecté sinon).
    #[arg(long)]
    table_code: Option<String>,
    /// Nature des codes (détectée sinon).
    #[arg(long, value_enum)]
    kind: Option<Kind>,
    /// Couche des zones, feuille et ligne d'en-tête de la table, système des zones.
    #[command(flatten)]
    read: super::ReadArgs,
}

pub fn run(args: Args) -> Result<()> {
    let zones = load_zones(&args.zones, &args.read.zone_options()?)?;
    let loaded = load_table(&args.table, &args.read.table_options())?;
    let kind = args.kind.map(|k| match k {
        Kind::Commune => CodeKind::Commune,
        Kind::Epci => CodeKind::Epci,
    });
    let result = join(
        &zones.attributes,
        args.zone_code.as_deref(),
        &loaded.table,
        args.table_code.as_deref(),
        kind,
    )
    .with_context(|| format!("{} ↔ {}", zones.source.path.display(), args.table.display()))?;
    print!("{}", result.report);
    Ok(())
}
