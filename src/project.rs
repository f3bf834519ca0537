//! Project files (`*.cartosol.json`, versioned schema): the layers with their sources (paths
//! relative to the project file) and import options, and the joins that tie tables to zones.

use crate::aggregate::RatioRule;
use crate::codes::CodeKind;
use crate::crs::Crs;
use crate::error::LoadError;
use crate::join::{JoinReport, apply, join};
use crate::model::{PointLayer, ZoneLayer};
use crate::points::{PointOptions, load_points};
use crate::table::{TableOptions, load_table};
use crate::zones::{ZoneOptions, load_zones};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// The project bundled with CartoSol, relative to the crate root.
pub const SAMPLE_PROJECT: &str = "sample_data/essonne.cartosol.json";

/// A zone layer of a project.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ZoneSpec {
    pub id: String,
    pub name: String,
    /// Path relative to the project file.
    pub source: PathBuf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crs: Option<String>,
    pub code_field: String,
    pub name_field: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub population_field: Option<String>,
}

/// A table joined to a zone layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableSpec {
    pub id: String,
    pub source: PathBuf,
    #[serde(default)]
    pub options: TableOptions,
    pub code_field: String,
    /// The `id` of the zone layer it is joined to.
    pub join_to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_kind: Option<CodeKind>,
    /// Declared ratios for aggregation (`TP60 = 100 × NB_MEN_PAUV / NBMENFISC`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ratios: Vec<RatioRule>,
}

/// A point layer of a project.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointSpec {
    pub id: String,
    pub name: String,
    pub source: PathBuf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme_field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crs: Option<String>,
    #[serde(default)]
    pub options: TableOptions,
}

/// How the choropleth classifies its indicator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassificationSpec {
    pub method: crate::style::ClassMethod,
    /// Number of classes (3 to 9).
    pub classes: usize,
    /// Palette name (see `style::palettes`).
    pub palette: String,
    /// Breaks given by the user (method `manual`), or breaks frozen at T0 to be reused at T+3.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breaks: Vec<f64>,
}

impl Default for ClassificationSpec {
    fn default() -> Self {
        ClassificationSpec {
            method: crate::style::ClassMethod::Quantiles,
            classes: 5,
            palette: "Oranges".to_owned(),
            breaks: Vec::new(),
        }
    }
}

/// The basemap under the layers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum BasemapSpec {
    /// OpenStreetMap tiles over HTTP, cached on disk.
    #[default]
    Osm,
    /// A local `.pmtiles` file (path relative to the project file): fully offline.
    Pmtiles { path: PathBuf },
    /// No basemap: plain background.
    None,
}

/// A saved view of the map.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ViewSpec {
    pub name: String,
    /// Centre, WGS84 degrees.
    pub lon: f64,
    pub lat: f64,
    /// Zoom level of the slippy map (0–19, fractional).
    pub zoom: f64,
}

/// How a layer is drawn in the app (order = position in the list, first drawn on top).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerStyle {
    /// The `id` of a zone or point layer.
    pub id: String,
    #[serde(default = "yes")]
    pub visible: bool,
    /// 0.0 (transparent) to 1.0.
    #[serde(default = "one")]
    pub opacity: f32,
    /// Name shown in the layers panel, when renamed by the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

fn yes() -> bool {
    true
}

fn one() -> f32 {
    1.0
}

/// What the map shows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MapSpec {
    /// The zone layer of the choropleth.
    pub zones: String,
    /// The indicator mapped.
    pub indicator: String,
    #[serde(default)]
    pub classification: ClassificationSpec,
    #[serde(default)]
    pub basemap: BasemapSpec,
    /// The current view (none: framed on the zones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view: Option<ViewSpec>,
    /// Layer order, visibility, opacity and names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<LayerStyle>,
    /// Themes of service points hidden on the map.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hidden_themes: Vec<String>,
    /// The indicator as readers should read it in legends (`Taux de pauvreté (%)`); the field
    /// name when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indicator_label: Option<String>,
    /// Subtitle of exported maps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtitle: Option<String>,
    /// The under-served rule in words, printed on exported maps when set
    /// (`Zones sous-dotées : moins de 1 France Services pour 20 000 habitants`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub underserved_note: Option<String>,
    /// Statistical secrecy and personal data settings, applied to every export.
    #[serde(default, skip_serializing_if = "PrivacySpec::is_empty")]
    pub privacy: PrivacySpec,
}

/// What exports must protect.
///
/// Which fields are sensitive comes first from the data's nature (the Filosofi household and
/// person counts, see `export::secrecy::default_sensitivity`); the user can mark more fields
/// (`count_fields`) or declare a field sensitive by nature public (`public_fields`). Both lists
/// default to empty, so older project files load unchanged.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PrivacySpec {
    /// Fields the user marked as counts of people or households (masked below 11 at commune
    /// level), on top of those sensitive by nature (`NBMENFISC`, `NB_MEN_PAUV`, `MP_*`…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub count_fields: Vec<String>,
    /// Fields sensitive by nature that the user declared public: never masked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub public_fields: Vec<String>,
    /// `id`s of point layers holding personal data (e.g. survey respondents): they leave only
    /// aggregated to zones, never as points, and are not drawn on exported maps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub personal_layers: Vec<String>,
}

impl PrivacySpec {
    /// Whether nothing is set (not written to the project file then).
    pub fn is_empty(&self) -> bool {
        self.count_fields.is_empty()
            && self.public_fields.is_empty()
            && self.personal_layers.is_empty()
    }

    /// Records the user's choice for field `name`: `true` marks it sensitive (its small values
    /// are masked at commune level), `false` declares it public (never masked, even when it
    /// is sensitive by nature). The two lists never hold the same field.
    pub fn set_sensitive(&mut self, name: &str, sensitive: bool) {
        let same = |f: &String| f.trim().eq_ignore_ascii_case(name.trim());
        self.count_fields.retain(|f| !same(f));
        self.public_fields.retain(|f| !same(f));
        if sensitive {
            self.count_fields.push(name.to_owned());
        } else {
            self.public_fields.push(name.to_owned());
        }
    }
}

/// The content of a `*.cartosol.json` file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProjectFile {
    /// Schema version.
    pub cartosol: u32,
    pub title: String,
    #[serde(default)]
    pub sources_note: String,
    #[serde(default)]
    pub zones: Vec<ZoneSpec>,
    #[serde(default)]
    pub tables: Vec<TableSpec>,
    #[serde(default)]
    pub points: Vec<PointSpec>,
    #[serde(default)]
    pub map: MapSpec,
    /// Named views (e.g. one per EPCI for the committee).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub views: Vec<ViewSpec>,
}

/// A project with its layers loaded and its tables joined.
pub struct Project {
    pub path: PathBuf,
    pub file: ProjectFile,
    pub zones: Vec<(ZoneSpec, ZoneLayer)>,
    pub points: Vec<(PointSpec, PointLayer)>,
    pub joins: Vec<(TableSpec, JoinReport)>,
}

fn parse_crs(path: &Path, crs: &Option<String>) -> Result<Option<Crs>, LoadError> {
    crs.as_ref()
        .map(|c| Crs::from_user(c).map_err(|d| LoadError::unknown_crs(path, d)))
        .transpose()
}

impl ProjectFile {
    /// Reads and checks a project file.
    pub fn read(path: &Path) -> Result<ProjectFile, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|e| LoadError::io(path, e))?;
        let file: ProjectFile = serde_json::from_str(&text).map_err(|e| {
            LoadError::invalid(
                path,
                crate::error::json_place(&e),
                format!(
                    "fichier de projet invalide ({})",
                    crate::error::json_message_fr(&e)
                ),
            )
        })?;
        if file.cartosol > SCHEMA_VERSION {
            return Err(LoadError::format(
                path,
                format!(
                    "projet au format {} : cette version de CartoSol lit jusqu'au format {SCHEMA_VERSION}",
                    file.cartosol
                ),
            ));
        }
        Ok(file)
    }
}

/// The ratio rules that drive every aggregation of zone layer `zone_layer_id` (commune →
/// EPCI, zones → territory): first the ratios declared on the tables joined to that layer,
/// then those declared on the project's other tables (a ratio defines an indicator at every
/// level: `TP60 = 100 × NB_MEN_PAUV / NBMENFISC` holds for communes and EPCI alike). One rule
/// per field (the first declared, names compared case-insensitively).
pub fn ratio_rules(file: &ProjectFile, zone_layer_id: &str) -> Vec<RatioRule> {
    let own = file.tables.iter().filter(|t| t.join_to == zone_layer_id);
    let others = file.tables.iter().filter(|t| t.join_to != zone_layer_id);
    let mut rules: Vec<RatioRule> = Vec::new();
    for rule in own.chain(others).flat_map(|t| t.ratios.iter()) {
        if !rules
            .iter()
            .any(|r| r.field.trim().eq_ignore_ascii_case(rule.field.trim()))
        {
            rules.push(rule.clone());
        }
    }
    rules
}

/// Opens a project: loads every layer and applies every join.
pub fn open_project(path: &Path) -> Result<Project, LoadError> {
    let file = ProjectFile::read(path)?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut zones = Vec::new();
    for spec in &file.zones {
        let source = base.join(&spec.source);
        let layer = load_zones(
            &source,
            &ZoneOptions {
                layer: spec.layer.clone(),
                crs: parse_crs(path, &spec.crs)?,
            },
        )?;
        zones.push((spec.clone(), layer));
    }
    let mut joins = Vec::new();
    for spec in &file.tables {
        let source = base.join(&spec.source);
        let table = load_table(&source, &spec.options)?;
        let Some((zspec, layer)) = zones.iter_mut().find(|(z, _)| z.id == spec.join_to) else {
            return Err(LoadError::format(
                path,
                format!(
                    "la table « {} » est jointe à une couche « {} » absente du projet",
                    spec.id, spec.join_to
                ),
            ));
        };
        let result = join(
            &layer.attributes,
            Some(&zspec.code_field),
            &table.table,
            Some(&spec.code_field),
            spec.code_kind,
        )
        .map_err(|e| LoadError::format(&source, e.to_string()))?;
        apply(&mut layer.attributes, result.columns);
        joins.push((spec.clone(), result.report));
    }
    let mut points = Vec::new();
    for spec in &file.points {
        let source = base.join(&spec.source);
        let layer = load_points(
            &source,
            &PointOptions {
                crs: parse_crs(path, &spec.crs)?,
                table: spec.options.clone(),
                ..PointOptions::default()
            },
        )?;
        points.push((spec.clone(), layer));
    }
    Ok(Project {
        path: path.to_owned(),
        file,
        zones,
        points,
        joins,
    })
}

// ---------------------------------------------------------------------------------------------
// Saving: atomic writes, paths relative to the project file, autosave and recovery.

/// Saves a project file to `path`, atomically (a temporary file in the same folder, then a
/// rename: a crash leaves either the old file or the new one, never half of one).
///
/// Source paths are written relative to the project's folder. `from_dir` is the folder the
/// spec's relative paths currently refer to (the folder of the file it was read from; the same
/// as `path`'s folder for a plain save): when saving elsewhere ("enregistrer sous"), relative
/// paths are rebased so they still point to the same files. The schema version written is
/// [`SCHEMA_VERSION`].
pub fn save_project(
    file: &ProjectFile,
    from_dir: &Path,
    path: &Path,
) -> Result<(), crate::export::ExportError> {
    let to_dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut out = file.clone();
    out.cartosol = SCHEMA_VERSION;
    rebase_paths(&mut out, from_dir, &to_dir);
    let text = project_json(&out)?;
    crate::export::write_atomic(path, text.as_bytes())
}

/// The JSON text of a project file, as saved (pretty-printed, trailing newline).
pub fn project_json(file: &ProjectFile) -> Result<String, crate::export::ExportError> {
    serde_json::to_string_pretty(file)
        .map(|t| t + "\n")
        .map_err(|e| crate::export::ExportError::Render(format!("projet non sérialisable ({e})")))
}

/// Rewrites the source paths of `file`, relative to `from_dir`, as paths relative to `to_dir`.
/// Absolute paths are made relative when they share a root with `to_dir`.
pub fn rebase_paths(file: &mut ProjectFile, from_dir: &Path, to_dir: &Path) {
    let rebase = |p: &mut PathBuf| {
        let absolute = if p.is_absolute() {
            p.clone()
        } else {
            absolutise(&from_dir.join(&*p))
        };
        if let Some(rel) = relative_path(&absolute, &absolutise(to_dir)) {
            *p = rel;
        }
    };
    for z in &mut file.zones {
        rebase(&mut z.source);
    }
    for t in &mut file.tables {
        rebase(&mut t.source);
    }
    for pt in &mut file.points {
        rebase(&mut pt.source);
    }
    if let BasemapSpec::Pmtiles { path } = &mut file.map.basemap {
        rebase(path);
    }
}

/// An absolute, lexically normalised path (`.` and `..` resolved without touching the disk).
fn absolutise(p: &Path) -> PathBuf {
    use std::path::Component;
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `target` relative to `base` (both absolute and normalised), with `..` as needed; `None`
/// when they share no root (e.g. two Windows drives).
fn relative_path(target: &Path, base: &Path) -> Option<PathBuf> {
    use std::path::Component;
    let t: Vec<Component> = target.components().collect();
    let b: Vec<Component> = base.components().collect();
    if t.first() != b.first() {
        return None;
    }
    let common = t.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut rel = PathBuf::new();
    for _ in common..b.len() {
        rel.push("..");
    }
    for c in t.iter().skip(common) {
        rel.push(c.as_os_str());
    }
    Some(rel)
}

/// Where the autosave of the project at `path` lives: a hidden file next to it
/// (`.essonne.cartosol.json.autosave`), so relative paths resolve the same.
pub fn autosave_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "projet.cartosol.json".to_owned());
    path.with_file_name(format!(".{name}.autosave"))
}

/// Writes the autosave of the project at `path` (atomically, paths relative to its folder).
pub fn autosave(file: &ProjectFile, path: &Path) -> Result<(), crate::export::ExportError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    save_project(file, dir, &autosave_path(path))
}

/// The autosaved state of the project at `path`, to offer after a crash: present when the
/// autosave exists, reads, and is newer than the project file (or the project was never
/// saved). `None` otherwise.
pub fn recover(path: &Path) -> Option<ProjectFile> {
    let auto = autosave_path(path);
    let auto_time = std::fs::metadata(&auto).and_then(|m| m.modified()).ok()?;
    if let Ok(saved) = std::fs::metadata(path).and_then(|m| m.modified())
        && saved > auto_time
    {
        return None;
    }
    ProjectFile::read(&auto).ok()
}

/// Removes the autosave of the project at `path` (after a save, or when the user declines the
/// recovery). A missing autosave is not an error.
pub fn discard_autosave(path: &Path) -> Result<(), crate::export::ExportError> {
    let auto = autosave_path(path);
    match std::fs::remove_file(&auto) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(crate::export::ExportError::io(&auto, e)),
    }
}

#[cfg(test)]
mod save_tests {
    use super::*;

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative_path(Path::new("/a/b/c.csv"), Path::new("/a/d")),
            Some(PathBuf::from("../b/c.csv"))
        );
        assert_eq!(
            relative_path(Path::new("/a/b/c.csv"), Path::new("/a/b")),
            Some(PathBuf::from("c.csv"))
        );
    }

    #[test]
    fn autosave_sits_next_to_the_project() {
        assert_eq!(
            autosave_path(Path::new("/x/essonne.cartosol.json")),
            PathBuf::from("/x/.essonne.cartosol.json.autosave")
        );
    }
}
