/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals of indexing a study, shared by the files that do it (C++ over
 * DCMTK): read_index.cc (the C entry points and one file's header),
 * read_attrs.cc (attributes into a Slice), read_walk.cc (finding the
 * files) and read_series.cc (splitting and finishing series). */
#ifndef TSC_DICOM_READ_INDEX_PRIVATE_H
#define TSC_DICOM_READ_INDEX_PRIVATE_H

#include <dcmtk/config/osconfig.h>

#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <sys/types.h>

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "read_private.h"

namespace tsc_dicom_internal {

/* ---- attributes (read_attrs.cc) ---------------------------------------- */

/* The value of `tag` in `item` ("" when absent); multiple values joined
 * with '\\'. */
std::string get_string(DcmItem *item, const DcmTagKey &tag);
/* `n` (1 to 6) numbers of a decimal-string attribute; false, and `out`
 * untouched, unless all are there and finite. */
bool get_doubles(DcmItem *item, const DcmTagKey &tag, double *out, int n);
bool get_double(DcmItem *item, const DcmTagKey &tag, double *out);
long get_long(DcmItem *item, const DcmTagKey &tag, long fallback);
/* [0] between rows, [1] between columns, both > 0; false otherwise. */
bool get_pixel_spacing(DcmItem *item, const DcmTagKey &tag, double *out);
/* The first item of sequence `seq`, or NULL. */
DcmItem *first_item(DcmItem *item, const DcmTagKey &seq);
/* Element (group, offset) of the private block reserved by `creator`. */
DcmElement *private_element(DcmItem *item, Uint16 group, Uint16 offset, const char *creator);
/* Value `pos` of a numeric element; an OB/UN one is read from its bytes as
 * `raw`: 's' text, 'h' uint16, 'f' float32, 'd' float64. */
bool element_number(DcmElement *e, char raw, unsigned long pos, double *out);
double diffusion_b_value(DcmItem *ds);
bool diffusion_direction(DcmItem *ds, double *dir);
std::string lower(std::string s);
bool contains(const std::string &hay, const char *needle);
/* Is `value` one of the '\\'-separated values of `joined`? */
bool has_value(const std::string &joined, const char *value);
std::string contrast_label(DcmItem *ds, const Slice &s, const std::string &description,
                           const std::string &sequence, const std::string &agent);

/* Enhanced multi-frame: geometry and acquisition of frame `frame` (its
 * per-frame functional groups over the shared ones). */
void frame_geometry(DcmItem *shared, DcmItem *frame, Slice &s);
void frame_acquisition(DcmItem *shared, DcmItem *frame, Slice &s);
/* The slices of a Siemens MOSAIC of `n` tiles (none when it does not fit). */
std::vector<Slice> mosaic_tiles(DcmItem *ds, const Slice &base, int n);
void normalise_orientation(Slice &s);
/* Unit normal (row x column) of an ImageOrientationPatient. */
void slice_normal(const double *o, double *n);
/* How many tiles a Siemens MOSAIC says it has; 1 for a MOSAIC that does
 * not say, 0 for no mosaic. */
int mosaic_count(DcmItem *ds, const std::string &image_type);

/* The image attributes of one object into `base`, checked against what can
 * be decoded and against `max_pixel_bytes`, and the stored pixel data
 * against the file's length.  TSC_OK, or a status with *reason. */
tsc_status read_image_header(DcmItem *ds, const DcmXfer &xfer, const std::string &path,
                             uint64_t max_pixel_bytes, Slice *base, std::string *reason);
/* Geometry, window, rescale and what tells images at one position apart. */
void read_acquisition(DcmItem *ds, Slice *base);

/* ---- finding files (read_walk.cc) --------------------------------------- */

/* "DICM" at 128 or a plausible first tag, else TSC_EFORMAT (or TSC_EIO,
 * TSC_EUNSUPPORTED for gzip) with *reason. */
tsc_status sniff(const std::string &path, std::string *reason);
/* Sequences nested deeper than DCMTK can read without exhausting the stack. */
bool nested_too_deep(const std::string &path);
extern const char DEEP_REASON[];
/* A DICOMDIR under another name (its meta header says so). */
bool is_dicomdir_file(const std::string &path);

/* The files to index, from folders, files and DICOMDIRs; what cannot be
 * read goes to index->skipped. */
struct Walker {
    const tsc_dicom_open_params *params;
    tsc_dicom_index *index;
    std::vector<std::string> files;
    std::set<std::pair<dev_t, ino_t>> seen_dirs;
    std::set<std::string> seen_files; /* canonical paths, so no file is read twice */
    bool cancelled = false;

    void skip(const std::string &path, tsc_status st, const std::string &reason);
    void add_file(const std::string &path);
    static bool is_dicomdir_name(const char *name);
    static bool is_temporary_name(const std::string &name);
    void walk(const std::string &dir, int depth);
    void read_dicomdir(const std::string &path);
};

/* ---- one file's header (read_index.cc) ---------------------------------- */

/* Reads one file's header into slices of `series`. */
struct Indexer {
    tsc_dicom_index *index;
    const tsc_dicom_open_params *params;
    std::map<std::string, Patient> patients;
    std::map<std::string, Study> studies;
    std::map<std::string, Series> series; /* key: series UID + geometry key */
    std::map<std::string, std::string> sop_paths; /* SOPInstanceUID → first file */
    std::map<std::string, double> max_b;          /* SeriesInstanceUID → largest b-value */

    tsc_status read_file(const std::string &path, std::string *reason);

private:
    tsc_status keep_longer_copy(const std::string &sop_uid, const std::string &path,
                                std::string *reason);
    std::string add_patient_study(DcmItem *ds);
    Series &series_of(DcmItem *ds, const Slice &s, const std::string &series_uid,
                      const std::string &study_uid, const std::string &sop_class, int n_mosaic);
    void add_slices(DcmItem *ds, const Slice &base, const std::string &sop_class);
};

/* ---- series (read_series.cc) -------------------------------------------- */

/* Splits mixed acquisitions: by echo, b-value, image component, ASL
 * context (variants), then by volumes repeated at the same positions
 * (*kind says what tells them apart). */
struct Variant {
    std::string label;
    std::vector<Slice> slices;
};
std::vector<Variant> split_variants(const std::vector<Slice> &slices);
std::vector<std::vector<Slice>> split_repeats(std::vector<Slice> &slices, std::string *kind);
/* Orders the slices along the normal and fills the series' info. */
void finish_series(Series &se);

} // namespace tsc_dicom_internal

#endif
