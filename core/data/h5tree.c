/* Opening an HDF5 file as a tree (h5tree.h): from a path or from bytes (the
 * core driver with a file image: no temporary file), vetted by a child that
 * walks it whole; what is at a path; listing a group. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "file.h"
#include "h5guard.h"
#include "h5tree_int.h"

#define WALK_MAX_OBJECTS 100000 /* a walk visiting more is a hostile file */

void lunet_h5t_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

static herr_t first_desc(unsigned n, const H5E_error2_t *e, void *out) {
  if (((char *)out)[0] || !e->desc || (e->func_name && strncmp(e->func_name, "H5PL", 4) == 0)) return 0;
  snprintf(out, 200, ": %s", e->desc);
  return 0;
}
const char *lunet_h5t_why(char buf[200]) {
  buf[0] = 0;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, first_desc, buf);
  return buf;
}

const char *lunet_h5t_path(const char *path) { return !path[0] ? "/" : path; }

const char *lunet_h5t_class_name(H5T_class_t c) {
  return c == H5T_STRING ? "a string" : c == H5T_COMPOUND ? "a compound" : c == H5T_ENUM ? "an enum"
         : c == H5T_ARRAY ? "an array type" : c == H5T_VLEN ? "a variable-length sequence"
         : c == H5T_REFERENCE ? "a reference" : c == H5T_OPAQUE ? "an opaque type" : c == H5T_BITFIELD ? "a bitfield"
         : c == H5T_TIME ? "a time type" : c == H5T_INTEGER ? "an integer" : c == H5T_FLOAT ? "a float"
         : "an unknown type";
}

/* Whether path names something: H5Lexists checks one link at a time, and
 * fails (rather than says no) when a parent is missing. */
static int exists(lunet_h5tree_t *t, const char *path) {
  if (strcmp(path, "/") == 0) return 1;
  size_t len = strlen(path);
  char *p = lunet_malloc(len + 1);
  if (!p) return 0;
  memcpy(p, path, len + 1);
  int ok = 1;
  for (size_t i = 1; ok && i <= len; i++) {
    if (p[i] != '/' && p[i] != 0) continue;
    char c = p[i];
    p[i] = 0;
    ok = H5Lexists(t->file, p, t->lapl) > 0;
    p[i] = c;
  }
  free(p);
  return ok;
}

hid_t lunet_h5t_open(lunet_h5tree_t *t, const char *path) {
  path = lunet_h5t_path(path);
  hid_t obj = exists(t, path) ? H5Oopen(t->file, path, t->lapl) : -1;
  if (obj < 0) lunet_fail("%s: no object '%s'", t->name, path);
  return obj;
}

static herr_t refuse_elink(const char *parent_file, const char *parent_group, const char *target_file,
                           const char *target_obj, unsigned *flags, hid_t fapl, void *arg) {
  return -1;
}

static int has_signature(const unsigned char *b, size_t len) {
  static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  for (size_t at = 0; at + 8 <= len; at = at ? at * 2 : 512) /* the superblock is at 0, 512, 1024, ... */
    if (memcmp(b + at, sig, 8) == 0) return 1;
  return 0;
}

lunet_h5tree_t *lunet_h5tree_open_in_process(const char *path, const void *bytes, size_t len, const char *name) {
  lunet_h5t_quiet();
  if (path) {
    const char *why;
    int fd = lunet_file_open_read(path, &why);
    if (fd < 0) { lunet_fail("cannot open '%s': %s", path, why); return NULL; }
    close(fd);
    if (H5Fis_hdf5(path) <= 0) { lunet_fail("%s: not an HDF5 file", name); return NULL; }
  } else if (!has_signature(bytes, len)) {
    lunet_fail("%s: not an HDF5 file", name);
    return NULL;
  }
  lunet_h5tree_t *t = lunet_calloc(1, sizeof *t);
  if (!t) return NULL;
  t->file = t->lapl = -1;
  size_t nlen = strlen(name);
  t->name = lunet_malloc(nlen + 1);
  if (!t->name) { lunet_h5tree_free(t); return NULL; }
  memcpy(t->name, name, nlen + 1);
  t->lapl = H5Pcreate(H5P_LINK_ACCESS);
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (t->lapl < 0 || fapl < 0 || H5Pset_elink_cb(t->lapl, refuse_elink, NULL) < 0) {
    if (fapl >= 0) H5Pclose(fapl);
    lunet_fail("%s: libhdf5 cannot make its property lists", name);
    lunet_h5tree_free(t);
    return NULL;
  }
#if H5_VERSION_GE(1, 10, 7)
  H5Pset_file_locking(fapl, 0, 1); /* reading needs no lock, and shared file systems may refuse one */
#endif
  if (path) {
    t->file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
  } else if (H5Pset_fapl_core(fapl, 1 << 16, 0) >= 0 && H5Pset_file_image(fapl, (void *)bytes, len) >= 0) {
    /* (the core driver reads the image it copied; the name is only a label) */
    static unsigned serial;
    char label[64];
    snprintf(label, sizeof label, "lunet-h5-image-%u", ++serial);
    t->file = H5Fopen(label, H5F_ACC_RDONLY, fapl);
  }
  char buf[200];
  lunet_h5t_why(buf);
  H5Pclose(fapl);
  if (t->file < 0) {
    lunet_fail("%s: cannot open the HDF5 file%s", name, buf);
    lunet_h5tree_free(t);
    return NULL;
  }
  return t;
}

void lunet_h5tree_free(lunet_h5tree_t *t) {
  if (!t) return;
  if (t->file >= 0) H5Fclose(t->file);
  if (t->lapl >= 0) H5Pclose(t->lapl);
  free(t->name);
  free(t);
}

const char *lunet_h5tree_name(const lunet_h5tree_t *t) { return t->name; }

lunet_h5obj_t lunet_h5tree_kind(lunet_h5tree_t *t, const char *path) {
  lunet_h5t_quiet();
  path = lunet_h5t_path(path);
  if (!exists(t, path)) return LUNET_H5_NONE;
  H5O_info_t info;
  if (H5Oget_info_by_name2(t->file, path, &info, H5O_INFO_BASIC, t->lapl) < 0) return LUNET_H5_NONE;
  return info.type == H5O_TYPE_GROUP ? LUNET_H5_GROUP : info.type == H5O_TYPE_DATASET ? LUNET_H5_DATASET : LUNET_H5_NONE;
}

void lunet_h5tree_entries_free(lunet_h5entry_t *e, int64_t n) {
  if (!e) return;
  for (int64_t i = 0; i < n; i++) free(e[i].name);
  free(e);
}

int lunet_h5tree_list(lunet_h5tree_t *t, const char *path, lunet_h5entry_t **out, int64_t *n) {
  lunet_h5t_quiet();
  *out = NULL;
  *n = 0;
  path = lunet_h5t_path(path);
  hid_t obj = lunet_h5t_open(t, path);
  if (obj < 0) return -1;
  if (H5Iget_type(obj) != H5I_GROUP) {
    H5Oclose(obj);
    return lunet_fail("%s: '%s' is a dataset, not a group", t->name, path);
  }
  H5G_info_t info;
  char buf[200];
  if (H5Gget_info(obj, &info) < 0) {
    H5Oclose(obj);
    return lunet_fail("%s: cannot list group '%s'%s", t->name, path, lunet_h5t_why(buf));
  }
  if (info.nlinks > WALK_MAX_OBJECTS) {
    H5Oclose(obj);
    return lunet_fail("%s: group '%s' claims %llu members (a damaged file)", t->name, path,
                      (unsigned long long)info.nlinks);
  }
  lunet_h5entry_t *e = lunet_calloc(info.nlinks + 1, sizeof *e);
  int64_t k = 0;
  int rc = e ? 0 : -1;
  for (hsize_t i = 0; rc == 0 && i < info.nlinks; i++) {
    ssize_t len = H5Lget_name_by_idx(obj, ".", H5_INDEX_NAME, H5_ITER_INC, i, NULL, 0, H5P_DEFAULT);
    if (len < 0 || len > 65535) {
      rc = lunet_fail("%s: cannot read the name of member %llu of group '%s' (a damaged file)", t->name,
                      (unsigned long long)i + 1, path);
      break;
    }
    char *name = lunet_malloc((size_t)len + 1);
    if (!name) { rc = -1; break; }
    H5Lget_name_by_idx(obj, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, (size_t)len + 1, H5P_DEFAULT);
    H5L_info_t li;
    H5O_info_t oi;
    int keep = strlen(name) == (size_t)len && H5Lget_info(obj, name, &li, t->lapl) >= 0 &&
               (li.type == H5L_TYPE_HARD || li.type == H5L_TYPE_SOFT) &&
               H5Oget_info_by_name2(obj, name, &oi, H5O_INFO_BASIC, t->lapl) >= 0 &&
               (oi.type == H5O_TYPE_GROUP || oi.type == H5O_TYPE_DATASET);
    if (!keep) { free(name); continue; } /* a dangling or external link, a named datatype */
    e[k].name = name;
    e[k].kind = oi.type == H5O_TYPE_GROUP ? LUNET_H5_GROUP : LUNET_H5_DATASET;
    k++;
  }
  H5Oclose(obj);
  if (rc < 0) { lunet_h5tree_entries_free(e, k); return -1; }
  *out = e;
  *n = k;
  return 0;
}

/* ---- the walk (what the vetting child does) ---- */

typedef struct {
  lunet_h5tree_t *t;
  haddr_t *seen; /* addresses of the objects visited (hard links may make cycles) */
  int64_t nseen, cap;
  int rc;
} walk_t;

static int visit_once(walk_t *w, const char *path) {
  H5O_info_t oi;
  if (H5Oget_info_by_name2(w->t->file, path, &oi, H5O_INFO_BASIC, w->t->lapl) < 0) return 0;
  for (int64_t i = 0; i < w->nseen; i++)
    if (w->seen[i] == oi.addr) return 0;
  if (w->nseen >= WALK_MAX_OBJECTS) { w->rc = lunet_fail("%s: more than %d objects", w->t->name, WALK_MAX_OBJECTS); return 0; }
  if (w->nseen == w->cap) {
    int64_t cap = w->cap ? w->cap * 2 : 64;
    haddr_t *s = realloc(w->seen, (size_t)cap * sizeof *s);
    if (!s) { w->rc = lunet_fail("%s: out of memory walking the file", w->t->name); return 0; }
    w->seen = s, w->cap = cap;
  }
  w->seen[w->nseen++] = oi.addr;
  return 1;
}

static void walk_attrs(walk_t *w, const char *path) {
  char **names = NULL;
  int64_t n = 0;
  if (lunet_h5tree_attr_names(w->t, path, &names, &n) < 0) { w->rc = -1; return; }
  for (int64_t i = 0; i < n; i++) {
    lunet_h5value_t v = {0};
    if (lunet_h5tree_attr(w->t, path, names[i], &v) < 0) w->rc = -1;
    lunet_h5value_clear(&v);
    free(names[i]);
  }
  free(names);
}

static void walk(walk_t *w, const char *path) {
  if (w->nseen >= WALK_MAX_OBJECTS || !visit_once(w, path)) return;
  walk_attrs(w, path);
  lunet_h5obj_t kind = lunet_h5tree_kind(w->t, path);
  if (kind == LUNET_H5_DATASET) {
    int ndim;
    int64_t shape[LUNET_MAX_DIMS];
    lunet_tensor_t *x = lunet_h5tree_shape(w->t, path, &ndim, shape) == 0 ? lunet_h5tree_read(w->t, path) : NULL;
    if (!x) w->rc = -1;
    lunet_tensor_free(x);
    return;
  }
  lunet_h5entry_t *e;
  int64_t n;
  if (lunet_h5tree_list(w->t, path, &e, &n) < 0) { w->rc = -1; return; }
  size_t plen = strlen(path);
  for (int64_t i = 0; i < n; i++) {
    size_t len = plen + strlen(e[i].name) + 2;
    char *child = lunet_malloc(len);
    if (!child) break;
    snprintf(child, len, "%s%s%s", path, strcmp(path, "/") == 0 ? "" : "/", e[i].name);
    walk(w, child);
    free(child);
  }
  lunet_h5tree_entries_free(e, n);
}

int lunet_h5tree_walk(lunet_h5tree_t *t) {
  walk_t w = {t, NULL, 0, 0, 0};
  walk(&w, "/");
  free(w.seen);
  return w.rc;
}

/* ---- guarded opens ---- */

typedef struct { const char *path; const void *bytes; size_t len; const char *name; } job_t;

static void vet_tree(void *arg) {
  const job_t *j = arg;
  lunet_h5tree_t *t = lunet_h5tree_open_in_process(j->path, j->bytes, j->len, j->name);
  if (t) lunet_h5tree_walk(t);
  lunet_h5tree_free(t);
}

#define TREE_KEY 0x6835747265652121ull /* "h5tree!!": a whole walk, not a data reader's datasets */

lunet_h5tree_t *lunet_h5tree_open(const char *path) {
  job_t j = {path, NULL, 0, path};
  if (lunet_h5guard_run(path, path, TREE_KEY, vet_tree, &j) < 0) return NULL;
  return lunet_h5tree_open_in_process(path, NULL, 0, path);
}

lunet_h5tree_t *lunet_h5tree_open_bytes(const void *bytes, size_t len, const char *display_name) {
  job_t j = {NULL, bytes, len, display_name};
  if (!has_signature(bytes, len)) { lunet_fail("%s: not an HDF5 file", display_name); return NULL; }
  if (lunet_h5guard_run(display_name, NULL, 0, vet_tree, &j) < 0) return NULL;
  return lunet_h5tree_open_in_process(NULL, bytes, len, display_name);
}
