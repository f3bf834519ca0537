//! One map, two renderers: the app's map (egui, rendered by egui_kittest on the CPU) and the
//! exported map (`cartosol render`'s SVG → PNG composition) of the same view paint the same
//! colours. Zones are sampled inside their interior point, service symbols at their centre, in
//! both pictures, and compared with each other and with the shared resolved style.

mod common;

use cartosol::app::basemap::BasemapChoice;
use cartosol::app::geometry::mercator_unit as mercator;
use cartosol::export::compose::{RenderOptions, compose_project};
use cartosol::export::map::{Preset, map_projector};
use cartosol::export::render_png;
use cartosol::style::map_style::MAP_BACKGROUND;
use geo::{BoundingRect, Contains, Distance, InteriorPoint};
use std::collections::HashMap;

/// The most frequent colour of the `(2k+1)²` pixels around (x, y) (labels, outlines and
/// antialiasing are a minority there), or `None` outside the picture.
fn dominant(img: &image::RgbaImage, x: f64, y: f64, k: i64) -> Option<[u8; 3]> {
    let mut counts: HashMap<[u8; 3], usize> = HashMap::new();
    for dy in -k..=k {
        for dx in -k..=k {
            let px = x.round() as i64 + dx;
            let py = y.round() as i64 + dy;
            if px < 0 || py < 0 || px >= i64::from(img.width()) || py >= i64::from(img.height()) {
                return None;
            }
            let p = img.get_pixel(px as u32, py as u32);
            *counts.entry([p[0], p[1], p[2]]).or_default() += 1;
        }
    }
    counts.into_iter().max_by_key(|(_, n)| *n).map(|(c, _)| c)
}

fn close(a: [u8; 3], b: [u8; 3], tolerance: u8) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= tolerance)
}

#[test]
fn the_app_and_the_export_paint_the_same_zone_and_symbol_colours() {
    let mut harness = common::app(BasemapChoice::None, "parite");
    // Hide the commune outlines, which cross many EPCI interiors at this scale.
    {
        let app = harness.state();
        assert!(app.choropleth.is_some(), "the sample opens on a choropleth");
    }
    let screen = harness.render().expect("app rendered");
    if let Ok(dir) = std::env::var("CARTOSOL_PARITY_DUMP") {
        let _ = screen.save(format!("{dir}/ecran.png"));
    }
    let app = harness.state();
    let view = app.map_out.view.expect("the map was drawn");
    let scale = f64::from(screen.width()) / 1400.0;
    let ch = app.choropleth.as_ref().unwrap();
    let layer = &app.ws.zones[ch.layer];

    // The export of the same view, through the code of *Exporter la carte* / `cartosol render`.
    let project = cartosol::app::export_ui::project_of(&app.ws, app.current_view());
    let composition = compose_project(&project, &RenderOptions::new(Preset::Slide)).unwrap();
    let projector = map_projector(&composition);
    let png = render_png(&composition).unwrap();
    let export = image::load_from_memory(&png).unwrap().to_rgba8();

    let map_rect = view.clip;
    let on_screen = |lon: f64, lat: f64| -> Option<(f64, f64)> {
        let p = view.to_screen(mercator(lon, lat));
        let inside = map_rect.shrink(12.0).contains(p);
        inside.then_some((f64::from(p.x) * scale, f64::from(p.y) * scale))
    };
    let frame = projector.frame;
    let on_page = |lon: f64, lat: f64| -> Option<(f64, f64)> {
        let (x, y) = projector.project(lon, lat);
        let inside = x > frame.x + 12.0
            && x < frame.x + frame.w - 12.0
            && y > frame.y + 12.0
            && y < frame.y + frame.h - 12.0;
        inside.then_some((x, y))
    };

    // Every point symbol on screen, and every zone outline drawn over the fills: sampling
    // spots keep away from them and from the zone labels (drawn at the interior points).
    let symbols: Vec<(f64, f64)> = app
        .ws
        .points
        .iter()
        .filter(|pl| pl.style.visible)
        .flat_map(|pl| pl.layer.positions.iter().flatten())
        .filter_map(|p| on_screen(p.x(), p.y()))
        .collect();
    let borders: Vec<geo::LineString<f64>> = app
        .ws
        .zones
        .iter()
        .flat_map(|z| z.layer.geometries.iter())
        .flat_map(|mp| mp.0.iter())
        .flat_map(|poly| std::iter::once(poly.exterior()).chain(poly.interiors()))
        .cloned()
        .collect();
    let labels: Vec<(f64, f64)> = layer
        .layer
        .geometries
        .iter()
        .filter_map(|g| g.interior_point())
        .filter_map(|p| on_screen(p.x(), p.y()))
        .collect();
    let clear = |lon: f64, lat: f64| -> Option<((f64, f64), (f64, f64))> {
        let s = on_screen(lon, lat)?;
        let e = on_page(lon, lat)?;
        let p = geo::Point::new(lon, lat);
        let far_from_borders = borders
            .iter()
            .all(|l| geo::Euclidean.distance(&p, l) > 0.006);
        let far_from_symbols = symbols
            .iter()
            .all(|q| (q.0 - s.0).hypot(q.1 - s.1) > 16.0 * scale);
        let far_from_labels = labels
            .iter()
            .all(|q| (q.0 - s.0).abs() > 130.0 * scale || (q.1 - s.1).abs() > 18.0 * scale);
        (far_from_borders && far_from_symbols && far_from_labels).then_some((s, e))
    };
    // The opacity of the choropleth layer, over the map background, as both renderers blend.
    let opacity = f64::from(layer.style.opacity);
    let blend = |c: [u8; 3]| -> [u8; 3] {
        std::array::from_fn(|k| {
            (f64::from(c[k]) * opacity + f64::from(MAP_BACKGROUND[k]) * (1.0 - opacity)).round()
                as u8
        })
    };

    // Zones: the fill at a clear spot of each zone (a grid over its bounding box).
    let mut zones_compared = 0;
    for (i, geometry) in layer.layer.geometries.iter().enumerate() {
        let Some(color) = ch.color_of(i) else {
            continue;
        };
        let Some(bbox) = geometry.bounding_rect() else {
            continue;
        };
        let spot = (1..12)
            .flat_map(|gy| (1..12).map(move |gx| (gx, gy)))
            .map(|(gx, gy)| {
                (
                    bbox.min().x + bbox.width() * f64::from(gx) / 12.0,
                    bbox.min().y + bbox.height() * f64::from(gy) / 12.0,
                )
            })
            .filter(|&(lon, lat)| geometry.contains(&geo::Point::new(lon, lat)))
            .find_map(|(lon, lat)| clear(lon, lat));
        let Some(((sx, sy), (ex, ey))) = spot else {
            continue;
        };
        let expected = blend(color);
        let a = dominant(&screen, sx, sy, 2).unwrap();
        let b = dominant(&export, ex, ey, 2).unwrap();
        assert!(
            close(a, expected, 3),
            "zone {} : écran {a:?}, style {expected:?}",
            layer.zone_name(i)
        );
        assert!(
            close(b, expected, 3),
            "zone {} : export {b:?}, style {expected:?}",
            layer.zone_name(i)
        );
        zones_compared += 1;
    }
    assert!(zones_compared >= 10, "only {zones_compared} zones compared");

    // Service symbols: isolated points (no other visible point within 24 px on screen, 24 px on
    // the page), sampled at their centre.
    let services = &app.ws.points[0];
    type Placed = (usize, (f64, f64), (f64, f64));
    let positions: Vec<Placed> = services
        .layer
        .positions
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let p = (*p)?;
            Some((i, on_screen(p.x(), p.y())?, on_page(p.x(), p.y())?))
        })
        .collect();
    let all_points: Vec<(f64, f64, f64, f64)> = app
        .ws
        .points
        .iter()
        .filter(|pl| pl.style.visible)
        .flat_map(|pl| pl.layer.positions.iter().flatten())
        .map(|p| {
            let s = view.to_screen(mercator(p.x(), p.y()));
            let e = projector.project(p.x(), p.y());
            (f64::from(s.x) * scale, f64::from(s.y) * scale, e.0, e.1)
        })
        .collect();
    let mut symbols_compared = 0;
    let mut themes_seen = std::collections::HashSet::new();
    for (i, s, e) in positions {
        let crowded = |x: f64, y: f64, second: bool| {
            all_points
                .iter()
                .filter(|q| {
                    let (qx, qy) = if second { (q.2, q.3) } else { (q.0, q.1) };
                    (qx - x).hypot(qy - y) < 24.0
                })
                .count()
                > 1
        };
        if crowded(s.0, s.1, false) || crowded(e.0, e.1, true) {
            continue;
        }
        let theme = services.themes[services.theme_of[i]].clone();
        if !theme.visible {
            continue;
        }
        let a = dominant(&screen, s.0, s.1, 1).unwrap();
        let b = dominant(&export, e.0, e.1, 1).unwrap();
        assert!(
            close(a, theme.color, 3),
            "service {i} ({}) : écran {a:?}, style {:?}",
            theme.name,
            theme.color
        );
        assert!(
            close(b, theme.color, 3),
            "service {i} ({}) : export {b:?}, style {:?}",
            theme.name,
            theme.color
        );
        themes_seen.insert(theme.name);
        symbols_compared += 1;
    }
    assert!(
        symbols_compared >= 5 && themes_seen.len() >= 3,
        "only {symbols_compared} symbols of {} themes compared",
        themes_seen.len()
    );
    // The legends agree too: same class rows, same colours and counts.
    assert_eq!(composition.legend, ch.legend);
}
