//! The shared map style as the exports draw it: layer opacity, palette direction by kind, point
//! themes that keep their colour when another is hidden, the other visible zone layers
//! outlined, and the analysis overlay (under-served outlines with the rule, bivariate fills).
//! Pixels are read back from the PNG the user would put in a report.

use cartosol::analysis::bivariate;
use cartosol::analysis::underserved::{
    NeedThreshold, OfferThreshold, UnderservedRule, underserved,
};
use cartosol::export::compose::analysis_overlay;
use cartosol::export::map::map_projector;
use cartosol::export::{Preset, RenderOptions, compose_project, render_png, render_svg};
use cartosol::project::{LayerStyle, MapSpec, Project, SAMPLE_PROJECT, open_project};
use cartosol::style::map_style::{
    MAP_BACKGROUND, THEME_COLORS, UNDERSERVED_COLOR, ZonePaint, class_colors,
};
use cartosol::style::{ClassMethod, palette};
use cartosol::value::Value;
use geo::InteriorPoint;
use std::path::Path;

fn layer(id: &str, visible: bool, opacity: f32) -> LayerStyle {
    LayerStyle {
        id: id.to_owned(),
        visible,
        opacity,
        label: None,
    }
}

/// The sample with its EPCI choropleth of TP60; town halls and communes hidden unless asked.
fn sample(layers: Vec<LayerStyle>) -> Project {
    let mut project = open_project(Path::new(SAMPLE_PROJECT)).expect("sample project");
    project.file.map = MapSpec {
        zones: "epci".to_owned(),
        indicator: "TP60".to_owned(),
        layers,
        ..MapSpec::default()
    };
    project
}

/// The colour of the PNG at the interior point of EPCI `i` (3×3 mode).
fn zone_pixel(project: &Project, options: &RenderOptions, i: usize) -> [u8; 3] {
    let composition = compose_project(project, options).unwrap();
    let png = render_png(&composition).unwrap();
    let img = image_rgb(&png);
    let p = project.zones[0].1.geometries[i].interior_point().unwrap();
    let (x, y) = map_projector(&composition).project(p.x(), p.y());
    mode(&img, x, y)
}

fn image_rgb(png: &[u8]) -> resvg::tiny_skia::Pixmap {
    resvg::tiny_skia::Pixmap::decode_png(png).unwrap()
}

fn mode(img: &resvg::tiny_skia::Pixmap, x: f64, y: f64) -> [u8; 3] {
    let mut counts = std::collections::HashMap::new();
    for dy in -3i64..=3 {
        for dx in -3i64..=3 {
            let p = img
                .pixel((x as i64 + dx) as u32, (y as i64 + dy) as u32)
                .unwrap();
            *counts.entry([p.red(), p.green(), p.blue()]).or_insert(0) += 1;
        }
    }
    counts.into_iter().max_by_key(|(_, n)| *n).unwrap().0
}

fn close(a: [u8; 3], b: [u8; 3], tol: u8) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= tol)
}

/// Town halls and communes hidden (the services stay).
fn hidden_others() -> Vec<LayerStyle> {
    vec![layer("mairies", false, 1.0), layer("communes", false, 1.0)]
}

/// Only the EPCI choropleth: fills sampled without symbols or outlines over them.
fn fills_only() -> Vec<LayerStyle> {
    let mut layers = hidden_others();
    layers.push(layer("services", false, 1.0));
    layers
}

#[test]
fn layer_opacity_reaches_the_export() {
    let mut layers = fills_only();
    let opaque = sample(layers.clone());
    layers.push(layer("epci", true, 0.5));
    let half = sample(layers);
    let options = RenderOptions::new(Preset::Slide);
    let svg = render_svg(&compose_project(&half, &options).unwrap());
    assert!(svg.contains(r#"fill-opacity="0.5""#));
    for i in 0..half.zones[0].1.len() {
        let full = zone_pixel(&opaque, &options, i);
        let seen = zone_pixel(&half, &options, i);
        // Half the class colour over the map background.
        let expected: [u8; 3] = std::array::from_fn(|k| {
            ((u16::from(full[k]) + u16::from(MAP_BACKGROUND[k])) / 2) as u8
        });
        assert!(
            close(seen, expected, 2),
            "EPCI {i}: {seen:?} vs {expected:?}"
        );
    }
}

#[test]
fn a_diverging_palette_paints_the_highest_values_in_its_warm_hue() {
    let mut project = sample(fills_only());
    project.file.map.classification.method = ClassMethod::Quantiles;
    project.file.map.classification.classes = 5;
    project.file.map.classification.palette = "RdBu".to_owned();
    let tp60: Vec<Option<f64>> = project.zones[0]
        .1
        .attributes
        .field("TP60")
        .unwrap()
        .values
        .iter()
        .map(cartosol::value::ValueRef::as_f64)
        .collect();
    let (top, _) = tp60
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (i, v)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    let (bottom, _) = tp60
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (i, v)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    let options = RenderOptions::new(Preset::Slide);
    // ColorBrewer RdBu at 5 classes: #ca0020 (red) … #0571b0 (blue).
    assert!(close(
        zone_pixel(&project, &options, top),
        [0xca, 0x00, 0x20],
        2
    ));
    assert!(close(
        zone_pixel(&project, &options, bottom),
        [0x05, 0x71, 0xb0],
        2
    ));
    // The sequential Reds: darkest for the highest.
    project.file.map.classification.palette = "Reds".to_owned();
    let reds = class_colors(palette("Reds").unwrap(), 5);
    assert!(close(zone_pixel(&project, &options, top), reds[4], 2));
}

#[test]
fn hiding_a_theme_or_a_layer_recolours_no_other_theme() {
    let options = RenderOptions::new(Preset::Slide);
    let all = sample(vec![layer("communes", false, 1.0)]);
    let groups = compose_project(&all, &options).unwrap().points;
    assert!(groups.len() >= 9, "9 service themes and the town halls");
    // Every service theme has its own colour and shape pair, from the shared style.
    let mut pairs = std::collections::HashSet::new();
    for g in &groups {
        assert!(
            pairs.insert((g.color, g.shape)),
            "{} shares its symbol",
            g.theme
        );
    }
    assert_eq!(groups[0].color, THEME_COLORS[0]);
    let mut hidden = sample(vec![layer("communes", false, 1.0)]);
    hidden.file.map.hidden_themes = vec![groups[0].theme.clone()];
    hidden.file.map.layers.push(layer("mairies", false, 1.0));
    let fewer = compose_project(&hidden, &options).unwrap().points;
    assert_eq!(fewer.len(), groups.len() - 2);
    for g in &fewer {
        let before = groups.iter().find(|b| b.theme == g.theme).unwrap();
        assert_eq!(
            (g.color, g.shape),
            (before.color, before.shape),
            "{}",
            g.theme
        );
    }
}

#[test]
fn visible_zone_layers_are_outlined_over_the_choropleth() {
    let options = RenderOptions::new(Preset::Slide);
    let with = compose_project(&sample(vec![layer("mairies", false, 1.0)]), &options).unwrap();
    assert_eq!(with.outlines.len(), 194, "the 194 communes of the Essonne");
    let without = compose_project(&sample(hidden_others()), &options).unwrap();
    assert!(without.outlines.is_empty());
}

#[test]
fn the_under_served_overlay_and_the_bivariate_fills_reach_the_export() {
    let project = sample(hidden_others());
    let epci = &project.zones[0].1;
    let need: Vec<Value> = epci.attributes.field("TP60").unwrap().values.to_values();
    // An offer made up for the check: one zone in three has none.
    let offer: Vec<Value> = (0..epci.len())
        .map(|i| Value::Number(if i % 3 == 0 { 0.0 } else { 1.0 + i as f64 }))
        .collect();
    let rule = UnderservedRule {
        need_label: "TP60".to_owned(),
        need_unit: "%".to_owned(),
        need: NeedThreshold::AtLeast(0.0),
        offer_label: "services pour 10 000 habitants".to_owned(),
        offer: OfferThreshold::AtMost(0.0),
    };
    let result = underserved(&need, &offer, &rule);
    let mut flagged: Vec<usize> = result.flagged.iter().map(|f| f.zone).collect();
    flagged.sort_unstable();
    let expected: Vec<usize> = (0..epci.len())
        .filter(|i| i % 3 == 0 && need[*i].as_f64().is_some())
        .collect();
    assert_eq!(flagged, expected);
    let classes = bivariate::classify(&need, &offer);
    let options = RenderOptions {
        overlay: analysis_overlay(Some(&result), Some(&classes)),
        ..RenderOptions::new(Preset::Slide)
    };
    let composition = compose_project(&project, &options).unwrap();
    assert_eq!(composition.underserved.len(), flagged.len());
    let row = composition.underserved_row.clone().unwrap();
    assert_eq!(row.color, UNDERSERVED_COLOR);
    assert_eq!(row.count, flagged.len());
    assert_eq!(row.label, result.rule_text);
    let svg = render_svg(&composition);
    assert!(svg.contains(r#"<g id="sous-desservies""#));
    // The rule is a legend row, wrapped over several text lines.
    let texts: Vec<&str> = svg
        .split("<text")
        .skip(1)
        .filter_map(|t| t.split_once('>').and_then(|(_, r)| r.split_once('<')))
        .map(|(text, _)| text)
        .collect();
    let rule = cartosol::export::map::xml_escape(&result.rule_text);
    assert!(texts.join(" ").contains(&rule), "{rule} in {texts:?}");
    // Every zone is painted its bivariate class colour; the legend is the 3×3 key.
    for (i, zone) in composition.zones.iter().enumerate() {
        match classes.classes[i] {
            Some(c) => assert_eq!(zone.paint, ZonePaint::Color(bivariate::class_colour(c))),
            None => assert!(matches!(zone.paint, ZonePaint::Missing(_))),
        }
    }
    assert_eq!(composition.legend.classes.len(), 9);
    assert_eq!(
        composition
            .legend
            .classes
            .iter()
            .map(|c| c.count)
            .sum::<usize>(),
        classes.classes.iter().flatten().count()
    );
}
