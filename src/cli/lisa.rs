//! `cartosol lisa`: global Moran's I and local Moran (LISA) of an indicator of a project's zone
//! layer on queen contiguity, written per zone (code, nom, valeur, Ii, quadrant, p, cluster)
//! through the layer writers of `cartosol export`; the global I and its p-value on stdout.

use anyhow::{Result, bail};
use cartosol::analysis::autocorrelation::{
    DEFAULT_ALPHA, DEFAULT_PERMUTATIONS, DEFAULT_SEED, LisaOptions, field_values, lisa_table,
};
use cartosol::analysis::smoothing::{RateSource, Smoothing, add_rate_columns};
use cartosol::export::diagnostic_maps::layer_lisa;
use cartosol::export::secrecy::SecrecyGuard;
use std::path::PathBuf;

/// The smoothing of rates, as the command line names it (`--lissage`).
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum SmoothingArg {
    /// Taux bruts, tels que publiés.
    Brut,
    /// Lissage bayésien empirique global (esda Empirical_Bayes, GeoDa « EB »).
    Eb,
    /// Lissage bayésien empirique spatial, sur les voisines (contiguïté reine).
    #[value(name = "eb-spatial")]
    EbSpatial,
}

impl From<SmoothingArg> for Smoothing {
    fn from(a: SmoothingArg) -> Self {
        match a {
            SmoothingArg::Brut => Smoothing::Raw,
            SmoothingArg::Eb => Smoothing::EmpiricalBayes,
            SmoothingArg::EbSpatial => Smoothing::SpatialEmpiricalBayes,
        }
    }
}

/// The arguments of `cartosol lisa`.
#[derive(clap::Args)]
pub struct Args {
    /// Projet (*.cartosol.json).
    #[arg(long)]
    project: PathBuf,
    /// Couche de zones du projet (identifiant, ex. « communes »).
    #[arg(long, default_value = "communes")]
    zones_layer: String,
    /// Indicateur analysé (champ numérique des zones, ex. TP60).
    #[arg(long)]
    field: String,
    /// Nombre de permutations (pseudo p-values).
    #[arg(long, default_value_t = DEFAULT_PERMUTATIONS)]
    permutations: usize,
    /// Graine du générateur pseudo-aléatoire (SplitMix64).
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Seuil de significativité de la carte des regroupements.
    #[arg(long, default_value_t = DEFAULT_ALPHA)]
    alpha: f64,
    /// Lissage du taux avant l'analyse (petites populations) : le taux brut et le taux lissé
    /// sont écrits côte à côte (taux_brut, taux_lisse) et l'analyse porte sur le taux lissé.
    /// Numérateur et dénominateur : ceux du ratio déclaré dans le projet, ou --numerateur et
    /// --denominateur.
    #[arg(long, value_enum, default_value = "brut")]
    lissage: SmoothingArg,
    /// Champ des effectifs d'événements du taux (ex. NB_MEN_PAUV), avec --denominateur.
    #[arg(long, requires = "denominateur")]
    numerateur: Option<String>,
    /// Champ des effectifs de base du taux (ex. NBMENFISC), avec --numerateur.
    #[arg(long, requires = "numerateur")]
    denominateur: Option<String>,
    /// Facteur du taux (100 pour un pourcentage) avec --numerateur ; par défaut celui du
    /// ratio déclaré du champ, sinon 1.
    #[arg(long)]
    echelle: Option<f64>,
    /// Fichier résultat (.csv, .geojson, .xlsx, .gpkg).
    #[arg(long)]
    out: PathBuf,
}

/// Runs `cartosol lisa`.
pub fn run(args: Args) -> Result<()> {
    let project = cartosol::project::open_project(&args.project)?;
    cartosol::fsutil::refuse_overwrite(&args.out, &project.input_files())?;
    let (spec, zones) = super::zone_layer(&project, &args.project, &args.zones_layer, "zones")?;
    let layer = format!("la couche « {} »", spec.id);
    let values = field_values(&zones.attributes, &args.field, &layer)?;
    let smoothing: Smoothing = args.lissage.into();
    let rules = cartosol::project::ratio_rules(&project.file, &spec.id);
    let source = match (&args.numerateur, &args.denominateur) {
        (Some(n), Some(d)) => Some(RateSource {
            numerator: n.trim().to_owned(),
            denominator: d.trim().to_owned(),
            scale: args.echelle.unwrap_or_else(|| {
                RateSource::of_field(&args.field, &rules).map_or(1.0, |r| r.scale)
            }),
        }),
        _ if args.echelle.is_some() => {
            bail!("--echelle s'utilise avec --numerateur et --denominateur")
        }
        _ => None,
    };
    if source.is_some() && smoothing == Smoothing::Raw {
        bail!(
            "--numerateur et --denominateur servent au lissage : précisez --lissage eb ou eb-spatial"
        );
    }
    let text_column = |name: &str| -> Vec<String> {
        let i = zones.attributes.field_index(name);
        (0..zones.len())
            .map(|r| {
                i.and_then(|i| zones.attributes.text(i, r))
                    .unwrap_or_default()
            })
            .collect()
    };
    let codes = text_column(&spec.code_field);
    let names = text_column(&spec.name_field);
    let options = LisaOptions {
        permutations: args.permutations,
        seed: args.seed,
        alpha: args.alpha,
    };
    let run = layer_lisa(
        spec,
        zones,
        &args.field,
        &options,
        smoothing,
        source.as_ref(),
        &rules,
    )?;
    let result = &run.result;
    let mut table = lisa_table(&codes, &names, &values, result);
    if let Some(s) = &run.smoothed {
        add_rate_columns(&mut table, s);
    }
    let mut guard = SecrecyGuard::default().with_privacy(&project.file.map.privacy);
    // The value column copies the indicator: as sensitive as it.
    if guard.is_sensitive(&args.field) {
        guard.marked.push("valeur".to_owned());
    }
    let report = super::write_zone_results(&table, &zones.geometries, "lisa", &args.out, &guard)?;
    let g = &result.global;
    let what = match &run.smoothed {
        Some(_) => format!("« {} », {}", args.field, smoothing.label()),
        None => format!("« {} »", args.field),
    };
    println!(
        "I de Moran global de {} : {:.6} (espérance {:.6}), pseudo p = {} ({} permutations, \
         graine {}), {} zones, contiguïté reine",
        what,
        g.i,
        g.expected,
        g.p_sim.map_or("—".to_owned(), |p| format!("{p:.4}")),
        g.permutations,
        args.seed,
        result.weights.len()
    );
    for note in run.notes() {
        println!("Note : {note}");
    }
    println!("Écrit : {}", args.out.display());
    println!("{report}");
    Ok(())
}
