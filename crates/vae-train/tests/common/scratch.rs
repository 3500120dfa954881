//! Scratch directories for integration tests, shared by vae-train's and vae-cli's suites
//! (vae-cli includes this file by path): `<temp>/<package>-tests-<pid>/<name>`.

use std::path::{Path, PathBuf};

/// A fresh, empty directory unique to this test process and `name`.
pub fn temp_dir(name: &str) -> PathBuf {
    sweep_stale_dirs();
    let dir = std::env::temp_dir()
        .join(format!("{}{}", prefix(), std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

fn prefix() -> String {
    format!("{}-tests-", env!("CARGO_PKG_NAME"))
}

/// Removes the scratch directories of earlier test processes that have ended (Linux: their
/// `/proc` entry is gone), once per process, so that repeated runs do not fill the disk. A
/// failed run's files stay until the next run, for inspection.
fn sweep_stale_dirs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if !Path::new("/proc/self").exists() {
            return;
        }
        let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
            return;
        };
        let prefix = prefix();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let pid = name
                .to_str()
                .and_then(|n| n.strip_prefix(prefix.as_str()))
                .and_then(|p| p.parse::<u32>().ok());
            if let Some(pid) = pid
                && pid != std::process::id()
                && !Path::new(&format!("/proc/{pid}")).exists()
            {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    });
}
