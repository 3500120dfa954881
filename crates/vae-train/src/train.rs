use std::path::PathBuf;

use burn::data::dataloader::DataLoaderBuilder;
use burn::module::Module;
use burn::optim::AdamConfig;
use burn::tensor::Device;
use burn::train::logger::FileMetricLogger;
use burn::train::metric::LossMetric;
use burn::train::{Learner, SupervisedTraining};
use vae_data::{ImageDataset, Partition, VaeBatcher};

use crate::artifacts::{load_weights, save_model};
use crate::metric::{ElboMetric, ElboTerm};
use crate::metrics_log::CsvMetricLogger;
use crate::progress::ProgressRenderer;
use crate::step::VaeLearner;
use crate::{
    EpochRow, Result, RunDir, TrainError, TrainingConfig, last_checkpoint, read_metrics,
    write_atomic,
};

/// Where and how to train.
#[derive(Clone, Debug)]
pub struct TrainOptions {
    /// The run directory.
    pub out: PathBuf,
    /// The device to train on (its autodiff form is used for the training steps).
    pub device: Device,
    /// Continue the run in `out` from its last checkpoint instead of starting one.
    pub resume: bool,
}

/// What a finished run reports.
#[derive(Clone, Debug)]
pub struct TrainSummary {
    /// The run directory.
    pub run: RunDir,
    /// The config the run used.
    pub config: TrainingConfig,
    /// The epoch training started from (1, or one past the resumed checkpoint).
    pub first_epoch: usize,
    /// Every row of `metrics.csv`.
    pub metrics: Vec<EpochRow>,
}

/// Trains a model and writes the run directory.
///
/// A fresh run (`resume == false`) refuses a directory that already holds a `config.json`.
/// With `resume`, the stored config is used (`config` may only change `epochs`), training
/// restarts after the last complete checkpoint, and ends at the configured number of epochs.
pub fn train(config: Option<TrainingConfig>, options: &TrainOptions) -> Result<TrainSummary> {
    let run = RunDir::new(&options.out);
    let (config, checkpoint) = if options.resume {
        prepare_resume(&run, config)?
    } else {
        let config =
            config.ok_or_else(|| TrainError::InvalidOption("no training config given".into()))?;
        if run.config().exists() {
            return Err(TrainError::RunExists {
                path: run.root().to_path_buf(),
            });
        }
        (config, None)
    };
    config.validate()?;
    std::fs::create_dir_all(run.root()).map_err(|source| TrainError::Io {
        path: run.root().to_path_buf(),
        source,
    })?;
    write_atomic(&run.config(), config.to_json().as_bytes())?;
    let first_epoch = checkpoint.map_or(1, |c| c + 1);
    if first_epoch <= config.epochs {
        launch(&config, &run, &options.device, checkpoint)?;
    }
    let metrics = read_metrics(&run.metrics()).unwrap_or_default();
    Ok(TrainSummary {
        run,
        config,
        first_epoch,
        metrics,
    })
}

fn prepare_resume(
    run: &RunDir,
    requested: Option<TrainingConfig>,
) -> Result<(TrainingConfig, Option<usize>)> {
    let resume_err = |why: &str| TrainError::Resume {
        path: run.root().to_path_buf(),
        why: why.into(),
    };
    if !run.config().is_file() {
        return Err(resume_err("no config.json: this is not a run directory"));
    }
    let mut config = TrainingConfig::load(&run.config())?;
    if let Some(requested) = requested {
        let mut same = requested.clone();
        same.epochs = config.epochs;
        if same != config {
            return Err(resume_err(
                "only --epochs may change when resuming; the run's config.json fixes everything else",
            ));
        }
        config.epochs = requested.epochs;
    }
    let checkpoint = last_checkpoint(run);
    if let Some(epoch) = checkpoint {
        // Check the checkpoint loads before burn-train does (it would panic on a bad file).
        let path = run.checkpoints().join(format!("model-{epoch}.bpk"));
        let model = VaeLearner {
            vae: config.model.init(&Device::flex()),
        };
        load_weights(model, &path)?;
        if epoch > config.epochs {
            return Err(resume_err(&format!(
                "its last checkpoint is epoch {epoch}, past the requested {} epochs",
                config.epochs
            )));
        }
    }
    Ok((config, checkpoint))
}

/// Loads the training data and splits off the validation set.
fn load_data(config: &TrainingConfig) -> Result<(ImageDataset, ImageDataset)> {
    let data = ImageDataset::load_idx(&config.data.dir, Partition::Train)?;
    if data.dim() != config.model.input_dim {
        return Err(TrainError::DimMismatch {
            data: data.dim(),
            model: config.model.input_dim,
        });
    }
    Ok(data.split(config.data.valid_size, config.seed)?)
}

fn launch(
    config: &TrainingConfig,
    run: &RunDir,
    device: &Device,
    checkpoint: Option<usize>,
) -> Result<()> {
    let (train_set, valid_set) = load_data(config)?;
    device.seed(config.seed);

    let binarize = config.data.binarize;
    let train_loader = DataLoaderBuilder::new(VaeBatcher::train(binarize, config.seed))
        .batch_size(config.batch_size)
        .shuffle(config.seed)
        .set_device(device.clone())
        .build(train_set);
    let valid_loader = DataLoaderBuilder::new(VaeBatcher::eval(binarize, config.seed))
        .batch_size(config.batch_size.max(500))
        .set_device(device.clone())
        .build(valid_set);

    let model = VaeLearner {
        vae: config.model.init(&device.clone().autodiff()),
    };
    let opt = &config.optimizer;
    let optim = AdamConfig::new()
        .with_beta_1(opt.beta_1)
        .with_beta_2(opt.beta_2)
        .with_epsilon(opt.epsilon)
        .init();

    let first_epoch = checkpoint.map_or(1, |c| c + 1);
    let csv = CsvMetricLogger::open(&run.metrics(), first_epoch)?;
    let mut training = SupervisedTraining::new(run.root(), train_loader, valid_loader)
        .metrics((
            LossMetric::new(),
            ElboMetric::new(ElboTerm::NegElbo),
            ElboMetric::new(ElboTerm::Reconstruction),
            ElboMetric::new(ElboTerm::Kl),
            ElboMetric::new(ElboTerm::BitsPerDim),
        ))
        .with_metric_logger(FileMetricLogger::new(run.root()))
        .with_metric_logger(csv)
        .renderer(Box::new(ProgressRenderer::new()))
        .with_default_checkpointers()
        .num_epochs(config.epochs);
    if let Some(epoch) = checkpoint {
        training = training.checkpoint(epoch);
    }
    let result = training.launch(Learner::new(model, optim, opt.lr));
    if let Some(error) = result.error {
        return Err(TrainError::Training(error.to_string()));
    }
    if let Some(interruption) = result.interrupted {
        let why = interruption.reason.unwrap_or_else(|| "interrupted".into());
        return Err(TrainError::Training(format!("stopped early: {why}")));
    }
    save_model(result.model.vae.valid(), &run.model())
}
