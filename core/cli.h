/* The lunet executable's two halves: core/main.c (options, scripts,
 * commands, finding the Lua package) and core/repl.c (the interactive REPL).
 * Not part of the runtime library: nothing else includes this. */
#ifndef LUNET_CLI_H
#define LUNET_CLI_H

#include <lua.h>

/* Calls the function below narg arguments on L's stack in protected mode,
 * with a traceback message handler and Ctrl-C turned into a Lua error
 * ("interrupted!"); returns the lua_pcall status (main.c). */
int lunet_cli_docall(lua_State *L, int narg, int nres);

/* Prints the error on top of the stack to stderr and pops it when status is
 * not LUA_OK; returns status (main.c). */
int lunet_cli_report(lua_State *L, int status);

/* Runs the REPL on stdin until end of input: readline with history
 * (~/.lunet_history) and Tab completion at a terminal, whole lines from a
 * pipe; lua/lunet/repl does the rest (repl.c). */
void lunet_repl_run(lua_State *L);

#endif
