# SPDX-License-Identifier: BSD-3-Clause
"""Compact multi-task U-Net: tumour segmentation logits [1,1,S,S] + 4-class logits [1,4].

Only ONNX-friendly ops (Conv, BatchNormalization, Relu, Add, Concat, ConvTranspose,
GlobalAveragePool, Gemm, Flatten, Dropout), static shapes.  Downsampling is by strided conv,
upsampling by 2x2 stride-2 ConvTranspose, so no Resize/Pad surprises in the C engine.
"""
import torch
import torch.nn as nn

ALLOWED_OPS = {
    "Conv", "ConvTranspose", "BatchNormalization", "Relu", "LeakyRelu", "Clip", "Sigmoid",
    "HardSigmoid", "HardSwish", "Add", "Mul", "Concat", "MaxPool", "AveragePool",
    "GlobalAveragePool", "Resize", "Gemm", "MatMul", "Flatten", "Reshape", "Softmax",
    "Identity", "Constant", "Dropout",
}


def cbr(cin, cout, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class ResBlock(nn.Module):
    """Two 3x3 conv+BN with an identity shortcut (cheap, trains faster than a plain stack)."""

    def __init__(self, c):
        super().__init__()
        self.c1 = cbr(c, c)
        self.c2 = nn.Sequential(nn.Conv2d(c, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c))
        self.act = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.act(x + self.c2(self.c1(x)))


class Down(nn.Module):
    """Strided 3x3 conv + residual block."""
    def __init__(self, cin, cout):
        super().__init__()
        self.down = cbr(cin, cout, stride=2)
        self.res = ResBlock(cout)

    def forward(self, x):
        return self.res(self.down(x))


class Up(nn.Module):
    def __init__(self, cin, cskip, cout):
        super().__init__()
        # 1x1 conv at low resolution then nearest x2 (ONNX Resize, constant scales): much cheaper
        # on CPU than ConvTranspose, whose backward has no fast kernel in torch 1.13.
        self.proj = nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.fuse = cbr(cout + cskip, cout)

    def forward(self, x, skip):
        return self.fuse(torch.cat([self.up(self.proj(x)), skip], 1))


class SegHead(nn.Conv2d):
    """1x1 conv to one channel.  mkldnn is pathologically slow for out_channels=1 on CPU
    (~0.4 s per batch fwd+bwd), so in PyTorch it is computed as a weighted channel sum
    (same maths); only the ONNX export uses the plain Conv."""

    def __init__(self, cin):
        super().__init__(cin, 1, 1)

    def forward(self, x):
        if not torch.onnx.is_in_onnx_export():
            return (x * self.weight.view(1, -1, 1, 1)).sum(1, keepdim=True) + self.bias.view(1, 1, 1, 1)
        return super().forward(x)


class TumorNet(nn.Module):
    """widths: encoder channels per level (S, S/2 ... S/16); dec_widths: decoder channels at
    S/8, S/4, S/2, S (default: the encoder's, as in v2).  v3 widens the encoder, which the
    classification reads, and keeps the decoder thin, where full-resolution cost lives."""

    def __init__(self, widths=(12, 24, 48, 96, 192), n_classes=4, dropout=0.3, dec_widths=None):
        super().__init__()
        c = list(widths)
        dw = list(dec_widths) if dec_widths else [c[3], c[2], c[1], c[0]]
        self.widths = tuple(widths)
        self.dec_widths = tuple(dec_widths) if dec_widths else None
        # Full-resolution stem is a single thin conv: high-res layers dominate CPU training cost.
        self.stem = cbr(1, c[0])
        self.d1 = Down(c[0], c[1])   # S/2
        self.d2 = Down(c[1], c[2])   # S/4
        self.d3 = Down(c[2], c[3])   # S/8
        self.d4 = Down(c[3], c[4])   # S/16 bottleneck
        self.u3 = Up(c[4], c[3], dw[0])
        self.u2 = Up(dw[0], c[2], dw[1])
        self.u1 = Up(dw[1], c[1], dw[2])
        self.u0 = Up(dw[2], c[0], dw[3])
        self.seg = SegHead(dw[3])
        self.pool = nn.AdaptiveAvgPool2d(1)   # -> GlobalAveragePool
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(c[4] + c[3], n_classes)

    def encode(self, x):
        """Encoder features (S, S/2, S/4, S/8, S/16)."""
        s0 = self.stem(x)
        s1 = self.d1(s0)
        s2 = self.d2(s1)
        s3 = self.d3(s2)
        return s0, s1, s2, s3, self.d4(s3)

    # The encoder scales forward_features pools (the export's OOD description names them).
    OOD_SCALES = "S/4, S/8, S/16"

    def forward_features(self, x):
        """forward() plus the pooled encoder features of S/4, S/8, S/16 (the OOD score's input)."""
        s0, s1, s2, s3, b = self.encode(x)
        feat = torch.cat([torch.flatten(self.pool(s2), 1), torch.flatten(self.pool(s3), 1),
                          torch.flatten(self.pool(b), 1)], 1)
        seg, cls = self._heads(s0, s1, s2, s3, b)
        return seg, cls, feat

    def forward(self, x):
        return self._heads(*self.encode(x))

    def _heads(self, s0, s1, s2, s3, b):
        # Classification from the bottleneck plus the S/8 features (tumour texture at finer scale).
        feat = torch.cat([torch.flatten(self.pool(b), 1), torch.flatten(self.pool(s3), 1)], 1)
        cls = self.fc(self.drop(feat))
        y = self.u3(b, s3)
        y = self.u2(y, s2)
        y = self.u1(y, s1)
        y = self.u0(y, s0)
        return self.seg(y), cls


# v3 (model-v3): wider encoder, thin decoder; trained with progressive resizing to 192.
V3_WIDTHS = (16, 32, 64, 128, 256)
V3_DEC_WIDTHS = (96, 48, 24, 16)


class MBConv(nn.Module):
    """EfficientNet-Lite's inverted residual (no squeeze-excitation), with the parameter names of
    the published Lite0 state dict (_expand_conv/_bn0, _depthwise_conv/_bn1, _project_conv/_bn2)
    so that ImageNet weights load by name.  ReLU instead of Lite's ReLU6 (the C engine fuses
    ReLU into the convolution; training adapts to the unclipped range), and symmetric padding
    where TensorFlow's stride-2 "same" pads one more row/column at the end (a one-pixel shift
    that training absorbs)."""

    def __init__(self, cin, cout, k, stride, expand):
        super().__init__()
        mid = cin * expand
        self.expand = expand != 1
        if self.expand:
            self._expand_conv = nn.Conv2d(cin, mid, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(mid, eps=1e-3)
        self._depthwise_conv = nn.Conv2d(mid, mid, k, stride, k // 2, groups=mid, bias=False)
        self._bn1 = nn.BatchNorm2d(mid, eps=1e-3)
        self._project_conv = nn.Conv2d(mid, cout, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(cout, eps=1e-3)
        self.residual = stride == 1 and cin == cout
        self.act = nn.ReLU(inplace=True)

    def forward(self, x):
        y = self.act(self._bn0(self._expand_conv(x))) if self.expand else x
        y = self.act(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.residual else y


# EfficientNet-Lite0's blocks: (repeats, kernel, stride, expand, out channels), stem 32 at S/2.
LITE0_STAGES = ((1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80),
                (3, 5, 1, 6, 112), (4, 5, 2, 6, 192), (1, 3, 1, 6, 320))
# Encoder outputs the decoder reads: after blocks 0 (S/2, 16), 2 (S/4, 24), 4 (S/8, 40),
# 10 (S/16, 112) and 15 (S/32, 320).
LITE0_TAPS = (0, 2, 4, 10, 15)
# The encoder's parameters, the part the ImageNet state dict fills.
LITE0_ENCODER = ("_conv_stem", "_bn0", "_blocks.")
# EfficientNet-Lite's input normalisation (its builder: mean 127, std 128 on 0-255 pixels, the
# same for R, G and B, so summing the stem over colours is exact for a grey image): the
# one-channel image in [0, 1] is scaled like the images the ImageNet weights were trained on.
# (The first A/B runs of 2026-12-05 used ResNet's 0.449/0.226 instead; with BN in training
# mode right after the bias-free stem the two differ only at the zero-padded border.)
LITE0_MEAN, LITE0_STD = 127.0 / 255.0, 128.0 / 255.0


class LiteUNet(nn.Module):
    """EfficientNet-Lite0 encoder (optionally ImageNet-initialised: ImageNet A/B of model-v3)
    with TumorNet's thin decoder and heads.  Same interface as TumorNet (forward ->
    (seg logits at S, class logits); forward_features adds pooled S/8, S/16, S/32)."""

    def __init__(self, dec_widths=(96, 48, 24, 16), n_classes=4, dropout=0.3):
        super().__init__()
        self._conv_stem = nn.Conv2d(1, 32, 3, 2, 1, bias=False)
        self._bn0 = nn.BatchNorm2d(32, eps=1e-3)
        blocks, cin = [], 32
        for reps, k, stride, expand, cout in LITE0_STAGES:
            for r in range(reps):
                blocks.append(MBConv(cin, cout, k, stride if r == 0 else 1, expand))
                cin = cout
        self._blocks = nn.ModuleList(blocks)
        dw = list(dec_widths)
        self.u4 = Up(320, 112, dw[0])     # S/32 -> S/16
        self.u3 = Up(dw[0], 40, dw[1])    # -> S/8
        self.u2 = Up(dw[1], 24, dw[2])    # -> S/4
        self.u1 = Up(dw[2], 16, dw[3])    # -> S/2
        self.up0 = nn.Upsample(scale_factor=2, mode="nearest")
        self.u0 = cbr(dw[3], dw[3])       # S
        self.seg = SegHead(dw[3])
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(320 + 112, n_classes)
        self.act = nn.ReLU(inplace=True)

    def load_imagenet(self, state):
        """Loads the published Lite0 ImageNet state dict into the encoder (the RGB stem summed
        over its colour channels; encode() scales the grey image as Lite's ImageNet inputs
        were); returns the number of tensors loaded (every encoder tensor, or it raises)."""
        own = self.state_dict()
        enc = {k: v for k, v in state.items() if k.startswith(LITE0_ENCODER)}
        enc["_conv_stem.weight"] = state["_conv_stem.weight"].sum(1, keepdim=True)
        missing = [k for k in own if k.startswith(LITE0_ENCODER) and k not in enc]
        bad = [k for k, v in enc.items() if k not in own or own[k].shape != v.shape]
        if missing or bad:
            raise ValueError(f"Lite0 weights do not fit: missing {missing[:3]}, mismatched {bad[:3]}")
        own.update(enc)
        self.load_state_dict(own)
        return len(enc)

    def encode(self, x):
        # Mul and Add (not Sub/Div): the ops the export allows and the C engine fuses.
        x = x * (1.0 / LITE0_STD) + (-LITE0_MEAN / LITE0_STD)
        y = self.act(self._bn0(self._conv_stem(x)))
        taps = []
        for i, blk in enumerate(self._blocks):
            y = blk(y)
            if i in LITE0_TAPS:
                taps.append(y)
        return taps  # S/2, S/4, S/8, S/16, S/32

    def _heads(self, s1, s2, s3, s4, b):
        feat = torch.cat([torch.flatten(self.pool(b), 1), torch.flatten(self.pool(s4), 1)], 1)
        cls = self.fc(self.drop(feat))
        y = self.u4(b, s4)
        y = self.u3(y, s3)
        y = self.u2(y, s2)
        y = self.u1(y, s1)
        return self.seg(self.u0(self.up0(y))), cls

    def forward(self, x):
        return self._heads(*self.encode(x))

    OOD_SCALES = "S/8, S/16, S/32"

    def forward_features(self, x):
        s1, s2, s3, s4, b = self.encode(x)
        feat = torch.cat([torch.flatten(self.pool(s3), 1), torch.flatten(self.pool(s4), 1),
                          torch.flatten(self.pool(b), 1)], 1)
        seg, cls = self._heads(s1, s2, s3, s4, b)
        return seg, cls, feat


def build(config):
    """The network of a checkpoint's/manifest's architecture dict."""
    if config.get("arch") == "LiteUNet":
        return LiteUNet(dec_widths=tuple(config.get("dec_widths") or (96, 48, 24, 16)))
    return TumorNet(tuple(config["widths"]), dec_widths=config.get("dec_widths"))


class WithOOD(nn.Module):
    """A trained TumorNet plus an out-of-distribution score computed inside the graph, so that the
    C engine needs nothing new: the pooled encoder features of stages S/4, S/8 and S/16
    (GlobalAveragePool + Concat), whitened by a Gemm fitted on the training features (z-scored,
    projected on the top principal components, divided by their standard deviations), squared
    (Mul) and summed (Gemm with ones): a Mahalanobis distance in the principal subspace."""

    def __init__(self, net, weight, bias):
        super().__init__()
        self.net = net
        k = weight.shape[1]
        self.white = nn.Linear(weight.shape[0], k)
        self.white.weight.data = torch.as_tensor(weight.T, dtype=torch.float32).contiguous()
        self.white.bias.data = torch.as_tensor(bias, dtype=torch.float32)
        self.total = nn.Linear(k, 1)  # a zero bias keeps it one Gemm in the exported graph
        self.total.weight.data = torch.ones(1, k)
        self.total.bias.data = torch.zeros(1)

    def forward(self, x):
        seg, cls, feat = self.net.forward_features(x)
        z = self.white(feat)
        return seg, cls, self.total(z * z)


class Ensemble(nn.Module):
    """A deep ensemble of TumorNets exported as ONE graph: segmentation and class logits are the
    members' mean (Add + Mul by a constant), the OOD features are the members' pooled features
    side by side.  The C engine runs it like a single network; it costs the members' sum."""

    def __init__(self, nets):
        super().__init__()
        self.members = nn.ModuleList(nets)

    def forward_features(self, x):
        outs = [m.forward_features(x) for m in self.members]
        scale = 1.0 / len(outs)
        seg = sum(o[0] for o in outs) * scale
        cls = sum(o[1] for o in outs) * scale
        return seg, cls, torch.cat([o[2] for o in outs], 1)

    def forward(self, x):
        seg, cls, _ = self.forward_features(x)
        return seg, cls


def count_macs(model, size):
    """Multiply-accumulates of Conv/ConvTranspose/Linear for one [1,1,S,S] input."""
    macs = [0]

    def hook(m, inp, out):
        if isinstance(m, nn.Conv2d):
            k = m.kernel_size[0] * m.kernel_size[1] * (m.in_channels // m.groups)
            macs[0] += out.numel() * k
        elif isinstance(m, nn.ConvTranspose2d):
            macs[0] += inp[0].numel() * m.out_channels * m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, nn.Linear):
            macs[0] += m.in_features * m.out_features
    hs = [m.register_forward_hook(hook) for m in model.modules()
          if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear))]
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 1, size, size))
    for h in hs:
        h.remove()
    return macs[0]


if __name__ == "__main__":
    import time
    torch.set_num_threads(2)
    m = TumorNet()
    print("params", sum(p.numel() for p in m.parameters()), "GMAC", count_macs(m, 128) / 1e9)
    m.train()
    opt = torch.optim.AdamW(m.parameters(), 1e-3)
    for bs in (32,):
        x = torch.rand(bs, 1, 128, 128)
        for i in range(4):
            t = time.time()
            s, c = m(x)
            (s.mean() + c.mean()).backward()
            opt.step(); opt.zero_grad()
            print(bs, f"{(time.time() - t) / bs * 1000:.1f} ms/img train")
