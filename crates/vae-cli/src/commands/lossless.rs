//! `vae compress` and `vae decompress`: lossless coding with bits-back ANS.

use std::time::Instant;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use vae_codec::format::{CompressedFile, Container, crc32, short_hex};
use vae_codec::{Alphabet, Settings};
use vae_data::{ByteFile, ByteFormat};
use vae_train::{TrainedModel, write_atomic};

use crate::args::{CompressArgs, DecompressArgs};
use crate::device::{device, label};

pub fn compress(args: CompressArgs) -> Result<()> {
    let device = device(&args.compute)?;
    let model = TrainedModel::load(&args.model, &device)?;
    let input = &args.input;
    let file = ByteFile::read(input)?;
    let dim = model.vae.input_dim();
    if file.examples() == 0 {
        bail!(
            "`{}` holds no examples (shape {:?})",
            input.display(),
            file.shape
        );
    }
    if file.example_len() != dim {
        bail!(
            "`{}` has shape {:?}: examples of {} bytes, but the model codes {dim} bytes per example",
            input.display(),
            file.shape,
            file.example_len()
        );
    }
    // Binary data may spell 1 as 1 or 255; compress refuses any other byte.
    let one = if file.data.contains(&255) { 255 } else { 1 };
    let alphabet = Alphabet::for_model(model.vae.likelihood(), one)?;
    let settings = Settings {
        latent_bits: args.latent_bits,
        // Each lane pays its initial bits once: give each at least 512 examples to spread them.
        lanes: args.lanes.unwrap_or((file.examples() / 512).clamp(1, 16)),
    };
    let start = Instant::now();
    let bar = progress_bar("compress", file.examples());
    let coded = vae_codec::compress_with_progress(
        &model.vae,
        &device,
        &file.data,
        alphabet,
        settings,
        &mut |done| bar.set_position(done as u64),
    )
    .with_context(|| format!("compressing `{}`", input.display()))?;
    bar.finish_and_clear();
    let seconds = start.elapsed().as_secs_f64();
    let neg_elbo_nats = coded.neg_elbo_nats;
    let out = CompressedFile {
        fingerprint: model.fingerprint()?,
        alphabet,
        backend: label(&args.compute),
        container: match file.format {
            ByteFormat::Idx => Container::Idx,
            ByteFormat::Npy => Container::Npy,
        },
        container_header: file.header.clone(),
        original_crc: crc32(&file.to_bytes()),
        coded,
    }
    .to_bytes();
    write_atomic(&args.output, &out)?;
    let values = (file.examples() * dim) as f64;
    let bits_per_dim = out.len() as f64 * 8.0 / values;
    let elbo_bits_per_dim = neg_elbo_nats / std::f64::consts::LN_2 / values;
    eprintln!(
        "wrote {} ({} bytes for {} examples of {dim}: {bits_per_dim:.4} bits/dim; the model's \
         -ELBO is {elbo_bits_per_dim:.4}; {:.0} examples/s)",
        args.output.display(),
        out.len(),
        file.examples(),
        file.examples() as f64 / seconds.max(1e-9)
    );
    if args.json {
        println!(
            "{}",
            json!({
                "examples": file.examples(),
                "dims": dim,
                "bytes": out.len(),
                "bits_per_dim": bits_per_dim,
                "neg_elbo_bits_per_dim": elbo_bits_per_dim,
                "seconds": seconds,
            })
        );
    }
    Ok(())
}

pub fn decompress(args: DecompressArgs) -> Result<()> {
    let input = &args.input;
    let bytes =
        std::fs::read(input).with_context(|| format!("cannot read `{}`", input.display()))?;
    let file =
        CompressedFile::from_bytes(&bytes).with_context(|| format!("`{}`", input.display()))?;
    let device = device(&args.compute)?;
    let model = TrainedModel::load(&args.model, &device)?;
    file.check_model(&model.fingerprint()?)
        .with_context(|| format!("`{}`", input.display()))?;
    let start = Instant::now();
    let bar = progress_bar("decompress", file.coded.examples);
    let data = vae_codec::decompress_with_progress(
        &model.vae,
        &device,
        &file.coded,
        file.alphabet,
        &mut |done| bar.set_position(done as u64),
    );
    bar.finish_and_clear();
    let data = data
        .map_err(|e| with_backends(e, &file, &args))
        .with_context(|| format!("decompressing `{}`", input.display()))?;
    let seconds = start.elapsed().as_secs_f64();
    let original = file.original(&data);
    file.verify(&original, &label(&args.compute))
        .with_context(|| format!("decompressing `{}`", input.display()))?;
    write_atomic(&args.output, &original)?;
    eprintln!(
        "wrote {} ({} bytes: {} examples of {} as {}, model {}; {:.0} examples/s)",
        args.output.display(),
        original.len(),
        file.coded.examples,
        file.coded.dim,
        file.container.name(),
        short_hex(&file.fingerprint),
        file.coded.examples as f64 / seconds.max(1e-9)
    );
    if args.json {
        println!(
            "{}",
            json!({
                "examples": file.coded.examples,
                "dims": file.coded.dim,
                "bytes": original.len(),
                "seconds": seconds,
            })
        );
    }
    Ok(())
}

/// A bar on stderr (hidden when stderr is not a terminal).
fn progress_bar(what: &str, examples: usize) -> ProgressBar {
    let bar = ProgressBar::new(examples as u64).with_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30}] {pos}/{len} examples {elapsed_precise} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(what.to_string());
    bar
}

/// Fills in which backends were involved when decoding could not reproduce the probabilities.
fn with_backends(
    e: vae_codec::CodecError,
    file: &CompressedFile,
    args: &DecompressArgs,
) -> vae_codec::CodecError {
    match e {
        vae_codec::CodecError::NotReproduced { what, .. } => vae_codec::CodecError::NotReproduced {
            what,
            compressed_on: file.backend.clone(),
            decoded_on: label(&args.compute),
        },
        other => other,
    }
}
