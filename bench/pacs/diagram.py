#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Draws the cluster layout of docs/PACS.md ("Several nodes") into
docs/examples/pacs-cluster.png with Pillow and the DejaVu fonts (Debian:
python3-pil, fonts-dejavu-core); no network, no graphviz.

usage: bench/pacs/diagram.py [OUT.png]"""
import os
import sys

from PIL import Image, ImageDraw, ImageFont

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "docs/examples/pacs-cluster.png")
FONT_DIR = "/usr/share/fonts/truetype/dejavu"
W, H = 1400, 860
img = Image.new("RGB", (W, H), "white")
d = ImageDraw.Draw(img)
font = ImageFont.truetype(os.path.join(FONT_DIR, "DejaVuSans.ttf"), 17)
small = ImageFont.truetype(os.path.join(FONT_DIR, "DejaVuSans.ttf"), 14)
bold = ImageFont.truetype(os.path.join(FONT_DIR, "DejaVuSans-Bold.ttf"), 18)
INK, BLUE, GREEN, GREY, ORANGE = "#222222", "#dbe8f7", "#dff3e0", "#eeeeee", "#fbe7cf"


def box(x, y, w, h, fill, title, lines=(), f=font):
    d.rounded_rectangle((x, y, x + w, y + h), radius=12, fill=fill, outline=INK, width=2)
    d.text((x + w / 2, y + 14), title, font=bold, fill=INK, anchor="mt")
    for i, line in enumerate(lines):
        d.text((x + w / 2, y + 44 + i * 22), line, font=f, fill=INK, anchor="mt")
    return (x, y, w, h)


def arrow(x0, y0, x1, y1, label=None, both=False, dx=8, dy=-8):
    d.line((x0, y0, x1, y1), fill=INK, width=2)
    for (ax, ay, bx, by) in ([(x0, y0, x1, y1), (x1, y1, x0, y0)] if both else [(x0, y0, x1, y1)]):
        vx, vy = bx - ax, by - ay
        n = max((vx * vx + vy * vy) ** 0.5, 1)
        ux, uy = vx / n, vy / n
        d.polygon([(bx, by), (bx - 14 * ux + 6 * uy, by - 14 * uy - 6 * ux),
                   (bx - 14 * ux - 6 * uy, by - 14 * uy + 6 * ux)], fill=INK)
    if label:
        d.text(((x0 + x1) / 2 + dx, (y0 + y1) / 2 + dy), label, font=small, fill=INK, anchor="lm")


d.text((W / 2, 18), "tumorscope on several Orthanc nodes: one PostgreSQL index, one storage folder",
       font=bold, fill=INK, anchor="mt")

# Senders.
box(60, 70, 360, 90, GREY, "Modalities, PACS", ["C-STORE (storescu), STOW, REST"])
box(980, 70, 360, 90, GREY, "Viewers, RIS, scripts", ["REST and DICOM on any node"])

# Nodes.
nodes_y = 260
xs = [60, 520, 980]
names = ["Orthanc node A", "Orthanc node B", "Orthanc node N"]
for x, name in zip(xs, names):
    box(x, nodes_y, 360, 220, BLUE, name,
        ["libtumorscope-orthanc.so", "intake: stable events + sweep", "claim, then analyse one series",
         "(decode, CNN, SEG/SR/SC/PDF)", "renew lease every LeaseSeconds/4", "DatabaseServerIdentifier unique"],
        f=small)
d.text((W / 2, 44), "same configuration on every node: CheckRevisions true, PostgreSQL Lock false",
       font=small, fill=INK, anchor="mt")

# Routing to nodes.
for x in xs:
    arrow(240, 160, x + 180, nodes_y, None)
d.text((250, 200), "routed by AE title / modality,", font=small, fill=INK, anchor="lm")
d.text((250, 218), "or a front Orthanc's auto-routing", font=small, fill=INK, anchor="lm")
arrow(1160, 160, 1160, nodes_y, None)
arrow(1160, 160, 700, nodes_y, None)

# Shared state.
db = box(120, 600, 560, 200, GREEN, "PostgreSQL index (orthanc-postgresql 4.0)",
         ["resources, /changes, metadata of every node", "TumorscopeState 4301 ... TumorscopeSource 4308",
          "TumorscopeClaim 4307 = \"<node> <epoch s>\":", "create-if-absent, else If-Match CAS", "(SERIALIZABLE: one winner, others get 43)"],
         f=small)
st = box(820, 600, 460, 200, ORANGE, "Shared storage folder",
         ["StorageDirectory on every node", "(NFS or a cluster file system)", "source instances, never modified;",
          "our result series in the same study"], f=small)
for x in xs:
    arrow(x + 150, nodes_y + 220, 400, 600, None, both=True)
    arrow(x + 250, nodes_y + 220, 1050, 600, None, both=True)
d.text((W / 2, 830), "A killed node stops renewing: after LeaseSeconds another node's sweep takes its claims over, deletes "
       "partial results (TumorscopeSource) and analyses the series once.", font=small, fill=INK, anchor="mt")

os.makedirs(os.path.dirname(OUT), exist_ok=True)
img.save(OUT, optimize=True)
print(OUT)
