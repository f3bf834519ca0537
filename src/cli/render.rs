//! `cartosol render PROJECT --out map.png|map.svg [--view NAME] [--preset …]
//! [--carte-diagnostic aucune|profil|lisa|typologie|situations|facteur]`.

use anyhow::{Context, Result};
use cartosol::export::diagnostic_maps::diagnostic_overlay;
use cartosol::export::secrecy::SecrecyGuard;
use cartosol::export::{
    Preset, RenderOptions, compose_project, render_svg, svg_to_png, write_atomic,
};
use cartosol::project::{DiagnosticMap, Project, open_project};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    /// Projet (*.cartosol.json).
    project: PathBuf,
    /// Fichier à écrire : .png ou .svg.
    #[arg(long)]
    out: PathBuf,
    /// Vue enregistrée du projet : son cadrage, sa couche, son indicateur, ses classes et ses
    /// couches (par défaut : la carte du projet, toutes les zones).
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
    /// Carte du diagnostic dessinée à la place de la carte choroplèthe, avec sa légende
    /// (par défaut : celle enregistrée dans le projet) ; réglages (champs, seuils, LISA,
    /// typologie) : ceux du projet.
    #[arg(long, value_enum)]
    carte_diagnostic: Option<DiagMapArg>,
}

/// A diagnostic map, as the command line names it.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum DiagMapArg {
    /// Pas de carte du diagnostic : la carte choroplèthe de l'indicateur.
    Aucune,
    /// Profil de ménages pauvres le plus surreprésenté par zone.
    Profil,
    /// Regroupements LISA (Élevé-Élevé, Faible-Faible…), couleurs de GeoDa.
    Lisa,
    /// Classes de la typologie.
    Typologie,
    /// Nombre d'indicateurs signalés par zone (situations locales sensibles).
    Situations,
    /// Score z robuste d'un facteur aggravant, orienté vers le besoin.
    Facteur,
}

impl From<DiagMapArg> for DiagnosticMap {
    fn from(a: DiagMapArg) -> Self {
        match a {
            DiagMapArg::Aucune => DiagnosticMap::None,
            DiagMapArg::Profil => DiagnosticMap::Profile,
            DiagMapArg::Lisa => DiagnosticMap::Lisa,
            DiagMapArg::Typologie => DiagnosticMap::Typology,
            DiagMapArg::Situations => DiagnosticMap::Situations,
            DiagMapArg::Facteur => DiagnosticMap::Factor,
        }
    }
}

impl MapArgs {
    /// The render options these arguments describe for `project`: page, tiles, date,
    /// secrecy, and the diagnostic map asked for (or saved in the project) as the overlay's
    /// fill, computed on the map's zone layer.
    pub fn render_options(self, project: &Project) -> Result<RenderOptions> {
        let mut options = RenderOptions::new(Preset::parse(&self.preset)?);
        options.tile_cache = self.tuiles;
        options.secrecy = SecrecyGuard {
            lifted: self.lever_secret,
            ..SecrecyGuard::default()
        };
        if let Some(date) = self.date {
            options.date = cartosol::export::compose::date_line(&date);
        }
        let mut spec = project.file.diagnostic.clone();
        if let Some(map) = self.carte_diagnostic {
            spec.map = map.into();
        }
        if spec.map != DiagnosticMap::None {
            let (zone, layer) = cartosol::export::compose::map_layer(project)?;
            let base = project.path.parent().unwrap_or(Path::new("."));
            let (dict, notes) = cartosol::project::completed_dictionary(&project.file, base);
            for note in notes {
                eprintln!("Note : {note}");
            }
            let guard = options
                .secrecy
                .clone()
                .with_privacy(&project.file.map.privacy);
            options.overlay.fill = diagnostic_overlay(project, (zone, layer), &spec, &dict, &guard)
                .with_context(|| {
                    format!(
                        "carte du diagnostic « {} » non calculée sur la couche « {} »",
                        spec.map.name_fr(),
                        zone.id
                    )
                })?;
        }
        Ok(options)
    }
}

pub fn run(args: Args) -> Result<()> {
    let started = Instant::now();
    let mut project = open_project(&args.project)?;
    cartosol::fsutil::refuse_overwrite(&args.out, &project.input_files())?;
    // A saved view brings its layer, indicator, classes and layers, as in the app and the deck
    // (an unknown name is reported by the composition, with the names available).
    if let Some(view) = args.view.as_deref().and_then(|name| {
        project
            .file
            .views
            .iter()
            .find(|v| v.name.eq_ignore_ascii_case(name.trim()))
            .cloned()
    }) {
        project.file.map = view.applied_to(&project.file.map);
    }
    let mut options = args.map.render_options(&project)?;
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
