"""Hand-written PyTorch baselines for `npm run bench:torch` (bench/torch.ts).

The models of the benchmark's specs written the way a PyTorch user writes them: nn.LSTM, nn.Linear,
nn.Conv2d, logits with the fused losses (CrossEntropyLoss, BCEWithLogitsLoss), torch.optim with the
Keras hyper-parameters of each spec (Adam eps 1e-7, RMSprop alpha 0.9). They train on the arrays
`lstmc data` writes, with the batch size of the spec, shuffling every epoch, and track the loss and
the spec's metric the way a training loop usually does. Speed is what is compared, not accuracy.

    python3 bench/torch_hand.py --problem echo --data DATA_DIR --epochs 3 --batch-size 16

prints one JSON line per epoch: {"epoch", "epochs", "loss", "samples_per_s", "seconds"}; the timed part
of an epoch is its batch loop, as in the generated module.
"""
import argparse
import json
import time

import numpy as np
import torch
from torch import nn


class LastStep(nn.Module):
    """An nn.LSTM that returns its last output."""

    def __init__(self, input_size, hidden):
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden, batch_first=True)

    def forward(self, x):
        out, _ = self.lstm(x)
        return out[:, -1]


class Echo(nn.Module):  # specs/vanilla.lstm
    def __init__(self):
        super().__init__()
        self.lstm = LastStep(10, 25)
        self.out = nn.Linear(25, 10)

    def forward(self, x):
        return self.out(self.lstm(x))


class Sine(nn.Module):  # specs/stacked.lstm
    def __init__(self):
        super().__init__()
        self.lstm1 = nn.LSTM(1, 20, batch_first=True)
        self.lstm2 = LastStep(20, 20)
        self.out = nn.Linear(20, 5)

    def forward(self, x):
        x, _ = self.lstm1(x)
        return self.out(self.lstm2(x))


class Cumsum(nn.Module):  # specs/bidirectional.lstm
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(1, 50, batch_first=True, bidirectional=True)
        self.out = nn.Linear(100, 1)

    def forward(self, x):
        x, _ = self.lstm(x)
        return self.out(x)


class Addition(nn.Module):  # specs/encoder-decoder.lstm
    def __init__(self):
        super().__init__()
        self.encoder = LastStep(12, 75)
        self.decoder = nn.LSTM(75, 50, batch_first=True)
        self.out = nn.Linear(50, 12)

    def forward(self, x):
        h = self.encoder(x).unsqueeze(1).expand(-1, 2, -1)
        y, _ = self.decoder(h)
        return self.out(y)


class Chars(nn.Module):  # specs/generative.lstm
    def __init__(self, vocab=40):
        super().__init__()
        self.lstm = LastStep(vocab, 128)
        self.out = nn.Linear(128, vocab)

    def forward(self, x):
        return self.out(self.lstm(x))


class Square(nn.Module):  # specs/cnn-lstm.lstm
    def __init__(self, size=50):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 2)
        self.pool = nn.MaxPool2d(2)
        side = (size - 1) // 2
        self.lstm = LastStep(2 * side * side, 50)
        self.out = nn.Linear(50, 1)

    def forward(self, x):
        b, t, h, w, c = x.shape
        f = x.reshape(b * t, h, w, c).permute(0, 3, 1, 2)
        f = self.pool(torch.relu(self.conv(f)))
        return self.out(self.lstm(f.reshape(b, t, -1)))


class Regressor(nn.Module):  # the stacked regressor: 4 x LSTM(50) + Dropout(0.2), dense(1)
    def __init__(self):
        super().__init__()
        self.lstms = nn.ModuleList([nn.LSTM(1 if i == 0 else 50, 50, batch_first=True) for i in range(4)])
        self.drop = nn.Dropout(0.2)
        self.out = nn.Linear(50, 1)

    def forward(self, x):
        for lstm in self.lstms:
            x, _ = lstm(x)
            x = self.drop(x)
        return self.out(x[:, -1])


def accuracy_onehot(logits, y):
    return (logits.argmax(-1) == y.argmax(-1)).float().mean()


def accuracy_binary(logits, y):
    return ((logits > 0).float() == y).float().mean()


def adam(params):
    return torch.optim.Adam(params, lr=1e-3, eps=1e-7)


# problem -> (model, loss on (output, target), metric, optimizer)
PROBLEMS = {
    'echo': (Echo, lambda o, y: nn.functional.cross_entropy(o, y.argmax(-1)), accuracy_onehot, adam),
    'sine': (Sine, nn.functional.l1_loss, nn.functional.mse_loss, adam),
    'cumsum': (Cumsum, nn.functional.binary_cross_entropy_with_logits, accuracy_binary, adam),
    'addition': (
        Addition,
        lambda o, y: nn.functional.cross_entropy(o.reshape(-1, o.shape[-1]), y.reshape(-1, y.shape[-1]).argmax(-1)),
        accuracy_onehot,
        adam,
    ),
    'chars': (
        Chars,
        lambda o, y: nn.functional.cross_entropy(o, y.argmax(-1)),
        accuracy_onehot,
        lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-7),
    ),
    'square': (Square, nn.functional.binary_cross_entropy_with_logits, accuracy_binary, adam),
    'regressor': (Regressor, nn.functional.mse_loss, None, adam),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--problem', required=True, choices=sorted(PROBLEMS))
    ap.add_argument('--data', required=True)
    ap.add_argument('--epochs', type=int, required=True)
    ap.add_argument('--batch-size', type=int, required=True)
    ap.add_argument('--seed', type=int, default=1)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    make, loss_fn, metric, optimizer = PROBLEMS[a.problem]
    x = torch.from_numpy(np.load(a.data + '/train_x.npy', allow_pickle=False))
    y = torch.from_numpy(np.load(a.data + '/train_y.npy', allow_pickle=False))
    model = make()
    opt = optimizer(model.parameters())
    n = x.shape[0]
    for epoch in range(a.epochs):
        model.train()
        total, right, t0 = 0.0, 0.0, time.perf_counter()
        perm = torch.randperm(n)
        for i in range(0, n, a.batch_size):
            idx = perm[i : i + a.batch_size]
            xb, yb = x[idx], y[idx]
            opt.zero_grad()
            out = model(xb)
            loss = loss_fn(out, yb)
            loss.backward()
            opt.step()
            with torch.no_grad():
                total += loss.item() * xb.shape[0]
                if metric is not None:
                    right += metric(out, yb).item() * xb.shape[0]
        seconds = time.perf_counter() - t0
        line = {'epoch': epoch + 1, 'epochs': a.epochs, 'loss': total / n, 'samples_per_s': n / seconds, 'seconds': seconds}
        if metric is not None:
            line['metric'] = right / n
        print(json.dumps(line), flush=True)


if __name__ == '__main__':
    main()
