//! Replays the fuzz seed corpus and every saved fuzz finding through the fuzz harnesses
//! (`fuzz/src/lib.rs`), so CI checks them without a fuzzing toolchain.

mod common;

#[path = "../../../fuzz/src/lib.rs"]
mod harness;

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::tensor::Device;
use vae_data::{Examples, NpyArray, NpyValues, Partition, default_data_dir};
use vae_model::{Likelihood, VaeConfig};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// Seeds and findings of one target: `fuzz/corpus/T/*` and `fuzz/artifacts/T/*`.
fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for kind in ["corpus", "artifacts"] {
        let dir = fuzz_dir().join(kind).join(target);
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            files.push((name, std::fs::read(entry.path()).expect("read corpus file")));
        }
    }
    files.sort();
    files
}

#[test]
fn fuzz_corpus_and_findings_are_handled_without_panics() {
    for (target, run) in [
        ("idx", harness::idx as fn(&[u8]) -> bool),
        ("model_dir", harness::model_dir),
        ("metrics_csv", |d: &[u8]| harness::metrics_csv(d) > 0),
        ("csv_table", harness::csv_table),
        ("npy_array", harness::npy_array),
        ("vaez", harness::vaez),
    ] {
        let files = inputs(target);
        assert!(
            files.iter().any(|(n, _)| n.starts_with("valid-")),
            "{target}: no valid seeds"
        );
        for (name, bytes) in files {
            let loaded = run(&bytes);
            // Valid seeds must stay valid, or the fuzzer starts from nothing useful.
            if name.starts_with("valid-") {
                assert!(loaded, "{target}/{name} no longer loads");
            }
        }
    }
}

/// Writes the seeds: `cargo test -p vae-train --test fuzz_corpus -- --ignored`.
#[test]
#[ignore = "rewrites fuzz/corpus; run by hand when a format changes"]
fn regenerate_fuzz_seeds() {
    let corpus = fuzz_dir().join("corpus");
    let put = |target: &str, name: &str, bytes: &[u8]| {
        let dir = corpus.join(target);
        std::fs::create_dir_all(&dir).expect("create corpus dir");
        std::fs::write(dir.join(name), bytes).expect("write seed");
    };

    // IDX: two real MNIST test images with their labels, raw and gzip.
    let tmp = common::temp_dir("seeds");
    Examples::load_idx(&default_data_dir(), Partition::Test)
        .expect("bundled MNIST")
        .take(2)
        .save_idx(&tmp, Partition::Test)
        .expect("write");
    let images = std::fs::read(tmp.join("t10k-images-idx3-ubyte")).expect("images");
    let labels = std::fs::read(tmp.join("t10k-labels-idx1-ubyte")).expect("labels");
    put("idx", "valid-mnist-2", &harness::join2(&images, &labels));
    let gzip = |bytes: &[u8]| {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(bytes).expect("gzip");
        enc.finish().expect("gzip")
    };
    put(
        "idx",
        "valid-mnist-2-gzip",
        &harness::join2(&gzip(&images), &gzip(&labels)),
    );
    let tiny = Examples::from_pixels((0..24).collect(), 2, 3, Some(vec![1, 2, 3, 4]));
    tiny.save_idx(&tmp, Partition::Test).expect("write");
    let images = std::fs::read(tmp.join("t10k-images-idx3-ubyte")).expect("images");
    let labels = std::fs::read(tmp.join("t10k-labels-idx1-ubyte")).expect("labels");
    put("idx", "valid-tiny-4x2x3", &harness::join2(&images, &labels));

    // Model directories: tiny models, one per likelihood family.
    for (name, likelihood) in [
        ("valid-bernoulli", Likelihood::Bernoulli),
        ("valid-gaussian-learned", Likelihood::GaussianLearned),
    ] {
        let mut config = common::config(Path::new("data/mnist"), 1, 10);
        config.model = VaeConfig::new()
            .with_input_dim(4)
            .with_hidden(vec![3])
            .with_latent_dim(2)
            .with_likelihood(likelihood);
        let weights = config
            .model
            .init(&Device::flex())
            .into_record()
            .into_bytes()
            .expect("weights");
        put(
            "model_dir",
            name,
            &harness::join2(config.to_json().as_bytes(), &weights),
        );
    }

    // The head of the bundled CSV table (with its text label column) and a small CSV with a
    // `label` column.
    let wdbc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/breast-cancer/wdbc.csv"),
    )
    .expect("bundled table");
    let head: String = wdbc.lines().take(6).map(|l| format!("{l}\n")).collect();
    put("csv_table", "valid-wdbc-5-rows", head.as_bytes());
    put(
        "csv_table",
        "valid-labelled",
        b"x,y,label\n1.5,-2,a\n3e2,4,b\n",
    );

    // NumPy arrays: f32 rows, f64 rows, u8 images, f16 codes.
    for (name, array) in [
        (
            "valid-f32-rows",
            NpyArray {
                shape: vec![2, 3],
                values: NpyValues::F32(vec![0.5, -1.0, 2.0, 3.0, 4.0, 5.0]),
            },
        ),
        (
            "valid-f64-rows",
            NpyArray {
                shape: vec![3, 2],
                values: NpyValues::F64(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
            },
        ),
        (
            "valid-u8-images",
            NpyArray {
                shape: vec![2, 2, 3],
                values: NpyValues::U8((0..12).collect()),
            },
        ),
        (
            "valid-f16-codes",
            NpyArray {
                shape: vec![2, 2],
                values: NpyValues::F16([0.5f32, -1.0, 1.5, 0.0].map(half::f16::from_f32).to_vec()),
            },
        ),
    ] {
        put("npy_array", name, &array.to_bytes().expect("npy bytes"));
    }

    // Compressed files from a tiny model: binary and 8-bit.
    for (name, likelihood, alphabet, data) in [
        (
            "valid-tiny-binary",
            Likelihood::Bernoulli,
            vae_codec::Alphabet::Binary { one: 255 },
            vec![0, 255, 255, 0, 255, 0, 0, 0, 0, 0, 0, 255],
        ),
        (
            "valid-tiny-bytes",
            Likelihood::LogisticMixture { components: 2 },
            vae_codec::Alphabet::Bytes,
            (0..12).map(|i| i * 20).collect(),
        ),
    ] {
        let device = Device::flex();
        let vae = VaeConfig::new()
            .with_input_dim(4)
            .with_hidden(vec![3])
            .with_latent_dim(2)
            .with_likelihood(likelihood)
            .init(&device);
        let settings = vae_codec::Settings {
            latent_bits: 8,
            lanes: 2,
        };
        let coded =
            vae_codec::compress(&vae, &device, &data, alphabet, settings).expect("compress");
        let file = vae_codec::format::CompressedFile {
            fingerprint: [1; 32],
            alphabet,
            backend: "vae flex cpu".into(),
            container: vae_codec::format::Container::Raw,
            container_header: Vec::new(),
            original_crc: vae_codec::format::crc32(&data),
            coded,
        };
        put("vaez", name, &file.to_bytes());
    }

    // metrics.csv as a run writes it.
    put(
        "metrics_csv",
        "valid-two-epochs",
        b"epoch,split,loss,neg_elbo,recon,kl,bits_per_dim,seconds\n\
1,train,165.34793795724642,165.34793795724642,149.76215147994736,15.58578725316969,0.30426868636751947,5.374154888\n\
1,valid,128.69640350341797,128.69640350341797,108.47246551513672,20.22394847869873,0.23682354989110474,0.029376141\n\
2,train,121.61212514379469,121.61212514379469,99.14418745137877,22.467937508534575,0.22378725747056208,4.903978008\n\
2,valid,117.38150024414063,117.38150024414063,94.55770111083984,22.8237886428833,0.21600217894684737,0.034877392\n",
    );
}
