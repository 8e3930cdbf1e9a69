//! The manifest: which Parquet files hold data, and up to which WAL record.
//!
//! `<data_dir>/store/manifest.json` is replaced atomically (write a temporary file, fsync,
//! rename, fsync the directory) after every change to the set of files: a flush, a
//! compaction, retention, an erase. A file is part of the store exactly when the manifest
//! lists it, so a crash between writing files and saving the manifest leaves only
//! unlisted files, which the next start deletes ([`Manifest::sweep`]); their records are
//! still in the WAL past `flushed_lsn` and are replayed.

use std::collections::HashSet;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sightline_protocol::EventKind;

use super::rollup::ROLLUPS_DIR;
use crate::StoreError;

/// The manifest's file name in the store directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The directory of the Parquet files, under the store directory.
pub const TABLES_DIR: &str = "tables";
const FORMAT: u32 = 1;

/// The store's durable state besides the WAL.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Layout version of this file.
    pub format: u32,
    /// Incremented by every save.
    pub version: u64,
    /// Every WAL record up to this LSN is in the listed files.
    pub flushed_lsn: u64,
    /// The data files.
    pub files: Vec<DataFile>,
    /// The partitions' merged rollups (see [`day`](super::rollup::day)); each covers only
    /// listed files ([`Manifest::drop_stale_day_rollups`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub day_rollups: Vec<DayRollup>,
}

/// The rollup of several data files of one partition (project, kind, UTC day), merged:
/// what a query reads instead of theirs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayRollup {
    /// Path under the rollups directory ([`ROLLUPS_DIR`]), `/`-separated.
    pub path: String,
    /// The project of the files.
    pub project: String,
    /// Their event kind.
    pub kind: EventKind,
    /// Their UTC day, days since 1970-01-01.
    pub day: i64,
    /// The data files it holds the rollups of (paths under the tables directory).
    pub covers: Vec<String>,
}

/// One Parquet file of one project, event kind and UTC day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataFile {
    /// Path under the tables directory, `/`-separated.
    pub path: String,
    /// The project of every row.
    pub project: String,
    /// The event kind of every row.
    pub kind: EventKind,
    /// The UTC day of every row's timestamp, days since 1970-01-01.
    pub day: i64,
    /// Rows.
    pub rows: u64,
    /// File size.
    pub bytes: u64,
    /// Smallest event timestamp, epoch ms.
    pub min_timestamp_ms: i64,
    /// Largest event timestamp, epoch ms.
    pub max_timestamp_ms: i64,
}

impl Manifest {
    /// Reads the manifest in `store_dir`; an empty one when there is none yet.
    pub fn load(store_dir: &Path) -> Result<Self, StoreError> {
        let path = store_dir.join(MANIFEST_FILE);
        let text = match std::fs::read(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self { format: FORMAT, ..Self::default() });
            }
            Err(error) => return Err(open_error(&path, &error.to_string())),
        };
        let manifest: Self = serde_json::from_slice(&text).map_err(|error| {
            open_error(
                &path,
                &format!("{error}: the manifest is damaged; restore it from a backup of the data directory"),
            )
        })?;
        if manifest.format != FORMAT {
            let message =
                format!("manifest format {} is unknown: it was written by a newer Sightline", manifest.format);
            return Err(open_error(&path, &message));
        }
        Ok(manifest)
    }

    /// Replaces the manifest in `store_dir` atomically with this one, one version later.
    pub fn save(&mut self, store_dir: &Path) -> Result<(), StoreError> {
        self.version += 1;
        let json = serde_json::to_vec_pretty(self).expect("a manifest serializes");
        let temporary = store_dir.join(format!("{MANIFEST_FILE}.tmp"));
        let write = || -> std::io::Result<()> {
            let mut file = File::create(&temporary)?;
            file.write_all(&json)?;
            file.sync_all()?;
            std::fs::rename(&temporary, store_dir.join(MANIFEST_FILE))?;
            sync_dir(store_dir)
        };
        write().map_err(|error| {
            self.version -= 1;
            StoreError::Write(format!("cannot save {}: {error}", store_dir.join(MANIFEST_FILE).display()))
        })
    }

    /// Removes the day rollups that cover a file no longer listed (replaced by compaction,
    /// erased, past retention): their figures would count its rows, or the rows' new file's,
    /// twice. Returns them, for their files to be deleted.
    pub fn drop_stale_day_rollups(&mut self) -> Vec<DayRollup> {
        let listed: HashSet<&str> = self.files.iter().map(|file| file.path.as_str()).collect();
        let (kept, stale) = std::mem::take(&mut self.day_rollups)
            .into_iter()
            .partition(|rollup| rollup.covers.iter().all(|path| listed.contains(path.as_str())));
        self.day_rollups = kept;
        stale
    }

    /// Rows in the files.
    pub fn rows(&self) -> u64 {
        self.files.iter().map(|file| file.rows).sum()
    }

    /// Deletes the files under the tables directory that the manifest does not list (left by
    /// a flush, compaction or bulk load that did not finish) and returns their paths; the
    /// rollups of files it does not list go too, and the day rollups it does not list. A
    /// listed day rollup whose file is gone (an older version's sweep deleted it) is no
    /// longer listed: the day is read from its files' rollups until a new one is written.
    pub fn sweep(&mut self, store_dir: &Path) -> Result<Vec<PathBuf>, StoreError> {
        let tables = store_dir.join(TABLES_DIR);
        let removed = sweep_under(&tables, &self.files.iter().map(|file| tables.join(&file.path)).collect())?;
        let rollups = store_dir.join(ROLLUPS_DIR);
        self.day_rollups.retain(|rollup| rollups.join(&rollup.path).is_file());
        let day_rollups = self.day_rollups.iter().map(|rollup| rollups.join(&rollup.path));
        sweep_under(&rollups, &self.files.iter().map(|file| rollups.join(&file.path)).chain(day_rollups).collect())?;
        Ok(removed)
    }
}

/// Deletes the files under `root` that are not in `listed`.
fn sweep_under(root: &Path, listed: &HashSet<PathBuf>) -> Result<Vec<PathBuf>, StoreError> {
    let mut removed = Vec::new();
    for path in files_under(root).map_err(|error| open_error(root, &error.to_string()))? {
        if !listed.contains(&path) {
            std::fs::remove_file(&path).map_err(|error| open_error(&path, &error.to_string()))?;
            removed.push(path);
        }
    }
    Ok(removed)
}

/// Every file under `dir`, recursively; none when it does not exist.
fn files_under(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error),
        };
        for entry in entries {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                pending.push(entry.path());
            } else {
                files.push(entry.path());
            }
        }
    }
    Ok(files)
}

/// Makes the directory's entries (new, renamed, removed files) durable.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

fn open_error(path: &Path, message: &str) -> StoreError {
    StoreError::Open { path: path.display().to_string(), message: message.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str) -> DataFile {
        DataFile {
            path: path.into(),
            project: "shop".into(),
            kind: EventKind::Vital,
            day: 20_454,
            rows: 10,
            bytes: 100,
            min_timestamp_ms: 1,
            max_timestamp_ms: 2,
        }
    }

    #[test]
    fn saves_and_loads_atomically_with_a_new_version() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut manifest = Manifest::load(dir.path()).expect("an empty manifest");
        assert_eq!((manifest.version, manifest.files.len()), (0, 0));
        manifest.files.push(file("vital/shop/a.parquet"));
        manifest.flushed_lsn = 7;
        manifest.save(dir.path()).expect("saves");
        let loaded = Manifest::load(dir.path()).expect("loads");
        assert_eq!(loaded, manifest);
        assert_eq!(loaded.version, 1);
        assert!(!dir.path().join("manifest.json.tmp").exists());
    }

    #[test]
    fn damaged_or_newer_manifests_are_refused_with_advice() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join(MANIFEST_FILE), "{\"format\":1,").expect("writes");
        let error = Manifest::load(dir.path()).expect_err("damaged");
        assert!(error.to_string().contains("restore it from a backup"), "{error}");
        std::fs::write(dir.path().join(MANIFEST_FILE), r#"{"format":9,"version":1,"flushed_lsn":0,"files":[]}"#)
            .expect("writes");
        let error = Manifest::load(dir.path()).expect_err("newer");
        assert!(error.to_string().contains("newer Sightline"), "{error}");
    }

    #[test]
    fn sweep_removes_only_unlisted_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        let tables = dir.path().join(TABLES_DIR).join("vital/shop");
        std::fs::create_dir_all(&tables).expect("dirs");
        for name in ["kept.parquet", "orphan.parquet", "orphan.parquet.tmp"] {
            std::fs::write(tables.join(name), b"x").expect("writes");
        }
        let mut manifest = Manifest { files: vec![file("vital/shop/kept.parquet")], ..Manifest::default() };
        let removed = manifest.sweep(dir.path()).expect("sweeps");
        assert_eq!(removed.len(), 2);
        assert!(tables.join("kept.parquet").exists());
        assert!(!tables.join("orphan.parquet").exists());
    }
}
