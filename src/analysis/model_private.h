/* SPDX-License-Identifier: BSD-3-Clause */
/* The model object and its engine pool (src/analysis internals). */
#ifndef TSC_MODEL_PRIVATE_H
#define TSC_MODEL_PRIVATE_H

#include <limits.h>
#include <pthread.h>

#include "analysis_private.h"

#define TSC__MAX_ENGINES 16

typedef struct tsc__class {
    char name[64];
    char display[64];
    uint32_t color;
} tsc__class;

/* The manifest's "scope" block: what the model was made for. */
#define TSC__SCOPE_MAX 8
typedef struct tsc__scope {
    int declared;                            /* the manifest has a scope block */
    size_t n_modalities;
    char modalities[TSC__SCOPE_MAX][16];     /* "MR" */
    size_t n_planes;
    tsc_plane planes[TSC__SCOPE_MAX];
    size_t n_sequences;
    char sequences[TSC__SCOPE_MAX][32];      /* "T1", "T1 post-contrast", "T2", "FLAIR" */
    double max_oblique_deg;                  /* default 25 */
    double pixel_spacing_mm[2];              /* accepted range of the larger spacing */
    int min_matrix;                          /* smallest rows/cols accepted */
} tsc__scope;

/* One activation range of the manifest's "int8" block (tsc_nn_int8_range). */
#define TSC__INT8_MAX_RANGES 256
typedef struct tsc__int8_range {
    char tensor[128];
    float min, max;
} tsc__int8_range;

typedef struct tsc__manifest {
    char name[128];
    char version[64];
    char onnx[256];
    char sha256[65];
    int input_size;
    char seg_output[64];
    char cls_output[64];
    char ood_output[64];           /* "" when the network gives no OOD score */
    size_t n_classes;
    tsc__class classes[TSC__MAX_CLASSES];
    size_t no_tumor;
    double temperature;
    double mask_probability;
    double tumor_probability;
    double min_tumor_area_px;  /* at the network's S×S grid */
    double min_confidence;
    double min_head_area_mm2;      /* not-assessable rule (default 4000 mm²) */
    double max_head_cut_fraction;  /* not-assessable rule (default 0.35) */
    double vertex_area_fraction;   /* series part of the rule (default 0.55; 0 = off) */
    double ood_threshold;          /* NaN: the model has no OOD score */
    tsc__scope scope;
    int batch;         /* images per network run (symbolic batch axis only) */
    /* "precision": the modes that passed the accuracy gate, preferred
     * first (a string is a list of one); fp32 is always the last resort. */
    char precision[3][8]; /* "fp32" (default), "bf16" or "int8" */
    int n_precision;
    size_t n_int8;     /* ranges of the optional "int8" block; 0: none, no int8 */
    tsc__int8_range int8[TSC__INT8_MAX_RANGES];
} tsc__manifest;

/* One inference engine instance with its buffers; used by one thread at a time. */
typedef struct tsc__engine tsc__engine;

struct tsc_model {
    tsc__manifest manifest;
    char onnx_path[PATH_MAX];
    /* The ONNX file's bytes as read once at load: the SHA-256 is of these,
     * and every engine of the pool is built from them, never from the file
     * again (it may have changed since). */
    void *onnx_bytes;
    size_t onnx_size;
    char sha256[65];
    int cores; /* a click's: tsc_model_params.threads, or the CPUs this process may run on */
    int bf16; /* run the network in bf16: manifest or $TSC_PRECISION */
    int int8; /* run it in int8 (the manifest has ranges) */
    /* $TSC_INT8_CALIBRATE: engines run fp32 and record activation ranges,
     * written there as an "int8" block when the model is freed. */
    char calibrate_out[PATH_MAX];
    /* What engines replaced in the pool had recorded (calibration mode). */
    tsc__int8_range *calib;
    size_t calib_n, calib_runs;
    pthread_mutex_t lock;
    pthread_cond_t released; /* signalled when a slot stops being busy */
    int lock_init;
    /* What the engines run ("fp32", "bf16", "int8"; static strings): read
     * from the first engine at load, as the pool's engines may be replaced. */
    const char *precision;
    /* The pool: slot i holds engines[i], busy while a thread uses it or
     * while its engine is being created or replaced.  A slot with a NULL
     * engine that is not busy is empty (its creation failed) and is filled
     * again before the pool grows. */
    size_t n_engines;
    tsc__engine *engines[TSC__MAX_ENGINES];
    int busy[TSC__MAX_ENGINES];
};

tsc_status tsc__manifest_parse(const char *text, size_t len, const char *name, tsc__manifest *m,
                               tsc_error *err);
/* An engine whose network runs `batch` images at a time where its batch
 * axis is symbolic (else 1), on `threads` OpenMP threads. */
tsc_status tsc__engine_new(tsc_model *m, int batch, int threads, tsc__engine **out,
                           tsc_error *err);
struct cJSON;
/* model_int8.c: the manifest's "int8" block (NULL: none) into m. */
tsc_status tsc__manifest_parse_int8(const struct cJSON *block, const char *name, tsc__manifest *m,
                                    tsc_error *err);
/* Widens acc[0..*n) (at most TSC__INT8_MAX_RANGES) by engine e's calibration
 * ranges; returns the runs e calibrated with. */
size_t tsc__engine_merge_ranges(const tsc__engine *e, tsc__int8_range *acc, size_t *n);
/* Writes the ranges the pool's engines recorded to m->calibrate_out. */
void tsc__model_write_calibration(tsc_model *m);
/* Calibration mode: keeps what engine e recorded, before the pool frees it
 * to make room (m->lock held). */
void tsc__model_keep_calibration(tsc_model *m, const tsc__engine *e);
void tsc__engine_free(tsc__engine *e);
/* What "all cores" means: the CPUs this process may run on (its affinity
 * mask, as OpenMP counts them), else the online CPUs. */
int tsc__usable_cpus(void);
/* Engines a click of `images` network images (2 with flip TTA) runs on at
 * once, 2 when there are two images and two cores, else 1; *threads gets
 * each one's OpenMP threads, the model's cores shared out.  Single-thread
 * engines side by side beat one engine on all cores: every oneDNN primitive
 * of a multi-thread run ends at a barrier where passive OpenMP threads sleep
 * and must be woken (docs/ENGINE.md, "Threads").  A series' workers run
 * single-thread engines. */
int tsc__model_click_engines(const tsc_model *m, size_t images, int *threads);
/* An idle engine of the pool made for `batch` and `threads`.  When there is
 * none it is created: in an empty slot, else in a new one, else in place of
 * an idle engine of another kind (the pool holds TSC__MAX_ENGINES).  When
 * all of them are busy it waits for one to be released: more threads than
 * the pool holds (a series on a many-core host, eval workers) take turns
 * instead of failing.  A thread holding an engine must not wait for a
 * second one: it uses tsc__engine_try_acquire_for.  tsc__engine_acquire
 * asks for batch 1 on all the model's cores. */
tsc_status tsc__engine_acquire_for(tsc_model *m, int batch, int threads, tsc__engine **out,
                                   tsc_error *err);
/* The same without waiting: TSC_ELIMIT at once when every engine is busy. */
tsc_status tsc__engine_try_acquire_for(tsc_model *m, int batch, int threads, tsc__engine **out,
                                       tsc_error *err);
tsc_status tsc__engine_acquire(tsc_model *m, tsc__engine **out, tsc_error *err);
void tsc__engine_release(tsc_model *m, tsc__engine *e);

/* Tests only: `fn` is called before each engine is created, and a status
 * other than TSC_OK makes that creation fail with it (and its message).
 * NULL, the default, turns it off.  Not thread-safe: set it while no
 * analysis runs. */
typedef tsc_status (*tsc__engine_new_hook_fn)(tsc_model *m, void *user, tsc_error *err);
void tsc__set_engine_new_hook(tsc__engine_new_hook_fn fn, void *user);

#endif
