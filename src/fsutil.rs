//! File-system helpers shared by every layer that writes files (the project file, its
//! autosave, every export): one atomic write, one error naming the file.
//!
//! This module sits at the bottom of the import graph: it imports nothing from the crate but
//! [`crate::error::display_name`].

use crate::error::display_name;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// A file that could not be written. The message names the file, in French.
#[derive(Debug, thiserror::Error)]
#[error("{file} : écriture impossible ({source})")]
pub struct WriteError {
    /// The file name, as shown to the user.
    pub file: String,
    /// The system's error.
    #[source]
    pub source: std::io::Error,
}

impl WriteError {
    /// An I/O error on `path`.
    pub fn new(path: &Path, source: std::io::Error) -> Self {
        WriteError {
            file: display_name(path),
            source,
        }
    }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, flushed to disk,
/// then renamed over the target, so a crash never leaves a half-written file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sortie".to_owned());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(WriteError::new(path, e));
    }
    Ok(())
}

/// An output that would replace one of the command's own inputs.
#[derive(Debug, thiserror::Error)]
#[error(
    "{file} est {role} : la commande n'écrit jamais sur ses entrées, choisissez un autre fichier de sortie"
)]
pub struct OverwriteError {
    /// The file, as shown to the user.
    pub file: String,
    /// What the file is to the command (« le projet », « source de la couche « communes » »).
    pub role: String,
}

/// Refuses an output `out` that is one of `inputs` (the same file once links and `..` are
/// resolved; an output that does not exist yet cannot be one).
pub fn refuse_overwrite(out: &Path, inputs: &[(PathBuf, String)]) -> Result<(), OverwriteError> {
    let Ok(target) = std::fs::canonicalize(out) else {
        return Ok(());
    };
    for (input, role) in inputs {
        if std::fs::canonicalize(input).is_ok_and(|i| i == target) {
            return Err(OverwriteError {
                file: display_name(out),
                role: role.clone(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_the_whole_file_and_leaves_no_temporary() {
        let dir = std::env::temp_dir().join(format!("cartosol-fsutil-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("carte.svg");
        write_atomic(&path, b"ancien").expect("first write");
        write_atomic(&path, b"nouveau contenu").expect("second write");
        assert_eq!(std::fs::read(&path).expect("read"), b"nouveau contenu");
        let names: Vec<String> = std::fs::read_dir(&dir)
            .expect("list")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["carte.svg".to_owned()]);
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    #[test]
    fn a_missing_folder_is_named_in_french() {
        let path = Path::new("/dossier-qui-n-existe-pas-cartosol/carte.png");
        let err = write_atomic(path, b"x").expect_err("no such folder");
        let text = err.to_string();
        assert!(
            text.starts_with(
                "/dossier-qui-n-existe-pas-cartosol/carte.png : écriture impossible ("
            ),
            "{text}"
        );
    }
}
