//! Test-set evaluation: the ELBO terms, and the importance-weighted NLL.

use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::Dataset;
use burn::tensor::{Device, Tensor};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use vae_data::{Examples, VaeBatcher};
use vae_model::Vae;

use crate::{Result, TrainError};

/// Decoder outputs alive at once in the IW estimate (elements; 2²⁴ f32 = 64 MiB).
const IW_MAX_ELEMENTS: usize = 1 << 24;

/// Means over a dataset, in nats per example unless noted.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EvalReport {
    /// Examples evaluated.
    pub examples: usize,
    /// −ELBO (one z sample per example).
    pub neg_elbo: f64,
    /// −ln p(x|z).
    pub recon: f64,
    /// KL(q(z|x) ‖ p(z)).
    pub kl: f64,
    /// −ELBO / (D ln 2).
    pub bits_per_dim: f64,
}

/// The importance-weighted estimate of −ln p(x).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IwReport {
    /// Examples evaluated (the first ones of the dataset).
    pub examples: usize,
    /// Importance samples per example.
    pub k: usize,
    /// Mean of −ln (1/k) Σ p(x, zᵢ)/q(zᵢ|x), nats per example.
    pub nll: f64,
    /// Mean −ELBO on the same examples, for comparison.
    pub neg_elbo: f64,
}

pub(crate) fn batch(
    data: &Examples,
    batcher: &VaeBatcher,
    range: std::ops::Range<usize>,
    device: &Device,
) -> Result<Tensor<2>> {
    let items = range
        .map(|i| data.get(i))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| TrainError::InvalidOption(format!("cannot read example: {e}")))?;
    Ok(batcher.batch(items, device).x)
}

fn sum(t: Tensor<1>) -> Result<f64> {
    t.sum().try_into_scalar::<f64>().map_err(|e| {
        TrainError::Training(format!("cannot read a result back from the device: {e:?}"))
    })
}

fn check_dim(vae: &Vae, data: &Examples) -> Result<()> {
    if data.dim() != vae.input_dim() {
        return Err(TrainError::DimMismatch {
            file: data.describe(),
            data: data.dim(),
            model: vae.input_dim(),
        });
    }
    Ok(())
}

/// The ELBO terms averaged over `data` (one posterior sample per example).
pub fn evaluate(
    vae: &Vae,
    data: &Examples,
    batcher: &VaeBatcher,
    device: &Device,
    batch_size: usize,
) -> Result<EvalReport> {
    check_dim(vae, data)?;
    let n = data.len();
    let (mut neg_elbo, mut recon, mut kl) = (0.0, 0.0, 0.0);
    for start in (0..n).step_by(batch_size.max(1)) {
        let x = batch(data, batcher, start..(start + batch_size).min(n), device)?;
        let elbo = vae.elbo(x);
        neg_elbo += sum(elbo.neg_elbo())?;
        recon -= sum(elbo.log_likelihood)?;
        kl += sum(elbo.kl)?;
    }
    let count = n.max(1) as f64;
    let neg_elbo = neg_elbo / count;
    Ok(EvalReport {
        examples: n,
        neg_elbo,
        recon: recon / count,
        kl: kl / count,
        bits_per_dim: neg_elbo / (vae.input_dim() as f64 * std::f64::consts::LN_2),
    })
}

/// −ln p(x) estimated with `k` importance samples, on the first `examples` of `data`.
/// Shows a progress bar on a terminal.
pub fn importance_weighted_nll(
    vae: &Vae,
    data: &Examples,
    batcher: &VaeBatcher,
    device: &Device,
    k: usize,
    examples: usize,
) -> Result<IwReport> {
    check_dim(vae, data)?;
    if k == 0 {
        return Err(TrainError::InvalidOption("--iw must be at least 1".into()));
    }
    let n = examples.min(data.len());
    // Small batches keep each chunk of samples large.
    let batch_size = 50;
    let bar = ProgressBar::new(n as u64).with_style(
        ProgressStyle::with_template(
            "IW k={msg} [{bar:30}] {pos}/{len} {elapsed_precise} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(k.to_string());
    let (mut nll, mut neg_elbo) = (0.0, 0.0);
    for start in (0..n).step_by(batch_size) {
        let end = (start + batch_size).min(n);
        let x = batch(data, batcher, start..end, device)?;
        neg_elbo += sum(vae.elbo(x.clone()).neg_elbo())?;
        nll -= sum(vae.importance_weighted_log_likelihood(x, k, IW_MAX_ELEMENTS))?;
        bar.set_position(end as u64);
    }
    bar.finish_and_clear();
    let count = n.max(1) as f64;
    Ok(IwReport {
        examples: n,
        k,
        nll: nll / count,
        neg_elbo: neg_elbo / count,
    })
}
