//! Every kind of bad input the `vae` command reads: a clear error naming the file, exit code 1,
//! no panic, and no file written or changed. Prints a table of what it tried
//! (`cargo test -p vae-cli --test bad_input -- --nocapture`).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{mnist_subset, temp_dir, vae_command};
use vae_data::{Examples, NpyArray, NpyValues, Partition};

/// A path as an owned argument.
fn s(p: &Path) -> String {
    common::s(p).into()
}

/// Names, sizes and modification times of every file under `dir`.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (u64, std::time::SystemTime)> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let meta = entry.metadata().expect("metadata");
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                files.insert(entry.path(), (meta.len(), meta.modified().expect("mtime")));
            }
        }
    }
    files
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

struct Case {
    kind: &'static str,
    what: String,
    args: Vec<String>,
    /// Must appear in the error line (usually the offending file's name).
    needle: String,
}

/// A change to one file of a copied model directory.
enum Edit {
    Remove(&'static str),
    Write(&'static str, Vec<u8>),
}

impl Edit {
    fn apply(&self, dir: &Path) {
        match self {
            Self::Remove(name) => std::fs::remove_file(dir.join(name)).expect("remove"),
            Self::Write(name, bytes) => std::fs::write(dir.join(name), bytes).expect("write"),
        }
    }
}

#[derive(Default)]
struct Tally {
    tried: usize,
    clear: usize,
    panics: usize,
    partial: usize,
}

#[test]
fn bad_inputs_give_one_clear_error_and_leave_nothing_behind() {
    let root = temp_dir("matrix");
    let good = mnist_subset(&root.join("good-data"), 300, 20);
    let model = root.join("good-model");
    let out = vae_command(&["train", "--data", &s(&good), "--out", &s(&model)])
        .args(["--epochs", "1", "--valid-size", "50", "--hidden", "32"])
        .output()
        .expect("vae runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let images = std::fs::read(good.join("train-images-idx3-ubyte")).expect("read");
    let labels = std::fs::read(good.join("train-labels-idx1-ubyte")).expect("read");
    let mut cases = Vec::new();

    // --- IDX data given to `vae train` -------------------------------------------------
    let with = |bytes: &[u8], at: usize, value: u8| {
        let mut b = bytes.to_vec();
        b[at] = value;
        b
    };
    // The first dimension (the example count) is bytes 4..8, big-endian.
    let with_count = |bytes: &[u8], n: u32| {
        let mut b = bytes.to_vec();
        b[4..8].copy_from_slice(&n.to_be_bytes());
        b
    };
    let mut huge_claim = vec![0, 0, 8, 3];
    for d in [60_000u32, 28, 28] {
        huge_claim.extend(d.to_be_bytes());
    }
    let mut trailing = images.clone();
    trailing.extend([1, 2, 3]);
    let mut fewer_labels = with_count(&labels, 99);
    fewer_labels.truncate(8 + 99);
    let mut zero_images = with_count(&images, 0);
    zero_images.truncate(16);
    let mut bad_gzip = vec![0x1f, 0x8b, 8, 0];
    bad_gzip.extend([0xff; 40]);
    let idx_cases: Vec<(&str, Vec<u8>, Vec<u8>, &str)> = vec![
        (
            "bad magic",
            with(&images, 0, 0x42),
            labels.clone(),
            "train-images",
        ),
        (
            "float type code",
            with(&images, 2, 0x0D),
            labels.clone(),
            "type code 0x0d",
        ),
        (
            "rank 2 images",
            with(&images, 3, 2),
            labels.clone(),
            "rank 2",
        ),
        (
            "zero images",
            zero_images,
            labels[..8].to_vec(),
            "dimension is zero",
        ),
        (
            "truncated body",
            images[..images.len() - 7].to_vec(),
            labels.clone(),
            "truncated",
        ),
        ("trailing bytes", trailing, labels.clone(), "trailing bytes"),
        (
            "12-byte header claiming 47 MB",
            huge_claim,
            labels.clone(),
            "truncated",
        ),
        ("empty file", Vec::new(), labels.clone(), "truncated"),
        ("corrupt gzip", bad_gzip, labels.clone(), "train-images"),
        (
            "label count mismatch",
            images.clone(),
            fewer_labels,
            "holds 300 images but",
        ),
        (
            "labels with bad magic",
            images.clone(),
            with(&labels, 1, 7),
            "train-labels",
        ),
    ];
    for (what, img, lab, needle) in idx_cases {
        let dir = root.join(format!("idx-{}", what.replace(' ', "-")));
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("train-images-idx3-ubyte"), img).expect("write");
        std::fs::write(dir.join("train-labels-idx1-ubyte"), lab).expect("write");
        cases.push(Case {
            kind: "IDX data",
            what: what.into(),
            args: vec![
                "train".into(),
                "--data".into(),
                s(&dir),
                "--out".into(),
                s(&dir.join("run")),
            ],
            needle: needle.into(),
        });
    }
    let empty = root.join("empty-dir");
    std::fs::create_dir_all(&empty).expect("mkdir");
    for (what, dir, needle) in [
        (
            "missing data directory",
            root.join("nowhere"),
            "does not exist",
        ),
        (
            "directory without IDX files",
            empty.clone(),
            "train-images-idx3-ubyte",
        ),
    ] {
        cases.push(Case {
            kind: "IDX data",
            what: what.into(),
            args: vec![
                "train".into(),
                "--data".into(),
                s(&dir),
                "--out".into(),
                s(&empty.join("run")),
            ],
            needle: needle.into(),
        });
    }

    // --- model directories given to `vae eval` / `vae info` ------------------------------
    let config_text = std::fs::read_to_string(model.join("config.json")).expect("config");
    let weights = std::fs::read(model.join("model.bpk")).expect("weights");
    let config_with = |from: &str, to: &str| {
        assert!(config_text.contains(from), "config.json has no `{from}`");
        Edit::Write("config.json", config_text.replace(from, to).into_bytes())
    };
    let model_cases: Vec<(&str, Edit, &str)> = vec![
        (
            "missing config.json",
            Edit::Remove("config.json"),
            "config.json",
        ),
        (
            "config.json not JSON",
            Edit::Write("config.json", b"{oops".to_vec()),
            "not JSON",
        ),
        (
            "config from a newer version",
            config_with("\"format_version\": 1", "\"format_version\": 9"),
            "newer vae",
        ),
        (
            "config missing a field",
            config_with("\"latent_dim\"", "\"latent\""),
            "config.json",
        ),
        (
            "config with zero latent",
            config_with("\"latent_dim\": 20", "\"latent_dim\": 0"),
            "latent_dim",
        ),
        ("missing model.bpk", Edit::Remove("model.bpk"), "model.bpk"),
        (
            "model.bpk garbage",
            Edit::Write("model.bpk", vec![7u8; 200_000]),
            "model.bpk",
        ),
        (
            "model.bpk truncated",
            Edit::Write("model.bpk", weights[..weights.len() / 2].to_vec()),
            "model.bpk",
        ),
        (
            "weights of another architecture",
            config_with("\"latent_dim\": 20", "\"latent_dim\": 16"),
            "do not match",
        ),
        (
            "config claiming a 10^12-parameter model",
            config_with("\"hidden\": [\n      32\n    ]", "\"hidden\": [1000000000]"),
            "cannot hold",
        ),
    ];
    for (what, edit, needle) in model_cases {
        let dir = root.join(format!("model-{}", what.replace(' ', "-")));
        copy_dir(&model, &dir);
        edit.apply(&dir);
        for command in ["eval", "info"] {
            let mut args = vec![command.into(), "--model".into(), s(&dir)];
            if command == "eval" {
                args.extend(["--data".into(), s(&good)]);
            }
            cases.push(Case {
                kind: "model directory",
                what: format!("{what} ({command})"),
                args,
                needle: needle.into(),
            });
        }
    }
    for command in ["eval", "info"] {
        cases.push(Case {
            kind: "model directory",
            what: format!("missing model directory ({command})"),
            args: vec![command.into(), "--model".into(), s(&root.join("no-model"))],
            needle: "no-model".into(),
        });
    }
    let tiny = root.join("tiny-images");
    std::fs::create_dir_all(&tiny).expect("mkdir");
    Examples::from_pixels((0..24).collect(), 2, 3, None)
        .save_idx(&tiny, Partition::Test)
        .expect("write");
    cases.push(Case {
        kind: "model directory",
        what: "data of another input size".into(),
        args: vec![
            "eval".into(),
            "--model".into(),
            s(&model),
            "--data".into(),
            s(&tiny),
        ],
        needle: "t10k-images-idx3-ubyte` has 6 values per example but the model expects 784".into(),
    });

    // --- run directories given to `vae train --resume` -----------------------------------
    let resume = |dir: &Path, extra: &[&str]| {
        let mut args = vec!["train".into(), "--resume".into(), "--out".into(), s(dir)];
        args.extend(extra.iter().map(|a| a.to_string()));
        args
    };
    let not_a_run = root.join("not-a-run");
    std::fs::create_dir_all(&not_a_run).expect("mkdir");
    cases.push(Case {
        kind: "run directory",
        what: "not a run directory".into(),
        args: resume(&not_a_run, &[]),
        needle: "no config.json".into(),
    });
    for (what, file, bytes, extra, needle) in [
        (
            "garbage model checkpoint",
            "checkpoint/model-1.bpk",
            vec![1u8; 100],
            vec!["--epochs", "2"],
            "model-1.bpk",
        ),
        (
            "garbage optimiser checkpoint",
            "checkpoint/optim-1.bpk",
            vec![1u8; 100],
            vec!["--epochs", "2"],
            "optim-1.bpk",
        ),
        (
            "checkpoint past --epochs",
            "",
            vec![],
            vec!["--epochs", "0"],
            "epochs",
        ),
        (
            "metrics.csv of another tool",
            "metrics.csv",
            b"step,loss\n1,0.5\n".to_vec(),
            vec!["--epochs", "2"],
            "metrics.csv",
        ),
        (
            "--resume with --lr",
            "",
            vec![],
            vec!["--lr", "0.1"],
            "--lr cannot be combined with --resume",
        ),
    ] {
        let dir = root.join(format!("run-{}", what.replace(' ', "-")));
        copy_dir(&model, &dir);
        if !file.is_empty() {
            std::fs::write(dir.join(file), bytes).expect("write");
        }
        cases.push(Case {
            kind: "run directory",
            what: what.into(),
            args: resume(&dir, &extra),
            needle: needle.into(),
        });
    }

    // --- other data formats given to `vae train` -----------------------------------------
    let formats = root.join("formats");
    std::fs::create_dir_all(&formats).expect("mkdir");
    let file = |name: &str, bytes: &[u8]| {
        let path = formats.join(name);
        std::fs::write(&path, bytes).expect("write");
        path
    };
    let npy = |name: &str, shape: Vec<usize>, values: Vec<f32>| {
        let path = formats.join(name);
        NpyArray {
            shape,
            values: NpyValues::F32(values),
        }
        .write(&path)
        .expect("write");
        path
    };
    let png_folder = |name: &str, sizes: &[(u32, u32)]| {
        let dir = formats.join(name);
        std::fs::create_dir_all(&dir).expect("mkdir");
        for (i, &(w, h)) in sizes.iter().enumerate() {
            image::GrayImage::new(w, h)
                .save(dir.join(format!("{i}.png")))
                .expect("png");
        }
        dir
    };
    let garbage_png = png_folder("garbage-png", &[(4, 4)]);
    std::fs::write(garbage_png.join("1.png"), b"not a png").expect("write");
    let table = "a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n9,10,x\n11,12,y\n13,14,x\n";
    let good_csv = file("good.csv", table.as_bytes());
    let mut truncated_npy = std::fs::read(npy("t.npy", vec![3, 2], vec![1.0; 6])).expect("read");
    truncated_npy.truncate(truncated_npy.len() - 3);
    let format_cases: Vec<(&str, PathBuf, Vec<&str>, &str)> = vec![
        (
            "CSV text cell",
            file("text.csv", b"a,b\n1,2\n3,x\n"),
            vec![],
            "text.csv` line 3, column `b`: `x` is not a number",
        ),
        (
            "CSV NaN",
            file("nan.csv", b"a,b\n1,NaN\n2,2\n"),
            vec![],
            "nan.csv` line 2, column `b`: `NaN` is not finite",
        ),
        (
            "CSV infinity",
            file("inf.csv", b"a,b\n1,2\n-inf,2\n"),
            vec![],
            "inf.csv` line 3, column `a`",
        ),
        (
            "CSV ragged row",
            file("ragged.csv", b"a,b\n1,2\n3\n"),
            vec![],
            "ragged.csv`: line 3: 1 fields where the header has 2",
        ),
        (
            "CSV without rows",
            file("empty.csv", b"a,b\n"),
            vec![],
            "empty.csv`: no data rows",
        ),
        (
            "CSV missing label column",
            good_csv.clone(),
            vec!["--label-column", "kind"],
            "no column named `kind`",
        ),
        (
            "CSV with --likelihood bernoulli",
            good_csv.clone(),
            vec!["--likelihood", "bernoulli"],
            "--likelihood bernoulli needs values in [0, 1]",
        ),
        (
            "CSV with --binarize",
            good_csv.clone(),
            vec!["--binarize", "fixed"],
            "--binarize applies to byte data",
        ),
        (
            "CSV with an 8-bit likelihood",
            good_csv.clone(),
            vec!["--likelihood", "discretized-logistic"],
            "models 8-bit levels",
        ),
        (
            "CSV test split of all rows",
            good_csv.clone(),
            vec!["--test-size", "7"],
            "cannot hold out 7 of 7",
        ),
        (
            "NPY 1-D array",
            npy("flat.npy", vec![6], vec![1.0; 6]),
            vec![],
            "flat.npy`: a 1-D 6 array is not a dataset",
        ),
        (
            "NPY NaN",
            npy(
                "nan.npy",
                vec![3, 2],
                vec![1.0, 2.0, 3.0, f32::NAN, 5.0, 6.0],
            ),
            vec![],
            "nan.npy`: row 1, column 1 is NaN",
        ),
        (
            "NPY truncated",
            file("trunc.npy", &truncated_npy),
            vec![],
            "trunc.npy`",
        ),
        (
            "NPY garbage",
            file("garbage.npy", b"hello"),
            vec![],
            "garbage.npy`: not a NumPy .npy file",
        ),
        (
            "PNG folder of mixed sizes",
            png_folder("mixed", &[(4, 4), (4, 4), (5, 4)]),
            vec![],
            "2.png`: is 4x5 (grey) but",
        ),
        (
            "PNG folder without PNGs",
            png_folder("no-pngs", &[]),
            vec![],
            "no-pngs`: holds no .png files",
        ),
        (
            "PNG folder with a broken PNG",
            garbage_png,
            vec![],
            "1.png`: not a readable PNG",
        ),
        (
            "unknown format",
            file("data.txt", b"1 2 3"),
            vec![],
            "data.txt`: unknown data format",
        ),
        (
            "--label-column on images",
            good.clone(),
            vec!["--label-column", "x"],
            "--label-column applies to CSV",
        ),
    ];
    for (what, path, extra, needle) in format_cases {
        let mut args = vec![
            "train".into(),
            "--data".into(),
            s(&path),
            "--out".into(),
            s(&root.join("fresh-run")),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        cases.push(Case {
            kind: "data formats (CSV, NPY, PNG folders)",
            what: what.into(),
            args,
            needle: needle.into(),
        });
    }

    // --- codes given to `vae decode`, data given to `vae encode` -------------------------
    let decoded = s(&root.join("decoded.npy"));
    for (what, path, needle) in [
        (
            "codes of another latent size",
            npy("c7.npy", vec![2, 7], vec![0.0; 14]),
            "c7.npy`: shape [2, 7] is not [n, 20]",
        ),
        (
            "NaN codes",
            npy("cnan.npy", vec![1, 20], vec![f32::NAN; 20]),
            "cnan.npy` holds NaN",
        ),
        (
            "codes file of garbage",
            file("cg.npy", b"\x93NUMPY garbage"),
            "cg.npy`: not a NumPy .npy file",
        ),
        ("missing codes file", formats.join("none.npy"), "none.npy"),
    ] {
        cases.push(Case {
            kind: "codes",
            what: what.into(),
            args: vec![
                "decode".into(),
                "--model".into(),
                s(&model),
                s(&path),
                "-o".into(),
                decoded.clone(),
            ],
            needle: needle.into(),
        });
    }
    cases.push(Case {
        kind: "codes",
        what: "encode a table with an image model".into(),
        args: vec![
            "encode".into(),
            "--model".into(),
            s(&model),
            "--data".into(),
            s(&good_csv),
            "-o".into(),
            decoded.clone(),
        ],
        needle: "good.csv` has 2 values per example but the model expects 784".into(),
    });
    cases.push(Case {
        kind: "codes",
        what: "encode into a missing directory".into(),
        args: vec![
            "encode".into(),
            "--model".into(),
            s(&model),
            "-o".into(),
            s(&root.join("no-dir").join("c.npy")),
        ],
        needle: "cannot write".into(),
    });

    // --- options -------------------------------------------------------------------------
    let fresh = root.join("fresh-run");
    for (what, extra, needle) in [
        ("--batch-size 0", vec!["--batch-size", "0"], "batch"),
        ("--lr NaN", vec!["--lr", "NaN"], "lr"),
        (
            "--valid-size over the data",
            vec!["--valid-size", "300"],
            "300",
        ),
        (
            "--device cuda on a CPU backend",
            vec!["--device", "cuda"],
            "CPU only",
        ),
        ("--latent 0", vec!["--latent", "0"], "latent_dim"),
    ] {
        let mut args = vec![
            "train".into(),
            "--data".into(),
            s(&good),
            "--out".into(),
            s(&fresh),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        cases.push(Case {
            kind: "options",
            what: what.into(),
            args,
            needle: needle.into(),
        });
    }

    // --- run them all --------------------------------------------------------------------
    let mut tally: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut failures = Vec::new();
    for case in &cases {
        let before = snapshot(&root);
        let args: Vec<&str> = case.args.iter().map(String::as_str).collect();
        let out = vae_command(&args).output().expect("vae runs");
        let after = snapshot(&root);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let t = tally.entry(case.kind).or_default();
        t.tried += 1;
        let panicked = stderr.contains("panicked") || out.status.code() == Some(101);
        let error_line = stderr
            .lines()
            .find(|l| l.starts_with("error: "))
            .unwrap_or("");
        let clear = out.status.code() == Some(1) && error_line.contains(&case.needle);
        let partial = before != after;
        t.panics += panicked as usize;
        t.clear += clear as usize;
        t.partial += partial as usize;
        if panicked || !clear || partial {
            failures.push(format!(
                "{} / {}: exit {:?}, partial output {partial}, stderr:\n{stderr}",
                case.kind,
                case.what,
                out.status.code()
            ));
        }
    }
    eprintln!("| inputs | tried | clear errors | panics | partial files |");
    eprintln!("|---|---|---|---|---|");
    for (kind, t) in &tally {
        eprintln!(
            "| {kind} | {} | {} | {} | {} |",
            t.tried, t.clear, t.panics, t.partial
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
