//! `cartosol deck PROJECT --out support.pdf [--png DIR] [--compte-rendu cr.md]`: the
//! committee deck, one 16:9 page per saved view of the project.

use anyhow::{Context, Result, bail};
use cartosol::export::deck::{DeckOptions, DeckRequest, write_deck};
use cartosol::export::secrecy::SecrecyGuard;
use cartosol::project::open_project;
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    /// Projet (*.cartosol.json) dont les vues enregistrées font les pages.
    project: PathBuf,
    /// Support de séance à écrire (.pdf, une page 16:9 par vue).
    #[arg(long)]
    out: PathBuf,
    /// Dossier où écrire aussi chaque vue en PNG 1920×1080.
    #[arg(long)]
    png: Option<PathBuf>,
    /// Modèle de compte rendu à écrire (Markdown).
    #[arg(long = "compte-rendu")]
    compte_rendu: Option<PathBuf>,
    /// Dossier de tuiles de fond de carte déjà téléchargées ({z}/{x}/{y}.png).
    #[arg(long)]
    tuiles: Option<PathBuf>,
    /// Date imprimée sur les pages (JJ/MM/AAAA ; par défaut : aujourd'hui).
    #[arg(long)]
    date: Option<String>,
    /// Lève le secret statistique (usage interne ; les pages le signalent).
    #[arg(long)]
    lever_secret: bool,
}

pub fn run(args: Args) -> Result<()> {
    let started = Instant::now();
    let is_pdf = args
        .out
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("pdf"));
    if !is_pdf {
        bail!(
            "{} : extension non reconnue (attendu : .pdf)",
            args.out.display()
        );
    }
    let mut project = open_project(&args.project)?;
    let inputs = project.input_files();
    for out in std::iter::once(&args.out).chain(args.compte_rendu.as_ref()) {
        cartosol::fsutil::refuse_overwrite(out, &inputs)?;
    }
    let mut options = DeckOptions {
        tile_cache: args.tuiles,
        secrecy: SecrecyGuard {
            lifted: args.lever_secret,
            ..SecrecyGuard::default()
        },
        ..DeckOptions::default()
    };
    if let Some(date) = args.date {
        options.date = cartosol::export::compose::date_line(&date);
    }
    let request = DeckRequest {
        pdf: Some(args.out.clone()),
        png_dir: args.png,
        minutes: args.compte_rendu,
    };
    let report = write_deck(&mut project, &request, &options)
        .with_context(|| "support de séance non écrit".to_owned())?;
    println!(
        "Support de séance : {} vue(s) en {:.2} s",
        report.views.len(),
        started.elapsed().as_secs_f64()
    );
    for (i, v) in report.views.iter().enumerate() {
        println!("  {}. {v}", i + 1);
    }
    for f in &report.files {
        println!("Écrit : {}", f.display());
    }
    Ok(())
}
