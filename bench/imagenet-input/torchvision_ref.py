#!/usr/bin/env python3
"""torchvision reference for bench/imagenet-input: the standard ImageNet training input,
RandomResizedCrop(224) + RandomHorizontalFlip + ToTensor + Normalize over PIL decoding (Pillow
with libjpeg-turbo), batched by a DataLoader. --threads 1 decodes in the main process; --threads
N > 1 uses N DataLoader worker processes, each single-threaded. Prints one JSON object with wall
time and CPU time (this process plus its reaped workers). --stages instead times each stage added
on top of the one before, in this one process, best of --rounds rounds of --per pictures (as
stages.ts does for ours).

    /usr/bin/python3 bench/imagenet-input/torchvision_ref.py --dir DIR --threads 1 --batch 32
    /usr/bin/python3 bench/imagenet-input/torchvision_ref.py --dir DIR --stages

Needs the Debian packages python3-torchvision and python3-pil.
"""
import argparse, io, json, os, resource, time
import torch
import torchvision
from torchvision import transforms
from PIL import Image


class Jpegs(torch.utils.data.Dataset):
    def __init__(self, blobs, tf):
        self.blobs, self.tf = blobs, tf

    def __len__(self):
        return len(self.blobs)

    def __getitem__(self, i):
        return self.tf(Image.open(io.BytesIO(self.blobs[i])).convert('RGB')), i % 1000


def cpu_seconds():
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def one_pass(blobs, threads, batch, tf):
    loader = torch.utils.data.DataLoader(
        Jpegs(blobs, tf), batch_size=batch, shuffle=False, num_workers=0 if threads == 1 else threads,
        worker_init_fn=lambda _: torch.set_num_threads(1))
    n = 0
    for x, _ in loader:
        n += x.shape[0]
    del loader  # workers exit here, so RUSAGE_CHILDREN counts them
    return n


def stages(blobs, rounds, per):
    normalise = transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    rrc, flip, to_tensor = transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(), transforms.ToTensor()
    decode = lambda b: Image.open(io.BytesIO(b)).convert('RGB')
    steps = {
        'JPEG decode (whole picture)': decode,
        '+ RandomResizedCrop(224)': lambda b: rrc(decode(b)),
        '+ flip': lambda b: flip(rrc(decode(b))),
        '+ ToTensor, Normalize': lambda b: normalise(to_tensor(flip(rrc(decode(b))))),
    }
    self_cpu = lambda: sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
    per = min(per, len(blobs))
    best = {}
    for r in range(rounds):
        for name, f in steps.items():
            start = (r * per) % (len(blobs) - per + 1)
            for b in blobs[start:start + 8]:
                f(b)
            c0 = self_cpu()
            for b in blobs[start:start + per]:
                f(b)
            best[name] = min(best.get(name, float('inf')), (self_cpu() - c0) * 1000 / per)
    print(json.dumps({'impl': 'torchvision+PIL', 'cpuMsPerPicture': best}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dir', required=True)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--limit', type=int, default=0)
    ap.add_argument('--stages', action='store_true')
    ap.add_argument('--rounds', type=int, default=6)
    ap.add_argument('--per', type=int, default=128)
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    names = sorted(f for f in os.listdir(a.dir) if f.endswith('.jpg'))
    if a.limit:
        names = names[:a.limit]
    blobs = [open(os.path.join(a.dir, f), 'rb').read() for f in names]
    if a.stages:
        return stages(blobs, a.rounds, a.per)
    tf = transforms.Compose([
        transforms.RandomResizedCrop(224),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
    ])
    one_pass(blobs[:64], a.threads, a.batch, tf)  # warm-up: imports, worker start
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    n = one_pass(blobs, a.threads, a.batch, tf)
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    print(json.dumps({
        'impl': 'torchvision+PIL', 'threads': a.threads, 'images': n, 'wallSeconds': wall, 'cpuSeconds': cpu,
        'versions': {'torch': torch.__version__, 'torchvision': torchvision.__version__,
                     'pillow': Image.__version__},
    }))


if __name__ == '__main__':
    main()
