use anyhow::{Result, bail};
use serde_json::json;
use vae_data::VaeBatcher;
use vae_train::{TrainedModel, evaluate, importance_weighted_nll};

use crate::args::EvalArgs;
use crate::device::device;

pub fn run(args: EvalArgs) -> Result<()> {
    let device = device(&args.compute)?;
    let model = TrainedModel::load(&args.model, &device)?;
    let config = &model.config;
    let mut test = vae_train::test_data(config, args.data.as_deref())?;
    let source = test.describe();
    if let Some(limit) = args.limit {
        test = test.take(limit);
    }
    if args.batch_size == 0 {
        bail!("--batch-size must be at least 1");
    }
    let batcher = VaeBatcher::eval(config.data.binarize, config.seed);
    device.seed(args.seed);
    let report = evaluate(&model.vae, &test, &batcher, &device, args.batch_size)?;
    let iw = match args.iw {
        Some(k) => Some(importance_weighted_nll(
            &model.vae,
            &test,
            &batcher,
            &device,
            k,
            args.iw_examples,
        )?),
        None => None,
    };

    if args.json {
        let value = json!({
            "neg_elbo": report.neg_elbo,
            "recon": report.recon,
            "kl": report.kl,
            "bits_per_dim": report.bits_per_dim,
            "nll_iw": iw.as_ref().map(|r| r.nll),
            "k": iw.as_ref().map(|r| r.k),
            "examples": report.examples,
            "iw_examples": iw.as_ref().map(|r| r.examples),
            "neg_elbo_iw_examples": iw.as_ref().map(|r| r.neg_elbo),
            "data": test.source(),
        });
        println!("{value}");
        return Ok(());
    }
    println!("test set: {} examples from {source}", report.examples);
    println!("  -ELBO           {:>10.3} nats/example", report.neg_elbo);
    println!(
        "  reconstruction  {:>10.3} nats/example (-ln p(x|z))",
        report.recon
    );
    println!("  KL              {:>10.3} nats/example", report.kl);
    println!("  bits/dim        {:>10.4}", report.bits_per_dim);
    if let Some(iw) = iw {
        println!(
            "first {} examples, k = {} importance samples:",
            iw.examples, iw.k
        );
        println!("  NLL (IW)        {:>10.3} nats/example", iw.nll);
        println!(
            "  -ELBO           {:>10.3} nats/example (same examples)",
            iw.neg_elbo
        );
    }
    Ok(())
}
