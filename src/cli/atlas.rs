//! `cartosol atlas PROJECT --out DIR`: one map per zone of the map layer (per EPCI).

use anyhow::Result;
use cartosol::export::atlas::write_atlas;
use cartosol::project::open_project;
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    /// Projet (*.cartosol.json).
    project: PathBuf,
    /// Dossier où écrire les cartes (créé au besoin).
    #[arg(long)]
    out: PathBuf,
    /// Écrit aussi chaque carte en SVG.
    #[arg(long)]
    svg: bool,
    #[command(flatten)]
    map: super::render::MapArgs,
}

pub fn run(args: Args) -> Result<()> {
    let started = Instant::now();
    let project = open_project(&args.project)?;
    cartosol::fsutil::refuse_overwrite(&args.out, &project.input_files())?;
    let options = args.map.render_options(&project)?;
    let pages = write_atlas(&project, &args.out, &options, args.svg)?;
    for p in &pages {
        println!("  {} {} → {}", p.code, p.name, p.file.display());
    }
    println!(
        "Atlas : {} carte(s) dans {} en {:.1} s (liste : index.csv)",
        pages.len(),
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
