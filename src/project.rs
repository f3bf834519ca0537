//! Project files (`*.cartosol.json`, versioned schema): the layers with their sources (paths
//! relative to the project file) and import options, and the joins that tie tables to zones.

use crate::aggregate::RatioRule;
use crate::codes::CodeKind;
use crate::crs::Crs;
use crate::error::{LoadError, Place, display_name};
use crate::fsutil::{WriteError, write_atomic};
use crate::join::{JoinReport, apply, join};
use crate::model::{PointLayer, ZoneLayer};
use crate::points::{PointOptions, load_points};
/// The classification stored in a project's map (defined with the other style choices).
pub use crate::style::spec::ClassificationSpec;
/// The user's symbol of a point theme and the naming of a zone layer, stored in a project's map
/// (defined with the other style choices).
pub use crate::style::spec::{LabelSpec, SymbolShape, ThemeStyleSpec};
use crate::table::{TableOptions, load_table};
use crate::zones::ZoneOptions;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// The project bundled with CartoSol, relative to the crate root (tests; the app and the CLI
/// find it with [`crate::bundled::find_sample_project`]).
pub const SAMPLE_PROJECT: &str = "sample_data/essonne.cartosol.json";

/// A zone layer of a project.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ZoneSpec {
    /// Identifier other parts of the project refer to (`communes`).
    pub id: String,
    /// Name shown to the user (`Communes de l'Essonne`).
    pub name: String,
    /// Path relative to the project file.
    pub source: PathBuf,
    /// Layer to read in a multi-layer source (GeoPackage table); the first one when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// Coordinate system of the source when it does not say (`EPSG:2154`, `lambert93`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crs: Option<String>,
    /// Field holding the zone code (INSEE code of the commune, SIREN of the EPCI…).
    pub code_field: String,
    /// Field holding the zone name.
    pub name_field: String,
    /// Field holding the population of the zone, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub population_field: Option<String>,
    /// Repair outlines that cross themselves at load (they are listed either way).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub repair_geometries: bool,
}

/// A table joined to a zone layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableSpec {
    /// Identifier of the table in the project.
    pub id: String,
    /// Path relative to the project file.
    pub source: PathBuf,
    /// How the file is read (sheet, header row, CSV delimiter).
    #[serde(default)]
    pub options: TableOptions,
    /// Field holding the code matched against the zones' code field.
    pub code_field: String,
    /// The `id` of the zone layer it is joined to.
    pub join_to: String,
    /// Kind of code, when it must be forced rather than recognised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_kind: Option<CodeKind>,
    /// Declared ratios for aggregation (`TP60 = 100 × NB_MEN_PAUV / NBMENFISC`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ratios: Vec<RatioRule>,
}

/// A point layer of a project.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointSpec {
    /// Identifier other parts of the project refer to.
    pub id: String,
    /// Name shown to the user (`Services France Services`).
    pub name: String,
    /// Path relative to the project file.
    pub source: PathBuf,
    /// Field whose values split the points into themes on the map.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme_field: Option<String>,
    /// Coordinate system of the positions when the source does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crs: Option<String>,
    /// How the file is read (sheet, header row, CSV delimiter).
    #[serde(default)]
    pub options: TableOptions,
}

/// The basemap under the layers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum BasemapSpec {
    /// OpenStreetMap tiles over HTTP, cached on disk.
    #[default]
    Osm,
    /// A local `.pmtiles` file (path relative to the project file): fully offline.
    Pmtiles {
        /// The `.pmtiles` file, relative to the project file.
        path: PathBuf,
    },
    /// No basemap: plain background.
    None,
}

/// A saved view of the map: its frame (centre and zoom) and, for the committee's views, what
/// the map showed when it was saved (indicator, classification, layers, selection, the
/// under-served rule). Every field but the frame is optional, so that older project files (and
/// the project's current view, which keeps only its frame) load unchanged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ViewSpec {
    /// Name of the view (`CA Paris-Saclay`).
    pub name: String,
    /// Longitude of the centre, WGS84 degrees.
    pub lon: f64,
    /// Latitude of the centre, WGS84 degrees.
    pub lat: f64,
    /// Zoom level of the slippy map (0–19, fractional).
    pub zoom: f64,
    /// The zone layer of the choropleth (`id`); the project's map layer when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zones: Option<String>,
    /// The indicator mapped; the project's when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indicator: Option<String>,
    /// The classification (method, classes, palette, breaks); the project's when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classification: Option<ClassificationSpec>,
    /// Layer order, visibility and opacity; the project's when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<LayerStyle>,
    /// Themes of service points hidden; the project's when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden_themes: Option<Vec<String>>,
    /// The code of the selected zone of the map layer, whose key figures the view shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selection: Option<String>,
    /// The under-served rule shown, in words (`Zones sous-desservies : …`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub underserved_rule: Option<String>,
    /// The codes of the zones the rule flagged when the view was saved (outlined on the map).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub underserved_zones: Vec<String>,
    /// The under-served settings of the app (theme of services, thresholds, maps shown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<ViewAnalysis>,
    /// A comment shown under the view's title (`Ce que le comité doit regarder`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The under-served analysis as a saved view left it in the app.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ViewAnalysis {
    /// The theme of services counted as offer.
    pub theme: String,
    /// The need threshold, in the indicator's unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub need_threshold: Option<f64>,
    /// The offer threshold, services per 10,000 inhabitants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer_threshold_per_10k: Option<f64>,
    /// Whether the under-served zones are shown.
    #[serde(default)]
    pub underserved_shown: bool,
    /// Whether the bivariate need × offer map is shown.
    #[serde(default)]
    pub bivariate_shown: bool,
}

impl ViewSpec {
    /// A view that only frames the map (centre and zoom), showing what the project shows.
    pub fn frame(name: &str, lon: f64, lat: f64, zoom: f64) -> ViewSpec {
        ViewSpec {
            name: name.to_owned(),
            lon,
            lat,
            zoom,
            zones: None,
            indicator: None,
            classification: None,
            layers: Vec::new(),
            hidden_themes: None,
            selection: None,
            underserved_rule: None,
            underserved_zones: Vec::new(),
            analysis: None,
            note: None,
        }
    }

    /// The project's map as this view shows it: its layer, indicator, classification, layers
    /// and themes replace the map's when the view has them, and the map is framed on the view.
    /// The app restoring a view and the committee deck both read a view through it.
    pub fn applied_to(&self, map: &MapSpec) -> MapSpec {
        let mut out = map.clone();
        if let Some(z) = &self.zones {
            out.zones = z.clone();
        }
        if let Some(i) = &self.indicator {
            if *i != map.indicator {
                // The map's own label names the map's indicator, not this one.
                out.indicator_label = None;
                out.subtitle = None;
            }
            out.indicator = i.clone();
        }
        if let Some(c) = &self.classification {
            out.classification = c.clone();
        }
        if !self.layers.is_empty() {
            out.layers = self.layers.clone();
        }
        if let Some(h) = &self.hidden_themes {
            out.hidden_themes = h.clone();
        }
        if self.underserved_rule.is_some() {
            out.underserved_note = None;
        }
        out.view = Some(ViewSpec::frame(&self.name, self.lon, self.lat, self.zoom));
        out
    }
}

/// How a layer is drawn in the app (order = position in the list, first drawn on top).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerStyle {
    /// The `id` of a zone or point layer.
    pub id: String,
    /// Whether the layer is drawn.
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
    /// How the indicator is cut into classes and painted.
    #[serde(default)]
    pub classification: ClassificationSpec,
    /// The basemap under the layers.
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
    /// Symbols the user chose for point themes (colour, shape, size), by layer and theme; the
    /// themes not listed keep their automatic symbol. Read by the shared map style, so the app
    /// and every export draw them alike.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub point_styles: Vec<ThemeStyleSpec>,
    /// How zone layers are named on the map (field, text size), by layer; the layers not
    /// listed are named by their name field at the default size.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<LabelSpec>,
    /// Whether exported maps (PNG, SVG, PDF, atlas, deck) name the zones too, placed as on
    /// screen (off the symbols and each other); off by default, as before.
    #[serde(default, skip_serializing_if = "is_false")]
    pub labels_on_exports: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
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
    /// Title of the project, printed on its maps.
    pub title: String,
    /// Sources of the data, printed under maps (`Sources : Insee, Filosofi 2021…`).
    #[serde(default)]
    pub sources_note: String,
    /// Zone layers.
    #[serde(default)]
    pub zones: Vec<ZoneSpec>,
    /// Tables joined to zone layers.
    #[serde(default)]
    pub tables: Vec<TableSpec>,
    /// Point layers (services, town halls…).
    #[serde(default)]
    pub points: Vec<PointSpec>,
    /// What the map shows and how.
    #[serde(default)]
    pub map: MapSpec,
    /// Named views (e.g. one per EPCI for the committee).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub views: Vec<ViewSpec>,
    /// The indicator dictionary (labels, units, kinds, directions), read from the producer's
    /// definitions sheet and completed by hand.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dictionary: Vec<crate::dictionary::IndicatorDef>,
    /// The frozen T0 baseline (`cartosol t0 freeze`), immutable once stored; absent in
    /// projects that never froze one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t0: Option<crate::baseline::spec::Baseline>,
    /// Saved siting scenarios (`cartosol siting --enregistrer`, the app's *Implantation*).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub siting: Vec<crate::analysis::siting::spec::SitingScenario>,
    /// The synthesis table of schemes (`cartosol dispositifs`, the app's *Dispositifs*);
    /// absent until the analyst starts one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schemes: Option<crate::analysis::schemes::spec::SchemesSpec>,
    /// The action proposals per axis of the pact (`cartosol pistes`, the app's *Pistes de
    /// contractualisation*); absent from the file while there is none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proposals: Vec<crate::analysis::proposals::spec::Proposal>,
    /// The diagnostic settings (map shown, fields, thresholds, LISA and typology options);
    /// absent from the file while they are the defaults, so older files open unchanged.
    #[serde(default, skip_serializing_if = "DiagnosticSpec::is_default")]
    pub diagnostic: DiagnosticSpec,
}

/// The diagnostic map drawn over the zones instead of the choropleth's fills.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiagnosticMap {
    /// None: the choropleth (or the bivariate map).
    #[default]
    None,
    /// The most over-represented poverty profile of each zone.
    Profile,
    /// The LISA cluster map.
    Lisa,
    /// The classes of the typology.
    Typology,
    /// Sensitive local situations: number of flagging indicators per zone.
    Situations,
    /// One aggravating factor's robust z-score, oriented to need.
    Factor,
}

impl DiagnosticMap {
    /// Every map, in menu order.
    pub const ALL: [DiagnosticMap; 6] = [
        DiagnosticMap::None,
        DiagnosticMap::Profile,
        DiagnosticMap::Lisa,
        DiagnosticMap::Typology,
        DiagnosticMap::Situations,
        DiagnosticMap::Factor,
    ];

    /// The name in French, as the command line spells it (`aucune`, `profil`, `lisa`,
    /// `typologie`, `situations`, `facteur`).
    pub fn name_fr(self) -> &'static str {
        match self {
            DiagnosticMap::None => "aucune",
            DiagnosticMap::Profile => "profil",
            DiagnosticMap::Lisa => "lisa",
            DiagnosticMap::Typology => "typologie",
            DiagnosticMap::Situations => "situations",
            DiagnosticMap::Factor => "facteur",
        }
    }
}

/// How rates are smoothed before LISA or the flags (small populations).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Smoothing {
    /// Raw rates, as published.
    #[default]
    Raw,
    /// Global empirical Bayes (esda `Empirical_Bayes`, GeoDa « EB »).
    EmpiricalBayes,
    /// Spatial (local) empirical Bayes on queen neighbours (esda `Spatial_Empirical_Bayes`).
    SpatialEmpiricalBayes,
}

impl Smoothing {
    /// The method in French.
    pub fn label(self) -> &'static str {
        match self {
            Smoothing::Raw => "taux bruts",
            Smoothing::EmpiricalBayes => "taux lissés — bayésien empirique global",
            Smoothing::SpatialEmpiricalBayes => "taux lissés — bayésien empirique spatial",
        }
    }
}

/// How a zone is flagged on one indicator (see `analysis::situations::FlagRule`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagRuleSpec {
    /// Box-map outlier on the need side (hinge 1.5).
    BoxMap,
    /// Robust z at or beyond the threshold.
    RobustZ,
    /// Either of the two (the app's rule).
    #[default]
    Either,
}

/// The clustering method of the typology.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TypologyMethodSpec {
    /// k-means (seeded restarts, the best kept).
    #[default]
    KMeans,
    /// Ward hierarchical clustering.
    Ward,
    /// Contiguity-constrained Ward with a minimum population per region.
    WardContiguous,
}

/// The diagnostic settings saved in the project. An empty field list means « the default
/// choice of the layer »: the `MP_*` fields for the profiles; the rates, shares and ratios
/// with a direction in the dictionary for the factors; the first four factors for the
/// typology; the map's indicator for LISA; the first factor for the factor map.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DiagnosticSpec {
    /// The diagnostic map shown.
    pub map: DiagnosticMap,
    /// The profile count fields (empty: the `MP_*` fields).
    pub profile_fields: Vec<String>,
    /// The aggravating factor fields (empty: rates, shares and ratios with a direction).
    pub factor_fields: Vec<String>,
    /// Minimum number of flagging indicators of a sensitive situation (N, at least 1).
    pub min_flags: usize,
    /// Robust z threshold of a flag.
    pub z_threshold: f64,
    /// How an indicator flags a zone.
    pub flag_rule: FlagRuleSpec,
    /// The factor of the factor map (empty: the first factor).
    pub factor_shown: String,
    /// How the factors' rates are smoothed before the flags.
    pub factor_smoothing: Smoothing,
    /// The field analysed by LISA (empty: the map's indicator).
    pub lisa_field: String,
    /// LISA's permutations.
    pub permutations: usize,
    /// LISA's significance threshold, in ]0, 1[.
    pub alpha: f64,
    /// LISA's seed.
    pub seed: u64,
    /// How LISA's rate is smoothed.
    pub lisa_smoothing: Smoothing,
    /// The typology's indicators (empty: the first four factors).
    pub typology_fields: Vec<String>,
    /// The typology's number of classes (2 to 10).
    pub k: usize,
    /// The typology's method.
    pub method: TypologyMethodSpec,
    /// Minimum population of a region (contiguity-constrained Ward; 0: none), inhabitants.
    pub min_population: f64,
    /// Seed of the k-means restarts.
    pub typology_seed: u64,
}

impl Default for DiagnosticSpec {
    /// The app's defaults: no map, N = 2, z ≥ 2, 999 permutations at p ≤ 0.05 (seed 12345),
    /// raw rates, 4 classes by k-means (seed 0).
    fn default() -> Self {
        DiagnosticSpec {
            map: DiagnosticMap::None,
            profile_fields: Vec::new(),
            factor_fields: Vec::new(),
            min_flags: 2,
            z_threshold: 2.0,
            flag_rule: FlagRuleSpec::Either,
            factor_shown: String::new(),
            factor_smoothing: Smoothing::Raw,
            lisa_field: String::new(),
            permutations: 999,
            alpha: 0.05,
            seed: 12_345,
            lisa_smoothing: Smoothing::Raw,
            typology_fields: Vec::new(),
            k: 4,
            method: TypologyMethodSpec::KMeans,
            min_population: 0.0,
            typology_seed: 0,
        }
    }
}

impl DiagnosticSpec {
    /// Whether every setting is the default (the key is then not written).
    pub fn is_default(&self) -> bool {
        *self == DiagnosticSpec::default()
    }
}

/// A project with its layers loaded and its tables joined.
pub struct Project {
    /// The project file it was read from.
    pub path: PathBuf,
    /// Its content as read.
    pub file: ProjectFile,
    /// The zone layers, loaded, with the tables joined to them.
    pub zones: Vec<(ZoneSpec, ZoneLayer)>,
    /// The point layers, loaded.
    pub points: Vec<(PointSpec, PointLayer)>,
    /// The report of each join (matched and unmatched codes).
    pub joins: Vec<(TableSpec, JoinReport)>,
}

impl Project {
    /// Every file the project reads: the project file and the source of each layer and table
    /// (with its role, in French), so that no command writes its result over one of them.
    pub fn input_files(&self) -> Vec<(PathBuf, String)> {
        let base = self.path.parent().unwrap_or(Path::new("."));
        let mut out = vec![(self.path.clone(), "le projet".to_owned())];
        out.extend(self.file.zones.iter().map(|z| {
            (
                base.join(&z.source),
                format!("source de la couche « {} »", z.id),
            )
        }));
        out.extend(self.file.tables.iter().map(|t| {
            (
                base.join(&t.source),
                format!("source de la table « {} »", t.id),
            )
        }));
        out.extend(self.file.points.iter().map(|p| {
            (
                base.join(&p.source),
                format!("source de la couche « {} »", p.id),
            )
        }));
        out
    }
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
        file.validate()
            .map_err(|(key, message)| LoadError::invalid(path, Place::Key(key), message))?;
        Ok(file)
    }

    /// Checks what serde cannot: values in their domain and references to layers that exist.
    /// The first fault, as (key path, message in French).
    pub fn validate(&self) -> Result<(), (String, String)> {
        let fault = |key: &str, message: String| Err((key.to_owned(), message));
        let mut ids: Vec<&str> = Vec::new();
        for (i, id) in self
            .zones
            .iter()
            .map(|z| z.id.as_str())
            .chain(self.points.iter().map(|p| p.id.as_str()))
            .enumerate()
        {
            if id.trim().is_empty() {
                return fault(&format!("couche n° {}", i + 1), "identifiant vide".into());
            }
            if ids.contains(&id) {
                return fault(
                    "zones/points",
                    format!("identifiant de couche « {id} » en double"),
                );
            }
            ids.push(id);
        }
        for t in &self.tables {
            if !self.zones.iter().any(|z| z.id == t.join_to) {
                return fault(
                    &format!("tables.{}.join_to", t.id),
                    format!("couche de zones « {} » absente du projet", t.join_to),
                );
            }
        }
        let map = &self.map;
        if !map.zones.is_empty() && !self.zones.iter().any(|z| z.id == map.zones) {
            return fault(
                "map.zones",
                format!("couche de zones « {} » absente du projet", map.zones),
            );
        }
        for l in &map.layers {
            if !ids.contains(&l.id.as_str()) {
                return fault(
                    "map.layers",
                    format!("couche « {} » absente du projet", l.id),
                );
            }
            if !(0.0..=1.0).contains(&l.opacity) {
                return fault(
                    &format!("map.layers.{}.opacity", l.id),
                    format!("{} : l'opacité va de 0 à 1", l.opacity),
                );
            }
        }
        let c = &map.classification;
        let (lo, hi) = crate::style::spec::CLASS_COUNT_RANGE;
        if !(lo..=hi).contains(&c.classes) {
            return fault(
                "map.classification.classes",
                format!("{} classes : choisir entre {lo} et {hi}", c.classes),
            );
        }
        if c.breaks.iter().any(|b| !b.is_finite()) {
            return fault(
                "map.classification.breaks",
                "seuil non numérique (NaN ou infini)".into(),
            );
        }
        let d = &self.diagnostic;
        if !(2..=10).contains(&d.k) {
            return fault(
                "diagnostic.k",
                format!("{} classes : choisir entre 2 et 10", d.k),
            );
        }
        if !(d.alpha > 0.0 && d.alpha < 1.0) {
            return fault(
                "diagnostic.alpha",
                format!("{} : le seuil de significativité est entre 0 et 1", d.alpha),
            );
        }
        if d.permutations > 99_999 {
            return fault(
                "diagnostic.permutations",
                format!("{} : au plus 99 999 permutations", d.permutations),
            );
        }
        if !(d.z_threshold.is_finite() && d.z_threshold > 0.0) {
            return fault(
                "diagnostic.z_threshold",
                format!(
                    "{} : le seuil du score z est un nombre positif",
                    d.z_threshold
                ),
            );
        }
        if let Some(s) = &self.schemes {
            if !(s.radius_km.is_finite() && s.radius_km > 0.0) {
                return fault(
                    "schemes.radius_km",
                    format!("{} : le rayon est un nombre positif", s.radius_km),
                );
            }
            if !(0.0..=100.0).contains(&s.max_share_beyond_pct) {
                return fault(
                    "schemes.max_share_beyond_pct",
                    format!("{} : une part va de 0 à 100 %", s.max_share_beyond_pct),
                );
            }
        }
        Ok(())
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

/// The project's indicator dictionary completed by the definitions sheets of its workbooks
/// (`Définitions`, `Documentation`…, see [`crate::dictionary::definitions_sheet`]): entries the
/// project already holds win. `base` is the folder the project's relative paths refer to.
/// Returns the dictionary and, in French, the sheets that could not be read.
pub fn completed_dictionary(
    file: &ProjectFile,
    base: &Path,
) -> (Vec<crate::dictionary::IndicatorDef>, Vec<String>) {
    use crate::dictionary::{definitions_sheet, merge, read_dictionary};
    let mut dict = file.dictionary.clone();
    let mut notes = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    for spec in &file.tables {
        let source = base.join(&spec.source);
        let is_workbook = source
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "xlsx" | "xls" | "ods"));
        if !is_workbook || seen.contains(&source) {
            continue;
        }
        seen.push(source.clone());
        if let Ok(Some(sheet)) = definitions_sheet(&source) {
            match read_dictionary(&source, Some(&sheet)) {
                Ok(defs) => merge(&mut dict, defs),
                Err(e) => notes.push(format!("dictionnaire non lu ({e})")),
            }
        }
    }
    (dict, notes)
}

/// The source named by the notes under a table's data (« Source : Insee, Filosofi 2020 » →
/// « Insee, Filosofi 2020 »), if one of them is a source line.
fn source_note(notes: &[(u64, String)]) -> Option<String> {
    notes.iter().find_map(|(_, text)| {
        let (head, rest) = text.split_once(':')?;
        let head = head.trim().to_lowercase();
        (head == "source" || head == "sources")
            .then(|| rest.trim().to_owned())
            .filter(|s| !s.is_empty())
    })
}

/// One step of a staged opening ([`open_project_staged`]), in the order they come: the
/// project file, then each zone layer in the project's order (with the tables joined to it),
/// then each point layer in the project's order, then the completed dictionary.
#[derive(Debug)]
pub enum Stage {
    /// The project file, read and checked: the layers to come are its `zones` and `points`.
    File(Box<ProjectFile>),
    /// Zone layer `index` of the project, loaded, with every table joined to it.
    Zones {
        /// Position of the layer in the project's `zones`.
        index: usize,
        /// The layer as declared in the project.
        spec: ZoneSpec,
        /// The zones read, with the columns of the joined tables.
        layer: ZoneLayer,
        /// The report of each join to this layer, in the project's order of tables.
        joins: Vec<(TableSpec, JoinReport)>,
    },
    /// Point layer `index` of the project, loaded.
    Points {
        /// Position of the layer in the project's `points`.
        index: usize,
        /// The layer as declared in the project.
        spec: PointSpec,
        /// The points read.
        layer: PointLayer,
    },
    /// Every layer is loaded. The project's dictionary completed by its workbooks' definitions
    /// sheets, and sources taken from the « Source : … » notes under the tables' data.
    Done {
        /// The completed dictionary.
        dictionary: Vec<crate::dictionary::IndicatorDef>,
    },
}

/// Loads zone layer `spec` of the project at `path` and joins its tables to it. Returns the
/// layer, the join reports (with each table's position in the project) and the source notes
/// of the tables read.
#[allow(clippy::type_complexity)]
fn load_zone_stage(
    path: &Path,
    file: &ProjectFile,
    spec: &ZoneSpec,
) -> Result<
    (
        ZoneLayer,
        Vec<(TableSpec, JoinReport)>,
        Vec<(Vec<String>, String)>,
    ),
    LoadError,
> {
    let base = path.parent().unwrap_or(Path::new("."));
    let source = base.join(&spec.source);
    let mut layer = crate::grid::load_zones_or_grid(
        &source,
        &ZoneOptions {
            layer: spec.layer.clone(),
            crs: parse_crs(path, &spec.crs)?,
            repair: spec.repair_geometries,
        },
    )?;
    let mut joins = Vec::new();
    // (columns of a table, the « Source : … » note under its data).
    let mut noted_sources: Vec<(Vec<String>, String)> = Vec::new();
    for table_spec in file.tables.iter().filter(|t| t.join_to == spec.id) {
        let source = base.join(&table_spec.source);
        let table = load_table(&source, &table_spec.options)?;
        if let Some(text) = source_note(&table.notes) {
            noted_sources.push((table.table.field_names().map(str::to_owned).collect(), text));
        }
        let result = join(
            &layer.attributes,
            Some(&spec.code_field),
            &table.table,
            Some(&table_spec.code_field),
            table_spec.code_kind,
        )
        .map_err(|e| LoadError::format(&source, e.to_string()))?;
        apply(&mut layer.attributes, result.columns);
        joins.push((table_spec.clone(), result.report));
    }
    Ok((layer, joins, noted_sources))
}

/// Loads point layer `spec` of the project at `path`.
fn load_point_stage(path: &Path, spec: &PointSpec) -> Result<PointLayer, LoadError> {
    let base = path.parent().unwrap_or(Path::new("."));
    load_points(
        &base.join(&spec.source),
        &PointOptions {
            crs: parse_crs(path, &spec.crs)?,
            table: spec.options.clone(),
            ..PointOptions::default()
        },
    )
}

/// Opens a project layer by layer, handing each [`Stage`] to `on_stage` as soon as it is
/// ready, so that a front end can show the first zone layer while the others load.
///
/// The stages come in a fixed order: [`Stage::File`], the zone layers in the project's order,
/// the point layers in the project's order, [`Stage::Done`]. The first zone layer is loaded
/// alone (it is what is shown first); from then on the point layers are read on another
/// thread, in parallel with the remaining zone layers, and handed over after them.
/// `on_stage` runs on the calling thread; returning [`ControlFlow::Break`] stops the opening
/// (`Ok` is returned, the stages not given are not loaded). The first error met ends the
/// opening: the stages already given stay valid, the error is the one [`open_project`]
/// returns.
///
/// [`ControlFlow::Break`]: std::ops::ControlFlow::Break
pub fn open_project_staged(
    path: &Path,
    mut on_stage: impl FnMut(Stage) -> std::ops::ControlFlow<()>,
) -> Result<(), LoadError> {
    use std::ops::ControlFlow;
    use std::sync::atomic::{AtomicBool, Ordering};
    let file = ProjectFile::read(path)?;
    if on_stage(Stage::File(Box::new(file.clone()))).is_break() {
        return Ok(());
    }
    let stop = AtomicBool::new(false);
    let mut noted_sources: Vec<(Vec<String>, String)> = Vec::new();
    let outcome = std::thread::scope(|scope| -> Result<ControlFlow<()>, LoadError> {
        let (tx, rx) = std::sync::mpsc::channel::<(usize, Result<PointLayer, LoadError>)>();
        let mut points_thread = None;
        let mut start_points = |tx: std::sync::mpsc::Sender<_>| {
            let (file, stop) = (&file, &stop);
            Some(scope.spawn(move || {
                for (index, spec) in file.points.iter().enumerate() {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let loaded = load_point_stage(path, spec);
                    let failed = loaded.is_err();
                    if tx.send((index, loaded)).is_err() || failed {
                        return;
                    }
                }
            }))
        };
        let mut tx = Some(tx);
        if file.zones.is_empty() {
            points_thread = tx.take().and_then(&mut start_points);
        }
        let result = (|| {
            for (index, spec) in file.zones.iter().enumerate() {
                let (layer, joins, notes) = load_zone_stage(path, &file, spec)?;
                noted_sources.extend(notes);
                let stage = Stage::Zones {
                    index,
                    spec: spec.clone(),
                    layer,
                    joins,
                };
                if on_stage(stage).is_break() {
                    return Ok(ControlFlow::Break(()));
                }
                if points_thread.is_none() {
                    points_thread = tx.take().and_then(&mut start_points);
                }
            }
            drop(tx.take());
            for (index, spec) in file.points.iter().enumerate() {
                let layer = match rx.recv() {
                    Ok((i, Ok(layer))) if i == index => layer,
                    Ok((_, Err(e))) => return Err(e),
                    // The reader thread ended without this layer: it panicked (resumed below).
                    _ => {
                        return Err(LoadError::format(
                            path,
                            format!("couche de points « {} » non lue", spec.id),
                        ));
                    }
                };
                let stage = Stage::Points {
                    index,
                    spec: spec.clone(),
                    layer,
                };
                if on_stage(stage).is_break() {
                    return Ok(ControlFlow::Break(()));
                }
            }
            Ok(ControlFlow::Continue(()))
        })();
        // Whatever happened, the point reader stops at its next layer.
        stop.store(true, Ordering::Relaxed);
        drop(rx);
        if let Some(handle) = points_thread
            && let Err(panic) = handle.join()
        {
            std::panic::resume_unwind(panic);
        }
        result
    })?;
    if outcome.is_break() {
        return Ok(());
    }
    // As the app does at opening: the entries of the workbooks' definitions sheets complete
    // the dictionary saved in the project, so every command reads labels, not codes.
    let mut dictionary = completed_dictionary(&file, path.parent().unwrap_or(Path::new("."))).0;
    // The « Source : Insee, Filosofi 2020 » note under a table's data is the source of its
    // indicators that the dictionary leaves without one.
    for def in dictionary.iter_mut().filter(|d| d.source.is_none()) {
        def.source = noted_sources
            .iter()
            .find(|(fields, _)| fields.iter().any(|f| f.eq_ignore_ascii_case(&def.code)))
            .map(|(_, text)| text.clone());
    }
    let _ = on_stage(Stage::Done { dictionary });
    Ok(())
}

/// Opens a project: loads every layer and applies every join (the stages of
/// [`open_project_staged`], collected).
pub fn open_project(path: &Path) -> Result<Project, LoadError> {
    let mut file = None;
    let mut zones = Vec::new();
    let mut points = Vec::new();
    let mut joins = Vec::new();
    open_project_staged(path, |stage| {
        match stage {
            Stage::File(f) => file = Some(*f),
            Stage::Zones {
                spec,
                layer,
                joins: j,
                ..
            } => {
                zones.push((spec, layer));
                joins.extend(j);
            }
            Stage::Points { spec, layer, .. } => points.push((spec, layer)),
            Stage::Done { dictionary } => {
                if let Some(f) = file.as_mut() {
                    f.dictionary = dictionary;
                }
            }
        }
        std::ops::ControlFlow::Continue(())
    })?;
    let Some(file) = file else {
        return Err(LoadError::format(path, "projet non lu"));
    };
    // The join reports in the project's order of tables.
    joins.sort_by_key(|(spec, _): &(TableSpec, JoinReport)| {
        file.tables.iter().position(|t| t.id == spec.id)
    });
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
pub fn save_project(file: &ProjectFile, from_dir: &Path, path: &Path) -> Result<(), SaveError> {
    let to_dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut out = file.clone();
    out.cartosol = SCHEMA_VERSION;
    rebase_paths(&mut out, from_dir, &to_dir);
    let text = project_json(&out)?;
    Ok(write_atomic(path, text.as_bytes())?)
}

/// Why a project could not be saved. Messages are in French and name the file or path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SaveError {
    /// A source path cannot be written in a JSON file (JSON text is UTF-8).
    #[error(
        "projet non enregistré : le chemin « {path} » contient des caractères qui ne sont pas de l'UTF-8 valide (renommer le fichier ou son dossier)"
    )]
    NonUtf8Path {
        /// The path, with the invalid bytes shown as `�`.
        path: String,
    },
    /// The project could not be turned into JSON for another reason.
    #[error("projet non enregistré : conversion en JSON impossible ({reason})")]
    Serialize {
        /// The serialiser's reason.
        reason: String,
    },
    /// The file could not be written.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// The autosave could not be removed.
    #[error("{file} : suppression impossible ({source})")]
    Remove {
        /// The file name, as shown to the user.
        file: String,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
}

/// The JSON text of a project file, as saved (pretty-printed, trailing newline).
pub fn project_json(file: &ProjectFile) -> Result<String, SaveError> {
    serde_json::to_string_pretty(file)
        .map(|t| t + "\n")
        .map_err(|e| match non_utf8_path(file) {
            Some(path) => SaveError::NonUtf8Path {
                path: path.to_string_lossy().into_owned(),
            },
            None => SaveError::Serialize {
                reason: e.to_string(),
            },
        })
}

/// The first source path of `file` that is not valid UTF-8 (JSON cannot hold it).
fn non_utf8_path(file: &ProjectFile) -> Option<&Path> {
    let basemap = match &file.map.basemap {
        BasemapSpec::Pmtiles { path } => Some(path.as_path()),
        _ => None,
    };
    file.zones
        .iter()
        .map(|z| z.source.as_path())
        .chain(file.tables.iter().map(|t| t.source.as_path()))
        .chain(file.points.iter().map(|p| p.source.as_path()))
        .chain(basemap)
        .find(|p| p.to_str().is_none())
}

/// Rewrites the source paths of `file`, relative to `from_dir`, as paths relative to `to_dir`.
/// Absolute paths are made relative when they share a root with `to_dir`.
pub fn rebase_paths(file: &mut ProjectFile, from_dir: &Path, to_dir: &Path) {
    let to = absolutise(to_dir);
    for_each_path(file, |p| {
        let absolute = if p.is_absolute() {
            p.clone()
        } else {
            absolutise(&from_dir.join(&*p))
        };
        if let Some(rel) = relative_path(&absolute, &to) {
            *p = rel;
        }
    });
}

/// Applies `f` to every source path of `file`: layers, tables, the PMTiles basemap and the
/// sources named by the T0 (which follow the project).
fn for_each_path(file: &mut ProjectFile, mut f: impl FnMut(&mut PathBuf)) {
    for z in &mut file.zones {
        f(&mut z.source);
    }
    for t in &mut file.tables {
        f(&mut t.source);
    }
    for pt in &mut file.points {
        f(&mut pt.source);
    }
    if let BasemapSpec::Pmtiles { path } = &mut file.map.basemap {
        f(path);
    }
    if let Some(t0) = &mut file.t0 {
        for source in &mut t0.sources {
            f(&mut source.path);
        }
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

/// The user's data folder for CartoSol, where autosaves (and other per-user state) live:
/// `$XDG_DATA_HOME/cartosol`, else `~/.local/share/cartosol` (Linux and other Unix),
/// `%APPDATA%\\CartoSol` (Windows), `~/Library/Application Support/CartoSol` (macOS). `None`
/// when the environment names no home folder.
///
/// This reads the environment: call it once at the top (the app's default options) and pass
/// the folder down; library functions and tests take the folder as an argument.
pub fn default_data_dir() -> Option<PathBuf> {
    let var = |name: &str| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    if cfg!(windows) {
        return var("APPDATA").map(|d| d.join("CartoSol"));
    }
    if cfg!(target_os = "macos") {
        return var("HOME").map(|h| h.join("Library/Application Support/CartoSol"));
    }
    var("XDG_DATA_HOME")
        .or_else(|| var("HOME").map(|h| h.join(".local/share")))
        .map(|d| d.join("cartosol"))
}

/// The folder of the autosaves inside the data folder `data_dir` (see [`default_data_dir`]).
pub fn autosave_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("autosave")
}

/// The project's path as the autosave is keyed by: canonical (links and `..` resolved) when
/// the file exists, else made absolute.
fn project_key(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| absolutise(path))
}

/// Lower-case hexadecimal SHA-256 of `bytes`.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Where the autosave of the project at `path` lives: in the user's data folder, never beside
/// the project (which may be read-only, or the bundled sample), named after the project and a
/// hash of its canonical path: `<data_dir>/autosave/essonne-<16 hex>.autosave.cartosol.json`.
pub fn autosave_path(path: &Path, data_dir: &Path) -> PathBuf {
    let key = project_key(path);
    let hash = sha256_hex(key.as_os_str().as_encoded_bytes());
    let stem: String = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .trim_end_matches(".json")
        .trim_end_matches(".cartosol")
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    let stem = if stem.is_empty() {
        "projet".into()
    } else {
        stem
    };
    autosave_dir(data_dir).join(format!(
        "{stem}-{}.autosave.cartosol.json",
        hash.get(..16).unwrap_or(&hash)
    ))
}

/// Whether `path` is an autosave file (`*.autosave.cartosol.json`, or the hidden
/// `.*.cartosol.json.autosave` of earlier versions, which lived beside the project): the app
/// never saves over one with Ctrl+S.
pub fn is_autosave_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".autosave.cartosol.json") || n.ends_with(".autosave"))
}

/// What an autosave records besides the project: which project it belongs to and the version
/// of the project file it was made from.
#[derive(Serialize, Deserialize)]
struct AutosaveHeader {
    /// The canonical path of the project file.
    autosave_of: PathBuf,
    /// SHA-256 of the project file's bytes when the autosave was written (`None`: no file).
    /// The autosave is offered only while the project file is still that version: a save made
    /// after it (even within the same clock tick) makes it stale.
    base_sha256: Option<String>,
}

/// An autosave file: its header, then the project's keys (so it also opens as a project).
#[derive(Serialize)]
struct AutosaveFile<'a> {
    #[serde(flatten)]
    header: AutosaveHeader,
    #[serde(flatten)]
    project: &'a ProjectFile,
}

/// Writes the autosave of the project at `path` into the data folder `data_dir` (atomically
/// and durably, see [`autosave_path`]). `file`'s relative source paths refer to `path`'s
/// folder; the autosave holds them absolute, so that they resolve from the data folder, and
/// records the project's path and the SHA-256 of its file as it is now.
pub fn autosave(file: &ProjectFile, path: &Path, data_dir: &Path) -> Result<(), SaveError> {
    let from_dir = parent_or_dot(path);
    let mut out = file.clone();
    out.cartosol = SCHEMA_VERSION;
    let base = absolutise(&from_dir);
    for_each_path(&mut out, |p| {
        if p.is_relative() {
            *p = absolutise(&base.join(&*p));
        }
    });
    let header = AutosaveHeader {
        autosave_of: project_key(path),
        base_sha256: std::fs::read(path).ok().map(|b| sha256_hex(&b)),
    };
    if header.autosave_of.to_str().is_none() {
        return Err(SaveError::NonUtf8Path {
            path: header.autosave_of.to_string_lossy().into_owned(),
        });
    }
    let text = serde_json::to_string_pretty(&AutosaveFile {
        header,
        project: &out,
    })
    .map(|t| t + "\n")
    .map_err(|e| match non_utf8_path(&out) {
        Some(path) => SaveError::NonUtf8Path {
            path: path.to_string_lossy().into_owned(),
        },
        None => SaveError::Serialize {
            reason: e.to_string(),
        },
    })?;
    let target = autosave_path(path, data_dir);
    std::fs::create_dir_all(autosave_dir(data_dir)).map_err(|e| WriteError::new(&target, e))?;
    Ok(write_atomic(&target, text.as_bytes())?)
}

/// The folder of `path` (`.` for a bare file name).
fn parent_or_dot(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The autosaved state of the project at `path`, to offer after a crash, with its source
/// paths relative to the project's folder again. Present when the autosave in `data_dir`
/// exists, reads completely as a valid project, belongs to this project, and was made from the
/// project file as it is now (no save since: the autosave is the newest state). `None`
/// otherwise; a half-written temporary is never looked at.
pub fn recover(path: &Path, data_dir: &Path) -> Option<ProjectFile> {
    let auto = autosave_path(path, data_dir);
    let text = std::fs::read_to_string(&auto).ok()?;
    let header: AutosaveHeader = serde_json::from_str(&text).ok()?;
    if header.autosave_of != project_key(path) {
        return None;
    }
    match std::fs::read(path) {
        Ok(bytes) => {
            if header.base_sha256.as_deref() != Some(sha256_hex(&bytes).as_str()) {
                return None;
            }
        }
        // The project file is gone: the autosave is all that is left.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(_) => return None,
    }
    let mut file = ProjectFile::read(&auto).ok()?;
    rebase_paths(&mut file, &parent_or_dot(&auto), &parent_or_dot(path));
    Some(file)
}

/// Removes the autosave of the project at `path` from `data_dir` (after a save, or when the
/// user declines the recovery). A missing autosave is not an error.
pub fn discard_autosave(path: &Path, data_dir: &Path) -> Result<(), SaveError> {
    let auto = autosave_path(path, data_dir);
    match std::fs::remove_file(&auto) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(SaveError::Remove {
            file: display_name(&auto),
            source: e,
        }),
    }
}

/// Saves the project to `path` as the app's Ctrl+S does: [`save_project`], then the project's
/// autosave in `data_dir` is removed (it is older than the file now). A kill between the two
/// leaves an autosave that [`recover`] no longer offers: it was made from the previous file.
pub fn save_and_discard_autosave(
    file: &ProjectFile,
    from_dir: &Path,
    path: &Path,
    data_dir: &Path,
) -> Result<(), SaveError> {
    save_project(file, from_dir, path)?;
    discard_autosave(path, data_dir)
}

/// Whether the project at `path` is read-only for CartoSol: it lies under `bundled` (the
/// bundled sample's folder, see [`crate::bundled::bundled_sample_dir`]), or the file cannot be written, or its
/// folder cannot take the temporary file of an atomic save (tried by creating and removing
/// one, which also catches read-only mounts and the administrator's rights). Changes to a
/// read-only project go to *Enregistrer sous*. A project file that does not exist yet is
/// writable when its folder is.
pub fn is_read_only_project(path: &Path, bundled: Option<&Path>) -> bool {
    let key = project_key(path);
    if bundled.is_some_and(|dir| {
        std::fs::canonicalize(dir)
            .map(|d| key.starts_with(d))
            .unwrap_or(false)
    }) {
        return true;
    }
    match std::fs::metadata(path) {
        Ok(m) if m.permissions().readonly() => return true,
        Ok(_) => {
            if let Err(e) = std::fs::OpenOptions::new().append(true).open(path)
                && e.kind() == std::io::ErrorKind::PermissionDenied
            {
                return true;
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(_) => return true,
    }
    // The probe is named like a temporary of the project file, so that a probe left by a
    // crash is cleaned like any stale temporary.
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let probe = parent_or_dot(path).join(format!(".{name}.tmp-{}-sonde", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(f) => {
            drop(f);
            let _ = std::fs::remove_file(&probe);
            false
        }
        Err(e) => e.kind() != std::io::ErrorKind::AlreadyExists,
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

    /// A project file with one zone layer read from `source`.
    fn project_with_source(source: PathBuf) -> ProjectFile {
        ProjectFile {
            cartosol: SCHEMA_VERSION,
            title: "Essonne".to_owned(),
            sources_note: String::new(),
            zones: vec![ZoneSpec {
                id: "communes".to_owned(),
                name: "Communes".to_owned(),
                source,
                layer: None,
                crs: None,
                code_field: "INSEE_COM".to_owned(),
                name_field: "NOM".to_owned(),
                population_field: None,
                repair_geometries: false,
            }],
            tables: Vec::new(),
            points: Vec::new(),
            map: MapSpec::default(),
            views: Vec::new(),
            dictionary: Vec::new(),
            t0: None,
            siting: Vec::new(),
            schemes: None,
            proposals: Vec::new(),
            diagnostic: DiagnosticSpec::default(),
        }
    }

    #[test]
    fn diagnostic_settings_round_trip_and_old_files_open_with_the_defaults() {
        let mut file = project_with_source(PathBuf::from("communes.shp"));
        let text = project_json(&file).expect("serialisable");
        assert!(!text.contains("diagnostic"), "{text}");
        let old: ProjectFile = serde_json::from_str(&text).expect("an old file opens");
        assert_eq!(old.diagnostic, DiagnosticSpec::default());
        file.diagnostic.map = DiagnosticMap::Lisa;
        file.diagnostic.lisa_smoothing = Smoothing::SpatialEmpiricalBayes;
        file.diagnostic.k = 6;
        let text = project_json(&file).expect("serialisable");
        assert!(text.contains("\"map\": \"lisa\""), "{text}");
        assert!(
            text.contains("\"lisa_smoothing\": \"spatial_empirical_bayes\""),
            "{text}"
        );
        let back: ProjectFile = serde_json::from_str(&text).expect("reads back");
        assert_eq!(back.diagnostic, file.diagnostic);
        // A file naming only some settings keeps the defaults of the others.
        let partial: DiagnosticSpec =
            serde_json::from_str(r#"{"map": "situations", "min_flags": 3}"#).expect("partial");
        assert_eq!(partial.min_flags, 3);
        assert_eq!(partial.permutations, 999);
        assert_eq!(partial.map, DiagnosticMap::Situations);
    }

    #[cfg(unix)]
    #[test]
    fn a_non_utf8_path_is_a_save_error_not_a_rendering_error() {
        use std::os::unix::ffi::OsStrExt;
        // "donn\xe9es" is "données" in Latin-1: a name a Windows share can hand to Linux.
        let source = PathBuf::from(std::ffi::OsStr::from_bytes(
            b"/partage/donn\xe9es/communes.shp",
        ));
        let err = project_json(&project_with_source(source)).expect_err("JSON holds only UTF-8");
        assert_eq!(
            err.to_string(),
            "projet non enregistré : le chemin « /partage/donn\u{fffd}es/communes.shp » contient des caractères qui ne sont pas de l'UTF-8 valide (renommer le fichier ou son dossier)"
        );
    }

    #[test]
    fn a_valid_project_is_saved_as_pretty_json_with_a_final_newline() {
        let text = project_json(&project_with_source(PathBuf::from("communes.shp")))
            .expect("serialisable");
        assert!(text.starts_with("{\n  \"cartosol\": 1,"), "{text}");
        assert!(text.ends_with("}\n"));
    }

    /// A fresh folder in the system's temporary folder.
    fn temp(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("cartosol-save-tests-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn the_autosave_lives_in_the_data_folder_keyed_by_the_canonical_path() {
        let root = temp("cle");
        let data = root.join("donnees");
        let a = root.join("a");
        let b = root.join("b");
        for d in [&a, &b] {
            std::fs::create_dir_all(d).expect("dir");
            std::fs::write(d.join("essonne.cartosol.json"), "{}").expect("write");
        }
        let pa = autosave_path(&a.join("essonne.cartosol.json"), &data);
        assert_eq!(pa.parent(), Some(data.join("autosave").as_path()));
        let name = pa.file_name().and_then(|n| n.to_str()).expect("name");
        assert!(name.starts_with("essonne-"), "{name}");
        assert!(name.ends_with(".autosave.cartosol.json"), "{name}");
        assert_eq!(
            name.len(),
            "essonne-".len() + 16 + ".autosave.cartosol.json".len()
        );
        assert!(is_autosave_file(&pa));
        // Two projects of the same name in two folders: two autosaves.
        assert_ne!(pa, autosave_path(&b.join("essonne.cartosol.json"), &data));
        // The same file by another path: the same autosave.
        assert_eq!(
            pa,
            autosave_path(&b.join("../a/./essonne.cartosol.json"), &data)
        );
        std::fs::remove_dir_all(&root).expect("clean up");
    }

    #[test]
    fn an_autosave_resolves_its_paths_from_the_data_folder_and_is_offered_until_the_next_save() {
        let root = temp("reprise");
        let data = root.join("donnees");
        let project_dir = root.join("etude");
        std::fs::create_dir_all(project_dir.join("couches")).expect("dir");
        let path = project_dir.join("etude.cartosol.json");
        let saved = project_with_source(PathBuf::from("couches/communes.geojson"));
        save_project(&saved, &project_dir, &path).expect("save");
        assert!(recover(&path, &data).is_none(), "no autosave yet");

        let mut changed = saved.clone();
        changed.title = "Essonne modifiée".to_owned();
        autosave(&changed, &path, &data).expect("autosave");
        // Nothing beside the project; the autosave holds the absolute source path and the
        // project it belongs to.
        let beside: Vec<_> = std::fs::read_dir(&project_dir)
            .expect("list")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .collect();
        assert_eq!(beside.len(), 2, "{beside:?}");
        let auto = autosave_path(&path, &data);
        let text = std::fs::read_to_string(&auto).expect("autosave written");
        let canonical_dir = std::fs::canonicalize(&project_dir).expect("canonical");
        let absolute = canonical_dir.join("couches/communes.geojson");
        assert!(
            text.contains(&format!("\"source\": \"{}\"", absolute.display())),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "\"autosave_of\": \"{}\"",
                canonical_dir.join("etude.cartosol.json").display()
            )),
            "{text}"
        );
        // Opened as a project from the data folder, the source resolves to the same file.
        let as_project = ProjectFile::read(&auto).expect("an autosave opens as a project");
        let z = as_project.zones.first().expect("zone");
        assert_eq!(auto.parent().expect("dir").join(&z.source), absolute);

        // Offered, with the path relative to the project's folder again.
        let offered = recover(&path, &data).expect("offered");
        assert_eq!(offered.title, "Essonne modifiée");
        assert_eq!(
            offered.zones.first().map(|z| z.source.clone()),
            Some(PathBuf::from("couches/communes.geojson"))
        );
        // A save after the autosave (even within the same clock tick) makes it stale, removed
        // or not.
        save_project(&changed, &project_dir, &path).expect("save");
        assert!(recover(&path, &data).is_none());
        assert!(auto.exists());
        save_and_discard_autosave(&changed, &project_dir, &path, &data).expect("save");
        assert!(!auto.exists());
        std::fs::remove_dir_all(&root).expect("clean up");
    }

    #[test]
    fn an_autosave_of_another_project_or_a_half_written_one_is_never_offered() {
        let root = temp("etrangere");
        let data = root.join("donnees");
        let path = root.join("etude.cartosol.json");
        let file = project_with_source(PathBuf::from("communes.geojson"));
        save_project(&file, &root, &path).expect("save");
        autosave(&file, &path, &data).expect("autosave");
        let auto = autosave_path(&path, &data);
        let text = std::fs::read_to_string(&auto).expect("read");
        // Cut in the middle: not a project.
        std::fs::write(&auto, text.get(..text.len() / 2).unwrap_or_default()).expect("cut");
        assert!(recover(&path, &data).is_none());
        // Complete, but recorded for another project (a hash collision, a copied file).
        let other = text.replace("etude.cartosol.json\",", "autre.cartosol.json\",");
        assert_ne!(other, text);
        std::fs::write(&auto, other).expect("write");
        assert!(recover(&path, &data).is_none());
        std::fs::write(&auto, &text).expect("write");
        assert!(recover(&path, &data).is_some());
        std::fs::remove_dir_all(&root).expect("clean up");
    }

    #[test]
    fn a_bundled_or_unwritable_project_is_read_only() {
        let root = temp("lecture-seule");
        let bundled = root.join("exemple");
        std::fs::create_dir_all(&bundled).expect("dir");
        let sample = bundled.join("essonne.cartosol.json");
        std::fs::write(&sample, "{}").expect("write");
        let mine = root.join("mien.cartosol.json");
        std::fs::write(&mine, "{}").expect("write");
        assert!(is_read_only_project(&sample, Some(&bundled)));
        assert!(!is_read_only_project(&sample, None));
        assert!(!is_read_only_project(&mine, Some(&bundled)));
        assert!(!is_read_only_project(
            &root.join("nouveau.cartosol.json"),
            None
        ));
        let mut perms = std::fs::metadata(&mine).expect("meta").permissions();
        perms.set_readonly(true);
        std::fs::set_permissions(&mine, perms).expect("chmod");
        assert!(is_read_only_project(&mine, None));
        // The probe left nothing behind.
        let mut names: Vec<String> = std::fs::read_dir(&root)
            .expect("list")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, vec!["exemple", "mien.cartosol.json"]);
        let mut perms = std::fs::metadata(&mine).expect("meta").permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&mine, perms).expect("chmod");
        std::fs::remove_dir_all(&root).expect("clean up");
    }
}
