//! `cartosol bench …`: performance measurements (use a release build).

use anyhow::{Context, Result};
use cartosol::analysis::{ServiceIndex, ZoneIndex};
use cartosol::zones::{ZoneOptions, load_zones};
use clap::Subcommand;
use geo::{Point, Rect};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: What,
}

#[derive(Subcommand)]
enum What {
    /// Temps CPU par image de la carte (construction des maillages et tessellation egui) à
    /// trois niveaux de zoom, sur une couche de zones en carte choroplèthe.
    #[cfg(feature = "gui")]
    Frame {
        file: PathBuf,
        /// Indicateur cartographié (champ numérique).
        #[arg(long, default_value = "POPULATION")]
        indicator: String,
        /// Nombre d'images mesurées par niveau de zoom.
        #[arg(long, default_value_t = 30)]
        frames: usize,
    },
    /// Temps de lecture d'un tableau (CSV, XLSX…) puis de la couche de points qu'il donne, et
    /// mémoire maximale du processus (VmHWM) après les mesures.
    Tableau {
        file: PathBuf,
        /// Nombre de mesures (après une lecture d'échauffement).
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// Temps de chargement d'une couche de zones, reprojection en WGS 84 comprise.
    Load {
        file: PathBuf,
        /// Nombre de mesures (après un chargement d'échauffement).
        #[arg(long, default_value_t = 3)]
        runs: usize,
        #[arg(long)]
        layer: Option<String>,
    },
    /// Affectation de points aléatoires aux communes (point dans polygone).
    Assign {
        /// Couche des communes (ex. ../shared/data/france/communes_l93.shp).
        file: PathBuf,
        /// Nombre de points tirés (uniformément dans l'emprise, gardés s'ils tombent dans une
        /// commune).
        #[arg(long, default_value_t = 1_000_000)]
        points: usize,
        /// Graine du générateur pseudo-aléatoire (SplitMix64).
        #[arg(long, default_value_t = 91)]
        seed: u64,
        /// Nombre de mesures (après un échauffement).
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Écrit les points tirés (lon,lat WGS84) dans ce fichier CSV pour geopandas.
        #[arg(long, hide = true)]
        dump: Option<PathBuf>,
    },
    /// Service le plus proche parmi des points aléatoires, pour le point de population de
    /// chaque commune (point intérieur du polygone).
    Nearest {
        /// Couche des communes.
        file: PathBuf,
        /// Nombre de points de service tirés (dans les communes).
        #[arg(long, default_value_t = 10_000)]
        services: usize,
        #[arg(long, default_value_t = 9_101)]
        seed: u64,
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Écrit les services et les points de population (lon,lat) dans ce dossier.
        #[arg(long, hide = true)]
        dump: Option<PathBuf>,
    },
    /// Écrit le fichier de points de `bench/geopandas_coverage.py` et de `cartosol coverage` :
    /// des points tirés dans les communes (mêmes points que `bench assign`, même graine),
    /// CSV `id,nom,dispositif,lon,lat` en WGS 84.
    Points {
        /// Couche des communes.
        file: PathBuf,
        #[arg(long, default_value_t = 1_000_000)]
        points: usize,
        #[arg(long, default_value_t = 91)]
        seed: u64,
        /// Fichier CSV écrit.
        #[arg(long)]
        out: PathBuf,
    },
    /// 2SFCA des communes (demande : POPULATION au point intérieur) et de points de service
    /// tirés dans les communes (offre 1 chacun) : l'implémentation d'origine et la rapide,
    /// chronométrées, et leurs résultats comparés valeur par valeur.
    Fca {
        /// Couche des communes.
        file: PathBuf,
        #[arg(long, default_value_t = 1_000_000)]
        services: usize,
        #[arg(long, default_value_t = 91)]
        seed: u64,
        /// Rayon de la zone de chalandise, en km.
        #[arg(long, default_value_t = 10.0)]
        radius_km: f64,
        /// Décroissance gaussienne (palier sinon).
        #[arg(long)]
        gauss: bool,
        /// Nombre de mesures de l'implémentation rapide (l'ancienne est mesurée une fois).
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// Contiguïté reine et LISA (999 permutations) sur des valeurs aléatoires (SplitMix64,
    /// une par commune dans l'ordre du fichier, comme bench/pysal_lisa.py).
    Lisa {
        file: PathBuf,
        #[arg(long, default_value_t = 999)]
        permutations: usize,
        #[arg(long, default_value_t = 91)]
        seed: u64,
    },
    /// Classification de Ward de toutes les communes de France (34 738, trois indicateurs
    /// centrés réduits) et accord avec les partitions de référence k = 2 à 6 (fastcluster,
    /// tests/data/typology/ward_france_all.csv).
    Typology {
        /// Fichier de référence : code, les trois indicateurs, puis k2 … k6.
        #[arg(default_value = "tests/data/typology/ward_france_all.csv")]
        reference: PathBuf,
    },
    /// Curseurs des zones sous-desservies, carte bivariée et outil de proximité à l'échelle
    /// nationale : couverture calculée une fois (en arrière-plan dans l'application), puis à
    /// chaque déplacement de curseur la règle appliquée et l'image reconstruite.
    #[cfg(feature = "gui")]
    Curseurs {
        /// Couche des communes (ex. ../shared/data/france/communes_l93.shp).
        file: PathBuf,
        /// Indicateur de besoin (champ numérique des zones).
        #[arg(long, default_value = "POPULATION")]
        indicator: String,
        /// Nombre de services tirés au hasard dans les communes (9 dispositifs).
        #[arg(long, default_value_t = 100_000)]
        services: usize,
        /// Nombre de déplacements de curseur mesurés par vue.
        #[arg(long, default_value_t = 30)]
        frames: usize,
        /// Graine du générateur pseudo-aléatoire (SplitMix64).
        #[arg(long, default_value_t = 91)]
        seed: u64,
    },
    /// Carroyage 200 m national synthétique (format CSV de l'Insee, carreaux tirés dans les
    /// communes de France, SplitMix64) écrit puis chargé : temps de lecture du carroyage.
    Grille {
        /// Couche des communes où tirer les carreaux.
        #[arg(default_value = "../shared/data/france/communes_l93.shp")]
        communes: PathBuf,
        /// Fichier CSV écrit (réutilisé s'il existe, même graine et même nombre).
        #[arg(long, default_value = "/tmp/carreaux_200m_france_synthetique.csv")]
        sortie: PathBuf,
        /// Nombre de carreaux visé (environ).
        #[arg(long, default_value_t = 2_300_000)]
        carreaux: usize,
        #[arg(long, default_value_t = 200)]
        seed: u64,
        /// Nombre de mesures (après un chargement d'échauffement).
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Réécrit le fichier même s'il existe.
        #[arg(long)]
        reecrire: bool,
        /// Mesure aussi le temps par image de la couche de carreaux dans la carte (pays,
        /// région, ville), indicateur cartographié.
        #[cfg(feature = "gui")]
        #[arg(long)]
        images: Option<String>,
    },
    /// Ouverture d'un projet couche par couche, comme dans l'application : temps jusqu'à la
    /// première image (première couche de zones dessinée) et jusqu'au projet complet. Sans
    /// projet, en écrit un : communes de France, carroyage national (`bench grille`) et
    /// points (`bench points … --out`).
    #[cfg(feature = "gui")]
    Ouverture {
        /// Projet à ouvrir (sinon écrit dans le dossier temporaire à partir des trois
        /// fichiers suivants).
        #[arg(long)]
        projet: Option<PathBuf>,
        /// Couche des communes (première couche de zones, cartographiée).
        #[arg(long, default_value = "../shared/data/france/communes_l93.shp")]
        communes: PathBuf,
        /// Carroyage 200 m (CSV Insee ; aucun si le fichier n'existe pas).
        #[arg(long, default_value = "/tmp/carreaux_200m_france_synthetique.csv")]
        grille: PathBuf,
        /// Points (CSV lon/lat ; aucun si le fichier n'existe pas).
        #[arg(long, default_value = "/tmp/points_1m.csv")]
        points: PathBuf,
        /// Nombre d'ouvertures mesurées.
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
}

/// SplitMix64 (Steele, Lea & Flood 2014): a small deterministic PRNG, same sequence in any
/// language (`bench/geopandas_assign_nearest.py` can regenerate it).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 bits.
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `n` points uniform in `bbox` (lon/lat) that fall inside a zone of `index`.
fn random_points_inside(
    bbox: Rect<f64>,
    index: &ZoneIndex,
    n: usize,
    seed: u64,
) -> Vec<Point<f64>> {
    let mut rng = SplitMix64(seed);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let batch: Vec<Point<f64>> = (0..(n - out.len()).max(1024) * 2)
            .map(|_| {
                let x = bbox.min().x + rng.next_f64() * bbox.width();
                let y = bbox.min().y + rng.next_f64() * bbox.height();
                Point::new(x, y)
            })
            .collect();
        let zones = index.assign_points(&batch);
        out.extend(
            batch
                .into_iter()
                .zip(zones)
                .filter(|(_, z)| z.is_some())
                .map(|(p, _)| p)
                .take(n - out.len()),
        );
    }
    out.truncate(n);
    out
}

fn dump_points(path: &Path, points: &[Point<f64>]) -> Result<()> {
    let file = std::fs::File::create(path).with_context(|| format!("{}", path.display()))?;
    let mut w = std::io::BufWriter::new(file);
    writeln!(w, "lon,lat")?;
    for p in points {
        writeln!(w, "{},{}", p.x(), p.y())?;
    }
    w.flush()?;
    Ok(())
}

/// The themes given in turn to the points of `bench points`.
const BENCH_THEMES: [&str; 4] = [
    "France Services",
    "CCAS",
    "Mission locale",
    "Épicerie solidaire",
];

/// Writes `points` as a 5-column service CSV (`id,nom,dispositif,lon,lat`).
fn write_service_points(path: &Path, points: &[Point<f64>]) -> Result<()> {
    let file = std::fs::File::create(path).with_context(|| format!("{}", path.display()))?;
    let mut w = std::io::BufWriter::new(file);
    writeln!(w, "id,nom,dispositif,lon,lat")?;
    for (i, p) in points.iter().enumerate() {
        let theme = BENCH_THEMES.get(i % BENCH_THEMES.len()).unwrap_or(&"");
        writeln!(
            w,
            "{},Service {},{theme},{:.6},{:.6}",
            i + 1,
            i + 1,
            p.x(),
            p.y()
        )?;
    }
    w.flush()?;
    Ok(())
}

/// `bench fca`: the reference and the fast 2SFCA on the communes' population points and
/// random services, timed, and compared value by value.
fn fca_bench(
    file: &Path,
    services: usize,
    seed: u64,
    radius_km: f64,
    gauss: bool,
    runs: usize,
) -> Result<()> {
    use cartosol::analysis::PopulationBase;
    use cartosol::analysis::fca::{Decay, two_step_fca, two_step_fca_reference};
    use cartosol::value::Value;
    let layer = load_zones(file, &ZoneOptions::default())?;
    let bbox = layer.bbox().context("couche vide")?;
    let zone_index = ZoneIndex::new(&layer);
    let svc = random_points_inside(bbox, &zone_index, services, seed);
    let base = PopulationBase::from_communes(&layer, None, "POPULATION")?;
    let supply = vec![Value::Number(1.0); svc.len()];
    let decay = if gauss { Decay::Gaussian } else { Decay::Step };
    let radius_m = radius_km * 1000.0;
    let start = std::time::Instant::now();
    let reference = two_step_fca_reference(
        &base.points,
        &base.population,
        &svc,
        &supply,
        radius_m,
        decay,
    )?;
    let reference_s = start.elapsed().as_secs_f64();
    let (fast, best, median) = time_runs(runs, || {
        Ok(two_step_fca(
            &base.points,
            &base.population,
            &svc,
            &supply,
            radius_m,
            decay,
        )?)
    })?;
    let differ = |a: &[Value], b: &[Value]| a.iter().zip(b).filter(|(x, y)| x != y).count();
    let ratio_diffs = differ(&reference.ratios, &fast.ratios);
    let access_diffs = differ(&reference.accessibility, &fast.accessibility);
    let numbers = fast
        .accessibility
        .iter()
        .filter(|v| matches!(v, Value::Number(_)))
        .count();
    println!(
        "{} : 2SFCA de {} communes et {} services (graine {seed}), rayon {radius_km} km, \
         décroissance {} ; implémentation d'origine {reference_s:.3} s, rapide : meilleur \
         {best:.3} s, médiane {median:.3} s sur {} mesures ; {numbers} accessibilités \
         chiffrées ; écarts avec l'origine : {ratio_diffs} ratios, {access_diffs} accessibilités",
        file.display(),
        base.len(),
        svc.len(),
        decay.label(),
        runs.max(1)
    );
    if ratio_diffs + access_diffs > 0 || reference.ratios.len() != fast.ratios.len() {
        anyhow::bail!("le 2SFCA rapide diffère de l'implémentation d'origine");
    }
    Ok(())
}

/// Best and median of `runs` timings of `f`, after one warm-up call.
pub(crate) fn time_runs<T>(runs: usize, mut f: impl FnMut() -> Result<T>) -> Result<(T, f64, f64)> {
    let warm = f()?;
    let mut times = Vec::new();
    for _ in 0..runs.max(1) {
        let start = std::time::Instant::now();
        std::hint::black_box(f()?);
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let median = times.get(times.len() / 2).copied().unwrap_or_default();
    Ok((warm, times.first().copied().unwrap_or_default(), median))
}

pub fn run(args: Args) -> Result<()> {
    match args.what {
        #[cfg(feature = "gui")]
        What::Frame {
            file,
            indicator,
            frames,
        } => {
            let measures = cartosol::app::bench::frame_bench(&file, &indicator, frames)
                .map_err(anyhow::Error::msg)?;
            println!(
                "{} : carte choroplèthe de {indicator}, fenêtre 1600×1000, médiane sur {frames} images",
                file.display()
            );
            for m in measures {
                println!(
                    "  {:<24} zoom {:>5.2} : {:>7} sommets ; image reconstruite {:.2} ms (maillage {:.2} + tessellation {:.2} ; meilleure {:.2} ms) ; image de déplacement {:.2} ms ; 10 000 points {:.2} ms ({} marques)",
                    m.label,
                    m.zoom,
                    m.vertices,
                    m.total_ms,
                    m.build_ms,
                    m.tessellate_ms,
                    m.best_total_ms,
                    m.pan_ms,
                    m.points_ms,
                    m.point_marks
                );
            }
        }
        What::Tableau { file, runs } => {
            let options = cartosol::table::TableOptions::default();
            let (table, best, median) =
                time_runs(runs, || Ok(cartosol::table::load_table(&file, &options)?))?;
            println!(
                "{} : tableau de {} lignes × {} colonnes lu ; meilleur {best:.3} s, médiane {median:.3} s",
                file.display(),
                table.table.len(),
                table.table.fields.len()
            );
            drop(table);
            let point_options = cartosol::points::PointOptions::default();
            let (layer, best, median) = time_runs(runs, || {
                Ok(cartosol::points::load_points(&file, &point_options)?)
            })?;
            println!(
                "  couche de points : {} points ; meilleur {best:.3} s, médiane {median:.3} s",
                layer.len() - layer.unpositioned()
            );
            if let Some(peak) = std::fs::read_to_string("/proc/self/status")
                .ok()
                .and_then(|s| {
                    s.lines()
                        .find(|l| l.starts_with("VmHWM"))
                        .map(str::to_owned)
                })
            {
                println!(
                    "  mémoire maximale du processus : {}",
                    peak.trim_start_matches("VmHWM:").trim()
                );
            }
        }
        What::Load { file, runs, layer } => {
            let options = ZoneOptions {
                layer,
                ..ZoneOptions::default()
            };
            let (layer, best, median) = time_runs(runs, || Ok(load_zones(&file, &options)?))?;
            println!(
                "{} : {} entités ; meilleur {best:.3} s, médiane {median:.3} s sur {} mesures",
                file.display(),
                layer.len(),
                runs.max(1)
            );
        }
        What::Assign {
            file,
            points,
            seed,
            runs,
            dump,
        } => {
            let start = std::time::Instant::now();
            let layer = load_zones(&file, &ZoneOptions::default())?;
            println!(
                "{} : {} communes chargées en {:.3} s (non compté)",
                file.display(),
                layer.len(),
                start.elapsed().as_secs_f64()
            );
            let bbox = layer.bbox().context("couche vide")?;
            let index = ZoneIndex::new(&layer);
            let pts = random_points_inside(bbox, &index, points, seed);
            if let Some(d) = &dump {
                dump_points(d, &pts)?;
                println!("points écrits dans {}", d.display());
            }
            let (assigned, best, median) = time_runs(runs, || {
                let index = ZoneIndex::new(&layer);
                Ok(index.assign_points(&pts))
            })?;
            let found = assigned.iter().filter(|z| z.is_some()).count();
            let checksum: u64 = assigned.iter().flatten().map(|z| *z as u64).sum();
            println!(
                "affectation de {} points (graine {seed}) aux {} communes, index compris : \
                 {found} affectés (somme des indices {checksum}) ; meilleur {best:.3} s, \
                 médiane {median:.3} s sur {} mesures",
                pts.len(),
                layer.len(),
                runs.max(1)
            );
            let (_, best, median) = time_runs(runs, || Ok(index.assign_points(&pts)))?;
            println!("  dont requêtes seules : meilleur {best:.3} s, médiane {median:.3} s");
        }
        What::Nearest {
            file,
            services,
            seed,
            runs,
            dump,
        } => {
            let layer = load_zones(&file, &ZoneOptions::default())?;
            let bbox = layer.bbox().context("couche vide")?;
            let zone_index = ZoneIndex::new(&layer);
            let svc = random_points_inside(bbox, &zone_index, services, seed);
            let start = std::time::Instant::now();
            let population: Vec<Point<f64>> =
                cartosol::parallel::map_indexed(&layer.geometries, |_, g| {
                    cartosol::analysis::population::interior_point(g)
                })
                .into_iter()
                .flatten()
                .collect();
            println!(
                "{} : {} communes, {} points de population (points intérieurs, calculés en \
                 {:.3} s, non compté), {} services (graine {seed})",
                file.display(),
                layer.len(),
                population.len(),
                start.elapsed().as_secs_f64(),
                svc.len()
            );
            if let Some(d) = &dump {
                std::fs::create_dir_all(d)?;
                dump_points(&d.join("services.csv"), &svc)?;
                dump_points(&d.join("population.csv"), &population)?;
                println!("points écrits dans {}", d.display());
            }
            let (nearest, best, median) = time_runs(runs, || {
                let index = ServiceIndex::from_positions(svc.iter().copied().enumerate().collect());
                Ok(cartosol::parallel::map_indexed(&population, |_, p| {
                    index.nearest(*p)
                }))
            })?;
            let mean_km = nearest.iter().flatten().map(|n| n.distance_m).sum::<f64>()
                / nearest.len().max(1) as f64
                / 1000.0;
            println!(
                "plus proche des {} services pour {} points de population, index compris : \
                 distance moyenne {mean_km:.3} km (grand cercle) ; meilleur {best:.4} s, \
                 médiane {median:.4} s sur {} mesures",
                svc.len(),
                nearest.len(),
                runs.max(1)
            );
        }
        What::Points {
            file,
            points,
            seed,
            out,
        } => {
            let layer = load_zones(&file, &ZoneOptions::default())?;
            let bbox = layer.bbox().context("couche vide")?;
            let index = ZoneIndex::new(&layer);
            let pts = random_points_inside(bbox, &index, points, seed);
            write_service_points(&out, &pts)?;
            println!(
                "{} points (graine {seed}) tirés dans les {} communes écrits dans {}",
                pts.len(),
                layer.len(),
                out.display()
            );
        }
        What::Fca {
            file,
            services,
            seed,
            radius_km,
            gauss,
            runs,
        } => fca_bench(&file, services, seed, radius_km, gauss, runs)?,
        What::Lisa {
            file,
            permutations,
            seed,
        } => lisa_bench(&file, permutations, seed)?,
        What::Typology { reference } => typology_bench(&reference)?,
        #[cfg(feature = "gui")]
        What::Curseurs {
            file,
            indicator,
            services,
            frames,
            seed,
        } => {
            let m = cartosol::app::bench::slider_bench(&file, &indicator, services, frames, seed)
                .map_err(anyhow::Error::msg)?;
            println!(
                "{} : {} zones, {} services ; chargement et placement {:.2} s ; couverture \
                 (une fois, en arrière-plan) {:.2} s dont {:.1} ms sur le fil de l'interface ; \
                 recalculs pendant les curseurs : {}",
                file.display(),
                m.zones,
                m.services,
                m.load_s,
                m.coverage_s,
                m.start_ms,
                m.recomputations
            );
            println!(
                "  règle appliquée (médiane sur {frames}) : {:.3} ms ; {} zones signalées aux médianes",
                m.apply_ms, m.flagged
            );
            for (label, ms, best) in &m.slider_frames {
                println!(
                    "  curseur, {label:<24} : image {ms:.2} ms, meilleure {best:.2} ms (règle + image + tessellation)"
                );
            }
            for (label, ms, best) in &m.bivariate_frames {
                println!(
                    "  carte bivariée, {label:<16} : image {ms:.2} ms, meilleure {best:.2} ms"
                );
            }
            println!(
                "  outil de proximité (clic à Paris) : {:.2} ms, {} services dans le rayon",
                m.probe_ms, m.probe_within
            );
        }
        What::Grille {
            communes,
            sortie,
            carreaux,
            seed,
            runs,
            reecrire,
            #[cfg(feature = "gui")]
            images,
        } => {
            grid_bench(&communes, &sortie, carreaux, seed, runs, reecrire)?;
            #[cfg(feature = "gui")]
            if let Some(indicator) = images {
                grid_frame_bench(&sortie, &indicator)?;
            }
        }
        #[cfg(feature = "gui")]
        What::Ouverture {
            projet,
            communes,
            grille,
            points,
            runs,
        } => open_bench(projet, &communes, &grille, &points, runs)?,
    }
    Ok(())
}

/// `bench typology`: Ward on the indicators of the reference file, timed, then each cut at
/// k = 2..6 compared with the reference partition up to label order.
fn typology_bench(reference: &Path) -> Result<()> {
    use cartosol::analysis::typology::{canonical_labels, cut, standardize, ward_linkage};
    let text = std::fs::read_to_string(reference)
        .with_context(|| format!("{} illisible", reference.display()))?;
    let mut values: Vec<Vec<f64>> = Vec::new();
    let mut labels: Vec<Vec<usize>> = vec![Vec::new(); 5];
    for (n, line) in text.lines().enumerate().skip(1) {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let number = |i: usize| -> Result<f64> {
            cells
                .get(i)
                .and_then(|c| c.parse::<f64>().ok())
                .with_context(|| {
                    format!(
                        "{} ligne {} : colonne {} non numérique",
                        reference.display(),
                        n + 1,
                        i + 1
                    )
                })
        };
        values.push(vec![number(1)?, number(2)?, number(3)?]);
        for (j, l) in labels.iter_mut().enumerate() {
            l.push(number(4 + j)? as usize);
        }
    }
    let t = std::time::Instant::now();
    let z = standardize(&values).z;
    let merges = ward_linkage(&z)?;
    let ward_s = t.elapsed().as_secs_f64();
    let mut agreement = Vec::new();
    let mut all_equal = true;
    for (k, expected) in (2..=6).zip(&labels) {
        let ours = cut(z.len(), &merges, k);
        let differ = ours
            .iter()
            .zip(canonical_labels(expected))
            .filter(|(a, b)| **a != *b)
            .count();
        all_equal &= differ == 0;
        agreement.push(format!("k = {k} : {differ} écart(s)"));
    }
    println!(
        "{} : Ward de {} zones ({} indicateurs) en {ward_s:.2} s ; partitions comparées à la \
         référence : {}",
        reference.display(),
        z.len(),
        values.first().map_or(0, Vec::len),
        agreement.join(", ")
    );
    if !all_equal {
        anyhow::bail!("les partitions de Ward diffèrent de la référence");
    }
    Ok(())
}

/// `bench lisa`: load, queen weights, global Moran and LISA, each timed once (whole process).
fn lisa_bench(file: &Path, permutations: usize, seed: u64) -> Result<()> {
    use cartosol::analysis::autocorrelation::{moran_global, moran_local};
    use cartosol::analysis::weights::Weights;
    let t = std::time::Instant::now();
    let layer = load_zones(file, &ZoneOptions::default())?;
    let load_s = t.elapsed().as_secs_f64();
    let mut rng = SplitMix64(seed);
    let values: Vec<f64> = (0..layer.len()).map(|_| rng.next_f64()).collect();
    let t = std::time::Instant::now();
    let w = Weights::queen(&layer.geometries);
    let weights_s = t.elapsed().as_secs_f64();
    let links: usize = w.neighbours.iter().map(Vec::len).sum();
    let t = std::time::Instant::now();
    let g = moran_global(&values, &w, permutations, seed)?;
    let global_s = t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    let l = moran_local(&values, &w, permutations, seed, 0.05)?;
    let local_s = t.elapsed().as_secs_f64();
    let significant = l.p_sim.iter().flatten().filter(|p| **p <= 0.05).count();
    println!(
        "{} : {} communes chargées en {load_s:.3} s ; contiguïté reine {weights_s:.3} s \
         ({links} liens, {} îles) ; Moran global {global_s:.3} s (I = {:.6}, p = {:?}) ; \
         LISA {permutations} permutations {local_s:.3} s ({significant} zones p ≤ 0,05) ; \
         total hors chargement {:.3} s",
        file.display(),
        layer.len(),
        w.islands().len(),
        g.i,
        g.p_sim,
        weights_s + global_s + local_s
    );
    Ok(())
}

/// The header of INSEE's 200 m grid CSV (`carreaux_200m_met.csv`, 2019 layout), as the FICTIF
/// Essonne grid of the sample has it.
const GRID_HEADER: &str = "Idcar_200m,I_est_200,Idcar_1km,I_est_1km,Idcar_nat,Groupe,Ind,Men,\
Men_pauv,Men_1ind,Men_5ind,Men_prop,Men_fmp,Ind_snv,Men_surf,Men_coll,Men_mais,Log_av45,\
Log_45_70,Log_70_90,Log_ap90,Log_inc,Log_soc,Ind_0_3,Ind_4_5,Ind_6_10,Ind_11_17,Ind_18_24,\
Ind_25_39,Ind_40_54,Ind_55_64,Ind_65_79,Ind_80p,Ind_inc,lcog_geo";

/// Writes a synthetic national 200 m grid: squares of the EPSG:3035 lattice over metropolitan
/// France drawn with SplitMix64, kept when their centre falls in a commune of `communes`
/// (whose code becomes `lcog_geo`), with counts in INSEE's layout (a tenth of them imputed
/// shares of a natural square, fractional). Deterministic for a seed.
fn write_synthetic_grid(communes: &Path, out: &Path, target: usize, seed: u64) -> Result<usize> {
    use cartosol::crs::{Crs, FromWgs84, ToWgs84};
    let t = std::time::Instant::now();
    let layer = load_zones(communes, &ZoneOptions::default())?;
    let code_field = cartosol::join::guess_code_field(&layer.attributes)
        .context("pas de champ de code commune")?;
    let codes: Vec<String> = layer
        .attributes
        .field(&code_field)
        .map(|f| f.values.iter().map(|v| v.to_string()).collect())
        .unwrap_or_default();
    let index = ZoneIndex::new(&layer);
    let bbox = layer.bbox().context("couche vide")?;
    let laea = Crs::from_epsg(3035).context("EPSG:3035 inconnu")?;
    let to_wgs = ToWgs84::new(&laea).map_err(anyhow::Error::msg)?;
    let from_wgs = FromWgs84::new(&laea).map_err(anyhow::Error::msg)?;
    // The lattice over the communes' extent (corners and edge midpoints projected).
    let (mut e0, mut n0, mut e1, mut n1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for fx in [0.0, 0.5, 1.0] {
        for fy in [0.0, 0.5, 1.0] {
            let lon = bbox.min().x + fx * bbox.width();
            let lat = bbox.min().y + fy * bbox.height();
            if let Some((e, n)) = from_wgs.convert(lon, lat) {
                (e0, n0, e1, n1) = (e0.min(e), n0.min(n), e1.max(e), n1.max(n));
            }
        }
    }
    let (e0, n0) = (
        (e0 / 200.0).floor() as i64 - 50,
        (n0 / 200.0).floor() as i64 - 50,
    );
    let (e1, n1) = (
        (e1 / 200.0).ceil() as i64 + 50,
        (n1 / 200.0).ceil() as i64 + 50,
    );
    let lattice = ((e1 - e0) * (n1 - n0)) as f64;
    // About a third of the lattice lies in France: draw a little more than needed, then thin.
    let p = (target as f64 / (lattice * 0.34)).min(1.0);
    let mut rng = SplitMix64(seed);
    let mut candidates: Vec<(i64, i64)> = Vec::new();
    for n in n0..n1 {
        for e in e0..e1 {
            if rng.next_f64() < p {
                candidates.push((e, n));
            }
        }
    }
    let centres: Vec<Point<f64>> = cartosol::parallel::map_indexed(&candidates, |_, (e, n)| {
        let (x, y) = (*e as f64 * 200.0 + 100.0, *n as f64 * 200.0 + 100.0);
        to_wgs
            .convert(x, y)
            .map_or(Point::new(f64::NAN, f64::NAN), |(lon, lat)| {
                Point::new(lon, lat)
            })
    });
    let zones = index.assign_points(&centres);
    let inside = zones.iter().filter(|z| z.is_some()).count();
    let keep = (target as f64 / inside.max(1) as f64).min(1.0);
    let file = std::fs::File::create(out).with_context(|| format!("{}", out.display()))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    writeln!(w, "{GRID_HEADER}")?;
    let mut written = 0usize;
    for ((e, n), zone) in candidates.iter().zip(&zones) {
        let Some(zone) = zone else { continue };
        if rng.next_f64() >= keep {
            continue;
        }
        let (x, y) = (e * 200, n * 200);
        // Poverty varies smoothly over the country (a few hundred km waves) and by square.
        let wave = ((x as f64 / 90_000.0).sin() * (y as f64 / 70_000.0).cos() + 1.0) / 2.0;
        let share = (0.03 + 0.30 * wave * rng.next_f64()).min(0.9);
        let ind_raw = (rng.next_f64() * 6.0).exp().floor().max(1.0);
        let imputed = rng.next_f64() < 0.1;
        let k = if imputed { 0.05 + rng.next_f64() } else { 1.0 };
        let num = |v: f64| -> String {
            if imputed {
                let s = format!("{:.6}", v * k);
                s.trim_end_matches('0').trim_end_matches('.').to_owned()
            } else {
                format!("{}", v.round())
            }
        };
        let ind = ind_raw;
        let men = (ind / 2.3).ceil();
        let men_pauv = (men * share).round();
        let code = codes.get(*zone).map_or("", String::as_str);
        let (ek, nk) = (x / 1000 * 1000, y / 1000 * 1000);
        let nat = if imputed {
            format!("CRS3035RES1000mN{nk}E{ek}")
        } else {
            format!("CRS3035RES200mN{y}E{x}")
        };
        let ages: Vec<String> = [0.04, 0.025, 0.06, 0.08, 0.08, 0.18, 0.2, 0.12, 0.14, 0.075]
            .iter()
            .map(|s| num(ind * s))
            .collect();
        writeln!(
            w,
            "CRS3035RES200mN{y}E{x},{},CRS3035RES1000mN{nk}E{ek},0,{nat},,{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},0,{}",
            u8::from(imputed),
            num(ind),
            num(men),
            num(men_pauv),
            num(men * 0.35),
            num(men * 0.07),
            num(men * 0.55),
            num(men * 0.1),
            num(ind * 21_000.0 * (1.0 - share)),
            num(men * 85.0),
            num(men * 0.45),
            num(men * 0.55),
            num(men * 0.12),
            num(men * 0.25),
            num(men * 0.3),
            num(men * 0.33),
            num(0.0),
            num(men * 0.15),
            ages.join(","),
            code
        )?;
        written += 1;
    }
    w.flush()?;
    println!(
        "{} : {written} carreaux écrits (graine {seed}, {} communes) en {:.1} s",
        out.display(),
        layer.len(),
        t.elapsed().as_secs_f64()
    );
    Ok(written)
}

/// `bench grille`: writes the synthetic national grid (unless present) and times its reading
/// (`cartosol::grid::load_grid`, the whole path: file read, decoding, parsing, squares placed
/// and reprojected).
fn grid_bench(
    communes: &Path,
    out: &Path,
    target: usize,
    seed: u64,
    runs: usize,
    rewrite: bool,
) -> Result<()> {
    if rewrite || !out.exists() {
        write_synthetic_grid(communes, out, target, seed)?;
    }
    let size_mb = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    let cpu0 = process_cpu_s();
    let (grid, best, median) = time_runs(runs, || Ok(cartosol::grid::load_grid(out)?))?;
    let cpu_per_load = (process_cpu_s() - cpu0) / (runs.max(1) + 1) as f64;
    let men_pauv: f64 = grid
        .field("Men_pauv")
        .map(|f| f.values.iter().filter(|v| v.is_finite()).sum())
        .unwrap_or_default();
    println!(
        "{} ({size_mb:.0} Mo) : {} carreaux, {} champs numériques, Men_pauv total {men_pauv:.1} ; \
         lecture meilleur {best:.3} s, médiane {median:.3} s sur {} mesures ; temps CPU \
         (utilisateur + système, tous cœurs) {cpu_per_load:.2} s par lecture sur {} cœurs",
        out.display(),
        grid.len(),
        grid.fields.len(),
        runs.max(1),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    drop(grid);
    // The path of `inspect`, projects and the app today: every square also as a polygon zone
    // with its attributes (timed once).
    let t = std::time::Instant::now();
    let zones = cartosol::grid::load_zones_or_grid(out, &ZoneOptions::default())?;
    println!(
        "  en couche de zones (polygones et attributs, chemin des projets) : {} zones en {:.3} s",
        zones.len(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `bench grille --images`: the grid as the app draws it (a texture of the cells at the
/// window's resolution), time per rebuilt image at country, region and city zoom.
#[cfg(feature = "gui")]
fn grid_frame_bench(file: &Path, indicator: &str) -> Result<()> {
    let measures =
        cartosol::app::grid_bench::frame_bench(file, indicator).map_err(anyhow::Error::msg)?;
    println!(
        "{} : carte de {indicator} en carreaux, fenêtre 1600×1000 (texture à la résolution de \
         l'écran), médiane sur 9 images reconstruites",
        file.display()
    );
    for m in measures {
        println!(
            "  {:<22} zoom {:>5.2} : {:>8} carreaux dessinés ; image reconstruite {:.2} ms \
             (texture {:.2} ms + envoi {:.2} ms) ; image de déplacement {:.3} ms",
            m.label, m.zoom, m.cells, m.total_ms, m.raster_ms, m.upload_ms, m.pan_ms
        );
    }
    Ok(())
}

/// CPU time of this process so far (user + system, all threads), seconds, from
/// `/proc/self/stat` (Linux; 0 elsewhere). Tells a slow machine from a busy one.
fn process_cpu_s() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (in parentheses): utime and stime are the 14th and 15th.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Linux's USER_HZ is 100 on every architecture.
    (ticks(11) + ticks(12)) / 100.0
}

/// `bench ouverture`: opens a project as the app does, `runs` times, and prints when each
/// layer reached the UI, the first frame and the whole project (the project is written from
/// the communes, grid and points files when none is given).
#[cfg(feature = "gui")]
fn open_bench(
    project: Option<PathBuf>,
    communes: &Path,
    grid: &Path,
    points: &Path,
    runs: usize,
) -> Result<()> {
    let project = match project {
        Some(p) => p,
        None => {
            let absolute = |p: &Path| -> Result<String> {
                let p = p
                    .canonicalize()
                    .with_context(|| format!("{} introuvable", p.display()))?;
                Ok(p.to_string_lossy().into_owned())
            };
            let mut zones = vec![serde_json::json!({
                "id": "communes", "name": "Communes de France", "source": absolute(communes)?,
                "code_field": "INSEE_COM", "name_field": "NOM",
                "population_field": "POPULATION"
            })];
            if grid.exists() {
                zones.push(serde_json::json!({
                    "id": "carreaux", "name": "Carreaux de 200 m", "source": absolute(grid)?,
                    "code_field": "Idcar_200m", "name_field": "Idcar_200m"
                }));
            }
            let mut layers = Vec::new();
            if points.exists() {
                layers.push(serde_json::json!({
                    "id": "services", "name": "Services", "source": absolute(points)?,
                    "theme_field": "dispositif"
                }));
            }
            let json = serde_json::json!({
                "cartosol": 1, "title": "Ouverture nationale", "sources_note": "",
                "zones": zones, "tables": [], "points": layers,
                "map": {"zones": "communes", "indicator": "POPULATION"}, "views": []
            });
            let dir = std::env::temp_dir().join("cartosol-bench-ouverture");
            std::fs::create_dir_all(&dir)?;
            let path = dir.join("france.cartosol.json");
            std::fs::write(&path, serde_json::to_string_pretty(&json)?)?;
            path
        }
    };
    let mut firsts = Vec::new();
    let mut completes = Vec::new();
    for run in 1..=runs.max(1) {
        let m = cartosol::app::open_bench::open_bench(&project).map_err(anyhow::Error::msg)?;
        println!(
            "ouverture {run} : première image {:.3} s (image {:.1} ms), projet complet {:.3} s ; \
             fil de l'interface occupé au plus {:.1} ms d'affilée ; zones {:?}, points {:?}",
            m.first_frame_s, m.first_frame_ms, m.complete_s, m.longest_ui_ms, m.zones, m.points
        );
        for (label, at, ms) in &m.steps {
            println!("  {at:>7.3} s  {label} (mise en place {ms:.1} ms)");
        }
        firsts.push(m.first_frame_s);
        completes.push(m.complete_s);
    }
    for z in cartosol::app::open_bench::zone_breakdown(&project).map_err(anyhow::Error::msg)? {
        println!(
            "  couche de zones {} mesurée seule : lecture {:.3} s, préparation pour la carte \
             {:.3} s, valeurs de référence {:.3} s",
            z.id, z.read_s, z.prepare_s, z.reference_s
        );
    }
    let best = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or_default()
    };
    println!(
        "{} : première image meilleure {:.3} s, médiane {:.3} s ; projet complet meilleur \
         {:.3} s, médiane {:.3} s",
        project.display(),
        best(&firsts),
        median(&mut firsts),
        best(&completes),
        median(&mut completes)
    );
    Ok(())
}
