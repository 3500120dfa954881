//! Shared fixtures: temporary directories, MNIST subsets, small configs, backends.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use vae_data::{Binarize, DataFormat, Examples, ImageShape, Partition, default_data_dir};
use vae_model::VaeConfig;
use vae_train::{DataConfig, FORMAT_VERSION, OptimizerConfig, TrainOptions, TrainingConfig};

mod scratch;
pub use scratch::temp_dir;

/// Every CPU backend the tests run on.
pub fn devices() -> Vec<(&'static str, Device)> {
    #[allow(deprecated)] // burn 0.22 deprecates ndarray; we keep supporting it.
    let ndarray = Device::ndarray();
    #[allow(unused_mut)]
    let mut devices = vec![("flex", Device::flex()), ("ndarray", ndarray)];
    #[cfg(feature = "tch")]
    #[allow(deprecated)] // burn 0.22 deprecates burn-tch; it is our libtorch backend.
    devices.push(("tch", Device::libtorch()));
    devices
}

/// The first `n_train` / `n_test` real MNIST images (with labels) as an IDX directory.
pub fn mnist_subset(dir: &Path, n_train: usize, n_test: usize) -> PathBuf {
    let mnist = default_data_dir();
    std::fs::create_dir_all(dir).expect("create data dir");
    for (partition, n) in [(Partition::Train, n_train), (Partition::Test, n_test)] {
        Examples::load_idx(&mnist, partition)
            .expect("bundled MNIST loads")
            .take(n)
            .save_idx(dir, partition)
            .expect("write subset");
    }
    dir.to_path_buf()
}

/// The default (PyTorch reference) model on `data`.
pub fn config(data: &Path, epochs: usize, valid_size: usize) -> TrainingConfig {
    TrainingConfig {
        format_version: FORMAT_VERSION,
        model: VaeConfig::new(),
        data: DataConfig {
            path: data.to_path_buf(),
            format: DataFormat::IdxDir,
            label_column: None,
            image_shape: Some(ImageShape::grey(28, 28)),
            binarize: Binarize::None,
            valid_size,
            test_size: 0,
            standardization: None,
        },
        optimizer: OptimizerConfig::default(),
        epochs,
        batch_size: 128,
        seed: 1,
    }
}

pub fn options(out: &Path, device: &Device, resume: bool) -> TrainOptions {
    TrainOptions {
        out: out.to_path_buf(),
        device: device.clone(),
        resume,
        stop: None,
    }
}
