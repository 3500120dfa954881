use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use vae_data::Binarize;
use vae_model::VaeConfig;

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
    /// The IDX directory trained on (informational; commands take `--data` to override).
    pub dir: PathBuf,
    /// Image height and width, for pictures of examples.
    pub image_shape: (usize, usize),
    /// How intensities become inputs.
    pub binarize: Binarize,
    /// Training examples held out for validation.
    pub valid_size: usize,
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
