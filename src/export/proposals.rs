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
                values,
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
        if let Some(v) = table.fields.get_mut(t0).and_then(|f| f.values.get_mut(r)) {
            *v = Value::Missing(crate::value::Missing::Secret);
        }
        if let Some(v) = table
            .fields
            .get_mut(origin)
            .and_then(|f| f.values.get_mut(r))
        {
            *v = Value::Text(SECRET_T0.to_owned());
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

/// The body of `document.xml` for `proposal`.
fn document_xml(
    project: &Project,
    proposal: &Proposal,
    has_map: bool,
    gaps: &[String],
    guard: &SecrecyGuard,
) -> String {
    let file = &project.file;
    let mut body = String::new();
    body.push_str(&paragraphs(&display_title(proposal), Some("Title")));
    body.push_str(&paragraphs(&axis_name(proposal.axis), Some("Subtitle")));
    if fictive_data(file) {
        body.push_str(&format!(
            "<w:p>{}</w:p>",
            run("Données FICTIVES : ne pas diffuser comme résultats.", true)
        ));
    }
    body.push_str(&labelled("Projet", &file.title));
    body.push_str(&labelled("Acteur associé", &proposal.actor));
    body.push_str(&paragraphs("Besoin visé", Some("Heading1")));
    let need = &proposal.need;
    body.push_str(&labelled("Couche des zones", &need.layer));
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
    body.push_str(&labelled("Zones visées", &zone_names.join(", ")));
    let indicators: Vec<String> = need
        .indicators
        .iter()
        .map(|c| crate::dictionary::label_with_code(&file.dictionary, c.trim()))
        .collect();
    body.push_str(&labelled("Indicateurs du besoin", &indicators.join(" ; ")));
    body.push_str(&labelled("Dispositif", &need.scheme));
    if has_map {
        body.push_str(&image_paragraph());
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
        body.push_str(&paragraphs(heading, Some("Heading1")));
        body.push_str(&paragraphs(text, None));
    }
    body.push_str(&paragraphs(
        "Indicateurs de moyens et de résultats",
        Some("Heading1"),
    ));
    let rows = indicator_rows(proposal, file.t0.as_ref(), guard);
    if rows.is_empty() {
        body.push_str(&paragraphs("(aucun indicateur)", None));
    } else {
        body.push_str(&table(
            &INDICATOR_HEADER,
            &rows,
            &[2300, 900, 900, 900, 2400, 900, 900],
        ));
    }
    if let Some(t0) = &file.t0 {
        body.push_str(&paragraphs(
            &format!(
                "T0 calculés sur la situation de référence figée le {} (valeurs figées, non recalculées).",
                t0.frozen_on
            ),
            None,
        ));
    }
    if !gaps.is_empty() {
        body.push_str(&paragraphs("À compléter", Some("Heading1")));
        for g in gaps {
            body.push_str(&paragraphs(&format!("• {g}"), None));
        }
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
    let gaps: Vec<String> = {
        let all = completeness(&project.file.proposals, project.file.t0.as_ref());
        let index = project.file.proposals.iter().position(|p| p == proposal);
        all.into_iter()
            .filter(|g| index.is_some() && g.proposal == index)
            .map(|g| g.message)
            .collect()
    };
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

/// The file name of the document of proposal `index` (`axe1-01-relais-petite-enfance.docx`).
pub fn document_name(proposal: &Proposal, index: usize) -> String {
    let mut base = slug(&display_title(proposal));
    if base.is_empty() {
        base = "piste".to_owned();
    }
    format!("axe{}-{:02}-{base}.docx", proposal.axis, index + 1)
}

/// Writes one DOCX per proposal of the project into `dir` (created when missing), each with
/// the map of its need; returns the files written, in the proposals' order.
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
        files.push(path);
    }
    Ok(files)
}
