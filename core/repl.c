/* The lunet REPL's terminal side: reads lines (readline with history and
 * Tab completion at a terminal, whole lines from a pipe) and hands each to
 * lua/lunet/repl's feed, which compiles, runs and shows it and answers with
 * the next prompt. Completion asks lunet.repl.complete for the candidates,
 * so what Tab offers is written, and tested, in Lua. */
#define _GNU_SOURCE
#include <lauxlib.h>
#include <lua.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "common.h"

static lua_State *repl_L;           /* the state completion calls into */
static int repl_ref = LUA_NOREF;    /* the lunet.repl table, in the registry */
static int matches_ref = LUA_NOREF; /* the current completion's candidates */
static int interactive;
static volatile sig_atomic_t cancelled; /* Ctrl-C at the prompt */

/* Ctrl-C at the prompt drops what is being typed (and an unfinished chunk:
 * see push_line) and shows a fresh prompt, as Python's REPL does; lua -i
 * would exit and lose the session. (readline's usual idiom; readline is
 * waiting for a key, nothing else runs.) */
static void on_prompt_sigint(int sig) {
  (void)sig;
  cancelled = 1;
  if (write(STDOUT_FILENO, "\n", 1) < 0) return;
  rl_set_prompt("> ");
  rl_on_new_line();
  rl_replace_line("", 0);
  rl_redisplay();
}

/* Pushes lunet.repl[name]. */
static void push_repl_function(lua_State *L, const char *name) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, repl_ref);
  lua_getfield(L, -1, name);
  lua_remove(L, -2);
}

/* Pushes the next line (without its newline) as a Lua string; 0 at the end
 * of input. From a pipe the line is read whole, however long, NUL bytes
 * included (getline): a fixed buffer would split a long line and run its
 * first part alone. */
static int push_line(lua_State *L, const char *prompt) {
  if (interactive) {
    signal(SIGINT, on_prompt_sigint);
    char *line = readline(prompt);
    signal(SIGINT, SIG_DFL);
    if (cancelled) {
      cancelled = 0;
      push_repl_function(L, "cancel");
      lunet_cli_report(L, lunet_cli_docall(L, 0, 0));
    }
    if (!line) return 0;
    if (line[0]) add_history(line);
    lua_pushstring(L, line);
    free(line);
    return 1;
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t n = getline(&line, &cap, stdin);
  if (n < 0) { free(line); return 0; }
  if (n && line[n - 1] == '\n') n--;
  lua_pushlstring(L, line, (size_t)n);
  free(line);
  return 1;
}

/* readline's generator: the state-th candidate, malloc'd (readline frees it). */
static char *next_match(const char *text, int state) {
  (void)text;
  static lua_Integer next;
  if (state == 0) next = 1;
  lua_State *L = repl_L;
  lua_rawgeti(L, LUA_REGISTRYINDEX, matches_ref);
  char *out = NULL;
  if (lua_istable(L, -1)) {
    if (lua_rawgeti(L, -1, next++) == LUA_TSTRING) out = strdup(lua_tostring(L, -1));
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return out;
}

/* Tab: the word before the cursor (a.b.c, a:m) completed by lunet.repl.complete;
 * never file names. */
static char **complete_word(const char *text, int start, int end) {
  (void)start; (void)end;
  rl_attempted_completion_over = 1;
  rl_completion_append_character = '\0'; /* "lunet.trainers" then '.' */
  lua_State *L = repl_L;
  int top = lua_gettop(L);
  push_repl_function(L, "complete");
  lua_pushstring(L, text);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK || !lua_istable(L, -1)) {
    lua_settop(L, top);
    return NULL;
  }
  luaL_unref(L, LUA_REGISTRYINDEX, matches_ref);
  matches_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_settop(L, top);
  return rl_completion_matches(text, next_match);
}

static void history_path(char *out, size_t size) {
  const char *home = getenv("HOME");
  snprintf(out, size, "%s/.lunet_history", home ? home : ".");
}

void lunet_repl_run(lua_State *L) {
  lua_getglobal(L, "require");
  lua_pushliteral(L, "lunet.repl");
  if (lunet_cli_report(L, lunet_cli_docall(L, 1, 1)) != LUA_OK) return;
  repl_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  repl_L = L;
  interactive = isatty(STDIN_FILENO);
  char hist[4096], prompt[8] = "> ";
  if (interactive) {
    history_path(hist, sizeof hist);
    read_history(hist);
    rl_readline_name = "lunet";
    rl_catch_signals = 0; /* Ctrl-C: on_prompt_sigint */
    rl_attempted_completion_function = complete_word;
    /* '.' and ':' join a name (lunet.trainers, df:show); operators and brackets end it */
    rl_completer_word_break_characters = " \t\n\"'`@$><=;|&{}()[],+-*/%^#~";
    push_repl_function(L, "banner");
    lua_pushstring(L, LUNET_VERSION);
    if (lua_pcall(L, 1, 1, 0) == LUA_OK) printf("%s\n", lua_tostring(L, -1));
    lua_pop(L, 1);
  }
  int base = lua_gettop(L);
  while (push_line(L, interactive ? prompt : "")) {
    push_repl_function(L, "feed");
    lua_insert(L, -2);
    int status = lunet_cli_docall(L, 1, 1);
    snprintf(prompt, sizeof prompt, "%s", "> ");
    if (status == LUA_OK && lua_type(L, -1) == LUA_TSTRING) snprintf(prompt, sizeof prompt, "%s", lua_tostring(L, -1));
    else lunet_cli_report(L, status);
    lua_settop(L, base);
    fflush(stdout);
  }
  push_repl_function(L, "finish");
  lunet_cli_report(L, lunet_cli_docall(L, 0, 0));
  lua_settop(L, base);
  if (interactive) {
    write_history(hist);
    history_truncate_file(hist, 1000);
    printf("\n");
  }
}
