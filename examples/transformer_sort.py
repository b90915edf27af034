"""A small Transformer encoder that learns to sort sequences of digits (or, with
--task reverse, to reverse them): token and learned position embeddings, two
TransformerEncoderLayers, and a Linear layer that reads the output digit at every position.

It trains on a fixed set of random sequences and reports the token and whole-sequence
accuracy on held-out sequences that are not in the training set, with a progress bar and a
plot of the loss and held-out accuracy. With the defaults (16 digits, d_model 64, 1500 steps
of 128 sequences) it sorts 2000 held-out sequences with 99.997% token accuracy (99.95% of the
sequences entirely right) in about 75 s on one core.
Run: python examples/transformer_sort.py [--length N] [--task sort|reverse] [--steps N]
[--plot PATH]
"""
import argparse
import time

import ndgrad
from ndgrad import nn
from ndgrad.utils.data import DataLoader, TensorDataset

DIGITS = 10


class DigitTransformer(nn.Module):
    """Digits in, logits of the output digit at every position out (batch first)."""

    def __init__(self, length: int, d_model: int = 64, nhead: int = 4, layers: int = 2,
                 dim_feedforward: int = 128) -> None:
        super().__init__()
        self.embed = nn.Embedding(DIGITS, d_model)
        self.position = nn.Embedding(length, d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout=0.0,
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers)
        self.head = nn.Linear(d_model, DIGITS)

    def forward(self, x: ndgrad.Tensor) -> ndgrad.Tensor:
        h = self.embed(x) + self.position(ndgrad.arange(x.shape[1]))
        return self.head(self.encoder(h))


def solve(x: ndgrad.Tensor, task: str) -> ndgrad.Tensor:
    """The target of each row of x: its digits in ascending order, or reversed."""
    return x.sort(dim=1).values if task == "sort" else x.flip(1)


def make_splits(train_size: int, test_size: int, length: int, generator) -> tuple:
    """Random digit sequences: a training set, and a test set with none of its rows."""
    train = ndgrad.randint(0, DIGITS, (train_size, length), generator=generator)
    seen = set(map(tuple, train.tolist()))
    candidates = ndgrad.randint(0, DIGITS, (2 * test_size, length), generator=generator)
    fresh = [row for row in candidates.tolist() if tuple(row) not in seen]
    if len(fresh) < test_size:
        raise ValueError(f"only {len(fresh)} held-out sequences of length {length} exist "
                         f"outside the training set; lower train_size or test_size")
    return train, ndgrad.tensor(fresh[:test_size])


def evaluate(model: nn.Module, x: ndgrad.Tensor, task: str) -> tuple:
    """Token accuracy and whole-sequence accuracy of the model's argmax on x."""
    model.eval()
    with ndgrad.no_grad():
        correct = model(x).argmax(-1) == solve(x, task)
    model.train()
    return correct.float().mean().item(), correct.all(dim=1).float().mean().item()


def forever(loader: DataLoader):
    """The loader's batches, epoch after epoch."""
    while True:
        yield from loader


def plot(losses: list, evaluations: list, path: str) -> None:
    """Saves the training loss and the held-out token accuracy side by side as a PNG."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.semilogy(range(1, len(losses) + 1), losses)
    left.set(title="training loss", xlabel="step", ylabel="cross entropy")
    right.plot([step for step, _ in evaluations], [acc for _, acc in evaluations], marker="o")
    right.set(title="held-out token accuracy", xlabel="step", ylabel="fraction correct")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def run(length: int = 16, task: str = "sort", steps: int = 1500, batch_size: int = 128,
        train_size: int = 100_000, test_size: int = 2000, d_model: int = 64,
        lr: float = 3e-3, seed: int = 0, plot_path: str | None = None,
        verbose: bool = True, tensorboard: str | None = None) -> dict:
    """Trains and returns the held-out token and sequence accuracies (fractions), the
    per-step losses and the held-out token accuracies as (step, accuracy) pairs."""
    from tqdm import tqdm

    ndgrad.manual_seed(seed)
    generator = ndgrad.Generator().manual_seed(seed)
    train, test = make_splits(train_size, test_size, length, generator)
    loader = DataLoader(TensorDataset(train, solve(train, task)), batch_size=batch_size,
                        shuffle=True, generator=generator)
    model = DigitTransformer(length, d_model=d_model)
    optimizer = ndgrad.optim.Adam(model.parameters(), lr=lr)
    # Warm-up then annealing: a Transformer trained at full rate from the start diverges
    # more often, and the low rate at the end settles the last few errors.
    schedule = ndgrad.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps)
    writer = None
    if tensorboard:  # imported only when asked for: tensorboard is an optional extra
        from ndgrad.utils.tensorboard import SummaryWriter
        writer = SummaryWriter(tensorboard)
    losses, evaluations, postfix = [], [], {}
    batches = forever(loader)
    bar = tqdm(range(1, steps + 1), desc=f"{task} {length} digits", disable=not verbose)
    for step in bar:
        x, y = next(batches)
        loss = nn.functional.cross_entropy(model(x).reshape(-1, DIGITS), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
        if writer:
            writer.add_scalar("loss/train", losses[-1], step)
            writer.add_scalar("lr", schedule.get_last_lr()[0], step)
        if step % max(1, steps // 10) == 0 or step == steps:
            evaluations.append((step, evaluate(model, test, task)[0]))
            postfix["accuracy"] = f"{evaluations[-1][1]:.4f}"
            if writer:
                writer.add_scalar("accuracy/held_out_tokens", evaluations[-1][1], step)
        postfix["loss"] = f"{losses[-1]:.4f}"
        bar.set_postfix(postfix, refresh=False)
    token_accuracy, sequence_accuracy = evaluate(model, test, task)
    if writer:
        writer.add_scalar("accuracy/held_out_sequences", sequence_accuracy, steps)
        writer.close()
    if verbose:
        with ndgrad.no_grad():
            predicted = model(test[:3]).argmax(-1)
        for x, y in zip(test[:3].tolist(), predicted.tolist(), strict=True):
            print(f"{''.join(map(str, x))} -> {''.join(map(str, y))}")
        print(f"held-out token accuracy {token_accuracy:.3%}, "
              f"whole sequences {sequence_accuracy:.2%} ({len(test)} sequences)")
    if plot_path:
        plot(losses, evaluations, plot_path)
        if verbose:
            print(f"plot: {plot_path}")
    return {"token_accuracy": token_accuracy, "sequence_accuracy": sequence_accuracy,
            "losses": losses, "held_out": evaluations}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=16, help="digits per sequence")
    parser.add_argument("--task", choices=["sort", "reverse"], default="sort")
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", default="transformer_sort.png", help="where to save the plot")
    parser.add_argument("--tensorboard", metavar="DIR", help="log for TensorBoard to DIR")
    args = parser.parse_args()
    start = time.perf_counter()
    run(args.length, args.task, args.steps, seed=args.seed, plot_path=args.plot,
        tensorboard=args.tensorboard)
    print(f"{time.perf_counter() - start:.1f} s")
