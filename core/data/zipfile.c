/* Zip archives (zipfile.h) over libzip: listing and reading members with
 * their declared sizes checked before anything is allocated, and writing an
 * archive built in memory then replaced atomically. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "common.h"
#include "file.h"
#include "zipfile.h"

#define LIST_IN_ERRORS 20 /* members named when one is missing */

/* Opens path read-only, checking the archive's consistency. */
static zip_t *open_zip(const char *path) {
  const char *why;
  int fd = lunet_file_open_read(path, &why); /* a clear reason for a missing file or a directory */
  if (fd < 0) { lunet_fail("cannot open '%s': %s", path, why); return NULL; }
  close(fd);
  int code = 0;
  zip_t *z = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &code);
  if (z) return z;
  if (code == ZIP_ER_NOZIP) {
    lunet_fail("%s: not a zip file (or a truncated one: its central directory is missing)", path);
  } else {
    zip_error_t e;
    zip_error_init_with_code(&e, code);
    lunet_fail("%s: the zip is damaged or unreadable: %s", path, zip_error_strerror(&e));
    zip_error_fini(&e);
  }
  return NULL;
}

void lunet_zip_entries_free(lunet_zip_entry_t *e, int64_t n) {
  if (!e) return;
  for (int64_t i = 0; i < n; i++) free(e[i].name);
  free(e);
}

static char *dup_str(const char *s) {
  size_t len = strlen(s);
  char *d = lunet_malloc(len + 1);
  if (d) memcpy(d, s, len + 1);
  return d;
}

int lunet_zip_list(const char *path, lunet_zip_entry_t **out, int64_t *n) {
  *out = NULL;
  *n = 0;
  zip_t *z = open_zip(path);
  if (!z) return -1;
  zip_int64_t count = zip_get_num_entries(z, 0);
  lunet_zip_entry_t *e = count >= 0 ? lunet_calloc((size_t)count + 1, sizeof *e) : NULL;
  int64_t k = 0;
  int rc = e ? 0 : -1;
  for (zip_int64_t i = 0; rc == 0 && i < count; i++) {
    zip_stat_t st;
    if (zip_stat_index(z, (zip_uint64_t)i, 0, &st) < 0 || !(st.valid & ZIP_STAT_NAME) || !(st.valid & ZIP_STAT_SIZE)) {
      rc = lunet_fail("%s: cannot read member %lld: %s", path, (long long)i + 1, zip_strerror(z));
      break;
    }
    e[k].name = dup_str(st.name);
    if (!e[k].name) { rc = -1; break; }
    e[k].size = st.size;
    k++;
  }
  zip_discard(z);
  if (rc < 0) { lunet_zip_entries_free(e, k); return -1; }
  *out = e;
  *n = k;
  return 0;
}

/* "<path>: no member 'x' (it holds: a, b, ...)". */
static int missing(zip_t *z, const char *path, const char *member) {
  char list[1024] = "";
  size_t used = 0;
  zip_int64_t count = zip_get_num_entries(z, 0);
  for (zip_int64_t i = 0; i < count && i < LIST_IN_ERRORS; i++) {
    const char *name = zip_get_name(z, (zip_uint64_t)i, 0);
    int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", name ? name : "?");
    if (w < 0 || (size_t)w >= sizeof list - used) break;
    used += (size_t)w;
  }
  if (count > LIST_IN_ERRORS) snprintf(list + used, sizeof list - used, ", ... (%lld members)", (long long)count);
  return lunet_fail("%s: no member '%s' (it holds: %s)", path, member, count > 0 ? list : "nothing");
}

int lunet_zip_read(const char *path, const char *member, char **data, size_t *len) {
  *data = NULL;
  *len = 0;
  zip_t *z = open_zip(path);
  if (!z) return -1;
  zip_int64_t idx = zip_name_locate(z, member, 0);
  if (idx < 0) {
    missing(z, path, member);
    zip_discard(z);
    return -1;
  }
  zip_stat_t st;
  int rc = 0;
  if (zip_stat_index(z, (zip_uint64_t)idx, 0, &st) < 0 || !(st.valid & ZIP_STAT_SIZE) ||
      !(st.valid & ZIP_STAT_COMP_SIZE)) {
    rc = lunet_fail("%s: member '%s': cannot read its header: %s", path, member, zip_strerror(z));
  } else if (st.size > LUNET_ZIP_MEMBER_MAX) {
    rc = lunet_fail("%s: member '%s' declares %llu bytes, more than the %llu a member may hold", path, member,
                    (unsigned long long)st.size, (unsigned long long)LUNET_ZIP_MEMBER_MAX);
  } else if (st.size > (1 << 20) && st.size / LUNET_ZIP_RATIO_MAX > st.comp_size) {
    rc = lunet_fail("%s: member '%s' declares %llu bytes from %llu compressed (a zip bomb?)", path, member,
                    (unsigned long long)st.size, (unsigned long long)st.comp_size);
  }
  if (rc < 0) { zip_discard(z); return -1; }
  zip_file_t *f = zip_fopen_index(z, (zip_uint64_t)idx, 0);
  char *buf = f ? lunet_malloc((size_t)st.size + 1) : NULL;
  if (!f) rc = lunet_fail("%s: member '%s': cannot open it: %s", path, member, zip_strerror(z));
  else if (!buf) rc = -1;
  zip_uint64_t got = 0;
  while (rc == 0 && got < st.size) { /* no more than declared: a lying header cannot make it grow */
    zip_int64_t r = zip_fread(f, buf + got, st.size - got);
    if (r < 0) rc = lunet_fail("%s: member '%s' is damaged: %s", path, member, zip_file_strerror(f));
    else if (r == 0) rc = lunet_fail("%s: member '%s' ends after %llu of its %llu bytes (a truncated zip?)", path,
                                      member, (unsigned long long)got, (unsigned long long)st.size);
    else got += (zip_uint64_t)r;
  }
  if (rc == 0) { /* at the end: libzip checks the CRC, and nothing may follow */
    char extra;
    zip_int64_t r = zip_fread(f, &extra, 1);
    if (r < 0) rc = lunet_fail("%s: member '%s' is damaged: %s", path, member, zip_file_strerror(f));
    else if (r > 0) rc = lunet_fail("%s: member '%s' holds more than the %llu bytes it declares (a damaged zip)",
                                    path, member, (unsigned long long)st.size);
  }
  if (f) zip_fclose(f);
  zip_discard(z);
  if (rc < 0) { free(buf); return -1; }
  buf[st.size] = 0;
  *data = buf;
  *len = (size_t)st.size;
  return 0;
}

/* ---- writing ---- */

static int check_names(const char *path, const lunet_zip_member_t *m, int n) {
  for (int i = 0; i < n; i++) {
    if (!m[i].name[0]) return lunet_fail("cannot write '%s': member %d has an empty name", path, i + 1);
    for (int j = 0; j < i; j++)
      if (strcmp(m[i].name, m[j].name) == 0)
        return lunet_fail("cannot write '%s': member '%s' is given twice (members %d and %d)", path, m[i].name, j + 1,
                          i + 1);
  }
  return 0;
}

/* The archive's bytes, built by libzip in a memory source (malloc'd). */
static int build(const char *path, const lunet_zip_member_t *m, int n, char **out, size_t *out_len) {
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t *mem = zip_source_buffer_create(NULL, 0, 0, &err);
  zip_t *z = NULL;
  int rc = 0;
  if (mem) {
    zip_source_keep(mem); /* kept past zip_close, which writes into it */
    z = zip_open_from_source(mem, ZIP_TRUNCATE, &err);
  }
  if (!z) rc = lunet_fail("cannot write '%s': libzip: %s", path, zip_error_strerror(&err));
  for (int i = 0; rc == 0 && i < n; i++) {
    zip_source_t *src = zip_source_buffer(z, m[i].data, m[i].len, 0);
    zip_int64_t idx = src ? zip_file_add(z, m[i].name, src, ZIP_FL_ENC_UTF_8) : -1;
    if (idx < 0) {
      if (src) zip_source_free(src);
      rc = lunet_fail("cannot write '%s': member '%s': %s", path, m[i].name, zip_strerror(z));
    } else if (zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_DEFLATE, 0) < 0) {
      rc = lunet_fail("cannot write '%s': member '%s': %s", path, m[i].name, zip_strerror(z));
    }
  }
  if (rc == 0 && zip_close(z) < 0) rc = lunet_fail("cannot write '%s': libzip: %s", path, zip_strerror(z));
  else if (rc == 0) z = NULL; /* closed */
  if (z) zip_discard(z);
  char *bytes = NULL;
  zip_stat_t st;
  if (rc == 0 && (zip_source_open(mem) < 0 || zip_source_stat(mem, &st) < 0 || !(st.valid & ZIP_STAT_SIZE)))
    rc = lunet_fail("cannot write '%s': libzip: %s", path, zip_error_strerror(zip_source_error(mem)));
  else if (rc == 0) {
    bytes = lunet_malloc(st.size + 1);
    zip_int64_t r = bytes ? zip_source_read(mem, bytes, st.size) : -1;
    if (bytes && r != (zip_int64_t)st.size) rc = lunet_fail("cannot write '%s': libzip lost the archive", path);
    if (!bytes) rc = -1;
    zip_source_close(mem);
  }
  if (mem) zip_source_free(mem);
  zip_error_fini(&err);
  if (rc < 0) { free(bytes); return -1; }
  *out = bytes;
  *out_len = (size_t)st.size;
  return 0;
}

int lunet_zip_write(const char *path, const lunet_zip_member_t *members, int n) {
  if (check_names(path, members, n) < 0) return -1;
  if (n == 0) { /* libzip removes an archive left empty: write its end record alone, as Python's zipfile does */
    static const char empty[22] = {'P', 'K', 5, 6};
    return lunet_atomic_write(path, empty, sizeof empty);
  }
  char *bytes;
  size_t len;
  if (build(path, members, n, &bytes, &len) < 0) return -1;
  int rc = lunet_atomic_write(path, bytes, len);
  free(bytes);
  return rc;
}
