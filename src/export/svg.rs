//! The SVG of a map composition: the one drawing every map export goes through (SVG files,
//! PNG through [`crate::export::raster`], the atlas). Zones are Web-Mercator projected to the
//! page and drawn as `fill-rule="evenodd"` paths, so multi-polygons and holes come out right
//! with no triangulation.
//!
//! Page units are pixels of the target image; sizes of text and symbols are given in points
//! (1/72 in) and scaled by [`crate::export::page::Page::pt`], so an A4 page at 300 dpi and a
//! 1920×1080 slide show the same layout.

use super::composition::{MapComposition, SymbolShape, ZonePaint};
use super::projection::{Frame, Projector};
use super::text::{capitalise, text_width, wrap, xml_escape};
use super::tiles::tile_bounds_web_mercator_m;
use crate::style::labels::{
    BoxIndex, LABEL_SIZE_PX, LABELS_MAX_PER_LAYER, LabelBox, LabelRequest, PlacedLabel,
    label_box_height, label_min_zone_width_px, place_labels,
};
use crate::style::map_style::{
    CHOROPLETH_OUTLINE_ALPHA, MAP_BACKGROUND, PT_PER_PX, SYMBOL_HALO_ALPHA, SYMBOL_HALO_COLOR,
    SYMBOL_HALO_RATIO, SYMBOL_OUTLINE_COLOR, SYMBOL_SIZE_PX, UNDERSERVED_COLOR,
    UNDERSERVED_WIDTH_PX, ZONE_OUTLINE_ALPHA, zone_outline_color, zone_outline_width_px,
};
use crate::style::palette::{MISSING_HATCH_COLOR, hex};
use crate::style::{MISSING_COLOR, classify::format_fr};
use geo::MultiPolygon;
use std::fmt::Write as _;

/// The font family exported maps ask for (the bundled `assets/fonts/Ubuntu-Light.ttf`).
pub const FONT_FAMILY: &str = "Ubuntu";

fn r1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

struct Svg {
    out: String,
}

impl Svg {
    /// A line of text; `extra` holds further attributes (`font-weight`…).
    #[allow(clippy::too_many_arguments)]
    fn text(&mut self, x: f64, y: f64, size: f64, color: &str, anchor: &str, extra: &str, t: &str) {
        let _ = writeln!(
            self.out,
            r#"<text x="{}" y="{}" font-size="{}" fill="{color}" text-anchor="{anchor}"{extra}>{}</text>"#,
            r1(x),
            r1(y),
            r1(size),
            xml_escape(t)
        );
    }

    fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, style: &str) {
        let _ = writeln!(
            self.out,
            r#"<rect x="{}" y="{}" width="{}" height="{}" {style}/>"#,
            r1(x),
            r1(y),
            r1(w),
            r1(h)
        );
    }
}

/// Appends the SVG path data of a multipolygon (every ring, exterior and holes) to `d`,
/// dropping vertices that fall on the same tenth of a pixel as the previous one.
fn path_data(d: &mut String, geometry: &MultiPolygon<f64>, p: &Projector) {
    for polygon in &geometry.0 {
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            let mut last: Option<(f64, f64)> = None;
            let mut n = 0;
            for c in ring.coords() {
                let (x, y) = p.project(c.x, c.y);
                let q = (r1(x), r1(y));
                if last == Some(q) {
                    continue;
                }
                let _ = write!(d, "{}{} {}", if n == 0 { "M" } else { "L" }, q.0, q.1);
                last = Some(q);
                n += 1;
            }
            if n > 0 {
                d.push('Z');
            }
        }
    }
}

/// Where the zone names of `map` go on its page (page pixels), with their text size: placed by
/// the shared label placement ([`crate::style::labels::place_labels`]) as the app places them
/// on screen, every length of the screen printed at [`PT_PER_PX`] points per pixel: larger
/// zones first, off each other and off the symbols drawn (the mapped layer's names over the
/// fewest symbols when their zone leaves no other room), another layer's names only where
/// its zones are twice as wide.
pub fn map_labels(map: &MapComposition) -> Vec<(PlacedLabel, f64)> {
    place_page_labels(map, &map_projector(map), map.page.pt())
}

fn place_page_labels(map: &MapComposition, p: &Projector, pt: f64) -> Vec<(PlacedLabel, f64)> {
    if map.labels.is_empty() {
        return Vec::new();
    }
    let px = PT_PER_PX * pt;
    let f = p.frame;
    let frame = LabelBox {
        min: [f.x as f32, f.y as f32],
        max: [(f.x + f.w) as f32, (f.y + f.h) as f32],
    };
    // The symbols as drawn: their halo's box.
    let mut symbols = BoxIndex::new((32.0 * px) as f32);
    for group in &map.points {
        let d = (2.0 * symbol_radius(group.size_px, pt) * SYMBOL_HALO_RATIO) as f32;
        for pos in &group.positions {
            let (x, y) = p.project(pos.x(), pos.y());
            if frame.contains([x as f32, y as f32]) {
                symbols.insert(LabelBox::centred([x as f32, y as f32], [d, d]));
            }
        }
    }
    let mut placed = BoxIndex::new((32.0 * px) as f32);
    // The scale bar, north arrow and attribution are taken, as if named already.
    let furniture = map_furniture(map, p, pt);
    for b in &furniture {
        placed.insert(*b);
    }
    let mut out = Vec::new();
    for main in [true, false] {
        let min_width = f64::from(label_min_zone_width_px(main)) * px;
        let requests: Vec<(LabelRequest, f64)> = map
            .labels
            .iter()
            .enumerate()
            .filter(|(_, l)| l.main == main)
            .filter_map(|(i, l)| {
                let (x0, y1) = p.project(l.bbox.min().x, l.bbox.min().y);
                let (x1, y0) = p.project(l.bbox.max().x, l.bbox.max().y);
                let zone_box = LabelBox {
                    min: [x0.min(x1) as f32, y0.min(y1) as f32],
                    max: [x0.max(x1) as f32, y0.max(y1) as f32],
                };
                let in_view = zone_box.min[0] <= frame.max[0]
                    && zone_box.max[0] >= frame.min[0]
                    && zone_box.min[1] <= frame.max[1]
                    && zone_box.max[1] >= frame.min[1];
                if !in_view || (x1 - x0).abs() <= min_width {
                    return None;
                }
                let size = f64::from(l.size_px) * px;
                let (ax, ay) = p.project(l.anchor.x(), l.anchor.y());
                Some((
                    LabelRequest {
                        zone: i,
                        text: l.text.clone(),
                        anchor: [ax as f32, ay as f32],
                        zone_box,
                        size: [
                            (text_width(&l.text, size) + 8.0 * px) as f32,
                            (f64::from(label_box_height(l.size_px)) * px) as f32,
                        ],
                        priority: l.priority,
                    },
                    size,
                ))
            })
            .collect();
        if requests.len() > LABELS_MAX_PER_LAYER {
            continue;
        }
        let sizes: Vec<(usize, f64)> = requests.iter().map(|(r, s)| (r.zone, *s)).collect();
        let names = place_labels(
            requests.into_iter().map(|(r, _)| r).collect(),
            frame,
            &mut placed,
            &symbols,
            main,
        );
        out.extend(names.into_iter().map(|n| {
            let size = sizes
                .iter()
                .find(|(z, _)| *z == n.zone)
                .map_or(f64::from(LABEL_SIZE_PX) * px, |(_, s)| *s);
            (n, size)
        }));
    }
    out
}

/// The radius on the page of a symbol `size_px` screen pixels wide: half its width, printed at
/// [`PT_PER_PX`] points per pixel.
pub fn symbol_radius(size_px: f32, pt: f64) -> f64 {
    f64::from(size_px) / 2.0 * PT_PER_PX * pt
}

/// Draws a point symbol of radius `r` at (`x`, `y`): the shape's outline from the shared map
/// style, filled with `fill`, outlined in the style's symbol outline colour, on the style's
/// white halo when `halo` (on the map, as on screen; not in the legend).
#[allow(clippy::too_many_arguments)]
fn symbol(
    svg: &mut String,
    shape: SymbolShape,
    x: f64,
    y: f64,
    r: f64,
    fill: &str,
    stroke: f64,
    opacity: f32,
    halo: bool,
) {
    let opacity_value = opacity;
    let opacity = if opacity < 1.0 {
        format!(r#" opacity="{}""#, r1(f64::from(opacity) * 100.0) / 100.0)
    } else {
        String::new()
    };
    if halo {
        let _ = writeln!(
            svg,
            r#"<circle cx="{}" cy="{}" r="{}" fill="{}" fill-opacity="{}"/>"#,
            r1(x),
            r1(y),
            r1(r * SYMBOL_HALO_RATIO),
            hex(SYMBOL_HALO_COLOR),
            r1(f64::from(SYMBOL_HALO_ALPHA * opacity_value) * 100.0) / 100.0
        );
    }
    let style = format!(
        r#"fill="{fill}" stroke="{}" stroke-width="{}"{opacity}"#,
        hex(SYMBOL_OUTLINE_COLOR),
        r1(stroke * 10.0) / 10.0
    );
    let _ = match shape {
        SymbolShape::Circle => writeln!(
            svg,
            r#"<circle cx="{}" cy="{}" r="{}" {style}/>"#,
            r1(x),
            r1(y),
            r1(r)
        ),
        _ => {
            let points = shape
                .outline()
                .iter()
                .map(|(dx, dy)| format!("{},{}", r1(x + dx * r), r1(y + dy * r)))
                .collect::<Vec<_>>()
                .join(" ");
            writeln!(svg, r#"<polygon points="{points}" {style}/>"#)
        }
    };
}

/// A length of 1, 2 or 5 × 10ⁿ metres close to `metres`, and its label (`10 km`, `500 m`).
fn nice_length(metres: f64) -> (f64, String) {
    let exp = metres.max(1.0).log10().floor();
    let base = 10f64.powf(exp);
    let m = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|k| k * base)
        .rfind(|v| *v <= metres)
        .unwrap_or(base);
    let label = if m >= 1000.0 {
        format!("{} km", format_fr(m / 1000.0, 0))
    } else {
        format!("{} m", format_fr(m, 0))
    };
    (m, label)
}

/// Where things go on the page.
struct Layout {
    title_lines: Vec<String>,
    subtitle_top: f64,
    subtitle_lines: Vec<String>,
    footer_top: f64,
    footer_lines: Vec<String>,
    frame: Frame,
    panel: Frame,
}

fn layout(map: &MapComposition) -> Layout {
    let page = map.page;
    let w = f64::from(page.width_px);
    let h = f64::from(page.height_px);
    let pt = page.pt();
    let margin = 18.0 * pt;
    let title_size = 20.0 * pt;
    let title_lines = wrap(&map.title, title_size, w - 2.0 * margin);
    let subtitle_top =
        margin + title_size + (title_lines.len().max(1) - 1) as f64 * title_size * 1.2;
    let sub_size = 12.0 * pt;
    let subtitle_lines = map
        .subtitle
        .as_deref()
        .map(|s| wrap(s, sub_size, w - 2.0 * margin))
        .unwrap_or_default();
    let header_bottom = subtitle_top + subtitle_lines.len() as f64 * sub_size * 1.35 + 12.0 * pt;
    let foot_size = 7.5 * pt;
    let mut footer_lines = wrap(&map.sources, foot_size, w - 2.0 * margin);
    if let Some(b) = &map.basemap {
        footer_lines.push(format!("Fond de carte : {}", b.attribution));
    }
    footer_lines.push(map.date.clone());
    let footer_top = h - margin - footer_lines.len() as f64 * foot_size * 1.35;
    let gap = 12.0 * pt;
    let (frame, panel) = if page.landscape() {
        let panel_w = (w * 0.27).max(170.0 * pt).min(w * 0.4);
        (
            Frame {
                x: margin,
                y: header_bottom,
                w: w - 2.0 * margin - panel_w - gap,
                h: footer_top - gap - header_bottom,
            },
            Frame {
                x: w - margin - panel_w,
                y: header_bottom,
                w: panel_w,
                h: footer_top - gap - header_bottom,
            },
        )
    } else {
        let avail = footer_top - gap - header_bottom;
        let map_h = avail * 0.66;
        (
            Frame {
                x: margin,
                y: header_bottom,
                w: w - 2.0 * margin,
                h: map_h,
            },
            Frame {
                x: margin,
                y: header_bottom + map_h + gap,
                w: w - 2.0 * margin,
                h: avail - map_h - gap,
            },
        )
    };
    Layout {
        title_lines,
        subtitle_top,
        subtitle_lines,
        footer_top,
        footer_lines,
        frame,
        panel,
    }
}

/// How the map frame of `map` projects WGS84 to the page (for basemap tiles, or to place
/// anything else over the map).
pub fn map_projector(map: &MapComposition) -> Projector {
    Projector::fit(map.extent, layout(map).frame)
}

/// Draws the composition as a standalone SVG document.
///
/// The `viewBox` is the page in pixels; print presets also carry their physical size in
/// millimetres. Text asks for the bundled font family [`FONT_FAMILY`].
pub fn render_svg(map: &MapComposition) -> String {
    let page = map.page;
    let w = f64::from(page.width_px);
    let h = f64::from(page.height_px);
    let pt = page.pt();
    let margin = 18.0 * pt;
    let mut svg = Svg {
        out: String::with_capacity(256 * 1024),
    };
    let (wa, ha) = match page.size_mm {
        Some((mw, mh)) => (format!("{mw}mm"), format!("{mh}mm")),
        None => (page.width_px.to_string(), page.height_px.to_string()),
    };
    let _ = writeln!(
        svg.out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="{wa}" height="{ha}" viewBox="0 0 {} {}" font-family="{FONT_FAMILY}, sans-serif">"#,
        page.width_px, page.height_px
    );
    let _ = writeln!(svg.out, "<title>{}</title>", xml_escape(&map.title));
    // Hatching for missing values: grey ground, darker diagonal lines.
    let hatch = 5.0 * pt;
    let _ = writeln!(
        svg.out,
        r#"<defs><pattern id="manquant" patternUnits="userSpaceOnUse" width="{0}" height="{0}" patternTransform="rotate(45)"><rect width="{0}" height="{0}" fill="{1}"/><line x1="0" y1="0" x2="0" y2="{0}" stroke="{2}" stroke-width="{3}"/></pattern></defs>"#,
        r1(hatch),
        hex(MISSING_COLOR),
        hex(MISSING_HATCH_COLOR),
        r1(1.2 * pt)
    );
    svg.rect(0.0, 0.0, w, h, r##"fill="#ffffff""##);

    let layout = layout(map);
    let title_size = 20.0 * pt;
    for (i, line) in layout.title_lines.iter().enumerate() {
        let y = margin + title_size + i as f64 * title_size * 1.2;
        svg.text(
            margin,
            y,
            title_size,
            "#1a1a1a",
            "start",
            r#" font-weight="bold""#,
            line,
        );
    }
    let sub_size = 12.0 * pt;
    for (i, line) in layout.subtitle_lines.iter().enumerate() {
        let y = layout.subtitle_top + (i as f64 + 1.0) * sub_size * 1.35;
        svg.text(margin, y, sub_size, "#444444", "start", "", line);
    }
    let foot_size = 7.5 * pt;
    for (i, line) in layout.footer_lines.iter().enumerate() {
        svg.text(
            margin,
            layout.footer_top + (i as f64 + 1.0) * foot_size * 1.35,
            foot_size,
            "#555555",
            "start",
            "",
            line,
        );
    }
    let (frame, panel) = (layout.frame, layout.panel);
    let projector = Projector::fit(map.extent, frame);
    let _ = (w, h);
    draw_map(&mut svg, map, &projector, pt);
    // The panel shrinks its text when its content is taller than the room left by the map.
    let mut trial = Svg { out: String::new() };
    let bottom = draw_panel(&mut trial, map, panel, pt, page.landscape());
    let needed = bottom - panel.y + 4.0 * pt;
    if needed > panel.h && needed > 0.0 {
        let shrink = (panel.h / needed).max(0.5);
        draw_panel(&mut svg, map, panel, pt * shrink, page.landscape());
    } else {
        svg.out.push_str(&trial.out);
    }
    svg.out.push_str("</svg>\n");
    svg.out
}

fn draw_map(svg: &mut Svg, map: &MapComposition, p: &Projector, pt: f64) {
    let f = p.frame;
    let _ = writeln!(
        svg.out,
        r#"<clipPath id="cadre"><rect x="{}" y="{}" width="{}" height="{}"/></clipPath>"#,
        r1(f.x),
        r1(f.y),
        r1(f.w),
        r1(f.h)
    );
    svg.rect(
        f.x,
        f.y,
        f.w,
        f.h,
        &format!(r#"fill="{}""#, hex(MAP_BACKGROUND)),
    );
    svg.out.push_str(r#"<g clip-path="url(#cadre)">"#);
    svg.out.push('\n');
    if let Some(basemap) = &map.basemap {
        svg.out.push_str("<g id=\"fond-de-carte\">\n");
        for tile in &basemap.tiles {
            let (x0, y0, x1, y1) = tile_bounds_web_mercator_m(tile.z, tile.x, tile.y);
            let (px0, py0) = p.project_mercator(x0, y1);
            let (px1, py1) = p.project_mercator(x1, y0);
            let _ = writeln!(
                svg.out,
                r#"<image x="{}" y="{}" width="{}" height="{}" preserveAspectRatio="none" xlink:href="data:{};base64,{}"/>"#,
                r1(px0),
                r1(py0),
                r1(px1 - px0 + 0.2),
                r1(py1 - py0 + 0.2),
                tile.mime,
                base64(&tile.bytes)
            );
        }
        svg.out.push_str("</g>\n");
    }
    let _ = writeln!(
        svg.out,
        r##"<g id="zones" fill-rule="evenodd" stroke="{}" stroke-width="{}" stroke-opacity="{}" stroke-linejoin="round">"##,
        hex(zone_outline_color(true)),
        r1(f64::from(zone_outline_width_px(map.zones.len(), true)) * PT_PER_PX * pt * 10.0) / 10.0,
        r1(f64::from(CHOROPLETH_OUTLINE_ALPHA) * 100.0) / 100.0
    );
    for zone in &map.zones {
        let mut d = String::new();
        path_data(&mut d, &zone.geometry, p);
        if d.is_empty() {
            continue;
        }
        let fill = match &zone.paint {
            ZonePaint::Color(c) => hex(*c),
            ZonePaint::Missing(_) => "url(#manquant)".to_owned(),
        };
        if zone.opacity < 1.0 {
            let _ = writeln!(
                svg.out,
                r#"<path d="{d}" fill="{fill}" fill-opacity="{}" stroke-opacity="{}"/>"#,
                r1(f64::from(zone.opacity) * 100.0) / 100.0,
                r1(f64::from(zone.opacity) * 100.0) / 100.0
            );
        } else {
            let _ = writeln!(svg.out, r#"<path d="{d}" fill="{fill}"/>"#);
        }
    }
    svg.out.push_str("</g>\n");
    if !map.outlines.is_empty() {
        let _ = writeln!(
            svg.out,
            r#"<g id="contours" fill="none" stroke="{}" stroke-width="{}" stroke-opacity="{}" stroke-linejoin="round">"#,
            hex(zone_outline_color(false)),
            r1(f64::from(zone_outline_width_px(map.outlines.len(), false)) * PT_PER_PX * pt * 10.0)
                / 10.0,
            r1(f64::from(ZONE_OUTLINE_ALPHA) * 100.0) / 100.0
        );
        for outline in &map.outlines {
            let mut d = String::new();
            path_data(&mut d, outline, p);
            if !d.is_empty() {
                let _ = writeln!(svg.out, r#"<path d="{d}"/>"#);
            }
        }
        svg.out.push_str("</g>\n");
    }
    if let Some(highlight) = &map.highlight {
        let mut d = String::new();
        path_data(&mut d, highlight, p);
        let _ = writeln!(
            svg.out,
            r##"<path id="zone-mise-en-avant" d="{d}" fill="none" stroke="#111111" stroke-width="{}" stroke-linejoin="round"/>"##,
            r1(2.2 * pt)
        );
    }
    if !map.underserved.is_empty() {
        let _ = writeln!(
            svg.out,
            r#"<g id="sous-desservies" fill="none" stroke="{}" stroke-width="{}" stroke-linejoin="round">"#,
            hex(UNDERSERVED_COLOR),
            r1(f64::from(UNDERSERVED_WIDTH_PX) * PT_PER_PX * pt * 10.0) / 10.0
        );
        for zone in &map.underserved {
            let mut d = String::new();
            path_data(&mut d, zone, p);
            if !d.is_empty() {
                let _ = writeln!(svg.out, r#"<path d="{d}"/>"#);
            }
        }
        svg.out.push_str("</g>\n");
    }
    // Zone names: their backgrounds under the symbols, their text over them (as on screen).
    let names = place_page_labels(map, p, pt);
    if !names.is_empty() {
        svg.out
            .push_str("<g id=\"fonds-noms\" fill=\"#ffffff\" fill-opacity=\"0.67\">\n");
        let radius = r1(3.0 * PT_PER_PX * pt);
        for (label, _) in &names {
            let _ = writeln!(
                svg.out,
                r#"<rect x="{}" y="{}" width="{}" height="{}" rx="{radius}"/>"#,
                r1(f64::from(label.rect.min[0])),
                r1(f64::from(label.rect.min[1])),
                r1(f64::from(label.rect.max[0] - label.rect.min[0])),
                r1(f64::from(label.rect.max[1] - label.rect.min[1])),
            );
        }
        svg.out.push_str("</g>\n");
    }
    svg.out.push_str("<g id=\"points\">\n");
    for group in map.points.iter().rev() {
        // The symbol's width is given in screen pixels by the shared style, as on screen.
        let r = symbol_radius(group.size_px, pt);
        let fill = hex(group.color);
        for pos in &group.positions {
            let (x, y) = p.project(pos.x(), pos.y());
            if x < f.x - r || x > f.x + f.w + r || y < f.y - r || y > f.y + f.h + r {
                continue;
            }
            symbol(
                &mut svg.out,
                group.shape,
                x,
                y,
                r,
                &fill,
                0.45 * pt,
                group.opacity,
                true,
            );
        }
    }
    svg.out.push_str("</g>\n");
    if !names.is_empty() {
        svg.out.push_str("<g id=\"noms\">\n");
        for (label, size) in &names {
            let [x, y] = label.rect.centre();
            svg.text(
                f64::from(x),
                f64::from(y) + size * 0.35,
                *size,
                "#1e1e1e",
                "middle",
                "",
                &label.text,
            );
        }
        svg.out.push_str("</g>\n");
    }
    svg.out.push_str("</g>\n");
    let _ = writeln!(
        svg.out,
        r##"<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#333333" stroke-width="{}"/>"##,
        r1(f.x),
        r1(f.y),
        r1(f.w),
        r1(f.h),
        r1(pt)
    );
    draw_scale_bar(svg, p, pt);
    draw_north_arrow(svg, f, pt);
    if let Some(b) = &map.basemap {
        let size = 6.5 * pt;
        let text = format!("Fond : {}", b.attribution);
        let tw = text_width(&text, size);
        svg.rect(
            f.x + f.w - tw - 8.0 * pt,
            f.y + f.h - size * 1.8,
            tw + 8.0 * pt,
            size * 1.8,
            r##"fill="#ffffff" fill-opacity="0.8""##,
        );
        svg.text(
            f.x + f.w - 4.0 * pt,
            f.y + f.h - size * 0.55,
            size,
            "#333333",
            "end",
            "",
            &text,
        );
    }
}

/// The box of the scale bar's white background in the map's frame (none when the frame has
/// no scale).
fn scale_bar_box(p: &Projector, pt: f64) -> Option<LabelBox> {
    let f = p.frame;
    let mpp = p.metres_per_px();
    if !(mpp.is_finite() && mpp > 0.0) {
        return None;
    }
    let (metres, label) = nice_length(f.w * 0.2 * mpp);
    let len = metres / mpp;
    let (x, y, bar_h, size) = (f.x + 14.0 * pt, f.y + f.h - 16.0 * pt, 4.0 * pt, 8.0 * pt);
    let (x0, y0) = (x - 5.0 * pt, y - size - 6.0 * pt);
    let (w, h) = (
        len + 10.0 * pt + text_width(&label, size) * 0.5,
        size + bar_h + 12.0 * pt,
    );
    Some(LabelBox {
        min: [x0 as f32, y0 as f32],
        max: [(x0 + w) as f32, (y0 + h) as f32],
    })
}

/// The boxes the names keep clear of besides the symbols: the scale bar, the north arrow and
/// the basemap's attribution.
fn map_furniture(map: &MapComposition, p: &Projector, pt: f64) -> Vec<LabelBox> {
    let f = p.frame;
    let (cx, top) = (f.x + f.w - 18.0 * pt, f.y + 12.0 * pt);
    let mut out = vec![LabelBox {
        min: [(cx - 9.0 * pt) as f32, (top - 2.0 * pt) as f32],
        max: [(cx + 9.0 * pt) as f32, (top + 38.0 * pt) as f32],
    }];
    out.extend(scale_bar_box(p, pt));
    if let Some(b) = &map.basemap {
        let size = 6.5 * pt;
        let tw = text_width(&format!("Fond : {}", b.attribution), size);
        out.push(LabelBox {
            min: [
                (f.x + f.w - tw - 8.0 * pt) as f32,
                (f.y + f.h - size * 1.8) as f32,
            ],
            max: [(f.x + f.w) as f32, (f.y + f.h) as f32],
        });
    }
    out
}

fn draw_scale_bar(svg: &mut Svg, p: &Projector, pt: f64) {
    let f = p.frame;
    let mpp = p.metres_per_px();
    if !(mpp.is_finite() && mpp > 0.0) {
        return;
    }
    let (metres, label) = nice_length(f.w * 0.2 * mpp);
    let len = metres / mpp;
    let x = f.x + 14.0 * pt;
    let y = f.y + f.h - 16.0 * pt;
    let bar_h = 4.0 * pt;
    let size = 8.0 * pt;
    if let Some(b) = scale_bar_box(p, pt) {
        svg.rect(
            f64::from(b.min[0]),
            f64::from(b.min[1]),
            f64::from(b.max[0] - b.min[0]),
            f64::from(b.max[1] - b.min[1]),
            r##"fill="#ffffff" fill-opacity="0.8""##,
        );
    }
    let half = len / 2.0;
    svg.rect(x, y, half, bar_h, r##"fill="#222222""##);
    svg.rect(
        x + half,
        y,
        half,
        bar_h,
        &format!(
            r##"fill="#ffffff" stroke="#222222" stroke-width="{}""##,
            r1(0.6 * pt)
        ),
    );
    svg.text(x, y - 2.5 * pt, size, "#222222", "start", "", "0");
    svg.text(
        x + len,
        y - 2.5 * pt,
        size,
        "#222222",
        "middle",
        r#" class="echelle""#,
        &label,
    );
}

fn draw_north_arrow(svg: &mut Svg, f: Frame, pt: f64) {
    let cx = f.x + f.w - 18.0 * pt;
    let top = f.y + 12.0 * pt;
    let hgt = 22.0 * pt;
    let half_w = 7.0 * pt;
    let _ = writeln!(
        svg.out,
        r##"<g id="nord"><polygon points="{},{} {},{} {},{}" fill="#222222"/><polygon points="{},{} {},{} {},{}" fill="#ffffff" stroke="#222222" stroke-width="{}"/></g>"##,
        r1(cx),
        r1(top),
        r1(cx + half_w),
        r1(top + hgt),
        r1(cx),
        r1(top + hgt * 0.72),
        r1(cx),
        r1(top),
        r1(cx - half_w),
        r1(top + hgt),
        r1(cx),
        r1(top + hgt * 0.72),
        r1(0.6 * pt)
    );
    svg.text(
        cx,
        top + hgt + 11.0 * pt,
        10.0 * pt,
        "#222222",
        "middle",
        r#" font-weight="bold""#,
        "N",
    );
}

/// Draws the legend, point symbols, figures and notes; returns the lowest y reached.
fn draw_panel(svg: &mut Svg, map: &MapComposition, panel: Frame, pt: f64, landscape: bool) -> f64 {
    let x = panel.x;
    let mut y = panel.y;
    let width = if landscape {
        panel.w
    } else {
        panel.w * 0.5 - 8.0 * pt
    };
    let head = 11.5 * pt;
    let body = 9.5 * pt;
    let line = body * 1.75;
    let sw = 16.0 * pt;
    let sh = 11.0 * pt;
    // Legend title and method.
    for l in wrap(&map.legend.title, head, width) {
        y += head * 1.25;
        svg.text(x, y, head, "#1a1a1a", "start", r#" font-weight="bold""#, &l);
    }
    if !map.legend.method.is_empty() {
        y += body * 1.45;
        svg.text(x, y, body * 0.9, "#555555", "start", "", &map.legend.method);
    }
    y += 6.0 * pt;
    svg.out.push_str("<g id=\"legende\">\n");
    // One legend row: a swatch drawn with `swatch` (SVG attributes), its label wrapped beside.
    let row = |svg: &mut Svg, y: &mut f64, swatch: String, label: String| {
        svg.rect(x, *y, sw, sh, &swatch);
        let mut ly = *y;
        let room = width - sw - 6.0 * pt;
        let lines = if text_width(&label, body) <= room {
            vec![label]
        } else {
            wrap(&label, body, room)
        };
        for (i, l) in lines.iter().enumerate() {
            if i > 0 {
                ly += body * 1.3;
            }
            svg.text(
                x + sw + 6.0 * pt,
                ly + sh * 0.82,
                body,
                "#1a1a1a",
                "start",
                "",
                l,
            );
        }
        *y = ly + line;
    };
    let thin = r1(0.4 * pt * 10.0) / 10.0;
    for class in &map.legend.classes {
        row(
            svg,
            &mut y,
            format!(
                r##"fill="{}" stroke="#777777" stroke-width="{thin}""##,
                hex(class.color)
            ),
            format!("{}  ({})", class.label, class.count),
        );
    }
    for (missing, count) in &map.legend.missing {
        row(
            svg,
            &mut y,
            format!(r##"fill="url(#manquant)" stroke="#777777" stroke-width="{thin}""##),
            format!("{}  ({count})", capitalise(missing.label())),
        );
    }
    if let Some(outline) = &map.underserved_row {
        row(
            svg,
            &mut y,
            format!(
                r#"fill="none" stroke="{}" stroke-width="{}""#,
                hex(outline.color),
                r1(f64::from(UNDERSERVED_WIDTH_PX) * PT_PER_PX * pt * 10.0) / 10.0
            ),
            format!("{}  ({})", outline.label, outline.count),
        );
    }
    svg.out.push_str("</g>\n");

    let first_column_bottom = y;
    // Second column in portrait pages.
    let (x, mut y) = if landscape {
        (x, y + 8.0 * pt)
    } else {
        (panel.x + panel.w * 0.5 + 8.0 * pt, panel.y)
    };
    let mut heading: Option<&str> = None;
    for group in &map.points {
        if heading != Some(group.layer.as_str()) {
            if heading.is_some() {
                y += 4.0 * pt;
            }
            heading = Some(&group.layer);
            for l in wrap(&group.layer, head, width) {
                y += head * 1.25;
                svg.text(x, y, head, "#1a1a1a", "start", r#" font-weight="bold""#, &l);
            }
            y += 6.0 * pt;
        }
        symbol(
            &mut svg.out,
            group.shape,
            x + sw / 2.0,
            y + sh / 2.0,
            // The legend's symbol grows with the map's, within its row.
            (4.2 * pt * f64::from(group.size_px / SYMBOL_SIZE_PX)).clamp(2.5 * pt, sh * 0.6),
            &hex(group.color),
            0.5 * pt,
            1.0,
            false,
        );
        let label = format!("{}  ({})", group.theme, group.count);
        svg.text(
            x + sw + 6.0 * pt,
            y + sh * 0.82,
            body,
            "#1a1a1a",
            "start",
            "",
            &label,
        );
        y += line * 0.92;
    }
    if heading.is_some() {
        y += 6.0 * pt;
    }
    if let Some(fig) = &map.figures {
        y += head * 1.25;
        let title_lines = wrap(&fig.title, head, width);
        for (i, l) in title_lines.iter().enumerate() {
            if i > 0 {
                y += head * 1.25;
            }
            svg.text(x, y, head, "#1a1a1a", "start", r#" font-weight="bold""#, l);
        }
        let size = 8.5 * pt;
        let c1 = x + width * 0.62;
        let c2 = x + width;
        y += size * 1.7;
        svg.text(x, y, size, "#555555", "start", "", &fig.header[0]);
        svg.text(c1, y, size, "#555555", "end", "", &fig.header[1]);
        svg.text(c2, y, size, "#555555", "end", "", &fig.header[2]);
        svg.out.push_str("<g id=\"chiffres\">\n");
        for row in &fig.rows {
            y += size * 1.55;
            svg.text(x, y, size, "#1a1a1a", "start", "", &row[0]);
            svg.text(
                c1,
                y,
                size,
                "#1a1a1a",
                "end",
                r#" font-weight="bold""#,
                &row[1],
            );
            svg.text(c2, y, size, "#1a1a1a", "end", "", &row[2]);
        }
        svg.out.push_str("</g>\n");
        y += 8.0 * pt;
    }
    let size = 8.0 * pt;
    for note in &map.notes {
        y += 4.0 * pt;
        for l in wrap(note, size, width) {
            y += size * 1.35;
            svg.text(
                x,
                y,
                size,
                "#333333",
                "start",
                r#" font-style="italic""#,
                &l,
            );
        }
    }
    first_column_bottom.max(y)
}

/// Standard base64 (RFC 4648, with padding), for images embedded in the SVG.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_scale_lengths() {
        assert_eq!(nice_length(12_300.0).1, "10 km");
        assert_eq!(nice_length(640.0).1, "500 m");
        assert_eq!(nice_length(2_600.0).1, "2 km");
    }

    #[test]
    fn base64_rfc4648_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
