//! The desktop application (feature `gui`): eframe + egui + walkers.

/// Opens the app on a project or data file.
pub fn run(path: Option<std::path::PathBuf>) -> anyhow::Result<()> {
    let _ = path;
    anyhow::bail!("interface graphique en cours de construction")
}
