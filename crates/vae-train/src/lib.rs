//! Training and evaluation of [`vae_model::Vae`] on burn-train's `Learner`.
//!
//! A *run directory* is self-describing: `config.json` ([`TrainingConfig`]) holds everything
//! needed to rebuild the model, `model.bpk` the final weights, `checkpoint/` one checkpoint per
//! epoch for `--resume`, and `metrics.csv` one row per epoch and split.

mod adam;
mod artifacts;
mod checkpoint;
mod config;
mod data;
mod error;
mod evaluate;
mod guard;
mod lossy;
mod metric;
mod metrics_log;
mod output;
mod progress;
mod step;
mod train;

pub use artifacts::{
    CONFIG_FILE, METRICS_FILE, MODEL_FILE, RunDir, TrainedModel, last_checkpoint, write_atomic,
};
pub use config::{DataConfig, FORMAT_VERSION, OptimizerConfig, TrainingConfig};
pub use data::{test_data, training_data};
pub use error::{Result, TrainError};
pub use evaluate::{EvalReport, IwReport, evaluate, importance_weighted_nll};
pub use guard::Divergence;
pub use lossy::{
    Codes, RdPoint, codes_array, codes_from_array, decode, encode, rate_distortion, to_data,
};
pub use metrics_log::{EpochRow, read_metrics};
pub use train::{TrainOptions, TrainSummary, train};
