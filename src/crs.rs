//! Coordinate reference systems: recognition from `.prj` WKT (ESRI or OGC, with or without an
//! EPSG code), GeoPackage tables, GeoJSON `crs` members and user strings; reprojection to WGS84
//! with `proj4rs`.

use proj4rs::Proj;
use std::fmt;

/// A coordinate reference system the importers can reproject from.
#[derive(Clone, Debug, PartialEq)]
pub struct Crs {
    /// The EPSG code, when known.
    pub epsg: Option<u32>,
    /// A human name, e.g. `RGF93 / Lambert-93`.
    pub name: String,
    /// The PROJ.4 definition used for reprojection.
    pub proj4: String,
    /// Whether coordinates are longitude/latitude in degrees.
    pub geographic: bool,
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.epsg {
            Some(code) => write!(f, "EPSG:{code} ({})", self.name),
            None => write!(f, "{} ({})", self.name, self.proj4),
        }
    }
}

/// Known names of the CRS met in French data (EPSG code, display name).
const KNOWN: &[(u32, &str)] = &[
    (4326, "WGS 84"),
    (4171, "RGF93 géographique"),
    (4258, "ETRS89 géographique"),
    (2154, "RGF93 / Lambert-93"),
    (3035, "ETRS89 / LAEA Europe"),
    (3857, "WGS 84 / Pseudo-Mercator"),
    (27572, "NTF (Paris) / Lambert II étendu"),
    (32630, "WGS 84 / UTM 30N"),
    (32631, "WGS 84 / UTM 31N"),
    (32632, "WGS 84 / UTM 32N"),
    (25830, "ETRS89 / UTM 30N"),
    (25831, "ETRS89 / UTM 31N"),
    (25832, "ETRS89 / UTM 32N"),
    (3942, "RGF93 / CC42"),
    (3943, "RGF93 / CC43"),
    (3944, "RGF93 / CC44"),
    (3945, "RGF93 / CC45"),
    (3946, "RGF93 / CC46"),
    (3947, "RGF93 / CC47"),
    (3948, "RGF93 / CC48"),
    (3949, "RGF93 / CC49"),
    (3950, "RGF93 / CC50"),
];

/// Geographic CRS whose coordinates are taken as WGS84 as they are (PROJ also uses a null
/// transformation between them and WGS84).
const WGS84_EQUIVALENT: &[u32] = &[4326, 4171, 4258, 4979, 4019];

impl Crs {
    /// WGS84 longitude/latitude (EPSG:4326, in the x = lon order of GeoJSON).
    pub fn wgs84() -> Crs {
        Crs {
            epsg: Some(4326),
            name: "WGS 84".to_owned(),
            proj4: "+proj=longlat +datum=WGS84 +no_defs".to_owned(),
            geographic: true,
        }
    }

    /// Lambert-93 (EPSG:2154).
    pub fn lambert93() -> Crs {
        // The table of crs-definitions always holds 2154; the fallback keeps this total.
        Crs::from_epsg(2154).unwrap_or_else(|| Crs {
            epsg: Some(2154),
            name: "RGF93 / Lambert-93".to_owned(),
            proj4: "+proj=lcc +lat_1=49 +lat_2=44 +lat_0=46.5 +lon_0=3 +x_0=700000 +y_0=6600000 +ellps=GRS80 +units=m +no_defs".to_owned(),
            geographic: false,
        })
    }

    /// A CRS from its EPSG code, if the embedded registry knows it.
    pub fn from_epsg(code: u32) -> Option<Crs> {
        let def = crs_definitions::from_code(u16::try_from(code).ok()?)?;
        let name = KNOWN
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, n)| (*n).to_owned())
            .or_else(|| wkt_name(def.wkt))
            .unwrap_or_else(|| format!("EPSG:{code}"));
        Some(Crs {
            epsg: Some(code),
            name,
            proj4: def.proj4.to_owned(),
            geographic: def.proj4.contains("+proj=longlat"),
        })
    }

    /// Whether coordinates in this CRS can be used as WGS84 lon/lat without transformation.
    pub fn is_wgs84_equivalent(&self) -> bool {
        self.epsg.is_some_and(|c| WGS84_EQUIVALENT.contains(&c))
    }

    /// Parses a CRS as a user or a file names it: `EPSG:2154`, `2154`, `urn:ogc:def:crs:EPSG::2154`,
    /// `http://www.opengis.net/def/crs/EPSG/0/2154`, `CRS84`, `lambert93`, `wgs84`, or a WKT text.
    pub fn from_user(text: &str) -> Result<Crs, String> {
        let t = text.trim();
        let lower = t.to_ascii_lowercase();
        if lower.starts_with("projcs[")
            || lower.starts_with("geogcs[")
            || lower.starts_with("projcrs[")
            || lower.starts_with("geogcrs[")
            || lower.starts_with("compd_cs[")
        {
            return Crs::from_wkt(t);
        }
        let compact: String = lower
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        match compact.as_str() {
            "wgs84" | "crs84" | "ogc13crs84" | "urnogcdefcrsogc13crs84" | "lonlat" => {
                return Ok(Crs::wgs84());
            }
            "lambert93" | "l93" | "rgf93lambert93" => return Ok(Crs::lambert93()),
            _ => {}
        }
        // The code is the last run of digits after an EPSG marker.
        if lower.contains("epsg") || t.chars().all(|c| c.is_ascii_digit()) {
            let digits: String = t
                .rsplit(|c: char| !c.is_ascii_digit())
                .find(|s| !s.is_empty())
                .unwrap_or("")
                .to_owned();
            if let Ok(code) = digits.parse::<u32>() {
                return Crs::from_epsg(code)
                    .ok_or_else(|| format!("code EPSG {code} inconnu de CartoSol"));
            }
        }
        Err(format!(
            "« {t} » n'est pas un système de coordonnées connu (ex. : EPSG:2154)"
        ))
    }

    /// Recognises a CRS from WKT (a `.prj` file, a GeoPackage definition).
    ///
    /// Recognition order: an EPSG authority on the root node; a known name (ESRI writes
    /// `RGF_1993_Lambert_93` or `RGF93_Lambert_93` without any code); finally the projection
    /// parameters themselves, turned into a PROJ.4 definition.
    pub fn from_wkt(wkt: &str) -> Result<Crs, String> {
        let root = parse_wkt(wkt)?;
        let root = if matches!(root.keyword.as_str(), "COMPD_CS" | "COMPOUNDCRS") {
            root.children()
                .find(|c| is_crs_keyword(&c.keyword))
                .cloned()
                .ok_or("WKT composé sans système horizontal")?
        } else {
            root
        };
        if !is_crs_keyword(&root.keyword) {
            return Err(format!("WKT inattendu : « {} »", root.keyword));
        }
        if let Some(code) = root.epsg_code()
            && let Some(crs) = Crs::from_epsg(code)
        {
            return Ok(crs);
        }
        let name = root.first_string().unwrap_or_default();
        if let Some(code) = epsg_from_name(&name)
            && let Some(crs) = Crs::from_epsg(code)
        {
            return Ok(crs);
        }
        crs_from_parameters(&root, &name)
    }

    /// A CRS from a GeoJSON legacy `crs` member name (`urn:ogc:def:crs:EPSG::2154`…).
    pub fn from_geojson_name(name: &str) -> Result<Crs, String> {
        Crs::from_user(name)
    }
}

fn is_crs_keyword(keyword: &str) -> bool {
    matches!(
        keyword,
        "PROJCS" | "GEOGCS" | "PROJCRS" | "GEOGCRS" | "GEODCRS" | "PROJECTEDCRS" | "GEODETICCRS"
    )
}

fn wkt_name(wkt: &str) -> Option<String> {
    parse_wkt(wkt).ok()?.first_string()
}

/// Compacts a name for comparison: lowercase ASCII letters and digits only.
fn compact(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn epsg_from_name(name: &str) -> Option<u32> {
    let n = compact(name);
    let direct = match n.as_str() {
        "rgf93lambert93" | "rgf1993lambert93" | "rgf93v1lambert93" | "lambert93" => Some(2154),
        "etrs89laeaeurope" | "etrs1989laea" | "etrs89etrslaea" | "etrs1989laeaeurope" => Some(3035),
        "wgs84pseudomercator"
        | "wgs1984webmercatorauxiliarysphere"
        | "wgs1984webmercator"
        | "popularvisualisationcrsmercator" => Some(3857),
        "gcswgs1984" | "wgs84" | "wgs1984" => Some(4326),
        "gcsrgf1993" | "rgf93" | "rgf93v1" => Some(4171),
        "gcsetrs1989" | "etrs89" => Some(4258),
        "ntfparislambertiietendu" | "ntfparislambertiiextended" | "ntfparislambertzoneii" => {
            Some(27572)
        }
        _ => None,
    };
    if direct.is_some() {
        return direct;
    }
    for (prefix, base) in [
        ("rgf93cc", 3900),
        ("rgf1993cc", 3900),
        ("rgf93v1cc", 3900),
        ("wgs1984utmzone", 32600),
        ("wgs84utmzone", 32600),
        ("etrs1989utmzone", 25800),
        ("etrs89utmzone", 25800),
    ] {
        if let Some(rest) = n.strip_prefix(prefix) {
            let (digits, north) = match rest.strip_suffix('n') {
                Some(d) => (d, true),
                None => (rest, prefix.contains("cc")),
            };
            let zone: u32 = digits.parse().ok()?;
            if prefix.contains("cc") && (42..=50).contains(&zone) {
                return Some(base + zone);
            }
            if north && (1..=60).contains(&zone) {
                return Some(base + zone);
            }
        }
    }
    None
}

/// Builds a CRS from the PROJECTION / PARAMETER / SPHEROID nodes of a WKT without code.
fn crs_from_parameters(root: &WktNode, name: &str) -> Result<Crs, String> {
    let geogcs = if root.keyword.starts_with("GEOG") || root.keyword.starts_with("GEOD") {
        Some(root)
    } else {
        root.find_child(&["GEOGCS", "GEOGCRS", "BASEGEOGCRS", "BASEGEODCRS", "GEODCRS"])
    };
    let spheroid = geogcs
        .and_then(|g| g.find_descendant(&["SPHEROID", "ELLIPSOID"]))
        .ok_or_else(|| format!("« {name} » : ellipsoïde absent du WKT"))?;
    let a = spheroid.number(0).ok_or("demi-grand axe illisible")?;
    let rf = spheroid.number(1).ok_or("aplatissement illisible")?;
    let grs80_like = (a - 6_378_137.0).abs() < 0.5 && (rf - 298.257).abs() < 0.01;
    if !grs80_like {
        return Err(format!(
            "« {name} » : ellipsoïde a={a} 1/f={rf} non pris en charge sans code EPSG \
             (précisez le système avec --crs, ex. EPSG:27572)"
        ));
    }
    let ellps = format!("+a={a} +rf={rf}");
    if root.keyword.starts_with("GEOG") || root.keyword.starts_with("GEOD") {
        return Ok(Crs {
            epsg: Some(4326),
            name: format!("{name} (géographique, assimilé à WGS 84)"),
            proj4: "+proj=longlat +datum=WGS84 +no_defs".to_owned(),
            geographic: true,
        });
    }
    let projection = root
        .find_child(&["PROJECTION", "METHOD"])
        .and_then(|p| p.first_string())
        .ok_or_else(|| format!("« {name} » : projection absente du WKT"))?;
    let param = |names: &[&str]| -> Option<f64> {
        root.children()
            .filter(|c| c.keyword == "PARAMETER")
            .find(|c| {
                c.first_string()
                    .is_some_and(|n| names.contains(&compact(&n).as_str()))
            })
            .and_then(|c| c.number(0))
    };
    let fe = param(&["falseeasting", "eastingatfalseorigin"]).unwrap_or(0.0);
    let fn_ = param(&["falsenorthing", "northingatfalseorigin"]).unwrap_or(0.0);
    let lon0 = param(&[
        "centralmeridian",
        "longitudeofcenter",
        "longitudeofnaturalorigin",
        "longitudeoffalseorigin",
        "longitudeoforigin",
    ])
    .unwrap_or(0.0);
    let lat0 = param(&[
        "latitudeoforigin",
        "latitudeofcenter",
        "latitudeofnaturalorigin",
        "latitudeoffalseorigin",
    ])
    .unwrap_or(0.0);
    let k0 = param(&["scalefactor", "scalefactoratnaturalorigin"]).unwrap_or(1.0);
    let to_meter = root
        .children()
        .filter(|c| c.keyword == "UNIT" || c.keyword == "LENGTHUNIT")
        .last()
        .and_then(|u| u.number(0))
        .unwrap_or(1.0);
    let units = if (to_meter - 1.0).abs() < 1e-12 {
        "+units=m".to_owned()
    } else {
        format!("+to_meter={to_meter}")
    };
    let p = compact(&projection);
    let proj4 = match p.as_str() {
        "lambertconformalconic" | "lambertconformalconic2sp" => {
            let lat1 = param(&["standardparallel1", "latitudeof1ststandardparallel"])
                .ok_or("parallèle standard 1 absent")?;
            let lat2 =
                param(&["standardparallel2", "latitudeof2ndstandardparallel"]).unwrap_or(lat1);
            format!(
                "+proj=lcc +lat_1={lat1} +lat_2={lat2} +lat_0={lat0} +lon_0={lon0} +x_0={fe} +y_0={fn_} {ellps} {units} +no_defs"
            )
        }
        "lambertconformalconic1sp" => format!(
            "+proj=lcc +lat_1={lat0} +lat_0={lat0} +lon_0={lon0} +k_0={k0} +x_0={fe} +y_0={fn_} {ellps} {units} +no_defs"
        ),
        "transversemercator" => format!(
            "+proj=tmerc +lat_0={lat0} +lon_0={lon0} +k={k0} +x_0={fe} +y_0={fn_} {ellps} {units} +no_defs"
        ),
        "lambertazimuthalequalarea" => format!(
            "+proj=laea +lat_0={lat0} +lon_0={lon0} +x_0={fe} +y_0={fn_} {ellps} {units} +no_defs"
        ),
        "mercator" | "mercator1sp" | "mercatorauxiliarysphere" => format!(
            "+proj=merc +lon_0={lon0} +k={k0} +x_0={fe} +y_0={fn_} {ellps} {units} +no_defs"
        ),
        _ => {
            return Err(format!(
                "« {name} » : projection « {projection} » non prise en charge sans code EPSG"
            ));
        }
    };
    let lambert93 = p.starts_with("lambertconformalconic")
        && param(&["standardparallel1"])
            .is_some_and(|v| (v - 49.0).abs() < 1e-9 || (v - 44.0).abs() < 1e-9)
        && (lat0 - 46.5).abs() < 1e-9
        && (lon0 - 3.0).abs() < 1e-9
        && (fe - 700_000.0).abs() < 1e-6
        && (fn_ - 6_600_000.0).abs() < 1e-6
        && (to_meter - 1.0).abs() < 1e-12;
    if lambert93 {
        return Ok(Crs::lambert93());
    }
    Ok(Crs {
        epsg: None,
        name: name.to_owned(),
        proj4,
        geographic: false,
    })
}

/// Reprojects coordinates of one CRS to WGS84 longitude/latitude in degrees.
pub struct ToWgs84 {
    /// `None`: the source is already WGS84 (identity).
    source: Option<(Proj, Proj, bool)>,
}

impl ToWgs84 {
    /// Prepares the transformation from `crs` to WGS84.
    pub fn new(crs: &Crs) -> Result<ToWgs84, String> {
        if crs.is_wgs84_equivalent() {
            return Ok(ToWgs84 { source: None });
        }
        let src = Proj::from_proj_string(&crs.proj4)
            .map_err(|e| format!("définition « {} » refusée ({e})", crs.proj4))?;
        let dst = Proj::from_proj_string("+proj=longlat +datum=WGS84 +no_defs")
            .map_err(|e| format!("WGS 84 ({e})"))?;
        Ok(ToWgs84 {
            source: Some((src, dst, crs.geographic)),
        })
    }

    /// Converts one position; `None` when it is not finite or outside the projection's domain.
    pub fn convert(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        if !x.is_finite() || !y.is_finite() {
            return None;
        }
        let (lon, lat) = match &self.source {
            None => (x, y),
            // Projected metres beyond 40,000 km are outside any projection of the Earth.
            Some((_, _, false)) if x.abs() > 4.0e7 || y.abs() > 4.0e7 => return None,
            Some((src, dst, geographic)) => {
                let mut p = if *geographic {
                    (x.to_radians(), y.to_radians(), 0.0)
                } else {
                    (x, y, 0.0)
                };
                proj4rs::transform::transform(src, dst, &mut p).ok()?;
                (p.0.to_degrees(), p.1.to_degrees())
            }
        };
        (lon.is_finite() && lat.is_finite() && lon.abs() <= 180.0 && lat.abs() <= 90.0)
            .then_some((lon, lat))
    }
}

/// Projects WGS84 lon/lat to another CRS (used for Lambert-93 exports and reference checks).
pub struct FromWgs84 {
    src: Proj,
    dst: Proj,
    geographic: bool,
}

impl FromWgs84 {
    /// Prepares the transformation from WGS84 to `crs`.
    pub fn new(crs: &Crs) -> Result<FromWgs84, String> {
        let src = Proj::from_proj_string("+proj=longlat +datum=WGS84 +no_defs")
            .map_err(|e| format!("WGS 84 ({e})"))?;
        let dst = Proj::from_proj_string(&crs.proj4)
            .map_err(|e| format!("définition « {} » refusée ({e})", crs.proj4))?;
        Ok(FromWgs84 {
            src,
            dst,
            geographic: crs.geographic,
        })
    }

    /// Converts a WGS84 lon/lat in degrees.
    pub fn convert(&self, lon: f64, lat: f64) -> Option<(f64, f64)> {
        let mut p = (lon.to_radians(), lat.to_radians(), 0.0);
        proj4rs::transform::transform(&self.src, &self.dst, &mut p).ok()?;
        let out = if self.geographic {
            (p.0.to_degrees(), p.1.to_degrees())
        } else {
            (p.0, p.1)
        };
        (out.0.is_finite() && out.1.is_finite()).then_some(out)
    }
}

/// Guesses the CRS of bare coordinates from their ranges (points files without declared CRS).
///
/// Returns WGS84 when every position is plausible lon/lat, Lambert-93 when every position falls
/// in the Lambert-93 extent of metropolitan France, otherwise `None`.
pub fn guess_crs_from_ranges(xs: &[f64], ys: &[f64]) -> Option<Crs> {
    if xs.is_empty() || ys.is_empty() {
        return None;
    }
    let all = |f: &dyn Fn(f64, f64) -> bool| xs.iter().zip(ys).all(|(&x, &y)| f(x, y));
    if all(&|x, y| x.abs() <= 180.0 && y.abs() <= 90.0) {
        return Some(Crs::wgs84());
    }
    if all(&|x, y| {
        (-400_000.0..=1_700_000.0).contains(&x) && (5_900_000.0..=7_300_000.0).contains(&y)
    }) {
        return Some(Crs::lambert93());
    }
    None
}

// ---------------------------------------------------------------------------------------------
// A small WKT (1 and 2) reader: keywords with bracketed arguments, quoted strings, numbers.

#[derive(Clone, Debug, PartialEq)]
enum WktArg {
    Node(WktNode),
    Text(String),
    Number(f64),
    Word(String),
}

#[derive(Clone, Debug, PartialEq)]
struct WktNode {
    keyword: String,
    args: Vec<WktArg>,
}

impl WktNode {
    fn children(&self) -> impl Iterator<Item = &WktNode> {
        self.args.iter().filter_map(|a| match a {
            WktArg::Node(n) => Some(n),
            _ => None,
        })
    }

    fn first_string(&self) -> Option<String> {
        self.args.iter().find_map(|a| match a {
            WktArg::Text(s) => Some(s.clone()),
            _ => None,
        })
    }

    /// The `i`-th number among the arguments (after the name).
    fn number(&self, i: usize) -> Option<f64> {
        self.args
            .iter()
            .filter_map(|a| match a {
                WktArg::Number(x) => Some(*x),
                WktArg::Text(s) => s.parse().ok(),
                _ => None,
            })
            .nth(i)
    }

    fn find_child(&self, keywords: &[&str]) -> Option<&WktNode> {
        self.children()
            .find(|c| keywords.contains(&c.keyword.as_str()))
    }

    fn find_descendant(&self, keywords: &[&str]) -> Option<&WktNode> {
        for child in self.children() {
            if keywords.contains(&child.keyword.as_str()) {
                return Some(child);
            }
            if let Some(found) = child.find_descendant(keywords) {
                return Some(found);
            }
        }
        None
    }

    fn epsg_code(&self) -> Option<u32> {
        let auth = self.find_child(&["AUTHORITY", "ID"])?;
        let mut strings = auth.args.iter().filter_map(|a| match a {
            WktArg::Text(s) => Some(s.clone()),
            WktArg::Number(x) => Some(format!("{x}")),
            _ => None,
        });
        let authority = strings.next()?;
        if !authority.eq_ignore_ascii_case("EPSG") {
            return None;
        }
        strings.next()?.trim().parse::<f64>().ok().map(|c| c as u32)
    }
}

fn parse_wkt(text: &str) -> Result<WktNode, String> {
    let chars: Vec<char> = text.trim().trim_start_matches('\u{feff}').chars().collect();
    let mut pos = 0;
    let node = parse_node(&chars, &mut pos)?;
    skip_ws(&chars, &mut pos);
    if pos < chars.len() {
        return Err(format!(
            "WKT illisible : texte inattendu après le caractère {pos}"
        ));
    }
    Ok(node)
}

fn skip_ws(chars: &[char], pos: &mut usize) {
    while chars.get(*pos).is_some_and(|c| c.is_whitespace()) {
        *pos += 1;
    }
}

fn parse_node(chars: &[char], pos: &mut usize) -> Result<WktNode, String> {
    skip_ws(chars, pos);
    let start = *pos;
    while chars
        .get(*pos)
        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
    {
        *pos += 1;
    }
    let keyword: String = chars[start..*pos]
        .iter()
        .collect::<String>()
        .to_ascii_uppercase();
    if keyword.is_empty() {
        return Err(format!(
            "WKT illisible : mot-clé attendu au caractère {}",
            start + 1
        ));
    }
    skip_ws(chars, pos);
    let close = match chars.get(*pos) {
        Some('[') => ']',
        Some('(') => ')',
        _ => {
            return Err(format!(
                "WKT illisible : « [ » attendu après {keyword} (caractère {})",
                *pos + 1
            ));
        }
    };
    *pos += 1;
    let mut args = Vec::new();
    loop {
        skip_ws(chars, pos);
        match chars.get(*pos) {
            None => {
                return Err(format!(
                    "WKT illisible : « {close} » manquant pour {keyword}"
                ));
            }
            Some(c) if *c == close => {
                *pos += 1;
                break;
            }
            Some(',') => *pos += 1,
            Some('"') => {
                *pos += 1;
                let mut s = String::new();
                loop {
                    match chars.get(*pos) {
                        None => return Err("WKT illisible : guillemet non fermé".to_owned()),
                        Some('"') if chars.get(*pos + 1) == Some(&'"') => {
                            s.push('"');
                            *pos += 2;
                        }
                        Some('"') => {
                            *pos += 1;
                            break;
                        }
                        Some(c) => {
                            s.push(*c);
                            *pos += 1;
                        }
                    }
                }
                args.push(WktArg::Text(s));
            }
            Some(c) if c.is_ascii_digit() || *c == '-' || *c == '+' || *c == '.' => {
                let start = *pos;
                while chars
                    .get(*pos)
                    .is_some_and(|c| c.is_ascii_digit() || "+-.eE".contains(*c))
                {
                    *pos += 1;
                }
                let s: String = chars[start..*pos].iter().collect();
                let x = s
                    .parse::<f64>()
                    .map_err(|_| format!("WKT illisible : nombre « {s} »"))?;
                args.push(WktArg::Number(x));
            }
            Some(_) => {
                // A nested node or a bare word (e.g. AXIS["X",EAST]).
                let save = *pos;
                while chars
                    .get(*pos)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
                {
                    *pos += 1;
                }
                let word: String = chars[save..*pos].iter().collect();
                skip_ws(chars, pos);
                if matches!(chars.get(*pos), Some('[') | Some('(')) {
                    *pos = save;
                    args.push(WktArg::Node(parse_node(chars, pos)?));
                } else if word.is_empty() {
                    return Err(format!(
                        "WKT illisible : caractère inattendu au caractère {}",
                        *pos + 1
                    ));
                } else {
                    args.push(WktArg::Word(word));
                }
            }
        }
    }
    Ok(WktNode { keyword, args })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ESRI_L93: &str = r#"PROJCS["RGF93_Lambert_93",GEOGCS["GCS_RGF_1993",DATUM["D_RGF_1993",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Lambert_Conformal_Conic"],PARAMETER["False_Easting",700000.0],PARAMETER["False_Northing",6600000.0],PARAMETER["Central_Meridian",3.0],PARAMETER["Standard_Parallel_1",44.0],PARAMETER["Standard_Parallel_2",49.0],PARAMETER["Latitude_Of_Origin",46.5],UNIT["Meter",1.0]]"#;

    #[test]
    fn esri_lambert93_without_code_is_recognised() {
        let crs = Crs::from_wkt(ESRI_L93).unwrap();
        assert_eq!(crs.epsg, Some(2154));
    }

    #[test]
    fn lambert93_recognised_by_parameters_under_another_name() {
        let wkt = ESRI_L93.replace("RGF93_Lambert_93", "Mon_Lambert");
        let crs = Crs::from_wkt(&wkt).unwrap();
        assert_eq!(crs.epsg, Some(2154));
    }

    #[test]
    fn unnamed_conic_conformal_projection_built_from_parameters() {
        // RGF93 / CC49 written without code nor known name: built from its parameters, it must
        // place points where EPSG:3949 does.
        let wkt = r#"PROJCS["Zone_locale",GEOGCS["GCS_RGF_1993",DATUM["D_RGF_1993",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Lambert_Conformal_Conic"],PARAMETER["False_Easting",1700000.0],PARAMETER["False_Northing",8200000.0],PARAMETER["Central_Meridian",3.0],PARAMETER["Standard_Parallel_1",48.25],PARAMETER["Standard_Parallel_2",49.75],PARAMETER["Latitude_Of_Origin",49.0],UNIT["Meter",1.0]]"#;
        let ours = ToWgs84::new(&Crs::from_wkt(wkt).unwrap()).unwrap();
        let reference = ToWgs84::new(&Crs::from_epsg(3949).unwrap()).unwrap();
        for (x, y) in [
            (1_650_000.0, 8_180_000.0),
            (1_700_000.0, 8_200_000.0),
            (1_760_000.0, 8_250_000.0),
        ] {
            let (a, b) = (
                ours.convert(x, y).unwrap(),
                reference.convert(x, y).unwrap(),
            );
            assert!(
                (a.0 - b.0).abs() < 1e-9 && (a.1 - b.1).abs() < 1e-9,
                "{a:?} {b:?}"
            );
        }
    }

    #[test]
    fn epsg_authority_wins() {
        let crs = Crs::from_wkt(crs_definitions::EPSG_3035.wkt).unwrap();
        assert_eq!(crs.epsg, Some(3035));
        let crs = Crs::from_wkt(crs_definitions::EPSG_4326.wkt).unwrap();
        assert!(crs.is_wgs84_equivalent());
    }

    #[test]
    fn user_strings() {
        assert_eq!(Crs::from_user("EPSG:2154").unwrap().epsg, Some(2154));
        assert_eq!(
            Crs::from_user("urn:ogc:def:crs:EPSG::3035").unwrap().epsg,
            Some(3035)
        );
        assert_eq!(
            Crs::from_user("urn:ogc:def:crs:OGC:1.3:CRS84")
                .unwrap()
                .epsg,
            Some(4326)
        );
        assert_eq!(Crs::from_user("2154").unwrap().epsg, Some(2154));
        assert!(Crs::from_user("n'importe quoi").is_err());
    }

    #[test]
    fn known_point_lambert93() {
        // FINESS fixture quoted in FORMATS.md: x=870262.2, y=6571540.8 → 5.20918 E, 46.22229 N.
        let t = ToWgs84::new(&Crs::lambert93()).unwrap();
        let (lon, lat) = t.convert(870_262.2, 6_571_540.8).unwrap();
        assert!((lon - 5.20918).abs() < 1e-5, "{lon}");
        assert!((lat - 46.22229).abs() < 1e-5, "{lat}");
    }

    #[test]
    fn garbage_wkt_is_an_error() {
        assert!(Crs::from_wkt("PROJCS[\"x\"").is_err());
        assert!(Crs::from_wkt("").is_err());
        assert!(Crs::from_wkt("bonjour").is_err());
    }
}
