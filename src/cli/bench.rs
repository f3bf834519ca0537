//! `cartosol bench …`: performance measurements (use a release build).

use anyhow::Result;
use cartosol::zones::{ZoneOptions, load_zones};
use clap::Subcommand;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: What,
}

#[derive(Subcommand)]
enum What {
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
        What::Load { file, runs, layer } => {
            let options = ZoneOptions { layer, crs: None };
            let (layer, best, median) = time_runs(runs, || Ok(load_zones(&file, &options)?))?;
            println!(
                "{} : {} entités ; meilleur {best:.3} s, médiane {median:.3} s sur {} mesures",
                file.display(),
                layer.len(),
                runs.max(1)
            );
        }
    }
    Ok(())
}
