/* SPDX-License-Identifier: BSD-3-Clause */
/* tsc_pacs: the workstation's side of a PACS, over DICOM networking (DCMTK
 * dcmnet behind this C header).
 *
 *   tsc_pacs_echo            C-ECHO: is the node there and does it accept us
 *   tsc_pacs_find_studies    C-FIND, Study Root, STUDY level: the study list
 *   tsc_pacs_retrieve_study  C-GET of a whole study into a cache folder
 *   tsc_pacs_retrieve        the same by C-GET or by C-MOVE to our own
 *                            Store SCP, listening only while it runs
 *   tsc_pacs_store_files     C-STORE of files (our SEG/SR/SC/PDF) to the node
 *
 * Every call opens its own association and closes it before returning, so
 * calls are independent and may run on any thread (never the GTK main one:
 * each blocks for up to the node's timeout).  A failure says in words what
 * went wrong on the network ("nothing listens on host:port", "the node
 * rejected the association: ...", "no reply within 30 s") and what to check.
 * Nothing here logs patient identifiers; received objects are written only
 * into the folder the caller names, each atomically. */
#ifndef TSC_PACS_H
#define TSC_PACS_H

#include <stddef.h>

#include "tsc_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A PACS node as configured in Preferences.  Strings are borrowed for the
 * call.  Only struct_size bytes are read (a zeroed field takes its
 * default). */
typedef struct tsc_pacs_node {
    size_t struct_size;     /* sizeof(tsc_pacs_node) */
    const char *host;       /* name or address */
    int port;               /* 1..65535 */
    const char *called_ae;  /* the node's AE title (1-16 characters) */
    const char *calling_ae; /* ours; NULL or "": "TUMORSCOPE" */
    int timeout_s;          /* connect, association and each reply; <= 0: 30 */
    /* DIMSE over TLS (the BCP 195 profile of DICOM PS3.15); the node's
     * certificate is always verified. */
    int tls;                   /* 1: TLS */
    const char *tls_ca_file;   /* PEM certificate(s) to trust for the node;
                                  NULL or "": the system's (/etc/ssl/certs) */
    const char *tls_cert_file; /* ours (PEM), for nodes that authenticate
                                  clients; NULL or "": none */
    const char *tls_key_file;  /* its unencrypted private key (PEM) */
} tsc_pacs_node;

/* What to search for (NULL: everything); NULL or "" leaves a key open.  A key without a DICOM
 * wildcard (`*`, `?`) matches as a prefix ("smi" finds "SMITH^ANN"), as a
 * search-as-you-type field expects; PatientName is matched as the node
 * matches it (most match case-insensitively). */
typedef struct tsc_pacs_query {
    size_t struct_size; /* sizeof(tsc_pacs_query) */
    const char *patient_name;
    const char *patient_id;
    const char *study_date; /* "YYYYMMDD", "YYYYMMDD-YYYYMMDD", "-YYYYMMDD", "YYYYMMDD-" */
    const char *modality;   /* in ModalitiesInStudy, e.g. "MR" */
    const char *accession;
    size_t offset; /* paging: skip this many matches */
    size_t limit;  /* at most this many (0: 100); the search is cancelled beyond */
} tsc_pacs_query;

/* One study of the list (values as the node sent them, cut to fit). */
typedef struct tsc_pacs_study {
    size_t struct_size; /* sizeof(tsc_pacs_study) of the plugin */
    char study_uid[65];
    char patient_name[325]; /* DICOM PN ("FAMILY^GIVEN") */
    char patient_id[65];
    char study_date[9]; /* YYYYMMDD or "" */
    char study_time[17];
    char accession[17];
    char modalities[65]; /* "MR\\SR" */
    char description[65];
    int n_series;    /* -1: the node did not say */
    int n_instances; /* -1: the node did not say */
} tsc_pacs_study;

typedef struct tsc_pacs_study_list tsc_pacs_study_list;

size_t tsc_pacs_study_list_count(const tsc_pacs_study_list *list);
/* Borrowed; valid until the list is freed. */
const tsc_pacs_study *tsc_pacs_study_list_get(const tsc_pacs_study_list *list, size_t i);
/* 1 when the node had more matches than offset + limit. */
int tsc_pacs_study_list_has_more(const tsc_pacs_study_list *list);
void tsc_pacs_study_list_free(tsc_pacs_study_list *list);

/* Progress of a transfer: `done` objects of `total` (0 when the node has
 * not said).  Return nonzero to cancel: the call then ends with
 * TSC_ECANCELLED after what was already complete. */
typedef int (*tsc_pacs_progress_fn)(void *user, size_t done, size_t total);

/* C-ECHO. */
tsc_status tsc_pacs_echo(const tsc_pacs_node *node, tsc_error *err);

/* C-FIND at STUDY level; *out is the caller's (tsc_pacs_study_list_free),
 * possibly empty.  On failure *out is NULL. */
tsc_status tsc_pacs_find_studies(const tsc_pacs_node *node, const tsc_pacs_query *query,
                                 tsc_pacs_study_list **out, tsc_error *err);

/* C-GET of every instance of the study into `dest_dir` (created; it must
 * not be a folder of the user's, the viewer passes a folder of its cache):
 * one `<SOPInstanceUID>.dcm` per object, written atomically; an object of
 * another study, or one without a valid SOP Instance UID, is refused (the
 * node is told, and the call fails naming how many).  More than
 * `max_instances` objects (0: 20000) cancel the retrieve with TSC_ELIMIT.
 * *n_received (may be NULL) counts the files written, also on failure. */
tsc_status tsc_pacs_retrieve_study(const tsc_pacs_node *node, const char *study_uid,
                                   const char *dest_dir, size_t max_instances,
                                   tsc_pacs_progress_fn progress, void *user, size_t *n_received,
                                   tsc_error *err);

/* How tsc_pacs_retrieve fetches a study. */
typedef enum tsc_pacs_retrieve_method {
    /* C-GET: the objects come back on our own association; no port of ours
     * is opened. */
    TSC_PACS_RETRIEVE_GET = 0,
    /* C-MOVE to our own Store SCP, which listens on `listen_address` only
     * while the retrieve runs, takes associations only from the allowed AE
     * titles and hosts and only storage SOP classes, and writes only into
     * the cache folder.  The node must know our AE title (calling_ae) as a
     * move destination at that address and port.  For a node with `tls`, our
 * Store SCP speaks TLS as well: it presents our certificate and key
 * (tls_cert_file and tls_key_file, then required) and requires the node's
 * certificate, trusted through tls_ca_file. */
    TSC_PACS_RETRIEVE_MOVE = 1
} tsc_pacs_retrieve_method;

/* Host -> plugin; only struct_size bytes are read (a zeroed field takes its
 * default). */
typedef struct tsc_pacs_retrieve_params {
    size_t struct_size;   /* sizeof(tsc_pacs_retrieve_params) */
    int method;           /* tsc_pacs_retrieve_method; 0: C-GET */
    size_t max_instances; /* more objects end the retrieve with TSC_ELIMIT; 0: 20000 */
    /* C-MOVE only: */
    const char *listen_address; /* the interface our Store SCP listens on (an address
                                   of this machine); NULL or "": 127.0.0.1 */
    int listen_port;            /* 1..65535; 0: a free port chosen by the system */
    const char *allowed_aes;    /* calling AE titles that may store to us, separated
                                   by '\\'; NULL or "": the node's AE title */
    const char *allowed_hosts;  /* names or addresses that may connect, separated by
                                   '\\'; NULL or "": the node's host */
} tsc_pacs_retrieve_params;

/* tsc_pacs_retrieve_study with a choice of method: C-GET, or C-MOVE to our
 * own Store SCP (see tsc_pacs_retrieve_method).  The same checks of every
 * object, atomic writes, instance limit, progress and cancel either way;
 * with C-MOVE the progress callback comes from the Store SCP's thread.
 * `params` may be NULL (C-GET, the defaults).  Our Store SCP has stopped
 * listening when the call returns, also on failure and cancel. */
tsc_status tsc_pacs_retrieve(const tsc_pacs_node *node, const char *study_uid, const char *dest_dir,
                             const tsc_pacs_retrieve_params *params, tsc_pacs_progress_fn progress,
                             void *user, size_t *n_received, tsc_error *err);

/* C-STORE of `n` DICOM files, one association for all; a file the node
 * refuses does not stop the others (the call then fails naming how many and
 * the first status).  *n_stored (may be NULL) counts the objects the node
 * accepted (warnings included). */
tsc_status tsc_pacs_store_files(const tsc_pacs_node *node, const char *const *paths, size_t n,
                                tsc_pacs_progress_fn progress, void *user, size_t *n_stored,
                                tsc_error *err);

#ifdef __cplusplus
}
#endif
#endif
