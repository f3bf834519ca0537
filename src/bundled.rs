//! The sample project bundled with CartoSol: where it is wherever the binary runs from (a
//! checkout, `target/release`, `/usr/bin` with the data in `/usr/share/cartosol`), never the
//! current directory; and the vintages of its data, printed by `cartosol --version`.

use crate::error::{LoadError, display_name};
use crate::project::{ProjectFile, completed_dictionary};
use crate::table::{TableFormat, detect_header, read_csv_grid};
use std::path::{Path, PathBuf};

/// The environment variable naming the folder of the bundled data: either the folder holding
/// `sample_data/` (like `/usr/share/cartosol`) or the `sample_data/` folder itself.
pub const DATA_DIR_ENV: &str = "CARTOSOL_DATA_DIR";

/// The file name of the bundled sample project inside `sample_data/`.
pub const SAMPLE_FILE: &str = "essonne.cartosol.json";

/// Where the Debian package installs the bundled data (`sample_data/` inside it).
pub const INSTALLED_DATA_DIR: &str = "/usr/share/cartosol";

/// The bundled sample project was found nowhere.
#[derive(Debug, thiserror::Error)]
#[error(
    "projet d'exemple {SAMPLE_FILE} introuvable (cherché dans : {}) ; indiquez le dossier des données par la variable {DATA_DIR_ENV}",
    searched.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
)]
pub struct SampleNotFound {
    /// The `sample_data` folders looked into, in order.
    pub searched: Vec<PathBuf>,
}

/// The `sample_data` folders that may hold the bundled sample, in the order they are tried:
/// 1. `data_dir_env` (the value of [`DATA_DIR_ENV`]): `<it>/sample_data`, then `<it>` itself;
/// 2. `cargo_manifest_dir` (the runtime `CARGO_MANIFEST_DIR` that `cargo run` and `cargo test`
///    set, so a checkout runs on its own sample): `<it>/sample_data`;
/// 3. beside the executable `exe`: `<exe dir>/sample_data`, `<exe dir>/../../sample_data`
///    (`target/release/cartosol`), `<exe dir>/../../../sample_data` (test binaries in
///    `target/debug/deps`, cross builds in `target/<triple>/release`);
/// 4. installed: `<exe dir>/../share/cartosol/sample_data`, then [`INSTALLED_DATA_DIR`]`/sample_data`.
///
/// Relative values are ignored: nothing is ever looked for in the current directory.
pub fn sample_dir_candidates(
    data_dir_env: Option<&Path>,
    cargo_manifest_dir: Option<&Path>,
    exe: Option<&Path>,
) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(dir) = data_dir_env.filter(|d| d.is_absolute()) {
        out.push(dir.join("sample_data"));
        out.push(dir.to_path_buf());
    }
    if let Some(dir) = cargo_manifest_dir.filter(|d| d.is_absolute()) {
        out.push(dir.join("sample_data"));
    }
    if let Some(dir) = exe.filter(|e| e.is_absolute()).and_then(Path::parent) {
        out.push(dir.join("sample_data"));
        out.push(dir.join("../../sample_data"));
        out.push(dir.join("../../../sample_data"));
        out.push(dir.join("../share/cartosol/sample_data"));
    }
    out.push(Path::new(INSTALLED_DATA_DIR).join("sample_data"));
    out
}

/// The bundled sample project: the first of [`sample_dir_candidates`] (from this process's
/// environment and executable) that holds [`SAMPLE_FILE`].
pub fn find_sample_project() -> Result<PathBuf, SampleNotFound> {
    let env_dir = std::env::var_os(DATA_DIR_ENV).map(PathBuf::from);
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let exe = std::env::current_exe().ok();
    let candidates =
        sample_dir_candidates(env_dir.as_deref(), manifest_dir.as_deref(), exe.as_deref());
    match candidates.iter().find(|d| d.join(SAMPLE_FILE).is_file()) {
        Some(dir) => {
            let path = dir.join(SAMPLE_FILE);
            // `a/b/../../sample_data` reads better resolved; keep it as is if that fails.
            Ok(std::fs::canonicalize(&path).unwrap_or(path))
        }
        None => Err(SampleNotFound {
            searched: candidates,
        }),
    }
}

/// The vintages the project at `path` declares for its data, one line each, in French:
/// - the title rows of its tables (the rows above the header) that give a vintage
///   (« Millésime… »), prefixed by the file name;
/// - the sources and vintages of its indicator dictionary (the project's own entries and its
///   workbooks' definitions sheets), with the fields they cover;
/// - its note on sources (`sources_note`).
///
/// Nothing is guessed: a project that states no vintage gives only what it does state.
pub fn data_vintages(path: &Path) -> Result<Vec<String>, LoadError> {
    let file = ProjectFile::read(path)?;
    let base = path.parent().unwrap_or(Path::new(""));
    let mut lines: Vec<String> = Vec::new();
    let mut push = |line: String| {
        if !lines.contains(&line) {
            lines.push(line);
        }
    };
    for table in &file.tables {
        let source = base.join(&table.source);
        for title in title_rows(&source, table.options.sheet.as_deref())? {
            if mentions_vintage(&title) {
                push(format!("{} : {title}", display_name(&table.source)));
            }
        }
    }
    let (dictionary, _) = completed_dictionary(&file, base);
    let mut by_vintage: Vec<(String, Vec<String>)> = Vec::new();
    for def in &dictionary {
        let Some(vintage) = def.vintage.as_deref().filter(|v| !v.trim().is_empty()) else {
            continue;
        };
        let key = match def.source.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(source) => format!("{} {}", source.trim(), vintage.trim()),
            None => vintage.trim().to_owned(),
        };
        match by_vintage.iter_mut().find(|(k, _)| *k == key) {
            Some((_, codes)) => codes.push(def.code.clone()),
            None => by_vintage.push((key, vec![def.code.clone()])),
        }
    }
    for (key, codes) in by_vintage {
        push(format!("dictionnaire : {key} ({})", codes.join(", ")));
    }
    if !file.sources_note.trim().is_empty() {
        push(format!("sources : {}", file.sources_note.trim()));
    }
    Ok(lines)
}

/// Whether a title line states a vintage (« Millésime », « millésime », « Millesime »).
fn mentions_vintage(line: &str) -> bool {
    let lower = line.to_lowercase();
    lower.contains("millésime") || lower.contains("millesime")
}

/// How many rows at the top of a table are looked at for its title rows.
const TITLE_ROWS_MAX: usize = 30;

/// The text of the rows above the header of a table file (the title and note rows an INSEE
/// file starts with), each row's non-empty cells joined by a space. A table without title rows
/// gives none.
fn title_rows(path: &Path, sheet: Option<&str>) -> Result<Vec<String>, LoadError> {
    let format = TableFormat::from_path(path).ok_or_else(|| {
        LoadError::format(
            path,
            "extension non reconnue pour un tableau (attendu : .csv, .xlsx, .xls, .ods)",
        )
    })?;
    let rows: Vec<Vec<String>> = if format == TableFormat::Csv {
        let bytes = std::fs::read(path).map_err(|e| LoadError::io(path, e))?;
        let (rows, _, _) = read_csv_grid(path, &bytes, None)?;
        let header = detect_header(&rows).unwrap_or(0);
        rows.iter()
            .take(header.min(TITLE_ROWS_MAX))
            .map(|r| r.cells.iter().map(cell_text).collect())
            .collect()
    } else {
        workbook_top_rows(path, sheet)?
    };
    Ok(rows
        .into_iter()
        .map(|cells| {
            cells
                .iter()
                .map(|c| c.trim())
                .filter(|c| !c.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|line| !line.is_empty())
        .collect())
}

fn cell_text(cell: &crate::table::RawCell) -> String {
    match cell {
        crate::table::RawCell::Text(s) => s.clone(),
        _ => String::new(),
    }
}

/// The rows of a workbook sheet above its header (the first row of three or more non-empty
/// cells), at most [`TITLE_ROWS_MAX`]; text cells only.
fn workbook_top_rows(path: &Path, sheet: Option<&str>) -> Result<Vec<Vec<String>>, LoadError> {
    use calamine::{Data, Reader};
    let mut workbook = calamine::open_workbook_auto(path)
        .map_err(|e| LoadError::format(path, format!("classeur illisible ({e})")))?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(wanted) => names.iter().find(|n| n.eq_ignore_ascii_case(wanted)),
        None => names.first(),
    }
    .cloned()
    .ok_or_else(|| LoadError::format(path, "feuille introuvable"))?;
    let range = workbook
        .worksheet_range(&name)
        .map_err(|e| LoadError::format(path, format!("feuille « {name} » illisible ({e})")))?;
    let mut out = Vec::new();
    for row in range.rows().take(TITLE_ROWS_MAX) {
        let filled = row.iter().filter(|c| !matches!(c, Data::Empty)).count();
        if filled >= 3 {
            break;
        }
        out.push(
            row.iter()
                .map(|c| match c {
                    Data::String(s) => s.clone(),
                    _ => String::new(),
                })
                .collect(),
        );
    }
    Ok(out)
}

/// The folder of the bundled sample project, when one is found (the hook for read-only
/// projects: whatever lies under it is bundled with CartoSol and never written to).
pub fn bundled_sample_dir() -> Option<PathBuf> {
    let sample = find_sample_project().ok()?;
    std::fs::canonicalize(sample)
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_order_and_never_the_current_directory() {
        let got = sample_dir_candidates(
            Some(Path::new("/opt/donnees")),
            Some(Path::new("/src/cartosol")),
            Some(Path::new("/usr/bin/cartosol")),
        );
        let want: Vec<PathBuf> = [
            "/opt/donnees/sample_data",
            "/opt/donnees",
            "/src/cartosol/sample_data",
            "/usr/bin/sample_data",
            "/usr/bin/../../sample_data",
            "/usr/bin/../../../sample_data",
            "/usr/bin/../share/cartosol/sample_data",
            "/usr/share/cartosol/sample_data",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(got, want);
        // Relative values (the current directory in disguise) are ignored.
        let got = sample_dir_candidates(
            Some(Path::new("donnees")),
            Some(Path::new(".")),
            Some(Path::new("cartosol")),
        );
        assert_eq!(got, vec![PathBuf::from("/usr/share/cartosol/sample_data")]);
    }

    #[test]
    fn not_found_names_every_place_and_the_variable() {
        let e = SampleNotFound {
            searched: vec![PathBuf::from("/a/sample_data"), PathBuf::from("/b")],
        };
        assert_eq!(
            e.to_string(),
            "projet d'exemple essonne.cartosol.json introuvable (cherché dans : /a/sample_data, \
             /b) ; indiquez le dossier des données par la variable CARTOSOL_DATA_DIR"
        );
    }
}
