/*
 * state.c: a Lua state with a capped allocator, and host mode.
 *
 * The cap is enforced only outside Swift frames (a memory error longjmps, and no longjmp
 * may cross a Swift frame): in host mode an allocation over the cap succeeds and marks
 * the state over its limit, and the trampoline raises the memory error once Swift returns.
 */
#include "state_internal.h"
#include <stdlib.h>
#include <string.h>

static void *roster_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    roster_state *s = ud;
    size_t old = ptr ? osize : 0; /* with ptr == NULL, osize is a type tag, not a size */
    if (nsize == 0) {
        free(ptr);
        s->used -= old;
        return NULL;
    }
    if (s->limit && nsize > old && s->used + (nsize - old) > s->limit) {
        if (s->in_host) {
            s->over_limit = 1;
        } else if (!s->refusal_pending && nsize - old <= s->limit) {
            /* Lua runs an emergency collection and asks again; only a second refusal is
             * the limit (a request larger than the whole cap is one at once). */
            s->refusal_pending = 1;
            return NULL;
        } else {
            roster_kill(s, ROSTER_LIMIT_MEMORY);
            return NULL;
        }
    }
    void *p = realloc(ptr, nsize);
    if (p == NULL) return NULL;
    if (nsize > old) s->refusal_pending = 0;
    s->used = s->used - old + nsize;
    return p;
}

roster_state *roster_state_open(size_t memory_limit) {
    roster_state *s = calloc(1, sizeof *s);
    if (s == NULL) return NULL;
    s->limit = memory_limit;
    s->in_host = 1; /* host mode until roster_resume or roster_pcall runs Lua */
    lua_State *L = lua_newstate(roster_alloc, s);
    if (L == NULL) {
        free(s);
        return NULL;
    }
    s->L = L;
    *(roster_state **)lua_getextraspace(L) = s; /* new threads copy the main thread's */
    roster_watchdog_register(s);
    return s;
}

void roster_state_close(roster_state *s) {
    if (s == NULL) return;
    roster_watchdog_unregister(s);
    s->in_host = 1;
    lua_close(s->L);
    free(s);
}

lua_State *roster_state_lua(roster_state *s) { return s->L; }
roster_state *roster_state_of(lua_State *L) { return roster_S(L); }
void roster_state_set_host(roster_state *s, void *host) { s->host = host; }
void *roster_state_host(roster_state *s) { return s->host; }
size_t roster_memory_used(roster_state *s) { return s->used; }


/* ---- macros Swift cannot see ---------------------------------------------------- */
int roster_registry_index(void) { return LUA_REGISTRYINDEX; }
void roster_pop(lua_State *L, int n) { lua_pop(L, n); }
int roster_pcall_plain(lua_State *L, int nargs, int nresults, int msgh) {
    return lua_pcall(L, nargs, nresults, msgh);
}

const char *roster_tostring_raw(lua_State *L, int index, size_t *len) {
    /* Only real strings: lua_tolstring would convert a number in place (and can raise). */
    if (lua_type(L, index) != LUA_TSTRING) return NULL;
    return lua_tolstring(L, index, len);
}

int roster_isinteger_value(lua_State *L, int index, lua_Integer *out) {
    if (!lua_isinteger(L, index)) return 0;
    *out = lua_tointeger(L, index);
    return 1;
}
