use burn::module::Module;
use burn::train::{InferenceStep, TrainOutput, TrainStep};
use vae_data::VaeBatch;
use vae_model::Vae;

use crate::output::ElboOutput;

/// Local wrapper so this crate may implement burn-train's step traits (orphan rule) without
/// making `vae-model` depend on burn-train.
#[derive(Module, Debug)]
pub(crate) struct VaeLearner {
    pub(crate) vae: Vae,
}

impl VaeLearner {
    fn output(&self, batch: VaeBatch) -> ElboOutput {
        let dims = self.vae.input_dim();
        let elbo = self.vae.elbo(batch.x);
        ElboOutput {
            loss: elbo.loss(self.vae.beta()),
            reconstruction: elbo.log_likelihood.neg(),
            kl: elbo.kl,
            dims,
        }
    }
}

impl TrainStep for VaeLearner {
    type Input = VaeBatch;
    type Output = ElboOutput;

    fn step(&self, batch: VaeBatch) -> TrainOutput<ElboOutput> {
        let output = self.output(batch);
        // Gradient of the batch sum, as the PyTorch reference takes it.
        let grads = output.loss.clone().sum().backward();
        TrainOutput::new(self, grads, output)
    }
}

impl InferenceStep for VaeLearner {
    type Input = VaeBatch;
    type Output = ElboOutput;

    fn step(&self, batch: VaeBatch) -> ElboOutput {
        self.output(batch)
    }
}
