/* Zip archives through libzip (Keras 3's .keras files: config.json,
 * metadata.json and model.weights.h5 in one zip). zipfile.c is the only file
 * that includes <zip.h>. Errors: lunet_fail, -1, naming the file and the
 * member ("m.keras: no member 'model.weights.h5' (it holds: config.json,
 * metadata.json)"). */
#ifndef LUNET_ZIPFILE_H
#define LUNET_ZIPFILE_H

#include <stddef.h>
#include <stdint.h>

/* The largest member zip_read returns, and the most a member may expand
 * from its compressed size (deflate's own bound is ~1032:1; members up to
 * 1 MiB are not held to it). */
#define LUNET_ZIP_MEMBER_MAX ((uint64_t)4 << 30)
#define LUNET_ZIP_RATIO_MAX 1100

typedef struct {
  char *name;    /* as stored ("dir/" for a directory entry) */
  uint64_t size; /* uncompressed bytes, as declared */
} lunet_zip_entry_t;

/* The members of the zip at path, in the archive's order, as *n entries in
 * *out (owned by the caller: lunet_zip_entries_free). 0 or -1 ("<path>: not
 * a zip file", "<path>: the zip is damaged: ..."). */
int lunet_zip_list(const char *path, lunet_zip_entry_t **out, int64_t *n);
void lunet_zip_entries_free(lunet_zip_entry_t *e, int64_t n);

/* Member member of the zip at path, inflated, in *data (*len bytes, malloc'd
 * and NUL-terminated: the caller frees it). Refuses a member declaring more
 * than LUNET_ZIP_MEMBER_MAX bytes or expanding more than
 * LUNET_ZIP_RATIO_MAX times, reads no more than the declared size and checks
 * the CRC. 0 or -1. */
int lunet_zip_read(const char *path, const char *member, char **data, size_t *len);

typedef struct {
  const char *name;
  const void *data; /* (len) borrowed until lunet_zip_write returns */
  size_t len;
} lunet_zip_member_t;

/* Writes a new zip holding the n members (deflated, in this order) over
 * path, atomically (core/file.h): the archive is built in memory, then
 * written to a temporary file renamed over path. Empty and duplicate names
 * are errors. 0 or -1 (path untouched). */
int lunet_zip_write(const char *path, const lunet_zip_member_t *members, int n);

#endif
