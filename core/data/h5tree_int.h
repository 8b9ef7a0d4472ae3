/* Private to h5tree.c, h5tree_value.c and h5tree_write.c: the tree's
 * struct and the helpers they share. */
#ifndef LUNET_H5TREE_INT_H
#define LUNET_H5TREE_INT_H

#include <hdf5.h>

#include "h5tree.h"

struct lunet_h5tree {
  hid_t file;
  hid_t lapl; /* link access: external links refused */
  char *name; /* for errors: the path or the display name */
};

/* Silences libhdf5's error printing (per thread; every entry point calls it). */
void lunet_h5t_quiet(void);
/* ": <libhdf5's innermost reason>" or "" (buf holds 200 bytes). */
const char *lunet_h5t_why(char buf[200]);
/* "" and "/" -> "/"; others as given. */
const char *lunet_h5t_path(const char *path);
/* Opens the object at path (H5Oclose it), or fails "<f>: no object 'path'". */
hid_t lunet_h5t_open(lunet_h5tree_t *t, const char *path);
/* "a compound", "an enum", ... for messages about a type class. */
const char *lunet_h5t_class_name(H5T_class_t c);

#endif
