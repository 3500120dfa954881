//! `vae encode`, `decode` and `rd`: latent codes as lossy compression.

use anyhow::{Context, Result, bail};
use serde_json::json;
use vae_data::{NpyArray, NpyValues, VaeBatcher};
use vae_model::Precision;
use vae_train::{TrainedModel, codes_array, codes_from_array, rate_distortion, to_data};
use vae_viz::Grid;

use crate::args::{DecodeArgs, EncodeArgs, PrecisionName, RdArgs};
use crate::device::device;

fn precision(name: PrecisionName) -> Precision {
    match name {
        PrecisionName::F32 => Precision::F32,
        PrecisionName::F16 => Precision::F16,
        PrecisionName::U8 => Precision::U8,
    }
}

fn check_batch(batch_size: usize) -> Result<()> {
    if batch_size == 0 {
        bail!("--batch-size must be at least 1");
    }
    Ok(())
}

pub fn encode(args: EncodeArgs) -> Result<()> {
    check_batch(args.batch_size)?;
    let device = device(&args.compute)?;
    let model = TrainedModel::load(&args.model, &device)?;
    let data = vae_train::test_data(&model.config, args.data.as_deref())?;
    let batcher = VaeBatcher::eval(model.config.data.binarize, model.config.seed);
    let codes = vae_train::encode(&model.vae, &data, &batcher, &device, args.batch_size)?;
    let array = codes_array(&codes, precision(args.precision), args.log_var);
    array.write(&args.output)?;
    let size = std::fs::metadata(&args.output).map_or(0, |m| m.len());
    eprintln!(
        "wrote {} ({} codes of {} dimensions from {}, {}, {size} bytes)",
        args.output.display(),
        codes.n,
        codes.latent,
        data.describe(),
        array.type_str()
    );
    Ok(())
}

pub fn decode(args: DecodeArgs) -> Result<()> {
    check_batch(args.batch_size)?;
    let device = device(&args.compute)?;
    let model = TrainedModel::load(&args.model, &device)?;
    let array = NpyArray::read(&args.codes)?;
    let latent = model.vae.latent_dim();
    let codes = codes_from_array(&array, latent)
        .map_err(|why| anyhow::anyhow!("`{}`: {why}", args.codes.display()))?;
    if codes.iter().any(|v| !v.is_finite()) {
        bail!("`{}` holds NaN or infinite codes", args.codes.display());
    }
    let n = codes.len() / latent.max(1);
    if n == 0 {
        bail!("`{}` holds no codes", args.codes.display());
    }
    let outputs = vae_train::decode(&model.vae, &codes, &device, args.batch_size)?;
    let config = &model.config;
    let dim = model.vae.input_dim();
    let shape = config.data.image_shape.filter(|s| s.dim() == dim);
    let out = &args.output;
    let ext = out
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "png" => {
            let Some(s) = shape else {
                bail!(
                    "the model was trained on {} data, not images: write .npy instead of .png",
                    config.data.format
                );
            };
            let columns = args
                .columns
                .unwrap_or_else(|| (n as f64).sqrt().ceil() as usize);
            let mut grid = Grid::with_channels(s.rows, s.cols, s.channels, columns)?;
            grid.push(&outputs)?;
            grid.write_png(out)?;
        }
        "npy" => {
            let dims = match shape {
                Some(s) if s.channels == 1 && config.data.standardization.is_none() => {
                    vec![n, s.rows, s.cols]
                }
                Some(s) if config.data.standardization.is_none() => {
                    vec![n, s.rows, s.cols, s.channels]
                }
                _ => vec![n, dim],
            };
            NpyArray {
                shape: dims,
                values: to_data(config, outputs),
            }
            .write(out)?;
        }
        _ => {
            let (Some(s), NpyValues::U8(bytes)) = (shape, to_data(config, outputs)) else {
                bail!(
                    "`{}`: IDX output holds greyscale byte images; name the output .npy for {} data",
                    out.display(),
                    config.data.format
                );
            };
            if s.channels != 1 {
                bail!(
                    "`{}`: IDX output holds greyscale images; name it .npy or .png for RGB",
                    out.display()
                );
            }
            vae_data::idx::write_u8(out, &[n, s.rows, s.cols], &bytes)
                .with_context(|| format!("cannot write `{}`", out.display()))?;
        }
    }
    eprintln!("wrote {} ({n} decoded examples)", out.display());
    Ok(())
}

pub fn rd(args: RdArgs) -> Result<()> {
    check_batch(args.batch_size)?;
    let device = device(&args.compute)?;
    let model = TrainedModel::load(&args.model, &device)?;
    let data = vae_train::test_data(&model.config, args.data.as_deref())?;
    let points = rate_distortion(&model.config, &model.vae, &data, &device, args.batch_size)?;
    let raw = data.dim() * if data.is_real() { 4 } else { 1 };
    if args.json {
        let value = json!({
            "examples": data.len(),
            "data": data.source(),
            "raw_bytes_per_example": raw,
            "latent_dim": model.vae.latent_dim(),
            "points": points,
        });
        println!("{value}");
        return Ok(());
    }
    println!(
        "{} test examples from {}; raw data {raw} bytes per example; {} latent dimensions",
        data.len(),
        data.describe(),
        model.vae.latent_dim()
    );
    let real = data.is_real();
    let last = if real { "MSE (std units)" } else { "PSNR (dB)" };
    println!(
        "{:<10} {:>15} {:>10} {:>14} {:>16}",
        "precision", "bytes/example", "ratio", "MSE", last
    );
    for p in &points {
        let last = match (p.psnr_db, p.standardized_mse) {
            (Some(psnr), _) => format!("{psnr:.2}"),
            (None, Some(mse)) => format!("{mse:.4}"),
            (None, None) => "-".into(),
        };
        println!(
            "{:<10} {:>15.2} {:>9.1}x {:>14.4} {:>16}",
            p.precision.name(),
            p.bytes_per_example,
            p.compression_ratio,
            p.mse,
            last
        );
    }
    Ok(())
}
