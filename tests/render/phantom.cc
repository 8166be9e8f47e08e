/* SPDX-License-Identifier: BSD-3-Clause */
/* Synthetic DICOM head series for the render and output tests (DCMTK, as in
 * tests/dicom/test_dicom_read.cc), analysed with the real analysis core. */
#include <dcmtk/config/osconfig.h>

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>

#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "phantom.h"
#include "tsc_test.h"
#include "tsc_test_dcmtk.h"

static const char *STUDY_UID = "1.2.826.0.1.3680043.10.1137.77";
static const char *FOR_UID = "1.2.826.0.1.3680043.10.1137.77.9";

tsc_phantom_spec tsc_phantom_default(void)
{
    tsc_phantom_spec s;
    s.rows = 200;
    s.cols = 240;
    s.n_slices = 8;
    s.dy = 1.0;
    s.dx = 0.8;
    s.dz = 5.0;
    s.lesion_first = 2;
    s.lesion_last = 5;
    s.lesion_r_mm = 12.0;
    s.lesion_x_mm = 22.0;
    s.lesion_y_mm = -18.0;
    s.seed = 7;
    s.multiframe = 0;
    return s;
}

static std::string ds(double v)
{
    char b[32];
    snprintf(b, sizeof b, "%.6g", v);
    return b;
}

void tsc_phantom_write(const char *dir, const tsc_phantom_spec *sp)
{
    mkdir(dir, 0755);
    std::string series_uid = std::string(STUDY_UID) + ".1." + std::to_string(sp->seed);
    unsigned rng = sp->seed * 2654435761u + 1;
    double h_mm = sp->rows * sp->dy, w_mm = sp->cols * sp->dx;
    double ry = 0.40 * fmin(h_mm, w_mm), rx = 0.34 * fmin(h_mm, w_mm);
    int mid2 = sp->lesion_first + sp->lesion_last; /* twice the middle slice */
    std::vector<Uint16> all; /* multi-frame: every frame, stored top-down */
    for (int k = 0; k < sp->n_slices; k++) {
        /* The disc shrinks towards the ends of its slab, like a sphere. */
        double r_mm = 0;
        if (sp->lesion_first >= 0 && k >= sp->lesion_first && k <= sp->lesion_last) {
            double half = 0.5 * (sp->lesion_last - sp->lesion_first) + 1.0;
            double t = fabs(k - 0.5 * mid2) / half;
            r_mm = sp->lesion_r_mm * sqrt(fmax(0.0, 1.0 - t * t));
        }
        std::vector<Uint16> px((size_t)sp->rows * sp->cols);
        for (int r = 0; r < sp->rows; r++)
            for (int c = 0; c < sp->cols; c++) {
                rng = rng * 1103515245u + 12345u;
                double noise = (((rng >> 8) & 0xFFFF) / 65535.0 - 0.5) * 60.0;
                double y = (r + 0.5) * sp->dy - h_mm / 2, x = (c + 0.5) * sp->dx - w_mm / 2;
                double v = 5 + fabs(noise) * 0.1;
                if ((y / ry) * (y / ry) + (x / rx) * (x / rx) <= 1) v = 400 + noise;
                double lx = x - sp->lesion_x_mm, ly = y - sp->lesion_y_mm;
                if (r_mm > 0 && lx * lx + ly * ly <= r_mm * r_mm) v = 950 + noise * 0.3;
                px[(size_t)r * sp->cols + c] = (Uint16)lround(fmax(0, v));
            }
        if (sp->multiframe) {
            all.insert(all.begin(), px.begin(), px.end());
            if (k + 1 < sp->n_slices) continue;
            px = all;
        }
        DcmFileFormat ff;
        DcmDataset *d = ff.getDataset();
        std::string sop = series_uid + "." + std::to_string(k + 1);
        d->putAndInsertString(DCM_SOPClassUID,
                              sp->multiframe ? UID_EnhancedMRImageStorage : UID_MRImageStorage);
        d->putAndInsertString(DCM_SOPInstanceUID, sop.c_str());
        d->putAndInsertString(DCM_StudyInstanceUID, STUDY_UID);
        d->putAndInsertString(DCM_SeriesInstanceUID, series_uid.c_str());
        d->putAndInsertString(DCM_FrameOfReferenceUID, FOR_UID);
        d->putAndInsertString(DCM_PatientName, TSC_PHANTOM_PATIENT_NAME);
        d->putAndInsertString(DCM_PatientID, TSC_PHANTOM_PATIENT_ID);
        d->putAndInsertString(DCM_PatientBirthDate, TSC_PHANTOM_BIRTH_DATE);
        d->putAndInsertString(DCM_PatientSex, "F");
        d->putAndInsertString(DCM_StudyDate, "20240115");
        d->putAndInsertString(DCM_StudyTime, "093000");
        d->putAndInsertString(DCM_StudyID, "S1");
        d->putAndInsertString(DCM_AccessionNumber, TSC_PHANTOM_ACCESSION);
        d->putAndInsertString(DCM_ReferringPhysicianName, "");
        d->putAndInsertString(DCM_StudyDescription, "MRI BRAIN WITH CONTRAST");
        d->putAndInsertString(DCM_InstitutionName, "Phantom General Hospital");
        d->putAndInsertString(DCM_Modality, "MR");
        d->putAndInsertString(DCM_Manufacturer, "tumorscope tests");
        d->putAndInsertString(DCM_SeriesDescription, "AX T1 POST");
        d->putAndInsertString(DCM_SeriesNumber, "7");
        d->putAndInsertString(DCM_InstanceNumber, std::to_string(k + 1).c_str());
        d->putAndInsertString(DCM_ImageType, "ORIGINAL\\PRIMARY\\OTHER");
        d->putAndInsertString(DCM_ScanningSequence, "SE");
        d->putAndInsertString(DCM_SequenceVariant, "NONE");
        d->putAndInsertString(DCM_ScanOptions, "");
        d->putAndInsertString(DCM_MRAcquisitionType, "2D");
        d->putAndInsertString(DCM_EchoTime, "15");
        d->putAndInsertString(DCM_RepetitionTime, "500");
        d->putAndInsertString(DCM_EchoTrainLength, "1");
        d->putAndInsertString(DCM_MagneticFieldStrength, "1.5");
        d->putAndInsertString(DCM_ContrastBolusAgent, "Gadolinium");
        d->putAndInsertString(DCM_BodyPartExamined, "HEAD");
        d->putAndInsertString(DCM_PatientPosition, "HFS");
        auto pos = [&](int slice) {
            return ds(-w_mm / 2 + sp->dx / 2) + "\\" + ds(-h_mm / 2 + sp->dy / 2) + "\\" +
                   ds(slice * sp->dz);
        };
        if (sp->multiframe) {
            /* Per-frame functional groups, frames stored from the top down. */
            d->putAndInsertString(DCM_NumberOfFrames, std::to_string(sp->n_slices).c_str());
            DcmItem *shared = nullptr, *pm = nullptr, *po = nullptr;
            d->findOrCreateSequenceItem(DCM_SharedFunctionalGroupsSequence, shared, 0);
            shared->findOrCreateSequenceItem(DCM_PixelMeasuresSequence, pm, 0);
            pm->putAndInsertString(DCM_PixelSpacing, (ds(sp->dy) + "\\" + ds(sp->dx)).c_str());
            pm->putAndInsertString(DCM_SliceThickness, ds(sp->dz).c_str());
            shared->findOrCreateSequenceItem(DCM_PlaneOrientationSequence, po, 0);
            po->putAndInsertString(DCM_ImageOrientationPatient, "1\\0\\0\\0\\1\\0");
            for (int f = 0; f < sp->n_slices; f++) {
                DcmItem *fi = nullptr, *pp = nullptr;
                d->findOrCreateSequenceItem(DCM_PerFrameFunctionalGroupsSequence, fi, f);
                fi->findOrCreateSequenceItem(DCM_PlanePositionSequence, pp, 0);
                pp->putAndInsertString(DCM_ImagePositionPatient, pos(sp->n_slices - 1 - f).c_str());
            }
        } else {
            d->putAndInsertString(DCM_ImagePositionPatient, pos(k).c_str());
            d->putAndInsertString(DCM_ImageOrientationPatient, "1\\0\\0\\0\\1\\0");
            d->putAndInsertString(DCM_PixelSpacing, (ds(sp->dy) + "\\" + ds(sp->dx)).c_str());
            d->putAndInsertString(DCM_SliceThickness, ds(sp->dz).c_str());
            d->putAndInsertString(DCM_SliceLocation, ds(k * sp->dz).c_str());
        }
        d->putAndInsertString(DCM_WindowCenter, "500");
        d->putAndInsertString(DCM_WindowWidth, "1000");
        tsc_test_put_mono_pixel_module(d, sp->rows, sp->cols, 16, 12);
        d->putAndInsertUint16Array(DCM_PixelData, px.data(), (unsigned long)px.size());
        char name[32];
        snprintf(name, sizeof name, "/IM%04d.dcm", k + 1);
        std::string path = std::string(dir) + name;
        OFCondition c = ff.saveFile(path.c_str(), EXS_LittleEndianExplicit);
        if (c.bad()) fprintf(stderr, "phantom: %s: %s\n", path.c_str(), c.text());
        REQUIRE(c.good());
    }
}

tsc_dicom_index *tsc_phantom_open(const char *dir)
{
    const char *paths[] = {dir};
    tsc_dicom_index *ix = nullptr;
    tsc_error err;
    tsc_status st = tsc_dicom_open(paths, 1, nullptr, &ix, &err);
    if (st != TSC_OK) fprintf(stderr, "open %s: %s\n", dir, err.message);
    REQUIRE(st == TSC_OK);
    REQUIRE(tsc_dicom_n_series(ix) == 1);
    return ix;
}

tsc_model *tsc_phantom_model(double temperature)
{
    std::string src = std::string(tsc_test_env("TSC_SOURCE_DIR", ".")) + "/tests/analysis/fixtures";
    std::string manifest = src + "/phantom-model.json";
    if (temperature != 1.0) {
        /* A copy of the manifest next to a copy of the network. */
        std::string dir = std::string(tsc_test_tmpdir()) + "/model";
        mkdir(dir.c_str(), 0755);
        std::ifstream in(manifest);
        std::stringstream ss;
        ss << in.rdbuf();
        std::string text = ss.str();
        size_t at = text.find("\"temperature\": 1.0");
        REQUIRE(at != std::string::npos);
        text.replace(at, strlen("\"temperature\": 1.0"), "\"temperature\": " + ds(temperature));
        std::ofstream(dir + "/phantom-model.json") << text;
        std::ifstream onnx(src + "/phantom-model.onnx", std::ios::binary);
        std::ofstream(dir + "/phantom-model.onnx", std::ios::binary) << onnx.rdbuf();
        manifest = dir + "/phantom-model.json";
    }
    tsc_model_params p = tsc_model_default_params();
    p.threads = 1;
    tsc_model *m = nullptr;
    tsc_error err;
    tsc_status st = tsc_model_load(manifest.c_str(), &p, &m, &err);
    if (st != TSC_OK) fprintf(stderr, "model: %s\n", err.message);
    REQUIRE(st == TSC_OK);
    return m;
}

namespace {
struct source {
    const tsc_dicom_index *ix;
    size_t series;
};

tsc_status fetch(void *user, size_t k, tsc_slice *slice, void **token, tsc_error *err)
{
    source *s = static_cast<source *>(user);
    tsc_dicom_image *im = nullptr;
    tsc_status st = tsc_dicom_decode_slice(s->ix, s->series, k, &im, err);
    if (st != TSC_OK) return st;
    slice->pixels = im->pixels;
    slice->rows = im->rows;
    slice->cols = im->cols;
    slice->spacing[0] = im->pixel_spacing[0];
    slice->spacing[1] = im->pixel_spacing[1];
    *token = im;
    return TSC_OK;
}

void release(void *, void *token)
{
    tsc_dicom_image_free(static_cast<tsc_dicom_image *>(token));
}
} // namespace

tsc_series_result *tsc_phantom_analyze(tsc_model *model, const tsc_dicom_index *ix, size_t series,
                                       tsc_method method)
{
    const tsc_dicom_series_info *se = tsc_dicom_get_series(ix, series);
    std::vector<double> loc(se->n_slices);
    for (size_t k = 0; k < se->n_slices; k++) loc[k] = tsc_dicom_get_slice(ix, series, k)->location;
    source s = {ix, series};
    tsc_series_source src;
    memset(&src, 0, sizeof src);
    src.struct_size = sizeof src;
    src.n_slices = se->n_slices;
    src.locations_mm = loc.data();
    src.slice_spacing_mm = se->slice_spacing;
    src.fetch = fetch;
    src.release = release;
    src.user_data = &s;
    tsc_analysis_options o = tsc_analysis_default_options();
    o.method = method;
    tsc_series_result *r = nullptr;
    tsc_error err;
    tsc_status st = tsc_analyze_series(model, &src, &o, 1, nullptr, nullptr, &r, &err);
    if (st != TSC_OK) fprintf(stderr, "analyse: %s\n", err.message);
    REQUIRE(st == TSC_OK);
    return r;
}
