//! The run directory: paths, atomic writes, and loading a trained model.

use std::io::Write;
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

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so
/// readers see either the old file or the whole new one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
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
        let vae = load_weights(config.model.init(device), &run.model())?;
        Ok(Self {
            dir: dir.to_path_buf(),
            config,
            vae,
        })
    }
}
