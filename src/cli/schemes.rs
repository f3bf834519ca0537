//! `cartosol dispositifs PROJECT --out tableau.xlsx`: the synthesis table of schemes with its
//! computed coverage cells; `--importer tableau.xlsx` reads the typed cells of an edited
//! workbook back into the project.

use anyhow::{Context, Result, bail};
use cartosol::analysis::schemes::{compute, rows_from_table, schemes_table};
use cartosol::export::data::Geometries;
use std::path::PathBuf;

/// The arguments of `cartosol dispositifs`.
#[derive(clap::Args)]
pub struct Args {
    /// Projet (*.cartosol.json).
    project: PathBuf,
    /// Lit les cellules saisies d'un tableau exporté puis modifié (XLSX, CSV) et les enregistre
    /// dans le projet (les cellules calculées sont recalculées).
    #[arg(long)]
    importer: Option<PathBuf>,
    /// Rayon d'accès d'un site, en km (enregistré dans le projet).
    #[arg(long = "rayon-km")]
    radius_km: Option<f64>,
    /// Seuil « peu couvert » : part de la cible au-delà du rayon, en % (enregistré).
    #[arg(long)]
    seuil_pct: Option<f64>,
    /// Tableau à écrire (.xlsx, .csv).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Runs `cartosol dispositifs`.
pub fn run(args: Args) -> Result<()> {
    let mut project = cartosol::project::open_project(&args.project)?;
    if let Some(out) = &args.out {
        cartosol::fsutil::refuse_overwrite(out, &project.input_files())?;
    }
    let mut spec = project.file.schemes.clone().unwrap_or_default();
    let mut changed = false;
    if let Some(r) = args.radius_km {
        if !(r.is_finite() && r > 0.0) {
            bail!("--rayon-km {r} : le rayon doit être un nombre positif");
        }
        spec.radius_km = r;
        changed = true;
    }
    if let Some(s) = args.seuil_pct {
        if !(0.0..=100.0).contains(&s) {
            bail!("--seuil-pct {s} : attendu entre 0 et 100");
        }
        spec.max_share_beyond_pct = s;
        changed = true;
    }
    if let Some(path) = &args.importer {
        let loaded = cartosol::table::load_table(path, &Default::default())?;
        let name = cartosol::error::display_name(path);
        spec.rows = rows_from_table(&loaded.table, &name)?;
        println!(
            "{} dispositif(s) lus dans {}",
            spec.rows.len(),
            path.display()
        );
        changed = true;
    }
    if changed {
        let mut file = project.file.clone();
        file.schemes = Some(spec.clone());
        let dir = match args.project.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        cartosol::project::save_project(&file, &dir, &args.project)
            .with_context(|| format!("{} non écrit", args.project.display()))?;
        project.file = file;
        println!(
            "Tableau des dispositifs enregistré dans {}",
            args.project.display()
        );
    }
    if spec.rows.is_empty() {
        bail!(
            "{} : aucun dispositif dans le projet (--importer un tableau, ou saisissez-les dans \
             l'application)",
            args.project.display()
        );
    }
    let computed = compute(&project, &spec)?;
    let table = schemes_table(&spec, &computed);
    for c in computed.iter().zip(&spec.rows) {
        println!(
            "  {} : {} ({} site(s), {} % de la cible au-delà de {} km)",
            c.1.name,
            c.0.verdict.label(),
            c.0.sites,
            c.0.share_beyond_pct
                .map_or("—".to_owned(), |s| cartosol::value::format_number(
                    (s * 10.0).round() / 10.0
                )),
            cartosol::value::format_number(spec.radius_km)
        );
    }
    if let Some(out) = &args.out {
        super::write_aggregate_results(&project, &table, Geometries::None, "dispositifs", out)?;
        println!("Écrit : {}", out.display());
    }
    Ok(())
}
