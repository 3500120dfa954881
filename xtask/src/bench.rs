//! `cargo xtask bench`: our `vae train` and the PyTorch reference on the same MNIST files,
//! one after the other in this invocation, then their epoch times, throughput and test −ELBO.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::{Result, cargo, root, run};

struct Options {
    epochs: usize,
    repeat: usize,
    threads: Option<usize>,
    backend: String,
    python: Option<PathBuf>,
}

fn parse(args: &[String]) -> Result<Options> {
    let mut o = Options {
        epochs: 3,
        repeat: 1,
        threads: None,
        backend: "flex".into(),
        python: None,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--epochs" => o.epochs = value()?.parse().map_err(|e| format!("--epochs: {e}"))?,
            "--repeat" => {
                o.repeat = value()?
                    .parse::<usize>()
                    .map_err(|e| format!("--repeat: {e}"))?
                    .max(1)
            }
            "--threads" => {
                o.threads = Some(value()?.parse().map_err(|e| format!("--threads: {e}"))?)
            }
            "--backend" => o.backend = value()?,
            "--python" => o.python = Some(value()?.into()),
            other => return Err(format!("unknown bench option `{other}`")),
        }
    }
    Ok(o)
}

/// Per-run results: mean seconds per training epoch, examples per second, final test −ELBO.
/// One run of one side.
struct Side {
    /// Training seconds of each epoch.
    epoch_times: Vec<f64>,
    /// Training examples per epoch.
    examples: f64,
    test_neg_elbo: f64,
    detail: String,
}

/// Several runs of one side, summarised by the median epoch time: this VM's speed drifts by
/// ±20% from minute to minute, so single runs mislead.
struct Summary {
    epoch_s: f64,
    samples_per_s: f64,
    test_neg_elbo: f64,
    epochs_timed: usize,
    detail: String,
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    match v.len() {
        0 => None,
        n if n % 2 == 1 => Some(v[mid]),
        _ => Some((v[mid - 1] + v[mid]) / 2.0),
    }
}

/// Per pair of neighbouring runs, our median epoch time over the reference's, and the median
/// of those ratios.
fn paired_ratios(ours: &[Side], torch: &[Side]) -> Option<(Vec<f64>, f64)> {
    let ratios: Vec<f64> = ours
        .iter()
        .zip(torch)
        .filter_map(|(a, b)| Some(median(a.epoch_times.clone())? / median(b.epoch_times.clone())?))
        .collect();
    let m = median(ratios.clone())?;
    Some((ratios, m))
}

fn summarise(runs: &[Side]) -> Option<Summary> {
    let last = runs.last()?;
    let times: Vec<f64> = runs.iter().flat_map(|r| r.epoch_times.clone()).collect();
    let epochs_timed = times.len();
    let epoch_s = median(times)?;
    Some(Summary {
        epoch_s,
        samples_per_s: last.examples / epoch_s,
        test_neg_elbo: runs.iter().map(|r| r.test_neg_elbo).sum::<f64>() / runs.len() as f64,
        epochs_timed,
        detail: last.detail.clone(),
    })
}

pub(crate) fn run_bench(args: &[String]) -> Result<()> {
    let o = parse(args)?;
    let root = root();
    let data = root.join("data/mnist");
    // The tch backend needs libtorch at build and run time, in its own target directory.
    let torch_env = if o.backend == "tch" {
        Some(crate::libtorch::find().ok_or(format!(
            "--backend tch needs libtorch. {}",
            crate::libtorch::HOW
        ))?)
    } else {
        None
    };
    let mut build = cargo();
    build.args(["build", "--release", "-p", "vae-cli"]);
    if let Some(t) = &torch_env {
        t.apply(&mut build);
        build.args(["--features", "tch"]);
    }
    run(&mut build)?;
    let target = build
        .get_envs()
        .find(|(k, _)| *k == "CARGO_TARGET_DIR")
        .and_then(|(_, v)| v.map(PathBuf::from))
        .or_else(|| std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from))
        .unwrap_or(root.join("target"));
    let binary = target.join("release/vae");
    let vae = || {
        let mut cmd = Command::new(&binary);
        if let Some(t) = &torch_env {
            t.apply(&mut cmd);
        }
        cmd
    };

    let python = find_python(&o);
    if python.is_none() {
        eprintln!(
            "no Python with torch found (set VAE_TORCH_PYTHON or --python); skipping the reference"
        );
    }
    // Alternate the two sides so that drifts in machine speed hit both alike.
    let (mut ours_runs, mut torch_runs) = (Vec::new(), Vec::new());
    for _ in 0..o.repeat {
        ours_runs.push(ours(&vae, &data, &o)?);
        if let Some(python) = &python {
            torch_runs.push(torch(python, &data, &o)?);
        }
    }
    let ours = summarise(&ours_runs).ok_or("no runs")?;
    let torch = summarise(&torch_runs);

    println!();
    println!(
        "MNIST, 784-400-20 Bernoulli VAE, Adam 1e-3, batch 128, {} epochs x {} alternating runs, same machine",
        o.epochs, o.repeat
    );
    println!(
        "{:<34} {:>10} {:>12} {:>12}",
        "", "s/epoch", "examples/s", "test -ELBO"
    );
    let row = |name: &str, s: &Summary| {
        println!(
            "{:<34} {:>10.2} {:>12.0} {:>12.2}",
            name, s.epoch_s, s.samples_per_s, s.test_neg_elbo
        )
    };
    row(&format!("vae ({})", o.backend), &ours);
    if let Some(t) = &torch {
        row("pytorch reference", t);
        println!(
            "ratio ours/pytorch: epoch time {:.2}x, throughput {:.2}x, test -ELBO difference {:+.2} nats",
            ours.epoch_s / t.epoch_s,
            ours.samples_per_s / t.samples_per_s,
            ours.test_neg_elbo - t.test_neg_elbo
        );
        println!(
            "  (median of {} and {} epoch times; test -ELBO averaged over runs; {}; {})",
            ours.epochs_timed, t.epochs_timed, ours.detail, t.detail
        );
        if let Some((ratios, median)) = paired_ratios(&ours_runs, &torch_runs) {
            let list: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
            println!(
                "paired runs, epoch time ours/pytorch per pair: {} -> median {median:.2}x",
                list.join(" ")
            );
            println!(
                "  (each run's median epoch time against the run beside it, so that the machine's drift between pairs cancels)"
            );
        }
    } else {
        println!("  ({})", ours.detail);
    }
    Ok(())
}

fn ours(vae: &dyn Fn() -> Command, data: &Path, o: &Options) -> Result<Side> {
    let out = root()
        .join("target/bench")
        .join(format!("run-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let epochs = o.epochs.to_string();
    let out_s = out.to_string_lossy().into_owned();
    let data_s = data.to_string_lossy().into_owned();
    run(vae().args([
        "train",
        "--data",
        &data_s,
        "--epochs",
        &epochs,
        "--out",
        &out_s,
        "--backend",
        &o.backend,
    ]))?;
    let csv = std::fs::read_to_string(out.join("metrics.csv"))
        .map_err(|e| format!("metrics.csv: {e}"))?;
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or(format!("metrics.csv lacks {name}"))
    };
    let (split_c, seconds_c) = (col("split")?, col("seconds")?);
    let train_s: Vec<f64> = lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f.get(split_c) == Some(&"train"))
        .filter_map(|f| f.get(seconds_c).and_then(|s| s.parse().ok()))
        .collect();
    if train_s.is_empty() {
        return Err("metrics.csv has no training rows".into());
    }

    let output = vae()
        .args(["eval", "--model", &out_s, "--json", "--backend", &o.backend])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("vae eval: {e}"))?;
    let eval: Value =
        serde_json::from_slice(&output.stdout).map_err(|e| format!("vae eval --json: {e}"))?;
    let test_neg_elbo = eval["neg_elbo"]
        .as_f64()
        .ok_or("vae eval printed no neg_elbo")?;
    let config: Value = std::fs::read(out.join("config.json"))
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
        .map_err(|e| format!("config.json: {e}"))?;
    let held_out = config["data"]["valid_size"]
        .as_f64()
        .ok_or("config.json lacks data.valid_size")?;
    let train_examples = 60_000.0 - held_out;
    Ok(Side {
        epoch_times: train_s,
        examples: train_examples,
        test_neg_elbo,
        detail: format!(
            "ours trains on {train_examples} images ({held_out} held out for validation; times exclude validation)"
        ),
    })
}

fn find_python(o: &Options) -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    candidates.extend(o.python.clone());
    candidates.extend(std::env::var_os("VAE_TORCH_PYTHON").map(PathBuf::from));
    if let Some(home) = std::env::var_os("HOME") {
        candidates.push(Path::new(&home).join(".cache/vae/venv/bin/python"));
    }
    candidates.push("python3".into());
    candidates.into_iter().find(|p| {
        Command::new(p)
            .args(["-c", "import torch"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

fn torch(python: &Path, data: &Path, o: &Options) -> Result<Side> {
    let script = root().join("bench/torch_vae_reference.py");
    let mut cmd = Command::new(python);
    cmd.arg(&script)
        .args(["--epochs", &o.epochs.to_string(), "--data"])
        .arg(data);
    if let Some(t) = o.threads {
        cmd.args(["--threads", &t.to_string()]);
    }
    eprintln!(
        "$ {} {} --epochs {}",
        python.display(),
        script.display(),
        o.epochs
    );
    let output = cmd
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("{}: {e}", python.display()))?;
    if !output.status.success() {
        return Err(format!("the PyTorch reference failed ({})", output.status));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    for l in &lines {
        eprintln!("  torch: {l}");
    }
    let epochs: Vec<&Value> = lines.iter().filter(|v| v.get("epoch").is_some()).collect();
    let summary = lines
        .iter()
        .find(|v| v.get("summary").is_some())
        .ok_or("no summary line from the reference")?;
    let last = epochs.last().ok_or("no epoch lines from the reference")?;
    let epoch_times = epochs
        .iter()
        .map(|e| {
            e["train_s"]
                .as_f64()
                .ok_or_else(|| "no train_s".to_string())
        })
        .collect::<Result<Vec<f64>>>()?;
    Ok(Side {
        epoch_times,
        examples: 60_000.0,
        test_neg_elbo: last["test_loss"].as_f64().ok_or("no test_loss")?,
        detail: format!(
            "torch {} with {} threads trains on 60 000 images",
            summary["torch"].as_str().unwrap_or("?"),
            summary["threads"]
        ),
    })
}
