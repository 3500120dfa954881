//! `metrics.csv`: one row per epoch and split with the epoch means of every metric.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::train::logger::MetricLogger;
use burn::train::metric::store::{EpochSummary, MetricsUpdate, Split};
use burn::train::metric::{MetricDefinition, MetricId, NumericEntry};

use crate::{Result, TrainError};

/// Columns after `epoch,split`, in file order.
const COLUMNS: [&str; 6] = ["loss", "neg_elbo", "recon", "kl", "bits_per_dim", "seconds"];

/// The column of a metric: the ELBO metrics are named after their columns; burn's is "Loss".
fn column_of(metric_name: &str) -> Option<&'static str> {
    let name = if metric_name == "Loss" {
        "loss"
    } else {
        metric_name
    };
    COLUMNS.into_iter().find(|c| *c == name)
}

/// One row of `metrics.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochRow {
    /// 1-based epoch.
    pub epoch: usize,
    /// `train` or `valid`.
    pub split: String,
    /// Column name to epoch mean; absent values are left out.
    pub values: BTreeMap<String, f64>,
}

impl EpochRow {
    /// The value of a column, if present.
    pub fn get(&self, column: &str) -> Option<f64> {
        self.values.get(column).copied()
    }

    fn to_line(&self) -> String {
        let mut line = format!("{},{}", self.epoch, self.split);
        for c in COLUMNS {
            line.push(',');
            if let Some(v) = self.values.get(c) {
                line.push_str(&format!("{v}"));
            }
        }
        line
    }
}

/// Reads `metrics.csv`: its header must begin `epoch,split`; rows not of the header's width
/// or without a numeric epoch are skipped.
pub fn read_metrics(path: &Path) -> Result<Vec<EpochRow>> {
    let text = std::fs::read_to_string(path).map_err(|source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    if header.get(..2) != Some(&["epoch", "split"]) {
        return Err(TrainError::BadMetrics {
            path: path.to_path_buf(),
        });
    }
    let mut rows = Vec::new();
    for line in lines {
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() != header.len() {
            continue;
        }
        let Ok(epoch) = fields[0].parse() else {
            continue;
        };
        let values = header
            .iter()
            .zip(&fields)
            .skip(2)
            .filter_map(|(h, v)| v.parse().ok().map(|v| (h.to_string(), v)))
            .collect();
        rows.push(EpochRow {
            epoch,
            split: fields[1].to_string(),
            values,
        });
    }
    Ok(rows)
}

/// A burn-train [`MetricLogger`] that writes each finished epoch's means to `metrics.csv`.
///
/// The whole file is rewritten atomically after every split, so a crash leaves the previous
/// complete file. It also answers burn-train's queries for epoch means (the best-checkpoint
/// strategy asks for the validation loss of each epoch).
pub(crate) struct CsvMetricLogger {
    path: PathBuf,
    rows: Vec<EpochRow>,
    names: HashMap<MetricId, String>,
    pending: HashMap<(usize, String), BTreeMap<String, f64>>,
    /// When the current split began (the previous split's end, or the logger's creation).
    split_start: Instant,
}

impl CsvMetricLogger {
    /// Opens `path`, keeping only rows of epochs before `first_epoch` (a resumed run rewrites
    /// the epochs it repeats).
    pub(crate) fn open(path: &Path, first_epoch: usize) -> Result<Self> {
        let rows: Vec<EpochRow> = if path.exists() {
            read_metrics(path)?
                .into_iter()
                .filter(|r| r.epoch < first_epoch)
                .collect()
        } else {
            Vec::new()
        };
        let logger = Self {
            path: path.to_path_buf(),
            rows,
            names: HashMap::new(),
            pending: HashMap::new(),
            split_start: Instant::now(),
        };
        logger.write()?;
        Ok(logger)
    }

    fn write(&self) -> Result<()> {
        let mut text = format!("epoch,split,{}\n", COLUMNS.join(","));
        for row in &self.rows {
            text.push_str(&row.to_line());
            text.push('\n');
        }
        crate::write_atomic(&self.path, text.as_bytes())
    }
}

impl MetricLogger for CsvMetricLogger {
    fn log(&mut self, update: MetricsUpdate, epoch: usize, split: &Split) {
        for numeric in &update.entries_numeric {
            let entry = &numeric.entry;
            let Some(column) = self.names.get(&entry.metric_id).and_then(|n| column_of(n)) else {
                continue;
            };
            // Only the epoch-end entry carries the exact epoch mean.
            if let Ok(NumericEntry::Final(v)) =
                NumericEntry::deserialize(&entry.serialized_entry.serialized)
            {
                self.pending
                    .entry((epoch, split.to_string()))
                    .or_default()
                    .insert(column.into(), v);
            }
        }
    }

    fn read_numeric(
        &mut self,
        name: &str,
        epoch: usize,
        split: &Split,
    ) -> std::result::Result<Vec<NumericEntry>, String> {
        let column =
            column_of(name).ok_or_else(|| format!("metrics.csv has no column for {name}"))?;
        let split = split.to_string();
        Ok(self
            .rows
            .iter()
            .filter(|r| r.epoch == epoch && r.split == split)
            .filter_map(|r| r.get(column))
            .map(NumericEntry::Final)
            .collect())
    }

    fn log_metric_definition(&mut self, definition: MetricDefinition) {
        self.names
            .insert(definition.metric_id.clone(), definition.name.to_string());
    }

    fn log_epoch_summary(&mut self, summary: EpochSummary) {
        let split = summary.split.to_string();
        let mut values = self
            .pending
            .remove(&(summary.epoch_number, split.clone()))
            .unwrap_or_default();
        values.insert("seconds".into(), self.split_start.elapsed().as_secs_f64());
        self.split_start = Instant::now();
        self.rows.push(EpochRow {
            epoch: summary.epoch_number,
            split,
            values,
        });
        if let Err(e) = self.write() {
            eprintln!("warning: {e}");
        }
    }
}
