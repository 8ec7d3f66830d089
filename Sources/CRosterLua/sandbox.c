/*
 * sandbox.c: the standard libraries a script gets, and guarded replacements.
 *
 * Which names a script sees is decided in Swift (LuaHost's Sandbox allow-list); this file
 * opens the libraries and replaces the functions whose stock versions are unsafe here:
 *  - setmetatable refuses __gc (finalizers run with no hook, so nothing could stop one);
 *  - xpcall skips its message handler once the run is killed (it would run hookless);
 *  - load accepts text only;
 *  - coroutine.running, isyieldable and yield treat the scheduler's threads as the main
 *    coroutine, which is what the script's top level is under stock lua;
 *  - collectgarbage answers "count" only;
 *  - coroutine.resume and coroutine.wrap track the running thread for the watchdog and
 *    pass a binding's suspension through to the scheduler, so vendor calls work inside
 *    the script's own coroutines; coroutine.close is guarded against nesting (Debian's
 *    5.4.4 overflows the C stack on nested closes);
 *  - string.find, match, gmatch and gsub are Roster's own matcher, which a limit can stop
 *    (patterns.c);
 *  - string.rep returns "" without looping when the result is empty, table.move checks
 *    the limits as it goes and a long table.sort compares through a guarded comparator
 *    (no hook runs inside a C function);
 *  - require finds Lua source through Roster's loader (Swift) and runs it once.
 */
#include "state_internal.h"
#include <limits.h>
#include <lua5.4/lualib.h>
#include <string.h>

/* ---- setmetatable, load, collectgarbage ------------------------------------------ */

/* setmetatable and load are whole functions here, not wrappers around the stock ones: an
 * argument error must name them ('setmetatable'), and Lua finds a C function's name only
 * when the function itself is the one in the loaded tables. */
static int sandbox_setmetatable(lua_State *L) {
    int type = lua_type(L, 2);
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_argexpected(L, type == LUA_TNIL || type == LUA_TTABLE, 2, "nil or table");
    if (type == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "setmetatable: __gc metamethods are not allowed in Roster scripts");
        lua_pop(L, 1);
    }
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
        return luaL_error(L, "cannot change a protected metatable");
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

/* Reads a chunk from a function, as stock load does: each call gives the next piece. */
static const char *load_reader(lua_State *L, void *unused, size_t *size) {
    (void)unused;
    luaL_checkstack(L, 2, "too many nested functions");
    lua_pushvalue(L, 1);
    lua_call(L, 0, 1);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        *size = 0;
        return NULL;
    }
    if (!lua_isstring(L, -1)) luaL_error(L, "reader function must return a string");
    lua_replace(L, 5); /* keep the piece alive while Lua reads it */
    return lua_tolstring(L, 5, size);
}

static int sandbox_load(lua_State *L) {
    size_t length;
    const char *text = lua_tolstring(L, 1, &length);
    const char *mode = luaL_optstring(L, 3, "t");
    int env = !lua_isnone(L, 4) ? 4 : 0;
    if (strchr(mode, 'b') != NULL)
        return luaL_error(L, "load: binary chunks are not allowed in Roster scripts");
    int status;
    if (text != NULL) {
        const char *name = luaL_optstring(L, 2, text);
        status = luaL_loadbufferx(L, text, length, name, "t");
    } else {
        const char *name = luaL_optstring(L, 2, "=(load)");
        luaL_checktype(L, 1, LUA_TFUNCTION);
        lua_settop(L, 5); /* slot 5 holds the piece being read */
        status = lua_load(L, load_reader, NULL, name, "t");
    }
    if (status != LUA_OK) {
        luaL_pushfail(L);
        lua_insert(L, -2);
        return 2; /* fail, message */
    }
    if (env != 0) { /* the environment becomes the chunk's first upvalue */
        lua_pushvalue(L, env);
        if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1);
    }
    return 1;
}

/* A kill raises from inside the hook, where Lua has switched hooks off; an xpcall message
 * handler runs before the unwinding turns them back on, so no hook could stop it. Once the
 * run is killed the handler is skipped and the error passes through unchanged. */
static int guarded_message_handler(lua_State *L) {
    if (atomic_load(&roster_S(L)->killed)) return 1;
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static int xpcall_finish(lua_State *L, int status, lua_KContext context) {
    (void)status;
    (void)context;
    return lua_gettop(L);
}

static int sandbox_xpcall(lua_State *L) {
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, guarded_message_handler, 1);
    lua_replace(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    /* with a continuation, so that vendor calls inside xpcall can still yield */
    lua_callk(L, lua_gettop(L) - 1, LUA_MULTRET, 0, xpcall_finish);
    return lua_gettop(L);
}

static int sandbox_collectgarbage(lua_State *L) {
    const char *option = luaL_optstring(L, 1, "count");
    if (strcmp(option, "count") != 0)
        return luaL_error(L, "collectgarbage: only \"count\" is allowed in Roster scripts");
    int kilobytes = lua_gc(L, LUA_GCCOUNT);
    int bytes = lua_gc(L, LUA_GCCOUNTB);
    lua_pushnumber(L, (lua_Number)kilobytes + ((lua_Number)bytes / 1024));
    return 1;
}

/* ---- coroutines ------------------------------------------------------------------- */

static char waiting_key; /* registry: weak set of coroutines suspended on a binding */
static char host_threads_key; /* registry: weak set of the threads the scheduler made */

lua_State *roster_new_host_thread(lua_State *L) {
    lua_State *co = lua_newthread(L); /* [co] */
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &host_threads_key) == LUA_TTABLE) {
        lua_pushvalue(L, -2);
        lua_pushboolean(L, 1);
        lua_rawset(L, -3);
    }
    lua_pop(L, 1);
    return co;
}

/* Whether L is a thread the scheduler runs the script (or a parallel item) on: to the
 * script it is the main coroutine, as the top level is under stock lua. */
static int is_host_thread(lua_State *L) {
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &host_threads_key) != LUA_TTABLE) {
        lua_pop(L, 1);
        return 0;
    }
    lua_pushthread(L);
    int found = lua_rawget(L, -2) != LUA_TNIL;
    lua_pop(L, 2);
    return found;
}

static int sandbox_running(lua_State *L) {
    int main = lua_pushthread(L);
    lua_pushboolean(L, main || is_host_thread(L));
    return 2;
}

static int sandbox_isyieldable(lua_State *L) {
    lua_State *co = lua_isnone(L, 1) ? L : lua_tothread(L, 1);
    luaL_argexpected(L, co != NULL, 1, "thread");
    lua_pushboolean(L, lua_isyieldable(co) && !is_host_thread(co));
    return 1;
}

static int sandbox_yield(lua_State *L) {
    if (is_host_thread(L)) return luaL_error(L, "attempt to yield from outside a coroutine");
    return lua_yield(L, lua_gettop(L));
}

static void set_waiting(lua_State *L, int co_index, int waiting) {
    co_index = lua_absindex(L, co_index);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &waiting_key);
    lua_pushvalue(L, co_index);
    if (waiting) lua_pushboolean(L, 1); else lua_pushnil(L);
    lua_rawset(L, -3);
    lua_pop(L, 1);
}

static int is_waiting(lua_State *L, int co_index) {
    co_index = lua_absindex(L, co_index);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &waiting_key);
    lua_pushvalue(L, co_index);
    int waiting = lua_rawget(L, -2) != LUA_TNIL;
    lua_pop(L, 2);
    return waiting;
}

int roster_guarded_reset(lua_State *L, lua_State *co) {
    roster_state *s = roster_S(L);
    if (s->close_depth >= ROSTER_MAX_CLOSE_DEPTH)
        return luaL_error(L, "coroutine.close: closes nested more than %d deep", ROSTER_MAX_CLOSE_DEPTH);
    s->close_depth++;
    int status = lua_resetthread(co);
    s->close_depth--;
    return status;
}

enum { MODE_RESUME = 0, MODE_WRAP = 1 };

static int resume_step(lua_State *L, int co_index, int nargs, int mode);

static int resume_continue(lua_State *L, int status, lua_KContext context) {
    (void)status;
    int mode = (int)context;
    /* The scheduler resumed us with the binding's outcome: hand it to the inner thread. */
    int co_index = mode == MODE_RESUME ? 1 : lua_upvalueindex(1);
    int base = mode == MODE_RESUME ? 1 : 0;
    int nargs = lua_gettop(L) - base;
    lua_State *co = lua_tothread(L, co_index);
    set_waiting(L, co_index, 0);
    lua_xmove(L, co, nargs);
    return resume_step(L, co_index, nargs, mode);
}

static int resume_step(lua_State *L, int co_index, int nargs, int mode) {
    lua_State *co = lua_tothread(L, co_index);
    roster_state *s = roster_S(L);
    int nresults = 0;
    int status = roster_resume(co, L, nargs, &nresults);
    if (atomic_load(&s->killed)) return roster_raise_limit(L, s);

    while (status == LUA_YIELD && s->time_slice && !lua_isyieldable(L)) {
        /* A time slice cannot pass through here (we run inside a C function's callback):
         * carry on with the coroutine at once. */
        s->time_slice = 0;
        lua_pop(co, nresults);
        status = roster_resume(co, L, 0, &nresults);
        if (atomic_load(&s->killed)) return roster_raise_limit(L, s);
    }
    if (status == LUA_YIELD && (s->host_suspend || s->time_slice)) {
        /* A binding deeper down is waiting for I/O (or the hook gave the thread back):
         * suspend this thread too, up to the scheduler, which resumes us with the outcome
         * (see resume_continue). */
        if (!lua_isyieldable(L)) {
            s->host_suspend = 0;
            return luaL_error(L, "cannot wait for a vendor call here: the coroutine was resumed "
                                 "from inside a C function (a metamethod, sort or gsub callback)");
        }
        lua_pop(co, nresults);
        set_waiting(L, co_index, 1);
        lua_settop(L, mode == MODE_RESUME ? 1 : 0);
        return lua_yieldk(L, 0, (lua_KContext)mode, resume_continue);
    }

    if (status == LUA_OK || status == LUA_YIELD) {
        if (!lua_checkstack(L, nresults + 1)) {
            lua_pop(co, nresults);
            return luaL_error(L, "too many results to resume");
        }
        if (mode == MODE_RESUME) lua_pushboolean(L, 1);
        lua_xmove(co, L, nresults);
        return nresults + (mode == MODE_RESUME ? 1 : 0);
    }

    if (mode == MODE_RESUME) {
        lua_pushboolean(L, 0);
        lua_xmove(co, L, 1); /* the error object */
        return 2;
    }
    /* wrap: close the dead coroutine (running its __close handlers, whose error wins) and
     * propagate the error with the caller's position, like the stock wrap */
    status = roster_guarded_reset(L, co);
    lua_xmove(co, L, 1);
    if (status != LUA_ERRMEM && lua_type(L, -1) == LUA_TSTRING) {
        luaL_where(L, 1);
        lua_insert(L, -2);
        lua_concat(L, 2);
    }
    return lua_error(L);
}

static int prepare_resume(lua_State *L, int co_index, int nargs) {
    lua_State *co = lua_tothread(L, co_index);
    if (is_waiting(L, co_index))
        return luaL_error(L, "cannot resume a coroutine that is waiting for a vendor call");
    if (!lua_checkstack(co, nargs)) return luaL_error(L, "too many arguments to resume");
    int status = lua_status(co);
    if (status == LUA_OK && lua_gettop(co) == 0) return -1; /* dead */
    return 0;
}

static int sandbox_resume(lua_State *L) {
    luaL_argexpected(L, lua_type(L, 1) == LUA_TTHREAD, 1, "thread");
    int nargs = lua_gettop(L) - 1;
    if (prepare_resume(L, 1, nargs) < 0) {
        lua_pushboolean(L, 0);
        lua_pushliteral(L, "cannot resume dead coroutine");
        return 2;
    }
    lua_xmove(L, lua_tothread(L, 1), nargs);
    return resume_step(L, 1, nargs, MODE_RESUME);
}

static int wrapped_call(lua_State *L) {
    int nargs = lua_gettop(L);
    if (prepare_resume(L, lua_upvalueindex(1), nargs) < 0)
        return luaL_error(L, "cannot resume dead coroutine");
    lua_xmove(L, lua_tothread(L, lua_upvalueindex(1)), nargs);
    return resume_step(L, lua_upvalueindex(1), nargs, MODE_WRAP);
}

static int sandbox_wrap(lua_State *L) {
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_State *co = lua_newthread(L);
    lua_pushvalue(L, 1);
    lua_xmove(L, co, 1);
    lua_pushcclosure(L, wrapped_call, 1);
    return 1;
}

static int sandbox_close(lua_State *L) {
    luaL_argexpected(L, lua_type(L, 1) == LUA_TTHREAD, 1, "thread");
    lua_State *co = lua_tothread(L, 1);
    if (co == L) return luaL_error(L, "cannot close a running coroutine");
    if (is_waiting(L, 1)) return luaL_error(L, "cannot close a coroutine that is waiting for a vendor call");
    lua_Debug ar;
    if (lua_status(co) == LUA_OK && lua_getstack(co, 0, &ar))
        return luaL_error(L, "cannot close a normal coroutine");
    int status;
    status = roster_guarded_reset(L, co);
    if (status == LUA_OK) {
        lua_pushboolean(L, 1);
        return 1;
    }
    lua_pushboolean(L, 0);
    lua_xmove(co, L, 1);
    return 2;
}

/* ---- long loops in C ---------------------------------------------------------------- */

static int sandbox_rep(lua_State *L) {
    size_t length, separator = 0;
    luaL_checklstring(L, 1, &length);
    lua_Integer count = luaL_checkinteger(L, 2);
    luaL_optlstring(L, 3, "", &separator);
    if (count <= 0 || length + separator == 0) { /* the stock loop would spin on "" */
        lua_pushliteral(L, "");
        return 1;
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* How many elements table.move copies between two checks of the limits. */
#define MOVE_CHECK_EVERY 65536

/* table.move as stock Lua does it (the same reads and writes, in the same order, through
 * metamethods), with the limits checked as it goes: no hook runs inside a C function. */
static int sandbox_move(lua_State *L) {
    lua_Integer f = luaL_checkinteger(L, 2);
    lua_Integer e = luaL_checkinteger(L, 3);
    lua_Integer t = luaL_checkinteger(L, 4);
    int dest = !lua_isnoneornil(L, 5) ? 5 : 1;
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, dest, LUA_TTABLE);
    if (e >= f) {
        luaL_argcheck(L, f > 0 || e < LUA_MAXINTEGER + f, 3, "too many elements to move");
        lua_Integer n = e - f; /* elements beyond the first */
        luaL_argcheck(L, t <= LUA_MAXINTEGER - n, 4, "destination wrap around");
        int forward = t > e || t <= f || (dest != 1 && !lua_compare(L, 1, dest, LUA_OPEQ));
        if (forward) {
            for (lua_Integer i = 0; i <= n; i++) {
                lua_geti(L, 1, f + i);
                lua_seti(L, dest, t + i);
                if ((i & (MOVE_CHECK_EVERY - 1)) == MOVE_CHECK_EVERY - 1) roster_check_limits(L);
            }
        } else { /* overlapping, moving up: from the top down */
            for (lua_Integer i = n; i >= 0; i--) {
                lua_geti(L, 1, f + i);
                lua_seti(L, dest, t + i);
                if ((i & (MOVE_CHECK_EVERY - 1)) == 0) roster_check_limits(L);
            }
        }
    }
    lua_pushvalue(L, dest);
    return 1;
}

/* table.sort compares in C with no hook when it has no comparator: a long list could keep
 * a run past its limits for seconds. From this length on it gets a comparator of ours,
 * which looks at the kill flag. Shorter sorts (under a second) keep the stock speed: the
 * guarded comparator costs a C call per comparison. */
#define SORT_GUARD_FROM (1 << 20)

static int guarded_less_than(lua_State *L) {
    roster_state *s = roster_S(L);
    if (atomic_load(&s->killed)) return roster_raise_limit(L, s);
    lua_pushboolean(L, lua_compare(L, 1, 2, LUA_OPLT));
    return 1;
}

static int sandbox_sort(lua_State *L) {
    /* The stock checks, made here so that an argument error names 'sort' as stock does. */
    if (lua_type(L, 1) != LUA_TTABLE) {
        int usable = lua_getmetatable(L, 1);
        if (usable) { /* a table-like value: all three metamethods */
            const char *needed[] = {"__index", "__newindex", "__len"};
            int pushed = 1;
            for (int i = 0; i < 3 && usable; i++, pushed++) {
                lua_pushstring(L, needed[i]);
                usable = lua_rawget(L, -1 - pushed) != LUA_TNIL;
            }
            lua_pop(L, pushed);
        }
        if (!usable) luaL_checktype(L, 1, LUA_TTABLE);
    }
    lua_Integer n = luaL_len(L, 1);
    if (n > 1) {
        luaL_argcheck(L, n < INT_MAX, 1, "array too big");
        if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TFUNCTION);
        else if (n >= SORT_GUARD_FROM) {
            lua_settop(L, 1);
            lua_pushcfunction(L, guarded_less_than);
        }
    }
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 2, 0);
    return 0;
}

/* ---- require ---------------------------------------------------------------------- */
/* Upvalues: 1 the loader (a Swift binding: name -> chunk, or nil and a message),
 * 2 the loaded modules, 3 the modules being loaded. The module body runs under a
 * yieldable pcall, so it may call vendors like the script itself. */

static int require_finish(lua_State *L, int status, lua_KContext context) {
    (void)context; /* [name, result or error] */
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    lua_rawset(L, lua_upvalueindex(3));
    if (status != LUA_OK && status != LUA_YIELD) return lua_error(L);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    }
    lua_pushvalue(L, 1);
    lua_pushvalue(L, -2);
    lua_rawset(L, lua_upvalueindex(2));
    return 1;
}

static int sandbox_require(lua_State *L) {
    luaL_checkstring(L, 1);
    lua_settop(L, 1);
    lua_pushvalue(L, 1);
    if (lua_rawget(L, lua_upvalueindex(2)) != LUA_TNIL) return 1;
    lua_pop(L, 1);
    lua_pushvalue(L, 1);
    if (lua_rawget(L, lua_upvalueindex(3)) != LUA_TNIL)
        return luaL_error(L, "require: module '%s' requires itself", lua_tostring(L, 1));
    lua_pop(L, 1);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_call(L, 1, 2); /* [name, chunk or nil, message] */
    if (lua_isnil(L, 2)) {
        luaL_where(L, 1);
        lua_pushvalue(L, 3);
        lua_concat(L, 2);
        return lua_error(L);
    }
    lua_settop(L, 2);
    lua_pushvalue(L, 1);
    lua_pushboolean(L, 1);
    lua_rawset(L, lua_upvalueindex(3));
    lua_pushvalue(L, 1); /* [name, chunk, name] */
    return require_finish(L, lua_pcallk(L, 1, 1, 0, 0, require_finish), 0);
}

void roster_install_require(lua_State *L) {
    /* [loader] */
    lua_newtable(L); /* loaded: the script's own libraries answer require by name, as stock */
    static const char *const libraries[] = {
        LUA_GNAME, LUA_STRLIBNAME, LUA_TABLIBNAME, LUA_MATHLIBNAME, LUA_UTF8LIBNAME, LUA_COLIBNAME, LUA_OSLIBNAME, NULL,
    };
    for (const char *const *name = libraries; *name != NULL; name++) {
        if (lua_getglobal(L, *name) == LUA_TTABLE) lua_setfield(L, -2, *name);
        else lua_pop(L, 1);
    }
    lua_newtable(L);
    lua_pushcclosure(L, sandbox_require, 3);
    lua_setglobal(L, "require");
}

/* ---- the string library ------------------------------------------------------------ */

void roster_privatize_string_library(lua_State *L) {
    /* Every string's methods come from the table the (protected) string metatable
     * indexes. The script's global `string` becomes a copy: changing it changes nothing
     * that ("x"):upper() or host code calls. */
    lua_getglobal(L, LUA_STRLIBNAME); /* [lib] */
    lua_newtable(L);                  /* [lib, copy] */
    lua_pushnil(L);
    while (lua_next(L, -3) != 0) {    /* [lib, copy, k, v] */
        lua_pushvalue(L, -2);
        lua_insert(L, -2);            /* [lib, copy, k, k, v] */
        lua_rawset(L, -4);
    }
    lua_setglobal(L, LUA_STRLIBNAME);
    lua_pop(L, 1);
}

/* ---- opening ------------------------------------------------------------------------ */

void roster_open_baseline_libraries(lua_State *L) {
    luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
    luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
    luaL_requiref(L, LUA_COLIBNAME, luaopen_coroutine, 1);
    luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 1);
    lua_pop(L, 7);
}

/* registry[key] = a new table with weak keys. */
static void set_weak_set(lua_State *L, const void *key) {
    lua_newtable(L);
    lua_newtable(L);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_rawsetp(L, LUA_REGISTRYINDEX, key);
}

/* Replaces t[name] (t on top) with a C closure over the stock function. */
static void wrap_field(lua_State *L, const char *name, lua_CFunction replacement) {
    lua_getfield(L, -1, name);
    lua_pushcclosure(L, replacement, 1);
    lua_setfield(L, -2, name);
}

static char random_words_key;

/* lmathlib keeps the generator of math.random and math.randomseed in a userdata both share
 * as upvalue 1: four 64-bit words (xoshiro256**). Found once, anchored in the registry (a
 * script may drop math.random), and reached through the roster state. */
static void find_random_words(lua_State *L) {
    roster_state *s = roster_S(L);
    if (s == NULL) return;
    s->random_words = NULL;
    int top = lua_gettop(L);
    if (lua_getglobal(L, LUA_MATHLIBNAME) == LUA_TTABLE
        && lua_getfield(L, -1, "random") == LUA_TFUNCTION && lua_iscfunction(L, -1)
        && lua_getupvalue(L, -1, 1) != NULL) {
        if (lua_type(L, -1) == LUA_TUSERDATA && lua_rawlen(L, -1) == 4 * sizeof(uint64_t)) {
            s->random_words = lua_touserdata(L, -1);
            lua_pushvalue(L, -1);
            lua_rawsetp(L, LUA_REGISTRYINDEX, &random_words_key);
        }
    }
    lua_settop(L, top);
}

int roster_random_get(roster_state *s, uint64_t words[4]) {
    if (s->random_words == NULL) return 0;
    memcpy(words, s->random_words, 4 * sizeof(uint64_t));
    return 1;
}

int roster_random_set(roster_state *s, const uint64_t words[4]) {
    if (s->random_words == NULL) return 0;
    memcpy(s->random_words, words, 4 * sizeof(uint64_t));
    return 1;
}

void roster_open_sandbox_libraries(lua_State *L) {
    roster_open_baseline_libraries(L);

    set_weak_set(L, &waiting_key);      /* coroutines waiting on a binding */
    set_weak_set(L, &host_threads_key); /* the scheduler's threads */

    lua_pushglobaltable(L);
    lua_pushcfunction(L, sandbox_setmetatable);
    lua_setfield(L, -2, "setmetatable");
    lua_pushcfunction(L, sandbox_load);
    lua_setfield(L, -2, "load");
    wrap_field(L, "xpcall", sandbox_xpcall);
    lua_pushcfunction(L, sandbox_collectgarbage);
    lua_setfield(L, -2, "collectgarbage");
    lua_pop(L, 1);

    static const luaL_Reg coroutines[] = {
        {"resume", sandbox_resume}, {"wrap", sandbox_wrap}, {"close", sandbox_close},
        {"running", sandbox_running}, {"isyieldable", sandbox_isyieldable}, {"yield", sandbox_yield},
        {NULL, NULL},
    };
    lua_getglobal(L, LUA_COLIBNAME);
    luaL_setfuncs(L, coroutines, 0);
    lua_pop(L, 1);

    lua_getglobal(L, LUA_STRLIBNAME);
    wrap_field(L, "rep", sandbox_rep);
    roster_install_patterns(L); /* find, match, gmatch, gsub that a limit can stop */
    lua_pop(L, 1);

    lua_getglobal(L, LUA_TABLIBNAME);
    lua_pushcfunction(L, sandbox_move);
    lua_setfield(L, -2, "move");
    wrap_field(L, "sort", sandbox_sort);
    lua_pop(L, 1);

    find_random_words(L);

    /* The string metatable is shared by every string: protect it from getmetatable. */
    lua_pushliteral(L, "");
    if (lua_getmetatable(L, -1)) {
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

/* os.time with the pinned clock (upvalue 2) for "now"; with a date table, the original
 * (upvalue 1). */
static int pinned_time(lua_State *L) {
    if (lua_isnoneornil(L, 1)) {
        lua_pushvalue(L, lua_upvalueindex(2));
        return 1;
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* os.date(format [, time]) with the pinned clock when no time is given. */
static int pinned_date(lua_State *L) {
    lua_settop(L, 2);
    if (lua_isnil(L, 2)) {
        lua_pushvalue(L, lua_upvalueindex(2));
        lua_replace(L, 2);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 2, LUA_MULTRET);
    return lua_gettop(L);
}

static int pin_clock(lua_State *L) {
    lua_Integer now = lua_tointeger(L, 1);
    if (lua_getglobal(L, "os") != LUA_TTABLE) return 0;
    /* The originals stay the loaded "os" module's, where an argument error raised in them
     * looks their name up ("bad argument #1 to 'os.date'", not "to '?'"). */
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_createtable(L, 0, 2);
    static const char *const names[] = {"time", "date"};
    static const lua_CFunction pinned[] = {pinned_time, pinned_date};
    for (int i = 0; i < 2; i++) {
        lua_getfield(L, -3, names[i]);   /* the original */
        lua_pushvalue(L, -1);
        lua_setfield(L, -3, names[i]);   /* kept in the loaded module */
        lua_pushinteger(L, now);
        lua_pushcclosure(L, pinned[i], 2);
        lua_setfield(L, -4, names[i]);   /* the script's os.time / os.date */
    }
    lua_setfield(L, -2, "os");
    return 0;
}

/* A run's time stands still where a resume must see what the first attempt saw: a name or
 * date built from os.time() is the same in every attempt, so the change it goes into is
 * replayed, not sent again. Protected: on failure the clock is left running. */
void roster_pin_clock(lua_State *L, lua_Integer now) {
    lua_pushcfunction(L, pin_clock);
    lua_pushinteger(L, now);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) lua_pop(L, 1);
}

/* math.randomseed(seed) on a fresh state, before any script code (a resumed run draws the
 * same numbers as its first attempt). Protected: a failure leaves the random seed as is. */
void roster_seed_random(lua_State *L, lua_Integer seed) {
    if (lua_getglobal(L, "math") == LUA_TTABLE && lua_getfield(L, -1, "randomseed") == LUA_TFUNCTION) {
        lua_pushinteger(L, seed);
        if (lua_pcall(L, 1, 0, 0) != LUA_OK) lua_pop(L, 1);
        lua_pop(L, 1);
    } else {
        lua_settop(L, 0);
    }
}
