/* SPDX-License-Identifier: BSD-3-Clause */
/* Hostile and odd inputs for the DICOM reader (tsc_dicom.h) and the CLI:
 * each bad file is skipped or refused with a message that names it and the
 * problem, the rest of the study still opens, in bounded time and memory.
 * Cases already pinned by tests/dicom (absurd dimensions, DICOMDIR with
 * missing files, symlink loops, mixed sizes, ...) are not repeated here;
 * docs/RELIABILITY.md maps every case to its test. */
#include <dcmtk/config/osconfig.h>

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcvrof.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tsc_dicom.h"
#include "tsc_test.h"
#include "tsc_test_dcmtk.h"

namespace {

using tsc_test::run;
using tsc_test::slurp;
using tsc_test::tmp;

const char *STUDY_UID = "1.2.826.0.1.3680043.10.1137.77";
const char *SERIES_UID = "1.2.826.0.1.3680043.10.1137.77.1";

std::string base_name(const std::string &path)
{
    size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

/* A plain 16-bit MR slice at z, ready to be spoiled by a test. */
void fill_slice(DcmDataset *ds, int rows, int cols, int instance, double z,
                const std::string &series_uid = SERIES_UID)
{
    std::string sop = series_uid + "." + std::to_string(instance);
    ds->putAndInsertString(DCM_SOPClassUID, UID_MRImageStorage);
    ds->putAndInsertString(DCM_SOPInstanceUID, sop.c_str());
    ds->putAndInsertString(DCM_StudyInstanceUID, STUDY_UID);
    ds->putAndInsertString(DCM_SeriesInstanceUID, series_uid.c_str());
    ds->putAndInsertString(DCM_PatientName, "Hostile^Input");
    ds->putAndInsertString(DCM_PatientID, "TSC-HOSTILE");
    ds->putAndInsertString(DCM_Modality, "MR");
    ds->putAndInsertString(DCM_SeriesNumber, "1");
    ds->putAndInsertString(DCM_InstanceNumber, std::to_string(instance).c_str());
    char pos[64];
    snprintf(pos, sizeof pos, "0\\0\\%g", z);
    ds->putAndInsertString(DCM_ImagePositionPatient, pos);
    ds->putAndInsertString(DCM_ImageOrientationPatient, "1\\0\\0\\0\\1\\0");
    ds->putAndInsertString(DCM_PixelSpacing, "0.5\\0.5");
    ds->putAndInsertString(DCM_SliceThickness, "2");
    tsc_test_put_mono_pixel_module(ds, rows, cols, 16, 12);
    std::vector<Uint16> px((size_t)rows * (size_t)cols);
    for (size_t i = 0; i < px.size(); i++) px[i] = (Uint16)((i * 7 + (size_t)instance * 13) % 4000);
    ds->putAndInsertUint16Array(DCM_PixelData, px.data(), (unsigned long)px.size());
}

void save(DcmFileFormat &ff, const std::string &path, E_TransferSyntax xfer = EXS_LittleEndianExplicit)
{
    OFCondition c = ff.saveFile(path.c_str(), xfer);
    if (c.bad()) fprintf(stderr, "saving %s: %s\n", path.c_str(), c.text());
    REQUIRE(c.good());
}

void write_slice(const std::string &path, int rows, int cols, int instance, double z,
                 const std::string &series_uid = SERIES_UID)
{
    DcmFileFormat ff;
    fill_slice(ff.getDataset(), rows, cols, instance, z, series_uid);
    save(ff, path);
}

std::vector<unsigned char> read_bytes(const std::string &path)
{
    std::ifstream f(path, std::ios::binary);
    return std::vector<unsigned char>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string &path, const unsigned char *p, size_t n)
{
    FILE *f = fopen(path.c_str(), "wb");
    REQUIRE(f != nullptr);
    REQUIRE(fwrite(p, 1, n, f) == n);
    fclose(f);
}

tsc_dicom_index *open_dir(const std::string &path, tsc_status *status = nullptr)
{
    const char *paths[] = {path.c_str()};
    tsc_dicom_index *ix = nullptr;
    tsc_error err;
    tsc_status st = tsc_dicom_open(paths, 1, nullptr, &ix, &err);
    if (status) *status = st;
    else if (st != TSC_OK) fprintf(stderr, "open %s: %s\n", path.c_str(), err.message);
    if (!status) REQUIRE(st == TSC_OK);
    REQUIRE(ix != nullptr);
    return ix;
}

const tsc_dicom_skipped *find_skipped(tsc_dicom_index *ix, const std::string &file)
{
    for (size_t i = 0; i < tsc_dicom_n_skipped(ix); i++) {
        const tsc_dicom_skipped *k = tsc_dicom_get_skipped(ix, i);
        if (base_name(k->path) == file) return k;
    }
    return nullptr;
}

/* The file is listed as skipped, its reason mentions `what`. */
bool skipped_with(tsc_dicom_index *ix, const std::string &file, const char *what)
{
    const tsc_dicom_skipped *k = find_skipped(ix, file);
    if (k && strstr(k->reason, what)) {
        printf("  %-28s skipped: %s\n", file.c_str(), k->reason);
        return true;
    }
    fprintf(stderr, "%s: expected a skip mentioning '%s', got %s\n", file.c_str(), what,
            k ? k->reason : "(not skipped)");
    return false;
}

/* Every slice of every series decodes, with finite pixels. */
size_t decode_all(tsc_dicom_index *ix)
{
    size_t n = 0;
    for (size_t s = 0; s < tsc_dicom_n_series(ix); s++)
        for (size_t k = 0; k < tsc_dicom_get_series(ix, s)->n_slices; k++) {
            tsc_dicom_image *im = nullptr;
            tsc_error err;
            tsc_status st = tsc_dicom_decode_slice(ix, s, k, &im, &err);
            if (st != TSC_OK) {
                fprintf(stderr, "series %zu slice %zu: %s\n", s, k, err.message);
                tsc_test_failures++;
                continue;
            }
            for (size_t i = 0; i < (size_t)im->rows * (size_t)im->cols; i++)
                if (!std::isfinite(im->pixels[i])) {
                    fprintf(stderr, "series %zu slice %zu: pixel %zu is not finite\n", s, k, i);
                    tsc_test_failures++;
                    break;
                }
            tsc_dicom_image_free(im);
            n++;
        }
    return n;
}

long peak_rss_kib()
{
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.compare(0, 6, "VmHWM:") == 0) return strtol(line.c_str() + 6, nullptr, 10);
    return -1;
}

/* Start offsets of the elements (and of the items of sequences and of the
 * encapsulated pixel data) of an explicit VR little endian Part 10 file. */
std::vector<size_t> element_boundaries(const std::vector<unsigned char> &b, size_t *pixel_value_start)
{
    std::vector<size_t> out;
    size_t p = 132;
    bool in_fragments = false;
    *pixel_value_start = 0;
    auto u16 = [&](size_t o) { return (unsigned)(b[o] | (b[o + 1] << 8)); };
    auto u32 = [&](size_t o) {
        return (uint32_t)b[o] | ((uint32_t)b[o + 1] << 8) | ((uint32_t)b[o + 2] << 16) |
               ((uint32_t)b[o + 3] << 24);
    };
    while (p + 8 <= b.size()) {
        out.push_back(p);
        unsigned group = u16(p), elem = u16(p + 2);
        if (group == 0xfffe) { /* item or delimiter: tag + 4-byte length */
            uint32_t len = u32(p + 4);
            p += 8;
            if (elem == 0xe000 && in_fragments && len != 0xffffffffu) p += len;
            if (elem == 0xe0dd) in_fragments = false;
            continue;
        }
        char vr[3] = {(char)b[p + 4], (char)b[p + 5], 0};
        static const char *long_vrs[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV",
                                         "UC", "UN", "UR", "UT", "UV"};
        bool long_form = false;
        for (const char *v : long_vrs) long_form |= strcmp(v, vr) == 0;
        uint32_t len;
        size_t header;
        if (long_form) {
            len = u32(p + 8);
            header = 12;
        } else {
            len = u16(p + 6);
            header = 8;
        }
        bool pixel = group == 0x7fe0 && elem == 0x0010;
        if (pixel) *pixel_value_start = p + header;
        p += header;
        if (len == 0xffffffffu) {
            if (pixel) in_fragments = true; /* items follow */
            continue;                       /* SQ of undefined length: descend */
        }
        if (strcmp(vr, "SQ") == 0) continue; /* defined-length SQ: descend too */
        p += len;
    }
    out.push_back(b.size());
    return out;
}

struct TruncationSummary {
    size_t files = 0, skipped = 0, decode_failed = 0;
    std::map<std::string, size_t> reasons; /* reason up to its first ':' or '(' */
};

/* Writes `src` cut at each offset into `dir` (plus one intact copy), opens
 * the folder and checks that only the intact copy yields a slice. */
TruncationSummary truncate_and_open(const std::string &src, const std::string &dir)
{
    std::vector<unsigned char> b = read_bytes(src);
    REQUIRE(b.size() > 200);
    size_t pixel_value = 0;
    std::vector<size_t> bounds = element_boundaries(b, &pixel_value);
    REQUIRE(pixel_value > 0);
    std::vector<size_t> cuts;
    /* Every byte of the header: each element boundary, and each cut inside
     * a tag, a length or a value. */
    for (size_t off = 0; off <= pixel_value + 16 && off < b.size(); off++) cuts.push_back(off);
    /* Every element/item boundary past it, the byte after, and 32 cuts
     * spread over the pixel data. */
    for (size_t off : bounds)
        if (off > pixel_value + 16 && off < b.size()) {
            cuts.push_back(off);
            cuts.push_back(off + 1);
        }
    for (int i = 1; i <= 32; i++) cuts.push_back(pixel_value + (b.size() - pixel_value) * (size_t)i / 33);
    cuts.push_back(b.size() - 1);
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
    printf("  %s: %zu bytes, %zu element/item boundaries, pixel value at %zu, %zu cuts\n",
           base_name(src).c_str(), b.size(), bounds.size(), pixel_value, cuts.size());
    write_bytes(dir + "/intact.dcm", b.data(), b.size());
    for (size_t off : cuts) {
        char name[64];
        snprintf(name, sizeof name, "/cut%07zu.dcm", off);
        write_bytes(dir + name, b.data(), off);
    }
    TruncationSummary sum;
    sum.files = cuts.size();
    double t0 = tsc_test_seconds();
    tsc_dicom_index *ix = open_dir(dir);
    double t_open = tsc_test_seconds() - t0;
    /* The intact copy is the one series' one slice ... */
    CHECK(tsc_dicom_n_series(ix) >= 1);
    bool intact_found = false;
    for (size_t s = 0; s < tsc_dicom_n_series(ix); s++)
        for (size_t k = 0; k < tsc_dicom_get_series(ix, s)->n_slices; k++) {
            const tsc_dicom_slice_info *si = tsc_dicom_get_slice(ix, s, k);
            std::string name = base_name(si->path);
            tsc_dicom_image *im = nullptr;
            tsc_error err;
            tsc_status st = tsc_dicom_decode_slice(ix, s, k, &im, &err);
            if (name == "intact.dcm") {
                intact_found = true;
                if (st != TSC_OK) fprintf(stderr, "intact copy: %s\n", err.message);
                CHECK(st == TSC_OK);
            } else {
                /* ... and a cut file that got past the header check fails to
                 * decode with a message naming it. */
                if (st == TSC_OK) fprintf(stderr, "%s decodes although truncated\n", name.c_str());
                CHECK(st != TSC_OK);
                if (st != TSC_OK && !strstr(err.message, name.c_str())) {
                    fprintf(stderr, "%s: decode message does not name the file: %s\n", name.c_str(),
                            err.message);
                    tsc_test_failures++;
                }
                if (st != TSC_OK) {
                    sum.decode_failed++;
                    std::string r = err.message;
                    r = r.substr(r.find(':') + 2);
                    r = r.substr(0, r.find_first_of("(:"));
                    sum.reasons["decode: " + r]++;
                }
            }
            tsc_dicom_image_free(im);
        }
    CHECK(intact_found);
    /* Every other cut file is listed as skipped, with a reason. */
    for (size_t off : cuts) {
        char name[64];
        snprintf(name, sizeof name, "cut%07zu.dcm", off);
        const tsc_dicom_skipped *k = find_skipped(ix, name);
        if (!k) continue;
        sum.skipped++;
        CHECK(strlen(k->reason) > 10);
        std::string r = k->reason;
        r = r.substr(0, r.find_first_of("(:"));
        sum.reasons["index: " + r]++;
    }
    CHECK(sum.skipped + sum.decode_failed == sum.files);
    printf("  opened %zu files in %.2f s: %zu skipped while indexing, %zu refused when decoded\n",
           sum.files + 1, t_open, sum.skipped, sum.decode_failed);
    for (auto &kv : sum.reasons) printf("    %5zu x %s\n", kv.second, kv.first.c_str());
    CHECK(t_open < 60);
    tsc_dicom_index_free(ix);
    return sum;
}

} // namespace

TSC_TEST(robustness_truncation_at_every_header_boundary_is_skipped)
{
    std::string src_dir = tsc_test_env("TSC_SOURCE_DIR", "..");
    std::string sample = src_dir + "/sample_dicom/01-normal-colin27/t1-axial/IM0001.dcm";
    if (access(sample.c_str(), R_OK) != 0) tsc_test_skip("sample file %s not found", sample.c_str());
    /* The sample (JPEG-LS, encapsulated) and the same file decompressed. */
    std::string native = std::string(tsc_test_tmpdir()) + "/native.dcm";
    REQUIRE(run("dcmdjpls '" + sample + "' '" + native + "' >/dev/null 2>&1") == 0);
    truncate_and_open(sample, tmp("jpeg-ls"));
    truncate_and_open(native, tmp("native"));
}

TSC_TEST(robustness_pixel_data_shorter_than_declared_is_refused)
{
    std::string dir = tmp("short");
    write_slice(dir + "/good.dcm", 64, 64, 1, 0);
    {
        /* A well-formed file whose PixelData holds half the declared pixels. */
        DcmFileFormat ff;
        fill_slice(ff.getDataset(), 64, 64, 2, 2);
        std::vector<Uint16> half(64 * 32, 100);
        ff.getDataset()->putAndInsertUint16Array(DCM_PixelData, half.data(), (unsigned long)half.size());
        save(ff, dir + "/half.dcm");
    }
    {
        /* 8-bit values where 16-bit ones are declared. */
        DcmFileFormat ff;
        fill_slice(ff.getDataset(), 64, 64, 3, 4);
        std::vector<Uint8> bytes(64 * 64, 7);
        ff.getDataset()->putAndInsertUint8Array(DCM_PixelData, bytes.data(), (unsigned long)bytes.size());
        save(ff, dir + "/eight-for-sixteen.dcm");
    }
    {
        /* Three frames declared, one present. */
        DcmFileFormat ff;
        fill_slice(ff.getDataset(), 64, 64, 4, 6);
        ff.getDataset()->putAndInsertString(DCM_NumberOfFrames, "3");
        save(ff, dir + "/frames.dcm");
    }
    tsc_dicom_index *ix = open_dir(dir);
    CHECK(tsc_dicom_n_series(ix) == 1);
    CHECK(tsc_dicom_get_series(ix, 0)->n_slices == 1);
    CHECK(skipped_with(ix, "half.dcm", "pixel data shorter than declared (4096 bytes, expected 8192)"));
    CHECK(skipped_with(ix, "eight-for-sixteen.dcm", "pixel data shorter than declared"));
    CHECK(skipped_with(ix, "frames.dcm", "pixel data shorter than declared"));
    CHECK(decode_all(ix) == 1);
    tsc_dicom_index_free(ix);

    /* Compressed pixel data cannot be checked from the header: a JPEG-LS
     * codestream of 256x256 under a header that declares more is refused
     * when decoded, and a 16000x16000 claim does not allocate more than the
     * safety limit allows. */
    std::string src_dir = tsc_test_env("TSC_SOURCE_DIR", "..");
    std::string sample = src_dir + "/sample_dicom/01-normal-colin27/t1-axial/IM0001.dcm";
    if (access(sample.c_str(), R_OK) != 0) return;
    std::string cdir = tmp("short-compressed");
    struct Claim { const char *name; int rows, cols; } claims[] = {
        {"rows512.dcm", 512, 256}, {"cols300.dcm", 256, 300}, {"huge.dcm", 16000, 16000}};
    for (const Claim &c : claims) {
        DcmFileFormat ff;
        REQUIRE(ff.loadFile(sample.c_str()).good());
        ff.getDataset()->putAndInsertUint16(DCM_Rows, (Uint16)c.rows);
        ff.getDataset()->putAndInsertUint16(DCM_Columns, (Uint16)c.cols);
        save(ff, cdir + "/" + c.name, EXS_Unknown);
    }
    long rss0 = peak_rss_kib();
    ix = open_dir(cdir);
    for (size_t s = 0; s < tsc_dicom_n_series(ix); s++) {
        const tsc_dicom_slice_info *si = tsc_dicom_get_slice(ix, s, 0);
        tsc_dicom_image *im = nullptr;
        tsc_error err;
        tsc_status st = tsc_dicom_decode_slice(ix, s, 0, &im, &err);
        printf("  %-14s %dx%d: %s\n", base_name(si->path).c_str(), si->rows, si->cols,
               st == TSC_OK ? "decoded" : err.message);
        CHECK(st != TSC_OK);
        CHECK(strstr(err.message, base_name(si->path).c_str()) != nullptr);
        tsc_dicom_image_free(im);
    }
    long rss1 = peak_rss_kib();
    printf("  peak RSS %ld MiB before decoding, %ld MiB after (16000x16000 claim)\n", rss0 / 1024,
           rss1 / 1024);
    tsc_dicom_index_free(ix);
}

TSC_TEST(robustness_inconsistent_pixel_description_is_refused_per_file)
{
    std::string dir = tmp("inconsistent");
    write_slice(dir + "/good.dcm", 32, 32, 1, 0);
    int inst = 10;
    auto variant = [&](const char *name, const std::function<void(DcmDataset *)> &spoil) {
        DcmFileFormat ff;
        fill_slice(ff.getDataset(), 32, 32, inst, inst);
        inst++;
        spoil(ff.getDataset());
        save(ff, dir + "/" + name);
    };
    variant("samples3-mono.dcm", [](DcmDataset *ds) { ds->putAndInsertUint16(DCM_SamplesPerPixel, 3); });
    variant("samples2.dcm", [](DcmDataset *ds) { ds->putAndInsertUint16(DCM_SamplesPerPixel, 2); });
    variant("samples0.dcm", [](DcmDataset *ds) { ds->putAndInsertUint16(DCM_SamplesPerPixel, 0); });
    variant("bits12.dcm", [](DcmDataset *ds) { ds->putAndInsertUint16(DCM_BitsAllocated, 12); });
    variant("bits0.dcm", [](DcmDataset *ds) { ds->putAndInsertUint16(DCM_BitsAllocated, 0); });
    variant("bits64.dcm", [](DcmDataset *ds) { ds->putAndInsertUint16(DCM_BitsAllocated, 64); });
    variant("stored17.dcm", [](DcmDataset *ds) { ds->putAndInsertUint16(DCM_BitsStored, 17); });
    variant("stored0.dcm", [](DcmDataset *ds) { ds->putAndInsertUint16(DCM_BitsStored, 0); });
    variant("bits32-short.dcm", [](DcmDataset *ds) {
        ds->putAndInsertUint16(DCM_BitsAllocated, 32);
        ds->putAndInsertUint16(DCM_BitsStored, 32);
        ds->putAndInsertUint16(DCM_HighBit, 31);
    });
    variant("frames0.dcm", [](DcmDataset *ds) { ds->putAndInsertString(DCM_NumberOfFrames, "0"); });
    variant("frames-neg.dcm", [](DcmDataset *ds) { ds->putAndInsertString(DCM_NumberOfFrames, "-5"); });
    variant("frames-huge.dcm", [](DcmDataset *ds) { ds->putAndInsertString(DCM_NumberOfFrames, "2000000000"); });
    variant("cols0.dcm", [](DcmDataset *ds) { ds->putAndInsertUint16(DCM_Columns, 0); });
    variant("no-rows.dcm", [](DcmDataset *ds) { ds->findAndDeleteElement(DCM_Rows); });
    /* Header and data agree here, but the numbers are absurd: 65535 x 65535 x
     * 16 bit is refused from the header (tests/dicom pins the same for one
     * size); 30000 x 30000 is under the size limit but over the byte limit. */
    variant("dims-65535.dcm", [](DcmDataset *ds) {
        ds->putAndInsertUint16(DCM_Rows, 65535);
        ds->putAndInsertUint16(DCM_Columns, 65535);
    });
    variant("dims-30000.dcm", [](DcmDataset *ds) {
        ds->putAndInsertUint16(DCM_Rows, 30000);
        ds->putAndInsertUint16(DCM_Columns, 30000);
    });
    /* Oddities the reader tolerates: they must decode to finite values. */
    variant("highbit-odd.dcm", [](DcmDataset *ds) { ds->putAndInsertUint16(DCM_HighBit, 15); });
    variant("no-photometric.dcm", [](DcmDataset *ds) { ds->findAndDeleteElement(DCM_PhotometricInterpretation); });
    variant("pixrep-2.dcm", [](DcmDataset *ds) { ds->putAndInsertUint16(DCM_PixelRepresentation, 2); });

    double t0 = tsc_test_seconds();
    long rss0 = peak_rss_kib();
    tsc_dicom_index *ix = open_dir(dir);
    CHECK(skipped_with(ix, "samples3-mono.dcm", "pixel data shorter than declared"));
    CHECK(skipped_with(ix, "samples2.dcm", "SamplesPerPixel 2 is not supported"));
    CHECK(skipped_with(ix, "samples0.dcm", "SamplesPerPixel 0 is not supported"));
    CHECK(skipped_with(ix, "bits12.dcm", "BitsAllocated 12 is not supported"));
    CHECK(skipped_with(ix, "bits0.dcm", "BitsAllocated 0 is not supported"));
    CHECK(skipped_with(ix, "bits64.dcm", "BitsAllocated 64 is not supported"));
    CHECK(skipped_with(ix, "stored17.dcm", "BitsStored 17 does not fit BitsAllocated 16"));
    CHECK(skipped_with(ix, "stored0.dcm", "BitsStored 0 does not fit BitsAllocated 16"));
    CHECK(skipped_with(ix, "bits32-short.dcm", "pixel data shorter than declared"));
    CHECK(skipped_with(ix, "frames0.dcm", "NumberOfFrames 0 is out of range"));
    CHECK(skipped_with(ix, "frames-neg.dcm", "NumberOfFrames -5 is out of range"));
    CHECK(skipped_with(ix, "frames-huge.dcm", "NumberOfFrames 2000000000 is out of range"));
    CHECK(skipped_with(ix, "cols0.dcm", "Rows or Columns is 0"));
    CHECK(skipped_with(ix, "no-rows.dcm", "Rows or Columns is 0 or missing"));
    CHECK(skipped_with(ix, "dims-65535.dcm", "exceeds the 32768x32768 limit"));
    CHECK(skipped_with(ix, "dims-30000.dcm", "exceeds the safety limit"));
    /* The tolerated ones and the good file open and decode. */
    size_t slices = 0;
    for (size_t s = 0; s < tsc_dicom_n_series(ix); s++) slices += tsc_dicom_get_series(ix, s)->n_slices;
    CHECK(slices == 4);
    CHECK(decode_all(ix) == 4);
    double dt = tsc_test_seconds() - t0;
    long rss1 = peak_rss_kib();
    printf("  opened and decoded in %.3f s; peak RSS grew by %ld KiB\n", dt, rss1 - rss0);
    CHECK(dt < 30);
    CHECK(rss1 - rss0 < 64 * 1024); /* nothing near the claimed sizes was allocated */
    tsc_dicom_index_free(ix);
}

TSC_TEST(robustness_zero_or_negative_pixel_spacing_is_treated_as_unknown)
{
    std::string dir = tmp("spacing");
    const char *values[] = {"0\\0", "-0.5\\-0.5", "0.5\\-0.5", "0\\0.5", "nan\\nan", "inf\\1", "abc\\def",
                            "1e308\\1e308"};
    for (int i = 0; i < (int)(sizeof values / sizeof values[0]); i++) {
        std::string series = std::string(SERIES_UID) + ".5" + std::to_string(i);
        for (int k = 0; k < 2; k++) {
            DcmFileFormat ff;
            fill_slice(ff.getDataset(), 32, 32, k + 1, 2.0 * k, series);
            ff.getDataset()->putAndInsertString(DCM_PixelSpacing, values[i]);
            save(ff, dir + "/s" + std::to_string(i) + "_" + std::to_string(k) + ".dcm");
        }
    }
    tsc_dicom_index *ix = open_dir(dir);
    REQUIRE(tsc_dicom_n_series(ix) == sizeof values / sizeof values[0]);
    for (size_t s = 0; s < tsc_dicom_n_series(ix); s++) {
        const tsc_dicom_series_info *se = tsc_dicom_get_series(ix, s);
        const tsc_dicom_slice_info *si = tsc_dicom_get_slice(ix, s, 0);
        printf("  PixelSpacing %-14s -> series %g x %g mm\n",
               values[base_name(si->path)[1] - '0'], se->pixel_spacing[0], se->pixel_spacing[1]);
        /* Unknown spacing is 0 ("absent"), never negative or infinite ... */
        for (int d = 0; d < 2; d++) {
            CHECK(se->pixel_spacing[d] >= 0 && std::isfinite(se->pixel_spacing[d]));
            CHECK(si->pixel_spacing[d] >= 0 && std::isfinite(si->pixel_spacing[d]));
            /* ... and both values are known or neither is. */
            CHECK((se->pixel_spacing[0] > 0) == (se->pixel_spacing[1] > 0));
        }
        /* Decoded images fall back to 1 mm, as for an absent PixelSpacing. */
        tsc_dicom_image *im = nullptr;
        tsc_error err;
        REQUIRE(tsc_dicom_decode_slice(ix, s, 0, &im, &err) == TSC_OK);
        CHECK(im->pixel_spacing[0] > 0 && std::isfinite(im->pixel_spacing[0]));
        CHECK(im->pixel_spacing[1] > 0 && std::isfinite(im->pixel_spacing[1]));
        tsc_dicom_image_free(im);
    }
    tsc_dicom_index_free(ix);

    /* The whole CLI pipeline (analysis, reports, DICOM outputs) copes. */
    std::string bin = std::string(tsc_test_env("TSC_BUILD_DIR", ".")) + "/bin/tumorscope";
    if (access(bin.c_str(), X_OK) != 0) {
        printf("  %s not built; CLI part not run\n", bin.c_str());
        return;
    }
    std::string out = tmp("spacing-out");
    std::string log = std::string(tsc_test_tmpdir()) + "/analyze.log";
    int rc = run("'" + bin + "' analyze '" + dir + "' --method threshold --quiet --json '" + out +
                 "/r.json' --out '" + out + "' --png --pdf --dicom >'" + log + "' 2>&1");
    std::string text = slurp(log);
    if (rc != 0) fprintf(stderr, "analyze exited %d:\n%s\n", rc, text.c_str());
    CHECK(rc == 0);
    /* No negative or non-finite measurement reaches the result. */
    std::string json = slurp(out + "/r.json");
    CHECK(!json.empty());
    for (const char *key : {"\"area_mm2\":", "\"diameter_mm\":", "\"volume_ml\":"})
        for (size_t at = json.find(key); at != std::string::npos; at = json.find(key, at + 1)) {
            size_t v = json.find_first_not_of(" \t", at + strlen(key));
            CHECK(v != std::string::npos && json[v] != '-');
        }
    CHECK(json.find("nan") == std::string::npos && json.find("inf") == std::string::npos);
    /* A series with lesions and no PixelSpacing: its SEG states the 1 mm
     * per pixel every measurement assumed, never 0\0 (which dciodvfy
     * rejects). */
    std::string lesion = tmp("no-spacing");
    std::string src_dir = tsc_test_env("TSC_SOURCE_DIR", "..");
    REQUIRE(run("cp -r '" + src_dir + "/sample_dicom/03-synthetic-lesion/t1-post-contrast' '" + lesion + "/in'") == 0);
    if (run("dcmodify -nb -ea '(0028,0030)' '" + lesion + "/in/'*.dcm >/dev/null 2>&1") != 0) {
        printf("  dcmodify (dcmtk) not found; SEG part not run\n");
        return;
    }
    REQUIRE(run("'" + bin + "' analyze '" + lesion + "/in' --method threshold --quiet --dicom --out '" +
                lesion + "/out' >'" + log + "' 2>&1") == 0);
    std::string seg = lesion + "/out/series000_dicom/SEG.dcm";
    DcmFileFormat ff;
    REQUIRE(ff.loadFile(seg.c_str()).good());
    DcmItem *pm = nullptr;
    OFString spacing;
    REQUIRE(ff.getDataset()->findAndGetSequenceItem(DCM_SharedFunctionalGroupsSequence, pm).good());
    REQUIRE(pm->findAndGetSequenceItem(DCM_PixelMeasuresSequence, pm).good());
    pm->findAndGetOFStringArray(DCM_PixelSpacing, spacing);
    printf("  SEG of a lesion series without PixelSpacing: PixelSpacing %s\n", spacing.c_str());
    CHECK(spacing == "1\\1");
    if (run("command -v dciodvfy >/dev/null") == 0) {
        std::string v = std::string(tsc_test_tmpdir()) + "/dciodvfy.txt";
        run("dciodvfy '" + seg + "' >'" + v + "' 2>&1");
        std::string text = slurp(v);
        if (text.find("Error") != std::string::npos) printf("%s", text.c_str());
        CHECK(text.find("Error") == std::string::npos);
    }
}

TSC_TEST(robustness_float_pixel_data_with_nan_inf_is_refused_clearly)
{
    std::string dir = tmp("float");
    write_slice(dir + "/good.dcm", 32, 32, 1, 0);
    for (int both = 0; both < 2; both++) {
        DcmFileFormat ff;
        DcmDataset *ds = ff.getDataset();
        fill_slice(ds, 32, 32, 2 + both, 2 + both, std::string(SERIES_UID) + ".7" + std::to_string(both));
        ds->putAndInsertString(DCM_SOPClassUID, UID_ParametricMapStorage);
        ds->putAndInsertUint16(DCM_BitsAllocated, 32);
        ds->findAndDeleteElement(DCM_BitsStored);
        ds->findAndDeleteElement(DCM_HighBit);
        ds->findAndDeleteElement(DCM_PixelRepresentation);
        if (!both) ds->findAndDeleteElement(DCM_PixelData);
        std::vector<Float32> f(32 * 32, 1.5f);
        f[0] = NAN;
        f[1] = INFINITY;
        f[2] = -INFINITY;
        DcmFloatingPointSingle *fe = new DcmOtherFloat(DCM_FloatPixelData);
        fe->putFloat32Array(f.data(), (unsigned long)f.size());
        ds->insert(fe, true);
        save(ff, dir + (both ? "/float-and-int.dcm" : "/float.dcm"));
    }
    tsc_dicom_index *ix = open_dir(dir);
    CHECK(skipped_with(ix, "float.dcm", "float pixel data (parametric map) is not supported"));
    /* An object carrying both is read through its integer PixelData (whose
     * declared 32 bits per pixel it does not hold): refused all the same. */
    CHECK(find_skipped(ix, "float-and-int.dcm") != nullptr);
    if (const tsc_dicom_skipped *k = find_skipped(ix, "float-and-int.dcm"))
        printf("  %-28s skipped: %s\n", "float-and-int.dcm", k->reason);
    CHECK(decode_all(ix) == 1);
    tsc_dicom_index_free(ix);
}

TSC_TEST(robustness_nan_inf_header_values_never_reach_pixels_or_geometry)
{
    std::string dir = tmp("nan");
    struct V { const char *name; DcmTagKey tag; const char *value; } vs[] = {
        {"slope-nan", DCM_RescaleSlope, "NaN"},
        {"slope-inf", DCM_RescaleSlope, "inf"},
        {"slope-huge", DCM_RescaleSlope, "1e308"},
        {"icpt-inf", DCM_RescaleIntercept, "-inf"},
        {"window-nan", DCM_WindowWidth, "nan"},
        {"pos-nan", DCM_ImagePositionPatient, "nan\\0\\0"},
        {"orient-inf", DCM_ImageOrientationPatient, "inf\\0\\0\\0\\1\\0"},
        {"thick-nan", DCM_SliceThickness, "nan"},
    };
    int i = 0;
    for (const V &v : vs) {
        DcmFileFormat ff;
        std::string series = std::string(SERIES_UID) + ".6" + std::to_string(i);
        fill_slice(ff.getDataset(), 16, 16, 1, 0, series);
        ff.getDataset()->putAndInsertString(v.tag, v.value);
        if (v.tag == DCM_WindowWidth) ff.getDataset()->putAndInsertString(DCM_WindowCenter, "100");
        save(ff, dir + "/" + v.name + ".dcm");
        i++;
    }
    tsc_dicom_index *ix = open_dir(dir);
    CHECK(tsc_dicom_n_series(ix) == sizeof vs / sizeof vs[0]);
    for (size_t s = 0; s < tsc_dicom_n_series(ix); s++) {
        const tsc_dicom_series_info *se = tsc_dicom_get_series(ix, s);
        const tsc_dicom_slice_info *si = tsc_dicom_get_slice(ix, s, 0);
        CHECK(std::isfinite(se->slice_thickness) && std::isfinite(se->slice_spacing));
        for (int d = 0; d < 3; d++) CHECK(std::isfinite(si->position[d]));
        for (int d = 0; d < 6; d++) CHECK(std::isfinite(si->orientation[d]));
        tsc_dicom_image *im = nullptr;
        tsc_error err;
        tsc_status st = tsc_dicom_decode_slice(ix, s, 0, &im, &err);
        if (base_name(si->path) == "slope-huge.dcm") {
            /* 4000 x 1e308 has no float: refused, not shown as infinity. */
            printf("  slope-huge.dcm: %s\n", st == TSC_OK ? "decoded" : err.message);
            CHECK(st != TSC_OK);
            CHECK(strstr(err.message, "slope-huge.dcm") && strstr(err.message, "outside the float range"));
            tsc_dicom_image_free(im);
            continue;
        }
        if (st != TSC_OK) {
            fprintf(stderr, "%s: %s\n", base_name(si->path).c_str(), err.message);
            tsc_test_failures++;
            continue;
        }
        bool finite = std::isfinite(im->window_center) && std::isfinite(im->window_width) &&
                      im->window_width > 0 && std::isfinite(im->min_value) && std::isfinite(im->max_value);
        for (int p = 0; p < im->rows * im->cols; p++) finite &= std::isfinite(im->pixels[p]) != 0;
        if (!finite) fprintf(stderr, "%s: non-finite values reach the image\n", base_name(si->path).c_str());
        CHECK(finite);
        tsc_dicom_image_free(im);
    }
    tsc_dicom_index_free(ix);
}

/* A file with `depth` nested sequences (ContentSequence, as in deep SR
 * trees) next to its pixels, written by DCMTK in the given encoding. */
void write_nested(const std::string &path, int depth, int instance, int size = 16,
                  E_TransferSyntax xfer = EXS_LittleEndianExplicit,
                  E_EncodingType enc = EET_UndefinedLength)
{
    DcmFileFormat ff;
    fill_slice(ff.getDataset(), size, size, instance, instance);
    DcmItem *inner = new DcmItem();
    inner->putAndInsertString(DCM_ValueType, "TEXT");
    inner->putAndInsertString(DCM_TextValue, "deepest");
    for (int d = 1; d < depth; d++) {
        DcmSequenceOfItems *sq = new DcmSequenceOfItems(DCM_ContentSequence);
        sq->insert(inner);
        DcmItem *outer = new DcmItem();
        outer->insert(sq);
        inner = outer;
    }
    DcmSequenceOfItems *top = new DcmSequenceOfItems(DCM_ContentSequence);
    top->insert(inner);
    ff.getDataset()->insert(top, true);
    OFCondition c = ff.saveFile(path.c_str(), xfer, enc);
    REQUIRE(c.good());
}

/* `depth` nested sequences of undefined length spliced in raw bytes before
 * the pixel data of an explicit little endian file (deeper than DCMTK itself
 * could write). */
void write_nested_raw(const std::string &path, const std::string &src, size_t depth)
{
    std::vector<unsigned char> b = read_bytes(src);
    const unsigned char px[] = {0xe0, 0x7f, 0x10, 0x00, 'O', 'W'};
    auto at = std::search(b.begin(), b.end(), px, px + sizeof px);
    REQUIRE(at != b.end());
    const unsigned char open[] = {0x40, 0x00, 0x30, 0xa7, 'S', 'Q', 0, 0, 0xff, 0xff, 0xff, 0xff,
                                  0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff};
    const unsigned char close[] = {0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0, 0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0};
    std::vector<unsigned char> out(b.begin(), at);
    for (size_t d = 0; d < depth; d++) out.insert(out.end(), open, open + sizeof open);
    for (size_t d = 0; d < depth; d++) out.insert(out.end(), close, close + sizeof close);
    out.insert(out.end(), at, b.end());
    write_bytes(path, out.data(), out.size());
}

TSC_TEST(robustness_sequences_nested_1000_deep_are_refused_without_crashing)
{
    std::string dir = tmp("nested");
    write_slice(dir + "/good.dcm", 16, 16, 1, 0);
    /* 200 levels: far beyond real objects, still read. */
    write_nested(dir + "/deep200.dcm", 200, 2);
    /* 1000 levels in every encoding DCMTK writes; a million (16 MB) in raw
     * bytes, which DCMTK alone would read until the stack overflows (from
     * about 4,000 levels on an 8 MiB stack). */
    write_nested(dir + "/deep1000-explicit.dcm", 1000, 3);
    write_nested(dir + "/deep1000-defined-length.dcm", 1000, 4, 16, EXS_LittleEndianExplicit,
                 EET_ExplicitLength);
    write_nested(dir + "/deep1000-implicit.dcm", 1000, 5, 16, EXS_LittleEndianImplicit);
    write_nested(dir + "/deep1000-big-endian.dcm", 1000, 6, 16, EXS_BigEndianExplicit);
    write_nested(dir + "/deep1000-deflated.dcm", 1000, 7, 16, EXS_DeflatedLittleEndianExplicit);
    write_nested_raw(dir + "/deep1000000.dcm", dir + "/good.dcm", 1000000);
    double t0 = tsc_test_seconds();
    tsc_dicom_index *ix = open_dir(dir);
    double dt = tsc_test_seconds() - t0;
    printf("  indexed in %.3f s\n", dt);
    CHECK(tsc_dicom_n_series(ix) == 1);
    CHECK(tsc_dicom_get_series(ix, 0)->n_slices == 2);
    CHECK(decode_all(ix) == 2);
    for (const char *name : {"deep1000-explicit.dcm", "deep1000-defined-length.dcm", "deep1000-implicit.dcm",
                             "deep1000-big-endian.dcm", "deep1000-deflated.dcm", "deep1000000.dcm"})
        CHECK(skipped_with(ix, name, "sequences nested more than 256 levels deep; refused"));
    CHECK(dt < 20);
    tsc_dicom_index_free(ix);
}

TSC_TEST(robustness_ten_thousand_files_in_one_folder_index_in_bounded_time)
{
    std::string dir = tmp("many");
    const int n = 10000;
    DcmFileFormat ff;
    fill_slice(ff.getDataset(), 16, 16, 1, 0);
    double t0 = tsc_test_seconds();
    for (int i = 0; i < n; i++) {
        DcmDataset *ds = ff.getDataset();
        std::string sop = std::string(SERIES_UID) + "." + std::to_string(i + 1);
        ds->putAndInsertString(DCM_SOPInstanceUID, sop.c_str());
        ds->putAndInsertString(DCM_InstanceNumber, std::to_string(i + 1).c_str());
        char pos[64];
        snprintf(pos, sizeof pos, "0\\0\\%g", 0.5 * i);
        ds->putAndInsertString(DCM_ImagePositionPatient, pos);
        char name[64];
        snprintf(name, sizeof name, "/IM%05d", n - i); /* names in reverse order of position */
        save(ff, dir + name);
    }
    double t_write = tsc_test_seconds() - t0;
    t0 = tsc_test_seconds();
    tsc_dicom_index *ix = open_dir(dir);
    double t_open = tsc_test_seconds() - t0;
    long rss = peak_rss_kib();
    REQUIRE(tsc_dicom_n_series(ix) == 1);
    CHECK(tsc_dicom_get_series(ix, 0)->n_slices == (size_t)n);
    CHECK(tsc_dicom_n_skipped(ix) == 0);
    CHECK_NEAR(tsc_dicom_get_series(ix, 0)->slice_spacing, 0.5, 1e-6);
    CHECK(base_name(tsc_dicom_get_slice(ix, 0, 0)->path) == "IM10000");
    tsc_dicom_image *im = nullptr;
    tsc_error err;
    CHECK(tsc_dicom_decode_slice(ix, 0, n - 1, &im, &err) == TSC_OK);
    tsc_dicom_image_free(im);
    tsc_dicom_index_free(ix);
    printf("  %d files written in %.1f s; indexed in %.2f s (%.0f files/s), peak RSS %ld MiB\n", n,
           t_write, t_open, n / t_open, rss / 1024);
    /* Generous: about 2 s on an idle core. */
    CHECK(t_open < 60);

    /* The CLI prints the tree in bounded time too. */
    std::string bin = std::string(tsc_test_env("TSC_BUILD_DIR", ".")) + "/bin/tumorscope";
    if (access(bin.c_str(), X_OK) == 0) {
        t0 = tsc_test_seconds();
        int rc = run("'" + bin + "' info '" + dir + "' >/dev/null 2>&1");
        double t_cli = tsc_test_seconds() - t0;
        printf("  tumorscope info: exit %d in %.2f s\n", rc, t_cli);
        CHECK(rc == 0);
        CHECK(t_cli < 60);
    }
}

/* Runs `fn` as an unprivileged user when we are root (where chmod does not
 * stop reads); returns false when that is impossible. */
bool run_unprivileged(const std::string &dir, const std::function<int()> &fn, int *status)
{
    if (geteuid() != 0) {
        *status = fn();
        return true;
    }
    /* The test folder must be reachable for "nobody". */
    chmod(tsc_test_tmpdir(), 0755);
    chmod(dir.c_str(), 0755);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) return false;
    if (pid == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0) _exit(99);
        _exit(fn());
    }
    int ws = 0;
    waitpid(pid, &ws, 0);
    if (!WIFEXITED(ws) || WEXITSTATUS(ws) == 99) return false;
    *status = WEXITSTATUS(ws);
    return true;
}

TSC_TEST(robustness_unreadable_files_and_folders_are_named)
{
    std::string dir = tmp("unreadable");
    write_slice(dir + "/a.dcm", 16, 16, 1, 0);
    write_slice(dir + "/locked.dcm", 16, 16, 2, 1);
    mkdir((dir + "/locked-folder").c_str(), 0755);
    write_slice(dir + "/locked-folder/b.dcm", 16, 16, 3, 2);
    REQUIRE(chmod((dir + "/locked.dcm").c_str(), 0) == 0);
    REQUIRE(chmod((dir + "/locked-folder").c_str(), 0) == 0);
    int status = -1;
    bool ran = run_unprivileged(dir, [&]() {
        if (access((dir + "/locked.dcm").c_str(), R_OK) == 0) return 98; /* permissions not enforced */
        tsc_dicom_index *ix = open_dir(dir);
        int bad = 0;
        bad += tsc_dicom_n_series(ix) != 1 || tsc_dicom_get_series(ix, 0)->n_slices != 1;
        bad += !skipped_with(ix, "locked.dcm", "cannot read file: Permission denied");
        bad += !skipped_with(ix, "locked-folder", "cannot read folder: Permission denied");
        bad += decode_all(ix) != 1;
        tsc_dicom_index_free(ix);
        fflush(stdout);
        return bad || tsc_test_failures ? 1 : 0;
    }, &status);
    chmod((dir + "/locked.dcm").c_str(), 0644);
    chmod((dir + "/locked-folder").c_str(), 0755);
    if (!ran) tsc_test_skip("running as root and cannot switch to an unprivileged user: chmod 000 does "
                            "not stop root from reading, so unreadable files cannot be made");
    if (status == 98) tsc_test_skip("file permissions are not enforced here (root without a way to "
                                    "drop privileges, or a file system that ignores modes)");
    if (geteuid() == 0) printf("  (ran as user nobody: root reads mode-000 files)\n");
    CHECK(status == 0);
}

TSC_TEST(robustness_file_changed_after_indexing_fails_decode_clearly)
{
    std::string dir = tmp("changed");
    for (int i = 0; i < 5; i++) write_slice(dir + "/s" + std::to_string(i) + ".dcm", 64, 64, i + 1, i);
    tsc_dicom_index *ix = open_dir(dir);
    REQUIRE(tsc_dicom_n_series(ix) == 1);
    REQUIRE(tsc_dicom_get_series(ix, 0)->n_slices == 5);
    /* s1 truncated into its pixels, s2 rewritten with another size, s3
     * deleted, s4 replaced by text; s0 untouched. */
    struct stat st;
    REQUIRE(stat((dir + "/s1.dcm").c_str(), &st) == 0);
    REQUIRE(truncate((dir + "/s1.dcm").c_str(), st.st_size / 2) == 0);
    write_slice(dir + "/s2.dcm", 32, 32, 3, 2);
    REQUIRE(unlink((dir + "/s3.dcm").c_str()) == 0);
    {
        std::ofstream f(dir + "/s4.dcm");
        f << "replaced by a text file\n";
    }
    const char *expect[] = {nullptr, "cannot be read any more", "image size changed since the study was opened",
                            "cannot be read any more", "cannot be read any more"};
    for (size_t k = 0; k < 5; k++) {
        std::string name = base_name(tsc_dicom_get_slice(ix, 0, k)->path);
        tsc_dicom_image *im = nullptr;
        tsc_error err;
        tsc_status st2 = tsc_dicom_decode_slice(ix, 0, k, &im, &err);
        int which = name[1] - '0';
        printf("  %s: %s\n", name.c_str(), st2 == TSC_OK ? "decoded" : err.message);
        if (!expect[which]) {
            CHECK(st2 == TSC_OK);
        } else {
            CHECK(st2 != TSC_OK);
            CHECK(strstr(err.message, name.c_str()) != nullptr);
            CHECK(strstr(err.message, expect[which]) != nullptr);
        }
        tsc_dicom_image_free(im);
    }
    tsc_dicom_index_free(ix);
}

TSC_TEST(robustness_file_rewritten_while_being_read_never_crashes)
{
    std::string dir = tmp("racing");
    write_slice(dir + "/stable.dcm", 128, 128, 1, 0);
    std::string victim = dir + "/victim.dcm";
    write_slice(victim, 128, 128, 2, 1);
    std::vector<unsigned char> good = read_bytes(victim);
    /* Another writer keeps truncating, rewriting and replacing the file. */
    std::atomic<bool> stop(false);
    std::thread writer([&]() {
        unsigned seed = 12345;
        while (!stop.load()) {
            seed = seed * 1103515245u + 12345u;
            size_t cut = (seed >> 8) % good.size();
            int fd = open(victim.c_str(), O_WRONLY | O_TRUNC);
            if (fd >= 0) {
                if (write(fd, good.data(), cut) < 0) {}
                usleep(200);
                if (write(fd, good.data() + cut, good.size() - cut) < 0) {}
                close(fd);
            }
            if (seed & 0x10000) {
                /* Replace by rename, as editors and sync tools do. */
                std::string t = victim + ".new";
                write_bytes(t, good.data(), (seed >> 4) % good.size());
                rename(t.c_str(), victim.c_str());
            }
        }
    });
    double t0 = tsc_test_seconds(), longest = 0;
    int rounds = 0, opened_with_victim = 0, decode_ok = 0, decode_failed = 0;
    while (tsc_test_seconds() - t0 < 4.0) {
        double r0 = tsc_test_seconds();
        const char *paths[] = {dir.c_str()};
        tsc_dicom_index *ix = nullptr;
        tsc_error err;
        tsc_dicom_open_params op = tsc_dicom_default_open_params();
        tsc_status st = tsc_dicom_open(paths, 1, &op, &ix, &err);
        CHECK(st == TSC_OK); /* stable.dcm always opens */
        if (st == TSC_OK) {
            size_t total = 0;
            for (size_t s = 0; s < tsc_dicom_n_series(ix); s++) {
                for (size_t k = 0; k < tsc_dicom_get_series(ix, s)->n_slices; k++) {
                    std::string name = base_name(tsc_dicom_get_slice(ix, s, k)->path);
                    tsc_dicom_image *im = nullptr;
                    tsc_status ds = tsc_dicom_decode_slice(ix, s, k, &im, &err);
                    if (name == "victim.dcm") {
                        if (ds == TSC_OK) decode_ok++;
                        else {
                            decode_failed++;
                            CHECK(strstr(err.message, "victim.dcm") != nullptr);
                        }
                    } else if (ds != TSC_OK) {
                        fprintf(stderr, "stable.dcm: %s\n", err.message);
                        tsc_test_failures++;
                    }
                    tsc_dicom_image_free(im);
                    total++;
                }
            }
            if (total == 2) opened_with_victim++;
            else CHECK(find_skipped(ix, "victim.dcm") != nullptr);
        }
        tsc_dicom_index_free(ix);
        longest = std::max(longest, tsc_test_seconds() - r0);
        rounds++;
    }
    stop = true;
    writer.join();
    printf("  %d rounds in 4 s: victim indexed %d times (decoded %d, refused %d), skipped %d times; "
           "slowest round %.3f s\n",
           rounds, opened_with_victim, decode_ok, decode_failed, rounds - opened_with_victim, longest);
    CHECK(rounds > 5);
    CHECK(longest < 5);
}

TSC_TEST(robustness_series_mixing_orientations_is_split)
{
    std::string dir = tmp("orient");
    for (int i = 0; i < 6; i++) {
        DcmFileFormat ff;
        fill_slice(ff.getDataset(), 32, 32, i + 1, i);
        if (i % 2) {
            /* Sagittal slices, stacked along x. */
            ff.getDataset()->putAndInsertString(DCM_ImageOrientationPatient, "0\\1\\0\\0\\0\\-1");
            ff.getDataset()->putAndInsertString(DCM_ImagePositionPatient, (std::to_string(i) + "\\0\\0").c_str());
        }
        save(ff, dir + "/o" + std::to_string(i) + ".dcm");
    }
    tsc_dicom_index *ix = open_dir(dir);
    REQUIRE(tsc_dicom_n_series(ix) == 2);
    for (size_t s = 0; s < 2; s++) {
        const tsc_dicom_series_info *se = tsc_dicom_get_series(ix, s);
        printf("  series %zu: %zu slices, \"%s\"\n", s, se->n_slices, se->description);
        CHECK(se->n_slices == 3);
        CHECK(se->flags & TSC_DICOM_SERIES_SPLIT);
        CHECK(strstr(se->description, "mixed sizes or orientations") != nullptr);
    }
    CHECK(decode_all(ix) == 6);
    tsc_dicom_index_free(ix);
}

TSC_TEST(robustness_dicomdir_entries_leaving_the_medium_are_refused)
{
    std::string root = tmp("medium");
    std::string dir = tmp("medium/cd");
    for (int i = 0; i < 3; i++) write_slice(dir + "/IM" + std::to_string(i), 16, 16, i + 1, i);
    write_slice(root + "/OUTSIDE", 16, 16, 9, 9);
    REQUIRE(run("cd '" + dir + "' && dcmmkdir --recurse --invent +I IM0 IM1 IM2 >/dev/null 2>&1") == 0);
    /* Point IM1's record outside the medium, and IM2's at nothing. */
    DcmFileFormat ff;
    REQUIRE(ff.loadFile((dir + "/DICOMDIR").c_str()).good());
    DcmSequenceOfItems *recs = nullptr;
    REQUIRE(ff.getDataset()->findAndGetSequence(DCM_DirectoryRecordSequence, recs).good() && recs);
    for (unsigned long i = 0; i < recs->card(); i++) {
        OFString id;
        if (recs->getItem(i)->findAndGetOFStringArray(DCM_ReferencedFileID, id).bad()) continue;
        if (id == "IM1") recs->getItem(i)->putAndInsertString(DCM_ReferencedFileID, "..\\OUTSIDE");
        if (id == "IM2") recs->getItem(i)->putAndInsertString(DCM_ReferencedFileID, "GONE\\IM2");
    }
    REQUIRE(ff.saveFile((dir + "/DICOMDIR").c_str(), EXS_LittleEndianExplicit).good());
    tsc_dicom_index *ix = open_dir(dir + "/DICOMDIR");
    CHECK(tsc_dicom_n_series(ix) == 1);
    CHECK(tsc_dicom_get_series(ix, 0)->n_slices == 1);
    CHECK(skipped_with(ix, "DICOMDIR", "DICOMDIR entry '..\\OUTSIDE' leaves the medium"));
    CHECK(skipped_with(ix, "IM2", "DICOMDIR refers to a missing or unreadable file (GONE\\IM2)"));
    tsc_dicom_index_free(ix);
}

TSC_TEST(robustness_cli_names_every_bad_file_and_opens_the_rest)
{
    std::string bin = tsc_test_program("tumorscope");
    std::string dir = tmp("study");
    for (int i = 0; i < 4; i++) write_slice(dir + "/good" + std::to_string(i) + ".dcm", 64, 64, i + 1, 2.0 * i);
    /* One of each kind of bad file, under distinct reasons. */
    write_slice(dir + "/truncated.dcm", 64, 64, 20, 40);
    REQUIRE(truncate((dir + "/truncated.dcm").c_str(), 1000) == 0);
    {
        DcmFileFormat ff;
        fill_slice(ff.getDataset(), 64, 64, 21, 42);
        ff.getDataset()->putAndInsertUint16(DCM_Rows, 65535);
        ff.getDataset()->putAndInsertUint16(DCM_Columns, 65535);
        save(ff, dir + "/absurd.dcm");
    }
    {
        DcmFileFormat ff;
        fill_slice(ff.getDataset(), 64, 64, 22, 44);
        ff.getDataset()->putAndInsertUint16(DCM_SamplesPerPixel, 2);
        save(ff, dir + "/samples.dcm");
    }
    write_nested(dir + "/nested.dcm", 1000, 5, 64);
    {
        std::ofstream f(dir + "/notes.txt");
        f << "not an image\n";
    }
    REQUIRE(symlink("loop", (dir + "/loop").c_str()) == 0);
    double t0 = tsc_test_seconds();
    std::string err_path = std::string(tsc_test_tmpdir()) + "/info.err";
    int rc = run("'" + bin + "' info '" + dir + "' >/dev/null 2>'" + err_path + "'");
    double dt = tsc_test_seconds() - t0;
    std::string err = slurp(err_path);
    printf("  tumorscope info: exit %d in %.2f s; stderr:\n%s", rc, dt, err.c_str());
    CHECK(rc == 0);
    const char *bad[][2] = {{"truncated.dcm", "truncated"}, {"absurd.dcm", "limit"},
                            {"samples.dcm", "SamplesPerPixel 2"}, {"notes.txt", "not a DICOM file"},
                            {"loop", "cannot read file"}, {"nested.dcm", "nested more than 256 levels"}};
    for (auto &b : bad) {
        std::string line = "tumorscope info: skipped " + dir + "/" + b[0] + ": ";
        size_t at = err.find(line);
        CHECK(at != std::string::npos);
        if (at != std::string::npos) CHECK(err.find(b[1], at) < err.find('\n', at));
    }

    /* analyze: the good series is analysed, the bad files listed. */
    std::string out = tmp("study-out");
    std::string aerr = std::string(tsc_test_tmpdir()) + "/analyze.err";
    rc = run("'" + bin + "' analyze '" + dir + "' --method threshold --quiet --json '" + out +
             "/r.json' --out '" + out + "' --pdf >/dev/null 2>'" + aerr + "'");
    err = slurp(aerr);
    printf("  tumorscope analyze: exit %d; stderr:\n%s", rc, err.c_str());
    CHECK(rc == 0);
    for (auto &b : bad) CHECK(err.find(std::string("skipped ") + dir + "/" + b[0] + ": ") != std::string::npos);
    std::string json = slurp(out + "/r.json");
    CHECK(json.find("\"n_slices\":\t4") != std::string::npos);
    CHECK(dt < 30);
}

/* A slice whose compressed pixel data is corrupt passes indexing (only the
 * header is read then) and fails at decode.  A batch run must say so in the
 * exit status and in the JSON, not only on stderr. */
TSC_TEST(robustness_cli_lists_undecodable_slices_in_the_json_and_exits_4)
{
    std::string bin = tsc_test_program("tumorscope");
    std::string dir = tmp("study");
    for (int i = 0; i < 4; i++) write_slice(dir + "/good" + std::to_string(i) + ".dcm", 64, 64, i + 1, 2.0 * i);
    {
        /* Slice 5 of the same series, RLE with a header declaring 99 segments. */
        DcmFileFormat ff;
        DcmDataset *ds = ff.getDataset();
        fill_slice(ds, 64, 64, 5, 8.0);
        delete ds->remove(DCM_PixelData);
        DcmPixelData *pd = new DcmPixelData(DCM_PixelData);
        DcmPixelSequence *seq = new DcmPixelSequence(DCM_PixelSequenceTag);
        seq->insert(new DcmPixelItem(DCM_PixelItemTag)); /* empty offset table */
        DcmPixelItem *frag = new DcmPixelItem(DCM_PixelItemTag);
        Uint8 junk[128] = {99};
        REQUIRE(frag->putUint8Array(junk, sizeof junk).good());
        seq->insert(frag);
        pd->putOriginalRepresentation(EXS_RLELossless, nullptr, seq);
        REQUIRE(ds->insert(pd).good());
        save(ff, dir + "/corrupt.dcm", EXS_RLELossless);
    }
    {
        std::ofstream f(dir + "/notes.txt");
        f << "not an image\n";
    }
    std::string out = tmp("study-out");
    std::string aerr = std::string(tsc_test_tmpdir()) + "/analyze.err";
    int rc = run("'" + bin + "' analyze '" + dir + "' --method threshold --quiet --json '" + out +
                 "/r.json' >/dev/null 2>'" + aerr + "'");
    std::string err = slurp(aerr);
    printf("  tumorscope analyze: exit %d; stderr:\n%s", rc, err.c_str());
    CHECK(rc == 4);
    CHECK(err.find("corrupt.dcm: RLE data is corrupt") != std::string::npos);
    std::string json = slurp(out + "/r.json");
    printf("%s\n", json.c_str());
    CHECK(json.find("\"n_slices\":\t5") != std::string::npos);
    /* The fifth slice (index 4, the deepest) is listed with its reason... */
    size_t f = json.find("\"failed_slices\":\t[{");
    CHECK(f != std::string::npos);
    if (f != std::string::npos) {
        CHECK(json.find("\"index\":\t4", f) < json.find("]", f));
        CHECK(json.find("corrupt.dcm: RLE data is corrupt", f) < json.find("]", f));
    }
    /* ...the four others are analysed, and the text file is listed as skipped. */
    size_t n_results = 0;
    for (size_t at = 0; (at = json.find("\"verdict\":", at)) != std::string::npos; at++) n_results++;
    CHECK(n_results == 4 + 1); /* four slices and the series */
    size_t k = json.find("\"skipped\":\t[{");
    CHECK(k != std::string::npos);
    if (k != std::string::npos) {
        CHECK(json.find("notes.txt", k) < json.find("]", k));
        CHECK(json.find("not a DICOM file", k) < json.find("]", k));
    }
}

TSC_TEST_MAIN(TSC_CASE(robustness_truncation_at_every_header_boundary_is_skipped),
              TSC_CASE(robustness_pixel_data_shorter_than_declared_is_refused),
              TSC_CASE(robustness_inconsistent_pixel_description_is_refused_per_file),
              TSC_CASE(robustness_zero_or_negative_pixel_spacing_is_treated_as_unknown),
              TSC_CASE(robustness_float_pixel_data_with_nan_inf_is_refused_clearly),
              TSC_CASE(robustness_nan_inf_header_values_never_reach_pixels_or_geometry),
              TSC_CASE(robustness_sequences_nested_1000_deep_are_refused_without_crashing),
              TSC_CASE(robustness_ten_thousand_files_in_one_folder_index_in_bounded_time),
              TSC_CASE(robustness_unreadable_files_and_folders_are_named),
              TSC_CASE(robustness_file_changed_after_indexing_fails_decode_clearly),
              TSC_CASE(robustness_file_rewritten_while_being_read_never_crashes),
              TSC_CASE(robustness_series_mixing_orientations_is_split),
              TSC_CASE(robustness_dicomdir_entries_leaving_the_medium_are_refused),
              TSC_CASE(robustness_cli_names_every_bad_file_and_opens_the_rest),
              TSC_CASE(robustness_cli_lists_undecodable_slices_in_the_json_and_exits_4))
