use std::sync::Arc;

use burn::tensor::{Tensor, TensorReadError};
use burn::train::metric::{
    Metric, MetricAttributes, MetricMetadata, MetricName, Numeric, NumericAttributes, NumericEntry,
    SerializedEntry,
};

use crate::guard::DivergenceGuard;
use crate::output::ElboInput;

/// How often (in steps) a metric reads its running sum back from the device, for the progress
/// display and the divergence guard. PyTorch scripts avoid a host sync per step; so do we.
const READ_EVERY: usize = 25;

/// Which ELBO term a metric reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ElboTerm {
    /// The training loss −ln p(x|z) + β·KL, nats per example.
    Loss,
    /// −ELBO in nats per example.
    NegElbo,
    /// −ln p(x|z) in nats per example.
    Reconstruction,
    /// KL(q ‖ p) in nats per example.
    Kl,
    /// −ELBO / (D ln 2).
    BitsPerDim,
}

impl ElboTerm {
    /// Every metric training records.
    pub(crate) const LOGGED: [ElboTerm; 5] = [
        Self::Loss,
        Self::NegElbo,
        Self::Reconstruction,
        Self::Kl,
        Self::BitsPerDim,
    ];

    /// The terms the progress display shows.
    pub(crate) const SHOWN: [ElboTerm; 4] = [
        Self::NegElbo,
        Self::Reconstruction,
        Self::Kl,
        Self::BitsPerDim,
    ];

    /// Metric name, as the `metrics.csv` column; the loss keeps burn's name "Loss", which its
    /// best-checkpoint strategy looks up.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Loss => "Loss",
            Self::NegElbo => "neg_elbo",
            Self::Reconstruction => "recon",
            Self::Kl => "kl",
            Self::BitsPerDim => "bits_per_dim",
        }
    }

    /// Label on the progress display.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Loss => "loss",
            Self::NegElbo => "-ELBO",
            Self::Reconstruction => "recon",
            Self::Kl => "KL",
            Self::BitsPerDim => "bits/dim",
        }
    }

    fn precision(self) -> usize {
        if self == Self::BitsPerDim { 4 } else { 2 }
    }
}

/// The mean of one ELBO term over the examples of an epoch.
///
/// Each step only queues the batch's per-example tensors. They are summed on the device and read
/// back every [`READ_EVERY`] steps, at the first step, and at the end of the epoch: a few tensor
/// operations per read instead of several per step. burn-train calls metrics on its own thread,
/// which on libtorch CPU otherwise takes a core from the training step's OpenMP team.
#[derive(Clone)]
pub(crate) struct ElboMetric {
    term: ElboTerm,
    name: MetricName,
    /// Batch tensors not yet read; their sum is this term's sum before `scale`.
    pending: Vec<Tensor<1>>,
    /// Factor from the queued nats to the reported unit.
    scale: f64,
    examples: usize,
    steps: usize,
    /// The last read: (sum, examples, steps).
    read: (f64, usize, usize),
    final_mean: Option<f64>,
    watch: Option<Watch>,
}

/// What a metric needs to report a divergence: burn's metadata has the step but not the epoch.
#[derive(Clone)]
struct Watch {
    guard: DivergenceGuard,
    split: &'static str,
    /// burn-train clears metrics once at the end of each epoch.
    epoch: usize,
}

impl ElboMetric {
    pub(crate) fn new(term: ElboTerm) -> Self {
        Self {
            term,
            name: Arc::new(term.name().to_string()),
            pending: Vec::new(),
            scale: 1.0,
            examples: 0,
            steps: 0,
            read: (0.0, 0, 0),
            final_mean: None,
            watch: None,
        }
    }

    /// Reports non-finite or exploding values of `split`, whose first epoch is `epoch`, to
    /// `guard`.
    pub(crate) fn watched(
        mut self,
        guard: &DivergenceGuard,
        split: &'static str,
        epoch: usize,
    ) -> Self {
        self.watch = Some(Watch {
            guard: guard.clone(),
            split,
            epoch,
        });
        self
    }

    /// Per-example tensors whose sum, times [`Self::scale`], is this term's batch sum.
    fn queue(&mut self, input: &ElboInput) {
        let mut push = |t: &Tensor<1>| self.pending.push(t.clone());
        match self.term {
            ElboTerm::Loss => push(&input.loss),
            ElboTerm::Reconstruction => push(&input.reconstruction),
            ElboTerm::Kl => push(&input.kl),
            ElboTerm::NegElbo | ElboTerm::BitsPerDim => {
                push(&input.reconstruction);
                push(&input.kl);
            }
        }
        if self.term == ElboTerm::BitsPerDim {
            self.scale = 1.0 / (input.dims as f64 * std::f64::consts::LN_2);
        }
    }

    /// Sums the queued tensors and reads the result back: one device sync.
    fn read_back(&mut self) -> Result<(), TensorReadError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let queued = std::mem::take(&mut self.pending);
        let window_sum = Tensor::cat(queued, 0).sum().try_into_scalar::<f64>()? * self.scale;
        let (last_sum, last_examples, last_steps) = self.read;
        if let Some(w) = &self.watch {
            // The mean over the steps since the last read.
            let window = window_sum / (self.examples - last_examples).max(1) as f64;
            w.guard
                .check(window, w.epoch, w.split, last_steps + 1, self.steps);
        }
        self.read = (last_sum + window_sum, self.examples, self.steps);
        Ok(())
    }

    fn running_mean(&self) -> f64 {
        self.read.0 / self.read.1.max(1) as f64
    }

    fn entry(&self, value: f64, serialized: String) -> SerializedEntry {
        let p = self.term.precision();
        SerializedEntry::new(format!("{value:.p$}"), serialized)
    }
}

impl Metric for ElboMetric {
    type Input = ElboInput;

    fn update(
        &mut self,
        input: &ElboInput,
        _metadata: &MetricMetadata,
    ) -> Result<SerializedEntry, TensorReadError> {
        let [batch] = input.kl.dims();
        self.queue(input);
        self.examples += batch;
        self.steps += 1;
        if self.steps == 1 || self.steps.is_multiple_of(READ_EVERY) {
            self.read_back()?;
        }
        let mean = self.running_mean();
        Ok(self.entry(mean, NumericEntry::Value(mean).serialize()))
    }

    fn compute(&mut self) -> Result<SerializedEntry, TensorReadError> {
        self.read_back()?;
        let mean = self.running_mean();
        self.final_mean = Some(mean);
        Ok(self.entry(mean, NumericEntry::Final(mean).serialize()))
    }

    fn clear(&mut self) {
        self.pending.clear();
        self.examples = 0;
        self.steps = 0;
        self.read = (0.0, 0, 0);
        self.final_mean = None;
        if let Some(w) = &mut self.watch {
            w.epoch += 1;
        }
    }

    fn name(&self) -> MetricName {
        self.name.clone()
    }

    fn attributes(&self) -> MetricAttributes {
        let unit = match self.term {
            ElboTerm::BitsPerDim => "bits",
            _ => "nats",
        };
        NumericAttributes {
            unit: Some(unit.into()),
            higher_is_better: false,
        }
        .into()
    }
}

impl Numeric for ElboMetric {
    fn value(&self) -> Option<NumericEntry> {
        Some(NumericEntry::Value(self.running_mean()))
    }

    fn running_value(&self) -> Option<NumericEntry> {
        Some(NumericEntry::Value(self.running_mean()))
    }

    fn final_value(&self) -> NumericEntry {
        NumericEntry::Final(self.final_mean.unwrap_or_else(|| self.running_mean()))
    }
}
