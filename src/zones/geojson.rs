//! GeoJSON (RFC 7946) and the legacy `crs` member (`urn:ogc:def:crs:EPSG::2154`) that French
//! exports still carry.

use super::{Reprojector, ZoneOptions, looks_swapped};
use crate::crs::Crs;
use crate::error::{LoadError, Place, Problem, display_name};
use crate::model::{SourceInfo, ZoneLayer};
use crate::table::{RawCell, typed_table};
use crate::text::TextEncoding;
use geo::{LineString, MultiPolygon, Polygon};
use serde_json::Value as Json;
use std::path::Path;

/// A parsed GeoJSON document: features with raw geometry and raw attribute cells.
pub struct RawGeoJson {
    /// The CRS forced by the caller or declared by the legacy `crs` member; `None` when neither.
    pub crs: Option<Crs>,
    /// Whether the CRS was forced or declared (rather than left to the RFC 7946 default).
    pub crs_declared: bool,
    /// Property names, in order of first appearance over all features.
    pub field_names: Vec<String>,
    /// Raw cells per feature, one per name of `field_names` (absent or null → empty).
    pub rows: Vec<Vec<RawCell>>,
    /// The raw `geometry` member of each feature; `None` when absent or null.
    pub geometries: Vec<Option<Json>>,
    /// The encoding the text was read with (GeoJSON must be UTF-8).
    pub encoding: TextEncoding,
    /// Problems of the document itself: keys repeated in one object, an encoding other than
    /// UTF-8.
    pub problems: Vec<Problem>,
}

/// Parses JSON text like `serde_json::from_str::<Value>`, but notes every key written twice in
/// one object (serde_json keeps the last value without a word): a feature whose properties say
/// `"CODGEO"` twice is joined on one of two codes, and the analyst must know which.
mod dup_keys {
    use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
    use serde_json::{Map, Value as Json};
    use std::cell::RefCell;
    use std::fmt;

    /// A step of the path to a value.
    #[derive(Clone, Debug)]
    pub enum Step {
        /// A member of an object.
        Key(String),
        /// An element of an array.
        Index(usize),
    }

    /// A key written twice: the path of its object and the key.
    pub type Repeated = (Vec<Step>, String);

    /// The path being parsed and the repeated keys found so far (their path, the key).
    #[derive(Default)]
    pub struct State {
        path: Vec<Step>,
        pub repeated: Vec<(Vec<Step>, String)>,
    }

    /// Parses `text`, returning the value and the repeated keys.
    pub fn parse(text: &str) -> Result<(Json, Vec<Repeated>), serde_json::Error> {
        let state = RefCell::new(State::default());
        let mut de = serde_json::Deserializer::from_str(text);
        let value = Seed { state: &state }.deserialize(&mut de)?;
        de.end()?;
        Ok((value, state.into_inner().repeated))
    }

    #[derive(Clone, Copy)]
    struct Seed<'a> {
        state: &'a RefCell<State>,
    }

    impl<'de> DeserializeSeed<'de> for Seed<'_> {
        type Value = Json;
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Seed<'_> {
        type Value = Json;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("une valeur JSON")
        }
        fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
            Ok(Json::Bool(v))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
            Ok(Json::from(v))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
            Ok(Json::from(v))
        }
        fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
            Ok(serde_json::Number::from_f64(v).map_or(Json::Null, Json::Number))
        }
        fn visit_str<E>(self, v: &str) -> Result<Json, E> {
            Ok(Json::String(v.to_owned()))
        }
        fn visit_string<E>(self, v: String) -> Result<Json, E> {
            Ok(Json::String(v))
        }
        fn visit_unit<E>(self) -> Result<Json, E> {
            Ok(Json::Null)
        }
        fn visit_none<E>(self) -> Result<Json, E> {
            Ok(Json::Null)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
            let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
            loop {
                self.state.borrow_mut().path.push(Step::Index(items.len()));
                let next = seq.next_element_seed(self);
                self.state.borrow_mut().path.pop();
                match next? {
                    Some(v) => items.push(v),
                    None => break,
                }
            }
            Ok(Json::Array(items))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Json, A::Error> {
            let mut map = Map::new();
            while let Some(key) = access.next_key::<String>()? {
                self.state.borrow_mut().path.push(Step::Key(key.clone()));
                let value = access.next_value_seed(self);
                let mut state = self.state.borrow_mut();
                state.path.pop();
                let value = value?;
                if map.contains_key(&key) {
                    let path = state.path.clone();
                    state.repeated.push((path, key.clone()));
                }
                drop(state);
                map.insert(key, value);
            }
            Ok(Json::Object(map))
        }
    }
}

/// Parses the JSON text of `path` (GeoJSON or a JSON array of records) and returns it with the
/// problems of the document itself: an encoding other than UTF-8, keys written twice.
pub(crate) fn parse_json(
    path: &Path,
    text: &str,
    encoding: TextEncoding,
) -> Result<(Json, Vec<Problem>), LoadError> {
    let (doc, repeated) = dup_keys::parse(text).map_err(|e| {
        LoadError::invalid(
            path,
            crate::error::json_place(&e),
            format!("JSON invalide ({})", crate::error::json_message_fr(&e)),
        )
    })?;
    let mut problems = Vec::new();
    if !matches!(encoding, TextEncoding::Utf8 | TextEncoding::Utf8Bom) {
        problems.push(Problem::whole(format!(
            "le fichier n'est pas en UTF-8 comme le veut JSON (RFC 8259, RFC 7946) : lu en {} — \
             vérifiez les accents des noms et réenregistrez-le en UTF-8",
            encoding.label()
        )));
    }
    problems.extend(repeated_key_problems(&repeated));
    Ok((doc, problems))
}

/// The problems of repeated keys, one per key and feature (at most 20 listed).
fn repeated_key_problems(repeated: &[(Vec<dup_keys::Step>, String)]) -> Vec<Problem> {
    use dup_keys::Step;
    let mut out: Vec<Problem> = Vec::new();
    for (path, key) in repeated.iter().take(20) {
        let feature = match path.as_slice() {
            [Step::Key(f), Step::Index(i), ..] if f == "features" => Some(*i as u64 + 1),
            [Step::Index(i), ..] => Some(*i as u64 + 1),
            _ => None,
        };
        let within = match path.last() {
            Some(Step::Key(k)) if k == "properties" => "des propriétés",
            Some(Step::Key(k)) if k == "geometry" => "de la géométrie",
            _ => "d'un objet",
        };
        let message = format!(
            "clé « {key} » écrite deux fois dans la liste {within} : seule la dernière valeur \
             est lue — corrigez la source"
        );
        out.push(match feature {
            Some(n) => Problem::at(Place::Feature(n), message),
            None => Problem::whole(message),
        });
    }
    if repeated.len() > 20 {
        out.push(Problem::whole(format!(
            "{} autre(s) clé(s) écrite(s) deux fois",
            repeated.len() - 20
        )));
    }
    out
}

/// Reads and parses a GeoJSON file into features (geometry left raw).
pub fn read_geojson(path: &Path, forced: Option<&Crs>) -> Result<RawGeoJson, LoadError> {
    let bytes = std::fs::read(path).map_err(|e| LoadError::io(path, e))?;
    let (text, encoding) = crate::text::decode_auto(&bytes);
    if text.trim().is_empty() {
        return Err(LoadError::Empty {
            file: display_name(path),
        });
    }
    let (doc, problems) = parse_json(path, &text, encoding)?;
    let kind = doc.get("type").and_then(Json::as_str).unwrap_or("");
    let features: Vec<Json> = match kind {
        "FeatureCollection" => match doc.get("features") {
            Some(Json::Array(list)) => list.clone(),
            _ => {
                return Err(LoadError::format(
                    path,
                    "FeatureCollection sans tableau « features »",
                ));
            }
        },
        "Feature" => vec![doc.clone()],
        "Polygon" | "MultiPolygon" | "Point" | "MultiPoint" | "GeometryCollection" => {
            vec![serde_json::json!({"type": "Feature", "properties": {}, "geometry": doc.clone()})]
        }
        "" => {
            return Err(LoadError::format(
                path,
                "ce JSON n'est pas du GeoJSON (membre « type » absent)",
            ));
        }
        other => {
            return Err(LoadError::format(
                path,
                format!("type GeoJSON « {other} » non pris en charge"),
            ));
        }
    };
    let (crs, crs_declared) = match (forced, doc.get("crs")) {
        (Some(c), _) => (Some(c.clone()), true),
        (None, Some(member)) => {
            let name = member
                .pointer("/properties/name")
                .and_then(Json::as_str)
                .map(str::to_owned)
                .or_else(|| {
                    member.pointer("/properties/code").and_then(|c| {
                        c.as_u64()
                            .map(|c| format!("EPSG:{c}"))
                            .or_else(|| c.as_str().map(|s| format!("EPSG:{s}")))
                    })
                })
                .ok_or_else(|| LoadError::unknown_crs(path, "membre « crs » sans nom"))?;
            let crs = Crs::from_geojson_name(&name).map_err(|detail| {
                LoadError::unknown_crs(path, format!("membre « crs » : {detail}"))
            })?;
            (Some(crs), true)
        }
        (None, None) => (None, false),
    };
    let mut field_names: Vec<String> = Vec::new();
    let mut raw_props: Vec<Option<&serde_json::Map<String, Json>>> =
        Vec::with_capacity(features.len());
    let mut geometries = Vec::with_capacity(features.len());
    for (i, f) in features.iter().enumerate() {
        if f.get("type").and_then(Json::as_str) != Some("Feature") {
            return Err(LoadError::invalid(
                path,
                Place::Feature(i as u64 + 1),
                "élément de « features » qui n'est pas une Feature",
            ));
        }
        let props = f.get("properties").and_then(Json::as_object);
        if let Some(props) = props {
            for key in props.keys() {
                if !field_names.contains(key) {
                    field_names.push(key.clone());
                }
            }
        }
        raw_props.push(props);
        geometries.push(f.get("geometry").filter(|g| !g.is_null()).cloned());
    }
    let rows = raw_props
        .iter()
        .map(|props| {
            field_names
                .iter()
                .map(|name| match props.and_then(|p| p.get(name)) {
                    None | Some(Json::Null) => RawCell::Empty,
                    Some(Json::Number(n)) => n.as_f64().map_or(RawCell::Empty, RawCell::Number),
                    Some(Json::String(s)) if s.trim().is_empty() => RawCell::Empty,
                    Some(Json::String(s)) => RawCell::Text(s.clone()),
                    Some(Json::Bool(b)) => {
                        RawCell::Text(if *b { "VRAI" } else { "FAUX" }.to_owned())
                    }
                    Some(other) => RawCell::Text(other.to_string()),
                })
                .collect()
        })
        .collect();
    Ok(RawGeoJson {
        crs,
        crs_declared,
        field_names,
        rows,
        geometries,
        encoding,
        problems,
    })
}

/// Collects every position of a geometry (for range checks before reprojection).
pub(crate) fn positions(geometry: &Json, out: &mut Vec<(f64, f64)>) {
    fn walk(c: &Json, out: &mut Vec<(f64, f64)>) {
        if let Json::Array(items) = c {
            if let (Some(x), Some(y)) = (
                items.first().and_then(Json::as_f64),
                items.get(1).and_then(Json::as_f64),
            ) {
                out.push((x, y));
            } else {
                for item in items {
                    walk(item, out);
                }
            }
        }
    }
    if let Some(coords) = geometry.get("coordinates") {
        walk(coords, out);
    }
    if let Some(Json::Array(geoms)) = geometry.get("geometries") {
        for g in geoms {
            positions(g, out);
        }
    }
}

/// Decides the CRS of a GeoJSON without a declared one: RFC 7946 says WGS84; coordinates that
/// are not lon/lat are an error naming what they look like.
pub(crate) fn resolve_crs(path: &Path, raw: &RawGeoJson) -> Result<Crs, LoadError> {
    if let Some(crs) = &raw.crs {
        return Ok(crs.clone());
    }
    let mut pts = Vec::new();
    for g in raw.geometries.iter().flatten() {
        positions(g, &mut pts);
    }
    let (mut min_x, mut min_y, mut max_x, mut max_y) = (
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    );
    for (x, y) in &pts {
        min_x = min_x.min(*x);
        min_y = min_y.min(*y);
        max_x = max_x.max(*x);
        max_y = max_y.max(*y);
    }
    if pts.is_empty() || (min_x >= -180.0 && max_x <= 180.0 && min_y >= -90.0 && max_y <= 90.0) {
        if !pts.is_empty() && looks_swapped(min_x, min_y, max_x, max_y) {
            return Err(LoadError::format(
                path,
                "longitude et latitude semblent inversées (les longitudes valent entre \
                 41 et 51, comme des latitudes françaises) : GeoJSON attend [longitude, latitude]",
            ));
        }
        return Ok(Crs::wgs84());
    }
    let hint = if crate::crs::guess_crs_from_ranges(&[min_x, max_x], &[min_y, max_y])
        .is_some_and(|c| c.epsg == Some(2154))
    {
        " ; elles ressemblent à du Lambert-93 : précisez --crs EPSG:2154"
    } else {
        ""
    };
    Err(LoadError::unknown_crs(
        path,
        format!(
            "aucun membre « crs » et coordonnées hors des bornes longitude/latitude \
             (x de {min_x:.0} à {max_x:.0}, y de {min_y:.0} à {max_y:.0}){hint}"
        ),
    ))
}

/// Reads a GeoJSON file of zones (Polygon / MultiPolygon features).
pub fn load_geojson_zones(path: &Path, options: &ZoneOptions) -> Result<ZoneLayer, LoadError> {
    let raw = read_geojson(path, options.crs.as_ref())?;
    let crs = resolve_crs(path, &raw)?;
    let reprojector = Reprojector::new(path, crs.clone())?;
    let mut problems = raw.problems.clone();
    let mut geometries = Vec::with_capacity(raw.geometries.len());
    let mut empty = Vec::new();
    let mut degenerate = Vec::new();
    for (i, g) in raw.geometries.iter().enumerate() {
        let place = || Place::Feature(i as u64 + 1);
        match g {
            None => {
                empty.push(i + 1);
                geometries.push(MultiPolygon::new(vec![]));
            }
            Some(g) => {
                let polygons = polygons_of(path, &reprojector, g, &place)?;
                if polygons.0.is_empty() {
                    degenerate.push(i + 1);
                }
                geometries.push(polygons);
            }
        }
    }
    if !empty.is_empty() {
        problems.push(Problem::whole(format!(
            "{} entité(s) sans géométrie (n° {})",
            empty.len(),
            super::shp::abbreviate(&empty)
        )));
    }
    if !degenerate.is_empty() {
        problems.push(Problem::whole(format!(
            "{} entité(s) dont la géométrie est vide ou dégénérée (anneau de moins de 4 \
             positions, coordonnées vides) : gardées sans contour (n° {})",
            degenerate.len(),
            super::shp::abbreviate(&degenerate)
        )));
    }
    problems.extend(reprojector.unclosed_problem());
    let origins = (1..=raw.rows.len() as u64).collect();
    let place_feature = |row: usize, _column: &str| Place::Feature(row as u64 + 1);
    let attributes = typed_table(
        &raw.field_names,
        &raw.rows,
        origins,
        &place_feature,
        &mut problems,
    );
    Ok(ZoneLayer {
        source: SourceInfo {
            path: path.to_owned(),
            format: "GeoJSON".to_owned(),
            layer: None,
            encoding: Some(raw.encoding.label()),
            crs: Some(if raw.crs_declared {
                crs.to_string()
            } else {
                format!("{crs} (par défaut, RFC 7946)")
            }),
            problems,
        },
        geometries,
        attributes,
    })
}

/// A JSON value as an error message shows it: cut after 80 characters (a position can be an
/// array of a million numbers).
fn shown_json(value: &Json) -> String {
    let text = value.to_string();
    if text.chars().count() <= 80 {
        return text;
    }
    let head: String = text.chars().take(80).collect();
    format!("{head}… ({} caractères)", text.chars().count())
}

fn coords_of(
    path: &Path,
    reprojector: &Reprojector<'_>,
    ring: &Json,
    place: &dyn Fn() -> Place,
) -> Result<Option<LineString>, LoadError> {
    let items = ring.as_array().ok_or_else(|| {
        LoadError::invalid(
            path,
            place(),
            "anneau de polygone qui n'est pas un tableau de positions",
        )
    })?;
    let mut pts = Vec::with_capacity(items.len());
    for item in items {
        let pair = item
            .as_array()
            .and_then(|a| Some((a.first()?.as_f64()?, a.get(1)?.as_f64()?)));
        match pair {
            Some(p) => pts.push(p),
            None => {
                return Err(LoadError::invalid(
                    path,
                    place(),
                    format!(
                        "position invalide {} (attendu [x, y] numériques)",
                        shown_json(item)
                    ),
                ));
            }
        }
    }
    reprojector.ring(pts.into_iter(), place)
}

fn polygon_of(
    path: &Path,
    reprojector: &Reprojector<'_>,
    rings: &Json,
    place: &dyn Fn() -> Place,
) -> Result<Option<Polygon>, LoadError> {
    let rings = rings.as_array().ok_or_else(|| {
        LoadError::invalid(path, place(), "polygone qui n'est pas un tableau d'anneaux")
    })?;
    let mut iter = rings.iter();
    let Some(first) = iter.next() else {
        return Ok(None);
    };
    let Some(exterior) = coords_of(path, reprojector, first, place)? else {
        return Ok(None);
    };
    let mut holes = Vec::new();
    for r in iter {
        if let Some(h) = coords_of(path, reprojector, r, place)? {
            holes.push(h);
        }
    }
    Ok(Some(Polygon::new(exterior, holes)))
}

fn polygons_of(
    path: &Path,
    reprojector: &Reprojector<'_>,
    g: &Json,
    place: &dyn Fn() -> Place,
) -> Result<MultiPolygon, LoadError> {
    let kind = g.get("type").and_then(Json::as_str).unwrap_or("");
    let coords = g.get("coordinates");
    let missing = || {
        LoadError::invalid(
            path,
            place(),
            format!("géométrie {kind} sans « coordinates »"),
        )
    };
    match kind {
        "Polygon" => {
            let c = coords.ok_or_else(missing)?;
            Ok(MultiPolygon::new(
                polygon_of(path, reprojector, c, place)?
                    .into_iter()
                    .collect(),
            ))
        }
        "MultiPolygon" => {
            let c = coords.and_then(Json::as_array).ok_or_else(missing)?;
            let mut polys = Vec::with_capacity(c.len());
            for p in c {
                if let Some(p) = polygon_of(path, reprojector, p, place)? {
                    polys.push(p);
                }
            }
            Ok(MultiPolygon::new(polys))
        }
        "GeometryCollection" => {
            let mut polys = Vec::new();
            for sub in g
                .get("geometries")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
            {
                polys.extend(polygons_of(path, reprojector, sub, place)?.0);
            }
            Ok(MultiPolygon::new(polys))
        }
        "Point" | "MultiPoint" | "LineString" | "MultiLineString" => Err(LoadError::invalid(
            path,
            place(),
            format!(
                "géométrie de type {kind} : ce fichier ne contient pas des zones (polygones) ; \
                 importez-le comme couche de points"
            ),
        )),
        other => Err(LoadError::invalid(
            path,
            place(),
            format!("type de géométrie « {other} » inconnu"),
        )),
    }
}
