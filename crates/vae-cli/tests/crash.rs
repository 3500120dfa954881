//! Training survives SIGKILL, stops cleanly on Ctrl-C, and refuses to go on when it diverges.

mod common;

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{mnist_subset, s, temp_dir, vae_command as vae};

fn spawn_training(data: &Path, run: &Path, epochs: &str) -> Child {
    vae(&[
        "train",
        "--data",
        s(data),
        "--out",
        s(run),
        "--epochs",
        epochs,
        "--valid-size",
        "100",
    ])
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .expect("vae starts")
}

fn resume(run: &Path) -> Output {
    let out = vae(&["train", "--resume", "--out", s(run)])
        .output()
        .expect("vae runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "resume failed: {stderr}");
    out
}

/// Epochs with a complete checkpoint (model, optimiser and scheduler).
fn checkpoints(run: &Path) -> Vec<usize> {
    let dir = run.join("checkpoint");
    let mut epochs: Vec<usize> = (1..100)
        .filter(|e| {
            ["model", "optim", "scheduler"]
                .iter()
                .all(|k| dir.join(format!("{k}-{e}.bpk")).is_file())
        })
        .collect();
    epochs.sort();
    epochs
}

/// `(epoch, split)` of every row of the run's metrics.csv.
fn metric_rows(run: &Path) -> Vec<(usize, String)> {
    std::fs::read_to_string(run.join("metrics.csv"))
        .expect("metrics.csv")
        .lines()
        .skip(1)
        .map(|l| {
            let mut f = l.split(',');
            let epoch = f.next().and_then(|e| e.parse().ok()).expect("epoch");
            (epoch, f.next().expect("split").to_string())
        })
        .collect()
}

/// metrics.csv without its wall-clock `seconds` column, and the final model's test-set
/// evaluation (the weights file itself also holds random parameter ids).
fn outcome(run: &Path) -> (Vec<String>, String) {
    let metrics = std::fs::read_to_string(run.join("metrics.csv"))
        .expect("metrics.csv")
        .lines()
        .map(|l| l.rsplit_once(',').map_or(l, |(head, _)| head).to_string())
        .collect();
    let eval = vae(&["eval", "--model", s(run), "--json", "--seed", "3"])
        .output()
        .expect("vae runs");
    assert!(
        eval.status.success(),
        "{}",
        String::from_utf8_lossy(&eval.stderr)
    );
    (metrics, String::from_utf8_lossy(&eval.stdout).into_owned())
}

/// Trains `epochs` epochs without interruption.
fn straight_run(data: &Path, run: &Path, epochs: &str) -> (Vec<String>, String) {
    let out = spawn_training(data, run, epochs)
        .wait_with_output()
        .expect("vae runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    outcome(run)
}

fn complete_rows(epochs: usize) -> Vec<(usize, String)> {
    (1..=epochs)
        .flat_map(|e| [(e, "train".to_string()), (e, "valid".to_string())])
        .collect()
}

/// No `.NAME.tmp-PID` files from atomic writes are left behind.
fn assert_no_temp_files(run: &Path) {
    for dir in [run.to_path_buf(), run.join("checkpoint")] {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(
                !name.contains(".tmp-"),
                "left behind: {}",
                dir.join(name).display()
            );
        }
    }
}

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// SIGKILL at moments spread over a run (while loading, mid-epoch, around checkpoints), then
/// `--resume`: the run ends with every epoch once, losing at most the epoch in progress, and
/// with exactly the metrics and weights of an uninterrupted run.
#[test]
fn sigkill_at_any_moment_then_resume_finishes_the_run() {
    let root = temp_dir("kill");
    let data = mnist_subset(&root.join("data"), 3000, 100);
    let straight = straight_run(&data, &root.join("straight"), "3");
    // One epoch of this subset takes about 0.3 s on an idle 2-core machine.
    let delays = [20u64, 120, 220, 320, 450, 600, 750, 900, 1100];
    for (i, delay_ms) in delays.into_iter().enumerate() {
        let run = root.join(format!("run-{i}"));
        let mut child = spawn_training(&data, &run, "3");
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        let kept = checkpoints(&run).last().copied().unwrap_or(0);
        if kept == 3 {
            continue; // finished before the kill: nothing to resume
        }
        if !run.join("config.json").exists() {
            // Killed before the run began: there is nothing to resume, and --resume says so.
            let out = vae(&["train", "--resume", "--out", s(&run)])
                .output()
                .expect("runs");
            assert_eq!(out.status.code(), Some(1));
            continue;
        }

        let out = resume(&run);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if run.join("checkpoint").exists() {
            // Resumes right after the last checkpoint that existed at the kill.
            let first = format!("epoch {}/3 train", kept + 1);
            assert!(
                stderr.lines().next().is_some_and(|l| l.starts_with(&first)),
                "kill after {delay_ms} ms (checkpoint {kept}): {stderr}"
            );
        }
        assert_eq!(
            metric_rows(&run),
            complete_rows(3),
            "kill after {delay_ms} ms"
        );
        assert_no_temp_files(&run);
        assert_eq!(
            outcome(&run),
            straight,
            "kill after {delay_ms} ms: not the uninterrupted run"
        );
    }
}

/// The first Ctrl-C finishes the epoch, writes its checkpoint and exits with 130 without a
/// final model; `--resume` then completes the run as if it had never stopped.
#[test]
fn ctrl_c_stops_after_a_checkpoint_and_resume_completes() {
    let root = temp_dir("sigint");
    let data = mnist_subset(&root.join("data"), 3000, 100);
    let run = root.join("run");
    let child = spawn_training(&data, &run, "6");
    let pid = child.id().to_string();
    wait_for("the first checkpoint", Duration::from_secs(120), || {
        !checkpoints(&run).is_empty()
    });
    let status = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let out = child.wait_with_output().expect("vae exits");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("stopping after this epoch"), "{stderr}");
    assert!(stderr.contains("--resume"), "{stderr}");

    let stopped = *checkpoints(&run).last().expect("a checkpoint");
    assert!(stopped < 6, "training was not stopped");
    assert!(
        stderr.contains(&format!("stopped after epoch {stopped} of 6")),
        "{stderr}"
    );
    assert_eq!(metric_rows(&run), complete_rows(stopped));
    assert!(
        !run.join("model.bpk").exists(),
        "an unfinished run has no final model"
    );

    resume(&run);
    assert_eq!(metric_rows(&run), complete_rows(6));
    assert_eq!(
        outcome(&run),
        straight_run(&data, &root.join("straight"), "6"),
        "not the uninterrupted run"
    );
    assert_no_temp_files(&run);
}

/// Adam at lr 10 throws the loss to ~1e13, then NaN, within a few steps: training stops with
/// a message naming where, writes no model, and keeps nothing diverged.
#[test]
fn a_diverging_run_stops_with_a_clear_error() {
    let root = temp_dir("diverge");
    let data = mnist_subset(&root.join("data"), 1000, 100);
    let run = root.join("run");
    let out = vae(&[
        "train",
        "--data",
        s(&data),
        "--out",
        s(&run),
        "--epochs",
        "2",
        "--valid-size",
        "100",
        "--lr",
        "10",
    ])
    .output()
    .expect("vae runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let error = stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .expect("an error line");
    for needle in [
        "training diverged",
        "at epoch 1, training step",
        "learning rate 10",
        "no checkpoint",
        "lower --lr",
    ] {
        assert!(error.contains(needle), "`{needle}` not in: {error}");
    }
    assert!(!run.join("model.bpk").exists());
    assert!(checkpoints(&run).is_empty());
    assert_no_temp_files(&run);
}
