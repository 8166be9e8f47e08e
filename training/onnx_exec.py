# SPDX-License-Identifier: BSD-3-Clause
"""Tiny interpreter for the ONNX op subset the C engine accepts, executed with torch ops.

onnxruntime is not installed here, so the exported .onnx file itself is executed with this
interpreter: to check the export against the PyTorch model (in float64) and to compute the
Python test metrics on the exported graph (float32).  It implements exactly the ops TumorNet
exports (plus a few trivial ones) and raises on anything else.
"""
import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper


def _attrs(node):
    out = {}
    for a in node.attribute:
        v = onnx.helper.get_attribute_value(a)
        out[a.name] = v.decode() if isinstance(v, bytes) else v
    return out


class OnnxExec:
    def __init__(self, path, dtype=torch.float32):
        self.model = onnx.load(path)
        self.dtype = dtype
        self.init = {}
        for t in self.model.graph.initializer:
            a = numpy_helper.to_array(t)
            self.init[t.name] = torch.from_numpy(a.copy()).to(dtype) if a.dtype.kind == "f" else torch.from_numpy(a.copy())
        self.inputs = [i.name for i in self.model.graph.input if i.name not in self.init]
        self.outputs = [o.name for o in self.model.graph.output]
        self.ops = sorted({n.op_type for n in self.model.graph.node})

    @torch.no_grad()
    def __call__(self, image):
        """image: array/tensor [N,1,S,S] (batch N allowed: the graph has no batch-dependent
        Reshape).  Returns a dict of numpy outputs."""
        env = dict(self.init)
        env[self.inputs[0]] = torch.as_tensor(np.asarray(image)).to(self.dtype)
        for node in self.model.graph.node:
            a = _attrs(node)
            x = [env[i] if i else None for i in node.input]
            op = node.op_type
            if op == "Conv":
                pt, pl, pb, pr = a.get("pads", [0, 0, 0, 0])
                assert pt == pb and pl == pr, "asymmetric pads not used by TumorNet"
                y = F.conv2d(x[0], x[1], x[2] if len(x) > 2 else None, stride=a.get("strides", [1, 1]),
                             padding=(pt, pl), dilation=a.get("dilations", [1, 1]), groups=a.get("group", 1))
            elif op == "BatchNormalization":
                y = F.batch_norm(x[0], x[3], x[4], x[1], x[2], False, 0.0, a.get("epsilon", 1e-5))
            elif op == "Relu":
                y = torch.relu(x[0])
            elif op == "Add":
                y = x[0] + x[1]
            elif op == "Mul":
                y = x[0] * x[1]
            elif op == "Concat":
                y = torch.cat(x, a["axis"])
            elif op == "Resize":
                scales = x[2] if len(x) > 2 and x[2] is not None and x[2].numel() else None
                assert a.get("mode", "nearest") == "nearest" and scales is not None
                assert a.get("coordinate_transformation_mode") == "asymmetric" and a.get("nearest_mode", "round_prefer_floor") == "floor", a
                y = x[0]
                for ax, s in enumerate(scales.tolist()):
                    assert s == int(s)
                    if s != 1:
                        y = y.repeat_interleave(int(s), dim=ax)  # integer scale, asymmetric+floor
            elif op == "GlobalAveragePool":
                y = x[0].mean(dim=(2, 3), keepdim=True)
            elif op == "Flatten":
                y = torch.flatten(x[0], a.get("axis", 1))
            elif op == "Gemm":
                A = x[0].t() if a.get("transA", 0) else x[0]
                B = x[1].t() if a.get("transB", 0) else x[1]
                y = a.get("alpha", 1.0) * (A @ B)
                if len(x) > 2 and x[2] is not None:
                    y = y + a.get("beta", 1.0) * x[2]
            elif op in ("Identity", "Dropout"):
                y = x[0]
            elif op == "Constant":
                y = torch.from_numpy(numpy_helper.to_array(a["value"]).copy())
                if y.dtype.is_floating_point:
                    y = y.to(self.dtype)
            else:
                raise NotImplementedError(op)
            env[node.output[0]] = y
        return {o: env[o].float().numpy() for o in self.outputs}
