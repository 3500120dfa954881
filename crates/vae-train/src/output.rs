use burn::tensor::{ExecutionError, Tensor};
use burn::train::ItemLazy;
use burn::train::metric::Adaptor;

/// Per-example terms of one batch, handed from a training or validation step to the metrics.
#[derive(Debug)]
pub struct ElboOutput {
    /// −ln p(x|z) + β·KL, `[batch]`.
    pub loss: Tensor<1>,
    /// −ln p(x|z) (one z sample), `[batch]`.
    pub reconstruction: Tensor<1>,
    /// KL(q(z|x) ‖ p(z)), `[batch]`.
    pub kl: Tensor<1>,
    /// Values per example, for bits/dim.
    pub dims: usize,
}

/// What the ELBO metrics read from an [`ElboOutput`].
#[derive(Debug)]
pub struct ElboInput {
    pub(crate) loss: Tensor<1>,
    pub(crate) reconstruction: Tensor<1>,
    pub(crate) kl: Tensor<1>,
    pub(crate) dims: usize,
}

impl ItemLazy for ElboOutput {
    fn sync(self) -> Result<Self, ExecutionError> {
        self.loss.device().flush()?;
        // Drop the autodiff graph before the metric thread sees the tensors.
        Ok(Self {
            loss: self.loss.without_autodiff(),
            reconstruction: self.reconstruction.without_autodiff(),
            kl: self.kl.without_autodiff(),
            dims: self.dims,
        })
    }
}

impl Adaptor<ElboInput> for ElboOutput {
    fn adapt(&self) -> ElboInput {
        ElboInput {
            loss: self.loss.clone(),
            reconstruction: self.reconstruction.clone(),
            kl: self.kl.clone(),
            dims: self.dims,
        }
    }
}
