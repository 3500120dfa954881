//! A compact burn-train renderer: a progress bar per split on a terminal, and one summary line
//! per split and epoch on stderr either way (so logs stay readable in CI).

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use burn::train::logger::{EvaluationProgressLogger, TrainingProgressLogger};
use burn::train::metric::{MetricDefinition, MetricId, NumericEntry};
use burn::train::renderer::{
    EvaluationName, MetricState, MetricsRenderer, MetricsRendererEvaluation,
    MetricsRendererTraining,
};
use indicatif::{ProgressBar, ProgressStyle};

use crate::metric::ElboTerm;

/// What the metrics last reported: they send their running epoch mean, then the final one.
#[derive(Default)]
struct Running {
    latest: Option<f64>,
    last_final: Option<f64>,
}

pub(crate) struct ProgressRenderer {
    bar: Option<ProgressBar>,
    names: HashMap<MetricId, String>,
    running: BTreeMap<String, Running>,
    split: String,
    epoch: usize,
    total_epochs: usize,
    started: Instant,
}

impl ProgressRenderer {
    pub(crate) fn new() -> Self {
        Self {
            bar: None,
            names: HashMap::new(),
            running: BTreeMap::new(),
            split: String::new(),
            epoch: 1,
            total_epochs: 0,
            started: Instant::now(),
        }
    }

    fn update(&mut self, state: MetricState) {
        let MetricState::Numeric(entry, _) = state else {
            return;
        };
        let Some(name) = self.names.get(&entry.metric_id) else {
            return;
        };
        let r = self.running.entry(name.clone()).or_default();
        match NumericEntry::deserialize(&entry.serialized_entry.serialized) {
            Ok(NumericEntry::Value(v)) => r.latest = Some(v),
            Ok(NumericEntry::Final(v)) => r.last_final = Some(v),
            Ok(NumericEntry::Aggregated { .. }) | Err(_) => {}
        }
        if let Some(bar) = &self.bar {
            bar.set_message(self.summary(false));
        }
    }

    /// "-ELBO 110.21  recon 85.30  KL 24.91  bits/dim 0.2028"
    fn summary(&self, final_values: bool) -> String {
        let mut parts = Vec::new();
        for term in ElboTerm::SHOWN {
            let Some(r) = self.running.get(term.name()) else {
                continue;
            };
            let value = if final_values { r.last_final } else { None }.or(r.latest);
            if let Some(v) = value {
                let digits = if term == ElboTerm::BitsPerDim { 4 } else { 2 };
                parts.push(format!("{} {v:.digits$}", term.label()));
            }
        }
        parts.join("  ")
    }
}

impl MetricsRendererTraining for ProgressRenderer {
    fn update_train(&mut self, state: MetricState) {
        self.update(state);
    }

    fn update_valid(&mut self, state: MetricState) {
        self.update(state);
    }

    fn on_train_end(
        &mut self,
        _summary: Option<burn::train::LearnerSummary>,
    ) -> Result<(), Box<dyn core::error::Error>> {
        Ok(())
    }
}

impl MetricsRendererEvaluation for ProgressRenderer {
    fn update_test(&mut self, _name: EvaluationName, state: MetricState) {
        self.update(state);
    }
}

impl TrainingProgressLogger for ProgressRenderer {
    fn start(
        &mut self,
        total_epochs: usize,
        starting_epoch: usize,
        _: Option<usize>,
        _: Option<&str>,
    ) {
        self.total_epochs = total_epochs;
        self.epoch = starting_epoch.max(1);
        self.started = Instant::now();
    }

    fn update_epoch(&mut self, epoch: usize) {
        self.epoch = epoch + 1;
    }

    fn start_split(&mut self, split: &str, total_items: usize) {
        self.split = split.to_string();
        self.running.clear();
        self.started = Instant::now();
        let bar = ProgressBar::new(total_items as u64);
        let style = ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos:>6}/{len} {elapsed_precise} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(format!(
            "epoch {}/{} {split:5}",
            self.epoch, self.total_epochs
        ));
        bar.enable_steady_tick(Duration::from_millis(250));
        self.bar = Some(bar);
    }

    fn update_split(&mut self, items_processed: usize) {
        if let Some(bar) = &self.bar {
            bar.set_position(items_processed as u64);
        }
    }

    fn end_split(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        eprintln!(
            "epoch {}/{} {:5} {}  ({:.1}s)",
            self.epoch,
            self.total_epochs,
            self.split,
            self.summary(true),
            self.started.elapsed().as_secs_f64()
        );
    }

    fn end(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    fn log_event_training(&mut self, _event: String) {}
}

impl EvaluationProgressLogger for ProgressRenderer {
    fn start_global_progress(&mut self, _total_tests: usize) {}
    fn start_test(&mut self, name: &str, total_items: usize) {
        self.start_split(name, total_items);
    }
    fn update_test_progress(&mut self, items_processed: usize) {
        self.update_split(items_processed);
    }
    fn end_test(&mut self) {
        self.end_split();
    }
    fn end_global_progress(&mut self) {}
    fn log_event_evaluation(&mut self, _event: String) {}
}

impl MetricsRenderer for ProgressRenderer {
    fn manual_close(&mut self) {
        self.end();
    }

    fn register_metric(&mut self, definition: MetricDefinition) {
        self.names
            .insert(definition.metric_id.clone(), definition.name.to_string());
    }
}
