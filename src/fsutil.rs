//! File-system helpers shared by every layer that writes files (the project file, its
//! autosave, every export): one atomic write, one error naming the file.
//!
//! This module sits at the bottom of the import graph: it imports nothing from the crate but
//! [`crate::error::display_name`].

use crate::error::display_name;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

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

/// Writes `bytes` to `path` atomically and durably: a new temporary file in the same folder
/// (`.<name>.tmp-<pid>-<n>`), written and flushed to disk (`fsync`), renamed over the target,
/// then the folder itself flushed so that the rename survives a power cut. A crash or a kill at
/// any point leaves either the old file or the new one, never a truncated one; the temporary is
/// never the target. Temporaries of the same target left by a killed process are removed
/// first (see [`remove_stale_temporaries`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let dir = parent_dir(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sortie".to_owned());
    remove_stale_temporaries(&dir, &name);
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!("{}{}-{n}", temp_prefix(&name), std::process::id()));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        sync_dir(&dir)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(WriteError::new(path, e));
    }
    Ok(())
}

/// The folder of `path` (`.` for a bare file name).
fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The start of the names of the temporaries of the file `name`: `.<name>.tmp-`.
fn temp_prefix(name: &str) -> String {
    format!(".{name}.tmp-")
}

/// Flushes a folder's entries (the rename just made) to disk. Only Unix can open a folder to
/// flush it; elsewhere the rename is left to the system.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Seconds after which a temporary whose writer cannot be checked is taken as abandoned (a
/// write takes well under a second; a live writer keeps its temporary for that long at most).
const STALE_TEMP_SECONDS: u64 = 600;

/// Removes the temporaries of the file `name` in `dir` left by writers that died (killed or
/// crashed between creating and renaming them): those of a process that no longer runs (known
/// on Linux through `/proc`), else those untouched for ten minutes. Returns how many were
/// removed. A temporary of a live writer is left alone. Errors are ignored: this is cleaning.
pub fn remove_stale_temporaries(dir: &Path, name: &str) -> usize {
    let prefix = temp_prefix(name);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(rest) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        let stale = match pid.and_then(process_runs) {
            Some(runs) => !runs,
            None => entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > STALE_TEMP_SECONDS),
        };
        if stale && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Whether the process `pid` runs, when the system can tell (Linux's `/proc`); `None`
/// elsewhere. Our own process always runs.
fn process_runs(pid: u32) -> Option<bool> {
    if pid == std::process::id() {
        return Some(true);
    }
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return None;
    }
    Some(proc.join(pid.to_string()).exists())
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
    fn temporaries_of_dead_writers_are_removed_and_live_ones_kept() {
        let dir =
            std::env::temp_dir().join(format!("cartosol-fsutil-stale-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        // A process id above Linux's maximum (4,194,304) never runs.
        let dead = dir.join(".projet.cartosol.json.tmp-4294967295-0");
        let mine = dir.join(format!(
            ".projet.cartosol.json.tmp-{}-99",
            std::process::id()
        ));
        let other = dir.join(".autre.cartosol.json.tmp-4294967295-0");
        for f in [&dead, &mine, &other] {
            std::fs::write(f, b"{ \"cartosol\": 1, \"ti").expect("write");
        }
        write_atomic(&dir.join("projet.cartosol.json"), b"complet").expect("write");
        if Path::new("/proc/self").exists() {
            assert!(!dead.exists(), "the dead writer's temporary is removed");
        }
        assert!(mine.exists(), "a live writer's temporary is kept");
        assert!(other.exists(), "another file's temporary is not touched");
        assert_eq!(
            std::fs::read(dir.join("projet.cartosol.json")).expect("read"),
            b"complet"
        );
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
