//! The tooltip of what the pointer is over on the map (the indicator by its label and unit).

use crate::app::CartoSolApp;
use crate::app::display::display_value;
use crate::app::map_view::Hit;
use crate::dictionary::def_of;
use crate::value::ValueRef;

/// The tooltip text of what the pointer is over.
pub fn hover_text(app: &CartoSolApp, hit: &Hit) -> String {
    match *hit {
        Hit::Zone { layer, zone } => {
            let Some(z) = app.ws.zones.get(layer) else {
                return String::new();
            };
            let mut text = format!("{} ({})", z.zone_name(zone), z.zone_code(zone));
            if let Some(ch) = app.choropleth.as_ref().filter(|c| c.layer == layer) {
                let value = z
                    .layer
                    .attributes
                    .field(&ch.indicator)
                    .and_then(|f| f.values.get(zone));
                let def = def_of(&app.ws.file.dictionary, &ch.indicator);
                // The unit after a number (« 14,2 % »), not after a missing value.
                let unit = match value {
                    Some(ValueRef::Number(_)) if !def.unit.is_empty() && def.unit != "nombre" => {
                        format!(" {}", def.unit)
                    }
                    _ => String::new(),
                };
                let value = value.map(display_value).unwrap_or_default();
                text.push_str(&format!("\n{} : {value}{unit}", def.label));
                if let Some(Some(r)) = ch.rank.get(zone) {
                    text.push_str(&format!("\nRang : {r} sur {}", ch.ranked));
                }
            }
            text
        }
        Hit::Point { layer, point } => {
            let Some(p) = app.ws.points.get(layer) else {
                return String::new();
            };
            let theme = p
                .theme_of
                .get(point)
                .and_then(|t| p.themes.get(*t))
                .map(|t| t.name.clone())
                .unwrap_or_default();
            format!("{}\n{theme}", p.point_name(point))
        }
    }
}
