#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes a copy of an ONNX model whose batch axis is symbolic ("batch"), so
that `tumorscope bench-model --batch N` and the series analysis can run it N
images at a time.  Our shipped models are exported with a fixed batch of 1
(torch.onnx.export without dynamic_axes, constant folding on), which also
bakes a leading 1 into the shape constants of Reshape nodes: those become 0
("copy the input's axis"), which holds for every N.  Benchmark use only: the
weights and every other byte of the graph are unchanged.

usage: bench/.venv/bin/python bench/model/rebatch.py IN.onnx OUT.onnx
(needs the `onnx` package: bench/.venv/bin/pip install onnx)"""
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    m = onnx.load(sys.argv[1])
    g = m.graph
    for v in list(g.input) + list(g.output):
        d = v.type.tensor_type.shape.dim[0]
        if d.dim_value != 1:
            sys.exit(f"{v.name}: leading dimension is not 1; nothing to rebatch")
        d.ClearField("dim_value")
        d.dim_param = "batch"
    del g.value_info[:]  # intermediate shapes were inferred for batch 1
    shapes = {n.input[1] for n in g.node if n.op_type == "Reshape"}
    inits = {t.name: t for t in g.initializer}
    fixed = 0
    for name in shapes:
        if name in inits:
            a = numpy_helper.to_array(inits[name]).copy()
            if a.size and a[0] == 1:
                a[0] = 0
                inits[name].CopyFrom(numpy_helper.from_array(a, name))
                fixed += 1
    for n in g.node:
        if n.op_type == "Constant" and n.output[0] in shapes:
            t = n.attribute[0].t
            a = numpy_helper.to_array(t).copy()
            if a.size and a[0] == 1:
                a[0] = 0
                t.CopyFrom(numpy_helper.from_array(a.astype(np.int64), t.name))
                fixed += 1
    onnx.save(m, sys.argv[2])
    print(f"{sys.argv[2]}: batch axis symbolic, {fixed} Reshape shape(s) now copy the batch")


if __name__ == "__main__":
    main()
