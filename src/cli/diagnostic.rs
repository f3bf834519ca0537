//! `cartosol diagnostic PROJECT --out diagnostic.xlsx`: the diagnostic of a zone layer in one
//! workbook, one sheet per part: the indicator dictionary, the poverty profiles (département
//! ranks, mix and location quotients per zone, most over-represented profile), the aggravating
//! factors (gaps and robust z-scores), the sensitive local situations, and the rules in words.

use anyhow::{Context, Result, bail};
use cartosol::analysis::factors::{Factor, factors_table};
use cartosol::analysis::situations::{FlagRule, sensitive_situations, situations_table};
use cartosol::analysis::smoothing::Smoothing;
use cartosol::dictionary::{
    Direction, IndicatorDef, IndicatorKind, def_of, dictionary_table, merge,
};
use cartosol::export::data::{DataExportOptions, SheetSpec, write_workbook};
use cartosol::export::diagnostic_maps::{layer_factors, layer_profiles};
use cartosol::export::secrecy::{SecrecyGuard, ZoneLevel, zone_level};
use cartosol::model::{Field, FieldKind, Table};
use cartosol::value::{Value, format_number};
use clap::ValueEnum;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, ValueEnum)]
enum RuleArg {
    /// Boîte à moustaches (charnière 1,5) du côté du besoin.
    Boxmap,
    /// Score z robuste au-delà de --seuil-z.
    Z,
    /// L'une ou l'autre règle.
    #[value(name = "les-deux")]
    Both,
}

/// The arguments.
#[derive(clap::Args)]
pub struct Args {
    /// Projet (*.cartosol.json).
    project: PathBuf,
    /// Couche de zones du projet (identifiant, ex. « communes » ou « epci »).
    #[arg(long, default_value = "communes")]
    zones_layer: String,
    /// Champs des effectifs de profils de ménages pauvres, séparés par des virgules (par
    /// défaut : les champs MP_* de la couche).
    #[arg(long, value_delimiter = ',')]
    profils: Vec<String>,
    /// Facteurs aggravants, séparés par des virgules (par défaut : les taux, parts et ratios
    /// de la couche selon le dictionnaire).
    #[arg(long, value_delimiter = ',')]
    facteurs: Vec<String>,
    /// Nombre minimal d'indicateurs signalés pour une situation locale sensible.
    #[arg(long, default_value_t = 2)]
    n: usize,
    /// Règle de signalement d'un indicateur.
    #[arg(long, value_enum, default_value = "boxmap")]
    regle: RuleArg,
    /// Seuil du score z robuste (règles « z » et « les-deux »).
    #[arg(long, default_value_t = 2.0)]
    seuil_z: f64,
    /// Champ de pondération des moyennes départementales (par défaut : la population de la
    /// couche dans le projet).
    #[arg(long)]
    population_field: Option<String>,
    /// Lève le secret statistique (effectifs inférieurs à 11 non masqués).
    #[arg(long)]
    lever_secret: bool,
    /// Lissage des taux des facteurs avant les écarts, scores z et signalements (petites
    /// populations) : taux définis par un ratio déclaré du projet (numérateur /
    /// dénominateur) ; les autres facteurs restent bruts.
    #[arg(long, value_enum, default_value = "brut")]
    lissage: super::lisa::SmoothingArg,
    /// Classeur à écrire (.xlsx).
    #[arg(long)]
    out: PathBuf,
}

/// The project's dictionary completed by the definitions sheets of its workbooks.
fn dictionary(project: &cartosol::project::Project, project_path: &Path) -> Vec<IndicatorDef> {
    let base = project_path.parent().unwrap_or(Path::new("."));
    let (dict, notes) = cartosol::project::completed_dictionary(&project.file, base);
    for note in notes {
        eprintln!("Note : {note}");
    }
    dict
}

fn text_table(name: &str, lines: &[String]) -> Table {
    Table {
        fields: vec![Field {
            name: name.to_owned(),
            kind: FieldKind::Text,
            values: lines.iter().map(|l| Value::Text(l.clone())).collect(),
        }],
        row_origin: (1..=lines.len() as u64).collect(),
    }
}

fn clean(list: &[String]) -> Vec<String> {
    list.iter()
        .map(|f| f.trim().to_owned())
        .filter(|f| !f.is_empty())
        .collect()
}

pub fn run(args: Args) -> Result<()> {
    if args
        .out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        != Some("xlsx".to_owned())
    {
        bail!(
            "--out : le diagnostic s'écrit dans un classeur .xlsx ({} demandé)",
            args.out.display()
        );
    }
    if !(args.seuil_z.is_finite() && args.seuil_z > 0.0) {
        bail!("--seuil-z : le seuil doit être un nombre positif");
    }
    let project = cartosol::project::open_project(&args.project)?;
    cartosol::fsutil::refuse_overwrite(&args.out, &project.input_files())?;
    let (spec, layer) = super::zone_layer(&project, &args.project, &args.zones_layer, "zones")?;
    let layer_label = format!("la couche « {} »", spec.id);
    let attributes = &layer.attributes;
    let dict = dictionary(&project, &args.project);
    let names: Vec<String> = attributes.field_names().map(str::to_owned).collect();
    let mut profile_fields = clean(&args.profils);
    if profile_fields.is_empty() {
        profile_fields = names
            .iter()
            .filter(|n| n.to_ascii_uppercase().starts_with("MP_"))
            .cloned()
            .collect();
    }
    if profile_fields.is_empty() {
        bail!("aucun champ de profil MP_* dans {layer_label} : précisez-les (--profils)");
    }
    let mut factor_fields = clean(&args.facteurs);
    if factor_fields.is_empty() {
        factor_fields = names
            .iter()
            .filter(|n| !profile_fields.contains(n))
            .filter(|n| {
                let d = def_of(&dict, n);
                matches!(d.kind, IndicatorKind::Percent | IndicatorKind::Ratio)
                    && d.direction != Direction::Neutral
            })
            .cloned()
            .collect();
    }
    if factor_fields.is_empty() {
        bail!("aucun facteur (taux, part ou ratio) dans {layer_label} : précisez-les (--facteurs)");
    }
    let level = zone_level(attributes, &spec.code_field);
    let guard = SecrecyGuard {
        lifted: args.lever_secret,
        ..SecrecyGuard::default()
    }
    .with_privacy(&project.file.map.privacy);

    // Profiles: département figures from every complete zone; per zone, a mix that would
    // reveal a count under the secrecy threshold is withheld at commune level.
    let (mix, withheld) = layer_profiles(spec, layer, &profile_fields, &guard)?;
    let name_field = Some(spec.name_field.as_str());
    let profiles_department = mix.department_table(&dict);
    let profiles_zones = mix.zones_table(
        attributes,
        &spec.code_field,
        name_field,
        &dict,
        "Ménages pauvres du profil (ménages)",
    );
    let profiles_top = mix.top_table(attributes, &spec.code_field, name_field, &dict);

    let weight = args
        .population_field
        .clone()
        .or_else(|| spec.population_field.clone());
    // Département values from the project's ratios (from the EPCI layer when the communes'
    // own are under secrecy); rates smoothed first when asked.
    let smoothing: Smoothing = args.lissage.into();
    let zones: Vec<_> = project.zones.iter().map(|(s, l)| (s, l)).collect();
    let (factor_list, smoothing_notes) = layer_factors(
        &project.file,
        &zones,
        (spec, layer),
        &factor_fields,
        &dict,
        weight.as_deref(),
        smoothing,
    )?;
    let factors_sheet = factors_table(&factor_list, attributes, &spec.code_field, name_field);
    let rule = match args.regle {
        RuleArg::Boxmap => FlagRule::BoxMap,
        RuleArg::Z => FlagRule::RobustZ {
            threshold: args.seuil_z,
        },
        RuleArg::Both => FlagRule::Either {
            threshold: args.seuil_z,
        },
    };
    let situations = sensitive_situations(&factor_list, attributes.len(), rule, args.n);
    let situations_sheet = situations_table(
        &situations,
        &factor_list,
        attributes,
        &spec.code_field,
        name_field,
    );
    let mut used: Vec<IndicatorDef> = Vec::new();
    for f in profile_fields.iter().chain(&factor_fields) {
        used.push(def_of(&dict, f));
    }
    merge(&mut used, dict.clone());
    let dictionary_sheet = dictionary_table(&used);
    let mut rules_lines =
        rules_in_words(&args, spec, &profile_fields, &factor_list, rule, &withheld);
    if smoothing != Smoothing::Raw {
        rules_lines.push(format!(
            "Lissage des facteurs avant les écarts, scores z et signalements : {}. Le taux \
             lissé rapproche le taux d'une petite zone de la moyenne (globale, ou de ses \
             voisines pour le lissage spatial) selon le nombre de ménages de la zone.",
            smoothing.label()
        ));
        for note in &smoothing_notes {
            rules_lines.push(format!("Lissage : {note}."));
        }
    }
    let rules_sheet = text_table("Règle", &rules_lines);

    let sheets = [
        SheetSpec {
            name: "Dictionnaire",
            table: &dictionary_sheet,
            level: ZoneLevel::Aggregate,
        },
        SheetSpec {
            name: "Profils - département",
            table: &profiles_department,
            level: ZoneLevel::Aggregate,
        },
        SheetSpec {
            name: "Profils par zone",
            table: &profiles_zones,
            level,
        },
        SheetSpec {
            name: "Profil surreprésenté",
            table: &profiles_top,
            level,
        },
        SheetSpec {
            name: "Facteurs",
            table: &factors_sheet,
            level,
        },
        SheetSpec {
            name: "Situations sensibles",
            table: &situations_sheet,
            level,
        },
        SheetSpec {
            name: "Règles",
            table: &rules_sheet,
            level: ZoneLevel::Aggregate,
        },
    ];
    let options = DataExportOptions {
        reason_columns: false,
        secrecy: guard.clone(),
        ..Default::default()
    };
    write_workbook(&args.out, &sheets, &options, &guard)
        .with_context(|| format!("{} non écrit", args.out.display()))?;
    println!(
        "Diagnostic de {layer_label} : {} zone(s), {} profil(s), {} facteur(s)",
        attributes.len(),
        profile_fields.len(),
        factor_list.len()
    );
    println!(
        "Situations locales sensibles (au moins {} indicateur(s) signalé(s)) : {}",
        args.n.max(1),
        situations.len()
    );
    for note in &smoothing_notes {
        println!("Lissage : {note}");
    }
    println!("Écrit : {}", args.out.display());
    Ok(())
}

/// The rules of the diagnostic in words (the « Règles » sheet).
fn rules_in_words(
    args: &Args,
    spec: &cartosol::project::ZoneSpec,
    profiles: &[String],
    factors: &[Factor],
    rule: FlagRule,
    withheld: &[usize],
) -> Vec<String> {
    let mut lines = vec![
        format!("Couche de zones : {} ({}).", spec.name, spec.id),
        format!(
            "Profils de ménages pauvres : {}. Part d'un profil dans une zone = effectif du profil / somme des effectifs des profils de la zone (%). Part dans le département = somme des effectifs du profil / somme des effectifs de tous les profils, sur les zones aux effectifs complets (%).",
            profiles.join(", ")
        ),
        "Quotient de localisation = part du profil dans la zone / part du profil dans le département (1 = comme le département ; au-dessus de 1 = surreprésenté).".to_owned(),
        "Rang d'un profil = son rang par part départementale décroissante (1 = le plus fréquent ; à égalité, l'ordre des champs).".to_owned(),
        "Profil le plus surreprésenté d'une zone = celui de plus fort quotient de localisation (à égalité, le premier dans l'ordre des champs).".to_owned(),
        "Une zone dont un effectif de profil manque (secret statistique, non disponible) est écartée avec son motif : elle n'est jamais comptée pour 0.".to_owned(),
    ];
    if !withheld.is_empty() {
        lines.push(format!(
            "Secret statistique : le profil de {} zone(s) ayant un effectif inférieur à 11 n'est pas publié (leurs effectifs restent comptés dans les figures départementales).",
            withheld.len()
        ));
    }
    lines.push(
        "Écart à la valeur départementale = valeur de la zone − valeur départementale, dans l'unité de l'indicateur (signé, non orienté).".to_owned(),
    );
    lines.push(
        "Score z robuste = (valeur − médiane des zones) / (1,4826 × écart absolu médian), multiplié par −1 pour un indicateur d'offre : positif = plus de besoin que la zone médiane. Non calculé si l'écart absolu médian est nul.".to_owned(),
    );
    for f in factors {
        lines.push(format!(
            "{} ({}) : {} ; {} ; médiane {} ; Q1 {} ; Q3 {}.",
            f.def.label,
            f.field,
            cartosol::analysis::factors::direction_word(f.def.direction),
            f.reference_method,
            format_number(f.median),
            format_number(f.q1),
            format_number(f.q3)
        ));
    }
    lines.push(format!(
        "Signalement d'un indicateur : {}.",
        rule.describe()
    ));
    lines.push(format!(
        "Situation locale sensible : zone signalée sur au moins {} indicateur(s).",
        args.n.max(1)
    ));
    lines
}
