use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use vae_data::{Binarize, DataFormat, DataSource, ImageShape, Standardization};
use vae_model::{Likelihood, VaeConfig};

use crate::{Result, TrainError};

/// Version of the run-directory layout and `config.json` schema this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// Everything that shapes a run, saved as `config.json` before training starts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingConfig {
    /// [`FORMAT_VERSION`] of the writer.
    pub format_version: u32,
    /// The model architecture and objective.
    pub model: VaeConfig,
    /// Where the data came from and how it was preprocessed.
    pub data: DataConfig,
    /// Optimiser settings.
    pub optimizer: OptimizerConfig,
    /// Number of epochs to train for in total.
    pub epochs: usize,
    /// Examples per batch.
    pub batch_size: usize,
    /// Seeds initialisation, shuffling, the validation split, sampling and binarisation.
    pub seed: u64,
}

/// Data provenance and preprocessing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataConfig {
    /// The dataset trained on (commands take `--data` to use another).
    #[serde(alias = "dir")]
    pub path: PathBuf,
    /// Its format.
    #[serde(default)]
    pub format: DataFormat,
    /// For CSV: the label column, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_column: Option<String>,
    /// Image height, width (and channels), for pictures of examples; `None` for tables.
    pub image_shape: Option<ImageShape>,
    /// How byte intensities become inputs.
    pub binarize: Binarize,
    /// Training examples held out for validation.
    pub valid_size: usize,
    /// For formats without a test partition: examples held out for testing, chosen with
    /// [`vae_data::TEST_SPLIT_SEED`]. 0 for IDX directories, which have one.
    #[serde(default)]
    pub test_size: usize,
    /// For real-valued data: the standardisation fitted on the training examples; inputs are
    /// standardised with it and decoded outputs mapped back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standardization: Option<Standardization>,
}

impl DataConfig {
    /// The dataset as a [`DataSource`].
    pub fn source(&self) -> DataSource {
        DataSource {
            path: self.path.clone(),
            format: self.format,
            label_column: self.label_column.clone(),
        }
    }
}

/// Adam settings (the PyTorch defaults, which the reference script uses).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptimizerConfig {
    /// Learning rate.
    pub lr: f64,
    /// Adam β₁.
    pub beta_1: f32,
    /// Adam β₂.
    pub beta_2: f32,
    /// Adam ε.
    pub epsilon: f32,
}

impl Default for OptimizerConfig {
    fn default() -> Self {
        Self {
            lr: 1e-3,
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-8,
        }
    }
}

impl TrainingConfig {
    /// Checks every value is usable.
    pub fn validate(&self) -> Result<()> {
        self.model.validate()?;
        let bad = |m: String| Err(TrainError::InvalidOption(m));
        if self.epochs == 0 {
            return bad("--epochs must be at least 1".into());
        }
        if self.batch_size == 0 {
            return bad("--batch-size must be at least 1".into());
        }
        if self.data.valid_size == 0 {
            return bad(
                "--valid-size must be at least 1: training reports validation metrics".into(),
            );
        }
        if self.data.standardization.is_some() && self.data.binarize != Binarize::None {
            return bad("--binarize applies to byte data (images), not real-valued data".into());
        }
        if self.data.standardization.is_some() && self.model.likelihood == Likelihood::Bernoulli {
            return bad(
                "--likelihood bernoulli needs values in [0, 1]; real-valued data is standardised, so use gaussian or gaussian-learned".into(),
            );
        }
        if self.data.standardization.is_some() && self.model.likelihood.is_discrete_8bit() {
            return bad(format!(
                "--likelihood {} models 8-bit levels; real-valued data needs gaussian or gaussian-learned",
                self.model.likelihood.name()
            ));
        }
        if !(self.optimizer.lr.is_finite() && self.optimizer.lr > 0.0) {
            return bad(format!("--lr must be positive, got {}", self.optimizer.lr));
        }
        Ok(())
    }

    /// Reads and checks a `config.json`.
    pub fn load(path: &Path) -> Result<Self> {
        let bad = |why: String| TrainError::BadConfig {
            path: path.to_path_buf(),
            why,
        };
        let text = std::fs::read_to_string(path).map_err(|source| TrainError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
        match value.get("format_version").and_then(|v| v.as_u64()) {
            Some(v) if v == FORMAT_VERSION as u64 => {}
            Some(v) if v > FORMAT_VERSION as u64 => {
                return Err(bad(format!(
                    "written by a newer vae (format version {v}; this build reads {FORMAT_VERSION})"
                )));
            }
            Some(v) => return Err(bad(format!("unsupported format version {v}"))),
            None => return Err(bad("no format_version field".into())),
        }
        let config: Self = serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;
        config.model.validate().map_err(|e| bad(e.to_string()))?;
        Ok(config)
    }

    /// The config as pretty JSON.
    pub fn to_json(&self) -> String {
        // Serialising plain data cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `config.json` as the first release wrote it (copied from a run), before other data
    /// formats.
    const FIRST_RELEASE: &str = r#"{
      "format_version": 1,
      "model": {"input_dim": 784, "hidden": [400], "latent_dim": 20, "activation": "relu",
                "likelihood": {"kind": "bernoulli"}, "beta": 1.0},
      "data": {"dir": "/data/mnist", "image_shape": [28, 28], "binarize": "none",
               "valid_size": 1000},
      "optimizer": {"lr": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8},
      "epochs": 10, "batch_size": 128, "seed": 1
    }"#;

    #[test]
    fn configs_of_the_first_release_still_load() {
        let dir = std::env::temp_dir().join(format!("vae-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("config.json");
        std::fs::write(&path, FIRST_RELEASE).expect("write");
        let config = TrainingConfig::load(&path).expect("loads");
        assert_eq!(config.data.path, PathBuf::from("/data/mnist"));
        assert_eq!(config.data.format, DataFormat::IdxDir);
        assert_eq!(config.data.image_shape, Some(ImageShape::grey(28, 28)));
        assert_eq!(
            (config.data.test_size, &config.data.standardization),
            (0, &None)
        );
        // And what this release writes reads back the same.
        std::fs::write(&path, config.to_json()).expect("write");
        assert_eq!(TrainingConfig::load(&path).expect("loads"), config);
    }
}
