//! `cartosol coverage`: coverage of zones by the services of one theme (counts, densities,
//! distances, eligibility, 2SFCA), with the bivariate class and the under-served flag when a
//! need is given, written through the layer writers of `cartosol export` (CSV, GeoJSON, XLSX,
//! GeoPackage, GeoParquet; atomic write, statistical secrecy, missing values with their reason).

use anyhow::{Context, Result, bail};
use cartosol::analysis::assign::ZoneIndex;
use cartosol::analysis::coverage::{
    CoverageOptions, CoverageResult, Gaps, OfferMeasure, Placement, coverage_placed,
};
use cartosol::analysis::fca::Decay;
use cartosol::analysis::underserved::{
    NeedThreshold, OfferThreshold, UnderservedRule, median_threshold,
};
use cartosol::export::data::{
    DataExportOptions, DataFormat, ExportReport, Geometries, write_layer,
};
use cartosol::export::secrecy::{SecrecyGuard, zone_level};
use cartosol::join::{apply, join};
use cartosol::model::{PointLayer, Table, ZoneLayer};
use cartosol::points::{PointOptions, load_points};
use cartosol::project::Project;
use cartosol::table::{TableOptions, load_table};
use cartosol::zones::{ZoneOptions, load_zones};
use clap::ValueEnum;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, ValueEnum)]
enum DecayArg {
    /// 1 dans le rayon, 0 au-delà.
    Step,
    /// Décroissance gaussienne, nulle au bord du rayon.
    Gauss,
}

#[derive(Clone, Copy, ValueEnum)]
enum OfferArg {
    /// Services sur place pour 10 000 habitants.
    #[value(name = "services-10000")]
    Per10000,
    /// Services sur place pour 1 000 personnes du public cible (--target-field).
    #[value(name = "services-1000-cible")]
    Per1000Target,
    /// Accessibilité 2SFCA pour 1 000 de la demande.
    #[value(name = "accessibilite")]
    Accessibility,
}

/// The arguments, boxed so that the subcommand enum of `cli/mod.rs` stays small.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    options: Box<Options>,
}

/// The inputs, figures, rule and output of `coverage` (shared with `underserved`).
#[derive(clap::Args)]
pub(crate) struct Options {
    /// Projet (*.cartosol.json) dont on prend les couches jointes (au lieu de --zones/--points).
    #[arg(long)]
    pub(crate) project: Option<PathBuf>,
    /// Couche de zones du projet (identifiant, ex. « epci » ou « communes »).
    #[arg(long, default_value = "communes")]
    zones_layer: String,
    /// Couche des communes du projet qui porte la population.
    #[arg(long, default_value = "communes")]
    communes_layer: String,
    /// Couche de points du projet.
    #[arg(long, default_value = "services")]
    points_layer: String,
    /// Fichier de zones (Shapefile, GeoJSON, GeoPackage, GeoParquet).
    #[arg(long)]
    zones: Option<PathBuf>,
    /// Fichier des communes qui portent la population (par défaut : les zones).
    #[arg(long)]
    communes: Option<PathBuf>,
    /// Fichier des points de service (CSV, XLSX, GeoJSON, JSON data·inclusion, GeoParquet).
    #[arg(long)]
    points: Option<PathBuf>,
    /// Table à joindre aux zones par code (ex. panorama de pauvreté).
    #[arg(long)]
    table: Option<PathBuf>,
    /// Feuille de la table.
    #[arg(long)]
    sheet: Option<String>,
    /// Ligne d'en-tête de la table.
    #[arg(long)]
    header_row: Option<usize>,
    /// Thème analysé (valeur du champ de thème, ex. « France Services ») ; tous sinon.
    #[arg(long)]
    pub(crate) theme: Option<String>,
    /// Champ de thème des services.
    #[arg(long)]
    theme_field: Option<String>,
    /// Indicateur de besoin des zones (ex. TP60), recopié dans le résultat avec la classe
    /// bivariée (besoin × offre) et la règle de sous-desserte.
    #[arg(long)]
    pub(crate) need: Option<String>,
    /// Effectif du public cible des zones (ex. NB_MEN_PAUV) : services pour 1 000.
    #[arg(long)]
    target_field: Option<String>,
    /// Champ de population des communes (habitants).
    #[arg(long)]
    population_field: Option<String>,
    /// Demande du 2SFCA, champ des communes (par défaut : la population).
    #[arg(long)]
    demand_field: Option<String>,
    /// Offre du 2SFCA, champ de capacité des services (par défaut : 1 par service).
    #[arg(long)]
    capacity_field: Option<String>,
    /// Champ de code des zones (détecté sinon).
    #[arg(long)]
    zone_code: Option<String>,
    /// Rayon de la zone de chalandise du 2SFCA, en km.
    #[arg(long, default_value_t = 10.0)]
    radius_km: f64,
    /// Distance au-delà de laquelle la population est comptée comme éloignée, en km
    /// (par défaut : le rayon).
    #[arg(long)]
    threshold_km: Option<f64>,
    /// Décroissance avec la distance du 2SFCA.
    #[arg(long, value_enum, default_value = "step")]
    decay: DecayArg,
    /// Mesure de l'offre pour la règle de sous-desserte et la classe bivariée.
    #[arg(long, value_enum, default_value = "services-10000")]
    offer: OfferArg,
    /// Règle : besoin au moins égal à cette valeur (par défaut : la médiane des zones).
    #[arg(long, conflicts_with = "need_top_pct")]
    need_min: Option<f64>,
    /// Règle : besoin parmi les N % de zones les plus élevées (au lieu de --need-min).
    #[arg(long)]
    need_top_pct: Option<f64>,
    /// Règle : offre au plus égale à cette valeur (par défaut : la médiane des zones).
    #[arg(long, conflicts_with = "offer_below")]
    offer_max: Option<f64>,
    /// Règle : offre strictement inférieure à cette valeur (au lieu de --offer-max).
    #[arg(long)]
    offer_below: Option<f64>,
    /// Le besoin en mots dans la règle (par défaut : le nom du champ --need).
    #[arg(long)]
    pub(crate) need_label: Option<String>,
    /// Unité du besoin écrite après les valeurs de la règle (ex. « % »).
    #[arg(long, default_value = "")]
    need_unit: String,
    /// Champ à traiter comme un effectif de personnes ou de ménages (répétable).
    #[arg(long = "champ-effectif")]
    champs_effectifs: Vec<String>,
    /// Lève le secret statistique : les effectifs inférieurs à 11 ne sont plus masqués.
    #[arg(long)]
    lever_secret: bool,
    /// Fichier de sortie : .csv, .geojson, .xlsx, .gpkg ou .parquet (GeoParquet).
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Affiche la durée de chaque étape (mesures de performance).
    #[arg(long, hide = true)]
    pub(crate) temps: bool,
}

/// Prints the time spent since `start` on a step when `--temps` is given, and restarts it.
pub(crate) fn step_time(args: &Options, label: &str, start: &mut std::time::Instant) {
    if args.temps {
        eprintln!("temps : {label} {:.3} s", start.elapsed().as_secs_f64());
    }
    *start = std::time::Instant::now();
}

/// The layers read for a coverage run.
pub(crate) struct Inputs {
    /// The project, when the layers come from one.
    pub(crate) project: Option<Project>,
    /// The id of the zone layer in the project.
    pub(crate) zones_id: Option<String>,
    pub(crate) zones: ZoneLayer,
    communes: Option<ZoneLayer>,
    points: PointLayer,
    theme_field: Option<String>,
    population_field: Option<String>,
    zone_code_field: Option<String>,
}

fn from_project(args: &Options, path: &Path) -> Result<Inputs> {
    let given: Vec<&str> = [
        ("--zones", args.zones.is_some()),
        ("--communes", args.communes.is_some()),
        ("--points", args.points.is_some()),
        ("--table", args.table.is_some()),
        ("--sheet", args.sheet.is_some()),
        ("--header-row", args.header_row.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, set)| set.then_some(name))
    .collect();
    if !given.is_empty() {
        bail!(
            "{} ne s'utilise pas avec --project : les couches et les tables jointes sont celles \
             du projet (déclarez la table dans « tables » du projet, ou bien utilisez --zones, \
             --points et --table sans --project)",
            given.join(", ")
        );
    }
    let project = cartosol::project::open_project(path)?;
    let (zspec, zones) = super::zone_layer(&project, path, &args.zones_layer, "zones")?.clone();
    let (cspec, communes) =
        super::zone_layer(&project, path, &args.communes_layer, "communes")?.clone();
    let (pspec, points) = super::point_layer(&project, path, &args.points_layer)?.clone();
    Ok(Inputs {
        zones,
        communes: Some(communes),
        points,
        theme_field: pspec.theme_field,
        population_field: cspec.population_field,
        zone_code_field: Some(zspec.code_field),
        zones_id: Some(zspec.id),
        project: Some(project),
    })
}

fn from_files(args: &Options) -> Result<Inputs> {
    let (Some(zones_path), Some(points_path)) = (&args.zones, &args.points) else {
        bail!("indiquez --project, ou bien --zones et --points");
    };
    let mut clock = std::time::Instant::now();
    // The points are read while the zones are read and reprojected (each reader is partly
    // sequential, so the two overlap on two cores).
    let (zones, points) = std::thread::scope(|s| {
        let points = s.spawn(|| load_points(points_path, &PointOptions::default()));
        let zones = load_zones(zones_path, &ZoneOptions::default());
        let points = points
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (zones, points)
    });
    let mut zones = zones?;
    let points = points?;
    step_time(args, "lecture des zones et des points", &mut clock);
    if let Some(table_path) = &args.table {
        let loaded = load_table(
            table_path,
            &TableOptions {
                sheet: args.sheet.clone(),
                header_row: args.header_row,
                delimiter: None,
            },
        )?;
        let result = join(
            &zones.attributes,
            args.zone_code.as_deref(),
            &loaded.table,
            None,
            None,
        )
        .with_context(|| format!("{} ↔ {}", zones_path.display(), table_path.display()))?;
        eprintln!("Jointure de {} :", table_path.display());
        for line in result.report.to_string().lines() {
            eprintln!("  {line}");
        }
        apply(&mut zones.attributes, result.columns);
    }
    let communes = match &args.communes {
        Some(p) => Some(load_zones(p, &ZoneOptions::default())?),
        None => None,
    };
    Ok(Inputs {
        project: None,
        zones_id: None,
        zones,
        communes,
        points,
        theme_field: None,
        population_field: None,
        zone_code_field: None,
    })
}

/// A coverage run: its inputs, figures and the guard of its outputs.
pub(crate) struct Run {
    pub(crate) inputs: Inputs,
    pub(crate) result: CoverageResult,
    /// Statistical secrecy of every output of the run.
    pub(crate) guard: SecrecyGuard,
}

/// Every file the run reads, with its role (for the overwrite guard).
pub(crate) fn input_files(args: &Options, inputs: &Inputs) -> Vec<(PathBuf, String)> {
    let mut files = inputs
        .project
        .as_ref()
        .map(|p| p.input_files())
        .unwrap_or_default();
    for (option, path) in [
        ("--zones", &args.zones),
        ("--communes", &args.communes),
        ("--points", &args.points),
        ("--table", &args.table),
    ] {
        if let Some(p) = path {
            files.push((p.clone(), format!("l'entrée {option}")));
        }
    }
    files
}

/// Reads the inputs and computes the coverage.
pub(crate) fn compute(args: &Options) -> Result<Run> {
    // A coverage of a million points goes through many short-lived buffers of several
    // megabytes: reusing them is faster than unmapping them and faulting them in again. Not for
    // every command: it raises the peak memory of a plain read (`inspect`) by a third.
    cartosol::memory::keep_freed_memory();
    let inputs = match &args.project {
        Some(p) => from_project(args, p)?,
        None => from_files(args)?,
    };
    cartosol::fsutil::refuse_overwrite(&args.out, &input_files(args, &inputs))?;
    let mut clock = std::time::Instant::now();
    let threshold_km = args.threshold_km.unwrap_or(args.radius_km);
    let options = CoverageOptions {
        theme_field: args
            .theme_field
            .clone()
            .or(inputs.theme_field.clone())
            .unwrap_or_else(|| "dispositif".to_owned()),
        theme: args.theme.clone(),
        zone_code_field: args.zone_code.clone().or(inputs.zone_code_field.clone()),
        commune_code_field: None,
        population_field: args
            .population_field
            .clone()
            .or(inputs.population_field.clone())
            .unwrap_or_else(|| "POPULATION".to_owned()),
        need_field: args.need.clone(),
        target_field: args.target_field.clone(),
        demand_field: args.demand_field.clone(),
        capacity_field: args.capacity_field.clone(),
        service_code_field: None,
        radius_m: args.radius_km * 1000.0,
        threshold_m: threshold_km * 1000.0,
        decay: match args.decay {
            DecayArg::Step => Decay::Step,
            DecayArg::Gauss => Decay::Gaussian,
        },
    };
    let communes = inputs.communes.as_ref().unwrap_or(&inputs.zones);
    // Every point placed in its commune once, for the coverage (when the zones are the
    // communes) and for the point checks.
    let same_layer = std::ptr::eq(communes, &inputs.zones);
    let commune_index = ZoneIndex::new(communes);
    let in_communes = commune_index.assign(&inputs.points.positions);
    let result = coverage_placed(
        &inputs.zones,
        communes,
        &inputs.points,
        &options,
        same_layer.then_some(Placement {
            index: &commune_index,
            service_zones: &in_communes,
        }),
    )?;
    step_time(
        args,
        "couverture (affectation, plus proche, 2SFCA)",
        &mut clock,
    );
    // The point sanity checks of inspect and of the app, rows listed: a point outside the
    // territory or far from its declared commune is not only a count « hors des zones ».
    if let Ok(report) = cartosol::analysis::quality::quality_report_assigned(
        &inputs.points,
        communes,
        &in_communes,
        None,
        None,
    ) {
        super::print_point_problems(&report.problems("la couche des communes"));
    }
    step_time(args, "contrôle des points", &mut clock);
    if result.services_total == 0 {
        eprintln!(
            "attention : aucun service « {} » dans le champ « {} »",
            options.theme.as_deref().unwrap_or("(tous)"),
            options.theme_field
        );
    }
    let mut guard = SecrecyGuard {
        marked: args.champs_effectifs.clone(),
        lifted: args.lever_secret,
        ..SecrecyGuard::default()
    };
    if let Some(project) = &inputs.project {
        guard = guard.with_privacy(&project.file.map.privacy);
    }
    // A column that copies a count field (target public, need) is as sensitive as it.
    let mut copies = Vec::new();
    if let Some(target) = &options.target_field {
        copies.push((target, result.target_header(target)));
    }
    if let Some(need) = &options.need_field {
        copies.push((need, result.need_header(need)));
    }
    for (field, header) in copies {
        if guard.is_sensitive(field) {
            guard.marked.push(header);
        }
    }
    Ok(Run {
        inputs,
        result,
        guard,
    })
}

impl Run {
    /// The under-served rule and bivariate classes of the run (`None` without `--need`).
    pub(crate) fn gaps(&self, args: &Options) -> Result<Option<Gaps>> {
        let Some(need_field) = &args.need else {
            return Ok(None);
        };
        let measure = match args.offer {
            OfferArg::Per10000 => OfferMeasure::Per10000,
            OfferArg::Per1000Target => {
                if args.target_field.is_none() {
                    bail!("--offer services-1000-cible demande --target-field (le public cible)");
                }
                OfferMeasure::Per1000Target
            }
            OfferArg::Accessibility => OfferMeasure::Accessibility,
        };
        let r = &self.result;
        let need = match args.need_top_pct {
            Some(pct) if (0.0..=100.0).contains(&pct) => NeedThreshold::TopShare(pct / 100.0),
            Some(pct) => {
                bail!("--need-top-pct : un pourcentage entre 0 et 100 est attendu ({pct})")
            }
            None => NeedThreshold::AtLeast(
                args.need_min
                    .or_else(|| median_threshold(&r.need_values()))
                    .unwrap_or_default(),
            ),
        };
        let offer = match args.offer_below {
            Some(t) => OfferThreshold::Below(t),
            None => OfferThreshold::AtMost(
                args.offer_max
                    .or_else(|| median_threshold(&r.offer_values(measure)))
                    .unwrap_or_default(),
            ),
        };
        let theme = args.theme.as_deref().unwrap_or("services");
        let offer_label = r
            .offer_header(measure)
            .strip_prefix("services ")
            .map_or_else(|| r.offer_header(measure), |rest| format!("{theme} {rest}"));
        let rule = UnderservedRule {
            need_label: args
                .need_label
                .clone()
                .unwrap_or_else(|| need_field.clone()),
            need_unit: args.need_unit.clone(),
            need,
            offer_label,
            offer,
        };
        Ok(Some(r.gaps(measure, &rule)))
    }

    /// Writes `table` (one row per zone) with the zone geometries through the layer writers.
    pub(crate) fn write_zones(
        &self,
        table: &Table,
        name: &str,
        out: &Path,
    ) -> Result<ExportReport> {
        let format = DataFormat::from_path(out)?;
        let options = DataExportOptions {
            reason_columns: true,
            secrecy: self.guard.clone(),
            ..Default::default()
        };
        let report = write_layer(
            table,
            Geometries::Zones(&self.inputs.zones.geometries),
            zone_level(table, "code"),
            name,
            out,
            format,
            &options,
            &self.guard,
        )
        .with_context(|| format!("{} non écrit", out.display()))?;
        Ok(report)
    }
}

pub fn run(args: Args) -> Result<()> {
    let args = *args.options;
    let run = compute(&args)?;
    let gaps = run.gaps(&args)?;
    let result = &run.result;
    let mut clock = std::time::Instant::now();
    let table = result.coverage_table(gaps.as_ref());
    let report = run.write_zones(&table, "couverture", &args.out)?;
    step_time(&args, "écriture", &mut clock);
    println!(
        "Couverture « {} » : {} zones, {} services dont {} à distance uniquement (comptés à part), \
         {} sans coordonnées comptés par code commune, {} hors des zones, {} non localisés",
        args.theme.as_deref().unwrap_or("tous les services"),
        result.zones.len(),
        result.services_total,
        result.services_remote_total,
        result.services_by_code,
        result.services_outside,
        result.services_unlocated.len()
    );
    if let Some(g) = &gaps {
        println!(
            "{} ({} zone(s) sur {})",
            g.underserved.rule_text,
            g.underserved.flagged.len(),
            result.zones.len()
        );
    }
    println!("Écrit : {}", args.out.display());
    println!("{report}");
    Ok(())
}
