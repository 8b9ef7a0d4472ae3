/* HDF5 files of numeric datasets for lunet.data (read_hdf5, scan_hdf5,
 * write_hdf5): rows are a dataset's first dimension; a rank-1 dataset is an
 * integer or double column, a rank-2 (rows, d) one a float32 vector column of
 * width d. Reads go by row ranges (hyperslabs), so a shard's reader holds one
 * chunk. Named h5file, not hdf5, so that <hdf5.h> stays libhdf5's; h5file.c is
 * the only file that includes it. Errors: lunet_fail, -1/NULL; libhdf5's own
 * error printing is silenced (a bad file is an error message, never a crash
 * or a stack dump on stderr). */
#ifndef LUNET_H5FILE_H
#define LUNET_H5FILE_H

#include <stdint.h>

#include "column.h"

typedef enum { LUNET_H5_INTEGER, LUNET_H5_DOUBLE, LUNET_H5_VECTOR } lunet_h5kind_t;

typedef struct {
  char *name;           /* as given, or the link name at the root */
  lunet_h5kind_t kind;  /* integer class -> INTEGER, float class -> DOUBLE (rank 1); rank 2 -> VECTOR */
  int64_t rows;         /* first dimension */
  int64_t width;        /* second dimension (VECTOR), 1 otherwise */
} lunet_h5dataset_t;

typedef struct lunet_h5file lunet_h5file_t;

/* Opens path read-only with the datasets named (n > 0; paths such as "x" or
 * "group/x"), or with every numeric dataset at the root in the order of their
 * names (n == 0; other objects are passed over). Checks that each is of an
 * integer or float class, of rank 1 or 2, and that all have the same first
 * dimension. NULL with "<path>: dataset 'x' is a string dataset; <where>
 * reads numeric datasets" and the like (where names the caller's function). */
lunet_h5file_t *lunet_h5file_open(const char *path, const char *const *datasets, int n, const char *where);
void lunet_h5file_free(lunet_h5file_t *f);

int lunet_h5file_count(const lunet_h5file_t *f);
/* The i-th dataset (0-based, borrowed until the file is freed). */
const lunet_h5dataset_t *lunet_h5file_dataset(const lunet_h5file_t *f, int i);

/* A new column of rows first..first+count-1 of dataset i (a hyperslab read:
 * libhdf5 converts the stored type to float64, or to float32 for vectors). */
lunet_column_t *lunet_h5file_read(lunet_h5file_t *f, int i, int64_t first, int64_t count);

/* Writes n columns as datasets of the root of a new file at path, replacing
 * it atomically (core/file.h). integer -> int64 (float64 when it holds a NaN,
 * a missing value int64 cannot hold), double -> float64, float -> float32
 * (rows), vector -> float32 (rows, d). Strings, vectors of more than one
 * dimension per row and names with '/' (a group path to HDF5) are errors. */
int lunet_h5_write(const char *path, int n, const char *const *names, lunet_column_t *const *cols);

#endif
