//! Project automation: `cargo xtask ci` (the full test matrix), `cargo xtask bench` (our
//! training beside the PyTorch reference, same data, same machine, same invocation) and
//! `cargo xtask fuzz` (every parser under libFuzzer).

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

mod bench;
mod bench_compress;
mod fuzz;
mod libtorch;

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  ci                      fmt --check, clippy -D warnings, tests (flex + ndarray), docs -D warnings,
                          then clippy and the tests again with libtorch (tch, CPU) when found
  bench [options]         train with `vae` and with bench/torch_vae_reference.py, print both
      --epochs N          epochs for both (default 3)
      --repeat N          alternate N runs of each side; report median epoch times (default 1)
      --threads N         intra-op threads for PyTorch (default: all cores, as ours uses)
      --backend NAME      our backend (default flex)
      --python PATH       a Python with torch (default: $VAE_TORCH_PYTHON, then
                          ~/.cache/vae/venv/bin/python, then python3)
  bench-compress [options]
                          `vae compress` on the MNIST test set, binarised and 8-bit, beside
                          gzip -9, bzip2 -9, xz -9 and PNG; trains missing models first
      --binary-model DIR  Bernoulli model for binarised data (default runs/bench-binary)
      --bytes-model DIR   8-bit model (default runs/bench-8bit)
      --examples N        first N test images (default 10000)
  fuzz [options]          run each cargo-fuzz target (idx, model_dir, metrics_csv, csv_table,
                          npy_array, vaez) in turn;
                          needs `cargo install cargo-fuzz --locked`
      --seconds N         time per target (default 60)
      --target NAME       only this target";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("bench") => bench::run_bench(&args[1..]),
        Some("bench-compress") => bench_compress::run_bench_compress(&args[1..]),
        Some("fuzz") => fuzz::run_fuzz(&args[1..]),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

pub(crate) type Result<T> = std::result::Result<T, String>;

/// The workspace root.
pub(crate) fn root() -> PathBuf {
    // `cargo run` sets CARGO_MANIFEST_DIR for the process: prefer it to the compile-time
    // value, since checkouts sharing one target directory (CI keeps it in ~/.cache/vae) may
    // run an xtask binary built from another checkout.
    let manifest = env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest.parent().map(Path::to_path_buf).unwrap_or_default()
}

pub(crate) fn cargo() -> Command {
    let mut cmd = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

/// Runs a command, echoing it, and fails on a non-zero exit.
pub(crate) fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("$ {}", describe(cmd));
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start `{}`: {e}", describe(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", describe(cmd)))
    }
}

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// The features that add libtorch to every crate's tests.
const TCH_FEATURES: &str = "vae-cli/tch,vae-model/tch,vae-data/tch,vae-train/tch";

fn ci() -> Result<()> {
    run(cargo().args(["fmt", "--all", "--check"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    run(cargo().args(["test", "--workspace"]))?;
    run(cargo()
        .args(["doc", "--workspace", "--no-deps"])
        .env("RUSTDOCFLAGS", "-D warnings"))?;
    match libtorch::find() {
        Some(torch) => {
            eprintln!("xtask ci: tch leg with {}", torch.describe());
            let mut clippy = cargo();
            torch.apply(&mut clippy);
            run(clippy.args([
                "clippy",
                "--workspace",
                "--all-targets",
                "--features",
                TCH_FEATURES,
                "--",
                "-D",
                "warnings",
            ]))?;
            let mut test = cargo();
            torch.apply(&mut test);
            run(test.args(["test", "--workspace", "--features", TCH_FEATURES]))?;
            eprintln!("xtask ci: all steps passed, flex + ndarray + tch (libtorch CPU)");
        }
        None => {
            eprintln!(
                "xtask ci: SKIPPED the tch leg: no libtorch found. {}",
                libtorch::HOW
            );
            eprintln!("xtask ci: all steps passed, flex + ndarray");
        }
    }
    Ok(())
}
