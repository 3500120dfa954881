//! Bits-back coding (Townsend, Bird & Barber, 2019) on constriction's ANS stack.
//!
//! Encoding one example: pop z from the stack with the discretised posterior q(z|x), push x with
//! p(x|z), push z with the prior. Decoding mirrors it: pop z with the prior, pop x with p(x|z),
//! push z with q(z|x), which returns the bits the encoder borrowed.
//!
//! Examples are split into contiguous *lanes*, each with its own stack, so that the network
//! evaluates one batch per step (the t-th example of every lane) in both directions: compress
//! and decompress feed it identical batches, so a deterministic backend gives bit-identical
//! probabilities.

use burn::tensor::{Device, Tensor, TensorData};
use constriction::stream::model::{DefaultLeakyQuantizer, DefaultUniformModel, LeakyQuantizer};
use constriction::stream::stack::DefaultAnsCoder;
use constriction::stream::{Decode, Encode};
use rayon::prelude::*;
use vae_model::{Likelihood, Vae};

use crate::latent::LatentBins;
use crate::pixel::{Bernoulli01, Levels, Logistic256, Mixture256};
use crate::{CodecError, Result};

/// How the stored bytes map onto the model's symbols.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alphabet {
    /// Binary pixels stored as 0 and `one` (1 or 255), coded with a Bernoulli likelihood.
    Binary {
        /// The byte that stands for 1.
        one: u8,
    },
    /// 256 levels per byte, coded with a discretised logistic likelihood (or a mixture).
    Bytes,
}

impl Alphabet {
    /// The alphabet a model codes: Bernoulli models code binary data, 8-bit models bytes.
    /// For binary data `one` is the byte standing for 1.
    pub fn for_model(likelihood: Likelihood, one: u8) -> Result<Self> {
        match likelihood {
            Likelihood::Bernoulli => Ok(Self::Binary { one }),
            Likelihood::DiscretizedLogistic | Likelihood::LogisticMixture { .. } => Ok(Self::Bytes),
            other => Err(CodecError::UnsupportedLikelihood {
                likelihood: other.name(),
            }),
        }
    }

    /// Checks that every byte is a symbol of this alphabet.
    pub fn check(&self, data: &[u8]) -> Result<()> {
        if let Self::Binary { one } = *self
            && let Some(i) = data.iter().position(|&b| b != 0 && b != one)
        {
            return Err(CodecError::BadData(format!(
                "byte {i} is {}: binary data must hold only 0 and {one} (the model's \
                 Bernoulli likelihood codes binary pixels; use a discretized-logistic model \
                 for 8-bit data)",
                data[i]
            )));
        }
        Ok(())
    }

    fn input(&self, byte: u8) -> f32 {
        match *self {
            Self::Binary { one } => f32::from(u8::from(byte == one)),
            Self::Bytes => f32::from(byte) / 255.0,
        }
    }
}

/// Coder settings stored in the file header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Each latent coordinate is coded as one of `2^latent_bits` equal-prior-mass bins.
    pub latent_bits: u8,
    /// Independent stacks (the network's batch size); at most one per example.
    pub lanes: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            latent_bits: 12,
            lanes: 16,
        }
    }
}

impl Settings {
    /// Range checks, also applied to settings read from a file.
    pub fn validate(&self) -> Result<()> {
        if !(1..=16).contains(&self.latent_bits) {
            return Err(CodecError::BadSettings(format!(
                "latent bits must be 1 to 16, got {}",
                self.latent_bits
            )));
        }
        if self.lanes == 0 {
            return Err(CodecError::BadSettings("lanes must be at least 1".into()));
        }
        Ok(())
    }
}

/// One lane's stack after encoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lane {
    /// Leading words of the lane's seed that decoding regenerates instead of reading: the part
    /// of the initial bits that was never popped.
    pub seed_skipped: u32,
    /// The rest of the stack, bottom first.
    pub words: Vec<u32>,
}

/// Data coded into lanes, with what decoding needs besides the model.
#[derive(Clone, Debug, PartialEq)]
pub struct Coded {
    /// Number of examples.
    pub examples: usize,
    /// Bytes per example.
    pub dim: usize,
    /// The coder settings used.
    pub settings: Settings,
    /// Seed words each lane started from.
    pub seed_words: u32,
    /// The stacks.
    pub lanes: Vec<Lane>,
    /// The model's −ELBO over all examples in nats, estimated with the z each example popped
    /// (one sample from the discretised posterior) and the KL in closed form.
    pub neg_elbo_nats: f64,
}

impl Coded {
    /// Payload size in bits: the words stored for all lanes.
    pub fn payload_bits(&self) -> u64 {
        self.lanes.iter().map(|l| l.words.len() as u64 * 32).sum()
    }
}

/// Seed words per lane: enough that popping the first example's latent never runs dry (each
/// pop takes at most the quantizer's 24 bits).
fn seed_words(latent: usize) -> u32 {
    u32::try_from(latent * 24 / 32 + 4).unwrap_or(u32::MAX)
}

/// The seed's `i`-th word for `lane`: SplitMix64 of (lane << 32 | i), low half.
fn seed_word(lane: usize, i: u32) -> u32 {
    let mut z = ((lane as u64) << 32 | u64::from(i)).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)) as u32
}

fn seed(lane: usize, words: u32) -> Vec<u32> {
    (0..words).map(|i| seed_word(lane, i)).collect()
}

fn seeded_coder(lane: usize, words: u32) -> DefaultAnsCoder {
    match DefaultAnsCoder::from_binary(seed(lane, words)) {
        Ok(coder) => coder,
        Err(never) => match never {},
    }
}

/// Examples per lane: contiguous runs, the first `n % lanes` one longer.
fn lane_sizes(n: usize, lanes: usize) -> Vec<usize> {
    (0..lanes)
        .map(|l| n / lanes + usize::from(l < n % lanes))
        .collect()
}

/// Each lane's size and its first example's index.
fn lane_layout(n: usize, lanes: usize) -> (Vec<usize>, Vec<usize>) {
    let sizes = lane_sizes(n, lanes);
    let starts = sizes
        .iter()
        .scan(0, |s, &n| Some(std::mem::replace(s, *s + n)))
        .collect();
    (sizes, starts)
}

/// The posterior's quantizer. Every bin keeps a probability of at least 2^-28 so that any z can be
/// coded; at the default 24 bits that floor would send one latent coordinate in ~4 000 (at 12
/// latent bits) to a uniformly random bin, and the decoder's likelihood with it.
type PosteriorQuantizer = LeakyQuantizer<f64, i32, u32, 28>;

fn coder_error(e: impl std::fmt::Debug) -> CodecError {
    CodecError::Model(format!("entropy coder: {e:?}"))
}

/// The trained networks, evaluated one batch at a time.
struct Net<'a> {
    vae: &'a Vae,
    device: &'a Device,
    dim: usize,
    latent: usize,
}

fn to_vec(t: Tensor<2>) -> Result<Vec<f32>> {
    t.into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .map_err(|e| CodecError::Model(format!("{e:?}")))
}

impl Net<'_> {
    /// (means, log-variances) of q(z|x), each `[batch, latent]` row-major.
    fn posterior(&self, x: Vec<f32>, batch: usize) -> Result<(Vec<f32>, Vec<f32>)> {
        let x = Tensor::<2>::from_data(TensorData::new(x, [batch, self.dim]), self.device);
        let q = self.vae.encode(x);
        Ok((to_vec(q.mean)?, to_vec(q.log_var)?))
    }

    /// Decoder outputs, `[batch, params_per_dim × dim]` row-major.
    fn likelihood_params(&self, z: Vec<f32>, batch: usize) -> Result<Vec<f32>> {
        let z = Tensor::<2>::from_data(TensorData::new(z, [batch, self.latent]), self.device);
        to_vec(self.vae.decode(z))
    }
}

/// Per-dimension models of one example from its decoder outputs.
enum Pixels<'a> {
    Binary(&'a [f32]),
    Levels {
        mean: &'a [f32],
        log_scale: &'a [f32],
    },
    /// Logits, locations and log-scales, `[K, dim]` each.
    Mixture {
        logits: &'a [f32],
        mean: &'a [f32],
        log_scale: &'a [f32],
        k: usize,
        dim: usize,
    },
}

impl<'a> Pixels<'a> {
    fn of(likelihood: Likelihood, params: &'a [f32], dim: usize, row: usize) -> Self {
        match likelihood {
            Likelihood::DiscretizedLogistic => {
                let row = &params[row * 2 * dim..(row + 1) * 2 * dim];
                Self::Levels {
                    mean: &row[..dim],
                    log_scale: &row[dim..],
                }
            }
            Likelihood::LogisticMixture { components: k } => {
                let row = &params[row * 3 * k * dim..(row + 1) * 3 * k * dim];
                Self::Mixture {
                    logits: &row[..k * dim],
                    mean: &row[k * dim..2 * k * dim],
                    log_scale: &row[2 * k * dim..],
                    k,
                    dim,
                }
            }
            _ => Self::Binary(&params[row * dim..(row + 1) * dim]),
        }
    }
}

/// Dimension `i`'s mixture from `[K, dim]` blocks.
fn mixture(
    logits: &[f32],
    mean: &[f32],
    log_scale: &[f32],
    k: usize,
    dim: usize,
    i: usize,
) -> Mixture256 {
    Mixture256::new(
        (0..k).map(|c| logits[c * dim + i]),
        (0..k).map(|c| Logistic256::new(mean[c * dim + i], log_scale[c * dim + i])),
    )
}

fn kl_nats(mean: &[f32], log_var: &[f32]) -> f64 {
    mean.iter()
        .zip(log_var)
        .map(|(&m, &lv)| {
            let (m, lv) = (f64::from(m), f64::from(lv));
            0.5 * (m * m + lv.exp() - 1.0 - lv)
        })
        .sum()
}

/// Pushes 8-bit levels with `model(i)` for dimension i, last first; returns ln p(x|z).
fn push_levels<M: Levels>(
    coder: &mut DefaultAnsCoder,
    example: &[u8],
    model: impl Fn(usize) -> M,
) -> Result<f64> {
    let q = DefaultLeakyQuantizer::new(0..=255);
    let mut log_p = 0.0;
    for (i, &b) in example.iter().enumerate().rev() {
        let m = model(i);
        log_p += m.log_prob(b);
        coder
            .encode_symbol(i32::from(b), q.quantize(m))
            .map_err(coder_error)?;
    }
    Ok(log_p)
}

/// Pops 8-bit levels with `model(i)` for dimension i, first first, into `out`.
fn pop_levels<M: Levels>(
    coder: &mut DefaultAnsCoder,
    out: &mut [u8],
    model: impl Fn(usize) -> M,
) -> Result<()> {
    let q = DefaultLeakyQuantizer::new(0..=255);
    for (i, b) in out.iter_mut().enumerate() {
        let level = coder
            .decode_symbol(q.quantize(model(i)))
            .map_err(coder_error)?;
        *b = u8::try_from(level).map_err(coder_error)?;
    }
    Ok(())
}

/// Pushes one example's symbols with p(x|z), last dimension first; returns ln p(x|z).
fn push_example(
    coder: &mut DefaultAnsCoder,
    pixels: &Pixels<'_>,
    example: &[u8],
    alphabet: Alphabet,
) -> Result<f64> {
    let mut log_p = 0.0;
    match (pixels, alphabet) {
        (Pixels::Binary(logits), Alphabet::Binary { one }) => {
            let q = DefaultLeakyQuantizer::new(0..=1);
            for (&b, &l) in example.iter().zip(logits.iter()).rev() {
                let m = Bernoulli01::new(l);
                log_p += m.log_prob(b == one);
                coder
                    .encode_symbol(i32::from(b == one), q.quantize(m))
                    .map_err(coder_error)?;
            }
        }
        (Pixels::Levels { mean, log_scale }, Alphabet::Bytes) => {
            log_p = push_levels(coder, example, |i| Logistic256::new(mean[i], log_scale[i]))?;
        }
        (
            &Pixels::Mixture {
                logits,
                mean,
                log_scale,
                k,
                dim,
            },
            Alphabet::Bytes,
        ) => {
            log_p = push_levels(coder, example, |i| {
                mixture(logits, mean, log_scale, k, dim, i)
            })?;
        }
        _ => return Err(CodecError::Model("alphabet and likelihood disagree".into())),
    }
    Ok(log_p)
}

/// Pops one example's symbols with p(x|z), first dimension first, into `out`.
fn pop_example(
    coder: &mut DefaultAnsCoder,
    pixels: &Pixels<'_>,
    out: &mut [u8],
    alphabet: Alphabet,
) -> Result<()> {
    match (pixels, alphabet) {
        (Pixels::Binary(logits), Alphabet::Binary { one }) => {
            let q = DefaultLeakyQuantizer::new(0..=1);
            for (b, &l) in out.iter_mut().zip(logits.iter()) {
                let bit = coder
                    .decode_symbol(q.quantize(Bernoulli01::new(l)))
                    .map_err(coder_error)?;
                *b = if bit == 1 { one } else { 0 };
            }
        }
        (Pixels::Levels { mean, log_scale }, Alphabet::Bytes) => {
            pop_levels(coder, out, |i| Logistic256::new(mean[i], log_scale[i]))?;
        }
        (
            &Pixels::Mixture {
                logits,
                mean,
                log_scale,
                k,
                dim,
            },
            Alphabet::Bytes,
        ) => {
            pop_levels(coder, out, |i| mixture(logits, mean, log_scale, k, dim, i))?;
        }
        _ => return Err(CodecError::Model("alphabet and likelihood disagree".into())),
    }
    Ok(())
}

fn check_model(vae: &Vae, alphabet: Alphabet) -> Result<Likelihood> {
    let likelihood = vae.likelihood();
    let codes = Alphabet::for_model(likelihood, 1)?;
    if std::mem::discriminant(&codes) != std::mem::discriminant(&alphabet) {
        return Err(CodecError::BadData(format!(
            "the model's `{}` likelihood does not code {alphabet:?} data",
            likelihood.name()
        )));
    }
    Ok(likelihood)
}

/// Codes `data` (`examples × dim` bytes, row-major) with bits-back ANS.
pub fn compress(
    vae: &Vae,
    device: &Device,
    data: &[u8],
    alphabet: Alphabet,
    settings: Settings,
) -> Result<Coded> {
    compress_with_progress(vae, device, data, alphabet, settings, &mut |_| {})
}

/// [`compress`], calling `progress` with the number of examples coded so far after each batch.
pub fn compress_with_progress(
    vae: &Vae,
    device: &Device,
    data: &[u8],
    alphabet: Alphabet,
    settings: Settings,
    progress: &mut dyn FnMut(usize),
) -> Result<Coded> {
    settings.validate()?;
    let likelihood = check_model(vae, alphabet)?;
    let dim = vae.input_dim();
    if data.is_empty() || !data.len().is_multiple_of(dim) {
        return Err(CodecError::BadData(format!(
            "{} bytes are not a whole number of the model's {dim}-byte examples",
            data.len()
        )));
    }
    alphabet.check(data)?;
    let examples = data.len() / dim;
    let latent = vae.latent_dim();
    let net = Net {
        vae,
        device,
        dim,
        latent,
    };
    let bins = LatentBins::new(settings.latent_bits);
    let prior = DefaultUniformModel::new(bins.count());
    let posterior = PosteriorQuantizer::new(0..=(bins.count() as i32 - 1));
    let (sizes, starts) = lane_layout(examples, settings.lanes.min(examples));
    let words = seed_words(latent);
    let mut coders: Vec<DefaultAnsCoder> =
        (0..sizes.len()).map(|l| seeded_coder(l, words)).collect();
    let mut floors: Vec<usize> = coders.iter().map(|c| c.bulk().len()).collect();
    let (mut neg_elbo, mut done) = (0.0, 0);
    for t in (0..sizes[0]).rev() {
        let active = sizes.iter().take_while(|&&s| s > t).count();
        let example = |l: usize| &data[(starts[l] + t) * dim..(starts[l] + t + 1) * dim];
        let x = (0..active)
            .flat_map(|l| example(l).iter().map(|&b| alphabet.input(b)))
            .collect();
        let (mean, log_var) = net.posterior(x, active)?;
        // Lanes are independent stacks: code them in parallel.
        let mut z_bins = vec![0i32; active * latent];
        z_bins
            .par_chunks_mut(latent)
            .zip(coders[..active].par_iter_mut())
            .zip(floors[..active].par_iter_mut())
            .enumerate()
            .try_for_each(|(l, ((z, coder), floor))| -> Result<()> {
                for (d, bin) in z.iter_mut().enumerate() {
                    let i = l * latent + d;
                    let q = bins.posterior(mean[i], log_var[i]);
                    *bin = coder
                        .decode_symbol(posterior.quantize(q))
                        .map_err(coder_error)?;
                }
                *floor = (*floor).min(coder.bulk().len());
                Ok(())
            })?;
        let z = z_bins.iter().map(|&b| bins.centre(b)).collect();
        let params = net.likelihood_params(z, active)?;
        let costs = coders[..active]
            .par_iter_mut()
            .enumerate()
            .map(|(l, coder)| -> Result<f64> {
                let pixels = Pixels::of(likelihood, &params, dim, l);
                let log_p = push_example(coder, &pixels, example(l), alphabet)?;
                for d in (0..latent).rev() {
                    coder
                        .encode_symbol(z_bins[l * latent + d] as usize, prior)
                        .map_err(coder_error)?;
                }
                let row = l * latent..(l + 1) * latent;
                Ok(kl_nats(&mean[row.clone()], &log_var[row]) - log_p)
            })
            .collect::<Result<Vec<f64>>>()?;
        // Summed in lane order, so the estimate does not depend on thread timing.
        neg_elbo += costs.iter().sum::<f64>();
        done += active;
        progress(done);
    }
    let lanes = coders
        .into_iter()
        .zip(floors)
        .map(|(coder, floor)| {
            let mut words = coder.into_compressed().map_err(coder_error)?;
            // The bottom `floor` words were never popped: they are the seed's, as generated.
            let floor = floor.min(words.len());
            words.drain(..floor);
            Ok(Lane {
                seed_skipped: u32::try_from(floor).map_err(coder_error)?,
                words,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Coded {
        examples,
        dim,
        settings,
        seed_words: words,
        lanes,
        neg_elbo_nats: neg_elbo,
    })
}

/// Decodes what [`compress`] coded; fails if a lane does not end on its seed (the probabilities
/// were not reproduced).
pub fn decompress(
    vae: &Vae,
    device: &Device,
    coded: &Coded,
    alphabet: Alphabet,
) -> Result<Vec<u8>> {
    decompress_with_progress(vae, device, coded, alphabet, &mut |_| {})
}

/// [`decompress`], calling `progress` with the number of examples decoded so far after each
/// batch.
pub fn decompress_with_progress(
    vae: &Vae,
    device: &Device,
    coded: &Coded,
    alphabet: Alphabet,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<u8>> {
    coded.settings.validate()?;
    let likelihood = check_model(vae, alphabet)?;
    let dim = vae.input_dim();
    if coded.dim != dim {
        return Err(CodecError::BadData(format!(
            "the file holds {}-byte examples; the model codes {dim}",
            coded.dim
        )));
    }
    let latent = vae.latent_dim();
    let expected_lanes = coded.settings.lanes.min(coded.examples);
    if coded.examples == 0 || coded.lanes.len() != expected_lanes {
        return Err(CodecError::Malformed(format!(
            "{} lanes for {} examples",
            coded.lanes.len(),
            coded.examples
        )));
    }
    if coded.seed_words != seed_words(latent) {
        return Err(CodecError::Malformed(format!(
            "{} seed words per lane; this model's latent needs {}",
            coded.seed_words,
            seed_words(latent)
        )));
    }
    let net = Net {
        vae,
        device,
        dim,
        latent,
    };
    let bins = LatentBins::new(coded.settings.latent_bits);
    let prior = DefaultUniformModel::new(bins.count());
    let posterior = PosteriorQuantizer::new(0..=(bins.count() as i32 - 1));
    let (sizes, starts) = lane_layout(coded.examples, expected_lanes);
    let mut coders = Vec::with_capacity(expected_lanes);
    for (l, lane) in coded.lanes.iter().enumerate() {
        if lane.seed_skipped > coded.seed_words {
            return Err(CodecError::Malformed(format!(
                "lane {l} skips {} of {} seed words",
                lane.seed_skipped, coded.seed_words
            )));
        }
        let mut words = seed(l, lane.seed_skipped);
        words.extend_from_slice(&lane.words);
        let coder = DefaultAnsCoder::from_compressed(words)
            .map_err(|_| CodecError::Malformed(format!("lane {l} ends in a zero word")))?;
        coders.push(coder);
    }
    let mut out = vec![0u8; coded.examples * dim];
    let mut done = 0;
    for t in 0..sizes[0] {
        let active = sizes.iter().take_while(|&&s| s > t).count();
        let mut z_bins = vec![0i32; active * latent];
        z_bins
            .par_chunks_mut(latent)
            .zip(coders[..active].par_iter_mut())
            .try_for_each(|(z, coder)| -> Result<()> {
                for bin in z.iter_mut() {
                    *bin = coder.decode_symbol(prior).map_err(coder_error)? as i32;
                }
                Ok(())
            })?;
        let z = z_bins.iter().map(|&b| bins.centre(b)).collect();
        let params = net.likelihood_params(z, active)?;
        let examples = coders[..active]
            .par_iter_mut()
            .enumerate()
            .map(|(l, coder)| -> Result<Vec<u8>> {
                let mut example = vec![0u8; dim];
                pop_example(
                    coder,
                    &Pixels::of(likelihood, &params, dim, l),
                    &mut example,
                    alphabet,
                )?;
                Ok(example)
            })
            .collect::<Result<Vec<_>>>()?;
        for (l, example) in examples.iter().enumerate() {
            let at = (starts[l] + t) * dim;
            out[at..at + dim].copy_from_slice(example);
        }
        let x = (0..active)
            .flat_map(|l| {
                let at = (starts[l] + t) * dim;
                out[at..at + dim].iter().map(|&b| alphabet.input(b))
            })
            .collect();
        let (mean, log_var) = net.posterior(x, active)?;
        coders[..active]
            .par_iter_mut()
            .enumerate()
            .try_for_each(|(l, coder)| -> Result<()> {
                for d in (0..latent).rev() {
                    let i = l * latent + d;
                    let q = bins.posterior(mean[i], log_var[i]);
                    coder
                        .encode_symbol(z_bins[i], posterior.quantize(q))
                        .map_err(coder_error)?;
                }
                Ok(())
            })?;
        done += active;
        progress(done);
    }
    for (l, coder) in coders.into_iter().enumerate() {
        if coder.into_raw_parts() != seeded_coder(l, coded.seed_words).into_raw_parts() {
            return Err(CodecError::NotReproduced {
                what: format!("lane {l} did not return to its seed"),
                compressed_on: String::new(),
                decoded_on: String::new(),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_cover_every_example_once() {
        assert_eq!(lane_sizes(10, 4), vec![3, 3, 2, 2]);
        assert_eq!(lane_sizes(3, 3), vec![1, 1, 1]);
        assert_eq!(lane_sizes(16, 16).iter().sum::<usize>(), 16);
    }

    #[test]
    fn seeds_differ_between_lanes_and_are_reproducible() {
        assert_eq!(seed(3, 8), seed(3, 8));
        assert_ne!(seed(0, 8), seed(1, 8));
        assert!(seed(0, 64).iter().any(|&w| w > u32::MAX / 2));
    }
}
