//! The committee deck: every saved view of a project as one page of a 16:9 slide deck, drawn
//! by the same composition as `cartosol render` ([`compose_project`] then [`render_svg`]),
//! written as one vector PDF (each page's SVG converted by `svg2pdf`, the bundled font
//! embedded), as PNG slides of 1920 × 1080 px, and a minutes template in Markdown listing the
//! views shown with their figures and rules. `cartosol deck` and the app's menu both call
//! [`write_deck`].

use super::atlas::slug;
use super::compose::{RenderOptions, compose_project, map_layer};
use super::composition::{FigureTable, MapComposition};
use super::page::Preset;
use super::raster::{BUNDLED_FONT, svg_to_png};
use super::secrecy::SecrecyGuard;
use super::svg::render_svg;
use super::{ExportError, write_atomic};
use crate::model::{Table, ZoneLayer};
use crate::project::{Project, ProjectFile, ViewSpec, ZoneSpec};
use crate::style::classify::format_fr;
use crate::style::map_style::MapOverlay;
use crate::value::ValueRef;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Width of a deck page in the PDF, points (13.33 in, the 16:9 slide of office suites).
pub const PDF_PAGE_WIDTH_PT: f32 = 960.0;
/// Height of a deck page in the PDF, points (7.5 in).
pub const PDF_PAGE_HEIGHT_PT: f32 = 540.0;
/// Width of a PNG slide, pixels.
pub const SLIDE_WIDTH_PX: u32 = 1920;
/// Height of a PNG slide, pixels.
pub const SLIDE_HEIGHT_PX: u32 = 1080;

/// The word that marks fictitious data in a project's title or sources (the sample's
/// `… services FICTIFS`).
const FICTIVE_WORD: &str = "fictif";

/// Whether the project says its data are fictitious: its title or its sources note holds the
/// word « FICTIF » (any case, any ending: FICTIVES, fictifs…). Presentations then show a
/// « Données FICTIVES » banner.
pub fn fictive_data(file: &ProjectFile) -> bool {
    [&file.title, &file.sources_note]
        .iter()
        .any(|t| t.to_lowercase().contains(FICTIVE_WORD))
}

/// Options of a deck.
#[derive(Clone, Debug, PartialEq)]
pub struct DeckOptions {
    /// The date line of every page (`Carte réalisée le 01/02/2026 avec CartoSol`).
    pub date: String,
    /// A folder of cached basemap tiles; without it, the pages have no basemap.
    pub tile_cache: Option<PathBuf>,
    /// Statistical secrecy, as for every export.
    pub secrecy: SecrecyGuard,
}

impl Default for DeckOptions {
    /// Dated today, no basemap, secrecy on.
    fn default() -> Self {
        let r = RenderOptions::new(Preset::Slide);
        DeckOptions {
            date: r.date,
            tile_cache: None,
            secrecy: r.secrecy,
        }
    }
}

/// One page of the deck: a saved view composed as a 16:9 slide.
#[derive(Clone, Debug, PartialEq)]
pub struct DeckPage {
    /// The view shown.
    pub view: ViewSpec,
    /// What the page shows (title, legend, figures, notes).
    pub composition: MapComposition,
    /// The page drawn as SVG (1920 × 1080 user units).
    pub svg: String,
}

/// What [`write_deck`] writes: any of the three outputs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeckRequest {
    /// The PDF of the deck (one page per view).
    pub pdf: Option<PathBuf>,
    /// A folder for the PNG slides (`01-<vue>.png`…), created when missing.
    pub png_dir: Option<PathBuf>,
    /// The minutes template, in Markdown.
    pub minutes: Option<PathBuf>,
}

/// What [`write_deck`] wrote.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeckReport {
    /// The names of the views, in page order.
    pub views: Vec<String>,
    /// The files written.
    pub files: Vec<PathBuf>,
}

impl DeckReport {
    /// One line for the user, in French.
    pub fn summary(&self) -> String {
        format!(
            "Support de séance : {} vue(s), {} fichier(s) écrit(s)",
            self.views.len(),
            self.files.len()
        )
    }
}

/// The key figures of zone `row` of the map layer for `indicator` (titled `label`): its value
/// against the median of the layer's zones, its rank (1 = highest value) and its population.
/// The app's presentation panel and the deck's pages both show this table.
pub fn key_figures(
    spec: &ZoneSpec,
    table: &Table,
    indicator: &str,
    label: &str,
    row: usize,
) -> Option<FigureTable> {
    let name = table
        .field_index(&spec.name_field)
        .and_then(|f| table.text(f, row))
        .unwrap_or_else(|| format!("zone {}", row + 1));
    let field = table.field(indicator)?;
    let value = field.values.get(row).and_then(ValueRef::as_f64);
    let mut all: Vec<f64> = field.values.iter().filter_map(ValueRef::as_f64).collect();
    all.sort_by(f64::total_cmp);
    let median = match all.len() {
        0 => None,
        n if n % 2 == 1 => all.get(n / 2).copied(),
        n => Some((all.get(n / 2 - 1)? + all.get(n / 2)?) / 2.0),
    };
    let fmt = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |x| format_fr(x, 1));
    let mut rows = vec![[label.to_owned(), fmt(value), fmt(median)]];
    if let Some(v) = value {
        let rank = 1 + all.iter().filter(|x| **x > v).count();
        rows.push([
            "Rang (1 = valeur la plus forte)".to_owned(),
            format!("{rank} / {}", all.len()),
            String::new(),
        ]);
    }
    if let Some(pop) = spec
        .population_field
        .as_deref()
        .and_then(|p| table.field(p))
    {
        let zone = pop.values.get(row).and_then(ValueRef::as_f64);
        let total: f64 = pop.values.iter().filter_map(ValueRef::as_f64).sum();
        rows.push([
            "Population".to_owned(),
            zone.map_or_else(|| "—".to_owned(), |x| format_fr(x, 0)),
            format_fr(total, 0),
        ]);
    }
    Some(FigureTable {
        title: format!("Chiffres clés : {name}"),
        header: [
            "Indicateur".to_owned(),
            "Zone".to_owned(),
            "Ensemble des zones".to_owned(),
        ],
        rows,
    })
}

/// The row of the zone whose code is `code` in the map layer.
pub fn zone_row(spec: &ZoneSpec, layer: &ZoneLayer, code: &str) -> Option<usize> {
    let f = layer.attributes.field_index(&spec.code_field)?;
    (0..layer.len()).find(|&r| layer.attributes.text(f, r).as_deref() == Some(code.trim()))
}

/// The pages of the deck: one per saved view of the project, in the project's order, each
/// composed by [`compose_project`] with the view's map ([`ViewSpec::applied_to`]) on a 16:9
/// slide: the view's name in the subtitle, the selected zone's key figures, the under-served
/// zones the view recorded outlined with their rule. The project is left as it was.
pub fn deck_pages(
    project: &mut Project,
    options: &DeckOptions,
) -> Result<Vec<DeckPage>, ExportError> {
    if project.file.views.is_empty() {
        return Err(ExportError::write(
            &project.path,
            "le projet n'a aucune vue enregistrée : enregistrez des vues (Affichage › Vues \
             enregistrées) avant de produire le support de séance",
        ));
    }
    let saved = project.file.map.clone();
    let views = project.file.views.clone();
    let mut pages = Vec::with_capacity(views.len());
    let mut result = Ok(());
    for view in &views {
        project.file.map = view.applied_to(&saved);
        match deck_page(project, view, options) {
            Ok(page) => pages.push(page),
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    project.file.map = saved;
    result.map(|()| pages)
}

fn deck_page(
    project: &Project,
    view: &ViewSpec,
    options: &DeckOptions,
) -> Result<DeckPage, ExportError> {
    let (spec, layer) = map_layer(project)?;
    let underserved: Vec<usize> = view
        .underserved_zones
        .iter()
        .filter_map(|code| zone_row(spec, layer, code))
        .collect();
    let render = RenderOptions {
        preset: Preset::Slide,
        view: None,
        date: options.date.clone(),
        tile_cache: options.tile_cache.clone(),
        secrecy: options.secrecy.clone(),
        overlay: MapOverlay {
            underserved,
            rule: view.underserved_rule.clone(),
            fill: None,
        },
    };
    let mut composition = compose_project(project, &render)?;
    let indicator = composition.legend.title.clone();
    composition.subtitle = Some(format!("{} — {indicator}", view.name));
    if let Some(note) = view.note.as_ref().filter(|n| !n.trim().is_empty()) {
        composition.notes.insert(0, note.trim().to_owned());
    }
    let selected = view
        .selection
        .as_deref()
        .and_then(|code| zone_row(spec, layer, code));
    // The selected zone is outlined in bold, as on screen.
    composition.highlight = selected.and_then(|row| layer.geometries.get(row).cloned());
    composition.figures = selected.and_then(|row| {
        key_figures(
            spec,
            &layer.attributes,
            &project.file.map.indicator,
            &indicator,
            row,
        )
    });
    if fictive_data(&project.file) {
        composition.notes.insert(
            0,
            "Données FICTIVES : ne pas diffuser comme résultats.".to_owned(),
        );
    }
    let svg = render_svg(&composition);
    Ok(DeckPage {
        view: view.clone(),
        composition,
        svg,
    })
}

/// A font database for the PDF converter holding the bundled font only (as the PNG renderer).
fn pdf_fonts() -> Arc<svg2pdf::usvg::fontdb::Database> {
    let mut db = svg2pdf::usvg::fontdb::Database::new();
    db.load_font_data(BUNDLED_FONT.to_vec());
    let family = db
        .faces()
        .next()
        .and_then(|f| f.families.first())
        .map(|(n, _)| n.clone());
    if let Some(family) = family {
        db.set_sans_serif_family(family.clone());
        db.set_serif_family(family.clone());
        db.set_monospace_family(family);
    }
    Arc::new(db)
}

/// The deck as one PDF: a 960 × 540 pt page (16:9) per page, each the vector conversion of
/// its SVG with the bundled font embedded (text stays selectable and searchable).
pub fn deck_pdf(pages: &[DeckPage], title: &str) -> Result<Vec<u8>, ExportError> {
    let svgs: Vec<(String, &str)> = pages
        .iter()
        .map(|p| (p.view.name.clone(), p.svg.as_str()))
        .collect();
    svg_pages_pdf(&svgs, (PDF_PAGE_WIDTH_PT, PDF_PAGE_HEIGHT_PT), title)
}

/// One PDF of SVG pages (each `(name for errors, svg)`), every page `size_pt` (width, height in
/// points), vector, with the bundled font embedded as subsets so that its text can be
/// extracted. What the deck and the action sheets write.
pub fn svg_pages_pdf(
    pages: &[(String, &str)],
    (width_pt, height_pt): (f32, f32),
    title: &str,
) -> Result<Vec<u8>, ExportError> {
    use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, TextStr};
    let db = pdf_fonts();
    let family = db
        .faces()
        .next()
        .and_then(|f| f.families.first())
        .map_or_else(|| "Ubuntu".to_owned(), |(n, _)| n.clone());
    let usvg_options = svg2pdf::usvg::Options {
        font_family: family,
        fontdb: db,
        languages: vec!["fr".to_owned()],
        ..svg2pdf::usvg::Options::default()
    };
    let mut alloc = Ref::new(1);
    let catalog_id = alloc.bump();
    let tree_id = alloc.bump();
    let info_id = alloc.bump();
    let mut pdf = Pdf::new();
    let mut page_ids = Vec::with_capacity(pages.len());
    let name = Name(b"Carte");
    for (i, page) in pages.iter().enumerate() {
        let (page_name, svg) = page;
        let tree = svg2pdf::usvg::Tree::from_str(svg, &usvg_options).map_err(|e| {
            ExportError::Render(format!(
                "page {} « {page_name} » : SVG invalide ({e})",
                i + 1
            ))
        })?;
        let (chunk, svg_id) = svg2pdf::to_chunk(&tree, svg2pdf::ConversionOptions::default())
            .map_err(|e| {
                ExportError::Render(format!(
                    "page {} « {page_name} » : conversion en PDF impossible ({e})",
                    i + 1
                ))
            })?;
        let mut renumbered = HashMap::new();
        let chunk = chunk.renumber(|old| *renumbered.entry(old).or_insert_with(|| alloc.bump()));
        let svg_id = renumbered.get(&svg_id).copied().ok_or_else(|| {
            ExportError::Render(format!("page {} : objet SVG introuvable", i + 1))
        })?;
        let page_id = alloc.bump();
        let content_id = alloc.bump();
        page_ids.push(page_id);
        let mut p = pdf.page(page_id);
        p.media_box(Rect::new(0.0, 0.0, width_pt, height_pt));
        p.parent(tree_id);
        p.contents(content_id);
        p.resources().x_objects().pair(name, svg_id);
        p.finish();
        let mut content = Content::new();
        // The XObject is one point square: scale it to the page.
        content
            .transform([width_pt, 0.0, 0.0, height_pt, 0.0, 0.0])
            .x_object(name);
        pdf.stream(content_id, &content.finish());
        pdf.extend(&chunk);
    }
    pdf.catalog(catalog_id).pages(tree_id);
    let count = i32::try_from(page_ids.len()).unwrap_or(i32::MAX);
    pdf.pages(tree_id).kids(page_ids).count(count);
    pdf.document_info(info_id)
        .title(TextStr(title))
        .producer(TextStr("CartoSol"));
    Ok(pdf.finish())
}

/// The minutes template of the meeting, in Markdown: the meeting's blanks (date, place,
/// participants), the agenda (the views), for each view its indicator, classes, selected zone's
/// figures, under-served rule and sources, then blanks for the committee's observations,
/// decisions, amendments and next steps.
pub fn minutes_markdown(project: &ProjectFile, pages: &[DeckPage], made_on: &str) -> String {
    let mut md = String::new();
    let line = |md: &mut String, text: &str| {
        md.push_str(text);
        md.push('\n');
    };
    line(&mut md, "# Compte rendu du comité de pilotage");
    line(&mut md, "");
    line(&mut md, &format!("**Projet :** {}  ", project.title));
    line(&mut md, "**Réunion :** ______________________________  ");
    line(&mut md, "**Date :** ____ / ____ / ________  ");
    line(&mut md, "**Lieu :** ______________________________  ");
    line(&mut md, "**Présents :** ______________________________  ");
    line(&mut md, "**Excusés :** ______________________________  ");
    line(&mut md, &format!("**Support préparé le :** {made_on}"));
    line(&mut md, "");
    if fictive_data(project) {
        line(
            &mut md,
            "> **Données FICTIVES** : les cartes présentées reposent sur des données fictives.",
        );
        line(&mut md, "");
    }
    line(&mut md, "## Ordre du jour");
    line(&mut md, "");
    for (i, p) in pages.iter().enumerate() {
        line(&mut md, &format!("{}. {}", i + 1, p.view.name));
    }
    line(&mut md, "");
    line(&mut md, "## Vues présentées");
    for (i, p) in pages.iter().enumerate() {
        let c = &p.composition;
        line(&mut md, "");
        line(&mut md, &format!("### {}. {}", i + 1, p.view.name));
        line(&mut md, "");
        line(&mut md, &format!("- Indicateur : {}", c.legend.title));
        line(&mut md, &format!("- Classement : {}", c.legend.method));
        for class in &c.legend.classes {
            line(
                &mut md,
                &format!("  - {} : {} zone(s)", class.label, class.count),
            );
        }
        for (missing, count) in &c.legend.missing {
            line(
                &mut md,
                &format!("  - {} : {count} zone(s)", missing.label()),
            );
        }
        if let Some(note) = &p.view.note {
            line(&mut md, &format!("- Commentaire : {note}"));
        }
        if let Some(rule) = &p.view.underserved_rule {
            line(
                &mut md,
                &format!(
                    "- Règle de sous-desserte : {rule} ({} zone(s) signalée(s))",
                    c.underserved.len()
                ),
            );
        }
        if let Some(f) = &c.figures {
            line(&mut md, "");
            line(&mut md, &format!("**{}**", f.title));
            line(&mut md, "");
            line(
                &mut md,
                &format!("| {} | {} | {} |", f.header[0], f.header[1], f.header[2]),
            );
            line(&mut md, "|---|---:|---:|");
            for r in &f.rows {
                line(&mut md, &format!("| {} | {} | {} |", r[0], r[1], r[2]));
            }
        }
        line(&mut md, "");
        line(&mut md, &format!("- {}", c.sources));
        line(&mut md, "");
        line(&mut md, "Observations du comité :");
        line(&mut md, "");
        line(
            &mut md,
            "______________________________________________________",
        );
    }
    line(&mut md, "");
    line(&mut md, "## Décisions");
    line(&mut md, "");
    line(&mut md, "| N° | Décision | Porteur | Échéance |");
    line(&mut md, "|---|---|---|---|");
    for n in 1..=3 {
        line(&mut md, &format!("| {n} |  |  |  |"));
    }
    line(&mut md, "");
    line(&mut md, "## Amendements");
    line(&mut md, "");
    line(&mut md, "| Vue ou proposition | Amendement demandé | Par |");
    line(&mut md, "|---|---|---|");
    line(&mut md, "|  |  |  |");
    line(&mut md, "");
    line(&mut md, "## Prochaines étapes");
    line(&mut md, "");
    line(&mut md, "| Action | Responsable | Échéance |");
    line(&mut md, "|---|---|---|");
    line(&mut md, "|  |  |  |");
    line(&mut md, "");
    line(&mut md, "**Prochaine réunion :** ____ / ____ / ________");
    md
}

/// Writes the deck of the project's saved views: the PDF, the PNG slides and the minutes
/// template, those `request` asks for. The one path of `cartosol deck` and of the app's menu.
pub fn write_deck(
    project: &mut Project,
    request: &DeckRequest,
    options: &DeckOptions,
) -> Result<DeckReport, ExportError> {
    let pages = deck_pages(project, options)?;
    let mut report = DeckReport {
        views: pages.iter().map(|p| p.view.name.clone()).collect(),
        files: Vec::new(),
    };
    if let Some(path) = &request.pdf {
        let bytes = deck_pdf(&pages, &project.file.title)?;
        write_atomic(path, &bytes)?;
        report.files.push(path.clone());
    }
    if let Some(dir) = &request.png_dir {
        std::fs::create_dir_all(dir).map_err(|e| ExportError::io(dir, e))?;
        for (i, page) in pages.iter().enumerate() {
            let mut base = slug(&page.view.name);
            if base.is_empty() {
                base = "vue".to_owned();
            }
            let path = dir.join(format!("{:02}-{base}.png", i + 1));
            let bytes = svg_to_png(&page.svg, SLIDE_WIDTH_PX, SLIDE_HEIGHT_PX)?;
            write_atomic(&path, &bytes)?;
            report.files.push(path);
        }
    }
    if let Some(path) = &request.minutes {
        let made_on = options
            .date
            .rsplit(" le ")
            .next()
            .and_then(|d| d.split(' ').next())
            .unwrap_or(&options.date)
            .to_owned();
        let md = minutes_markdown(&project.file, &pages, &made_on);
        write_atomic(path, md.as_bytes())?;
        report.files.push(path.clone());
    }
    Ok(report)
}
