/* Writing an HDF5 tree (h5tree.h) as h5py 3.x writes Keras files: groups,
 * attributes (str -> variable-length UTF-8, numpy 'S' arrays -> fixed-length
 * NUL-padded strings, int64 / float64 numbers), float32 and int64 datasets;
 * into a temporary file beside the target, renamed over it at commit. */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "file.h"
#include "h5tree_int.h"

#define OBJECT_HEADER_LIMIT 64512 /* Keras' HDF5_OBJECT_HEADER_LIMIT: what one attribute may hold */

struct lunet_h5writer {
  hid_t file;
  hid_t lcpl; /* intermediate groups made, UTF-8 names (as h5py) */
  lunet_atomic_t a;
  char *path;
};

const char *lunet_h5writer_path(const lunet_h5writer_t *w) { return w->path; }

lunet_h5writer_t *lunet_h5writer_new(const char *path) {
  lunet_h5t_quiet();
  lunet_h5writer_t *w = lunet_calloc(1, sizeof *w);
  if (!w) return NULL;
  w->file = w->lcpl = -1;
  size_t len = strlen(path);
  w->path = lunet_malloc(len + 1);
  if (!w->path) { free(w); return NULL; }
  memcpy(w->path, path, len + 1);
  if (lunet_atomic_open(&w->a, path) < 0) { free(w->path); free(w); return NULL; }
  /* libhdf5 writes the temporary file by its name (O_TRUNC keeps its inode);
   * the commit then syncs and renames it */
  w->file = H5Fcreate(w->a.tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  w->lcpl = H5Pcreate(H5P_LINK_CREATE);
  char buf[200];
  if (w->file < 0 || w->lcpl < 0 || H5Pset_create_intermediate_group(w->lcpl, 1) < 0 ||
      H5Pset_char_encoding(w->lcpl, H5T_CSET_UTF8) < 0) {
    lunet_fail("cannot write '%s': libhdf5 cannot create the file%s", path, lunet_h5t_why(buf));
    lunet_h5writer_free(w);
    return NULL;
  }
  return w;
}

void lunet_h5writer_free(lunet_h5writer_t *w) {
  if (!w) return;
  if (w->file >= 0) {
    H5Fclose(w->file);
    lunet_atomic_abort(&w->a);
  }
  if (w->lcpl >= 0) H5Pclose(w->lcpl);
  free(w->path);
  free(w);
}

int lunet_h5writer_commit(lunet_h5writer_t *w) {
  lunet_h5t_quiet();
  if (w->file < 0) return lunet_fail("cannot write '%s': the writer is finished", w->path);
  char buf[200];
  herr_t rc = H5Fclose(w->file);
  w->file = -1;
  if (rc < 0) {
    lunet_fail("cannot write '%s': closing the file failed%s", w->path, lunet_h5t_why(buf));
    lunet_atomic_abort(&w->a);
    return -1;
  }
  return lunet_atomic_commit(&w->a);
}

/* 1 when the object at path exists, else 0 (parents checked one by one). */
static int exists(lunet_h5writer_t *w, const char *path) {
  if (strcmp(path, "/") == 0) return 1;
  char *p = lunet_malloc(strlen(path) + 1);
  if (!p) return 0;
  strcpy(p, path);
  int ok = 1;
  for (size_t i = 1; ok; i++) {
    char c = p[i];
    if (c != '/' && c != 0) continue;
    p[i] = 0;
    ok = H5Lexists(w->file, p, H5P_DEFAULT) > 0;
    p[i] = c;
    if (!c) break;
  }
  free(p);
  return ok;
}

static int check_writer(lunet_h5writer_t *w) {
  lunet_h5t_quiet();
  if (w->file < 0) return lunet_fail("cannot write '%s': the writer is finished", w->path);
  return 0;
}

int lunet_h5writer_group(lunet_h5writer_t *w, const char *path) {
  if (check_writer(w) < 0) return -1;
  path = lunet_h5t_path(path);
  char buf[200];
  if (exists(w, path)) {
    H5O_info_t info;
    if (H5Oget_info_by_name2(w->file, path, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0 || info.type != H5O_TYPE_GROUP)
      return lunet_fail("cannot write '%s': '%s' is a dataset, not a group", w->path, path);
    return 0;
  }
  hid_t g = H5Gcreate2(w->file, path, w->lcpl, H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0) return lunet_fail("cannot write '%s': cannot make group '%s'%s", w->path, path, lunet_h5t_why(buf));
  H5Gclose(g);
  return 0;
}

/* The file type and the memory buffer of a value (h5py's layouts); *mem is
 * the memory type. Types returned are closed by the caller. */
static hid_t value_types(const lunet_h5value_t *v, hid_t *mem, char **fixed, const char *what) {
  *fixed = NULL;
  if (v->type == LUNET_H5V_STRING && !v->list) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    *mem = H5Tcopy(t);
    return t;
  }
  if (v->type == LUNET_H5V_STRING) {
    size_t len = 1; /* numpy's 'S' of the longest string; of empty strings, 'S1' */
    for (int64_t i = 0; i < v->n; i++) {
      size_t l = strlen(v->strings[i]);
      if (l > len) len = l;
    }
    if ((uint64_t)len * (uint64_t)v->n > OBJECT_HEADER_LIMIT) {
      lunet_fail("%s: %lld strings of %zu bytes exceed the %d bytes an HDF5 attribute holds (Keras splits such "
                 "lists into name0, name1, ...)", what, (long long)v->n, len, OBJECT_HEADER_LIMIT);
      return -1;
    }
    *fixed = lunet_calloc((size_t)v->n + 1, len);
    if (!*fixed) return -1;
    for (int64_t i = 0; i < v->n; i++) memcpy(*fixed + (size_t)i * len, v->strings[i], strlen(v->strings[i]));
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, len);
    H5Tset_strpad(t, H5T_STR_NULLPAD);
    H5Tset_cset(t, H5T_CSET_ASCII);
    *mem = H5Tcopy(t);
    return t;
  }
  if ((uint64_t)v->n * 8 > OBJECT_HEADER_LIMIT) {
    lunet_fail("%s: %lld numbers exceed the %d bytes an HDF5 attribute holds", what, (long long)v->n,
               OBJECT_HEADER_LIMIT);
    return -1;
  }
  if (v->type == LUNET_H5V_BOOLEAN) { /* h5py's bool: an enum of int8 */
    hid_t t = H5Tenum_create(H5T_NATIVE_INT8);
    signed char f = 0, tr = 1;
    H5Tenum_insert(t, "FALSE", &f);
    H5Tenum_insert(t, "TRUE", &tr);
    hid_t m = H5Tenum_create(H5T_NATIVE_INT64);
    int64_t f64 = 0, t64 = 1;
    H5Tenum_insert(m, "FALSE", &f64);
    H5Tenum_insert(m, "TRUE", &t64);
    *mem = m;
    return t;
  }
  *mem = H5Tcopy(v->type == LUNET_H5V_FLOAT ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT64);
  return H5Tcopy(v->type == LUNET_H5V_FLOAT ? H5T_IEEE_F64LE : H5T_STD_I64LE);
}

int lunet_h5writer_attr(lunet_h5writer_t *w, const char *path, const char *name, const lunet_h5value_t *v) {
  if (check_writer(w) < 0) return -1;
  path = lunet_h5t_path(path);
  char what[512], buf[200];
  snprintf(what, sizeof what, "cannot write '%s': attribute '%s' of '%s'", w->path, name, path);
  if (!name[0]) return lunet_fail("%s: an attribute needs a name", what);
  if (!exists(w, path) && lunet_h5writer_group(w, path) < 0) return -1; /* a missing object is made a group */
  hid_t obj = H5Oopen(w->file, path, H5P_DEFAULT);
  if (obj < 0) return lunet_fail("%s: cannot open '%s'%s", what, path, lunet_h5t_why(buf));
  if (H5Aexists(obj, name) > 0 && H5Adelete(obj, name) < 0) {
    H5Oclose(obj);
    return lunet_fail("%s: cannot replace it%s", what, lunet_h5t_why(buf));
  }
  /* an empty list: what numpy makes of [] (float64, shape (0,)), as Keras writes weight_names */
  lunet_h5value_t empty = {.type = LUNET_H5V_FLOAT, .list = 1, .n = 0};
  if (v->list && v->n == 0) v = &empty;
  hid_t mem = -1;
  char *fixed = NULL;
  hid_t type = value_types(v, &mem, &fixed, what);
  if (type < 0) { H5Oclose(obj); return -1; }
  hsize_t dims[1] = {(hsize_t)v->n};
  hid_t space = v->list ? H5Screate_simple(1, dims, NULL) : H5Screate(H5S_SCALAR);
  hid_t attr = space >= 0 ? H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT) : -1;
  const void *data = fixed ? (const void *)fixed
                     : v->type == LUNET_H5V_STRING ? (const void *)v->strings
                     : v->type == LUNET_H5V_FLOAT ? (const void *)v->floats : (const void *)v->integers;
  int rc = attr >= 0 && (v->n == 0 || H5Awrite(attr, mem, data) >= 0) ? 0 : -1;
  if (rc < 0) lunet_fail("%s%s", what, lunet_h5t_why(buf));
  if (attr >= 0) H5Aclose(attr);
  if (space >= 0) H5Sclose(space);
  H5Tclose(type);
  if (mem >= 0) H5Tclose(mem);
  free(fixed);
  H5Oclose(obj);
  return rc;
}

/* A new dataset at path of file type ftype and shape (rank 0: scalar),
 * written from data (memory type mtype). */
static int write_set(lunet_h5writer_t *w, const char *path, hid_t ftype, hid_t mtype, int rank, const int64_t *shape,
                     const void *data, int64_t count) {
  char buf[200];
  if (!path[0] || strcmp(path, "/") == 0) return lunet_fail("cannot write '%s': a dataset needs a name", w->path);
  if (exists(w, path)) return lunet_fail("cannot write '%s': '%s' exists already", w->path, path);
  hsize_t dims[LUNET_MAX_DIMS];
  for (int i = 0; i < rank; i++) dims[i] = (hsize_t)shape[i];
  hid_t space = rank ? H5Screate_simple(rank, dims, NULL) : H5Screate(H5S_SCALAR);
  hid_t set = space >= 0 ? H5Dcreate2(w->file, path, ftype, space, w->lcpl, H5P_DEFAULT, H5P_DEFAULT) : -1;
  int rc = set >= 0 && (count == 0 || H5Dwrite(set, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0) ? 0 : -1;
  if (rc < 0) lunet_fail("cannot write '%s': dataset '%s'%s", w->path, path, lunet_h5t_why(buf));
  if (set >= 0 && H5Dclose(set) < 0 && rc == 0) rc = lunet_fail("cannot write '%s': dataset '%s'", w->path, path);
  if (space >= 0) H5Sclose(space);
  return rc;
}

int lunet_h5writer_write(lunet_h5writer_t *w, const char *path, const lunet_tensor_t *x) {
  if (check_writer(w) < 0) return -1;
  lunet_tensor_t *c = lunet_tensor_contiguous((lunet_tensor_t *)x);
  if (!c) return -1;
  int rc = write_set(w, path, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, c->ndim, c->shape, lunet_tensor_data(c),
                     lunet_tensor_numel(c));
  lunet_tensor_free(c);
  return rc;
}

int lunet_h5writer_write_int64(lunet_h5writer_t *w, const char *path, int64_t value) {
  if (check_writer(w) < 0) return -1;
  return write_set(w, path, H5T_STD_I64LE, H5T_NATIVE_INT64, 0, NULL, &value, 1);
}
