/* SPDX-License-Identifier: BSD-3-Clause */
/* The CNN path of one slice in stages (slice.c), so that a series can run
 * the network on several slices at once and keep its buffers from slice to
 * slice (series_run.c).  A slice takes 1 network image, 2 with flip TTA
 * (the slice, then its mirror image); images of a group lie one after the
 * other in the work buffers. */
#ifndef TSC_CNN_PRIVATE_H
#define TSC_CNN_PRIVATE_H

#include "model_private.h"

/* Buffers of one thread's CNN analyses, grown on demand and reused: in a
 * series nothing here is allocated again once the first group ran. */
typedef struct tsc__cnn_work {
    size_t cap_images;        /* images the network buffers hold */
    float *input, *seg, *cls; /* cap × S×S, cap × S×S, cap × n_classes */
    float *ood;               /* cap */
    uint8_t *head;            /* head mask of the slice being finished */
    size_t head_cap;          /* bytes of `head` */
} tsc__cnn_work;

/* Network images per slice: 2 with flip TTA, else 1. */
size_t tsc__cnn_images_per_slice(const tsc_analysis_options *o);
/* Makes room for `images` network images (rounded up by the caller to whole
 * engine runs); keeps what is there when it is enough. */
tsc_status tsc__cnn_work_reserve(tsc__cnn_work *w, const tsc_model *m, size_t images,
                                 tsc_error *err);
void tsc__cnn_work_clear(tsc__cnn_work *w);

/* What tsc_analyze_slice refuses before any work: no pixels, too large, bad
 * spacing, no model for the CNN method. */
tsc_status tsc__slice_check(const tsc_model *model, const tsc_slice *s,
                            const tsc_analysis_options *o, tsc_error *err);
/* The empty result of `s` for method o->method (NULL when out of memory). */
tsc_result *tsc__slice_result_new(const tsc_slice *s, const tsc_analysis_options *o);

/* Stage 1: preprocesses `s` into network image `image` (and its mirror into
 * image + 1 with flip TTA); sets r's preprocessing time. */
tsc_status tsc__cnn_prepare(const tsc_model *m, const tsc_slice *s, const tsc_analysis_options *o,
                            tsc__cnn_work *w, size_t image, tsc_result *r, tsc_error *err);
/* Stage 2: runs images [first, first + images) through `e`,
 * tsc__engine_get_batch(e) at a time (the buffers must hold them rounded up
 * to that); polls the cancel callback before every run. */
tsc_status tsc__cnn_infer(const tsc_model *m, tsc__engine *e, const tsc_analysis_options *o,
                          tsc__cnn_work *w, size_t first, size_t images, tsc_error *err);
/* Stage 3: from the network outputs of image `image` (and image + 1 with
 * flip TTA) to the finished result `r` of slice `s`. */
tsc_status tsc__cnn_finish(const tsc_model *m, const tsc_slice *s, const tsc_analysis_options *o,
                           tsc__cnn_work *w, size_t image, tsc_result *r, tsc_error *err);

#endif
