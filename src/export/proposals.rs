//! The action sheets of the proposals per axis (fiches-actions): one XLSX workbook (a sheet
//! per axis and a sheet of what is incomplete, through [`super::data::write_workbook`]) and
//! one editable DOCX document per proposal holding its texts, its indicator table and the map
//! of its need — the project's map ([`compose_project`] → [`render_svg`] → [`svg_to_png`])
//! over the need's zone layer, the linked zones outlined with the rule « Besoin visé par la
//! piste ». `cartosol pistes` and the app's *Pistes de contractualisation* both call
//! [`write_proposals_workbook`] and [`write_proposal_documents`].
//!
//! The DOCX is written by hand (WordprocessingML in the zip writer the project already
//! uses): a document, its styles and its image, nothing more.

use super::atlas::slug;
use super::compose::{RenderOptions, compose_project, padded_bbox};
use super::data::{DataExportOptions, ExportReport, SheetSpec, write_workbook};
use super::deck::{fictive_data, zone_row};
use super::page::Preset;
use super::raster::svg_to_png;
use super::secrecy::{SECRECY_THRESHOLD, SecrecyGuard, ZoneLevel};
use super::svg::render_svg;
use super::{ExportError, write_atomic};
use crate::analysis::proposals::{
    AXES, Gap, Proposal, T0, axis_name, axis_short, axis_table, completeness, display_title,
    indicator_t0,
};
use crate::model::Table;
use crate::project::Project;
use crate::style::map_style::MapOverlay;
use crate::value::Value;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The legend row of the linked zones on the map of a need.
pub const NEED_RULE: &str = "Besoin visé par la piste";

/// Width of the map of a need, pixels (A4 landscape at 150 dpi).
pub const NEED_MAP_WIDTH_PX: u32 = 1754;
/// Height of the map of a need, pixels.
pub const NEED_MAP_HEIGHT_PX: u32 = 1240;

/// Options of the action sheets.
#[derive(Clone, Debug, PartialEq)]
pub struct ProposalExportOptions {
    /// The date line of the maps (`Carte réalisée le 01/02/2026 avec CartoSol`).
    pub date: String,
    /// A folder of cached basemap tiles; without it, the maps have no basemap.
    pub tile_cache: Option<PathBuf>,
    /// Statistical secrecy, as for every export.
    pub secrecy: SecrecyGuard,
}

impl Default for ProposalExportOptions {
    /// Dated today, no basemap, secrecy on.
    fn default() -> Self {
        let r = RenderOptions::new(Preset::A4Landscape);
        ProposalExportOptions {
            date: r.date,
            tile_cache: None,
            secrecy: r.secrecy,
        }
    }
}

/// Whether the T0 `t0` of indicator `code` must be masked: a count sensitive by nature or
/// marked (households, persons…) below the secrecy threshold, the guard not lifted — the
/// figure of one or a few communes could identify households.
pub fn t0_is_secret(guard: &SecrecyGuard, code: &str, t0: &T0) -> bool {
    let small = matches!(t0, T0::Baseline { value, .. } if *value < SECRECY_THRESHOLD);
    small && !guard.lifted && !code.trim().is_empty() && guard.is_sensitive(code.trim())
}

/// The note that replaces a masked T0's origin.
const SECRET_T0: &str = "secret statistique : effectif inférieur à 11, masqué";

/// The table of the completeness messages (axe, proposition, message).
pub fn completeness_table(proposals: &[Proposal], gaps: &[Gap]) -> Table {
    let text = |s: String| {
        if s.is_empty() {
            Value::Missing(crate::value::Missing::Empty)
        } else {
            Value::Text(s)
        }
    };
    let mut cols: Vec<Vec<Value>> = vec![Vec::new(); 3];
    for g in gaps {
        let title = g
            .proposal
            .and_then(|i| proposals.get(i))
            .map(display_title)
            .unwrap_or_default();
        for (c, v) in cols.iter_mut().zip([
            text(axis_short(g.axis)),
            text(title),
            text(g.message.clone()),
        ]) {
            c.push(v);
        }
    }
    let rows = cols.first().map_or(0, Vec::len);
    Table {
        fields: ["axe", "proposition", "a_completer"]
            .iter()
            .zip(cols)
            .map(|(n, values)| crate::model::Field {
                name: (*n).to_owned(),
                kind: crate::model::FieldKind::Text,
                values: values.into(),
            })
            .collect(),
        row_origin: (1..=rows as u64).collect(),
    }
}

/// Masks the T0 cells of `table` (the sheet of `axis`, rows in [`axis_table`]'s order) that
/// [`t0_is_secret`] says must not leave.
fn mask_secret_t0(
    table: &mut Table,
    proposals: &[Proposal],
    baseline: Option<&crate::baseline::spec::Baseline>,
    axis: u8,
    guard: &SecrecyGuard,
) {
    let rows: Vec<bool> = proposals
        .iter()
        .filter(|p| p.axis == axis)
        .flat_map(|p| {
            let secret: Vec<bool> = p
                .indicators
                .iter()
                .map(|ind| t0_is_secret(guard, &ind.code, &indicator_t0(baseline, &p.need, ind)))
                .collect();
            if secret.is_empty() {
                vec![false]
            } else {
                secret
            }
        })
        .collect();
    let (Some(t0), Some(origin)) = (table.field_index("t0"), table.field_index("origine_t0"))
    else {
        return;
    };
    for (r, secret) in rows.iter().enumerate() {
        if !secret {
            continue;
        }
        if let Some(f) = table.fields.get_mut(t0) {
            f.values
                .set(r, Value::Missing(crate::value::Missing::Secret));
        }
        if let Some(f) = table.fields.get_mut(origin) {
            f.values.set(r, Value::Text(SECRET_T0.to_owned()));
        }
    }
}

/// Writes the workbook of the action sheets: one sheet per axis (« Axe 1 » … « Axe 4 », see
/// [`axis_table`]), then « À compléter » listing the completeness messages. T0 are computed
/// from the project's frozen baseline.
pub fn write_proposals_workbook(
    project: &Project,
    path: &Path,
    secrecy: &SecrecyGuard,
) -> Result<Vec<ExportReport>, ExportError> {
    let file = &project.file;
    let baseline = file.t0.as_ref();
    let tables: Vec<(String, Table)> = (1..=AXES.len() as u8)
        .map(|axis| {
            let mut table = axis_table(&file.proposals, baseline, axis);
            mask_secret_t0(&mut table, &file.proposals, baseline, axis, secrecy);
            (axis_short(axis), table)
        })
        .collect();
    let gaps = completeness(&file.proposals, baseline);
    let gaps_table = completeness_table(&file.proposals, &gaps);
    let mut sheets: Vec<SheetSpec<'_>> = tables
        .iter()
        .map(|(name, table)| SheetSpec {
            name,
            table,
            level: ZoneLevel::Aggregate,
        })
        .collect();
    sheets.push(SheetSpec {
        name: "À compléter",
        table: &gaps_table,
        level: ZoneLevel::Aggregate,
    });
    let options = DataExportOptions {
        secrecy: secrecy.clone(),
        dictionary: file.dictionary.clone(),
        ..DataExportOptions::default()
    };
    write_workbook(path, &sheets, &options, secrecy)
}

/// The map of the need of `proposal` as PNG ([`NEED_MAP_WIDTH_PX`] × [`NEED_MAP_HEIGHT_PX`]):
/// the project's map drawn over the need's zone layer, showing its first linked indicator
/// when that layer has it, framed on the linked zones and outlining them with the rule
/// [`NEED_RULE`]. The project's map is left as it was.
pub fn need_map_png(
    project: &mut Project,
    proposal: &Proposal,
    options: &ProposalExportOptions,
) -> Result<Vec<u8>, ExportError> {
    let saved = project.file.map.clone();
    let result = need_map_inner(project, proposal, options);
    project.file.map = saved;
    result
}

fn need_map_inner(
    project: &mut Project,
    proposal: &Proposal,
    options: &ProposalExportOptions,
) -> Result<Vec<u8>, ExportError> {
    let need = &proposal.need;
    let layer_id = need.layer.trim();
    if !layer_id.is_empty() && project.zones.iter().any(|(s, _)| s.id == layer_id) {
        project.file.map.zones = layer_id.to_owned();
    }
    let map_zones = project.file.map.zones.clone();
    if let Some((_, layer)) = project.zones.iter().find(|(s, _)| s.id == map_zones)
        && let Some(code) = need.indicators.iter().find(|c| {
            layer
                .attributes
                .field(c.trim())
                .is_some_and(|f| f.kind == crate::model::FieldKind::Number)
        })
    {
        project.file.map.indicator = code.trim().to_owned();
        project.file.map.indicator_label = None;
    }
    project.file.map.subtitle = None;
    project.file.map.view = None;
    let (rows, extent) = {
        let (spec, layer) = super::compose::map_layer(project)?;
        let rows: Vec<usize> = need
            .zones
            .iter()
            .filter_map(|c| zone_row(spec, layer, c))
            .collect();
        let union: Vec<geo::Polygon<f64>> = rows
            .iter()
            .filter_map(|&r| layer.geometries.get(r))
            .flat_map(|g| g.0.iter().cloned())
            .collect();
        let extent = (!union.is_empty())
            .then(|| padded_bbox(&geo::MultiPolygon(union), 0.25))
            .flatten();
        (rows, extent)
    };
    let render = RenderOptions {
        preset: Preset::Custom {
            width_px: NEED_MAP_WIDTH_PX,
            height_px: NEED_MAP_HEIGHT_PX,
        },
        view: None,
        date: options.date.clone(),
        tile_cache: options.tile_cache.clone(),
        secrecy: options.secrecy.clone(),
        overlay: MapOverlay {
            underserved: rows,
            rule: Some(NEED_RULE.to_owned()),
            fill: None,
        },
    };
    let mut composition = compose_project(project, &render)?;
    if let Some(extent) = extent {
        composition.extent = extent;
    }
    composition.subtitle = Some(format!(
        "{} — {} — {}",
        axis_short(proposal.axis),
        display_title(proposal),
        composition.legend.title
    ));
    if fictive_data(&project.file) {
        composition.notes.insert(
            0,
            "Données FICTIVES : ne pas diffuser comme résultats.".to_owned(),
        );
    }
    svg_to_png(
        &render_svg(&composition),
        NEED_MAP_WIDTH_PX,
        NEED_MAP_HEIGHT_PX,
    )
}

// ---------------------------------------------------------------------------------------------
// DOCX (WordprocessingML).

/// Escapes text for XML.
fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

fn run(text: &str, bold: bool) -> String {
    let props = if bold { "<w:rPr><w:b/></w:rPr>" } else { "" };
    format!(
        "<w:r>{props}<w:t xml:space=\"preserve\">{}</w:t></w:r>",
        xml_escape(text)
    )
}

/// Paragraphs of `text` (one per line) in `style` (`None`: normal).
fn paragraphs(text: &str, style: Option<&str>) -> String {
    let ppr = style.map_or_else(String::new, |s| {
        format!("<w:pPr><w:pStyle w:val=\"{s}\"/></w:pPr>")
    });
    let lines: Vec<&str> = if text.trim().is_empty() {
        vec!["(à compléter)"]
    } else {
        text.trim_end().lines().collect()
    };
    lines
        .iter()
        .map(|l| format!("<w:p>{ppr}{}</w:p>", run(l, false)))
        .collect()
}

fn labelled(label: &str, value: &str) -> String {
    let value = if value.trim().is_empty() {
        "(à compléter)"
    } else {
        value.trim()
    };
    format!(
        "<w:p>{}{}</w:p>",
        run(&format!("{label} : "), true),
        run(value, false)
    )
}

/// A table with a bold header row; `widths_twips` gives the columns' widths.
fn table(header: &[&str], rows: &[Vec<String>], widths_twips: &[u32]) -> String {
    let border = |side: &str| {
        format!("<w:{side} w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"808080\"/>")
    };
    let borders: String = ["top", "left", "bottom", "right", "insideH", "insideV"]
        .iter()
        .map(|s| border(s))
        .collect();
    let mut out = format!(
        "<w:tbl><w:tblPr><w:tblW w:w=\"0\" w:type=\"auto\"/><w:tblBorders>{borders}</w:tblBorders></w:tblPr><w:tblGrid>"
    );
    for w in widths_twips {
        out.push_str(&format!("<w:gridCol w:w=\"{w}\"/>"));
    }
    out.push_str("</w:tblGrid>");
    let cell = |text: &str, w: u32, bold: bool| {
        format!(
            "<w:tc><w:tcPr><w:tcW w:w=\"{w}\" w:type=\"dxa\"/></w:tcPr><w:p>{}</w:p></w:tc>",
            run(text, bold)
        )
    };
    out.push_str("<w:tr><w:trPr><w:tblHeader/></w:trPr>");
    for (h, w) in header.iter().zip(widths_twips) {
        out.push_str(&cell(h, *w, true));
    }
    out.push_str("</w:tr>");
    for r in rows {
        out.push_str("<w:tr>");
        for (c, w) in r.iter().zip(widths_twips) {
            out.push_str(&cell(c, *w, false));
        }
        out.push_str("</w:tr>");
    }
    out.push_str("</w:tbl>");
    out
}

/// The header of the indicator table of a proposal document.
pub const INDICATOR_HEADER: [&str; 7] = [
    "Indicateur",
    "Type",
    "Code",
    "T0",
    "Origine du T0",
    "Cible",
    "Échéance",
];

/// The rows of the indicator table of `proposal` (T0 from `baseline`, see [`indicator_t0`];
/// small sensitive counts masked by `guard`, see [`t0_is_secret`]).
pub fn indicator_rows(
    proposal: &Proposal,
    baseline: Option<&crate::baseline::spec::Baseline>,
    guard: &SecrecyGuard,
) -> Vec<Vec<String>> {
    proposal
        .indicators
        .iter()
        .map(|ind| {
            let t0 = indicator_t0(baseline, &proposal.need, ind);
            let secret = t0_is_secret(guard, &ind.code, &t0);
            let origin = match &t0 {
                _ if secret => SECRET_T0.to_owned(),
                T0::Missing(why) => format!("manquant : {why}"),
                other => other.origin(),
            };
            vec![
                ind.label.trim().to_owned(),
                ind.role.label().to_owned(),
                ind.code.trim().to_owned(),
                if secret {
                    "s".to_owned()
                } else {
                    t0.value_text()
                },
                origin,
                ind.target.trim().to_owned(),
                ind.date.trim().to_owned(),
            ]
        })
        .collect()
}

/// A piece of an action sheet, laid out alike by the DOCX and the PDF writers.
#[derive(Clone, Debug, PartialEq)]
enum Block {
    Title(String),
    Subtitle(String),
    Alert(String),
    Labelled(&'static str, String),
    Heading(String),
    Text(String),
    Map,
    Table(Vec<Vec<String>>),
}

/// The content of the action sheet of `proposal`: title, axis, actor, the need (layer, zones,
/// indicators, scheme), the map when `has_map`, the four criteria, the indicator table with T0
/// (small sensitive counts masked by `guard`), target and date, then what is incomplete.
fn sheet_blocks(
    project: &Project,
    proposal: &Proposal,
    has_map: bool,
    gaps: &[String],
    guard: &SecrecyGuard,
) -> Vec<Block> {
    let file = &project.file;
    let mut out = vec![
        Block::Title(display_title(proposal)),
        Block::Subtitle(axis_name(proposal.axis)),
    ];
    if fictive_data(file) {
        out.push(Block::Alert(
            "Données FICTIVES : ne pas diffuser comme résultats.".to_owned(),
        ));
    }
    out.push(Block::Labelled("Projet", file.title.clone()));
    out.push(Block::Labelled("Acteur associé", proposal.actor.clone()));
    out.push(Block::Heading("Besoin visé".to_owned()));
    let need = &proposal.need;
    out.push(Block::Labelled("Couche des zones", need.layer.clone()));
    let zone_names: Vec<String> = need
        .zones
        .iter()
        .map(|code| {
            project
                .zones
                .iter()
                .find(|(s, _)| s.id == need.layer.trim())
                .and_then(|(s, l)| {
                    let r = zone_row(s, l, code)?;
                    let f = l.attributes.field_index(&s.name_field)?;
                    l.attributes.text(f, r)
                })
                .map_or_else(|| code.clone(), |n| format!("{n} ({code})"))
        })
        .collect();
    out.push(Block::Labelled("Zones visées", zone_names.join(", ")));
    let indicators: Vec<String> = need
        .indicators
        .iter()
        .map(|c| crate::dictionary::label_with_code(&file.dictionary, c.trim()))
        .collect();
    out.push(Block::Labelled(
        "Indicateurs du besoin",
        indicators.join(" ; "),
    ));
    out.push(Block::Labelled("Dispositif", need.scheme.clone()));
    if has_map {
        out.push(Block::Map);
    }
    for (heading, text) in [
        (
            "1. Besoin non ou partiellement couvert (critères et chiffres)",
            &proposal.need_criterion,
        ),
        (
            "2. Articulation avec les autres acteurs",
            &proposal.articulation,
        ),
        (
            "3. Investissement de l'État et effet levier d'ici 2027",
            &proposal.state_investment,
        ),
        ("4. Objectif atteignable", &proposal.objective),
    ] {
        out.push(Block::Heading(heading.to_owned()));
        out.push(Block::Text(text.clone()));
    }
    out.push(Block::Heading(
        "Indicateurs de moyens et de résultats".to_owned(),
    ));
    let rows = indicator_rows(proposal, file.t0.as_ref(), guard);
    if rows.is_empty() {
        out.push(Block::Text("(aucun indicateur)".to_owned()));
    } else {
        out.push(Block::Table(rows));
    }
    if let Some(t0) = &file.t0 {
        out.push(Block::Text(format!(
            "T0 calculés sur la situation de référence figée le {} (valeurs figées, non recalculées).",
            t0.frozen_on
        )));
    }
    if !gaps.is_empty() {
        out.push(Block::Heading("À compléter".to_owned()));
        for g in gaps {
            out.push(Block::Text(format!("• {g}")));
        }
    }
    out
}

/// The body of `document.xml` for `proposal`.
fn document_xml(
    project: &Project,
    proposal: &Proposal,
    has_map: bool,
    gaps: &[String],
    guard: &SecrecyGuard,
) -> String {
    let mut body = String::new();
    for block in sheet_blocks(project, proposal, has_map, gaps, guard) {
        body.push_str(&match block {
            Block::Title(t) => paragraphs(&t, Some("Title")),
            Block::Subtitle(t) => paragraphs(&t, Some("Subtitle")),
            Block::Alert(t) => format!("<w:p>{}</w:p>", run(&t, true)),
            Block::Labelled(label, value) => labelled(label, &value),
            Block::Heading(t) => paragraphs(&t, Some("Heading1")),
            Block::Text(t) => paragraphs(&t, None),
            Block::Map => image_paragraph(),
            Block::Table(rows) => table(
                &INDICATOR_HEADER,
                &rows,
                &[2300, 900, 900, 900, 2400, 900, 900],
            ),
        });
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" \
xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\" \
xmlns:wp=\"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing\" \
xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" \
xmlns:pic=\"http://schemas.openxmlformats.org/drawingml/2006/picture\">\
<w:body>{body}<w:sectPr><w:pgSz w:w=\"11906\" w:h=\"16838\"/>\
<w:pgMar w:top=\"1134\" w:right=\"1134\" w:bottom=\"1134\" w:left=\"1134\" w:header=\"708\" w:footer=\"708\" w:gutter=\"0\"/>\
</w:sectPr></w:body></w:document>"
    )
}

/// The map, 17 cm wide, in the proportions of [`need_map_png`].
fn image_paragraph() -> String {
    let cx: u64 = 17 * 360_000;
    let cy: u64 = cx * u64::from(NEED_MAP_HEIGHT_PX) / u64::from(NEED_MAP_WIDTH_PX);
    format!(
        "<w:p><w:r><w:drawing><wp:inline distT=\"0\" distB=\"0\" distL=\"0\" distR=\"0\">\
<wp:extent cx=\"{cx}\" cy=\"{cy}\"/><wp:docPr id=\"1\" name=\"Carte du besoin\" descr=\"Carte du besoin visé par la piste\"/>\
<a:graphic><a:graphicData uri=\"http://schemas.openxmlformats.org/drawingml/2006/picture\">\
<pic:pic><pic:nvPicPr><pic:cNvPr id=\"0\" name=\"carte_besoin.png\"/><pic:cNvPicPr/></pic:nvPicPr>\
<pic:blipFill><a:blip r:embed=\"rIdCarte\"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>\
<pic:spPr><a:xfrm><a:off x=\"0\" y=\"0\"/><a:ext cx=\"{cx}\" cy=\"{cy}\"/></a:xfrm>\
<a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic>\
</wp:inline></w:drawing></w:r></w:p>"
    )
}

const CONTENT_TYPES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
<Default Extension=\"xml\" ContentType=\"application/xml\"/>\
<Default Extension=\"png\" ContentType=\"image/png\"/>\
<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>\
<Override PartName=\"/word/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>\
</Types>";

const ROOT_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>\
</Relationships>";

fn document_rels(has_map: bool) -> String {
    let image = if has_map {
        "<Relationship Id=\"rIdCarte\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/image\" Target=\"media/carte_besoin.png\"/>"
    } else {
        ""
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rIdStyles\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>{image}\
</Relationships>"
    )
}

const STYLES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<w:styles xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">\
<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii=\"Calibri\" w:hAnsi=\"Calibri\" w:cs=\"Calibri\"/>\
<w:sz w:val=\"21\"/><w:lang w:val=\"fr-FR\"/></w:rPr></w:rPrDefault>\
<w:pPrDefault><w:pPr><w:spacing w:after=\"80\"/></w:pPr></w:pPrDefault></w:docDefaults>\
<w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/></w:style>\
<w:style w:type=\"paragraph\" w:styleId=\"Title\"><w:name w:val=\"Title\"/><w:basedOn w:val=\"Normal\"/>\
<w:pPr><w:spacing w:after=\"120\"/></w:pPr><w:rPr><w:b/><w:sz w:val=\"36\"/><w:color w:val=\"1F3864\"/></w:rPr></w:style>\
<w:style w:type=\"paragraph\" w:styleId=\"Subtitle\"><w:name w:val=\"Subtitle\"/><w:basedOn w:val=\"Normal\"/>\
<w:rPr><w:i/><w:sz w:val=\"24\"/><w:color w:val=\"404040\"/></w:rPr></w:style>\
<w:style w:type=\"paragraph\" w:styleId=\"Heading1\"><w:name w:val=\"heading 1\"/><w:basedOn w:val=\"Normal\"/>\
<w:pPr><w:keepNext/><w:spacing w:before=\"240\" w:after=\"80\"/><w:outlineLvl w:val=\"0\"/></w:pPr>\
<w:rPr><w:b/><w:sz w:val=\"26\"/><w:color w:val=\"1F3864\"/></w:rPr></w:style>\
</w:styles>";

/// The DOCX of `proposal`: title, axis, actor, the need (layer, zones, indicators, scheme),
/// the map of the need when `map_png` is given, the four criteria, the indicator table with
/// T0 (and where each comes from; small sensitive counts masked by `secrecy`), target and
/// date, then what is still incomplete.
pub fn proposal_docx(
    project: &Project,
    proposal: &Proposal,
    map_png: Option<&[u8]>,
    secrecy: &SecrecyGuard,
) -> Result<Vec<u8>, ExportError> {
    let gaps = proposal_gaps(project, proposal);
    let doc = document_xml(project, proposal, map_png.is_some(), &gaps, secrecy);
    let err = |e: String| ExportError::Render(format!("DOCX : {e}"));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let rels = document_rels(map_png.is_some());
    let mut parts: Vec<(&str, &[u8], bool)> = vec![
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes(), true),
        ("_rels/.rels", ROOT_RELS.as_bytes(), true),
        ("word/document.xml", doc.as_bytes(), true),
        ("word/_rels/document.xml.rels", rels.as_bytes(), true),
        ("word/styles.xml", STYLES.as_bytes(), true),
    ];
    if let Some(png) = map_png {
        parts.push(("word/media/carte_besoin.png", png, false));
    }
    for (name, bytes, compress) in parts {
        zip.start_file(name, if compress { deflated } else { stored })
            .map_err(|e| err(e.to_string()))?;
        zip.write_all(bytes).map_err(|e| err(e.to_string()))?;
    }
    zip.finish()
        .map(std::io::Cursor::into_inner)
        .map_err(|e| err(e.to_string()))
}

/// A4 portrait page of the PDF sheet, in SVG pixels (150 dpi) and in points.
const SHEET_PX: (f32, f32) = (1240.0, 1754.0);
const SHEET_PT: (f32, f32) = (595.28, 841.89);
const SHEET_MARGIN_PX: f32 = 100.0;

/// Lines of at most `max_chars` characters, cut at spaces (a word longer than a line is cut).
fn wrap(text: &str, max_chars: usize) -> Vec<String> {
    let max_chars = max_chars.max(8);
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let mut word = word.to_owned();
            while word.chars().count() > max_chars {
                let head: String = word.chars().take(max_chars).collect();
                word = word.chars().skip(max_chars).collect();
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                lines.push(head);
            }
            let len = line.chars().count() + word.chars().count() + usize::from(!line.is_empty());
            if len > max_chars && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
        lines.push(line);
    }
    lines
}

/// SVG pages laid out top to bottom, a new page when the next piece does not fit.
struct SheetPages {
    pages: Vec<String>,
    current: String,
    y: f32,
}

impl SheetPages {
    fn new() -> Self {
        SheetPages {
            pages: Vec::new(),
            current: String::new(),
            y: SHEET_MARGIN_PX,
        }
    }

    fn room(&mut self, height: f32) {
        if self.y + height > SHEET_PX.1 - SHEET_MARGIN_PX && self.y > SHEET_MARGIN_PX {
            self.break_page();
        }
    }

    fn break_page(&mut self) {
        self.pages.push(std::mem::take(&mut self.current));
        self.y = SHEET_MARGIN_PX;
    }

    /// Wrapped lines of `text` at `size` px, `x` from the margin, in `weight`/`colour`.
    fn text(&mut self, text: &str, size: f32, bold: bool, colour: &str, x: f32) {
        let width = SHEET_PX.0 - 2.0 * SHEET_MARGIN_PX - x;
        // Ubuntu Light averages about 0.5 em per character.
        let max_chars = (width / (size * 0.5)) as usize;
        let weight = if bold { "bold" } else { "normal" };
        for line in wrap(text, max_chars) {
            self.room(size * 1.35);
            self.y += size * 1.35;
            self.current.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"{size}\" font-weight=\"{weight}\" fill=\"{colour}\">{}</text>\n",
                SHEET_MARGIN_PX + x,
                self.y,
                xml_escape(&line)
            ));
        }
    }

    fn finish(mut self) -> Vec<String> {
        if !self.current.is_empty() {
            self.pages.push(self.current);
        }
        let n = self.pages.len();
        self.pages
            .into_iter()
            .enumerate()
            .map(|(i, body)| {
                format!(
                    "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"Ubuntu\">\n\
<rect width=\"{w}\" height=\"{h}\" fill=\"white\"/>\n{body}\
<text x=\"{x:.1}\" y=\"{y:.1}\" font-size=\"14\" fill=\"#666666\" text-anchor=\"end\">{p} / {n}</text>\n</svg>\n",
                    w = SHEET_PX.0,
                    h = SHEET_PX.1,
                    x = SHEET_PX.0 - SHEET_MARGIN_PX,
                    y = SHEET_PX.1 - SHEET_MARGIN_PX / 2.0,
                    p = i + 1,
                )
            })
            .collect()
    }
}

/// The action sheet of `proposal` as SVG pages (A4 portrait): the same content as the DOCX
/// ([`proposal_docx`]), the map embedded as PNG.
fn sheet_svg_pages(
    project: &Project,
    proposal: &Proposal,
    map_png: Option<&[u8]>,
    gaps: &[String],
    secrecy: &SecrecyGuard,
) -> Vec<String> {
    let mut pages = SheetPages::new();
    let content_w = SHEET_PX.0 - 2.0 * SHEET_MARGIN_PX;
    for block in sheet_blocks(project, proposal, map_png.is_some(), gaps, secrecy) {
        match block {
            Block::Title(t) => pages.text(&t, 34.0, true, "#1a1a1a", 0.0),
            Block::Subtitle(t) => {
                pages.text(&t, 22.0, false, "#444444", 0.0);
                pages.y += 10.0;
            }
            Block::Alert(t) => pages.text(&t, 18.0, true, "#c01c28", 0.0),
            Block::Labelled(label, value) => {
                let value = if value.trim().is_empty() {
                    "(à compléter)".to_owned()
                } else {
                    value
                };
                pages.text(&format!("{label} : {value}"), 17.0, false, "#1a1a1a", 0.0);
            }
            Block::Heading(t) => {
                pages.room(80.0);
                pages.y += 18.0;
                pages.text(&t, 22.0, true, "#1a1a1a", 0.0);
            }
            Block::Text(t) => {
                let t = if t.trim().is_empty() {
                    "(à compléter)".to_owned()
                } else {
                    t
                };
                pages.text(&t, 17.0, false, "#1a1a1a", 0.0);
            }
            Block::Map => {
                if let Some(png) = map_png {
                    let h = content_w * NEED_MAP_HEIGHT_PX as f32 / NEED_MAP_WIDTH_PX as f32;
                    pages.room(h + 20.0);
                    pages.y += 10.0;
                    pages.current.push_str(&format!(
                        "<image x=\"{x:.1}\" y=\"{y:.1}\" width=\"{content_w:.1}\" height=\"{h:.1}\" xlink:href=\"data:image/png;base64,{}\"/>\n",
                        crate::export::svg::base64(png),
                        x = SHEET_MARGIN_PX,
                        y = pages.y,
                    ));
                    pages.y += h + 10.0;
                }
            }
            Block::Table(rows) => {
                let widths = [2300.0, 900.0, 900.0, 900.0, 2400.0, 900.0, 900.0];
                let total: f32 = widths.iter().sum();
                let col_w: Vec<f32> = widths.iter().map(|w| w / total * content_w).collect();
                let size = 13.0;
                let header: Vec<String> =
                    INDICATOR_HEADER.iter().map(|h| (*h).to_owned()).collect();
                let laid: Vec<(Vec<Vec<String>>, f32)> = std::iter::once(&header)
                    .chain(rows.iter())
                    .map(|row| {
                        let cells: Vec<Vec<String>> = row
                            .iter()
                            .zip(&col_w)
                            .map(|(c, w)| wrap(c, ((w - 8.0) / (size * 0.5)) as usize))
                            .collect();
                        let lines = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
                        (cells, lines as f32 * size * 1.3 + 8.0)
                    })
                    .collect();
                // The header never stands alone at the foot of a page.
                pages.room(laid.iter().take(2).map(|(_, h)| h).sum());
                for (r, (cells, h)) in laid.iter().enumerate() {
                    let h = *h;
                    pages.room(h);
                    let mut x = SHEET_MARGIN_PX;
                    let weight = if r == 0 { "bold" } else { "normal" };
                    for (cell, w) in cells.iter().zip(&col_w) {
                        pages.current.push_str(&format!(
                            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" fill=\"{fill}\" stroke=\"#808080\" stroke-width=\"1\"/>\n",
                            y = pages.y,
                            fill = if r == 0 { "#eeeeee" } else { "none" },
                        ));
                        for (k, line) in cell.iter().enumerate() {
                            pages.current.push_str(&format!(
                                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"{size}\" font-weight=\"{weight}\" fill=\"#1a1a1a\">{}</text>\n",
                                x + 4.0,
                                pages.y + 4.0 + (k as f32 + 1.0) * size * 1.3 - size * 0.3,
                                xml_escape(line)
                            ));
                        }
                        x += w;
                    }
                    pages.y += h;
                }
                pages.y += 8.0;
            }
        }
    }
    pages.finish()
}

/// The PDF of `proposal`'s action sheet (A4 portrait, vector text, the map as an image): the
/// same content as its DOCX, for those who read rather than edit.
pub fn proposal_pdf(
    project: &Project,
    proposal: &Proposal,
    map_png: Option<&[u8]>,
    secrecy: &SecrecyGuard,
) -> Result<Vec<u8>, ExportError> {
    let gaps = proposal_gaps(project, proposal);
    let svgs = sheet_svg_pages(project, proposal, map_png, &gaps, secrecy);
    let named: Vec<(String, &str)> = svgs
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("fiche, page {}", i + 1), s.as_str()))
        .collect();
    crate::export::deck::svg_pages_pdf(&named, SHEET_PT, &display_title(proposal))
}

/// What is still incomplete in `proposal` (messages in French).
fn proposal_gaps(project: &Project, proposal: &Proposal) -> Vec<String> {
    let all = completeness(&project.file.proposals, project.file.t0.as_ref());
    let index = project.file.proposals.iter().position(|p| p == proposal);
    all.into_iter()
        .filter(|g| index.is_some() && g.proposal == index)
        .map(|g| g.message)
        .collect()
}

/// The file name of the document of proposal `index` (`axe1-01-relais-petite-enfance.docx`).
pub fn document_name(proposal: &Proposal, index: usize) -> String {
    let mut base = slug(&display_title(proposal));
    if base.is_empty() {
        base = "piste".to_owned();
    }
    format!("axe{}-{:02}-{base}.docx", proposal.axis, index + 1)
}

/// Writes one DOCX (editable) and one PDF per proposal of the project into `dir` (created when
/// missing), each with the map of its need; returns the files written, in the proposals'
/// order, each DOCX followed by its PDF.
pub fn write_proposal_documents(
    project: &mut Project,
    dir: &Path,
    options: &ProposalExportOptions,
) -> Result<Vec<PathBuf>, ExportError> {
    std::fs::create_dir_all(dir).map_err(|e| ExportError::io(dir, e))?;
    let proposals = project.file.proposals.clone();
    let mut files = Vec::with_capacity(proposals.len());
    for (i, p) in proposals.iter().enumerate() {
        let map = need_map_png(project, p, options)?;
        let bytes = proposal_docx(project, p, Some(&map), &options.secrecy)?;
        let path = dir.join(document_name(p, i));
        write_atomic(&path, &bytes)?;
        files.push(path.clone());
        let pdf = proposal_pdf(project, p, Some(&map), &options.secrecy)?;
        let pdf_path = path.with_extension("pdf");
        write_atomic(&pdf_path, &pdf)?;
        files.push(pdf_path);
    }
    Ok(files)
}
