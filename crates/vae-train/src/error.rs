use std::path::PathBuf;

use thiserror::Error;

/// Errors from training, evaluating, or reading and writing run directories.
#[derive(Debug, Error)]
pub enum TrainError {
    /// Reading or validating data failed.
    #[error(transparent)]
    Data(#[from] vae_data::DataError),
    /// The model config is invalid.
    #[error(transparent)]
    Model(#[from] vae_model::ModelError),
    /// A file could not be read or written.
    #[error("cannot access `{path}`: {source}", path = path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// `config.json` is missing, unparsable or from another format version.
    #[error("bad run config `{path}`: {why}", path = path.display())]
    BadConfig {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// `metrics.csv` does not start with the header `vae train` writes.
    #[error("`{path}` is not a vae metrics file: its header does not begin with `epoch,split`", path = path.display())]
    BadMetrics {
        /// The file.
        path: PathBuf,
    },
    /// A weights file could not be decoded or does not fit the config.
    #[error("bad weights `{path}`: {why}", path = path.display())]
    BadWeights {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// The data does not fit the model.
    #[error("{file} has {data} values per example but the model expects {model}")]
    DimMismatch {
        /// The data file (or "the data" when it has none).
        file: String,
        /// Values per example in the data.
        data: usize,
        /// `input_dim` of the model.
        model: usize,
    },
    /// `--resume` found nothing to resume.
    #[error("cannot resume `{path}`: {why}", path = path.display())]
    Resume {
        /// The run directory.
        path: PathBuf,
        /// What is missing.
        why: String,
    },
    /// The output directory already holds a run.
    #[error("`{path}` already holds a run; pass --resume to continue it or choose another --out", path = path.display())]
    RunExists {
        /// The run directory.
        path: PathBuf,
    },
    /// The loss became NaN, infinite or exploded; checkpoints of earlier epochs are kept.
    #[error(
        "training diverged: {at}, with learning rate {lr}; {kept}. Try a lower --lr (e.g. {suggested})",
        suggested = lr / 10.0
    )]
    Diverged {
        /// Where it happened.
        at: crate::Divergence,
        /// The learning rate of the run.
        lr: f64,
        /// What the run directory still holds.
        kept: String,
    },
    /// Training stopped with an error inside burn-train.
    #[error("training failed: {0}")]
    Training(String),
    /// An option is out of range.
    #[error("{0}")]
    InvalidOption(String),
}

/// Result with [`TrainError`].
pub type Result<T> = std::result::Result<T, TrainError>;
