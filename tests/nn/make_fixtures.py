#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Exports the ONNX fixtures of the tsc_nn tests with PyTorch.

Run with Debian's interpreter (python3-torch 1.13, python3-onnx 1.12):

    /usr/bin/python3 tests/nn/make_fixtures.py [OUT_DIR]

For every fixture NAME it writes NAME.onnx (opset 13, static shapes) and
NAME.io: the fixed random inputs and the outputs PyTorch computed, as

    b"TSCIO1\\0\\0", u32 n_inputs, u32 n_outputs,
    then per tensor: u32 rank, i64 dims[rank], f32 data (little endian).

Weights and inputs are seeded, so re-running gives the same files.  Keep the
tensors small: the folder is committed.
"""
import io
import os
import struct
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import helper

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "fixtures")


def randomize(model, seed):
    """Random weights and BN statistics, so BN folding is really tested."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
            with torch.no_grad():
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.2)
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.2)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
    return model.eval()


def write_io(path, inputs, outputs):
    with open(path, "wb") as f:
        f.write(b"TSCIO1\0\0")
        f.write(struct.pack("<II", len(inputs), len(outputs)))
        for t in list(inputs) + list(outputs):
            a = np.ascontiguousarray(t.detach().numpy().astype(np.float32))
            f.write(struct.pack("<I", a.ndim))
            f.write(struct.pack("<%dq" % a.ndim, *a.shape))
            f.write(a.tobytes())


def export(name, model, inputs, n_out=1, fold=True, patch=None):
    model = model.eval()
    torch.manual_seed(1)
    buf = io.BytesIO()
    in_names = ["input%d" % i if len(inputs) > 1 else "input" for i in range(len(inputs))]
    out_names = ["output%d" % i if n_out > 1 else "output" for i in range(n_out)]
    torch.onnx.export(model, tuple(inputs), buf, opset_version=13, input_names=in_names,
                      output_names=out_names, do_constant_folding=fold)
    proto = onnx.load_from_string(buf.getvalue())
    if patch:
        patch(proto)
    onnx.checker.check_model(proto)
    with torch.no_grad():
        out = model(*inputs)
    if not isinstance(out, (tuple, list)):
        out = (out,)
    onnx.save(proto, os.path.join(OUT, name + ".onnx"))
    write_io(os.path.join(OUT, name + ".io"), inputs, out)
    ops = sorted({n.op_type for n in proto.graph.node})
    print("%-18s %s" % (name, " ".join(ops)))


def rnd(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


# ---- operator families ---------------------------------------------------

class ConvBasic(nn.Module):
    def __init__(s):
        super().__init__()
        s.a = nn.Conv2d(3, 8, 3, padding=1)
        s.b = nn.Conv2d(8, 8, 3, stride=2, padding=2, dilation=2, bias=False)
        s.c = nn.Conv2d(8, 4, (1, 3), stride=(1, 2), padding=(0, 1))

    def forward(s, x):
        return s.c(s.b(s.a(x)))


class ConvGroups(nn.Module):
    def __init__(s):
        super().__init__()
        s.g = nn.Conv2d(8, 16, 3, padding=1, groups=4)
        s.dw = nn.Conv2d(16, 16, 5, stride=2, padding=2, groups=16)
        s.dw2 = nn.Conv2d(16, 32, 3, padding=1, groups=16)  # channel multiplier 2

    def forward(s, x):
        return s.dw2(s.dw(s.g(x)))


class ConvSame(nn.Module):
    """Exported with explicit pads, then rewritten to auto_pad below."""
    def __init__(s):
        super().__init__()
        s.u = nn.Conv2d(4, 6, 4, stride=2)
        s.l = nn.Conv2d(4, 6, 4, stride=2)

    def forward(s, x):
        # in 15, k 4, s 2: out 8, total pad 3; SAME_UPPER (1, 2), SAME_LOWER (2, 1)
        return s.u(F.pad(x, (1, 2, 1, 2))), s.l(F.pad(x, (2, 1, 2, 1)))


def patch_same(proto):
    g = proto.graph
    convs = [n for n in g.node if n.op_type == "Conv"]
    pads = [n for n in g.node if n.op_type == "Pad"]
    for conv, mode in zip(convs, ["SAME_UPPER", "SAME_LOWER"]):
        pad = next(p for p in pads if p.output[0] == conv.input[0])
        conv.input[0] = pad.input[0]
        for a in list(conv.attribute):
            if a.name == "pads":
                conv.attribute.remove(a)
        conv.attribute.append(helper.make_attribute("auto_pad", mode))
    for p in pads:
        g.node.remove(p)
    used = {i for n in g.node for i in n.input}
    for n in [n for n in g.node if n.op_type == "Constant" and n.output[0] not in used]:
        g.node.remove(n)


class ConvTransposeNet(nn.Module):
    def __init__(s):
        super().__init__()
        s.a = nn.ConvTranspose2d(8, 4, 2, stride=2)
        s.b = nn.ConvTranspose2d(4, 4, 3, stride=2, padding=1, output_padding=1)
        s.c = nn.ConvTranspose2d(4, 6, 3, padding=1, groups=2, bias=False)

    def forward(s, x):
        return s.c(s.b(s.a(x)))


class BatchNormNet(nn.Module):
    def __init__(s):
        super().__init__()
        s.bn_in = nn.BatchNorm2d(3)
        s.conv = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        s.bn = nn.BatchNorm2d(8)
        s.up = nn.ConvTranspose2d(8, 8, 2, stride=2)
        s.bn_up = nn.BatchNorm2d(8)

    def forward(s, x):
        y = F.relu(s.bn(s.conv(s.bn_in(x))))
        return s.bn_up(s.up(y))


class Activations(nn.Module):
    def __init__(s):
        super().__init__()
        s.conv = nn.Conv2d(4, 4, 3, padding=1)
        s.acts = nn.ModuleList([nn.ReLU(), nn.LeakyReLU(0.1), nn.ReLU6(), nn.Sigmoid(),
                                nn.Hardsigmoid(), nn.Hardswish(), nn.Tanh(), nn.ELU(0.7)])
        s.convs = nn.ModuleList([nn.Conv2d(4, 4, 1) for _ in s.acts])

    def forward(s, x):
        outs = []
        for act, conv in zip(s.acts, s.convs):
            outs.append(act(conv(x)))      # fused into the convolution
            outs.append(act(x))            # standalone on the graph input
        outs.append(torch.clamp(s.conv(x), -0.5, 0.25))
        return tuple(outs)


class Broadcast(nn.Module):
    """SE block plus scalar and per-channel broadcasting."""
    def __init__(s):
        super().__init__()
        s.conv = nn.Conv2d(8, 8, 3, padding=1)
        s.fc1 = nn.Conv2d(8, 4, 1)
        s.fc2 = nn.Conv2d(4, 8, 1)
        s.scale = nn.Parameter(rnd(1, 8, 1, 1, seed=5))
        s.shift = nn.Parameter(rnd(8, 1, 1, seed=6))

    def forward(s, x):
        y = s.conv(x)
        se = torch.sigmoid(s.fc2(F.relu(s.fc1(F.adaptive_avg_pool2d(y, 1)))))
        a = y * se
        b = se * y  # broadcast operand first
        c = (x - s.shift) / (s.scale.abs() + 1) * 0.5 + 1.0
        d = x + y
        return a, b, c, d


class ConcatNet(nn.Module):
    def __init__(s):
        super().__init__()
        s.a = nn.Conv2d(3, 8, 3, padding=1)
        s.b = nn.Conv2d(3, 5, 3, padding=1)
        s.c = nn.Conv2d(16, 16, 1)

    def forward(s, x):
        a, b = s.a(x), s.b(x)
        y = torch.cat([a, b, x], 1)          # 16 channels, mixed sizes
        z = torch.cat([s.c(y), a, a], 1)     # blocked inputs
        return y, z


class Pooling(nn.Module):
    def forward(s, x):
        return (F.max_pool2d(x, 3, 2, 1), F.max_pool2d(x, 2, ceil_mode=True),
                F.avg_pool2d(x, 3, 2, 1, count_include_pad=True),
                F.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
                F.avg_pool2d(x, 2, ceil_mode=True, count_include_pad=False),
                F.adaptive_avg_pool2d(x, 1), F.adaptive_max_pool2d(x, 1))


class ResizeNet(nn.Module):
    def __init__(s):
        super().__init__()
        s.conv = nn.Conv2d(3, 16, 3, padding=1)

    def forward(s, x):
        y = s.conv(x)
        return (F.interpolate(y, scale_factor=2, mode="nearest"),
                F.interpolate(y, size=(23, 19), mode="nearest"),
                F.interpolate(y, scale_factor=2, mode="bilinear", align_corners=False),
                F.interpolate(y, size=(23, 19), mode="bilinear", align_corners=True),
                F.interpolate(y, size=(9, 29), mode="bilinear", align_corners=False),
                F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False))


def patch_pytorch_half_pixel(proto):
    # PyTorch 1.13 writes half_pixel for align_corners=False; the two agree
    # whenever the output has more than one pixel, so also test this spelling.
    for n in proto.graph.node:
        if n.op_type == "Resize":
            for a in n.attribute:
                if a.name == "coordinate_transformation_mode" and a.s == b"half_pixel":
                    a.s = b"pytorch_half_pixel"
                    return


class Head(nn.Module):
    """Gemm/Flatten/Reshape/MatMul/Transpose/Softmax, exported without folding
    so that the Shape/Gather/Unsqueeze/Concat chain reaches the engine."""
    def __init__(s):
        super().__init__()
        s.conv = nn.Conv2d(3, 16, 3, padding=1)
        s.fc = nn.Linear(16, 10)
        s.fc2 = nn.Linear(10, 4, bias=False)
        s.w = nn.Parameter(rnd(12, 5, seed=7))

    def forward(s, x):
        y = s.conv(x)
        g = F.adaptive_avg_pool2d(y, 1)
        v = g.view(g.size(0), -1)
        logits = s.fc2(F.relu(s.fc(v)))
        t = torch.flatten(y, 2)                 # [1, 16, 144]
        m = torch.matmul(t.transpose(1, 2), y.mean((2, 3)).unsqueeze(2))  # [1, 144, 1]
        r = x.reshape(1, 3, 12, 12).permute(0, 2, 3, 1).reshape(1, 144, 3)
        q = torch.matmul(y[:, :3, :, :].flatten(2).transpose(1, 2)[:, :, :3].reshape(1, 12, 36)[:, :, :12], s.w)
        return logits.softmax(1), m.squeeze(2), r, F.softmax(q, -1)


class Misc(nn.Module):
    def __init__(s):
        super().__init__()
        s.conv = nn.Conv2d(3, 4, 3)

    def forward(s, x):
        y = s.conv(x)
        p = F.pad(y, (1, 2, 0, 1), value=0.5)
        u = torch.unsqueeze(p, 0).squeeze(0)
        return p, u.permute(0, 2, 3, 1), torch.flatten(y, 1)


def patch_identity_dropout(proto):
    # Eval-mode exports drop Dropout; put an Identity and a Dropout back in.
    g = proto.graph
    first = g.node[0]
    src = first.input[0]
    first.input[0] = "ident_out"
    g.node.insert(0, helper.make_node("Identity", [src], ["ident_out"], name="ident"))
    last = g.output[0].name
    for n in g.node:
        for i, name in enumerate(n.output):
            if name == last:
                n.output[i] = "pre_drop"
        for i, name in enumerate(n.input):
            if name == last:
                n.input[i] = "pre_drop"
    g.node.append(helper.make_node("Dropout", ["pre_drop"], [last], name="drop"))


# ---- small networks ----------------------------------------------------------

def conv_bn_relu(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


class UNetSmall(nn.Module):
    def __init__(s, c=8, classes=3, labels=4):
        super().__init__()
        s.e1 = nn.Sequential(conv_bn_relu(1, c), conv_bn_relu(c, c))
        s.e2 = nn.Sequential(conv_bn_relu(c, 2 * c), conv_bn_relu(2 * c, 2 * c))
        s.e3 = nn.Sequential(conv_bn_relu(2 * c, 4 * c), conv_bn_relu(4 * c, 4 * c))
        s.up2 = nn.ConvTranspose2d(4 * c, 2 * c, 2, stride=2)
        s.d2 = nn.Sequential(conv_bn_relu(4 * c, 2 * c), conv_bn_relu(2 * c, 2 * c))
        s.red1 = nn.Conv2d(2 * c, c, 1)
        s.d1 = nn.Sequential(conv_bn_relu(2 * c, c), conv_bn_relu(c, c))
        s.seg = nn.Conv2d(c, classes, 1)
        s.cls = nn.Sequential(nn.Linear(4 * c, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, labels))

    def forward(s, x):
        x1 = s.e1(x)
        x2 = s.e2(F.max_pool2d(x1, 2))
        x3 = s.e3(F.max_pool2d(x2, 2))
        y2 = s.d2(torch.cat([s.up2(x3), x2], 1))
        u1 = F.interpolate(s.red1(y2), scale_factor=2, mode="bilinear", align_corners=False)
        y1 = s.d1(torch.cat([u1, x1], 1))
        cls = s.cls(torch.flatten(F.adaptive_avg_pool2d(x3, 1), 1))
        return s.seg(y1), cls


class BasicBlock(nn.Module):
    def __init__(s, cin, cout, stride):
        super().__init__()
        s.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        s.b1 = nn.BatchNorm2d(cout)
        s.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        s.b2 = nn.BatchNorm2d(cout)
        s.down = None
        if stride != 1 or cin != cout:
            s.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(s, x):
        idn = x if s.down is None else s.down(x)
        y = F.relu(s.b1(s.c1(x)))
        return F.relu(s.b2(s.c2(y)) + idn)


class ResNetish(nn.Module):
    def __init__(s):
        super().__init__()
        s.stem = nn.Sequential(nn.Conv2d(3, 16, 7, 2, 3, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                               nn.MaxPool2d(3, 2, 1))
        s.l1 = BasicBlock(16, 16, 1)
        s.l2 = BasicBlock(16, 32, 2)
        s.fc = nn.Linear(32, 5)

    def forward(s, x):
        y = s.l2(s.l1(s.stem(x)))
        return s.fc(torch.flatten(F.adaptive_avg_pool2d(y, 1), 1))


class SE(nn.Module):
    def __init__(s, c, r):
        super().__init__()
        s.fc1 = nn.Conv2d(c, r, 1)
        s.fc2 = nn.Conv2d(r, c, 1)

    def forward(s, x):
        w = F.hardsigmoid(s.fc2(F.relu(s.fc1(F.adaptive_avg_pool2d(x, 1)))))
        return x * w


class InvertedResidual(nn.Module):
    def __init__(s, c, e):
        super().__init__()
        s.expand = nn.Sequential(nn.Conv2d(c, e, 1, bias=False), nn.BatchNorm2d(e), nn.Hardswish())
        s.dw = nn.Sequential(nn.Conv2d(e, e, 3, 1, 1, groups=e, bias=False), nn.BatchNorm2d(e),
                             nn.Hardswish())
        s.se = SE(e, 8)
        s.project = nn.Sequential(nn.Conv2d(e, c, 1, bias=False), nn.BatchNorm2d(c))

    def forward(s, x):
        return x + s.project(s.se(s.dw(s.expand(x))))


class MobileNetish(nn.Module):
    def __init__(s):
        super().__init__()
        s.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.Hardswish())
        s.dw = nn.Sequential(nn.Conv2d(16, 16, 3, 2, 1, groups=16, bias=False), nn.BatchNorm2d(16),
                             nn.ReLU6())
        s.b1 = InvertedResidual(16, 48)
        s.b2 = InvertedResidual(16, 64)
        s.head = nn.Sequential(nn.Linear(16, 12), nn.Hardswish(), nn.Linear(12, 3))

    def forward(s, x):
        y = s.b2(s.b1(s.dw(s.stem(x))))
        return s.head(torch.flatten(F.adaptive_avg_pool2d(y, 1), 1))


def tumornet_small():
    """The production network's layer pattern (training/model.py TumorNet: strided
    convs, residual blocks whose input is read twice, nearest Resize, concat,
    two GAP branches into one Gemm, a 1-channel head) at toy widths."""
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "training")
    if not os.path.exists(os.path.join(root, "model.py")):
        return None
    sys.path.insert(0, root)
    from model import TumorNet
    return TumorNet(widths=(4, 8, 12, 16, 24))


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    export("conv_basic", randomize(ConvBasic(), 1), [rnd(1, 3, 17, 19, seed=1)])
    export("conv_groups", randomize(ConvGroups(), 2), [rnd(1, 8, 16, 16, seed=2)])
    export("conv_same", randomize(ConvSame(), 3), [rnd(1, 4, 15, 15, seed=3)], n_out=2,
           patch=patch_same)
    export("conv_transpose", randomize(ConvTransposeNet(), 4), [rnd(1, 8, 6, 7, seed=4)])
    export("batchnorm", randomize(BatchNormNet(), 5), [rnd(1, 3, 12, 12, seed=5)])
    act = randomize(Activations(), 6)
    export("activations", act, [rnd(1, 4, 9, 9, seed=6) * 4], n_out=17)
    export("broadcast", randomize(Broadcast(), 7), [rnd(1, 8, 10, 10, seed=7)], n_out=4)
    export("concat", randomize(ConcatNet(), 8), [rnd(1, 3, 12, 12, seed=8)], n_out=2)
    export("pooling", Pooling(), [rnd(1, 5, 15, 13, seed=9)], n_out=7)
    export("resize", randomize(ResizeNet(), 10), [rnd(1, 3, 11, 13, seed=10)], n_out=6,
           patch=patch_pytorch_half_pixel)
    export("head", randomize(Head(), 11), [rnd(1, 3, 12, 12, seed=11)], n_out=4, fold=False)
    export("misc", randomize(Misc(), 12), [rnd(1, 3, 10, 9, seed=12)], n_out=3,
           patch=patch_identity_dropout)
    export("unet_small", randomize(UNetSmall(), 13), [rnd(1, 1, 32, 32, seed=13)], n_out=2)
    export("resnet_block", randomize(ResNetish(), 14), [rnd(1, 3, 32, 32, seed=14)])
    export("mobilenet_block", randomize(MobileNetish(), 15), [rnd(1, 3, 32, 32, seed=15)])
    tn = tumornet_small()
    if tn is not None:
        export("tumornet_small", randomize(tn, 16), [rnd(1, 1, 32, 32, seed=16)], n_out=2)


if __name__ == "__main__":
    main()
