/* SPDX-License-Identifier: BSD-3-Clause */
/* The comparison with a prior study as a TID 1500 Measurement Report in the
 * follow-up study: one measurement group (TID 1411) per follow-up lesion
 * and per gone lesion with the follow-up's long axis, short axis and volume
 * and the change in words; the totals, the suggested RANO category and the
 * disclaimer at document level; the follow-up images as Current Requested
 * Procedure Evidence, the baseline's as Pertinent Other Evidence. */
#include "output_private.h"

#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmsr/cmr/tid1500.h>
#include <dcmtk/dcmsr/dsrdoc.h>

#include <cmath>
#include <cstdio>
#include <cstring>

namespace tsc_out
{

static const size_t ABSENT = (size_t)-1;

/* "+12.3 %", or "n/a" for a change of nothing. */
static std::string change_pct(double p)
{
    char buf[32];
    if (std::isfinite(p)) snprintf(buf, sizeof buf, "%+.1f %%", p);
    else snprintf(buf, sizeof buf, "n/a");
    return buf;
}

/* "5.75 -> 20.58 mL (+258.0 %)" */
static std::string from_to(double a, double b, const char *unit, double pct)
{
    return mm(a) + " -> " + mm(b) + " " + unit + " (" + change_pct(pct) + ")";
}

/* The host's rows, read up to each one's struct_size, checked against the
 * lesions the two results have. */
static std::vector<tsc_dicom_compare_lesion> read_rows(const tsc_dicom_comparison &cmp,
                                                       const Context &f, const Context &b)
{
    std::vector<tsc_dicom_compare_lesion> rows;
    size_t n_f = tsc_series_result_n_lesions3d(f.r), n_b = tsc_series_result_n_lesions3d(b.r);
    for (size_t i = 0; i < cmp.n_lesions; i++) {
        tsc_dicom_compare_lesion row;
        memset(&row, 0, sizeof row);
        row.baseline = row.followup = ABSENT;
        row.volume_change_percent = row.product_change_percent = NAN;
        TSC__PARAMS_COPY(&row, cmp.lesions[i]);
        if ((row.followup != ABSENT && row.followup >= n_f) ||
            (row.baseline != ABSENT && row.baseline >= n_b) ||
            (row.followup == ABSENT && row.baseline == ABSENT))
            fail(TSC_EINVAL, "comparison row " + std::to_string(i + 1) +
                                 " names a lesion the results do not have (follow-up has " +
                                 std::to_string(n_f) + ", baseline " + std::to_string(n_b) +
                                 "); compare the same results that are passed");
        rows.push_back(row);
    }
    return rows;
}

/* The coded type of a 3D lesion, from the slice result it was measured on. */
static Code lesion_code(const Context &c, const tsc_lesion3d_info *le)
{
    return class_code(c, tsc_series_result_get_slice(c.r, le->key_slice), le->label);
}

static std::string change_text(const tsc_dicom_compare_lesion &row)
{
    std::string s;
    if (row.change == TSC_LESION_NEW) s = "New since the baseline";
    else if (row.change == TSC_LESION_GONE)
        s = "Gone since the baseline (baseline lesion " + std::to_string(row.baseline + 1) + ")";
    else s = "Matched with baseline lesion " + std::to_string(row.baseline + 1);
    s += std::string(" [") + tsc_lesion_change_to_string(row.change) + "]";
    if (row.change != TSC_LESION_NEW)
        s += "; volume " +
             from_to(row.baseline_volume_ml, row.followup_volume_ml, "mL",
                     row.volume_change_percent) +
             "; bidimensional product " +
             from_to(row.baseline_product_mm2, row.followup_product_mm2, "mm2",
                     row.product_change_percent);
    else
        s += "; volume " + mm(row.followup_volume_ml) + " mL; bidimensional product " +
             mm(row.followup_product_mm2) + " mm2";
    if (row.target) s += "; RANO target lesion";
    return s;
}

static void add_group(TID1500_MeasurementReport &report, bool first, const Context &f,
                      const Context &b, const tsc_dicom_compare_lesion &row)
{
    if (!first) check(report.addVolumetricROIMeasurements(OFFalse), "measurement group");
    CMR_TID1411_in_TID1500 &m = report.getVolumetricROIMeasurements();
    const bool in_f = row.followup != ABSENT;
    const tsc_lesion3d_info *le = in_f ? tsc_series_result_get_lesion3d(f.r, row.followup)
                                       : tsc_series_result_get_lesion3d(b.r, row.baseline);
    std::string id = in_f ? "Follow-up lesion " + std::to_string(row.followup + 1)
                          : "Baseline lesion " + std::to_string(row.baseline + 1) + ", gone";
    identify_group(report, id, lesion_code(in_f ? f : b, le));
    check(m.addFindingSite(coded(CODE_BRAIN)), "finding site");
    /* The follow-up's measurements: a gone lesion has volume 0 there. */
    if (in_f) add_axes(report, le->diameter_mm, le->perpendicular_mm);
    typedef CMR_TID1411_in_TID1500::MeasurementValue Value;
    check(m.addMeasurement(CMR_CID7469::Volume, Value(mm(in_f ? le->volume_ml : 0.0).c_str(),
                                                      CMR_CID7181::CubicCentimeter)),
          "volume");
    check(m.addQualitativeEvaluation(coded(CODE_COMMENT), change_text(row).c_str()), "change");
}

static std::string totals_text(const tsc_dicom_comparison &cmp)
{
    return "Comparison with the prior study: " + std::to_string(cmp.n_matched) + " matched, " +
           std::to_string(cmp.n_new) + " new, " + std::to_string(cmp.n_gone) +
           " gone; total volume " +
           from_to(cmp.baseline_volume_ml, cmp.followup_volume_ml, "mL",
                   cmp.volume_change_percent) +
           "; sum of products of " + std::to_string(cmp.n_targets) + " target lesion(s) " +
           from_to(cmp.baseline_spd_mm2, cmp.followup_spd_mm2, "mm2", cmp.spd_change_percent);
}

static std::string rano_text(const tsc_dicom_comparison &cmp)
{
    std::string s = std::string("RANO ") + tsc_rano_category_to_string(cmp.rano) + " (" +
                    tsc_rano_category_name(cmp.rano) + "), " + TSC_RANO_SUGGESTION_LABEL;
    if (cmp.rano_reason && cmp.rano_reason[0]) s += std::string(": ") + cmp.rano_reason;
    /* The core's reason says "mm²": the SR has no SpecificCharacterSet for
     * UTF-8 (dciodvfy refuses the byte), and its totals say "mm2" already. */
    for (size_t at; (at = s.find("\xc2\xb2")) != std::string::npos;) s.replace(at, 2, "2");
    return s + ". Rules: " + TSC_RANO_RULES;
}

static void add_evidence(DSRSOPInstanceReferenceList &list, const Context &c, const char *what)
{
    for (const SourceImage &s : c.src)
        check(list.addItem(c.source_study_uid.c_str(), c.source_series_uid.c_str(),
                           s.sop_class.c_str(), s.sop_instance.c_str()),
              what);
}

void write_compare_sr(Context &f, const Context &b, const tsc_dicom_comparison &host_cmp,
                      const std::string &path)
{
    tsc_dicom_comparison cmp;
    memset(&cmp, 0, sizeof cmp);
    cmp.volume_change_percent = cmp.spd_change_percent = NAN;
    cmp.rano = TSC_RANO_NE;
    TSC__PARAMS_COPY(&cmp, &host_cmp);
    std::vector<tsc_dicom_compare_lesion> rows = read_rows(cmp, f, b);

    TID1500_MeasurementReport report(CMR_CID7021::ImagingMeasurementReport);
    start_report(report, f);
    add_image_library_group(report, f);
    add_image_library_group(report, b);
    finish_image_library(report);

    bool first = true;
    for (const tsc_dicom_compare_lesion &row : rows) {
        add_group(report, first, f, b, row);
        first = false;
    }
    /* The totals, the suggested category and the disclaimer. */
    add_document_evaluations(report, {totals_text(cmp), rano_text(cmp)});

    DSRDocument doc(DSRTypes::DT_EnhancedSR);
    start_document(doc, report, f, TSC_DICOM_COMPARE_SR_SERIES_NUMBER,
                   "tumorscope comparison with prior (decision support only)");
    add_evidence(doc.getCurrentRequestedProcedureEvidence(), f, "follow-up evidence");
    add_evidence(doc.getPertinentOtherEvidence(), b, "baseline evidence");
    save_document(doc, f, path);
}

} // namespace tsc_out
