"""A variational autoencoder on scikit-learn's 8x8 digits, written with ndgrad.distributions.

The encoder maps an image to the mean and log-variance of a diagonal Normal posterior
q(z | x) over an 8-dimensional latent; a reparameterized draw z = q.rsample() is decoded into
the logits of independent Bernoulli pixels. The loss is the negative ELBO,
-E_q[log p(x | z)] + KL(q(z | x) || N(0, I)), with the KL in closed form from
`distributions.kl_divergence`. After training it prints the test negative ELBO and writes a
PNG grid: test digits in the odd rows, their reconstructions below them.
With the defaults (40 epochs) the test loss falls from 46 to 25 nats per image in about 25
seconds on one core.
Run: python examples/vae_digits.py [--epochs N] [--out PATH]
"""
import argparse

import ndgrad
from ndgrad import nn
from ndgrad.distributions import Bernoulli, Independent, Normal, kl_divergence
from ndgrad.utils.data import DataLoader, TensorDataset, random_split


class VAE(nn.Module):
    """Encoder 64-128-(2 x latent), decoder latent-128-64, ReLU hidden layers."""

    def __init__(self, latent: int = 8, hidden: int = 128) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(64, hidden), nn.ReLU(),
                                     nn.Linear(hidden, 2 * latent))
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, 64))

    def posterior(self, x):
        mean, log_var = self.encoder(x).chunk(2, dim=-1)
        return Normal(mean, (0.5 * log_var).exp())

    def likelihood(self, z):
        # Pixel intensities in [0, 1] are scored as Bernoulli probabilities (the usual
        # binary cross-entropy), so the {0, 1} support check is switched off.
        return Independent(Bernoulli(logits=self.decoder(z), validate_args=False), 1)

    def loss(self, x):
        """The negative ELBO per image, averaged over the batch."""
        q = self.posterior(x)
        prior = Normal(ndgrad.zeros_like(q.loc), ndgrad.ones_like(q.scale))
        reconstruction = self.likelihood(q.rsample()).log_prob(x)
        return (kl_divergence(q, prior).sum(-1) - reconstruction).mean()


def run(epochs: int = 40, seed: int = 0, out: str | None = "vae_digits.png",
        verbose: bool = True, tensorboard: str | None = None) -> list:
    """Trains and returns the test loss (negative ELBO, nats per image) before training and
    after each epoch; logs it for TensorBoard in the folder `tensorboard` if given."""
    writer = None
    if tensorboard:  # imported only when asked for: tensorboard is an optional extra
        from ndgrad.utils.tensorboard import SummaryWriter
        writer = SummaryWriter(tensorboard)
    ndgrad.manual_seed(seed)
    features, labels = ndgrad.datasets.load_digits(return_X_y=True)
    data = TensorDataset((features / 16.0).float())
    train_set, test_set = random_split(data, [0.8, 0.2],
                                       generator=ndgrad.Generator().manual_seed(seed))
    (x_test,) = next(iter(DataLoader(test_set, batch_size=len(test_set))))
    model = VAE()
    optimizer = ndgrad.optim.Adam(model.parameters(), lr=2e-3)

    def test_loss() -> float:
        with ndgrad.no_grad():
            return model.loss(x_test).item()

    losses = [test_loss()]
    for epoch in range(epochs):
        for (x,) in DataLoader(train_set, batch_size=64, shuffle=True):
            loss = model.loss(x)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        losses.append(test_loss())
        if writer:
            writer.add_scalar("elbo/test_negative", losses[-1], epoch + 1)
        if verbose:
            print(f"epoch {epoch + 1}: test negative ELBO {losses[-1]:.2f} nats")
    if writer:
        writer.close()
    if out is not None:
        save_reconstructions(model, x_test[:32], out)
        if verbose:
            print(f"reconstructions written to {out}")
    return losses


def save_reconstructions(model: VAE, x, path: str) -> None:
    """Writes digits and their reconstructions (the decoder's pixel probabilities at the
    posterior mean) as a PNG grid: 4 pairs of rows of 8."""
    from ndgrad.vision.utils import save_image  # needs Pillow: pip install 'ndgrad[vision]'

    with ndgrad.no_grad():
        reconstructed = model.likelihood(model.posterior(x).mean).base_dist.probs
    rows = []
    for start in range(0, x.shape[0], 8):
        rows += [x[start:start + 8], reconstructed[start:start + 8]]
    images = ndgrad.cat(rows).reshape(-1, 1, 8, 8)
    save_image(images, path, nrow=8, padding=1, pad_value=1.0)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--out", default="vae_digits.png")
    parser.add_argument("--tensorboard", metavar="DIR", help="log for TensorBoard to DIR")
    args = parser.parse_args()
    run(args.epochs, out=args.out, tensorboard=args.tensorboard)
