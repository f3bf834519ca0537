//! `cartosol pistes PROJECT --out fiches.xlsx [--documents DIR]`: the action sheets of the
//! proposals per axis (one XLSX sheet per axis, one DOCX per proposal with the map of its
//! need), and what is still incomplete, printed as warnings (the exit code stays 0).

use anyhow::{Context, Result, bail};
use cartosol::analysis::proposals::{axis_short, completeness, display_title};
use cartosol::export::proposals::{
    ProposalExportOptions, write_proposal_documents, write_proposals_workbook,
};
use cartosol::export::secrecy::SecrecyGuard;
use cartosol::project::open_project;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Projet (*.cartosol.json) dont les pistes de contractualisation font les fiches.
    project: PathBuf,
    /// Classeur à écrire (.xlsx, une feuille par axe et une feuille « À compléter »).
    #[arg(long)]
    out: PathBuf,
    /// Dossier où écrire une fiche par piste (DOCX modifiable et PDF), avec la carte du besoin.
    #[arg(long)]
    documents: Option<PathBuf>,
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
    let is_xlsx = args
        .out
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    if !is_xlsx {
        bail!(
            "{} : extension non reconnue (attendu : .xlsx)",
            args.out.display()
        );
    }
    let mut project = open_project(&args.project)?;
    cartosol::fsutil::refuse_overwrite(&args.out, &project.input_files())?;
    let guard = SecrecyGuard {
        lifted: args.lever_secret,
        ..SecrecyGuard::default()
    }
    .with_privacy(&project.file.map.privacy);
    let proposals = &project.file.proposals;
    println!(
        "Pistes de contractualisation : {} piste(s)",
        proposals.len()
    );
    for axis in 1..=4u8 {
        let titles: Vec<String> = proposals
            .iter()
            .filter(|p| p.axis == axis)
            .map(display_title)
            .collect();
        println!("  {} : {} piste(s)", axis_short(axis), titles.len());
        for t in titles {
            println!("    - {t}");
        }
    }
    match &project.file.t0 {
        Some(t0) => println!(
            "T0 des indicateurs du projet : situation figée le {}",
            t0.frozen_on
        ),
        None => println!(
            "T0 des indicateurs du projet : aucun T0 figé (cartosol t0 freeze), seuls les T0 saisis comptent"
        ),
    }
    write_proposals_workbook(&project, &args.out, &guard)
        .with_context(|| "fiches-actions non écrites".to_owned())?;
    println!("Écrit : {}", args.out.display());
    if let Some(dir) = &args.documents {
        let mut options = ProposalExportOptions {
            tile_cache: args.tuiles.clone(),
            secrecy: guard.clone(),
            ..ProposalExportOptions::default()
        };
        if let Some(date) = &args.date {
            options.date = cartosol::export::compose::date_line(date);
        }
        let files = write_proposal_documents(&mut project, dir, &options)
            .with_context(|| "fiches (DOCX et PDF) non écrites".to_owned())?;
        for f in files {
            println!("Écrit : {}", f.display());
        }
    }
    let gaps = completeness(&project.file.proposals, project.file.t0.as_ref());
    if gaps.is_empty() {
        println!("Fiches complètes.");
    } else {
        eprintln!("À compléter ({}) :", gaps.len());
        for g in &gaps {
            eprintln!("  attention : {}", g.message);
        }
    }
    Ok(())
}
