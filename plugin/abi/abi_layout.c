/* SPDX-License-Identifier: BSD-3-Clause */
/* The layout of the table and of every struct that crosses the plugin ABI,
 * pinned (docs/PLUGIN_ABI.md, "Compatibility across versions").  A failing
 * assert here means a released host would read or write the wrong bytes.
 *
 * - TSC__SIZE: structs a host allocates: passed in, filled in or returned
 *   by value.  Frozen: never change one of these lines.  A struct that
 *   needs more fields gets a new layout and new `_vN` members, as
 *   tsc_nn_params and tsc_dicom_write_result did in version 4 (their
 *   version-2 layouts are the `_v2` types).
 * - TSC__GROWN: structs the plugin returns by pointer (rule 5).  Fields are
 *   only ever appended: the TSC__AT lines never change, the TSC__GROWN line
 *   is updated with the new size.
 *
 * Numbers are for LP64 (x86-64, AArch64), the platforms we ship. */
#include <stddef.h>

#include "tsc_plugin.h"

#if defined(__LP64__)

#define TSC__SIZE(T, n) _Static_assert(sizeof(T) == (n), "ABI: sizeof(" #T ") changed")
#define TSC__GROWN(T, n) \
    _Static_assert(sizeof(T) == (n), "ABI: " #T " grew: append only, then update its size here")
#define TSC__AT(T, f, off) _Static_assert(offsetof(T, f) == (off), "ABI: " #T "." #f " moved")

/* tsc_plugin_api: the table, returned by pointer; members are only ever
 * appended (rule 1).  Every member of versions 1 to 3 is where a program
 * compiled against the version-3 headers (git show 467f0d3: of
 * plugin/abi/tsc_plugin.h and the headers it includes) printed it; the
 * members of versions 4 to 11 are where their release put them.  A host of
 * version N allocates nothing of the table but reads its members at these
 * offsets: the first member of version N+1 is also the size of a
 * version-N table (version 3: 840 bytes).  A new version appends its
 * members here and updates only the TSC__GROWN line. */
TSC__GROWN(tsc_plugin_api, 1224);
TSC__AT(tsc_plugin_api, version, 0);
TSC__AT(tsc_plugin_api, struct_size, 4);
/* version 1 */
TSC__AT(tsc_plugin_api, plugin_version, 8);
TSC__AT(tsc_plugin_api, status_to_string, 16);
TSC__AT(tsc_plugin_api, log_set, 24);
TSC__AT(tsc_plugin_api, verdict_to_string, 32);
TSC__AT(tsc_plugin_api, method_to_string, 40);
TSC__AT(tsc_plugin_api, method_from_string, 48);
TSC__AT(tsc_plugin_api, study_default_params, 56);
TSC__AT(tsc_plugin_api, study_open, 64);
TSC__AT(tsc_plugin_api, study_free, 72);
TSC__AT(tsc_plugin_api, study_n_patients, 80);
TSC__AT(tsc_plugin_api, study_n_studies, 88);
TSC__AT(tsc_plugin_api, study_n_series, 96);
TSC__AT(tsc_plugin_api, study_n_skipped, 104);
TSC__AT(tsc_plugin_api, study_n_files, 112);
TSC__AT(tsc_plugin_api, study_get_patient, 120);
TSC__AT(tsc_plugin_api, study_get_study, 128);
TSC__AT(tsc_plugin_api, study_get_series, 136);
TSC__AT(tsc_plugin_api, study_get_slice, 144);
TSC__AT(tsc_plugin_api, study_get_skipped, 152);
TSC__AT(tsc_plugin_api, slice_decode, 160);
TSC__AT(tsc_plugin_api, image_free, 168);
TSC__AT(tsc_plugin_api, model_default_params, 176);
TSC__AT(tsc_plugin_api, model_load, 184);
TSC__AT(tsc_plugin_api, model_free, 192);
TSC__AT(tsc_plugin_api, model_get_name, 200);
TSC__AT(tsc_plugin_api, model_get_version, 208);
TSC__AT(tsc_plugin_api, model_get_sha256, 216);
TSC__AT(tsc_plugin_api, model_n_classes, 224);
TSC__AT(tsc_plugin_api, model_get_class_name, 232);
TSC__AT(tsc_plugin_api, model_get_class_display, 240);
TSC__AT(tsc_plugin_api, model_get_class_color, 248);
TSC__AT(tsc_plugin_api, analysis_default_options, 256);
TSC__AT(tsc_plugin_api, analyze_study_slice, 264);
TSC__AT(tsc_plugin_api, analyze_study_series, 272);
TSC__AT(tsc_plugin_api, analyze_slice, 280);
TSC__AT(tsc_plugin_api, result_free, 288);
TSC__AT(tsc_plugin_api, result_dup, 296);
TSC__AT(tsc_plugin_api, result_get_verdict, 304);
TSC__AT(tsc_plugin_api, result_get_reason, 312);
TSC__AT(tsc_plugin_api, result_get_label, 320);
TSC__AT(tsc_plugin_api, result_get_confidence, 328);
TSC__AT(tsc_plugin_api, result_n_classes, 336);
TSC__AT(tsc_plugin_api, result_get_probability, 344);
TSC__AT(tsc_plugin_api, result_get_mask, 352);
TSC__AT(tsc_plugin_api, result_get_probability_map, 360);
TSC__AT(tsc_plugin_api, result_n_lesions, 368);
TSC__AT(tsc_plugin_api, result_get_lesion, 376);
TSC__AT(tsc_plugin_api, result_get_timings, 384);
TSC__AT(tsc_plugin_api, series_result_free, 392);
TSC__AT(tsc_plugin_api, series_result_n_slices, 400);
TSC__AT(tsc_plugin_api, series_result_get_slice, 408);
TSC__AT(tsc_plugin_api, series_result_get_error, 416);
TSC__AT(tsc_plugin_api, series_result_get_verdict, 424);
TSC__AT(tsc_plugin_api, series_result_get_label, 432);
TSC__AT(tsc_plugin_api, series_result_get_confidence, 440);
TSC__AT(tsc_plugin_api, series_result_get_volume_ml, 448);
TSC__AT(tsc_plugin_api, series_result_get_key_slice, 456);
TSC__AT(tsc_plugin_api, series_result_n_lesions3d, 464);
TSC__AT(tsc_plugin_api, series_result_get_lesion3d, 472);
TSC__AT(tsc_plugin_api, overlay_default_options, 480);
TSC__AT(tsc_plugin_api, render_overlay, 488);
TSC__AT(tsc_plugin_api, report_default_options, 496);
TSC__AT(tsc_plugin_api, report_slice_png, 504);
TSC__AT(tsc_plugin_api, report_series_png, 512);
TSC__AT(tsc_plugin_api, report_pdf, 520);
TSC__AT(tsc_plugin_api, write_dicom_outputs, 528);
/* version 2 */
TSC__AT(tsc_plugin_api, dicom_write_default_params, 536);
TSC__AT(tsc_plugin_api, dicom_write_series, 544);
TSC__AT(tsc_plugin_api, dicom_write_compression_from_name, 552);
TSC__AT(tsc_plugin_api, dicom_write_compression_name, 560);
TSC__AT(tsc_plugin_api, nn_default_params, 568);
TSC__AT(tsc_plugin_api, nn_model_load, 576);
TSC__AT(tsc_plugin_api, nn_model_free, 584);
TSC__AT(tsc_plugin_api, nn_model_n_inputs, 592);
TSC__AT(tsc_plugin_api, nn_model_n_outputs, 600);
TSC__AT(tsc_plugin_api, nn_model_get_input_name, 608);
TSC__AT(tsc_plugin_api, nn_model_get_input_shape, 616);
TSC__AT(tsc_plugin_api, nn_model_input_size, 624);
TSC__AT(tsc_plugin_api, nn_model_output_size, 632);
TSC__AT(tsc_plugin_api, nn_model_run, 640);
TSC__AT(tsc_plugin_api, nn_model_flops, 648);
TSC__AT(tsc_plugin_api, nn_model_n_threads, 656);
TSC__AT(tsc_plugin_api, nn_model_get_summary, 664);
/* version 3 */
TSC__AT(tsc_plugin_api, result_describe, 672);
TSC__AT(tsc_plugin_api, series_result_describe, 680);
TSC__AT(tsc_plugin_api, series_check_scope, 688);
TSC__AT(tsc_plugin_api, scope_default_input, 696);
TSC__AT(tsc_plugin_api, scope_check, 704);
TSC__AT(tsc_plugin_api, plane_to_string, 712);
TSC__AT(tsc_plugin_api, result_get_tumor_probability, 720);
TSC__AT(tsc_plugin_api, result_get_head_area_mm2, 728);
TSC__AT(tsc_plugin_api, result_get_scope_warning, 736);
TSC__AT(tsc_plugin_api, series_result_n_failed, 744);
TSC__AT(tsc_plugin_api, series_result_count, 752);
TSC__AT(tsc_plugin_api, series_result_get_tumor_probability, 760);
TSC__AT(tsc_plugin_api, series_result_get_reason, 768);
TSC__AT(tsc_plugin_api, series_result_get_scope_warning, 776);
TSC__AT(tsc_plugin_api, study_n_segmentations, 784);
TSC__AT(tsc_plugin_api, study_get_segmentation, 792);
TSC__AT(tsc_plugin_api, study_get_segment, 800);
TSC__AT(tsc_plugin_api, study_get_seg_frame, 808);
TSC__AT(tsc_plugin_api, seg_frame_decode, 816);
TSC__AT(tsc_plugin_api, series_result_get_reformat, 824);
TSC__AT(tsc_plugin_api, series_result_get_slice_geometry, 832);
/* version 4 */
TSC__AT(tsc_plugin_api, nn_default_params_v4, 840);
TSC__AT(tsc_plugin_api, nn_model_load_v4, 848);
TSC__AT(tsc_plugin_api, dicom_write_series_v4, 856);
TSC__AT(tsc_plugin_api, write_dicom_pdf, 864);
/* version 5 */
TSC__AT(tsc_plugin_api, pacs_echo, 872);
TSC__AT(tsc_plugin_api, pacs_find_studies, 880);
TSC__AT(tsc_plugin_api, pacs_study_list_count, 888);
TSC__AT(tsc_plugin_api, pacs_study_list_get, 896);
TSC__AT(tsc_plugin_api, pacs_study_list_has_more, 904);
TSC__AT(tsc_plugin_api, pacs_study_list_free, 912);
TSC__AT(tsc_plugin_api, pacs_retrieve_study, 920);
TSC__AT(tsc_plugin_api, pacs_store_files, 928);
TSC__AT(tsc_plugin_api, study_n_reports, 936);
TSC__AT(tsc_plugin_api, study_get_report, 944);
TSC__AT(tsc_plugin_api, write_dicom_compare_sr, 952);
/* version 6 */
TSC__AT(tsc_plugin_api, nn_model_load_int8, 960);
TSC__AT(tsc_plugin_api, nn_model_get_precision, 968);
TSC__AT(tsc_plugin_api, nn_model_calibrate, 976);
TSC__AT(tsc_plugin_api, nn_model_n_int8_ranges, 984);
TSC__AT(tsc_plugin_api, nn_model_get_int8_range, 992);
TSC__AT(tsc_plugin_api, model_get_precision, 1000);
/* version 7 */
TSC__AT(tsc_plugin_api, pacs_retrieve, 1008);
/* version 8 */
TSC__AT(tsc_plugin_api, dicom_slice_tags, 1016);
TSC__AT(tsc_plugin_api, dicom_tag_list_count, 1024);
TSC__AT(tsc_plugin_api, dicom_tag_list_get, 1032);
TSC__AT(tsc_plugin_api, dicom_tag_list_free, 1040);
/* version 9 */
TSC__AT(tsc_plugin_api, report_default_options_v9, 1048);
/* version 10 */
TSC__AT(tsc_plugin_api, study_stored_result, 1056);
/* version 11 */
TSC__AT(tsc_plugin_api, edit_default, 1064);
TSC__AT(tsc_plugin_api, series_result_apply_edits, 1072);
TSC__AT(tsc_plugin_api, series_result_is_edited, 1080);
TSC__AT(tsc_plugin_api, series_result_get_editor, 1088);
TSC__AT(tsc_plugin_api, series_result_get_slice_edits, 1096);
TSC__AT(tsc_plugin_api, series_result_n_rejected, 1104);
TSC__AT(tsc_plugin_api, series_result_get_rejected, 1112);
TSC__AT(tsc_plugin_api, series_result_get_lesion3d_origin, 1120);
TSC__AT(tsc_plugin_api, series_result_describe_edits, 1128);
TSC__AT(tsc_plugin_api, edit_file_name, 1136);
TSC__AT(tsc_plugin_api, edit_file_save, 1144);
TSC__AT(tsc_plugin_api, edit_file_load, 1152);
TSC__AT(tsc_plugin_api, edit_file_free, 1160);
TSC__AT(tsc_plugin_api, edit_file_get_info, 1168);
TSC__AT(tsc_plugin_api, edit_file_check, 1176);
TSC__AT(tsc_plugin_api, edit_file_resolve, 1184);
TSC__AT(tsc_plugin_api, series_result_lesion3d_is_accepted, 1192);
TSC__AT(tsc_plugin_api, study_edit_info, 1200);
TSC__AT(tsc_plugin_api, study_edit_save, 1208);
TSC__AT(tsc_plugin_api, study_edit_resolve, 1216);

/* tsc_point: inside tsc_lesion_info, so frozen */
TSC__SIZE(tsc_point, 16);
TSC__AT(tsc_point, x, 0);
TSC__AT(tsc_point, y, 8);

/* tsc_error: frozen */
TSC__SIZE(tsc_error, 516);
TSC__AT(tsc_error, status, 0);
TSC__AT(tsc_error, message, 4);

/* tsc_dicom_open_params: frozen */
TSC__SIZE(tsc_dicom_open_params, 64);
TSC__AT(tsc_dicom_open_params, struct_size, 0);
TSC__AT(tsc_dicom_open_params, recursive, 8);
TSC__AT(tsc_dicom_open_params, max_pixel_bytes, 16);
TSC__AT(tsc_dicom_open_params, max_files, 24);
TSC__AT(tsc_dicom_open_params, progress, 32);
TSC__AT(tsc_dicom_open_params, progress_data, 40);
TSC__AT(tsc_dicom_open_params, cancel, 48);
TSC__AT(tsc_dicom_open_params, cancel_data, 56);

/* tsc_model_params: frozen */
TSC__SIZE(tsc_model_params, 16);
TSC__AT(tsc_model_params, struct_size, 0);
TSC__AT(tsc_model_params, threads, 8);
TSC__AT(tsc_model_params, verify_checksum, 12);

/* tsc_analysis_options: frozen */
TSC__SIZE(tsc_analysis_options, 64);
TSC__AT(tsc_analysis_options, struct_size, 0);
TSC__AT(tsc_analysis_options, method, 8);
TSC__AT(tsc_analysis_options, flip_tta, 12);
TSC__AT(tsc_analysis_options, min_lesion_area_mm2, 16);
TSC__AT(tsc_analysis_options, restrict_to_head, 24);
TSC__AT(tsc_analysis_options, cancel, 32);
TSC__AT(tsc_analysis_options, cancel_data, 40);
TSC__AT(tsc_analysis_options, force_scope, 48);
TSC__AT(tsc_analysis_options, not_assessable_rule, 52);
TSC__AT(tsc_analysis_options, axial_reformat, 56);

/* tsc_slice: frozen */
TSC__SIZE(tsc_slice, 32);
TSC__AT(tsc_slice, pixels, 0);
TSC__AT(tsc_slice, rows, 8);
TSC__AT(tsc_slice, cols, 12);
TSC__AT(tsc_slice, spacing, 16);

/* tsc_overlay_options: frozen */
TSC__SIZE(tsc_overlay_options, 64);
TSC__AT(tsc_overlay_options, struct_size, 0);
TSC__AT(tsc_overlay_options, mode, 8);
TSC__AT(tsc_overlay_options, opacity, 16);
TSC__AT(tsc_overlay_options, show_labels, 24);
TSC__AT(tsc_overlay_options, show_axes, 28);
TSC__AT(tsc_overlay_options, show_legend, 32);
TSC__AT(tsc_overlay_options, show_disclaimer, 36);
TSC__AT(tsc_overlay_options, show_heatmap, 40);
TSC__AT(tsc_overlay_options, view_width, 48);
TSC__AT(tsc_overlay_options, view_height, 56);

/* tsc_report_options: frozen at versions 1 to 8 (tsc_report_options_v8,
 * what report_default_options returns) */
TSC__SIZE(tsc_report_options_v8, 88);
TSC__AT(tsc_report_options_v8, struct_size, 0);
TSC__AT(tsc_report_options_v8, deidentify, 8);
TSC__AT(tsc_report_options_v8, force, 12);
TSC__AT(tsc_report_options_v8, timestamp, 16);
TSC__AT(tsc_report_options_v8, overlay, 24);

/* tsc_report_options: frozen at version 9 (report_default_options_v9);
 * its first 88 bytes are the version-8 layout */
TSC__SIZE(tsc_report_options, 112);
TSC__AT(tsc_report_options, struct_size, 0);
TSC__AT(tsc_report_options, deidentify, 8);
TSC__AT(tsc_report_options, force, 12);
TSC__AT(tsc_report_options, timestamp, 16);
TSC__AT(tsc_report_options, overlay, 24);
TSC__AT(tsc_report_options, measurements, 88);
TSC__AT(tsc_report_options, n_measurements, 96);
TSC__AT(tsc_report_options, observer, 104);

/* tsc_reader_measurement: host -> plugin by pointer, read up to its
 * struct_size (version 9); fields are only appended */
TSC__GROWN(tsc_reader_measurement, 104);
TSC__AT(tsc_reader_measurement, struct_size, 0);
TSC__AT(tsc_reader_measurement, kind, 8);
TSC__AT(tsc_reader_measurement, number, 12);
TSC__AT(tsc_reader_measurement, slice, 16);
TSC__AT(tsc_reader_measurement, points, 24);
TSC__AT(tsc_reader_measurement, n_points, 32);
TSC__AT(tsc_reader_measurement, length_mm, 40);
TSC__AT(tsc_reader_measurement, area_mm2, 48);
TSC__AT(tsc_reader_measurement, n_pixels, 56);
TSC__AT(tsc_reader_measurement, mean, 64);
TSC__AT(tsc_reader_measurement, sd, 72);
TSC__AT(tsc_reader_measurement, min, 80);
TSC__AT(tsc_reader_measurement, max, 88);
TSC__AT(tsc_reader_measurement, units, 96);

/* tsc_dicom_outputs: frozen */
TSC__SIZE(tsc_dicom_outputs, 12304);
TSC__AT(tsc_dicom_outputs, struct_size, 0);
TSC__AT(tsc_dicom_outputs, seg_path, 8);
TSC__AT(tsc_dicom_outputs, sr_path, 4104);
TSC__AT(tsc_dicom_outputs, sc_dir, 8200);
TSC__AT(tsc_dicom_outputs, n_sc, 12296);

/* tsc_pacs_node: frozen (version 5) */
TSC__SIZE(tsc_pacs_node, 72);
TSC__AT(tsc_pacs_node, struct_size, 0);
TSC__AT(tsc_pacs_node, host, 8);
TSC__AT(tsc_pacs_node, port, 16);
TSC__AT(tsc_pacs_node, called_ae, 24);
TSC__AT(tsc_pacs_node, calling_ae, 32);
TSC__AT(tsc_pacs_node, timeout_s, 40);
TSC__AT(tsc_pacs_node, tls, 44);
TSC__AT(tsc_pacs_node, tls_ca_file, 48);
TSC__AT(tsc_pacs_node, tls_cert_file, 56);
TSC__AT(tsc_pacs_node, tls_key_file, 64);

/* tsc_pacs_retrieve_params: frozen (version 7) */
TSC__SIZE(tsc_pacs_retrieve_params, 56);
TSC__AT(tsc_pacs_retrieve_params, struct_size, 0);
TSC__AT(tsc_pacs_retrieve_params, method, 8);
TSC__AT(tsc_pacs_retrieve_params, max_instances, 16);
TSC__AT(tsc_pacs_retrieve_params, listen_address, 24);
TSC__AT(tsc_pacs_retrieve_params, listen_port, 32);
TSC__AT(tsc_pacs_retrieve_params, allowed_aes, 40);
TSC__AT(tsc_pacs_retrieve_params, allowed_hosts, 48);

/* tsc_pacs_query: frozen (version 5) */
TSC__SIZE(tsc_pacs_query, 64);
TSC__AT(tsc_pacs_query, struct_size, 0);
TSC__AT(tsc_pacs_query, patient_name, 8);
TSC__AT(tsc_pacs_query, patient_id, 16);
TSC__AT(tsc_pacs_query, study_date, 24);
TSC__AT(tsc_pacs_query, modality, 32);
TSC__AT(tsc_pacs_query, accession, 40);
TSC__AT(tsc_pacs_query, offset, 48);
TSC__AT(tsc_pacs_query, limit, 56);

/* tsc_pacs_study: lent by pointer (version 5) */
TSC__GROWN(tsc_pacs_study, 648);
TSC__AT(tsc_pacs_study, struct_size, 0);
TSC__AT(tsc_pacs_study, study_uid, 8);
TSC__AT(tsc_pacs_study, patient_name, 73);
TSC__AT(tsc_pacs_study, patient_id, 398);
TSC__AT(tsc_pacs_study, study_date, 463);
TSC__AT(tsc_pacs_study, study_time, 472);
TSC__AT(tsc_pacs_study, accession, 489);
TSC__AT(tsc_pacs_study, modalities, 506);
TSC__AT(tsc_pacs_study, description, 571);
TSC__AT(tsc_pacs_study, n_series, 636);
TSC__AT(tsc_pacs_study, n_instances, 640);

/* tsc_stored_result_info: filled in (version 10), frozen */
TSC__SIZE(tsc_stored_result_info, 464);
TSC__AT(tsc_stored_result_info, struct_size, 0);
TSC__AT(tsc_stored_result_info, seg, 8);
TSC__AT(tsc_stored_result_info, report, 16);
TSC__AT(tsc_stored_result_info, ours, 24);
TSC__AT(tsc_stored_result_info, report_lesions, 32);
TSC__AT(tsc_stored_result_info, report_volume_ml, 40);
TSC__AT(tsc_stored_result_info, algorithm, 48);
TSC__AT(tsc_stored_result_info, date_time, 176);
TSC__AT(tsc_stored_result_info, note, 208);

/* tsc_dicom_report_info: lent by pointer (version 5) */
TSC__GROWN(tsc_dicom_report_info, 128);
TSC__AT(tsc_dicom_report_info, struct_size, 0);
TSC__AT(tsc_dicom_report_info, path, 8);
TSC__AT(tsc_dicom_report_info, sop_instance_uid, 16);
TSC__AT(tsc_dicom_report_info, series_uid, 24);
TSC__AT(tsc_dicom_report_info, study_uid, 32);
TSC__AT(tsc_dicom_report_info, referenced_series_uid, 40);
TSC__AT(tsc_dicom_report_info, title, 48);
TSC__AT(tsc_dicom_report_info, manufacturer, 56);
TSC__AT(tsc_dicom_report_info, software, 64);
TSC__AT(tsc_dicom_report_info, content_date, 72);
TSC__AT(tsc_dicom_report_info, content_time, 80);
TSC__AT(tsc_dicom_report_info, finding, 88);
TSC__AT(tsc_dicom_report_info, completion, 96);
TSC__AT(tsc_dicom_report_info, verification, 104);
TSC__AT(tsc_dicom_report_info, n_measurement_groups, 112);
TSC__AT(tsc_dicom_report_info, content_readable, 120);

/* tsc_dicom_compare_lesion, tsc_dicom_comparison: host -> plugin, read up
 * to their struct_size (version 5) */
TSC__SIZE(tsc_dicom_compare_lesion, 88);
TSC__AT(tsc_dicom_compare_lesion, struct_size, 0);
TSC__AT(tsc_dicom_compare_lesion, change, 8);
TSC__AT(tsc_dicom_compare_lesion, baseline, 16);
TSC__AT(tsc_dicom_compare_lesion, followup, 24);
TSC__AT(tsc_dicom_compare_lesion, baseline_volume_ml, 32);
TSC__AT(tsc_dicom_compare_lesion, followup_volume_ml, 40);
TSC__AT(tsc_dicom_compare_lesion, volume_change_percent, 48);
TSC__AT(tsc_dicom_compare_lesion, baseline_product_mm2, 56);
TSC__AT(tsc_dicom_compare_lesion, followup_product_mm2, 64);
TSC__AT(tsc_dicom_compare_lesion, product_change_percent, 72);
TSC__AT(tsc_dicom_compare_lesion, target, 80);
TSC__SIZE(tsc_dicom_comparison, 120);
TSC__AT(tsc_dicom_comparison, struct_size, 0);
TSC__AT(tsc_dicom_comparison, lesions, 8);
TSC__AT(tsc_dicom_comparison, n_lesions, 16);
TSC__AT(tsc_dicom_comparison, baseline_volume_ml, 24);
TSC__AT(tsc_dicom_comparison, followup_volume_ml, 32);
TSC__AT(tsc_dicom_comparison, volume_change_percent, 40);
TSC__AT(tsc_dicom_comparison, baseline_spd_mm2, 48);
TSC__AT(tsc_dicom_comparison, followup_spd_mm2, 56);
TSC__AT(tsc_dicom_comparison, spd_change_percent, 64);
TSC__AT(tsc_dicom_comparison, n_matched, 72);
TSC__AT(tsc_dicom_comparison, n_new, 80);
TSC__AT(tsc_dicom_comparison, n_gone, 88);
TSC__AT(tsc_dicom_comparison, n_targets, 96);
TSC__AT(tsc_dicom_comparison, rano, 104);
TSC__AT(tsc_dicom_comparison, rano_reason, 112);

/* tsc_dicom_write_params: frozen */
TSC__SIZE(tsc_dicom_write_params, 360);
TSC__AT(tsc_dicom_write_params, struct_size, 0);
TSC__AT(tsc_dicom_write_params, patient_name, 8);
TSC__AT(tsc_dicom_write_params, patient_id, 16);
TSC__AT(tsc_dicom_write_params, birth_date, 24);
TSC__AT(tsc_dicom_write_params, sex, 32);
TSC__AT(tsc_dicom_write_params, study_uid, 40);
TSC__AT(tsc_dicom_write_params, study_description, 48);
TSC__AT(tsc_dicom_write_params, study_id, 56);
TSC__AT(tsc_dicom_write_params, accession, 64);
TSC__AT(tsc_dicom_write_params, institution, 72);
TSC__AT(tsc_dicom_write_params, study_date, 80);
TSC__AT(tsc_dicom_write_params, study_time, 88);
TSC__AT(tsc_dicom_write_params, series_description, 96);
TSC__AT(tsc_dicom_write_params, series_number, 104);
TSC__AT(tsc_dicom_write_params, manufacturer, 112);
TSC__AT(tsc_dicom_write_params, model_name, 120);
TSC__AT(tsc_dicom_write_params, software_versions, 128);
TSC__AT(tsc_dicom_write_params, sequence_name, 136);
TSC__AT(tsc_dicom_write_params, contrast_agent, 144);
TSC__AT(tsc_dicom_write_params, body_part, 152);
TSC__AT(tsc_dicom_write_params, derivation, 160);
TSC__AT(tsc_dicom_write_params, image_type3, 168);
TSC__AT(tsc_dicom_write_params, frame_of_reference_uid, 176);
TSC__AT(tsc_dicom_write_params, uid_root, 184);
TSC__AT(tsc_dicom_write_params, uid_seed, 192);
TSC__AT(tsc_dicom_write_params, pixel_spacing, 200);
TSC__AT(tsc_dicom_write_params, slice_thickness, 216);
TSC__AT(tsc_dicom_write_params, slice_spacing, 224);
TSC__AT(tsc_dicom_write_params, orientation, 232);
TSC__AT(tsc_dicom_write_params, pixel_signed, 280);
TSC__AT(tsc_dicom_write_params, rescale_slope, 288);
TSC__AT(tsc_dicom_write_params, rescale_intercept, 296);
TSC__AT(tsc_dicom_write_params, write_rescale, 304);
TSC__AT(tsc_dicom_write_params, window_center, 312);
TSC__AT(tsc_dicom_write_params, window_width, 320);
TSC__AT(tsc_dicom_write_params, compression, 328);
TSC__AT(tsc_dicom_write_params, multiframe, 332);
TSC__AT(tsc_dicom_write_params, allow_non_empty, 336);
TSC__AT(tsc_dicom_write_params, cancel, 344);
TSC__AT(tsc_dicom_write_params, cancel_data, 352);

/* tsc_dicom_write_volume: frozen */
TSC__SIZE(tsc_dicom_write_volume, 32);
TSC__AT(tsc_dicom_write_volume, cols, 0);
TSC__AT(tsc_dicom_write_volume, rows, 4);
TSC__AT(tsc_dicom_write_volume, n_slices, 8);
TSC__AT(tsc_dicom_write_volume, values, 16);
TSC__AT(tsc_dicom_write_volume, positions, 24);

/* tsc_dicom_write_result: frozen at version 4 (struct_size added; version 2 and 3: tsc_dicom_write_result_v2) */
TSC__SIZE(tsc_dicom_write_result, 312);
TSC__AT(tsc_dicom_write_result, struct_size, 0);
TSC__AT(tsc_dicom_write_result, study_uid, 8);
TSC__AT(tsc_dicom_write_result, series_uid, 73);
TSC__AT(tsc_dicom_write_result, frame_of_reference_uid, 138);
TSC__AT(tsc_dicom_write_result, transfer_syntax_uid, 203);
TSC__AT(tsc_dicom_write_result, n_files, 272);
TSC__AT(tsc_dicom_write_result, n_clipped, 280);
TSC__AT(tsc_dicom_write_result, window_center, 288);
TSC__AT(tsc_dicom_write_result, window_width, 296);
TSC__AT(tsc_dicom_write_result, bits_stored, 304);

/* tsc_nn_params: frozen at version 4 (struct_size added; version 2 and 3: tsc_nn_params_v2) */
TSC__SIZE(tsc_nn_params, 48);
TSC__AT(tsc_nn_params, struct_size, 0);
TSC__AT(tsc_nn_params, n_threads, 8);
TSC__AT(tsc_nn_params, engine, 12);
TSC__AT(tsc_nn_params, batch, 16);
TSC__AT(tsc_nn_params, max_file_bytes, 24);
TSC__AT(tsc_nn_params, max_weight_bytes, 32);
TSC__AT(tsc_nn_params, max_activation_bytes, 40);

/* tsc_nn_int8_range: frozen at version 6 (lent in arrays and returned by value) */
TSC__SIZE(tsc_nn_int8_range, 16);
TSC__AT(tsc_nn_int8_range, tensor, 0);
TSC__AT(tsc_nn_int8_range, min, 8);
TSC__AT(tsc_nn_int8_range, max, 12);

/* tsc_nn_params_v2: frozen */
TSC__SIZE(tsc_nn_params_v2, 40);
TSC__AT(tsc_nn_params_v2, n_threads, 0);
TSC__AT(tsc_nn_params_v2, engine, 4);
TSC__AT(tsc_nn_params_v2, batch, 8);
TSC__AT(tsc_nn_params_v2, max_file_bytes, 16);
TSC__AT(tsc_nn_params_v2, max_weight_bytes, 24);
TSC__AT(tsc_nn_params_v2, max_activation_bytes, 32);

/* tsc_dicom_write_result_v2: frozen */
TSC__SIZE(tsc_dicom_write_result_v2, 304);
TSC__AT(tsc_dicom_write_result_v2, study_uid, 0);
TSC__AT(tsc_dicom_write_result_v2, series_uid, 65);
TSC__AT(tsc_dicom_write_result_v2, frame_of_reference_uid, 130);
TSC__AT(tsc_dicom_write_result_v2, transfer_syntax_uid, 195);
TSC__AT(tsc_dicom_write_result_v2, n_files, 264);
TSC__AT(tsc_dicom_write_result_v2, n_clipped, 272);
TSC__AT(tsc_dicom_write_result_v2, window_center, 280);
TSC__AT(tsc_dicom_write_result_v2, window_width, 288);
TSC__AT(tsc_dicom_write_result_v2, bits_stored, 296);

/* tsc_description: frozen */
TSC__SIZE(tsc_description, 1144);
TSC__AT(tsc_description, struct_size, 0);
TSC__AT(tsc_description, verdict, 8);
TSC__AT(tsc_description, headline, 12);
TSC__AT(tsc_description, finding, 60);
TSC__AT(tsc_description, label, 124);
TSC__AT(tsc_description, confidence, 256);
TSC__AT(tsc_description, confidence_text, 264);
TSC__AT(tsc_description, tumor_probability, 288);
TSC__AT(tsc_description, type, 296);
TSC__AT(tsc_description, type_uncertain, 304);
TSC__AT(tsc_description, color, 308);
TSC__AT(tsc_description, reason, 312);
TSC__AT(tsc_description, detail, 568);
TSC__AT(tsc_description, scope_warning, 824);

/* tsc_scope_input: frozen */
TSC__SIZE(tsc_scope_input, 240);
TSC__AT(tsc_scope_input, struct_size, 0);
TSC__AT(tsc_scope_input, modality, 8);
TSC__AT(tsc_scope_input, sop_class_uid, 16);
TSC__AT(tsc_scope_input, image_type, 24);
TSC__AT(tsc_scope_input, scanning_sequence, 32);
TSC__AT(tsc_scope_input, sequence_variant, 40);
TSC__AT(tsc_scope_input, sequence_name, 48);
TSC__AT(tsc_scope_input, series_description, 56);
TSC__AT(tsc_scope_input, contrast_agent, 64);
TSC__AT(tsc_scope_input, photometric, 72);
TSC__AT(tsc_scope_input, mr_acquisition_type, 80);
TSC__AT(tsc_scope_input, samples_per_pixel, 88);
TSC__AT(tsc_scope_input, max_b_value, 96);
TSC__AT(tsc_scope_input, n_mosaic, 104);
TSC__AT(tsc_scope_input, has_orientation, 108);
TSC__AT(tsc_scope_input, orientation, 112);
TSC__AT(tsc_scope_input, pixel_spacing, 160);
TSC__AT(tsc_scope_input, rows, 176);
TSC__AT(tsc_scope_input, cols, 180);
TSC__AT(tsc_scope_input, n_slices, 184);
TSC__AT(tsc_scope_input, slice_thickness, 192);
TSC__AT(tsc_scope_input, slice_spacing, 200);
TSC__AT(tsc_scope_input, uneven_spacing, 208);
TSC__AT(tsc_scope_input, echo_time, 216);
TSC__AT(tsc_scope_input, repetition_time, 224);
TSC__AT(tsc_scope_input, inversion_time, 232);

/* tsc_scope_decision: frozen */
TSC__SIZE(tsc_scope_decision, 328);
TSC__AT(tsc_scope_decision, struct_size, 0);
TSC__AT(tsc_scope_decision, in_scope, 8);
TSC__AT(tsc_scope_decision, code, 12);
TSC__AT(tsc_scope_decision, reason, 16);
TSC__AT(tsc_scope_decision, plane, 272);
TSC__AT(tsc_scope_decision, oblique_deg, 280);
TSC__AT(tsc_scope_decision, sequence_family, 288);
TSC__AT(tsc_scope_decision, reformat_possible, 320);

/* tsc_dicom_patient_info: returned by pointer; its fields only ever grow at the end */
TSC__GROWN(tsc_dicom_patient_info, 32);
TSC__AT(tsc_dicom_patient_info, name, 0);
TSC__AT(tsc_dicom_patient_info, id, 8);
TSC__AT(tsc_dicom_patient_info, birth_date, 16);
TSC__AT(tsc_dicom_patient_info, sex, 24);

/* tsc_dicom_study_info: returned by pointer; its fields only ever grow at the end */
TSC__GROWN(tsc_dicom_study_info, 64);
TSC__AT(tsc_dicom_study_info, patient, 0);
TSC__AT(tsc_dicom_study_info, study_uid, 8);
TSC__AT(tsc_dicom_study_info, date, 16);
TSC__AT(tsc_dicom_study_info, time, 24);
TSC__AT(tsc_dicom_study_info, description, 32);
TSC__AT(tsc_dicom_study_info, accession, 40);
TSC__AT(tsc_dicom_study_info, institution, 48);
TSC__AT(tsc_dicom_study_info, study_id, 56);

/* tsc_dicom_series_info: returned by pointer; its fields only ever grow at the end */
TSC__GROWN(tsc_dicom_series_info, 312);
TSC__AT(tsc_dicom_series_info, study, 0);
TSC__AT(tsc_dicom_series_info, series_uid, 8);
TSC__AT(tsc_dicom_series_info, description, 16);
TSC__AT(tsc_dicom_series_info, modality, 24);
TSC__AT(tsc_dicom_series_info, manufacturer, 32);
TSC__AT(tsc_dicom_series_info, model_name, 40);
TSC__AT(tsc_dicom_series_info, sequence_name, 48);
TSC__AT(tsc_dicom_series_info, contrast_agent, 56);
TSC__AT(tsc_dicom_series_info, contrast_label, 64);
TSC__AT(tsc_dicom_series_info, body_part, 72);
TSC__AT(tsc_dicom_series_info, frame_of_reference_uid, 80);
TSC__AT(tsc_dicom_series_info, transfer_syntaxes, 88);
TSC__AT(tsc_dicom_series_info, series_number, 96);
TSC__AT(tsc_dicom_series_info, n_slices, 104);
TSC__AT(tsc_dicom_series_info, rows, 112);
TSC__AT(tsc_dicom_series_info, cols, 116);
TSC__AT(tsc_dicom_series_info, pixel_spacing, 120);
TSC__AT(tsc_dicom_series_info, slice_thickness, 136);
TSC__AT(tsc_dicom_series_info, slice_spacing, 144);
TSC__AT(tsc_dicom_series_info, orientation, 152);
TSC__AT(tsc_dicom_series_info, flags, 200);
TSC__AT(tsc_dicom_series_info, sop_class_uid, 208);
TSC__AT(tsc_dicom_series_info, image_type, 216);
TSC__AT(tsc_dicom_series_info, scanning_sequence, 224);
TSC__AT(tsc_dicom_series_info, sequence_variant, 232);
TSC__AT(tsc_dicom_series_info, mr_acquisition_type, 240);
TSC__AT(tsc_dicom_series_info, photometric, 248);
TSC__AT(tsc_dicom_series_info, samples_per_pixel, 256);
TSC__AT(tsc_dicom_series_info, max_b_value, 264);
TSC__AT(tsc_dicom_series_info, n_mosaic, 272);
TSC__AT(tsc_dicom_series_info, echo_time, 280);
TSC__AT(tsc_dicom_series_info, repetition_time, 288);
TSC__AT(tsc_dicom_series_info, inversion_time, 296);
TSC__AT(tsc_dicom_series_info, variant, 304);

/* tsc_dicom_slice_info: returned by pointer; its fields only ever grow at the end */
TSC__GROWN(tsc_dicom_slice_info, 168);
TSC__AT(tsc_dicom_slice_info, path, 0);
TSC__AT(tsc_dicom_slice_info, sop_instance_uid, 8);
TSC__AT(tsc_dicom_slice_info, transfer_syntax_uid, 16);
TSC__AT(tsc_dicom_slice_info, frame, 24);
TSC__AT(tsc_dicom_slice_info, n_frames, 28);
TSC__AT(tsc_dicom_slice_info, instance_number, 32);
TSC__AT(tsc_dicom_slice_info, rows, 36);
TSC__AT(tsc_dicom_slice_info, cols, 40);
TSC__AT(tsc_dicom_slice_info, pixel_spacing, 48);
TSC__AT(tsc_dicom_slice_info, position, 64);
TSC__AT(tsc_dicom_slice_info, orientation, 88);
TSC__AT(tsc_dicom_slice_info, has_geometry, 136);
TSC__AT(tsc_dicom_slice_info, location, 144);
TSC__AT(tsc_dicom_slice_info, window_center, 152);
TSC__AT(tsc_dicom_slice_info, window_width, 160);

/* tsc_dicom_skipped: returned by pointer; its fields only ever grow at the end */
TSC__GROWN(tsc_dicom_skipped, 24);
TSC__AT(tsc_dicom_skipped, path, 0);
TSC__AT(tsc_dicom_skipped, reason, 8);
TSC__AT(tsc_dicom_skipped, status, 16);

/* tsc_dicom_image: returned by pointer; its fields only ever grow at the end */
TSC__GROWN(tsc_dicom_image, 64);
TSC__AT(tsc_dicom_image, rows, 0);
TSC__AT(tsc_dicom_image, cols, 4);
TSC__AT(tsc_dicom_image, pixels, 8);
TSC__AT(tsc_dicom_image, pixel_spacing, 16);
TSC__AT(tsc_dicom_image, window_center, 32);
TSC__AT(tsc_dicom_image, window_width, 40);
TSC__AT(tsc_dicom_image, min_value, 48);
TSC__AT(tsc_dicom_image, max_value, 52);
TSC__AT(tsc_dicom_image, flags, 56);

/* tsc_dicom_seg_info: returned by pointer; its fields only ever grow at the end */
TSC__GROWN(tsc_dicom_seg_info, 168);
TSC__AT(tsc_dicom_seg_info, path, 0);
TSC__AT(tsc_dicom_seg_info, sop_instance_uid, 8);
TSC__AT(tsc_dicom_seg_info, series_uid, 16);
TSC__AT(tsc_dicom_seg_info, study_uid, 24);
TSC__AT(tsc_dicom_seg_info, referenced_series_uid, 32);
TSC__AT(tsc_dicom_seg_info, frame_of_reference_uid, 40);
TSC__AT(tsc_dicom_seg_info, description, 48);
TSC__AT(tsc_dicom_seg_info, segmentation_type, 56);
TSC__AT(tsc_dicom_seg_info, rows, 64);
TSC__AT(tsc_dicom_seg_info, cols, 68);
TSC__AT(tsc_dicom_seg_info, n_frames, 72);
TSC__AT(tsc_dicom_seg_info, n_segments, 80);
TSC__AT(tsc_dicom_seg_info, max_fractional_value, 88);
TSC__AT(tsc_dicom_seg_info, pixel_spacing, 96);
TSC__AT(tsc_dicom_seg_info, orientation, 112);
TSC__AT(tsc_dicom_seg_info, has_orientation, 160);

/* tsc_dicom_segment_info: returned by pointer; its fields only ever grow at the end */
TSC__GROWN(tsc_dicom_segment_info, 24);
TSC__AT(tsc_dicom_segment_info, number, 0);
TSC__AT(tsc_dicom_segment_info, label, 8);
TSC__AT(tsc_dicom_segment_info, algorithm_type, 16);

/* tsc_dicom_seg_frame_info: returned by pointer; its fields only ever grow at the end */
TSC__GROWN(tsc_dicom_seg_frame_info, 48);
TSC__AT(tsc_dicom_seg_frame_info, segment_number, 0);
TSC__AT(tsc_dicom_seg_frame_info, referenced_sop_instance_uid, 8);
TSC__AT(tsc_dicom_seg_frame_info, referenced_frame, 16);
TSC__AT(tsc_dicom_seg_frame_info, has_position, 20);
TSC__AT(tsc_dicom_seg_frame_info, position, 24);

/* tsc_lesion_info: returned by pointer; its fields only ever grow at the end */
TSC__GROWN(tsc_lesion_info, 152);
TSC__AT(tsc_lesion_info, area_mm2, 0);
TSC__AT(tsc_lesion_info, diameter_mm, 8);
TSC__AT(tsc_lesion_info, perpendicular_mm, 16);
TSC__AT(tsc_lesion_info, product_mm2, 24);
TSC__AT(tsc_lesion_info, diameter_ends, 32);
TSC__AT(tsc_lesion_info, perpendicular_ends, 64);
TSC__AT(tsc_lesion_info, centroid, 96);
TSC__AT(tsc_lesion_info, bbox, 112);
TSC__AT(tsc_lesion_info, mean_intensity, 128);
TSC__AT(tsc_lesion_info, outline, 136);
TSC__AT(tsc_lesion_info, n_outline, 144);

/* tsc_lesion3d_info: returned by pointer; its fields only ever grow at the end */
TSC__GROWN(tsc_lesion3d_info, 160);
TSC__AT(tsc_lesion3d_info, volume_ml, 0);
TSC__AT(tsc_lesion3d_info, first_slice, 8);
TSC__AT(tsc_lesion3d_info, last_slice, 16);
TSC__AT(tsc_lesion3d_info, key_slice, 24);
TSC__AT(tsc_lesion3d_info, max_product_mm2, 32);
TSC__AT(tsc_lesion3d_info, label, 40);
TSC__AT(tsc_lesion3d_info, type_probability, 48);
TSC__AT(tsc_lesion3d_info, measurable, 56);
TSC__AT(tsc_lesion3d_info, diameter_mm, 64);
TSC__AT(tsc_lesion3d_info, perpendicular_mm, 72);
TSC__AT(tsc_lesion3d_info, has_patient_coordinates, 80);
TSC__AT(tsc_lesion3d_info, centre_mm, 88);
TSC__AT(tsc_lesion3d_info, extent_min_mm, 112);
TSC__AT(tsc_lesion3d_info, extent_max_mm, 136);

/* tsc_timings: returned by pointer; its fields only ever grow at the end */
TSC__GROWN(tsc_timings, 32);
TSC__AT(tsc_timings, preprocess_ms, 0);
TSC__AT(tsc_timings, inference_ms, 8);
TSC__AT(tsc_timings, postprocess_ms, 16);
TSC__AT(tsc_timings, total_ms, 24);

/* tsc_edit: returned by value by edit_default (version 11), frozen */
TSC__SIZE(tsc_edit, 72);
TSC__AT(tsc_edit, struct_size, 0);
TSC__AT(tsc_edit, kind, 8);
TSC__AT(tsc_edit, lesion, 16);
TSC__AT(tsc_edit, reason, 24);
TSC__AT(tsc_edit, slice, 32);
TSC__AT(tsc_edit, points, 40);
TSC__AT(tsc_edit, n_points, 48);
TSC__AT(tsc_edit, radius_mm, 56);
TSC__AT(tsc_edit, label, 64);

/* tsc_edit_file_info: passed in by the host (version 11), frozen */
TSC__SIZE(tsc_edit_file_info, 64);
TSC__AT(tsc_edit_file_info, struct_size, 0);
TSC__AT(tsc_edit_file_info, study_uid, 8);
TSC__AT(tsc_edit_file_info, series_uid, 16);
TSC__AT(tsc_edit_file_info, method, 24);
TSC__AT(tsc_edit_file_info, model, 32);
TSC__AT(tsc_edit_file_info, model_sha256, 40);
TSC__AT(tsc_edit_file_info, editor, 48);
TSC__AT(tsc_edit_file_info, saved_at, 56);

/* tsc_rejected_lesion: returned by pointer (version 11); grows at the end */
TSC__GROWN(tsc_rejected_lesion, 32);
TSC__AT(tsc_rejected_lesion, struct_size, 0);
TSC__AT(tsc_rejected_lesion, lesion, 8);
TSC__AT(tsc_rejected_lesion, info, 16);
TSC__AT(tsc_rejected_lesion, reason, 24);

/* tsc_dicom_tag: lent by pointer (version 8) */
TSC__GROWN(tsc_dicom_tag, 48);
TSC__AT(tsc_dicom_tag, struct_size, 0);
TSC__AT(tsc_dicom_tag, group, 8);
TSC__AT(tsc_dicom_tag, element, 10);
TSC__AT(tsc_dicom_tag, vr, 12);
TSC__AT(tsc_dicom_tag, depth, 16);
TSC__AT(tsc_dicom_tag, keyword, 24);
TSC__AT(tsc_dicom_tag, value, 32);
TSC__AT(tsc_dicom_tag, hidden, 40);

#endif
