/* SPDX-License-Identifier: BSD-3-Clause */
/* The viewer's PACS client against Debian's Orthanc, the archive a site is
 * most likely to run beside us.  Part of viewer_gui_test.c (included there,
 * after the helpers it uses: viewer_start, viewer_action, viewer_state,
 * wait_pacs_state, pacs_node_test_says, sample_folder, free_port).
 *
 * Each case starts /usr/sbin/Orthanc on free loopback ports with a
 * temporary configuration, index and storage (AE title ORTHANC, the called
 * AE title checked, no plugin, the viewer's AE TSCVIEWER registered as a
 * modality at the port of its Store SCP), fills it through the REST API
 * with sample_dicom/ studies, and stops it by its PID at the end, also when
 * a check fails.  The node is configured as a user does: its fields in the
 * PACS nodes window, Save (`pacs-save-node`), Test Connection.  Orthanc
 * runs with --verbose so that its log says whether a retrieve came as C-GET
 * or C-MOVE.  The TLS cases give Orthanc DICOM TLS with keys and
 * certificates that openssl makes in the case's folder.  No plugin model or
 * study is opened in this process; no CLI is run.  Skips (77) when Orthanc,
 * openssl (TLS cases) or sample_dicom/ is not there. */
#include <cjson/cJSON.h>
#include <sys/prctl.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(cJSON, cJSON_Delete)

typedef struct {
    GSubprocess *proc;
    int http_port, dicom_port, move_port;
    char *dir, *log;
    /* NULL: plain DICOM.  Else DICOM TLS, with <name>.key and <name>.crt
     * in this folder (make_certificates): Orthanc is `identity`, the
     * viewer "ours"; each requires the other's certificate. */
    char *tls;
    const char *identity;
    int launches;
} Orthanc;

/* One request to Orthanc's REST API (HTTP/1.0 on loopback): the answer's
 * body (NUL-terminated) when the status is 200, else NULL; *status (may be
 * NULL) gets the HTTP status, 0 when Orthanc could not be reached. */
static char *orthanc_rest(const Orthanc *o, const char *method, const char *path, const void *body,
                          gsize size, int *status)
{
    if (status) *status = 0;
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_socket_client_set_timeout(client, 60);
    g_autoptr(GSocketConnection) conn =
        g_socket_client_connect_to_host(client, "127.0.0.1", (guint16)o->http_port, NULL, NULL);
    if (!conn) return NULL;
    GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
    g_autofree char *head = g_strdup_printf(
        "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: %" G_GSIZE_FORMAT "\r\n\r\n", method,
        path, size);
    if (!g_output_stream_write_all(out, head, strlen(head), NULL, NULL, NULL) ||
        (size && !g_output_stream_write_all(out, body, size, NULL, NULL, NULL)))
        return NULL;
    g_autoptr(GOutputStream) mem = g_memory_output_stream_new_resizable();
    if (g_output_stream_splice(mem, g_io_stream_get_input_stream(G_IO_STREAM(conn)),
                               G_OUTPUT_STREAM_SPLICE_NONE, NULL, NULL) < 0 ||
        !g_output_stream_write_all(mem, "", 1, NULL, NULL, NULL) ||
        !g_output_stream_close(mem, NULL, NULL))
        return NULL;
    g_autofree char *reply = g_memory_output_stream_steal_data(G_MEMORY_OUTPUT_STREAM(mem));
    int code = 0;
    const char *sep = strstr(reply, "\r\n\r\n");
    if (sscanf(reply, "HTTP/%*s %d", &code) != 1 || !sep) return NULL;
    if (status) *status = code;
    return code == 200 ? g_strdup(sep + 4) : NULL;
}

/* GET `path` as JSON (NULL unless 200 and JSON). */
static cJSON *orthanc_get(const Orthanc *o, const char *path)
{
    g_autofree char *body = orthanc_rest(o, "GET", path, NULL, 0, NULL);
    return body ? cJSON_Parse(body) : NULL;
}

static const char *json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static void orthanc_child_setup(gpointer data)
{
    (void)data;
    prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive a test that dies */
}

/* Writes Orthanc's configuration (TLS settings when o->tls, Orthanc being
 * o->identity), starts it with its log in the artefacts, and waits until
 * GET /system answers. */
static int orthanc_launch(Orthanc *o)
{
    g_autofree char *bin = g_file_test("/usr/sbin/Orthanc", G_FILE_TEST_IS_EXECUTABLE)
                               ? g_strdup("/usr/sbin/Orthanc")
                               : g_find_program_in_path("Orthanc");
    if (!bin) {
        printf("SKIP: the Orthanc binary is not installed (Debian package orthanc)\n");
        return SKIP;
    }
    g_autofree char *tls =
        o->tls ? g_strdup_printf("\"DicomTlsEnabled\": true, \"DicomTlsCertificate\": "
                                 "\"%s/%s.crt\", \"DicomTlsPrivateKey\": \"%s/%s.key\", "
                                 "\"DicomTlsTrustedCertificates\": \"%s/ours.crt\", "
                                 "\"DicomTlsRemoteCertificateRequired\": true, ",
                                 o->tls, o->identity, o->tls, o->identity, o->tls)
               : g_strdup("");
    g_autofree char *cfg = g_build_filename(o->dir, "orthanc.json", NULL);
    g_autofree char *text = g_strdup_printf(
        "{ \"Name\": \"tsc-viewer-test\", \"StorageDirectory\": \"%s\", \"IndexDirectory\": "
        "\"%s\", \"HttpPort\": %d, \"DicomPort\": %d, \"DicomAet\": \"ORTHANC\", "
        "\"DicomCheckCalledAet\": true, \"RemoteAccessAllowed\": false, "
        "\"AuthenticationEnabled\": false, \"SaveJobs\": false, \"Plugins\": [], %s"
        "\"DicomModalities\": { \"viewer\": { \"AET\": \"TSCVIEWER\", \"Host\": "
        "\"127.0.0.1\", \"Port\": %d, \"UseDicomTls\": %s } } }\n",
        o->dir, o->dir, o->http_port, o->dicom_port, tls, o->move_port > 0 ? o->move_port : 1,
        o->tls ? "true" : "false");
    CHECK(g_file_set_contents(cfg, text, -1, NULL), "cannot write %s", cfg);
    /* A restart logs to a file of its own (the launcher truncates). */
    g_free(o->log);
    o->log = g_strdup_printf("%s/%s-orthanc%s.log", artefacts, case_name,
                             o->launches++ ? "-restarted" : "");
    g_remove(o->log);
    g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDERR_MERGE);
    g_subprocess_launcher_set_stdout_file_path(l, o->log);
    g_subprocess_launcher_set_child_setup(l, orthanc_child_setup, NULL, NULL);
    const char *argv[] = {bin, "--verbose", cfg, NULL};
    g_autoptr(GError) error = NULL;
    o->proc = g_subprocess_launcher_spawnv(l, argv, &error);
    CHECK(o->proc, "Orthanc did not start: %s", error->message);
    for (int i = 0; i < 300; i++) {
        cJSON *sys = orthanc_get(o, "/system");
        if (sys) {
            cJSON_Delete(sys);
            return 0;
        }
        if (g_subprocess_get_identifier(o->proc) == NULL)
            return failf("Orthanc exited at start (see %s)", o->log);
        g_usleep(100 * 1000);
    }
    return failf("Orthanc did not answer GET /system within 30 s (see %s)", o->log);
}

/* Orthanc on free loopback ports with an empty temporary index and storage;
 * TSCVIEWER is a modality at 127.0.0.1:`move_port` (the target of C-MOVE).
 * With `tls` (a folder of certificates), DICOM TLS both ways, Orthanc being
 * "orthanc".  Up when GET /system answers.  SKIP when Orthanc is not
 * installed. */
static int orthanc_start(Orthanc *o, int move_port, const char *tls)
{
    memset(o, 0, sizeof *o);
    o->dir = g_build_filename(workdir, "orthanc", NULL);
    g_mkdir_with_parents(o->dir, 0700);
    o->http_port = free_port();
    o->dicom_port = free_port();
    o->move_port = move_port;
    o->tls = g_strdup(tls);
    o->identity = "orthanc";
    CHECK(o->http_port > 0 && o->dicom_port > 0 && o->http_port != o->dicom_port, "no free ports");
    return orthanc_launch(o);
}

/* SIGTERM to the Orthanc we started, up to 30 s for it to stop, then
 * SIGKILL. */
static void orthanc_halt(Orthanc *o)
{
    if (o->proc && g_subprocess_get_identifier(o->proc)) {
        g_subprocess_send_signal(o->proc, SIGTERM);
        gint64 end = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
        /* GLib reaps the child on its worker thread; the identifier is
         * NULL from then on. */
        while (g_subprocess_get_identifier(o->proc) && g_get_monotonic_time() < end)
            g_usleep(100 * 1000);
        if (g_subprocess_get_identifier(o->proc)) {
            printf("  Orthanc did not stop within 30 s of SIGTERM: killed\n");
            g_subprocess_force_exit(o->proc);
            g_subprocess_wait(o->proc, NULL, NULL);
        }
    }
    g_clear_object(&o->proc);
}

/* Orthanc stopped and started again on the same ports, index and storage,
 * as `identity` (its key and certificate in the TLS folder). */
static int orthanc_restart(Orthanc *o, const char *identity)
{
    orthanc_halt(o);
    o->identity = identity;
    return orthanc_launch(o);
}

static void orthanc_stop(Orthanc *o)
{
    orthanc_halt(o);
    g_clear_pointer(&o->dir, g_free);
    g_clear_pointer(&o->log, g_free);
    g_clear_pointer(&o->tls, g_free);
}

/* The end of an Orthanc case, passed or not: the viewer (may be NULL) and
 * Orthanc stopped. */
static int orthanc_case_end(Viewer *v, Orthanc *o, int r)
{
    viewer_stop(v);
    orthanc_stop(o);
    return r;
}

/* Stores every DICOM file under sample_dicom/`sub` with POST /instances;
 * *study_id (may be NULL) gets Orthanc's id of their study.  SKIP when the
 * folder is missing. */
static int orthanc_upload(Orthanc *o, const char *sub, char **study_id)
{
    g_autofree char *dir = sample_folder(sub);
    if (!dir) return SKIP;
    g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
    dicom_files_under(dir, files);
    CHECK(files->len > 0, "no DICOM file under %s", dir);
    for (guint i = 0; i < files->len; i++) {
        const char *path = g_ptr_array_index(files, i);
        g_autofree char *data = NULL;
        gsize size = 0;
        CHECK(g_file_get_contents(path, &data, &size, NULL), "cannot read %s", path);
        int status = 0;
        g_autofree char *body = orthanc_rest(o, "POST", "/instances", data, size, &status);
        g_autoptr(cJSON) j = body ? cJSON_Parse(body) : NULL;
        CHECK(j && !strcmp(json_str(j, "Status"), "Success"),
              "Orthanc did not store %s (HTTP %d: %s)", path, status, body ? body : "");
        if (study_id && i == 0) *study_id = g_strdup(json_str(j, "ParentStudy"));
    }
    printf("  %u objects of sample_dicom/%s stored in Orthanc\n", files->len, sub);
    return 0;
}
/* What Orthanc holds of one study: its StudyInstanceUID, and per series
 * (in `series`, "description|modality|instances|frames" each) its counts
 * (frames from /series/{id}/ordered-slices, so that a multi-frame object
 * counts as the slices it holds). */
static int orthanc_study(Orthanc *o, const char *study_id, char **study_uid, GPtrArray *series)
{
    g_autofree char *path = g_strdup_printf("/studies/%s", study_id);
    g_autoptr(cJSON) study = orthanc_get(o, path);
    CHECK(study, "GET %s failed", path);
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(study, "MainDicomTags");
    if (study_uid) *study_uid = g_strdup(json_str(tags, "StudyInstanceUID"));
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(study, "Series"), *id;
    cJSON_ArrayForEach(id, ids)
    {
        g_autofree char *sp = g_strdup_printf("/series/%s", id->valuestring);
        g_autofree char *op = g_strdup_printf("/series/%s/ordered-slices", id->valuestring);
        g_autoptr(cJSON) s = orthanc_get(o, sp);
        g_autoptr(cJSON) slices = orthanc_get(o, op);
        CHECK(s, "GET %s failed", sp);
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(s, "MainDicomTags");
        int frames =
            slices ? cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(slices, "Slices")) : -1;
        g_ptr_array_add(
            series,
            g_strdup_printf(
                "%s|%s|%d|%d", json_str(st, "SeriesDescription"), json_str(st, "Modality"),
                cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(s, "Instances")), frames));
    }
    return 0;
}

/* The number of lines of Orthanc's log holding `words`. */
static int orthanc_log_count(const Orthanc *o, const char *words)
{
    g_autofree char *text = NULL;
    if (!g_file_get_contents(o->log, &text, NULL, NULL)) return 0;
    int n = 0;
    for (const char *at = text; (at = strstr(at, words)); at += strlen(words)) n++;
    return n;
}

/* The node "Orthanc" typed into the PACS nodes window and saved, then its
 * Test Connection: retrieving with C-GET, or with C-MOVE to our Store SCP
 * on `move_port` (> 0).  With Orthanc on TLS, the node is too: it trusts
 * Orthanc's first certificate ("orthanc") and presents ours. */
static int save_orthanc_node(Viewer *v, const Orthanc *o, int move_port)
{
    g_autofree char *port = g_strdup_printf("%d", o->dicom_port);
    g_autofree char *mport = g_strdup_printf("%d", move_port > 0 ? move_port : 11112);
    g_autofree char *ca = o->tls ? g_build_filename(o->tls, "orthanc.crt", NULL) : g_strdup("");
    g_autofree char *crt = o->tls ? g_build_filename(o->tls, "ours.crt", NULL) : g_strdup("");
    g_autofree char *key = o->tls ? g_build_filename(o->tls, "ours.key", NULL) : g_strdup("");
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE("a{ss}"));
    const char *fields[][2] = {
        {"name", "Orthanc"},
        {"ae", "ORTHANC"},
        {"host", "127.0.0.1"},
        {"port", port},
        {"our-ae", "TSCVIEWER"},
        {"timeout", "20"},
        {"tls", o->tls ? "true" : "false"},
        {"ca-file", ca},
        {"cert-file", crt},
        {"key-file", key},
        {"retrieve", move_port > 0 ? "move" : "get"},
        {"move-port", mport},
        {"move-address", "127.0.0.1"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(fields); i++)
        g_variant_builder_add(&b, "{ss}", fields[i][0], fields[i][1]);
    CHECK(viewer_action(v, "pacs-save-node", g_variant_builder_end(&b)), "pacs-save-node failed");
    g_autoptr(GKeyFile) kf = viewer_state(v, "node-saved");
    CHECK(kf, "no state");
    g_autofree char *said = kf_str(kf, "pacs", "nodes-result");
    printf("  nodes window: %s\n", said);
    CHECK(strstr(said, "Orthanc saved."), "the node was not saved: \"%s\"", said);
    return pacs_node_test_says(v, "Orthanc",
                               o->tls ? "over TLS answers: the connection works"
                                      : "answers: the connection works");
}

/* A study as Orthanc holds it and as the PACS dialog lists it after a
 * search. */
typedef struct {
    char *uid;         /* StudyInstanceUID */
    GPtrArray *series; /* Orthanc's series, as orthanc_study gives them */
    GKeyFile *state;   /* the viewer's state after the search */
    char *row;         /* the row that lists the study:
                          date|modalities|description|series|instances|UID */
    int index, rows;   /* that row's index (-1: not listed), of `rows` */
} Listed;

static void listed_clear(Listed *l)
{
    g_free(l->uid);
    if (l->series) g_ptr_array_unref(l->series);
    if (l->state) g_key_file_unref(l->state);
    g_free(l->row);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Listed, listed_clear)

/* Reads Orthanc's study `study_id`, types `name` as the patient name to
 * search for, and finds the study in the list once the search has ended. */
static int search_study(Viewer *v, Orthanc *o, const char *study_id, const char *name, Listed *l)
{
    memset(l, 0, sizeof *l);
    l->series = g_ptr_array_new_with_free_func(g_free);
    l->index = -1;
    int r = orthanc_study(o, study_id, &l->uid, l->series);
    if (r) return r;
    viewer_action(v, "pacs-search", search_fields(name, ""));
    l->state = wait_pacs_state(v, *name ? name : "all", "searching", FALSE, 60);
    CHECK(l->state, "no state");
    l->rows = g_key_file_get_integer(l->state, "pacs", "rows", NULL);
    for (int i = 0; i < l->rows && l->index < 0; i++) {
        g_autofree char *key = g_strdup_printf("row-%d", i);
        g_autofree char *text = kf_str(l->state, "pacs", key);
        const char *bar = strrchr(text, '|');
        if (bar && strcmp(bar + 1, l->uid) == 0) {
            l->row = g_steal_pointer(&text);
            l->index = i;
        }
    }
    g_autofree char *err = kf_str(l->state, "pacs", "error");
    printf("  \"%s\": %d rows%s%s\n", name, l->rows, *err ? ", error: " : "", err);
    return 0;
}

/* The Orthanc node saved (save_orthanc_node) and Orthanc's study
 * `study_id` searched for by `name` on it (search_study). */
static int search_on_saved_node(Viewer *v, Orthanc *o, int move_port, const char *study_id,
                                const char *name, Listed *l)
{
    int r = save_orthanc_node(v, o, move_port);
    return r ? r : search_study(v, o, study_id, name, l);
}

/* Retrieves the listed study and checks that it opened with Orthanc's
 * series: as many, each with as many slices as Orthanc has frames (matched
 * by description), every object in the cache. */
static int retrieve_opens_orthanc_study(Viewer *v, const Listed *l, const char *cache)
{
    CHECK(l->index >= 0, "the study is not listed");
    viewer_action(v, "pacs-retrieve", g_variant_new_int32(l->index));
    g_autoptr(GKeyFile) done = wait_pacs_state(v, "retrieved", "dialog", FALSE, 180);
    CHECK(done, "no state");
    g_autofree char *err = kf_str(done, "pacs", "error");
    CHECK(g_key_file_get_boolean(done, "viewer", "study-loaded", NULL),
          "the retrieved study is not open (%s)", err);
    int n = g_key_file_get_integer(done, "study", "series-count", NULL);
    printf("  opened: %d series (Orthanc: %u)\n", n, l->series->len);
    CHECK(n == (int)l->series->len, "the viewer shows %d series, Orthanc holds %u", n,
          l->series->len);
    int instances = 0;
    for (guint i = 0; i < l->series->len; i++) {
        g_auto(GStrv) f = g_strsplit(g_ptr_array_index(l->series, i), "|", 4);
        instances += atoi(f[2]);
        gboolean found = FALSE;
        for (int s = 0; s < n && !found; s++) {
            g_autofree char *key = g_strdup_printf("series-%d", s);
            g_autofree char *shown = kf_str(done, "study", key);
            g_autofree char *want = g_strdup_printf("%s slices; %s", f[3], f[0]);
            found = strcmp(shown, want) == 0;
        }
        printf("  Orthanc's series \"%s\": %s objects, %s frames%s\n", f[0], f[2], f[3],
               found ? ", shown alike" : "");
        CHECK(found, "no series of the viewer reads \"%s slices; %s\"", f[3], f[0]);
    }
    g_autofree char *folder = g_build_filename(cache, l->uid, NULL);
    int n_cache = count_files(folder);
    printf("  %d files in the cache (Orthanc: %d objects)\n", n_cache, instances);
    CHECK(n_cache == instances, "%d files in %s for %d objects", n_cache, folder, instances);
    return 0;
}

/* Whether Orthanc's log shows `gets` C-GETs and `moves` C-MOVEs (from
 * TSCVIEWER). */
static int orthanc_served(const Orthanc *o, int gets, int moves)
{
    int g = orthanc_log_count(o, "C-GET: Sending resource");
    int m = orthanc_log_count(o, "Incoming Move request from AET TSCVIEWER");
    printf("  Orthanc's log: %d C-GET, %d C-MOVE\n", g, m);
    CHECK(g == gets && m == moves, "Orthanc did not serve %d C-GET and %d C-MOVE", gets, moves);
    return 0;
}

/* Our Store SCP (the C-MOVE target) does not listen on `port` once a
 * retrieve has ended. */
static int store_scp_gone(int port)
{
    g_autoptr(GSocketClient) c = g_socket_client_new();
    g_autoptr(GSocketConnection) conn =
        g_socket_client_connect_to_host(c, "127.0.0.1", (guint16)port, NULL, NULL);
    CHECK(!conn, "our Store SCP still listens on %d", port);
    return 0;
}

/* The viewer with its PACS cache in the test's folder, no node yet. */
static Viewer *viewer_start_for_orthanc(char **cache)
{
    *cache = g_build_filename(workdir, "cache", NULL);
    g_autofree char *cache_env = g_strdup_printf("TSC_VIEWER_PACS_CACHE=%s", *cache);
    const char *env[] = {cache_env, "TSC_VIEWER_PACS_NODE", NULL};
    return viewer_start(NULL, env);
}

/* What a case does with Orthanc and the viewer, given Orthanc's id of the
 * case's study and our Store SCP's port (the C-MOVE target). */
typedef int (*OrthancSteps)(Viewer *v, Orthanc *o, const char *cache, const char *study_id,
                            int move_port);

/* A private key and a self-signed certificate (2 days), <name>.key and
 * <name>.crt in `dir`, for each name of `names` (NULL-terminated).  The
 * keys are RSA 2048, as in the plugin's own TLS tests: with ECDSA P-256
 * keys (faster to make) the viewer ends with ~19 KB in 250 allocations that
 * LeakSanitizer reports, every frame inside libcrypto under DCMTK's TLS
 * layer (docs/PACS.md, limits).  SKIP without openssl. */
static int make_certificates(const char *dir, const char *const *names)
{
    g_autofree char *openssl = g_find_program_in_path("openssl");
    if (!openssl) {
        printf("SKIP: openssl is not installed (Debian package openssl)\n");
        return SKIP;
    }
    g_mkdir_with_parents(dir, 0700);
    for (; *names; names++) {
        g_autofree char *subject = g_strdup_printf("/CN=%s", *names);
        g_autofree char *key = g_strdup_printf("%s/%s.key", dir, *names);
        g_autofree char *crt = g_strdup_printf("%s/%s.crt", dir, *names);
        const char *argv[] = {
            openssl,  "req",   "-x509", "-newkey", "rsa:2048",
            "-nodes", "-subj", subject, "-days",   "2",  "-keyout",  key,
            "-out",   crt,     NULL};
        g_autoptr(GError) error = NULL;
        g_autofree char *said = NULL;
        int status = 0;
        gboolean ok = g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                                   NULL, NULL, &said, &status, &error);
        CHECK(ok && g_spawn_check_wait_status(status, NULL), "openssl made no certificate %s: %s",
              crt, ok ? said : error->message);
    }
    return 0;
}

/* Orthanc up (with `tls`: DICOM TLS, certificates for "orthanc" and
 * "ours" made first), the sample folders `studies`
 * (NULL-terminated) stored in it, the last one being the case's study; the
 * viewer; the steps; everything stopped, whatever the steps said. */
static int orthanc_case(const char *const *studies, gboolean tls, OrthancSteps steps)
{
    int move_port = free_port();
    CHECK(move_port > 0, "no free port");
    g_autofree char *certs = tls ? g_build_filename(workdir, "tls", NULL) : NULL;
    static const char *const names[] = {"orthanc", "ours", NULL};
    int r = certs ? make_certificates(certs, names) : 0;
    if (r) return r;
    Orthanc o;
    r = orthanc_start(&o, move_port, certs);
    g_autofree char *study = NULL;
    for (const char *const *sub = studies; !r && *sub; sub++) {
        g_clear_pointer(&study, g_free);
        r = orthanc_upload(&o, *sub, &study);
    }
    if (r) return orthanc_case_end(NULL, &o, r);
    g_autofree char *cache = NULL;
    Viewer *v = viewer_start_for_orthanc(&cache);
    if (!v) return orthanc_case_end(NULL, &o, failf("viewer start"));
    return orthanc_case_end(v, &o, steps(v, &o, cache, study, move_port));
}

/* The three sample studies in Orthanc; the node saved for C-GET; every
 * study listed; "phan" typed in lower case (Orthanc matches names without
 * case) lists the lesion study alone, with Orthanc's series and object
 * counts; Retrieve opens it with Orthanc's series and slices, fetched by
 * C-GET (Orthanc's log: a C-GET, no C-MOVE). */
static int orthanc_c_get_steps(Viewer *v, Orthanc *o, const char *cache, const char *lesion_id,
                               int move_port)
{
    (void)move_port;
    g_auto(Listed) all = {0};
    int r = search_on_saved_node(v, o, 0, lesion_id, "", &all);
    if (r) return r;
    g_autoptr(cJSON) studies = orthanc_get(o, "/studies");
    CHECK(all.rows == 3 && cJSON_GetArraySize(studies) == 3,
          "the list has %d rows for Orthanc's 3 studies", all.rows);
    g_auto(Listed) l = {0};
    if ((r = search_study(v, o, lesion_id, "phan", &l))) return r;
    CHECK(l.rows == 1 && l.index == 0, "\"phan\" does not list the lesion study alone");
    g_auto(GStrv) f = g_strsplit(l.series->pdata[0], "|", 4);
    g_autofree char *counts = g_strdup_printf("|1|%s|", f[2]);
    printf("  listed: %s\n", l.row);
    CHECK(g_str_has_prefix(l.row, "20240") && strstr(l.row, "MR") && strstr(l.row, counts),
          "the row does not show the study's date, modality and Orthanc's counts (%s)", counts);
    Shot *s = viewer_shot(v, "pacs-orthanc-list");
    shot_free(s);
    if ((r = retrieve_opens_orthanc_study(v, &l, cache))) return r;
    return orthanc_served(o, 1, 0);
}

static int test_orthanc_c_get(void)
{
    static const char *const studies[] = {"01-normal-colin27", "02-codecs-colin27",
                                          "03-synthetic-lesion", NULL};
    return orthanc_case(studies, FALSE, orthanc_c_get_steps);
}

/* The node saved for C-MOVE to our Store SCP (the nodes window with its
 * C-MOVE rows is the docs' screenshot, viewer-pacs-nodes.png); "colin"
 * lists both Colin27 studies; Retrieve of the codecs study (three series:
 * RLE, JPEG lossless, one Enhanced MR object of 26 frames) opens it with
 * Orthanc's series and slices, moved by C-MOVE (Orthanc's log: one move
 * request from TSCVIEWER, no C-GET, its associations to us over TLS exactly
 * when the node is on TLS); our Store SCP no longer listens. */
static int orthanc_c_move_steps(Viewer *v, Orthanc *o, const char *cache, const char *codecs_id,
                                int move_port)
{
    int r = save_orthanc_node(v, o, move_port);
    if (r) return r;
    Shot *nodes = viewer_shot(v, "pacs-nodes-move");
    if (nodes) printf("  nodes window: %dx%d\n", nodes->w, nodes->h);
    CHECK(nodes && nodes->h <= 688, "the PACS nodes window is more than a 720-line screen shows");
    shot_free(nodes);
    g_auto(Listed) l = {0};
    if ((r = search_study(v, o, codecs_id, "colin", &l))) return r;
    CHECK(l.rows == 2, "\"colin\" does not list the two Colin27 studies");
    if ((r = retrieve_opens_orthanc_study(v, &l, cache)) || (r = orthanc_served(o, 0, 1))) return r;
    /* Orthanc's associations to our Store SCP: over TLS when the node is. */
    int tls = orthanc_log_count(o, "connection using DICOM TLS from AET \"ORTHANC\" to AET \"TSC");
    int plain =
        orthanc_log_count(o, "connection without DICOM TLS from AET \"ORTHANC\" to AET \"TSC");
    printf("  Orthanc's associations to our Store SCP: %d over TLS, %d plain\n", tls, plain);
    CHECK(o->tls ? tls > 0 && plain == 0 : tls == 0 && plain > 0, "Orthanc did not store to us %s",
          o->tls ? "over TLS alone" : "without TLS");
    return store_scp_gone(move_port);
}

static int test_orthanc_c_move(void)
{
    static const char *const studies[] = {"01-normal-colin27", "02-codecs-colin27", NULL};
    return orthanc_case(studies, FALSE, orthanc_c_move_steps);
}

/* The lesion study retrieved from Orthanc (C-GET) and its series analysed;
 * Send Results stores SEG, SR, Secondary Captures and the PDF with C-STORE:
 * in Orthanc (REST) they are new series of the same study and patient, as
 * many new objects as the viewer says it stored, the source series
 * unchanged, and nothing is left in our outgoing folder. */
static int orthanc_send_steps(Viewer *v, Orthanc *o, const char *cache, const char *lesion_id,
                              int move_port)
{
    (void)move_port;
    g_auto(Listed) l = {0};
    int r = search_on_saved_node(v, o, 0, lesion_id, "Phan", &l);
    if (r || (r = retrieve_opens_orthanc_study(v, &l, cache))) return r;
    viewer_action(v, "analyze-series", NULL);
    g_autoptr(GKeyFile) analysed = viewer_state(v, "analysed");
    CHECK(analysed && g_key_file_get_boolean(analysed, "series", "analysed", NULL),
          "the series was not analysed");
    viewer_action(v, "pacs-send", g_variant_new_string("Orthanc"));
    /* Sending is under way once the action returns; the state says when it
     * has ended. */
    g_autoptr(GKeyFile) sent = wait_pacs_state(v, "sent", "sending", FALSE, 120);
    CHECK(sent, "no state");
    g_autofree char *outcome = kf_str(sent, "pacs", "send-outcome");
    printf("  send: %s\n", outcome);
    CHECK(strstr(outcome, "objects stored"), "the results were not sent: %s", outcome);
    Shot *s = viewer_shot(v, "pacs-orthanc-sent");
    shot_free(s);
    /* What Orthanc holds now: one patient, one study, with the results. */
    g_autoptr(cJSON) patients = orthanc_get(o, "/patients");
    g_autoptr(cJSON) studies = orthanc_get(o, "/studies");
    CHECK(cJSON_GetArraySize(patients) == 1 && cJSON_GetArraySize(studies) == 1,
          "the results made a new patient or study in Orthanc (%d patients, %d studies)",
          cJSON_GetArraySize(patients), cJSON_GetArraySize(studies));
    g_autoptr(GPtrArray) after = g_ptr_array_new_with_free_func(g_free);
    if ((r = orthanc_study(o, lesion_id, NULL, after))) return r;
    GString *mods = g_string_new(NULL);
    int added = 0, kept = 0;
    for (guint k = 0; k < after->len; k++) {
        g_auto(GStrv) f = g_strsplit(g_ptr_array_index(after, k), "|", 4);
        g_string_append_printf(mods, " %s", f[1]);
        if (!strcmp(g_ptr_array_index(after, k), g_ptr_array_index(l.series, 0))) kept++;
        else added += atoi(f[2]);
    }
    g_autofree char *listed = g_string_free(mods, FALSE);
    printf("  Orthanc's series of the study:%s (%d new objects)\n", listed, added);
    CHECK(kept == 1 && added == atoi(outcome) && strstr(listed, " SEG") && strstr(listed, " SR"),
          "Orthanc does not hold the source series unchanged and the %d objects sent, SEG and "
          "SR among them",
          atoi(outcome));
    g_autofree char *outgoing = g_build_filename(cache, "outgoing", NULL);
    CHECK(count_files(outgoing) == 0, "outputs were left in %s", outgoing);
    return 0;
}

static int test_orthanc_send(void)
{
    static const char *const studies[] = {"03-synthetic-lesion", NULL};
    return orthanc_case(studies, FALSE, orthanc_send_steps);
}

/* The C-MOVE case over DICOM TLS: Orthanc requires our certificate and
 * presents its own, which the node trusts; it moves the study to our Store
 * SCP over TLS (the viewer's modality UseDicomTls), which requires
 * Orthanc's.  The same checks as without TLS: Test Connection says it went
 * over TLS, the study opens with Orthanc's series and slices, one move
 * request and no C-GET in Orthanc's log, our Store SCP gone after. */
static int test_orthanc_c_move_over_tls(void)
{
    static const char *const studies[] = {"01-normal-colin27", "02-codecs-colin27", NULL};
    return orthanc_case(studies, TRUE, orthanc_c_move_steps);
}

/* The node saved for C-MOVE over TLS and the lesion study listed; then
 * Orthanc comes back with another certificate (renewed, or another server
 * at that address) that the node's CA file does not hold.  Retrieve says in
 * the dialog that the TLS handshake failed because Orthanc's certificate is
 * not trusted; nothing is opened, nothing is written into the cache, no
 * move request reached Orthanc, and our Store SCP does not listen. */
static int orthanc_untrusted_steps(Viewer *v, Orthanc *o, const char *cache, const char *lesion_id,
                                   int move_port)
{
    g_auto(Listed) l = {0};
    int r = search_on_saved_node(v, o, move_port, lesion_id, "phan", &l);
    if (r) return r;
    CHECK(l.rows == 1 && l.index == 0, "\"phan\" does not list the lesion study alone");
    static const char *const renewed[] = {"renewed", NULL};
    if ((r = make_certificates(o->tls, renewed)) || (r = orthanc_restart(o, "renewed"))) return r;
    viewer_action(v, "pacs-retrieve", g_variant_new_int32(l.index));
    g_autoptr(GKeyFile) kf = wait_pacs_state(v, "untrusted", "retrieving", FALSE, 120);
    CHECK(kf, "no state");
    g_autofree char *err = kf_str(kf, "pacs", "error");
    printf("  dialog: %s\n", err);
    CHECK(strstr(err, "could not be retrieved") && strstr(err, "TLS handshake") &&
              strstr(err, "not trusted"),
          "the dialog does not say that Orthanc's certificate is not trusted: \"%s\"", err);
    Shot *s = viewer_shot(v, "pacs-orthanc-untrusted");
    shot_free(s);
    CHECK(g_key_file_get_boolean(kf, "pacs", "dialog", NULL) &&
              !g_key_file_get_boolean(kf, "viewer", "study-loaded", NULL),
          "a study was opened");
    int n_cache = count_files(cache);
    printf("  %d files in the cache\n", n_cache);
    CHECK(n_cache == 0, "%d files were written into %s", n_cache, cache);
    if ((r = orthanc_served(o, 0, 0))) return r;
    return store_scp_gone(move_port);
}

static int test_orthanc_untrusted_tls(void)
{
    static const char *const studies[] = {"03-synthetic-lesion", NULL};
    return orthanc_case(studies, TRUE, orthanc_untrusted_steps);
}

/* Whether write-state's `key` in `group` holds `words`. */
static gboolean side_says(GKeyFile *kf, const char *group, const char *key, const char *words)
{
    g_autofree char *v = kf_str(kf, group, key);
    return strstr(v, words) != NULL;
}

/* "From PACS…" for one side of the comparison (compare-choose-pacs): the
 * PACS dialog opens over the comparison window for that side, and
 * pacs-search lists the studies named `name` in it (the steps' state). */
static GKeyFile *compare_side_from_pacs(Viewer *v, const char *role, const char *name)
{
    viewer_action(v, "compare-choose-pacs", g_variant_new_string(role));
    viewer_action(v, "pacs-search", search_fields(name, ""));
    return wait_pacs_state(v, name, "searching", FALSE, 60);
}

/* Retrieves row `row` of the PACS dialog and returns the state once the
 * dialog has closed and the viewer is idle again (the comparison, if any,
 * done). */
static GKeyFile *retrieve_side(Viewer *v, int row, const char *tag)
{
    viewer_action(v, "pacs-retrieve", g_variant_new_int32(row));
    return wait_pacs_state(v, tag, "dialog", FALSE, 180);
}

/* A comparison side from the PACS (issue 15).  The baseline, the normal
 * Colin27 study (2024-01-01), comes from its folder (compare-open-side);
 * the follow-up from Orthanc: "From PACS…" (compare-choose-pacs) opens the
 * PACS dialog over the comparison window, for the follow-up, and the main
 * window's pacs-search / pacs-retrieve drive that dialog.  The codecs study
 * of the same patient (SYNTH-COLIN27, 2024-01-02), retrieved by C-GET, is
 * the follow-up: both sides open with their dates, analysed, same PatientID,
 * compared; the study is in the recent lists (the main window's and the
 * comparison's menus) and the main window opened nothing.  Then the lesion
 * study (another PatientID) from the PACS as the follow-up: the window asks
 * whether they are one patient and shows and compares nothing; declined, it
 * stays unshown.  Last, the comparison window is closed while a retrieve
 * for it runs: the window and its dialog are gone, nothing opens anywhere,
 * the viewer keeps answering and quits cleanly. */
static int orthanc_compare_steps(Viewer *v, Orthanc *o, const char *cache, const char *codecs_id,
                                 int move_port)
{
    (void)cache;
    (void)move_port;
    g_autofree char *base = sample_folder("01-normal-colin27");
    if (!base) return SKIP;
    int r = save_orthanc_node(v, o, 0);
    if (r) return r;
    viewer_action(v, "compare-open-side", g_variant_new("(ss)", "baseline", base));
    viewer_action(v, "compare-choose-pacs", g_variant_new_string("follow-up"));
    g_auto(Listed) l = {0};
    if ((r = search_study(v, o, codecs_id, "colin", &l))) return r;
    g_autofree char *side = kf_str(l.state, "compare", "pacs-side");
    printf("  PACS dialog for the %s\n", side);
    CHECK(g_str_equal(side, "follow-up") && g_key_file_get_boolean(l.state, "pacs", "dialog", NULL),
          "the comparison window's PACS dialog is not open for the follow-up (\"%s\")", side);
    CHECK(side_says(l.state, "compare-baseline", "open-menu", "From PACS") &&
              side_says(l.state, "compare-followup", "open-menu", "From PACS"),
          "a side's Open menu has no \"From PACS…\"");
    CHECK(l.rows == 1 && l.index == 0, "\"colin\" does not list the codecs study alone");
    g_autoptr(GKeyFile) kf = retrieve_side(v, l.index, "compared");
    CHECK(kf, "no state");
    g_autofree char *err = kf_str(kf, "pacs", "error");
    g_autofree char *status = kf_str(kf, "compare", "status");
    g_autofree char *check = kf_str(kf, "compare", "patient-check");
    g_autofree char *d0 = kf_str(kf, "compare-baseline", "title-date");
    g_autofree char *d1 = kf_str(kf, "compare-followup", "title-date");
    g_autofree char *rano = kf_str(kf, "compare", "rano-category");
    printf("  baseline %s, follow-up %s: patient check %s, RANO %s\n", d0, d1, check, rano);
    CHECK(!*err, "the retrieve failed: %s", err);
    CHECK(g_key_file_get_boolean(kf, "compare-baseline", "open", NULL) &&
              g_key_file_get_boolean(kf, "compare-followup", "open", NULL),
          "both sides are not open (%s)", status);
    CHECK(g_str_equal(d0, "2024-01-01") && g_str_equal(d1, "2024-01-02"),
          "the sides are not the Colin27 study and its codecs study");
    CHECK(g_str_equal(check, "same-id"), "patient check %s, not same-id", check);
    CHECK(g_key_file_get_boolean(kf, "compare-baseline", "analysed", NULL) &&
              g_key_file_get_boolean(kf, "compare-followup", "analysed", NULL) &&
              g_key_file_get_boolean(kf, "compare", "compared", NULL),
          "the pair was not analysed and compared: %s", status);
    CHECK(!g_key_file_get_boolean(kf, "viewer", "study-loaded", NULL),
          "the main window opened the retrieved study");
    g_autofree char *recent = kf_str(kf, "viewer", "recent-menu");
    CHECK(strstr(recent, l.uid) && side_says(kf, "compare-baseline", "open-menu", l.uid),
          "the retrieved study is not in the recent lists: %s", recent);
    Shot *shot = viewer_shot(v, "compare-from-pacs");
    shot_free(shot);

    /* Another patient's study as the follow-up: asked, nothing shown. */
    g_autoptr(GKeyFile) phan = compare_side_from_pacs(v, "follow-up", "phan");
    CHECK(phan && g_key_file_get_integer(phan, "pacs", "rows", NULL) == 1,
          "\"phan\" does not list the lesion study alone");
    g_autoptr(GKeyFile) asked = retrieve_side(v, 0, "asked");
    CHECK(asked, "no state");
    g_autofree char *asking = kf_str(asked, "compare", "patient-check");
    g_autofree char *d2 = kf_str(asked, "compare-followup", "title-date");
    printf("  the lesion study (%s) as the follow-up: patient check %s\n", d2, asking);
    CHECK(g_str_equal(d2, "2024-01-03") && g_str_equal(asking, "asking") &&
              g_key_file_get_boolean(asked, "compare", "confirm-dialog", NULL),
          "another patient's follow-up from the PACS is not asked about (%s)", asking);
    CHECK(!g_key_file_get_boolean(asked, "compare", "shown", NULL) &&
              !g_key_file_get_boolean(asked, "compare", "compared", NULL) &&
              !g_key_file_get_boolean(asked, "compare-followup", "analysed", NULL),
          "another patient's study was shown, analysed or compared before the answer");
    viewer_action(v, "compare-confirm-patient", g_variant_new_boolean(FALSE));
    g_autoptr(GKeyFile) refused = viewer_state(v, "refused");
    g_autofree char *declined = refused ? kf_str(refused, "compare", "patient-check") : NULL;
    CHECK(declined && g_str_equal(declined, "refused") &&
              !g_key_file_get_boolean(refused, "compare", "shown", NULL),
          "declined, the pair is not left unshown");

    /* The window closed while a retrieve for it runs. */
    g_autoptr(GKeyFile) again = compare_side_from_pacs(v, "baseline", "colin");
    CHECK(again && g_key_file_get_integer(again, "pacs", "rows", NULL) == 1, "no study listed");
    viewer_action(v, "pacs-retrieve", g_variant_new_int32(0));
    viewer_action(v, "compare-close", NULL);
    g_autoptr(GKeyFile) closed = viewer_state(v, "closed");
    CHECK(closed, "the viewer does not answer after the comparison window closed");
    CHECK(!g_key_file_get_boolean(closed, "compare", "open", NULL) &&
              !g_key_file_get_boolean(closed, "pacs", "dialog", NULL) &&
              !g_key_file_get_boolean(closed, "viewer", "study-loaded", NULL),
          "closed during a retrieve, the comparison window or its dialog stayed, or a study "
          "opened");
    /* Whether the close cut the C-GET short depends on the timing: said,
     * not checked (Orthanc logs our side's abort). */
    printf("  closed during a retrieve: no window, no dialog, nothing opened (%s)\n",
           orthanc_log_count(o, "Peer aborted Association") ? "Orthanc: we aborted the C-GET"
                                                            : "the C-GET had ended");
    return 0;
}

static int test_orthanc_compare_side(void)
{
    static const char *const studies[] = {"03-synthetic-lesion", "02-codecs-colin27", NULL};
    return orthanc_case(studies, FALSE, orthanc_compare_steps);
}

#define VIEWER_ORTHANC_CASES                                                                       \
    {"viewer_orthanc_node_finds_and_c_gets_a_study_that_opens_whole", test_orthanc_c_get},         \
        {"viewer_orthanc_c_move_retrieve_opens_every_series_of_the_study", test_orthanc_c_move},   \
        {"viewer_orthanc_results_sent_back_arrive_in_the_same_study", test_orthanc_send},          \
        {"viewer_orthanc_c_move_over_tls_opens_every_series_of_the_study",                         \
         test_orthanc_c_move_over_tls},                                                            \
        {"viewer_orthanc_untrusted_certificate_says_so_and_retrieves_nothing",                     \
         test_orthanc_untrusted_tls},                                                              \
        {"viewer_orthanc_compare_follow_up_from_the_pacs_is_compared_or_asked_about",              \
         test_orthanc_compare_side},
