//! The `cartosol` command line.

use anyhow::{Context, Result};
use cartosol::codes::CodeKind;
use cartosol::crs::Crs;
use cartosol::inspect::{InspectOptions, inspect};
use cartosol::join::join;
use cartosol::table::{TableOptions, load_table};
use cartosol::zones::{ZoneOptions, load_zones};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// CartoSol — besoins sociaux et offre de services pour le diagnostic territorial.
#[derive(Parser)]
#[command(name = "cartosol", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Projet (*.cartosol.json) à ouvrir (par défaut : le projet d'exemple de l'Essonne).
    project: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    Commune,
    Epci,
}

#[derive(Subcommand)]
enum Command {
    /// Décrit un fichier avant import : type, système de coordonnées, encodage, champs, problèmes.
    Inspect {
        file: PathBuf,
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
    },
    /// Joint une table à des zones par code et affiche le rapport de jointure.
    Join {
        zones: PathBuf,
        table: PathBuf,
        /// Champ de code des zones (détecté sinon).
        #[arg(long)]
        zone_code: Option<String>,
        /// Champ de code de la table (détecté sinon).
        #[arg(long)]
        table_code: Option<String>,
        /// Nature des codes (détectée sinon).
        #[arg(long, value_enum)]
        kind: Option<Kind>,
        /// Couche des zones (GeoPackage, zip).
        #[arg(long)]
        layer: Option<String>,
        /// Feuille de la table.
        #[arg(long)]
        sheet: Option<String>,
        /// Ligne d'en-tête de la table.
        #[arg(long)]
        header_row: Option<usize>,
        /// Système de coordonnées imposé aux zones.
        #[arg(long)]
        crs: Option<String>,
    },
    /// Mesures de performance (build release conseillé).
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Temps de chargement d'une couche de zones, reprojection en WGS 84 comprise.
    Load {
        file: PathBuf,
        /// Nombre de mesures (après un chargement d'échauffement).
        #[arg(long, default_value_t = 3)]
        runs: usize,
        #[arg(long)]
        layer: Option<String>,
    },
}

fn parse_crs(crs: Option<String>) -> Result<Option<Crs>> {
    crs.map(|c| Crs::from_user(&c).map_err(anyhow::Error::msg))
        .transpose()
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Some(Command::Inspect {
            file,
            layer,
            sheet,
            header_row,
            crs,
        }) => {
            let report = inspect(
                &file,
                &InspectOptions {
                    layer,
                    crs: parse_crs(crs)?,
                    table: TableOptions {
                        sheet,
                        header_row,
                        delimiter: None,
                    },
                },
            )?;
            print!("{report}");
        }
        Some(Command::Join {
            zones,
            table,
            zone_code,
            table_code,
            kind,
            layer,
            sheet,
            header_row,
            crs,
        }) => {
            let zones = load_zones(
                &zones,
                &ZoneOptions {
                    layer,
                    crs: parse_crs(crs)?,
                },
            )?;
            let loaded = load_table(
                &table,
                &TableOptions {
                    sheet,
                    header_row,
                    delimiter: None,
                },
            )?;
            let kind = kind.map(|k| match k {
                Kind::Commune => CodeKind::Commune,
                Kind::Epci => CodeKind::Epci,
            });
            let result = join(
                &zones.attributes,
                zone_code.as_deref(),
                &loaded.table,
                table_code.as_deref(),
                kind,
            )
            .with_context(|| format!("{} ↔ {}", zones.source.path.display(), table.display()))?;
            print!("{}", result.report);
        }
        Some(Command::Bench {
            what: BenchCommand::Load { file, runs, layer },
        }) => {
            let options = ZoneOptions { layer, crs: None };
            let warm = load_zones(&file, &options)?;
            let mut times = Vec::new();
            for _ in 0..runs.max(1) {
                let start = std::time::Instant::now();
                let layer = load_zones(&file, &options)?;
                times.push(start.elapsed().as_secs_f64());
                std::hint::black_box(layer);
            }
            times.sort_by(f64::total_cmp);
            let median = times.get(times.len() / 2).copied().unwrap_or_default();
            println!(
                "{} : {} entités ; meilleur {:.3} s, médiane {:.3} s sur {} mesures",
                file.display(),
                warm.len(),
                times.first().copied().unwrap_or_default(),
                median,
                times.len()
            );
        }
        None => {
            let path = cli
                .project
                .unwrap_or_else(|| PathBuf::from(cartosol::project::SAMPLE_PROJECT));
            let project = cartosol::project::open_project(&path)?;
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
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let chain: Vec<String> = e.chain().map(ToString::to_string).collect();
            eprintln!("erreur : {}", chain.join(" : "));
            ExitCode::FAILURE
        }
    }
}
