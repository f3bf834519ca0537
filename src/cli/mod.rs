//! The `cartosol` command line. Each subcommand lives in its own file with its arguments.

mod atlas;
mod bench;
mod coverage;
mod deck;
mod diagnostic;
mod export;
mod grid;
mod inspect;
mod join;
mod lisa;
mod pistes;
mod quality;
mod render;
mod schemes;
mod siting;
mod t0;
mod typology;
mod underserved;

use anyhow::Result;
use cartosol::crs::Crs;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// CartoSol — besoins sociaux et offre de services pour le diagnostic territorial.
#[derive(Parser)]
#[command(name = "cartosol", about, disable_version_flag = true)]
struct Cli {
    /// Affiche la version et les millésimes des données de l'exemple installé.
    #[arg(short = 'V', long)]
    version: bool,
    #[command(subcommand)]
    command: Option<Command>,
    /// Projet (*.cartosol.json) ou fichier de données à ouvrir (par défaut : le projet
    /// d'exemple de l'Essonne).
    path: Option<PathBuf>,
    /// Sans interface graphique : affiche le résumé du projet.
    #[arg(long)]
    summary: bool,
    /// Limite de lecture d'un fichier, en Mo (contenu décompressé, cellules d'une feuille) :
    /// à relever pour un fichier légitime très volumineux (par défaut : 4096, ou la variable
    /// CARTOSOL_LIMITE_MEMOIRE ; 0 : aucune).
    #[arg(long, global = true, value_name = "Mo")]
    limite_memoire: Option<u64>,
    /// Aucune limite de lecture (fichiers de confiance seulement).
    #[arg(long, global = true, conflicts_with = "limite_memoire")]
    sans_limite: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Décrit un fichier avant import : type, système de coordonnées, encodage, champs, problèmes.
    Inspect(inspect::Args),
    /// Joint une table à des zones par code et affiche le rapport de jointure.
    Join(join::Args),
    /// Couverture en services par zone et par thème (effectifs, densités, distances, 2SFCA).
    Coverage(coverage::Args),
    /// Contrôle d'une couche de points : hors du territoire, dans une autre commune que celle
    /// déclarée (avec les distances).
    Quality(quality::Args),
    /// Zones sous-desservies selon une règle besoin/offre explicite : table, et carte avec --map.
    Underserved(underserved::Args),
    /// Carte du projet en PNG ou SVG.
    Render(render::Args),
    /// Export d'une couche du projet (GeoJSON, CSV, XLSX, GeoPackage…).
    Export(export::Args),
    /// Une carte par EPCI dans un dossier.
    Atlas(atlas::Args),
    /// Support de séance du comité : une page 16:9 par vue enregistrée (PDF, PNG) et un
    /// modèle de compte rendu.
    Deck(deck::Args),
    /// Autocorrélation spatiale d'un indicateur : I de Moran global et LISA (contiguïté reine).
    Lisa(lisa::Args),
    /// Implantation de nouveaux sites : les k lieux qui couvrent le plus de demande à moins
    /// de R km (sites existants conservés), ou le plus petit nombre de sites pour une part visée.
    Siting(siting::Args),
    /// Tableau de synthèse des dispositifs : couverture des besoins calculée par dispositif,
    /// export XLSX et réimport des cellules saisies.
    Dispositifs(schemes::Args),
    /// Pistes de contractualisation par axe : fiches-actions (XLSX, une feuille par axe ;
    /// DOCX par piste avec la carte du besoin) et ce qui reste à compléter.
    Pistes(pistes::Args),
    /// Mesures de performance (build release conseillé).
    Bench(bench::Args),
    /// Typologie des zones sur des indicateurs (k-means, Ward, Ward sous contrainte de contiguïté).
    Typology(typology::Args),
    /// Diagnostic en un classeur : dictionnaire, profils de pauvreté, facteurs aggravants,
    /// situations locales sensibles, règles.
    Diagnostic(diagnostic::Args),
    /// T0 du diagnostic : le figer dans le projet, puis le comparer à un millésime ultérieur
    /// (T+3) sur la géographie du T0.
    T0(t0::Args),
    /// Carreaux de 200 m de l'Insee (Filosofi) : sommes par zone (le carreau compte dans la
    /// zone de son centre) et part des ménages pauvres au-delà d'une distance du service le
    /// plus proche, mesurée depuis chaque carreau.
    Carreaux(grid::Args),
}

/// How to read an input file: layer, sheet, header row, CRS (shared by `inspect` and `join`).
#[derive(clap::Args)]
pub(crate) struct ReadArgs {
    /// Couche d'un GeoPackage ou d'une archive zip.
    #[arg(long)]
    layer: Option<String>,
    /// Feuille d'un classeur.
    #[arg(long)]
    sheet: Option<String>,
    /// Ligne d'en-tête (1 = première ligne).
    #[arg(long)]
    header_row: Option<usize>,
    /// Système de coordonnées imposé (ex. EPSG:2154).
    #[arg(long)]
    crs: Option<String>,
    /// Répare les contours de zones qui se recoupent (polygones « papillon ») ; sans cette
    /// option ils sont signalés et gardés tels quels.
    #[arg(long)]
    reparer_geometries: bool,
}

impl ReadArgs {
    /// The table options (sheet, header row).
    pub(crate) fn table_options(&self) -> cartosol::table::TableOptions {
        cartosol::table::TableOptions {
            sheet: self.sheet.clone(),
            header_row: self.header_row,
            delimiter: None,
        }
    }

    /// The zone options (layer, forced CRS).
    pub(crate) fn zone_options(&self) -> Result<cartosol::zones::ZoneOptions> {
        Ok(cartosol::zones::ZoneOptions {
            layer: self.layer.clone(),
            crs: parse_crs(self.crs.clone())?,
            repair: self.reparer_geometries,
        })
    }
}

/// Parses a user CRS option.
/// The zone layer `id` of a project, or an error naming the layers it has. `what` names the
/// role of the layer in the message (`zones`, `communes`).
pub(crate) fn zone_layer<'a>(
    project: &'a cartosol::project::Project,
    path: &std::path::Path,
    id: &str,
    what: &str,
) -> Result<&'a (cartosol::project::ZoneSpec, cartosol::model::ZoneLayer)> {
    project
        .zones
        .iter()
        .find(|(s, _)| s.id == id)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "couche de {what} « {id} » absente du projet {} (couches : {})",
                path.display(),
                quoted(project.zones.iter().map(|(s, _)| s.id.as_str()))
            )
        })
}

/// The point layer `id` of a project, or an error naming the point layers it has.
pub(crate) fn point_layer<'a>(
    project: &'a cartosol::project::Project,
    path: &std::path::Path,
    id: &str,
) -> Result<&'a (cartosol::project::PointSpec, cartosol::model::PointLayer)> {
    project
        .points
        .iter()
        .find(|(s, _)| s.id == id)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "couche de points « {id} » absente du projet {} (couches : {})",
                path.display(),
                quoted(project.points.iter().map(|(s, _)| s.id.as_str()))
            )
        })
}

/// Writes a per-zone result table (its code column named `code`) with the zones' geometries,
/// in the format of `out`'s extension, through the one writer family (missing values with
/// their reason columns, the secrecy guard, atomic write).
pub(crate) fn write_zone_results(
    table: &cartosol::model::Table,
    geometries: &[geo::MultiPolygon<f64>],
    name: &str,
    out: &std::path::Path,
    guard: &cartosol::export::secrecy::SecrecyGuard,
) -> Result<cartosol::export::ExportReport> {
    use anyhow::Context;
    use cartosol::export::data::{DataExportOptions, DataFormat, Geometries, write_layer};
    let options = DataExportOptions {
        reason_columns: true,
        secrecy: guard.clone(),
        ..Default::default()
    };
    write_layer(
        table,
        Geometries::Zones(geometries),
        cartosol::export::secrecy::zone_level(table, "code"),
        name,
        out,
        DataFormat::from_path(out)?,
        &options,
        guard,
    )
    .with_context(|| format!("{} non écrit", out.display()))
}

/// Writes a result table whose figures are sums or rates over several zones (siting answers,
/// scheme coverage): the project's privacy settings apply, small counts are not masked as a
/// commune's would be; `geometries` are the rows' points, or none (CSV/XLSX only).
pub(crate) fn write_aggregate_results(
    project: &cartosol::project::Project,
    table: &cartosol::model::Table,
    geometries: cartosol::export::data::Geometries<'_>,
    name: &str,
    out: &std::path::Path,
) -> Result<cartosol::export::ExportReport> {
    use anyhow::Context;
    use cartosol::export::data::{DataExportOptions, DataFormat, write_layer};
    use cartosol::export::secrecy::{SecrecyGuard, ZoneLevel};
    let guard = SecrecyGuard::default().with_privacy(&project.file.map.privacy);
    write_layer(
        table,
        geometries,
        ZoneLevel::Aggregate,
        name,
        out,
        DataFormat::from_path(out)?,
        &DataExportOptions {
            secrecy: guard.clone(),
            ..Default::default()
        },
        &guard,
    )
    .with_context(|| format!("{} non écrit", out.display()))
}

/// `« a », « b »`.
pub(crate) fn quoted<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names
        .map(|s| format!("« {s} »"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn parse_crs(crs: Option<String>) -> Result<Option<Crs>> {
    crs.map(|c| Crs::from_user(&c).map_err(anyhow::Error::msg))
        .transpose()
}

fn run(cli: Cli) -> Result<()> {
    use cartosol::limits::{ReadLimits, set};
    match (cli.sans_limite, cli.limite_memoire) {
        (true, _) | (false, Some(0)) => set(ReadLimits::NONE),
        (false, Some(mb)) => set(ReadLimits::megabytes(mb)),
        (false, None) => {}
    }
    match cli.command {
        Some(Command::Inspect(args)) => inspect::run(args),
        Some(Command::Join(args)) => join::run(args),
        Some(Command::Coverage(args)) => coverage::run(args),
        Some(Command::Quality(args)) => quality::run(args),
        Some(Command::Underserved(args)) => underserved::run(args),
        Some(Command::Render(args)) => render::run(args),
        Some(Command::Export(args)) => export::run(args),
        Some(Command::Atlas(args)) => atlas::run(args),
        Some(Command::Deck(args)) => deck::run(args),
        Some(Command::Lisa(args)) => lisa::run(args),
        Some(Command::Carreaux(args)) => grid::run(args),
        Some(Command::Siting(args)) => siting::run(args),
        Some(Command::Dispositifs(args)) => schemes::run(args),
        Some(Command::Pistes(args)) => pistes::run(args),
        Some(Command::Bench(args)) => bench::run(args),
        Some(Command::Typology(args)) => typology::run(args),
        Some(Command::Diagnostic(args)) => diagnostic::run(args),
        Some(Command::T0(args)) => t0::run(args),
        None if cli.version => print_version(),
        None => open(cli.path, cli.summary),
    }
}

/// `cartosol --version`: the version, then the vintages the bundled sample project states
/// (read from its files, see [`cartosol::bundled::data_vintages`]), or why they are unknown.
/// A reader that stops early (`cartosol --version | head -n 1`) is not an error.
fn print_version() -> Result<()> {
    use std::fmt::Write as _;
    let mut text = format!("cartosol {}\n", env!("CARGO_PKG_VERSION"));
    match cartosol::bundled::find_sample_project() {
        Ok(sample) => {
            let _ = writeln!(
                text,
                "Millésimes des données de l'exemple ({}) :",
                sample.display()
            );
            match cartosol::bundled::data_vintages(&sample) {
                Ok(lines) if lines.is_empty() => text.push_str("  (aucun millésime déclaré)\n"),
                Ok(lines) => lines.iter().for_each(|l| {
                    let _ = writeln!(text, "  - {l}");
                }),
                Err(e) => {
                    let _ = writeln!(text, "  (millésimes illisibles : {e})");
                }
            }
        }
        Err(e) => {
            let _ = writeln!(text, "Données de l'exemple : {e}");
        }
    }
    match std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// Without subcommand: opens the project (or data file) in the app, or prints its summary.
fn open(path: Option<PathBuf>, summary: bool) -> Result<()> {
    // The app without a project shows its welcome screen (the sample is opened when found).
    #[cfg(feature = "gui")]
    if !summary {
        return cartosol::app::run(path);
    }
    let path = match path {
        Some(path) => path,
        None => cartosol::bundled::find_sample_project()?,
    };
    let _ = summary;
    print_summary(&path)
}

fn print_summary(path: &std::path::Path) -> Result<()> {
    let project = cartosol::project::open_project(path)?;
    println!("Projet « {} » ({})", project.file.title, path.display());
    for (spec, layer) in &project.zones {
        println!(
            "  Zones « {} » : {} entités ({})",
            spec.name,
            layer.len(),
            layer.source.format
        );
    }
    for (spec, layer) in &project.points {
        println!(
            "  Points « {} » : {} points dont {} sans coordonnées",
            spec.name,
            layer.len(),
            layer.unpositioned()
        );
    }
    for (spec, report) in &project.joins {
        println!("  Table « {} » :", spec.id);
        for line in report.to_string().lines() {
            println!("    {line}");
        }
    }
    Ok(())
}

/// Runs the command line; errors are printed in French with a non-zero exit status.
pub fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A cause whose text the message above it already holds is said once.
            let mut chain: Vec<String> = Vec::new();
            for cause in e.chain().map(ToString::to_string) {
                if !chain.iter().any(|said| said.contains(&cause)) {
                    chain.push(cause);
                }
            }
            eprintln!("erreur : {}", chain.join(" : "));
            ExitCode::FAILURE
        }
    }
}

/// Prints the point sanity problems found against the communes on stderr (a run goes on).
pub(crate) fn print_point_problems(problems: &[cartosol::error::Problem]) {
    if problems.is_empty() {
        return;
    }
    eprintln!("Points à vérifier ({}) :", problems.len());
    for p in problems {
        eprintln!("  - {p}");
    }
}
