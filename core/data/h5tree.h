/* Any HDF5 file as a tree of groups, datasets and attributes, read and
 * written generically (Keras model and weight files: lua/lunet/keras reads
 * and writes their layouts over this). h5tree.c opens and walks, h5tree_value.c
 * reads attributes and datasets, h5tree_write.c writes; they are, with
 * h5file.c, the only files that include <hdf5.h>.
 *
 * Paths are "/"-separated from the root ("model_weights/dense_1"; "" and "/"
 * are the root). Errors: lunet_fail, -1/NULL, naming the file (its path, or
 * the display name of a file held in memory) and the object:
 * "f.h5: no object 'model_weights/dense_1'". libhdf5's own error printing is
 * silenced. External links are not followed (a file names no other file). */
#ifndef LUNET_H5TREE_H
#define LUNET_H5TREE_H

#include <stddef.h>
#include <stdint.h>

#include "tensor.h"

typedef struct lunet_h5tree lunet_h5tree_t;

typedef enum { LUNET_H5_NONE = 0, LUNET_H5_GROUP = 1, LUNET_H5_DATASET = 2 } lunet_h5obj_t;

/* Opens path read-only. The file is first walked whole in a child process
 * (h5guard.h: every group listed, every attribute and dataset read), so that
 * a file libhdf5 crashes on is an error here ("<path>: libhdf5 crashed
 * reading the file ..."), and nothing done later on the tree meets code the
 * child did not survive. "<path>: not an HDF5 file" for other files. */
lunet_h5tree_t *lunet_h5tree_open(const char *path);
/* The same for a file held in memory (len bytes, copied: the caller may free
 * bytes at once), named display_name in errors (e.g. "m.keras:
 * model.weights.h5"). */
lunet_h5tree_t *lunet_h5tree_open_bytes(const void *bytes, size_t len, const char *display_name);
/* The same without the child (the walk a child does is lunet_h5tree_walk). */
lunet_h5tree_t *lunet_h5tree_open_in_process(const char *path, const void *bytes, size_t len,
                                             const char *name);
/* Visits every group (listing it), object (its attributes) and dataset
 * (shape, read) reachable from the root, each object once, going on after
 * an error. 0, or -1 when something failed (the last message). */
int lunet_h5tree_walk(lunet_h5tree_t *t);
/* NULL is a no-op. */
void lunet_h5tree_free(lunet_h5tree_t *t);
/* The name errors use (borrowed). */
const char *lunet_h5tree_name(const lunet_h5tree_t *t);

/* What is at path: LUNET_H5_GROUP, LUNET_H5_DATASET or LUNET_H5_NONE (nothing,
 * a dangling link, or a named datatype). */
lunet_h5obj_t lunet_h5tree_kind(lunet_h5tree_t *t, const char *path);

typedef struct {
  char *name;         /* the link's name in its group */
  lunet_h5obj_t kind; /* GROUP or DATASET */
} lunet_h5entry_t;
/* The groups and datasets in the group at path, in name order (links to
 * anything else are left out), as *n entries in *out (owned by the caller:
 * lunet_h5tree_entries_free). 0 or -1 ("<f>: 'x' is a dataset, not a group"). */
int lunet_h5tree_list(lunet_h5tree_t *t, const char *path, lunet_h5entry_t **out, int64_t *n);
void lunet_h5tree_entries_free(lunet_h5entry_t *e, int64_t n);

/* An attribute's value: a scalar (list == 0, n == 1) or a 1-D array (list
 * == 1, n >= 0) of strings (fixed or variable length, any padding: the bytes
 * up to the first NUL), integers (any integer class; unsigned values above
 * INT64_MAX saturate), floats (any float class) or booleans (h5py's enum). */
typedef enum { LUNET_H5V_STRING, LUNET_H5V_INTEGER, LUNET_H5V_FLOAT, LUNET_H5V_BOOLEAN } lunet_h5vtype_t;
typedef struct {
  lunet_h5vtype_t type;
  int list;
  int64_t n;
  char **strings;    /* (n) STRING */
  int64_t *integers; /* (n) INTEGER, BOOLEAN (0 or 1) */
  double *floats;    /* (n) FLOAT */
} lunet_h5value_t;
void lunet_h5value_clear(lunet_h5value_t *v);

/* The names of the attributes of the object at path, in name order (*names
 * owned by the caller: free each, then the array). 0 or -1. */
int lunet_h5tree_attr_names(lunet_h5tree_t *t, const char *path, char ***names, int64_t *n);
/* Reads attribute name of the object at path into v (cleared first; the
 * caller clears it after). 1, 0 when the object has no such attribute, -1
 * ("<f>: attribute 'x' of 'g' is a compound; ..." for a type this does not
 * read, and for arrays of more than one dimension). */
int lunet_h5tree_attr(lunet_h5tree_t *t, const char *path, const char *name, lunet_h5value_t *v);

/* The dataset's shape (rank 0 gives ndim 1, shape {1}). 0 or -1 (not a
 * dataset, more than 4 dimensions, a type other than integer or float). */
int lunet_h5tree_shape(lunet_h5tree_t *t, const char *path, int *ndim, int64_t shape[LUNET_MAX_DIMS]);
/* The dataset as a new float32 tensor of its shape (libhdf5 converts any
 * integer or float type: float16, float64, int64 ...). Sizes are checked
 * before anything is allocated: the data must fit the file (or, compressed,
 * at most 1100 times what it stores, deflate's bound), except for up to
 * 64 MiB of fill values. */
lunet_tensor_t *lunet_h5tree_read(lunet_h5tree_t *t, const char *path);

/* ---- writing (h5tree_write.c) ---- */

typedef struct lunet_h5writer lunet_h5writer_t;
/* A new file for path: written to a temporary file beside it (core/file.h),
 * which replaces path at lunet_h5writer_commit; lunet_h5writer_free before
 * that removes it. Layouts are h5py 3.x's. */
lunet_h5writer_t *lunet_h5writer_new(const char *path);
/* Makes group path (and its missing parents); an existing group is fine. */
int lunet_h5writer_group(lunet_h5writer_t *w, const char *path);
/* Sets attribute name of the group or dataset at path (replacing it), as
 * h5py writes a Python value: STRING scalar -> variable-length UTF-8 string;
 * STRING list -> fixed-length NUL-padded byte strings of the longest one's
 * length (numpy 'S'); INTEGER -> int64, FLOAT -> float64, scalar or 1-D; an
 * empty list -> an empty float64 array (what numpy makes of []). A fixed
 * array over 64512 bytes (Keras' HDF5_OBJECT_HEADER_LIMIT) is an error: the
 * caller splits it as Keras does (name0, name1, ...). */
int lunet_h5writer_attr(lunet_h5writer_t *w, const char *path, const char *name, const lunet_h5value_t *v);
/* A float32 dataset of x's shape at path (missing groups made). */
int lunet_h5writer_write(lunet_h5writer_t *w, const char *path, const lunet_tensor_t *x);
/* A scalar int64 dataset at path (Keras' optimizer iteration count). */
int lunet_h5writer_write_int64(lunet_h5writer_t *w, const char *path, int64_t value);
/* Closes the file and renames it over the path. 0 or -1 (nothing left). The
 * writer is finished either way (free it). */
int lunet_h5writer_commit(lunet_h5writer_t *w);
/* Removes an uncommitted file; NULL is a no-op. */
void lunet_h5writer_free(lunet_h5writer_t *w);
/* The path the writer writes (borrowed). */
const char *lunet_h5writer_path(const lunet_h5writer_t *w);

#endif
