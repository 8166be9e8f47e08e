/* SPDX-License-Identifier: BSD-3-Clause */
/* Writing the reports: a page recorded once and replayed onto a PNG, or
 * drawn scaled onto A4 pages of a PDF (the pages are in report.c). */
#include <cairo-pdf.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report_private.h"
#include "tsc_edit.h"

#ifndef TSC_VERSION
#define TSC_VERSION "0.1.0"
#endif

#define A4_W 595.276
#define A4_H 841.89
#define PDF_MARGIN 20.0

static void check_series_args(const tsc_dicom_index *ix, size_t series, const tsc_series_result *r)
{
    TSC_ASSERT(ix && r);
    TSC_ASSERT(series < tsc_dicom_n_series(ix));
}

static tsc_status series_matches(const tsc_dicom_index *ix, size_t series,
                                 const tsc_series_result *r, tsc_error *err)
{
    size_t n = tsc_dicom_get_series(ix, series)->n_slices;
    /* The report draws result slice k over source slice k. */
    if (tsc_series_result_get_reformat(r)[0])
        return tsc_error_set(err, TSC_EINVAL,
                             "series report not written: results are on an axial reformat (%s), "
                             "not on the source slices the report shows",
                             tsc_series_result_get_reformat(r));
    if (tsc_series_result_n_slices(r) != n)
        return tsc_error_set(err, TSC_EINVAL,
                             "the series result has %zu slices but series %zu has %zu; analyse "
                             "the series again",
                             tsc_series_result_n_slices(r), series, n);
    return TSC_OK;
}

/* The checks every series report starts with; then fills c. */
static tsc_status series_report_begin(rep *c, const char *path, const tsc_model *model,
                                      const tsc_dicom_index *index, size_t series,
                                      const tsc_series_result *r, const tsc_report_options *options,
                                      tsc_error *err)
{
    TSC_ASSERT(path);
    check_series_args(index, series, r);
    tsc_error_clear(err);
    tsc_status st = series_matches(index, series, r, err);
    if (st != TSC_OK) return st;
    tsc__report_init(c, model, index, series, options);
    /* Every page says who edited, and what; rejected lesions are gone from
     * the edited result's masks, so no page shows them. */
    tsc_series_result_describe_edits(r, !c->opt.deidentify, c->edited, sizeof c->edited);
    st = tsc__measurements_check(&c->opt, c->se->n_slices, err);
    if (st != TSC_OK) return st;
    return tsc__check_outside_inputs(index, path, 0, err);
}

/* Refuses to replace a file without force early, before decoding and
 * drawing. */
static tsc_status refuse_early(const rep *c, const char *path, tsc_error *err)
{
    if (c->opt.force) return TSC_OK;
    tsc__outfile probe;
    tsc_status st = tsc__outfile_reserve(&probe, path, 0, err);
    if (st == TSC_OK) tsc__outfile_abort(&probe);
    return st;
}

/* Replays a recording onto a new white PNG and writes it atomically. */
static tsc_status write_page_png(const char *path, int force, cairo_surface_t *rec, double w,
                                 double h, const char *title, const char *when, tsc_error *err)
{
    int iw = (int)ceil(w), ih = (int)ceil(h);
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, iw, ih);
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(img);
        return tsc_error_set(err, TSC_ENOMEM, "out of memory for a %dx%d report", iw, ih);
    }
    cairo_t *cr = cairo_create(img);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_set_source_surface(cr, rec, 0, 0);
    cairo_paint(cr);
    cairo_status_t cs = cairo_status(cr);
    cairo_destroy(cr);
    if (cs != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(img);
        return tsc_error_set(err, TSC_ENOMEM, "drawing the report failed (%s)",
                             cairo_status_to_string(cs));
    }
    tsc__outfile of;
    tsc_status st = tsc__outfile_open(&of, path, force, err);
    if (st == TSC_OK) {
        /* Text chunks never carry patient data, de-identified or not. */
        const char *text[] = {"Title",
                              title,
                              "Software",
                              "tumorscope " TSC_VERSION,
                              "Disclaimer",
                              "Decision support only - not for diagnostic use",
                              "Creation Time",
                              when,
                              NULL};
        st = tsc__write_png(img, of.fp, text, err);
        if (st == TSC_OK) st = tsc__outfile_commit(&of, err);
        else tsc__outfile_abort(&of);
        if (st != TSC_OK) tsc_error_prefix(err, "report %s", path);
    }
    cairo_surface_destroy(img);
    return st;
}

static cairo_surface_t *new_recording(cairo_t **cr)
{
    cairo_surface_t *rec = cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, NULL);
    *cr = cairo_create(rec);
    return rec;
}

tsc_status tsc_report_slice_png(const char *path, const tsc_model *model,
                                const tsc_dicom_index *index, size_t series, size_t slice,
                                const tsc_result *r, const tsc_report_options *options,
                                tsc_error *err)
{
    TSC_ASSERT(path && index && r);
    TSC_ASSERT(series < tsc_dicom_n_series(index));
    TSC_ASSERT(slice < tsc_dicom_get_series(index, series)->n_slices);
    tsc_error_clear(err);
    rep c;
    tsc__report_init(&c, model, index, series, options);
    tsc_status st = tsc__measurements_check(&c.opt, c.se->n_slices, err);
    if (st == TSC_OK) st = tsc__check_outside_inputs(index, path, 0, err);
    if (st == TSC_OK) st = refuse_early(&c, path, err);
    if (st != TSC_OK) return st;
    cairo_t *cr;
    cairo_surface_t *rec = new_recording(&cr);
    double w = 0, h = 0;
    st = tsc__report_slice_page(cr, &c, slice, r, 0, SLICE_PAGE_W, &w, &h, err);
    cairo_destroy(cr);
    if (st == TSC_OK)
        st = write_page_png(path, c.opt.force, rec, w, h, "tumorscope slice report", c.when, err);
    cairo_surface_destroy(rec);
    return st;
}

tsc_status tsc_report_series_png(const char *path, const tsc_model *model,
                                 const tsc_dicom_index *index, size_t series,
                                 const tsc_series_result *r, const tsc_report_options *options,
                                 tsc_error *err)
{
    rep c;
    tsc_status st = series_report_begin(&c, path, model, index, series, r, options, err);
    if (st == TSC_OK) st = refuse_early(&c, path, err);
    if (st != TSC_OK) return st;
    cairo_t *cr;
    cairo_surface_t *rec = new_recording(&cr);
    double h = 0;
    st = tsc__report_series_page(cr, &c, r, SERIES_PAGE_W, (size_t)-1, &h, err);
    cairo_destroy(cr);
    if (st == TSC_OK)
        st = write_page_png(path, c.opt.force, rec, SERIES_PAGE_W, h, "tumorscope series report",
                            c.when, err);
    cairo_surface_destroy(rec);
    return st;
}

/* ---- PDF --------------------------------------------------------------- */

static cairo_status_t pdf_write(void *closure, const unsigned char *data, unsigned int length)
{
    return fwrite(data, 1, length, (FILE *)closure) == length ? CAIRO_STATUS_SUCCESS
                                                              : CAIRO_STATUS_WRITE_ERROR;
}

/* One page of the PDF, drawn by `draw` into any cairo context. */
typedef struct pdf_job {
    rep *c;
    const tsc_series_result *sr;
    size_t slice;  /* (size_t)-1: the summary or a lesion page */
    size_t lesion; /* a lesion page: its first 3D lesion; (size_t)-1 otherwise */
} pdf_job;

static tsc_status draw_job(cairo_t *cr, pdf_job *j, double *w, double *h, tsc_error *err)
{
    if (j->slice == (size_t)-1 && j->lesion != (size_t)-1) {
        *w = PDF_SERIES_W;
        return tsc__report_lesions_page(cr, j->c, j->sr, PDF_SERIES_W, j->lesion, PDF_LESIONS_PAGE,
                                        h);
    }
    if (j->slice == (size_t)-1) {
        *w = PDF_SERIES_W;
        return tsc__report_series_page(cr, j->c, j->sr, PDF_SERIES_W, PDF_LESIONS_SUMMARY, h, err);
    }
    return tsc__report_slice_page(cr, j->c, j->slice, tsc_series_result_get_slice(j->sr, j->slice),
                                  1, PDF_SLICE_W, w, h, err);
}

/* Measures the page in a recording, then draws it again straight onto the
 * A4 page, scaled to fit and top-aligned.  (cairo 1.16 loses the content of
 * recording surfaces replayed into a PDF once they are destroyed before the
 * document is finished, so pages are not replayed from recordings.) */
static tsc_status pdf_page(cairo_t *pdf, pdf_job *j, tsc_error *err)
{
    cairo_t *cr;
    cairo_surface_t *rec = new_recording(&cr);
    double w = 0, h = 0;
    tsc__text_sink_pause(1);
    tsc_status st = draw_job(cr, j, &w, &h, err);
    tsc__text_sink_pause(0);
    cairo_destroy(cr);
    cairo_surface_destroy(rec);
    if (st != TSC_OK) return st;
    double s = fmin((A4_W - 2 * PDF_MARGIN) / w, (A4_H - 2 * PDF_MARGIN) / h);
    cairo_save(pdf);
    cairo_translate(pdf, (A4_W - w * s) / 2, PDF_MARGIN);
    cairo_scale(pdf, s, s);
    cairo_rectangle(pdf, 0, 0, w, h);
    cairo_clip(pdf);
    st = draw_job(pdf, j, &w, &h, err);
    cairo_restore(pdf);
    cairo_show_page(pdf);
    return st;
}

tsc_status tsc_report_pdf(const char *path, const tsc_model *model, const tsc_dicom_index *index,
                          size_t series, const tsc_series_result *r,
                          const tsc_report_options *options, tsc_error *err)
{
    rep c;
    tsc_status st = series_report_begin(&c, path, model, index, series, r, options, err);
    if (st != TSC_OK) return st;
    tsc__outfile of;
    st = tsc__outfile_open(&of, path, c.opt.force, err);
    if (st != TSC_OK) return st;

    cairo_surface_t *surf = cairo_pdf_surface_create_for_stream(pdf_write, of.fp, A4_W, A4_H);
    char title[512];
    if (c.opt.deidentify) {
        snprintf(title, sizeof title, "tumorscope report (de-identified) \xe2\x80\x94 series %d",
                 c.se->series_number);
    } else {
        char pn[256];
        tsc__report_format_pn(c.pt->name, pn, sizeof pn);
        snprintf(title, sizeof title, "tumorscope report \xe2\x80\x94 %s \xe2\x80\x94 series %d %s",
                 pn, c.se->series_number, c.se->description);
    }
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_TITLE, title);
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_CREATOR, "tumorscope " TSC_VERSION);
    cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_SUBJECT,
                                   "Brain MRI tumour analysis \xe2\x80\x94 decision support only, "
                                   "not for diagnostic use");
    cairo_t *pdf = cairo_create(surf);

    /* Page 1: the summary. */
    tsc_description sd;
    tsc_series_result_describe(model, r, &sd);
    snprintf(c.scope_warning, sizeof c.scope_warning, "%s", sd.scope_warning);
    pdf_job job = {&c, r, (size_t)-1, (size_t)-1};
    st = pdf_page(pdf, &job, err);
    /* The 3D lesions the summary had no room for, on pages of their own. */
    size_t n3 = tsc__report_first_result(r) ? tsc_series_result_n_lesions3d(r) : 0;
    for (size_t first = PDF_LESIONS_SUMMARY; first < n3 && st == TSC_OK;
         first += PDF_LESIONS_PAGE) {
        job.lesion = first;
        st = pdf_page(pdf, &job, err);
    }
    job.lesion = (size_t)-1;

    /* Then the slices with a finding, or every analysed slice. */
    size_t n = tsc_series_result_n_slices(r), with_finding = 0;
    for (size_t k = 0; k < n; k++) {
        const tsc_result *s = tsc_series_result_get_slice(r, k);
        if (s && tsc__report_is_finding(s)) with_finding++;
    }
    for (size_t k = 0; k < n && st == TSC_OK; k++) {
        const tsc_result *s = tsc_series_result_get_slice(r, k);
        if (!s || (with_finding && !tsc__report_is_finding(s))) continue;
        job.slice = k;
        st = pdf_page(pdf, &job, err);
    }
    cairo_destroy(pdf);
    cairo_surface_finish(surf);
    cairo_status_t cs = cairo_surface_status(surf);
    cairo_surface_destroy(surf);
    if (st == TSC_OK && cs != CAIRO_STATUS_SUCCESS)
        st = tsc_error_set(err, TSC_EIO, "writing the PDF failed (%s)", cairo_status_to_string(cs));
    if (st == TSC_OK) st = tsc__outfile_commit(&of, err);
    else tsc__outfile_abort(&of);
    if (st != TSC_OK) tsc_error_prefix(err, "report %s", path);
    return st;
}
