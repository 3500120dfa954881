//! Stops training when the loss diverges, before a diverged model can be checkpointed.

use std::sync::{Arc, Mutex};

use burn::train::Interrupter;

/// How far above the run's first loss a loss counts as exploded: Adam with a far too high
/// learning rate throws the ELBO to ~1e10 nats while keeping it finite.
const EXPLOSION_FACTOR: f64 = 1000.0;

/// Where training first diverged.
#[derive(Clone, Debug, PartialEq)]
pub struct Divergence {
    /// 1-based epoch.
    pub epoch: usize,
    /// `training` or `validation`.
    pub split: String,
    /// The 1-based steps (batches) within that epoch's split over which it was measured: the
    /// loss is read back from the device every few steps, not after each one.
    pub steps: (usize, usize),
    /// The mean loss (−ELBO, nats per example) over those steps: NaN, infinite, or exploded.
    pub loss: f64,
    /// The loss above which it counts as exploded.
    pub limit: f64,
}

impl std::fmt::Display for Divergence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.loss.is_finite() {
            write!(
                f,
                "the loss exploded to {:.3e} nats (the limit is {:.3e})",
                self.loss, self.limit
            )?;
        } else {
            write!(f, "the loss became {}", self.loss)?;
        }
        let (first, last) = self.steps;
        write!(f, " at epoch {}, {} step", self.epoch, self.split)?;
        if first == last {
            write!(f, " {first}")
        } else {
            write!(f, "s {first}-{last}")
        }
    }
}

#[derive(Default)]
struct State {
    limit: Option<f64>,
    first: Option<Divergence>,
}

/// Shared by the metrics of both splits; trips burn-train's interrupter once.
///
/// A non-finite gradient makes the next loss non-finite (Adam spreads it into the weights),
/// so watching the loss also catches it, one step later. burn-train checks the interrupter
/// before each checkpoint, after waiting for the metrics, so a diverged epoch is never saved.
#[derive(Clone)]
pub(crate) struct DivergenceGuard {
    state: Arc<Mutex<State>>,
    interrupter: Interrupter,
    /// The smallest limit: 1000 nats per dimension, so a first loss near 0 is no hair trigger.
    floor: f64,
}

impl DivergenceGuard {
    pub(crate) fn new(interrupter: Interrupter, dims: usize) -> Self {
        Self {
            state: Arc::default(),
            interrupter,
            floor: EXPLOSION_FACTOR * dims as f64,
        }
    }

    /// Checks the mean loss of `split`'s steps `first..=last` of `epoch`.
    pub(crate) fn check(&self, loss: f64, epoch: usize, split: &str, first: usize, last: usize) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.first.is_some() {
            return;
        }
        let floor = self.floor;
        let limit = *state
            .limit
            .get_or_insert_with(|| (EXPLOSION_FACTOR * loss.abs()).max(floor));
        if loss.is_finite() && loss <= limit {
            return;
        }
        state.first = Some(Divergence {
            epoch,
            split: split.into(),
            steps: (first, last),
            loss,
            limit,
        });
        self.interrupter.stop(Some("the loss diverged"));
    }

    pub(crate) fn tripped(&self) -> Option<Divergence> {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .first
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trips_on_nan_infinity_and_explosion_but_not_on_normal_losses() {
        let run = |losses: &[f64]| {
            let guard = DivergenceGuard::new(Interrupter::new(), 784);
            for (i, l) in losses.iter().enumerate() {
                guard.check(*l, 1, "training", i + 1, i + 1);
            }
            (guard.tripped(), guard.interrupter.should_stop())
        };
        assert_eq!(run(&[543.0, 300.0, 120.0, 2000.0]), (None, false));
        let (d, stopped) = run(&[543.0, f64::NAN, f64::INFINITY]);
        let d = d.expect("NaN trips");
        assert!(stopped && d.steps == (2, 2) && d.loss.is_nan());
        assert!(d.to_string().contains("NaN at epoch 1, training step 2"));
        let (d, _) = run(&[543.0, 1e9]);
        assert_eq!(d.map(|d| (d.steps.0, d.limit)), Some((2, 784_000.0)));
        let (d, _) = run(&[1e5, 9e7, 1.1e8]);
        assert_eq!(d.map(|d| d.steps.0), Some(3));

        let guard = DivergenceGuard::new(Interrupter::new(), 784);
        guard.check(543.0, 2, "validation", 1, 1);
        guard.check(f64::INFINITY, 2, "validation", 2, 25);
        let d = guard.tripped().expect("infinity trips");
        assert!(
            d.to_string()
                .contains("inf at epoch 2, validation steps 2-25"),
            "{d}"
        );
    }
}
