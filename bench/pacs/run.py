#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""PACS throughput: N series of 30 slices sent with storescu to 1 and to 2
Orthanc nodes (our plugin, one PostgreSQL index, one storage folder, all on
loopback); time from the first storescu until every series has its results
stored, series/hour, and CPU seconds per series of the Orthanc nodes (decode,
inference, writing and storing the results) and of PostgreSQL.

usage: bench/pacs/run.py [BUILD_DIR] [N_SERIES]   (defaults: build 10)
Environment: THREADS (analysis threads per node, default 1), OUTPUTS (default
"SEG,SR,SC,PDF").  Needs Debian's orthanc, orthanc-postgresql, postgresql-15,
dcmtk (storescu) and python3-pydicom.  Prints Markdown (docs/PACS.md).
Every server it starts is stopped at the end, also on failure."""
import glob
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import pydicom
from pydicom.uid import generate_uid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
N = int(sys.argv[2]) if len(sys.argv) > 2 else 10
THREADS = int(os.environ.get("THREADS", "1"))
OUTPUTS = os.environ.get("OUTPUTS", "SEG,SR,SC,PDF").split(",")
SLICES = 30
SOURCE = os.path.join(ROOT, "sample_dicom/03-synthetic-lesion/t1-post-contrast")
TICK = os.sysconf("SC_CLK_TCK")
procs = []  # (Popen, how to stop it)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def first(pattern):
    found = sorted(glob.glob(pattern))
    return found[-1] if found else None


def need(path, what):
    if not path or not os.path.exists(path):
        sys.exit("bench/pacs: %s not found (%s)" % (what, path))
    return path


ORTHANC = need(first("/usr/sbin/Orthanc") or first("/usr/bin/Orthanc"), "Orthanc (Debian: orthanc)")
INDEX = need(first("/usr/lib/orthanc/libOrthancPostgreSQLIndex.so*"), "orthanc-postgresql")
PG = os.path.dirname(need(first("/usr/lib/postgresql/*/bin/postgres"), "PostgreSQL (postgresql-15)"))
PLUGIN = need(os.path.join(BUILD, "lib/libtumorscope-orthanc.so"), "the Orthanc plugin: build it first")
need(shutil.which("storescu"), "storescu (Debian: dcmtk)")


def make_series(dst):
    """N series of 30 slices from the 26-slice sample: its slices, then the
    last four again one slice spacing further on; new Study, Series and SOP
    Instance UIDs, so that each is a new series for Orthanc."""
    files = sorted(glob.glob(os.path.join(SOURCE, "*.dcm")))
    base = [pydicom.dcmread(f) for f in files]
    z = [float(d.ImagePositionPatient[2]) for d in base]
    step = z[1] - z[0]
    for i in range(N):
        out = os.path.join(dst, "series-%02d" % i)
        os.makedirs(out)
        study, series = generate_uid(), generate_uid()
        for k in range(SLICES):
            d = pydicom.dcmread(files[k] if k < len(files) else files[k - 4])
            if k >= len(files):
                pos = list(d.ImagePositionPatient)
                pos[2] = z[-1] + step * (k - len(files) + 1)
                d.ImagePositionPatient = pos
                d.SliceLocation = pos[2]
            d.InstanceNumber = k + 1
            d.StudyInstanceUID, d.SeriesInstanceUID = study, series
            d.SOPInstanceUID = generate_uid()
            d.file_meta.MediaStorageSOPInstanceUID = d.SOPInstanceUID
            d.save_as(os.path.join(out, "IM%04d.dcm" % (k + 1)))


def as_postgres_user():
    """PostgreSQL refuses root: run it as nobody then."""
    if os.getuid() != 0:
        return None
    pw = pwd.getpwnam("nobody")

    def drop():
        os.setgroups([])
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)

    return drop, pw


def start_postgres(tmp):
    data, log = os.path.join(tmp, "pg"), os.path.join(tmp, "postgres.log")
    os.makedirs(data, mode=0o700)
    open(log, "w").close()
    user = as_postgres_user()
    if user:
        os.chmod(tmp, 0o755)
        for p in (data, log):
            os.chown(p, user[1].pw_uid, user[1].pw_gid)
    pre = user[0] if user else None
    with open(log, "a") as out:
        subprocess.run([PG + "/initdb", "-D", data, "-U", "tsc", "--auth=trust", "-E", "UTF8", "--no-sync"],
                       stdout=out, stderr=out, preexec_fn=pre, check=True)
        port = free_port()
        p = subprocess.Popen([PG + "/postgres", "-D", data, "-p", str(port), "-c", "listen_addresses=127.0.0.1",
                              "-c", "unix_socket_directories=", "-c", "max_connections=50"],
                             stdout=out, stderr=out, preexec_fn=pre)
    procs.append((p, signal.SIGINT))
    for _ in range(150):
        if subprocess.run([PG + "/pg_isready", "-q", "-h", "127.0.0.1", "-p", str(port)]).returncode == 0:
            return p, port
        time.sleep(0.1)
    sys.exit("bench/pacs: PostgreSQL did not start; see " + log)


def get(port, path):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=30) as r:
        return json.loads(r.read())


def start_node(tmp, k, pg_port, analyse):
    http, dicom = free_port(), free_port()
    name = "node-%c" % (ord("a") + k)
    cfg = {
        "Name": name, "HttpPort": http, "DicomPort": dicom, "DicomAet": "TSC%d" % k,
        "StorageDirectory": os.path.join(tmp, "storage"), "IndexDirectory": os.path.join(tmp, "index-" + name),
        "RemoteAccessAllowed": False, "AuthenticationEnabled": False, "StableAge": 2, "SaveJobs": False,
        "CheckRevisions": True, "DatabaseServerIdentifier": name, "Plugins": [INDEX, PLUGIN],
        "PostgreSQL": {"EnableIndex": True, "EnableStorage": False, "Lock": False, "Host": "127.0.0.1",
                       "Port": pg_port, "Database": "postgres", "Username": "tsc", "IndexConnectionsCount": 2},
        "Tumorscope": {"Outputs": OUTPUTS, "Threads": THREADS, "SweepSeconds": 5, "SweepMinAge": 4,
                       "AutoAnalyze": {} if analyse else False},
    }
    path = os.path.join(tmp, name + ".json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    log = open(os.path.join(tmp, name + ".log"), "a")
    p = subprocess.Popen([ORTHANC, path], stdout=log, stderr=log)
    procs.append((p, signal.SIGTERM))
    for _ in range(300):
        try:
            get(http, "/system")
            return p, http, dicom
        except OSError:
            time.sleep(0.1)
    sys.exit("bench/pacs: Orthanc %s did not start; see %s" % (name, log.name))


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            pass
    return total / TICK


def postgres_pids(master):
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True).stdout
    return [master] + [int(x) for x in out.split()]


def stop_all():
    for p, sig in reversed(procs):
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    procs.clear()


def run(series_dir, n_nodes, analyse=True):
    tmp = tempfile.mkdtemp(prefix="tsc-bench-pacs-")
    try:
        pg, pg_port = start_postgres(tmp)
        nodes = [start_node(tmp, k, pg_port, analyse) for k in range(n_nodes)]
        dirs = sorted(glob.glob(os.path.join(series_dir, "series-*")))
        pids = [p.pid for p, _, _ in nodes]
        pg_pids = postgres_pids(pg.pid)
        cpu0, pg0 = cpu_seconds(pids), cpu_seconds(pg_pids)
        t0 = time.monotonic()
        # One storescu per node with its share of the series, as modalities would
        # send; -xt proposes JPEG-LS lossless, which storescu cannot transcode.
        senders = [subprocess.Popen(["storescu", "-xt", "-aec", "TSC%d" % k, "127.0.0.1", str(nodes[k][2])]
                                    + [f for d in dirs[k::n_nodes] for f in sorted(glob.glob(d + "/*.dcm"))],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for k in range(n_nodes)]
        for s in senders:
            if s.wait() != 0:
                sys.exit("bench/pacs: storescu failed")
        t_sent = time.monotonic() - t0
        http = nodes[0][1]
        states = {}
        while analyse:
            states = {}
            for sid in get(http, "/series"):
                st = get(http, "/tumorscope/series/" + sid).get("state")
                states[st] = states.get(st, 0) + 1
            final = sum(states.get(s, 0) for s in ("done", "not_analysed", "failed"))
            if final >= N:
                break
            if time.monotonic() - t0 > 3600:
                sys.exit("bench/pacs: not finished after an hour: %s" % states)
            time.sleep(0.5)
        wall = time.monotonic() - t0
        cpu, pg_cpu = cpu_seconds(pids) - cpu0, cpu_seconds(postgres_pids(pg.pid)) - pg0
        status = [get(n[1], "/tumorscope/status") for n in nodes]
        done = [s.get("done", 0) for s in status]
        # Wall seconds a node's worker spent per series (export, decode, CNN, outputs).
        busy = [3600 / s["series_per_hour"] for s in status if s.get("series_per_hour")]
        return {"busy": sum(busy) / len(busy) if busy else 0,"nodes": n_nodes, "wall": wall, "sent": t_sent, "cpu": cpu, "pg_cpu": pg_cpu,
                "failed": states.get("failed", 0), "split": done}
    finally:
        stop_all()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    series_dir = tempfile.mkdtemp(prefix="tsc-bench-pacs-series-")
    try:
        make_series(series_dir)
        load = open("/proc/loadavg").read().split()[:3]
        print("machine: %d cores, load average %s; %d series of %d slices (256x256 JPEG-LS), outputs %s, "
              "%d analysis thread(s) per node, StableAge 2 s" % (os.cpu_count(), " ".join(load), N, SLICES,
                                                                  "+".join(OUTPUTS), THREADS))
        print()
        print("| analysis nodes | sent (storescu) | all results stored | series/hour | Orthanc CPU s/series "
              "| PostgreSQL CPU s/series | worker wall s/series | series per node |")
        print("|---|---|---|---|---|---|---|---|")
        # First storing only (AutoAnalyze false): what ingest alone costs.
        r = run(series_dir, 1, analyse=False)
        print("| 0 (store only) | %.1f s | - | %.0f stored | %.2f | %.2f | - | - |" % (
            r["sent"], N * 3600 / r["sent"], r["cpu"] / N, r["pg_cpu"] / N), flush=True)
        for n_nodes in (1, 2):
            r = run(series_dir, n_nodes)
            print("| %d | %.1f s | %.1f s | %.0f | %.2f | %.2f | %.1f | %s |" % (
                r["nodes"], r["sent"], r["wall"], N * 3600 / r["wall"], r["cpu"] / N, r["pg_cpu"] / N,
                r["busy"], " + ".join("%d" % d for d in r["split"])), flush=True)
            if r["failed"]:
                print("(%d series failed; see the node logs)" % r["failed"])
    finally:
        stop_all()
        shutil.rmtree(series_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
