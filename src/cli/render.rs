//! `cartosol render` (being built).

use anyhow::Result;

#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> Result<()> {
    anyhow::bail!("la commande « render » n'est pas encore disponible dans cette version")
}
