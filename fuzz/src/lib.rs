//! What each fuzz target does with its input. The same functions replay the seed corpus and
//! every saved crash in `vae-train`'s `fuzz_corpus` test, so CI re-checks them on each run.
//!
//! Each harness writes the input to files, as a user's file would arrive, and calls the public
//! loader; any `Err` is fine, a panic, abort or runaway allocation is a finding.

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use vae_data::{Examples, NpyArray, Partition, idx, npy, table};
use vae_train::{RunDir, TrainedModel, read_metrics};

/// A scratch directory per process (libFuzzer may run several workers).
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vae-fuzz-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).expect("write scratch file");
}

/// Splits `data` at a position given by its first two bytes (little-endian), so one input can
/// stand for two files.
pub fn split2(data: &[u8]) -> (&[u8], &[u8]) {
    if data.len() < 2 {
        return (data, &[]);
    }
    let at = (u16::from_le_bytes([data[0], data[1]]) as usize).min(data.len() - 2);
    data[2..].split_at(at)
}

/// The inverse of [`split2`], for writing seeds.
pub fn join2(first: &[u8], second: &[u8]) -> Vec<u8> {
    let len = u16::try_from(first.len()).expect("first part under 64 KiB");
    let mut out = len.to_le_bytes().to_vec();
    out.extend_from_slice(first);
    out.extend_from_slice(second);
    out
}

/// IDX files: the single-file reader (raw or gzip), then the dataset loader with the input
/// split into an image file and a label file. Returns whether the dataset loaded.
pub fn idx(data: &[u8]) -> bool {
    let dir = scratch("idx");
    let single = dir.join("single");
    write(&single, data);
    let _ = idx::read_dims(&single, &[1, 3]);
    let _ = idx::read_u8(&single, &[1, 3]);

    let (images, labels) = split2(data);
    write(&dir.join("t10k-images-idx3-ubyte"), images);
    write(&dir.join("t10k-labels-idx1-ubyte"), labels);
    Examples::load_idx(&dir, Partition::Test).is_ok()
}

/// A model directory: `config.json` and `model.bpk`. Returns whether the model loaded.
pub fn model_dir(data: &[u8]) -> bool {
    let dir = scratch("model");
    let run = RunDir::new(&dir);
    let (config, weights) = split2(data);
    write(&run.config(), config);
    write(&run.model(), weights);
    TrainedModel::load(&dir, &Device::flex()).is_ok()
}

/// `metrics.csv`, which `--resume` reads back. Returns the number of rows read.
pub fn metrics_csv(data: &[u8]) -> usize {
    let path = scratch("metrics").join("metrics.csv");
    write(&path, data);
    read_metrics(&path).map_or(0, |rows| rows.len())
}

/// A CSV table, with and without a named label column. Returns whether it loaded.
pub fn csv_table(data: &[u8]) -> bool {
    let path = scratch("csv").join("table.csv");
    write(&path, data);
    let _ = table::read_csv(&path, Some("label"));
    table::read_csv(&path, None).is_ok()
}

/// A `.npy` file, as a dataset and as a codes file. Returns whether the dataset loaded.
pub fn npy_array(data: &[u8]) -> bool {
    let path = scratch("npy").join("array.npy");
    write(&path, data);
    if let Ok(array) = NpyArray::read(&path) {
        let _ = vae_train::codes_from_array(&array, 2);
    }
    npy::read_npy_dataset(&path).is_ok()
}

/// A `.vaez` compressed file. Its trailing checksum is recomputed first so that the fuzzer
/// reaches the fields behind it; a file that parses must re-serialise to itself, and is then
/// decoded with a small fixed model when its output is small. Returns whether it parsed.
pub fn vaez(data: &[u8]) -> bool {
    use vae_codec::Alphabet;
    use vae_codec::format::{CompressedFile, crc32};
    use vae_model::{Likelihood, VaeConfig};

    let mut bytes = data.to_vec();
    if let Some(n) = bytes.len().checked_sub(4) {
        let crc = crc32(&bytes[..n]);
        bytes[n..].copy_from_slice(&crc.to_le_bytes());
    }
    let Ok(file) = CompressedFile::from_bytes(&bytes) else {
        return false;
    };
    assert_eq!(
        file.to_bytes(),
        bytes,
        "a parsed file re-serialises to itself"
    );
    if file.coded.examples.saturating_mul(file.coded.dim) <= 1 << 16 {
        let device = Device::flex();
        device.seed(0);
        let likelihood = match file.alphabet {
            Alphabet::Binary { .. } => Likelihood::Bernoulli,
            Alphabet::Bytes => Likelihood::LogisticMixture { components: 2 },
        };
        let vae = VaeConfig::new()
            .with_input_dim(4)
            .with_hidden(vec![3])
            .with_latent_dim(2)
            .with_likelihood(likelihood)
            .init(&device);
        let _ = vae_codec::decompress(&vae, &device, &file.coded, file.alphabet);
    }
    true
}
