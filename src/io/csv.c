/* SPDX-License-Identifier: BSD-3-Clause */
/* The dataset index (index.csv): RFC 4180 CSV read by header name. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "grow_private.h"
#include "tsc_io.h"

/* index.csv files are a few hundred kB; this only stops a wrong path (a
 * multi-GB file) from being slurped. */
#define CSV_MAX_BYTES (256u * 1024u * 1024u)

struct tsc_dataset {
    char *folder;               /* "" when unknown */
    size_t n_columns, n_rows;
    char **column_names;        /* n_columns */
    char **cells;               /* n_rows * n_columns, each malloc'd */
    tsc_dataset_row *rows;
    int col_id, col_label, col_label_name, col_patient, col_split;
};

void tsc_dataset_free(tsc_dataset *ds)
{
    if (!ds) return;
    if (ds->cells)
        for (size_t i = 0; i < ds->n_rows * ds->n_columns; i++) free(ds->cells[i]);
    if (ds->column_names)
        for (size_t i = 0; i < ds->n_columns; i++) free(ds->column_names[i]);
    free(ds->cells);
    free(ds->column_names);
    free(ds->rows);
    free(ds->folder);
    free(ds);
}

/* A growable list of fields for one record. */
typedef struct record {
    char **fields;
    size_t n, cap;
} record;

static void record_clear(record *r)
{
    for (size_t i = 0; i < r->n; i++) free(r->fields[i]);
    r->n = 0;
}

static int record_push(record *r, const char *text, size_t len)
{
    char **nf = tsc__grow(r->fields, &r->cap, r->n + 1, sizeof *nf, 16);
    if (!nf) return 0;
    r->fields = nf;
    char *f = malloc(len + 1);
    if (!f) return 0;
    memcpy(f, text, len);
    f[len] = '\0';
    r->fields[r->n++] = f;
    return 1;
}

/* Parses one record starting at *pos; advances past its line end.
 * Returns 1 on a record, 0 at the end of input, -1 on error (message set). */
typedef struct parser {
    const char *data;
    size_t size, pos;
    size_t line;                /* 1-based line of the record being parsed */
    char *buf;
    size_t buf_cap;
    tsc_status status;          /* why parse_record returned -1 */
} parser;

static int buf_put(parser *p, size_t *len, char c)
{
    /* Room for c and the terminating NUL. */
    char *nb = tsc__grow(p->buf, &p->buf_cap, *len + 2, 1, 256);
    if (!nb) return 0;
    p->buf = nb;
    p->buf[(*len)++] = c;
    return 1;
}

static int parse_record(parser *p, record *r, const char *name, tsc_error *err)
{
    record_clear(r);
    if (p->pos >= p->size) return 0;
    size_t start_line = p->line;
    size_t len = 0;
    int quoted = 0, was_quoted = 0;
    for (;;) {
        if (p->pos >= p->size) {
            if (quoted) {
                p->status = tsc_error_set(err, TSC_EFORMAT,
                                          "%s: line %zu: a quoted field is never closed", name,
                                          start_line);
                return -1;
            }
            if (!record_push(r, p->buf ? p->buf : "", len)) goto oom;
            return 1;
        }
        char c = p->data[p->pos++];
        if (quoted) {
            if (c == '"') {
                if (p->pos < p->size && p->data[p->pos] == '"') {
                    p->pos++;
                    if (!buf_put(p, &len, '"')) goto oom;
                } else {
                    quoted = 0;
                }
            } else {
                if (c == '\n') p->line++;
                if (!buf_put(p, &len, c)) goto oom;
            }
            continue;
        }
        if (c == '"') {
            if (len != 0 || was_quoted) {
                p->status = tsc_error_set(err, TSC_EFORMAT,
                              "%s: line %zu: a quote inside an unquoted field (quote the whole "
                              "field and double inner quotes)",
                              name, start_line);
                return -1;
            }
            quoted = was_quoted = 1;
            continue;
        }
        if (c == ',') {
            if (!record_push(r, p->buf ? p->buf : "", len)) goto oom;
            len = 0;
            was_quoted = 0;
            continue;
        }
        if (c == '\r' || c == '\n') {
            if (c == '\r' && p->pos < p->size && p->data[p->pos] == '\n') p->pos++;
            p->line++;
            if (!record_push(r, p->buf ? p->buf : "", len)) goto oom;
            return 1;
        }
        if (was_quoted) {
            p->status = tsc_error_set(err, TSC_EFORMAT, "%s: line %zu: text after a closing quote",
                                      name, start_line);
            return -1;
        }
        if (!buf_put(p, &len, c)) goto oom;
    }
oom:
    p->status = tsc_error_set(err, TSC_ENOMEM, "%s: out of memory", name);
    return -1;
}

static int is_blank_record(const record *r)
{
    return r->n == 1 && r->fields[0][0] == '\0';
}

static int find_name(char **names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0) return (int)i;
    return -1;
}

static tsc_status load(const char *data, size_t size, const char *name, const char *folder,
                       tsc_dataset **out, tsc_error *err)
{
    tsc_dataset *ds = calloc(1, sizeof *ds);
    if (!ds) return tsc_error_set(err, TSC_ENOMEM, "%s: out of memory", name);
    ds->folder = malloc(strlen(folder ? folder : "") + 1);
    if (!ds->folder) {
        free(ds);
        return tsc_error_set(err, TSC_ENOMEM, "%s: out of memory", name);
    }
    strcpy(ds->folder, folder ? folder : "");

    parser p = {data, size, 0, 1, NULL, 0, TSC_OK};
    /* A UTF-8 byte-order mark (spreadsheet exports) is not part of "id". */
    if (size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) p.pos = 3;
    record r = {NULL, 0, 0};
    tsc_status status = TSC_OK;
    size_t cap_rows = 0;

    int got = parse_record(&p, &r, name, err);
    if (got < 0) {
        status = p.status;
        goto done;
    }
    if (got == 0 || is_blank_record(&r)) {
        status = tsc_error_set(err, TSC_EFORMAT, "%s: empty file (no header line)", name);
        goto done;
    }
    ds->n_columns = r.n;
    ds->column_names = r.fields;
    r.fields = NULL;
    r.n = r.cap = 0;
    static const char *const required[] = {"id", "label", "label_name", "patient_id", "split"};
    int *cols[] = {&ds->col_id, &ds->col_label, &ds->col_label_name, &ds->col_patient,
                   &ds->col_split};
    for (size_t i = 0; i < 5; i++) {
        *cols[i] = find_name(ds->column_names, ds->n_columns, required[i]);
        if (*cols[i] < 0) {
            status = tsc_error_set(err, TSC_EFORMAT,
                                   "%s: missing column '%s' (the header needs at least "
                                   "id,label,label_name,patient_id,split)",
                                   name, required[i]);
            goto done;
        }
    }
    for (size_t i = 0; i < ds->n_columns; i++)
        for (size_t j = i + 1; j < ds->n_columns; j++)
            if (strcmp(ds->column_names[i], ds->column_names[j]) == 0) {
                status = tsc_error_set(err, TSC_EFORMAT, "%s: column '%s' appears twice", name,
                                       ds->column_names[i]);
                goto done;
            }

    for (;;) {
        size_t line = p.line;
        got = parse_record(&p, &r, name, err);
        if (got < 0) {
            status = p.status;
            goto done;
        }
        if (got == 0) break;
        if (is_blank_record(&r)) continue;
        if (r.n != ds->n_columns) {
            status = tsc_error_set(err, TSC_EFORMAT,
                                   "%s: line %zu has %zu fields, the header has %zu", name, line,
                                   r.n, ds->n_columns);
            goto done;
        }
        if (ds->n_rows == cap_rows) {
            size_t nc = cap_rows ? cap_rows * 2 : 256;
            char **ncells = realloc(ds->cells, nc * ds->n_columns * sizeof *ncells);
            if (!ncells) {
                status = tsc_error_set(err, TSC_ENOMEM, "%s: out of memory", name);
                goto done;
            }
            ds->cells = ncells;
            cap_rows = nc;
        }
        const char *label = r.fields[ds->col_label];
        char *end;
        errno = 0;
        long v = strtol(label, &end, 10);
        if (!*label || *end || errno || v < INT_MIN || v > INT_MAX) {
            status = tsc_error_set(err, TSC_EFORMAT, "%s: line %zu: label '%s' is not an integer",
                                   name, line, label);
            goto done;
        }
        if (!*r.fields[ds->col_id]) {
            status = tsc_error_set(err, TSC_EFORMAT, "%s: line %zu: empty id", name, line);
            goto done;
        }
        memcpy(ds->cells + ds->n_rows * ds->n_columns, r.fields, r.n * sizeof *r.fields);
        r.n = 0; /* ownership moved to cells */
        ds->n_rows++;
    }

    ds->rows = calloc(ds->n_rows ? ds->n_rows : 1, sizeof *ds->rows);
    if (!ds->rows) {
        status = tsc_error_set(err, TSC_ENOMEM, "%s: out of memory", name);
        goto done;
    }
    for (size_t i = 0; i < ds->n_rows; i++) {
        char **row = ds->cells + i * ds->n_columns;
        ds->rows[i].id = row[ds->col_id];
        ds->rows[i].label = (int)strtol(row[ds->col_label], NULL, 10);
        ds->rows[i].label_name = row[ds->col_label_name];
        ds->rows[i].patient_id = row[ds->col_patient];
        ds->rows[i].split = row[ds->col_split];
    }

done:
    record_clear(&r);
    free(r.fields);
    free(p.buf);
    if (status != TSC_OK) {
        tsc_dataset_free(ds);
        return status;
    }
    *out = ds;
    return TSC_OK;
}

tsc_status tsc_dataset_load_memory(const char *data, size_t size, const char *folder,
                                   tsc_dataset **out, tsc_error *err)
{
    TSC_ASSERT(out && (data || size == 0));
    *out = NULL;
    return load(data, size, "index.csv", folder, out, err);
}

tsc_status tsc_dataset_load(const char *path, tsc_dataset **out, tsc_error *err)
{
    TSC_ASSERT(path && out);
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        return tsc_error_set(err, errno == ENOENT ? TSC_ENOTFOUND : TSC_EIO, "%s: %s", path,
                             strerror(errno));
    /* A folder means its index.csv. */
    char *csv_path = NULL, *folder = NULL;
    size_t n = strlen(path);
    if (S_ISDIR(st.st_mode)) {
        csv_path = malloc(n + 12);
        folder = malloc(n + 1);
        if (csv_path) snprintf(csv_path, n + 12, "%s/index.csv", path);
        if (folder) strcpy(folder, path);
    } else {
        csv_path = malloc(n + 1);
        folder = malloc(n + 2);
        if (csv_path) strcpy(csv_path, path);
        if (folder) {
            const char *slash = strrchr(path, '/');
            if (slash) {
                size_t k = slash == path ? 1 : (size_t)(slash - path);
                memcpy(folder, path, k);
                folder[k] = '\0';
            } else {
                strcpy(folder, ".");
            }
        }
    }
    if (!csv_path || !folder) {
        free(csv_path);
        free(folder);
        return tsc_error_set(err, TSC_ENOMEM, "%s: out of memory", path);
    }
    tsc_status status = TSC_OK;
    char *data = NULL;
    FILE *fp = fopen(csv_path, "rb");
    if (!fp) {
        status = tsc_error_set(err, errno == ENOENT ? TSC_ENOTFOUND : TSC_EIO, "%s: %s",
                               csv_path, strerror(errno));
        goto out;
    }
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        status = tsc_error_set(err, TSC_EIO, "%s: not a regular file", csv_path);
        goto out;
    }
    if ((uint64_t)st.st_size > CSV_MAX_BYTES) {
        status = tsc_error_set(err, TSC_ELIMIT, "%s: %lld bytes is too large for a dataset index",
                               csv_path, (long long)st.st_size);
        goto out;
    }
    size_t size = (size_t)st.st_size;
    data = malloc(size ? size : 1);
    if (!data) {
        status = tsc_error_set(err, TSC_ENOMEM, "%s: out of memory", csv_path);
        goto out;
    }
    if (fread(data, 1, size, fp) != size) {
        status = tsc_error_set(err, TSC_EIO, "%s: read error", csv_path);
        goto out;
    }
    status = load(data, size, csv_path, folder, out, err);
out:
    if (fp) fclose(fp);
    free(data);
    free(csv_path);
    free(folder);
    return status;
}

size_t tsc_dataset_n_rows(const tsc_dataset *ds)
{
    TSC_ASSERT(ds);
    return ds->n_rows;
}

const tsc_dataset_row *tsc_dataset_get_row(const tsc_dataset *ds, size_t row)
{
    TSC_ASSERT(ds && row < ds->n_rows);
    return &ds->rows[row];
}

size_t tsc_dataset_n_columns(const tsc_dataset *ds)
{
    TSC_ASSERT(ds);
    return ds->n_columns;
}

const char *tsc_dataset_get_column_name(const tsc_dataset *ds, size_t column)
{
    TSC_ASSERT(ds && column < ds->n_columns);
    return ds->column_names[column];
}

int tsc_dataset_find_column(const tsc_dataset *ds, const char *name)
{
    TSC_ASSERT(ds && name);
    return find_name(ds->column_names, ds->n_columns, name);
}

const char *tsc_dataset_get_value(const tsc_dataset *ds, size_t row, size_t column)
{
    TSC_ASSERT(ds && row < ds->n_rows && column < ds->n_columns);
    return ds->cells[row * ds->n_columns + column];
}

static char *dup_path(const tsc_dataset *ds, size_t row, const char *sub)
{
    TSC_ASSERT(ds && row < ds->n_rows);
    const char *folder = ds->folder[0] ? ds->folder : ".";
    size_t n = strlen(folder) + strlen(sub) + strlen(ds->rows[row].id) + 8;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s/%s.png", folder, sub, ds->rows[row].id);
    return p;
}

char *tsc_dataset_dup_image_path(const tsc_dataset *ds, size_t row)
{
    return dup_path(ds, row, "images");
}

char *tsc_dataset_dup_mask_path(const tsc_dataset *ds, size_t row)
{
    return dup_path(ds, row, "masks");
}
