/* The CSV reader's parts (core/data/csv.c uses them; nothing else should):
 * the byte source (csv_input.c) and the column names (csv_names.c). */
#ifndef LUNET_CSVPARTS_H
#define LUNET_CSVPARTS_H

#include <zlib.h>

/* Bytes per read and rows of the first column buffers. The fuzz build
 * (LUNET_FUZZ) makes both small, so that its small inputs reach what large
 * files do: records, quoted fields and CRLFs straddling reads, buffers growing. */
#ifndef LUNET_CSV_CHUNK
#define LUNET_CSV_CHUNK (256 * 1024)
#endif
#ifndef LUNET_CSV_FIRST_ROWS
#define LUNET_CSV_FIRST_ROWS 4096
#endif

/* path (a regular file, plain or gzip) opened for LUNET_CSV_CHUNK reads; NULL
 * with "PATH: <reason>". */
gzFile lunet_csv_open(const char *path);

/* Reads the next chunk (up to LUNET_CSV_CHUNK bytes) into buf, *n bytes; 0,
 * or -1 with a message on a read error or a truncated or corrupt .gz. */
int lunet_csv_read_chunk(gzFile gz, const char *path, char *buf, int *n);

/* names (n) = the column names of a file with n fields per record, from the
 * header texts raw (n) when header is set (malloc'ed, the caller frees them):
 * Spark's names. 0, or -1 with a message naming path when two would clash. */
int lunet_csv_names(const char *path, char *const *raw, int n, int header, char **names);

#endif
