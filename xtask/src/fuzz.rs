//! `cargo xtask fuzz`: runs every cargo-fuzz target in `fuzz/` for a fixed time each.

use std::path::PathBuf;
use std::process::Command;

use crate::{Result, root, run};

const TARGETS: [&str; 6] = [
    "idx",
    "model_dir",
    "metrics_csv",
    "csv_table",
    "npy_array",
    "vaez",
];

pub(crate) fn run_fuzz(args: &[String]) -> Result<()> {
    let mut seconds = 60u64;
    let mut targets: Vec<String> = TARGETS.iter().map(|t| t.to_string()).collect();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--seconds" => seconds = value()?.parse().map_err(|e| format!("--seconds: {e}"))?,
            "--target" => {
                let t = value()?.clone();
                if !TARGETS.contains(&t.as_str()) {
                    return Err(format!("unknown fuzz target {t}; targets: {TARGETS:?}"));
                }
                targets = vec![t];
            }
            other => return Err(format!("unknown fuzz option {other}")),
        }
    }
    let installed = Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        return Err("cargo-fuzz is not installed: run `cargo install cargo-fuzz --locked`".into());
    }
    let cache = cache_dir();
    for target in &targets {
        // New inputs go to a corpus outside the clone; the committed seeds are read too.
        let work = cache.join("fuzz-corpus").join(target);
        std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
        let seeds = root().join("fuzz").join("corpus").join(target);
        let mut cmd = Command::new("cargo");
        cmd.current_dir(root().join("fuzz"))
            // libFuzzer's instrumentation flags are unstable; this runs them on the pinned stable.
            .env("RUSTC_BOOTSTRAP", "1")
            .env("CARGO_TARGET_DIR", cache.join("target-fuzz"))
            .args(["fuzz", "run", "--sanitizer", "none", target])
            .arg(&work)
            .arg(&seeds)
            .arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .args(["-timeout=20", "-rss_limit_mb=4096", "-print_final_stats=1"]);
        run(&mut cmd).map_err(|e| {
            format!("{e}\nthe failing input is in fuzz/artifacts/{target}/; replay it with `cargo fuzz run {target} FILE`")
        })?;
    }
    eprintln!(
        "xtask fuzz: {} target(s) ran {seconds} s each without a finding",
        targets.len()
    );
    Ok(())
}

/// `~/.cache/vae`, where CI also keeps its cargo target directories.
fn cache_dir() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join(".cache")
        .join("vae")
}
