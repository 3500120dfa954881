//! Latent codes as lossy compression: encoding examples to posterior means, decoding codes
//! back to data, and the rate and distortion of each code [`Precision`].

use burn::tensor::{Device, Tensor, TensorData};
use serde::Serialize;
use vae_data::{Examples, NpyArray, NpyValues, VaeBatcher};
use vae_model::{Precision, Vae};

use crate::{Result, TrainError, TrainingConfig};

/// Posterior parameters of a set of examples, row-major `[n, latent]` each.
#[derive(Clone, Debug, PartialEq)]
pub struct Codes {
    /// Examples.
    pub n: usize,
    /// Latent dimensions.
    pub latent: usize,
    /// Posterior means: the codes.
    pub mean: Vec<f32>,
    /// Posterior log-variances.
    pub log_var: Vec<f32>,
}

fn to_vec(t: Tensor<2>) -> Result<Vec<f32>> {
    t.into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .map_err(|e| {
            TrainError::Training(format!("cannot read a result back from the device: {e:?}"))
        })
}

/// Encodes every example of `data` (preprocessed by `batcher`, as in training).
pub fn encode(
    vae: &Vae,
    data: &Examples,
    batcher: &VaeBatcher,
    device: &Device,
    batch_size: usize,
) -> Result<Codes> {
    let n = data.len();
    let mut codes = Codes {
        n,
        latent: vae.latent_dim(),
        mean: Vec::with_capacity(n * vae.latent_dim()),
        log_var: Vec::with_capacity(n * vae.latent_dim()),
    };
    for start in (0..n).step_by(batch_size.max(1)) {
        let x = crate::evaluate::batch(data, batcher, start..(start + batch_size).min(n), device)?;
        let q = vae.encode(x);
        codes.mean.extend(to_vec(q.mean)?);
        codes.log_var.extend(to_vec(q.log_var)?);
    }
    Ok(codes)
}

/// Decodes `[n, latent]` codes to the likelihood's means, in model units.
pub fn decode(vae: &Vae, codes: &[f32], device: &Device, batch_size: usize) -> Result<Vec<f32>> {
    let latent = vae.latent_dim();
    if latent == 0 || !codes.len().is_multiple_of(latent) {
        return Err(TrainError::InvalidOption(format!(
            "{} values are not whole codes of {latent} dimensions",
            codes.len()
        )));
    }
    let n = codes.len() / latent;
    let mut out = Vec::with_capacity(n * vae.input_dim());
    for start in (0..n).step_by(batch_size.max(1)) {
        let end = (start + batch_size).min(n);
        let z = Tensor::<2>::from_data(
            TensorData::new(
                codes[start * latent..end * latent].to_vec(),
                [end - start, latent],
            ),
            device,
        );
        out.extend(to_vec(vae.decode_mean(z))?);
    }
    Ok(out)
}

/// Decoded model outputs as the run's data: bytes (rounded, clamped) for byte data, reals with
/// the standardisation undone for real-valued data.
pub fn to_data(config: &TrainingConfig, mut values: Vec<f32>) -> NpyValues {
    match &config.data.standardization {
        Some(stats) => {
            stats.undo(&mut values);
            NpyValues::F32(values)
        }
        None => NpyValues::U8(
            values
                .iter()
                .map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
                .collect(),
        ),
    }
}

/// Codes stored at `precision` as an NPY array: `[n, latent]` means, or `[n, 2, latent]`
/// means and log-variances.
pub fn codes_array(codes: &Codes, precision: Precision, with_log_var: bool) -> NpyArray {
    let mut values = Vec::with_capacity(codes.mean.len() * (1 + usize::from(with_log_var)));
    let shape = if with_log_var {
        for (m, l) in codes
            .mean
            .chunks(codes.latent.max(1))
            .zip(codes.log_var.chunks(codes.latent.max(1)))
        {
            values.extend_from_slice(m);
            values.extend_from_slice(l);
        }
        vec![codes.n, 2, codes.latent]
    } else {
        values.extend_from_slice(&codes.mean);
        vec![codes.n, codes.latent]
    };
    let values = match precision {
        Precision::F32 => NpyValues::F32(values),
        Precision::F16 => NpyValues::F16(values.iter().map(|&v| half::f16::from_f32(v)).collect()),
        Precision::U8 => NpyValues::U8(
            values
                .iter()
                .map(|&v| vae_model::codes::quantize_u8(v))
                .collect(),
        ),
    };
    NpyArray { shape, values }
}

/// The means in a codes array (any precision; `[n, latent]` or `[n, 2, latent]`), as f32.
pub fn codes_from_array(array: &NpyArray, latent: usize) -> std::result::Result<Vec<f32>, String> {
    let values: Vec<f32> = match &array.values {
        NpyValues::U8(v) => v
            .iter()
            .map(|&k| vae_model::codes::dequantize_u8(k))
            .collect(),
        _ => array.to_f32(),
    };
    match array.shape.as_slice() {
        [_, d] if *d == latent => Ok(values),
        [_, 2, d] if *d == latent => Ok(values
            .chunks(2 * latent)
            .flat_map(|pair| pair[..latent].to_vec())
            .collect()),
        shape => Err(format!(
            "shape {shape:?} is not [n, {latent}] or [n, 2, {latent}] codes for this model's {latent} latent dimensions"
        )),
    }
}

/// Rate and distortion of one code precision.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RdPoint {
    /// The precision.
    pub precision: Precision,
    /// Size of the codes file (NPY, header included) per example.
    pub bytes_per_example: f64,
    /// Raw data bytes per example (1 per byte value, 4 per real value) over `bytes_per_example`.
    pub compression_ratio: f64,
    /// Mean squared error per value of the decoded data, in the data's units.
    pub mse: f64,
    /// Peak signal-to-noise ratio in dB, for byte data (peak 255).
    pub psnr_db: Option<f64>,
    /// For real-valued data: the MSE in standardised units (each column's error over its
    /// training standard deviation), comparable across columns of different scales.
    pub standardized_mse: Option<f64>,
}

/// For each precision: encode `data`, store the means at that precision, decode, and compare
/// with the original values as the decode command would write them.
pub fn rate_distortion(
    config: &TrainingConfig,
    vae: &Vae,
    data: &Examples,
    device: &Device,
    batch_size: usize,
) -> Result<Vec<RdPoint>> {
    let batcher = VaeBatcher::eval(config.data.binarize, config.seed);
    let codes = encode(vae, data, &batcher, device, batch_size)?;
    let n = data.len().max(1);
    let raw_bytes = data.dim() * if data.is_real() { 4 } else { 1 };
    let originals: Vec<f32> = (0..data.len()).flat_map(|i| data.raw(i)).collect();
    Precision::ALL
        .iter()
        .map(|&precision| {
            let array = codes_array(&codes, precision, false);
            let size = array
                .to_bytes()
                .map_err(|e| TrainError::InvalidOption(format!("cannot serialise codes: {e}")))?
                .len();
            let stored =
                codes_from_array(&array, codes.latent).map_err(TrainError::InvalidOption)?;
            let decoded = to_data(config, decode(vae, &stored, device, batch_size)?);
            let decoded = NpyArray {
                shape: vec![],
                values: decoded,
            }
            .to_f32();
            let se: f64 = decoded
                .iter()
                .zip(&originals)
                .map(|(a, b)| (f64::from(*a) - f64::from(*b)).powi(2))
                .sum();
            let mse = se / originals.len().max(1) as f64;
            let standardized_mse = config.data.standardization.as_ref().map(|stats| {
                let dim = stats.std.len().max(1);
                let se: f64 = decoded
                    .iter()
                    .zip(&originals)
                    .enumerate()
                    .map(|(k, (a, b))| {
                        ((f64::from(*a) - f64::from(*b)) / f64::from(stats.std[k % dim])).powi(2)
                    })
                    .sum();
                se / originals.len().max(1) as f64
            });
            let bytes_per_example = size as f64 / n as f64;
            Ok(RdPoint {
                precision,
                bytes_per_example,
                compression_ratio: raw_bytes as f64 / bytes_per_example,
                mse,
                psnr_db: (!data.is_real()).then(|| 10.0 * (255.0f64.powi(2) / mse).log10()),
                standardized_mse,
            })
        })
        .collect()
}
