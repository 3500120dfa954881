//! Shared by the CLI tests: the binary, scratch directories and MNIST subsets.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use vae_data::{Examples, Partition, default_data_dir};

/// The `vae` binary with `args`, not yet run.
pub fn vae_command(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vae"));
    cmd.args(args);
    cmd
}

/// Runs `vae` with `args` to completion.
pub fn vae(args: &[&str]) -> Output {
    vae_command(args).output().expect("vae runs")
}

/// Runs `vae` with `args`, asserting success (stderr in the message otherwise).
pub fn ok(args: &[&str]) -> Output {
    let out = vae(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A fresh, empty directory unique to this test process and `name`.
pub fn temp_dir(name: &str) -> PathBuf {
    sweep_stale_dirs();
    let dir = std::env::temp_dir()
        .join(format!("vae-cli-tests-{}", std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// The first `n_train` / `n_test` real MNIST images (with labels) as an IDX directory.
pub fn mnist_subset(dir: &Path, n_train: usize, n_test: usize) -> PathBuf {
    std::fs::create_dir_all(dir).expect("create");
    for (partition, n) in [(Partition::Train, n_train), (Partition::Test, n_test)] {
        Examples::load_idx(&default_data_dir(), partition)
            .expect("bundled MNIST")
            .take(n)
            .save_idx(dir, partition)
            .expect("write subset");
    }
    dir.to_path_buf()
}

/// A path as a command-line argument.
pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
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
        for entry in entries.flatten() {
            let name = entry.file_name();
            let pid = name
                .to_str()
                .and_then(|n| n.strip_prefix("vae-cli-tests-"))
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
