/* SPDX-License-Identifier: BSD-3-Clause */
/* tsc_plugin.h — the tumorscope plugin ABI.
 *
 * `libtumorscope-plugin.so` exports exactly one symbol:
 *
 *     const tsc_plugin_api *tsc_plugin_get_api(uint32_t version);
 *
 * It returns a constant table of function pointers for ABI `version`, or
 * NULL when the plugin does not serve that version.  The table only ever
 * grows: version N+1 appends members after those of version N and never
 * changes or removes one, so a host built against version N keeps working
 * with every later plugin.  A host must check `version` and `struct_size`
 * before using a member added after version 1 (TSC_PLUGIN_HAS()).
 *
 * Rules for every function in the table:
 * - It never throws, never aborts on bad data and never prints: failures
 *   return a tsc_status and fill the caller's tsc_error (which may be NULL)
 *   with a message that names the input and the remedy.  Misuse of the API
 *   (NULL where an object is required, an index out of range) asserts.
 * - Objects returned through `**out` are owned by the caller and released
 *   with the matching `_free` member.  Pointers returned by `get_*` members
 *   are borrowed from their owner and stay valid until it is freed.
 * - Structs a host passes in or has filled start with `struct_size`; fill
 *   them from the matching `*_default_*` member, then change fields (an
 *   out-struct: set struct_size to its sizeof).  The plugin reads and writes
 *   only struct_size bytes.  Structs returned by value never grow (a new
 *   layout comes with new `_vN` members); structs the plugin returns by
 *   pointer may grow at the end.  Every layout is pinned by _Static_assert
 *   in plugin/abi/abi_layout.c.
 * - Patient identifiers never reach the log callback.
 *
 * Full documentation: docs/PLUGIN_ABI.md. */
#ifndef TSC_PLUGIN_H
#define TSC_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include "tsc_analysis.h"
#include "tsc_dicom.h"
#include "tsc_dicom_outputs.h"
#include "tsc_dicom_tags.h"
#include "tsc_dicom_write.h"
#include "tsc_edit.h"
#include "tsc_log.h"
#include "tsc_nn.h"
#include "tsc_pacs.h"
#include "tsc_render.h"
#include "tsc_status.h"
#include "tsc_stored_result.h"
#include "study_edits.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI version this header describes (version 2 appended the DICOM
 * writer and the raw engine, version 3 the scope gate and the one
 * description of a result, version 4 the engine and writer members whose
 * structs start with struct_size, version 5 the PACS client and stored
 * reports, version 6 the engine's int8 mode and its calibration, version 7
 * the retrieve by C-MOVE to our own Store SCP, version 8 the attributes of
 * a slice's file for tag browsers, version 9 the reader's measurements in
 * the report options, version 10 results stored with a study rebuilt as
 * series results, version 11 the reader's corrections and their file; see
 * the end of tsc_plugin_api). */
#define TSC_PLUGIN_API_VERSION 11u

/* ---- layouts of earlier versions ---------------------------------------- */

/* tsc_nn_params as versions 2 and 3 shipped it, without struct_size: what
 * the members nn_default_params and nn_model_load take.  Frozen. */
typedef struct tsc_nn_params_v2 {
    int n_threads;
    tsc_nn_engine engine;
    int64_t batch;
    size_t max_file_bytes;
    size_t max_weight_bytes;
    size_t max_activation_bytes;
} tsc_nn_params_v2;

/* tsc_dicom_write_result as versions 2 and 3 shipped it, without
 * struct_size: what the member dicom_write_series fills.  Frozen. */
typedef struct tsc_dicom_write_result_v2 {
    char study_uid[65];
    char series_uid[65];
    char frame_of_reference_uid[65];
    char transfer_syntax_uid[65];
    size_t n_files;
    size_t n_clipped;
    double window_center, window_width;
    int bits_stored;
} tsc_dicom_write_result_v2;

/* tsc_report_options as versions 1 to 8 shipped it, without the reader's
 * measurements: what the member report_default_options returns.  The
 * report members read a host's options up to its struct_size, so this
 * layout is still accepted everywhere.  Frozen. */
typedef struct tsc_report_options_v8 {
    size_t struct_size;
    int deidentify;
    int force;
    const char *timestamp;
    tsc_overlay_options overlay;
} tsc_report_options_v8;

/* ---- the table --------------------------------------------------------- */

typedef struct tsc_plugin_api {
    uint32_t version;        /* ABI version of this table */
    uint32_t struct_size;    /* sizeof(tsc_plugin_api) as built */

    /* ---- version 1 ---- */
    const char *(*plugin_version)(void);          /* "0.1.0" */
    const char *(*status_to_string)(tsc_status status);
    void (*log_set)(tsc_log_fn fn, void *user_data);
    const char *(*verdict_to_string)(tsc_verdict v);   /* "tumor", "no_tumor", "inconclusive" */
    const char *(*method_to_string)(tsc_method m);     /* "cnn", "threshold", "region-growing" */
    int (*method_from_string)(const char *s);          /* -1 when unknown */

    /* Studies (tsc_dicom.h) */
    tsc_dicom_open_params (*study_default_params)(void);
    tsc_status (*study_open)(const char *const *paths, size_t n_paths,
                             const tsc_dicom_open_params *params, tsc_dicom_index **out,
                             tsc_error *err);
    void (*study_free)(tsc_dicom_index *index);
    size_t (*study_n_patients)(const tsc_dicom_index *index);
    size_t (*study_n_studies)(const tsc_dicom_index *index);
    size_t (*study_n_series)(const tsc_dicom_index *index);
    size_t (*study_n_skipped)(const tsc_dicom_index *index);
    size_t (*study_n_files)(const tsc_dicom_index *index); /* files looked at */
    const tsc_dicom_patient_info *(*study_get_patient)(const tsc_dicom_index *index, size_t i);
    const tsc_dicom_study_info *(*study_get_study)(const tsc_dicom_index *index, size_t i);
    const tsc_dicom_series_info *(*study_get_series)(const tsc_dicom_index *index, size_t i);
    const tsc_dicom_slice_info *(*study_get_slice)(const tsc_dicom_index *index, size_t series,
                                                   size_t slice);
    const tsc_dicom_skipped *(*study_get_skipped)(const tsc_dicom_index *index, size_t i);
    tsc_status (*slice_decode)(const tsc_dicom_index *index, size_t series, size_t slice,
                               tsc_dicom_image **out, tsc_error *err);
    void (*image_free)(tsc_dicom_image *image);

    /* Models (tsc_analysis.h).  manifest_path NULL loads the default model. */
    tsc_model_params (*model_default_params)(void);
    tsc_status (*model_load)(const char *manifest_path, const tsc_model_params *params,
                             tsc_model **out, tsc_error *err);
    void (*model_free)(tsc_model *model);
    const char *(*model_get_name)(const tsc_model *model);
    const char *(*model_get_version)(const tsc_model *model);
    const char *(*model_get_sha256)(const tsc_model *model);
    size_t (*model_n_classes)(const tsc_model *model);
    const char *(*model_get_class_name)(const tsc_model *model, size_t i);
    const char *(*model_get_class_display)(const tsc_model *model, size_t i);
    uint32_t (*model_get_class_color)(const tsc_model *model, size_t i);

    /* Analysis of study slices: decode + analyse in one call. */
    tsc_analysis_options (*analysis_default_options)(void);
    tsc_status (*analyze_study_slice)(tsc_model *model, const tsc_dicom_index *index,
                                      size_t series, size_t slice,
                                      const tsc_analysis_options *options, tsc_result **out,
                                      tsc_error *err);
    /* Cancel through options->cancel; progress from worker threads. */
    tsc_status (*analyze_study_series)(tsc_model *model, const tsc_dicom_index *index,
                                       size_t series, const tsc_analysis_options *options,
                                       int threads, tsc_progress_fn progress,
                                       void *progress_data, tsc_series_result **out,
                                       tsc_error *err);
    /* Analysis of pixels the host decoded itself. */
    tsc_status (*analyze_slice)(tsc_model *model, const tsc_slice *slice,
                                const tsc_analysis_options *options, tsc_result **out,
                                tsc_error *err);

    /* Slice results */
    void (*result_free)(tsc_result *r);
    tsc_result *(*result_dup)(const tsc_result *r);
    tsc_verdict (*result_get_verdict)(const tsc_result *r);
    const char *(*result_get_reason)(const tsc_result *r);
    size_t (*result_get_label)(const tsc_result *r);
    double (*result_get_confidence)(const tsc_result *r);
    size_t (*result_n_classes)(const tsc_result *r);
    double (*result_get_probability)(const tsc_result *r, size_t class_index);
    const uint8_t *(*result_get_mask)(const tsc_result *r, int *rows, int *cols);
    const float *(*result_get_probability_map)(const tsc_result *r);
    size_t (*result_n_lesions)(const tsc_result *r);
    const tsc_lesion_info *(*result_get_lesion)(const tsc_result *r, size_t i);
    const tsc_timings *(*result_get_timings)(const tsc_result *r);

    /* Series results */
    void (*series_result_free)(tsc_series_result *r);
    size_t (*series_result_n_slices)(const tsc_series_result *r);
    const tsc_result *(*series_result_get_slice)(const tsc_series_result *r, size_t k);
    const char *(*series_result_get_error)(const tsc_series_result *r, size_t k);
    tsc_verdict (*series_result_get_verdict)(const tsc_series_result *r);
    size_t (*series_result_get_label)(const tsc_series_result *r);
    double (*series_result_get_confidence)(const tsc_series_result *r);
    double (*series_result_get_volume_ml)(const tsc_series_result *r);
    size_t (*series_result_get_key_slice)(const tsc_series_result *r);
    size_t (*series_result_n_lesions3d)(const tsc_series_result *r);
    const tsc_lesion3d_info *(*series_result_get_lesion3d)(const tsc_series_result *r, size_t i);

    /* Rendering: draws the overlay for `r` onto the host's cairo context,
     * whose current transformation maps image pixel (x, y) — pixel centres at
     * integer + 0.5 — to the screen.  Labels, legend and disclaimer are drawn
     * at a constant device size.  `model` gives names and colours and may be
     * NULL for the classical methods. */
    tsc_overlay_options (*overlay_default_options)(void);
    tsc_status (*render_overlay)(cairo_t *cr, const tsc_model *model, const tsc_result *r,
                                 const tsc_overlay_options *options, tsc_error *err);

    /* Reports and DICOM outputs.  Files are written atomically (temporary
     * file + rename) and never into the study's input folders. */
    /* Superseded by report_default_options_v9 (the version-9 fields). */
    tsc_report_options_v8 (*report_default_options)(void);
    tsc_status (*report_slice_png)(const char *path, const tsc_model *model,
                                   const tsc_dicom_index *index, size_t series, size_t slice,
                                   const tsc_result *r, const tsc_report_options *options,
                                   tsc_error *err);
    tsc_status (*report_series_png)(const char *path, const tsc_model *model,
                                    const tsc_dicom_index *index, size_t series,
                                    const tsc_series_result *r,
                                    const tsc_report_options *options, tsc_error *err);
    /* A multi-page PDF: the series summary, then one page per analysed slice
     * with a tumour or inconclusive verdict (all analysed slices when none). */
    tsc_status (*report_pdf)(const char *path, const tsc_model *model,
                             const tsc_dicom_index *index, size_t series,
                             const tsc_series_result *r, const tsc_report_options *options,
                             tsc_error *err);
    /* DICOM SEG + Secondary Capture series + TID 1500 SR into `out_dir`. */
    tsc_status (*write_dicom_outputs)(const char *out_dir, const tsc_model *model,
                                      const tsc_dicom_index *index, size_t series,
                                      const tsc_series_result *r,
                                      const tsc_report_options *options,
                                      tsc_dicom_outputs *written, tsc_error *err);

    /* ---- version 2 ---- */

    /* Writing image series as DICOM (MR or Enhanced MR; `tumorscope
     * dicomize`): see plugin/dicom/tsc_dicom_write.h. */
    tsc_dicom_write_params (*dicom_write_default_params)(void);
    /* Superseded by dicom_write_series_v4 (its result has struct_size). */
    tsc_status (*dicom_write_series)(const char *out_dir, const tsc_dicom_write_params *params,
                                     const tsc_dicom_write_volume *volume,
                                     tsc_dicom_write_result_v2 *result, tsc_error *err);
    int (*dicom_write_compression_from_name)(const char *name, tsc_dicom_compression *out);
    const char *(*dicom_write_compression_name)(tsc_dicom_compression compression);

    /* The inference engine on its own, for any ONNX file it accepts: to
     * validate and time a site's own model before it is deployed
     * (`tumorscope bench-model`).  See src/nn/tsc_nn.h. */
    /* Superseded by nn_default_params_v4 / nn_model_load_v4 (struct_size). */
    tsc_nn_params_v2 (*nn_default_params)(void);
    tsc_status (*nn_model_load)(const char *path, const tsc_nn_params_v2 *params,
                                tsc_nn_model **out, tsc_error *err);
    void (*nn_model_free)(tsc_nn_model *model);
    size_t (*nn_model_n_inputs)(const tsc_nn_model *model);
    size_t (*nn_model_n_outputs)(const tsc_nn_model *model);
    const char *(*nn_model_get_input_name)(const tsc_nn_model *model, size_t i);
    const int64_t *(*nn_model_get_input_shape)(const tsc_nn_model *model, size_t i, int *rank);
    size_t (*nn_model_input_size)(const tsc_nn_model *model, size_t i);
    size_t (*nn_model_output_size)(const tsc_nn_model *model, size_t i);
    tsc_status (*nn_model_run)(tsc_nn_model *model, const float *const *inputs,
                               float *const *outputs, tsc_error *err);
    double (*nn_model_flops)(const tsc_nn_model *model);
    int (*nn_model_n_threads)(const tsc_nn_model *model);
    const char *(*nn_model_get_summary)(const tsc_nn_model *model);

    /* ---- version 3 ---- */

    /* The one description of a result (text, colour, confidence) that every
     * host shows: overlays, panels, strips, tooltips, reports, SR, JSON.
     * `model` may be NULL for the classical methods. */
    void (*result_describe)(const tsc_model *model, const tsc_result *r, tsc_description *out);
    void (*series_result_describe)(const tsc_model *model, const tsc_series_result *r,
                                   tsc_description *out);
    /* The scope gate: the model's declared scope against a series' headers.
     * analyze_study_slice/analyze_study_series refuse an out-of-scope series
     * with TSC_ESCOPE (the series call still returns a NOT_ANALYSED result)
     * unless tsc_analysis_options.force_scope is set. */
    void (*series_check_scope)(const tsc_model *model, const tsc_dicom_index *index,
                               size_t series, tsc_scope_decision *out);
    tsc_scope_input (*scope_default_input)(void);
    void (*scope_check)(const tsc_model *model, const tsc_scope_input *in,
                        tsc_scope_decision *out);
    const char *(*plane_to_string)(tsc_plane plane);
    /* Results: P(tumour), the not-assessable rule's head area, the scope
     * warning of a forced analysis. */
    double (*result_get_tumor_probability)(const tsc_result *r);
    double (*result_get_head_area_mm2)(const tsc_result *r);
    const char *(*result_get_scope_warning)(const tsc_result *r);
    size_t (*series_result_n_failed)(const tsc_series_result *r);
    size_t (*series_result_count)(const tsc_series_result *r, tsc_verdict verdict);
    double (*series_result_get_tumor_probability)(const tsc_series_result *r);
    const char *(*series_result_get_reason)(const tsc_series_result *r);
    const char *(*series_result_get_scope_warning)(const tsc_series_result *r);
    /* DICOM SEG objects found when opening (kept out of the series list;
     * plugin/dicom/tsc_dicom.h): a host overlays one on the series it
     * references. */
    size_t (*study_n_segmentations)(const tsc_dicom_index *index);
    const tsc_dicom_seg_info *(*study_get_segmentation)(const tsc_dicom_index *index, size_t i);
    const tsc_dicom_segment_info *(*study_get_segment)(const tsc_dicom_index *index, size_t seg,
                                                       size_t k);
    const tsc_dicom_seg_frame_info *(*study_get_seg_frame)(const tsc_dicom_index *index,
                                                           size_t seg, size_t frame);
    tsc_status (*seg_frame_decode)(const tsc_dicom_index *index, size_t seg, size_t frame,
                                   uint8_t *mask, tsc_error *err);
    /* A thin 3D volume in a plane the model does not read (the scope
     * decision's reformat_possible) is analysed by analyze_study_series on an
     * axial reformat of it when tsc_analysis_options.axial_reformat is set
     * (the default; hosts whose options struct predates the field never get
     * one).  Its result's slices are then the REFORMAT's, not the series':
     * series_result_n_slices() may differ from the series' slice count, and
     * slice k must not be drawn on, or mapped to, source slice k.
     * series_result_get_reformat() says so ("axial reformat of a sagittal 3D
     * volume (1.0 mm), results on the reformat's 176 slices"; "" when the
     * result is on the source slices), and series_result_get_slice_geometry()
     * gives slice k's geometry (top-left pixel centre in LPS mm,
     * ImageOrientationPatient, in-plane spacing [dy, dx] in mm), returning 1,
     * or 0 when the result is on the source slices.  The series verdict, the
     * volume and the 3D lesions (centre_mm, extents in patient coordinates)
     * hold for the source as they are.  Reports and DICOM outputs of a
     * reformatted result are refused (TSC_EINVAL), and a host must not draw
     * its slices over the series' slices. */
    const char *(*series_result_get_reformat)(const tsc_series_result *r);
    int (*series_result_get_slice_geometry)(const tsc_series_result *r, size_t k,
                                            double position[3], double orientation[6],
                                            double spacing[2]);

    /* ---- version 4 ---- */

    /* The engine's parameters with struct_size (tsc_nn_params, src/nn/
     * tsc_nn.h): the defaults, returned by value at their version-4 size
     * (frozen: a later field means a new member), and loading with them.
     * nn_model_load_v4 reads params->struct_size bytes and takes defaults for
     * the rest; `params` may be NULL for the defaults.  Otherwise as
     * nn_default_params / nn_model_load. */
    tsc_nn_params (*nn_default_params_v4)(void);
    tsc_status (*nn_model_load_v4)(const char *path, const tsc_nn_params *params,
                                   tsc_nn_model **out, tsc_error *err);
    /* dicom_write_series with a result that has struct_size: set
     * result->struct_size = sizeof *result (0 counts as the whole version-4
     * struct); the plugin writes only that many bytes and leaves
     * struct_size as the host set it.  `result` may be NULL. */
    tsc_status (*dicom_write_series_v4)(const char *out_dir, const tsc_dicom_write_params *params,
                                        const tsc_dicom_write_volume *volume,
                                        tsc_dicom_write_result *result, tsc_error *err);
    /* The PDF report (report_pdf) as an Encapsulated PDF DICOM object
     * (SOP Class 1.2.840.10008.5.1.4.1.1.104.1, Modality DOC, SeriesNumber
     * 9904) in `path`: a new series of the analysed study with the same
     * patient and study module as write_dicom_outputs' objects (pseudonymous
     * with options->deidentify), our own UIDs, the source images in Source
     * Instance Sequence; written atomically, TSC_EEXIST for an existing file
     * unless options->force; refused (TSC_EINVAL) for a result on an axial
     * reformat (plugin/outputs/tsc_dicom_outputs.h, tsc_write_dicom_pdf).
     * A separate call because tsc_dicom_outputs is frozen. */
    tsc_status (*write_dicom_pdf)(const char *path, const tsc_model *model,
                                  const tsc_dicom_index *index, size_t series,
                                  const tsc_series_result *r, const tsc_report_options *options,
                                  tsc_error *err);

    /* ---- version 5: the PACS client (plugin/net/tsc_pacs.h) ----
     * Each call opens and closes its own DICOM association and blocks up to
     * the node's timeout: call them off the UI thread.  Failures say in
     * words what went wrong on the network. */
    tsc_status (*pacs_echo)(const tsc_pacs_node *node, tsc_error *err);
    tsc_status (*pacs_find_studies)(const tsc_pacs_node *node, const tsc_pacs_query *query,
                                    tsc_pacs_study_list **out, tsc_error *err);
    size_t (*pacs_study_list_count)(const tsc_pacs_study_list *list);
    const tsc_pacs_study *(*pacs_study_list_get)(const tsc_pacs_study_list *list, size_t i);
    int (*pacs_study_list_has_more)(const tsc_pacs_study_list *list);
    void (*pacs_study_list_free)(tsc_pacs_study_list *list);
    tsc_status (*pacs_retrieve_study)(const tsc_pacs_node *node, const char *study_uid,
                                      const char *dest_dir, size_t max_instances,
                                      tsc_pacs_progress_fn progress, void *user,
                                      size_t *n_received, tsc_error *err);
    tsc_status (*pacs_store_files)(const tsc_pacs_node *node, const char *const *paths, size_t n,
                                   tsc_pacs_progress_fn progress, void *user, size_t *n_stored,
                                   tsc_error *err);
    /* Structured reports stored with the study (results computed elsewhere,
     * e.g. by the Orthanc plugin), listed apart from the image series like
     * segmentations (tsc_dicom.h, tsc_dicom_report_info). */
    size_t (*study_n_reports)(const tsc_dicom_index *index);
    const tsc_dicom_report_info *(*study_get_report)(const tsc_dicom_index *index, size_t i);
    /* The comparison of a follow-up with its baseline (as tsc_compare
     * computed it, rows lent by pointer in tsc_dicom_comparison) as a TID
     * 1500 Measurement Report in a new series (9905) of the follow-up
     * study: one measurement group per follow-up lesion and per gone one,
     * the totals, the suggested RANO category and the disclaimer; the
     * follow-up images as Current Requested Procedure Evidence, the
     * baseline's as Pertinent Other Evidence.  Written atomically to
     * `path`; TSC_EEXIST unless options->force; never into either study's
     * input folders (plugin/outputs/tsc_dicom_outputs.h,
     * tsc_write_dicom_compare_sr). */
    tsc_status (*write_dicom_compare_sr)(const char *path, const tsc_model *model,
                                         const tsc_dicom_index *baseline_index,
                                         size_t baseline_series, const tsc_series_result *baseline,
                                         const tsc_dicom_index *followup_index,
                                         size_t followup_series, const tsc_series_result *followup,
                                         const tsc_dicom_comparison *comparison,
                                         const tsc_report_options *options, tsc_error *err);

    /* ---- version 6: the engine's int8 mode (src/nn/tsc_nn.h) ---- */
    /* nn_model_load_v4 with the activation ranges of
     * TSC_NN_ENGINE_ONEDNN_INT8 (tsc_nn_model_load_int8; the manifest's
     * "int8" block holds them for the analysis). */
    tsc_status (*nn_model_load_int8)(const char *path, const tsc_nn_params *params,
                                     const tsc_nn_int8_range *ranges, size_t n_ranges,
                                     tsc_nn_model **out, tsc_error *err);
    /* "fp32", "bf16" or "int8": what the model really runs in. */
    const char *(*nn_model_get_precision)(const tsc_nn_model *model);
    /* Calibration on an fp32 model: a run that also widens the recorded
     * range of every convolution input; the ranges so far (names borrowed). */
    tsc_status (*nn_model_calibrate)(tsc_nn_model *model, const float *const *inputs,
                                     float *const *outputs, tsc_error *err);
    size_t (*nn_model_n_int8_ranges)(const tsc_nn_model *model);
    tsc_nn_int8_range (*nn_model_get_int8_range)(const tsc_nn_model *model, size_t i);
    /* What the model's network runs in after any fallback: "fp32", "bf16"
     * or "int8" (tsc_model_get_precision). */
    const char *(*model_get_precision)(const tsc_model *model);

    /* ---- version 7: retrieve by C-GET or by C-MOVE ----
     * pacs_retrieve_study with a choice of method (params->method): C-GET,
     * or C-MOVE to our own Store SCP, which listens on
     * params->listen_address:listen_port (127.0.0.1 by default) only while
     * the call runs, accepts associations only from params->allowed_aes and
     * allowed_hosts (default: the node's AE title and host) and only
     * storage SOP classes, and writes only into dest_dir, each object
     * checked as C-GET's are.  With C-MOVE the progress callback comes from
     * the Store SCP's thread.  `params` (may be NULL: C-GET) is read up to
     * its struct_size (plugin/net/tsc_pacs.h, tsc_pacs_retrieve). */
    tsc_status (*pacs_retrieve)(const tsc_pacs_node *node, const char *study_uid,
                                const char *dest_dir, const tsc_pacs_retrieve_params *params,
                                tsc_pacs_progress_fn progress, void *user, size_t *n_received,
                                tsc_error *err);

    /* ---- version 8: a DICOM tag browser (plugin/dicom/tsc_dicom_tags.h) ----
     * Every attribute of the file slice `slice` of series `series` comes
     * from, as text, read again from disk; with TSC_DICOM_TAGS_DEIDENTIFY
     * as the de-identified outputs would carry them, every identifying value
     * hidden.  Rows are lent by pointer (tsc_dicom_tag starts with
     * struct_size; fields are only appended) until the list is freed. */
    tsc_status (*dicom_slice_tags)(const tsc_dicom_index *index, size_t series, size_t slice,
                                   unsigned flags, tsc_dicom_tag_list **out, tsc_error *err);
    size_t (*dicom_tag_list_count)(const tsc_dicom_tag_list *list);
    const tsc_dicom_tag *(*dicom_tag_list_get)(const tsc_dicom_tag_list *list, size_t i);
    void (*dicom_tag_list_free)(tsc_dicom_tag_list *list);

    /* ---- version 9: the reader's measurements in the reports and the SR ----
     * The report options with the fields of version 9 (measurements,
     * n_measurements, observer: none by default), at their version-9 size.
     * Every member that takes a tsc_report_options reads it up to its
     * struct_size: a version-8 host's options get no measurements.  The
     * slice PNG and the PDF's slice pages draw the measurements of their
     * slice, numbered, in one yellow (TSC_COLOR_MEASUREMENT); the slice PNG,
     * the series PNG and the PDF summary list them; write_dicom_outputs
     * writes one TID 1410 measurement group per measurement into the SR
     * (docs/REPORTS.md). */
    tsc_report_options (*report_default_options_v9)(void);

    /* ---- version 10: results stored with the study (tsc_stored_result.h) ----
     * The result tumorscope stored for series `series` (its own DICOM SEG
     * and TID 1500 SR, as the Orthanc plugin stores them or `tumorscope
     * analyze --dicom` writes them) as a series result the host shows like
     * its own analysis: the SEG's frames are tumour slices of their
     * segment's type (the class of `model` with that display name), the
     * slices the SR's finding lists as in doubt or not assessable so, the
     * other slices "no tumour"; lesions measured from the masks; the
     * confidences and the volume the SR states; no class probabilities.  *out is NULL (TSC_OK) when nothing is stored
     * for the series or the objects are not ours; `info` (written up to its
     * struct_size; may be NULL) says which objects were read, what made them
     * and when, what the SR states, and why a stored object was not rebuilt.
     * Decodes every SEG frame: call it off the UI thread. */
    tsc_status (*study_stored_result)(const tsc_model *model, const tsc_dicom_index *index,
                                      size_t series, tsc_series_result **out,
                                      tsc_stored_result_info *info, tsc_error *err);

    /* ---- version 11: the reader's corrections ----
     * (src/analysis/tsc_edit.h; docs/PLUGIN_ABI.md "Version 11").  An edit
     * rejects a 3D lesion of the unedited result with a reason, or paints or
     * erases a stroke (radius in mm) on one slice's mask.
     * series_result_apply_edits replays a host's ordered list on the
     * unedited result and returns a NEW series result measured again from
     * the edited masks (undo: replay one edit fewer); each tsc_edit is read
     * up to its struct_size; TSC_EDIT_ACCEPT confirms a lesion without
     * changing a mask.  The edited result is shown, described and
     * written like any other: write_dicom_outputs then writes the edited
     * mask as a SEMIAUTOMATIC SEG and an SR with the editor as observer,
     * the rejected lesions with their reasons and the edited slices; the
     * reports say "Edited by <editor>" and leave rejected lesions out. */
    tsc_edit (*edit_default)(void);
    tsc_status (*series_result_apply_edits)(const tsc_model *model,
                                            const tsc_series_result *original,
                                            const tsc_edit *const *edits, size_t n_edits,
                                            const char *editor, tsc_series_result **out,
                                            tsc_error *err);
    int (*series_result_is_edited)(const tsc_series_result *r);
    const char *(*series_result_get_editor)(const tsc_series_result *r);
    unsigned (*series_result_get_slice_edits)(const tsc_series_result *r, size_t k);
    size_t (*series_result_n_rejected)(const tsc_series_result *r);
    const tsc_rejected_lesion *(*series_result_get_rejected)(const tsc_series_result *r, size_t i);
    size_t (*series_result_get_lesion3d_origin)(const tsc_series_result *r, size_t i);
    /* "Edited by <editor>: 1 lesion rejected; brush on slices 6, 7", as the
     * reports and the SR state it; "" when unedited. */
    char *(*series_result_describe_edits)(const tsc_series_result *r, int with_name, char *buf,
                                          size_t size);
    /* The edits file, saved beside the exports and keyed by the series'
     * UIDs and each stroke's SOP instance (docs/RESULT_FORMAT.md). */
    char *(*edit_file_name)(const char *study_uid, const char *series_uid, char *buf, size_t size);
    tsc_status (*edit_file_save)(const char *path, const tsc_edit_file_info *info,
                                 const tsc_model *model, const tsc_edit *const *edits,
                                 size_t n_edits, const char *const *slice_uids,
                                 const int *slice_frames, size_t n_slices, tsc_error *err);
    tsc_status (*edit_file_load)(const char *path, tsc_edit_file **out, tsc_error *err);
    void (*edit_file_free)(tsc_edit_file *f);
    const tsc_edit_file_info *(*edit_file_get_info)(const tsc_edit_file *f);
    tsc_status (*edit_file_check)(const tsc_edit_file *f, const tsc_edit_file_info *current,
                                  tsc_error *err);
    tsc_status (*edit_file_resolve)(tsc_edit_file *f, const tsc_model *model,
                                    const char *const *slice_uids, const int *slice_frames,
                                    size_t n_slices, const tsc_edit *const **edits, size_t *n_edits,
                                    tsc_error *err);
    /* 1 when 3D lesion i of an edited result is one the reader accepted
     * (TSC_EDIT_ACCEPT: confirmed, masks unchanged). */
    int (*series_result_lesion3d_is_accepted)(const tsc_series_result *r, size_t i);
    /* The edits file of series `series` of an opened study (study_edits.h):
     * what it states about a result of `model`/`method` (the UIDs, the
     * method, "<name> <version>" written into model_buf), and save and
     * resolve on the series' own slices (edit_file_save, edit_file_resolve
     * with each slice's SOP instance and frame); study_edit_save refuses
     * (TSC_EINVAL) a path inside one of the study's input folders. */
    tsc_edit_file_info (*study_edit_info)(const tsc_model *model, tsc_method method,
                                          const tsc_dicom_index *index, size_t series,
                                          char *model_buf, size_t size);
    tsc_status (*study_edit_save)(const char *path, const tsc_edit_file_info *info,
                                  const tsc_model *model, const tsc_edit *const *edits,
                                  size_t n_edits, const tsc_dicom_index *index, size_t series,
                                  tsc_error *err);
    tsc_status (*study_edit_resolve)(tsc_edit_file *f, const tsc_model *model,
                                     const tsc_dicom_index *index, size_t series,
                                     const tsc_edit *const **edits, size_t *n_edits,
                                     tsc_error *err);
} tsc_plugin_api;

/* True when `api` has member `field` (appended in a later version). */
#define TSC_PLUGIN_HAS(api, field)                                                   \
    ((api)->struct_size >= offsetof(tsc_plugin_api, field) + sizeof((api)->field))

/* The plugin's only exported symbol. */
typedef const tsc_plugin_api *(*tsc_plugin_get_api_fn)(uint32_t version);
#if defined(__GNUC__)
__attribute__((visibility("default")))
#endif
const tsc_plugin_api *tsc_plugin_get_api(uint32_t version);

#ifdef __cplusplus
}
#endif
#endif
