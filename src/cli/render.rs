//! `cartosol render PROJECT --out map.png|map.svg [--view NAME] [--preset …]`.

use anyhow::{Context, Result};
use cartosol::export::secrecy::SecrecyGuard;
use cartosol::export::{
    Preset, RenderOptions, compose_project, render_svg, svg_to_png, write_atomic,
};
use cartosol::project::open_project;
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    /// Projet (*.cartosol.json).
    project: PathBuf,
    /// Fichier à écrire : .png ou .svg.
    #[arg(long)]
    out: PathBuf,
    /// Vue enregistrée du projet à cadrer (par défaut : toutes les zones).
    #[arg(long)]
    view: Option<String>,
    #[command(flatten)]
    map: MapArgs,
}

/// Options shared by every map export (`render`, `atlas`).
#[derive(clap::Args)]
pub struct MapArgs {
    /// Format de page : a4-paysage (300 dpi, 3508×2480), a4-portrait, diapo (1920×1080) ou
    /// LARGEURxHAUTEUR en pixels.
    #[arg(long, default_value = "a4-paysage")]
    preset: String,
    /// Dossier de tuiles de fond de carte déjà téléchargées ({z}/{x}/{y}.png) ; sans lui, pas
    /// de fond de carte.
    #[arg(long)]
    tuiles: Option<PathBuf>,
    /// Date imprimée sur la carte (JJ/MM/AAAA ; par défaut : aujourd'hui).
    #[arg(long)]
    date: Option<String>,
    /// Lève le secret statistique (effectifs inférieurs à 11 visibles) : à réserver à un usage
    /// interne ; la carte le signale.
    #[arg(long)]
    lever_secret: bool,
}

impl MapArgs {
    /// The render options these arguments describe.
    pub fn render_options(self) -> Result<RenderOptions> {
        let mut options = RenderOptions::new(Preset::parse(&self.preset)?);
        options.tile_cache = self.tuiles;
        options.secrecy = SecrecyGuard {
            lifted: self.lever_secret,
            ..SecrecyGuard::default()
        };
        if let Some(date) = self.date {
            options.date = cartosol::export::compose::date_line(&date);
        }
        Ok(options)
    }
}

pub fn run(args: Args) -> Result<()> {
    let started = Instant::now();
    let project = open_project(&args.project)?;
    let mut options = args.map.render_options()?;
    options.view = args.view;
    let map = compose_project(&project, &options)?;
    let svg = render_svg(&map);
    let ext = args
        .out
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let bytes = match ext.as_str() {
        "svg" => svg.into_bytes(),
        "png" => svg_to_png(&svg, map.page.width_px, map.page.height_px)?,
        _ => anyhow::bail!(
            "{} : extension non reconnue (attendu : .png ou .svg)",
            args.out.display()
        ),
    };
    write_atomic(&args.out, &bytes).with_context(|| "carte non écrite".to_owned())?;
    println!(
        "Carte écrite : {} ({} × {} px{}) en {:.2} s",
        args.out.display(),
        map.page.width_px,
        map.page.height_px,
        if map.basemap.is_some() {
            ", avec fond de carte"
        } else {
            ", sans fond de carte"
        },
        started.elapsed().as_secs_f64()
    );
    for note in &map.notes {
        println!("  {note}");
    }
    Ok(())
}
