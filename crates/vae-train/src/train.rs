use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use burn::data::dataloader::{DataLoader, DataLoaderBuilder};
use burn::module::Module;
use burn::optim::OptimizerRecord;
use burn::optim::lr_scheduler::LrSchedulerRecord;
use burn::tensor::Device;
use burn::train::metric::store::EventStoreClient;
use burn::train::{EarlyStoppingStrategy, Interrupter, Learner, SupervisedTraining};
use vae_data::{Examples, ResidentLoader, VaeBatch, VaeBatcher, remove_stale_temp_files};

use crate::adam::Adam;
use crate::artifacts::{check_weights_size, load_weights, save_model};
use crate::checkpoint::AtomicFileCheckpointer;
use crate::guard::DivergenceGuard;
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
    /// Set it (e.g. from a Ctrl-C handler) to stop after the current epoch's checkpoint.
    pub stop: Option<Arc<AtomicBool>>,
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
    /// The last finished epoch when a stop request ended training early; `model.bpk` is then
    /// not written and `--resume` finishes the run.
    pub stopped_after: Option<usize>,
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
    let first_epoch = checkpoint.map_or(1, |c| c + 1);
    // Bad data fails here, before anything is written.
    let data = if first_epoch <= config.epochs {
        Some(crate::training_data(&config)?)
    } else {
        None
    };
    std::fs::create_dir_all(run.root()).map_err(|source| TrainError::Io {
        path: run.root().to_path_buf(),
        source,
    })?;
    write_atomic(&run.config(), config.to_json().as_bytes())?;
    let mut stopped_after = None;
    if let Some(data) = data {
        stopped_after = launch(&config, &run, options, checkpoint, data)?;
    }
    let metrics = read_metrics(&run.metrics()).unwrap_or_default();
    Ok(TrainSummary {
        run,
        config,
        first_epoch,
        metrics,
        stopped_after,
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
    if run.metrics().exists() {
        read_metrics(&run.metrics())?;
    }
    remove_stale_temp_files(run.root());
    remove_stale_temp_files(&run.checkpoints());
    let checkpoint = last_checkpoint(run);
    if let Some(epoch) = checkpoint {
        // Check the checkpoint loads before burn-train does (it would panic on a bad file).
        let path = |kind: &str| run.checkpoints().join(format!("{kind}-{epoch}.bpk"));
        check_weights_size(&config.model, &path("model"))?;
        let model = VaeLearner {
            vae: config.model.init(&Device::flex()),
        };
        load_weights(model, &path("model"))?;
        let bad = |kind: &str, e: burn::store::RecordError| TrainError::BadWeights {
            path: path(kind),
            why: format!("not a burnpack checkpoint ({e})"),
        };
        OptimizerRecord::load(path("optim")).map_err(|e| bad("optim", e))?;
        LrSchedulerRecord::load(path("scheduler")).map_err(|e| bad("scheduler", e))?;
        if epoch > config.epochs {
            return Err(resume_err(&format!(
                "its last checkpoint is epoch {epoch}, past the requested {} epochs",
                config.epochs
            )));
        }
    }
    Ok((config, checkpoint))
}

/// Ends training after the epoch in which the flag was set, once its checkpoint is written.
#[derive(Clone)]
struct StopOnRequest(Arc<AtomicBool>);

impl EarlyStoppingStrategy for StopOnRequest {
    fn should_stop(&mut self, _epoch: usize, _store: &EventStoreClient) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Runs burn-train; returns the last finished epoch if a stop request ended it early.
fn launch(
    config: &TrainingConfig,
    run: &RunDir,
    options: &TrainOptions,
    checkpoint: Option<usize>,
    (train_set, valid_set): (Examples, Examples),
) -> Result<Option<usize>> {
    let device = &options.device;
    device.seed(config.seed);

    let binarize = config.data.binarize;
    let first_epoch = checkpoint.map_or(1, |c| c + 1);
    let train_loader: Arc<dyn DataLoader<VaeBatch>> = Arc::new(ResidentLoader::new(
        &train_set,
        binarize,
        config.batch_size,
        config.seed,
        first_epoch,
        device,
    ));
    let valid_loader = DataLoaderBuilder::new(VaeBatcher::eval(binarize, config.seed))
        .batch_size(config.batch_size.max(500))
        .set_device(device.clone())
        .build(valid_set);

    let model = VaeLearner {
        vae: config.model.init(&device.clone().autodiff()),
    };
    let opt = &config.optimizer;
    let optim = Adam::init(opt);

    let interrupter = Interrupter::new();
    let guard = DivergenceGuard::new(interrupter.clone(), config.model.input_dim);
    let csv = CsvMetricLogger::open(&run.metrics(), first_epoch)?;
    let checkpoints = run.checkpoints();
    std::fs::create_dir_all(&checkpoints).map_err(|source| TrainError::Io {
        path: checkpoints.clone(),
        source,
    })?;
    let mut training = SupervisedTraining::new(run.root(), train_loader, valid_loader)
        .with_interrupter(interrupter)
        // burn's per-iteration logs would be appended in place; metrics.csv is written atomically.
        .with_metric_logger(csv)
        .with_application_logger(None)
        .renderer(Box::new(ProgressRenderer::new()))
        .with_custom_checkpointers(
            AtomicFileCheckpointer::new(&checkpoints, "model"),
            AtomicFileCheckpointer::new(&checkpoints, "optim"),
            AtomicFileCheckpointer::new(&checkpoints, "scheduler"),
        )
        .num_epochs(config.epochs);
    for term in ElboTerm::LOGGED {
        let (mut train, mut valid) = (ElboMetric::new(term), ElboMetric::new(term));
        if term == ElboTerm::NegElbo {
            train = train.watched(&guard, "training", first_epoch);
            valid = valid.watched(&guard, "validation", first_epoch);
        }
        training = training
            .metric_train_numeric(train)
            .metric_valid_numeric(valid);
    }
    if let Some(stop) = &options.stop {
        training = training.early_stopping(StopOnRequest(stop.clone()));
    }
    if let Some(epoch) = checkpoint {
        training = training.checkpoint(epoch);
    }
    let result = training.launch(Learner::new(model, optim, opt.lr));
    if let Some(at) = guard.tripped() {
        let kept = match last_checkpoint(run) {
            Some(epoch) => format!(
                "the last good checkpoint (epoch {epoch}) is kept in `{}`",
                run.checkpoints().display()
            ),
            None => "no epoch finished, so there is no checkpoint".into(),
        };
        return Err(TrainError::Diverged {
            at,
            lr: opt.lr,
            kept,
        });
    }
    if let Some(error) = result.error {
        return Err(TrainError::Training(error.to_string()));
    }
    if let Some(interruption) = result.interrupted {
        let why = interruption.reason.unwrap_or_else(|| "interrupted".into());
        return Err(TrainError::Training(format!("stopped early: {why}")));
    }
    let finished = read_metrics(&run.metrics())?
        .iter()
        .filter(|r| r.split == "valid")
        .map(|r| r.epoch)
        .max();
    if let Some(epoch) = finished.filter(|e| *e < config.epochs) {
        return Ok(Some(epoch));
    }
    save_model(result.model.vae.valid(), &run.model())?;
    Ok(None)
}
