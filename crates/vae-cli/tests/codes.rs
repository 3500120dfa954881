//! Latent codes end to end (`encode`, `decode`, `rd`) and data beyond MNIST (a CSV table).

mod common;

use std::path::{Path, PathBuf};

use common::{mnist_subset, ok, s, temp_dir, vae};
use vae_data::{DataSource, Examples, NpyArray, NpyValues, Partition};

fn json(args: &[&str]) -> serde_json::Value {
    serde_json::from_slice(&ok(args).stdout).expect("one JSON object")
}

fn wdbc() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/breast-cancer/wdbc.csv")
}

#[test]
fn encode_then_decode_at_f32_equals_reconstruct() {
    let root = temp_dir("codes");
    let data = mnist_subset(&root.join("data"), 6000, 40);
    let run = root.join("run");
    let (r, d) = (s(&run), s(&data));
    ok(&[
        "train",
        "--data",
        d,
        "--out",
        r,
        "--epochs",
        "5",
        "--valid-size",
        "500",
    ]);

    let codes = root.join("codes.npy");
    ok(&["encode", "--model", r, "-o", s(&codes)]);
    let array = NpyArray::read(&codes).expect("codes");
    assert_eq!(array.shape, [40, 20]);
    let decoded = root.join("decoded.npy");
    ok(&["decode", "--model", r, s(&codes), "-o", s(&decoded)]);
    let decoded = NpyArray::read(&decoded).expect("decoded");
    assert_eq!(decoded.shape, [40, 28, 28]);
    let NpyValues::U8(decoded) = decoded.values else {
        panic!("byte data decodes to bytes");
    };

    // `reconstruct` draws originals above reconstructions: 10 per row, 30 px per cell.
    let png = root.join("recon.png");
    ok(&[
        "reconstruct",
        "--model",
        r,
        "-n",
        "40",
        "--columns",
        "10",
        "-o",
        s(&png),
    ]);
    let img = image::open(&png).expect("png").to_luma8();
    let mut worst = 0;
    for i in 0..40u32 {
        let (x0, y0) = (2 + (i % 10) * 30, 2 + (2 * (i / 10) + 1) * 30);
        for p in 0..784u32 {
            let drawn = img.get_pixel(x0 + p % 28, y0 + p / 28)[0];
            let value = decoded[(i * 784 + p) as usize];
            worst = worst.max(drawn.abs_diff(value));
        }
    }
    assert!(
        worst <= 1,
        "decode(encode(x)) differs from reconstruct by {worst} levels"
    );

    // Lower precisions: smaller files, decodes close to the f32 ones; IDX and PNG outputs.
    for (precision, dtype) in [("f16", "<f2"), ("u8", "|u1")] {
        let file = root.join(format!("{precision}.npy"));
        ok(&[
            "encode",
            "--model",
            r,
            "--precision",
            precision,
            "-o",
            s(&file),
        ]);
        assert_eq!(NpyArray::read(&file).expect("codes").type_str(), dtype);
        assert!(file.metadata().expect("file").len() < codes.metadata().expect("file").len());
    }
    let with_var = root.join("var.npy");
    ok(&["encode", "--model", r, "--log-var", "-o", s(&with_var)]);
    assert_eq!(NpyArray::read(&with_var).expect("codes").shape, [40, 2, 20]);
    let idx = root.join("decoded-idx3-ubyte");
    ok(&["decode", "--model", r, s(&with_var), "-o", s(&idx)]);
    let back = Examples::load_idx_files(&idx, None).expect("IDX output reads back");
    assert_eq!(
        (back.len(), back.bytes(5)),
        (40, Some(&decoded[5 * 784..6 * 784]))
    );
    let grid = root.join("decoded.png");
    ok(&[
        "decode",
        "--model",
        r,
        s(&codes),
        "-o",
        s(&grid),
        "--columns",
        "8",
    ]);
    let img = image::open(&grid).expect("png");
    assert_eq!((img.width(), img.height()), (8 * 30 + 2, 5 * 30 + 2));

    // Codes for another model are refused with the file named; nothing is written.
    let wrong = root.join("wrong.npy");
    NpyArray {
        shape: vec![3, 7],
        values: NpyValues::F32(vec![0.0; 21]),
    }
    .write(&wrong)
    .expect("write");
    let out = vae(&[
        "decode",
        "--model",
        r,
        s(&wrong),
        "-o",
        s(&root.join("x.npy")),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("wrong.npy") && stderr.contains("[n, 20]"),
        "{stderr}"
    );
    assert!(!root.join("x.npy").exists());

    // vae rd: one row per precision, rates from the real file sizes.
    let table = String::from_utf8_lossy(&ok(&["rd", "--model", r]).stdout).into_owned();
    for row in ["f32", "f16", "u8", "PSNR"] {
        assert!(table.contains(row), "{table}");
    }
    let v = json(&["rd", "--model", r, "--json"]);
    let points = v["points"].as_array().expect("points");
    let rate = |i: usize| points[i]["bytes_per_example"].as_f64().expect("rate");
    assert_eq!(points.len(), 3);
    assert!((rate(0) - (80.0 + 128.0 / 40.0)).abs() < 1e-9, "{v}");
    assert!(rate(0) > rate(1) && rate(1) > rate(2), "{v}");
    // The codes carry each image: the mean of these 40 test images, an oracle no code
    // needs, scores 12.0 dB; this model measured 14.8 dB. u8 costs little.
    let psnr = |i: usize| points[i]["psnr_db"].as_f64().expect("psnr");
    assert!(psnr(0) > 13.0 && psnr(0) < 40.0, "{v}");
    assert!(
        (psnr(0) - psnr(1)).abs() < 0.01 && (psnr(0) - psnr(2)).abs() < 0.5,
        "{v}"
    );
}

#[test]
fn a_csv_table_trains_evaluates_encodes_and_decodes() {
    let root = temp_dir("csv");
    let run = root.join("run");
    let r = s(&run);
    let csv = wdbc();
    let args = [
        "--latent",
        "4",
        "--hidden",
        "64",
        "--epochs",
        "60",
        "--batch-size",
        "64",
    ];
    let mut train = vec!["train", "--data", s(&csv), "--out", r];
    train.extend_from_slice(&args);
    ok(&train);
    let info = json(&["info", "--model", r, "--json"]);
    let config = info.to_string();
    assert!(
        config.contains("\"csv\"") && config.contains("standardization"),
        "{info}"
    );

    // Loss falls: −ELBO of the first and last validation epochs (measured: about 51 and 37
    // nats for 30 standardised columns).
    let metrics = std::fs::read_to_string(run.join("metrics.csv")).expect("metrics");
    let valid: Vec<f64> = metrics
        .lines()
        .filter(|l| l.contains(",valid,"))
        .map(|l| {
            l.split(',')
                .nth(2)
                .expect("neg_elbo")
                .parse()
                .expect("number")
        })
        .collect();
    assert_eq!(valid.len(), 60);
    assert!(valid[59] < valid[0] - 5.0 && valid[59] < 42.0, "{valid:?}");
    let eval = json(&["eval", "--model", r, "--json"]);
    assert_eq!(eval["examples"], 56, "a tenth held out for testing");
    assert!(eval["neg_elbo"].as_f64().expect("number") < 42.0, "{eval}");

    let codes = root.join("codes.npy");
    ok(&["encode", "--model", r, "-o", s(&codes)]);
    assert_eq!(NpyArray::read(&codes).expect("codes").shape, [56, 4]);
    let out = root.join("decoded.npy");
    ok(&["decode", "--model", r, s(&codes), "-o", s(&out)]);
    let decoded = NpyArray::read(&out).expect("decoded");
    assert_eq!(
        (decoded.shape.as_slice(), decoded.type_str()),
        (&[56, 30][..], "<f4")
    );
    let decoded = decoded.to_f32();

    // Decoded rows are in the table's own units: compare with the test rows, column by
    // column in units of the column's spread (predicting the column mean scores 1).
    let test = {
        let all = DataSource::detect(&csv)
            .expect("csv")
            .load(Partition::Train)
            .expect("rows");
        all.split(56, vae_data::TEST_SPLIT_SEED).expect("split").1
    };
    let stats = vae_data::Standardization::fit(&test);
    let mut se = 0.0;
    for i in 0..test.len() {
        for (j, x) in test.raw(i).iter().enumerate() {
            se += f64::from((decoded[i * 30 + j] - x) / stats.std[j]).powi(2);
        }
    }
    let mse = se / (56.0 * 30.0);
    assert!(mse < 0.5, "standardised MSE {mse}");
    let rd = json(&["rd", "--model", r, "--json"]);
    let f32_point = &rd["points"][0];
    assert_eq!(rd["raw_bytes_per_example"], 120);
    assert!(
        f32_point["psnr_db"].is_null() && f32_point["standardized_mse"].as_f64() < Some(0.5),
        "{rd}"
    );

    // The latent map colours the two diagnoses, named as in the table.
    let map = root.join("map.png");
    ok(&[
        "latent-map",
        "--model",
        r,
        "-o",
        s(&map),
        "--size",
        "600x500",
    ]);
    let img = image::open(&map).expect("png");
    assert_eq!((img.width(), img.height()), (600, 500));
    assert!(
        !root.join("map-manifold.png").exists(),
        "tables have no manifold picture"
    );

    // Not images: picture commands and PNG output refuse with a clear error.
    for bad in [
        vec!["sample", "--model", r, "-o", s(&root.join("x.png"))],
        vec![
            "decode",
            "--model",
            r,
            s(&codes),
            "-o",
            s(&root.join("x.png")),
        ],
    ] {
        let out = vae(&bad);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("not images"), "{stderr}");
        assert!(!root.join("x.png").exists());
    }
}

#[test]
fn npy_arrays_and_png_folders_train_and_round_trip_through_codes() {
    let root = temp_dir("formats");
    let mnist = vae_data::Examples::load_idx(&vae_data::default_data_dir(), Partition::Test)
        .expect("bundled MNIST");

    // 600 MNIST digits as a [600, 784] f64 array: real-valued, so standardised, Gaussian.
    let npy = root.join("digits.npy");
    NpyArray {
        shape: vec![600, 784],
        values: NpyValues::F64((0..600).flat_map(|i| mnist.raw(i)).map(f64::from).collect()),
    }
    .write(&npy)
    .expect("write");
    // The same digits as 14x14 RGB PNGs (every other pixel, tinted), in two class folders.
    let pngs = root.join("pngs");
    for class in ["even", "odd"] {
        std::fs::create_dir_all(pngs.join(class)).expect("mkdir");
    }
    for i in 0..600 {
        let raw = mnist.raw(i);
        let img = image::RgbImage::from_fn(14, 14, |x, y| {
            let v = raw[(2 * y * 28 + 2 * x) as usize] as u8;
            image::Rgb([v, v / 2, 255 - v])
        });
        let class = if mnist.label(i).unwrap_or(0).is_multiple_of(2) {
            "even"
        } else {
            "odd"
        };
        img.save(pngs.join(class).join(format!("{i:03}.png")))
            .expect("png");
    }

    for (name, data, dim, decoded_shape) in [
        ("npy", &npy, 784, vec![60, 784]),
        ("pngs", &pngs, 14 * 14 * 3, vec![60, 14, 14, 3]),
    ] {
        let run = root.join(format!("run-{name}"));
        let r = s(&run);
        ok(&[
            "train",
            "--data",
            s(data),
            "--out",
            r,
            "--epochs",
            "3",
            "--latent",
            "8",
            "--hidden",
            "64",
        ]);
        let eval = json(&["eval", "--model", r, "--json"]);
        assert_eq!(eval["examples"], 60, "{name}: a tenth held out for testing");
        let codes = root.join(format!("{name}-codes.npy"));
        ok(&["encode", "--model", r, "--precision", "u8", "-o", s(&codes)]);
        assert_eq!(NpyArray::read(&codes).expect("codes").shape, [60, 8]);
        let out = root.join(format!("{name}-decoded.npy"));
        ok(&["decode", "--model", r, s(&codes), "-o", s(&out)]);
        let decoded = NpyArray::read(&out).expect("decoded");
        assert_eq!(decoded.shape, decoded_shape, "{name}");
        assert_eq!(decoded.to_f32().len(), 60 * dim);
    }
    // The RGB model draws RGB pictures.
    let png = root.join("samples.png");
    ok(&[
        "sample",
        "--model",
        s(&root.join("run-pngs")),
        "-n",
        "4",
        "-o",
        s(&png),
    ]);
    let img = image::open(&png).expect("png");
    assert_eq!(img.color(), image::ColorType::Rgb8);
    assert_eq!((img.width(), img.height()), (2 * 16 + 2, 2 * 16 + 2));
    // Decoded real values come back in the array's units (0..255 pixel values), not
    // standardised ones.
    let decoded = NpyArray::read(&root.join("npy-decoded.npy"))
        .expect("decoded")
        .to_f32();
    let mean = decoded.iter().sum::<f32>() / decoded.len() as f32;
    assert!(mean > 15.0 && mean < 60.0, "mean decoded value {mean}");
}
