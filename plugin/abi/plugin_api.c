/* SPDX-License-Identifier: BSD-3-Clause */
/* The plugin's only exported symbol and its table (versions 1 to 4). */
#include "tsc_plugin.h"

#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include "struct_size_private.h"
#include "study_analysis.h"
#include "study_edits.h"
#include "tsc_dicom_outputs.h"
#include "tsc_render.h"

static const char *plugin_version(void)
{
    return TSC_VERSION;
}

/* Structs returned BY VALUE cannot grow: the caller reserves the space of
 * the layout it was built with and the callee fills the space of its own.
 * tsc_analysis_options grew in version 3 (force_scope, not_assessable_rule,
 * axial_reformat), so hosts of versions 1 and 2 get a table whose
 * analysis_default_options returns their 48-byte layout, with struct_size
 * saying so (the analysis then takes defaults for the rest).  From version 3
 * on, a struct returned by value is frozen; growth goes into a new
 * `*_default_*_vN` member. */
typedef struct analysis_options_v2 {
    size_t struct_size;
    tsc_method method;
    int flip_tta;
    double min_lesion_area_mm2;
    int restrict_to_head;
    tsc_cancel_fn cancel;
    void *cancel_data;
} analysis_options_v2;
_Static_assert(sizeof(analysis_options_v2) == offsetof(tsc_analysis_options, force_scope),
               "the version-2 layout of tsc_analysis_options is the prefix of today's");

static analysis_options_v2 analysis_default_options_v2(void)
{
    tsc_analysis_options o = tsc_analysis_default_options();
    analysis_options_v2 v2;
    memcpy(&v2, &o, sizeof v2);
    v2.struct_size = sizeof v2;
    return v2;
}

/* ---- version 9: the report options grew (the reader's measurements).
 * Returned by value, so a host of versions 1 to 8 gets its own 88-byte
 * layout from report_default_options, with struct_size saying so. */

static tsc_report_options_v8 report_default_options_v8(void)
{
    tsc_report_options o = tsc_report_default_options();
    tsc_report_options_v8 v;
    memcpy(&v, &o, sizeof v);
    v.struct_size = sizeof v;
    return v;
}
_Static_assert(offsetof(tsc_report_options, overlay) == offsetof(tsc_report_options_v8, overlay) &&
                   sizeof(tsc_report_options_v8) <= sizeof(tsc_report_options),
               "the version-8 layout of tsc_report_options is the prefix of today's");

/* ---- version 4: struct_size on the engine's params and the writer's
 * result.  Their version-2 layouts keep the members nn_default_params,
 * nn_model_load and dicom_write_series, served here by conversion. */

static tsc_nn_params nn_default_params_v4(void)
{
    tsc_nn_params p = tsc_nn_default_params();
    p.struct_size = sizeof p;
    return p;
}

static tsc_status nn_model_load_v4(const char *path, const tsc_nn_params *params,
                                   tsc_nn_model **out, tsc_error *err)
{
    tsc_nn_params p = nn_default_params_v4();
    TSC__PARAMS_COPY(&p, params);
    return tsc_nn_model_load(path, &p, out, err);
}

static tsc_status nn_model_load_int8(const char *path, const tsc_nn_params *params,
                                     const tsc_nn_int8_range *ranges, size_t n_ranges,
                                     tsc_nn_model **out, tsc_error *err)
{
    tsc_nn_params p = nn_default_params_v4();
    TSC__PARAMS_COPY(&p, params);
    return tsc_nn_model_load_int8(path, &p, ranges, n_ranges, out, err);
}

static tsc_nn_params_v2 nn_default_params_v2(void)
{
    tsc_nn_params p = tsc_nn_default_params();
    tsc_nn_params_v2 v2 = {p.n_threads, p.engine, p.batch,
                           p.max_file_bytes, p.max_weight_bytes, p.max_activation_bytes};
    return v2;
}

static tsc_status nn_model_load_v2(const char *path, const tsc_nn_params_v2 *params,
                                   tsc_nn_model **out, tsc_error *err)
{
    tsc_nn_params p = nn_default_params_v4();
    if (params) {
        p.n_threads = params->n_threads;
        p.engine = params->engine;
        p.batch = params->batch;
        p.max_file_bytes = params->max_file_bytes;
        p.max_weight_bytes = params->max_weight_bytes;
        p.max_activation_bytes = params->max_activation_bytes;
    }
    return tsc_nn_model_load(path, &p, out, err);
}

static tsc_status dicom_write_series_v4(const char *out_dir, const tsc_dicom_write_params *params,
                                        const tsc_dicom_write_volume *volume,
                                        tsc_dicom_write_result *result, tsc_error *err)
{
    tsc_dicom_write_result full;
    tsc_status st = tsc_dicom_write_series(out_dir, params, volume, result ? &full : NULL, err);
    /* struct_size 0 counts as the version-4 struct, which is frozen below. */
    if (result) TSC__RESULT_COPY(result, &full);
    return st;
}

static tsc_status dicom_write_series_v2(const char *out_dir, const tsc_dicom_write_params *params,
                                        const tsc_dicom_write_volume *volume,
                                        tsc_dicom_write_result_v2 *result, tsc_error *err)
{
    tsc_dicom_write_result full;
    tsc_status st = tsc_dicom_write_series(out_dir, params, volume, result ? &full : NULL, err);
    if (result) {
        memset(result, 0, sizeof *result);
        memcpy(result->study_uid, full.study_uid, sizeof result->study_uid);
        memcpy(result->series_uid, full.series_uid, sizeof result->series_uid);
        memcpy(result->frame_of_reference_uid, full.frame_of_reference_uid,
               sizeof result->frame_of_reference_uid);
        memcpy(result->transfer_syntax_uid, full.transfer_syntax_uid,
               sizeof result->transfer_syntax_uid);
        result->n_files = full.n_files;
        result->n_clipped = full.n_clipped;
        result->window_center = full.window_center;
        result->window_width = full.window_width;
        result->bits_stored = full.bits_stored;
    }
    return st;
}

/* The table and every struct that crosses the ABI have their size and
 * offsets pinned in abi_layout.c. */

static const tsc_plugin_api api_table = {
    .version = TSC_PLUGIN_API_VERSION,
    .struct_size = sizeof(tsc_plugin_api),

    .plugin_version = plugin_version,
    .status_to_string = tsc_status_to_string,
    .log_set = tsc_log_set,
    .verdict_to_string = tsc_verdict_to_string,
    .method_to_string = tsc_method_to_string,
    .method_from_string = tsc_method_from_string,

    .study_default_params = tsc_dicom_default_open_params,
    .study_open = tsc_dicom_open,
    .study_free = tsc_dicom_index_free,
    .study_n_patients = tsc_dicom_n_patients,
    .study_n_studies = tsc_dicom_n_studies,
    .study_n_series = tsc_dicom_n_series,
    .study_n_skipped = tsc_dicom_n_skipped,
    .study_n_files = tsc_dicom_n_files,
    .study_get_patient = tsc_dicom_get_patient,
    .study_get_study = tsc_dicom_get_study,
    .study_get_series = tsc_dicom_get_series,
    .study_get_slice = tsc_dicom_get_slice,
    .study_get_skipped = tsc_dicom_get_skipped,
    .slice_decode = tsc_dicom_decode_slice,
    .image_free = tsc_dicom_image_free,

    .model_default_params = tsc_model_default_params,
    .model_load = tsc_model_load,
    .model_free = tsc_model_free,
    .model_get_name = tsc_model_get_name,
    .model_get_version = tsc_model_get_version,
    .model_get_sha256 = tsc_model_get_sha256,
    .model_n_classes = tsc_model_n_classes,
    .model_get_class_name = tsc_model_get_class_name,
    .model_get_class_display = tsc_model_get_class_display,
    .model_get_class_color = tsc_model_get_class_color,

    .analysis_default_options = tsc_analysis_default_options,
    .analyze_study_slice = tsc_analyze_study_slice,
    .analyze_study_series = tsc_analyze_study_series,
    .analyze_slice = tsc_analyze_slice,

    .result_free = tsc_result_free,
    .result_dup = tsc_result_dup,
    .result_get_verdict = tsc_result_get_verdict,
    .result_get_reason = tsc_result_get_reason,
    .result_get_label = tsc_result_get_label,
    .result_get_confidence = tsc_result_get_confidence,
    .result_n_classes = tsc_result_n_classes,
    .result_get_probability = tsc_result_get_probability,
    .result_get_mask = tsc_result_get_mask,
    .result_get_probability_map = tsc_result_get_probability_map,
    .result_n_lesions = tsc_result_n_lesions,
    .result_get_lesion = tsc_result_get_lesion,
    .result_get_timings = tsc_result_get_timings,

    .series_result_free = tsc_series_result_free,
    .series_result_n_slices = tsc_series_result_n_slices,
    .series_result_get_slice = tsc_series_result_get_slice,
    .series_result_get_error = tsc_series_result_get_error,
    .series_result_get_verdict = tsc_series_result_get_verdict,
    .series_result_get_label = tsc_series_result_get_label,
    .series_result_get_confidence = tsc_series_result_get_confidence,
    .series_result_get_volume_ml = tsc_series_result_get_volume_ml,
    .series_result_get_key_slice = tsc_series_result_get_key_slice,
    .series_result_n_lesions3d = tsc_series_result_n_lesions3d,
    .series_result_get_lesion3d = tsc_series_result_get_lesion3d,

    .overlay_default_options = tsc_overlay_default_options,
    .render_overlay = tsc_render_overlay,

    .report_default_options = report_default_options_v8,
    .report_slice_png = tsc_report_slice_png,
    .report_series_png = tsc_report_series_png,
    .report_pdf = tsc_report_pdf,
    .write_dicom_outputs = tsc_write_dicom_outputs,
    /* version 2 */
    .dicom_write_default_params = tsc_dicom_write_default_params,
    .dicom_write_series = dicom_write_series_v2,
    .dicom_write_compression_from_name = tsc_dicom_write_compression_from_name,
    .dicom_write_compression_name = tsc_dicom_write_compression_name,
    .nn_default_params = nn_default_params_v2,
    .nn_model_load = nn_model_load_v2,
    .nn_model_free = tsc_nn_model_free,
    .nn_model_n_inputs = tsc_nn_model_n_inputs,
    .nn_model_n_outputs = tsc_nn_model_n_outputs,
    .nn_model_get_input_name = tsc_nn_model_get_input_name,
    .nn_model_get_input_shape = tsc_nn_model_get_input_shape,
    .nn_model_input_size = tsc_nn_model_input_size,
    .nn_model_output_size = tsc_nn_model_output_size,
    .nn_model_run = tsc_nn_model_run,
    .nn_model_flops = tsc_nn_model_flops,
    .nn_model_n_threads = tsc_nn_model_n_threads,
    .nn_model_get_summary = tsc_nn_model_get_summary,
    /* version 3 */
    .result_describe = tsc_result_describe,
    .series_result_describe = tsc_series_result_describe,
    .series_check_scope = tsc_study_series_scope,
    .scope_default_input = tsc_scope_default_input,
    .scope_check = tsc_scope_check,
    .plane_to_string = tsc_plane_to_string,
    .result_get_tumor_probability = tsc_result_get_tumor_probability,
    .result_get_head_area_mm2 = tsc_result_get_head_area_mm2,
    .result_get_scope_warning = tsc_result_get_scope_warning,
    .series_result_n_failed = tsc_series_result_n_failed,
    .series_result_count = tsc_series_result_count,
    .series_result_get_tumor_probability = tsc_series_result_get_tumor_probability,
    .series_result_get_reason = tsc_series_result_get_reason,
    .series_result_get_scope_warning = tsc_series_result_get_scope_warning,
    .study_n_segmentations = tsc_dicom_n_segmentations,
    .study_get_segmentation = tsc_dicom_get_segmentation,
    .study_get_segment = tsc_dicom_get_segment,
    .study_get_seg_frame = tsc_dicom_get_seg_frame,
    .seg_frame_decode = tsc_dicom_decode_seg_frame,
    .series_result_get_reformat = tsc_series_result_get_reformat,
    .series_result_get_slice_geometry = tsc_series_result_get_slice_geometry,
    /* version 4 */
    .nn_default_params_v4 = nn_default_params_v4,
    .nn_model_load_v4 = nn_model_load_v4,
    .dicom_write_series_v4 = dicom_write_series_v4,
    .write_dicom_pdf = tsc_write_dicom_pdf,
    /* version 5 */
    .pacs_echo = tsc_pacs_echo,
    .pacs_find_studies = tsc_pacs_find_studies,
    .pacs_study_list_count = tsc_pacs_study_list_count,
    .pacs_study_list_get = tsc_pacs_study_list_get,
    .pacs_study_list_has_more = tsc_pacs_study_list_has_more,
    .pacs_study_list_free = tsc_pacs_study_list_free,
    .pacs_retrieve_study = tsc_pacs_retrieve_study,
    .pacs_store_files = tsc_pacs_store_files,
    .study_n_reports = tsc_dicom_n_reports,
    .study_get_report = tsc_dicom_get_report,
    .write_dicom_compare_sr = tsc_write_dicom_compare_sr,

    .nn_model_load_int8 = nn_model_load_int8,
    .nn_model_get_precision = tsc_nn_model_get_precision,
    .nn_model_calibrate = tsc_nn_model_calibrate,
    .nn_model_n_int8_ranges = tsc_nn_model_n_int8_ranges,
    .nn_model_get_int8_range = tsc_nn_model_get_int8_range,
    .model_get_precision = tsc_model_get_precision,
    /* version 7 */
    .pacs_retrieve = tsc_pacs_retrieve,
    /* version 8 */
    .dicom_slice_tags = tsc_dicom_slice_tags,
    .dicom_tag_list_count = tsc_dicom_tag_list_count,
    .dicom_tag_list_get = tsc_dicom_tag_list_get,
    .dicom_tag_list_free = tsc_dicom_tag_list_free,
    /* version 9 */
    .report_default_options_v9 = tsc_report_default_options,
    /* version 10 */
    .study_stored_result = tsc_study_stored_result,
    /* version 11 */
    .edit_default = tsc_edit_default,
    .series_result_apply_edits = tsc_series_result_apply_edits,
    .series_result_is_edited = tsc_series_result_is_edited,
    .series_result_get_editor = tsc_series_result_get_editor,
    .series_result_get_slice_edits = tsc_series_result_get_slice_edits,
    .series_result_n_rejected = tsc_series_result_n_rejected,
    .series_result_get_rejected = tsc_series_result_get_rejected,
    .series_result_get_lesion3d_origin = tsc_series_result_get_lesion3d_origin,
    .series_result_describe_edits = tsc_series_result_describe_edits,
    .edit_file_name = tsc_edit_file_name,
    .edit_file_save = tsc_edit_file_save,
    .edit_file_load = tsc_edit_file_load,
    .edit_file_free = tsc_edit_file_free,
    .edit_file_get_info = tsc_edit_file_get_info,
    .edit_file_check = tsc_edit_file_check,
    .edit_file_resolve = tsc_edit_file_resolve,
    .series_result_lesion3d_is_accepted = tsc_series_result_lesion3d_is_accepted,
    .study_edit_info = tsc_study_edit_info,
    .study_edit_save = tsc_study_edit_save,
    .study_edit_resolve = tsc_study_edit_resolve,
};

/* Versions 1 to 10 and 12 are frozen: every member's offset is pinned in
 * abi_layout.c. */
static tsc_plugin_api api_table_v2;
static pthread_once_t api_v2_once = PTHREAD_ONCE_INIT;

static void make_api_v2(void)
{
    api_table_v2 = api_table;
    /* Called by hosts built with the version-2 member type, which returns
     * the 48-byte layout: that is what this function returns. */
    api_table_v2.analysis_default_options =
        (tsc_analysis_options(*)(void))(void (*)(void))analysis_default_options_v2;
}

__attribute__((visibility("default"))) const tsc_plugin_api *tsc_plugin_get_api(uint32_t version)
{
    /* Every version serves the same (growing) table, a host asking for
     * version N reading only the members of version N; versions 1 and 2 get
     * a copy whose by-value defaults have their own layout. */
    if (version == 1 || version == 2) {
        pthread_once(&api_v2_once, make_api_v2);
        return &api_table_v2;
    }
    if (version >= 3 && version <= api_table.version) return &api_table;
    return NULL;
}
