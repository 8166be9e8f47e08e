/* SPDX-License-Identifier: BSD-3-Clause */
/* Data safety of the `tumorscope` CLI, run as a user would:
 * - input folders are only read (checksums, names, sizes and times of every
 *   entry before and after a full session), and an --out inside them is
 *   refused before anything is written;
 * - exports killed at any moment leave each report either as it was or
 *   complete, never partial, and leftovers are never taken for reports;
 * - patient identifiers never reach stderr or the log, whatever the command.
 * The cases copy sample_dicom/ into their temporary folder. */
#include <dcmtk/config/osconfig.h>

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <ftw.h>
#include <png.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tsc_dicom.h"
#include "tsc_sha256.h"
#include "tsc_test.h"

namespace {

using tsc_test::run;
using tsc_test::slurp;
using tsc_test::tmp;

std::string cli()
{
    tsc_test_children_skip_tls_in_leak_checks();
    return tsc_test_program("tumorscope");
}
std::string sample_dir()
{
    std::string dir = std::string(tsc_test_env("TSC_SOURCE_DIR", "..")) + "/sample_dicom";
    if (access(dir.c_str(), R_OK) != 0) tsc_test_skip("%s not found", dir.c_str());
    return dir;
}

std::string q(const std::string &s)
{
    return "'" + s + "'";
}

bool ends_with(const std::string &s, const std::string &tail)
{
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::string base_name(const std::string &path)
{
    size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

/* ---- snapshots of a folder tree --------------------------------------- */

struct Entry {
    char type;         /* 'f' file, 'd' folder, 'l' link, '?' other */
    unsigned mode;
    long long size;
    long long mtime_ns, ctime_ns;
    std::string sha256; /* files only */
    bool operator==(const Entry &o) const
    {
        return type == o.type && mode == o.mode && size == o.size && mtime_ns == o.mtime_ns &&
               ctime_ns == o.ctime_ns && sha256 == o.sha256;
    }
};
typedef std::map<std::string, Entry> Snapshot;

Snapshot *snap_target;
size_t snap_root_len;

int snap_entry(const char *path, const struct stat *st, int flag, struct FTW *)
{
    Entry e;
    e.type = flag == FTW_F ? 'f' : flag == FTW_D ? 'd' : flag == FTW_SL ? 'l' : '?';
    e.mode = st->st_mode;
    e.size = (long long)st->st_size;
    e.mtime_ns = (long long)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
    e.ctime_ns = (long long)st->st_ctim.tv_sec * 1000000000LL + st->st_ctim.tv_nsec;
    if (flag == FTW_F) {
        char hex[65];
        tsc_error err;
        if (tsc_sha256_file(path, hex, &err) == TSC_OK) e.sha256 = hex;
        else e.sha256 = std::string("unreadable: ") + err.message;
    }
    (*snap_target)[std::string(path).substr(snap_root_len)] = e;
    return 0;
}

Snapshot snapshot(const std::string &root)
{
    Snapshot s;
    snap_target = &s;
    snap_root_len = root.size();
    REQUIRE(nftw(root.c_str(), snap_entry, 32, FTW_PHYS) == 0);
    return s;
}

/* Prints every difference; returns their number. */
int compare(const Snapshot &before, const Snapshot &after)
{
    int n = 0;
    for (auto &kv : before) {
        auto it = after.find(kv.first);
        if (it == after.end()) {
            fprintf(stderr, "  removed: %s\n", kv.first.c_str());
            n++;
        } else if (!(it->second == kv.second)) {
            const Entry &a = kv.second, &b = it->second;
            fprintf(stderr, "  changed: %s (size %lld -> %lld, mtime %lld -> %lld, ctime %lld -> %lld%s)\n",
                    kv.first.c_str(), a.size, b.size, a.mtime_ns, b.mtime_ns, a.ctime_ns, b.ctime_ns,
                    a.sha256 != b.sha256 ? ", content" : "");
            n++;
        }
    }
    for (auto &kv : after)
        if (!before.count(kv.first)) {
            fprintf(stderr, "  new: %s\n", kv.first.c_str());
            n++;
        }
    return n;
}

/* ---- complete-file checks ------------------------------------------------ */

struct PngRead {
    std::string message;
};

void png_err(png_structp png, png_const_charp msg)
{
    static_cast<PngRead *>(png_get_error_ptr(png))->message = msg;
    png_longjmp(png, 1);
}

void png_warn(png_structp, png_const_charp) {}

/* Decodes every row and reads to the IEND chunk. */
bool png_complete(const std::string &path, std::string *why)
{
    FILE *f = fopen(path.c_str(), "rb");
    if (!f) {
        *why = "cannot open";
        return false;
    }
    PngRead ctx;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, png_err, png_warn);
    png_infop info = png_create_info_struct(png);
    std::vector<unsigned char> row;
    bool ok = false;
    if (setjmp(png_jmpbuf(png)) == 0) {
        png_init_io(png, f);
        png_read_info(png, info);
        png_set_expand(png);
        png_set_strip_16(png);
        int passes = png_set_interlace_handling(png);
        png_read_update_info(png, info);
        row.resize(png_get_rowbytes(png, info));
        for (int p = 0; p < passes; p++)
            for (png_uint_32 y = 0; y < png_get_image_height(png, info); y++)
                png_read_row(png, row.data(), nullptr);
        png_read_end(png, info);
        ok = true;
    } else {
        *why = "PNG: " + ctx.message;
    }
    png_destroy_read_struct(&png, &info, nullptr);
    fclose(f);
    return ok;
}

bool pdf_complete(const std::string &path, std::string *why)
{
    std::string b = slurp(path);
    while (!b.empty() && (b.back() == '\n' || b.back() == '\r' || b.back() == ' ')) b.pop_back();
    if (b.compare(0, 5, "%PDF-") != 0 || !ends_with(b, "%%EOF")) {
        *why = "PDF without its header or its %%EOF trailer";
        return false;
    }
    if (run("pdfinfo " + q(path) + " >/dev/null 2>&1") == 127) return true; /* no poppler: trailer only */
    if (run("pdfinfo " + q(path) + " >/dev/null 2>&1") != 0) {
        *why = "pdfinfo cannot read it";
        return false;
    }
    return true;
}

/* DCMTK reads every element, pixel data included, to the end of the file. */
bool dicom_complete(const std::string &path, std::string *why)
{
    DcmFileFormat ff;
    OFCondition c = ff.loadFile(path.c_str());
    if (c.bad()) {
        *why = std::string("DICOM: ") + c.text();
        return false;
    }
    if (!ff.getDataset()->tagExists(DCM_SOPInstanceUID)) {
        *why = "DICOM without SOPInstanceUID";
        return false;
    }
    return true;
}

bool json_complete(const std::string &path, std::string *why)
{
    std::string b = slurp(path);
    cJSON *j = cJSON_Parse(b.c_str());
    bool ok = j && cJSON_GetObjectItem(j, "series");
    cJSON_Delete(j);
    if (!ok) *why = "JSON does not parse";
    return ok;
}

bool complete(const std::string &path, std::string *why)
{
    if (ends_with(path, ".png")) return png_complete(path, why);
    if (ends_with(path, ".pdf")) return pdf_complete(path, why);
    if (ends_with(path, ".dcm")) return dicom_complete(path, why);
    if (ends_with(path, ".json")) return json_complete(path, why);
    *why = "not a report name";
    return false;
}

/* Regular files below `root`, relative paths. */
std::vector<std::string> *list_target;
size_t list_root_len;
int list_entry(const char *path, const struct stat *, int flag, struct FTW *)
{
    if (flag == FTW_F) list_target->push_back(std::string(path).substr(list_root_len + 1));
    return 0;
}

std::vector<std::string> list_files(const std::string &root)
{
    std::vector<std::string> v;
    list_target = &v;
    list_root_len = root.size();
    nftw(root.c_str(), list_entry, 32, FTW_PHYS);
    std::sort(v.begin(), v.end());
    return v;
}

/* ---- patient identifiers ---------------------------------------------- */

std::string dcm_value(const std::string &file, const DcmTagKey &tag)
{
    DcmFileFormat ff;
    if (ff.loadFile(file.c_str(), EXS_Unknown, EGL_noChange, 4096).bad()) return "";
    OFString v;
    ff.getDataset()->findAndGetOFStringArray(tag, v);
    std::string s = v.c_str();
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
}

/* The ways a PN or DA value may be printed. */
std::vector<std::string> spellings(const std::string &value, bool is_name, bool is_date)
{
    std::vector<std::string> out;
    if (value.empty()) return out;
    out.push_back(value);
    if (is_name) {
        std::string family = value.substr(0, value.find('^'));
        std::string given = value.find('^') == std::string::npos ? "" : value.substr(value.find('^') + 1);
        given = given.substr(0, given.find('^'));
        if (!given.empty()) {
            out.push_back(family + " " + given);
            out.push_back(given + " " + family);
            out.push_back(family + ", " + given);
        }
    }
    if (is_date && value.size() == 8) {
        out.push_back(value.substr(0, 4) + "-" + value.substr(4, 2) + "-" + value.substr(6, 2));
        out.push_back(value.substr(6, 2) + "." + value.substr(4, 2) + "." + value.substr(0, 4));
    }
    return out;
}

} // namespace

TSC_TEST(robustness_full_session_leaves_the_input_folder_unchanged)
{
    std::string bin = cli();
    std::string in = tmp("in");
    REQUIRE(run("cp -a " + q(sample_dir()) + "/. " + q(in)) == 0);
    std::string out = tmp("out");
    Snapshot before = snapshot(in);
    size_t files = 0;
    for (auto &kv : before) files += kv.second.type == 'f';
    printf("  input: %zu entries, %zu files\n", before.size(), files);

    /* A session: the tree, a full analysis with every output, again
     * de-identified over it, chosen slices, the classical methods. */
    std::string log = std::string(tsc_test_tmpdir()) + "/session.log";
    const std::string cmds[] = {
        q(bin) + " info " + q(in),
        q(bin) + " info --json " + q(in),
        q(bin) + " analyze " + q(in) + " --all --png --pdf --dicom --json " + q(out + "/r.json") +
            " --out " + q(out) + " --quiet",
        q(bin) + " analyze " + q(in) + " --all --png --pdf --dicom --deidentify --force --json " +
            q(out + "/r.json") + " --out " + q(out),
        q(bin) + " analyze " + q(in) + " --series 4 --slice 12 --slice 13 --png --out " + q(out + "/slices"),
        q(bin) + " analyze " + q(in) + " --method threshold --series 0 --json -",
        q(bin) + " analyze " + q(in) + " --method region-growing --series 1 --json -",
    };
    double t0 = tsc_test_seconds();
    for (const std::string &c : cmds) {
        int rc = run(c + " >>" + q(log) + " 2>&1 </dev/null");
        if (rc != 0) fprintf(stderr, "exit %d: %s\n", rc, c.c_str());
        CHECK(rc == 0);
    }
    printf("  session of %zu commands in %.1f s; %zu output files\n", sizeof cmds / sizeof cmds[0],
           tsc_test_seconds() - t0, list_files(out).size());
    Snapshot after = snapshot(in);
    int diffs = compare(before, after);
    printf("  input after the session: %d difference(s) in names, sizes, modes, mtimes, ctimes, "
           "SHA-256\n", diffs);
    CHECK(diffs == 0);
}

TSC_TEST(robustness_out_inside_the_input_folder_is_refused)
{
    std::string bin = cli();
    std::string in = tmp("in");
    REQUIRE(run("cp -a " + q(sample_dir()) + "/03-synthetic-lesion " + q(in)) == 0);
    Snapshot before = snapshot(in);
    const std::string outs[] = {in + "/reports", in, in + "/03-synthetic-lesion/t1-post-contrast",
                                in + "/03-synthetic-lesion/../new/deeper", in + "/./x/"};
    for (const std::string &o : outs) {
        std::string err = std::string(tsc_test_tmpdir()) + "/err.txt";
        double t0 = tsc_test_seconds();
        int rc = run(q(bin) + " analyze " + q(in) + " --method threshold --png --pdf --dicom --out " + q(o) +
                     " >/dev/null 2>" + q(err));
        double dt = tsc_test_seconds() - t0;
        std::string text = slurp(err);
        printf("  --out %s: exit %d in %.2f s: %s", o.substr(in.size()).c_str(), rc, dt, text.c_str());
        CHECK(rc == 2);
        CHECK(text.find("inside the input folder") != std::string::npos);
        CHECK(dt < 5); /* refused before the analysis */
    }
    /* A file given as input: its folder is the input folder. */
    std::string one = in + "/03-synthetic-lesion/t1-post-contrast/IM0001.dcm";
    CHECK(run(q(bin) + " analyze " + q(one) + " --method threshold --out " +
              q(in + "/03-synthetic-lesion/t1-post-contrast/r") + " >/dev/null 2>&1") == 2);
    /* The JSON result too, with or without --out. */
    for (const std::string &j : {in + "/r.json", in + "/03-synthetic-lesion/new/r.json"}) {
        std::string err = std::string(tsc_test_tmpdir()) + "/err.txt";
        int rc = run(q(bin) + " analyze " + q(in) + " --method threshold --json " + q(j) + " >/dev/null 2>" +
                     q(err));
        std::string text = slurp(err);
        printf("  --json %s: exit %d: %s", j.substr(in.size()).c_str(), rc, text.c_str());
        CHECK(rc == 2);
        CHECK(text.find("inside the input folder") != std::string::npos);
    }
    CHECK(compare(before, snapshot(in)) == 0);
    /* Next to the input is fine. */
    CHECK(run(q(bin) + " analyze " + q(in) + " --method threshold --quiet --out " + q(in + "-reports") +
              " --json " + q(in + "-reports/r.json") + " >/dev/null 2>&1") == 0);
    CHECK(access((in + "-reports/r.json").c_str(), F_OK) == 0);
}

TSC_TEST(robustness_export_killed_midway_leaves_old_or_new_files)
{
    std::string bin = cli();
    std::string in = sample_dir() + "/03-synthetic-lesion";
    std::string out = tmp("out");
    std::vector<std::string> args = {bin, "analyze", in, "--all", "--png", "--pdf", "--dicom", "--json",
                                      out + "/r.json", "--out", out, "--force", "--quiet"};
    auto spawn = [&]() {
        pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            int null_fd = open("/dev/null", O_WRONLY);
            dup2(null_fd, 1);
            dup2(null_fd, 2);
            std::vector<char *> av;
            for (std::string &a : args) av.push_back(&a[0]);
            av.push_back(nullptr);
            execv(av[0], av.data());
            _exit(127);
        }
        return pid;
    };
    /* The old, complete set. */
    double t0 = tsc_test_seconds();
    pid_t pid = spawn();
    int ws = 0;
    waitpid(pid, &ws, 0);
    double full = tsc_test_seconds() - t0;
    REQUIRE(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
    std::map<std::string, std::string> old;
    for (const std::string &f : list_files(out)) {
        std::string why;
        if (!complete(out + "/" + f, &why)) fprintf(stderr, "%s: %s\n", f.c_str(), why.c_str());
        CHECK(complete(out + "/" + f, &why));
        old[f] = slurp(out + "/" + f);
    }
    printf("  uninterrupted run: %.2f s, %zu files\n", full, old.size());
    REQUIRE(old.size() > 30);

    /* Kills at 10 delays from 20 ms to 3 s, and 10 more from 50% to 120% of
     * an uninterrupted run, where the files are written (runs vary). */
    std::vector<double> delays;
    /* A sanitizer build is several times slower: fewer kills prove the same. */
    const int n = getenv("TSC_SANITIZED") ? 4 : 10;
    for (int i = 0; i < n; i++) delays.push_back(0.020 * std::pow(3.0 / 0.020, i / (n - 1.0)));
    for (int i = 0; i < n; i++) delays.push_back(full * (0.5 + 0.75 * i / n));
    std::set<std::string> temp_names;
    int n_old = 0, n_new = 0, n_partial = 0, n_finished = 0;
    for (double d : delays) {
        pid = spawn();
        usleep((useconds_t)(d * 1e6));
        kill(pid, SIGKILL);
        waitpid(pid, &ws, 0);
        bool finished = WIFEXITED(ws);
        n_finished += finished;
        int was_old = 0, was_new = 0;
        for (const std::string &f : list_files(out)) {
            std::string name = base_name(f);
            if (name[0] == '.' || f.find(".tmp-") != std::string::npos) {
                temp_names.insert(f);
                continue;
            }
            auto it = old.find(f);
            if (it != old.end() && slurp(out + "/" + f) == it->second) {
                was_old++;
                continue;
            }
            std::string why;
            if (complete(out + "/" + f, &why)) {
                was_new++;
            } else {
                fprintf(stderr, "  after a kill at %.3f s: %s is partial: %s\n", d, f.c_str(), why.c_str());
                n_partial++;
            }
        }
        printf("  kill at %6.3f s%s: %d files as before, %d new and complete\n", d,
               finished ? " (had finished)" : "", was_old, was_new);
        n_old += was_old;
        n_new += was_new;
    }
    CHECK(n_partial == 0);
    printf("  %zu delays: %d old and %d new complete files seen, %d partial\n", delays.size(), n_old,
           n_new, n_partial);
    /* Leftover temporaries: hidden, with a random suffix, never a report name ... */
    for (const std::string &t : temp_names) {
        std::string name = base_name(t);
        printf("  leftover temporary: %s\n", t.c_str());
        bool hidden = name[0] == '.';
        CHECK(hidden || t.find(".tmp-") != std::string::npos);
        for (const char *ext : {".png", ".pdf", ".dcm", ".json"}) CHECK(!ends_with(name, ext));
    }
    /* ... and our own reader does not take one for an image when the output
     * folder is opened as a study (a temporary of a Secondary Capture file,
     * complete but never renamed, is made here in case no kill left one). */
    std::string sc = out + "/series000_dicom/SC/SC0001.dcm";
    REQUIRE(access(sc.c_str(), R_OK) == 0);
    REQUIRE(run("cp " + q(sc) + " " + q(out + "/series000_dicom/SC/.SC0001.dcm.Ab12Cd")) == 0);
    const char *paths[] = {out.c_str()};
    tsc_dicom_index *ix = nullptr;
    tsc_error err;
    tsc_dicom_open(paths, 1, nullptr, &ix, &err);
    REQUIRE(ix);
    for (size_t s = 0; s < tsc_dicom_n_series(ix); s++)
        for (size_t k = 0; k < tsc_dicom_get_series(ix, s)->n_slices; k++) {
            std::string p = tsc_dicom_get_slice(ix, s, k)->path;
            if (base_name(p)[0] == '.') {
                fprintf(stderr, "  the reader indexed the temporary %s as an image\n", p.c_str());
                tsc_test_failures++;
            }
        }
    size_t temps_listed = 0;
    for (size_t i = 0; i < tsc_dicom_n_skipped(ix); i++)
        if (base_name(tsc_dicom_get_skipped(ix, i)->path)[0] == '.' &&
            strstr(tsc_dicom_get_skipped(ix, i)->reason, "temporary file")) temps_listed++;
    printf("  output folder opened as a study: %zu temporaries listed as skipped\n", temps_listed);
    CHECK(temps_listed >= 1);
    tsc_dicom_index_free(ix);
    /* A final run completes the set. */
    pid = spawn();
    waitpid(pid, &ws, 0);
    CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
    for (const std::string &f : list_files(out)) {
        if (base_name(f)[0] == '.' || f.find(".tmp-") != std::string::npos) continue;
        std::string why;
        if (!complete(out + "/" + f, &why)) fprintf(stderr, "%s: %s\n", f.c_str(), why.c_str());
        CHECK(complete(out + "/" + f, &why));
    }
}

TSC_TEST(robustness_patient_identifiers_never_reach_stderr_or_logs)
{
    std::string bin = cli();
    std::string sample = sample_dir();
    /* The sample's own identifiers, and a copy with distinctive ones
     * (including a birth date, which the sample leaves empty). */
    std::string in = tmp("in");
    REQUIRE(run("cp -a " + q(sample) + "/. " + q(in)) == 0);
    std::string marked = tmp("marked");
    REQUIRE(run("cp -a " + q(sample) + "/01-normal-colin27 " + q(marked)) == 0);
    REQUIRE(run("dcmodify -nb -q -i 'PatientName=Qzxwq^Vyprk' -i 'PatientID=PID-7f3a91c2' -i "
                "'PatientBirthDate=19370412' -i '(0010,1000)=OPID-55e1' $(find " + q(marked) +
                " -name '*.dcm') >/dev/null 2>&1") == 0);
    std::vector<std::string> ids;
    std::set<std::string> seen_files;
    for (const std::string &f : list_files(in)) {
        if (!ends_with(f, ".dcm")) continue;
        std::string series_dir = f.substr(0, f.find_last_of('/'));
        if (!seen_files.insert(series_dir).second) continue; /* one file per series */
        for (auto &v : spellings(dcm_value(in + "/" + f, DCM_PatientName), true, false)) ids.push_back(v);
        for (auto &v : spellings(dcm_value(in + "/" + f, DCM_PatientID), false, false)) ids.push_back(v);
        for (auto &v : spellings(dcm_value(in + "/" + f, DCM_PatientBirthDate), false, true)) ids.push_back(v);
    }
    for (const char *v : {"Qzxwq^Vyprk", "Qzxwq", "Vyprk", "PID-7f3a91c2", "19370412", "1937-04-12",
                          "12.04.1937", "OPID-55e1"})
        ids.push_back(v);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    printf("  identifiers looked for: ");
    for (auto &v : ids) printf("[%s] ", v.c_str());
    printf("\n");
    REQUIRE(ids.size() >= 8);

    /* An eval dataset whose index names the marked patient. */
    std::string ds = tmp("dataset");
    mkdir((ds + "/images").c_str(), 0755);
    {
        std::ofstream f(ds + "/index.csv");
        f << "id,label,label_name,patient_id,split\n";
        f << "a,0,no_tumor,PID-7f3a91c2,test\nb,0,no_tumor,PID-7f3a91c2,test\n";
    }
    for (const char *id : {"a", "b"}) {
        /* A 64x64 8-bit gradient. */
        std::string p = ds + "/images/" + id + ".png";
        FILE *fp = fopen(p.c_str(), "wb");
        REQUIRE(fp);
        png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
        png_infop info = png_create_info_struct(png);
        png_init_io(png, fp);
        png_set_IHDR(png, info, 64, 64, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
        png_write_info(png, info);
        unsigned char row[64];
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) row[x] = (unsigned char)((x * 3 + y * 2) & 255);
            png_write_row(png, row);
        }
        png_write_end(png, info);
        png_destroy_write_struct(&png, &info);
        fclose(fp);
    }
    /* A PNG stack for dicomize. */
    std::string pngs = tmp("pngs");
    REQUIRE(run("cp " + q(ds) + "/images/*.png " + q(pngs)) == 0);

    std::string out = tmp("out");
    /* Every command, with every output and the most talk each has:
     * dicomize -v, bench-model --verbose, analyze with progress (shown on a
     * terminal: run under script(1) when it exists), error paths included.
     * `stdout_ok`: stdout is the output the user asked for (the tree of
     * `info`, the JSON of `--json -`), which may name the patient. */
    struct Cmd { std::string line; bool stdout_ok; };
    std::string model = std::string(tsc_test_env("TSC_SOURCE_DIR", "..")) + "/resources/models";
    std::vector<Cmd> cmds = {
        {q(bin) + " info " + q(in) + " " + q(marked), true},
        {q(bin) + " info --json " + q(in) + " " + q(marked), true},
        {q(bin) + " info " + q(in + "/03-synthetic-lesion/ground-truth-mask"), false}, /* nothing readable */
        {q(bin) + " analyze " + q(in) + " " + q(marked) + " --all --png --pdf --dicom --json " +
             q(out + "/r.json") + " --out " + q(out + "/a"), false},
        {q(bin) + " analyze " + q(in) + " " + q(marked) + " --all --png --pdf --dicom --deidentify --json " +
             q(out + "/rd.json") + " --out " + q(out + "/d"), false},
        {q(bin) + " analyze " + q(marked) + " --all --png --out " + q(out + "/a"), false}, /* refused: exists */
        {q(bin) + " analyze " + q(marked) + " --series 0 --slice 3 --slice 999 --json -", true},
        {q(bin) + " analyze " + q(marked) + " --method threshold --json -", true},
        {q(bin) + " analyze " + q(marked) + " --out " + q(marked + "/x"), false}, /* refused: inside */
        {q(bin) + " eval --dataset " + q(ds) + " --normal-dicom " + q(marked) + " --json " +
             q(out + "/e.json") + " --per-slice " + q(out + "/e.csv") + " --plots " + q(out + "/plots"), false},
        {q(bin) + " dicomize -v --out " + q(out + "/dz") + " --patient-name 'Qzxwq^Vyprk' --patient-id "
             "PID-7f3a91c2 --birth-date 19370412 --uid-seed x " + q(pngs), false},
        {q(bin) + " dicomize -v --out " + q(out + "/dz") + " --patient-name 'Qzxwq^Vyprk' --patient-id "
             "PID-7f3a91c2 " + q(pngs), false}, /* refused: not empty */
        {q(bin) + " bench-model --verbose --iters 1 --warmup 0 " + q(model + "/tsc_unet128_v1.onnx"), false},
    };
    bool have_script = run("command -v script >/dev/null 2>&1") == 0;
    if (have_script)
        cmds.push_back({"script -qfec " + q(q(bin) + " analyze " + q(marked) + " --all --force --png --out " +
                                            q(out + "/a")) + " /dev/null",
                        false});
    int leaks = 0;
    for (size_t i = 0; i < cmds.size(); i++) {
        std::string o = std::string(tsc_test_tmpdir()) + "/stdout" + std::to_string(i);
        std::string e = std::string(tsc_test_tmpdir()) + "/stderr" + std::to_string(i);
        int rc = run(cmds[i].line + " >" + q(o) + " 2>" + q(e) + " </dev/null");
        std::string so = slurp(o), se = slurp(e);
        printf("  exit %d, %5zu bytes stderr, %6zu stdout: %.110s\n", rc, se.size(), so.size(),
               cmds[i].line.substr(cmds[i].line.find("tumorscope") == std::string::npos
                                       ? 0 : cmds[i].line.find("tumorscope"))
                   .c_str());
        for (const std::string &id : ids) {
            if (se.find(id) != std::string::npos) {
                fprintf(stderr, "  stderr of command %zu names '%s':\n%s\n", i, id.c_str(), se.c_str());
                leaks++;
            }
            if (!cmds[i].stdout_ok && so.find(id) != std::string::npos) {
                fprintf(stderr, "  stdout of command %zu names '%s'\n", i, id.c_str());
                leaks++;
            }
        }
    }
    CHECK(leaks == 0);
    /* The JSON result carries no patient identifiers (docs/RESULT_FORMAT.md
     * has none); the de-identified DICOM outputs and PNG text neither. */
    for (const std::string &f : {out + "/r.json", out + "/rd.json"}) {
        std::string j = slurp(f);
        CHECK(!j.empty());
        for (const std::string &id : ids)
            if (j.find(id) != std::string::npos) {
                fprintf(stderr, "  %s names '%s'\n", f.c_str(), id.c_str());
                tsc_test_failures++;
            }
    }
    for (const std::string &f : list_files(out + "/d")) {
        std::string text = ends_with(f, ".pdf") ? "" : slurp(out + "/d/" + f);
        if (ends_with(f, ".dcm")) {
            std::string dump = std::string(tsc_test_tmpdir()) + "/dump.txt";
            run("dcmdump -q +U8 " + q(out + "/d/" + f) + " >" + q(dump) + " 2>&1");
            text += slurp(dump);
        } else if (ends_with(f, ".pdf") && run("command -v pdftotext >/dev/null") == 0) {
            std::string txt = std::string(tsc_test_tmpdir()) + "/pdf.txt";
            run("pdftotext " + q(out + "/d/" + f) + " " + q(txt) + " >/dev/null 2>&1");
            text += slurp(txt);
            run("pdfinfo " + q(out + "/d/" + f) + " >" + q(txt) + " 2>&1");
            text += slurp(txt);
        }
        for (const std::string &id : ids)
            if (text.find(id) != std::string::npos) {
                fprintf(stderr, "  de-identified output %s names '%s'\n", f.c_str(), id.c_str());
                tsc_test_failures++;
            }
    }
}

TSC_TEST_MAIN(TSC_CASE(robustness_full_session_leaves_the_input_folder_unchanged),
              TSC_CASE(robustness_out_inside_the_input_folder_is_refused),
              TSC_CASE(robustness_export_killed_midway_leaves_old_or_new_files),
              TSC_CASE(robustness_patient_identifiers_never_reach_stderr_or_logs))
