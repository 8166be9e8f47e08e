/* SPDX-License-Identifier: BSD-3-Clause */
/* A minimal unit-test harness: each test file defines cases with TSC_TEST,
 * lists them in TSC_TEST_MAIN, and ctest runs one case per process
 * (`exe case_name`).  Exit 0 pass, 1 fail, 77 skip (with a printed reason). */
#ifndef TSC_TEST_H
#define TSC_TEST_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*tsc_test_fn)(void);
typedef struct tsc_test_case {
    const char *name;
    tsc_test_fn fn;
} tsc_test_case;

extern int tsc_test_failures;

int tsc_test_run(int argc, char **argv, const tsc_test_case *cases, size_t n);
/* Prints the reason and exits with the skip code 77. */
void tsc_test_skip(const char *fmt, ...);
/* Returns the environment variable or a fallback (never NULL). */
const char *tsc_test_env(const char *name, const char *fallback);
/* A fresh, empty temporary directory for this case (removed by the OS /tmp policy). */
const char *tsc_test_tmpdir(void);
/* A path inside tsc_test_tmpdir() (printf-style name); it stays valid until
 * the process exits. */
const char *tsc_test_path(const char *fmt, ...);
/* Runs a shell command (printf-style, up to 16 KiB) through system();
 * returns its exit status, or -1 when it did not exit normally. */
int tsc_test_system(const char *fmt, ...);
/* Like tsc_test_system, with the command's stdout and stderr copied into
 * `out` (at most cap - 1 bytes, NUL-terminated) for the case to inspect. */
int tsc_test_system_output(char *out, size_t cap, const char *fmt, ...);
/* The program bin/NAME of the build (TSC_BUILD_DIR); skips the case when it
 * is not built.  The path stays valid until the case ends. */
const char *tsc_test_program(const char *name);
/* Sanitized builds: LeakSanitizer's tracer can crash reading the dynamic
 * thread-local storage of a host that has dlopen()ed the plugin and run the
 * engine (tests/CMakeLists.txt): the CLI children of a case skip TLS in
 * their leak checks, by :use_tls=0 on the LSAN_OPTIONS they inherit.  The
 * calling process parsed its own options at start-up and keeps scanning
 * TLS (a test that links DCMTK needs it: oflog's buffers live there). */
void tsc_test_children_skip_tls_in_leak_checks(void);
/* A loopback TCP port nothing listens on at the time of asking (for a
 * server a test starts). */
int tsc_test_free_port(void);
/* A whole file, NUL-terminated past its `*len` bytes (len may be NULL), or
 * NULL when it cannot be read; the caller frees it. */
char *tsc_test_read_file(const char *path, size_t *len);
/* Writes the text printf-style `fmt` makes into `path`, replacing the file;
 * the case fails and stops when it cannot. */
void tsc_test_write_file(const char *path, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* How many entries a directory holds besides . and .. (0 when it cannot be
 * opened). */
size_t tsc_test_count_entries(const char *dir);
/* The phantom model of tests/analysis/fixtures copied into the case's
 * folder, its manifest edited by the sed script `edit` (NULL: as shipped);
 * returns the manifest's path, valid until the process exits.  Each call
 * writes a manifest of its own next to one shared copy of the ONNX file. */
const char *tsc_test_phantom_model(const char *edit);
/* A sed script for tsc_test_phantom_model: the scope block of an axial-only
 * T1/T2/FLAIR MR model, 0.15-1.6 mm pixels, at least 128 pixels a side. */
#define TSC_TEST_AXIAL_MR_SCOPE                                                                    \
    "s|\"temperature\": 1.0|\"scope\": {\"modalities\": [\"MR\"], \"planes\": [\"axial\"], "       \
    "\"sequences\": [\"T1\", \"T1 post-contrast\", \"T2\", \"FLAIR\"], \"max_oblique_deg\": 25, "  \
    "\"pixel_spacing_mm\": [0.15, 1.6], \"min_matrix\": 128}, \"temperature\": 1.0|"
/* A folder inside tsc_test_tmpdir() (printf-style name), made when missing;
 * the path stays valid until the process exits. */
const char *tsc_test_folder(const char *fmt, ...);
/* Seconds on the monotonic clock, for timings. */
double tsc_test_seconds(void);
/* Reproducible random numbers (xorshift64) from a state the case seeds:
 * uniform in [0, 1) and standard normal. */
double tsc_test_uniform(uint64_t *state);
double tsc_test_gauss(uint64_t *state);

#ifdef __cplusplus
}

#include <string>

/* The same helpers for the test files written in C++. */
namespace tsc_test
{

inline int run(const std::string &cmd)
{
    return tsc_test_system("%s", cmd.c_str());
}

/* A whole file, or "" when it cannot be read. */
inline std::string slurp(const std::string &path)
{
    size_t n = 0;
    char *b = tsc_test_read_file(path.c_str(), &n);
    std::string s = b ? std::string(b, n) : std::string();
    free(b);
    return s;
}

inline std::string tmp(const std::string &name)
{
    return tsc_test_folder("%s", name.c_str());
}

} // namespace tsc_test
#endif

#define TSC_TEST(name) static void name(void)
#define TSC_CASE(name) {#name, name}
#define TSC_TEST_MAIN(...)                                                       \
    int main(int argc, char **argv)                                              \
    {                                                                            \
        static const tsc_test_case cases[] = {__VA_ARGS__};                      \
        return tsc_test_run(argc, argv, cases, sizeof cases / sizeof cases[0]); \
    }

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            tsc_test_failures++;                                                 \
        }                                                                        \
    } while (0)

#define REQUIRE(cond)                                                            \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: REQUIRE failed: %s\n", __FILE__, __LINE__, #cond); \
            exit(1);                                                             \
        }                                                                        \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                    \
    do {                                                                         \
        double a_ = (double)(a), b_ = (double)(b), t_ = (double)(tol);           \
        if (!(fabs(a_ - b_) <= t_)) {                                            \
            fprintf(stderr, "%s:%d: CHECK_NEAR failed: %s = %.9g, %s = %.9g, tol %.3g\n", \
                    __FILE__, __LINE__, #a, a_, #b, b_, t_);                     \
            tsc_test_failures++;                                                 \
        }                                                                        \
    } while (0)

#define CHECK_STATUS(expr, expected)                                             \
    do {                                                                         \
        int got_ = (int)(expr);                                                  \
        if (got_ != (int)(expected)) {                                           \
            fprintf(stderr, "%s:%d: %s returned %d, expected %d (%s)\n", __FILE__, __LINE__, \
                    #expr, got_, (int)(expected), #expected);                    \
            tsc_test_failures++;                                                 \
        }                                                                        \
    } while (0)

#endif
