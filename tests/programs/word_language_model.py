"""A word-level language model trainer in the style of PyTorch's word_language_model example.

Written against `torch` and run by tests/test_programs.py through `python -m ndgrad.run`: an
RNN (LSTM, GRU, RNN_TANH, RNN_RELU) or Transformer language model over a small synthetic
corpus, trained with truncated backpropagation through time, gradient clipping and plain SGD
on `p.data`, as that example does. As the example, it picks a device with torch.accelerator,
saves the whole model with torch.save, loads it back under torch.serialization.safe_globals
and can export it to ONNX. Prints one `loss <value>` line per logged step, the validation
loss, and the loaded model's test loss.
"""
import argparse
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.onnx


class RNNModel(nn.Module):
    """Embedding, a recurrent stack and a linear decoder to log-probabilities."""

    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.2, tie_weights=False):
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        if rnn_type in ("LSTM", "GRU"):
            self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        else:
            nonlinearity = {"RNN_TANH": "tanh", "RNN_RELU": "relu"}[rnn_type]
            self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity=nonlinearity, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            self.decoder.weight = self.encoder.weight
        self.rnn_type, self.nhid, self.nlayers = rnn_type, nhid, nlayers
        bound = 0.1
        nn.init.uniform_(self.encoder.weight, -bound, bound)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -bound, bound)

    def forward(self, input, hidden):
        output, hidden = self.rnn(self.drop(self.encoder(input)), hidden)
        decoded = self.decoder(self.drop(output)).view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        zeros = weight.new_zeros(self.nlayers, bsz, self.nhid)
        return (zeros, weight.new_zeros(self.nlayers, bsz, self.nhid)) \
            if self.rnn_type == "LSTM" else zeros


class PositionalEncoding(nn.Module):
    """Adds sin/cos position signals of geometric wavelengths to (seq, batch, d_model) input."""

    def __init__(self, d_model, dropout=0.1, max_len=512):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        rates = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        table = torch.zeros(max_len, d_model)
        table[:, 0::2] = torch.sin(position * rates)
        table[:, 1::2] = torch.cos(position * rates)
        self.register_buffer("pe", table.unsqueeze(0).transpose(0, 1))

    def forward(self, x):
        return self.dropout(x + self.pe[:x.size(0), :])


class TransformerModel(nn.Transformer):
    """A causal Transformer encoder language model (nn.Transformer's encoder only)."""

    def __init__(self, ntoken, ninp, nhead, nhid, nlayers, dropout=0.2):
        super().__init__(d_model=ninp, nhead=nhead, dim_feedforward=nhid,
                         num_encoder_layers=nlayers, num_decoder_layers=1, dropout=dropout)
        self.src_mask = None
        self.pos_encoder = PositionalEncoding(ninp, dropout)
        self.input_emb = nn.Embedding(ntoken, ninp)
        self.ninp = ninp
        self.decoder = nn.Linear(ninp, ntoken)
        nn.init.uniform_(self.input_emb.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -0.1, 0.1)

    def forward(self, src, has_mask=True):
        if has_mask and (self.src_mask is None or self.src_mask.size(0) != len(src)):
            self.src_mask = torch.log(torch.tril(torch.ones(len(src), len(src)))).to(src.device)
        src = self.pos_encoder(self.input_emb(src) * math.sqrt(self.ninp))
        output = self.encoder(src, mask=self.src_mask if has_mask else None)
        return F.log_softmax(self.decoder(output), dim=-1)


def corpus(ntoken, length, seed):
    """Token ids of a learnable language: each word mostly follows from the one before."""
    generator = torch.Generator().manual_seed(seed)
    successor = torch.randperm(ntoken, generator=generator)
    noise = torch.randint(0, ntoken, (length,), generator=generator)
    keep = torch.rand(length, generator=generator) < 0.9
    ids = [0]
    for i in range(1, length):
        ids.append(int(successor[ids[-1]]) if keep[i] else int(noise[i]))
    return torch.tensor(ids, dtype=torch.long)


def batchify(data, bsz):
    """Cuts the token stream into bsz columns: shape (length // bsz, bsz)."""
    nbatch = data.size(0) // bsz
    return data.narrow(0, 0, nbatch * bsz).view(bsz, -1).t().contiguous()


def get_batch(source, i, bptt):
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i:i + seq_len], source[i + 1:i + 1 + seq_len].view(-1)


def repackage_hidden(h):
    """Detaches hidden states from their history, so backprop stops at the batch boundary."""
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def evaluate(model, source, args, criterion):
    model.eval()
    total, is_transformer = 0.0, args.model == "Transformer"
    hidden = None if is_transformer else model.init_hidden(source.size(1))
    with torch.no_grad():
        for i in range(0, source.size(0) - 1, args.bptt):
            data, targets = get_batch(source, i, args.bptt)
            if is_transformer:
                output = model(data).view(-1, args.ntokens)
            else:
                output, hidden = model(data, hidden)
                hidden = repackage_hidden(hidden)
            total += len(data) * criterion(output, targets).item()
    return total / (len(source) - 1)


def save_and_load(model, args):
    """The example's checkpoint: the whole module pickled by torch.save, read back with only
    the classes it needs allowed."""
    with open(args.save, "wb") as f:
        torch.save(model, f)
    if args.model == "Transformer":
        safe = [PositionalEncoding, TransformerModel, torch.nn.functional.relu,
                torch.nn.modules.activation.MultiheadAttention,
                torch.nn.modules.container.ModuleList, torch.nn.modules.dropout.Dropout,
                torch.nn.modules.linear.Linear,
                torch.nn.modules.linear.NonDynamicallyQuantizableLinear,
                torch.nn.modules.normalization.LayerNorm, torch.nn.modules.sparse.Embedding,
                torch.nn.modules.transformer.TransformerEncoder,
                torch.nn.modules.transformer.TransformerEncoderLayer,
                torch.nn.modules.transformer.TransformerDecoder,
                torch.nn.modules.transformer.TransformerDecoderLayer,
                torch.nn.modules.transformer.Transformer]
    else:
        safe = [RNNModel, torch.nn.modules.dropout.Dropout, torch.nn.modules.linear.Linear,
                torch.nn.modules.rnn.GRU, torch.nn.modules.rnn.LSTM, torch.nn.modules.rnn.RNN,
                torch.nn.modules.sparse.Embedding]
    with open(args.save, "rb") as f:
        with torch.serialization.safe_globals(safe):
            model = torch.load(f)
    if args.model != "Transformer":
        model.rnn.flatten_parameters()
    return model


def train(args):
    torch.manual_seed(args.seed)
    device = torch.accelerator.current_accelerator() if torch.accelerator.is_available() \
        else torch.device("cpu")
    train_data = batchify(corpus(args.ntokens, args.tokens, args.seed), args.batch_size)
    val_data = batchify(corpus(args.ntokens, args.tokens // 4, args.seed), args.batch_size)
    if args.model == "Transformer":
        model = TransformerModel(args.ntokens, args.emsize, args.nhead, args.nhid, args.nlayers)
    else:
        model = RNNModel(args.model, args.ntokens, args.emsize, args.nhid, args.nlayers,
                         tie_weights=args.tied)
    criterion = nn.NLLLoss()
    lr = args.lr
    for epoch in range(args.epochs):
        model.train()
        hidden = None if args.model == "Transformer" else model.init_hidden(args.batch_size)
        for batch, i in enumerate(range(0, train_data.size(0) - 1, args.bptt)):
            data, targets = get_batch(train_data, i, args.bptt)
            model.zero_grad()
            if args.model == "Transformer":
                output = model(data).view(-1, args.ntokens)
            else:
                hidden = repackage_hidden(hidden)
                output, hidden = model(data, hidden)
            loss = criterion(output, targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-lr)
            print(f"loss {loss.item():.4f}")
        lr /= 2.0
    print(f"valid {evaluate(model, val_data, args, criterion):.4f}")
    loaded = save_and_load(model, args)
    print(f"loaded valid {evaluate(loaded, val_data, args, criterion):.4f}")
    if args.onnx_export and args.model != "Transformer":
        model.eval()
        dummy = torch.zeros(args.bptt, 1, dtype=torch.long, device=device)
        torch.onnx.export(model, (dummy, model.init_hidden(1)), args.onnx_export)
        print(f"onnx {os.path.getsize(args.onnx_export)}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="LSTM",
                        choices=["LSTM", "GRU", "RNN_TANH", "RNN_RELU", "Transformer"])
    parser.add_argument("--ntokens", type=int, default=20)
    parser.add_argument("--tokens", type=int, default=8000)
    parser.add_argument("--emsize", type=int, default=32)
    parser.add_argument("--nhid", type=int, default=32)
    parser.add_argument("--nlayers", type=int, default=2)
    parser.add_argument("--nhead", type=int, default=2)
    parser.add_argument("--lr", type=float, default=10.0)
    parser.add_argument("--clip", type=float, default=0.25)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch_size", type=int, default=20)
    parser.add_argument("--bptt", type=int, default=20)
    parser.add_argument("--tied", action="store_true")
    parser.add_argument("--seed", type=int, default=1111)
    parser.add_argument("--save", default="model.pt")
    parser.add_argument("--onnx-export", default="")
    train(parser.parse_args(argv))


if __name__ == "__main__":
    main()
