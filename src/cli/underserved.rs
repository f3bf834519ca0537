//! `cartosol underserved`: the explicit need/offer rule on the coverage of the zones → a table
//! of every zone with its figures, its flag, its bivariate class and the rule in words
//! (through the layer writers of `cartosol export`), and with `--map` a PNG/SVG map where the
//! flagged zones are outlined in bold and the rule is written under the legend.

use super::coverage::{Options, Run, compute};
use anyhow::{Context, Result, bail};
use cartosol::analysis::coverage::Gaps;
use cartosol::export::compose::analysis_overlay;
use cartosol::export::{
    Preset, RenderOptions, compose_project, render_png, render_svg, write_atomic,
};
use cartosol::style::map_style::theme_field;
use cartosol::value::ValueRef;
use std::path::{Path, PathBuf};

/// Flagged zones listed on stdout (highest need first); all are in the output file.
const SHOWN: usize = 20;

/// The arguments, boxed so that the subcommand enum of `cli/mod.rs` stays small.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    options: Box<Options>,
    /// Carte des zones sous-desservies à écrire : .png ou .svg (demande --project).
    #[arg(long)]
    map: Option<PathBuf>,
    /// Format de page de la carte : a4-paysage, a4-portrait, diapo ou LARGEURxHAUTEUR.
    #[arg(long, default_value = "a4-paysage")]
    preset: String,
    /// Dossier de tuiles de fond de carte déjà téléchargées ({z}/{x}/{y}.png).
    #[arg(long)]
    tuiles: Option<PathBuf>,
    /// Date imprimée sur la carte (JJ/MM/AAAA ; par défaut : aujourd'hui).
    #[arg(long)]
    date: Option<String>,
}

pub fn run(args: Args) -> Result<()> {
    let Args {
        options,
        map,
        preset,
        tuiles,
        date,
    } = args;
    let options = *options;
    if options.need.is_none() {
        bail!("indiquez l'indicateur de besoin des zones avec --need (ex. --need TP60)");
    }
    if map.is_some() && options.project.is_none() {
        bail!("--map demande --project : la carte reprend le style du projet");
    }
    let mut run = compute(&options)?;
    if let Some(map) = &map {
        cartosol::fsutil::refuse_overwrite(
            map,
            &super::coverage::input_files(&options, &run.inputs),
        )?;
    }
    let Some(gaps) = run.gaps(&options)? else {
        bail!("indiquez l'indicateur de besoin des zones avec --need");
    };
    let table = run.result.underserved_table(&gaps);
    let report = run.write_zones(&table, "sous_desservies", &options.out)?;
    let zones = &run.result.zones;
    println!("{}", gaps.underserved.rule_text);
    println!(
        "{} zone(s) sous-desservie(s) sur {}{}",
        gaps.underserved.flagged.len(),
        zones.len(),
        match gaps.underserved.not_assessed.len() {
            0 => String::new(),
            n => format!(" ({n} non évaluée(s) faute de besoin ou d'offre)"),
        }
    );
    for f in gaps.underserved.flagged.iter().take(SHOWN) {
        if let Some(z) = zones.get(f.zone) {
            println!("  - {} {}", z.code, z.name);
        }
    }
    if gaps.underserved.flagged.len() > SHOWN {
        println!("  … et {} autre(s)", gaps.underserved.flagged.len() - SHOWN);
    }
    println!("Écrit : {}", options.out.display());
    println!("{report}");
    if let Some(path) = &map {
        let mut render = RenderOptions::new(Preset::parse(&preset)?);
        render.tile_cache = tuiles;
        render.secrecy = run.guard.clone();
        if let Some(date) = date {
            render.date = cartosol::export::compose::date_line(&date);
        }
        write_map(&mut run, &options, &gaps, &render, path)?;
        println!("Carte écrite : {}", path.display());
    }
    Ok(())
}

/// The project's map of the need on the analysed zones, flagged zones outlined in bold, the
/// rule under the legend, only the services of the analysed theme (with `--theme`).
fn write_map(
    run: &mut Run,
    options: &Options,
    gaps: &Gaps,
    render: &RenderOptions,
    path: &Path,
) -> Result<()> {
    let (Some(project), Some(zones_id), Some(need)) = (
        run.inputs.project.as_mut(),
        &run.inputs.zones_id,
        &options.need,
    ) else {
        bail!("--map demande --project et --need");
    };
    // Only the analysed theme is drawn: the rule is about it.
    if let Some(theme) = &options.theme {
        let mut hidden: Vec<String> = Vec::new();
        for (spec, layer) in &project.points {
            // The same theme field as the map's (declared, else the known names).
            let Some(field) = theme_field(spec.theme_field.as_deref(), &layer.attributes) else {
                continue;
            };
            for v in &field.values {
                if let ValueRef::Text(t) = v
                    && t.trim() != theme.trim()
                    && !hidden.iter().any(|h| h == t.trim())
                {
                    hidden.push(t.trim().to_owned());
                }
            }
        }
        project.file.map.hidden_themes.extend(hidden);
    }
    let m = &mut project.file.map;
    // The project's legend label describes its own indicator: kept only for the same one.
    if options.need_label.is_some() || !m.indicator.eq_ignore_ascii_case(need) {
        m.indicator_label = options.need_label.clone();
    }
    m.zones = zones_id.clone();
    m.indicator = need.clone();
    m.underserved_note = None;
    // The flagged zones and the rule are drawn as the app draws them: the shared style's
    // under-served outline, with the rule as a legend row.
    let render = RenderOptions {
        overlay: analysis_overlay(Some(&gaps.underserved), None),
        ..render.clone()
    };
    let mut map = compose_project(project, &render)?;
    map.subtitle = Some(format!(
        "Contour rouge : {} zone(s) sous-desservie(s) sur {}",
        gaps.underserved.flagged.len(),
        gaps.need.len()
    ));
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let bytes = match ext.as_str() {
        "svg" => render_svg(&map).into_bytes(),
        "png" => render_png(&map)?,
        _ => bail!(
            "{} : extension non reconnue (attendu : .png ou .svg)",
            path.display()
        ),
    };
    write_atomic(path, &bytes).with_context(|| format!("{} non écrite", path.display()))?;
    Ok(())
}
