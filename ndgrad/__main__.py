"""`python -m ndgrad`: a short training run that shows autograd at work.

Fits logistic regression to two Gaussian blobs generated here, with plain tensor ops and
manual SGD, printing the loss and accuracy as it goes.
"""
import ndgrad


def make_blobs(n: int = 200):
    """Two classes of 2-D points around (-1, -1) and (1, 1), labels 0 and 1."""
    labels = ndgrad.randint(0, 2, (n,))
    centers = labels.float().unsqueeze(1) * 2 - 1
    points = centers + ndgrad.randn(n, 2) * 0.8
    return points, labels.float()


def main() -> None:
    ndgrad.manual_seed(0)
    x, y = make_blobs()
    w = ndgrad.zeros(2, requires_grad=True)
    b = ndgrad.zeros((), requires_grad=True)
    for step in range(101):
        logits = (x * w).sum(1) + b
        # Binary cross entropy from logits, log(1 + e^z) - y z, written so e^z never overflows.
        loss = (logits.relu() + (-logits.abs()).exp().log1p() - y * logits).mean()
        w.grad = b.grad = None
        loss.backward()
        with ndgrad.no_grad():
            w.data = w - 0.5 * w.grad
            b.data = b - 0.5 * b.grad
        if step % 20 == 0:
            accuracy = ((logits > 0).float() == y).float().mean().item()
            print(f"step {step:3d}  loss {loss.item():.4f}  accuracy {accuracy:.2%}")


if __name__ == "__main__":
    main()
