//! `cartosol typology`: typology of the zones of a project on indicators the user picks
//! (k-means, Ward, or Ward under contiguity with a minimum population per region), written
//! through the layer writers of `cartosol export`: one row per zone (code, name, class, why a
//! zone was left out), and the class profiles in a second file (`--profils`) or on stdout.

use anyhow::{Context, Result, bail};
use cartosol::analysis::typology::{
    Indicators, K_RANGE, KMeansOptions, Method, Typology, k_scores, standardize, typology,
};
use cartosol::analysis::weights::Weights;
use cartosol::export::data::{DataExportOptions, DataFormat, Geometries, write_layer};
use cartosol::export::secrecy::SecrecyGuard;
use cartosol::value::format_number;
use clap::ValueEnum;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, ValueEnum)]
enum MethodArg {
    /// k-means (départs k-means++ multiples, le meilleur gardé).
    Kmeans,
    /// Classification ascendante hiérarchique de Ward.
    Ward,
    /// Ward sous contrainte de contiguïté (régions d'un seul tenant), population minimale.
    #[value(name = "ward-contigu")]
    WardContigu,
}

/// The arguments.
#[derive(clap::Args)]
pub struct Args {
    /// Projet (*.cartosol.json).
    #[arg(long)]
    project: PathBuf,
    /// Couche de zones du projet (identifiant, ex. « communes »).
    #[arg(long, default_value = "communes")]
    zones_layer: String,
    /// Indicateurs, séparés par des virgules (ex. TP60,TX_CHOMAGE,PART_FAM_MONO).
    #[arg(long, value_delimiter = ',', required = true)]
    fields: Vec<String>,
    /// Nombre de classes (de 2 à 10).
    #[arg(long, default_value_t = 5)]
    k: usize,
    /// Méthode de classification.
    #[arg(long, value_enum, default_value = "kmeans")]
    method: MethodArg,
    /// Population minimale d'une région (ward-contigu) : protège aussi le secret.
    #[arg(long, default_value_t = 0.0)]
    min_population: f64,
    /// Champ de population des zones (par défaut : celui de la couche dans le projet).
    #[arg(long)]
    population_field: Option<String>,
    /// Graine du k-means (même graine, même résultat).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Nombre de départs du k-means.
    #[arg(long, default_value_t = 10)]
    restarts: usize,
    /// Affiche aussi l'inertie et la silhouette moyenne du k-means pour k = 2 à 10.
    #[arg(long)]
    choisir_k: bool,
    /// Fichier des profils de classes (.csv ou .xlsx) ; affichés sinon.
    #[arg(long)]
    profils: Option<PathBuf>,
    /// Fichier des classes par zone : .csv, .geojson, .xlsx ou .gpkg.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: Args) -> Result<()> {
    if !K_RANGE.contains(&args.k) {
        bail!(
            "--k : le nombre de classes doit être compris entre {} et {} ({} demandé)",
            K_RANGE.start(),
            K_RANGE.end(),
            args.k
        );
    }
    if args.min_population > 0.0 && !matches!(args.method, MethodArg::WardContigu) {
        bail!("--min-population ne s'utilise qu'avec --method ward-contigu");
    }
    let project = cartosol::project::open_project(&args.project)?;
    cartosol::fsutil::refuse_overwrite(&args.out, &project.input_files())?;
    let (spec, layer) = super::zone_layer(&project, &args.project, &args.zones_layer, "zones")?;
    let layer_label = format!("la couche « {} »", spec.id);
    let fields: Vec<String> = args
        .fields
        .iter()
        .map(|f| f.trim().to_owned())
        .filter(|f| !f.is_empty())
        .collect();
    let indicators = Indicators::from_table(&layer.attributes, &fields, &layer_label)?;
    let method = match args.method {
        MethodArg::Kmeans => Method::KMeans(kmeans_options(&args)),
        MethodArg::Ward => Method::Ward,
        MethodArg::WardContigu => {
            let field = args
                .population_field
                .clone()
                .or_else(|| spec.population_field.clone());
            let population = match (&field, args.min_population > 0.0) {
                (Some(f), _) => {
                    let i = layer.attributes.field_index(f).with_context(|| {
                        format!("champ de population « {f} » absent de {layer_label}")
                    })?;
                    layer
                        .attributes
                        .fields
                        .get(i)
                        .map(|fl| fl.values.iter().map(|v| v.as_f64()).collect())
                        .unwrap_or_default()
                }
                (None, true) => {
                    bail!("--min-population demande un champ de population (--population-field)")
                }
                (None, false) => vec![None; layer.len()],
            };
            // Queen contiguity, as in the app and the diagnostic maps.
            Method::WardContiguous {
                adjacency: Weights::queen(&layer.geometries).neighbours,
                population,
                min_population: args.min_population,
            }
        }
    };
    if args.choisir_k {
        let z = standardize(&indicators.values).z;
        println!("Choix du nombre de classes (k-means) :");
        println!("  k ; inertie ; silhouette moyenne");
        for s in k_scores(&z, K_RANGE, &kmeans_options(&args))? {
            println!(
                "  {} ; {} ; {}",
                s.k,
                format_number(s.inertia),
                s.silhouette.map_or("—".to_owned(), format_number)
            );
        }
    }
    let result = typology(indicators, args.k, &method)?;
    let guard = SecrecyGuard::default().with_privacy(&project.file.map.privacy);
    let table = result.zones_table(
        &layer.attributes,
        &spec.code_field,
        Some(spec.name_field.as_str()),
    );
    let options = DataExportOptions {
        reason_columns: true,
        secrecy: guard.clone(),
        ..Default::default()
    };
    let report =
        super::write_zone_results(&table, &layer.geometries, "typologie", &args.out, &guard)?;
    print_summary(&result);
    println!("Écrit : {}", args.out.display());
    println!("{report}");
    match &args.profils {
        Some(path) => {
            write_profiles(&result, path, &options, &guard)?;
            println!("Profils écrits : {}", path.display());
        }
        None => print_profiles(&result),
    }
    Ok(())
}

fn kmeans_options(args: &Args) -> KMeansOptions {
    KMeansOptions {
        n_init: args.restarts.max(1),
        seed: args.seed,
        ..KMeansOptions::default()
    }
}

fn print_summary(t: &Typology) {
    println!("Typologie : {}", t.method_text);
    println!(
        "{} zone(s) classée(s) en {} classe(s) ; silhouette moyenne {} ; inertie {}",
        t.labels.len(),
        t.profiles.len(),
        t.silhouette.map_or("—".to_owned(), format_number),
        format_number(t.inertia)
    );
    for note in &t.notes {
        println!("Note : {note}");
    }
}

fn print_profiles(t: &Typology) {
    println!("Profils des classes (moyenne ; score z moyen) :");
    let header: Vec<&str> = t.indicators.fields.iter().map(String::as_str).collect();
    println!("  classe ; zones ; {}", header.join(" ; "));
    for p in &t.profiles {
        let cells: Vec<String> = p
            .mean
            .iter()
            .zip(&p.mean_z)
            .map(|(m, z)| {
                format!(
                    "{} ({})",
                    format_number(*m),
                    format!("{z:+.2}").replace('.', ",")
                )
            })
            .collect();
        println!("  {} ; {} ; {}", p.class + 1, p.size, cells.join(" ; "));
    }
    let overall: Vec<String> = t.overall_mean.iter().map(|m| format_number(*m)).collect();
    println!("  ensemble ; {} ; {}", t.labels.len(), overall.join(" ; "));
}

fn write_profiles(
    t: &Typology,
    path: &Path,
    options: &DataExportOptions,
    guard: &SecrecyGuard,
) -> Result<()> {
    let table = t.profiles_table();
    write_layer(
        &table,
        Geometries::None,
        cartosol::export::secrecy::ZoneLevel::Aggregate,
        "profils",
        path,
        DataFormat::from_path(path)?,
        options,
        guard,
    )
    .with_context(|| format!("{} non écrit", path.display()))?;
    Ok(())
}
