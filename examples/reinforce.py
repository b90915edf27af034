"""REINFORCE (policy gradient) with distributions.Categorical on CartPole, whose equations of
motion this script integrates itself (the classic Barto, Sutton & Anderson cart-pole, as in
Gym's CartPole-v1: force +-10 N, Euler steps of 0.02 s, failure past 12 degrees or 2.4 m).

Each iteration plays a batch of episodes in parallel with the current policy (a 4-64-2 MLP
giving action logits), then ascends sum_t log pi(a_t | s_t) (G_t - b), with G_t the
discounted return-to-go and b its batch mean per time step (a baseline that lowers the
variance). With the defaults (30 iterations of 16 episodes) the mean episode length rises from
about 20 steps to the 200-step cap within 15 iterations, in about 10 seconds on one core.
Run: python examples/reinforce.py [--iterations N]
"""
import argparse

import numpy as np

import ndgrad
from ndgrad import nn
from ndgrad.distributions import Categorical

GRAVITY, CART_MASS, POLE_MASS, HALF_POLE, FORCE, DT = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
ANGLE_LIMIT, POSITION_LIMIT = 12 * 2 * np.pi / 360, 2.4


def cartpole_step(state: np.ndarray, action: np.ndarray) -> np.ndarray:
    """One Euler step of a batch of cart-poles; state rows are (x, x', theta, theta')."""
    x, x_dot, theta, theta_dot = state.T
    force = np.where(action == 1, FORCE, -FORCE)
    cos, sin = np.cos(theta), np.sin(theta)
    total_mass = CART_MASS + POLE_MASS
    temp = (force + POLE_MASS * HALF_POLE * theta_dot ** 2 * sin) / total_mass
    theta_acc = (GRAVITY * sin - cos * temp) / (
        HALF_POLE * (4.0 / 3.0 - POLE_MASS * cos ** 2 / total_mass))
    x_acc = temp - POLE_MASS * HALF_POLE * theta_acc * cos / total_mass
    return np.stack([x + DT * x_dot, x_dot + DT * x_acc, theta + DT * theta_dot,
                     theta_dot + DT * theta_acc], axis=1)


def failed(state: np.ndarray) -> np.ndarray:
    return (np.abs(state[:, 0]) > POSITION_LIMIT) | (np.abs(state[:, 2]) > ANGLE_LIMIT)


def play(policy: nn.Module, episodes: int, max_steps: int, rng: np.random.Generator):
    """Runs a batch of episodes; returns the log-probabilities of the actions taken
    (steps x episodes, graph attached), the alive mask and each episode's length."""
    state = rng.uniform(-0.05, 0.05, size=(episodes, 4))
    alive = np.ones(episodes, dtype=bool)
    log_probs, masks = [], []
    for _ in range(max_steps):
        policy_t = Categorical(logits=policy(ndgrad.tensor(state, dtype=ndgrad.float32)))
        action = policy_t.sample()
        log_probs.append(policy_t.log_prob(action))
        masks.append(alive.copy())
        state = cartpole_step(state, action.numpy())
        alive &= ~failed(state)
        if not alive.any():
            break
    mask = np.array(masks, dtype=np.float32)
    return ndgrad.stack(log_probs), mask, mask.sum(0)


def returns_to_go(mask: np.ndarray, gamma: float) -> np.ndarray:
    """Discounted sum of the +1 rewards from each step to the end of its episode."""
    returns = np.zeros_like(mask)
    running = np.zeros(mask.shape[1], dtype=mask.dtype)
    for t in range(mask.shape[0] - 1, -1, -1):
        running = mask[t] * (1.0 + gamma * running)
        returns[t] = running
    return returns


def run(iterations: int = 30, episodes: int = 16, max_steps: int = 200, gamma: float = 0.99,
        lr: float = 0.02, seed: int = 0, verbose: bool = True,
        tensorboard: str | None = None) -> list:
    """Trains the policy and returns the mean episode length of each iteration; logs it for
    TensorBoard in the folder `tensorboard` if given."""
    writer = None
    if tensorboard:  # imported only when asked for: tensorboard is an optional extra
        from ndgrad.utils.tensorboard import SummaryWriter
        writer = SummaryWriter(tensorboard)
    ndgrad.manual_seed(seed)
    rng = np.random.default_rng(seed)
    policy = nn.Sequential(nn.Linear(4, 64), nn.Tanh(), nn.Linear(64, 2))
    optimizer = ndgrad.optim.Adam(policy.parameters(), lr=lr)
    lengths = []
    for iteration in range(iterations):
        log_probs, mask, episode_lengths = play(policy, episodes, max_steps, rng)
        returns = returns_to_go(mask, gamma)
        counts = np.maximum(mask.sum(1, keepdims=True), 1)
        baseline = (returns * mask).sum(1, keepdims=True) / counts
        advantage = ndgrad.tensor((returns - baseline) * mask)
        loss = -(log_probs * advantage).sum() / episodes
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        lengths.append(float(episode_lengths.mean()))
        if writer:
            writer.add_scalar("episode_length/mean", lengths[-1], iteration + 1)
        if verbose:
            print(f"iteration {iteration + 1}: mean episode length {lengths[-1]:.1f}")
    if writer:
        writer.close()
    return lengths


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--tensorboard", metavar="DIR", help="log for TensorBoard to DIR")
    args = parser.parse_args()
    run(args.iterations, tensorboard=args.tensorboard)
