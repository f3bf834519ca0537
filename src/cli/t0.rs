//! `cartosol t0 freeze|compare`: freezes the T0 baseline of a project into its file, and sets a
//! later vintage (T+3) against it, written through the layer and workbook writers of
//! `cartosol export`.

use anyhow::{Context, Result, bail};
use cartosol::baseline::{
    Baseline, UnderservedSettings, check_sources, compare, freeze, freeze_with,
};
use cartosol::export::data::{
    DataExportOptions, DataFormat, Geometries, SheetSpec, write_layer, write_workbook,
};
use cartosol::export::secrecy::{SecrecyGuard, ZoneLevel, zone_level};
use cartosol::project::{open_project, save_project};
use std::path::{Path, PathBuf};

/// The arguments of `cartosol t0`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Fige le T0 du projet (sources et empreintes, géographie, valeurs de chaque indicateur
    /// par zone, bornes des classes, règle de sous-dotation, services par thème) dans le
    /// fichier du projet.
    Freeze {
        /// Projet (*.cartosol.json).
        project: PathBuf,
        /// Remplace un T0 déjà figé.
        #[arg(long)]
        remplacer: bool,
        /// Règle de sous-desserte figée avec le T0 : couche de zones (par défaut : celle de la
        /// carte).
        #[arg(long = "sous-desserte-couche")]
        zones: Option<String>,
        /// Indicateur de besoin de la règle (par défaut : celui de la carte).
        #[arg(long)]
        besoin: Option<String>,
        /// Thème des services comptés comme offre (par défaut : tous les services).
        #[arg(long)]
        theme: Option<String>,
        /// Besoin au moins égal à cette valeur (par défaut : la médiane des zones au T0).
        #[arg(long)]
        besoin_min: Option<f64>,
        /// Offre au plus égale à cette valeur, en services pour 10 000 habitants (par défaut :
        /// la médiane des zones au T0).
        #[arg(long)]
        offre_max: Option<f64>,
    },
    /// Compare un millésime ultérieur (T+3) au T0 figé, sur la géographie du T0.
    Compare {
        /// Projet qui porte le T0 (*.cartosol.json).
        project: PathBuf,
        /// Projet du millésime ultérieur (mêmes couches, nouvelles sources).
        #[arg(long)]
        later: PathBuf,
        /// Table de correspondance des codes communaux (ancien code → nouveau code, table de
        /// passage de l'Insee : CODGEO_<année> ×2, ou COM_INI / COM_FIN).
        #[arg(long = "correspondance")]
        correspondence: Option<PathBuf>,
        /// Couche écrite en CSV (par défaut : la couche de la carte) ; un classeur XLSX reçoit
        /// une feuille par couche.
        #[arg(long = "couche")]
        layer: Option<String>,
        /// Fichier résultat (.csv ou .xlsx).
        #[arg(long)]
        out: PathBuf,
    },
}

/// Runs `cartosol t0`.
pub fn run(args: Args) -> Result<()> {
    match args.action {
        Action::Freeze {
            project,
            remplacer,
            zones,
            besoin,
            theme,
            besoin_min,
            offre_max,
        } => {
            let rule = RuleArgs {
                zones,
                need: besoin,
                theme,
                need_min: besoin_min,
                offer_max: offre_max,
            };
            run_freeze(&project, remplacer, &rule)
        }
        Action::Compare {
            project,
            later,
            correspondence,
            layer,
            out,
        } => run_compare(&project, &later, correspondence.as_deref(), layer, &out),
    }
}

fn project_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The under-served rule as given on the command line.
struct RuleArgs {
    zones: Option<String>,
    need: Option<String>,
    theme: Option<String>,
    need_min: Option<f64>,
    offer_max: Option<f64>,
}

fn run_freeze(path: &Path, replace: bool, rule: &RuleArgs) -> Result<()> {
    let project = open_project(path)?;
    if let Some(old) = &project.file.t0
        && !replace
    {
        bail!(
            "{} : un T0 est déjà figé (le {}) ; ajouter --remplacer pour le remplacer",
            path.display(),
            old.frozen_on
        );
    }
    let settings = UnderservedSettings::default_for(&project).map(|d| UnderservedSettings {
        zones: rule.zones.clone().unwrap_or(d.zones),
        need: rule.need.clone().unwrap_or(d.need),
        theme: rule.theme.clone(),
        need_min: rule.need_min,
        offer_max_per_10000: rule.offer_max,
    });
    let baseline = freeze_with(&project, jiff::Timestamp::now(), settings.as_ref())?;
    let mut file = project.file.clone();
    let summary = summary(&baseline);
    file.t0 = Some(baseline);
    let dir = project_dir(path);
    save_project(&file, &dir, path).with_context(|| format!("{} non écrit", path.display()))?;
    println!("T0 figé dans {} :", path.display());
    for line in summary {
        println!("  {line}");
    }
    Ok(())
}

fn summary(b: &Baseline) -> Vec<String> {
    let mut out = vec![format!("date : {}", b.frozen_on)];
    if let Some(v) = &b.vintage {
        out.push(format!("millésime : {v}"));
    }
    for s in &b.sources {
        out.push(format!(
            "source {} : {} octets, SHA-256 {}",
            s.path.display(),
            s.size_bytes,
            s.sha256
        ));
    }
    out.push(format!(
        "géographie : {} communes{}",
        b.geography.communes.len(),
        b.geography
            .cog_year
            .map_or(String::new(), |y| format!(" (COG {y})"))
    ));
    for l in &b.layers {
        out.push(format!(
            "couche « {} » : {} zones, {} indicateurs",
            l.layer,
            l.names.len(),
            l.indicators.len()
        ));
    }
    if let Some(m) = &b.map {
        out.push(format!(
            "carte : {} sur « {} », {} classes",
            m.indicator,
            m.zones,
            m.breaks.len()
        ));
    }
    if let Some(u) = &b.underserved {
        out.push(format!(
            "sous-desserte ({}) : {} zone(s) — {}",
            u.zones,
            u.flagged.len(),
            u.rule_text
        ));
    }
    if !b.services.is_empty() {
        out.push(format!(
            "services par zone et par thème : {} tableau(x)",
            b.services.len()
        ));
    }
    out
}

fn run_compare(
    path: &Path,
    later_path: &Path,
    correspondence: Option<&Path>,
    layer: Option<String>,
    out: &Path,
) -> Result<()> {
    let project = open_project(path)?;
    let baseline = match &project.file.t0 {
        Some(b) => {
            for change in check_sources(b, &project_dir(path)) {
                println!("Attention : {change} ; le T0 reste celui qui a été figé.");
            }
            b.clone()
        }
        None => {
            println!(
                "Note : {} n'a pas de T0 figé ; comparaison avec l'état actuel du projet, non enregistré (cartosol t0 freeze {} pour le figer).",
                path.display(),
                path.display()
            );
            freeze(&project, jiff::Timestamp::now())?
        }
    };
    let later = open_project(later_path)?;
    let mut inputs = project.input_files();
    inputs.extend(later.input_files());
    if let Some(c) = correspondence {
        inputs.push((c.to_path_buf(), "la table de correspondance".to_owned()));
    }
    cartosol::fsutil::refuse_overwrite(out, &inputs)?;
    let table = correspondence
        .map(|c| {
            cartosol::table::load_table(c, &Default::default())
                .map(|t| t.table)
                .with_context(|| format!("table de correspondance {}", c.display()))
        })
        .transpose()?;
    let comparison = compare(&baseline, &later, table.as_ref())?;
    println!(
        "T0 du {} comparé à {} :",
        baseline.frozen_on,
        later_path.display()
    );
    if comparison.geography.is_empty() {
        println!("  géographie : aucun changement de communes ni d'EPCI");
    }
    for line in comparison.geography.lines() {
        println!("  géographie : {line}");
    }
    for note in &comparison.notes {
        println!("  Note : {note}");
    }
    if let Some(u) = &comparison.underserved {
        for line in u.lines() {
            println!("  sous-desserte : {line}");
        }
    }
    let guard = SecrecyGuard::default().with_privacy(&project.file.map.privacy);
    let options = DataExportOptions {
        reason_columns: true,
        secrecy: guard.clone(),
        ..Default::default()
    };
    let level_of = |layer_id: &str| {
        baseline
            .layers
            .iter()
            .find(|l| l.layer == layer_id)
            .and_then(|l| {
                project
                    .zones
                    .iter()
                    .find(|(s, _)| s.id == l.layer)
                    .map(|(s, z)| zone_level(&z.attributes, &s.code_field))
            })
            .unwrap_or(ZoneLevel::Fine)
    };
    let format = DataFormat::from_path(out)?;
    match format {
        DataFormat::Xlsx => {
            let tables: Vec<(String, cartosol::Table, ZoneLevel)> = comparison
                .layers
                .iter()
                .map(|l| {
                    let level = level_of(&l.layer);
                    (l.layer.clone(), l.table(&guard, level), level)
                })
                .collect();
            let geo = comparison.geography_table();
            let legend = cartosol::baseline::indicators_table(&baseline);
            let mut sheets: Vec<SheetSpec<'_>> = tables
                .iter()
                .map(|(name, table, level)| SheetSpec {
                    name,
                    table,
                    level: *level,
                })
                .collect();
            sheets.push(SheetSpec {
                name: "Indicateurs",
                table: &legend,
                level: ZoneLevel::Aggregate,
            });
            sheets.push(SheetSpec {
                name: "Géographie",
                table: &geo,
                level: ZoneLevel::Aggregate,
            });
            let reports = write_workbook(out, &sheets, &options, &guard)
                .with_context(|| format!("{} non écrit", out.display()))?;
            println!("Écrit : {} ({} feuilles)", out.display(), reports.len());
        }
        DataFormat::Csv => {
            let wanted = layer
                .or_else(|| baseline.map.as_ref().map(|m| m.zones.clone()))
                .unwrap_or_default();
            let Some(l) = comparison.layers.iter().find(|l| l.layer == wanted) else {
                let ids: Vec<&str> = comparison.layers.iter().map(|l| l.layer.as_str()).collect();
                bail!(
                    "couche « {wanted} » non comparée (couches : {}) ; la choisir avec --couche",
                    ids.join(", ")
                );
            };
            let level = level_of(&l.layer);
            let report = write_layer(
                &l.table(&guard, level),
                Geometries::None,
                level,
                &l.layer,
                out,
                format,
                &options,
                &guard,
            )
            .with_context(|| format!("{} non écrit", out.display()))?;
            println!("Écrit : {}", out.display());
            println!("{report}");
        }
        other => bail!(
            "{} : format {} non prévu pour la comparaison (CSV ou XLSX)",
            out.display(),
            other.label()
        ),
    }
    Ok(())
}
