/* Reading an HDF5 tree's attributes and datasets (h5tree.h): attribute
 * values as strings, integers, floats or booleans (scalars or 1-D arrays),
 * datasets as float32 tensors through libhdf5's conversion, with sizes
 * checked before any allocation (a hostile file can claim 2^60 elements). */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "h5tree_int.h"
#include "h5types.h"

#define ATTR_MAX_ELEMENTS (1 << 24)
#define ATTR_MAX_BYTES ((size_t)1 << 28)
#define FILL_MAX_BYTES ((uint64_t)64 << 20)
#define DEFLATE_RATIO 1100 /* deflate expands at most ~1032:1 */

void lunet_h5value_clear(lunet_h5value_t *v) {
  if (v->strings)
    for (int64_t i = 0; i < v->n; i++) free(v->strings[i]);
  free(v->strings);
  free(v->integers);
  free(v->floats);
  memset(v, 0, sizeof *v);
}

typedef struct { char **names; int64_t n, cap; int failed; } names_t;

static herr_t add_name(hid_t loc, const char *name, const H5A_info_t *info, void *arg) {
  names_t *a = arg;
  if (a->n == a->cap) {
    int64_t cap = a->cap ? a->cap * 2 : 8;
    char **s = cap <= ATTR_MAX_ELEMENTS ? realloc(a->names, (size_t)cap * sizeof *s) : NULL;
    if (!s) { a->failed = 1; return -1; }
    a->names = s, a->cap = cap;
  }
  size_t len = strlen(name);
  char *d = lunet_malloc(len + 1);
  if (!d) { a->failed = 1; return -1; }
  memcpy(d, name, len + 1);
  a->names[a->n++] = d;
  return 0;
}

int lunet_h5tree_attr_names(lunet_h5tree_t *t, const char *path, char ***names, int64_t *n) {
  lunet_h5t_quiet();
  *names = NULL;
  *n = 0;
  hid_t obj = lunet_h5t_open(t, path);
  if (obj < 0) return -1;
  names_t a = {0};
  hsize_t idx = 0;
  herr_t rc = H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, &idx, add_name, &a);
  H5Oclose(obj);
  if (rc < 0) {
    for (int64_t i = 0; i < a.n; i++) free(a.names[i]);
    free(a.names);
    char buf[200];
    return lunet_fail("%s: cannot list the attributes of '%s'%s", t->name, lunet_h5t_path(path),
                      a.failed ? ": out of memory" : lunet_h5t_why(buf));
  }
  *names = a.names;
  *n = a.n;
  return 0;
}

/* h5py's booleans: an enum of an integer with exactly FALSE = 0, TRUE = 1. */
static int is_bool_enum(hid_t type) {
  if (H5Tget_nmembers(type) != 2) return 0;
  char *a = H5Tget_member_name(type, 0), *b = H5Tget_member_name(type, 1);
  int ok = a && b && strcmp(a, "FALSE") == 0 && strcmp(b, "TRUE") == 0;
  H5free_memory(a);
  H5free_memory(b);
  return ok;
}

static int read_strings(hid_t attr, hid_t type, lunet_h5value_t *v, const char *what) {
  v->type = LUNET_H5V_STRING;
  v->strings = lunet_calloc((size_t)v->n + 1, sizeof *v->strings);
  if (!v->strings) return -1;
  htri_t vlen = H5Tis_variable_str(type);
  hid_t mem = H5Tcopy(H5T_C_S1);
  size_t size = vlen > 0 ? 0 : H5Tget_size(type);
  if (mem < 0 || vlen < 0 || (vlen > 0 ? H5Tset_size(mem, H5T_VARIABLE) : H5Tset_size(mem, size)) < 0 ||
      H5Tset_cset(mem, H5Tget_cset(type)) < 0) {
    if (mem >= 0) H5Tclose(mem);
    return lunet_fail("%s: malformed string type", what);
  }
  if (vlen == 0) H5Tset_strpad(mem, H5T_STR_NULLPAD); /* the bytes as stored; cut at the first NUL below */
  int rc = 0;
  char buf[200];
  if (vlen > 0) {
    char **s = lunet_calloc((size_t)v->n + 1, sizeof *s);
    if (!s || H5Aread(attr, mem, s) < 0) {
      rc = s ? lunet_fail("%s: cannot read it%s", what, lunet_h5t_why(buf)) : -1;
    } else {
      for (int64_t i = 0; i < v->n && rc == 0; i++) {
        size_t len = s[i] ? strlen(s[i]) : 0;
        v->strings[i] = lunet_malloc(len + 1);
        if (!v->strings[i]) { rc = -1; break; }
        memcpy(v->strings[i], s[i] ? s[i] : "", len + 1);
      }
      hid_t space = H5Aget_space(attr);
      H5Dvlen_reclaim(mem, space, H5P_DEFAULT, s);
      H5Sclose(space);
    }
    free(s);
  } else {
    if (size == 0 || size > ATTR_MAX_BYTES / ((size_t)v->n + 1)) {
      H5Tclose(mem);
      return lunet_fail("%s: %lld strings of %zu bytes (a damaged file)", what, (long long)v->n, size);
    }
    char *raw = lunet_calloc((size_t)v->n + 1, size);
    if (!raw || H5Aread(attr, mem, raw) < 0) {
      rc = raw ? lunet_fail("%s: cannot read it%s", what, lunet_h5t_why(buf)) : -1;
    } else {
      for (int64_t i = 0; i < v->n && rc == 0; i++) {
        const char *at = raw + (size_t)i * size;
        size_t len = strnlen(at, size);
        if (H5Tget_strpad(type) == H5T_STR_SPACEPAD)
          while (len > 0 && at[len - 1] == ' ') len--;
        v->strings[i] = lunet_malloc(len + 1);
        if (!v->strings[i]) { rc = -1; break; }
        memcpy(v->strings[i], at, len);
        v->strings[i][len] = 0;
      }
    }
    free(raw);
  }
  H5Tclose(mem);
  return rc;
}

static int read_numbers(hid_t attr, H5T_class_t cls, lunet_h5value_t *v, const char *what) {
  char buf[200];
  herr_t rc;
  if (cls == H5T_FLOAT) {
    v->type = LUNET_H5V_FLOAT;
    v->floats = lunet_calloc((size_t)v->n + 1, sizeof *v->floats);
    if (!v->floats) return -1;
    rc = H5Aread(attr, H5T_NATIVE_DOUBLE, v->floats);
  } else {
    v->integers = lunet_calloc((size_t)v->n + 1, sizeof *v->integers);
    if (!v->integers) return -1;
    rc = H5Aread(attr, H5T_NATIVE_INT64, v->integers);
  }
  if (rc < 0) return lunet_fail("%s: cannot read it%s", what, lunet_h5t_why(buf));
  return 0;
}

static int read_attr(hid_t attr, lunet_h5value_t *v, const char *what) {
  hid_t space = H5Aget_space(attr);
  int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
  H5S_class_t sclass = space >= 0 ? H5Sget_simple_extent_type(space) : H5S_NO_CLASS;
  hssize_t npoints = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
  if (space >= 0) H5Sclose(space);
  if (sclass == H5S_NULL) return lunet_fail("%s is empty (a null dataspace, h5py's Empty)", what);
  if (rank < 0 || npoints < 0) return lunet_fail("%s: cannot read its shape (a damaged file)", what);
  if (rank > 1) return lunet_fail("%s has %d dimensions; attributes are read as scalars and 1-D arrays", what, rank);
  if (npoints > ATTR_MAX_ELEMENTS) return lunet_fail("%s has %lld elements (a damaged file?)", what, (long long)npoints);
  v->list = rank == 1;
  v->n = npoints;
  hid_t type = H5Aget_type(attr);
  if (type < 0) return lunet_fail("%s: cannot read its type (a damaged file)", what);
  H5T_class_t cls = H5Tget_class(type);
  int rc;
  if (cls == H5T_STRING) {
    rc = read_strings(attr, type, v, what);
  } else if ((cls == H5T_INTEGER || cls == H5T_FLOAT) && lunet_h5_numeric_type_ok(type)) {
    v->type = cls == H5T_FLOAT ? LUNET_H5V_FLOAT : LUNET_H5V_INTEGER;
    rc = read_numbers(attr, cls, v, what);
  } else if (cls == H5T_ENUM && is_bool_enum(type)) {
    v->type = LUNET_H5V_BOOLEAN;
    rc = read_numbers(attr, H5T_INTEGER, v, what);
    for (int64_t i = 0; rc == 0 && i < v->n; i++) v->integers[i] = v->integers[i] != 0;
  } else if (cls == H5T_INTEGER || cls == H5T_FLOAT) {
    rc = lunet_fail("%s has a malformed number type (a damaged file)", what);
  } else {
    rc = lunet_fail("%s is %s; attributes are read when they hold strings, numbers or booleans", what,
                    lunet_h5t_class_name(cls));
  }
  H5Tclose(type);
  return rc;
}

int lunet_h5tree_attr(lunet_h5tree_t *t, const char *path, const char *name, lunet_h5value_t *v) {
  lunet_h5t_quiet();
  lunet_h5value_clear(v);
  path = lunet_h5t_path(path);
  hid_t obj = lunet_h5t_open(t, path);
  if (obj < 0) return -1;
  htri_t there = name[0] ? H5Aexists(obj, name) : 0; /* (libhdf5 fails on an empty name) */
  if (there <= 0) {
    H5Oclose(obj);
    return there == 0 ? 0 : lunet_fail("%s: cannot read the attributes of '%s' (a damaged file)", t->name, path);
  }
  hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
  H5Oclose(obj);
  char what[512];
  snprintf(what, sizeof what, "%s: attribute '%s' of '%s'", t->name, name, path);
  if (attr < 0) return lunet_fail("%s cannot be opened (a damaged file)", what);
  int rc = read_attr(attr, v, what);
  H5Aclose(attr);
  if (rc < 0) { lunet_h5value_clear(v); return -1; }
  return 1;
}

/* ---- datasets ---- */

/* Opens the dataset at path and checks its type and rank; *bytes: what
 * reading it as float32 needs, *stored_need: what its values take in the
 * file's type. */
static hid_t open_dataset(lunet_h5tree_t *t, const char *path, int *ndim, int64_t shape[LUNET_MAX_DIMS],
                          uint64_t *bytes, uint64_t *stored_need) {
  hid_t obj = lunet_h5t_open(t, path);
  if (obj < 0) return -1;
  if (H5Iget_type(obj) != H5I_DATASET) {
    H5Oclose(obj);
    lunet_fail("%s: '%s' is a group, not a dataset", t->name, path);
    return -1;
  }
  hid_t type = H5Dget_type(obj);
  H5T_class_t cls = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
  int sane = type >= 0 && lunet_h5_numeric_type_ok(type);
  size_t type_size = type >= 0 ? H5Tget_size(type) : 0;
  if (type >= 0) H5Tclose(type);
  const char *bad = NULL;
  if (cls != H5T_INTEGER && cls != H5T_FLOAT) bad = "is %s dataset; only integer and float datasets are read as tensors";
  else if (!sane) bad = "has a malformed number type (a damaged file)";
  if (bad) {
    char msg[200];
    snprintf(msg, sizeof msg, bad, lunet_h5t_class_name(cls));
    lunet_fail("%s: dataset '%s' %s", t->name, path, msg);
    H5Dclose(obj);
    return -1;
  }
  hid_t space = H5Dget_space(obj);
  int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
  hsize_t dims[H5S_MAX_RANK];
  if (rank >= 0 && rank <= LUNET_MAX_DIMS) H5Sget_simple_extent_dims(space, dims, NULL);
  H5S_class_t sclass = space >= 0 ? H5Sget_simple_extent_type(space) : H5S_NO_CLASS;
  if (space >= 0) H5Sclose(space);
  if (rank < 0 || sclass == H5S_NULL || rank > LUNET_MAX_DIMS) {
    if (rank > LUNET_MAX_DIMS) lunet_fail("%s: dataset '%s' has %d dimensions; lunet tensors have at most %d", t->name, path, rank, LUNET_MAX_DIMS);
    else lunet_fail("%s: dataset '%s' has no shape (%s)", t->name, path, sclass == H5S_NULL ? "an empty dataset" : "a damaged file");
    H5Dclose(obj);
    return -1;
  }
  uint64_t count = 1;
  *ndim = rank == 0 ? 1 : rank;
  shape[0] = 1;
  for (int i = 0; i < rank; i++) {
    if (dims[i] > (hsize_t)INT64_MAX || __builtin_mul_overflow(count, (uint64_t)dims[i], &count) || count > ((uint64_t)1 << 40)) {
      lunet_fail("%s: dataset '%s' is too large (dimension %d of %llu)", t->name, path, i + 1, (unsigned long long)dims[i]);
      H5Dclose(obj);
      return -1;
    }
    shape[i] = (int64_t)dims[i];
  }
  *bytes = count * sizeof(float);
  *stored_need = count * type_size; /* (type_size <= 16: no overflow under 2^40 elements) */
  return obj;
}

int lunet_h5tree_shape(lunet_h5tree_t *t, const char *path, int *ndim, int64_t shape[LUNET_MAX_DIMS]) {
  lunet_h5t_quiet();
  uint64_t bytes, need;
  hid_t set = open_dataset(t, lunet_h5t_path(path), ndim, shape, &bytes, &need);
  if (set < 0) return -1;
  H5Dclose(set);
  return 0;
}

/* What a sane file can hold: the stored bytes must lie in the file, and
 * data needing more than 64 MiB must come from stored bytes (no more than
 * deflate's expansion of them). libhdf5 trusts a compact or contiguous
 * dataset's stored size: one smaller than its shape needs makes H5Dread copy
 * from NULL (found by spec/fuzz/fuzz_hdf5.c for h5file.c). */
static int check_size(lunet_h5tree_t *t, hid_t set, const char *path, uint64_t bytes, uint64_t need) {
  hsize_t stored = H5Dget_storage_size(set), file_size = 0;
  H5Fget_filesize(t->file, &file_size);
  hid_t plist = H5Dget_create_plist(set);
  H5D_layout_t layout = plist >= 0 ? H5Pget_layout(plist) : H5D_LAYOUT_ERROR;
  if (plist >= 0) H5Pclose(plist);
  if (layout < 0) return lunet_fail("%s: dataset '%s': cannot read its layout (a damaged file)", t->name, path);
  if (stored > file_size)
    return lunet_fail("%s: dataset '%s' claims %llu stored bytes in a %llu-byte file (a damaged file)", t->name, path,
                      (unsigned long long)stored, (unsigned long long)file_size);
  if ((layout == H5D_COMPACT || (layout == H5D_CONTIGUOUS && stored > 0)) && stored < need)
    return lunet_fail("%s: dataset '%s' stores %llu bytes, its shape needs %llu (a damaged file)", t->name, path,
                      (unsigned long long)stored, (unsigned long long)need);
  if (layout == H5D_CONTIGUOUS && stored > 0) {
    haddr_t offset = H5Dget_offset(set);
    if (offset == HADDR_UNDEF || offset > file_size || stored > file_size - offset)
      return lunet_fail("%s: dataset '%s' lies past the end of the file (a damaged file)", t->name, path);
  }
  if (bytes > FILL_MAX_BYTES && bytes / DEFLATE_RATIO > stored)
    return lunet_fail("%s: dataset '%s' needs %llu bytes and stores %llu (a damaged file?)", t->name, path,
                      (unsigned long long)bytes, (unsigned long long)stored);
  return 0;
}

lunet_tensor_t *lunet_h5tree_read(lunet_h5tree_t *t, const char *path) {
  lunet_h5t_quiet();
  path = lunet_h5t_path(path);
  int ndim;
  int64_t shape[LUNET_MAX_DIMS];
  uint64_t bytes, need;
  hid_t set = open_dataset(t, path, &ndim, shape, &bytes, &need);
  if (set < 0) return NULL;
  if (check_size(t, set, path, bytes, need) < 0) { H5Dclose(set); return NULL; }
  lunet_tensor_t *x = lunet_tensor_new_uninit(ndim, shape);
  char buf[200];
  if (x && bytes > 0 && H5Dread(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, lunet_tensor_data(x)) < 0) {
    lunet_fail("%s: dataset '%s': cannot read it%s", t->name, path, lunet_h5t_why(buf));
    lunet_tensor_free(x);
    x = NULL;
  }
  H5Dclose(set);
  return x;
}

int lunet_h5tree_read_int64(lunet_h5tree_t *t, const char *path, int64_t *out) {
  lunet_h5t_quiet();
  path = lunet_h5t_path(path);
  int ndim;
  int64_t shape[LUNET_MAX_DIMS];
  uint64_t bytes, need;
  hid_t set = open_dataset(t, path, &ndim, shape, &bytes, &need);
  if (set < 0) return -1;
  int rc = check_size(t, set, path, bytes, need);
  if (rc == 0 && bytes != sizeof(float)) {
    char buf[LUNET_SHAPE_STR_MAX];
    rc = lunet_fail("%s: dataset '%s' has shape %s; read_int64 reads a dataset of one value", t->name, path,
                    lunet_shape_str(buf, sizeof buf, ndim, shape));
  }
  hid_t type = rc == 0 ? H5Dget_type(set) : -1;
  int integer = type >= 0 && H5Tget_class(type) == H5T_INTEGER;
  if (type >= 0) H5Tclose(type);
  char buf[200];
  if (rc == 0 && integer) { /* int64 as it is: float32 holds integers exactly only up to 2^24 */
    if (H5Dread(set, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
      rc = lunet_fail("%s: dataset '%s': cannot read it%s", t->name, path, lunet_h5t_why(buf));
  } else if (rc == 0) { /* older Keras kept the iteration count in a float */
    double v;
    if (H5Dread(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v) < 0)
      rc = lunet_fail("%s: dataset '%s': cannot read it%s", t->name, path, lunet_h5t_why(buf));
    else if (!(v >= -9.2233720368547758e18 && v < 9.2233720368547758e18) || v != (double)(int64_t)v)
      rc = lunet_fail("%s: dataset '%s' holds %g, not an integer", t->name, path, v);
    else
      *out = (int64_t)v;
  }
  H5Dclose(set);
  return rc;
}
