/* What the HDF5 readers (h5file.c, h5tree_value.c) check of a stored type
 * before libhdf5 converts it. */
#ifndef LUNET_H5TYPES_H
#define LUNET_H5TYPES_H

#include <hdf5.h>

/* Whether an integer or float type's bit fields lie inside its bytes:
 * libhdf5 1.10.8 converts a type claiming bits past its end by reading wild
 * memory (a crash found by spec/fuzz/fuzz_hdf5.c). */
int lunet_h5_numeric_type_ok(hid_t type);

#endif
