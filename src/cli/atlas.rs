//! `cartosol atlas PROJECT --out DIR`: one map per zone of the map layer (per EPCI).

use anyhow::Result;
use cartosol::export::atlas::write_atlas;
use cartosol::export::secrecy::SecrecyGuard;
use cartosol::export::{Preset, RenderOptions};
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
    /// Format de page : a4-paysage, a4-portrait, diapo ou LARGEURxHAUTEUR.
    #[arg(long, default_value = "a4-paysage")]
    preset: String,
    /// Écrit aussi chaque carte en SVG.
    #[arg(long)]
    svg: bool,
    /// Dossier de tuiles de fond de carte déjà téléchargées ({z}/{x}/{y}.png).
    #[arg(long)]
    tuiles: Option<PathBuf>,
    /// Date imprimée sur les cartes (JJ/MM/AAAA ; par défaut : aujourd'hui).
    #[arg(long)]
    date: Option<String>,
    /// Lève le secret statistique (usage interne ; les cartes le signalent).
    #[arg(long)]
    lever_secret: bool,
}

pub fn run(args: Args) -> Result<()> {
    let started = Instant::now();
    let project = open_project(&args.project)?;
    let mut options = RenderOptions::new(Preset::parse(&args.preset)?);
    options.tile_cache = args.tuiles;
    options.secrecy = SecrecyGuard {
        marked: Vec::new(),
        lifted: args.lever_secret,
    };
    if let Some(date) = args.date {
        options.date = cartosol::export::compose::date_line(&date);
    }
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
