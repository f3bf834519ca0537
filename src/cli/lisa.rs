//! `cartosol lisa`: global Moran's I and local Moran (LISA) of an indicator of a project's zone
//! layer on queen contiguity, written per zone (code, nom, valeur, Ii, quadrant, p, cluster)
//! through the layer writers of `cartosol export`; the global I and its p-value on stdout.

use anyhow::Result;
use cartosol::analysis::autocorrelation::{
    DEFAULT_ALPHA, DEFAULT_PERMUTATIONS, DEFAULT_SEED, LisaOptions, field_values, lisa, lisa_table,
};
use cartosol::analysis::weights::Weights;
use cartosol::export::secrecy::SecrecyGuard;
use std::path::PathBuf;

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
    /// Fichier résultat (.csv, .geojson, .xlsx, .gpkg).
    #[arg(long)]
    out: PathBuf,
}

/// Runs `cartosol lisa`.
pub fn run(args: Args) -> Result<()> {
    let project = cartosol::project::open_project(&args.project)?;
    let (spec, zones) = super::zone_layer(&project, &args.project, &args.zones_layer, "zones")?;
    let layer = format!("la couche « {} »", spec.id);
    let values = field_values(&zones.attributes, &args.field, &layer)?;
    let numbers: Vec<Option<f64>> = values.iter().map(|v| v.as_f64()).collect();
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
    let weights = Weights::queen(&zones.geometries);
    let options = LisaOptions {
        permutations: args.permutations,
        seed: args.seed,
        alpha: args.alpha,
    };
    let result = lisa(&numbers, &weights, &options)?;
    let table = lisa_table(&codes, &names, &values, &result);
    let mut guard = SecrecyGuard::default().with_privacy(&project.file.map.privacy);
    // The value column copies the indicator: as sensitive as it.
    if guard.is_sensitive(&args.field) {
        guard.marked.push("valeur".to_owned());
    }
    let report = super::write_zone_results(&table, &zones.geometries, "lisa", &args.out, &guard)?;
    let g = &result.global;
    println!(
        "I de Moran global de « {} » : {:.6} (espérance {:.6}), pseudo p = {} ({} permutations, \
         graine {}), {} zones, contiguïté reine",
        args.field,
        g.i,
        g.expected,
        g.p_sim.map_or("—".to_owned(), |p| format!("{p:.4}")),
        g.permutations,
        args.seed,
        result.weights.len()
    );
    for note in result.notes() {
        println!("Note : {note}");
    }
    println!("Écrit : {}", args.out.display());
    println!("{report}");
    Ok(())
}
