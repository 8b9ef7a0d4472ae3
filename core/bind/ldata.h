/* What the data binding's files share (lcolumn.c: the Column and RowIndex
 * userdata and frames' column construction; lrows.c: row kernels; lcsv.c:
 * CSV and IDX files; lmissing.c: missing values). lua/lunet/data and
 * lua/lunet/feature check users' values; these files check only what memory
 * safety needs. */
#ifndef LUNET_LDATA_H
#define LUNET_LDATA_H

#include "column.h"
#include "lbind.h"

#define LUNET_COLUMN_MT "lunet.Column"
#define LUNET_ROWINDEX_MT "lunet.RowIndex"

/* 0-based row positions made by permutations, masks and splits (idx owned). */
typedef struct { int64_t *idx; int64_t n; } lunet_rowindex_t;

/* The column at i (borrowed), or a Lua argument error. */
lunet_column_t *lunet_check_column(lua_State *L, int i);
/* The list of columns at index i as a C array of *n borrowed pointers (the
 * table keeps the columns alive), held by a scratch userdata this pushes
 * (collected with it); a bad entry is a Lua argument error, a length beyond
 * int raises "<where>: <n> columns". */
lunet_column_t **lunet_check_columns(lua_State *L, int i, const char *where, int *n);
/* Pushes a Column userdata owning c (takes ownership), counting the bytes it
 * allocated towards the collector's pace; c == NULL raises "<where>:
 * <errmsg>". lunet_push_column_view counts nothing (c shares buffers). */
void lunet_push_column(lua_State *L, lunet_column_t *c, const char *where);
void lunet_push_column_view(lua_State *L, lunet_column_t *c, const char *where);
/* Pushes an empty RowIndex for the caller to fill. */
lunet_rowindex_t *lunet_push_rowindex(lua_State *L);

/* Column methods and module functions of lrows.c, lcsv.c and lmissing.c,
 * registered by lunet_open_data (lcolumn.c). */
extern const luaL_Reg lunet_column_kernels[];
extern const luaL_Reg lunet_data_row_functions[];
extern const luaL_Reg lunet_data_file_functions[];
extern const luaL_Reg lunet_data_missing_functions[];
extern const luaL_Reg lunet_data_hdf5_functions[]; /* lhdf5.c */
/* The CSV shard functions and the cursor's metatable (lsource.c). */
void lunet_open_source(lua_State *L);

#endif
