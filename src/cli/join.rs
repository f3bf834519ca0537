//! `cartosol join ZONES TABLE`.

use anyhow::{Context, Result};
use cartosol::codes::CodeKind;
use cartosol::join::join;
use cartosol::table::{TableOptions, load_table};
use cartosol::zones::{ZoneOptions, load_zones};
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
    /// Couche des zones (GeoPackage, zip).
    #[arg(long)]
    layer: Option<String>,
    /// Feuille de la table.
    #[arg(long)]
    sheet: Option<String>,
    /// Ligne d'en-tête de la table.
    #[arg(long)]
    header_row: Option<usize>,
    /// Système de coordonnées imposé aux zones.
    #[arg(long)]
    crs: Option<String>,
}

pub fn run(args: Args) -> Result<()> {
    let zones = load_zones(
        &args.zones,
        &ZoneOptions {
            layer: args.layer,
            crs: super::parse_crs(args.crs)?,
        },
    )?;
    let loaded = load_table(
        &args.table,
        &TableOptions {
            sheet: args.sheet,
            header_row: args.header_row,
            delimiter: None,
        },
    )?;
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
