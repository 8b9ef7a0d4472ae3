/* HDF5 datasets as DataFrame columns, through libhdf5 (see h5file.h): open and
 * check the datasets, read row ranges as hyperslabs, write a frame's columns
 * atomically. Every hid_t opened here is closed on every path. */
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "file.h"
#include "h5file.h"
#include "h5types.h"

struct lunet_h5file {
  hid_t file;
  int n;
  lunet_h5dataset_t *sets; /* (n) */
  hid_t *ids;              /* (n) open datasets */
  char *path;
};

/* libhdf5 prints its error stack to stderr by default; lunet reports errors
 * itself. Called by every entry point (the setting is per thread). */
static void quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

/* The innermost message libhdf5 recorded ("" when none), for errors such as
 * a missing compression filter that only libhdf5 can explain. */
static herr_t first_desc(unsigned n, const H5E_error2_t *e, void *out) {
  /* (the plugin loader's complaints come first and say nothing of the cause:
   * a missing filter is "H5Z_pipeline: required filter 'lzf' is not registered") */
  if (((char *)out)[0] || !e->desc || (e->func_name && strncmp(e->func_name, "H5PL", 4) == 0)) return 0;
  snprintf(out, 200, ": %s", e->desc);
  return 0;
}
static const char *h5_why(char buf[200]) {
  buf[0] = 0;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, first_desc, buf);
  return buf;
}

static char *dup_str(const char *s) {
  size_t len = strlen(s);
  char *d = lunet_malloc(len + 1);
  if (d) memcpy(d, s, len + 1);
  return d;
}

/* "a string", "a compound", ... for a class read_hdf5 does not read. */
static const char *class_name(H5T_class_t c) {
  return c == H5T_STRING ? "a string" : c == H5T_COMPOUND ? "a compound"
         : c == H5T_ENUM ? "an enum (h5py writes booleans as enums)" : c == H5T_ARRAY ? "an array-typed"
         : c == H5T_VLEN ? "a variable-length" : c == H5T_REFERENCE ? "a reference" : c == H5T_OPAQUE ? "an opaque"
         : c == H5T_BITFIELD ? "a bitfield" : c == H5T_TIME ? "a time" : "a non-numeric";
}

/* (h5types.h) */
int lunet_h5_numeric_type_ok(hid_t type) {
  size_t size = H5Tget_size(type), bits = 8 * size, precision = H5Tget_precision(type);
  int offset = H5Tget_offset(type);
  H5T_order_t order = H5Tget_order(type);
  if (size < 1 || size > 16 || precision < 1 || offset < 0 || precision + (size_t)offset > bits) return 0;
  if (order != H5T_ORDER_LE && order != H5T_ORDER_BE && order != H5T_ORDER_VAX) return 0;
  if (H5Tget_class(type) != H5T_FLOAT) return 1;
  size_t spos, epos, esize, mpos, msize;
  if (H5Tget_fields(type, &spos, &epos, &esize, &mpos, &msize) < 0) return 0;
  return spos < bits && esize >= 1 && msize >= 1 && epos + esize <= bits && mpos + msize <= bits;
}

/* libhdf5 trusts a compact dataset's stored size: one smaller than its shape
 * needs makes H5Dread copy from NULL (a crash on a damaged file, found by
 * spec/fuzz/fuzz_hdf5.c). Checked here, with contiguous data that would lie
 * past the end of the file. bytes: what the shape and type need. */
static int check_storage(hid_t id, const char *path, const char *name, uint64_t bytes) {
  hid_t plist = H5Dget_create_plist(id);
  if (plist < 0) return lunet_fail("%s: dataset '%s': cannot read its layout", path, name);
  H5D_layout_t layout = H5Pget_layout(plist);
  H5Pclose(plist);
  hsize_t stored = H5Dget_storage_size(id);
  if (layout == H5D_COMPACT && stored < bytes)
    return lunet_fail("%s: dataset '%s' stores %llu bytes, its shape needs %llu (a damaged file)", path, name,
                      (unsigned long long)stored, (unsigned long long)bytes);
  if (layout == H5D_CONTIGUOUS && stored > 0) {
    haddr_t offset = H5Dget_offset(id);
    hsize_t file_size = 0;
    hid_t file = H5Iget_file_id(id);
    if (file >= 0) {
      H5Fget_filesize(file, &file_size);
      H5Fclose(file);
    }
    if (stored < bytes || offset == HADDR_UNDEF || offset > file_size || stored > file_size - offset)
      return lunet_fail("%s: dataset '%s' stores %llu bytes at offset %llu of a %llu-byte file, its shape needs "
                        "%llu (a damaged file)", path, name, (unsigned long long)stored,
                        (unsigned long long)offset, (unsigned long long)file_size, (unsigned long long)bytes);
  }
  if (layout < 0) return lunet_fail("%s: dataset '%s': cannot read its layout (a damaged file?)", path, name);
  return 0;
}

/* Describes dataset id (named name) into s, or fails naming path, the
 * dataset and what is wrong with it. */
static int describe(lunet_h5dataset_t *s, hid_t id, const char *path, const char *name, const char *where) {
  hid_t type = H5Dget_type(id);
  if (type < 0) return lunet_fail("%s: dataset '%s': cannot read its type", path, name);
  H5T_class_t cls = H5Tget_class(type);
  size_t type_size = H5Tget_size(type);
  int sane = cls != H5T_INTEGER && cls != H5T_FLOAT ? 1 : lunet_h5_numeric_type_ok(type);
  H5Tclose(type);
  if (!sane) return lunet_fail("%s: dataset '%s' has a malformed number type (a damaged file)", path, name);
  if (cls != H5T_INTEGER && cls != H5T_FLOAT)
    return lunet_fail("%s: dataset '%s' is %s dataset; %s reads numeric datasets (integer and float types)", path,
                      name, class_name(cls), where);
  hid_t space = H5Dget_space(id);
  if (space < 0) return lunet_fail("%s: dataset '%s': cannot read its shape", path, name);
  int rank = H5Sget_simple_extent_ndims(space);
  hsize_t dims[2] = {0, 0};
  if (rank >= 1 && rank <= 2) H5Sget_simple_extent_dims(space, dims, NULL);
  H5Sclose(space);
  if (rank < 0) return lunet_fail("%s: dataset '%s': cannot read its shape", path, name);
  if (rank == 0) return lunet_fail("%s: dataset '%s' is a scalar (rank 0); %s reads datasets of rank 1 (a column) or 2 (a vector column)", path, name, where);
  if (rank > 2)
    return lunet_fail("%s: dataset '%s' has rank %d; %s reads datasets of rank 1 (a column) or 2 (a vector column)", path,
                      name, rank, where);
  if (dims[0] > (hsize_t)INT64_MAX / 8 || dims[1] > (hsize_t)INT32_MAX)
    return lunet_fail("%s: dataset '%s' is too large (%llu x %llu)", path, name, (unsigned long long)dims[0],
                      (unsigned long long)dims[1]);
  if (rank == 2 && dims[1] == 0)
    return lunet_fail("%s: dataset '%s' has shape (%llu, 0): rows without values", path, name,
                      (unsigned long long)dims[0]);
  s->rows = (int64_t)dims[0];
  s->width = rank == 2 ? (int64_t)dims[1] : 1;
  s->kind = rank == 2 ? LUNET_H5_VECTOR : cls == H5T_INTEGER ? LUNET_H5_INTEGER : LUNET_H5_DOUBLE;
  uint64_t bytes;
  if (__builtin_mul_overflow((uint64_t)s->rows, (uint64_t)s->width * type_size, &bytes) || s->rows > INT64_MAX / 8 / s->width)
    return lunet_fail("%s: dataset '%s' is too large (%lld x %lld)", path, name, (long long)s->rows, (long long)s->width);
  return check_storage(id, path, name, bytes);
}

/* Appends dataset name (opened as id; ownership passes to f) to f. */
static int add(lunet_h5file_t *f, hid_t id, const char *name, const char *where) {
  f->ids[f->n] = id;
  lunet_h5dataset_t *s = &f->sets[f->n];
  s->name = dup_str(name);
  f->n++;
  if (!s->name) return -1;
  return describe(s, id, f->path, name, where);
}

/* Every numeric dataset at the root, by name (libhdf5's name index). */
static int add_root(lunet_h5file_t *f, const char *where) {
  H5G_info_t info;
  if (H5Gget_info(f->file, &info) < 0) return lunet_fail("%s: cannot list the root group", f->path);
  if (info.nlinks > (hsize_t)INT32_MAX) return lunet_fail("%s: %llu objects at the root", f->path, (unsigned long long)info.nlinks);
  f->sets = lunet_calloc(info.nlinks + 1, sizeof *f->sets);
  f->ids = lunet_calloc(info.nlinks + 1, sizeof *f->ids);
  if (!f->sets || !f->ids) return -1;
  char name[1024];
  for (hsize_t i = 0; i < info.nlinks; i++) {
    ssize_t len = H5Lget_name_by_idx(f->file, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT);
    if (len < 0 || len >= (ssize_t)sizeof name) continue; /* a name too long to open as a column */
    hid_t obj = H5Oopen(f->file, name, H5P_DEFAULT);
    if (obj < 0) continue; /* a dangling link: no dataset there */
    int numeric = 0;
    if (H5Iget_type(obj) == H5I_DATASET) {
      hid_t type = H5Dget_type(obj);
      H5T_class_t cls = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
      if (type >= 0) H5Tclose(type);
      numeric = cls == H5T_INTEGER || cls == H5T_FLOAT;
    }
    if (!numeric) { H5Oclose(obj); continue; }
    if (add(f, obj, name, where) < 0) return -1;
  }
  if (f->n == 0) return lunet_fail("%s: no numeric dataset at the root", f->path);
  return 0;
}

static int add_named(lunet_h5file_t *f, const char *const *datasets, int n, const char *where) {
  f->sets = lunet_calloc((size_t)n, sizeof *f->sets);
  f->ids = lunet_calloc((size_t)n, sizeof *f->ids);
  if (!f->sets || !f->ids) return -1;
  for (int i = 0; i < n; i++) {
    const char *name = datasets[i];
    htri_t there = name[0] ? H5Lexists(f->file, name, H5P_DEFAULT) : 0;
    /* H5Lexists fails on "a/b" when a is missing: that is "no such dataset" too */
    hid_t obj = there > 0 ? H5Oopen(f->file, name, H5P_DEFAULT) : -1;
    if (obj < 0) return lunet_fail("%s: no dataset '%s'", f->path, name);
    if (H5Iget_type(obj) != H5I_DATASET) {
      H5Oclose(obj);
      return lunet_fail("%s: '%s' is a group, not a dataset", f->path, name);
    }
    if (add(f, obj, name, where) < 0) return -1;
  }
  return 0;
}

lunet_h5file_t *lunet_h5file_open_in_process(const char *path, const char *const *datasets, int n,
                                             const char *where) {
  quiet();
  const char *why;
  int fd = lunet_file_open_read(path, &why); /* a clear reason for a missing file or a directory */
  if (fd < 0) { lunet_fail("cannot open '%s': %s", path, why); return NULL; }
  close(fd);
  if (H5Fis_hdf5(path) <= 0) { lunet_fail("%s: not an HDF5 file", path); return NULL; }
  lunet_h5file_t *f = lunet_calloc(1, sizeof *f);
  if (!f) return NULL;
  f->file = -1;
  f->path = dup_str(path);
  if (!f->path) { lunet_h5file_free(f); return NULL; }
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
#if H5_VERSION_GE(1, 10, 7)
  /* reading needs no lock, and shared file systems may refuse one */
  if (fapl >= 0) H5Pset_file_locking(fapl, 0, 1);
#endif
  f->file = H5Fopen(path, H5F_ACC_RDONLY, fapl >= 0 ? fapl : H5P_DEFAULT);
  char buf[200];
  h5_why(buf); /* now: every later call of libhdf5 clears its error stack */
  if (fapl >= 0) H5Pclose(fapl);
  if (f->file < 0) { lunet_fail("%s: cannot open the HDF5 file%s", path, buf); lunet_h5file_free(f); return NULL; }
  int rc = n > 0 ? add_named(f, datasets, n, where) : add_root(f, where);
  for (int i = 1; rc == 0 && i < f->n; i++) {
    if (f->sets[i].rows != f->sets[0].rows) {
      rc = lunet_fail("%s: datasets '%s' and '%s' have different first dimensions (%lld and %lld rows)", path,
                      f->sets[0].name, f->sets[i].name, (long long)f->sets[0].rows, (long long)f->sets[i].rows);
    }
  }
  if (rc < 0) { lunet_h5file_free(f); return NULL; }
  return f;
}

void lunet_h5file_free(lunet_h5file_t *f) {
  if (!f) return;
  for (int i = 0; i < f->n; i++) {
    if (f->ids[i] >= 0) H5Dclose(f->ids[i]);
    free(f->sets[i].name);
  }
  free(f->sets);
  free(f->ids);
  if (f->file >= 0) H5Fclose(f->file);
  free(f->path);
  free(f);
}

int lunet_h5file_count(const lunet_h5file_t *f) { return f->n; }

const lunet_h5dataset_t *lunet_h5file_dataset(const lunet_h5file_t *f, int i) {
  LUNET_ASSERT(i >= 0 && i < f->n);
  return &f->sets[i];
}

/* Reads rows first..first+count-1 of dataset id (rank 1 or 2, width values
 * a row) into out as mem_type; on failure why holds libhdf5's reason. */
static int read_rows(hid_t id, int rank, int64_t first, int64_t count, int64_t width, hid_t mem_type, void *out,
                     char why[200]) {
  if (count == 0) return 0;
  hid_t fs = H5Dget_space(id);
  hsize_t start[2] = {(hsize_t)first, 0}, n[2] = {(hsize_t)count, (hsize_t)width};
  hid_t ms = H5Screate_simple(rank, n, NULL);
  herr_t rc = -1;
  if (fs >= 0 && ms >= 0 && H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, n, NULL) >= 0)
    rc = H5Dread(id, mem_type, ms, fs, H5P_DEFAULT, out);
  if (rc < 0) h5_why(why);
  if (ms >= 0) H5Sclose(ms);
  if (fs >= 0) H5Sclose(fs);
  return rc < 0 ? -1 : 0;
}

lunet_column_t *lunet_h5file_read(lunet_h5file_t *f, int i, int64_t first, int64_t count) {
  quiet();
  LUNET_ASSERT(i >= 0 && i < f->n);
  const lunet_h5dataset_t *s = &f->sets[i];
  if (first < 0 || count < 0 || first > s->rows || count > s->rows - first) {
    lunet_fail("%s: dataset '%s' has %lld rows, cannot read rows %lld to %lld", f->path, s->name, (long long)s->rows,
               (long long)first + 1, (long long)first + count);
    return NULL;
  }
  char buf[200] = "";
  if (s->kind == LUNET_H5_VECTOR) {
    int64_t shape[2] = {count, s->width};
    lunet_tensor_t *t = lunet_tensor_new_uninit(2, shape);
    if (!t) return NULL;
    if (read_rows(f->ids[i], 2, first, count, s->width, H5T_NATIVE_FLOAT, t->storage->data + t->offset, buf) < 0) {
      lunet_tensor_free(t);
      lunet_fail("%s: dataset '%s': cannot read rows %lld to %lld%s", f->path, s->name, (long long)first + 1,
                 (long long)first + count, buf);
      return NULL;
    }
    lunet_column_t *c = lunet_column_new_tensor(t);
    lunet_tensor_free(t);
    return c;
  }
  double *v = lunet_malloc((size_t)count * sizeof *v);
  if (!v) return NULL;
  if (read_rows(f->ids[i], 1, first, count, 1, H5T_NATIVE_DOUBLE, v, buf) < 0) {
    free(v);
    lunet_fail("%s: dataset '%s': cannot read rows %lld to %lld%s", f->path, s->name, (long long)first + 1,
               (long long)first + count, buf);
    return NULL;
  }
  return lunet_column_new_f64(s->kind == LUNET_H5_INTEGER ? LUNET_COL_INTEGER : LUNET_COL_DOUBLE, v, count);
}

int lunet_h5file_vet(lunet_h5file_t *f) {
  for (int i = 0; i < f->n; i++) {
    int64_t rows = f->sets[i].rows;
    lunet_column_t *first = rows > 0 ? lunet_h5file_read(f, i, 0, 1) : NULL;
    lunet_column_t *last = rows > 1 ? lunet_h5file_read(f, i, rows - 1, 1) : NULL;
    int ok = (rows == 0 || first) && (rows <= 1 || last);
    lunet_column_free(first);
    lunet_column_free(last);
    if (!ok) return -1;
    hid_t plist = H5Dget_create_plist(f->ids[i]);
    H5D_layout_t layout = plist >= 0 ? H5Pget_layout(plist) : H5D_LAYOUT_ERROR;
    if (plist >= 0) H5Pclose(plist);
    hsize_t chunks; /* counting them walks the whole chunk index */
    if (layout == H5D_CHUNKED && H5Dget_num_chunks(f->ids[i], H5S_ALL, &chunks) < 0)
      return lunet_fail("%s: dataset '%s': its chunk index cannot be read (a damaged file)", f->path, f->sets[i].name);
  }
  return 0;
}

/* ---- writing ---- */

static int has_nan(const double *v, int64_t n) {
  for (int64_t i = 0; i < n; i++)
    if (isnan(v[i])) return 1;
  return 0;
}

/* Checks every column before the file is created: nothing is written for a
 * frame that cannot be written whole. */
static int check_writable(int n, const char *const *names, lunet_column_t *const *cols) {
  if (n == 0) return lunet_fail("the DataFrame has no columns");
  for (int i = 0; i < n; i++) {
    const lunet_column_t *c = cols[i];
    if (!names[i][0] || strchr(names[i], '/') || strcmp(names[i], ".") == 0)
      return lunet_fail("column '%s': an HDF5 dataset name cannot be empty, '.' or contain '/' (a group path)", names[i]);
    if (c->type == LUNET_COL_STRING)
      return lunet_fail("column '%s' is a string column; HDF5 files hold numeric and vector columns", names[i]);
    if (c->type == LUNET_COL_VECTOR && c->tensor->ndim != 2)
      return lunet_fail("column '%s' has %d dimensions a row; write_hdf5 writes vectors of one dimension (rows, d)",
                        names[i], c->tensor->ndim - 1);
  }
  return 0;
}

static int write_column(hid_t file, const char *name, const lunet_column_t *c, char why[200]) {
  int rank = c->type == LUNET_COL_VECTOR ? 2 : 1;
  hsize_t dims[2] = {(hsize_t)c->rows, rank == 2 ? (hsize_t)c->tensor->shape[1] : 1};
  hid_t file_type, mem_type;
  const void *data;
  if (c->type == LUNET_COL_FLOAT || c->type == LUNET_COL_VECTOR) {
    file_type = H5T_IEEE_F32LE, mem_type = H5T_NATIVE_FLOAT;
    data = c->tensor->storage->data + c->tensor->offset;
  } else {
    const double *v = lunet_column_f64(c);
    /* libhdf5 converts the doubles to int64 while writing: no copy */
    file_type = c->type == LUNET_COL_INTEGER && !has_nan(v, c->rows) ? H5T_STD_I64LE : H5T_IEEE_F64LE;
    mem_type = H5T_NATIVE_DOUBLE;
    data = v;
  }
  hid_t space = H5Screate_simple(rank, dims, NULL);
  hid_t set = space >= 0 ? H5Dcreate2(file, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
  herr_t rc = set >= 0 && (c->rows == 0 || H5Dwrite(set, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0) ? 0 : -1;
  if (rc < 0) h5_why(why);
  if (set >= 0 && H5Dclose(set) < 0) rc = -1;
  if (space >= 0) H5Sclose(space);
  return rc;
}

int lunet_h5_write(const char *path, int n, const char *const *names, lunet_column_t *const *cols) {
  quiet();
  if (check_writable(n, names, cols) < 0) return -1;
  lunet_atomic_t a;
  if (lunet_atomic_open(&a, path) < 0) return -1;
  /* libhdf5 writes the temporary file by its name; the commit then syncs and
   * renames it (the stdio stream a holds has nothing buffered) */
  hid_t file = H5Fcreate(a.tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  char buf[200];
  if (file < 0) {
    lunet_fail("cannot write '%s': libhdf5 cannot create the file%s", path, h5_why(buf));
    lunet_atomic_abort(&a);
    return -1;
  }
  for (int i = 0; i < n; i++) {
    if (write_column(file, names[i], cols[i], buf) < 0) {
      lunet_fail("cannot write '%s': column '%s'%s", path, names[i], buf);
      H5Fclose(file);
      lunet_atomic_abort(&a);
      return -1;
    }
  }
  if (H5Fclose(file) < 0) {
    lunet_fail("cannot write '%s': closing the file failed%s", path, h5_why(buf));
    lunet_atomic_abort(&a);
    return -1;
  }
  return lunet_atomic_commit(&a);
}
