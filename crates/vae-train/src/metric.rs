use std::sync::Arc;

use burn::tensor::TensorReadError;
use burn::train::metric::state::{FormatOptions, NumericMetricState};
use burn::train::metric::{
    Metric, MetricAttributes, MetricMetadata, MetricName, Numeric, NumericAttributes, NumericEntry,
    SerializedEntry,
};

use crate::guard::DivergenceGuard;
use crate::output::ElboInput;

/// Which ELBO term a metric reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ElboTerm {
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
    pub(crate) const ALL: [ElboTerm; 4] = [
        Self::NegElbo,
        Self::Reconstruction,
        Self::Kl,
        Self::BitsPerDim,
    ];

    /// Metric name: burn-train's log file stem and the `metrics.csv` column.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::NegElbo => "neg_elbo",
            Self::Reconstruction => "recon",
            Self::Kl => "kl",
            Self::BitsPerDim => "bits_per_dim",
        }
    }

    /// Label on the progress display.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::NegElbo => "-ELBO",
            Self::Reconstruction => "recon",
            Self::Kl => "KL",
            Self::BitsPerDim => "bits/dim",
        }
    }
}

/// A numeric metric averaging one ELBO term over the examples of an epoch.
#[derive(Clone)]
pub(crate) struct ElboMetric {
    term: ElboTerm,
    name: MetricName,
    state: NumericMetricState,
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
            state: NumericMetricState::new(),
            watch: None,
        }
    }

    /// Reports non-finite −ELBO values of `split`, whose first epoch is `epoch`, to `guard`.
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

    fn format(&self) -> FormatOptions {
        let precision = if self.term == ElboTerm::BitsPerDim {
            4
        } else {
            2
        };
        FormatOptions::new(self.name.clone()).precision(precision)
    }
}

impl Metric for ElboMetric {
    type Input = ElboInput;

    fn update(
        &mut self,
        input: &ElboInput,
        metadata: &MetricMetadata,
    ) -> Result<SerializedEntry, TensorReadError> {
        let [batch] = input.kl.dims();
        let mean = |t: &burn::tensor::Tensor<1>| t.clone().mean().try_into_scalar::<f64>();
        let value = match self.term {
            ElboTerm::Reconstruction => mean(&input.reconstruction)?,
            ElboTerm::Kl => mean(&input.kl)?,
            ElboTerm::NegElbo | ElboTerm::BitsPerDim => {
                let neg_elbo = mean(&(input.reconstruction.clone() + input.kl.clone()))?;
                if let Some(w) = &self.watch {
                    let step = metadata.iteration.unwrap_or(0);
                    w.guard.check(neg_elbo, w.epoch, w.split, step);
                }
                if self.term == ElboTerm::NegElbo {
                    neg_elbo
                } else {
                    neg_elbo / (input.dims as f64 * std::f64::consts::LN_2)
                }
            }
        };
        self.state.update(value, batch);
        Ok(self.state.compute_update(self.format()))
    }

    fn compute(&mut self) -> Result<SerializedEntry, TensorReadError> {
        Ok(self.state.compute_final(self.format()))
    }

    fn clear(&mut self) {
        self.state.reset();
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
        Some(self.state.current_value())
    }

    fn running_value(&self) -> Option<NumericEntry> {
        Some(self.state.running_value())
    }

    fn final_value(&self) -> NumericEntry {
        self.state.final_value()
    }
}
