/* core.start_lua_thread(module, config_text, tensors...) -> a thread handle:
 * a POSIX thread running require(module).main(mailbox, config_text,
 * tensors...) in a Lua state of its own (the standard libraries, the calling
 * state's package.path and package.cpath, lunet.core preloaded). Nothing but
 * text and tensors crosses: the tensors are the caller's (their storage is
 * shared and reference counted atomically; the caller must not resize them),
 * the text goes through the handle's two mailboxes:
 *   handle:send(text)  handle:recv(timeout_ms) -> text | nil, why
 *   mailbox:send(text) mailbox:recv(timeout_ms) -> text | nil, why
 * recv returns nil, "timeout"; nil, "ended" (the thread returned and nothing
 * is left to read) on the handle; nil, "closed" (the handle was closed) in
 * the thread. handle:join() -> true | false, error (the thread's error, with
 * its traceback); handle:close() (and the garbage collector) closes the
 * mailbox and joins. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lbind.h"
#include <lualib.h>

#define THREAD_MT "lunet.Thread"
#define MAILBOX_MT "lunet.Mailbox"
#define MAX_TENSORS 16

typedef struct note {
  struct note *next;
  size_t len;
  char text[];
} note;

typedef struct {
  note *head, *tail;
} queue;

typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  queue to_thread, to_caller;
  int ended, closed, refs; /* refs: the handle and the thread */
  pthread_t tid;
  int joined;
  char *module, *config, *path, *cpath, *error;
  size_t config_len;
  int ntensors;
  lunet_tensor_t *tensors[MAX_TENSORS];
} shared;

typedef struct {
  shared *s;
} box;

static void release(shared *s) {
  pthread_mutex_lock(&s->mu);
  int last = --s->refs == 0;
  pthread_mutex_unlock(&s->mu);
  if (!last) return;
  for (queue *q = &s->to_thread; q <= &s->to_caller; q++)
    for (note *n = q->head, *next; n; n = next) {
      next = n->next;
      free(n);
    }
  for (int i = 0; i < s->ntensors; i++) lunet_tensor_free(s->tensors[i]);
  free(s->module), free(s->config), free(s->path), free(s->cpath), free(s->error);
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->cv);
  free(s);
}

static char *dup_text(const char *p, size_t len) {
  char *d = malloc(len + 1);
  if (d) memcpy(d, p, len), d[len] = 0;
  return d;
}

static int post(lua_State *L, shared *s, queue *q) {
  size_t len;
  const char *text = luaL_checklstring(L, 2, &len);
  note *n = malloc(sizeof *n + len);
  if (!n) return luaL_error(L, "Thread: out of memory for a message of %d bytes", (int)len);
  memcpy(n->text, text, len);
  n->len = len, n->next = NULL;
  pthread_mutex_lock(&s->mu);
  if (q->tail) q->tail->next = n;
  else q->head = n;
  q->tail = n;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  return 0;
}

/* the next note of q, waiting up to timeout_ms (-1: forever) while the other
 * side may still write (stop_flag not set) */
static int take(lua_State *L, shared *s, queue *q, const int *stop_flag, const char *why_stopped) {
  lua_Integer ms = luaL_optinteger(L, 2, 0);
  if (ms < -1 || ms > 86400000) return luaL_error(L, "recv: timeout %d ms, expected -1 to 86400000", (int)ms);
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += ms / 1000;
  until.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
  pthread_mutex_lock(&s->mu);
  int rc = 0;
  while (!q->head && !*stop_flag && rc != ETIMEDOUT && ms != 0)
    rc = ms < 0 ? pthread_cond_wait(&s->cv, &s->mu) : pthread_cond_timedwait(&s->cv, &s->mu, &until);
  note *n = q->head;
  if (n) {
    q->head = n->next;
    if (!q->head) q->tail = NULL;
  }
  int stopped = *stop_flag;
  pthread_mutex_unlock(&s->mu);
  if (!n) {
    lua_pushnil(L);
    lua_pushstring(L, stopped ? why_stopped : "timeout");
    return 2;
  }
  lua_pushlstring(L, n->text, n->len);
  free(n);
  return 1;
}

/* ---- the thread's side ---- */

static shared *check_mailbox(lua_State *L) {
  box *b = luaL_checkudata(L, 1, MAILBOX_MT);
  return b->s;
}
static int mailbox_send(lua_State *L) { return post(L, check_mailbox(L), &check_mailbox(L)->to_caller); }
static int mailbox_recv(lua_State *L) {
  shared *s = check_mailbox(L);
  return take(L, s, &s->to_thread, &s->closed, "closed");
}

static int traceback(lua_State *L) {
  luaL_traceback(L, L, lua_tostring(L, 1) ? lua_tostring(L, 1) : luaL_tolstring(L, 1, NULL), 1);
  return 1;
}

static int thread_body(lua_State *L) {
  shared *s = lua_touserdata(L, 1);
  luaL_openlibs(L);
  lua_getglobal(L, "package");
  lua_pushstring(L, s->path);
  lua_setfield(L, -2, "path");
  lua_pushstring(L, s->cpath);
  lua_setfield(L, -2, "cpath");
  lua_getfield(L, -1, "preload");
  lua_pushcfunction(L, luaopen_lunet_core);
  lua_setfield(L, -2, "lunet.core");
  lua_pop(L, 2);
  lua_getglobal(L, "require");
  lua_pushliteral(L, "lunet.core");
  lua_call(L, 1, 0); /* (the Tensor metatable, before a tensor is pushed) */
  lua_getglobal(L, "require");
  lua_pushstring(L, s->module);
  lua_call(L, 1, 1);
  if (lua_getfield(L, -1, "main") != LUA_TFUNCTION)
    return luaL_error(L, "module '%s' has no function main", s->module);
  box *b = lua_newuserdatauv(L, sizeof *b, 0);
  b->s = s;
  luaL_newmetatable(L, MAILBOX_MT);
  lua_pushvalue(L, -1);
  lua_setfield(L, -2, "__index");
  static const luaL_Reg methods[] = {{"send", mailbox_send}, {"recv", mailbox_recv}, {NULL, NULL}};
  luaL_setfuncs(L, methods, 0);
  lua_setmetatable(L, -2);
  lua_pushlstring(L, s->config, s->config_len);
  for (int i = 0; i < s->ntensors; i++) lunet_push_tensor(L, lunet_tensor_retain(s->tensors[i]));
  lua_call(L, 2 + s->ntensors, 0);
  return 0;
}

static void *thread_main(void *arg) {
  shared *s = arg;
  lua_State *L = luaL_newstate();
  char *error = NULL;
  if (!L) {
    error = dup_text("cannot create a Lua state", 25);
  } else {
    lua_pushcfunction(L, traceback);
    lua_pushcfunction(L, thread_body);
    lua_pushlightuserdata(L, s);
    if (lua_pcall(L, 1, 0, 1) != LUA_OK) {
      size_t len;
      const char *m = lua_tolstring(L, -1, &len);
      error = m ? dup_text(m, len) : dup_text("(an error that is not a string)", 31);
    }
    lua_close(L); /* (its tensors' references go here) */
  }
  pthread_mutex_lock(&s->mu);
  s->error = error;
  s->ended = 1;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  release(s);
  return NULL;
}

/* ---- the caller's side ---- */

static shared *check_handle(lua_State *L) {
  box *b = luaL_checkudata(L, 1, THREAD_MT);
  if (!b->s) luaL_error(L, "Thread: used after join or close");
  return b->s;
}
static int handle_send(lua_State *L) { return post(L, check_handle(L), &check_handle(L)->to_thread); }
static int handle_recv(lua_State *L) {
  shared *s = check_handle(L);
  return take(L, s, &s->to_caller, &s->ended, "ended");
}

/* closes the thread's mailbox (its recv says "closed"), waits for it; the
 * error it ended with, or NULL (owned by the caller) */
static char *finish(box *b) {
  shared *s = b->s;
  b->s = NULL;
  pthread_mutex_lock(&s->mu);
  s->closed = 1;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  pthread_join(s->tid, NULL);
  char *error = s->error;
  s->error = NULL;
  release(s);
  return error;
}

static int handle_join(lua_State *L) {
  check_handle(L);
  char *error = finish(luaL_checkudata(L, 1, THREAD_MT));
  if (!error) {
    lua_pushboolean(L, 1);
    return 1;
  }
  lua_pushboolean(L, 0);
  lua_pushstring(L, error);
  free(error);
  return 2;
}

static int handle_gc(lua_State *L) {
  box *b = luaL_checkudata(L, 1, THREAD_MT);
  if (b->s) free(finish(b));
  return 0;
}

static int l_start_lua_thread(lua_State *L) {
  const char *module = luaL_checkstring(L, 1);
  size_t config_len;
  const char *config = luaL_checklstring(L, 2, &config_len);
  int ntensors = lua_gettop(L) - 2;
  if (ntensors > MAX_TENSORS)
    return luaL_error(L, "start_lua_thread: %d tensors, at most %d", ntensors, MAX_TENSORS);
  for (int i = 0; i < ntensors; i++) lunet_check_tensor(L, 3 + i);
  lua_getglobal(L, "package");
  if (!lua_istable(L, -1)) return luaL_error(L, "start_lua_thread: no package table");
  lua_getfield(L, -1, "path");
  lua_getfield(L, -2, "cpath");
  const char *path = lua_tostring(L, -2), *cpath = lua_tostring(L, -1);
  if (!path || !cpath) return luaL_error(L, "start_lua_thread: package.path or package.cpath is not a string");
  box *b = lua_newuserdatauv(L, sizeof *b, 0);
  b->s = NULL;
  luaL_setmetatable(L, THREAD_MT);
  shared *s = calloc(1, sizeof *s);
  if (!s) return luaL_error(L, "start_lua_thread: out of memory");
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  s->refs = 2;
  s->module = dup_text(module, strlen(module));
  s->config = dup_text(config, config_len);
  s->config_len = config_len;
  s->path = dup_text(path, strlen(path));
  s->cpath = dup_text(cpath, strlen(cpath));
  for (int i = 0; i < ntensors; i++) s->tensors[s->ntensors++] = lunet_tensor_retain(lunet_check_tensor(L, 3 + i));
  if (!s->module || !s->config || !s->path || !s->cpath || pthread_create(&s->tid, NULL, thread_main, s) != 0) {
    s->refs = 1;
    release(s);
    return luaL_error(L, "start_lua_thread: cannot start a thread for '%s'", module);
  }
  b->s = s;
  return 1;
}

void lunet_open_thread(lua_State *L) {
  luaL_newmetatable(L, THREAD_MT);
  lua_pushvalue(L, -1);
  lua_setfield(L, -2, "__index");
  static const luaL_Reg methods[] = {{"send", handle_send}, {"recv", handle_recv}, {"join", handle_join},
                                     {"close", handle_gc}, {NULL, NULL}};
  luaL_setfuncs(L, methods, 0);
  lua_pushcfunction(L, handle_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
  lua_pushcfunction(L, l_start_lua_thread);
  lua_setfield(L, -2, "start_lua_thread");
}
