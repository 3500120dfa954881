use burn::tensor::Tensor;

/// The evidence lower bound of a batch, per example, in nats.
///
/// ELBO(x) = E_q[ln p(x|z)] − KL(q(z|x) ‖ p(z)), estimated with one reparameterised sample of z
/// for the first term and in closed form for the second.
#[derive(Clone, Debug)]
pub struct Elbo {
    /// Single-sample estimate of E_q[ln p(x|z)], `[batch]` (≤ 0 for discrete likelihoods).
    pub log_likelihood: Tensor<1>,
    /// KL(q(z|x) ‖ N(0, I)) in closed form, `[batch]` (≥ 0).
    pub kl: Tensor<1>,
}

impl Elbo {
    /// −ELBO = −ln p(x|z) + KL, `[batch]`.
    pub fn neg_elbo(&self) -> Tensor<1> {
        self.kl.clone() - self.log_likelihood.clone()
    }

    /// The training objective −ln p(x|z) + β·KL, `[batch]` (β = 1 gives −ELBO; Higgins et al.,
    /// 2017, for β ≠ 1).
    pub fn loss(&self, beta: f64) -> Tensor<1> {
        self.kl.clone().mul_scalar(beta) - self.log_likelihood.clone()
    }

    /// −ELBO in bits per dimension: −ELBO / (D · ln 2), `[batch]`.
    pub fn bits_per_dim(&self, dims: usize) -> Tensor<1> {
        self.neg_elbo()
            .div_scalar(dims as f64 * std::f64::consts::LN_2)
    }
}
