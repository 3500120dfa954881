//! Command-line interface definitions (clap). Commands turn these into library configs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Variational autoencoders on burn: train, evaluate and inspect models.
///
/// Every command that computes takes --backend and --device. A model directory written by
/// `vae train` is self-describing: later commands need only --model.
#[derive(Debug, Parser)]
#[command(name = "vae", version, about, long_about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a VAE and write a run directory (config, checkpoints, metrics, final model).
    ///
    /// Defaults reproduce the PyTorch VAE example on the bundled MNIST: 784-400-20, ReLU,
    /// Bernoulli likelihood on intensities in [0, 1], Adam 1e-3, batch 128. Progress goes to
    /// stderr; per-epoch means go to OUT/metrics.csv.
    Train(TrainArgs),
    /// Evaluate a trained model on the test set of its dataset.
    ///
    /// Reports −ELBO, its reconstruction and KL terms (nats per example) and bits/dim; with
    /// --iw K also the importance-weighted estimate of −ln p(x), which is never above the
    /// −ELBO on the same examples up to sampling noise.
    Eval(EvalArgs),
    /// Describe a model directory: architecture, data, training progress and final metrics.
    Info(InfoArgs),
    /// Draw codes from the prior and write their decoded images as a PNG grid.
    Sample(SampleArgs),
    /// Write test images (odd rows) above their reconstructions (even rows) as a PNG grid.
    Reconstruct(ReconstructArgs),
    /// Decode evenly spaced points between the codes of two test images, as one PNG row.
    ///
    /// The row starts with test image I and ends with test image J; between them, the decoded
    /// posterior means of I and J and the points on the segment joining them.
    Interpolate(InterpolateArgs),
    /// Sweep each latent dimension over [−R, R] around one test image's code, one PNG row per
    /// dimension.
    Traverse(TraverseArgs),
    /// Scatter the test set's posterior means, coloured by label: the first two latent
    /// dimensions when there are two, else the first two principal components.
    ///
    /// For a 2-D latent space it also writes the decoded manifold (a grid of decoded codes at
    /// the prior's quantiles) next to OUTPUT as STEM-manifold.png, when the data are images.
    LatentMap(LatentMapArgs),
    /// Plot a run's training and validation curves (−ELBO, reconstruction, KL per epoch)
    /// from its metrics.csv.
    Plot(PlotArgs),
    /// Write the posterior means of a dataset's examples (its codes) as a NumPy .npy file.
    ///
    /// With --precision f16 or u8 the codes take 2 or 1 bytes per dimension: lossy compression
    /// whose rate and distortion `vae rd` measures. u8 stores the index of the bin holding each
    /// value among 256 bins of equal N(0, 1) prior mass.
    Encode(EncodeArgs),
    /// Decode a codes file written by `vae encode` back into data.
    ///
    /// The output type follows -o: .npy (u8 for byte data, shaped like the images; f32 in the
    /// original units for real-valued data), .png (a grid of images), or an IDX images file
    /// (any other name, greyscale images only).
    Decode(DecodeArgs),
    /// Rate and distortion of the latent codes at each precision on the test set: bytes per
    /// example, compression ratio against the raw data, and MSE (and PSNR for images).
    Rd(RdArgs),
    /// Compress an IDX or NPY file of bytes losslessly with a trained model (bits-back ANS).
    ///
    /// The model must have a discrete likelihood: bernoulli codes binary data (bytes 0/1 or
    /// 0/255), discretized-logistic and logistic-mixture code 8-bit data. The rate approaches the model's −ELBO;
    /// decompressing needs the same model and a backend that reproduces its probabilities
    /// bit for bit (checked).
    Compress(CompressArgs),
    /// Restore a file written by `vae compress`, byte for byte, with the model that wrote it.
    Decompress(DecompressArgs),
}

#[derive(Debug, Args)]
pub struct CompressArgs {
    /// Model (run) directory written by `vae train`.
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// An unsigned-byte IDX file (raw or .gz) or a u8 .npy file, examples along the first axis.
    #[arg(value_name = "INPUT")]
    pub input: PathBuf,
    /// The compressed file to write.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Print a JSON summary on stdout: examples, dims, bytes, bits_per_dim,
    /// neg_elbo_bits_per_dim, seconds.
    #[arg(long)]
    pub json: bool,
    /// Independent ANS stacks, coded side by side (the network's batch size). Each costs a
    /// few hundred bits of initial state. [default: one per 512 examples, 1 to 16]
    #[arg(long)]
    pub lanes: Option<usize>,
    /// Each latent coordinate is coded as one of 2^BITS bins of equal prior mass (1 to 16).
    #[arg(long, default_value_t = 12, value_name = "BITS")]
    pub latent_bits: u8,
    #[command(flatten)]
    pub compute: ComputeArgs,
}

#[derive(Debug, Args)]
pub struct DecompressArgs {
    /// Model (run) directory that compressed the file.
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// A file written by `vae compress`.
    #[arg(value_name = "FILE")]
    pub input: PathBuf,
    /// Where to restore the original file.
    #[arg(short, long, value_name = "OUTPUT")]
    pub output: PathBuf,
    /// Print a JSON summary on stdout: examples, dims, bytes, seconds.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub compute: ComputeArgs,
}

#[derive(Debug, Args)]
pub struct LatentMapArgs {
    /// Model (run) directory written by `vae train`.
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// The PNG to write.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Dataset whose examples are mapped. [default: the model's test set]
    #[arg(long, value_name = "PATH")]
    pub data: Option<PathBuf>,
    /// Map only the first N examples.
    #[arg(short, value_name = "N")]
    pub n: Option<usize>,
    /// Plot size in pixels.
    #[arg(long, value_name = "WxH", default_value = "800x800", value_parser = parse_size)]
    pub size: (u32, u32),
    /// Codes per side of the manifold grid (2-D latent spaces only).
    #[arg(long, default_value_t = 20)]
    pub steps: usize,
    #[command(flatten)]
    pub compute: ComputeArgs,
}

fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let (w, h) = text
        .split_once('x')
        .ok_or_else(|| format!("`{text}` is not WIDTHxHEIGHT, e.g. 800x800"))?;
    let number = |v: &str| v.trim().parse::<u32>().map_err(|e| format!("`{v}`: {e}"));
    Ok((number(w)?, number(h)?))
}

#[derive(Debug, Args)]
pub struct PlotArgs {
    /// Run directory written by `vae train` (its metrics.csv is read).
    #[arg(long, value_name = "DIR")]
    pub run: PathBuf,
    /// The PNG to write.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PrecisionName {
    /// 4 bytes per dimension.
    F32,
    /// 2 bytes per dimension (IEEE half precision).
    F16,
    /// 1 byte per dimension (equal-prior-mass bins).
    U8,
}

#[derive(Debug, Args)]
pub struct EncodeArgs {
    /// Model (run) directory written by `vae train`.
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// Dataset to encode (an IDX directory's t10k files, or every example of another format,
    /// e.g. an IDX images file, .csv, .npy or PNG folder). [default: the model's test set]
    #[arg(long, value_name = "PATH")]
    pub data: Option<PathBuf>,
    /// The .npy file to write: `[n, latent]`, or `[n, 2, latent]` with --log-var.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Storage of each coordinate.
    #[arg(long, value_enum, default_value_t = PrecisionName::F32)]
    pub precision: PrecisionName,
    /// Also store the posterior log-variances (as axis 1 index 1).
    #[arg(long)]
    pub log_var: bool,
    /// Examples per batch.
    #[arg(long, default_value_t = 1000)]
    pub batch_size: usize,
    #[command(flatten)]
    pub compute: ComputeArgs,
}

#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// Model (run) directory written by `vae train`.
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// Codes written by `vae encode` (any precision).
    #[arg(value_name = "CODES")]
    pub codes: PathBuf,
    /// Output: FILE.npy, FILE.png or an IDX file name.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Images per grid row for .png output [default: the square root of the count, rounded up].
    #[arg(long)]
    pub columns: Option<usize>,
    /// Examples per batch.
    #[arg(long, default_value_t = 1000)]
    pub batch_size: usize,
    #[command(flatten)]
    pub compute: ComputeArgs,
}

#[derive(Debug, Args)]
pub struct RdArgs {
    /// Model (run) directory written by `vae train`.
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// Dataset to measure on. [default: the model's test set]
    #[arg(long, value_name = "PATH")]
    pub data: Option<PathBuf>,
    /// Examples per batch.
    #[arg(long, default_value_t = 1000)]
    pub batch_size: usize,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub compute: ComputeArgs,
}

/// The model and data a picture command reads, and where it writes.
#[derive(Debug, Args)]
pub struct PictureArgs {
    /// Model (run) directory written by `vae train`.
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// The PNG to write.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    #[command(flatten)]
    pub compute: ComputeArgs,
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    #[command(flatten)]
    pub common: PictureArgs,
    /// Number of samples.
    #[arg(short, default_value_t = 64)]
    pub n: usize,
    /// Images per grid row [default: the square root of N, rounded up].
    #[arg(long)]
    pub columns: Option<usize>,
    /// Draw each image from p(x|z) instead of showing its mean.
    #[arg(long)]
    pub stochastic: bool,
    /// Seed for the codes (and the draws).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct ReconstructArgs {
    #[command(flatten)]
    pub common: PictureArgs,
    /// Dataset to draw test examples from (an IDX directory's t10k files, or every example of
    /// another format). [default: the model's test set]
    #[arg(long, value_name = "PATH")]
    pub data: Option<PathBuf>,
    /// Number of test images (the first ones).
    #[arg(short, default_value_t = 32)]
    pub n: usize,
    /// Images per grid row.
    #[arg(long, default_value_t = 8)]
    pub columns: usize,
}

#[derive(Debug, Args)]
pub struct InterpolateArgs {
    #[command(flatten)]
    pub common: PictureArgs,
    /// Dataset to draw test examples from (an IDX directory's t10k files, or every example of
    /// another format). [default: the model's test set]
    #[arg(long, value_name = "PATH")]
    pub data: Option<PathBuf>,
    /// Index of the first test image.
    #[arg(long, value_name = "I")]
    pub from: usize,
    /// Index of the second test image.
    #[arg(long, value_name = "J")]
    pub to: usize,
    /// Decoded points, endpoints included.
    #[arg(long, default_value_t = 10)]
    pub steps: usize,
}

#[derive(Debug, Args)]
pub struct TraverseArgs {
    #[command(flatten)]
    pub common: PictureArgs,
    /// Dataset to draw test examples from (an IDX directory's t10k files, or every example of
    /// another format). [default: the model's test set]
    #[arg(long, value_name = "PATH")]
    pub data: Option<PathBuf>,
    /// Index of the test image whose code is swept.
    #[arg(long, value_name = "I", default_value_t = 0)]
    pub index: usize,
    /// Values per dimension.
    #[arg(long, default_value_t = 9)]
    pub steps: usize,
    /// Each dimension goes from −R to R.
    #[arg(long, value_name = "R", default_value_t = 3.0)]
    pub range: f64,
}

/// Where a command computes.
#[derive(Debug, Args, Clone)]
pub struct ComputeArgs {
    /// Tensor backend. flex (default) and ndarray are pure-Rust CPU backends; tch is libtorch
    /// (CPU or CUDA) and needs a build with `--features tch`.
    #[arg(long, value_enum, default_value_t = BackendName::Flex)]
    pub backend: BackendName,
    /// Device: cpu, or cuda / cuda:N (GPU N) with --backend tch.
    #[arg(long, default_value = "cpu")]
    pub device: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendName {
    /// burn's pure-Rust CPU backend (recommended).
    Flex,
    /// burn's older pure-Rust CPU backend (deprecated by burn 0.22, about 2× slower here).
    Ndarray,
    /// libtorch through burn-tch, on CPU or CUDA.
    Tch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LikelihoodName {
    /// Bernoulli on [0, 1] values (binary cross-entropy).
    Bernoulli,
    /// Gaussian with fixed standard deviation --sigma (squared error).
    Gaussian,
    /// Gaussian with a learned per-dimension variance.
    GaussianLearned,
    /// 256 levels per byte: a logistic per dimension integrated over each level's bin. Its
    /// bits/dim are a lossless code length for 8-bit data.
    DiscretizedLogistic,
    /// 256 levels per byte: a mixture of --components discretised logistics per dimension,
    /// which can put its mass at both ends at once ("background or stroke"). A lossless code
    /// length for 8-bit data, like discretized-logistic, and usually a shorter one.
    LogisticMixture,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BinarizeName {
    /// Intensities scaled to [0, 1].
    None,
    /// 1 where the byte is above 127.
    Fixed,
    /// Bernoulli draws with p = byte/255, fresh every training batch.
    Dynamic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ActivationName {
    Relu,
    Tanh,
    Gelu,
    Silu,
    Softplus,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Dataset: an IDX directory (train-/t10k-images-idx3-ubyte[.gz]), a folder of PNGs (or of
    /// class subfolders), a .csv table with a header row, or a 2-D .npy array. Real-valued data
    /// is standardised with statistics stored in the run. [default: the bundled MNIST]
    #[arg(long, value_name = "PATH")]
    pub data: Option<PathBuf>,
    /// CSV column holding class labels (not trained on; used by latent-map). [default: a column
    /// named label, class, target or diagnosis]
    #[arg(long, value_name = "NAME")]
    pub label_column: Option<String>,
    /// Examples held out for testing, for data without its own test files (all but IDX
    /// directories), chosen by a fixed seed. [default: a tenth]
    #[arg(long, value_name = "N")]
    pub test_size: Option<usize>,
    /// Run directory to create (or to continue with --resume).
    #[arg(long, value_name = "DIR", default_value = "runs/mnist")]
    pub out: PathBuf,
    /// Continue the run in --out from its last complete checkpoint. The run's config.json is
    /// used; only --epochs may be given to extend it.
    #[arg(long)]
    pub resume: bool,
    /// Total number of epochs. [default: 10]
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Examples per training batch. [default: 128]
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Adam learning rate. [default: 0.001]
    #[arg(long)]
    pub lr: Option<f64>,
    /// Hidden layer widths, encoder order; the decoder mirrors them. [default: 400]
    #[arg(long, value_delimiter = ',', value_name = "W[,W...]")]
    pub hidden: Option<Vec<usize>>,
    /// Latent dimension. [default: 20]
    #[arg(long)]
    pub latent: Option<usize>,
    /// Hidden-layer activation. [default: relu]
    #[arg(long, value_enum)]
    pub activation: Option<ActivationName>,
    /// Observation model p(x|z). [default: bernoulli for bytes (images), gaussian for real
    /// values]
    #[arg(long, value_enum)]
    pub likelihood: Option<LikelihoodName>,
    /// Standard deviation of --likelihood gaussian. [default: 1.0]
    #[arg(long)]
    pub sigma: Option<f64>,
    /// Mixture components of --likelihood logistic-mixture (1 to 16). [default: 3]
    #[arg(long)]
    pub components: Option<usize>,
    /// Weight of the KL term (1 = the ELBO; β-VAE otherwise). [default: 1.0]
    #[arg(long)]
    pub beta: Option<f64>,
    /// How pixel bytes become inputs. [default: none]
    #[arg(long, value_enum)]
    pub binarize: Option<BinarizeName>,
    /// Training examples held out for validation (a seeded random subset). [default: 1000 for
    /// IDX directories, a tenth of the training examples otherwise]
    #[arg(long)]
    pub valid_size: Option<usize>,
    /// Seed for initialisation, shuffling, the validation split, sampling and binarisation.
    /// [default: 1]
    #[arg(long)]
    pub seed: Option<u64>,
    #[command(flatten)]
    pub compute: ComputeArgs,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Model (run) directory written by `vae train`.
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// Dataset to evaluate (an IDX directory's t10k files, or every example of another
    /// format). [default: the model's test set]
    #[arg(long, value_name = "PATH")]
    pub data: Option<PathBuf>,
    /// Also estimate −ln p(x) with K importance samples per example (e.g. 5000).
    #[arg(long, value_name = "K")]
    pub iw: Option<usize>,
    /// Test examples (the first ones) used for the --iw estimate; it costs K decoder passes
    /// per example.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub iw_examples: usize,
    /// Evaluate only the first N test examples.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Examples per evaluation batch.
    #[arg(long, default_value_t = 1000)]
    pub batch_size: usize,
    /// Seed for the posterior samples.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub compute: ComputeArgs,
}

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Model (run) directory written by `vae train`.
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}
