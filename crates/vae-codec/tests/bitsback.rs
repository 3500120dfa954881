//! Bits-back round trips on freshly initialised models (trained models: `vae-cli/tests`).

use burn::tensor::Device;
use vae_codec::{Alphabet, CodecError, Settings, compress, decompress};
use vae_model::{Likelihood, Vae, VaeConfig};

fn model(likelihood: Likelihood, dim: usize, latent: usize) -> (Vae, Device) {
    let device = Device::flex();
    let vae = VaeConfig::new()
        .with_input_dim(dim)
        .with_hidden(vec![32])
        .with_latent_dim(latent)
        .with_likelihood(likelihood)
        .init(&device);
    (vae, device)
}

/// Deterministic bytes with structure a model can find: a ramp plus noise.
fn data(n: usize, dim: usize, binary: Option<u8>) -> Vec<u8> {
    let mut s = 0x2545_f491_4f6c_dd1du64;
    (0..n * dim)
        .map(|i| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let level = ((i % dim) * 255 / dim) as u64 / 2 + (s % 128);
            match binary {
                Some(one) => {
                    if level > 128 {
                        one
                    } else {
                        0
                    }
                }
                None => level as u8,
            }
        })
        .collect()
}

#[test]
fn round_trips_byte_for_byte_with_ragged_lanes() {
    for (likelihood, alphabet) in [
        (Likelihood::Bernoulli, Alphabet::Binary { one: 1 }),
        (Likelihood::Bernoulli, Alphabet::Binary { one: 255 }),
        (Likelihood::DiscretizedLogistic, Alphabet::Bytes),
        (
            Likelihood::LogisticMixture { components: 3 },
            Alphabet::Bytes,
        ),
    ] {
        let (vae, device) = model(likelihood, 24, 3);
        let one = match alphabet {
            Alphabet::Binary { one } => Some(one),
            Alphabet::Bytes => None,
        };
        for (n, lanes) in [(1, 16), (7, 3), (40, 16)] {
            let x = data(n, 24, one);
            let settings = Settings {
                latent_bits: 10,
                lanes,
            };
            let coded = compress(&vae, &device, &x, alphabet, settings).expect("must succeed");
            assert_eq!(coded.lanes.len(), lanes.min(n));
            let back = decompress(&vae, &device, &coded, alphabet).expect("must succeed");
            assert_eq!(back, x, "{likelihood:?} {alphabet:?} n={n} lanes={lanes}");
        }
    }
}

#[test]
fn rate_approaches_the_elbo_and_initial_bits_are_counted_once_per_lane() {
    let (vae, device) = model(Likelihood::DiscretizedLogistic, 64, 4);
    let x = data(400, 64, None);
    let coded = compress(
        &vae,
        &device,
        &x,
        Alphabet::Bytes,
        Settings {
            latent_bits: 12,
            lanes: 4,
        },
    )
    .expect("must succeed");
    let rate = coded.payload_bits() as f64;
    let elbo_bits = coded.neg_elbo_nats / std::f64::consts::LN_2;
    eprintln!(
        "rate {rate} bits, -ELBO {elbo_bits} bits, lanes {:?}",
        coded
            .lanes
            .iter()
            .map(|l| (l.seed_skipped, l.words.len()))
            .collect::<Vec<_>>()
    );
    // Overheads: a partly filled state word per lane, the initial bits popped for each lane's
    // first example, and the latent discretisation; together well under 2% here.
    assert!(
        rate > elbo_bits * 0.97 && rate < elbo_bits * 1.02,
        "rate {rate} vs -ELBO {elbo_bits}"
    );
    // Only seed bits that were popped are stored: never the whole seed.
    for lane in &coded.lanes {
        assert!(
            lane.seed_skipped > 0 && lane.seed_skipped < coded.seed_words,
            "{lane:?}"
        );
    }
}

#[test]
fn mixture_rate_approaches_its_elbo() {
    let (vae, device) = model(Likelihood::LogisticMixture { components: 4 }, 64, 4);
    let x = data(200, 64, None);
    let coded = compress(
        &vae,
        &device,
        &x,
        Alphabet::Bytes,
        Settings {
            latent_bits: 12,
            lanes: 2,
        },
    )
    .expect("must succeed");
    let (rate, elbo_bits) = (
        coded.payload_bits() as f64,
        coded.neg_elbo_nats / std::f64::consts::LN_2,
    );
    assert!(
        rate > elbo_bits * 0.98 && rate < elbo_bits * 1.02,
        "rate {rate} vs -ELBO {elbo_bits}"
    );
    assert_eq!(
        decompress(&vae, &device, &coded, Alphabet::Bytes).expect("must succeed"),
        x
    );
}

#[test]
fn wrong_data_and_models_are_refused() {
    let (vae, device) = model(Likelihood::Bernoulli, 8, 2);
    let bad = vec![0, 1, 2, 0, 0, 0, 0, 0];
    let err = compress(
        &vae,
        &device,
        &bad,
        Alphabet::Binary { one: 1 },
        Settings::default(),
    )
    .expect_err("must fail");
    assert!(err.to_string().contains("byte 2 is 2"), "{err}");
    let err = compress(
        &vae,
        &device,
        &[0; 7],
        Alphabet::Binary { one: 1 },
        Settings::default(),
    )
    .expect_err("must fail");
    assert!(matches!(err, CodecError::BadData(_)), "{err}");
    let err = compress(&vae, &device, &[0; 8], Alphabet::Bytes, Settings::default())
        .expect_err("must fail");
    assert!(matches!(err, CodecError::BadData(_)), "{err}");
    let (gauss, device) = model(Likelihood::Gaussian { sigma: 1.0 }, 8, 2);
    let err = compress(
        &gauss,
        &device,
        &[0; 8],
        Alphabet::Bytes,
        Settings::default(),
    )
    .expect_err("must fail");
    assert!(
        matches!(
            err,
            CodecError::BadData(_) | CodecError::UnsupportedLikelihood { .. }
        ),
        "{err}"
    );
}

#[test]
fn decoding_with_different_weights_is_detected() {
    let (a, device) = model(Likelihood::DiscretizedLogistic, 16, 2);
    let (b, _) = model(Likelihood::DiscretizedLogistic, 16, 2);
    let x = data(10, 16, None);
    let coded =
        compress(&a, &device, &x, Alphabet::Bytes, Settings::default()).expect("must succeed");
    match decompress(&b, &device, &coded, Alphabet::Bytes) {
        Err(CodecError::NotReproduced { .. }) => {}
        Ok(back) => assert_ne!(back, x),
        Err(e) => panic!("{e}"),
    }
}
