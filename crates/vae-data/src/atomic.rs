//! Whole-file writes that a crash cannot tear.

use std::io::Write;
use std::path::Path;

/// Marks the temporary files of [`write_atomic`]: `.NAME.tmp-PID`.
const TEMP_MARK: &str = ".tmp-";

/// Writes `bytes` to `path` through a temporary file in the same directory, synced and then
/// renamed over `path`: readers, and the file after a crash, hold either the old content or
/// the whole new one. On error the temporary file is removed and `path` is untouched.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}{TEMP_MARK}{}", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // Persist the rename itself; not every filesystem lets a directory be synced.
        if let Ok(dir) = std::fs::File::open(dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Removes the temporary files that a killed [`write_atomic`] left in `dir`.
pub fn remove_stale_temp_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(|e| e.ok()) {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') && name.contains(TEMP_MARK) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_files_and_leaves_nothing_on_failure() {
        let dir = std::env::temp_dir().join(format!("vae-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("test file io");
        let path = dir.join("f.txt");
        write_atomic(&path, b"old").expect("test file io");
        write_atomic(&path, b"new content").expect("test file io");
        assert_eq!(std::fs::read(&path).expect("test file io"), b"new content");

        // Writing into a missing directory fails and creates nothing.
        let missing = dir.join("no-such-dir").join("g.txt");
        assert!(write_atomic(&missing, b"x").is_err());
        assert!(!missing.exists());

        // A temporary file left by a killed writer is cleaned up; real files stay.
        std::fs::write(dir.join(".f.txt.tmp-12345"), b"torn").expect("test file io");
        remove_stale_temp_files(&dir);
        let names: Vec<_> = std::fs::read_dir(&dir)
            .expect("test file io")
            .map(|e| {
                e.expect("test file io")
                    .file_name()
                    .into_string()
                    .expect("test file io")
            })
            .collect();
        assert_eq!(names, ["f.txt"]);
        std::fs::remove_dir_all(&dir).expect("test file io");
    }
}
