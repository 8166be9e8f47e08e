/* SPDX-License-Identifier: BSD-3-Clause */
/* Encapsulated PDF (SOP Class 1.2.840.10008.5.1.4.1.1.104.1): the PDF
 * report that tsc_report_pdf draws (`tumorscope analyze --pdf`), wrapped in
 * a DICOM object of its own series (SeriesNumber 9904, Modality DOC) in the
 * analysed study, with the same patient and study module as the SEG, SR and
 * Secondary Captures, our own UIDs, the source images in Source Instance
 * Sequence, de-identified by save_atomic() like them. */
#include "output_private.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcuid.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "render_private.h"
#include "tsc_render.h"

namespace tsc_out {

/* The report's bytes: drawn into a private temporary next to `path`,
 * hidden (".NAME.pdf-XXXXXX") like every temporary of ours, so that one a
 * kill leaves behind is never taken for an output. */
static std::vector<uint8_t> render_pdf(const Context &c, const std::string &path)
{
    size_t slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
    std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    std::string tmpl = dir + "." + base + ".pdf-XXXXXX";
    std::vector<char> name(tmpl.begin(), tmpl.end());
    name.push_back(0);
    int fd = mkstemp(name.data());
    if (fd < 0) fail(TSC_EIO, "cannot create a temporary file next to " + path);
    close(fd);
    tsc_report_options ro = c.opt;
    ro.force = 1; /* our own temporary */
    tsc_error e;
    tsc_error_clear(&e);
    tsc_status st = tsc_report_pdf(name.data(), c.model, c.index, c.series, c.r, &ro, &e);
    std::vector<uint8_t> bytes;
    if (st == TSC_OK) {
        FILE *f = fopen(name.data(), "rb");
        if (f) {
            fseek(f, 0, SEEK_END);
            long n = ftell(f);
            fseek(f, 0, SEEK_SET);
            if (n > 0) {
                bytes.resize((size_t)n);
                if (fread(bytes.data(), 1, bytes.size(), f) != bytes.size()) bytes.clear();
            }
            fclose(f);
        }
    }
    unlink(name.data());
    if (st != TSC_OK) fail(st, std::string("PDF report: ") + e.message);
    if (bytes.empty()) fail(TSC_EIO, "the PDF report could not be read back");
    return bytes;
}

void write_pdf(Context &c, const std::string &path)
{
    std::vector<uint8_t> pdf = render_pdf(c, path);
    size_t length = pdf.size();
    if (pdf.size() % 2) pdf.push_back(0); /* OB: even length, padded with NUL (PS3.3 C.24.2.1) */

    DcmFileFormat ff;
    DcmDataset *d = ff.getDataset();
    apply_sc_common(*d, c, UID_EncapsulatedPDFStorage, "DOC", new_uid(SITE_SERIES_UID_ROOT),
                    TSC_DICOM_PDF_SERIES_NUMBER, "tumorscope report (decision support only)");
    /* Encapsulated Document. */
    d->putAndInsertString(DCM_InstanceNumber, "1");
    d->putAndInsertString(DCM_ContentDate, c.content_date.c_str());
    d->putAndInsertString(DCM_ContentTime, c.content_time.c_str());
    d->putAndInsertString(DCM_AcquisitionDateTime, (c.content_date + c.content_time).c_str());
    /* The report shows the images with the overlay and, unless de-identified,
     * the patient's name and ID. */
    d->putAndInsertString(DCM_BurnedInAnnotation, "YES");
    d->putAndInsertString(DCM_DocumentTitle, "tumorscope brain MRI tumour analysis report");
    check(d->insertEmptyElement(DCM_ConceptNameCodeSequence), "concept name code sequence");
    d->putAndInsertString(DCM_MIMETypeOfEncapsulatedDocument, "application/pdf");
    for (size_t k = 0; k < c.src.size(); k++) {
        const SourceImage &s = c.src[k];
        if (k > 0 && s.sop_instance == c.src[k - 1].sop_instance) continue; /* frames of one object */
        DcmItem *it = nullptr;
        check(d->findOrCreateSequenceItem(DCM_SourceInstanceSequence, it, -2), "source instance sequence");
        it->putAndInsertString(DCM_ReferencedSOPClassUID, s.sop_class.c_str());
        it->putAndInsertString(DCM_ReferencedSOPInstanceUID, s.sop_instance.c_str());
    }
    check(d->putAndInsertUint8Array(DCM_EncapsulatedDocument, pdf.data(), (unsigned long)pdf.size()),
          "encapsulated document");
    d->putAndInsertUint32(DCM_EncapsulatedDocumentLength, (Uint32)length);
    save_atomic(ff, path, c);
}

} // namespace tsc_out
