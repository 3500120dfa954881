//! Shared by the CLI tests: the binary, scratch directories and MNIST subsets.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use vae_data::{Examples, Partition, default_data_dir};

#[path = "../../../vae-train/tests/common/scratch.rs"]
mod scratch;
pub use scratch::temp_dir;

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
