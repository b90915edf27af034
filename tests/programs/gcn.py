"""A two-layer graph convolutional network in the style of PyTorch's examples/gcn, written for
PyTorch.

Node classification on a synthetic citation-like graph instead of Cora (no download): papers of
a few topics, bag-of-words features drawn from a per-topic word distribution, and citations
that mostly stay within a topic. The graph is a sparse COO adjacency, normalised as
D^-1/2 (A + I) D^-1/2 with sparse diagonal matrices; the model multiplies it with torch.spmm.
Run with torch mapped to ndgrad: `python -m ndgrad.run tests/programs/gcn.py`.
"""
import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.optim import Adam


class GraphConv(nn.Module):
    """One graph convolution, H' = A_hat (H W) (+ b), with A_hat the normalised adjacency."""

    def __init__(self, input_dim, output_dim, use_bias=False):
        super().__init__()
        self.kernel = nn.Parameter(torch.Tensor(input_dim, output_dim))
        nn.init.xavier_normal_(self.kernel)
        self.bias = None
        if use_bias:
            self.bias = nn.Parameter(torch.Tensor(output_dim))
            nn.init.zeros_(self.bias)

    def forward(self, input_tensor, adj_mat):
        support = torch.mm(input_tensor, self.kernel)  # the features may be sparse
        output = torch.spmm(adj_mat, support)
        if self.bias is not None:
            output = output + self.bias
        return output


class GCN(nn.Module):
    """Two graph convolutions with ReLU and dropout between them, log-probabilities out."""

    def __init__(self, input_dim, hidden_dim, output_dim, use_bias=True, dropout_p=0.1):
        super().__init__()
        self.gc1 = GraphConv(input_dim, hidden_dim, use_bias=use_bias)
        self.gc2 = GraphConv(hidden_dim, output_dim, use_bias=use_bias)
        self.dropout = nn.Dropout(dropout_p)

    def forward(self, input_tensor, adj_mat):
        x = F.relu(self.gc1(input_tensor, adj_mat))
        x = self.dropout(x)
        x = self.gc2(x, adj_mat)
        return F.log_softmax(x, dim=1)


def make_citation_graph(nodes, topics, words, cites, homophily, seed):
    """Bag-of-words features (0/1, int32), topic labels and citation pairs (int32, 2 columns)
    of a synthetic citation network."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, topics, nodes)
    # Each topic favours its own slice of the vocabulary; every paper also uses common words.
    word_prob = np.full((topics, words), 0.02)
    for t in range(topics):
        word_prob[t, t * words // topics:(t + 1) * words // topics] = 0.08
    features = (rng.random((nodes, words)) < word_prob[labels]).astype(np.int32)
    by_topic = [np.flatnonzero(labels == t) for t in range(topics)]
    edges = []
    for paper in range(nodes):
        for _ in range(cites):
            same = rng.random() < homophily
            pool = by_topic[labels[paper]] if same else np.arange(nodes)
            cited = int(rng.choice(pool))
            if cited != paper:
                edges.append((paper, cited))
    return features, labels, np.array(edges, dtype=np.int32)


def load_graph(args, device='cpu'):
    """Row-normalised sparse features, labels, and the normalised sparse adjacency."""
    raw_features, raw_labels, edges = make_citation_graph(
        args.nodes, args.topics, args.words, args.cites, args.homophily, args.graph_seed)

    features = torch.FloatTensor(raw_features)
    scale_vector = torch.sum(features, dim=1)
    scale_vector = 1 / scale_vector
    scale_vector[scale_vector == float('inf')] = 0
    scale_vector = torch.diag(scale_vector).to_sparse()
    features = scale_vector @ features

    labels = torch.LongTensor(raw_labels)

    V = args.nodes
    E = edges.shape[0]
    adj_mat = torch.sparse_coo_tensor(edges.T, torch.ones(E), (V, V), dtype=torch.int64)
    adj_mat = torch.eye(V) + adj_mat  # self-loops; the sum is dense

    degree_mat = torch.sum(adj_mat, dim=1)
    degree_mat = torch.sqrt(1 / degree_mat)
    degree_mat[degree_mat == float('inf')] = 0
    degree_mat = torch.diag(degree_mat).to_sparse()

    adj_mat = degree_mat @ adj_mat @ degree_mat
    return features.to_sparse().to(device), labels.to(device), adj_mat.to_sparse().to(device)


def train_iter(epoch, model, optimizer, criterion, input, target, mask_train, mask_val,
               print_every=10):
    start_t = time.time()
    model.train()
    optimizer.zero_grad()
    output = model(*input)
    loss = criterion(output[mask_train], target[mask_train])
    loss.backward()
    optimizer.step()

    loss_train, acc_train = test(model, criterion, input, target, mask_train)
    loss_val, acc_val = test(model, criterion, input, target, mask_val)
    if epoch % print_every == 0:
        print(f'Epoch: {epoch:04d} ({(time.time() - start_t):.4f}s) loss_train: '
              f'{loss_train:.4f} acc_train: {acc_train:.4f} loss_val: {loss_val:.4f} '
              f'acc_val: {acc_val:.4f}')


def test(model, criterion, input, target, mask):
    model.eval()
    with torch.no_grad():
        output = model(*input)
        output, target = output[mask], target[mask]
        loss = criterion(output, target)
        acc = (output.argmax(dim=1) == target).float().sum() / len(target)
    return loss.item(), acc.item()


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description='PyTorch Graph Convolutional Network')
    parser.add_argument('--epochs', type=int, default=100)
    parser.add_argument('--lr', type=float, default=0.01)
    parser.add_argument('--l2', type=float, default=5e-4)
    parser.add_argument('--dropout-p', type=float, default=0.5)
    parser.add_argument('--hidden-dim', type=int, default=16)
    parser.add_argument('--val-every', type=int, default=10)
    parser.add_argument('--include-bias', action='store_true')
    parser.add_argument('--no-accel', action='store_true')
    parser.add_argument('--dry-run', action='store_true')
    parser.add_argument('--seed', type=int, default=42)
    parser.add_argument('--nodes', type=int, default=800, help='papers in the graph')
    parser.add_argument('--topics', type=int, default=4, help='classes')
    parser.add_argument('--words', type=int, default=200, help='vocabulary size')
    parser.add_argument('--cites', type=int, default=4, help='citations per paper')
    parser.add_argument('--homophily', type=float, default=0.8,
                        help='share of citations within the topic')
    parser.add_argument('--graph-seed', type=int, default=0)
    args = parser.parse_args()

    use_accel = not args.no_accel and torch.accelerator.is_available()
    torch.manual_seed(args.seed)
    device = torch.accelerator.current_accelerator() if use_accel else torch.device('cpu')
    print(f'Using {device} device')

    features, labels, adj_mat = load_graph(args, device=device)
    idx = torch.randperm(len(labels)).to(device)
    n_test, n_val = len(labels) // 4, len(labels) // 4
    idx_test, idx_val, idx_train = idx[:n_test], idx[n_test:n_test + n_val], idx[n_test + n_val:]

    gcn = GCN(features.shape[1], args.hidden_dim, labels.max().item() + 1, args.include_bias,
              args.dropout_p).to(device)
    optimizer = Adam(gcn.parameters(), lr=args.lr, weight_decay=args.l2)
    criterion = nn.NLLLoss()

    loss_before, acc_before = test(gcn, criterion, (features, adj_mat), labels, idx_test)
    print(f'Before training: loss {loss_before:.4f} accuracy {acc_before:.4f}')
    for epoch in range(args.epochs):
        train_iter(epoch + 1, gcn, optimizer, criterion, (features, adj_mat), labels, idx_train,
                   idx_val, args.val_every)
        if args.dry_run:
            break

    loss_test, acc_test = test(gcn, criterion, (features, adj_mat), labels, idx_test)
    print(f'Test set results: loss {loss_test:.4f} accuracy {acc_test:.4f}')
