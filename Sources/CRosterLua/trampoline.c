/*
 * trampoline.c: how Lua calls Swift, and the protected helpers.
 *
 * Every Swift function Lua can call is this C closure over a light-userdata binding. The
 * Swift side returns an outcome code instead of raising or yielding itself; the trampoline
 * acts on it only after the Swift frame is gone, so no longjmp ever crosses Swift code.
 */
#include "state_internal.h"

/* The scheduler resumes a suspended binding with (true, results...) or (false, error). */
static int binding_continue(lua_State *L, int status, lua_KContext context) {
    (void)status;
    (void)context;
    roster_state *s = roster_S(L);
    if (atomic_load(&s->killed)) return roster_raise_limit(L, s);
    if (!lua_toboolean(L, 1)) {
        lua_settop(L, 2);
        return lua_error(L);
    }
    return lua_gettop(L) - 1;
}

static int trampoline(lua_State *L) {
    roster_state *s = roster_S(L);
    int outer_host = s->in_host;
    s->in_host = 1;
    int outcome = roster_dispatch(L, lua_touserdata(L, lua_upvalueindex(1)));
    s->in_host = outer_host;

    if (s->over_limit && !s->in_host) {
        s->over_limit = 0;
        roster_kill(s, ROSTER_LIMIT_MEMORY);
    }
    if (atomic_load(&s->killed)) return roster_raise_limit(L, s);
    if (outcome >= 0) return outcome;
    if (outcome == ROSTER_RAISE) return lua_error(L);
    /* ROSTER_SUSPEND: the Swift side checked that this thread can yield. */
    lua_settop(L, 0);
    s->host_suspend = 1;
    return lua_yieldk(L, 0, 0, binding_continue);
}

void roster_push_binding(lua_State *L, void *binding) {
    lua_pushlightuserdata(L, binding);
    lua_pushcclosure(L, trampoline, 1);
}

void *roster_binding_at(lua_State *L, int index) {
    if (lua_tocfunction(L, index) != trampoline) return NULL;
    if (lua_getupvalue(L, index, 1) == NULL) return NULL;
    void *binding = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return binding;
}

int roster_noop_cfunction(lua_State *L) {
    (void)L;
    return 0;
}

/* ---- protected helpers ----------------------------------------------------------- */

/* roster_pcall is in limits.c: it runs Lua as a tracked execution, under the limits. */

static int gettable_unprotected(lua_State *L) { /* [t, k] */
    lua_gettable(L, 1);
    return 1;
}

int roster_pgettable(lua_State *L, int index) {
    index = lua_absindex(L, index);
    lua_pushcfunction(L, gettable_unprotected); /* [k, f] */
    lua_pushvalue(L, index);                    /* [k, f, t] */
    lua_rotate(L, -3, -1);                      /* [f, t, k] */
    return roster_pcall(L, 2, 1);               /* [v] or [error] */
}

static int tostring_unprotected(lua_State *L) {
    luaL_tolstring(L, 1, NULL);
    return 1;
}

int roster_ptostring(lua_State *L, int index) {
    index = lua_absindex(L, index);
    lua_pushcfunction(L, tostring_unprotected);
    lua_pushvalue(L, index);
    return roster_pcall(L, 1, 1);
}
