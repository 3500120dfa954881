//! `vae compress` / `vae decompress` end to end: byte-exact round trips of the whole MNIST test
//! set, binarised and 8-bit, and refusals of every kind of bad file.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use common::{mnist_subset, ok, s, temp_dir, vae, vae_command};
use vae_data::{NpyArray, NpyValues, default_data_dir, idx};

/// Runs `vae`, expecting failure; returns stderr.
fn fails(args: &[&str]) -> String {
    let out = vae(args);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "{args:?} succeeded");
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    err
}

/// The bundled MNIST test images as one u8 IDX file, and their pixels.
fn test_images(dir: &Path, binarise: bool) -> (PathBuf, Vec<u8>) {
    let file = idx::find(&default_data_dir(), "t10k-images-idx3-ubyte").expect("bundled MNIST");
    let mut pixels = idx::read_u8(&file, &[3]).expect("bundled MNIST").data;
    if binarise {
        // Stochastic binarisation with a fixed generator (xorshift64*).
        let mut state = 0x5eed_u64;
        for p in &mut pixels {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let u = (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64;
            *p = u8::from(u < f64::from(*p) / 255.0);
        }
    }
    let path = dir.join(if binarise { "binary.idx" } else { "bytes.idx" });
    idx::write_u8(&path, &[pixels.len() / 784, 28, 28], &pixels).expect("write");
    (path, pixels)
}

fn gzip_bits_per_dim(bytes: &[u8], dims: usize) -> f64 {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip").len() as f64 * 8.0 / dims as f64
}

/// Compresses and decompresses `input` with the given rayon thread counts (the file must not
/// depend on them).
fn round_trip(model: &str, input: &Path, root: &Path, threads: [&str; 2]) -> serde_json::Value {
    let packed = root.join(format!(
        "{}.vaez",
        input.file_stem().and_then(|s| s.to_str()).unwrap_or("x")
    ));
    let restored = packed.with_extension("restored");
    let run = |args: &[&str], threads: &str| {
        let out = vae_command(args)
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .expect("vae runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {err}");
        out
    };
    let args = [
        "compress",
        "--model",
        model,
        s(input),
        "-o",
        s(&packed),
        "--json",
    ];
    let out = run(&args, threads[0]);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let args = [
        "decompress",
        "--model",
        model,
        s(&packed),
        "-o",
        s(&restored),
    ];
    run(&args, threads[1]);
    assert!(
        std::fs::read(input).expect("input") == std::fs::read(&restored).expect("restored"),
        "{} did not round-trip byte for byte",
        input.display()
    );
    assert_eq!(
        summary["bytes"].as_u64(),
        std::fs::metadata(&packed).ok().map(|m| m.len())
    );
    summary
}

#[test]
fn whole_mnist_test_set_round_trips_binarised_and_8bit() {
    let root = temp_dir("lossless");
    let data = mnist_subset(&root.join("data"), 10_000, 10);
    let (binary, binary_pixels) = test_images(&root, true);
    let (bytes, _) = test_images(&root, false);
    let dims = 10_000 * 784;

    let bin_run = root.join("bin");
    ok(&[
        "train",
        "--data",
        s(&data),
        "--out",
        s(&bin_run),
        "--binarize",
        "dynamic",
        "--epochs",
        "3",
        "--valid-size",
        "500",
    ]);
    let b = round_trip(s(&bin_run), &binary, &root, ["2", "2"]);
    let (rate, elbo) = (
        b["bits_per_dim"].as_f64().unwrap_or(9.0),
        b["neg_elbo_bits_per_dim"].as_f64().unwrap_or(0.0),
    );
    assert_eq!(
        (b["examples"].as_u64(), b["dims"].as_u64()),
        (Some(10_000), Some(784))
    );
    assert!(
        (rate / elbo - 1.0).abs() < 0.02,
        "rate {rate} vs -ELBO {elbo}"
    );
    // gzip -9 of the bit-packed images: 0.33 bits/dim. Three epochs on 10 000 images measured
    // 0.273.
    let packed: Vec<u8> = binary_pixels
        .chunks(8)
        .map(|c| {
            c.iter()
                .enumerate()
                .fold(0u8, |a, (i, &v)| a | (v << (7 - i)))
        })
        .collect();
    let gzip = gzip_bits_per_dim(&packed, dims);
    assert!(
        rate < gzip && rate < 0.30,
        "binarised: {rate} bits/dim (gzip {gzip})"
    );

    let mix_run = root.join("mix");
    ok(&[
        "train",
        "--data",
        s(&data),
        "--out",
        s(&mix_run),
        "--likelihood",
        "logistic-mixture",
        "--components",
        "2",
        "--hidden",
        "256",
        "--epochs",
        "2",
        "--valid-size",
        "500",
    ]);
    // Its decoder's last layer is big enough for flex to split the matrix product across
    // threads: one thread compressing, three decompressing.
    let m = round_trip(s(&mix_run), &bytes, &root, ["1", "3"]);
    let (rate, elbo) = (
        m["bits_per_dim"].as_f64().unwrap_or(9.0),
        m["neg_elbo_bits_per_dim"].as_f64().unwrap_or(0.0),
    );
    assert!(
        (rate / elbo - 1.0).abs() < 0.02,
        "rate {rate} vs -ELBO {elbo}"
    );
    // Two short epochs measured 1.816 bits/dim (gzip -9: 1.64); the fully trained model's
    // figures are `cargo xtask bench-compress`'s.
    assert!(rate < 1.9, "8-bit: {rate} bits/dim");

    // A u8 NPY array of binary images spelt 0/255 restores byte for byte, header included.
    let npy = root.join("binary255.npy");
    let first: Vec<u8> = binary_pixels[..50 * 784].iter().map(|&b| b * 255).collect();
    NpyArray {
        shape: vec![50, 28, 28],
        values: NpyValues::U8(first),
    }
    .write(&npy)
    .expect("write npy");
    round_trip(s(&bin_run), &npy, &root, ["2", "2"]);

    refusals(&root, s(&bin_run), s(&mix_run), &binary, &bytes, &data);
}

/// Bad files and wrong models give clear errors, non-zero exits and no output file.
fn refusals(root: &Path, bin_run: &str, mix_run: &str, binary: &Path, bytes: &Path, data: &Path) {
    let packed = root.join("binary.vaez");
    let good = std::fs::read(&packed).expect("packed");
    let out = root.join("never.idx");
    let decompress = |file: &Path, model: &str| {
        let err = fails(&["decompress", "--model", model, s(file), "-o", s(&out)]);
        assert!(
            !out.exists(),
            "an output was written for {}",
            file.display()
        );
        assert!(err.contains(s(file)), "the error names the file: {err}");
        err
    };

    let err = decompress(&packed, mix_run);
    assert!(err.contains("another model"), "{err}");
    // The same recipe, another seed: other weights, another fingerprint.
    let other = root.join("bin-other");
    ok(&[
        "train",
        "--data",
        s(data),
        "--out",
        s(&other),
        "--binarize",
        "dynamic",
        "--epochs",
        "1",
        "--valid-size",
        "500",
        "--seed",
        "7",
    ]);
    assert!(decompress(&packed, s(&other)).contains("another model"));

    let bad = root.join("bad.vaez");
    let mut flipped = good.clone();
    let i = flipped.len() / 2;
    flipped[i] ^= 0x10;
    std::fs::write(&bad, &flipped).expect("write");
    let err = decompress(&bad, bin_run);
    assert!(err.contains("corrupt") && err.contains("checksum"), "{err}");
    for len in [0, 3, 40, good.len() / 3, good.len() - 1] {
        std::fs::write(&bad, &good[..len]).expect("write");
        let err = decompress(&bad, bin_run);
        assert!(
            err.contains("truncated") || err.contains("corrupt"),
            "{len}: {err}"
        );
    }
    // Another backend computes other floats: detected, never written out as if good.
    let args = [
        "decompress",
        "--model",
        bin_run,
        s(&packed),
        "-o",
        s(&out),
        "--backend",
        "ndarray",
    ];
    let other_backend = vae(&args);
    if other_backend.status.success() {
        assert_eq!(
            std::fs::read(&out).expect("out"),
            std::fs::read(binary).expect("in")
        );
        std::fs::remove_file(&out).expect("remove");
    } else {
        let err = String::from_utf8_lossy(&other_backend.stderr);
        assert!(
            err.contains("bit-identical") && err.contains("flex") && err.contains("ndarray"),
            "{err}"
        );
        assert!(!out.exists());
    }

    let err = decompress(binary, bin_run);
    assert!(err.contains("not a vae compressed file"), "{err}");
    let mut newer = good.clone();
    newer[4] = 9;
    std::fs::write(&bad, &newer).expect("write");
    assert!(decompress(&bad, bin_run).contains("version 9"));

    // Compressing: grey levels under a Bernoulli model, a shape the model does not code.
    let target = root.join("never.vaez");
    let err = fails(&["compress", "--model", bin_run, s(bytes), "-o", s(&target)]);
    assert!(
        err.contains(s(bytes)) && err.contains("binary data must hold only 0 and"),
        "{err}"
    );
    let small = root.join("small.idx");
    idx::write_u8(&small, &[3, 10, 10], &[0; 300]).expect("write");
    let err = fails(&["compress", "--model", bin_run, s(&small), "-o", s(&target)]);
    assert!(err.contains(s(&small)) && err.contains("784"), "{err}");
    let err = fails(&[
        "compress",
        "--model",
        mix_run,
        s(bytes),
        "-o",
        s(&target),
        "--latent-bits",
        "0",
    ]);
    assert!(err.contains("latent bits"), "{err}");
    assert!(!target.exists());
}
