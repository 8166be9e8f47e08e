/* SPDX-License-Identifier: BSD-3-Clause */
/* The workstation's PACS client (plugin/net/tsc_pacs.h) against a real
 * DICOM archive: DCMTK's dcmqrscp, started by each case on a free loopback
 * port with a temporary archive (AE TSCQR read-write, AE TSCRO read-only),
 * stopped at the end, also when a check fails.  (It runs in its default
 * fork-per-association mode: Debian 12's dcmqrscp 3.6.7 crashes after the
 * first association with --single-process.)  The samples are sent with
 * our C-STORE, searched with our C-FIND and fetched back with our C-GET,
 * or with C-MOVE to our own Store SCP (its move destination TSCTEST at the
 * port the case chose, in the archive's HostTable).
 * Skips (77) when dcmqrscp is not installed (Debian package dcmtk). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <glob.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pacs_scp_private.h"
#include "raw_store.h"
#include "tsc_pacs.h"
#include "tsc_test.h"

static pid_t qr_pid = -1;
static int qr_port;
/* Our Store SCP's port, known to the archive as the move destination
 * TSCTEST (0: none). */
static int move_port;

static void stop_archive(void)
{
    if (qr_pid <= 0) return;
    kill(-qr_pid, SIGTERM); /* the archive and its per-association children */
    waitpid(qr_pid, NULL, 0);
    qr_pid = -1;
}

static tsc_pacs_node node(const char *ae)
{
    tsc_pacs_node n = {.struct_size = sizeof n,
                       .host = "127.0.0.1",
                       .port = qr_port,
                       .called_ae = ae,
                       .calling_ae = "TSCTEST",
                       .timeout_s = 10};
    return n;
}

/* Starts a DICOM peer (listening on qr_port) in a process group of its own,
 * its output into `log`; stopped by stop_archive. */
static void start_peer(const char *bin, char *const argv[], const char *log)
{
    qr_pid = fork();
    REQUIRE(qr_pid >= 0);
    if (qr_pid == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (!freopen(log, "w", stdout) || !freopen(log, "a", stderr)) _exit(127);
        execv(bin, argv);
        _exit(127);
    }
    atexit(stop_archive);
}

static void wait_until_it_answers(const tsc_pacs_node *n, const char *log)
{
    tsc_error err;
    for (int i = 0; i < 100; i++) {
        if (tsc_pacs_echo(n, &err) == TSC_OK) return;
        usleep(100000);
    }
    printf("last echo: %s\n", err.message);
    tsc_test_system("cat '%s'", log);
    REQUIRE(!"the peer answered no C-ECHO within 10 s");
}

/* Starts dcmqrscp and waits until it answers a C-ECHO. */
static void start_archive(void)
{
    if (access("/usr/bin/dcmqrscp", X_OK) != 0)
        tsc_test_skip("dcmqrscp is not installed (Debian package dcmtk)");
    const char *tmp = tsc_test_tmpdir();
    char cfg[4200];
    const char *rw = tsc_test_path("archive-rw");
    const char *ro = tsc_test_path("archive-ro");
    snprintf(cfg, sizeof cfg, "%s/dcmqrscp.cfg", tmp);
    REQUIRE(mkdir(rw, 0700) == 0 && mkdir(ro, 0700) == 0);
    qr_port = tsc_test_free_port();
    tsc_test_write_file(
        cfg,
        "NetworkTCPPort = %d\nMaxPDUSize = 16384\nMaxAssociations = 8\n"
        "HostTable BEGIN\ntscmove = (TSCTEST, 127.0.0.1, %d)\nHostTable END\n"
        "VendorTable BEGIN\nVendorTable END\n"
        "AETable BEGIN\nTSCQR %s RW (200, 1024mb) ANY\nTSCRO %s R (200, 1024mb) ANY\n"
        "AETable END\n",
        qr_port, move_port ? move_port : 1, rw, ro);
    const char *log = tsc_test_path("dcmqrscp.log");
    char *argv[] = {"dcmqrscp", "-c", cfg, NULL};
    start_peer("/usr/bin/dcmqrscp", argv, log);
    tsc_pacs_node n = node("TSCQR");
    wait_until_it_answers(&n, log);
}

/* The regular files of a sample folder (sorted), in `g`. */
static void sample_files(glob_t *g, const char *pattern)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/sample_dicom/%s", tsc_test_env("TSC_SOURCE_DIR", ".."), pattern);
    REQUIRE(glob(p, 0, NULL, g) == 0 && g->gl_pathc > 0);
}

static size_t send_sample_to(const tsc_pacs_node *to, const char *pattern)
{
    glob_t g;
    sample_files(&g, pattern);
    tsc_pacs_node n = *to;
    size_t stored = 0;
    tsc_error err;
    tsc_status st = tsc_pacs_store_files(&n, (const char *const *)g.gl_pathv, g.gl_pathc, NULL,
                                         NULL, &stored, &err);
    if (st != TSC_OK) printf("send: %s\n", err.message);
    CHECK(st == TSC_OK);
    CHECK(stored == g.gl_pathc);
    size_t n_files = g.gl_pathc;
    globfree(&g);
    return n_files;
}

static size_t send_sample(const char *ae, const char *pattern)
{
    tsc_pacs_node n = node(ae);
    return send_sample_to(&n, pattern);
}

/* Files in `dir`: visible ones, and hidden ones (temporaries) apart. */
static size_t count_files(const char *dir, size_t *hidden)
{
    size_t n = 0;
    *hidden = 0;
    DIR *d = opendir(dir);
    if (!d) return 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (e->d_name[0] == '.') (*hidden)++;
        else n++;
    }
    closedir(d);
    return n;
}

static const tsc_pacs_study *find_one(tsc_pacs_study_list **list, const char *patient_id)
{
    tsc_pacs_node n = node("TSCQR");
    tsc_pacs_query q = {sizeof q, NULL, patient_id, NULL, NULL, NULL, 0, 0};
    tsc_error err;
    tsc_status st = tsc_pacs_find_studies(&n, &q, list, &err);
    if (st != TSC_OK) printf("find: %s\n", err.message);
    REQUIRE(st == TSC_OK);
    REQUIRE(tsc_pacs_study_list_count(*list) == 1);
    return tsc_pacs_study_list_get(*list, 0);
}

/* What came back into `cache` is what was sent: the same image, pixel for
 * pixel (dcml2pnm reads the JPEG-LS samples; the archive holds them
 * decoded). */
static void same_pixels_as_sent(const char *cache)
{
    glob_t g;
    sample_files(&g, "03-synthetic-lesion/t1-post-contrast/*");
    const char *t = tsc_test_tmpdir();
    CHECK(tsc_test_system(
              "sop=$(dcmdump -q +P SOPInstanceUID '%s' | sed 's/^[^[]*\\[\\([0-9.]*\\)\\].*/\\1/') "
              "&& "
              "dcml2pnm -q '%s' '%s/sent.pgm' && dcml2pnm -q \"%s/$sop.dcm\" '%s/got.pgm' && "
              "cmp '%s/sent.pgm' '%s/got.pgm'",
              g.gl_pathv[0], g.gl_pathv[0], t, cache, t, t, t) == 0);
    globfree(&g);
}

TSC_TEST(pacs_study_sent_is_found_and_retrieved_whole)
{
    start_archive();
    size_t sent = send_sample("TSCQR", "03-synthetic-lesion/t1-post-contrast/*");
    tsc_pacs_study_list *list = NULL;
    /* A prefix, as typed into the search field. */
    const tsc_pacs_study *s = find_one(&list, "SYNTH-LES");
    printf("found %s, %d series, %d instances\n", s->study_date, s->n_series, s->n_instances);
    CHECK(!strcmp(s->patient_id, "SYNTH-LESION-01"));
    CHECK(!strcmp(s->patient_name, "Phantom^Synthetic Lesion"));
    CHECK(!strcmp(s->study_uid, "2.25.212653863236164759780331104116971136268"));
    CHECK(s->n_instances == -1 || (size_t)s->n_instances == sent);

    char cache[4200];
    snprintf(cache, sizeof cache, "%s/cache/study", tsc_test_tmpdir());
    tsc_pacs_node n = node("TSCQR");
    size_t got = 0;
    tsc_error err;
    tsc_status st = tsc_pacs_retrieve_study(&n, s->study_uid, cache, 0, NULL, NULL, &got, &err);
    if (st != TSC_OK) printf("retrieve: %s\n", err.message);
    CHECK(st == TSC_OK);
    CHECK(got == sent);
    size_t hidden;
    CHECK(count_files(cache, &hidden) == sent);
    CHECK(hidden == 0); /* no temporary left behind */
    same_pixels_as_sent(cache);
    tsc_pacs_study_list_free(list);
    stop_archive();
}

TSC_TEST(pacs_search_pages_and_says_when_more_match)
{
    start_archive();
    send_sample("TSCQR", "03-synthetic-lesion/t1-post-contrast/*");
    send_sample("TSCQR", "01-normal-colin27/t1-axial/*");
    tsc_pacs_node n = node("TSCQR");
    tsc_error err;
    tsc_pacs_study_list *all = NULL, *p1 = NULL, *p2 = NULL, *none = NULL;
    tsc_pacs_query q = {sizeof q, NULL, NULL, NULL, NULL, NULL, 0, 0};
    REQUIRE(tsc_pacs_find_studies(&n, &q, &all, &err) == TSC_OK);
    CHECK(tsc_pacs_study_list_count(all) == 2);
    CHECK(!tsc_pacs_study_list_has_more(all));
    q.limit = 1;
    REQUIRE(tsc_pacs_find_studies(&n, &q, &p1, &err) == TSC_OK);
    CHECK(tsc_pacs_study_list_count(p1) == 1 && tsc_pacs_study_list_has_more(p1));
    q.offset = 1;
    REQUIRE(tsc_pacs_find_studies(&n, &q, &p2, &err) == TSC_OK);
    CHECK(tsc_pacs_study_list_count(p2) == 1 && !tsc_pacs_study_list_has_more(p2));
    if (tsc_pacs_study_list_count(p1) == 1 && tsc_pacs_study_list_count(p2) == 1)
        CHECK(strcmp(tsc_pacs_study_list_get(p1, 0)->study_uid,
                     tsc_pacs_study_list_get(p2, 0)->study_uid) != 0);
    /* Name prefix as typed; a name that matches nothing gives an empty list. */
    tsc_pacs_query byname = {sizeof byname, "Colin", NULL, NULL, NULL, NULL, 0, 0};
    tsc_pacs_study_list *colin = NULL;
    REQUIRE(tsc_pacs_find_studies(&n, &byname, &colin, &err) == TSC_OK);
    CHECK(tsc_pacs_study_list_count(colin) == 1);
    byname.patient_name = "Nobody";
    REQUIRE(tsc_pacs_find_studies(&n, &byname, &none, &err) == TSC_OK);
    CHECK(tsc_pacs_study_list_count(none) == 0);
    /* Malformed search input is refused before anything is sent. */
    tsc_pacs_query bad = {sizeof bad, "a\\b", NULL, NULL, NULL, NULL, 0, 0};
    tsc_pacs_study_list *x = NULL;
    CHECK_STATUS(tsc_pacs_find_studies(&n, &bad, &x, &err), TSC_EINVAL);
    CHECK(x == NULL && strstr(err.message, "backslash"));
    bad.patient_name = NULL;
    bad.study_date = "2019-07";
    CHECK_STATUS(tsc_pacs_find_studies(&n, &bad, &x, &err), TSC_EINVAL);
    CHECK(strstr(err.message, "YYYYMMDD") != NULL);
    tsc_pacs_study_list_free(all);
    tsc_pacs_study_list_free(p1);
    tsc_pacs_study_list_free(p2);
    tsc_pacs_study_list_free(colin);
    tsc_pacs_study_list_free(none);
    stop_archive();
}

static int cancel_after_two(void *user, size_t done, size_t total)
{
    (void)total;
    *(size_t *)user = done;
    return done >= 2;
}

TSC_TEST(pacs_retrieve_stops_at_cancel_and_at_the_instance_limit)
{
    start_archive();
    send_sample("TSCQR", "01-normal-colin27/t1-axial/*");
    tsc_pacs_study_list *list = NULL;
    const tsc_pacs_study *s = find_one(&list, "SYNTH-COLIN27");
    tsc_pacs_node n = node("TSCQR");
    tsc_error err;
    char dir[4200];
    size_t got = 0, seen = 0, hidden;
    snprintf(dir, sizeof dir, "%s/cancelled", tsc_test_tmpdir());
    CHECK_STATUS(
        tsc_pacs_retrieve_study(&n, s->study_uid, dir, 0, cancel_after_two, &seen, &got, &err),
        TSC_ECANCELLED);
    printf("%s\n", err.message);
    CHECK(got == 2 && seen == 2);
    CHECK(count_files(dir, &hidden) == 2 && hidden == 0);
    snprintf(dir, sizeof dir, "%s/limited", tsc_test_tmpdir());
    CHECK_STATUS(tsc_pacs_retrieve_study(&n, s->study_uid, dir, 5, NULL, NULL, &got, &err),
                 TSC_ELIMIT);
    printf("%s\n", err.message);
    CHECK(got == 5 && strstr(err.message, "more than 5 objects"));
    CHECK(count_files(dir, &hidden) == 5 && hidden == 0);
    /* The archive is still there for the next association. */
    CHECK(tsc_pacs_echo(&n, &err) == TSC_OK);
    tsc_pacs_study_list_free(list);
    stop_archive();
}

TSC_TEST(pacs_network_failures_are_said_in_words)
{
    start_archive();
    tsc_error err;
    /* Nothing listens on that port. */
    tsc_pacs_node closed = node("TSCQR");
    closed.port = tsc_test_free_port();
    CHECK_STATUS(tsc_pacs_echo(&closed, &err), TSC_EIO);
    printf("%s\n", err.message);
    CHECK(strstr(err.message, "nothing listens") && strstr(err.message, "connection refused"));
    /* The archive does not know the AE title we call it by. */
    tsc_pacs_node wrong_ae = node("NOSUCHAE");
    CHECK_STATUS(tsc_pacs_echo(&wrong_ae, &err), TSC_EIO);
    printf("%s\n", err.message);
    CHECK(strstr(err.message, "rejected the association") && strstr(err.message, "NOSUCHAE"));
    /* A port that accepts the connection but never answers. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    REQUIRE(s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0 && listen(s, 4) == 0);
    REQUIRE(getsockname(s, (struct sockaddr *)&a, &len) == 0);
    tsc_pacs_node silent = node("TSCQR");
    silent.port = ntohs(a.sin_port);
    silent.timeout_s = 2;
    CHECK_STATUS(tsc_pacs_echo(&silent, &err), TSC_EIO);
    printf("%s\n", err.message);
    CHECK(strstr(err.message, "within 2 s") != NULL);
    close(s);
    /* Settings that cannot be right are refused before connecting. */
    tsc_pacs_node bad = node("A\\B");
    CHECK_STATUS(tsc_pacs_echo(&bad, &err), TSC_EINVAL);
    CHECK(strstr(err.message, "AE title") != NULL);
    bad = node("TSCQR");
    bad.port = 70000;
    CHECK_STATUS(tsc_pacs_echo(&bad, &err), TSC_EINVAL);
    bad = node("TSCQR");
    bad.host = "no-such-host.invalid";
    CHECK_STATUS(tsc_pacs_echo(&bad, &err), TSC_EIO);
    printf("%s\n", err.message);
    CHECK(strstr(err.message, "no-such-host.invalid") != NULL);
    stop_archive();
}

TSC_TEST(pacs_send_says_what_the_archive_does_not_take)
{
    start_archive();
    glob_t g;
    sample_files(&g, "01-normal-colin27/t1-axial/*");
    tsc_pacs_node ro = node("TSCRO"); /* read-only: every store refused */
    size_t stored = 99;
    tsc_error err;
    CHECK_STATUS(
        tsc_pacs_store_files(&ro, (const char *const *)g.gl_pathv, 3, NULL, NULL, &stored, &err),
        TSC_EUNSUPPORTED);
    printf("%s\n", err.message);
    CHECK(stored == 0);
    CHECK(strstr(err.message, "accepts none of the kinds of object") != NULL);
    /* A file that is not DICOM is named before anything is sent. */
    char junk[4200];
    snprintf(junk, sizeof junk, "%s/notes.txt", tsc_test_tmpdir());
    tsc_test_write_file(junk, "not DICOM\n");
    const char *paths[] = {g.gl_pathv[0], junk};
    tsc_pacs_node rw = node("TSCQR");
    CHECK_STATUS(tsc_pacs_store_files(&rw, paths, 2, NULL, NULL, &stored, &err), TSC_EFORMAT);
    CHECK(strstr(err.message, "notes.txt") != NULL && stored == 0);
    globfree(&g);
    stop_archive();
}

/* A private key and self-signed certificate, <name>.key and <name>.crt in
 * `dir`, for each of the space-separated `names` (openssl, 2 days). */
static void make_certificates(const char *dir, const char *names)
{
    REQUIRE(tsc_test_system("cd '%s' && for c in %s; do openssl req -x509 -newkey rsa:2048 "
                            "-nodes -keyout $c.key -out $c.crt -days 2 -subj /CN=$c "
                            ">/dev/null 2>&1 || exit 1; done",
                            dir, names) == 0);
}

/* DIMSE over TLS to DCMTK's storescp with a certificate made for the test:
 * trusted, the echo and the files go through; another certificate is not
 * trusted; a plain association to a TLS port fails; half a client identity
 * is refused before connecting. */
TSC_TEST(pacs_tls_node_is_verified_and_carries_the_objects)
{
    if (access("/usr/bin/storescp", X_OK) != 0 || access("/usr/bin/openssl", X_OK) != 0)
        tsc_test_skip("storescp (dcmtk) or openssl is not installed");
    const char *t = tsc_test_tmpdir();
    make_certificates(t, "node other");
    REQUIRE(tsc_test_system("mkdir '%s/received'", t) == 0);
    char key[4200], crt[4200], out[4200], port[16];
    snprintf(key, sizeof key, "%s/node.key", t);
    snprintf(crt, sizeof crt, "%s/node.crt", t);
    const char *other = tsc_test_path("other.crt");
    snprintf(out, sizeof out, "%s/received", t);
    const char *log = tsc_test_path("storescp.log");
    qr_port = tsc_test_free_port();
    snprintf(port, sizeof port, "%d", qr_port);
    char *argv[] = {"storescp", "--aetitle", "TSCSTORE", "+tls", key, crt,
                    "-ic",      "-od",       out,        port,   NULL};
    start_peer("/usr/bin/storescp", argv, log);
    tsc_pacs_node n = node("TSCSTORE");
    n.tls = 1;
    n.tls_ca_file = crt;
    wait_until_it_answers(&n, log);

    glob_t g;
    sample_files(&g, "01-normal-colin27/t1-axial/*");
    size_t stored = 0, hidden;
    tsc_error err;
    tsc_status st =
        tsc_pacs_store_files(&n, (const char *const *)g.gl_pathv, 3, NULL, NULL, &stored, &err);
    if (st != TSC_OK) printf("%s\n", err.message);
    CHECK(st == TSC_OK && stored == 3);
    CHECK(count_files(out, &hidden) == 3);
    globfree(&g);

    tsc_pacs_node untrusted = n;
    untrusted.tls_ca_file = other;
    CHECK_STATUS(tsc_pacs_echo(&untrusted, &err), TSC_EIO);
    printf("%s\n", err.message);
    CHECK(strstr(err.message, "TLS handshake") && strstr(err.message, "not trusted"));

    tsc_pacs_node plain = n;
    plain.tls = 0;
    plain.timeout_s = 3;
    CHECK(tsc_pacs_echo(&plain, &err) != TSC_OK);
    printf("%s\n", err.message);
    CHECK(strstr(err.message, "it may expect TLS on this port") != NULL);

    tsc_pacs_node half = n;
    half.tls_cert_file = crt;
    CHECK_STATUS(tsc_pacs_echo(&half, &err), TSC_EINVAL);
    CHECK(strstr(err.message, "both our certificate and its private key") != NULL);
    stop_archive();
}

/* Debian's Orthanc as the archive (AE ORTHANC, the called AE title checked)
 * on free loopback ports with a temporary index and storage, the JSON
 * members `settings` (may be "", else ending with a comma) added, our AE
 * TSCTEST a modality at move_port (reached over TLS when `tls`); its log
 * in `log`.  Stopped by stop_archive.  Skips without Orthanc. */
static void start_orthanc(const char *settings, int tls, char *log, size_t cap)
{
    const char *bin = access("/usr/sbin/Orthanc", X_OK) == 0  ? "/usr/sbin/Orthanc"
                      : access("/usr/bin/Orthanc", X_OK) == 0 ? "/usr/bin/Orthanc"
                                                              : NULL;
    if (!bin) tsc_test_skip("the Orthanc binary is not installed (Debian package orthanc)");
    const char *t = tsc_test_tmpdir();
    char cfg[4200];
    snprintf(cfg, sizeof cfg, "%s/orthanc.json", t);
    snprintf(log, cap, "%s/orthanc.log", t);
    qr_port = tsc_test_free_port();
    move_port = tsc_test_free_port();
    tsc_test_write_file(
        cfg,
        "{ \"Name\": \"tsc-net-test\", \"StorageDirectory\": \"%s/orthanc-db\", "
        "\"IndexDirectory\": \"%s/orthanc-db\", \"HttpPort\": %d, \"DicomPort\": %d, "
        "\"DicomAet\": \"ORTHANC\", \"DicomCheckCalledAet\": true, "
        "\"RemoteAccessAllowed\": false, \"Plugins\": [], %s \"DicomModalities\": { "
        "\"tsc\": { \"AET\": \"TSCTEST\", \"Host\": \"127.0.0.1\", \"Port\": %d, "
        "\"UseDicomTls\": %s } } }\n",
        t, t, tsc_test_free_port(), qr_port, settings, move_port, tls ? "true" : "false");
    char *argv[] = {"Orthanc", cfg, NULL};
    start_peer(bin, argv, log);
}

/* The same client against Orthanc (Debian's package), the archive a site
 * is most likely to run beside us: our AE registered as a modality, the
 * called AE title checked.  Sent, found by prefix, retrieved whole by C-GET
 * and by C-MOVE to our Store SCP. */
TSC_TEST(pacs_client_works_against_orthanc)
{
    char log[4200];
    start_orthanc("", 0, log, sizeof log);
    const char *t = tsc_test_tmpdir();
    tsc_pacs_node n = node("ORTHANC");
    wait_until_it_answers(&n, log);

    size_t sent = send_sample("ORTHANC", "03-synthetic-lesion/t1-post-contrast/*");
    tsc_pacs_query q = {.struct_size = sizeof q, .patient_name = "Phantom"};
    tsc_pacs_study_list *list = NULL;
    tsc_error err;
    tsc_status st = tsc_pacs_find_studies(&n, &q, &list, &err);
    if (st != TSC_OK) printf("find: %s\n", err.message);
    REQUIRE(st == TSC_OK && tsc_pacs_study_list_count(list) == 1);
    const tsc_pacs_study *s = tsc_pacs_study_list_get(list, 0);
    printf("Orthanc lists %s, %d series, %d instances, modalities %s\n", s->study_uid, s->n_series,
           s->n_instances, s->modalities);
    CHECK(!strcmp(s->patient_id, "SYNTH-LESION-01"));
    CHECK(s->n_instances == (int)sent && s->n_series == 1);
    CHECK(!strcmp(s->modalities, "MR"));
    /* Typed in lower case: Orthanc matches person names case-insensitively. */
    tsc_pacs_query lower = {.struct_size = sizeof lower, .patient_name = "phan"};
    tsc_pacs_study_list *again = NULL;
    CHECK(tsc_pacs_find_studies(&n, &lower, &again, &err) == TSC_OK &&
          tsc_pacs_study_list_count(again) == 1);
    tsc_pacs_study_list_free(again);
    char cache[4200];
    snprintf(cache, sizeof cache, "%s/cache", t);
    size_t got = 0, hidden;
    st = tsc_pacs_retrieve_study(&n, s->study_uid, cache, 0, NULL, NULL, &got, &err);
    if (st != TSC_OK) printf("retrieve: %s\n", err.message);
    CHECK(st == TSC_OK && got == sent);
    CHECK(count_files(cache, &hidden) == sent && hidden == 0);
    /* By C-MOVE to our Store SCP: Orthanc connects back as ORTHANC, the
     * node's AE title, to the port it has for TSCTEST. */
    snprintf(cache, sizeof cache, "%s/moved", t);
    tsc_pacs_retrieve_params p = {
        .struct_size = sizeof p, .method = TSC_PACS_RETRIEVE_MOVE, .listen_port = move_port};
    st = tsc_pacs_retrieve(&n, s->study_uid, cache, &p, NULL, NULL, &got, &err);
    if (st != TSC_OK) printf("move: %s\n", err.message);
    CHECK(st == TSC_OK && got == sent);
    CHECK(count_files(cache, &hidden) == sent && hidden == 0);
    same_pixels_as_sent(cache);
    /* Orthanc checks the AE title it is called by. */
    tsc_pacs_node wrong = node("NOTORTHANC");
    CHECK_STATUS(tsc_pacs_echo(&wrong, &err), TSC_EIO);
    CHECK(strstr(err.message, "rejected the association") != NULL);
    tsc_pacs_study_list_free(list);
    stop_archive();
}

/* C-MOVE over TLS end to end: Orthanc with DICOM TLS (its key and
 * certificate, ours trusted, a client certificate required, our AE title a
 * modality reached over TLS) moves the study to our Store SCP, which
 * presents our certificate and requires Orthanc's. */
TSC_TEST(pacs_move_over_tls_from_orthanc_arrives_whole)
{
    if (access("/usr/bin/openssl", X_OK) != 0) tsc_test_skip("openssl is not installed");
    const char *t = tsc_test_tmpdir();
    make_certificates(t, "orthanc ours");
    char settings[20000], log[4200];
    const char *ca = tsc_test_path("orthanc.crt");
    const char *crt = tsc_test_path("ours.crt");
    const char *key = tsc_test_path("ours.key");
    const char *cache = tsc_test_path("moved");
    snprintf(settings, sizeof settings,
             "\"DicomTlsEnabled\": true, \"DicomTlsCertificate\": \"%s\", "
             "\"DicomTlsPrivateKey\": \"%s/orthanc.key\", \"DicomTlsTrustedCertificates\": "
             "\"%s\", \"DicomTlsRemoteCertificateRequired\": true,",
             ca, t, crt);
    start_orthanc(settings, 1, log, sizeof log);
    tsc_pacs_node n = node("ORTHANC");
    n.tls = 1;
    n.tls_ca_file = ca;
    n.tls_cert_file = crt;
    n.tls_key_file = key;
    wait_until_it_answers(&n, log);
    size_t sent = send_sample_to(&n, "03-synthetic-lesion/t1-post-contrast/*");
    tsc_pacs_query q = {.struct_size = sizeof q, .patient_name = "Phantom"};
    tsc_pacs_study_list *list = NULL;
    tsc_error err;
    REQUIRE(tsc_pacs_find_studies(&n, &q, &list, &err) == TSC_OK &&
            tsc_pacs_study_list_count(list) == 1);
    tsc_pacs_retrieve_params p = {
        .struct_size = sizeof p, .method = TSC_PACS_RETRIEVE_MOVE, .listen_port = move_port};
    size_t got = 0, hidden;
    tsc_status st = tsc_pacs_retrieve(&n, tsc_pacs_study_list_get(list, 0)->study_uid, cache, &p,
                                      NULL, NULL, &got, &err);
    if (st != TSC_OK) printf("move over TLS: %s\n", err.message);
    printf("moved over TLS: %zu of %zu objects\n", got, sent);
    CHECK(st == TSC_OK && got == sent);
    CHECK(count_files(cache, &hidden) == sent && hidden == 0);
    same_pixels_as_sent(cache);
    tsc_pacs_study_list_free(list);
    stop_archive();
}

/* ---- C-MOVE to our own Store SCP ---- */

static tsc_pacs_retrieve_params move_params(void)
{
    tsc_pacs_retrieve_params p = {
        .struct_size = sizeof p, .method = TSC_PACS_RETRIEVE_MOVE, .listen_port = move_port};
    return p;
}

/* 1 when something accepts connections on 127.0.0.1:port. */
static int listening(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = s >= 0 && connect(s, (struct sockaddr *)&a, sizeof a) == 0;
    if (s >= 0) close(s);
    return ok;
}

TSC_TEST(pacs_study_moved_to_our_store_scp_arrives_whole)
{
    move_port = tsc_test_free_port();
    start_archive();
    size_t sent = send_sample("TSCQR", "03-synthetic-lesion/t1-post-contrast/*");
    tsc_pacs_study_list *list = NULL;
    const tsc_pacs_study *s = find_one(&list, "SYNTH-LES");
    char cache[4200];
    snprintf(cache, sizeof cache, "%s/moved/study", tsc_test_tmpdir());
    tsc_pacs_node n = node("TSCQR");
    tsc_pacs_retrieve_params p = move_params();
    size_t got = 0, hidden;
    tsc_error err;
    CHECK(!listening(move_port));
    tsc_status st = tsc_pacs_retrieve(&n, s->study_uid, cache, &p, NULL, NULL, &got, &err);
    if (st != TSC_OK) printf("move: %s\n", err.message);
    CHECK(st == TSC_OK);
    CHECK(got == sent);
    CHECK(count_files(cache, &hidden) == sent && hidden == 0);
    same_pixels_as_sent(cache);
    /* Our Store SCP listened only while the retrieve ran. */
    CHECK(!listening(move_port));

    /* An AE title the archive does not know as a move destination. */
    tsc_pacs_node unknown = node("TSCQR");
    unknown.calling_ae = "NOTADEST";
    CHECK_STATUS(tsc_pacs_retrieve(&unknown, s->study_uid, cache, &p, NULL, NULL, &got, &err),
                 TSC_EIO);
    printf("%s\n", err.message);
    CHECK(strstr(err.message, "does not know our AE title 'NOTADEST' as a move destination"));
    CHECK(!listening(move_port));

    /* Our port taken by another program: said, and nothing asked of the node. */
    int busy = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)move_port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    REQUIRE(busy >= 0 && bind(busy, (struct sockaddr *)&a, sizeof a) == 0 && listen(busy, 1) == 0);
    CHECK_STATUS(tsc_pacs_retrieve(&n, s->study_uid, cache, &p, NULL, NULL, &got, &err), TSC_EIO);
    printf("%s\n", err.message);
    CHECK(strstr(err.message, "already in use") != NULL && got == 0);
    close(busy);

    /* Over TLS without our certificate and key (our Store SCP presents
     * them): refused before anything is opened. */
    tsc_pacs_node tls = node("TSCQR");
    tls.tls = 1;
    CHECK_STATUS(tsc_pacs_retrieve(&tls, s->study_uid, cache, &p, NULL, NULL, &got, &err),
                 TSC_EINVAL);
    printf("%s\n", err.message);
    CHECK(strstr(err.message, "needs our certificate and private key") != NULL && got == 0);
    tsc_pacs_study_list_free(list);
    stop_archive();
}

TSC_TEST(pacs_move_stops_at_cancel_and_at_the_instance_limit)
{
    move_port = tsc_test_free_port();
    start_archive();
    send_sample("TSCQR", "01-normal-colin27/t1-axial/*");
    tsc_pacs_study_list *list = NULL;
    const tsc_pacs_study *s = find_one(&list, "SYNTH-COLIN27");
    tsc_pacs_node n = node("TSCQR");
    tsc_pacs_retrieve_params p = move_params();
    tsc_error err;
    char dir[4200];
    size_t got = 0, seen = 0, hidden;
    snprintf(dir, sizeof dir, "%s/move-cancelled", tsc_test_tmpdir());
    CHECK_STATUS(tsc_pacs_retrieve(&n, s->study_uid, dir, &p, cancel_after_two, &seen, &got, &err),
                 TSC_ECANCELLED);
    printf("%s\n", err.message);
    CHECK(got == 2 && seen == 2);
    CHECK(count_files(dir, &hidden) == 2 && hidden == 0);
    CHECK(!listening(move_port));
    snprintf(dir, sizeof dir, "%s/move-limited", tsc_test_tmpdir());
    p.max_instances = 5;
    CHECK_STATUS(tsc_pacs_retrieve(&n, s->study_uid, dir, &p, NULL, NULL, &got, &err), TSC_ELIMIT);
    printf("%s\n", err.message);
    CHECK(got == 5 && strstr(err.message, "more than 5 objects"));
    CHECK(count_files(dir, &hidden) == 5 && hidden == 0);
    CHECK(!listening(move_port));
    /* The archive is still there for the next association. */
    CHECK(tsc_pacs_echo(&n, &err) == TSC_OK);
    tsc_pacs_study_list_free(list);
    stop_archive();
}

/* Runs a DCMTK tool (storescu, echoscu) against our Store SCP; its exit
 * status, its output kept in `log`. */
static int peer_tool(const char *log, const char *fmt, const char *arg1, const char *arg2, int port,
                     const char *file)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, fmt, arg1, arg2, port, file);
    int rc = tsc_test_system("%s >'%s' 2>&1", cmd, log);
    printf("%s: exit %d\n", cmd, rc);
    tsc_test_system("sed 's/^/    /' '%s'", log);
    return rc;
}

/* The node our Store SCP takes objects from in these tests: TSCQR at
 * 127.0.0.1, calling it as TSCTEST. */
static tsc_pacs_node scp_node(void)
{
    tsc_pacs_node n = {.struct_size = sizeof n,
                       .host = "127.0.0.1",
                       .port = 104,
                       .called_ae = "TSCQR",
                       .calling_ae = "TSCTEST",
                       .timeout_s = 5};
    return n;
}

/* Our Store SCP as a C-MOVE of the lesion sample's study from node n runs
 * it, into `dir`, listening on *port until closed. */
static tsc_status scp_open_for(const tsc_pacs_node *n, const char *dir,
                               const tsc_pacs_retrieve_params *p, tsc__pacs_scp **scp, int *port,
                               tsc_error *err)
{
    return tsc__pacs_scp_open(n, p, "2.25.212653863236164759780331104116971136268", dir, scp, port,
                              err);
}

/* The same, from scp_node(). */
static tsc_status scp_open(const char *dir, const tsc_pacs_retrieve_params *p, tsc__pacs_scp **scp,
                           int *port, tsc_error *err)
{
    tsc_pacs_node n = scp_node();
    return scp_open_for(&n, dir, p, scp, port, err);
}

/* scp_open_for() for a C-MOVE, which must succeed (the test stops here if
 * it does not); the port it listens on. */
static int scp_start(const tsc_pacs_node *n, const char *dir, tsc__pacs_scp **scp)
{
    tsc_pacs_retrieve_params p = {.struct_size = sizeof p, .method = TSC_PACS_RETRIEVE_MOVE};
    int port = 0;
    tsc_error err;
    tsc_status st = scp_open_for(n, dir, &p, scp, &port, &err);
    if (st != TSC_OK) printf("%s\n", err.message);
    REQUIRE(st == TSC_OK && port > 0);
    return port;
}

/* What the tests of our Store SCP against DCMTK's tools share: the lesion
 * sample's files to send, the SCP's cache folder and the tools' log. */
typedef struct scp_peer {
    glob_t files;
    const char *dir, *log;
} scp_peer;

static void scp_peer_setup(scp_peer *e)
{
    sample_files(&e->files, "03-synthetic-lesion/t1-post-contrast/*");
    e->dir = tsc_test_path("scp/cache");
    e->log = tsc_test_path("peer.log");
}

/* Our Store SCP as a C-MOVE runs it, played against by DCMTK's storescu and
 * echoscu: only the allowed AE titles and hosts, only storage SOP classes,
 * only objects of the study asked for with a SOP Instance UID safe as a
 * file name, written only into its folder. */
TSC_TEST(pacs_store_scp_takes_only_allowed_peers_storage_and_safe_objects)
{
    if (access("/usr/bin/storescu", X_OK) != 0 || access("/usr/bin/dcmodify", X_OK) != 0)
        tsc_test_skip("storescu or dcmodify (dcmtk) is not installed");
    const char *t = tsc_test_tmpdir();
    scp_peer e;
    scp_peer_setup(&e);
    char *const *files = e.files.gl_pathv;
    const char *dir = e.dir, *log = e.log;
    const char *other = tsc_test_path("other-study.dcm");
    const char *slash = tsc_test_path("slash-uid.dcm");
    const char *dots = tsc_test_path("dots-uid.dcm");
    REQUIRE(tsc_test_system("mkdir -p '%s/scp' && cp '%s' '%s' && cp '%s' '%s' && cp '%s' '%s' && "
                            "dcmodify -nb -m StudyInstanceUID=1.2.3.4 '%s' && "
                            "dcmodify -nb -m SOPInstanceUID=1.2/../../3 '%s' && "
                            "dcmodify -nb -m SOPInstanceUID=.. '%s'",
                            t, files[0], other, files[0], slash, files[0], dots, other, slash,
                            dots) == 0);
    tsc_pacs_node node = scp_node();
    tsc__pacs_scp *scp = NULL;
    int port = scp_start(&node, dir, &scp);
    tsc_pacs_retrieve_params p = {.struct_size = sizeof p, .method = TSC_PACS_RETRIEVE_MOVE};
    tsc_error err;
    const char *store = "storescu -v -xt -R -to 5 -aet %s -aec %s 127.0.0.1 %d '%s'";
    /* The node's AE title: taken. */
    CHECK(peer_tool(log, store, "TSCQR", "TSCTEST", port, files[0]) == 0);
    /* Another AE title, or another called AE title: the association is
     * rejected. */
    CHECK(peer_tool(log, store, "INTRUDER", "TSCTEST", port, files[1]) != 0);
    CHECK(tsc_test_system("grep -q 'Association Rejected' '%s'", log) == 0);
    CHECK(peer_tool(log, store, "TSCQR", "SOMEONE", port, files[1]) != 0);
    CHECK(tsc_test_system("grep -q 'Association Rejected' '%s'", log) == 0);
    /* A service that is not storage (C-ECHO, C-FIND): refused in
     * negotiation. */
    CHECK(peer_tool(log, "echoscu -to 5 -aet %s -aec %s 127.0.0.1 %d %s", "TSCQR", "TSCTEST", port,
                    "") != 0);
    CHECK(peer_tool(log,
                    "findscu -S -to 5 -aet %s -aec %s 127.0.0.1 %d -k QueryRetrieveLevel=STUDY %s",
                    "TSCQR", "TSCTEST", port, "") != 0);
    /* Objects of another study, or whose SOP Instance UID is not a safe
     * file name: refused with a failure status (storescu says so and fails). */
    CHECK(peer_tool(log, store, "TSCQR", "TSCTEST", port, other) != 0);
    CHECK(tsc_test_system("grep -q 'Received Store Response (Error' '%s'", log) == 0);
    CHECK(peer_tool(log, store, "TSCQR", "TSCTEST", port, slash) != 0);
    CHECK(tsc_test_system("grep -q 'Received Store Response (Error' '%s'", log) == 0);
    CHECK(peer_tool(log, store, "TSCQR", "TSCTEST", port, dots) != 0);
    CHECK(tsc_test_system("grep -q 'Received Store Response (Error' '%s'", log) == 0);
    CHECK(tsc__pacs_scp_close(scp) == 1);
    CHECK(!listening(port));
    /* One file in the cache, nothing beside it. */
    size_t hidden;
    CHECK(count_files(dir, &hidden) == 1 && hidden == 0);
    CHECK(tsc_test_system("test \"$(ls -A '%s/scp')\" = cache", t) == 0);

    /* A host not allowed: even the node's AE title is rejected. */
    p.allowed_hosts = "192.0.2.1";
    REQUIRE(scp_open(dir, &p, &scp, &port, &err) == TSC_OK);
    CHECK(peer_tool(log, store, "TSCQR", "TSCTEST", port, files[1]) != 0);
    CHECK(tsc_test_system("grep -q 'Association Rejected' '%s'", log) == 0);
    CHECK(tsc__pacs_scp_close(scp) == 0);
    /* Listening only on the configured interface: not on every address. */
    p.allowed_hosts = NULL;
    p.listen_address = "127.0.0.2";
    REQUIRE(scp_open(dir, &p, &scp, &port, &err) == TSC_OK);
    CHECK(!listening(port));
    tsc__pacs_scp_close(scp);
    p.listen_address = "192.0.2.1"; /* not ours */
    CHECK_STATUS(scp_open(dir, &p, &scp, &port, &err), TSC_EINVAL);
    printf("%s\n", err.message);
    CHECK(strstr(err.message, "not an address of this computer") != NULL);
    globfree(&e.files);
}

/* Our Store SCP for a TLS node, against DCMTK's storescu over TLS with
 * keys and certificates the test makes (the node's, ours, a stranger's):
 * the node presenting its certificate and trusting ours stores; a plain
 * association, a client certificate we do not trust and a client that does
 * not trust ours store nothing. */
TSC_TEST(pacs_store_scp_speaks_tls_for_a_tls_node)
{
    if (access("/usr/bin/storescu", X_OK) != 0 || access("/usr/bin/openssl", X_OK) != 0)
        tsc_test_skip("storescu (dcmtk) or openssl is not installed");
    const char *t = tsc_test_tmpdir();
    make_certificates(t, "node ours other");
    scp_peer e;
    scp_peer_setup(&e);
    char *const *files = e.files.gl_pathv;
    const char *dir = e.dir, *log = e.log;
    tsc_pacs_node n = scp_node();
    n.tls = 1;
    n.tls_ca_file = tsc_test_path("node.crt");
    n.tls_cert_file = tsc_test_path("ours.crt");
    n.tls_key_file = tsc_test_path("ours.key");
    tsc__pacs_scp *scp = NULL;
    int port = scp_start(&n, dir, &scp);
    /* storescu's own key and certificate, and the certificate it trusts. */
    char tls_store[4400];
    const char *client[][2] = {{"node", "ours"}, {"other", "ours"}, {"node", "other"}};
    int rc[3];
    for (int i = 0; i < 3; i++) {
        snprintf(tls_store, sizeof tls_store,
                 "storescu -v -xt -R -to 5 +tls '%s/%s.key' '%s/%s.crt' +cf '%s/%s.crt' "
                 "-aet %%s -aec %%s 127.0.0.1 %%d '%%s'",
                 t, client[i][0], t, client[i][0], t, client[i][1]);
        rc[i] = peer_tool(log, tls_store, "TSCQR", "TSCTEST", port, files[i]);
    }
    const char *plain = "storescu -v -xt -R -to 5 -aet %s -aec %s 127.0.0.1 %d '%s'";
    int rc_plain = peer_tool(log, plain, "TSCQR", "TSCTEST", port, files[3]);
    CHECK(rc[0] == 0);    /* the node, trusting us */
    CHECK(rc[1] != 0);    /* a client certificate we do not trust */
    CHECK(rc[2] != 0);    /* a client that does not trust our certificate */
    CHECK(rc_plain != 0); /* no TLS */
    CHECK(tsc__pacs_scp_close(scp) == 1);
    CHECK(!listening(port));
    size_t hidden;
    CHECK(count_files(dir, &hidden) == 1 && hidden == 0);
    globfree(&e.files);
}

/* Data sets no well-behaved SCU sends, straight onto the wire with a
 * C-STORE to our Store SCP (the fuzz target's seeds, explicit VR): a valid
 * one is written; another study, unsafe SOP Instance UIDs, no SOP Class or
 * an empty data set get a failure status; truncated, absurd lengths or
 * garbage end the association.  Nothing is written beside the one file, nothing outside
 * the cache, and the SCP serves the next association each time. */
TSC_TEST(pacs_store_scp_refuses_malformed_data_sets_and_keeps_serving)
{
    static const struct {
        const char *seed;
        int answered;    /* 1: a C-STORE response, 0: the association ended */
        unsigned status; /* when answered */
    } cases[] = {
        {"explicit", 1, 0x0000},    {"other-study", 1, 0xa900},  {"uid-slash", 1, 0xa900},
        {"uid-dots", 1, 0xa900},    {"no-sop-class", 1, 0xa900}, {"truncated", 0, 0},
        {"absurd-length", 0, 0},    {"absurd-length-ob", 0, 0},  {"empty", 1, 0xa900},
        {NULL /* garbage */, 0, 0}, {"explicit", 1, 0x0000},
    };
    const char *t = tsc_test_tmpdir();
    const char *dir = tsc_test_path("scp/cache");
    tsc_pacs_retrieve_params p = {.struct_size = sizeof p, .method = TSC_PACS_RETRIEVE_MOVE};
    tsc__pacs_scp *scp = NULL;
    int port = 0;
    tsc_error err;
    REQUIRE(scp_open(dir, &p, &scp, &port, &err) == TSC_OK);
    unsigned char garbage[5000];
    memset(garbage, 0xff, sizeof garbage);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = sizeof garbage;
        unsigned char *bytes = garbage, *seed = NULL;
        if (cases[i].seed) {
            char path[4200];
            snprintf(path, sizeof path, "%s/tests/fuzz/corpus/fuzz_pacs_receive/seed-%s.bin",
                     tsc_test_env("TSC_SOURCE_DIR", ".."), cases[i].seed);
            seed = (unsigned char *)tsc_test_read_file(path, &len);
            REQUIRE(seed && len >= 1 && seed[0] == 1); /* explicit VR */
            bytes = seed + 1;
            len--;
        }
        unsigned status = 0xffff;
        int r = raw_store("127.0.0.1", port, "TSCQR", "TSCTEST", "1.2.840.10008.5.1.4.1.1.4",
                          "1.2.3", bytes, len, &status);
        printf("%s: %s 0x%04x\n", cases[i].seed ? cases[i].seed : "garbage",
               r == 0   ? "answered"
               : r == 1 ? "association ended"
                        : "no association",
               status);
        CHECK(r == (cases[i].answered ? 0 : 1));
        if (cases[i].answered) CHECK(status == cases[i].status);
        free(seed);
    }
    CHECK(tsc__pacs_scp_close(scp) == 2); /* the valid one, twice */
    size_t hidden;
    CHECK(count_files(dir, &hidden) == 1 && hidden == 0);
    CHECK(tsc_test_system("test \"$(ls -A '%s/scp')\" = cache", t) == 0);
}

TSC_TEST_MAIN(TSC_CASE(pacs_study_sent_is_found_and_retrieved_whole),
              TSC_CASE(pacs_search_pages_and_says_when_more_match),
              TSC_CASE(pacs_retrieve_stops_at_cancel_and_at_the_instance_limit),
              TSC_CASE(pacs_network_failures_are_said_in_words),
              TSC_CASE(pacs_send_says_what_the_archive_does_not_take),
              TSC_CASE(pacs_tls_node_is_verified_and_carries_the_objects),
              TSC_CASE(pacs_client_works_against_orthanc),
              TSC_CASE(pacs_move_over_tls_from_orthanc_arrives_whole),
              TSC_CASE(pacs_study_moved_to_our_store_scp_arrives_whole),
              TSC_CASE(pacs_move_stops_at_cancel_and_at_the_instance_limit),
              TSC_CASE(pacs_store_scp_takes_only_allowed_peers_storage_and_safe_objects),
              TSC_CASE(pacs_store_scp_refuses_malformed_data_sets_and_keeps_serving),
              TSC_CASE(pacs_store_scp_speaks_tls_for_a_tls_node))
