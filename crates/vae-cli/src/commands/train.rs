use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Result;
use vae_data::{Binarize, default_data_dir};
use vae_model::{Activation, Likelihood, VaeConfig};
use vae_train::{DataConfig, FORMAT_VERSION, OptimizerConfig, TrainOptions, TrainingConfig, train};

use crate::args::{ActivationName, BinarizeName, LikelihoodName, TrainArgs};
use crate::device::device;

pub fn run(args: TrainArgs) -> Result<()> {
    let device = device(&args.compute)?;
    let config = if args.resume {
        resume_config(&args)?
    } else {
        Some(new_config(&args)?)
    };
    let options = TrainOptions {
        out: args.out.clone(),
        device,
        resume: args.resume,
        stop: Some(stop_on_ctrl_c(&args.out)?),
    };
    let summary = train(config, &options)?;
    if let Some(epoch) = summary.stopped_after {
        return Err(crate::Interrupted(format!(
            "interrupted: stopped after epoch {epoch} of {}, whose checkpoint is saved; continue with `vae train --resume --out {}`",
            summary.config.epochs,
            summary.run.root().display()
        ))
        .into());
    }

    let last_valid = summary.metrics.iter().rev().find(|r| r.split == "valid");
    eprintln!("model written to {}", summary.run.root().display());
    if let Some(row) = last_valid {
        eprintln!(
            "epoch {} validation: -ELBO {:.2} nats  (reconstruction {:.2}, KL {:.2}), {:.4} bits/dim",
            row.epoch,
            row.get("neg_elbo").unwrap_or(f64::NAN),
            row.get("recon").unwrap_or(f64::NAN),
            row.get("kl").unwrap_or(f64::NAN),
            row.get("bits_per_dim").unwrap_or(f64::NAN),
        );
    }
    eprintln!("next: vae eval --model {}", summary.run.root().display());
    Ok(())
}

/// The first Ctrl-C (or SIGTERM) asks training to stop after the current epoch's checkpoint;
/// a second one exits at once (every file is written atomically, so nothing is torn).
fn stop_on_ctrl_c(out: &Path) -> Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // Registered first, so it sees the flag as the earlier signal left it.
        signal_hook::flag::register_conditional_shutdown(signal, 130, stop.clone())?;
        signal_hook::flag::register(signal, stop.clone())?;
    }
    let (flag, out) = (stop.clone(), out.display().to_string());
    std::thread::spawn(move || {
        while !flag.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!(
            "\nstopping after this epoch's checkpoint (in {out}); press Ctrl-C again to quit now"
        );
    });
    Ok(stop)
}

/// On --resume only --epochs may be given; everything else comes from the run.
fn resume_config(args: &TrainArgs) -> Result<Option<TrainingConfig>> {
    let fixed = [
        ("--data", args.data.is_some()),
        ("--label-column", args.label_column.is_some()),
        ("--test-size", args.test_size.is_some()),
        ("--batch-size", args.batch_size.is_some()),
        ("--lr", args.lr.is_some()),
        ("--hidden", args.hidden.is_some()),
        ("--latent", args.latent.is_some()),
        ("--activation", args.activation.is_some()),
        ("--likelihood", args.likelihood.is_some()),
        ("--sigma", args.sigma.is_some()),
        ("--components", args.components.is_some()),
        ("--beta", args.beta.is_some()),
        ("--binarize", args.binarize.is_some()),
        ("--valid-size", args.valid_size.is_some()),
        ("--seed", args.seed.is_some()),
    ];
    if let Some((flag, _)) = fixed.iter().find(|(_, given)| *given) {
        anyhow::bail!(
            "{flag} cannot be combined with --resume: the run's config.json fixes it (only --epochs may change)"
        );
    }
    let Some(epochs) = args.epochs else {
        return Ok(None);
    };
    let path = vae_train::RunDir::new(&args.out).config();
    let mut config = TrainingConfig::load(&path)?;
    config.epochs = epochs;
    Ok(Some(config))
}

fn new_config(args: &TrainArgs) -> Result<TrainingConfig> {
    let path = args.data.clone().unwrap_or_else(default_data_dir);
    let path = path.canonicalize().unwrap_or(path);
    let binarize = match args.binarize.unwrap_or(BinarizeName::None) {
        BinarizeName::None => Binarize::None,
        BinarizeName::Fixed => Binarize::Fixed,
        BinarizeName::Dynamic => Binarize::Dynamic,
    };
    let seed = args.seed.unwrap_or(1);
    // Data errors name the file, so they need no extra context.
    let (data, input_dim) = DataConfig::describe(
        &path,
        args.label_column.clone(),
        binarize,
        args.valid_size,
        args.test_size,
        seed,
    )?;
    let default_likelihood = if data.standardization.is_some() {
        LikelihoodName::Gaussian
    } else {
        LikelihoodName::Bernoulli
    };
    let likelihood = match args.likelihood.unwrap_or(default_likelihood) {
        LikelihoodName::Bernoulli => Likelihood::Bernoulli,
        LikelihoodName::Gaussian => Likelihood::Gaussian {
            sigma: args.sigma.unwrap_or(1.0),
        },
        LikelihoodName::GaussianLearned => Likelihood::GaussianLearned,
        LikelihoodName::DiscretizedLogistic => Likelihood::DiscretizedLogistic,
        LikelihoodName::LogisticMixture => Likelihood::LogisticMixture {
            components: args.components.unwrap_or(3),
        },
    };
    if args.components.is_some() && !matches!(likelihood, Likelihood::LogisticMixture { .. }) {
        anyhow::bail!("--components only applies to --likelihood logistic-mixture");
    }
    if args.sigma.is_some() && !matches!(likelihood, Likelihood::Gaussian { .. }) {
        anyhow::bail!("--sigma only applies to --likelihood gaussian");
    }
    let activation = match args.activation.unwrap_or(ActivationName::Relu) {
        ActivationName::Relu => Activation::Relu,
        ActivationName::Tanh => Activation::Tanh,
        ActivationName::Gelu => Activation::Gelu,
        ActivationName::Silu => Activation::Silu,
        ActivationName::Softplus => Activation::Softplus,
    };
    let model = VaeConfig::new()
        .with_input_dim(input_dim)
        .with_hidden(args.hidden.clone().unwrap_or_else(|| vec![400]))
        .with_latent_dim(args.latent.unwrap_or(20))
        .with_activation(activation)
        .with_likelihood(likelihood)
        .with_beta(args.beta.unwrap_or(1.0));
    Ok(TrainingConfig {
        format_version: FORMAT_VERSION,
        model,
        data,
        optimizer: OptimizerConfig {
            lr: args.lr.unwrap_or(1e-3),
            ..OptimizerConfig::default()
        },
        epochs: args.epochs.unwrap_or(10),
        batch_size: args.batch_size.unwrap_or(128),
        seed,
    })
}
