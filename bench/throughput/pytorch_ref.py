#!/usr/bin/env python3
"""PyTorch reference for bench/throughput: the same three architectures as libs/ml (cnn-small,
WRN-28-2, EfficientNet-B0 small-image variant), prediction and a full training step (label-smoothed
cross-entropy, backward, RMSProp as TF's: alpha 0.9, momentum 0.9, eps 1e-3, EMA of the weights) on
the CPU with a fixed thread count. Prints one JSON object: images/s per model.

    python3 bench/throughput/pytorch_ref.py --threads 1 --models cnn-small,wrn-28-2,efficientnet-b0 \
        --train-batch cnn-small=128,wrn-28-2=128,efficientnet-b0=32 --predict-batch 256 --iters 3

Needs the Debian package python3-torch (installed by `npm run bench:throughput -- --pytorch`).
"""
import argparse, copy, json, math, time
import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_bn_relu(cin, cout, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout, eps=1e-3), nn.ReLU())


class SmallCnn(nn.Module):
    """libs/ml/src/models/cnn.ts: stem 16, stages 16/32/64 with one residual block each, stride-2 joins."""
    def __init__(self, cin=1, classes=10):
        super().__init__()
        self.stem = conv_bn_relu(cin, 16, 1)
        self.stages = nn.ModuleList()
        c_prev = 16
        for i, c in enumerate([16, 32, 64]):
            down = conv_bn_relu(c_prev, c, 2) if i > 0 else nn.Identity()
            a = conv_bn_relu(c, c, 1)
            b = nn.Sequential(nn.Conv2d(c, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c, eps=1e-3))
            self.stages.append(nn.ModuleList([down, a, b]))
            c_prev = c
        self.fc = nn.Linear(64, classes)
        self.drop = nn.Dropout(0.2)

    def forward(self, x):
        x = self.stem(x)
        for down, a, b in self.stages:
            x = down(x)
            x = F.relu(x + b(a(x)))
        return self.fc(self.drop(x.mean((2, 3))))


class WrnBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1, self.conv1 = nn.BatchNorm2d(cin, eps=1e-3), nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2, self.conv2 = nn.BatchNorm2d(cout, eps=1e-3), nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.proj = None if stride == 1 and cin == cout else nn.Conv2d(cin, cout, 1, stride, 0, bias=False)

    def forward(self, x):
        pre = F.relu(self.bn1(x))
        h = self.conv2(F.relu(self.bn2(self.conv1(pre))))
        return (x if self.proj is None else self.proj(pre)) + h


class Wrn(nn.Module):
    """libs/ml/src/models/wrn.ts: WRN-28-k, pre-activation basic blocks, 4 per group."""
    def __init__(self, k=2, cin=3, classes=10):
        super().__init__()
        self.stem = nn.Conv2d(cin, 16, 3, 1, 1, bias=False)
        blocks, c_prev = [], 16
        for g, c in enumerate([16 * k, 32 * k, 64 * k]):
            for i in range(4):
                blocks.append(WrnBlock(c_prev, c, 2 if i == 0 and g > 0 else 1))
                c_prev = c
        self.blocks = nn.Sequential(*blocks)
        self.bn = nn.BatchNorm2d(c_prev, eps=1e-3)
        self.fc = nn.Linear(c_prev, classes)
        self.drop = nn.Dropout(0.2)

    def forward(self, x):
        x = F.relu(self.bn(self.blocks(self.stem(x))))
        return self.fc(self.drop(x.mean((2, 3))))


class MBConv(nn.Module):
    def __init__(self, cin, cout, k, stride, e):
        super().__init__()
        mid = cin * e
        self.expand = None if e == 1 else nn.Sequential(nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid, eps=1e-3), nn.SiLU())
        self.dw = nn.Sequential(nn.Conv2d(mid, mid, k, stride, k // 2, groups=mid, bias=False), nn.BatchNorm2d(mid, eps=1e-3), nn.SiLU())
        sq = max(1, int(cin * 0.25))
        self.se_reduce, self.se_expand = nn.Conv2d(mid, sq, 1), nn.Conv2d(sq, mid, 1)
        self.project = nn.Sequential(nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout, eps=1e-3))
        self.skip = stride == 1 and cin == cout

    def forward(self, x):
        h = x if self.expand is None else self.expand(x)
        h = self.dw(h)
        s = torch.sigmoid(self.se_expand(F.silu(self.se_reduce(h.mean((2, 3), keepdim=True)))))
        h = self.project(h * s)
        return x + h if self.skip else h


class EfficientNetB0Small(nn.Module):
    """libs/ml/src/models/efficientnet.ts, B0, small-image variant: stages 2 and 3 with stride 1."""
    STAGES = [(1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
              (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320)]

    def __init__(self, cin=3, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(cin, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32, eps=1e-3), nn.SiLU())
        blocks = []
        for idx, (r, k, s, e, i, o) in enumerate(self.STAGES):
            s = 1 if idx in (1, 2) else s
            for j in range(r):
                blocks.append(MBConv(i if j == 0 else o, o, k, s if j == 0 else 1, e))
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Sequential(nn.Conv2d(320, 1280, 1, bias=False), nn.BatchNorm2d(1280, eps=1e-3), nn.SiLU())
        self.fc = nn.Linear(1280, classes)
        self.drop = nn.Dropout(0.2)

    def forward(self, x):
        return self.fc(self.drop(self.head(self.blocks(self.stem(x))).mean((2, 3))))


MODELS = {'cnn-small': (SmallCnn, (1, 28, 28)), 'wrn-28-2': (lambda: Wrn(2), (3, 32, 32)), 'efficientnet-b0': (EfficientNetB0Small, (3, 32, 32))}


def measure(name, train_batch, predict_batch, iters):
    make, shape = MODELS[name]
    torch.manual_seed(0)
    model = make()
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    x = torch.rand(predict_batch, *shape)
    model.eval()
    with torch.no_grad():
        model(x)  # warm-up
        t = time.perf_counter()
        for _ in range(iters):
            model(x)
        predict = predict_batch * iters / (time.perf_counter() - t)
    model.train()
    opt = torch.optim.RMSprop(model.parameters(), lr=0.016 * train_batch / 256, alpha=0.9, momentum=0.9, eps=1e-3, weight_decay=0)
    ema = copy.deepcopy(model)
    xb, yb = torch.rand(train_batch, *shape), torch.arange(train_batch) % 10

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(xb), yb, label_smoothing=0.1)
        loss.backward()
        opt.step()
        with torch.no_grad():
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.mul_(0.9999).add_(pm, alpha=1 - 0.9999)

    step()  # warm-up
    t = time.perf_counter()
    for _ in range(iters):
        step()
    train = train_batch * iters / (time.perf_counter() - t)
    return {'train': train, 'predict': predict, 'parameters': params}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--models', default='cnn-small,wrn-28-2,efficientnet-b0')
    ap.add_argument('--train-batch', default='cnn-small=128,wrn-28-2=128,efficientnet-b0=32')
    ap.add_argument('--predict-batch', type=int, default=256)
    ap.add_argument('--iters', type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    batches = dict(kv.split('=') for kv in a.train_batch.split(','))
    out = {'torch': torch.__version__, 'threads': a.threads, 'mkldnn': torch.backends.mkldnn.is_available(), 'models': {}}
    for name in a.models.split(','):
        out['models'][name] = measure(name, int(batches[name]), a.predict_batch, a.iters)
    print(json.dumps(out))


if __name__ == '__main__':
    main()
