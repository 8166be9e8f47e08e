/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Several Orthanc nodes with our plugin on one PostgreSQL index and one
 * storage folder (docs/PACS.md, "Several nodes"): each series is analysed
 * exactly once across the cluster, also when a front Orthanc routes the
 * instances to the nodes, and a killed node's claimed series are finished by
 * another node once its lease runs out.
 *
 * Each case starts its own PostgreSQL (initdb and postgres in a temporary
 * folder, as `nobody` when the test runs as root: initdb refuses root) and
 * its Orthanc nodes on free loopback ports; all are stopped at the end, also
 * when a check fails (atexit; PR_SET_PDEATHSIG if the test itself is killed).
 * Skips (77) when Orthanc, orthanc-postgresql or PostgreSQL are missing. */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <glob.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "orthanc_harness.h"
#include "tsc_test.h"

#define MAX_NODES 3 /* two analysis nodes, and the front of the routing case */
#define FRONT 2

static char orthanc_bin[512], plugin_so[2048], index_so[512], pg_bin[512], samples[2048],
    model[2048];
static pid_t pg_pid = -1;
static int pg_port;
static uid_t pg_uid;
static gid_t pg_gid;

typedef struct node {
    pid_t pid;
    int http_port, dicom_port;
    char log[4200];
} node;
static node nodes[MAX_NODES] = {{.pid = -1}, {.pid = -1}, {.pid = -1}};

static void stop_all(void)
{
    for (int i = 0; i < MAX_NODES; i++) tsc_oh_stop(&nodes[i].pid);
    if (pg_pid > 0) {
        kill(pg_pid, SIGINT); /* PostgreSQL's fast shutdown */
        for (int i = 0; i < 300 && waitpid(pg_pid, NULL, WNOHANG) != pg_pid; i++) usleep(100000);
        kill(pg_pid, SIGKILL);
        waitpid(pg_pid, NULL, 0);
        pg_pid = -1;
    }
}

static int first_match(const char *pattern, char *out, size_t len)
{
    glob_t g;
    int ok = glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc > 0;
    if (ok) snprintf(out, len, "%s", g.gl_pathv[g.gl_pathc - 1]); /* the newest version */
    globfree(&g);
    return ok;
}

static void setup(void)
{
    const char *bin = tsc_oh_orthanc_bin();
    if (!bin) tsc_test_skip("the Orthanc binary is not installed (Debian package orthanc)");
    snprintf(orthanc_bin, sizeof orthanc_bin, "%s", bin);
    if (!first_match("/usr/lib/orthanc/libOrthancPostgreSQLIndex.so*", index_so, sizeof index_so) &&
        !first_match("/usr/share/orthanc/plugins/libOrthancPostgreSQLIndex.so", index_so,
                     sizeof index_so))
        tsc_test_skip("orthanc-postgresql is not installed (Debian package orthanc-postgresql); "
                      "the multi-node setup is not tested");
    if (!first_match("/usr/lib/postgresql/*/bin/postgres", pg_bin, sizeof pg_bin))
        tsc_test_skip("PostgreSQL is not installed (Debian package postgresql-15)");
    *strrchr(pg_bin, '/') = 0; /* the folder of initdb, postgres, pg_isready */
    snprintf(plugin_so, sizeof plugin_so, "%s/lib/libtumorscope-orthanc.so",
             tsc_test_env("TSC_BUILD_DIR", "."));
    if (access(plugin_so, R_OK) != 0) tsc_test_skip("%s is not built", plugin_so);
    snprintf(samples, sizeof samples, "%s/sample_dicom/03-synthetic-lesion/t1-post-contrast",
             tsc_test_env("TSC_SOURCE_DIR", ".."));
    if (access(samples, R_OK) != 0) tsc_test_skip("%s not found", samples);
    /* The phantom test model: these cases check claims, leases and routing,
     * not verdicts, and it analyses a series with a seventh of the shipped
     * model's CPU time (test_orthanc.c runs the shipped model). */
    snprintf(model, sizeof model, "%s/tests/analysis/fixtures/phantom-model.json",
             tsc_test_env("TSC_SOURCE_DIR", ".."));
    if (access(model, R_OK) != 0) tsc_test_skip("%s not found", model);
    if (tsc_test_env("TSC_SANITIZED", "")[0])
        tsc_test_skip("sanitized build: Debian's Orthanc cannot load an instrumented plugin; "
                      "run `ctest -L pacs` in a plain build");
    if (tsc_test_system("command -v dcmodify >/dev/null 2>&1") != 0)
        tsc_test_skip("dcmodify (Debian package dcmtk) is not installed");
    /* PostgreSQL refuses to run as root: as nobody then. */
    pg_uid = getuid();
    pg_gid = getgid();
    if (pg_uid == 0) {
        struct passwd *pw = getpwnam("nobody");
        if (!pw) tsc_test_skip("running as root and there is no user nobody to run PostgreSQL as");
        pg_uid = pw->pw_uid;
        pg_gid = pw->pw_gid;
    }
    atexit(stop_all);
    /* Lines, not a buffer that forked children would write out again. */
    setvbuf(stdout, NULL, _IOLBF, 0);
}

/* Runs a PostgreSQL program as pg_uid; waits for it unless `background`. */
static pid_t run_pg(int background, const char *log, char *const argv[])
{
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        if (getuid() == 0 && (setgroups(0, NULL) || setgid(pg_gid) || setuid(pg_uid))) _exit(125);
        /* After setuid, which clears it: PostgreSQL dies with the test. */
        prctl(PR_SET_PDEATHSIG, SIGINT);
        if (!freopen(log, "a", stdout) || !freopen(log, "a", stderr)) _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    if (background) return pid;
    int st = 0;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        tsc_test_system("tail -20 '%s' >&2", log);
        REQUIRE(!"a PostgreSQL program failed");
    }
    return -1;
}

/* A PostgreSQL of our own in dir/pg on a free loopback port, superuser "tsc";
 * TCP only (a socket path in a deep temporary folder can pass the 107-byte
 * limit of Unix sockets). */
static void start_postgres(const char *dir)
{
    char data[4200], log[4200], exe[1024], port[16];
    snprintf(data, sizeof data, "%s/pg", dir);
    snprintf(log, sizeof log, "%s/postgres.log", dir);
    REQUIRE(mkdir(data, 0700) == 0);
    /* nobody must reach the folder and own the data directory and the log. */
    REQUIRE(chmod(dir, 0755) == 0);
    FILE *f = fopen(log, "w");
    REQUIRE(f);
    fclose(f);
    REQUIRE(chown(data, pg_uid, pg_gid) == 0 && chown(log, pg_uid, pg_gid) == 0);
    snprintf(exe, sizeof exe, "%s/initdb", pg_bin);
    run_pg(0, log,
           (char *[]){exe, "-D", data, "-U", "tsc", "--auth=trust", "-E", "UTF8", "--no-sync",
                      "--no-instructions", NULL});
    pg_port = tsc_test_free_port();
    snprintf(port, sizeof port, "%d", pg_port);
    snprintf(exe, sizeof exe, "%s/postgres", pg_bin);
    pg_pid = run_pg(1, log,
                    (char *[]){exe, "-D", data, "-p", port, "-c", "listen_addresses=127.0.0.1",
                               "-c", "unix_socket_directories=", "-c", "fsync=off", "-c",
                               "max_connections=50", NULL});
    for (int i = 0; i < 150; i++) { /* up to 15 s */
        if (tsc_test_system("'%s/pg_isready' -q -h 127.0.0.1 -p %d", pg_bin, pg_port) == 0) return;
        if (waitpid(pg_pid, NULL, WNOHANG) == pg_pid) {
            pg_pid = -1;
            break;
        }
        usleep(100000);
    }
    tsc_test_system("tail -20 '%s' >&2", log);
    REQUIRE(!"PostgreSQL did not start");
}

/* Node k: our plugin (its "Tumorscope" section `tumorscope`, with the
 * phantom model) and the PostgreSQL index, shared storage dir/storage. */
static void start_node(const char *dir, int k, int stable_age, const char *tumorscope)
{
    node *n = &nodes[k];
    char cfg[4200];
    cJSON *ts = cJSON_Parse(tumorscope);
    REQUIRE(ts && cJSON_AddStringToObject(ts, "Model", model));
    char *ts_text = cJSON_PrintUnformatted(ts);
    cJSON_Delete(ts);
    REQUIRE(ts_text);
    n->http_port = tsc_test_free_port();
    snprintf(cfg, sizeof cfg, "%s/node-%c.json", dir, 'a' + k);
    snprintf(n->log, sizeof n->log, "%s/node-%c.log", dir, 'a' + k);
    FILE *f = fopen(cfg, "w");
    REQUIRE(f);
    fprintf(f,
            "{\n \"Name\": \"tumorscope-node-%c\", \"HttpPort\": %d, \"DicomPort\": %d,\n"
            " \"DicomAet\": \"TSCNODE%c\", \"StorageDirectory\": \"%s/storage\",\n"
            " \"IndexDirectory\": \"%s/index-%c\", \"RemoteAccessAllowed\": false,\n"
            " \"AuthenticationEnabled\": false, \"StableAge\": %d, \"SaveJobs\": false,\n"
            " \"CheckRevisions\": true, \"DatabaseServerIdentifier\": \"node-%c\",\n"
            " \"Plugins\": [\"%s\", \"%s\"],\n"
            " \"PostgreSQL\": {\"EnableIndex\": true, \"EnableStorage\": false, \"Lock\": false,\n"
            "   \"Host\": \"127.0.0.1\", \"Port\": %d, \"Database\": \"postgres\", \"Username\": "
            "\"tsc\",\n"
            "   \"IndexConnectionsCount\": 2},\n"
            " \"Tumorscope\": %s\n}\n",
            'a' + k, n->http_port, tsc_test_free_port(), 'A' + k, dir, dir, 'a' + k, stable_age,
            'a' + k, index_so, plugin_so, pg_port, ts_text);
    fclose(f);
    free(ts_text);
    n->pid = tsc_oh_start(orthanc_bin, cfg, n->log, n->http_port);
    cJSON *sys = tsc_oh_get_json(n->http_port, "/system");
    REQUIRE(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sys, "CheckRevisions")));
    REQUIRE(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(sys, "DatabaseBackendPlugin")));
    cJSON_Delete(sys);
}

/* n copies of the sample series in dir/series-<i>, each with new Study,
 * Series and SOP Instance UIDs (the sources are never touched) and only
 * `slices` slices, so that the cases stay short.  One dcmodify per series
 * (-gin gives each file its own UID): a dcmodify per file made the 20
 * series take 60 s on a loaded 2-core machine. */
static void make_series(const char *dir, int n, int slices)
{
    for (int i = 0; i < n; i++) {
        REQUIRE(tsc_test_system(
                    "d='%s/series-%d' && mkdir -p \"$d\" && "
                    "ls '%s'/*.dcm | head -n %d | xargs -I{} cp {} \"$d/\" && "
                    "dcmodify -nb -m '(0020,000d)=2.25.%ld%03d1' -m '(0020,000e)=2.25.%ld%03d2' "
                    "-gin \"$d\"/*.dcm >/dev/null 2>&1",
                    dir, i, samples, slices, (long)time(NULL), i, (long)time(NULL), i) == 0);
    }
}

/* POSTs the files of dir/<name> to node k; returns their Orthanc series id. */
static void upload(const char *dir, const char *name, int k, char *series, size_t len)
{
    glob_t g;
    char pattern[4300];
    snprintf(pattern, sizeof pattern, "%s/%s/*.dcm", dir, name);
    REQUIRE(glob(pattern, 0, NULL, &g) == 0);
    static char data[1 << 22];
    for (size_t f = 0; f < g.gl_pathc; f++) {
        FILE *fp = fopen(g.gl_pathv[f], "rb");
        REQUIRE(fp);
        size_t size = fread(data, 1, sizeof data, fp);
        fclose(fp);
        tsc_oh_reply r = tsc_oh_http(nodes[k].http_port, "POST", "/instances", data, size);
        REQUIRE(r.status == 200);
        cJSON *j = cJSON_Parse(r.body);
        snprintf(series, len, "%s", tsc_oh_str(j, "ParentSeries"));
        cJSON_Delete(j);
        free(r.body);
    }
    globfree(&g);
    REQUIRE(series[0]);
}

static int is_final(const char *st)
{
    return !strcmp(st, "done") || !strcmp(st, "not_analysed") || !strcmp(st, "failed");
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The longest the cluster may go without finishing a series: a dropped
 * series or a hung node stops the progress, a loaded machine only slows it
 * (one analysis took up to 16 s, the first final state 21 s, at load 9 on 2
 * cores).  No fixed deadline for the whole wait: how long 20 series take is
 * a matter of the machine; ctest's TIMEOUT bounds the case. */
#define STALL_S 90

/* Waits until every series is final, asking node k once a second about the
 * series that are not final yet (a final state stays final; the checks
 * after the wait read them all again).  Fails when none became final for
 * STALL_S seconds. */
static void wait_all_final(int k, char ids[][128], int n)
{
    static char final[64];
    REQUIRE(n <= (int)sizeof final);
    memset(final, 0, sizeof final);
    double start = now_s(), last = start, longest = 0;
    int n_final = 0;
    while (n_final < n && now_s() - last < STALL_S) {
        for (int i = 0; i < n; i++) {
            if (final[i]) continue;
            cJSON *j = tsc_oh_get_json(nodes[k].http_port, "/tumorscope/series/%s", ids[i]);
            if (is_final(tsc_oh_str(j, "state"))) {
                final[i] = 1;
                n_final++;
                if (now_s() - last > longest) longest = now_s() - last;
                last = now_s();
            }
            cJSON_Delete(j);
        }
        if (n_final < n) sleep(1);
    }
    printf("%d of %d series final after %.0f s (at most %.0f s without progress)\n", n_final, n,
           now_s() - start, n_final < n ? now_s() - last : longest);
    if (n_final == n) return;
    for (int i = 0; i < MAX_NODES; i++)
        if (nodes[i].log[0])
            tsc_test_system("echo '--- %s'; tail -15 '%s' >&2", nodes[i].log, nodes[i].log);
    REQUIRE(!"no series reached a final state for STALL_S seconds");
}

/* Series of the source's study other than the source: its results. */
static int result_series(int k, const char *series, int *n_sr)
{
    cJSON *s = tsc_oh_get_json(nodes[k].http_port, "/series/%s", series);
    REQUIRE(s);
    cJSON *all =
        tsc_oh_get_json(nodes[k].http_port, "/studies/%s/series", tsc_oh_str(s, "ParentStudy"));
    cJSON_Delete(s);
    REQUIRE(all);
    int n = 0;
    *n_sr = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, all)
    {
        if (!strcmp(tsc_oh_str(it, "ID"), series)) continue;
        n++;
        if (!strcmp(tsc_oh_str(cJSON_GetObjectItemCaseSensitive(it, "MainDicomTags"), "Modality"),
                    "SR"))
            (*n_sr)++;
    }
    cJSON_Delete(all);
    return n;
}

/* Checks, asking node k, that series `id` (number i) is done with exactly
 * one result series, an SR; copies the node that claimed it into by. */
static void check_done_once(int k, const char *id, int i, char *by, size_t len)
{
    cJSON *j = tsc_oh_get_json(nodes[k].http_port, "/tumorscope/series/%s", id);
    CHECK(!strcmp(tsc_oh_str(j, "state"), "done"));
    snprintf(by, len, "%s", tsc_oh_str(cJSON_GetObjectItemCaseSensitive(j, "claim"), "node"));
    cJSON_Delete(j);
    int n_sr, n = result_series(k, id, &n_sr);
    if (n != 1 || n_sr != 1) printf("series %d: %d result series, %d SR\n", i, n, n_sr);
    CHECK(n == 1 && n_sr == 1); /* one result, no duplicate */
}

static double status_number(int k, const char *key)
{
    cJSON *st = tsc_oh_get_json(nodes[k].http_port, "/tumorscope/status");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(st, key);
    double d = cJSON_IsNumber(v) ? v->valuedouble : -1;
    cJSON_Delete(st);
    return d;
}

/* ---- cases ---- */

#define N_SERIES 20

TSC_TEST(orthanc_two_nodes_on_one_index_analyse_each_of_20_series_once)
{
    setup();
    const char *t = tsc_test_tmpdir();
    double t0 = now_s();
    make_series(t, N_SERIES, 4);
    printf("%d series made in %.0f s\n", N_SERIES, now_s() - t0);
    start_postgres(t);
    /* Both nodes sweep every second, so besides their own stable events they
     * race for every series the other received: the claim decides. */
    const char *ts =
        "{\"Outputs\": [\"SR\"], \"Threads\": 1, \"SweepSeconds\": 1, \"SweepMinAge\": 2, "
        "\"LeaseSeconds\": 60}";
    start_node(t, 0, 2, ts);
    start_node(t, 1, 2, ts);
    printf("PostgreSQL and two nodes up after %.0f s\n", now_s() - t0);
    static char ids[N_SERIES][128];
    for (int i = 0; i < N_SERIES; i++) {
        char name[32];
        snprintf(name, sizeof name, "series-%d", i);
        upload(t, name, i % 2, ids[i], sizeof ids[i]);
    }
    printf("%d series sent after %.0f s\n", N_SERIES, now_s() - t0);
    wait_all_final(0, ids, N_SERIES);
    sleep(3); /* a few more sweeps on both nodes: nothing may start again */
    int by_node[2] = {0, 0};
    for (int i = 0; i < N_SERIES; i++) {
        char by[64];
        check_done_once(1, ids[i], i, by, sizeof by);
        if (!strcmp(by, "node-a")) by_node[0]++;
        else if (!strcmp(by, "node-b")) by_node[1]++;
    }
    double done_a = status_number(0, "done"), done_b = status_number(1, "done");
    printf("analysed by node-a %d (status %.0f), node-b %d (status %.0f)\n", by_node[0], done_a,
           by_node[1], done_b);
    CHECK(by_node[0] + by_node[1] == N_SERIES);
    CHECK(done_a + done_b == N_SERIES); /* no analysis ran twice, not even one thrown away */
    /* Both nodes worked: a node claims only what its worker is about to take. */
    CHECK(done_a >= 3 && done_b >= 3);
    CHECK(status_number(0, "failed") == 0 && status_number(1, "failed") == 0);
    /* Lost races are normal and quiet on our side; no lease expired. */
    for (int k = 0; k < 2; k++)
        CHECK(tsc_test_system("grep -q 'took over' '%s'", nodes[k].log) != 0);
}

TSC_TEST(orthanc_killed_node_claims_are_finished_by_the_other_after_the_lease)
{
    setup();
    const char *t = tsc_test_tmpdir();
    make_series(t, 4, 8);
    /* A partial result of series 3 as a dead node leaves it: same study, its
     * own series UID (modality SR, so that no node takes it for a source). */
    REQUIRE(tsc_test_system("mkdir '%s/partial' && cp '%s'/series-3/*.dcm '%s/partial/' && "
                            "dcmodify -nb -m '(0020,000e)=2.25.%ld999' -m '(0008,0060)=SR' "
                            "-gin '%s'/partial/*.dcm >/dev/null 2>&1",
                            t, t, t, (long)time(NULL), t) == 0);
    start_postgres(t);
    /* Node a claims on its stable events (2 s); node b's sweep looks only at
     * series idle for 8 s, so the fresh series are a's. */
    start_node(t, 0, 2, "{\"Outputs\": [\"SR\"], \"Threads\": 1, \"LeaseSeconds\": 4}");
    start_node(t, 1, 2,
               "{\"Outputs\": [\"SR\"], \"Threads\": 1, \"SweepSeconds\": 1, \"SweepMinAge\": 8, "
               "\"LeaseSeconds\": 4}");
    static char ids[4][128], partial_id[128];
    for (int i = 0; i < 4; i++) {
        char name[32];
        snprintf(name, sizeof name, "series-%d", i);
        upload(t, name, 0, ids[i], sizeof ids[i]);
        if (i < 3) continue;
        /* Series 3: what a node that died while storing its results leaves: a
         * stale "running" claim and a partial result series.  Written before
         * node a's stable event (2 s) can claim it. */
        char uri[512], partial[128];
        upload(t, "partial", 1, partial, sizeof partial);
        snprintf(partial_id, sizeof partial_id, "%s", partial);
        const char *forged[][2] = {{"4307", "node-x 1000"}, {"4301", "running"}};
        for (int m = 0; m < 2; m++) {
            snprintf(uri, sizeof uri, "/series/%s/metadata/%s", ids[3], forged[m][0]);
            tsc_oh_reply r =
                tsc_oh_http(nodes[1].http_port, "PUT", uri, forged[m][1], strlen(forged[m][1]));
            REQUIRE(r.status == 200);
            free(r.body);
        }
        const char *marks[][2] = {{"4301", "output"}, {"4308", ids[3]}};
        for (int m = 0; m < 2; m++) {
            snprintf(uri, sizeof uri, "/series/%s/metadata/%s", partial, marks[m][0]);
            tsc_oh_reply r =
                tsc_oh_http(nodes[1].http_port, "PUT", uri, marks[m][1], strlen(marks[m][1]));
            REQUIRE(r.status == 200);
            free(r.body);
        }
    }

    /* Kill node a (SIGKILL: no goodbye) while it holds two claims: the
     * series it analyses and the one it claimed ahead (its third series is
     * not claimed yet: node b's sweep finds it). */
    int held[3] = {0, 0, 0}, n_held = 0;
    for (int w = 0; w < 400 && n_held < 2; w++) {
        n_held = 0;
        for (int i = 0; i < 3; i++) {
            cJSON *j = tsc_oh_get_json(nodes[1].http_port, "/tumorscope/series/%s", ids[i]);
            const char *st = tsc_oh_str(j, "state");
            const char *by = tsc_oh_str(cJSON_GetObjectItemCaseSensitive(j, "claim"), "node");
            held[i] = !strcmp(by, "node-a") && (!strcmp(st, "queued") || !strcmp(st, "running"));
            n_held += held[i];
            cJSON_Delete(j);
        }
        if (n_held < 2) usleep(25000);
    }
    kill(nodes[0].pid, SIGKILL);
    waitpid(nodes[0].pid, NULL, 0);
    nodes[0].pid = -1;
    REQUIRE(n_held == 2);
    time_t killed = time(NULL);

    wait_all_final(1, ids, 4);
    printf("node-b finished node-a's series %.0f s after the kill\n", difftime(time(NULL), killed));
    CHECK(difftime(time(NULL), killed) >=
          3); /* not before the lease (4 s, to the second) ran out */
    int by_b = 0;
    for (int i = 0; i < 4; i++) {
        cJSON *j = tsc_oh_get_json(nodes[1].http_port, "/tumorscope/series/%s", ids[i]);
        CHECK(!strcmp(tsc_oh_str(j, "state"), "done"));
        int b = !strcmp(tsc_oh_str(cJSON_GetObjectItemCaseSensitive(j, "claim"), "node"), "node-b");
        by_b += b;
        if (i == 3 || held[i]) CHECK(b); /* what node a held: finished by b */
        cJSON_Delete(j);
        int n_sr, n = result_series(1, ids[i], &n_sr);
        if (n != 1 || n_sr != 1) printf("series %d: %d result series, %d SR\n", i, n, n_sr);
        CHECK(n == 1 && n_sr == 1); /* the partial one replaced, never doubled */
    }
    cJSON *p = tsc_oh_get_json(nodes[1].http_port, "/series/%s", partial_id);
    CHECK(p == NULL); /* the dead node's partial result was deleted */
    cJSON_Delete(p);
    CHECK(status_number(1, "done") == by_b); /* b analysed each of its series once */
    CHECK(by_b >= 3);
    CHECK(tsc_test_system("grep -q 'took over the claim of node node-a' '%s'", nodes[1].log) == 0);
    CHECK(tsc_test_system("grep -q 'deleted 1 result series of an interrupted analysis' '%s'",
                          nodes[1].log) == 0);
}

/* The front: a plain Orthanc (no plugin, its own SQLite index and storage)
 * that receives with C-STORE and forwards every instance to an analysis node
 * over HTTP (OrthancPeers), then deletes it: the usual Lua auto-routing.
 * Each new series goes to the next node in turn, all its instances with it,
 * so the split is fixed by the order the series arrive in. */
static void start_front(const char *dir)
{
    node *n = &nodes[FRONT];
    char cfg[4200], lua[4200];
    snprintf(lua, sizeof lua, "%s/route.lua", dir);
    FILE *f = fopen(lua, "w");
    REQUIRE(f);
    fputs("local peers = { 'node-a', 'node-b' }\n"
          "local route, turn = {}, 0\n"
          "function OnStoredInstance(instanceId, tags, metadata, origin)\n"
          "  local uid = tags['SeriesInstanceUID']\n"
          "  if route[uid] == nil then\n"
          "    route[uid] = peers[turn % #peers + 1]\n"
          "    turn = turn + 1\n"
          "  end\n"
          "  Delete(SendToPeer(instanceId, route[uid]))\n"
          "end\n",
          f);
    fclose(f);
    n->http_port = tsc_test_free_port();
    n->dicom_port = tsc_test_free_port();
    snprintf(cfg, sizeof cfg, "%s/front.json", dir);
    snprintf(n->log, sizeof n->log, "%s/front.log", dir);
    f = fopen(cfg, "w");
    REQUIRE(f);
    fprintf(f,
            "{\n \"Name\": \"tumorscope-front\", \"HttpPort\": %d, \"DicomPort\": %d,\n"
            " \"DicomAet\": \"TSCFRONT\", \"StorageDirectory\": \"%s/front-storage\",\n"
            " \"IndexDirectory\": \"%s/front-index\", \"RemoteAccessAllowed\": false,\n"
            " \"AuthenticationEnabled\": false, \"SaveJobs\": false, \"Plugins\": [],\n"
            " \"LuaScripts\": [\"%s\"],\n"
            " \"OrthancPeers\": {\"node-a\": {\"Url\": \"http://127.0.0.1:%d/\"},\n"
            "                  \"node-b\": {\"Url\": \"http://127.0.0.1:%d/\"}}\n}\n",
            n->http_port, n->dicom_port, dir, dir, lua, nodes[0].http_port, nodes[1].http_port);
    fclose(f);
    n->pid = tsc_oh_start(orthanc_bin, cfg, n->log, n->http_port);
}

/* The Orthanc id of the series in dir/<name>, once node k has it. */
static void lookup_series(const char *dir, const char *name, int k, char *id, size_t len)
{
    char cmd[4400], uid[128] = "";
    snprintf(cmd, sizeof cmd, "dcmdump -s +P 0020,000e \"$(ls '%s/%s'/*.dcm | head -n 1)\"", dir,
             name);
    FILE *p = popen(cmd, "r");
    REQUIRE(p);
    char line[512];
    if (fgets(line, sizeof line, p)) sscanf(line, "%*s UI [%127[^]]", uid);
    pclose(p);
    REQUIRE(uid[0]);
    id[0] = 0;
    for (int t = 0; t < 120 && !id[0]; t++) {
        tsc_oh_reply r = tsc_oh_http(nodes[k].http_port, "POST", "/tools/lookup", uid, strlen(uid));
        cJSON *j = r.status == 200 ? cJSON_Parse(r.body) : NULL;
        snprintf(id, len, "%s", tsc_oh_str(cJSON_GetArrayItem(j, 0), "ID"));
        cJSON_Delete(j);
        free(r.body);
        if (!id[0]) usleep(500000);
    }
    REQUIRE(id[0]);
}

#define N_ROUTED 4

TSC_TEST(orthanc_front_node_routes_series_to_two_analysis_nodes_each_analysed_once)
{
    setup();
    if (tsc_test_system("command -v storescu >/dev/null 2>&1") != 0)
        tsc_test_skip("storescu (Debian package dcmtk) is not installed");
    const char *t = tsc_test_tmpdir();
    make_series(t, N_ROUTED, 8);
    start_postgres(t);
    /* No sweep: each series is analysed by the node it was routed to, on that
     * node's stable event; the claim still guards it. */
    const char *ts = "{\"Outputs\": [\"SR\"], \"Threads\": 1, \"SweepSeconds\": 0, "
                     "\"LeaseSeconds\": 60}";
    start_node(t, 0, 2, ts);
    start_node(t, 1, 2, ts);
    start_front(t);
    /* One storescu, series after series, as a modality sends them; -xt
     * proposes JPEG-LS lossless, which storescu cannot transcode. */
    REQUIRE(
        tsc_test_system("cd '%s' && storescu -xt -aec TSCFRONT 127.0.0.1 %d "
                        "$(for i in $(seq 0 %d); do ls series-$i/*.dcm; done) >>front-scu.log 2>&1",
                        t, nodes[FRONT].dicom_port, N_ROUTED - 1) == 0);
    static char ids[N_ROUTED][128];
    for (int i = 0; i < N_ROUTED; i++) {
        char name[32];
        snprintf(name, sizeof name, "series-%d", i);
        lookup_series(t, name, 0, ids[i], sizeof ids[i]);
    }
    wait_all_final(0, ids, N_ROUTED);
    int by_node[2] = {0, 0};
    for (int i = 0; i < N_ROUTED; i++) {
        char by[64];
        check_done_once(0, ids[i], i, by, sizeof by);
        const char *routed = i % 2 ? "node-b" : "node-a"; /* the Lua script's turn */
        if (strcmp(by, routed)) printf("series %d: routed to %s, analysed by %s\n", i, routed, by);
        CHECK(!strcmp(by, routed));
        by_node[i % 2] += !strcmp(by, routed);
    }
    double done_a = status_number(0, "done"), done_b = status_number(1, "done");
    printf("analysed by node-a %d (status %.0f), node-b %d (status %.0f)\n", by_node[0], done_a,
           by_node[1], done_b);
    CHECK(done_a == N_ROUTED / 2 && done_b == N_ROUTED / 2); /* each once, both nodes worked */
    /* The front kept nothing: every instance was forwarded, then deleted. */
    cJSON *left = NULL;
    for (int w = 0; w < 60; w++) {
        cJSON_Delete(left);
        left = tsc_oh_get_json(nodes[FRONT].http_port, "/instances");
        if (cJSON_GetArraySize(left) == 0) break;
        usleep(500000);
    }
    CHECK(cJSON_IsArray(left) && cJSON_GetArraySize(left) == 0);
    cJSON_Delete(left);
}

TSC_TEST_MAIN(TSC_CASE(orthanc_two_nodes_on_one_index_analyse_each_of_20_series_once),
              TSC_CASE(orthanc_killed_node_claims_are_finished_by_the_other_after_the_lease),
              TSC_CASE(orthanc_front_node_routes_series_to_two_analysis_nodes_each_analysed_once))
