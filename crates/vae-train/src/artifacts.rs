//! The run directory: paths, atomic writes, and loading a trained model.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device};
use vae_model::Vae;

use crate::{Result, TrainError, TrainingConfig};

/// The run's configuration.
pub const CONFIG_FILE: &str = "config.json";
/// The final model weights (burnpack).
pub const MODEL_FILE: &str = "model.bpk";
/// Per-epoch metric means.
pub const METRICS_FILE: &str = "metrics.csv";
const CHECKPOINT_DIR: &str = "checkpoint";

/// Paths inside a run directory.
#[derive(Clone, Debug)]
pub struct RunDir {
    root: PathBuf,
}

impl RunDir {
    /// A run directory at `root` (nothing is checked or created).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `config.json`.
    pub fn config(&self) -> PathBuf {
        self.root.join(CONFIG_FILE)
    }

    /// `model.bpk`.
    pub fn model(&self) -> PathBuf {
        self.root.join(MODEL_FILE)
    }

    /// `metrics.csv`.
    pub fn metrics(&self) -> PathBuf {
        self.root.join(METRICS_FILE)
    }

    /// `checkpoint/`, burn-train's `model-N.bpk`, `optim-N.bpk` and `scheduler-N.bpk`.
    pub fn checkpoints(&self) -> PathBuf {
        self.root.join(CHECKPOINT_DIR)
    }
}

/// [`vae_data::write_atomic`] with this crate's error.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    vae_data::write_atomic(path, bytes).map_err(|source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Saves a model's weights atomically.
pub(crate) fn save_model(vae: Vae, path: &Path) -> Result<()> {
    let bytes = vae
        .into_record()
        .into_bytes()
        .map_err(|e| TrainError::BadWeights {
            path: path.to_path_buf(),
            why: e.to_string(),
        })?;
    write_atomic(path, &bytes)
}

/// Refuses a weights file too small for the model `config` describes, before the model is
/// allocated (a forged config must not make us allocate terabytes).
pub(crate) fn check_weights_size(config: &vae_model::VaeConfig, path: &Path) -> Result<()> {
    let len = std::fs::metadata(path)
        .map_err(|source| TrainError::Io {
            path: path.to_path_buf(),
            source,
        })?
        .len();
    // Half precision is the most compact a burnpack tensor could be stored in.
    let needed = config
        .num_params()
        .and_then(|n| n.checked_mul(2))
        .and_then(|n| u64::try_from(n).ok());
    match needed {
        Some(needed) if needed <= len => Ok(()),
        _ => Err(TrainError::BadWeights {
            path: path.to_path_buf(),
            why: format!(
                "{len} bytes cannot hold the {} parameters that config.json describes",
                config
                    .num_params()
                    .map_or("more than 2^64".to_string(), |n| n.to_string())
            ),
        }),
    }
}

/// Loads weights from `path` into `module`, with errors that name the file.
pub(crate) fn load_weights<M: Module>(module: M, path: &Path) -> Result<M> {
    let bad = |why: String| TrainError::BadWeights {
        path: path.to_path_buf(),
        why,
    };
    let bytes = std::fs::read(path).map_err(|source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes))
        .map_err(|e| bad(format!("not a burnpack weights file ({e})")))?;
    module.try_load_record(record).map_err(|e| {
        bad(format!(
            "weights do not match the model in config.json ({e})"
        ))
    })
}

/// The highest epoch with a complete checkpoint (model, optimiser and scheduler) in `run`.
pub fn last_checkpoint(run: &RunDir) -> Option<usize> {
    let dir = run.checkpoints();
    let entries = std::fs::read_dir(&dir).ok()?;
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            name.strip_prefix("model-")?
                .strip_suffix(".bpk")?
                .parse::<usize>()
                .ok()
        })
        .filter(|n| {
            ["optim", "scheduler"]
                .iter()
                .all(|k| dir.join(format!("{k}-{n}.bpk")).is_file())
        })
        .max()
}

/// A model directory loaded for use: its config and its weights on a device.
#[derive(Debug)]
pub struct TrainedModel {
    /// Where it was loaded from.
    pub dir: PathBuf,
    /// The run's config.
    pub config: TrainingConfig,
    /// The model, on the requested device.
    pub vae: Vae,
}

impl TrainedModel {
    /// Loads `dir/config.json` and `dir/model.bpk` onto `device`.
    pub fn load(dir: &Path, device: &Device) -> Result<Self> {
        if !dir.is_dir() {
            return Err(TrainError::Io {
                path: dir.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no such model directory",
                ),
            });
        }
        let run = RunDir::new(dir);
        let config = TrainingConfig::load(&run.config())?;
        check_weights_size(&config.model, &run.model())?;
        let vae = load_weights(config.model.init(device), &run.model())?;
        Ok(Self {
            dir: dir.to_path_buf(),
            config,
            vae,
        })
    }

    /// SHA-256 of what decides the model's outputs: its architecture and likelihood (as JSON)
    /// and its weights file. Files coded with one model are refused by another.
    pub fn fingerprint(&self) -> Result<[u8; 32]> {
        use sha2::Digest;
        let model_file = RunDir::new(&self.dir).model();
        let weights = std::fs::read(&model_file).map_err(|source| TrainError::Io {
            path: model_file,
            source,
        })?;
        let mut hash = sha2::Sha256::new();
        hash.update(serde_json::to_vec(&self.config.model).unwrap_or_default());
        hash.update(weights);
        Ok(hash.finalize().into())
    }
}
