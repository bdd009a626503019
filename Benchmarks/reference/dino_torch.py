"""DINO in PyTorch, line for line with DINO in Swift: the method of Caron et al. (2021) as a PyTorch user
writes it, with timm's ViT as the backbone and the head, loss and loop of the authors' main_dino.py.
The book's page "DINO in PyTorch, line for line" (book/pytorch-line-for-line.md) quotes it beside the Swift.

    python3 Benchmarks/reference/dino_torch.py --epochs 10 --train-subset 7680             # B1, one process
    torchrun --nproc_per_node 2 Benchmarks/reference/dino_torch.py --epochs 10 ...          # data-parallel (gloo)
    python3 Benchmarks/reference/dino_torch.py --replay bridge.safetensors --output out.safetensors

The third form runs the steps a Swift run exported (crops, initial weights, configuration) and writes what
each step gave; `PyTorchBridgeTests` compares it with the Swift trainer. Needs torch, torchvision, timm and
safetensors (Tools/torch-venv.sh makes an environment with them).
"""
import argparse, contextlib, gzip, json, math, os, sys, time, warnings

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
import timm.models.vision_transformer as vision_transformer
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torchvision.transforms import v2 as T

warnings.filterwarnings("ignore", message=".*weight_norm.* is deprecated")  # the authors' weight_norm, kept for their names


# snippet.torch-augmentation
def multi_crop(global_size, local_size, local_crops, global_scale, local_scale, blur, solarize, mean, std):
    """DINO's DataAugmentationDINO for one-channel images: image (1, H, W) in [0, 1] -> [global 1, global 2, locals]."""
    flip_and_jitter = T.Compose([T.RandomHorizontalFlip(p=0.5),
                                 T.RandomApply([T.ColorJitter(brightness=0.4, contrast=0.4)], p=0.8)])
    kernel = max(3, round(global_size / 10) | 1)
    def gaussian_blur(p): return T.RandomApply([T.GaussianBlur(kernel, sigma=(0.1, 2.0))], p=p)
    def crop(size, scale): return T.RandomResizedCrop(size, scale=scale, interpolation=T.InterpolationMode.BICUBIC)
    normalize = T.Normalize([mean], [std])
    global1 = T.Compose([crop(global_size, global_scale), flip_and_jitter, gaussian_blur(blur[0]), normalize])
    global2 = T.Compose([crop(global_size, global_scale), flip_and_jitter, gaussian_blur(blur[1]),
                         T.RandomSolarize(128 / 255, p=solarize), normalize])
    local = T.Compose([crop(local_size, local_scale), flip_and_jitter, gaussian_blur(blur[2]), normalize])
    return lambda image: [global1(image), global2(image)] + [local(image) for _ in range(local_crops)]
# snippet.end


def fashion_mnist(folder, split, limit=None):
    """Images (N, 1, 28, 28) in [0, 1] and labels (N,) from the IDX files of Debian's dataset-fashion-mnist."""
    prefix = "train" if split == "train" else "t10k"
    pixels = np.frombuffer(gzip.open(f"{folder}/{prefix}-images-idx3-ubyte.gz").read()[16:], np.uint8)
    labels = np.frombuffer(gzip.open(f"{folder}/{prefix}-labels-idx1-ubyte.gz").read()[8:], np.uint8)
    images = torch.tensor(pixels.reshape(-1, 1, 28, 28)[:limit].astype(np.float32) / 255)
    return images, torch.tensor(labels[:limit].astype(np.int64))


class Crops(torch.utils.data.Dataset):
    def __init__(self, images, augment): self.images, self.augment = images, augment
    def __len__(self): return len(self.images)
    def __getitem__(self, index): return self.augment(self.images[index])


# snippet.torch-position-embedding
def dino_resample_abs_pos_embed(posemb, new_size, old_size=None, num_prefix_tokens=1, **_):
    """DINO's rule for a local crop's patch grid: the CLS entry kept, the grid resampled bicubically with
    scale factor (n + 0.1) / N, no antialiasing (the authors' interpolate_pos_encoding)."""
    prefix, grid = posemb[:, :num_prefix_tokens], posemb[:, num_prefix_tokens:]
    side, (height, width), dim = int(math.sqrt(grid.shape[1])), new_size, grid.shape[-1]
    if (height, width) == (side, side):
        return posemb
    grid = grid.reshape(1, side, side, dim).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, scale_factor=((height + 0.1) / side, (width + 0.1) / side), mode="bicubic", align_corners=False)
    return torch.cat([prefix, grid.permute(0, 2, 3, 1).reshape(1, -1, dim)], dim=1)


vision_transformer.resample_abs_pos_embed = dino_resample_abs_pos_embed  # timm's own resample antialiases
# snippet.end


# snippet.torch-head
class DINOHead(nn.Module):
    """MLP to the bottleneck, L2 normalisation, then a weight-normalised linear layer to K outputs."""
    def __init__(self, in_dim, out_dim, hidden_dim, bottleneck_dim, norm_last_layer=True):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(in_dim, hidden_dim), nn.GELU(), nn.Linear(hidden_dim, hidden_dim), nn.GELU(),
                                 nn.Linear(hidden_dim, bottleneck_dim))
        for layer in self.mlp[::2]:
            nn.init.trunc_normal_(layer.weight, std=0.02)
            nn.init.zeros_(layer.bias)
        self.last_layer = nn.utils.weight_norm(nn.Linear(bottleneck_dim, out_dim, bias=False))  # W = g v / |v|
        self.last_layer.weight_g.data.fill_(1)
        self.last_layer.weight_g.requires_grad = not norm_last_layer  # g = 1: each output's weights a unit vector

    def forward(self, x):
        return self.last_layer(F.normalize(self.mlp(x), dim=-1))
# snippet.end


# snippet.torch-multi-crop
class BackboneWithHead(nn.Module):
    """One backbone pass per crop size (the authors' MultiCropWrapper), then the head on all CLS features."""
    def __init__(self, backbone, head):
        super().__init__()
        self.backbone, self.head = backbone, head

    def forward(self, crops):
        sizes = [crop.shape[-1] for crop in crops]
        ends = [i + 1 for i in range(len(crops)) if i + 1 == len(crops) or sizes[i + 1] != sizes[i]]
        starts = [0] + ends[:-1]
        features = [self.backbone(torch.cat(crops[start:end])) for start, end in zip(starts, ends)]
        return self.head(torch.cat(features))
# snippet.end


# snippet.torch-model
def dino_model(a):
    """Student and teacher: timm's ViT (CLS feature after the final norm) and the head; the teacher starts
    as the student's copy, without DropPath, and never gets a gradient."""
    def make(drop_path_rate):
        backbone = vision_transformer.VisionTransformer(
            img_size=a.image_size, patch_size=a.patch_size, in_chans=1, num_classes=0, embed_dim=a.dim, depth=a.depth,
            num_heads=a.heads, mlp_ratio=4, qkv_bias=True, drop_path_rate=drop_path_rate, dynamic_img_size=True)
        nn.init.trunc_normal_(backbone.cls_token, std=0.02)  # DINO's; timm starts it at 1e-6
        return BackboneWithHead(backbone, DINOHead(a.dim, a.out_dim, a.hidden_dim, a.bottleneck_dim, a.norm_last_layer))
    student, teacher = make(a.drop_path_rate), make(0.0)
    teacher.load_state_dict(student.state_dict())
    for p in teacher.parameters():
        p.requires_grad = False
    return student, teacher
# snippet.end


# snippet.torch-loss
class DINOLoss(nn.Module):
    """Eq. 1-3: cross-entropy between the centred, sharpened teacher and the student, over every pair of a
    global crop (teacher) and another crop (student); the centre an EMA of the teacher's mean output."""
    def __init__(self, out_dim, teacher_temps, student_temp=0.1, center_momentum=0.9):
        super().__init__()
        self.teacher_temps, self.student_temp, self.center_momentum = teacher_temps, student_temp, center_momentum
        self.register_buffer("center", torch.zeros(1, out_dim))

    def forward(self, student_output, teacher_output, epoch, crops):
        student_logs = F.log_softmax(student_output / self.student_temp, dim=-1).chunk(crops)
        teacher_probs = F.softmax((teacher_output - self.center) / self.teacher_temps[epoch], dim=-1).detach().chunk(2)
        pairs = [(q, v) for q in range(2) for v in range(crops) if v != q]  # same-view pairs skipped
        loss = sum(torch.sum(-teacher_probs[q] * student_logs[v], dim=-1).mean() for q, v in pairs) / len(pairs)
        self.update_center(teacher_output)
        return loss

    @torch.no_grad()
    def update_center(self, teacher_output):
        batch_center = teacher_output.sum(dim=0, keepdim=True)
        world = dist.get_world_size() if dist.is_initialized() else 1
        if world > 1:
            dist.all_reduce(batch_center)
        self.center = self.center * self.center_momentum + batch_center / (len(teacher_output) * world) * (1 - self.center_momentum)
# snippet.end


# snippet.torch-schedules
def cosine_scheduler(base, final, epochs, per_epoch, warmup_epochs=0, start_warmup=0.0):
    """One value per iteration: linear warm-up from start_warmup to base, then a cosine from base to final."""
    warmup = np.linspace(start_warmup, base, warmup_epochs * per_epoch) if warmup_epochs > 0 else np.array([])
    iterations = np.arange(epochs * per_epoch - warmup_epochs * per_epoch)
    return np.concatenate((warmup, final + 0.5 * (base - final) * (1 + np.cos(np.pi * iterations / len(iterations)))))


def parameter_groups(model):
    """Weight decay on weights only: none on biases and other 1-D parameters."""
    trained = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    return [{"params": [p for n, p in trained if not (n.endswith(".bias") or p.ndim == 1)]},
            {"params": [p for n, p in trained if n.endswith(".bias") or p.ndim == 1], "weight_decay": 0.0}]
# snippet.end


class DINO:
    """The student, the teacher, the loss and AdamW, and one training step at a time."""
    def __init__(self, student, teacher, a, per_epoch, world=1):
        self.student, self.teacher, self.a = student, teacher, a
        self.module = student.module if isinstance(student, nn.parallel.DistributedDataParallel) else student
        temps = np.concatenate((np.linspace(a.warmup_teacher_temp, a.teacher_temp, a.warmup_teacher_temp_epochs),
                                np.ones(max(0, a.epochs - a.warmup_teacher_temp_epochs)) * a.teacher_temp))
        self.loss = DINOLoss(a.out_dim, temps, a.student_temp, a.center_momentum)
        self.optimizer = torch.optim.AdamW(parameter_groups(self.module), lr=0.0, betas=(0.9, 0.999), eps=1e-8)
        self.lrs = cosine_scheduler(a.lr * a.batch_size / 256, a.min_lr, a.epochs, per_epoch, a.warmup_epochs)
        self.wds = cosine_scheduler(a.weight_decay, a.weight_decay_end, a.epochs, per_epoch)
        self.momenta = cosine_scheduler(a.momentum_teacher, 1, a.epochs, per_epoch)
        # bf16: torch.autocast around the forward passes (softmax, log-softmax and reductions stay in float32)
        self.autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if a.precision == "bf16" else contextlib.nullcontext

    # snippet.torch-step
    def step(self, crops, iteration, epoch):
        """One step on a batch of crops (global crops first); returns the loss."""
        for index, group in enumerate(self.optimizer.param_groups):  # the schedules, per iteration
            group["lr"] = self.lrs[iteration]
            if index == 0:
                group["weight_decay"] = self.wds[iteration]
        with self.autocast():
            with torch.no_grad():
                teacher_output = self.teacher(crops[:2])  # the teacher sees the global crops only
            student_output = self.student(crops)
            loss = self.loss(student_output.float(), teacher_output.float(), epoch, len(crops))
        if not math.isfinite(loss.item()):
            sys.exit(f"the loss is {loss.item()} at iteration {iteration}: stopping")
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()  # autograd: every backward pass the Swift chapters write by hand (DDP averages here)
        for p in self.module.parameters():  # clipping: each parameter's gradient to norm clip_grad, not the global norm
            if p.grad is not None and (factor := self.a.clip_grad / (p.grad.norm() + 1e-6)) < 1:
                p.grad.mul_(factor)
        if epoch < self.a.freeze_last_layer:  # the last layer frozen: AdamW skips a parameter with no gradient
            for p in self.module.head.last_layer.parameters():
                p.grad = None
        self.optimizer.step()
        with torch.no_grad():  # the teacher: an exponential moving average of the student
            momentum = self.momenta[iteration]
            for p_student, p_teacher in zip(self.module.parameters(), self.teacher.parameters()):
                p_teacher.mul_(momentum).add_((1 - momentum) * p_student.detach())
        return loss.detach()
    # snippet.end


# snippet.torch-knn
@torch.no_grad()
def knn_accuracy(teacher, bank, bank_labels, queries, query_labels, k=20, temperature=0.07, classes=10):
    """Weighted k-NN on the teacher's L2-normalised CLS features (the authors' eval_knn.py), in percent."""
    def features(images): return F.normalize(torch.cat([teacher.backbone(c) for c in images.split(1000)]), dim=1)
    bank_features, correct = features(bank), 0
    for chunk, labels in zip(features(queries).split(1000), query_labels.split(1000)):
        similarity, index = (chunk @ bank_features.T).topk(k, dim=1)
        votes = torch.zeros(len(chunk), classes).scatter_add_(1, bank_labels[index], (similarity / temperature).exp())
        correct += (votes.argmax(dim=1) == labels).sum().item()
    return 100 * correct / len(query_labels)
# snippet.end


def train(a):
    distributed = "WORLD_SIZE" in os.environ  # launched by torchrun: one process per rank
    if distributed:
        dist.init_process_group("gloo")
    rank, world = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)
    torch.manual_seed(a.seed + rank)
    images, labels = fashion_mnist(a.data_path, "train", a.train_subset)
    augment = multi_crop(a.image_size, a.local_size, a.local_crops, a.global_scale, a.local_scale, a.blur, a.solarize, 0.2860, 0.3530)
    dataset = Crops(images, augment)
    sampler = torch.utils.data.DistributedSampler(dataset, seed=a.seed, drop_last=True) if distributed else torch.utils.data.RandomSampler(dataset)
    loader = torch.utils.data.DataLoader(dataset, batch_size=a.batch_size // world, sampler=sampler, drop_last=True,
                                         num_workers=a.workers, persistent_workers=a.workers > 0)
    student, teacher = dino_model(a)
    if distributed:
        student = nn.parallel.DistributedDataParallel(student)
    dino = DINO(student, teacher, a, len(loader), world)
    test_images, test_labels = fashion_mnist(a.data_path, "test", a.eval_test_subset)
    normalized = lambda x: (x - 0.2860) / 0.3530
    started = time.monotonic()
    metrics = open(a.metrics, "w") if a.metrics and rank == 0 else None
    for epoch in range(a.epochs):
        if distributed:
            sampler.set_epoch(epoch)
        for batch, crops in enumerate(loader):
            loss = dino.step(crops, epoch * len(loader) + batch, epoch)
        stop = torch.zeros(1)
        if rank == 0:
            knn = knn_accuracy(teacher, normalized(images[:a.eval_train_subset]), labels[:a.eval_train_subset],
                               normalized(test_images), test_labels)
            elapsed = time.monotonic() - started  # evaluation included, as the Swift trainer's elapsed_seconds
            record = {"type": "epoch", "epoch": epoch + 1, "iteration": (epoch + 1) * len(loader), "loss": round(loss.item(), 4),
                      "knn_top1": knn, "elapsed_seconds": round(elapsed, 2)}
            print(json.dumps(record), flush=True)
            if metrics:
                metrics.write(json.dumps(record) + "\n")
                metrics.flush()
            # A race ends at its target accuracy or its time limit, whichever comes first.
            stop[0] = (a.stop_at_knn > 0 and knn >= a.stop_at_knn) or (a.time_limit_minutes > 0 and elapsed >= 60 * a.time_limit_minutes)
        if distributed:
            dist.broadcast(stop, 0)
        if stop.item():
            break
    if rank == 0:
        save_file({n: p.contiguous() for n, p in teacher.backbone.state_dict().items()}, a.output)
    end(distributed)


def replay(a):
    """The steps of a Swift run (`PyTorchBridgeTests`): its configuration, initial weights and crops in;
    the loss, the schedules, the centre and every parameter after each step out."""
    distributed = "WORLD_SIZE" in os.environ
    if distributed:
        dist.init_process_group("gloo")
    rank, world = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)
    exported = load_file(a.replay)
    with safe_open(a.replay, "pt") as f:
        vars(a).update(json.loads(f.metadata()["configuration"]))
    student, teacher = dino_model(a)
    initial = {n[len("init."):]: t for n, t in exported.items() if n.startswith("init.")}
    student.load_state_dict(initial)
    teacher.load_state_dict(initial)
    dino = DINO(nn.parallel.DistributedDataParallel(student) if distributed else student, teacher, a, a.steps_per_epoch, world)
    out = {}
    for step in range(a.steps):
        epoch, rows = step // a.steps_per_epoch, slice(rank * a.batch_size // world, (rank + 1) * a.batch_size // world)
        crops = [exported[f"step{step}.crop{v}"][rows] for v in range(2 + a.local_crops)]
        loss = dino.step(crops, step, epoch)
        if distributed:
            dist.all_reduce(loss)
        prefix = f"step{step}."
        out[prefix + "loss"] = (loss / world).reshape(1)
        out[prefix + "schedule"] = torch.tensor([dino.lrs[step], dino.wds[step], dino.momenta[step], dino.loss.teacher_temps[epoch]])
        out[prefix + "center"] = dino.loss.center.clone()
        out.update({prefix + "student." + n: p.detach().clone() for n, p in student.named_parameters()})
        out.update({prefix + "teacher." + n: p.detach().clone() for n, p in teacher.named_parameters()})
    if rank == 0:
        save_file({n: t.float().contiguous() for n, t in out.items()}, a.output)
    end(distributed)


def end(distributed):
    """Every rank waits for the others, leaves the process group, and exits at once. Python's own exit
    would free the DDP reducer, whose process group joins gloo's thread while that thread waits for the
    interpreter lock the exit holds: a deadlock (seen in CI with torch 2.13), or an abort ("terminate
    called without an active exception") when the threads are left running. Everything is written by then."""
    if distributed:
        dist.barrier()
        dist.destroy_process_group()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def arguments(argv=None):
    p = argparse.ArgumentParser(description="DINO in PyTorch, line for line with DINO in Swift (defaults: B1).")
    for flag, default in [("image_size", 28), ("patch_size", 4), ("dim", 192), ("depth", 6), ("heads", 3), ("out_dim", 4096),
                          ("hidden_dim", 2048), ("bottleneck_dim", 256), ("local_size", 12), ("local_crops", 6), ("batch_size", 64),
                          ("epochs", 10), ("warmup_epochs", 1), ("freeze_last_layer", 1), ("warmup_teacher_temp_epochs", 0),
                          ("train_subset", 7680), ("eval_train_subset", 60000), ("eval_test_subset", 10000), ("workers", 1),
                          ("seed", 0)]:
        p.add_argument("--" + flag.replace("_", "-"), type=int, default=default)
    for flag, default in [("lr", 0.0005), ("min_lr", 1e-6), ("weight_decay", 0.04), ("weight_decay_end", 0.4),
                          ("momentum_teacher", 0.996), ("teacher_temp", 0.04), ("warmup_teacher_temp", 0.04),
                          ("student_temp", 0.1), ("center_momentum", 0.9), ("clip_grad", 3.0), ("drop_path_rate", 0.1),
                          ("solarize", 0.2)]:
        p.add_argument("--" + flag.replace("_", "-"), type=float, default=default)
    p.add_argument("--global-scale", type=float, nargs=2, default=(0.4, 1.0))
    p.add_argument("--local-scale", type=float, nargs=2, default=(0.05, 0.4))
    p.add_argument("--blur", type=float, nargs=3, default=(1.0, 0.1, 0.5), help="probabilities: global 1, global 2, locals")
    p.add_argument("--no-norm-last-layer", dest="norm_last_layer", action="store_false")
    p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    p.add_argument("--data-path", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--replay", help="run the steps a Swift run exported (PyTorchBridgeTests) instead of training")
    p.add_argument("--output", default="teacher_backbone.safetensors")
    p.add_argument("--metrics", help="also write each epoch's record (k-NN, elapsed seconds) as a JSON line to this file")
    p.add_argument("--stop-at-knn", type=float, default=0, help="stop after the first epoch whose k-NN top-1 (%%) reaches this")
    p.add_argument("--time-limit-minutes", type=float, default=0, help="stop after the first epoch that ends past this")
    return p.parse_args(argv)


if __name__ == "__main__":
    args = arguments()
    replay(args) if args.replay else train(args)
