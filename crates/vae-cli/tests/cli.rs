//! The `vae` binary end to end: training, evaluation and info (bad input: `bad_input.rs`;
//! crashes, Ctrl-C and divergence: `crash.rs`).

mod common;

use std::path::Path;
use std::process::Output;

use common::{mnist_subset, s, temp_dir, vae};

/// `vae train` on `data` into `run` with extra flags; must succeed.
fn train_ok(data: &Path, run: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["train", "--data", s(data), "--out", s(run)];
    args.extend_from_slice(extra);
    let out = vae(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn train_eval_info_round_trip_on_a_subset() {
    let root = temp_dir("round-trip");
    let data = mnist_subset(&root.join("data"), 1200, 100);
    let run = root.join("run");
    let out = train_ok(
        &data,
        &run,
        &["--epochs", "1", "--valid-size", "200", "--latent", "8"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("epoch 1/1 train") && stderr.contains("epoch 1/1 valid"),
        "{stderr}"
    );

    for backend in ["flex", "ndarray"] {
        let out = vae(&[
            "eval",
            "--model",
            s(&run),
            "--json",
            "--iw",
            "20",
            "--iw-examples",
            "10",
            "--backend",
            backend,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
        for key in ["neg_elbo", "recon", "kl", "bits_per_dim", "nll_iw", "k"] {
            assert!(
                v.get(key).is_some_and(|x| !x.is_null()),
                "{backend}: missing {key} in {v}"
            );
        }
        assert_eq!(v["k"], 20);
        assert_eq!(v["examples"], 100);
    }
    let out = vae(&["info", "--model", s(&run)]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("784-400-8"), "{text}");
    assert!(text.contains("likelihood   bernoulli\n"), "{text}");

    // A reader that stops early (`vae info | head -1`) ends it quietly, without a panic.
    let mut child = common::vae_command(&["info", "--model", s(&run)])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("vae runs");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("vae ends");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn the_same_seed_gives_the_same_run() {
    let root = temp_dir("seed");
    let data = mnist_subset(&root.join("data"), 800, 50);
    let metrics = |name: &str, seed: &str| {
        let run = root.join(name);
        train_ok(
            &data,
            &run,
            &["--epochs", "2", "--valid-size", "100", "--seed", seed],
        );
        // Every column but the wall-clock seconds.
        std::fs::read_to_string(run.join("metrics.csv"))
            .expect("metrics.csv")
            .lines()
            .map(|l| l.rsplit_once(',').map_or(l, |(head, _)| head).to_string())
            .collect::<Vec<_>>()
    };
    let a = metrics("a", "7");
    assert_eq!(a.len(), 5, "{a:?}");
    assert_eq!(a, metrics("b", "7"), "same seed, different run");
    assert_ne!(a, metrics("c", "8"), "the seed has no effect");
}

/// libtorch on CPU: train there, then evaluate on libtorch and on flex (model directories are
/// backend-neutral).
#[cfg(feature = "tch")]
#[test]
fn tch_backend_trains_and_its_model_evaluates_on_flex_too() {
    let root = temp_dir("tch");
    let data = mnist_subset(&root.join("data"), 1000, 100);
    let run = root.join("run");
    train_ok(
        &data,
        &run,
        &[
            "--epochs",
            "1",
            "--valid-size",
            "100",
            "--backend",
            "tch",
            "--device",
            "cpu",
        ],
    );
    let eval = |backend: &str| {
        let out = vae(&["eval", "--model", s(&run), "--json", "--backend", backend]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        v["kl"].as_f64().expect("kl")
    };
    // The KL term is deterministic given the weights: the same on both backends.
    let (tch, flex) = (eval("tch"), eval("flex"));
    assert!(
        (tch - flex).abs() < 1e-3 * flex.abs(),
        "tch {tch} vs flex {flex}"
    );
}

/// Every picture command writes a PNG whose size follows from its arguments; sampling repeats
/// under a seed; a bad request writes nothing.
#[test]
fn picture_commands_write_pngs_of_the_expected_size() {
    let root = temp_dir("pictures");
    let data = mnist_subset(&root.join("data"), 600, 30);
    let run = root.join("run");
    train_ok(
        &data,
        &run,
        &["--epochs", "1", "--valid-size", "100", "--hidden", "64"],
    );
    let png = |name: &str| root.join(format!("{name}.png"));
    let size = |name: &str| {
        let img = image::open(png(name)).expect("a PNG");
        (img.width(), img.height())
    };
    let ok = |args: &[&str]| {
        let out = vae(args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    // A 28x28 image takes 30 pixels with its border; the grid adds 2.
    let side = |n: u32| n * 30 + 2;

    let m = s(&run);
    ok(&[
        "sample",
        "--model",
        m,
        "-n",
        "10",
        "--seed",
        "4",
        "-o",
        s(&png("a")),
    ]);
    assert_eq!(size("a"), (side(4), side(3)));
    ok(&[
        "sample",
        "--model",
        m,
        "-n",
        "10",
        "--seed",
        "4",
        "-o",
        s(&png("b")),
    ]);
    ok(&[
        "sample",
        "--model",
        m,
        "-n",
        "10",
        "--seed",
        "5",
        "-o",
        s(&png("c")),
    ]);
    let bytes = |name: &str| std::fs::read(png(name)).expect("read");
    assert_eq!(bytes("a"), bytes("b"), "same seed, same picture");
    assert_ne!(bytes("a"), bytes("c"), "the seed has no effect");
    ok(&[
        "sample",
        "--model",
        m,
        "-n",
        "6",
        "--columns",
        "6",
        "--stochastic",
        "-o",
        s(&png("d")),
    ]);
    assert_eq!(size("d"), (side(6), side(1)));
    let img = image::open(png("d")).expect("png").to_luma8();
    assert!(
        img.pixels().all(|p| [0, 40, 255].contains(&p[0])),
        "draws are binary"
    );

    ok(&[
        "reconstruct",
        "--model",
        m,
        "-n",
        "10",
        "--columns",
        "4",
        "-o",
        s(&png("r")),
    ]);
    // Three rows of originals, each above a row of reconstructions.
    assert_eq!(size("r"), (side(4), side(6)));
    ok(&[
        "interpolate",
        "--model",
        m,
        "--from",
        "2",
        "--to",
        "7",
        "--steps",
        "5",
        "-o",
        s(&png("i")),
    ]);
    assert_eq!(size("i"), (side(7), side(1)));
    ok(&[
        "traverse",
        "--model",
        m,
        "--index",
        "3",
        "--steps",
        "4",
        "-o",
        s(&png("t")),
    ]);
    assert_eq!(
        size("t"),
        (side(4), side(20)),
        "one row per latent dimension"
    );

    for bad in [
        vec![
            "interpolate",
            "--model",
            m,
            "--from",
            "0",
            "--to",
            "30",
            "-o",
            s(&png("x")),
        ],
        vec!["traverse", "--model", m, "--steps", "1", "-o", s(&png("x"))],
        vec!["sample", "--model", m, "-n", "0", "-o", s(&png("x"))],
        vec![
            "sample",
            "--model",
            m,
            "-o",
            s(&root.join("no-dir").join("x.png")),
        ],
    ] {
        let out = vae(&bad);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{bad:?}: {stderr}");
        assert!(
            stderr.starts_with("error: ") && !stderr.contains("panicked"),
            "{stderr}"
        );
        assert!(!png("x").exists());
    }
}

#[test]
fn latent_map_and_plot_write_charts_of_the_requested_size() {
    let root = temp_dir("charts");
    let data = mnist_subset(&root.join("data"), 2000, 300);
    let run = root.join("run");
    train_ok(
        &data,
        &run,
        &["--epochs", "2", "--valid-size", "200", "--latent", "2"],
    );
    let m = s(&run);
    let size = |p: &Path| {
        let img = image::open(p).expect("png");
        (img.width(), img.height())
    };
    let ok = |args: &[&str]| {
        let out = vae(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };

    let curves = root.join("curves.png");
    ok(&["plot", "--run", m, "-o", s(&curves)]);
    assert_eq!(
        size(&curves),
        (3 * 480, 360),
        "three panels: -ELBO, reconstruction, KL"
    );

    let map = root.join("map.png");
    let map_args = [
        "latent-map",
        "--model",
        m,
        "-o",
        s(&map),
        "--size",
        "500x400",
        "--steps",
        "6",
    ];
    ok(&map_args);
    assert_eq!(size(&map), (500, 400));
    // A 2-D latent space also gets its decoded manifold: 6x6 images of 28 + 2 px, + 2.
    let manifold = root.join("map-manifold.png");
    assert_eq!(size(&manifold), (6 * 30 + 2, 6 * 30 + 2));
    let first = std::fs::read(&map).expect("map");
    ok(&map_args);
    assert_eq!(first, std::fs::read(&map).expect("map"), "deterministic");
    // Coloured by label: the ten classes' colours (tab10) all appear.
    let img = image::open(&map).expect("png").to_rgb8();
    let colours: std::collections::HashSet<_> = img.pixels().map(|p| p.0).collect();
    assert!(colours.contains(&[31, 119, 180]) && colours.contains(&[23, 190, 207]));

    for bad in [
        vec!["plot", "--run", s(&data), "-o", s(&root.join("x.png"))],
        vec![
            "latent-map",
            "--model",
            m,
            "-o",
            s(&root.join("x.png")),
            "--size",
            "20x20",
        ],
        vec![
            "latent-map",
            "--model",
            m,
            "-o",
            s(&root.join("x.png")),
            "--size",
            "big",
        ],
    ] {
        let out = vae(&bad);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status.code(), Some(0), "{bad:?}");
        assert!(
            stderr.contains("error") && !stderr.contains("panicked"),
            "{stderr}"
        );
        assert!(!root.join("x.png").exists());
    }
}
