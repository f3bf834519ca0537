//! The basemap: OpenStreetMap tiles over HTTP (identifying User-Agent, on-disk cache,
//! attribution), any XYZ server (a local one for offline rooms and tests), a local `.pmtiles`
//! file, or none. A background probe tells whether the tile server answers, so the status line
//! can say "tiles unavailable" instead of showing error dialogs.

use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use walkers::sources::{Attribution, TileSource};
use walkers::{HttpOptions, HttpTiles, Tiles};

/// The User-Agent sent to tile servers, as the OSM tile usage policy asks.
pub const USER_AGENT: &str = concat!(
    "CartoSol/",
    env!("CARGO_PKG_VERSION"),
    " (diagnostic territorial, Pacte local des solidarites)"
);

/// Which basemap to show.
#[derive(Clone, Debug, PartialEq)]
pub enum BasemapChoice {
    /// OpenStreetMap standard tiles.
    Osm,
    /// An XYZ tile server, `{z}`/`{x}`/`{y}` in the URL template.
    Xyz(String),
    /// A local PMTiles file (raster tiles).
    Pmtiles(PathBuf),
    /// Plain background.
    None,
}

impl BasemapChoice {
    /// The name shown in menus.
    pub fn label(&self) -> String {
        match self {
            BasemapChoice::Osm => "OpenStreetMap (en ligne, avec cache)".to_owned(),
            BasemapChoice::Xyz(url) => format!("Serveur de tuiles {url}"),
            BasemapChoice::Pmtiles(p) => format!("Fichier PMTiles {}", p.display()),
            BasemapChoice::None => "Aucun fond de carte".to_owned(),
        }
    }
}

/// Whether the tile server answers.
#[derive(Clone, Debug, PartialEq)]
pub enum Reachability {
    /// The probe has not answered yet.
    Unknown,
    /// The server accepted a connection (or the PMTiles file exists).
    Online,
    /// The server or file cannot be reached; why, in French.
    Offline(String),
}

struct XyzSource {
    template: String,
    attribution: &'static str,
}

impl TileSource for XyzSource {
    fn tile_url(&self, tile_id: walkers::TileId) -> String {
        self.template
            .replace("{z}", &tile_id.zoom.to_string())
            .replace("{x}", &tile_id.x.to_string())
            .replace("{y}", &tile_id.y.to_string())
    }

    fn attribution(&self) -> Attribution {
        Attribution {
            text: self.attribution,
            url: "https://www.openstreetmap.org/copyright",
            logo_light: None,
            logo_dark: None,
        }
    }
}

/// The tile cache folder: `$CARTOSOL_TILE_CACHE`, else the user's cache folder.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARTOSOL_TILE_CACHE") {
        return PathBuf::from(dir);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("cartosol").join("tuiles")
}

/// The active basemap.
pub struct Basemap {
    /// Which basemap this is.
    pub choice: BasemapChoice,
    /// The tile provider drawn under the layers (`None`: plain background or missing file).
    pub tiles: Option<Box<dyn Tiles>>,
    /// Whether the tile server answers, updated by the background probe.
    pub reachability: Arc<Mutex<Reachability>>,
    /// Attribution text to show on the map (a PMTiles file's own, from its metadata).
    pub attribution: Option<String>,
}

/// The attribution a PMTiles (v3) file states in its JSON metadata (`attribution`, HTML tags
/// removed), if it states one. The header is read by hand: 127 bytes, metadata offset and
/// length at bytes 24 and 32, internal compression at byte 97 (1: none, 2: gzip).
pub fn pmtiles_attribution(path: &std::path::Path) -> Option<String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path).ok()?;
    let mut header = [0u8; 127];
    file.read_exact(&mut header).ok()?;
    if header.get(..7)? != b"PMTiles" || header.get(7) != Some(&3) {
        return None;
    }
    let u64_at = |i: usize| -> Option<u64> {
        Some(u64::from_le_bytes(header.get(i..i + 8)?.try_into().ok()?))
    };
    let (offset, length) = (u64_at(24)?, u64_at(32)?);
    if length == 0 || length > 1 << 20 {
        return None;
    }
    file.seek(SeekFrom::Start(offset)).ok()?;
    let mut raw = vec![0u8; usize::try_from(length).ok()?];
    file.read_exact(&mut raw).ok()?;
    let json = match header.get(97) {
        Some(2) => {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(raw.as_slice())
                .take(1 << 20)
                .read_to_end(&mut out)
                .ok()?;
            out
        }
        Some(1) | Some(0) => raw,
        _ => return None,
    };
    let meta: serde_json::Value = serde_json::from_slice(&json).ok()?;
    let html = meta.get("attribution")?.as_str()?;
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text.replace("&copy;", "©").replace("&amp;", "&");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then_some(text)
}

fn host_port(url: &str) -> Option<(String, u16)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split('/').next()?;
    let default = if scheme == "https" { 443 } else { 80 };
    match authority.rsplit_once(':') {
        Some((h, p)) => Some((h.to_owned(), p.parse().ok()?)),
        None => Some((authority.to_owned(), default)),
    }
}

fn probe(url: &str, state: Arc<Mutex<Reachability>>, ctx: egui::Context) {
    let url = url.to_owned();
    std::thread::spawn(move || {
        let result = host_port(&url)
            .ok_or_else(|| "adresse du serveur de tuiles invalide".to_owned())
            .and_then(|(host, port)| {
                let addr = (host.as_str(), port)
                    .to_socket_addrs()
                    .map_err(|_| format!("{host} introuvable (pas de réseau ?)"))?
                    .next()
                    .ok_or_else(|| format!("{host} introuvable"))?;
                TcpStream::connect_timeout(&addr, Duration::from_secs(3))
                    .map(|_| ())
                    .map_err(|e| format!("{host} injoignable ({e})"))
            });
        if let Ok(mut s) = state.lock() {
            *s = match result {
                Ok(()) => Reachability::Online,
                Err(e) => Reachability::Offline(e),
            };
        }
        ctx.request_repaint();
    });
}

impl Basemap {
    /// Sets up a basemap (and starts probing its server).
    pub fn new(choice: BasemapChoice, cache: PathBuf, ctx: &egui::Context) -> Basemap {
        let reachability = Arc::new(Mutex::new(Reachability::Unknown));
        let http = |template: &str, attribution: &'static str| -> Box<dyn Tiles> {
            let options = HttpOptions {
                cache: Some(cache.clone()),
                user_agent: walkers::HeaderValue::from_str(USER_AGENT).ok(),
                ..HttpOptions::default()
            };
            Box::new(HttpTiles::with_options(
                XyzSource {
                    template: template.to_owned(),
                    attribution,
                },
                options,
                ctx.clone(),
            ))
        };
        let (tiles, attribution) = match &choice {
            BasemapChoice::Osm => {
                let url = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
                probe(url, reachability.clone(), ctx.clone());
                (
                    Some(http(url, "© les contributeurs d'OpenStreetMap")),
                    Some("© les contributeurs d'OpenStreetMap".to_owned()),
                )
            }
            BasemapChoice::Xyz(url) => {
                probe(url, reachability.clone(), ctx.clone());
                (
                    Some(http(url, "© les contributeurs d'OpenStreetMap")),
                    Some("© les contributeurs d'OpenStreetMap".to_owned()),
                )
            }
            BasemapChoice::Pmtiles(path) => {
                if path.is_file() {
                    if let Ok(mut s) = reachability.lock() {
                        *s = Reachability::Online;
                    }
                    let tiles: Box<dyn Tiles> = Box::new(walkers::PmTiles::new(path, ctx.clone()));
                    let attribution = pmtiles_attribution(path).unwrap_or_else(|| {
                        "Fond de carte local (PMTiles) : attribution non indiquée dans le fichier"
                            .to_owned()
                    });
                    (Some(tiles), Some(attribution))
                } else {
                    if let Ok(mut s) = reachability.lock() {
                        *s = Reachability::Offline(format!(
                            "fichier {} introuvable",
                            path.display()
                        ));
                    }
                    (None, None)
                }
            }
            BasemapChoice::None => (None, None),
        };
        Basemap {
            choice,
            tiles,
            reachability,
            attribution,
        }
    }

    /// The status line text.
    pub fn status(&self) -> String {
        let reach = self
            .reachability
            .lock()
            .map(|r| r.clone())
            .unwrap_or(Reachability::Unknown);
        match (&self.choice, reach) {
            (BasemapChoice::None, _) => "Fond de carte : aucun".to_owned(),
            (_, Reachability::Offline(why)) => {
                format!("Fond de carte : tuiles indisponibles — {why} (le cache local est utilisé)")
            }
            (_, Reachability::Unknown) => "Fond de carte : connexion en cours…".to_owned(),
            (c, Reachability::Online) => {
                let pending = self.tiles.as_ref().map_or(0, |t| t.stats().in_progress);
                if pending > 0 {
                    format!(
                        "Fond de carte : {} — {pending} tuile(s) en chargement",
                        c.label()
                    )
                } else {
                    format!("Fond de carte : {}", c.label())
                }
            }
        }
    }
}
